//! [`Plane`]: a single-channel `f32` image in row-major order, the working
//! format of the matcher; the 2× box reduction that builds pyramids,
//! resizing for multi-scale search, and integral images (sums and sums of
//! squares in `f64`) for the normalisation terms.

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

    /// The `w`×`h` block at (`x`, `y`), clipped to the plane.
    pub(crate) fn crop(&self, x: usize, y: usize, w: usize, h: usize) -> Plane {
        let x = x.min(self.width);
        let y = y.min(self.height);
        let w = w.min(self.width - x);
        let h = h.min(self.height - y);
        let mut data = Vec::with_capacity(w * h);
        for j in y..y + h {
            data.extend_from_slice(&self.row(j)[x..x + w]);
        }
        Plane {
            width: w,
            height: h,
            data,
        }
    }

    /// (Σv, Σv²) in `f64` over the `w`×`h` window at each of `positions`
    /// (top-left corners; the window must fit at each), without an
    /// integral image: column sums slide down the rows the positions are
    /// on, so the cost follows the rows spanned, not the image.
    pub(crate) fn window_sums(
        &self,
        w: usize,
        h: usize,
        positions: &[(usize, usize)],
    ) -> Vec<(f64, f64)> {
        let mut order: Vec<usize> = (0..positions.len()).collect();
        order.sort_unstable_by_key(|&i| (positions[i].1, positions[i].0));
        let mut out = vec![(0.0, 0.0); positions.len()];
        let width = self.width;
        let (mut c1, mut c2) = (vec![0.0f64; width], vec![0.0f64; width]);
        let (mut p1, mut p2) = (vec![0.0f64; width + 1], vec![0.0f64; width + 1]);
        let add = |c1: &mut [f64], c2: &mut [f64], row: &[f32], sign: f64| {
            for ((a, b), &v) in c1.iter_mut().zip(c2.iter_mut()).zip(row) {
                let v = f64::from(v);
                *a += sign * v;
                *b += sign * v * v;
            }
        };
        let mut top: Option<usize> = None;
        let mut k = 0;
        while k < order.len() {
            let y = positions[order[k]].1;
            match top {
                Some(t) if y - t < h => {
                    for r in t..y {
                        add(&mut c1, &mut c2, self.row(r), -1.0);
                        add(&mut c1, &mut c2, self.row(r + h), 1.0);
                    }
                }
                _ => {
                    c1.fill(0.0);
                    c2.fill(0.0);
                    for r in y..y + h {
                        add(&mut c1, &mut c2, self.row(r), 1.0);
                    }
                }
            }
            top = Some(y);
            for x in 0..width {
                p1[x + 1] = p1[x] + c1[x];
                p2[x + 1] = p2[x] + c2[x];
            }
            while k < order.len() && positions[order[k]].1 == y {
                let i = order[k];
                let x = positions[i].0;
                out[i] = (p1[x + w] - p1[x], p2[x + w] - p2[x]);
                k += 1;
            }
        }
        out
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

    /// Resized to `width`×`height` (each at least 1). Shrinking is area
    /// resampling: each value is the mean of the area it covers, as a
    /// screen rendered at a lower density shows the same content.
    /// Enlarging interpolates linearly.
    pub(crate) fn resized(&self, width: usize, height: usize) -> Plane {
        let (width, height) = (width.max(1), height.max(1));
        if width == self.width && height == self.height {
            return self.clone();
        }
        #[allow(clippy::cast_precision_loss)]
        let ratio = |from: usize, to: usize| from as f64 / to as f64;
        self.resample(
            &weights(self.width, width, 0.0, ratio(self.width, width)),
            &weights(self.height, height, 0.0, ratio(self.height, height)),
        )
    }

    /// The window from (`x`, `y`) (fractional) shrunk by exactly `ratio`
    /// (at least 1) into `width`×`height` by area resampling: output pixel
    /// (i, j) is the mean of the source square of side `ratio` at
    /// (`x + i·ratio`, `y + j·ratio`). Unlike [`Plane::resized`], the scale
    /// is the same on both axes whatever the sizes, and the sampling grid
    /// can start between pixels. The window is clipped to the plane.
    pub(crate) fn resampled(
        &self,
        (x, y): (f64, f64),
        ratio: f64,
        width: usize,
        height: usize,
    ) -> Plane {
        let ratio = ratio.max(1.0);
        self.resample(
            &weights(self.width, width.max(1), x, ratio),
            &weights(self.height, height.max(1), y, ratio),
        )
    }

    /// Applies per-axis taps (see [`weights`]): for each output row, the
    /// input rows it covers are summed into one row, which is then
    /// resampled across. Only the output is allocated at full size, and it
    /// is written once, without being zeroed first.
    fn resample(&self, wx: &[Vec<(usize, f32)>], wy: &[Vec<(usize, f32)>]) -> Plane {
        let mut data = Vec::with_capacity(wx.len() * wy.len());
        let mut acc = vec![0.0f32; self.width];
        for taps in wy {
            acc.fill(0.0);
            for &(iy, w) in taps {
                for (a, &v) in acc.iter_mut().zip(self.row(iy)) {
                    *a += v * w;
                }
            }
            data.extend(
                wx.iter()
                    .map(|taps| taps.iter().map(|&(i, w)| acc[i] * w).sum::<f32>()),
            );
        }
        Plane {
            width: wx.len(),
            height: wy.len(),
            data,
        }
    }
}

/// Per output pixel of one axis, the input pixels and their weights, for
/// `to` outputs each `ratio` inputs wide starting at input coordinate
/// `start`: when shrinking, the overlap of each input pixel with the output
/// pixel's span, normalised over the part inside `0..from`; otherwise
/// linear interpolation.
fn weights(from: usize, to: usize, start: f64, ratio: f64) -> Vec<Vec<(usize, f32)>> {
    #[allow(clippy::cast_precision_loss)]
    let end = from as f64;
    (0..to)
        .map(|o| {
            #[allow(clippy::cast_precision_loss)]
            let o = o as f64;
            if ratio >= 1.0 {
                let (a, b) = (
                    (start + o * ratio).clamp(0.0, end),
                    (start + (o + 1.0) * ratio).clamp(0.0, end),
                );
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let (first, last) = (a.floor() as usize, (b.ceil() as usize).min(from));
                let span = b - a;
                if span <= 0.0 {
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    return vec![((a as usize).min(from - 1), 1.0)];
                }
                (first..last)
                    .filter_map(|i| {
                        #[allow(clippy::cast_precision_loss)]
                        let i_f = i as f64;
                        let w = (b.min(i_f + 1.0) - a.max(i_f)) / span;
                        #[allow(clippy::cast_possible_truncation)]
                        let w = w as f32;
                        (w > 0.0).then_some((i, w))
                    })
                    .collect()
            } else {
                #[allow(clippy::cast_precision_loss)]
                let c = (start + (o + 0.5) * ratio - 0.5).clamp(0.0, (from - 1) as f64);
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let i = c.floor() as usize;
                #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
                let t = (c - i as f64) as f32;
                if i + 1 < from && t > 0.0 {
                    vec![(i, 1.0 - t), (i + 1, t)]
                } else {
                    vec![(i, 1.0)]
                }
            }
        })
        .collect()
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
    fn shrinking_averages_the_covered_area() {
        let p = Plane::new(3, 1, vec![0.0, 30.0, 90.0]).unwrap();
        let r = p.resized(2, 1);
        // Each output covers 1.5 input pixels.
        assert!((r.get(0, 0) - 10.0).abs() < 1e-4, "{r:?}");
        assert!((r.get(1, 0) - 70.0).abs() < 1e-4, "{r:?}");
        let q = Plane::new(4, 2, vec![1.0, 3.0, 5.0, 7.0, 3.0, 5.0, 7.0, 9.0]).unwrap();
        assert_eq!(q.resized(2, 1), q.half().unwrap());
    }

    #[test]
    fn a_window_is_shrunk_by_the_same_ratio_on_both_axes_from_between_pixels() {
        // Equal rows, so that only the horizontal spans matter.
        let p = Plane::new(6, 3, (0..18u8).map(|v| f32::from(v % 6) * 10.0).collect()).unwrap();
        // Two outputs of 1.5 pixels from x = 0.5: [0.5, 2) and [2, 3.5).
        let r = p.resampled((0.5, 0.0), 1.5, 2, 1);
        let want0 = (0.5 * 0.0 + 10.0) / 1.5;
        let want1 = (1.0 * 20.0 + 0.5 * 30.0) / 1.5;
        assert!((r.get(0, 0) - want0).abs() < 1e-3, "{r:?}");
        assert!((r.get(1, 0) - want1).abs() < 1e-3, "{r:?}");
        // From the origin with a whole ratio it is the mean of blocks.
        let q = Plane::new(4, 2, vec![1.0, 3.0, 5.0, 7.0, 3.0, 5.0, 7.0, 9.0]).unwrap();
        assert_eq!(q.resampled((0.0, 0.0), 2.0, 2, 1), q.half().unwrap());
        // A window past the edge averages only what is inside.
        let e = p.resampled((5.0, 0.0), 2.0, 1, 1);
        assert!((e.get(0, 0) - 50.0).abs() < 1e-3, "{e:?}");
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
    fn sliding_window_sums_match_the_integral_image() {
        let data: Vec<f32> = (0..180u16).map(|v| f32::from(v * 37 % 23) * 1.25).collect();
        let p = Plane::new(20, 9, data).unwrap();
        let ii = Integral::new(&p);
        let positions = [
            (3, 4),
            (0, 0),
            (16, 1),
            (2, 1),
            (9, 2),
            (9, 5),
            (0, 5),
            (5, 0),
        ];
        let got = p.window_sums(4, 4, &positions);
        for (&(x, y), &(s, q)) in positions.iter().zip(&got) {
            let (es, eq) = ii.window(x, y, 4, 4);
            assert!((s - es).abs() < 1e-9 && (q - eq).abs() < 1e-9, "{x},{y}");
        }
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
