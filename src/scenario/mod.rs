//! The scenario language: a Maestro-compatible flow format with compliance
//! extensions. This module owns loading (YAML with file:line:col errors),
//! validation (collecting every error in a file), `${VAR}` interpolation,
//! `runFlow` resolution with cycle detection, and the JSON Schema.
//!
//! A file is a header document (`appId`, `name`, `tags`, `env`, `checks`,
//! `setup`, `onDialog`, ...), then `---`, then a list of commands. See
//! `docs/scenario-format.md`.

mod convert;
mod diagnostic;
pub mod model;
pub mod raw;
mod render;
mod schema;
mod suggest;
pub mod values;
mod yaml;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub use convert::BUILTIN_VARS;
pub use diagnostic::{Diagnostic, Severity};
pub use model::{Command, Scenario, Step};
pub use render::to_yaml;
pub use schema::schema_json;
pub use yaml::Pos;

use convert::{Converter, Spot};

/// Largest scenario file accepted.
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;

/// The outcome of loading one or more files: the valid scenarios, keyed by
/// the path they were loaded from, and every diagnostic.
#[derive(Debug, Default)]
pub struct LoadReport {
    pub scenarios: BTreeMap<PathBuf, Scenario>,
    pub diagnostics: Vec<Diagnostic>,
    /// Files visited, in order (including `runFlow` targets).
    pub files: Vec<PathBuf>,
    /// Source text of each file, for rendering snippets.
    pub sources: BTreeMap<PathBuf, String>,
}

impl LoadReport {
    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.diagnostics.len() - self.error_count()
    }

    pub fn is_ok(&self) -> bool {
        self.error_count() == 0
    }
}

/// Loads scenario files, following `runFlow` references once each.
pub struct Loader {
    env: BTreeMap<String, String>,
    report: LoadReport,
    /// Canonical paths already loaded (or being loaded).
    seen: BTreeMap<PathBuf, PathBuf>,
    /// The chain of files being loaded, for cycle detection.
    stack: Vec<PathBuf>,
    cycles_reported: BTreeSet<Vec<PathBuf>>,
}

impl Loader {
    /// `env` holds the CLI's `-e KEY=VALUE` variables.
    pub fn new(env: BTreeMap<String, String>) -> Self {
        Self {
            env,
            report: LoadReport::default(),
            seen: BTreeMap::new(),
            stack: Vec::new(),
            cycles_reported: BTreeSet::new(),
        }
    }

    /// The report, with each file's diagnostics in source order.
    pub fn finish(mut self) -> LoadReport {
        let order: BTreeMap<PathBuf, usize> = self
            .report
            .files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.clone(), i))
            .collect();
        self.report.diagnostics.sort_by_key(|d| {
            (
                order.get(&d.file).copied().unwrap_or(usize::MAX),
                d.line,
                d.column,
            )
        });
        self.report
    }

    /// Loads files and every `*.yaml` / `*.yml` file under directories.
    pub fn load_paths(&mut self, paths: &[PathBuf]) {
        for path in paths {
            if path.is_dir() {
                match scenario_files(path) {
                    Ok(files) if files.is_empty() => {
                        self.report.files.push(path.clone());
                        self.report.diagnostics.push(Diagnostic::error(
                            path,
                            Pos::default(),
                            "",
                            "no scenario files (*.yaml, *.yml) in this directory",
                        ));
                    }
                    Ok(files) => {
                        for f in files {
                            self.load_file(&f);
                        }
                    }
                    Err(e) => {
                        self.report.files.push(path.clone());
                        self.report.diagnostics.push(Diagnostic::error(
                            path,
                            Pos::default(),
                            "",
                            format!("cannot read directory: {e}"),
                        ));
                    }
                }
            } else {
                self.load_file(path);
            }
        }
    }

    /// Loads one file (and the files it runs). Returns whether it is valid.
    pub fn load_file(&mut self, path: &Path) -> bool {
        let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if let Some(first) = self.seen.get(&canonical) {
            return self.report.scenarios.contains_key(first);
        }
        self.seen.insert(canonical.clone(), path.to_path_buf());
        self.report.files.push(path.to_path_buf());
        tracing::debug!(file = %path.display(), "loading scenario");
        let before = self.report.error_count();
        let source = match read_source(path) {
            Ok(s) => s,
            Err(d) => {
                self.report.diagnostics.push(*d);
                return false;
            }
        };
        let scenario = self.parse(path, &source);
        self.report.sources.insert(path.to_path_buf(), source);
        let Some(scenario) = scenario else {
            return false;
        };
        self.stack.push(canonical);
        for (step, target) in scenario.flow_references() {
            let target_canonical =
                std::fs::canonicalize(target).unwrap_or_else(|_| target.to_path_buf());
            if let Some(pos) = self.stack.iter().position(|p| *p == target_canonical) {
                let mut cycle: Vec<PathBuf> = self.stack[pos..].to_vec();
                cycle.push(target_canonical.clone());
                if self.cycles_reported.insert(cycle.clone()) {
                    let names: Vec<String> = cycle
                        .iter()
                        .map(|p| {
                            p.file_name().map_or_else(
                                || p.display().to_string(),
                                |n| n.to_string_lossy().into_owned(),
                            )
                        })
                        .collect();
                    let at = Pos {
                        line: step.at.line,
                        col: step.at.column,
                        byte: byte_of(
                            self.report.sources.get(path).map_or("", String::as_str),
                            step.at.line,
                            step.at.column,
                        ),
                    };
                    let command = if matches!(step.command, Command::Retry { .. }) {
                        "retry"
                    } else {
                        "runFlow"
                    };
                    self.report.diagnostics.push(
                        Diagnostic::error(
                            path,
                            at,
                            &format!("{}.{command}", step.at.key),
                            format!("{command} cycle: {}", names.join(" → ")),
                        )
                        .help("a flow may not run itself, directly or through other flows"),
                    );
                }
                continue;
            }
            self.load_file(target);
        }
        self.stack.pop();
        let ok = self.report.error_count() == before;
        tracing::debug!(file = %path.display(), steps = scenario.steps.len(), ok, "loaded scenario");
        self.report.scenarios.insert(path.to_path_buf(), scenario);
        ok
    }

    fn parse(&mut self, path: &Path, source: &str) -> Option<Scenario> {
        let diag = |pos: Pos, msg: String| Diagnostic::error(path, pos, "", msg);
        let docs = match yaml::parse_documents(source) {
            Ok(d) => d,
            Err(e) => {
                self.report
                    .diagnostics
                    .push(diag(e.pos, e.message).help_opt(e.help));
                return None;
            }
        };
        let shape_help =
            "a scenario is a header (`appId: ...`), a line `---`, then a list of commands";
        let (header_node, steps_node) = match docs.as_slice() {
            [] => {
                self.report.diagnostics.push(
                    diag(
                        Pos {
                            line: 1,
                            col: 1,
                            byte: 0,
                        },
                        "empty scenario file".into(),
                    )
                    .help(shape_help),
                );
                return None;
            }
            [only] if only.as_seq().is_some() => {
                self.report.diagnostics.push(
                    diag(
                        only.pos,
                        "missing header: the file starts with the command list".into(),
                    )
                    .help("add `appId: com.example.app` and a line `---` before the commands"),
                );
                return None;
            }
            [only] => {
                let end = end_pos(source);
                self.report.diagnostics.push(
                    Diagnostic::error(
                        path,
                        if only.as_map().is_some() {
                            end
                        } else {
                            only.pos
                        },
                        "steps",
                        "missing command list after the header",
                    )
                    .help(shape_help),
                );
                // Still check the header, so its errors are reported too.
                let mut conv = Converter::new(path, &self.env);
                conv.header(&Spot::root(only, ""), &stem(path));
                self.report.diagnostics.extend(conv.diags);
                return None;
            }
            [header, steps] => (header, steps),
            [_, _, third, ..] => {
                self.report.diagnostics.push(
                    diag(third.pos, "more than two YAML documents".into())
                        .help("a scenario has one header and one command list; split other flows into their own files"),
                );
                return None;
            }
        };
        let mut conv = Converter::new(path, &self.env);
        conv.declare_from(steps_node);
        let header = conv.header(&Spot::root(header_node, ""), &stem(path));
        let steps = if steps_node.is_null() {
            conv.diags.push(
                Diagnostic::error(path, steps_node.pos, "steps", "the command list is empty")
                    .expected("at least one command, such as `- launchApp`"),
            );
            Vec::new()
        } else {
            conv.commands(&Spot::root(steps_node, "steps"))
        };
        let had_errors = conv.diags.iter().any(Diagnostic::is_error);
        self.report.diagnostics.extend(conv.diags);
        if had_errors {
            return None;
        }
        Some(Scenario {
            file: path.to_path_buf(),
            header: header?,
            steps,
        })
    }
}

/// Loads one file and what it runs; `Err` holds every diagnostic when any
/// is an error.
pub fn load_file(path: &Path, env: &BTreeMap<String, String>) -> Result<LoadReport, LoadReport> {
    let mut loader = Loader::new(env.clone());
    loader.load_file(path);
    let report = loader.finish();
    if report.is_ok() {
        Ok(report)
    } else {
        Err(report)
    }
}

/// Validates text as if it were the file `path` (which need not exist,
/// though files it references must).
pub fn load_str(
    path: &Path,
    source: &str,
    env: &BTreeMap<String, String>,
) -> Result<Scenario, Vec<Diagnostic>> {
    let mut loader = Loader::new(env.clone());
    let scenario = loader.parse(path, source);
    let report = loader.finish();
    match scenario {
        Some(s) if report.is_ok() => Ok(s),
        _ => Err(report.diagnostics),
    }
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned())
}

fn end_pos(source: &str) -> Pos {
    let trimmed = source.trim_end();
    let line = trimmed.lines().count().max(1);
    let col = trimmed.lines().last().map_or(0, |l| l.chars().count()) + 1;
    Pos {
        line,
        col,
        byte: trimmed.len(),
    }
}

fn byte_of(source: &str, line: usize, col: usize) -> usize {
    let start: usize = source
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let rest = &source[start.min(source.len())..];
    start
        + rest
            .char_indices()
            .nth(col.saturating_sub(1))
            .map_or(rest.len(), |(i, _)| i)
}

fn read_source(path: &Path) -> Result<String, Box<Diagnostic>> {
    let at_start = Pos {
        line: 1,
        col: 1,
        byte: 0,
    };
    let fail = |msg: String| Box::new(Diagnostic::error(path, at_start, "", msg));
    let meta = std::fs::metadata(path).map_err(|e| fail(format!("cannot read file: {e}")))?;
    if !meta.is_file() {
        return Err(fail("not a file".into()));
    }
    if usize::try_from(meta.len()).map_or(true, |n| n > MAX_FILE_BYTES) {
        return Err(fail(format!(
            "file is {} bytes, more than the limit of {MAX_FILE_BYTES}",
            meta.len()
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| fail(format!("cannot read file: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let upto = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = upto.split(|b| *b == b'\n').count();
        Box::new(Diagnostic::error(
            path,
            Pos {
                line,
                col: 1,
                byte: 0,
            },
            "",
            "the file is not valid UTF-8",
        ))
    })?;
    Ok(text
        .strip_prefix('\u{feff}')
        .map(str::to_string)
        .unwrap_or(text))
}

/// The kinds of data file that may sit among scenarios (in
/// `scenarios/builtin/`: the wording, the app-type table, the SDK list,
/// the rule texts and the suite's manifest); each starts with a top-level
/// `kind: <name>` line, which no scenario header has.
pub const DATA_KINDS: &[&str] = &["wording", "app-types", "sdks", "rules", "suite"];

/// The data kind a YAML file declares with a top-level `kind:` line before
/// any other key, if it is one of [`DATA_KINDS`]. Unreadable files are
/// not data (loading them reports the error).
pub fn data_kind(path: &Path) -> Option<&'static str> {
    let text = std::fs::read_to_string(path).ok()?;
    let first = text
        .lines()
        .map(str::trim_end)
        .find(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with("---"))?;
    let value = first.strip_prefix("kind:")?.trim();
    DATA_KINDS.iter().copied().find(|k| *k == value)
}

/// Scenario files under a directory, sorted, skipping hidden entries and
/// data files ([`data_kind`]).
pub fn scenario_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&d)?.collect::<Result<_, _>>()?;
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for entry in entries {
            let path = entry.path();
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            if hidden {
                continue;
            }
            if entry.file_type()?.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml")
                && data_kind(&path).is_none()
            {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}
