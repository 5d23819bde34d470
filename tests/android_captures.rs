//! Every real capture in ../shared/real-captures parses without error, with
//! concrete counts and values checked per file (counted independently with
//! grep when the test was written). Read in place: never copied here.

use std::path::PathBuf;

use consentry::android::logcat::{self, Entry, Event, Level, LogTime};

fn capture(rel: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/real-captures")
        .join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (CI has ../shared beside the checkout)",
            path.display()
        )
    })
}

#[test]
fn logcat_brief_mtk_android13() {
    let log = logcat::parse(&capture("logcat/logcat_brief_mtk_android13_slice.txt"));
    let s = &log.summary;
    assert_eq!((s.records, s.headers, s.unknown), (399, 1, 0));
    let first = log.records().next().expect("a record");
    assert_eq!(
        (first.level, first.tag.as_str(), first.pid),
        (Level::I, "ActivityManager", Some(832))
    );
    assert!(
        first
            .message
            .starts_with("Changes in ProcessRecord{336fc56")
    );
    assert_eq!(first.buffer.as_deref(), Some("system"));
    assert_eq!(first.time, None);
    let last = log.records().last().expect("a record");
    assert_eq!(last.tag, "BroadcastQueue");
    assert!(
        last.message
            .starts_with("Delivering to BroadcastFilter{5049f1f"),
        "{}",
        last.message
    );
}

#[test]
fn logcat_events_with_uid_pixel_android81() {
    let log = logcat::parse(&capture(
        "logcat/logcat_events_-v_uid_pixel_android8.1_from_bugreport_slice.txt",
    ));
    let s = &log.summary;
    assert_eq!((s.records, s.headers, s.unknown), (1500, 0, 0));
    assert_eq!((s.process_starts, s.process_deaths), (22, 13));
    let first = log.records().next().expect("a record");
    assert_eq!(
        (first.uid.as_deref(), first.pid, first.tid),
        (Some("1000"), Some(887), Some(903))
    );
    assert_eq!(
        (first.tag.as_str(), first.message.as_str()),
        ("sysui_view_visibility", "[127,100]")
    );
    let start = log
        .events()
        .find_map(|(r, e)| matches!(e, Event::ProcessStart { .. }).then_some((r.line, e.clone())))
        .expect("a process start");
    assert_eq!(
        start,
        (
            59,
            Event::ProcessStart {
                process: "com.android.defcontainer".into(),
                pid: 3110,
                uid: Some("10011".into()),
                reason: Some("service".into())
            }
        )
    );
    let died = log
        .events()
        .find_map(|(_, e)| matches!(e, Event::ProcessDied { .. }).then(|| e.clone()));
    assert_eq!(
        died,
        Some(Event::ProcessDied {
            process: "com.facebook.katana".into(),
            pid: 26436
        })
    );
    let last = log.records().last().expect("a record");
    assert_eq!(
        (last.uid.as_deref(), last.pid, last.tid),
        (Some("10043"), Some(1382), Some(1627))
    );
}

#[test]
fn logcat_threadtime_emulator_crash() {
    let log = logcat::parse(&capture(
        "logcat/logcat_threadtime_emulator_android15plus_app_crash_full.txt",
    ));
    let s = &log.summary;
    assert_eq!((s.records, s.headers, s.unknown), (234, 3, 0));
    assert_eq!(
        (s.crashes, s.process_deaths, s.permission_requests),
        (1, 1, 0)
    );
    let buffers: Vec<&str> = log
        .entries
        .iter()
        .filter_map(|e| match e {
            Entry::Header { buffer, .. } => Some(buffer.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(buffers.len(), 3);
    assert_eq!(buffers[..2], ["main", "system"]);
    let (rec, crash) = log
        .events()
        .find(|(_, e)| matches!(e, Event::Crash { .. }))
        .expect("crash");
    assert_eq!(rec.line, 59);
    assert_eq!(
        crash,
        &Event::Crash {
            thread: "main".into(),
            process: Some("com.example.aichat".into()),
            pid: Some(11032)
        }
    );
    assert_eq!(
        rec.time,
        Some(LogTime::Calendar {
            year: None,
            month: 3,
            day: 11,
            hour: 16,
            minute: 31,
            second: 26,
            millis: 946
        })
    );
    let died = log
        .events()
        .find_map(|(r, e)| matches!(e, Event::ProcessDied { .. }).then(|| (r.line, e.clone())));
    assert_eq!(
        died,
        Some((
            119,
            Event::ProcessDied {
                process: "com.example.aichat".into(),
                pid: 11032
            }
        ))
    );
}

#[test]
fn logcat_threadtime_lineageos_android14() {
    let log = logcat::parse(&capture(
        "logcat/logcat_threadtime_lineageos21_android14_pixel4_slice.txt",
    ));
    let s = &log.summary;
    assert_eq!((s.records, s.headers, s.unknown), (1520, 1, 0));
    assert_eq!((s.crashes, s.process_deaths, s.process_starts), (2, 3, 62));
    let crashes: Vec<Event> = log
        .events()
        .filter(|(_, e)| matches!(e, Event::Crash { .. }))
        .map(|(_, e)| e.clone())
        .collect();
    assert_eq!(
        crashes[1],
        Event::Crash {
            thread: "McsHandler".into(),
            process: Some("com.mgoogle.android.gms:persistent".into()),
            pid: Some(7932)
        }
    );
    let start = log
        .events()
        .find_map(|(_, e)| matches!(e, Event::ProcessStart { .. }).then(|| e.clone()));
    assert_eq!(
        start,
        Some(Event::ProcessStart {
            process: "jp.co.capcom.gyakusai123".into(),
            pid: 5164,
            uid: Some("u0a327".into()),
            reason: Some("next-top-activity".into())
        })
    );
}

use consentry::android::uiautomator::{self, Bounds, UiNode};

fn find<'a>(nodes: &[&'a UiNode], pred: impl Fn(&UiNode) -> bool) -> &'a UiNode {
    nodes
        .iter()
        .copied()
        .find(|n| pred(n))
        .expect("node present")
}

#[test]
fn uiautomator_bilibili_consent_two_windows() {
    let tree = uiautomator::parse(&capture(
        "uiautomator/u2_bilibili_privacy_consent_first_miui.xml",
    ))
    .expect("parses");
    assert_eq!(tree.unknown, 0);
    let packages: Vec<&str> = tree.windows.iter().map(|w| w.package.as_str()).collect();
    assert_eq!(packages, ["com.android.systemui", "tv.danmaku.bili"]);
    let nodes = tree.nodes();
    assert_eq!(nodes.len(), 26);
    assert!(
        nodes
            .iter()
            .all(|n| n.extra.contains_key("visible-to-user"))
    );
    let agree = find(&nodes, |n| n.text == "同意并继续");
    assert_eq!(agree.resource_id, "tv.danmaku.bili:id/agree");
    assert_eq!(
        agree.bounds,
        Some(Bounds {
            left: 210,
            top: 1643,
            right: 870,
            bottom: 1752
        })
    );
    assert!(nodes.iter().any(|n| n.text == "不同意"));
    let policy = find(&nodes, |n| n.text.starts_with("感谢您信任并使用bilibili"));
    assert!(policy.text.contains('\n'), "&#10; becomes a newline");
    assert_eq!(nodes.iter().filter(|n| n.clickable).count(), 6);
}

#[test]
fn uiautomator_permission_dialog_samsung() {
    let tree = uiautomator::parse(&capture(
        "uiautomator/perm_record_audio_samsung_google_permissioncontroller.xml",
    ))
    .expect("parses");
    let nodes = tree.nodes();
    assert_eq!((nodes.len(), tree.windows.len(), tree.unknown), (14, 1, 0));
    assert_eq!(
        tree.windows[0].package,
        "com.google.android.permissioncontroller"
    );
    let deny = find(&nodes, |n| {
        n.resource_id.ends_with("permission_deny_button")
    });
    assert_eq!(deny.text, "Don't allow");
    assert_eq!(
        deny.bounds,
        Some(Bounds {
            left: 72,
            top: 2040,
            right: 1008,
            bottom: 2148
        })
    );
    let message = find(&nodes, |n| {
        n.resource_id == "com.android.permissioncontroller:id/permission_message"
    });
    assert_eq!(message.text, "Allow buccancs to record audio?");
    assert_eq!(nodes.iter().filter(|n| n.clickable).count(), 5);
}

#[test]
fn uiautomator_crash_dialog_samsung() {
    let tree = uiautomator::parse(&capture(
        "uiautomator/crash_dialog_keeps_stopping_samsung.xml",
    ))
    .expect("parses");
    let nodes = tree.nodes();
    assert_eq!(
        (nodes.len(), tree.windows[0].package.as_str()),
        (12, "android")
    );
    let close = find(&nodes, |n| n.resource_id == "android:id/aerr_close");
    assert_eq!(close.text, "Close app");
    assert_eq!(
        close.bounds,
        Some(Bounds {
            left: 30,
            top: 2016,
            right: 1050,
            bottom: 2184
        })
    );
    assert!(nodes.iter().any(|n| n.text == "buccancs keeps stopping"));
}

#[test]
fn uiautomator_miui_settings_radio_list() {
    let tree = uiautomator::parse(&capture(
        "uiautomator/miui_phone_settings_preferred_network_type.xml",
    ))
    .expect("parses");
    let nodes = tree.nodes();
    assert_eq!(
        (nodes.len(), tree.windows[0].package.as_str()),
        (30, "com.android.phone")
    );
    let checked: Vec<&str> = nodes
        .iter()
        .filter(|n| n.checked)
        .map(|n| n.class.as_str())
        .collect();
    assert_eq!(
        checked,
        [
            "android.widget.RadioButton",
            "android.widget.CheckedTextView"
        ]
    );
    assert_eq!(nodes.iter().filter(|n| n.clickable).count(), 6);
    assert!(nodes.iter().any(|n| n.text == "LTE preferencial"));
}

use consentry::android::appops::{self, AccessKind, OpTime};

fn kinds(o: &appops::AppOps) -> (usize, usize, usize) {
    let count = |k| o.accesses.iter().filter(|a| a.kind == k).count();
    (
        count(AccessKind::Access),
        count(AccessKind::Reject),
        count(AccessKind::Running),
    )
}

#[test]
fn appops_android13_mtk() {
    let o = appops::parse(&capture(
        "dumpsys/dumpsys_appops_mtk_tablet_android13_from_bugreport.txt",
    ));
    assert_eq!((o.modes.len(), o.unknown), (174, 0));
    assert_eq!(kinds(&o), (32, 19, 4));
    assert_eq!(o.accesses.iter().filter(|a| a.in_background()).count(), 9);
    let first = &o.accesses[0];
    assert_eq!(first.line, 208);
    assert_eq!(
        (
            first.uid.as_deref(),
            first.package.as_deref(),
            first.op.as_str()
        ),
        (Some("0"), Some("com.android.shell"), "VIBRATE")
    );
    assert_eq!(
        (first.uid_state.as_deref(), first.flags.as_deref()),
        (Some("cch"), Some("s"))
    );
    assert_eq!(first.attribution.as_deref(), Some("null"));
    assert_eq!(
        first.time,
        Some(OpTime::At {
            timestamp: "2025-12-09 17:04:15.695".into(),
            ago_ms: Some(64_938)
        })
    );
    assert_eq!(first.duration_ms, Some(64_942));
    let reject = o
        .accesses
        .iter()
        .find(|a| a.kind == AccessKind::Reject)
        .expect("a reject");
    assert_eq!(
        (reject.line, reject.op.as_str(), reject.package.as_deref()),
        (
            218,
            "USE_ICC_AUTH_WITH_DEVICE_IDENTIFIER",
            Some("com.mediatek.location.lppe.main")
        )
    );
    let monitor = o
        .modes
        .iter()
        .find(|m| m.op == "MONITOR_LOCATION")
        .expect("switched op");
    assert_eq!(monitor.mode, "allow");
    let tagged = o
        .accesses
        .iter()
        .find(|a| a.attribution.as_deref() == Some("SensorNotificationService"))
        .expect("tag");
    assert_eq!(tagged.op, "MONITOR_LOCATION");
}

#[test]
fn appops_android81_pixel() {
    let o = appops::parse(&capture(
        "dumpsys/dumpsys_appops_pixel_sailfish_android8.1_from_bugreport.txt",
    ));
    assert_eq!((o.modes.len(), o.unknown), (1081, 0));
    assert_eq!(kinds(&o), (984, 73, 3));
    let first = &o.accesses[0];
    assert_eq!(
        (first.line, first.package.as_deref(), first.op.as_str()),
        (77, Some("root"), "VIBRATE")
    );
    assert_eq!(
        (first.time.clone(), first.duration_ms),
        (Some(OpTime::Ago { ms: 37_049 }), Some(154))
    );
    assert_eq!(o.modes[0].mode, "0");
    let write_settings = o
        .modes
        .iter()
        .find(|m| m.op == "WRITE_SETTINGS")
        .expect("op");
    assert_eq!(write_settings.mode, "3");
}

#[test]
fn cmd_appops_get_app_manager() {
    let o = appops::parse(&capture(
        "dumpsys/appops_get_output_AppManager_issue29_2020.txt",
    ));
    assert_eq!((o.modes.len(), o.unknown), (18, 0));
    assert_eq!(kinds(&o), (12, 4, 0));
    assert_eq!(o.modes[0].op, "COARSE_LOCATION");
    assert_eq!(o.modes[0].mode, "allow");
    let wifi = o
        .accesses
        .iter()
        .filter(|a| a.op == "CHANGE_WIFI_STATE")
        .count();
    assert_eq!(wifi, 2, "time= and rejectTime= on one line");
    let wake = o.accesses.iter().find(|a| a.op == "WAKE_LOCK").expect("op");
    assert_eq!(wake.duration_ms, Some(61_568));
}

use consentry::android::package::{self, PermissionFlag};

#[test]
fn package_oppo_android11() {
    let d = package::parse(&capture(
        "dumpsys/dumpsys_package_oppo_coloros_android11.txt",
    ));
    assert_eq!((d.packages.len(), d.unknown), (1, 0));
    let p = &d.packages[0];
    assert_eq!(
        (p.name.as_str(), p.uid, p.target_sdk),
        ("com.example.pkmproject", Some(10441), Some(36))
    );
    assert_eq!(p.version_name.as_deref(), Some("1.0.0"));
    assert_eq!((p.requested.len(), p.install.len()), (18, 11));
    assert_eq!(p.requested[0], "android.permission.INTERNET");
    assert!(p.install.iter().all(|perm| perm.granted));
    let users: Vec<(u32, Option<bool>, usize)> = p
        .users
        .iter()
        .map(|u| (u.user, u.installed, u.runtime.len()))
        .collect();
    assert_eq!(users, [(0, Some(true), 2), (999, Some(false), 0)]);
    let fine = p
        .runtime_permission("android.permission.ACCESS_FINE_LOCATION")
        .expect("fine location");
    assert!(fine.granted && fine.has_flag("USER_SET") && !fine.user_fixed());
    assert_eq!(fine.flags.len(), 4);
    assert_eq!(fine.flags[3], PermissionFlag::Raw(524_288));
    assert_eq!(fine.line, 184);
}

#[test]
fn package_whatsapp_android81() {
    let d = package::parse(&capture(
        "dumpsys/dumpsys_package_block_whatsapp_pixel_android8.1_from_bugreport.txt",
    ));
    assert_eq!((d.packages.len(), d.unknown), (1, 0));
    let p = &d.packages[0];
    assert_eq!(
        (p.name.as_str(), p.uid, p.target_sdk),
        ("com.whatsapp", Some(10028), Some(26))
    );
    assert_eq!((p.requested.len(), p.install.len()), (0, 28));
    assert_eq!(p.users.len(), 1);
    let runtime: Vec<&str> = p.users[0].runtime.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(runtime.len(), 8);
    assert_eq!(runtime[0], "android.permission.RECEIVE_SMS");
    assert!(
        p.runtime_permission("android.permission.CAMERA")
            .is_some_and(|c| c.granted && c.flags.is_empty())
    );
}

use consentry::android::focus;

#[test]
fn focus_activities_mtk_android13() {
    let f = focus::parse(&capture(
        "dumpsys/dumpsys_activity_activities_mtk_tablet_android13.txt",
    ));
    assert_eq!(f.resumed.len(), 1);
    let a = &f.resumed[0];
    assert_eq!((a.line, a.source.as_str()), (310, "ResumedActivity"));
    assert_eq!(
        (a.package.as_str(), a.activity.as_str()),
        ("com.mediatek.camera", "com.mediatek.camera.CameraLauncher")
    );
    assert_eq!((a.user, a.task), (Some(0), Some(12)));
    assert_eq!(f.foreground_package(), Some("com.mediatek.camera"));
}

#[test]
fn focus_window_pixel_android81() {
    let f = focus::parse(&capture(
        "dumpsys/dumpsys_window_pixel_sailfish_android8.1_from_bugreport.txt",
    ));
    let sources: Vec<(&str, usize)> = f
        .focused_windows
        .iter()
        .map(|w| (w.source.as_str(), w.line))
        .collect();
    assert_eq!(sources, [("mFocusedWindow", 43), ("mCurrentFocus", 755)]);
    let w = &f.focused_windows[1];
    assert_eq!(
        w.package.as_deref(),
        Some("com.google.android.apps.nexuslauncher")
    );
    assert_eq!(
        w.title,
        "com.google.android.apps.nexuslauncher/com.google.android.apps.nexuslauncher.NexusLauncherActivity"
    );
    assert_eq!(f.focused_apps.len(), 2);
    assert_eq!(
        f.focused_apps[1].activity,
        "com.google.android.apps.nexuslauncher.NexusLauncherActivity"
    );
    assert_eq!(f.focused_apps[1].task, Some(8917));
    assert_eq!(
        f.foreground_package(),
        Some("com.google.android.apps.nexuslauncher")
    );
}

use consentry::android::props;

#[test]
fn getprop_xiaomi_android14() {
    let p = props::parse_getprop(&capture(
        "dumpsys/getprop_xiaomi_pad6_hyperos2_android14.txt",
    ));
    assert_eq!((p.values.len(), p.unknown), (1178, 0));
    assert_eq!(p.sdk(), Some(34));
    assert_eq!(p.get("ro.build.version.release"), Some("14"));
    assert_eq!(p.get("ro.product.brand"), Some("Xiaomi"));
    assert_eq!(p.get("ro.product.model"), Some("23043RP34G"));
    assert_eq!(p.get("ro.kernel.qemu.gles"), Some("0"));
    assert!(!p.is_emulator());
    assert_eq!(
        p.get("persist.sys.boot.reason.history"),
        Some("shutdown,userrequested,1777928252\nreboot,userrequested,1777920673")
    );
}

#[test]
fn pm_list_packages_f_xiaomi_android14() {
    let l = props::parse_package_list(&capture(
        "dumpsys/pm_list_packages_-f_xiaomi_pad6_android14.txt",
    ));
    assert_eq!((l.packages.len(), l.unknown), (322, 0));
    assert_eq!(l.packages[0].package, "com.miui.miwallpaper.config.overlay");
    assert_eq!(
        l.packages[0].path.as_deref(),
        Some("/product/overlay/MIWallpaperOverlay.apk")
    );
    let user_apps = l
        .packages
        .iter()
        .filter(|p| {
            p.path
                .as_deref()
                .is_some_and(|x| x.starts_with("/data/app/"))
        })
        .count();
    assert_eq!(user_apps, 79);
    let am = l
        .packages
        .iter()
        .find(|p| p.package == "io.github.muntashirakon.AppManager")
        .expect("listed");
    assert!(
        am.path
            .as_deref()
            .is_some_and(|x| x.ends_with("==/base.apk")),
        "{:?}",
        am.path
    );
}
