//! Runtime permissions and app-ops by AOSP permission group (the groups
//! the system dialog asks for: `LOCATION`, `CAMERA`, ...). Pure tables.

/// The group of a full permission name (`android.permission.CAMERA`);
/// `None` for install-time permissions such as INTERNET.
pub fn group_of(permission: &str) -> Option<&'static str> {
    let p = permission.trim_start_matches("android.permission.");
    Some(match p {
        "ACCESS_FINE_LOCATION" | "ACCESS_COARSE_LOCATION" | "ACCESS_BACKGROUND_LOCATION" => {
            "LOCATION"
        }
        "CAMERA" => "CAMERA",
        "RECORD_AUDIO" => "MICROPHONE",
        "READ_CONTACTS" | "WRITE_CONTACTS" | "GET_ACCOUNTS" => "CONTACTS",
        "READ_PHONE_STATE" | "READ_PHONE_NUMBERS" | "CALL_PHONE" | "ANSWER_PHONE_CALLS"
        | "ADD_VOICEMAIL" | "USE_SIP" => "PHONE",
        "READ_CALL_LOG" | "WRITE_CALL_LOG" | "PROCESS_OUTGOING_CALLS" => "CALL_LOG",
        "READ_SMS" | "SEND_SMS" | "RECEIVE_SMS" | "RECEIVE_MMS" | "RECEIVE_WAP_PUSH" => "SMS",
        "READ_CALENDAR" | "WRITE_CALENDAR" => "CALENDAR",
        "READ_EXTERNAL_STORAGE" | "WRITE_EXTERNAL_STORAGE" => "STORAGE",
        "READ_MEDIA_IMAGES" | "READ_MEDIA_VIDEO" => "READ_MEDIA_VISUAL",
        "READ_MEDIA_AUDIO" => "READ_MEDIA_AURAL",
        "BODY_SENSORS" => "SENSORS",
        "ACTIVITY_RECOGNITION" => "ACTIVITY_RECOGNITION",
        "POST_NOTIFICATIONS" => "NOTIFICATIONS",
        "BLUETOOTH_CONNECT" | "BLUETOOTH_SCAN" | "BLUETOOTH_ADVERTISE" | "NEARBY_WIFI_DEVICES" => {
            "NEARBY_DEVICES"
        }
        _ => return None,
    })
}

/// The group of personal information an app-op reads (`FINE_LOCATION` →
/// `LOCATION`; `READ_DEVICE_IDENTIFIERS` → `PHONE`; `READ_CLIPBOARD` →
/// `CLIPBOARD`, which has no permission); `None` for ops that read no
/// personal information (`WAKE_LOCK`, `VIBRATE`, ...).
pub fn op_group(op: &str) -> Option<&'static str> {
    Some(match op {
        "COARSE_LOCATION"
        | "FINE_LOCATION"
        | "MONITOR_LOCATION"
        | "MONITOR_HIGH_POWER_LOCATION" => "LOCATION",
        "CAMERA" => "CAMERA",
        "RECORD_AUDIO" => "MICROPHONE",
        "READ_CONTACTS" | "WRITE_CONTACTS" | "GET_ACCOUNTS" => "CONTACTS",
        "READ_PHONE_STATE" | "READ_PHONE_NUMBERS" | "READ_DEVICE_IDENTIFIERS" | "READ_ICC_SMS" => {
            "PHONE"
        }
        "READ_CALL_LOG" | "WRITE_CALL_LOG" => "CALL_LOG",
        "READ_SMS" | "RECEIVE_SMS" | "RECEIVE_MMS" => "SMS",
        "READ_CALENDAR" | "WRITE_CALENDAR" => "CALENDAR",
        "READ_EXTERNAL_STORAGE" | "WRITE_EXTERNAL_STORAGE" => "STORAGE",
        "READ_MEDIA_IMAGES" | "READ_MEDIA_VIDEO" => "READ_MEDIA_VISUAL",
        "READ_MEDIA_AUDIO" => "READ_MEDIA_AURAL",
        "READ_CLIPBOARD" => "CLIPBOARD",
        "BODY_SENSORS" => "SENSORS",
        "ACTIVITY_RECOGNITION" => "ACTIVITY_RECOGNITION",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups() {
        assert_eq!(group_of("android.permission.CAMERA"), Some("CAMERA"));
        assert_eq!(group_of("ACCESS_FINE_LOCATION"), Some("LOCATION"));
        assert_eq!(group_of("android.permission.INTERNET"), None);
        assert_eq!(op_group("FINE_LOCATION"), Some("LOCATION"));
        assert_eq!(op_group("READ_DEVICE_IDENTIFIERS"), Some("PHONE"));
        assert_eq!(op_group("READ_CLIPBOARD"), Some("CLIPBOARD"));
        assert_eq!(op_group("WAKE_LOCK"), None);
    }
}
