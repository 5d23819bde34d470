//! Times consentry's matcher on the comparison images without PNG
//! decoding: each image is decoded and converted to luma once, then
//! `Screen::from_gray` (the pyramid) plus `find` run repeatedly, at one
//! scale and over 0.5..2.0 with the default steps. Prints one JSON object
//! per screen, template and mode with the median time.
//!
//! `cargo run --release --example vision_timing -- DIR [RUNS]`

#[path = "support/vision_cases.rs"]
mod cases;

use std::path::PathBuf;
use std::time::Instant;

use consentry::vision::{self, MatchOptions, ScaleRange, Screen, Template};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Whether the region of template `name` at `at` (within 2 px) holds the
/// same pixels as at its own `place`: a copy of a repeated element, which
/// is as right an answer as the place itself.
fn copy_of(screen: &image::GrayImage, name: &str, place: (u32, u32), at: (u32, u32)) -> bool {
    let (w, h) = cases::size(name);
    let fits = |(x, y): (u32, u32)| x + w <= screen.width() && y + h <= screen.height();
    let same = |(x, y): (u32, u32)| {
        (0..h).all(|j| {
            (0..w).all(|i| {
                screen.get_pixel(x + i, y + j) == screen.get_pixel(place.0 + i, place.1 + j)
            })
        })
    };
    (at.1.saturating_sub(2)..=at.1 + 2)
        .flat_map(|y| (at.0.saturating_sub(2)..=at.0 + 2).map(move |x| (x, y)))
        .any(|p| fits(p) && same(p))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args_os().skip(1);
    let dir = args
        .next()
        .map_or_else(|| PathBuf::from("target/vision-fixtures"), PathBuf::from);
    let runs: usize = args
        .next()
        .and_then(|a| a.to_str().and_then(|s| s.parse().ok()))
        .unwrap_or(20);
    for (k, screen_name) in cases::SCREENS.into_iter().enumerate() {
        let screen = vision::luma(&vision::load_image(
            &dir.join(format!("{screen_name}.png")),
        )?);
        for (name, _) in cases::TEMPLATES {
            let path = dir.join(format!("{screen_name}_{name}.png"));
            let tpl = vision::luma(&vision::load_image(&path)?);
            let template = Template::from_gray(&tpl)?;
            for (mode, scales) in [
                ("single", ScaleRange::single(1.0)),
                ("range", "0.5..2.0".parse::<ScaleRange>()?),
            ] {
                let opts = MatchOptions {
                    scales,
                    ..MatchOptions::default()
                };
                let mut times = Vec::with_capacity(runs);
                let mut last = None;
                for i in 0..runs + 2 {
                    let t0 = Instant::now();
                    let s = Screen::from_gray(&screen)?;
                    let r = vision::find(&s, &template, &opts)?;
                    let ms = t0.elapsed().as_secs_f64() * 1e3;
                    if i >= 2 {
                        times.push(ms);
                    }
                    last = Some(r);
                }
                let Some(r) = last else { continue };
                let (px, py) = cases::place(name, k);
                let near = |x: u32, y: u32| r.best.x.abs_diff(x) <= 2 && r.best.y.abs_diff(y) <= 2;
                let at = if near(px, py) {
                    "place"
                } else if copy_of(&screen, name, (px, py), (r.best.x, r.best.y)) {
                    "copy"
                } else {
                    "elsewhere"
                };
                println!(
                    "{{\"impl\":\"consentry\",\"screen\":\"{screen_name}\",\"template\":\"{name}\",\"mode\":\"{mode}\",\"median_ms\":{:.3},\"x\":{},\"y\":{},\"score\":{:.5},\"scale\":{:.4},\"at\":\"{at}\"}}",
                    median(times),
                    r.best.x,
                    r.best.y,
                    r.best.score,
                    r.best.scale
                );
            }
        }
    }
    Ok(())
}
