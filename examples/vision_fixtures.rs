//! Writes the images of the OpenCV comparison and the vision benchmark:
//! a 1080×2400 app-like screen and templates of 64×64, 200×80 and 400×400
//! cut from it, as PNGs in the given directory (default
//! `target/vision-fixtures`). Deterministic: the same files every run.
//!
//! `cargo run --release --example vision_fixtures [DIR]`

#[path = "../tests/common/synth.rs"]
mod synth;

use std::path::PathBuf;

/// The templates: name, x, y, width, height (unique places on the screen).
pub const TEMPLATES: [(&str, u32, u32, u32, u32); 3] = [
    ("t64", 40, 570, 64, 64),
    ("t200x80", 120, 1010, 200, 80),
    ("t400", 30, 1250, 400, 400),
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from("target/vision-fixtures"), PathBuf::from);
    std::fs::create_dir_all(&dir)?;
    let (mut canvas, _) = synth::app_screen(1080, 2400, 1.0, &["Reject", "Accept"], 42);
    canvas.noise(0.01, 42);
    let screen = canvas.to_rgba();
    screen.save(dir.join("screen.png"))?;
    for (name, x, y, w, h) in TEMPLATES {
        let t = image::imageops::crop_imm(&screen, x, y, w, h).to_image();
        t.save(dir.join(format!("{name}.png")))?;
    }
    println!("{}", dir.display());
    Ok(())
}
