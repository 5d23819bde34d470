//! `collect-before-consent` and `share-without-consent`: what the app did
//! before the user agreed to the privacy policy, or after a refusal.
//!
//! The moment of the answer is the tap that gave it (see `facts`); an
//! entry at that very moment counts as after it, since the app may react
//! to the tap. Without a prompt, nothing was ever agreed to.

use crate::category::Category;
use crate::net::ContactKind;

use super::facts::{self, Consent};
use super::timeline::Dev;
use super::{Analysed, Context, Outcome, Pointer, Reach};

/// What no OS record shows, so a pass cannot speak for it.
pub(super) const NOT_RECORDED: &str = "reads of ANDROID_ID, the MAC address, the installed-app list and the OAID leave no record in the OS without root";

/// Where a moment falls against the consent prompt's answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    BeforeConsent,
    AfterRefusal,
    AfterConsent,
}

pub(super) fn phase(c: &Consent, dev: Dev) -> Phase {
    let agreed = c.agreed.map(|x| x.0);
    let refused = c.refused.map(|x| x.0);
    match (agreed, refused) {
        (Some(a), _) if dev >= a && refused.is_none_or(|r| r < a || dev < r) => Phase::AfterConsent,
        (_, Some(r)) if dev >= r => Phase::AfterRefusal,
        _ => Phase::BeforeConsent,
    }
}

/// How far apart two device times are, for people: `1.5 s`.
pub(super) fn span(ms: Dev) -> String {
    let ms = ms.unsigned_abs();
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        #[allow(clippy::cast_precision_loss)]
        let s = ms as f64 / 1000.0;
        format!("{s:.1} s")
    }
}

/// One thing the app collected (or tried to), for these rules.
struct Collected {
    dev: Dev,
    what: String,
    at: Pointer,
    /// A permission request rather than a collection.
    request: bool,
}

fn collected(a: &Analysed) -> Vec<Collected> {
    let tl = &a.timeline;
    let mut out = Vec::new();
    for x in tl.accesses.iter().filter(|x| !x.from_setup) {
        out.push(Collected {
            dev: x.dev,
            what: format!(
                "{} {} [{}]",
                x.op,
                if x.kind == crate::android::appops::AccessKind::Reject {
                    "rejected"
                } else {
                    "accessed"
                },
                x.uid_state.as_deref().unwrap_or("?")
            ),
            at: a.at(&x.seen_in),
            request: false,
        });
    }
    for l in &tl.identifier_reads {
        out.push(Collected {
            dev: l.dev,
            what: "a device-identifier read".into(),
            at: a.at(&l.source),
            request: false,
        });
    }
    for q in &tl.requests {
        out.push(Collected {
            dev: q.dev,
            what: "a permission request".into(),
            at: a.at(&q.source),
            request: true,
        });
    }
    out.sort_by_key(|c| c.dev);
    out
}

/// What was collected, each once, in a fixed order (entries of one
/// moment on two clocks may swap places between runs).
fn list(items: &[&Collected]) -> String {
    let mut names: Vec<&str> = items.iter().map(|c| c.what.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    names.join(", ")
}

/// The evidence of `items`, in a fixed order, at most [`MAX_POINTERS`].
fn pointers(items: &[&Collected]) -> Vec<Pointer> {
    let mut v: Vec<Pointer> = items.iter().map(|i| i.at.clone()).collect();
    v.sort_by(|a, b| (&a.run, &a.file, &a.quote, a.line).cmp(&(&b.run, &b.file, &b.quote, b.line)));
    v.dedup();
    v.truncate(MAX_POINTERS);
    v
}

const MAX_POINTERS: usize = 8;

pub(super) fn collect_before_consent(runs: &[&Analysed], pass: &str, ctx: &Context) -> Outcome {
    let mut o = Outcome::new(Category::CollectBeforeConsent, pass);
    o.not_covered.push(NOT_RECORDED.into());
    for a in runs {
        let c = facts::consent(a, &ctx.wording);
        let items = collected(a);
        if let Some(label) = &c.prechecked {
            let file = c.tree.clone();
            o.findings.push(ctx.finding(
                "cbc.pre-checked",
                pass,
                format!("the consent box \"{label}\" was ticked when the prompt appeared"),
                vec![a.file(file, Some(label.clone()))],
            ));
        }
        if !c.shown {
            let taken: Vec<&Collected> = items.iter().filter(|i| !i.request).collect();
            if !taken.is_empty() {
                o.findings.push(ctx.finding(
                    "cbc.no-prompt",
                    pass,
                    format!(
                        "no privacy-policy prompt was shown, and the app collected: {}",
                        list(&taken)
                    ),
                    pointers(&taken),
                ));
            } else if facts::reached(a) {
                o.notes.push(format!(
                    "{}: no privacy-policy prompt was shown; no collection was observed{}",
                    a.loaded.name,
                    if items.is_empty() {
                        String::new()
                    } else {
                        " (its permission requests are judged as up-front requests)".into()
                    }
                ));
            }
            continue;
        }
        let before: Vec<&Collected> = items
            .iter()
            .filter(|i| phase(&c, i.dev) == Phase::BeforeConsent)
            .collect();
        if !before.is_empty() {
            let when = match (c.agreed, c.refused) {
                (Some((d, _)), _) => format!(
                    ", the first {} before the consent tap",
                    span(d - before[0].dev)
                ),
                (None, Some(_)) => ", while the prompt was unanswered".into(),
                (None, None) => " (the prompt was never agreed to)".into(),
            };
            o.findings.push(ctx.finding(
                "cbc.before-consent",
                pass,
                format!("before consent the app showed {}{when}", list(&before)),
                pointers(&before),
            ));
        }
        let after: Vec<&Collected> = items
            .iter()
            .filter(|i| phase(&c, i.dev) == Phase::AfterRefusal)
            .collect();
        if !after.is_empty() {
            o.findings.push(ctx.finding(
                "cbc.after-refusal",
                pass,
                format!("after the privacy policy was refused: {}", list(&after)),
                pointers(&after),
            ));
        }
    }
    if o.findings.is_empty() {
        if !runs.iter().any(|a| facts::reached(a)) {
            o.reach = Reach::Unreached(
                "the app never showed a screen a user could act on (only a loading indicator, or nothing), so the first screen, where a consent prompt belongs, was not reached".into(),
            );
        } else if runs.iter().any(|a| a.timeline.clock.is_none()) {
            o.reach = Reach::Unreached(
                "a run has no marks, so its system records cannot be placed against the consent prompt".into(),
            );
        }
    }
    o
}

/// What showed a third-party SDK at work.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Via {
    /// A process start or a log tag.
    Device,
    /// A contact with one of its domains in the network capture.
    Network,
}

pub(super) fn share_without_consent(runs: &[&Analysed], pass: &str, ctx: &Context) -> Outcome {
    let mut o = Outcome::new(Category::ShareWithoutConsent, pass);
    let captured = runs.iter().any(|a| matches!(a.loaded.capture, Some(Ok(_))));
    if captured {
        o.not_covered.push(
            "the capture shows DNS, TLS server names and plain-HTTP hosts: QUIC, DNS over HTTPS or TLS, encrypted ClientHellos and traffic inside a VPN are not seen".into(),
        );
    } else {
        o.not_covered.push(
            "the network was not observed (no capture: run on an emulator with --capture-network): what an SDK sends from the app's own process is not seen".into(),
        );
    }
    let mut started = false;
    for a in runs {
        let pkg = &a.loaded.run.app.package;
        let uid = a.loaded.run.app.uid.map(|u| u.to_string());
        let tl = &a.timeline;
        started |= tl.starts.iter().any(|s| s.process == *pkg);
        let c = facts::consent(a, &ctx.wording);
        let mut seen: Vec<(Dev, String, Pointer, Via)> = Vec::new();
        for s in &tl.starts {
            if let Some(sdk) = ctx.sdks.by_process(pkg, &s.process, s.component.as_deref()) {
                seen.push((
                    s.dev,
                    format!("{} (process {})", sdk.name, s.process),
                    a.at(&s.source),
                    Via::Device,
                ));
            }
        }
        for rec in &a.loaded.log {
            if uid.is_none() || rec.uid != uid {
                continue;
            }
            let (Some(sdk), Some(dev)) = (
                ctx.sdks.by_tag(&rec.tag),
                rec.time.and_then(|t| Dev::try_from(t.sort_key()).ok()),
            ) else {
                continue;
            };
            seen.push((
                dev,
                format!("{} (log tag {})", sdk.name, rec.tag),
                Pointer {
                    run: a.loaded.name.clone(),
                    step: None,
                    t_ms: None,
                    file: a.loaded.run.logcat.file.clone(),
                    line: Some(rec.line),
                    quote: Some(format!("{}: {}", rec.tag, rec.message)),
                },
                Via::Device,
            ));
        }
        if let Some(Ok(cap)) = &a.loaded.capture {
            for (dev, i) in &tl.contacts {
                let Some(contact) = cap.contacts.get(*i) else {
                    continue;
                };
                // An answer repeats its query's name.
                if contact.kind == ContactKind::DnsAnswer {
                    continue;
                }
                let Some(sdk) = ctx.sdks.by_domain(&contact.domain) else {
                    continue;
                };
                seen.push((
                    *dev,
                    format!("{} ({})", sdk.name, contact.domain),
                    Pointer {
                        run: a.loaded.name.clone(),
                        step: None,
                        t_ms: None,
                        file: a.loaded.run.network.as_ref().and_then(|n| n.file.clone()),
                        line: Some(contact.packet),
                        quote: Some(contact.describe()),
                    },
                    Via::Network,
                ));
            }
        }
        seen.sort_by_key(|x| x.0);
        for (rule, ph, via, what) in [
            (
                "share.sdk-before-consent",
                Phase::BeforeConsent,
                Via::Device,
                "third-party SDK running before consent",
            ),
            (
                "share.sdk-after-refusal",
                Phase::AfterRefusal,
                Via::Device,
                "third-party SDK running after the refusal",
            ),
            (
                "share.network-before-consent",
                Phase::BeforeConsent,
                Via::Network,
                "third-party SDK server contacted before consent",
            ),
            (
                "share.network-after-refusal",
                Phase::AfterRefusal,
                Via::Network,
                "third-party SDK server contacted after the refusal",
            ),
        ] {
            let hits: Vec<&(Dev, String, Pointer, Via)> = seen
                .iter()
                .filter(|x| x.3 == via && phase(&c, x.0) == ph)
                .collect();
            if hits.is_empty() {
                continue;
            }
            let mut names: Vec<String> = Vec::new();
            for h in &hits {
                let name = match (via, h.2.quote.as_deref()) {
                    // The network's evidence quotes the domain and its time.
                    (Via::Network, Some(q)) => {
                        format!("{} at {}", h.1, q.split(" UTC").next().unwrap_or(q))
                    }
                    _ => h.1.clone(),
                };
                if !names.contains(&name) {
                    names.push(name);
                }
            }
            names.truncate(MAX_POINTERS);
            o.findings.push(
                ctx.finding(
                    rule,
                    pass,
                    format!(
                        "{what}: {}{}",
                        names.join(", "),
                        if c.shown {
                            ""
                        } else {
                            " (no privacy-policy prompt was shown)"
                        }
                    ),
                    hits.iter()
                        .take(MAX_POINTERS)
                        .map(|h| h.2.clone())
                        .collect(),
                ),
            );
        }
        for h in seen
            .iter()
            .filter(|x| phase(&c, x.0) == Phase::AfterConsent)
        {
            o.notes
                .push(format!("{}: {} after consent", a.loaded.name, h.1));
        }
    }
    if o.findings.is_empty() && !started {
        o.reach = Reach::Unreached("the app's process was never seen starting".into());
    }
    o
}
