//! The evidence the HTML report shows, read from the run directories the
//! report points to: screenshots downscaled to thumbnails (embedded as
//! base64 PNG), log excerpts around a pointer's line, each run's
//! permission-request timeline and exploration paths.
//!
//! This is the only file reading of the report writers ([`super::html`]
//! is a pure render of a [`Report`] and a [`View`]). It tolerates missing
//! and corrupt files: each becomes a note in the view, nothing fails and
//! nothing panics. Paths from the report are used only when they stay
//! inside the run directory (no `..`, not absolute), and every size is
//! capped (the constants below), so a batch of hundreds of apps gives a
//! page of bounded size.
//!
//! It also holds what the three writers share: the categories of the
//! matrix ([`columns`]) and how a pointer is written ([`evidence_path`],
//! [`lead`]).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read as _};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::Serialize;

use super::{AppEntry, AppStatus, AttemptEnd, Report};
use crate::category::Category;
use crate::detect::{Finding, Pointer};
use crate::evidence::{DialogKind, Run};
use crate::verdict::CategoryVerdict;

/// Thumbnails are downscaled to this width (never upscaled).
pub const THUMB_WIDTH: u32 = 240;
/// ... and at most this height (a tall screenshot is narrower).
pub const THUMB_MAX_HEIGHT: u32 = 540;
/// Screenshots per finding.
pub const MAX_THUMBS_PER_FINDING: usize = 3;
/// Screenshots per app.
pub const MAX_THUMBS_PER_APP: usize = 12;
/// Screenshots in the whole report.
pub const MAX_THUMBS_TOTAL: usize = 300;
/// Findings shown per category (the others are counted).
pub const MAX_FINDINGS: usize = 10;
/// Evidence pointers shown per finding.
pub const MAX_POINTERS: usize = 8;
/// Log excerpts per finding.
pub const MAX_EXCERPTS_PER_FINDING: usize = 3;
/// Log excerpts per app.
pub const MAX_EXCERPTS_PER_APP: usize = 24;
/// Lines shown either side of a pointer's line.
pub const EXCERPT_CONTEXT: usize = 3;
/// Characters kept of an excerpt line.
pub const EXCERPT_LINE_CHARS: usize = 240;
/// Run directories shown per app.
pub const MAX_RUNS: usize = 40;
/// Permission requests shown per run.
pub const MAX_REQUESTS: usize = 40;
/// Explorations shown per run.
pub const MAX_EXPLORATIONS: usize = 8;
/// Taps shown per exploration path.
pub const MAX_PATH_TAPS: usize = 25;
/// Notes kept per app.
pub const MAX_NOTES: usize = 20;
/// Larger screenshots are not read.
pub const MAX_IMAGE_BYTES: u64 = 32 << 20;
/// Larger `run.json` files are not read.
pub const MAX_RUN_JSON_BYTES: u64 = 64 << 20;
/// An excerpt search reads at most this much of a file.
pub const MAX_SCAN_BYTES: u64 = 256 << 20;
/// A line longer than this is cut while it is read.
const MAX_READ_LINE: usize = 64 << 10;

/// Everything the HTML report shows that is not in the report itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct View {
    /// One per [`Report::apps`], in its order. A view with fewer (the
    /// default view) renders the report without evidence.
    pub apps: Vec<AppView>,
    /// Caps reached over the whole report.
    pub notes: Vec<String>,
}

/// The evidence of one app.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AppView {
    /// The final attempt's runs, in their order.
    pub runs: Vec<RunView>,
    /// Runs not shown ([`MAX_RUNS`]).
    pub runs_more: usize,
    /// Per category id: one per finding shown (at most [`MAX_FINDINGS`]),
    /// in the verdict's order.
    pub findings: BTreeMap<String, Vec<FindingView>>,
    /// What could not be read, and caps reached.
    pub notes: Vec<String>,
}

/// The evidence of one finding.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FindingView {
    /// One per pointer shown (at most [`MAX_POINTERS`]), in its order.
    pub pointers: Vec<PointerView>,
    pub thumbnails: Vec<Thumbnail>,
}

/// One evidence pointer, located.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PointerView {
    /// `<app dir>/<runs dir>/<run>/<file>[:line]`, relative to the report.
    pub path: String,
    /// The same path as a relative, percent-encoded link; none when the
    /// file is missing or the path would leave the run directory.
    pub href: Option<String>,
    pub excerpt: Option<Excerpt>,
}

/// A few lines of a text file around a pointer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Excerpt {
    pub lines: Vec<ExcerptLine>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ExcerptLine {
    /// 1-based.
    pub number: usize,
    /// Cut to [`EXCERPT_LINE_CHARS`], around the quote when it is longer.
    pub text: String,
    /// The line the pointer names.
    pub hit: bool,
}

/// A downscaled screenshot.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Thumbnail {
    /// `data:image/png;base64,...`: only base64 characters after the comma.
    pub src: String,
    /// The full-size file, relative to the report, percent-encoded.
    pub href: String,
    /// The file's path relative to the report, for people.
    pub path: String,
    pub width: u32,
    pub height: u32,
}

/// One run of the final attempt.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RunView {
    /// The run directory's name.
    pub name: String,
    /// The link to the run directory.
    pub href: Option<String>,
    pub scenario: String,
    /// `granted`, `denied`, `default`.
    pub pass: String,
    /// `passed`, `failed`, `error`; empty when run.json was not read.
    pub status: String,
    /// Why it stopped early.
    pub failure: Option<String>,
    /// Serial, model, SDK.
    pub device: String,
    pub duration_ms: u64,
    /// Every permission dialog, in time order (at most [`MAX_REQUESTS`]).
    pub requests: Vec<PermissionRequest>,
    pub requests_more: usize,
    pub explorations: Vec<ExplorationView>,
    pub explorations_more: usize,
    /// Whether run.json was read.
    pub loaded: bool,
}

/// A permission dialog the engine answered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PermissionRequest {
    pub t_ms: u64,
    pub step: Option<usize>,
    /// The group asked (`CAMERA`, ...).
    pub permission: String,
    /// `allow`, `deny`, `deny-forever`, ...
    pub answer: String,
    /// `policy`, `onDialog`, `default`.
    pub by: String,
    /// The step had just tapped the app (the user asked), rather than the
    /// app asking by itself.
    pub user_triggered: bool,
    /// The dialog's screenshot, as a link.
    pub screenshot: Option<String>,
}

/// One `explore` command.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ExplorationView {
    pub step: usize,
    pub goal: String,
    pub find: String,
    pub found: bool,
    pub depth: Option<u32>,
    pub target: Option<String>,
    pub stopped: String,
    pub taps: u32,
    /// The found path's taps, by their text (at most [`MAX_PATH_TAPS`]).
    pub path: Vec<String>,
    pub path_more: usize,
    pub screens: usize,
    /// Taps after which the app was no longer in front.
    pub left_app: usize,
}

/// The categories of the matrix: those any app has a verdict for, or all
/// of them when none has (every app not run).
pub fn columns(report: &Report) -> Vec<Category> {
    let c = report.categories();
    if c.is_empty() {
        Category::ALL.to_vec()
    } else {
        c
    }
}

/// Where an app's final runs are, relative to the report:
/// `<entry.dir>/<runs_dir>`.
pub fn runs_path(entry: &AppEntry) -> String {
    match &entry.runs_dir {
        Some(r) => format!("{}/{r}", entry.dir),
        None => entry.dir.clone(),
    }
}

/// A pointer's file relative to the report:
/// `<entry.dir>/<runs_dir>/<run>/<file>[:line]`.
pub fn evidence_path(entry: &AppEntry, p: &Pointer) -> String {
    let mut s = format!("{}/{}", runs_path(entry), p.run);
    if let Some(f) = &p.file {
        let _ = write!(s, "/{f}");
    }
    if let Some(l) = p.line {
        let _ = write!(s, ":{l}");
    }
    s
}

/// The first evidence of a verdict, as CI systems and chat show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lead {
    /// [`evidence_path`] of the first finding's first pointer, or the
    /// runs' directory when it has none.
    pub path: String,
    /// That pointer's quote, or the finding's summary, or the verdict's.
    pub line: String,
}

/// The first evidence of a category's verdict.
pub fn lead(entry: &AppEntry, cv: &CategoryVerdict) -> Lead {
    let finding = cv.findings.first();
    let pointer = finding.and_then(|f| f.evidence.first());
    let path = pointer.map_or_else(|| runs_path(entry), |p| evidence_path(entry, p));
    let line = pointer
        .and_then(|p| p.quote.clone())
        .or_else(|| finding.map(|f| f.summary.clone()))
        .unwrap_or_else(|| cv.summary.clone());
    Lead { path, line }
}

/// A relative link: each byte outside `A-Za-z0-9-._~/` percent-encoded,
/// so no part can become a scheme (`javascript:`), a query or a fragment.
pub(crate) fn href(path: &str) -> String {
    let mut s = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            s.push(char::from(b));
        } else {
            let _ = write!(s, "%{b:02X}");
        }
    }
    s
}

/// A path inside a run directory: relative, no `..` or `.`, no empty part.
fn inside(s: &str) -> bool {
    !s.is_empty()
        && !s.contains(['\\', '\0'])
        && s.split('/').all(|c| !c.is_empty() && c != "." && c != "..")
}

/// An app directory relative to the report: may go up (a merged report's
/// `../shard-1/apps/<pkg>`), never absolute.
fn relative_dir(s: &str) -> bool {
    !s.is_empty() && !s.starts_with('/') && !s.contains(['\\', '\0'])
}

fn is_image(file: &str) -> bool {
    Path::new(file).extension().is_some_and(|e| {
        e.eq_ignore_ascii_case("png")
            || e.eq_ignore_ascii_case("jpg")
            || e.eq_ignore_ascii_case("jpeg")
    })
}

/// Reads the evidence of every app. Never fails: what cannot be read is a
/// note.
pub fn gather(report: &Report, dir: &Path) -> View {
    let mut budget = Budget {
        thumbs: MAX_THUMBS_TOTAL,
        thumbs_capped: false,
    };
    let apps = report
        .apps
        .iter()
        .map(|entry| gather_app(entry, dir, &mut budget))
        .collect();
    let mut notes = Vec::new();
    if budget.thumbs_capped {
        notes.push(format!(
            "only the first {MAX_THUMBS_TOTAL} screenshots of the report are shown as thumbnails"
        ));
    }
    View { apps, notes }
}

struct Budget {
    thumbs: usize,
    thumbs_capped: bool,
}

/// One app's gathering: its run directory, the runs read so far.
struct AppGather<'a> {
    entry: &'a AppEntry,
    /// `<report dir>/<entry.dir>/<runs_dir>`, when those are safe.
    root: Option<PathBuf>,
    runs: HashMap<String, Option<Run>>,
    notes: Vec<String>,
    notes_dropped: usize,
    thumbs: usize,
    excerpts: usize,
}

impl AppGather<'_> {
    fn note(&mut self, n: String) {
        if self.notes.contains(&n) {
            return;
        }
        if self.notes.len() < MAX_NOTES {
            self.notes.push(n);
        } else {
            self.notes_dropped += 1;
        }
    }

    /// A file of a run, when the names stay inside the run directory.
    fn file(&mut self, run: &str, file: &str) -> Option<PathBuf> {
        let root = self.root.as_ref()?;
        if inside(run) && inside(file) {
            Some(root.join(run).join(file))
        } else {
            let shown = format!("{run}/{file}");
            self.note(format!(
                "{}: not read: the path leaves the run directory",
                clip(&shown, 120)
            ));
            None
        }
    }

    /// The link to a file of a run, relative to the report.
    fn link(&self, run: &str, file: &str) -> String {
        href(&format!("{}/{run}/{file}", runs_path(self.entry)))
    }

    /// A run's run.json, read once.
    fn run(&mut self, name: &str) -> Option<&Run> {
        if !self.runs.contains_key(name) {
            let loaded = self.load_run(name);
            self.runs.insert(name.to_string(), loaded);
        }
        self.runs.get(name).and_then(Option::as_ref)
    }

    fn load_run(&mut self, name: &str) -> Option<Run> {
        let path = self.file(name, "run.json")?;
        let shown = format!("{}/{name}/run.json", runs_path(self.entry));
        match read_run(&path) {
            Ok(r) => Some(r),
            Err(why) => {
                self.note(format!("{shown}: {why}"));
                None
            }
        }
    }
}

fn read_run(path: &Path) -> Result<Run, String> {
    let f = std::fs::File::open(path).map_err(|e| io_why(&e))?;
    let len = f.metadata().map_err(|e| io_why(&e))?.len();
    if len > MAX_RUN_JSON_BYTES {
        return Err(format!(
            "not read: {len} bytes, more than {MAX_RUN_JSON_BYTES}"
        ));
    }
    serde_json::from_reader(BufReader::new(f)).map_err(|e| format!("not a valid run.json: {e}"))
}

fn io_why(e: &std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::NotFound {
        "missing".into()
    } else {
        e.to_string()
    }
}

fn gather_app(entry: &AppEntry, dir: &Path, budget: &mut Budget) -> AppView {
    let mut g = AppGather {
        entry,
        root: None,
        runs: HashMap::new(),
        notes: Vec::new(),
        notes_dropped: 0,
        thumbs: 0,
        excerpts: 0,
    };
    if entry.result.status == AppStatus::NotRun {
        return AppView::default();
    }
    let Some(runs_dir) = entry.runs_dir.as_deref() else {
        return AppView::default();
    };
    if !relative_dir(&entry.dir) || !inside(runs_dir) {
        g.note(format!(
            "{}: not read: the app's directory is not a relative path",
            clip(&runs_path(entry), 120)
        ));
        return finish(g, AppView::default());
    }
    let root = dir.join(&entry.dir).join(runs_dir);
    if !root.is_dir() {
        // An app that failed before any run has no run directory.
        if entry.result.status == AppStatus::Judged {
            g.note(format!("{}: missing", runs_path(entry)));
        }
        return finish(g, AppView::default());
    }
    g.root = Some(root.clone());

    let mut view = AppView::default();
    let mut names = run_names(entry, &root);
    if names.len() > MAX_RUNS {
        view.runs_more = names.len() - MAX_RUNS;
        names.truncate(MAX_RUNS);
    }
    for name in names {
        let v = run_view(&mut g, &name);
        view.runs.push(v);
    }

    if let Some(verdicts) = &entry.verdicts {
        for cv in &verdicts.categories {
            let findings = cv
                .findings
                .iter()
                .take(MAX_FINDINGS)
                .map(|f| finding_view(&mut g, f, budget))
                .collect();
            view.findings.insert(cv.category.clone(), findings);
        }
    }
    finish(g, view)
}

fn finish(g: AppGather<'_>, mut view: AppView) -> AppView {
    view.notes = g.notes;
    if g.notes_dropped > 0 {
        view.notes
            .push(format!("and {} more notes not shown", g.notes_dropped));
    }
    view
}

/// The runs of the final attempt: those the verdicts name, else every
/// directory holding a run.json.
fn run_names(entry: &AppEntry, root: &Path) -> Vec<String> {
    if let Some(v) = &entry.verdicts {
        if !v.runs.is_empty() {
            return v.runs.iter().map(|r| r.run.clone()).collect();
        }
    }
    let mut names: Vec<String> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter(|e| e.path().join("run.json").is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    names
}

fn run_view(g: &mut AppGather<'_>, name: &str) -> RunView {
    let from_ref = g
        .entry
        .verdicts
        .as_ref()
        .and_then(|v| v.runs.iter().find(|r| r.run == name))
        .cloned();
    let href_dir = inside(name).then(|| href(&format!("{}/{name}/", runs_path(g.entry))));
    let entry_runs = runs_path(g.entry);
    let Some(run) = g.run(name).cloned() else {
        return RunView {
            name: name.to_string(),
            href: href_dir,
            scenario: from_ref
                .as_ref()
                .map(|r| r.scenario.clone())
                .unwrap_or_default(),
            pass: from_ref
                .as_ref()
                .map(|r| r.pass.clone())
                .unwrap_or_default(),
            status: from_ref.map(|r| r.status).unwrap_or_default(),
            ..RunView::default()
        };
    };
    let mut device = run.device.serial.clone();
    if let Some(m) = &run.device.model {
        let _ = write!(device, ", {m}");
    }
    if let Some(s) = run.device.sdk {
        let _ = write!(device, ", SDK {s}");
    }
    let permission: Vec<_> = run
        .dialogs
        .iter()
        .filter(|d| d.kind == DialogKind::Permission)
        .collect();
    let requests = permission
        .iter()
        .take(MAX_REQUESTS)
        .map(|d| PermissionRequest {
            t_ms: d.t_ms,
            step: d.step,
            permission: d.permission.clone().unwrap_or_default(),
            answer: d.answer.clone(),
            by: d.by.clone(),
            user_triggered: d.user_triggered,
            screenshot: d
                .screenshot
                .as_deref()
                .filter(|f| inside(name) && inside(f))
                .map(|f| href(&format!("{entry_runs}/{name}/{f}"))),
        })
        .collect();
    let explorations = run
        .explorations
        .iter()
        .take(MAX_EXPLORATIONS)
        .map(|e| ExplorationView {
            step: e.step,
            goal: e.goal.clone(),
            find: e.find.clone(),
            found: e.found,
            depth: e.depth,
            target: e.target.clone(),
            stopped: e.stopped.clone(),
            taps: e.taps,
            path: e
                .path
                .iter()
                .take(MAX_PATH_TAPS)
                .map(|t| t.text.clone())
                .collect(),
            path_more: e.path.len().saturating_sub(MAX_PATH_TAPS),
            screens: e.screens.len(),
            left_app: e.left_app.len(),
        })
        .collect();
    RunView {
        name: name.to_string(),
        href: href_dir,
        scenario: run.scenario.name.clone(),
        pass: run.scenario.permissions.clone(),
        status: match run.result.status {
            crate::evidence::Status::Passed => "passed",
            crate::evidence::Status::Failed => "failed",
            crate::evidence::Status::Error => "error",
        }
        .to_string(),
        failure: run.result.failure.as_ref().map(|f| f.message.clone()),
        device,
        duration_ms: run.duration_ms,
        requests,
        requests_more: permission.len().saturating_sub(MAX_REQUESTS),
        explorations,
        explorations_more: run.explorations.len().saturating_sub(MAX_EXPLORATIONS),
        loaded: true,
    }
}

/// What to find in a text file: a line by number, or the first line
/// holding a quote.
#[derive(Debug, Clone)]
struct Want {
    line: Option<usize>,
    quote: Option<String>,
}

fn finding_view(g: &mut AppGather<'_>, f: &Finding, budget: &mut Budget) -> FindingView {
    let mut view = FindingView::default();
    // Excerpts wanted, grouped by file so that each file is read once.
    let mut wants: BTreeMap<PathBuf, (String, Vec<(usize, Want)>)> = BTreeMap::new();
    let mut excerpts = 0;
    for (i, p) in f.evidence.iter().take(MAX_POINTERS).enumerate() {
        let mut pv = PointerView {
            path: evidence_path(g.entry, p),
            href: None,
            excerpt: None,
        };
        if let Some(file) = &p.file {
            if let Some(path) = g.file(&p.run, file) {
                if path.is_file() {
                    pv.href = Some(g.link(&p.run, file));
                    let wanted = p.line.is_some() || p.quote.is_some();
                    if !is_image(file) && wanted && excerpts < MAX_EXCERPTS_PER_FINDING {
                        if g.excerpts < MAX_EXCERPTS_PER_APP {
                            excerpts += 1;
                            g.excerpts += 1;
                            let shown = format!("{}/{}/{file}", runs_path(g.entry), p.run);
                            wants
                                .entry(path)
                                .or_insert_with(|| (shown, Vec::new()))
                                .1
                                .push((
                                    i,
                                    Want {
                                        line: p.line,
                                        quote: p.quote.clone(),
                                    },
                                ));
                        } else {
                            g.note(format!(
                                "log excerpts are shown for the first {MAX_EXCERPTS_PER_APP} pointers of the app"
                            ));
                        }
                    }
                } else {
                    let shown = format!("{}/{}/{file}", runs_path(g.entry), p.run);
                    g.note(format!("{shown}: missing"));
                }
            }
        } else if g
            .root
            .as_ref()
            .is_some_and(|r| inside(&p.run) && r.join(&p.run).is_dir())
        {
            // A pointer to the run itself links to its directory.
            pv.href = Some(format!(
                "{}/",
                href(&format!("{}/{}", runs_path(g.entry), p.run))
            ));
        }
        view.pointers.push(pv);
    }
    for (path, (shown, ws)) in wants {
        let only: Vec<Want> = ws.iter().map(|(_, w)| w.clone()).collect();
        match excerpts_of(&path, &only) {
            Ok(found) => {
                for ((i, _), e) in ws.into_iter().zip(found) {
                    if let Some(pv) = view.pointers.get_mut(i) {
                        pv.excerpt = e;
                    }
                }
            }
            Err(why) => g.note(format!("{shown}: {why}")),
        }
    }
    view.thumbnails = thumbnails(g, f, budget);
    view
}

/// The screenshots of a finding: the image files it points to, then the
/// screenshots its runs took at the steps it points to.
fn thumbnails(g: &mut AppGather<'_>, f: &Finding, budget: &mut Budget) -> Vec<Thumbnail> {
    let mut candidates: Vec<(String, String)> = Vec::new();
    for p in &f.evidence {
        if let Some(file) = p.file.as_deref().filter(|f| is_image(f)) {
            candidates.push((p.run.clone(), file.to_string()));
        }
    }
    for p in &f.evidence {
        let Some(step) = p.step else { continue };
        let Some(run) = g.run(&p.run) else { continue };
        let shot = run
            .artifacts
            .iter()
            .filter(|a| a.kind == "screenshot" && a.step == Some(step))
            .min_by_key(|a| p.t_ms.map_or(0, |t| a.t_ms.abs_diff(t)))
            .map(|a| a.file.clone());
        if let Some(file) = shot {
            candidates.push((p.run.clone(), file));
        }
    }
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for (run, file) in candidates {
        if out.len() >= MAX_THUMBS_PER_FINDING {
            break;
        }
        if seen.contains(&(run.clone(), file.clone())) {
            continue;
        }
        seen.push((run.clone(), file.clone()));
        if g.thumbs >= MAX_THUMBS_PER_APP {
            g.note(format!(
                "thumbnails are shown for the first {MAX_THUMBS_PER_APP} screenshots of the app"
            ));
            break;
        }
        if budget.thumbs == 0 {
            budget.thumbs_capped = true;
            break;
        }
        let Some(path) = g.file(&run, &file) else {
            continue;
        };
        let shown = format!("{}/{run}/{file}", runs_path(g.entry));
        match thumbnail(&path) {
            Ok((src, width, height)) => {
                g.thumbs += 1;
                budget.thumbs -= 1;
                out.push(Thumbnail {
                    src,
                    href: g.link(&run, &file),
                    path: shown,
                    width,
                    height,
                });
            }
            Err(why) => g.note(format!("{shown}: {why}")),
        }
    }
    out
}

/// A PNG data URI of the image downscaled to [`THUMB_WIDTH`], and its size.
fn thumbnail(path: &Path) -> Result<(String, u32, u32), String> {
    let len = std::fs::metadata(path).map_err(|e| io_why(&e))?.len();
    if len > MAX_IMAGE_BYTES {
        return Err(format!(
            "not read: {len} bytes, more than {MAX_IMAGE_BYTES}"
        ));
    }
    let mut reader = image::ImageReader::open(path)
        .and_then(image::ImageReader::with_guessed_format)
        .map_err(|e| io_why(&e))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(16_384);
    limits.max_image_height = Some(16_384);
    limits.max_alloc = Some(512 << 20);
    reader.limits(limits);
    let img = reader
        .decode()
        .map_err(|e| format!("not a readable image: {e}"))?;
    let small = if img.width() > THUMB_WIDTH || img.height() > THUMB_MAX_HEIGHT {
        img.thumbnail(THUMB_WIDTH, THUMB_MAX_HEIGHT)
    } else {
        img
    };
    let rgb = small.to_rgb8();
    let mut png = Vec::new();
    {
        use image::ImageEncoder as _;
        let enc = image::codecs::png::PngEncoder::new_with_quality(
            &mut png,
            image::codecs::png::CompressionType::Best,
            image::codecs::png::FilterType::Adaptive,
        );
        enc.write_image(
            rgb.as_raw(),
            rgb.width(),
            rgb.height(),
            image::ExtendedColorType::Rgb8,
        )
        .map_err(|e| format!("thumbnail not encoded: {e}"))?;
    }
    let src = format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(&png)
    );
    Ok((src, rgb.width(), rgb.height()))
}

/// Reads one line, keeping at most [`MAX_READ_LINE`] bytes of it; false
/// at the end of the input.
fn read_line_capped(r: &mut impl BufRead, buf: &mut Vec<u8>) -> std::io::Result<bool> {
    buf.clear();
    let mut any = false;
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            return Ok(any);
        }
        any = true;
        let (used, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        let keep = &chunk[..if done { used - 1 } else { used }];
        let room = MAX_READ_LINE.saturating_sub(buf.len());
        buf.extend_from_slice(&keep[..keep.len().min(room)]);
        r.consume(used);
        if done {
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
            return Ok(true);
        }
    }
}

/// The quote's first line, trimmed and shortened, to look for.
fn needle(quote: &str) -> Option<String> {
    let first = quote.lines().next().unwrap_or("").trim();
    if first.is_empty() {
        None
    } else {
        Some(first.chars().take(120).collect())
    }
}

/// One pass over a text file for several wanted excerpts.
fn excerpts_of(path: &Path, wants: &[Want]) -> Result<Vec<Option<Excerpt>>, String> {
    struct Open {
        lines: Vec<ExcerptLine>,
        /// Lines still to take after the hit.
        left: usize,
        started: bool,
        needle: Option<String>,
        line: Option<usize>,
    }
    let f = std::fs::File::open(path).map_err(|e| io_why(&e))?;
    let mut r = BufReader::new(f.take(MAX_SCAN_BYTES));
    let mut opens: Vec<Open> = wants
        .iter()
        .map(|w| Open {
            lines: Vec::new(),
            left: EXCERPT_CONTEXT,
            started: false,
            needle: w.quote.as_deref().and_then(needle),
            line: w.line,
        })
        .collect();
    let mut ring: std::collections::VecDeque<(usize, String)> =
        std::collections::VecDeque::with_capacity(EXCERPT_CONTEXT + 1);
    let mut buf = Vec::new();
    let mut n = 0;
    while read_line_capped(&mut r, &mut buf).map_err(|e| e.to_string())? {
        n += 1;
        let text = String::from_utf8_lossy(&buf).into_owned();
        for o in &mut opens {
            if o.started {
                if o.left > 0 {
                    o.left -= 1;
                    o.lines.push(ExcerptLine {
                        number: n,
                        text: clip_around(&text, o.needle.as_deref()),
                        hit: false,
                    });
                }
                continue;
            }
            let hit = match o.line {
                Some(l) => l == n,
                None => o.needle.as_deref().is_some_and(|q| text.contains(q)),
            };
            if hit {
                o.started = true;
                for (m, t) in &ring {
                    o.lines.push(ExcerptLine {
                        number: *m,
                        text: clip_around(t, o.needle.as_deref()),
                        hit: false,
                    });
                }
                o.lines.push(ExcerptLine {
                    number: n,
                    text: clip_around(&text, o.needle.as_deref()),
                    hit: true,
                });
            }
        }
        if opens.iter().all(|o| o.started && o.left == 0) {
            break;
        }
        if ring.len() == EXCERPT_CONTEXT {
            ring.pop_front();
        }
        if EXCERPT_CONTEXT > 0 {
            ring.push_back((n, text));
        }
    }
    Ok(opens
        .into_iter()
        .map(|o| o.started.then_some(Excerpt { lines: o.lines }))
        .collect())
}

/// A line cut to [`EXCERPT_LINE_CHARS`], around the needle when the line
/// is longer (a one-line UI dump).
fn clip_around(text: &str, needle: Option<&str>) -> String {
    let count = text.chars().count();
    if count <= EXCERPT_LINE_CHARS {
        return text.to_string();
    }
    let at = needle
        .and_then(|q| text.find(q))
        .map_or(0, |byte| text[..byte].chars().count());
    let start = at.saturating_sub(EXCERPT_LINE_CHARS / 4);
    let mut s = String::new();
    if start > 0 {
        s.push('…');
    }
    s.extend(text.chars().skip(start).take(EXCERPT_LINE_CHARS));
    if start + EXCERPT_LINE_CHARS < count {
        s.push('…');
    }
    s
}

/// An app status, as `result.json` writes it.
pub(crate) fn status_word(s: AppStatus) -> &'static str {
    match s {
        AppStatus::Judged => "judged",
        AppStatus::Error => "error",
        AppStatus::NotRun => "not-run",
    }
}

/// How an attempt ended, as `result.json` writes it.
pub(crate) fn end_word(e: AttemptEnd) -> &'static str {
    match e {
        AttemptEnd::Judged => "judged",
        AttemptEnd::DeviceLost => "device-lost",
        AttemptEnd::TimedOut => "timed-out",
        AttemptEnd::Failed => "failed",
        AttemptEnd::Aborted => "aborted",
    }
}

/// At most `n` characters, with an ellipsis when cut.
pub(crate) fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// A hand-made report the writers' tests share: four apps (violations
/// and a retry, all passes, an error, not run) with hostile app text.
#[cfg(test)]
pub(super) mod fixture {
    use crate::detect::{Finding, Pointer, Severity};
    use crate::report::{
        AppEntry, AppResult, AppStatus, Attempt, AttemptEnd, DeviceEntry, Report, RunInfo,
    };
    use crate::verdict::{AppVerdicts, CategoryVerdict, PassVerdict, RunRef, Verdict};

    pub(crate) const SCRIPT: &str = "<script>alert(1)</script>";
    pub(crate) const IMG: &str = "\"><img src=x onerror=alert(1)>";

    pub(crate) fn finding(
        category: &str,
        severity: Severity,
        summary: &str,
        quote: &str,
    ) -> Finding {
        Finding {
            category: category.into(),
            severity,
            rule: "cbc.before-consent".into(),
            rule_text: "personal information was collected before the user agreed".into(),
            term_zh: "征得用户同意前就开始收集个人信息".into(),
            sources: vec!["工信部信管函〔2019〕337号 item 1".into()],
            summary: summary.into(),
            pass: "granted".into(),
            evidence: vec![
                Pointer {
                    run: "G-1-consent-refusal".into(),
                    step: Some(1),
                    t_ms: Some(1200),
                    file: Some("logcat.txt".into()),
                    line: Some(5),
                    quote: Some(quote.into()),
                },
                Pointer {
                    run: "G-1-consent-refusal".into(),
                    step: Some(1),
                    t_ms: Some(1250),
                    file: Some("screens/001-mark-first-screen.png".into()),
                    line: None,
                    quote: None,
                },
            ],
        }
    }

    pub(crate) fn cv(
        category: &str,
        verdict: Verdict,
        summary: &str,
        findings: Vec<Finding>,
    ) -> CategoryVerdict {
        CategoryVerdict {
            category: category.into(),
            title: crate::category::Category::from_id(category)
                .map_or("", |c| c.title())
                .into(),
            verdict,
            summary: summary.into(),
            findings,
            passes: vec![PassVerdict {
                pass: "granted".into(),
                verdict: Some(verdict),
                why: summary.into(),
            }],
            not_covered: Vec::new(),
            notes: Vec::new(),
        }
    }

    fn attempt(n: u32, end: AttemptEnd, detail: Option<&str>) -> Attempt {
        Attempt {
            number: n,
            device: "emulator-5554".into(),
            started: "2026-12-02T05:15:00Z".into(),
            finished: "2026-12-02T05:19:00Z".into(),
            end,
            detail: detail.map(str::to_string),
            reset: None,
        }
    }

    fn entry(
        package: &str,
        status: AppStatus,
        attempts: Vec<Attempt>,
        verdicts: Option<Vec<CategoryVerdict>>,
    ) -> AppEntry {
        let runs_dir = attempts.last().map(|a| format!("attempt-{}", a.number));
        AppEntry {
            result: AppResult {
                version: 1,
                package: package.into(),
                app_type: Some("news".into()),
                tags: vec!["nightly".into()],
                status,
                retried: attempts.len() > 1,
                attempts,
                problems: Vec::new(),
            },
            dir: format!("apps/{package}"),
            runs_dir,
            verdicts: verdicts.map(|categories| AppVerdicts {
                version: 1,
                tool: "consentry 0.1.0".into(),
                package: package.into(),
                app_type: Some("news".into()),
                runs: vec![RunRef {
                    run: "G-1-consent-refusal".into(),
                    scenario: "consent-refusal".into(),
                    pass: "granted".into(),
                    status: "passed".into(),
                }],
                categories,
            }),
        }
    }

    /// The categories every judged app has, in the categories' order.
    pub(crate) const CATEGORIES: [&str; 5] = [
        "collect-before-consent",
        "forced-targeted-push",
        "refuse-service-on-denial",
        "frequent-permission-requests",
        "account-deletion-obstacles",
    ];

    pub(crate) fn report() -> Report {
        let bad = entry(
            "com.example.eagerfeed",
            AppStatus::Judged,
            vec![
                attempt(
                    1,
                    AttemptEnd::DeviceLost,
                    Some("emulator-5554 went offline"),
                ),
                attempt(2, AttemptEnd::Judged, None),
            ],
            Some(vec![
                cv(
                    "collect-before-consent",
                    Verdict::Violation,
                    &format!("before consent the app read the IMEI {SCRIPT}"),
                    vec![finding(
                        "collect-before-consent",
                        Severity::Statutory,
                        &format!("read before consent {SCRIPT}"),
                        &format!("TelephonyPermissions: getDeviceId {IMG}"),
                    )],
                ),
                cv(
                    "forced-targeted-push",
                    Verdict::Warning,
                    "the personalisation switch is deep",
                    vec![finding(
                        "forced-targeted-push",
                        Severity::Heuristic,
                        "switch at depth 5",
                        "推荐",
                    )],
                ),
                cv(
                    "refuse-service-on-denial",
                    Verdict::Pass,
                    "nothing found",
                    vec![],
                ),
                cv(
                    "frequent-permission-requests",
                    Verdict::Error,
                    "N-2-first-launch: device lost",
                    vec![],
                ),
                cv(
                    "account-deletion-obstacles",
                    Verdict::Inconclusive,
                    "no deletion entry was reached",
                    vec![],
                ),
            ]),
        );
        let mut bad = bad;
        bad.result.tags.push(format!("{SCRIPT}|*x*"));
        let good = entry(
            "com.example.tidynotes",
            AppStatus::Judged,
            vec![attempt(1, AttemptEnd::Judged, None)],
            Some(
                CATEGORIES
                    .iter()
                    .map(|c| cv(c, Verdict::Pass, "nothing found", vec![]))
                    .collect(),
            ),
        );
        let mut broken = entry(
            "com.example.broken",
            AppStatus::Error,
            vec![attempt(1, AttemptEnd::Failed, Some("install failed"))],
            None,
        );
        broken
            .result
            .problems
            .push("INSTALL_FAILED_INVALID_APK".into());
        let later = entry("com.example.later", AppStatus::NotRun, vec![], None);
        let run = RunInfo {
            id: "20261202-051500-abc123".into(),
            tool: "consentry 0.1.0".into(),
            started: "2026-12-02T05:15:00Z".into(),
            finished: Some("2026-12-02T06:15:00Z".into()),
            resumed: Vec::new(),
            suite: "builtin".into(),
            apps_file: Some("apps.txt".into()),
            shard: Some("1/2".into()),
            planned: vec![
                "com.example.eagerfeed".into(),
                "com.example.tidynotes".into(),
                "com.example.broken".into(),
                "com.example.later".into(),
            ],
            retries: 1,
            timeout_per_app_s: 900,
            interrupted: true,
            merged_from: Vec::new(),
            missing_shards: Vec::new(),
            devices: vec![DeviceEntry {
                serial: "emulator-5554".into(),
                server: "127.0.0.1:5037".into(),
                model: Some("sdk_gphone64".into()),
                sdk: Some(34),
                apps: 3,
                lost: 1,
            }],
        };
        Report::new(run, vec![bad, good, broken, later])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(path: &Path, w: u32, h: u32) {
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([
                u8::try_from(x % 256).unwrap(),
                u8::try_from(y % 256).unwrap(),
                90,
            ])
        });
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        img.save(path).unwrap();
    }

    fn logcat(path: &Path, lines: usize) {
        let text = (1..=lines).fold(String::new(), |mut t, n| {
            let _ = writeln!(t, "line {n}");
            t
        });
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn hrefs_cannot_become_schemes_or_queries() {
        assert_eq!(
            href("apps/com.x/attempt-2/G-1/logcat.txt"),
            "apps/com.x/attempt-2/G-1/logcat.txt"
        );
        assert_eq!(href("javascript:alert(1)"), "javascript%3Aalert%281%29");
        assert_eq!(href("a b?c#d\"<"), "a%20b%3Fc%23d%22%3C");
        assert!(inside("screens/001.png"));
        assert!(!inside("../../etc/passwd"));
        assert!(!inside("/etc/passwd"));
        assert!(!inside("a//b"));
        assert!(relative_dir("../shard-1/apps/com.x"));
        assert!(!relative_dir("/abs"));
    }

    #[test]
    fn gathers_thumbnails_excerpts_and_notes_what_is_missing() {
        let tmp = tempfile::tempdir().unwrap();
        let report = fixture::report();
        let run_dir = tmp
            .path()
            .join("apps/com.example.eagerfeed/attempt-2/G-1-consent-refusal");
        png(
            &run_dir.join("screens/001-mark-first-screen.png"),
            720,
            1280,
        );
        logcat(&run_dir.join("logcat.txt"), 20);
        // run.json is absent: a note, and the run is listed from the verdicts.
        let view = gather(&report, tmp.path());
        assert_eq!(view.apps.len(), 4);
        let app = &view.apps[0];
        assert_eq!(app.runs.len(), 1);
        assert!(!app.runs[0].loaded);
        assert!(
            app.notes.iter().any(|n| n.contains("run.json: missing")),
            "{:?}",
            app.notes
        );
        let f = &app.findings["collect-before-consent"][0];
        assert_eq!(
            f.pointers[0].path,
            "apps/com.example.eagerfeed/attempt-2/G-1-consent-refusal/logcat.txt:5"
        );
        assert_eq!(
            f.pointers[0].href.as_deref(),
            Some("apps/com.example.eagerfeed/attempt-2/G-1-consent-refusal/logcat.txt")
        );
        let ex = f.pointers[0].excerpt.as_ref().unwrap();
        let numbers: Vec<usize> = ex.lines.iter().map(|l| l.number).collect();
        assert_eq!(numbers, vec![2, 3, 4, 5, 6, 7, 8]);
        assert!(ex.lines[3].hit && ex.lines[3].text == "line 5");
        assert_eq!(f.thumbnails.len(), 1);
        let t = &f.thumbnails[0];
        assert_eq!((t.width, t.height), (240, 427));
        assert!(t.src.starts_with("data:image/png;base64,"));
        assert!(t.href.ends_with("screens/001-mark-first-screen.png"));
        // The error and not-run apps have nothing to read and say nothing.
        assert!(view.apps[2].notes.is_empty() && view.apps[3].notes.is_empty());
        // The all-pass app's run directory is missing.
        assert!(
            view.apps[1]
                .notes
                .iter()
                .any(|n| n.ends_with("attempt-1: missing"))
        );
    }

    #[test]
    fn reads_run_json_and_tolerates_corrupt_files() {
        let tmp = tempfile::tempdir().unwrap();
        let mut report = fixture::report();
        let run_dir = tmp
            .path()
            .join("apps/com.example.eagerfeed/attempt-2/G-1-consent-refusal");
        // A corrupt screenshot and a corrupt run.json.
        std::fs::create_dir_all(run_dir.join("screens")).unwrap();
        std::fs::write(
            run_dir.join("screens/001-mark-first-screen.png"),
            b"not a png",
        )
        .unwrap();
        std::fs::write(run_dir.join("run.json"), b"{ torn").unwrap();
        // A pointer that tries to leave the run directory.
        let v = report.apps[0].verdicts.as_mut().unwrap();
        v.categories[0].findings[0].evidence[0].file = Some("../../../../etc/passwd".into());
        let view = gather(&report, tmp.path());
        let app = &view.apps[0];
        let f = &app.findings["collect-before-consent"][0];
        assert!(f.pointers[0].href.is_none() && f.pointers[0].excerpt.is_none());
        assert!(f.thumbnails.is_empty());
        let notes = app.notes.join("\n");
        assert!(notes.contains("leaves the run directory"), "{notes}");
        assert!(notes.contains("not a valid run.json"), "{notes}");
        assert!(notes.contains("not a readable image"), "{notes}");
    }

    #[test]
    fn excerpts_find_quotes_and_clip_long_lines() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("dump.xml");
        let long = format!(
            "<hierarchy>{}<node text=\"推荐\"/>{}</hierarchy>",
            "x".repeat(2000),
            "y".repeat(2000)
        );
        std::fs::write(&path, format!("first\n{long}\nlast\n")).unwrap();
        let got = excerpts_of(
            &path,
            &[
                Want {
                    line: None,
                    quote: Some("text=\"推荐\"".into()),
                },
                Want {
                    line: Some(9),
                    quote: None,
                },
            ],
        )
        .unwrap();
        let e = got[0].as_ref().unwrap();
        assert_eq!(e.lines.len(), 3);
        assert!(e.lines[1].hit);
        assert!(e.lines[1].text.contains("推荐") && e.lines[1].text.starts_with('…'));
        assert!(e.lines[1].text.chars().count() <= EXCERPT_LINE_CHARS + 2);
        assert!(got[1].is_none(), "a line past the end has no excerpt");
    }

    #[test]
    fn thumbnails_are_capped_per_finding_and_per_app() {
        let tmp = tempfile::tempdir().unwrap();
        let mut report = fixture::report();
        let run_dir = tmp
            .path()
            .join("apps/com.example.eagerfeed/attempt-2/G-1-consent-refusal");
        let v = report.apps[0].verdicts.as_mut().unwrap();
        let template = v.categories[0].findings[0].clone();
        let mut findings = Vec::new();
        for k in 0..6 {
            let mut f = template.clone();
            f.evidence = (0..5)
                .map(|n| {
                    let file = format!("screens/{k}{n}-shot.png");
                    png(&run_dir.join(&file), 300, 600);
                    Pointer {
                        run: "G-1-consent-refusal".into(),
                        step: None,
                        t_ms: None,
                        file: Some(file),
                        line: None,
                        quote: None,
                    }
                })
                .collect();
            findings.push(f);
        }
        v.categories[0].findings = findings;
        let view = gather(&report, tmp.path());
        let app = &view.apps[0];
        let counts: Vec<usize> = app.findings["collect-before-consent"]
            .iter()
            .map(|f| f.thumbnails.len())
            .collect();
        assert_eq!(counts, vec![3, 3, 3, 3, 0, 0]);
        assert!(app.notes.iter().any(|n| n.contains("first 12 screenshots")));
        let t = &app.findings["collect-before-consent"][0].thumbnails[0];
        assert_eq!((t.width, t.height), (240, 480));
    }

    #[test]
    fn leads_and_columns() {
        let r = fixture::report();
        let cv = &r.apps[0].verdicts.as_ref().unwrap().categories[0];
        let l = lead(&r.apps[0], cv);
        assert_eq!(
            l.path,
            "apps/com.example.eagerfeed/attempt-2/G-1-consent-refusal/logcat.txt:5"
        );
        assert!(l.line.starts_with("TelephonyPermissions"));
        let cv = &r.apps[0].verdicts.as_ref().unwrap().categories[4];
        let l = lead(&r.apps[0], cv);
        assert_eq!(l.path, "apps/com.example.eagerfeed/attempt-2");
        assert_eq!(l.line, "no deletion entry was reached");
        // The error app gives every category a verdict.
        assert_eq!(columns(&r).len(), 8);
    }
}
