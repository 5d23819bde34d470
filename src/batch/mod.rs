//! Batch runs: a suite over an app list on a pool of devices, in the
//! nextest runner's manner. One coordinator owns the queue of apps and the
//! free devices; each app runs as one task on one leased device (its
//! scenarios and passes in order, each from a clean install), and comes
//! back judged, or with its device lost (retried from the start on another
//! device, up to `retries`), or timed out. The monitor ([`monitor`]) takes
//! devices that go away out of the pool and brings them back when they
//! return. Finished apps are written at once ([`store`]), so a killed
//! controller loses only the apps in flight and `--resume` does the rest.
//!
//! Async, as the architecture allows for orchestration; the app list
//! ([`apps`]), the shard split ([`shard`]) and the records are pure or
//! plain file I/O.

pub mod apps;
pub mod monitor;
pub mod progress;
pub mod shard;
pub mod store;

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::detect::Context;
use crate::device::host::Reset;
use crate::device::{AdbDevice, AdbServer, Device, DeviceHost};
use crate::engine::{Console, Events, RunOptions};
use crate::report::{AppResult, AppStatus, Attempt, AttemptEnd, DeviceEntry, RunInfo};
use crate::suite::Suite;
use crate::verdict::AppVerdicts;
use apps::App;
use monitor::{DeviceId, States};
use progress::Progress;
use store::BatchDir;

/// Ctrl-C: the first stops scheduling, the second aborts the apps in
/// flight.
#[derive(Debug, Default)]
pub struct Interrupt {
    count: AtomicU8,
    notify: Notify,
}

impl Interrupt {
    pub fn press(&self) {
        self.count.fetch_add(1, Ordering::SeqCst);
        self.notify.notify_waiters();
        self.notify.notify_one();
    }

    pub fn count(&self) -> u8 {
        self.count.load(Ordering::SeqCst)
    }
}

/// The detectors' context for an app's type.
pub type ContextFor = Arc<dyn Fn(Option<&str>) -> Result<Context, String> + Send + Sync>;

/// Everything a batch needs but the devices.
pub struct Batch {
    pub dir: BatchDir,
    /// The record written to `batch.json` (planned apps, devices, ...).
    pub run: RunInfo,
    /// The apps still to judge (on `--resume`: the planned ones not
    /// finished), in the list's order.
    pub todo: Vec<App>,
    /// Credential values by app key (from the controller's environment).
    pub secrets: BTreeMap<String, BTreeMap<String, String>>,
    pub suite: Arc<Suite>,
    /// Engine settings shared by every run; `out`, `package`, `apk`, the
    /// app type, env and secrets are set per app.
    pub base: RunOptions,
    pub context: ContextFor,
    pub retries: u32,
    pub timeout: Duration,
    /// How long to wait for a device to come back once none is left.
    pub device_wait: Duration,
    /// Start a local adb server again when it stops answering.
    pub restart_server: bool,
}

/// A device of the pool.
#[derive(Debug, Clone)]
pub struct PoolDevice {
    pub id: DeviceId,
    pub dev: AdbDevice,
    /// The emulator the batch started for it, which resets it before each
    /// app, captures its network and boots it again when it is lost.
    pub host: Option<Arc<dyn DeviceHost>>,
}

/// How a batch ended.
#[derive(Debug)]
pub struct Outcome {
    pub run: RunInfo,
    /// The apps judged or given up on in this invocation.
    pub finished: usize,
    /// Ctrl-C was pressed twice: apps in flight were abandoned.
    pub aborted: bool,
}

struct Job {
    app: App,
    attempts: Vec<Attempt>,
    /// The slot of the device its last attempt lost, which it avoids
    /// while another device is usable.
    lost_on: Option<usize>,
}

/// The next (index in `free`, index in `queue`) to start: the jobs in
/// queue order, each on the first free slot that is not the one it was
/// lost on — unless that slot is the only usable one (`usable` counts the
/// slots not lost, running ones included). `None` when nothing can start.
fn pick(
    free: &VecDeque<usize>,
    lost_on: &[Option<usize>],
    usable: usize,
) -> Option<(usize, usize)> {
    lost_on.iter().enumerate().find_map(|(j, avoid)| {
        free.iter()
            .position(|slot| usable <= 1 || *avoid != Some(*slot))
            .map(|f| (f, j))
    })
}

enum Ended {
    Judged {
        package: String,
        verdicts: Box<AppVerdicts>,
        problems: Vec<String>,
    },
    Lost(String),
    TimedOut,
    Failed(String),
    Aborted,
}

struct Done {
    slot: usize,
    job: Job,
    ended: Ended,
    started: String,
    elapsed: Duration,
    /// How the device was made clean (see [`Attempt::reset`]).
    reset: Option<String>,
}

/// Runs the batch over `devices` (each on `servers[id.0]`) and returns
/// the run record as written at the end.
pub async fn run(
    mut b: Batch,
    servers: Vec<AdbServer>,
    devices: Vec<PoolDevice>,
    progress: Arc<Progress>,
    interrupt: Arc<Interrupt>,
) -> Outcome {
    let monitor = monitor::start(
        servers,
        devices.iter().map(|d| d.id.clone()).collect(),
        b.restart_server,
    );
    let mut states = monitor.rx.clone();
    for d in &devices {
        if !b.run.devices.iter().any(|e| e.serial == d.id.1) {
            let props = d.dev.properties().await.ok();
            b.run.devices.push(DeviceEntry {
                serial: d.id.1.clone(),
                server: d.dev.server().addr().to_string(),
                model: props.as_ref().and_then(|p| p.model.clone()),
                sdk: props.as_ref().and_then(|p| p.sdk),
                apps: 0,
                lost: 0,
            });
        }
    }
    if let Err(e) = b.dir.write_run(&b.run) {
        progress.note(&format!("consentry batch: {e}"));
    }
    let slots: Vec<PoolDevice> = devices;
    let mut free: VecDeque<usize> = (0..slots.len()).collect();
    let mut lost: Vec<usize> = Vec::new();
    // Slots left out for good (an aborted attempt, a task that failed).
    let mut kept = 0;
    let mut queue: VecDeque<Job> = std::mem::take(&mut b.todo)
        .into_iter()
        .map(|app| Job {
            app,
            attempts: Vec::new(),
            lost_on: None,
        })
        .collect();
    let mut running: JoinSet<Done> = JoinSet::new();
    let mut flags: BTreeMap<usize, Arc<AtomicBool>> = BTreeMap::new();
    let mut finished = 0;
    let mut aborted = false;
    let mut alone_since: Option<Instant> = None;
    let b = Arc::new(b);
    let mut run_info = b.run.clone();
    loop {
        let stopping = interrupt.count() >= 1;
        if !stopping {
            loop {
                let avoid: Vec<Option<usize>> = queue.iter().map(|j| j.lost_on).collect();
                let usable = slots.len().saturating_sub(lost.len() + kept);
                let Some((f, j)) = pick(&free, &avoid, usable) else {
                    break;
                };
                let (Some(slot), Some(job)) = (free.remove(f), queue.remove(j)) else {
                    break;
                };
                let flag = Arc::new(AtomicBool::new(false));
                flags.insert(slot, Arc::clone(&flag));
                let number = u32::try_from(job.attempts.len()).unwrap_or(u32::MAX) + 1;
                progress.started(&slots[slot].id.1, &job.app.key(), number);
                running.spawn(attempt(
                    Arc::clone(&b),
                    slot,
                    slots[slot].clone(),
                    job,
                    number,
                    states.clone(),
                    Arc::clone(&progress),
                    flag,
                ));
            }
        }
        if running.is_empty() {
            if queue.is_empty() || stopping {
                break;
            }
            // Apps wait and no device is left: give them a while to come back.
            let since = *alone_since.get_or_insert_with(Instant::now);
            if since.elapsed() >= b.device_wait {
                for job in queue.drain(..) {
                    let why = format!(
                        "no usable device left (waited {} s for one to come back)",
                        b.device_wait.as_secs()
                    );
                    give_up(&b, &progress, &job, &why, "none");
                    finished += 1;
                }
                break;
            }
        } else {
            alone_since = None;
        }
        tokio::select! {
            Some(joined) = running.join_next(), if !running.is_empty() => {
                let Ok(done) = joined else {
                    // A task that panicked: its device stays out of the pool.
                    progress.note("consentry batch: an app's task failed; its device is left out");
                    kept += 1;
                    continue;
                };
                flags.remove(&done.slot);
                let serial = slots[done.slot].id.1.clone();
                let entry = run_info.devices.iter_mut().find(|e| e.serial == serial);
                let (settled, wrote) = settle(&b, &progress, done, &serial, &mut queue, entry);
                match settled {
                    Settled::Free(slot) => free.push_back(slot),
                    Settled::Lost(slot) => lost.push(slot),
                    Settled::Kept => kept += 1,
                }
                finished += usize::from(wrote);
            }
            res = states.changed() => {
                if res.is_err() {
                    break;
                }
                let now = states.borrow().clone();
                lost.retain(|slot| {
                    if now.online(&slots[*slot].id) {
                        progress.note(&format!("{} is back: it rejoins the pool", slots[*slot].id.1));
                        free.push_back(*slot);
                        false
                    } else {
                        true
                    }
                });
            }
            () = interrupt.notify.notified() => {
                if interrupt.count() >= 2 && !aborted {
                    aborted = true;
                    progress.note("consentry batch: aborting the apps in flight");
                    for f in flags.values() {
                        f.store(true, Ordering::SeqCst);
                    }
                } else if interrupt.count() == 1 {
                    progress.note(
                        "consentry batch: interrupted; no new app starts, the running ones finish (Ctrl-C again to abort)",
                    );
                }
            }
            () = tokio::time::sleep(Duration::from_secs(1)), if running.is_empty() => {}
        }
    }
    drop(monitor);
    progress.clear();
    let left = queue.len();
    run_info.interrupted = interrupt.count() >= 1 && (left > 0 || aborted);
    run_info.finished = Some(crate::engine::now_rfc3339());
    if let Err(e) = b.dir.write_run(&run_info) {
        progress.note(&format!("consentry batch: {e}"));
    }
    Outcome {
        run: run_info,
        finished,
        aborted,
    }
}

enum Settled {
    Free(usize),
    Lost(usize),
    /// Aborted: the device is not used again in this batch.
    Kept,
}

/// Records what an attempt came to; requeues an app whose device was
/// lost. Says whether the app is done.
fn settle(
    b: &Batch,
    progress: &Progress,
    done: Done,
    serial: &str,
    queue: &mut VecDeque<Job>,
    entry: Option<&mut DeviceEntry>,
) -> (Settled, bool) {
    let Done {
        slot,
        mut job,
        ended,
        started,
        elapsed,
        reset,
    } = done;
    let number = u32::try_from(job.attempts.len()).unwrap_or(u32::MAX) + 1;
    let now = crate::engine::now_rfc3339();
    let mut record = |end: AttemptEnd, detail: Option<String>| {
        job.attempts.push(Attempt {
            number,
            device: serial.to_string(),
            started: started.clone(),
            finished: now.clone(),
            end,
            detail,
            reset: reset.clone(),
        });
    };
    match ended {
        Ended::Judged {
            package,
            verdicts,
            problems,
        } => {
            record(AttemptEnd::Judged, None);
            if let Some(e) = entry {
                e.apps += 1;
            }
            let mut job = job;
            job.app.package = package;
            let result = result_of(&job, AppStatus::Judged, problems);
            write(b, progress, &result, Some(&verdicts), serial, elapsed);
            (Settled::Free(slot), true)
        }
        Ended::Lost(why) => {
            record(AttemptEnd::DeviceLost, Some(why.clone()));
            if let Some(e) = entry {
                e.lost += 1;
            }
            let tries = u32::try_from(job.attempts.len()).unwrap_or(u32::MAX);
            if tries <= b.retries {
                progress.note(&format!(
                    "{serial} was lost while running {} ({why}); the app starts again on another device",
                    job.app.key()
                ));
                job.lost_on = Some(slot);
                queue.push_front(job);
                (Settled::Lost(slot), false)
            } else {
                let result = result_of(
                    &job,
                    AppStatus::Error,
                    vec![format!(
                        "the device was lost on each of {tries} attempts; last: {why}"
                    )],
                );
                write(b, progress, &result, None, serial, elapsed);
                (Settled::Lost(slot), true)
            }
        }
        Ended::TimedOut => {
            let why = format!(
                "the app's suite did not finish within --timeout-per-app ({} s)",
                b.timeout.as_secs()
            );
            record(AttemptEnd::TimedOut, Some(why.clone()));
            let result = result_of(&job, AppStatus::Error, vec![why]);
            write(b, progress, &result, None, serial, elapsed);
            (Settled::Free(slot), true)
        }
        Ended::Failed(why) => {
            record(AttemptEnd::Failed, Some(why.clone()));
            let result = result_of(&job, AppStatus::Error, vec![why]);
            write(b, progress, &result, None, serial, elapsed);
            (Settled::Free(slot), true)
        }
        Ended::Aborted => (Settled::Kept, false),
    }
}

fn result_of(job: &Job, status: AppStatus, problems: Vec<String>) -> AppResult {
    AppResult {
        version: crate::report::VERSION,
        package: job.app.key(),
        app_type: job.app.app_type.clone(),
        tags: job.app.tags.clone(),
        status,
        retried: job.attempts.len() > 1,
        attempts: job.attempts.clone(),
        problems,
    }
}

/// An app that never got a device.
fn give_up(b: &Batch, progress: &Progress, job: &Job, why: &str, serial: &str) {
    let result = result_of(job, AppStatus::Error, vec![why.to_string()]);
    write(b, progress, &result, None, serial, Duration::ZERO);
}

fn write(
    b: &Batch,
    progress: &Progress,
    result: &AppResult,
    verdicts: Option<&AppVerdicts>,
    serial: &str,
    elapsed: Duration,
) {
    let now = crate::engine::now_rfc3339();
    if let Err(e) = b.dir.finish_app(result, verdicts, &now) {
        progress.note(&format!(
            "consentry batch: {}: cannot record the result: {e}",
            result.package
        ));
    }
    progress.finished(serial, result, verdicts, elapsed.as_secs());
}

/// Resolves when the device is not online any more, or has been lost
/// (and maybe come back) since `losses`.
async fn lost(mut rx: watch::Receiver<Arc<States>>, id: DeviceId, losses: u64) -> String {
    loop {
        {
            let s = rx.borrow_and_update();
            if !s.online(&id) || s.losses(&id) > losses {
                return s
                    .state
                    .get(&id)
                    .map_or_else(|| "gone".into(), |st| format!("state {st}"));
            }
        }
        if rx.changed().await.is_err() {
            // The monitor is gone: the batch is ending.
            std::future::pending::<()>().await;
        }
    }
}

/// One attempt at an app on one device.
#[allow(clippy::too_many_arguments)]
async fn attempt(
    b: Arc<Batch>,
    slot: usize,
    device: PoolDevice,
    job: Job,
    number: u32,
    states: watch::Receiver<Arc<States>>,
    progress: Arc<Progress>,
    abort: Arc<AtomicBool>,
) -> Done {
    let started = crate::engine::now_rfc3339();
    let clock = Instant::now();
    // A clean device for each app (its snapshot, where it has one), before
    // losses are counted: a reset may take the device out of adb a while.
    let reset: Result<Option<String>, String> = match &device.host {
        Some(host) => {
            progress.step(&device.id.1, &job.app.key(), "resetting the emulator");
            host.reset().await.map(|r| match r {
                Reset::Snapshot(name) => Some(format!("snapshot {name}")),
                Reset::Reinstall => Some("reinstall".into()),
            })
        }
        None => Ok(None),
    };
    if device.host.is_some() && reset.is_ok() {
        // The reset may have taken the device out of adb: count from when
        // the monitor sees it back, not from its last poll.
        let mut seen = states.clone();
        let _ = tokio::time::timeout(
            Duration::from_secs(15),
            seen.wait_for(|s| s.online(&device.id)),
        )
        .await;
    }
    let losses = states.borrow().losses(&device.id);
    let work = async {
        let key = job.app.key();
        let Some(out) = b.dir.attempt_dir(&key, number) else {
            return Ended::Failed(format!("`{key}` cannot name a directory"));
        };
        if let Err(e) = &reset {
            return Ended::Lost(format!("resetting the emulator: {e}"));
        }
        let mut package = job.app.package.clone();
        if package.is_empty() {
            // An APK whose package the list does not name: install it once
            // to learn it (each run installs it afresh again).
            let Some(apk) = &job.app.apk else {
                return Ended::Failed("no package and no APK".into());
            };
            match crate::engine::install_new(&device.dev, apk).await {
                Ok(p) if store::is_safe_key(&p) => package = p,
                Ok(p) => {
                    return Ended::Failed(format!("the APK installs `{p}`, not a package name"));
                }
                Err(e) => return Ended::Failed(e),
            }
        } else if job.app.apk.is_none() {
            match device.dev.package(&package).await {
                Ok(s) if s.parsed.packages.iter().any(|p| p.name == package) => {}
                Ok(_) => {
                    return Ended::Failed(format!("{package} is not installed on {}", device.id.1));
                }
                Err(e) => return Ended::Lost(e.to_string()),
            }
        }
        let ctx = match (b.context)(job.app.app_type.as_deref()) {
            Ok(c) => c,
            Err(e) => return Ended::Failed(e),
        };
        let mut opts = b.base.clone();
        opts.out = out;
        opts.package.clone_from(&package);
        opts.apk.clone_from(&job.app.apk);
        opts.app_type = ctx.app_type.as_ref().map(|t| t.id.clone());
        opts.env.extend(job.app.env.clone());
        if let Some(secret) = b.secrets.get(&key) {
            for (k, v) in secret {
                opts.env.insert(k.clone(), v.clone());
                opts.secret_names.insert(k.clone());
            }
        }
        opts.interrupt = Arc::clone(&abort);
        opts.host.clone_from(&device.host);
        let serial = device.id.1.clone();
        let hook_progress = Arc::clone(&progress);
        let hook_key = key.clone();
        let current = Arc::new(std::sync::Mutex::new(String::new()));
        let events = Events::to_hook(Arc::new(move |e: &serde_json::Value| {
            let name = e.get("event").and_then(serde_json::Value::as_str);
            let mut run = current
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match name {
                Some("run-started") => {
                    *run = e
                        .get("dir")
                        .and_then(serde_json::Value::as_str)
                        .and_then(|d| d.rsplit('/').next())
                        .unwrap_or_default()
                        .to_string();
                }
                Some("step-started") => {
                    let title = e
                        .get("title")
                        .and_then(serde_json::Value::as_str)
                        .unwrap_or("");
                    hook_progress.step(&serial, &hook_key, &format!("{run}: {title}"));
                }
                _ => {}
            }
        }));
        let console = Console {
            quiet: true,
            verbose: false,
            color: false,
        };
        let (verdicts, problems) =
            crate::suite::run(&device.dev, &b.suite, &opts, &console, &events, &ctx).await;
        if abort.load(Ordering::SeqCst) {
            return Ended::Aborted;
        }
        // The runs may have failed because the device went: check it
        // answers before the verdicts count.
        if let Err(e) = device.dev.shell(&["echo", "ok"]).await {
            return Ended::Lost(e.to_string());
        }
        Ended::Judged {
            package,
            verdicts: Box::new(verdicts),
            problems,
        }
    };
    let ended = tokio::select! {
        e = work => e,
        why = lost(states.clone(), device.id.clone(), losses) => Ended::Lost(why),
        () = tokio::time::sleep(b.timeout) => {
            let _ = device.dev.force_stop(&job.app.package).await;
            Ended::TimedOut
        }
    };
    // A loss seen after the work ended still voids it.
    let ended = match ended {
        Ended::Judged { .. } if states.borrow().losses(&device.id) > losses => {
            Ended::Lost("the device went away during the app's runs".into())
        }
        e => e,
    };
    if let (Ended::Lost(_), Some(host)) = (&ended, &device.host) {
        host.lost();
    }
    Done {
        slot,
        job,
        ended,
        started,
        elapsed: clock.elapsed(),
        reset: reset.ok().flatten(),
    }
}

/// Where a batch's history goes by default: next to its directory.
pub fn default_out(id: &str) -> PathBuf {
    PathBuf::from("batches").join(id)
}

/// A run id: the UTC time and a few hex digits of the process and clock,
/// so that two batches started in the same second differ.
pub fn new_id() -> String {
    let stamp = crate::engine::now_rfc3339()
        .replace(['-', ':'], "")
        .replace('T', "-")
        .trim_end_matches('Z')
        .to_string();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let seed = format!("{nanos}-{}", std::process::id());
    let h = xxhash_rust::xxh3::xxh3_64(seed.as_bytes());
    format!("{stamp}-{:06x}", h & 0xff_ffff)
}

#[cfg(test)]
mod tests {
    use super::pick;
    use std::collections::VecDeque;

    #[test]
    fn a_retried_app_avoids_the_device_it_lost_while_another_is_usable() {
        let free: VecDeque<usize> = [0].into();
        // The app lost slot 0, which came back first; slot 1 is busy.
        assert_eq!(pick(&free, &[Some(0)], 2), None);
        // Another app behind it takes slot 0 meanwhile.
        assert_eq!(pick(&free, &[Some(0), None], 2), Some((0, 1)));
        // Slot 1 frees up: the retry goes there.
        let both: VecDeque<usize> = [0, 1].into();
        assert_eq!(pick(&both, &[Some(0)], 2), Some((1, 0)));
        // Slot 0 is the only usable device left: the retry runs on it.
        assert_eq!(pick(&free, &[Some(0)], 1), Some((0, 0)));
        // Nothing queued, or nothing free.
        assert_eq!(pick(&free, &[], 2), None);
        assert_eq!(pick(&VecDeque::new(), &[None], 2), None);
    }
}
