//! Pure permission knowledge: runtime permission groups, appops op names
//! and the permission each op needs, and the permission flag bits with
//! their `dumpsys package` names per release. (The dialog's wording per
//! release is in `release.rs`.)

use super::release::Release;

/// `FLAG_PERMISSION_USER_SET`: the user answered (denied once).
pub const USER_SET: u32 = 1;
/// `FLAG_PERMISSION_USER_FIXED`: denied twice, no more dialogs.
pub const USER_FIXED: u32 = 2;
pub const USER_SENSITIVE_WHEN_GRANTED: u32 = 256;
pub const USER_SENSITIVE_WHEN_DENIED: u32 = 512;
/// `FLAG_PERMISSION_ONE_TIME` (Android 11+): "Only this time".
pub const ONE_TIME: u32 = 65_536;

const FLAG_NAMES: &[(u32, &str, &str)] = &[
    (1, "USER_SET", "user-set"),
    (2, "USER_FIXED", "user-fixed"),
    (4, "POLICY_FIXED", "policy-fixed"),
    (8, "REVOKED_COMPAT", "revoked-compat"),
    (16, "SYSTEM_FIXED", "system-fixed"),
    (32, "GRANTED_BY_DEFAULT", "granted-by-default"),
    (64, "REVIEW_REQUIRED", "review-required"),
    (
        256,
        "USER_SENSITIVE_WHEN_GRANTED",
        "user-sensitive-when-granted",
    ),
    (
        512,
        "USER_SENSITIVE_WHEN_DENIED",
        "user-sensitive-when-denied",
    ),
    (65536, "ONE_TIME", "one-time"),
];

/// `[ USER_SET|USER_FIXED]` as `PermissionsState` prints it (no space
/// before `]`; `[ ]` when empty).
pub fn flags_string(flags: u32) -> String {
    let mut names = Vec::new();
    let mut rest = flags;
    for (bit, name, _) in FLAG_NAMES {
        if rest & bit != 0 {
            names.push((*name).to_string());
            rest &= !bit;
        }
    }
    let mut bit = 1u32;
    while rest != 0 {
        if rest & bit != 0 {
            names.push(bit.to_string());
            rest &= !bit;
        }
        bit = bit.wrapping_shl(1);
    }
    format!("[ {}]", names.join("|"))
}

/// The `, flags=[ ...]` suffix of a runtime-permission line on a release.
/// Android 9 and 11 print nothing for no flags (`permissionFlagsToString`
/// returns an empty string) and 9 names bit 8 `REVOKE_ON_UPGRADE` (11
/// renamed it `REVOKED_COMPAT`); on 9 the bits added by 10 and 11
/// (`USER_SENSITIVE_*`, `ONE_TIME`) are printed as numbers. Android 14
/// keeps the simulator's `[ ]` for no flags.
pub fn flags_suffix(release: Release, flags: u32) -> String {
    match release {
        Release::Android14 => format!(", flags={}", flags_string(flags)),
        _ if flags == 0 => String::new(),
        Release::Android11 => format!(", flags={}", flags_string(flags)),
        Release::Android9 => {
            let mut names = Vec::new();
            let mut bit = 1u32;
            while bit != 0 {
                if flags & bit != 0 {
                    names.push(match bit {
                        1 => "USER_SET".to_string(),
                        2 => "USER_FIXED".to_string(),
                        4 => "POLICY_FIXED".to_string(),
                        8 => "REVOKE_ON_UPGRADE".to_string(),
                        16 => "SYSTEM_FIXED".to_string(),
                        32 => "GRANTED_BY_DEFAULT".to_string(),
                        64 => "REVIEW_REQUIRED".to_string(),
                        other => other.to_string(),
                    });
                }
                bit = bit.wrapping_shl(1);
            }
            format!(", flags=[ {}]", names.join("|"))
        }
    }
}

/// A `pm set-permission-flags` name (`user-set`, `user-fixed`...).
pub fn flag_from_cli(name: &str) -> Option<u32> {
    FLAG_NAMES
        .iter()
        .find(|(_, _, cli)| *cli == name)
        .map(|(b, _, _)| *b)
}

/// The dialog group of a runtime permission; `None` for install-time ones.
pub fn group_of(perm: &str) -> Option<&'static str> {
    let short = perm.strip_prefix("android.permission.")?;
    Some(match short {
        "ACCESS_FINE_LOCATION" | "ACCESS_COARSE_LOCATION" | "ACCESS_BACKGROUND_LOCATION" => {
            "LOCATION"
        }
        "CAMERA" => "CAMERA",
        "RECORD_AUDIO" => "MICROPHONE",
        "READ_CONTACTS" | "WRITE_CONTACTS" | "GET_ACCOUNTS" => "CONTACTS",
        "READ_PHONE_STATE" | "CALL_PHONE" | "READ_PHONE_NUMBERS" | "ANSWER_PHONE_CALLS" => "PHONE",
        "READ_CALL_LOG" | "WRITE_CALL_LOG" => "CALL_LOG",
        "READ_SMS" | "SEND_SMS" | "RECEIVE_SMS" => "SMS",
        "READ_CALENDAR" | "WRITE_CALENDAR" => "CALENDAR",
        "READ_EXTERNAL_STORAGE"
        | "WRITE_EXTERNAL_STORAGE"
        | "READ_MEDIA_IMAGES"
        | "READ_MEDIA_VIDEO"
        | "READ_MEDIA_AUDIO" => "STORAGE",
        "POST_NOTIFICATIONS" => "NOTIFICATIONS",
        "BODY_SENSORS" => "SENSORS",
        _ => return None,
    })
}

/// Groups whose dialog offers "While using the app" / "Only this time".
pub fn foreground_only(group: &str) -> bool {
    matches!(group, "LOCATION" | "CAMERA" | "MICROPHONE")
}

/// Ops the fixture apps may note.
pub const KNOWN_OPS: &[&str] = &[
    "COARSE_LOCATION",
    "FINE_LOCATION",
    "CAMERA",
    "RECORD_AUDIO",
    "READ_CONTACTS",
    "READ_CALL_LOG",
    "READ_CALENDAR",
    "READ_SMS",
    "READ_PHONE_STATE",
    "READ_EXTERNAL_STORAGE",
    "READ_CLIPBOARD",
    "READ_DEVICE_IDENTIFIERS",
    "GET_ACCOUNTS",
    "READ_MEDIA_IMAGES",
    "WAKE_LOCK",
];

/// The permission an op needs (`None`: no runtime permission behind it).
pub fn op_permission(op: &str) -> Option<&'static str> {
    Some(match op {
        "COARSE_LOCATION" => "android.permission.ACCESS_COARSE_LOCATION",
        "FINE_LOCATION" => "android.permission.ACCESS_FINE_LOCATION",
        "CAMERA" => "android.permission.CAMERA",
        "RECORD_AUDIO" => "android.permission.RECORD_AUDIO",
        "READ_CONTACTS" => "android.permission.READ_CONTACTS",
        "READ_CALL_LOG" => "android.permission.READ_CALL_LOG",
        "READ_CALENDAR" => "android.permission.READ_CALENDAR",
        "READ_SMS" => "android.permission.READ_SMS",
        "READ_PHONE_STATE" => "android.permission.READ_PHONE_STATE",
        "READ_EXTERNAL_STORAGE" => "android.permission.READ_EXTERNAL_STORAGE",
        "READ_MEDIA_IMAGES" => "android.permission.READ_MEDIA_IMAGES",
        _ => return None,
    })
}

/// The op a permission's grant state drives (for `appops` modes).
pub fn permission_op(perm: &str) -> Option<&'static str> {
    KNOWN_OPS
        .iter()
        .copied()
        .find(|op| op_permission(op) == Some(perm))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_like_dumpsys() {
        assert_eq!(flags_string(0), "[ ]");
        assert_eq!(
            flags_string(USER_SET | USER_FIXED),
            "[ USER_SET|USER_FIXED]"
        );
        assert_eq!(
            flags_string(
                USER_SET | USER_SENSITIVE_WHEN_GRANTED | USER_SENSITIVE_WHEN_DENIED | 524_288
            ),
            "[ USER_SET|USER_SENSITIVE_WHEN_GRANTED|USER_SENSITIVE_WHEN_DENIED|524288]"
        );
        assert_eq!(flag_from_cli("user-fixed"), Some(USER_FIXED));
        assert_eq!(group_of("android.permission.CAMERA"), Some("CAMERA"));
        assert_eq!(group_of("android.permission.INTERNET"), None);
    }
}
