//! Template search: [`find`] a [`Template`] in a [`Screen`].
//!
//! The default [`Strategy::Pyramid`] works coarse to fine. The screen is
//! reduced by 2× per level (box filter) once, and shared by every scale.
//! For each scale the template is resized, reduced the same way, and
//! searched exhaustively at the coarsest level where it keeps at least
//! `MIN_SIDE` pixels a side and `MIN_AREA` pixels inside its mask; the best peaks there
//! are then followed down level by level with exact scores in a small
//! neighbourhood (hill climbing), so that every reported score is the exact
//! full-resolution `TM_CCOEFF_NORMED` value. With several scales the best
//! match's scale is refined between the grid points. [`Strategy::Exhaustive`]
//! scores every position at full resolution (direct loops or FFT) and is the
//! reference the pyramid is tested against.
//!
//! Matches above the threshold go through non-maximum suppression by
//! overlap (intersection over union), across scales.

use std::collections::HashMap;

use image::{DynamicImage, GrayImage};

use super::Rect;
use super::correlate::Positions;
use super::error::MatchError;
use super::load::{luma, mask_from_alpha};
use super::ncc::{MapContext, Prepared};
use super::plane::Plane;

/// The coarsest level keeps templates at least this many pixels a side.
const MIN_SIDE: usize = 8;
/// ... and at least this many pixels that count (inside the mask).
const MIN_AREA: f64 = 64.0;
/// Levels of the screen pyramid below full resolution.
const MAX_LEVEL: usize = 4;
/// Peaks followed down from the coarse level when only the best is wanted.
const BEST_PEAKS: usize = 8;
/// When collecting all matches, coarse peaks this far below the threshold
/// are still followed down.
const COARSE_MARGIN: f32 = 0.35;
/// Candidates this far below the level's best are dropped while refining.
const PRUNE_GAP: f32 = 0.3;

/// How to search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// Coarse-to-fine over an image pyramid: fast; exact scores.
    #[default]
    Pyramid,
    /// Every position at full resolution: slow; the reference.
    Exhaustive,
}

/// Template scales to search: `steps` values spaced geometrically from
/// `min` to `max` (a scale of 2 doubles the template's size).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScaleRange {
    pub min: f32,
    pub max: f32,
    pub steps: usize,
}

impl ScaleRange {
    /// Exactly one scale.
    pub const fn single(scale: f32) -> Self {
        ScaleRange {
            min: scale,
            max: scale,
            steps: 1,
        }
    }

    /// Checks the range: positive finite bounds, `min ≤ max`, 1–100 steps
    /// (1 step only when `min == max`).
    pub fn new(min: f32, max: f32, steps: usize) -> Result<Self, MatchError> {
        let bad = |m: String| Err(MatchError::ScaleRange(m));
        if !(min.is_finite() && max.is_finite() && min > 0.0 && max > 0.0) {
            return bad(format!("scales must be positive numbers, got {min}..{max}"));
        }
        if min > max {
            return bad(format!("{min}..{max} is reversed"));
        }
        if !(1..=100).contains(&steps) {
            return bad(format!("{steps} steps is outside 1..=100"));
        }
        if (min - max).abs() > f32::EPSILON && steps < 2 {
            return bad(format!("{min}..{max} needs at least 2 steps"));
        }
        Ok(ScaleRange { min, max, steps })
    }

    /// The scales, smallest first.
    pub fn values(&self) -> Vec<f32> {
        if self.steps <= 1 || (self.max - self.min).abs() <= f32::EPSILON {
            return vec![self.min];
        }
        let ratio = self.step_ratio();
        (0..self.steps)
            .map(|i| {
                #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
                let s = (f64::from(self.min) * ratio.powi(i32::try_from(i).unwrap_or(0))) as f32;
                s.min(self.max)
            })
            .collect()
    }

    /// The factor between neighbouring scales (1 for a single scale).
    fn step_ratio(&self) -> f64 {
        if self.steps <= 1 {
            return 1.0;
        }
        #[allow(clippy::cast_precision_loss)]
        let n = (self.steps - 1) as f64;
        (f64::from(self.max) / f64::from(self.min)).powf(1.0 / n)
    }
}

impl Default for ScaleRange {
    fn default() -> Self {
        ScaleRange::single(1.0)
    }
}

impl std::str::FromStr for ScaleRange {
    type Err = MatchError;

    /// `S` (one scale) or `MIN..MAX` (5 steps; use [`ScaleRange::new`] for
    /// another count).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let num = |v: &str| {
            v.trim()
                .parse::<f32>()
                .map_err(|_| MatchError::ScaleRange(format!("`{v}` is not a number")))
        };
        if let Some((a, b)) = s.split_once("..") {
            let (a, b) = (num(a)?, num(b.trim_start_matches('='))?);
            let steps = if (a - b).abs() <= f32::EPSILON { 1 } else { 5 };
            ScaleRange::new(a, b, steps)
        } else {
            let v = num(s)?;
            ScaleRange::new(v, v, 1)
        }
    }
}

/// Search options.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MatchOptions {
    /// A match scores at least this (OpenCV's scale: −1..=1).
    pub threshold: f32,
    pub scales: ScaleRange,
    /// Most matches to return in [`MatchResult::matches`]; 1 looks only
    /// for the best.
    pub max_matches: usize,
    /// Two matches overlapping more than this (intersection over union)
    /// are one; the better is kept.
    pub nms_overlap: f32,
    pub strategy: Strategy,
}

impl Default for MatchOptions {
    fn default() -> Self {
        MatchOptions {
            threshold: 0.9,
            scales: ScaleRange::default(),
            max_matches: 1,
            nms_overlap: 0.3,
            strategy: Strategy::Pyramid,
        }
    }
}

/// A placement of the (scaled) template in the screen.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Match {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
    /// `TM_CCOEFF_NORMED` at full resolution.
    pub score: f32,
    /// The template's scale.
    pub scale: f32,
}

impl Match {
    pub fn rect(&self) -> Rect {
        Rect::new(self.x, self.y, self.width, self.height)
    }

    /// The centre, where a tap would go.
    pub fn center(&self) -> (u32, u32) {
        (self.x + self.width / 2, self.y + self.height / 2)
    }

    fn iou(&self, o: &Match) -> f32 {
        let ix = (self.right().min(o.right())).saturating_sub(self.x.max(o.x));
        let iy = (self.bottom().min(o.bottom())).saturating_sub(self.y.max(o.y));
        let inter = f64::from(ix) * f64::from(iy);
        let union = f64::from(self.width) * f64::from(self.height)
            + f64::from(o.width) * f64::from(o.height)
            - inter;
        #[allow(clippy::cast_possible_truncation)]
        let r = if union > 0.0 {
            (inter / union) as f32
        } else {
            0.0
        };
        r
    }

    fn right(&self) -> u32 {
        self.x.saturating_add(self.width)
    }

    fn bottom(&self) -> u32 {
        self.y.saturating_add(self.height)
    }
}

/// The outcome of a search.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MatchResult {
    /// The best placement found, matched or not.
    pub best: Match,
    /// Matches at or above the threshold after suppression, best first, at
    /// most `max_matches`.
    pub matches: Vec<Match>,
    pub threshold: f32,
}

impl MatchResult {
    pub fn matched(&self) -> bool {
        self.best.score >= self.threshold
    }
}

/// A screenshot prepared for searching: its luma and pyramid.
#[derive(Debug, Clone)]
pub struct Screen {
    levels: Vec<Plane>,
}

impl Screen {
    pub fn new(plane: Plane) -> Result<Self, MatchError> {
        if plane.is_empty() {
            return Err(MatchError::Empty);
        }
        let mut levels = vec![plane];
        while levels.len() <= MAX_LEVEL {
            let Some(next) = levels.last().and_then(Plane::half) else {
                break;
            };
            levels.push(next);
        }
        Ok(Screen { levels })
    }

    pub fn from_gray(img: &GrayImage) -> Result<Self, MatchError> {
        Screen::new(Plane::from_gray(img))
    }

    pub fn from_image(img: &DynamicImage) -> Result<Self, MatchError> {
        Screen::from_gray(&luma(img))
    }

    pub fn width(&self) -> usize {
        self.levels[0].width()
    }

    pub fn height(&self) -> usize {
        self.levels[0].height()
    }
}

/// A template: luma plus an optional 0/1 mask of the pixels that count.
#[derive(Debug, Clone)]
pub struct Template {
    plane: Plane,
    mask: Option<Plane>,
}

impl Template {
    pub fn new(plane: Plane, mask: Option<Plane>) -> Result<Self, MatchError> {
        if plane.is_empty() {
            return Err(MatchError::Empty);
        }
        if let Some(m) = &mask {
            if m.width() != plane.width() || m.height() != plane.height() {
                let d = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
                return Err(MatchError::MaskSize {
                    mask_width: d(m.width()),
                    mask_height: d(m.height()),
                    template_width: d(plane.width()),
                    template_height: d(plane.height()),
                });
            }
            if m.data().iter().all(|&v| v < 0.5) {
                return Err(MatchError::EmptyMask);
            }
        }
        Ok(Template { plane, mask })
    }

    pub fn from_gray(img: &GrayImage) -> Result<Self, MatchError> {
        Template::new(Plane::from_gray(img), None)
    }

    /// A template from an image; its transparent pixels (alpha < 50 %), if
    /// any, are masked out.
    pub fn from_image(img: &DynamicImage) -> Result<Self, MatchError> {
        Template::new(Plane::from_gray(&luma(img)), mask_from_alpha(img))
    }

    /// The same template with `mask` (0/1 values) instead of its own.
    pub fn with_mask(self, mask: Plane) -> Result<Self, MatchError> {
        Template::new(self.plane, Some(mask))
    }

    pub fn width(&self) -> usize {
        self.plane.width()
    }

    pub fn height(&self) -> usize {
        self.plane.height()
    }

    /// The template resized by `scale`, or `None` when it would not fit in
    /// `w`×`h` (or the mask would vanish).
    fn scaled(&self, scale: f32, w: usize, h: usize) -> Option<(Plane, Option<Plane>)> {
        let size = |v: usize| {
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                clippy::cast_precision_loss
            )]
            let s = ((v as f64) * f64::from(scale)).round().max(1.0) as usize;
            s
        };
        let (tw, th) = (size(self.width()), size(self.height()));
        if tw > w || th > h {
            return None;
        }
        let plane = self.plane.resized(tw, th);
        let mask = match &self.mask {
            None => None,
            Some(m) => {
                let m = m.resized(tw, th).map(|v| if v >= 0.5 { 1.0 } else { 0.0 });
                if m.data().iter().all(|&v| v == 0.0) {
                    return None;
                }
                Some(m)
            }
        };
        Some((plane, mask))
    }
}

/// A candidate during the search, in one level's coordinates.
#[derive(Debug, Clone, Copy)]
struct Cand {
    x: usize,
    y: usize,
    score: f32,
}

/// Finds `template` in `screen`. Fails when the options are invalid or the
/// template is larger than the screen at every scale (scales at which it
/// does not fit are skipped).
pub fn find(
    screen: &Screen,
    template: &Template,
    opts: &MatchOptions,
) -> Result<MatchResult, MatchError> {
    if !(-1.0..=1.0).contains(&opts.threshold) {
        return Err(MatchError::Threshold(opts.threshold));
    }
    let scales = ScaleRange::new(opts.scales.min, opts.scales.max, opts.scales.steps)?;
    let mut contexts: Vec<Option<MapContext>> = screen.levels.iter().map(|_| None).collect();
    let mut found: Vec<Match> = Vec::new();
    let mut any_fit = false;
    for scale in scales.values() {
        let Some((plane, mask)) = template.scaled(scale, screen.width(), screen.height()) else {
            continue;
        };
        any_fit = true;
        found.extend(search_scale(
            screen,
            &mut contexts,
            &plane,
            mask.as_ref(),
            scale,
            opts,
        ));
    }
    if !any_fit {
        let d = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        return Err(MatchError::TemplateTooLarge {
            template_width: d(template.width()),
            template_height: d(template.height()),
            screen_width: d(screen.width()),
            screen_height: d(screen.height()),
        });
    }
    sort_matches(&mut found);
    if scales.steps > 1 {
        if let Some(&best) = found.first() {
            if let Some(better) = refine_scale(screen, template, best, &scales) {
                found.insert(0, better);
            }
        }
    }
    let Some(&best) = found.first() else {
        // Unreachable in practice: a fitting scale yields a candidate.
        return Err(MatchError::Empty);
    };
    let matches = suppress(
        found.into_iter().filter(|m| m.score >= opts.threshold),
        opts.nms_overlap,
        opts.max_matches.max(1),
    );
    Ok(MatchResult {
        best,
        matches,
        threshold: opts.threshold,
    })
}

fn sort_matches(v: &mut [Match]) {
    v.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.y.cmp(&b.y))
            .then(a.x.cmp(&b.x))
    });
}

/// Greedy non-maximum suppression of matches sorted best first.
fn suppress(sorted: impl Iterator<Item = Match>, overlap: f32, max: usize) -> Vec<Match> {
    let mut kept: Vec<Match> = Vec::new();
    for m in sorted {
        if kept.len() >= max {
            break;
        }
        if kept.iter().all(|k| k.iou(&m) <= overlap) {
            kept.push(m);
        }
    }
    kept
}

fn to_match(c: Cand, w: usize, h: usize, scale: f32) -> Match {
    let d = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
    Match {
        x: d(c.x),
        y: d(c.y),
        width: d(w),
        height: d(h),
        score: c.score,
        scale,
    }
}

/// The coarsest usable level for a `w`×`h` template of which `share`
/// (0..=1) of the pixels count (the mask).
fn coarse_level(screen: &Screen, w: usize, h: usize, share: f64) -> usize {
    let mut level = 0;
    for l in 1..screen.levels.len() {
        let (tw, th) = (w >> l, h >> l);
        let s = &screen.levels[l];
        #[allow(clippy::cast_precision_loss)]
        let counted = (tw * th) as f64 * share;
        if tw >= MIN_SIDE
            && th >= MIN_SIDE
            && counted >= MIN_AREA
            && tw <= s.width()
            && th <= s.height()
        {
            level = l;
        } else {
            break;
        }
    }
    level
}

fn context<'a>(
    screen: &Screen,
    contexts: &'a mut [Option<MapContext>],
    level: usize,
) -> &'a mut MapContext {
    contexts[level].get_or_insert_with(|| MapContext::new(screen.levels[level].clone()))
}

fn search_scale(
    screen: &Screen,
    contexts: &mut [Option<MapContext>],
    plane: &Plane,
    mask: Option<&Plane>,
    scale: f32,
    opts: &MatchOptions,
) -> Vec<Match> {
    let (w, h) = (plane.width(), plane.height());
    let top = if opts.strategy == Strategy::Exhaustive {
        0
    } else {
        let share = mask.map_or(1.0, |m| {
            #[allow(clippy::cast_precision_loss)]
            let n = m.data().len().max(1) as f64;
            m.data().iter().map(|&v| f64::from(v)).sum::<f64>() / n
        });
        coarse_level(screen, w, h, share)
    };
    // Template pyramid, finest first; stop early if the mask vanishes.
    let mut prepared: Vec<Prepared> = Vec::with_capacity(top + 1);
    let (mut p, mut m) = (plane.clone(), mask.cloned());
    for l in 0..=top {
        if l > 0 {
            let (Some(np), nm) = (p.half(), m.as_ref().map(Plane::half)) else {
                break;
            };
            p = np;
            m = match nm {
                None => None,
                Some(None) => break,
                Some(Some(mm)) => Some(mm.map(|v| if v >= 0.5 { 1.0 } else { 0.0 })),
            };
        }
        let Some(t) = Prepared::new(&p, m.as_ref()) else {
            break;
        };
        prepared.push(t);
    }
    let Some(coarse) = prepared.last() else {
        return Vec::new();
    };
    let top = prepared.len() - 1;
    let Some(map) = coarse.score_map(context(screen, contexts, top)) else {
        return Vec::new();
    };
    let collect_all = opts.max_matches > 1;
    let mut cands = if top == 0 && !collect_all {
        argmax(&map).into_iter().collect()
    } else {
        let floor = if collect_all {
            opts.threshold - if top == 0 { 0.0 } else { COARSE_MARGIN }
        } else {
            f32::NEG_INFINITY
        };
        let cap = if collect_all {
            (opts.max_matches * 4).max(64)
        } else {
            BEST_PEAKS
        };
        let mut peaks = peaks(&map, coarse.width(), coarse.height(), floor, cap);
        if collect_all && top > 0 {
            // Also follow the best few, so that the best is always known.
            for c in self::peaks(
                &map,
                coarse.width(),
                coarse.height(),
                f32::NEG_INFINITY,
                BEST_PEAKS,
            ) {
                if !peaks.iter().any(|p| p.x == c.x && p.y == c.y) {
                    peaks.push(c);
                }
            }
        }
        peaks
    };
    for level in (0..top).rev() {
        let t = &prepared[level];
        let img = &screen.levels[level];
        let Some(all) = Positions::all(img, t.width(), t.height()) else {
            return Vec::new();
        };
        let mut next: Vec<Cand> = Vec::with_capacity(cands.len());
        for c in &cands {
            let r = climb(t, img, all, 2 * c.x, 2 * c.y);
            if !next.iter().any(|n| n.x == r.x && n.y == r.y) {
                next.push(r);
            }
        }
        let best = next
            .iter()
            .map(|c| c.score)
            .fold(f32::NEG_INFINITY, f32::max);
        next.sort_by(|a, b| b.score.total_cmp(&a.score));
        let keep_floor = if collect_all {
            (opts.threshold - COARSE_MARGIN).min(best - PRUNE_GAP)
        } else {
            best - PRUNE_GAP
        };
        let mut kept = 0;
        next.retain(|c| {
            kept += 1;
            kept <= 3 || c.score >= keep_floor
        });
        cands = next;
    }
    cands
        .into_iter()
        .map(|c| to_match(c, w, h, scale))
        .collect()
}

/// The first highest value in raster order, as OpenCV's `minMaxLoc`.
fn argmax(map: &Plane) -> Option<Cand> {
    let mut best: Option<Cand> = None;
    for y in 0..map.height() {
        for (x, &v) in map.row(y).iter().enumerate() {
            if best.is_none_or(|b| v > b.score) {
                best = Some(Cand { x, y, score: v });
            }
        }
    }
    best
}

/// Local maxima at or above `floor`, best first, at most `cap`, no two
/// closer than half the template in both directions.
fn peaks(map: &Plane, tw: usize, th: usize, floor: f32, cap: usize) -> Vec<Cand> {
    let (w, h) = (map.width(), map.height());
    let mut all: Vec<Cand> = Vec::new();
    for y in 0..h {
        for x in 0..w {
            let v = map.get(x, y);
            if v < floor {
                continue;
            }
            let mut is_max = true;
            'n: for ny in y.saturating_sub(1)..=(y + 1).min(h - 1) {
                for nx in x.saturating_sub(1)..=(x + 1).min(w - 1) {
                    if map.get(nx, ny) > v {
                        is_max = false;
                        break 'n;
                    }
                }
            }
            if is_max {
                all.push(Cand { x, y, score: v });
            }
        }
    }
    all.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.y.cmp(&b.y))
            .then(a.x.cmp(&b.x))
    });
    let (dx, dy) = ((tw / 2).max(1), (th / 2).max(1));
    let mut kept: Vec<Cand> = Vec::new();
    for c in all {
        if kept.len() >= cap {
            break;
        }
        if kept
            .iter()
            .all(|k| k.x.abs_diff(c.x) >= dx || k.y.abs_diff(c.y) >= dy)
        {
            kept.push(c);
        }
    }
    kept
}

/// Hill climbing on exact scores from (`x`, `y`): the 3×3 neighbourhood,
/// then moves to the best neighbour until none is better.
fn climb(t: &Prepared, img: &Plane, all: Positions, x: usize, y: usize) -> Cand {
    let mut seen: HashMap<(usize, usize), f32> = HashMap::new();
    let mut cur = (x.min(all.x + all.w - 1), y.min(all.y + all.h - 1));
    let mut cur_score = f32::NEG_INFINITY;
    for _ in 0..32 {
        let signed = |v: usize| isize::try_from(v).unwrap_or(isize::MAX);
        let Some(block) = Positions::around(all, signed(cur.0), signed(cur.1), 1) else {
            break;
        };
        let mut best = (cur, cur_score);
        for yy in block.y..block.y + block.h {
            for xx in block.x..block.x + block.w {
                let s = *seen
                    .entry((xx, yy))
                    .or_insert_with(|| t.score_at(img, xx, yy));
                if s > best.1 {
                    best = ((xx, yy), s);
                }
            }
        }
        if best.0 == cur && cur_score.is_finite() {
            break;
        }
        let moved = best.0 != cur;
        cur = best.0;
        cur_score = best.1;
        if !moved {
            break;
        }
    }
    Cand {
        x: cur.0,
        y: cur.1,
        score: cur_score.max(-1.0),
    }
}

/// Refines the best match's scale between grid points: tries the scales
/// half a step either side, then a quarter, and so on down to 1/64, keeping the centre
/// and climbing to the best position at each. `None` when nothing beats it.
fn refine_scale(
    screen: &Screen,
    template: &Template,
    best: Match,
    range: &ScaleRange,
) -> Option<Match> {
    if best.score >= 0.999 {
        return None;
    }
    let img = &screen.levels[0];
    let mut cur = best;
    let mut factor = range.step_ratio().sqrt();
    let mut improved = false;
    for _ in 0..6 {
        for f in [1.0 / factor, factor] {
            #[allow(clippy::cast_possible_truncation)]
            let s = ((f64::from(cur.scale) * f) as f32).clamp(range.min, range.max);
            if (s - cur.scale).abs() <= f32::EPSILON {
                continue;
            }
            let Some((plane, mask)) = template.scaled(s, screen.width(), screen.height()) else {
                continue;
            };
            let Some(t) = Prepared::new(&plane, mask.as_ref()) else {
                continue;
            };
            let Some(all) = Positions::all(img, t.width(), t.height()) else {
                continue;
            };
            let (cx, cy) = cur.center();
            let x = (i64::from(cx) - i64::try_from(t.width() / 2).unwrap_or(0)).max(0);
            let y = (i64::from(cy) - i64::try_from(t.height() / 2).unwrap_or(0)).max(0);
            let c = climb(
                &t,
                img,
                all,
                usize::try_from(x).unwrap_or(0),
                usize::try_from(y).unwrap_or(0),
            );
            if c.score > cur.score {
                cur = to_match(c, t.width(), t.height(), s);
                improved = true;
            }
        }
        factor = factor.sqrt();
    }
    improved.then_some(cur)
}
