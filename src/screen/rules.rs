//! The rules that read a dump: which window is what, which node is a
//! button with which role, and which texts are a dialog's. General rules
//! only: by package and resource id first, then by the wording data and
//! the tree's structure (a dialog's texts are those near its buttons).

use std::collections::{BTreeMap, HashMap};

use super::wording::{Wording, normalise, without_countdown};
use super::{Button, Entry, Kind, Purpose, Role, Selector, Toggle, Understanding};
use crate::android::uiautomator::{UiNode, UiTree};

/// Roles a permission dialog's buttons can have, most specific first.
const PERMISSION_ROLES: [Role; 5] = [
    Role::DenyForever,
    Role::AllowForeground,
    Role::AllowOnce,
    Role::Allow,
    Role::Deny,
];
/// Roles an app's own dialogs and screens give their buttons, in order of
/// precedence (a label in two lists takes the first).
const APP_ROLES: [Role; 11] = [
    Role::Agree,
    Role::Refuse,
    Role::Settings,
    Role::Exit,
    Role::Close,
    Role::AllowForeground,
    Role::AllowOnce,
    Role::Allow,
    Role::DenyForever,
    Role::Deny,
    Role::Wait,
];
/// Roles of the system's crash and ANR dialogs, by label.
const ERROR_ROLES: [Role; 3] = [Role::Close, Role::Wait, Role::AppInfo];

/// One window, flattened in document order with parent links.
struct Window<'a> {
    nodes: Vec<&'a UiNode>,
    parent: Vec<Option<usize>>,
    /// One past the last node of each node's subtree.
    end: Vec<usize>,
    /// Whether some ancestor is clickable.
    in_clickable: Vec<bool>,
    package: String,
}

impl<'a> Window<'a> {
    fn new(root: &'a UiNode) -> Self {
        let mut w = Window {
            nodes: Vec::new(),
            parent: Vec::new(),
            end: Vec::new(),
            in_clickable: Vec::new(),
            package: String::new(),
        };
        // The parser bounds the depth (`uiautomator::MAX_DEPTH`), so the
        // recursion is bounded too.
        w.add(root, None, false);
        w
    }

    fn add(&mut self, n: &'a UiNode, parent: Option<usize>, inside: bool) {
        let i = self.nodes.len();
        self.nodes.push(n);
        self.parent.push(parent);
        self.end.push(i + 1);
        self.in_clickable.push(inside);
        if self.package.is_empty() && !n.package.is_empty() {
            self.package.clone_from(&n.package);
        }
        for c in &n.children {
            self.add(c, Some(i), inside || n.clickable);
        }
        self.end[i] = self.nodes.len();
    }

    fn subtree(&self, i: usize) -> std::ops::Range<usize> {
        i..self.end[i]
    }

    /// The texts (text, else content description) in `i`'s subtree.
    fn texts(&self, i: usize) -> impl Iterator<Item = (usize, &'a str)> + '_ {
        self.subtree(i)
            .filter_map(|j| label_of(self.nodes[j]).map(|t| (j, t)))
    }

    /// The nearest ancestor of `i` whose subtree holds a text outside
    /// `i`'s own: the box a button and its dialog's texts share.
    fn container(&self, i: usize) -> Option<usize> {
        let mut at = self.parent[i]?;
        loop {
            let own = self.subtree(i);
            if self.texts(at).any(|(j, _)| !own.contains(&j)) {
                return Some(at);
            }
            at = self.parent[at]?;
        }
    }
}

/// A node's own text, else its content description.
fn label_of(n: &UiNode) -> Option<&str> {
    [n.text.as_str(), n.content_desc.as_str()]
        .into_iter()
        .map(str::trim)
        .find(|t| !t.is_empty())
}

/// The part of a resource id after `:id/` (the whole id when it has none).
fn id_name(id: &str) -> &str {
    id.rsplit_once(":id/").map_or(id, |(_, n)| n)
}

/// The package part of a resource id (`com.x` in `com.x:id/name`).
fn id_package(id: &str) -> &str {
    id.split_once(":id/").map_or("", |(p, _)| p)
}

/// Something a user can press, with the label a reader sees on it.
struct Control {
    at: usize,
    label: String,
    norm: String,
    /// The text a selector names it by (its own, or its first child's).
    select_text: Option<String>,
    clickable: bool,
}

/// Every clickable node (labelled by its own text or description, else by
/// the texts inside it), and every text outside a clickable node (some
/// apps draw buttons that say they are not clickable).
fn controls(w: &Window<'_>) -> Vec<Control> {
    let mut out = Vec::new();
    for (i, n) in w.nodes.iter().enumerate() {
        if n.clickable {
            let own = label_of(n).map(str::to_string);
            let inner: Vec<&str> = w
                .texts(i)
                .filter(|&(j, _)| j != i)
                .map(|(_, t)| t)
                .collect();
            let label = own.clone().unwrap_or_else(|| inner.join(" "));
            if label.is_empty() {
                continue;
            }
            out.push(Control {
                at: i,
                norm: normalise(&label),
                select_text: own.or_else(|| inner.first().map(|t| (*t).to_string())),
                label,
                clickable: true,
            });
        } else if !w.in_clickable[i] {
            if let Some(t) = label_of(n) {
                out.push(Control {
                    at: i,
                    label: t.to_string(),
                    norm: normalise(t),
                    select_text: Some(t.to_string()),
                    clickable: false,
                });
            }
        }
    }
    out
}

/// Counts for unique selectors, over the whole dump.
struct Names {
    ids: HashMap<String, Vec<(i32, i32, usize)>>,
    texts: HashMap<String, Vec<(i32, i32, usize)>>,
}

impl Names {
    fn new(tree: &UiTree) -> Self {
        let mut ids: HashMap<String, Vec<(i32, i32, usize)>> = HashMap::new();
        let mut texts: HashMap<String, Vec<(i32, i32, usize)>> = HashMap::new();
        for (k, n) in tree.nodes().into_iter().enumerate() {
            let at = n
                .bounds
                .map_or((i32::MAX, i32::MAX, k), |b| (b.top, b.left, k));
            if !n.resource_id.is_empty() {
                ids.entry(n.resource_id.clone()).or_default().push(at);
            }
            for t in [&n.text, &n.content_desc] {
                if !t.is_empty() {
                    texts.entry(t.clone()).or_default().push(at);
                }
            }
        }
        for v in ids.values_mut().chain(texts.values_mut()) {
            v.sort_unstable();
            v.dedup();
        }
        Names { ids, texts }
    }

    /// The selector for `n` (named by `text` when it has no unique id):
    /// a unique id, else a unique text, else either with an index in
    /// reading order, else the centre point.
    fn selector(&self, n: &UiNode, text: Option<&str>) -> Selector {
        let place = |list: &Vec<(i32, i32, usize)>| {
            let b = n.bounds;
            list.iter()
                .position(|&(t, l, _)| b.is_some_and(|b| (b.top, b.left) == (t, l)))
        };
        if !n.resource_id.is_empty() {
            if let Some(list) = self.ids.get(&n.resource_id) {
                if list.len() == 1 {
                    return Selector {
                        id: Some(regex::escape(&n.resource_id)),
                        ..Selector::default()
                    };
                }
            }
        }
        if let Some(t) = text.filter(|t| !t.is_empty()) {
            if let Some(list) = self.texts.get(t) {
                return Selector {
                    text: Some(regex::escape(t)),
                    index: (list.len() > 1).then(|| place(list).unwrap_or(0)),
                    ..Selector::default()
                };
            }
        }
        if let Some(list) = self.ids.get(&n.resource_id) {
            return Selector {
                id: Some(regex::escape(&n.resource_id)),
                index: Some(place(list).unwrap_or(0)),
                ..Selector::default()
            };
        }
        Selector {
            point: n.bounds.map(|b| {
                let (x, y) = b.center();
                format!("{x},{y}")
            }),
            ..Selector::default()
        }
    }
}

/// Reads the dump: system dialogs first (they draw over apps, wherever
/// their window is in the dump), then the foreground app's window.
pub(super) fn understand(tree: &UiTree, wording: &Wording) -> Understanding {
    let names = Names::new(tree);
    let windows: Vec<Window<'_>> = tree.windows.iter().map(Window::new).collect();
    let app = windows
        .iter()
        .position(|w| !wording.decoration_packages.contains(&w.package) && !w.nodes.is_empty())
        .or_else(|| (!windows.is_empty()).then_some(0));
    let app_package = app
        .map(|k| windows[k].package.clone())
        .filter(|p| !p.is_empty());
    // Each window's controls, found once for every rule.
    let ctls: Vec<Vec<Control>> = windows.iter().map(controls).collect();
    let seen = windows.iter().zip(&ctls);
    for (w, c) in seen.clone() {
        if let Some(mut u) = permission_dialog(w, c, wording, &names) {
            u.app_package = app_package.clone().filter(|p| *p != u.package);
            return u;
        }
    }
    for (w, c) in seen {
        if let Some(mut u) = error_dialog(w, c, wording, &names) {
            u.app_package = app_package.clone().filter(|p| *p != u.package);
            return u;
        }
    }
    match app {
        Some(k) => app_screen(&windows[k], &ctls[k], wording, &names),
        None => blank(Kind::App, String::new()),
    }
}

fn blank(kind: Kind, package: String) -> Understanding {
    Understanding {
        version: super::JSON_VERSION,
        kind,
        package,
        app_package: None,
        permission: None,
        title: None,
        message: None,
        buttons: Vec::new(),
        checkboxes: Vec::new(),
        switches: Vec::new(),
        deletion: Vec::new(),
        navigation: Vec::new(),
        blank_fraction: None,
    }
}

fn button(w: &Window<'_>, c: &Control, role: Role, names: &Names) -> Button {
    let n = w.nodes[c.at];
    Button {
        role,
        text: c.label.clone(),
        resource_id: n.resource_id.clone(),
        bounds: n.bounds,
        selector: names.selector(n, c.select_text.as_deref()),
    }
}

/// The first of `roles` whose labels hold the control's label, or, for a
/// label in two languages (`同意 Agree`, `不同意 / Disagree`), the role
/// every part of it has.
fn role_by_label(c: &Control, roles: &[Role], wording: &Wording) -> Option<Role> {
    if let Some(r) = roles
        .iter()
        .copied()
        .find(|&r| wording.is_label(r, &c.norm))
    {
        return Some(r);
    }
    let parts: Vec<String> = c
        .label
        .split(|ch: char| ch.is_whitespace() || matches!(ch, '/' | '|' | '·' | '｜'))
        .map(normalise)
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() < 2 {
        return None;
    }
    roles
        .iter()
        .copied()
        .find(|&r| parts.iter().all(|p| wording.is_label(r, p)))
}

fn is_system_package(p: &str, wording: &Wording) -> bool {
    wording.system_packages.iter().any(|s| s == p)
        || wording.permission_packages.iter().any(|s| s == p)
}

/// The runtime-permission dialog: by AOSP's button ids in a permission or
/// system package (or ids that name one), else, in a system package, by
/// an allow and a deny label.
/// A system dialog's buttons: by the id map's role for ids `counts`
/// accepts, else by label among `roles`; and whether any came by id.
fn system_buttons(
    w: &Window<'_>,
    ctls: &[Control],
    ids: &BTreeMap<String, Role>,
    counts: impl Fn(&str) -> bool,
    roles: &[Role],
    wording: &Wording,
    names: &Names,
) -> (Vec<Button>, bool) {
    let mut buttons = Vec::new();
    let mut by_id = false;
    for c in ctls.iter().filter(|c| c.clickable) {
        let id = &w.nodes[c.at].resource_id;
        let role = match ids.get(id_name(id)) {
            Some(&r) if counts(id) => {
                by_id = true;
                Some(r)
            }
            _ => role_by_label(c, roles, wording),
        };
        if let Some(r) = role {
            buttons.push(button(w, c, r, names));
        }
    }
    (buttons, by_id)
}

fn permission_dialog(
    w: &Window<'_>,
    ctls: &[Control],
    wording: &Wording,
    names: &Names,
) -> Option<Understanding> {
    let system = is_system_package(&w.package, wording);
    let ids_count = |id: &str| {
        system
            || wording
                .permission_packages
                .iter()
                .any(|p| p == id_package(id))
    };
    let (buttons, by_id) = system_buttons(
        w,
        ctls,
        &wording.permission_ids,
        ids_count,
        &PERMISSION_ROLES,
        wording,
        names,
    );
    let allows = buttons.iter().any(|b| {
        matches!(
            b.role,
            Role::Allow | Role::AllowForeground | Role::AllowOnce
        )
    });
    let denies = buttons
        .iter()
        .any(|b| matches!(b.role, Role::Deny | Role::DenyForever));
    if !(by_id || (system && allows && denies)) {
        return None;
    }
    let labels: Vec<&str> = buttons.iter().map(|b| b.text.as_str()).collect();
    let message = w
        .nodes
        .iter()
        .find(|n| {
            wording
                .permission_message_ids
                .iter()
                .any(|m| m == id_name(&n.resource_id))
        })
        .and_then(|n| label_of(n))
        .or_else(|| longest_text(w, 0, &labels))
        .map(str::to_string);
    let mut checkboxes = Vec::new();
    for (i, n) in w.nodes.iter().enumerate() {
        let name = id_name(&n.resource_id);
        let purpose = if wording.dont_ask_ids.iter().any(|d| d == name) {
            Purpose::DontAsk
        } else {
            match wording.accuracy_ids.get(name).map(String::as_str) {
                Some("precise") => Purpose::Precise,
                Some("approximate") => Purpose::Approximate,
                _ => continue,
            }
        };
        checkboxes.push(toggle(w, i, purpose, names));
    }
    let mut u = blank(Kind::PermissionDialog, w.package.clone());
    u.permission = message.as_deref().and_then(|m| wording.permission_group(m));
    u.message = message;
    u.buttons = buttons;
    u.checkboxes = checkboxes;
    Some(u)
}

/// The system's crash or ANR dialog: by the `aerr_*` ids of package
/// `android`, else, in a system package, by a crash or ANR phrase with a
/// close, wait or app-info label.
fn error_dialog(
    w: &Window<'_>,
    ctls: &[Control],
    wording: &Wording,
    names: &Names,
) -> Option<Understanding> {
    let (buttons, by_id) = system_buttons(
        w,
        ctls,
        &wording.app_error_ids,
        |id: &str| id_package(id) == "android",
        &ERROR_ROLES,
        wording,
        names,
    );
    let title = w
        .nodes
        .iter()
        .find(|n| id_name(&n.resource_id) == "alertTitle")
        .and_then(|n| label_of(n))
        .or_else(|| {
            ctls.iter()
                .filter(|c| !c.clickable)
                .find(|c| wording.anr.in_text(&c.norm) || wording.crash.in_text(&c.norm))
                .map(|c| c.label.as_str())
        })
        .map(str::to_string);
    let title_norm = title.as_deref().map(normalise).unwrap_or_default();
    let anr = buttons.iter().any(|b| b.role == Role::Wait) || wording.anr.in_text(&title_norm);
    let crash = wording.crash.in_text(&title_norm);
    let by_text = is_system_package(&w.package, wording) && (anr || crash) && !buttons.is_empty();
    if !by_id && !by_text {
        return None;
    }
    let mut u = blank(
        if anr {
            Kind::AnrDialog
        } else {
            Kind::CrashDialog
        },
        w.package.clone(),
    );
    u.title = title;
    u.buttons = buttons;
    Some(u)
}

/// The longest text in `i`'s subtree that is not one of `skip`.
fn longest_text<'a>(w: &Window<'a>, i: usize, skip: &[&str]) -> Option<&'a str> {
    w.texts(i)
        .map(|(_, t)| t)
        .filter(|t| !skip.contains(t))
        .max_by_key(|t| t.chars().count())
}

/// A checkbox or switch at `i`: labelled by its own text, else by the
/// first text near it.
fn toggle(w: &Window<'_>, i: usize, purpose: Purpose, names: &Names) -> Toggle {
    let n = w.nodes[i];
    let text = label_of(n)
        .map(str::to_string)
        .or_else(|| {
            let own = w.subtree(i);
            w.container(i).and_then(|c| {
                w.texts(c)
                    .find(|(j, _)| !own.contains(j))
                    .map(|(_, t)| t.to_string())
            })
        })
        .unwrap_or_default();
    Toggle {
        purpose,
        selector: names.selector(n, label_of(n)),
        text,
        checked: n.checked,
        resource_id: n.resource_id.clone(),
        bounds: n.bounds,
    }
}

fn is_switch(n: &UiNode) -> bool {
    let class = n.class.rsplit('.').next().unwrap_or("");
    class.contains("Switch") || class.contains("ToggleButton")
}

fn is_checkbox(n: &UiNode) -> bool {
    n.class
        .rsplit('.')
        .next()
        .unwrap_or("")
        .contains("CheckBox")
}

/// An app's window: its own dialogs, a splash ad, or an ordinary screen;
/// with its toggles and entries in every case.
fn app_screen(w: &Window<'_>, ctls: &[Control], wording: &Wording, names: &Names) -> Understanding {
    let roles: Vec<Option<Role>> = ctls
        .iter()
        .map(|c| {
            if wording.is_label(Role::Skip, &without_countdown(&c.norm)) {
                Some(Role::Skip)
            } else {
                role_by_label(c, &APP_ROLES, wording)
            }
        })
        .collect();
    let role_buttons: Vec<(usize, Role)> = roles
        .iter()
        .enumerate()
        .filter_map(|(k, r)| r.map(|r| (k, r)))
        .collect();
    let mut u = blank(Kind::App, w.package.clone());
    // Texts in a box, apart from its role buttons' labels, normalised.
    let box_texts = |b: usize| -> Vec<(usize, String)> {
        let inside: Vec<usize> = role_buttons
            .iter()
            .map(|&(k, _)| ctls[k].at)
            .filter(|&at| w.subtree(b).contains(&at))
            .collect();
        w.texts(b)
            .filter(|(j, _)| !inside.iter().any(|&a| w.subtree(a).contains(j)))
            .map(|(j, t)| (j, t.to_string()))
            .collect()
    };
    let in_box = |b: usize| -> Vec<Button> {
        role_buttons
            .iter()
            .filter(|&&(k, _)| w.subtree(b).contains(&ctls[k].at))
            .map(|&(k, r)| button(w, &ctls[k], r, names))
            .collect()
    };
    // A consent dialog: an agree button whose box holds a refuse button or
    // names the policy.
    let consent = role_buttons
        .iter()
        .filter(|&&(_, r)| r == Role::Agree)
        .find_map(|&(k, _)| {
            let b = w.container(ctls[k].at)?;
            let texts = box_texts(b);
            let policy = texts
                .iter()
                .any(|(_, t)| wording.policy.in_text(&normalise(t)));
            let refuse = role_buttons
                .iter()
                .any(|&(j, r)| r == Role::Refuse && w.subtree(b).contains(&ctls[j].at));
            (policy || refuse).then_some((b, texts))
        });
    if let Some((b, texts)) = consent {
        u.kind = Kind::ConsentDialog;
        u.buttons = in_box(b);
        // The policy text is the box's longest; a shorter first one is
        // the title.
        let body = texts.iter().max_by_key(|(_, t)| t.chars().count());
        u.message = body.map(|(_, t)| t.clone());
        u.title = texts
            .first()
            .filter(|(j, _)| Some(*j) != body.map(|(m, _)| *m))
            .map(|(_, t)| t.clone());
    } else if let Some((b, texts)) = role_buttons
        .iter()
        .filter(|&&(_, r)| r != Role::Skip)
        .find_map(|&(k, r)| {
            // A rationale: a button whose box asks for a permission, in so
            // many words, or names a permission's group beside an allow,
            // deny or settings button (an app's own pre-permission dialog).
            let b = w.container(ctls[k].at)?;
            let texts = box_texts(b);
            let answers = matches!(
                r,
                Role::Allow
                    | Role::AllowForeground
                    | Role::AllowOnce
                    | Role::Deny
                    | Role::DenyForever
                    | Role::Settings
            );
            texts
                .iter()
                .any(|(_, t)| {
                    wording.permission.in_text(&normalise(t))
                        || (answers && wording.permission_group(t).is_some())
                })
                .then_some((b, texts))
        })
    {
        u.kind = Kind::RationaleDialog;
        u.buttons = in_box(b);
        let asking = texts
            .iter()
            .find(|(_, t)| wording.permission.in_text(&normalise(t)))
            .map(|(_, t)| t.clone());
        u.permission = texts.iter().find_map(|(_, t)| wording.permission_group(t));
        u.message = asking;
    } else {
        if role_buttons.iter().any(|&(_, r)| r == Role::Skip) {
            u.kind = Kind::SplashAd;
        }
        u.buttons = role_buttons
            .iter()
            .map(|&(k, r)| button(w, &ctls[k], r, names))
            .collect();
    }
    for (i, n) in w.nodes.iter().enumerate() {
        if is_switch(n) {
            let mut t = toggle(w, i, Purpose::Other, names);
            if wording.personalisation.in_text(&normalise(&t.text)) {
                t.purpose = Purpose::Personalisation;
            }
            u.switches.push(t);
        } else if is_checkbox(n) || (n.checkable && n.text.chars().count() > 4) {
            let mut t = toggle(w, i, Purpose::Other, names);
            if wording.policy.in_text(&normalise(&t.text)) {
                t.purpose = Purpose::Consent;
            } else if !is_checkbox(n) {
                continue;
            }
            u.checkboxes.push(t);
        }
    }
    // A consent box with no agree label beside it ("I have read and agree
    // to the Privacy Policy" and a "Continue"): the box makes the screen a
    // consent prompt, and its one other plain button submits it.
    if u.kind == Kind::App {
        if let Some(boxed) = u.checkboxes.iter().find(|t| t.purpose == Purpose::Consent) {
            let scope = w
                .nodes
                .iter()
                .position(|n| n.bounds == boxed.bounds && n.text == boxed.text)
                .and_then(|i| w.container(i));
            let submit: Vec<usize> = ctls
                .iter()
                .enumerate()
                .filter(|&(k, c)| {
                    let n = w.nodes[c.at];
                    c.clickable
                        && roles[k].is_none()
                        && !n.checkable
                        && scope.is_none_or(|b| w.subtree(b).contains(&c.at))
                        && !wording.navigation.is(&c.norm)
                        && !wording.deletion.in_text(&c.norm)
                })
                .map(|(k, _)| k)
                .collect();
            if let [k] = submit[..] {
                u.kind = Kind::ConsentDialog;
                u.buttons.push(button(w, &ctls[k], Role::Agree, names));
            }
        }
    }
    for c in ctls {
        let entry = || Entry {
            text: c.label.clone(),
            resource_id: w.nodes[c.at].resource_id.clone(),
            clickable: c.clickable,
            bounds: w.nodes[c.at].bounds,
            selector: names.selector(w.nodes[c.at], c.select_text.as_deref()),
        };
        if c.label.chars().count() <= wording.entry_max_chars && wording.deletion.in_text(&c.norm) {
            u.deletion.push(entry());
        } else if wording.navigation.is(&c.norm) {
            u.navigation.push(entry());
        }
    }
    u
}
