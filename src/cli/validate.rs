//! `consentry validate PATH...`: loads scenario files and directories,
//! prints every diagnostic, and exits 0 (all valid) or 2.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::GlobalArgs;
use crate::exit::Exit;
use crate::scenario::{Diagnostic, LoadReport, Loader, Severity};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// Diagnostics with source snippets on stderr, a summary on stdout.
    #[default]
    Human,
    /// One JSON document on stdout with every diagnostic.
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct ValidateArgs {
    /// Scenario files or directories (searched for *.yaml and *.yml).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// A variable for `${KEY}` interpolation; repeatable.
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE", value_parser = parse_env)]
    pub env: Vec<(String, String)>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// Most diagnostics shown per file in human output (0: all). JSON output
    /// always has all of them.
    #[arg(long, default_value_t = 50, value_name = "N")]
    pub max_errors: usize,
}

/// Parses `KEY=VALUE` for `-e`.
pub(crate) fn parse_env(s: &str) -> Result<(String, String), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not KEY=VALUE"))?;
    if !crate::scenario::values::is_var_name(k) {
        return Err(format!(
            "`{k}` is not a variable name (letters, digits, `_`)"
        ));
    }
    Ok((k.to_string(), v.to_string()))
}

fn step_count(report: &LoadReport) -> usize {
    report.scenarios.values().map(|s| s.all_steps().len()).sum()
}

pub(crate) fn run(args: &ValidateArgs, global: &GlobalArgs) -> Exit {
    let env: BTreeMap<String, String> = args.env.iter().cloned().collect();
    let mut loader = Loader::new(env);
    loader.load_paths(&args.paths);
    let report = loader.finish();
    let errors = report.error_count();
    let warnings = report.warning_count();
    let files = report.files.len();
    match args.format {
        Format::Json => print_json(&report),
        Format::Human => print_human(&report, args, global),
    }
    if errors > 0 {
        if args.format == Format::Human && global.quiet < 2 {
            let bad_files = report
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .map(|d| &d.file)
                .collect::<std::collections::BTreeSet<_>>()
                .len();
            eprintln!(
                "error: {errors} error{} in {bad_files} of {files} file{}",
                plural(errors),
                plural(files)
            );
        }
        return Exit::Usage;
    }
    if args.format == Format::Human && global.quiet == 0 {
        let steps = step_count(&report);
        super::print_stdout(&format!(
            "ok: {files} scenario file{} valid, {steps} step{}{}\n",
            plural(files),
            plural(steps),
            if warnings > 0 {
                format!(", {warnings} warning{}", plural(warnings))
            } else {
                String::new()
            }
        ));
    }
    Exit::Success
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn print_human(report: &LoadReport, args: &ValidateArgs, global: &GlobalArgs) {
    let color = global.color.enabled(std::io::stderr().is_terminal());
    let stderr = std::io::stderr();
    let mut out = stderr.lock();
    let mut shown: BTreeMap<&PathBuf, usize> = BTreeMap::new();
    let mut hidden: BTreeMap<&PathBuf, usize> = BTreeMap::new();
    for d in &report.diagnostics {
        if d.severity == Severity::Warning && global.quiet > 0 {
            continue;
        }
        if global.quiet > 1 {
            continue;
        }
        let n = shown.entry(&d.file).or_default();
        if args.max_errors > 0 && *n >= args.max_errors {
            *hidden.entry(&d.file).or_default() += 1;
            continue;
        }
        *n += 1;
        let source = report.sources.get(&d.file).map(String::as_str);
        let _ = writeln!(out, "{}\n", d.render(source, color));
    }
    for (file, n) in hidden {
        let _ = writeln!(
            out,
            "note: {n} more diagnostic{} in {} not shown (use --max-errors 0 or --format json)",
            plural(n),
            file.display()
        );
    }
}

fn print_json(report: &LoadReport) {
    #[derive(serde::Serialize)]
    struct Out<'a> {
        files: &'a [PathBuf],
        valid: bool,
        errors: usize,
        warnings: usize,
        steps: usize,
        diagnostics: &'a [Diagnostic],
    }
    let out = Out {
        files: &report.files,
        valid: report.is_ok(),
        errors: report.error_count(),
        warnings: report.warning_count(),
        steps: step_count(report),
        diagnostics: &report.diagnostics,
    };
    match serde_json::to_string_pretty(&out) {
        Ok(s) => super::print_stdout(&format!("{s}\n")),
        Err(e) => eprintln!("error: cannot write JSON: {e}"),
    }
}
