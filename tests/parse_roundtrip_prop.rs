//! Property tests: what the simulator renders, the tool's parsers read back.
//!
//! Each property generates values of the simulator's own model types
//! (`sim::ui::Screen`, `sim::os::logcat::Entry`, `sim::os::android::Pkg`,
//! `DeviceConfig`, ...), renders them with the simulator's own code (the
//! pure functions in `sim::render` and `sim::os::{dumps, logcat}`, or a
//! shell command on a `SimDevice`), parses the text with `android::*`, and
//! checks that the generated values come back. A format drift on either
//! side fails here with a minimal counter-example.
//!
//! Where a format is ambiguous on real Android too, the generators stay
//! inside what the format can carry, and say so (a logcat tag cannot hold a
//! `:`, a getprop value line cannot end in `]`, ...).

mod common;

use common::sim_sh as sh;

// Case counts keep the file under ~5 s in a debug build (3000 cases each ran
// in 20 s when the file was written).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use consentry::android::appops::{self, AccessKind, OpAccess, OpMode, OpTime};
use consentry::android::exit_info::{self, ExitRecord};
use consentry::android::logcat::{self, Entry as LogEntry, Event, Level, LogTime, MARKER_TAG};
use consentry::android::package::{self, PermissionFlag};
use consentry::android::quote::sh_quote;
use consentry::android::{focus, props, uiautomator};
use consentry::sim::os::android::{
    self as sim_android, Android, Dialog, ExitInfo, Launcher, OpKey, Perm, Pkg, Task,
};
use consentry::sim::os::clock::{SimClock, SimMillis, at, fmt_datetime};
use consentry::sim::os::logcat::{Buffer, Entry, Format, Logs, format_entry, header};
use consentry::sim::os::model::{AppType, Effect, LogLine, OnDenial, ScreenModel};
use consentry::sim::os::{AppModel, DeviceConfig, SimDevice, dumps, perms};
use consentry::sim::render::{dumped_text, uiautomator_xml};
use consentry::sim::ui::{Node, Rect, Rgba, Screen, Style, Window};
use proptest::prelude::*;

// ---------------------------------------------------------------------------
// Shared generators

/// Text that breaks naive serialisers: quotes, `&`, `<>`, line breaks,
/// tabs, emoji (outside the BMP), CJK, and any other character.
fn hostile(max_parts: usize) -> impl Strategy<Value = String> {
    let part = prop_oneof![
        3 => "[a-zA-Z0-9 ._/-]{1,6}",
        1 => Just("&".to_string()),
        1 => Just("<".to_string()),
        1 => Just(">".to_string()),
        1 => Just("\"".to_string()),
        1 => Just("'".to_string()),
        1 => Just("\n".to_string()),
        1 => Just("\r\n".to_string()),
        1 => Just("\t".to_string()),
        1 => Just("😀".to_string()),
        1 => Just("同意并继续".to_string()),
        1 => Just("&amp;&#10;]]>".to_string()),
        1 => any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(part, 0..=max_parts).prop_map(|v| v.concat())
}

/// A Java package name, `com.example.app_2`.
fn package_name() -> impl Strategy<Value = String> {
    prop::collection::vec("[a-z][a-z0-9_]{0,7}", 2..=4).prop_map(|v| v.join("."))
}

/// Distinct package names.
fn package_names(n: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = Vec<String>> {
    prop::collection::btree_set(package_name(), n).prop_map(|s| s.into_iter().collect())
}

/// A civil date-time (every field valid) as the simulator's clock value.
fn sim_time() -> impl Strategy<Value = (SimMillis, [i64; 7])> {
    (
        1971i64..2099,
        1i64..=12,
        1i64..=28,
        0i64..24,
        0i64..60,
        0i64..60,
        0i64..1000,
    )
        .prop_map(|(y, mo, d, h, mi, s, ms)| (at(y, mo, d, h, mi, s, ms), [y, mo, d, h, mi, s, ms]))
}

/// The simulated clock frozen at `start` (a scale so small that real time
/// never moves it), so that what a dump prints as "now" is known.
fn frozen_android(start: SimMillis) -> Android {
    let clock = Arc::new(SimClock::new(start, 1e-15));
    Android::new(clock, Arc::new(Logs::default()), 1080, 2400)
}

fn app_model(package: &str, label: &str, activity: &str, permissions: Vec<String>) -> AppModel {
    AppModel {
        package: package.to_string(),
        label: label.to_string(),
        app_type: AppType::Other,
        version: "1.0".to_string(),
        activity: activity.to_string(),
        permissions,
        on_launch: Vec::new(),
        on_denial: OnDenial::Continue,
        timers: Vec::new(),
        links: Vec::new(),
        screens: vec![ScreenModel {
            id: "main".to_string(),
            on_enter: Vec::new(),
            widgets: Vec::new(),
        }],
        source: String::new(),
    }
}

fn pkg(name: &str, uid: u32, model: Option<AppModel>) -> Pkg {
    Pkg {
        name: name.to_string(),
        model: model.map(Arc::new),
        uid,
        code_path: format!("/data/app/~~x==/{name}-y=="),
        installed: at(2026, 1, 1, 0, 0, 0, 0),
        perms: BTreeMap::new(),
        flags: BTreeSet::new(),
        checked: BTreeMap::new(),
        texts: BTreeMap::new(),
        nag: BTreeSet::new(),
        ops: BTreeMap::new(),
        op_modes: BTreeMap::new(),
        exits: Vec::new(),
    }
}

/// How `dumpsys appops` names a uid.
fn u0a(uid: u32) -> String {
    if uid >= 10_000 {
        format!("u0a{}", uid - 10_000)
    } else {
        uid.to_string()
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

// ---------------------------------------------------------------------------
// uiautomator XML

fn rect() -> impl Strategy<Value = Rect> {
    (-300i32..2600, -300i32..2800, 0i32..1400, 0i32..1400)
        .prop_map(|(l, t, w, h)| Rect::new(l, t, l + w, t + h))
}

fn leaf() -> impl Strategy<Value = Node> {
    let class = prop_oneof![
        Just("android.widget.TextView".to_string()),
        Just("android.widget.Button".to_string()),
        Just("android.widget.ListView".to_string()),
        Just("android.widget.ImageView".to_string()),
        hostile(3),
    ];
    let texts = (hostile(6), hostile(3), hostile(2), hostile(2));
    let flags = prop::collection::vec(any::<bool>(), 10);
    (class, texts, flags, rect()).prop_map(
        |(class, (text, resource_id, content_desc, package), f, bounds)| Node {
            class,
            text,
            resource_id,
            content_desc,
            package,
            checkable: f[0],
            checked: f[1],
            clickable: f[2],
            enabled: f[3],
            focusable: f[4],
            focused: f[5],
            scrollable: f[6],
            long_clickable: f[7],
            password: f[8],
            selected: f[9],
            bounds,
            style: Style::default(),
            animation_ms: None,
            children: Vec::new(),
        },
    )
}

fn node_tree() -> impl Strategy<Value = Node> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        (leaf(), prop::collection::vec(inner, 0..4)).prop_map(|(mut n, children)| {
            n.children = children;
            n
        })
    })
}

fn screen() -> impl Strategy<Value = Screen> {
    let window = (hostile(2), node_tree()).prop_map(|(title, root)| Window {
        package: root.package.clone(),
        title,
        root,
    });
    (
        320u32..2000,
        320u32..3000,
        prop::collection::vec(window, 1..3),
    )
        .prop_map(|(width, height, windows)| Screen {
            width,
            height,
            background: Rgba::WHITE,
            windows,
        })
}

/// `Rect.intersect` with the display: a rectangle that meets it is
/// clipped, one that does not is left as it is.
fn clipped(r: Rect, width: u32, height: u32) -> uiautomator::Bounds {
    let (w, h) = (
        i32::try_from(width).expect("width"),
        i32::try_from(height).expect("height"),
    );
    let r = if r.left < w && 0 < r.right && r.top < h && 0 < r.bottom {
        Rect::new(r.left.max(0), r.top.max(0), r.right.min(w), r.bottom.min(h))
    } else {
        r
    };
    uiautomator::Bounds {
        left: r.left,
        top: r.top,
        right: r.right,
        bottom: r.bottom,
    }
}

/// uiautomator's NAF mark: clickable and enabled, unlabelled, no labelled
/// descendant, not a grid, list or table.
fn naf(n: &Node) -> bool {
    fn labelled(n: &Node) -> bool {
        n.children
            .iter()
            .any(|c| !c.text.is_empty() || !c.content_desc.is_empty() || labelled(c))
    }
    let container = [
        "android.widget.GridView",
        "android.widget.GridLayout",
        "android.widget.ListView",
        "android.widget.TableLayout",
    ]
    .iter()
    .any(|c| n.class.ends_with(c));
    !container
        && n.clickable
        && n.enabled
        && n.text.is_empty()
        && n.content_desc.is_empty()
        && !labelled(n)
}

fn check_node(
    got: &uiautomator::UiNode,
    want: &Node,
    index: usize,
    screen: &Screen,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(got.index, Some(u32::try_from(index).expect("index")));
    prop_assert_eq!(&got.text, &dumped_text(&want.text));
    prop_assert_eq!(&got.resource_id, &dumped_text(&want.resource_id));
    prop_assert_eq!(&got.class, &dumped_text(&want.class));
    prop_assert_eq!(&got.package, &dumped_text(&want.package));
    prop_assert_eq!(&got.content_desc, &dumped_text(&want.content_desc));
    prop_assert_eq!(
        [
            got.checkable,
            got.checked,
            got.clickable,
            got.enabled,
            got.focusable,
            got.focused,
            got.scrollable,
            got.long_clickable,
            got.password,
            got.selected,
        ],
        [
            want.checkable,
            want.checked,
            want.clickable,
            want.enabled,
            want.focusable,
            want.focused,
            want.scrollable,
            want.long_clickable,
            want.password,
            want.selected,
        ]
    );
    prop_assert_eq!(
        got.bounds,
        Some(clipped(want.bounds, screen.width, screen.height))
    );
    prop_assert_eq!(
        got.extra.get("NAF").map(String::as_str),
        naf(want).then_some("true")
    );
    prop_assert_eq!(got.children.len(), want.children.len());
    for (i, (g, w)) in got.children.iter().zip(&want.children).enumerate() {
        check_node(g, w, i, screen)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// `uiautomator dump` of a screen: the top window only, every node's
    /// texts (invalid XML characters as `.`), flags, index among siblings,
    /// bounds clipped to the display and the NAF mark come back.
    #[test]
    fn uiautomator_dump_round_trips(screen in screen()) {
        let xml = uiautomator_xml(&screen);
        let tree = uiautomator::parse(&xml)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{xml}")))?;
        prop_assert_eq!(tree.rotation, Some(0));
        prop_assert_eq!(tree.unknown, 0);
        prop_assert_eq!(tree.windows.len(), 1, "only the top window is dumped");
        let top = &screen.windows.last().expect("a window").root;
        check_node(&tree.windows[0], top, 0, &screen)?;
    }
}

// ---------------------------------------------------------------------------
// logcat, line by line

/// A log tag as logcat can print it unambiguously: no `:` (logcat writes
/// `TAG: message` and the tag has no quoting), no surrounding blanks (the
/// threadtime column is padded), no control characters.
fn tag() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[A-Za-z][A-Za-z0-9_.$/-]{0,23}",
        1 => "[A-Za-z][A-Za-z0-9 ()\\[\\]{}=,#@!?&'\"-]{0,20}[A-Za-z0-9)\\]]",
        1 => "[同意日志标签😀]{1,4}",
    ]
}

/// One line of a message: anything but the line break the format splits
/// on and a trailing `\r` (a capture's CRLF endings are indistinguishable
/// from it, so the parser drops it).
fn message_line() -> impl Strategy<Value = String> {
    hostile(8).prop_map(|s| s.replace(['\n', '\r'], " "))
}

fn level() -> impl Strategy<Value = char> {
    prop::sample::select(vec!['V', 'D', 'I', 'W', 'E', 'F'])
}

fn parsed_level(c: char) -> Level {
    match c {
        'V' => Level::V,
        'D' => Level::D,
        'I' => Level::I,
        'W' => Level::W,
        'E' => Level::E,
        _ => Level::F,
    }
}

fn buffer() -> impl Strategy<Value = Buffer> {
    prop::sample::select(vec![
        Buffer::Main,
        Buffer::System,
        Buffer::Crash,
        Buffer::Events,
    ])
}

fn log_entry() -> impl Strategy<Value = (Entry, [i64; 7])> {
    (
        sim_time(),
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
        level(),
        tag(),
        prop::collection::vec(message_line(), 1..4),
        buffer(),
    )
        .prop_map(
            |((time, parts), uid, pid, tid, level, tag, lines, buffer)| {
                (
                    Entry {
                        seq: 0,
                        time,
                        uid,
                        pid,
                        tid,
                        level,
                        tag,
                        msg: lines.join("\n"),
                        buffer,
                    },
                    parts,
                )
            },
        )
}

/// The formats the simulator's `logcat -v` prints.
const FORMATS: [(&str, Format); 3] = [
    (
        "threadtime",
        Format {
            brief: false,
            uid: false,
        },
    ),
    (
        "threadtime,uid",
        Format {
            brief: false,
            uid: true,
        },
    ),
    (
        "brief",
        Format {
            brief: true,
            uid: false,
        },
    ),
];

/// What `logcat -d` prints for these entries: a `beginning of` header the
/// first time a buffer appears (logcat's default, without `--dividers`),
/// then the records.
fn logcat_text(entries: &[Entry], f: Format) -> String {
    let mut seen = Vec::new();
    let mut out = String::new();
    for e in entries {
        if !seen.contains(&e.buffer) {
            seen.push(e.buffer);
            out.push_str(&header(e.buffer));
        }
        out.push_str(&format_entry(e, f));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Every message line of every entry comes back as one record with the
    /// entry's priority, tag, pid, and (threadtime) tid and time, (uid) the
    /// uid, under the buffer of the last header; nothing is unknown.
    #[test]
    fn logcat_lines_round_trip(entries in prop::collection::vec(log_entry(), 1..12)) {
        let (entries, times): (Vec<Entry>, Vec<[i64; 7]>) = entries.into_iter().unzip();
        for (name, f) in FORMATS {
            let text = logcat_text(&entries, f);
            let log = logcat::parse(&text);
            let s = &log.summary;
            prop_assert_eq!(s.unknown, 0, "{}:\n{}", name, text);
            prop_assert_eq!(s.continuations, 0, "{}", name);
            let buffers: BTreeSet<Buffer> = entries.iter().map(|e| e.buffer).collect();
            prop_assert_eq!(s.headers, buffers.len());
            let mut records = log.records();
            let mut current: Option<&str> = None;
            let mut seen = Vec::new();
            for (e, t) in entries.iter().zip(&times) {
                if !seen.contains(&e.buffer) {
                    seen.push(e.buffer);
                    current = Some(e.buffer.name());
                }
                for line in e.msg.split('\n') {
                    let r = records.next().ok_or_else(|| TestCaseError::fail("a record is missing"))?;
                    prop_assert_eq!(r.level, parsed_level(e.level), "{}", name);
                    prop_assert_eq!(&r.tag, &e.tag, "{}", name);
                    prop_assert_eq!(&r.message, line, "{}", name);
                    prop_assert_eq!(r.pid, Some(e.pid), "{}", name);
                    prop_assert_eq!(r.buffer.as_deref(), current, "{}", name);
                    if f.brief {
                        prop_assert_eq!((r.tid, r.time, r.uid.as_deref()), (None, None, None));
                    } else {
                        prop_assert_eq!(r.tid, Some(e.tid), "{}", name);
                        let expected_time = LogTime::Calendar {
                            year: None,
                            month: u8::try_from(t[1]).expect("month"),
                            day: u8::try_from(t[2]).expect("day"),
                            hour: u8::try_from(t[3]).expect("hour"),
                            minute: u8::try_from(t[4]).expect("minute"),
                            second: u8::try_from(t[5]).expect("second"),
                            millis: u16::try_from(t[6]).expect("millis"),
                        };
                        prop_assert_eq!(r.time, Some(expected_time), "{}", name);
                        let uid = f.uid.then(|| e.uid.to_string());
                        prop_assert_eq!(r.uid.clone(), uid, "{}", name);
                    }
                }
            }
            prop_assert!(records.next().is_none(), "{}: extra records", name);
        }
    }
}

// ---------------------------------------------------------------------------
// logcat, the events the simulated system writes

/// Something that happens to the one generated app.
#[derive(Debug, Clone)]
enum Action {
    Launch,
    Home,
    ForceStop,
    Effect(Effect),
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        2 => Just(Action::Launch),
        1 => Just(Action::Home),
        1 => Just(Action::ForceStop),
        1 => Just(Action::Effect(Effect::ReadIdentifiers)),
        1 => Just(Action::Effect(Effect::ReadClipboard)),
        1 => Just(Action::Effect(Effect::Exit)),
        1 => "[a-zA-Z.]{1,12}(Exception|Error)(: [a-z0-9 ]{0,12})?"
            .prop_map(|m| Action::Effect(Effect::Crash(m))),
        1 => ":[a-z]{1,8}".prop_map(|s| Action::Effect(Effect::StartProcess(s))),
        1 => Just(Action::Effect(Effect::Request(vec![
            "android.permission.CAMERA".to_string(),
        ]))),
        1 => message_line().prop_map(|msg| Action::Effect(Effect::Log(LogLine {
            tag: MARKER_TAG.to_string(),
            msg,
            level: None,
        }))),
        1 => ("[A-Za-z]{1,10}", "[a-zA-Z0-9 ,.]{0,20}").prop_map(|(tag, msg)| {
            Action::Effect(Effect::Log(LogLine { tag, msg, level: Some('D') }))
        }),
    ]
}

/// The processes of `pkg`, main process first (the order the simulator
/// stops them in).
fn procs_of(a: &Android, pkg: &str) -> Vec<(u32, String)> {
    let main = a.main_pid(pkg);
    let mut v: Vec<(u32, String)> = a
        .procs
        .values()
        .filter(|p| p.pkg == pkg)
        .map(|p| (p.pid, p.name.clone()))
        .collect();
    v.sort_by_key(|(pid, _)| Some(*pid) != main);
    v
}

fn died(pid: u32, process: &str) -> Event {
    Event::ProcessDied {
        process: process.to_string(),
        pid,
    }
}

/// Runs one action; returns the events the parser must find for it.
fn perform(a: &mut Android, name: &str, action: &Action) -> Vec<Event> {
    let uid = a.packages[name].uid;
    let before = procs_of(a, name);
    let main = a.main_pid(name);
    let mut want = Vec::new();
    let started = |a: &Android, before: &[(u32, String)], reason: &str| -> Vec<Event> {
        procs_of(a, name)
            .into_iter()
            .filter(|p| !before.contains(p))
            .flat_map(|(pid, process)| {
                [
                    Event::ProcessStart {
                        process: process.clone(),
                        pid,
                        uid: Some(u0a(uid)),
                        reason: Some(reason.to_string()),
                    },
                    Event::ProcessStart {
                        process,
                        pid,
                        uid: Some(uid.to_string()),
                        reason: Some(reason.to_string()),
                    },
                ]
            })
            .collect()
    };
    match action {
        Action::Launch => {
            a.launch(name, Launcher::Shell).expect("installed");
            want.extend(started(a, &before, "next-top-activity"));
        }
        Action::Home => a.home(),
        Action::ForceStop => {
            a.force_stop(name);
            // `Killing ...` is not a death notice; am_proc_died is.
            want.extend(before.iter().map(|(pid, p)| died(*pid, p)));
        }
        Action::Effect(e) => {
            let foreground = a.foreground_pkg() == name;
            a.run_effects(name, std::slice::from_ref(e), None, 0);
            let Some(main) = main else {
                return want; // a dead app does nothing
            };
            match e {
                Effect::ReadIdentifiers => want.push(Event::DeviceIdentifierRead {
                    package: name.to_string(),
                    method: "getDeviceId".to_string(),
                }),
                Effect::ReadClipboard if !foreground => want.push(Event::ClipboardDenied {
                    package: name.to_string(),
                }),
                Effect::Exit => {
                    for (pid, p) in &before {
                        want.extend([died(*pid, p), died(*pid, p)]);
                    }
                }
                Effect::Crash(_) => {
                    want.push(Event::Crash {
                        thread: "main".to_string(),
                        process: Some(name.to_string()),
                        pid: Some(main),
                    });
                    for (pid, p) in &before {
                        want.extend([died(*pid, p), died(*pid, p)]);
                    }
                }
                Effect::StartProcess(_) => want.extend(started(a, &before, "service")),
                Effect::Request(_) => want.push(Event::PermissionRequest {
                    caller_uid: Some(uid),
                    tag: "ActivityTaskManager".to_string(),
                }),
                Effect::Log(l) if l.tag == MARKER_TAG => want.push(Event::Marker {
                    text: l.msg.trim_end().to_string(),
                }),
                _ => {}
            }
        }
    }
    want
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Launches, crashes, exits, force-stops, extra processes, identifier
    /// and clipboard reads, permission requests and markers, as the
    /// simulated system logs them to all four buffers, are classified as
    /// the same events in every format, and every line parses.
    #[test]
    fn logcat_events_are_classified(
        name in package_name(),
        actions in prop::collection::vec(action(), 1..16),
    ) {
        let mut a = frozen_android(at(2026, 1, 15, 10, 0, 0, 0));
        a.install(app_model(&name, "App", ".MainActivity", Vec::new()), false);
        let mut want = Vec::new();
        for action in &actions {
            want.extend(perform(&mut a, &name, action));
        }
        let entries = a.logs.since(0, &[Buffer::Main, Buffer::System, Buffer::Crash, Buffer::Events]);
        let want = sorted(want.iter().map(|e| format!("{e:?}")).collect());
        for (format, f) in FORMATS {
            let text = logcat_text(&entries, f);
            let log = logcat::parse(&text);
            prop_assert_eq!(log.summary.unknown, 0, "{}:\n{}", format, text);
            let got = sorted(log.events().map(|(_, e)| format!("{e:?}")).collect());
            prop_assert_eq!(&got, &want, "{}:\n{}", format, text);
        }
    }
}

// ---------------------------------------------------------------------------
// dumpsys appops and cmd appops get

fn op_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(perms::KNOWN_OPS).prop_map(str::to_string),
        1 => "[A-Z][A-Z0-9_]{0,15}",
        1 => "MIUIOP\\([0-9]{5}\\)",
    ]
}

fn op_mode_name() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["allow", "ignore", "deny", "default", "foreground"])
        .prop_map(str::to_string)
}

/// A `uidstate-flags` key as the simulator records it (`top-s`), or a
/// state alone.
fn op_key() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["top", "fg", "bg", "cch", "fgsvc", "pers"]),
        prop::option::of(prop::sample::select(vec!["s", "tp", "up", "tpd", "upd"])),
    )
        .prop_map(|(s, f)| match f {
            Some(f) => format!("{s}-{f}"),
            None => s.to_string(),
        })
}

/// A record up to ten days before now (0 included: printed as `0`).
fn op_record(now: SimMillis) -> impl Strategy<Value = OpKey> {
    let ago = prop_oneof![1 => Just(0i64), 4 => 0i64..864_000_000];
    (
        prop::option::of(ago.clone()),
        prop::option::of(prop_oneof![1 => Just(0i64), 4 => 0i64..100_000_000]),
        prop::option::of(ago),
    )
        .prop_filter("an access or a reject", |(a, _, r)| {
            a.is_some() || r.is_some()
        })
        .prop_map(move |(access, duration, reject)| OpKey {
            access: access.map(|ago| now - ago),
            duration: access.and(duration),
            reject: reject.map(|ago| now - ago),
        })
}

type OpsOfPkg = (
    BTreeMap<String, BTreeMap<String, OpKey>>,
    BTreeMap<String, String>,
);

fn ops_of_pkg(now: SimMillis) -> impl Strategy<Value = OpsOfPkg> {
    (
        prop::collection::btree_map(
            op_name(),
            prop::collection::btree_map(op_key(), op_record(now), 1..3),
            0..4,
        ),
        prop::collection::btree_map(op_name(), op_mode_name(), 0..3),
    )
}

/// What the frozen clock reads in the dumps below.
fn now() -> SimMillis {
    at(2026, 1, 15, 10, 0, 0, 0)
}

fn android_with_ops(names: &[String], ops: Vec<OpsOfPkg>) -> Android {
    let mut a = frozen_android(now());
    for (i, (name, (ops, modes))) in names.iter().zip(ops).enumerate() {
        let mut p = pkg(name, 10_100 + u32::try_from(i).expect("few"), None);
        p.ops = ops;
        p.op_modes = modes;
        a.packages.insert(name.clone(), p);
    }
    a
}

fn appops_cases() -> impl Strategy<Value = (Vec<String>, Vec<OpsOfPkg>)> {
    package_names(1..=3).prop_flat_map(|names| {
        let n = names.len();
        (Just(names), prop::collection::vec(ops_of_pkg(now()), n..=n))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// `dumpsys appops` (Android 13 layout): every op's mode, and every
    /// Access and Reject with uid, package, uid state, flags, attribution,
    /// timestamp, age and duration.
    #[test]
    fn dumpsys_appops_round_trips((names, ops) in appops_cases()) {
        let a = android_with_ops(&names, ops);
        let text = dumps::appops(&a, None);
        let got = appops::parse(&text);
        prop_assert_eq!(got.unknown, 0, "{}", text);
        let mut modes = Vec::new();
        let mut accesses = Vec::new();
        for p in a.packages.values() {
            let mut names: Vec<&String> = p.ops.keys().chain(p.op_modes.keys()).collect();
            names.sort();
            names.dedup();
            for op in names {
                modes.push(OpMode {
                    line: 0,
                    uid: Some(u0a(p.uid)),
                    package: Some(p.name.clone()),
                    op: op.clone(),
                    mode: a.op_mode(&p.name, op),
                });
                for (key, r) in p.ops.get(op).into_iter().flatten() {
                    let (state, flags) = match key.split_once('-') {
                        Some((s, f)) => (s.to_string(), Some(f.to_string())),
                        None => (key.clone(), None),
                    };
                    let entry = |kind, t: SimMillis, duration_ms| OpAccess {
                        line: 0,
                        uid: Some(u0a(p.uid)),
                        package: Some(p.name.clone()),
                        op: op.clone(),
                        kind,
                        uid_state: Some(state.clone()),
                        flags: flags.clone(),
                        attribution: Some("null".to_string()),
                        time: Some(OpTime::At {
                            timestamp: fmt_datetime(t),
                            ago_ms: Some(u64::try_from(now() - t).expect("past")),
                        }),
                        duration_ms,
                        proxy: None,
                    };
                    if let Some(t) = r.access {
                        let d = r.duration.map(|d| u64::try_from(d).expect("positive"));
                        accesses.push(entry(AccessKind::Access, t, d));
                    }
                    if let Some(t) = r.reject {
                        accesses.push(entry(AccessKind::Reject, t, None));
                    }
                }
            }
        }
        let got_modes: Vec<OpMode> = got.modes.into_iter().map(|m| OpMode { line: 0, ..m }).collect();
        let got_accesses: Vec<OpAccess> =
            got.accesses.into_iter().map(|x| OpAccess { line: 0, ..x }).collect();
        prop_assert_eq!(got_modes, modes, "{}", text);
        prop_assert_eq!(got_accesses, accesses, "{}", text);
    }

    /// `cmd appops get PKG`: each op's mode, its latest access with its
    /// duration, and its latest reject, as ages.
    #[test]
    fn cmd_appops_get_round_trips((names, ops) in appops_cases()) {
        let a = android_with_ops(&names, ops);
        for p in a.packages.values().filter(|p| names.contains(&p.name)) {
            let text = dumps::appops_get(&a, p);
            let got = appops::parse(&text);
            prop_assert_eq!(got.unknown, 0, "{}", text);
            let mut modes = Vec::new();
            let mut accesses = Vec::new();
            let mut names: Vec<&String> = p.ops.keys().chain(p.op_modes.keys()).collect();
            names.sort();
            names.dedup();
            for op in names {
                modes.push((op.clone(), a.op_mode(&p.name, op)));
                let keys = p.ops.get(op);
                let ago = |t: SimMillis| Some(OpTime::Ago { ms: u64::try_from(now() - t).expect("past") });
                let base = |kind, time| OpAccess {
                    line: 0,
                    uid: None,
                    package: None,
                    op: op.clone(),
                    kind,
                    uid_state: None,
                    flags: None,
                    attribution: None,
                    time,
                    duration_ms: None,
                    proxy: None,
                };
                let latest = keys.and_then(|k| {
                    k.values()
                        .filter_map(|r| r.access.map(|t| (t, r.duration)))
                        .max_by_key(|x| x.0)
                });
                if let Some((t, d)) = latest {
                    let mut x = base(AccessKind::Access, ago(t));
                    x.duration_ms = d.map(|d| u64::try_from(d).expect("positive"));
                    accesses.push(x);
                }
                if let Some(t) = keys.and_then(|k| k.values().filter_map(|r| r.reject).max()) {
                    accesses.push(base(AccessKind::Reject, ago(t)));
                }
            }
            let got_modes: Vec<(String, String)> =
                got.modes.iter().map(|m| (m.op.clone(), m.mode.clone())).collect();
            prop_assert_eq!(got_modes, modes, "{}", text);
            let got_accesses: Vec<OpAccess> =
                got.accesses.into_iter().map(|x| OpAccess { line: 0, ..x }).collect();
            prop_assert_eq!(got_accesses, accesses, "{}", text);
        }
    }
}

// ---------------------------------------------------------------------------
// dumpsys package

fn permission_name() -> impl Strategy<Value = String> {
    prop_oneof![
        "android\\.permission\\.[A-Z][A-Z_]{0,20}",
        "[a-z]{2,6}(\\.[a-z]{2,6}){1,2}\\.permission\\.[A-Z][A-Za-z0-9_]{0,12}",
    ]
}

fn perm_state() -> impl Strategy<Value = Perm> {
    let flags = prop_oneof![
        2 => prop::sample::subsequence(vec![1u32, 2, 4, 8, 16, 32, 64, 256, 512, 65_536], 0..4)
            .prop_map(|bits| bits.into_iter().fold(0, |m, b| m | b)),
        1 => any::<u32>(),
    ];
    (any::<bool>(), flags, any::<bool>()).prop_map(|(granted, flags, runtime)| Perm {
        granted,
        flags,
        runtime,
    })
}

/// Flags back to their bits: a name through the simulator's own table
/// (`USER_SET` is `pm set-permission-flags user-set`), a number as is.
fn flag_bits(flags: &[PermissionFlag]) -> Option<u32> {
    flags.iter().try_fold(0u32, |m, f| match f {
        PermissionFlag::Named(n) => {
            perms::flag_from_cli(&n.to_ascii_lowercase().replace('_', "-")).map(|b| m | b)
        }
        PermissionFlag::Raw(n) => u32::try_from(*n).ok().map(|b| m | b),
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// `dumpsys package PKG`: uid, versionName, targetSdk, requested
    /// permissions, install permissions with their grant, user 0 and its
    /// runtime permissions with grant and flags.
    #[test]
    fn dumpsys_package_round_trips(
        name in package_name(),
        uid in 10_000u32..20_000,
        version in "[0-9A-Za-z][0-9A-Za-z._+ -]{0,12}[0-9A-Za-z]",
        requested in prop::collection::vec(permission_name(), 0..5),
        perms in prop::collection::btree_map(permission_name(), perm_state(), 0..8),
        running in any::<bool>(),
    ) {
        let mut a = frozen_android(now());
        let mut model = app_model(&name, "App", ".MainActivity", requested.clone());
        model.version.clone_from(&version);
        a.install(model, false);
        let p = a.packages.get_mut(&name).expect("installed");
        p.uid = uid;
        p.perms = perms.clone();
        if running {
            a.launch(&name, Launcher::Shell).expect("launches");
        } else {
            a.force_stop(&name);
        }
        let text = dumps::package(&a, &a.packages[&name]);
        let got = package::parse(&text);
        prop_assert_eq!(got.unknown, 0, "{}", text);
        prop_assert_eq!(got.packages.len(), 1);
        let info = &got.packages[0];
        prop_assert_eq!(&info.name, &name);
        prop_assert_eq!(info.uid, Some(uid));
        prop_assert_eq!(info.version_name.as_deref(), Some(version.as_str()));
        prop_assert_eq!(info.target_sdk, Some(34));
        prop_assert_eq!(&info.requested, &requested);
        prop_assert!(info.runtime.is_empty());
        let install: Vec<(&str, bool, Option<u32>)> = info
            .install
            .iter()
            .map(|p| (p.name.as_str(), p.granted, flag_bits(&p.flags)))
            .collect();
        let want_install: Vec<(&str, bool, Option<u32>)> = perms
            .iter()
            .filter(|(_, s)| !s.runtime)
            .map(|(n, s)| (n.as_str(), s.granted, Some(0)))
            .collect();
        prop_assert_eq!(install, want_install);
        prop_assert_eq!(info.users.len(), 1);
        prop_assert_eq!((info.users[0].user, info.users[0].installed), (0, Some(true)));
        let runtime: Vec<(&str, bool, Option<u32>)> = info.users[0]
            .runtime
            .iter()
            .map(|p| (p.name.as_str(), p.granted, flag_bits(&p.flags)))
            .collect();
        let want_runtime: Vec<(&str, bool, Option<u32>)> = perms
            .iter()
            .filter(|(_, s)| s.runtime)
            .map(|(n, s)| (n.as_str(), s.granted, Some(s.flags)))
            .collect();
        prop_assert_eq!(runtime, want_runtime);
        for (n, s) in perms.iter().filter(|(_, s)| s.runtime) {
            let st = info.runtime_permission(n).expect("listed");
            prop_assert_eq!(st.user_denied(), !s.granted && s.flags & 1 != 0);
            prop_assert_eq!(st.user_fixed(), s.flags & 2 != 0);
        }
    }
}

// ---------------------------------------------------------------------------
// dumpsys activity exit-info

/// A description as exit-info can carry it: its fields are `key=value`
/// separated by spaces with no quoting, so a description holds no ` key=`
/// of the record's own keys, no line break, and is not `null` (which means
/// none).
fn description() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just(String::new()),
        3 => "[A-Za-z0-9][A-Za-z0-9 .:$()_,'\"/同意-]{0,30}[A-Za-z0-9.)]"
            .prop_filter("not `null`", |d| d != "null"),
        1 => Just("crash java.lang.IllegalStateException: a=b".to_string()),
    ]
}

fn exit() -> impl Strategy<Value = (u32, Option<String>, u8, i32, u32, String, SimMillis)> {
    (
        any::<u32>(),
        prop::option::of(":[a-z]{1,6}"),
        0u8..16,
        any::<i32>(),
        prop::sample::select(vec![100u32, 125, 200, 300, 400, 1000]),
        description(),
        sim_time().prop_map(|(t, _)| t),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// `dumpsys activity exit-info [PKG]`: each `ApplicationExitInfo` with
    /// its package, timestamp, pid, uid, process, reason code and name,
    /// subreason, status and description, in order.
    #[test]
    fn exit_info_round_trips(
        apps in package_names(1..=3).prop_flat_map(|names| {
            let n = names.len();
            (Just(names), prop::collection::vec(prop::collection::vec(exit(), 0..4), n..=n))
        }),
        only_first in any::<bool>(),
    ) {
        let (names, exits) = apps;
        let mut a = frozen_android(now());
        for (i, (name, exits)) in names.iter().zip(exits).enumerate() {
            let mut p = pkg(name, 10_100 + u32::try_from(i).expect("few"), None);
            p.exits = exits
                .into_iter()
                .map(|(pid, suffix, reason, status, importance, description, time)| ExitInfo {
                    time,
                    pid,
                    process: format!("{name}{}", suffix.unwrap_or_default()),
                    reason,
                    status,
                    importance,
                    description,
                })
                .collect();
            a.packages.insert(name.clone(), p);
        }
        let only = only_first.then(|| names[0].as_str());
        let text = dumps::exit_info(&a, only);
        let got: Vec<ExitRecord> = exit_info::parse(&text)
            .records
            .into_iter()
            .map(|r| ExitRecord { line: 0, ..r })
            .collect();
        let want: Vec<ExitRecord> = a
            .packages
            .values()
            .filter(|p| only.is_none_or(|o| o == p.name))
            .flat_map(|p| {
                p.exits.iter().map(|e| ExitRecord {
                    line: 0,
                    package: Some(p.name.clone()),
                    timestamp: Some(fmt_datetime(e.time)),
                    pid: Some(e.pid),
                    uid: Some(p.uid),
                    process: Some(e.process.clone()),
                    reason: Some(u32::from(e.reason)),
                    reason_name: Some(dumps::reason_name(e.reason).to_string()),
                    subreason: Some(0),
                    status: Some(e.status),
                    description: (!e.description.is_empty()).then(|| e.description.clone()),
                })
            })
            .collect();
        prop_assert_eq!(got, want, "{}", text);
    }
}

// ---------------------------------------------------------------------------
// dumpsys activity activities / dumpsys window

/// A launcher activity: short (`.ui.Main`) or fully qualified.
fn activity_name() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\.[A-Z][A-Za-z0-9]{0,10}",
        "\\.[a-z]{1,5}\\.[A-Z][A-Za-z0-9]{0,10}",
        "[a-z]{2,5}\\.[a-z]{2,5}\\.[A-Z][A-Za-z0-9]{0,10}",
    ]
}

/// An app label as the crash dialog's title shows it: anything printable
/// but `}` (which ends the `Window{...}` that holds the title).
fn label() -> impl Strategy<Value = String> {
    hostile(4).prop_map(|s| {
        s.chars()
            .map(|c| if c == '}' || c.is_control() { ' ' } else { c })
            .collect::<String>()
            .trim()
            .to_string()
    })
}

#[derive(Debug, Clone)]
enum DialogKind {
    None,
    Permission,
    Crash,
}

fn focus_cases() -> impl Strategy<Value = (Vec<(String, String, String)>, Vec<usize>, DialogKind)> {
    package_names(1..=4)
        .prop_flat_map(|names| {
            let n = names.len();
            (
                Just(names),
                prop::collection::vec((activity_name(), label()), n..=n),
                prop::sample::subsequence((0..n).collect::<Vec<_>>(), 0..=n).prop_shuffle(),
                prop_oneof![
                    Just(DialogKind::None),
                    Just(DialogKind::Permission),
                    Just(DialogKind::Crash),
                ],
            )
        })
        .prop_map(|(names, rest, order, dialog)| {
            let apps = names
                .into_iter()
                .zip(rest)
                .map(|(n, (act, label))| (n, act, label))
                .collect();
            (apps, order, dialog)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// `dumpsys activity activities` and `dumpsys window`: the resumed
    /// activity (package, class with a short name expanded, task, user),
    /// the focused window (its title, and a package only for an app's
    /// window) and the focused app, for any task stack and system dialog.
    #[test]
    fn focus_round_trips((apps, order, dialog) in focus_cases()) {
        let mut a = frozen_android(now());
        for (name, activity, label) in &apps {
            a.install(app_model(name, label, activity, Vec::new()), false);
        }
        for (i, &k) in order.iter().enumerate() {
            a.tasks.push(Task {
                id: 50 + u32::try_from(i).expect("few"),
                pkg: apps[k].0.clone(),
                stack: vec!["main".to_string()],
            });
        }
        let top = a.tasks.last().expect("the launcher at least").clone();
        let top_model = a.packages[&top.pkg].model.clone();
        match dialog {
            DialogKind::None => {}
            DialogKind::Permission => {
                a.dialog = Some(Dialog::Permission {
                    pkg: top.pkg.clone(),
                    groups: vec![("CAMERA".to_string(), vec!["android.permission.CAMERA".to_string()])],
                    denied: Vec::new(),
                });
            }
            DialogKind::Crash => a.dialog = Some(Dialog::Crash { pkg: top.pkg.clone() }),
        }
        let (top_pkg, top_activity) = match &top_model {
            Some(m) => (m.package.clone(), m.activity_class()),
            None => (
                sim_android::LAUNCHER.to_string(),
                format!("{}.NexusLauncherActivity", sim_android::LAUNCHER),
            ),
        };

        let text = dumps::activities(&a);
        let f = focus::parse(&text);
        prop_assert_eq!(f.foreground_package(), Some(a.foreground_pkg()), "{}", text);
        let sources: Vec<&str> = f.resumed.iter().map(|r| r.source.as_str()).collect();
        prop_assert_eq!(sources, ["topResumedActivity", "mResumedActivity", "ResumedActivity"]);
        for r in &f.resumed {
            prop_assert_eq!(
                (r.package.as_str(), r.activity.as_str(), r.task, r.user),
                (top_pkg.as_str(), top_activity.as_str(), Some(top.id), Some(0))
            );
        }

        let text = dumps::window(&a);
        let w = focus::parse(&text);
        prop_assert_eq!(w.focused_windows.len(), 1, "{}", text);
        let win = &w.focused_windows[0];
        let (want_title, want_pkg) = match dialog {
            DialogKind::None => (format!("{top_pkg}/{top_activity}"), Some(top_pkg.clone())),
            DialogKind::Permission => (
                format!(
                    "{}/com.android.permissioncontroller.permission.ui.GrantPermissionsActivity",
                    sim_android::PERMCTRL
                ),
                Some(sim_android::PERMCTRL.to_string()),
            ),
            DialogKind::Crash => {
                let label = top_model.as_ref().map_or(top_pkg.as_str(), |m| m.label.as_str());
                let title = format!("Application Error: {label}");
                (title.split_whitespace().collect::<Vec<_>>().join(" "), None)
            }
        };
        prop_assert_eq!(&win.title, &want_title, "{}", text);
        prop_assert_eq!(&win.package, &want_pkg, "{}", text);
        prop_assert_eq!(win.user, Some(0));
        prop_assert_eq!(w.focused_apps.len(), 1);
        prop_assert_eq!(
            (w.focused_apps[0].package.as_str(), w.focused_apps[0].activity.as_str(), w.focused_apps[0].task),
            (top_pkg.as_str(), top_activity.as_str(), Some(top.id))
        );
        prop_assert_eq!(w.foreground_package(), want_pkg.as_deref());
    }
}

// ---------------------------------------------------------------------------
// pm list packages

/// An install path: `/data/app/~~base64==/pkg-base64==` with `=` and `~`
/// (no blank: `pm` prints the path unquoted before ` uid:` columns).
fn code_path() -> impl Strategy<Value = String> {
    "/(data/app|system/priv-app|product/overlay|apex/com\\.x)/[A-Za-z0-9_~=+.@-]{1,24}(/[A-Za-z0-9_=+.-]{1,12}){0,2}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// `pm list packages [-3] [-f] [FILTER]`: the listed names, in order,
    /// with their `-f` paths.
    #[test]
    fn pm_list_packages_round_trips(
        apps in package_names(0..=6).prop_flat_map(|names| {
            let n = names.len();
            (Just(names), prop::collection::vec(code_path(), n..=n))
        }),
        third_party in any::<bool>(),
        paths in any::<bool>(),
        filter in prop::option::of("[a-z.]{1,3}"),
    ) {
        let (names, code_paths) = apps;
        let mut a = frozen_android(now());
        for (name, path) in names.iter().zip(code_paths) {
            a.install(app_model(name, "App", ".Main", Vec::new()), false);
            a.packages.get_mut(name).expect("installed").code_path = path;
        }
        let text = dumps::list_packages(&a, third_party, paths, filter.as_deref());
        let got = props::parse_package_list(&text);
        prop_assert_eq!(got.unknown, 0, "{}", text);
        let want: Vec<(String, Option<String>)> = a
            .packages
            .values()
            .filter(|p| !(third_party && p.system()))
            .filter(|p| filter.as_deref().is_none_or(|f| p.name.contains(f)))
            .map(|p| {
                let path = if p.system() {
                    p.code_path.clone()
                } else {
                    format!("{}/base.apk", p.code_path)
                };
                (p.name.clone(), paths.then_some(path))
            })
            .collect();
        let got: Vec<(String, Option<String>)> =
            got.packages.into_iter().map(|p| (p.package, p.path)).collect();
        prop_assert_eq!(got, want, "{}", text);
    }
}

// ---------------------------------------------------------------------------
// getprop, wm size and logcat through the simulated device's shell

/// A property value as `getprop` can print it: `[key]: [value]` per line,
/// so a value's line other than its last cannot end with `]`, and there is
/// no `\r` (CRLF captures are read as LF).
fn prop_value() -> impl Strategy<Value = String> {
    hostile(6).prop_map(|s| {
        let mut lines: Vec<String> = s
            .replace('\r', " ")
            .split('\n')
            .map(str::to_string)
            .collect();
        let last = lines.len() - 1;
        for l in &mut lines[..last] {
            if l.ends_with(']') {
                l.push(' ');
            }
        }
        lines.join("\n")
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// `getprop` and `wm size` on a device of any configuration give back
    /// the configured product, model, serial, release, SDK, density and
    /// size; `getprop KEY` prints the same value alone.
    #[test]
    fn getprop_and_wm_size_round_trip(
        model in prop_value(),
        product in prop_value(),
        serial in "[A-Za-z0-9-]{1,20}",
        release in prop_value(),
        sdk in 21u32..40,
        density in 120u32..700,
        width in 1u32..5000,
        height in 1u32..5000,
    ) {
        let dev = SimDevice::new(
            DeviceConfig {
                serial: serial.clone(),
                product_name: product.clone(),
                model: model.clone(),
                release: release.clone(),
                sdk,
                density,
                width,
                height,
                ..DeviceConfig::default()
            },
            Vec::new(),
        );
        let rt = runtime();
        let (text, code) = rt.block_on(sh(&dev, "getprop"));
        prop_assert_eq!(code, 0);
        let p = props::parse_getprop(&text);
        prop_assert_eq!(p.unknown, 0, "{}", text);
        prop_assert_eq!(p.get("ro.product.model"), Some(model.as_str()), "{}", text);
        prop_assert_eq!(p.get("ro.product.name"), Some(product.as_str()));
        prop_assert_eq!(p.get("ro.serialno"), Some(serial.as_str()));
        prop_assert_eq!(p.get("ro.build.version.release"), Some(release.as_str()));
        prop_assert_eq!(p.sdk(), Some(sdk));
        let density = density.to_string();
        prop_assert_eq!(p.get("ro.sf.lcd_density"), Some(density.as_str()));
        prop_assert!(p.is_emulator());
        let (one, _) = rt.block_on(sh(&dev, "getprop ro.product.model"));
        prop_assert_eq!(one, format!("{model}\n"));
        let (size, code) = rt.block_on(sh(&dev, "wm size"));
        prop_assert_eq!(code, 0);
        let size = props::parse_wm_size(&size).expect("a physical size");
        prop_assert_eq!((size.width, size.height, size.override_size), (width, height, None));
    }

    /// `log -p L -t TAG MSG` typed through the device's shell (each word
    /// quoted with the tool's `sh_quote`) comes back from `logcat -d -v
    /// FORMAT` with the same priority, tag and message in every format.
    #[test]
    fn logcat_through_the_shell_round_trips(
        lines in prop::collection::vec((level(), tag(), message_line()), 1..6),
    ) {
        let dev = SimDevice::new(DeviceConfig::default(), Vec::new());
        let rt = runtime();
        let mut want = Vec::new();
        for (level, tag, msg) in &lines {
            // `log` joins its words with single spaces; a first word
            // starting with `-` would be an option, as for Android's.
            let msg = format!("m {msg}");
            let words: Vec<&str> = msg.split(' ').filter(|w| !w.is_empty()).collect();
            let cmd = format!(
                "log -p {} -t {} {}",
                level.to_ascii_lowercase(),
                sh_quote(tag),
                words.iter().map(|w| sh_quote(w)).collect::<Vec<_>>().join(" ")
            );
            let (_, code) = rt.block_on(sh(&dev, &cmd));
            prop_assert_eq!(code, 0, "{}", cmd);
            want.push((parsed_level(*level), tag.clone(), words.join(" ")));
        }
        for format in ["threadtime", "brief", "uid", "threadtime,uid", "time"] {
            let (text, code) = rt.block_on(sh(&dev, &format!("logcat -d -v {format}")));
            prop_assert_eq!(code, 0);
            let log = logcat::parse(&text);
            prop_assert_eq!(log.summary.unknown, 0, "{}:\n{}", format, text);
            let got: Vec<(Level, String, String)> = log
                .entries
                .iter()
                .filter_map(|e| match e {
                    LogEntry::Record(r) => Some((r.level, r.tag.clone(), r.message.clone())),
                    _ => None,
                })
                .collect();
            prop_assert_eq!(&got, &want, "{}:\n{}", format, text);
        }
    }
}
