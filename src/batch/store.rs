//! The batch directory on disk: `batch.json`, `apps/<pkg>/attempt-<n>/`
//! for each attempt's runs, `apps/<pkg>/verdicts.json` and `result.json`
//! written atomically when an app is done, then a line appended to
//! `index.jsonl`. What is finished survives the controller being killed at
//! any moment; `--resume` reads it back (docs/batch.md).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::report::{
    self, APPS_DIR, AppResult, BATCH_FILE, INDEX_FILE, IndexLine, RESULT_FILE, ReportError,
    RunInfo, VERDICTS_FILE,
};
use crate::verdict::AppVerdicts;

/// A batch directory.
#[derive(Debug, Clone)]
pub struct BatchDir {
    root: PathBuf,
}

/// An app key (a package name, or an APK's stem) fit to be a directory
/// name: nothing but letters, digits, `.`, `_` and `-`, not `.` or `..`.
pub fn is_safe_key(key: &str) -> bool {
    !key.is_empty()
        && key != "."
        && key != ".."
        && key.len() <= 255
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ReportError + '_ {
    move |source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl BatchDir {
    /// A new batch in `root`: refuses a directory that holds a batch
    /// already (that is what `--resume` is for).
    pub fn create(root: &Path) -> Result<Self, ReportError> {
        if root.join(BATCH_FILE).exists() {
            return Err(ReportError::Format {
                path: root.to_path_buf(),
                message: "holds a batch already: finish it with --resume, or choose another --out"
                    .into(),
            });
        }
        std::fs::create_dir_all(root.join(APPS_DIR)).map_err(io(root))?;
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    /// An existing batch, to finish: its run record.
    pub fn open(root: &Path) -> Result<(Self, RunInfo), ReportError> {
        let path = root.join(BATCH_FILE);
        let text = std::fs::read_to_string(&path).map_err(io(&path))?;
        let run: RunInfo = serde_json::from_str(&text).map_err(|e| ReportError::Format {
            path: path.clone(),
            message: e.to_string(),
        })?;
        let dir = Self {
            root: root.to_path_buf(),
        };
        dir.mend_index()?;
        Ok((dir, run))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn write_run(&self, run: &RunInfo) -> Result<(), ReportError> {
        report::write_atomic(&self.root.join(BATCH_FILE), &report::to_json(run))
    }

    /// `apps/<key>`; `None` for a key that is not safe as a path.
    pub fn app_dir(&self, key: &str) -> Option<PathBuf> {
        is_safe_key(key).then(|| self.root.join(APPS_DIR).join(key))
    }

    /// `apps/<key>/attempt-<n>`.
    pub fn attempt_dir(&self, key: &str, n: u32) -> Option<PathBuf> {
        self.app_dir(key).map(|d| d.join(format!("attempt-{n}")))
    }

    /// Records a finished app: the verdicts, then the result (each through
    /// a temporary file and a rename), then its index line, flushed to
    /// disk. An app is finished once its `result.json` exists.
    pub fn finish_app(
        &self,
        result: &AppResult,
        verdicts: Option<&AppVerdicts>,
        finished: &str,
    ) -> Result<IndexLine, ReportError> {
        let dir = self
            .app_dir(&result.package)
            .ok_or_else(|| ReportError::Format {
                path: self.root.clone(),
                message: format!("`{}` cannot name a directory", result.package),
            })?;
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        if let Some(v) = verdicts {
            report::write_atomic(&dir.join(VERDICTS_FILE), &report::to_json(v))?;
        }
        report::write_atomic(&dir.join(RESULT_FILE), &report::to_json(result))?;
        let line = IndexLine {
            package: result.package.clone(),
            status: result.status,
            finished: finished.to_string(),
            worst: verdicts.and_then(AppVerdicts::worst),
        };
        self.append_index(&line)?;
        Ok(line)
    }

    fn append_index(&self, line: &IndexLine) -> Result<(), ReportError> {
        let path = self.root.join(INDEX_FILE);
        let text = serde_json::to_string(line).map_err(|e| ReportError::Format {
            path: path.clone(),
            message: e.to_string(),
        })?;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io(&path))?;
        writeln!(f, "{text}").map_err(io(&path))?;
        f.sync_all().map_err(io(&path))
    }

    /// After a kill: ends a torn last index line, and adds the lines of
    /// apps whose `result.json` landed but whose line did not.
    fn mend_index(&self) -> Result<(), ReportError> {
        let path = self.root.join(INDEX_FILE);
        if let Ok(bytes) = std::fs::read(&path) {
            if bytes.last().is_some_and(|b| *b != b'\n') {
                let mut f = std::fs::OpenOptions::new()
                    .append(true)
                    .open(&path)
                    .map_err(io(&path))?;
                f.write_all(b"\n").map_err(io(&path))?;
            }
        }
        let listed: std::collections::BTreeSet<String> = report::read_index(&self.root)?
            .into_iter()
            .map(|l| l.package)
            .collect();
        for (pkg, r) in self.results()? {
            if !listed.contains(&pkg) {
                let verdicts = report::read_app(&self.root, &pkg)?.and_then(|e| e.verdicts);
                let finished = r
                    .final_attempt()
                    .map(|a| a.finished.clone())
                    .unwrap_or_default();
                self.append_index(&IndexLine {
                    package: pkg,
                    status: r.status,
                    finished,
                    worst: verdicts.as_ref().and_then(AppVerdicts::worst),
                })?;
            }
        }
        Ok(())
    }

    /// Every finished app's result, by key.
    pub fn results(&self) -> Result<BTreeMap<String, AppResult>, ReportError> {
        let apps = self.root.join(APPS_DIR);
        let mut out = BTreeMap::new();
        let entries = match std::fs::read_dir(&apps) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(source) => return Err(ReportError::Io { path: apps, source }),
        };
        for e in entries.flatten() {
            let key = e.file_name().to_string_lossy().into_owned();
            if let Some(entry) = report::read_app(&self.root, &key)? {
                out.insert(key, entry.result);
            }
        }
        Ok(out)
    }

    /// Removes what an unfinished app left (a controller killed while it
    /// ran): it starts again from nothing.
    pub fn clear_unfinished(&self, key: &str) -> Result<(), ReportError> {
        let Some(dir) = self.app_dir(key) else {
            return Ok(());
        };
        if dir.exists() && !dir.join(RESULT_FILE).exists() {
            std::fs::remove_dir_all(&dir).map_err(io(&dir))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{AppStatus, Attempt, AttemptEnd};

    fn result(pkg: &str) -> AppResult {
        AppResult {
            version: report::VERSION,
            package: pkg.into(),
            app_type: None,
            tags: Vec::new(),
            status: AppStatus::Error,
            retried: false,
            attempts: vec![Attempt {
                number: 1,
                device: "emulator-5554".into(),
                started: "2026-12-02T00:00:00Z".into(),
                finished: "2026-12-02T00:01:00Z".into(),
                end: AttemptEnd::Failed,
                detail: Some("not installed".into()),
                reset: None,
            }],
            problems: Vec::new(),
        }
    }

    #[test]
    fn keys_that_are_not_safe_paths_are_refused() {
        for good in ["com.example.app", "my-app_2"] {
            assert!(is_safe_key(good), "{good}");
        }
        for bad in ["", ".", "..", "a/b", "../x", "a\\b", "a b", "é"] {
            assert!(!is_safe_key(bad), "{bad}");
        }
    }

    #[test]
    fn finished_apps_survive_a_kill_and_a_torn_index() {
        let tmp = tempfile::tempdir().unwrap();
        let d = BatchDir::create(tmp.path()).unwrap();
        assert!(BatchDir::create(tmp.path()).is_ok(), "no batch.json yet");
        d.finish_app(&result("com.a.one"), None, "t1").unwrap();
        // A second app whose result landed but whose index line did not,
        // and a torn line at the end.
        let two = d.app_dir("com.a.two").unwrap();
        std::fs::create_dir_all(&two).unwrap();
        report::write_atomic(
            &two.join(RESULT_FILE),
            &report::to_json(&result("com.a.two")),
        )
        .unwrap();
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(tmp.path().join(INDEX_FILE))
            .unwrap();
        f.write_all(b"{\"package\":\"com.a.th").unwrap();
        // An unfinished third app's leftovers.
        let three = d.attempt_dir("com.a.three", 1).unwrap();
        std::fs::create_dir_all(&three).unwrap();
        let run = RunInfo {
            id: "x".into(),
            tool: crate::tool(),
            started: "t0".into(),
            finished: None,
            resumed: Vec::new(),
            suite: "builtin".into(),
            apps_file: None,
            shard: None,
            planned: vec!["com.a.one".into(), "com.a.two".into(), "com.a.three".into()],
            retries: 1,
            timeout_per_app_s: 900,
            interrupted: false,
            merged_from: Vec::new(),
            missing_shards: Vec::new(),
            devices: Vec::new(),
        };
        d.write_run(&run).unwrap();
        assert!(BatchDir::create(tmp.path()).is_err());
        let (d, back) = BatchDir::open(tmp.path()).unwrap();
        assert_eq!(back, run);
        let index: Vec<String> = report::read_index(tmp.path())
            .unwrap()
            .into_iter()
            .map(|l| l.package)
            .collect();
        assert_eq!(index, ["com.a.one", "com.a.two"]);
        assert_eq!(d.results().unwrap().len(), 2);
        d.clear_unfinished("com.a.three").unwrap();
        d.clear_unfinished("com.a.one").unwrap();
        assert!(!d.app_dir("com.a.three").unwrap().exists());
        assert!(d.app_dir("com.a.one").unwrap().join(RESULT_FILE).exists());
        // The mended index stays whole when the batch appends again.
        d.finish_app(&result("com.a.three"), None, "t3").unwrap();
        assert_eq!(report::read_index(tmp.path()).unwrap().len(), 3);
    }
}
