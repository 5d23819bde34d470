//! The simulated device end to end, through Debian's real adb server:
//! what a test or the engine sees of it. Device state is checked through
//! the same shell commands the tool uses on real devices. The device layer
//! itself (and the injection corpus typed through it) is tested in
//! `device_adb.rs`.

mod common;

use std::time::Duration;

use common::Adb;
use consentry::android::uiautomator;
use consentry::sim::runner::{self, RunningSim, SimOptions};

const T: Duration = Duration::from_secs(30);

async fn boot(devices: u16) -> RunningSim {
    let opts = SimOptions {
        apps: "fixtures/apps".into(),
        devices,
        ..SimOptions::default()
    };
    runner::start(&opts).await.expect("simulator starts")
}

async fn connected(sim: &RunningSim) -> (Adb, String) {
    let adb = Adb::start().await;
    let serial = sim.devices[0].serial.clone();
    adb.connect(&serial, "device").await;
    (adb, serial)
}

async fn shell(adb: &Adb, serial: &str, cmd: &str) -> common::AdbOutput {
    adb.run(&["-s", serial, "shell", cmd], T).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_properties_and_shell_semantics() {
    let sim = boot(2).await;
    let (adb, serial) = connected(&sim).await;
    adb.connect(&sim.devices[1].serial, "device").await;
    let out = adb.run(&["devices", "-l"], T).await;
    for d in sim.devices.iter() {
        let line = out
            .text()
            .lines()
            .find(|l| l.starts_with(&d.serial))
            .map(str::to_string);
        let line = line.unwrap_or_else(|| panic!("{} not listed:\n{}", d.serial, out.text()));
        assert!(
            line.contains(" device ") && line.contains("model:"),
            "{line}"
        );
    }
    let out = shell(&adb, &serial, "getprop ro.build.version.sdk").await;
    assert_eq!(out.text().trim(), "34");
    let out = shell(&adb, &serial, "wm size").await;
    assert_eq!(out.text().trim(), "Physical size: 1080x2400");
    let out = shell(&adb, &serial, "echo a && exit 7").await;
    assert_eq!((out.code, out.text().as_str()), (Some(7), "a\n"));
    let out = shell(&adb, &serial, "nosuchcommand").await;
    assert_eq!(out.code, Some(127));
    assert!(
        out.stderr
            .contains("nosuchcommand: inaccessible or not found"),
        "{}",
        out.stderr
    );
    let out = shell(&adb, &serial, "pm list packages -3").await;
    for pkg in [
        "com.example.tidynotes",
        "com.example.gatekeeper",
        "com.example.crashy",
    ] {
        assert!(
            out.text().lines().any(|l| l == format!("package:{pkg}")),
            "{pkg} missing:\n{}",
            out.text()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screencap_and_uiautomator_dump() {
    let sim = boot(1).await;
    let (adb, serial) = connected(&sim).await;
    let out = adb
        .run(&["-s", &serial, "exec-out", "screencap -p"], T)
        .await;
    assert_eq!(out.code, Some(0));
    let img = image::load_from_memory(&out.stdout).expect("screencap is a PNG");
    assert_eq!((img.width(), img.height()), (1080, 2400));

    let out = shell(
        &adb,
        &serial,
        "monkey -p com.example.tidynotes -c android.intent.category.LAUNCHER 1",
    )
    .await;
    assert!(out.text().contains("Events injected: 1"), "{}", out.text());
    let out = adb
        .run(&["-s", &serial, "exec-out", "uiautomator dump /dev/tty"], T)
        .await;
    // The same parser that reads real devices' dumps.
    let tree = uiautomator::parse(&out.text()).expect("dump parses");
    assert_eq!(tree.unknown, 0);
    let nodes = tree.nodes();
    assert!(nodes.iter().all(|n| n.bounds.is_some()));
    assert!(
        nodes.iter().any(|n| n.package == "com.example.tidynotes"),
        "the launched app is on screen"
    );
    let out = shell(&adb, &serial, "uiautomator dump").await;
    assert!(
        out.text()
            .contains("UI hierchary dumped to: /sdcard/window_dump.xml"),
        "{}",
        out.text()
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let local = dir.path().join("dump.xml");
    let out = adb
        .run(
            &[
                "-s",
                &serial,
                "pull",
                "/sdcard/window_dump.xml",
                local.to_str().expect("utf8"),
            ],
            T,
        )
        .await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    uiautomator::parse(&std::fs::read_to_string(&local).expect("pulled"))
        .expect("pulled dump parses");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn install_and_uninstall_an_app() {
    let sim = boot(1).await;
    let (adb, serial) = connected(&sim).await;
    let out = shell(&adb, &serial, "pm uninstall com.example.pushy").await;
    assert_eq!(out.text().trim(), "Success");
    let out = shell(&adb, &serial, "pm list packages com.example.pushy").await;
    assert_eq!(out.text().trim(), "");
    // A simulated APK is the app's model file; adb insists on the extension.
    let dir = tempfile::tempdir().expect("tempdir");
    let apk = dir.path().join("pushy.apk");
    std::fs::copy("fixtures/apps/pushy.yaml", &apk).expect("copy model");
    let out = adb
        .run(&["-s", &serial, "install", apk.to_str().expect("utf8")], T)
        .await;
    assert_eq!(out.code, Some(0), "{} {}", out.text(), out.stderr);
    assert!(out.text().contains("Success"), "{}", out.text());
    let out = shell(&adb, &serial, "pm list packages com.example.pushy").await;
    assert_eq!(out.text().trim(), "package:com.example.pushy");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logcat_stream_delivers_markers_in_order() {
    let sim = boot(1).await;
    let (adb, serial) = connected(&sim).await;
    let mut child = adb.spawn(&["-s", &serial, "logcat", "-v", "threadtime", "-T", "1"]);
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(stdout));
    let mut latencies = Vec::new();
    for i in 0..5 {
        let marker = format!("consentry-marker-{i}");
        let sent = tokio::time::Instant::now();
        let out = shell(&adb, &serial, &format!("log -t CONSENTRY {marker}")).await;
        assert_eq!(out.code, Some(0));
        let found = tokio::time::timeout(T, async {
            while let Ok(Some(line)) = lines.next_line().await {
                if line.contains("CONSENTRY") {
                    return Some(line);
                }
            }
            None
        })
        .await
        .expect("marker arrives")
        .expect("stream open");
        assert!(found.ends_with(&marker), "markers out of order: {found}");
        assert!(
            found.contains(" I CONSENTRY: "),
            "threadtime shape: {found}"
        );
        latencies.push(sent.elapsed());
    }
    // Measured, not asserted (speed is a benchmark's job): shown with --nocapture.
    println!("log -t round trip to the logcat stream: {latencies:?}");
    child.kill().await.expect("stop logcat");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simctl_faults_through_the_control_port() {
    let sim = boot(1).await;
    let (adb, serial) = connected(&sim).await;
    let reply = consentry::sim::ctl::send(sim.control_addr, "list")
        .await
        .expect("control answers");
    assert!(
        reply.starts_with(&format!("ok {serial} ")) && reply.contains(" device "),
        "{reply}"
    );
    let reply = consentry::sim::ctl::send(sim.control_addr, &format!("dump-failure {serial} 1"))
        .await
        .expect("reply");
    assert_eq!(reply, "ok");
    let out = shell(&adb, &serial, "uiautomator dump").await;
    assert!(
        out.text().contains("ERROR: could not get idle state.")
            || out.stderr.contains("could not get idle state"),
        "{out:?}"
    );
    consentry::sim::ctl::send(sim.control_addr, &format!("dump-failure {serial} 0"))
        .await
        .expect("reply");

    let reply = consentry::sim::ctl::send(sim.control_addr, &format!("offline {serial}"))
        .await
        .expect("reply");
    assert_eq!(reply, "ok");
    let out = shell(&adb, &serial, "echo x").await;
    assert_ne!(out.code, Some(0));
    consentry::sim::ctl::send(sim.control_addr, &format!("online {serial}"))
        .await
        .expect("reply");
    let _ = adb.run(&["disconnect", &serial], T).await;
    adb.connect(&serial, "device").await;
    assert_eq!(shell(&adb, &serial, "echo back").await.text(), "back\n");
    let reply = consentry::sim::ctl::send(sim.control_addr, "offline nosuchdevice")
        .await
        .expect("reply");
    assert!(
        reply.starts_with("error: no device `nosuchdevice`"),
        "{reply}"
    );
}

#[test]
fn sim_command_prints_serials_and_serves() {
    use std::io::BufRead;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let control = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_consentry"))
        .args([
            "sim",
            "--apps",
            "fixtures/apps",
            "--port",
            &port.to_string(),
            "--control",
            &control.to_string(),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn sim");
    let mut reader = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    reader.read_line(&mut first).expect("a serial line");
    let mut second = String::new();
    reader.read_line(&mut second).expect("a control line");
    assert_eq!(first.trim(), format!("127.0.0.1:{port}\t127.0.0.1:{port}"));
    assert_eq!(second.trim(), format!("control\t{control}"));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_consentry"))
        .args(["simctl", "--control", &control.to_string(), "list"])
        .output()
        .expect("simctl");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("127.0.0.1:{port}")));
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_consentry"))
        .args(["sim", "--apps", "/nonexistent/apps", "--port", "0"])
        .output()
        .expect("sim with bad apps");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("/nonexistent/apps"));
    let _ = child.kill();
    let _ = child.wait();
}

/// A device on a port in the emulator range (5555..5585, odd) is found by an
/// adb server started afterwards and named `emulator-NNNN`, without `adb
/// connect`. The port is the first free one in the range.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emulator_range_ports_show_as_emulators() {
    let port = (5555..=5585u16)
        .step_by(2)
        .find(|p| {
            std::net::TcpListener::bind(("127.0.0.1", *p)).is_ok()
                && std::net::TcpListener::bind(("127.0.0.1", *p - 1)).is_ok()
        })
        .expect("a free port pair in the emulator range");
    let opts = SimOptions {
        apps: "fixtures/apps".into(),
        port,
        ..SimOptions::default()
    };
    let sim = runner::start(&opts).await.expect("simulator starts");
    let serial = format!("emulator-{}", port - 1);
    assert_eq!(sim.devices[0].serial, serial);
    let adb = Adb::start().await;
    adb.wait_for_state(&serial, "device").await;
    let out = adb
        .run(&["-s", &serial, "shell", "getprop", "ro.kernel.qemu"], T)
        .await;
    assert_eq!(out.text().trim(), "1");
}
