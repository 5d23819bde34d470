//! Valid-region cross-correlation, `out(x, y) = Σ t(i, j) · img(x + i, y + j)`
//! for every placement of the kernel inside the image.
//!
//! Two ways, picked by [`cost`]: direct loops written so that the compiler
//! vectorises them (an axpy over output rows when many positions share a
//! row, 8-lane dot products when few do), and 2-D FFT correlation with
//! `rustfft` for large kernels, in `f64` so that the normalisation terms
//! keep their precision.

use rustfft::FftPlanner;
use rustfft::num_complex::Complex;

use super::plane::Plane;

/// A block of kernel positions (top-left corners) inside the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Positions {
    pub(crate) x: usize,
    pub(crate) y: usize,
    pub(crate) w: usize,
    pub(crate) h: usize,
}

impl Positions {
    /// Every placement of a `kw`×`kh` kernel in `img`, or `None` when it
    /// does not fit.
    pub(crate) fn all(img: &Plane, kw: usize, kh: usize) -> Option<Self> {
        (kw >= 1 && kh >= 1 && kw <= img.width() && kh <= img.height()).then(|| Positions {
            x: 0,
            y: 0,
            w: img.width() - kw + 1,
            h: img.height() - kh + 1,
        })
    }

    /// The placements within `radius` of (`cx`, `cy`), clipped to `all`.
    pub(crate) fn around(all: Positions, cx: isize, cy: isize, radius: usize) -> Option<Self> {
        let signed = |v: usize| isize::try_from(v).unwrap_or(isize::MAX);
        let r = signed(radius);
        let clip = |c: isize, lo: usize, n: usize| {
            let a = c.saturating_sub(r).max(signed(lo));
            let b = c.saturating_add(r).min(signed(lo + n) - 1);
            let start = usize::try_from(a).ok()?;
            let len = usize::try_from(b - a).ok()? + 1;
            Some((start, len))
        };
        let (x, w) = clip(cx, all.x, all.w)?;
        let (y, h) = clip(cy, all.y, all.h)?;
        Some(Positions { x, y, w, h })
    }
}

/// An 8-lane dot product that the compiler turns into SIMD.
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f32; 8];
    let ca = a.chunks_exact(8);
    let cb = b.chunks_exact(8);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for ((s, &p), &q) in acc.iter_mut().zip(x).zip(y) {
            *s += p * q;
        }
    }
    let mut s: f32 = acc.iter().sum();
    for (&p, &q) in ra.iter().zip(rb) {
        s += p * q;
    }
    s
}

/// Direct correlation over `pos`; the kernel must fit at every position.
pub(crate) fn direct(img: &Plane, k: &Plane, pos: Positions) -> Plane {
    let mut out = Plane::filled(pos.w, pos.h, 0.0);
    if pos.w >= 16 {
        // Axpy form: each kernel value scales a contiguous image run into
        // the output row, which stays in L1.
        for oy in 0..pos.h {
            let acc = out.row_mut(oy);
            for j in 0..k.height() {
                let irow = img.row(pos.y + oy + j);
                for (i, &kv) in k.row(j).iter().enumerate() {
                    if kv == 0.0 {
                        continue;
                    }
                    let src = &irow[pos.x + i..pos.x + i + pos.w];
                    for (a, &p) in acc.iter_mut().zip(src) {
                        *a += kv * p;
                    }
                }
            }
        }
    } else {
        for oy in 0..pos.h {
            for ox in 0..pos.w {
                let mut s = 0.0f64;
                for j in 0..k.height() {
                    let irow = &img.row(pos.y + oy + j)[pos.x + ox..];
                    s += f64::from(dot(irow, k.row(j)));
                }
                #[allow(clippy::cast_possible_truncation)]
                let v = s as f32;
                out.row_mut(oy)[ox] = v;
            }
        }
    }
    out
}

/// Rough relative costs (nanoseconds on one core) of the two methods for
/// a full valid correlation, used to choose between them.
pub(crate) fn cost(img_w: usize, img_h: usize, kw: usize, kh: usize) -> (f64, f64) {
    #[allow(clippy::cast_precision_loss)]
    let f = |v: usize| v as f64;
    let positions = f(img_w + 1 - kw.min(img_w)) * f(img_h + 1 - kh.min(img_h));
    let direct = positions * f(kw * kh) * 0.35;
    let (fw, fh) = (fast_size(img_w), fast_size(img_h));
    let n = f(fw * fh);
    // Forward image + forward kernel (partly empty) + inverse, complex f64.
    let fft = 3.0 * n * n.log2() * 1.2;
    (direct, fft)
}

/// The smallest n' ≥ n whose prime factors are 2, 3 and 5.
pub(crate) fn fast_size(n: usize) -> usize {
    let mut m = n.max(1);
    loop {
        let mut r = m;
        for p in [2, 3, 5] {
            while r % p == 0 {
                r /= p;
            }
        }
        if r == 1 {
            return m;
        }
        m += 1;
    }
}

/// An image's 2-D spectrum, kept to correlate several kernels with it.
/// Stored transposed (columns as rows) after the forward column pass.
pub(crate) struct Spectrum {
    img_w: usize,
    img_h: usize,
    fw: usize,
    fh: usize,
    data: Vec<Complex<f64>>,
    planner: FftPlanner<f64>,
}

impl Spectrum {
    pub(crate) fn new(img: &Plane) -> Self {
        let (fw, fh) = (fast_size(img.width()), fast_size(img.height()));
        let mut planner = FftPlanner::new();
        let rows: Vec<&[f32]> = (0..img.height()).map(|y| img.row(y)).collect();
        let data = forward(&mut planner, &rows, fw, fh);
        Spectrum {
            img_w: img.width(),
            img_h: img.height(),
            fw,
            fh,
            data,
            planner,
        }
    }

    /// The valid correlation of the image with `k`, as `f64` values.
    pub(crate) fn correlate(&mut self, k: &Plane) -> (usize, usize, Vec<f64>) {
        let (fw, fh) = (self.fw, self.fh);
        let rows: Vec<&[f32]> = (0..k.height()).map(|y| k.row(y)).collect();
        let mut kf = forward(&mut self.planner, &rows, fw, fh);
        for (a, b) in kf.iter_mut().zip(&self.data) {
            *a = b * a.conj();
        }
        // Inverse column pass (rows of the transposed layout).
        let icol = self.planner.plan_fft_inverse(fh);
        icol.process(&mut kf);
        let mut rows_buf = vec![Complex::new(0.0, 0.0); fw * fh];
        transpose::transpose(&kf, &mut rows_buf, fh, fw);
        let ow = self.img_w + 1 - k.width();
        let oh = self.img_h + 1 - k.height();
        let irow = self.planner.plan_fft_inverse(fw);
        irow.process(&mut rows_buf[..fw * oh]);
        #[allow(clippy::cast_precision_loss)]
        let scale = 1.0 / (fw * fh) as f64;
        let mut out = Vec::with_capacity(ow * oh);
        for y in 0..oh {
            out.extend(rows_buf[y * fw..y * fw + ow].iter().map(|c| c.re * scale));
        }
        (ow, oh, out)
    }
}

/// Forward 2-D FFT of `rows` zero-padded to `fw`×`fh`, returned transposed.
fn forward(
    planner: &mut FftPlanner<f64>,
    rows: &[&[f32]],
    fw: usize,
    fh: usize,
) -> Vec<Complex<f64>> {
    let mut buf = vec![Complex::new(0.0, 0.0); fw * fh];
    for (y, r) in rows.iter().enumerate() {
        for (c, &v) in buf[y * fw..].iter_mut().zip(r.iter()) {
            c.re = f64::from(v);
        }
    }
    let frow = planner.plan_fft_forward(fw);
    // Rows past the data are zero and stay zero.
    frow.process(&mut buf[..fw * rows.len()]);
    let mut t = vec![Complex::new(0.0, 0.0); fw * fh];
    transpose::transpose(&buf, &mut t, fw, fh);
    let fcol = planner.plan_fft_forward(fh);
    fcol.process(&mut t);
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plane(w: usize, h: usize, seed: u32) -> Plane {
        let mut s = seed;
        let data = (0..w * h)
            .map(|_| {
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                f32::from(u8::try_from(s >> 24).unwrap())
            })
            .collect();
        Plane::new(w, h, data).unwrap()
    }

    fn naive(img: &Plane, k: &Plane, x: usize, y: usize) -> f64 {
        let mut s = 0.0;
        for j in 0..k.height() {
            for i in 0..k.width() {
                s += f64::from(k.get(i, j)) * f64::from(img.get(x + i, y + j));
            }
        }
        s
    }

    #[test]
    fn direct_and_fft_agree_with_naive_sums() {
        let img = plane(37, 23, 1);
        for (kw, kh) in [(1, 1), (5, 3), (20, 7), (37, 23)] {
            let k = plane(kw, kh, 2);
            let all = Positions::all(&img, kw, kh).unwrap();
            let d = direct(&img, &k, all);
            let (ow, oh, f) = Spectrum::new(&img).correlate(&k);
            assert_eq!((ow, oh), (all.w, all.h));
            for y in 0..oh {
                for x in 0..ow {
                    let n = naive(&img, &k, x, y);
                    let tol = 1e-5 * n.abs().max(1.0);
                    assert!(
                        (f64::from(d.get(x, y)) - n).abs() < tol,
                        "direct {kw}x{kh} at {x},{y}"
                    );
                    assert!((f[y * ow + x] - n).abs() < tol, "fft {kw}x{kh} at {x},{y}");
                }
            }
        }
    }

    #[test]
    fn positions_around_clip_to_the_valid_block() {
        let all = Positions {
            x: 0,
            y: 0,
            w: 10,
            h: 4,
        };
        let p = Positions::around(all, 0, 3, 2).unwrap();
        assert_eq!(
            p,
            Positions {
                x: 0,
                y: 1,
                w: 3,
                h: 3
            }
        );
        assert!(Positions::around(all, 20, 0, 2).is_none());
    }

    #[test]
    fn fast_sizes_have_small_factors() {
        assert_eq!(fast_size(1), 1);
        assert_eq!(fast_size(7), 8);
        assert_eq!(fast_size(1081), 1125);
        assert_eq!(fast_size(2400), 2400);
    }
}
