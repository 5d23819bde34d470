//! Template search: [`find`] a [`Template`] in a [`Screen`].
//!
//! Each scale of the range is one search: a scale up to 1 shrinks the
//! template, a scale above 1 shrinks the screen (area resampling, kept in
//! the [`Screen`]), so that nothing is ever enlarged. The screen is reduced
//! by 2× per level (box filter) once per size.
//!
//! The default [`Strategy::Pyramid`] has two parts. A quick search follows
//! the best peaks of the coarsest level's map down by hill climbing on
//! exact scores: it usually finds the match, and its score raises the
//! bar for the exact part, [`super::cascade`], which finds every placement
//! scoring at or above the threshold (or the bar) whatever the quick search
//! did. With a range, the best distinct candidates are refined in scale and
//! place, coarse to fine. [`Strategy::Exhaustive`] scores every position at
//! full resolution (direct loops or FFT) and is the reference the default
//! is tested against. Every reported score is the exact full-resolution
//! `TM_CCOEFF_NORMED` value of the images compared.
//!
//! Matches above the threshold go through non-maximum suppression by
//! overlap (intersection over union), across scales.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use image::{DynamicImage, GrayImage};

use super::Rect;
use super::cascade::Cascade;
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
/// The widest factor between neighbouring scales of a range by default.
pub const STEP_RATIO: f64 = 1.1;
/// Coarse peaks followed down by the quick search.
const BEST_PEAKS: usize = 8;
/// A score this close to 1 is a perfect match (float error aside).
const PERFECT: f32 = 1.0 - 1e-5;
/// The bar at which a range's grid is proved first when only the best is
/// wanted: high enough for the cascade to prune nearly everything.
const HIGH_BAR: f32 = 0.99;
/// How far below the best yet a grid scale's best place is still refined.
const REFINE_MARGIN: f32 = 0.05;
/// Candidates the quick search follows below its coarsest level.
const QUICK_KEEP: usize = 3;
/// The best coarse peaks the quick search follows down in any case.
const COARSE_KEEP: usize = 2;
/// Distinct candidates a scale refinement keeps at each stage, coarse to
/// fine (the last width holds for any further stage).
const BEAM: [usize; 4] = [12, 6, 3, 2];
/// Positions scored around a predicted place when refining a scale.
const LOCAL_RADIUS: usize = 2;
/// Phases per axis (fractions of a region pixel) tried for a resampled
/// region.
const PHASES: usize = 2;
/// The relative scale step of a refinement at full resolution; it doubles
/// per pyramid level.
const REFINE_STEP: f64 = 0.01;
/// The coarsest pyramid level a scale refinement starts at.
const REFINE_LEVELS: usize = 3;

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

    /// `min..max` with neighbouring scales at most [`STEP_RATIO`] apart, so
    /// that a template between two steps is off by at most half that: near
    /// enough for its true place to stand out, and then be refined.
    pub fn spanning(min: f32, max: f32) -> Result<Self, MatchError> {
        if (min - max).abs() <= f32::EPSILON {
            return ScaleRange::new(min, max, 1);
        }
        let span = (f64::from(max) / f64::from(min)).ln() / STEP_RATIO.ln();
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let steps = if span.is_finite() && span > 0.0 {
            (span.ceil() as usize + 1).clamp(2, 100)
        } else {
            2
        };
        ScaleRange::new(min, max, steps)
    }

    /// The scales, smallest first; 1 among them when the range holds it.
    pub fn values(&self) -> Vec<f32> {
        if self.steps <= 1 || (self.max - self.min).abs() <= f32::EPSILON {
            return vec![self.min];
        }
        let ratio = self.step_ratio();
        let mut v: Vec<f32> = (0..self.steps)
            .map(|i| {
                #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
                let s = (f64::from(self.min) * ratio.powi(i32::try_from(i).unwrap_or(0))) as f32;
                s.min(self.max)
            })
            .collect();
        // The template's own size is always searched, so that a range finds
        // whatever scale 1 alone finds.
        if (self.min..=self.max).contains(&1.0) && !v.iter().any(|&s| (s - 1.0).abs() < 1e-6) {
            v.push(1.0);
            v.sort_by(f32::total_cmp);
        }
        v
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

    /// `S` (one scale) or `MIN..MAX` (steps from [`ScaleRange::spanning`];
    /// use [`ScaleRange::new`] for another count).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let num = |v: &str| {
            v.trim()
                .parse::<f32>()
                .map_err(|_| MatchError::ScaleRange(format!("`{v}` is not a number")))
        };
        if let Some((a, b)) = s.split_once("..") {
            let (a, b) = (num(a)?, num(b.trim_start_matches('='))?);
            ScaleRange::spanning(a, b)
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

/// A screenshot prepared for searching: its luma pyramid, and the
/// downscaled copies that scales above 1 search, made on first use and
/// kept for every later search of the same screen.
#[derive(Clone)]
pub struct Screen {
    base: Arc<Pyramid>,
    resampled: Arc<Mutex<Shrunk>>,
}

/// Shrunk copies of a screen by their size.
type Shrunk = HashMap<(usize, usize), Arc<Pyramid>>;

impl std::fmt::Debug for Screen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Screen")
            .field("width", &self.base.width)
            .field("height", &self.base.height)
            .finish_non_exhaustive()
    }
}

/// One image and its 2× pyramid, each level with the data that score maps
/// share (integral image, spectra), computed on first use.
struct Pyramid {
    width: usize,
    height: usize,
    levels: Mutex<Vec<MapContext>>,
}

impl Pyramid {
    fn new(plane: Plane) -> Self {
        let (width, height) = (plane.width(), plane.height());
        let mut levels = vec![plane];
        while levels.len() <= MAX_LEVEL {
            let Some(next) = levels.last().and_then(Plane::half) else {
                break;
            };
            levels.push(next);
        }
        Pyramid {
            width,
            height,
            levels: Mutex::new(levels.into_iter().map(MapContext::new).collect()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<MapContext>> {
        self.levels.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Screen {
    pub fn new(plane: Plane) -> Result<Self, MatchError> {
        if plane.is_empty() {
            return Err(MatchError::Empty);
        }
        Ok(Screen {
            base: Arc::new(Pyramid::new(plane)),
            resampled: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    pub fn from_gray(img: &GrayImage) -> Result<Self, MatchError> {
        Screen::new(Plane::from_gray(img))
    }

    pub fn from_image(img: &DynamicImage) -> Result<Self, MatchError> {
        Screen::from_gray(&luma(img))
    }

    pub fn width(&self) -> usize {
        self.base.width
    }

    pub fn height(&self) -> usize {
        self.base.height
    }

    /// The screen's finest two levels, for [`Screen::shrunk`] to read
    /// without holding the pyramid while another thread searches it.
    fn sources(&self) -> Vec<Plane> {
        self.base
            .lock()
            .iter()
            .take(2)
            .map(|c| c.plane.clone())
            .collect()
    }

    /// The screen shrunk by `1 / scale` (for a scale above 1), by area
    /// resampling from the finest of `sources` (the screen's levels) that
    /// is still larger.
    fn shrunk(&self, scale: f32, sources: &[Plane]) -> Option<Arc<Pyramid>> {
        let size = |v: usize| {
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                clippy::cast_precision_loss
            )]
            let s = ((v as f64) / f64::from(scale)).floor() as usize;
            s
        };
        let (w, h) = (size(self.width()), size(self.height()));
        if w == 0 || h == 0 {
            return None;
        }
        let cached = |size| {
            self.resampled
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&size)
                .cloned()
        };
        if let Some(p) = cached((w, h)) {
            return Some(p);
        }
        // Resampled outside the cache's lock, so that another thread can
        // shrink the screen to another size meanwhile.
        let src = sources
            .iter()
            .rev()
            .find(|p| p.width() >= w && p.height() >= h)
            .or(sources.first())?;
        let p = Arc::new(Pyramid::new(src.resized(w, h)));
        self.resampled
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry((w, h))
            .or_insert_with(|| Arc::clone(&p));
        Some(p)
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

/// One scale's search: the template as searched, the pyramid it is
/// searched in, and the factor from that pyramid's pixels to the screen's.
struct Job {
    scale: f32,
    pyramid: Arc<Pyramid>,
    plane: Plane,
    mask: Option<Plane>,
    factor: f64,
}

impl Job {
    /// Where a placement found in the job's pyramid lies on the screen.
    fn to_match(&self, c: Cand, screen: &Screen) -> Match {
        let (w, h) = (self.plane.width(), self.plane.height());
        place(c, w, h, self.factor, screen, self.scale)
    }
}

/// A placement at `c` of a `w`×`h` template in an image `factor` times
/// smaller than the screen, in screen pixels.
fn place(c: Cand, w: usize, h: usize, factor: f64, screen: &Screen, scale: f32) -> Match {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let up = |v: usize| ((v as f64) * factor).round() as usize;
    let (mw, mh) = (up(w).min(screen.width()), up(h).min(screen.height()));
    let x = up(c.x).min(screen.width() - mw);
    let y = up(c.y).min(screen.height() - mh);
    to_match(
        Cand {
            x,
            y,
            score: c.score,
        },
        mw,
        mh,
        scale,
    )
}

/// The search for one scale: a scale up to 1 shrinks the template; a scale
/// above 1 shrinks the screen instead, since enlarging a small template
/// cannot restore the detail it lacks. `None` when it does not fit.
fn job(screen: &Screen, template: &Template, scale: f32, sources: &[Plane]) -> Option<Job> {
    if scale <= 1.0 {
        let (plane, mask) = template.scaled(scale, screen.width(), screen.height())?;
        return Some(Job {
            scale,
            pyramid: Arc::clone(&screen.base),
            plane,
            mask,
            factor: 1.0,
        });
    }
    let pyramid = screen.shrunk(scale, sources)?;
    if template.width() > pyramid.width || template.height() > pyramid.height {
        return None;
    }
    #[allow(clippy::cast_precision_loss)]
    let factor = screen.width() as f64 / pyramid.width as f64;
    Some(Job {
        scale,
        pyramid,
        plane: template.plane.clone(),
        mask: template.mask.clone(),
        factor,
    })
}

/// Finds `template` in `screen`. Fails when the options are invalid or the
/// template is larger than the screen at every scale (scales at which it
/// does not fit are skipped).
///
/// Every placement at a searched scale whose score reaches the threshold
/// is found by either strategy (see [`super::cascade`]); below the
/// threshold, `best` is the best place the search looked at. Between the
/// scale steps, the best candidates' scales are refined.
pub fn find(
    screen: &Screen,
    template: &Template,
    opts: &MatchOptions,
) -> Result<MatchResult, MatchError> {
    if !(-1.0..=1.0).contains(&opts.threshold) {
        return Err(MatchError::Threshold(opts.threshold));
    }
    let scales = ScaleRange::new(opts.scales.min, opts.scales.max, opts.scales.steps)?;
    // Nearest to 1 first in each kind: the likeliest to hold the match,
    // whose score then raises the bar for the rest.
    let (mut own, shrunk): (Vec<f32>, Vec<f32>) =
        scales.values().into_iter().partition(|&s| s <= 1.0);
    own.reverse();
    let sources = if shrunk.is_empty() {
        Vec::new()
    } else {
        screen.sources()
    };
    // Scales up to 1 search the screen's own pyramid, each scale above 1
    // its own shrunk copy. One thread takes the first kind, then helps with
    // the second; the other takes only the second, so the two never wait
    // on the same pyramid. First the quick search, whose best raises the
    // bar, then the exact one.
    let two = !own.is_empty() && !shrunk.is_empty();
    let (next_own, next_shrunk) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let (a, b) = side_by_side(
        two,
        || {
            first_pass(
                screen,
                template,
                &[(&own, &next_own), (&shrunk, &next_shrunk)],
                &sources,
                opts,
            )
        },
        || first_pass(screen, template, &[(&shrunk, &next_shrunk)], &sources, opts),
    );
    if a.jobs.is_empty() && b.jobs.is_empty() {
        let d = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        return Err(MatchError::TemplateTooLarge {
            template_width: d(template.width()),
            template_height: d(template.height()),
            screen_width: d(screen.width()),
            screen_height: d(screen.height()),
        });
    }
    let mut quick: Vec<Match> = a.quick.iter().chain(&b.quick).copied().collect();
    sort_matches(&mut quick);
    let jobs: Vec<&Job> = a.jobs.iter().chain(&b.jobs).collect();
    let best_only = opts.max_matches <= 1;
    let range = scales.steps > 1;
    let top = |v: &[Match]| v.first().map_or(f32::NEG_INFINITY, |m| m.score);
    let mut exact: Vec<Match> = a.exact.iter().chain(&b.exact).copied().collect();
    let mut refined = Vec::new();
    if opts.strategy == Strategy::Exhaustive {
        if range && top(&quick) < 0.999 {
            refined = refine_scales(screen, template, &quick, &scales);
        }
    } else {
        // When only the best of a range is wanted, the grid is first proved
        // at a high bar, which is cheap and usually settles it. If it does
        // not, the candidates are refined between the grid scales, and the
        // grid is proved again down to just below the best yet.
        let floor = top(&quick).max(opts.threshold);
        let high = if best_only && range {
            floor.max(HIGH_BAR)
        } else if best_only {
            floor
        } else {
            opts.threshold
        };
        exact = exact_search(screen, two, &jobs, high, best_only);
        sort_matches(&mut exact);
        let mut best_yet = top(&quick).max(top(&exact));
        if range && best_yet < 0.999 {
            let cands: Vec<Match> = exact.iter().chain(&quick).copied().collect();
            refined = refine_scales(screen, template, &cands, &scales);
            sort_matches(&mut refined);
            best_yet = best_yet.max(top(&refined));
        }
        // The second proof also collects, per grid scale, the best place
        // within `REFINE_MARGIN` of the best yet: the quick search can miss
        // a scale's best, and on a grid too coarse for the template the
        // true place, off the grid, may score just below a look-alike.
        if range && best_only && best_yet < PERFECT {
            let low = (best_yet - REFINE_MARGIN).max(opts.threshold);
            if low < high {
                let mut more = exact_search(screen, two, &jobs, low, false);
                sort_matches(&mut more);
                let mut seeds: Vec<Match> = Vec::new();
                for m in &more {
                    if m.score < 0.999
                        && !seeds.iter().any(|s| s.scale.to_bits() == m.scale.to_bits())
                    {
                        seeds.push(*m);
                    }
                }
                if !seeds.is_empty() {
                    refined.extend(refine_scales(screen, template, &seeds, &scales));
                }
                exact.extend(
                    more.into_iter()
                        .filter(|m| m.score >= best_yet.max(opts.threshold)),
                );
            }
        }
    }
    let mut found = exact;
    found.append(&mut quick);
    found.append(&mut refined);
    sort_matches(&mut found);
    // The searches often land on the same place.
    found.dedup_by(|a, b| a.rect() == b.rect() && a.scale.to_bits() == b.scale.to_bits());
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

/// One half of the scales after the quick search (or, when exhaustive,
/// the whole search).
struct Pass {
    jobs: Vec<Job>,
    /// The best coarse peaks followed down (when exhaustive, each scale's
    /// best place): the best place when nothing matches, and the bar for
    /// the exact search.
    quick: Vec<Match>,
    /// Placements at or above the threshold (when exhaustive).
    exact: Vec<Match>,
}

/// Takes items from each `(list, next)` queue in turn until it is
/// empty; `next` is shared with the other thread.
fn drain<'a, T>(queues: &[(&'a [T], &AtomicUsize)]) -> impl Iterator<Item = &'a T> {
    queues.iter().flat_map(|&(list, next)| {
        std::iter::from_fn(move || list.get(next.fetch_add(1, Ordering::Relaxed)))
    })
}

fn first_pass(
    screen: &Screen,
    template: &Template,
    queues: &[(&[f32], &AtomicUsize)],
    sources: &[Plane],
    opts: &MatchOptions,
) -> Pass {
    let mut pass = Pass {
        jobs: Vec::new(),
        quick: Vec::new(),
        exact: Vec::new(),
    };
    for &scale in drain(queues) {
        let Some(j) = job(screen, template, scale, sources) else {
            continue;
        };
        {
            let mut levels = j.pyramid.lock();
            if opts.strategy == Strategy::Exhaustive {
                let Some(t) = Prepared::new(&j.plane, j.mask.as_ref()) else {
                    continue;
                };
                let Some(map) = t.score_map(&mut levels[0]) else {
                    continue;
                };
                if let Some(c) = argmax(&map) {
                    pass.quick.push(j.to_match(c, screen));
                }
                for y in 0..map.height() {
                    for (x, &score) in map.row(y).iter().enumerate() {
                        if score >= opts.threshold {
                            pass.exact.push(j.to_match(Cand { x, y, score }, screen));
                        }
                    }
                }
            } else {
                pass.quick.extend(
                    follow_peaks(&mut levels, &j.plane, j.mask.as_ref())
                        .into_iter()
                        .map(|c| j.to_match(c, screen)),
                );
            }
        }
        pass.jobs.push(j);
    }
    pass
}

/// The lowest score the exact search still looks for, shared by the
/// threads: when only the best is wanted, each match found raises it.
struct Bar {
    score: Mutex<f32>,
    best_only: bool,
}

impl Bar {
    fn new(score: f32, best_only: bool) -> Self {
        Bar {
            score: Mutex::new(score),
            best_only,
        }
    }

    fn get(&self) -> f32 {
        *self.score.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn raise(&self, found: f32) {
        if self.best_only {
            let mut s = self.score.lock().unwrap_or_else(PoisonError::into_inner);
            *s = s.max(found);
        }
    }

    /// Nothing scores above 1: once the best is perfect, the rest could
    /// only tie.
    fn settled(&self) -> bool {
        self.best_only && self.get() >= PERFECT
    }
}

/// The exact search of every job at `bar` (raised by each match when only
/// the best is wanted), on two threads when `two`: scales up to 1 share
/// the screen's own pyramid and each shrunk one has its own, so one thread
/// takes the first kind, then helps with the second, and the other takes
/// only the second.
fn exact_search(
    screen: &Screen,
    two: bool,
    jobs: &[&Job],
    bar: f32,
    best_only: bool,
) -> Vec<Match> {
    let (own, shrunk): (Vec<&Job>, Vec<&Job>) = jobs
        .iter()
        .copied()
        .partition(|j| Arc::ptr_eq(&j.pyramid, &screen.base));
    let (next_own, next_shrunk) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let bar = Bar::new(bar, best_only);
    let (mut a, b) = side_by_side(
        two,
        || exact_pass(screen, &[(&own, &next_own), (&shrunk, &next_shrunk)], &bar),
        || exact_pass(screen, &[(&shrunk, &next_shrunk)], &bar),
    );
    a.extend(b);
    a
}

/// The exact search of the jobs taken from the queues, each at the bar as
/// it stands when the job starts.
fn exact_pass(screen: &Screen, queues: &[(&[&Job], &AtomicUsize)], bar: &Bar) -> Vec<Match> {
    let mut out = Vec::new();
    for j in drain(queues) {
        if bar.settled() {
            break;
        }
        let Some(c) = Cascade::new(&j.plane, j.mask.as_ref(), MAX_LEVEL) else {
            continue;
        };
        let mut levels = j.pyramid.lock();
        let found = c.search(&mut levels, bar.get());
        if let Some(best) = found.iter().map(|f| f.2).reduce(f32::max) {
            bar.raise(best);
        }
        out.extend(
            found
                .into_iter()
                .map(|(x, y, score)| j.to_match(Cand { x, y, score }, screen)),
        );
    }
    out
}

/// Runs `a` here and, when `two`, `b` on a second thread (scoped: both
/// end before this returns; a panic in `b` is resumed here).
fn side_by_side<T: Send>(two: bool, a: impl FnOnce() -> T, b: impl FnOnce() -> T + Send) -> (T, T) {
    if !two {
        return (a(), b());
    }
    std::thread::scope(|scope| {
        let hb = scope.spawn(b);
        let ra = a();
        let rb = hb.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        (ra, rb)
    })
}

fn sort_matches(v: &mut [Match]) {
    v.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.y.cmp(&b.y))
            .then(a.x.cmp(&b.x))
            .then(a.scale.total_cmp(&b.scale))
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
fn coarse_level(levels: &[MapContext], w: usize, h: usize, share: f64) -> usize {
    let mut level = 0;
    for (l, ctx) in levels.iter().enumerate().skip(1) {
        let (tw, th) = (w >> l, h >> l);
        #[allow(clippy::cast_precision_loss)]
        let counted = (tw * th) as f64 * share;
        if tw >= MIN_SIDE
            && th >= MIN_SIDE
            && counted >= MIN_AREA
            && tw <= ctx.plane.width()
            && th <= ctx.plane.height()
        {
            level = l;
        } else {
            break;
        }
    }
    level
}

/// The quick, inexact part: the best peaks of the coarsest level's map,
/// each followed down by hill climbing on exact scores. Fast, and usually
/// right, but it can miss a peak; [`Cascade::search`] cannot.
fn follow_peaks(levels: &mut [MapContext], plane: &Plane, mask: Option<&Plane>) -> Vec<Cand> {
    let (w, h) = (plane.width(), plane.height());
    let share = mask.map_or(1.0, |m| {
        #[allow(clippy::cast_precision_loss)]
        let n = m.data().len().max(1) as f64;
        m.data().iter().map(|&v| f64::from(v)).sum::<f64>() / n
    });
    let top = coarse_level(levels, w, h, share);
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
    let Some(map) = coarse.score_map(&mut levels[top]) else {
        return Vec::new();
    };
    let coarse_peaks = if top == 0 {
        argmax(&map).into_iter().collect()
    } else {
        peaks(&map, coarse.width(), coarse.height(), BEST_PEAKS)
    };
    // Each candidate keeps the rank of the coarse peak it came from: the
    // best coarse peaks are followed down whatever their finer scores,
    // since at a scale a little off the true one the true place leads the
    // coarse map but not the fine one, and it is the seed a range refines.
    let mut cands: Vec<(Cand, usize)> = coarse_peaks.into_iter().zip(0..).collect();
    for level in (0..top).rev() {
        let t = &prepared[level];
        let img = &levels[level].plane;
        let Some(all) = Positions::all(img, t.width(), t.height()) else {
            return Vec::new();
        };
        let mut next: Vec<(Cand, usize)> = Vec::with_capacity(cands.len());
        for &(c, rank) in &cands {
            let r = climb(t, img, all, 2 * c.x, 2 * c.y);
            if !next.iter().any(|(n, _)| n.x == r.x && n.y == r.y) {
                next.push((r, rank));
            }
        }
        next.sort_by(|a, b| b.0.score.total_cmp(&a.0.score));
        let mut kept = 0;
        next.retain(|&(_, rank)| {
            kept += 1;
            kept <= QUICK_KEEP || rank < COARSE_KEEP
        });
        cands = next;
    }
    cands.into_iter().map(|(c, _)| c).collect()
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

/// Local maxima, best first, at most `cap`, no two closer than half the
/// template in both directions.
fn peaks(map: &Plane, tw: usize, th: usize, cap: usize) -> Vec<Cand> {
    let (w, h) = (map.width(), map.height());
    let mut all: Vec<Cand> = Vec::new();
    for y in 0..h {
        for x in 0..w {
            let v = map.get(x, y);
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

/// The best placement of `t` in `img` near the top-left corner
/// (`x`, `y`): every position within `LOCAL_RADIUS`, then hill climbing.
fn local_best(t: &Prepared, img: &Plane, x: f64, y: f64) -> Option<Cand> {
    let all = Positions::all(img, t.width(), t.height())?;
    #[allow(clippy::cast_possible_truncation)]
    let (cx, cy) = (x.round() as isize, y.round() as isize);
    let block = Positions::around(all, cx, cy, LOCAL_RADIUS).or_else(|| {
        let signed = |v: usize| isize::try_from(v).unwrap_or(isize::MAX);
        let (nx, ny) = (
            cx.clamp(0, signed(all.w) - 1),
            cy.clamp(0, signed(all.h) - 1),
        );
        Positions::around(all, nx, ny, LOCAL_RADIUS)
    })?;
    let mut best = Cand {
        x: block.x,
        y: block.y,
        score: f32::NEG_INFINITY,
    };
    for yy in block.y..block.y + block.h {
        for xx in block.x..block.x + block.w {
            let s = t.score_at(img, xx, yy);
            if s > best.score {
                best = Cand {
                    x: xx,
                    y: yy,
                    score: s,
                };
            }
        }
    }
    Some(climb(t, img, all, best.x, best.y))
}

/// The best placement of `template` at `scale` around the screen point
/// (`cx`, `cy`), compared at pyramid `level` of a region of the screen
/// around the point. The right side is resampled: the template for a
/// scale up to 1, the region for a scale above 1. Returns the placement in
/// screen pixels and its score at `level` (at level 0, the exact score).
fn try_scale(
    screen: &Screen,
    template: &Template,
    scale: f32,
    centre: (f64, f64),
    level: usize,
) -> Option<Match> {
    // Unless the region is the screen itself, its sampling grid has a
    // phase that matters as much as the scale: a few phases are tried.
    let n = if level == 0 && scale <= 1.0 {
        1
    } else {
        PHASES
    };
    let mut best: Option<Match> = None;
    for py in 0..n {
        for px in 0..n {
            #[allow(clippy::cast_precision_loss)]
            let phase = (px as f64 / n as f64, py as f64 / n as f64);
            if let Some(m) = try_phase(screen, template, scale, centre, level, phase) {
                if best.is_none_or(|b| m.score > b.score) {
                    best = Some(m);
                }
            }
        }
    }
    best
}

/// [`try_scale`] with the region's sampling grid moved by a fraction
/// (`px`, `py`) of one of its pixels. The region is shrunk by exactly
/// the scale (above 1) times `2^level` on both axes, from a fractional
/// origin; the template is halved `level` times.
fn try_phase(
    screen: &Screen,
    template: &Template,
    scale: f32,
    (cx, cy): (f64, f64),
    level: usize,
    (px, py): (f64, f64),
) -> Option<Match> {
    #[allow(clippy::cast_precision_loss)]
    let f = |v: usize| v as f64;
    let (mut plane, mut mask) = if scale <= 1.0 {
        template.scaled(scale, screen.width(), screen.height())?
    } else {
        (template.plane.clone(), template.mask.clone())
    };
    // Screen pixels per region pixel: the scale (when the region is the
    // shrunk side), doubled per pyramid level.
    let k = f64::from(scale).max(1.0);
    let unit = k * f(1 << level);
    let (half_w, half_h) = (f(plane.width()) * k / 2.0, f(plane.height()) * k / 2.0);
    let margin = (f(LOCAL_RADIUS) + 4.0) * unit + 8.0;
    let (sw, sh) = (f(screen.width()), f(screen.height()));
    let x0 = ((cx - half_w - margin).max(0.0).floor() + px * unit).min(sw);
    let y0 = ((cy - half_h - margin).max(0.0).floor() + py * unit).min(sh);
    let x1 = (cx + half_w + margin).ceil().min(sw);
    let y1 = (cy + half_h + margin).ceil().min(sh);
    for _ in 0..level {
        plane = plane.half()?;
        mask = match mask.map(|m| m.half()) {
            None => None,
            Some(None) => return None,
            Some(Some(m)) => Some(m.map(|v| if v >= 0.5 { 1.0 } else { 0.0 })),
        };
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let (rw, rh) = (
        ((x1 - x0) / unit).floor() as usize,
        ((y1 - y0) / unit).floor() as usize,
    );
    if rw < plane.width() || rh < plane.height() {
        return None;
    }
    let region = {
        let levels = screen.base.lock();
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let (ix, iy) = (x0.floor() as usize, y0.floor() as usize);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let (iw, ih) = ((x1.ceil() as usize) - ix, (y1.ceil() as usize) - iy);
        let crop = levels[0].plane.crop(ix, iy, iw, ih);
        if unit > 1.0 {
            crop.resampled((x0 - f(ix), y0 - f(iy)), unit, rw, rh)
        } else {
            crop
        }
    };
    let t = Prepared::new(&plane, mask.as_ref())?;
    let c = local_best(
        &t,
        &region,
        (cx - x0) / unit - f(t.width()) / 2.0,
        (cy - y0) / unit - f(t.height()) / 2.0,
    )?;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let px_of = |v: f64| v.round().max(0.0) as usize;
    let (mw, mh) = (
        px_of(f(t.width()) * unit).min(screen.width()),
        px_of(f(t.height()) * unit).min(screen.height()),
    );
    let x = px_of(x0 + f(c.x) * unit).min(screen.width() - mw);
    let y = px_of(y0 + f(c.y) * unit).min(screen.height() - mh);
    Some(to_match(
        Cand {
            x,
            y,
            score: c.score,
        },
        mw,
        mh,
        scale,
    ))
}

fn centre(m: &Match) -> (f64, f64) {
    (
        f64::from(m.x) + f64::from(m.width) / 2.0,
        f64::from(m.y) + f64::from(m.height) / 2.0,
    )
}

/// The coarsest level at which a refinement compares the template: it
/// keeps at least `MIN_SIDE` pixels a side there.
fn refine_level(template: &Template, scale: f32) -> usize {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let side =
        (template.width().min(template.height()) as f64 * f64::from(scale.min(1.0))) as usize;
    (0..=REFINE_LEVELS)
        .rev()
        .find(|&l| side >> l >= MIN_SIDE)
        .unwrap_or(0)
}

/// Refines candidates' scales between grid points, coarse to fine, as a
/// beam: every candidate is compared again at the coarse level (where a
/// template a little off in scale still scores well; at full resolution
/// fine text decorrelates within 2 % of scale), the best distinct ones are
/// kept, and each stage refines them one level finer and keeps fewer, so
/// that a look-alike that happens to sit on a grid scale cannot crowd out
/// the true place between two. The last stage is at full resolution, so
/// the results carry exact scores.
fn refine_scales(
    screen: &Screen,
    template: &Template,
    cands: &[Match],
    range: &ScaleRange,
) -> Vec<Match> {
    // Candidates are ranked by their scores at one level, and a template
    // of a few pixels scores well anywhere: the level is one at which
    // every candidate keeps `MIN_SIDE`.
    let top = cands
        .iter()
        .map(|m| refine_level(template, m.scale))
        .min()
        .unwrap_or(0);
    // The first beam: half the best by their score at the coarse level,
    // half the best by their own full-resolution score (`cands` is sorted),
    // since a coarse level can blur look-alikes into the true place, and
    // the best of each grid scale, since on a grid too coarse for a small
    // template the true place can score below look-alikes at every grid
    // scale, yet lead its own.
    let mut coarse: Vec<Match> = cands
        .iter()
        .filter_map(|m| try_scale(screen, template, m.scale, centre(m), top))
        .collect();
    sort_matches(&mut coarse);
    let half = BEAM[0] / 2;
    let mut beam = suppress(coarse.iter().copied(), 0.3, half);
    beam.extend(suppress(cands.iter().copied(), 0.3, half));
    let mut scales_seen = Vec::new();
    for m in &coarse {
        if !scales_seen.contains(&m.scale.to_bits()) {
            scales_seen.push(m.scale.to_bits());
            beam.push(*m);
        }
    }
    sort_matches(&mut beam);
    beam.dedup_by(|a, b| a.rect() == b.rect() && a.scale.to_bits() == b.scale.to_bits());
    for (stage, level) in (0..=top).rev().enumerate() {
        if stage > 0 {
            let width = BEAM.get(stage).copied().unwrap_or(BEAM[BEAM.len() - 1]);
            sort_matches(&mut beam);
            beam = suppress(beam.into_iter(), 0.3, width);
        }
        // Each candidate is refined on its own: two threads share them.
        let next = AtomicUsize::new(0);
        let work = || {
            drain(&[(beam.as_slice(), &next)])
                .filter_map(|&m| refine_at(screen, template, m, level, range))
                .collect::<Vec<_>>()
        };
        let (mut a, b) = side_by_side(beam.len() > 1, work, work);
        a.extend(b);
        beam = a;
    }
    beam
}

/// One level of a scale refinement: scans scales around the candidate's in
/// steps that suit the level (`2^l` %), then half and a quarter of that,
/// keeping the best place at each.
fn refine_at(
    screen: &Screen,
    template: &Template,
    start: Match,
    level: usize,
    range: &ScaleRange,
) -> Option<Match> {
    let mut cur = try_scale(screen, template, start.scale, centre(&start), level)?;
    #[allow(clippy::cast_precision_loss)]
    let mut step = REFINE_STEP * f64::from(1u32 << level);
    // A coarse level leaves the scale uncertain by more than its own step:
    // the first scan at a level above 0 reaches twice as far.
    let first = if level == 0 { 3 } else { 6 };
    let at = |base: &Match, step: f64, j: i32| {
        #[allow(clippy::cast_possible_truncation)]
        let s = ((f64::from(base.scale) * (1.0 + step).powi(j)) as f32).clamp(range.min, range.max);
        if (s - base.scale).abs() <= f32::EPSILON {
            return None;
        }
        try_scale(screen, template, s, centre(base), level)
    };
    for (round, reach) in [first, 1, 1].into_iter().enumerate() {
        let base = cur;
        let mut best_j = 0;
        for j in (-reach..=reach).filter(|&j| j != 0) {
            if let Some(m) = at(&base, step, j) {
                if m.score > cur.score {
                    cur = m;
                    best_j = j;
                }
            }
        }
        // Still rising at the end of the first scan: go on that way while
        // it rises, as far again.
        if round == 0 && best_j.abs() == reach {
            for j in (reach + 1..=2 * reach).map(|j| j * best_j.signum()) {
                match at(&base, step, j) {
                    Some(m) if m.score > cur.score => cur = m,
                    _ => break,
                }
            }
        }
        step /= 2.0;
    }
    Some(cur)
}
