//! Screenshot checks against references: scores equal a naive
//! `TM_CCOEFF_NORMED` (built on imageproc's cross-correlation) on random
//! crops, buttons drawn at other scales are found, absent ones are not,
//! edge cases stay finite and typed, and the screen-state checks (blank,
//! changed, region compare with diff, perceptual hash) behave.

#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss,
    clippy::many_single_char_names
)]

mod common;

use common::synth::{self, Canvas, Rng};
use consentry::vision::{
    self, CompareOptions, MatchError, MatchOptions, Plane, Rect, ScaleRange, Screen, Strategy,
    Template,
};
use image::{DynamicImage, GrayImage, ImageBuffer, Luma, RgbaImage};
use imageproc::template_matching::{MatchTemplateMethod, match_template};

fn gray(img: &RgbaImage) -> GrayImage {
    vision::luma(&DynamicImage::ImageRgba8(img.clone()))
}

fn crop(img: &GrayImage, x: u32, y: u32, w: u32, h: u32) -> GrayImage {
    image::imageops::crop_imm(img, x, y, w, h).to_image()
}

/// Naive `TM_CCOEFF_NORMED` at every position, in `f64`. Flat windows
/// score 0 as in the matcher.
fn reference_map(img: &GrayImage, t: &GrayImage) -> Vec<Vec<f64>> {
    let (tw, th) = t.dimensions();
    let n = f64::from(tw * th);
    let tv: Vec<f64> = t.pixels().map(|p| f64::from(p.0[0])).collect();
    let tmean = tv.iter().sum::<f64>() / n;
    let tnorm2: f64 = tv.iter().map(|v| (v - tmean) * (v - tmean)).sum();
    let mut out =
        vec![vec![0.0; (img.width() - tw + 1) as usize]; (img.height() - th + 1) as usize];
    for (y, row) in out.iter_mut().enumerate() {
        for (x, v) in row.iter_mut().enumerate() {
            let (mut s1, mut s2, mut cc) = (0.0, 0.0, 0.0);
            for j in 0..th {
                for i in 0..tw {
                    let p = f64::from(img.get_pixel(x as u32 + i, y as u32 + j).0[0]);
                    s1 += p;
                    s2 += p * p;
                    cc += p * tv[(j * tw + i) as usize];
                }
            }
            let var = s2 - s1 * s1 / n;
            let num = cc - tmean * s1;
            *v = if var <= n * 1e-3 || tnorm2 <= n * 1e-3 {
                0.0
            } else {
                num / (var * tnorm2).sqrt()
            };
        }
    }
    out
}

/// imageproc's naive cross-correlation (`Σ T·I`, accumulated in `f32`)
/// agrees with the `f64` sums behind [`reference_map`], so that the
/// reference is itself checked against an independent implementation.
fn check_reference_against_imageproc(img: &GrayImage, t: &GrayImage) {
    let cc = match_template(img, t, MatchTemplateMethod::CrossCorrelation);
    let (tw, th) = t.dimensions();
    for y in 0..cc.height() {
        for x in 0..cc.width() {
            let mut s = 0.0f64;
            for j in 0..th {
                for i in 0..tw {
                    s += f64::from(img.get_pixel(x + i, y + j).0[0])
                        * f64::from(t.get_pixel(i, j).0[0]);
                }
            }
            let got = f64::from(cc.get_pixel(x, y).0[0]);
            assert!(
                (got - s).abs() <= 1e-5 * s.max(1.0),
                "imageproc {got} vs {s} at {x},{y}"
            );
        }
    }
}

/// Fully naive masked `TM_CCOEFF_NORMED` at one position (0/1 mask).
fn reference_masked(img: &GrayImage, t: &GrayImage, m: &[bool], x: u32, y: u32) -> f64 {
    let (tw, th) = t.dimensions();
    let idx = |i: u32, j: u32| (j * tw + i) as usize;
    let (mut n, mut ts, mut is) = (0.0, 0.0, 0.0);
    for j in 0..th {
        for i in 0..tw {
            if m[idx(i, j)] {
                n += 1.0;
                ts += f64::from(t.get_pixel(i, j).0[0]);
                is += f64::from(img.get_pixel(x + i, y + j).0[0]);
            }
        }
    }
    let (tm, im) = (ts / n, is / n);
    let (mut num, mut a, mut b) = (0.0, 0.0, 0.0);
    for j in 0..th {
        for i in 0..tw {
            if m[idx(i, j)] {
                let tp = f64::from(t.get_pixel(i, j).0[0]) - tm;
                let ip = f64::from(img.get_pixel(x + i, y + j).0[0]) - im;
                num += tp * ip;
                a += tp * tp;
                b += ip * ip;
            }
        }
    }
    num / (a * b).sqrt()
}

fn argmax(map: &[Vec<f64>]) -> (usize, usize, f64) {
    let mut best = (0, 0, f64::NEG_INFINITY);
    for (y, row) in map.iter().enumerate() {
        for (x, &v) in row.iter().enumerate() {
            if v > best.2 {
                best = (x, y, v);
            }
        }
    }
    best
}

fn find(screen: &GrayImage, t: &GrayImage, opts: &MatchOptions) -> vision::MatchResult {
    let s = Screen::from_gray(screen).unwrap();
    let t = Template::from_gray(t).unwrap();
    vision::find(&s, &t, opts).unwrap()
}

fn small_screen(seed: u64) -> GrayImage {
    let (mut c, _) = synth::app_screen(180, 140, 0.16, &["OK"], seed);
    c.noise(0.03, seed);
    gray(&c.to_rgba())
}

#[test]
fn scores_agree_with_the_naive_reference_on_random_crops() {
    let mut rng = Rng::new(7);
    for round in 0..12 {
        let img = small_screen(round);
        let (tw, th) = (rng.range(3, 40), rng.range(3, 30));
        let (x, y) = (
            rng.range(0, img.width() - tw),
            rng.range(0, img.height() - th),
        );
        let t = crop(&img, x, y, tw, th);
        let reference = reference_map(&img, &t);
        if round < 3 {
            check_reference_against_imageproc(&img, &t);
        }
        let (rx, ry, rbest) = argmax(&reference);
        for strategy in [Strategy::Exhaustive, Strategy::Pyramid] {
            let r = find(
                &img,
                &t,
                &MatchOptions {
                    strategy,
                    ..MatchOptions::default()
                },
            );
            let b = r.best;
            let at = reference[b.y as usize][b.x as usize];
            assert!(
                (f64::from(b.score) - at).abs() < 1e-3,
                "round {round} {strategy:?} {tw}x{th}: score {} vs reference {at} at {},{}",
                b.score,
                b.x,
                b.y
            );
            assert!(
                (f64::from(b.score) - rbest).abs() < 1e-3,
                "round {round} {strategy:?} {tw}x{th}: best {} at {},{} vs reference best {rbest} at {rx},{ry}",
                b.score,
                b.x,
                b.y
            );
            assert!(r.matched());
        }
    }
}

#[test]
fn exhaustive_fft_path_agrees_with_the_reference_for_large_templates() {
    // A large template makes the FFT path cheaper than direct loops.
    let img = small_screen(99);
    let t = crop(&img, 20, 30, 120, 90);
    let reference = reference_map(&img, &t);
    let (rx, ry, _) = argmax(&reference);
    let r = find(
        &img,
        &t,
        &MatchOptions {
            strategy: Strategy::Exhaustive,
            max_matches: 5,
            threshold: -1.0,
            ..MatchOptions::default()
        },
    );
    assert_eq!((r.best.x as usize, r.best.y as usize), (rx, ry));
    for m in &r.matches {
        let at = reference[m.y as usize][m.x as usize];
        assert!((f64::from(m.score) - at).abs() < 1e-3, "{m:?} vs {at}");
    }
}

#[test]
fn masked_scores_agree_with_the_naive_masked_reference() {
    let img = small_screen(3);
    let (x, y, tw, th) = (50u32, 40u32, 30u32, 24u32);
    let t = crop(&img, x, y, tw, th);
    // Mask out a ring at the border and a block in the middle.
    let mask: Vec<bool> = (0..th)
        .flat_map(|j| {
            (0..tw).map(move |i| {
                (2..tw - 2).contains(&i) && (2..th - 2).contains(&j) && !(10..16).contains(&i)
            })
        })
        .collect();
    let mplane = Plane::new(
        tw as usize,
        th as usize,
        mask.iter().map(|&b| f32::from(u8::from(b))).collect(),
    )
    .unwrap();
    let screen = Screen::from_gray(&img).unwrap();
    let template = Template::from_gray(&t).unwrap().with_mask(mplane).unwrap();
    for strategy in [Strategy::Exhaustive, Strategy::Pyramid] {
        let r = vision::find(
            &screen,
            &template,
            &MatchOptions {
                strategy,
                max_matches: 4,
                threshold: 0.2,
                ..MatchOptions::default()
            },
        )
        .unwrap();
        assert_eq!((r.best.x, r.best.y), (x, y), "{strategy:?}");
        for m in &r.matches {
            let reference = reference_masked(&img, &t, &mask, m.x, m.y);
            assert!(
                (f64::from(m.score) - reference).abs() < 1e-3,
                "{strategy:?} {m:?} vs {reference}"
            );
        }
    }
}

#[test]
fn transparent_pixels_are_ignored() {
    // An icon cut with its background made transparent, found on a
    // screen where the icon sits on a different background.
    // Rendered on black and on white to recover straight alpha, as an
    // icon exported with transparency would be.
    let render = |bg| {
        let mut c = Canvas::new(64, 64, bg);
        c.icon(0.0, 0.0, 1.0, 'Q', synth::BLUE);
        c.to_rgba()
    };
    let (on_black, on_white) = (render([0.0, 0.0, 0.0]), render(synth::WHITE));
    let mut t = on_black.clone();
    for (p, w) in t.pixels_mut().zip(on_white.pixels()) {
        let alpha = 255 - i32::from(w.0[0]) + i32::from(p.0[0]);
        let a = alpha.clamp(0, 255);
        for c in 0..3 {
            p.0[c] = u8::try_from((i32::from(p.0[c]) * 255 / a.max(1)).min(255)).unwrap();
        }
        p.0[3] = u8::try_from(a).unwrap();
    }
    let mut screen = Canvas::new(300, 200, [0.9, 0.6, 0.2]);
    screen.rect(0.0, 0.0, 300.0, 100.0, [0.2, 0.8, 0.3]);
    screen.icon(120.0, 70.0, 1.0, 'Q', synth::BLUE);
    let screen = Screen::from_image(&DynamicImage::ImageRgba8(screen.to_rgba())).unwrap();
    let template = Template::from_image(&DynamicImage::ImageRgba8(t)).unwrap();
    let r = vision::find(&screen, &template, &MatchOptions::default()).unwrap();
    assert!(r.matched(), "{r:?}");
    assert!(
        r.best.x.abs_diff(120) <= 1 && r.best.y.abs_diff(70) <= 1,
        "{r:?}"
    );
}

/// A screen with the target button drawn at `scale` (if any) among others.
fn button_screen(scale: f64, with_target: bool) -> (GrayImage, (f64, f64, f64, f64)) {
    let labels: &[&str] = if with_target {
        &["Cancel", "Accept all"]
    } else {
        &["Cancel", "Settings"]
    };
    let (mut c, bounds) = synth::app_screen(540, 960, 0.5, &[], 11);
    let mut target = (0.0, 0.0, 0.0, 0.0);
    let mut y = 600.0;
    for label in labels {
        let b = c.button(30.0, y, scale, label, synth::BLUE, synth::WHITE);
        if *label == "Accept all" {
            target = b;
        }
        y += b.3 + 30.0;
    }
    let _ = bounds;
    c.noise(0.01, 5);
    (gray(&c.to_rgba()), target)
}

fn button_template() -> GrayImage {
    let mut c = Canvas::new(248, 80, synth::WHITE);
    c.button(4.0, 4.0, 1.0, "Accept all", synth::BLUE, synth::WHITE);
    gray(&c.to_rgba())
}

#[test]
fn buttons_are_found_at_other_scales_and_not_when_absent() {
    let template = button_template();
    let opts = MatchOptions {
        scales: ScaleRange::new(0.5, 2.0, 5).unwrap(),
        ..MatchOptions::default()
    };
    for scale in [0.75, 1.5] {
        let (img, (bx, by, bw, _)) = button_screen(scale, true);
        let r = find(&img, &template, &opts);
        assert!(r.matched(), "scale {scale}: {r:?}");
        let b = r.best;
        // The template has a 4 px margin around the button.
        let (ex, ey) = (bx - 4.0 * scale, by - 4.0 * scale);
        assert!(
            (f64::from(b.x) - ex).abs() <= 3.0 && (f64::from(b.y) - ey).abs() <= 3.0,
            "scale {scale}: {b:?} vs {ex},{ey}"
        );
        assert!(
            (f64::from(b.scale) / scale - 1.0).abs() < 0.06,
            "scale {scale}: {b:?}"
        );
        assert!(
            (f64::from(b.width) - (bw + 8.0 * scale)).abs() <= 4.0,
            "scale {scale}: {b:?}"
        );
        let (cx, cy) = b.center();
        assert!(
            (f64::from(cx) - (bx + bw / 2.0)).abs() <= 4.0
                && (f64::from(cy) - (by + 36.0 * scale)).abs() <= 4.0
        );
    }
    let (img, _) = button_screen(1.0, false);
    let r = find(&img, &template, &opts);
    assert!(!r.matched(), "absent button matched: {r:?}");
}

#[test]
fn pyramid_finds_what_the_exhaustive_search_finds() {
    let template = button_template();
    let (img, _) = button_screen(1.0, true);
    let py = find(&img, &template, &MatchOptions::default());
    let ex = find(
        &img,
        &template,
        &MatchOptions {
            strategy: Strategy::Exhaustive,
            ..MatchOptions::default()
        },
    );
    assert_eq!((py.best.x, py.best.y), (ex.best.x, ex.best.y));
    assert!((py.best.score - ex.best.score).abs() < 1e-3);
}

#[test]
fn all_matches_are_listed_once_each() {
    let mut c = Canvas::new(400, 300, synth::WHITE);
    let spots = [(10.0, 10.0), (200.0, 30.0), (90.0, 180.0)];
    for (x, y) in spots {
        c.icon(x, y, 1.0, 'K', synth::BLUE);
    }
    // A distractor: the same colours inverted.
    c.rect(300.0, 200.0, 364.0, 264.0, synth::BLUE);
    c.disc(332.0, 232.0, 30.0, synth::WHITE);
    let img = gray(&c.to_rgba());
    let t = crop(&img, 10, 10, 64, 64);
    for strategy in [Strategy::Pyramid, Strategy::Exhaustive] {
        let r = find(
            &img,
            &t,
            &MatchOptions {
                max_matches: 10,
                strategy,
                ..MatchOptions::default()
            },
        );
        let mut got: Vec<(u32, u32)> = r.matches.iter().map(|m| (m.x, m.y)).collect();
        got.sort_unstable();
        assert_eq!(
            got,
            vec![(10, 10), (90, 180), (200, 30)],
            "{strategy:?}: {r:?}"
        );
        assert!(r.matches.windows(2).all(|w| w[0].score >= w[1].score));
    }
}

#[test]
fn template_larger_than_the_screen_is_an_error_unless_a_scale_fits() {
    let img = small_screen(1);
    let big = GrayImage::new(img.width() + 1, 10);
    let s = Screen::from_gray(&img).unwrap();
    let t = Template::from_gray(&big).unwrap();
    let e = vision::find(&s, &t, &MatchOptions::default()).unwrap_err();
    assert!(matches!(e, MatchError::TemplateTooLarge { .. }), "{e}");
    let opts = MatchOptions {
        scales: ScaleRange::new(0.5, 1.0, 3).unwrap(),
        ..MatchOptions::default()
    };
    let r = vision::find(&s, &t, &opts).unwrap();
    assert!(r.best.score.is_finite() && r.best.scale < 1.0);
}

#[test]
fn one_pixel_and_uniform_templates_give_finite_scores() {
    let mut c = Canvas::new(120, 90, [0.2, 0.2, 0.2]);
    c.rect(60.0, 30.0, 110.0, 80.0, synth::WHITE);
    let img = gray(&c.to_rgba());
    let white = GrayImage::from_pixel(1, 1, Luma([255]));
    let flat = GrayImage::from_pixel(20, 20, Luma([255]));
    for t in [white, flat] {
        for strategy in [Strategy::Pyramid, Strategy::Exhaustive] {
            let r = find(
                &img,
                &t,
                &MatchOptions {
                    strategy,
                    max_matches: 3,
                    ..MatchOptions::default()
                },
            );
            assert!(
                r.best.score.is_finite() && (0.0..=1.0).contains(&r.best.score),
                "{r:?}"
            );
            // A flat template matches a flat area of its level.
            assert!(r.matched(), "{strategy:?} {r:?}");
            assert!(r.best.x >= 60 && r.best.y >= 30, "{strategy:?} {r:?}");
        }
    }
    // ... and not an area of another level.
    let gray_t = GrayImage::from_pixel(8, 8, Luma([128]));
    let r = find(&img, &gray_t, &MatchOptions::default());
    assert!(!r.matched() && r.best.score.is_finite(), "{r:?}");
}

#[test]
fn flat_windows_score_zero_not_nan() {
    let img = GrayImage::from_pixel(50, 40, Luma([200]));
    let t = crop(&small_screen(2), 30, 30, 12, 9);
    for strategy in [Strategy::Pyramid, Strategy::Exhaustive] {
        let r = find(
            &img,
            &t,
            &MatchOptions {
                strategy,
                ..MatchOptions::default()
            },
        );
        assert!(r.best.score.abs() < 1e-6, "{r:?}");
    }
}

fn png_bytes(img: &DynamicImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[test]
fn grayscale_rgba_and_16_bit_inputs_give_the_same_match() {
    let (c, _) = synth::app_screen(200, 160, 0.2, &["Go"], 4);
    let rgba = c.to_rgba();
    let g = gray(&rgba);
    let g16: ImageBuffer<Luma<u16>, Vec<u16>> =
        ImageBuffer::from_fn(g.width(), g.height(), |x, y| {
            Luma([u16::from(g.get_pixel(x, y).0[0]) * 257])
        });
    let rgba16 = DynamicImage::ImageRgba8(rgba.clone()).to_rgba16();
    let t = crop(&g, 40, 50, 30, 20);
    let inputs = [
        DynamicImage::ImageLuma8(g.clone()),
        DynamicImage::ImageRgba8(rgba),
        DynamicImage::ImageLuma16(g16),
        DynamicImage::ImageRgba16(rgba16),
    ];
    let template = Template::from_gray(&t).unwrap();
    let mut results = Vec::new();
    for img in inputs {
        // Through PNG, as the command reads them.
        let decoded = vision::decode_image(&png_bytes(&img), "screen").unwrap();
        assert_eq!(decoded.color(), img.color());
        let s = Screen::from_image(&decoded).unwrap();
        let r = vision::find(&s, &template, &MatchOptions::default()).unwrap();
        results.push((r.best.x, r.best.y));
        assert!(r.best.score > 0.99, "{:?}: {r:?}", img.color());
    }
    assert!(results.iter().all(|&p| p == (40, 50)), "{results:?}");
}

#[test]
fn corrupt_and_truncated_images_are_errors_not_panics() {
    let bytes = png_bytes(&DynamicImage::ImageRgba8(
        synth::app_screen(64, 48, 0.1, &[], 1).0.to_rgba(),
    ));
    for len in [
        0,
        1,
        8,
        16,
        33,
        50,
        bytes.len() / 2,
        bytes.len() * 3 / 4,
        bytes.len() - 30,
    ] {
        assert!(
            vision::decode_image(&bytes[..len], "cut").is_err(),
            "truncated at {len}"
        );
    }
    let mut rng = Rng::new(3);
    for _ in 0..40 {
        let mut b = bytes.clone();
        for _ in 0..4 {
            let i = rng.range(8, u32::try_from(b.len()).unwrap()) as usize;
            b[i] ^= u8::try_from(rng.range(1, 256)).unwrap();
        }
        // Either an error or an image; never a panic.
        let _ = vision::decode_image(&b, "flipped");
    }
    let e = vision::load_image(std::path::Path::new("/nonexistent/screen.png")).unwrap_err();
    assert!(e.to_string().contains("/nonexistent/screen.png"), "{e}");
}

#[test]
fn bad_options_and_masks_are_typed_errors() {
    let img = small_screen(1);
    let s = Screen::from_gray(&img).unwrap();
    let t = Template::from_gray(&crop(&img, 0, 0, 10, 10)).unwrap();
    let e = vision::find(
        &s,
        &t,
        &MatchOptions {
            threshold: 1.5,
            ..MatchOptions::default()
        },
    )
    .unwrap_err();
    assert_eq!(e, MatchError::Threshold(1.5));
    assert!(ScaleRange::new(2.0, 1.0, 5).is_err());
    assert!(ScaleRange::new(0.0, 1.0, 5).is_err());
    assert!("0.5..x".parse::<ScaleRange>().is_err());
    // A range's default steps are at most STEP_RATIO apart.
    let steps = "0.5..2".parse::<ScaleRange>().unwrap().values();
    assert_eq!(steps.len(), 17, "16 steps, and the template's own scale");
    assert!(steps.contains(&1.0));
    assert!(
        steps
            .windows(2)
            .all(|w| f64::from(w[1] / w[0]) <= vision::STEP_RATIO + 1e-6)
    );
    let wrong = Plane::filled(3, 3, 1.0);
    assert!(matches!(
        t.clone().with_mask(wrong),
        Err(MatchError::MaskSize { .. })
    ));
    assert_eq!(
        t.with_mask(Plane::filled(10, 10, 0.0)).unwrap_err(),
        MatchError::EmptyMask
    );
}

#[test]
fn blank_screens_are_detected() {
    let white = Canvas::new(108, 240, synth::WHITE).to_rgba();
    let black = Canvas::new(108, 240, [0.0, 0.0, 0.0]).to_rgba();
    let mut splash = Canvas::new(108, 240, [0.1, 0.4, 0.9]);
    splash.icon(44.0, 100.0, 0.3, 'S', synth::WHITE);
    splash.noise(0.01, 2);
    let (app, _) = synth::app_screen(108, 240, 0.1, &["OK"], 3);
    for (name, img, blank) in [
        ("white", white, true),
        ("black", black, true),
        ("splash", splash.to_rgba(), true),
        ("app", app.to_rgba(), false),
    ] {
        let b = vision::blankness(&img, 8);
        assert_eq!(b.is_blank(0.97), blank, "{name}: {b:?}");
    }
    let b = vision::blankness(&Canvas::new(10, 10, [0.0, 0.0, 0.0]).to_rgba(), 8);
    assert_eq!(b.dominant_color, [0, 0, 0]);
}

#[test]
fn changes_are_detected_with_tolerance_and_region() {
    let (base, bounds) = synth::app_screen(216, 480, 0.2, &["OK", "No"], 8);
    let baseline = base.to_rgba();
    let mut noisy = base.clone();
    noisy.noise(0.02, 9);
    let opts = CompareOptions::default();
    let same = vision::compare(&baseline, &noisy.to_rgba(), &opts).unwrap();
    assert!(
        !same.changed && same.changed_pixels == 0 && same.max_delta > 0,
        "{same:?}"
    );
    // Press the first button: its fill changes.
    let mut pressed = base.clone();
    let (bx, by, bw, bh) = bounds[0];
    pressed.rect(
        bx + 2.0,
        by + 2.0,
        bx + bw - 2.0,
        by + bh - 2.0,
        [0.9, 0.2, 0.2],
    );
    let current = pressed.to_rgba();
    let c = vision::compare(&baseline, &current, &opts).unwrap();
    assert!(c.changed, "{c:?}");
    let cb = c.changed_bounds.unwrap();
    assert!(
        f64::from(cb.x) >= bx && f64::from(cb.right() as u32) <= bx + bw + 1.0,
        "{cb:?} vs {bounds:?}"
    );
    // Restricted to the other button, nothing changed.
    let (ox, oy, ow, oh) = bounds[1];
    let region = Rect::new(ox as u32, oy as u32, ow as u32, oh as u32);
    let r = vision::compare(
        &baseline,
        &current,
        &CompareOptions {
            region: Some(region),
            ..opts
        },
    )
    .unwrap();
    assert!(!r.changed && r.changed_pixels == 0, "{r:?}");
    // The diff image covers the region and marks every changed pixel.
    let full = Rect::new(0, 0, baseline.width(), baseline.height());
    let diff = vision::diff_image(
        &baseline,
        &current,
        &CompareOptions {
            region: Some(full),
            ..opts
        },
    )
    .unwrap();
    assert_eq!(diff.dimensions(), baseline.dimensions());
    let red = diff.pixels().filter(|p| p.0 == [255, 0, 0, 255]).count() as u64;
    assert_eq!(red, c.changed_pixels);
    // Errors: other sizes, a region outside.
    let small = RgbaImage::new(10, 10);
    assert!(vision::compare(&baseline, &small, &opts).is_err());
    let outside = CompareOptions {
        region: Some(Rect::new(200, 0, 50, 10)),
        ..opts
    };
    assert!(vision::compare(&baseline, &current, &outside).is_err());
}

#[test]
fn perceptual_hashes_group_similar_screens() {
    let (a, _) = synth::app_screen(216, 480, 0.2, &["OK"], 1);
    let mut a_noisy = a.clone();
    a_noisy.noise(0.03, 4);
    let (b, _) = synth::app_screen(216, 480, 0.2, &["OK"], 2);
    let login = {
        let mut c = Canvas::new(216, 480, [0.1, 0.1, 0.12]);
        c.rect(20.0, 150.0, 196.0, 190.0, synth::WHITE);
        c.rect(20.0, 220.0, 196.0, 260.0, synth::WHITE);
        c.button(48.0, 320.0, 0.5, "Log in", synth::BLUE, synth::WHITE);
        c
    };
    let img = |c: &Canvas| DynamicImage::ImageRgba8(c.to_rgba());
    for hash in [vision::dhash, vision::phash] {
        let (ha, hn, hb, hl) = (
            hash(&img(&a)),
            hash(&img(&a_noisy)),
            hash(&img(&b)),
            hash(&img(&login)),
        );
        assert_eq!(ha.distance(ha), 0);
        assert!(ha.distance(hn) <= 6, "noisy copy: {}", ha.distance(hn));
        assert!(ha.distance(hl) >= 16, "other screen: {}", ha.distance(hl));
        assert!(
            ha.distance(hb) < ha.distance(hl),
            "same layout {} vs other {}",
            ha.distance(hb),
            ha.distance(hl)
        );
        assert_eq!(ha.to_string().len(), 16);
    }
}

/// Encodes `img` as a PNG of colour type `color`.
fn png_of(img: &image::RgbaImage, color: image::ExtendedColorType) -> Vec<u8> {
    use image::ImageEncoder as _;
    let dynamic = image::DynamicImage::ImageRgba8(img.clone());
    let raw = match color {
        image::ExtendedColorType::Rgb8 => dynamic.to_rgb8().into_raw(),
        image::ExtendedColorType::L8 => dynamic.to_luma8().into_raw(),
        image::ExtendedColorType::La8 => dynamic.to_luma_alpha8().into_raw(),
        _ => dynamic.to_rgba8().into_raw(),
    };
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(&raw, img.width(), img.height(), color)
        .expect("encode");
    out
}

#[test]
fn streamed_pngs_hash_and_measure_as_their_decoded_pixels() {
    let (app, _) = synth::app_screen(108, 240, 0.1, &["OK", "Cancel"], 5);
    let app = app.to_rgba();
    let real = std::fs::read("../shared/real-captures/uiautomator/anr-dialog_pixel8_systemui.png")
        .expect("the real capture");
    let mut cases: Vec<(String, Vec<u8>)> = [
        image::ExtendedColorType::Rgba8,
        image::ExtendedColorType::Rgb8,
        image::ExtendedColorType::L8,
        image::ExtendedColorType::La8,
    ]
    .into_iter()
    .map(|c| (format!("{c:?}"), png_of(&app, c)))
    .collect();
    cases.push(("a real screenshot".into(), real));
    for (name, png) in &cases {
        let decoded = vision::decode_image(png, name).unwrap().to_rgba8();
        let streamed = vision::picture_hash_png(png, name).unwrap();
        assert_eq!(streamed, vision::picture_hash(&decoded), "{name}");
        assert_eq!(
            (streamed.width, streamed.height),
            decoded.dimensions(),
            "{name}"
        );
        assert_eq!(
            vision::blankness_png(png, name, 8).unwrap(),
            vision::blankness(&decoded, 8),
            "{name}"
        );
        let mut rows = 0;
        vision::png_rows(png, name, &mut |r| {
            assert_eq!(r.len(), decoded.width() as usize * 4);
            rows += 1;
        })
        .unwrap();
        assert_eq!(rows, decoded.height(), "{name}");
    }
    // Pictures that differ below the status bar differ; in it, they do not.
    let mut other = app.clone();
    other.put_pixel(5, 1, image::Rgba([9, 9, 9, 255]));
    assert_eq!(vision::picture_hash(&other), vision::picture_hash(&app));
    other.put_pixel(5, 120, image::Rgba([9, 9, 9, 255]));
    assert_ne!(vision::picture_hash(&other), vision::picture_hash(&app));
    // A cut PNG is an error naming it, not a panic.
    let png = &cases[0].1;
    let err = vision::picture_hash_png(&png[..png.len() / 2], "cut.png").unwrap_err();
    assert!(err.to_string().contains("cut.png"), "{err}");
}
