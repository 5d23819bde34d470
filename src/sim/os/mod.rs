//! The simulated Android OS: [`SimDevice`] implements
//! [`Backend`](crate::sim::backend::Backend), so the adbd server can run
//! shell commands on it and push/pull files. This file owns the device
//! object, its configuration, the fault hooks and the timer tasks; the
//! system state is in [`android`], the shell in [`shell`] and [`commands`],
//! the output formats in [`dumps`] and [`logcat`], the system dialogs in
//! [`dialogs`], the app model in [`model`], and what differs between
//! Android releases (9, 11, 14) in [`release`].

// Text formatting code: `write!`-into-String and date parts (y, m, d, h, s)
// read better than the pedantic alternatives here.
#![allow(
    clippy::many_single_char_names,
    clippy::similar_names,
    clippy::format_push_string,
    clippy::format_collect,
    clippy::single_match_else
)]

pub mod android;
pub mod clock;
pub mod commands;
pub mod dialogs;
pub mod dumps;
pub mod fs;
pub mod intent;
pub mod logcat;
pub mod model;
pub mod netcap;
pub mod perms;
pub mod release;
pub mod shell;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use tokio::sync::mpsc;

use crate::sim::backend::{Backend, FileStat, Output, Process};
use android::{Android, TimerStart};
use clock::{SimClock, SimMillis};
use logcat::Logs;
pub use model::{AppModel, ModelError};
pub use release::Release;

/// Extra delays that mimic a real device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Latency {
    /// Everything as fast as possible.
    #[default]
    None,
    /// ~2 s per uiautomator dump, 150 ms per screencap, 300–800 ms per
    /// activity start, ~300 ms tap animation.
    Realistic,
}

/// How the simulated device looks. `android` picks the release profile
/// (dialogs, logcat, dumps); `sdk`, `release` and the product names are
/// what `getprop` prints, set to the profile's by [`DeviceConfig::for_release`].
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceConfig {
    pub android: Release,
    pub serial: String,
    pub product_name: String,
    pub model: String,
    pub device_name: String,
    pub sdk: u32,
    pub release: String,
    pub width: u32,
    pub height: u32,
    pub density: u32,
    pub latency: Latency,
    pub seed: u64,
    /// Simulated seconds per real second.
    pub time_scale: f64,
    /// Device-local milliseconds since the epoch (see [`clock::at`]).
    pub start_wall_clock: SimMillis,
    /// How long the boot takes (real time after [`SimDevice::new`]):
    /// until then `sys.boot_completed` is unset and the package service is
    /// not up. `None`: the boot never completes. Default: at once.
    pub boot_delay: Option<std::time::Duration>,
}

impl Default for DeviceConfig {
    fn default() -> Self {
        Self::for_release(Release::default())
    }
}

impl DeviceConfig {
    /// A Google emulator image of this release, everything else default.
    pub fn for_release(android: Release) -> Self {
        let (product, model, device) = android.product();
        Self {
            android,
            serial: "emulator-5554".into(),
            product_name: product.into(),
            model: model.into(),
            device_name: device.into(),
            sdk: android.sdk(),
            release: android.release().into(),
            width: 1080,
            height: 2400,
            density: 420,
            latency: Latency::None,
            seed: 1,
            time_scale: 1.0,
            start_wall_clock: clock::at(2026, 1, 15, 10, 0, 0, 0),
            boot_delay: Some(std::time::Duration::ZERO),
        }
    }
}

/// Fault injection state.
#[derive(Debug, Default)]
struct Faults {
    dump_failure_rate: f64,
    stall: Option<String>,
}

/// A simulated Android device.
#[derive(Debug)]
pub struct SimDevice {
    pub config: DeviceConfig,
    pub clock: Arc<SimClock>,
    pub logs: Arc<Logs>,
    state: Mutex<Android>,
    files: Mutex<fs::Fs>,
    faults: Mutex<Faults>,
    env: Mutex<std::collections::BTreeMap<String, String>>,
    rng: AtomicU64,
    /// The apps installed at boot, for [`SimDevice::reset_to_boot`].
    boot_apps: Vec<AppModel>,
    /// When the device was created (the boot's start).
    created: std::time::Instant,
    /// The network capture, while one runs.
    capture: Mutex<Option<netcap::Capture>>,
    me: Weak<SimDevice>,
}

impl SimDevice {
    /// Boots a device with `apps` pre-installed. Needs no runtime; timers
    /// start on the tokio runtime of the first command that runs.
    pub fn new(config: DeviceConfig, apps: Vec<AppModel>) -> Arc<Self> {
        let clock = Arc::new(SimClock::new(config.start_wall_clock, config.time_scale));
        let logs = Arc::new(Logs::default());
        let a = Self::booted(&config, &clock, &logs, &apps);
        let seed = config.seed;
        Arc::new_cyclic(|me| SimDevice {
            config,
            clock,
            logs,
            state: Mutex::new(a),
            files: Mutex::new(fs::Fs::default()),
            faults: Mutex::new(Faults::default()),
            env: Mutex::new(std::collections::BTreeMap::new()),
            rng: AtomicU64::new(seed ^ 0x9e37_79b9_7f4a_7c15),
            boot_apps: apps,
            created: std::time::Instant::now(),
            capture: Mutex::new(None),
            me: me.clone(),
        })
    }

    /// The system as it is right after boot, with `apps` installed.
    fn booted(
        config: &DeviceConfig,
        clock: &Arc<SimClock>,
        logs: &Arc<Logs>,
        apps: &[AppModel],
    ) -> Android {
        #[allow(clippy::cast_possible_wrap)]
        let mut a = Android::with_release(
            config.android,
            clock.clone(),
            logs.clone(),
            config.width as i32,
            config.height as i32,
        );
        if config.latency == Latency::Realistic {
            a.anim_ms = 300;
        }
        for m in apps {
            a.install(m.clone(), false);
        }
        a
    }

    /// What loading the emulator's boot snapshot does: the system as it
    /// was right after boot (no app process runs; every app's data, flags,
    /// permissions, app-ops and exit-info as installed at boot; apps
    /// installed since removed; the launcher in front), empty log
    /// buffers, files and shell variables. The clock goes on forward, as
    /// a real snapshot load does not rewind the host's time; the capture,
    /// which runs on the host side, goes on too; timers of processes that
    /// are gone stop at their next tick.
    pub fn reset_to_boot(&self) {
        let mut fresh = Self::booted(&self.config, &self.clock, &self.logs, &self.boot_apps);
        {
            let mut a = self.android();
            // Pids go on from where they were, so that a timer of a process
            // that is gone never takes a new process for its own.
            fresh.continue_pids_after(&a);
            *a = fresh;
        }
        // The boot's own lines (the installs above) too: the buffers of a
        // snapshot taken at boot hold nothing the tool reads.
        self.logs.clear(&[
            logcat::Buffer::Main,
            logcat::Buffer::System,
            logcat::Buffer::Crash,
            logcat::Buffer::Events,
        ]);
        *self
            .files
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = fs::Fs::default();
        if let Ok(mut e) = self.env.lock() {
            e.clear();
        }
    }

    /// Whether the boot has completed (`sys.boot_completed`).
    pub fn boot_completed(&self) -> bool {
        self.config
            .boot_delay
            .is_some_and(|d| self.created.elapsed() >= d)
    }

    /// Starts a network capture into `path` (created or truncated, with
    /// the pcap global header), as the emulator console's `network capture
    /// start` does: a capture already running is stopped first. From now
    /// on the apps' `contact` effects write their packets to it.
    pub fn start_capture(&self, path: &std::path::Path) -> Result<(), String> {
        let mut c = self
            .capture
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *c = None;
        *c = Some(netcap::Capture::start(path).map_err(|e| e.to_string())?);
        Ok(())
    }

    /// Stops the capture; nothing to do when none runs. Every packet is
    /// already on disk (each is flushed as it is written).
    pub fn stop_capture(&self) -> Result<(), String> {
        self.capture
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        Ok(())
    }

    /// The file the running capture writes, if one runs.
    pub fn capturing(&self) -> Option<std::path::PathBuf> {
        self.capture
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .map(|c| c.path().to_path_buf())
    }

    /// Writes the apps' contacts to the capture, or drops them when none
    /// runs (an app's traffic is not seen without one).
    fn record_contacts(&self, contacts: &[model::Contact]) {
        if contacts.is_empty() {
            return;
        }
        let mut c = self
            .capture
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(cap) = c.as_mut() {
            for contact in contacts {
                if let Err(e) = cap.contact(contact) {
                    tracing::warn!("network capture: {e}; capture stopped");
                    *c = None;
                    break;
                }
            }
        }
    }

    /// The system state (locked). Never hold it across an `.await`.
    pub fn android(&self) -> MutexGuard<'_, Android> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn files(&self) -> MutexGuard<'_, fs::Fs> {
        self.files
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Makes `uiautomator dump` fail with `ERROR: could not get idle
    /// state.` with this probability (0.0–1.0).
    pub fn set_uiautomator_failure_rate(&self, rate: f64) {
        if let Ok(mut f) = self.faults.lock() {
            f.dump_failure_rate = rate.clamp(0.0, 1.0);
        }
    }

    /// Commands starting with this prefix never finish until the client
    /// closes them; `None` ends stalling.
    pub fn set_stall(&self, command_prefix: Option<String>) {
        if let Ok(mut f) = self.faults.lock() {
            f.stall = command_prefix;
        }
    }

    fn stalls(&self, command: &str) -> bool {
        self.faults
            .lock()
            .ok()
            .and_then(|f| f.stall.clone())
            .is_some_and(|p| command.trim_start().starts_with(&p))
    }

    fn dump_fails(&self) -> bool {
        let rate = self.faults.lock().map_or(0.0, |f| f.dump_failure_rate);
        #[allow(clippy::cast_precision_loss)]
        let r = (self.next_random() >> 11) as f64 / (1u64 << 53) as f64;
        r < rate
    }

    /// Seeded splitmix64.
    fn next_random(&self) -> u64 {
        let mut z = self
            .rng
            .fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed)
            .wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Runs a state change, then starts the timers it asked for.
    pub fn with_android<R>(&self, f: impl FnOnce(&mut Android) -> R) -> R {
        let (r, starts, contacts) = {
            let mut a = self.android();
            let r = f(&mut a);
            (
                r,
                std::mem::take(&mut a.timer_starts),
                std::mem::take(&mut a.contacts),
            )
        };
        self.record_contacts(&contacts);
        for s in starts {
            self.start_timer(s);
        }
        r
    }

    fn start_timer(&self, (pid, pkg, index, every): TimerStart) {
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let me = self.me.clone();
        rt.spawn(async move {
            loop {
                let Some(dev) = me.upgrade() else {
                    return;
                };
                let wait = dev.clock.real(every);
                drop(dev);
                tokio::time::sleep(wait).await;
                let Some(dev) = me.upgrade() else {
                    return;
                };
                let go = dev.with_android(|a| a.timer_tick(pid, &pkg, index));
                if !go {
                    return;
                }
            }
        });
    }
}

impl Backend for SimDevice {
    fn banner(&self) -> String {
        let c = &self.config;
        format!(
            "device::ro.product.name={};ro.product.model={};ro.product.device={};features=shell_v2,cmd,stat_v2",
            c.product_name, c.model, c.device_name
        )
    }

    fn spawn(&self, command: &str) -> Process {
        let (tx, rx) = mpsc::channel(64);
        let (in_tx, in_rx) = mpsc::channel(16);
        let Some(dev) = self.me.upgrade() else {
            return Process {
                output: rx,
                stdin: in_tx,
            };
        };
        let line = command.to_string();
        let stall = self.stalls(&line);
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if stall {
                    tx.closed().await;
                    return;
                }
                commands::run_line(dev, &line, tx, in_rx).await;
            });
        } else {
            let _ = tx.try_send(Output::Stderr(b"simulator: no tokio runtime\n".to_vec()));
            let _ = tx.try_send(Output::Exit(1));
        }
        Process {
            output: rx,
            stdin: in_tx,
        }
    }

    fn stat(&self, path: &str) -> Option<FileStat> {
        self.files().stat(path)
    }

    fn list(&self, path: &str) -> Option<Vec<(String, FileStat)>> {
        self.files().list(path)
    }

    fn read(&self, path: &str) -> Option<Vec<u8>> {
        self.files().read(path)
    }

    fn write(&self, path: &str, data: Vec<u8>, mode: u32, mtime: u32) -> Result<(), String> {
        self.files().write(path, data, mode, mtime)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use super::*;
    use crate::sim::backend::{Backend, Output};

    fn apps() -> Vec<AppModel> {
        AppModel::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/apps"))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    async fn sh(dev: &SimDevice, cmd: &str) -> (String, String, i32) {
        let mut p = dev.spawn(cmd);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        while let Some(o) = tokio::time::timeout(Duration::from_secs(30), p.output.recv())
            .await
            .expect("the command finishes")
        {
            match o {
                Output::Stdout(b) => out.extend(b),
                Output::Stderr(b) => err.extend(b),
                Output::Exit(c) => {
                    return (
                        String::from_utf8_lossy(&out).into_owned(),
                        String::from_utf8_lossy(&err).into_owned(),
                        c,
                    );
                }
            }
        }
        panic!("no exit status for {cmd}");
    }

    #[tokio::test]
    async fn reset_to_boot_restores_the_booted_state() {
        const PKG: &str = "com.example.tidynotes";
        const CAMERA: &str = "android.permission.CAMERA";
        let dev = SimDevice::new(DeviceConfig::default(), apps());
        let boot_uid = dev.android().packages[PKG].uid;
        let boot_perm = dev.android().packages[PKG].perms[CAMERA].clone();
        assert!(!boot_perm.granted);
        // change everything a run changes
        dev.with_android(|a| {
            a.launch(PKG, android::Launcher::Shell).expect("launches");
            a.run_effects(PKG, &[model::Effect::Set("consented".into())], None, 0);
        });
        assert_eq!(sh(&dev, &format!("pm grant {PKG} {CAMERA}")).await.2, 0);
        let extra = AppModel::from_yaml(
            "package: com.example.later\nlabel: Later\ntype: other\nscreens:\n  - id: s\n",
            Path::new("later.yaml"),
        )
        .expect("model");
        dev.with_android(|a| a.install(extra, false));
        dev.with_android(|a| a.force_stop(PKG));
        dev.with_android(|a| a.launch(PKG, android::Launcher::Shell))
            .expect("launches");
        assert_eq!(sh(&dev, "echo hi > /data/local/tmp/x").await.2, 0);
        let before = dev.clock.now();
        {
            let a = dev.android();
            assert!(a.packages[PKG].flags.contains("consented"));
            assert!(a.packages[PKG].perms[CAMERA].granted);
            assert!(!a.packages[PKG].exits.is_empty());
            assert_eq!(a.foreground_pkg(), PKG);
            assert!(a.main_pid(PKG).is_some());
        }
        assert!(dev.logs.last_seq() > 0);

        dev.reset_to_boot();

        let a = dev.android();
        let p = &a.packages[PKG];
        assert!(p.flags.is_empty(), "{:?}", p.flags);
        assert_eq!(p.perms[CAMERA], boot_perm);
        assert!(p.exits.is_empty() && p.ops.is_empty());
        assert_eq!(p.uid, boot_uid);
        assert!(!a.packages.contains_key("com.example.later"));
        assert!(a.procs.is_empty());
        assert_eq!(a.foreground_pkg(), android::LAUNCHER);
        assert!(a.dialog.is_none());
        drop(a);
        assert!(
            dev.logs
                .since(0, &[logcat::Buffer::Main, logcat::Buffer::System])
                .is_empty()
        );
        assert!(dev.read("/data/local/tmp/x").is_none());
        assert!(dev.clock.now() >= before, "time does not go back");
    }

    #[tokio::test]
    async fn the_boot_completes_after_its_delay() {
        let dev = SimDevice::new(
            DeviceConfig {
                boot_delay: Some(Duration::from_millis(300)),
                ..DeviceConfig::default()
            },
            apps(),
        );
        assert!(!dev.boot_completed());
        assert_eq!(sh(&dev, "getprop sys.boot_completed").await.0, "\n");
        assert!(!sh(&dev, "getprop").await.0.contains("[sys.boot_completed]"));
        let (out, err, code) = sh(&dev, "pm list packages").await;
        assert_eq!(
            (out.as_str(), err.as_str(), code),
            ("", "cmd: Can't find service: package\n", 20)
        );
        assert_eq!(sh(&dev, "cmd package list packages").await.2, 20);
        tokio::time::sleep(Duration::from_millis(350)).await;
        assert!(dev.boot_completed());
        assert_eq!(sh(&dev, "getprop sys.boot_completed").await.0, "1\n");
        assert_eq!(sh(&dev, "pm list packages").await.2, 0);

        let never = SimDevice::new(
            DeviceConfig {
                boot_delay: None,
                ..DeviceConfig::default()
            },
            Vec::new(),
        );
        assert!(!never.boot_completed());
        assert!(SimDevice::new(DeviceConfig::default(), Vec::new()).boot_completed());
    }

    #[tokio::test]
    async fn contacts_are_captured_only_while_a_capture_runs() {
        let dir = tempfile::tempdir().expect("tempdir");
        let dev = SimDevice::new(DeviceConfig::default(), apps());
        let launch = |dev: &SimDevice| {
            dev.with_android(|a| {
                a.force_stop("com.example.sdkearly");
                a.launch("com.example.sdkearly", android::Launcher::Shell)
            })
            .expect("launches");
        };
        assert_eq!(dev.capturing(), None);
        launch(&dev);
        let path = dir.path().join("a.pcap");
        dev.start_capture(&path).expect("starts");
        assert_eq!(dev.capturing(), Some(path.clone()));
        assert_eq!(std::fs::metadata(&path).expect("exists").len(), 24);
        launch(&dev);
        let grown = std::fs::metadata(&path).expect("exists").len();
        assert!(grown > 1600, "{grown}");
        // a new capture stops the old one
        let second = dir.path().join("b.pcap");
        dev.start_capture(&second).expect("starts");
        launch(&dev);
        assert_eq!(std::fs::metadata(&path).expect("exists").len(), grown);
        dev.stop_capture().expect("stops");
        dev.stop_capture().expect("stopping twice is fine");
        assert_eq!(dev.capturing(), None);
        let size = std::fs::metadata(&second).expect("exists").len();
        launch(&dev);
        assert_eq!(std::fs::metadata(&second).expect("exists").len(), size);
        assert!(
            dev.start_capture(&dir.path().join("no/such/dir/c.pcap"))
                .is_err()
        );
    }
}
