//! `consentry match`: JSON on stdout with the match, exit 0 when matched,
//! 1 when not, 2 on bad input; scales, masks and `--all` work end to end
//! on PNG files.

#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss,
    clippy::many_single_char_names
)]

mod common;

use assert_cmd::Command;
use common::synth::{self, Canvas};
use image::{DynamicImage, GrayImage, Luma, RgbaImage};
use predicates::prelude::*;
use serde_json::Value;

fn consentry() -> Command {
    Command::cargo_bin("consentry").expect("binary built")
}

struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Self {
        Files {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }

    fn save(&self, name: &str, img: &DynamicImage) -> std::path::PathBuf {
        let p = self.path(name);
        img.save(&p).unwrap();
        p
    }
}

fn screen_with_icons(spots: &[(f64, f64)]) -> RgbaImage {
    let mut c = Canvas::new(320, 240, synth::WHITE);
    c.rect(0.0, 0.0, 320.0, 30.0, synth::BLUE);
    for &(x, y) in spots {
        c.icon(x, y, 1.0, 'K', synth::BLUE);
    }
    c.button(10.0, 170.0, 0.5, "Go", synth::BLUE, synth::WHITE);
    c.to_rgba()
}

fn icon_template() -> DynamicImage {
    let mut c = Canvas::new(64, 64, synth::WHITE);
    c.icon(0.0, 0.0, 1.0, 'K', synth::BLUE);
    DynamicImage::ImageRgba8(c.to_rgba())
}

fn json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn a_match_prints_its_place_and_exits_0() {
    let f = Files::new();
    let screen = f.save(
        "screen.png",
        &DynamicImage::ImageRgba8(screen_with_icons(&[(150.0, 60.0)])),
    );
    let tpl = f.save("icon.png", &icon_template());
    let out = consentry()
        .arg("match")
        .arg(&screen)
        .arg(&tpl)
        .assert()
        .code(0)
        .get_output()
        .clone();
    let v = json(&out);
    assert_eq!(v["matched"], true);
    assert_eq!((v["x"].as_u64(), v["y"].as_u64()), (Some(150), Some(60)));
    assert_eq!(
        (v["width"].as_u64(), v["height"].as_u64()),
        (Some(64), Some(64))
    );
    assert!(v["score"].as_f64().unwrap() > 0.99);
    assert_eq!(v["scale"].as_f64(), Some(1.0));
    assert_eq!(
        (v["center_x"].as_u64(), v["center_y"].as_u64()),
        (Some(182), Some(92))
    );
    assert!(v.get("matches").is_none());
}

#[test]
fn no_match_exits_1_with_the_best_candidate() {
    let f = Files::new();
    let screen = f.save(
        "screen.png",
        &DynamicImage::ImageRgba8(screen_with_icons(&[])),
    );
    let tpl = f.save("icon.png", &icon_template());
    let out = consentry()
        .arg("match")
        .arg(&screen)
        .arg(&tpl)
        .assert()
        .code(1)
        .get_output()
        .clone();
    let v = json(&out);
    assert_eq!(v["matched"], false);
    assert!(v["score"].as_f64().unwrap() < 0.9);
    // A threshold below the best score turns it into a match.
    let low = v["score"].as_f64().unwrap() - 0.01;
    consentry()
        .arg("match")
        .arg(&screen)
        .arg(&tpl)
        .args(["--threshold", &low.to_string()])
        .assert()
        .code(0);
}

#[test]
fn all_lists_every_match_and_scales_find_resized_templates() {
    let f = Files::new();
    let screen = f.save(
        "screen.png",
        &DynamicImage::ImageRgba8(screen_with_icons(&[(20.0, 50.0), (200.0, 120.0)])),
    );
    let tpl = f.save("icon.png", &icon_template());
    let out = consentry()
        .arg("match")
        .arg(&screen)
        .arg(&tpl)
        .arg("--all")
        .assert()
        .code(0)
        .get_output()
        .clone();
    let v = json(&out);
    let mut spots: Vec<(u64, u64)> = v["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["x"].as_u64().unwrap(), m["y"].as_u64().unwrap()))
        .collect();
    spots.sort_unstable();
    assert_eq!(spots, vec![(20, 50), (200, 120)]);
    // The icon exported at 1.5× is found with a scale range.
    let big = icon_template().resize_exact(96, 96, image::imageops::FilterType::Triangle);
    let big = f.save("big.png", &big);
    let out = consentry()
        .arg("match")
        .arg(&screen)
        .arg(&big)
        .args(["--scales", "0.5..1.0"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    let v = json(&out);
    let scale = v["scale"].as_f64().unwrap();
    assert!((scale - 2.0 / 3.0).abs() < 0.03, "{v}");
    assert!(
        v["x"].as_u64().unwrap().abs_diff(20) <= 2 || v["x"].as_u64().unwrap().abs_diff(200) <= 2,
        "{v}"
    );
    consentry()
        .arg("match")
        .arg(&screen)
        .arg(&big)
        .assert()
        .code(1);
}

#[test]
fn a_mask_ignores_the_template_background() {
    let f = Files::new();
    // The icon on a dark background in the template, on white in the screen.
    let mut c = Canvas::new(64, 64, [0.0, 0.0, 0.0]);
    c.icon(0.0, 0.0, 1.0, 'K', synth::BLUE);
    let tpl = f.save("icon.png", &DynamicImage::ImageRgba8(c.to_rgba()));
    let mut m = Canvas::new(64, 64, [0.0, 0.0, 0.0]);
    m.disc(32.0, 32.0, 27.0, synth::WHITE);
    let mask = f.save("mask.png", &DynamicImage::ImageRgba8(m.to_rgba()));
    let screen = f.save(
        "screen.png",
        &DynamicImage::ImageRgba8(screen_with_icons(&[(100.0, 100.0)])),
    );
    consentry()
        .arg("match")
        .arg(&screen)
        .arg(&tpl)
        .assert()
        .code(1);
    let out = consentry()
        .arg("match")
        .arg(&screen)
        .arg(&tpl)
        .arg("--mask")
        .arg(&mask)
        .assert()
        .code(0)
        .get_output()
        .clone();
    let v = json(&out);
    assert_eq!((v["x"].as_u64(), v["y"].as_u64()), (Some(100), Some(100)));
    let wrong = f.save(
        "wrong.png",
        &DynamicImage::ImageLuma8(GrayImage::from_pixel(8, 8, Luma([255]))),
    );
    consentry()
        .arg("match")
        .arg(&screen)
        .arg(&tpl)
        .arg("--mask")
        .arg(&wrong)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("mask"));
}

#[test]
fn bad_input_exits_2_with_the_path() {
    let f = Files::new();
    let screen = f.save(
        "screen.png",
        &DynamicImage::ImageRgba8(screen_with_icons(&[])),
    );
    let tpl = f.save("icon.png", &icon_template());
    let corrupt = f.path("corrupt.png");
    let mut bytes = std::fs::read(&screen).unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&corrupt, bytes).unwrap();
    consentry()
        .arg("match")
        .arg(&corrupt)
        .arg(&tpl)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("corrupt.png"))
        .stdout("");
    consentry()
        .arg("match")
        .arg(f.path("missing.png"))
        .arg(&tpl)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing.png"));
    // Template larger than the screenshot: an input error, not a no-match.
    consentry()
        .arg("match")
        .arg(&tpl)
        .arg(&screen)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("larger than the screen"));
    for bad in [
        ["--threshold", "2"],
        ["--scales", "2..1"],
        ["--scales", "x"],
    ] {
        consentry()
            .arg("match")
            .arg(&screen)
            .arg(&tpl)
            .args(bad)
            .assert()
            .code(2);
    }
}
