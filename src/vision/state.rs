//! Screen-state checks on RGBA screenshots: is the screen blank (near
//! uniform: a white or black screen, a splash that never ends), did it
//! change between two captures (with a per-pixel tolerance and an allowed
//! fraction of changed pixels, for animations settling and tap
//! verification), and a region-restricted compare against a baseline with
//! a diff image for the report.

use image::{Rgba, RgbaImage};

use super::Rect;
use super::error::{CompareError, LoadImageError};
use super::load::png_rows;

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
    let rows = |f: &mut dyn FnMut(&[u8])| {
        for r in img.as_raw().chunks_exact(img.width() as usize * 4) {
            f(r);
        }
        Ok::<(), std::convert::Infallible>(())
    };
    match blankness_by(rows, tolerance) {
        Ok(b) => b,
        Err(never) => match never {},
    }
}

/// [`blankness`] of a PNG, streamed twice rather than decoded whole.
pub fn blankness_png(png: &[u8], name: &str, tolerance: u8) -> Result<Blankness, LoadImageError> {
    blankness_by(|f| png_rows(png, name, f).map(|_| ()), tolerance)
}

/// The measure over RGBA rows that `rows` hands to its argument, in two
/// passes: a histogram of colours quantised to 5 bits per channel (with
/// each bin's colour sum), whose fullest bin's mean colour is the
/// reference, then the pixels near the reference.
fn blankness_by<E>(
    mut rows: impl FnMut(&mut dyn FnMut(&[u8])) -> Result<(), E>,
    tolerance: u8,
) -> Result<Blankness, E> {
    let key = |p: &[u8]| {
        (usize::from(p[0] >> 3) << 10) | (usize::from(p[1] >> 3) << 5) | usize::from(p[2] >> 3)
    };
    let mut hist = vec![(0u64, [0u64; 3]); 1 << 15];
    let mut total = 0u64;
    rows(&mut |r: &[u8]| {
        for p in r.chunks_exact(4) {
            let bin = &mut hist[key(p)];
            bin.0 += 1;
            for (s, &c) in bin.1.iter_mut().zip(&p[..3]) {
                *s += u64::from(c);
            }
            total += 1;
        }
    })?;
    let (n, sum) = hist
        .iter()
        .enumerate()
        .max_by_key(|&(i, b)| (b.0, std::cmp::Reverse(i)))
        .map_or((0, [0; 3]), |(_, b)| *b);
    let reference: [u8; 3] =
        sum.map(|s| u8::try_from(s.checked_div(n).unwrap_or(0)).unwrap_or(u8::MAX));
    let mut near = 0u64;
    rows(&mut |r: &[u8]| {
        near += r
            .chunks_exact(4)
            .filter(|p| {
                p[..3]
                    .iter()
                    .zip(&reference)
                    .all(|(&a, &b)| a.abs_diff(b) <= tolerance)
            })
            .count() as u64;
    })?;
    #[allow(clippy::cast_precision_loss)]
    let fraction = if total == 0 {
        1.0
    } else {
        near as f64 / total as f64
    };
    Ok(Blankness {
        dominant_color: reference,
        dominant_fraction: fraction,
    })
}

/// A picture's identity for telling screens apart: a hash of its pixels
/// without the status bar (the top 2.5 %), whose clock and icons change
/// without the app doing anything, and its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PictureHash {
    pub hash: u64,
    pub width: u32,
    pub height: u32,
}

/// [`PictureHash`] of decoded pixels.
pub fn picture_hash(img: &RgbaImage) -> PictureHash {
    let mut h = RowHasher::new(img.height());
    for r in img.as_raw().chunks_exact(img.width() as usize * 4) {
        h.row(r);
    }
    h.finish(img.width(), img.height())
}

/// [`PictureHash`] of a PNG, streamed (the same value as
/// [`picture_hash`] of its decoded pixels).
pub fn picture_hash_png(png: &[u8], name: &str) -> Result<PictureHash, LoadImageError> {
    // The status bar's rows are skipped by height, known from the header.
    let height = png::Decoder::new(std::io::Cursor::new(png))
        .read_header_info()
        .map_err(|source| LoadImageError::Png {
            name: name.to_string(),
            source,
        })?
        .height;
    let mut h = RowHasher::new(height);
    let (w, ht) = png_rows(png, name, &mut |r| h.row(r))?;
    Ok(h.finish(w, ht))
}

struct RowHasher {
    skip: u64,
    seen: u64,
    hasher: std::collections::hash_map::DefaultHasher,
}

impl RowHasher {
    fn new(height: u32) -> Self {
        Self {
            skip: u64::from(height) * 25 / 1000,
            seen: 0,
            hasher: std::collections::hash_map::DefaultHasher::new(),
        }
    }

    fn row(&mut self, r: &[u8]) {
        use std::hash::Hasher as _;
        if self.seen >= self.skip {
            self.hasher.write(r);
        }
        self.seen += 1;
    }

    fn finish(mut self, width: u32, height: u32) -> PictureHash {
        use std::hash::Hasher as _;
        self.hasher.write_u32(width);
        self.hasher.write_u32(height);
        PictureHash {
            hash: self.hasher.finish(),
            width,
            height,
        }
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
