//! Screen understanding on the real UI dumps in
//! `../shared/real-captures/uiautomator/` (read in place): each test
//! writes down what a careful reader sees in that dump (its kind, the
//! permission asked, the role of each button and how it is found), and
//! `consentry inspect` prints it for a file in both forms.

use std::path::PathBuf;

use consentry::android::uiautomator;
use consentry::screen::{self, Kind, Purpose, Role, Understanding, Wording};

fn path(name: &str) -> PathBuf {
    PathBuf::from("../shared/real-captures/uiautomator").join(name)
}

fn read(name: &str) -> Understanding {
    let xml = std::fs::read_to_string(path(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let tree = uiautomator::parse(&xml).unwrap_or_else(|e| panic!("{name}: {e}"));
    screen::understand(&tree, None, &Wording::builtin())
}

/// The buttons as (role, text, resource id).
fn buttons(u: &Understanding) -> Vec<(Role, &str, &str)> {
    u.buttons
        .iter()
        .map(|b| (b.role, b.text.as_str(), b.resource_id.as_str()))
        .collect()
}

#[test]
fn a_packageinstaller_dialog_of_android_9_in_chinese() {
    let u = read("permission-dialog_packageinstaller-zh_storage-contacts.xml");
    assert_eq!(u.kind, Kind::PermissionDialog);
    assert_eq!(u.package, "com.android.packageinstaller");
    // The app is named 通讯录 (Contacts); it asks for storage.
    assert_eq!(u.permission.as_deref(), Some("STORAGE"));
    assert_eq!(
        buttons(&u),
        vec![
            (
                Role::Deny,
                "拒绝",
                "com.android.packageinstaller:id/permission_deny_button"
            ),
            (
                Role::Allow,
                "允许",
                "com.android.packageinstaller:id/permission_allow_button"
            ),
        ]
    );
}

#[test]
fn a_permissioncontroller_dialog_with_foreground_and_one_time_buttons() {
    let u = read("perm_record_audio_samsung_google_permissioncontroller.xml");
    assert_eq!(u.kind, Kind::PermissionDialog);
    assert_eq!(u.package, "com.google.android.permissioncontroller");
    assert_eq!(u.permission.as_deref(), Some("MICROPHONE"));
    assert_eq!(
        u.message.as_deref(),
        Some("Allow buccancs to record audio?")
    );
    let ids = "com.android.permissioncontroller:id/";
    assert_eq!(
        buttons(&u),
        vec![
            (
                Role::AllowForeground,
                "While using the app",
                &*format!("{ids}permission_allow_foreground_only_button")
            ),
            (
                Role::AllowOnce,
                "Only this time",
                &*format!("{ids}permission_allow_one_time_button")
            ),
            (
                Role::Deny,
                "Don't allow",
                &*format!("{ids}permission_deny_button")
            ),
        ]
    );
}

#[test]
fn an_aosp_permission_dialog_in_upper_case() {
    let u = read("permission-dialog_aosp-emulator_notifications-uppercase.xml");
    assert_eq!(u.kind, Kind::PermissionDialog);
    assert_eq!(u.package, "com.android.permissioncontroller");
    assert_eq!(u.permission.as_deref(), Some("NOTIFICATIONS"));
    let roles: Vec<(Role, &str)> = u
        .buttons
        .iter()
        .map(|b| (b.role, b.text.as_str()))
        .collect();
    assert_eq!(
        roles,
        vec![(Role::Allow, "ALLOW"), (Role::Deny, "DON’T ALLOW")]
    );
    // Unique ids select the buttons.
    assert_eq!(
        u.button(Role::Deny).and_then(|b| b.selector.id.as_deref()),
        Some(r"com\.android\.permissioncontroller:id/permission_deny_button")
    );
}

#[test]
fn a_crash_dialog_and_an_anr_dialog() {
    let u = read("crash_dialog_keeps_stopping_samsung.xml");
    assert_eq!(u.kind, Kind::CrashDialog);
    assert_eq!(u.package, "android");
    assert_eq!(u.title.as_deref(), Some("buccancs keeps stopping"));
    assert_eq!(
        buttons(&u),
        vec![
            (Role::AppInfo, "App info", "android:id/aerr_app_info"),
            (Role::Close, "Close app", "android:id/aerr_close"),
        ]
    );
    let u = read("anr-dialog_pixel8_systemui.xml");
    assert_eq!(u.kind, Kind::AnrDialog);
    assert_eq!(
        buttons(&u),
        vec![
            (Role::Close, "Close app", "android:id/aerr_close"),
            (Role::Wait, "Wait", "android:id/aerr_wait"),
        ]
    );
}

#[test]
fn an_in_app_consent_dialog_under_the_navigation_bar_window() {
    let u = read("u2_bilibili_privacy_consent_first_miui.xml");
    assert_eq!(u.kind, Kind::ConsentDialog);
    // The system UI's navigation bar comes first in the dump.
    assert_eq!(u.package, "tv.danmaku.bili");
    assert_eq!(
        buttons(&u),
        vec![
            (Role::Refuse, "不同意", "tv.danmaku.bili:id/disagree"),
            (Role::Agree, "同意并继续", "tv.danmaku.bili:id/agree"),
        ]
    );
    assert_eq!(u.title.as_deref(), Some("用户协议与隐私政策提示"));
    let policy = u.message.as_deref().unwrap_or_default();
    assert!(policy.contains("《哔哩哔哩隐私政策》"), "{policy}");
}

#[test]
fn an_in_app_camera_rationale_with_buttons_labelled_by_their_children() {
    let u = read("permission-rationale_mayndrive_camera-open-settings.xml");
    assert_eq!(u.kind, Kind::RationaleDialog);
    assert_eq!(u.package, "fr.mayndrive.app");
    assert_eq!(u.permission.as_deref(), Some("CAMERA"));
    assert_eq!(
        buttons(&u),
        vec![
            (Role::Settings, "Open settings", ""),
            (Role::Exit, "Go back", "")
        ]
    );
    // No id: the text inside the clickable box selects it.
    assert_eq!(
        u.button(Role::Settings)
            .and_then(|b| b.selector.text.as_deref()),
        Some("Open settings")
    );
}

#[test]
fn an_in_app_allow_and_deny_card_is_not_a_system_dialog() {
    let u = read("other_codexapp_shell-approval-allow-deny-zh.xml");
    assert_eq!(u.kind, Kind::App);
    assert_eq!(u.package, "com.codex.mobile");
    assert!(u.permission.is_none());
}

#[test]
fn a_login_page_with_an_unticked_policy_checkbox_is_an_app_screen() {
    let u = read("other_beeplay_login-policy-checkbox-zh.xml");
    assert_eq!(u.kind, Kind::App);
    assert_eq!(u.checkboxes.len(), 1, "{:?}", u.checkboxes);
    let c = &u.checkboxes[0];
    assert_eq!(c.purpose, Purpose::Consent);
    assert!(!c.checked);
    assert_eq!(c.text, "已阅读并同意《用户协议》和《隐私政策》");
}

#[test]
fn an_oem_settings_list_is_an_app_screen() {
    let u = read("miui_phone_settings_preferred_network_type.xml");
    assert_eq!(u.kind, Kind::App);
    assert_eq!(u.package, "com.android.phone");
    assert!(u.checkboxes.is_empty(), "radio buttons are not checkboxes");
}

#[test]
fn every_real_dump_is_understood() {
    // New dumps dropped into the directory are read too: none may fail.
    let dir = PathBuf::from("../shared/real-captures/uiautomator");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).expect("real captures beside the checkout") {
        let p = e.expect("entry").path();
        if p.extension().is_some_and(|x| x == "xml") {
            let xml = std::fs::read_to_string(&p).expect("readable");
            let tree = uiautomator::parse(&xml).expect("parses");
            let u = screen::understand(&tree, None, &Wording::builtin());
            assert!(!u.package.is_empty(), "{}: no package", p.display());
            n += 1;
        }
    }
    assert!(n >= 10, "only {n} dumps");
}

fn consentry() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("consentry").expect("binary built")
}

#[test]
fn inspect_prints_a_file_as_text_and_as_json() {
    let dump = path("perm_record_audio_samsung_google_permissioncontroller.xml");
    let out = consentry().arg("inspect").arg(&dump).assert().success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(text.starts_with("permission-dialog"), "{text}");
    assert!(text.contains("permission: MICROPHONE"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("allow-once") && l.contains("\"Only this time\"")),
        "{text}"
    );
    assert!(
        text.contains(
            r"tapOn: {id: 'com\.android\.permissioncontroller:id/permission_deny_button'}"
        ),
        "{text}"
    );
    let out = consentry()
        .arg("inspect")
        .arg(&dump)
        .arg("--json")
        .assert()
        .success();
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).expect("JSON");
    assert_eq!(json["version"], 1);
    assert_eq!(json["kind"], "permission-dialog");
    assert_eq!(json["package"], "com.google.android.permissioncontroller");
    assert_eq!(json["permission"], "MICROPHONE");
    let roles: Vec<&str> = json["buttons"]
        .as_array()
        .expect("buttons")
        .iter()
        .map(|b| b["role"].as_str().expect("role"))
        .collect();
    assert_eq!(roles, ["allow-foreground", "allow-once", "deny"]);
    let b = &json["buttons"][2];
    assert_eq!(b["text"], "Don't allow");
    assert_eq!(
        b["resource_id"],
        "com.android.permissioncontroller:id/permission_deny_button"
    );
    assert_eq!(b["bounds"]["left"], 72);
    for key in ["checkboxes", "switches", "deletion", "navigation"] {
        assert!(json[key].is_array(), "{key}");
    }
}

#[test]
fn inspect_reads_stdin_and_a_screenshot() {
    let xml = std::fs::read(path("anr-dialog_pixel8_systemui.xml")).expect("dump");
    let out = consentry()
        .args(["inspect", "-", "--json"])
        .write_stdin(xml)
        .assert()
        .success();
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).expect("JSON");
    assert_eq!(json["kind"], "anr-dialog");
    let out = consentry()
        .arg("inspect")
        .arg(path("anr-dialog_pixel8_systemui.xml"))
        .arg(path("anr-dialog_pixel8_systemui.png"))
        .arg("--json")
        .assert()
        .success();
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).expect("JSON");
    let f = json["blank_fraction"]
        .as_f64()
        .expect("a screenshot gives blank_fraction");
    assert!((0.0..=1.0).contains(&f), "{f}");
}

#[test]
fn inspect_rejects_bad_input_with_the_file_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.xml");
    std::fs::write(&bad, "<hierarchy><node text='a'></hierarchy>").expect("write");
    let out = consentry().arg("inspect").arg(&bad).assert().code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("bad.xml") && err.contains("line"), "{err}");
    let out = consentry()
        .arg("inspect")
        .arg(dir.path().join("missing.xml"))
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("missing.xml"));
    // A wording file with a misspelt key: file, line and key.
    let words = dir.path().join("words.yaml");
    std::fs::write(&words, "labels:\n  agree: [好]\nphrase:\n  policy: [x]\n").expect("write");
    let out = consentry()
        .arg("inspect")
        .arg(path("anr-dialog_pixel8_systemui.xml"))
        .arg("--wording")
        .arg(&words)
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("words.yaml:3:"), "{err}");
}

#[test]
fn a_wording_file_teaches_a_new_label() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dump = dir.path().join("d.xml");
    std::fs::write(
        &dump,
        r#"<hierarchy rotation="0"><node index="0" text="" resource-id="" class="android.widget.FrameLayout" package="com.x" content-desc="" checkable="false" checked="false" clickable="false" enabled="true" focusable="false" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[0,0][1080,2400]"><node index="0" text="请阅读《隐私政策》" resource-id="" class="android.widget.TextView" package="com.x" content-desc="" checkable="false" checked="false" clickable="false" enabled="true" focusable="false" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[0,0][1080,200]" /><node index="1" text="好嘞" resource-id="" class="android.widget.Button" package="com.x" content-desc="" checkable="false" checked="false" clickable="true" enabled="true" focusable="true" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[0,200][1080,400]" /></node></hierarchy>"#,
    )
    .expect("write");
    let plain = consentry()
        .arg("inspect")
        .arg(&dump)
        .arg("--json")
        .assert()
        .success();
    let json: serde_json::Value = serde_json::from_slice(&plain.get_output().stdout).expect("JSON");
    assert_eq!(json["kind"], "app");
    let words = dir.path().join("words.yaml");
    std::fs::write(&words, "labels:\n  agree: [好嘞]\n").expect("write");
    let taught = consentry()
        .arg("inspect")
        .arg(&dump)
        .arg("--json")
        .arg("--wording")
        .arg(&words)
        .assert()
        .success();
    let json: serde_json::Value =
        serde_json::from_slice(&taught.get_output().stdout).expect("JSON");
    assert_eq!(json["kind"], "consent-dialog");
    assert_eq!(json["buttons"][0]["role"], "agree");
}

/// A dump written here (not a capture): one window of `package` holding a
/// message and buttons with these labels, with no AOSP ids.
fn oem_dialog(package: &str, message: &str, buttons: &[&str]) -> Understanding {
    let node = |text: &str, class: &str, clickable: bool, top: u32| {
        format!(
            r#"<node index="0" text="{text}" resource-id="{package}:id/v{top}" class="{class}" package="{package}" content-desc="" checkable="false" checked="false" clickable="{clickable}" enabled="true" focusable="{clickable}" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[60,{top}][1020,{}]" />"#,
            top + 100
        )
    };
    let mut xml = format!(
        r#"<hierarchy rotation="0"><node index="0" text="" resource-id="" class="android.widget.FrameLayout" package="{package}" content-desc="" checkable="false" checked="false" clickable="false" enabled="true" focusable="false" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[0,1400][1080,2400]">"#
    );
    xml.push_str(&node(message, "android.widget.TextView", false, 1450));
    for (k, b) in buttons.iter().enumerate() {
        xml.push_str(&node(
            b,
            "android.widget.Button",
            true,
            1600 + 120 * u32::try_from(k).unwrap(),
        ));
    }
    xml.push_str("</node></hierarchy>");
    let tree = uiautomator::parse(&xml).expect("parses");
    screen::understand(&tree, None, &Wording::builtin())
}

#[test]
fn an_oem_permission_dialog_without_aosp_ids_is_read_by_its_labels() {
    let u = oem_dialog(
        "com.lbe.security.miui",
        "允许“地图”获取此设备的位置信息吗？",
        &["仅在使用中允许", "拒绝"],
    );
    assert_eq!(u.kind, Kind::PermissionDialog);
    assert_eq!(u.permission.as_deref(), Some("LOCATION"));
    let roles: Vec<Role> = u.buttons.iter().map(|b| b.role).collect();
    assert_eq!(roles, [Role::AllowForeground, Role::Deny]);
    let u = oem_dialog(
        "com.huawei.systemmanager",
        "是否允许“相机大师”使用麦克风录音？",
        &["始终允许", "禁止"],
    );
    assert_eq!(u.kind, Kind::PermissionDialog);
    assert_eq!(u.permission.as_deref(), Some("MICROPHONE"));
    assert_eq!(
        u.buttons.iter().map(|b| b.role).collect::<Vec<_>>(),
        [Role::Allow, Role::Deny]
    );
    // The same labels in an app's own window are not a system dialog.
    let u = oem_dialog(
        "com.example.maps",
        "允许“地图”获取此设备的位置信息吗？",
        &["允许", "拒绝"],
    );
    assert_ne!(u.kind, Kind::PermissionDialog);
}
