//! The simulator's outputs read by the same parsers that read real
//! devices' captures: logcat, dumpsys package / appops / activity / window /
//! exit-info, uiautomator, getprop, pm list, wm size. Every line must be
//! understood (no unknown records), and the values must be the ones the
//! fixture apps' behaviour implies.

mod common;

use common::sim_sh as sh;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use consentry::android::appops::{self, AccessKind};
use consentry::android::logcat::{self, Event};
use consentry::android::{exit_info, focus, package, props, uiautomator};
use consentry::sim::os::{AppModel, DeviceConfig, SimDevice};

fn device() -> Arc<SimDevice> {
    let apps = AppModel::load_dir(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/apps"
    )))
    .expect("fixtures load");
    SimDevice::new(DeviceConfig::default(), apps)
}

/// Taps the centre of the node with this resource id, found with the
/// parser; false when no such node is on screen.
async fn try_tap(dev: &SimDevice, id: &str) -> bool {
    let (xml, _) = sh(dev, "uiautomator dump /dev/tty").await;
    let tree = uiautomator::parse(&xml).expect("dump parses");
    let Some(node) = tree.nodes().into_iter().find(|n| n.resource_id == id) else {
        return false;
    };
    let (x, y) = node.bounds.expect("bounds").center();
    let (_, code) = sh(dev, &format!("input tap {x} {y}")).await;
    assert_eq!(code, 0);
    true
}

async fn tap(dev: &SimDevice, id: &str) {
    assert!(try_tap(dev, id).await, "no {id} on screen");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn system_outputs_parse_like_real_ones() {
    let d = device();
    let p = props::parse_getprop(&sh(&d, "getprop").await.0);
    assert_eq!((p.unknown, p.sdk(), p.is_emulator()), (0, Some(34), true));
    let list = props::parse_package_list(&sh(&d, "pm list packages -f -3").await.0);
    assert_eq!(list.unknown, 0);
    assert_eq!(list.packages.len(), 14, "the fourteen fixture apps");
    assert!(list.packages.iter().all(|p| {
        p.path
            .as_deref()
            .is_some_and(|x| x.starts_with("/data/app/"))
    }));
    let size = props::parse_wm_size(&sh(&d, "wm size").await.0).expect("wm size parses");
    assert_eq!(size.effective(), (1080, 2400));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eagerfeed_collects_before_consent_as_the_parsers_see_it() {
    let d = device();
    sh(&d, "logcat -c").await;
    // Pass G: permissions granted, so accesses leave `Access:` lines.
    for perm in ["ACCESS_FINE_LOCATION", "READ_PHONE_STATE"] {
        let (_, code) = sh(
            &d,
            &format!("pm grant com.example.eagerfeed android.permission.{perm}"),
        )
        .await;
        assert_eq!(code, 0);
    }
    sh(
        &d,
        "monkey -p com.example.eagerfeed -c android.intent.category.LAUNCHER 1",
    )
    .await;
    // The consent screen is up, and nothing has been agreed yet.
    let (xml, _) = sh(&d, "uiautomator dump /dev/tty").await;
    let tree = uiautomator::parse(&xml).expect("dump parses");
    assert_eq!(tree.unknown, 0);
    assert!(
        tree.nodes()
            .iter()
            .any(|n| n.resource_id == "com.example.eagerfeed:id/agree")
    );
    let focus = focus::parse(&sh(&d, "dumpsys activity activities").await.0);
    assert_eq!(focus.foreground_package(), Some("com.example.eagerfeed"));
    let window = focus::parse(&sh(&d, "dumpsys window").await.0);
    assert!(
        window
            .focused_windows
            .iter()
            .any(|w| w.package.as_deref() == Some("com.example.eagerfeed"))
    );

    let log = logcat::parse(&sh(&d, "logcat -d -v threadtime").await.0);
    assert_eq!(log.summary.unknown, 0, "every simulated logcat line parses");
    assert!(log.events().any(|(_, e)| matches!(e, Event::DeviceIdentifierRead { package, .. } if package == "com.example.eagerfeed")));
    assert!(log.events().any(|(_, e)| matches!(e, Event::ProcessStart { process, .. } if process == "com.example.eagerfeed")));

    let ops = appops::parse(
        &sh(&d, "dumpsys appops --package com.example.eagerfeed")
            .await
            .0,
    );
    assert_eq!(ops.unknown, 0, "every simulated appops line parses");
    assert!(
        ops.accesses
            .iter()
            .any(|a| a.op == "READ_DEVICE_IDENTIFIERS" && a.kind == AccessKind::Reject)
    );
    assert!(ops.accesses.iter().any(|a| a.op == "FINE_LOCATION"
        && a.kind == AccessKind::Access
        && a.uid_state.as_deref() == Some("top")));
    let get = appops::parse(&sh(&d, "cmd appops get com.example.eagerfeed").await.0);
    assert_eq!(get.unknown, 0);
    assert!(get.modes.iter().any(|m| m.op == "FINE_LOCATION"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gatekeeper_denial_is_seen_in_package_logcat_and_exit_info() {
    let d = device();
    sh(&d, "logcat -c").await;
    sh(
        &d,
        "monkey -p com.example.gatekeeper -c android.intent.category.LAUNCHER 1",
    )
    .await;
    // A bundled request shows one dialog per permission group, as on Android;
    // the app hears the result after the last one.
    let mut dialogs = 0;
    while try_tap(
        &d,
        "com.android.permissioncontroller:id/permission_deny_button",
    )
    .await
    {
        dialogs += 1;
        assert!(dialogs < 10, "the dialogs never end");
    }
    assert_eq!(dialogs, 3, "location, contacts and phone groups");

    let pkg = package::parse(&sh(&d, "dumpsys package com.example.gatekeeper").await.0);
    assert_eq!(pkg.unknown, 0);
    let info = &pkg.packages[0];
    assert!(info.uid.is_some_and(|u| u >= 10_100));
    assert!(
        info.requested
            .iter()
            .any(|r| r == "android.permission.READ_CONTACTS")
    );
    let denied: Vec<&str> = info
        .users
        .iter()
        .flat_map(|u| &u.runtime)
        .filter(|p| p.user_denied())
        .map(|p| p.name.as_str())
        .collect();
    assert!(!denied.is_empty(), "a denial leaves USER_SET: {info:?}");

    let log = logcat::parse(&sh(&d, "logcat -d").await.0);
    assert_eq!(log.summary.unknown, 0);
    let requests: Vec<Option<u32>> = log
        .events()
        .filter_map(|(_, e)| match e {
            Event::PermissionRequest { caller_uid, .. } => Some(*caller_uid),
            _ => None,
        })
        .collect();
    assert!(!requests.is_empty());
    assert!(
        requests.iter().all(|uid| *uid == info.uid),
        "requests come from the app's uid"
    );

    let exits = exit_info::parse(
        &sh(&d, "dumpsys activity exit-info com.example.gatekeeper")
            .await
            .0,
    );
    let last = exits.records.first().expect("an exit record");
    assert_eq!(last.reason, Some(exit_info::reason::EXIT_SELF), "{exits:?}");
    assert!(last.app_initiated());
    assert!(log.events().any(|(_, e)| matches!(e, Event::ProcessDied { process, .. } if process == "com.example.gatekeeper")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoke_and_crash_reasons_parse() {
    let d = device();
    sh(
        &d,
        "monkey -p com.example.tidynotes -c android.intent.category.LAUNCHER 1",
    )
    .await;
    sh(
        &d,
        "pm grant com.example.tidynotes android.permission.CAMERA",
    )
    .await;
    sh(
        &d,
        "pm revoke com.example.tidynotes android.permission.CAMERA",
    )
    .await;
    let exits = exit_info::parse(
        &sh(&d, "dumpsys activity exit-info com.example.tidynotes")
            .await
            .0,
    );
    let r = exits.records.first().expect("a record");
    assert_eq!(
        (r.reason, r.reason_name.as_deref()),
        (
            Some(exit_info::reason::PERMISSION_CHANGE),
            Some("PERMISSION CHANGE")
        )
    );
    assert!(!r.app_initiated());

    sh(&d, "logcat -c").await;
    sh(
        &d,
        "monkey -p com.example.crashy -c android.intent.category.LAUNCHER 1",
    )
    .await;
    tap(&d, "com.example.crashy:id/agree").await;
    tap(&d, "com.example.crashy:id/settings").await;
    let log = logcat::parse(&sh(&d, "logcat -d").await.0);
    assert_eq!(log.summary.unknown, 0);
    assert!(
        log.events().any(
            |(_, e)| matches!(e, Event::Crash { process: Some(p), .. } if p == "com.example.crashy")
        ),
        "{:?}",
        log.summary
    );
    let exits = exit_info::parse(
        &sh(&d, "dumpsys activity exit-info com.example.crashy")
            .await
            .0,
    );
    assert_eq!(
        exits.records.first().and_then(|r| r.reason),
        Some(exit_info::reason::CRASH)
    );
    let (xml, _) = sh(&d, "uiautomator dump /dev/tty").await;
    let tree = uiautomator::parse(&xml).expect("dump parses");
    assert!(
        tree.nodes()
            .iter()
            .any(|n| n.resource_id == "android:id/aerr_close")
    );
}

/// Timers run in simulated time: at 100 simulated seconds per real second,
/// the "every 10 s" background location note of com.example.backgroundspy
/// shows within a fraction of a real second, with the `bg` uid state.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_collection_runs_on_the_simulated_clock() {
    let apps = AppModel::load_dir(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/apps"
    )))
    .expect("fixtures load");
    let d = SimDevice::new(
        DeviceConfig {
            time_scale: 100.0,
            ..DeviceConfig::default()
        },
        apps,
    );
    for perm in ["ACCESS_FINE_LOCATION", "ACCESS_COARSE_LOCATION"] {
        sh(
            &d,
            &format!("pm grant com.example.backgroundspy android.permission.{perm}"),
        )
        .await;
    }
    sh(
        &d,
        "monkey -p com.example.backgroundspy -c android.intent.category.LAUNCHER 1",
    )
    .await;
    tap(&d, "com.example.backgroundspy:id/agree").await;
    sh(&d, "input keyevent KEYCODE_HOME").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let ops = appops::parse(
            &sh(&d, "dumpsys appops --package com.example.backgroundspy")
                .await
                .0,
        );
        assert_eq!(ops.unknown, 0);
        if ops
            .accesses
            .iter()
            .any(|a| a.op == "FINE_LOCATION" && a.kind == AccessKind::Access && a.in_background())
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no background access: {:?}",
            ops.accesses
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
