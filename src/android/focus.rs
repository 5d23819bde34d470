//! What is in front: the resumed activity from `dumpsys activity
//! activities` (`topResumedActivity=`, `ResumedActivity:`,
//! `mResumedActivity:`, `mFocusedActivity:` across Android 8.1 to 15) and
//! the focused window from `dumpsys window` (`mCurrentFocus=`,
//! `mFocusedWindow=`, `mFocusedApp=`), including non-app windows such as
//! `StatusBar` or `NotificationShade`.

use serde::Serialize;

/// `ActivityRecord{1f72345 u0 com.x/.Main t12}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActivityRef {
    pub line: usize,
    /// The key that named it (`topResumedActivity`, `mResumedActivity`, ...).
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<u32>,
    pub package: String,
    /// Fully qualified (`.Main` expanded with the package).
    pub activity: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task: Option<u32>,
}

/// `Window{c4a2e6e u0 com.x/com.x.Main}` or `Window{... u0 StatusBar}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WindowRef {
    pub line: usize,
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<u32>,
    /// The app's package; `None` for system windows (`StatusBar`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// The window title as printed (`com.x/com.x.Main`, `StatusBar`).
    pub title: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Focus {
    /// Every resumed-activity line, in order (one per display or stack).
    pub resumed: Vec<ActivityRef>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub focused_windows: Vec<WindowRef>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub focused_apps: Vec<ActivityRef>,
}

impl Focus {
    /// The package in front: the top resumed activity, else the focused window.
    pub fn foreground_package(&self) -> Option<&str> {
        self.resumed
            .iter()
            .find(|a| a.source == "topResumedActivity")
            .or_else(|| self.resumed.first())
            .map(|a| a.package.as_str())
            .or_else(|| {
                self.focused_windows
                    .iter()
                    .find_map(|w| w.package.as_deref())
            })
    }
}

/// The `{...}` body after `ActivityRecord` (the innermost one), and what
/// follows it: Android 13 prints the task after the brace
/// (`ActivityRecord{1f72345 u0 com.x/.Main} t12}`).
fn record_body<'a>(text: &'a str, kind: &str) -> Option<(&'a str, &'a str)> {
    let start = text.rfind(&format!("{kind}{{"))? + kind.len() + 1;
    let end = text[start..].find('}')? + start;
    Some((&text[start..end], &text[end + 1..]))
}

fn user_of(tok: &str) -> Option<u32> {
    tok.strip_prefix('u').and_then(|n| n.parse().ok())
}

fn activity((body, after): (&str, &str), line: usize, source: &str) -> Option<ActivityRef> {
    // hash u0 pkg/cls tN [extra]
    let words: Vec<&str> = body.split_whitespace().collect();
    let comp_idx = words.iter().position(|w| w.contains('/'))?;
    let (package, cls) = words[comp_idx].split_once('/')?;
    let user = words[..comp_idx].iter().rev().find_map(|w| user_of(w));
    let trailing = after.split('}').next().unwrap_or("");
    let task = words[comp_idx + 1..]
        .iter()
        .copied()
        .chain(trailing.split_whitespace())
        .find_map(|w| w.strip_prefix('t').and_then(|n| n.parse().ok()));
    let activity = if cls.starts_with('.') {
        format!("{package}{cls}")
    } else {
        cls.to_string()
    };
    Some(ActivityRef {
        line,
        source: source.to_string(),
        user,
        package: package.to_string(),
        activity,
        task,
    })
}

fn window(body: &str, line: usize, source: &str) -> Option<WindowRef> {
    let words: Vec<&str> = body.split_whitespace().collect();
    let user_idx = words.iter().position(|w| user_of(w).is_some());
    let title = match user_idx {
        Some(i) => words[i + 1..].join(" "),
        None => words.get(1..).unwrap_or_default().join(" "),
    };
    if title.is_empty() {
        return None;
    }
    // `com.x/com.x.Main` names an app; a system window's title may hold a
    // `/` too (`Application Error: Notes/Memo`), but never before a blank.
    let package = title
        .split_once('/')
        .map(|(p, _)| p)
        .filter(|p| !p.is_empty() && !p.contains(char::is_whitespace))
        .map(str::to_string);
    Some(WindowRef {
        line,
        source: source.to_string(),
        user: user_idx.and_then(|i| user_of(words[i])),
        package,
        title,
    })
}

/// Parses `dumpsys activity activities`, `dumpsys window`, or both.
pub fn parse(text: &str) -> Focus {
    let mut f = Focus::default();
    for (i, raw) in text.trim_start_matches('\u{feff}').split('\n').enumerate() {
        let line = i + 1;
        let t = raw.trim_end_matches('\r').trim();
        let key = t.split(['=', ':']).next().unwrap_or("");
        match key {
            "topResumedActivity" | "ResumedActivity" | "mResumedActivity" | "mFocusedActivity"
            | "resumedActivity" => {
                if let Some(a) =
                    record_body(t, "ActivityRecord").and_then(|b| activity(b, line, key))
                {
                    f.resumed.push(a);
                }
            }
            "mCurrentFocus" | "mFocusedWindow" => {
                if let Some(w) = record_body(t, "Window").and_then(|(b, _)| window(b, line, key)) {
                    f.focused_windows.push(w);
                }
            }
            "mFocusedApp" => {
                if let Some(a) =
                    record_body(t, "ActivityRecord").and_then(|b| activity(b, line, key))
                {
                    f.focused_apps.push(a);
                }
            }
            _ => {}
        }
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn android_10_plus_and_older_forms() {
        let f = parse(
            "  topResumedActivity=ActivityRecord{9a1 u0 com.x/.Main t42}\n    mResumedActivity: ActivityRecord{9a1 u0 com.x/.Main t42}\n",
        );
        assert_eq!(f.resumed.len(), 2);
        assert_eq!(f.resumed[0].activity, "com.x.Main");
        assert_eq!((f.resumed[0].user, f.resumed[0].task), (Some(0), Some(42)));
        assert_eq!(f.foreground_package(), Some("com.x"));
    }

    #[test]
    fn system_windows_have_no_package() {
        let f = parse("  mCurrentFocus=Window{5b2 u0 NotificationShade}\n  mCurrentFocus=null\n");
        assert_eq!(f.focused_windows.len(), 1);
        assert_eq!(
            (
                f.focused_windows[0].package.as_deref(),
                f.focused_windows[0].title.as_str()
            ),
            (None, "NotificationShade")
        );
        assert_eq!(f.foreground_package(), None);
    }

    /// Found by fuzzing (fuzz/fuzz_targets/window_focus.rs): an empty
    /// `Window{}` indexed past the end of its words.
    #[test]
    fn an_empty_window_record_is_no_window() {
        let f = parse("mFocusedWindow=Window{} \n  mCurrentFocus=Window{ }\n");
        assert!(f.focused_windows.is_empty());
        assert!(
            parse("topResumedActivity=ActivityRecord{}\n")
                .resumed
                .is_empty()
        );
    }

    /// Found by tests/parse_roundtrip_prop.rs: the crash dialog's title is
    /// the app's label, which may contain `/`; the part before it is not a
    /// package.
    #[test]
    fn a_slash_in_a_system_window_title_is_not_a_package() {
        let f = parse("  mCurrentFocus=Window{5b2 u0 Application Error: Notes/Memo 笔记}\n");
        let w = &f.focused_windows[0];
        assert_eq!(
            (w.package.as_deref(), w.title.as_str()),
            (None, "Application Error: Notes/Memo 笔记")
        );
        let f = parse("  mCurrentFocus=Window{5b2 u0 /x}\n");
        assert_eq!(f.focused_windows[0].package, None);
        let f = parse("  mCurrentFocus=Window{5b2 u0 com.x/com.x.Main}\n");
        assert_eq!(f.focused_windows[0].package.as_deref(), Some("com.x"));
    }
}
