//! `consentry inspect` on live simulated devices through Debian's real adb
//! server, one per release profile (Android 9, 11 and 14): the system
//! permission dialog each release draws is recognised with the right
//! package and roles, a second request after a denial shows the release's
//! way of denying for good (9's "Don't ask again" box, 11's "Deny & don't
//! ask again" button, 14's same button labelled "Don't allow"), and an app's consent screen is
//! read in both output forms; so is the crash dialog of an app that
//! crashes. Taps go where `inspect` says the buttons are.

mod common;

use std::time::Duration;

use common::Adb;
use consentry::sim::os::release::Release;
use consentry::sim::runner::{self, RunningSim, SimOptions};
use serde_json::Value;

const T: Duration = Duration::from_secs(30);

async fn boot(android: Release) -> (RunningSim, Adb, String) {
    let sim = runner::start(&SimOptions {
        apps: "fixtures/apps".into(),
        android,
        ..SimOptions::default()
    })
    .await
    .expect("simulator starts");
    let adb = Adb::start().await;
    let serial = sim.devices[0].serial.clone();
    adb.connect(&serial, "device").await;
    (sim, adb, serial)
}

async fn inspect(adb: &Adb, serial: &str, json: bool) -> (Option<i32>, String) {
    let mut args = vec![
        "inspect".to_string(),
        "--device".into(),
        serial.to_string(),
        "--adb-server".into(),
        format!("127.0.0.1:{}", adb.port),
    ];
    if json {
        args.push("--json".into());
    }
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_consentry"))
        .args(&args)
        .env_remove("ANDROID_SERIAL")
        .output()
        .await
        .expect("consentry runs");
    assert!(
        out.status.code() == Some(0),
        "inspect failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).to_string(),
    )
}

async fn understood(adb: &Adb, serial: &str) -> Value {
    let (_, out) = inspect(adb, serial, true).await;
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

async fn shell(adb: &Adb, serial: &str, cmd: &str) -> String {
    adb.run(&["-s", serial, "shell", cmd], T).await.text()
}

fn roles(u: &Value) -> Vec<String> {
    u["buttons"]
        .as_array()
        .expect("buttons")
        .iter()
        .map(|b| b["role"].as_str().expect("role").to_string())
        .collect()
}

/// Taps the centre of the first button with `role`.
async fn tap(adb: &Adb, serial: &str, u: &Value, role: &str) {
    let b = u["buttons"]
        .as_array()
        .expect("buttons")
        .iter()
        .find(|b| b["role"] == role)
        .unwrap_or_else(|| panic!("no {role} button in {u}"));
    let x = (b["bounds"]["left"].as_i64().unwrap() + b["bounds"]["right"].as_i64().unwrap()) / 2;
    let y = (b["bounds"]["top"].as_i64().unwrap() + b["bounds"]["bottom"].as_i64().unwrap()) / 2;
    shell(adb, serial, &format!("input tap {x} {y}")).await;
}

async fn launch(adb: &Adb, serial: &str, package: &str) {
    let out = shell(
        adb,
        serial,
        &format!("monkey -p {package} -c android.intent.category.LAUNCHER 1"),
    )
    .await;
    assert!(out.contains("Events injected: 1"), "{out}");
}

/// Denies every dialog of the launch, so that the gatekeeper exits.
async fn deny_all(adb: &Adb, serial: &str) {
    for _ in 0..4 {
        let u = understood(adb, serial).await;
        if u["kind"] != "permission-dialog" {
            return;
        }
        tap(adb, serial, &u, "deny").await;
    }
}

/// Agrees to crashy's policy and opens its Settings, found by `inspect`
/// as a navigation entry, which crashes: the system's crash dialog.
async fn crash_dialog(adb: &Adb, serial: &str) {
    launch(adb, serial, "com.example.crashy").await;
    let consent = understood(adb, serial).await;
    assert_eq!(consent["kind"], "consent-dialog", "{consent}");
    tap(adb, serial, &consent, "agree").await;
    let home = understood(adb, serial).await;
    let settings = home["navigation"]
        .as_array()
        .expect("navigation")
        .iter()
        .find(|e| e["text"] == "Settings")
        .unwrap_or_else(|| panic!("no Settings entry: {home}"))
        .clone();
    let b = &settings["bounds"];
    let x = (b["left"].as_i64().unwrap() + b["right"].as_i64().unwrap()) / 2;
    let y = (b["top"].as_i64().unwrap() + b["bottom"].as_i64().unwrap()) / 2;
    shell(adb, serial, &format!("input tap {x} {y}")).await;
    let crash = understood(adb, serial).await;
    assert_eq!(crash["kind"], "crash-dialog", "{crash}");
    assert_eq!(crash["package"], "android", "{crash}");
    assert!(roles(&crash).iter().any(|r| r == "close"), "{crash}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn android_9_packageinstaller_dialog_and_its_dont_ask_again_box() {
    let (_sim, adb, serial) = boot(Release::Android9).await;
    launch(&adb, &serial, "com.example.gatekeeper").await;
    let u = understood(&adb, &serial).await;
    assert_eq!(u["kind"], "permission-dialog", "{u}");
    assert_eq!(u["package"], "com.android.packageinstaller");
    assert_eq!(u["permission"], "LOCATION", "{u}");
    let mut r = roles(&u);
    r.sort();
    assert_eq!(r, ["allow", "deny"], "{u}");
    assert!(u["checkboxes"].as_array().expect("array").is_empty());
    deny_all(&adb, &serial).await;
    launch(&adb, &serial, "com.example.gatekeeper").await;
    let again = understood(&adb, &serial).await;
    assert_eq!(again["kind"], "permission-dialog", "{again}");
    let boxes = again["checkboxes"].as_array().expect("array");
    assert!(
        boxes
            .iter()
            .any(|c| c["purpose"] == "dont-ask" && c["checked"] == false),
        "{again}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn android_11_dialog_with_one_time_grants_and_deny_forever_on_the_second_request() {
    let (_sim, adb, serial) = boot(Release::Android11).await;
    launch(&adb, &serial, "com.example.gatekeeper").await;
    let u = understood(&adb, &serial).await;
    assert_eq!(u["kind"], "permission-dialog", "{u}");
    assert_eq!(u["package"], "com.google.android.permissioncontroller");
    assert_eq!(u["permission"], "LOCATION", "{u}");
    let r = roles(&u);
    for want in ["allow-foreground", "allow-once", "deny"] {
        assert!(r.iter().any(|x| x == want), "{want} missing: {u}");
    }
    assert!(!r.iter().any(|x| x == "deny-forever"), "{u}");
    deny_all(&adb, &serial).await;
    launch(&adb, &serial, "com.example.gatekeeper").await;
    let again = understood(&adb, &serial).await;
    assert_eq!(again["kind"], "permission-dialog", "{again}");
    assert!(roles(&again).iter().any(|x| x == "deny-forever"), "{again}");
    shell(&adb, &serial, "am force-stop com.example.gatekeeper").await;
    crash_dialog(&adb, &serial).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn android_14_dialog_in_both_forms_and_a_consent_screen() {
    let (_sim, adb, serial) = boot(Release::Android14).await;
    launch(&adb, &serial, "com.example.gatekeeper").await;
    let u = understood(&adb, &serial).await;
    assert_eq!(u["kind"], "permission-dialog", "{u}");
    assert_eq!(u["package"], "com.google.android.permissioncontroller");
    // The dump holds the active window only, as on real devices.
    assert!(u.get("app_package").is_none(), "{u}");
    let deny_text = u["buttons"]
        .as_array()
        .expect("buttons")
        .iter()
        .find(|b| b["role"] == "deny")
        .map(|b| b["text"].clone())
        .expect("a deny button");
    let r = roles(&u);
    for want in ["allow-foreground", "allow-once", "deny"] {
        assert!(r.iter().any(|x| x == want), "{want} missing: {u}");
    }
    let (_, text) = inspect(&adb, &serial, false).await;
    assert!(text.starts_with("permission-dialog"), "{text}");
    assert!(text.contains("tapOn: {id: "), "{text}");
    deny_all(&adb, &serial).await;
    launch(&adb, &serial, "com.example.gatekeeper").await;
    let again = understood(&adb, &serial).await;
    assert_eq!(again["kind"], "permission-dialog", "{again}");
    // 12+ shows the deny-and-don't-ask-again button with the plain deny's
    // label (AOSP's GrantPermissionsActivity): its id gives it away.
    let forever = again["buttons"]
        .as_array()
        .expect("buttons")
        .iter()
        .find(|b| b["role"] == "deny-forever")
        .unwrap_or_else(|| panic!("{again}"));
    assert_eq!(forever["text"], deny_text, "{again}");
    shell(&adb, &serial, "am force-stop com.example.gatekeeper").await;

    launch(&adb, &serial, "com.example.tidynotes").await;
    let c = understood(&adb, &serial).await;
    eprintln!(
        "DUMP {}",
        adb.run(&["-s", &serial, "exec-out", "uiautomator dump /dev/tty"], T)
            .await
            .text()
    );
    assert_eq!(c["kind"], "consent-dialog", "{c}");
    assert_eq!(c["package"], "com.example.tidynotes");
    let r = roles(&c);
    assert!(
        r.iter().any(|x| x == "agree") && r.iter().any(|x| x == "refuse"),
        "{c}"
    );
}
