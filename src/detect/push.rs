//! `forced-targeted-push`: an app that personalises must offer a way out.
//!
//! A personalisation claim is a text the app showed (its privacy text, a
//! screen) with personalisation words from the wording data. A switch is
//! what an exploration for `personalisation-switch` found, or a checkable
//! element with such words on any screen kept. No switch after an
//! exploration that saw the whole app is the rule as written; no switch
//! within the exploration's bounds is a heuristic.

use crate::category::Category;
use crate::screen::{self, Purpose, normalise};

use super::{Analysed, Context, Outcome, Pointer, Reach, facts};

const GOAL: &str = "personalisation-switch";

pub(super) fn forced_targeted_push(runs: &[&Analysed], pass: &str, ctx: &Context) -> Outcome {
    let mut o = Outcome::new(Category::ForcedTargetedPush, pass);
    o.not_covered.push(
        "what decides the content of push messages is not observable; only an in-app switch is looked for".into(),
    );
    let words = &ctx.wording.personalisation;
    let mut claims: Vec<Pointer> = Vec::new();
    let mut switches: Vec<String> = Vec::new();
    let mut cuts: Vec<String> = Vec::new();
    let mut explored = false;
    for a in runs {
        let c = facts::consent(a, &ctx.wording);
        let mut texts = facts::all_texts(a);
        texts.insert(0, c.text.clone());
        for t in texts.iter().filter(|t| words.in_text(&normalise(t))) {
            if claims.len() < 4 && !claims.iter().any(|p| p.quote.as_deref() == Some(t)) {
                claims.push(a.file(None, Some(t.clone())));
            }
        }
        for (_, rel, tree) in facts::trees(a) {
            let u = screen::understand(tree, None, &ctx.wording);
            for s in u
                .switches
                .iter()
                .chain(&u.checkboxes)
                .filter(|s| s.purpose == Purpose::Personalisation)
            {
                let seen = format!("\"{}\" ({}: {rel})", s.text, a.loaded.name);
                if !switches
                    .iter()
                    .any(|x| x.starts_with(&format!("\"{}\"", s.text)))
                {
                    switches.push(seen);
                }
            }
        }
        let found: Vec<&crate::evidence::Exploration> = a
            .loaded
            .run
            .explorations
            .iter()
            .filter(|e| e.goal == GOAL)
            .collect();
        explored |= !found.is_empty();
        for e in &found {
            if e.found {
                let t = e.target.clone().unwrap_or_default();
                if !switches.iter().any(|x| x.starts_with(&format!("\"{t}\""))) {
                    switches.push(format!(
                        "\"{t}\" ({}: depth {})",
                        a.loaded.name,
                        e.depth.unwrap_or(0)
                    ));
                }
            } else if let Some(why) = facts::exploration_cut(a, e) {
                cuts.push(format!("{}: {why}", a.loaded.name));
            }
        }
        // Turned off, restarted, and on again?
        if let (Some((off, _)), [first, .., last]) = (a.timeline.mark(&["switch-off"]), &found[..])
        {
            let later = a
                .loaded
                .run
                .steps
                .get(last.step)
                .and_then(|s| a.timeline.dev(s.start_ms))
                .is_some_and(|d| d > off);
            if first.found && last.found && later && last.target_checked == Some(true) {
                o.findings.push(ctx.finding(
                    "push.switch-reverts",
                    pass,
                    format!(
                        "\"{}\" was turned off, and was on again after the app restarted",
                        last.target.clone().unwrap_or_default()
                    ),
                    vec![a.step(last.step, last.target_tree.clone(), last.target.clone())],
                ));
            }
        }
    }
    if !switches.is_empty() {
        o.notes.push(format!("switch: {}", switches.join("; ")));
        return o;
    }
    if !explored {
        o.reach = Reach::Unreached("no exploration looked for a personalisation switch".into());
        return o;
    }
    match (claims.is_empty(), cuts.is_empty()) {
        (false, true) => {
            let said = claims
                .iter()
                .filter_map(|p| p.quote.as_deref())
                .collect::<Vec<_>>()
                .join("\"; \"");
            o.findings.push(ctx.finding(
                "push.no-switch",
                pass,
                format!(
                    "the app says \"{said}\"; the exploration saw every screen it could reach and found no switch to turn personalisation off"
                ),
                claims,
            ));
        }
        (false, false) => {
            o.findings.push(ctx.finding(
                "push.no-switch-within-budget",
                pass,
                format!(
                    "personalisation claimed, and no switch found; the exploration was incomplete: {}",
                    cuts.join("; ")
                ),
                claims,
            ));
        }
        (true, true) => o.notes.push(
            "no personalisation is claimed on any screen seen, so no switch is needed".into(),
        ),
        (true, false) => {
            o.reach = Reach::Unreached(format!(
                "no personalisation claim was seen, but the exploration did not see the whole app: {}",
                cuts.join("; ")
            ));
        }
    }
    o
}
