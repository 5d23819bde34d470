//! The simulator's release profiles (Android 9, 11 and 14) end to end:
//! each profile boots through `sim::runner`, Debian's real adb server
//! connects to it, and the product's own device layer drives it. A fixture
//! app (com.example.nagbox, which re-asks after a denial) requests the
//! camera, and each test checks what that release really does: the
//! dialog's package, ids and texts, what deny / deny-forever / allow /
//! one-time / BACK do to the permission's flags, the `START` line's tag and
//! component, the appops dump's generation, exit-info (absent on 9), and
//! that every output the tool reads (logcat, appops, `cmd appops get`,
//! package, exit-info, activity and window focus, uiautomator) is read by
//! the project's parsers with no unknown line.
//!
//! The formats each profile follows, and where they come from, are listed
//! in docs/simulator.md.

mod common;

use std::time::Duration;

use common::Adb;
use consentry::android::appops::{AccessKind, AppOps};
use consentry::android::logcat::{self, Event};
use consentry::android::package::{PackageDump, PermissionState};
use consentry::android::uiautomator::{UiNode, UiTree};
use consentry::device::{AdbDevice, AdbServer, Device, ServerAddr, Timeouts};
use consentry::sim::os::Release;
use consentry::sim::runner::{self, RunningSim, SimOptions};
use regex::Regex;

const NAG: &str = "com.example.nagbox";
const FEED: &str = "com.example.eagerfeed";
const CAMERA: &str = "android.permission.CAMERA";
const T: Duration = Duration::from_secs(30);

/// What each release really does, written out here (from the real
/// captures and AOSP sources listed in docs/simulator.md) rather than read
/// from the simulator's own profile, so that a wrong profile fails.
struct Expect {
    sdk: u32,
    release: &'static str,
    model: &'static str,
    /// The package showing the dialog, and its resource-id prefix.
    controller: &'static str,
    prefix: &'static str,
    /// `cmp=` of the REQUEST_PERMISSIONS START line.
    grant_component: &'static str,
    /// The tag of START lines.
    task_tag: &'static str,
    /// A regex for how the permission request's START line ends.
    start_tail: &'static str,
    /// `Start proc ... for HOSTING`.
    hosting: &'static str,
    exit_info: bool,
    one_time: bool,
    identifiers: bool,
}

fn expect(release: Release) -> Expect {
    match release {
        Release::Android9 => Expect {
            sdk: 28,
            release: "9",
            model: "Android SDK built for x86",
            controller: "com.android.packageinstaller",
            prefix: "com.android.packageinstaller:id/",
            grant_component: "com.android.packageinstaller/.permission.ui.GrantPermissionsActivity",
            task_tag: "ActivityManager",
            start_tail: r" from uid \d+$",
            hosting: "activity",
            exit_info: false,
            one_time: false,
            identifiers: false,
        },
        Release::Android11 => Expect {
            sdk: 30,
            release: "11",
            model: "sdk_gphone_x86_64",
            controller: "com.google.android.permissioncontroller",
            prefix: "com.android.permissioncontroller:id/",
            grant_component: "com.google.android.permissioncontroller/com.android.permissioncontroller.permission.ui.GrantPermissionsActivity",
            task_tag: "ActivityTaskManager",
            start_tail: r" from uid \d+$",
            hosting: "top-activity",
            exit_info: true,
            one_time: true,
            identifiers: true,
        },
        Release::Android14 => Expect {
            sdk: 34,
            release: "14",
            model: "sdk_gphone64_x86_64",
            controller: "com.google.android.permissioncontroller",
            prefix: "com.android.permissioncontroller:id/",
            grant_component: "com.google.android.permissioncontroller/com.android.permissioncontroller.permission.ui.GrantPermissionsActivity",
            task_tag: "ActivityTaskManager",
            // As the real Android 14 capture's START lines end.
            start_tail: r" with LAUNCH_MULTIPLE from uid \d+ \(BAL_ALLOW_VISIBLE_WINDOW\) result code=0$",
            hosting: "next-top-activity",
            exit_info: true,
            one_time: true,
            identifiers: true,
        },
    }
}

/// A simulated device of one release behind a private adb server.
struct Rig {
    release: Release,
    dev: AdbDevice,
    // Dropped after `dev`: the adb server, then the simulator.
    _adb: Adb,
    _sim: RunningSim,
}

async fn rig(release: Release) -> Rig {
    let opts = SimOptions {
        apps: "fixtures/apps".into(),
        android: release,
        ..SimOptions::default()
    };
    let sim = runner::start(&opts).await.expect("simulator starts");
    let adb = Adb::start().await;
    let serial = sim.devices[0].serial.clone();
    adb.connect(&serial, "device").await;
    let server = AdbServer::new(ServerAddr {
        host: "127.0.0.1".into(),
        port: adb.port,
    });
    let dev = AdbDevice::open(server, &serial, Timeouts::default())
        .await
        .expect("device opens");
    Rig {
        release,
        dev,
        _adb: adb,
        _sim: sim,
    }
}

impl Rig {
    fn id(&self, short: &str) -> String {
        format!("{}{short}", expect(self.release).prefix)
    }

    /// The screen as the product reads it; every element understood.
    async fn ui(&self) -> UiTree {
        let ui = self.dev.ui_tree().await.expect("uiautomator dump");
        assert_eq!(ui.tree.unknown, 0, "{}", ui.xml);
        ui.tree
    }

    /// The dialog's buttons and checkboxes (the controller's id prefix),
    /// in order: (short id, text, enabled).
    async fn dialog_ids(&self) -> Vec<(String, String, bool)> {
        let prefix = expect(self.release).prefix;
        self.ui()
            .await
            .nodes()
            .into_iter()
            .filter(|n| {
                n.resource_id.starts_with(prefix)
                    && (n.class == "android.widget.Button" || n.class == "android.widget.CheckBox")
            })
            .map(|n| {
                (
                    n.resource_id[prefix.len()..].to_string(),
                    n.text.clone(),
                    n.enabled,
                )
            })
            .collect()
    }

    async fn node(&self, id: &str) -> Option<UiNode> {
        self.ui()
            .await
            .nodes()
            .into_iter()
            .find(|n| n.resource_id == id)
            .cloned()
    }

    /// Taps the centre of the node with this id, found in a fresh dump.
    async fn tap(&self, id: &str) {
        let node = self
            .node(id)
            .await
            .unwrap_or_else(|| panic!("no {id} on screen"));
        let (x, y) = node.bounds.expect("bounds").center();
        self.dev.tap(x, y).await.expect("tap");
    }

    async fn dialog_up(&self) -> bool {
        self.node(&self.id("permission_message")).await.is_some()
    }

    /// nagbox's camera permission as `dumpsys package` shows it.
    async fn camera(&self) -> PermissionState {
        let snap = self.dev.package(NAG).await.expect("dumpsys package");
        let dump: &PackageDump = &snap.parsed;
        assert_eq!(dump.unknown, 0, "{}", snap.raw);
        dump.packages[0]
            .runtime_permission(CAMERA)
            .unwrap_or_else(|| panic!("no camera permission:\n{}", snap.raw))
            .clone()
    }

    async fn logcat(&self) -> (String, logcat::Log) {
        let out = self
            .dev
            .shell_ok(&["logcat", "-d", "-v", "threadtime"])
            .await
            .expect("logcat");
        let text = out.stdout_text();
        let log = logcat::parse(&text);
        assert_eq!(log.summary.unknown, 0, "{text}");
        (text, log)
    }

    /// Launches nagbox and taps "Take photo": a camera request.
    async fn request_camera(&self) {
        self.dev.launch(NAG).await.expect("launch");
        self.tap(&format!("{NAG}:id/photo")).await;
    }
}

fn flags(p: &PermissionState) -> Vec<String> {
    let mut v: Vec<String> = p
        .flags
        .iter()
        .map(|f| match f {
            consentry::android::package::PermissionFlag::Named(n) => n.clone(),
            consentry::android::package::PermissionFlag::Raw(n) => n.to_string(),
        })
        .collect();
    v.sort();
    v
}

/// The flags Android 10+ gives every runtime permission from install.
fn sensitive(release: Release) -> Vec<&'static str> {
    if release == Release::Android9 {
        Vec::new()
    } else {
        vec!["USER_SENSITIVE_WHEN_DENIED", "USER_SENSITIVE_WHEN_GRANTED"]
    }
}

fn with_sensitive(release: Release, names: &[&'static str]) -> Vec<String> {
    let mut v: Vec<String> = names
        .iter()
        .chain(sensitive(release).iter())
        .map(|s| (*s).to_string())
        .collect();
    v.sort();
    v
}

/// The dialog's buttons for the camera group, first time and after a
/// denial: (id, text, enabled).
fn expected_buttons(release: Release, again: bool) -> Vec<(String, String, bool)> {
    let b = |id: &str, text: &str| (id.to_string(), text.to_string(), true);
    match release {
        // packageinstaller's grant_permissions.xml (android-9.0.0_r30):
        // the checkbox above a DENY / ALLOW bar; no foreground choice.
        Release::Android9 => {
            let mut v = Vec::new();
            if again {
                v.push(b("do_not_ask_checkbox", "Don't ask again"));
            }
            v.extend([
                b("permission_deny_button", "Deny"),
                b("permission_allow_button", "Allow"),
            ]);
            v
        }
        // PermissionController 11: camera is foreground-only with a
        // one-time grant; after a denial the deny-and-don't-ask-again
        // button (text "Deny", as the layout gives it) replaces deny.
        Release::Android11 | Release::Android14 => {
            let deny = if release == Release::Android11 {
                "Deny"
            } else {
                "Don\u{2019}t allow"
            };
            vec![
                b(
                    "permission_allow_foreground_only_button",
                    "While using the app",
                ),
                b("permission_allow_one_time_button", "Only this time"),
                b(
                    if again {
                        "permission_deny_and_dont_ask_again_button"
                    } else {
                        "permission_deny_button"
                    },
                    deny,
                ),
            ]
        }
    }
}

/// Deny, then deny for good, then the auto-denied third request; the
/// START lines, focus, package, logcat and exit-info of each release.
async fn denial_flow(release: Release) {
    let r = rig(release).await;
    let want = expect(release);
    let props = r.dev.properties().await.expect("properties");
    assert_eq!(
        (props.sdk, props.release.as_deref(), props.model.as_deref()),
        (Some(want.sdk), Some(want.release), Some(want.model))
    );
    assert!(props.emulator);

    // First request: the release's dialog, package and ids.
    r.request_camera().await;
    let ui = r.ui().await;
    let controller = want.controller;
    let dialog: Vec<&UiNode> = ui
        .nodes()
        .into_iter()
        .filter(|n| n.package == controller)
        .collect();
    assert!(!dialog.is_empty(), "no {controller} window");
    let other_prefixes = [
        "com.android.packageinstaller:id/",
        "com.android.permissioncontroller:id/",
    ]
    .into_iter()
    .filter(|p| *p != want.prefix);
    for p in other_prefixes {
        assert!(
            ui.nodes().iter().all(|n| !n.resource_id.starts_with(p)),
            "{release}: an id of {p}"
        );
    }
    let message = r
        .node(&r.id("permission_message"))
        .await
        .expect("the message");
    assert_eq!(
        message.text,
        "Allow Nag Box to take pictures and record video?"
    );
    assert_eq!(r.dialog_ids().await, expected_buttons(release, false));
    let focus = r.dev.focus().await.expect("focus");
    assert!(
        focus
            .parsed
            .focused_windows
            .iter()
            .any(|w| w.package.as_deref() == Some(controller)),
        "{}",
        focus.raw
    );

    // Deny: USER_SET, not fixed.
    r.tap(&r.id("permission_deny_button")).await;
    assert!(!r.dialog_up().await);
    let cam = r.camera().await;
    assert!(!cam.granted);
    assert_eq!(flags(&cam), with_sensitive(release, &["USER_SET"]));
    assert!(cam.user_denied() && !cam.user_fixed());

    // nagbox re-asks on the next screen: the "denied before" variant.
    r.tap(&format!("{NAG}:id/discover")).await;
    assert_eq!(r.dialog_ids().await, expected_buttons(release, true));
    assert!(
        r.node(&r.id("permission_deny_button")).await.is_some() == (release == Release::Android9),
        "plain deny only on 9"
    );
    if release == Release::Android9 {
        // Ticking the checkbox disables ALLOW; a tap on it does nothing.
        r.tap(&r.id("do_not_ask_checkbox")).await;
        let check = r
            .node(&r.id("do_not_ask_checkbox"))
            .await
            .expect("checkbox");
        assert!(check.checkable && check.checked);
        let allow = r
            .node(&r.id("permission_allow_button"))
            .await
            .expect("allow");
        assert!(!allow.enabled);
        r.tap(&r.id("permission_allow_button")).await;
        assert!(r.dialog_up().await, "a disabled ALLOW does not answer");
        r.tap(&r.id("permission_deny_button")).await;
    } else {
        r.tap(&r.id("permission_deny_and_dont_ask_again_button"))
            .await;
    }
    let cam = r.camera().await;
    let fixed: &[&str] = match release {
        // packageinstaller 9 and PermissionController 11 swap USER_SET
        // for USER_FIXED; 14's KotlinUtils keeps both.
        Release::Android9 | Release::Android11 => &["USER_FIXED"],
        Release::Android14 => &["USER_FIXED", "USER_SET"],
    };
    assert!(!cam.granted);
    assert_eq!(flags(&cam), with_sensitive(release, fixed));
    assert!(cam.user_fixed());

    // Third time: no dialog, but the request is still logged.
    r.dev.key("KEYCODE_BACK").await.expect("back");
    assert!(!r.dialog_up().await, "a fixed denial shows no dialog");
    let focus = r.dev.focus().await.expect("focus");
    assert_eq!(
        focus.parsed.foreground_package(),
        Some(NAG),
        "{}",
        focus.raw
    );
    let sources: Vec<&str> = focus
        .parsed
        .resumed
        .iter()
        .map(|a| a.source.as_str())
        .collect();
    if release == Release::Android9 {
        assert_eq!(
            sources,
            ["mResumedActivity", "ResumedActivity"],
            "{}",
            focus.raw
        );
    } else {
        assert!(sources.contains(&"topResumedActivity"), "{}", focus.raw);
    }

    let (text, log) = r.logcat().await;
    let tag = want.task_tag;
    let start = Regex::new(&format!(
        r"(?m)^\d\d-\d\d \d\d:\d\d:\d\d\.\d{{3}} +\d+ +\d+ I {}: START u0 \{{act=android\.content\.pm\.action\.REQUEST_PERMISSIONS pkg={} cmp={} \(has extras\)\}}{}",
        regex::escape(tag),
        regex::escape(controller),
        regex::escape(want.grant_component),
        want.start_tail,
    ))
    .expect("regex");
    assert_eq!(start.find_iter(&text).count(), 3, "{text}");
    let requests: Vec<&str> = log
        .events()
        .filter_map(|(_, e)| match e {
            Event::PermissionRequest { tag, .. } => Some(tag.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(requests, [tag; 3]);
    let other = if release == Release::Android9 {
        "ActivityTaskManager"
    } else {
        "ActivityManager: START"
    };
    assert!(!text.contains(other), "{release} logs no {other}:\n{text}");
    let started = log.events().find_map(|(_, e)| match e {
        Event::ProcessStart {
            process, reason, ..
        } if process == NAG => reason.clone(),
        _ => None,
    });
    assert_eq!(started.as_deref(), Some(want.hosting));

    // Clearing data kills the app: an exit record from 11 on; Android 9
    // has no exit-info and answers as for any unknown dumpsys command.
    r.dev.clear(NAG).await.expect("pm clear");
    let exits = r.dev.exit_info(NAG).await.expect("exit-info");
    if want.exit_info {
        let rec = exits.parsed.records.first().unwrap_or_else(|| {
            panic!("{release}: no exit record:\n{}", exits.raw);
        });
        assert_eq!(
            (rec.reason, rec.process.as_deref(), rec.package.as_deref()),
            (
                Some(consentry::android::exit_info::reason::USER_REQUESTED),
                Some(NAG),
                Some(NAG)
            ),
            "{}",
            exits.raw
        );
        assert!(rec.pid.is_some() && rec.timestamp.is_some());
    } else {
        assert!(exits.parsed.records.is_empty(), "{}", exits.raw);
        assert_eq!(
            exits.raw,
            "Unknown command: exit-info\nBad activity command, or no activities match: exit-info\nUse -h for help.\n"
        );
    }
    let cam = r.camera().await;
    assert_eq!(
        (cam.granted, flags(&cam)),
        (false, with_sensitive(release, &[]))
    );
}

/// Allow, "Only this time" (11+), and BACK on the dialog.
async fn grant_flow(release: Release) {
    let r = rig(release).await;
    r.request_camera().await;
    let allow = if release == Release::Android9 {
        r.id("permission_allow_button")
    } else {
        r.id("permission_allow_foreground_only_button")
    };
    // What the screenshot shows where the dump puts the button.
    let button = r
        .node(&allow)
        .await
        .and_then(|n| n.bounds)
        .expect("allow bounds");
    let with_dialog = r.dev.screenshot().await.expect("screencap");
    r.tap(&allow).await;
    let without = r.dev.screenshot().await.expect("screencap");
    assert_eq!((with_dialog.width, with_dialog.height), (1080, 2400));
    let region = |img: &image::RgbaImage| -> Vec<[u8; 4]> {
        let mut v = Vec::new();
        for y in button.top.max(0)..button.bottom.min(2400) {
            for x in button.left.max(0)..button.right.min(1080) {
                #[allow(clippy::cast_sign_loss)]
                v.push(img.get_pixel(x as u32, y as u32).0);
            }
        }
        v
    };
    assert_ne!(
        region(&with_dialog.image().expect("decodes")),
        region(&without.image().expect("decodes")),
        "the dialog is drawn where its dump says"
    );
    let cam = r.camera().await;
    assert!(cam.granted);
    // 9 clears USER_SET on a grant; 11 and 14 set it.
    let granted: &[&str] = if release == Release::Android9 {
        &[]
    } else {
        &["USER_SET"]
    };
    assert_eq!(flags(&cam), with_sensitive(release, granted));

    r.dev.clear(NAG).await.expect("pm clear");
    r.request_camera().await;
    if expect(release).one_time {
        r.tap(&r.id("permission_allow_one_time_button")).await;
        let cam = r.camera().await;
        assert!(cam.granted);
        assert_eq!(
            flags(&cam),
            with_sensitive(release, &["ONE_TIME", "USER_SET"])
        );
        r.dev.clear(NAG).await.expect("pm clear");
        r.request_camera().await;
    } else {
        assert!(
            r.node(&r.id("permission_allow_one_time_button"))
                .await
                .is_none()
        );
    }
    // BACK: packageinstaller 9 denies; 11 and 14 cancel (no flag).
    assert!(r.dialog_up().await);
    r.dev.key("KEYCODE_BACK").await.expect("back");
    assert!(!r.dialog_up().await);
    let cam = r.camera().await;
    assert!(!cam.granted);
    let after_back: &[&str] = if release == Release::Android9 {
        &["USER_SET"]
    } else {
        &[]
    };
    assert_eq!(flags(&cam), with_sensitive(release, after_back));
}

/// eagerfeed notes location (granted) and the phone state (denied) before
/// its consent screen: the release's appops dump and `cmd appops get`.
async fn appops_flow(release: Release) {
    let r = rig(release).await;
    r.dev
        .grant(FEED, "android.permission.ACCESS_FINE_LOCATION")
        .await
        .expect("grant");
    r.dev.launch(FEED).await.expect("launch");
    let snap = r.dev.appops(Some(FEED)).await.expect("dumpsys appops");
    let raw = &snap.raw;
    let ops: &AppOps = &snap.parsed;
    assert_eq!(ops.unknown, 0, "{raw}");
    let date = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}";
    match release {
        Release::Android9 => {
            // AppOpsService.dumpTimesLocked at pie.
            let access = Regex::new(&format!(
                r"(?m)^          Access: top   = {date} \((0|-[\dhms]+)\)$"
            ))
            .expect("regex");
            let reject = Regex::new(&format!(
                r"(?m)^          Reject: top   = {date} \((0|-[\dhms]+)\)$"
            ))
            .expect("regex");
            assert!(access.is_match(raw) && reject.is_match(raw), "{raw}");
            assert!(!raw.contains("null=[") && !raw.contains("[top-s]"), "{raw}");
            assert!(raw.contains("    top_state_settle_time=+30s0ms\n"), "{raw}");
            assert!(!raw.contains("capability="), "{raw}");
        }
        Release::Android11 | Release::Android14 => {
            let access = Regex::new(&format!(
                r"(?m)^          Access: \[top-s\] {date} \((0|-[\dhms]+)\)$"
            ))
            .expect("regex");
            let reject = Regex::new(&format!(
                r"(?m)^          Reject: \[top-s\]{date} \((0|-[\dhms]+)\)$"
            ))
            .expect("regex");
            assert!(access.is_match(raw) && reject.is_match(raw), "{raw}");
            assert!(raw.contains("        null=[\n"), "{raw}");
            assert!(raw.contains("    top_state_settle_time=+5s0ms\n"), "{raw}");
            let letters = if release == Release::Android11 { 3 } else { 4 };
            let cap =
                Regex::new(&format!(r"(?m)^    capability=[A-Z-]{{{letters}}}$")).expect("regex");
            assert!(cap.is_match(raw), "{raw}");
        }
    }
    assert!(ops.accesses.iter().any(|a| a.op == "FINE_LOCATION"
        && a.kind == AccessKind::Access
        && a.uid_state.as_deref() == Some("top")
        && a.package.as_deref() == Some(FEED)));
    assert!(
        ops.accesses
            .iter()
            .any(|a| a.op == "READ_PHONE_STATE" && a.kind == AccessKind::Reject)
    );
    // The identifier op and its log line exist from Android 10.
    let identifiers = ops
        .accesses
        .iter()
        .any(|a| a.op == "READ_DEVICE_IDENTIFIERS" && a.kind == AccessKind::Reject);
    assert_eq!(identifiers, expect(release).identifiers, "{raw}");
    let (_, log) = r.logcat().await;
    let read = log
        .events()
        .any(|(_, e)| matches!(e, Event::DeviceIdentifierRead { package, .. } if package == FEED));
    assert_eq!(read, expect(release).identifiers);

    let get = r
        .dev
        .shell_ok(&["cmd", "appops", "get", FEED])
        .await
        .expect("cmd appops get")
        .stdout_text();
    let parsed = consentry::android::appops::parse(&get);
    assert_eq!(parsed.unknown, 0, "{get}");
    assert!(
        Regex::new(r"(?m)^FINE_LOCATION: foreground; time=(0|\+[\dhms]+) ago$")
            .expect("regex")
            .is_match(&get),
        "{get}"
    );
    assert!(
        parsed
            .accesses
            .iter()
            .any(|a| a.op == "READ_PHONE_STATE" && a.kind == AccessKind::Reject),
        "{get}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn android_9_denial_checkbox_start_lines_and_no_exit_info() {
    denial_flow(Release::Android9).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn android_11_denial_dont_ask_again_button_and_exit_info() {
    denial_flow(Release::Android11).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn android_14_denial_dont_ask_again_button_and_exit_info() {
    denial_flow(Release::Android14).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn android_9_grant_and_back() {
    grant_flow(Release::Android9).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn android_11_grant_one_time_and_back() {
    grant_flow(Release::Android11).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn android_14_grant_one_time_and_back() {
    grant_flow(Release::Android14).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn android_9_appops_uid_state_layout() {
    appops_flow(Release::Android9).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn android_11_appops_attributed_layout() {
    appops_flow(Release::Android11).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn android_14_appops_attributed_layout() {
    appops_flow(Release::Android14).await;
}

/// `consentry sim --android 11` serves an Android 11 device; an unknown
/// release is a usage error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_command_boots_the_chosen_release() {
    use tokio::io::AsyncBufReadExt;
    let free = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
    };
    let (port, control) = (free().port(), free());
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_consentry"))
        .args([
            "sim",
            "--apps",
            "fixtures/apps",
            "--android",
            "11",
            "--latency",
            "none",
            "--port",
            &port.to_string(),
            "--control",
            &control.to_string(),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn sim");
    let mut lines = tokio::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = tokio::time::timeout(T, lines.next_line())
        .await
        .expect("the simulator prints its serial")
        .expect("read")
        .expect("a line");
    let serial = first.split('\t').next().expect("serial").to_string();
    let adb = Adb::start().await;
    adb.connect(&serial, "device").await;
    for (prop, want) in [
        ("ro.build.version.sdk", "30"),
        ("ro.build.version.release", "11"),
    ] {
        let out = adb.run(&["-s", &serial, "shell", "getprop", prop], T).await;
        assert_eq!(out.text().trim(), want);
    }
    let _ = child.kill().await;

    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_consentry"))
        .args(["sim", "--android", "10", "--port", "0"])
        .output()
        .expect("sim --android 10");
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("--android"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}
