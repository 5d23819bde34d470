//! A small in-memory filesystem for `adb push/pull` and files commands
//! write (`/sdcard/window_dump.xml`): writable `/sdcard` and
//! `/data/local/tmp`, read-only elsewhere.

use std::collections::BTreeMap;

use crate::sim::backend::FileStat;

const DIRS: &[&str] = &[
    "/",
    "/sdcard",
    "/data",
    "/data/local",
    "/data/local/tmp",
    "/storage",
    "/storage/emulated",
    "/storage/emulated/0",
];

/// Files by normalised absolute path.
#[derive(Debug, Default)]
pub struct Fs {
    files: BTreeMap<String, (Vec<u8>, u32, u32)>,
    dirs: BTreeMap<String, u32>,
}

/// `/storage/emulated/0/x` and `/sdcard/./x` → `/sdcard/x`.
pub fn normalise(path: &str) -> String {
    let path = path.replacen("/storage/emulated/0", "/sdcard", 1).replacen(
        "/storage/self/primary",
        "/sdcard",
        1,
    );
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            x => parts.push(x),
        }
    }
    format!("/{}", parts.join("/"))
}

fn writable(path: &str) -> bool {
    path.starts_with("/sdcard/") || path.starts_with("/data/local/tmp/")
}

impl Fs {
    fn is_dir(&self, p: &str) -> bool {
        DIRS.contains(&p) || self.dirs.contains_key(p)
    }

    pub fn stat(&self, path: &str) -> Option<FileStat> {
        let p = normalise(path);
        if let Some((data, mode, mtime)) = self.files.get(&p) {
            let size = u32::try_from(data.len()).unwrap_or(u32::MAX);
            return Some(FileStat {
                mode: 0o100_000 | (mode & 0o7777),
                size,
                mtime: *mtime,
            });
        }
        self.is_dir(&p).then(|| FileStat {
            mode: 0o040_771,
            size: 4096,
            mtime: self.dirs.get(&p).copied().unwrap_or(0),
        })
    }

    pub fn list(&self, path: &str) -> Option<Vec<(String, FileStat)>> {
        let p = normalise(path);
        if !self.is_dir(&p) {
            return None;
        }
        let prefix = if p == "/" {
            "/".to_string()
        } else {
            format!("{p}/")
        };
        let mut names: Vec<String> = self
            .files
            .keys()
            .map(String::as_str)
            .chain(DIRS.iter().copied())
            .chain(self.dirs.keys().map(String::as_str))
            .filter_map(|f| f.strip_prefix(&prefix))
            .filter(|rest| !rest.is_empty() && !rest.contains('/'))
            .map(str::to_string)
            .collect();
        names.sort();
        names.dedup();
        Some(
            names
                .into_iter()
                .filter_map(|n| self.stat(&format!("{prefix}{n}")).map(|s| (n, s)))
                .collect(),
        )
    }

    pub fn read(&self, path: &str) -> Option<Vec<u8>> {
        self.files.get(&normalise(path)).map(|f| f.0.clone())
    }

    pub fn write(
        &mut self,
        path: &str,
        data: Vec<u8>,
        mode: u32,
        mtime: u32,
    ) -> Result<(), String> {
        let p = normalise(path);
        if self.is_dir(&p) {
            return Err("couldn't create file: Is a directory".into());
        }
        if !writable(&p) {
            return Err("couldn't create file: Read-only file system".into());
        }
        // implicit parent directories (adb push creates them)
        let mut parent = p.rsplit_once('/').map_or("", |x| x.0).to_string();
        while writable(&format!("{parent}/")) && !self.is_dir(&parent) {
            self.dirs.insert(parent.clone(), mtime);
            parent = parent.rsplit_once('/').map_or("", |x| x.0).to_string();
        }
        self.files
            .insert(p, (data, if mode == 0 { 0o644 } else { mode }, mtime));
        Ok(())
    }

    pub fn remove(&mut self, path: &str) -> bool {
        self.files.remove(&normalise(path)).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_pull_list() {
        let mut fs = Fs::default();
        fs.write("/sdcard/a/b.txt", b"hi".to_vec(), 0o644, 5)
            .unwrap();
        assert_eq!(fs.read("/storage/emulated/0/a/b.txt").unwrap(), b"hi");
        assert_eq!(fs.list("/sdcard").unwrap()[0].0, "a");
        assert!(fs.write("/system/x", vec![], 0, 0).is_err());
        assert_eq!(fs.stat("/sdcard/a/b.txt").unwrap().size, 2);
        assert!(fs.stat("/nope").is_none());
    }
}
