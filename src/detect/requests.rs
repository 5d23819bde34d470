//! `frequent-permission-requests` and `excessive-permission-requests`:
//! when the app asks, and how often it asks again after a denial.
//!
//! A request is a `REQUEST_PERMISSIONS` start from the app's uid in
//! logcat (logged also when the system denies at once because the
//! permission is fixed), with the dialogs it showed. A session is one
//! life of the app's main process. A cold start runs from a process start
//! (or a launch) to the first tap. A request follows the user's wish when
//! the tap just before it is the one that first led to the same request.

use crate::category::Category;
use crate::evidence::DialogKind;
use crate::screen::{self, Kind};

use super::timeline::{Dev, Request, Timeline};
use super::{Analysed, Context, Outcome, Pointer, Reach, facts};

/// Session starts: the app's main process starting, or a launch step.
fn session_starts(a: &Analysed) -> Vec<Dev> {
    let pkg = &a.loaded.run.app.package;
    let mut v: Vec<Dev> = a
        .timeline
        .starts
        .iter()
        .filter(|s| s.process == *pkg)
        .map(|s| s.dev)
        .collect();
    v.sort_unstable();
    v
}

fn session_of(starts: &[Dev], dev: Dev) -> usize {
    starts.partition_point(|s| *s <= dev)
}

/// The start of the cold start `dev` falls in, if no tap came between.
fn cold_start(tl: &Timeline, starts: &[Dev], dev: Dev) -> Option<Dev> {
    let begin = starts
        .iter()
        .copied()
        .chain(tl.launches.iter().map(|l| l.dev))
        .filter(|s| *s <= dev)
        .max()?;
    tl.first_tap(begin, Some(dev)).is_none().then_some(begin)
}

/// The permission groups a request's dialogs asked for (only the denied
/// ones with `denied`), each once.
fn groups_of(a: &Analysed, q: &Request, denied: bool) -> Vec<String> {
    let mut g: Vec<String> = Vec::new();
    for i in &q.dialogs {
        let d = &a.loaded.run.dialogs[*i];
        let counts = !denied || (d.kind == DialogKind::Permission && d.answer.starts_with("deny"));
        if let (true, Some(p)) = (counts, &d.permission) {
            if !g.contains(p) {
                g.push(p.clone());
            }
        }
    }
    g
}

struct Denial {
    group: String,
    dev: Dev,
    /// The tap that led to the request, if one did.
    trigger: Option<String>,
    /// Asked at a cold start, before any tap.
    up_front: bool,
}

#[allow(clippy::too_many_lines)]
pub(super) fn frequent(runs: &[&Analysed], pass: &str, ctx: &Context) -> Outcome {
    let mut o = Outcome::new(Category::FrequentPermissionRequests, pass);
    o.not_covered.push(
        "requests after a longer absence (days, not the run's minutes) are not observed".into(),
    );
    let mut relaunched = false;
    for a in runs {
        let tl = &a.timeline;
        let starts = session_starts(a);
        relaunched |=
            starts.len() >= 2 || tl.launches.len() >= 2 || tl.mark(&["relaunched"]).is_some();
        let mut denials: Vec<Denial> = Vec::new();
        let mut in_session: Vec<Pointer> = Vec::new();
        let mut on_relaunch: Vec<Pointer> = Vec::new();
        let mut seen_groups: Vec<String> = Vec::new();
        for (k, q) in tl.requests.iter().enumerate() {
            let session = session_of(&starts, q.dev);
            let since = starts
                .iter()
                .copied()
                .filter(|s| *s <= q.dev)
                .max()
                .unwrap_or(Dev::MIN)
                .max(k.checked_sub(1).map_or(Dev::MIN, |p| tl.requests[p].dev));
            let tap = tl.tap_before(q.dev, since);
            let shown = groups_of(a, q, false);
            // An auto-denied request shows no dialog: it is for one of the
            // permissions denied before.
            let asked: Vec<String> = if q.dialogs.is_empty() {
                denials.iter().map(|d| d.group.clone()).collect()
            } else {
                shown.clone()
            };
            for g in &asked {
                let Some(d) = denials.iter().find(|d| &d.group == g && d.dev < q.dev) else {
                    continue;
                };
                let wished = tap.is_some_and(|t| Some(&t.label) == d.trigger.as_ref());
                if wished {
                    continue;
                }
                let same = session == session_of(&starts, d.dev);
                let cold = cold_start(tl, &starts, q.dev).is_some();
                let label = if q.dialogs.is_empty() {
                    format!("{g} (denied at once by the system, logged)")
                } else {
                    g.clone()
                };
                if !seen_groups.contains(&label) {
                    seen_groups.push(label);
                }
                if same {
                    in_session.push(a.at(&q.source));
                } else if !(cold && d.up_front) {
                    on_relaunch.push(a.at(&q.source));
                }
            }
            for g in groups_of(a, q, true) {
                if !denials.iter().any(|d| d.group == g) {
                    denials.push(Denial {
                        group: g,
                        dev: q.dev,
                        trigger: tap.map(|t| t.label.clone()),
                        up_front: cold_start(tl, &starts, q.dev).is_some(),
                    });
                }
            }
        }
        let first_denial = denials.iter().map(|d| d.dev).min();
        if !in_session.is_empty() {
            o.findings.push(ctx.finding(
                "freq.in-session",
                pass,
                format!(
                    "{} request(s) again in the same session after a denial, not after the tap that first needed it: {}",
                    in_session.len(),
                    seen_groups.join(", ")
                ),
                in_session.into_iter().take(8).collect(),
            ));
        }
        if !on_relaunch.is_empty() {
            o.findings.push(ctx.finding(
                "freq.on-relaunch",
                pass,
                format!(
                    "{} request(s) again after a relaunch, where the app had not asked before the denial: {}",
                    on_relaunch.len(),
                    seen_groups.join(", ")
                ),
                on_relaunch.into_iter().take(8).collect(),
            ));
        }
        if let Some(first) = first_denial {
            let redirects: Vec<Pointer> = tl
                .settings_redirects
                .iter()
                .filter(|l| l.dev > first && tl.tap_before(l.dev, first).is_none())
                .map(|l| a.at(&l.source))
                .collect();
            if !redirects.is_empty() {
                o.findings.push(ctx.finding(
                    "freq.settings-redirect",
                    pass,
                    "the app opened the system settings page of its permissions by itself after a denial".into(),
                    redirects,
                ));
            }
            let rationale: Vec<Pointer> = facts::trees(a)
                .into_iter()
                .filter(|(t_ms, _, _)| tl.dev(*t_ms).is_some_and(|d| d > first))
                .filter(|(_, _, t)| {
                    screen::understand(t, None, &ctx.wording).kind == Kind::RationaleDialog
                })
                .map(|(_, rel, _)| a.file(Some(rel.to_string()), None))
                .collect();
            if rationale.len() >= 2 {
                o.findings.push(ctx.finding(
                    "freq.rationale-repeat",
                    pass,
                    format!(
                        "the app's own permission dialog came back {} times after a denial",
                        rationale.len()
                    ),
                    rationale,
                ));
            }
        }
    }
    if o.findings.is_empty() && !relaunched {
        o.reach = Reach::Unreached("no run relaunched the app after the denials".into());
    }
    o
}

pub(super) fn excessive(runs: &[&Analysed], pass: &str, ctx: &Context) -> Outcome {
    let mut o = Outcome::new(Category::ExcessivePermissionRequests, pass);
    o.not_covered
        .push("requests made only by features the exploration did not reach are not seen".into());
    let mut launched = false;
    let mut unknown: Vec<String> = Vec::new();
    for a in runs {
        let tl = &a.timeline;
        let starts = session_starts(a);
        launched |= !starts.is_empty() || !tl.launches.is_empty();
        let mut cold: Vec<(Pointer, Vec<String>)> = Vec::new();
        let mut low: Vec<(Pointer, String)> = Vec::new();
        let mut denied: Vec<String> = Vec::new();
        for q in &tl.requests {
            let groups = groups_of(a, q, false);
            // Asking again for what was denied is asking again (the other
            // rule's), not asking up front.
            let again = if groups.is_empty() {
                !denied.is_empty()
            } else {
                groups.iter().all(|g| denied.contains(g))
            };
            if cold_start(tl, &starts, q.dev).is_some() && !again {
                cold.push((a.at(&q.source), groups.clone()));
            }
            for g in groups_of(a, q, true) {
                if !denied.contains(&g) {
                    denied.push(g);
                }
            }
            for g in groups {
                match &ctx.app_type {
                    Some(t) if t.relevant(&g) => {}
                    Some(_) => {
                        if !low.iter().any(|(_, x)| *x == g) {
                            low.push((a.at(&q.source), g));
                        }
                    }
                    None => {
                        if !unknown.contains(&g) {
                            unknown.push(g);
                        }
                    }
                }
            }
        }
        if !cold.is_empty() {
            let mut names: Vec<String> = Vec::new();
            let mut bundled = false;
            for (_, g) in &cold {
                bundled |= g.len() > 1;
                for x in g {
                    if !names.contains(x) {
                        names.push(x.clone());
                    }
                }
            }
            let what = if names.is_empty() {
                format!("{} permission request(s)", cold.len())
            } else {
                names.join(", ")
            };
            o.findings.push(ctx.finding(
                "exc.cold-start",
                pass,
                format!(
                    "asked at cold start, before any feature was used: {what}{}",
                    if bundled {
                        " (several permissions in one request)"
                    } else {
                        ""
                    }
                ),
                cold.into_iter().take(8).map(|(p, _)| p).collect(),
            ));
        }
        if let (false, Some(t)) = (low.is_empty(), &ctx.app_type) {
            o.findings.push(ctx.finding(
                "exc.low-relevance",
                pass,
                format!(
                    "asked for {} — of low relevance to a {} app",
                    low.iter().map(|(_, g)| g.as_str()).collect::<Vec<_>>().join(", "),
                    t.name_en
                ),
                low.into_iter().map(|(p, _)| p).collect(),
            ));
        }
    }
    if !unknown.is_empty() {
        o.undecided.push(format!(
            "whether {} is relevant depends on the app type, which is unknown (give --app-type; docs/app-types.md)",
            unknown.join(", ")
        ));
    }
    if o.findings.is_empty() && !launched {
        o.reach = Reach::Unreached("the app was never seen launching".into());
    }
    o
}
