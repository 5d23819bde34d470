//! Typed device errors: every failure names the device, the command that
//! was running and why it failed, and the kinds are the ones a caller acts
//! on differently (retry elsewhere, ask the user to authorise, fix the
//! scenario, report a bug).

use std::fmt;
use std::time::Duration;

/// Why a device call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The call did not finish within its bound.
    Timeout { after: Duration },
    /// The adb server lists the device as `offline`.
    Offline,
    /// The device went away during the call (the stream ended before the
    /// command's exit status) or is no longer listed.
    Disconnected { detail: String },
    /// The device has not accepted this host's key (`unauthorized`, or
    /// still `authorizing`).
    Unauthorized,
    /// The adb server does not know the serial.
    NotFound,
    /// The adb server could not be reached.
    ServerUnavailable { address: String, detail: String },
    /// The command ran and reported failure: non-zero exit status, or a
    /// tool that exits 0 but prints `Failure`/`Error`.
    CommandFailed { exit: Option<u8>, output: String },
    /// The command succeeded but its output is not what it should be.
    Malformed { what: String, detail: String },
    /// The device lacks something the tool needs (a feature, a command).
    Unsupported { detail: String },
    /// The adb server broke the host protocol or refused the request.
    Protocol { detail: String },
}

/// A failed device call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceError {
    /// The device serial, or `adb server` for host requests.
    pub serial: String,
    /// What was being done: a shell command line, `exec:…`, `sync:…`.
    pub command: String,
    pub kind: ErrorKind,
}

/// How a `uiautomator dump` that printed no hierarchy says so.
pub(crate) const BUSY_DUMP: &str = "no hierarchy";

impl DeviceError {
    /// A `uiautomator dump` that found the UI busy or printed no
    /// hierarchy: worth another try.
    pub fn is_busy_dump(&self) -> bool {
        matches!(&self.kind, ErrorKind::CommandFailed { output, .. } if output.starts_with(BUSY_DUMP))
    }

    pub fn new(serial: impl Into<String>, command: impl Into<String>, kind: ErrorKind) -> Self {
        Self {
            serial: serial.into(),
            command: command.into(),
            kind,
        }
    }

    /// The device is unusable for now (offline, gone, unauthorised, not
    /// found): a batch retries the job on another device.
    pub fn is_device_lost(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Offline
                | ErrorKind::Disconnected { .. }
                | ErrorKind::Unauthorized
                | ErrorKind::NotFound
        )
    }

    pub fn is_timeout(&self) -> bool {
        matches!(self.kind, ErrorKind::Timeout { .. })
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Timeout { after } => write!(f, "timed out after {after:?}"),
            ErrorKind::Offline => f.write_str("device is offline"),
            ErrorKind::Disconnected { detail } => write!(f, "device disconnected ({detail})"),
            ErrorKind::Unauthorized => {
                f.write_str("device is unauthorized: accept this computer's RSA key on the device")
            }
            ErrorKind::NotFound => f.write_str("device not found by the adb server"),
            ErrorKind::ServerUnavailable { address, detail } => {
                write!(f, "adb server at {address} unavailable: {detail}")
            }
            ErrorKind::CommandFailed { exit, output } => {
                match exit {
                    Some(code) => write!(f, "command failed with exit status {code}")?,
                    None => f.write_str("command reported failure")?,
                }
                let output = output.trim();
                if !output.is_empty() {
                    write!(f, ": {}", clip(output, 400))?;
                }
                Ok(())
            }
            ErrorKind::Malformed { what, detail } => {
                write!(f, "malformed {what}: {}", clip(detail, 400))
            }
            ErrorKind::Unsupported { detail } => write!(f, "unsupported: {detail}"),
            ErrorKind::Protocol { detail } => write!(f, "adb protocol error: {detail}"),
        }
    }
}

impl fmt::Display for DeviceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: `{}`: {}",
            self.serial,
            clip(&self.command, 200),
            self.kind
        )
    }
}

impl std::error::Error for DeviceError {}

/// Shortens text for an error message at a char boundary.
fn clip(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

pub type Result<T> = std::result::Result<T, DeviceError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_serial_command_and_cause() {
        let e = DeviceError::new(
            "emulator-5554",
            "pm grant com.x android.permission.CAMERA",
            ErrorKind::CommandFailed {
                exit: Some(1),
                output: "java.lang.SecurityException: no\n".into(),
            },
        );
        assert_eq!(
            e.to_string(),
            "emulator-5554: `pm grant com.x android.permission.CAMERA`: command failed with exit status 1: java.lang.SecurityException: no"
        );
        assert!(!e.is_device_lost());
        let lost = DeviceError::new("s", "c", ErrorKind::Offline);
        assert!(lost.is_device_lost());
    }

    #[test]
    fn clip_keeps_char_boundaries() {
        let s = "é".repeat(300);
        let c = clip(&s, 401);
        assert!(c.ends_with('…'));
        assert!(c.len() <= 404);
    }
}
