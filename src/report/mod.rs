//! Reports of a batch: the on-disk records a batch writes (`batch.json`,
//! `apps/<pkg>/result.json`, `index.jsonl`), the canonical versioned
//! `report.json` built from them ([`Report`], schema
//! `schemas/report.schema.json`), merging shard reports, and the writers
//! for JUnit XML ([`junit`]), HTML ([`html`]) and Markdown ([`markdown`]).
//!
//! The writers are pure functions of a [`Report`] (and, for HTML, of the
//! evidence view [`view`] gathers from the run directories); [`load`] and
//! [`write_all`] are the only places that touch files.

pub mod html;
pub mod junit;
pub mod markdown;
pub mod view;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::category::Category;
use crate::verdict::{AppVerdicts, Verdict};

/// The format version of `report.json`, `batch.json` and `result.json`.
pub const VERSION: u32 = 1;

/// `batch.json` and `report.json`'s `run`.
pub const BATCH_FILE: &str = "batch.json";
/// One line per finished app, appended after its `result.json` is in place.
pub const INDEX_FILE: &str = "index.jsonl";
/// Per app: `apps/<pkg>/`.
pub const APPS_DIR: &str = "apps";
pub const RESULT_FILE: &str = "result.json";
pub const VERDICTS_FILE: &str = "verdicts.json";
pub const REPORT_JSON: &str = "report.json";
pub const REPORT_JUNIT: &str = "report.xml";
pub const REPORT_HTML: &str = "report.html";
pub const REPORT_MD: &str = "report.md";

/// A batch run (`batch.json`; `report.json`'s `run`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RunInfo {
    /// Unique: `YYYYMMDD-HHMMSS-xxxxxx`.
    pub id: String,
    /// `consentry X.Y.Z`.
    pub tool: String,
    /// RFC 3339, UTC.
    pub started: String,
    /// Absent while the batch runs, or when the controller was killed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished: Option<String>,
    /// When `--resume` picked the batch up again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resumed: Vec<String>,
    /// `builtin`, or the suite's directory.
    pub suite: String,
    /// The app list file, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apps_file: Option<String>,
    /// `K/N` when this run is one shard of the list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// The apps this run was to judge, in the list's order.
    pub planned: Vec<String>,
    /// Retries allowed per app after a lost device.
    pub retries: u32,
    /// `--timeout-per-app`, in seconds.
    pub timeout_per_app_s: u64,
    /// Ctrl-C stopped the batch before every planned app was judged.
    #[serde(default)]
    pub interrupted: bool,
    /// For a merged report: the ids of the runs merged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<String>,
    /// For a merged report made with `--partial`: the shards (`K/N`) that
    /// were not there, whose apps the report lacks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_shards: Vec<String>,
    pub devices: Vec<DeviceEntry>,
}

/// A device of the pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DeviceEntry {
    pub serial: String,
    /// The adb server it was reached through (`host:port`).
    pub server: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdk: Option<u32>,
    /// Apps judged on it.
    #[serde(default)]
    pub apps: u32,
    /// Times it went offline or away during the batch.
    #[serde(default)]
    pub lost: u32,
}

/// What became of an app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AppStatus {
    /// Its suite ran and it has verdicts (which may still hold errors).
    Judged,
    /// No verdicts: every attempt lost its device, the install failed, or
    /// the per-app timeout struck.
    Error,
    /// The batch stopped (Ctrl-C, no device left) before it started.
    NotRun,
}

/// How one attempt at an app ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AttemptEnd {
    Judged,
    /// The device went offline or away; the app is retried from the start.
    DeviceLost,
    TimedOut,
    /// The app could not be installed or prepared.
    Failed,
    Aborted,
}

/// One attempt at an app, on one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Attempt {
    /// 1, 2, ...: `apps/<pkg>/attempt-<n>/` holds its runs.
    pub number: u32,
    pub device: String,
    pub started: String,
    pub finished: String,
    pub end: AttemptEnd,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// How the device was made clean first, when the batch runs it (an
    /// emulator it booted): `snapshot NAME`, or `reinstall` when there is
    /// no snapshot and each run's clean install does it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset: Option<String>,
}

/// `apps/<pkg>/result.json`: one app of a batch, written once it is done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AppResult {
    pub version: u32,
    pub package: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_type: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    pub status: AppStatus,
    /// More than one attempt was made (a device was lost).
    pub retried: bool,
    pub attempts: Vec<Attempt>,
    /// What went wrong on the way (runs that failed to start, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

impl AppResult {
    /// The attempt whose runs the verdicts rest on.
    pub fn final_attempt(&self) -> Option<&Attempt> {
        self.attempts.last()
    }
}

/// A line of `index.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexLine {
    pub package: String,
    pub status: AppStatus,
    pub finished: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worst: Option<Verdict>,
}

/// One app in a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AppEntry {
    #[serde(flatten)]
    pub result: AppResult,
    /// The app's directory, relative to the report's directory (`apps/<pkg>`,
    /// or `../shard-1/apps/<pkg>` in a merged report).
    pub dir: String,
    /// The runs of the final attempt, relative to `dir` (`attempt-2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runs_dir: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdicts: Option<AppVerdicts>,
}

impl AppEntry {
    pub fn package(&self) -> &str {
        &self.result.package
    }

    /// The verdict of a category: an error app's categories are errors,
    /// an app not run has none.
    pub fn verdict(&self, c: Category) -> Option<Verdict> {
        match self.result.status {
            AppStatus::Judged => self
                .verdicts
                .as_ref()
                .and_then(|v| v.get(c))
                .map(|v| v.verdict),
            AppStatus::Error => Some(Verdict::Error),
            AppStatus::NotRun => None,
        }
    }
}

/// Counts over a report, for summaries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    pub planned: usize,
    pub judged: usize,
    pub errors: usize,
    pub not_run: usize,
    pub retried: usize,
    /// Apps with at least one violation.
    pub apps_with_violations: usize,
    /// Verdicts by kind over every app and category.
    pub verdicts: BTreeMap<String, usize>,
}

/// `report.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Report {
    /// [`VERSION`].
    pub version: u32,
    pub run: RunInfo,
    pub summary: Summary,
    /// In the app list's order; a merged report in the shards' order of
    /// their lists.
    pub apps: Vec<AppEntry>,
}

impl Report {
    /// Builds a report and its summary.
    pub fn new(run: RunInfo, apps: Vec<AppEntry>) -> Self {
        let summary = summarise(&run, &apps);
        Self {
            version: VERSION,
            run,
            summary,
            apps,
        }
    }

    /// The categories any app has a verdict for, in the categories' order.
    pub fn categories(&self) -> Vec<Category> {
        Category::ALL
            .into_iter()
            .filter(|c| self.apps.iter().any(|a| a.verdict(*c).is_some()))
            .collect()
    }
}

fn summarise(run: &RunInfo, apps: &[AppEntry]) -> Summary {
    let mut s = Summary {
        planned: run.planned.len(),
        ..Summary::default()
    };
    for a in apps {
        match a.result.status {
            AppStatus::Judged => s.judged += 1,
            AppStatus::Error => s.errors += 1,
            AppStatus::NotRun => s.not_run += 1,
        }
        if a.result.retried {
            s.retried += 1;
        }
        let mut violation = false;
        for c in Category::ALL {
            if let Some(v) = a.verdict(c) {
                *s.verdicts.entry(v.as_str().to_string()).or_default() += 1;
                violation |= v == Verdict::Violation;
            }
        }
        if violation {
            s.apps_with_violations += 1;
        }
    }
    s
}

/// Why a report could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {message}", .path.display())]
    Format { path: PathBuf, message: String },
    #[error("{0}")]
    Merge(String),
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, ReportError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| ReportError::Format {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Writes `text` to `path` through a temporary file and a rename, so a
/// reader (or a controller killed mid-write) never sees half a file.
pub fn write_atomic(path: &Path, text: &str) -> Result<(), ReportError> {
    let io = |source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    {
        use std::io::Write as _;
        let mut f = std::fs::File::create(&tmp).map_err(io)?;
        f.write_all(text.as_bytes()).map_err(io)?;
        f.sync_all().map_err(io)?;
    }
    std::fs::rename(&tmp, path).map_err(io)
}

/// Serialises as pretty JSON with a final newline.
pub fn to_json<T: Serialize>(v: &T) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// Reads `index.jsonl`; a torn last line (the controller killed while
/// appending) is ignored.
pub fn read_index(dir: &Path) -> Result<Vec<IndexLine>, ReportError> {
    let path = dir.join(INDEX_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(ReportError::Io { path, source }),
    };
    Ok(text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect())
}

/// Reads a finished app of a batch directory: its result and verdicts.
pub fn read_app(dir: &Path, package: &str) -> Result<Option<AppEntry>, ReportError> {
    let app_dir = dir.join(APPS_DIR).join(package);
    let result_path = app_dir.join(RESULT_FILE);
    if !result_path.is_file() {
        return Ok(None);
    }
    let result: AppResult = read_json(&result_path)?;
    let verdicts_path = app_dir.join(VERDICTS_FILE);
    let verdicts = if verdicts_path.is_file() {
        Some(read_json::<AppVerdicts>(&verdicts_path)?)
    } else {
        None
    };
    let runs_dir = result
        .final_attempt()
        .map(|a| format!("attempt-{}", a.number));
    Ok(Some(AppEntry {
        result,
        dir: format!("{APPS_DIR}/{package}"),
        runs_dir,
        verdicts,
    }))
}

/// Builds the report of a batch directory (`batch.json`, the apps), or
/// reads `report.json` where there is no `batch.json` (a merged report).
pub fn load(dir: &Path) -> Result<Report, ReportError> {
    let batch = dir.join(BATCH_FILE);
    if !batch.is_file() {
        let path = dir.join(REPORT_JSON);
        if path.is_file() {
            return read_json(&path);
        }
        return Err(ReportError::Format {
            path: dir.to_path_buf(),
            message: format!("neither {BATCH_FILE} nor {REPORT_JSON}: not a batch directory"),
        });
    }
    let run: RunInfo = read_json(&batch)?;
    let mut apps = Vec::new();
    for pkg in &run.planned {
        if let Some(entry) = read_app(dir, pkg)? {
            apps.push(entry);
        } else {
            apps.push(not_run(pkg));
        }
    }
    Ok(Report::new(run, apps))
}

fn not_run(package: &str) -> AppEntry {
    AppEntry {
        result: AppResult {
            version: VERSION,
            package: package.to_string(),
            app_type: None,
            tags: Vec::new(),
            status: AppStatus::NotRun,
            retried: false,
            attempts: Vec::new(),
            problems: Vec::new(),
        },
        dir: format!("{APPS_DIR}/{package}"),
        runs_dir: None,
        verdicts: None,
    }
}

/// Merges shard reports (each with the directory it was read from) into
/// one whose app directories are relative to `out`. An app in two shards
/// is an error: shards are disjoint by construction.
pub fn merge(
    parts: &[(PathBuf, Report)],
    out: &Path,
    id: String,
    partial: bool,
) -> Result<Report, ReportError> {
    let Some((_, first)) = parts.first() else {
        return Err(ReportError::Merge("nothing to merge".into()));
    };
    let missing_shards = check_parts(parts, partial)?;
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut apps = Vec::new();
    let mut planned = Vec::new();
    let mut devices: Vec<DeviceEntry> = Vec::new();
    let mut merged_from = Vec::new();
    let mut started = first.run.started.clone();
    let mut finished = first.run.finished.clone();
    for (dir, r) in parts {
        merged_from.push(r.run.id.clone());
        started = started.min(r.run.started.clone());
        finished = match (finished, &r.run.finished) {
            (Some(a), Some(b)) => Some(a.max(b.clone())),
            _ => None,
        };
        let rel = relative(out, dir);
        for a in &r.apps {
            if let Some(other) = seen.insert(a.package().to_string(), r.run.id.clone()) {
                return Err(ReportError::Merge(format!(
                    "{} is in run {other} and in run {}: the shards overlap",
                    a.package(),
                    r.run.id
                )));
            }
            let mut a = a.clone();
            a.dir = format!("{rel}/{}", a.dir)
                .trim_start_matches("./")
                .to_string();
            apps.push(a);
        }
        planned.extend(r.run.planned.iter().cloned());
        for d in &r.run.devices {
            match devices
                .iter_mut()
                .find(|e| e.serial == d.serial && e.server == d.server)
            {
                Some(e) => {
                    e.apps += d.apps;
                    e.lost += d.lost;
                }
                None => devices.push(d.clone()),
            }
        }
    }
    let run = RunInfo {
        id,
        tool: crate::tool(),
        started,
        finished,
        resumed: Vec::new(),
        suite: first.run.suite.clone(),
        apps_file: first.run.apps_file.clone(),
        shard: None,
        planned,
        retries: first.run.retries,
        timeout_per_app_s: first.run.timeout_per_app_s,
        interrupted: parts.iter().any(|(_, r)| r.run.interrupted),
        merged_from,
        missing_shards,
        devices,
    };
    Ok(Report::new(run, apps))
}

/// Checks that the parts can be merged: one suite, and shards of one
/// split (`K/N` with one `N`), each once, all of them unless `partial`.
/// Returns the missing shards.
fn check_parts(parts: &[(PathBuf, Report)], partial: bool) -> Result<Vec<String>, ReportError> {
    let bad = |m: String| Err(ReportError::Merge(m));
    let (first_dir, first) = &parts[0];
    for (dir, r) in parts {
        if r.run.suite != first.run.suite {
            return bad(format!(
                "{} ran suite `{}` and {} suite `{}`: verdicts of different suites do not merge",
                first_dir.display(),
                first.run.suite,
                dir.display(),
                r.run.suite
            ));
        }
    }
    let split = |dir: &Path, r: &Report| -> Result<Option<(u32, u32)>, ReportError> {
        let Some(s) = &r.run.shard else {
            return Ok(None);
        };
        s.split_once('/')
            .and_then(|(k, n)| Some((k.parse().ok()?, n.parse().ok()?)))
            .map(Some)
            .ok_or_else(|| ReportError::Merge(format!("{}: shard `{s}` is not K/N", dir.display())))
    };
    let mut count = None;
    let mut present = BTreeSet::new();
    for (dir, r) in parts {
        match (split(dir, r)?, count) {
            (None, _) if parts.len() > 1 => {
                return bad(format!(
                    "{} is a whole run, not a shard: only shards of one split merge",
                    dir.display()
                ));
            }
            (None, _) => {}
            (Some((_, n)), Some(m)) if n != m => {
                return bad(format!(
                    "{} is a shard of {n} and {} a shard of {m}: shards of different splits do not merge",
                    dir.display(),
                    first_dir.display()
                ));
            }
            (Some((k, n)), _) => {
                count = Some(n);
                if !present.insert(k) {
                    return bad(format!("shard {k}/{n} is given twice ({})", dir.display()));
                }
            }
        }
    }
    let missing: Vec<String> = count.map_or_else(Vec::new, |n| {
        (1..=n)
            .filter(|k| !present.contains(k))
            .map(|k| format!("{k}/{n}"))
            .collect()
    });
    if !missing.is_empty() && !partial {
        return bad(format!(
            "shard {} {} missing (--partial merges the others and says so)",
            missing.join(", "),
            if missing.len() == 1 { "is" } else { "are" }
        ));
    }
    Ok(missing)
}

/// `to` relative to `from` (both directories), as a `/` path.
fn relative(from: &Path, to: &Path) -> String {
    let abs = |p: &Path| -> Vec<String> {
        std::path::absolute(p)
            .unwrap_or_else(|_| p.to_path_buf())
            .components()
            .filter(|c| !matches!(c, std::path::Component::CurDir))
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect()
    };
    let (f, t) = (abs(from), abs(to));
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = std::iter::repeat_n("..".to_string(), f.len() - common).collect();
    parts.extend(t[common..].iter().cloned());
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

/// A report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Junit,
    Html,
    Markdown,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Json, Format::Junit, Format::Html, Format::Markdown];

    pub fn file_name(self) -> &'static str {
        match self {
            Format::Json => REPORT_JSON,
            Format::Junit => REPORT_JUNIT,
            Format::Html => REPORT_HTML,
            Format::Markdown => REPORT_MD,
        }
    }
}

/// Renders one format. `dir` is the report's directory, where HTML finds
/// the evidence the app entries point to.
pub fn render(report: &Report, format: Format, dir: &Path) -> Result<String, ReportError> {
    Ok(match format {
        Format::Json => to_json(report),
        Format::Junit => junit::render(report)?,
        Format::Html => html::render(report, &view::gather(report, dir))?,
        Format::Markdown => markdown::render(report),
    })
}

/// Writes the given formats into `dir` (atomically each) and returns the
/// paths written.
pub fn write_all(
    report: &Report,
    dir: &Path,
    formats: &[Format],
) -> Result<Vec<PathBuf>, ReportError> {
    let mut out = Vec::new();
    for f in formats {
        let path = dir.join(f.file_name());
        write_atomic(&path, &render(report, *f, dir)?)?;
        out.push(path);
    }
    Ok(out)
}

/// The verdict matrix for a terminal: one row per app, one column per
/// category (numbered, with a key below), then the counts.
pub fn matrix(report: &Report, color: bool) -> String {
    use std::fmt::Write as _;
    let cats = Category::ALL;
    let width = report
        .apps
        .iter()
        .map(|a| a.package().chars().count())
        .max()
        .unwrap_or(3)
        .max(3);
    let mut o = String::new();
    let _ = write!(o, "{:<width$}", "app");
    for i in 1..=cats.len() {
        let _ = write!(o, "  {i:<5}");
    }
    o.push('\n');
    for a in &report.apps {
        let _ = write!(o, "{:<width$}", crate::screen::clean(a.package()));
        for c in cats {
            let (word, code) = match a.verdict(c) {
                Some(Verdict::Violation) => ("VIOL", "31"),
                Some(Verdict::Warning) => ("warn", "33"),
                Some(Verdict::Pass) => ("pass", "32"),
                Some(Verdict::Inconclusive) => ("inc", "36"),
                Some(Verdict::Error) => ("ERR", "35"),
                None => ("-", "0"),
            };
            if color && code != "0" {
                let _ = write!(o, "  \x1b[{code}m{word:<5}\x1b[0m");
            } else {
                let _ = write!(o, "  {word:<5}");
            }
        }
        let mut marks = Vec::new();
        if a.result.retried {
            marks.push("retried".to_string());
        }
        match a.result.status {
            AppStatus::Error => marks.push("not judged".into()),
            AppStatus::NotRun => marks.push("not run".into()),
            AppStatus::Judged => {}
        }
        if !marks.is_empty() {
            let _ = write!(o, "  ({})", marks.join(", "));
        }
        o.push('\n');
    }
    for (i, c) in cats.iter().enumerate() {
        let _ = writeln!(o, "  {}: {}", i + 1, c.id());
    }
    let s = &report.summary;
    let _ = writeln!(
        o,
        "{} app(s): {} judged, {} with violations, {} not judged, {} not run, {} retried",
        s.planned, s.judged, s.apps_with_violations, s.errors, s.not_run, s.retried
    );
    o
}

/// The JSON Schema of `report.json`.
pub fn schema_json() -> String {
    let schema = schemars::generate::SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<Report>();
    to_json(&schema)
}

#[cfg(test)]
mod tests;
