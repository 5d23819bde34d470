//! Simulated screen rendering speed: a 1080×2400 app screen (toolbar, a
//! list of rows with Latin and CJK text, checkboxes, buttons) under a
//! permission dialog with a scrim, rendered to pixels, to PNG (what
//! `screencap -p` costs) and to uiautomator XML. Target: PNG under 50 ms.

use criterion::{Criterion, criterion_group, criterion_main};

use consentry::sim::render::{png, raster, uiautomator_xml};

#[path = "support/sim_screens.rs"]
mod sim_screens;

use sim_screens::{app, dialog};

fn bench(c: &mut Criterion) {
    let screen = sim_screens::screen(vec![app(), dialog()]);
    // Load the fonts and fill the glyph cache outside the measurement, as
    // a running simulator has.
    png(&screen).expect("fonts installed by scripts/setup.sh");
    let mut group = c.benchmark_group("sim_render_1080x2400");
    group.bench_function("png", |b| b.iter(|| png(&screen).expect("renders")));
    group.bench_function("raster", |b| b.iter(|| raster(&screen)));
    group.bench_function("uiautomator_xml", |b| b.iter(|| uiautomator_xml(&screen)));
    group.finish();
    if let Some(path) = std::env::var_os("SIM_RENDER_PNG") {
        std::fs::write(path, png(&screen).expect("renders")).expect("write png");
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
