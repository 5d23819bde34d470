//! The built-in suite end to end: every fixture app through Debian's real
//! adb server and the simulator, in both passes, judged, and compared with
//! `fixtures/apps/EXPECTED.md` cell by cell; the verdict JSON snapshotted;
//! `consentry analyze` on the saved runs giving the live verdicts; the
//! CLI's `run --suite builtin` printing its table.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::Adb;
use common::expected::{expected, mismatches};
use consentry::category::Category;
use consentry::detect::AppTypes;
use consentry::device::{AdbDevice, AdbServer, Device, ServerAddr, Timeouts};
use consentry::engine::{Console, Events, RunOptions, SettleOptions};
use consentry::screen::Wording;
use consentry::sim::os::release::Release;
use consentry::sim::runner::{self, SimOptions};
use consentry::suite;
use consentry::verdict::AppVerdicts;

/// One app's whole suite may not take longer than this.
const LIMIT: Duration = Duration::from_secs(600);
const TIME_SCALE: f64 = 60.0;

async fn devices(n: u16, android: Release) -> (runner::RunningSim, Adb, Vec<AdbDevice>) {
    let sim = runner::start(&SimOptions {
        apps: "fixtures/apps".into(),
        android,
        time_scale: TIME_SCALE,
        devices: n,
        ..SimOptions::default()
    })
    .await
    .expect("simulator starts");
    let adb = Adb::start().await;
    let mut devs = Vec::new();
    for d in sim.devices.iter() {
        adb.connect(&d.serial, "device").await;
        let server = AdbServer::new(ServerAddr {
            host: "127.0.0.1".into(),
            port: adb.port,
        });
        let timeouts = Timeouts {
            ui_dump: Duration::from_secs(3),
            ..Timeouts::default()
        };
        devs.push(
            AdbDevice::open(server, &d.serial, timeouts)
                .await
                .expect("device opens"),
        );
    }
    (sim, adb, devs)
}

fn options(out: PathBuf, package: &str) -> RunOptions {
    let mut o = RunOptions::new(out, package.to_string());
    o.find_timeout = Duration::from_secs(3);
    o.settle = SettleOptions {
        timeout: Duration::from_secs(2),
        change_window: Duration::from_millis(600),
    };
    o.time_scale = TIME_SCALE;
    o
}

/// Runs the built-in suite on `apps` over the devices, two at a time.
async fn run_suite(apps: &[&str], android: Release, root: &Path) -> BTreeMap<String, AppVerdicts> {
    let exp = expected();
    let (_sim, _adb, devs) = devices(2, android).await;
    let suite_dir = suite::materialise_builtin(&root.join("suite")).expect("suite written");
    let suite =
        Arc::new(suite::load(&suite_dir, &BTreeMap::new()).unwrap_or_else(|e| panic!("{e}")));
    let queue = Arc::new(Mutex::new(
        apps.iter().map(|a| (*a).to_string()).collect::<Vec<_>>(),
    ));
    let types = Arc::new(AppTypes::builtin());
    let wording = Arc::new(Wording::builtin());
    let mut tasks = Vec::new();
    for dev in devs {
        let (queue, suite, types, wording) =
            (queue.clone(), suite.clone(), types.clone(), wording.clone());
        let root = root.to_path_buf();
        let app_types = exp.types.clone();
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            loop {
                let next = queue.lock().expect("queue").pop();
                let Some(pkg) = next else { break };
                let t = app_types.get(&pkg).cloned().flatten();
                let ctx = suite::context(wording.clone(), &types, t.as_deref()).expect("type");
                let mut o = options(root.join(&pkg), &pkg);
                o.app_type = t.clone();
                let console = Console {
                    quiet: true,
                    ..Console::default()
                };
                let (v, problems) = tokio::time::timeout(
                    LIMIT,
                    suite::run(&dev, &suite, &o, &console, &Events::none(), &ctx),
                )
                .await
                .unwrap_or_else(|_| panic!("the suite on {pkg} did not finish within {LIMIT:?}"));
                assert!(problems.is_empty(), "{pkg}: {problems:?}");
                std::fs::write(
                    root.join(&pkg).join("verdicts.json"),
                    serde_json::to_string_pretty(&v).expect("json"),
                )
                .expect("write verdicts");
                out.push((pkg, v));
            }
            out
        }));
    }
    let mut all = BTreeMap::new();
    for t in tasks {
        for (pkg, v) in t.await.expect("worker") {
            all.insert(pkg, v);
        }
    }
    all
}

/// Every cell of EXPECTED.md for `apps`, as found.
/// The verdicts without what a run's timing changes (times, line numbers,
/// durations in the texts).
/// Times, line numbers, file sequence numbers and durations in texts
/// replaced: what a run's timing changes.
fn scrub(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            for k in ["t_ms", "line", "tool"] {
                if m.contains_key(k) {
                    m.insert(k.into(), "[redacted]".into());
                }
            }
            for x in m.values_mut() {
                scrub(x);
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(scrub),
        serde_json::Value::String(s) => {
            let re = regex::Regex::new(r"\d+(\.\d+)? (ms|s)\b").expect("regex");
            *s = re.replace_all(s, "[time]").into_owned();
            let re = regex::Regex::new(r"(screens|snapshots|explore)/\d+-").expect("regex");
            *s = re.replace_all(s, "$1/N-").into_owned();
        }
        _ => {}
    }
}

fn stable(v: &AppVerdicts) -> serde_json::Value {
    let mut j = serde_json::to_value(v).expect("json");
    scrub(&mut j);
    j
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn builtin_suite_gives_the_expected_verdict_for_every_fixture_app() {
    let exp = expected();
    let apps: Vec<&str> = exp.verdicts.keys().map(String::as_str).collect();
    let root = tempfile::tempdir().expect("tempdir");
    let all = run_suite(&apps, Release::default(), root.path()).await;
    assert_eq!(all.len(), apps.len());
    let bad = mismatches(&all);
    assert!(
        bad.is_empty(),
        "{} cell(s) differ:\n{}",
        bad.len(),
        bad.join("\n")
    );
    // Every verdict cites its rule; every non-pass says why.
    for v in all.values() {
        for c in &v.categories {
            assert!(!c.summary.is_empty(), "{} {}", v.package, c.category);
            for f in &c.findings {
                assert!(!f.sources.is_empty() && !f.term_zh.is_empty(), "{f:?}");
                assert!(!f.evidence.is_empty(), "a finding without evidence: {f:?}");
            }
        }
    }
    insta::assert_json_snapshot!("eagerfeed_verdicts", stable(&all["com.example.eagerfeed"]));
    insta::assert_json_snapshot!(
        "mazeaccount_verdicts",
        stable(&all["com.example.mazeaccount"])
    );

    // Offline: analyze the saved runs of each app with the CLI, no device.
    for (pkg, live) in &all {
        let dir = root.path().join(pkg);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_consentry"))
            .arg("analyze")
            .arg(&dir)
            .arg("--json")
            .output()
            .expect("consentry analyze runs");
        let text = String::from_utf8_lossy(&out.stdout);
        let offline: AppVerdicts = serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!(
                "{pkg}: analyze --json: {e}\n{text}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        assert_eq!(
            stable(&offline),
            stable(live),
            "{pkg}: analyze differs from the live run"
        );
        let violation = live
            .categories
            .iter()
            .any(|c| c.verdict.as_str() == "violation");
        let code = out.status.code();
        if violation {
            assert_eq!(code, Some(1), "{pkg}");
        } else {
            assert!(matches!(code, Some(0 | 3)), "{pkg}: {code:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn denials_on_android_9_without_exit_info() {
    // Android 9 has no exit-info: quitting is read from logcat's death
    // line and the screen in front; the dialog has its own checkbox.
    let apps = [
        "com.example.gatekeeper",
        "com.example.nagbox",
        "com.example.quitter",
        "com.example.tidynotes",
    ];
    let root = tempfile::tempdir().expect("tempdir");
    let all = run_suite(&apps, Release::Android9, root.path()).await;
    let bad = mismatches(&all);
    assert!(
        bad.is_empty(),
        "{} cell(s) differ on Android 9:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_runs_the_suite_and_prints_the_verdict_table() {
    let (_sim, adb, devs) = devices(1, Release::default()).await;
    let serial = devs[0].serial().to_string();
    let root = tempfile::tempdir().expect("tempdir");
    let out = root.path().join("quitter");
    let run = |extra: &[&str]| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_consentry"));
        c.args(["run", "--suite", "builtin", "--app", "com.example.quitter"])
            .args(["--device", &serial])
            .args(["--adb-server", &format!("127.0.0.1:{}", adb.port)])
            .args([
                "--time-scale",
                "60",
                "--settle-timeout",
                "2",
                "--find-timeout",
                "3",
            ])
            .args(["--color", "never"])
            .args(extra);
        c.output().expect("consentry runs")
    };
    // A misspelt type is bad input: exit 2 before any device is touched.
    let bad = run(&[
        "--app-type",
        "utility-apps",
        "--out",
        &out.display().to_string(),
    ]);
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("unknown app type") && err.contains("docs/app-types.md"),
        "{err}"
    );
    let ok = run(&[
        "--app-type",
        "utilities",
        "--out",
        &out.display().to_string(),
    ]);
    let text = String::from_utf8_lossy(&ok.stdout);
    // Quitting on "Disagree" is a violation for a utility: exit 1.
    assert_eq!(
        ok.status.code(),
        Some(1),
        "{text}\n{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    // The transcript of each run, then the table.
    let table = &text[text
        .find("com.example.quitter (utilities)\n")
        .unwrap_or_else(|| panic!("no table:\n{text}"))..];
    let text = table;
    for c in Category::ALL {
        assert!(text.contains(c.id()), "{c} missing from the table:\n{text}");
    }
    let row = text
        .lines()
        .find(|l| l.trim_start().starts_with("refuse-service-on-denial"))
        .expect("the row");
    assert!(
        row.contains("violation") && row.contains("EXIT_SELF"),
        "{row}"
    );
    assert!(text.contains("verdicts.json"), "{text}");
    let v: AppVerdicts = serde_json::from_str(
        &std::fs::read_to_string(out.join("verdicts.json")).expect("verdicts.json"),
    )
    .expect("verdict JSON");
    assert_eq!(v.version, consentry::verdict::VERSION);
    assert_eq!(v.app_type.as_deref(), Some("utilities"));
    assert_eq!(v.runs.len(), 8, "{:?}", v.runs);
    // The suite that ran is kept with the runs.
    assert!(out.join("suite").join("suite.yaml").is_file());
}
