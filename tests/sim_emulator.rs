//! The emulator stand-in (`consentry emulator-standin` behind a fake SDK's
//! `emulator/emulator`), run as a process the way code that starts real
//! emulators runs them: its command line, the console (banner, auth,
//! snapshots, network capture, kill), registration with a private adb
//! server (Debian's real adb), the boot delay, and stopping on SIGTERM.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

use common::Adb;
use consentry::sim::emulator::write_fake_sdk;

const T: Duration = Duration::from_secs(30);

/// A console port whose pair (console, adb) is free: candidates from 5602
/// up, each handed out once per test binary, bind-tested.
fn free_pair() -> u16 {
    static NEXT: AtomicU16 = AtomicU16::new(5602);
    loop {
        let port = NEXT.fetch_add(2, Ordering::SeqCst);
        assert!(port <= 5680, "no free console/adb port pair left");
        let free = |p: u16| TcpListener::bind(("127.0.0.1", p)).is_ok();
        if free(port) && free(port + 1) {
            return port;
        }
    }
}

/// A HOME, AVD home and fake SDK in a temporary directory.
struct Sdk {
    dir: tempfile::TempDir,
}

impl Sdk {
    fn new() -> Self {
        let s = Self {
            dir: tempfile::tempdir().expect("tempdir"),
        };
        std::fs::create_dir_all(s.avd_home()).expect("avd home");
        write_fake_sdk(&s.sdk(), Path::new(env!("CARGO_BIN_EXE_consentry"))).expect("fake sdk");
        s
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn avd_home(&self) -> PathBuf {
        self.dir.path().join("avd")
    }

    fn sdk(&self) -> PathBuf {
        self.dir.path().join("sdk")
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes AVD `name` (API 34) with the fixture apps and `extra` lines
    /// in its config.ini.
    fn avd(&self, name: &str, extra: &str) {
        let content = self.avd_home().join(format!("{name}.avd"));
        std::fs::create_dir_all(&content).expect("avd dir");
        std::fs::write(
            self.avd_home().join(format!("{name}.ini")),
            format!(
                "avd.ini.encoding=UTF-8\npath={}\npath.rel=avd/{name}.avd\ntarget=android-34\n",
                content.display()
            ),
        )
        .expect("ini");
        let apps = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/apps");
        std::fs::write(
            content.join("config.ini"),
            format!(
                "image.sysdir.1=system-images/android-34/google_apis/x86_64/\nconsentry.apps={}\nconsentry.boot_delay_ms=0\n{extra}",
                apps.display()
            ),
        )
        .expect("config.ini");
    }

    fn token(&self, token: &str) {
        std::fs::create_dir_all(self.home()).expect("home");
        std::fs::write(self.home().join(".emulator_console_auth_token"), token).expect("token");
    }

    /// The fake SDK's emulator with these arguments; `adb_port` is the
    /// adb server it registers with.
    fn command(&self, args: &[&str], adb_port: u16) -> Command {
        std::fs::create_dir_all(self.home()).expect("home");
        let mut c = Command::new(self.sdk().join("emulator/emulator"));
        c.args(args)
            .env("HOME", self.home())
            .env("ANDROID_AVD_HOME", self.avd_home())
            .env("ANDROID_ADB_SERVER_PORT", adb_port.to_string())
            .env_remove("ANDROID_EMULATOR_HOME")
            .env_remove("ANDROID_USER_HOME")
            .env_remove("CONSENTRY_STANDIN_NO_KVM")
            .stdin(Stdio::null());
        c
    }

    /// Runs to the end: (status, stdout, stderr).
    fn output(&self, args: &[&str]) -> (Option<i32>, String, String) {
        let out = self.command(args, 1).output().expect("runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Starts AVD `name` on a free port pair; stdout and stderr go to files.
    fn start(&self, name: &str, extra_args: &[&str], adb_port: u16) -> Running {
        let port = free_pair();
        let port_arg = port.to_string();
        let mut args = vec!["-avd", name, "-port", &port_arg, "-no-window", "-no-audio"];
        args.extend_from_slice(extra_args);
        let log = self.path(&format!("{name}-{port}.log"));
        let child = self
            .command(&args, adb_port)
            .stdout(std::fs::File::create(&log).expect("log"))
            .stderr(std::fs::File::create(log.with_extension("err")).expect("log"))
            .spawn()
            .expect("spawns");
        let r = Running { child, port, log };
        r.wait_for_console();
        r
    }
}

/// A running stand-in.
struct Running {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Running {
    fn serial(&self) -> String {
        format!("emulator-{}", self.port)
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(self.log.with_extension("err")).unwrap_or_default()
    }

    fn wait_for_console(&self) {
        let deadline = Instant::now() + T;
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("no console on {}: {}", self.port, self.stderr());
    }

    fn console(&self) -> Console {
        Console::connect(self.port)
    }

    /// Waits for the process to end (fails after 20 s); its status.
    fn wait(&mut self) -> Option<i32> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(s) = self.child.try_wait().expect("wait") {
                return s.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the stand-in did not exit");
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A console connection.
struct Console {
    reader: BufReader<TcpStream>,
    banner: String,
}

impl Console {
    fn connect(port: u16) -> Self {
        let s = TcpStream::connect(("127.0.0.1", port)).expect("console");
        s.set_read_timeout(Some(T)).expect("timeout");
        let mut c = Self {
            reader: BufReader::new(s),
            banner: String::new(),
        };
        c.banner = c.reply();
        c
    }

    /// Lines up to and with the first `OK…` or `KO…` line.
    fn reply(&mut self) -> String {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            let n = self.reader.read_line(&mut line).expect("reads");
            assert!(n > 0, "the console closed after {all:?}");
            assert!(line.ends_with("\r\n"), "{line:?}");
            all.push_str(&line);
            if line.starts_with("OK") || line.starts_with("KO") {
                return all;
            }
        }
    }

    fn send(&mut self, line: &str) -> String {
        self.reader
            .get_mut()
            .write_all(format!("{line}\n").as_bytes())
            .expect("writes");
        self.reply()
    }

    fn auth(&mut self, token: &str) {
        assert_eq!(
            self.send(&format!("auth {token}")),
            "Android Console: type 'help' for a list of commands\r\nOK\r\n"
        );
    }
}

#[test]
fn list_avds_accel_check_and_refusals_print_what_the_emulator_prints() {
    let sdk = Sdk::new();
    sdk.avd("Pixel_B", "");
    sdk.avd("Pixel_A", "");
    std::fs::write(sdk.avd_home().join("notes.txt"), "not an avd").expect("write");
    assert_eq!(
        sdk.output(&["-list-avds"]),
        (Some(0), "Pixel_A\nPixel_B\n".into(), String::new())
    );
    assert_eq!(
        sdk.output(&["-accel-check"]),
        (
            Some(0),
            "accel:\n0\nKVM (version 12) is installed and usable.\naccel\n".into(),
            String::new()
        )
    );
    let out = sdk
        .command(&["-accel-check"], 1)
        .env("CONSENTRY_STANDIN_NO_KVM", "1")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "accel:\n8\n/dev/kvm is not found: VT disabled in BIOS or KVM kernel module not loaded\naccel\n"
    );

    let (code, out, err) = sdk.output(&["-avd", "Nope", "-no-window"]);
    assert_eq!((code, out.as_str()), (Some(1), ""));
    assert_eq!(
        err.lines().next(),
        Some("PANIC: Unknown AVD name [Nope], use -list-avds to see valid list.")
    );
    assert!(
        err.contains(
            "ANDROID_AVD_HOME is defined but there is no file Nope.ini in $ANDROID_AVD_HOME"
        ),
        "{err}"
    );

    let (code, _, err) = sdk.output(&["-avd", "Pixel_A", "-frobnicate"]);
    assert_eq!(code, Some(1));
    assert!(
        err.starts_with("emulator: ERROR: invalid command-line parameter: -frobnicate.\n"),
        "{err}"
    );
    let (code, _, err) = sdk.output(&["-avd", "Pixel_A", "-port", "5700"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("between 5554 and 5680"), "{err}");
}

#[test]
fn the_console_asks_for_the_token_file_and_takes_several_clients() {
    let sdk = Sdk::new();
    sdk.avd("Pixel", "");
    sdk.token("s3cr3tT0ken12345\n");
    let mut emu = sdk.start("Pixel", &[], 1);
    let mut c = emu.console();
    assert_eq!(
        c.banner,
        format!(
            "Android Console: Authentication required\r\nAndroid Console: type 'auth <auth_token>' to authenticate\r\nAndroid Console: you can find your <auth_token> in \r\n'{}'\r\nOK\r\n",
            sdk.home().join(".emulator_console_auth_token").display()
        )
    );
    // before auth: only the pre-auth commands
    assert_eq!(c.send("ping"), "I am alive!\r\nOK\r\n");
    assert_eq!(c.send("avd name"), "Pixel\r\nOK\r\n");
    assert!(c.send("avd status").ends_with("KO:  bad sub-command\r\n"));
    assert_eq!(c.send("kill"), "KO: unknown command, try 'help'\r\n");
    assert_eq!(
        c.send("auth wrong"),
        "KO: authentication token does not match ~/.emulator_console_auth_token\r\n"
    );
    c.auth("s3cr3tT0ken12345");
    assert_eq!(c.send("avd status"), "virtual device is running\r\nOK\r\n");
    assert_eq!(c.send("frobnicate"), "KO: unknown command, try 'help'\r\n");
    assert!(c.send("help").contains("    network\r\n"));
    // a second client at the same time has its own session
    let mut d = emu.console();
    assert!(
        d.banner
            .starts_with("Android Console: Authentication required\r\n")
    );
    assert!(d.send("avd status").starts_with("allows you"));
    d.auth("s3cr3tT0ken12345");
    assert_eq!(d.send("ping"), "I am alive!\r\nOK\r\n");
    assert_eq!(c.send("ping"), "I am alive!\r\nOK\r\n");
    // quit closes only that connection
    d.reader.get_mut().write_all(b"quit\n").expect("writes");
    let mut rest = String::new();
    assert_eq!(d.reader.read_line(&mut rest).expect("eof"), 0);
    assert_eq!(c.send("kill"), "OK: killing emulator, bye bye\r\n");
    assert_eq!(c.reply(), "OK\r\n");
    assert_eq!(emu.wait(), Some(0));
    assert!(
        TcpListener::bind(("127.0.0.1", emu.port)).is_ok(),
        "the console port is free again"
    );
}

#[test]
fn the_token_can_differ_from_the_file_an_empty_file_needs_none_a_missing_one_is_made() {
    let sdk = Sdk::new();
    sdk.avd("Pinned", "consentry.console_token=fromconfig\n");
    sdk.avd("Open", "");
    sdk.token("fromfile");
    {
        let emu = sdk.start("Pinned", &[], 1);
        let mut c = emu.console();
        assert_eq!(
            c.send("auth fromfile"),
            "KO: authentication token does not match ~/.emulator_console_auth_token\r\n"
        );
        c.auth("fromconfig");
    }
    sdk.token("");
    {
        let emu = sdk.start("Open", &[], 1);
        let mut c = emu.console();
        assert_eq!(
            c.banner,
            "Android Console: type 'help' for a list of commands\r\nOK\r\n"
        );
        assert_eq!(c.send("avd status"), "virtual device is running\r\nOK\r\n");
    }
    let token_file = sdk.home().join(".emulator_console_auth_token");
    std::fs::remove_file(&token_file).expect("rm");
    let emu = sdk.start("Open", &[], 1);
    let mut c = emu.console();
    assert!(
        c.banner
            .starts_with("Android Console: Authentication required\r\n")
    );
    let token = std::fs::read_to_string(&token_file).expect("the file was made");
    assert_eq!(token.len(), 16, "{token:?}");
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&token_file)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    c.auth(&token);
}

async fn shell(adb: &Adb, serial: &str, cmd: &str) -> String {
    let out = adb.run(&["-s", serial, "shell", cmd], T).await;
    assert_eq!(out.code, Some(0), "{cmd}: {}", out.stderr);
    out.text()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loading_a_snapshot_through_the_console_resets_the_device_seen_through_adb() {
    const PKG: &str = "com.example.tidynotes";
    const CAMERA: &str = "android.permission.CAMERA";
    let adb = Adb::start().await;
    let sdk = Sdk::new();
    sdk.avd("Pixel", "");
    sdk.token("");
    let emu = sdk.start("Pixel", &[], adb.port);
    let serial = emu.serial();
    adb.wait_for_state(&serial, "device").await;
    let granted = |dump: &str| dump.contains(&format!("{CAMERA}: granted=true"));
    assert!(!granted(
        &shell(&adb, &serial, &format!("dumpsys package {PKG}")).await
    ));
    shell(&adb, &serial, &format!("pm grant {PKG} {CAMERA}")).await;
    shell(&adb, &serial, "monkey -p com.example.sdkearly 1").await;
    assert!(granted(
        &shell(&adb, &serial, &format!("dumpsys package {PKG}")).await
    ));
    assert!(
        !shell(&adb, &serial, "pidof com.example.sdkearly")
            .await
            .is_empty()
    );

    let mut c = emu.console();
    assert_eq!(c.send("avd snapshot save mine"), "OK\r\n");
    let list = c.send("avd snapshot list");
    let rows: Vec<&str> = list.lines().collect();
    assert_eq!(rows[0], "List of snapshots present on all disks:");
    assert_eq!(
        rows[1],
        "ID        TAG                 VM SIZE                DATE       VM CLOCK"
    );
    assert!(rows[2].starts_with("--        default_boot  "), "{list}");
    assert!(rows[3].starts_with("--        mine  "), "{list}");
    assert_eq!(rows.len(), 5);
    assert!(c.send("avd snapshot load nosuch").starts_with("KO: "));
    assert_eq!(c.send("avd snapshot load default_boot"), "OK\r\n");

    assert!(!granted(
        &shell(&adb, &serial, &format!("dumpsys package {PKG}")).await
    ));
    let out = adb
        .run(&["-s", &serial, "shell", "pidof com.example.sdkearly"], T)
        .await;
    assert_eq!((out.code, out.text().as_str()), (Some(1), ""));
    assert_eq!(
        shell(&adb, &serial, "getprop ro.serialno").await.trim(),
        serial
    );
}

/// The size of a file (0 when missing).
fn size(p: &Path) -> u64 {
    std::fs::metadata(p).map_or(0, |m| m.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_capture_records_an_apps_contacts_while_it_runs() {
    let adb = Adb::start().await;
    let sdk = Sdk::new();
    sdk.avd("Pixel", "");
    sdk.token("");
    let at_boot = sdk.path("boot.pcap");
    let boot_arg = at_boot.display().to_string();
    let emu = sdk.start("Pixel", &["-tcpdump", &boot_arg], adb.port);
    let serial = emu.serial();
    adb.wait_for_state(&serial, "device").await;
    let header = |p: &Path| {
        let b = std::fs::read(p).expect("capture file");
        assert!(b.len() >= 24, "{}", b.len());
        assert_eq!(
            b[..24],
            [
                0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0,
                0, 0
            ]
        );
    };
    header(&at_boot);
    let mut c = emu.console();
    let file = sdk.path("console.pcap");
    assert_eq!(
        c.send(&format!("network capture start {}", file.display())),
        "OK\r\n"
    );
    header(&file);
    assert_eq!(size(&file), 24);
    let boot_size = size(&at_boot);
    // tidynotes contacts nothing
    shell(&adb, &serial, "monkey -p com.example.tidynotes 1").await;
    assert_eq!(size(&file), 24);
    shell(&adb, &serial, "monkey -p com.example.sdkearly 1").await;
    let grown = size(&file);
    assert!(grown > 24 + 1600, "{grown}");
    assert_eq!(
        size(&at_boot),
        boot_size,
        "the console's capture replaced -tcpdump's"
    );
    assert_eq!(c.send("network capture stop"), "OK\r\n");
    shell(&adb, &serial, "am force-stop com.example.sdkearly").await;
    shell(&adb, &serial, "monkey -p com.example.sdkearly 1").await;
    assert_eq!(size(&file), grown);
    assert!(
        c.send("network capture start /no/such/dir/x.pcap")
            .starts_with("KO: could not start capture: ")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_boot_completes_after_the_configured_delay() {
    let adb = Adb::start().await;
    let sdk = Sdk::new();
    sdk.avd("Slow", "consentry.boot_delay_ms=4000\n");
    sdk.token("");
    let emu = sdk.start("Slow", &[], adb.port);
    let serial = emu.serial();
    adb.wait_for_state(&serial, "device").await;
    assert_eq!(
        shell(&adb, &serial, "getprop sys.boot_completed").await,
        "\n"
    );
    let out = adb
        .run(&["-s", &serial, "shell", "pm list packages"], T)
        .await;
    assert_eq!(out.code, Some(20));
    assert!(
        out.stderr.contains("cmd: Can't find service: package"),
        "{}",
        out.stderr
    );
    let deadline = Instant::now() + T;
    loop {
        let p = shell(&adb, &serial, "getprop sys.boot_completed").await;
        if p == "1\n" {
            break;
        }
        assert_eq!(p, "\n");
        assert!(Instant::now() < deadline, "the boot never completed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        shell(&adb, &serial, "pm list packages")
            .await
            .contains("package:com.example.tidynotes")
    );
}

#[test]
fn sigterm_stops_the_stand_in_with_its_capture_on_disk() {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    let sdk = Sdk::new();
    sdk.avd("Pixel", "");
    sdk.token("");
    let file = sdk.path("t.pcap");
    let arg = file.display().to_string();
    let mut emu = sdk.start("Pixel", &["-tcpdump", &arg], 1);
    assert_eq!(size(&file), 24);
    let pid = i32::try_from(emu.child.id()).expect("pid");
    kill(Pid::from_raw(pid), Signal::SIGTERM).expect("signal");
    assert_eq!(emu.wait(), Some(0));
    assert_eq!(size(&file), 24);
    assert!(TcpListener::bind(("127.0.0.1", emu.port)).is_ok());
    assert!(TcpListener::bind(("127.0.0.1", emu.port + 1)).is_ok());
    // a taken port: the stand-in refuses to start
    let taken = TcpListener::bind(("127.0.0.1", emu.port + 1)).expect("bind");
    let port = emu.port.to_string();
    let out = sdk
        .command(&["-avd", "Pixel", "-port", &port], 1)
        .output()
        .expect("runs");
    drop(taken);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not available"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
