//! Validated scalar values of the scenario language: durations, `${VAR}`
//! templates, regex patterns, screen points, key names and permission names.
//! Each parser returns a message fragment on failure; the converter adds the
//! file, line and key path.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration as StdDuration;

use regex::Regex;
use serde::{Serialize, Serializer};

/// A positive or zero length of time, written `500ms`, `30s`, `2m`, `1h`,
/// `1m30s`, `1.5s`, or as integer milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(pub StdDuration);

impl Duration {
    pub fn from_millis(ms: u64) -> Self {
        Self(StdDuration::from_millis(ms))
    }

    pub fn as_millis(self) -> u64 {
        u64::try_from(self.0.as_millis()).unwrap_or(u64::MAX)
    }

    /// Parses the text form. Bare digits are milliseconds, as in Maestro.
    pub fn parse(text: &str) -> Result<Self, String> {
        let s = text.trim();
        if s.is_empty() {
            return Err("empty duration".into());
        }
        if s.bytes().all(|b| b.is_ascii_digit()) {
            return s
                .parse::<u64>()
                .map(Self::from_millis)
                .map_err(|_| format!("duration `{text}` is too large"));
        }
        let mut total_ms: f64 = 0.0;
        let mut rest = s;
        let mut last_rank: Option<usize> = None;
        while !rest.is_empty() {
            let num_len = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(rest.len());
            if num_len == 0 {
                return Err(format!("invalid duration `{text}`"));
            }
            let number: f64 = rest[..num_len]
                .parse()
                .map_err(|_| format!("invalid number in duration `{text}`"))?;
            rest = rest[num_len..].trim_start();
            let unit_len = rest
                .find(|c: char| !c.is_ascii_alphabetic())
                .unwrap_or(rest.len());
            let (factor, rank) = match &rest[..unit_len] {
                "h" => (3_600_000.0, 0),
                "m" | "min" => (60_000.0, 1),
                "s" => (1_000.0, 2),
                "ms" => (1.0, 3),
                "" => return Err(format!("duration `{text}` lacks a unit (ms, s, m or h)")),
                other => return Err(format!("unknown unit `{other}` in duration `{text}`")),
            };
            if last_rank.is_some_and(|last| rank <= last) {
                return Err(format!(
                    "units in duration `{text}` must go from largest to smallest, each once"
                ));
            }
            last_rank = Some(rank);
            total_ms += number * factor;
            rest = rest[unit_len..].trim_start();
        }
        if !total_ms.is_finite() || total_ms > 1e15 {
            return Err(format!("duration `{text}` is too large"));
        }
        // Rounded to whole milliseconds, which is the resolution of every wait.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Ok(Self::from_millis(total_ms.round() as u64))
    }
}

impl fmt::Display for Duration {
    /// The canonical text form, e.g. `1m30s` or `1500ms`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.as_millis();
        if ms == 0 {
            return f.write_str("0ms");
        }
        if ms % 1000 != 0 {
            return write!(f, "{ms}ms");
        }
        let mut secs = ms / 1000;
        let h = secs / 3600;
        secs %= 3600;
        let m = secs / 60;
        secs %= 60;
        if h > 0 {
            write!(f, "{h}h")?;
        }
        if m > 0 {
            write!(f, "{m}m")?;
        }
        if secs > 0 {
            write!(f, "{secs}s")?;
        }
        Ok(())
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Whether `name` can be a variable: `[A-Za-z_][A-Za-z0-9_]*`.
pub fn is_var_name(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Text that may contain `${NAME}` references, filled in at run time from
/// the header's `env`, `runFlow`'s `env`, the CLI's `-e` and the app list.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Template(String);

impl Template {
    /// Checks the `${...}` syntax. Names are `[A-Za-z_][A-Za-z0-9_]*`;
    /// Maestro's JavaScript expressions are not supported.
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = Self(text.to_string());
        t.parts()?;
        Ok(t)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The variable names referenced, in order of first use.
    pub fn vars(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for part in self.parts().unwrap_or_default() {
            if let Part::Var(v) = part {
                if !out.contains(&v) {
                    out.push(v);
                }
            }
        }
        out
    }

    fn parts(&self) -> Result<Vec<Part<'_>>, String> {
        let mut parts = Vec::new();
        let mut rest = self.0.as_str();
        while let Some(start) = rest.find("${") {
            if start > 0 {
                parts.push(Part::Lit(&rest[..start]));
            }
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                return Err(format!("unterminated `${{` in `{}`", self.0));
            };
            let name = after[..end].trim();
            if !is_var_name(name) {
                return Err(format!(
                    "`${{{name}}}` is not a variable name; only `${{NAME}}` is supported (no JavaScript expressions)"
                ));
            }
            parts.push(Part::Var(name));
            rest = &after[end + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Lit(rest));
        }
        Ok(parts)
    }

    /// Fills in the variables; a variable missing from `env` is an error
    /// naming it. `escape` is applied to substituted values (e.g. regex
    /// escaping inside a pattern).
    pub fn render_with(
        &self,
        env: &BTreeMap<String, String>,
        escape: impl Fn(&str) -> String,
    ) -> Result<String, String> {
        let mut out = String::with_capacity(self.0.len());
        for part in self.parts()? {
            match part {
                Part::Lit(l) => out.push_str(l),
                Part::Var(v) => match env.get(v) {
                    Some(value) => out.push_str(&escape(value)),
                    None => return Err(format!("variable `{v}` is not defined")),
                },
            }
        }
        Ok(out)
    }

    pub fn render(&self, env: &BTreeMap<String, String>) -> Result<String, String> {
        self.render_with(env, str::to_string)
    }
}

enum Part<'a> {
    Lit(&'a str),
    Var(&'a str),
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Template {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// How a pattern is matched against text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchMode {
    /// The whole text must match (selectors, as in Maestro).
    Full,
    /// Some part of the text must match (logcat, exploration targets).
    Search,
}

/// A regex that may contain `${VAR}`s. Checked at load time (variables are
/// replaced by their known values or a placeholder) and compiled for good
/// when the variables are known.
#[derive(Debug, Clone)]
pub struct Pattern {
    source: Template,
    mode: MatchMode,
    /// Compiled at load time when the source has no variables.
    compiled: Option<Regex>,
}

impl Pattern {
    pub fn parse(
        text: &str,
        mode: MatchMode,
        known: &BTreeMap<String, String>,
    ) -> Result<Self, String> {
        let source = Template::parse(text)?;
        let probe: BTreeMap<String, String> = source
            .vars()
            .into_iter()
            .map(|v| {
                (
                    v.to_string(),
                    known.get(v).cloned().unwrap_or_else(|| "x".into()),
                )
            })
            .collect();
        let concrete = source.render_with(&probe, regex::escape)?;
        let compiled = Self::compile(&concrete, mode)?;
        Ok(Self {
            compiled: source.vars().is_empty().then_some(compiled),
            source,
            mode,
        })
    }

    fn compile(concrete: &str, mode: MatchMode) -> Result<Regex, String> {
        let anchored = match mode {
            MatchMode::Full => format!("^(?s:{concrete})$"),
            MatchMode::Search => concrete.to_string(),
        };
        regex::RegexBuilder::new(&anchored)
            .size_limit(1 << 22)
            .build()
            .map_err(|e| {
                let text = e.to_string();
                let reason = text
                    .lines()
                    .rev()
                    .find_map(|l| l.strip_prefix("error: "))
                    .unwrap_or(&text)
                    .to_string();
                format!("invalid regex `{concrete}`: {reason}")
            })
    }

    pub fn source(&self) -> &Template {
        &self.source
    }

    pub fn mode(&self) -> MatchMode {
        self.mode
    }

    /// The regex, compiling it with `env` when the source has variables.
    pub fn regex(&self, env: &BTreeMap<String, String>) -> Result<Regex, String> {
        if let Some(r) = &self.compiled {
            return Ok(r.clone());
        }
        let concrete = self.source.render_with(env, regex::escape)?;
        Self::compile(&concrete, self.mode)
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source && self.mode == other.mode
    }
}

impl Serialize for Pattern {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.source.serialize(serializer)
    }
}

/// One coordinate of a point: pixels or a percentage of the screen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Coord {
    Px(u32),
    Percent(f32),
}

/// A point on the screen, `"540,1200"` or `"50%,80%"`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    pub x: Coord,
    pub y: Coord,
}

impl Point {
    pub fn parse(text: &str) -> Result<Self, String> {
        let (x, y) = text.split_once(',').ok_or_else(|| {
            format!("point `{text}` must be \"x,y\" such as \"540,1200\" or \"50%,80%\"")
        })?;
        let coord = |c: &str| -> Result<Coord, String> {
            let c = c.trim();
            if let Some(p) = c.strip_suffix('%') {
                let v: f32 = p
                    .trim()
                    .parse()
                    .map_err(|_| format!("`{c}` in point `{text}` is not a percentage"))?;
                if !(0.0..=100.0).contains(&v) {
                    return Err(format!("`{c}` in point `{text}` is outside 0%..100%"));
                }
                Ok(Coord::Percent(v))
            } else {
                c.parse::<u32>().map(Coord::Px).map_err(|_| {
                    format!("`{c}` in point `{text}` is not a pixel count or a percentage")
                })
            }
        };
        let (x, y) = (coord(x)?, coord(y)?);
        if matches!(
            (x, y),
            (Coord::Px(_), Coord::Percent(_)) | (Coord::Percent(_), Coord::Px(_))
        ) {
            return Err(format!(
                "point `{text}` mixes pixels and percentages; use one unit for both"
            ));
        }
        Ok(Self { x, y })
    }

    /// Resolves to pixels on a screen of the given size.
    pub fn to_pixels(self, width: u32, height: u32) -> (u32, u32) {
        let f = |c: Coord, size: u32| match c {
            Coord::Px(p) => p.min(size.saturating_sub(1)),
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                clippy::cast_precision_loss
            )]
            Coord::Percent(p) => {
                ((size as f32 * p / 100.0).round() as u32).min(size.saturating_sub(1))
            }
        };
        (f(self.x, width), f(self.y, height))
    }
}

impl fmt::Display for Point {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = |c: Coord| match c {
            Coord::Px(p) => p.to_string(),
            Coord::Percent(p) => format!("{p}%"),
        };
        write!(f, "{},{}", c(self.x), c(self.y))
    }
}

/// A swipe or scroll direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Direction {
    Up,
    Down,
    Left,
    Right,
}

impl Direction {
    pub const NAMES: &'static [&'static str] = &["UP", "DOWN", "LEFT", "RIGHT"];

    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_uppercase().as_str() {
            "UP" => Ok(Self::Up),
            "DOWN" => Ok(Self::Down),
            "LEFT" => Ok(Self::Left),
            "RIGHT" => Ok(Self::Right),
            _ => Err(format!("unknown direction `{text}`")),
        }
    }
}

/// What a selector's `role` names: a button role as screen understanding
/// gives it (`agree`, `refuse`, `allow`, ...) or a kind of element it
/// finds (a consent checkbox, a personalisation switch, a deletion entry).
/// The engine asks `screen::understand` with the run's wording data which
/// elements of the screen have it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ElementRole {
    Agree,
    Refuse,
    Allow,
    AllowForeground,
    AllowOnce,
    Deny,
    DenyForever,
    Settings,
    Exit,
    Skip,
    Close,
    Wait,
    AppInfo,
    /// A checkbox consenting to the privacy policy or user agreement.
    ConsentBox,
    /// A switch or checkbox for personalised recommendations or ads.
    PersonalisationSwitch,
    /// An entry whose label names account deletion.
    DeletionEntry,
}

impl ElementRole {
    /// Every role, in the order of [`ElementRole::NAMES`].
    pub const ALL: [ElementRole; 16] = [
        Self::Agree,
        Self::Refuse,
        Self::Allow,
        Self::AllowForeground,
        Self::AllowOnce,
        Self::Deny,
        Self::DenyForever,
        Self::Settings,
        Self::Exit,
        Self::Skip,
        Self::Close,
        Self::Wait,
        Self::AppInfo,
        Self::ConsentBox,
        Self::PersonalisationSwitch,
        Self::DeletionEntry,
    ];

    /// The names as a scenario writes them.
    pub const NAMES: &'static [&'static str] = &[
        "agree",
        "refuse",
        "allow",
        "allow-foreground",
        "allow-once",
        "deny",
        "deny-forever",
        "settings",
        "exit",
        "skip",
        "close",
        "wait",
        "app-info",
        "consent-box",
        "personalisation-switch",
        "deletion-entry",
    ];

    pub fn as_str(self) -> &'static str {
        let i = Self::ALL.iter().position(|r| *r == self).unwrap_or(0);
        Self::NAMES[i]
    }

    /// The role named `text` (exactly as written: roles are lowercase).
    pub fn parse(text: &str) -> Result<Self, String> {
        Self::NAMES
            .iter()
            .position(|n| *n == text)
            .map(|i| Self::ALL[i])
            .ok_or_else(|| format!("unknown role `{text}`"))
    }
}

/// What `explore: {target: ...}` looks for, found through screen
/// understanding (the wording data decides) instead of a text regex.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExploreTarget {
    /// An entry whose label names account deletion.
    DeletionEntry,
    /// A switch or checkbox for personalised recommendations or ads.
    PersonalisationSwitch,
}

impl ExploreTarget {
    pub const NAMES: &'static [&'static str] = &["deletion-entry", "personalisation-switch"];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::DeletionEntry => "deletion-entry",
            Self::PersonalisationSwitch => "personalisation-switch",
        }
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "deletion-entry" => Ok(Self::DeletionEntry),
            "personalisation-switch" => Ok(Self::PersonalisationSwitch),
            _ => Err(format!("unknown exploration target `{text}`")),
        }
    }
}

/// A key for `pressKey`, with its Android key code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Key {
    pub name: &'static str,
    pub keycode: u16,
}

/// Maestro's key names (matched ignoring case and spaces) and Android key codes.
pub const KEYS: &[(&str, u16)] = &[
    ("Home", 3),
    ("Back", 4),
    ("Remote Dpad Up", 19),
    ("Remote Dpad Down", 20),
    ("Remote Dpad Left", 21),
    ("Remote Dpad Right", 22),
    ("Remote Dpad Center", 23),
    ("Volume Up", 24),
    ("Volume Down", 25),
    ("Power", 26),
    ("Tab", 61),
    ("Enter", 66),
    ("Backspace", 67),
    ("Menu", 82),
    ("Remote Media Play Pause", 85),
    ("Remote Media Stop", 86),
    ("Remote Media Next", 87),
    ("Remote Media Previous", 88),
    ("Remote Media Rewind", 89),
    ("Remote Media Fast Forward", 90),
    ("Escape", 111),
    ("Lock", 223),
];

impl Key {
    pub fn parse(text: &str) -> Result<Self, String> {
        let norm = |s: &str| {
            s.chars()
                .filter(|c| !c.is_whitespace() && *c != '_')
                .collect::<String>()
                .to_ascii_lowercase()
        };
        let wanted = norm(text);
        KEYS.iter()
            .find(|(name, _)| norm(name) == wanted)
            .map(|(name, keycode)| Key {
                name,
                keycode: *keycode,
            })
            .ok_or_else(|| format!("unknown key name `{text}`"))
    }
}

/// Whether `id` is a Java package name as Android requires: two or more
/// dot-separated parts, each a letter then letters, digits or `_`. Safe
/// to use as a file name.
pub fn is_package_name(id: &str) -> bool {
    let parts: Vec<&str> = id.split('.').collect();
    parts.len() >= 2
        && parts.iter().all(|p| {
            p.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// Maestro's short permission names on Android, and what they expand to.
pub const PERMISSION_GROUPS: &[(&str, &[&str])] = &[
    ("all", &[]),
    (
        "bluetooth",
        &[
            "android.permission.BLUETOOTH_CONNECT",
            "android.permission.BLUETOOTH_SCAN",
        ],
    ),
    (
        "calendar",
        &[
            "android.permission.READ_CALENDAR",
            "android.permission.WRITE_CALENDAR",
        ],
    ),
    ("camera", &["android.permission.CAMERA"]),
    (
        "contacts",
        &[
            "android.permission.READ_CONTACTS",
            "android.permission.WRITE_CONTACTS",
        ],
    ),
    (
        "location",
        &[
            "android.permission.ACCESS_FINE_LOCATION",
            "android.permission.ACCESS_COARSE_LOCATION",
        ],
    ),
    (
        "medialibrary",
        &[
            "android.permission.READ_MEDIA_IMAGES",
            "android.permission.READ_MEDIA_VIDEO",
            "android.permission.READ_EXTERNAL_STORAGE",
        ],
    ),
    ("microphone", &["android.permission.RECORD_AUDIO"]),
    ("notifications", &["android.permission.POST_NOTIFICATIONS"]),
    (
        "phone",
        &[
            "android.permission.READ_PHONE_STATE",
            "android.permission.CALL_PHONE",
        ],
    ),
    (
        "sms",
        &[
            "android.permission.READ_SMS",
            "android.permission.SEND_SMS",
            "android.permission.RECEIVE_SMS",
        ],
    ),
    (
        "storage",
        &[
            "android.permission.READ_EXTERNAL_STORAGE",
            "android.permission.WRITE_EXTERNAL_STORAGE",
        ],
    ),
];

/// A permission named in a scenario: a short group name or a full name.
pub fn check_permission_name(name: &str) -> Result<(), String> {
    if PERMISSION_GROUPS.iter().any(|(g, _)| *g == name) {
        return Ok(());
    }
    let valid_full = name.contains('.')
        && name.split('.').all(|part| {
            !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
    if valid_full {
        Ok(())
    } else {
        Err(format!("unknown permission `{name}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(Duration::parse("30s").unwrap().as_millis(), 30_000);
        assert_eq!(Duration::parse("500ms").unwrap().as_millis(), 500);
        assert_eq!(Duration::parse("1m30s").unwrap().as_millis(), 90_000);
        assert_eq!(Duration::parse("1.5s").unwrap().as_millis(), 1_500);
        assert_eq!(Duration::parse("250").unwrap().as_millis(), 250);
        assert_eq!(Duration::parse("2h").unwrap().to_string(), "2h");
        assert_eq!(Duration::parse("90s").unwrap().to_string(), "1m30s");
        assert_eq!(Duration::parse("1500ms").unwrap().to_string(), "1500ms");
        for bad in ["", "s", "3 sec", "1s1m", "1.2.3s", "-5s", "5x"] {
            assert!(Duration::parse(bad).is_err(), "{bad} should fail");
        }
    }

    #[test]
    fn templates() {
        let t = Template::parse("hello ${NAME}, ${ NAME } ${OTHER}").unwrap();
        assert_eq!(t.vars(), vec!["NAME", "OTHER"]);
        let env = BTreeMap::from([
            ("NAME".to_string(), "a".to_string()),
            ("OTHER".to_string(), "b".to_string()),
        ]);
        assert_eq!(t.render(&env).unwrap(), "hello a, a b");
        assert!(Template::parse("${unterminated").is_err());
        assert!(Template::parse("${output.x}").is_err());
        assert!(Template::parse("${1X}").is_err());
        assert!(t.render(&BTreeMap::new()).unwrap_err().contains("NAME"));
    }

    #[test]
    fn patterns_full_and_search() {
        let none = BTreeMap::new();
        let p = Pattern::parse("同意|Agree", MatchMode::Full, &none).unwrap();
        let r = p.regex(&none).unwrap();
        assert!(r.is_match("同意"));
        assert!(!r.is_match("不同意"));
        let s = Pattern::parse("FATAL", MatchMode::Search, &none).unwrap();
        assert!(
            s.regex(&none)
                .unwrap()
                .is_match("E AndroidRuntime: FATAL EXCEPTION")
        );
        let err = Pattern::parse("(abc", MatchMode::Full, &none).unwrap_err();
        assert!(err.contains("unclosed group"), "{err}");
        // Variables are inserted as literal text, not as regex syntax.
        let v = Pattern::parse("${X}|other", MatchMode::Full, &none).unwrap();
        let env = BTreeMap::from([("X".to_string(), "a.b".to_string())]);
        assert!(v.regex(&env).unwrap().is_match("a.b"));
        assert!(v.regex(&env).unwrap().is_match("other"));
        assert!(!v.regex(&env).unwrap().is_match("axb"));
    }

    #[test]
    fn points() {
        let p = Point::parse("50%,80%").unwrap();
        assert_eq!(p.to_pixels(1080, 2400), (540, 1920));
        assert_eq!(Point::parse("540, 1200").unwrap().to_string(), "540,1200");
        assert!(Point::parse("50%,1200").is_err());
        assert!(Point::parse("120%,5%").is_err());
        assert!(Point::parse("abc").is_err());
    }

    #[test]
    fn keys_and_permissions() {
        assert_eq!(Key::parse("home").unwrap().keycode, 3);
        assert_eq!(Key::parse("VOLUME_UP").unwrap().keycode, 24);
        assert!(Key::parse("Hom").is_err());
        assert!(check_permission_name("camera").is_ok());
        assert!(check_permission_name("android.permission.CAMERA").is_ok());
        assert!(check_permission_name("camra").is_err());
    }
}
