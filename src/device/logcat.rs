//! A running logcat stream: a task reads the device's `logcat` output into
//! a shared [`LogBuffer`] and wakes waiters; the handle queries the buffer,
//! waits for lines (markers above all) and stops the stream when dropped.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::io::AsyncRead;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::{Instant, timeout_at};

use super::error::{DeviceError, ErrorKind, Result};
use super::logbuf::{LogBuffer, LogLine};
use super::server::{Packet, read_packet, wire_error};
use crate::android::logcat::Entry;

/// What the stream asks `logcat` for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogcatOptions {
    /// Buffers (`-b`); the default reads main, system, crash and events.
    pub buffers: Vec<String>,
    /// Start this many lines back (`-T N`); 1 starts at "now".
    pub tail: usize,
    pub max_entries: usize,
    pub max_bytes: usize,
}

impl Default for LogcatOptions {
    fn default() -> Self {
        Self {
            buffers: ["main", "system", "crash", "events"]
                .map(String::from)
                .to_vec(),
            tail: 1,
            max_entries: super::logbuf::DEFAULT_MAX_ENTRIES,
            max_bytes: super::logbuf::DEFAULT_MAX_BYTES,
        }
    }
}

impl LogcatOptions {
    /// The device command line (`threadtime` with the uid column).
    pub fn argv(&self) -> Vec<String> {
        let mut v: Vec<String> = ["logcat", "-v", "threadtime", "-v", "uid"]
            .map(String::from)
            .to_vec();
        if !self.buffers.is_empty() {
            v.push("-b".into());
            v.push(self.buffers.join(","));
        }
        v.push("-T".into());
        v.push(self.tail.max(1).to_string());
        v
    }
}

#[derive(Debug)]
struct Shared {
    buf: Mutex<LogBuffer>,
    notify: Notify,
    end: Mutex<Option<DeviceError>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The buffer stays consistent line by line: a panic elsewhere while it
    // was held does not make its contents wrong.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A live logcat stream. Dropping it stops the stream on the device.
#[derive(Debug)]
pub struct Logcat {
    serial: String,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
    markers: AtomicU64,
    started: Instant,
}

impl Drop for Logcat {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Logcat {
    /// Starts filling a buffer from a shell v2 stream of `logcat` output.
    pub fn from_shell_v2<R>(serial: &str, command: &str, reader: R, opts: &LogcatOptions) -> Self
    where
        R: AsyncRead + Unpin + Send + 'static,
    {
        let shared = Arc::new(Shared {
            buf: Mutex::new(LogBuffer::new(opts.max_entries, opts.max_bytes)),
            notify: Notify::new(),
            end: Mutex::new(None),
        });
        let started = Instant::now();
        let task = tokio::spawn(pump(
            serial.to_string(),
            command.to_string(),
            reader,
            Arc::clone(&shared),
            started,
        ));
        Self {
            serial: serial.to_string(),
            shared,
            task,
            markers: AtomicU64::new(0),
            started,
        }
    }

    pub fn serial(&self) -> &str {
        &self.serial
    }

    /// Host time since the stream started (the buffer's time axis).
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Runs `f` on the buffer.
    pub fn with_buffer<T>(&self, f: impl FnOnce(&LogBuffer) -> T) -> T {
        f(&lock(&self.shared.buf))
    }

    /// The sequence number the next line will get: a cursor for "from now".
    pub fn cursor(&self) -> u64 {
        lock(&self.shared.buf).next_seq()
    }

    pub fn since(&self, seq: u64) -> Vec<LogLine> {
        lock(&self.shared.buf).since(seq)
    }

    /// Why the stream ended, if it has.
    pub fn ended(&self) -> Option<DeviceError> {
        lock(&self.shared.end).clone()
    }

    /// The next marker id (`#N`), unique within this stream.
    pub fn next_marker_id(&self) -> u64 {
        self.markers.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Waits until an entry from `from` on satisfies `pred`.
    pub async fn wait_for(
        &self,
        from: u64,
        what: &str,
        limit: Duration,
        pred: impl Fn(&Entry) -> bool,
    ) -> Result<LogLine> {
        let deadline = Instant::now() + limit;
        loop {
            let notified = self.shared.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(line) = lock(&self.shared.buf).find_from(from, &pred) {
                return Ok(line);
            }
            if let Some(e) = self.ended() {
                return Err(e);
            }
            if timeout_at(deadline, notified).await.is_err() {
                return Err(DeviceError::new(
                    &self.serial,
                    format!("wait for logcat {what}"),
                    ErrorKind::Timeout { after: limit },
                ));
            }
        }
    }
}

async fn pump<R: AsyncRead + Unpin>(
    serial: String,
    command: String,
    mut reader: R,
    shared: Arc<Shared>,
    started: Instant,
) {
    let end = loop {
        match read_packet(&mut reader).await {
            Ok(Some(Packet::Stdout(bytes))) => {
                lock(&shared.buf).push_bytes(&bytes, started.elapsed());
                shared.notify.notify_waiters();
            }
            Ok(Some(Packet::Stderr(bytes))) => {
                tracing::debug!(serial, stderr = %String::from_utf8_lossy(&bytes), "logcat");
            }
            Ok(Some(Packet::Exit(code))) => {
                break DeviceError::new(
                    &serial,
                    &command,
                    ErrorKind::CommandFailed {
                        exit: Some(code),
                        output: "logcat exited".into(),
                    },
                );
            }
            Ok(None) => {
                break DeviceError::new(
                    &serial,
                    &command,
                    ErrorKind::Disconnected {
                        detail: "logcat stream closed".into(),
                    },
                );
            }
            Err(w) => break wire_error(&serial, &command, w),
        }
    };
    lock(&shared.buf).flush(started.elapsed());
    *lock(&shared.end) = Some(end);
    shared.notify.notify_waiters();
}
