//! [`Plane`]: a single-channel `f32` image in row-major order, the working
//! format of the matcher; the 2× box reduction that builds pyramids,
//! resizing for multi-scale search, and integral images (sums and sums of
//! squares in `f64`) for the normalisation terms.

use image::{ImageBuffer, Luma};

/// A single-channel image of `f32` values (luma 0–255, or 0/1 for masks).
#[derive(Debug, Clone, PartialEq)]
pub struct Plane {
    width: usize,
    height: usize,
    data: Vec<f32>,
}

impl Plane {
    /// A plane from row-major data; `None` when the length is not
    /// `width * height`.
    pub fn new(width: usize, height: usize, data: Vec<f32>) -> Option<Self> {
        (width.checked_mul(height) == Some(data.len())).then_some(Plane {
            width,
            height,
            data,
        })
    }

    /// A plane with every value `value`.
    pub fn filled(width: usize, height: usize, value: f32) -> Self {
        Plane {
            width,
            height,
            data: vec![value; width * height],
        }
    }

    /// The luma plane of an 8-bit grayscale image.
    pub fn from_gray(img: &image::GrayImage) -> Self {
        Plane {
            width: img.width() as usize,
            height: img.height() as usize,
            data: img.as_raw().iter().map(|&v| f32::from(v)).collect(),
        }
    }

    pub fn width(&self) -> usize {
        self.width
    }

    pub fn height(&self) -> usize {
        self.height
    }

    pub fn data(&self) -> &[f32] {
        &self.data
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Row `y`.
    pub fn row(&self, y: usize) -> &[f32] {
        &self.data[y * self.width..(y + 1) * self.width]
    }

    /// The value at (`x`, `y`).
    pub fn get(&self, x: usize, y: usize) -> f32 {
        self.data[y * self.width + x]
    }

    pub(crate) fn row_mut(&mut self, y: usize) -> &mut [f32] {
        &mut self.data[y * self.width..(y + 1) * self.width]
    }

    /// The plane with each value mapped by `f`.
    pub(crate) fn map(&self, f: impl Fn(f32) -> f32) -> Plane {
        Plane {
            width: self.width,
            height: self.height,
            data: self.data.iter().map(|&v| f(v)).collect(),
        }
    }

    /// Half the size (rounded down): each value is the mean of a 2×2 block.
    /// `None` when a side is shorter than 2.
    pub(crate) fn half(&self) -> Option<Plane> {
        let (w, h) = (self.width / 2, self.height / 2);
        if w == 0 || h == 0 {
            return None;
        }
        let mut out = Plane::filled(w, h, 0.0);
        let mut pairs = vec![0.0f32; self.width];
        for y in 0..h {
            let r0 = self.row(2 * y);
            let r1 = self.row(2 * y + 1);
            for ((p, &a), &b) in pairs.iter_mut().zip(r0).zip(r1) {
                *p = a + b;
            }
            for (o, p) in out.row_mut(y).iter_mut().zip(pairs.chunks_exact(2)) {
                *o = (p[0] + p[1]) * 0.25;
            }
        }
        Some(out)
    }

    /// Resized to `width`×`height` (each at least 1) with a triangle filter,
    /// whose support widens when shrinking so that it averages.
    pub(crate) fn resized(&self, width: usize, height: usize) -> Plane {
        if width == self.width && height == self.height {
            return self.clone();
        }
        let (Ok(sw), Ok(sh), Ok(dw), Ok(dh)) = (
            u32::try_from(self.width),
            u32::try_from(self.height),
            u32::try_from(width.max(1)),
            u32::try_from(height.max(1)),
        ) else {
            return Plane::filled(width.max(1), height.max(1), 0.0);
        };
        // `image` clamps float pixels to 0..=1: resize in that range.
        let peak = self.data.iter().fold(1.0f32, |m, &v| m.max(v.abs()));
        let Some(buf) = ImageBuffer::<Luma<f32>, Vec<f32>>::from_raw(
            sw,
            sh,
            self.data.iter().map(|&v| v / peak).collect(),
        ) else {
            return Plane::filled(width.max(1), height.max(1), 0.0);
        };
        let out = image::imageops::resize(&buf, dw, dh, image::imageops::FilterType::Triangle);
        Plane {
            width: dw as usize,
            height: dh as usize,
            data: out.into_raw().into_iter().map(|v| v * peak).collect(),
        }
    }
}

/// Summed-area tables of a plane and of its squares, in `f64`, with a zero
/// first row and column so that any window sum is four look-ups.
#[derive(Debug, Clone)]
pub(crate) struct Integral {
    stride: usize,
    sum: Vec<f64>,
    sq: Vec<f64>,
}

impl Integral {
    pub(crate) fn new(p: &Plane) -> Self {
        let stride = p.width() + 1;
        let mut sum = vec![0.0f64; stride * (p.height() + 1)];
        let mut sq = vec![0.0f64; stride * (p.height() + 1)];
        for y in 0..p.height() {
            let (mut rs, mut rq) = (0.0f64, 0.0f64);
            let base = (y + 1) * stride;
            for (x, &v) in p.row(y).iter().enumerate() {
                let v = f64::from(v);
                rs += v;
                rq += v * v;
                sum[base + x + 1] = sum[base - stride + x + 1] + rs;
                sq[base + x + 1] = sq[base - stride + x + 1] + rq;
            }
        }
        Integral { stride, sum, sq }
    }

    /// (Σv, Σv²) over the `w`×`h` window at (`x`, `y`).
    pub(crate) fn window(&self, x: usize, y: usize, w: usize, h: usize) -> (f64, f64) {
        let s = self.stride;
        let (a, b, c, d) = (
            y * s + x,
            y * s + x + w,
            (y + h) * s + x,
            (y + h) * s + x + w,
        );
        (
            self.sum[d] - self.sum[b] - self.sum[c] + self.sum[a],
            self.sq[d] - self.sq[b] - self.sq[c] + self.sq[a],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_averages_blocks_and_drops_odd_edges() {
        let p = Plane::new(3, 2, vec![1.0, 3.0, 9.0, 5.0, 7.0, 9.0]).unwrap();
        let h = p.half().unwrap();
        assert_eq!((h.width(), h.height()), (1, 1));
        assert!((h.get(0, 0) - 4.0).abs() < 1e-6);
        assert!(Plane::filled(1, 5, 0.0).half().is_none());
    }

    #[test]
    fn resizing_keeps_the_value_range() {
        let p = Plane::new(
            4,
            2,
            vec![0.0, 255.0, 100.0, 200.0, 0.0, 255.0, 100.0, 200.0],
        )
        .unwrap();
        let r = p.resized(2, 1);
        assert!(r.data().iter().any(|&v| v > 100.0), "{r:?}");
        assert!(r.data().iter().all(|&v| (0.0..=255.0).contains(&v)));
    }

    #[test]
    fn integral_window_sums_match_direct_sums() {
        let data: Vec<f32> = (0..35u8).map(|v| f32::from(v * 7 % 11)).collect();
        let p = Plane::new(7, 5, data).unwrap();
        let ii = Integral::new(&p);
        let (s, q) = ii.window(2, 1, 4, 3);
        let mut es = 0.0;
        let mut eq = 0.0;
        for y in 1..4 {
            for x in 2..6 {
                let v = f64::from(p.get(x, y));
                es += v;
                eq += v * v;
            }
        }
        assert!((s - es).abs() < 1e-9 && (q - eq).abs() < 1e-9);
    }
}
