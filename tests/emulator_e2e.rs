//! `consentry batch --avd` and `consentry emulator` end to end, with the
//! stand-in `emulator` (`consentry emulator-standin`, a simulated device
//! behind the real emulator's flags and console) in a fake SDK, and
//! Debian's real adb server: a batch booted from an AVD name with network
//! capture and snapshot resets, a boot that never completes, an emulator
//! killed mid-batch, Ctrl-C, a console that refuses the token, and the
//! standalone start/list/stop. After each, no stand-in process may be
//! left.
//!
//! The batches take the machine's two cores, and the emulators need their
//! ports: the tests run one at a time (a lock).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::Adb;
use common::batch::{Finished, verdicts_of};
use common::expected::mismatches;
use consentry::report::{self, AppStatus, AttemptEnd};
use consentry::verdict::Verdict;

const TIME_SCALE: &str = "60";
/// No command here may take longer: a hang fails instead of blocking CI.
const LIMIT: Duration = Duration::from_secs(600);

static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A fake SDK with the stand-in emulator, an AVD home, a state directory,
/// and an adb server of its own.
struct Lab {
    adb: Adb,
    root: tempfile::TempDir,
}

async fn lab() -> Lab {
    let lab = Lab {
        adb: Adb::start().await,
        root: tempfile::tempdir().expect("tempdir"),
    };
    consentry::sim::emulator::write_fake_sdk(
        &lab.path("sdk"),
        Path::new(env!("CARGO_BIN_EXE_consentry")),
    )
    .expect("fake SDK written");
    lab
}

impl Lab {
    fn path(&self, rel: &str) -> PathBuf {
        self.root.path().join(rel)
    }

    /// An AVD on Android 14 hosting the fixture apps; `extra` lines go
    /// into its config.ini.
    fn avd(&self, name: &str, extra: &[&str]) {
        let home = self.path("avd");
        let dir = home.join(format!("{name}.avd"));
        std::fs::create_dir_all(&dir).expect("avd dir");
        std::fs::write(
            home.join(format!("{name}.ini")),
            format!(
                "avd.ini.encoding=UTF-8\npath={}\ntarget=android-34\n",
                dir.display()
            ),
        )
        .expect("avd ini");
        let apps = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/apps");
        let mut config = format!(
            "image.sysdir.1=system-images/android-34/google_apis/x86_64/\nconsentry.apps={}\nconsentry.time_scale={TIME_SCALE}\n",
            apps.display()
        );
        for l in extra {
            config.push_str(l);
            config.push('\n');
        }
        std::fs::write(dir.join("config.ini"), config).expect("config.ini");
    }

    /// `consentry ARGS` in this lab's environment.
    fn consentry(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_consentry"));
        c.args(args)
            .args(["--color", "never"])
            .env("ANDROID_HOME", self.path("sdk"))
            .env_remove("ANDROID_SDK_ROOT")
            .env("ANDROID_AVD_HOME", self.path("avd"))
            .env("XDG_STATE_HOME", self.path("state"))
            .env("ANDROID_ADB_SERVER_PORT", self.adb.port.to_string())
            .env("HOME", self.adb.home())
            .env("ADB_MDNS", "0")
            .env_remove("ADB_SERVER_SOCKET")
            .env_remove("ANDROID_SERIAL")
            .env_remove("CONSENTRY_HISTORY")
            .env_remove("CONSENTRY_STANDIN_NO_KVM")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    /// The built-in suite over `apps` on `n` instances of `avd`.
    fn batch(
        &self,
        avd: &str,
        n: usize,
        apps: &[&str],
        port: u16,
        extra: &[&str],
    ) -> (Child, PathBuf) {
        let out = self.path(&format!("batch-{avd}"));
        let list = common::batch::list(self.root.path(), apps);
        let child = self
            .consentry(&[
                "batch",
                "--apps",
                &list.display().to_string(),
                "--suite",
                "builtin",
            ])
            .args(["--avd", avd, "--emulators", &n.to_string()])
            .args(["--emulator-port", &port.to_string()])
            .args(["--out", &out.display().to_string(), "--no-history"])
            .args(["--time-scale", TIME_SCALE, "--settle-timeout", "2"])
            .args(["--find-timeout", "3", "--dump-timeout", "3"])
            .args(extra)
            .spawn()
            .expect("batch starts");
        (child, out)
    }

    /// The state records of running instances.
    fn records(&self) -> Vec<consentry::emulator::state::Record> {
        consentry::emulator::state::read_all(&self.path("state/consentry/emulators")).0
    }
}

/// The process ids of stand-in emulators of `avd` still running.
fn standins(avd: &str) -> Vec<u32> {
    let mut found = Vec::new();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return found;
    };
    for p in procs.flatten() {
        let Some(pid) = p.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(cmd) = std::fs::read(p.path().join("cmdline")) else {
            continue;
        };
        let args: Vec<&[u8]> = cmd.split(|b| *b == 0).collect();
        let standin = args.iter().any(|a| *a == b"emulator-standin");
        let ours = args.contains(&avd.as_bytes());
        let zombie = std::fs::read_to_string(p.path().join("stat"))
            .ok()
            .and_then(|s| {
                s.rsplit_once(')')
                    .map(|(_, r)| r.trim_start().starts_with('Z'))
            })
            .unwrap_or(false);
        if standin && ours && !zombie {
            found.push(pid);
        }
    }
    found
}

/// Fails unless every stand-in of `avd` has ended (they get a moment).
fn assert_none_left(avd: &str) {
    let start = Instant::now();
    while !standins(avd).is_empty() && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let left = standins(avd);
    assert!(
        left.is_empty(),
        "stand-in emulators of {avd} left running: {left:?}"
    );
}

/// Waits for a child within [`LIMIT`], killing it on the way out.
fn wait(child: Child) -> Finished {
    common::batch::wait(child, LIMIT)
}

fn run(mut c: Command) -> Finished {
    wait(c.spawn().expect("starts"))
}

/// Waits until some app of the batch in `out` has started an attempt.
fn until_started(out: &Path, child: &mut Child) {
    let start = Instant::now();
    loop {
        let started = std::fs::read_dir(out.join("apps"))
            .is_ok_and(|d| d.flatten().any(|e| e.path().join("attempt-1").is_dir()));
        if started {
            return;
        }
        if child.try_wait().expect("try_wait").is_some() {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut e, &mut err);
            }
            panic!("the batch ended before an app started:\n{err}");
        }
        assert!(start.elapsed() < LIMIT, "no app started in time");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .expect("kill runs")
        .success();
    assert!(ok, "kill {sig} {pid}");
}

/// Sends `sig` to a running instance of the lab's batch and returns its
/// record. An instance between the two boots of a reset has the record of
/// a process already gone: the first one alive is taken.
fn signal_an_instance(lab: &Lab, sig: &str) -> consentry::emulator::state::Record {
    let start = Instant::now();
    loop {
        let hit = lab.records().into_iter().find(|r| {
            Command::new("kill")
                .args([sig, &r.pid.to_string()])
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        });
        if let Some(r) = hit {
            return r;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no live instance to signal"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_from_an_avd_captures_the_network_resets_by_snapshot_and_leaves_nothing_running() {
    let _one = ONE_AT_A_TIME.lock().await;
    let lab = lab().await;
    lab.avd("Lab_capture", &[]);
    let apps = [
        "com.example.eagerfeed",
        "com.example.sdklate",
        "com.example.tidynotes",
    ];
    // One instance: its resets are console snapshot loads (several
    // instances run -read-only, which refuses them).
    let (child, out) = lab.batch(
        "Lab_capture",
        1,
        &apps,
        5554,
        &["--capture-network", "--snapshot", "default_boot"],
    );
    let done = wait(child);
    assert_eq!(done.code, Some(1), "{}\n{}", done.stdout, done.stderr);
    assert_none_left("Lab_capture");
    assert!(
        lab.records().is_empty(),
        "state records left: {:?}",
        lab.records()
    );
    let r = report::load(&out).expect("report");
    assert_eq!(r.apps.len(), apps.len());
    assert!(r.apps.iter().all(|a| a.result.status == AppStatus::Judged));
    // Each app ran on the instance after a snapshot load.
    let used: std::collections::BTreeSet<&str> = r
        .apps
        .iter()
        .map(|a| a.result.attempts[0].device.as_str())
        .collect();
    assert_eq!(used.len(), 1, "{used:?}");
    assert!(used.iter().all(|s| s.starts_with("emulator-")), "{used:?}");
    for a in &r.apps {
        assert_eq!(
            a.result.attempts[0].reset.as_deref(),
            Some("snapshot default_boot"),
            "{}",
            a.package()
        );
    }
    let all = verdicts_of(&r);
    // eagerfeed's in-process analytics SDK is seen only on the network.
    let feed = &all["com.example.eagerfeed"];
    let share = feed
        .categories
        .iter()
        .find(|c| c.category == "share-without-consent")
        .expect("share verdict");
    assert_eq!(share.verdict, Verdict::Violation, "{share:#?}");
    let f = share
        .findings
        .iter()
        .find(|f| f.rule == "share.network-before-consent")
        .expect("a network finding");
    assert!(f.summary.contains("ulogs.umeng.com"), "{}", f.summary);
    let ev = &f.evidence[0];
    assert_eq!(ev.file.as_deref(), Some("network.pcap"));
    assert!(
        ev.quote
            .as_deref()
            .is_some_and(|q| q.contains("UTC") && q.contains("ulogs.umeng.com")),
        "{ev:?}"
    );
    // sdklate contacts JPush only after "Agree": no network finding.
    let late = &all["com.example.sdklate"];
    let late_share = late
        .categories
        .iter()
        .find(|c| c.category == "share-without-consent")
        .expect("share verdict");
    assert_eq!(late_share.verdict, Verdict::Pass, "{late_share:#?}");
    assert!(
        late_share
            .notes
            .iter()
            .any(|n| n.contains("jpush.cn") && n.contains("after consent")),
        "{:?}",
        late_share.notes
    );
    // Every other cell is as EXPECTED.md says.
    let mut others = all.clone();
    if let Some(v) = others.get_mut("com.example.eagerfeed") {
        v.categories
            .retain(|c| c.category != "share-without-consent");
    }
    let bad: Vec<String> = mismatches(&others)
        .into_iter()
        .filter(|m| !(m.contains("eagerfeed") && m.contains("share-without-consent")))
        .collect();
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    // Each run directory holds its own capture, placed on the run.
    let feed_runs = out.join("apps/com.example.eagerfeed/attempt-1");
    let mut pcaps = 0;
    for run in std::fs::read_dir(&feed_runs).expect("runs").flatten() {
        let json = run.path().join("run.json");
        if !json.is_file() {
            continue;
        }
        let ev: consentry::evidence::Run =
            serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        let net = ev.network.expect("the run records its capture");
        assert_eq!(net.file.as_deref(), Some("network.pcap"), "{net:?}");
        assert!(net.error.is_none(), "{net:?}");
        let bytes = std::fs::read(run.path().join("network.pcap")).expect("pcap");
        let cap = consentry::net::read_capture(&bytes).expect("the capture parses");
        assert!(
            cap.contacts.iter().any(|c| c.domain == "ulogs.umeng.com"),
            "{}: {:?}",
            run.path().display(),
            cap.contacts
        );
        pcaps += 1;
    }
    assert!(pcaps >= 2, "{pcaps} run directories with a capture");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_boot_that_never_completes_times_out_with_a_clear_error() {
    let _one = ONE_AT_A_TIME.lock().await;
    let lab = lab().await;
    lab.avd("Lab_stuck", &["consentry.boot=never"]);
    let (child, _) = lab.batch(
        "Lab_stuck",
        1,
        &["com.example.tidynotes"],
        5564,
        &["--boot-timeout", "3s"],
    );
    let done = wait(child);
    assert_eq!(done.code, Some(2), "{}", done.stderr);
    assert!(
        done.stderr.contains("did not boot within 3 s")
            && done.stderr.contains("sys.boot_completed never became 1"),
        "{}",
        done.stderr
    );
    assert_none_left("Lab_stuck");
    assert!(lab.records().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_emulator_killed_mid_batch_is_booted_again_and_its_app_retried() {
    let _one = ONE_AT_A_TIME.lock().await;
    let lab = lab().await;
    lab.avd("Lab_dies", &[]);
    let apps = [
        "com.example.tidynotes",
        "com.example.quitter",
        "com.example.stayforever",
    ];
    // Two instances run -read-only: each reset boots the instance again
    // from the snapshot.
    let (mut child, out) = lab.batch("Lab_dies", 2, &apps, 5574, &["--snapshot", "default_boot"]);
    until_started(&out, &mut child);
    let victim = &signal_an_instance(&lab, "-KILL");
    let done = wait(child);
    assert_eq!(done.code, Some(1), "{}\n{}", done.stdout, done.stderr);
    assert!(
        done.stderr
            .contains(&format!("{}: its process ended", victim.serial))
            && done
                .stderr
                .contains(&format!("{} booted again", victim.serial)),
        "{}",
        done.stderr
    );
    assert_none_left("Lab_dies");
    let r = report::load(&out).expect("report");
    assert!(
        r.apps.iter().all(|a| a.result.status == AppStatus::Judged),
        "{r:#?}"
    );
    let retried: Vec<&str> = r
        .apps
        .iter()
        .filter(|a| a.result.retried)
        .map(report::AppEntry::package)
        .collect();
    assert!(!retried.is_empty(), "no app was retried");
    for a in r.apps.iter().filter(|a| a.result.retried) {
        assert_eq!(a.result.attempts[0].end, AttemptEnd::DeviceLost);
        assert_eq!(a.result.attempts[0].device, victim.serial);
    }
    for a in &r.apps {
        let judged = a.result.attempts.last().expect("an attempt");
        assert_eq!(
            judged.reset.as_deref(),
            Some("snapshot default_boot"),
            "{}",
            a.package()
        );
    }
    let bad = mismatches(&verdicts_of(&r));
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_the_batch_and_every_emulator() {
    let _one = ONE_AT_A_TIME.lock().await;
    let lab = lab().await;
    lab.avd("Lab_ctrlc", &[]);
    let apps = [
        "com.example.tidynotes",
        "com.example.quitter",
        "com.example.stayforever",
        "com.example.pushy",
    ];
    let (mut child, out) = lab.batch("Lab_ctrlc", 2, &apps, 5584, &[]);
    until_started(&out, &mut child);
    assert_eq!(standins("Lab_ctrlc").len(), 2);
    // Twice: abort the apps in flight too.
    signal(child.id(), "-INT");
    std::thread::sleep(Duration::from_millis(300));
    signal(child.id(), "-INT");
    let done = wait(child);
    assert_eq!(done.code, Some(130), "{}", done.stderr);
    assert_none_left("Lab_ctrlc");
    assert!(lab.records().is_empty(), "{:?}", lab.records());
    // The reports are still written.
    assert!(out.join("report.json").is_file());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_that_refuses_the_token_and_an_unknown_avd_are_clear_errors() {
    let _one = ONE_AT_A_TIME.lock().await;
    let lab = lab().await;
    lab.avd(
        "Lab_token",
        &["consentry.console_token=not-the-token-in-the-file"],
    );
    let (child, _) = lab.batch("Lab_token", 1, &["com.example.tidynotes"], 5594, &[]);
    let done = wait(child);
    assert_eq!(done.code, Some(2), "{}", done.stderr);
    assert!(
        done.stderr
            .contains(".emulator_console_auth_token was refused"),
        "{}",
        done.stderr
    );
    assert_none_left("Lab_token");
    let (child, _) = lab.batch("Lab_nosuch", 1, &["com.example.tidynotes"], 5594, &[]);
    let done = wait(child);
    assert_eq!(done.code, Some(2), "{}", done.stderr);
    assert!(
        done.stderr.contains("no AVD named `Lab_nosuch`") && done.stderr.contains("Lab_token"),
        "{}",
        done.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emulator_start_list_and_stop_by_hand() {
    let _one = ONE_AT_A_TIME.lock().await;
    let lab = lab().await;
    lab.avd("Lab_hand", &[]);
    let listed = run(lab.consentry(&["emulator", "list"]));
    assert_eq!(listed.code, Some(0), "{}", listed.stderr);
    assert!(
        listed.stdout.contains("AVDs: Lab_hand"),
        "{}",
        listed.stdout
    );
    assert!(
        listed.stdout.contains("acceleration: usable"),
        "{}",
        listed.stdout
    );
    assert!(listed.stdout.contains("running: none"), "{}", listed.stdout);
    let started = run(lab.consentry(&[
        "emulator",
        "start",
        "--avd",
        "Lab_hand",
        "-n",
        "1",
        "--emulator-port",
        "5604",
    ]));
    assert_eq!(started.code, Some(0), "{}", started.stderr);
    let serial = started.stdout.trim().to_string();
    assert!(serial.starts_with("emulator-56"), "{serial}");
    // It outlives the command, and adb has it.
    assert_eq!(standins("Lab_hand").len(), 1);
    lab.adb.wait_for_state(&serial, "device").await;
    let listed = run(lab.consentry(&["emulator", "list"]));
    assert!(
        listed
            .stdout
            .contains(&format!("{serial}  running  avd Lab_hand")),
        "{}",
        listed.stdout
    );
    let unknown = run(lab.consentry(&["emulator", "stop", "emulator-5998"]));
    assert_eq!(unknown.code, Some(2));
    assert!(unknown.stderr.contains(&serial), "{}", unknown.stderr);
    let stopped = run(lab.consentry(&["emulator", "stop", "--all"]));
    assert_eq!(stopped.code, Some(0), "{}", stopped.stderr);
    assert!(
        stopped.stdout.contains(&format!("{serial} stopped")),
        "{}",
        stopped.stdout
    );
    assert_none_left("Lab_hand");
    assert!(lab.records().is_empty());
}
