//! Android release profiles: what the simulated device does differently
//! as a Google emulator image of Android 9, 11 or 14. This file owns the
//! per-release facts (build properties, the permission dialog's package,
//! ids and texts, logcat tags and line shapes, which dump layouts and
//! flags exist); the model (`android.rs`), the dialogs (`dialogs.rs`) and
//! the dumps (`dumps.rs`) ask it instead of hard-coding one release. Pure
//! data and string formatting, no state.
//!
//! Where each fact comes from is listed in `docs/simulator.md`.

use std::fmt;
use std::str::FromStr;

/// One Android release the simulator can behave as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Release {
    /// Android 9 (Pie, API 28): `com.android.packageinstaller`, tag
    /// `ActivityManager`, the old appops dump, no exit-info.
    Android9,
    /// Android 11 (API 30): the Google permission controller with "Deny"
    /// and one-time grants, tag `ActivityTaskManager`, attributed appops.
    Android11,
    /// Android 14 (API 34): what the simulator has always been.
    #[default]
    Android14,
}

/// The appops dump generations the simulator prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppOpsLayout {
    /// Android 9/10: `Access: top   = 2019-… (-1m)` per uid state, the
    /// op's `duration=` on a line of its own.
    UidStates,
    /// Android 11+: `null=[` attribution blocks with `Access: [top-s] …`.
    Attributed,
}

/// A `--android` value that names no profile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no Android {0} profile (the simulator has 9, 11 and 14)")]
pub struct UnknownRelease(pub String);

impl Release {
    /// Every profile, oldest first.
    pub const ALL: [Release; 3] = [Release::Android9, Release::Android11, Release::Android14];

    /// The major version (9, 11, 14).
    pub fn version(self) -> u32 {
        match self {
            Release::Android9 => 9,
            Release::Android11 => 11,
            Release::Android14 => 14,
        }
    }

    /// The profile of a major version.
    pub fn from_version(version: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.version() == version)
    }

    /// `ro.build.version.sdk`.
    pub fn sdk(self) -> u32 {
        match self {
            Release::Android9 => 28,
            Release::Android11 => 30,
            Release::Android14 => 34,
        }
    }

    /// `ro.build.version.release`.
    pub fn release(self) -> &'static str {
        match self {
            Release::Android9 => "9",
            Release::Android11 => "11",
            Release::Android14 => "14",
        }
    }

    // ---- build properties (Google emulator images) ----------------------

    /// `ro.product.name`, `ro.product.model`, `ro.product.device`.
    pub fn product(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Release::Android9 => ("sdk_gphone_x86", "Android SDK built for x86", "generic_x86"),
            Release::Android11 => (
                "sdk_gphone_x86_64",
                "sdk_gphone_x86_64",
                "generic_x86_64_arm64",
            ),
            Release::Android14 => ("sdk_gphone64_x86_64", "sdk_gphone64_x86_64", "emu64xa"),
        }
    }

    /// `ro.build.id` and the build number of the fingerprint.
    pub fn build(self) -> (&'static str, &'static str) {
        match self {
            Release::Android9 => ("PSR1.180720.117", "5875966"),
            Release::Android11 => ("RSR1.201013.001", "6903271"),
            Release::Android14 => ("UE1A.230829.036", "10940206"),
        }
    }

    /// `ro.build.version.security_patch`.
    pub fn security_patch(self) -> &'static str {
        match self {
            Release::Android9 => "2019-08-05",
            Release::Android11 => "2020-10-05",
            Release::Android14 => "2025-12-05",
        }
    }

    /// `ro.product.cpu.abi`.
    pub fn cpu_abi(self) -> &'static str {
        match self {
            Release::Android9 => "x86",
            Release::Android11 | Release::Android14 => "x86_64",
        }
    }

    // ---- the runtime-permission dialog ---------------------------------

    /// The package that shows the permission dialog.
    pub fn permission_controller(self) -> &'static str {
        match self {
            Release::Android9 => "com.android.packageinstaller",
            Release::Android11 | Release::Android14 => "com.google.android.permissioncontroller",
        }
    }

    /// Its resource-id prefix (the Google package keeps AOSP's ids).
    pub fn permission_id_prefix(self) -> &'static str {
        match self {
            Release::Android9 => "com.android.packageinstaller:id/",
            Release::Android11 | Release::Android14 => "com.android.permissioncontroller:id/",
        }
    }

    /// The grant activity's class.
    pub fn grant_activity(self) -> &'static str {
        match self {
            Release::Android9 => {
                "com.android.packageinstaller.permission.ui.GrantPermissionsActivity"
            }
            Release::Android11 | Release::Android14 => {
                "com.android.permissioncontroller.permission.ui.GrantPermissionsActivity"
            }
        }
    }

    /// `ComponentName.flattenToShortString()` of the grant activity, as
    /// `cmp=` prints it (`pkg/.Cls` when the class is in the package).
    pub fn grant_component(self) -> String {
        short_component(self.permission_controller(), self.grant_activity())
    }

    /// Where the permission controller's APK lives.
    pub fn permission_controller_path(self) -> &'static str {
        match self {
            Release::Android9 => {
                "/system/priv-app/GooglePackageInstaller/GooglePackageInstaller.apk"
            }
            Release::Android11 => {
                "/apex/com.android.permission/priv-app/GooglePermissionController/GooglePermissionController.apk"
            }
            Release::Android14 => {
                "/apex/com.android.permission/priv-app/GooglePermissionController@340818022/GooglePermissionController.apk"
            }
        }
    }

    /// Text of the deny button (and, on 11 and 14, of the
    /// deny-and-don't-ask-again button: AOSP's layout gives both the same
    /// `grant_dialog_button_deny` string).
    pub fn deny_text(self) -> &'static str {
        match self {
            Release::Android9 | Release::Android11 => "Deny",
            Release::Android14 => "Don\u{2019}t allow",
        }
    }

    /// Whether a group that may be granted for the foreground only shows
    /// "While using the app" / "Only this time" instead of "Allow".
    pub fn has_foreground_buttons(self) -> bool {
        self != Release::Android9
    }

    /// Whether "Only this time" exists (`FLAG_PERMISSION_ONE_TIME`).
    pub fn has_one_time(self) -> bool {
        self != Release::Android9
    }

    /// Whether a re-request after a denial shows the "Don't ask again"
    /// checkbox (9) rather than a deny-and-don't-ask-again button (11+).
    pub fn has_dont_ask_checkbox(self) -> bool {
        self == Release::Android9
    }

    /// The dialog's message for a permission group (the release's
    /// `permgrouprequest_*` strings, bold tags dropped as the dump does).
    pub fn group_message(self, group: &str, label: &str) -> String {
        let apostrophe = if self == Release::Android9 {
            '\''
        } else {
            '\u{2019}'
        };
        let what = match group {
            "LOCATION" => format!("access this device{apostrophe}s location"),
            "CAMERA" => "take pictures and record video".into(),
            "MICROPHONE" => "record audio".into(),
            "CONTACTS" => "access your contacts".into(),
            "PHONE" => "make and manage phone calls".into(),
            "CALL_LOG" => "access your phone call logs".into(),
            "SMS" => "send and view SMS messages".into(),
            "CALENDAR" => "access your calendar".into(),
            "STORAGE" => "access photos, media, and files on your device".into(),
            "READ_MEDIA_VISUAL" => "access photos and videos on this device".into(),
            "READ_MEDIA_AURAL" => "access music and audio on this device".into(),
            "NOTIFICATIONS" => "send you notifications".into(),
            _ => "access sensor data about your vital signs".into(),
        };
        format!("Allow {label} to {what}?")
    }

    // ---- permissions ---------------------------------------------------

    /// Whether a platform permission exists on this release (the ones
    /// added by Android 13 do not exist before it).
    pub fn has_permission(self, perm: &str) -> bool {
        let added_in_13 = matches!(
            perm,
            "android.permission.POST_NOTIFICATIONS"
                | "android.permission.READ_MEDIA_IMAGES"
                | "android.permission.READ_MEDIA_VIDEO"
                | "android.permission.READ_MEDIA_AUDIO"
        );
        !(added_in_13 && self.sdk() < 33)
    }

    /// The flags a freshly installed runtime permission has:
    /// `USER_SENSITIVE_WHEN_GRANTED|USER_SENSITIVE_WHEN_DENIED` since
    /// Android 10, none before.
    pub fn initial_runtime_flags(self) -> u32 {
        match self {
            Release::Android9 => 0,
            Release::Android11 | Release::Android14 => {
                super::perms::USER_SENSITIVE_WHEN_GRANTED | super::perms::USER_SENSITIVE_WHEN_DENIED
            }
        }
    }

    /// `targetSdk` the fixture apps are built with on this release.
    pub fn target_sdk(self) -> u32 {
        self.sdk().min(34)
    }

    /// `/data/app/...` code paths: `com.x-RANDOM==` before Android 11,
    /// `~~RANDOM==/com.x-RANDOM==` from 11.
    pub fn randomised_code_path(self) -> bool {
        self != Release::Android9
    }

    // ---- logcat --------------------------------------------------------

    /// The tag of `START u0 {...}` and `Displayed` lines: `ActivityManager`
    /// before Android 10, `ActivityTaskManager` after.
    pub fn task_tag(self) -> &'static str {
        match self {
            Release::Android9 => "ActivityManager",
            Release::Android11 | Release::Android14 => "ActivityTaskManager",
        }
    }

    /// How a `START u0 {...}` line ends after the intent: ` from uid N` up
    /// to 11; on 13+ the launch mode, the uid, the background-start verdict
    /// and the result, as in the real Android 14 capture (`... with
    /// LAUNCH_MULTIPLE from uid 1000 (BAL_ALLOW_ALLOWLISTED_UID) result
    /// code=0`). `bal` is the verdict AOSP 14's
    /// BackgroundActivityStartController gives the caller.
    pub fn start_tail(self, uid: u32, bal: &str) -> String {
        match self {
            Release::Android9 | Release::Android11 => format!(" from uid {uid}"),
            Release::Android14 => {
                format!(" with LAUNCH_MULTIPLE from uid {uid} ({bal}) result code=0")
            }
        }
    }

    /// `Displayed COMP: +Nms` (9, 11) or `Displayed COMP for user 0: +Nms` (14).
    pub fn displayed_line(self, component: &str, ms: u32) -> String {
        match self {
            Release::Android9 | Release::Android11 => format!("Displayed {component}: +{ms}ms"),
            Release::Android14 => format!("Displayed {component} for user 0: +{ms}ms"),
        }
    }

    /// The hosting type of a process started for the top activity.
    pub fn top_activity_hosting(self) -> &'static str {
        match self {
            Release::Android9 => "activity",
            Release::Android11 => "top-activity",
            Release::Android14 => "next-top-activity",
        }
    }

    /// The hosting name as `Start proc` and `am_proc_start` print it:
    /// `flattenToShortString()` before Android 10, `{...}` after.
    pub fn hosting_name(self, package: &str, class: &str) -> String {
        match self {
            Release::Android9 => short_component(package, class),
            Release::Android11 | Release::Android14 => format!("{{{package}/{class}}}"),
        }
    }

    /// The oom-adj and proc-state words of `has died: ...` for a
    /// foreground or a cached process: `ProcessList.makeOomAdjString`
    /// glued to `makeProcStateString` on 9 (`fore TOP `, `cch+5CEM `), the
    /// compact tag and a blank on 11, the real capture's `fg  TOP ` on 14.
    pub fn died_state(self, foreground: bool) -> &'static str {
        match (self, foreground) {
            (Release::Android14, true) => "fg  TOP ",
            (_, true) => "fore TOP ",
            (Release::Android9, false) => "cch+5CEM ",
            (_, false) => "cch+5 CEM ",
        }
    }

    /// Whether Android restricts device identifiers (Android 10+:
    /// `reportAccessDeniedToReadIdentifiers` and the
    /// `READ_DEVICE_IDENTIFIERS` op).
    pub fn restricts_identifiers(self) -> bool {
        self != Release::Android9
    }

    /// Whether background apps are denied the clipboard (Android 10+).
    pub fn restricts_background_clipboard(self) -> bool {
        self != Release::Android9
    }

    // ---- dumps ---------------------------------------------------------

    /// `dumpsys appops` generation.
    pub fn appops_layout(self) -> AppOpsLayout {
        match self {
            Release::Android9 => AppOpsLayout::UidStates,
            Release::Android11 | Release::Android14 => AppOpsLayout::Attributed,
        }
    }

    /// AppOpsService's `Settings:` defaults (top, fg service, bg), ms.
    pub fn appops_settle_times(self) -> (i64, i64, i64) {
        match self {
            Release::Android9 => (30_000, 10_000, 1_000),
            Release::Android11 | Release::Android14 => (5_000, 5_000, 1_000),
        }
    }

    /// The uid's `capability=` letters (Android 11 knows three, 13/14 four).
    pub fn capability(self, top: bool) -> &'static str {
        match (self, top) {
            (Release::Android11, true) => "LCM",
            (Release::Android11, false) => "---",
            _ => "LCMN",
        }
    }

    /// Whether `dumpsys activity exit-info` exists (Android 11+).
    pub fn has_exit_info(self) -> bool {
        self != Release::Android9
    }

    /// Whether `dumpsys activity activities` prints `topResumedActivity=`
    /// and `Task{...}` records (Android 10+) rather than `TaskRecord{...}`.
    pub fn has_top_resumed(self) -> bool {
        self != Release::Android9
    }

    /// Whether `am start -W` prints `LaunchState:` (`WaitResult.launchState`,
    /// Android 10+); 9's `runStartActivity` prints `ThisTime:` instead,
    /// after `Activity:`.
    pub fn wait_has_launch_state(self) -> bool {
        self != Release::Android9
    }
}

/// `ComponentName.flattenToShortString()`: `pkg/.Cls` when the class
/// starts with the package and a dot, `pkg/full.Cls` otherwise.
pub fn short_component(package: &str, class: &str) -> String {
    match class.strip_prefix(package) {
        Some(rest) if rest.starts_with('.') => format!("{package}/{rest}"),
        _ => format!("{package}/{class}"),
    }
}

impl fmt::Display for Release {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Android {}", self.version())
    }
}

impl FromStr for Release {
    type Err = UnknownRelease;

    /// `9`, `11`, `14` (or `android9`, `Android 11`, ...).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        let digits = t.trim_start_matches("android").trim();
        digits
            .parse::<u32>()
            .ok()
            .and_then(Release::from_version)
            .ok_or_else(|| UnknownRelease(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_names() {
        for r in Release::ALL {
            assert_eq!(Release::from_version(r.version()), Some(r));
            assert_eq!(r.to_string().parse::<Release>(), Ok(r));
        }
        assert_eq!("9".parse(), Ok(Release::Android9));
        assert_eq!(Release::Android11.sdk(), 30);
        assert!("10".parse::<Release>().is_err());
        assert_eq!(Release::default(), Release::Android14);
    }

    #[test]
    fn components_flatten_like_android() {
        assert_eq!(
            Release::Android9.grant_component(),
            "com.android.packageinstaller/.permission.ui.GrantPermissionsActivity"
        );
        assert_eq!(
            Release::Android11.grant_component(),
            "com.google.android.permissioncontroller/com.android.permissioncontroller.permission.ui.GrantPermissionsActivity"
        );
        assert_eq!(short_component("com.x", "com.xy.Main"), "com.x/com.xy.Main");
    }

    #[test]
    fn messages_follow_each_release() {
        assert_eq!(
            Release::Android9.group_message("LOCATION", "Maps"),
            "Allow Maps to access this device's location?"
        );
        assert_eq!(
            Release::Android14.group_message("LOCATION", "Maps"),
            "Allow Maps to access this device\u{2019}s location?"
        );
        assert!(!Release::Android11.has_permission("android.permission.POST_NOTIFICATIONS"));
        assert!(Release::Android14.has_permission("android.permission.POST_NOTIFICATIONS"));
    }
}
