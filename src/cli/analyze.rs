//! `consentry analyze RUN_DIR...`: re-judges saved runs offline, with no
//! device: reads each run directory (or a suite's directory of runs),
//! groups the runs by app, and prints the verdict table, or the verdict
//! JSON with `--json`.
//!
//! Exit codes: 0 no violation and nothing inconclusive; 1 a violation (or
//! a warning, with `--fail-on-warning`); 2 bad input (no run directory, a
//! run.json that does not parse, an unknown app type); 3 inconclusive or
//! error verdicts and no violation.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;

use super::GlobalArgs;
use crate::detect::{self, Analysed, AppTypes};
use crate::exit::Exit;
use crate::screen::Wording;
use crate::suite;
use crate::verdict;

#[derive(Debug, Clone, Args)]
pub struct AnalyzeArgs {
    /// Run directories, or directories of run directories (what `consentry
    /// run --suite` writes).
    #[arg(required = true, value_name = "RUN_DIR")]
    pub dirs: Vec<PathBuf>,
    /// Print the verdict JSON (schemas/verdict.schema.json) instead of the table.
    #[arg(long)]
    pub json: bool,
    /// The app's type (docs/app-types.md); default: the one the runs recorded.
    #[arg(long, value_name = "TYPE")]
    pub app_type: Option<String>,
    /// A file of app types that adds to (or overrides) the built-in table.
    #[arg(long, value_name = "FILE")]
    pub app_types: Option<PathBuf>,
    /// A file of third-party SDKs that adds to (or overrides) the built-in list.
    #[arg(long, value_name = "FILE")]
    pub sdks: Option<PathBuf>,
    /// A wording file that adds to (or replaces) the built-in words.
    #[arg(long, value_name = "FILE")]
    pub wording: Option<PathBuf>,
    /// Exit 1 on warnings (heuristic findings) too.
    #[arg(long)]
    pub fail_on_warning: bool,
}

pub(super) fn run(args: &AnalyzeArgs, global: &GlobalArgs) -> Exit {
    match analyze(args, global) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("consentry analyze: {e}");
            Exit::Usage
        }
    }
}

/// The app-type table: built in, plus a user file.
pub(super) fn app_types(file: Option<&PathBuf>) -> Result<AppTypes, String> {
    match file {
        Some(p) => AppTypes::with_file(p).map_err(|e| e.to_string()),
        None => Ok(AppTypes::builtin()),
    }
}

/// The detectors' context: the app type resolved, a user SDK file added.
pub(super) fn context(
    wording: Arc<Wording>,
    types: &AppTypes,
    app_type: Option<&str>,
    sdks: Option<&PathBuf>,
) -> Result<detect::Context, String> {
    let mut ctx = suite::context(wording, types, app_type)?;
    if let Some(p) = sdks {
        ctx.sdks = detect::Sdks::with_file(p).map_err(|e| e.to_string())?;
    }
    Ok(ctx)
}

fn analyze(args: &AnalyzeArgs, global: &GlobalArgs) -> Result<Exit, String> {
    let wording = Arc::new(match &args.wording {
        Some(p) => Wording::with_file(p).map_err(|e| e.to_string())?,
        None => Wording::builtin(),
    });
    let types = app_types(args.app_types.as_ref())?;
    let mut by_app: BTreeMap<String, Vec<Analysed>> = BTreeMap::new();
    for d in &args.dirs {
        for run_dir in detect::find_runs(d).map_err(|e| e.to_string())? {
            let loaded = detect::load_run(&run_dir).map_err(|e| e.to_string())?;
            for m in &loaded.missing {
                eprintln!("consentry analyze: {}: {m}", run_dir.display());
            }
            by_app
                .entry(loaded.run.app.package.clone())
                .or_default()
                .push(Analysed::new(loaded));
        }
    }
    let color = global.color.enabled(std::io::stdout().is_terminal());
    let mut all = Vec::new();
    for (package, runs) in &by_app {
        let recorded = runs.iter().find_map(|r| r.loaded.run.app.app_type.clone());
        let name = args.app_type.clone().or(recorded);
        let ctx = context(
            Arc::clone(&wording),
            &types,
            name.as_deref(),
            args.sdks.as_ref(),
        )?;
        let v = suite::judge(package, runs, &ctx);
        if !args.json && global.quiet == 0 {
            let dirs: Vec<String> = args.dirs.iter().map(|d| d.display().to_string()).collect();
            super::print_stdout(&verdict::table(&v, color, &dirs.join(" ")));
        }
        all.push(v);
    }
    if args.json {
        let text = if all.len() == 1 {
            serde_json::to_string_pretty(&all[0])
        } else {
            serde_json::to_string_pretty(&all)
        }
        .map_err(|e| e.to_string())?;
        super::print_stdout(&format!("{text}\n"));
    }
    Ok(verdict::exit_code(&all, args.fail_on_warning))
}
