//! The device layer against the simulated device, through Debian's real
//! adb server: every `Device` operation, timeouts, a device lost mid-call,
//! an unauthorized device, logcat markers in order, the pool, `consentry
//! devices`, and the injection corpus typed with `Device::text`.

mod common;

use std::time::Duration;

use common::Adb;
use consentry::android::logcat::{Entry, Event};
use consentry::device::discover::discover;
use consentry::device::{
    AdbDevice, AdbServer, Device, ErrorKind, LogcatOptions, Pool, ServerAddr, Timeouts,
};
use consentry::sim::adbd::AuthMode;
use consentry::sim::runner::{self, RunningSim, SimOptions};

const T: Duration = Duration::from_secs(30);
const NOTES: &str = "com.example.tidynotes";

async fn boot(devices: u16, auth: AuthMode) -> RunningSim {
    let opts = SimOptions {
        apps: "fixtures/apps".into(),
        devices,
        auth,
        ..SimOptions::default()
    };
    runner::start(&opts).await.expect("simulator starts")
}

fn server_of(adb: &Adb) -> AdbServer {
    AdbServer::new(ServerAddr {
        host: "127.0.0.1".into(),
        port: adb.port,
    })
}

async fn device(sim: &RunningSim, adb: &Adb, timeouts: Timeouts) -> AdbDevice {
    let serial = sim.devices[0].serial.clone();
    adb.connect(&serial, "device").await;
    AdbDevice::open(server_of(adb), &serial, timeouts)
        .await
        .expect("device opens")
}

/// Fails the test instead of hanging when a call never returns.
async fn bounded<F: Future>(what: &str, limit: Duration, f: F) -> F::Output {
    tokio::time::timeout(limit, f)
        .await
        .unwrap_or_else(|_| panic!("{what} hung past {limit:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shell_exec_transfer_and_properties() {
    let sim = boot(1, AuthMode::Accept).await;
    let adb = Adb::start().await;
    let dev = device(&sim, &adb, Timeouts::default()).await;
    // Constructors leave the device alone: neither `new` nor `open` runs a
    // command on it (the features come from the server).
    let control = &sim.devices[0].server.control;
    let before = control.commands_seen();
    let _handle = AdbDevice::new(dev.server().clone(), dev.serial(), Timeouts::default());
    let _opened = AdbDevice::open(dev.server().clone(), dev.serial(), Timeouts::default())
        .await
        .expect("opens again");
    assert_eq!(control.commands_seen(), before);

    let out = dev
        .shell_line("echo out && echo err >&2; exit 7", None, T)
        .await
        .expect("shell runs");
    assert_eq!(
        (out.exit, out.stdout_text().as_str()),
        (7, "out\n"),
        "{out:?}"
    );
    assert_eq!(out.stderr_text(), "err\n");
    let out = dev.shell(&["nosuchcommand", "x"]).await.expect("runs");
    assert_eq!(out.exit, 127);
    let err = dev.shell_ok(&["nosuchcommand"]).await.unwrap_err();
    assert!(
        matches!(
            err.kind,
            ErrorKind::CommandFailed {
                exit: Some(127),
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains(&sim.devices[0].serial), "{err}");
    assert!(err.to_string().contains("nosuchcommand"), "{err}");
    // Arguments are quoted: one argument with spaces and a `;` stays one.
    let out = dev.shell(&["echo", "a; echo b"]).await.expect("runs");
    assert_eq!(out.stdout_text(), "a; echo b\n");

    let props = dev.properties().await.expect("properties");
    assert_eq!(props.sdk, Some(34));
    assert_eq!(props.screen, Some((1080, 2400)));
    assert!(props.model.is_some());

    let shot = dev.screenshot().await.expect("screenshot");
    assert_eq!((shot.width, shot.height), (1080, 2400));
    assert_eq!(shot.image().expect("decodes").dimensions(), (1080, 2400));
    assert!(shot.png.starts_with(b"\x89PNG"));

    // 1 MiB of every byte value, through sync: and back.
    let data: Vec<u8> = (0..(1u32 << 20))
        .map(|i| (i * 7 + i / 251).to_le_bytes()[0])
        .collect();
    dev.push(&data, "/data/local/tmp/blob.bin", 0o644)
        .await
        .expect("push");
    assert_eq!(
        dev.pull("/data/local/tmp/blob.bin").await.expect("pull"),
        data
    );
    let raw = dev
        .exec(&["cat", "/data/local/tmp/blob.bin"])
        .await
        .expect("exec");
    assert_eq!(raw.len(), data.len());
    assert!(raw == data, "exec is not binary-safe");
    let err = dev.pull("/data/local/tmp/missing").await.unwrap_err();
    assert!(matches!(err.kind, ErrorKind::CommandFailed { .. }), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_management_input_and_snapshots() {
    let sim = boot(1, AuthMode::Accept).await;
    let adb = Adb::start().await;
    let dev = device(&sim, &adb, Timeouts::default()).await;

    // Uninstall, then install the model back as the APK's bytes.
    dev.uninstall("com.example.pushy").await.expect("uninstall");
    let list = dev.packages(true).await.expect("packages");
    assert!(!list.raw.contains("com.example.pushy"), "{}", list.raw);
    let err = dev.uninstall("com.example.pushy").await.unwrap_err();
    assert!(matches!(err.kind, ErrorKind::CommandFailed { .. }), "{err}");
    // A simulated APK is the app's model file.
    dev.install(std::path::Path::new("fixtures/apps/pushy.yaml"))
        .await
        .expect("install");
    let list = dev.packages(true).await.expect("packages");
    assert!(
        list.parsed
            .packages
            .iter()
            .any(|p| p.package == "com.example.pushy"),
        "{}",
        list.raw
    );

    let err = dev
        .install(std::path::Path::new("fixtures/apps/absent.apk"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("absent.apk"), "{err}");
    let err = dev.install_bytes(b"not an apk").await.unwrap_err();
    assert!(matches!(err.kind, ErrorKind::CommandFailed { .. }), "{err}");

    // Grant and revoke show in the package snapshot.
    dev.grant(NOTES, "android.permission.CAMERA")
        .await
        .expect("grant");
    let pkg = dev.package(NOTES).await.expect("package");
    let info = pkg.parsed.packages.first().expect("one package");
    assert_eq!(
        info.runtime_permission("android.permission.CAMERA")
            .map(|p| p.granted),
        Some(true),
        "{}",
        pkg.raw
    );
    dev.revoke(NOTES, "android.permission.CAMERA")
        .await
        .expect("revoke");
    let pkg = dev.package(NOTES).await.expect("package");
    let info = pkg.parsed.packages.first().expect("one package");
    assert_eq!(
        info.runtime_permission("android.permission.CAMERA")
            .map(|p| p.granted),
        Some(false)
    );
    let err = dev
        .grant(NOTES, "android.permission.NOT_A_PERMISSION")
        .await
        .unwrap_err();
    assert!(matches!(err.kind, ErrorKind::CommandFailed { .. }), "{err}");

    // Launch, see it in focus and on screen, drive it with input.
    dev.launch(NOTES).await.expect("launch");
    let focus = dev.focus().await.expect("focus");
    assert_eq!(focus.parsed.foreground_package(), Some(NOTES));
    let ui = dev.ui_tree().await.expect("ui tree");
    let agree = ui
        .tree
        .nodes()
        .into_iter()
        .find(|n| n.resource_id == format!("{NOTES}:id/agree"))
        .and_then(|n| n.bounds)
        .expect("the consent dialog's agree button");
    let (x, y) = agree.center();
    dev.tap(x, y).await.expect("tap");
    let ui = dev.ui_tree().await.expect("ui tree");
    assert!(
        ui.tree
            .nodes()
            .iter()
            .any(|n| n.resource_id == format!("{NOTES}:id/new_note")),
        "tapping agree reaches home:\n{}",
        ui.xml
    );
    dev.swipe((540, 1800), (540, 600), Duration::from_millis(200))
        .await
        .expect("swipe");
    dev.key("KEYCODE_BACK").await.expect("key");
    dev.start_activity(&format!("{NOTES}/.MainActivity"))
        .await
        .expect("am start");
    let focus = dev.focus().await.expect("focus");
    assert_eq!(focus.parsed.foreground_package(), Some(NOTES));
    let err = dev
        .start_activity(&format!("{NOTES}/.NoSuchActivity"))
        .await
        .unwrap_err();
    assert!(matches!(err.kind, ErrorKind::CommandFailed { .. }), "{err}");

    // A UI that never goes idle: three attempts, then a clear failure.
    sim.devices[0].device.set_uiautomator_failure_rate(1.0);
    let err = dev.ui_tree().await.unwrap_err();
    assert!(
        err.to_string().contains("no hierarchy after 3 attempts"),
        "{err}"
    );
    sim.devices[0].device.set_uiautomator_failure_rate(0.0);

    // Snapshots: the raw text is kept as evidence beside the parse.
    let ops = dev.appops(Some(NOTES)).await.expect("appops");
    assert!(!ops.raw.is_empty());
    let exits = dev.exit_info(NOTES).await.expect("exit-info");
    assert!(exits.command.contains("exit-info"));
    dev.force_stop(NOTES).await.expect("force-stop");
    let focus = dev.focus().await.expect("focus");
    assert_ne!(focus.parsed.foreground_package(), Some(NOTES));
    dev.clear(NOTES).await.expect("clear");
    let err = dev.clear("com.example.absent").await.unwrap_err();
    assert!(matches!(err.kind, ErrorKind::CommandFailed { .. }), "{err}");
    let err = dev.launch("com.example.absent").await.unwrap_err();
    assert!(matches!(err.kind, ErrorKind::CommandFailed { .. }), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logcat_markers_arrive_in_order_and_slice_the_stream() {
    let sim = boot(1, AuthMode::Accept).await;
    let adb = Adb::start().await;
    let dev = device(&sim, &adb, Timeouts::default()).await;
    let stream = dev.logcat(&LogcatOptions::default()).await.expect("logcat");
    let mut marks = Vec::new();
    for i in 0..8 {
        let m = bounded("mark", T, dev.mark(&stream, &format!("step {i}")))
            .await
            .expect("marker comes back");
        dev.shell_ok(&["log", "-t", "Between", &format!("after {i}")])
            .await
            .expect("log");
        marks.push(m);
    }
    for pair in marks.windows(2) {
        assert!(pair[0].seq < pair[1].seq, "{marks:?}");
    }
    assert_eq!(marks[3].text, "#4 step 3");
    // Between markers 3 and 4 is exactly the line logged after marker 3.
    let between = stream.with_buffer(|b| b.range(marks[3].seq + 1, marks[4].seq));
    let tags: Vec<String> = between
        .iter()
        .filter_map(|l| match &l.entry {
            Entry::Record(r) if r.tag != "Between" || r.message == "after 3" => {
                Some(format!("{}:{}", r.tag, r.message))
            }
            _ => None,
        })
        .collect();
    assert!(tags.contains(&"Between:after 3".to_string()), "{tags:?}");
    let markers = stream.with_buffer(consentry::device::logbuf::LogBuffer::markers);
    let texts: Vec<String> = markers
        .iter()
        .filter_map(|l| match &l.entry {
            Entry::Record(r) => match &r.event {
                Some(Event::Marker { text }) => Some(text.clone()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(
        texts,
        (0..8)
            .map(|i| format!("#{} step {i}", i + 1))
            .collect::<Vec<_>>()
    );
    // A label with a newline stays one marker line.
    let m = dev.mark(&stream, "two\nlines").await.expect("marker");
    assert_eq!(m.text, "#9 two lines");
    // The uid column is read (`-v uid`).
    let with_uid = stream.with_buffer(|b| {
        b.since(0)
            .iter()
            .filter(|l| matches!(&l.entry, Entry::Record(r) if r.uid.is_some()))
            .count()
    });
    assert!(with_uid > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_command_times_out_within_its_bound() {
    let sim = boot(1, AuthMode::Accept).await;
    let adb = Adb::start().await;
    let limit = Duration::from_secs(2);
    let timeouts = Timeouts {
        shell: limit,
        exec: limit,
        ..Timeouts::default()
    };
    let dev = device(&sim, &adb, timeouts).await;
    sim.devices[0].device.set_stall(Some("getprop".into()));
    let started = std::time::Instant::now();
    let err = bounded("stalled getprop", T, dev.properties())
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.kind, ErrorKind::Timeout { after: limit }, "{err}");
    assert_eq!(err.command, "getprop");
    assert!(err.is_timeout() && !err.is_device_lost());
    // The bound holds (with slack for a loaded machine), and it was really
    // waited for.
    assert!(took >= limit, "returned before the bound: {took:?}");
    assert!(took < limit + Duration::from_secs(8), "took {took:?}");
    sim.devices[0].device.set_stall(None);
    let props = dev
        .properties()
        .await
        .expect("the device works after a timeout");
    assert_eq!(props.sdk, Some(34));
    // exec is bounded too.
    sim.devices[0].device.set_stall(Some("screencap".into()));
    let err = dev.screenshot().await.unwrap_err();
    assert!(err.is_timeout(), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_dropped_mid_call_is_a_lost_device_error() {
    let sim = boot(1, AuthMode::Accept).await;
    let adb = Adb::start().await;
    let dev = device(&sim, &adb, Timeouts::default()).await;
    let stream = dev.logcat(&LogcatOptions::default()).await.expect("logcat");
    sim.devices[0].device.set_stall(Some("sleep".into()));
    let call = {
        let dev = dev.clone();
        tokio::spawn(async move { dev.shell(&["sleep", "100"]).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!call.is_finished(), "the stalled call should still run");
    sim.devices[0].server.control.set_online(false);
    let res = bounded("call on a dropped device", T, call)
        .await
        .expect("no panic");
    let err = res.unwrap_err();
    assert!(
        matches!(
            err.kind,
            ErrorKind::Disconnected { .. } | ErrorKind::Offline | ErrorKind::NotFound
        ),
        "{err}"
    );
    assert!(err.is_device_lost(), "{err}");
    // The logcat stream ends with a lost-device error as well.
    let waited = bounded(
        "logcat wait on a dropped device",
        T,
        stream.wait_for(stream.cursor(), "anything", T, |_| false),
    )
    .await
    .unwrap_err();
    assert!(waited.is_device_lost(), "{waited}");
    // A new call fails fast with a lost-device error.
    let err = bounded("call after the drop", T, dev.shell(&["true"]))
        .await
        .unwrap_err();
    assert!(err.is_device_lost(), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unauthorized_device_is_reported_as_such() {
    let sim = boot(1, AuthMode::Reject).await;
    let adb = Adb::start().await;
    let serial = sim.devices[0].serial.clone();
    adb.connect(&serial, "unauthorized").await;
    let server = server_of(&adb);
    let err = AdbDevice::open(server.clone(), &serial, Timeouts::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unauthorized, "{err}");
    // A handle made without checks meets the same answer on first use.
    let dev = AdbDevice::new(server.clone(), &serial, Timeouts::default());
    let err = dev.shell(&["true"]).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unauthorized, "{err}");
    assert!(err.to_string().contains("unauthorized"), "{err}");
    let reports = discover(&server, Timeouts::default())
        .await
        .expect("discover");
    let r = reports.iter().find(|r| r.serial == serial).expect("listed");
    assert_eq!(r.state, "unauthorized");
    assert!(!r.usable);
    assert!(
        r.reason.as_deref().unwrap_or("").contains("RSA key"),
        "{r:?}"
    );
    // Unknown serials are not found.
    let err = AdbDevice::open(server, "nosuch:1", Timeouts::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_is_reported() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    // Nothing listens there now.
    let server = AdbServer::new(ServerAddr {
        host: "127.0.0.1".into(),
        port,
    });
    let err = server.devices(Duration::from_secs(2)).await.unwrap_err();
    assert!(
        matches!(err.kind, ErrorKind::ServerUnavailable { .. }),
        "{err}"
    );
    assert!(err.to_string().contains(&port.to_string()), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_hands_each_device_to_one_job_at_a_time() {
    let sim = boot(2, AuthMode::Accept).await;
    let adb = Adb::start().await;
    let server = server_of(&adb);
    let mut devices = Vec::new();
    for d in sim.devices.iter() {
        adb.connect(&d.serial, "device").await;
        devices.push(
            AdbDevice::open(server.clone(), &d.serial, Timeouts::default())
                .await
                .expect("open"),
        );
    }
    let pool = Pool::new(devices);
    let busy = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut jobs = Vec::new();
    for i in 0..6 {
        let (pool, busy) = (pool.clone(), busy.clone());
        jobs.push(tokio::spawn(async move {
            let lease = pool.acquire().await.expect("a device");
            let serial = lease.serial().to_string();
            {
                let mut b = busy.lock().expect("lock");
                assert!(!b.contains(&serial), "{serial} leased twice");
                b.push(serial.clone());
            }
            let out = lease
                .shell(&["echo", &format!("job {i}")])
                .await
                .expect("shell");
            busy.lock().expect("lock").retain(|s| *s != serial);
            out.stdout_text()
        }));
    }
    let mut outputs = Vec::new();
    for j in jobs {
        outputs.push(j.await.expect("job"));
    }
    outputs.sort();
    assert_eq!(
        outputs,
        (0..6).map(|i| format!("job {i}\n")).collect::<Vec<_>>()
    );
    assert_eq!(pool.available(), 2);
    // Selection: explicit serial first, then ANDROID_SERIAL, else the only
    // online device; two online and none chosen is an error naming both.
    let (first, second) = (&sim.devices[0].serial, &sim.devices[1].serial);
    let t = Timeouts::default();
    let pick = AdbDevice::select(server.clone(), Some(second), Some(first), t)
        .await
        .expect("explicit");
    assert_eq!(pick.serial(), second);
    let pick = AdbDevice::select(server.clone(), None, Some(first), t)
        .await
        .expect("env");
    assert_eq!(pick.serial(), first);
    let err = AdbDevice::select(server.clone(), None, None, t)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains(first.as_str()) && err.to_string().contains(second.as_str()),
        "{err}"
    );
    let reports = discover(&server, Timeouts::default())
        .await
        .expect("discover");
    assert_eq!(reports.len(), 2);
    assert!(
        reports.iter().all(|r| r.usable && r.sdk == Some(34)),
        "{reports:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_command_lists_state_model_sdk_and_usability() {
    let sim = boot(1, AuthMode::Accept).await;
    let adb = Adb::start().await;
    let serial = sim.devices[0].serial.clone();
    adb.connect(&serial, "device").await;
    let run = |args: Vec<String>, env_port: Option<u16>| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_consentry"));
        c.args(&args)
            .env_remove("ADB_SERVER_SOCKET")
            .env_remove("ANDROID_ADB_SERVER_PORT");
        if let Some(p) = env_port {
            c.env("ANDROID_ADB_SERVER_PORT", p.to_string());
        }
        c.output().expect("consentry runs")
    };
    let out = run(vec!["devices".into(), "--json".into()], Some(adb.port));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let d = &json[0];
    assert_eq!(d["serial"], serde_json::json!(serial));
    assert_eq!(d["state"], "device");
    assert_eq!(d["sdk"], 34);
    assert_eq!(d["usable"], true);
    assert!(d["model"].is_string());
    let out = run(
        vec![
            "devices".into(),
            "--adb-server".into(),
            format!("127.0.0.1:{}", adb.port),
        ],
        None,
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.starts_with("SERIAL"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with(&serial) && l.ends_with("yes")),
        "{text}"
    );
    // An unreachable server: exit 2 and a message naming the address.
    let out = run(
        vec![
            "devices".into(),
            "--adb-server".into(),
            "127.0.0.1:1".into(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("127.0.0.1:1"));
    let out = run(
        vec!["devices".into(), "--adb-server".into(), "nope:port".into()],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad port"));
}

/// Hostile strings typed with `Device::text` reach the device exactly as
/// written (read back from the text field's UI dump) and none of them runs
/// anything (no marker in logcat, no file created).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injection_corpus_typed_with_device_text_arrives_verbatim_and_executes_nothing() {
    const CORPUS: &[&str] = &[
        "hello world",
        "'; log -t PWNED quote; echo '",
        "\"; log -t PWNED dq; echo \"",
        "$(log -t PWNED subst)",
        "`log -t PWNED backtick`",
        "a && log -t PWNED and",
        "a || log -t PWNED or",
        "a; log -t PWNED semi",
        "a | log -t PWNED pipe",
        "> /sdcard/pwned",
        ">> /sdcard/pwned2",
        "2>/sdcard/pwned3",
        "$HOME ${PATH} $$ $? $0",
        "\\n \\t \\ backslash",
        "100%sure",
        "%s%s%",
        "50% off",
        "it's",
        "\"double\"",
        "#comment",
        "*?[glob]",
        "~root",
        "-n -e flags",
        "{brace,expansion}",
        "!history",
        "&background",
        "(subshell)",
        "<input",
        ";;",
        "'",
        "\"",
        "\\",
        "$'ansi\\x41'",
        "   leading and trailing   ",
        "ends with %",
    ];
    assert!(CORPUS.len() >= 30);
    let sim = boot(1, AuthMode::Accept).await;
    let adb = Adb::start().await;
    let dev = device(&sim, &adb, Timeouts::default()).await;
    dev.shell_ok(&["logcat", "-c"]).await.expect("logcat -c");
    dev.launch(NOTES).await.expect("launch");
    let tap = |id: &'static str| {
        let dev = dev.clone();
        async move {
            let ui = dev.ui_tree().await.expect("ui");
            let b = ui
                .tree
                .nodes()
                .into_iter()
                .find(|n| n.resource_id == format!("{NOTES}:id/{id}"))
                .and_then(|n| n.bounds)
                .unwrap_or_else(|| panic!("no {id}"));
            let (x, y) = b.center();
            dev.tap(x, y).await.expect("tap");
        }
    };
    tap("agree").await;
    tap("new_note").await;
    tap("note_body").await;
    let field_text = || {
        let dev = dev.clone();
        async move {
            let ui = dev.ui_tree().await.expect("ui");
            ui.tree
                .nodes()
                .into_iter()
                .find(|n| n.resource_id == format!("{NOTES}:id/note_body"))
                .map(|n| n.text.clone())
                .unwrap_or_default()
        }
    };
    let mut expected = String::new();
    for text in CORPUS {
        dev.text(text).await.expect("typed");
        expected.push_str(text);
        assert_eq!(field_text().await, expected, "after typing {text:?}");
    }
    // Controls: the same checks do see a command that really runs.
    dev.shell_line("log -t CONTROL ran && echo x > /sdcard/control", None, T)
        .await
        .expect("control");
    let log = dev
        .shell_ok(&["logcat", "-d"])
        .await
        .expect("logcat")
        .stdout_text();
    assert!(log.contains("CONTROL"), "logcat check is blind:\n{log}");
    assert!(!log.contains("PWNED"), "a hostile string ran:\n{log}");
    assert_eq!(dev.pull("/sdcard/control").await.expect("pull"), b"x\n");
    for file in ["pwned", "pwned2", "pwned3"] {
        assert!(
            dev.pull(&format!("/sdcard/{file}")).await.is_err(),
            "a hostile string wrote /sdcard/{file}"
        );
    }
    // Non-ASCII text is refused before anything is sent.
    let err = dev.text("同意").await.unwrap_err();
    assert!(matches!(err.kind, ErrorKind::Unsupported { .. }), "{err}");
    assert!(err.to_string().contains("non-ASCII"), "{err}");
}
