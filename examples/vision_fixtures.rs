//! Writes the images of the OpenCV comparison: three 1080×2400 screens
//! (`vision_cases.rs`) and templates of 64×64, 200×80 and 400×400 cut from
//! each, as PNGs in the given directory (default
//! `target/vision-fixtures`). Deterministic: the same files every run.
//!
//! `cargo run --release --example vision_fixtures [DIR]`

#[path = "../tests/common/synth.rs"]
mod synth;
#[path = "../tests/common/ui_screen.rs"]
mod ui_screen;

use std::path::PathBuf;

#[path = "support/vision_cases.rs"]
mod cases;

#[path = "../benches/support/sim_screens.rs"]
mod sim_screens;

/// The benchmarks' simulated app window, drawn by the simulator's renderer.
fn sim_screen() -> image::RgbaImage {
    consentry::sim::render::raster(&sim_screens::screen(vec![sim_screens::app()]))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from("target/vision-fixtures"), PathBuf::from);
    std::fs::create_dir_all(&dir)?;
    let (mut canvas, _) = synth::app_screen(1080, 2400, 1.0, &["Reject", "Accept"], 42);
    canvas.noise(0.01, 42);
    let screens = [
        canvas.to_rgba(),
        ui_screen::ui_screen(1080, 2400, 60, 6, 11).image,
        sim_screen(),
    ];
    for (k, (screen, name)) in screens.iter().zip(cases::SCREENS).enumerate() {
        screen.save(dir.join(format!("{name}.png")))?;
        for (t, places) in cases::TEMPLATES {
            let (x, y) = places[k];
            let (w, h) = cases::size(t);
            let mut crop = image::imageops::crop_imm(screen, x, y, w, h).to_image();
            if let Some((mw, mh)) = cases::made_at(t) {
                // `thumbnail` averages the area each pixel covers.
                crop = image::imageops::thumbnail(&crop, mw, mh);
            }
            crop.save(dir.join(format!("{name}_{t}.png")))?;
        }
    }
    println!("{}", dir.display());
    Ok(())
}
