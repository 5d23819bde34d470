#![allow(dead_code)]
//! The simulated screens the benchmarks draw: a 1080×2400 app window
//! (toolbar, 24 rows of Latin and CJK text, some checkboxes, two buttons)
//! and a permission dialog over it. Shared by `benches/sim_render.rs` and
//! `examples/vision_fixtures.rs`.

use consentry::sim::ui::{Node, Rect, Rgba, Screen, Style, Window};

const APP: &str = "com.example.tidynotes";
const DIALOG: &str = "com.google.android.permissioncontroller";

fn text(class: &str, package: &str, text: &str, bounds: Rect, style: Style) -> Node {
    let mut n = Node::container(class, package, bounds);
    n.text = text.to_string();
    n.style = style;
    n
}

pub(crate) fn app() -> Window {
    let mut root = Node::container(
        "android.widget.FrameLayout",
        APP,
        Rect::new(0, 0, 1080, 2400),
    );
    root.style.background = Rgba([250, 250, 250, 255]);
    let bar = Style {
        background: Rgba([33, 150, 243, 255]),
        foreground: Rgba::WHITE,
        text_size: 56.0,
        border: false,
    };
    root.children.push(text(
        "android.widget.TextView",
        APP,
        "Tidy Notes 整洁笔记",
        Rect::new(0, 80, 1080, 240),
        bar,
    ));
    for i in 0..24 {
        let top = 260 + i * 84;
        let bounds = Rect::new(0, top, 1080, top + 80);
        let mut row = if i % 4 == 0 {
            let mut c = text(
                "android.widget.CheckBox",
                APP,
                &format!("Sync note {i} over Wi-Fi only 仅在无线网络下同步"),
                bounds,
                Style::default(),
            );
            c.checkable = true;
            c.checked = i % 8 == 0;
            c
        } else {
            text(
                "android.widget.TextView",
                APP,
                &format!("Note {i}: shopping list, meeting notes & ideas 购物清单"),
                bounds,
                Style {
                    text_size: 40.0,
                    ..Style::default()
                },
            )
        };
        row.clickable = true;
        root.children.push(row);
    }
    for (i, label) in ["Scan", "Me"].iter().enumerate() {
        let left = 40 + i32::try_from(i).expect("small") * 520;
        let mut b = text(
            "android.widget.Button",
            APP,
            label,
            Rect::new(left, 2290, left + 480, 2380),
            Style {
                background: Rgba([33, 150, 243, 255]),
                foreground: Rgba::WHITE,
                text_size: 44.0,
                border: true,
            },
        );
        b.clickable = true;
        root.children.push(b);
    }
    Window {
        package: APP.to_string(),
        title: format!("{APP}/.MainActivity"),
        root,
    }
}

pub(crate) fn dialog() -> Window {
    let mut scrim = Node::container(
        "android.widget.FrameLayout",
        DIALOG,
        Rect::new(0, 0, 1080, 2400),
    );
    scrim.style.background = Rgba([0, 0, 0, 128]);
    let mut card = Node::container(
        "android.widget.LinearLayout",
        DIALOG,
        Rect::new(60, 1381, 1020, 2256),
    );
    card.style.background = Rgba::WHITE;
    card.children.push(text(
        "android.widget.TextView",
        DIALOG,
        "Allow Tidy Notes to take pictures and record video? 允许“整洁笔记”拍摄照片和录制视频吗？",
        Rect::new(60, 1420, 1020, 1700),
        Style {
            text_size: 48.0,
            ..Style::default()
        },
    ));
    for (i, label) in ["While using the app", "Only this time", "Don't allow"]
        .iter()
        .enumerate()
    {
        let top = 1740 + i32::try_from(i).expect("small") * 160;
        let mut b = text(
            "android.widget.Button",
            DIALOG,
            label,
            Rect::new(100, top, 980, top + 140),
            Style {
                background: Rgba([232, 240, 254, 255]),
                foreground: Rgba([26, 115, 232, 255]),
                text_size: 44.0,
                border: false,
            },
        );
        b.clickable = true;
        card.children.push(b);
    }
    scrim.children.push(card);
    Window {
        package: DIALOG.to_string(),
        title: format!(
            "{DIALOG}/com.android.permissioncontroller.permission.ui.GrantPermissionsActivity"
        ),
        root: scrim,
    }
}

/// A 1080×2400 screen showing `windows`, bottom first.
pub(crate) fn screen(windows: Vec<Window>) -> Screen {
    Screen {
        width: 1080,
        height: 2400,
        background: Rgba::BLACK,
        windows,
    }
}
