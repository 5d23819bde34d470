//! Round trip of one shell command through the adb server to the simulated
//! device, three ways in one run: consentry's own host-protocol client
//! (`Device::shell`, exit status included), adb_client 3.2's
//! `ADBServerDevice::shell_command` (synchronous, exit status always
//! `None`), and the `adb shell` command line. The server is Debian's adb
//! with a private port and HOME, killed at the end. Also: a logcat marker's
//! round trip (write with `log`, see it come back through the stream).
//!
//! Needs `make setup` (Debian's adb). Run: `cargo bench --bench adb_shell`.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::process::{Command, Stdio};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};

use adb_client::ADBDeviceExt;
use consentry::device::{AdbDevice, AdbServer, Device, LogcatOptions, ServerAddr, Timeouts};
use consentry::sim::runner::{self, SimOptions};

struct PrivateAdb {
    home: tempfile::TempDir,
    port: u16,
}

impl PrivateAdb {
    fn command(&self) -> Command {
        let mut c = Command::new("adb");
        c.env("HOME", self.home.path())
            .env("ANDROID_ADB_SERVER_PORT", self.port.to_string())
            .env("ADB_MDNS", "0")
            .env_remove("ANDROID_SERIAL")
            .env_remove("ADB_SERVER_SOCKET")
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> String {
        let out = self
            .command()
            .args(args)
            .output()
            .expect("adb runs (make setup installs it)");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for PrivateAdb {
    fn drop(&mut self) {
        let _ = self.command().arg("kill-server").output();
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let sim = rt
        .block_on(runner::start(&SimOptions::default()))
        .expect("simulator starts");
    let serial = sim.devices[0].serial.clone();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let adb = PrivateAdb {
        home: tempfile::tempdir().expect("tempdir"),
        port,
    };
    adb.run(&["start-server"]);
    assert!(adb.run(&["connect", &serial]).contains("connected"));
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !adb.run(&["devices"]).contains(&format!("{serial}\tdevice")) {
        assert!(std::time::Instant::now() < deadline, "device never online");
        std::thread::sleep(Duration::from_millis(100));
    }

    let server = AdbServer::new(ServerAddr {
        host: "127.0.0.1".into(),
        port,
    });
    let dev = rt
        .block_on(AdbDevice::open(server, &serial, Timeouts::default()))
        .expect("device opens");
    let mut theirs = adb_client::server_device::ADBServerDevice::new(
        serial.clone(),
        Some(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port)),
    );

    let mut g = c.benchmark_group("shell_round_trip");
    g.sample_size(50);
    g.bench_function("consentry_device_shell", |b| {
        b.iter(|| {
            let out = rt.block_on(dev.shell(&["echo", "ok"])).expect("shell");
            assert_eq!(out.exit, 0);
        });
    });
    g.bench_function("adb_client_shell_command", |b| {
        b.iter(|| {
            let mut out = Vec::new();
            theirs
                .shell_command(&"echo ok", Some(&mut out), None)
                .expect("adb_client shell");
            assert_eq!(out, b"ok\n");
        });
    });
    g.bench_function("adb_cli_shell", |b| {
        b.iter(|| {
            let out = adb.run(&["-s", &serial, "shell", "echo", "ok"]);
            assert_eq!(out, "ok\n");
        });
    });
    g.finish();

    // A marker written with `log` and seen back through the logcat stream:
    // what the engine pays to cut evidence at a step boundary.
    let stream = rt
        .block_on(dev.logcat(&LogcatOptions::default()))
        .expect("logcat");
    let mut g = c.benchmark_group("logcat_marker");
    g.sample_size(30);
    g.bench_function("consentry_mark_round_trip", |b| {
        b.iter(|| rt.block_on(dev.mark(&stream, "bench")).expect("marker"));
    });
    g.finish();
    drop(stream);
    drop(sim);
}

criterion_group!(benches, bench);
criterion_main!(benches);
