//! Small outputs: `getprop` (`[key]: [value]`, values may span lines),
//! `pm list packages` (with `-f` paths, `-U` uids, `--show-versioncode`),
//! and `wm size` (`Physical size: 1080x2400`, `Override size: ...`).

use std::collections::BTreeMap;

use serde::Serialize;

/// `getprop` output.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Props {
    pub values: BTreeMap<String, String>,
    pub unknown: usize,
    pub unknown_lines: Vec<usize>,
}

impl Props {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// `ro.build.version.sdk` as a number.
    pub fn sdk(&self) -> Option<u32> {
        self.get("ro.build.version.sdk")?.trim().parse().ok()
    }

    /// Whether this is an emulator (`ro.kernel.qemu=1` or `ro.boot.qemu=1`).
    pub fn is_emulator(&self) -> bool {
        self.get("ro.kernel.qemu") == Some("1") || self.get("ro.boot.qemu") == Some("1")
    }
}

/// Parses `getprop` with no arguments.
pub fn parse_getprop(text: &str) -> Props {
    let mut props = Props::default();
    let mut pending: Option<(String, String, usize)> = None;
    for (i, raw) in text.trim_start_matches('\u{feff}').split('\n').enumerate() {
        let line = raw.trim_end_matches('\r');
        if let Some((key, mut value, start)) = pending.take() {
            value.push('\n');
            if let Some(end) = line.strip_suffix(']') {
                value.push_str(end);
                props.values.insert(key, value);
            } else {
                value.push_str(line);
                pending = Some((key, value, start));
            }
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        let parsed = line
            .strip_prefix('[')
            .and_then(|r| r.split_once("]: ["))
            .map(|(k, v)| (k.to_string(), v.to_string()));
        let Some((k, v)) = parsed else {
            props.unknown += 1;
            props.unknown_lines.push(i + 1);
            continue;
        };
        match v.strip_suffix(']') {
            Some(v) => {
                props.values.insert(k, v.to_string());
            }
            None => pending = Some((k, v, i + 1)),
        }
    }
    if let Some((_, _, start)) = pending {
        // A value that never closed.
        props.unknown += 1;
        props.unknown_lines.push(start);
    }
    props
}

/// One `pm list packages` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackageLine {
    pub package: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_code: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PackageList {
    pub packages: Vec<PackageLine>,
    pub unknown: usize,
    pub unknown_lines: Vec<usize>,
}

/// Parses `pm list packages [-f] [-3] [-U] [--show-versioncode]`.
pub fn parse_package_list(text: &str) -> PackageList {
    let mut list = PackageList::default();
    for (i, raw) in text.trim_start_matches('\u{feff}').split('\n').enumerate() {
        let line = raw.trim_end_matches('\r').trim();
        if line.is_empty() {
            continue;
        }
        let Some(rest) = line.strip_prefix("package:") else {
            list.unknown += 1;
            list.unknown_lines.push(i + 1);
            continue;
        };
        let mut words = rest.split_whitespace();
        let first = words.next().unwrap_or("");
        // -f: path=package; a path may itself contain '=' (base64 dirs).
        let (path, package) = match first.rsplit_once('=') {
            Some((p, pkg)) if p.starts_with('/') => (Some(p.to_string()), pkg.to_string()),
            _ => (None, first.to_string()),
        };
        let mut entry = PackageLine {
            package,
            path,
            uid: None,
            version_code: None,
        };
        for w in words {
            if let Some(u) = w.strip_prefix("uid:") {
                entry.uid = u.split(',').next().and_then(|n| n.parse().ok());
            } else if let Some(v) = w.strip_prefix("versionCode:") {
                entry.version_code = v.parse().ok();
            }
        }
        if entry.package.is_empty() {
            list.unknown += 1;
            list.unknown_lines.push(i + 1);
        } else {
            list.packages.push(entry);
        }
    }
    list
}

/// `wm size` output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ScreenSize {
    pub width: u32,
    pub height: u32,
    /// Set by `wm size WxH`; what apps see when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub override_size: Option<(u32, u32)>,
}

impl ScreenSize {
    /// The size apps draw at.
    pub fn effective(&self) -> (u32, u32) {
        self.override_size.unwrap_or((self.width, self.height))
    }
}

fn dims(s: &str) -> Option<(u32, u32)> {
    let (w, h) = s.trim().split_once('x')?;
    Some((w.trim().parse().ok()?, h.trim().parse().ok()?))
}

/// Parses `wm size`; `None` when there is no `Physical size:` line.
pub fn parse_wm_size(text: &str) -> Option<ScreenSize> {
    let mut physical = None;
    let mut over = None;
    for line in text.lines() {
        let t = line.trim();
        if let Some(v) = t.strip_prefix("Physical size:") {
            physical = dims(v);
        } else if let Some(v) = t.strip_prefix("Override size:") {
            over = dims(v);
        }
    }
    let (width, height) = physical?;
    Some(ScreenSize {
        width,
        height,
        override_size: over,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn getprop_multiline_and_unknown() {
        let p = parse_getprop(
            "[ro.build.version.sdk]: [34]\r\n[a.b]: [line1\nline2]\n[ro.kernel.qemu]: [1]\nnoise\n",
        );
        assert_eq!(p.sdk(), Some(34));
        assert_eq!(p.get("a.b"), Some("line1\nline2"));
        assert!(p.is_emulator());
        assert_eq!(p.unknown_lines, [5]);
    }

    #[test]
    fn package_lists() {
        let l = parse_package_list(
            "package:/data/app/~~a==/com.x-b==/base.apk=com.x\npackage:com.y uid:10153\npackage:com.z versionCode:42\nwhat\n",
        );
        assert_eq!(l.packages[0].package, "com.x");
        assert_eq!(
            l.packages[0].path.as_deref(),
            Some("/data/app/~~a==/com.x-b==/base.apk")
        );
        assert_eq!(l.packages[1].uid, Some(10153));
        assert_eq!(l.packages[2].version_code, Some(42));
        assert_eq!(l.unknown, 1);
    }

    #[test]
    fn wm_sizes() {
        let s = parse_wm_size("Physical size: 1080x2400\nOverride size: 720x1600\n").expect("size");
        assert_eq!(
            (s.width, s.height, s.effective()),
            (1080, 2400, (720, 1600))
        );
        assert_eq!(parse_wm_size("nothing"), None);
    }
}
