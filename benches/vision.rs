//! Criterion benchmarks of the vision module on a synthetic 1080×2400
//! screen: template search (64×64, 200×80, 400×400; one scale and five
//! scales), the exhaustive reference for the small template, and the
//! screen-state checks. The OpenCV comparison is scripts/compare_opencv.sh.

#[path = "../tests/common/synth.rs"]
mod synth;

use std::hint::black_box;

use consentry::vision::{
    self, CompareOptions, MatchOptions, ScaleRange, Screen, Strategy, Template,
};
use criterion::{Criterion, criterion_group, criterion_main};
use image::{DynamicImage, GrayImage};

fn screen() -> image::RgbaImage {
    let (mut c, _) = synth::app_screen(1080, 2400, 1.0, &["Reject", "Accept"], 42);
    c.noise(0.01, 42);
    c.to_rgba()
}

fn bench_match(c: &mut Criterion) {
    let rgba = screen();
    let gray: GrayImage = vision::luma(&DynamicImage::ImageRgba8(rgba));
    let mut g = c.benchmark_group("match");
    g.sample_size(10);
    for (name, x, y, w, h) in [
        ("t64", 40, 570, 64, 64),
        ("t200x80", 120, 1010, 200, 80),
        ("t400", 30, 1250, 400, 400),
    ] {
        let t = image::imageops::crop_imm(&gray, x, y, w, h).to_image();
        let template = Template::from_gray(&t).expect("template");
        for (mode, scales) in [
            ("single", ScaleRange::single(1.0)),
            ("range", "0.5..2.0".parse::<ScaleRange>().expect("range")),
        ] {
            let opts = MatchOptions {
                scales,
                ..MatchOptions::default()
            };
            g.bench_function(format!("{name}/{mode}"), |b| {
                b.iter(|| {
                    let s = Screen::from_gray(black_box(&gray)).expect("screen");
                    vision::find(&s, &template, &opts).expect("find")
                });
            });
        }
        if name == "t64" {
            let opts = MatchOptions {
                strategy: Strategy::Exhaustive,
                ..MatchOptions::default()
            };
            let s = Screen::from_gray(&gray).expect("screen");
            g.bench_function("t64/exhaustive", |b| {
                b.iter(|| vision::find(&s, &template, &opts).expect("find"));
            });
        }
    }
    g.finish();
}

fn bench_state(c: &mut Criterion) {
    let a = screen();
    let img = DynamicImage::ImageRgba8(a.clone());
    let mut g = c.benchmark_group("state");
    g.sample_size(10);
    g.bench_function("blankness", |b| {
        b.iter(|| vision::blankness(black_box(&a), 8));
    });
    g.bench_function("compare", |b| {
        b.iter(|| vision::compare(black_box(&a), &a, &CompareOptions::default()).expect("compare"));
    });
    g.bench_function("dhash", |b| b.iter(|| vision::dhash(black_box(&img))));
    g.bench_function("phash", |b| b.iter(|| vision::phash(black_box(&img))));
    g.finish();
}

criterion_group!(benches, bench_match, bench_state);
criterion_main!(benches);
