//! One adb transport connection: the CNXN/AUTH handshake, then streams
//! multiplexed over OPEN/OKAY/WRTE/CLSE, each served by its own task.
//!
//! Flow control follows adb 29: after each `WRTE` the sender waits for the
//! peer's `OKAY` before sending more on that stream; we acknowledge the
//! host's `WRTE`s as we take them. Writes are split to the negotiated
//! maximum payload (adb 29 silently drops oversize packets), and `CLSE`
//! follows the last `WRTE` without waiting for its `OKAY`.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use super::control::{AuthMode, Control};
use super::packet::{
    AUTH, AUTH_RSAPUBLICKEY, AUTH_SIGNATURE, AUTH_TOKEN, CLSE, CNXN, HEADER_LEN, Header,
    MAX_PAYLOAD, OKAY, OPEN, Packet, VERSION, WRTE, command_name,
};
use super::sync::SyncSession;
use crate::android::shell_v2;
use crate::sim::backend::{Backend, Output};

/// What the connection's reader passes to a stream task.
#[derive(Debug)]
enum Event {
    /// Payload of a host `WRTE`.
    Data(Vec<u8>),
    /// Host `OKAY`: ready for our next `WRTE`.
    Ready,
    /// Host `CLSE`.
    Close,
}

/// The stream has been closed by the host (or the connection is gone).
#[derive(Debug)]
struct Closed;

/// A stream task's side of one stream.
struct StreamIo {
    local: u32,
    remote: u32,
    out: mpsc::UnboundedSender<Packet>,
    events: mpsc::UnboundedReceiver<Event>,
    max_payload: usize,
    pending: VecDeque<Vec<u8>>,
}

impl StreamIo {
    /// Queues a packet; never waits, so that `read` stays cancel-safe.
    fn send(&self, packet: Packet) -> Result<(), Closed> {
        self.out.send(packet).map_err(|_| Closed)
    }

    /// Sends data, split to the maximum payload, waiting for the host's
    /// `OKAY` after each packet. Host data arriving meanwhile is kept.
    async fn write(&mut self, data: &[u8]) -> Result<(), Closed> {
        for chunk in data.chunks(self.max_payload.max(1)) {
            self.send(Packet::new(WRTE, self.local, self.remote, chunk.to_vec()))?;
            loop {
                match self.events.recv().await {
                    Some(Event::Ready) => break,
                    Some(Event::Data(d)) => {
                        self.send(Packet::new(OKAY, self.local, self.remote, Vec::new()))?;
                        self.pending.push_back(d);
                    }
                    Some(Event::Close) | None => return Err(Closed),
                }
            }
        }
        Ok(())
    }

    /// The next bytes from the host, acknowledged; `None` once closed.
    /// Cancel-safe: the only await is the channel receive.
    async fn read(&mut self) -> Option<Vec<u8>> {
        if let Some(d) = self.pending.pop_front() {
            return Some(d);
        }
        loop {
            match self.events.recv().await? {
                Event::Data(d) => {
                    self.send(Packet::new(OKAY, self.local, self.remote, Vec::new()))
                        .ok()?;
                    return Some(d);
                }
                Event::Ready => {}
                Event::Close => return None,
            }
        }
    }

    fn close(self) {
        let _ = self.send(Packet::new(CLSE, self.local, self.remote, Vec::new()));
    }
}

/// Which service a stream runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Service {
    /// `shell:cmd`, without the shell protocol: stdout and stderr merged,
    /// no exit status.
    ShellRaw(String),
    /// `shell,v2,...:cmd`: framed stdout, stderr and exit status.
    ShellV2(String),
    /// `exec:cmd`: binary-safe raw output.
    Exec(String),
    Sync,
    Unsupported(String),
}

impl Service {
    /// Parses the `OPEN` payload (`shell,v2,raw:getprop\0`).
    pub(crate) fn parse(payload: &[u8]) -> Self {
        let text = String::from_utf8_lossy(payload);
        let text = text.trim_end_matches('\0');
        if let Some(rest) = text.strip_prefix("shell") {
            if let Some((args, cmd)) = rest.split_once(':') {
                let v2 = args.split(',').any(|a| a == "v2");
                return if v2 {
                    Service::ShellV2(cmd.to_string())
                } else {
                    Service::ShellRaw(cmd.to_string())
                };
            }
        }
        if let Some(cmd) = text.strip_prefix("exec:") {
            return Service::Exec(cmd.to_string());
        }
        if text == "sync:" {
            return Service::Sync;
        }
        Service::Unsupported(text.to_string())
    }
}

/// Serves one TCP connection from an adb server until it closes or the
/// device is taken offline.
pub(crate) async fn serve(stream: TcpStream, backend: Arc<dyn Backend>, control: Arc<Control>) {
    let peer = stream
        .peer_addr()
        .map_or_else(|_| "?".to_string(), |a| a.to_string());
    let _ = stream.set_nodelay(true);
    let (mut reader, mut writer) = stream.into_split();
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Packet>();
    let writer_task = tokio::spawn(async move {
        while let Some(p) = out_rx.recv().await {
            if writer.write_all(&p.encode()).await.is_err() {
                break;
            }
        }
        let _ = writer.shutdown().await;
    });
    let mut kill = control.kill_signal();
    let mut auth = control.auth_watch();
    let mut conn = Connection {
        backend,
        control: Arc::clone(&control),
        out: out_tx,
        streams: HashMap::new(),
        next_local: 1,
        host_version: 0,
        max_payload: MAX_PAYLOAD,
        connected: false,
        waiting_for_user: false,
    };
    loop {
        tokio::select! {
            packet = read_packet(&mut reader, conn.max_payload.max(MAX_PAYLOAD), conn.host_version) => {
                match packet {
                    Ok(p) => {
                        if !conn.handle(p) {
                            break;
                        }
                    }
                    Err(e) => {
                        tracing::debug!(%peer, error = %e, "adb connection ended");
                        break;
                    }
                }
            }
            _ = kill.changed() => {
                tracing::debug!(%peer, "dropping adb connection (fault injection or offline)");
                break;
            }
            _ = auth.changed() => {
                if conn.waiting_for_user && control.authorized() {
                    conn.waiting_for_user = false;
                    conn.send_connect();
                }
            }
        }
    }
    for (_, tx) in conn.streams.drain() {
        let _ = tx.send(Event::Close);
    }
    drop(conn);
    let _ = writer_task.await;
}

async fn read_packet(
    reader: &mut tokio::net::tcp::OwnedReadHalf,
    max_payload: u32,
    host_version: u32,
) -> std::io::Result<Packet> {
    let mut header = [0u8; HEADER_LEN];
    reader.read_exact(&mut header).await?;
    let h = Header::parse(&header, max_payload)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    let mut payload = vec![0u8; h.len as usize];
    reader.read_exact(&mut payload).await?;
    h.verify(&payload, host_version)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    Ok(Packet::new(h.command, h.arg0, h.arg1, payload))
}

struct Connection {
    backend: Arc<dyn Backend>,
    control: Arc<Control>,
    out: mpsc::UnboundedSender<Packet>,
    streams: HashMap<u32, mpsc::UnboundedSender<Event>>,
    next_local: u32,
    host_version: u32,
    max_payload: u32,
    connected: bool,
    /// AUTH reached the public-key stage; connect once the user "accepts".
    waiting_for_user: bool,
}

impl Connection {
    fn send(&self, p: Packet) -> bool {
        self.out.send(p).is_ok()
    }

    fn send_connect(&mut self) {
        self.connected = true;
        let banner = self.backend.banner().into_bytes();
        let _ = self.send(Packet::new(CNXN, VERSION, self.max_payload, banner));
    }

    fn send_token(&self) -> bool {
        let token: Vec<u8> = (0..20u8)
            .map(|i| i.wrapping_mul(37).wrapping_add(self.control.serial_seed()))
            .collect();
        self.send(Packet::new(AUTH, AUTH_TOKEN, 0, token))
    }

    /// Handles one packet; false ends the connection.
    fn handle(&mut self, p: Packet) -> bool {
        tracing::trace!(command = %command_name(p.command), arg0 = p.arg0, arg1 = p.arg1, len = p.payload.len(), "adbd <-");
        match p.command {
            CNXN => {
                self.host_version = p.arg0;
                self.max_payload = p.arg1.clamp(4096, MAX_PAYLOAD);
                match self.control.auth_mode() {
                    AuthMode::Accept => self.send_connect(),
                    AuthMode::Reject | AuthMode::Prompt => {
                        if self.control.authorized() {
                            self.send_connect();
                        } else {
                            return self.send_token();
                        }
                    }
                }
                true
            }
            AUTH if !self.connected => match p.arg0 {
                AUTH_SIGNATURE => {
                    if self.control.authorized() {
                        self.send_connect();
                        true
                    } else {
                        // Ask for the next key (and, after the last, the public key).
                        self.send_token()
                    }
                }
                AUTH_RSAPUBLICKEY => {
                    // A real device would show "Allow USB debugging?".
                    self.waiting_for_user = true;
                    if self.control.authorized() {
                        self.waiting_for_user = false;
                        self.send_connect();
                    }
                    true
                }
                _ => true,
            },
            OPEN if self.connected => {
                self.open(&p);
                if self.control.note_command() {
                    tracing::debug!(
                        "dropping adb connection after the configured number of commands"
                    );
                    return false;
                }
                true
            }
            OKAY => {
                if let Some(tx) = self.streams.get(&p.arg1) {
                    let _ = tx.send(Event::Ready);
                }
                true
            }
            WRTE => {
                if let Some(tx) = self.streams.get(&p.arg1) {
                    let _ = tx.send(Event::Data(p.payload));
                } else {
                    // Unknown stream: tell the host it is gone.
                    let _ = self.send(Packet::new(CLSE, 0, p.arg0, Vec::new()));
                }
                true
            }
            CLSE => {
                if let Some(tx) = self.streams.remove(&p.arg1) {
                    let _ = tx.send(Event::Close);
                }
                true
            }
            _ => true,
        }
    }

    fn open(&mut self, p: &Packet) {
        let remote = p.arg0;
        let service = Service::parse(&p.payload);
        tracing::debug!(?service, "adbd open");
        if let Service::Unsupported(name) = &service {
            tracing::debug!(service = %name, "unsupported service");
            let _ = self.send(Packet::new(CLSE, 0, remote, Vec::new()));
            return;
        }
        let local = self.next_local;
        self.next_local = self.next_local.wrapping_add(1).max(1);
        let (tx, rx) = mpsc::unbounded_channel();
        self.streams.insert(local, tx);
        let io = StreamIo {
            local,
            remote,
            out: self.out.clone(),
            events: rx,
            max_payload: self.max_payload as usize,
            pending: VecDeque::new(),
        };
        if !self.send(Packet::new(OKAY, local, remote, Vec::new())) {
            return;
        }
        let backend = Arc::clone(&self.backend);
        let control = Arc::clone(&self.control);
        tokio::spawn(async move {
            run_service(service, io, backend, control).await;
        });
    }
}

async fn run_service(
    service: Service,
    mut io: StreamIo,
    backend: Arc<dyn Backend>,
    control: Arc<Control>,
) {
    control.active_streams.fetch_add(1, Ordering::SeqCst);
    match service {
        Service::Sync => {
            let mut session = SyncSession::default();
            while let Some(data) = io.read().await {
                let step = session.feed(&data, backend.as_ref());
                if !step.reply.is_empty() && io.write(&step.reply).await.is_err() {
                    break;
                }
                if step.close {
                    break;
                }
            }
            io.close();
        }
        Service::ShellV2(cmd) => run_process(&cmd, true, io, backend.as_ref()).await,
        Service::ShellRaw(cmd) | Service::Exec(cmd) => {
            run_process(&cmd, false, io, backend.as_ref()).await;
        }
        Service::Unsupported(_) => io.close(),
    }
    control.active_streams.fetch_sub(1, Ordering::SeqCst);
}

/// Runs a command and relays its output (framed for the shell protocol, or
/// raw) and the host's stdin, until it exits or the host closes.
async fn run_process(cmd: &str, v2: bool, mut io: StreamIo, backend: &dyn Backend) {
    let mut process = backend.spawn(cmd);
    let mut stdin = Some(process.stdin.clone());
    drop(process.stdin);
    let mut decoder = shell_v2::Decoder::default();
    loop {
        tokio::select! {
            out = process.output.recv() => {
                let bytes = match out {
                    Some(Output::Stdout(b)) if v2 => shell_v2::encode(shell_v2::ID_STDOUT, &b),
                    Some(Output::Stderr(b)) if v2 => shell_v2::encode(shell_v2::ID_STDERR, &b),
                    Some(Output::Stdout(b) | Output::Stderr(b)) => b,
                    Some(Output::Exit(code)) => {
                        if v2 {
                            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                            let status = (code & 0xff) as u8;
                            let _ = io.write(&shell_v2::encode(shell_v2::ID_EXIT, &[status])).await;
                        }
                        break;
                    }
                    None => break,
                };
                if bytes.is_empty() {
                    continue;
                }
                if io.write(&bytes).await.is_err() {
                    return;
                }
                // Host data that arrived while we were writing.
                while let Some(d) = io.pending.pop_front() {
                    feed_stdin(v2, &d, &mut decoder, &mut stdin).await;
                }
            }
            input = io.read() => {
                match input {
                    Some(d) => feed_stdin(v2, &d, &mut decoder, &mut stdin).await,
                    // The host closed the stream: dropping the process stops it.
                    None => return,
                }
            }
        }
    }
    io.close();
}

async fn feed_stdin(
    v2: bool,
    data: &[u8],
    decoder: &mut shell_v2::Decoder,
    stdin: &mut Option<mpsc::Sender<Vec<u8>>>,
) {
    if !v2 {
        if let Some(tx) = stdin {
            let _ = tx.send(data.to_vec()).await;
        }
        return;
    }
    decoder.push(data);
    while let Some((id, bytes)) = decoder.next_message() {
        match id {
            shell_v2::ID_STDIN => {
                if let Some(tx) = stdin {
                    let _ = tx.send(bytes).await;
                }
            }
            shell_v2::ID_CLOSE_STDIN => *stdin = None,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_parse() {
        assert_eq!(
            Service::parse(b"shell,v2,raw:getprop\0"),
            Service::ShellV2("getprop".into())
        );
        assert_eq!(
            Service::parse(b"shell,v2,TERM=xterm-256color,pty:ls -l\0"),
            Service::ShellV2("ls -l".into())
        );
        assert_eq!(
            Service::parse(b"shell:echo a:b\0"),
            Service::ShellRaw("echo a:b".into())
        );
        assert_eq!(
            Service::parse(b"exec:screencap -p\0"),
            Service::Exec("screencap -p".into())
        );
        assert_eq!(Service::parse(b"sync:\0"), Service::Sync);
        assert!(matches!(
            Service::parse(b"reboot:\0"),
            Service::Unsupported(_)
        ));
    }
}
