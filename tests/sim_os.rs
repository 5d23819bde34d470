//! The simulated Android OS driven through the `Backend` trait, as the adbd
//! server drives it. Output shapes are compared with regexes derived from
//! real device captures (`../shared/real-captures`).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use consentry::sim::backend::{Backend, Output};
use consentry::sim::os::{AppModel, DeviceConfig, SimDevice};
use regex::Regex;

fn apps() -> Vec<AppModel> {
    AppModel::load_dir(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/apps"
    )))
    .expect("fixtures load")
}

fn device() -> Arc<SimDevice> {
    SimDevice::new(DeviceConfig::default(), apps())
}

struct Run {
    out: String,
    err: String,
    code: i32,
}

async fn sh(dev: &SimDevice, cmd: &str) -> Run {
    let mut p = dev.spawn(cmd);
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(o) = p.output.recv().await {
            match o {
                Output::Stdout(b) => out.extend(b),
                Output::Stderr(b) => err.extend(b),
                Output::Exit(c) => return c,
            }
        }
        -1
    })
    .await
    .expect("command hung");
    Run {
        out: String::from_utf8_lossy(&out).into_owned(),
        err: String::from_utf8_lossy(&err).into_owned(),
        code,
    }
}

async fn tap_id(dev: &SimDevice, id: &str) {
    let xml = sh(dev, "uiautomator dump /dev/tty").await.out;
    let re = Regex::new(&format!(
        r#"resource-id="{}"[^>]*bounds="\[(\d+),(\d+)\]\[(\d+),(\d+)\]""#,
        regex::escape(id)
    ))
    .unwrap();
    let c = re
        .captures(&xml)
        .unwrap_or_else(|| panic!("no {id} in {xml}"));
    let n = |i: usize| c[i].parse::<i32>().unwrap();
    let r = sh(
        dev,
        &format!("input tap {} {}", (n(1) + n(3)) / 2, (n(2) + n(4)) / 2),
    )
    .await;
    assert_eq!(r.code, 0);
}

#[tokio::test]
async fn basics_exit_codes_and_unknown_commands() {
    let d = device();
    let r = sh(&d, "echo 'a b'; exit 3").await;
    assert_eq!((r.out.as_str(), r.code), ("a b\n", 3));
    let r = sh(&d, "frobnicate x").await;
    assert_eq!(r.code, 127);
    assert_eq!(
        r.err,
        "/system/bin/sh: frobnicate: inaccessible or not found\n"
    );
    let r = sh(&d, "false && echo no; echo yes").await;
    assert_eq!(r.out, "yes\n");
    let r = sh(&d, "export A=x; echo \"$A\"").await;
    assert_eq!(r.out, "x\n");
    let r = sh(&d, "echo 'a'\\''; reboot; echo '\\'''").await;
    assert_eq!(r.out, "a'; reboot; echo '\n");
    assert_eq!(sh(&d, "wm size").await.out, "Physical size: 1080x2400\n");
    assert_eq!(sh(&d, "getprop ro.build.version.sdk").await.out, "34\n");
    let all = sh(&d, "getprop").await.out;
    let line = Regex::new(r"^\[[\w.\-]+\]: \[.*\]$").unwrap();
    assert!(all.lines().all(|l| line.is_match(l)), "{all}");
    assert!(all.contains("[ro.kernel.qemu]: [1]"));
    assert!(d.banner().starts_with("device::ro.product.name="));
}

#[tokio::test]
async fn pm_list_packages_shape() {
    let d = device();
    let out = sh(&d, "pm list packages -3 -f").await.out;
    let re = Regex::new(r"^package:/data/app/~~[A-Za-z0-9_\-]+==/(com\.example\.\w+)-[A-Za-z0-9_\-]+==/base\.apk=(\S+)$").unwrap();
    assert_eq!(out.lines().count(), 14);
    for l in out.lines() {
        let c = re.captures(l).unwrap_or_else(|| panic!("{l}"));
        assert_eq!(&c[1], &c[2]);
    }
    // the real capture's lines match the generic shape too
    let generic = Regex::new(r"^package:(/\S+\.apk)=([\w.]+)$").unwrap();
    if let Ok(real) = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/real-captures/dumpsys/pm_list_packages_-f_xiaomi_pad6_android14.txt"
    )) {
        assert!(
            real.lines()
                .filter(|l| !l.is_empty())
                .take(50)
                .all(|l| generic.is_match(l))
        );
    }
    assert!(out.lines().all(|l| generic.is_match(l)));
}

#[tokio::test]
async fn consent_screen_then_permission_flags_and_auto_denial() {
    let d = device();
    let r = sh(&d, "am start -W -n com.example.nagbox/.MainActivity").await;
    assert!(r.out.starts_with("Starting: Intent { cmp=com.example.nagbox/.MainActivity }\nStatus: ok\nLaunchState: COLD\n"), "{}", r.out);
    assert!(r.out.ends_with("Complete\n"));
    let top = sh(&d, "dumpsys activity activities").await.out;
    assert!(Regex::new(r"topResumedActivity=ActivityRecord\{[0-9a-f]+ u0 com\.example\.nagbox/\.MainActivity t\d+\}").unwrap().is_match(&top), "{top}");
    assert!(
        sh(&d, "dumpsys window")
            .await
            .out
            .contains("mCurrentFocus=Window{")
    );
    tap_id(&d, "com.example.nagbox:id/photo").await;
    let xml = sh(&d, "uiautomator dump /dev/tty").await.out;
    assert!(xml.contains("com.android.permissioncontroller:id/permission_message"));
    assert!(xml.contains(r#"package="com.google.android.permissioncontroller""#));
    tap_id(
        &d,
        "com.android.permissioncontroller:id/permission_deny_button",
    )
    .await;
    let pkg = sh(&d, "dumpsys package com.example.nagbox").await.out;
    assert!(
        pkg.contains("android.permission.CAMERA: granted=false, flags=[ USER_SET|"),
        "{pkg}"
    );
    // nagbox re-asks on the next screen change: second denial
    tap_id(&d, "com.example.nagbox:id/discover").await;
    tap_id(
        &d,
        "com.android.permissioncontroller:id/permission_deny_and_dont_ask_again_button",
    )
    .await;
    let pkg = sh(&d, "dumpsys package com.example.nagbox").await.out;
    let perm = Regex::new(r"(?m)^\s+android\.permission\.CAMERA: granted=false, flags=\[ USER_SET\|USER_FIXED[|\w]*\]$").unwrap();
    assert!(perm.is_match(&pkg), "{pkg}");
    // third time: no dialog, but still logged
    sh(&d, "input keyevent KEYCODE_BACK").await;
    let xml = sh(&d, "uiautomator dump /dev/tty").await.out;
    assert!(!xml.contains("permission_message"));
    let log = sh(&d, "logcat -d").await.out;
    let start = Regex::new(r"(?m)^\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} +\d+ +\d+ I ActivityTaskManager: START u0 \{act=android\.content\.pm\.action\.REQUEST_PERMISSIONS pkg=com\.google\.android\.permissioncontroller cmp=com\.google\.android\.permissioncontroller/com\.android\.permissioncontroller\.permission\.ui\.GrantPermissionsActivity \(has extras\)\} with LAUNCH_MULTIPLE from uid \d+ \(BAL_ALLOW_VISIBLE_WINDOW\) result code=0$").unwrap();
    assert_eq!(start.find_iter(&log).count(), 3, "{log}");
}

#[tokio::test]
async fn launch_shows_bilingual_consent_and_revoke_kills_with_reason_8() {
    let d = device();
    let r = sh(
        &d,
        "monkey -p com.example.tidynotes -c android.intent.category.LAUNCHER 1",
    )
    .await;
    assert!(r.out.contains("Events injected: 1"), "{}", r.out);
    let xml = sh(&d, "uiautomator dump").await;
    assert_eq!(xml.out, "UI hierchary dumped to: /sdcard/window_dump.xml\n");
    let file = String::from_utf8(d.read("/sdcard/window_dump.xml").unwrap()).unwrap();
    assert!(file.contains("同意 Agree") && file.contains("不同意 Disagree"));
    tap_id(&d, "com.example.tidynotes:id/agree").await;
    sh(
        &d,
        "pm grant com.example.tidynotes android.permission.CAMERA",
    )
    .await;
    let r = sh(
        &d,
        "pm revoke com.example.tidynotes android.permission.CAMERA",
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.err);
    let info = sh(&d, "dumpsys activity exit-info com.example.tidynotes")
        .await
        .out;
    assert!(info.contains("reason=8 (PERMISSION CHANGE)"), "{info}");
    let log = sh(&d, "logcat -d").await.out;
    assert!(
        !log.contains("has died"),
        "revoke is not a death on its own"
    );
    let ev = sh(&d, "logcat -d -b events").await.out;
    assert!(
        Regex::new(r"I am_proc_start: \[0,\d+,\d+,com\.example\.tidynotes,")
            .unwrap()
            .is_match(&ev)
    );
    assert!(
        Regex::new(r"I am_proc_died: \[0,\d+,com\.example\.tidynotes,")
            .unwrap()
            .is_match(&ev)
    );
}

#[tokio::test]
async fn crash_gives_fatal_exception_dialog_and_exit_info() {
    let d = device();
    sh(&d, "am start -n com.example.crashy/.MainActivity").await;
    tap_id(&d, "com.example.crashy:id/agree").await;
    tap_id(&d, "com.example.crashy:id/settings").await;
    let xml = sh(&d, "uiautomator dump /dev/tty").await.out;
    assert!(xml.contains(r#"resource-id="android:id/aerr_close""#) && xml.contains("Close app"));
    let log = sh(&d, "logcat -d -b all").await.out;
    assert!(
        Regex::new(r"(?m) E AndroidRuntime: FATAL EXCEPTION: main$")
            .unwrap()
            .is_match(&log)
    );
    assert!(
        Regex::new(r"(?m) E AndroidRuntime: Process: com\.example\.crashy, PID: \d+$")
            .unwrap()
            .is_match(&log)
    );
    assert!(
        Regex::new(r"ActivityManager: Process com\.example\.crashy \(pid \d+\) has died")
            .unwrap()
            .is_match(&log)
    );
    let info = sh(&d, "dumpsys activity exit-info com.example.crashy")
        .await
        .out;
    assert!(info.contains("reason=4 (APP CRASH(EXCEPTION))"), "{info}");
    tap_id(&d, "android:id/aerr_close").await;
    assert!(sh(&d, "dumpsys window").await.out.contains("nexuslauncher"));
}

#[tokio::test]
async fn gatekeeper_exits_on_denial_and_eagerfeed_collects_first() {
    let d = device();
    sh(&d, "am start -n com.example.gatekeeper/.MainActivity").await;
    // a bundled request walks through its groups: location, contacts, phone
    for _ in 0..3 {
        tap_id(
            &d,
            "com.android.permissioncontroller:id/permission_deny_button",
        )
        .await;
    }
    let info = sh(&d, "dumpsys activity exit-info com.example.gatekeeper")
        .await
        .out;
    assert!(info.contains("reason=1 (EXIT_SELF)"), "{info}");

    sh(&d, "am start -n com.example.eagerfeed/.MainActivity").await;
    let ops = sh(&d, "dumpsys appops --package com.example.eagerfeed")
        .await
        .out;
    let reject = Regex::new(r"(?m)^\s+Reject: \[(top|fg|bg|cch)-s\]\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \((-|\+)?[\dhms]+\)$").unwrap();
    assert!(reject.is_match(&ops), "{ops}");
    assert!(ops.contains("READ_DEVICE_IDENTIFIERS"));
    let log = sh(&d, "logcat -d").await.out;
    assert!(log.contains("TelephonyPermissions: reportAccessDeniedToReadIdentifiers:com.example.eagerfeed:getDeviceId:isPreinstalled=false:isPrivApp=false"));
    // grant, relaunch: an Access line with the real shape
    sh(&d, "am force-stop com.example.eagerfeed; pm grant com.example.eagerfeed android.permission.ACCESS_FINE_LOCATION").await;
    sh(&d, "am start -n com.example.eagerfeed/.MainActivity").await;
    let ops = sh(&d, "dumpsys appops --package com.example.eagerfeed")
        .await
        .out;
    let access = Regex::new(r"(?m)^\s+Access: \[(top|fg|bg|cch)-s\] \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \((-[\dhms]+|0)\)( duration=\+[\dhms]+)?$").unwrap();
    assert!(access.is_match(&ops), "{ops}");
    let get = sh(&d, "cmd appops get com.example.eagerfeed").await.out;
    assert!(
        Regex::new(r"(?m)^FINE_LOCATION: \w+; time=(\+[\dhms]+|0) ago")
            .unwrap()
            .is_match(&get),
        "{get}"
    );
}

#[tokio::test]
async fn logcat_stream_delivers_marker_and_stops_on_close() {
    let d = device();
    let mut p = d.spawn("logcat -v threadtime");
    sh(&d, "log -t CONSENTRY_MARK 'step one'").await;
    let got = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buf = String::new();
        while let Some(o) = p.output.recv().await {
            if let Output::Stdout(b) = o {
                buf.push_str(&String::from_utf8_lossy(&b));
                if buf.contains("CONSENTRY_MARK") {
                    return buf;
                }
            }
        }
        buf
    })
    .await
    .expect("marker never arrived");
    assert!(
        Regex::new(r"(?m)^\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} +\d+ +\d+ I CONSENTRY_MARK: step one$")
            .unwrap()
            .is_match(&got),
        "{got}"
    );
    drop(p);
}

#[tokio::test]
async fn install_from_stdin_like_adb_29() {
    let d = device();
    assert_eq!(
        sh(&d, "pm uninstall com.example.quitter").await.out,
        "Success\n"
    );
    let apk = apps()
        .into_iter()
        .find(|a| a.package == "com.example.quitter")
        .unwrap()
        .apk_bytes();
    let mut p = d.spawn(&format!("cmd package 'install' -S {}", apk.len()));
    for chunk in apk.chunks(100) {
        p.stdin.send(chunk.to_vec()).await.unwrap();
    }
    let mut out = String::new();
    let code = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(o) = p.output.recv().await {
            match o {
                Output::Stdout(b) => out.push_str(&String::from_utf8_lossy(&b)),
                Output::Exit(c) => return c,
                Output::Stderr(_) => {}
            }
        }
        -1
    })
    .await
    .unwrap();
    assert_eq!((out.as_str(), code), ("Success\n", 0));
    assert_eq!(sh(&d, "pm path com.example.quitter").await.code, 0);
}

#[tokio::test]
async fn screencap_is_png_and_stall_hook() {
    let d = device();
    let r = d.spawn("screencap -p");
    let mut r = r;
    let mut bytes = Vec::new();
    while let Some(o) = tokio::time::timeout(Duration::from_secs(10), r.output.recv())
        .await
        .unwrap()
    {
        match o {
            Output::Stdout(b) => bytes.extend(b),
            Output::Exit(_) => break,
            Output::Stderr(_) => {}
        }
    }
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    d.set_stall(Some("sleep".into()));
    let mut p = d.spawn("sleep 0");
    assert!(
        tokio::time::timeout(Duration::from_millis(300), p.output.recv())
            .await
            .is_err()
    );
    drop(p);
    d.set_uiautomator_failure_rate(1.0);
    assert!(
        sh(&d, "uiautomator dump")
            .await
            .err
            .contains("ERROR: could not get idle state.")
    );
}

#[test]
fn fixture_apps_are_well_formed_and_errors_name_file_and_key() {
    let apps = apps();
    assert_eq!(apps.len(), 14);
    let e = AppModel::from_yaml("package: a.b\nlabel: x\ntype: notes\nscreens:\n  - id: s\n    widgets:\n      - {text: t, on_tap: [goto: nowhere]}\n", Path::new("x.yaml")).unwrap_err();
    assert_eq!(e.key, "screens[0].widgets[0].on_tap[0]");
    assert!(e.to_string().starts_with("x.yaml: "));
    let e = AppModel::from_yaml(
        "package: a.b\nlabel: x\ntype: notes\nbogus: 1\nscreens: []\n",
        Path::new("y.yaml"),
    )
    .unwrap_err();
    assert!(e.message.contains("bogus"), "{e}");
}

/// The node with this resource id in a dump (its whole `<node …>` tag).
fn node_tag<'a>(xml: &'a str, id: &str) -> Option<&'a str> {
    let at = xml.find(&format!(r#"resource-id="{id}""#))?;
    let start = xml[..at].rfind("<node")?;
    let end = at + xml[at..].find('>')?;
    Some(&xml[start..=end])
}

#[tokio::test]
async fn tidynotes_login_form_types_into_focused_fields_and_masks_the_password() {
    const N: &str = "com.example.tidynotes:id/";
    let d = device();
    sh(
        &d,
        "monkey -p com.example.tidynotes -c android.intent.category.LAUNCHER 1",
    )
    .await;
    tap_id(&d, &format!("{N}agree")).await;
    let home = sh(&d, "uiautomator dump /dev/tty").await.out;
    assert!(home.contains(r#"text="Log in""#), "{home}");
    tap_id(&d, &format!("{N}login_entry")).await;
    let form = sh(&d, "uiautomator dump /dev/tty").await.out;
    // Empty fields report their hints; nothing is focused yet.
    let user = node_tag(&form, &format!("{N}username")).expect("username");
    for want in [
        r#"text="Email or username""#,
        r#"class="android.widget.EditText""#,
        r#"clickable="true""#,
        r#"focusable="true" focused="false""#,
        r#"long-clickable="true" password="false""#,
    ] {
        assert!(user.contains(want), "{want}: {user}");
    }
    let pass = node_tag(&form, &format!("{N}password")).expect("password");
    assert!(
        pass.contains(r#"text="Password""#) && pass.contains(r#"password="true""#),
        "{pass}"
    );
    // Text goes to the field last tapped, which is focused.
    tap_id(&d, &format!("{N}username")).await;
    sh(&d, "input text tester@example.com").await;
    tap_id(&d, &format!("{N}password")).await;
    sh(&d, "input text correct%shorse").await;
    let typed = sh(&d, "uiautomator dump /dev/tty").await.out;
    let user = node_tag(&typed, &format!("{N}username")).expect("username");
    assert!(user.contains(r#"text="tester@example.com""#), "{user}");
    assert!(user.contains(r#"focused="false""#), "{user}");
    let pass = node_tag(&typed, &format!("{N}password")).expect("password");
    // TextView reports the transformed text: one dot per character.
    assert!(
        pass.contains(&format!(r#"text="{}""#, "\u{2022}".repeat(13))),
        "{pass}"
    );
    assert!(pass.contains(r#"focused="true""#), "{pass}");
    assert!(
        !typed.contains("horse"),
        "the secret is in the dump: {typed}"
    );
    // No soft keyboard is shown (a hardware-keyboard emulator).
    let ime = sh(&d, "dumpsys input_method").await.out;
    assert!(
        ime.starts_with("Current Input Method Manager state:\n"),
        "{ime}"
    );
    assert!(ime.lines().any(|l| l == "  mInputShown=false"), "{ime}");
    // Logging in returns to home, where "Log in" is gone.
    tap_id(&d, &format!("{N}log_in")).await;
    let after = sh(&d, "uiautomator dump /dev/tty").await.out;
    assert!(after.contains(&format!("{N}new_note")), "{after}");
    assert!(!after.contains(r#"text="Log in""#), "{after}");
    // Logging out (Me, Settings, Account) comes back to home with "Log in".
    for id in ["me", "settings", "account", "logout"] {
        tap_id(&d, &format!("{N}{id}")).await;
    }
    let out = sh(&d, "uiautomator dump /dev/tty").await.out;
    assert!(out.contains(&format!("{N}login_entry")), "{out}");
    // The form opens empty again: the typed text went with the screen.
    tap_id(&d, &format!("{N}login_entry")).await;
    let again = sh(&d, "uiautomator dump /dev/tty").await.out;
    let user = node_tag(&again, &format!("{N}username")).expect("username");
    assert!(user.contains(r#"text="Email or username""#), "{user}");
}

#[tokio::test]
async fn escape_falls_back_to_back_and_text_needs_a_focused_field() {
    const N: &str = "com.example.tidynotes:id/";
    let d = device();
    sh(
        &d,
        "monkey -p com.example.tidynotes -c android.intent.category.LAUNCHER 1",
    )
    .await;
    tap_id(&d, &format!("{N}agree")).await;
    tap_id(&d, &format!("{N}login_entry")).await;
    // Typing with no focused field goes nowhere.
    sh(&d, "input text nobody").await;
    let form = sh(&d, "uiautomator dump /dev/tty").await.out;
    assert!(!form.contains("nobody"), "{form}");
    tap_id(&d, &format!("{N}username")).await;
    // ESCAPE, by name or code, is BACK once nothing handles it
    // (Virtual.kcm: `key ESCAPE { base: fallback BACK }`): with no soft
    // keyboard to hide, it leaves the form.
    assert_eq!(sh(&d, "input keyevent KEYCODE_ESCAPE").await.code, 0);
    let home = sh(&d, "uiautomator dump /dev/tty").await.out;
    assert!(home.contains(&format!("{N}new_note")), "{home}");
    tap_id(&d, &format!("{N}login_entry")).await;
    tap_id(&d, &format!("{N}username")).await;
    sh(&d, "input keyevent 111").await;
    let home = sh(&d, "uiautomator dump /dev/tty").await.out;
    assert!(home.contains(&format!("{N}new_note")), "{home}");
}

async fn screencap(dev: &SimDevice) -> Vec<u8> {
    let mut p = dev.spawn("screencap -p");
    let mut bytes = Vec::new();
    while let Some(o) = tokio::time::timeout(Duration::from_secs(10), p.output.recv())
        .await
        .expect("screencap hung")
    {
        match o {
            Output::Stdout(b) => bytes.extend(b),
            Output::Exit(_) => break,
            Output::Stderr(_) => {}
        }
    }
    bytes
}

#[tokio::test]
async fn spinner_never_settles_in_pixels_while_its_dump_stays_the_same() {
    let d = device();
    sh(
        &d,
        "monkey -p com.example.spinner -c android.intent.category.LAUNCHER 1",
    )
    .await;
    let first = sh(&d, "uiautomator dump /dev/tty").await.out;
    let bar = node_tag(&first, "com.example.spinner:id/progress").expect("progress bar");
    assert!(
        bar.contains(r#"class="android.widget.ProgressBar""#),
        "{bar}"
    );
    assert!(
        bar.contains(r#"text="""#) && bar.contains(r#"content-desc="""#),
        "{bar}"
    );
    let mut shots = Vec::new();
    for _ in 0..4 {
        shots.push(screencap(&d).await);
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    for pair in shots.windows(2) {
        assert!(pair[0].starts_with(b"\x89PNG"));
        assert_ne!(pair[0], pair[1], "two screenshots 40 ms apart are the same");
    }
    assert_eq!(sh(&d, "uiautomator dump /dev/tty").await.out, first);
}

const VIEW_PRIVACY: &str =
    "am start -W -a android.intent.action.VIEW -d https://example.com/privacy";

#[tokio::test]
async fn a_view_intent_for_a_link_opens_its_screen_cold_and_warm() {
    const N: &str = "com.example.tidynotes:id/";
    let d = device();
    // Cold, with the package (as the engine's openLink asks first).
    let r = sh(&d, &format!("{VIEW_PRIVACY} com.example.tidynotes")).await;
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(
        r.out.lines().next(),
        Some(
            "Starting: Intent { act=android.intent.action.VIEW dat=https://example.com/... pkg=com.example.tidynotes }"
        ),
        "{}",
        r.out
    );
    assert!(
        r.out.contains(
            "\nStatus: ok\nLaunchState: COLD\nActivity: com.example.tidynotes/.MainActivity\n"
        ),
        "{}",
        r.out
    );
    assert!(r.out.ends_with("Complete\n"), "{}", r.out);
    let xml = sh(&d, "uiautomator dump /dev/tty").await.out;
    assert!(xml.contains(r#"text="Privacy policy""#), "{xml}");
    assert!(xml.contains(&format!("{N}privacy_text")), "{xml}");
    // The START line is the VIEW intent's, as the activity starter logs it
    // (`Uri.toSafeString` hides the path), resolved to the app's activity.
    let log = sh(&d, "logcat -d").await.out;
    assert!(
        log.contains(
            "ActivityTaskManager: START u0 {act=android.intent.action.VIEW dat=https://example.com/... flg=0x10000000 pkg=com.example.tidynotes cmp=com.example.tidynotes/.MainActivity} with LAUNCH_MULTIPLE from uid 2000 (BAL_ALLOW_PERMISSION) result code=0"
        ),
        "{log}"
    );
    // "Done" goes back to what the launch showed first: the consent screen.
    tap_id(&d, &format!("{N}privacy_done")).await;
    let xml = sh(&d, "uiautomator dump /dev/tty").await.out;
    assert!(xml.contains(&format!("{N}agree")), "{xml}");
    tap_id(&d, &format!("{N}agree")).await;
    // Warm, without the package: the link resolves to the app anyway and
    // its screen goes on top of home.
    sh(&d, "input keyevent KEYCODE_HOME").await;
    let r = sh(&d, VIEW_PRIVACY).await;
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(
        r.out.starts_with(
            "Starting: Intent { act=android.intent.action.VIEW dat=https://example.com/... }\nStatus: ok\nLaunchState: WARM\n"
        ),
        "{}",
        r.out
    );
    let xml = sh(&d, "uiautomator dump /dev/tty").await.out;
    assert!(xml.contains(&format!("{N}privacy_title")), "{xml}");
    let log = sh(&d, "logcat -d").await.out;
    assert!(
        log.contains("START u0 {act=android.intent.action.VIEW dat=https://example.com/... flg=0x10000000 cmp=com.example.tidynotes/.MainActivity}"),
        "{log}"
    );
    tap_id(&d, &format!("{N}privacy_done")).await;
    let xml = sh(&d, "uiautomator dump /dev/tty").await.out;
    assert!(xml.contains(&format!("{N}new_note")), "{xml}");
}

#[tokio::test]
async fn a_link_nobody_handles_is_not_resolved_and_am_still_exits_0() {
    let d = device();
    // With -W the error goes to stdout, as `runStartActivity` prints it on
    // the wait stream; it returns 0 all the same (AOSP up to 14).
    let r = sh(
        &d,
        "am start -W -a android.intent.action.VIEW -d https://unknown.example/a?b=c com.example.tidynotes",
    )
    .await;
    assert_eq!(
        (r.out.as_str(), r.err.as_str(), r.code),
        (
            "Starting: Intent { act=android.intent.action.VIEW dat=https://unknown.example/... pkg=com.example.tidynotes }\nError: Activity not started, unable to resolve Intent { act=android.intent.action.VIEW dat=https://unknown.example/... flg=0x10000000 pkg=com.example.tidynotes }\n",
            "",
            0
        )
    );
    // Without -W, on stderr. A link of one app named for another is not
    // resolved either.
    let r = sh(
        &d,
        "am start -a android.intent.action.VIEW -d https://example.com/privacy com.example.nagbox",
    )
    .await;
    assert_eq!(
        (r.out.as_str(), r.err.as_str(), r.code),
        (
            "Starting: Intent { act=android.intent.action.VIEW dat=https://example.com/... pkg=com.example.nagbox }\n",
            "Error: Activity not started, unable to resolve Intent { act=android.intent.action.VIEW dat=https://example.com/... flg=0x10000000 pkg=com.example.nagbox }\n",
            0
        )
    );
    // Nothing started: no START line, home still in front.
    assert!(!sh(&d, "logcat -d").await.out.contains("action.VIEW"));
    let xml = sh(&d, "uiautomator dump /dev/tty").await.out;
    assert!(
        xml.contains("com.google.android.apps.nexuslauncher"),
        "{xml}"
    );
}

#[test]
fn links_are_checked_at_load() {
    let app = |links: &str| {
        AppModel::from_yaml(
            &format!("package: a.b\nlabel: x\ntype: notes\nlinks: {links}\nscreens:\n  - id: s\n"),
            Path::new("l.yaml"),
        )
    };
    let ok = app(r#"[{prefix: "https://a.example/", goto: s}]"#).expect("valid link");
    assert_eq!(ok.link_target("https://a.example/x"), Some("s"));
    assert_eq!(ok.link_target("https://b.example/"), None);
    let e = app(r#"[{prefix: "https://a.example/", goto: s}, {prefix: "", goto: s}]"#).unwrap_err();
    assert_eq!(e.key, "links[1].prefix");
    assert!(
        e.to_string().starts_with("l.yaml: at `links[1].prefix`: "),
        "{e}"
    );
    let e = app(r#"[{prefix: "a.example/x", goto: s}]"#).unwrap_err();
    assert_eq!(e.key, "links[0].prefix");
    assert!(e.message.contains("no scheme"), "{e}");
    let e = app(r#"[{prefix: "https://a.example/", goto: nowhere}]"#).unwrap_err();
    assert_eq!(e.key, "links[0].goto");
    assert!(e.message.contains("nowhere"), "{e}");
    let e = app(r#"[{prefix: "https://a.example/", goto: s, host: x}]"#).unwrap_err();
    assert!(e.message.contains("host"), "{e}");
}

#[tokio::test]
async fn del_erases_before_the_cursor_at_the_end_of_the_focused_field() {
    const N: &str = "com.example.tidynotes:id/";
    let d = device();
    sh(
        &d,
        "monkey -p com.example.tidynotes -c android.intent.category.LAUNCHER 1",
    )
    .await;
    tap_id(&d, &format!("{N}agree")).await;
    tap_id(&d, &format!("{N}login_entry")).await;
    tap_id(&d, &format!("{N}username")).await;
    // DEL on an empty field does nothing, and leaves the hint.
    assert_eq!(sh(&d, "input keyevent 67 KEYCODE_DEL").await.code, 0);
    let form = sh(&d, "uiautomator dump /dev/tty").await.out;
    let user = node_tag(&form, &format!("{N}username")).expect("username");
    assert!(user.contains(r#"text="Email or username""#), "{user}");
    sh(&d, "input text tester").await;
    // What eraseText sends: MOVE_END (no change), then DEL twice.
    assert_eq!(sh(&d, "input keyevent 123 67 67").await.code, 0);
    let form = sh(&d, "uiautomator dump /dev/tty").await.out;
    let user = node_tag(&form, &format!("{N}username")).expect("username");
    assert!(user.contains(r#"text="test""#), "{user}");
    // FORWARD_DEL has nothing after the cursor; names work as codes do.
    sh(
        &d,
        "input keyevent KEYCODE_FORWARD_DEL KEYCODE_MOVE_END 112",
    )
    .await;
    let form = sh(&d, "uiautomator dump /dev/tty").await.out;
    let user = node_tag(&form, &format!("{N}username")).expect("username");
    assert!(user.contains(r#"text="test""#), "{user}");
    // A password keeps one dot per remaining character.
    tap_id(&d, &format!("{N}password")).await;
    sh(&d, "input text secret").await;
    sh(&d, "input keyevent 67").await;
    let form = sh(&d, "uiautomator dump /dev/tty").await.out;
    let pass = node_tag(&form, &format!("{N}password")).expect("password");
    assert!(
        pass.contains(&format!(r#"text="{}""#, "\u{2022}".repeat(5))),
        "{pass}"
    );
    // Erasing everything (and more) brings the hint back; the other field
    // is untouched.
    sh(&d, "input keyevent 123 67 67 67 67 67 67 67 67").await;
    let form = sh(&d, "uiautomator dump /dev/tty").await.out;
    let pass = node_tag(&form, &format!("{N}password")).expect("password");
    assert!(pass.contains(r#"text="Password""#), "{pass}");
    let user = node_tag(&form, &format!("{N}username")).expect("username");
    assert!(user.contains(r#"text="test""#), "{user}");
}

#[tokio::test]
async fn android_9_logs_the_view_start_under_activity_manager_and_waits_as_9_does() {
    let d = SimDevice::new(
        DeviceConfig::for_release(consentry::sim::os::Release::Android9),
        apps(),
    );
    let r = sh(&d, &format!("{VIEW_PRIVACY} com.example.tidynotes")).await;
    assert_eq!(r.code, 0, "{}", r.err);
    // 9's WaitResult has no launch state; it prints ThisTime.
    let wait = Regex::new(r"\nStatus: ok\nActivity: com\.example\.tidynotes/\.MainActivity\nThisTime: \d+\nTotalTime: \d+\nWaitTime: \d+\nComplete\n$").unwrap();
    assert!(wait.is_match(&r.out), "{}", r.out);
    let log = sh(&d, "logcat -d").await.out;
    assert!(
        log.contains(" I ActivityManager: START u0 {act=android.intent.action.VIEW dat=https://example.com/... flg=0x10000000 pkg=com.example.tidynotes cmp=com.example.tidynotes/.MainActivity} from uid 2000\n"),
        "{log}"
    );
}
