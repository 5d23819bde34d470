//! The wording data: the words screens are read by (button labels, policy
//! and permission phrases, deletion and navigation entries, permission
//! groups) and the system packages and ids, loaded from
//! `scenarios/builtin/wording.yaml` (embedded) and an optional user file
//! that extends or replaces its lists. Also the text normalisation every
//! comparison goes through. No screen logic lives here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::Role;

/// The built-in wording file, embedded at build time.
pub const BUILTIN: &str = include_str!("../../scenarios/builtin/wording.yaml");

/// Why a wording file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum WordingError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {key}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        key: String,
        message: String,
    },
}

/// The file as written. Every list is optional so that a user file can
/// name only what it adds.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWording {
    /// `wording`, when given (it marks the file as data among scenarios).
    kind: Option<String>,
    version: Option<u32>,
    #[serde(default)]
    replace: bool,
    #[serde(default)]
    labels: BTreeMap<Role, Vec<String>>,
    #[serde(default)]
    phrases: RawPhrases,
    #[serde(default)]
    entries: RawEntries,
    entry_max_chars: Option<usize>,
    #[serde(default)]
    permission_groups: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    system: RawSystem,
    #[serde(default)]
    evidence: RawEvidence,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvidence {
    #[serde(default)]
    deletion_conditions: BTreeMap<String, Vec<String>>,
    working_days: Option<Vec<String>>,
    accounts: Option<Vec<String>>,
    #[serde(default)]
    disclosure: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPhrases {
    policy: Option<Vec<String>>,
    permission: Option<Vec<String>>,
    personalisation: Option<Vec<String>>,
    crash: Option<Vec<String>>,
    anr: Option<Vec<String>>,
    ad: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntries {
    deletion: Option<Vec<String>>,
    navigation: Option<Vec<String>>,
    explore_avoid: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSystem {
    permission_packages: Option<Vec<String>>,
    permission_ids: Option<BTreeMap<String, Role>>,
    permission_message_ids: Option<Vec<String>>,
    dont_ask_ids: Option<Vec<String>>,
    accuracy_ids: Option<BTreeMap<String, String>>,
    app_error_ids: Option<BTreeMap<String, Role>>,
    system_packages: Option<Vec<String>>,
    decoration_packages: Option<Vec<String>>,
}

/// A list of words, kept with their normalised forms.
#[derive(Debug, Clone, Default)]
pub struct Words {
    normalised: Vec<String>,
}

impl Words {
    fn new(words: &[String]) -> Self {
        let mut w = Words::default();
        w.extend(words);
        w
    }

    fn extend(&mut self, words: &[String]) {
        self.normalised
            .extend(words.iter().map(|w| normalise(w)).filter(|w| !w.is_empty()));
        self.normalised.sort();
        self.normalised.dedup();
    }

    /// The words, normalised, in sorted order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.normalised.iter().map(String::as_str)
    }

    /// Whether the normalised `label` is one of the words.
    pub fn is(&self, label: &str) -> bool {
        self.normalised
            .binary_search_by(|w| w.as_str().cmp(label))
            .is_ok()
    }

    /// Whether the normalised `text` contains one of the words.
    pub fn in_text(&self, text: &str) -> bool {
        self.normalised.iter().any(|w| text.contains(w.as_str()))
    }

    /// The end (in bytes) of the last occurrence of any word in `text`,
    /// with that word's length, to rank several lists against one text.
    pub fn last_match(&self, text: &str) -> Option<(usize, usize)> {
        self.normalised
            .iter()
            .filter_map(|w| text.rfind(w.as_str()).map(|at| (at + w.len(), w.len())))
            .max()
    }
}

/// The loaded wording, ready for matching.
#[derive(Debug, Clone)]
pub struct Wording {
    pub labels: BTreeMap<Role, Words>,
    pub policy: Words,
    pub permission: Words,
    pub personalisation: Words,
    pub crash: Words,
    pub anr: Words,
    pub ad: Words,
    pub deletion: Words,
    pub navigation: Words,
    /// What exploration never taps: see [`Wording::explore_avoids`].
    pub explore_avoid: Words,
    pub entry_max_chars: usize,
    pub permission_groups: Vec<(String, Words)>,
    pub permission_packages: Vec<String>,
    pub permission_ids: BTreeMap<String, Role>,
    pub permission_message_ids: Vec<String>,
    pub dont_ask_ids: Vec<String>,
    pub accuracy_ids: BTreeMap<String, String>,
    pub app_error_ids: BTreeMap<String, Role>,
    pub system_packages: Vec<String>,
    pub decoration_packages: Vec<String>,
    /// Conditions on an account deletion, by name (`id-document`,
    /// `face-scan`, ...): the detectors read them from the screens.
    pub deletion_conditions: Vec<(String, Words)>,
    /// The unit of a stated processing period ("15 个工作日").
    pub working_days: Words,
    /// Texts that show an app has accounts (log in, register, ...).
    pub accounts: Words,
    /// How a privacy text names the personal information behind a
    /// permission group (`LOCATION`: 位置, location, ...).
    pub disclosure: Vec<(String, Words)>,
}

impl Wording {
    /// The built-in wording.
    pub fn builtin() -> Self {
        // The embedded file is checked by this module's tests; should it
        // ever fail to parse, an empty wording still works (nothing is
        // recognised by text).
        let raw =
            parse_raw(BUILTIN, Path::new("scenarios/builtin/wording.yaml")).unwrap_or_default();
        let mut w = Wording::empty();
        w.apply(&raw);
        w
    }

    /// The built-in wording with `path`'s lists added (or, when the file
    /// says `replace: true`, in place of the lists it names).
    pub fn with_file(path: &Path) -> Result<Self, WordingError> {
        let text = std::fs::read_to_string(path).map_err(|source| WordingError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::with_text(&text, path)
    }

    /// [`Wording::with_file`] on text already read; `path` names it in
    /// errors.
    pub fn with_text(text: &str, path: &Path) -> Result<Self, WordingError> {
        let raw = parse_raw(text, path)?;
        let mut w = Wording::builtin();
        w.apply(&raw);
        Ok(w)
    }

    fn empty() -> Self {
        Wording {
            labels: BTreeMap::new(),
            policy: Words::default(),
            permission: Words::default(),
            personalisation: Words::default(),
            crash: Words::default(),
            anr: Words::default(),
            ad: Words::default(),
            deletion: Words::default(),
            navigation: Words::default(),
            explore_avoid: Words::default(),
            entry_max_chars: 24,
            permission_groups: Vec::new(),
            permission_packages: Vec::new(),
            permission_ids: BTreeMap::new(),
            permission_message_ids: Vec::new(),
            dont_ask_ids: Vec::new(),
            accuracy_ids: BTreeMap::new(),
            app_error_ids: BTreeMap::new(),
            system_packages: Vec::new(),
            decoration_packages: Vec::new(),
            deletion_conditions: Vec::new(),
            working_days: Words::default(),
            accounts: Words::default(),
            disclosure: Vec::new(),
        }
    }

    fn apply(&mut self, raw: &RawWording) {
        let replace = raw.replace;
        let merge = |dst: &mut Words, src: Option<&Vec<String>>| {
            if let Some(src) = src {
                if replace {
                    *dst = Words::new(src);
                } else {
                    dst.extend(src);
                }
            }
        };
        for (role, words) in &raw.labels {
            merge(self.labels.entry(*role).or_default(), Some(words));
        }
        merge(&mut self.policy, raw.phrases.policy.as_ref());
        merge(&mut self.permission, raw.phrases.permission.as_ref());
        merge(
            &mut self.personalisation,
            raw.phrases.personalisation.as_ref(),
        );
        merge(&mut self.crash, raw.phrases.crash.as_ref());
        merge(&mut self.anr, raw.phrases.anr.as_ref());
        merge(&mut self.ad, raw.phrases.ad.as_ref());
        merge(&mut self.deletion, raw.entries.deletion.as_ref());
        merge(&mut self.navigation, raw.entries.navigation.as_ref());
        merge(&mut self.explore_avoid, raw.entries.explore_avoid.as_ref());
        if let Some(n) = raw.entry_max_chars {
            self.entry_max_chars = n;
        }
        let named = |dst: &mut Vec<(String, Words)>, src: &BTreeMap<String, Vec<String>>| {
            for (name, words) in src {
                match dst.iter_mut().find(|(n, _)| n == name) {
                    Some((_, w)) => merge(w, Some(words)),
                    None => dst.push((name.clone(), Words::new(words))),
                }
            }
        };
        named(&mut self.permission_groups, &raw.permission_groups);
        named(
            &mut self.deletion_conditions,
            &raw.evidence.deletion_conditions,
        );
        named(&mut self.disclosure, &raw.evidence.disclosure);
        merge(&mut self.working_days, raw.evidence.working_days.as_ref());
        merge(&mut self.accounts, raw.evidence.accounts.as_ref());
        let list = |dst: &mut Vec<String>, src: Option<&Vec<String>>| {
            if let Some(src) = src {
                if replace {
                    dst.clear();
                }
                for s in src {
                    if !dst.contains(s) {
                        dst.push(s.clone());
                    }
                }
            }
        };
        let s = &raw.system;
        list(
            &mut self.permission_packages,
            s.permission_packages.as_ref(),
        );
        list(
            &mut self.permission_message_ids,
            s.permission_message_ids.as_ref(),
        );
        list(&mut self.dont_ask_ids, s.dont_ask_ids.as_ref());
        list(&mut self.system_packages, s.system_packages.as_ref());
        list(
            &mut self.decoration_packages,
            s.decoration_packages.as_ref(),
        );
        map(&mut self.permission_ids, s.permission_ids.as_ref(), replace);
        map(&mut self.accuracy_ids, s.accuracy_ids.as_ref(), replace);
        map(&mut self.app_error_ids, s.app_error_ids.as_ref(), replace);
    }

    /// The words of a role's labels (empty when the data has none).
    pub fn label(&self, role: Role) -> Option<&Words> {
        self.labels.get(&role)
    }

    /// Whether the normalised `label` is one of `role`'s labels.
    pub fn is_label(&self, role: Role, label: &str) -> bool {
        self.label(role).is_some_and(|w| w.is(label))
    }

    /// Whether exploration must not tap a control labelled `label` (as
    /// the screen shows it): its normalised label is one of the
    /// `explore_avoid` words, or is at most `entry_max_chars` characters
    /// long and contains one (`立即支付 ¥6`, `确认注销账号`), as deletion
    /// entries are found. Longer texts are not read for the words: a
    /// paragraph that mentions payment is not a pay button.
    pub fn explore_avoids(&self, label: &str) -> bool {
        let norm = normalise(label);
        self.explore_avoid.is(&norm)
            || (label.trim().chars().count() <= self.entry_max_chars
                && self.explore_avoid.in_text(&norm))
    }

    /// The permission group a dialog message asks for: the group whose
    /// words occur last in the message (an app's name comes before what
    /// it asks for), quoted names removed first.
    pub fn permission_group(&self, message: &str) -> Option<String> {
        let text = normalise(&strip_quoted(message));
        self.permission_groups
            .iter()
            .filter_map(|(g, w)| w.last_match(&text).map(|m| (m, g)))
            .max_by_key(|(m, _)| *m)
            .map(|(_, g)| g.clone())
    }
}

/// `src` into `dst` (`dst` emptied first when `replace`).
fn map<V: Clone>(dst: &mut BTreeMap<String, V>, src: Option<&BTreeMap<String, V>>, replace: bool) {
    if let Some(src) = src {
        if replace {
            dst.clear();
        }
        dst.extend(src.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
}

fn parse_raw(text: &str, path: &Path) -> Result<RawWording, WordingError> {
    let de = serde_yaml::Deserializer::from_str(text);
    let raw: RawWording = serde_path_to_error::deserialize(de).map_err(|e| {
        let key = e.path().to_string();
        let inner = e.into_inner();
        let (line, column) = inner.location().map_or((0, 0), |l| (l.line(), l.column()));
        WordingError::Invalid {
            path: path.to_path_buf(),
            line,
            column,
            key: if key == "." {
                "(top level)".into()
            } else {
                key
            },
            message: inner.to_string(),
        }
    })?;
    if let Some(k) = raw.kind.as_deref().filter(|k| *k != "wording") {
        return Err(WordingError::Invalid {
            path: path.to_path_buf(),
            line: 1,
            column: 1,
            key: "kind".into(),
            message: format!("`{k}` is not a wording file's kind (write `kind: wording`)"),
        });
    }
    if let Some(v) = raw.version {
        if v != 1 {
            return Err(WordingError::Invalid {
                path: path.to_path_buf(),
                line: 1,
                column: 1,
                key: "version".into(),
                message: format!("version {v} is not supported (this consentry reads version 1)"),
            });
        }
    }
    Ok(raw)
}

/// Text as compared: case folded, full-width ASCII made half-width, the
/// ideographic space and every other space, line break and zero-width
/// character dropped, curly quotes made straight, and trailing sentence
/// punctuation removed.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let c = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            '\u{2018}' | '\u{2019}' | '\u{02BC}' => '\'',
            '\u{201C}' | '\u{201D}' => '"',
            _ => c,
        };
        if c.is_whitespace() || matches!(c, '\u{200B}'..='\u{200D}' | '\u{FEFF}') {
            continue;
        }
        out.extend(c.to_lowercase());
    }
    let trimmed = out.trim_end_matches(['.', '。', '!', '?', ':', ',', '、', '…', ';']);
    trimmed.to_string()
}

/// A skip control's label without its countdown: `跳过 5`, `5s 跳过`,
/// `Skip 3`, `跳过广告 3秒` lose their numbers (and a unit right after).
pub fn without_countdown(normalised: &str) -> String {
    let mut out = String::with_capacity(normalised.len());
    let mut chars = normalised.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            while chars.peek().is_some_and(char::is_ascii_digit) {
                chars.next();
            }
            if chars.peek().is_some_and(|&n| n == 's' || n == '秒') {
                chars.next();
            }
            continue;
        }
        out.push(c);
    }
    out.trim_matches(['|', '/', '(', ')', '[', ']', '-'])
        .to_string()
}

/// `text` without the parts in quotes (“…”, "…", 「…」, 『…』, «…»): in
/// a permission dialog's message they hold the app's name.
fn strip_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut close: Option<char> = None;
    for c in text.chars() {
        if let Some(end) = close {
            if c == end {
                close = None;
            }
            continue;
        }
        close = match c {
            '“' => Some('”'),
            '"' => Some('"'),
            '「' => Some('」'),
            '『' => Some('』'),
            '«' => Some('»'),
            _ => None,
        };
        if close.is_none() {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_file_parses_and_has_every_role_it_needs() {
        let raw = parse_raw(BUILTIN, Path::new("wording.yaml")).unwrap();
        assert_eq!(raw.version, Some(1));
        let w = Wording::builtin();
        for role in [
            Role::Agree,
            Role::Refuse,
            Role::Allow,
            Role::AllowForeground,
            Role::AllowOnce,
            Role::Deny,
            Role::DenyForever,
            Role::Settings,
            Role::Exit,
            Role::Skip,
            Role::Close,
        ] {
            assert!(
                w.label(role).is_some_and(|l| !l.normalised.is_empty()),
                "{role:?}"
            );
        }
        assert!(w.deletion.is("注销账号"));
        assert!(w.navigation.is("我的"));
        assert!(w.explore_avoid.is("退出登录"));
        assert!(w.is_label(Role::Refuse, &normalise("暂不同意")));
        assert!(!w.is_label(Role::Agree, &normalise("不同意")));
    }

    #[test]
    fn normalising_folds_case_width_quotes_and_spaces() {
        assert_eq!(normalise(" DON’T  ALLOW "), "don'tallow");
        assert_eq!(normalise("Ａｇｒｅｅ"), "agree");
        assert_eq!(normalise("同意并继续。"), "同意并继续");
        assert_eq!(normalise("Deny &\ndon't ask again"), "deny&don'taskagain");
    }

    #[test]
    fn countdowns_are_dropped_from_skip_labels() {
        for l in ["跳过 5", "5s 跳过", "Skip 3", "跳过 | 3", "3秒 跳过"] {
            assert!(
                ["跳过", "skip"].contains(&without_countdown(&normalise(l)).as_str()),
                "{l}"
            );
        }
    }

    #[test]
    fn the_group_asked_is_read_after_the_apps_name() {
        let w = Wording::builtin();
        assert_eq!(
            w.permission_group("允许“通讯录”访问您设备上的照片、媒体内容和文件吗？")
                .as_deref(),
            Some("STORAGE")
        );
        assert_eq!(
            w.permission_group("Allow Camera Pro to access this device's location?")
                .as_deref(),
            Some("LOCATION")
        );
        assert_eq!(
            w.permission_group("Allow buccancs to record audio?")
                .as_deref(),
            Some("MICROPHONE")
        );
        assert_eq!(w.permission_group("Nothing here"), None);
    }

    #[test]
    fn a_user_file_extends_or_replaces_and_bad_keys_are_named_with_their_line() {
        let path = Path::new("mine.yaml");
        let w = Wording::with_text("labels:\n  agree: [好的呀]\n", path).unwrap();
        assert!(w.is_label(Role::Agree, "好的呀"));
        assert!(w.is_label(Role::Agree, "同意"));
        let r = Wording::with_text("replace: true\nlabels:\n  agree: [好的呀]\n", path).unwrap();
        assert!(r.is_label(Role::Agree, "好的呀"));
        assert!(!r.is_label(Role::Agree, "同意"));
        assert!(
            r.is_label(Role::Refuse, "不同意"),
            "lists it does not name stay"
        );
        let e = Wording::with_text("labels:\n  agree: [a]\nphrases:\n  polcy: [x]\n", path)
            .unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("mine.yaml:4:"), "{msg}");
        assert!(msg.contains("phrases"), "{msg}");
        let e = Wording::with_text("labels:\n  agre: [a]\n", path)
            .unwrap_err()
            .to_string();
        assert!(e.contains("mine.yaml:2:") && e.contains("labels"), "{e}");
    }

    #[test]
    fn exploration_avoids_logout_payment_and_deletion_confirmation_but_not_the_entry() {
        let w = Wording::builtin();
        for l in [
            "退出登录",
            "Log out",
            "Sign out",
            "立即支付",
            "Pay now",
            "Buy",
            "Delete now",
            "确认注销",
            "确认注销账号",
            "立即支付 ¥6.00",
            "Factory reset",
            "卸载",
        ] {
            assert!(w.explore_avoids(l), "{l}");
        }
        for l in [
            "Delete account",
            "注销账号",
            "Settings",
            "Account and security",
            "Log in",
            "我的",
            "账号与安全",
        ] {
            assert!(!w.explore_avoids(l), "{l}");
        }
        let long = "We never ask you to pay or buy anything to delete your account.";
        assert!(!w.explore_avoids(long), "a long text is not a button");
    }

    #[test]
    fn a_user_file_extends_or_replaces_the_explore_avoid_list() {
        let path = Path::new("mine.yaml");
        let w = Wording::with_text("entries:\n  explore_avoid: [一键清理]\n", path).unwrap();
        assert!(w.explore_avoids("一键清理") && w.explore_avoids("Log out"));
        let r = Wording::with_text(
            "replace: true\nentries:\n  explore_avoid: [一键清理]\n",
            path,
        )
        .unwrap();
        assert!(r.explore_avoids("一键清理") && !r.explore_avoids("Log out"));
        assert!(r.deletion.is("注销账号"), "lists it does not name stay");
        let e = Wording::with_text("entries:\n  explore_avoids: [x]\n", path)
            .unwrap_err()
            .to_string();
        assert!(e.contains("mine.yaml:2:") && e.contains("entries"), "{e}");
    }
}
