//! The report model: building from a batch directory, merging shards, the
//! matrix, the schema.

use super::*;
use crate::verdict::{CategoryVerdict, PassVerdict};

fn run_info(id: &str, planned: &[&str], shard: Option<&str>) -> RunInfo {
    RunInfo {
        id: id.into(),
        tool: crate::tool(),
        started: format!("2026-12-02T0{}:00:00Z", id.len() % 10),
        finished: Some("2026-12-02T09:00:00Z".into()),
        resumed: Vec::new(),
        suite: "builtin".into(),
        apps_file: Some("apps.yaml".into()),
        shard: shard.map(str::to_string),
        planned: planned.iter().map(|p| (*p).to_string()).collect(),
        retries: 1,
        timeout_per_app_s: 900,
        interrupted: false,
        merged_from: Vec::new(),
        missing_shards: Vec::new(),
        devices: vec![DeviceEntry {
            serial: "emulator-5554".into(),
            server: "127.0.0.1:5037".into(),
            model: None,
            sdk: Some(34),
            apps: 1,
            lost: 0,
        }],
    }
}

fn verdicts(pkg: &str, v: Verdict) -> AppVerdicts {
    AppVerdicts {
        version: crate::verdict::VERSION,
        tool: crate::tool(),
        package: pkg.into(),
        app_type: None,
        runs: Vec::new(),
        categories: Category::ALL
            .iter()
            .enumerate()
            .map(|(i, c)| CategoryVerdict {
                category: c.id().into(),
                title: c.title().into(),
                verdict: if i == 0 { v } else { Verdict::Pass },
                summary: "s".into(),
                findings: Vec::new(),
                passes: vec![PassVerdict {
                    pass: "granted".into(),
                    verdict: Some(v),
                    why: "w".into(),
                }],
                not_covered: Vec::new(),
                notes: Vec::new(),
            })
            .collect(),
    }
}

fn result(pkg: &str, status: AppStatus, retried: bool) -> AppResult {
    let attempt = |n: u32, end: AttemptEnd| Attempt {
        number: n,
        device: "emulator-5554".into(),
        started: "2026-12-02T08:00:00Z".into(),
        finished: "2026-12-02T08:01:00Z".into(),
        end,
        detail: None,
        reset: None,
    };
    let mut attempts = Vec::new();
    if retried {
        attempts.push(attempt(1, AttemptEnd::DeviceLost));
    }
    attempts.push(attempt(
        u32::try_from(attempts.len()).unwrap() + 1,
        if status == AppStatus::Judged {
            AttemptEnd::Judged
        } else {
            AttemptEnd::Failed
        },
    ));
    AppResult {
        version: VERSION,
        package: pkg.into(),
        app_type: None,
        tags: Vec::new(),
        status,
        retried,
        attempts,
        problems: Vec::new(),
    }
}

/// A batch directory on disk with the given apps finished.
fn batch_dir(root: &Path, run: &RunInfo, done: &[(AppResult, Option<AppVerdicts>)]) {
    std::fs::create_dir_all(root).unwrap();
    write_atomic(&root.join(BATCH_FILE), &to_json(run)).unwrap();
    for (r, v) in done {
        let d = root.join(APPS_DIR).join(&r.package);
        std::fs::create_dir_all(&d).unwrap();
        if let Some(v) = v {
            write_atomic(&d.join(VERDICTS_FILE), &to_json(v)).unwrap();
        }
        write_atomic(&d.join(RESULT_FILE), &to_json(r)).unwrap();
    }
}

#[test]
fn a_batch_directory_makes_a_report_with_apps_not_run_listed() {
    let tmp = tempfile::tempdir().unwrap();
    let run = run_info("r1", &["com.a.one", "com.a.two", "com.a.three"], None);
    batch_dir(
        tmp.path(),
        &run,
        &[
            (
                result("com.a.one", AppStatus::Judged, true),
                Some(verdicts("com.a.one", Verdict::Violation)),
            ),
            (result("com.a.two", AppStatus::Error, false), None),
        ],
    );
    let r = load(tmp.path()).unwrap();
    assert_eq!(r.apps.len(), 3);
    assert_eq!(r.apps[0].runs_dir.as_deref(), Some("attempt-2"));
    assert_eq!(r.apps[2].result.status, AppStatus::NotRun);
    assert_eq!(
        (r.summary.judged, r.summary.errors, r.summary.not_run),
        (1, 1, 1)
    );
    assert_eq!((r.summary.retried, r.summary.apps_with_violations), (1, 1));
    // An app in error is an error in every category; one not run has none.
    assert_eq!(
        r.apps[1].verdict(Category::CollectBeforeConsent),
        Some(Verdict::Error)
    );
    assert_eq!(r.apps[2].verdict(Category::CollectBeforeConsent), None);
    assert_eq!(r.summary.verdicts["error"], 8);
    assert_eq!(r.summary.verdicts["violation"], 1);
    let m = matrix(&r, false);
    assert!(m.contains("com.a.one") && m.contains("VIOL"), "{m}");
    assert!(m.contains("(retried)") && m.contains("(not run)"), "{m}");
    assert!(m.contains("1: collect-before-consent"), "{m}");
    // Written and read back, report.json is the canonical copy.
    write_all(&r, tmp.path(), &[Format::Json]).unwrap();
    std::fs::remove_file(tmp.path().join(BATCH_FILE)).unwrap();
    assert_eq!(load(tmp.path()).unwrap(), r);
    assert!(load(&tmp.path().join("nothing")).is_err());
}

#[test]
fn shards_merge_with_their_directories_relative_to_the_merge() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("shard-1"), tmp.path().join("shard-2"));
    batch_dir(
        &a,
        &run_info("ra", &["com.a.one"], Some("1/2")),
        &[(
            result("com.a.one", AppStatus::Judged, false),
            Some(verdicts("com.a.one", Verdict::Pass)),
        )],
    );
    batch_dir(
        &b,
        &run_info("rbb", &["com.a.two"], Some("2/2")),
        &[(
            result("com.a.two", AppStatus::Judged, false),
            Some(verdicts("com.a.two", Verdict::Violation)),
        )],
    );
    let out = tmp.path().join("merged");
    let parts = vec![
        (a.clone(), load(&a).unwrap()),
        (b.clone(), load(&b).unwrap()),
    ];
    let m = merge(&parts, &out, "m".into(), false).unwrap();
    assert_eq!(m.run.merged_from, ["ra", "rbb"]);
    assert_eq!(m.run.planned, ["com.a.one", "com.a.two"]);
    assert_eq!(m.apps[0].dir, "../shard-1/apps/com.a.one");
    assert_eq!(m.apps[1].dir, "../shard-2/apps/com.a.two");
    assert_eq!(m.run.devices.len(), 1);
    assert_eq!(m.run.devices[0].apps, 2);
    assert_eq!(m.summary.apps_with_violations, 1);
    assert!(m.run.shard.is_none());
    // The same shard twice, or one app in two shards, is refused.
    let twice = vec![parts[0].clone(), parts[0].clone()];
    let e = merge(&twice, &out, "m".into(), false)
        .unwrap_err()
        .to_string();
    assert!(e.contains("given twice"), "{e}");
    let mut other = parts[1].clone();
    other.1.apps[0].result.package = "com.a.one".into();
    let e = merge(&[parts[0].clone(), other], &out, "m".into(), false)
        .unwrap_err()
        .to_string();
    assert!(e.contains("overlap"), "{e}");
    assert!(merge(&[], &out, "m".into(), false).is_err());
    let refused = |with: Vec<(PathBuf, Report)>, partial: bool| {
        merge(&with, &out, "m".into(), partial)
            .unwrap_err()
            .to_string()
    };
    // Another suite, another split, or a whole run among shards.
    let mut other = parts[1].clone();
    other.1.run.suite = "my-suite".into();
    let e = refused(vec![parts[0].clone(), other], false);
    assert!(e.contains("suite `my-suite`"), "{e}");
    let mut other = parts[1].clone();
    other.1.run.shard = Some("3/3".into());
    let e = refused(vec![parts[0].clone(), other], false);
    assert!(e.contains("different splits"), "{e}");
    let mut other = parts[1].clone();
    other.1.run.shard = None;
    let e = refused(vec![parts[0].clone(), other], false);
    assert!(e.contains("not a shard"), "{e}");
    // A missing shard is refused, unless --partial, which names it.
    let e = refused(vec![parts[1].clone()], false);
    assert!(e.contains("shard 1/2 is missing"), "{e}");
    let m = merge(&[parts[1].clone()], &out, "m".into(), true).unwrap();
    assert_eq!(m.run.missing_shards, ["1/2"]);
    assert_eq!(m.apps.len(), 1);
    assert!(crate::report::markdown::render(&m).contains("shards missing: 1/2"));
}

#[test]
fn relative_paths() {
    assert_eq!(relative(Path::new("/a/b/m"), Path::new("/a/b/s1")), "../s1");
    assert_eq!(relative(Path::new("/a/m"), Path::new("/a/m/s")), "s");
    assert_eq!(relative(Path::new("/a/m"), Path::new("/a/m")), ".");
    assert_eq!(relative(Path::new("/x/y"), Path::new("/a")), "../../a");
}

#[test]
fn schema_is_current() {
    assert_eq!(
        include_str!("../../schemas/report.schema.json"),
        schema_json(),
        "schemas/report.schema.json is stale: run `make schema`"
    );
    assert_eq!(
        include_str!("../../schemas/apps.schema.json"),
        crate::batch::apps::schema_json(),
        "schemas/apps.schema.json is stale: run `make schema`"
    );
}
