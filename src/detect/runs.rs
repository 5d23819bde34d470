//! Reading run directories: `run.json` and the files it points to
//! (logcat, raw snapshots, UI dumps), parsed with the `android` parsers.
//! The only I/O in `detect`: it reads its inputs and nothing else.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use crate::android::{appops, exit_info, logcat, package, uiautomator};
use crate::evidence::{self, Run, SnapshotRecord};
use crate::net;

/// Why a run directory could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{}: no run.json here (not a run directory, and no run directories inside)", .dir.display())]
    NotARun { dir: PathBuf },
    #[error("{}: cannot read: {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: not a valid run.json: {message}", .path.display())]
    Json {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}: run.json has format version {found}; this consentry reads version {}", .path.display(), evidence::VERSION)]
    Version { path: PathBuf, found: u32 },
}

/// A raw snapshot, parsed.
#[derive(Debug, Clone)]
pub enum SnapshotData {
    AppOps(appops::AppOps),
    Package(package::PackageDump),
    ExitInfo(exit_info::ExitInfo),
    /// A kind the rules do not read (`activity`), or a file that is gone.
    Other,
}

#[derive(Debug, Clone)]
pub struct Snapshot {
    pub record: SnapshotRecord,
    pub data: SnapshotData,
}

/// One run directory, read.
#[derive(Debug, Clone)]
pub struct LoadedRun {
    pub dir: PathBuf,
    /// How findings name the run: the directory's name.
    pub name: String,
    pub run: Run,
    /// The logcat slice's records (lines that are not records are left out).
    pub log: Vec<logcat::Record>,
    pub snapshots: Vec<Snapshot>,
    /// Every UI dump the run kept, by its path in the directory.
    pub trees: BTreeMap<String, uiautomator::UiTree>,
    /// Files `run.json` names that could not be read, with why.
    pub missing: Vec<String>,
    /// The run's network capture, read: none when the network was not
    /// captured, an error when the file could not be read or parsed.
    pub capture: Option<Result<net::Capture, String>>,
}

impl LoadedRun {
    pub fn tree(&self, rel: &str) -> Option<&uiautomator::UiTree> {
        self.trees.get(rel)
    }
}

/// The run directories under `path`: `path` itself when it holds a
/// `run.json`, else its subdirectories that do (one level, sorted), as a
/// suite run writes them.
pub fn find_runs(path: &Path) -> Result<Vec<PathBuf>, LoadError> {
    if path.join("run.json").is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let entries = std::fs::read_dir(path).map_err(|source| LoadError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("run.json").is_file())
        .collect();
    dirs.sort();
    if dirs.is_empty() {
        return Err(LoadError::NotARun {
            dir: path.to_path_buf(),
        });
    }
    Ok(dirs)
}

/// A path from `run.json`, when it stays inside the run directory.
fn inside(dir: &Path, rel: &str) -> Option<PathBuf> {
    let p = Path::new(rel);
    p.components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then(|| dir.join(p))
}

/// Reads one run directory.
pub fn load_run(dir: &Path) -> Result<LoadedRun, LoadError> {
    let path = dir.join("run.json");
    let text = std::fs::read_to_string(&path).map_err(|source| LoadError::Read {
        path: path.clone(),
        source,
    })?;
    let probe: serde_json::Value = serde_json::from_str(&text).map_err(|e| LoadError::Json {
        path: path.clone(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let version = probe
        .get("version")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0);
    if version != u64::from(evidence::VERSION) {
        return Err(LoadError::Version {
            path,
            found: u32::try_from(version).unwrap_or(u32::MAX),
        });
    }
    let run: Run = serde_json::from_str(&text).map_err(|e| LoadError::Json {
        path: path.clone(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let name = dir.file_name().map_or_else(
        || dir.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut missing = Vec::new();
    let read = |rel: &str, missing: &mut Vec<String>| -> Option<String> {
        let Some(p) = inside(dir, rel) else {
            missing.push(format!("{rel}: outside the run directory, not read"));
            return None;
        };
        match std::fs::read_to_string(&p) {
            Ok(t) => Some(t),
            Err(e) => {
                missing.push(format!("{rel}: {e}"));
                None
            }
        }
    };
    let log = run
        .logcat
        .file
        .as_deref()
        .and_then(|rel| read(rel, &mut missing))
        .map(|t| {
            logcat::parse(&t)
                .entries
                .into_iter()
                .filter_map(|e| match e {
                    logcat::Entry::Record(r) => Some(r),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let snapshots = run
        .snapshots
        .iter()
        .map(|s| {
            let data = match s.kind.as_str() {
                "appops" | "package" | "exit-info" => match read(&s.file, &mut missing) {
                    Some(t) if s.kind == "appops" => SnapshotData::AppOps(appops::parse(&t)),
                    Some(t) if s.kind == "package" => SnapshotData::Package(package::parse(&t)),
                    Some(t) => SnapshotData::ExitInfo(exit_info::parse(&t)),
                    None => SnapshotData::Other,
                },
                _ => SnapshotData::Other,
            };
            Snapshot {
                record: s.clone(),
                data,
            }
        })
        .collect();
    let mut tree_files: Vec<String> = run
        .artifacts
        .iter()
        .filter(|a| a.kind == "ui-tree")
        .map(|a| a.file.clone())
        .collect();
    tree_files.extend(run.dialogs.iter().filter_map(|d| d.tree.clone()));
    for e in &run.explorations {
        tree_files.extend(e.screens.iter().filter_map(|s| s.tree.clone()));
    }
    tree_files.sort();
    tree_files.dedup();
    let mut trees = BTreeMap::new();
    for rel in tree_files {
        if let Some(t) = read(&rel, &mut missing) {
            match uiautomator::parse(&t) {
                Ok(tree) => {
                    trees.insert(rel, tree);
                }
                Err(e) => missing.push(format!("{rel}: {e}")),
            }
        }
    }
    let capture = run
        .network
        .as_ref()
        .and_then(|n| n.file.as_deref())
        .map(|rel| {
            let p = inside(dir, rel)
                .ok_or_else(|| format!("{rel}: outside the run directory, not read"))?;
            let bytes = std::fs::read(&p).map_err(|e| format!("{rel}: {e}"))?;
            net::read_capture(&bytes).map_err(|e| format!("{rel}: {e}"))
        });
    if let Some(Err(e)) = &capture {
        missing.push(e.clone());
    }
    Ok(LoadedRun {
        dir: dir.to_path_buf(),
        name,
        run,
        log,
        snapshots,
        trees,
        missing,
        capture,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_must_stay_inside() {
        let d = Path::new("/runs/x");
        assert!(inside(d, "screens/001-a.xml").is_some());
        assert!(inside(d, "../other/run.json").is_none());
        assert!(inside(d, "/etc/passwd").is_none());
        assert!(inside(d, "screens/../../x").is_none());
    }

    #[test]
    fn not_a_run_names_the_directory() {
        let dir =
            std::env::temp_dir().join(format!("consentry-detect-empty-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let e = find_runs(&dir).unwrap_err().to_string();
        assert!(e.contains("no run.json"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
