//! Which element to try next when exploring towards a target (the
//! `explore` command): the tappable elements of a screen, scored by how
//! likely each leads to the target, best first. Pure: a function of the
//! dump, its [`Understanding`] and the [`Wording`] data; the search loop
//! (taps, back, depth and tap budgets) is the engine's.
//!
//! What is a candidate. A *tap target* is a clickable node; every text
//! and content description under it (down to the next clickable node)
//! labels it, and a tap goes to its centre, clipped to the screen. A text
//! outside any clickable node is a candidate too, as a last resort (some
//! apps draw buttons that say they are not clickable). Not candidates:
//! nodes without bounds or off the screen, nodes of the bars and keyboards
//! (`decoration_packages`) and of system packages other than the app's
//! own (`system_packages`, `permission_packages`), the target's own
//! elements (the caller taps those: [`Ranker::target_hits`]), and elements
//! the explorer must never tap ([`Ranker::avoids`]).
//!
//! The target ([`Target`]) is a text pattern (`explore.find`), or a kind of
//! element the wording data names: a deletion entry (a label of at most
//! `entry_max_chars` holding a `deletion` word) or a personalisation switch
//! (a toggle screen understanding gives that purpose, or a label holding a
//! `personalisation` phrase). A crawl has no target; it leaves deletion
//! entries out too, so that surveying an app never starts a deletion.
//!
//! How they are scored, each rule adding its reason to the candidate:
//!
//! | reason | score | when |
//! |---|---|---|
//! | `target-word` | up to +6 | a label shares words with one of the target's alternatives (the share of that alternative's words: `Account` is half of `Delete account`); for a target kind, the alternatives are the wording's `deletion` words or `personalisation` phrases, whose Latin words the normalised data runs together, so a label's word inside one counts by its share of the letters (`Account` is 7 of the 13 of `deleteaccount`) |
//! | `navigation-word` | +4 | a label is a `navigation` word (`我的`, `设置`, `Me`, `Settings`, ...) |
//! | `navigation-part` | +2 | otherwise, a label holds a navigation word among its words (`网关设置`, `Account and security`) |
//! | `navigation-id` | +1.5 | the resource id's name has a navigation word as a part (`tab_me`, `iv_settings`): unlabelled icons |
//! | `dialog-way-on` | +5 | on a splash ad or an app's own dialog, its skip, close, agree or deny button |
//! | `tab-bar` | +1.5 | one of three or more small elements in the bottom 12 % of the screen |
//! | `top-corner` | +1 | a small element in a top corner (a profile avatar, a settings gear) |
//! | `no-text` | −1 | nothing labels it |
//! | `long-text` | −2 | its shortest label is a paragraph (over 40 characters) |
//! | `toggle` | −2 | a checkbox or switch: tapping it changes a setting, not the screen |
//! | `not-clickable` | −2 | a text outside any clickable node |
//! | `text-field` | −3 | an input field |
//! | `disabled` | −3 | not enabled |
//! | `tried` | −100 | its key was tapped on this screen already: kept, but last |
//!
//! Ties go to reading order (top to bottom, then left to right), then to
//! document order, so the ranking of a dump is always the same.
//!
//! Words are compared on their *parts*: each whitespace- or
//! punctuation-separated piece of a text, normalised ([`normalise`]),
//! gives its Latin words of three letters or more, and its runs of other
//! letters (Chinese) give their pairs of adjacent characters. So `账号`
//! is a part of `注销账号` and of `账号与安全`, and `me` is not a part of
//! `Home`.

use std::collections::{HashMap, HashSet};

use regex::Regex;
use serde::Serialize;

use crate::android::uiautomator::{Bounds, UiNode, UiTree};
use crate::screen::{
    Kind, Purpose, Role, Understanding, Wording, is_text_field, normalise, without_digits,
};

/// One element exploration may tap, with its score and the evidence for it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// Stable within its screen: the resource id and the normalised label
    /// with digits masked (`com.x:id/me|me`), and `|2`, `|3`, ... for the
    /// second and later elements with the same id and label, in document
    /// order. What [`Ranker::rank`]'s `tried` holds.
    pub key: String,
    /// Its labels, joined by a space (empty when nothing labels it).
    pub text: String,
    /// The tap target's resource id, else the first labelled node's.
    pub resource_id: String,
    /// The tap target's bounds, clipped to the screen.
    pub bounds: Bounds,
    /// Where to tap: the centre of `bounds`.
    pub center: (i32, i32),
    pub score: f64,
    /// The rules that scored it, in the order of the table in the module
    /// docs.
    pub reasons: Vec<&'static str>,
}

/// What an exploration looks for, as the ranking sees it.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// Labels the pattern finds (`explore.find`).
    Text(&'a Regex),
    /// An entry whose label names account deletion (the wording's
    /// `deletion` words).
    DeletionEntry,
    /// A switch or checkbox for personalised recommendations or ads (the
    /// wording's `personalisation` phrases).
    PersonalisationSwitch,
    /// Nothing: a crawl.
    Crawl,
}

/// The ranking's inputs that stay the same for a whole exploration.
#[derive(Debug, Clone, Copy)]
pub struct Ranker<'a> {
    /// What the exploration looks for.
    pub target: Target<'a>,
    /// The scenario's own `explore.avoid`, searched in labels.
    pub avoid: Option<&'a Regex>,
    /// Whether the wording's `explore_avoid` words apply too (the
    /// default; off only to explore towards one of them, a logout test).
    pub builtin_avoid: bool,
    pub wording: &'a Wording,
}

/// Score weights: see the table in the module docs.
const TARGET_WORD: f64 = 6.0;
const NAVIGATION_WORD: f64 = 4.0;
const NAVIGATION_PART: f64 = 2.0;
const NAVIGATION_ID: f64 = 1.5;
const DIALOG_WAY_ON: f64 = 5.0;
const TAB_BAR: f64 = 1.5;
const TOP_CORNER: f64 = 1.0;
const NO_TEXT: f64 = -1.0;
const LONG_TEXT: f64 = -2.0;
const TOGGLE: f64 = -2.0;
const NOT_CLICKABLE: f64 = -2.0;
const TEXT_FIELD: f64 = -3.0;
const DISABLED: f64 = -3.0;
const TRIED: f64 = -100.0;
/// A label longer than this (in characters) is a paragraph.
const LONG_TEXT_CHARS: usize = 40;

impl<'a> Ranker<'a> {
    /// A ranker for `target` with the built-in avoid list on and no
    /// avoid pattern of the scenario's.
    pub fn new(target: &'a Regex, wording: &'a Wording) -> Self {
        Self::towards(Target::Text(target), wording)
    }

    /// A ranker towards any [`Target`], with the built-in avoid list on.
    pub fn towards(target: Target<'a>, wording: &'a Wording) -> Self {
        Ranker {
            target,
            avoid: None,
            builtin_avoid: true,
            wording,
        }
    }

    /// Whether exploration must not tap an element labelled `label`: the
    /// scenario's avoid pattern finds it, or (unless switched off) the
    /// wording's `explore_avoid` words name it.
    pub fn avoids(&self, label: &str) -> bool {
        self.avoid.is_some_and(|a| a.is_match(label))
            || (self.builtin_avoid && self.wording.explore_avoids(label))
    }

    /// The tappable elements of the screen, best first, without the
    /// target's own elements and without any [`Ranker::avoids`] forbids.
    /// `tried` holds the keys ([`Candidate::key`]) already tapped on this
    /// screen: they stay in the list, last. A system dialog
    /// ([`Kind::is_system`]) should be answered before ranking: its
    /// buttons are not candidates.
    pub fn rank(
        &self,
        tree: &UiTree,
        understanding: &Understanding,
        tried: &HashSet<String>,
    ) -> Vec<Candidate> {
        let screen = Screen::of(tree, understanding, self.wording);
        let clues = Clues::new(self, &screen, understanding);
        let mut out: Vec<(Candidate, (i32, i32, usize))> = screen
            .taps
            .iter()
            .enumerate()
            .filter(|(_, t)| {
                !self.is_target(t, understanding) && !t.labels.iter().any(|l| self.avoids(l))
            })
            .map(|(order, t)| {
                let mut c = self.score(t, &screen, &clues);
                if tried.contains(&c.key) {
                    add(&mut c, TRIED, "tried");
                }
                (c, (t.bounds.top, t.bounds.left, order))
            })
            .collect();
        out.sort_by(|(a, ra), (b, rb)| b.score.total_cmp(&a.score).then(ra.cmp(rb)));
        out.into_iter().map(|(c, _)| c).collect()
    }

    /// `t` as a candidate, scored by every rule but `tried`.
    fn score(&self, t: &Tap<'_>, screen: &Screen<'_>, clues: &Clues<'_>) -> Candidate {
        let mut c = Candidate {
            key: t.key.clone(),
            text: t.labels.join(" "),
            resource_id: t.resource_id.to_string(),
            bounds: t.bounds,
            center: t.bounds.center(),
            score: 0.0,
            reasons: Vec::new(),
        };
        let label_parts: Vec<Vec<String>> = t.labels.iter().map(|l| parts(l)).collect();
        let similarity = label_parts
            .iter()
            .map(|p| similarity(p, &clues.alternatives, clues.joined))
            .fold(0.0, f64::max);
        if similarity > 0.0 {
            add(&mut c, TARGET_WORD * similarity, "target-word");
        }
        if t.labels
            .iter()
            .any(|l| self.wording.navigation.is(&normalise(l)))
        {
            add(&mut c, NAVIGATION_WORD, "navigation-word");
        } else if label_parts.iter().any(|p| {
            clues
                .navigation
                .iter()
                .any(|w| w.iter().all(|x| p.contains(x)))
        }) {
            add(&mut c, NAVIGATION_PART, "navigation-part");
        }
        if id_has_word(t.resource_id, &clues.id_words) {
            add(&mut c, NAVIGATION_ID, "navigation-id");
        }
        let (x, y) = c.center;
        if clues.ways_on.iter().any(|b| contains(b, x, y)) {
            add(&mut c, DIALOG_WAY_ON, "dialog-way-on");
        }
        if clues.tab_bar && screen.in_bottom_band(&t.bounds) {
            add(&mut c, TAB_BAR, "tab-bar");
        }
        if screen.in_top_corner(&t.bounds) {
            add(&mut c, TOP_CORNER, "top-corner");
        }
        if t.labels.is_empty() {
            add(&mut c, NO_TEXT, "no-text");
        } else if t.labels.iter().all(|l| l.chars().count() > LONG_TEXT_CHARS) {
            add(&mut c, LONG_TEXT, "long-text");
        }
        for (applies, score, reason) in [
            (t.node.checkable, TOGGLE, "toggle"),
            (!t.node.clickable, NOT_CLICKABLE, "not-clickable"),
            (is_text_field(t.node), TEXT_FIELD, "text-field"),
            (!t.node.enabled, DISABLED, "disabled"),
        ] {
            if applies {
                add(&mut c, score, reason);
            }
        }
        c
    }

    /// Whether the target is on the screen: the elements a label of which
    /// (a text or content description) the target's pattern finds (for a
    /// target kind: the labels of the tap targets that are one), with the
    /// bounds to tap (the clickable node's that holds the label, else the
    /// label's own), in document order. Elements [`Ranker::avoids`]
    /// forbids are not hits: switch the built-in list off to explore
    /// towards one of its words. A crawl has no hits.
    pub fn target_hits(
        &self,
        tree: &UiTree,
        understanding: &Understanding,
    ) -> Vec<(String, Bounds)> {
        if matches!(self.target, Target::Crawl) {
            return Vec::new();
        }
        let screen = Screen::of(tree, understanding, self.wording);
        screen
            .taps
            .iter()
            .filter(|t| !t.labels.iter().any(|l| self.avoids(l)))
            .filter(|t| self.is_target(t, understanding))
            .flat_map(|t| {
                t.labels
                    .iter()
                    .filter(|l| match self.target {
                        Target::Text(re) => re.is_match(l),
                        _ => true,
                    })
                    .map(|l| ((*l).to_string(), t.bounds))
            })
            .collect()
    }

    /// Whether `t` is (or, for a crawl, would start a deletion like) the
    /// target: never a candidate.
    fn is_target(&self, t: &Tap<'_>, u: &Understanding) -> bool {
        let w = self.wording;
        let deletion = |t: &Tap<'_>| {
            t.labels.iter().any(|l| {
                l.chars().count() <= w.entry_max_chars && w.deletion.in_text(&normalise(l))
            })
        };
        match self.target {
            Target::Text(re) => t.labels.iter().any(|l| re.is_match(l)),
            Target::DeletionEntry | Target::Crawl => deletion(t),
            Target::PersonalisationSwitch => {
                t.labels
                    .iter()
                    .any(|l| w.personalisation.in_text(&normalise(l)))
                    || u.switches
                        .iter()
                        .chain(&u.checkboxes)
                        .filter(|x| x.purpose == Purpose::Personalisation)
                        .any(|x| x.bounds.is_some() && x.bounds == t.node.bounds)
            }
        }
    }
}

/// Something a tap can go to: a clickable node with the labels under it,
/// or a text outside any clickable node.
struct Tap<'t> {
    node: &'t UiNode,
    labels: Vec<&'t str>,
    resource_id: &'t str,
    /// Clipped to the screen.
    bounds: Bounds,
    key: String,
}

/// What a screen's candidates are scored against, worked out once per
/// ranking.
struct Clues<'w> {
    /// The target's alternatives, as parts.
    alternatives: Vec<Vec<String>>,
    /// Whether the alternatives come from normalised wording data, whose
    /// Latin words are run together.
    joined: bool,
    /// The navigation words, as parts.
    navigation: Vec<Vec<String>>,
    /// The navigation words of one Latin word, for resource ids.
    id_words: Vec<&'w str>,
    /// The bounds of a splash ad's or an app dialog's way on.
    ways_on: Vec<Bounds>,
    /// Whether the screen has a bottom tab bar (three or more small
    /// elements in the bottom band).
    tab_bar: bool,
}

impl<'w> Clues<'w> {
    fn new(r: &Ranker<'w>, screen: &Screen<'_>, u: &Understanding) -> Self {
        let nav = &r.wording.navigation;
        let dialog = matches!(
            u.kind,
            Kind::SplashAd | Kind::ConsentDialog | Kind::RationaleDialog
        );
        let (alternatives, joined) = match r.target {
            Target::Text(re) => (alternatives(re.as_str()), false),
            Target::DeletionEntry => (wording_alternatives(&r.wording.deletion), true),
            Target::PersonalisationSwitch => {
                (wording_alternatives(&r.wording.personalisation), true)
            }
            Target::Crawl => (Vec::new(), false),
        };
        Clues {
            alternatives,
            joined,
            navigation: nav.iter().map(parts).filter(|p| !p.is_empty()).collect(),
            id_words: nav
                .iter()
                .filter(|w| w.chars().all(|c| c.is_ascii_alphanumeric()))
                .collect(),
            ways_on: u
                .buttons
                .iter()
                .filter(|b| {
                    dialog && matches!(b.role, Role::Skip | Role::Close | Role::Agree | Role::Deny)
                })
                .filter_map(|b| b.bounds)
                .collect(),
            tab_bar: screen
                .taps
                .iter()
                .filter(|t| screen.in_bottom_band(&t.bounds))
                .count()
                >= 3,
        }
    }
}

/// The screen's size and its tap targets in document order.
struct Screen<'t> {
    width: i32,
    height: i32,
    taps: Vec<Tap<'t>>,
}

impl<'t> Screen<'t> {
    fn of(tree: &'t UiTree, u: &Understanding, wording: &Wording) -> Self {
        let (width, height) = tree
            .windows
            .iter()
            .filter_map(|w| w.bounds)
            .fold((0, 0), |(w, h), b| (w.max(b.right), h.max(b.bottom)));
        // The app's package is allowed even when it is a system package
        // (exploring the Settings app).
        let app = if u.kind.is_system() {
            u.app_package.as_deref()
        } else {
            Some(u.package.as_str())
        };
        let allowed = |p: &str| {
            let system = wording.system_packages.iter().any(|s| s == p)
                || wording.permission_packages.iter().any(|s| s == p);
            !wording.decoration_packages.iter().any(|s| s == p) && (!system || app == Some(p))
        };
        let mut found: Vec<(&'t UiNode, Vec<(&'t UiNode, &'t str)>)> = Vec::new();
        for root in &tree.windows {
            collect(root, None, &allowed, &mut found);
        }
        let mut s = Screen {
            width,
            height,
            taps: Vec::new(),
        };
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (node, labelled) in found {
            let Some(bounds) = node.bounds.and_then(|b| s.clip(b)) else {
                continue;
            };
            let mut labels: Vec<&str> = Vec::new();
            for &(_, l) in &labelled {
                if !labels.contains(&l) {
                    labels.push(l);
                }
            }
            let resource_id = if node.resource_id.is_empty() {
                labelled
                    .iter()
                    .map(|(n, _)| n.resource_id.as_str())
                    .find(|id| !id.is_empty())
                    .unwrap_or("")
            } else {
                node.resource_id.as_str()
            };
            let base = format!(
                "{resource_id}|{}",
                without_digits(&normalise(&labels.join(" ")))
            );
            let n = seen.entry(base.clone()).or_insert(0);
            *n += 1;
            let key = if *n == 1 { base } else { format!("{base}|{n}") };
            s.taps.push(Tap {
                node,
                labels,
                resource_id,
                bounds,
                key,
            });
        }
        s
    }

    /// `b` within the screen, or `None` when none of it is on it (or the
    /// screen's size is unknown and `b` is empty).
    fn clip(&self, b: Bounds) -> Option<Bounds> {
        let c = if self.width > 0 && self.height > 0 {
            Bounds {
                left: b.left.max(0),
                top: b.top.max(0),
                right: b.right.min(self.width),
                bottom: b.bottom.min(self.height),
            }
        } else {
            b
        };
        (!c.is_empty()).then_some(c)
    }

    /// A small element in the bottom 12 % of the screen.
    fn in_bottom_band(&self, b: &Bounds) -> bool {
        let h = f64::from(self.height);
        let (_, cy) = b.center();
        self.height > 0
            && f64::from(cy) >= 0.88 * h
            && f64::from(b.bottom - b.top) <= 0.12 * h
            && f64::from(b.right - b.left) <= 0.5 * f64::from(self.width)
    }

    /// A small element in the top 15 %, within a fifth of either side.
    fn in_top_corner(&self, b: &Bounds) -> bool {
        let (w, h) = (f64::from(self.width), f64::from(self.height));
        let (cx, cy) = b.center();
        let (cx, cy) = (f64::from(cx), f64::from(cy));
        self.height > 0
            && cy <= 0.15 * h
            && (cx <= 0.2 * w || cx >= 0.8 * w)
            && f64::from(b.right - b.left) <= 0.25 * w
    }
}

/// Walks `n`: each clickable node opens a tap target that collects the
/// labels under it (down to the next clickable node); a label outside any
/// is a target of its own. Nodes of packages not `allowed` are skipped
/// with their subtrees. The parser bounds the depth
/// (`uiautomator::MAX_DEPTH`), so the recursion is bounded too.
fn collect<'t>(
    n: &'t UiNode,
    inside: Option<usize>,
    allowed: &dyn Fn(&str) -> bool,
    found: &mut Vec<(&'t UiNode, Vec<(&'t UiNode, &'t str)>)>,
) {
    if !allowed(&n.package) {
        return;
    }
    let at = if n.clickable {
        found.push((n, Vec::new()));
        Some(found.len() - 1)
    } else {
        inside
    };
    let text = if is_text_field(n) { "" } else { n.text.trim() };
    let labels: Vec<_> = [text, n.content_desc.trim()]
        .into_iter()
        .filter(|l| !l.is_empty())
        .map(|l| (n, l))
        .collect();
    if let Some(i) = at {
        found[i].1.extend(labels);
    } else if !labels.is_empty() {
        found.push((n, labels));
    }
    for c in &n.children {
        collect(c, at, allowed, found);
    }
}

/// The parts of a text: see the module docs.
fn parts(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |p: String| {
        if !out.contains(&p) {
            out.push(p);
        }
    };
    for piece in text.split(|c: char| !c.is_alphanumeric()) {
        let chars: Vec<char> = normalise(piece).chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let spaced = is_spaced(chars[i]);
            let end = chars[i..]
                .iter()
                .position(|&c| is_spaced(c) != spaced)
                .map_or(chars.len(), |k| i + k);
            let run = &chars[i..end];
            if spaced {
                if run.len() >= 3 && !run.iter().all(char::is_ascii_digit) {
                    add(run.iter().collect());
                }
            } else if run.len() == 1 {
                add(run[0].to_string());
            } else {
                for pair in run.windows(2) {
                    add(pair.iter().collect());
                }
            }
            i = end;
        }
    }
    out
}

/// Whether `c` belongs to a script written with spaces between words
/// (Latin, Greek, Cyrillic, ...: everything before the CJK blocks).
fn is_spaced(c: char) -> bool {
    u32::from(c) < 0x2E80
}

/// The target's alternatives as parts: the pattern split on its top-level
/// `|`, with regex syntax taken as spaces (`注销(账号|帐号)` is one
/// alternative with the parts of `注销 账号 帐号`).
fn alternatives(pattern: &str) -> Vec<Vec<String>> {
    let mut alts = vec![String::new()];
    let mut depth = 0usize;
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        let last = alts.len() - 1;
        match c {
            '\\' => {
                chars.next();
                alts[last].push(' ');
            }
            '(' | '[' => {
                depth += 1;
                alts[last].push(' ');
            }
            ')' | ']' => {
                depth = depth.saturating_sub(1);
                alts[last].push(' ');
            }
            '|' if depth == 0 => alts.push(String::new()),
            _ if c.is_alphanumeric() => alts[last].push(c),
            _ => alts[last].push(' '),
        }
    }
    alts.iter()
        .map(|a| parts(a))
        .filter(|p| !p.is_empty())
        .collect()
}

/// Wording words (normalised) as alternatives: each word's parts.
fn wording_alternatives(words: &crate::screen::wording::Words) -> Vec<Vec<String>> {
    words.iter().map(parts).filter(|p| !p.is_empty()).collect()
}

/// The largest share of one alternative's parts found among `label`'s.
/// With `joined` alternatives (Latin words run together), a Latin label
/// part inside an alternative's part counts by its share of the letters.
#[allow(clippy::cast_precision_loss)] // counts of a handful of words
fn similarity(label: &[String], alternatives: &[Vec<String>], joined: bool) -> f64 {
    let part_share = |p: &String| -> f64 {
        if label.contains(p) {
            return 1.0;
        }
        if !joined || !p.chars().all(is_spaced) {
            return 0.0;
        }
        let letters: usize = label
            .iter()
            .filter(|l| l.chars().all(is_spaced) && p.contains(l.as_str()))
            .map(|l| l.chars().count())
            .sum();
        (letters as f64 / p.chars().count().max(1) as f64).min(1.0)
    };
    alternatives
        .iter()
        .map(|alt| alt.iter().map(part_share).sum::<f64>() / alt.len() as f64)
        .fold(0.0, f64::max)
}

fn add(c: &mut Candidate, score: f64, reason: &'static str) {
    c.score += score;
    c.reasons.push(reason);
}

/// Whether the name part of `id` (after `:id/`), split on `_`, `-`, `.`
/// and lower-to-upper case changes, has one of `words` (one-word
/// navigation words, normalised) among its pieces.
fn id_has_word(id: &str, words: &[&str]) -> bool {
    let name = id.rsplit_once(":id/").map_or(id, |(_, n)| n);
    let mut pieces: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if matches!(c, '_' | '-' | '.') || (c.is_uppercase() && prev_lower) {
            pieces.push(std::mem::take(&mut cur));
        }
        if c.is_alphanumeric() {
            cur.extend(c.to_lowercase());
        }
        prev_lower = c.is_lowercase();
    }
    pieces.push(cur);
    words.iter().any(|w| pieces.iter().any(|p| p == w))
}

fn contains(b: &Bounds, x: i32, y: i32) -> bool {
    (b.left..b.right).contains(&x) && (b.top..b.bottom).contains(&y)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::android::uiautomator;
    use crate::screen::understand;
    use crate::sim::os::android::{Android, Launcher};
    use crate::sim::os::clock::{SimClock, at};
    use crate::sim::os::logcat::Logs;
    use crate::sim::os::model::AppModel;
    use crate::sim::render::uiautomator_xml;

    /// The dump of a fixture app's screen on a simulated Android 14 device,
    /// reached from launch by tapping the elements labelled `path`.
    fn fixture_dump(app: &str, path: &[&str]) -> UiTree {
        let file = format!("{}/fixtures/apps/{app}.yaml", env!("CARGO_MANIFEST_DIR"));
        let model = AppModel::load_file(std::path::Path::new(&file)).expect("the fixture");
        let package = model.package.clone();
        let clock = Arc::new(SimClock::new(at(2026, 1, 1, 9, 0, 0, 0), 1e-15));
        let mut android = Android::new(clock, Arc::new(Logs::default()), 1080, 2400);
        android.install(model, true);
        android.launch(&package, Launcher::Shell).expect("launches");
        let dump =
            |a: &Android| uiautomator::parse(&uiautomator_xml(&a.screen(false))).expect("a dump");
        for label in path {
            let tree = dump(&android);
            let node = tree
                .nodes()
                .into_iter()
                .find(|n| n.text == *label)
                .unwrap_or_else(|| panic!("no {label:?} on the screen"));
            let (x, y) = node.bounds.expect("bounds").center();
            android.tap(x, y);
        }
        dump(&android)
    }

    fn ranked(tree: &UiTree, r: &Ranker<'_>, tried: &HashSet<String>) -> Vec<Candidate> {
        let u = understand(tree, None, r.wording);
        r.rank(tree, &u, tried)
    }

    fn texts(c: &[Candidate]) -> Vec<&str> {
        c.iter().map(|c| c.text.as_str()).collect()
    }

    fn regex(p: &str) -> Regex {
        Regex::new(p).expect("a regex")
    }

    const DELETION: &str = "注销账号|注销帐号|删除账号|Delete account";

    #[test]
    fn on_tidynotes_home_me_ranks_first() {
        let w = Wording::builtin();
        let target = regex(DELETION);
        let tree = fixture_dump("tidynotes", &["同意 Agree"]);
        let c = ranked(&tree, &Ranker::new(&target, &w), &HashSet::new());
        let t = texts(&c);
        assert_eq!(t[0], "Me", "{t:?}");
        assert!(t.contains(&"New note") && t.contains(&"Scan"), "{t:?}");
        assert_eq!(c[0].key, "com.example.tidynotes:id/me|me");
        assert_eq!(c[0].reasons, ["navigation-word", "navigation-id"]);
        assert_eq!(c[0].center, c[0].bounds.center());
        let title = c.last().expect("candidates");
        assert_eq!(
            (title.text.as_str(), &title.reasons[..]),
            ("My notes", &["not-clickable"][..]),
            "a plain text is the last resort"
        );
    }

    #[test]
    fn on_tidynotes_me_settings_ranks_above_log_in() {
        let w = Wording::builtin();
        let target = regex(DELETION);
        let tree = fixture_dump("tidynotes", &["同意 Agree", "Me"]);
        let c = ranked(&tree, &Ranker::new(&target, &w), &HashSet::new());
        let t = texts(&c);
        let at = |x: &str| t.iter().position(|y| *y == x);
        assert!(
            at("Settings") < at("Log in") && at("Log in").is_some(),
            "{t:?}"
        );
        assert_eq!(t[0], "Settings");
    }

    #[test]
    fn on_tidynotes_account_log_out_is_avoided_and_the_target_is_a_hit() {
        let w = Wording::builtin();
        let target = regex(DELETION);
        let tree = fixture_dump("tidynotes", &["同意 Agree", "Me", "Settings", "Account"]);
        let u = understand(&tree, None, &w);
        let r = Ranker::new(&target, &w);
        let c = r.rank(&tree, &u, &HashSet::new());
        assert!(!texts(&c).contains(&"Log out"), "avoided: {c:?}");
        assert!(
            !texts(&c).contains(&"Delete account"),
            "the target is left out: {c:?}"
        );
        let hits = r.target_hits(&tree, &u);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].0, "Delete account");

        let logout = regex("Log out");
        let mut r = Ranker::new(&logout, &w);
        assert!(
            r.target_hits(&tree, &u).is_empty(),
            "never tapped while the list is on"
        );
        r.builtin_avoid = false;
        let hits = r.target_hits(&tree, &u);
        assert_eq!(
            hits.iter().map(|h| h.0.as_str()).collect::<Vec<_>>(),
            ["Log out"]
        );
        let c = r.rank(&tree, &u, &HashSet::new());
        assert!(texts(&c).contains(&"Delete account"), "not the target now");
        assert!(
            !texts(&c).contains(&"Log out"),
            "the target is not a candidate"
        );
    }

    #[test]
    fn on_tidynotes_settings_the_account_entry_beats_the_switch() {
        let w = Wording::builtin();
        let target = regex(DELETION);
        let tree = fixture_dump("tidynotes", &["同意 Agree", "Me", "Settings"]);
        let c = ranked(&tree, &Ranker::new(&target, &w), &HashSet::new());
        assert_eq!(c[0].text, "Account");
        assert_eq!(
            c[0].reasons,
            ["target-word", "navigation-word", "navigation-id"]
        );
        let switch = c
            .iter()
            .find(|c| c.text == "Personalised recommendations")
            .expect("the switch");
        assert_eq!(switch.reasons, ["toggle"]);
    }

    #[test]
    fn a_tried_key_goes_last_and_a_user_avoid_pattern_excludes() {
        let w = Wording::builtin();
        let target = regex(DELETION);
        let tree = fixture_dump("tidynotes", &["同意 Agree"]);
        let r = Ranker::new(&target, &w);
        let first = ranked(&tree, &r, &HashSet::new());
        let tried: HashSet<String> = [first[0].key.clone()].into();
        let again = ranked(&tree, &r, &tried);
        assert_eq!(again.len(), first.len(), "kept");
        let last = again.last().expect("candidates");
        assert_eq!(last.text, "Me");
        assert_eq!(last.reasons.last(), Some(&"tried"));
        assert_eq!(
            texts(&again[..again.len() - 1]),
            texts(&first[1..]),
            "the rest keep their order"
        );

        let avoid = regex("^Scan$|New");
        let r = Ranker {
            avoid: Some(&avoid),
            ..r
        };
        let c = ranked(&tree, &r, &HashSet::new());
        assert_eq!(c.len(), first.len() - 2);
        assert!(!texts(&c).iter().any(|t| *t == "Scan" || t.contains("New")));
        assert_eq!(c[0].text, "Me");
    }

    #[test]
    fn mazeaccount_settings_account_and_security_leads() {
        let w = Wording::builtin();
        let target = regex(DELETION);
        let tree = fixture_dump("mazeaccount", &["Agree", "Me", "Settings"]);
        let c = ranked(&tree, &Ranker::new(&target, &w), &HashSet::new());
        assert_eq!(texts(&c)[0], "Account and security");
        assert_eq!(
            c[0].reasons,
            ["target-word", "navigation-part", "navigation-id"]
        );
    }

    #[test]
    fn target_kinds_rank_by_the_wording_and_leave_their_target_out() {
        let w = Wording::builtin();
        let deletion = Ranker::towards(Target::DeletionEntry, &w);
        let personal = Ranker::towards(Target::PersonalisationSwitch, &w);
        let crawl = Ranker::towards(Target::Crawl, &w);
        // Home: Me leads towards either kind, by the navigation words.
        let home = fixture_dump("tidynotes", &["同意 Agree"]);
        for r in [&deletion, &personal, &crawl] {
            assert_eq!(ranked(&home, r, &HashSet::new())[0].text, "Me");
        }
        // Settings: towards a deletion entry, Account (half a deletion
        // word); the personalisation switch is the other kind's target.
        let settings = fixture_dump("tidynotes", &["同意 Agree", "Me", "Settings"]);
        let c = ranked(&settings, &deletion, &HashSet::new());
        assert_eq!(c[0].text, "Account");
        assert_eq!(
            c[0].reasons,
            ["target-word", "navigation-word", "navigation-id"]
        );
        let u = understand(&settings, None, &w);
        assert!(deletion.target_hits(&settings, &u).is_empty());
        let c = ranked(&settings, &personal, &HashSet::new());
        assert_eq!(texts(&c), ["Account"], "the switch is the target: {c:?}");
        let hits = personal.target_hits(&settings, &u);
        assert_eq!(
            hits.iter().map(|h| h.0.as_str()).collect::<Vec<_>>(),
            ["Personalised recommendations"]
        );
        // Account: the entry is the deletion target, and a crawl leaves it
        // out too; Log out is avoided by all.
        let account = fixture_dump("tidynotes", &["同意 Agree", "Me", "Settings", "Account"]);
        let u = understand(&account, None, &w);
        for r in [&deletion, &crawl] {
            let c = ranked(&account, r, &HashSet::new());
            assert!(
                !texts(&c).contains(&"Delete account") && !texts(&c).contains(&"Log out"),
                "{c:?}"
            );
        }
        let hits = deletion.target_hits(&account, &u);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].0, "Delete account");
        assert!(crawl.target_hits(&account, &u).is_empty());
        let c = ranked(&account, &personal, &HashSet::new());
        assert!(
            texts(&c).contains(&"Delete account"),
            "not this target: {c:?}"
        );
    }

    #[test]
    fn joined_wording_words_count_a_label_word_by_its_letters() {
        let alts = vec![parts("deleteaccount"), parts("注销账号")];
        let share = |label: &str| similarity(&parts(label), &alts, true);
        assert!((share("Account") - 7.0 / 13.0).abs() < 1e-9);
        assert!((share("账号与安全") - 1.0 / 3.0).abs() < 1e-9);
        assert!((share("Delete account") - 1.0).abs() < 1e-9);
        assert!(share("Settings").abs() < 1e-9);
        assert!(
            similarity(&parts("Account"), &alts, false).abs() < 1e-9,
            "only for joined data"
        );
    }

    /// A synthetic dump: a bottom tab bar of four, an avatar in the top
    /// left corner, a paragraph, a text field, a list of two rows with the
    /// same label, and the status and navigation bars.
    fn synthetic() -> UiTree {
        let node = |text: &str, id: &str, class: &str, click: bool, b: &str| {
            format!(
                r#"<node index="0" text="{text}" resource-id="{id}" class="{class}" package="com.x" content-desc="" checkable="false" checked="false" clickable="{click}" enabled="true" focusable="false" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="{b}" />"#
            )
        };
        let mut body = String::new();
        for (i, t) in ["首页", "动态", "消息", "我的"].iter().enumerate() {
            let l = i * 270;
            body += &node(
                t,
                "com.x:id/tab",
                "android.widget.TextView",
                true,
                &format!("[{l},2120][{},2270]", l + 270),
            );
        }
        body += &node(
            "",
            "com.x:id/avatar",
            "android.widget.ImageView",
            true,
            "[20,100][140,220]",
        );
        body += &node(
            &"很长的一段介绍文字".repeat(6),
            "com.x:id/intro",
            "android.widget.TextView",
            true,
            "[0,300][1080,700]",
        );
        body += &node(
            "搜索",
            "com.x:id/search",
            "android.widget.EditText",
            true,
            "[0,720][1080,820]",
        );
        body += &node(
            "关注",
            "com.x:id/follow",
            "android.widget.Button",
            true,
            "[0,900][300,1000]",
        );
        body += &node(
            "关注",
            "com.x:id/follow",
            "android.widget.Button",
            true,
            "[0,1100][300,1200]",
        );
        body += &node(
            "立即支付 ¥6.00",
            "com.x:id/pay",
            "android.widget.Button",
            true,
            "[0,1300][1080,1400]",
        );
        let bars = r#"<node index="0" text="" resource-id="" class="android.widget.FrameLayout" package="com.android.systemui" content-desc="" checkable="false" checked="false" clickable="false" enabled="true" focusable="false" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[0,2270][1080,2400]"><node index="0" text="" resource-id="com.android.systemui:id/back" class="android.widget.ImageView" package="com.android.systemui" content-desc="Back" checkable="false" checked="false" clickable="true" enabled="true" focusable="true" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[700,2270][870,2400]" /></node>"#;
        let xml = format!(
            r#"<hierarchy rotation="0"><node index="0" text="" resource-id="" class="android.widget.FrameLayout" package="com.x" content-desc="" checkable="false" checked="false" clickable="false" enabled="true" focusable="false" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[0,0][1080,2270]">{body}</node>{bars}</hierarchy>"#
        );
        uiautomator::parse(&xml).expect("a dump")
    }

    #[test]
    fn tab_bars_corners_paragraphs_fields_duplicates_and_bars() {
        let w = Wording::builtin();
        let target = regex(DELETION);
        let c = ranked(&synthetic(), &Ranker::new(&target, &w), &HashSet::new());
        let by = |t: &str| {
            c.iter()
                .find(|c| c.text == t)
                .unwrap_or_else(|| panic!("{t}"))
        };
        assert_eq!(c[0].text, "我的");
        assert_eq!(c[0].reasons, ["navigation-word", "tab-bar"]);
        assert_eq!(by("首页").reasons, ["tab-bar"]);
        let by_id = |id: &str| {
            c.iter()
                .find(|c| c.resource_id == id)
                .unwrap_or_else(|| panic!("{id}"))
        };
        assert_eq!(by_id("com.x:id/avatar").reasons, ["top-corner", "no-text"]);
        assert_eq!(by_id("com.x:id/search").reasons, ["no-text", "text-field"]);
        assert_eq!(
            by_id("com.x:id/search").text,
            "",
            "typed text is not a label"
        );
        assert!(
            by(&"很长的一段介绍文字".repeat(6))
                .reasons
                .contains(&"long-text")
        );
        let follows: Vec<&str> = c
            .iter()
            .filter(|c| c.text == "关注")
            .map(|c| c.key.as_str())
            .collect();
        assert_eq!(follows, ["com.x:id/follow|关注", "com.x:id/follow|关注|2"]);
        assert!(
            c.iter().all(|c| !c.text.contains("支付")),
            "payment avoided"
        );
        assert!(
            c.iter().all(|c| !c.resource_id.contains("systemui")),
            "bars skipped"
        );
        assert!(c.last().is_some_and(|c| c.resource_id == "com.x:id/search"));
    }

    #[test]
    fn parts_are_latin_words_and_pairs_of_other_letters() {
        assert_eq!(parts("Delete my account"), ["delete", "account"]);
        assert_eq!(parts("注销账号"), ["注销", "销账", "账号"]);
        assert_eq!(parts("我"), ["我"]);
        assert_eq!(
            parts("账号与安全 Account"),
            ["账号", "号与", "与安", "安全", "account"]
        );
        assert_eq!(
            alternatives("(?i)注销(账号|帐号)|Delete\\s+account"),
            [vec!["注销", "账号", "帐号"], vec!["delete", "account"]]
        );
        assert!(id_has_word("com.x:id/tab_me", &["me"]));
        assert!(id_has_word("com.x:id/btnSettings", &["settings"]));
        assert!(!id_has_word("com.x:id/home", &["me"]));
    }

    #[test]
    fn a_real_app_screen_ranks_its_settings_corner_first() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/real-captures/uiautomator/other_codexapp_shell-approval-allow-deny-zh.xml"
        );
        let xml = std::fs::read_to_string(path).expect("the capture");
        let tree = uiautomator::parse(&xml).expect("a dump");
        let w = Wording::builtin();
        let target = regex(DELETION);
        let r = Ranker::new(&target, &w);
        let c = ranked(&tree, &r, &HashSet::new());
        assert_eq!(c[0].text, "网关设置", "{:#?}", &c[..3]);
        assert_eq!(c[0].reasons, ["navigation-part", "top-corner"]);
        assert_eq!(c, ranked(&tree, &r, &HashSet::new()), "deterministic");
    }

    #[test]
    fn real_dumps_rank_deterministically_without_system_bars() {
        let w = Wording::builtin();
        let target = regex(DELETION);
        let r = Ranker::new(&target, &w);
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/real-captures/uiautomator/u2_bilibili_privacy_consent_first_miui.xml"
        );
        let tree =
            uiautomator::parse(&std::fs::read_to_string(path).expect("capture")).expect("a dump");
        let c = ranked(&tree, &r, &HashSet::new());
        assert!(!c.is_empty());
        assert!(
            c.iter()
                .all(|c| !c.resource_id.starts_with("com.android.systemui"))
        );
        assert_eq!(c[0].text, "同意并继续", "a consent dialog's way on: {c:#?}");
        assert!(c[0].reasons.contains(&"dialog-way-on"));
        assert_eq!(c, ranked(&tree, &r, &HashSet::new()));
    }
}
