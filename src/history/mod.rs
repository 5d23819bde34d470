//! The batch history: a SQLite store of batch runs (one row per run, per
//! app and per app × category, from the run's [`Report`]) and the diff
//! between two runs (docs/history.md).
//!
//! | file | owns |
//! |---|---|
//! | `mod.rs` | [`History`]: opening (WAL, busy timeout, foreign keys, migration), recording a run, listing runs, resolving run ids, loading a run for [`History::diff`] |
//! | `schema.rs` | the tables and the migrations, by `PRAGMA user_version` |
//! | `diff.rs` | [`compare`]: the pure diff of two runs' app rows |
//!
//! The module does database I/O only, synchronously: no tokio, no other
//! files. One writer per database and host: SQLite's WAL mode needs memory
//! shared between the processes of one host and is unsafe on network file
//! systems, so shards on other hosts never write the shared history; on
//! one host, writers wait for each other (a write transaction starts with
//! `BEGIN IMMEDIATE`, and the busy timeout is [`BUSY_TIMEOUT`]).

mod diff;
mod schema;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use serde::Serialize;

pub use diff::{AppRow, Change, Changes, VerdictRow, compare};

use crate::report::{AppEntry, AppStatus, Report};
use crate::verdict::Verdict;

/// The history's file name beside the batch directories.
pub const FILE_NAME: &str = "history.sqlite";
/// Where `consentry history` looks by default (batches go to `batches/<id>/`).
pub const DEFAULT_PATH: &str = "batches/history.sqlite";
/// The environment variable that names the history for `--history`.
pub const ENV: &str = "CONSENTRY_HISTORY";
/// How long a connection waits for another writer before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The history of a batch directory: `history.sqlite` in its parent
/// (`batches/<id>` → `batches/history.sqlite`), or in the current
/// directory when it has none.
pub fn default_path(batch_dir: &Path) -> PathBuf {
    match batch_dir.parent() {
        Some(parent) => parent.join(FILE_NAME),
        None => PathBuf::from(FILE_NAME),
    }
}

/// Why the history could not be opened, written or read. Every variant
/// names the database; messages are lowercase fragments.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("{}: {doing}: {source}", .path.display())]
    Io {
        path: PathBuf,
        doing: String,
        source: std::io::Error,
    },
    #[error("{}: {doing}: {source}", .path.display())]
    Sql {
        path: PathBuf,
        doing: String,
        source: rusqlite::Error,
    },
    /// A read was asked of a database that does not exist.
    #[error("{}: no history there (a batch creates it when it records its first run)", .path.display())]
    Missing { path: PathBuf },
    #[error("{}: schema version {found} is newer than this consentry's ({known}): use a newer consentry", .path.display())]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("{}: {found} run(s) recorded, a diff needs two", .path.display())]
    TooFewRuns { path: PathBuf, found: usize },
    #[error("{}: no run before {id}", .path.display())]
    NoEarlier { path: PathBuf, id: String },
    #[error("{}: no run {id:?}", .path.display())]
    UnknownRun { path: PathBuf, id: String },
    #[error("{}: run id {id:?} is ambiguous: {}", .path.display(), .matches.join(", "))]
    AmbiguousRun {
        path: PathBuf,
        id: String,
        matches: Vec<String>,
    },
    /// A value in the database this build cannot read.
    #[error("{}: {doing}: {message}", .path.display())]
    Corrupt {
        path: PathBuf,
        doing: String,
        message: String,
    },
}

/// One recorded run, as `history list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunRow {
    pub id: String,
    pub started: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished: Option<String>,
    pub tool: String,
    pub suite: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apps_file: Option<String>,
    /// `K/N` for a shard.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// For a merged run: the runs merged.
    pub merged_from: Vec<String>,
    pub interrupted: bool,
    /// The run directory, absolute.
    pub dir: String,
    pub planned: usize,
    /// Apps in the report.
    pub apps: usize,
    pub judged: usize,
    /// Apps in error.
    pub errors: usize,
    pub not_run: usize,
    pub retried: usize,
    pub apps_with_violations: usize,
    /// Verdicts over every app and category, by kind.
    pub violations: usize,
    pub warnings: usize,
    pub passes: usize,
    pub inconclusive: usize,
    pub error_verdicts: usize,
    /// When it was (last) recorded, RFC 3339 UTC.
    pub recorded: String,
}

/// The diff of two recorded runs: A, the earlier, and B.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diff {
    pub a: RunRow,
    pub b: RunRow,
    #[serde(flatten)]
    pub changes: Changes,
}

/// An open history database.
#[derive(Debug)]
pub struct History {
    conn: Connection,
    path: PathBuf,
}

/// The columns of `runs` that [`run_row`] reads, in its order.
const RUN_COLUMNS: &str = "id, started, finished, tool, suite, apps_file, shard, merged_from, \
     interrupted, dir, planned, apps, judged, errors, not_run, retried, apps_with_violations, \
     violations, warnings, passes, inconclusive, error_verdicts, recorded";

/// The newest first; runs that started at the same second by id.
const NEWEST_FIRST: &str = "ORDER BY started DESC, id DESC";

impl History {
    /// Opens the history at `path`, creating its parent directories and
    /// the database (at the current schema) when they do not exist.
    pub fn open(path: &Path) -> Result<History, HistoryError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| HistoryError::Io {
                path: path.to_path_buf(),
                doing: format!("creating the directory {}", parent.display()),
                source,
            })?;
        }
        Self::connect(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
    }

    /// Opens an existing history, for reading: a missing file is
    /// [`HistoryError::Missing`], and nothing is created.
    pub fn open_existing(path: &Path) -> Result<History, HistoryError> {
        if !path.is_file() {
            return Err(HistoryError::Missing {
                path: path.to_path_buf(),
            });
        }
        Self::connect(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
    }

    fn connect(path: &Path, flags: OpenFlags) -> Result<History, HistoryError> {
        let conn =
            Connection::open_with_flags(path, flags).map_err(|source| HistoryError::Sql {
                path: path.to_path_buf(),
                doing: "opening the database".into(),
                source,
            })?;
        let mut h = History {
            conn,
            path: path.to_path_buf(),
        };
        h.configure()?;
        h.migrate()?;
        Ok(h)
    }

    /// The database's path, as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn sql(&self, doing: impl Into<String>) -> impl FnOnce(rusqlite::Error) -> HistoryError {
        sql_error(&self.path, doing.into())
    }

    fn configure(&mut self) -> Result<(), HistoryError> {
        self.conn
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(self.sql("setting the busy timeout"))?;
        self.conn
            .pragma_update(None, "foreign_keys", true)
            .map_err(self.sql("turning foreign keys on"))?;
        // Switching to WAL takes an exclusive lock, and SQLite answers
        // "database is locked" at once, without the busy handler, while
        // another process is creating or switching the same file: retry
        // within the busy timeout. (WAL persists: once set, this is a read.)
        let started = std::time::Instant::now();
        let mode: String = loop {
            match self
                .conn
                .pragma_update_and_check(None, "journal_mode", "wal", |r| r.get(0))
            {
                Ok(m) => break m,
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if matches!(
                        e.code,
                        rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                    ) && started.elapsed() < BUSY_TIMEOUT =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(e) => return Err(self.sql("setting the journal mode to wal")(e)),
            }
        };
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(
                "{}: journal mode is {mode}, not wal: concurrent writers will wait longer",
                self.path.display()
            );
        }
        // Safe with WAL: a power cut may lose the last transactions, never
        // the database.
        self.conn
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(self.sql("setting synchronous"))?;
        Ok(())
    }

    fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
        conn.pragma_query_value(None, "user_version", |r| r.get(0))
    }

    /// Brings the schema to [`schema::VERSION`], in one write transaction
    /// that re-reads the version (another process may have migrated).
    fn migrate(&mut self) -> Result<(), HistoryError> {
        let known = schema::VERSION;
        let found =
            Self::user_version(&self.conn).map_err(self.sql("reading the schema version"))?;
        if found == known {
            return Ok(());
        }
        if found > known {
            return Err(HistoryError::TooNew {
                path: self.path.clone(),
                found,
                known,
            });
        }
        let path = self.path.clone();
        let sql = |doing: &str| sql_error(&path, doing.to_string());
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql("starting the migration"))?;
        let found = Self::user_version(&tx).map_err(sql("reading the schema version"))?;
        if found > known {
            return Err(HistoryError::TooNew { path, found, known });
        }
        let from = usize::try_from(found).unwrap_or(0);
        for (step, migration) in schema::MIGRATIONS.iter().enumerate().skip(from) {
            tx.execute_batch(migration).map_err(sql(&format!(
                "migrating the schema to version {}",
                step + 1
            )))?;
        }
        tx.pragma_update(None, "user_version", known)
            .map_err(sql("setting the schema version"))?;
        tx.commit().map_err(sql("committing the migration"))
    }

    /// Records a run from its report, read from (or written to) `dir`, in
    /// one transaction. A run recorded before under the same id (a resumed
    /// batch) is replaced, never duplicated.
    pub fn record(&mut self, report: &Report, dir: &Path) -> Result<(), HistoryError> {
        let run = &report.run;
        let s = &report.summary;
        let doing = format!("recording run {}", run.id);
        let merged_from = json_list(&run.merged_from);
        let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
        let kind = |k: Verdict| count(s.verdicts.get(k.as_str()).copied().unwrap_or(0));
        let path = self.path.clone();
        let sql = |doing: &str| sql_error(&path, doing.to_string());
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql(&doing))?;
        // Cascades to the run's apps and verdicts.
        tx.execute("DELETE FROM runs WHERE id = ?1", [&run.id])
            .map_err(sql(&format!("{doing}: replacing its earlier record")))?;
        tx.execute(
            "INSERT INTO runs (id, started, finished, tool, suite, apps_file, shard, merged_from,
                interrupted, dir, planned, apps, judged, errors, not_run, retried,
                apps_with_violations, violations, warnings, passes, inconclusive, error_verdicts)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                ?17, ?18, ?19, ?20, ?21, ?22)",
            params![
                run.id,
                run.started,
                run.finished,
                run.tool,
                run.suite,
                run.apps_file,
                run.shard,
                merged_from,
                run.interrupted,
                dir.to_string_lossy(),
                count(s.planned),
                count(report.apps.len()),
                count(s.judged),
                count(s.errors),
                count(s.not_run),
                count(s.retried),
                count(s.apps_with_violations),
                kind(Verdict::Violation),
                kind(Verdict::Warning),
                kind(Verdict::Pass),
                kind(Verdict::Inconclusive),
                kind(Verdict::Error),
            ],
        )
        .map_err(sql(&doing))?;
        {
            let mut app_stmt = tx
                .prepare(
                    "INSERT INTO apps (run_id, package, position, status, retried, app_type,
                        tags, detail)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .map_err(sql(&doing))?;
            let mut verdict_stmt = tx
                .prepare(
                    "INSERT INTO verdicts (run_id, package, category, verdict, summary, rule)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(sql(&doing))?;
            for (position, app) in report.apps.iter().enumerate() {
                let r = &app.result;
                let app_doing = format!("{doing}: app {}", r.package);
                let app_type = r
                    .app_type
                    .as_ref()
                    .or_else(|| app.verdicts.as_ref().and_then(|v| v.app_type.as_ref()));
                app_stmt
                    .execute(params![
                        run.id,
                        r.package,
                        count(position),
                        status_str(r.status),
                        r.retried,
                        app_type,
                        json_list(&r.tags),
                        detail(app),
                    ])
                    .map_err(sql(&app_doing))?;
                for cv in app.verdicts.iter().flat_map(|v| &v.categories) {
                    verdict_stmt
                        .execute(params![
                            run.id,
                            r.package,
                            cv.category,
                            cv.verdict.as_str(),
                            cv.summary,
                            cv.findings.first().map(|f| f.rule.as_str()),
                        ])
                        .map_err(sql(&format!("{app_doing}, category {}", cv.category)))?;
                }
            }
        }
        tx.commit().map_err(sql(&format!("{doing}: committing")))
    }

    /// The recorded runs, newest first (by start time, then id); `limit` 0
    /// lists them all.
    pub fn runs(&self, limit: usize) -> Result<Vec<RunRow>, HistoryError> {
        let limit = if limit == 0 { -1 } else { count(limit) };
        let doing = "listing the runs";
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {RUN_COLUMNS} FROM runs {NEWEST_FIRST} LIMIT ?1"
            ))
            .map_err(self.sql(doing))?;
        let rows = stmt
            .query_map([limit], run_row)
            .map_err(self.sql(doing))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(self.sql(doing))?;
        rows.into_iter()
            .map(|r| r.finish(&self.path, doing))
            .collect()
    }

    /// The run a full id or a unique prefix of one names.
    pub fn resolve(&self, id: &str) -> Result<String, HistoryError> {
        let doing = format!("looking up run {id}");
        let exact: Option<String> = self
            .conn
            .query_row("SELECT id FROM runs WHERE id = ?1", [id], |r| r.get(0))
            .optional()
            .map_err(self.sql(&doing))?;
        if let Some(found) = exact {
            return Ok(found);
        }
        let mut matches = Vec::new();
        if !id.is_empty() {
            let mut stmt = self
                .conn
                .prepare(
                    "SELECT id FROM runs WHERE substr(id, 1, length(?1)) = ?1 ORDER BY id LIMIT 6",
                )
                .map_err(self.sql(&doing))?;
            matches = stmt
                .query_map([id], |r| r.get::<_, String>(0))
                .map_err(self.sql(&doing))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(self.sql(&doing))?;
        }
        match matches.len() {
            0 => Err(HistoryError::UnknownRun {
                path: self.path.clone(),
                id: id.to_string(),
            }),
            1 => Ok(matches.swap_remove(0)),
            _ => {
                if matches.len() > 5 {
                    matches.truncate(5);
                    matches.push("…".into());
                }
                Err(HistoryError::AmbiguousRun {
                    path: self.path.clone(),
                    id: id.to_string(),
                    matches,
                })
            }
        }
    }

    /// One recorded run.
    pub fn run(&self, id: &str) -> Result<RunRow, HistoryError> {
        let doing = format!("reading run {id}");
        let row = self
            .conn
            .query_row(
                &format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = ?1"),
                [id],
                run_row,
            )
            .optional()
            .map_err(self.sql(&doing))?;
        match row {
            Some(r) => r.finish(&self.path, &doing),
            None => Err(HistoryError::UnknownRun {
                path: self.path.clone(),
                id: id.to_string(),
            }),
        }
    }

    /// A run's apps with their verdicts, in the run's order.
    pub fn apps(&self, id: &str) -> Result<Vec<AppRow>, HistoryError> {
        let doing = format!("reading the apps of run {id}");
        let corrupt = |message: String| HistoryError::Corrupt {
            path: self.path.clone(),
            doing: doing.clone(),
            message,
        };
        let mut verdicts: BTreeMap<String, Vec<VerdictRow>> = BTreeMap::new();
        {
            let mut stmt = self
                .conn
                .prepare(
                    "SELECT package, category, verdict, summary, rule FROM verdicts
                     WHERE run_id = ?1",
                )
                .map_err(self.sql(&doing))?;
            let rows = stmt
                .query_map([id], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, Option<String>>(4)?,
                    ))
                })
                .map_err(self.sql(&doing))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(self.sql(&doing))?;
            for (package, category, verdict, summary, rule) in rows {
                let verdict = verdict_of(&verdict)
                    .ok_or_else(|| corrupt(format!("unknown verdict {verdict:?}")))?;
                verdicts.entry(package).or_default().push(VerdictRow {
                    category,
                    verdict,
                    summary,
                    rule,
                });
            }
        }
        let mut stmt = self
            .conn
            .prepare(
                "SELECT package, status, retried, app_type, tags, detail FROM apps
                 WHERE run_id = ?1 ORDER BY position",
            )
            .map_err(self.sql(&doing))?;
        let rows = stmt
            .query_map([id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, bool>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<String>>(5)?,
                ))
            })
            .map_err(self.sql(&doing))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(self.sql(&doing))?;
        let mut apps = Vec::with_capacity(rows.len());
        for (package, status, retried, app_type, tags, detail) in rows {
            let status =
                status_of(&status).ok_or_else(|| corrupt(format!("unknown status {status:?}")))?;
            let tags = parse_list(&tags).map_err(&corrupt)?;
            let mut v = verdicts.remove(&package).unwrap_or_default();
            v.sort_by(|x, y| {
                category_rank(&x.category)
                    .cmp(&category_rank(&y.category))
                    .then_with(|| x.category.cmp(&y.category))
            });
            apps.push(AppRow {
                package,
                status,
                retried,
                app_type,
                tags,
                detail,
                verdicts: v,
            });
        }
        Ok(apps)
    }

    /// The ids of every run, newest first.
    fn ids(&self) -> Result<Vec<String>, HistoryError> {
        let doing = "listing the runs";
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT id FROM runs {NEWEST_FIRST}"))
            .map_err(self.sql(doing))?;
        stmt.query_map([], |r| r.get::<_, String>(0))
            .map_err(self.sql(doing))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(self.sql(doing))
    }

    /// What changed from run `a` to run `b` (full ids or unique prefixes).
    /// Neither given: the run before the newest, and the newest. Only `a`:
    /// `a` and the newest. Only `b`: the run before `b`, and `b`.
    pub fn diff(&self, a: Option<&str>, b: Option<&str>) -> Result<Diff, HistoryError> {
        let (a, b) = match (a, b) {
            (Some(a), Some(b)) => (self.resolve(a)?, self.resolve(b)?),
            (Some(a), None) => {
                let a = self.resolve(a)?;
                let newest = self.ids()?.into_iter().next().unwrap_or_else(|| a.clone());
                (a, newest)
            }
            (None, Some(b)) => {
                let b = self.resolve(b)?;
                let ids = self.ids()?;
                let before = ids
                    .iter()
                    .position(|id| *id == b)
                    .and_then(|i| ids.get(i + 1))
                    .cloned()
                    .ok_or_else(|| HistoryError::NoEarlier {
                        path: self.path.clone(),
                        id: b.clone(),
                    })?;
                (before, b)
            }
            (None, None) => {
                let mut ids = self.ids()?;
                if ids.len() < 2 {
                    return Err(HistoryError::TooFewRuns {
                        path: self.path.clone(),
                        found: ids.len(),
                    });
                }
                ids.truncate(2);
                let a = ids.pop().unwrap_or_default();
                let b = ids.pop().unwrap_or_default();
                (a, b)
            }
        };
        let changes = compare(&self.apps(&a)?, &self.apps(&b)?);
        Ok(Diff {
            a: self.run(&a)?,
            b: self.run(&b)?,
            changes,
        })
    }
}

/// A count as SQLite stores it.
fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

fn parse_list(text: &str) -> Result<Vec<String>, String> {
    serde_json::from_str(text).map_err(|e| format!("not a JSON list of strings ({e}): {text:?}"))
}

/// Why an app in error is: its final attempt's detail, else its first
/// problem.
fn detail(app: &AppEntry) -> Option<&str> {
    if app.result.status != AppStatus::Error {
        return None;
    }
    app.result
        .final_attempt()
        .and_then(|a| a.detail.as_deref())
        .or_else(|| app.result.problems.first().map(String::as_str))
}

fn status_str(s: AppStatus) -> &'static str {
    match s {
        AppStatus::Judged => "judged",
        AppStatus::Error => "error",
        AppStatus::NotRun => "not-run",
    }
}

fn status_of(s: &str) -> Option<AppStatus> {
    [AppStatus::Judged, AppStatus::Error, AppStatus::NotRun]
        .into_iter()
        .find(|v| status_str(*v) == s)
}

const VERDICTS: [Verdict; 5] = [
    Verdict::Violation,
    Verdict::Warning,
    Verdict::Pass,
    Verdict::Inconclusive,
    Verdict::Error,
];

fn verdict_of(s: &str) -> Option<Verdict> {
    VERDICTS.into_iter().find(|v| v.as_str() == s)
}

fn category_rank(id: &str) -> usize {
    crate::category::Category::ALL
        .iter()
        .position(|c| c.id() == id)
        .unwrap_or(usize::MAX)
}

/// A `runs` row with its JSON list still text, and counts checked later.
struct RawRun {
    row: RunRow,
    merged_from: String,
}

impl RawRun {
    fn finish(mut self, path: &Path, doing: &str) -> Result<RunRow, HistoryError> {
        self.row.merged_from =
            parse_list(&self.merged_from).map_err(|message| HistoryError::Corrupt {
                path: path.to_path_buf(),
                doing: doing.to_string(),
                message: format!("run {}: merged_from: {message}", self.row.id),
            })?;
        Ok(self.row)
    }
}

fn run_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawRun> {
    let n = |i: usize| -> rusqlite::Result<usize> {
        let v: i64 = r.get(i)?;
        usize::try_from(v).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(i, v))
    };
    Ok(RawRun {
        merged_from: r.get(7)?,
        row: RunRow {
            id: r.get(0)?,
            started: r.get(1)?,
            finished: r.get(2)?,
            tool: r.get(3)?,
            suite: r.get(4)?,
            apps_file: r.get(5)?,
            shard: r.get(6)?,
            merged_from: Vec::new(),
            interrupted: r.get(8)?,
            dir: r.get(9)?,
            planned: n(10)?,
            apps: n(11)?,
            judged: n(12)?,
            errors: n(13)?,
            not_run: n(14)?,
            retried: n(15)?,
            apps_with_violations: n(16)?,
            violations: n(17)?,
            warnings: n(18)?,
            passes: n(19)?,
            inconclusive: n(20)?,
            error_verdicts: n(21)?,
            recorded: r.get(22)?,
        },
    })
}

/// What a failed statement is reported as: the store's path and what was
/// being done.
fn sql_error(path: &Path, doing: String) -> impl FnOnce(rusqlite::Error) -> HistoryError + use<> {
    let path = path.to_path_buf();
    move |source| HistoryError::Sql {
        path,
        doing,
        source,
    }
}

#[cfg(test)]
mod tests;
