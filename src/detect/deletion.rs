//! `account-deletion-obstacles`: is there a way to delete the account,
//! how deep, and on what conditions.
//!
//! The entry comes from an exploration for `deletion-entry`; the
//! conditions and the stated period are read from the texts of the
//! screens from the entry on (later explorations and dumps of the run).
//! Condition words and the period's unit are wording data.

use crate::category::Category;
use crate::evidence::Exploration;
use crate::screen::normalise;

use super::{Analysed, Context, Outcome, Pointer, Reach, facts};

const GOAL: &str = "deletion-entry";

/// The rules' limit for processing a deletion by hand.
pub(super) const MAX_WORKING_DAYS: u32 = 15;

/// Depth (in taps) above which an entry is called hard to find: no
/// official threshold, so findings on it are heuristics.
pub(super) const DEPTH_HEURISTIC: u32 = 4;

/// The largest number of working days a text states, if it states one:
/// the numbers just before the unit ("15-30 个工作日", "within 30 working
/// days"). `normalised` is [`normalise`]d text.
pub(super) fn stated_days(normalised: &str, units: &crate::screen::wording::Words) -> Option<u32> {
    let mut best: Option<u32> = None;
    for unit in units.iter() {
        let mut from = 0;
        while let Some(at) = normalised[from..].find(unit) {
            let end = from + at;
            // Up to 12 characters before the unit: "15-30", "15至30", "30".
            let head: String = normalised[..end]
                .chars()
                .rev()
                .take(12)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            let mut n: Option<u32> = None;
            for part in head.split(|c: char| !c.is_ascii_digit()) {
                if let Ok(v) = part.parse::<u32>() {
                    n = Some(n.map_or(v, |m: u32| m.max(v)));
                }
            }
            if let Some(v) = n {
                best = Some(best.map_or(v, |b| b.max(v)));
            }
            from = end + unit.len();
        }
    }
    best
}

fn texts_from(a: &Analysed, e: &Exploration) -> Vec<String> {
    let r = &a.loaded.run;
    let pkg = &r.app.package;
    let start = r.steps.get(e.step).map_or(0, |s| s.start_ms);
    let mut out: Vec<String> = Vec::new();
    let mut add = |t: &str| {
        if !out.iter().any(|x| x == t) {
            out.push(t.to_string());
        }
    };
    // The screen showing the entry, then every later exploration and dump.
    if let Some(depth) = e.depth {
        for s in e.screens.iter().filter(|s| s.depth >= depth) {
            for t in facts::screen_texts(a, s) {
                add(&t);
            }
        }
    }
    for later in r.explorations.iter().filter(|x| x.step > e.step) {
        for t in later.screens.iter().flat_map(|s| facts::screen_texts(a, s)) {
            add(&t);
        }
    }
    for (t_ms, _, tree) in facts::trees(a) {
        if t_ms > start {
            for t in facts::texts(tree, pkg) {
                add(&t);
            }
        }
    }
    out
}

pub(super) fn account_deletion(runs: &[&Analysed], pass: &str, ctx: &Context) -> Outcome {
    let mut o = Outcome::new(Category::AccountDeletionObstacles, pass);
    o.not_covered.push(
        "a deletion is never confirmed, so whether a deleted account still logs in is not checked"
            .into(),
    );
    let w = &ctx.wording;
    let mut explored = false;
    let mut cuts: Vec<String> = Vec::new();
    let mut found_any = false;
    let mut has_accounts = false;
    let mut account_hint: Option<Pointer> = None;
    for a in runs {
        let pkg = &a.loaded.run.app.package;
        for t in facts::all_texts(a) {
            if !has_accounts && w.accounts.in_text(&normalise(&t)) {
                has_accounts = true;
                account_hint = Some(a.file(None, Some(t.clone())));
            }
        }
        has_accounts |= facts::trees(a)
            .iter()
            .any(|(_, _, t)| t.nodes().iter().any(|n| n.package == *pkg && n.password));
        for e in a.loaded.run.explorations.iter().filter(|e| e.goal == GOAL) {
            explored = true;
            if !e.found {
                if let Some(why) = facts::exploration_cut(a, e) {
                    cuts.push(format!("{}: {why}", a.loaded.name));
                }
                continue;
            }
            found_any = true;
            has_accounts = true;
            let depth = e.depth.unwrap_or(0);
            let target = e.target.clone().unwrap_or_default();
            let path: Vec<&str> = e.path.iter().map(|p| p.text.as_str()).collect();
            o.notes.push(format!(
                "entry \"{target}\" at depth {depth}{}",
                if path.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", path.join(" → "))
                }
            ));
            let at = a.step(e.step, e.flow.clone(), Some(target.clone()));
            if depth > DEPTH_HEURISTIC {
                o.findings.push(ctx.finding(
                    "del.depth",
                    pass,
                    format!(
                        "\"{target}\" is {depth} taps from the main screen ({})",
                        path.join(" → ")
                    ),
                    vec![at.clone()],
                ));
            }
            let texts = texts_from(a, e);
            for (name, words) in &w.deletion_conditions {
                if let Some(t) = texts.iter().find(|t| words.in_text(&normalise(t))) {
                    o.findings.push(ctx.finding(
                        "del.condition",
                        pass,
                        format!("condition on the way to deleting the account ({name}): \"{t}\""),
                        vec![Pointer {
                            quote: Some(t.clone()),
                            ..at.clone()
                        }],
                    ));
                }
            }
            let longest = texts
                .iter()
                .filter_map(|t| stated_days(&normalise(t), &w.working_days).map(|d| (d, t)))
                .max_by_key(|x| x.0);
            if let Some((days, t)) = longest {
                if days > MAX_WORKING_DAYS {
                    o.findings.push(ctx.finding(
                        "del.period",
                        pass,
                        format!("stated period of up to {days} working days: \"{t}\""),
                        vec![Pointer {
                            quote: Some(t.clone()),
                            ..at.clone()
                        }],
                    ));
                } else {
                    o.notes.push(format!("stated period: {days} working days"));
                }
            }
        }
    }
    if found_any {
        return o;
    }
    if !explored {
        o.reach = Reach::Unreached("no exploration looked for an account deletion entry".into());
    } else if !cuts.is_empty() {
        o.reach = Reach::Unreached(format!(
            "no deletion entry found, and the exploration did not see the whole app: {}",
            cuts.join("; ")
        ));
    } else if has_accounts {
        o.findings.push(ctx.finding(
            "del.no-entry",
            pass,
            "the app has accounts, and the exploration saw every screen it could reach without finding a way to delete one".into(),
            account_hint.into_iter().collect(),
        ));
    } else {
        o.notes.push(
            "no account features were seen: an app without accounts has nothing to delete".into(),
        );
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::screen::Wording;

    #[test]
    fn periods() {
        let w = Wording::builtin();
        let d = |t: &str| stated_days(&normalise(t), &w.working_days);
        assert_eq!(d("Processing takes 15-30 working days."), Some(30));
        assert_eq!(d("我们将在15个工作日内处理"), Some(15));
        assert_eq!(d("审核需要 7 至 20 个工作日"), Some(20));
        assert_eq!(d("Deleted immediately."), None);
    }
}
