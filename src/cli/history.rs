//! `consentry history [--history PATH] list|diff|record`: the batch
//! history (docs/history.md). `list` shows the recorded runs, newest
//! first; `diff` what changed between two runs (by default the last two);
//! `record` adds batch directories by hand (a batch records itself).
//!
//! Exit codes: 0 when the command worked, whatever the diff holds (a diff
//! is a report, not a verdict: the batch's own exit code says whether an
//! app broke a rule); 2 for a usage or input error: no history at the
//! path, an unknown or ambiguous run id, fewer than two runs, a directory
//! that is not a batch.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use crate::exit::Exit;
use crate::history::{self, Change, Diff, History, HistoryError, RunRow};
use crate::screen::clean;

#[derive(Debug, Clone, Args)]
pub struct HistoryArgs {
    /// The history database [default: batches/history.sqlite, where batches write theirs].
    #[arg(
        long = "history",
        value_name = "PATH",
        env = history::ENV,
        default_value = history::DEFAULT_PATH,
        hide_default_value = true,
        global = true
    )]
    pub path: PathBuf,
    #[command(subcommand)]
    pub command: HistoryCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum HistoryCommand {
    /// The recorded runs, newest first.
    List {
        /// How many runs to show; 0 shows every run.
        #[arg(long, default_value_t = 20, value_name = "N")]
        limit: usize,
        /// Print the runs as JSON.
        #[arg(long)]
        json: bool,
    },
    /// What changed from run A to run B: new and cleared violations, other changed verdicts, apps in one run only. Exits 0 whatever changed.
    Diff {
        /// The earlier run: an id or a unique prefix of one [default: the run before B].
        #[arg(value_name = "RUN_A")]
        a: Option<String>,
        /// The later run [default: the newest].
        #[arg(value_name = "RUN_B")]
        b: Option<String>,
        /// Print the diff as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Record batch directories (their batch.json and apps, or report.json) by hand; a run recorded before is replaced.
    Record {
        /// Batch or merged-report directories.
        #[arg(required = true, value_name = "DIR")]
        dirs: Vec<PathBuf>,
    },
}

pub(super) fn run(args: &HistoryArgs) -> Exit {
    let out = match &args.command {
        HistoryCommand::List { limit, json } => list(&args.path, *limit, *json),
        HistoryCommand::Diff { a, b, json } => diff(&args.path, a.as_deref(), b.as_deref(), *json),
        HistoryCommand::Record { dirs } => record(&args.path, dirs),
    };
    match out {
        Ok(text) => {
            super::print_stdout(&text);
            Exit::Success
        }
        Err(e) => {
            eprintln!("consentry history: {e}");
            Exit::Usage
        }
    }
}

fn list(path: &Path, limit: usize, json: bool) -> Result<String, String> {
    let h = History::open_existing(path).map_err(explain)?;
    let runs = h.runs(limit).map_err(|e| e.to_string())?;
    if json {
        return Ok(crate::report::to_json(&runs));
    }
    if runs.is_empty() {
        return Ok(format!("no runs recorded in {}\n", path.display()));
    }
    Ok(list_table(&runs))
}

/// Shard, merge, or nothing.
fn shape(r: &RunRow) -> String {
    if let Some(s) = &r.shard {
        format!("shard {s}")
    } else if !r.merged_from.is_empty() {
        format!("merged {}", r.merged_from.len())
    } else {
        "-".into()
    }
}

/// How the run ended, if not simply.
fn state(r: &RunRow) -> &'static str {
    if r.interrupted {
        "interrupted"
    } else if r.finished.is_none() {
        "unfinished"
    } else {
        ""
    }
}

fn list_table(runs: &[RunRow]) -> String {
    let head = ["id", "started", "shard", "apps", "violations", "errors", ""];
    let rows: Vec<[String; 7]> = runs
        .iter()
        .map(|r| {
            [
                clean(&r.id),
                clean(&r.started),
                clean(&shape(r)),
                r.apps.to_string(),
                r.violations.to_string(),
                r.errors.to_string(),
                state(r).to_string(),
            ]
        })
        .collect();
    let mut width = head.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut o = String::new();
    let mut line = |cells: &[&str]| {
        let mut l = String::new();
        for (i, (cell, w)) in cells.iter().zip(width).enumerate() {
            if i > 0 {
                l.push_str("  ");
            }
            // Counts to the right, words to the left.
            if (3..=5).contains(&i) {
                let _ = write!(l, "{cell:>w$}");
            } else {
                let _ = write!(l, "{cell:<w$}");
            }
        }
        let _ = writeln!(o, "{}", l.trim_end());
    };
    line(&head);
    for row in &rows {
        line(&row.each_ref().map(String::as_str));
    }
    o
}

fn diff(path: &Path, a: Option<&str>, b: Option<&str>, json: bool) -> Result<String, String> {
    let h = History::open_existing(path).map_err(explain)?;
    let d = h.diff(a, b).map_err(explain)?;
    if json {
        return Ok(crate::report::to_json(&d));
    }
    Ok(diff_text(&d))
}

fn describe(r: &RunRow) -> String {
    let mut s = format!("{} ({}, {} apps", clean(&r.id), clean(&r.started), r.apps);
    if r.shard.is_some() || !r.merged_from.is_empty() {
        let _ = write!(s, ", {}", clean(&shape(r)));
    }
    let st = state(r);
    if !st.is_empty() {
        let _ = write!(s, ", {st}");
    }
    s.push(')');
    s
}

fn verdict_word(v: Option<crate::verdict::Verdict>) -> &'static str {
    v.map_or("none", crate::verdict::Verdict::as_str)
}

/// At most `n` characters, on one line.
fn short(s: &str, n: usize) -> String {
    let one = clean(&s.replace(['\n', '\r'], " "));
    if one.chars().count() <= n {
        one
    } else {
        let mut t: String = one.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn diff_text(d: &Diff) -> String {
    let c = &d.changes;
    let mut o = String::new();
    let _ = writeln!(o, "A {} → B {}", describe(&d.a), describe(&d.b));
    if c.is_empty() {
        o.push_str("no change\n");
        return o;
    }
    let all = || {
        c.new_violations
            .iter()
            .chain(&c.cleared_violations)
            .chain(&c.changed)
    };
    let pw = all()
        .map(|x| clean(&x.package).chars().count())
        .max()
        .unwrap_or(0);
    let cw = all()
        .map(|x| clean(&x.category).chars().count())
        .max()
        .unwrap_or(0);
    let vw = all()
        .map(|x| verdict_word(x.from).len() + 3 + verdict_word(x.to).len())
        .max()
        .unwrap_or(0);
    let mut section = |title: &str, list: &[Change]| {
        if list.is_empty() {
            return;
        }
        let _ = writeln!(o, "\n{title} ({}):", list.len());
        for x in list {
            let arrow = format!("{} → {}", verdict_word(x.from), verdict_word(x.to));
            let mut summary = short(&x.summary, 140);
            if let Some(rule) = &x.rule {
                let _ = write!(summary, " [{}]", clean(rule));
            }
            let line = format!(
                "  {:<pw$}  {:<cw$}  {arrow:<vw$}  {summary}",
                clean(&x.package),
                clean(&x.category),
            );
            let _ = writeln!(o, "{}", line.trim_end());
        }
    };
    section("new violations", &c.new_violations);
    section("cleared violations", &c.cleared_violations);
    section("changed", &c.changed);
    for (title, list) in [("only in A", &c.only_in_a), ("only in B", &c.only_in_b)] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(o, "\n{title} ({}):", list.len());
        for p in list {
            let _ = writeln!(o, "  {}", clean(p));
        }
    }
    o
}

fn record(path: &Path, dirs: &[PathBuf]) -> Result<String, String> {
    // Read every directory first, so that a bad one records nothing.
    let mut reports = Vec::new();
    for dir in dirs {
        let r = crate::report::load(dir).map_err(|e| e.to_string())?;
        reports.push((dir, r));
    }
    let mut h = History::open(path).map_err(|e| e.to_string())?;
    let mut o = String::new();
    for (dir, r) in &reports {
        h.record(r, dir).map_err(|e| e.to_string())?;
        let _ = writeln!(
            o,
            "recorded {} ({} apps) in {}",
            clean(&r.run.id),
            r.apps.len(),
            path.display()
        );
    }
    Ok(o)
}

/// The error, with what to do about a missing history.
fn explain(e: HistoryError) -> String {
    match e {
        HistoryError::Missing { path } => format!(
            "{}: no history there: a batch records its runs in history.sqlite beside its \
             directory (batches/ by default); give another with --history or {}",
            path.display(),
            history::ENV
        ),
        e => e.to_string(),
    }
}
