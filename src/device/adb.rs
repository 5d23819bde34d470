//! [`AdbDevice`]: the [`Device`] primitives over the adb server's host
//! protocol. A constructor sends nothing that changes the device; `open`
//! only reads the device list and its features.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::error::{DeviceError, ErrorKind, Result};
use super::logcat::{Logcat, LogcatOptions};
use super::server::{
    self, AdbServer, Deadline, ShellOutput, Wire, sync_fail_message, sync_header, sync_request,
    within,
};
use super::{Device, Timeouts};
use crate::android::quote::sh_join;

/// Largest `DATA` chunk the sync protocol allows.
const SYNC_CHUNK: usize = 64 * 1024;

#[derive(Debug)]
struct Inner {
    server: AdbServer,
    serial: String,
    timeouts: Timeouts,
}

/// A device reached through an adb server. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AdbDevice {
    inner: Arc<Inner>,
}

impl AdbDevice {
    /// A handle for `serial`; nothing is sent until an operation runs.
    pub fn new(server: AdbServer, serial: impl Into<String>, timeouts: Timeouts) -> Self {
        Self {
            inner: Arc::new(Inner {
                server,
                serial: serial.into(),
                timeouts,
            }),
        }
    }

    /// A handle after checking, read-only, that the server lists the
    /// device as online and that it speaks shell v2 (exit statuses).
    pub async fn open(server: AdbServer, serial: &str, timeouts: Timeouts) -> Result<Self> {
        let entries = server.devices(timeouts.host).await?;
        let Some(entry) = entries.iter().find(|e| e.serial == serial) else {
            return Err(DeviceError::new(serial, "open", ErrorKind::NotFound));
        };
        if !entry.is_online() {
            return Err(DeviceError::new(serial, "open", state_kind(&entry.state)));
        }
        let features = server.features(serial, timeouts.host).await?;
        if !features.iter().any(|f| f == "shell_v2") {
            return Err(DeviceError::new(
                serial,
                "open",
                ErrorKind::Unsupported {
                    detail: "adbd lacks shell_v2 (Android 7 or later is needed for exit statuses)"
                        .into(),
                },
            ));
        }
        Ok(Self::new(server, serial, timeouts))
    }

    /// [`select`](Self::select) with `ANDROID_SERIAL` from the environment.
    pub async fn select_from_env(
        server: AdbServer,
        explicit: Option<&str>,
        timeouts: Timeouts,
    ) -> Result<Self> {
        let env = std::env::var("ANDROID_SERIAL").ok();
        Self::select(server, explicit, env.as_deref(), timeouts).await
    }

    /// The device a command runs on: the explicit serial (`--serial`),
    /// else `env_serial` (`ANDROID_SERIAL`), else the only online device.
    pub async fn select(
        server: AdbServer,
        explicit: Option<&str>,
        env_serial: Option<&str>,
        timeouts: Timeouts,
    ) -> Result<Self> {
        let chosen = explicit.or(env_serial).filter(|s| !s.is_empty());
        if let Some(s) = chosen {
            return Self::open(server, s, timeouts).await;
        }
        let online: Vec<_> = server
            .devices(timeouts.host)
            .await?
            .into_iter()
            .filter(super::server::DeviceEntry::is_online)
            .collect();
        match online.as_slice() {
            [one] => Self::open(server, &one.serial.clone(), timeouts).await,
            [] => Err(DeviceError::new(
                "adb server",
                "select device",
                ErrorKind::NotFound,
            )),
            many => Err(DeviceError::new(
                "adb server",
                "select device",
                ErrorKind::Unsupported {
                    detail: format!(
                        "{} devices online ({}); choose one with --serial or ANDROID_SERIAL",
                        many.len(),
                        many.iter()
                            .map(|e| e.serial.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                },
            )),
        }
    }

    pub fn server(&self) -> &AdbServer {
        &self.inner.server
    }

    /// Turns "the stream ended" into what the server now says about the
    /// device: offline, unauthorized or gone.
    async fn refine(&self, e: DeviceError) -> DeviceError {
        if !matches!(e.kind, ErrorKind::Disconnected { .. }) {
            return e;
        }
        let limit = self.inner.timeouts.host.min(Duration::from_secs(2));
        let Ok(list) = self.inner.server.devices(limit).await else {
            return e;
        };
        match list.iter().find(|d| d.serial == self.inner.serial) {
            Some(d) if !d.is_online() => DeviceError {
                kind: state_kind(&d.state),
                ..e
            },
            _ => e,
        }
    }

    /// A sync exchange's result: the device's `FAIL` message is a failed
    /// command; a broken stream is refined into what the server says.
    async fn sync_outcome<T>(
        &self,
        command: &str,
        res: Result<std::result::Result<T, String>>,
    ) -> Result<T> {
        match res {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(msg)) => Err(DeviceError::new(
                &self.inner.serial,
                command,
                ErrorKind::CommandFailed {
                    exit: None,
                    output: msg,
                },
            )),
            Err(e) => Err(self.refine(e).await),
        }
    }

    async fn open_stream(
        &self,
        service: &str,
        command: &str,
        deadline: Deadline,
    ) -> Result<tokio::net::TcpStream> {
        self.inner
            .server
            .open(&self.inner.serial, service, command, deadline)
            .await
    }
}

/// The error kind for a listed, not online, device.
fn state_kind(state: &str) -> ErrorKind {
    match state {
        "offline" => ErrorKind::Offline,
        "unauthorized" | "authorizing" => ErrorKind::Unauthorized,
        other => ErrorKind::Disconnected {
            detail: format!("device state is {other:?}"),
        },
    }
}

impl Device for AdbDevice {
    fn serial(&self) -> &str {
        &self.inner.serial
    }

    fn timeouts(&self) -> &Timeouts {
        &self.inner.timeouts
    }

    async fn shell_line(
        &self,
        line: &str,
        stdin: Option<&[u8]>,
        limit: Duration,
    ) -> Result<ShellOutput> {
        let deadline = Deadline::after(limit);
        let serial = &self.inner.serial;
        let res = async {
            let mut s = self
                .open_stream(&format!("shell,v2,raw:{line}"), line, deadline)
                .await?;
            within(serial, line, deadline, server::collect_shell(&mut s, stdin)).await
        }
        .await;
        match res {
            Ok(out) => Ok(out),
            Err(e) => Err(self.refine(e).await),
        }
    }

    async fn exec_line(
        &self,
        line: &str,
        stdin: Option<&[u8]>,
        limit: Duration,
    ) -> Result<Vec<u8>> {
        let deadline = Deadline::after(limit);
        let serial = &self.inner.serial;
        let command = format!("exec:{line}");
        let res = async {
            let mut s = self.open_stream(&command, line, deadline).await?;
            within(serial, line, deadline, async {
                if let Some(input) = stdin {
                    s.write_all(input).await?;
                }
                let mut out = Vec::new();
                s.read_to_end(&mut out).await?;
                Ok::<_, Wire>(out)
            })
            .await
        }
        .await;
        match res {
            Ok(out) => Ok(out),
            Err(e) => Err(self.refine(e).await),
        }
    }

    async fn push(&self, data: &[u8], remote: &str, mode: u32) -> Result<()> {
        let deadline = Deadline::after(self.inner.timeouts.transfer);
        let serial = &self.inner.serial;
        let command = format!("sync: SEND {remote}");
        let mut s = self.open_stream("sync:", &command, deadline).await?;
        let res = within(serial, &command, deadline, async {
            let spec = format!("{remote},{}", mode & 0o7777 | 0o100_000);
            sync_request(&mut s, b"SEND", spec.as_bytes()).await?;
            for chunk in data.chunks(SYNC_CHUNK) {
                sync_request(&mut s, b"DATA", chunk).await?;
            }
            let mtime = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX));
            let mut done = b"DONE".to_vec();
            done.extend_from_slice(&mtime.to_le_bytes());
            s.write_all(&done).await?;
            let (id, len) = sync_header(&mut s).await?;
            match &id {
                b"OKAY" => {
                    let _ = sync_request(&mut s, b"QUIT", &[]).await;
                    Ok(Ok(()))
                }
                b"FAIL" => Ok(Err(sync_fail_message(&mut s, len).await?)),
                other => Err(Wire::Bad(format!(
                    "sync SEND answered {:?}",
                    String::from_utf8_lossy(other)
                ))),
            }
        })
        .await;
        self.sync_outcome(&command, res).await
    }

    async fn pull(&self, remote: &str) -> Result<Vec<u8>> {
        let deadline = Deadline::after(self.inner.timeouts.transfer);
        let serial = &self.inner.serial;
        let command = format!("sync: RECV {remote}");
        let mut s = self.open_stream("sync:", &command, deadline).await?;
        let res = within(serial, &command, deadline, async {
            sync_request(&mut s, b"RECV", remote.as_bytes()).await?;
            let mut out = Vec::new();
            loop {
                let (id, len) = sync_header(&mut s).await?;
                match &id {
                    b"DATA" => {
                        let n = usize::try_from(len).unwrap_or(usize::MAX);
                        if n > SYNC_CHUNK {
                            return Err(Wire::Bad(format!("sync DATA of {n} bytes")));
                        }
                        let start = out.len();
                        out.resize(start + n, 0);
                        s.read_exact(&mut out[start..]).await?;
                    }
                    b"DONE" => {
                        let _ = sync_request(&mut s, b"QUIT", &[]).await;
                        return Ok(Ok(out));
                    }
                    b"FAIL" => return Ok(Err(sync_fail_message(&mut s, len).await?)),
                    other => {
                        return Err(Wire::Bad(format!(
                            "sync RECV answered {:?}",
                            String::from_utf8_lossy(other)
                        )));
                    }
                }
            }
        })
        .await;
        self.sync_outcome(&command, res).await
    }

    async fn logcat(&self, opts: &LogcatOptions) -> Result<Logcat> {
        let argv = opts.argv();
        let line = sh_join(&argv);
        let deadline = Deadline::after(self.inner.timeouts.shell);
        let s = self
            .open_stream(&format!("shell,v2,raw:{line}"), &line, deadline)
            .await?;
        Ok(Logcat::from_shell_v2(&self.inner.serial, &line, s, opts))
    }
}
