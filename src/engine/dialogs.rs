//! Dialogs are interrupts: every screen the engine reads passes through
//! here first. A system permission dialog is answered as the scenario
//! says (`denyPermissions` / `allowPermissions` from the step on, else the
//! header's `onDialog.permission`), and denied when it says nothing, so it
//! never blocks a run. Crash and ANR dialogs are evidence, closed unless
//! `onDialog.crash` says otherwise. `onDialog.custom` handlers run their
//! commands when their selector shows. Each dialog becomes a
//! [`DialogEvent`] with the step, the time, the answer and whether the
//! step had just tapped the app.

use super::observe::{Seen, Settled};
use super::{Ctx, Fail, SettleOptions};
use crate::device::Device;
use crate::evidence::{DialogEvent, DialogKind};
use crate::scenario::raw::{CrashAnswer, PermissionAnswer};
use crate::screen::{Kind, Purpose, Role};

/// Dialogs answered in a row before the engine gives up (a bundled
/// request shows one per group).
const MAX_DIALOGS: usize = 12;

/// What to do with a permission dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    Allow { foreground: bool },
    Deny { forever: bool },
    Leave,
    Fail,
}

impl<D: Device> Ctx<'_, D> {
    /// Waits for the screen to settle and reads it, answering dialogs.
    pub(crate) async fn look(&mut self, before: Option<u64>) -> Result<Settled, Fail> {
        self.look_with(before, self.opts.settle).await
    }

    pub(crate) async fn look_with(
        &mut self,
        mut before: Option<u64>,
        settle: SettleOptions,
    ) -> Result<Settled, Fail> {
        for _ in 0..MAX_DIALOGS {
            let (seen, settled) = self.obs.look(self.dev, before, settle).await?;
            self.seen = Some(seen.clone());
            if !settled.stable {
                self.note(format!(
                    "the screen was still changing after {} s",
                    settle.timeout.as_secs_f32()
                ));
            }
            if !self.interrupt(&seen).await? {
                return Ok(settled);
            }
            before = Some(seen.hash);
        }
        Err(Fail::new(format!(
            "{MAX_DIALOGS} dialogs in a row: the screen never got back to the app"
        )))
    }

    /// The screen now: the last one read when the picture is unchanged,
    /// else read again.
    pub(crate) async fn current(&mut self) -> Result<Seen, Fail> {
        let hash = match self.obs.fresh_hash() {
            Some(h) => h,
            None => self.obs.picture(self.dev).await?.0,
        };
        if let Some(s) = self.seen.as_ref().filter(|s| s.hash == hash) {
            return Ok(s.clone());
        }
        self.look(None).await?;
        self.seen
            .clone()
            .ok_or_else(|| Fail::new("no screen was read"))
    }

    /// Handles a dialog on `seen`; true when something was done and the
    /// screen should be read again.
    async fn interrupt(&mut self, seen: &Seen) -> Result<bool, Fail> {
        match seen.understanding.kind {
            Kind::PermissionDialog => self.permission_dialog(seen).await,
            Kind::CrashDialog | Kind::AnrDialog => self.error_dialog(seen).await,
            _ => self.custom_dialog(seen).await,
        }
    }

    fn permission_answer(&self, group: Option<&str>) -> (Answer, &'static str) {
        if let Some(p) = &self.policy {
            if p.only.is_empty() || group.is_some_and(|g| p.only.iter().any(|o| o == g)) {
                let a = if p.allow {
                    Answer::Allow {
                        foreground: p.foreground_only,
                    }
                } else {
                    Answer::Deny {
                        forever: p.dont_ask_again,
                    }
                };
                return (a, "policy");
            }
        }
        match self.on_dialog.permission {
            Some(PermissionAnswer::Allow) => (Answer::Allow { foreground: false }, "onDialog"),
            Some(PermissionAnswer::AllowForegroundOnly) => {
                (Answer::Allow { foreground: true }, "onDialog")
            }
            Some(PermissionAnswer::Deny) => (Answer::Deny { forever: false }, "onDialog"),
            Some(PermissionAnswer::DenyAndDontAskAgain) => {
                (Answer::Deny { forever: true }, "onDialog")
            }
            Some(PermissionAnswer::Ignore) => (Answer::Leave, "onDialog"),
            Some(PermissionAnswer::Fail) => (Answer::Fail, "onDialog"),
            None => (Answer::Deny { forever: false }, "default"),
        }
    }

    async fn permission_dialog(&mut self, seen: &Seen) -> Result<bool, Fail> {
        let u = &seen.understanding;
        let group = u.permission.clone();
        let (answer, by) = self.permission_answer(group.as_deref());
        let what = group.as_deref().unwrap_or("a permission");
        let roles: &[Role] = match answer {
            Answer::Allow { foreground: true } => {
                &[Role::AllowForeground, Role::AllowOnce, Role::Allow]
            }
            Answer::Allow { foreground: false } => {
                &[Role::Allow, Role::AllowForeground, Role::AllowOnce]
            }
            Answer::Deny { forever: true } => &[Role::DenyForever, Role::Deny],
            Answer::Deny { forever: false } => &[Role::Deny, Role::DenyForever],
            Answer::Leave | Answer::Fail => &[],
        };
        let name = match answer {
            Answer::Allow { foreground: true } => "allow-foreground",
            Answer::Allow { .. } => "allow",
            Answer::Deny { forever: true } => "deny-forever",
            Answer::Deny { .. } => "deny",
            Answer::Leave => "left",
            Answer::Fail => "failed",
        };
        if answer == Answer::Leave && self.left == Some(seen.hash) {
            return Ok(false);
        }
        self.record_dialog(seen, DialogKind::Permission, name, by);
        match answer {
            Answer::Leave => {
                self.left = Some(seen.hash);
                return Ok(false);
            }
            Answer::Fail => {
                return Err(Fail::new(format!(
                    "a permission dialog asked for {what} and onDialog.permission is `fail`"
                )));
            }
            _ => {}
        }
        // Android 6–9 deny for good with a checkbox, then "Deny" (the
        // checkbox is the dialog's deny-forever control).
        let dont_ask = u.checkboxes.iter().find(|c| c.purpose == Purpose::DontAsk);
        let mut roles = roles;
        if let (Answer::Deny { forever }, Some(b)) = (answer, dont_ask) {
            if b.checked != forever {
                if let Some(bounds) = b.bounds {
                    let (x, y) = bounds.center();
                    self.dev.tap(x, y).await?;
                    self.obs.counters.taps += 1;
                }
            }
            roles = &[Role::Deny];
        }
        let button = roles
            .iter()
            .find_map(|r| u.button(*r))
            .and_then(|b| b.bounds);
        let Some(bounds) = button else {
            return Err(Fail::new(format!(
                "the permission dialog for {what} has no button to {name}"
            )));
        };
        let (x, y) = bounds.center();
        self.dev.tap(x, y).await?;
        self.obs.counters.taps += 1;
        Ok(true)
    }

    async fn error_dialog(&mut self, seen: &Seen) -> Result<bool, Fail> {
        let kind = if seen.understanding.kind == Kind::AnrDialog {
            DialogKind::Anr
        } else {
            DialogKind::Crash
        };
        let (answer, by) = match self.on_dialog.crash {
            Some(CrashAnswer::Fail) => ("failed", "onDialog"),
            Some(CrashAnswer::Ignore) => ("left", "onDialog"),
            Some(CrashAnswer::Close) => ("close", "onDialog"),
            None => ("close", "default"),
        };
        if answer == "left" && self.left == Some(seen.hash) {
            return Ok(false);
        }
        self.record_dialog(seen, kind, answer, by);
        match answer {
            "failed" => Err(Fail::new(format!(
                "{} showed {} dialog and onDialog.crash is `fail`",
                seen.understanding.package,
                if kind == DialogKind::Anr {
                    "an ANR"
                } else {
                    "a crash"
                }
            ))),
            "left" => {
                self.left = Some(seen.hash);
                Ok(false)
            }
            _ => {
                let b = seen
                    .understanding
                    .button(Role::Close)
                    .or_else(|| seen.understanding.buttons.first())
                    .and_then(|b| b.bounds);
                let Some(bounds) = b else {
                    return Err(Fail::new("the crash dialog has no button to close it"));
                };
                let (x, y) = bounds.center();
                self.dev.tap(x, y).await?;
                self.obs.counters.taps += 1;
                Ok(true)
            }
        }
    }

    async fn custom_dialog(&mut self, seen: &Seen) -> Result<bool, Fail> {
        if self.in_handler || self.on_dialog.custom.is_empty() {
            return Ok(false);
        }
        let env = self.env.clone();
        let handlers = self.on_dialog.custom.clone();
        for h in &handlers {
            let hit = super::exec::locate(seen, &h.visible, &env)?;
            let Some(hit) = hit else { continue };
            self.record_dialog(seen, DialogKind::Custom, "handled", "onDialog");
            if let Some(last) = self.run.dialogs.last_mut() {
                last.message = Some(self.dir.redactor.text(&hit.text));
            }
            // The handlers are written in the scenario's header.
            let header_file = std::path::PathBuf::from(&self.run.scenario.file);
            let outer = std::mem::replace(&mut self.file, header_file);
            self.in_handler = true;
            let result = self.steps(&h.commands, &env, self.step).await;
            self.in_handler = false;
            self.file = outer;
            result?;
            return Ok(true);
        }
        Ok(false)
    }

    fn record_dialog(&mut self, seen: &Seen, kind: DialogKind, answer: &str, by: &str) {
        let (png, xml) = self.keep(seen, "dialog");
        let u = &seen.understanding;
        let event = DialogEvent {
            t_ms: self.ms(),
            kind,
            step: self.step,
            // A system dialog that does not name its app is about the app
            // under test (it is the one in front).
            package: u.app_package.clone().unwrap_or_else(|| {
                if kind == DialogKind::Custom || !u.kind.is_system() {
                    u.package.clone()
                } else {
                    self.opts.package.clone()
                }
            }),
            permission: u.permission.clone(),
            message: u.message.as_ref().map(|m| self.dir.redactor.text(m)),
            answer: answer.to_string(),
            by: by.to_string(),
            user_triggered: self.user_tap,
            screenshot: Some(png),
            tree: Some(xml),
        };
        self.console.dialog(&event);
        self.events
            .emit(&serde_json::json!({"event": "dialog", "dialog": event}));
        self.run.dialogs.push(event);
    }
}
