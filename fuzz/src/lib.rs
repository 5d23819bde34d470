//! The invariants the fuzz targets check, one function per parser. Each
//! takes any text, runs the parser, and panics (which libFuzzer reports as
//! a crash) when the result breaks what the parser promises:
//!
//! - every input line is accounted for (a record, a header, an unknown
//!   line, a continuation), and line numbers point at real lines;
//! - line endings do not matter: the same text with CRLF parses the same;
//! - what was parsed, written back in the format, parses to the same thing
//!   (getprop, pm list, wm size, uiautomator through the simulator's
//!   renderer, appops durations through the simulator's formatter);
//! - quoting: the device shell reads back exactly what `sh_quote` quoted,
//!   and typing an `input text` plan gives back the text.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use consentry::android::appops::{self, OpTime};
use consentry::android::logcat::{self, Entry, Event};
use consentry::android::quote::{
    InputStep, InputTextError, decode_input_text, input_text_plan, sh_join, sh_quote,
};
use consentry::android::{exit_info, focus, package, props, uiautomator};
use consentry::sim::os::clock::fmt_duration;
use consentry::sim::os::shell;
use consentry::sim::render::{dumped_text, uiautomator_xml};
use consentry::sim::ui::{Node, Rect, Rgba, Screen, Style, Window};

/// The input as the parsers take it: fuzz bytes are decoded lossily, as a
/// device's output would be.
pub fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// The same text with CRLF line endings (`adb shell` on old devices).
fn crlf(text: &str) -> String {
    text.replace('\n', "\r\n")
}

/// (1-based number, line without `\r`) of each non-blank line, as the
/// parsers split: on `\n`, after a leading BOM.
fn lines(text: &str) -> Vec<(usize, &str)> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    body.split('\n')
        .enumerate()
        .map(|(i, raw)| (i + 1, raw.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty())
        .collect()
}

fn line_count(text: &str) -> usize {
    text.split('\n').count()
}

fn strictly_increasing(v: &[usize]) -> bool {
    v.windows(2).all(|w| w[0] < w[1])
}

// ---------------------------------------------------------------------------

/// `logcat`: each non-blank line is one record, header, unknown line or
/// continuation; records keep their text; counts agree with the entries.
pub fn logcat(text: &str) {
    let log = logcat::parse(text);
    let lines = lines(text);
    let by_number: BTreeMap<usize, &str> = lines.iter().copied().collect();
    let s = &log.summary;
    assert_eq!(
        s.records + s.headers + s.unknown + s.continuations,
        lines.len(),
        "every non-blank line is accounted for: {s:?}"
    );
    let mut numbers = Vec::new();
    let mut continuations = 0;
    let mut records = 0;
    let mut buffer: Option<&str> = None;
    let mut events = BTreeMap::<&str, usize>::new();
    for e in &log.entries {
        match e {
            Entry::Header { line, buffer: b } => {
                let l = by_number[line];
                assert!(
                    l.starts_with("--------- beginning of ")
                        || l.starts_with("--------- switch to ")
                );
                assert!(l.ends_with(b.as_str()) || l.trim_end().ends_with(b.as_str()));
                buffer = Some(b.as_str());
                numbers.push(*line);
            }
            Entry::Unknown { line, text } => {
                assert_eq!(by_number[line], text);
                numbers.push(*line);
            }
            Entry::Record(r) => {
                records += 1;
                numbers.push(r.line);
                let l = by_number[&r.line];
                let mut parts = r.message.split('\n');
                let first = parts.next().unwrap_or("");
                assert!(l.contains(first), "message {first:?} not in {l:?}");
                assert!(l.contains(r.tag.as_str()), "tag {:?} not in {l:?}", r.tag);
                for part in parts {
                    continuations += 1;
                    assert!(
                        part.starts_with([' ', '\t']),
                        "a continuation is indented: {part:?}"
                    );
                }
                assert_eq!(r.buffer.as_deref(), buffer, "the last header's buffer");
                if let Some(t) = r.time {
                    let _ = t.sort_key();
                }
                if let Some(ev) = &r.event {
                    let kind = match ev {
                        Event::PermissionRequest { .. } => "permission",
                        Event::Crash { .. } => "crash",
                        Event::Anr { .. } => "anr",
                        Event::ProcessDied { .. } => "died",
                        Event::ProcessStart { .. } => "start",
                        Event::DeviceIdentifierRead { .. } => "identifier",
                        Event::ClipboardDenied { .. } => "clipboard",
                        Event::Marker { .. } => "marker",
                    };
                    *events.entry(kind).or_default() += 1;
                }
            }
        }
    }
    assert!(strictly_increasing(&numbers), "entries in line order");
    assert_eq!((records, continuations), (s.records, s.continuations));
    assert_eq!(s.headers + s.unknown + s.records, log.entries.len());
    let count = |k: &str| events.get(k).copied().unwrap_or(0);
    assert_eq!(
        (
            s.permission_requests,
            s.crashes,
            s.anrs,
            s.process_deaths,
            s.process_starts,
            s.identifier_reads,
            s.clipboard_denials,
            s.markers
        ),
        (
            count("permission"),
            count("crash"),
            count("anr"),
            count("died"),
            count("start"),
            count("identifier"),
            count("clipboard"),
            count("marker")
        )
    );
    assert_eq!(logcat::parse(&crlf(text)), log, "CRLF parses the same");
}

// ---------------------------------------------------------------------------

/// `dumpsys appops` / `cmd appops get`: unknown lines are counted once and
/// are not also records; op names and modes are well formed.
pub fn appops(text: &str) {
    let ops = appops::parse(text);
    let n = line_count(text);
    assert_eq!(ops.unknown, ops.unknown_lines.len());
    assert!(strictly_increasing(&ops.unknown_lines));
    let unknown: BTreeSet<usize> = ops.unknown_lines.iter().copied().collect();
    for m in &ops.modes {
        assert!((1..=n).contains(&m.line));
        assert!(
            !unknown.contains(&m.line),
            "line {} is a mode and unknown",
            m.line
        );
        assert!(m.op.starts_with(|c: char| c.is_ascii_uppercase()), "{m:?}");
        assert!(!m.mode.is_empty() && !m.mode.contains(char::is_whitespace));
    }
    for a in &ops.accesses {
        assert!((1..=n).contains(&a.line));
        assert!(
            !unknown.contains(&a.line),
            "line {} is an access and unknown",
            a.line
        );
        assert!(!a.op.is_empty());
        if let Some(OpTime::At { timestamp, .. }) = &a.time {
            assert!(timestamp.len() >= 10, "{timestamp:?}");
        }
    }
    assert_eq!(appops::parse(&crlf(text)), ops, "CRLF parses the same");
}

/// `cmd appops get` inputs also drive the relative-time reader: what it
/// reads, Android's formatter (the simulator's `fmt_duration`) writes back
/// to the same value.
pub fn appops_get(text: &str) {
    appops(text);
    for token in text.split([' ', ';', '(', ')', '\n', '=']) {
        if let Some(ms) = appops::parse_relative(token) {
            let Ok(signed) = i64::try_from(ms) else {
                continue;
            };
            for v in [signed, -signed] {
                assert_eq!(
                    appops::parse_relative(&fmt_duration(v)),
                    Some(ms),
                    "{token:?} → {ms} → {}",
                    fmt_duration(v)
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------

/// `dumpsys package`: unknown lines are counted once and are not also
/// permissions; names are words; one block per user, whose permissions
/// `runtime_permission` finds.
pub fn package(text: &str) {
    let d = package::parse(text);
    let n = line_count(text);
    assert_eq!(d.unknown, d.unknown_lines.len());
    assert!(strictly_increasing(&d.unknown_lines));
    let unknown: BTreeSet<usize> = d.unknown_lines.iter().copied().collect();
    for p in &d.packages {
        for r in &p.requested {
            assert!(!r.is_empty() && !r.contains(char::is_whitespace), "{r:?}");
        }
        let users = p.users.iter().flat_map(|u| &u.runtime);
        for perm in p.install.iter().chain(&p.runtime).chain(users) {
            assert!((1..=n).contains(&perm.line));
            assert!(
                !unknown.contains(&perm.line),
                "line {} is a permission and unknown",
                perm.line
            );
            assert!(
                !perm.name.is_empty() && !perm.name.contains(char::is_whitespace),
                "{perm:?}"
            );
        }
        let ids: BTreeSet<u32> = p.users.iter().map(|u| u.user).collect();
        assert_eq!(ids.len(), p.users.len(), "one block per user");
        for u in &p.users {
            if u.user == 0 {
                for perm in &u.runtime {
                    assert!(p.runtime_permission(&perm.name).is_some());
                }
            }
        }
    }
    assert_eq!(package::parse(&crlf(text)), d, "CRLF parses the same");
}

// ---------------------------------------------------------------------------

/// `dumpsys activity activities` / `dumpsys window`: each reference comes
/// from a line holding its record, in line order; a window's package is
/// the start of its title and holds no blank.
pub fn focus(text: &str) {
    let f = focus::parse(text);
    let all: Vec<&str> = text.split('\n').collect();
    let line_of = |n: usize| all[n - 1];
    let activities = f.resumed.iter().chain(&f.focused_apps);
    for a in activities {
        assert!(line_of(a.line).contains("ActivityRecord{"));
        assert!(line_of(a.line).contains(a.source.as_str()));
        assert!(line_of(a.line).contains(a.package.as_str()));
    }
    for w in &f.focused_windows {
        assert!(line_of(w.line).contains("Window{"));
        assert!(!w.title.is_empty());
        assert_eq!(
            w.title,
            w.title.split_whitespace().collect::<Vec<_>>().join(" ")
        );
        if let Some(p) = &w.package {
            assert!(!p.is_empty() && !p.contains(char::is_whitespace), "{w:?}");
            assert!(w.title.starts_with(&format!("{p}/")), "{w:?}");
        }
    }
    for refs in [
        f.resumed.iter().map(|a| a.line).collect::<Vec<_>>(),
        f.focused_apps.iter().map(|a| a.line).collect(),
        f.focused_windows.iter().map(|w| w.line).collect(),
    ] {
        assert!(strictly_increasing(&refs));
    }
    if let Some(p) = f.foreground_package() {
        let known = f.resumed.iter().any(|a| a.package == p)
            || f.focused_windows
                .iter()
                .any(|w| w.package.as_deref() == Some(p));
        assert!(known, "{p:?} comes from a reference");
    }
    assert_eq!(focus::parse(&crlf(text)), f, "CRLF parses the same");
}

// ---------------------------------------------------------------------------

/// `dumpsys activity exit-info`: one record per `ApplicationExitInfo #`
/// line, at that line; `null` is no description.
pub fn exit_info(text: &str) {
    let info = exit_info::parse(text);
    let headers: Vec<usize> = text
        .trim_start_matches('\u{feff}')
        .split('\n')
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim_end_matches('\r').trim();
            t.starts_with("ApplicationExitInfo #") && !t.starts_with("package: ")
        })
        .map(|(i, _)| i + 1)
        .collect();
    let got: Vec<usize> = info.records.iter().map(|r| r.line).collect();
    assert_eq!(got, headers, "one record per header line");
    for r in &info.records {
        assert_ne!(r.description.as_deref(), Some("null"));
        let _ = r.app_initiated();
    }
    assert_eq!(exit_info::parse(&crlf(text)), info, "CRLF parses the same");
}

// ---------------------------------------------------------------------------

fn to_sim(n: &uiautomator::UiNode) -> Node {
    let b = n.bounds.unwrap_or(uiautomator::Bounds {
        left: 0,
        top: 0,
        right: 0,
        bottom: 0,
    });
    Node {
        class: n.class.clone(),
        text: n.text.clone(),
        resource_id: n.resource_id.clone(),
        content_desc: n.content_desc.clone(),
        package: n.package.clone(),
        checkable: n.checkable,
        checked: n.checked,
        clickable: n.clickable,
        enabled: n.enabled,
        focusable: n.focusable,
        focused: n.focused,
        scrollable: n.scrollable,
        long_clickable: n.long_clickable,
        password: n.password,
        selected: n.selected,
        bounds: Rect::new(b.left, b.top, b.right, b.bottom),
        style: Style::default(),
        children: n.children.iter().map(to_sim).collect(),
    }
}

fn same_node(again: &uiautomator::UiNode, first: &uiautomator::UiNode) {
    assert_eq!(again.text, dumped_text(&first.text));
    assert_eq!(again.resource_id, dumped_text(&first.resource_id));
    assert_eq!(again.class, dumped_text(&first.class));
    assert_eq!(again.package, dumped_text(&first.package));
    assert_eq!(again.content_desc, dumped_text(&first.content_desc));
    assert_eq!(
        (
            again.checkable,
            again.checked,
            again.clickable,
            again.enabled
        ),
        (
            first.checkable,
            first.checked,
            first.clickable,
            first.enabled
        )
    );
    assert_eq!(
        (
            again.focusable,
            again.focused,
            again.scrollable,
            again.long_clickable
        ),
        (
            first.focusable,
            first.focused,
            first.scrollable,
            first.long_clickable
        )
    );
    assert_eq!(
        (again.password, again.selected),
        (first.password, first.selected)
    );
    if let Some(b) = first.bounds.filter(|b| b.left >= 0 && b.top >= 0) {
        assert_eq!(again.bounds, Some(b));
    }
    assert_eq!(again.children.len(), first.children.len());
    for (a, f) in again.children.iter().zip(&first.children) {
        same_node(a, f);
    }
}

/// `uiautomator dump`: errors are errors, never panics; a parsed tree,
/// written again by the simulator's renderer (Android's dumper), parses to
/// the same texts, flags and bounds.
pub fn uiautomator(text: &str) {
    let Ok(tree) = uiautomator::parse(text) else {
        return;
    };
    for n in tree.nodes() {
        if let Some(b) = n.bounds {
            let (x, y) = b.center();
            if !b.is_empty() {
                assert!(
                    b.left <= x && x <= b.right && b.top <= y && y <= b.bottom,
                    "{b:?}"
                );
            }
        }
    }
    for w in &tree.windows {
        let screen = Screen {
            width: u32::MAX,
            height: u32::MAX,
            background: Rgba::WHITE,
            windows: vec![Window {
                package: w.package.clone(),
                title: String::new(),
                root: to_sim(w),
            }],
        };
        let xml = uiautomator_xml(&screen);
        let again = uiautomator::parse(&xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
        assert_eq!((again.windows.len(), again.unknown), (1, 0), "{xml}");
        same_node(&again.windows[0], w);
    }
}

// ---------------------------------------------------------------------------

/// `getprop`: unknown lines counted once; the values, written back as
/// `[key]: [value]`, parse to the same map.
pub fn getprop(text: &str) {
    let p = props::parse_getprop(text);
    assert_eq!(p.unknown, p.unknown_lines.len());
    assert!(strictly_increasing(&p.unknown_lines));
    let mut again = String::new();
    for (k, v) in &p.values {
        let _ = writeln!(again, "[{k}]: [{v}]");
    }
    let q = props::parse_getprop(&again);
    assert_eq!(q.unknown, 0, "{again}");
    assert_eq!(q.values, p.values);
    assert_eq!(props::parse_getprop(&crlf(text)), p, "CRLF parses the same");
}

/// `pm list packages`: each non-blank line is a package or unknown; the
/// packages, written back, parse to the same.
pub fn pm_list(text: &str) {
    let l = props::parse_package_list(text);
    assert_eq!(l.unknown, l.unknown_lines.len());
    assert!(strictly_increasing(&l.unknown_lines));
    let non_blank = text
        .trim_start_matches('\u{feff}')
        .split('\n')
        .filter(|x| !x.trim().is_empty())
        .count();
    assert_eq!(l.packages.len() + l.unknown, non_blank);
    let mut again = String::new();
    for p in &l.packages {
        assert!(!p.package.is_empty());
        assert!(!p.package.contains(char::is_whitespace));
        again.push_str("package:");
        if let Some(path) = &p.path {
            assert!(path.starts_with('/'));
            let _ = write!(again, "{path}=");
        }
        again.push_str(&p.package);
        if let Some(uid) = p.uid {
            let _ = write!(again, " uid:{uid}");
        }
        if let Some(v) = p.version_code {
            let _ = write!(again, " versionCode:{v}");
        }
        again.push('\n');
    }
    let q = props::parse_package_list(&again);
    assert_eq!(q.unknown, 0, "{again}");
    assert_eq!(q.packages, l.packages, "{again}");
    assert_eq!(
        props::parse_package_list(&crlf(text)),
        l,
        "CRLF parses the same"
    );
}

/// `wm size`: what was read, written back, reads the same.
pub fn wm_size(text: &str) {
    let size = props::parse_wm_size(text);
    if let Some(s) = size {
        let mut again = format!("Physical size: {}x{}\n", s.width, s.height);
        if let Some((w, h)) = s.override_size {
            let _ = writeln!(again, "Override size: {w}x{h}");
        }
        assert_eq!(props::parse_wm_size(&again), Some(s));
        let _ = s.effective();
    }
    assert_eq!(
        props::parse_wm_size(&crlf(text)),
        size,
        "CRLF parses the same"
    );
}

// ---------------------------------------------------------------------------

/// The words the device shell (the simulator's model of mksh) makes of a
/// command line.
fn argv(line: &str) -> Vec<String> {
    let cmds = shell::parse(line).unwrap_or_else(|e| panic!("{line:?}: {}", e.0));
    assert_eq!(cmds.len(), 1, "{line:?} is one command");
    assert!(cmds[0].redirects.is_empty(), "{line:?} redirects nothing");
    let env = BTreeMap::new();
    cmds[0]
        .words
        .iter()
        .map(|w| shell::expand(w, &env))
        .collect()
}

/// Quoting: `sh_quote` / `sh_join` survive the device shell unchanged; an
/// `input text` plan types exactly the text (less `\r`), and a refusal
/// names a character that cannot be typed, where it is.
pub fn quote(text: &str) {
    // The shell cannot carry NUL in an argument; adb would cut there.
    // Arguments follow a command word, as in every command the tool sends.
    let arg = text.replace('\0', "");
    let line = format!("echo {}", sh_quote(&arg));
    assert_eq!(argv(&line), ["echo", arg.as_str()], "{line:?}");
    let args: Vec<&str> = arg.split('\u{1}').collect();
    let line = format!("echo {}", sh_join(&args));
    let mut want = vec!["echo"];
    want.extend(&args);
    assert_eq!(argv(&line), want, "{line:?}");
    match input_text_plan(text) {
        Ok(steps) => {
            let mut typed = String::new();
            for s in &steps {
                match s {
                    InputStep::Text(t) => {
                        assert!(!t.is_empty());
                        let words = argv(&s.command());
                        assert_eq!(words, ["input", "text", t.as_str()]);
                        typed.push_str(&decode_input_text(t));
                    }
                    InputStep::Key(66) => typed.push('\n'),
                    InputStep::Key(61) => typed.push('\t'),
                    InputStep::Key(k) => panic!("unexpected key {k}"),
                }
            }
            assert_eq!(typed, text.replace('\r', ""), "{steps:?}");
        }
        Err(InputTextError::NonAscii { ch, code, position }) => {
            assert_eq!(text.chars().nth(position), Some(ch));
            assert_eq!(u32::from(ch), code);
            assert!(!ch.is_ascii());
            assert!(
                text.chars()
                    .take(position)
                    .all(|c| c.is_ascii() && (!c.is_ascii_control() || "\n\r\t".contains(c)))
            );
        }
        Err(InputTextError::Control { code, position }) => {
            let ch = text.chars().nth(position).expect("position in the text");
            assert_eq!(u32::from(ch), code);
            assert!(ch.is_ascii_control() && !"\n\r\t".contains(ch));
        }
    }
}
