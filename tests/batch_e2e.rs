//! `consentry batch` end to end, as a process: the simulator with several
//! devices, Debian's real adb server, the built-in suite over the fixture
//! apps. The verdicts are checked against `fixtures/apps/EXPECTED.md`; then
//! the same batch survives a device lost mid-run (the app retried and
//! marked), the controller killed with SIGKILL and resumed (nothing redone,
//! nothing twice), the adb server killed mid-batch, Ctrl-C, and a shard
//! split merged back into the unsharded verdicts.
//!
//! The batches take the machine's two cores, so the tests run one at a
//! time (a lock), not side by side.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::Adb;
use common::batch::{Finished, list, verdicts_of};
use common::expected::{expected, mismatches};
use consentry::report::{self, AppStatus, AttemptEnd, Report};
use consentry::sim::runner::{self, RunningSim, SimOptions};
use consentry::verdict::AppVerdicts;

const TIME_SCALE: &str = "60";
/// No batch here may take longer: a hang fails instead of blocking CI.
const LIMIT: Duration = Duration::from_secs(900);

static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

struct Rig {
    sim: RunningSim,
    adb: Adb,
    root: tempfile::TempDir,
    serials: Vec<String>,
}

async fn rig(devices: u16) -> Rig {
    let sim = runner::start(&SimOptions {
        apps: "fixtures/apps".into(),
        time_scale: 60.0,
        devices,
        ..SimOptions::default()
    })
    .await
    .expect("simulator starts");
    let adb = Adb::start().await;
    let mut serials = Vec::new();
    for d in sim.devices.iter() {
        adb.connect(&d.serial, "device").await;
        serials.push(d.serial.clone());
    }
    Rig {
        sim,
        adb,
        root: tempfile::tempdir().expect("tempdir"),
        serials,
    }
}

impl Rig {
    fn out(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    /// `consentry batch ARGS` against this rig's adb server, with the
    /// test timings.
    fn batch(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_consentry"));
        c.arg("batch")
            .args(args)
            .args(["--time-scale", TIME_SCALE, "--settle-timeout", "2"])
            .args(["--find-timeout", "3", "--dump-timeout", "3"])
            .args(["--color", "never"])
            .env("ANDROID_ADB_SERVER_PORT", self.adb.port.to_string())
            .env("HOME", self.adb.home())
            .env("ADB_MDNS", "0")
            .env_remove("ADB_SERVER_SOCKET")
            .env_remove("ANDROID_SERIAL")
            .env_remove("CONSENTRY_HISTORY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    fn devices_arg(&self) -> String {
        self.serials.join(",")
    }

    /// The built-in suite over `list`, into `out`, on `devices` (every
    /// device of the rig when `None`), with `extra` flags.
    fn suite_batch(&self, list: &Path, out: &Path, devices: Option<&str>, extra: &[&str]) -> Child {
        let all = self.devices_arg();
        self.batch(&["--apps", &list.display().to_string(), "--suite", "builtin"])
            .args(["--devices", devices.unwrap_or(&all)])
            .args(["--out", &out.display().to_string()])
            .args(extra)
            .spawn()
            .expect("batch starts")
    }
}

/// The list of every fixture app.
const FIXTURE_LIST: &str = "fixtures/batch/apps.yaml";

/// Half the fixture apps, with rules broken and kept, for the runs that
/// need a list but not all of it.
const PART: [&str; 7] = [
    "com.example.tidynotes",
    "com.example.eagerfeed",
    "com.example.gatekeeper",
    "com.example.quitter",
    "com.example.stayforever",
    "com.example.pushy",
    "com.example.sdkearly",
];

/// Waits for a child within [`LIMIT`], killing it on the way out.
fn wait(child: Child) -> Finished {
    common::batch::wait(child, LIMIT)
}

/// Waits until the batch in `dir` has finished `n` apps (its index).
async fn until_finished(dir: &Path, n: usize, child: &mut Child) {
    let start = Instant::now();
    while report::read_index(dir).map_or(0, |l| l.len()) < n {
        assert!(
            child.try_wait().expect("try_wait").is_none(),
            "the batch ended before {n} apps were done"
        );
        assert!(start.elapsed() < LIMIT, "{n} apps not done in time");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn all_apps() -> Vec<String> {
    expected().verdicts.keys().cloned().collect()
}

#[test]
fn the_fixture_list_names_every_app_with_its_expected_type() {
    let text = std::fs::read_to_string(FIXTURE_LIST).expect("list");
    let apps = consentry::batch::apps::parse_list(&text, Path::new(FIXTURE_LIST))
        .expect("the fixture list parses");
    let exp = expected();
    let got: BTreeMap<String, Option<String>> = apps
        .iter()
        .map(|a| (a.package.clone(), a.app_type.clone()))
        .collect();
    assert_eq!(got, exp.types);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_over_every_fixture_app_on_three_devices_then_sharded_and_merged() {
    let _one = ONE_AT_A_TIME.lock().await;
    let rig = rig(3).await;
    let out = rig.out("all");
    let history = rig.out("history.sqlite");
    let run = rig.suite_batch(
        Path::new(FIXTURE_LIST),
        &out,
        None,
        &["--history", &history.display().to_string()],
    );
    let done = wait(run);
    // Fixture apps break rules: exit 1.
    assert_eq!(done.code, Some(1), "{}\n{}", done.stdout, done.stderr);
    let r = report::load(&out).expect("report");
    assert_eq!(r.apps.len(), all_apps().len());
    assert!(r.apps.iter().all(|a| a.result.status == AppStatus::Judged));
    let all = verdicts_of(&r);
    let bad = mismatches(&all);
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    // Each app ran on one device, and the devices shared the work.
    let used: BTreeSet<&str> = r
        .apps
        .iter()
        .map(|a| a.result.attempts[0].device.as_str())
        .collect();
    assert_eq!(used.len(), 3, "{used:?}");
    // The reports and the matrix.
    for f in ["report.json", "report.xml", "report.html", "report.md"] {
        assert!(out.join(f).is_file(), "{f} missing");
        assert!(
            done.stdout.contains(&out.join(f).display().to_string()),
            "{}",
            done.stdout
        );
    }
    assert!(
        done.stdout.contains("com.example.eagerfeed"),
        "{}",
        done.stdout
    );
    assert!(done.stdout.contains("VIOL"), "{}", done.stdout);
    let on_disk: Report =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(on_disk, r);
    let xml = std::fs::read_to_string(out.join("report.xml")).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("junit parses");
    let suites = doc
        .descendants()
        .filter(|n| n.has_tag_name("testsuite"))
        .count();
    assert_eq!(suites, all_apps().len());
    let violations: usize = all
        .values()
        .map(|v| {
            v.categories
                .iter()
                .filter(|c| c.verdict.as_str() == "violation")
                .count()
        })
        .sum();
    let failures = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .count();
    assert_eq!(failures, violations);
    // The history holds the run.
    let listed = Command::new(env!("CARGO_BIN_EXE_consentry"))
        .args([
            "history",
            "--history",
            &history.display().to_string(),
            "list",
        ])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&listed.stdout).contains(&r.run.id),
        "{}",
        String::from_utf8_lossy(&listed.stdout)
    );

    // Part of the list in two shards, at the same time on the same pool
    // (the first shard on two devices, the second on the third), then
    // merged: the verdicts are the unsharded run's.
    let part_list = list(rig.root.path(), &PART);
    let shard = |k: &str, devs: &str, name: &str| {
        let history = history.display().to_string();
        rig.suite_batch(
            &part_list,
            &rig.out(name),
            Some(devs),
            &["--shard", k, "--history", &history],
        )
    };
    let a = shard("1/2", &rig.serials[..2].join(","), "shard-1");
    let b = shard("2/2", &rig.serials[2], "shard-2");
    let (a, b) = (wait(a), wait(b));
    assert!(matches!(a.code, Some(0 | 1 | 3)), "{}", a.stderr);
    assert!(matches!(b.code, Some(0 | 1 | 3)), "{}", b.stderr);
    let s1 = report::load(&rig.out("shard-1")).unwrap();
    let s2 = report::load(&rig.out("shard-2")).unwrap();
    let p1: BTreeSet<String> = s1.run.planned.iter().cloned().collect();
    let p2: BTreeSet<String> = s2.run.planned.iter().cloned().collect();
    assert!(p1.is_disjoint(&p2), "{p1:?} {p2:?}");
    let union: BTreeSet<String> = p1.union(&p2).cloned().collect();
    assert_eq!(
        union,
        PART.iter()
            .map(|p| (*p).to_string())
            .collect::<BTreeSet<_>>()
    );
    let merged_dir = rig.out("merged");
    let merge = Command::new(env!("CARGO_BIN_EXE_consentry"))
        .args(["report", "merge"])
        .arg(rig.out("shard-1"))
        .arg(rig.out("shard-2"))
        .args(["--out", &merged_dir.display().to_string()])
        .args(["--history", &history.display().to_string()])
        .output()
        .unwrap();
    assert_eq!(
        merge.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&merge.stderr)
    );
    let merged = report::load(&merged_dir).expect("merged report");
    assert_eq!(
        merged.run.merged_from,
        [s1.run.id.clone(), s2.run.id.clone()]
    );
    let strip = |m: BTreeMap<String, AppVerdicts>| -> BTreeMap<String, Vec<(String, String)>> {
        m.into_iter()
            .map(|(k, v)| {
                let cells = v
                    .categories
                    .iter()
                    .map(|c| (c.category.clone(), c.verdict.as_str().to_string()))
                    .collect();
                (k, cells)
            })
            .collect()
    };
    let unsharded: BTreeMap<String, AppVerdicts> = all
        .iter()
        .filter(|(k, _)| PART.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    assert_eq!(strip(verdicts_of(&merged)), strip(unsharded));
    // Evidence paths in the merged report lead into the shards.
    for a in &merged.apps {
        assert!(
            merged_dir.join(&a.dir).join("result.json").is_file(),
            "{}",
            a.dir
        );
    }
    // Shards did not write the history; the merge did: two runs in all.
    let listed = Command::new(env!("CARGO_BIN_EXE_consentry"))
        .args([
            "history",
            "--history",
            &history.display().to_string(),
            "list",
            "--json",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&listed.stdout);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&text).expect("history JSON");
    let ids: BTreeSet<&str> = rows.iter().filter_map(|r| r["id"].as_str()).collect();
    assert_eq!(
        ids,
        BTreeSet::from([r.run.id.as_str(), merged.run.id.as_str()]),
        "{text}"
    );
    drop(rig.sim);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_lost_mid_run_has_its_app_retried_elsewhere_and_comes_back() {
    let _one = ONE_AT_A_TIME.lock().await;
    let rig = rig(3).await;
    let out = rig.out("lost");
    let mut run = rig.suite_batch(Path::new(FIXTURE_LIST), &out, None, &["--no-history"]);
    // Once a first app is done, the first device goes offline with an
    // app on it, and comes back a while later.
    until_finished(&out, 1, &mut run).await;
    let victim = &rig.sim.devices[0];
    victim.server.control.set_online(false);
    tokio::time::sleep(Duration::from_secs(8)).await;
    victim.server.control.set_online(true);
    let done = wait(run);
    assert!(matches!(done.code, Some(1)), "{}", done.stderr);
    let r = report::load(&out).expect("report");
    // Every app has its verdicts, and they are still the expected ones.
    assert!(
        r.apps.iter().all(|a| a.result.status == AppStatus::Judged),
        "{:#?}",
        r.apps
            .iter()
            .map(|a| (&a.result.package, a.result.status))
            .collect::<Vec<_>>()
    );
    let bad = mismatches(&verdicts_of(&r));
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    // The app that was on the lost device was retried on another one.
    let retried: Vec<_> = r.apps.iter().filter(|a| a.result.retried).collect();
    assert!(!retried.is_empty(), "no app was retried\n{}", done.stderr);
    for a in &retried {
        let first = &a.result.attempts[0];
        assert_eq!(first.end, AttemptEnd::DeviceLost, "{:?}", a.result.attempts);
        assert_eq!(first.device, victim.serial);
        let fin = a.result.attempts.last().unwrap();
        assert_eq!(fin.end, AttemptEnd::Judged);
        assert_ne!(fin.device, victim.serial, "retried on the device it lost");
    }
    assert_eq!(r.summary.retried, retried.len());
    let entry = r
        .run
        .devices
        .iter()
        .find(|d| d.serial == victim.serial)
        .unwrap();
    assert!(entry.lost >= 1, "{entry:?}");
    // The device came back and took more apps.
    assert!(done.stderr.contains("rejoins the pool"), "{}", done.stderr);
    let later = r.apps.iter().any(|a| {
        a.result
            .attempts
            .iter()
            .any(|t| t.device == victim.serial && t.end == AttemptEnd::Judged)
    });
    assert!(later, "the device that came back judged no app");
    // The reports mark the retry.
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("retried"), "{md}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_controller_killed_with_sigkill_is_resumed_without_redoing_or_doubling() {
    let _one = ONE_AT_A_TIME.lock().await;
    let rig = rig(3).await;
    let out = rig.out("killed");
    // Part of the list (the full one runs in the other tests): killed
    // with apps done and others in flight.
    let list = list(rig.root.path(), &PART);
    let mut run = rig.suite_batch(&list, &out, None, &["--no-history"]);
    until_finished(&out, 3, &mut run).await;
    run.kill().expect("SIGKILL");
    let _ = run.wait();
    let before = report::read_index(&out).unwrap();
    assert!(before.len() >= 3);
    assert!(before.len() < PART.len(), "the batch ended before the kill");
    let stamps = |dir: &Path| -> BTreeMap<String, (String, std::time::SystemTime)> {
        report::read_index(dir)
            .unwrap()
            .into_iter()
            .map(|l| {
                let p = dir.join("apps").join(&l.package).join("result.json");
                let text = std::fs::read_to_string(&p).unwrap();
                let mtime = std::fs::metadata(&p).unwrap().modified().unwrap();
                (l.package, (text, mtime))
            })
            .collect()
    };
    let first = stamps(&out);
    let resumed = rig
        .batch(&["--resume", &out.display().to_string(), "--no-history"])
        .args(["--devices", &rig.devices_arg()])
        .spawn()
        .expect("resume starts");
    let done = wait(resumed);
    assert_eq!(done.code, Some(1), "{}\n{}", done.stdout, done.stderr);
    // Complete, once each.
    let index = report::read_index(&out).unwrap();
    let mut seen = BTreeSet::new();
    for l in &index {
        assert!(
            seen.insert(l.package.clone()),
            "{} twice in the index",
            l.package
        );
    }
    assert_eq!(
        seen,
        PART.iter()
            .map(ToString::to_string)
            .collect::<BTreeSet<_>>()
    );
    let r = report::load(&out).unwrap();
    assert!(r.apps.iter().all(|a| a.result.status == AppStatus::Judged));
    assert_eq!(r.run.resumed.len(), 1);
    assert!(r.run.finished.is_some());
    let bad = mismatches(&verdicts_of(&r));
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    // The apps finished before the kill were not run again.
    let after = stamps(&out);
    for (pkg, before) in &first {
        assert_eq!(&after[pkg], before, "{pkg} was redone");
    }
    assert!(
        done.stderr
            .contains(&format!("({} done already)", first.len())),
        "{}",
        done.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_adb_server_killed_mid_batch_is_started_again_and_the_batch_ends() {
    let _one = ONE_AT_A_TIME.lock().await;
    let rig = rig(2).await;
    let out = rig.out("adb-killed");
    let apps = [
        "com.example.quitter",
        "com.example.stayforever",
        "com.example.pushy",
        "com.example.tidynotes",
        "com.example.prechecked",
    ];
    let list = list(rig.root.path(), &apps);
    let mut run = rig.suite_batch(&list, &out, None, &["--no-history", "--device-wait", "60s"]);
    until_finished(&out, 1, &mut run).await;
    let killed = rig.adb.run(&["kill-server"], Duration::from_secs(20)).await;
    assert_eq!(killed.code, Some(0), "{}", killed.stderr);
    let done = wait(run);
    let r = report::load(&out).expect("report");
    // Every app ends with verdicts or a recorded error, nothing hangs.
    assert_eq!(r.apps.len(), apps.len());
    assert!(
        r.apps.iter().all(|a| a.result.status != AppStatus::NotRun),
        "{}",
        done.stderr
    );
    assert!(matches!(done.code, Some(1 | 3)), "{}", done.stderr);
    // The server came back (the batch started it again), so the apps after
    // the kill were judged.
    let judged = r
        .apps
        .iter()
        .filter(|a| a.result.status == AppStatus::Judged)
        .count();
    assert_eq!(judged, apps.len(), "{}", done.stderr);
    assert!(r.apps.iter().any(|a| a.result.retried), "{}", done.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_lets_running_apps_finish_and_writes_the_report() {
    let _one = ONE_AT_A_TIME.lock().await;
    let rig = rig(1).await;
    let out = rig.out("interrupted");
    let apps = [
        "com.example.quitter",
        "com.example.stayforever",
        "com.example.pushy",
    ];
    let list = list(rig.root.path(), &apps);
    let run = rig.suite_batch(&list, &out, None, &["--no-history"]);
    // The first app is under way: one Ctrl-C.
    let start = Instant::now();
    while !out.join("apps").join(apps[0]).exists() {
        assert!(start.elapsed() < LIMIT);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let sigint = Command::new("kill")
        .args(["-INT", &run.id().to_string()])
        .status()
        .unwrap();
    assert!(sigint.success());
    let done = wait(run);
    assert_eq!(done.code, Some(130), "{}", done.stderr);
    let r = report::load(&out).unwrap();
    // The app that was running finished; the others never started.
    assert_eq!(
        r.apps[0].result.status,
        AppStatus::Judged,
        "{}",
        done.stderr
    );
    assert!(
        r.apps[1..]
            .iter()
            .all(|a| a.result.status == AppStatus::NotRun)
    );
    assert!(r.run.interrupted);
    assert!(out.join("report.html").is_file());
    // And --resume finishes the rest.
    let resumed = rig
        .batch(&["--resume", &out.display().to_string(), "--no-history"])
        .spawn()
        .expect("resume starts");
    let done = wait(resumed);
    assert!(matches!(done.code, Some(0 | 1 | 3)), "{}", done.stderr);
    let r = report::load(&out).unwrap();
    assert!(r.apps.iter().all(|a| a.result.status == AppStatus::Judged));
    assert!(!r.run.interrupted);
}

#[test]
fn a_bad_app_list_exits_2_naming_line_and_key_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("apps.yaml");
    std::fs::write(
        &list,
        "kind: app-list\napps:\n  - com.example.tidynotes\n  - package: com.example.pushy\n    app_tpye: news\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = Command::new(env!("CARGO_BIN_EXE_consentry"))
        .args([
            "batch",
            "--apps",
            &list.display().to_string(),
            "--suite",
            "builtin",
        ])
        .args(["--out", &out.display().to_string()])
        // No adb server here: the list is refused before any device is asked.
        .env("ANDROID_ADB_SERVER_PORT", "1")
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("apps.yaml:5:5: apps[1].app_tpye"), "{err}");
    assert!(!out.exists(), "a bad list made a batch directory");
    // A credential variable that is not set is named too.
    std::fs::write(
        &list,
        "apps:\n  - package: com.example.tidynotes\n    credentials: {SECRET_PASSWORD: CONSENTRY_TEST_UNSET_PW}\n",
    )
    .unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_consentry"))
        .args([
            "batch",
            "--apps",
            &list.display().to_string(),
            "--suite",
            "builtin",
        ])
        .args(["--out", &out.display().to_string()])
        .env_remove("CONSENTRY_TEST_UNSET_PW")
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("CONSENTRY_TEST_UNSET_PW is not set"), "{err}");
}
