//! The adb server's host protocol on tokio: where the server is
//! (`--adb-server`, `ADB_SERVER_SOCKET`, `ANDROID_ADB_SERVER_ADDRESS` /
//! `ANDROID_ADB_SERVER_PORT`), host requests (`host:version`,
//! `host:devices-l`, `host-serial:…:features`, `host:connect:`), and
//! device streams opened with `host:transport:SERIAL` followed by a service:
//! `shell,v2,raw:` (exit status and stderr), `exec:` (binary-safe) and
//! `sync:` (push, pull, stat).
//!
//! Every request is bounded by the caller's deadline; failures become
//! [`DeviceError`]s that keep the server's own message.

use std::fmt;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};

use super::error::{DeviceError, ErrorKind, Result};
use crate::android::shell_v2;

/// The default adb server port.
pub const DEFAULT_PORT: u16 = 5037;

/// Where the adb server listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerAddr {
    pub host: String,
    pub port: u16,
}

impl fmt::Display for ServerAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

impl Default for ServerAddr {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: DEFAULT_PORT,
        }
    }
}

impl ServerAddr {
    /// Whether the server runs on this machine (a loopback address or
    /// `localhost`), so that processes started here can reach it.
    pub fn is_local(&self) -> bool {
        self.host == "localhost"
            || self
                .host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    /// `host:port`, `[v6]:port`, `tcp:host:port`, `tcp:port` or `port`.
    pub fn parse(text: &str) -> std::result::Result<Self, String> {
        let t = text.trim();
        let t = t.strip_prefix("tcp:").unwrap_or(t);
        if t.is_empty() {
            return Err("empty adb server address".into());
        }
        if t.contains("localfilesystem:") || t.contains("localabstract:") {
            return Err(format!(
                "adb server address {text:?}: unix sockets are not supported, use tcp:host:port"
            ));
        }
        let port = |p: &str| {
            p.parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| format!("adb server address {text:?}: bad port {p:?}"))
        };
        if let Some(rest) = t.strip_prefix('[') {
            let (host, tail) = rest
                .split_once(']')
                .ok_or_else(|| format!("adb server address {text:?}: missing ']'"))?;
            let p = tail
                .strip_prefix(':')
                .ok_or_else(|| format!("adb server address {text:?}: missing port"))?;
            return Ok(Self {
                host: host.to_string(),
                port: port(p)?,
            });
        }
        match t.rsplit_once(':') {
            Some((host, p)) if !host.contains(':') => Ok(Self {
                host: if host.is_empty() {
                    "127.0.0.1".into()
                } else {
                    host.to_string()
                },
                port: port(p)?,
            }),
            Some(_) => Err(format!(
                "adb server address {text:?}: write IPv6 hosts as [addr]:port"
            )),
            None => Ok(Self {
                host: "127.0.0.1".into(),
                port: port(t)?,
            }),
        }
    }

    /// Resolves the address the way adb does: an explicit value first, then
    /// `ADB_SERVER_SOCKET`, then `ANDROID_ADB_SERVER_ADDRESS` and
    /// `ANDROID_ADB_SERVER_PORT`, then `127.0.0.1:5037`.
    pub fn resolve(
        explicit: Option<&str>,
        env: impl Fn(&str) -> Option<String>,
    ) -> std::result::Result<Self, String> {
        if let Some(e) = explicit {
            return Self::parse(e);
        }
        if let Some(sock) = env("ADB_SERVER_SOCKET").filter(|s| !s.is_empty()) {
            return Self::parse(&sock).map_err(|e| format!("ADB_SERVER_SOCKET: {e}"));
        }
        let mut addr = Self::default();
        if let Some(host) = env("ANDROID_ADB_SERVER_ADDRESS").filter(|s| !s.is_empty()) {
            addr.host = host;
        }
        if let Some(p) = env("ANDROID_ADB_SERVER_PORT").filter(|s| !s.is_empty()) {
            addr.port = p
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| format!("ANDROID_ADB_SERVER_PORT: bad port {p:?}"))?;
        }
        Ok(addr)
    }

    /// [`resolve`](Self::resolve) with the process environment.
    pub fn from_env(explicit: Option<&str>) -> std::result::Result<Self, String> {
        Self::resolve(explicit, |k| std::env::var(k).ok())
    }
}

/// One line of `host:devices-l`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeviceEntry {
    pub serial: String,
    /// `device`, `offline`, `unauthorized`, `authorizing`, `connecting`,
    /// `no permissions…`, … as the server prints it.
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transport_id: Option<u32>,
}

impl DeviceEntry {
    /// Only `device` accepts commands.
    pub fn is_online(&self) -> bool {
        self.state == "device"
    }
}

/// Parses the `host:devices-l` text. adb_client's `DeviceLong` reads the
/// standard line; lines it rejects (a `no permissions (…)` state with
/// spaces, servers older than `transport_id`) are read token by token, so
/// one odd line never hides the other devices.
pub fn parse_devices(text: &str) -> Vec<DeviceEntry> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| from_adb_client(line).unwrap_or_else(|| from_tokens(line)))
        .collect()
}

fn from_adb_client(line: &str) -> Option<DeviceEntry> {
    let d = adb_client::server::DeviceLong::try_from(line.as_bytes()).ok()?;
    let known = |v: String| (v != "Unk").then_some(v);
    Some(DeviceEntry {
        serial: d.identifier,
        state: d.state.to_string(),
        product: known(d.product),
        model: known(d.model),
        device: known(d.device),
        transport_id: Some(d.transport_id),
    })
}

fn from_tokens(line: &str) -> DeviceEntry {
    let line = line.trim();
    let (serial, rest) = line
        .split_once(|c: char| c.is_whitespace())
        .unwrap_or((line, ""));
    let rest = rest.trim_start();
    let mut entry = DeviceEntry {
        serial: serial.to_string(),
        state: String::new(),
        product: None,
        model: None,
        device: None,
        transport_id: None,
    };
    // The state runs up to the first `key:value` token; `no permissions
    // (…); see [url]` holds spaces and even a colon inside its URL.
    let mut state_words = Vec::new();
    let mut in_state = true;
    for token in rest.split_whitespace() {
        let kv = token.split_once(':').filter(|(k, _)| {
            matches!(
                k,
                &("usb" | "product" | "model" | "device" | "transport_id")
            )
        });
        match kv {
            Some((key, value)) => {
                in_state = false;
                match key {
                    "product" => entry.product = Some(value.to_string()),
                    "model" => entry.model = Some(value.to_string()),
                    "device" => entry.device = Some(value.to_string()),
                    "transport_id" => entry.transport_id = value.parse().ok(),
                    _ => {}
                }
            }
            None if in_state => state_words.push(token),
            None => {}
        }
    }
    entry.state = state_words.join(" ");
    entry
}

/// A client of one adb server. Cheap to clone; every request opens its own
/// connection, as adb does.
#[derive(Debug, Clone)]
pub struct AdbServer {
    addr: ServerAddr,
}

const HOST: &str = "adb server";

impl AdbServer {
    pub fn new(addr: ServerAddr) -> Self {
        Self { addr }
    }

    pub fn addr(&self) -> &ServerAddr {
        &self.addr
    }

    async fn connect(&self, deadline: Deadline, serial: &str, what: &str) -> Result<TcpStream> {
        let target = (self.addr.host.as_str(), self.addr.port);
        match timeout_at(deadline.at, TcpStream::connect(target)).await {
            Ok(Ok(s)) => {
                let _ = s.set_nodelay(true);
                Ok(s)
            }
            Ok(Err(e)) => Err(DeviceError::new(
                serial,
                what,
                ErrorKind::ServerUnavailable {
                    address: self.addr.to_string(),
                    detail: format!(
                        "{e} (is it running? `adb start-server` starts it, or pass --adb-server)"
                    ),
                },
            )),
            Err(_) => Err(timeout_error(serial, what, deadline)),
        }
    }

    /// `host:version`: the server's protocol version.
    pub async fn version(&self, limit: Duration) -> Result<u32> {
        let text = self.host_query("host:version", limit).await?;
        u32::from_str_radix(text.trim(), 16).map_err(|_| {
            DeviceError::new(
                HOST,
                "host:version",
                ErrorKind::Malformed {
                    what: "version".into(),
                    detail: text,
                },
            )
        })
    }

    /// `host:devices-l`: every device the server knows, in any state.
    pub async fn devices(&self, limit: Duration) -> Result<Vec<DeviceEntry>> {
        Ok(parse_devices(
            &self.host_query("host:devices-l", limit).await?,
        ))
    }

    /// The device's adbd features (`shell_v2`, `cmd`, `stat_v2`, …).
    pub async fn features(&self, serial: &str, limit: Duration) -> Result<Vec<String>> {
        let req = format!("host-serial:{serial}:features");
        let deadline = Deadline::after(limit);
        let mut s = self.connect(deadline, serial, &req).await?;
        let text = within(serial, &req, deadline, async {
            send_request(&mut s, &req).await?;
            expect_okay(&mut s).await?;
            read_hex_block(&mut s).await
        })
        .await?;
        Ok(text
            .split([',', '\n'])
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(str::to_string)
            .collect())
    }

    /// `host:connect:HOST:PORT` (`adb connect`); returns the server's reply.
    pub async fn connect_device(&self, target: &str, limit: Duration) -> Result<String> {
        self.host_query(&format!("host:connect:{target}"), limit)
            .await
    }

    /// `host:disconnect:HOST:PORT` (`adb disconnect`); returns the reply.
    pub async fn disconnect_device(&self, target: &str, limit: Duration) -> Result<String> {
        self.host_query(&format!("host:disconnect:{target}"), limit)
            .await
    }

    async fn host_query(&self, req: &str, limit: Duration) -> Result<String> {
        let deadline = Deadline::after(limit);
        let mut s = self.connect(deadline, HOST, req).await?;
        within(HOST, req, deadline, async {
            send_request(&mut s, req).await?;
            expect_okay(&mut s).await?;
            read_hex_block(&mut s).await
        })
        .await
    }

    /// Opens a device stream: `host:transport:SERIAL`, then `service`.
    /// The stream is positioned after the service's `OKAY`.
    pub async fn open(
        &self,
        serial: &str,
        service: &str,
        command: &str,
        deadline: Deadline,
    ) -> Result<TcpStream> {
        let mut s = self.connect(deadline, serial, command).await?;
        within(serial, command, deadline, async {
            send_request(&mut s, &format!("host:transport:{serial}")).await?;
            expect_okay(&mut s).await?;
            send_request(&mut s, service).await?;
            expect_okay(&mut s).await
        })
        .await?;
        Ok(s)
    }
}

/// A protocol step's failure before it is tied to a serial and command.
#[derive(Debug)]
pub(crate) enum Wire {
    Io(std::io::Error),
    Fail(String),
    Bad(String),
}

impl From<std::io::Error> for Wire {
    fn from(e: std::io::Error) -> Self {
        Wire::Io(e)
    }
}

/// Maps the server's FAIL text to the error kinds callers act on.
pub fn kind_of_failure(message: &str) -> ErrorKind {
    let m = message.to_ascii_lowercase();
    if m.contains("unauthorized") || m.contains("authorizing") {
        ErrorKind::Unauthorized
    } else if m.contains("offline") {
        ErrorKind::Offline
    } else if m.contains("not found") || m.contains("no devices") {
        ErrorKind::NotFound
    } else if m.contains("closed") || m.contains("connection reset") {
        ErrorKind::Disconnected {
            detail: message.trim().to_string(),
        }
    } else {
        ErrorKind::Protocol {
            detail: message.trim().to_string(),
        }
    }
}

pub(crate) fn wire_error(serial: &str, command: &str, w: Wire) -> DeviceError {
    let kind = match w {
        Wire::Fail(m) => kind_of_failure(&m),
        Wire::Bad(detail) => ErrorKind::Protocol { detail },
        Wire::Io(e) => match e.kind() {
            std::io::ErrorKind::UnexpectedEof
            | std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::BrokenPipe => ErrorKind::Disconnected {
                detail: format!("stream ended early: {e}"),
            },
            _ => ErrorKind::Protocol {
                detail: e.to_string(),
            },
        },
    };
    DeviceError::new(serial, command, kind)
}

/// A call's bound: when it ends, and how long it was given (for the error).
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    pub at: Instant,
    pub limit: Duration,
}

impl Deadline {
    pub fn after(limit: Duration) -> Self {
        Self {
            at: Instant::now() + limit,
            limit,
        }
    }
}

pub(crate) fn timeout_error(serial: &str, command: &str, deadline: Deadline) -> DeviceError {
    DeviceError::new(
        serial,
        command,
        ErrorKind::Timeout {
            after: deadline.limit,
        },
    )
}

/// Runs a protocol step under a deadline, attributing failures.
pub(crate) async fn within<T>(
    serial: &str,
    command: &str,
    deadline: Deadline,
    fut: impl Future<Output = std::result::Result<T, Wire>>,
) -> Result<T> {
    match timeout_at(deadline.at, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(w)) => Err(wire_error(serial, command, w)),
        Err(_) => Err(timeout_error(serial, command, deadline)),
    }
}

pub(crate) async fn send_request(s: &mut TcpStream, req: &str) -> std::result::Result<(), Wire> {
    if req.len() > 0xffff {
        return Err(Wire::Bad(format!(
            "request of {} bytes exceeds the protocol's 65535",
            req.len()
        )));
    }
    s.write_all(format!("{:04x}{req}", req.len()).as_bytes())
        .await?;
    Ok(())
}

/// Reads `OKAY`, or `FAIL` + hex-length message.
pub(crate) async fn expect_okay<R: AsyncRead + Unpin>(s: &mut R) -> std::result::Result<(), Wire> {
    let mut status = [0u8; 4];
    s.read_exact(&mut status).await?;
    match &status {
        b"OKAY" => Ok(()),
        b"FAIL" => {
            let msg = read_hex_block(s)
                .await
                .unwrap_or_else(|_| "(no message)".into());
            Err(Wire::Fail(msg))
        }
        other => Err(Wire::Bad(format!(
            "expected OKAY or FAIL, got {:?}",
            String::from_utf8_lossy(other)
        ))),
    }
}

pub(crate) async fn read_hex_block<R: AsyncRead + Unpin>(
    s: &mut R,
) -> std::result::Result<String, Wire> {
    let mut len = [0u8; 4];
    s.read_exact(&mut len).await?;
    let len = std::str::from_utf8(&len)
        .ok()
        .and_then(|l| usize::from_str_radix(l, 16).ok())
        .ok_or_else(|| Wire::Bad(format!("bad length prefix {len:?}")))?;
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).await?;
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// What a `shell,v2` command produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShellOutput {
    pub exit: u8,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl ShellOutput {
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// One shell v2 message from the device.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Packet {
    Stdout(Vec<u8>),
    Stderr(Vec<u8>),
    Exit(u8),
}

/// Largest shell v2 message accepted (adbd sends at most its max payload).
const MAX_PACKET: usize = 16 << 20;

/// Reads the next shell v2 message; `None` at a clean end of stream.
pub(crate) async fn read_packet<R: AsyncRead + Unpin>(
    s: &mut R,
) -> std::result::Result<Option<Packet>, Wire> {
    loop {
        let mut header = [0u8; 5];
        match s.read(&mut header[..1]).await? {
            0 => return Ok(None),
            _ => s.read_exact(&mut header[1..]).await?,
        };
        let (id, len) = shell_v2::parse_header(header);
        if len > MAX_PACKET {
            return Err(Wire::Bad(format!("shell v2 message of {len} bytes")));
        }
        let mut data = vec![0u8; len];
        s.read_exact(&mut data).await?;
        match id {
            shell_v2::ID_STDOUT => return Ok(Some(Packet::Stdout(data))),
            shell_v2::ID_STDERR => return Ok(Some(Packet::Stderr(data))),
            shell_v2::ID_EXIT => {
                let code = data
                    .first()
                    .copied()
                    .ok_or_else(|| Wire::Bad("empty exit message".into()))?;
                return Ok(Some(Packet::Exit(code)));
            }
            // Ids the host does not expect from a device are skipped.
            _ => {}
        }
    }
}

/// Collects a whole shell v2 command. The stream ending before the exit
/// message means the device (or its transport) went away.
pub(crate) async fn collect_shell(
    s: &mut TcpStream,
    stdin: Option<&[u8]>,
) -> std::result::Result<ShellOutput, Wire> {
    if let Some(input) = stdin {
        for chunk in input.chunks(64 * 1024) {
            s.write_all(&shell_v2::encode(shell_v2::ID_STDIN, chunk))
                .await?;
        }
        s.write_all(&shell_v2::encode(shell_v2::ID_CLOSE_STDIN, &[]))
            .await?;
    }
    let mut out = ShellOutput::default();
    loop {
        match read_packet(s).await? {
            Some(Packet::Stdout(d)) => out.stdout.extend_from_slice(&d),
            Some(Packet::Stderr(d)) => out.stderr.extend_from_slice(&d),
            Some(Packet::Exit(code)) => {
                out.exit = code;
                return Ok(out);
            }
            None => {
                return Err(Wire::Io(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "shell stream closed before the exit status",
                )));
            }
        }
    }
}

/// `sync:` requests: 4-byte id, little-endian u32 length, data.
pub(crate) async fn sync_request(
    s: &mut TcpStream,
    id: &[u8; 4],
    data: &[u8],
) -> std::result::Result<(), Wire> {
    let len = u32::try_from(data.len()).map_err(|_| Wire::Bad("sync request too large".into()))?;
    let mut msg = Vec::with_capacity(8 + data.len());
    msg.extend_from_slice(id);
    msg.extend_from_slice(&len.to_le_bytes());
    msg.extend_from_slice(data);
    s.write_all(&msg).await?;
    Ok(())
}

pub(crate) async fn sync_header(s: &mut TcpStream) -> std::result::Result<([u8; 4], u32), Wire> {
    let mut h = [0u8; 8];
    s.read_exact(&mut h).await?;
    let id = [h[0], h[1], h[2], h[3]];
    let n = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
    Ok((id, n))
}

pub(crate) async fn sync_fail_message(
    s: &mut TcpStream,
    len: u32,
) -> std::result::Result<String, Wire> {
    let len = usize::try_from(len).unwrap_or(usize::MAX).min(64 * 1024);
    let mut msg = vec![0u8; len];
    s.read_exact(&mut msg).await?;
    Ok(String::from_utf8_lossy(&msg).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_string())
        }
    }

    #[test]
    fn address_resolution_follows_adb() {
        let a = |s| ServerAddr::parse(s).unwrap().to_string();
        assert_eq!(a("tcp:10.0.0.2:5037"), "10.0.0.2:5037");
        assert_eq!(a("tcp:5038"), "127.0.0.1:5038");
        assert_eq!(a("host.lan:6000"), "host.lan:6000");
        assert_eq!(a("[::1]:5037"), "[::1]:5037");
        assert_eq!(a(":5040"), "127.0.0.1:5040");
        assert!(ServerAddr::parse("tcp:host:0").is_err());
        assert!(ServerAddr::parse("localfilesystem:/tmp/s").is_err());
        assert!(ServerAddr::parse("::1:5037").is_err());
        assert!(ServerAddr::parse("host:port").is_err());

        assert_eq!(
            ServerAddr::resolve(None, env(&[])).unwrap(),
            ServerAddr::default()
        );
        assert_eq!(
            ServerAddr::resolve(None, env(&[("ANDROID_ADB_SERVER_PORT", "5050")]))
                .unwrap()
                .to_string(),
            "127.0.0.1:5050"
        );
        let both = [
            ("ADB_SERVER_SOCKET", "tcp:remote:7000"),
            ("ANDROID_ADB_SERVER_PORT", "5050"),
        ];
        assert_eq!(
            ServerAddr::resolve(None, env(&both)).unwrap().to_string(),
            "remote:7000"
        );
        assert_eq!(
            ServerAddr::resolve(Some("other:1"), env(&both))
                .unwrap()
                .to_string(),
            "other:1"
        );
        assert!(
            ServerAddr::resolve(None, env(&[("ANDROID_ADB_SERVER_PORT", "x")]))
                .unwrap_err()
                .contains("ANDROID_ADB_SERVER_PORT")
        );
    }

    #[test]
    fn device_lines_in_every_state() {
        let text = "emulator-5554          device product:sdk_gphone64_x86_64 model:sdk_gphone64_x86_64 device:emu64xa transport_id:1\n\
127.0.0.1:40001        unauthorized transport_id:2\n\
0123456789ABCDEF       no permissions (missing udev rules? user is in the plugdev group); see [http://developer.android.com/tools/device.html] usb:1-1 transport_id:3\n\
192.168.1.20:5555      offline\n";
        let d = parse_devices(text);
        assert_eq!(d.len(), 4);
        assert_eq!(d[0].serial, "emulator-5554");
        assert!(d[0].is_online());
        assert_eq!(d[0].model.as_deref(), Some("sdk_gphone64_x86_64"));
        assert_eq!(d[0].device.as_deref(), Some("emu64xa"));
        assert_eq!(d[0].transport_id, Some(1));
        assert_eq!(
            (d[1].state.as_str(), d[1].transport_id),
            ("unauthorized", Some(2))
        );
        assert!(
            d[2].state
                .starts_with("no permissions (missing udev rules?")
        );
        assert!(d[2].state.ends_with("device.html]"));
        assert_eq!(d[2].transport_id, Some(3));
        assert_eq!((d[3].state.as_str(), d[3].transport_id), ("offline", None));
        assert!(!d[3].is_online());
    }

    #[test]
    fn failure_messages_map_to_kinds() {
        assert_eq!(
            kind_of_failure("device unauthorized.\nThis adb server's $ADB_VENDOR_KEYS is not set"),
            ErrorKind::Unauthorized
        );
        assert_eq!(
            kind_of_failure("device still authorizing"),
            ErrorKind::Unauthorized
        );
        assert_eq!(kind_of_failure("device offline"), ErrorKind::Offline);
        assert_eq!(kind_of_failure("device 'x' not found"), ErrorKind::NotFound);
        assert!(matches!(
            kind_of_failure("closed"),
            ErrorKind::Disconnected { .. }
        ));
        assert!(matches!(
            kind_of_failure("unknown host service"),
            ErrorKind::Protocol { .. }
        ));
    }

    #[tokio::test]
    async fn shell_packets_are_read_and_early_end_is_an_error() {
        let mut wire = shell_v2::encode(shell_v2::ID_STDOUT, b"out");
        wire.extend(shell_v2::encode(5, b"ignored"));
        wire.extend(shell_v2::encode(shell_v2::ID_STDERR, b"err"));
        wire.extend(shell_v2::encode(shell_v2::ID_EXIT, &[7]));
        let mut r = wire.as_slice();
        assert_eq!(
            read_packet(&mut r).await.unwrap(),
            Some(Packet::Stdout(b"out".to_vec()))
        );
        assert_eq!(
            read_packet(&mut r).await.unwrap(),
            Some(Packet::Stderr(b"err".to_vec()))
        );
        assert_eq!(read_packet(&mut r).await.unwrap(), Some(Packet::Exit(7)));
        assert_eq!(read_packet(&mut r).await.unwrap(), None);
        let cut = shell_v2::encode(shell_v2::ID_STDOUT, b"abcdef");
        let mut r = &cut[..7];
        assert!(matches!(read_packet(&mut r).await, Err(Wire::Io(_))));
        let mut huge = vec![shell_v2::ID_STDOUT];
        huge.extend(u32::MAX.to_le_bytes());
        let mut r = huge.as_slice();
        assert!(matches!(read_packet(&mut r).await, Err(Wire::Bad(_))));
    }
}
