//! `collect-beyond-scope`: collection from the background, collection that
//! keeps going while the app sits idle, and collection the app's type does
//! not need and its privacy text did not name.

use crate::android::appops::AccessKind;
use crate::android::perms::op_group;
use crate::category::Category;
use crate::screen::{Wording, normalise};

use super::consent::{NOT_RECORDED, Phase, phase};
use super::timeline::Access;
use super::{Analysed, Context, Outcome, Reach, facts};

/// Whether a privacy text names the personal information of `group`.
pub(super) fn disclosed(wording: &Wording, text: &str, group: &str) -> bool {
    let text = normalise(text);
    wording
        .disclosure
        .iter()
        .any(|(g, words)| g == group && words.in_text(&text))
}

/// Whether the run had a background phase the rule can read.
fn background_phase(a: &Analysed) -> bool {
    a.timeline.mark(&["background"]).is_some() && a.timeline.mark(&["background-end"]).is_some()
}

fn sensitive(x: &Access) -> bool {
    !x.from_setup && x.kind == AccessKind::Access && op_group(&x.op).is_some()
}

pub(super) fn collect_beyond_scope(runs: &[&Analysed], pass: &str, ctx: &Context) -> Outcome {
    let mut o = Outcome::new(Category::CollectBeyondScope, pass);
    o.not_covered.push(NOT_RECORDED.into());
    for a in runs {
        let tl = &a.timeline;
        let bg: Vec<&Access> = tl
            .accesses
            .iter()
            .filter(|x| sensitive(x) && x.background)
            .collect();
        if !bg.is_empty() {
            let mut ops: Vec<String> = Vec::new();
            for x in &bg {
                let s = format!("{} [{}]", x.op, x.uid_state.as_deref().unwrap_or("bg"));
                if !ops.contains(&s) {
                    ops.push(s);
                }
            }
            o.findings.push(ctx.finding(
                "cbs.background",
                pass,
                format!("accessed from the background: {}", ops.join(", ")),
                bg.iter().take(8).map(|x| a.at(&x.seen_in)).collect(),
            ));
        }
        if !tl.clipboard_denials.is_empty() {
            o.findings.push(
                ctx.finding(
                    "cbs.clipboard-background",
                    pass,
                    format!(
                        "{} background clipboard read(s) denied by the system",
                        tl.clipboard_denials.len()
                    ),
                    tl.clipboard_denials
                        .iter()
                        .take(8)
                        .map(|l| a.at(&l.source))
                        .collect(),
                ),
            );
        }
        // Foreground idles: `idle` steps with no tap inside, not after the
        // tester left the app.
        let steps = &a.loaded.run.steps;
        let mut moving: Vec<&Access> = Vec::new();
        for s in steps.iter().filter(|s| s.command == "idle") {
            let (Some(start), Some(end)) = (a.timeline.dev(s.start_ms), a.timeline.dev(s.end_ms))
            else {
                continue;
            };
            let launched = tl
                .launches
                .iter()
                .filter(|l| l.dev <= start)
                .map(|l| l.dev)
                .max();
            let left = tl
                .leaves
                .iter()
                .any(|l| l.dev <= start && launched.is_none_or(|d| l.dev > d));
            if left || tl.taps.iter().any(|t| t.dev >= start && t.dev <= end) {
                continue;
            }
            for x in tl.accesses.iter().filter(|x| sensitive(x) && !x.background) {
                let inside = x.dev > start && x.dev <= end;
                let again = tl
                    .accesses
                    .iter()
                    .any(|y| y.op == x.op && sensitive(y) && y.dev < x.dev);
                if inside && again && !moving.iter().any(|m| m.op == x.op) {
                    moving.push(x);
                }
            }
        }
        if !moving.is_empty() {
            let ops: Vec<&str> = moving.iter().map(|x| x.op.as_str()).collect();
            o.findings.push(ctx.finding(
                "cbs.idle-frequency",
                pass,
                format!(
                    "access times kept moving while the app sat idle in the foreground: {}",
                    ops.join(", ")
                ),
                moving.iter().map(|x| a.at(&x.seen_in)).collect(),
            ));
        }
        // Collection after consent that neither the type needs nor the
        // privacy text named.
        let c = facts::consent(a, &ctx.wording);
        let mut beyond: Vec<(&Access, &str)> = Vec::new();
        let mut unknown: Vec<&str> = Vec::new();
        for x in tl.accesses.iter().filter(|x| sensitive(x) && !x.background) {
            if c.shown && phase(&c, x.dev) != Phase::AfterConsent {
                continue; // before consent: the other rule's
            }
            let Some(group) = op_group(&x.op) else {
                continue;
            };
            if disclosed(&ctx.wording, &c.text, group) {
                continue;
            }
            match &ctx.app_type {
                Some(t) if t.necessary(group) => {}
                Some(_) => {
                    if !beyond.iter().any(|(_, g)| *g == group) {
                        beyond.push((x, group));
                    }
                }
                None => {
                    if !unknown.contains(&group) {
                        unknown.push(group);
                    }
                }
            }
        }
        if let (false, Some(t)) = (beyond.is_empty(), &ctx.app_type) {
            let groups: Vec<&str> = beyond.iter().map(|(_, g)| *g).collect();
            o.findings.push(ctx.finding(
                "cbs.type-scope",
                pass,
                format!(
                    "accessed {} — not needed by a {} app's basic function ({}), and not named in the privacy text",
                    groups.join(", "),
                    t.name_en,
                    t.id
                ),
                beyond.iter().map(|(x, _)| a.at(&x.seen_in)).collect(),
            ));
        }
        if !unknown.is_empty() {
            o.undecided.push(format!(
                "whether {} is needed depends on the app type, which is unknown (give --app-type; docs/app-types.md)",
                unknown.join(", ")
            ));
        }
    }
    if o.findings.is_empty() && !runs.iter().any(|a| background_phase(a)) {
        o.reach = Reach::Unreached(
            "no run had a background phase (marks `background` and `background-end`)".into(),
        );
    }
    o
}
