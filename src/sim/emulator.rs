//! A stand-in for the Android emulator executable (`SDK/emulator/emulator`),
//! run as `consentry emulator-standin ARGS...` behind a fake SDK
//! ([`write_fake_sdk`]), so that code which starts, drives and stops real
//! emulators can be tested where none can run.
//!
//! What it stands in for, as the real emulator does it:
//! - the command line: `-list-avds`, `-accel-check`, `-avd NAME` / `@NAME`,
//!   `-port N` (console N, adb N+1), the usual headless flags, `-tcpdump
//!   FILE`, and the real error texts for an unknown option, an unknown AVD
//!   and a bad port;
//! - the AVD files: `NAME.ini` (`path=`) in the AVD home and the AVD's
//!   `config.ini` (`image.sysdir.1` gives the API level, so the release);
//! - the running device: a [`SimDevice`] served by the simulated adbd on
//!   the adb port, announced to the adb server with `host:emulator:PORT`,
//!   serial `emulator-CONSOLEPORT`, booting for a configurable time;
//! - the console on the console port (`console.cpp` of the emulator: the
//!   auth banner and `~/.emulator_console_auth_token`, `auth`, `ping`,
//!   `avd name|status|snapshot list|save|load|del`, `network capture
//!   start|stop`, `kill`, `quit`/`exit`, `help`);
//! - stopping: console `kill`, SIGTERM and SIGINT stop the capture and
//!   the servers and exit 0.
//!
//! Limits: no real Android and no real network (the apps are fixture
//! models, their traffic is synthesised by [`netcap`](super::os::netcap));
//! a snapshot is only ever the boot state (`default_boot` always exists,
//! saved names remember nothing but their name and load the boot state
//! too); the console knows only the commands listed above; no window,
//! audio, GPU or metrics, whatever the flags say. Keys of `config.ini`
//! that only the stand-in reads start with `consentry.`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::adbd::{AuthMode, DeviceServer};
use super::os::{AppModel, DeviceConfig, Latency, Release, SimDevice};

/// The first console port and the last one `-port` accepts: the emulator
/// tries 64 pairs from 5554 (`option -port must be followed by an even
/// integer number between 5554 and 5680`).
pub const FIRST_PORT: u16 = 5554;
pub const LAST_PORT: u16 = 5680;
/// The boot time when `consentry.boot_delay_ms` is not set.
pub const DEFAULT_BOOT_MS: u64 = 300;
/// The snapshot the emulator saves at a cold boot (Quickboot).
pub const DEFAULT_BOOT_SNAPSHOT: &str = "default_boot";
/// The console's auth token file, in the user's home directory.
pub const TOKEN_FILE: &str = ".emulator_console_auth_token";

/// Writes `SDK/emulator/emulator`, a shell script (mode 755) that runs
/// `consentry_bin emulator-standin` with its arguments: the one way tests
/// and docs make a fake SDK.
pub fn write_fake_sdk(sdk: &Path, consentry_bin: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let dir = sdk.join("emulator");
    std::fs::create_dir_all(&dir)?;
    let script = dir.join("emulator");
    let bin = consentry_bin.display().to_string().replace('"', "\\\"");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nexec \"{bin}\" emulator-standin \"$@\"\n"),
    )?;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
}

/// The environment the stand-in reads, passed in so that tests need not
/// change the process's.
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl Env {
    /// The process's environment.
    pub fn from_process() -> Self {
        Self {
            vars: std::env::vars().collect(),
        }
    }

    /// An environment of these variables only.
    pub fn of<'a>(vars: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self {
            vars: vars
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.vars
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    fn home(&self) -> PathBuf {
        PathBuf::from(self.get("HOME").unwrap_or("/"))
    }

    /// Where the AVDs' `NAME.ini` files are: `$ANDROID_AVD_HOME`, else
    /// `$ANDROID_EMULATOR_HOME/avd`, else `$ANDROID_USER_HOME/avd`, else
    /// `$HOME/.android/avd`.
    pub fn avd_home(&self) -> PathBuf {
        if let Some(d) = self.get("ANDROID_AVD_HOME") {
            PathBuf::from(d)
        } else if let Some(d) = self.get("ANDROID_EMULATOR_HOME") {
            Path::new(d).join("avd")
        } else if let Some(d) = self.get("ANDROID_USER_HOME") {
            Path::new(d).join("avd")
        } else {
            self.home().join(".android").join("avd")
        }
    }

    /// `$HOME/.emulator_console_auth_token`: the emulator's
    /// `android_console_auth_token_path_dup` joins the user's home
    /// directory and the file name.
    pub fn token_path(&self) -> PathBuf {
        self.home().join(TOKEN_FILE)
    }

    fn adb_server_port(&self) -> u16 {
        self.get("ANDROID_ADB_SERVER_PORT")
            .and_then(|p| p.parse().ok())
            .unwrap_or(5037)
    }
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    ListAvds,
    AccelCheck,
    Run(RunOptions),
}

/// The options of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOptions {
    pub avd: String,
    /// The console port; adb is the next one.
    pub port: u16,
    /// A warning to print (an odd `-port` rounded down).
    pub warning: Option<String>,
    pub tcpdump: Option<PathBuf>,
    pub read_only: bool,
    pub verbose: bool,
}

/// A command line the emulator refuses: the lines it prints on stderr.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", lines.join("\n"))]
pub struct Refused {
    pub lines: Vec<String>,
}

fn refused(lines: &[&str]) -> Refused {
    Refused {
        lines: lines.iter().map(|l| (*l).to_string()).collect(),
    }
}

/// Flags that take no value and change nothing in the stand-in.
const IGNORED_FLAGS: &[&str] = &[
    "-no-window",
    "-no-audio",
    "-no-boot-anim",
    "-no-snapshot",
    "-no-snapshot-save",
    "-no-snapshot-load",
    "-no-metrics",
    "-wipe-data",
];
/// Options that take a value the stand-in does not use.
const IGNORED_PARAMS: &[&str] = &["-gpu", "-snapshot"];

/// Parses the emulator's single-dash options.
pub fn parse(args: &[String]) -> Result<Action, Refused> {
    let mut avd = None;
    let mut port = None;
    let mut tcpdump = None;
    let (mut read_only, mut verbose, mut list, mut accel) = (false, false, false, false);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next().cloned().ok_or_else(|| {
                refused(&[&format!(
                    "emulator: ERROR: missing argument after '{name}' option"
                )])
            })
        };
        match a.as_str() {
            "-list-avds" => list = true,
            "-accel-check" => accel = true,
            "-read-only" => read_only = true,
            "-verbose" => verbose = true,
            "-avd" => avd = Some(value("-avd")?),
            "-port" => port = Some(value("-port")?),
            "-tcpdump" => tcpdump = Some(PathBuf::from(value("-tcpdump")?)),
            f if IGNORED_FLAGS.contains(&f) => {}
            p if IGNORED_PARAMS.contains(&p) => {
                value(p)?;
            }
            s if s.starts_with('@') && s.len() > 1 => avd = Some(s[1..].to_string()),
            other => {
                let name = other.trim_start_matches('-');
                return Err(refused(&[
                    &format!("emulator: ERROR: invalid command-line parameter: {other}."),
                    &format!(
                        "emulator: Hint: use '@{name}' to launch a virtual device named '{name}'."
                    ),
                    "emulator: ERROR: please use -help for more information",
                ]));
            }
        }
    }
    if list {
        return Ok(Action::ListAvds);
    }
    if accel {
        return Ok(Action::AccelCheck);
    }
    let Some(avd) = avd else {
        return Err(refused(&[
            "emulator: ERROR: No AVD specified. Use '@foo' or '-avd foo' to launch a virtual device named 'foo'",
        ]));
    };
    let (port, warning) = match port {
        None => (FIRST_PORT, None),
        Some(p) => console_port(&p)?,
    };
    Ok(Action::Run(RunOptions {
        avd,
        port,
        warning,
        tcpdump,
        read_only,
        verbose,
    }))
}

/// `-port N`, as the emulator's `android_emulation_setup` checks it: a
/// number within the 64 pairs from 5554, else an error; an odd one is
/// rounded down with a warning.
fn console_port(text: &str) -> Result<(u16, Option<String>), Refused> {
    let bad = || {
        refused(&[&format!(
            "emulator: ERROR: option -port must be followed by an even integer number between {FIRST_PORT} and {LAST_PORT}"
        )])
    };
    let n: u32 = text.parse().map_err(|_| bad())?;
    if n < u32::from(FIRST_PORT) || (n - u32::from(FIRST_PORT)) >> 1 >= 64 {
        return Err(bad());
    }
    let port = u16::try_from(n).map_err(|_| bad())?;
    if port % 2 == 1 {
        let even = port & !1;
        return Ok((
            even,
            Some(format!(
                "emulator: WARNING: option -port must be followed by an even integer, using  port number {even}"
            )),
        ));
    }
    Ok((port, None))
}

/// `-list-avds`: the AVD names (every `NAME.ini` of the AVD home), sorted.
pub fn list_avds(env: &Env) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(env.avd_home())
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let stem = name.strip_suffix(".ini")?;
            e.path().is_file().then(|| stem.to_string())
        })
        .collect();
    names.sort();
    names
}

/// `-accel-check`: what the emulator prints when KVM is usable, or (with
/// `CONSENTRY_STANDIN_NO_KVM=1`) when `/dev/kvm` is missing, and the exit
/// status.
pub fn accel_check(env: &Env) -> (String, u8) {
    if env.get("CONSENTRY_STANDIN_NO_KVM") == Some("1") {
        (
            "accel:\n8\n/dev/kvm is not found: VT disabled in BIOS or KVM kernel module not loaded\naccel\n".into(),
            1,
        )
    } else {
        (
            "accel:\n0\nKVM (version 12) is installed and usable.\naccel\n".into(),
            0,
        )
    }
}

/// `KEY=VALUE` lines of an `.ini` file (keys trimmed, `#` comments and
/// blank lines skipped).
fn read_ini(path: &Path) -> std::io::Result<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path)?;
    Ok(text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect())
}

/// The AVD as the stand-in runs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Avd {
    pub name: String,
    pub release: Release,
    pub apps: PathBuf,
    pub latency: Latency,
    pub time_scale: f64,
    pub boot_delay: Option<Duration>,
    pub seed: u64,
    /// `consentry.console_token`: the token `auth` expects, instead of the
    /// token file's content.
    pub console_token: Option<String>,
}

/// The release of an API level: up to 28 Android 9, 29 to 31 Android 11,
/// 32 and later Android 14 (the simulator's three profiles).
pub fn release_for_api(api: u32) -> Release {
    match api {
        0..=28 => Release::Android9,
        29..=31 => Release::Android11,
        _ => Release::Android14,
    }
}

/// The API level in `system-images/android-34/google_apis/x86_64/`.
fn api_level(sysdir: &str) -> Option<u32> {
    sysdir.split('/').find_map(|part| {
        part.strip_prefix("android-")
            .and_then(|n| n.parse::<u32>().ok())
    })
}

/// Reads the AVD `name`: `Err` holds the lines the emulator prints.
pub fn load_avd(env: &Env, name: &str) -> Result<Avd, Refused> {
    let ini_path = env.avd_home().join(format!("{name}.ini"));
    let Ok(ini) = read_ini(&ini_path) else {
        let (var, dir) = if env.get("ANDROID_AVD_HOME").is_some() {
            ("ANDROID_AVD_HOME", "$ANDROID_AVD_HOME")
        } else {
            ("HOME", "$HOME/.android/avd")
        };
        return Err(refused(&[
            &format!("PANIC: Unknown AVD name [{name}], use -list-avds to see valid list."),
            &format!("{var} is defined but there is no file {name}.ini in {dir}"),
            "(Note: Directories are searched in the order $ANDROID_AVD_HOME, $ANDROID_SDK_HOME/avd and $HOME/.android/avd)",
        ]));
    };
    let content = ini
        .get("path")
        .map_or_else(|| env.avd_home().join(format!("{name}.avd")), PathBuf::from);
    let config_path = content.join("config.ini");
    let config = read_ini(&config_path).map_err(|e| {
        refused(&[&format!(
            "PANIC: Could not open AVD config file: {}: {e}",
            config_path.display()
        )])
    })?;
    let bad = |key: &str, why: &str| {
        refused(&[&format!(
            "emulator: ERROR: {}: `{key}`: {why} (a key only the consentry stand-in reads)",
            config_path.display()
        )])
    };
    let api = config
        .get("image.sysdir.1")
        .and_then(|s| api_level(s))
        .or_else(|| {
            ini.get("target")
                .and_then(|t| t.strip_prefix("android-"))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(34);
    let apps = config
        .get("consentry.apps")
        .map(PathBuf::from)
        .ok_or_else(|| {
            bad(
                "consentry.apps",
                "missing: the folder of fixture app models",
            )
        })?;
    let latency = match config.get("consentry.latency").map(String::as_str) {
        None | Some("none") => Latency::None,
        Some("realistic") => Latency::Realistic,
        Some(_) => return Err(bad("consentry.latency", "`none` or `realistic`")),
    };
    let time_scale = match config.get("consentry.time_scale") {
        None => 1.0,
        Some(t) => t
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite() && *x > 0.0)
            .ok_or_else(|| bad("consentry.time_scale", "a positive number"))?,
    };
    let boot_delay = if config.get("consentry.boot").map(String::as_str) == Some("never") {
        None
    } else {
        Some(Duration::from_millis(
            match config.get("consentry.boot_delay_ms") {
                None => DEFAULT_BOOT_MS,
                Some(ms) => ms
                    .parse()
                    .map_err(|_| bad("consentry.boot_delay_ms", "milliseconds"))?,
            },
        ))
    };
    let seed = match config.get("consentry.seed") {
        None => 1,
        Some(s) => s
            .parse()
            .map_err(|_| bad("consentry.seed", "a whole number"))?,
    };
    Ok(Avd {
        name: name.to_string(),
        release: release_for_api(api),
        apps,
        latency,
        time_scale,
        boot_delay,
        seed,
        console_token: config.get("consentry.console_token").cloned(),
    })
}

/// Runs the stand-in with these arguments; returns the exit status and
/// prints as the emulator does.
pub fn main(args: &[String], env: &Env) -> u8 {
    let action = match parse(args) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return 1;
        }
    };
    match action {
        Action::ListAvds => {
            for n in list_avds(env) {
                println!("{n}");
            }
            0
        }
        Action::AccelCheck => {
            let (text, code) = accel_check(env);
            print!("{text}");
            code
        }
        Action::Run(opts) => {
            if let Some(w) = &opts.warning {
                eprintln!("{w}");
            }
            let avd = match load_avd(env, &opts.avd) {
                Ok(a) => a,
                Err(e) => {
                    eprintln!("{e}");
                    return 1;
                }
            };
            let apps = match AppModel::load_dir(&avd.apps) {
                Ok(a) => a,
                Err(e) => {
                    eprintln!("emulator: ERROR: consentry.apps: {e}");
                    return 1;
                }
            };
            let rt = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("emulator: ERROR: cannot start the async runtime: {e}");
                    return 1;
                }
            };
            let code = rt.block_on(run(opts, avd, apps, env.clone()));
            rt.shutdown_timeout(Duration::from_secs(1));
            code
        }
    }
}

/// The console's shared state.
struct Console {
    avd: String,
    device: Arc<SimDevice>,
    /// The token `auth` takes; `None`: the console needs no auth.
    token: Option<String>,
    token_path: PathBuf,
    read_only: bool,
    /// Saved snapshot names with the host time and device uptime of the save.
    snapshots: Mutex<Vec<(String, SystemTime, Duration)>>,
    started: std::time::Instant,
    stop: watch::Sender<bool>,
}

/// The token file's state at start, as `android_console_auth_get_status`
/// reads it: a missing file is created with a random token (mode 0600);
/// an empty one turns auth off. `Err`: the file cannot be read or made.
fn console_token(path: &Path) -> std::io::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(Some(t.trim().to_string()).filter(|t| !t.is_empty())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            use std::io::Write;
            use std::os::unix::fs::OpenOptionsExt;
            let token = random_token()?;
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)?;
            f.write_all(token.as_bytes())?;
            Ok(Some(token))
        }
        Err(e) => Err(e),
    }
}

/// 16 characters of base64 from 12 random bytes, as the emulator's tokens
/// look (`123456789ABCdefZ`, `FEHdxl/bQ4B24S2l`).
fn random_token() -> std::io::Result<String> {
    use base64::Engine as _;
    let mut bytes = [0u8; 12];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// Binds both ports, boots the device, registers with the adb server and
/// serves until `kill`, SIGTERM or SIGINT.
async fn run(opts: RunOptions, avd: Avd, apps: Vec<AppModel>, env: Env) -> u8 {
    let host = Ipv4Addr::LOCALHOST;
    let adb_port = opts.port + 1;
    let (console_l, adb_l) = match (
        TcpListener::bind((host, opts.port)).await,
        TcpListener::bind((host, adb_port)).await,
    ) {
        (Ok(c), Ok(a)) => (c, a),
        (c, a) => {
            let (port, e) = match (c, a) {
                (Err(e), _) => (opts.port, e),
                (_, Err(e)) => (adb_port, e),
                _ => (opts.port, std::io::Error::other("bind failed")),
            };
            eprintln!(
                "emulator: ERROR: the console port {} or adb port {adb_port} is not available: port {port}: {e}",
                opts.port
            );
            return 1;
        }
    };
    let serial = format!("emulator-{}", opts.port);
    let config = DeviceConfig {
        serial: serial.clone(),
        latency: avd.latency,
        seed: avd.seed,
        time_scale: avd.time_scale,
        boot_delay: avd.boot_delay,
        ..DeviceConfig::for_release(avd.release)
    };
    let device = SimDevice::new(config, apps);
    let server = match DeviceServer::start_on(adb_l, device.clone(), AuthMode::Accept) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("emulator: ERROR: adb port {adb_port}: {e}");
            return 1;
        }
    };
    let token_path = env.token_path();
    let file_token = match console_token(&token_path) {
        Ok(t) => t,
        Err(e) => {
            // As the emulator: the console then refuses every client.
            eprintln!(
                "ERROR: Unable to access '{}': emulator console will not work ({e})",
                token_path.display()
            );
            None
        }
    };
    let token = match (&avd.console_token, file_token) {
        (Some(t), _) => Some(t.clone()),
        (None, t) => t,
    };
    if let Some(path) = &opts.tcpdump {
        if let Err(e) = device.start_capture(path) {
            eprintln!("emulator: ERROR: -tcpdump {}: {e}", path.display());
            return 1;
        }
    }
    let (stop, mut stopped) = watch::channel(false);
    let console = Arc::new(Console {
        avd: avd.name.clone(),
        device: device.clone(),
        token,
        token_path,
        read_only: opts.read_only,
        snapshots: Mutex::new(Vec::new()),
        started: std::time::Instant::now(),
        stop,
    });
    if opts.verbose {
        println!(
            "emulator: INFO: consentry stand-in: AVD {} ({}), console 127.0.0.1:{}, adb 127.0.0.1:{adb_port}",
            avd.name, avd.release, opts.port
        );
    }
    let accept = tokio::spawn(serve_console(console_l, Arc::clone(&console)));
    tokio::spawn(register(env.adb_server_port(), adb_port));
    let boot = tokio::spawn(announce_boot(device.clone()));
    let code = wait_for_stop(&mut stopped).await;
    accept.abort();
    boot.abort();
    let _ = device.stop_capture();
    drop(server);
    code
}

/// Waits for `kill` (the watch turning true), SIGTERM or SIGINT.
async fn wait_for_stop(stopped: &mut watch::Receiver<bool>) -> u8 {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        let _ = stopped.wait_for(|s| *s).await;
        return 0;
    };
    tokio::select! {
        _ = stopped.wait_for(|s| *s) => {}
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    0
}

/// Prints the boot lines once the device's boot completes.
async fn announce_boot(device: Arc<SimDevice>) {
    let start = std::time::Instant::now();
    while !device.boot_completed() {
        if device.config.boot_delay.is_none() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!("emulator: INFO: boot completed");
    println!(
        "emulator: INFO: boot time {} ms",
        start.elapsed().as_millis()
    );
}

/// Tells the adb server about the device, as the emulator does at start:
/// `host:emulator:ADBPORT` in the host protocol (4 hex digits of length,
/// then the request); the server reads it and closes without a reply. No
/// server running is not an error: one started later finds emulators on
/// 5555..5585 by itself.
async fn register(server_port: u16, adb_port: u16) {
    let attempt = async {
        let mut s = TcpStream::connect((Ipv4Addr::LOCALHOST, server_port)).await?;
        let req = format!("host:emulator:{adb_port}");
        s.write_all(format!("{:04x}{req}", req.len()).as_bytes())
            .await?;
        let mut sink = Vec::new();
        let _ = s.read_to_end(&mut sink).await;
        Ok::<(), std::io::Error>(())
    };
    match tokio::time::timeout(Duration::from_secs(5), attempt).await {
        Ok(Ok(())) => tracing::debug!(server_port, adb_port, "registered with the adb server"),
        Ok(Err(e)) => tracing::debug!(server_port, "no adb server to register with: {e}"),
        Err(_) => tracing::debug!(server_port, "the adb server did not answer"),
    }
}

async fn serve_console(listener: TcpListener, console: Arc<Console>) {
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            continue;
        };
        tracing::debug!(%peer, "console client");
        tokio::spawn(client(stream, Arc::clone(&console)));
    }
}

/// What a console line does to the session.
enum Next {
    Continue,
    Close,
    Kill,
}

/// One console client: the banner, then one command per line.
async fn client(stream: TcpStream, console: Arc<Console>) {
    let (read, mut write) = stream.into_split();
    let mut authed = console.token.is_none();
    let banner = if authed {
        "Android Console: type 'help' for a list of commands\r\nOK\r\n".to_string()
    } else {
        format!(
            "Android Console: Authentication required\r\nAndroid Console: type 'auth <auth_token>' to authenticate\r\nAndroid Console: you can find your <auth_token> in \r\n'{}'\r\nOK\r\n",
            console.token_path.display()
        )
    };
    if write.write_all(banner.as_bytes()).await.is_err() {
        return;
    }
    let mut lines = BufReader::new(read).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let line = line.trim_end_matches('\r').to_string();
        let (out, next) = command(&console, &line, &mut authed);
        if write.write_all(out.as_bytes()).await.is_err() {
            return;
        }
        match next {
            Next::Continue => {}
            Next::Close => return,
            Next::Kill => {
                let _ = write.flush().await;
                let _ = console.stop.send(true);
                return;
            }
        }
    }
}

/// The commands the console knows before auth (`main_commands_preauth`)
/// and after it (the stand-in's part of `main_commands`).
const PREAUTH: &[&str] = &[
    "help|h|?",
    "help-verbose",
    "ping",
    "avd",
    "auth",
    "quit|exit",
];
const COMMANDS: &[(&str, &str)] = &[
    ("help|h|?", "print a list of commands"),
    ("help-verbose", "print a list of commands with descriptions"),
    ("ping", "check if the emulator is alive"),
    ("kill", "kill the emulator instance"),
    ("network", "manage network settings"),
    ("quit|exit", "quit control session"),
    ("avd", "control virtual device execution"),
];

fn help(authed: bool) -> String {
    let mut s = "Android console commands:\r\n".to_string();
    for (name, _) in COMMANDS {
        if authed || PREAUTH.contains(name) {
            let _ = write!(s, "    {name}\r\n");
        }
    }
    if !authed {
        s.push_str("    auth\r\n");
    }
    s.push_str(
        "\r\nTry 'help-verbose' for more description\r\nTry 'help <command>' for command-specific help\r\nOK\r\n",
    );
    s
}

/// `dump_help` of a command with sub-commands, then the KO line.
fn sub_help(description: &str, prefix: &str, subs: &[(&str, &str)], ko: &str) -> String {
    let mut s = format!("{description}\r\n\r\navailable sub-commands:\r\n");
    for (name, what) in subs {
        let _ = write!(s, "   {prefix} {name:<15}  {what}\r\n");
    }
    let _ = write!(s, "\r\n{ko}\r\n");
    s
}

const AVD_SUBS: &[(&str, &str)] = &[
    ("status", "query virtual device status"),
    ("name", "query virtual device name"),
    ("snapshot", "state snapshot commands"),
];
const SNAPSHOT_SUBS: &[(&str, &str)] = &[
    ("list", "list available state snapshots"),
    ("save", "save state snapshot"),
    ("load", "load state snapshot"),
    ("del", "delete state snapshot"),
];
const NETWORK_SUBS: &[(&str, &str)] = &[("capture", "dump network packets to file")];
const CAPTURE_SUBS: &[(&str, &str)] = &[
    ("start", "start network capture"),
    ("stop", "stop network capture"),
];

/// Runs one console line: (what to write back, what happens next).
fn command(console: &Console, line: &str, authed: &mut bool) -> (String, Next) {
    let words: Vec<&str> = line.split(' ').filter(|w| !w.is_empty()).collect();
    let ok = |s: String| (s + "OK\r\n", Next::Continue);
    let ko = |s: &str| (format!("{s}\r\n"), Next::Continue);
    let unknown = || ko("KO: unknown command, try 'help'");
    match words.as_slice() {
        [] => unknown(),
        ["help" | "h" | "?", ..] => (help(*authed), Next::Continue),
        ["help-verbose", ..] => {
            let mut s = "Android console command help:\r\n\r\n".to_string();
            for (name, what) in COMMANDS {
                if *authed || PREAUTH.contains(name) {
                    let _ = write!(s, "    {name:<15}  {what}\r\n");
                }
            }
            s.push_str("\r\ntry 'help <command>' for command-specific help\r\n");
            ok(s)
        }
        ["ping", ..] => ok("I am alive!\r\n".into()),
        ["quit" | "exit", ..] => (String::new(), Next::Close),
        ["auth", rest @ ..] if !*authed => match rest.first() {
            None => ko("KO: missing authentication token"),
            Some(t) if Some(*t) == console.token.as_deref() => {
                *authed = true;
                ok("Android Console: type 'help' for a list of commands\r\n".into())
            }
            Some(_) => ko("KO: authentication token does not match ~/.emulator_console_auth_token"),
        },
        ["avd", "name", ..] => ok(format!("{}\r\n", console.avd)),
        ["avd"] if !*authed => (
            sub_help(
                "allows you to control (e.g. start/stop) the execution of the virtual device",
                "",
                &[("name", "query virtual device name")],
                "KO: missing sub-command",
            ),
            Next::Continue,
        ),
        ["avd", ..] if !*authed => (
            sub_help(
                "allows you to control (e.g. start/stop) the execution of the virtual device",
                "",
                &[("name", "query virtual device name")],
                "KO:  bad sub-command",
            ),
            Next::Continue,
        ),
        _ if !*authed => unknown(),
        ["kill", ..] => ("OK: killing emulator, bye bye\r\nOK\r\n".into(), Next::Kill),
        ["avd", "status", ..] => ok("virtual device is running\r\n".into()),
        ["avd", "snapshot", rest @ ..] => snapshot(console, rest),
        ["avd", rest @ ..] => (
            sub_help(
                "allows you to control (e.g. start/stop) the execution of the virtual device",
                "",
                AVD_SUBS,
                if rest.is_empty() {
                    "KO: missing sub-command"
                } else {
                    "KO:  bad sub-command"
                },
            ),
            Next::Continue,
        ),
        ["network", "capture", "start", file, ..] => {
            match console.device.start_capture(Path::new(file)) {
                Ok(()) => ok(String::new()),
                Err(e) => ko(&format!("KO: could not start capture: {e}")),
            }
        }
        ["network", "capture", "start"] => {
            ko("KO: missing <file> argument, see 'help network capture start'")
        }
        ["network", "capture", "stop", ..] => {
            let _ = console.device.stop_capture();
            ok(String::new())
        }
        ["network", "capture", rest @ ..] => (
            sub_help(
                "allows to start/stop capture of network packets to a file for later analysis",
                "",
                CAPTURE_SUBS,
                if rest.is_empty() {
                    "KO: missing sub-command"
                } else {
                    "KO:  bad sub-command"
                },
            ),
            Next::Continue,
        ),
        ["network", rest @ ..] => (
            sub_help(
                "allows you to manage the settings related to the network data connection of the\r\nemulated device.",
                "",
                NETWORK_SUBS,
                if rest.is_empty() {
                    "KO: missing sub-command"
                } else {
                    "KO:  bad sub-command"
                },
            ),
            Next::Continue,
        ),
        _ => unknown(),
    }
}

/// `HH:MM:SS.mmm` of an uptime (qemu's `VM CLOCK` column).
fn vm_clock(d: Duration) -> String {
    let ms = d.as_millis();
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// `YYYY-MM-DD HH:MM:SS` of a host time, in UTC.
fn date(t: SystemTime) -> String {
    let ms = t
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    super::os::clock::fmt_datetime_secs(ms)
}

fn snapshot(console: &Console, args: &[&str]) -> (String, Next) {
    let ok = |s: String| (s + "OK\r\n", Next::Continue);
    let ko = |s: String| (s, Next::Continue);
    let mut saved = console
        .snapshots
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let known = |name: &str, saved: &[(String, SystemTime, Duration)]| {
        name == DEFAULT_BOOT_SNAPSHOT || saved.iter().any(|(n, _, _)| n == name)
    };
    match args {
        ["list", ..] => {
            // qemu's `bdrv_snapshot_dump` columns: %-10s%-20s%7s%20s%15s
            let mut s = format!(
                "List of snapshots present on all disks:\r\n{:<10}{:<20}{:>7}{:>20}{:>15}\r\n",
                "ID", "TAG", "VM SIZE", "DATE", "VM CLOCK"
            );
            let boot = SystemTime::now() - console.started.elapsed();
            let rows = std::iter::once((DEFAULT_BOOT_SNAPSHOT.to_string(), boot, Duration::ZERO))
                .chain(saved.iter().cloned());
            for (name, at, clock) in rows {
                let _ = write!(
                    s,
                    "{:<10}{:<20}{:>7}{:>20}{:>15}\r\n",
                    "--",
                    name,
                    "75M",
                    date(at),
                    vm_clock(clock)
                );
            }
            ok(s)
        }
        ["save", ..] if console.read_only => {
            ko("KO: Snapshot save is disabled because \"-read-only\" was specified\n".into())
        }
        ["save", name, ..] => {
            if !known(name, &saved) {
                saved.push((
                    (*name).to_string(),
                    SystemTime::now(),
                    console.started.elapsed(),
                ));
            }
            ok(String::new())
        }
        ["save"] => ko("KO: Argument missing, try 'avd snapshot save <name>'\r\n".into()),
        ["load", ..] if console.read_only => {
            ko("KO: Snapshot load is disabled because \"-read-only\" was specified\n".into())
        }
        ["load", name, ..] => {
            if known(name, &saved) {
                drop(saved);
                console.device.reset_to_boot();
                ok(String::new())
            } else {
                ko(format!(
                    "KO: Snapshot '{name}' does not exist in one or more devices\r\n"
                ))
            }
        }
        ["load"] => ko("KO: Argument missing, try 'avd snapshot load <name>'\r\n".into()),
        ["del" | "delete", ..] if console.read_only => {
            ko("KO: Snapshot delete is disabled because \"-read-only\" was specified\n".into())
        }
        ["del" | "delete", name, ..] => {
            saved.retain(|(n, _, _)| n != name);
            ok(String::new())
        }
        ["del" | "delete"] => ko("KO: Argument missing, try 'avd snapshot list <name>'\r\n".into()),
        rest => (
            sub_help(
                "allows you to save and restore the virtual device state in snapshots",
                "",
                SNAPSHOT_SUBS,
                if rest.is_empty() {
                    "KO: missing sub-command"
                } else {
                    "KO:  bad sub-command"
                },
            ),
            Next::Continue,
        ),
    }
}

/// The address the console of a console port listens on.
pub fn console_addr(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn the_command_line_follows_the_emulators() {
        assert_eq!(parse(&args("-list-avds")), Ok(Action::ListAvds));
        assert_eq!(parse(&args("-accel-check")), Ok(Action::AccelCheck));
        let Ok(Action::Run(o)) = parse(&args(
            "-avd pixel -port 5600 -no-window -no-audio -gpu swiftshader_indirect -no-boot-anim -read-only -no-snapshot-save -snapshot x -tcpdump /tmp/a.pcap -verbose -no-metrics",
        )) else {
            panic!("runs");
        };
        assert_eq!(
            (o.avd.as_str(), o.port, o.read_only, o.tcpdump),
            ("pixel", 5600, true, Some(PathBuf::from("/tmp/a.pcap")))
        );
        let Ok(Action::Run(o)) = parse(&args("@pixel")) else {
            panic!("runs");
        };
        assert_eq!((o.avd.as_str(), o.port), ("pixel", 5554));
        let Ok(Action::Run(o)) = parse(&args("@pixel -port 5601")) else {
            panic!("runs");
        };
        assert_eq!(o.port, 5600);
        assert!(
            o.warning
                .expect("warns")
                .contains("using  port number 5600")
        );
        for bad in ["5552", "5682", "70000", "x"] {
            let e = parse(&args(&format!("@p -port {bad}"))).expect_err(bad);
            assert_eq!(
                e.lines,
                [
                    "emulator: ERROR: option -port must be followed by an even integer number between 5554 and 5680"
                ]
            );
        }
        assert!(parse(&args("@p -port 5681")).is_ok());
        let e = parse(&args("@p -frobnicate")).expect_err("unknown");
        assert_eq!(
            e.lines[0],
            "emulator: ERROR: invalid command-line parameter: -frobnicate."
        );
        assert!(parse(&args("-avd")).is_err());
        assert!(parse(&args("-no-window")).is_err(), "no AVD");
    }

    #[test]
    fn api_levels_pick_the_release() {
        assert_eq!(
            api_level("system-images/android-34/google_apis/x86_64/"),
            Some(34)
        );
        assert_eq!(release_for_api(28), Release::Android9);
        assert_eq!(release_for_api(29), Release::Android11);
        assert_eq!(release_for_api(31), Release::Android11);
        assert_eq!(release_for_api(32), Release::Android14);
    }

    #[test]
    fn the_avd_home_follows_the_variables() {
        let e = Env::of([("HOME", "/h")]);
        assert_eq!(e.avd_home(), PathBuf::from("/h/.android/avd"));
        assert_eq!(
            e.token_path(),
            PathBuf::from("/h/.emulator_console_auth_token")
        );
        let e = Env::of([("HOME", "/h"), ("ANDROID_USER_HOME", "/u")]);
        assert_eq!(e.avd_home(), PathBuf::from("/u/avd"));
        let e = Env::of([("ANDROID_USER_HOME", "/u"), ("ANDROID_EMULATOR_HOME", "/e")]);
        assert_eq!(e.avd_home(), PathBuf::from("/e/avd"));
        let e = Env::of([("ANDROID_EMULATOR_HOME", "/e"), ("ANDROID_AVD_HOME", "/a")]);
        assert_eq!(e.avd_home(), PathBuf::from("/a"));
    }

    #[test]
    fn snapshot_rows_have_qemus_columns() {
        // a real `avd snapshot list` row
        let real = "--        default_boot            75M 2026-09-09 11:41:45   00:10:07.753";
        let ours = format!(
            "{:<10}{:<20}{:>7}{:>20}{:>15}",
            "--",
            "default_boot",
            "75M",
            "2026-09-09 11:41:45",
            vm_clock(Duration::from_millis(607_753))
        );
        assert_eq!(ours, real);
    }

    #[test]
    fn a_missing_token_file_is_created_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(TOKEN_FILE);
        let t = console_token(&path).expect("created").expect("a token");
        assert_eq!(t.len(), 16);
        let mode = std::fs::metadata(&path)
            .expect("exists")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(console_token(&path).expect("read"), Some(t));
        std::fs::write(&path, "\n").expect("write");
        assert_eq!(console_token(&path).expect("read"), None);
    }
}
