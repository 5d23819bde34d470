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
    me: Weak<SimDevice>,
}

impl SimDevice {
    /// Boots a device with `apps` pre-installed. Needs no runtime; timers
    /// start on the tokio runtime of the first command that runs.
    pub fn new(config: DeviceConfig, apps: Vec<AppModel>) -> Arc<Self> {
        let clock = Arc::new(SimClock::new(config.start_wall_clock, config.time_scale));
        let logs = Arc::new(Logs::default());
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
            a.install(m, false);
        }
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
            me: me.clone(),
        })
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
        let (r, starts) = {
            let mut a = self.android();
            let r = f(&mut a);
            (r, std::mem::take(&mut a.timer_starts))
        };
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
