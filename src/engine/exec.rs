//! What each scenario command does on the device. Every command that
//! `validate` accepts does something here; none is a no-op.

use std::time::Duration;

use tokio::time::Instant;

use super::observe::{Seen, Settled};
use super::select::{self, Found};
use super::{Ctx, Env, Fail, Policy, StepResult};
use crate::device::Device;
use crate::evidence::{self, ExpectationResult};
use crate::scenario::model::{
    Command, Condition, Expectation, ExploreGoal, FlowSource, Gesture, PermissionState, Selector,
    Step, SwipeKind,
};
use crate::scenario::raw::SnapshotKind;
use crate::scenario::values::{Direction, PERMISSION_GROUPS, Point, Template};

/// How long a long press holds.
const LONG_PRESS: Duration = Duration::from_secs(1);
/// How many times `repeat` with only `while` may go round.
const MAX_REPEAT: u32 = 1000;
/// Characters `eraseText` deletes by default (as Maestro).
const ERASE_DEFAULT: u32 = 50;

/// A permission change through `pm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PermChange {
    Grant,
    Revoke,
    Unset,
}

/// The command's name as written in a scenario.
pub(crate) fn name(c: &Command) -> &'static str {
    match c {
        Command::LaunchApp { .. } => "launchApp",
        Command::StopApp { .. } => "stopApp",
        Command::KillApp { .. } => "killApp",
        Command::ClearState { .. } => "clearState",
        Command::Tap { gesture, .. } => match gesture {
            Gesture::Tap => "tapOn",
            Gesture::DoubleTap => "doubleTapOn",
            Gesture::LongPress => "longPressOn",
        },
        Command::InputText { .. } => "inputText",
        Command::EraseText { .. } => "eraseText",
        Command::Back => "back",
        Command::PressKey { .. } => "pressKey",
        Command::HideKeyboard => "hideKeyboard",
        Command::Scroll => "scroll",
        Command::Swipe { .. } => "swipe",
        Command::ScrollUntilVisible { .. } => "scrollUntilVisible",
        Command::AssertVisible(_) => "assertVisible",
        Command::AssertNotVisible(_) => "assertNotVisible",
        Command::ExtendedWaitUntil { .. } => "extendedWaitUntil",
        Command::WaitForAnimationToEnd { .. } => "waitForAnimationToEnd",
        Command::TakeScreenshot { .. } => "takeScreenshot",
        Command::RunFlow { .. } => "runFlow",
        Command::Repeat { .. } => "repeat",
        Command::Retry { .. } => "retry",
        Command::OpenLink { .. } => "openLink",
        Command::Mark { .. } => "mark",
        Command::Idle { .. } => "idle",
        Command::Expect(_) => "expect",
        Command::PermissionPolicy { allow: true, .. } => "allowPermissions",
        Command::PermissionPolicy { .. } => "denyPermissions",
        Command::Explore { .. } => "explore",
        Command::Snapshot(_) => "snapshot",
    }
}

fn render(t: &Template, env: &Env) -> String {
    t.render(env).unwrap_or_else(|_| t.as_str().to_string())
}

/// A one-line description for the transcript (secrets are masked by the
/// caller).
pub(crate) fn title(c: &Command, env: &Env) -> String {
    let n = name(c);
    match c {
        Command::LaunchApp { app_id, .. }
        | Command::StopApp { app_id }
        | Command::KillApp { app_id }
        | Command::ClearState { app_id } => match app_id {
            Some(a) => format!("{n} {}", render(a, env)),
            None => n.to_string(),
        },
        Command::Tap { target, .. } => format!("{n} {}", select::describe(target)),
        Command::InputText { text } => format!("{n} {:?}", render(text, env)),
        Command::EraseText { characters } => {
            format!("{n} {}", characters.unwrap_or(ERASE_DEFAULT))
        }
        Command::PressKey { key } => format!("{n} {}", key.name),
        Command::Swipe { kind, .. } => match kind {
            SwipeKind::Direction(d) => format!("{n} {d:?}"),
            SwipeKind::Points { start, end } => format!("{n} {start} → {end}"),
            SwipeKind::FromElement { from, direction } => {
                format!("{n} {direction:?} from {}", select::describe(from))
            }
        },
        Command::ScrollUntilVisible { element, .. } => {
            format!("{n} {}", select::describe(element))
        }
        Command::AssertVisible(s) | Command::AssertNotVisible(s) => {
            format!("{n} {}", select::describe(s))
        }
        Command::ExtendedWaitUntil { condition, timeout } => {
            format!("{n} {} ({timeout})", describe_condition(condition))
        }
        Command::TakeScreenshot { name } => format!("{n} {}", render(name, env)),
        Command::RunFlow { source, .. } | Command::Retry { source, .. } => match source {
            FlowSource::File { written, .. } => format!("{n} {written}"),
            FlowSource::Inline(steps) => format!("{n} ({} commands)", steps.len()),
        },
        Command::Repeat { times, .. } => match times {
            Some(t) => format!("{n} {} times", render(t, env)),
            None => format!("{n} while"),
        },
        Command::OpenLink { link, .. } => format!("{n} {}", render(link, env)),
        Command::Mark { name } => format!("{n} {name}"),
        Command::Idle { duration } => format!("{n} {duration}"),
        Command::Expect(list) => format!("{n} ({} checks)", list.len()),
        Command::Explore { goal, .. } => match goal {
            ExploreGoal::Find(find) => format!("{n} {:?}", find.source().as_str()),
            ExploreGoal::Target(t) => format!("{n} target {}", t.as_str()),
            ExploreGoal::Crawl => format!("{n} (crawl)"),
        },
        Command::Snapshot(kinds) => format!(
            "{n} {}",
            kinds
                .iter()
                .map(|k| snapshot_name(*k))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => n.to_string(),
    }
}

fn snapshot_name(k: SnapshotKind) -> &'static str {
    match k {
        SnapshotKind::Appops => "appops",
        SnapshotKind::Package => "package",
        SnapshotKind::ExitInfo => "exit-info",
        SnapshotKind::Activity => "activity",
        SnapshotKind::Screenshot => "screenshot",
        SnapshotKind::UiTree => "ui-tree",
    }
}

fn describe_condition(c: &Condition) -> String {
    let mut parts = Vec::new();
    if let Some(v) = &c.visible {
        parts.push(format!("visible {}", select::describe(v)));
    }
    if let Some(v) = &c.not_visible {
        parts.push(format!("not visible {}", select::describe(v)));
    }
    if let Some(p) = &c.platform {
        parts.push(format!("platform {p}"));
    }
    if let Some(v) = &c.env {
        parts.push(format!("env {v}"));
    }
    parts.join(" and ")
}

/// The full permission names a scenario's name stands for: a Maestro
/// short name (`camera`), `all` (`None`: every runtime permission), or a
/// full name.
fn expand(name: &str) -> Option<Vec<String>> {
    if name == "all" {
        return None;
    }
    Some(
        PERMISSION_GROUPS
            .iter()
            .find(|(g, _)| *g == name)
            .map_or_else(
                || vec![name.to_string()],
                |(_, list)| list.iter().map(|s| (*s).to_string()).collect(),
            ),
    )
}

/// The groups a `denyPermissions: {only: [...]}` list names.
pub(crate) fn groups_of(names: &[String]) -> Vec<String> {
    let mut out: Vec<String> = names
        .iter()
        .flat_map(|n| expand(n).unwrap_or_default())
        .filter_map(|p| crate::android::perms::group_of(&p).map(str::to_string))
        .collect();
    out.sort();
    out.dedup();
    out
}

impl<D: Device> Ctx<'_, D> {
    /// Runs one command; `Ok(true)` when it was skipped (`when` false).
    pub(crate) async fn command(
        &mut self,
        s: &Step,
        env: &Env,
        index: usize,
    ) -> Result<bool, Fail> {
        match &s.command {
            Command::LaunchApp {
                app_id,
                clear_state,
                stop_app,
                permissions,
                arguments,
            } => {
                let pkg = self.package(app_id.as_ref(), env);
                if *stop_app {
                    self.dev.force_stop(&pkg).await?;
                }
                if *clear_state {
                    self.clear_data(&pkg).await?;
                }
                for (name, state) in permissions {
                    let change = match state {
                        PermissionState::Allow => PermChange::Grant,
                        PermissionState::Deny => PermChange::Revoke,
                        PermissionState::Unset => PermChange::Unset,
                    };
                    for p in self.permissions_named(&pkg, name).await? {
                        self.change_permission(&p, change).await;
                    }
                }
                let before = self.picture_hash().await?;
                if arguments.is_empty() {
                    self.dev.launch(&pkg).await?;
                } else {
                    let component = self.launcher_component(&pkg).await?;
                    let mut argv = vec!["am".to_string(), "start".into(), "-W".into()];
                    argv.extend(["-n".into(), component]);
                    for (k, v) in arguments {
                        argv.extend(["--es".into(), k.clone(), render(v, env)]);
                    }
                    let refs: Vec<&str> = argv.iter().map(String::as_str).collect();
                    self.dev
                        .shell_judged(&refs, |t| !t.contains("Error"))
                        .await?;
                }
                self.after(before).await?;
            }
            Command::StopApp { app_id } => {
                let pkg = self.package(app_id.as_ref(), env);
                let before = self.picture_hash().await?;
                self.dev.force_stop(&pkg).await?;
                self.after(before).await?;
            }
            Command::KillApp { app_id } => {
                // As the system kills it: the process goes, the task stays.
                let pkg = self.package(app_id.as_ref(), env);
                let before = self.picture_hash().await?;
                self.dev.key("KEYCODE_HOME").await?;
                self.dev.shell_ok(&["am", "kill", &pkg]).await?;
                self.after(before).await?;
            }
            Command::ClearState { app_id } => {
                let pkg = self.package(app_id.as_ref(), env);
                self.clear_data(&pkg).await?;
            }
            Command::Tap {
                gesture,
                target,
                repeat,
                delay,
                retry_if_no_change,
                settle_timeout,
            } => {
                self.tap(
                    *gesture,
                    target,
                    env,
                    *repeat,
                    delay.map(|d| d.0),
                    *retry_if_no_change,
                    settle_timeout.map(|d| d.0),
                )
                .await?;
            }
            Command::InputText { text } => {
                let value = render(text, env);
                let before = self.picture_hash().await?;
                self.dev.text(&value).await?;
                self.after(before).await?;
            }
            Command::EraseText { characters } => {
                let n = characters.unwrap_or(ERASE_DEFAULT);
                let before = self.picture_hash().await?;
                let mut argv = vec!["input".to_string(), "keyevent".into(), "123".into()];
                argv.extend((0..n).map(|_| "67".to_string()));
                let refs: Vec<&str> = argv.iter().map(String::as_str).collect();
                self.dev.shell_ok(&refs).await?;
                self.after(before).await?;
            }
            Command::Back => self.key("4").await?,
            Command::PressKey { key } => self.key(&key.keycode.to_string()).await?,
            Command::HideKeyboard => {
                let out = self.dev.shell(&["dumpsys", "input_method"]).await?;
                let text = out.stdout_text();
                if text.contains("mInputShown=true") {
                    self.key("4").await?;
                } else if text.contains("mInputShown=false") {
                    self.note("the keyboard was not shown");
                } else {
                    // Without the input method's state, a key could
                    // navigate (ESCAPE falls back to BACK): send nothing.
                    self.note(
                        "the input method does not say whether a keyboard is shown; nothing sent",
                    );
                }
            }
            Command::Scroll => self.swipe_dir(Direction::Up, None, None).await?,
            Command::Swipe { kind, duration } => {
                let d = duration.map(|d| d.0);
                match kind {
                    SwipeKind::Direction(dir) => self.swipe_dir(*dir, None, d).await?,
                    SwipeKind::Points { start, end } => {
                        let (a, b) = (self.px(*start), self.px(*end));
                        self.swipe(a, b, d).await?;
                    }
                    SwipeKind::FromElement { from, direction } => {
                        let (found, _) = self.find(from, env, self.opts.find_timeout).await?;
                        self.swipe_dir(*direction, Some(found.center), d).await?;
                    }
                }
            }
            Command::ScrollUntilVisible {
                element,
                direction,
                timeout,
                speed,
                visibility_percentage,
                center_element,
            } => {
                self.scroll_until_visible(
                    element,
                    env,
                    *direction,
                    timeout.map_or(Duration::from_secs(20), |t| t.0),
                    speed.unwrap_or(40),
                    visibility_percentage.unwrap_or(100),
                    *center_element,
                )
                .await?;
            }
            Command::AssertVisible(sel) => {
                self.find(sel, env, self.opts.find_timeout).await?;
            }
            Command::AssertNotVisible(sel) => {
                self.wait_gone(sel, env, self.opts.find_timeout).await?;
            }
            Command::ExtendedWaitUntil { condition, timeout } => {
                if !self.wait_condition(condition, env, timeout.0).await? {
                    let mut f = Fail::new(format!(
                        "{} did not hold within {}",
                        describe_condition(condition),
                        timeout
                    ));
                    f.timeout = Some(timeout.0);
                    self.explain(&mut f, condition.visible.as_ref());
                    return Err(f);
                }
            }
            Command::WaitForAnimationToEnd { timeout } => {
                let limit = timeout.map_or(Duration::from_secs(15), |t| t.0);
                let opts = super::SettleOptions {
                    timeout: limit,
                    change_window: Duration::ZERO,
                };
                let settled = self.obs.settle(self.dev, None, opts).await?;
                if !settled.stable {
                    let mut f = Fail::new(format!(
                        "the screen was still changing after {} s ({} changes seen)",
                        limit.as_secs_f32(),
                        settled.changes
                    ));
                    f.timeout = Some(limit);
                    return Err(f);
                }
            }
            Command::TakeScreenshot { name } => {
                let label = render(name, env);
                self.look(None).await?;
                if let Some(seen) = self.seen.clone() {
                    self.keep(&seen, &format!("request-{label}"));
                }
            }
            Command::RunFlow {
                source,
                when,
                env: vars,
            } => {
                if let Some(c) = when {
                    if !self.condition_now(c, env).await? {
                        return Ok(true);
                    }
                }
                let (steps, scope, file) = self.flow(source, env, vars)?;
                let outer = std::mem::replace(&mut self.file, file);
                let result = self.steps(&steps, &scope, Some(index)).await;
                self.file = outer;
                result?;
            }
            Command::Repeat {
                times,
                while_,
                commands,
            } => {
                let limit = match times {
                    Some(t) => {
                        let text = render(t, env);
                        text.trim().parse::<u32>().map_err(|_| {
                            Fail::new(format!("repeat.times is {text:?}, not a whole number"))
                        })?
                    }
                    None => MAX_REPEAT,
                };
                let mut rounds = 0;
                while rounds < limit {
                    if let Some(c) = while_ {
                        if !self.condition_now(c, env).await? {
                            break;
                        }
                    }
                    self.steps(commands, env, Some(index)).await?;
                    rounds += 1;
                }
                self.note(format!("{rounds} rounds"));
                if times.is_none() && rounds == MAX_REPEAT {
                    return Err(Fail::new(format!(
                        "repeat.while still held after {MAX_REPEAT} rounds"
                    )));
                }
            }
            Command::Retry {
                max_retries,
                source,
            } => {
                let (steps, scope, file) =
                    self.flow(source, env, &std::collections::BTreeMap::new())?;
                let outer = std::mem::replace(&mut self.file, file);
                let mut attempt = 0;
                let result = loop {
                    match self.steps(&steps, &scope, Some(index)).await {
                        Ok(()) => break Ok(()),
                        Err(f) if !f.device && attempt < *max_retries => {
                            attempt += 1;
                            self.note(format!("attempt {attempt} failed: {}", f.message));
                        }
                        Err(f) => break Err(f),
                    }
                };
                self.file = outer;
                result?;
            }
            Command::OpenLink {
                link,
                auto_verify: _,
                browser,
            } => {
                let url = render(link, env);
                let before = self.picture_hash().await?;
                let mut argv = vec![
                    "am",
                    "start",
                    "-W",
                    "-a",
                    "android.intent.action.VIEW",
                    "-d",
                    &url,
                ];
                let pkg = self.opts.package.clone();
                if !browser {
                    argv.push(&pkg);
                }
                let out = self.dev.shell(&argv).await?;
                let text = format!("{}{}", out.stdout_text(), out.stderr_text());
                if (out.exit != 0 || text.contains("Error")) && !browser {
                    // The app does not handle the link: let the system
                    // choose, as a tap on a link does.
                    self.note(format!(
                        "{pkg} does not open the link; opened without a package"
                    ));
                    self.dev
                        .shell_judged(&argv[..argv.len() - 1], |t| !t.contains("Error"))
                        .await?;
                } else if out.exit != 0 || text.contains("Error") {
                    return Err(Fail::new(format!("cannot open {url}: {}", text.trim())));
                }
                self.after(before).await?;
            }
            Command::Mark { name } => self.mark(name).await?,
            Command::Idle { duration } => self.idle(duration.0).await?,
            Command::Expect(list) => {
                for e in list {
                    self.expect(e, env, index).await?;
                }
            }
            Command::PermissionPolicy {
                allow,
                only,
                dont_ask_again,
                foreground_only,
            } => {
                self.policy = Some(Policy {
                    allow: *allow,
                    only: groups_of(only),
                    dont_ask_again: *dont_ask_again,
                    foreground_only: *foreground_only,
                });
                // A dialog showing now is answered at once.
                self.look(None).await?;
            }
            Command::Explore {
                goal,
                avoid,
                max_depth,
                max_taps,
                timeout,
            } => {
                self.explore(
                    goal,
                    avoid.as_ref(),
                    env,
                    *max_depth,
                    *max_taps,
                    timeout.map(|t| t.0),
                    index,
                )
                .await?;
            }
            Command::Snapshot(kinds) => {
                for k in kinds {
                    match k {
                        SnapshotKind::Screenshot | SnapshotKind::UiTree => {
                            self.look(None).await?;
                            if let Some(seen) = self.seen.clone() {
                                self.keep(&seen, "snapshot");
                            }
                        }
                        other => self.snapshot(snapshot_name(*other), "step").await,
                    }
                }
            }
        }
        Ok(false)
    }

    fn package(&self, app_id: Option<&Template>, env: &Env) -> String {
        app_id.map_or_else(|| self.opts.package.clone(), |t| render(t, env))
    }

    /// The steps, variables and file of a `runFlow` / `retry`: the flow
    /// file's header `env` are defaults, the caller's `env` override them.
    fn flow(
        &self,
        source: &FlowSource,
        env: &Env,
        vars: &std::collections::BTreeMap<String, Template>,
    ) -> Result<(Vec<Step>, Env, std::path::PathBuf), Fail> {
        let mut scope = env.clone();
        let mut file = self.file.clone();
        let steps = match source {
            FlowSource::Inline(steps) => steps.clone(),
            FlowSource::File { written, path } => {
                let sc = self.flows.get(path).ok_or_else(|| {
                    Fail::new(format!(
                        "the flow {written} was not loaded ({})",
                        path.display()
                    ))
                })?;
                for (k, v) in &sc.header.env {
                    scope.entry(k.clone()).or_insert_with(|| v.clone());
                }
                file.clone_from(path);
                sc.steps.clone()
            }
        };
        for (k, v) in vars {
            scope.insert(k.clone(), render(v, env));
        }
        Ok((steps, scope, file))
    }

    /// The launcher activity, as the package manager resolves it.
    async fn launcher_component(&self, pkg: &str) -> Result<String, Fail> {
        let out = self
            .dev
            .shell_ok(&[
                "cmd",
                "package",
                "resolve-activity",
                "--brief",
                "-c",
                "android.intent.category.LAUNCHER",
                pkg,
            ])
            .await?;
        out.stdout_text()
            .lines()
            .rev()
            .map(str::trim)
            .find(|l| l.contains('/') && !l.contains(' '))
            .map(str::to_string)
            .ok_or_else(|| Fail::new(format!("no launcher activity found for {pkg}")))
    }

    /// The full names a scenario's permission name stands for, for `pkg`.
    async fn permissions_named(&self, pkg: &str, name: &str) -> Result<Vec<String>, Fail> {
        let snap = self.dev.package(pkg).await?;
        let info = snap.parsed.packages.into_iter().find(|p| p.name == pkg);
        let runtime = info
            .as_ref()
            .map(super::runtime_permissions)
            .unwrap_or_default();
        Ok(match expand(name) {
            None => runtime,
            // A group stands for the members the app requests; a full name
            // is passed on as written (pm names what is wrong with it).
            Some(list) if list.len() > 1 || list[0] != name => {
                list.into_iter().filter(|p| runtime.contains(p)).collect()
            }
            Some(list) => list,
        })
    }

    /// Grants, revokes or resets a permission and records it.
    pub(crate) async fn change_permission(&mut self, permission: &str, change: PermChange) {
        let pkg = self.opts.package.clone();
        let result = match change {
            PermChange::Grant => self.dev.grant(&pkg, permission).await,
            PermChange::Revoke => self.dev.revoke(&pkg, permission).await,
            PermChange::Unset => match self.dev.revoke(&pkg, permission).await {
                Ok(()) => self
                    .dev
                    .shell_ok(&[
                        "pm",
                        "clear-permission-flags",
                        &pkg,
                        permission,
                        "user-set",
                        "user-fixed",
                    ])
                    .await
                    .map(drop),
                Err(e) => Err(e),
            },
        };
        self.run
            .permission_changes
            .push(evidence::PermissionChange {
                t_ms: self.ms(),
                step: self.step,
                permission: permission.to_string(),
                action: match change {
                    PermChange::Grant => "grant",
                    PermChange::Revoke => "revoke",
                    PermChange::Unset => "unset",
                }
                .into(),
                ok: result.is_ok(),
                detail: result.err().map(|e| e.to_string()),
            });
    }

    pub(crate) async fn picture_hash(&mut self) -> Result<u64, Fail> {
        Ok(self.obs.picture(self.dev).await?.0)
    }

    /// Waits for the screen after an action and reads it (dialogs
    /// answered).
    pub(crate) async fn after(&mut self, before: u64) -> Result<Settled, Fail> {
        self.look(Some(before)).await
    }

    async fn key(&mut self, code: &str) -> StepResult {
        let before = self.picture_hash().await?;
        self.dev.key(code).await?;
        self.after(before).await.map(drop)
    }

    fn px(&self, p: Point) -> (i32, i32) {
        let (x, y) = p.to_pixels(self.screen_size.0, self.screen_size.1);
        (
            i32::try_from(x).unwrap_or(i32::MAX),
            i32::try_from(y).unwrap_or(i32::MAX),
        )
    }

    async fn swipe(&mut self, a: (i32, i32), b: (i32, i32), d: Option<Duration>) -> StepResult {
        let before = self.picture_hash().await?;
        self.dev
            .swipe(a, b, d.unwrap_or(Duration::from_millis(400)))
            .await?;
        self.after(before).await.map(drop)
    }

    /// A swipe in a direction, from the centre of the screen or a point.
    async fn swipe_dir(
        &mut self,
        dir: Direction,
        from: Option<(i32, i32)>,
        d: Option<Duration>,
    ) -> StepResult {
        let (w, h) = (
            i32::try_from(self.screen_size.0).unwrap_or(1080),
            i32::try_from(self.screen_size.1).unwrap_or(1920),
        );
        let (cx, cy) = from.unwrap_or((w / 2, h / 2));
        let (dx, dy) = (w * 3 / 10, h * 3 / 10);
        let to = match dir {
            Direction::Up => (cx, (cy - dy).max(h / 10)),
            Direction::Down => (cx, (cy + dy).min(h * 9 / 10)),
            Direction::Left => ((cx - dx).max(w / 20), cy),
            Direction::Right => ((cx + dx).min(w * 19 / 20), cy),
        };
        let start = match (dir, from) {
            (_, Some(p)) => p,
            (Direction::Up, None) => (cx, cy + dy),
            (Direction::Down, None) => (cx, cy - dy),
            (Direction::Left, None) => (cx + dx, cy),
            (Direction::Right, None) => (cx - dx, cy),
        };
        self.swipe(start, to, d).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn tap(
        &mut self,
        gesture: Gesture,
        target: &Selector,
        env: &Env,
        repeat: u32,
        delay: Option<Duration>,
        retry_if_no_change: bool,
        settle_timeout: Option<Duration>,
    ) -> StepResult {
        let (point, seen) = if target.point.is_some() && !has_criteria(target) {
            let seen = self.current().await?;
            let p = target.point.map(|p| self.px(p)).unwrap_or_default();
            (p, seen)
        } else {
            let (found, seen) = self.find(target, env, self.opts.find_timeout).await?;
            (found.center, seen)
        };
        self.user_tap = seen.understanding.kind == crate::screen::Kind::App
            && seen.understanding.package == self.opts.package;
        let mut settle = self.opts.settle;
        if let Some(t) = settle_timeout {
            settle.timeout = t;
        }
        let before = seen.hash;
        for round in 0..repeat.max(1) {
            if round > 0 {
                tokio::time::sleep(delay.unwrap_or(Duration::from_millis(100))).await;
            }
            self.gesture(gesture, point).await?;
        }
        let settled = self.look_with(Some(before), settle).await?;
        if !settled.changed {
            if retry_if_no_change {
                self.note("the tap changed nothing; tapped again");
                self.obs.counters.taps_retried += 1;
                self.gesture(gesture, point).await?;
                let again = self.look_with(Some(before), settle).await?;
                if !again.changed {
                    self.note("the second tap changed nothing either");
                }
            } else {
                self.note("the tap changed nothing");
            }
        }
        Ok(())
    }

    async fn gesture(&mut self, gesture: Gesture, (x, y): (i32, i32)) -> StepResult {
        match gesture {
            Gesture::Tap => self.dev.tap(x, y).await?,
            Gesture::DoubleTap => {
                self.dev.tap(x, y).await?;
                self.dev.tap(x, y).await?;
            }
            Gesture::LongPress => self.dev.swipe((x, y), (x, y), LONG_PRESS).await?,
        }
        self.obs.counters.taps += 1;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn scroll_until_visible(
        &mut self,
        element: &Selector,
        env: &Env,
        direction: Direction,
        timeout: Duration,
        speed: u32,
        visibility: u32,
        center: bool,
    ) -> StepResult {
        let start = Instant::now();
        // Scrolling DOWN shows what is below: the finger moves up.
        let finger = match direction {
            Direction::Down => Direction::Up,
            Direction::Up => Direction::Down,
            Direction::Left => Direction::Right,
            Direction::Right => Direction::Left,
        };
        let swipe_time = Duration::from_millis(u64::from(1100 - speed.clamp(1, 100) * 10));
        loop {
            let seen = self.current().await?;
            if let Some(f) = locate(&seen, element, env)? {
                if visible_share(&f, self.screen_size) * 100.0 >= f64::from(visibility) {
                    if center {
                        self.centre(&f).await?;
                    }
                    return Ok(());
                }
            }
            if start.elapsed() >= timeout {
                let mut f = Fail::new(format!(
                    "{} did not come into view within {} s of scrolling {direction:?}",
                    select::describe(element),
                    timeout.as_secs()
                ));
                f.timeout = Some(timeout);
                self.explain(&mut f, Some(element));
                return Err(f);
            }
            self.swipe_dir(finger, None, Some(swipe_time)).await?;
        }
    }

    /// Brings a found element towards the middle of the screen.
    async fn centre(&mut self, f: &Found) -> StepResult {
        let mid = i32::try_from(self.screen_size.1 / 2).unwrap_or(960);
        let dy = f.center.1 - mid;
        if dy.abs() < mid / 4 {
            return Ok(());
        }
        let x = f.center.0;
        self.swipe((x, mid + dy / 2), (x, mid - dy / 2), None).await
    }

    /// The element, waiting for it until `timeout`; the failure names the
    /// selector, what was on screen and the nearest text.
    pub(crate) async fn find(
        &mut self,
        sel: &Selector,
        env: &Env,
        timeout: Duration,
    ) -> Result<(Found, Seen), Fail> {
        let start = Instant::now();
        let mut pause = Duration::from_millis(100);
        loop {
            let seen = self.current().await?;
            if let Some(f) = locate(&seen, sel, env)? {
                return Ok((f, seen));
            }
            self.check_interrupt()?;
            if start.elapsed() >= timeout {
                let mut f = Fail::new(format!(
                    "no element matches {} (waited {} s)",
                    select::describe(sel),
                    timeout.as_secs_f32()
                ));
                f.timeout = Some(timeout);
                self.explain(&mut f, Some(sel));
                return Err(f);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(1));
        }
    }

    async fn wait_gone(&mut self, sel: &Selector, env: &Env, timeout: Duration) -> StepResult {
        let start = Instant::now();
        let mut pause = Duration::from_millis(100);
        loop {
            let seen = self.current().await?;
            if locate(&seen, sel, env)?.is_none() {
                return Ok(());
            }
            if start.elapsed() >= timeout {
                let mut f = Fail::new(format!(
                    "{} is still visible after {} s",
                    select::describe(sel),
                    timeout.as_secs_f32()
                ));
                f.selector = Some(select::describe(sel));
                f.timeout = Some(timeout);
                return Err(f);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(1));
        }
    }

    /// Adds the selector, the texts on screen and a "did you mean".
    fn explain(&self, f: &mut Fail, sel: Option<&Selector>) {
        let Some(seen) = &self.seen else { return };
        let tree = &seen.dump.tree;
        if let Some(sel) = sel {
            f.selector = Some(select::describe(sel));
            let near = select::nearest_texts(tree, sel, 1);
            f.did_you_mean = near.first().cloned();
        }
        f.on_screen = select::screen_texts(tree).into_iter().take(12).collect();
    }

    /// Whether a condition holds on the screen now.
    async fn condition_now(&mut self, c: &Condition, env: &Env) -> Result<bool, Fail> {
        if c.platform
            .as_deref()
            .is_some_and(|p| !p.eq_ignore_ascii_case("android"))
        {
            return Ok(false);
        }
        if c.env
            .as_ref()
            .is_some_and(|name| env.get(name).is_none_or(String::is_empty))
        {
            return Ok(false);
        }
        if c.visible.is_none() && c.not_visible.is_none() {
            return Ok(true);
        }
        let seen = self.current().await?;
        let visible = match &c.visible {
            Some(s) => locate(&seen, s, env)?.is_some(),
            None => true,
        };
        let gone = match &c.not_visible {
            Some(s) => locate(&seen, s, env)?.is_none(),
            None => true,
        };
        Ok(visible && gone)
    }

    async fn wait_condition(
        &mut self,
        c: &Condition,
        env: &Env,
        timeout: Duration,
    ) -> Result<bool, Fail> {
        let start = Instant::now();
        let mut pause = Duration::from_millis(100);
        loop {
            if self.condition_now(c, env).await? {
                return Ok(true);
            }
            if start.elapsed() >= timeout {
                return Ok(false);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(1));
        }
    }

    async fn mark(&mut self, name: &str) -> StepResult {
        let Some(logcat) = self.logcat.clone() else {
            return Err(Fail::new(
                "cannot mark: the logcat stream is not running".to_string(),
            ));
        };
        let marker = self.dev.mark(&logcat, name).await?;
        self.run.marks.push(evidence::MarkRecord {
            name: name.to_string(),
            t_ms: self.ms(),
            step: self.step.unwrap_or(0),
            logcat_text: marker.text.clone(),
            logcat_seq: marker.seq,
        });
        self.events.emit(&serde_json::json!({
            "event": "mark", "name": name, "t_ms": self.ms(), "logcat": marker.text,
        }));
        let reason = format!("mark-{name}");
        self.snapshots(&reason).await;
        self.look(None).await?;
        if let Some(seen) = self.seen.clone() {
            self.keep(&seen, &reason);
        }
        Ok(())
    }

    /// Stays on the screen for `duration` of device time, answering the
    /// dialogs that come up.
    async fn idle(&mut self, duration: Duration) -> StepResult {
        let real = duration.div_f64(self.opts.time_scale.max(1e-3));
        let end = Instant::now() + real;
        let poll = (real / 10).clamp(Duration::from_millis(100), Duration::from_secs(2));
        let mut last = self.seen.as_ref().map(|s| s.hash);
        while Instant::now() < end {
            self.check_interrupt()?;
            tokio::time::sleep(poll.min(end.saturating_duration_since(Instant::now()))).await;
            let hash = self.picture_hash().await?;
            if Some(hash) != last {
                self.look(None).await?;
                last = self.seen.as_ref().map(|s| s.hash);
            }
        }
        Ok(())
    }

    async fn expect(&mut self, e: &Expectation, env: &Env, index: usize) -> StepResult {
        let pkg = self.opts.package.clone();
        let (check, passed, detail) = match e {
            Expectation::AppRunning(want) => {
                let out = self.dev.shell(&["pidof", &pkg]).await?;
                let running = out.exit == 0 && !out.stdout_text().trim().is_empty();
                (
                    format!("appRunning: {want}"),
                    running == *want,
                    Some(if running {
                        format!("pid {}", out.stdout_text().trim())
                    } else {
                        "no process".into()
                    }),
                )
            }
            Expectation::AppInForeground(want) => {
                let focus = self.dev.focus().await?;
                let front = focus.parsed.foreground_package().map(str::to_string);
                (
                    format!("appInForeground: {want}"),
                    (front.as_deref() == Some(pkg.as_str())) == *want,
                    Some(format!(
                        "in front: {}",
                        front.as_deref().unwrap_or("unknown")
                    )),
                )
            }
            Expectation::Logcat(p) | Expectation::NoLogcat(p) => {
                let want = matches!(e, Expectation::Logcat(_));
                let re = p
                    .regex(env)
                    .map_err(|d| Fail::new(format!("bad pattern: {d}")))?;
                let hit = self.logcat_hit(&re).await;
                (
                    format!(
                        "{}: {:?}",
                        if want { "logcat" } else { "noLogcat" },
                        p.source().as_str()
                    ),
                    hit.is_some() == want,
                    hit,
                )
            }
            Expectation::Visible(s) | Expectation::NotVisible(s) => {
                let want = matches!(e, Expectation::Visible(_));
                let seen = self.current().await?;
                let found = locate(&seen, s, env)?;
                (
                    format!(
                        "{}: {}",
                        if want { "visible" } else { "notVisible" },
                        select::describe(s)
                    ),
                    found.is_some() == want,
                    found.map(|f| format!("found {:?}", f.text)),
                )
            }
            Expectation::ScreenshotMatching { written, path }
            | Expectation::ScreenshotNotMatching { written, path } => {
                let want = matches!(e, Expectation::ScreenshotMatching { .. });
                let seen = self.current().await?;
                let score = image_score(&seen, path)?;
                (
                    format!(
                        "{}: {written}",
                        if want {
                            "screenshotMatching"
                        } else {
                            "screenshotNotMatching"
                        }
                    ),
                    score.is_some() == want,
                    Some(score.unwrap_or_else(|| "no match".to_string())),
                )
            }
        };
        if !passed {
            self.keep_screen("expect").await;
        }
        self.console.expectation(&check, passed, detail.as_deref());
        self.run.expectations.push(ExpectationResult {
            step: index,
            t_ms: self.ms(),
            check,
            passed,
            detail: detail.map(|d| self.dir.redactor.text(&d)),
        });
        Ok(())
    }

    /// The first logcat line of the run matching `re`, from the slice
    /// written so far and the lines still in the buffer.
    async fn logcat_hit(&self, re: &regex::Regex) -> Option<String> {
        use std::io::BufRead;
        // Lines reach the file within the drain period.
        tokio::time::sleep(Duration::from_millis(250)).await;
        let path = self.dir.root().join("logcat.txt");
        let file = std::fs::File::open(path).ok()?;
        std::io::BufReader::new(file)
            .lines()
            .map_while(Result::ok)
            .find(|l| re.is_match(l))
    }
}

fn has_criteria(s: &Selector) -> bool {
    s.role.is_some()
        || s.text.is_some()
        || s.id.is_some()
        || s.enabled.is_some()
        || s.checked.is_some()
        || s.focused.is_some()
        || s.selected.is_some()
        || !s.relations.is_empty()
}

fn bad_pattern(e: &select::SelectError) -> Fail {
    Fail::new(e.to_string())
}

/// The share of an element's area inside the screen.
fn visible_share(f: &Found, (w, h): (u32, u32)) -> f64 {
    let b = f.bounds;
    let area = f64::from((b.right - b.left).max(0)) * f64::from((b.bottom - b.top).max(0));
    if area <= 0.0 {
        return 0.0;
    }
    let clip = |lo: i32, hi: i32, max: u32| {
        let max = i32::try_from(max).unwrap_or(i32::MAX);
        f64::from((hi.min(max) - lo.max(0)).max(0))
    };
    clip(b.left, b.right, w) * clip(b.top, b.bottom, h) / area
}

/// A seen screen's pixels, decoded for a template search.
fn pixels(seen: &Seen) -> Result<image::DynamicImage, Fail> {
    seen.shot
        .image()
        .map(image::DynamicImage::ImageRgba8)
        .map_err(|e| Fail::new(e.to_string()))
}

/// The element a selector finds on a seen screen: in its dump, or for an
/// `image` selector, on its screenshot through `vision`.
pub(crate) fn locate(seen: &Seen, sel: &Selector, env: &Env) -> Result<Option<Found>, Fail> {
    if let Some(img) = &sel.image {
        let index = sel.index.map_or(0, |i| i as usize);
        let hits = super::image::find_image(&pixels(seen)?, img, index + 1)
            .map_err(|e| Fail::new(e.to_string()))?;
        return Ok(hits.into_iter().nth(index));
    }
    select::find_in(&seen.dump.tree, Some(&seen.understanding), sel, env)
        .map_err(|e| bad_pattern(&e))
}

/// Where a template image is on the screen (the threshold and scales of
/// an image selector).
fn image_score(seen: &Seen, template: &std::path::Path) -> Result<Option<String>, Fail> {
    let img = crate::scenario::model::ImageRef {
        written: template.display().to_string(),
        path: template.to_path_buf(),
        threshold: crate::scenario::model::ImageRef::DEFAULT_THRESHOLD,
    };
    let hits =
        super::image::find_image(&pixels(seen)?, &img, 1).map_err(|e| Fail::new(e.to_string()))?;
    Ok(hits.first().map(|f| {
        let b = f.bounds;
        format!(
            "found at {},{} {}x{}",
            b.left,
            b.top,
            b.right - b.left,
            b.bottom - b.top
        )
    }))
}
