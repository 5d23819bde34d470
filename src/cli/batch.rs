//! `consentry batch --apps LIST --suite builtin|DIR|SCENARIO...`: checks
//! the list, the suite and the devices before anything runs (a bad one
//! exits 2 naming the file, line and key), runs the batch over the pool
//! ([`crate::batch`]), writes the reports, records the history, and prints
//! the verdict matrix with where the reports are (docs/batch.md).
//!
//! Exit codes: 0 nothing found; 1 a violation (or a warning with
//! `--fail-on-warning`); 2 bad input or no device; 3 no violation but some
//! verdict is inconclusive or an error, or an app could not be judged;
//! 130 interrupted before every app was judged.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use super::GlobalArgs;
use super::emulator::AvdArgs;
use super::run::EngineArgs;
use crate::batch::apps::{self, App, Checks};
use crate::batch::shard::Shard;
use crate::batch::store::BatchDir;
use crate::batch::{self, Batch, Interrupt, PoolDevice};
use crate::device::{AdbDevice, AdbServer, ServerAddr, discover};
use crate::emulator::Fleet;
use crate::exit::Exit;
use crate::report::{self, Format, Report, RunInfo};

#[derive(Debug, Clone, Args)]
pub struct BatchArgs {
    /// The app list: YAML (docs/batch.md, schemas/apps.schema.json) or a
    /// text file with one package per line. With --resume: the batch's own
    /// list unless given.
    #[arg(long, value_name = "FILE", required_unless_present = "resume")]
    pub apps: Option<PathBuf>,
    /// `builtin` (the embedded suite, both passes), a directory with a
    /// suite.yaml, or scenario files run as written.
    #[arg(long, num_args = 1.., value_name = "builtin|DIR|SCENARIO")]
    pub suite: Vec<String>,
    /// `all` usable devices, `N` of them, or a comma-separated list of
    /// serials.
    #[arg(long, default_value = "all", value_name = "all|N|SERIAL,...")]
    pub devices: String,
    /// An adb server (host:port); repeatable. Default: ADB_SERVER_SOCKET
    /// or ANDROID_ADB_SERVER_PORT, else 127.0.0.1:5037.
    #[arg(long, value_name = "HOST:PORT")]
    pub adb_server: Vec<String>,
    /// The batch directory (default: batches/<run id>).
    #[arg(long, value_name = "DIR", conflicts_with = "resume")]
    pub out: Option<PathBuf>,
    /// Judge only shard K of N of the list (stable: by hash of the app).
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,
    /// Finish a batch that was interrupted or killed: finished apps are
    /// kept, the rest run.
    #[arg(long, value_name = "DIR")]
    pub resume: Option<PathBuf>,
    /// Times an app is started again from scratch after losing its device.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub retries: u32,
    /// The longest one app's suite may take (`15m`, `900s`, `1h`).
    #[arg(long, default_value = "15m", value_parser = parse_duration, value_name = "DURATION")]
    pub timeout_per_app: Duration,
    /// When every device is gone, how long to wait for one to come back
    /// before the apps left are given up.
    #[arg(long, default_value = "2m", value_parser = parse_duration, value_name = "DURATION")]
    pub device_wait: Duration,
    /// The history database (default: history.sqlite next to the batch
    /// directory). Shards do not record; `report merge` does.
    #[arg(long, value_name = "PATH", env = "CONSENTRY_HISTORY")]
    pub history: Option<PathBuf>,
    /// Record nothing in the history.
    #[arg(long)]
    pub no_history: bool,
    /// Never start a local adb server again when it stops answering.
    #[arg(long)]
    pub no_restart_adb: bool,
    #[command(flatten)]
    pub emulator: AvdArgs,
    /// With --avd: how many instances of it to boot for the pool (the
    /// pool is then these instances, whatever --devices says).
    #[arg(long, default_value_t = 1, value_name = "N", requires = "avd")]
    pub emulators: usize,
    /// With --avd: capture each run's network traffic into its run
    /// directory (`network.pcap`) and judge sharing from it
    /// (docs/network.md).
    #[arg(long, requires = "avd")]
    pub capture_network: bool,
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// `90s`, `15m`, `1h`, or plain seconds.
pub(super) fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let (num, unit) = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map_or((t, "s"), |i| (&t[..i], &t[i..]));
    let v: f64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a duration (like 90s, 15m, 1h)"))?;
    let secs = match unit {
        "ms" => v / 1000.0,
        "s" => v,
        "m" => v * 60.0,
        "h" => v * 3600.0,
        _ => return Err(format!("`{s}`: the unit is ms, s, m or h")),
    };
    if !(secs.is_finite() && secs > 0.0 && secs <= 7.0 * 86_400.0) {
        return Err(format!("`{s}` must be above 0 and at most a week"));
    }
    Ok(Duration::from_secs_f64(secs))
}

pub(super) fn run(args: &BatchArgs, global: &GlobalArgs) -> Exit {
    let rt = match super::runtime("batch") {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{e}");
            return Exit::Usage;
        }
    };
    rt.block_on(async {
        let mut prepared = match prepare(args).await {
            Ok(p) => p,
            Err(e) => {
                eprintln!("consentry batch: {e}");
                return Exit::Usage;
            }
        };
        let fleet = if args.emulator.avd.is_some() && !prepared.batch.todo.is_empty() {
            match boot_fleet(args, global, &mut prepared).await {
                Ok(f) => Some(f),
                Err(exit) => return exit,
            }
        } else {
            None
        };
        let exit = execute(args, global, prepared).await;
        if let Some(f) = fleet {
            f.stop().await;
        }
        exit
    })
}

struct Prepared {
    batch: Batch,
    servers: Vec<AdbServer>,
    devices: Vec<PoolDevice>,
    already: usize,
    /// Where the emulators' messages go once the batch's progress exists.
    progress: Arc<std::sync::OnceLock<Arc<batch::progress::Progress>>>,
}

/// Boots the batch's emulators (`--avd`), which become its pool. Ctrl-C
/// while they boot stops them and exits 130.
async fn boot_fleet(
    args: &BatchArgs,
    global: &GlobalArgs,
    p: &mut Prepared,
) -> Result<Fleet, Exit> {
    let fail = |e: &dyn std::fmt::Display| {
        eprintln!("consentry batch: {e}");
        Exit::Usage
    };
    let Some(server) = p.servers.first().cloned() else {
        return Err(fail(&"no adb server"));
    };
    if args.emulators == 0 {
        return Err(fail(&"--emulators must be at least 1"));
    }
    let timeouts = args.engine.timeouts().map_err(|e| fail(&e))?;
    let work = p.batch.dir.root().join("emulators");
    let spec = args
        .emulator
        .spec(server.clone(), timeouts, work, args.capture_network)
        .await
        .map_err(|e| fail(&e))?;
    let slot = Arc::clone(&p.progress);
    let notes: Arc<dyn Fn(&str) + Send + Sync> = Arc::new(move |m: &str| match slot.get() {
        Some(progress) => progress.note(&format!("consentry batch: {m}")),
        None => eprintln!("consentry batch: {m}"),
    });
    if global.quiet == 0 {
        eprintln!(
            "consentry batch: booting {} instance(s) of AVD {}",
            args.emulators, spec.avd
        );
    }
    let fleet = tokio::select! {
        f = Fleet::boot(spec, args.emulators, args.emulator.emulator_port, notes) => f.map_err(|e| fail(&e))?,
        _ = tokio::signal::ctrl_c() => {
            // Dropping the boot kills what it started.
            eprintln!("consentry batch: interrupted while the emulators booted; they are stopped");
            return Err(Exit::Interrupted);
        }
    };
    p.devices = fleet
        .serials()
        .into_iter()
        .zip(fleet.hosts())
        .map(|(serial, host)| PoolDevice {
            dev: AdbDevice::new(server.clone(), serial.clone(), timeouts),
            id: (0, serial),
            host: Some(host),
        })
        .collect();
    Ok(fleet)
}

/// The suite a batch runs, written into the batch directory when built in.
fn load_suite(
    which: &[String],
    out: &Path,
    env: &BTreeMap<String, String>,
) -> Result<crate::suite::Suite, String> {
    let shown = |e: crate::suite::SuiteError| {
        if let crate::suite::SuiteError::Scenarios { report, .. } = &e {
            super::run::print_errors(report);
        }
        e.to_string()
    };
    match which {
        [one] if one == "builtin" => {
            let dir = crate::suite::materialise_builtin(&out.join("suite")).map_err(shown)?;
            crate::suite::load(&dir, env).map_err(shown)
        }
        [one] if Path::new(one).join("suite.yaml").is_file() => {
            crate::suite::load(Path::new(one), env).map_err(shown)
        }
        files => {
            let paths: Vec<PathBuf> = files.iter().map(PathBuf::from).collect();
            crate::suite::from_files(&paths, env).map_err(shown)
        }
    }
}

async fn prepare(args: &BatchArgs) -> Result<Prepared, String> {
    // What to run: a new batch, or the rest of one.
    let resumed = match &args.resume {
        Some(root) => Some(BatchDir::open(root).map_err(|e| format!("--resume: {e}"))?),
        None => None,
    };
    let list_path = match (&args.apps, &resumed) {
        (Some(p), _) => p.clone(),
        (None, Some((_, run))) => run
            .apps_file
            .as_ref()
            .map(PathBuf::from)
            .ok_or("--resume: the batch names no app list; give --apps")?,
        (None, None) => return Err("--apps is required".into()),
    };
    let suite_names = match (&resumed, args.suite.is_empty()) {
        (_, false) => args.suite.clone(),
        (Some((_, run)), true) => vec![run.suite.clone()],
        (None, true) => {
            return Err(
                "--suite is required (builtin, a suite directory or scenario files)".into(),
            );
        }
    };
    let text = std::fs::read_to_string(&list_path)
        .map_err(|e| format!("{}: cannot read: {e}", list_path.display()))?;
    let listed = apps::parse_list(&text, &list_path).map_err(|e| e.to_string())?;
    let types = super::analyze::app_types(args.engine.app_types.as_ref())?;
    let known = |t: &str| {
        types.get(t).map(|_| ()).ok_or_else(|| {
            let hint = types
                .suggest(t)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            format!("unknown app type `{t}`{hint}; the types are listed in docs/app-types.md")
        })
    };
    let env_of = |k: &str| std::env::var(k).ok();
    let secrets = apps::check(
        &listed,
        &list_path,
        &Checks {
            app_type: &known,
            env: &env_of,
        },
    )
    .map_err(|e| e.to_string())?;
    // Only a list that checks out makes a batch directory.
    let (dir, mut run) = if let Some(r) = resumed {
        r
    } else {
        let id = batch::new_id();
        let out = args.out.clone().unwrap_or_else(|| batch::default_out(&id));
        let run = RunInfo {
            id,
            tool: crate::tool(),
            started: crate::engine::now_rfc3339(),
            finished: None,
            resumed: Vec::new(),
            suite: suite_names.join(" "),
            apps_file: Some(list_path.display().to_string()),
            shard: args.shard.map(|s| s.to_string()),
            planned: Vec::new(),
            retries: args.retries,
            timeout_per_app_s: args.timeout_per_app.as_secs(),
            interrupted: false,
            merged_from: Vec::new(),
            missing_shards: Vec::new(),
            devices: Vec::new(),
        };
        (BatchDir::create(&out).map_err(|e| e.to_string())?, run)
    };
    let shard = if args.resume.is_some() {
        let recorded = run.shard.as_deref().map(str::parse::<Shard>).transpose()?;
        if args.shard.is_some() && args.shard != recorded {
            return Err(format!(
                "--shard {} differs from the shard the batch was started with ({})",
                args.shard.map(|s| s.to_string()).unwrap_or_default(),
                run.shard.as_deref().unwrap_or("none")
            ));
        }
        // The flags given now are the ones this part of the batch runs with.
        run.retries = args.retries;
        run.timeout_per_app_s = args.timeout_per_app.as_secs();
        recorded
    } else {
        args.shard
    };
    let mine: Vec<App> = listed
        .into_iter()
        .filter(|a| shard.is_none_or(|s| s.contains(&a.key())))
        .collect();
    let already;
    let todo: Vec<App> = if args.resume.is_some() {
        let done = dir.results().map_err(|e| e.to_string())?;
        already = done.len();
        let by_key: BTreeMap<String, &App> = mine.iter().map(|a| (a.key(), a)).collect();
        let mut todo = Vec::new();
        for key in &run.planned {
            if done.contains_key(key) {
                continue;
            }
            let app = by_key.get(key).ok_or_else(|| {
                format!(
                    "{key} was planned in {} but is not in {} any more",
                    dir.root().display(),
                    list_path.display()
                )
            })?;
            dir.clear_unfinished(key).map_err(|e| e.to_string())?;
            todo.push((*app).clone());
        }
        run.resumed.push(crate::engine::now_rfc3339());
        run.finished = None;
        run.interrupted = false;
        todo
    } else {
        already = 0;
        run.planned = mine.iter().map(App::key).collect();
        mine
    };
    for a in &todo {
        if !crate::batch::store::is_safe_key(&a.key()) {
            return Err(format!(
                "{}:{}: `{}` cannot name a directory",
                list_path.display(),
                a.line,
                a.key()
            ));
        }
    }
    let suite = load_suite(&suite_names, dir.root(), &args.engine.env())?;
    let base = args.engine.options(PathBuf::new(), String::new())?;
    let timeouts = args.engine.timeouts()?;
    let wording = Arc::clone(&base.wording);
    let engine = args.engine.clone();
    let context: batch::ContextFor =
        Arc::new(move |t| engine.context(Arc::clone(&wording), &types, t));
    // The devices.
    let addrs: Vec<ServerAddr> = if args.adb_server.is_empty() {
        vec![ServerAddr::from_env(None)?]
    } else {
        args.adb_server
            .iter()
            .map(|a| ServerAddr::parse(a).map_err(|e| format!("--adb-server {a}: {e}")))
            .collect::<Result<_, _>>()?
    };
    let servers: Vec<AdbServer> = addrs.into_iter().map(AdbServer::new).collect();
    // A shard with nothing (left) to do needs no device; with --avd the
    // pool is the emulators booted next.
    let devices = if todo.is_empty() || args.emulator.avd.is_some() {
        Vec::new()
    } else {
        pick_devices(&servers, &args.devices, timeouts).await?
    };
    let batch = Batch {
        dir,
        run,
        todo,
        secrets,
        suite: Arc::new(suite),
        base,
        context,
        retries: args.retries,
        timeout: args.timeout_per_app,
        device_wait: args.device_wait,
        restart_server: !args.no_restart_adb,
    };
    Ok(Prepared {
        batch,
        servers,
        devices,
        already,
        progress: Arc::default(),
    })
}

/// The pool: the usable devices of every server, as `--devices` asks.
async fn pick_devices(
    servers: &[AdbServer],
    which: &str,
    timeouts: crate::device::Timeouts,
) -> Result<Vec<PoolDevice>, String> {
    let mut usable = Vec::new();
    let mut unusable = Vec::new();
    for (i, s) in servers.iter().enumerate() {
        let found = discover::discover(s, timeouts)
            .await
            .map_err(|e| format!("adb server {}: {e}", s.addr()))?;
        for d in found {
            if d.usable {
                usable.push((i, d.serial));
            } else {
                unusable.push(format!(
                    "{} ({})",
                    d.serial,
                    d.reason.unwrap_or_else(|| d.state.clone())
                ));
            }
        }
    }
    let chosen: Vec<(usize, String)> = match which.trim() {
        "all" => usable,
        n if n.parse::<usize>().is_ok() => {
            let n: usize = n.parse().unwrap_or(0);
            if n == 0 || n > usable.len() {
                return Err(format!(
                    "--devices {n}: {} usable device(s) found",
                    usable.len()
                ));
            }
            usable.into_iter().take(n).collect()
        }
        list => {
            let mut out = Vec::new();
            for serial in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let hit = usable
                    .iter()
                    .find(|(_, s)| s == serial)
                    .ok_or_else(|| format!("--devices: {serial} is not a usable device"))?;
                out.push(hit.clone());
            }
            out
        }
    };
    if chosen.is_empty() {
        let why = if unusable.is_empty() {
            String::new()
        } else {
            format!("; not usable: {}", unusable.join(", "))
        };
        return Err(format!("no usable device{why}"));
    }
    Ok(chosen
        .into_iter()
        .map(|(i, serial)| PoolDevice {
            dev: AdbDevice::new(servers[i].clone(), serial.clone(), timeouts),
            id: (i, serial),
            host: None,
        })
        .collect())
}

async fn execute(args: &BatchArgs, global: &GlobalArgs, p: Prepared) -> Exit {
    let quiet = global.quiet > 0;
    let root = p.batch.dir.root().to_path_buf();
    let planned = p.batch.run.planned.len();
    let progress = Arc::new(batch::progress::Progress::new(
        planned,
        p.already,
        std::io::stderr().is_terminal(),
        quiet,
    ));
    let _ = p.progress.set(Arc::clone(&progress));
    if !quiet {
        eprintln!(
            "consentry batch: {} app(s) to judge ({} done already) on {} device(s) into {}",
            p.batch.todo.len(),
            p.already,
            p.devices.len(),
            root.display()
        );
    }
    let interrupt = Arc::new(Interrupt::default());
    let watcher = {
        let interrupt = Arc::clone(&interrupt);
        tokio::spawn(async move {
            while tokio::signal::ctrl_c().await.is_ok() {
                interrupt.press();
                if interrupt.count() >= 3 {
                    // Exiting now runs no destructor: end the emulators first.
                    crate::emulator::instance::kill_all();
                    std::process::exit(i32::from(Exit::Interrupted.code()));
                }
            }
        })
    };
    // SIGTERM (a pod deleted, a CI job cancelled) leaves little time: it
    // aborts at once, as a second Ctrl-C does, and the reports are written.
    #[cfg(unix)]
    let terminator = {
        let interrupt = Arc::clone(&interrupt);
        tokio::spawn(async move {
            use tokio::signal::unix::{SignalKind, signal};
            if let Ok(mut term) = signal(SignalKind::terminate()) {
                if term.recv().await.is_some() {
                    interrupt.press();
                    interrupt.press();
                }
            }
        })
    };
    let shard = p.batch.run.shard.is_some();
    let outcome = batch::run(
        p.batch,
        p.servers,
        p.devices,
        Arc::clone(&progress),
        Arc::clone(&interrupt),
    )
    .await;
    watcher.abort();
    #[cfg(unix)]
    terminator.abort();
    let report = match report::load(&root) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("consentry batch: cannot read back the batch: {e}");
            return Exit::Inconclusive;
        }
    };
    let written = finish_reports(&report, &root, global);
    if !(shard || args.no_history) {
        let path = args
            .history
            .clone()
            .unwrap_or_else(|| crate::history::default_path(&root));
        record_history(&path, &report, &root, quiet);
    }
    if !quiet {
        for w in &written {
            println!("{}", w.display());
        }
    }
    if outcome.run.interrupted {
        return Exit::Interrupted;
    }
    exit_of(&report, args.engine.fail_on_warning)
}

/// Writes every format and prints the matrix; returns the files written.
pub(super) fn finish_reports(report: &Report, dir: &Path, global: &GlobalArgs) -> Vec<PathBuf> {
    if global.quiet == 0 {
        let color = global.color.enabled(std::io::stdout().is_terminal());
        super::print_stdout(&report::matrix(report, color));
    }
    let mut written = Vec::new();
    for f in Format::ALL {
        match report::write_all(report, dir, &[f]) {
            Ok(mut w) => written.append(&mut w),
            Err(e) => eprintln!("consentry: cannot write the {f:?} report: {e}"),
        }
    }
    written
}

pub(super) fn record_history(path: &Path, report: &Report, dir: &Path, quiet: bool) {
    let recorded = crate::history::History::open(path).and_then(|mut h| h.record(report, dir));
    match recorded {
        Ok(()) if !quiet => println!("history: {}", path.display()),
        Ok(()) => {}
        // Nothing is lost: the directory holds the results.
        Err(e) => eprintln!(
            "consentry: history: {e}\nconsentry: the run is not recorded; its results are in {}: `consentry history --history {} record {}` records it later",
            dir.display(),
            path.display(),
            dir.display()
        ),
    }
}

/// The exit code of a report: as for one app's verdicts, and an app that
/// could not be judged is an error.
pub(super) fn exit_of(report: &Report, fail_on_warning: bool) -> Exit {
    let verdicts: Vec<crate::verdict::AppVerdicts> = report
        .apps
        .iter()
        .filter_map(|a| a.verdicts.clone())
        .collect();
    let code = crate::verdict::exit_code(&verdicts, fail_on_warning);
    let unjudged = report
        .apps
        .iter()
        .any(|a| a.result.status != report::AppStatus::Judged);
    if code == Exit::Success && unjudged {
        Exit::Inconclusive
    } else {
        code
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        for bad in ["", "x", "15 minutes", "0s", "-3m", "30d"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
