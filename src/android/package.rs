//! `dumpsys package PKG` → each package block's uid and permissions:
//! requested, install (with `granted=`) and runtime (per user, with
//! `granted=` and `flags=[ USER_SET|USER_FIXED|524288 ]`, raw numbers kept).
//!
//! Works by sections and indentation, not line numbers, so vendor lines
//! (ColorOS overlay paths, Samsung extras) are skipped. A line inside a
//! permission section that does not parse is counted as unknown.

use serde::Serialize;

/// One flag of a permission: a name, or a raw number Android printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum PermissionFlag {
    Named(String),
    Raw(u64),
}

/// A permission line with its grant state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PermissionState {
    pub line: usize,
    pub name: String,
    pub granted: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<PermissionFlag>,
}

impl PermissionState {
    pub fn has_flag(&self, name: &str) -> bool {
        self.flags
            .iter()
            .any(|f| matches!(f, PermissionFlag::Named(n) if n == name))
    }

    /// Denied by the user once (`USER_SET` without a grant).
    pub fn user_denied(&self) -> bool {
        !self.granted && self.has_flag("USER_SET")
    }

    /// Denied twice: the system no longer shows the dialog.
    pub fn user_fixed(&self) -> bool {
        self.has_flag("USER_FIXED")
    }
}

/// Runtime permissions of one user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserPermissions {
    pub user: u32,
    pub installed: Option<bool>,
    pub runtime: Vec<PermissionState>,
}

/// One `Package [name] (hash):` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct PackageInfo {
    pub name: String,
    /// From `userId=` (Android ≤ 11) or `appId=` (12+).
    pub uid: Option<u32>,
    pub version_name: Option<String>,
    pub target_sdk: Option<u32>,
    pub requested: Vec<String>,
    pub install: Vec<PermissionState>,
    pub users: Vec<UserPermissions>,
    /// Runtime permissions printed outside any `User N:` block (old releases).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub runtime: Vec<PermissionState>,
}

impl PackageInfo {
    /// The runtime permissions of user 0 (or of the package, on old
    /// releases).
    pub fn runtime_permissions(&self) -> &[PermissionState] {
        self.users
            .iter()
            .find(|u| u.user == 0)
            .map_or(&self.runtime[..], |u| &u.runtime[..])
    }

    /// A runtime permission of user 0 (or of the package, on old releases).
    pub fn runtime_permission(&self, name: &str) -> Option<&PermissionState> {
        self.runtime_permissions().iter().find(|p| p.name == name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct PackageDump {
    pub packages: Vec<PackageInfo>,
    pub unknown: usize,
    pub unknown_lines: Vec<usize>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    None,
    Requested,
    Install,
    Runtime,
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// `name: granted=true, flags=[ USER_SET|524288]`.
fn permission_line(t: &str, line: usize) -> Option<PermissionState> {
    let (name, rest) = t.split_once(": ")?;
    if name.is_empty() || name.contains(char::is_whitespace) {
        return None;
    }
    let mut granted = None;
    let mut flags = Vec::new();
    for part in split_top(rest) {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("granted=") {
            granted = Some(v == "true");
        } else if let Some(v) = part.strip_prefix("flags=") {
            let inner = v.trim().trim_start_matches('[').trim_end_matches(']');
            for f in inner.split('|').map(str::trim).filter(|f| !f.is_empty()) {
                flags.push(match f.parse::<u64>() {
                    Ok(n) => PermissionFlag::Raw(n),
                    Err(_) => match f
                        .strip_prefix("0x")
                        .and_then(|h| u64::from_str_radix(h, 16).ok())
                    {
                        Some(n) => PermissionFlag::Raw(n),
                        None => PermissionFlag::Named(f.to_string()),
                    },
                });
            }
        }
    }
    Some(PermissionState {
        line,
        name: name.to_string(),
        granted: granted?,
        flags,
    })
}

/// Splits on commas that are not inside `[...]`.
fn split_top(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// Parses `dumpsys package` output (one package or a whole dump).
pub fn parse(text: &str) -> PackageDump {
    let text = text.trim_start_matches('\u{feff}');
    let mut dump = PackageDump::default();
    let mut section = Section::None;
    let mut section_indent = 0usize;
    let mut pkg_indent = 0usize;
    let mut in_package = false;
    // The `User N:` block runtime permissions go to (an index in `users`).
    let mut user: Option<usize> = None;
    for (i, raw) in text.split('\n').enumerate() {
        let line_no = i + 1;
        let line = raw.trim_end_matches('\r');
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        let indent = indent_of(line);
        if let Some(rest) = t.strip_prefix("Package [") {
            if let Some((name, _)) = rest.split_once(']') {
                dump.packages.push(PackageInfo {
                    name: name.to_string(),
                    ..PackageInfo::default()
                });
                in_package = true;
                pkg_indent = indent;
                section = Section::None;
                user = None;
                continue;
            }
        }
        if in_package && indent <= pkg_indent {
            in_package = false;
            section = Section::None;
        }
        let Some(pkg) = dump.packages.last_mut().filter(|_| in_package) else {
            continue;
        };
        if section != Section::None && indent <= section_indent {
            section = Section::None;
        }
        match section {
            Section::Requested => {
                // `android.permission.X` or `android.permission.X: restricted=true`
                let name = t.split(':').next().unwrap_or(t).trim();
                if name.is_empty() || name.contains(char::is_whitespace) {
                    dump.unknown += 1;
                    dump.unknown_lines.push(line_no);
                } else {
                    pkg.requested.push(name.to_string());
                }
                continue;
            }
            Section::Install | Section::Runtime => {
                match permission_line(t, line_no) {
                    Some(p) if section == Section::Install => pkg.install.push(p),
                    Some(p) => match user.and_then(|u| pkg.users.get_mut(u)) {
                        Some(u) => u.runtime.push(p),
                        None => pkg.runtime.push(p),
                    },
                    None => {
                        dump.unknown += 1;
                        dump.unknown_lines.push(line_no);
                    }
                }
                continue;
            }
            Section::None => {}
        }
        if let Some(v) = t
            .strip_prefix("userId=")
            .or_else(|| t.strip_prefix("appId="))
        {
            pkg.uid = v.split_whitespace().next().and_then(|n| n.parse().ok());
            continue;
        }
        if let Some(v) = t.strip_prefix("versionName=") {
            pkg.version_name = Some(v.to_string());
            continue;
        }
        if t.starts_with("versionCode=") {
            pkg.target_sdk = t
                .split_whitespace()
                .find_map(|w| w.strip_prefix("targetSdk="))
                .and_then(|n| n.parse().ok());
            continue;
        }
        if let Some(rest) = t.strip_prefix("User ") {
            if let Some((n, attrs)) = rest.split_once(':') {
                if let Ok(id) = n.trim().parse() {
                    let installed = attrs
                        .split_whitespace()
                        .find_map(|w| w.strip_prefix("installed="))
                        .map(|v| v == "true");
                    // A user printed twice continues its first block, so
                    // that each user has one list of permissions.
                    if let Some(u) = pkg.users.iter().position(|u| u.user == id) {
                        let known = &mut pkg.users[u];
                        known.installed = known.installed.or(installed);
                        user = Some(u);
                    } else {
                        pkg.users.push(UserPermissions {
                            user: id,
                            installed,
                            runtime: Vec::new(),
                        });
                        user = Some(pkg.users.len() - 1);
                    }
                    continue;
                }
            }
        }
        // Other lists (declared permissions, overlay paths, ...) are skipped:
        // their indentation does not reliably nest (ColorOS prints overlay
        // paths at the depth of the user block's own lines).
        let new_section = match t {
            "requested permissions:" => Some(Section::Requested),
            "install permissions:" => Some(Section::Install),
            "runtime permissions:" => Some(Section::Runtime),
            _ => None,
        };
        if let Some(s) = new_section {
            section = s;
            section_indent = indent;
        }
    }
    dump
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_users_flags_and_bom() {
        let text = "\u{feff}Packages:\r\n  Package [com.x] (1dc7f3):\r\n    appId=10153\r\n    versionCode=3 minSdk=24 targetSdk=34\r\n    requested permissions:\r\n      android.permission.CAMERA\r\n      android.permission.READ_MEDIA_IMAGES: restricted=true\r\n    install permissions:\r\n      android.permission.INTERNET: granted=true\r\n    User 0: ceDataInode=1 installed=true hidden=false\r\n      gids=[3003]\r\n      runtime permissions:\r\n        android.permission.CAMERA: granted=false, flags=[ USER_SET|USER_FIXED|524288]\r\n        weird line\r\n    User 10: installed=false\r\n      runtime permissions:\r\n        android.permission.CAMERA: granted=true\r\n";
        let d = parse(text);
        assert_eq!(d.packages.len(), 1);
        let p = &d.packages[0];
        assert_eq!(
            (p.name.as_str(), p.uid, p.target_sdk),
            ("com.x", Some(10153), Some(34))
        );
        assert_eq!(
            p.requested,
            [
                "android.permission.CAMERA",
                "android.permission.READ_MEDIA_IMAGES"
            ]
        );
        assert_eq!(p.install.len(), 1);
        assert_eq!(p.users.len(), 2);
        let cam = p
            .runtime_permission("android.permission.CAMERA")
            .expect("camera");
        assert!(!cam.granted && cam.user_denied() && cam.user_fixed());
        assert_eq!(cam.flags.last(), Some(&PermissionFlag::Raw(524_288)));
        assert!(p.users[1].runtime[0].granted);
        assert_eq!(d.unknown, 1);
    }

    /// Found by fuzzing (fuzz/fuzz_targets/package.rs): a second `User 0:`
    /// block started a second user 0, whose permissions
    /// `runtime_permission` never looked at; and `: granted=` was read as
    /// a permission with an empty name.
    #[test]
    fn a_repeated_user_continues_its_block_and_names_are_words() {
        let d = parse(
            "Package [com.x] (1):\n  User 0: installed=true\n  User 0:3\n  runtime permissions:\n    android.permission.CAMERA: granted=true\n    : granted=true\n    a\tb: granted=true\n",
        );
        let p = &d.packages[0];
        assert_eq!(p.users.len(), 1);
        assert_eq!(p.users[0].installed, Some(true));
        assert!(
            p.runtime_permission("android.permission.CAMERA")
                .is_some_and(|c| c.granted)
        );
        assert_eq!(d.unknown_lines, [6, 7]);
    }
}
