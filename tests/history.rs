//! The batch history end to end: many writers on one database at once
//! (threads with their own connections, and two processes of the real
//! binary), then the database checked with SQLite's own integrity check
//! and counted with plain SQL; and `consentry history list|diff|record`,
//! their output and exit codes.

use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use assert_cmd::Command;
use consentry::detect::{Finding, Severity};
use consentry::history::History;
use consentry::report::{AppEntry, AppResult, AppStatus, Report, RunInfo};
use consentry::verdict::{AppVerdicts, CategoryVerdict, Verdict};
use rusqlite::Connection;

const CBC: &str = "collect-before-consent";
const SWC: &str = "share-without-consent";

fn verdict(category: &str, v: Verdict, summary: &str) -> CategoryVerdict {
    CategoryVerdict {
        category: category.into(),
        title: category.into(),
        verdict: v,
        summary: summary.into(),
        findings: if v == Verdict::Violation {
            vec![Finding {
                category: category.into(),
                severity: Severity::Statutory,
                rule: format!("{category}.rule"),
                rule_text: "a rule".into(),
                term_zh: "术语".into(),
                sources: vec!["337号 2019".into()],
                summary: summary.into(),
                pass: "granted".into(),
                evidence: Vec::new(),
            }]
        } else {
            Vec::new()
        },
        passes: Vec::new(),
        not_covered: Vec::new(),
        notes: Vec::new(),
    }
}

fn app(package: &str, status: AppStatus, cats: Vec<CategoryVerdict>) -> AppEntry {
    AppEntry {
        result: AppResult {
            version: 1,
            package: package.into(),
            app_type: None,
            tags: Vec::new(),
            status,
            retried: false,
            attempts: Vec::new(),
            problems: Vec::new(),
        },
        dir: format!("apps/{package}"),
        runs_dir: None,
        verdicts: (status == AppStatus::Judged).then(|| AppVerdicts {
            version: 1,
            tool: "consentry 0.1.0".into(),
            package: package.into(),
            app_type: None,
            runs: Vec::new(),
            categories: cats,
        }),
    }
}

fn report(id: &str, started: &str, apps: Vec<AppEntry>) -> Report {
    let run = RunInfo {
        id: id.into(),
        tool: "consentry 0.1.0".into(),
        started: started.into(),
        finished: Some(started.into()),
        resumed: Vec::new(),
        suite: "builtin".into(),
        apps_file: None,
        shard: None,
        planned: apps.iter().map(|a| a.package().to_string()).collect(),
        retries: 1,
        timeout_per_app_s: 900,
        interrupted: false,
        merged_from: Vec::new(),
        missing_shards: Vec::new(),
        devices: Vec::new(),
    };
    Report::new(run, apps)
}

/// Writer `w`'s run `i`: `1 + i % 4` apps of two categories each.
fn load_report(w: usize, i: usize) -> Report {
    let apps = (0..=i % 4)
        .map(|k| {
            app(
                &format!("com.w{w}.app{k}"),
                AppStatus::Judged,
                vec![
                    verdict(CBC, Verdict::Pass, "nothing found"),
                    verdict(SWC, Verdict::Violation, "shared before consent"),
                ],
            )
        })
        .collect();
    report(
        &format!("20250101-{w:02}{i:04}-abcdef"),
        &format!("2025-01-01T02:{w:02}:{:02}Z", i % 60),
        apps,
    )
}

/// Opens the database with plain rusqlite: the integrity check, and the
/// rows of every run by table.
fn check_database(path: &Path, expected: &[(String, i64)]) {
    let c = Connection::open(path).expect("open");
    let ok: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity check");
    assert_eq!(ok, "ok");
    let fk: i64 = c
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .expect("foreign key check");
    assert_eq!(fk, 0);
    let runs: i64 = c
        .query_row("SELECT count(*) FROM runs", [], |r| r.get(0))
        .expect("runs");
    assert_eq!(runs, i64::try_from(expected.len()).expect("count"));
    for (id, apps) in expected {
        let count = |sql: &str| -> i64 {
            c.query_row(sql, [id], |r| r.get(0))
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
        };
        assert_eq!(count("SELECT count(*) FROM runs WHERE id = ?1"), 1, "{id}");
        assert_eq!(
            count("SELECT count(*) FROM apps WHERE run_id = ?1"),
            *apps,
            "{id}"
        );
        assert_eq!(
            count("SELECT count(*) FROM verdicts WHERE run_id = ?1"),
            apps * 2,
            "{id}"
        );
        assert_eq!(
            count("SELECT apps FROM runs WHERE id = ?1"),
            *apps,
            "{id}: the run's own count"
        );
    }
}

fn expected(writers: usize, runs: usize) -> Vec<(String, i64)> {
    (0..writers)
        .flat_map(|w| (0..runs).map(move |i| (w, i)))
        .map(|(w, i)| {
            let r = load_report(w, i);
            (r.run.id, i64::try_from(r.apps.len()).expect("count"))
        })
        .collect()
}

#[test]
fn writers_on_threads_share_one_database() {
    const WRITERS: usize = 4;
    const RUNS: usize = 40;
    let tmp = tempfile::tempdir().expect("temp dir");
    let path = tmp.path().join("batches/history.sqlite");
    let barrier = std::sync::Barrier::new(WRITERS);
    std::thread::scope(|s| {
        for w in 0..WRITERS {
            let (path, barrier, dir) = (&path, &barrier, tmp.path());
            s.spawn(move || {
                // Every thread creates (and migrates) the same new file.
                barrier.wait();
                let mut h = History::open(path).expect("open");
                for i in 0..RUNS {
                    h.record(&load_report(w, i), dir).expect("record");
                    // A resumed batch records its run again.
                    if i % 5 == 0 {
                        h.record(&load_report(w, i), dir).expect("record again");
                    }
                }
            });
        }
    });
    check_database(&path, &expected(WRITERS, RUNS));
    let h = History::open(&path).expect("open");
    assert_eq!(h.runs(0).expect("runs").len(), WRITERS * RUNS);
}

#[test]
fn two_processes_record_at_once() {
    const RUNS: usize = 30;
    let tmp = tempfile::tempdir().expect("temp dir");
    let db = tmp.path().join("history.sqlite");
    // Each process's batch directories, and ten both record.
    let mut dirs: [Vec<PathBuf>; 2] = [Vec::new(), Vec::new()];
    for (w, list) in dirs.iter_mut().enumerate() {
        for i in 0..RUNS {
            let r = load_report(w, i);
            let dir = tmp.path().join(&r.run.id);
            std::fs::create_dir_all(&dir).expect("mkdir");
            std::fs::write(dir.join("report.json"), consentry::report::to_json(&r)).expect("write");
            list.push(dir);
        }
    }
    let shared: Vec<PathBuf> = dirs[0][..10].to_vec();
    dirs[1].extend(shared);
    let bin = assert_cmd::cargo::cargo_bin("consentry");
    // One directory per process run, so the two interleave transaction by
    // transaction; each process records its list in three goes.
    let children: Vec<_> = dirs
        .iter()
        .map(|list| {
            let db = db.clone();
            let list = list.clone();
            let bin = bin.clone();
            std::thread::spawn(move || {
                for chunk in list.chunks(list.len().div_ceil(3)) {
                    let out = StdCommand::new(&bin)
                        .arg("history")
                        .arg("--history")
                        .arg(&db)
                        .arg("record")
                        .args(chunk)
                        .output()
                        .expect("spawn");
                    assert!(
                        out.status.success(),
                        "{}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                    let stdout = String::from_utf8_lossy(&out.stdout);
                    assert_eq!(stdout.lines().count(), chunk.len(), "{stdout}");
                }
            })
        })
        .collect();
    for c in children {
        c.join().expect("writer");
    }
    check_database(&db, &expected(2, RUNS));
}

// The command line.

/// Three runs: a violation appears, one clears, an app leaves, one arrives.
fn cli_history(dir: &Path) -> PathBuf {
    let path = dir.join("batches/history.sqlite");
    let mut h = History::open(&path).expect("open");
    let r1 = report(
        "20250101-020000-aaaaaa",
        "2025-01-01T02:00:00Z",
        vec![
            app(
                "com.shop",
                AppStatus::Judged,
                vec![
                    verdict(CBC, Verdict::Pass, "nothing found"),
                    verdict(SWC, Verdict::Violation, "libx sent the IMEI before consent"),
                ],
            ),
            app(
                "com.old",
                AppStatus::Judged,
                vec![verdict(CBC, Verdict::Pass, "ok")],
            ),
        ],
    );
    let mut r2 = report(
        "20250102-020000-bbbbbb",
        "2025-01-02T02:00:00Z",
        vec![
            app(
                "com.shop",
                AppStatus::Judged,
                vec![
                    verdict(
                        CBC,
                        Verdict::Violation,
                        "location read\u{1b}[31m before the prompt",
                    ),
                    verdict(SWC, Verdict::Pass, "nothing found"),
                ],
            ),
            app("com.new", AppStatus::Error, vec![]),
        ],
    );
    r2.run.shard = None;
    r2.run.merged_from = vec!["s1".into(), "s2".into()];
    let r2 = Report::new(r2.run, r2.apps);
    h.record(&r1, &dir.join("batches/20250101-020000-aaaaaa"))
        .expect("r1");
    h.record(&r2, &dir.join("batches/20250102-020000-bbbbbb"))
        .expect("r2");
    path
}

fn history(path: &Path) -> Command {
    let mut c = Command::cargo_bin("consentry").expect("binary");
    c.env_remove("CONSENTRY_HISTORY")
        .arg("history")
        .arg("--history")
        .arg(path);
    c
}

fn stdout_of(c: &mut Command) -> String {
    let out = c.output().expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn list_shows_the_runs_newest_first() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let path = cli_history(tmp.path());
    let text = stdout_of(history(&path).arg("list"));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    let cells = |l: &str| l.split_whitespace().map(str::to_string).collect::<Vec<_>>();
    assert_eq!(
        cells(lines[0]),
        ["id", "started", "shard", "apps", "violations", "errors"]
    );
    assert_eq!(
        cells(lines[1]),
        [
            "20250102-020000-bbbbbb",
            "2025-01-02T02:00:00Z",
            "merged",
            "2",
            "2",
            "1",
            "1"
        ],
        "{text}"
    );
    assert_eq!(
        cells(lines[2]),
        [
            "20250101-020000-aaaaaa",
            "2025-01-01T02:00:00Z",
            "-",
            "2",
            "1",
            "0"
        ]
    );

    let text = stdout_of(history(&path).args(["list", "--limit", "1", "--json"]));
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    let runs = v.as_array().expect("array");
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["id"], "20250102-020000-bbbbbb");
    assert_eq!(runs[0]["merged_from"], serde_json::json!(["s1", "s2"]));
    assert_eq!(runs[0]["errors"], 1);
    assert!(
        runs[0]["dir"]
            .as_str()
            .expect("dir")
            .ends_with("batches/20250102-020000-bbbbbb"),
        "{}",
        runs[0]["dir"]
    );
}

#[test]
fn diff_shows_what_changed_between_the_last_two_runs() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let path = cli_history(tmp.path());
    let text = stdout_of(history(&path).arg("diff"));
    let expected = "\
A 20250101-020000-aaaaaa (2025-01-01T02:00:00Z, 2 apps) → B 20250102-020000-bbbbbb (2025-01-02T02:00:00Z, 2 apps, merged 2)

new violations (1):
  com.shop  collect-before-consent  pass → violation  location read\\u{1b}[31m before the prompt [collect-before-consent.rule]

cleared violations (1):
  com.shop  share-without-consent   violation → pass  nothing found [share-without-consent.rule]

only in A (1):
  com.old

only in B (1):
  com.new
";
    assert_eq!(text, expected);
    // The same runs named by prefixes, the other way round.
    let text = stdout_of(history(&path).args(["diff", "20250102", "20250101"]));
    assert!(
        text.contains("new violations (1):\n  com.shop  share-without-consent"),
        "{text}"
    );
    assert!(text.contains("only in A (1):\n  com.new"), "{text}");

    let text = stdout_of(history(&path).args(["diff", "--json"]));
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(v["a"]["id"], "20250101-020000-aaaaaa");
    assert_eq!(v["b"]["id"], "20250102-020000-bbbbbb");
    assert_eq!(v["new_violations"][0]["category"], CBC);
    assert_eq!(v["new_violations"][0]["from"], "pass");
    assert_eq!(v["new_violations"][0]["to"], "violation");
    assert_eq!(v["cleared_violations"][0]["to"], "pass");
    assert_eq!(v["changed"], serde_json::json!([]));
    assert_eq!(v["only_in_a"], serde_json::json!(["com.old"]));
    assert_eq!(v["only_in_b"], serde_json::json!(["com.new"]));

    // A run against itself.
    let text = stdout_of(history(&path).args(["diff", "20250101", "20250101"]));
    assert!(text.ends_with("\nno change\n"), "{text}");
}

#[test]
fn bad_ids_and_too_few_runs_exit_2() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let path = cli_history(tmp.path());
    let out = history(&path).args(["diff", "2024"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no run \"2024\""), "{err}");
    let out = history(&path).args(["diff", "2025"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("ambiguous") && err.contains("20250101-020000-aaaaaa"),
        "{err}"
    );

    let one = tmp.path().join("one.sqlite");
    let mut h = History::open(&one).expect("open");
    h.record(
        &report("20250101-020000-cccccc", "2025-01-01T02:00:00Z", vec![]),
        tmp.path(),
    )
    .expect("record");
    drop(h);
    let out = history(&one).arg("diff").output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("1 run(s) recorded, a diff needs two"), "{err}");
}

#[test]
fn a_missing_history_is_exit_2_and_stays_missing() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let path = tmp.path().join("nowhere/history.sqlite");
    for sub in [&["list"][..], &["diff"][..]] {
        let out = history(&path).args(sub).output().expect("run");
        assert_eq!(out.status.code(), Some(2), "{sub:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("{}: no history there", path.display())),
            "{err}"
        );
        assert!(out.stdout.is_empty());
    }
    assert!(!path.exists());
    assert!(!path.parent().expect("parent").exists());
}

#[test]
fn the_history_comes_from_the_environment_or_batches() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let path = cli_history(tmp.path());
    let text = stdout_of(
        Command::cargo_bin("consentry")
            .expect("binary")
            .env("CONSENTRY_HISTORY", &path)
            .args(["history", "list"]),
    );
    assert!(text.contains("20250101-020000-aaaaaa"), "{text}");
    // The default is batches/history.sqlite under the current directory.
    let text = stdout_of(
        Command::cargo_bin("consentry")
            .expect("binary")
            .env_remove("CONSENTRY_HISTORY")
            .current_dir(tmp.path())
            .args(["history", "list", "--limit", "0"]),
    );
    assert_eq!(text.lines().count(), 3, "{text}");
}

#[test]
fn record_reads_batch_directories() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let db = tmp.path().join("h/history.sqlite");
    let r = load_report(0, 2);
    let dir = tmp.path().join("b1");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("report.json"), consentry::report::to_json(&r)).expect("write");
    let text = stdout_of(history(&db).arg("record").arg(&dir));
    assert_eq!(
        text,
        format!("recorded {} (3 apps) in {}\n", r.run.id, db.display())
    );
    // Again: replaced, not doubled.
    stdout_of(history(&db).arg("record").arg(&dir));
    check_database(&db, &[(r.run.id.clone(), 3)]);
    // Not a batch directory: nothing is recorded.
    let out = history(&db)
        .arg("record")
        .arg(tmp.path().join("h"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a batch directory"), "{err}");
}

#[test]
fn an_empty_history_lists_nothing() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let path = tmp.path().join("history.sqlite");
    drop(History::open(&path).expect("open"));
    let text = stdout_of(history(&path).arg("list"));
    assert_eq!(text, format!("no runs recorded in {}\n", path.display()));
}
