//! Screen-state checks on RGBA screenshots: is the screen blank (near
//! uniform: a white or black screen, a splash that never ends), did it
//! change between two captures (with a per-pixel tolerance and an allowed
//! fraction of changed pixels, for animations settling and tap
//! verification), and a region-restricted compare against a baseline with
//! a diff image for the report.

use image::{Rgba, RgbaImage};

use super::Rect;
use super::error::CompareError;

/// How uniform a screen is.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Blankness {
    /// The most common colour (RGB, quantised to the nearest 8 levels' centre).
    pub dominant_color: [u8; 3],
    /// The fraction of pixels within the tolerance of the dominant colour.
    pub dominant_fraction: f64,
}

impl Blankness {
    /// Blank when at least `min_fraction` of the screen is the dominant
    /// colour; 0.97 is a good default (a splash screen with a small logo).
    pub fn is_blank(&self, min_fraction: f64) -> bool {
        self.dominant_fraction >= min_fraction
    }
}

/// Measures how much of `img` is one colour, each channel within
/// `tolerance` levels.
pub fn blankness(img: &RgbaImage, tolerance: u8) -> Blankness {
    // Histogram of colours quantised to 5 bits per channel.
    let mut hist = vec![0u32; 1 << 15];
    let key = |p: &Rgba<u8>| {
        (usize::from(p.0[0] >> 3) << 10)
            | (usize::from(p.0[1] >> 3) << 5)
            | usize::from(p.0[2] >> 3)
    };
    for p in img.pixels() {
        hist[key(p)] += 1;
    }
    let mode = hist
        .iter()
        .enumerate()
        .max_by_key(|&(i, &c)| (c, std::cmp::Reverse(i)))
        .map_or(0, |(i, _)| i);
    // The mean colour of the mode bin is the reference.
    let (mut sum, mut n) = ([0u64; 3], 0u64);
    for p in img.pixels().filter(|p| key(p) == mode) {
        for (s, &c) in sum.iter_mut().zip(&p.0[..3]) {
            *s += u64::from(c);
        }
        n += 1;
    }
    let reference: [u8; 3] =
        sum.map(|s| u8::try_from(s.checked_div(n).unwrap_or(0)).unwrap_or(u8::MAX));
    let near = img
        .pixels()
        .filter(|p| {
            p.0[..3]
                .iter()
                .zip(&reference)
                .all(|(&a, &b)| a.abs_diff(b) <= tolerance)
        })
        .count();
    let total = u64::from(img.width()) * u64::from(img.height());
    #[allow(clippy::cast_precision_loss)]
    let fraction = if total == 0 {
        1.0
    } else {
        near as f64 / total as f64
    };
    Blankness {
        dominant_color: reference,
        dominant_fraction: fraction,
    }
}

/// How to compare two captures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompareOptions {
    /// Only this part of the images; all of them when `None`.
    pub region: Option<Rect>,
    /// A pixel changed when a channel (R, G, B or A) differs by more.
    pub pixel_tolerance: u8,
    /// The screen counts as changed when more than this fraction of the
    /// compared pixels changed.
    pub max_changed_fraction: f64,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            region: None,
            pixel_tolerance: 16,
            max_changed_fraction: 0.001,
        }
    }
}

/// The outcome of a compare.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Comparison {
    pub region: Rect,
    pub compared_pixels: u64,
    pub changed_pixels: u64,
    pub changed_fraction: f64,
    /// The largest channel difference seen.
    pub max_delta: u8,
    /// The bounding box of changed pixels, in image coordinates.
    pub changed_bounds: Option<Rect>,
    /// Whether `changed_fraction` exceeds the allowed fraction.
    pub changed: bool,
}

fn checked_region(
    baseline: &RgbaImage,
    current: &RgbaImage,
    region: Option<Rect>,
) -> Result<Rect, CompareError> {
    if baseline.dimensions() != current.dimensions() {
        return Err(CompareError::SizeMismatch {
            baseline_width: baseline.width(),
            baseline_height: baseline.height(),
            current_width: current.width(),
            current_height: current.height(),
        });
    }
    let (w, h) = baseline.dimensions();
    let r = region.unwrap_or(Rect::new(0, 0, w, h));
    if !r.fits_in(w, h) {
        return Err(CompareError::RegionOutside {
            region: r,
            width: w,
            height: h,
        });
    }
    Ok(r)
}

fn delta(a: Rgba<u8>, b: Rgba<u8>) -> u8 {
    a.0.iter()
        .zip(&b.0)
        .map(|(&x, &y)| x.abs_diff(y))
        .max()
        .unwrap_or(0)
}

/// Compares `current` with `baseline` (same size) within the region.
pub fn compare(
    baseline: &RgbaImage,
    current: &RgbaImage,
    opts: &CompareOptions,
) -> Result<Comparison, CompareError> {
    let r = checked_region(baseline, current, opts.region)?;
    let (mut changed, mut max_delta) = (0u64, 0u8);
    let mut bounds: Option<(u32, u32, u32, u32)> = None;
    for y in r.y..r.y + r.height {
        for x in r.x..r.x + r.width {
            let d = delta(*baseline.get_pixel(x, y), *current.get_pixel(x, y));
            max_delta = max_delta.max(d);
            if d > opts.pixel_tolerance {
                changed += 1;
                bounds = Some(match bounds {
                    None => (x, y, x, y),
                    Some((x0, y0, x1, y1)) => (x0.min(x), y0.min(y), x1.max(x), y1.max(y)),
                });
            }
        }
    }
    let compared = u64::from(r.width) * u64::from(r.height);
    #[allow(clippy::cast_precision_loss)]
    let fraction = if compared == 0 {
        0.0
    } else {
        changed as f64 / compared as f64
    };
    Ok(Comparison {
        region: r,
        compared_pixels: compared,
        changed_pixels: changed,
        changed_fraction: fraction,
        max_delta,
        changed_bounds: bounds.map(|(x0, y0, x1, y1)| Rect::new(x0, y0, x1 - x0 + 1, y1 - y0 + 1)),
        changed: fraction > opts.max_changed_fraction,
    })
}

/// A diff image of the region for reports: the baseline dimmed to gray,
/// changed pixels in opaque red.
pub fn diff_image(
    baseline: &RgbaImage,
    current: &RgbaImage,
    opts: &CompareOptions,
) -> Result<RgbaImage, CompareError> {
    let r = checked_region(baseline, current, opts.region)?;
    let mut out = RgbaImage::new(r.width, r.height);
    for (ox, oy, px) in out.enumerate_pixels_mut() {
        let (x, y) = (r.x + ox, r.y + oy);
        let (a, b) = (baseline.get_pixel(x, y), current.get_pixel(x, y));
        *px = if delta(*a, *b) > opts.pixel_tolerance {
            Rgba([255, 0, 0, 255])
        } else {
            let l = (u16::from(a.0[0]) + u16::from(a.0[1]) + u16::from(a.0[2])) / 3;
            let dim = u8::try_from(160 + l * 95 / 255).unwrap_or(u8::MAX);
            Rgba([dim, dim, dim, 255])
        };
    }
    Ok(out)
}
