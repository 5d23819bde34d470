//! Emulators the controller runs: finding the SDK and its AVDs
//! ([`sdk`]), starting one headless instance and waiting for Android to
//! boot ([`instance`]), the console protocol ([`console`]), a fleet of
//! instances of one AVD for a batch, kept alive, reset between apps and
//! stopped at the end ([`fleet`]), and the record of running instances
//! that `consentry emulator stop` reads ([`state`]). Network capture is
//! the emulator's own (`-tcpdump`, console `network capture`); reading a
//! capture is `net`'s.
//!
//! Async (tokio): it waits on processes, adb and the console.
//! docs/emulators.md describes the behaviour and the stand-in the tests
//! use in place of the SDK's emulator.

pub mod console;
pub mod fleet;
pub mod instance;
pub mod sdk;
pub mod state;

use std::path::PathBuf;
use std::time::Duration;

pub use console::ConsoleError;
pub use fleet::Fleet;
pub use instance::{Instance, Spec};
pub use sdk::Sdk;

/// Why an emulator could not be found, started or stopped.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("no Android SDK emulator: {0}")]
    NoSdk(String),
    #[error("no AVD named `{avd}` (the SDK's emulator lists: {known})")]
    UnknownAvd { avd: String, known: String },
    #[error(
        "hardware acceleration is not usable: {0}; the emulator would be too slow to test with (on Linux: load KVM and give this user access to /dev/kvm)"
    )]
    NoAccel(String),
    #[error("`emulator {what}` failed: {detail}")]
    Query { what: String, detail: String },
    #[error("cannot run {}: {source}", program.display())]
    Spawn {
        program: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{serial} (AVD {avd}) exited while booting, status {status}; {tail}")]
    Exited {
        serial: String,
        avd: String,
        status: String,
        tail: String,
    },
    #[error("{serial} (AVD {avd}) did not boot within {} s: {stage}; {tail}", limit.as_secs())]
    BootTimeout {
        serial: String,
        avd: String,
        limit: Duration,
        stage: String,
        tail: String,
    },
    #[error("no free console port pair from {0} to 5682")]
    NoPort(u16),
    #[error(transparent)]
    Console(#[from] ConsoleError),
    #[error("{what} `{name}`: only letters, digits, `.`, `_` and `-` are allowed")]
    BadName { what: &'static str, name: String },
    #[error("{}: {why}", path.display())]
    BadPath { path: PathBuf, why: String },
}

/// Checks a path before it goes into an emulator console command, which
/// splits on spaces and ends at a line break.
pub fn console_path(path: &std::path::Path) -> Result<String, EmulatorError> {
    let bad = |why: &str| EmulatorError::BadPath {
        path: path.to_path_buf(),
        why: why.into(),
    };
    if !path.is_absolute() {
        return Err(bad("the emulator needs an absolute path"));
    }
    let text = path
        .to_str()
        .ok_or_else(|| bad("the emulator console takes UTF-8 paths only"))?;
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad(
            "the emulator console cannot take a path with spaces or control characters; choose an output directory without them",
        ));
    }
    Ok(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_paths_are_checked() {
        assert_eq!(
            console_path(std::path::Path::new("/runs/a/network.pcap"))
                .ok()
                .as_deref(),
            Some("/runs/a/network.pcap")
        );
        for bad in ["runs/a.pcap", "/runs/my run/a.pcap", "/runs/a\nkill"] {
            assert!(console_path(std::path::Path::new(bad)).is_err(), "{bad:?}");
        }
    }
}
