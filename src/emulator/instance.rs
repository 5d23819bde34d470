//! One emulator process: choosing its ports, starting it headless, waiting
//! until Android has booted, and stopping it (console `kill`, then the
//! whole process group). The emulator runs in a process group of its own,
//! because the `emulator` launcher starts `qemu-system-*` as a child: a
//! signal to the group reaches both.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::process::{Child, Command};

use super::EmulatorError;
use super::console::Console;
use super::sdk::Sdk;
use crate::device::{AdbDevice, AdbServer, Device, Timeouts};

/// The console ports the emulator accepts: even, 5554 to 5682.
pub const FIRST_PORT: u16 = 5554;
pub const LAST_PORT: u16 = 5682;

/// How long console calls may take.
pub const CONSOLE_LIMIT: Duration = Duration::from_secs(10);

/// How to start instances of one AVD.
#[derive(Clone)]
pub struct Spec {
    pub sdk: Sdk,
    pub avd: String,
    /// A snapshot to boot from and to load before each app.
    pub snapshot: Option<String>,
    pub boot_timeout: Duration,
    /// The server the emulator registers with and the controller uses.
    pub adb: AdbServer,
    pub timeouts: Timeouts,
    /// Where each instance's output log (and boot capture) goes.
    pub work: PathBuf,
    /// Boot with `-tcpdump` and split the capture per run.
    pub capture: bool,
    /// `-read-only`, so that the AVD can run several times at once. The
    /// emulator then refuses console snapshot loads (its console answers
    /// `KO: Snapshot load is disabled because "-read-only" was
    /// specified`), so a reset boots the instance again from the snapshot.
    pub read_only: bool,
}

impl std::fmt::Debug for Spec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spec")
            .field("avd", &self.avd)
            .field("snapshot", &self.snapshot)
            .field("capture", &self.capture)
            .field("read_only", &self.read_only)
            .finish_non_exhaustive()
    }
}

/// The serial adb gives the emulator on console port `port`.
pub fn serial_of(port: u16) -> String {
    format!("emulator-{port}")
}

/// The first console port from `from` (even, within the emulator's range)
/// whose console and adb ports can both be bound on loopback and that no
/// known device uses.
pub fn free_port(from: u16, taken: &[u16]) -> Option<u16> {
    let start = from.max(FIRST_PORT) + from % 2;
    (start..=LAST_PORT).step_by(2).find(|p| {
        !taken.contains(p)
            && std::net::TcpListener::bind(("127.0.0.1", *p)).is_ok()
            && std::net::TcpListener::bind(("127.0.0.1", *p + 1)).is_ok()
    })
}

/// The command line of one instance.
pub fn arguments(spec: &Spec, port: u16, tcpdump: Option<&Path>) -> Vec<String> {
    let mut args: Vec<String> = [
        "-avd",
        spec.avd.as_str(),
        "-port",
        &port.to_string(),
        "-no-window",
        "-no-audio",
        "-no-boot-anim",
        "-no-snapshot-save",
    ]
    .iter()
    .map(|s| (*s).to_string())
    .collect();
    if spec.read_only {
        args.push("-read-only".into());
    }
    if let Some(s) = &spec.snapshot {
        args.extend(["-snapshot".into(), s.clone()]);
    }
    if let Some(f) = tcpdump {
        args.extend(["-tcpdump".into(), f.display().to_string()]);
    }
    args
}

/// The process groups of the attached instances still running, so that a
/// controller about to exit at once (a third Ctrl-C) can end them first.
static LIVE: std::sync::Mutex<Vec<u32>> = std::sync::Mutex::new(Vec::new());

fn live() -> std::sync::MutexGuard<'static, Vec<u32>> {
    LIVE.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// SIGKILL to every attached instance's process group.
pub fn kill_all() {
    for pid in live().drain(..) {
        if let Ok(pgid) = i32::try_from(pid) {
            if pgid > 0 {
                let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
            }
        }
    }
}

/// A running emulator.
pub struct Instance {
    pub serial: String,
    pub console_port: u16,
    /// The process id, which is also its process group.
    pub pid: u32,
    /// Its stdout and stderr.
    pub log: PathBuf,
    child: Option<Child>,
}

/// The last lines of an emulator's log, for an error.
pub fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = lines[lines.len().saturating_sub(5)..].join(" | ");
    if tail.is_empty() {
        "it printed nothing".into()
    } else {
        format!("its last output: {tail}")
    }
}

/// Where boot has got to, for a timeout's message.
#[derive(Debug, Clone, Copy)]
enum Stage {
    NotInAdb,
    NotOnline,
    Booting,
    NoPackageManager,
}

impl Stage {
    fn says(self) -> &'static str {
        match self {
            Stage::NotInAdb => "it never appeared in adb",
            Stage::NotOnline => "adb never saw it online",
            Stage::Booting => "sys.boot_completed never became 1",
            Stage::NoPackageManager => "the package manager never answered",
        }
    }
}

impl Instance {
    /// Starts the AVD on console port `port` and waits for it to boot.
    /// `attached`: the instance is stopped when dropped (a batch's);
    /// otherwise it outlives the controller (`consentry emulator start`).
    pub async fn boot(spec: &Spec, port: u16, attached: bool) -> Result<Self, EmulatorError> {
        let serial = serial_of(port);
        std::fs::create_dir_all(&spec.work).map_err(|e| EmulatorError::Io {
            path: spec.work.clone(),
            source: e,
        })?;
        let log = spec.work.join(format!("{serial}.log"));
        let tcpdump = spec
            .capture
            .then(|| spec.work.join(format!("{serial}-boot.pcap")));
        let out = std::fs::File::create(&log).map_err(|e| EmulatorError::Io {
            path: log.clone(),
            source: e,
        })?;
        let err = out.try_clone().map_err(|e| EmulatorError::Io {
            path: log.clone(),
            source: e,
        })?;
        let mut cmd = Command::new(&spec.sdk.emulator);
        cmd.args(arguments(spec, port, tcpdump.as_deref()))
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .process_group(0)
            .kill_on_drop(attached);
        if spec.adb.addr().is_local() {
            cmd.env("ANDROID_ADB_SERVER_PORT", spec.adb.addr().port.to_string());
        }
        let child = cmd.spawn().map_err(|source| EmulatorError::Spawn {
            program: spec.sdk.emulator.clone(),
            source,
        })?;
        let pid = child.id().unwrap_or(0);
        if attached {
            live().push(pid);
        }
        tracing::info!(%serial, avd = %spec.avd, pid, "emulator started");
        let mut me = Self {
            serial,
            console_port: port,
            pid,
            log,
            child: Some(child),
        };
        // Booted, and under control: the console (with its token) is what
        // resets, captures and stops it, so a console that refuses fails
        // the boot rather than the first reset.
        let ready = match me.wait_booted(spec).await {
            Ok(()) => match Console::open(port, CONSOLE_LIMIT).await {
                Ok(mut c) => c
                    .command("ping")
                    .await
                    .map(drop)
                    .map_err(EmulatorError::from),
                Err(e) => Err(e.into()),
            },
            Err(e) => Err(e),
        };
        if let Err(e) = ready {
            me.kill_now();
            me.reap().await;
            return Err(e);
        }
        if !attached {
            // Dropping the handle must not stop it.
            me.child = None;
        }
        Ok(me)
    }

    /// Waits for the device in adb, `sys.boot_completed`, then a package
    /// manager that answers, within the boot timeout.
    pub async fn wait_booted(&mut self, spec: &Spec) -> Result<(), EmulatorError> {
        let deadline = tokio::time::Instant::now() + spec.boot_timeout;
        let dev = AdbDevice::new(spec.adb.clone(), self.serial.clone(), spec.timeouts);
        let mut stage = Stage::NotInAdb;
        loop {
            if let Some(status) = self.exited() {
                return Err(EmulatorError::Exited {
                    serial: self.serial.clone(),
                    avd: spec.avd.clone(),
                    status,
                    tail: log_tail(&self.log),
                });
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(EmulatorError::BootTimeout {
                    serial: self.serial.clone(),
                    avd: spec.avd.clone(),
                    limit: spec.boot_timeout,
                    stage: stage.says().into(),
                    tail: log_tail(&self.log),
                });
            }
            stage = self.probe(spec, &dev).await;
            if matches!(stage, Stage::NoPackageManager) {
                let pm = dev.shell(&["pm", "path", "android"]).await;
                if pm.is_ok_and(|o| o.exit == 0 && o.stdout_text().starts_with("package:")) {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    async fn probe(&self, spec: &Spec, dev: &AdbDevice) -> Stage {
        let Ok(list) = spec.adb.devices(spec.timeouts.host).await else {
            return Stage::NotInAdb;
        };
        match list.iter().find(|d| d.serial == self.serial) {
            None => Stage::NotInAdb,
            Some(d) if !d.is_online() => Stage::NotOnline,
            Some(_) => match dev.shell(&["getprop", "sys.boot_completed"]).await {
                Ok(o) if o.stdout_text().trim() == "1" => Stage::NoPackageManager,
                _ => Stage::Booting,
            },
        }
    }

    /// The exit status, once the process has ended.
    pub fn exited(&mut self) -> Option<String> {
        let child = self.child.as_mut()?;
        match child.try_wait() {
            Ok(Some(status)) => Some(status.to_string()),
            Ok(None) => None,
            Err(e) => Some(format!("unknown ({e})")),
        }
    }

    /// SIGKILL to the process group, at once.
    pub fn kill_now(&self) {
        live().retain(|p| *p != self.pid);
        if let Ok(pgid) = i32::try_from(self.pid) {
            if pgid > 0 {
                let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
            }
        }
    }

    async fn reap(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
        }
    }

    /// Console `kill`, then, if the process is still there after `grace`,
    /// SIGKILL to its group.
    pub async fn stop(mut self, grace: Duration) {
        stop_pid(self.console_port, self.pid, grace).await;
        self.kill_now();
        self.reap().await;
        self.child = None;
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if self.child.is_some() && self.exited().is_none() {
            self.kill_now();
        }
    }
}

/// Whether process `pid` still exists (a zombie counts as gone only once
/// reaped, which its parent does).
pub fn alive(pid: u32) -> bool {
    let Ok(p) = i32::try_from(pid) else {
        return false;
    };
    p > 0 && nix::sys::signal::kill(Pid::from_raw(p), None).is_ok() && !is_zombie(pid)
}

fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

/// Stops the emulator on `port` whose process (and group) is `pid`:
/// console `kill`, a wait of up to `grace`, then SIGKILL to the group.
pub async fn stop_pid(port: u16, pid: u32, grace: Duration) {
    match Console::open(port, CONSOLE_LIMIT).await {
        Ok(c) => {
            if let Err(e) = c.kill().await {
                tracing::warn!(port, "console kill: {e}");
            }
        }
        Err(e) => tracing::warn!(port, "console: {e}"),
    }
    let until = tokio::time::Instant::now() + grace;
    while alive(pid) && tokio::time::Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if let Ok(pgid) = i32::try_from(pid) {
        if pgid > 0 {
            let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_even_and_in_range() {
        let p = free_port(5555, &[]).expect("a free port");
        assert!(p % 2 == 0 && (FIRST_PORT..=LAST_PORT).contains(&p), "{p}");
        let next = free_port(p, &[p]).expect("another");
        assert!(next > p && next % 2 == 0);
        assert_eq!(free_port(LAST_PORT + 2, &[]), None);
    }
}
