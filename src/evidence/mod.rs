//! The evidence timeline: the versioned contents of a run directory, the
//! contract between running (`engine`) and judging (`detect`, `analyze`).
//!
//! A run directory holds `run.json` ([`Run`]) and the files it points to,
//! every path relative to the directory:
//!
//! | path | what |
//! |---|---|
//! | `run.json` | this module's [`Run`] |
//! | `logcat.txt` | the logcat slice of the run, all buffers, `threadtime` with uids, markers included |
//! | `screens/NNN-*.png`, `screens/NNN-*.xml` | screenshots and UI dumps, named by sequence and reason |
//! | `snapshots/NNN-KIND-REASON.txt` | raw `dumpsys` output (appops, package, exit-info, activity) |
//! | `explore/NNN.yaml` | a path found by exploration, as a replayable scenario |
//!
//! Times are milliseconds since the run started ([`Run::started`] is the
//! wall clock at that instant), so events from the engine, dialogs and
//! logcat share one axis. Secret values never appear in any of it: they are
//! written as `••••`.
//!
//! Pure types: serde and the JSON Schema ([`schema_json`]; the committed
//! copy is `schemas/evidence.schema.json`). [`VERSION`] changes only when a
//! field changes meaning or goes away; new optional fields keep it.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The format version of `run.json`.
pub const VERSION: u32 = 1;

/// How a secret value is written anywhere in a run directory.
pub const MASK: &str = "••••";

/// A run directory's `run.json`: one scenario run on one device, every
/// step, mark, dialog and snapshot on one time axis (docs/evidence.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Run {
    /// [`VERSION`].
    pub version: u32,
    /// `consentry X.Y.Z`.
    pub tool: String,
    pub scenario: ScenarioInfo,
    pub app: AppInfo,
    pub device: DeviceInfo,
    /// The wall clock when the run started, RFC 3339 in UTC.
    pub started: String,
    pub duration_ms: u64,
    /// The device's clock ran this many times faster than real time (a
    /// simulator's `--time-scale`; `idle` waits were divided by it). Written
    /// by every run since it was added; absent in older files, meaning 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_scale: Option<f64>,
    pub result: RunResult,
    /// Every step run, nested ones included, in the order they started.
    pub steps: Vec<StepRecord>,
    pub marks: Vec<MarkRecord>,
    /// System and app dialogs the engine saw, and what it did.
    pub dialogs: Vec<DialogEvent>,
    /// Runtime-permission changes the engine made through `pm`.
    pub permission_changes: Vec<PermissionChange>,
    /// Raw OS records taken at setup, at each mark, on request and at the end.
    pub snapshots: Vec<SnapshotRecord>,
    /// Screenshots and UI dumps kept.
    pub artifacts: Vec<Artifact>,
    pub explorations: Vec<Exploration>,
    /// The outcome of each `expect` check.
    pub expectations: Vec<ExpectationResult>,
    pub logcat: LogcatInfo,
    /// The network capture of the run, when the device's emulator captured
    /// one (`--capture-network`); absent when the network was not observed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<NetworkInfo>,
    pub counters: Counters,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ScenarioInfo {
    /// The file as given.
    pub file: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Category ids the scenario is written for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<String>,
    /// `granted`, `denied` or `default`: the pass (setup permissions).
    pub permissions: String,
    /// The variables the run used; secret values are masked.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AppInfo {
    pub package: String,
    /// The APK installed for the run, when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apk: Option<String>,
    /// The app type (`--app-type`), when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_name: Option<String>,
    /// The app's uid, from `dumpsys package`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DeviceInfo {
    pub serial: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdk: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abi: Option<String>,
    pub emulator: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen: Option<(u32, u32)>,
}

/// How the run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Every step passed.
    Passed,
    /// A step failed (an element not found, an assertion, a timeout).
    Failed,
    /// The device or the tool failed (device lost, adb down).
    Error,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RunResult {
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
}

/// Why a run stopped early.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Failure {
    /// The step's index in [`Run::steps`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<usize>,
    /// `file:line:column` of the step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    pub message: String,
    /// The selector, when an element was looked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    /// Texts on screen when it failed, nearest to the selector first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on_screen: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub did_you_mean: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
}

/// What happened to a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum StepStatus {
    Passed,
    Failed,
    /// An `optional` step that failed; the scenario went on.
    FailedOptional,
    /// A `runFlow` whose `when` did not hold.
    Skipped,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StepRecord {
    /// Its index in [`Run::steps`].
    pub index: usize,
    /// The enclosing step's index (`runFlow`, `repeat`, `retry`, hooks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<usize>,
    /// `file:line:column`.
    pub at: String,
    /// The command's name as written (`tapOn`, `launchApp`, ...).
    pub command: String,
    /// What it did, for people: `tapOn "Agree"`; secret values masked.
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub start_ms: u64,
    pub end_ms: u64,
    pub status: StepStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Notes: a tap that changed nothing, a dump that was retried, ...
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The screen's fingerprint after the step, when it looked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MarkRecord {
    pub name: String,
    pub t_ms: u64,
    pub step: usize,
    /// The marker as logged (`#N name`), to find it in `logcat.txt`.
    pub logcat_text: String,
    /// Its sequence number in the run's logcat stream.
    pub logcat_seq: u64,
}

/// What kind of dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DialogKind {
    Permission,
    Crash,
    Anr,
    /// A dialog the scenario's `onDialog.custom` handles.
    Custom,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DialogEvent {
    pub t_ms: u64,
    pub kind: DialogKind,
    /// The step running when it appeared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<usize>,
    /// The app the dialog is about.
    pub package: String,
    /// For a permission dialog: the group asked (`CAMERA`, `LOCATION`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission: Option<String>,
    /// The dialog's message as shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// What the engine did: `allow`, `allow-foreground`, `deny`,
    /// `deny-forever`, `close`, `wait`, `handled`, `left` (left for the flow).
    pub answer: String,
    /// Why: `policy` (denyPermissions / allowPermissions), `onDialog`, `default`.
    pub by: String,
    /// Whether the step had just tapped an element of the app (the user
    /// asked for a feature) rather than the app asking by itself.
    pub user_triggered: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screenshot: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tree: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PermissionChange {
    pub t_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<usize>,
    pub permission: String,
    /// `grant`, `revoke` or `unset`.
    pub action: String,
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SnapshotRecord {
    pub t_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<usize>,
    /// `appops`, `package`, `exit-info`, `activity`.
    pub kind: String,
    /// `setup`, `mark:NAME`, `step`, `end`.
    pub reason: String,
    /// The device command, as sent.
    pub command: String,
    /// The raw output, relative to the run directory.
    pub file: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Artifact {
    pub t_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<usize>,
    /// `screenshot` or `ui-tree`.
    pub kind: String,
    /// `mark:NAME`, `failure`, `request:NAME`, `dialog`, `explore`, `snapshot`.
    pub reason: String,
    pub file: String,
    /// The screen's fingerprint, when a dump was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen: Option<String>,
}

/// One `explore` command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Exploration {
    pub step: usize,
    /// What it looked for: `find` (a text pattern), `deletion-entry` or
    /// `personalisation-switch` (found through screen understanding), or
    /// `crawl` (nothing: every screen within the bounds). Files written
    /// before the field existed hold `find` explorations.
    #[serde(default = "default_goal")]
    pub goal: String,
    /// The `find` pattern; empty for the other goals.
    pub find: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avoid: Option<String>,
    pub found: bool,
    /// Taps from the start screen to the screen showing the target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth: Option<u32>,
    /// The target's text as shown, when found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// For a checkable target (a personalisation switch): whether it was
    /// checked when found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_checked: Option<bool>,
    /// The UI tree file of the screen where the target was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_tree: Option<String>,
    /// The shortest path found, tap by tap.
    pub path: Vec<PathTap>,
    /// Taps used in all, replays included.
    pub taps: u32,
    /// Every element tapped, in order (the path's taps and the ones that
    /// led nowhere).
    pub tapped: Vec<PathTap>,
    /// Why it stopped: `found`, `exhausted`, `max-depth`, `max-taps`,
    /// `timeout`, `lost` (the app could not be brought back to a screen).
    pub stopped: String,
    pub duration_ms: u64,
    /// Every screen visited.
    pub screens: Vec<ExploredScreen>,
    /// Taps after which the app was no longer in front (it crashed, quit,
    /// or opened another app); crash and ANR dialogs met on the way are in
    /// [`Run::dialogs`] with this exploration's step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub left_app: Vec<LeftApp>,
    /// Times the app was force-stopped and launched again to replay a path
    /// (back did not lead where it should, or the app had gone).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub relaunches: u32,
    /// The path as a replayable scenario (`explore/NNN.yaml`), when found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow: Option<String>,
}

fn default_goal() -> String {
    "find".into()
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde passes a reference
fn is_zero(n: &u32) -> bool {
    *n == 0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PathTap {
    pub text: String,
    /// The selector a scenario would use, as YAML.
    pub selector: String,
    /// The fingerprint of the screen the tap was made on.
    pub from: String,
    /// When the tap was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t_ms: Option<u64>,
}

/// A tap during exploration after which another app was in front.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LeftApp {
    /// When the other app was seen.
    pub t_ms: u64,
    /// The text of the element tapped.
    pub tap: String,
    /// The fingerprint of the screen it was tapped on.
    pub from: String,
    /// The package in front then (a launcher when the app crashed or quit).
    pub package: String,
    /// Whether a crash or ANR dialog was answered between the tap and then.
    pub crashed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ExploredScreen {
    pub fingerprint: String,
    /// Taps from the start screen.
    pub depth: u32,
    /// When it was first seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t_ms: Option<u64>,
    /// The texts on it, in reading order (condition texts such as an ID
    /// photo, a phone call or "N 个工作日" are evidence).
    pub texts: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screenshot: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tree: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ExpectationResult {
    pub step: usize,
    pub t_ms: u64,
    /// `appRunning: true`, `noLogcat: "FATAL EXCEPTION"`, ...
    pub check: String,
    pub passed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct LogcatInfo {
    /// `logcat.txt`, or none when the stream could not be started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The device command.
    pub command: String,
    pub lines: u64,
    /// Lines the bounded buffer dropped before they were written (0 unless
    /// the device logged faster than the writer drained).
    pub dropped: u64,
    /// Why the stream ended early, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended: Option<String>,
}

/// A network capture written during the run (docs/network.md).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct NetworkInfo {
    /// `network.pcap`, or none when the capture could not be started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Run milliseconds when the capture was started.
    pub started_ms: u64,
    /// The host's wall clock at that moment, milliseconds since the Unix
    /// epoch: the capture's packets carry host time, and this pair places
    /// them on the run's time line.
    pub started_unix_ms: i64,
    /// Run milliseconds when it was ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_ms: Option<u64>,
    /// Why the capture failed or is incomplete, if it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What the run cost on the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Counters {
    pub ui_dumps: u32,
    /// `uiautomator dump` calls that were retried.
    pub dump_retries: u32,
    pub screenshots: u32,
    /// Screens recognised from a screenshot seen before (no dump).
    pub cache_hits: u32,
    pub taps: u32,
    /// Taps that changed nothing and were retried.
    pub taps_retried: u32,
}

/// The JSON Schema of `run.json`, pretty-printed, ending with a newline.
pub fn schema_json() -> String {
    let schema = schemars::generate::SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<Run>();
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}
