//! What the batch end-to-end tests share: waiting for a `consentry`
//! process within a bound, the verdicts of a report by package, and an app
//! list of fixture apps with their expected types.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use consentry::report::Report;
use consentry::verdict::AppVerdicts;

use super::expected::expected;

/// What a finished process printed.
pub struct Finished {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Waits for a child within `limit`, killing it on the way out.
pub fn wait(mut child: Child, limit: Duration) -> Finished {
    let start = Instant::now();
    loop {
        match child.try_wait().expect("wait") {
            Some(_) => break,
            None if start.elapsed() > limit => {
                let _ = child.kill();
                let out = child.wait_with_output().expect("output");
                panic!(
                    "the command did not finish within {limit:?}\n{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            None => std::thread::sleep(Duration::from_millis(200)),
        }
    }
    let out = child.wait_with_output().expect("output");
    Finished {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The verdicts of a report, by package.
pub fn verdicts_of(r: &Report) -> BTreeMap<String, AppVerdicts> {
    r.apps
        .iter()
        .filter_map(|a| a.verdicts.clone().map(|v| (a.package().to_string(), v)))
        .collect()
}

/// `dir/apps.yaml`: a list of some fixture apps, with their types.
pub fn list(dir: &Path, apps: &[&str]) -> PathBuf {
    use std::fmt::Write as _;
    let exp = expected();
    let mut text = String::from("kind: app-list\nversion: 1\napps:\n");
    for a in apps {
        let _ = writeln!(text, "  - package: {a}");
        if let Some(Some(t)) = exp.types.get(*a) {
            let _ = writeln!(text, "    app_type: {t}");
        }
    }
    let path = dir.join("apps.yaml");
    std::fs::write(&path, text).expect("list written");
    path
}
