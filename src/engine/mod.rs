//! The scenario engine: runs one scenario on one device and writes its
//! evidence timeline (the run directory, [`crate::evidence`]).
//!
//! It acts through [`Device`] and sees through [`crate::screen`]:
//!
//! | file | owns |
//! |---|---|
//! | `mod.rs` | [`run`]: setup, the step loop with its records, the logcat slice, the end snapshots |
//! | `exec.rs` | what each command does on the device |
//! | `dialogs.rs` | the interrupt layer: system permission, crash and ANR dialogs, `onDialog.custom` |
//! | `explore.rs` | `explore`: best-first search towards a target |
//! | `observe.rs` | settling on screenshots, the screen cache, dump retries |
//! | `select.rs` | selectors against a UI tree (pure) |
//! | `image.rs` | image selectors: a template's placements on a screenshot, through `vision` (pure) |
//! | `rank.rs` | how likely an element leads to an exploration target (pure) |
//! | `record.rs` | run-directory files, secret masking, the `--events` stream |
//! | `console.rs` | the transcript: one line per step |
//!
//! Async (tokio), as the architecture allows for `engine`; the pure parts
//! (`select`, `rank`, `screen`, `evidence`) do no I/O.

mod console;
mod dialogs;
mod exec;
mod explore;
pub mod image;
pub mod observe;
pub mod rank;
pub mod record;
pub mod select;

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

pub use console::Console;
pub use observe::SettleOptions;
pub use record::{Events, Redactor, RunDir, WriteError};

use crate::device::{Device, DeviceError, ErrorKind, Logcat, LogcatOptions};
use crate::evidence::{self, Run, StepRecord, StepStatus};
use crate::scenario::model::{OnDialog, Scenario, Step};
use crate::scenario::raw::{InstallMode, PermissionSetup};
use crate::screen::Wording;
use observe::{Observer, Seen};

/// Variables: the scenario's, the caller's, a flow's.
pub type Env = BTreeMap<String, String>;

/// What a run needs besides the scenario and the device.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The run directory (created).
    pub out: PathBuf,
    /// The app under test.
    pub package: String,
    /// An APK to install first (`setup.install: fresh` reinstalls it).
    pub apk: Option<PathBuf>,
    pub app_type: Option<String>,
    /// `-e KEY=VALUE`: override the header's `env`.
    pub env: Env,
    /// Names of variables whose values are secret (`SECRET_*` always are).
    pub secret_names: BTreeSet<String>,
    pub wording: Arc<Wording>,
    pub settle: SettleOptions,
    /// How long a selector is looked for before the step fails.
    pub find_timeout: Duration,
    /// The device's clock runs this many times faster than real time (a
    /// simulator's `--time-scale`): `idle` waits are divided by it.
    pub time_scale: f64,
    /// Set (by Ctrl-C) to stop the run at the next step or wait; the run
    /// directory is still written, with the status `error`.
    pub interrupt: Arc<std::sync::atomic::AtomicBool>,
    /// What runs the device, when the controller does (an emulator it
    /// started): the run asks it to capture the network into
    /// `network.pcap` when it captures.
    pub host: Option<Arc<dyn crate::device::DeviceHost>>,
}

impl RunOptions {
    pub fn new(out: PathBuf, package: String) -> Self {
        Self {
            out,
            package,
            apk: None,
            app_type: None,
            env: Env::new(),
            secret_names: BTreeSet::new(),
            wording: Arc::new(Wording::builtin()),
            settle: SettleOptions::default(),
            find_timeout: Duration::from_secs(10),
            time_scale: 1.0,
            interrupt: Arc::default(),
            host: None,
        }
    }

    fn is_secret(&self, name: &str) -> bool {
        name.starts_with("SECRET_") || self.secret_names.contains(name)
    }
}

/// A run that could not even write its directory.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// Why a step stopped.
#[derive(Debug, Clone, Default)]
pub(crate) struct Fail {
    pub message: String,
    pub selector: Option<String>,
    pub on_screen: Vec<String>,
    pub did_you_mean: Option<String>,
    pub timeout: Option<Duration>,
    /// The device or the tool failed, not the app or the scenario.
    pub device: bool,
}

impl Fail {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            ..Self::default()
        }
    }
}

impl From<DeviceError> for Fail {
    fn from(e: DeviceError) -> Self {
        let device = matches!(
            e.kind,
            ErrorKind::Disconnected { .. }
                | ErrorKind::Offline
                | ErrorKind::Unauthorized
                | ErrorKind::NotFound
                | ErrorKind::ServerUnavailable { .. }
                | ErrorKind::Protocol { .. }
        );
        Self {
            message: e.to_string(),
            device,
            ..Self::default()
        }
    }
}

impl From<WriteError> for Fail {
    fn from(e: WriteError) -> Self {
        Self {
            message: e.to_string(),
            device: true,
            ..Self::default()
        }
    }
}

pub(crate) type StepResult = Result<(), Fail>;
type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A permission-dialog policy set by `denyPermissions` / `allowPermissions`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Policy {
    pub allow: bool,
    /// Permission groups (`CAMERA`, `LOCATION`): empty means all.
    pub only: Vec<String>,
    pub dont_ask_again: bool,
    pub foreground_only: bool,
}

/// The state of one run.
pub(crate) struct Ctx<'a, D: Device> {
    pub dev: &'a D,
    pub opts: &'a RunOptions,
    pub flows: &'a BTreeMap<PathBuf, Scenario>,
    pub obs: Observer,
    pub dir: RunDir,
    pub run: Run,
    pub t0: Instant,
    pub logcat: Option<Arc<Logcat>>,
    pub policy: Option<Policy>,
    pub on_dialog: OnDialog,
    /// The step running now (index in `run.steps`).
    pub step: Option<usize>,
    /// The running step tapped an element of the app.
    pub user_tap: bool,
    /// Inside an `onDialog.custom` handler (no nested handling).
    pub in_handler: bool,
    /// The last screen read.
    pub seen: Option<Seen>,
    pub console: &'a Console,
    pub events: &'a Events,
    pub screen_size: (u32, u32),
    /// The run's variables (for `onDialog.custom` selectors).
    pub env: Env,
    /// A dialog left for the flow (`ignore`), not recorded twice.
    pub left: Option<u64>,
    /// The file of the steps running now.
    pub file: PathBuf,
    /// The pass (`setup.permissions`): what clearing the app's data must
    /// leave in place.
    pub pass: PermissionSetup,
}

/// Runs `scenario` on `dev`. `flows` holds the files `runFlow` and
/// `retry` name (the loader's report). The run directory is written
/// whatever happens; the returned [`Run`] is what `run.json` holds.
pub async fn run<D: Device>(
    dev: &D,
    scenario: &Scenario,
    flows: &BTreeMap<PathBuf, Scenario>,
    opts: &RunOptions,
    console: &Console,
    events: &Events,
) -> Result<Run, RunError> {
    let t0 = Instant::now();
    let mut env: Env = scenario.header.env.clone();
    env.extend(opts.env.clone());
    env.insert("APP_ID".into(), opts.package.clone());
    env.insert("DEVICE_SERIAL".into(), dev.serial().to_string());
    let run_id = opts
        .out
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    env.insert("RUN_ID".into(), run_id);
    let dir = RunDir::create(&opts.out, Redactor::new(secret_values(&env, flows, opts)))?;
    let masked_env = env
        .iter()
        .map(|(k, v)| {
            let v = if opts.is_secret(k) {
                evidence::MASK.to_string()
            } else {
                v.clone()
            };
            (k.clone(), v)
        })
        .collect();
    let run = Run {
        version: evidence::VERSION,
        tool: crate::tool(),
        scenario: evidence::ScenarioInfo {
            file: scenario.file.display().to_string(),
            name: scenario.header.name.clone(),
            tags: scenario.header.tags.clone(),
            checks: scenario
                .header
                .checks
                .iter()
                .map(|c| c.id().to_string())
                .collect(),
            permissions: match scenario.header.setup.permissions {
                PermissionSetup::Granted => "granted",
                PermissionSetup::Denied => "denied",
                PermissionSetup::Default => "default",
            }
            .into(),
            env: masked_env,
        },
        app: evidence::AppInfo {
            package: opts.package.clone(),
            apk: opts.apk.as_ref().map(|p| p.display().to_string()),
            app_type: opts.app_type.clone(),
            version_name: None,
            uid: None,
        },
        device: evidence::DeviceInfo {
            serial: dev.serial().to_string(),
            sdk: None,
            release: None,
            model: None,
            manufacturer: None,
            abi: None,
            emulator: false,
            screen: None,
        },
        started: now_rfc3339(),
        duration_ms: 0,
        time_scale: Some(opts.time_scale),
        result: evidence::RunResult {
            status: evidence::Status::Passed,
            failure: None,
        },
        steps: Vec::new(),
        marks: Vec::new(),
        dialogs: Vec::new(),
        permission_changes: Vec::new(),
        snapshots: Vec::new(),
        artifacts: Vec::new(),
        explorations: Vec::new(),
        expectations: Vec::new(),
        logcat: evidence::LogcatInfo::default(),
        network: None,
        counters: evidence::Counters::default(),
    };
    let mut ctx = Ctx {
        dev,
        opts,
        flows,
        obs: Observer::new(Arc::clone(&opts.wording)),
        dir,
        run,
        t0,
        logcat: None,
        policy: None,
        on_dialog: scenario.header.on_dialog.clone(),
        step: None,
        user_tap: false,
        in_handler: false,
        seen: None,
        console,
        events,
        screen_size: (1080, 1920),
        env: env.clone(),
        left: None,
        file: scenario.file.clone(),
        pass: scenario.header.setup.permissions,
    };
    console.start(scenario, &opts.package, dev.serial());
    events.emit(&serde_json::json!({
        "event": "run-started", "scenario": scenario.header.name,
        "app": opts.package, "device": dev.serial(), "dir": opts.out,
    }));
    let drain = ctx.start_logcat().await;
    ctx.start_capture().await;
    let result = match ctx.setup(scenario).await {
        Ok(()) => ctx.body(scenario, &env).await,
        Err(f) => Err(f),
    };
    if let Err(f) = &result {
        ctx.failed(f).await;
    }
    if !result.as_ref().is_err_and(|f| f.device) {
        ctx.end_snapshots().await;
    }
    ctx.stop_capture().await;
    if let Some(d) = drain {
        d.finish(&mut ctx.run.logcat).await;
    }
    ctx.run.duration_ms = ctx.ms();
    ctx.run.counters = ctx.obs.counters;
    let text = serde_json::to_string_pretty(&ctx.run).unwrap_or_default();
    ctx.dir.write_text("run.json", &text)?;
    console.finish(&ctx.run);
    events.emit(&serde_json::json!({
        "event": "run-finished", "status": ctx.run.result.status,
        "duration_ms": ctx.run.duration_ms,
    }));
    Ok(ctx.run)
}

/// Installs an APK and names the package it added.
pub async fn install_new<D: Device>(dev: &D, apk: &std::path::Path) -> Result<String, String> {
    let before = dev.packages(true).await.map_err(|e| e.to_string())?;
    dev.install(apk).await.map_err(|e| e.to_string())?;
    let after = dev.packages(true).await.map_err(|e| e.to_string())?;
    let old: BTreeSet<&str> = before
        .parsed
        .packages
        .iter()
        .map(|p| p.package.as_str())
        .collect();
    let new: Vec<&str> = after
        .parsed
        .packages
        .iter()
        .map(|p| p.package.as_str())
        .filter(|p| !old.contains(p))
        .collect();
    match new.as_slice() {
        [one] => Ok((*one).to_string()),
        [] => Err(format!(
            "{} is installed already; name its package with --package",
            apk.display()
        )),
        _ => Err(format!(
            "installing {} added several packages ({}); name one with --package",
            apk.display(),
            new.join(", ")
        )),
    }
}

/// The wall clock now, RFC 3339 in UTC (second precision).
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The task writing the logcat slice to `logcat.txt` as it comes.
struct Drain {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<(u64, u64)>,
    logcat: Arc<Logcat>,
}

impl Drain {
    async fn finish(self, info: &mut evidence::LogcatInfo) {
        // Let lines logged just before the end arrive.
        tokio::time::sleep(Duration::from_millis(150)).await;
        let _ = self.stop.send(());
        if let Ok((lines, dropped)) = self.task.await {
            info.lines = lines;
            info.dropped = dropped;
        }
        info.ended = self.logcat.ended().map(|e| e.to_string());
    }
}

impl<D: Device> Ctx<'_, D> {
    /// Milliseconds since the run started.
    pub(crate) fn ms(&self) -> u64 {
        u64::try_from(self.t0.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Asks the device's host to capture the network into `network.pcap`,
    /// when it captures.
    async fn start_capture(&mut self) {
        let Some(host) = self.opts.host.clone().filter(|h| h.captures_network()) else {
            return;
        };
        let path = std::path::absolute(self.dir.root().join("network.pcap"))
            .unwrap_or_else(|_| self.dir.root().join("network.pcap"));
        let started_unix_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let mut info = evidence::NetworkInfo {
            started_ms: self.ms(),
            started_unix_ms,
            ..evidence::NetworkInfo::default()
        };
        match host.capture_start(&path).await {
            Ok(()) => info.file = Some("network.pcap".into()),
            Err(e) => info.error = Some(format!("not started: {e}")),
        }
        self.run.network = Some(info);
    }

    /// Ends the run's capture, and masks secret values in it (an app may
    /// send a typed password in clear).
    async fn stop_capture(&mut self) {
        let Some(host) = self.opts.host.clone() else {
            return;
        };
        let ended = self.ms();
        let Some(info) = self.run.network.as_mut() else {
            return;
        };
        if info.file.is_none() {
            return;
        }
        info.ended_ms = Some(ended);
        if let Err(e) = host.capture_stop().await {
            info.error = Some(format!("not ended cleanly: {e}"));
        }
        if self.dir.redactor.is_empty() {
            return;
        }
        let path = self.dir.root().join("network.pcap");
        match std::fs::read(&path) {
            Ok(mut data) => {
                if self.dir.redactor.bytes(&mut data) > 0 {
                    if let Err(e) = self.dir.write("network.pcap", &data) {
                        info.error = Some(format!("secrets could not be masked: {e}"));
                        let _ = std::fs::remove_file(&path);
                        info.file = None;
                    }
                }
            }
            Err(e) => info.error = Some(format!("not written: {e}")),
        }
    }

    async fn start_logcat(&mut self) -> Option<Drain> {
        let opts = LogcatOptions {
            max_entries: 20_000,
            max_bytes: 8 << 20,
            ..LogcatOptions::default()
        };
        self.run.logcat.command = crate::android::quote::sh_join(
            &opts.argv().iter().map(String::as_str).collect::<Vec<_>>(),
        );
        let logcat = match self.dev.logcat(&opts).await {
            Ok(l) => Arc::new(l),
            Err(e) => {
                self.run.logcat.ended = Some(format!("not started: {e}"));
                return None;
            }
        };
        let mut file = match self.dir.append("logcat.txt") {
            Ok(f) => f,
            Err(e) => {
                self.run.logcat.ended = Some(e.to_string());
                return None;
            }
        };
        self.run.logcat.file = Some("logcat.txt".into());
        self.logcat = Some(Arc::clone(&logcat));
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let redactor = self.dir.redactor.clone();
        let stream = Arc::clone(&logcat);
        let task = tokio::spawn(async move {
            use std::io::Write;
            let (mut next, mut lines, mut dropped) = (stream.cursor(), 0u64, 0u64);
            loop {
                let stop = tokio::select! {
                    _ = &mut stopped => true,
                    () = tokio::time::sleep(Duration::from_millis(200)) => false,
                };
                for l in stream.since(next) {
                    dropped += l.seq.saturating_sub(next);
                    next = l.seq + 1;
                    lines += 1;
                    let _ = writeln!(file, "{}", redactor.text(&l.raw));
                }
                let _ = file.flush();
                if stop {
                    break;
                }
            }
            (lines, dropped)
        });
        Some(Drain { stop, task, logcat })
    }

    async fn setup(&mut self, scenario: &Scenario) -> StepResult {
        let props = self.dev.properties().await?;
        if let Some(s) = props.screen {
            self.screen_size = s;
        }
        self.run.device = evidence::DeviceInfo {
            serial: props.serial,
            sdk: props.sdk,
            release: props.release,
            model: props.model,
            manufacturer: props.manufacturer,
            abi: props.abi,
            emulator: props.emulator,
            screen: props.screen,
        };
        let pkg = self.opts.package.clone();
        // Installing and clearing come before the pass's grants below.
        let install = scenario.header.setup.install;
        if let Some(apk) = &self.opts.apk {
            if install == InstallMode::Fresh {
                let _ = self.dev.uninstall(&pkg).await;
            }
            self.dev.install(apk).await?;
            if install == InstallMode::Clear {
                // An update install keeps the data: clear it as asked.
                self.dev.clear(&pkg).await?;
            }
        } else if install != InstallMode::Keep {
            self.dev.clear(&pkg).await?;
        }
        let snap = self.dev.package(&pkg).await?;
        let info = snap.parsed.packages.iter().find(|p| p.name == pkg).cloned();
        let Some(info) = info else {
            return Err(Fail::new(format!(
                "{pkg} is not installed on {}",
                self.dev.serial()
            )));
        };
        self.run.app.uid = info.uid;
        self.run.app.version_name.clone_from(&info.version_name);
        match scenario.header.setup.permissions {
            PermissionSetup::Granted => {
                for p in runtime_permissions(&info) {
                    self.change_permission(&p, exec::PermChange::Grant).await;
                }
            }
            PermissionSetup::Denied => {
                for p in runtime_permissions(&info) {
                    self.change_permission(&p, exec::PermChange::Revoke).await;
                }
            }
            PermissionSetup::Default => {}
        }
        self.snapshots("setup").await;
        Ok(())
    }

    /// `pm clear` of `pkg`, which on Android also resets its runtime
    /// permissions: for the app under test in pass G, every runtime
    /// permission is granted again at once (recorded), so the pass holds;
    /// in pass N the clear has revoked them already.
    pub(crate) async fn clear_data(&mut self, pkg: &str) -> StepResult {
        self.dev.clear(pkg).await?;
        self.obs.forget();
        if pkg == self.opts.package && self.pass == PermissionSetup::Granted {
            let snap = self.dev.package(pkg).await?;
            let info = snap.parsed.packages.iter().find(|p| p.name == pkg).cloned();
            for p in info.as_ref().map(runtime_permissions).unwrap_or_default() {
                self.change_permission(&p, exec::PermChange::Grant).await;
            }
        }
        Ok(())
    }

    async fn body(&mut self, scenario: &Scenario, env: &Env) -> StepResult {
        let hooks = &scenario.header;
        self.steps(&hooks.on_flow_start, env, None).await?;
        let main = self.steps(&scenario.steps, env, None).await;
        // onFlowComplete runs whatever happened, as Maestro does.
        let done = self.steps(&hooks.on_flow_complete, env, None).await;
        main.and(done)
    }

    /// Runs steps in order; the first failure of a non-optional step stops.
    pub(crate) fn steps<'s>(
        &'s mut self,
        steps: &'s [Step],
        env: &'s Env,
        parent: Option<usize>,
    ) -> BoxFuture<'s, StepResult> {
        Box::pin(async move {
            for s in steps {
                self.step(s, env, parent).await?;
            }
            Ok(())
        })
    }

    async fn step(&mut self, s: &Step, env: &Env, parent: Option<usize>) -> StepResult {
        self.check_interrupt()?;
        let index = self.run.steps.len();
        let title = self.dir.redactor.text(&exec::title(&s.command, env));
        let at = format!("{}:{}:{}", self.file.display(), s.at.line, s.at.column);
        self.run.steps.push(StepRecord {
            index,
            parent,
            at: at.clone(),
            command: exec::name(&s.command).into(),
            title: title.clone(),
            label: s.label.clone(),
            start_ms: self.ms(),
            end_ms: 0,
            status: StepStatus::Passed,
            error: None,
            notes: Vec::new(),
            screen: None,
        });
        self.events.emit(&serde_json::json!({
            "event": "step-started", "index": index, "at": at, "title": title,
        }));
        let outer = self.step.replace(index);
        self.user_tap = false;
        let result = self.command(s, env, index).await;
        self.step = outer;
        let end = self.ms();
        let rec = &mut self.run.steps[index];
        rec.end_ms = end;
        rec.screen = self.seen.as_ref().map(|s| s.fingerprint.clone());
        let result = match result {
            Ok(skipped) => {
                if skipped {
                    rec.status = StepStatus::Skipped;
                }
                Ok(())
            }
            Err(f) if s.optional && !f.device => {
                rec.status = StepStatus::FailedOptional;
                rec.error = Some(self.dir.redactor.text(&f.message));
                Ok(())
            }
            Err(f) => {
                rec.status = StepStatus::Failed;
                rec.error = Some(self.dir.redactor.text(&f.message));
                Err(f)
            }
        };
        let rec = &self.run.steps[index];
        self.console
            .step(rec, parent.map_or(0, |_| self.depth_of(index)));
        self.events.emit(&serde_json::json!({
            "event": "step-finished", "index": index, "status": rec.status,
            "duration_ms": rec.end_ms - rec.start_ms, "error": rec.error,
        }));
        result
    }

    fn depth_of(&self, mut index: usize) -> usize {
        let mut d = 0;
        while let Some(p) = self.run.steps.get(index).and_then(|s| s.parent) {
            d += 1;
            index = p;
        }
        d
    }

    /// Fails when the user asked the run to stop.
    pub(crate) fn check_interrupt(&self) -> StepResult {
        if self
            .opts
            .interrupt
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            Err(Fail {
                message: "interrupted".into(),
                device: true,
                ..Fail::default()
            })
        } else {
            Ok(())
        }
    }

    /// A note on the running step.
    pub(crate) fn note(&mut self, text: impl Into<String>) {
        if let Some(i) = self.step {
            let t = self.dir.redactor.text(&text.into());
            self.run.steps[i].notes.push(t);
        }
    }

    async fn failed(&mut self, f: &Fail) {
        let step = self
            .run
            .steps
            .iter()
            .rposition(|s| s.status == StepStatus::Failed);
        self.run.result = evidence::RunResult {
            status: if f.device {
                evidence::Status::Error
            } else {
                evidence::Status::Failed
            },
            failure: Some(evidence::Failure {
                step,
                at: step.map(|i| self.run.steps[i].at.clone()),
                message: self.dir.redactor.text(&f.message),
                selector: f.selector.clone(),
                on_screen: f
                    .on_screen
                    .iter()
                    .map(|t| self.dir.redactor.text(t))
                    .collect(),
                did_you_mean: f.did_you_mean.clone(),
                timeout_ms: f
                    .timeout
                    .map(|t| u64::try_from(t.as_millis()).unwrap_or(u64::MAX)),
            }),
        };
        if !f.device {
            self.keep_screen("failure").await;
        }
    }

    async fn end_snapshots(&mut self) {
        self.snapshots("end").await;
    }

    /// Keeps the current screen (screenshot and dump) as evidence.
    pub(crate) async fn keep_screen(&mut self, reason: &str) -> Option<(String, String)> {
        let seen = match self.obs.picture(self.dev).await {
            Ok((hash, shot)) => self.obs.read(self.dev, hash, shot).await,
            Err(e) => Err(e),
        };
        match seen {
            Ok(seen) => Some(self.keep(&seen, reason)),
            Err(e) => {
                self.note(format!("could not keep the screen ({reason}): {e}"));
                None
            }
        }
    }

    /// Writes a seen screen's picture (secrets painted out) and dump.
    pub(crate) fn keep(&mut self, seen: &Seen, reason: &str) -> (String, String) {
        let png = self.dir.name("screens", reason, "png");
        let xml = png.replace(".png", ".xml");
        // A picture that cannot be painted over is not written at all:
        // never a secret in clear.
        let bytes = if self.dir.redactor.shows_secret(&seen.dump.tree) {
            seen.shot
                .image()
                .map_err(|e| e.to_string())
                .and_then(|mut img| {
                    self.dir.redactor.image(&mut img, &seen.dump.tree);
                    let mut out = std::io::Cursor::new(Vec::new());
                    img.write_to(&mut out, ::image::ImageFormat::Png)
                        .map_err(|e| e.to_string())?;
                    Ok(out.into_inner())
                })
                .map_err(|e| format!("{png}: cannot paint the secrets out of the picture: {e}"))
        } else {
            Ok(seen.shot.png.clone())
        };
        let t = self.ms();
        for (file, kind, result) in [
            (
                &png,
                "screenshot",
                bytes.and_then(|b| self.dir.write(&png, &b).map_err(|e| e.to_string())),
            ),
            (
                &xml,
                "ui-tree",
                self.dir
                    .write_text(&xml, &seen.dump.xml)
                    .map_err(|e| e.to_string()),
            ),
        ] {
            match result {
                Ok(()) => self.run.artifacts.push(evidence::Artifact {
                    t_ms: t,
                    step: self.step,
                    kind: kind.into(),
                    reason: reason.into(),
                    file: file.clone(),
                    screen: Some(seen.fingerprint.clone()),
                }),
                Err(e) => tracing::warn!("{e}"),
            }
        }
        (png, xml)
    }

    /// Raw appops, package and exit-info records.
    pub(crate) async fn snapshots(&mut self, reason: &str) {
        for kind in ["appops", "package", "exit-info"] {
            self.snapshot(kind, reason).await;
        }
    }

    /// One raw OS record, written to `snapshots/`.
    pub(crate) async fn snapshot(&mut self, kind: &str, reason: &str) {
        let pkg = self.opts.package.clone();
        let got = match kind {
            "appops" => self
                .dev
                .appops(Some(&pkg))
                .await
                .map(|s| (s.command, s.raw)),
            "package" => self.dev.package(&pkg).await.map(|s| (s.command, s.raw)),
            "exit-info" => self.dev.exit_info(&pkg).await.map(|s| (s.command, s.raw)),
            _ => self.dev.focus().await.map(|s| (s.command, s.raw)),
        };
        match got {
            Ok((command, raw)) => {
                let file = self
                    .dir
                    .name("snapshots", &format!("{kind}-{reason}"), "txt");
                if let Err(e) = self.dir.write_text(&file, &raw) {
                    tracing::warn!("{e}");
                    return;
                }
                self.run.snapshots.push(evidence::SnapshotRecord {
                    t_ms: self.ms(),
                    step: self.step,
                    kind: kind.into(),
                    reason: reason.into(),
                    command,
                    file,
                });
            }
            Err(e) => self.note(format!("{kind} snapshot failed: {e}")),
        }
    }
}

/// Every secret value the run may type or show: the run's own, the
/// defaults in flow files' headers, and the `runFlow.env` values given to
/// secret names (rendered with the run's variables).
fn secret_values(env: &Env, flows: &BTreeMap<PathBuf, Scenario>, opts: &RunOptions) -> Vec<String> {
    let mut out: Vec<String> = env
        .iter()
        .filter(|(k, _)| opts.is_secret(k))
        .map(|(_, v)| v.clone())
        .collect();
    for sc in flows.values() {
        out.extend(
            sc.header
                .env
                .iter()
                .filter(|(k, _)| opts.is_secret(k))
                .map(|(_, v)| v.clone()),
        );
        for step in sc.all_steps() {
            if let crate::scenario::model::Command::RunFlow { env: vars, .. } = &step.command {
                out.extend(
                    vars.iter()
                        .filter(|(k, _)| opts.is_secret(k))
                        .map(|(_, t)| t.render(env).unwrap_or_else(|_| t.as_str().to_string())),
                );
            }
        }
    }
    out
}

/// The names of a package's runtime permissions (user 0).
fn runtime_permissions(info: &crate::android::package::PackageInfo) -> Vec<String> {
    info.runtime_permissions()
        .iter()
        .map(|p| p.name.clone())
        .collect()
}
