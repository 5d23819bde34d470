//! Selector resolution: which elements of a UI dump a scenario [`Selector`]
//! names, in which order, and where to tap. Pure functions of the tree, the
//! selector and the run's variables; the engine does the waiting and tapping.
//!
//! Semantics follow Maestro: `text` and `id` are full-match regexes; when
//! nested elements both match, the innermost wins; `below`/`above`/`leftOf`/
//! `rightOf` compare top (or left) edges with the anchor's and put the
//! nearest match first.
//!
//! A `role` (consentry's own key) takes the elements [`screen::understand`]
//! gives that role or kind: buttons by their role, consent checkboxes,
//! personalisation switches and deletion entries. Each is the node the
//! understanding names (same bounds and resource id); the selector's other
//! keys narrow them as usual, and its `text` may also match the label the
//! understanding read for it (a checkbox labelled by the text beside it).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use regex::Regex;
use serde::Serialize;

use crate::android::uiautomator::{Bounds, UiNode, UiTree};
use crate::scenario::model::{Relation, Selector};
use crate::scenario::values::{ElementRole, Pattern};
use crate::screen::{self, Purpose, Role, Understanding, Wording};

/// How deeply relative selectors may nest (the scenario loader's YAML limit).
const MAX_NESTING: usize = 64;

/// One element a selector found.
#[allow(clippy::struct_excessive_bools)] // mirrors uiautomator's boolean attributes
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Found {
    pub bounds: Bounds,
    pub center: (i32, i32),
    pub text: String,
    pub content_desc: String,
    pub resource_id: String,
    pub class: String,
    /// Position in document order (depth first over every window), from 0.
    pub order: usize,
    pub clickable: bool,
    pub enabled: bool,
    pub checked: bool,
}

/// Why a selector could not be tried.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    /// A `${VAR}` pattern that fails to compile with the run's variables.
    #[error("selector `{key}`: {detail}")]
    BadPattern { key: &'static str, detail: String },
}

/// All elements matching, in reading order (top to bottom, then left to
/// right; ties by document order), or nearest to the anchors first when the
/// selector has relations. A `role` is read with the built-in wording data
/// ([`find_all_in`] takes the run's understanding of the screen).
pub fn find_all(
    tree: &UiTree,
    sel: &Selector,
    env: &BTreeMap<String, String>,
) -> Result<Vec<Found>, SelectError> {
    let u = builtin_understanding(tree, sel);
    find_all_in(tree, u.as_ref(), sel, env)
}

/// The one element to act on: `index` picks among matches (0-based), else
/// the first. `None` when nothing matches. A `role` is read with the
/// built-in wording data ([`find_in`] takes the run's understanding).
pub fn find(
    tree: &UiTree,
    sel: &Selector,
    env: &BTreeMap<String, String>,
) -> Result<Option<Found>, SelectError> {
    let u = builtin_understanding(tree, sel);
    find_in(tree, u.as_ref(), sel, env)
}

/// [`find_all`] with what [`screen::understand`] made of the same tree
/// (with the run's wording), for `role` keys; without it a `role` matches
/// nothing.
pub fn find_all_in(
    tree: &UiTree,
    understanding: Option<&Understanding>,
    sel: &Selector,
    env: &BTreeMap<String, String>,
) -> Result<Vec<Found>, SelectError> {
    let nodes = flatten(tree);
    let hits = resolve(&nodes, understanding, sel, env, 0)?;
    Ok(hits.into_iter().filter_map(|i| found(&nodes, i)).collect())
}

/// [`find`] with what [`screen::understand`] made of the same tree, for
/// `role` keys; without it a `role` matches nothing.
pub fn find_in(
    tree: &UiTree,
    understanding: Option<&Understanding>,
    sel: &Selector,
    env: &BTreeMap<String, String>,
) -> Result<Option<Found>, SelectError> {
    let nodes = flatten(tree);
    let hits = resolve(&nodes, understanding, sel, env, 0)?;
    Ok(pick(&hits, sel.index).and_then(|i| found(&nodes, i)))
}

/// Whether the selector or one of its anchors has a `role`.
fn uses_role(sel: &Selector) -> bool {
    sel.role.is_some() || sel.relations.iter().any(|(_, s)| uses_role(s))
}

/// The tree understood with the built-in wording, when the selector needs it.
fn builtin_understanding(tree: &UiTree, sel: &Selector) -> Option<Understanding> {
    static BUILTIN: OnceLock<Wording> = OnceLock::new();
    uses_role(sel).then(|| screen::understand(tree, None, BUILTIN.get_or_init(Wording::builtin)))
}

/// The screen role of a button role (`None` for the element kinds).
pub fn screen_role(role: ElementRole) -> Option<Role> {
    Some(match role {
        ElementRole::Agree => Role::Agree,
        ElementRole::Refuse => Role::Refuse,
        ElementRole::Allow => Role::Allow,
        ElementRole::AllowForeground => Role::AllowForeground,
        ElementRole::AllowOnce => Role::AllowOnce,
        ElementRole::Deny => Role::Deny,
        ElementRole::DenyForever => Role::DenyForever,
        ElementRole::Settings => Role::Settings,
        ElementRole::Exit => Role::Exit,
        ElementRole::Skip => Role::Skip,
        ElementRole::Close => Role::Close,
        ElementRole::Wait => Role::Wait,
        ElementRole::AppInfo => Role::AppInfo,
        ElementRole::ConsentBox
        | ElementRole::PersonalisationSwitch
        | ElementRole::DeletionEntry => return None,
    })
}

/// One element the understanding gives a role: where it is, its resource
/// id, the label read for it, and whether it is a toggle.
struct RoleElement<'u> {
    bounds: Bounds,
    resource_id: &'u str,
    label: &'u str,
    toggle: bool,
}

/// The elements of `u` with `role`.
fn role_elements(u: &Understanding, role: ElementRole) -> Vec<RoleElement<'_>> {
    fn toggle(t: &screen::Toggle) -> Option<RoleElement<'_>> {
        Some(RoleElement {
            bounds: t.bounds?,
            resource_id: &t.resource_id,
            label: &t.text,
            toggle: true,
        })
    }
    match role {
        ElementRole::ConsentBox => u
            .checkboxes
            .iter()
            .chain(&u.switches)
            .filter(|t| t.purpose == Purpose::Consent)
            .filter_map(toggle)
            .collect(),
        ElementRole::PersonalisationSwitch => u
            .switches
            .iter()
            .chain(&u.checkboxes)
            .filter(|t| t.purpose == Purpose::Personalisation)
            .filter_map(toggle)
            .collect(),
        ElementRole::DeletionEntry => u
            .deletion
            .iter()
            .filter_map(|e| {
                Some(RoleElement {
                    bounds: e.bounds?,
                    resource_id: &e.resource_id,
                    label: &e.text,
                    toggle: false,
                })
            })
            .collect(),
        button => {
            let want = screen_role(button);
            u.buttons
                .iter()
                .filter(|b| Some(b.role) == want)
                .filter_map(|b| {
                    Some(RoleElement {
                        bounds: b.bounds?,
                        resource_id: &b.resource_id,
                        label: &b.text,
                        toggle: false,
                    })
                })
                .collect()
        }
    }
}

/// For each node, the label of the role element it is (`None`: it has not
/// the role). An element is the node with its bounds and resource id; of
/// nested nodes that share both, the one whose own label is the element's
/// (or, for a toggle, the checkable one), else the one without a label of
/// its own (a container labelled by its children).
fn role_labels<'u>(
    nodes: &[Flat<'_>],
    u: Option<&'u Understanding>,
    role: ElementRole,
) -> Vec<Option<&'u str>> {
    let mut out = vec![None; nodes.len()];
    let Some(u) = u else { return out };
    for e in role_elements(u, role) {
        let same: Vec<usize> = (0..nodes.len())
            .filter(|&i| {
                let n = nodes[i].node;
                n.bounds == Some(e.bounds) && n.resource_id == e.resource_id
            })
            .collect();
        let own = |i: &usize| {
            let n = nodes[*i].node;
            [n.text.trim(), n.content_desc.trim()]
                .into_iter()
                .find(|t| !t.is_empty())
        };
        let pick = same
            .iter()
            .find(|i| {
                if e.toggle {
                    nodes[**i].node.checkable
                } else {
                    own(i) == Some(e.label)
                }
            })
            .or_else(|| same.iter().find(|i| own(i).is_none()))
            .or_else(|| same.first());
        if let Some(&i) = pick {
            out[i] = Some(e.label);
        }
    }
    out
}

/// Where to tap: a `point` selector (pixels or percent of `screen` width and
/// height) gives that point without needing a node; otherwise the found
/// element's centre.
pub fn target_point(
    tree: &UiTree,
    sel: &Selector,
    env: &BTreeMap<String, String>,
    screen: (u32, u32),
) -> Result<Option<(i32, i32)>, SelectError> {
    if let Some(point) = sel.point {
        let (x, y) = point.to_pixels(screen.0, screen.1);
        let px = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
        return Ok(Some((px(x), px(y))));
    }
    Ok(find(tree, sel, env)?.map(|f| f.center))
}

/// For failure messages: up to `n` texts on screen closest to the selector's
/// text (edit distance on lower-cased text, against each `|` alternative of
/// the regex with its syntax removed), best first, each distinct. Empty when
/// the selector has no text.
pub fn nearest_texts(tree: &UiTree, sel: &Selector, n: usize) -> Vec<String> {
    let Some(pattern) = &sel.text else {
        return Vec::new();
    };
    let wanted: Vec<String> = pattern
        .source()
        .to_string()
        .replace("(?i)", "")
        .replace(".*", "")
        .replace(".+", "")
        .split('|')
        .map(|alt| normalise(&alt.replace(|c: char| r"\^$()[]{}*+?".contains(c), "")))
        .filter(|alt| !alt.is_empty())
        .collect();
    let mut scored: Vec<(usize, usize, String)> = screen_texts(tree)
        .into_iter()
        .enumerate()
        .filter_map(|(i, text)| {
            let have = normalise(&text);
            let best = wanted.iter().map(|w| strsim::levenshtein(w, &have)).min()?;
            Some((best, i, text))
        })
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(n)
        .map(|(_, _, text)| text)
        .collect()
}

/// Every visible text and content description on screen, in reading order,
/// each once.
pub fn screen_texts(tree: &UiTree) -> Vec<String> {
    let nodes = flatten(tree);
    let mut visible: Vec<usize> = (0..nodes.len())
        .filter(|&i| nodes[i].bounds.is_some())
        .collect();
    visible.sort_by_key(|&i| reading_key(&nodes, i));
    let mut seen = BTreeSet::new();
    visible
        .into_iter()
        .flat_map(|i| [&nodes[i].node.text, &nodes[i].node.content_desc])
        .filter(|t| !t.trim().is_empty() && seen.insert(t.as_str()))
        .cloned()
        .collect()
}

/// A short human description of a selector for messages, such as
/// `id ".*:id/ok", index 1, below text "Name"`.
pub fn describe(sel: &Selector) -> String {
    let parts = describe_parts(sel);
    if parts.is_empty() {
        "an empty selector".to_string()
    } else {
        parts.join(", ")
    }
}

fn describe_parts(sel: &Selector) -> Vec<String> {
    let mut parts = Vec::new();
    if let Some(r) = sel.role {
        parts.push(format!("role {}", r.as_str()));
    }
    if let Some(t) = &sel.text {
        parts.push(format!("text \"{}\"", t.source()));
    }
    if let Some(id) = &sel.id {
        parts.push(format!("id \"{}\"", id.source()));
    }
    if let Some(i) = sel.index {
        parts.push(format!("index {i}"));
    }
    if let Some(p) = sel.point {
        parts.push(format!("point {p}"));
    }
    let flags = [
        ("enabled", sel.enabled),
        ("checked", sel.checked),
        ("focused", sel.focused),
        ("selected", sel.selected),
    ];
    for (name, value) in flags {
        match value {
            Some(true) => parts.push(name.to_string()),
            Some(false) => parts.push(format!("not {name}")),
            None => {}
        }
    }
    for (relation, nested) in &sel.relations {
        let inner = describe_parts(nested);
        parts.push(if inner.len() > 1 {
            format!("{} ({})", relation.key(), inner.join(", "))
        } else {
            format!("{} {}", relation.key(), describe(nested))
        });
    }
    parts
}

/// One node of the tree in document order.
struct Flat<'a> {
    node: &'a UiNode,
    /// `None` for nodes that are not on screen (empty or missing bounds, or
    /// `visible-to-user="false"`): they never match.
    bounds: Option<Bounds>,
    parent: Option<usize>,
    /// One past the last descendant: descendants are `i + 1..end`.
    end: usize,
}

/// The tree in document order, without recursion.
fn flatten(tree: &UiTree) -> Vec<Flat<'_>> {
    let mut out: Vec<Flat<'_>> = Vec::new();
    let mut stack: Vec<(&UiNode, Option<usize>)> =
        tree.windows.iter().rev().map(|w| (w, None)).collect();
    while let Some((node, parent)) = stack.pop() {
        let i = out.len();
        let shown = node
            .extra
            .get("visible-to-user")
            .is_none_or(|v| v != "false");
        out.push(Flat {
            node,
            bounds: node.bounds.filter(|b| shown && !b.is_empty()),
            parent,
            end: i + 1,
        });
        stack.extend(node.children.iter().rev().map(|c| (c, Some(i))));
    }
    // Children come after their parent, so a backward pass sees each
    // subtree complete before its parent.
    for i in (0..out.len()).rev() {
        if let Some(p) = out[i].parent {
            out[p].end = out[p].end.max(out[i].end);
        }
    }
    out
}

/// The matches of `sel`, best first (without applying its `index`).
fn resolve(
    nodes: &[Flat<'_>],
    understanding: Option<&Understanding>,
    sel: &Selector,
    env: &BTreeMap<String, String>,
    depth: usize,
) -> Result<Vec<usize>, SelectError> {
    if depth > MAX_NESTING
        || (sel.role.is_none()
            && sel.text.is_none()
            && sel.id.is_none()
            && sel.relations.is_empty())
    {
        return Ok(Vec::new());
    }
    let text = compile(sel.text.as_ref(), "text", env)?;
    let id = compile(sel.id.as_ref(), "id", env)?;
    let roles = sel.role.map(|r| role_labels(nodes, understanding, r));
    let own: Vec<bool> = nodes
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let n = f.node;
            let role = roles.as_ref().map(|r| r[i]);
            f.bounds.is_some()
                && role.is_none_or(|r| r.is_some())
                && text.as_ref().is_none_or(|r| {
                    text_matches(r, n) || role.flatten().is_some_and(|l| label_matches(r, l))
                })
                && id.as_ref().is_none_or(|r| id_matches(r, &n.resource_id))
                && sel.enabled.is_none_or(|v| v == n.enabled)
                && sel.checked.is_none_or(|v| v == n.checked)
                && sel.focused.is_none_or(|v| v == n.focused)
                && sel.selected.is_none_or(|v| v == n.selected)
        })
        .collect();
    // As Maestro: of nested text or id matches, only the innermost counts.
    let mut inner_match = vec![false; nodes.len()];
    if text.is_some() || id.is_some() {
        for i in (0..nodes.len()).rev() {
            if let (Some(p), true) = (nodes[i].parent, own[i] || inner_match[i]) {
                inner_match[p] = true;
            }
        }
    }
    let mut hits: Vec<(usize, f64)> = (0..nodes.len())
        .filter(|&i| own[i] && !inner_match[i])
        .map(|i| (i, 0.0))
        .collect();
    for (relation, nested) in &sel.relations {
        let mut anchors = resolve(nodes, understanding, nested, env, depth + 1)?;
        // `containsChild` accepts any match of its selector; the others
        // (and an explicit `index`) take the one `find` would.
        if *relation != Relation::ContainsChild || nested.index.is_some() {
            anchors = pick(&anchors, nested.index).into_iter().collect();
        }
        let anchors: Vec<(usize, Bounds)> = anchors
            .into_iter()
            .filter_map(|a| Some((a, nodes[a].bounds?)))
            .collect();
        hits.retain_mut(|(i, distance)| {
            let Some(b) = nodes[*i].bounds else {
                return false;
            };
            let nearest = anchors
                .iter()
                .filter(|&&(a, ab)| match relation {
                    Relation::Below => b.top > ab.top,
                    Relation::Above => b.top < ab.top,
                    Relation::LeftOf => b.left < ab.left,
                    Relation::RightOf => b.left > ab.left,
                    Relation::ChildOf => a < *i && *i < nodes[a].end,
                    Relation::ContainsChild => *i < a && a < nodes[*i].end,
                })
                .map(|&(_, ab)| centre_distance(b, ab))
                .min_by(f64::total_cmp);
            nearest.inspect(|d| *distance += d).is_some()
        });
    }
    hits.sort_by(|(a, da), (b, db)| {
        da.total_cmp(db)
            .then_with(|| reading_key(nodes, *a).cmp(&reading_key(nodes, *b)))
    });
    Ok(hits.into_iter().map(|(i, _)| i).collect())
}

fn compile(
    pattern: Option<&Pattern>,
    key: &'static str,
    env: &BTreeMap<String, String>,
) -> Result<Option<Regex>, SelectError> {
    pattern
        .map(|p| p.regex(env))
        .transpose()
        .map_err(|detail| SelectError::BadPattern { key, detail })
}

/// The text, else the content description, else the hint; each also with
/// its line breaks read as spaces.
fn text_matches(regex: &Regex, node: &UiNode) -> bool {
    let hint = node.extra.get("hint").map_or("", String::as_str);
    [node.text.as_str(), node.content_desc.as_str(), hint]
        .into_iter()
        .filter(|v| !v.is_empty())
        .any(|v| regex.is_match(v) || (v.contains('\n') && regex.is_match(&v.replace('\n', " "))))
}

/// A label screen understanding read, also with its line breaks as spaces.
fn label_matches(regex: &Regex, label: &str) -> bool {
    !label.is_empty()
        && (regex.is_match(label)
            || (label.contains('\n') && regex.is_match(&label.replace('\n', " "))))
}

/// `com.x:id/ok` as written, or its name `ok`.
fn id_matches(regex: &Regex, id: &str) -> bool {
    !id.is_empty()
        && (regex.is_match(id)
            || id
                .split_once(":id/")
                .is_some_and(|(_, name)| regex.is_match(name)))
}

fn pick(hits: &[usize], index: Option<u32>) -> Option<usize> {
    let i = index.map_or(0, |i| usize::try_from(i).unwrap_or(usize::MAX));
    hits.get(i).copied()
}

fn reading_key(nodes: &[Flat<'_>], i: usize) -> (i32, i32, usize) {
    nodes[i]
        .bounds
        .map_or((i32::MAX, i32::MAX, i), |b| (b.top, b.left, i))
}

fn centre_distance(a: Bounds, b: Bounds) -> f64 {
    let ((ax, ay), (bx, by)) = (a.center(), b.center());
    let (dx, dy) = (f64::from(ax) - f64::from(bx), f64::from(ay) - f64::from(by));
    dx.hypot(dy)
}

fn found(nodes: &[Flat<'_>], i: usize) -> Option<Found> {
    let f = nodes.get(i)?;
    let bounds = f.bounds?;
    let n = f.node;
    Some(Found {
        bounds,
        center: bounds.center(),
        text: n.text.clone(),
        content_desc: n.content_desc.clone(),
        resource_id: n.resource_id.clone(),
        class: n.class.clone(),
        order: i,
        clickable: n.clickable,
        enabled: n.enabled,
        checked: n.checked,
    })
}

fn normalise(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::android::uiautomator;
    use crate::scenario::values::MatchMode;
    use crate::scenario::{Command, load_str};

    /// The target of `- tapOn: <yaml>`, through the scenario loader.
    fn sel(yaml: &str) -> Selector {
        let source = format!("appId: com.x\n---\n- tapOn: {yaml}\n");
        let scenario = load_str(Path::new("t.yaml"), &source, &BTreeMap::new()).expect("loads");
        match &scenario.steps[0].command {
            Command::Tap { target, .. } => target.clone(),
            other => panic!("not a tap: {other:?}"),
        }
    }

    fn none() -> BTreeMap<String, String> {
        BTreeMap::new()
    }

    fn tree(nodes: &str) -> UiTree {
        uiautomator::parse(&format!("<hierarchy>{nodes}</hierarchy>")).expect("parses")
    }

    fn one(t: &UiTree, yaml: &str) -> Option<Found> {
        find(t, &sel(yaml), &none()).expect("compiles")
    }

    /// Each selector's matches, by centre, best first.
    fn check(t: &UiTree, cases: &[(&str, &[(i32, i32)])]) {
        for (yaml, want) in cases {
            let got: Vec<_> = find_all(t, &sel(yaml), &none()).expect("compiles");
            let got: Vec<_> = got.iter().map(|f| f.center).collect();
            assert_eq!(got, *want, "{yaml}");
        }
    }

    /// "Name" with a disabled "OK" right of it (written last) and an enabled
    /// one below it; an icon, a hint, an "Agree" container holding an
    /// "Agree" text, a multi-line text, a hidden text, two rows of switches.
    fn form() -> UiTree {
        tree(
            r#"<node class="Frame" bounds="[0,0][1000,2000]">
<node text="Name" bounds="[0,100][300,200]"/>
<node text="OK" resource-id="com.x:id/ok" enabled="true" clickable="true" bounds="[0,300][300,400]"/>
<node text="OK" resource-id="com.x:id/ok" bounds="[600,100][900,200]"/>
<node content-desc="Close" bounds="[900,0][1000,80]"/>
<node hint="Email" class="EditText" bounds="[0,420][1000,480]"/>
<node content-desc="Agree" bounds="[0,500][300,600]"><node text="Agree" bounds="[0,500][200,600]"/></node>
<node text="First line&#10;second line" bounds="[0,700][1000,800]"/>
<node text="Hidden" bounds="[0,850][0,850]"/>
<node resource-id="com.x:id/row" bounds="[0,1000][1000,1200]"><node text="Wifi" bounds="[0,1000][500,1200]"/>
  <node resource-id="com.x:id/switch" checked="true" bounds="[800,1050][950,1150]"/></node>
<node resource-id="com.x:id/row" bounds="[0,1200][1000,1400]"><node text="Bluetooth" bounds="[0,1200][500,1400]"/>
  <node resource-id="com.x:id/switch" bounds="[800,1250][950,1350]"/></node>
</node>"#,
        )
    }

    #[test]
    fn text_id_and_state_rules() {
        check(
            &form(),
            &[
                // Text, else content-desc, else hint; the whole value must match.
                (r#"{text: "Close"}"#, &[(950, 40)]),
                (r#"{text: "Em.il"}"#, &[(500, 450)]),
                (r#"{text: "Nam"}"#, &[]),
                // Nested matches: the innermost only. Hidden nodes never match.
                (r#"{text: "Agree"}"#, &[(100, 550)]),
                (r#"{text: "Hidden"}"#, &[]),
                // Multi-line text: whole, or with line breaks read as spaces.
                (r#"{text: "First line second line"}"#, &[(500, 750)]),
                (r#"{text: "First line.second line"}"#, &[(500, 750)]),
                (r#"{text: "First line"}"#, &[]),
                // Reading order, not document order.
                (r#"{text: "OK"}"#, &[(750, 150), (150, 350)]),
                (r#"{id: "ok"}"#, &[(750, 150), (150, 350)]),
                (r#"{id: ".*:id/ok"}"#, &[(750, 150), (150, 350)]),
                (r#"{id: "x:id/ok"}"#, &[]),
                (r#"{id: "o"}"#, &[]),
                (r#"{text: "OK", enabled: true}"#, &[(150, 350)]),
                (r#"{text: "OK", enabled: false}"#, &[(750, 150)]),
                (r#"{id: "switch", checked: true}"#, &[(875, 1100)]),
                (r#"{id: "switch", checked: false}"#, &[(875, 1300)]),
                (r#"{text: "OK", focused: true}"#, &[]),
                (
                    r#"{text: "OK", selected: false}"#,
                    &[(750, 150), (150, 350)],
                ),
            ],
        );
    }

    #[test]
    fn relations() {
        check(
            &form(),
            &[
                // Maestro's rule: below = top edge lower than the anchor's top.
                (r#"{text: "OK", below: "Name"}"#, &[(150, 350)]),
                (r#"{text: "OK", rightOf: "Name"}"#, &[(750, 150)]),
                (r#"{text: "Name", leftOf: "OK"}"#, &[(150, 150)]),
                (r#"{text: "Name", leftOf: {text: "OK", index: 1}}"#, &[]),
                // Nearest to the anchor first, not reading order.
                (r#"{text: "OK", above: "Agree"}"#, &[(150, 350), (750, 150)]),
                (r#"{id: "row", containsChild: "Bluetooth"}"#, &[(500, 1300)]),
                (
                    r#"{id: "row", containsChild: {id: "switch"}}"#,
                    &[(500, 1100), (500, 1300)],
                ),
                (
                    r#"{id: "switch", childOf: {id: "row", containsChild: "Bluetooth"}}"#,
                    &[(875, 1300)],
                ),
                (r#"{id: "row", childOf: {id: "row"}}"#, &[]),
                (r#"{containsChild: "Wifi"}"#, &[(500, 1100), (500, 1000)]),
                // An anchor that is not found: no match.
                (r#"{text: "OK", below: "Nope"}"#, &[]),
                (r#"{text: "OK", childOf: "Name"}"#, &[]),
            ],
        );
        // Edges compared as Maestro does: a field starting 20 px lower than
        // its label, overlapping it, is below it.
        let row = tree(
            r#"<node text="Label" bounds="[0,100][200,150]"/><node text="Field" bounds="[300,120][800,200]"/>"#,
        );
        check(
            &row,
            &[
                (r#"{text: "Field", below: "Label"}"#, &[(550, 160)]),
                (r#"{text: "Label", above: "Field"}"#, &[(100, 125)]),
                (r#"{text: "Label", below: "Field"}"#, &[]),
            ],
        );
        // childOf is by identity: an equal node elsewhere is no parent.
        let twins =
            tree(r#"<node text="X" bounds="[0,0][9,9]"/><node text="X" bounds="[0,0][9,9]"/>"#);
        check(&twins, &[(r#"{text: "X", childOf: "X"}"#, &[])]);
    }

    #[test]
    fn find_index_and_points() {
        let t = form();
        assert_eq!(one(&t, r#"{text: "OK"}"#).map(|f| f.enabled), Some(false));
        let second = one(&t, r#"{text: "OK", index: 1}"#).expect("second");
        assert_eq!(
            (second.center, second.clickable, second.order),
            ((150, 350), true, 2)
        );
        assert_eq!(
            one(&t, r#"{text: "OK", above: "Agree", index: 1}"#).map(|f| f.center),
            Some((750, 150))
        );
        assert_eq!(one(&t, r#"{text: "OK", index: 2}"#), None);
        let twins = tree(
            r#"<node text="A" bounds="[0,0][9,9]"/><node text="A" content-desc="2nd" bounds="[0,0][9,9]"/>"#,
        );
        assert_eq!(
            one(&twins, r#"{text: "A", index: 1}"#).map(|f| f.content_desc),
            Some("2nd".into())
        );
        let index_only = Selector {
            index: Some(0),
            ..Selector::default()
        };
        assert_eq!(find_all(&t, &index_only, &none()), Ok(Vec::new()));

        let at =
            |yaml: &str| target_point(&t, &sel(yaml), &none(), (1080, 2400)).expect("compiles");
        assert_eq!(at(r#"{point: "100,200"}"#), Some((100, 200)));
        assert_eq!(at(r#"{point: "50%,25%"}"#), Some((540, 600)));
        assert_eq!(at(r#"{point: "5000,200"}"#), Some((1079, 200)));
        assert_eq!(at(r#"{text: "OK", index: 1}"#), Some((150, 350)));
        assert_eq!(at(r#"{text: "Nope"}"#), None);
        assert_eq!(
            find_all(&t, &sel(r#"{point: "1,2"}"#), &none()),
            Ok(Vec::new())
        );
    }

    #[test]
    fn variables_compile_with_the_run_env() {
        let t = tree(
            r#"<node text="a.b" bounds="[0,0][10,10]"/><node text="axb" bounds="[0,20][10,30]"/>"#,
        );
        let s = sel(r#"{text: "${NAME}"}"#);
        let env = BTreeMap::from([("NAME".to_string(), "a.b".to_string())]);
        let hits = find_all(&t, &s, &env).expect("compiles");
        assert_eq!(
            hits.iter().map(|f| f.text.as_str()).collect::<Vec<_>>(),
            ["a.b"]
        );
        let err = find(&t, &s, &none()).expect_err("NAME is not defined");
        assert_eq!(
            err.to_string(),
            "selector `text`: variable `NAME` is not defined"
        );
        // An anchor's bad pattern is an error too, not "no match".
        let nested = sel(r#"{text: "a.b", below: {id: "${ID}"}}"#);
        assert!(matches!(
            find(&t, &nested, &none()),
            Err(SelectError::BadPattern { key: "id", .. })
        ));
        // A value that makes the regex too big to compile.
        let pattern = Pattern::parse("(${X}){1000}", MatchMode::Full, &none()).expect("parses");
        let huge = Selector {
            text: Some(pattern),
            ..Selector::default()
        };
        let env = BTreeMap::from([("X".to_string(), "y".repeat(10_000))]);
        assert!(matches!(
            find_all(&t, &huge, &env),
            Err(SelectError::BadPattern { key: "text", .. })
        ));
    }

    #[test]
    fn texts_suggestions_and_descriptions() {
        let t = form();
        let texts = [
            "Close",
            "Name",
            "OK",
            "Agree",
            "First line\nsecond line",
            "Wifi",
            "Bluetooth",
        ];
        assert_eq!(screen_texts(&t), texts);
        assert_eq!(
            nearest_texts(&t, &sel(r#"{text: "Agre"}"#), 3),
            ["Agree", "Name", "Close"]
        );
        assert_eq!(
            nearest_texts(&t, &sel(r#"{text: "(?i)wif.*|蓝牙"}"#), 1),
            ["Wifi"]
        );
        assert_eq!(
            nearest_texts(&t, &sel(r#"{text: "OK"}"#), 100).len(),
            texts.len()
        );
        assert!(nearest_texts(&t, &sel(r#"{id: "ok"}"#), 3).is_empty());

        let d = |yaml: &str| describe(&sel(yaml));
        assert_eq!(d(r#"{text: "Agree|同意"}"#), r#"text "Agree|同意""#);
        assert_eq!(
            d(r#"{id: ".*:id/ok", index: 1, below: {text: "Name"}}"#),
            r#"id ".*:id/ok", index 1, below text "Name""#
        );
        assert_eq!(
            d(r#"{id: "s", checked: false, childOf: {id: "row", containsChild: "Wifi"}}"#),
            r#"id "s", not checked, childOf (id "row", containsChild text "Wifi")"#
        );
        assert_eq!(d(r#"{point: "50%,80%"}"#), "point 50%,80%");
        assert_eq!(describe(&Selector::default()), "an empty selector");
    }

    #[test]
    fn odd_bounds_deep_trees_and_deep_nesting() {
        let t = tree(
            r#"<node text="A" bounds="[2147483000,2147483000][2147483647,2147483647]"/>
<node text="A" bounds="[-2147483648,-2147483648][2147483647,2147483647]"/><node text="A" bounds="[-50,-50][-10,-10]"/>
<node text="A" bounds="[5,5][1,1]"/><node text="A" bounds="[2147483647,0][2147483647,9]"/><node text="A" bounds="bad"/>"#,
        );
        let (huge, small, far) = ((0, 0), (-30, -30), (2_147_483_323, 2_147_483_323));
        check(
            &t,
            &[
                (r#"{text: "A"}"#, &[huge, small, far]),
                (r#"{text: "A", below: "A"}"#, &[small, far]),
                (r#"{text: "A", rightOf: {text: "A", index: 1}}"#, &[far]),
            ],
        );
        let depth = uiautomator::MAX_DEPTH;
        let chain =
            r#"<node text="L" bounds="[0,0][100,100]">"#.repeat(depth) + &"</node>".repeat(depth);
        let deep = tree(&chain);
        let innermost = find_all(&deep, &sel(r#"{text: "L"}"#), &none()).expect("compiles");
        assert_eq!(
            innermost.iter().map(|f| f.order).collect::<Vec<_>>(),
            [depth - 1]
        );
        let mut s = sel(r#"{text: "L"}"#);
        for _ in 0..=MAX_NESTING {
            s = Selector {
                relations: vec![(Relation::ContainsChild, s)],
                ..Selector::default()
            };
        }
        assert_eq!(find_all(&deep, &s, &none()), Ok(Vec::new()));
    }

    fn real(name: &str) -> UiTree {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/real-captures/uiautomator"
        );
        let text = std::fs::read_to_string(format!("{dir}/{name}")).expect(name);
        uiautomator::parse(&text).expect(name)
    }

    #[test]
    fn real_dialogs() {
        let t = real("permission-dialog_aosp-emulator_notifications-uppercase.xml");
        let allow = one(&t, r#"{id: ".*permission_allow_button"}"#).expect("allow button");
        let b = allow.bounds;
        assert_eq!(
            (allow.text.as_str(), [b.left, b.top, b.right, b.bottom]),
            ("ALLOW", [133, 1170, 947, 1317])
        );
        assert!(
            b.left >= 0 && b.top >= 0 && b.right <= 1080 && b.bottom <= 2400 && allow.clickable
        );
        let deny = one(&t, r#"{text: "DON.T ALLOW", below: "ALLOW"}"#).expect("deny");
        assert_eq!(
            deny.resource_id,
            "com.android.permissioncontroller:id/permission_deny_button"
        );

        let zh = real("permission-dialog_packageinstaller-zh_storage-contacts.xml");
        let allow = one(
            &zh,
            r#"{text: "允许", rightOf: {id: "permission_deny_button"}}"#,
        )
        .expect("允许");
        assert_eq!(
            (allow.resource_id.as_str(), allow.center),
            (
                "com.android.packageinstaller:id/permission_allow_button",
                (1355, 626)
            )
        );

        let bili = real("u2_bilibili_privacy_consent_first_miui.xml");
        let body = one(
            &bili,
            r#"{text: "感谢您信任并使用bilibili。 我们将依据.*"}"#,
        )
        .expect("multi-line");
        assert_eq!(body.resource_id, "tv.danmaku.bili:id/content");
        let agree = one(&bili, r#"{text: "同意并继续", below: "不同意"}"#).expect("agree");
        assert_eq!(agree.resource_id, "tv.danmaku.bili:id/agree");
        assert_eq!(
            nearest_texts(&bili, &sel(r#"{text: "同意并继"}"#), 1),
            ["同意并继续"]
        );
        let texts = screen_texts(&bili);
        let pos = |s: &str| texts.iter().position(|t| t == s).expect(s);
        assert!(
            pos("用户协议与隐私政策提示") < pos("同意并继续") && pos("同意并继续") < pos("概览")
        );
    }

    /// The centres a selector finds, best first.
    fn centres(t: &UiTree, yaml: &str) -> Vec<(i32, i32)> {
        find_all(t, &sel(yaml), &none())
            .expect("compiles")
            .iter()
            .map(|f| f.center)
            .collect()
    }

    #[test]
    fn roles_on_real_dialogs() {
        let bili = real("u2_bilibili_privacy_consent_first_miui.xml");
        let id = |t: &UiTree, yaml: &str| one(t, yaml).map(|f| f.resource_id);
        assert_eq!(
            id(&bili, "{role: agree}").as_deref(),
            Some("tv.danmaku.bili:id/agree")
        );
        assert_eq!(
            id(&bili, "{role: refuse}").as_deref(),
            Some("tv.danmaku.bili:id/disagree")
        );
        assert_eq!(
            id(&bili, "{role: agree, below: {role: refuse}}").as_deref(),
            Some("tv.danmaku.bili:id/agree"),
            "relations narrow a role, and anchors take one"
        );
        assert_eq!(id(&bili, r#"{role: agree, text: "不同意"}"#), None);
        assert_eq!(id(&bili, "{role: deny}"), None);
        assert_eq!(id(&bili, "{role: consent-box}"), None);

        let perm = real("permission-dialog_aosp-emulator_notifications-uppercase.xml");
        assert_eq!(
            one(&perm, "{role: allow}").map(|f| f.text).as_deref(),
            Some("ALLOW")
        );
        assert_eq!(
            id(&perm, "{role: deny}").as_deref(),
            Some("com.android.permissioncontroller:id/permission_deny_button")
        );
        let crash = real("crash_dialog_keeps_stopping_samsung.xml");
        assert_eq!(
            id(&crash, "{role: close}").as_deref(),
            Some("android:id/aerr_close")
        );
        assert_eq!(
            id(&crash, "{role: app-info}").as_deref(),
            Some("android:id/aerr_app_info")
        );

        // A consent checkbox, by its state and by the label read for it.
        let box_ = real("other_beeplay_login-policy-checkbox-zh.xml");
        let policy = "com.beeplay.card2prepare:id/tv_policy";
        assert_eq!(id(&box_, "{role: consent-box}").as_deref(), Some(policy));
        assert_eq!(
            id(&box_, "{role: consent-box, checked: false}").as_deref(),
            Some(policy)
        );
        assert_eq!(id(&box_, "{role: consent-box, checked: true}"), None);
        assert_eq!(
            id(&box_, r#"{role: consent-box, text: ".*隐私政策.*"}"#).as_deref(),
            Some(policy)
        );
        assert_eq!(id(&box_, r#"{role: consent-box, text: "Nope"}"#), None);
        assert_eq!(id(&box_, "{role: consent-box, index: 1}"), None);
    }

    #[test]
    fn roles_of_switches_and_entries_and_without_an_understanding() {
        let t = tree(
            r#"<node class="android.widget.FrameLayout" package="com.x" bounds="[0,0][1080,2400]">
<node text="Settings" resource-id="com.x:id/title" class="android.widget.TextView" package="com.x" bounds="[0,100][1080,200]"/>
<node text="Personalised recommendations" resource-id="com.x:id/personalise" class="android.widget.Switch" package="com.x" checkable="true" checked="false" clickable="true" enabled="true" bounds="[0,300][1080,420]"/>
<node text="Dark mode" resource-id="com.x:id/dark" class="android.widget.Switch" package="com.x" checkable="true" checked="true" clickable="true" enabled="true" bounds="[0,420][1080,540]"/>
<node resource-id="com.x:id/row" class="android.widget.LinearLayout" package="com.x" clickable="true" enabled="true" bounds="[0,600][1080,720]"><node text="Delete account" class="android.widget.TextView" package="com.x" bounds="[40,620][600,700]"/></node>
<node text="Log out" resource-id="com.x:id/logout" class="android.widget.Button" package="com.x" clickable="true" enabled="true" bounds="[0,800][1080,900]"/>
</node>"#,
        );
        assert_eq!(centres(&t, "{role: personalisation-switch}"), [(540, 360)]);
        assert_eq!(
            centres(&t, "{role: personalisation-switch, checked: false}"),
            [(540, 360)]
        );
        assert!(centres(&t, "{role: personalisation-switch, checked: true}").is_empty());
        // The row that holds the label is the entry (a tap on it opens it).
        assert_eq!(centres(&t, "{role: deletion-entry}"), [(540, 660)]);
        assert_eq!(
            centres(&t, r#"{role: deletion-entry, text: "Delete account"}"#),
            [(540, 660)]
        );
        assert!(centres(&t, "{role: consent-box}").is_empty());
        // The understanding is the caller's: without one, a role finds nothing.
        let s = sel("{role: personalisation-switch}");
        assert_eq!(find_in(&t, None, &s, &none()), Ok(None));
        let u = screen::understand(&t, None, &Wording::builtin());
        assert_eq!(
            find_in(&t, Some(&u), &s, &none())
                .expect("compiles")
                .map(|f| f.center),
            Some((540, 360))
        );
        // Described as written.
        assert_eq!(describe(&sel("{role: agree}")), "role agree");
        assert_eq!(
            describe(&sel(
                "{role: consent-box, checked: true, below: {role: refuse}}"
            )),
            "role consent-box, checked, below role refuse"
        );
    }

    #[test]
    fn real_settings_list() {
        let t = real("miui_phone_settings_preferred_network_type.xml");
        assert_eq!(
            one(&t, r#"{id: "title", index: 2}"#).map(|f| f.text),
            Some("3G preferencial".into())
        );
        check(
            &t,
            &[
                (
                    r#"{id: "android:id/checkbox", checked: true}"#,
                    &[(108, 617)],
                ),
                (
                    r#"{id: "checkbox", childOf: {containsChild: "Apenas 2G"}}"#,
                    &[(108, 1181)],
                ),
                // [0,0][0,0] bounds: not on screen.
                (r#"{id: "navigationBarBackground"}"#, &[]),
            ],
        );
        let radio = one(&t, r#"{id: "checkbox", leftOf: "LTE preferencial"}"#).expect("radio");
        assert_eq!((radio.center, radio.checked), ((108, 805), false));
        let row = one(&t, r#"{containsChild: "Apenas 2G"}"#).expect("row");
        assert_eq!((row.bounds.top, row.clickable), (1087, true));
    }

    /// Every real dump: its texts are distinct, and each, selected by its
    /// escaped self, finds an element showing it.
    #[test]
    fn every_real_dump_round_trips_its_texts() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/real-captures/uiautomator"
        );
        let mut dumps = 0;
        for entry in std::fs::read_dir(dir).expect("captures") {
            let name = entry
                .expect("entry")
                .file_name()
                .into_string()
                .expect("name");
            if Path::new(&name).extension().is_none_or(|e| e != "xml") {
                continue;
            }
            dumps += 1;
            let t = real(&name);
            let texts = screen_texts(&t);
            assert!(!texts.is_empty(), "{name}");
            assert_eq!(texts.len(), BTreeSet::from_iter(&texts).len(), "{name}");
            for text in &texts {
                let pattern = Pattern::parse(&regex::escape(text), MatchMode::Full, &none())
                    .expect("escaped");
                let s = Selector {
                    text: Some(pattern),
                    ..Selector::default()
                };
                let f = find(&t, &s, &none()).expect("compiles").expect(text);
                assert!(
                    f.text == *text || f.content_desc == *text,
                    "{name}: {text} gave {f:?}"
                );
            }
        }
        assert!(dumps >= 10, "{dumps} dumps");
    }
}
