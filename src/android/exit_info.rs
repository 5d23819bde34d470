//! `dumpsys activity exit-info [PKG]` (Android 11+) → one record per
//! `ApplicationExitInfo #N:` block, with the reason code and its name
//! (`1 (EXIT_SELF)`, `4 (APP CRASH(EXCEPTION))`, `6 (ANR)`, `8 (PERMISSION
//! CHANGE)`, `10 (USER REQUESTED)`, ...), the process, pid, uid, timestamp
//! and description. Fields are found by name, in any order, so vendor
//! additions and line wrapping do not break the parse.

use serde::Serialize;

/// `ApplicationExitInfo.REASON_*` codes the detectors care about.
pub mod reason {
    pub const EXIT_SELF: u32 = 1;
    pub const SIGNALED: u32 = 2;
    pub const LOW_MEMORY: u32 = 3;
    pub const CRASH: u32 = 4;
    pub const CRASH_NATIVE: u32 = 5;
    pub const ANR: u32 = 6;
    pub const PERMISSION_CHANGE: u32 = 8;
    pub const USER_REQUESTED: u32 = 10;
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ExitRecord {
    /// 1-based line of the `ApplicationExitInfo` header.
    pub line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<u32>,
    /// The name printed beside the code, e.g. `APP CRASH(EXCEPTION)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subreason: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl ExitRecord {
    /// The app ended itself or crashed (not killed by the system or user).
    pub fn app_initiated(&self) -> bool {
        matches!(
            self.reason,
            Some(reason::EXIT_SELF | reason::CRASH | reason::CRASH_NATIVE | reason::ANR)
        )
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ExitInfo {
    pub records: Vec<ExitRecord>,
}

const KEYS: &[&str] = &[
    "timestamp",
    "pid",
    "realUid",
    "packageUid",
    "definingUid",
    "user",
    "process",
    "reason",
    "subreason",
    "status",
    "importance",
    "pss",
    "rss",
    "description",
    "state",
    "trace",
];

/// Splits `a=1 b=two words c=3` on the known keys.
fn fields(line: &str) -> Vec<(&'static str, String)> {
    let mut marks: Vec<(usize, &'static str)> = Vec::new();
    for key in KEYS {
        let pat = format!("{key}=");
        let mut from = 0;
        while let Some(i) = line[from..].find(&pat) {
            let at = from + i;
            let boundary = at == 0 || line[..at].ends_with(' ');
            if boundary {
                marks.push((at, key));
            }
            from = at + pat.len();
        }
    }
    marks.sort_unstable();
    marks
        .iter()
        .enumerate()
        .map(|(i, (at, key))| {
            let start = at + key.len() + 1;
            let end = marks.get(i + 1).map_or(line.len(), |(next, _)| *next);
            (*key, line[start..end].trim().to_string())
        })
        .collect()
}

/// Parses the dump.
pub fn parse(text: &str) -> ExitInfo {
    let mut info = ExitInfo::default();
    let mut package: Option<String> = None;
    for (i, raw) in text.trim_start_matches('\u{feff}').split('\n').enumerate() {
        let t = raw.trim_end_matches('\r').trim();
        if let Some(p) = t.strip_prefix("package: ") {
            package = Some(p.trim().to_string());
            continue;
        }
        if t.starts_with("ApplicationExitInfo #") {
            info.records.push(ExitRecord {
                line: i + 1,
                package: package.clone(),
                ..ExitRecord::default()
            });
            continue;
        }
        let Some(rec) = info.records.last_mut() else {
            continue;
        };
        for (key, value) in fields(t) {
            match key {
                "timestamp" => rec.timestamp = Some(value),
                "pid" => rec.pid = value.parse().ok(),
                "realUid" | "packageUid" if rec.uid.is_none() => rec.uid = value.parse().ok(),
                "process" => rec.process = Some(value),
                "reason" => {
                    let (code, name) = match value.split_once(' ') {
                        Some((c, n)) => {
                            let n = n.trim();
                            let n = n
                                .strip_prefix('(')
                                .and_then(|n| n.strip_suffix(')'))
                                .unwrap_or(n);
                            (c, Some(n.to_string()))
                        }
                        None => (value.as_str(), None),
                    };
                    rec.reason = code.parse().ok();
                    rec.reason_name = name;
                }
                "subreason" => {
                    rec.subreason = value.split_whitespace().next().and_then(|c| c.parse().ok());
                }
                "status" => rec.status = value.parse().ok(),
                "description" if value != "null" => rec.description = Some(value),
                _ => {}
            }
        }
    }
    info
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aosp_dump_shape() {
        let text = "\
ACTIVITY MANAGER PROCESS EXIT INFO (dumpsys activity exit-info)
  package: com.x
    Historical Process Exit for uid=10153
        ApplicationExitInfo #0:
          timestamp=2026-01-15 10:00:05.123 pid=4321 realUid=10153 packageUid=10153 definingUid=10153 user=0
          process=com.x reason=4 (APP CRASH(EXCEPTION)) subreason=0 (UNKNOWN) status=0
          importance=100 pss=0.00 rss=0.00 description=crash java.lang.IllegalStateException: boom state=empty trace=null
        ApplicationExitInfo #1:
          timestamp=2026-01-15 09:59:00.000 pid=4000 realUid=10153 packageUid=10153 definingUid=10153 user=0
          process=com.x reason=8 (PERMISSION CHANGE) subreason=0 (UNKNOWN) status=0
";
        let info = parse(text);
        assert_eq!(info.records.len(), 2);
        let r = &info.records[0];
        assert_eq!(
            (r.pid, r.uid, r.reason),
            (Some(4321), Some(10153), Some(reason::CRASH))
        );
        assert_eq!(r.reason_name.as_deref(), Some("APP CRASH(EXCEPTION)"));
        assert_eq!(
            r.description.as_deref(),
            Some("crash java.lang.IllegalStateException: boom")
        );
        assert_eq!(r.timestamp.as_deref(), Some("2026-01-15 10:00:05.123"));
        assert!(r.app_initiated());
        assert_eq!(
            info.records[1].reason_name.as_deref(),
            Some("PERMISSION CHANGE")
        );
        assert!(
            !info.records[1].app_initiated(),
            "pm revoke kills with reason 8: not the app quitting"
        );
    }
}
