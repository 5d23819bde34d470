//! N instances of one AVD for a batch: booted together on their own
//! ports, each handed to the pool with a [`Host`] that resets it between
//! apps (a snapshot load through the console), splits its network capture
//! per run, and is told when the batch lost it. A supervisor task boots
//! again an instance whose process ended or that stopped answering; its
//! serial stays the same, so the batch's monitor sees the device come back
//! and the pool takes it again. [`Fleet::stop`] ends every instance
//! (console `kill`, then SIGKILL to the process group); dropping the fleet
//! kills what is left at once, so no emulator outlives the controller.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use tokio::sync::Mutex;

use super::console::Console;
use super::instance::{self, CONSOLE_LIMIT, Instance, Spec};
use super::{EmulatorError, console_path, state};
use crate::device::host::{DeviceHost, HostFuture, Reset};
use crate::device::{AdbDevice, Device};

/// How many times one instance is booted again before it is left out.
const MAX_REBOOTS: u32 = 3;

/// How long an instance has to end after console `kill`.
const STOP_GRACE: Duration = Duration::from_secs(10);

struct Slot {
    serial: String,
    port: u16,
    instance: Mutex<Option<Instance>>,
    /// The batch said it lost the device.
    lost: AtomicBool,
    reboots: AtomicU32,
    /// Booted [`MAX_REBOOTS`] times already: left out.
    given_up: AtomicBool,
}

struct Inner {
    spec: Spec,
    slots: Vec<Slot>,
    stopping: AtomicBool,
    state_dir: Option<PathBuf>,
    owner: String,
    wake: tokio::sync::Notify,
    /// Messages for the user (reboots), printed by the caller's progress.
    notes: Arc<dyn Fn(&str) + Send + Sync>,
}

/// Running instances of one AVD.
pub struct Fleet {
    inner: Arc<Inner>,
    supervisor: tokio::task::JoinHandle<()>,
}

/// One instance as the pool sees it.
pub struct Host {
    inner: Arc<Inner>,
    slot: usize,
}

fn record(inner: &Inner, i: &Instance) -> state::Record {
    state::Record {
        serial: i.serial.clone(),
        avd: inner.spec.avd.clone(),
        console_port: i.console_port,
        pid: i.pid,
        started: crate::engine::now_rfc3339(),
        owner: inner.owner.clone(),
        log: i.log.display().to_string(),
    }
}

impl Fleet {
    /// Boots `n` instances on free console ports from `from_port`, each
    /// tried twice, and waits for all of them; if one cannot boot, the
    /// others are stopped and the error is returned.
    pub async fn boot(
        mut spec: Spec,
        n: usize,
        from_port: u16,
        notes: Arc<dyn Fn(&str) + Send + Sync>,
    ) -> Result<Self, EmulatorError> {
        let known: Vec<u16> = spec
            .adb
            .devices(spec.timeouts.host)
            .await
            .map(|l| {
                l.iter()
                    .filter_map(|d| d.serial.strip_prefix("emulator-")?.parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        spec.read_only = n > 1;
        let mut ports = Vec::new();
        let mut from = from_port;
        for _ in 0..n {
            let mut taken = known.clone();
            taken.extend(&ports);
            let p = instance::free_port(from, &taken).ok_or(EmulatorError::NoPort(from_port))?;
            ports.push(p);
            from = p + 2;
        }
        let mut booting = tokio::task::JoinSet::new();
        for (i, port) in ports.iter().copied().enumerate() {
            let spec = spec.clone();
            booting.spawn(async move {
                let first = Instance::boot(&spec, port, true).await;
                let r = match first {
                    Ok(x) => Ok(x),
                    Err(e @ EmulatorError::BootTimeout { .. }) => Err(e),
                    Err(e) => {
                        tracing::warn!(port, "{e}; trying once more");
                        Instance::boot(&spec, port, true).await
                    }
                };
                (i, r)
            });
        }
        let mut booted: Vec<Option<Instance>> = (0..n).map(|_| None).collect();
        let mut failure = None;
        while let Some(joined) = booting.join_next().await {
            match joined {
                Ok((i, Ok(inst))) => booted[i] = Some(inst),
                Ok((_, Err(e))) => {
                    failure.get_or_insert(e);
                }
                Err(e) => {
                    failure.get_or_insert(EmulatorError::Query {
                        what: "boot".into(),
                        detail: e.to_string(),
                    });
                }
            }
        }
        if let Some(e) = failure {
            for inst in booted.into_iter().flatten() {
                inst.stop(STOP_GRACE).await;
            }
            return Err(e);
        }
        let inner = Arc::new(Inner {
            slots: ports
                .iter()
                .zip(booted)
                .map(|(p, inst)| Slot {
                    serial: instance::serial_of(*p),
                    port: *p,
                    instance: Mutex::new(inst),
                    lost: AtomicBool::new(false),
                    reboots: AtomicU32::new(0),
                    given_up: AtomicBool::new(false),
                })
                .collect(),
            spec,
            stopping: AtomicBool::new(false),
            state_dir: state::dir(),
            owner: format!("batch {}", std::process::id()),
            wake: tokio::sync::Notify::new(),
            notes,
        });
        for s in &inner.slots {
            if let (Some(d), Some(i)) = (&inner.state_dir, s.instance.lock().await.as_ref()) {
                if let Err(e) = state::write(d, &record(&inner, i)) {
                    tracing::warn!("{e}");
                }
            }
        }
        let supervisor = tokio::spawn(supervise(Arc::clone(&inner)));
        Ok(Self { inner, supervisor })
    }

    /// The serials, in port order.
    pub fn serials(&self) -> Vec<String> {
        self.inner.slots.iter().map(|s| s.serial.clone()).collect()
    }

    /// The pool's handle of each instance, in [`Fleet::serials`] order.
    pub fn hosts(&self) -> Vec<Arc<dyn DeviceHost>> {
        (0..self.inner.slots.len())
            .map(|slot| {
                Arc::new(Host {
                    inner: Arc::clone(&self.inner),
                    slot,
                }) as Arc<dyn DeviceHost>
            })
            .collect()
    }

    /// Stops every instance and waits until each has ended.
    pub async fn stop(self) {
        self.inner.stopping.store(true, Ordering::SeqCst);
        self.supervisor.abort();
        let mut stopping = tokio::task::JoinSet::new();
        for i in 0..self.inner.slots.len() {
            let inner = Arc::clone(&self.inner);
            stopping.spawn(async move {
                let s = &inner.slots[i];
                let taken = s.instance.lock().await.take();
                if let Some(inst) = taken {
                    inst.stop(STOP_GRACE).await;
                }
                if let Some(d) = &inner.state_dir {
                    state::remove(d, &s.serial);
                }
            });
        }
        while stopping.join_next().await.is_some() {}
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        self.inner.stopping.store(true, Ordering::SeqCst);
        self.supervisor.abort();
        for s in &self.inner.slots {
            if let Ok(mut guard) = s.instance.try_lock() {
                if let Some(inst) = guard.take() {
                    inst.kill_now();
                    if let Some(d) = &self.inner.state_dir {
                        state::remove(d, &s.serial);
                    }
                }
            }
        }
    }
}

/// Whether an instance is dead or hung: its process ended, or the batch
/// lost it and neither the console nor adb answers.
async fn broken(inner: &Inner, s: &Slot, inst: &mut Instance) -> Option<String> {
    if let Some(status) = inst.exited() {
        return Some(format!("its process ended ({status})"));
    }
    if !s.lost.swap(false, Ordering::SeqCst) {
        return None;
    }
    let console = match Console::open(s.port, CONSOLE_LIMIT).await {
        Ok(mut c) => c.command("ping").await.err().map(|e| e.to_string()),
        Err(e) => Some(e.to_string()),
    };
    let dev = AdbDevice::new(
        inner.spec.adb.clone(),
        s.serial.clone(),
        inner.spec.timeouts,
    );
    let adb = dev
        .shell(&["echo", "ok"])
        .await
        .err()
        .map(|e| e.to_string());
    match (console, adb) {
        (None, None) => None,
        (c, a) => Some(format!(
            "it stopped answering ({})",
            c.into_iter().chain(a).collect::<Vec<_>>().join("; ")
        )),
    }
}

async fn supervise(inner: Arc<Inner>) {
    loop {
        tokio::select! {
            () = inner.wake.notified() => {}
            () = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
        if inner.stopping.load(Ordering::SeqCst) {
            return;
        }
        for s in &inner.slots {
            if s.given_up.load(Ordering::SeqCst) {
                continue;
            }
            let mut guard = s.instance.lock().await;
            let why = match guard.as_mut() {
                Some(inst) => broken(&inner, s, inst).await,
                // A reset or a reboot that failed left it stopped.
                None => Some("it is not running".to_string()),
            };
            let Some(why) = why else { continue };
            if let Some(old) = guard.take() {
                old.kill_now();
                drop(old);
            }
            let n = s.reboots.fetch_add(1, Ordering::SeqCst) + 1;
            if n > MAX_REBOOTS {
                s.given_up.store(true, Ordering::SeqCst);
                (inner.notes)(&format!(
                    "{}: {why}; booted {MAX_REBOOTS} times already, it is left out",
                    s.serial
                ));
                if let Some(d) = &inner.state_dir {
                    state::remove(d, &s.serial);
                }
                continue;
            }
            (inner.notes)(&format!(
                "{}: {why}; booting it again ({n} of {MAX_REBOOTS})",
                s.serial
            ));
            if inner.stopping.load(Ordering::SeqCst) {
                return;
            }
            match Instance::boot(&inner.spec, s.port, true).await {
                Ok(inst) => {
                    if let Some(d) = &inner.state_dir {
                        let _ = state::write(d, &record(&inner, &inst));
                    }
                    (inner.notes)(&format!("{} booted again", s.serial));
                    *guard = Some(inst);
                }
                Err(e) => (inner.notes)(&format!("{}: booting again failed: {e}", s.serial)),
            }
            if inner.stopping.load(Ordering::SeqCst) {
                if let Some(inst) = guard.take() {
                    inst.kill_now();
                }
                return;
            }
        }
    }
}

impl Host {
    fn slot(&self) -> &Slot {
        &self.inner.slots[self.slot]
    }

    async fn console(&self) -> Result<Console, String> {
        Console::open(self.slot().port, CONSOLE_LIMIT)
            .await
            .map_err(|e| format!("{}: {e}", self.slot().serial))
    }
}

impl DeviceHost for Host {
    fn serial(&self) -> &str {
        &self.slot().serial
    }

    fn reset(&self) -> HostFuture<'_, Reset> {
        Box::pin(async move {
            let Some(name) = self.inner.spec.snapshot.clone() else {
                return Ok(Reset::Reinstall);
            };
            let s = self.slot();
            let mut guard = s.instance.lock().await;
            if self.inner.spec.read_only {
                // A read-only instance cannot load a snapshot: boot it again
                // from the snapshot (`-snapshot NAME`).
                if let Some(old) = guard.take() {
                    old.stop(STOP_GRACE).await;
                }
                let inst = Instance::boot(&self.inner.spec, s.port, true)
                    .await
                    .map_err(|e| format!("booting again from snapshot `{name}`: {e}"))?;
                if let Some(d) = &self.inner.state_dir {
                    let _ = state::write(d, &record(&self.inner, &inst));
                }
                *guard = Some(inst);
                return Ok(Reset::Snapshot(name));
            }
            let Some(inst) = guard.as_mut() else {
                return Err(format!("{} is not running", s.serial));
            };
            let mut c = self.console().await?;
            c.command(&format!("avd snapshot load {name}"))
                .await
                .map_err(|e| format!("{}: loading snapshot `{name}`: {e}", s.serial))?;
            drop(c);
            inst.wait_booted(&self.inner.spec)
                .await
                .map_err(|e| format!("after loading snapshot `{name}`: {e}"))?;
            Ok(Reset::Snapshot(name))
        })
    }

    fn captures_network(&self) -> bool {
        self.inner.spec.capture
    }

    fn capture_start<'a>(&'a self, path: &'a Path) -> HostFuture<'a, ()> {
        Box::pin(async move {
            let p = console_path(path).map_err(|e| e.to_string())?;
            let mut c = self.console().await?;
            // One capture at a time: end the one before (none is fine).
            let _ = c.command("network capture stop").await;
            c.command(&format!("network capture start {p}"))
                .await
                .map(drop)
                .map_err(|e| format!("{}: {e}", self.slot().serial))
        })
    }

    fn capture_stop(&self) -> HostFuture<'_, ()> {
        Box::pin(async move {
            let mut c = self.console().await?;
            c.command("network capture stop")
                .await
                .map(drop)
                .map_err(|e| format!("{}: {e}", self.slot().serial))
        })
    }

    fn lost(&self) {
        self.slot().lost.store(true, Ordering::SeqCst);
        self.inner.wake.notify_one();
    }
}
