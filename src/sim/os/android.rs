//! The Android system state behind the shell: packages and their runtime
//! permissions (with USER_SET/USER_FIXED/ONE_TIME), processes and pids,
//! tasks and back stacks, the system UI (launcher, permission dialog, crash
//! dialog), appops records, exit-info, settings; and what apps do (their
//! effects). Every change logs what the configured release ([`Release`])
//! logs, and the permission dialog answers as that release's does. No I/O
//! and no async here: the device (`mod.rs`) holds this behind a mutex and
//! drives timers.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::clock::{SimClock, SimMillis, parse_span};
use super::dialogs::{self, DialogButton, PermissionPrompt};
use super::logcat::{Buffer, Entry, Logs};
use super::model::{
    AppModel, Contact, EDIT_TEXT, Effect, OnDenial, PROGRESS_BAR, cond_holds, manifest_class,
    scalar_service,
};
use super::perms::{self, ONE_TIME, USER_FIXED, USER_SET};
use super::release::{Release, short_component};
use crate::sim::ui::{Node, Rect, Rgba, Screen, Style, Window};

pub const LAUNCHER: &str = "com.google.android.apps.nexuslauncher";
/// The permission controller of the Android 11 and 14 Google images (the
/// default profile); [`Release::permission_controller`] has every release's.
pub const PERMCTRL: &str = "com.google.android.permissioncontroller";
/// Its resource-id prefix on 11 and 14 ([`Release::permission_id_prefix`]).
pub const PERMCTRL_ID: &str = "com.android.permissioncontroller:id/";
const SYSTEM_PID: u32 = 578;
const PHONE_PID: u32 = 1203;
const SHELL_UID: u32 = 2000;

/// Exit reasons (`ApplicationExitInfo.REASON_*`).
pub const EXIT_SELF: u8 = 1;
pub const APP_CRASH: u8 = 4;
pub const PERMISSION_CHANGE: u8 = 8;
pub const USER_REQUESTED: u8 = 10;
/// `ApplicationExitInfo.REASON_OTHER`: `am kill` ("kill background").
pub const OTHER: u8 = 13;

/// One runtime or install permission of a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Perm {
    pub granted: bool,
    pub flags: u32,
    pub runtime: bool,
}

/// Last access / reject of one op under one `uidstate-flags` key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpKey {
    pub access: Option<SimMillis>,
    pub duration: Option<i64>,
    pub reject: Option<SimMillis>,
}

/// One `ApplicationExitInfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExitInfo {
    pub time: SimMillis,
    pub pid: u32,
    pub process: String,
    pub reason: u8,
    pub status: i32,
    pub importance: u32,
    pub description: String,
}

/// An installed package.
#[derive(Debug, Clone)]
pub struct Pkg {
    pub name: String,
    /// `None` for the built-in system packages.
    pub model: Option<Arc<AppModel>>,
    pub uid: u32,
    pub code_path: String,
    pub installed: SimMillis,
    pub perms: BTreeMap<String, Perm>,
    pub flags: BTreeSet<String>,
    pub checked: BTreeMap<String, bool>,
    pub texts: BTreeMap<String, String>,
    /// Permissions to ask again (on_denial: reask).
    pub nag: BTreeSet<String>,
    /// op → key (`top-s`) → record.
    pub ops: BTreeMap<String, BTreeMap<String, OpKey>>,
    /// `cmd appops set` modes.
    pub op_modes: BTreeMap<String, String>,
    pub exits: Vec<ExitInfo>,
}

impl Pkg {
    pub fn label(&self) -> &str {
        self.model
            .as_ref()
            .map_or(self.name.as_str(), |m| m.label.as_str())
    }
    pub fn system(&self) -> bool {
        self.model.is_none()
    }
}

/// A running process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proc {
    pub pid: u32,
    pub name: String,
    pub pkg: String,
    pub uid: u32,
}

/// An activity task: the app's back stack of screen ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub id: u32,
    pub pkg: String,
    pub stack: Vec<String>,
}

/// A system dialog over the top task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dialog {
    Permission {
        pkg: String,
        /// Remaining groups: (group, permissions of the request in it).
        groups: Vec<(String, Vec<String>)>,
        denied: Vec<String>,
    },
    Crash {
        pkg: String,
    },
}

/// Who starts an activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Launcher {
    Shell,
    Home,
}

/// What a launch did (for `am start -W`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    pub cold: bool,
    pub component: String,
}

/// A timer to start: (pid, package, timer index, period in sim ms).
pub type TimerStart = (u32, String, usize, i64);

/// How the user answered the permission dialog's top group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Allow,
    AllowOneTime,
    Deny,
    DenyForever,
    /// BACK on 11 and 14: the group is skipped, no flag changes.
    Cancel,
}

/// The whole simulated system state.
#[derive(Debug)]
pub struct Android {
    /// The release profile this system behaves as.
    pub release: Release,
    /// Android 9: the dialog's "Don't ask again" checkbox is ticked.
    pub dont_ask_checked: bool,
    pub clock: Arc<SimClock>,
    pub logs: Arc<Logs>,
    pub width: i32,
    pub height: i32,
    pub packages: BTreeMap<String, Pkg>,
    pub procs: BTreeMap<u32, Proc>,
    pub tasks: Vec<Task>,
    pub dialog: Option<Dialog>,
    pub settings: BTreeMap<String, String>,
    next_uid: u32,
    next_pid: u32,
    next_task: u32,
    /// Text field last tapped (package, widget id).
    focus: Option<(String, String)>,
    /// Screencaps differ until then (tap animation).
    pub anim_until: SimMillis,
    pub anim_ms: i64,
    /// Timers the device must start (drained after each operation).
    pub timer_starts: Vec<TimerStart>,
    /// Hosts apps contacted (drained after each operation: the device
    /// writes them to its network capture, if one runs, else drops them).
    pub contacts: Vec<Contact>,
}

fn short_uid(uid: u32) -> String {
    if uid >= 10_000 {
        format!("u0a{}", uid - 10_000)
    } else {
        uid.to_string()
    }
}

/// The colour of a field's hint (Material `textColorHint`, 38 % black on
/// white).
const HINT: Rgba = Rgba([158, 158, 158, 255]);

/// A stable fake hash for `ActivityRecord{…}`-style identities.
pub fn ident(seed: u32) -> String {
    format!("{:07x}", seed.wrapping_mul(2_654_435_761) & 0x0fff_ffff)
}

/// `/data/app/~~XXXX==/com.x-YYYY==` (Android 11+) or
/// `/data/app/com.x-YYYY==` (before) for a package (deterministic).
fn code_path(release: Release, pkg: &str, n: u32) -> String {
    const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ u64::from(n);
    for b in pkg.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut rand = |len: usize| -> String {
        (0..len)
            .map(|_| {
                h ^= h >> 33;
                h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
                h ^= h >> 29;
                #[allow(clippy::cast_possible_truncation)]
                let i = (h % 64) as usize;
                char::from(ALPHA[i])
            })
            .collect()
    };
    let outer = rand(22);
    if release.randomised_code_path() {
        format!("/data/app/~~{outer}==/{pkg}-{}==", rand(22))
    } else {
        format!("/data/app/{pkg}-{outer}==")
    }
}

impl Android {
    /// An Android 14 system (the default profile).
    pub fn new(clock: Arc<SimClock>, logs: Arc<Logs>, width: i32, height: i32) -> Self {
        Self::with_release(Release::default(), clock, logs, width, height)
    }

    /// A system that behaves as this release.
    pub fn with_release(
        release: Release,
        clock: Arc<SimClock>,
        logs: Arc<Logs>,
        width: i32,
        height: i32,
    ) -> Self {
        let mut a = Self {
            release,
            dont_ask_checked: false,
            clock,
            logs,
            width,
            height,
            packages: BTreeMap::new(),
            procs: BTreeMap::new(),
            tasks: Vec::new(),
            dialog: None,
            settings: BTreeMap::new(),
            next_uid: 10_100,
            next_pid: 3100,
            next_task: 40,
            focus: None,
            anim_until: 0,
            anim_ms: 0,
            timer_starts: Vec::new(),
            contacts: Vec::new(),
        };
        for (name, uid, path) in [
            ("android", 1000, "/system/framework/framework-res.apk"),
            (
                "com.android.shell",
                2000,
                "/system/priv-app/Shell/Shell.apk",
            ),
            (
                "com.android.settings",
                1000,
                "/system/priv-app/Settings/Settings.apk",
            ),
            (
                LAUNCHER,
                10_050,
                "/system_ext/priv-app/NexusLauncherRelease/NexusLauncherRelease.apk",
            ),
            (
                release.permission_controller(),
                10_051,
                release.permission_controller_path(),
            ),
        ] {
            a.packages.insert(
                name.to_string(),
                Pkg {
                    name: name.to_string(),
                    model: None,
                    uid,
                    code_path: path.to_string(),
                    installed: a.clock.now(),
                    perms: BTreeMap::new(),
                    flags: BTreeSet::new(),
                    checked: BTreeMap::new(),
                    texts: BTreeMap::new(),
                    nag: BTreeSet::new(),
                    ops: BTreeMap::new(),
                    op_modes: BTreeMap::new(),
                    exits: Vec::new(),
                },
            );
        }
        for (k, v) in [
            ("global:adb_enabled", "1"),
            ("global:development_settings_enabled", "1"),
            ("global:window_animation_scale", "1.0"),
            ("global:transition_animation_scale", "1.0"),
            ("global:animator_duration_scale", "1.0"),
            ("secure:android_id", "5f3e8a1c2b4d6e70"),
            ("system:screen_off_timeout", "60000"),
            ("system:font_scale", "1.0"),
        ] {
            a.settings.insert(k.to_string(), v.to_string());
        }
        a.tasks.push(Task {
            id: 1,
            pkg: LAUNCHER.to_string(),
            stack: Vec::new(),
        });
        a
    }

    /// Makes new pids follow `before`'s, so that no pid of `before` is
    /// given again (used when the state is replaced by a fresh boot's).
    pub fn continue_pids_after(&mut self, before: &Android) {
        self.next_pid = self.next_pid.max(before.next_pid);
    }

    // ---- logging -------------------------------------------------------

    pub fn log(
        &self,
        buffer: Buffer,
        (uid, pid, tid): (u32, u32, u32),
        level: char,
        tag: &str,
        msg: &str,
    ) {
        self.logs.append(Entry {
            seq: 0,
            time: self.clock.now(),
            uid,
            pid,
            tid,
            level,
            tag: tag.to_string(),
            msg: msg.to_string(),
            buffer,
        });
    }

    fn sys(&self, level: char, tag: &str, msg: &str) {
        self.log(Buffer::System, (1000, SYSTEM_PID, 1642), level, tag, msg);
    }

    /// A line of ActivityStarter / ActivityMetricsLogger, whose tag is the
    /// release's (`ActivityManager` on 9, `ActivityTaskManager` after).
    fn task(&self, level: char, msg: &str) {
        self.sys(level, self.release.task_tag(), msg);
    }

    fn event(&self, tag: &str, msg: &str) {
        self.log(Buffer::Events, (1000, SYSTEM_PID, 1642), 'I', tag, msg);
    }

    // ---- packages ------------------------------------------------------

    /// Installs (or replaces, keeping data and permissions) an app.
    pub fn install(&mut self, model: AppModel, grant_all: bool) {
        let name = model.package.clone();
        let now = self.clock.now();
        if self.packages.get(&name).is_some_and(Pkg::system) {
            return;
        }
        if let Some(pid) = self.main_pid(&name) {
            self.kill(pid, USER_REQUESTED, "installPackageLI", false);
        }
        let uid = if let Some(p) = self.packages.get(&name) {
            p.uid
        } else {
            self.next_uid += 1;
            self.next_uid - 1
        };
        let mut perms = self
            .packages
            .get(&name)
            .map(|p| p.perms.clone())
            .unwrap_or_default();
        let release = self.release;
        perms.retain(|k, _| model.permissions.contains(k) && release.has_permission(k));
        for p in model
            .permissions
            .iter()
            .filter(|p| release.has_permission(p))
        {
            let runtime = perms::group_of(p).is_some();
            let e = perms.entry(p.clone()).or_insert(Perm {
                granted: !runtime,
                flags: if runtime {
                    release.initial_runtime_flags()
                } else {
                    0
                },
                runtime,
            });
            if grant_all && runtime {
                e.granted = true;
            }
        }
        let old = self.packages.remove(&name);
        let pkg = Pkg {
            name: name.clone(),
            code_path: old
                .as_ref()
                .map_or_else(|| code_path(release, &name, uid), |o| o.code_path.clone()),
            installed: old.as_ref().map_or(now, |o| o.installed),
            flags: old.as_ref().map(|o| o.flags.clone()).unwrap_or_default(),
            checked: old.as_ref().map(|o| o.checked.clone()).unwrap_or_default(),
            texts: BTreeMap::new(),
            nag: old.as_ref().map(|o| o.nag.clone()).unwrap_or_default(),
            ops: old.as_ref().map(|o| o.ops.clone()).unwrap_or_default(),
            op_modes: old.as_ref().map(|o| o.op_modes.clone()).unwrap_or_default(),
            exits: old.map(|o| o.exits).unwrap_or_default(),
            model: Some(Arc::new(model)),
            uid,
            perms,
        };
        self.packages.insert(name.clone(), pkg);
        self.sys(
            'I',
            "PackageManager",
            &format!("installPackageLI: pkg={name} uid={uid}"),
        );
    }

    pub fn uninstall(&mut self, name: &str) -> bool {
        if self.packages.get(name).is_none_or(Pkg::system) {
            return false;
        }
        self.stop_package(name, USER_REQUESTED, "uninstall pkg", false);
        self.packages.remove(name);
        self.sys(
            'I',
            "PackageManager",
            &format!("Uninstalling package {name}"),
        );
        true
    }

    /// `pm clear`: kills, wipes app data, resets runtime permissions.
    pub fn clear(&mut self, name: &str) -> bool {
        if !self.packages.contains_key(name) {
            return false;
        }
        self.stop_package(name, USER_REQUESTED, "clear data", false);
        let initial = self.release.initial_runtime_flags();
        if let Some(p) = self.packages.get_mut(name) {
            p.flags.clear();
            p.checked.clear();
            p.texts.clear();
            p.nag.clear();
            for perm in p.perms.values_mut().filter(|x| x.runtime) {
                perm.granted = false;
                perm.flags = initial;
            }
        }
        true
    }

    /// `pm grant` / `pm revoke`. Revoking kills the app (PERMISSION CHANGE).
    pub fn set_granted(&mut self, name: &str, perm: &str, granted: bool) -> Result<(), String> {
        let p = self.packages.get_mut(name).ok_or_else(|| {
            format!("java.lang.IllegalArgumentException: Unknown package: {name}")
        })?;
        let Some(entry) = p.perms.get_mut(perm) else {
            return Err(format!(
                "java.lang.SecurityException: Package {name} has not requested permission {perm}"
            ));
        };
        if !entry.runtime {
            return Err(format!(
                "java.lang.SecurityException: Permission {perm} requested by {name} is not a changeable permission type"
            ));
        }
        let was = entry.granted;
        entry.granted = granted;
        if was && !granted && self.main_pid(name).is_some() {
            self.stop_package(name, PERMISSION_CHANGE, "permissions revoked", false);
        }
        Ok(())
    }

    pub fn change_flags(
        &mut self,
        name: &str,
        perm: &str,
        mask: u32,
        set: bool,
    ) -> Result<(), String> {
        let p = self.packages.get_mut(name).ok_or_else(|| {
            format!("java.lang.IllegalArgumentException: Unknown package: {name}")
        })?;
        let entry = p.perms.get_mut(perm).ok_or_else(|| {
            format!("java.lang.IllegalArgumentException: Unknown permission: {perm}")
        })?;
        if set {
            entry.flags |= mask;
        } else {
            entry.flags &= !mask;
        }
        Ok(())
    }

    // ---- processes -----------------------------------------------------

    pub fn main_pid(&self, pkg: &str) -> Option<u32> {
        self.procs.values().find(|p| p.name == pkg).map(|p| p.pid)
    }

    /// Starts the process `PKG` + `suffix` (nothing if it lives) for the
    /// component `class` (a full class name) of the hosting type `hosting`
    /// (`service`, `content provider`, the release's top-activity type):
    /// AMS's `Start proc PID:NAME/UID for TYPE NAME` and `am_proc_start`.
    fn start_process(
        &mut self,
        pkg: &str,
        suffix: &str,
        hosting: &str,
        class: &str,
    ) -> Option<u32> {
        let p = self.packages.get(pkg)?;
        let uid = p.uid;
        let name = format!("{pkg}{suffix}");
        if let Some(pid) = self.procs.values().find(|x| x.name == name).map(|x| x.pid) {
            return Some(pid);
        }
        let pid = self.next_pid;
        self.next_pid += 1 + (pid % 7);
        let comp = self.release.hosting_name(pkg, class);
        self.procs.insert(
            pid,
            Proc {
                pid,
                name: name.clone(),
                pkg: pkg.to_string(),
                uid,
            },
        );
        self.sys(
            'I',
            "ActivityManager",
            &format!(
                "Start proc {pid}:{name}/{} for {hosting} {comp}",
                short_uid(uid)
            ),
        );
        self.event(
            "am_proc_start",
            &format!("[0,{pid},{uid},{name},{hosting},{comp}]"),
        );
        if suffix.is_empty() {
            if let Some(m) = self.packages.get(pkg).and_then(|p| p.model.clone()) {
                for (i, t) in m.timers.iter().enumerate() {
                    if let Some(every) = parse_span(&t.every) {
                        self.timer_starts.push((pid, pkg.to_string(), i, every));
                    }
                }
            }
        }
        Some(pid)
    }

    /// Ends a process. `on_its_own`: the app died by itself (EXIT_SELF,
    /// crash), so ActivityManager prints `has died`.
    fn kill(&mut self, pid: u32, reason: u8, why: &str, on_its_own: bool) {
        let Some(p) = self.procs.remove(&pid) else {
            return;
        };
        let fg = self.foreground_pkg() == p.pkg;
        if on_its_own {
            self.sys(
                'I',
                "ActivityManager",
                &format!(
                    "Process {} (pid {pid}) has died: {}",
                    p.name,
                    self.release.died_state(fg)
                ),
            );
        } else {
            self.sys(
                'I',
                "ActivityManager",
                &format!(
                    "Killing {pid}:{}/{} (adj {}): {why}",
                    p.name,
                    short_uid(p.uid),
                    if fg { 0 } else { 905 }
                ),
            );
        }
        self.event(
            "am_proc_died",
            &format!(
                "[0,{pid},{},{},{}]",
                p.name,
                if fg { 0 } else { 905 },
                if fg { 2 } else { 16 }
            ),
        );
        let now = self.clock.now();
        if let Some(pkg) = self.packages.get_mut(&p.pkg) {
            pkg.exits.insert(
                0,
                ExitInfo {
                    time: now,
                    pid,
                    process: p.name.clone(),
                    reason,
                    status: if reason == EXIT_SELF { 0 } else { 9 },
                    importance: if fg { 100 } else { 400 },
                    description: if on_its_own {
                        String::new()
                    } else {
                        why.to_string()
                    },
                },
            );
            pkg.exits.truncate(16);
        }
    }

    /// Kills every process of a package, its main process first, and
    /// removes its task. `on_its_own`: the app ended itself (exit, crash),
    /// rather than the system or the user stopping it.
    fn stop_package(&mut self, pkg: &str, reason: u8, why: &str, on_its_own: bool) {
        let main = self.main_pid(pkg);
        let others = self
            .procs
            .values()
            .filter(|p| p.pkg == pkg && Some(p.pid) != main)
            .map(|p| p.pid);
        let pids: Vec<u32> = main.into_iter().chain(others).collect();
        for pid in pids {
            self.kill(pid, reason, why, on_its_own);
        }
        self.remove_task(pkg);
    }

    fn remove_task(&mut self, pkg: &str) {
        self.tasks.retain(|t| t.pkg != pkg);
        if matches!(&self.dialog, Some(Dialog::Permission { pkg: p, .. }) if p == pkg) {
            self.dialog = None;
        }
        if self.focus.as_ref().is_some_and(|(p, _)| p == pkg) {
            self.focus = None;
        }
        if !self.tasks.iter().any(|t| t.pkg == LAUNCHER) {
            self.tasks.insert(
                0,
                Task {
                    id: 1,
                    pkg: LAUNCHER.to_string(),
                    stack: Vec::new(),
                },
            );
        }
    }

    /// Pids of processes named exactly `name` (toybox `pidof`).
    pub fn pids_named(&self, name: &str) -> Vec<u32> {
        let mut v: Vec<u32> = self
            .procs
            .values()
            .filter(|p| p.name == name)
            .map(|p| p.pid)
            .collect();
        v.sort_unstable();
        v
    }

    /// `am kill PKG` (`killBackgroundProcesses`): the package's processes
    /// go unless it is in front; its task stays, so a relaunch restores it.
    pub fn kill_background(&mut self, pkg: &str) {
        if self.foreground_pkg() == pkg {
            return;
        }
        let pids: Vec<u32> = self
            .procs
            .values()
            .filter(|p| p.pkg == pkg)
            .map(|p| p.pid)
            .collect();
        for pid in pids {
            self.kill(pid, OTHER, "kill background", false);
        }
    }

    pub fn force_stop(&mut self, pkg: &str) {
        if let Some(p) = self.packages.get(pkg) {
            let appid = p.uid;
            self.sys(
                'I',
                "ActivityManager",
                &format!("Force stopping {pkg} appid={appid} user=0: from pid 4521"),
            );
            self.stop_package(
                pkg,
                USER_REQUESTED,
                &format!("stop {pkg} due to from pid 4521"),
                false,
            );
        }
    }

    // ---- activities ----------------------------------------------------

    pub fn foreground_pkg(&self) -> &str {
        self.tasks.last().map_or(LAUNCHER, |t| t.pkg.as_str())
    }

    pub fn top_task(&self) -> Option<&Task> {
        self.tasks.last()
    }

    /// The screen id the app shows (top of its back stack).
    pub fn current_screen(&self, pkg: &str) -> Option<&str> {
        self.tasks
            .iter()
            .find(|t| t.pkg == pkg)
            .and_then(|t| t.stack.last())
            .map(String::as_str)
    }

    /// Starts an app's launcher activity (cold when no process runs).
    pub fn launch(&mut self, pkg: &str, by: Launcher) -> Result<Launch, String> {
        self.start_activity(
            pkg,
            by,
            "act=android.intent.action.MAIN cat=[android.intent.category.LAUNCHER] flg=0x10200000",
        )
    }

    /// The app and screen a `VIEW` intent for `url` opens: among the
    /// installed apps (only `package` when the intent names one), the
    /// first by package name with a `links` prefix of `url`. There is no
    /// chooser: when several apps match, the first wins.
    pub fn resolve_link(&self, url: &str, package: Option<&str>) -> Option<(String, String)> {
        self.packages
            .values()
            .filter(|p| package.is_none_or(|only| p.name == only))
            .find_map(|p| {
                let m = p.model.as_ref()?;
                Some((p.name.clone(), m.link_target(url)?.to_string()))
            })
    }

    /// Opens a link: starts `pkg` as [`Self::launch`] does (cold or warm),
    /// logging the START line of the `VIEW` intent (`intent`, as
    /// `Intent.toShortString` prints it before `cmp=`), then shows
    /// `screen` on top, as the activity the link starts.
    pub fn open_link(
        &mut self,
        pkg: &str,
        screen: &str,
        intent: &str,
        by: Launcher,
    ) -> Result<Launch, String> {
        let l = self.start_activity(pkg, by, intent)?;
        if self.tasks.iter().any(|t| t.pkg == pkg) {
            self.run_effects(pkg, &[Effect::Goto(screen.to_string())], None, 0);
        }
        Ok(l)
    }

    /// Brings `pkg`'s task to the front (creating it, and the process,
    /// when needed); `intent` is the START line's intent before `cmp=`.
    fn start_activity(&mut self, pkg: &str, by: Launcher, intent: &str) -> Result<Launch, String> {
        let model = self
            .packages
            .get(pkg)
            .and_then(|p| p.model.clone())
            .ok_or_else(|| {
                format!("Activity class {{{pkg}/{pkg}.MainActivity}} does not exist.")
            })?;
        // The shell holds START_ACTIVITIES_FROM_BACKGROUND; the home app
        // is an allowlisted component (AOSP 14's BAL checks).
        let (from_uid, bal) = match by {
            Launcher::Shell => (SHELL_UID, "BAL_ALLOW_PERMISSION"),
            Launcher::Home => (10_050, "BAL_ALLOW_ALLOWLISTED_COMPONENT"),
        };
        let tail = self.release.start_tail(from_uid, bal);
        self.task(
            'I',
            &format!(
                "START u0 {{{intent} cmp={}}}{tail}",
                short_component(&model.package, &model.activity_class())
            ),
        );
        if matches!(self.dialog, Some(Dialog::Crash { .. })) {
            self.dialog = None;
        }
        let cold = self.main_pid(pkg).is_none();
        if cold {
            self.start_process(
                pkg,
                "",
                self.release.top_activity_hosting(),
                &model.activity_class(),
            );
        }
        let existing = self.tasks.iter().position(|t| t.pkg == pkg);
        let new_task = if let Some(i) = existing {
            let t = self.tasks.remove(i);
            let empty = t.stack.is_empty();
            self.tasks.push(t);
            empty
        } else {
            self.next_task += 1;
            self.tasks.push(Task {
                id: self.next_task,
                pkg: pkg.to_string(),
                stack: Vec::new(),
            });
            true
        };
        self.task(
            'I',
            &self.release.displayed_line(
                &short_component(&model.package, &model.activity_class()),
                if cold { 612 } else { 143 },
            ),
        );
        if new_task {
            let effects = model.on_launch.clone();
            self.run_effects(pkg, &effects, None, 0);
            if self.current_screen(pkg).is_none() && self.tasks.iter().any(|t| t.pkg == pkg) {
                if let Some(first) = model.screens.first() {
                    let id = first.id.clone();
                    self.goto(pkg, &id, 0);
                }
            }
        }
        self.reask(pkg);
        Ok(Launch {
            cold,
            component: model.short_component(),
        })
    }

    fn goto(&mut self, pkg: &str, screen: &str, depth: u32) {
        let Some(t) = self.tasks.iter_mut().find(|t| t.pkg == pkg) else {
            return;
        };
        t.stack.push(screen.to_string());
        // The new screen's window takes focus; no field of it is focused.
        self.focus = None;
        let effects = self
            .packages
            .get(pkg)
            .and_then(|p| p.model.as_ref())
            .and_then(|m| m.screen(screen))
            .map(|s| s.on_enter.clone())
            .unwrap_or_default();
        self.run_effects(pkg, &effects, None, depth + 1);
    }

    /// BACK inside an app: pops a screen, or finishes the task to home.
    /// The popped screen is destroyed: what was typed into its fields is
    /// gone (a screen opened again starts empty, as a new activity does).
    fn back(&mut self, pkg: &str) {
        let Some(i) = self.tasks.iter().position(|t| t.pkg == pkg) else {
            return;
        };
        let popped = self.tasks[i].stack.pop();
        self.focus = None;
        if let (Some(id), Some(p)) = (popped, self.packages.get_mut(pkg)) {
            let fields: Vec<String> = p
                .model
                .as_ref()
                .and_then(|m| m.screen(&id))
                .map(|s| {
                    s.widgets
                        .iter()
                        .filter(|w| w.class.as_deref() == Some(EDIT_TEXT))
                        .filter_map(|w| w.id.clone())
                        .collect()
                })
                .unwrap_or_default();
            for f in fields {
                p.texts.remove(&f);
            }
        }
        if self.tasks[i].stack.is_empty() {
            self.tasks.remove(i);
            self.home();
        }
    }

    pub fn home(&mut self) {
        if let Some(i) = self.tasks.iter().position(|t| t.pkg == LAUNCHER) {
            let t = self.tasks.remove(i);
            self.tasks.push(t);
        }
    }

    fn reask(&mut self, pkg: &str) {
        let nag: Vec<String> = self
            .packages
            .get(pkg)
            .map(|p| p.nag.iter().cloned().collect())
            .unwrap_or_default();
        if !nag.is_empty() && self.dialog.is_none() && self.foreground_pkg() == pkg {
            self.request(pkg, &nag);
        }
    }

    // ---- app effects ---------------------------------------------------

    fn uid_state(&self, pkg: &str) -> &'static str {
        if self.foreground_pkg() == pkg {
            "top"
        } else {
            "bg"
        }
    }

    /// Runs effects for an app; `tapped` is the widget id for `toggle`.
    pub fn run_effects(&mut self, pkg: &str, effects: &[Effect], tapped: Option<&str>, depth: u32) {
        if depth > 32 {
            return;
        }
        for e in effects {
            if self.main_pid(pkg).is_none() {
                return; // the app died on an earlier effect
            }
            match e {
                Effect::Goto(s) => {
                    self.goto(pkg, s, depth);
                    self.reask(pkg);
                }
                Effect::Back => {
                    self.back(pkg);
                    self.reask(pkg);
                }
                Effect::Exit => self.app_exit(pkg),
                Effect::Crash(msg) => self.app_crash(pkg, msg),
                Effect::Toggle => {
                    if let (Some(id), Some(p)) = (tapped, self.packages.get_mut(pkg)) {
                        let default = p
                            .model
                            .as_ref()
                            .and_then(|m| {
                                m.screens
                                    .iter()
                                    .flat_map(|s| &s.widgets)
                                    .find(|w| w.id.as_deref() == Some(id))
                            })
                            .is_some_and(|w| w.checked);
                        let v = p.checked.entry(id.to_string()).or_insert(default);
                        *v = !*v;
                    }
                }
                Effect::Request(ps) => self.request(pkg, ps),
                Effect::Login => self.flag(pkg, "logged_in", true),
                Effect::Logout => self.flag(pkg, "logged_in", false),
                Effect::DeleteAccount => {
                    self.flag(pkg, "logged_in", false);
                    self.flag(pkg, "account_deleted", true);
                }
                Effect::Set(f) => self.flag(pkg, f, true),
                Effect::Unset(f) => self.flag(pkg, f, false),
                Effect::Appop(n) => {
                    let state = n
                        .state
                        .clone()
                        .unwrap_or_else(|| self.uid_state(pkg).to_string());
                    let dur = n.duration.as_deref().and_then(parse_span);
                    self.note_op(pkg, &n.op, &state, dur);
                }
                // Android 9 has neither the identifier restriction's log
                // line nor the READ_DEVICE_IDENTIFIERS op (both 10+).
                Effect::ReadIdentifiers if self.release.restricts_identifiers() => {
                    self.log(
                        Buffer::Main,
                        (1001, PHONE_PID, PHONE_PID + 18),
                        'E',
                        "TelephonyPermissions",
                        &format!("reportAccessDeniedToReadIdentifiers:{pkg}:getDeviceId:isPreinstalled=false:isPrivApp=false"),
                    );
                    let state = self.uid_state(pkg).to_string();
                    self.note_op(pkg, "READ_DEVICE_IDENTIFIERS", &state, None);
                }
                Effect::ReadIdentifiers => {}
                Effect::ReadClipboard => {
                    let state = self.uid_state(pkg).to_string();
                    if state == "top" || !self.release.restricts_background_clipboard() {
                        self.note_op(pkg, "READ_CLIPBOARD", &state, None);
                    } else {
                        self.sys('W', "ClipboardService", &format!("Denying clipboard access to {pkg}, application is not in focus nor is it a system service for user 0"));
                        self.record_op(pkg, "READ_CLIPBOARD", &state, false, None);
                    }
                }
                Effect::Log(l) => {
                    let (uid, pid) = (
                        self.packages.get(pkg).map_or(0, |p| p.uid),
                        self.main_pid(pkg).unwrap_or(0),
                    );
                    self.log(
                        Buffer::Main,
                        (uid, pid, pid),
                        l.level.unwrap_or('I'),
                        &l.tag,
                        &l.msg,
                    );
                }
                Effect::StartProcess(suffix) => {
                    let class = manifest_class(pkg, &scalar_service(suffix));
                    self.start_process(pkg, suffix, "service", &class);
                }
                Effect::StartProcessFor(p) => {
                    let class = manifest_class(pkg, p.component.class());
                    self.start_process(pkg, &p.suffix, p.component.hosting_type(), &class);
                }
                Effect::Contact(c) => self.contacts.push(c.clone()),
                Effect::If(c) => {
                    let holds = self
                        .packages
                        .get(pkg)
                        .is_some_and(|p| cond_holds(&c.flag, &p.flags));
                    let branch = if holds {
                        c.then.clone()
                    } else {
                        c.otherwise.clone()
                    };
                    self.run_effects(pkg, &branch, tapped, depth + 1);
                }
            }
        }
    }

    fn flag(&mut self, pkg: &str, f: &str, on: bool) {
        if let Some(p) = self.packages.get_mut(pkg) {
            if on {
                p.flags.insert(f.to_string());
            } else {
                p.flags.remove(f);
            }
        }
    }

    /// Notes an op: Access when allowed, else Reject.
    pub fn note_op(&mut self, pkg: &str, op: &str, state: &str, duration: Option<i64>) {
        let allowed = self.op_allowed(pkg, op, state);
        self.record_op(pkg, op, state, allowed, duration);
    }

    /// The op's mode name for dumps: `allow`, `ignore`, `foreground`, `default`.
    pub fn op_mode(&self, pkg: &str, op: &str) -> String {
        let Some(p) = self.packages.get(pkg) else {
            return "default".into();
        };
        if let Some(m) = p.op_modes.get(op) {
            return m.clone();
        }
        if op == "READ_DEVICE_IDENTIFIERS" {
            return "default".into();
        }
        match perms::op_permission(op) {
            Some(perm) => match p.perms.get(perm) {
                Some(x) if x.granted => {
                    if op.ends_with("LOCATION") || op == "CAMERA" || op == "RECORD_AUDIO" {
                        "foreground".into()
                    } else {
                        "allow".into()
                    }
                }
                _ => "ignore".into(),
            },
            None => "allow".into(),
        }
    }

    fn op_allowed(&self, pkg: &str, op: &str, state: &str) -> bool {
        match self.op_mode(pkg, op).as_str() {
            "allow" => true,
            "foreground" => {
                state == "top" || state == "fg" || op == "FINE_LOCATION" || op == "COARSE_LOCATION"
            }
            _ => false,
        }
    }

    fn record_op(
        &mut self,
        pkg: &str,
        op: &str,
        state: &str,
        allowed: bool,
        duration: Option<i64>,
    ) {
        let now = self.clock.now();
        if let Some(p) = self.packages.get_mut(pkg) {
            let k = p
                .ops
                .entry(op.to_string())
                .or_default()
                .entry(format!("{state}-s"))
                .or_default();
            if allowed {
                k.access = Some(now);
                k.duration = duration;
            } else {
                k.reject = Some(now);
            }
        }
    }

    /// One `requestPermissions` call: logged always, auto-denied for
    /// granted-or-fixed ones, a dialog for the rest.
    pub fn request(&mut self, pkg: &str, wanted: &[String]) {
        let Some(p) = self.packages.get(pkg) else {
            return;
        };
        self.task(
            'I',
            &format!(
                "START u0 {{act=android.content.pm.action.REQUEST_PERMISSIONS pkg={} cmp={} (has extras)}}{}",
                self.release.permission_controller(),
                self.release.grant_component(),
                // The app asks from its visible window.
                self.release.start_tail(p.uid, "BAL_ALLOW_VISIBLE_WINDOW")
            ),
        );
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        let mut denied = Vec::new();
        for perm in wanted {
            let Some(st) = p.perms.get(perm) else {
                denied.push(perm.clone());
                continue;
            };
            if st.granted {
                continue;
            }
            if st.flags & USER_FIXED != 0 || !st.runtime {
                denied.push(perm.clone());
                continue;
            }
            let g = perms::group_of(perm).unwrap_or("OTHER").to_string();
            match groups.iter_mut().find(|(x, _)| *x == g) {
                Some((_, v)) => v.push(perm.clone()),
                None => groups.push((g, vec![perm.clone()])),
            }
        }
        if groups.is_empty() || self.dialog.is_some() {
            if self.dialog.is_some() {
                denied.extend(groups.into_iter().flat_map(|(_, v)| v));
            }
            self.deliver(pkg, &denied);
        } else {
            self.dont_ask_checked = false;
            self.dialog = Some(Dialog::Permission {
                pkg: pkg.to_string(),
                groups,
                denied,
            });
        }
    }

    fn deliver(&mut self, pkg: &str, denied: &[String]) {
        let Some(model) = self.packages.get(pkg).and_then(|p| p.model.clone()) else {
            return;
        };
        if denied.is_empty() {
            if let Some(p) = self.packages.get_mut(pkg) {
                p.nag.clear();
            }
            return;
        }
        match model.on_denial {
            OnDenial::Continue => {}
            OnDenial::Exit => self.app_exit(pkg),
            OnDenial::Crash => {
                self.app_crash(pkg, "java.lang.SecurityException: permission denied");
            }
            OnDenial::Reask => {
                if let Some(p) = self.packages.get_mut(pkg) {
                    p.nag.extend(denied.iter().cloned());
                }
            }
        }
    }

    /// The user answered the top group of the permission dialog; the
    /// flags change as the release's permission controller changes them
    /// (see [`answer_flags`]).
    fn answer(&mut self, answer: Answer) {
        let Some(Dialog::Permission {
            pkg,
            mut groups,
            mut denied,
        }) = self.dialog.take()
        else {
            return;
        };
        if groups.is_empty() {
            return;
        }
        self.dont_ask_checked = false;
        let (_, ps) = groups.remove(0);
        let grant = matches!(answer, Answer::Allow | Answer::AllowOneTime);
        let release = self.release;
        if let Some(p) = self.packages.get_mut(&pkg) {
            for perm in &ps {
                if let Some(st) = p.perms.get_mut(perm) {
                    st.granted = grant || (answer == Answer::Cancel && st.granted);
                    st.flags = answer_flags(release, answer, st.flags);
                }
            }
            if grant {
                p.nag.retain(|n| !ps.contains(n));
            }
        }
        if !grant {
            denied.extend(ps);
        }
        if groups.is_empty() {
            self.deliver(&pkg, &denied);
        } else {
            self.dialog = Some(Dialog::Permission {
                pkg,
                groups,
                denied,
            });
        }
    }

    fn app_exit(&mut self, pkg: &str) {
        if self.main_pid(pkg).is_some() {
            self.stop_package(pkg, EXIT_SELF, "exit", true);
        } else {
            self.remove_task(pkg);
        }
    }

    fn app_crash(&mut self, pkg: &str, msg: &str) {
        let Some(pid) = self.main_pid(pkg) else {
            return;
        };
        let uid = self.packages.get(pkg).map_or(0, |p| p.uid);
        let at = (uid, pid, pid);
        self.log(Buffer::Main, at, 'D', "AndroidRuntime", "Shutting down VM");
        let body = format!(
            "FATAL EXCEPTION: main\nProcess: {pkg}, PID: {pid}\n{msg}\n\tat {pkg}.MainActivity.onClick(MainActivity.java:42)\n\tat android.view.View.performClick(View.java:7659)\n\tat android.os.Handler.handleCallback(Handler.java:959)\n\tat android.os.Looper.loop(Looper.java:337)\n\tat android.app.ActivityThread.main(ActivityThread.java:9015)"
        );
        self.log(Buffer::Crash, at, 'E', "AndroidRuntime", &body);
        self.task(
            'W',
            &format!("  Force finishing activity {pkg}/.MainActivity"),
        );
        self.log(
            Buffer::Main,
            at,
            'I',
            "Process",
            &format!("Sending signal. PID: {pid} SIG: 9"),
        );
        self.stop_package(pkg, APP_CRASH, "crash", true);
        self.dialog = Some(Dialog::Crash {
            pkg: pkg.to_string(),
        });
    }

    /// A timer tick: runs the timer's effects when `pid` still lives.
    /// Returns false when the timer should stop.
    pub fn timer_tick(&mut self, pid: u32, pkg: &str, index: usize) -> bool {
        if !self.procs.contains_key(&pid) {
            return false;
        }
        let Some(t) = self
            .packages
            .get(pkg)
            .and_then(|p| p.model.as_ref())
            .and_then(|m| m.timers.get(index))
            .cloned()
        else {
            return false;
        };
        let ok = t.when.as_deref().is_none_or(|c| {
            self.packages
                .get(pkg)
                .is_some_and(|p| cond_holds(c, &p.flags))
        });
        if ok {
            self.run_effects(pkg, &t.effects, None, 0);
        }
        true
    }

    // ---- input ---------------------------------------------------------

    pub fn tap(&mut self, x: i32, y: i32) {
        let now = self.clock.now();
        self.anim_until = now + self.anim_ms;
        let screen = self.screen(false);
        let Some(node) = screen.hit(x, y).cloned() else {
            return;
        };
        self.activate(&node);
    }

    fn activate(&mut self, node: &Node) {
        let rid = node.resource_id.clone();
        if node.package == self.release.permission_controller() {
            if !node.enabled {
                return;
            }
            match dialogs::dialog_button(self.release, &rid) {
                Some(DialogButton::Allow) => self.answer(Answer::Allow),
                Some(DialogButton::AllowOneTime) => self.answer(Answer::AllowOneTime),
                Some(DialogButton::Deny) => {
                    let forever = self.release.has_dont_ask_checkbox() && self.dont_ask_checked;
                    self.answer(if forever {
                        Answer::DenyForever
                    } else {
                        Answer::Deny
                    });
                }
                Some(DialogButton::DenyForever) => self.answer(Answer::DenyForever),
                Some(DialogButton::DontAskCheckbox) => {
                    self.dont_ask_checked = !self.dont_ask_checked;
                }
                None => {}
            }
            return;
        }
        if rid == "android:id/aerr_close" || rid == "android:id/aerr_app_info" {
            self.dialog = None;
            self.home();
            return;
        }
        if node.package == LAUNCHER {
            let pkg = self
                .packages
                .values()
                .find(|p| !p.system() && p.label() == node.text)
                .map(|p| p.name.clone());
            if let Some(pkg) = pkg {
                let _ = self.launch(&pkg, Launcher::Home);
            }
            return;
        }
        let pkg = node.package.clone();
        let Some(model) = self.packages.get(&pkg).and_then(|p| p.model.clone()) else {
            return;
        };
        let Some(screen_id) = self.current_screen(&pkg).map(str::to_string) else {
            return;
        };
        let Some(screen) = model.screen(&screen_id) else {
            return;
        };
        let short = rid.split_once(":id/").map(|(_, s)| s.to_string());
        let widget = screen
            .widgets
            .iter()
            .enumerate()
            .find(|(i, w)| match (&w.id, &short) {
                (Some(id), Some(s)) => id == s || id.ends_with(&format!(":id/{s}")),
                _ => {
                    node.content_desc == format!("w{i}")
                        || (w.id.is_none() && rid.is_empty() && w.text == node.text)
                }
            });
        let Some((_, w)) = widget else {
            return;
        };
        if w.class.as_deref() == Some(EDIT_TEXT) {
            self.focus = w.id.clone().map(|id| (pkg.clone(), id));
        }
        let effects = w.on_tap.clone();
        let id = w.id.clone();
        self.run_effects(&pkg, &effects, id.as_deref(), 0);
    }

    /// A key press (`input keyevent`). ESCAPE (111) nobody handles, so it
    /// falls back to BACK: `input` injects on the virtual keyboard, whose
    /// key map (AOSP `data/keyboards/Virtual.kcm`) says `key ESCAPE {
    /// base: fallback BACK }`, and `PhoneWindowManager.dispatchUnhandledKey`
    /// sends the fallback. There is no soft keyboard to hide first (see
    /// `dumps::input_method`), so BACK with a focused field navigates.
    ///
    /// In the focused field (see [`Self::text`]) DEL (67) deletes the
    /// character before the cursor, which is always at the end of the
    /// text (typing appends there, and nothing moves it): MOVE_END (123)
    /// leaves it there and FORWARD_DEL (112) has nothing after it to
    /// delete. `TextKeyListener` handles these keys in an `EditText`.
    pub fn key(&mut self, code: u32) {
        self.anim_until = self.clock.now() + self.anim_ms;
        let code = if code == 111 { 4 } else { code };
        match code {
            3 => {
                if matches!(self.dialog, Some(Dialog::Crash { .. })) {
                    self.dialog = None;
                }
                self.home();
            }
            4 => match &self.dialog {
                // BACK on the dialog: Android 9's handler denies (with the
                // checkbox's choice); 11 and 14 cancel the group.
                Some(Dialog::Permission { .. }) => {
                    let answer = match (self.release.has_dont_ask_checkbox(), self.dont_ask_checked)
                    {
                        (true, true) => Answer::DenyForever,
                        (true, false) => Answer::Deny,
                        (false, _) => Answer::Cancel,
                    };
                    self.answer(answer);
                }
                Some(Dialog::Crash { .. }) => self.dialog = None,
                None => {
                    let fg = self.foreground_pkg().to_string();
                    if fg != LAUNCHER {
                        self.back(&fg);
                        self.reask(&fg);
                    }
                }
            },
            67 => {
                if let Some(t) = self.focused_text() {
                    t.pop();
                }
            }
            _ => {}
        }
    }

    /// `input text`: typed into the focused field, if the window holding
    /// it has the input focus (no dialog over it, not in the background).
    pub fn text(&mut self, s: &str) {
        if let Some(t) = self.focused_text() {
            t.push_str(s);
        }
    }

    /// The text of the focused field, if the window holding it has the
    /// input focus: where typed text and DEL go.
    fn focused_text(&mut self) -> Option<&mut String> {
        let (pkg, id) = self.focus.clone()?;
        if self.dialog.is_some() || self.foreground_pkg() != pkg {
            return None;
        }
        Some(self.packages.get_mut(&pkg)?.texts.entry(id).or_default())
    }

    // ---- the screen ----------------------------------------------------

    /// What is on the display; `capture` adds the tap-animation overlay.
    pub fn screen(&self, capture: bool) -> Screen {
        let (w, h) = (self.width, self.height);
        let mut windows = Vec::new();
        let top = self.foreground_pkg().to_string();
        if top == LAUNCHER {
            windows.push(self.launcher_window());
        } else if let Some(win) = self.app_window(&top) {
            windows.push(win);
        }
        match &self.dialog {
            Some(Dialog::Permission { pkg, groups, .. }) => {
                if let Some((g, ps)) = groups.first() {
                    let label = self
                        .packages
                        .get(pkg)
                        .map_or(pkg.as_str(), Pkg::label)
                        .to_string();
                    let denied_before = ps.iter().any(|p| {
                        self.packages
                            .get(pkg)
                            .and_then(|x| x.perms.get(p))
                            .is_some_and(|s| s.flags & USER_SET != 0 && !s.granted)
                    });
                    let message = self.release.group_message(g, &label);
                    windows.push(dialogs::permission_window(
                        self.release,
                        w,
                        h,
                        &PermissionPrompt {
                            message: &message,
                            foreground_only: self.release.has_foreground_buttons()
                                && perms::foreground_only(g),
                            denied_before,
                            dont_ask_checked: self.dont_ask_checked,
                        },
                    ));
                }
            }
            Some(Dialog::Crash { pkg }) => {
                let label = self
                    .packages
                    .get(pkg)
                    .map_or(pkg.as_str(), Pkg::label)
                    .to_string();
                windows.push(dialogs::crash_window(w, &label));
            }
            None => {}
        }
        if capture && self.clock.now() < self.anim_until {
            let left = self.anim_until - self.clock.now();
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let alpha = (left * 160 / self.anim_ms.max(1)).clamp(1, 255) as u8;
            let mut n = Node::container(
                "android.view.View",
                "com.android.systemui",
                Rect::new(0, 0, w, h),
            );
            n.style.background = Rgba([0, 0, 0, alpha]);
            windows.push(Window {
                package: "com.android.systemui".into(),
                title: "ScreenDecorOverlay".into(),
                root: n,
            });
        }
        Screen {
            width: u32::try_from(w).unwrap_or(0),
            height: u32::try_from(h).unwrap_or(0),
            background: Rgba([20, 40, 70, 255]),
            windows,
        }
    }

    fn launcher_window(&self) -> Window {
        let (w, h) = (self.width, self.height);
        let mut root = Node::container(
            "android.widget.FrameLayout",
            LAUNCHER,
            Rect::new(0, 0, w, h),
        );
        let cell_w = w / 4;
        for (i, p) in self.packages.values().filter(|p| !p.system()).enumerate() {
            #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
            let (col, row) = ((i % 4) as i32, (i / 4) as i32);
            let r = Rect::new(
                col * cell_w,
                300 + row * 300,
                (col + 1) * cell_w,
                300 + row * 300 + 260,
            );
            let mut n = Node::container("android.widget.TextView", LAUNCHER, r);
            n.text = p.label().to_string();
            n.content_desc = p.label().to_string();
            n.clickable = true;
            n.long_clickable = true;
            n.focusable = true;
            n.style.text_size = 36.0;
            n.style.foreground = Rgba::WHITE;
            root.children.push(n);
        }
        Window {
            package: LAUNCHER.into(),
            title: format!("{LAUNCHER}/{LAUNCHER}.NexusLauncherActivity"),
            root,
        }
    }

    fn app_window(&self, pkg: &str) -> Option<Window> {
        let p = self.packages.get(pkg)?;
        let m = p.model.as_ref()?;
        let screen = m.screen(self.current_screen(pkg)?)?;
        let (w, h) = (self.width, self.height);
        let mut root = Node::container("android.widget.FrameLayout", pkg, Rect::new(0, 0, w, h));
        root.style.background = Rgba::WHITE;
        let mut content = Node::container(
            "android.widget.LinearLayout",
            pkg,
            Rect::new(0, 120, w, h - 130),
        );
        content.resource_id = "android:id/content".into();
        let mut y = 160;
        for (i, wd) in screen.widgets.iter().enumerate() {
            if let Some(c) = &wd.when {
                if !cond_holds(c, &p.flags) {
                    continue;
                }
            }
            let class = wd.class.clone().unwrap_or_else(|| {
                if wd.checkable {
                    "android.widget.CheckBox".into()
                } else if wd.on_tap.is_empty() {
                    "android.widget.TextView".into()
                } else {
                    "android.widget.Button".into()
                }
            });
            let bounds = if let Some(b) = wd.bounds {
                Rect::new(b[0], b[1], b[2], b[3])
            } else {
                #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
                let lines = (wd.text.chars().count() / 36 + 1) as i32;
                let hh = wd.height.unwrap_or(if class.ends_with("TextView") {
                    50 * lines + 40
                } else {
                    140
                });
                let r = Rect::new(48, y, w - 48, y + hh);
                y += hh + 24;
                r
            };
            let mut n = Node::container(&class, pkg, bounds);
            let field = class == EDIT_TEXT;
            let typed = wd
                .id
                .as_deref()
                .and_then(|id| p.texts.get(id))
                .filter(|t| !field || !t.is_empty());
            // A field's `text` is its hint: `TextView` reports the hint
            // while the field is empty, else the text as displayed (a
            // password's transformation, one dot per character).
            n.text = match typed {
                Some(t) if wd.password => "\u{2022}".repeat(t.chars().count()),
                Some(t) => t.clone(),
                None => wd.text.clone(),
            };
            n.password = wd.password;
            n.resource_id = wd.id.as_ref().map_or_else(String::new, |id| {
                if id.contains(":id/") {
                    id.clone()
                } else {
                    format!("{pkg}:id/{id}")
                }
            });
            n.content_desc = if wd.content_desc.is_empty() && wd.id.is_none() && wd.text.is_empty()
            {
                format!("w{i}")
            } else {
                wd.content_desc.clone()
            };
            n.checkable = wd.checkable;
            n.checked = wd.checkable
                && wd
                    .id
                    .as_ref()
                    .and_then(|id| p.checked.get(id))
                    .copied()
                    .unwrap_or(wd.checked);
            n.clickable = wd
                .clickable
                .unwrap_or(!wd.on_tap.is_empty() || wd.checkable || field);
            n.focusable = n.clickable;
            n.style = Style {
                border: n.clickable,
                background: if class.ends_with("Button") {
                    Rgba([225, 235, 250, 255])
                } else {
                    Rgba::TRANSPARENT
                },
                ..Style::default()
            };
            if field {
                // As real dumps of EditTexts show: long-clickable (text
                // selection), focused once tapped.
                n.long_clickable = true;
                n.focused = self
                    .focus
                    .as_ref()
                    .is_some_and(|(fp, fid)| fp == pkg && wd.id.as_deref() == Some(fid));
                if typed.is_none() {
                    n.style.foreground = HINT;
                }
            }
            if class == PROGRESS_BAR {
                n.animation_ms = Some(self.clock.now());
            }
            content.children.push(n);
        }
        root.children.push(content);
        Some(Window {
            package: pkg.into(),
            title: format!("{pkg}/{}", m.activity_class()),
            root,
        })
    }
}

/// A permission's flags after an answer, as each release's permission
/// controller sets them:
/// - Android 9 (packageinstaller `AppPermissionGroup`): allowing clears
///   `USER_SET` and `USER_FIXED`; denying sets `USER_SET` only; denying
///   with "Don't ask again" ticked sets `USER_FIXED` only.
/// - Android 11 (`AppPermissionGroup` of PermissionController 11):
///   allowing sets `USER_SET` (and `ONE_TIME` for "Only this time");
///   denying sets `USER_SET`; deny-and-don't-ask-again sets `USER_FIXED`
///   and clears `USER_SET`.
/// - Android 14 (`KotlinUtils` of the Permission module): allowing sets
///   `USER_SET` (and `ONE_TIME`); denying sets `USER_SET`;
///   deny-and-don't-ask-again sets `USER_SET|USER_FIXED`.
///
/// Cancelling (BACK on 11 and 14) changes nothing.
pub fn answer_flags(release: Release, answer: Answer, flags: u32) -> u32 {
    let cleared = flags & !(USER_SET | USER_FIXED | ONE_TIME);
    match (release, answer) {
        (_, Answer::Cancel) => flags,
        (Release::Android9, Answer::Allow | Answer::AllowOneTime) => cleared,
        (Release::Android9, Answer::Deny) | (_, Answer::Deny | Answer::Allow) => cleared | USER_SET,
        (_, Answer::AllowOneTime) => cleared | USER_SET | ONE_TIME,
        (Release::Android9 | Release::Android11, Answer::DenyForever) => cleared | USER_FIXED,
        (Release::Android14, Answer::DenyForever) => cleared | USER_SET | USER_FIXED,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use regex::Regex;

    use super::*;
    use crate::android::logcat::{self as parser, Event};
    use crate::sim::os::clock::at;
    use crate::sim::os::logcat::{Format, format_entry, header};

    fn fixture(name: &str) -> AppModel {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/apps")
            .join(format!("{name}.yaml"));
        AppModel::load_file(&path).unwrap_or_else(|e| panic!("{e}"))
    }

    fn model(yaml: &str) -> AppModel {
        AppModel::from_yaml(yaml, Path::new("t.yaml")).unwrap_or_else(|e| panic!("{e}"))
    }

    fn android(release: Release, apps: &[AppModel]) -> Android {
        let clock = Arc::new(SimClock::new(at(2026, 1, 15, 10, 0, 0, 0), 1e-15));
        let mut a = Android::with_release(release, clock, Arc::new(Logs::default()), 1080, 2400);
        for m in apps {
            a.install(m.clone(), false);
        }
        a
    }

    /// The `Start proc` messages and `am_proc_start` payloads logged after
    /// `after`, in order.
    fn starts(a: &Android, after: u64) -> Vec<String> {
        a.logs
            .since(after, &[Buffer::System, Buffer::Events])
            .into_iter()
            .filter(|e| e.msg.starts_with("Start proc ") || e.tag == "am_proc_start")
            .map(|e| {
                if e.tag == "am_proc_start" {
                    format!("am_proc_start: {}", e.msg)
                } else {
                    e.msg
                }
            })
            .collect()
    }

    fn tap_id(a: &mut Android, id: &str) {
        let (x, y) = a
            .screen(false)
            .windows
            .iter()
            .flat_map(|w| w.root.walk())
            .find(|n| n.resource_id == id)
            .map_or_else(|| panic!("no {id} on screen"), |n| n.bounds.center());
        a.tap(x, y);
    }

    /// The messages of a real capture's lines that contain `needle`.
    fn real(file: &str, needle: &str) -> Vec<String> {
        let path = format!(
            "{}/../shared/real-captures/logcat/{file}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        text.lines()
            .filter_map(|l| l.split_once(needle).map(|(_, m)| format!("{needle}{m}")))
            .collect()
    }

    /// `Start proc` for a service or a provider on Android 10+, as the
    /// real Android 14 capture prints them.
    const BRACED: &str = r"^Start proc \d+:[\w.]+(:[\w.]+)?/u0a\d+ for (service|content provider) \{[\w.]+/[\w.$]+\}$";
    /// `am_proc_start` for a service before Android 10, as the 8.1 events
    /// capture prints it (`flattenToShortString`).
    const SHORT_EVENT: &str =
        r"^am_proc_start: \[0,\d+,\d+,[\w.]+(:[\w.]+)?,service,[\w.]+/\.?[\w.$]+\]$";

    #[test]
    fn service_and_provider_starts_have_the_real_captures_shapes() {
        const CAPTURE14: &str = "logcat_threadtime_lineageos21_android14_pixel4_slice.txt";
        let braced = Regex::new(BRACED).expect("regex");
        let real14 = real(CAPTURE14, "Start proc ");
        let real_service = real14.iter().find(|l| l.contains(" for service {"));
        let real_provider = real14
            .iter()
            .find(|l| l.contains(" for content provider {"));
        for l in [real_service, real_provider] {
            let l = l.expect("the capture starts services and providers");
            assert!(braced.is_match(l), "{l}");
        }
        let short = Regex::new(SHORT_EVENT).expect("regex");
        let real9 = real(
            "logcat_events_-v_uid_pixel_android8.1_from_bugreport_slice.txt",
            "am_proc_start: ",
        );
        let real9 = real9
            .iter()
            .find(|l| l.contains(",service,") && l.contains("/."))
            .expect("the capture starts a service");
        assert!(short.is_match(real9), "{real9}");

        let sdk = model(
            "package: com.example.a\nlabel: A\ntype: news\non_launch:\n  - start_process: {suffix: \":pushcore\", service: \".jpush.PushService\"}\n  - start_process: {suffix: \":data\", provider: cn.sdk.DataProvider}\n  - start_process: \":push\"\nscreens:\n  - id: s\n",
        );
        for release in Release::ALL {
            let mut a = android(release, std::slice::from_ref(&sdk));
            let uid = a.packages["com.example.a"].uid;
            let u0a = short_uid(uid);
            let after = a.logs.last_seq();
            a.launch("com.example.a", Launcher::Shell)
                .expect("launches");
            let pid = |name: &str| a.pids_named(name)[0];
            let (core, data, push) = (
                pid("com.example.a:pushcore"),
                pid("com.example.a:data"),
                pid("com.example.a:push"),
            );
            let (svc, prov, scalar) = if release == Release::Android9 {
                (
                    "com.example.a/.jpush.PushService".to_string(),
                    "com.example.a/cn.sdk.DataProvider".to_string(),
                    "com.example.a/.PushService".to_string(),
                )
            } else {
                (
                    "{com.example.a/com.example.a.jpush.PushService}".to_string(),
                    "{com.example.a/cn.sdk.DataProvider}".to_string(),
                    "{com.example.a/com.example.a.PushService}".to_string(),
                )
            };
            let got = starts(&a, after);
            assert_eq!(
                got[2..],
                [
                    format!("Start proc {core}:com.example.a:pushcore/{u0a} for service {svc}"),
                    format!("am_proc_start: [0,{core},{uid},com.example.a:pushcore,service,{svc}]"),
                    format!(
                        "Start proc {data}:com.example.a:data/{u0a} for content provider {prov}"
                    ),
                    format!(
                        "am_proc_start: [0,{data},{uid},com.example.a:data,content provider,{prov}]"
                    ),
                    format!("Start proc {push}:com.example.a:push/{u0a} for service {scalar}"),
                    format!("am_proc_start: [0,{push},{uid},com.example.a:push,service,{scalar}]"),
                ],
                "{release}"
            );
            if release == Release::Android9 {
                assert!(short.is_match(&got[3]), "{}", got[3]);
            } else {
                for l in [&got[2], &got[4], &got[6]] {
                    assert!(braced.is_match(l), "{release}: {l}");
                }
            }
            // the product's parser reads them as process starts, no line unknown
            let entries = a.logs.since(after, &[Buffer::System, Buffer::Events]);
            let mut text = String::new();
            for b in [Buffer::System, Buffer::Events] {
                text.push_str(&header(b));
                for e in entries.iter().filter(|e| e.buffer == b) {
                    text.push_str(&format_entry(e, Format::default()));
                }
            }
            let log = parser::parse(&text);
            assert_eq!(log.summary.unknown, 0, "{text}");
            let reasons: Vec<(String, Option<String>)> = log
                .events()
                .filter_map(|(_, e)| match e {
                    Event::ProcessStart {
                        process, reason, ..
                    } if process.contains(':') => Some((process.clone(), reason.clone())),
                    _ => None,
                })
                .collect();
            let want = |p: &str, r: &str| (format!("com.example.a:{p}"), Some(r.to_string()));
            assert_eq!(
                reasons,
                [
                    want("pushcore", "service"),
                    want("data", "content provider"),
                    want("push", "service"),
                    want("pushcore", "service"),
                    want("data", "content provider"),
                    want("push", "service"),
                ],
                "{release}"
            );
        }
    }

    #[test]
    fn sdkearly_starts_pushcore_before_consent_at_every_cold_start() {
        const PKG: &str = "com.example.sdkearly";
        const CORE: &str = "com.example.sdkearly:pushcore";
        for release in Release::ALL {
            let mut a = android(release, &[fixture("sdkearly")]);
            a.launch(PKG, Launcher::Shell).expect("launches");
            assert_eq!(a.current_screen(PKG), Some("consent"));
            let got = starts(&a, 0);
            assert_eq!(got.len(), 4, "{got:?}");
            assert!(got[2].contains(&format!(":{CORE}/")), "{got:?}");
            assert!(got[2].contains(" for service "), "{got:?}");
            assert!(got[2].contains("jpush.PushService"), "{got:?}");
            tap_id(&mut a, "com.example.sdkearly:id/disagree");
            assert_eq!(a.current_screen(PKG), Some("home"));
            // a warm launch: the process lives, nothing starts
            a.home();
            let seq = a.logs.last_seq();
            a.launch(PKG, Launcher::Shell).expect("launches");
            assert!(starts(&a, seq).is_empty());
            // a cold start after Disagree starts it again
            a.force_stop(PKG);
            let seq = a.logs.last_seq();
            a.launch(PKG, Launcher::Shell).expect("launches");
            assert_eq!(a.current_screen(PKG), Some("home"));
            let again = starts(&a, seq);
            assert_eq!(again.len(), 4, "{again:?}");
            assert!(again[2].contains(&format!(":{CORE}/")), "{again:?}");
            assert_eq!(a.pids_named(CORE).len(), 1);
        }
    }

    #[test]
    fn sdklate_starts_pushcore_only_after_agree() {
        const PKG: &str = "com.example.sdklate";
        const CORE: &str = "com.example.sdklate:pushcore";
        for release in Release::ALL {
            // Disagree: never, not even at the next cold start
            let mut a = android(release, &[fixture("sdklate")]);
            a.launch(PKG, Launcher::Shell).expect("launches");
            assert_eq!(a.current_screen(PKG), Some("consent"));
            tap_id(&mut a, "com.example.sdklate:id/disagree");
            assert_eq!(a.current_screen(PKG), Some("home"));
            a.force_stop(PKG);
            a.launch(PKG, Launcher::Shell).expect("launches");
            assert!(a.pids_named(CORE).is_empty());
            let got = starts(&a, 0);
            assert!(got.iter().all(|l| !l.contains(CORE)), "{release}: {got:?}");
            // Agree: by the tap, then at every cold start
            let mut a = android(release, &[fixture("sdklate")]);
            a.launch(PKG, Launcher::Shell).expect("launches");
            assert!(a.pids_named(CORE).is_empty());
            let seq = a.logs.last_seq();
            tap_id(&mut a, "com.example.sdklate:id/agree");
            assert_eq!(a.current_screen(PKG), Some("home"));
            let got = starts(&a, seq);
            assert_eq!(got.len(), 2, "{got:?}");
            assert!(got[0].contains(&format!(":{CORE}/")), "{got:?}");
            a.force_stop(PKG);
            let seq = a.logs.last_seq();
            a.launch(PKG, Launcher::Shell).expect("launches");
            let got = starts(&a, seq);
            assert_eq!(got.len(), 4, "{got:?}");
            assert!(got[2].contains(&format!(":{CORE}/")), "{got:?}");
        }
    }

    #[test]
    fn the_twins_collect_nothing_and_declare_only_internet() {
        for name in ["sdkearly", "sdklate"] {
            let m = fixture(name);
            assert_eq!(m.permissions, ["android.permission.INTERNET"]);
            let mut a = android(Release::Android14, std::slice::from_ref(&m));
            a.launch(&m.package, Launcher::Shell).expect("launches");
            tap_id(&mut a, &format!("{}:id/agree", m.package));
            tap_id(&mut a, &format!("{}:id/settings", m.package));
            tap_id(&mut a, &format!("{}:id/personalise", m.package));
            assert!(a.packages[&m.package].ops.is_empty(), "{name}");
            assert!(a.dialog.is_none(), "{name}");
            let lines = a.logs.since(0, &[Buffer::Main, Buffer::System]);
            assert!(
                lines.iter().all(|e| !e.msg.contains("REQUEST_PERMISSIONS")
                    && !e.msg.contains("reportAccessDenied")),
                "{name}"
            );
        }
    }
}
