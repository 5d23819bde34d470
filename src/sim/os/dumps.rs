//! Read-only text dumps of the system state in the formats real Android
//! prints: `pm list packages`, `dumpsys package`, `dumpsys appops` (Android
//! 13 style), `cmd appops get`, `dumpsys activity activities`, `dumpsys
//! window`, `dumpsys activity exit-info`. Pure functions of [`Android`].

use std::fmt::Write as _;

use super::android::{Android, Dialog, LAUNCHER, PERMCTRL, Pkg, ident};
use super::clock::{fmt_datetime, fmt_datetime_secs, fmt_duration};
use super::perms;

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
    let _ = writeln!(o, "    primaryCpuAbi=x86_64");
    let _ = writeln!(o, "    versionCode=1 minSdk=24 targetSdk=34");
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
    let _ = writeln!(
        o,
        "    User 0: ceDataInode={} installed=true hidden=false suspended=false distractionFlags=0 stopped={} notLaunched=false enabled=0 instant=false virtual=false",
        40_000 + p.uid,
        !running
    );
    let _ = writeln!(o, "      gids=[3003]");
    let _ = writeln!(o, "      runtime permissions:");
    for (name, st) in p.perms.iter().filter(|(_, s)| s.runtime) {
        let _ = writeln!(
            o,
            "        {name}: granted={}, flags={}",
            st.granted,
            perms::flags_string(st.flags)
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

/// `dumpsys appops [--package PKG]`, Android 13 layout.
pub fn appops(a: &Android, only: Option<&str>) -> String {
    let now = a.clock.now();
    let mut o = String::from(
        "Current AppOps Service state:\n  Settings:\n    top_state_settle_time=+5s0ms\n    fg_service_state_settle_time=+5s0ms\n    bg_state_settle_time=+1s0ms\n\n",
    );
    for p in a.packages.values() {
        if only.is_some_and(|x| x != p.name) || p.ops.is_empty() && p.op_modes.is_empty() {
            continue;
        }
        let _ = writeln!(o, "  Uid {}:", u0a(p.uid));
        let _ = writeln!(o, "    state={}", pkg_uid_state(a, p));
        let _ = writeln!(o, "    capability=LCMN");
        let _ = writeln!(o, "    appWidgetVisible=false");
        let _ = writeln!(o, "    Package {}:", p.name);
        let mut names: Vec<&String> = p.ops.keys().chain(p.op_modes.keys()).collect();
        names.sort();
        names.dedup();
        for op in names {
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
    o
}

/// `cmd appops get PKG`.
pub fn appops_get(a: &Android, p: &Pkg) -> String {
    let now = a.clock.now();
    let mut o = String::new();
    let mut names: Vec<&String> = p.ops.keys().chain(p.op_modes.keys()).collect();
    names.sort();
    names.dedup();
    if names.is_empty() {
        return "No operations.\n".into();
    }
    for op in names {
        let mut line = format!("{op}: {}", a.op_mode(&p.name, op));
        if let Some(keys) = p.ops.get(op) {
            if let Some((t, d)) = keys
                .values()
                .filter_map(|k| k.access.map(|t| (t, k.duration)))
                .max_by_key(|x| x.0)
            {
                let _ = write!(line, "; time={} ago", fmt_duration(now - t));
                if let Some(d) = d {
                    let _ = write!(line, "; duration={}", fmt_duration(d));
                }
            }
            if let Some(t) = keys.values().filter_map(|k| k.reject).max() {
                let _ = write!(line, "; rejectTime={} ago", fmt_duration(now - t));
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

/// The focused window's name, as `mCurrentFocus` shows it.
fn focus_window(a: &Android) -> String {
    match &a.dialog {
        Some(Dialog::Permission { .. }) => format!(
            "{PERMCTRL}/com.android.permissioncontroller.permission.ui.GrantPermissionsActivity"
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
        let _ = writeln!(o, "  mFocusedApp={}", record(a, &t.pkg, t.id));
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

/// `dumpsys activity exit-info [PKG]` (AppExitInfoTracker layout).
pub fn exit_info(a: &Android, only: Option<&str>) -> String {
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
