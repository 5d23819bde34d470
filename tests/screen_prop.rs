//! Properties of screen understanding: it never panics on any dump the
//! parser accepts, and how a dump is written (attribute order, extra
//! attributes, extra system-bar, keyboard or empty windows) does not change
//! what it says. The real dumps in `../shared/real-captures/uiautomator/`
//! are the inputs of the second property.

use std::fmt::Write as _;

use consentry::android::uiautomator;
use consentry::screen::{self, Wording};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Cases per property.
const CASES: u32 = 64;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\n', "&#10;")
        .replace('\r', "&#13;")
        .replace('\t', "&#9;")
}

/// Writes `node` (a roxmltree element) back as XML with its attributes
/// rotated by `rot` and `extra` attributes added.
fn write(node: roxmltree::Node<'_, '_>, rot: usize, extra: &[(&str, &str)], out: &mut String) {
    let mut attrs: Vec<(String, String)> = node
        .attributes()
        .map(|a| (a.name().to_string(), a.value().to_string()))
        .collect();
    if !attrs.is_empty() {
        let k = rot % attrs.len();
        attrs.rotate_left(k);
        if rot % 2 == 1 {
            attrs.reverse();
        }
    }
    if node.tag_name().name() == "node" {
        for (k, v) in extra {
            if !attrs.iter().any(|(a, _)| a == k) {
                attrs.push(((*k).to_string(), (*v).to_string()));
            }
        }
    }
    out.push('<');
    out.push_str(node.tag_name().name());
    for (k, v) in &attrs {
        let _ = write!(out, " {k}=\"{}\"", esc(v));
    }
    let children: Vec<_> = node
        .children()
        .filter(roxmltree::Node::is_element)
        .collect();
    if children.is_empty() {
        out.push_str(" />");
        return;
    }
    out.push('>');
    for c in children {
        write(c, rot.wrapping_mul(31).wrapping_add(7), extra, out);
    }
    let _ = write!(out, "</{}>", node.tag_name().name());
}

fn window(package: &str, id: &str) -> String {
    format!(
        r#"<node index="0" text="" resource-id="{id}" class="android.widget.FrameLayout" package="{package}" content-desc="" checkable="false" checked="false" clickable="false" enabled="true" focusable="false" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[0,2270][1080,2400]"><node index="0" text="" resource-id="{package}:id/back" class="android.widget.ImageView" package="{package}" content-desc="返回" checkable="false" checked="false" clickable="true" enabled="true" focusable="true" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[700,2270][860,2400]" /></node>"#
    )
}

fn real_dumps() -> Vec<(String, String)> {
    let dir = std::path::Path::new("../shared/real-captures/uiautomator");
    let mut v: Vec<(String, String)> = std::fs::read_dir(dir)
        .expect("real captures beside the checkout")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                std::fs::read_to_string(&p).expect("readable"),
            )
        })
        .collect();
    v.sort();
    assert!(v.len() >= 10);
    v
}

fn understood(xml: &str) -> serde_json::Value {
    let tree =
        uiautomator::parse(xml).unwrap_or_else(|e| panic!("{e}: {}", &xml[..xml.len().min(300)]));
    serde_json::to_value(screen::understand(&tree, None, &Wording::builtin())).expect("JSON")
}

#[test]
fn how_a_dump_is_written_does_not_change_what_it_says() {
    let dumps = real_dumps();
    let wanted: Vec<serde_json::Value> = dumps.iter().map(|(_, x)| understood(x)).collect();
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        0..dumps.len(),
        any::<usize>(),
        any::<bool>(),
        0usize..4,
        0usize..3,
    );
    runner
        .run(&strategy, |(k, rot, extra, insert_at, which)| {
            let (name, xml) = &dumps[k];
            let doc = roxmltree::Document::parse(xml).expect("parses");
            let root = doc.root_element();
            let extras: &[(&str, &str)] = if extra {
                &[("drawing-order", "3"), ("hint", ""), ("visible-to-user", "true"), ("x-new", "1")]
            } else {
                &[]
            };
            let mut windows: Vec<String> = root
                .children()
                .filter(roxmltree::Node::is_element)
                .map(|w| {
                    let mut s = String::new();
                    write(w, rot, extras, &mut s);
                    s
                })
                .collect();
            // A system bar or keyboard window anywhere, or an empty
            // window at the bottom.
            let added = match which {
                0 => window("com.android.systemui", "com.android.systemui:id/navigation_bar_frame"),
                1 => window("com.google.android.inputmethod.latin", ""),
                _ => r#"<node index="0" text="" resource-id="" class="android.view.View" package="com.other.overlay" content-desc="" checkable="false" checked="false" clickable="false" enabled="true" focusable="false" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[0,0][1,1]" />"#.to_string(),
            };
            if which == 2 {
                windows.push(added);
            } else {
                windows.insert(insert_at.min(windows.len()), added);
            }
            let rewritten = format!(
                "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation=\"0\">{}</hierarchy>",
                windows.concat()
            );
            let got = understood(&rewritten);
            prop_assert_eq!(&got, &wanted[k], "{} rewritten", name);
            Ok(())
        })
        .unwrap();
}

/// Values a generated node draws from: real ids, packages, words of every
/// role, and arbitrary text.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        prop::sample::select(vec![
            "允许",
            "拒绝",
            "同意",
            "不同意",
            "跳过 5",
            "Allow",
            "Don't allow",
            "注销账号",
            "我的",
            "隐私政策",
            "权限",
            "Close app",
            "Wait",
            "keeps stopping",
            "isn't responding",
            "个性化推荐",
            "“x”",
            "\u{7}",
            "",
        ])
        .prop_map(str::to_string),
        ".{0,12}",
    ]
}

fn id() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        prop::sample::select(vec![
            "com.android.permissioncontroller:id/permission_allow_button",
            "com.android.permissioncontroller:id/permission_deny_button",
            "com.android.packageinstaller:id/do_not_ask_checkbox",
            "android:id/aerr_close",
            "android:id/aerr_wait",
            "android:id/alertTitle",
            ":id/",
            "x",
        ])
        .prop_map(str::to_string),
    ]
}

#[derive(Debug, Clone)]
struct Gen {
    text: String,
    desc: String,
    id: String,
    package: String,
    class: String,
    flags: u8,
    bounds: String,
    children: Vec<Gen>,
}

fn node() -> impl Strategy<Value = Gen> {
    let leaf = (
        text(),
        text(),
        id(),
        prop::sample::select(vec![
            "",
            "android",
            "com.android.systemui",
            "com.google.android.permissioncontroller",
            "com.x",
        ]),
        prop::sample::select(vec![
            "android.widget.Button",
            "android.widget.TextView",
            "android.widget.CheckBox",
            "android.widget.Switch",
            "android.view.View",
            "",
        ]),
        any::<u8>(),
        prop_oneof![
            Just("[0,0][1080,2400]".to_string()),
            Just("[5,5][1,1]".to_string()),
            Just("bad".to_string()),
            "\\[-?[0-9]{1,4},-?[0-9]{1,4}\\]\\[-?[0-9]{1,4},-?[0-9]{1,4}\\]"
        ],
    )
        .prop_map(|(text, desc, id, package, class, flags, bounds)| Gen {
            text,
            desc,
            id,
            package: package.to_string(),
            class: class.to_string(),
            flags,
            bounds,
            children: Vec::new(),
        });
    leaf.prop_recursive(5, 48, 6, |inner| {
        (inner.clone(), prop::collection::vec(inner, 0..6)).prop_map(|(mut n, c)| {
            n.children = c;
            n
        })
    })
}

fn xml_of(n: &Gen, out: &mut String) {
    let f = |bit: u8| {
        if n.flags & (1 << bit) != 0 {
            "true"
        } else {
            "false"
        }
    };
    let _ = write!(
        out,
        r#"<node text="{}" content-desc="{}" resource-id="{}" package="{}" class="{}" clickable="{}" checkable="{}" checked="{}" enabled="{}" bounds="{}">"#,
        esc(&n.text),
        esc(&n.desc),
        esc(&n.id),
        n.package,
        n.class,
        f(0),
        f(1),
        f(2),
        f(3),
        n.bounds
    );
    for c in &n.children {
        xml_of(c, out);
    }
    out.push_str("</node>");
}

#[test]
fn any_parsed_dump_is_understood_without_panicking() {
    let mut runner = TestRunner::new(Config {
        cases: CASES * 4,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&prop::collection::vec(node(), 0..4), |windows| {
            let mut xml = String::from("<hierarchy rotation=\"0\">");
            for w in &windows {
                xml_of(w, &mut xml);
            }
            xml.push_str("</hierarchy>");
            let Ok(tree) = uiautomator::parse(&xml) else {
                return Ok(());
            };
            let u = screen::understand(&tree, None, &Wording::builtin());
            let packages: Vec<&str> = tree.nodes().iter().map(|n| n.package.as_str()).collect();
            prop_assert!(u.package.is_empty() || packages.contains(&u.package.as_str()));
            prop_assert!(serde_json::to_string(&u).is_ok());
            let _ = u.to_text();
            Ok(())
        })
        .unwrap();
}
