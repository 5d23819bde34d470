//! The scenario engine end to end: simulated devices (each release
//! profile) driven through Debian's real adb server, scenarios loaded by
//! the real loader, and the run directory read back. Every command kind
//! runs (the table below names each), permission-request events follow
//! each fixture's behaviour, exploration finds what it should and never
//! taps what it must not, crashes are evidence, secrets stay out of the
//! run directory, and faults (a dropped device, flaky and stalled dumps,
//! an app that never settles) end with a clear result instead of a hang.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::Adb;
use consentry::device::{AdbDevice, AdbServer, ServerAddr, Timeouts};
use consentry::engine::{self, Console, Events, RunOptions, SettleOptions};
use consentry::evidence::{DialogKind, Run, Status, StepStatus};
use consentry::scenario::Loader;
use consentry::sim::os::release::Release;
use consentry::sim::runner::{self, RunningSim, SimOptions};

/// No run may take longer than this: a hang fails the test.
const LIMIT: Duration = Duration::from_secs(240);

struct Rig {
    sim: RunningSim,
    adb: Adb,
    dev: AdbDevice,
    /// The simulator's other devices, when it has several.
    more: Vec<AdbDevice>,
    dir: tempfile::TempDir,
}

async fn rig(android: Release, time_scale: f64) -> Rig {
    rig_of(android, time_scale, 1).await
}

async fn rig_of(android: Release, time_scale: f64, devices: u16) -> Rig {
    let sim = runner::start(&SimOptions {
        apps: "fixtures/apps".into(),
        android,
        time_scale,
        devices,
        ..SimOptions::default()
    })
    .await
    .expect("simulator starts");
    let adb = Adb::start().await;
    let server = AdbServer::new(ServerAddr {
        host: "127.0.0.1".into(),
        port: adb.port,
    });
    let timeouts = Timeouts {
        ui_dump: Duration::from_secs(3),
        ..Timeouts::default()
    };
    let mut devs = Vec::new();
    for d in sim.devices.iter() {
        adb.connect(&d.serial, "device").await;
        let dev = AdbDevice::open(server.clone(), &d.serial, timeouts)
            .await
            .expect("device opens");
        devs.push(dev);
    }
    let dev = devs.remove(0);
    Rig {
        sim,
        adb,
        dev,
        more: devs,
        dir: tempfile::tempdir().expect("tempdir"),
    }
}

impl Rig {
    fn options(&self, package: &str, out: &str) -> RunOptions {
        let mut o = RunOptions::new(self.dir.path().join(out), package.to_string());
        o.find_timeout = Duration::from_secs(4);
        o.settle = SettleOptions {
            timeout: Duration::from_secs(4),
            change_window: Duration::from_millis(600),
        };
        o.time_scale = 60.0;
        o
    }

    /// Runs a scenario file with `opts`.
    async fn run_file(&self, file: &Path, opts: &RunOptions) -> Run {
        self.run_file_on(&self.dev, file, opts).await
    }

    /// Runs a scenario file with `opts` on `dev`, one of the rig's devices.
    async fn run_file_on(&self, dev: &AdbDevice, file: &Path, opts: &RunOptions) -> Run {
        let mut loader = Loader::new(opts.env.clone());
        loader.load_paths(&[file.to_path_buf()]);
        let report = loader.finish();
        assert!(report.is_ok(), "{:?}", report.diagnostics);
        let main = report
            .scenarios
            .keys()
            .find(|k| k.ends_with(file.file_name().expect("name")))
            .cloned()
            .expect("the scenario is loaded");
        let scenario = &report.scenarios[&main];
        let console = Console {
            quiet: true,
            ..Console::default()
        };
        tokio::time::timeout(
            LIMIT,
            engine::run(
                dev,
                scenario,
                &report.scenarios,
                opts,
                &console,
                &Events::none(),
            ),
        )
        .await
        .unwrap_or_else(|_| panic!("{} did not finish within {LIMIT:?}", file.display()))
        .expect("the run directory is written")
    }

    /// Runs scenario text.
    async fn run(&self, name: &str, yaml: &str, opts: &RunOptions) -> Run {
        let file = self.dir.path().join(format!("{name}.yaml"));
        std::fs::write(&file, yaml).expect("write scenario");
        self.run_file(&file, opts).await
    }
}

fn run_json(opts: &RunOptions) -> serde_json::Value {
    let text = std::fs::read_to_string(opts.out.join("run.json")).expect("run.json is written");
    serde_json::from_str(&text).expect("run.json is JSON")
}

fn failed_steps(run: &Run) -> Vec<String> {
    run.steps
        .iter()
        .filter(|s| s.status == StepStatus::Failed)
        .map(|s| format!("{} {}: {}", s.at, s.title, s.error.as_deref().unwrap_or("")))
        .collect()
}

/// Every file under `dir`, with its bytes.
fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                todo.push(p);
            } else {
                let bytes = std::fs::read(&p).expect("read file");
                out.push((p, bytes));
            }
        }
    }
    out
}

/// Every command kind the scenario language has, and a scenario line that
/// runs it on tidynotes. The test checks that the run used each one.
const EVERY_COMMAND: &[(&str, &str)] = &[
    (
        "launchApp",
        "- launchApp: {clearState: true, permissions: {camera: deny}, arguments: {source: test}}",
    ),
    (
        "extendedWaitUntil",
        "- extendedWaitUntil: {visible: \"同意 Agree\", timeout: 10s}",
    ),
    ("assertVisible", "- assertVisible: \"同意 Agree\""),
    ("takeScreenshot", "- takeScreenshot: consent"),
    (
        "snapshot",
        "- snapshot: [appops, package, exit-info, activity, screenshot, ui-tree]",
    ),
    ("tapOn", "- tapOn: {text: \"同意 Agree\", label: agree}"),
    ("mark", "- mark: consented"),
    ("denyPermissions", "- denyPermissions: {only: [camera]}"),
    ("doubleTapOn", "- doubleTapOn: \"My notes\""),
    ("longPressOn", "- longPressOn: \"My notes\""),
    (
        "runFlow",
        "- runFlow: {when: {visible: \"New note\"}, commands: [{tapOn: \"New note\"}]}",
    ),
    ("inputText", "- inputText: \"hello ${NAME}\""),
    ("eraseText", "- eraseText: 3"),
    ("hideKeyboard", "- hideKeyboard"),
    ("back", "- back"),
    ("assertNotVisible", "- assertNotVisible: Save"),
    ("scroll", "- scroll"),
    ("swipe", "- swipe: {direction: LEFT}"),
    (
        "scrollUntilVisible",
        "- scrollUntilVisible: {element: Scan, direction: DOWN}",
    ),
    (
        "repeat",
        "- repeat: {times: 2, commands: [{tapOn: Scan}, {back: {}}]}",
    ),
    (
        "retry",
        "- retry: {maxRetries: 1, commands: [{assertVisible: Scan}]}",
    ),
    (
        "waitForAnimationToEnd",
        "- waitForAnimationToEnd: {timeout: 5s}",
    ),
    ("idle", "- idle: 30s"),
    ("pressKey", "- pressKey: Enter"),
    ("allowPermissions", "- allowPermissions"),
    (
        "expect",
        "- expect: {appRunning: true, appInForeground: true, noLogcat: \"FATAL EXCEPTION\", visible: Scan}",
    ),
    (
        "explore",
        "- explore: {find: \"Delete account\", maxDepth: 4, maxTaps: 12}",
    ),
    ("openLink", "- openLink: \"https://example.com/privacy\""),
    ("stopApp", "- stopApp"),
    ("killApp", "- killApp"),
    ("clearState", "- clearState"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_kind_runs_on_android_9() {
    every_command_kind_runs(Release::Android9).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_kind_runs_on_android_11() {
    every_command_kind_runs(Release::Android11).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_kind_runs_on_android_14() {
    every_command_kind_runs(Release::Android14).await;
}

async fn every_command_kind_runs(android: Release) {
    let rig = rig(android, 60.0).await;
    let mut yaml = String::from(
        "appId: com.example.tidynotes\nname: every command\nenv:\n  NAME: world\nonFlowStart:\n  - mark: flow-start\nonFlowComplete:\n  - mark: flow-complete\n---\n",
    );
    for (_, line) in EVERY_COMMAND {
        yaml.push_str(line);
        yaml.push('\n');
    }
    let opts = rig.options("com.example.tidynotes", "every");
    let run = rig.run("every", &yaml, &opts).await;
    assert_eq!(
        run.result.status,
        Status::Passed,
        "{:?}",
        failed_steps(&run)
    );
    let used: BTreeSet<&str> = run.steps.iter().map(|s| s.command.as_str()).collect();
    for (name, _) in EVERY_COMMAND {
        assert!(used.contains(name), "{name} did not run: {used:?}");
    }
    // The table covers the language: every command validate accepts.
    let known: BTreeSet<&str> = consentry::scenario::raw::COMMAND_NAMES
        .iter()
        .copied()
        .collect();
    let table: BTreeSet<&str> = EVERY_COMMAND.iter().map(|(n, _)| *n).collect();
    assert_eq!(known, table, "the table must name every command kind");
    // What the commands left behind.
    let marks: Vec<&str> = run.marks.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(marks, ["flow-start", "consented", "flow-complete"]);
    assert!(
        run.permission_changes
            .iter()
            .any(|c| c.permission == "android.permission.CAMERA" && c.action == "revoke" && c.ok),
        "{:?}",
        run.permission_changes
    );
    let camera: Vec<_> = run
        .dialogs
        .iter()
        .filter(|d| d.kind == DialogKind::Permission)
        .collect();
    assert!(!camera.is_empty(), "Scan asks for the camera");
    assert_eq!(camera[0].answer, "deny", "denyPermissions applies");
    assert!(
        camera[0].user_triggered,
        "the camera was asked after a tap on Scan"
    );
    assert!(
        run.expectations.iter().all(|e| e.passed),
        "{:?}",
        run.expectations
    );
    assert_eq!(run.expectations.len(), 4);
    let ex = &run.explorations[0];
    assert!(ex.found && ex.depth == Some(3), "{ex:?}");
    let kinds: BTreeSet<&str> = run.snapshots.iter().map(|s| s.kind.as_str()).collect();
    assert!(kinds.is_superset(&["appops", "package", "exit-info", "activity"].into()));
    for s in &run.snapshots {
        let raw = std::fs::read_to_string(opts.out.join(&s.file)).expect("snapshot file");
        assert!(!raw.trim().is_empty(), "{} is empty", s.file);
    }
    assert!(run.artifacts.iter().any(|a| a.reason == "request-consent"));
    let json = run_json(&opts);
    assert_eq!(json["version"], 1);
    assert!(
        std::fs::metadata(opts.out.join("logcat.txt"))
            .expect("logcat")
            .len()
            > 0
    );
    let logcat = std::fs::read_to_string(opts.out.join("logcat.txt")).expect("logcat");
    assert!(logcat.contains("CONSENTRY") && logcat.contains("consented"));
    drop(rig.sim);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permission_events_follow_each_fixture() {
    let rig = rig(Release::Android14, 60.0).await;
    let consent = "- runFlow: {when: {visible: \"同意 Agree|Agree\"}, commands: [{tapOn: \"同意 Agree|Agree\"}]}\n";
    // gatekeeper asks for four permissions in one request at cold start,
    // by itself; denied, it quits.
    let opts = rig.options("com.example.gatekeeper", "gatekeeper");
    let run = rig
        .run(
            "gatekeeper",
            "appId: com.example.gatekeeper\nsetup: {install: clear, permissions: denied}\n---\n- launchApp\n- idle: 10s\n",
            &opts,
        )
        .await;
    let asked: Vec<_> = run
        .dialogs
        .iter()
        .filter(|d| d.kind == DialogKind::Permission)
        .collect();
    assert!(!asked.is_empty(), "{:?}", run.dialogs);
    assert!(
        asked
            .iter()
            .all(|d| !d.user_triggered && d.answer == "deny" && d.by == "default")
    );
    assert!(
        asked
            .iter()
            .any(|d| d.permission.as_deref() == Some("LOCATION"))
    );
    // nagbox asks for the camera on a tap, then again on every screen
    // change after a denial.
    let opts = rig.options("com.example.nagbox", "nagbox");
    let run = rig
        .run(
            "nagbox",
            "appId: com.example.nagbox\nsetup: {install: clear, permissions: denied}\n---\n- launchApp\n- tapOn: Take photo\n- tapOn: Discover\n- tapOn: Back\n",
            &opts,
        )
        .await;
    assert_eq!(
        run.result.status,
        Status::Passed,
        "{:?}",
        failed_steps(&run)
    );
    let cams: Vec<_> = run
        .dialogs
        .iter()
        .filter(|d| d.permission.as_deref() == Some("CAMERA"))
        .collect();
    assert!(
        cams.len() >= 2,
        "asked again after the denial: {:?}",
        run.dialogs
    );
    assert!(
        cams[0].user_triggered,
        "the first ask follows the tap on Take photo"
    );
    // tidynotes asks nothing until Scan is tapped.
    let opts = rig.options("com.example.tidynotes", "tidy");
    let run = rig
        .run(
            "tidy",
            &format!("appId: com.example.tidynotes\nsetup: {{install: clear, permissions: denied}}\n---\n- launchApp\n{consent}- idle: 10s\n- tapOn: Scan\n"),
            &opts,
        )
        .await;
    let first = run
        .dialogs
        .iter()
        .position(|d| d.kind == DialogKind::Permission)
        .expect("Scan asks for the camera");
    let tap = run
        .steps
        .iter()
        .find(|s| s.title.contains("Scan"))
        .expect("the Scan step");
    assert_eq!(run.dialogs[first].step, Some(tap.index));
    assert!(run.dialogs[first].user_triggered);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exploration_finds_deletion_at_its_depth_and_never_taps_avoided_entries() {
    let rig = rig(Release::Android14, 60.0).await;
    let scenario = |pkg: &str| {
        format!(
            "appId: {pkg}\n---\n- launchApp: {{clearState: true}}\n- runFlow: {{when: {{visible: \"同意 Agree|Agree\"}}, commands: [{{tapOn: \"同意 Agree|Agree\"}}]}}\n- explore: {{find: \"Delete account|Submit deletion request\", avoid: \"Log out\", maxDepth: 8, maxTaps: 40, timeout: 3m, optional: true}}\n"
        )
    };
    for (pkg, depth) in [
        ("com.example.tidynotes", Some(3)),
        ("com.example.mazeaccount", Some(7)),
        ("com.example.stayforever", None),
    ] {
        let opts = rig.options(pkg, pkg);
        let run = rig.run(pkg, &scenario(pkg), &opts).await;
        assert_eq!(
            run.result.status,
            Status::Passed,
            "{pkg}: {:?}",
            failed_steps(&run)
        );
        let ex = &run.explorations[0];
        eprintln!(
            "{pkg}: {} depth {:?}, {} taps, {} screens, {} dumps",
            ex.stopped,
            ex.depth,
            ex.taps,
            ex.screens.len(),
            run.counters.ui_dumps
        );
        assert_eq!(ex.depth, depth, "{pkg}: {ex:#?}");
        assert_eq!(ex.found, depth.is_some());
        // A target not found fails the step (here optional).
        assert_eq!(
            run.steps[ex.step].status,
            if ex.found {
                StepStatus::Passed
            } else {
                StepStatus::FailedOptional
            },
            "{pkg}"
        );
        for t in &ex.tapped {
            assert!(!t.text.contains("Log out"), "{pkg}: tapped {t:?}");
        }
        if let Some(d) = depth {
            assert_eq!(ex.path.len(), d as usize);
            assert!(
                ex.taps <= 2 * d,
                "{pkg}: {} taps for depth {d} (goal: at most twice the depth)",
                ex.taps
            );
            let flow = ex.flow.as_ref().expect("the path is saved");
            let text = std::fs::read_to_string(opts.out.join(flow)).expect("flow file");
            let check = consentry::scenario::load_str(
                Path::new("explore.yaml"),
                &text,
                &std::collections::BTreeMap::new(),
            );
            assert!(check.is_ok(), "the saved path is a valid scenario: {text}");
        } else {
            assert!(ex.screens.len() >= 3, "{pkg}: {:?}", ex.screens);
        }
        if pkg == "com.example.mazeaccount" {
            let texts: Vec<&String> = ex.screens.iter().flat_map(|s| &s.texts).collect();
            assert!(texts.iter().any(|t| t.contains("ID card")), "{texts:?}");
            assert!(texts.iter().any(|t| t.contains("15-30 working days")));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_is_evidence_and_a_secret_never_reaches_the_run_directory() {
    let rig = rig(Release::Android11, 60.0).await;
    let opts = rig.options("com.example.crashy", "crashy");
    let run = rig
        .run(
            "crashy",
            "appId: com.example.crashy\n---\n- launchApp: {clearState: true}\n- tapOn: Agree\n- tapOn: Settings\n- mark: after-crash\n",
            &opts,
        )
        .await;
    assert_eq!(
        run.result.status,
        Status::Passed,
        "{:?}",
        failed_steps(&run)
    );
    let crash = run
        .dialogs
        .iter()
        .find(|d| d.kind == DialogKind::Crash)
        .expect("the crash dialog is recorded");
    assert_eq!(crash.answer, "close");
    assert_eq!(crash.package, "com.example.crashy");
    let shot = crash.screenshot.as_ref().expect("a screenshot of it");
    assert!(opts.out.join(shot).is_file());
    let logcat = std::fs::read_to_string(opts.out.join("logcat.txt")).expect("logcat");
    assert!(logcat.contains("FATAL EXCEPTION"));

    let secret = "hunter2 s3cret!";
    let mut opts = rig.options("com.example.tidynotes", "secret");
    opts.env.insert("SECRET_PASSWORD".into(), secret.into());
    let run = rig
        .run(
            "secret",
            "appId: com.example.tidynotes\n---\n- launchApp: {clearState: true}\n- tapOn: \"同意 Agree\"\n- tapOn: New note\n- inputText: ${SECRET_PASSWORD}\n- mark: typed\n- takeScreenshot: typed\n- assertVisible: nothing-like-this\n",
            &opts,
        )
        .await;
    assert_eq!(
        run.result.status,
        Status::Failed,
        "the last step fails on purpose"
    );
    let typed = run
        .steps
        .iter()
        .find(|s| s.command == "inputText")
        .expect("the inputText step");
    assert!(typed.title.contains("••••"), "{}", typed.title);
    let all = files(&opts.out);
    assert!(all.len() > 5);
    for (path, bytes) in &all {
        for form in [secret.to_string(), secret.replace(' ', "%s")] {
            assert!(
                !bytes.windows(form.len()).any(|w| w == form.as_bytes()),
                "{} holds the secret",
                path.display()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_end_with_a_result_not_a_hang() {
    let rig = rig(Release::Android14, 60.0).await;
    // Flaky dumps are survived.
    rig.sim.devices[0].device.set_uiautomator_failure_rate(0.5);
    let opts = rig.options("com.example.tidynotes", "flaky");
    let nav = "appId: com.example.tidynotes\n---\n- launchApp: {clearState: true}\n- tapOn: \"同意 Agree\"\n- tapOn: Me\n- tapOn: Settings\n- back\n- assertVisible: Settings\n";
    let run = rig.run("flaky", nav, &opts).await;
    assert_eq!(
        run.result.status,
        Status::Passed,
        "{:?}",
        failed_steps(&run)
    );
    assert!(run.counters.dump_retries > 0, "{:?}", run.counters);
    rig.sim.devices[0].device.set_uiautomator_failure_rate(0.0);

    // A stalled dump times out and is taken again.
    let device = std::sync::Arc::clone(&rig.sim.devices[0].device);
    device.set_stall(Some("uiautomator".into()));
    let unstall = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(4)).await;
        device.set_stall(None);
    });
    let opts = rig.options("com.example.tidynotes", "stalled");
    let run = rig.run("stalled", nav, &opts).await;
    unstall.await.expect("unstall");
    assert_eq!(
        run.result.status,
        Status::Passed,
        "{:?}",
        failed_steps(&run)
    );
    assert!(run.counters.dump_retries > 0, "{:?}", run.counters);

    // An app that never settles: a clear timeout.
    let opts = rig.options("com.example.spinner", "spinner");
    let run = rig
        .run(
            "spinner",
            "appId: com.example.spinner\n---\n- launchApp\n- waitForAnimationToEnd: {timeout: 3s}\n",
            &opts,
        )
        .await;
    assert_eq!(run.result.status, Status::Failed);
    let f = run.result.failure.as_ref().expect("a failure");
    assert!(
        f.message.contains("still changing after 3"),
        "{}",
        f.message
    );
    assert_eq!(f.timeout_ms, Some(3000));

    // The device dropped mid-scenario: an error result, a run directory.
    let control = rig.sim.devices[0].server.control.clone();
    let opts = rig.options("com.example.tidynotes", "dropped");
    let drop_soon = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        control.set_online(false);
    });
    let run = rig
        .run(
            "dropped",
            "appId: com.example.tidynotes\n---\n- launchApp: {clearState: true}\n- tapOn: \"同意 Agree\"\n- idle: 5m\n- tapOn: Me\n",
            &opts,
        )
        .await;
    drop_soon.await.expect("drop");
    assert_eq!(run.result.status, Status::Error, "{:?}", run.result);
    assert!(opts.out.join("run.json").is_file());
    let json = run_json(&opts);
    assert_eq!(json["result"]["status"], "error");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denial_for_good_on_each_release() {
    for android in [Release::Android9, Release::Android11, Release::Android14] {
        let rig = rig(android, 60.0).await;
        let opts = rig.options("com.example.nagbox", "nag");
        let run = rig
            .run(
                "nag",
                "appId: com.example.nagbox\nsetup: {install: clear, permissions: denied}\n---\n- launchApp\n- denyPermissions: {dontAskAgain: true}\n- tapOn: Take photo\n- tapOn: Take photo\n- tapOn: Take photo\n- snapshot: [package]\n",
                &opts,
            )
            .await;
        assert_eq!(
            run.result.status,
            Status::Passed,
            "{android:?}: {:?}",
            failed_steps(&run)
        );
        let answers: Vec<&str> = run
            .dialogs
            .iter()
            .filter(|d| d.kind == DialogKind::Permission)
            .map(|d| d.answer.as_str())
            .collect();
        assert!(
            !answers.is_empty() && answers.iter().all(|a| *a == "deny-forever"),
            "{android:?}: {answers:?}"
        );
        // Once fixed, the system stops showing the dialog: fewer dialogs
        // than taps.
        assert!(answers.len() < 3, "{android:?}: {answers:?}");
        let pkg = run
            .snapshots
            .iter()
            .rev()
            .find(|s| s.kind == "package")
            .expect("package snapshot");
        let raw = std::fs::read_to_string(opts.out.join(&pkg.file)).expect("raw");
        assert!(raw.contains("USER_FIXED"), "{android:?}: {raw}");
    }
}

#[test]
fn the_cli_runs_a_scenario_and_prints_a_transcript() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let rig = rig(Release::Android14, 60.0).await;
        let serial = rig.sim.devices[0].serial.clone();
        let out = rig.dir.path().join("cli");
        let events = rig.dir.path().join("events.jsonl");
        let file = rig.dir.path().join("nav.yaml");
        std::fs::write(
            &file,
            "appId: com.example.tidynotes\n---\n- launchApp: {clearState: true}\n- tapOn: \"同意 Agree\"\n- tapOn: Me\n- tapOn: Setings\n",
        )
        .expect("write");
        let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_consentry"))
            .args(["run", &file.display().to_string(), "--app", "com.example.tidynotes"])
            .args(["--device", &serial, "--adb-server", &format!("127.0.0.1:{}", rig.adb.port)])
            .args(["--out", &out.display().to_string(), "--events", &events.display().to_string()])
            .args(["--find-timeout", "2", "--color", "never"])
            .env_remove("ANDROID_SERIAL")
            .output()
            .await
            .expect("consentry runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(3), "a failed step exits 3: {stdout}");
        assert!(stdout.contains("✓ tapOn text \"Me\""), "{stdout}");
        assert!(stdout.contains("✗ tapOn text \"Setings\""), "{stdout}");
        assert!(stdout.contains("did you mean \"Settings\"?"), "{stdout}");
        assert!(stdout.contains("nav.yaml:6:3"), "the failure names file:line:col: {stdout}");
        assert!(out.join("run.json").is_file());
        let lines: Vec<serde_json::Value> = std::fs::read_to_string(&events)
            .expect("events")
            .lines()
            .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
            .collect();
        assert_eq!(lines.first().map(|e| e["event"].clone()), Some("run-started".into()));
        assert_eq!(lines.last().map(|e| e["event"].clone()), Some("run-finished".into()));
        assert!(lines.iter().filter(|e| e["event"] == "step-finished").count() >= 4);
    });
}

/// The example scenarios on every fixture app of one release: each run
/// ends with a result (never a hang or a tool error), writes a run.json
/// that the evidence schema accepts, and a failed step names its place.
/// On tidynotes, which has every screen the examples expect, all pass.
async fn examples_on_every_fixture_app(android: Release) {
    // Two devices share the apps: most of a run is waiting on the device.
    let rig = rig_of(android, 60.0, 2).await;
    let schema: serde_json::Value =
        serde_json::from_str(&consentry::evidence::schema_json()).expect("schema");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let mut apps: Vec<String> = std::fs::read_dir("fixtures/apps")
        .expect("fixtures")
        .filter_map(|e| {
            let p = e.ok()?.path();
            (p.extension()? == "yaml").then(|| {
                let text = std::fs::read_to_string(&p).ok()?;
                let line = text.lines().find(|l| l.starts_with("package:"))?;
                Some(line.trim_start_matches("package:").trim().to_string())
            })?
        })
        .collect();
    apps.sort();
    assert!(apps.len() >= 11, "{apps:?}");
    let mut examples: Vec<PathBuf> = std::fs::read_dir("scenarios/examples")
        .expect("examples")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    examples.sort();
    assert_eq!(examples.len(), 4);
    let share = |dev: &AdbDevice, which: usize| {
        let (apps, examples, rig, validator) = (&apps, &examples, &rig, &validator);
        let dev = dev.clone();
        async move {
            let mut summary = Vec::new();
            for app in apps.iter().skip(which).step_by(2) {
                for ex in examples {
                    let stem = ex.file_stem().expect("stem").to_string_lossy().to_string();
                    let mut opts = rig.options(app, &format!("{app}-{stem}"));
                    opts.env
                        .insert("SECRET_PASSWORD".into(), "pw-of-the-test".into());
                    let run = rig.run_file_on(&dev, ex, &opts).await;
                    let json = run_json(&opts);
                    let errors: Vec<String> = validator
                        .iter_errors(&json)
                        .map(|e| e.to_string())
                        .collect();
                    assert!(errors.is_empty(), "{app} {stem}: {errors:?}");
                    assert_ne!(
                        run.result.status,
                        Status::Error,
                        "{android:?} {app} {stem}: {:?}",
                        run.result
                    );
                    if let Some(f) = &run.result.failure {
                        let at = f.at.as_deref().expect("a failed step names its place");
                        assert!(at.contains(".yaml:"), "{at}");
                    }
                    if app == "com.example.tidynotes" {
                        assert_eq!(
                            run.result.status,
                            Status::Passed,
                            "{android:?} {stem}: {:?}",
                            failed_steps(&run)
                        );
                    }
                    summary.push(format!("{app} {stem}: {:?}", run.result.status));
                }
            }
            summary
        }
    };
    let (a, b) = tokio::join!(share(&rig.dev, 0), share(&rig.more[0], 1));
    assert_eq!(a.len() + b.len(), apps.len() * examples.len());
    eprintln!("{android:?}:\n{}\n{}", a.join("\n"), b.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn examples_on_every_fixture_app_android_9() {
    examples_on_every_fixture_app(Release::Android9).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn examples_on_every_fixture_app_android_11() {
    examples_on_every_fixture_app(Release::Android11).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn examples_on_every_fixture_app_android_14() {
    examples_on_every_fixture_app(Release::Android14).await;
}

/// Image selectors through `vision`: a template cut from the device's own
/// screenshot (and the same one shrunk, as if cut on a device of another
/// density) is tapped, asserted, waited for and matched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn image_commands_tap_and_assert_through_vision() {
    let rig = rig(Release::Android14, 60.0).await;
    let opts = rig.options("com.example.tidynotes", "home");
    let run = rig
        .run(
            "home",
            "appId: com.example.tidynotes\n---\n- launchApp: {clearState: true}\n- tapOn: \"同意 Agree\"\n- takeScreenshot: home\n",
            &opts,
        )
        .await;
    assert_eq!(
        run.result.status,
        Status::Passed,
        "{:?}",
        failed_steps(&run)
    );
    let png = run
        .artifacts
        .iter()
        .find(|a| a.reason == "request-home" && a.kind == "screenshot")
        .expect("the home screenshot");
    let xml =
        std::fs::read_to_string(opts.out.join(png.file.replace(".png", ".xml"))).expect("its dump");
    let tree = consentry::android::uiautomator::parse(&xml).expect("dump parses");
    let me = tree
        .nodes()
        .into_iter()
        .find(|n| n.text == "Me")
        .and_then(|n| n.bounds)
        .expect("the Me button");
    let shot = image::open(opts.out.join(&png.file))
        .expect("screenshot")
        .to_rgba8();
    let crop = |b: consentry::android::uiautomator::Bounds| {
        image::imageops::crop_imm(
            &shot,
            u32::try_from(b.left).expect("x"),
            u32::try_from(b.top).expect("y"),
            u32::try_from(b.right - b.left).expect("w"),
            u32::try_from(b.bottom - b.top).expect("h"),
        )
        .to_image()
    };
    let icon = crop(me);
    icon.save(rig.dir.path().join("me.png")).expect("save");
    let small = image::imageops::resize(
        &icon,
        icon.width() * 3 / 4,
        icon.height() * 3 / 4,
        image::imageops::FilterType::Triangle,
    );
    small
        .save(rig.dir.path().join("me-small.png"))
        .expect("save");
    let opts = rig.options("com.example.tidynotes", "images");
    let run = rig
        .run(
            "images",
            "appId: com.example.tidynotes\n---\n- launchApp\n- assertVisible: {image: me-small.png}\n- expect: {screenshotMatching: me.png}\n- tapOn: {image: me.png}\n- assertVisible: Settings\n- assertNotVisible: {image: me.png}\n- expect: {screenshotNotMatching: me.png}\n- back\n- extendedWaitUntil: {visible: {image: me.png, threshold: 0.95}, timeout: 5s}\n",
            &opts,
        )
        .await;
    assert_eq!(
        run.result.status,
        Status::Passed,
        "{:?}",
        failed_steps(&run)
    );
    assert!(
        run.expectations.iter().all(|e| e.passed),
        "{:?}",
        run.expectations
    );
    assert_eq!(run.expectations.len(), 2);
}

/// The scenario language's screen-understanding keys on one simulator:
/// `role` selectors, `explore` towards a target kind and as a crawl (also
/// through a crash), `runFlow.when.env`, and pass G surviving
/// `launchApp: {clearState: true}`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_goals_env_conditions_and_the_pass_after_a_clear() {
    let rig = rig(Release::Android14, 60.0).await;

    // `role: refuse` is tidynotes' "不同意 Disagree": basic mode follows.
    let opts = rig.options("com.example.tidynotes", "refuse");
    let run = rig
        .run(
            "refuse",
            "appId: com.example.tidynotes\n---\n- launchApp: {clearState: true}\n- assertVisible: {role: refuse, text: \"不同意 Disagree\"}\n- assertVisible: {role: agree, text: \"同意 Agree\"}\n- tapOn: {role: refuse}\n- assertVisible: \"Basic mode.*\"\n- assertNotVisible: {role: refuse}\n",
            &opts,
        )
        .await;
    assert_eq!(
        run.result.status,
        Status::Passed,
        "{:?}",
        failed_steps(&run)
    );
    let tap = run
        .steps
        .iter()
        .find(|s| s.command == "tapOn")
        .expect("the tap");
    assert_eq!(tap.title, "tapOn role refuse");

    // Towards a deletion entry, then (from home again) a personalisation
    // switch: each found by the wording data, the device left on it.
    let opts = rig.options("com.example.tidynotes", "targets");
    let run = rig
        .run(
            "targets",
            "appId: com.example.tidynotes\n---\n- launchApp: {clearState: true}\n- tapOn: {role: agree}\n- explore: {target: deletion-entry, maxDepth: 5, maxTaps: 30}\n- assertVisible: {role: deletion-entry, text: \"Delete account\"}\n- launchApp\n- explore: {target: personalisation-switch, maxDepth: 5, maxTaps: 30}\n- assertVisible: {role: personalisation-switch, checked: false}\n",
            &opts,
        )
        .await;
    assert_eq!(
        run.result.status,
        Status::Passed,
        "{:?}",
        failed_steps(&run)
    );
    let [deletion, switch] = &run.explorations[..] else {
        panic!("two explorations: {:?}", run.explorations);
    };
    assert_eq!(
        (
            deletion.goal.as_str(),
            deletion.find.as_str(),
            deletion.found
        ),
        ("deletion-entry", "", true)
    );
    assert_eq!(deletion.target.as_deref(), Some("Delete account"));
    assert_eq!(deletion.depth, Some(3), "{deletion:#?}");
    assert_eq!(deletion.target_checked, None);
    let tree = deletion.target_tree.as_ref().expect("the target's screen");
    let xml = std::fs::read_to_string(opts.out.join(tree)).expect("its tree");
    assert!(xml.contains("Delete account"), "{tree}");
    assert!(deletion.tapped.iter().all(|t| t.t_ms.is_some()));
    assert!(deletion.screens.iter().all(|s| s.t_ms.is_some()));
    assert!(deletion.tapped.iter().all(|t| t.text != "Log out"));
    assert_eq!(
        (switch.goal.as_str(), switch.target.as_deref()),
        (
            "personalisation-switch",
            Some("Personalised recommendations")
        )
    );
    assert_eq!(
        (switch.depth, switch.target_checked),
        (Some(2), Some(false))
    );
    assert!(
        switch
            .tapped
            .iter()
            .all(|t| t.text != "Personalised recommendations"),
        "the target is never tapped"
    );
    assert_eq!(run.time_scale, Some(60.0));
    let json = run_json(&opts);
    assert_eq!(json["explorations"][0]["goal"], "deletion-entry");
    assert_eq!(json["explorations"][1]["target_checked"], false);

    // A crawl has nothing to miss: it stops when every screen is seen, and
    // it leaves the deletion entry alone.
    let opts = rig.options("com.example.pushy", "crawl");
    let run = rig
        .run(
            "crawl",
            "appId: com.example.pushy\n---\n- launchApp: {clearState: true}\n- tapOn: {role: agree}\n- explore: {maxDepth: 2, maxTaps: 20}\n",
            &opts,
        )
        .await;
    assert_eq!(
        run.result.status,
        Status::Passed,
        "{:?}",
        failed_steps(&run)
    );
    let crawl = &run.explorations[0];
    assert_eq!(
        (crawl.goal.as_str(), crawl.found, crawl.stopped.as_str()),
        ("crawl", false, "exhausted"),
        "{crawl:#?}"
    );
    assert!(crawl.screens.len() >= 2, "{:?}", crawl.screens);
    assert!(crawl.tapped.iter().all(|t| t.text != "Delete account"));
    let step = &run.steps[crawl.step];
    assert_eq!(step.status, StepStatus::Passed);

    // A target that is not there fails the step; `optional` keeps going.
    let opts = rig.options("com.example.pushy", "missing");
    let run = rig
        .run(
            "missing",
            "appId: com.example.pushy\n---\n- launchApp\n- explore: {target: personalisation-switch, maxDepth: 3, maxTaps: 10, optional: true}\n- explore: {find: \"No such thing\", maxDepth: 1, maxTaps: 3}\n",
            &opts,
        )
        .await;
    assert_eq!(run.result.status, Status::Failed);
    let statuses: Vec<StepStatus> = run
        .steps
        .iter()
        .filter(|s| s.command == "explore")
        .map(|s| s.status)
        .collect();
    assert_eq!(statuses, [StepStatus::FailedOptional, StepStatus::Failed]);
    assert!(run.explorations.iter().all(|e| !e.found));
    let f = run.result.failure.as_ref().expect("a failure");
    assert!(
        f.message.contains("explore found no text matching"),
        "{}",
        f.message
    );

    // A crash during a crawl: the dialog is evidence with the explore's
    // step, the tap that led out is recorded, the app is relaunched.
    let opts = rig.options("com.example.crashy", "crashy-crawl");
    let run = rig
        .run(
            "crashy-crawl",
            "appId: com.example.crashy\n---\n- launchApp: {clearState: true}\n- tapOn: {role: agree}\n- explore: {maxDepth: 3, maxTaps: 10}\n",
            &opts,
        )
        .await;
    assert_eq!(
        run.result.status,
        Status::Passed,
        "{:?}",
        failed_steps(&run)
    );
    let crawl = &run.explorations[0];
    eprintln!("crashy crawl: {crawl:#?}");
    let crash = run
        .dialogs
        .iter()
        .find(|d| d.kind == DialogKind::Crash)
        .expect("the crash dialog");
    assert_eq!(crash.step, Some(crawl.step));
    assert!(crash.user_triggered, "the crawl tapped Settings");
    assert_eq!(crawl.left_app.len(), 1, "{crawl:#?}");
    assert!(crawl.left_app[0].crashed && crawl.left_app[0].tap == "Settings");
    assert!(
        crawl.relaunches >= 1 || crawl.stopped == "lost",
        "{crawl:#?}"
    );

    // `runFlow.when.env`: only with a non-empty value.
    let flow = "appId: com.example.tidynotes\n---\n- runFlow: {when: {env: USERNAME}, commands: [{snapshot: [package]}]}\n";
    for (value, ran) in [(None, false), (Some(""), false), (Some("x"), true)] {
        let mut opts = rig.options("com.example.tidynotes", "env");
        if let Some(v) = value {
            opts.env.insert("USERNAME".into(), v.into());
        }
        opts.out = rig
            .dir
            .path()
            .join(format!("env-{}", value.unwrap_or("none")));
        let run = rig.run("env", flow, &opts).await;
        assert_eq!(
            run.result.status,
            Status::Passed,
            "{:?}",
            failed_steps(&run)
        );
        assert_eq!(
            run.steps[0].status,
            if ran {
                StepStatus::Passed
            } else {
                StepStatus::Skipped
            },
            "USERNAME={value:?}"
        );
        assert_eq!(run.steps.len(), if ran { 2 } else { 1 }, "{:?}", run.steps);
    }

    // Pass G after `pm clear`: eagerfeed's launch-time ops are allowed.
    let opts = rig.options("com.example.eagerfeed", "eager-g");
    let run = rig
        .run(
            "eager-g",
            "appId: com.example.eagerfeed\nsetup: {permissions: granted}\n---\n- launchApp: {clearState: true}\n- snapshot: [appops]\n- clearState\n- snapshot: [package]\n",
            &opts,
        )
        .await;
    assert_eq!(
        run.result.status,
        Status::Passed,
        "{:?}",
        failed_steps(&run)
    );
    let launch = run
        .steps
        .iter()
        .find(|s| s.command == "launchApp")
        .expect("launchApp");
    let regranted: BTreeSet<&str> = run
        .permission_changes
        .iter()
        .filter(|c| c.step == Some(launch.index) && c.action == "grant" && c.ok)
        .map(|c| c.permission.as_str())
        .collect();
    assert!(
        regranted.contains("android.permission.READ_PHONE_STATE")
            && regranted.contains("android.permission.ACCESS_FINE_LOCATION"),
        "{:?}",
        run.permission_changes
    );
    let appops = run
        .snapshots
        .iter()
        .find(|s| s.kind == "appops" && s.reason == "step")
        .expect("the appops snapshot");
    let raw = std::fs::read_to_string(opts.out.join(&appops.file)).expect("raw appops");
    let recorded = consentry::android::appops::parse(&raw);
    for op in ["READ_PHONE_STATE", "FINE_LOCATION"] {
        let kinds: Vec<_> = recorded
            .accesses
            .iter()
            .filter(|a| {
                a.op == op
                    && a.package
                        .as_deref()
                        .is_none_or(|p| p == "com.example.eagerfeed")
            })
            .map(|a| a.kind)
            .collect();
        assert!(
            kinds.contains(&consentry::android::appops::AccessKind::Access)
                && !kinds.contains(&consentry::android::appops::AccessKind::Reject),
            "{op}: {kinds:?}\n{raw}"
        );
    }
    // `clearState` keeps the pass too.
    let clear = run
        .steps
        .iter()
        .find(|s| s.command == "clearState")
        .expect("clearState");
    assert!(
        run.permission_changes
            .iter()
            .any(|c| c.step == Some(clear.index) && c.action == "grant" && c.ok),
        "{:?}",
        run.permission_changes
    );
    let package = run
        .snapshots
        .iter()
        .rev()
        .find(|s| s.kind == "package" && s.reason == "step")
        .expect("the package snapshot");
    let raw = std::fs::read_to_string(opts.out.join(&package.file)).expect("raw package");
    assert!(
        raw.contains("android.permission.READ_PHONE_STATE: granted=true"),
        "{raw}"
    );
    drop(rig.sim);
}
