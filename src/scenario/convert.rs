//! Conversion of one parsed file into the validated model, collecting every
//! problem as a [`Diagnostic`] with its line, column and key path instead of
//! stopping at the first one.
//!
//! Each command is deserialised on its own (so one bad command does not hide
//! the next), then checked: regexes compile, durations are positive, files
//! named by `runFlow` and templates exist, options are consistent.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::diagnostic::Diagnostic;
use super::model::{
    Command, Condition, DialogHandler, Expectation, ExploreGoal, FlowSource, Gesture, Header,
    ImageRef, Location, OnDialog, PermissionState, Relation, Selector, Setup, Step, SwipeKind,
};
use super::raw::{
    COMMAND_NAMES, Flex, Payload, RawCommand, RawCommands, RawCondition, RawDuration, RawHeader,
    RawSelector, RawTap, SnapshotKind, UNSUPPORTED_MAESTRO_COMMANDS,
};
use super::suggest::did_you_mean;
use super::values::is_package_name;
use super::values::{
    Direction, Duration, ElementRole, ExploreTarget, KEYS, Key, MatchMode, PERMISSION_GROUPS,
    Pattern, Point, Template, check_permission_name, is_var_name,
};
use super::yaml::{Node, PathSegment, Pos};
use crate::category::Category;

/// Variables every run provides, whatever the scenario declares.
pub const BUILTIN_VARS: &[&str] = &["APP_ID", "DEVICE_SERIAL", "RUN_ID"];

/// A place in the file: a node and the key path that leads to it.
#[derive(Clone)]
pub(crate) struct Spot<'n> {
    node: &'n Node,
    key: String,
    /// Set when the key does not exist in the file (the node is its parent).
    missing: bool,
}

impl<'n> Spot<'n> {
    pub(crate) fn root(node: &'n Node, key: &str) -> Self {
        Self {
            node,
            key: key.to_string(),
            missing: false,
        }
    }

    fn join(&self, seg: &PathSegment) -> String {
        match seg {
            PathSegment::Key(k) if self.key.is_empty() => k.clone(),
            PathSegment::Key(k) => format!("{}.{k}", self.key),
            PathSegment::Index(i) => format!("{}[{i}]", self.key),
        }
    }

    /// The value under `key`, or this node marked missing. On a scalar (a
    /// command's short form, such as `tapOn: "OK"` for `tapOn: {text: OK}`)
    /// the scalar is the value itself, and the key path stays as written.
    fn field(&self, key: &str) -> Spot<'n> {
        let seg = PathSegment::Key(key.to_string());
        if self.node.as_map().is_none() && self.node.as_seq().is_none() && !self.missing {
            return self.clone();
        }
        match self.node.entry(key) {
            Some((_, value)) if !self.missing => Spot {
                node: value,
                key: self.join(&seg),
                missing: false,
            },
            _ => Spot {
                node: self.node,
                key: self.join(&seg),
                missing: true,
            },
        }
    }

    /// The key node itself (for unknown-key errors).
    fn key_node(&self, key: &str) -> Spot<'n> {
        let seg = PathSegment::Key(key.to_string());
        match self.node.entry(key) {
            Some((k, _)) if !self.missing => Spot {
                node: k,
                key: self.join(&seg),
                missing: false,
            },
            _ => self.field(key),
        }
    }

    fn index(&self, i: usize) -> Spot<'n> {
        let seg = PathSegment::Index(i);
        match self.node.as_seq().and_then(|items| items.get(i)) {
            Some(item) if !self.missing => Spot {
                node: item,
                key: self.join(&seg),
                missing: false,
            },
            _ => Spot {
                node: self.node,
                key: self.join(&seg),
                missing: true,
            },
        }
    }

    fn pos(&self) -> Pos {
        self.node.pos
    }
}

/// Where a selector is written, which decides the keys it may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SelectorAt {
    /// A command's own selector (`tapOn`, `assertVisible`, ...): `optional`
    /// and `label` are the command's.
    Command,
    /// A selector inside a command, condition or handler (`visible`,
    /// `element`, `from`).
    Inner,
    /// The anchor of a relation (`below`, `childOf`, ...): an element of the
    /// UI tree, so no `image`.
    Anchor,
}

pub(crate) struct Converter<'a> {
    file: &'a Path,
    dir: PathBuf,
    /// Variables with values known at load time (header env, CLI `-e`).
    known: BTreeMap<String, String>,
    /// Variables defined somewhere without a value known here (runFlow env).
    declared: BTreeSet<String>,
    marks: BTreeMap<String, usize>,
    pub(crate) diags: Vec<Diagnostic>,
}

fn flex_value<T: Payload>(f: Option<&Flex<T>>) -> Option<&T> {
    f.map(|f| &f.0)
}

impl<'a> Converter<'a> {
    pub(crate) fn new(file: &'a Path, cli_env: &BTreeMap<String, String>) -> Self {
        let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
        Self {
            file,
            dir,
            known: cli_env.clone(),
            declared: BTreeSet::new(),
            marks: BTreeMap::new(),
            diags: Vec::new(),
        }
    }

    fn error(&mut self, spot: &Spot<'_>, message: impl Into<String>) -> &mut Diagnostic {
        self.diags
            .push(Diagnostic::error(self.file, spot.pos(), &spot.key, message));
        self.diags.last_mut().expect("just pushed")
    }

    fn warning(&mut self, spot: &Spot<'_>, message: impl Into<String>) -> &mut Diagnostic {
        self.diags.push(Diagnostic::warning(
            self.file,
            spot.pos(),
            &spot.key,
            message,
        ));
        self.diags.last_mut().expect("just pushed")
    }

    fn set(d: &mut Diagnostic, expected: Option<&str>, help: Option<String>) {
        if let Some(e) = expected {
            d.expected = Some(e.to_string());
        }
        if help.is_some() {
            d.help = help;
        }
    }

    /// Turns a serde error into a diagnostic at the node its key path names.
    fn serde_error(
        &mut self,
        base: &Spot<'_>,
        err: &serde_path_to_error::Error<serde_yaml::Error>,
    ) {
        let mut segs = Vec::new();
        for seg in err.path() {
            match seg {
                serde_path_to_error::Segment::Seq { index } => {
                    segs.push(PathSegment::Index(*index));
                }
                serde_path_to_error::Segment::Map { key } => {
                    segs.push(PathSegment::Key(key.clone()));
                }
                serde_path_to_error::Segment::Enum { variant } => {
                    segs.push(PathSegment::Key(variant.clone()));
                }
                serde_path_to_error::Segment::Unknown => {}
            }
        }
        let text = err.inner().to_string();
        // An unknown key is shown at the key; any other problem at the value.
        let at_key = text.starts_with("unknown field");
        let mut spot = base.clone();
        let last = segs.len().saturating_sub(1);
        for (i, seg) in segs.iter().enumerate() {
            spot = match seg {
                PathSegment::Key(k) if i == last && at_key => spot.key_node(k),
                PathSegment::Key(k) => spot.field(k),
                PathSegment::Index(n) => spot.index(*n),
            };
        }
        // serde_yaml appends " at line X column Y" only for text input;
        // values carry no position, so the message is used whole.
        let (message, expected, help) = humanize(&text);
        if let Some(missing) = text
            .strip_prefix("missing field `")
            .and_then(|r| r.split('`').next())
        {
            let missing_spot = spot.field(missing);
            let d = self.error(&missing_spot, message);
            Self::set(d, expected.as_deref(), help);
            return;
        }
        let d = self.error(&spot, message);
        Self::set(d, expected.as_deref(), help);
    }

    // -- values --------------------------------------------------------

    fn template(&mut self, spot: &Spot<'_>, text: &str) -> Option<Template> {
        match Template::parse(text) {
            Ok(t) => {
                self.check_vars(spot, &t);
                Some(t)
            }
            Err(e) => {
                self.error(spot, e);
                None
            }
        }
    }

    fn check_vars(&mut self, spot: &Spot<'_>, t: &Template) {
        for v in t.vars() {
            if !self.known.contains_key(v)
                && !self.declared.contains(v)
                && !BUILTIN_VARS.contains(&v)
            {
                let candidates: Vec<String> = self
                    .known
                    .keys()
                    .chain(self.declared.iter())
                    .cloned()
                    .collect();
                let help =
                    did_you_mean(v, candidates.iter().map(String::as_str)).unwrap_or_else(|| {
                        format!("define it under `env:` in the header, or pass `-e {v}=...`")
                    });
                self.warning(spot, format!("variable `{v}` is not defined in this file"))
                    .help = Some(help);
            }
        }
    }

    fn pattern(&mut self, spot: &Spot<'_>, text: &str, mode: MatchMode) -> Option<Pattern> {
        match Pattern::parse(text, mode, &self.known) {
            Ok(p) => {
                self.check_vars(spot, p.source());
                Some(p)
            }
            Err(e) => {
                self.error(spot, e).expected = Some("a valid regular expression".into());
                None
            }
        }
    }

    fn duration(&mut self, spot: &Spot<'_>, raw: &RawDuration, positive: bool) -> Option<Duration> {
        let parsed = match raw {
            RawDuration::Millis(ms) if *ms < 0 => Err(format!("negative duration `{ms}`")),
            RawDuration::Millis(ms) => Ok(Duration::from_millis(ms.unsigned_abs())),
            RawDuration::Text(t) => Duration::parse(t),
        };
        match parsed {
            Ok(d) if positive && d.as_millis() == 0 => {
                self.error(spot, "duration must be greater than zero")
                    .expected = Some("a positive duration such as \"500ms\" or \"30s\"".into());
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                self.error(spot, e).expected = Some(
                    "a duration such as \"500ms\", \"30s\", \"2m\" or integer milliseconds".into(),
                );
                None
            }
        }
    }

    fn opt_duration(
        &mut self,
        parent: &Spot<'_>,
        key: &str,
        raw: Option<&RawDuration>,
    ) -> Option<Duration> {
        raw.and_then(|r| self.duration(&parent.field(key), r, true))
    }

    fn point(&mut self, spot: &Spot<'_>, text: &str) -> Option<Point> {
        match Point::parse(text) {
            Ok(p) => Some(p),
            Err(e) => {
                self.error(spot, e).expected = Some("\"x,y\" in pixels or percentages".into());
                None
            }
        }
    }

    fn direction(&mut self, spot: &Spot<'_>, text: &str) -> Option<Direction> {
        match Direction::parse(text) {
            Ok(d) => Some(d),
            Err(e) => {
                let help =
                    did_you_mean(&text.to_ascii_uppercase(), Direction::NAMES.iter().copied());
                let d = self.error(spot, e);
                Self::set(d, Some("UP, DOWN, LEFT or RIGHT"), help);
                None
            }
        }
    }

    /// A path named in the scenario, resolved against the file's folder,
    /// which must exist.
    fn referenced_file(&mut self, spot: &Spot<'_>, written: &str, what: &str) -> Option<PathBuf> {
        if written.trim().is_empty() {
            self.error(spot, format!("empty {what} path"));
            return None;
        }
        let path = self.dir.join(written);
        if path.is_file() {
            Some(path)
        } else {
            let d = self.error(spot, format!("{what} `{written}` not found"));
            d.help = Some(format!(
                "paths are relative to the scenario's folder; looked for {}",
                path.display()
            ));
            None
        }
    }

    // -- selectors -------------------------------------------------------

    fn selector(&mut self, spot: &Spot<'_>, raw: &RawSelector, at: SelectorAt) -> Option<Selector> {
        let mut ok = true;
        let role = raw.role.as_ref().and_then(|r| {
            let role = self.role(&spot.field("role"), &r.0);
            ok &= role.is_some();
            role
        });
        let text = raw.text.as_ref().and_then(|t| {
            let p = self.pattern(&spot.field("text"), &t.0, MatchMode::Full);
            ok &= p.is_some();
            p
        });
        let id = raw.id.as_ref().and_then(|t| {
            let p = self.pattern(&spot.field("id"), t, MatchMode::Full);
            ok &= p.is_some();
            p
        });
        let point = raw.point.as_ref().and_then(|t| {
            let p = self.point(&spot.field("point"), t);
            ok &= p.is_some();
            p
        });
        if at != SelectorAt::Command {
            for key in ["optional", "label"] {
                let present = match key {
                    "optional" => raw.optional.is_some(),
                    _ => raw.label.is_some(),
                };
                if present {
                    self.error(
                        &spot.key_node(key),
                        format!("`{key}` belongs to the command, not to a relative selector"),
                    )
                    .help = Some("move it to the top level of the command".into());
                    ok = false;
                }
            }
        }
        let mut relations = Vec::new();
        let rels = [
            (Relation::Below, &raw.below),
            (Relation::Above, &raw.above),
            (Relation::LeftOf, &raw.left_of),
            (Relation::RightOf, &raw.right_of),
            (Relation::ChildOf, &raw.child_of),
            (Relation::ContainsChild, &raw.contains_child),
        ];
        for (rel, anchor) in rels {
            if let Some(anchor) = anchor {
                match self.selector(&spot.field(rel.key()), &anchor.0, SelectorAt::Anchor) {
                    Some(s) => relations.push((rel, s)),
                    None => ok = false,
                }
            }
        }
        let image = self.image_ref(spot, raw, at, &mut ok);
        let has_target = raw.role.is_some()
            || raw.text.is_some()
            || raw.id.is_some()
            || raw.point.is_some()
            || raw.image.is_some()
            || !relations.is_empty();
        // An image's companions are checked in `image_ref`.
        if raw.point.is_some() && raw.image.is_none() {
            let others: Vec<&str> = [
                ("role", raw.role.is_some()),
                ("text", raw.text.is_some()),
                ("id", raw.id.is_some()),
                ("index", raw.index.is_some()),
                ("enabled", raw.enabled.is_some()),
                ("checked", raw.checked.is_some()),
                ("focused", raw.focused.is_some()),
                ("selected", raw.selected.is_some()),
            ]
            .into_iter()
            .filter_map(|(k, set)| set.then_some(k))
            .chain(relations.iter().map(|(r, _)| r.key()))
            .collect();
            if let Some(first) = others.first() {
                self.error(
                    &spot.key_node(first),
                    format!("`point` cannot be combined with `{}`", others.join("`, `")),
                )
                .help = Some(
                    "a point taps a screen position; remove the element keys or the point".into(),
                );
                ok = false;
            }
        } else if !has_target && ok {
            let d = self.error(spot, "the selector names no element");
            Self::set(
                d,
                Some(
                    "`text`, `id`, `role`, `point`, `image` or a relative selector (below, above, leftOf, rightOf, childOf, containsChild)",
                ),
                None,
            );
            ok = false;
        }
        ok.then(|| Selector {
            role,
            text,
            id,
            index: raw.index,
            point,
            image,
            enabled: raw.enabled,
            checked: raw.checked,
            focused: raw.focused,
            selected: raw.selected,
            relations,
        })
    }

    /// The `image` key of a selector with its `threshold`: the file exists,
    /// the threshold is a score in 0..=1, and no key that needs the UI tree
    /// comes with it. Clears `ok` on any problem.
    fn image_ref(
        &mut self,
        spot: &Spot<'_>,
        raw: &RawSelector,
        at: SelectorAt,
        ok: &mut bool,
    ) -> Option<ImageRef> {
        let Some(written) = &raw.image else {
            if raw.threshold.is_some() {
                self.error(
                    &spot.key_node("threshold"),
                    "`threshold` applies only to an `image` selector",
                )
                .expected = Some(
                    "`image` beside it, such as `{image: icons/ok.png, threshold: 0.8}`".into(),
                );
                *ok = false;
            }
            return None;
        };
        if at == SelectorAt::Anchor {
            self.error(
                &spot.key_node("image"),
                "`image` cannot be used in a relative selector",
            )
            .help =
                Some("an anchor is an element of the UI tree; name it by `text` or `id`".into());
            *ok = false;
            return None;
        }
        let others: Vec<&str> = [
            ("role", raw.role.is_some()),
            ("text", raw.text.is_some()),
            ("id", raw.id.is_some()),
            ("point", raw.point.is_some()),
            ("enabled", raw.enabled.is_some()),
            ("checked", raw.checked.is_some()),
            ("focused", raw.focused.is_some()),
            ("selected", raw.selected.is_some()),
            (Relation::Below.key(), raw.below.is_some()),
            (Relation::Above.key(), raw.above.is_some()),
            (Relation::LeftOf.key(), raw.left_of.is_some()),
            (Relation::RightOf.key(), raw.right_of.is_some()),
            (Relation::ChildOf.key(), raw.child_of.is_some()),
            (Relation::ContainsChild.key(), raw.contains_child.is_some()),
        ]
        .into_iter()
        .filter_map(|(k, set)| set.then_some(k))
        .collect();
        if let Some(first) = others.first() {
            self.error(
                &spot.key_node(first),
                format!("`image` cannot be combined with `{}`", others.join("`, `")),
            )
            .help = Some(
                "an image selector finds a template on the screenshot, not an element of the UI tree; remove the element keys or the image (only `index` may narrow it)".into(),
            );
            *ok = false;
        }
        let threshold = match raw.threshold {
            None => Some(ImageRef::DEFAULT_THRESHOLD),
            Some(t) if (0.0..=1.0).contains(&t) => {
                #[allow(clippy::cast_possible_truncation)] // a score in 0..=1
                let t = t as f32;
                Some(t)
            }
            Some(t) => {
                self.error(
                    &spot.field("threshold"),
                    format!("threshold `{t}` is outside 0..=1"),
                )
                .expected = Some("a match score from 0 to 1, such as 0.9".into());
                *ok = false;
                None
            }
        };
        let path = self.referenced_file(&spot.field("image"), written, "template image");
        *ok &= path.is_some();
        Some(ImageRef {
            written: written.clone(),
            path: path?,
            threshold: threshold?,
        })
    }

    /// A selector's `role`: one of the names screen understanding gives.
    fn role(&mut self, spot: &Spot<'_>, name: &str) -> Option<ElementRole> {
        match ElementRole::parse(name) {
            Ok(r) => Some(r),
            Err(e) => {
                let help = did_you_mean(name, ElementRole::NAMES.iter().copied());
                let d = self.error(spot, e);
                Self::set(
                    d,
                    Some(&format!(
                        "one of {}",
                        ElementRole::NAMES
                            .iter()
                            .map(|n| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                    help,
                );
                None
            }
        }
    }

    /// A condition; `allow_platform` for `runFlow.when`, the only place
    /// that takes `platform` and `env`.
    fn condition(
        &mut self,
        spot: &Spot<'_>,
        raw: &RawCondition,
        allow_platform: bool,
    ) -> Option<Condition> {
        let visible = flex_value(raw.visible.as_ref())
            .and_then(|s| self.selector(&spot.field("visible"), s, SelectorAt::Inner));
        let not_visible = flex_value(raw.not_visible.as_ref())
            .and_then(|s| self.selector(&spot.field("notVisible"), s, SelectorAt::Inner));
        let mut ok = visible.is_some() == raw.visible.is_some()
            && not_visible.is_some() == raw.not_visible.is_some();
        if let (Some(_), false) = (&raw.platform, allow_platform) {
            self.error(
                &spot.key_node("platform"),
                "`platform` is only valid in `runFlow.when`",
            );
            ok = false;
        } else if let Some(p) = &raw.platform {
            if !["android", "ios", "web"].contains(&p.to_ascii_lowercase().as_str()) {
                let help = did_you_mean(p, ["android", "ios", "web"]);
                let d = self.error(&spot.field("platform"), format!("unknown platform `{p}`"));
                Self::set(d, Some("android, ios or web"), help);
                ok = false;
            }
        }
        if let (Some(_), false) = (&raw.env, allow_platform) {
            self.error(
                &spot.key_node("env"),
                "`env` is only valid in `runFlow.when`",
            )
            .help = Some("run the commands in a `runFlow` with `when: {env: NAME}` instead".into());
            ok = false;
        } else if let Some(name) = &raw.env {
            if !is_var_name(name) {
                self.error(&spot.field("env"), format!("`{name}` is not a variable name"))
                    .expected = Some(
                    "a variable name: letters, digits and `_`, not starting with a digit, without `${}`".into(),
                );
                ok = false;
            }
        }
        if raw.visible.is_none()
            && raw.not_visible.is_none()
            && raw.platform.is_none()
            && raw.env.is_none()
        {
            self.error(spot, "the condition is empty").expected = Some(if allow_platform {
                "`visible`, `notVisible`, `platform` or `env`".into()
            } else {
                "`visible` or `notVisible`".into()
            });
            ok = false;
        }
        ok.then(|| Condition {
            visible,
            not_visible,
            platform: raw.platform.as_ref().map(|p| p.to_ascii_lowercase()),
            env: raw.env.clone(),
        })
    }

    // -- commands ----------------------------------------------------------

    /// Converts a list of commands (a sequence node).
    pub(crate) fn commands(&mut self, spot: &Spot<'_>) -> Vec<Step> {
        let Some(items) = spot.node.as_seq() else {
            let found = spot.node.describe();
            self.error(spot, format!("expected a list of commands, found {found}"))
                .expected = Some("a list such as `- launchApp`".into());
            return Vec::new();
        };
        let mut out = Vec::with_capacity(items.len());
        for i in 0..items.len() {
            if let Some(step) = self.command(&spot.index(i)) {
                out.push(step);
            }
        }
        out
    }

    fn nested(
        &mut self,
        parent: &Spot<'_>,
        key: &str,
        present: Option<&RawCommands>,
    ) -> Option<Vec<Step>> {
        present.map(|_| self.commands(&parent.field(key)))
    }

    fn command(&mut self, spot: &Spot<'_>) -> Option<Step> {
        let (name, name_spot, payload_spot): (String, Spot<'_>, Option<Spot<'_>>) = match (
            spot.node.as_str(),
            spot.node.as_map(),
        ) {
            (Some(word), _) if !spot.node.is_null() => (word.to_string(), spot.clone(), None),
            (_, Some(entries)) if entries.len() == 1 => {
                let (k, _) = &entries[0];
                let Some(word) = k.as_str() else {
                    self.error(spot, "a command name must be text");
                    return None;
                };
                (
                    word.to_string(),
                    spot.key_node(word),
                    Some(spot.field(word)),
                )
            }
            (_, Some(entries)) if entries.len() > 1 => {
                let names: Vec<&str> = entries.iter().filter_map(|(k, _)| k.as_str()).collect();
                let second = names.get(1).copied().unwrap_or("?");
                let d = self.error(
                    &spot.key_node(second),
                    format!(
                        "a command is a map with one key, found {} keys (`{}`)",
                        names.len(),
                        names.join("`, `")
                    ),
                );
                d.help = Some(format!(
                    "put options inside the command, e.g. `- {}: {{text: ..., {second}: ...}}`, or start a new command with `-`",
                    names.first().copied().unwrap_or("tapOn")
                ));
                return None;
            }
            _ => {
                let found = spot.node.describe();
                self.error(spot, format!("expected a command, found {found}"))
                    .expected =
                    Some("a command name or a one-key map such as `tapOn: \"OK\"`".into());
                return None;
            }
        };
        let payload_value = payload_spot
            .as_ref()
            .map_or(serde_yaml::Value::Null, |p| p.node.to_value());
        let raw = match RawCommand::from_payload(&name, payload_value) {
            None => {
                if UNSUPPORTED_MAESTRO_COMMANDS.contains(&name.as_str()) {
                    self.error(
                        &name_spot,
                        format!("the Maestro command `{name}` is not supported by consentry yet"),
                    )
                    .help = Some("see docs/scenario-format.md for the supported commands".into());
                } else {
                    let help = did_you_mean(&name, COMMAND_NAMES.iter().copied())
                        .unwrap_or_else(|| "see docs/scenario-format.md for the commands".into());
                    let d = self.error(&name_spot, format!("unknown command `{name}`"));
                    d.help = Some(help);
                }
                return None;
            }
            Some(Err(e)) => {
                let base = payload_spot.unwrap_or_else(|| Spot {
                    node: spot.node,
                    key: format!("{}.{name}", spot.key),
                    missing: false,
                });
                self.serde_error(&base, &e);
                return None;
            }
            Some(Ok(raw)) => raw,
        };
        let p = payload_spot.unwrap_or_else(|| Spot {
            node: spot.node,
            key: format!("{}.{name}", spot.key),
            missing: true,
        });
        let at = Location {
            line: name_spot.pos().line,
            column: name_spot.pos().col,
            key: spot.key.clone(),
        };
        let (command, label, optional) = self.convert(&p, &raw)?;
        Some(Step {
            command,
            label,
            optional: optional.unwrap_or(false),
            at,
        })
    }

    #[allow(clippy::too_many_lines)]
    fn convert(
        &mut self,
        p: &Spot<'_>,
        raw: &RawCommand,
    ) -> Option<(Command, Option<String>, Option<bool>)> {
        let app = |c: &mut Self, id: &Option<String>| -> Result<Option<Template>, ()> {
            match id {
                None => Ok(None),
                Some(id) => c.template(&p.field("appId"), id).map(Some).ok_or(()),
            }
        };
        macro_rules! common {
            ($x:expr) => {
                ($x.label.clone(), $x.optional)
            };
        }
        let (command, (label, optional)) = match raw {
            RawCommand::LaunchApp(Flex(x)) => {
                let app_id = app(self, &x.app_id).ok()?;
                // Maestro runs such a flow on Android and ignores the key;
                // so does consentry, but it says so.
                if x.clear_keychain == Some(true) {
                    self.warning(
                        &p.key_node("clearKeychain"),
                        "`clearKeychain` is ignored on Android (it clears the iOS keychain)",
                    )
                    .help = Some("remove it; `clearState: true` wipes the app's data".into());
                }
                let mut permissions = Vec::new();
                let mut ok = true;
                for (perm, state) in x.permissions.iter().flatten() {
                    let spot = p.field("permissions").key_node(perm);
                    if let Err(e) = check_permission_name(perm) {
                        let help = did_you_mean(perm, PERMISSION_GROUPS.iter().map(|(g, _)| *g));
                        let d = self.error(&spot, e);
                        Self::set(
                            d,
                            Some(
                                "`all`, a group such as `camera`, or a full name such as `android.permission.CAMERA`",
                            ),
                            help,
                        );
                        ok = false;
                        continue;
                    }
                    let value_spot = p.field("permissions").field(perm);
                    let st = match state.as_str() {
                        "allow" => PermissionState::Allow,
                        "deny" => PermissionState::Deny,
                        "unset" => PermissionState::Unset,
                        other => {
                            let help = did_you_mean(other, ["allow", "deny", "unset"]);
                            let d = self
                                .error(&value_spot, format!("unknown permission state `{other}`"));
                            Self::set(d, Some("allow, deny or unset"), help);
                            ok = false;
                            continue;
                        }
                    };
                    permissions.push((perm.clone(), st));
                }
                let mut arguments = BTreeMap::new();
                for (k, v) in x.arguments.iter().flatten() {
                    match self.template(&p.field("arguments").field(k), &v.0) {
                        Some(t) => {
                            arguments.insert(k.clone(), t);
                        }
                        None => ok = false,
                    }
                }
                if !ok {
                    return None;
                }
                (
                    Command::LaunchApp {
                        app_id,
                        clear_state: x.clear_state.unwrap_or(false),
                        stop_app: x.stop_app.unwrap_or(true),
                        permissions,
                        arguments,
                    },
                    common!(x),
                )
            }
            RawCommand::StopApp(Flex(x)) => (
                Command::StopApp {
                    app_id: app(self, &x.app_id).ok()?,
                },
                common!(x),
            ),
            RawCommand::KillApp(Flex(x)) => (
                Command::KillApp {
                    app_id: app(self, &x.app_id).ok()?,
                },
                common!(x),
            ),
            RawCommand::ClearState(Flex(x)) => (
                Command::ClearState {
                    app_id: app(self, &x.app_id).ok()?,
                },
                common!(x),
            ),
            RawCommand::TapOn(Flex(x)) => (self.tap(p, x, Gesture::Tap)?, common!(x)),
            RawCommand::DoubleTapOn(Flex(x)) => (self.tap(p, x, Gesture::DoubleTap)?, common!(x)),
            RawCommand::LongPressOn(Flex(x)) => (self.tap(p, x, Gesture::LongPress)?, common!(x)),
            RawCommand::InputText(Flex(x)) => {
                let Some(text) = &x.text else {
                    self.error(&p.field("text"), "missing required key `text`");
                    return None;
                };
                if text.0.is_empty() {
                    self.error(&p.field("text"), "empty text").expected =
                        Some("the text to type".into());
                    return None;
                }
                (
                    Command::InputText {
                        text: self.template(&p.field("text"), &text.0)?,
                    },
                    common!(x),
                )
            }
            RawCommand::EraseText(Flex(x)) => (
                Command::EraseText {
                    characters: x.characters_to_erase,
                },
                common!(x),
            ),
            RawCommand::Back(Flex(x)) => (Command::Back, common!(x)),
            RawCommand::HideKeyboard(Flex(x)) => (Command::HideKeyboard, common!(x)),
            RawCommand::Scroll(Flex(x)) => (Command::Scroll, common!(x)),
            RawCommand::PressKey(Flex(x)) => {
                let Some(key) = &x.key else {
                    self.error(&p.field("key"), "missing required key `key`");
                    return None;
                };
                let spot = p.field("key");
                match Key::parse(key) {
                    Ok(k) => (Command::PressKey { key: k }, common!(x)),
                    Err(e) => {
                        let help = did_you_mean(key, KEYS.iter().map(|(n, _)| *n));
                        let d = self.error(&spot, e);
                        Self::set(
                            d,
                            Some("a key name such as Home, Back, Enter, Backspace, Tab, Volume Up"),
                            help,
                        );
                        return None;
                    }
                }
            }
            RawCommand::Swipe(Flex(x)) => {
                let duration = self.opt_duration(p, "duration", x.duration.as_ref());
                let kind = match (&x.direction, &x.start, &x.end, &x.from) {
                    (Some(d), None, None, None) => {
                        SwipeKind::Direction(self.direction(&p.field("direction"), d)?)
                    }
                    (None, Some(s), Some(e), None) => SwipeKind::Points {
                        start: self.point(&p.field("start"), s)?,
                        end: self.point(&p.field("end"), e)?,
                    },
                    (Some(d), None, None, Some(from)) => SwipeKind::FromElement {
                        from: self.selector(&p.field("from"), &from.0, SelectorAt::Inner)?,
                        direction: self.direction(&p.field("direction"), d)?,
                    },
                    _ => {
                        let d = self.error(p, "a swipe needs one of: `direction`; `start` and `end`; or `from` and `direction`");
                        d.expected = Some(
                            "`direction: UP`, or `start: \"90%,50%\"` with `end: \"10%,50%\"`"
                                .into(),
                        );
                        return None;
                    }
                };
                if x.duration.is_some() && duration.is_none() {
                    return None;
                }
                (Command::Swipe { kind, duration }, common!(x))
            }
            RawCommand::ScrollUntilVisible(Flex(x)) => {
                let Some(element) = &x.element else {
                    self.error(&p.field("element"), "missing required key `element`")
                        .expected = Some("a selector".into());
                    return None;
                };
                let element = self.selector(&p.field("element"), &element.0, SelectorAt::Inner);
                let direction = match &x.direction {
                    Some(d) => self.direction(&p.field("direction"), d),
                    None => Some(Direction::Down),
                };
                let timeout = self.opt_duration(p, "timeout", x.timeout.as_ref());
                let mut ok = true;
                if let Some(v) = x.visibility_percentage {
                    if !(1..=100).contains(&v) {
                        self.error(
                            &p.field("visibilityPercentage"),
                            format!("`{v}` is outside 1..100"),
                        );
                        ok = false;
                    }
                }
                if let Some(v) = x.speed {
                    if v > 100 {
                        self.error(&p.field("speed"), format!("`{v}` is outside 0..100"));
                        ok = false;
                    }
                }
                if !ok || (x.timeout.is_some() && timeout.is_none()) {
                    return None;
                }
                (
                    Command::ScrollUntilVisible {
                        element: element?,
                        direction: direction?,
                        timeout,
                        speed: x.speed,
                        visibility_percentage: x.visibility_percentage,
                        center_element: x.center_element.unwrap_or(false),
                    },
                    common!(x),
                )
            }
            RawCommand::AssertVisible(Flex(x)) => (
                Command::AssertVisible(self.selector(p, x, SelectorAt::Command)?),
                common!(x),
            ),
            RawCommand::AssertNotVisible(Flex(x)) => (
                Command::AssertNotVisible(self.selector(p, x, SelectorAt::Command)?),
                common!(x),
            ),
            RawCommand::ExtendedWaitUntil(Flex(x)) => {
                let cond = RawCondition {
                    visible: x.visible.clone(),
                    not_visible: x.not_visible.clone(),
                    platform: None,
                    env: None,
                };
                let condition = self.condition(p, &cond, false);
                let timeout = if let Some(t) = &x.timeout {
                    self.duration(&p.field("timeout"), t, true)
                } else {
                    self.error(&p.field("timeout"), "missing required key `timeout`")
                        .expected = Some("a duration such as \"15s\"".into());
                    None
                };
                (
                    Command::ExtendedWaitUntil {
                        condition: condition?,
                        timeout: timeout?,
                    },
                    common!(x),
                )
            }
            RawCommand::WaitForAnimationToEnd(Flex(x)) => {
                let timeout = self.opt_duration(p, "timeout", x.timeout.as_ref());
                if x.timeout.is_some() && timeout.is_none() {
                    return None;
                }
                (Command::WaitForAnimationToEnd { timeout }, common!(x))
            }
            RawCommand::TakeScreenshot(Flex(x)) => {
                let spot = p.field("path");
                let Some(path) = &x.path else {
                    self.error(&spot, "missing required key `path`");
                    return None;
                };
                if path.is_empty() || path.contains(['/', '\\']) || path.starts_with('.') {
                    self.error(&spot, format!("`{path}` is not a plain file name"))
                        .help = Some("screenshots are saved inside the run directory; give a name such as `consent-dialog`".into());
                    return None;
                }
                (
                    Command::TakeScreenshot {
                        name: self.template(&spot, path)?,
                    },
                    common!(x),
                )
            }
            RawCommand::RunFlow(Flex(x)) => {
                let mut env = BTreeMap::new();
                let mut ok = true;
                for (k, v) in x.env.iter().flatten() {
                    self.declared.insert(k.clone());
                    match self.template(&p.field("env").field(k), &v.0) {
                        Some(t) => {
                            env.insert(k.clone(), t);
                        }
                        None => ok = false,
                    }
                }
                let when = match &x.when {
                    Some(w) => {
                        let c = self.condition(&p.field("when"), w, true);
                        ok &= c.is_some();
                        c
                    }
                    None => None,
                };
                let source = self.flow_source(p, x.file.as_ref(), x.commands.as_ref())?;
                if !ok {
                    return None;
                }
                (Command::RunFlow { source, when, env }, common!(x))
            }
            RawCommand::Repeat(Flex(x)) => {
                let commands = self.nested(p, "commands", x.commands.as_ref());
                let times = match &x.times {
                    Some(t) => {
                        let spot = p.field("times");
                        let tpl = self.template(&spot, &t.0)?;
                        if tpl.vars().is_empty()
                            && t.0.trim().parse::<u32>().map_or(true, |n| n == 0)
                        {
                            self.error(
                                &spot,
                                format!("`{}` is not a positive whole number", t.0),
                            )
                            .expected = Some("a positive whole number or a `${VAR}`".into());
                            return None;
                        }
                        Some(tpl)
                    }
                    None => None,
                };
                let while_ = match &x.while_ {
                    Some(w) => Some(self.condition(&p.field("while"), w, false)?),
                    None => None,
                };
                if x.times.is_none() && x.while_.is_none() {
                    self.error(p, "`repeat` needs `times` or `while`").expected =
                        Some("`times: 3` or `while: {visible: ...}`".into());
                    return None;
                }
                let Some(commands) = commands else {
                    self.error(&p.field("commands"), "missing required key `commands`");
                    return None;
                };
                (
                    Command::Repeat {
                        times,
                        while_,
                        commands,
                    },
                    common!(x),
                )
            }
            RawCommand::Retry(Flex(x)) => {
                let max_retries = x.max_retries.unwrap_or(1);
                if max_retries > 10 {
                    self.error(
                        &p.field("maxRetries"),
                        format!("`{max_retries}` retries is more than the limit of 10"),
                    );
                    return None;
                }
                let source = self.flow_source(p, x.file.as_ref(), x.commands.as_ref())?;
                (
                    Command::Retry {
                        max_retries,
                        source,
                    },
                    common!(x),
                )
            }
            RawCommand::OpenLink(Flex(x)) => {
                let spot = p.field("link");
                let Some(link) = x.link.as_deref().filter(|l| !l.trim().is_empty()) else {
                    self.error(&spot, "missing or empty `link`").expected = Some("a URL".into());
                    return None;
                };
                (
                    Command::OpenLink {
                        link: self.template(&spot, link)?,
                        auto_verify: x.auto_verify.unwrap_or(false),
                        browser: x.browser.unwrap_or(false),
                    },
                    common!(x),
                )
            }
            RawCommand::Mark(Flex(x)) => {
                let spot = p.field("name");
                let Some(name) = &x.name else {
                    self.error(&spot, "missing required key `name`");
                    return None;
                };
                let valid = name
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphanumeric())
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
                    && name.len() <= 64;
                if !valid {
                    self.error(&spot, format!("`{name}` is not a valid mark name"))
                        .expected = Some(
                        "letters, digits, `.`, `_` or `-`, at most 64, such as `consent-refused`"
                            .into(),
                    );
                    return None;
                }
                if let Some(first) = self.marks.get(name) {
                    let first = *first;
                    self.warning(&spot, format!("mark `{name}` is used twice"))
                        .help = Some(format!(
                        "first used on line {first}; distinct names keep the timeline clear"
                    ));
                } else {
                    self.marks.insert(name.clone(), spot.pos().line);
                }
                (Command::Mark { name: name.clone() }, common!(x))
            }
            RawCommand::Idle(Flex(x)) => {
                let spot = p.field("duration");
                let Some(d) = &x.duration else {
                    self.error(&spot, "missing required key `duration`");
                    return None;
                };
                (
                    Command::Idle {
                        duration: self.duration(&spot, d, true)?,
                    },
                    common!(x),
                )
            }
            RawCommand::Expect(Flex(x)) => (Command::Expect(self.expectations(p, x)?), common!(x)),
            RawCommand::DenyPermissions(Flex(x)) | RawCommand::AllowPermissions(Flex(x)) => {
                let allow = matches!(raw, RawCommand::AllowPermissions(_));
                let mut ok = true;
                for (i, name) in x.only.iter().flatten().enumerate() {
                    if let Err(e) = check_permission_name(name) {
                        let help = did_you_mean(name, PERMISSION_GROUPS.iter().map(|(g, _)| *g));
                        let d = self.error(&p.field("only").index(i), e);
                        Self::set(
                            d,
                            Some(
                                "a group such as `camera` or a full name such as `android.permission.CAMERA`",
                            ),
                            help,
                        );
                        ok = false;
                    }
                }
                if allow && x.dont_ask_again.is_some() {
                    self.error(
                        &p.key_node("dontAskAgain"),
                        "`dontAskAgain` applies to `denyPermissions` only",
                    );
                    ok = false;
                }
                if !allow && x.foreground_only.is_some() {
                    self.error(
                        &p.key_node("foregroundOnly"),
                        "`foregroundOnly` applies to `allowPermissions` only",
                    );
                    ok = false;
                }
                if !ok {
                    return None;
                }
                (
                    Command::PermissionPolicy {
                        allow,
                        only: x.only.clone().unwrap_or_default(),
                        dont_ask_again: x.dont_ask_again.unwrap_or(false),
                        foreground_only: x.foreground_only.unwrap_or(false),
                    },
                    common!(x),
                )
            }
            RawCommand::Explore(Flex(x)) => {
                let goal = match (&x.find, &x.target) {
                    (Some(_), Some(_)) => {
                        self.error(
                            &p.key_node("target"),
                            "give either `find` or `target`, not both",
                        )
                        .help = Some(
                            "`find` looks for a text, `target` for an element screen understanding finds; without either, `explore` crawls"
                                .into(),
                        );
                        None
                    }
                    (Some(f), None) => self
                        .pattern(&p.field("find"), f, MatchMode::Search)
                        .map(ExploreGoal::Find),
                    (None, Some(name)) => match ExploreTarget::parse(&name.0) {
                        Ok(target) => Some(ExploreGoal::Target(target)),
                        Err(message) => {
                            let help = did_you_mean(&name.0, ExploreTarget::NAMES.iter().copied());
                            let d = self.error(&p.field("target"), message);
                            Self::set(
                                d,
                                Some("`deletion-entry` or `personalisation-switch`"),
                                help,
                            );
                            None
                        }
                    },
                    (None, None) => Some(ExploreGoal::Crawl),
                };
                let avoid = x
                    .avoid
                    .as_ref()
                    .map(|a| self.pattern(&p.field("avoid"), a, MatchMode::Search));
                let timeout = self.opt_duration(p, "timeout", x.timeout.as_ref());
                let mut ok = true;
                for (key, value, max) in [
                    ("maxDepth", x.max_depth, 20),
                    ("maxTaps", x.max_taps, 10_000),
                ] {
                    if let Some(v) = value {
                        if v == 0 || v > max {
                            self.error(&p.field(key), format!("`{v}` is outside 1..{max}"));
                            ok = false;
                        }
                    }
                }
                if !ok || (x.timeout.is_some() && timeout.is_none()) {
                    return None;
                }
                (
                    Command::Explore {
                        goal: goal?,
                        avoid: match avoid {
                            Some(a) => Some(a?),
                            None => None,
                        },
                        max_depth: x.max_depth.unwrap_or(6),
                        max_taps: x.max_taps.unwrap_or(80),
                        timeout,
                    },
                    common!(x),
                )
            }
            RawCommand::Snapshot(Flex(x)) => {
                let of = x.of.clone().unwrap_or_else(|| {
                    vec![
                        SnapshotKind::Appops,
                        SnapshotKind::Package,
                        SnapshotKind::ExitInfo,
                    ]
                });
                if of.is_empty() {
                    self.error(p, "the snapshot list is empty").expected = Some(
                        "some of appops, package, exit-info, activity, screenshot, ui-tree".into(),
                    );
                    return None;
                }
                (Command::Snapshot(of), common!(x))
            }
        };
        Some((command, label, optional))
    }

    fn tap(&mut self, p: &Spot<'_>, x: &RawTap, gesture: Gesture) -> Option<Command> {
        let target = self.selector(p, &x.selector(), SelectorAt::Command);
        let delay = self.opt_duration(p, "delay", x.delay.as_ref());
        let settle = self.opt_duration(
            p,
            "waitToSettleTimeoutMs",
            x.wait_to_settle_timeout_ms.as_ref(),
        );
        if x.repeat == Some(0) {
            self.error(&p.field("repeat"), "`repeat` must be at least 1");
            return None;
        }
        if (x.delay.is_some() && delay.is_none())
            || (x.wait_to_settle_timeout_ms.is_some() && settle.is_none())
        {
            return None;
        }
        Some(Command::Tap {
            gesture,
            target: target?,
            repeat: x.repeat.unwrap_or(1),
            delay,
            retry_if_no_change: x.retry_tap_if_no_change.unwrap_or(false),
            settle_timeout: settle,
        })
    }

    fn flow_source(
        &mut self,
        p: &Spot<'_>,
        file: Option<&String>,
        commands: Option<&RawCommands>,
    ) -> Option<FlowSource> {
        match (file, commands) {
            (Some(f), None) => {
                let spot = p.field("file");
                let path = self.referenced_file(&spot, f, "flow file")?;
                Some(FlowSource::File {
                    written: f.clone(),
                    path,
                })
            }
            (None, Some(_)) => Some(FlowSource::Inline(self.commands(&p.field("commands")))),
            (Some(_), Some(_)) => {
                self.error(
                    &p.key_node("commands"),
                    "give either `file` or `commands`, not both",
                );
                None
            }
            (None, None) => {
                self.error(p, "missing `file` or `commands`").expected =
                    Some("`file: login.yaml` or `commands: [...]`".into());
                None
            }
        }
    }

    fn expectations(
        &mut self,
        p: &Spot<'_>,
        x: &super::raw::RawExpect,
    ) -> Option<Vec<Expectation>> {
        let mut out = Vec::new();
        let mut ok = true;
        if let Some(v) = x.app_running {
            out.push(Expectation::AppRunning(v));
        }
        if let Some(v) = x.app_in_foreground {
            out.push(Expectation::AppInForeground(v));
        }
        for (key, value, positive) in [
            ("noLogcat", &x.no_logcat, false),
            ("logcat", &x.logcat, true),
        ] {
            if let Some(v) = value {
                match self.pattern(&p.field(key), v, MatchMode::Search) {
                    Some(pat) if positive => out.push(Expectation::Logcat(pat)),
                    Some(pat) => out.push(Expectation::NoLogcat(pat)),
                    None => ok = false,
                }
            }
        }
        if let Some(s) = &x.visible {
            match self.selector(&p.field("visible"), &s.0, SelectorAt::Inner) {
                Some(s) => out.push(Expectation::Visible(s)),
                None => ok = false,
            }
        }
        if let Some(s) = &x.not_visible {
            match self.selector(&p.field("notVisible"), &s.0, SelectorAt::Inner) {
                Some(s) => out.push(Expectation::NotVisible(s)),
                None => ok = false,
            }
        }
        for (key, value, matching) in [
            ("screenshotMatching", &x.screenshot_matching, true),
            ("screenshotNotMatching", &x.screenshot_not_matching, false),
        ] {
            if let Some(written) = value {
                match self.referenced_file(&p.field(key), written, "template image") {
                    Some(path) if matching => out.push(Expectation::ScreenshotMatching {
                        written: written.clone(),
                        path,
                    }),
                    Some(path) => out.push(Expectation::ScreenshotNotMatching {
                        written: written.clone(),
                        path,
                    }),
                    None => ok = false,
                }
            }
        }
        if ok && out.is_empty() {
            self.error(p, "`expect` lists no expectation").expected = Some(
                "some of appRunning, appInForeground, noLogcat, logcat, visible, notVisible, screenshotMatching, screenshotNotMatching".into(),
            );
            return None;
        }
        ok.then_some(out)
    }

    // -- header --------------------------------------------------------------

    pub(crate) fn header(&mut self, spot: &Spot<'_>, stem: &str) -> Option<Header> {
        if spot.node.as_map().is_none() {
            let found = spot.node.describe();
            self.error(spot, format!("expected the header map (with `appId`), found {found}"))
                .help = Some("a scenario starts with a header such as `appId: com.example`, then `---`, then the commands".into());
            return None;
        }
        // Each key is deserialised on its own, so that every bad key in the
        // header is reported, not only the first.
        let mut raw = RawHeader::default();
        let mut keys_ok = true;
        for (k, v) in spot.node.as_map().unwrap_or_default() {
            let mut single = serde_yaml::Mapping::new();
            single.insert(k.to_value(), v.to_value());
            match serde_path_to_error::deserialize::<_, RawHeader>(serde_yaml::Value::Mapping(
                single,
            )) {
                Ok(part) => raw.merge(part),
                Err(e) => {
                    self.serde_error(spot, &e);
                    keys_ok = false;
                }
            }
        }
        // Variables first, so later fields can use them.
        let mut env = BTreeMap::new();
        for (k, v) in raw.env.iter().flatten() {
            if !is_var_name(k) {
                self.error(
                    &spot.field("env").key_node(k),
                    format!("`{k}` is not a variable name"),
                )
                .expected = Some("letters, digits and `_`, not starting with a digit".into());
            }
            env.insert(k.clone(), v.0.clone());
            self.known.entry(k.clone()).or_insert_with(|| v.0.clone());
        }
        // runFlow env keys anywhere in the file count as declared.
        collect_declared(spot.node, &mut self.declared);
        let app_id = match raw.app_id.as_deref() {
            None if spot.node.entry("appId").is_some() => None,
            None => {
                self.error(&spot.field("appId"), "missing required key `appId`")
                    .expected = Some(
                    "the app's package, e.g. `appId: com.example.app` or `appId: ${APP_ID}`".into(),
                );
                None
            }
            Some(id) => {
                let s = spot.field("appId");
                let t = self.template(&s, id);
                if let Some(t) = &t {
                    if t.vars().is_empty() && !is_package_name(id) {
                        self.error(&s, format!("`{id}` is not an Android package name"))
                            .expected =
                            Some("dot-separated names such as `com.example.app`".into());
                    }
                }
                t
            }
        };
        let mut checks = Vec::new();
        for (i, id) in raw.checks.iter().flatten().enumerate() {
            let s = spot.field("checks").index(i);
            match Category::from_id(id) {
                Some(c) if checks.contains(&c) => {
                    self.warning(&s, format!("check `{id}` is listed twice"));
                }
                Some(c) => checks.push(c),
                None => {
                    let help = did_you_mean(id, Category::ids());
                    let d = self.error(&s, format!("unknown check `{id}`"));
                    Self::set(d, Some("a category id from docs/categories.md"), help);
                }
            }
        }
        for (i, t) in raw.tags.iter().flatten().enumerate() {
            if t.trim().is_empty() {
                self.error(&spot.field("tags").index(i), "empty tag");
            }
        }
        let on_flow_start = self
            .nested(spot, "onFlowStart", raw.on_flow_start.as_ref())
            .unwrap_or_default();
        let on_flow_complete = self
            .nested(spot, "onFlowComplete", raw.on_flow_complete.as_ref())
            .unwrap_or_default();
        let mut on_dialog = OnDialog::default();
        if let Some(d) = &raw.on_dialog {
            on_dialog.permission = d.permission;
            on_dialog.crash = d.crash;
            for (i, h) in d.custom.iter().flatten().enumerate() {
                let hs = spot.field("onDialog").field("custom").index(i);
                let visible = self.selector(&hs.field("visible"), &h.visible.0, SelectorAt::Inner);
                let commands = self.commands(&hs.field("commands"));
                if let Some(visible) = visible {
                    on_dialog.custom.push(DialogHandler { visible, commands });
                }
            }
        }
        let setup = raw.setup.as_ref().map_or_else(Setup::default, |s| Setup {
            install: s.install.unwrap_or(super::raw::InstallMode::Keep),
            permissions: s
                .permissions
                .unwrap_or(super::raw::PermissionSetup::Default),
        });
        if !keys_ok {
            return None;
        }
        Some(Header {
            app_id: app_id?,
            name: raw.name.clone().unwrap_or_else(|| stem.to_string()),
            tags: raw.tags.clone().unwrap_or_default(),
            env,
            on_flow_start,
            on_flow_complete,
            checks,
            setup,
            on_dialog,
        })
    }

    /// Declares `runFlow` env keys found in the steps document too.
    pub(crate) fn declare_from(&mut self, node: &Node) {
        collect_declared(node, &mut self.declared);
    }
}

/// Collects keys of every `env:` map under a `runFlow` in the tree.
fn collect_declared(node: &Node, out: &mut BTreeSet<String>) {
    if let Some(entries) = node.as_map() {
        for (k, v) in entries {
            if k.as_str() == Some("runFlow") {
                if let Some((_, env)) = v.entry("env") {
                    for (ek, _) in env.as_map().unwrap_or_default() {
                        if let Some(name) = ek.as_str() {
                            out.insert(name.to_string());
                        }
                    }
                }
            }
            collect_declared(v, out);
        }
    } else if let Some(items) = node.as_seq() {
        for item in items {
            collect_declared(item, out);
        }
    }
}

/// Rewrites serde's messages as (message, expected, help).
fn humanize(text: &str) -> (String, Option<String>, Option<String>) {
    let backticked = |s: &str| -> Vec<String> {
        s.split('`')
            .enumerate()
            .filter(|(i, _)| i % 2 == 1)
            .map(|(_, w)| w.to_string())
            .collect()
    };
    if let Some(rest) = text.strip_prefix("unknown field ") {
        let words = backticked(rest);
        let field = words.first().cloned().unwrap_or_default();
        let choices = &words[1.min(words.len())..];
        let help = did_you_mean(&field, choices.iter().map(String::as_str));
        let expected = if choices.is_empty() {
            "no keys here".to_string()
        } else {
            format!(
                "one of {}",
                choices
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        return (format!("unknown key `{field}`"), Some(expected), help);
    }
    if let Some(rest) = text.strip_prefix("unknown variant ") {
        let words = backticked(rest);
        let value = words.first().cloned().unwrap_or_default();
        let choices = &words[1.min(words.len())..];
        let help = did_you_mean(&value, choices.iter().map(String::as_str));
        let expected = format!(
            "one of {}",
            choices
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        return (format!("unknown value `{value}`"), Some(expected), help);
    }
    if let Some(rest) = text.strip_prefix("missing field ") {
        let words = backticked(rest);
        return (
            format!(
                "missing required key `{}`",
                words.first().cloned().unwrap_or_default()
            ),
            None,
            None,
        );
    }
    for prefix in ["invalid type: ", "invalid value: ", "invalid length "] {
        if let Some(rest) = text.strip_prefix(prefix) {
            if let Some((found, expected)) = rest.split_once(", expected ") {
                let found = found.replace("unit value", "nothing (null)");
                let what = if prefix.starts_with("invalid type") {
                    "wrong type"
                } else {
                    "invalid value"
                };
                return (
                    format!("{what}: found {found}"),
                    Some(humanize_expected(expected)),
                    None,
                );
            }
        }
    }
    (text.to_string(), None, None)
}

fn humanize_expected(e: &str) -> String {
    match e {
        "u32" | "u64" | "u16" | "u8" => "a whole number, 0 or more".into(),
        "i64" | "i32" => "a whole number".into(),
        "f64" | "f32" => "a number".into(),
        "a boolean" => "true or false".into(),
        "a sequence" => "a list".into(),
        other if other.starts_with("struct ") => "a map".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn humanizes_serde_messages() {
        let (m, e, h) = humanize("unknown field `txet`, expected one of `text`, `id`");
        assert_eq!(m, "unknown key `txet`");
        assert_eq!(e.as_deref(), Some("one of `text`, `id`"));
        assert_eq!(h.as_deref(), Some("did you mean `text`?"));
        let (m, e, _) = humanize("invalid type: string \"x\", expected u32");
        assert_eq!(m, "wrong type: found string \"x\"");
        assert_eq!(e.as_deref(), Some("a whole number, 0 or more"));
    }

    /// A folder with `icons/ok.png` (only its existence is checked) and a
    /// scenario file path in it.
    fn with_icon() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("icons")).expect("mkdir");
        std::fs::write(dir.path().join("icons/ok.png"), b"").expect("write");
        let file = dir.path().join("case.yaml");
        (dir, file)
    }

    fn load(file: &Path, body: &str) -> Result<super::super::Scenario, Vec<Diagnostic>> {
        let src = format!("appId: com.example.app\n---\n{body}");
        super::super::load_str(file, &src, &BTreeMap::new())
    }

    fn image_of(sel: &Selector) -> &ImageRef {
        sel.image.as_ref().expect("an image selector")
    }

    #[test]
    fn image_selectors_load_wherever_a_selector_is_a_target() {
        let (dir, file) = with_icon();
        let icon = dir.path().join("icons/ok.png");
        let sc = load(
            &file,
            "- tapOn: {image: icons/ok.png}\n\
             - longPressOn: {image: icons/ok.png, threshold: 0.75, index: 2, optional: true, label: hold}\n\
             - doubleTapOn: {image: icons/ok.png, repeat: 2}\n\
             - assertVisible: {image: icons/ok.png, threshold: 1}\n\
             - assertNotVisible: {image: icons/ok.png, threshold: 0}\n\
             - extendedWaitUntil: {visible: {image: icons/ok.png}, notVisible: {image: icons/ok.png}, timeout: 5s}\n\
             - scrollUntilVisible: {element: {image: icons/ok.png}}\n\
             - runFlow: {when: {visible: {image: icons/ok.png}}, commands: [back]}\n\
             - repeat: {while: {notVisible: {image: icons/ok.png}}, commands: [back]}\n\
             - expect: {visible: {image: icons/ok.png}}\n\
             - swipe: {from: {image: icons/ok.png}, direction: UP}\n",
        )
        .expect("valid");
        let expected = |threshold| ImageRef {
            written: "icons/ok.png".into(),
            path: icon.clone(),
            threshold,
        };
        let Command::Tap { target, .. } = &sc.steps[0].command else {
            panic!("tap: {:?}", sc.steps[0]);
        };
        assert_eq!(image_of(target), &expected(0.9));
        assert_eq!(
            (target.text.is_none(), target.id.is_none(), target.index),
            (true, true, None)
        );
        let Command::Tap {
            gesture, target, ..
        } = &sc.steps[1].command
        else {
            panic!("long press: {:?}", sc.steps[1]);
        };
        assert_eq!(*gesture, Gesture::LongPress);
        assert_eq!(image_of(target), &expected(0.75));
        assert_eq!(target.index, Some(2));
        assert!(sc.steps[1].optional);
        assert_eq!(sc.steps[1].label.as_deref(), Some("hold"));
        let Command::AssertVisible(sel) = &sc.steps[3].command else {
            panic!("assert: {:?}", sc.steps[3]);
        };
        assert_eq!(image_of(sel), &expected(1.0));
        let Command::AssertNotVisible(sel) = &sc.steps[4].command else {
            panic!("assert not: {:?}", sc.steps[4]);
        };
        assert_eq!(image_of(sel), &expected(0.0));
        let Command::ExtendedWaitUntil { condition, .. } = &sc.steps[5].command else {
            panic!("wait: {:?}", sc.steps[5]);
        };
        assert_eq!(
            condition.visible.as_ref().map(image_of),
            Some(&expected(0.9))
        );
        assert_eq!(
            condition.not_visible.as_ref().map(image_of),
            Some(&expected(0.9))
        );
        assert_eq!(sc.steps.len(), 11);
    }

    #[test]
    fn image_selectors_load_in_dialog_handlers() {
        let (_dir, file) = with_icon();
        let src = "appId: com.example.app\nonDialog:\n  custom:\n    - visible: {image: icons/ok.png, threshold: 0.8}\n      commands: [back]\n---\n- back\n";
        let sc = super::super::load_str(&file, src, &BTreeMap::new()).expect("valid");
        let visible = &sc.header.on_dialog.custom[0].visible;
        assert_eq!(image_of(visible).written, "icons/ok.png");
        assert!((image_of(visible).threshold - 0.8).abs() < 1e-6);
    }

    /// (line, column, key, message) of each error.
    fn errors(file: &Path, body: &str) -> Vec<(usize, usize, String, String)> {
        let diags = load(file, body).expect_err("invalid");
        diags
            .into_iter()
            .filter(|d| d.severity == super::super::Severity::Error)
            .map(|d| (d.line, d.column, d.key, d.message))
            .collect()
    }

    #[test]
    fn image_selector_rules() {
        let (_dir, file) = with_icon();
        let one = |body: &str| {
            let e = errors(&file, body);
            assert_eq!(e.len(), 1, "{body}: {e:#?}");
            e.into_iter().next().expect("one error")
        };
        let e = |line, column, key: &str, message: &str| {
            (line, column, key.to_string(), message.to_string())
        };
        assert_eq!(
            one("- tapOn: {image: icons/ok.png, text: OK, id: ok}\n"),
            e(
                3,
                32,
                "steps[0].tapOn.text",
                "`image` cannot be combined with `text`, `id`"
            )
        );
        assert_eq!(
            one("- tapOn: {image: icons/ok.png, point: \"50%,50%\"}\n"),
            e(
                3,
                32,
                "steps[0].tapOn.point",
                "`image` cannot be combined with `point`"
            )
        );
        assert_eq!(
            one("- assertVisible: {image: icons/ok.png, below: {text: Title}}\n"),
            e(
                3,
                40,
                "steps[0].assertVisible.below",
                "`image` cannot be combined with `below`"
            )
        );
        assert_eq!(
            one("- tapOn: {image: icons/ok.png, checked: true}\n"),
            e(
                3,
                32,
                "steps[0].tapOn.checked",
                "`image` cannot be combined with `checked`"
            )
        );
        assert_eq!(
            one("- tapOn: {text: OK, childOf: {image: icons/ok.png}}\n"),
            e(
                3,
                31,
                "steps[0].tapOn.childOf.image",
                "`image` cannot be used in a relative selector"
            )
        );
        assert_eq!(
            one("- tapOn: {text: OK, threshold: 0.5}\n"),
            e(
                3,
                21,
                "steps[0].tapOn.threshold",
                "`threshold` applies only to an `image` selector"
            )
        );
        assert_eq!(
            one("- tapOn: {image: icons/ok.png, threshold: 1.5}\n"),
            e(
                3,
                43,
                "steps[0].tapOn.threshold",
                "threshold `1.5` is outside 0..=1"
            )
        );
        assert_eq!(
            one("- tapOn: {image: icons/ok.png, threshold: -0.1}\n"),
            e(
                3,
                43,
                "steps[0].tapOn.threshold",
                "threshold `-0.1` is outside 0..=1"
            )
        );
        assert_eq!(
            one("- tapOn: {image: icons/gone.png}\n"),
            e(
                3,
                18,
                "steps[0].tapOn.image",
                "template image `icons/gone.png` not found"
            )
        );
        assert_eq!(
            one("- scrollUntilVisible: {element: {image: icons/gone.png}}\n"),
            e(
                3,
                41,
                "steps[0].scrollUntilVisible.element.image",
                "template image `icons/gone.png` not found"
            )
        );
        assert_eq!(
            one("- tapOn: {image: \"  \"}\n"),
            e(3, 18, "steps[0].tapOn.image", "empty template image path")
        );
        // `index`, `optional` and `label` go with an image; alone, `index`
        // and `threshold` name nothing.
        assert!(
            load(
                &file,
                "- tapOn: {image: icons/ok.png, index: 1, optional: true, label: x}\n"
            )
            .is_ok()
        );
        assert_eq!(
            one("- tapOn: {index: 1, threshold: 0.5}\n"),
            e(
                3,
                21,
                "steps[0].tapOn.threshold",
                "`threshold` applies only to an `image` selector"
            )
        );
        // Every problem of one selector is reported.
        assert_eq!(
            errors(
                &file,
                "- tapOn: {image: icons/gone.png, text: OK, threshold: 2}\n"
            )
            .len(),
            3
        );
    }

    #[test]
    fn image_selectors_survive_the_round_trip() {
        let (_dir, file) = with_icon();
        let sc = load(
            &file,
            "- tapOn: {image: icons/ok.png}\n\
             - assertVisible: {image: icons/ok.png, threshold: 0.85, index: 3}\n\
             - extendedWaitUntil: {visible: {image: icons/ok.png, threshold: 0.123456789}, timeout: 1s}\n",
        )
        .expect("valid");
        let yaml = super::super::to_yaml(&sc).expect("renders");
        assert!(yaml.contains("threshold: 0.85\n"), "{yaml}");
        assert_eq!(
            yaml.matches("threshold").count(),
            2,
            "default left out:\n{yaml}"
        );
        let again = super::super::load_str(&file, &yaml, &BTreeMap::new()).expect("loads");
        let strip = |s: &super::super::Scenario| {
            s.steps
                .iter()
                .map(|s| s.command.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(strip(&sc), strip(&again), "{yaml}");
    }

    /// (key, message, help) of each error of `body`.
    fn error_texts(file: &Path, body: &str) -> Vec<(String, String, Option<String>)> {
        load(file, body)
            .expect_err("invalid")
            .into_iter()
            .filter(|d| d.severity == super::super::Severity::Error)
            .map(|d| (d.key, d.message, d.help))
            .collect()
    }

    #[test]
    fn role_selectors_load_wherever_a_selector_does() {
        let file = Path::new("case.yaml");
        let sc = load(
            file,
            "- tapOn: {role: refuse}\n\
             - doubleTapOn: {role: agree, text: \"同意.*\"}\n\
             - longPressOn: {role: deletion-entry, index: 1}\n\
             - assertVisible: {role: consent-box, checked: true}\n\
             - assertNotVisible: {role: personalisation-switch, enabled: false}\n\
             - extendedWaitUntil: {visible: {role: allow-foreground}, notVisible: {role: app-info}, timeout: 5s}\n\
             - runFlow: {when: {visible: {role: consent-box, checked: true}}, commands: [{tapOn: {role: consent-box}}]}\n\
             - repeat: {while: {visible: {role: skip}}, commands: [{tapOn: {role: skip}}]}\n\
             - expect: {visible: {role: deny-forever}, notVisible: {role: exit}}\n\
             - tapOn: {text: OK, below: {role: settings}}\n\
             - tapOn: {role: close, childOf: {role: wait}}\n",
        )
        .expect("valid");
        let Command::Tap { target, .. } = &sc.steps[0].command else {
            panic!("tap: {:?}", sc.steps[0]);
        };
        assert_eq!(target.role, Some(ElementRole::Refuse));
        assert!(target.text.is_none(), "a role names the element itself");
        let Command::AssertVisible(sel) = &sc.steps[3].command else {
            panic!("assert: {:?}", sc.steps[3]);
        };
        assert_eq!(
            (sel.role, sel.checked),
            (Some(ElementRole::ConsentBox), Some(true))
        );
        let Command::RunFlow { when: Some(c), .. } = &sc.steps[6].command else {
            panic!("runFlow: {:?}", sc.steps[6]);
        };
        assert_eq!(
            c.visible.as_ref().and_then(|s| s.role),
            Some(ElementRole::ConsentBox)
        );
        let Command::Tap { target, .. } = &sc.steps[9].command else {
            panic!("tap: {:?}", sc.steps[9]);
        };
        assert_eq!(target.relations[0].1.role, Some(ElementRole::Settings));
        // Every name loads; a scalar is still a text regex.
        for name in ElementRole::NAMES {
            let sc = load(
                file,
                &format!("- tapOn: {{role: {name}}}\n- tapOn: {name}\n"),
            )
            .expect(name);
            let Command::Tap { target, .. } = &sc.steps[0].command else {
                panic!("tap");
            };
            assert_eq!(target.role.map(ElementRole::as_str), Some(*name));
            let Command::Tap { target, .. } = &sc.steps[1].command else {
                panic!("tap");
            };
            assert_eq!(
                (
                    target.role,
                    target.text.as_ref().map(|t| t.source().as_str())
                ),
                (None, Some(*name))
            );
        }
        let handler = "appId: com.example.app\nonDialog:\n  custom:\n    - visible: {role: refuse}\n      commands: [{tapOn: {role: refuse}}]\n---\n- back\n";
        let sc = super::super::load_str(file, handler, &BTreeMap::new()).expect("valid");
        assert_eq!(
            sc.header.on_dialog.custom[0].visible.role,
            Some(ElementRole::Refuse)
        );
    }

    #[test]
    fn role_rules() {
        let (_dir, file) = with_icon();
        let e = |body: &str| error_texts(&file, body);
        let one = |key: &str, message: &str, help: Option<&str>| {
            vec![(
                key.to_string(),
                message.to_string(),
                help.map(str::to_string),
            )]
        };
        assert_eq!(
            e("- tapOn: {role: refuze}\n"),
            one(
                "steps[0].tapOn.role",
                "unknown role `refuze`",
                Some("did you mean `refuse`?")
            )
        );
        assert_eq!(
            e("- assertVisible: {role: consent-boxes}\n"),
            one(
                "steps[0].assertVisible.role",
                "unknown role `consent-boxes`",
                Some("did you mean `consent-box`?")
            )
        );
        assert_eq!(
            e("- tapOn: {role: Agree}\n"),
            one(
                "steps[0].tapOn.role",
                "unknown role `Agree`",
                Some("did you mean `agree`?")
            )
        );
        assert_eq!(
            e("- tapOn: {role: frobnicate}\n"),
            one("steps[0].tapOn.role", "unknown role `frobnicate`", None)
        );
        let diags = load(&file, "- tapOn: {role: refuze}\n").expect_err("invalid");
        assert!(
            diags[0]
                .expected
                .as_deref()
                .is_some_and(|x| x.contains("`deletion-entry`")),
            "{diags:?}"
        );
        let (key, message, _) = &e("- tapOn: {image: icons/ok.png, role: agree}\n")[0];
        assert_eq!(
            (key.as_str(), message.as_str()),
            (
                "steps[0].tapOn.role",
                "`image` cannot be combined with `role`"
            )
        );
        let (key, message, _) = &e("- tapOn: {role: agree, point: \"50%,50%\"}\n")[0];
        assert_eq!(
            (key.as_str(), message.as_str()),
            (
                "steps[0].tapOn.role",
                "`point` cannot be combined with `role`"
            )
        );
        assert_eq!(
            e("- extendedWaitUntil: {visible: {role: skipp}, timeout: 1s}\n"),
            one(
                "steps[0].extendedWaitUntil.visible.role",
                "unknown role `skipp`",
                Some("did you mean `skip`?")
            )
        );
    }

    #[test]
    fn env_conditions_belong_to_run_flow_when() {
        let file = Path::new("case.yaml");
        let sc = load(
            file,
            "- runFlow: {when: {env: USERNAME}, commands: [back]}\n\
             - runFlow: {when: {env: _TOKEN2, visible: Login}, commands: [back]}\n",
        )
        .expect("valid");
        let Command::RunFlow { when: Some(c), .. } = &sc.steps[0].command else {
            panic!("runFlow: {:?}", sc.steps[0]);
        };
        assert_eq!(c.env.as_deref(), Some("USERNAME"));
        let e = |body: &str| error_texts(file, body);
        assert_eq!(
            e("- repeat: {while: {env: USERNAME}, commands: [back]}\n"),
            vec![(
                "steps[0].repeat.while.env".to_string(),
                "`env` is only valid in `runFlow.when`".to_string(),
                Some("run the commands in a `runFlow` with `when: {env: NAME}` instead".into())
            )]
        );
        let errs = e("- extendedWaitUntil: {env: USERNAME, timeout: 1s}\n");
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(
            (errs[0].0.as_str(), errs[0].1.as_str()),
            ("steps[0].extendedWaitUntil.env", "unknown key `env`")
        );
        for bad in ["\"${USERNAME}\"", "1ST", "user-name", "\"\""] {
            let errs = e(&format!(
                "- runFlow: {{when: {{env: {bad}}}, commands: [back]}}\n"
            ));
            assert_eq!(errs.len(), 1, "{bad}: {errs:?}");
            assert_eq!(errs[0].0, "steps[0].runFlow.when.env", "{bad}");
            assert!(errs[0].1.ends_with("is not a variable name"), "{errs:?}");
        }
        let errs = e("- runFlow: {when: {}, commands: [back]}\n");
        assert_eq!(errs[0].1, "the condition is empty");
    }

    #[test]
    fn explore_goals() {
        let file = Path::new("case.yaml");
        let goal = |body: &str| match &load(file, body).expect("valid").steps[0].command {
            Command::Explore { goal, .. } => goal.clone(),
            other => panic!("{other:?}"),
        };
        assert!(matches!(
            goal("- explore: {find: Delete account}\n"),
            ExploreGoal::Find(_)
        ));
        assert_eq!(
            goal("- explore: {target: deletion-entry, avoid: Log out}\n"),
            ExploreGoal::Target(ExploreTarget::DeletionEntry)
        );
        assert_eq!(
            goal("- explore: {target: personalisation-switch}\n"),
            ExploreGoal::Target(ExploreTarget::PersonalisationSwitch)
        );
        assert_eq!(
            goal("- explore: {maxDepth: 2, maxTaps: 20}\n"),
            ExploreGoal::Crawl
        );
        assert_eq!(goal("- explore: {}\n"), ExploreGoal::Crawl);
        let e = |body: &str| error_texts(file, body);
        assert_eq!(
            e("- explore: {find: Delete, target: deletion-entry}\n"),
            vec![(
                "steps[0].explore.target".to_string(),
                "give either `find` or `target`, not both".to_string(),
                Some("`find` looks for a text, `target` for an element screen understanding finds; without either, `explore` crawls".into())
            )]
        );
        assert_eq!(
            e("- explore: {target: deletion_entry}\n"),
            vec![(
                "steps[0].explore.target".to_string(),
                "unknown exploration target `deletion_entry`".to_string(),
                Some("did you mean `deletion-entry`?".into())
            )]
        );
        assert_eq!(
            e("- explore: {target: personalization-switch}\n")[0]
                .2
                .as_deref(),
            Some("did you mean `personalisation-switch`?")
        );
        // The other keys are still checked with a target or a crawl.
        assert_eq!(
            e("- explore: {maxDepth: 0}\n")[0].0,
            "steps[0].explore.maxDepth"
        );
    }

    #[test]
    fn roles_env_conditions_and_goals_survive_the_round_trip() {
        // Nested steps are written elsewhere: steps compare without positions.
        fn strip(v: &mut serde_json::Value) {
            match v {
                serde_json::Value::Object(m) => {
                    m.remove("at");
                    m.values_mut().for_each(strip);
                }
                serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
                _ => {}
            }
        }
        let file = Path::new("case.yaml");
        let sc = load(
            file,
            "- tapOn: {role: refuse}\n\
             - assertVisible: {role: consent-box, checked: false, text: \".*Policy.*\"}\n\
             - runFlow: {when: {env: USERNAME, visible: {role: agree}}, commands: [{tapOn: {role: agree}}]}\n\
             - explore: {target: personalisation-switch, maxDepth: 4}\n\
             - explore: {maxDepth: 2, maxTaps: 20}\n\
             - explore: {find: Delete account}\n",
        )
        .expect("valid");
        let yaml = super::super::to_yaml(&sc).expect("renders");
        assert!(yaml.contains("role: refuse"), "{yaml}");
        assert!(yaml.contains("target: personalisation-switch"), "{yaml}");
        assert!(yaml.contains("env: USERNAME"), "{yaml}");
        let again = super::super::load_str(file, &yaml, &BTreeMap::new()).expect("loads");
        let json = |s: &super::super::Scenario| {
            let mut v = serde_json::to_value(&s.steps).expect("serialises");
            strip(&mut v);
            v
        };
        assert_eq!(json(&sc), json(&again), "{yaml}");
    }

    #[test]
    fn package_names() {
        assert!(is_package_name("com.example.app"));
        assert!(is_package_name("tv.danmaku.bili"));
        assert!(!is_package_name("example"));
        assert!(!is_package_name("com..x"));
        assert!(!is_package_name("com.1x"));
    }
}
