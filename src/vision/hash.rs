//! Perceptual hashes for deduplicating screens: dHash (gradient signs of a
//! 9×8 thumbnail) and pHash (signs of the 8×8 lowest DCT frequencies of a
//! 32×32 thumbnail against their median). Similar screens have hashes a
//! small Hamming distance apart.

use image::imageops::FilterType;
use image::{DynamicImage, GrayImage};

use super::load::luma;

/// A 64-bit perceptual hash; shown as 16 hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PerceptualHash(pub u64);

impl PerceptualHash {
    /// The number of differing bits (0 identical, 64 opposite).
    pub fn distance(self, other: PerceptualHash) -> u32 {
        (self.0 ^ other.0).count_ones()
    }
}

impl std::fmt::Display for PerceptualHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

fn thumbnail(img: &DynamicImage, w: u32, h: u32) -> GrayImage {
    let g = luma(img);
    image::imageops::resize(&g, w, h, FilterType::Triangle)
}

/// dHash: one bit per horizontally adjacent pair of a 9×8 thumbnail, set
/// where brightness increases to the right.
pub fn dhash(img: &DynamicImage) -> PerceptualHash {
    let t = thumbnail(img, 9, 8);
    let mut bits = 0u64;
    for y in 0..8 {
        for x in 0..8 {
            bits <<= 1;
            if t.get_pixel(x + 1, y).0[0] > t.get_pixel(x, y).0[0] {
                bits |= 1;
            }
        }
    }
    PerceptualHash(bits)
}

/// pHash: the 2-D DCT-II of a 32×32 thumbnail; one bit per coefficient of
/// the top-left 8×8 block, set where it exceeds the block's median (the DC
/// term excluded from the median).
pub fn phash(img: &DynamicImage) -> PerceptualHash {
    const N: usize = 32;
    let t = thumbnail(img, 32, 32);
    let px: Vec<f64> = t.as_raw().iter().map(|&v| f64::from(v)).collect();
    // cos[k][n] = cos(pi (2n + 1) k / 2N), for k < 8.
    let mut cos = [[0.0f64; N]; 8];
    for (k, row) in cos.iter_mut().enumerate() {
        for (n, c) in row.iter_mut().enumerate() {
            #[allow(clippy::cast_precision_loss)]
            let a = std::f64::consts::PI * (2 * n + 1) as f64 * k as f64 / (2 * N) as f64;
            *c = a.cos();
        }
    }
    // Rows first (8 frequencies per row), then columns.
    let mut rows = [[0.0f64; 8]; N];
    for (y, r) in rows.iter_mut().enumerate() {
        for (k, v) in r.iter_mut().enumerate() {
            *v = (0..N).map(|x| px[y * N + x] * cos[k][x]).sum();
        }
    }
    let mut coef = [0.0f64; 64];
    for ky in 0..8 {
        for kx in 0..8 {
            coef[ky * 8 + kx] = (0..N).map(|y| rows[y][kx] * cos[ky][y]).sum();
        }
    }
    let mut sorted: Vec<f64> = coef[1..].to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = f64::midpoint(sorted[31], sorted[32]);
    let bits = coef
        .iter()
        .fold(0u64, |acc, &c| (acc << 1) | u64::from(c > median));
    PerceptualHash(bits)
}
