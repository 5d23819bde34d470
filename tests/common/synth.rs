#![allow(
    dead_code,
    unreachable_pub,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss,
    clippy::many_single_char_names,
    clippy::manual_midpoint,
    clippy::too_many_arguments
)]
//! Synthetic screens for vision tests, benches and fixtures: app-like
//! layouts (status bar, toolbar, list rows with icons and text, buttons)
//! drawn with exact anti-aliasing, at any scale. "Text" is made of
//! glyph-like strokes chosen from each character, so different labels look
//! different without depending on fonts.

use image::{Rgba, RgbaImage};

/// A small deterministic generator (xorshift64*).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `lo..hi` (`hi > lo`).
    pub fn range(&mut self, lo: u32, hi: u32) -> u32 {
        lo + u32::try_from(self.next_u64() % u64::from(hi - lo)).unwrap()
    }

    /// Uniform in `0.0..1.0`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

pub type Rgb = [f64; 3];

/// A floating-point RGB canvas.
#[derive(Debug, Clone)]
pub struct Canvas {
    pub width: u32,
    pub height: u32,
    px: Vec<Rgb>,
}

impl Canvas {
    pub fn new(width: u32, height: u32, color: Rgb) -> Self {
        Canvas {
            width,
            height,
            px: vec![color; (width * height) as usize],
        }
    }

    fn blend(&mut self, x: u32, y: u32, color: Rgb, coverage: f64) {
        if coverage <= 0.0 {
            return;
        }
        let p = &mut self.px[(y * self.width + x) as usize];
        for (c, &n) in p.iter_mut().zip(&color) {
            *c = *c * (1.0 - coverage) + n * coverage;
        }
    }

    /// An axis-aligned rectangle with exact coverage anti-aliasing.
    pub fn rect(&mut self, x0: f64, y0: f64, x1: f64, y1: f64, color: Rgb) {
        let (x0, x1) = (x0.max(0.0), x1.min(f64::from(self.width)));
        let (y0, y1) = (y0.max(0.0), y1.min(f64::from(self.height)));
        if x1 <= x0 || y1 <= y0 {
            return;
        }
        for y in y0.floor() as u32..y1.ceil() as u32 {
            let cy = (y1.min(f64::from(y) + 1.0) - y0.max(f64::from(y))).max(0.0);
            for x in x0.floor() as u32..x1.ceil() as u32 {
                let cx = (x1.min(f64::from(x) + 1.0) - x0.max(f64::from(x))).max(0.0);
                self.blend(x, y, color, cx * cy);
            }
        }
    }

    /// A disc, anti-aliased by 4×4 supersampling.
    pub fn disc(&mut self, cx: f64, cy: f64, r: f64, color: Rgb) {
        let x0 = (cx - r).floor().max(0.0) as u32;
        let y0 = (cy - r).floor().max(0.0) as u32;
        let x1 = ((cx + r).ceil() as u32).min(self.width);
        let y1 = ((cy + r).ceil() as u32).min(self.height);
        for y in y0..y1 {
            for x in x0..x1 {
                let mut n = 0;
                for sy in 0..4 {
                    for sx in 0..4 {
                        let px = f64::from(x) + (f64::from(sx) + 0.5) / 4.0 - cx;
                        let py = f64::from(y) + (f64::from(sy) + 0.5) / 4.0 - cy;
                        if px * px + py * py <= r * r {
                            n += 1;
                        }
                    }
                }
                self.blend(x, y, color, f64::from(n) / 16.0);
            }
        }
    }

    /// A rectangle with rounded corners of radius `r`.
    pub fn rounded(&mut self, x0: f64, y0: f64, x1: f64, y1: f64, r: f64, color: Rgb) {
        let r = r.min((x1 - x0) / 2.0).min((y1 - y0) / 2.0);
        self.rect(x0 + r, y0, x1 - r, y1, color);
        self.rect(x0, y0 + r, x0 + r, y1 - r, color);
        self.rect(x1 - r, y0 + r, x1, y1 - r, color);
        for (cx, cy) in [
            (x0 + r, y0 + r),
            (x1 - r, y0 + r),
            (x0 + r, y1 - r),
            (x1 - r, y1 - r),
        ] {
            // Quarter discs: draw the disc clipped to its corner square.
            let qx0 = if cx < (x0 + x1) / 2.0 { x0 } else { cx };
            let qy0 = if cy < (y0 + y1) / 2.0 { y0 } else { cy };
            self.disc_clipped(cx, cy, r, color, qx0, qy0, qx0 + r, qy0 + r);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn disc_clipped(
        &mut self,
        cx: f64,
        cy: f64,
        r: f64,
        color: Rgb,
        x0: f64,
        y0: f64,
        x1: f64,
        y1: f64,
    ) {
        let ix0 = x0.floor().max(0.0) as u32;
        let iy0 = y0.floor().max(0.0) as u32;
        let ix1 = (x1.ceil() as u32).min(self.width);
        let iy1 = (y1.ceil() as u32).min(self.height);
        for y in iy0..iy1 {
            for x in ix0..ix1 {
                let mut n = 0;
                for sy in 0..4 {
                    for sx in 0..4 {
                        let px = f64::from(x) + (f64::from(sx) + 0.5) / 4.0;
                        let py = f64::from(y) + (f64::from(sy) + 0.5) / 4.0;
                        let inside_clip = px >= x0 && px < x1 && py >= y0 && py < y1;
                        let (dx, dy) = (px - cx, py - cy);
                        if inside_clip && dx * dx + dy * dy <= r * r {
                            n += 1;
                        }
                    }
                }
                self.blend(x, y, color, f64::from(n) / 16.0);
            }
        }
    }

    /// Glyph-like strokes for `text`, `size` pixels tall, starting at
    /// (`x`, `y`) (top-left). Returns the width drawn.
    pub fn text(&mut self, x: f64, y: f64, size: f64, text: &str, color: Rgb) -> f64 {
        let w = size * 0.6;
        let s = (size * 0.12).max(0.6);
        let mut cx = x;
        for ch in text.chars() {
            if ch == ' ' {
                cx += w;
                continue;
            }
            let mut h = splitmix(u64::from(ch));
            if (h & 0x1ff).count_ones() < 2 {
                h |= 0b10_0001;
            }
            for k in 0..9 {
                if h >> k & 1 == 1 {
                    let (gx, gy) = (cx, y);
                    let g = w * 0.85;
                    match k {
                        0 => self.rect(gx, gy, gx + s, gy + size, color),
                        1 => self.rect(gx + g - s, gy, gx + g, gy + size, color),
                        2 => self.rect(gx, gy, gx + g, gy + s, color),
                        3 => self.rect(
                            gx,
                            gy + size / 2.0 - s / 2.0,
                            gx + g,
                            gy + size / 2.0 + s / 2.0,
                            color,
                        ),
                        4 => self.rect(gx, gy + size - s, gx + g, gy + size, color),
                        5 => self.rect(
                            gx + g / 2.0 - s / 2.0,
                            gy,
                            gx + g / 2.0 + s / 2.0,
                            gy + size,
                            color,
                        ),
                        6 => self.disc(gx + g / 2.0, gy + size * 0.3, size * 0.18, color),
                        7 => self.rect(
                            gx,
                            gy + size * 0.7,
                            gx + g / 2.0,
                            gy + size * 0.7 + s,
                            color,
                        ),
                        _ => self.rect(
                            gx + g / 2.0,
                            gy + size * 0.25,
                            gx + g,
                            gy + size * 0.25 + s,
                            color,
                        ),
                    }
                }
            }
            cx += w;
        }
        cx - x
    }

    /// A button: rounded fill, a border, a centred label; `scale` 1 is
    /// 240×72 px. Returns its bounds (x, y, width, height).
    pub fn button(
        &mut self,
        x: f64,
        y: f64,
        scale: f64,
        label: &str,
        fill: Rgb,
        ink: Rgb,
    ) -> (f64, f64, f64, f64) {
        let (w, h) = (240.0 * scale, 72.0 * scale);
        self.rounded(x, y, x + w, y + h, 14.0 * scale, ink);
        let b = 3.0 * scale;
        self.rounded(x + b, y + b, x + w - b, y + h - b, 11.0 * scale, fill);
        let size = 28.0 * scale;
        let tw = label.chars().count() as f64 * size * 0.6;
        self.text(x + (w - tw) / 2.0, y + (h - size) / 2.0, size, label, ink);
        (x, y, w, h)
    }

    /// An icon: a coloured disc with a glyph; `scale` 1 is 64×64.
    pub fn icon(&mut self, x: f64, y: f64, scale: f64, seed: char, color: Rgb) {
        let r = 30.0 * scale;
        self.disc(x + 32.0 * scale, y + 32.0 * scale, r, color);
        let size = 30.0 * scale;
        self.text(
            x + 32.0 * scale - size * 0.3,
            y + 17.0 * scale,
            size,
            &seed.to_string(),
            [1.0, 1.0, 1.0],
        );
    }

    /// Deterministic noise of ±`amplitude` (0..1 units) on every channel.
    pub fn noise(&mut self, amplitude: f64, seed: u64) {
        let mut rng = Rng::new(seed);
        for p in &mut self.px {
            for c in p.iter_mut() {
                *c = (*c + (rng.unit() * 2.0 - 1.0) * amplitude).clamp(0.0, 1.0);
            }
        }
    }

    pub fn to_rgba(&self) -> RgbaImage {
        let mut img = RgbaImage::new(self.width, self.height);
        for (p, c) in img.pixels_mut().zip(&self.px) {
            let q = |v: f64| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
            *p = Rgba([q(c[0]), q(c[1]), q(c[2]), 255]);
        }
        img
    }
}

pub const WHITE: Rgb = [1.0, 1.0, 1.0];
pub const INK: Rgb = [0.13, 0.13, 0.16];
pub const BLUE: Rgb = [0.10, 0.45, 0.91];
pub const LIGHT: Rgb = [0.93, 0.95, 0.98];

/// An app-like screen `width`×`height` with element scale `scale` (1 for a
/// 1080-wide screen): status bar, toolbar, list rows, and the buttons named
/// in `buttons` along the bottom. Returns the canvas and each button's
/// bounds.
pub fn app_screen(
    width: u32,
    height: u32,
    scale: f64,
    buttons: &[&str],
    seed: u64,
) -> (Canvas, Vec<(f64, f64, f64, f64)>) {
    let mut c = Canvas::new(width, height, WHITE);
    let mut rng = Rng::new(seed);
    let (w, h) = (f64::from(width), f64::from(height));
    // Status bar and toolbar.
    c.rect(0.0, 0.0, w, 60.0 * scale, [0.05, 0.3, 0.7]);
    c.text(24.0 * scale, 16.0 * scale, 28.0 * scale, "12:30", WHITE);
    c.rect(0.0, 60.0 * scale, w, 200.0 * scale, BLUE);
    c.text(40.0 * scale, 100.0 * scale, 56.0 * scale, "Settings", WHITE);
    // List rows with icons and two text lines.
    let row_h = 150.0 * scale;
    let mut y = 230.0 * scale;
    let words = [
        "Privacy", "Account", "Notices", "Location", "Storage", "Camera", "Contacts", "Advert",
    ];
    let mut i = 0;
    while y + row_h < h - 260.0 * scale {
        let glyph = char::from(b'A' + u8::try_from(rng.range(0, 26)).unwrap());
        let hue = [
            rng.unit() * 0.6,
            0.3 + rng.unit() * 0.5,
            0.4 + rng.unit() * 0.5,
        ];
        c.icon(40.0 * scale, y + 40.0 * scale, scale, glyph, hue);
        let word = words[(i + rng.range(0, 8) as usize) % words.len()];
        c.text(140.0 * scale, y + 38.0 * scale, 34.0 * scale, word, INK);
        let line: String = (0..rng.range(12, 26))
            .map(|k| {
                if k % 6 == 5 {
                    ' '
                } else {
                    char::from(b'a' + u8::try_from(rng.range(0, 26)).unwrap())
                }
            })
            .collect();
        c.text(
            140.0 * scale,
            y + 88.0 * scale,
            22.0 * scale,
            &line,
            [0.45, 0.45, 0.5],
        );
        c.rect(
            140.0 * scale,
            y + row_h - 2.0 * scale,
            w,
            y + row_h,
            [0.85, 0.86, 0.88],
        );
        y += row_h;
        i += 1;
    }
    // Buttons along the bottom.
    let mut bounds = Vec::new();
    let bw = 240.0 * scale;
    let gap = ((w - bw * buttons.len() as f64) / (buttons.len() as f64 + 1.0)).max(0.0);
    for (k, label) in buttons.iter().enumerate() {
        let bx = gap + (bw + gap) * k as f64;
        let (fill, ink) = if k % 2 == 0 {
            (BLUE, WHITE)
        } else {
            (LIGHT, BLUE)
        };
        bounds.push(c.button(bx, h - 160.0 * scale, scale, label, fill, ink));
    }
    (c, bounds)
}
