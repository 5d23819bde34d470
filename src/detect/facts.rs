//! What several rules read from one run: whether an app screen was ever
//! reached, the consent prompt (its text, a pre-ticked box) and when it
//! was answered, and the texts the app showed.
//!
//! The answer's moment comes from the scenario's marks (docs/categories.md
//! lists them): `consent-shown` just before answering, `consented` (or
//! `consent-accepted`, `consent-agreed`) and `consent-refused` just after.
//! The moment itself is the tap (or back press) between the two, so that
//! what the app does in reaction to the tap counts as after the answer.

use crate::android::uiautomator::{UiNode, UiTree};
use crate::screen::{self, Kind, Purpose, Wording};

use super::Analysed;
use super::timeline::Dev;

pub(super) const AGREED: &[&str] = &["consented", "consent-accepted", "consent-agreed"];
pub(super) const REFUSED: &[&str] = &["consent-refused", "consent-refused-by-back"];
pub(super) const SHOWN: &[&str] = &["consent-shown"];

/// The app's nodes of a dump (system windows left out).
fn app_nodes<'a>(tree: &'a UiTree, package: &str) -> Vec<&'a UiNode> {
    tree.nodes()
        .into_iter()
        .filter(|n| n.package == package)
        .collect()
}

/// Whether a dump shows a screen of the app a user can do something with:
/// some text, or something to tap. A lone progress indicator is not one.
pub(super) fn usable(tree: &UiTree, package: &str) -> bool {
    app_nodes(tree, package).iter().any(|n| {
        !n.class.contains("ProgressBar")
            && (n.clickable || !n.text.trim().is_empty() || !n.content_desc.trim().is_empty())
    })
}

/// The texts of the app's nodes, in dump order.
pub(super) fn texts(tree: &UiTree, package: &str) -> Vec<String> {
    app_nodes(tree, package)
        .iter()
        .flat_map(|n| [n.text.trim(), n.content_desc.trim()])
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// The package of the window in front (bars and keyboards left out).
pub(super) fn front_package<'a>(tree: &'a UiTree, wording: &Wording) -> Option<&'a str> {
    tree.windows
        .iter()
        .map(|w| w.package.as_str())
        .find(|p| !p.is_empty() && !wording.decoration_packages.iter().any(|d| d == p))
}

/// Every dump a run kept, with its run time.
pub(super) fn trees(a: &Analysed) -> Vec<(u64, &str, &UiTree)> {
    let r = &a.loaded.run;
    let mut out: Vec<(u64, &str, &UiTree)> = Vec::new();
    let mut add = |t_ms: u64, rel: &str| {
        if let Some((k, tree)) = a.loaded.trees.get_key_value(rel) {
            if !out.iter().any(|(_, p, _)| *p == k.as_str()) {
                out.push((t_ms, k.as_str(), tree));
            }
        }
    };
    for art in r.artifacts.iter().filter(|x| x.kind == "ui-tree") {
        add(art.t_ms, &art.file);
    }
    for d in &r.dialogs {
        if let Some(rel) = &d.tree {
            add(d.t_ms, rel);
        }
    }
    for e in &r.explorations {
        let start = r.steps.get(e.step).map_or(0, |s| s.start_ms);
        for s in &e.screens {
            if let Some(rel) = &s.tree {
                add(s.t_ms.unwrap_or(start), rel);
            }
        }
    }
    out.sort_by_key(|x| x.0);
    out
}

/// Whether the run ever showed a usable screen of the app.
pub(super) fn reached(a: &Analysed) -> bool {
    let pkg = &a.loaded.run.app.package;
    trees(a).iter().any(|(_, _, t)| usable(t, pkg))
}

/// The consent prompt of a run and its answer.
#[derive(Debug, Clone, Default)]
pub(super) struct Consent {
    /// A consent prompt was on screen.
    pub shown: bool,
    /// The dump of the prompt.
    pub tree: Option<String>,
    /// Its texts, joined (the policy's words).
    pub text: String,
    /// The label of a consent box that was ticked before anyone touched it.
    pub prechecked: Option<String>,
    /// When the user agreed (the tap), and the step.
    pub agreed: Option<(Dev, usize)>,
    /// When the user refused.
    pub refused: Option<(Dev, usize)>,
}

pub(super) fn consent(a: &Analysed, wording: &Wording) -> Consent {
    let tl = &a.timeline;
    let pkg = &a.loaded.run.app.package;
    let mut c = Consent::default();
    let shown_mark = tl.mark(SHOWN);
    let is_consent = |t: &UiTree| {
        let u = screen::understand(t, None, wording);
        u.kind == Kind::ConsentDialog && u.package == *pkg
    };
    // The prompt: the dump at `consent-shown`, else the first consent
    // dialog the run kept before anything was tapped.
    let first_tap_ms = a
        .loaded
        .run
        .steps
        .iter()
        .find(|s| matches!(s.command.as_str(), "tapOn" | "doubleTapOn" | "longPressOn"))
        .map_or(u64::MAX, |s| s.start_ms);
    let marked = a
        .loaded
        .run
        .artifacts
        .iter()
        .find(|x| x.kind == "ui-tree" && SHOWN.iter().any(|m| x.reason == format!("mark-{m}")));
    let candidate = marked
        .and_then(|x| {
            a.loaded
                .trees
                .get_key_value(&x.file)
                .map(|(k, t)| (k.as_str(), t))
        })
        .filter(|(_, t)| is_consent(t))
        .or_else(|| {
            trees(a)
                .into_iter()
                .filter(|(t_ms, _, _)| *t_ms <= first_tap_ms)
                .map(|(_, rel, t)| (rel, t))
                .find(|(_, t)| is_consent(t))
        });
    if let Some((rel, tree)) = candidate {
        let u = screen::understand(tree, None, wording);
        c.shown = true;
        c.tree = Some(rel.to_string());
        c.text = texts(tree, pkg).join(" ");
        c.prechecked = u
            .checkboxes
            .iter()
            .find(|b| b.purpose == Purpose::Consent && b.checked)
            .map(|b| b.text.clone());
    }
    let since = shown_mark.map_or(Dev::MIN, |m| m.0);
    let answer = |names: &[&str]| -> Option<(Dev, usize)> {
        let (mark_dev, mark_step) = tl.mark(names)?;
        let tap = tl.tap_before(mark_dev, since).map(|t| (t.dev, t.step));
        let leave = tl
            .leaves
            .iter()
            .filter(|l| l.dev < mark_dev && l.dev >= since)
            .max_by_key(|l| l.dev)
            .map(|l| (l.dev, l.step));
        Some(
            [tap, leave]
                .into_iter()
                .flatten()
                .max_by_key(|x| x.0)
                .unwrap_or((mark_dev, mark_step)),
        )
    };
    c.agreed = answer(AGREED);
    c.refused = answer(REFUSED);
    if c.agreed.is_some() || c.refused.is_some() {
        c.shown = c.shown || shown_mark.is_some();
    }
    c
}

/// All texts the app showed in a run (every dump kept, exploration
/// screens included), each once.
pub(super) fn all_texts(a: &Analysed) -> Vec<String> {
    let pkg = &a.loaded.run.app.package;
    let mut out: Vec<String> = Vec::new();
    for (_, _, t) in trees(a) {
        for s in texts(t, pkg) {
            if !out.contains(&s) {
                out.push(s);
            }
        }
    }
    for e in &a.loaded.run.explorations {
        for s in e.screens.iter().flat_map(|s| screen_texts(a, s)) {
            if !out.contains(&s) {
                out.push(s);
            }
        }
    }
    out
}

/// The app's texts on an explored screen: from its dump when it was kept
/// (so another app that came to the front is left out), else as recorded.
pub(super) fn screen_texts(a: &Analysed, s: &crate::evidence::ExploredScreen) -> Vec<String> {
    match s.tree.as_deref().and_then(|rel| a.loaded.trees.get(rel)) {
        Some(tree) => texts(tree, &a.loaded.run.app.package),
        None => s.texts.clone(),
    }
}

/// Why an exploration did not see all the app could show it, if it did
/// not: it stopped at a bound or lost the app, the app crashed, froze or
/// quit during it, or no screen of the app was seen at all.
pub(super) fn exploration_cut(a: &Analysed, e: &crate::evidence::Exploration) -> Option<String> {
    use crate::evidence::DialogKind;
    let r = &a.loaded.run;
    if r.dialogs
        .iter()
        .any(|d| d.step == Some(e.step) && matches!(d.kind, DialogKind::Crash | DialogKind::Anr))
    {
        return Some("the app crashed or stopped responding during it".into());
    }
    if let (Some(step), Some(tl_start)) = (
        r.steps.get(e.step),
        r.steps.get(e.step).and_then(|s| a.timeline.dev(s.start_ms)),
    ) {
        let end = a.timeline.dev(step.end_ms).unwrap_or(Dev::MAX);
        let inside = |d: Dev| d >= tl_start && d <= end;
        if a.timeline.crashes.iter().any(|c| inside(c.dev))
            || a.timeline.anrs.iter().any(|c| inside(c.dev))
        {
            return Some("the app crashed or stopped responding during it".into());
        }
        if a.timeline.exits.iter().any(|x| {
            inside(x.dev)
                && matches!(
                    x.reason,
                    crate::android::exit_info::reason::EXIT_SELF
                        | crate::android::exit_info::reason::CRASH
                        | crate::android::exit_info::reason::CRASH_NATIVE
                        | crate::android::exit_info::reason::ANR
                )
        }) {
            return Some("the app quit during it".into());
        }
    }
    if !e.screens.iter().any(|s| !screen_texts(a, s).is_empty()) {
        return Some("it saw no screen of the app with anything on it".into());
    }
    if e.stopped != "exhausted" && e.stopped != "found" {
        return Some(format!("it stopped early ({})", e.stopped));
    }
    None
}
