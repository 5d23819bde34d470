//! Writes a validated scenario back as YAML in the canonical form (map form
//! for every command that has options, bare words otherwise). Loading the
//! output gives the same model: the round trip is tested. Exploration will
//! use this to save the path it found as a replayable flow.

// Payloads are built from `Default` and then given their common keys by one
// macro, which reads better than repeating `label`/`optional` in every arm.
#![allow(clippy::field_reassign_with_default)]

use std::collections::BTreeMap;

use super::model::{
    Command, Condition, Expectation, ExploreGoal, FlowSource, Gesture, ImageRef, PermissionState,
    Relation, Scenario, Selector, Step, SwipeKind,
};
use super::raw::{
    Flex, RawAppRef, RawBare, RawCommand, RawCommands, RawCondition, RawDialogHandler, RawDuration,
    RawEraseText, RawExpect, RawExplore, RawExtendedWait, RawHeader, RawIdle, RawInputText,
    RawLaunchApp, RawMark, RawName, RawOnDialog, RawOpenLink, RawPermissionPolicy, RawPressKey,
    RawRepeat, RawRetry, RawRunFlow, RawScrollUntilVisible, RawSelector, RawSetup, RawSnapshot,
    RawSwipe, RawTakeScreenshot, RawTap, RawText, RawWaitForAnimation,
};
use super::values::{Direction, Duration};

fn dur(d: Duration) -> RawDuration {
    RawDuration::Text(d.to_string())
}

fn direction(d: Direction) -> String {
    format!("{d:?}").to_ascii_uppercase()
}

/// A threshold as the shortest decimal that reads back as the same `f32`
/// (`0.85`, not the `f64` widening `0.8500000238418579`).
fn threshold(t: f32) -> f64 {
    t.to_string().parse().unwrap_or_else(|_| f64::from(t))
}

fn selector(s: &Selector) -> RawSelector {
    let mut raw = RawSelector {
        role: s.role.map(|r| RawName::new(r.as_str())),
        text: s.text.as_ref().map(|p| RawText(p.source().to_string())),
        id: s.id.as_ref().map(|p| p.source().to_string()),
        index: s.index,
        point: s.point.map(|p| p.to_string()),
        image: s.image.as_ref().map(|i| i.written.clone()),
        threshold: s
            .image
            .as_ref()
            .filter(|i| i.threshold != ImageRef::DEFAULT_THRESHOLD)
            .map(|i| threshold(i.threshold)),
        enabled: s.enabled,
        checked: s.checked,
        focused: s.focused,
        selected: s.selected,
        ..RawSelector::default()
    };
    for (rel, anchor) in &s.relations {
        let a = Some(Box::new(Flex(selector(anchor))));
        match rel {
            Relation::Below => raw.below = a,
            Relation::Above => raw.above = a,
            Relation::LeftOf => raw.left_of = a,
            Relation::RightOf => raw.right_of = a,
            Relation::ChildOf => raw.child_of = a,
            Relation::ContainsChild => raw.contains_child = a,
        }
    }
    raw
}

fn condition(c: &Condition) -> RawCondition {
    RawCondition {
        visible: c.visible.as_ref().map(|s| Flex(selector(s))),
        not_visible: c.not_visible.as_ref().map(|s| Flex(selector(s))),
        platform: c.platform.clone(),
        env: c.env.clone(),
    }
}

fn commands(steps: &[Step]) -> RawCommands {
    RawCommands(
        steps
            .iter()
            .map(|s| serde_yaml::to_value(step(s)).unwrap_or(serde_yaml::Value::Null))
            .collect(),
    )
}

/// (file, commands) of a flow source.
fn source(s: &FlowSource) -> (Option<String>, Option<RawCommands>) {
    match s {
        FlowSource::File { written, .. } => (Some(written.clone()), None),
        FlowSource::Inline(steps) => (None, Some(commands(steps))),
    }
}

/// Fills the common `label` / `optional` keys of any payload.
macro_rules! with_common {
    ($raw:expr, $step:expr) => {{
        let mut r = $raw;
        r.label = $step.label.clone();
        r.optional = $step.optional.then_some(true);
        r
    }};
}

#[allow(clippy::too_many_lines)]
fn step(s: &Step) -> RawCommand {
    let app = |a: &Option<super::values::Template>| a.as_ref().map(ToString::to_string);
    match &s.command {
        Command::LaunchApp {
            app_id,
            clear_state,
            stop_app,
            permissions,
            arguments,
        } => RawCommand::LaunchApp(Flex(with_common!(
            RawLaunchApp {
                app_id: app(app_id),
                clear_state: clear_state.then_some(true),
                stop_app: (!stop_app).then_some(false),
                permissions: (!permissions.is_empty()).then(|| {
                    permissions
                        .iter()
                        .map(|(k, v)| {
                            let v = match v {
                                PermissionState::Allow => "allow",
                                PermissionState::Deny => "deny",
                                PermissionState::Unset => "unset",
                            };
                            (k.clone(), v.to_string())
                        })
                        .collect()
                }),
                arguments: (!arguments.is_empty()).then(|| {
                    arguments
                        .iter()
                        .map(|(k, v)| (k.clone(), RawText(v.to_string())))
                        .collect()
                }),
                ..RawLaunchApp::default()
            },
            s
        ))),
        Command::StopApp { app_id } => RawCommand::StopApp(Flex(with_common!(
            RawAppRef {
                app_id: app(app_id),
                ..RawAppRef::default()
            },
            s
        ))),
        Command::KillApp { app_id } => RawCommand::KillApp(Flex(with_common!(
            RawAppRef {
                app_id: app(app_id),
                ..RawAppRef::default()
            },
            s
        ))),
        Command::ClearState { app_id } => RawCommand::ClearState(Flex(with_common!(
            RawAppRef {
                app_id: app(app_id),
                ..RawAppRef::default()
            },
            s
        ))),
        Command::Tap {
            gesture,
            target,
            repeat,
            delay,
            retry_if_no_change,
            settle_timeout,
        } => {
            let mut raw = with_common!(RawTap::from_selector(selector(target)), s);
            raw.repeat = (*repeat != 1).then_some(*repeat);
            raw.delay = delay.map(dur);
            raw.retry_tap_if_no_change = retry_if_no_change.then_some(true);
            raw.wait_to_settle_timeout_ms = settle_timeout.map(dur);
            match gesture {
                Gesture::Tap => RawCommand::TapOn(Flex(raw)),
                Gesture::DoubleTap => RawCommand::DoubleTapOn(Flex(raw)),
                Gesture::LongPress => RawCommand::LongPressOn(Flex(raw)),
            }
        }
        Command::InputText { text } => RawCommand::InputText(Flex(with_common!(
            RawInputText {
                text: Some(RawText(text.to_string())),
                ..RawInputText::default()
            },
            s
        ))),
        Command::EraseText { characters } => RawCommand::EraseText(Flex(with_common!(
            RawEraseText {
                characters_to_erase: *characters,
                ..RawEraseText::default()
            },
            s
        ))),
        Command::Back => RawCommand::Back(Flex(with_common!(RawBare::default(), s))),
        Command::HideKeyboard => {
            RawCommand::HideKeyboard(Flex(with_common!(RawBare::default(), s)))
        }
        Command::Scroll => RawCommand::Scroll(Flex(with_common!(RawBare::default(), s))),
        Command::PressKey { key } => RawCommand::PressKey(Flex(with_common!(
            RawPressKey {
                key: Some(key.name.to_string()),
                ..RawPressKey::default()
            },
            s
        ))),
        Command::Swipe { kind, duration } => {
            let mut raw = with_common!(RawSwipe::default(), s);
            raw.duration = duration.map(dur);
            match kind {
                SwipeKind::Direction(d) => raw.direction = Some(direction(*d)),
                SwipeKind::Points { start, end } => {
                    raw.start = Some(start.to_string());
                    raw.end = Some(end.to_string());
                }
                SwipeKind::FromElement { from, direction: d } => {
                    raw.from = Some(Flex(selector(from)));
                    raw.direction = Some(direction(*d));
                }
            }
            RawCommand::Swipe(Flex(raw))
        }
        Command::ScrollUntilVisible {
            element,
            direction: d,
            timeout,
            speed,
            visibility_percentage,
            center_element,
        } => RawCommand::ScrollUntilVisible(Flex(with_common!(
            RawScrollUntilVisible {
                element: Some(Flex(selector(element))),
                direction: Some(direction(*d)),
                timeout: timeout.map(dur),
                speed: *speed,
                visibility_percentage: *visibility_percentage,
                center_element: center_element.then_some(true),
                ..RawScrollUntilVisible::default()
            },
            s
        ))),
        Command::AssertVisible(sel) => {
            let mut raw = selector(sel);
            raw.label.clone_from(&s.label);
            raw.optional = s.optional.then_some(true);
            RawCommand::AssertVisible(Flex(raw))
        }
        Command::AssertNotVisible(sel) => {
            let mut raw = selector(sel);
            raw.label.clone_from(&s.label);
            raw.optional = s.optional.then_some(true);
            RawCommand::AssertNotVisible(Flex(raw))
        }
        Command::ExtendedWaitUntil {
            condition: c,
            timeout,
        } => {
            let rc = condition(c);
            RawCommand::ExtendedWaitUntil(Flex(with_common!(
                RawExtendedWait {
                    visible: rc.visible,
                    not_visible: rc.not_visible,
                    timeout: Some(dur(*timeout)),
                    ..RawExtendedWait::default()
                },
                s
            )))
        }
        Command::WaitForAnimationToEnd { timeout } => {
            RawCommand::WaitForAnimationToEnd(Flex(with_common!(
                RawWaitForAnimation {
                    timeout: timeout.map(dur),
                    ..RawWaitForAnimation::default()
                },
                s
            )))
        }
        Command::TakeScreenshot { name } => RawCommand::TakeScreenshot(Flex(with_common!(
            RawTakeScreenshot {
                path: Some(name.to_string()),
                ..RawTakeScreenshot::default()
            },
            s
        ))),
        Command::RunFlow {
            source: src,
            when,
            env,
        } => {
            let (file, cmds) = source(src);
            RawCommand::RunFlow(Flex(with_common!(
                RawRunFlow {
                    file,
                    commands: cmds,
                    when: when.as_ref().map(condition),
                    env: (!env.is_empty()).then(|| {
                        env.iter()
                            .map(|(k, v)| (k.clone(), RawText(v.to_string())))
                            .collect::<BTreeMap<_, _>>()
                    }),
                    ..RawRunFlow::default()
                },
                s
            )))
        }
        Command::Repeat {
            times,
            while_,
            commands: inner,
        } => RawCommand::Repeat(Flex(with_common!(
            RawRepeat {
                times: times.as_ref().map(|t| RawText(t.to_string())),
                while_: while_.as_ref().map(condition),
                commands: Some(commands(inner)),
                ..RawRepeat::default()
            },
            s
        ))),
        Command::Retry {
            max_retries,
            source: src,
        } => {
            let (file, cmds) = source(src);
            RawCommand::Retry(Flex(with_common!(
                RawRetry {
                    max_retries: Some(*max_retries),
                    commands: cmds,
                    file,
                    ..RawRetry::default()
                },
                s
            )))
        }
        Command::OpenLink {
            link,
            auto_verify,
            browser,
        } => RawCommand::OpenLink(Flex(with_common!(
            RawOpenLink {
                link: Some(link.to_string()),
                auto_verify: auto_verify.then_some(true),
                browser: browser.then_some(true),
                ..RawOpenLink::default()
            },
            s
        ))),
        Command::Mark { name } => RawCommand::Mark(Flex(with_common!(
            RawMark {
                name: Some(name.clone()),
                ..RawMark::default()
            },
            s
        ))),
        Command::Idle { duration } => RawCommand::Idle(Flex(with_common!(
            RawIdle {
                duration: Some(dur(*duration)),
                ..RawIdle::default()
            },
            s
        ))),
        Command::Expect(list) => {
            let mut raw = with_common!(RawExpect::default(), s);
            for e in list {
                match e {
                    Expectation::AppRunning(v) => raw.app_running = Some(*v),
                    Expectation::AppInForeground(v) => raw.app_in_foreground = Some(*v),
                    Expectation::NoLogcat(p) => raw.no_logcat = Some(p.source().to_string()),
                    Expectation::Logcat(p) => raw.logcat = Some(p.source().to_string()),
                    Expectation::Visible(sel) => raw.visible = Some(Flex(selector(sel))),
                    Expectation::NotVisible(sel) => raw.not_visible = Some(Flex(selector(sel))),
                    Expectation::ScreenshotMatching { written, .. } => {
                        raw.screenshot_matching = Some(written.clone());
                    }
                    Expectation::ScreenshotNotMatching { written, .. } => {
                        raw.screenshot_not_matching = Some(written.clone());
                    }
                }
            }
            RawCommand::Expect(Flex(raw))
        }
        Command::PermissionPolicy {
            allow,
            only,
            dont_ask_again,
            foreground_only,
        } => {
            let raw = with_common!(
                RawPermissionPolicy {
                    only: (!only.is_empty()).then(|| only.clone()),
                    dont_ask_again: dont_ask_again.then_some(true),
                    foreground_only: foreground_only.then_some(true),
                    ..RawPermissionPolicy::default()
                },
                s
            );
            if *allow {
                RawCommand::AllowPermissions(Flex(raw))
            } else {
                RawCommand::DenyPermissions(Flex(raw))
            }
        }
        Command::Explore {
            goal,
            avoid,
            max_depth,
            max_taps,
            timeout,
        } => RawCommand::Explore(Flex(with_common!(
            RawExplore {
                find: match goal {
                    ExploreGoal::Find(p) => Some(p.source().to_string()),
                    _ => None,
                },
                target: match goal {
                    ExploreGoal::Target(t) => Some(RawName::new(t.as_str())),
                    _ => None,
                },
                avoid: avoid.as_ref().map(|a| a.source().to_string()),
                max_depth: Some(*max_depth),
                max_taps: Some(*max_taps),
                timeout: timeout.map(dur),
                ..RawExplore::default()
            },
            s
        ))),
        Command::Snapshot(of) => RawCommand::Snapshot(Flex(with_common!(
            RawSnapshot {
                of: Some(of.clone()),
                ..RawSnapshot::default()
            },
            s
        ))),
    }
}

fn header(sc: &Scenario) -> RawHeader {
    let h = &sc.header;
    let d = &h.on_dialog;
    let on_dialog =
        (d.permission.is_some() || d.crash.is_some() || !d.custom.is_empty()).then(|| {
            RawOnDialog {
                permission: d.permission,
                crash: d.crash,
                custom: (!d.custom.is_empty()).then(|| {
                    d.custom
                        .iter()
                        .map(|c| RawDialogHandler {
                            visible: Flex(selector(&c.visible)),
                            commands: commands(&c.commands),
                        })
                        .collect()
                }),
            }
        });
    RawHeader {
        app_id: Some(h.app_id.to_string()),
        name: Some(h.name.clone()),
        tags: (!h.tags.is_empty()).then(|| h.tags.clone()),
        env: (!h.env.is_empty()).then(|| {
            h.env
                .iter()
                .map(|(k, v)| (k.clone(), RawText(v.clone())))
                .collect()
        }),
        on_flow_start: (!h.on_flow_start.is_empty()).then(|| commands(&h.on_flow_start)),
        on_flow_complete: (!h.on_flow_complete.is_empty()).then(|| commands(&h.on_flow_complete)),
        checks: (!h.checks.is_empty())
            .then(|| h.checks.iter().map(|c| c.id().to_string()).collect()),
        setup: Some(RawSetup {
            install: Some(h.setup.install),
            permissions: Some(h.setup.permissions),
        }),
        on_dialog,
    }
}

/// The scenario as canonical YAML: header, `---`, commands.
pub fn to_yaml(sc: &Scenario) -> Result<String, serde_yaml::Error> {
    let head = serde_yaml::to_string(&header(sc))?;
    let steps: Vec<RawCommand> = sc.steps.iter().map(step).collect();
    let body = serde_yaml::to_string(&steps)?;
    Ok(format!("{head}---\n{body}"))
}
