//! Screen understanding: what a UI dump (and its screenshot) shows to a
//! tester. The kind of screen (a system permission, crash or ANR dialog,
//! an in-app consent or permission-rationale dialog, a splash ad, or an
//! ordinary app screen), the role of each button with a selector that
//! finds it, consent checkboxes and switches with their state, and the
//! deletion entries and navigation candidates on the screen.
//!
//! Pure and synchronous: a function of the parsed tree, the optional
//! screenshot and the [`Wording`] data. System windows are recognised by
//! package and resource id first (AOSP's ids, kept by OEM forks), then by
//! text and structure, so that an unknown layout still works; every word
//! comes from `scenarios/builtin/wording.yaml`, none from code. The rules
//! are in [`rules`]; this module holds the output types.

mod fingerprint;
mod rules;
pub mod wording;

use std::fmt::Write as _;

use image::RgbaImage;
use serde::{Deserialize, Serialize};

use crate::android::uiautomator::{Bounds, UiTree};
pub use fingerprint::{Fingerprint, fingerprint, fingerprint_with, is_text_field, without_digits};
pub use wording::{Wording, WordingError, normalise};

/// The version of the JSON form ([`Understanding`] serialised); it changes
/// only when a field changes meaning or goes away.
pub const JSON_VERSION: u32 = 1;

/// What kind of screen it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// The system's runtime-permission dialog.
    PermissionDialog,
    /// The system's "keeps stopping" dialog.
    CrashDialog,
    /// The system's "isn't responding" dialog.
    AnrDialog,
    /// An app's own privacy-policy consent dialog.
    ConsentDialog,
    /// An app's own permission rationale or "go to settings" dialog.
    RationaleDialog,
    /// A splash ad with a skip control.
    SplashAd,
    /// Anything else the app shows.
    App,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::PermissionDialog => "permission-dialog",
            Kind::CrashDialog => "crash-dialog",
            Kind::AnrDialog => "anr-dialog",
            Kind::ConsentDialog => "consent-dialog",
            Kind::RationaleDialog => "rationale-dialog",
            Kind::SplashAd => "splash-ad",
            Kind::App => "app",
        }
    }

    /// A dialog the system draws (not the app).
    pub fn is_system(self) -> bool {
        matches!(
            self,
            Kind::PermissionDialog | Kind::CrashDialog | Kind::AnrDialog
        )
    }
}

/// What a button does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Grants the permission (always, or the whole request).
    Allow,
    /// Grants it while the app is in use.
    AllowForeground,
    /// Grants it this time only.
    AllowOnce,
    /// Denies it.
    Deny,
    /// Denies it and asks the system not to ask again.
    DenyForever,
    /// Agrees to the privacy policy.
    Agree,
    /// Refuses the privacy policy.
    Refuse,
    /// Opens the system settings.
    Settings,
    /// Leaves the app.
    Exit,
    /// Skips an ad or an introduction.
    Skip,
    /// Closes a dialog (a crash dialog's "Close app" too).
    Close,
    /// Waits for an app that is not responding.
    Wait,
    /// Opens the app's system info page.
    AppInfo,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Allow => "allow",
            Role::AllowForeground => "allow-foreground",
            Role::AllowOnce => "allow-once",
            Role::Deny => "deny",
            Role::DenyForever => "deny-forever",
            Role::Agree => "agree",
            Role::Refuse => "refuse",
            Role::Settings => "settings",
            Role::Exit => "exit",
            Role::Skip => "skip",
            Role::Close => "close",
            Role::Wait => "wait",
            Role::AppInfo => "app-info",
        }
    }
}

/// How a scenario finds an element: the fields of the scenario language's
/// selector (`text` and `id` are full-match regexes, escaped here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Selector {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Which of several matches, 0-based, in reading order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    /// `"x,y"`: the element's centre, when nothing else names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub point: Option<String>,
}

impl Selector {
    /// The selector as a scenario writes it: `{id: '...'}` (YAML flow map,
    /// single-quoted).
    pub fn to_yaml(&self) -> String {
        let q = |s: &str| format!("'{}'", s.replace('\'', "''"));
        let mut parts = Vec::new();
        if let Some(id) = &self.id {
            parts.push(format!("id: {}", q(id)));
        }
        if let Some(t) = &self.text {
            parts.push(format!("text: {}", q(t)));
        }
        if let Some(i) = self.index {
            parts.push(format!("index: {i}"));
        }
        if let Some(p) = &self.point {
            parts.push(format!("point: {}", q(p)));
        }
        format!("{{{}}}", parts.join(", "))
    }
}

/// A button and what it does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Button {
    pub role: Role,
    pub text: String,
    pub resource_id: String,
    pub bounds: Option<Bounds>,
    pub selector: Selector,
}

/// What a checkbox or switch is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Purpose {
    /// Consent to the privacy policy or user agreement.
    Consent,
    /// A permission dialog's "Don't ask again" (Android 6–9).
    DontAsk,
    /// Location accuracy, precise (Android 12+).
    Precise,
    /// Location accuracy, approximate (Android 12+).
    Approximate,
    /// Personalised recommendations or ads.
    Personalisation,
    /// Anything else.
    Other,
}

/// A checkbox or switch and its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Toggle {
    pub purpose: Purpose,
    pub text: String,
    pub checked: bool,
    pub resource_id: String,
    pub bounds: Option<Bounds>,
    pub selector: Selector,
}

/// An element a tester may navigate by: a deletion entry or a navigation
/// candidate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub text: String,
    pub resource_id: String,
    pub clickable: bool,
    pub bounds: Option<Bounds>,
    pub selector: Selector,
}

/// What the screen shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Understanding {
    /// [`JSON_VERSION`].
    pub version: u32,
    pub kind: Kind,
    /// The package of the window the kind is about: the system dialog's,
    /// else the foreground app's.
    pub package: String,
    /// The foreground app under a system dialog, when the dump shows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_package: Option<String>,
    /// For a permission or rationale dialog: the group asked (AOSP group
    /// names: `LOCATION`, `CAMERA`, `MICROPHONE`, ...), when it can be told.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permission: Option<String>,
    /// A dialog's title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// A dialog's message: the permission question, the policy text, the
    /// rationale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub buttons: Vec<Button>,
    /// Checkboxes: consent boxes, a permission dialog's "don't ask again",
    /// location accuracy.
    pub checkboxes: Vec<Toggle>,
    pub switches: Vec<Toggle>,
    /// Entries whose label names account deletion.
    pub deletion: Vec<Entry>,
    /// Entries that lead towards settings, the profile or privacy.
    pub navigation: Vec<Entry>,
    /// From the screenshot, when there is one: the share of its pixels
    /// in its most common colour (a blank or loading screen is near 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blank_fraction: Option<f64>,
}

impl Understanding {
    /// The first button with `role`.
    pub fn button(&self, role: Role) -> Option<&Button> {
        self.buttons.iter().find(|b| b.role == role)
    }

    /// The human-readable form `consentry inspect` prints. App text is
    /// shown with control characters escaped.
    pub fn to_text(&self) -> String {
        let mut o = String::new();
        let _ = write!(o, "{}", self.kind.as_str());
        if !self.package.is_empty() {
            let _ = write!(o, "  ({})", clean(&self.package));
        }
        o.push('\n');
        if let Some(app) = &self.app_package {
            let _ = writeln!(o, "over app: {}", clean(app));
        }
        if let Some(p) = &self.permission {
            let _ = writeln!(o, "permission: {p}");
        }
        if let Some(t) = &self.title {
            let _ = writeln!(o, "title: {}", short(t, 100));
        }
        if let Some(m) = &self.message {
            let _ = writeln!(o, "message: {}", short(m, 160));
        }
        if let Some(b) = self.blank_fraction {
            let _ = writeln!(o, "screenshot: {:.0} % in one colour", b * 100.0);
        }
        if !self.buttons.is_empty() {
            o.push_str("buttons:\n");
            let w = self
                .buttons
                .iter()
                .map(|b| b.role.as_str().len())
                .max()
                .unwrap_or(0);
            for b in &self.buttons {
                let _ = writeln!(
                    o,
                    "  {:<w$}  {:<24}  tapOn: {}",
                    b.role.as_str(),
                    format!("\"{}\"", short(&b.text, 30)),
                    b.selector.to_yaml(),
                );
            }
        }
        let toggles = |o: &mut String, title: &str, v: &[Toggle]| {
            if v.is_empty() {
                return;
            }
            let _ = writeln!(o, "{title}:");
            for t in v {
                let purpose = serde_json::to_value(t.purpose)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                let _ = writeln!(
                    o,
                    "  [{}] {:<15} \"{}\"  {}",
                    if t.checked { "x" } else { " " },
                    purpose,
                    short(&t.text, 40),
                    t.selector.to_yaml()
                );
            }
        };
        toggles(&mut o, "checkboxes", &self.checkboxes);
        toggles(&mut o, "switches", &self.switches);
        let entries = |o: &mut String, title: &str, v: &[Entry]| {
            if v.is_empty() {
                return;
            }
            let _ = writeln!(o, "{title}:");
            for e in v {
                let _ = writeln!(o, "  \"{}\"  {}", short(&e.text, 40), e.selector.to_yaml());
            }
        };
        entries(&mut o, "deletion entries", &self.deletion);
        entries(&mut o, "navigation", &self.navigation);
        o
    }
}

/// Per-channel levels within which a pixel counts as the screen's
/// dominant colour, for [`Understanding::blank_fraction`].
pub const BLANK_TOLERANCE: u8 = 8;

/// Understands a dump: see the module docs. `screenshot` adds
/// [`Understanding::blank_fraction`].
pub fn understand(
    tree: &UiTree,
    screenshot: Option<&RgbaImage>,
    wording: &Wording,
) -> Understanding {
    let blank =
        screenshot.map(|img| crate::vision::blankness(img, BLANK_TOLERANCE).dominant_fraction);
    understand_with(tree, blank, wording)
}

/// [`understand`] with the screenshot's blank fraction measured already
/// (from its PNG, streamed).
pub fn understand_with(
    tree: &UiTree,
    blank_fraction: Option<f64>,
    wording: &Wording,
) -> Understanding {
    let mut u = rules::understand(tree, wording);
    u.blank_fraction = blank_fraction;
    u
}

/// Control characters escaped, so that app text cannot drive a terminal
/// (`inspect` and `run` print app text through it).
pub fn clean(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// [`clean`], on one line, cut at `max` characters.
fn short(s: &str, max: usize) -> String {
    let one_line: String = s.replace(['\n', '\r'], " ");
    let c = clean(&one_line);
    if c.chars().count() > max {
        let cut: String = c.chars().take(max).collect();
        format!("{cut}…")
    } else {
        c
    }
}
