//! The history database's schema and its migrations, one step per version
//! (`PRAGMA user_version` holds the version a database is at).
//!
//! A migration from version `n` to `n + 1` is `MIGRATIONS[n]`; a new
//! version appends a step and never edits an old one, so a database of any
//! earlier version is brought up to date by running the steps it lacks.

/// The schema version this build writes and reads.
pub(crate) const VERSION: i64 = 1;

/// From nothing to v1.
const V1: &str = "
CREATE TABLE runs (
    id           TEXT PRIMARY KEY NOT NULL,
    started      TEXT NOT NULL,
    finished     TEXT,
    tool         TEXT NOT NULL,
    suite        TEXT NOT NULL,
    apps_file    TEXT,
    shard        TEXT,
    -- a JSON array of run ids, [] unless this is a merged run
    merged_from  TEXT NOT NULL,
    interrupted  INTEGER NOT NULL CHECK (interrupted IN (0, 1)),
    -- the run directory, absolute
    dir          TEXT NOT NULL,
    planned      INTEGER NOT NULL,
    apps         INTEGER NOT NULL,
    judged       INTEGER NOT NULL,
    errors       INTEGER NOT NULL,
    not_run      INTEGER NOT NULL,
    retried      INTEGER NOT NULL,
    apps_with_violations INTEGER NOT NULL,
    -- verdicts over every app and category, by kind
    violations   INTEGER NOT NULL,
    warnings     INTEGER NOT NULL,
    passes       INTEGER NOT NULL,
    inconclusive INTEGER NOT NULL,
    error_verdicts INTEGER NOT NULL,
    recorded     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
) STRICT;

CREATE INDEX runs_by_start ON runs (started, id);

CREATE TABLE apps (
    run_id    TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    package   TEXT NOT NULL,
    -- the app's place in the run's list
    position  INTEGER NOT NULL,
    status    TEXT NOT NULL CHECK (status IN ('judged', 'error', 'not-run')),
    retried   INTEGER NOT NULL CHECK (retried IN (0, 1)),
    app_type  TEXT,
    -- a JSON array of strings
    tags      TEXT NOT NULL,
    -- why an app is in error: its final attempt's detail or first problem
    detail    TEXT,
    PRIMARY KEY (run_id, package)
) STRICT;

CREATE TABLE verdicts (
    run_id    TEXT NOT NULL,
    package   TEXT NOT NULL,
    category  TEXT NOT NULL,
    verdict   TEXT NOT NULL
        CHECK (verdict IN ('violation', 'warning', 'pass', 'inconclusive', 'error')),
    summary   TEXT NOT NULL,
    -- the first finding's rule id, if any
    rule      TEXT,
    PRIMARY KEY (run_id, package, category),
    FOREIGN KEY (run_id, package) REFERENCES apps (run_id, package) ON DELETE CASCADE
) STRICT;

CREATE INDEX verdicts_by_app ON verdicts (package, category);
";

/// `MIGRATIONS[n]` takes a database from version `n` to `n + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[V1];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_step_per_version() {
        assert_eq!(i64::try_from(MIGRATIONS.len()).ok(), Some(VERSION));
    }
}
