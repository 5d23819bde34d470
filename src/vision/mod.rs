//! Screenshot analysis, pure and synchronous: template matching and
//! screen-state checks. Images come in decoded (or as bytes/paths decoded
//! at the edge by [`load`]); nothing here touches a device or the network.
//!
//! | file | owns |
//! |---|---|
//! | `load.rs` | decoding PNG bytes/paths (whole, or streamed row by row), luma conversion (BT.601, as OpenCV), alpha masks |
//! | `plane.rs` | [`Plane`], the single-channel `f32` working image; 2× pyramid reduction, area resampling, integral images |
//! | `correlate.rs` | valid-region cross-correlation, direct (vectorisable loops) and by FFT (`rustfft`) |
//! | `ncc.rs` | the score: normalized cross-correlation equal to OpenCV's `TM_CCOEFF_NORMED`, with optional mask |
//! | `cascade.rs` | the exact coarse-to-fine search: per-level floors from the template's texture that no match above the threshold can fall under |
//! | `matcher.rs` | [`find`]: scales (the template or the screen resampled, whichever is larger), the quick peak search, scale refinement, non-maximum suppression |
//! | `state.rs` | blank/near-uniform screens, picture hashes (status bar left out), changed/unchanged with tolerance, region compare and diff image; blankness and hashes also streamed from PNG bytes |
//! | `hash.rs` | perceptual hashes (dHash, pHash) and their Hamming distance |
//!
//! Scores follow OpenCV: 1 is a perfect match, 0 no correlation, −1 an
//! inverted image. A window with no variance (a flat area) scores 0 against
//! a textured template. A template with no variance has no correlation to
//! speak of; it scores windows by flatness and level instead, in 0..=1,
//! never NaN (OpenCV returns 1 everywhere there).

// Numeric kernels read best with the short names of their formulas.
#![allow(clippy::many_single_char_names)]

mod cascade;
mod correlate;
mod error;
mod hash;
mod load;
mod matcher;
mod ncc;
mod plane;
mod state;

pub use error::{CompareError, LoadImageError, MatchError};
pub use hash::{PerceptualHash, dhash, phash};
pub use load::{decode_image, load_image, luma, mask_from_alpha, mask_from_image, png_rows};
pub use matcher::{
    Match, MatchOptions, MatchResult, STEP_RATIO, ScaleRange, Screen, Strategy, Template, find,
};
pub use plane::Plane;
pub use state::{
    Blankness, CompareOptions, Comparison, PictureHash, blankness, blankness_png, compare,
    diff_image, picture_hash, picture_hash_png,
};

/// An axis-aligned rectangle in pixels, top-left origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Rect {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

impl Rect {
    pub const fn new(x: u32, y: u32, width: u32, height: u32) -> Self {
        Rect {
            x,
            y,
            width,
            height,
        }
    }

    /// One past the right edge, without overflow.
    pub fn right(&self) -> u64 {
        u64::from(self.x) + u64::from(self.width)
    }

    /// One past the bottom edge, without overflow.
    pub fn bottom(&self) -> u64 {
        u64::from(self.y) + u64::from(self.height)
    }

    /// Whether the rectangle lies inside a `width`×`height` image.
    pub fn fits_in(&self, width: u32, height: u32) -> bool {
        self.right() <= u64::from(width) && self.bottom() <= u64::from(height)
    }
}

impl std::fmt::Display for Rect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}x{}+{}+{}", self.width, self.height, self.x, self.y)
    }
}

impl std::str::FromStr for Rect {
    type Err = String;

    /// Parses `X,Y,WIDTH,HEIGHT`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        let [x, y, w, h] = parts.as_slice() else {
            return Err(format!("`{s}` is not X,Y,WIDTH,HEIGHT"));
        };
        let num = |v: &str| {
            v.parse::<u32>()
                .map_err(|_| format!("`{v}` in `{s}` is not a non-negative integer"))
        };
        Ok(Rect::new(num(x)?, num(y)?, num(w)?, num(h)?))
    }
}
