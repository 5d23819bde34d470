//! The match score: normalized cross-correlation with mean subtraction,
//! the same measure as OpenCV's `TM_CCOEFF_NORMED`:
//!
//! `R(x,y) = Σ T'·I' / sqrt(Σ T'² · Σ I'²)` with `T' = T − mean(T)` and
//! `I' = I − mean(window)`, both over the mask when there is one (a binary
//! mask: OpenCV's masked `TM_CCOEFF_NORMED` with 0/1 weights).
//!
//! Since `Σ T' = 0`, the numerator is the plain correlation of the image
//! with the zero-mean template; the window terms come from integral images
//! (no mask) or from correlations with the mask. A flat window (no variance)
//! scores 0 against a textured template. A flat template has no
//! correlation, so it scores windows by flatness and level instead:
//! `1 − (|mean(window) − mean(T)| + std(window)) / 255`, in 0..=1.

use super::correlate::{self, Positions, Spectrum};
use super::plane::{Integral, Plane};

/// Window variance (per pixel) under which a window counts as flat.
const FLAT_VARIANCE: f64 = 1e-3;

/// A template ready for scoring.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    /// `mask · (T − mean)`.
    zero_mean: Plane,
    mask: Option<Plane>,
    n: f64,
    mean: f64,
    norm2: f64,
}

impl Prepared {
    /// `None` when the mask selects no pixel. A mask with every pixel set is
    /// dropped (it changes nothing and costs two correlations).
    pub(crate) fn new(t: &Plane, mask: Option<&Plane>) -> Option<Self> {
        let mask = mask.filter(|m| m.data().contains(&0.0));
        let (mut n, mut sum) = (0.0f64, 0.0f64);
        for (i, &v) in t.data().iter().enumerate() {
            let m = mask.map_or(1.0, |m| f64::from(m.data()[i]));
            n += m;
            sum += m * f64::from(v);
        }
        if n < 0.5 {
            return None;
        }
        let mean = sum / n;
        let mut norm2 = 0.0f64;
        let zero_mean = match mask {
            None => t.map(|v| {
                #[allow(clippy::cast_possible_truncation)]
                let d = (f64::from(v) - mean) as f32;
                d
            }),
            Some(m) => {
                let data = t
                    .data()
                    .iter()
                    .zip(m.data())
                    .map(|(&v, &mv)| {
                        #[allow(clippy::cast_possible_truncation)]
                        let d = if mv == 0.0 {
                            0.0
                        } else {
                            (f64::from(v) - mean) as f32
                        };
                        d
                    })
                    .collect();
                Plane::new(t.width(), t.height(), data)?
            }
        };
        for &v in zero_mean.data() {
            norm2 += f64::from(v) * f64::from(v);
        }
        Some(Prepared {
            zero_mean,
            mask: mask.cloned(),
            n,
            mean,
            norm2,
        })
    }

    pub(crate) fn width(&self) -> usize {
        self.zero_mean.width()
    }

    pub(crate) fn height(&self) -> usize {
        self.zero_mean.height()
    }

    /// `Σ T'²` over the mask.
    pub(crate) fn norm2(&self) -> f64 {
        self.norm2
    }

    /// Whether the template has (practically) no variance.
    pub(crate) fn is_flat(&self) -> bool {
        self.norm2 <= self.n * FLAT_VARIANCE
    }

    /// The score from the numerator `Σ T'·I` and the window sums `Σ I`,
    /// `Σ I²` (over the mask). Always finite, in −1..=1.
    pub(crate) fn finish(&self, num: f64, s1: f64, s2: f64) -> f32 {
        let n = self.n;
        let var_sum = (s2 - s1 * s1 / n).max(0.0);
        let r = if self.is_flat() {
            let level = (s1 / n - self.mean).abs();
            let spread = (var_sum / n).sqrt();
            (1.0 - (level + spread) / 255.0).clamp(0.0, 1.0)
        } else if var_sum <= n * FLAT_VARIANCE {
            0.0
        } else {
            (num / (var_sum * self.norm2).sqrt()).clamp(-1.0, 1.0)
        };
        #[allow(clippy::cast_possible_truncation)]
        let r = r as f32;
        if r.is_finite() { r } else { 0.0 }
    }

    /// The exact score with the template's top-left corner at (`x`, `y`);
    /// the template must fit there.
    pub(crate) fn score_at(&self, img: &Plane, x: usize, y: usize) -> f32 {
        let (mut num, mut s1, mut s2) = (0.0f64, 0.0f64, 0.0f64);
        let w = self.width();
        for j in 0..self.height() {
            let irow = &img.row(y + j)[x..x + w];
            let (d, a, b) = match &self.mask {
                None => row_terms(irow, self.zero_mean.row(j)),
                Some(m) => row_terms_masked(irow, self.zero_mean.row(j), m.row(j)),
            };
            num += f64::from(d);
            s1 += f64::from(a);
            s2 += f64::from(b);
        }
        self.finish(num, s1, s2)
    }

    /// The full score map: every placement of the template in `ctx`'s
    /// image, by direct loops or FFT, whichever [`correlate::cost`] says is
    /// cheaper. `None` when the template does not fit.
    pub(crate) fn score_map(&self, ctx: &mut MapContext) -> Option<Plane> {
        self.map_with(ctx, Self::finish)
    }

    /// Like [`Prepared::score_map`], with [`Prepared::bound`] as the score.
    pub(crate) fn bound_map(&self, ctx: &mut MapContext) -> Option<Plane> {
        self.map_with(ctx, |t, num, s1, s2| {
            #[allow(clippy::cast_possible_truncation)]
            let b = t.bound(num, s1, s2) as f32;
            b
        })
    }

    /// The score used to prune with a bound: the plain correlation
    /// coefficient, but `+∞` (keep) for a window too close to flat for the
    /// coefficient to be trusted, and `−∞` for a window with no variance at
    /// all (which no match can cover).
    pub(crate) fn bound(&self, num: f64, s1: f64, s2: f64) -> f64 {
        let n = self.n;
        let var_sum = s2 - s1 * s1 / n;
        if var_sum <= s2.abs() * 1e-12 {
            f64::NEG_INFINITY
        } else if var_sum <= n * FLAT_VARIANCE || self.norm2 <= 0.0 {
            f64::INFINITY
        } else {
            (num / (var_sum * self.norm2).sqrt()).clamp(-1.0, 1.0)
        }
    }

    /// `Σ T'·I` with the template's top-left corner at (`x`, `y`).
    fn numerator_at(&self, img: &Plane, x: usize, y: usize) -> f64 {
        let w = self.width();
        (0..self.height())
            .map(|j| {
                f64::from(correlate::dot(
                    &img.row(y + j)[x..x + w],
                    self.zero_mean.row(j),
                ))
            })
            .sum()
    }

    /// `Σ I` and `Σ I²` over the template (its mask) at each of
    /// `positions`, in `f64`: from the integral image when there is one
    /// and no mask, by sliding column sums without one, and summed window
    /// by window with a mask.
    pub(crate) fn windows(
        &self,
        img: &Plane,
        ii: Option<&Integral>,
        positions: &[(usize, usize)],
    ) -> Vec<(f64, f64)> {
        let (w, h) = (self.width(), self.height());
        match (&self.mask, ii) {
            (None, Some(ii)) => positions
                .iter()
                .map(|&(x, y)| ii.window(x, y, w, h))
                .collect(),
            (None, None) => img.window_sums(w, h, positions),
            (Some(m), _) => positions
                .iter()
                .map(|&(x, y)| {
                    let (mut s1, mut s2) = (0.0f64, 0.0f64);
                    for j in 0..h {
                        for (&v, &mv) in img.row(y + j)[x..x + w].iter().zip(m.row(j)) {
                            if mv != 0.0 {
                                let v = f64::from(v);
                                s1 += v;
                                s2 += v * v;
                            }
                        }
                    }
                    (s1, s2)
                })
                .collect(),
        }
    }

    /// The exact score at (`x`, `y`), given the window sums from
    /// [`Prepared::windows`] (in `f64`, so that the flat-window rule is
    /// decided as in the full map).
    pub(crate) fn exact_with(&self, img: &Plane, x: usize, y: usize, (s1, s2): (f64, f64)) -> f32 {
        self.finish(self.numerator_at(img, x, y), s1, s2)
    }

    /// [`Prepared::bound`] at (`x`, `y`), given the window sums.
    pub(crate) fn bound_with(&self, img: &Plane, x: usize, y: usize, (s1, s2): (f64, f64)) -> f64 {
        self.bound(self.numerator_at(img, x, y), s1, s2)
    }

    fn map_with(
        &self,
        ctx: &mut MapContext,
        finish: impl Fn(&Self, f64, f64, f64) -> f32,
    ) -> Option<Plane> {
        let img = &ctx.plane;
        let all = Positions::all(img, self.width(), self.height())?;
        let (direct_cost, fft_cost) =
            correlate::cost(img.width(), img.height(), self.width(), self.height());
        let use_fft = fft_cost < direct_cost;
        let numerator: Vec<f64> = if self.is_flat() {
            vec![0.0; all.w * all.h]
        } else if use_fft {
            ctx.spectrum().correlate(&self.zero_mean).2
        } else {
            to_f64(&correlate::direct(img, &self.zero_mean, all))
        };
        let window: Vec<(f64, f64)> = match &self.mask {
            None => {
                let ii = ctx.integral();
                let mut v = Vec::with_capacity(all.w * all.h);
                for y in 0..all.h {
                    for x in 0..all.w {
                        v.push(ii.window(x, y, self.width(), self.height()));
                    }
                }
                v
            }
            Some(m) => {
                let (s1, s2) = if use_fft {
                    let s1 = ctx.spectrum().correlate(m).2;
                    let s2 = ctx.square_spectrum().correlate(m).2;
                    (s1, s2)
                } else {
                    let sq = ctx.plane.map(|v| v * v);
                    (
                        to_f64(&correlate::direct(&ctx.plane, m, all)),
                        to_f64(&correlate::direct(&sq, m, all)),
                    )
                };
                s1.into_iter().zip(s2).collect()
            }
        };
        let data = numerator
            .iter()
            .zip(&window)
            .map(|(&num, &(s1, s2))| finish(self, num, s1, s2))
            .collect();
        Plane::new(all.w, all.h, data)
    }
}

fn to_f64(p: &Plane) -> Vec<f64> {
    p.data().iter().map(|&v| f64::from(v)).collect()
}

/// (Σ t·i, Σ i, Σ i²) over one row, in 8 lanes.
fn row_terms(i: &[f32], t: &[f32]) -> (f32, f32, f32) {
    let (mut d, mut a, mut b) = ([0.0f32; 8], [0.0f32; 8], [0.0f32; 8]);
    let ci = i.chunks_exact(8);
    let ct = t.chunks_exact(8);
    let (ri, rt) = (ci.remainder(), ct.remainder());
    for (x, y) in ci.zip(ct) {
        for k in 0..8 {
            d[k] += x[k] * y[k];
            a[k] += x[k];
            b[k] += x[k] * x[k];
        }
    }
    let (mut sd, mut sa, mut sb) = (
        d.iter().sum::<f32>(),
        a.iter().sum::<f32>(),
        b.iter().sum::<f32>(),
    );
    for (&x, &y) in ri.iter().zip(rt) {
        sd += x * y;
        sa += x;
        sb += x * x;
    }
    (sd, sa, sb)
}

/// (Σ t·i, Σ m·i, Σ m·i²) over one row, in 8 lanes.
fn row_terms_masked(i: &[f32], t: &[f32], m: &[f32]) -> (f32, f32, f32) {
    let (mut d, mut a, mut b) = ([0.0f32; 8], [0.0f32; 8], [0.0f32; 8]);
    let ci = i.chunks_exact(8);
    let ct = t.chunks_exact(8);
    let cm = m.chunks_exact(8);
    let (ri, rt, rm) = (ci.remainder(), ct.remainder(), cm.remainder());
    for ((x, y), z) in ci.zip(ct).zip(cm) {
        for k in 0..8 {
            d[k] += x[k] * y[k];
            a[k] += z[k] * x[k];
            b[k] += z[k] * x[k] * x[k];
        }
    }
    let (mut sd, mut sa, mut sb) = (
        d.iter().sum::<f32>(),
        a.iter().sum::<f32>(),
        b.iter().sum::<f32>(),
    );
    for ((&x, &y), &z) in ri.iter().zip(rt).zip(rm) {
        sd += x * y;
        sa += z * x;
        sb += z * x * x;
    }
    (sd, sa, sb)
}

/// One image with the derived data that score maps share across templates
/// and scales: its integral image and spectra, computed on first use.
pub(crate) struct MapContext {
    pub(crate) plane: Plane,
    integral: Option<Integral>,
    spectrum: Option<Spectrum>,
    square_spectrum: Option<Spectrum>,
}

impl MapContext {
    pub(crate) fn new(plane: Plane) -> Self {
        MapContext {
            plane,
            integral: None,
            spectrum: None,
            square_spectrum: None,
        }
    }

    /// The image, with its integral image if one was already built.
    pub(crate) fn plane_and_built_integral(&self) -> (&Plane, Option<&Integral>) {
        (&self.plane, self.integral.as_ref())
    }

    fn integral(&mut self) -> &Integral {
        self.integral
            .get_or_insert_with(|| Integral::new(&self.plane))
    }

    fn spectrum(&mut self) -> &mut Spectrum {
        self.spectrum
            .get_or_insert_with(|| Spectrum::new(&self.plane))
    }

    fn square_spectrum(&mut self) -> &mut Spectrum {
        let plane = &self.plane;
        self.square_spectrum
            .get_or_insert_with(|| Spectrum::new(&plane.map(|v| v * v)))
    }
}
