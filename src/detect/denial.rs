//! `refuse-service-on-denial`: what the app does right after a refusal —
//! of the privacy policy, or of a permission in the system dialog.
//!
//! The reaction window runs from the refusal to the next thing the tester
//! did (a tap, a launch, a back press): what happens after the user asked
//! for something else is not a reaction to the refusal, so a crash on
//! another screen is not counted. A kill by the system because a
//! permission was revoked (exit reason 8) or by the tester (reason 10)
//! never counts.

use crate::android::exit_info::reason;
use crate::category::Category;
use crate::evidence::DialogKind;
use crate::screen::{self, Kind, Role};

use super::timeline::Dev;
use super::{Analysed, Context, Outcome, Pointer, Reach, facts};

#[derive(Debug, Clone)]
enum Refused {
    Policy { by_back: bool },
    Permissions { groups: Vec<String> },
}

#[derive(Debug, Clone)]
struct Refusal {
    dev: Dev,
    step: usize,
    what: Refused,
}

fn refusals(a: &Analysed, ctx: &Context) -> Vec<Refusal> {
    let tl = &a.timeline;
    let r = &a.loaded.run;
    let mut out = Vec::new();
    let c = facts::consent(a, &ctx.wording);
    if let Some((dev, step)) = c.refused {
        let by_back = tl.leaves.iter().any(|l| l.dev == dev);
        out.push(Refusal {
            dev,
            step,
            what: Refused::Policy { by_back },
        });
    }
    let denied = |i: usize| {
        let d = &r.dialogs[i];
        d.kind == DialogKind::Permission && d.answer.starts_with("deny")
    };
    let dev_of = |i: usize| tl.dialogs.iter().find(|x| x.1 == i).map(|x| x.0);
    let mut owned: Vec<usize> = Vec::new();
    for q in &tl.requests {
        owned.extend(&q.dialogs);
        let ds: Vec<usize> = q.dialogs.iter().copied().filter(|i| denied(*i)).collect();
        let Some(dev) = ds.iter().filter_map(|i| dev_of(*i)).max() else {
            continue;
        };
        let mut groups: Vec<String> = Vec::new();
        for i in &ds {
            let g = r.dialogs[*i]
                .permission
                .clone()
                .unwrap_or_else(|| "?".into());
            if !groups.contains(&g) {
                groups.push(g);
            }
        }
        out.push(Refusal {
            dev,
            step: r.dialogs[ds[0]].step.unwrap_or(0),
            what: Refused::Permissions { groups },
        });
    }
    // Denials no logged request owns.
    for &(dev, i) in &tl.dialogs {
        if denied(i) && !owned.contains(&i) {
            out.push(Refusal {
                dev,
                step: r.dialogs[i].step.unwrap_or(0),
                what: Refused::Permissions {
                    groups: vec![
                        r.dialogs[i]
                            .permission
                            .clone()
                            .unwrap_or_else(|| "?".into()),
                    ],
                },
            });
        }
    }
    out.sort_by_key(|x| x.dev);
    out
}

/// How the app quit in `(from, to]`, if it did.
fn quit(a: &Analysed, from: Dev, to: Dev) -> Option<(String, Pointer)> {
    let tl = &a.timeline;
    let pkg = &a.loaded.run.app.package;
    let inside = |d: Dev| d > from && d <= to;
    if let Some(x) = tl.exits.iter().find(|x| {
        inside(x.dev)
            && x.process == *pkg
            && matches!(
                x.reason,
                reason::EXIT_SELF | reason::CRASH | reason::CRASH_NATIVE | reason::ANR
            )
    }) {
        return Some((
            format!("exit-info: reason {} ({})", x.reason, x.name),
            a.at(&x.source),
        ));
    }
    if let Some(c) = tl.crashes.iter().find(|c| inside(c.dev)) {
        return Some((format!("crash of {}", c.process), a.at(&c.source)));
    }
    if let Some(d) = tl
        .deaths
        .iter()
        .find(|d| inside(d.dev) && d.process == *pkg)
    {
        return Some(("the process died".into(), a.at(&d.source)));
    }
    let r = &a.loaded.run;
    tl.dialogs
        .iter()
        .find(|(d, i)| inside(*d) && r.dialogs[*i].kind == DialogKind::Crash)
        .map(|(_, i)| {
            (
                "a crash dialog".to_string(),
                Pointer {
                    run: a.loaded.name.clone(),
                    step: r.dialogs[*i].step,
                    t_ms: Some(r.dialogs[*i].t_ms),
                    file: r.dialogs[*i].screenshot.clone(),
                    line: None,
                    quote: r.dialogs[*i].message.clone(),
                },
            )
        })
}

#[allow(clippy::too_many_lines)]
pub(super) fn refuse_service(runs: &[&Analysed], pass: &str, ctx: &Context) -> Outcome {
    let mut o = Outcome::new(Category::RefuseServiceOnDenial, pass);
    o.not_covered.push(
        "permissions of features the exploration did not reach were not denied through them".into(),
    );
    let mut any = false;
    for a in runs {
        let tl = &a.timeline;
        let pkg = &a.loaded.run.app.package;
        let all = refusals(a, ctx);
        let mut looped = false;
        for rf in &all {
            any = true;
            let next_action = tl
                .taps
                .iter()
                .map(|t| t.dev)
                .chain(tl.launches.iter().map(|l| l.dev))
                .chain(tl.leaves.iter().map(|l| l.dev))
                .filter(|d| *d > rf.dev)
                .min()
                .unwrap_or(Dev::MAX);
            let (what, label) = match &rf.what {
                Refused::Policy { .. } => ("the privacy policy".to_string(), "policy"),
                Refused::Permissions { groups } => (groups.join(", "), "permission"),
            };
            let quitted = quit(a, rf.dev, next_action).or_else(|| {
                // The launcher in front, with no back press by the tester.
                if matches!(rf.what, Refused::Policy { by_back: true }) {
                    return None;
                }
                facts::trees(a)
                    .into_iter()
                    .filter_map(|(t_ms, rel, tree)| tl.dev(t_ms).map(|d| (d, rel, tree)))
                    .find(|(d, _, _)| *d > rf.dev && *d <= next_action)
                    .and_then(|(_, rel, tree)| {
                        let front = facts::front_package(tree, &ctx.wording)?;
                        let system = ctx.wording.system_packages.iter().any(|p| p == front)
                            || ctx.wording.permission_packages.iter().any(|p| p == front);
                        (front != pkg && !system).then(|| {
                            (
                                format!("{front} came to the front without a back press"),
                                a.file(Some(rel.to_string()), None),
                            )
                        })
                    })
            });
            if let Some((how, at)) = quitted {
                let summary = format!("after {what} was refused, the app quit: {how}");
                match (&rf.what, &ctx.app_type) {
                    (Refused::Permissions { groups }, _) if groups.len() > 1 => {
                        o.findings.push(ctx.finding("deny.quit-after-bundle", pass, summary, vec![at]));
                    }
                    (Refused::Permissions { groups }, Some(t)) => {
                        let needed = groups.iter().any(|g| t.necessary(g));
                        let rule = if needed {
                            "deny.quit-after-necessary"
                        } else {
                            "deny.quit-after-permission"
                        };
                        o.findings.push(ctx.finding(rule, pass, summary, vec![at]));
                    }
                    (Refused::Policy { .. }, Some(t)) if !t.needs_pi() => {
                        o.findings.push(ctx.finding(
                            "deny.quit-after-policy",
                            pass,
                            format!("{summary}; a {} app needs no personal information for its basic function", t.name_en),
                            vec![at],
                        ));
                    }
                    (Refused::Policy { .. }, Some(t)) => o.notes.push(format!(
                        "{summary}; a {} app needs personal information for its basic function ({}), so refusing it may end the service",
                        t.name_en,
                        t.necessary_pi_en.join(", ")
                    )),
                    (_, None) => o.undecided.push(format!(
                        "{summary}; whether the {label} refused was needed depends on the app type, which is unknown (give --app-type; docs/app-types.md)"
                    )),
                }
                continue;
            }
            // Still running: what does it show?
            let next_tree = facts::trees(a)
                .into_iter()
                .filter_map(|(t_ms, rel, tree)| tl.dev(t_ms).map(|d| (d, rel, tree)))
                .find(|(d, _, tree)| {
                    *d > rf.dev
                        && *d <= next_action
                        && facts::front_package(tree, &ctx.wording) == Some(pkg.as_str())
                });
            if let Some((_, rel, tree)) = next_tree {
                let u = screen::understand(tree, None, &ctx.wording);
                let only_out = !u.buttons.is_empty()
                    && u.buttons
                        .iter()
                        .all(|b| matches!(b.role, Role::Settings | Role::Exit));
                if only_out && matches!(u.kind, Kind::RationaleDialog | Kind::ConsentDialog) {
                    o.findings.push(ctx.finding(
                        "deny.blocking-dialog",
                        pass,
                        format!(
                                "after {what} was refused, the app showed only: {}",
                                u.buttons
                                    .iter()
                                    .map(|b| format!("\"{}\"", b.text))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        vec![a.step(rf.step, Some(rel.to_string()), u.message.clone())],
                    ));
                    continue;
                }
                if !facts::usable(tree, pkg) {
                    o.findings.push(ctx.finding(
                        "deny.blank-screen",
                        pass,
                        format!("after {what} was refused, the app showed nothing to use"),
                        vec![a.step(rf.step, Some(rel.to_string()), None)],
                    ));
                    continue;
                }
            }
            // The same request again and again with nothing done between.
            if let (Refused::Permissions { groups }, false) = (&rf.what, looped) {
                let r = &a.loaded.run;
                let again = tl
                    .dialogs
                    .iter()
                    .filter(|(d, i)| {
                        *d > rf.dev
                            && *d <= next_action
                            && r.dialogs[*i].kind == DialogKind::Permission
                            && r.dialogs[*i]
                                .permission
                                .as_ref()
                                .is_some_and(|g| groups.contains(g))
                    })
                    .count();
                if again >= 2 {
                    looped = true;
                    o.findings.push(ctx.finding(
                        "deny.request-loop",
                        pass,
                        format!("after {what} was denied, the request came back {again} times with nothing tapped in between"),
                        vec![a.step(rf.step, None, None)],
                    ));
                }
            }
        }
    }
    if !any {
        o.reach = Reach::NotApplicable("nothing was refused or denied in this pass".into());
    }
    o
}
