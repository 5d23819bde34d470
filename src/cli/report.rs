//! `consentry report DIR [--format ...]` writes a batch directory's
//! reports again (from `batch.json` and the apps, or from `report.json`
//! for a merged report); `consentry report merge DIR... --out DIR` merges
//! shard outputs into one report and records it in the history
//! (docs/reports.md, docs/scale-out.md).
//!
//! Exit codes: 0 written (`merge`: as `batch` exits, by the merged
//! verdicts, and at least 3 for a `--partial` merge that lacks shards); 2
//! a directory that is not a batch, overlapping shards, shards of other
//! suites or splits, a missing shard without `--partial`, or a report that
//! cannot be written.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::GlobalArgs;
use crate::exit::Exit;
use crate::report::{self, Format};

#[derive(Debug, Clone, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ReportArgs {
    #[command(subcommand)]
    pub command: Option<ReportCommand>,
    /// The batch (or merged) directory.
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// The formats to write (default: all four).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "FORMAT")]
    pub format: Vec<FormatArg>,
    /// Print the report to stdout instead of writing it into DIR (one
    /// format only).
    #[arg(long)]
    pub stdout: bool,
}

#[derive(Debug, Clone, Subcommand)]
pub enum ReportCommand {
    /// Merge the outputs of shards (`batch --shard K/N`) into one report.
    Merge(MergeArgs),
}

#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// The shards' batch directories.
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Where the merged report goes.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The history database (default: history.sqlite next to --out).
    #[arg(long, value_name = "PATH", env = "CONSENTRY_HISTORY")]
    pub history: Option<PathBuf>,
    /// Record nothing in the history.
    #[arg(long)]
    pub no_history: bool,
    /// Merge the shards given although some of the split are missing
    /// (the report names them, and the exit code is at least 3).
    #[arg(long)]
    pub partial: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Json,
    Junit,
    Html,
    Md,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Json => Format::Json,
            FormatArg::Junit => Format::Junit,
            FormatArg::Html => Format::Html,
            FormatArg::Md => Format::Markdown,
        }
    }
}

pub(super) fn run(args: &ReportArgs, global: &GlobalArgs) -> Exit {
    let result = match (&args.command, &args.dir) {
        (Some(ReportCommand::Merge(m)), _) => merge(m, global),
        (None, Some(dir)) => regenerate(args, dir, global),
        (None, None) => Err("give a batch directory, or `merge DIR...`".into()),
    };
    match result {
        Ok(e) => e,
        Err(e) => {
            eprintln!("consentry report: {e}");
            Exit::Usage
        }
    }
}

fn regenerate(
    args: &ReportArgs,
    dir: &std::path::Path,
    global: &GlobalArgs,
) -> Result<Exit, String> {
    let report = report::load(dir).map_err(|e| e.to_string())?;
    let formats: Vec<Format> = if args.format.is_empty() {
        Format::ALL.to_vec()
    } else {
        args.format.iter().map(|f| Format::from(*f)).collect()
    };
    if args.stdout {
        let [one] = formats.as_slice() else {
            return Err("--stdout prints one format: give exactly one --format".into());
        };
        let text = report::render(&report, *one, dir).map_err(|e| e.to_string())?;
        super::print_stdout(&text);
        return Ok(Exit::Success);
    }
    let written = report::write_all(&report, dir, &formats).map_err(|e| e.to_string())?;
    if global.quiet == 0 {
        for w in written {
            println!("{}", w.display());
        }
    }
    Ok(Exit::Success)
}

fn merge(m: &MergeArgs, global: &GlobalArgs) -> Result<Exit, String> {
    let mut parts = Vec::new();
    for d in &m.dirs {
        let r = report::load(d).map_err(|e| e.to_string())?;
        parts.push((d.clone(), r));
    }
    std::fs::create_dir_all(&m.out).map_err(|e| format!("{}: {e}", m.out.display()))?;
    let merged = report::merge(&parts, &m.out, crate::batch::new_id(), m.partial)
        .map_err(|e| e.to_string())?;
    if !merged.run.missing_shards.is_empty() {
        eprintln!(
            "consentry report merge: warning: shard {} missing; their apps are not in the report",
            merged.run.missing_shards.join(", ")
        );
    }
    let written = super::batch::finish_reports(&merged, &m.out, global);
    if !m.no_history {
        let path = m
            .history
            .clone()
            .unwrap_or_else(|| crate::history::default_path(&m.out));
        super::batch::record_history(&path, &merged, &m.out, global.quiet > 0);
    }
    if global.quiet == 0 {
        for w in written {
            println!("{}", w.display());
        }
    }
    // As a batch exits, so that a CI merge step fails on a violation; a
    // partial merge is never a success.
    let exit = super::batch::exit_of(&merged, false);
    if exit == Exit::Success && !merged.run.missing_shards.is_empty() {
        return Ok(Exit::Inconclusive);
    }
    Ok(exit)
}
