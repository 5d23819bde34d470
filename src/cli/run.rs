//! `consentry run SCENARIO... --app PKG|APK`: loads and validates the
//! scenarios (a bad one exits 2 before any device is touched), picks the
//! device, and runs each scenario through [`crate::engine`], printing a
//! transcript and writing a run directory per scenario.
//!
//! Exit codes: 0 every scenario passed and every `expect` held; 1 some
//! `expect` failed; 2 bad input or no device; 3 a step failed or the
//! device failed (the run directory says where).

use std::collections::{BTreeMap, BTreeSet};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use super::GlobalArgs;
use super::validate::parse_env;
use crate::device::{AdbDevice, AdbServer, ServerAddr, Timeouts};
use crate::engine::{self, Console, Events, RunOptions, SettleOptions};
use crate::evidence::Status;
use crate::exit::Exit;
use crate::scenario::{Loader, Severity};
use crate::screen::Wording;

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Scenario files or directories (files reached only through
    /// `runFlow` are not run on their own).
    #[arg(
        required_unless_present = "suite",
        conflicts_with = "suite",
        value_name = "SCENARIO"
    )]
    pub scenarios: Vec<PathBuf>,
    /// Run a suite in its passes and print the verdict per category:
    /// `builtin` (scenarios/builtin, embedded) or a directory with a
    /// suite.yaml. Writes OUT/verdicts.json.
    #[arg(long, value_name = "builtin|DIR")]
    pub suite: Option<String>,
    /// The app: a package name, or an APK to install.
    #[arg(long, value_name = "PKG|APK")]
    pub app: String,
    /// The package of `--app APK` when it is installed already (otherwise
    /// it is the package the install adds).
    #[arg(long, value_name = "PKG")]
    pub package: Option<String>,
    /// The device (default: ANDROID_SERIAL, else the only one online).
    #[arg(long, value_name = "SERIAL")]
    pub device: Option<String>,
    /// The adb server (host:port); default from ADB_SERVER_SOCKET or
    /// ANDROID_ADB_SERVER_PORT, else 127.0.0.1:5037.
    #[arg(long, value_name = "HOST:PORT")]
    pub adb_server: Option<String>,
    /// The run directory (default: runs/PKG-YYYYMMDD-HHMMSS). With several
    /// scenarios, each gets a folder inside it.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The app's type (for the detectors: docs/app-types.md).
    #[arg(long, value_name = "TYPE")]
    pub app_type: Option<String>,
    /// Write one JSON object per event to FILE as it happens.
    #[arg(long, value_name = "FILE")]
    pub events: Option<PathBuf>,
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// What `run` and `batch` share: variables, data files, engine timing.
#[derive(Debug, Clone, Args)]
pub struct EngineArgs {
    /// A variable for `${KEY}`; repeatable. `SECRET_*` values are never
    /// written in clear.
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE", value_parser = parse_env)]
    pub env: Vec<(String, String)>,
    /// Another variable whose value is secret; repeatable.
    #[arg(long, value_name = "NAME")]
    pub secret: Vec<String>,
    /// A wording file that adds to (or replaces) the built-in words.
    #[arg(long, value_name = "FILE")]
    pub wording: Option<PathBuf>,
    /// With --suite: a file of app types that adds to (or overrides) the built-in table.
    #[arg(long, value_name = "FILE")]
    pub app_types: Option<PathBuf>,
    /// With --suite: a file of third-party SDKs that adds to (or
    /// overrides) the built-in list.
    #[arg(long, value_name = "FILE")]
    pub sdks: Option<PathBuf>,
    /// With --suite: exit 1 on warnings (heuristic findings) too.
    #[arg(long)]
    pub fail_on_warning: bool,
    /// The device clock runs this many times faster than real time (the
    /// simulator's --time-scale); `idle` waits are divided by it.
    #[arg(long, default_value_t = 1.0, value_name = "F")]
    pub time_scale: f64,
    /// Seconds a selector is waited for before the step fails.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    pub find_timeout: f64,
    /// Seconds the screen may keep changing after an action.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    pub settle_timeout: f64,
    /// Seconds one `uiautomator dump` may take before it is retried.
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
    pub dump_timeout: f64,
}

impl EngineArgs {
    /// The variables given with `-e`.
    pub(super) fn env(&self) -> BTreeMap<String, String> {
        self.env.iter().cloned().collect()
    }

    pub(super) fn wording(&self) -> Result<Wording, String> {
        match &self.wording {
            Some(p) => Wording::with_file(p).map_err(|e| e.to_string()),
            None => Ok(Wording::builtin()),
        }
    }

    /// Run options with everything but the app: variables, secrets,
    /// wording and timing.
    pub(super) fn options(&self, out: PathBuf, package: String) -> Result<RunOptions, String> {
        if !(self.time_scale.is_finite() && self.time_scale > 0.0) {
            return Err(format!(
                "--time-scale must be above 0, not {}",
                self.time_scale
            ));
        }
        let mut opts = RunOptions::new(out, package);
        opts.env = self.env();
        opts.secret_names = self.secret.iter().cloned().collect();
        opts.wording = Arc::new(self.wording()?);
        opts.settle = SettleOptions {
            timeout: seconds(self.settle_timeout, "settle-timeout")?,
            ..SettleOptions::default()
        };
        opts.find_timeout = seconds(self.find_timeout, "find-timeout")?;
        opts.time_scale = self.time_scale;
        Ok(opts)
    }

    /// Device timeouts: the defaults with `--dump-timeout`.
    pub(super) fn timeouts(&self) -> Result<Timeouts, String> {
        Ok(Timeouts {
            ui_dump: seconds(self.dump_timeout, "dump-timeout")?,
            ..Timeouts::default()
        })
    }

    /// The detectors' context for an app type, with the user's data files.
    pub(super) fn context(
        &self,
        wording: Arc<Wording>,
        types: &crate::detect::AppTypes,
        app_type: Option<&str>,
    ) -> Result<crate::detect::Context, String> {
        super::analyze::context(wording, types, app_type, self.sdks.as_ref())
    }
}

fn seconds(v: f64, name: &str) -> Result<Duration, String> {
    if v.is_finite() && v > 0.0 && v <= 86_400.0 {
        Ok(Duration::from_secs_f64(v))
    } else {
        Err(format!(
            "--{name} must be a number of seconds above 0, not {v}"
        ))
    }
}

pub(super) fn run(args: &RunArgs, global: &GlobalArgs) -> Exit {
    match prepare(args) {
        Ok(plan) => execute(args, global, plan),
        Err(e) => {
            eprintln!("consentry run: {e}");
            Exit::Usage
        }
    }
}

struct Plan {
    suite: Option<(crate::suite::Suite, crate::detect::Context)>,
    loaded: crate::scenario::LoadReport,
    top: Vec<PathBuf>,
    opts: RunOptions,
    timeouts: Timeouts,
    events: Events,
}

pub(super) fn print_errors(report: &crate::scenario::LoadReport) {
    let color = std::io::stderr().is_terminal();
    for d in report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
    {
        let source = report.sources.get(&d.file).map(String::as_str);
        eprintln!("{}\n", d.render(source, color));
    }
}

fn prepare(args: &RunArgs) -> Result<Plan, String> {
    let mut loader = Loader::new(args.engine.env());
    loader.load_paths(&args.scenarios);
    let report = loader.finish();
    if args.suite.is_none() && !report.is_ok() {
        print_errors(&report);
        return Err(format!(
            "{} error(s) in the scenarios; nothing was run",
            report.error_count()
        ));
    }
    let flows: BTreeSet<PathBuf> = report
        .scenarios
        .values()
        .flat_map(|s| s.flow_references())
        .map(|(_, p)| p.to_path_buf())
        .collect();
    let top: Vec<PathBuf> = report
        .scenarios
        .keys()
        .filter(|p| !flows.contains(*p))
        .cloned()
        .collect();
    if top.is_empty() && args.suite.is_none() {
        return Err("no scenario to run".into());
    }
    let is_apk = Path::new(&args.app)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("apk"))
        || Path::new(&args.app).is_file();
    if !is_apk && !crate::scenario::values::is_package_name(&args.app) {
        return Err(format!(
            "--app {:?} is neither an APK file nor a package name",
            args.app
        ));
    }
    if let Some(p) = &args.package {
        if !crate::scenario::values::is_package_name(p) {
            return Err(format!("--package {p:?} is not a package name"));
        }
    }
    let package = if is_apk {
        args.package.clone().unwrap_or_default()
    } else {
        args.app.clone()
    };
    let out = args.out.clone().unwrap_or_else(|| {
        let stamp = chrono_stamp();
        PathBuf::from("runs").join(format!(
            "{}-{stamp}",
            if package.is_empty() { "app" } else { &package }
        ))
    });
    let mut opts = args.engine.options(out, package)?;
    opts.apk = is_apk.then(|| PathBuf::from(&args.app));
    opts.app_type.clone_from(&args.app_type);
    let events = match &args.events {
        Some(p) => Events::to_file(p).map_err(|e| e.to_string())?,
        None => Events::none(),
    };
    let suite = match &args.suite {
        None => None,
        Some(which) => {
            let dir = if which == "builtin" {
                crate::suite::materialise_builtin(&opts.out.join("suite"))
                    .map_err(|e| e.to_string())?
            } else {
                PathBuf::from(which)
            };
            let suite = crate::suite::load(&dir, &opts.env).map_err(|e| {
                if let crate::suite::SuiteError::Scenarios { report, .. } = &e {
                    print_errors(report);
                }
                e.to_string()
            })?;
            let types = super::analyze::app_types(args.engine.app_types.as_ref())?;
            let ctx =
                args.engine
                    .context(Arc::clone(&opts.wording), &types, args.app_type.as_deref())?;
            if let Some(t) = &ctx.app_type {
                opts.app_type = Some(t.id.clone());
            }
            Some((suite, ctx))
        }
    };
    Ok(Plan {
        suite,
        loaded: report,
        top,
        opts,
        timeouts: args.engine.timeouts()?,
        events,
    })
}

/// `YYYYMMDD-HHMMSS` in UTC.
fn chrono_stamp() -> String {
    let t = crate::engine::now_rfc3339();
    t.replace(['-', ':'], "")
        .replace('T', "-")
        .trim_end_matches('Z')
        .to_string()
}

fn execute(args: &RunArgs, global: &GlobalArgs, mut plan: Plan) -> Exit {
    let console = Console {
        quiet: global.quiet > 0,
        verbose: global.verbose > 0,
        color: global.color.enabled(std::io::stdout().is_terminal()),
    };
    let rt = match super::runtime("run") {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{e}");
            return Exit::Usage;
        }
    };
    rt.block_on(async {
        let addr = match ServerAddr::from_env(args.adb_server.as_deref()) {
            Ok(a) => a,
            Err(e) => {
                eprintln!("consentry run: {e}");
                return Exit::Usage;
            }
        };
        let timeouts = plan.timeouts;
        let device = match AdbDevice::select_from_env(
            AdbServer::new(addr),
            args.device.as_deref(),
            timeouts,
        )
        .await
        {
            Ok(d) => d,
            Err(e) => {
                eprintln!("consentry run: {e}");
                return Exit::Usage;
            }
        };
        if let Some(apk) = &plan.opts.apk {
            if plan.opts.package.is_empty() {
                match crate::engine::install_new(&device, apk).await {
                    Ok(p) => plan.opts.package = p,
                    Err(e) => {
                        eprintln!("consentry run: {e}");
                        return Exit::Usage;
                    }
                }
            }
        }
        // Ctrl-C stops the run at the next step; the run directory is
        // still written. A second Ctrl-C ends the process.
        let interrupt = std::sync::Arc::clone(&plan.opts.interrupt);
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!(
                    "consentry run: interrupted; writing the run directory (Ctrl-C again to abort)"
                );
                interrupt.store(true, std::sync::atomic::Ordering::Relaxed);
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(130);
                }
            }
        });
        if let Some((suite, ctx)) = &plan.suite {
            let (v, problems) =
                crate::suite::run(&device, suite, &plan.opts, &console, &plan.events, ctx).await;
            for p in &problems {
                eprintln!("consentry run: {p}");
            }
            let path = plan.opts.out.join("verdicts.json");
            match serde_json::to_string_pretty(&v) {
                Ok(text) => {
                    let tmp = plan.opts.out.join(".verdicts.json.tmp");
                    if let Err(e) = std::fs::write(&tmp, format!("{text}\n"))
                        .and_then(|()| std::fs::rename(&tmp, &path))
                    {
                        eprintln!("consentry run: cannot write {}: {e}", path.display());
                    }
                }
                Err(e) => eprintln!("consentry run: {e}"),
            }
            if !console.quiet {
                super::print_stdout(&crate::verdict::table(
                    &v,
                    console.color,
                    &path.display().to_string(),
                ));
            }
            return crate::verdict::exit_code(
                std::slice::from_ref(&v),
                args.engine.fail_on_warning,
            );
        }
        let several = plan.top.len() > 1;
        let mut worst = Exit::Success;
        for (i, path) in plan.top.iter().enumerate() {
            if plan
                .opts
                .interrupt
                .load(std::sync::atomic::Ordering::Relaxed)
            {
                break;
            }
            let Some(scenario) = plan.loaded.scenarios.get(path) else {
                continue;
            };
            let mut opts = plan.opts.clone();
            if several {
                let stem = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                opts.out = opts.out.join(format!(
                    "{:02}-{}",
                    i + 1,
                    crate::engine::record::file_label(&stem)
                ));
            }
            let result = engine::run(
                &device,
                scenario,
                &plan.loaded.scenarios,
                &opts,
                &console,
                &plan.events,
            )
            .await;
            let exit = match result {
                Ok(run) => {
                    if !console.quiet {
                        println!("run directory: {}", opts.out.display());
                    }
                    match run.result.status {
                        Status::Passed if run.expectations.iter().all(|e| e.passed) => {
                            Exit::Success
                        }
                        Status::Passed => Exit::Violation,
                        Status::Failed | Status::Error => Exit::Inconclusive,
                    }
                }
                Err(e) => {
                    eprintln!("consentry run: {e}");
                    Exit::Usage
                }
            };
            worst = worse(worst, exit);
        }
        worst
    })
}

/// The more serious of two outcomes: 2, then 1, then 3, then 0.
fn worse(a: Exit, b: Exit) -> Exit {
    let rank = |e: Exit| match e {
        Exit::Usage | Exit::Interrupted => 3,
        Exit::Violation => 2,
        Exit::Inconclusive => 1,
        Exit::Success => 0,
    };
    if rank(b) > rank(a) { b } else { a }
}
