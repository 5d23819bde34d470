//! The validated scenario model: what the engine runs. Every value here has
//! been checked (regexes compile, durations are positive, referenced files
//! exist), and every step remembers where it was written.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use super::raw::{CrashAnswer, InstallMode, PermissionAnswer, PermissionSetup, SnapshotKind};
use super::values::{
    Direction, Duration, ElementRole, ExploreTarget, Key, Pattern, Point, Template,
};
use crate::category::Category;

/// One scenario file, validated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scenario {
    /// The file as named by the user or reached through `runFlow`.
    pub file: PathBuf,
    pub header: Header,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Header {
    pub app_id: Template,
    /// The header's `name`, or the file's stem.
    pub name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub on_flow_start: Vec<Step>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub on_flow_complete: Vec<Step>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<Category>,
    pub setup: Setup,
    pub on_dialog: OnDialog,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Setup {
    pub install: InstallMode,
    pub permissions: PermissionSetup,
}

impl Default for Setup {
    fn default() -> Self {
        Self {
            install: InstallMode::Keep,
            permissions: PermissionSetup::Default,
        }
    }
}

/// Interrupt handlers for dialogs that may appear at any step.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct OnDialog {
    /// `None`: the flow answers permission dialogs itself (or the step's
    /// `denyPermissions`/`allowPermissions` policy does).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permission: Option<PermissionAnswer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crash: Option<CrashAnswer>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub custom: Vec<DialogHandler>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DialogHandler {
    pub visible: Selector,
    pub commands: Vec<Step>,
}

/// Where something was written: 1-based line and column, and the key path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    pub line: usize,
    pub column: usize,
    pub key: String,
}

/// One command with its common options.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub command: Command,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub optional: bool,
    pub at: Location,
}

/// Finds one element on screen.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Selector {
    /// The elements screen understanding gives this role or kind; the
    /// other keys narrow them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<ElementRole>,
    /// Full-match regex on the text or content description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<Pattern>,
    /// Full-match regex on the resource id, with or without its package.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Pattern>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub point: Option<Point>,
    /// A template image found on the screenshot instead of an element of the
    /// UI tree; only `index` narrows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checked: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub focused: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selected: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub relations: Vec<(Relation, Selector)>,
}

/// The template image of an `image` selector.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImageRef {
    /// As written in the scenario.
    pub written: String,
    /// Resolved against the scenario's folder; it existed at load time.
    pub path: PathBuf,
    /// Lowest match score (`TM_CCOEFF_NORMED`), in 0..=1.
    pub threshold: f32,
}

impl ImageRef {
    /// The threshold when the selector gives none.
    pub const DEFAULT_THRESHOLD: f32 = 0.9;
}

/// How a relative selector relates to its anchor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Relation {
    Below,
    Above,
    LeftOf,
    RightOf,
    ChildOf,
    ContainsChild,
}

impl Relation {
    pub fn key(self) -> &'static str {
        match self {
            Relation::Below => "below",
            Relation::Above => "above",
            Relation::LeftOf => "leftOf",
            Relation::RightOf => "rightOf",
            Relation::ChildOf => "childOf",
            Relation::ContainsChild => "containsChild",
        }
    }
}

/// A screen condition (`when`, `repeat.while`, `extendedWaitUntil`).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Condition {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visible: Option<Selector>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_visible: Option<Selector>,
    /// `Some(false)` when the condition names another platform than Android.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// `runFlow.when` only: holds when this variable has a non-empty value
    /// at run time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Gesture {
    Tap,
    DoubleTap,
    LongPress,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PermissionState {
    Allow,
    Deny,
    Unset,
}

// One per swipe step: the selector's size does not matter enough to box it.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum SwipeKind {
    Direction(Direction),
    Points {
        start: Point,
        end: Point,
    },
    FromElement {
        from: Selector,
        direction: Direction,
    },
}

/// Where the commands of `runFlow` / `retry` come from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum FlowSource {
    /// Another flow file, resolved against the including file's folder. The
    /// loader validates it too.
    File {
        /// As written in the scenario.
        written: String,
        /// Resolved path (relative paths stay relative to the working dir).
        path: PathBuf,
    },
    Inline(Vec<Step>),
}

/// A custom assertion; each failed one becomes a finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Expectation {
    AppRunning(bool),
    AppInForeground(bool),
    NoLogcat(Pattern),
    Logcat(Pattern),
    Visible(Selector),
    NotVisible(Selector),
    ScreenshotMatching { written: String, path: PathBuf },
    ScreenshotNotMatching { written: String, path: PathBuf },
}

/// The validated commands. Names follow Maestro where Maestro has the command.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Command {
    LaunchApp {
        #[serde(skip_serializing_if = "Option::is_none")]
        app_id: Option<Template>,
        clear_state: bool,
        stop_app: bool,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        permissions: Vec<(String, PermissionState)>,
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        arguments: BTreeMap<String, Template>,
    },
    StopApp {
        #[serde(skip_serializing_if = "Option::is_none")]
        app_id: Option<Template>,
    },
    KillApp {
        #[serde(skip_serializing_if = "Option::is_none")]
        app_id: Option<Template>,
    },
    ClearState {
        #[serde(skip_serializing_if = "Option::is_none")]
        app_id: Option<Template>,
    },
    Tap {
        gesture: Gesture,
        target: Selector,
        repeat: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        delay: Option<Duration>,
        retry_if_no_change: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        settle_timeout: Option<Duration>,
    },
    InputText {
        text: Template,
    },
    EraseText {
        #[serde(skip_serializing_if = "Option::is_none")]
        characters: Option<u32>,
    },
    Back,
    PressKey {
        key: Key,
    },
    HideKeyboard,
    Scroll,
    Swipe {
        kind: SwipeKind,
        #[serde(skip_serializing_if = "Option::is_none")]
        duration: Option<Duration>,
    },
    ScrollUntilVisible {
        element: Selector,
        direction: Direction,
        #[serde(skip_serializing_if = "Option::is_none")]
        timeout: Option<Duration>,
        #[serde(skip_serializing_if = "Option::is_none")]
        speed: Option<u32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        visibility_percentage: Option<u32>,
        center_element: bool,
    },
    AssertVisible(Selector),
    AssertNotVisible(Selector),
    ExtendedWaitUntil {
        condition: Condition,
        timeout: Duration,
    },
    WaitForAnimationToEnd {
        #[serde(skip_serializing_if = "Option::is_none")]
        timeout: Option<Duration>,
    },
    TakeScreenshot {
        name: Template,
    },
    RunFlow {
        source: FlowSource,
        #[serde(skip_serializing_if = "Option::is_none")]
        when: Option<Condition>,
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        env: BTreeMap<String, Template>,
    },
    Repeat {
        #[serde(skip_serializing_if = "Option::is_none")]
        times: Option<Template>,
        #[serde(skip_serializing_if = "Option::is_none")]
        while_: Option<Condition>,
        commands: Vec<Step>,
    },
    Retry {
        max_retries: u32,
        source: FlowSource,
    },
    OpenLink {
        link: Template,
        auto_verify: bool,
        browser: bool,
    },
    /// A named point on the evidence timeline.
    Mark {
        name: String,
    },
    /// Stay on the current screen, collecting evidence.
    Idle {
        duration: Duration,
    },
    Expect(Vec<Expectation>),
    /// Answer every system permission dialog from here on.
    PermissionPolicy {
        allow: bool,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        only: Vec<String>,
        dont_ask_again: bool,
        foreground_only: bool,
    },
    /// Bounded exploration for a target element, or a crawl.
    Explore {
        #[serde(flatten)]
        goal: ExploreGoal,
        #[serde(skip_serializing_if = "Option::is_none")]
        avoid: Option<Pattern>,
        max_depth: u32,
        max_taps: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        timeout: Option<Duration>,
    },
    Snapshot(Vec<SnapshotKind>),
}

/// What `explore` looks for.
#[derive(Debug, Clone, PartialEq)]
pub enum ExploreGoal {
    /// An element whose text the pattern finds (`find`).
    Find(Pattern),
    /// An element screen understanding finds (`target`).
    Target(ExploreTarget),
    /// Nothing: visit every screen within the bounds.
    Crawl,
}

impl ExploreGoal {
    /// `find`, `deletion-entry`, `personalisation-switch` or `crawl`.
    pub fn name(&self) -> &'static str {
        match self {
            ExploreGoal::Find(_) => "find",
            ExploreGoal::Target(t) => t.as_str(),
            ExploreGoal::Crawl => "crawl",
        }
    }
}

// As the keys a scenario writes: `find: ...`, `target: ...`, or nothing.
impl Serialize for ExploreGoal {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        match self {
            ExploreGoal::Find(p) => map.serialize_entry("find", p)?,
            ExploreGoal::Target(t) => map.serialize_entry("target", t)?,
            ExploreGoal::Crawl => {}
        }
        map.end()
    }
}

impl Scenario {
    /// Every step, nested ones included, depth first.
    pub fn all_steps(&self) -> Vec<&Step> {
        fn walk<'a>(steps: &'a [Step], out: &mut Vec<&'a Step>) {
            for s in steps {
                out.push(s);
                match &s.command {
                    Command::RunFlow {
                        source: FlowSource::Inline(inner),
                        ..
                    }
                    | Command::Retry {
                        source: FlowSource::Inline(inner),
                        ..
                    }
                    | Command::Repeat {
                        commands: inner, ..
                    } => walk(inner, out),
                    _ => {}
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.header.on_flow_start, &mut out);
        walk(&self.steps, &mut out);
        walk(&self.header.on_flow_complete, &mut out);
        for h in &self.header.on_dialog.custom {
            walk(&h.commands, &mut out);
        }
        out
    }

    /// The files this scenario runs through `runFlow` / `retry`, with the
    /// step that names each.
    pub fn flow_references(&self) -> Vec<(&Step, &std::path::Path)> {
        self.all_steps()
            .into_iter()
            .filter_map(|s| match &s.command {
                Command::RunFlow {
                    source: FlowSource::File { path, .. },
                    ..
                }
                | Command::Retry {
                    source: FlowSource::File { path, .. },
                    ..
                } => Some((s, path.as_path())),
                _ => None,
            })
            .collect()
    }
}
