//! The edge of `vision`: decoding images from bytes or paths (PNG), luma
//! conversion with OpenCV's BT.601 weights (so that scores agree with
//! `cv2.cvtColor(..., COLOR_BGR2GRAY)`), and masks from alpha channels or
//! mask images. 8- and 16-bit, grayscale and colour, with or without alpha.

use std::path::Path;

use image::{DynamicImage, GrayImage};

use super::error::LoadImageError;
use super::plane::Plane;

/// Decodes an image held in memory; `name` is used in errors.
pub fn decode_image(bytes: &[u8], name: &str) -> Result<DynamicImage, LoadImageError> {
    let decode = |source| LoadImageError::Decode {
        name: name.to_string(),
        source,
    };
    let reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| decode(image::ImageError::IoError(e)))?;
    let img = reader.decode().map_err(decode)?;
    if img.width() == 0 || img.height() == 0 {
        return Err(LoadImageError::Empty {
            name: name.to_string(),
        });
    }
    Ok(img)
}

/// Streams a PNG's pixels as 8-bit RGBA rows, top to bottom, to `row`,
/// without holding the whole image: one row and the inflater's window are
/// alive at a time. Any colour type and depth is expanded as
/// [`decode_image`] would (16-bit to its high byte); an interlaced PNG,
/// whose rows come in passes, is decoded whole instead. Returns the
/// width and height.
pub fn png_rows(
    bytes: &[u8],
    name: &str,
    row: &mut dyn FnMut(&[u8]),
) -> Result<(u32, u32), LoadImageError> {
    let fail = |source| LoadImageError::Png {
        name: name.to_string(),
        source,
    };
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(fail)?;
    let (w, h) = (reader.info().width, reader.info().height);
    if w == 0 || h == 0 {
        return Err(LoadImageError::Empty {
            name: name.to_string(),
        });
    }
    if reader.info().interlaced {
        let img = decode_image(bytes, name)?.to_rgba8();
        for r in img.as_raw().chunks_exact(w as usize * 4) {
            row(r);
        }
        return Ok((w, h));
    }
    let (color, _) = reader.output_color_type();
    let mut rgba = vec![0u8; w as usize * 4];
    while let Some(r) = reader.next_row().map_err(fail)? {
        let data = r.data();
        let out = rgba.chunks_exact_mut(4);
        match color {
            png::ColorType::Rgba => {
                for (o, &d) in rgba.iter_mut().zip(data) {
                    *o = d;
                }
            }
            png::ColorType::Rgb => {
                for (o, p) in out.zip(data.chunks_exact(3)) {
                    o.copy_from_slice(&[p[0], p[1], p[2], u8::MAX]);
                }
            }
            png::ColorType::GrayscaleAlpha => {
                for (o, p) in out.zip(data.chunks_exact(2)) {
                    o.copy_from_slice(&[p[0], p[0], p[0], p[1]]);
                }
            }
            // Grayscale; indexed is expanded to RGB(A) by the transformations.
            _ => {
                for (o, &g) in out.zip(data) {
                    o.copy_from_slice(&[g, g, g, u8::MAX]);
                }
            }
        }
        row(&rgba);
    }
    Ok((w, h))
}

/// Reads and decodes an image file.
pub fn load_image(path: &Path) -> Result<DynamicImage, LoadImageError> {
    let bytes = std::fs::read(path).map_err(|source| LoadImageError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    decode_image(&bytes, &path.display().to_string())
}

/// BT.601 luma of an 8-bit RGB triple, rounded as OpenCV does
/// (fixed point, 14 fractional bits).
fn bt601(r: u8, g: u8, b: u8) -> u8 {
    const R: u32 = 4899; // 0.299 * 2^14
    const G: u32 = 9617; // 0.587 * 2^14
    const B: u32 = 1868; // 0.114 * 2^14
    let v = (u32::from(r) * R + u32::from(g) * G + u32::from(b) * B + (1 << 13)) >> 14;
    u8::try_from(v).unwrap_or(u8::MAX)
}

/// The 8-bit luma of any image; alpha is ignored, 16-bit values are scaled.
pub fn luma(img: &DynamicImage) -> GrayImage {
    let (w, h) = (img.width(), img.height());
    match img {
        DynamicImage::ImageLuma8(g) => g.clone(),
        DynamicImage::ImageLumaA8(_)
        | DynamicImage::ImageLuma16(_)
        | DynamicImage::ImageLumaA16(_) => img.to_luma8(),
        DynamicImage::ImageRgba8(rgba) => {
            let data = rgba
                .as_raw()
                .chunks_exact(4)
                .map(|p| bt601(p[0], p[1], p[2]))
                .collect();
            GrayImage::from_raw(w, h, data).unwrap_or_else(|| GrayImage::new(w, h))
        }
        DynamicImage::ImageRgb8(rgb) => rgb_luma(rgb),
        other => rgb_luma(&other.to_rgb8()),
    }
}

fn rgb_luma(rgb: &image::RgbImage) -> GrayImage {
    let data = rgb
        .as_raw()
        .chunks_exact(3)
        .map(|p| bt601(p[0], p[1], p[2]))
        .collect();
    GrayImage::from_raw(rgb.width(), rgb.height(), data)
        .unwrap_or_else(|| GrayImage::new(rgb.width(), rgb.height()))
}

/// The mask of an image's opaque pixels (alpha ≥ 50 %), as 0/1 values, or
/// `None` when the image has no alpha channel or no transparent pixel.
pub fn mask_from_alpha(img: &DynamicImage) -> Option<Plane> {
    if !img.color().has_alpha() {
        return None;
    }
    let la = img.to_luma_alpha8();
    if la.pixels().all(|p| p.0[1] == u8::MAX) {
        return None;
    }
    let data = la
        .pixels()
        .map(|p| if p.0[1] >= 128 { 1.0 } else { 0.0 })
        .collect();
    Plane::new(la.width() as usize, la.height() as usize, data)
}

/// A mask from a mask image: a pixel takes part where it is light
/// (luma ≥ 128) and opaque (alpha ≥ 128), as 0/1 values.
pub fn mask_from_image(img: &DynamicImage) -> Plane {
    let la = img.to_luma_alpha8();
    let data = la
        .pixels()
        .map(|p| {
            if p.0[0] >= 128 && p.0[1] >= 128 {
                1.0
            } else {
                0.0
            }
        })
        .collect();
    Plane::new(la.width() as usize, la.height() as usize, data)
        .unwrap_or_else(|| Plane::filled(0, 0, 0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bt601_matches_opencv_weights() {
        assert_eq!(bt601(255, 255, 255), 255);
        assert_eq!(bt601(0, 0, 0), 0);
        // cv2.cvtColor([[[0, 0, 255]]] BGR, COLOR_BGR2GRAY) == 76
        assert_eq!(bt601(255, 0, 0), 76);
        assert_eq!(bt601(0, 255, 0), 150);
        assert_eq!(bt601(0, 0, 255), 29);
    }

    #[test]
    fn garbage_bytes_are_an_error() {
        assert!(decode_image(b"not an image", "x").is_err());
        assert!(decode_image(&[], "x").is_err());
    }
}
