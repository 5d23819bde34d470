#![allow(
    dead_code,
    unreachable_pub,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss,
    clippy::cast_possible_wrap,
    clippy::many_single_char_names,
    clippy::needless_range_loop
)]
//! Generated UI-like screens that the matcher was not tuned on: a page
//! gradient, coloured cards with text drawn in the project's fonts (the
//! simulator's DejaVu / Noto faces, through `ab_glyph`), a list of
//! identical rows, and noise of ±`noise` levels per channel. Deterministic
//! for a seed. Used by the exactness property tests and the benchmarks.

use ab_glyph::{Font, FontVec, PxScale, ScaleFont};
use image::{Rgba, RgbaImage};

use super::synth::Rng;

/// The project's first font (the Latin face), loaded once.
fn font() -> &'static FontVec {
    static FONT: std::sync::OnceLock<FontVec> = std::sync::OnceLock::new();
    FONT.get_or_init(|| {
        let files = consentry::sim::render::font_files()
            .expect("the project's fonts (scripts/setup.sh installs them)");
        let path = files.first().expect("at least one font file");
        let bytes = std::fs::read(path).expect("reading the font file");
        FontVec::try_from_vec(bytes).expect("a valid font")
    })
}

/// One drawn screen and where its repeated rows are.
pub struct UiScreen {
    pub image: RgbaImage,
    /// Top-left corners of the identical list rows, and their size.
    pub rows: Vec<(u32, u32)>,
    pub row_size: (u32, u32),
}

fn blend(img: &mut RgbaImage, x: i64, y: i64, c: [u8; 3], alpha: f32) {
    if x < 0 || y < 0 || x >= i64::from(img.width()) || y >= i64::from(img.height()) {
        return;
    }
    let p = img.get_pixel_mut(x as u32, y as u32);
    for k in 0..3 {
        let v = f32::from(p.0[k]) * (1.0 - alpha) + f32::from(c[k]) * alpha;
        p.0[k] = v.round().clamp(0.0, 255.0) as u8;
    }
}

fn rect(img: &mut RgbaImage, x: i64, y: i64, w: i64, h: i64, c: [u8; 3]) {
    for yy in y..y + h {
        for xx in x..x + w {
            blend(img, xx, yy, c, 1.0);
        }
    }
}

/// Draws `text` with its top-left at (`x`, `y`), `size` pixels tall.
pub fn text(img: &mut RgbaImage, x: f32, y: f32, size: f32, text: &str, c: [u8; 3]) {
    let font = font();
    let scaled = font.as_scaled(PxScale::from(size));
    let mut pen = x;
    let baseline = y + scaled.ascent();
    for ch in text.chars() {
        let id = scaled.glyph_id(ch);
        let glyph = id.with_scale_and_position(size, ab_glyph::point(pen, baseline));
        pen += scaled.h_advance(id);
        if let Some(outline) = font.outline_glyph(glyph) {
            let b = outline.px_bounds();
            outline.draw(|gx, gy, cov| {
                blend(
                    img,
                    b.min.x as i64 + i64::from(gx),
                    b.min.y as i64 + i64::from(gy),
                    c,
                    cov.min(1.0),
                );
            });
        }
    }
}

const WORDS: [&str; 16] = [
    "Privacy", "Account", "同意", "Settings", "Camera", "拒绝", "Location", "Notices", "Storage",
    "Contacts", "Delete", "我的", "Profile", "Agree", "Decline", "Not now",
];

fn colour(rng: &mut Rng) -> [u8; 3] {
    [
        rng.range(0, 256) as u8,
        rng.range(0, 256) as u8,
        rng.range(0, 256) as u8,
    ]
}

/// A `width`×`height` screen: gradient, `cards` cards with text, a block
/// of identical rows, then noise of ±`noise` levels per channel.
pub fn ui_screen(width: u32, height: u32, cards: usize, noise: u32, seed: u64) -> UiScreen {
    let mut rng = Rng::new(seed);
    let top = colour(&mut rng);
    let bottom = colour(&mut rng);
    let mut img = RgbaImage::from_fn(width, height, |_, y| {
        let t = y as f32 / height.max(1) as f32;
        let mix = |a: u8, b: u8| (f32::from(a) * (1.0 - t) + f32::from(b) * t).round() as u8;
        Rgba([
            mix(top[0], bottom[0]),
            mix(top[1], bottom[1]),
            mix(top[2], bottom[2]),
            255,
        ])
    });
    let (w, h) = (i64::from(width), i64::from(height));
    let unit = (width as f32 / 1080.0).max(0.2);
    // Cards anywhere in the upper three quarters.
    for _ in 0..cards {
        let cw = (rng.range(120, 420) as f32 * unit) as i64;
        let ch = (rng.range(60, 200) as f32 * unit) as i64;
        let x = i64::from(rng.range(0, width.saturating_sub(cw as u32).max(1)));
        let y = i64::from(rng.range(0, (height * 3 / 4).saturating_sub(ch as u32).max(1)));
        rect(&mut img, x, y, cw, ch, colour(&mut rng));
        let size = rng.range(14, 48) as f32 * unit;
        let word = WORDS[rng.range(0, WORDS.len() as u32) as usize];
        let word2 = WORDS[rng.range(0, WORDS.len() as u32) as usize];
        text(
            &mut img,
            x as f32 + 8.0 * unit,
            y as f32 + 6.0 * unit,
            size,
            &format!("{word} {word2}"),
            colour(&mut rng),
        );
    }
    // Identical list rows in the bottom quarter.
    let row_w = (w - (40.0 * unit) as i64).max(8) as u32;
    let row_h = ((90.0 * unit) as u32).max(8);
    let mut row = RgbaImage::from_pixel(row_w, row_h, Rgba([250, 250, 252, 255]));
    rect(
        &mut row,
        (16.0 * unit) as i64,
        (20.0 * unit) as i64,
        (50.0 * unit) as i64,
        (50.0 * unit) as i64,
        [30, 120, 220],
    );
    text(
        &mut row,
        90.0 * unit,
        22.0 * unit,
        36.0 * unit,
        "Settings 设置 ›",
        [30, 30, 40],
    );
    let mut rows = Vec::new();
    let mut y = (h * 3 / 4) as u32 + 4;
    while y + row_h < height {
        image::imageops::overlay(&mut img, &row, 20, i64::from(y));
        rows.push((20, y));
        y += row_h + 6;
    }
    if noise > 0 {
        let n = i64::from(noise);
        for p in img.pixels_mut() {
            for k in 0..3 {
                let d = i64::from(rng.range(0, 2 * noise + 1)) - n;
                p.0[k] = (i64::from(p.0[k]) + d).clamp(0, 255) as u8;
            }
        }
    }
    UiScreen {
        image: img,
        rows,
        row_size: (row_w, row_h),
    }
}
