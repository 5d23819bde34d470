//! The record of the emulators this user's controllers started, one JSON
//! file per instance in `$XDG_STATE_HOME/consentry/emulators/` (else
//! `~/.local/state/consentry/emulators/`), written when an instance has
//! booted and removed when it is stopped. `consentry emulator list` and
//! `stop` read it; it also lets `stop --all` end instances whose batch was
//! killed before it could stop them.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::EmulatorError;

/// One running instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub serial: String,
    pub avd: String,
    pub console_port: u16,
    /// The process and its group.
    pub pid: u32,
    /// RFC 3339.
    pub started: String,
    /// `consentry emulator start`, or `batch` with the controller's pid.
    pub owner: String,
    pub log: String,
}

/// The state directory.
pub fn dir() -> Option<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    env("XDG_STATE_HOME")
        .or_else(|| env("HOME").map(|h| h.join(".local").join("state")))
        .map(|d| d.join("consentry").join("emulators"))
}

fn file(dir: &Path, serial: &str) -> PathBuf {
    dir.join(format!("{serial}.json"))
}

/// Writes the record (atomically: a temp file, then a rename).
pub fn write(dir: &Path, r: &Record) -> Result<(), EmulatorError> {
    let io = |path: &Path, source| EmulatorError::Io {
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let path = file(dir, &r.serial);
    let tmp = path.with_extension("json.tmp");
    let text = serde_json::to_string_pretty(r).unwrap_or_default();
    std::fs::write(&tmp, text).map_err(|e| io(&tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| io(&path, e))
}

/// Removes the record of `serial`, if there is one.
pub fn remove(dir: &Path, serial: &str) {
    let _ = std::fs::remove_file(file(dir, serial));
}

/// Every record, by serial; files that do not parse are named in the
/// second list.
pub fn read_all(dir: &Path) -> (Vec<Record>, Vec<String>) {
    let mut records = Vec::new();
    let mut bad = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (records, bad);
    };
    for e in entries.flatten() {
        let path = e.path();
        if path.extension().and_then(|x| x.to_str()) != Some("json") {
            continue;
        }
        match std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str::<Record>(&t).map_err(|e| e.to_string()))
        {
            Ok(r) => records.push(r),
            Err(e) => bad.push(format!("{}: {e}", path.display())),
        }
    }
    records.sort_by_key(|r| r.console_port);
    (records, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip() {
        let d = tempfile::tempdir().expect("tempdir");
        let r = Record {
            serial: "emulator-5556".into(),
            avd: "Pixel_7".into(),
            console_port: 5556,
            pid: 42,
            started: "2026-12-02T18:00:00Z".into(),
            owner: "batch 7".into(),
            log: "/tmp/emulator-5556.log".into(),
        };
        write(d.path(), &r).expect("write");
        std::fs::write(d.path().join("junk.json"), "{").expect("junk");
        let (all, bad) = read_all(d.path());
        assert_eq!(all, vec![r]);
        assert_eq!(bad.len(), 1);
        remove(d.path(), "emulator-5556");
        assert!(read_all(d.path()).0.is_empty());
    }
}
