//! The exact coarse-to-fine search: every place whose full-resolution
//! score reaches a threshold `τ` is found, and the pyramid only decides
//! where not to look, by a bound that cannot drop such a place.
//!
//! ## The bound
//! At pyramid level `l` a screen pixel is the mean of an aligned cell of
//! `b = 2^l` pixels a side. A template placed at `p` fully covers a block
//! of `mx × my` cells whatever the phase `d = (b·u − p) mod b` of the
//! placement against the cell grid (`mx = ⌊(w − b + 1) / b⌋`). Let `x̂` be
//! the zero-mean, unit template and `ŷ` the same for the window at `p`:
//! the full score is `⟨x̂, ŷ⟩`, so a score `≥ τ` means `‖x̂ − ŷ‖ ≤ δ` with
//! `δ² = 2(1 − τ)`. Averaging over those cells and removing their mean is
//! an orthogonal projection `Q`, so `‖Qx̂ − Qŷ‖ ≤ δ`. With `a_d = ‖Qx̂‖`
//! (the template's own share of energy at that level and phase), the angle
//! between `Qx̂` and `Qŷ` is at most `asin(δ / a_d)`. One coarse kernel
//! (the template's cell means at a reference phase) is searched; its angle
//! `θ_d` to the cell means at phase `d` is known from the template alone,
//! so the coarse score of a true match is at least
//! `cos(max_d (θ_d + asin(δ / a_d)))`: the level's **floor**. Positions
//! below the floor cannot hold a match; the others are followed down, each
//! to its 2×2 children, to the exact score at full resolution.
//!
//! A textured template has little energy left at a coarse level (small
//! `a_d`) or changes much with the phase (large `θ_d`): its floor there is
//! low or undefined, so its search starts at a finer level. Templates with
//! no usable level are scored everywhere (the exhaustive map).
//!
//! The same holds with a mask: the cells are then those inside the mask
//! at every phase, and the coarse kernel is masked to them.

use super::correlate::Positions;
use super::ncc::{MapContext, Prepared};
use super::plane::{Integral, Plane};

/// Coarse scores this close under a floor are still followed: float error
/// in the coarse correlation must not drop a match.
const FLOOR_SLACK: f64 = 1e-3;
/// Added to `δ²`, for the float error of the full-resolution score.
const DELTA_SLACK: f64 = 1e-6;
/// A level whose floor is under this prunes too little to pay for itself.
const USEFUL_FLOOR: f64 = 0.05;
/// The coarse kernel keeps at least this many cells.
const MIN_CELLS: usize = 4;
/// When more than this share of a level's positions are to be checked one
/// by one, the level's full map is computed instead.
const FULL_MAP_SHARE: usize = 8;

/// What the template looks like at one pyramid level.
#[derive(Debug, Clone)]
pub(crate) struct LevelBound {
    /// The cell means at the reference phase, masked to the common cells.
    kernel: Prepared,
    /// Per phase: (`a_d`, `θ_d`).
    phases: Vec<(f64, f64)>,
}

impl LevelBound {
    /// The template's statistics at `level`; `None` when the level keeps
    /// too few cells or the cell means are flat.
    pub(crate) fn new(t: &Plane, mask: Option<&Plane>, norm2: f64, level: usize) -> Option<Self> {
        let b = 1usize << level;
        let (tw, th) = (t.width(), t.height());
        if level == 0 || tw + 1 < 2 * b || th + 1 < 2 * b || norm2 <= 0.0 {
            return None;
        }
        let (mx, my) = ((tw + 1 - b) / b, (th + 1 - b) / b);
        let sums = Integral::new(t);
        let mask_sums = mask.map(Integral::new);
        // Cells inside the mask at every phase: the union of their
        // placements, (2b − 1) pixels a side, is all inside.
        let span = 2 * b - 1;
        #[allow(clippy::cast_precision_loss)]
        let full = (span * span) as f64;
        let cells: Vec<bool> = (0..my)
            .flat_map(|ky| (0..mx).map(move |kx| (kx, ky)))
            .map(|(kx, ky)| {
                mask_sums
                    .as_ref()
                    .is_none_or(|m| m.window(b * kx, b * ky, span, span).0 >= full - 0.5)
            })
            .collect();
        let count = cells.iter().filter(|&&c| c).count();
        if count < MIN_CELLS {
            return None;
        }
        #[allow(clippy::cast_precision_loss)]
        let area = (b * b) as f64;
        let means = |dx: usize, dy: usize| -> Vec<f64> {
            let mut v = Vec::with_capacity(count);
            for ky in 0..my {
                for kx in 0..mx {
                    if cells[ky * mx + kx] {
                        v.push(sums.window(dx + b * kx, dy + b * ky, b, b).0 / area);
                    }
                }
            }
            v
        };
        let centred = |mut v: Vec<f64>| {
            #[allow(clippy::cast_precision_loss)]
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            for x in &mut v {
                *x -= mean;
            }
            v
        };
        let reference = b / 2;
        let ref_means = means(reference, reference);
        let kernel_plane = {
            let mut data = vec![0.0f32; mx * my];
            let mut it = ref_means.iter();
            for (slot, &inside) in data.iter_mut().zip(&cells) {
                if inside {
                    #[allow(clippy::cast_possible_truncation)]
                    let v = it.next().copied().unwrap_or(0.0) as f32;
                    *slot = v;
                }
            }
            Plane::new(mx, my, data)?
        };
        let cell_mask = (count < cells.len()).then(|| {
            let data = cells.iter().map(|&c| if c { 1.0 } else { 0.0 }).collect();
            Plane::new(mx, my, data)
        });
        let kernel = Prepared::new(&kernel_plane, cell_mask.flatten().as_ref())?;
        if kernel.is_flat() {
            return None;
        }
        let r = centred(ref_means);
        let r_norm = r.iter().map(|v| v * v).sum::<f64>().sqrt();
        let mut phases = Vec::with_capacity(b * b);
        for dy in 0..b {
            for dx in 0..b {
                let c = centred(means(dx, dy));
                let c2: f64 = c.iter().map(|v| v * v).sum();
                let a = (area * c2 / norm2).sqrt();
                let cos = if c2 > 0.0 && r_norm > 0.0 {
                    c.iter().zip(&r).map(|(p, q)| p * q).sum::<f64>() / (c2.sqrt() * r_norm)
                } else {
                    -1.0
                };
                phases.push((a, cos.clamp(-1.0, 1.0).acos()));
            }
        }
        Some(LevelBound { kernel, phases })
    }

    /// The lowest coarse score a place scoring `≥ τ` can have here, for
    /// `δ = √(2(1 − τ))`; `None` when the bound says nothing useful.
    pub(crate) fn floor(&self, delta: f64) -> Option<f64> {
        let mut worst = 0.0f64;
        for &(a, theta) in &self.phases {
            if a <= delta {
                return None;
            }
            worst = worst.max(theta + (delta / a).asin());
        }
        let f = worst.cos();
        (worst < std::f64::consts::FRAC_PI_2 && f >= USEFUL_FLOOR).then_some(f - FLOOR_SLACK)
    }
}

/// A template at one scale, ready for the exact search on one pyramid.
#[derive(Debug, Clone)]
pub(crate) struct Cascade {
    full: Prepared,
    /// Index `l − 1` holds level `l`.
    levels: Vec<Option<LevelBound>>,
}

impl Cascade {
    /// `None` when the template (its mask) selects no pixel.
    pub(crate) fn new(t: &Plane, mask: Option<&Plane>, max_level: usize) -> Option<Self> {
        let full = Prepared::new(t, mask)?;
        let norm2 = full.norm2();
        let levels = if full.is_flat() {
            Vec::new()
        } else {
            (1..=max_level)
                .map(|l| LevelBound::new(t, mask, norm2, l))
                .collect()
        };
        Some(Cascade { full, levels })
    }

    pub(crate) fn width(&self) -> usize {
        self.full.width()
    }

    pub(crate) fn height(&self) -> usize {
        self.full.height()
    }

    /// Every position of `ctxs[0]` whose exact score is at least `tau`,
    /// plus possibly some lower ones that the bound could not rule out, as
    /// `(x, y, score)`. `ctxs[l]` is pyramid level `l` of the screen.
    pub(crate) fn search(&self, ctxs: &mut [MapContext], tau: f32) -> Vec<(usize, usize, f32)> {
        let Some(all0) = Positions::all(&ctxs[0].plane, self.width(), self.height()) else {
            return Vec::new();
        };
        let delta = (2.0 * (1.0 - f64::from(tau)).max(0.0) + DELTA_SLACK).sqrt();
        // floors[l] for l ≥ 1 where the level exists and the kernel fits.
        let floors: Vec<Option<f64>> = std::iter::once(None)
            .chain(self.levels.iter().enumerate().map(|(i, lb)| {
                let l = i + 1;
                let lb = lb.as_ref()?;
                let img = &ctxs.get(l)?.plane;
                Positions::all(img, lb.kernel.width(), lb.kernel.height())?;
                lb.floor(delta)
            }))
            .collect();
        let Some(top) = (1..floors.len()).rev().find(|&l| floors[l].is_some()) else {
            return self.full_map(ctxs, tau, None);
        };
        // Candidates at the top level: the coarse map against its floor.
        let mut cands: Vec<(usize, usize)> = {
            let lb = self.level(top);
            let floor = floors[top].unwrap_or(f64::NEG_INFINITY);
            let Some(map) = lb.kernel.bound_map(&mut ctxs[top]) else {
                return self.full_map(ctxs, tau, None);
            };
            let mut v = Vec::new();
            for y in 0..map.height() {
                for (x, &s) in map.row(y).iter().enumerate() {
                    if f64::from(s) >= floor {
                        v.push((x, y));
                    }
                }
            }
            v
        };
        for l in (1..top).rev() {
            let children = children(&cands);
            cands = match (floors[l], self.levels[l - 1].as_ref()) {
                (Some(floor), Some(lb)) => {
                    let ctx = &mut ctxs[l];
                    let Some(all) =
                        Positions::all(&ctx.plane, lb.kernel.width(), lb.kernel.height())
                    else {
                        return self.full_map(ctxs, tau, None);
                    };
                    let inside = |&(x, y): &(usize, usize)| x < all.w && y < all.h;
                    if children.len() * FULL_MAP_SHARE > all.w * all.h {
                        let Some(map) = lb.kernel.bound_map(ctx) else {
                            return self.full_map(ctxs, tau, None);
                        };
                        children
                            .into_iter()
                            .filter(|c| inside(c) && f64::from(map.get(c.0, c.1)) >= floor)
                            .collect()
                    } else {
                        let children: Vec<(usize, usize)> =
                            children.into_iter().filter(inside).collect();
                        let (img, ii) = ctx.plane_and_built_integral();
                        let sums = lb.kernel.windows(img, ii, &children);
                        children
                            .into_iter()
                            .zip(sums)
                            .filter(|&((x, y), w)| lb.kernel.bound_with(img, x, y, w) >= floor)
                            .map(|(c, _)| c)
                            .collect()
                    }
                }
                _ => children,
            };
            if cands.is_empty() {
                return Vec::new();
            }
        }
        let children: Vec<(usize, usize)> = children(&cands)
            .into_iter()
            .filter(|&(x, y)| x < all0.w && y < all0.h)
            .collect();
        if children.len() * FULL_MAP_SHARE > all0.w * all0.h {
            return self.full_map(ctxs, tau, Some(&children));
        }
        let (img, ii) = ctxs[0].plane_and_built_integral();
        let sums = self.full.windows(img, ii, &children);
        children
            .into_iter()
            .zip(sums)
            .filter_map(|((x, y), w)| {
                let s = self.full.exact_with(img, x, y, w);
                (s >= tau).then_some((x, y, s))
            })
            .collect()
    }

    fn level(&self, l: usize) -> &LevelBound {
        self.levels[l - 1]
            .as_ref()
            .expect("a level with a floor has statistics")
    }

    /// The exact map at full resolution, kept at `≥ tau` (and, when given,
    /// only at `only`).
    fn full_map(
        &self,
        ctxs: &mut [MapContext],
        tau: f32,
        only: Option<&[(usize, usize)]>,
    ) -> Vec<(usize, usize, f32)> {
        let Some(map) = self.full.score_map(&mut ctxs[0]) else {
            return Vec::new();
        };
        if let Some(list) = only {
            return list
                .iter()
                .filter_map(|&(x, y)| {
                    let s = map.get(x, y);
                    (s >= tau).then_some((x, y, s))
                })
                .collect();
        }
        let mut v = Vec::new();
        for y in 0..map.height() {
            for (x, &s) in map.row(y).iter().enumerate() {
                if s >= tau {
                    v.push((x, y, s));
                }
            }
        }
        v
    }
}

/// The positions one level finer that a coarse position stands for: a
/// placement at `p` maps to the coarse `u = ⌈p / b⌉`, so `u` holds the
/// finer `2u − 1` and `2u` on each axis. Distinct coarse positions have
/// distinct children.
fn children(cands: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let mut out = Vec::with_capacity(cands.len() * 4);
    for &(x, y) in cands {
        for cy in [(2 * y).checked_sub(1), Some(2 * y)].into_iter().flatten() {
            for cx in [(2 * x).checked_sub(1), Some(2 * x)].into_iter().flatten() {
                out.push((cx, cy));
            }
        }
    }
    out
}
