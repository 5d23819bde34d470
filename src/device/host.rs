//! What runs a device, when the controller runs it: the contract between
//! the stages that use a device (the engine, the batch) and the one that
//! owns its process (`emulator`). A device the user started, or one behind
//! a remote adb server, has no host, and nothing here applies to it.
//!
//! The methods return boxed futures so that the trait can be held as
//! `Arc<dyn DeviceHost>` beside an [`super::AdbDevice`].

use std::future::Future;
use std::path::Path;
use std::pin::Pin;

/// A boxed future of a host call; errors are messages that name the
/// device and what failed.
pub type HostFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, String>> + Send + 'a>>;

/// How a device was brought back to a clean state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reset {
    /// A snapshot was loaded (its name).
    Snapshot(String),
    /// There is no snapshot: the runs' own clean install (`setup.install:
    /// fresh`) is what resets the app.
    Reinstall,
}

/// The owner of a device's process.
pub trait DeviceHost: Send + Sync {
    /// The serial the device has in adb.
    fn serial(&self) -> &str;

    /// Brings the device back to a clean state before an app, and waits
    /// until it answers again.
    fn reset(&self) -> HostFuture<'_, Reset>;

    /// Whether network capture is on for this device.
    fn captures_network(&self) -> bool;

    /// Starts writing the device's network traffic to `path` (a host
    /// path), ending the capture before it.
    fn capture_start<'a>(&'a self, path: &'a Path) -> HostFuture<'a, ()>;

    /// Ends the capture started last.
    fn capture_stop(&self) -> HostFuture<'_, ()>;

    /// The device stopped answering: the host checks it and, when it is
    /// dead or hung, starts it again. Returns at once; the device rejoins
    /// adb when it is back.
    fn lost(&self);
}

impl std::fmt::Debug for dyn DeviceHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DeviceHost({})", self.serial())
    }
}
