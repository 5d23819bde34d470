//! The history store on real SQLite files in temporary directories, and
//! the pure diff on hand-built rows.

use super::*;
use crate::category::Category;
use crate::detect::{Finding, Severity};
use crate::report::{AppResult, Attempt, AttemptEnd, RunInfo};
use crate::verdict::{AppVerdicts, CategoryVerdict};

const CBC: &str = "collect-before-consent";
const SWC: &str = "share-without-consent";
const ADO: &str = "account-deletion-obstacles";

fn run_info(id: &str, started: &str, planned: &[&str]) -> RunInfo {
    RunInfo {
        id: id.into(),
        tool: "consentry 0.1.0".into(),
        started: started.into(),
        finished: Some(started.replace("T02", "T03")),
        resumed: Vec::new(),
        suite: "builtin".into(),
        apps_file: Some("apps.txt".into()),
        shard: None,
        planned: planned.iter().map(|p| (*p).to_string()).collect(),
        retries: 1,
        timeout_per_app_s: 900,
        interrupted: false,
        merged_from: Vec::new(),
        missing_shards: Vec::new(),
        devices: Vec::new(),
    }
}

fn finding(category: &str, rule: &str) -> Finding {
    Finding {
        category: category.into(),
        severity: Severity::Statutory,
        rule: rule.into(),
        rule_text: "a rule".into(),
        term_zh: "术语".into(),
        sources: vec!["337号 2019".into()],
        summary: "seen".into(),
        pass: "granted".into(),
        evidence: Vec::new(),
    }
}

fn cv(category: &str, verdict: Verdict, rule: Option<&str>) -> CategoryVerdict {
    CategoryVerdict {
        category: category.into(),
        title: category.into(),
        verdict,
        summary: format!("{category} is {}", verdict.as_str()),
        findings: rule.map(|r| finding(category, r)).into_iter().collect(),
        passes: Vec::new(),
        not_covered: Vec::new(),
        notes: Vec::new(),
    }
}

fn result(package: &str, status: AppStatus) -> AppResult {
    AppResult {
        version: 1,
        package: package.into(),
        app_type: Some("shopping".into()),
        tags: vec!["nightly".into(), "top-100".into()],
        status,
        retried: false,
        attempts: Vec::new(),
        problems: Vec::new(),
    }
}

fn judged(package: &str, cats: Vec<CategoryVerdict>) -> AppEntry {
    AppEntry {
        result: result(package, AppStatus::Judged),
        dir: format!("apps/{package}"),
        runs_dir: Some("attempt-1".into()),
        verdicts: Some(AppVerdicts {
            version: 1,
            tool: "consentry 0.1.0".into(),
            package: package.into(),
            app_type: Some("shopping".into()),
            runs: Vec::new(),
            categories: cats,
        }),
    }
}

fn errored(package: &str, detail: &str) -> AppEntry {
    let mut r = result(package, AppStatus::Error);
    r.retried = true;
    r.attempts = vec![Attempt {
        number: 2,
        device: "emulator-5554".into(),
        started: "2025-01-01T02:00:00Z".into(),
        finished: "2025-01-01T02:10:00Z".into(),
        end: AttemptEnd::DeviceLost,
        detail: Some(detail.into()),
        reset: None,
    }];
    AppEntry {
        result: r,
        dir: format!("apps/{package}"),
        runs_dir: Some("attempt-2".into()),
        verdicts: None,
    }
}

fn not_run(package: &str) -> AppEntry {
    AppEntry {
        result: result(package, AppStatus::NotRun),
        dir: format!("apps/{package}"),
        runs_dir: None,
        verdicts: None,
    }
}

fn report(id: &str, started: &str, apps: Vec<AppEntry>) -> Report {
    let planned: Vec<&str> = apps.iter().map(AppEntry::package).collect();
    let run = run_info(id, started, &planned);
    Report::new(run, apps)
}

/// Run 1: a violates cbc and passes swc; b is clean; c errors.
fn first() -> Report {
    report(
        "20250101-020000-aaaaaa",
        "2025-01-01T02:00:00Z",
        vec![
            judged(
                "com.a",
                vec![
                    cv(CBC, Verdict::Violation, Some("cbc.before-consent")),
                    cv(SWC, Verdict::Pass, None),
                ],
            ),
            judged(
                "com.b",
                vec![cv(CBC, Verdict::Pass, None), cv(SWC, Verdict::Pass, None)],
            ),
            errored("com.c", "device lost twice"),
        ],
    )
}

fn temp() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("deep/er/history.sqlite");
    (dir, path)
}

fn count_rows(h: &History, table: &str, run: &str) -> i64 {
    let column = if table == "runs" { "id" } else { "run_id" };
    h.conn
        .query_row(
            &format!("SELECT count(*) FROM {table} WHERE {column} = ?1"),
            [run],
            |r| r.get(0),
        )
        .expect("count")
}

#[test]
fn open_creates_the_file_at_the_current_schema_in_wal_mode() {
    let (_tmp, path) = temp();
    let h = History::open(&path).expect("open");
    assert!(path.is_file());
    let version: i64 = h
        .conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .expect("version");
    assert_eq!(version, schema::VERSION);
    let mode: String = h
        .conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .expect("mode");
    assert_eq!(mode, "wal");
    let fk: bool = h
        .conn
        .pragma_query_value(None, "foreign_keys", |r| r.get(0))
        .expect("fk");
    assert!(fk);
    drop(h);
    // Opening again leaves it as it is.
    let h = History::open(&path).expect("reopen");
    assert!(h.runs(0).expect("runs").is_empty());
}

#[test]
fn an_empty_file_is_migrated_from_nothing() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let path = tmp.path().join("history.sqlite");
    std::fs::write(&path, b"").expect("touch");
    let mut h = History::open_existing(&path).expect("open");
    h.record(&first(), tmp.path()).expect("record");
    assert_eq!(h.runs(0).expect("runs").len(), 1);
}

#[test]
fn a_newer_schema_is_refused() {
    let (_tmp, path) = temp();
    drop(History::open(&path).expect("open"));
    {
        let c = Connection::open(&path).expect("raw");
        c.pragma_update(None, "user_version", 7).expect("bump");
    }
    let e = History::open(&path).expect_err("too new");
    assert!(
        matches!(
            e,
            HistoryError::TooNew {
                found: 7,
                known: 1,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("history.sqlite"), "{e}");
}

#[test]
fn a_file_that_is_not_a_database_is_an_error_naming_it() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let path = tmp.path().join("history.sqlite");
    std::fs::write(
        &path,
        "this is not sqlite, it is a text file long enough to have a header",
    )
    .expect("write");
    let e = History::open(&path).expect_err("not a db");
    let msg = e.to_string();
    assert!(msg.starts_with(&path.display().to_string()), "{msg}");
    assert!(matches!(e, HistoryError::Sql { .. }), "{e:?}");
}

#[test]
fn open_existing_creates_nothing() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let path = tmp.path().join("none/history.sqlite");
    let e = History::open_existing(&path).expect_err("missing");
    assert!(matches!(e, HistoryError::Missing { .. }), "{e:?}");
    assert!(e.to_string().contains("none/history.sqlite"), "{e}");
    assert!(!path.exists());
    assert!(!path.parent().expect("parent").exists());
}

#[test]
fn record_keeps_the_run_apps_and_verdicts() {
    let (tmp, path) = temp();
    let mut h = History::open(&path).expect("open");
    let mut r = first();
    r.run.shard = Some("2/3".into());
    r.run.interrupted = true;
    r.apps.push(not_run("com.d"));
    r.run.planned.push("com.d".into());
    r = Report::new(r.run, r.apps);
    let batch = tmp.path().join("batches/20250101-020000-aaaaaa");
    h.record(&r, &batch).expect("record");

    let runs = h.runs(0).expect("runs");
    assert_eq!(runs.len(), 1);
    let row = &runs[0];
    assert_eq!(row.id, "20250101-020000-aaaaaa");
    assert_eq!(row.started, "2025-01-01T02:00:00Z");
    assert_eq!(row.finished.as_deref(), Some("2025-01-01T03:00:00Z"));
    assert_eq!(row.tool, "consentry 0.1.0");
    assert_eq!(row.suite, "builtin");
    assert_eq!(row.apps_file.as_deref(), Some("apps.txt"));
    assert_eq!(row.shard.as_deref(), Some("2/3"));
    assert!(row.interrupted);
    assert_eq!(row.dir, batch.to_string_lossy());
    assert_eq!(
        (row.planned, row.apps, row.judged, row.errors, row.not_run),
        (4, 4, 2, 1, 1)
    );
    assert_eq!(row.retried, 1);
    assert_eq!(row.apps_with_violations, 1);
    // 4 categories of a and b, plus c's eight errors (the report's
    // summary counts every category of an app in error as an error).
    assert_eq!(
        (
            row.violations,
            row.passes,
            row.warnings,
            row.inconclusive,
            row.error_verdicts
        ),
        (1, 3, 0, 0, 8)
    );
    assert!(row.recorded.ends_with('Z'), "{}", row.recorded);

    let apps = h.apps(&row.id).expect("apps");
    let names: Vec<&str> = apps.iter().map(|a| a.package.as_str()).collect();
    assert_eq!(names, ["com.a", "com.b", "com.c", "com.d"]);
    let a = &apps[0];
    assert_eq!(a.status, AppStatus::Judged);
    assert_eq!(a.app_type.as_deref(), Some("shopping"));
    assert_eq!(a.tags, ["nightly", "top-100"]);
    assert_eq!(
        a.verdicts,
        [
            VerdictRow {
                category: CBC.into(),
                verdict: Verdict::Violation,
                summary: "collect-before-consent is violation".into(),
                rule: Some("cbc.before-consent".into()),
            },
            VerdictRow {
                category: SWC.into(),
                verdict: Verdict::Pass,
                summary: "share-without-consent is pass".into(),
                rule: None,
            },
        ]
    );
    let c = &apps[2];
    assert_eq!(c.status, AppStatus::Error);
    assert!(c.retried);
    assert_eq!(c.detail.as_deref(), Some("device lost twice"));
    assert!(c.verdicts.is_empty());
    assert_eq!(apps[3].status, AppStatus::NotRun);
    assert_eq!(count_rows(&h, "verdicts", &row.id), 4);
}

#[test]
fn recording_a_run_again_replaces_it() {
    let (tmp, path) = temp();
    let mut h = History::open(&path).expect("open");
    h.record(&first(), tmp.path()).expect("record");
    // Resumed: a is fixed, c judged, b gone from the list.
    let again = report(
        "20250101-020000-aaaaaa",
        "2025-01-01T02:00:00Z",
        vec![
            judged("com.a", vec![cv(CBC, Verdict::Pass, None)]),
            judged("com.c", vec![cv(ADO, Verdict::Warning, None)]),
        ],
    );
    h.record(&again, tmp.path()).expect("record again");
    let runs = h.runs(0).expect("runs");
    assert_eq!(runs.len(), 1);
    assert_eq!(
        (runs[0].apps, runs[0].violations, runs[0].warnings),
        (2, 0, 1)
    );
    let id = &runs[0].id;
    assert_eq!(count_rows(&h, "runs", id), 1);
    assert_eq!(count_rows(&h, "apps", id), 2);
    assert_eq!(count_rows(&h, "verdicts", id), 2);
    let apps = h.apps(id).expect("apps");
    assert_eq!(apps[0].verdicts[0].verdict, Verdict::Pass);
    assert_eq!(apps[1].package, "com.c");
    assert_eq!(apps[1].status, AppStatus::Judged);
}

#[test]
fn a_failed_record_changes_nothing() {
    let (tmp, path) = temp();
    let mut h = History::open(&path).expect("open");
    h.record(&first(), tmp.path()).expect("record");
    // The same package twice breaks the apps' key half way through.
    let mut bad = first();
    bad.apps
        .push(judged("com.a", vec![cv(CBC, Verdict::Pass, None)]));
    let e = h.record(&bad, tmp.path()).expect_err("duplicate app");
    let msg = e.to_string();
    assert!(
        msg.contains("recording run 20250101-020000-aaaaaa: app com.a"),
        "{msg}"
    );
    let id = "20250101-020000-aaaaaa";
    assert_eq!(count_rows(&h, "apps", id), 3);
    assert_eq!(count_rows(&h, "verdicts", id), 4);
    assert_eq!(h.runs(0).expect("runs")[0].violations, 1);
}

fn three_runs(h: &mut History, dir: &Path) {
    h.record(&first(), dir).expect("1");
    let second = report(
        "20250102-020000-bbbbbb",
        "2025-01-02T02:00:00Z",
        vec![judged("com.a", vec![cv(CBC, Verdict::Pass, None)])],
    );
    let third = report(
        "20250103-020000-bbbccc",
        "2025-01-03T02:00:00Z",
        vec![
            judged("com.a", vec![cv(CBC, Verdict::Violation, Some("cbc.x"))]),
            judged("com.e", vec![cv(SWC, Verdict::Violation, Some("swc.y"))]),
        ],
    );
    // Recorded out of order: the list is by start time.
    h.record(&third, dir).expect("3");
    h.record(&second, dir).expect("2");
}

#[test]
fn runs_are_newest_first_and_limited() {
    let (tmp, path) = temp();
    let mut h = History::open(&path).expect("open");
    three_runs(&mut h, tmp.path());
    let ids: Vec<String> = h.runs(0).expect("all").into_iter().map(|r| r.id).collect();
    assert_eq!(
        ids,
        [
            "20250103-020000-bbbccc",
            "20250102-020000-bbbbbb",
            "20250101-020000-aaaaaa"
        ]
    );
    let ids: Vec<String> = h.runs(2).expect("two").into_iter().map(|r| r.id).collect();
    assert_eq!(ids, ["20250103-020000-bbbccc", "20250102-020000-bbbbbb"]);
}

#[test]
fn run_ids_resolve_by_unique_prefix() {
    let (tmp, path) = temp();
    let mut h = History::open(&path).expect("open");
    three_runs(&mut h, tmp.path());
    assert_eq!(
        h.resolve("20250101-020000-aaaaaa").expect("full"),
        "20250101-020000-aaaaaa"
    );
    assert_eq!(
        h.resolve("20250102").expect("prefix"),
        "20250102-020000-bbbbbb"
    );
    match h.resolve("2025010") {
        Err(HistoryError::AmbiguousRun { matches, id, .. }) => {
            assert_eq!(id, "2025010");
            assert_eq!(matches.len(), 3);
            assert_eq!(matches[0], "20250101-020000-aaaaaa");
        }
        other => panic!("{other:?}"),
    }
    let e = h.resolve("2026").expect_err("unknown");
    assert!(matches!(e, HistoryError::UnknownRun { .. }), "{e:?}");
    assert!(e.to_string().contains("no run \"2026\""), "{e}");
    assert!(matches!(
        h.resolve(""),
        Err(HistoryError::UnknownRun { .. })
    ));
    // `%` and `_` are not wildcards.
    assert!(matches!(
        h.resolve("2025010_"),
        Err(HistoryError::UnknownRun { .. })
    ));
}

#[test]
fn diff_defaults_to_the_last_two_runs() {
    let (tmp, path) = temp();
    let mut h = History::open(&path).expect("open");
    three_runs(&mut h, tmp.path());
    let d = h.diff(None, None).expect("diff");
    assert_eq!(d.a.id, "20250102-020000-bbbbbb");
    assert_eq!(d.b.id, "20250103-020000-bbbccc");
    assert_eq!(
        d.changes.new_violations,
        [
            Change {
                package: "com.a".into(),
                category: CBC.into(),
                from: Some(Verdict::Pass),
                to: Some(Verdict::Violation),
                summary: "collect-before-consent is violation".into(),
                rule: Some("cbc.x".into()),
            },
            Change {
                package: "com.e".into(),
                category: SWC.into(),
                from: None,
                to: Some(Verdict::Violation),
                summary: "share-without-consent is violation".into(),
                rule: Some("swc.y".into()),
            },
        ]
    );
    assert!(d.changes.cleared_violations.is_empty());
    assert!(d.changes.changed.is_empty());
    assert_eq!(d.changes.only_in_b, ["com.e"]);
    assert!(d.changes.only_in_a.is_empty());
}

#[test]
fn diff_takes_ids_and_prefixes() {
    let (tmp, path) = temp();
    let mut h = History::open(&path).expect("open");
    three_runs(&mut h, tmp.path());
    let d = h.diff(Some("20250101"), Some("20250102")).expect("diff");
    assert_eq!(d.a.id, "20250101-020000-aaaaaa");
    assert_eq!(d.b.id, "20250102-020000-bbbbbb");
    assert_eq!(d.changes.cleared_violations.len(), 1);
    assert_eq!(
        d.changes.cleared_violations[0].rule.as_deref(),
        Some("cbc.before-consent")
    );
    assert_eq!(d.changes.only_in_a, ["com.b", "com.c"]);
    // Only A: against the newest.
    let d = h.diff(Some("20250101"), None).expect("diff");
    assert_eq!(d.b.id, "20250103-020000-bbbccc");
    // Only B: against the run before it.
    let d = h.diff(None, Some("20250102")).expect("diff");
    assert_eq!(d.a.id, "20250101-020000-aaaaaa");
    let e = h.diff(None, Some("20250101")).expect_err("none before");
    assert!(matches!(e, HistoryError::NoEarlier { .. }), "{e:?}");
    let e = h.diff(Some("x"), None).expect_err("unknown");
    assert!(matches!(e, HistoryError::UnknownRun { .. }), "{e:?}");
    let e = h.diff(Some("2025"), None).expect_err("ambiguous");
    assert!(matches!(e, HistoryError::AmbiguousRun { .. }), "{e:?}");
}

#[test]
fn diff_needs_two_runs() {
    let (tmp, path) = temp();
    let mut h = History::open(&path).expect("open");
    let e = h.diff(None, None).expect_err("empty");
    assert!(
        matches!(e, HistoryError::TooFewRuns { found: 0, .. }),
        "{e:?}"
    );
    h.record(&first(), tmp.path()).expect("record");
    let e = h.diff(None, None).expect_err("one");
    assert!(
        matches!(e, HistoryError::TooFewRuns { found: 1, .. }),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .contains("1 run(s) recorded, a diff needs two"),
        "{e}"
    );
}

#[test]
fn default_path_is_beside_the_batch_directories() {
    assert_eq!(
        default_path(Path::new("batches/20250101-020000-aaaaaa")),
        Path::new("batches/history.sqlite")
    );
    assert_eq!(
        default_path(Path::new("/srv/runs/b1/")),
        Path::new("/srv/runs/history.sqlite")
    );
    assert_eq!(default_path(Path::new("b1")), Path::new("history.sqlite"));
    assert_eq!(default_path(Path::new("/")), Path::new("history.sqlite"));
}

#[test]
fn stored_words_round_trip() {
    for s in [AppStatus::Judged, AppStatus::Error, AppStatus::NotRun] {
        assert_eq!(status_of(status_str(s)), Some(s));
        // The same words as the report's JSON.
        assert_eq!(
            serde_json::to_value(s).expect("json"),
            serde_json::Value::String(status_str(s).into())
        );
    }
    for v in VERDICTS {
        assert_eq!(verdict_of(v.as_str()), Some(v));
    }
    assert_eq!(verdict_of("fail"), None);
}

// The pure diff.

fn row(package: &str, status: AppStatus, verdicts: &[(&str, Verdict)]) -> AppRow {
    AppRow {
        package: package.into(),
        status,
        retried: false,
        app_type: None,
        tags: Vec::new(),
        detail: None,
        verdicts: verdicts
            .iter()
            .map(|(c, v)| VerdictRow {
                category: (*c).into(),
                verdict: *v,
                summary: format!("{package} {c} {}", v.as_str()),
                rule: (*v == Verdict::Violation).then(|| format!("{c}.rule")),
            })
            .collect(),
    }
}

fn keys(list: &[Change]) -> Vec<String> {
    list.iter()
        .map(|c| {
            format!(
                "{} {} {}→{}",
                c.package,
                c.category,
                c.from.map_or("none", Verdict::as_str),
                c.to.map_or("none", Verdict::as_str)
            )
        })
        .collect()
}

#[test]
fn compare_splits_changes_and_sorts_them() {
    use AppStatus::{Error, Judged, NotRun};
    use Verdict::{Inconclusive, Pass, Violation, Warning};
    let a = vec![
        row("com.z", Judged, &[(ADO, Violation), (CBC, Pass)]),
        row("com.a", Judged, &[(SWC, Pass), (CBC, Violation)]),
        row("com.gone", Judged, &[(CBC, Violation)]),
        row("com.err", Judged, &[(CBC, Violation), (SWC, Pass)]),
        row("com.skip", Judged, &[(CBC, Pass)]),
        row("com.same", Judged, &[(CBC, Violation)]),
    ];
    let b = vec![
        row("com.new", Judged, &[(SWC, Violation), (CBC, Pass)]),
        row("com.a", Judged, &[(CBC, Pass), (SWC, Violation)]),
        row("com.z", Judged, &[(CBC, Warning), (ADO, Inconclusive)]),
        row("com.err", Error, &[]),
        row("com.skip", NotRun, &[]),
        row("com.same", Judged, &[(CBC, Violation)]),
        row("com.clean", Judged, &[(CBC, Pass)]),
    ];
    let d = compare(&a, &b);
    assert_eq!(
        keys(&d.new_violations),
        [
            "com.a share-without-consent pass→violation",
            "com.new share-without-consent none→violation",
        ]
    );
    assert_eq!(
        keys(&d.cleared_violations),
        [
            "com.a collect-before-consent violation→pass",
            "com.err collect-before-consent violation→error",
            "com.z account-deletion-obstacles violation→inconclusive",
        ]
    );
    assert_eq!(
        keys(&d.changed),
        [
            "com.err share-without-consent pass→error",
            "com.skip collect-before-consent pass→none",
            "com.z collect-before-consent pass→warning",
        ]
    );
    assert_eq!(d.only_in_a, ["com.gone"]);
    assert_eq!(d.only_in_b, ["com.clean", "com.new"]);
    // A cleared violation keeps the rule it broke; B's text says why.
    let err = &d.cleared_violations[1];
    assert_eq!(err.rule.as_deref(), Some("collect-before-consent.rule"));
    assert_eq!(err.summary, "the app could not be judged");
    assert_eq!(d.changed[1].summary, "the app was not run");
    assert!(!d.is_empty());

    // The same rows in another order give the same diff.
    let mut a2 = a.clone();
    let mut b2 = b.clone();
    a2.reverse();
    b2.reverse();
    for r in a2.iter_mut().chain(b2.iter_mut()) {
        r.verdicts.reverse();
    }
    assert_eq!(compare(&a2, &b2), d);
}

#[test]
fn compare_of_equal_runs_is_empty() {
    let a = vec![
        row("com.a", AppStatus::Judged, &[(CBC, Verdict::Violation)]),
        row("com.b", AppStatus::Error, &[]),
    ];
    let d = compare(&a, &a);
    assert!(d.is_empty(), "{d:?}");
    assert!(compare(&[], &[]).is_empty());
}

#[test]
fn an_error_app_reads_as_error_in_every_category() {
    let mut r = row("com.e", AppStatus::Error, &[]);
    r.detail = Some("install failed".into());
    let a = vec![row(
        "com.e",
        AppStatus::Judged,
        &[(CBC, Verdict::Pass), (SWC, Verdict::Pass)],
    )];
    let d = compare(&a, &[r]);
    assert_eq!(
        keys(&d.changed),
        [
            "com.e collect-before-consent pass→error",
            "com.e share-without-consent pass→error"
        ]
    );
    assert_eq!(
        d.changed[0].summary,
        "the app could not be judged: install failed"
    );
    // Every category id is known, so unknown ones sort last.
    assert_eq!(category_rank(Category::ALL[7].id()), 7);
    assert_eq!(category_rank("made-up"), usize::MAX);
}
