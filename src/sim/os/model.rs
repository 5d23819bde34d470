//! The declarative fixture-app model (`fixtures/apps/*.yaml`, documented in
//! `docs/fixture-apps.md`): serde types with `deny_unknown_fields`, loading
//! with errors that name the file and the key path, and the well-formedness
//! checks (screens referenced exist, requested permissions are declared...).
//! Pure: no device state here.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::clock::parse_span;
use super::perms;

/// The class of a text field: it takes focus when tapped and `input text`
/// types into it.
pub const EDIT_TEXT: &str = "android.widget.EditText";

/// The class of an indeterminate progress indicator: drawn as an arc that
/// turns with the simulated clock (its dump does not change).
pub const PROGRESS_BAR: &str = "android.widget.ProgressBar";

/// The kind of app; later issues judge "necessary permissions" by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppType {
    Notes,
    News,
    Utility,
    Social,
    Shopping,
    Navigation,
    Other,
}

/// What the app does when a runtime permission it asked for is denied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnDenial {
    /// Keeps working.
    #[default]
    Continue,
    /// Quits (`EXIT_SELF`).
    Exit,
    /// Throws (`FATAL EXCEPTION`).
    Crash,
    /// Asks again on every screen change and every relaunch.
    Reask,
}

/// One app.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppModel {
    pub package: String,
    pub label: String,
    #[serde(rename = "type")]
    pub app_type: AppType,
    #[serde(default = "default_version")]
    pub version: String,
    /// Launcher activity, short form (`.MainActivity`) or full class.
    #[serde(default = "default_activity")]
    pub activity: String,
    /// Manifest `<uses-permission>` names.
    #[serde(default)]
    pub permissions: Vec<String>,
    /// Run when the app's task is created (launch from scratch); must
    /// reach a screen with `goto`, else the first screen is shown.
    #[serde(default)]
    pub on_launch: Vec<Effect>,
    #[serde(default)]
    pub on_denial: OnDenial,
    /// Effects repeated in simulated time while the main process lives.
    #[serde(default)]
    pub timers: Vec<Timer>,
    /// Links the app opens (its `VIEW` intent filters): `am start -a
    /// android.intent.action.VIEW -d URL` starts the app and shows the
    /// link's screen.
    #[serde(default)]
    pub links: Vec<Link>,
    pub screens: Vec<ScreenModel>,
    /// The YAML text the model came from: the bytes of its simulated APK.
    #[serde(skip)]
    pub source: String,
}

fn default_version() -> String {
    "1.0".to_string()
}

fn default_activity() -> String {
    ".MainActivity".to_string()
}

/// A repeating effect.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timer {
    /// `10s`, `500ms`, `2m`.
    pub every: String,
    /// Only when this flag holds (`!flag` for its absence).
    #[serde(default)]
    pub when: Option<String>,
    pub effects: Vec<Effect>,
}

/// A link the app handles: a `VIEW` intent whose data starts with
/// `prefix` opens the app on the screen `goto`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// `https://example.com/privacy`: matches that URL and every URL that
    /// starts with it.
    pub prefix: String,
    /// The screen pushed once the app is in front.
    pub goto: String,
}

/// One screen (an activity state) of the app.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScreenModel {
    pub id: String,
    #[serde(default)]
    pub on_enter: Vec<Effect>,
    #[serde(default)]
    pub widgets: Vec<Widget>,
}

/// One view on a screen.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Widget {
    #[serde(default)]
    pub text: String,
    /// Short resource id (`agree` → `com.x:id/agree`); a value containing
    /// `:id/` is used as is.
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub content_desc: String,
    /// Defaults: `android.widget.Button` when tappable, `CheckBox` when
    /// checkable, else `android.widget.TextView`.
    #[serde(default)]
    pub class: Option<String>,
    #[serde(default)]
    pub checkable: bool,
    #[serde(default)]
    pub checked: bool,
    /// Defaults to true when the widget has `on_tap` effects.
    #[serde(default)]
    pub clickable: Option<bool>,
    /// A password field (`android.widget.EditText` only): typed text is
    /// shown, in the dump and on screen, as one `•` per character (the
    /// `PasswordTransformationMethod` text that `TextView` reports to
    /// accessibility); `text` stays the hint, shown in clear while empty.
    #[serde(default)]
    pub password: bool,
    /// `[left, top, right, bottom]`; else the widget is placed below the
    /// previous one.
    #[serde(default)]
    pub bounds: Option<[i32; 4]>,
    /// Height in the vertical layout (default by class and text length).
    #[serde(default)]
    pub height: Option<i32>,
    /// Shown only when this flag holds (`!flag` for its absence).
    #[serde(default)]
    pub when: Option<String>,
    #[serde(default)]
    pub on_tap: Vec<Effect>,
}

/// An appops note.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpNote {
    /// `FINE_LOCATION`, `READ_CONTACTS`, ...
    pub op: String,
    /// `top`, `fg`, `bg`, `cch`; default: from the app's state.
    #[serde(default)]
    pub state: Option<String>,
    /// `2s` for an op that ran that long.
    #[serde(default)]
    pub duration: Option<String>,
}

/// A log line the app writes.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogLine {
    pub tag: String,
    pub msg: String,
    /// `V D I W E`; default `I`.
    #[serde(default)]
    pub level: Option<char>,
}

/// A conditional.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IfFlag {
    /// Flag name, `!flag` for its absence.
    pub flag: String,
    #[serde(default)]
    pub then: Vec<Effect>,
    #[serde(default, rename = "else")]
    pub otherwise: Vec<Effect>,
}

/// Something that happens: on a tap, on entering a screen, at launch or on
/// a timer.
///
/// In YAML a unit effect is a plain string (`- back`) and the others are
/// one-key maps (`- goto: home`).
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Opens a screen (pushed on the back stack).
    Goto(String),
    /// Pops the back stack (leaves the app at its root).
    Back,
    /// The process quits on its own (`EXIT_SELF`).
    Exit,
    /// An uncaught exception with this message.
    Crash(String),
    /// Flips the tapped widget's checked state.
    Toggle,
    /// One `requestPermissions` call (bundled when several).
    Request(Vec<String>),
    Login,
    Logout,
    /// Deletes the account at once (logs out, sets `account_deleted`).
    DeleteAccount,
    /// Sets an app-data flag (survives restarts, cleared by `pm clear`).
    Set(String),
    Unset(String),
    /// Notes an appops access (Access if permitted, else Reject).
    Appop(OpNote),
    /// Tries IMEI/serial: the `reportAccessDeniedToReadIdentifiers` line
    /// and a `READ_DEVICE_IDENTIFIERS` reject.
    ReadIdentifiers,
    /// Reads the clipboard (denied with a log line in background).
    ReadClipboard,
    Log(LogLine),
    /// `start_process: ":push"`: starts the process `PKG:push` (no-op
    /// while it lives) for a service the model does not name; the
    /// simulator names it after the process ([`scalar_service`]:
    /// `.PushService`).
    StartProcess(String),
    /// `start_process: {suffix: ":pushcore", service: ".jpush.PushService"}`
    /// (or `provider: CLASS`): starts the process for that component.
    StartProcessFor(ProcessStart),
    /// `contact: {host: stats.jpush.cn, via: tls}`: the app connects to a
    /// host. Seen only in a network capture (`SimDevice::start_capture`):
    /// the DNS lookup, then for `tls` a TCP handshake to 443 and a
    /// ClientHello naming the host, for `http` a handshake to 80 and a
    /// `GET /`; `dns` is the lookup alone.
    Contact(Contact),
    If(IfFlag),
}

/// How an app reaches a host (`contact.via`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// HTTPS: a TLS ClientHello with the host's SNI on port 443.
    #[default]
    Tls,
    /// Plain HTTP: `GET / HTTP/1.1` with `Host:` on port 80.
    Http,
    /// Only the DNS lookup.
    Dns,
}

/// The value of a `contact` effect.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// A DNS name (`stats.jpush.cn`).
    pub host: String,
    #[serde(default)]
    pub via: Via,
}

/// Whether `host` is a DNS name a lookup can carry: dot-separated labels
/// of 1 to 63 letters, digits and `-` (not at either end), 253 characters
/// at most, at least two labels (RFC 1035 section 2.3.1).
fn valid_host(host: &str) -> bool {
    host.len() <= 253
        && host.split('.').count() >= 2
        && host.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// The map form of `start_process`: a process of the app (its manifest's
/// `android:process=":pushcore"`) started for one of its components.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessStart {
    /// `:pushcore`: the process is `PKG:pushcore`.
    pub suffix: String,
    pub component: Hosted,
}

/// The component a process is started for, by its class as a manifest's
/// `android:name` writes it: `.jpush.PushService` (relative to the
/// package), `PushService` (no dot: in the package too) or a full class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hosted {
    /// A `<service>`: `Start proc ... for service ...`.
    Service(String),
    /// A `<provider>`: `Start proc ... for content provider ...`.
    Provider(String),
}

impl Hosted {
    /// The hosting type AMS prints (`HostingRecord.HOSTING_TYPE_SERVICE`,
    /// `HOSTING_TYPE_CONTENT_PROVIDER`; the same strings on 9).
    pub fn hosting_type(&self) -> &'static str {
        match self {
            Hosted::Service(_) => "service",
            Hosted::Provider(_) => "content provider",
        }
    }

    /// The class as the model writes it.
    pub fn class(&self) -> &str {
        match self {
            Hosted::Service(c) | Hosted::Provider(c) => c,
        }
    }

    /// The YAML key that names it (`service`, `provider`).
    pub fn key(&self) -> &'static str {
        match self {
            Hosted::Service(_) => "service",
            Hosted::Provider(_) => "provider",
        }
    }
}

/// A manifest class name made absolute, as `PackageParser.buildClassName`
/// does: a leading `.` or no `.` at all means a class of the package.
pub fn manifest_class(package: &str, name: &str) -> String {
    if name.starts_with('.') {
        format!("{package}{name}")
    } else if name.contains('.') {
        name.to_string()
    } else {
        format!("{package}.{name}")
    }
}

/// The service the scalar `start_process: ":push"` starts, relative to the
/// package: the process's name, each part capitalised, and `Service`
/// (`:push` → `.PushService`, `:pushcore` → `.PushcoreService`,
/// `:sync.remote` → `.SyncRemoteService`). The scalar form names no
/// component, and AMS always prints one for a service start.
pub fn scalar_service(suffix: &str) -> String {
    let name: String = suffix
        .trim_start_matches(':')
        .split('.')
        .map(|part| {
            let mut cs = part.chars();
            cs.next().map_or_else(String::new, |c| {
                c.to_ascii_uppercase().to_string() + cs.as_str()
            })
        })
        .collect();
    format!(".{name}Service")
}

/// Whether `suffix` is a private process name (`:push`): `:` and then
/// dot-separated parts, each a letter followed by letters, digits or `_`
/// (`PackageParser.validateName`, without its empty parts).
fn valid_suffix(suffix: &str) -> bool {
    suffix.strip_prefix(':').is_some_and(|name| {
        name.split('.').all(|part| {
            part.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
    })
}

/// Whether `name` looks like a manifest's class name: Java identifiers
/// (ASCII letters, digits, `_`, `$`, not starting with a digit) joined by
/// dots, with an optional leading dot (`.jpush.PushService`,
/// `cn.jpush.android.service.PushService`, `Outer$Inner`).
fn valid_class(name: &str) -> bool {
    let body = name.strip_prefix('.').unwrap_or(name);
    body.split('.').all(|part| {
        part.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
    })
}

/// The value of a `start_process` effect: a suffix or a map.
enum StartProcessValue {
    Suffix(String),
    Map(ProcessStart),
}

/// The map form as written, before the component is picked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProcessStart {
    suffix: String,
    #[serde(default)]
    service: Option<String>,
    #[serde(default)]
    provider: Option<String>,
}

impl<'de> Deserialize<'de> for StartProcessValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = StartProcessValue;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a process suffix (`\":push\"`) or a map `{suffix: \":push\", service: CLASS}` (or `provider: CLASS`)",
                )
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(StartProcessValue::Suffix(v.to_string()))
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Self::Value, A::Error> {
                use serde::de::Error as _;
                let raw = RawProcessStart::deserialize(
                    serde::de::value::MapAccessDeserializer::new(map),
                )?;
                let component = match (raw.service, raw.provider) {
                    (Some(s), None) => Hosted::Service(s),
                    (None, Some(p)) => Hosted::Provider(p),
                    (Some(_), Some(_)) => {
                        return Err(A::Error::custom(
                            "a process starts for one component: `service` or `provider`, not both",
                        ));
                    }
                    (None, None) => {
                        return Err(A::Error::custom(
                            "the map form names the component the process starts for: `service: CLASS` or `provider: CLASS`",
                        ));
                    }
                };
                Ok(StartProcessValue::Map(ProcessStart {
                    suffix: raw.suffix,
                    component,
                }))
            }
        }
        d.deserialize_any(V)
    }
}

const UNIT_EFFECTS: &[&str] = &[
    "back",
    "exit",
    "toggle",
    "login",
    "logout",
    "delete_account",
    "read_identifiers",
    "read_clipboard",
];
const MAP_EFFECTS: &[&str] = &[
    "goto",
    "crash",
    "request",
    "set",
    "unset",
    "appop",
    "log",
    "start_process",
    "contact",
    "if",
];

struct EffectVisitor;

impl<'de> serde::de::Visitor<'de> for EffectVisitor {
    type Value = Effect;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "an effect: one of {} or a one-key map with one of {}",
            UNIT_EFFECTS.join(", "),
            MAP_EFFECTS.join(", ")
        )
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Effect, E> {
        Ok(match v {
            "back" => Effect::Back,
            "exit" => Effect::Exit,
            "toggle" => Effect::Toggle,
            "login" => Effect::Login,
            "logout" => Effect::Logout,
            "delete_account" => Effect::DeleteAccount,
            "read_identifiers" => Effect::ReadIdentifiers,
            "read_clipboard" => Effect::ReadClipboard,
            other => {
                return Err(E::custom(format!(
                    "unknown effect `{other}` (plain effects: {}; effects with a value: {})",
                    UNIT_EFFECTS.join(", "),
                    MAP_EFFECTS.join(", ")
                )));
            }
        })
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Effect, A::Error> {
        use serde::de::Error as _;
        let Some(key) = map.next_key::<String>()? else {
            return Err(A::Error::custom("an effect map needs exactly one key"));
        };
        let e = match key.as_str() {
            "goto" => Effect::Goto(map.next_value()?),
            "crash" => Effect::Crash(map.next_value()?),
            "request" => Effect::Request(map.next_value()?),
            "set" => Effect::Set(map.next_value()?),
            "unset" => Effect::Unset(map.next_value()?),
            "appop" => Effect::Appop(map.next_value()?),
            "log" => Effect::Log(map.next_value()?),
            "start_process" => match map.next_value()? {
                StartProcessValue::Suffix(s) => Effect::StartProcess(s),
                StartProcessValue::Map(p) => Effect::StartProcessFor(p),
            },
            "contact" => Effect::Contact(map.next_value()?),
            "if" => Effect::If(map.next_value()?),
            other => {
                return Err(A::Error::custom(format!(
                    "unknown effect `{other}` (effects with a value: {}; plain effects: {})",
                    MAP_EFFECTS.join(", "),
                    UNIT_EFFECTS.join(", ")
                )));
            }
        };
        if map.next_key::<String>()?.is_some() {
            return Err(A::Error::custom(format!(
                "an effect map has exactly one key; put each effect in its own list item (after `{key}`)"
            )));
        }
        Ok(e)
    }
}

impl<'de> Deserialize<'de> for Effect {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(EffectVisitor)
    }
}

/// A model error, naming the file and the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelError {
    pub file: PathBuf,
    /// e.g. `screens[2].widgets[0].on_tap[0]`; empty for the whole file.
    pub key: String,
    pub message: String,
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(
                f,
                "{}: at `{}`: {}",
                self.file.display(),
                self.key,
                self.message
            )
        }
    }
}

impl std::error::Error for ModelError {}

/// Whether a condition (`flag` / `!flag`) holds for a set of flags.
pub fn cond_holds(cond: &str, flags: &BTreeSet<String>) -> bool {
    match cond.strip_prefix('!') {
        Some(f) => !flags.contains(f.trim()),
        None => flags.contains(cond.trim()),
    }
}

/// A process suffix's problem, if it has one.
fn check_suffix(suffix: &str) -> Result<(), String> {
    if !suffix.starts_with(':') {
        Err(format!("`{suffix}`: a process suffix starts with `:`"))
    } else if !valid_suffix(suffix) {
        Err(format!(
            "`{suffix}` is not a process suffix: `:` then names of letters, digits and `_`, each starting with a letter, joined by `.`"
        ))
    } else {
        Ok(())
    }
}

/// Whether a URI starts with a scheme (`https:`, `tidynotes:`): a letter,
/// then letters, digits, `+`, `-` or `.`, then `:` (RFC 3986). An intent
/// filter's `<data>` names a scheme; without one it matches no link.
fn has_scheme(uri: &str) -> bool {
    uri.split_once(':').is_some_and(|(s, _)| {
        s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

impl AppModel {
    /// The screen a `VIEW` intent for `url` opens: that of the longest
    /// `links` prefix of `url`.
    pub fn link_target(&self, url: &str) -> Option<&str> {
        self.links
            .iter()
            .filter(|l| url.starts_with(&l.prefix))
            .max_by_key(|l| l.prefix.len())
            .map(|l| l.goto.as_str())
    }

    /// Parses and checks one model; `file` names it in errors.
    pub fn from_yaml(src: &str, file: &Path) -> Result<Self, ModelError> {
        let de = serde_yaml::Deserializer::from_str(src);
        let mut m: AppModel = serde_path_to_error::deserialize(de).map_err(|e| ModelError {
            file: file.to_path_buf(),
            key: {
                let p = e.path().to_string();
                if p == "." { String::new() } else { p }
            },
            message: e.inner().to_string(),
        })?;
        m.source = src.to_string();
        m.check().map_err(|(key, message)| ModelError {
            file: file.to_path_buf(),
            key,
            message,
        })?;
        Ok(m)
    }

    pub fn load_file(path: &Path) -> Result<Self, ModelError> {
        let src = std::fs::read_to_string(path).map_err(|e| ModelError {
            file: path.to_path_buf(),
            key: String::new(),
            message: format!("cannot read: {e}"),
        })?;
        Self::from_yaml(&src, path)
    }

    /// Every `*.yaml` in a directory, sorted by file name.
    pub fn load_dir(dir: &Path) -> Result<Vec<Self>, ModelError> {
        let err = |message: String| ModelError {
            file: dir.to_path_buf(),
            key: String::new(),
            message,
        };
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| err(format!("cannot list: {e}")))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
            .collect();
        paths.sort();
        let apps = paths
            .iter()
            .map(|p| Self::load_file(p))
            .collect::<Result<Vec<_>, _>>()?;
        let mut seen = BTreeSet::new();
        for a in &apps {
            if !seen.insert(a.package.clone()) {
                return Err(err(format!("package {} defined twice", a.package)));
            }
        }
        Ok(apps)
    }

    /// The bytes of the simulated APK (`pm install` parses them back).
    pub fn apk_bytes(&self) -> Vec<u8> {
        self.source.clone().into_bytes()
    }

    pub fn screen(&self, id: &str) -> Option<&ScreenModel> {
        self.screens.iter().find(|s| s.id == id)
    }

    /// `com.x/.MainActivity`.
    pub fn short_component(&self) -> String {
        format!("{}/{}", self.package, self.activity)
    }

    /// `com.x.MainActivity`.
    pub fn activity_class(&self) -> String {
        if let Some(rest) = self.activity.strip_prefix('.') {
            format!("{}.{rest}", self.package)
        } else {
            self.activity.clone()
        }
    }

    /// Well-formedness: `Err((key path, message))`.
    fn check(&self) -> Result<(), (String, String)> {
        let valid_pkg = self.package.split('.').count() >= 2
            && self.package.split('.').all(|p| {
                p.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                    && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            });
        if !valid_pkg {
            return Err((
                "package".into(),
                format!("`{}` is not a package name", self.package),
            ));
        }
        if self.screens.is_empty() {
            return Err(("screens".into(), "an app needs at least one screen".into()));
        }
        let mut ids = BTreeSet::new();
        for (i, s) in self.screens.iter().enumerate() {
            if !ids.insert(s.id.as_str()) {
                return Err((
                    format!("screens[{i}].id"),
                    format!("duplicate screen id `{}`", s.id),
                ));
            }
        }
        for (i, p) in self.permissions.iter().enumerate() {
            if !p.contains('.') {
                return Err((
                    format!("permissions[{i}]"),
                    format!("`{p}` is not a permission name"),
                ));
            }
        }
        self.check_effects("on_launch", &self.on_launch, false)?;
        for (i, t) in self.timers.iter().enumerate() {
            if parse_span(&t.every).is_none_or(|v| v == 0) {
                return Err((
                    format!("timers[{i}].every"),
                    format!("`{}` is not a period like `10s`", t.every),
                ));
            }
            self.check_effects(&format!("timers[{i}].effects"), &t.effects, false)?;
        }
        for (i, l) in self.links.iter().enumerate() {
            if l.prefix.is_empty() {
                return Err((
                    format!("links[{i}].prefix"),
                    "a link prefix cannot be empty".into(),
                ));
            }
            if !has_scheme(&l.prefix) {
                return Err((
                    format!("links[{i}].prefix"),
                    format!(
                        "`{}` has no scheme: a link starts with one, like `https://`",
                        l.prefix
                    ),
                ));
            }
            if self.screen(&l.goto).is_none() {
                return Err((
                    format!("links[{i}].goto"),
                    format!("`goto: {}`: no screen with that id", l.goto),
                ));
            }
        }
        for (i, s) in self.screens.iter().enumerate() {
            self.check_effects(&format!("screens[{i}].on_enter"), &s.on_enter, false)?;
            let mut wids = BTreeSet::new();
            for (j, w) in s.widgets.iter().enumerate() {
                let key = format!("screens[{i}].widgets[{j}]");
                if let Some(id) = &w.id {
                    if !wids.insert(id.as_str()) {
                        return Err((
                            format!("{key}.id"),
                            format!("duplicate widget id `{id}` on screen `{}`", s.id),
                        ));
                    }
                }
                if w.on_tap.contains(&Effect::Toggle) && !w.checkable {
                    return Err((
                        format!("{key}.on_tap"),
                        "`toggle` needs `checkable: true`".into(),
                    ));
                }
                if w.password && w.class.as_deref() != Some(EDIT_TEXT) {
                    return Err((
                        format!("{key}.password"),
                        format!("`password` needs `class: {EDIT_TEXT}`"),
                    ));
                }
                if w.class.as_deref() == Some(EDIT_TEXT) && w.id.is_none() {
                    return Err((
                        format!("{key}.id"),
                        "a text field needs an id (its typed text is kept by id)".into(),
                    ));
                }
                if w.checkable && w.id.is_none() {
                    return Err((
                        format!("{key}.id"),
                        "a checkable widget needs an id (its state is kept by id)".into(),
                    ));
                }
                if let Some(b) = w.bounds {
                    if b[0] >= b[2] || b[1] >= b[3] {
                        return Err((format!("{key}.bounds"), "bounds must be [left, top, right, bottom] with left < right, top < bottom".into()));
                    }
                }
                self.check_effects(&format!("{key}.on_tap"), &w.on_tap, true)?;
            }
        }
        Ok(())
    }

    fn check_effects(
        &self,
        key: &str,
        effects: &[Effect],
        in_tap: bool,
    ) -> Result<(), (String, String)> {
        for (i, e) in effects.iter().enumerate() {
            let k = format!("{key}[{i}]");
            match e {
                Effect::Goto(s) if self.screen(s).is_none() => {
                    return Err((k, format!("`goto: {s}`: no screen with that id")));
                }
                Effect::Toggle if !in_tap => {
                    return Err((k, "`toggle` only makes sense in `on_tap`".into()));
                }
                Effect::Request(ps) => {
                    if ps.is_empty() {
                        return Err((k, "`request` needs at least one permission".into()));
                    }
                    for p in ps {
                        if !self.permissions.contains(p) {
                            return Err((
                                k,
                                format!("`{p}` is requested but not declared in `permissions`"),
                            ));
                        }
                        if perms::group_of(p).is_none() {
                            return Err((
                                k,
                                format!("`{p}` is not a runtime permission the simulator knows"),
                            ));
                        }
                    }
                }
                Effect::Appop(n) => {
                    if !perms::KNOWN_OPS.contains(&n.op.as_str()) {
                        return Err((
                            k,
                            format!(
                                "unknown op `{}` (known: {})",
                                n.op,
                                perms::KNOWN_OPS.join(", ")
                            ),
                        ));
                    }
                    if let Some(s) = &n.state {
                        if !["top", "fg", "bg", "cch"].contains(&s.as_str()) {
                            return Err((k, format!("unknown uid state `{s}` (top, fg, bg, cch)")));
                        }
                    }
                    if let Some(d) = &n.duration {
                        if parse_span(d).is_none() {
                            return Err((k, format!("`{d}` is not a duration like `2s`")));
                        }
                    }
                }
                Effect::StartProcess(s) => check_suffix(s).map_err(|m| (k, m))?,
                Effect::StartProcessFor(p) => {
                    check_suffix(&p.suffix)
                        .map_err(|m| (format!("{k}.start_process.suffix"), m))?;
                    let class = p.component.class();
                    if !valid_class(class) {
                        return Err((
                            format!("{k}.start_process.{}", p.component.key()),
                            format!(
                                "`{class}` is not a Java class name (like `.jpush.PushService` or `cn.jpush.android.service.PushService`)"
                            ),
                        ));
                    }
                }
                Effect::Contact(c) if !valid_host(&c.host) => {
                    return Err((
                        format!("{k}.contact.host"),
                        format!(
                            "`{}` is not a host name (dot-separated labels of letters, digits and `-`, like `stats.jpush.cn`)",
                            c.host
                        ),
                    ));
                }
                Effect::If(c) => {
                    self.check_effects(&format!("{k}.then"), &c.then, in_tap)?;
                    self.check_effects(&format!("{k}.else"), &c.otherwise, in_tap)?;
                }
                _ => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(on_launch: &str) -> Result<AppModel, ModelError> {
        AppModel::from_yaml(
            &format!(
                "package: com.example.a\nlabel: A\ntype: news\non_launch:\n  - {on_launch}\nscreens:\n  - id: s\n"
            ),
            Path::new("a.yaml"),
        )
    }

    #[test]
    fn start_process_map_form_names_the_component() {
        let m = app(r#"start_process: {suffix: ":pushcore", service: ".jpush.PushService"}"#)
            .expect("loads");
        assert_eq!(
            m.on_launch,
            vec![Effect::StartProcessFor(ProcessStart {
                suffix: ":pushcore".into(),
                component: Hosted::Service(".jpush.PushService".into()),
            })]
        );
        let m =
            app(r#"start_process: {suffix: ":remote", provider: "com.example.a.data.Provider"}"#)
                .expect("loads");
        let Effect::StartProcessFor(p) = &m.on_launch[0] else {
            panic!("{:?}", m.on_launch);
        };
        assert_eq!(p.component.hosting_type(), "content provider");
        assert_eq!(p.component.class(), "com.example.a.data.Provider");
        // the scalar form still works
        let m = app(r#"start_process: ":push""#).expect("loads");
        assert_eq!(m.on_launch, vec![Effect::StartProcess(":push".into())]);
        // in `on_tap` lists and `if` branches too
        app(
            r#"if: {flag: consented, then: [start_process: {suffix: ":p", service: "Svc$Inner"}]}"#,
        )
        .expect("loads");
    }

    #[test]
    fn contact_names_a_host_and_how() {
        let m = app("contact: {host: stats.jpush.cn}").expect("loads");
        assert_eq!(
            m.on_launch,
            vec![Effect::Contact(Contact {
                host: "stats.jpush.cn".into(),
                via: Via::Tls,
            })]
        );
        let m = app("contact: {host: ulogs.umeng.com, via: http}").expect("loads");
        assert!(matches!(&m.on_launch[0], Effect::Contact(c) if c.via == Via::Http));
        for (effect, key, message) in [
            (
                "contact: {host: localhost}",
                "on_launch[0].contact.host",
                "not a host name",
            ),
            (
                "contact: {host: \"a..b\"}",
                "on_launch[0].contact.host",
                "not a host name",
            ),
            (
                "contact: {host: a.b, via: ftp}",
                "on_launch[0].contact.via",
                "unknown variant",
            ),
            (
                "contact: {hots: a.b}",
                "on_launch[0].contact.hots",
                "unknown field",
            ),
        ] {
            let e = app(effect).expect_err(effect);
            assert_eq!(e.key, key, "{effect}: {e}");
            assert!(e.message.contains(message), "{effect}: {e}");
        }
    }

    #[test]
    fn classes_resolve_as_a_manifest_names_them() {
        assert_eq!(
            manifest_class("com.x", ".jpush.PushService"),
            "com.x.jpush.PushService"
        );
        assert_eq!(manifest_class("com.x", "PushService"), "com.x.PushService");
        assert_eq!(
            manifest_class("com.x", "cn.jpush.android.service.PushService"),
            "cn.jpush.android.service.PushService"
        );
        assert_eq!(scalar_service(":push"), ".PushService");
        assert_eq!(scalar_service(":pushcore"), ".PushcoreService");
        assert_eq!(scalar_service(":sync.remote"), ".SyncRemoteService");
    }

    #[test]
    fn start_process_errors_name_file_and_key() {
        let cases = [
            (
                r#"start_process: {suffix: ":p", service: "1bad"}"#,
                "on_launch[0].start_process.service",
                "is not a Java class name",
            ),
            (
                r#"start_process: {suffix: ":p", provider: ".a..B"}"#,
                "on_launch[0].start_process.provider",
                "is not a Java class name",
            ),
            (
                r#"start_process: {suffix: ":p", service: ".my-service"}"#,
                "on_launch[0].start_process.service",
                "is not a Java class name",
            ),
            (
                r#"start_process: {suffix: "pushcore", service: ".PushService"}"#,
                "on_launch[0].start_process.suffix",
                "starts with `:`",
            ),
            (
                r#"start_process: {suffix: ":push-core", service: ".PushService"}"#,
                "on_launch[0].start_process.suffix",
                "is not a process suffix",
            ),
            (
                r#"start_process: ":""#,
                "on_launch[0]",
                "is not a process suffix",
            ),
            (
                r#"start_process: "push""#,
                "on_launch[0]",
                "starts with `:`",
            ),
            (
                r#"if: {flag: x, then: [start_process: {suffix: ":p", service: "a b"}]}"#,
                "on_launch[0].then[0].start_process.service",
                "is not a Java class name",
            ),
            (
                r#"start_process: {suffix: ":p"}"#,
                "on_launch[0].start_process",
                "`service: CLASS` or `provider: CLASS`",
            ),
            (
                r#"start_process: {suffix: ":p", service: ".A", provider: ".B"}"#,
                "on_launch[0].start_process",
                "not both",
            ),
            (
                r#"start_process: {suffix: ":p", servce: ".A"}"#,
                "on_launch[0].start_process.servce",
                "unknown field `servce`",
            ),
            (
                r"start_process: 3",
                "on_launch[0].start_process",
                "a process suffix",
            ),
        ];
        for (effect, key, message) in cases {
            let e = app(effect).expect_err(effect);
            assert_eq!(e.key, key, "{effect}: {e}");
            assert!(e.message.contains(message), "{effect}: {e}");
            assert!(e.to_string().starts_with("a.yaml: at `"), "{effect}: {e}");
        }
    }
}
