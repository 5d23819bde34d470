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

use consentry::sim::ui::{Node, Rect, Rgba, Screen, Style, Window};

/// A simulator screen: a toolbar, 24 rows of Latin and CJK text (some
/// checkboxes) and two buttons, drawn by the simulator's renderer.
fn sim_screen() -> image::RgbaImage {
    const APP: &str = "com.example.tidynotes";
    let text = |class: &str, label: &str, bounds: Rect, style: Style| {
        let mut n = Node::container(class, APP, bounds);
        n.text = label.to_string();
        n.style = style;
        n
    };
    let mut root = Node::container(
        "android.widget.FrameLayout",
        APP,
        Rect::new(0, 0, 1080, 2400),
    );
    root.style.background = Rgba([250, 250, 250, 255]);
    root.children.push(text(
        "android.widget.TextView",
        "Tidy Notes 整洁笔记",
        Rect::new(0, 80, 1080, 240),
        Style {
            background: Rgba([33, 150, 243, 255]),
            foreground: Rgba::WHITE,
            text_size: 56.0,
            border: false,
        },
    ));
    for i in 0..24 {
        let top = 260 + i * 84;
        let class = if i % 4 == 0 {
            "android.widget.CheckBox"
        } else {
            "android.widget.TextView"
        };
        let mut row = text(
            class,
            &format!(
                "Note {i}: sync over Wi-Fi only 仅在无线网络下同步 {}",
                i * 37 % 101
            ),
            Rect::new(0, top, 1080, top + 80),
            Style {
                text_size: 40.0,
                ..Style::default()
            },
        );
        row.checkable = i % 4 == 0;
        row.checked = i % 8 == 0;
        root.children.push(row);
    }
    for (i, label) in ["Scan 扫描", "Me 我的"].iter().enumerate() {
        let left = 40 + i32::try_from(i).unwrap_or(0) * 520;
        root.children.push(text(
            "android.widget.Button",
            label,
            Rect::new(left, 2290, left + 480, 2380),
            Style {
                background: Rgba([33, 150, 243, 255]),
                foreground: Rgba::WHITE,
                text_size: 44.0,
                border: true,
            },
        ));
    }
    let window = Window {
        package: APP.to_string(),
        title: format!("{APP}/.MainActivity"),
        root,
    };
    consentry::sim::render::raster(&Screen {
        width: 1080,
        height: 2400,
        background: Rgba::BLACK,
        windows: vec![window],
    })
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
