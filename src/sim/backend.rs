//! The contract between the adbd protocol server and the Android model.
//!
//! The protocol side knows streams and packets; the model side knows shell
//! commands and files. A shell command runs as a [`Process`]: output arrives
//! as [`Output`] events until `Exit`, stdin (for `exec:cmd package install
//! -S N` and `shell:` input) is a channel, and dropping the `Process` (the
//! client closed the stream) must stop the command, e.g. a streaming
//! `logcat`.

use tokio::sync::mpsc;

/// One event of a running command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    Stdout(Vec<u8>),
    Stderr(Vec<u8>),
    /// The last event: the exit status.
    Exit(i32),
}

/// A running shell command.
#[derive(Debug)]
pub struct Process {
    pub output: mpsc::Receiver<Output>,
    /// Bytes for the command's stdin; dropped (closed) at end of input.
    pub stdin: mpsc::Sender<Vec<u8>>,
}

/// `STAT` / `LIST` result (sync protocol v1 fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileStat {
    /// Unix mode bits, including the file type (`0o100644`, `0o40755`).
    pub mode: u32,
    pub size: u32,
    /// Seconds since the epoch.
    pub mtime: u32,
}

/// What the protocol server needs from a device.
pub trait Backend: Send + Sync + 'static {
    /// The CNXN banner, e.g.
    /// `device::ro.product.name=sdk_gphone64_x86_64;ro.product.model=...;ro.product.device=...;features=shell_v2,cmd,stat_v2,...`.
    fn banner(&self) -> String;

    /// Starts `command` as `/system/bin/sh -c command` would. Must not
    /// block: work happens on a spawned task that feeds the channel.
    fn spawn(&self, command: &str) -> Process;

    /// `lstat` of a path; `None` when it does not exist.
    fn stat(&self, path: &str) -> Option<FileStat>;

    /// Entries of a directory (name, stat); `None` when it is not one.
    fn list(&self, path: &str) -> Option<Vec<(String, FileStat)>>;

    /// Whole contents of a file.
    fn read(&self, path: &str) -> Option<Vec<u8>>;

    /// Creates or replaces a file (`adb push`). `Err` holds the message
    /// adb shows, e.g. `couldn't create file: Permission denied`.
    fn write(&self, path: &str, data: Vec<u8>, mode: u32, mtime: u32) -> Result<(), String>;
}
