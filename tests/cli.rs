//! The command line: help lists every command, none is a placeholder,
//! completions and the schema print, and `validate` summarises valid
//! input on one line.

use assert_cmd::Command;
use predicates::prelude::*;

fn consentry() -> Command {
    Command::cargo_bin("consentry").expect("binary built")
}

const COMMANDS: &[&str] = &[
    "validate", "run", "batch", "emulator", "analyze", "devices", "sim", "simctl", "report",
    "history", "parse", "match", "inspect",
];

#[test]
fn help_lists_every_command() {
    let out = consentry().arg("--help").assert().success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    for c in COMMANDS.iter().chain(&["schema", "completions"]) {
        assert!(
            text.lines()
                .any(|l| l.trim_start().starts_with(&format!("{c} "))),
            "--help does not list `{c}`:\n{text}"
        );
    }
    for flag in ["--verbose", "--quiet", "--color"] {
        assert!(text.contains(flag), "--help lacks {flag}");
    }
}

#[test]
fn every_command_has_help() {
    for c in COMMANDS {
        consentry()
            .args([c, "--help"])
            .assert()
            .success()
            .stdout(predicate::str::contains("Usage: consentry"));
    }
}

#[test]
fn run_rejects_bad_input_before_touching_a_device() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "appId: com.x.y\n---\n- tapOn: {txt: OK}\n").expect("write");
    // No adb server listens on port 1: a device would be an error too, but
    // the scenario is read first.
    consentry()
        .args(["run", &bad.display().to_string(), "--app", "com.x.y"])
        .args(["--adb-server", "127.0.0.1:1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.yaml:3"))
        .stderr(predicate::str::contains("nothing was run"));
    let good = dir.path().join("good.yaml");
    std::fs::write(&good, "appId: com.x.y\n---\n- back\n").expect("write");
    consentry()
        .args(["run", &good.display().to_string(), "--app", "not a package"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "neither an APK file nor a package name",
        ));
    consentry()
        .args(["run", &good.display().to_string(), "--app", "com.x.y"])
        .args(["--adb-server", "127.0.0.1:1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("127.0.0.1:1"));
}

#[test]
fn no_command_is_a_placeholder() {
    for c in COMMANDS {
        let out = consentry().args([c, "--help"]).assert().success();
        let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
        assert!(!text.contains("not yet available"), "`{c}`:\n{text}");
        // A flag no command has is a usage error naming it, not a stub.
        consentry()
            .args([c, "--no-such-flag"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("--no-such-flag"));
    }
}

#[test]
fn usage_errors_exit_2() {
    consentry().arg("frobnicate").assert().code(2);
    consentry().arg("validate").assert().code(2);
    consentry()
        .args(["validate", "-e", "NOEQUALS", "scenarios"])
        .assert()
        .code(2);
}

#[test]
fn validate_directory_prints_one_summary_line() {
    let out = consentry()
        .args(["validate", "scenarios/"])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(
        stdout.starts_with("ok: 11 scenario files valid"),
        "{stdout}"
    );
    consentry()
        .args(["-q", "validate", "scenarios/"])
        .assert()
        .success()
        .stdout("");
}

#[test]
fn completions_and_schema_print() {
    consentry()
        .args(["completions", "bash"])
        .assert()
        .success()
        .stdout(predicate::str::contains("_consentry()").and(predicate::str::contains("validate")));
    consentry()
        .arg("schema")
        .assert()
        .success()
        .stdout(predicate::str::contains("\"$schema\""));
}

#[test]
fn color_always_colours_diagnostics_and_never_does_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.yaml");
    std::fs::write(&path, "appId: com.example.app\n---\n- tapOnn: x\n").expect("write");
    consentry()
        .args(["--color", "always", "validate"])
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("\u{1b}["));
    consentry()
        .args(["--color", "never", "validate"])
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("\u{1b}[").not());
}

fn capture(rel: &str) -> String {
    format!(
        "{}/../shared/real-captures/{rel}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn parse_prints_records_and_summaries() {
    let cases = [
        (
            "logcat",
            "logcat/logcat_brief_mtk_android13_slice.txt",
            "\"records\": 399",
        ),
        (
            "appops",
            "dumpsys/appops_get_output_AppManager_issue29_2020.txt",
            "\"rejects\": 4",
        ),
        (
            "package",
            "dumpsys/dumpsys_package_oppo_coloros_android11.txt",
            "\"uid\": 10441",
        ),
        (
            "focus",
            "dumpsys/dumpsys_activity_activities_mtk_tablet_android13.txt",
            "\"foregroundPackage\": \"com.mediatek.camera\"",
        ),
        (
            "uiautomator",
            "uiautomator/crash_dialog_keeps_stopping_samsung.xml",
            "\"nodes\": 12",
        ),
        (
            "getprop",
            "dumpsys/getprop_xiaomi_pad6_hyperos2_android14.txt",
            "\"sdk\": 34",
        ),
        (
            "packages",
            "dumpsys/pm_list_packages_-f_xiaomi_pad6_android14.txt",
            "\"packages\": 322",
        ),
    ];
    for (kind, file, expect) in cases {
        consentry()
            .args(["parse", kind, &capture(file), "--summary"])
            .assert()
            .success()
            .stdout(predicate::str::contains(expect));
    }
    let out = consentry()
        .args([
            "parse",
            "logcat",
            &capture("logcat/logcat_threadtime_emulator_android15plus_app_crash_full.txt"),
        ])
        .assert()
        .success();
    let records: serde_json::Value =
        serde_json::from_slice(&out.get_output().stdout).expect("json");
    assert_eq!(
        records.as_array().map(Vec::len),
        Some(237),
        "every line is an entry"
    );
    consentry()
        .args(["parse", "wm-size", "-"])
        .write_stdin("Physical size: 1080x2400\n")
        .assert()
        .success()
        .stdout(predicate::str::contains("\"width\": 1080"));
}

#[test]
fn parse_bad_input_exits_2() {
    consentry()
        .args(["parse", "logcat", "/nonexistent"])
        .assert()
        .code(2);
    consentry()
        .args(["parse", "uiautomator", "-"])
        .write_stdin("not xml")
        .assert()
        .code(2);
    consentry()
        .args(["parse", "nosuchkind", "x"])
        .assert()
        .code(2);
}

#[test]
fn parse_logcat_summary_streams_and_counts_as_the_whole_parse_does() {
    // The summary is read line by line (flat memory); it must count what
    // parsing the whole text counts, on every real capture.
    let dir = std::path::Path::new("../shared/real-captures/logcat");
    let mut n = 0;
    for e in std::fs::read_dir(dir).expect("real captures beside the checkout") {
        let path = e.expect("entry").path();
        let text = String::from_utf8_lossy(&std::fs::read(&path).expect("readable")).into_owned();
        let want =
            serde_json::to_value(consentry::android::logcat::parse(&text).summary).expect("json");
        let out = consentry()
            .args(["parse", "logcat"])
            .arg(&path)
            .arg("--summary")
            .assert()
            .success();
        let got: serde_json::Value =
            serde_json::from_slice(&out.get_output().stdout).expect("json");
        assert_eq!(got, want, "{}", path.display());
        // From stdin too, with CRLF line ends and no final newline.
        let crlf = text.trim_end().replace('\n', "\r\n");
        let out = consentry()
            .args(["parse", "logcat", "-", "--summary"])
            .write_stdin(crlf.clone())
            .assert()
            .success();
        let got: serde_json::Value =
            serde_json::from_slice(&out.get_output().stdout).expect("json");
        let want =
            serde_json::to_value(consentry::android::logcat::parse(&crlf).summary).expect("json");
        assert_eq!(got, want, "{} (CRLF, stdin)", path.display());
        n += 1;
    }
    assert!(n >= 4, "only {n} captures");
}
