//! Read-only text dumps of the system state in the formats real Android
//! prints, per release ([`Release`]): `pm list packages`, `dumpsys
//! package`, `dumpsys appops` (Android 9's uid-state layout, or the
//! attributed layout of 11+), `cmd appops get`, `dumpsys activity
//! activities` (9's `TaskRecord` form or the 10+ form), `dumpsys window`,
//! `dumpsys activity exit-info` (11+; Android 9 answers it as an unknown
//! command), `dumpsys input_method`. Pure functions of [`Android`].

use std::fmt::Write as _;

use super::android::{Android, Dialog, LAUNCHER, OpKey, Pkg, ident};
use super::clock::{SimMillis, fmt_datetime, fmt_datetime_secs, fmt_duration};
use super::perms;
use super::release::{AppOpsLayout, Release};

/// `pm list packages [-3] [-f]`.
pub fn list_packages(a: &Android, third_party: bool, paths: bool, filter: Option<&str>) -> String {
    let mut out = String::new();
    for p in a.packages.values() {
        if third_party && p.system() || filter.is_some_and(|f| !p.name.contains(f)) {
            continue;
        }
        if paths {
            let apk = if p.system() {
                p.code_path.clone()
            } else {
                format!("{}/base.apk", p.code_path)
            };
            let _ = writeln!(out, "package:{apk}={}", p.name);
        } else {
            let _ = writeln!(out, "package:{}", p.name);
        }
    }
    out
}

fn u0a(uid: u32) -> String {
    if uid >= 10_000 {
        format!("u0a{}", uid - 10_000)
    } else {
        uid.to_string()
    }
}

/// `dumpsys package PKG` (the `Packages:` section).
pub fn package(a: &Android, p: &Pkg) -> String {
    let mut o = String::new();
    let m = p.model.as_ref();
    let _ = writeln!(o, "Packages:");
    let _ = writeln!(o, "  Package [{}] ({}):", p.name, ident(p.uid));
    let _ = writeln!(o, "    userId={}", p.uid);
    let _ = writeln!(o, "    pkg=Package{{{} {}}}", ident(p.uid + 1), p.name);
    let _ = writeln!(o, "    codePath={}", p.code_path);
    let _ = writeln!(o, "    resourcePath={}", p.code_path);
    let _ = writeln!(o, "    primaryCpuAbi={}", a.release.cpu_abi());
    let _ = writeln!(
        o,
        "    versionCode=1 minSdk=24 targetSdk={}",
        a.release.target_sdk()
    );
    let _ = writeln!(
        o,
        "    versionName={}",
        m.map_or("14", |m| m.version.as_str())
    );
    let _ = writeln!(
        o,
        "    flags=[ HAS_CODE ALLOW_CLEAR_USER_DATA ALLOW_BACKUP ]"
    );
    let _ = writeln!(o, "    dataDir=/data/user/0/{}", p.name);
    let _ = writeln!(o, "    timeStamp={}", fmt_datetime_secs(p.installed));
    let _ = writeln!(o, "    firstInstallTime={}", fmt_datetime_secs(p.installed));
    let _ = writeln!(o, "    lastUpdateTime={}", fmt_datetime_secs(p.installed));
    let _ = writeln!(o, "    installerPackageName=com.android.shell");
    if let Some(m) = m {
        let _ = writeln!(o, "    requested permissions:");
        for perm in &m.permissions {
            let _ = writeln!(o, "      {perm}");
        }
    }
    let _ = writeln!(o, "    install permissions:");
    for (name, st) in p.perms.iter().filter(|(_, s)| !s.runtime) {
        let _ = writeln!(o, "      {name}: granted={}", st.granted);
    }
    let running = a.main_pid(&p.name).is_some();
    // `distractionFlags` came with Android 10 (absent from the 8.1 capture).
    let distraction = if a.release == Release::Android9 {
        ""
    } else {
        " distractionFlags=0"
    };
    let _ = writeln!(
        o,
        "    User 0: ceDataInode={} installed=true hidden=false suspended=false{distraction} stopped={} notLaunched=false enabled=0 instant=false virtual=false",
        40_000 + p.uid,
        !running
    );
    let _ = writeln!(o, "      gids=[3003]");
    let _ = writeln!(o, "      runtime permissions:");
    for (name, st) in p.perms.iter().filter(|(_, s)| s.runtime) {
        let _ = writeln!(
            o,
            "        {name}: granted={}{}",
            st.granted,
            perms::flags_suffix(a.release, st.flags)
        );
    }
    o
}

fn pkg_uid_state(a: &Android, p: &Pkg) -> &'static str {
    if a.foreground_pkg() == p.name {
        "top"
    } else if a.main_pid(&p.name).is_some() {
        "bg"
    } else {
        "cch"
    }
}

/// `dumpsys appops [--package PKG]` in the release's layout.
pub fn appops(a: &Android, only: Option<&str>) -> String {
    let (top, fgs, bg) = a.release.appops_settle_times();
    let mut o = format!(
        "Current AppOps Service state:\n  Settings:\n    top_state_settle_time={}\n    fg_service_state_settle_time={}\n    bg_state_settle_time={}\n\n",
        fmt_duration(top),
        fmt_duration(fgs),
        fmt_duration(bg)
    );
    for p in a.packages.values() {
        if only.is_some_and(|x| x != p.name) || p.ops.is_empty() && p.op_modes.is_empty() {
            continue;
        }
        match a.release.appops_layout() {
            AppOpsLayout::Attributed => appops_attributed(&mut o, a, p),
            AppOpsLayout::UidStates => appops_uid_states(&mut o, a, p),
        }
    }
    o
}

/// The ops of a package, sorted (noted ones and `cmd appops set` ones).
fn op_names(p: &Pkg) -> Vec<&String> {
    let mut names: Vec<&String> = p.ops.keys().chain(p.op_modes.keys()).collect();
    names.sort();
    names.dedup();
    names
}

/// Android 11+ (`AppOpsService.dumpStatesLocked`): per attribution tag
/// `null=[`, `Access: [top-s] DATE (-REL) duration=+D`, `Reject:
/// [top-s]DATE (-REL)` (no blank after the key, as AOSP prints it).
fn appops_attributed(o: &mut String, a: &Android, p: &Pkg) {
    let now = a.clock.now();
    let top = pkg_uid_state(a, p) == "top";
    let _ = writeln!(o, "  Uid {}:", u0a(p.uid));
    let _ = writeln!(o, "    state={}", pkg_uid_state(a, p));
    let _ = writeln!(o, "    capability={}", a.release.capability(top));
    let _ = writeln!(o, "    appWidgetVisible=false");
    let _ = writeln!(o, "    Package {}:", p.name);
    for op in op_names(p) {
        let _ = writeln!(o, "      {op} ({}): ", a.op_mode(&p.name, op));
        let Some(keys) = p.ops.get(op) else {
            continue;
        };
        let _ = writeln!(o, "        null=[");
        for (key, r) in keys {
            if let Some(t) = r.access {
                let dur = r
                    .duration
                    .map_or_else(String::new, |d| format!(" duration={}", fmt_duration(d)));
                let _ = writeln!(
                    o,
                    "          Access: [{key}] {} ({}){dur}",
                    fmt_datetime(t),
                    fmt_duration(t - now)
                );
            }
            if let Some(t) = r.reject {
                let _ = writeln!(
                    o,
                    "          Reject: [{key}]{} ({})",
                    fmt_datetime(t),
                    fmt_duration(t - now)
                );
            }
        }
        let _ = writeln!(o, "        ]");
    }
}

/// `AppOpsService.UID_STATE_NAMES` of Android 9, padded to five columns,
/// in the order `dumpTimesLocked` walks them.
const PIE_UID_STATES: [(&str, &str); 6] = [
    ("pers", "pers "),
    ("top", "top  "),
    ("fgsvc", "fgsvc"),
    ("fg", "fg   "),
    ("bg", "bg   "),
    ("cch", "cch  "),
];

/// The uid state of a `top-s` key.
fn key_state(key: &str) -> &str {
    key.split_once('-').map_or(key, |(s, _)| s)
}

/// The latest access of an op over all its keys, with its duration.
fn latest_access(
    keys: &std::collections::BTreeMap<String, OpKey>,
) -> Option<(SimMillis, Option<i64>)> {
    keys.values()
        .filter_map(|k| k.access.map(|t| (t, k.duration)))
        .max_by_key(|x| x.0)
}

/// Android 9 (`AppOpsService.dump` and `dumpTimesLocked` at pie): per op
/// `Access: top   = DATE (-REL)` for the first uid state, the next states
/// indented under it without the label, the same for `Reject:`, then the
/// op's single `duration=` line.
fn appops_uid_states(o: &mut String, a: &Android, p: &Pkg) {
    let now = a.clock.now();
    let state = pkg_uid_state(a, p);
    let padded = PIE_UID_STATES
        .iter()
        .find(|(s, _)| *s == state)
        .map_or(state, |(_, padded)| *padded);
    let _ = writeln!(o, "  Uid {}:", u0a(p.uid));
    let _ = writeln!(o, "    state={padded}");
    let _ = writeln!(o, "    Package {}:", p.name);
    for op in op_names(p) {
        let _ = writeln!(o, "      {op} ({}): ", a.op_mode(&p.name, op));
        let Some(keys) = p.ops.get(op) else {
            continue;
        };
        let times = |pick: fn(&OpKey) -> Option<SimMillis>| -> Vec<(&'static str, SimMillis)> {
            PIE_UID_STATES
                .iter()
                .filter_map(|(s, padded)| {
                    keys.iter()
                        .filter(|(k, _)| key_state(k) == *s)
                        .filter_map(|(_, r)| pick(r))
                        .max()
                        .map(|t| (*padded, t))
                })
                .collect()
        };
        for (label, list) in [
            ("Access: ", times(|r| r.access)),
            ("Reject: ", times(|r| r.reject)),
        ] {
            for (i, (padded, t)) in list.iter().enumerate() {
                let lead = if i == 0 { label } else { "        " };
                let _ = writeln!(
                    o,
                    "          {lead}{padded} = {} ({})",
                    fmt_datetime(*t),
                    fmt_duration(t - now)
                );
            }
        }
        if let Some((_, Some(d))) = latest_access(keys) {
            if d != 0 {
                let _ = writeln!(o, "          duration={}", fmt_duration(d));
            }
        }
    }
}

/// `cmd appops get PKG`.
pub fn appops_get(a: &Android, p: &Pkg) -> String {
    let now = a.clock.now();
    let mut o = String::new();
    let names = op_names(p);
    if names.is_empty() {
        return "No operations.\n".into();
    }
    // `time=`, then `rejectTime=`, then `duration=`, as the shell command
    // of Android 9 and 11 prints them.
    for op in names {
        let mut line = format!("{op}: {}", a.op_mode(&p.name, op));
        if let Some(keys) = p.ops.get(op) {
            let latest = latest_access(keys);
            if let Some((t, _)) = latest {
                let _ = write!(line, "; time={} ago", fmt_duration(now - t));
            }
            if let Some(t) = keys.values().filter_map(|k| k.reject).max() {
                let _ = write!(line, "; rejectTime={} ago", fmt_duration(now - t));
            }
            if let Some((_, Some(d))) = latest {
                let _ = write!(line, "; duration={}", fmt_duration(d));
            }
        }
        o.push_str(&line);
        o.push('\n');
    }
    o
}

fn record(a: &Android, pkg: &str, task: u32) -> String {
    let comp = a
        .packages
        .get(pkg)
        .and_then(|p| p.model.as_ref())
        .map_or_else(
            || format!("{LAUNCHER}/.NexusLauncherActivity"),
            |m| m.short_component(),
        );
    format!(
        "ActivityRecord{{{} u0 {comp} t{task}}}",
        ident(task * 7 + 3)
    )
}

/// `dumpsys activity activities`.
pub fn activities(a: &Android) -> String {
    if !a.release.has_top_resumed() {
        return activities_task_records(a);
    }
    let mut o = String::from(
        "ACTIVITY MANAGER ACTIVITIES (dumpsys activity activities)\nDisplay #0 (activities from top to bottom):\n",
    );
    let top = a.top_task().map(|t| t.id);
    for t in a.tasks.iter().rev() {
        let uid = a.packages.get(&t.pkg).map_or(1000, |p| p.uid);
        let visible = Some(t.id) == top;
        let _ = writeln!(
            o,
            "  * Task{{{} #{} type={} A={uid}:{} U=0 visible={visible} visibleRequested={visible} mode=fullscreen translucent=false sz=1}}",
            ident(t.id),
            t.id,
            if t.pkg == LAUNCHER {
                "home"
            } else {
                "standard"
            },
            t.pkg
        );
        let rec = record(a, &t.pkg, t.id);
        if visible {
            let _ = writeln!(o, "    topResumedActivity={rec}");
            let _ = writeln!(o, "    mResumedActivity: {rec}");
        } else {
            let _ = writeln!(o, "    mLastPausedActivity: {rec}");
        }
        let _ = writeln!(o, "    * Hist  #0: {rec}");
        let _ = writeln!(o, "      packageName={} processName={}", t.pkg, t.pkg);
        if let Some(pid) = a.main_pid(&t.pkg) {
            let _ = writeln!(
                o,
                "      app=ProcessRecord{{{} {pid}:{}/{}}}",
                ident(pid),
                t.pkg,
                u0a(uid)
            );
        }
        let _ = writeln!(
            o,
            "      state={}",
            if visible { "RESUMED" } else { "STOPPED" }
        );
        o.push('\n');
    }
    if let Some(t) = a.top_task() {
        let rec = record(a, &t.pkg, t.id);
        let _ = writeln!(
            o,
            "  Resumed activities in task display areas (from top to bottom):"
        );
        let _ = writeln!(o, "    Resumed: {rec}\n");
        let _ = writeln!(o, "  ResumedActivity: {rec}");
    }
    o
}

/// Android 9's `dumpsys activity activities` (before `topResumedActivity`
/// and `Task{...}`): one `Stack #N` per task with its `TaskRecord{...}`,
/// the history, `Running activities`, `mResumedActivity:` in the visible
/// stack, then `ResumedActivity:` (AMS `dumpActivitiesLocked` at pie).
fn activities_task_records(a: &Android) -> String {
    let mut o = String::from(
        "ACTIVITY MANAGER ACTIVITIES (dumpsys activity activities)\nDisplay #0 (activities from top to bottom):\n",
    );
    let top = a.top_task().map(|t| t.id);
    for t in a.tasks.iter().rev() {
        let uid = a.packages.get(&t.pkg).map_or(1000, |p| p.uid);
        let visible = Some(t.id) == top;
        let home = t.pkg == LAUNCHER;
        let rec = record(a, &t.pkg, t.id);
        let task = format!(
            "TaskRecord{{{} #{} {}={} U=0 StackId={} sz=1}}",
            ident(t.id + 5),
            t.id,
            if home { "I" } else { "A" },
            if home {
                format!("{LAUNCHER}/.NexusLauncherActivity")
            } else {
                t.pkg.clone()
            },
            t.id
        );
        let _ = writeln!(
            o,
            "  Stack #{}: type={} mode=fullscreen",
            t.id,
            if home { "home" } else { "standard" }
        );
        let _ = writeln!(o, "  isSleeping=false");
        let _ = writeln!(o, "  mBounds=Rect(0, 0 - 0, 0)");
        let _ = writeln!(o, "    Task id #{}", t.id);
        let _ = writeln!(o, "    mBounds=Rect(0, 0 - 0, 0)");
        let _ = writeln!(o, "    * {task}");
        let _ = writeln!(
            o,
            "      userId=0 effectiveUid={} mCallingUid=2000 mUserSetupComplete=true mCallingPackage=null",
            u0a(uid)
        );
        let _ = writeln!(o, "      * Hist #0: {rec}");
        let _ = writeln!(o, "          packageName={} processName={}", t.pkg, t.pkg);
        if let Some(pid) = a.main_pid(&t.pkg) {
            let _ = writeln!(
                o,
                "          app=ProcessRecord{{{} {pid}:{}/{}}}",
                ident(pid),
                t.pkg,
                u0a(uid)
            );
        }
        let _ = writeln!(o, "\n    Running activities (most recent first):");
        let _ = writeln!(o, "      {task}");
        let _ = writeln!(o, "        Run #0: {rec}");
        if visible {
            let _ = writeln!(o, "\n    mResumedActivity: {rec}");
        } else {
            let _ = writeln!(o, "\n    mLastPausedActivity: {rec}");
        }
        o.push('\n');
    }
    if let Some(t) = a.top_task() {
        let _ = writeln!(o, "  ResumedActivity: {}", record(a, &t.pkg, t.id));
    }
    o
}

/// The focused window's name, as `mCurrentFocus` shows it.
fn focus_window(a: &Android) -> String {
    match &a.dialog {
        Some(Dialog::Permission { .. }) => format!(
            "{}/{}",
            a.release.permission_controller(),
            a.release.grant_activity()
        ),
        Some(Dialog::Crash { pkg }) => {
            format!(
                "Application Error: {}",
                a.packages.get(pkg).map_or(pkg.as_str(), Pkg::label)
            )
        }
        None => {
            let fg = a.foreground_pkg();
            match a.packages.get(fg).and_then(|p| p.model.as_ref()) {
                Some(m) => format!("{fg}/{}", m.activity_class()),
                None => format!("{LAUNCHER}/{LAUNCHER}.NexusLauncherActivity"),
            }
        }
    }
}

/// `dumpsys input_method` (the parts that matter): the IME and whether
/// its window is shown. The device behaves as an emulator with a hardware
/// keyboard (`hw.keyboard=yes`, `show_ime_with_hard_keyboard` off), so
/// the soft keyboard never shows: `mInputShown=false` whatever is
/// focused. Lines as `InputMethodManagerService.dump` prints them: 9 and
/// 11 on one line (`mShowRequested=… mInputShown=…`, crDroid 11); 14
/// through `ImeVisibilityStateComputer.dump`, whose first line has one
/// leading blank (AOSP 14).
pub fn input_method(a: &Android) -> String {
    let mut o = String::from("Current Input Method Manager state:\n");
    o.push_str(
        "  mCurMethodId=com.google.android.inputmethod.latin/com.android.inputmethod.latin.LatinIME\n",
    );
    if a.release == Release::Android14 {
        o.push_str(" mRequestedShowExplicitly=false mShowForced=false\n");
        o.push_str("  mImeHiddenByDisplayPolicy=false\n");
        o.push_str("  mInputShown=false\n");
    } else {
        o.push_str(
            "  mShowRequested=false mShowExplicitlyRequested=false mShowForced=false mInputShown=false\n",
        );
    }
    o.push_str("  mInFullscreenMode=false\n");
    o.push_str("  mSystemReady=true mInteractive=true\n");
    o
}

/// `dumpsys window` (the parts that matter).
pub fn window(a: &Android) -> String {
    let mut o = String::from("WINDOW MANAGER WINDOWS (dumpsys window windows)\n");
    let _ = writeln!(
        o,
        "  Window #0 Window{{{} u0 {}}}:",
        ident(99),
        focus_window(a)
    );
    o.push('\n');
    let _ = writeln!(
        o,
        "  mCurrentFocus=Window{{{} u0 {}}}",
        ident(99),
        focus_window(a)
    );
    if let Some(t) = a.top_task() {
        let rec = record(a, &t.pkg, t.id);
        if a.release.has_top_resumed() {
            let _ = writeln!(o, "  mFocusedApp={rec}");
        } else {
            // Android 8.1/9: `AppWindowToken{... token=Token{... ActivityRecord{...}}}`.
            let _ = writeln!(
                o,
                "  mFocusedApp=AppWindowToken{{{} token=Token{{{} {rec}}}}}",
                ident(t.id + 11),
                ident(t.id + 13)
            );
        }
    }
    o
}

/// `ApplicationExitInfo.reasonCodeToString`.
pub fn reason_name(r: u8) -> &'static str {
    match r {
        1 => "EXIT_SELF",
        2 => "SIGNALED",
        3 => "LOW_MEMORY",
        4 => "APP CRASH(EXCEPTION)",
        5 => "APP CRASH(NATIVE)",
        6 => "ANR",
        7 => "INITIALIZATION FAILURE",
        8 => "PERMISSION CHANGE",
        9 => "EXCESSIVE RESOURCE USAGE",
        10 => "USER REQUESTED",
        11 => "USER STOPPED",
        12 => "DEPENDENCY DIED",
        13 => "OTHER KILLS BY APP",
        _ => "UNKNOWN",
    }
}

/// What `dumpsys activity CMD` prints on Android 9 for a command it does
/// not know (`exit-info` came with 11): `ShellCommand.handleDefaultCommands`
/// prints `Unknown command:`, then AMS `doDump` its two lines.
pub fn unknown_activity_command(cmd: &str) -> String {
    format!(
        "Unknown command: {cmd}\nBad activity command, or no activities match: {cmd}\nUse -h for help.\n"
    )
}

/// `dumpsys activity exit-info [PKG]` (AppExitInfoTracker layout, 11+;
/// on Android 9 the unknown-command answer).
pub fn exit_info(a: &Android, only: Option<&str>) -> String {
    if !a.release.has_exit_info() {
        return unknown_activity_command("exit-info");
    }
    let mut o = String::from("ACTIVITY MANAGER PROCESS EXIT INFO (dumpsys activity exit-info)\n");
    let _ = writeln!(
        o,
        "Last Timestamp of Persistence Into Persistent Storage: {}",
        fmt_datetime(a.clock.now())
    );
    for p in a.packages.values() {
        if only.is_some_and(|x| x != p.name) || p.exits.is_empty() {
            continue;
        }
        let _ = writeln!(o, "  package: {}", p.name);
        let _ = writeln!(o, "    Historical Process Exit for uid={}", p.uid);
        for (i, e) in p.exits.iter().enumerate() {
            let _ = writeln!(o, "      ApplicationExitInfo #{i}:");
            let _ = writeln!(
                o,
                "        timestamp={} pid={} realUid={} packageUid={} definingUid={} user=0",
                fmt_datetime(e.time),
                e.pid,
                p.uid,
                p.uid,
                p.uid
            );
            let _ = writeln!(
                o,
                "        process={} reason={} ({}) subreason=0 (UNKNOWN) status={}",
                e.process,
                e.reason,
                reason_name(e.reason),
                e.status
            );
            let desc = if e.description.is_empty() {
                "null"
            } else {
                e.description.as_str()
            };
            let _ = writeln!(
                o,
                "        importance={} pss=0.00 rss=0.00 description={desc} state=empty trace=null",
                e.importance
            );
        }
    }
    o
}
