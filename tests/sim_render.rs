//! The simulated screen renderer against real device output: uiautomator
//! dumps compared with the real captures in `../shared/real-captures`
//! (override with `CONSENTRY_REAL_CAPTURES`), and the PNG checked pixel by
//! pixel.

use std::path::PathBuf;

use consentry::sim::render::{font_files, png, raster, uiautomator_xml};
use consentry::sim::ui::{Node, Rect, Rgba, Screen, Style, Window};

const APP: &str = "com.example.tidynotes";
const DIALOG: &str = "com.google.android.permissioncontroller";

fn captures_dir() -> PathBuf {
    std::env::var_os("CONSENTRY_REAL_CAPTURES").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/real-captures"),
        PathBuf::from,
    )
}

/// The real `uiautomator dump` captures (the `u2_` one comes from the
/// uiautomator2 Python tool, a different, indented format).
fn real_dumps() -> Vec<(String, String)> {
    let dir = captures_dir().join("uiautomator");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("real captures missing at {}: {e}", dir.display()))
    {
        let path = entry.expect("dir entry").path();
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .to_string();
        if path.extension().is_some_and(|e| e == "xml") && !name.starts_with("u2_") {
            out.push((name, std::fs::read_to_string(&path).expect("read capture")));
        }
    }
    assert!(
        out.len() >= 3,
        "expected the real uiautomator dumps in {}",
        dir.display()
    );
    out
}

fn text_node(class: &str, package: &str, text: &str, bounds: Rect) -> Node {
    let mut n = Node::container(class, package, bounds);
    n.text = text.to_string();
    n
}

fn button(id: &str, text: &str, bounds: Rect, background: Rgba) -> Node {
    let mut b = text_node("android.widget.Button", DIALOG, text, bounds);
    b.resource_id = format!("com.android.permissioncontroller:id/{id}");
    b.clickable = true;
    b.focusable = true;
    b.style = Style {
        background,
        foreground: Rgba::WHITE,
        text_size: 42.0,
        border: false,
    };
    b
}

fn app_window() -> Window {
    let mut root = Node::container(
        "android.widget.FrameLayout",
        APP,
        Rect::new(0, 0, 1080, 2400),
    );
    root.style.background = Rgba([250, 250, 250, 255]);
    let mut title = text_node(
        "android.widget.TextView",
        APP,
        "Tidy Notes <beta> & \"more\" 'quoted'",
        Rect::new(0, 100, 1080, 250),
    );
    title.resource_id = format!("{APP}:id/title");
    root.children.push(title);
    let mut agree = text_node(
        "android.widget.CheckBox",
        APP,
        "I agree 我同意",
        Rect::new(0, 300, 1080, 420),
    );
    agree.checkable = true;
    agree.clickable = true;
    root.children.push(agree);
    Window {
        package: APP.to_string(),
        title: format!("{APP}/.MainActivity"),
        root,
    }
}

fn dialog_window() -> Window {
    let mut root = Node::container(
        "android.widget.FrameLayout",
        DIALOG,
        Rect::new(60, 1381, 1020, 2256),
    );
    root.style.background = Rgba([240, 240, 245, 255]);
    let mut message = text_node(
        "android.widget.TextView",
        DIALOG,
        "Allow Tidy Notes to take pictures and record video?",
        Rect::new(60, 1420, 1020, 1700),
    );
    message.resource_id = "com.android.permissioncontroller:id/permission_message".to_string();
    root.children.push(message);
    root.children.push(button(
        "permission_allow_button",
        "While using the app",
        Rect::new(100, 1750, 980, 1880),
        Rgba([26, 115, 232, 255]),
    ));
    root.children.push(button(
        "permission_deny_button",
        "Don't allow",
        Rect::new(100, 1900, 980, 2030),
        Rgba([26, 115, 232, 255]),
    ));
    Window {
        package: DIALOG.to_string(),
        title: "com.google.android.permissioncontroller/com.android.permissioncontroller.permission.ui.GrantPermissionsActivity".to_string(),
        root,
    }
}

fn screen(windows: Vec<Window>) -> Screen {
    Screen {
        width: 1080,
        height: 2400,
        background: Rgba([0, 0, 0, 255]),
        windows,
    }
}

fn attr_names(node: roxmltree::Node<'_, '_>) -> Vec<String> {
    node.attributes().map(|a| a.name().to_string()).collect()
}

// ---------------------------------------------------------------------------
// XML

/// The right and bottom edges of the widest and tallest bounds in a tree.
fn extent(node: &Node) -> (u32, u32) {
    let edge = |v: i32| u32::try_from(v).unwrap_or(0);
    node.children.iter().map(extent).fold(
        (edge(node.bounds.right), edge(node.bounds.bottom)),
        |(w, h), (cw, ch)| (w.max(cw), h.max(ch)),
    )
}

/// Rebuilds our widget tree from a real dump.
fn from_real(node: roxmltree::Node<'_, '_>) -> Node {
    let a = |name: &str| node.attribute(name).unwrap_or_default().to_string();
    let flag = |name: &str| node.attribute(name) == Some("true");
    let nums: Vec<i32> = a("bounds")
        .split(|c: char| !c.is_ascii_digit() && c != '-')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().expect("bounds number"))
        .collect();
    let mut n = Node::container(
        &a("class"),
        &a("package"),
        Rect::new(nums[0], nums[1], nums[2], nums[3]),
    );
    n.text = a("text");
    n.resource_id = a("resource-id");
    n.content_desc = a("content-desc");
    n.checkable = flag("checkable");
    n.checked = flag("checked");
    n.clickable = flag("clickable");
    n.enabled = flag("enabled");
    n.focusable = flag("focusable");
    n.focused = flag("focused");
    n.scrollable = flag("scrollable");
    n.long_clickable = flag("long-clickable");
    n.password = flag("password");
    n.selected = flag("selected");
    n.children = node
        .children()
        .filter(|c| c.has_tag_name("node"))
        .map(from_real)
        .collect();
    n
}

#[test]
fn real_dumps_are_reproduced_byte_for_byte_up_to_skipped_indexes() {
    let index = regex::Regex::new(r#" index="[0-9]+""#).expect("regex");
    for (name, real) in real_dumps() {
        let doc = roxmltree::Document::parse(&real).unwrap_or_else(|e| panic!("{name}: {e}"));
        let tops: Vec<_> = doc
            .root_element()
            .children()
            .filter(|c| c.has_tag_name("node"))
            .collect();
        assert_eq!(
            tops.len(),
            1,
            "{name}: uiautomator dump holds the active window only"
        );
        // The display is at least as large as every bound the dump holds
        // (a landscape dump reaches past 1080): ours clips to it.
        let root = from_real(tops[0]);
        let (width, height) = extent(&root);
        let screen = Screen {
            width,
            height,
            background: Rgba::BLACK,
            windows: vec![Window {
                package: String::new(),
                title: String::new(),
                root,
            }],
        };
        // A real dump keeps the sibling position of a child it skips as
        // invisible (index="0" then index="2"); the widget tree has no
        // invisible nodes, so indexes are compared apart, as positions.
        let ours = uiautomator_xml(&screen);
        assert_eq!(
            index.replace_all(&ours, " index=\"\""),
            index.replace_all(&real, " index=\"\""),
            "{name}"
        );
    }
}

#[test]
fn attribute_order_and_line_shape_match_real_dumps() {
    let ours = uiautomator_xml(&screen(vec![app_window()]));
    let doc = roxmltree::Document::parse(&ours).expect("our dump parses");
    let our_names = attr_names(
        doc.descendants()
            .find(|n| n.has_tag_name("node"))
            .expect("a node"),
    );
    for (name, real) in real_dumps() {
        let real_doc = roxmltree::Document::parse(&real).expect("real dump parses");
        for node in real_doc.descendants().filter(|n| n.has_tag_name("node")) {
            // uiautomator writes `NAF="true"` first on a node that is not
            // accessibility friendly; ours does too (`is_naf`), and the
            // node compared with here is not one.
            let mut names = attr_names(node);
            if names.first().is_some_and(|n| n == "NAF") {
                names.remove(0);
            }
            assert_eq!(names, our_names, "{name}");
        }
        assert_eq!(
            attr_names(real_doc.root_element()),
            attr_names(doc.root_element())
        );
        let head = |s: &str| s[..s.find("<node").expect("a node")].to_string();
        assert_eq!(head(&ours), head(&real), "{name}");
        assert_eq!(
            ours.lines().count(),
            real.lines().count(),
            "{name}: single line"
        );
        assert!(real.ends_with("</node></hierarchy>") && ours.ends_with("</node></hierarchy>"));
        assert_eq!(
            ours.ends_with('\n'),
            real.ends_with('\n'),
            "{name}: trailing newline"
        );
        assert!(
            real.contains("\" />") && ours.contains("\" />"),
            "{name}: leaves self-close"
        );
    }
}

#[test]
fn dump_round_trips_structure_text_and_bounds() {
    let s = screen(vec![app_window()]);
    let xml = uiautomator_xml(&s);
    let doc = roxmltree::Document::parse(&xml).expect("parses");
    let nodes: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("node"))
        .collect();
    let ours = s.windows[0].root.walk();
    assert_eq!(nodes.len(), ours.len());
    for (x, n) in nodes.iter().zip(&ours) {
        assert_eq!(x.attribute("text"), Some(n.text.as_str()));
        assert_eq!(x.attribute("class"), Some(n.class.as_str()));
        assert_eq!(x.attribute("resource-id"), Some(n.resource_id.as_str()));
        let b = n.bounds;
        let bounds = format!("[{},{}][{},{}]", b.left, b.top, b.right, b.bottom);
        assert_eq!(x.attribute("bounds"), Some(bounds.as_str()));
        assert_eq!(
            x.attribute("checkable"),
            Some(if n.checkable { "true" } else { "false" })
        );
    }
    // index is the position among siblings.
    let indexes: Vec<_> = nodes[0]
        .children()
        .filter_map(|c| c.attribute("index"))
        .collect();
    assert_eq!(indexes, ["0", "1"]);
    // Escaping on the wire, as Android writes it.
    assert!(
        xml.contains(r#"text='Tidy Notes &lt;beta&gt; &amp; "more" &apos;quoted&apos;'"#),
        "{xml}"
    );
    assert!(xml.contains(r#"text="I agree 我同意""#), "{xml}");
}

#[test]
fn only_the_top_window_is_dumped() {
    let xml = uiautomator_xml(&screen(vec![app_window(), dialog_window()]));
    let doc = roxmltree::Document::parse(&xml).expect("parses");
    let tops: Vec<_> = doc.root_element().children().collect();
    assert_eq!(tops.len(), 1);
    assert_eq!(tops[0].attribute("package"), Some(DIALOG));
    assert_eq!(tops[0].attribute("bounds"), Some("[60,1381][1020,2256]"));
    assert!(
        !xml.contains(APP),
        "the app under the dialog is not in the dump"
    );
    assert!(
        xml.contains(
            r#"resource-id="com.android.permissioncontroller:id/permission_allow_button""#
        )
    );
    assert!(xml.contains(r#"text="Don't allow""#));
}

// ---------------------------------------------------------------------------
// PNG

fn in_rect(r: Rect, x: u32, y: u32) -> bool {
    r.contains(i32::try_from(x).expect("x"), i32::try_from(y).expect("y"))
}

#[test]
fn png_decodes_to_the_screen_size() {
    let s = screen(vec![app_window(), dialog_window()]);
    let bytes = png(&s).expect("renders");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let img = image::load_from_memory(&bytes).expect("decodes").to_rgba8();
    assert_eq!(img.dimensions(), (1080, 2400));
    assert_eq!(img, raster(&s), "the PNG is the raster, losslessly");
}

#[test]
fn button_background_fills_its_bounds() {
    let img = raster(&screen(vec![app_window(), dialog_window()]));
    let blue = [26, 115, 232, 255];
    // Corners of the allow button (no text there) and outside it.
    assert_eq!(img.get_pixel(105, 1755).0, blue);
    assert_eq!(img.get_pixel(975, 1875).0, blue);
    assert_ne!(img.get_pixel(105, 1745).0, blue);
    let inside = Rect::new(100, 1750, 980, 1880);
    let count = img
        .enumerate_pixels()
        .filter(|(x, y, p)| in_rect(inside, *x, *y) && p.0 == blue)
        .count();
    assert!(count > 880 * 130 / 2, "{count}");
}

#[test]
fn text_is_drawn_inside_its_node_and_clipped_to_its_window() {
    let bg = [240, 240, 245, 255];
    let window_rect = Rect::new(60, 1381, 1020, 2256);
    let mut w = dialog_window();
    w.root.children.clear();
    let text_rect = Rect::new(60, 1420, 1600, 1520);
    let mut long = text_node(
        "android.widget.TextView",
        DIALOG,
        "WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW",
        text_rect,
    );
    long.style.foreground = Rgba([200, 0, 0, 255]);
    w.root.children.push(long);
    let s = Screen {
        background: Rgba::WHITE,
        ..screen(vec![w])
    };
    let img = raster(&s);
    let mut inside = 0;
    for (x, y, p) in img.enumerate_pixels() {
        let ink = u16::from(p.0[0]) > u16::from(p.0[1]) + 40;
        if in_rect(window_rect, x, y) {
            if ink {
                assert!(
                    in_rect(text_rect, x, y),
                    "text ink outside its node at {x},{y}"
                );
                inside += 1;
            } else if !in_rect(text_rect, x, y) {
                assert_eq!(p.0, bg, "window background at {x},{y}");
            }
        } else {
            assert_eq!(
                p.0,
                [255, 255, 255, 255],
                "drawn outside the window at {x},{y}"
            );
        }
    }
    assert!(inside > 2000, "{inside} text pixels");
}

/// The pixels of a single line of `text` drawn in a fixed box.
fn glyph_box(text: &str) -> Vec<[u8; 4]> {
    let r = Rect::new(0, 0, 300, 120);
    let mut root = text_node("android.widget.TextView", APP, text, r);
    root.style = Style {
        background: Rgba::WHITE,
        foreground: Rgba::BLACK,
        text_size: 60.0,
        border: false,
    };
    let s = Screen {
        width: 300,
        height: 120,
        background: Rgba::WHITE,
        windows: vec![Window {
            package: APP.to_string(),
            title: String::new(),
            root,
        }],
    };
    raster(&s).pixels().map(|p| p.0).collect()
}

fn ink(pixels: &[[u8; 4]]) -> usize {
    pixels.iter().filter(|p| p[0] < 128).count()
}

#[test]
fn cjk_text_draws_real_glyphs_from_noto() {
    let files = font_files().expect("fonts installed by scripts/setup.sh");
    assert!(
        files
            .iter()
            .any(|f| f.to_string_lossy().contains("DejaVuSans")),
        "{files:?}"
    );
    assert!(
        files
            .iter()
            .any(|f| f.to_string_lossy().contains("NotoSans")),
        "{files:?}"
    );
    let zhong = glyph_box("中");
    let guo = glyph_box("国");
    let han = glyph_box("한");
    // U+0378 is unassigned: no font has it, so it draws the missing-glyph box.
    let tofu = glyph_box("\u{378}");
    let tofu2 = glyph_box("\u{379}");
    assert!(ink(&tofu) > 0, "the missing-glyph box has ink");
    assert_eq!(tofu, tofu2, "every missing glyph draws the same box");
    for (name, g) in [("中", &zhong), ("国", &guo), ("한", &han)] {
        assert!(ink(g) > 100, "{name} draws ink");
        assert_ne!(g, &tofu, "{name} is not the missing-glyph box");
    }
    assert_ne!(zhong, guo);
    assert_ne!(zhong, han);
}

#[test]
fn checked_checkbox_differs_from_unchecked() {
    let render = |checked: bool| {
        let mut w = app_window();
        w.root.children[1].checked = checked;
        raster(&screen(vec![w]))
    };
    let (on, off) = (render(true), render(false));
    let r = Rect::new(0, 300, 1080, 420);
    let mut differ = 0;
    for (x, y, p) in on.enumerate_pixels() {
        let q = off.get_pixel(x, y);
        if p != q {
            assert!(in_rect(r, x, y), "only the checkbox changes, not {x},{y}");
            differ += 1;
        }
    }
    assert!(differ > 500, "{differ} pixels differ");
    let dark = |img: &image::RgbaImage| {
        img.enumerate_pixels()
            .filter(|(x, y, p)| in_rect(r, *x, *y) && p.0[0] < 100)
            .count()
    };
    assert!(dark(&on) > dark(&off), "checked is filled");
}

#[test]
fn tiny_and_oversized_screens_do_not_panic() {
    let s = Screen {
        width: 1,
        height: 1,
        background: Rgba([1, 2, 3, 4]),
        windows: Vec::new(),
    };
    let img = image::load_from_memory(&png(&s).expect("renders")).expect("decodes");
    assert_eq!(img.to_rgba8().get_pixel(0, 0).0, [1, 2, 3, 255]);
    let huge = Screen {
        width: 100_000,
        height: 10,
        ..s
    };
    let err = png(&huge).expect_err("too large");
    assert!(err.to_string().contains("too large"), "{err}");
}
