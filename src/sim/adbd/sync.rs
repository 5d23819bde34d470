//! The file-sync service (`sync:`), used by `adb push`, `adb pull` and
//! legacy installs. Requests are an 8-byte header (4-byte id, u32 length)
//! plus data; this state machine consumes bytes as they arrive in `WRTE`
//! payloads and returns the bytes to send back. File access goes through
//! the [`Backend`]; the framing here is pure.

use crate::sim::backend::{Backend, FileStat};

/// Largest `DATA` chunk in either direction.
pub(crate) const SYNC_DATA_MAX: usize = 64 * 1024;
/// Longest path accepted in a request.
const MAX_PATH: usize = 1024;

const ENOENT: u32 = 2;

#[derive(Debug)]
enum State {
    /// Waiting for a request.
    Idle,
    /// After `SEND path,mode`: collecting `DATA` until `DONE`.
    Receiving {
        path: String,
        mode: u32,
        data: Vec<u8>,
    },
}

/// What to do after feeding bytes.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Step {
    /// Bytes to send to the host.
    pub(crate) reply: Vec<u8>,
    /// The host sent `QUIT` or broke the protocol: close the stream.
    pub(crate) close: bool,
}

#[derive(Debug)]
pub(crate) struct SyncSession {
    buf: Vec<u8>,
    state: State,
}

impl Default for SyncSession {
    fn default() -> Self {
        Self {
            buf: Vec::new(),
            state: State::Idle,
        }
    }
}

fn fail(out: &mut Vec<u8>, message: &str) {
    out.extend_from_slice(b"FAIL");
    out.extend_from_slice(&u32::try_from(message.len()).unwrap_or(0).to_le_bytes());
    out.extend_from_slice(message.as_bytes());
}

fn stat_v1(out: &mut Vec<u8>, st: Option<FileStat>) {
    let st = st.unwrap_or_default();
    out.extend_from_slice(b"STAT");
    for w in [st.mode, st.size, st.mtime] {
        out.extend_from_slice(&w.to_le_bytes());
    }
}

fn stat_v2(out: &mut Vec<u8>, id: [u8; 4], st: Option<FileStat>) {
    out.extend_from_slice(&id);
    let (error, st) = match st {
        Some(s) => (0u32, s),
        None => (ENOENT, FileStat::default()),
    };
    out.extend_from_slice(&error.to_le_bytes());
    out.extend_from_slice(&0u64.to_le_bytes()); // dev
    out.extend_from_slice(&1u64.to_le_bytes()); // ino
    out.extend_from_slice(&st.mode.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes()); // nlink
    out.extend_from_slice(&2000u32.to_le_bytes()); // uid: shell
    out.extend_from_slice(&2000u32.to_le_bytes()); // gid
    out.extend_from_slice(&u64::from(st.size).to_le_bytes());
    for _ in 0..3 {
        out.extend_from_slice(&i64::from(st.mtime).to_le_bytes()); // atime, mtime, ctime
    }
}

impl SyncSession {
    /// Consumes `bytes` and answers every complete request.
    pub(crate) fn feed(&mut self, bytes: &[u8], backend: &dyn Backend) -> Step {
        self.buf.extend_from_slice(bytes);
        let mut step = Step::default();
        loop {
            if self.buf.len() < 8 {
                return step;
            }
            let id: [u8; 4] = [self.buf[0], self.buf[1], self.buf[2], self.buf[3]];
            let len = u32::from_le_bytes([self.buf[4], self.buf[5], self.buf[6], self.buf[7]]);
            let len_usize = len as usize;
            // DONE carries the mtime in its length field, and no data.
            let body_len = if &id == b"DONE" { 0 } else { len_usize };
            let limit = if &id == b"DATA" {
                SYNC_DATA_MAX
            } else {
                MAX_PATH
            };
            if body_len > limit {
                fail(&mut step.reply, "sync request too long");
                step.close = true;
                return step;
            }
            if self.buf.len() < 8 + body_len {
                return step;
            }
            let body: Vec<u8> = self.buf[8..8 + body_len].to_vec();
            self.buf.drain(..8 + body_len);
            if self.handle(id, len, &body, backend, &mut step.reply) {
                step.close = true;
                return step;
            }
        }
    }

    /// Handles one request; returns true to close the stream.
    fn handle(
        &mut self,
        id: [u8; 4],
        len: u32,
        body: &[u8],
        backend: &dyn Backend,
        out: &mut Vec<u8>,
    ) -> bool {
        let path = || String::from_utf8_lossy(body).into_owned();
        match (&mut self.state, &id) {
            (State::Receiving { data, .. }, b"DATA") => {
                data.extend_from_slice(body);
                false
            }
            (State::Receiving { .. }, b"DONE") => {
                let State::Receiving { path, mode, data } =
                    std::mem::replace(&mut self.state, State::Idle)
                else {
                    return true;
                };
                match backend.write(&path, data, mode, len) {
                    Ok(()) => {
                        out.extend_from_slice(b"OKAY");
                        out.extend_from_slice(&0u32.to_le_bytes());
                    }
                    Err(e) => fail(out, &e),
                }
                false
            }
            (State::Receiving { .. }, _) => {
                fail(out, "unexpected request during SEND");
                true
            }
            (State::Idle, b"STAT") => {
                stat_v1(out, backend.stat(&path()));
                false
            }
            (State::Idle, b"STA2" | b"LST2") => {
                stat_v2(out, id, backend.stat(&path()));
                false
            }
            (State::Idle, b"LIST") => {
                for (name, st) in backend.list(&path()).unwrap_or_default() {
                    out.extend_from_slice(b"DENT");
                    for w in [
                        st.mode,
                        st.size,
                        st.mtime,
                        u32::try_from(name.len()).unwrap_or(0),
                    ] {
                        out.extend_from_slice(&w.to_le_bytes());
                    }
                    out.extend_from_slice(name.as_bytes());
                }
                out.extend_from_slice(b"DONE");
                out.extend_from_slice(&[0; 16]);
                false
            }
            (State::Idle, b"SEND") => {
                let spec = path();
                let (p, mode) = match spec.rsplit_once(',') {
                    Some((p, m)) => (p.to_string(), m.parse::<u32>().unwrap_or(0o100_644)),
                    None => (spec, 0o100_644),
                };
                self.state = State::Receiving {
                    path: p,
                    mode,
                    data: Vec::new(),
                };
                false
            }
            (State::Idle, b"RECV") => {
                match backend.read(&path()) {
                    Some(data) => {
                        for chunk in data.chunks(SYNC_DATA_MAX) {
                            out.extend_from_slice(b"DATA");
                            out.extend_from_slice(
                                &u32::try_from(chunk.len()).unwrap_or(0).to_le_bytes(),
                            );
                            out.extend_from_slice(chunk);
                        }
                        out.extend_from_slice(b"DONE");
                        out.extend_from_slice(&0u32.to_le_bytes());
                    }
                    None => fail(out, "No such file or directory"),
                }
                false
            }
            (State::Idle, b"QUIT") => true,
            (State::Idle, other) => {
                fail(
                    out,
                    &format!("unknown sync request {}", String::from_utf8_lossy(other)),
                );
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    use super::*;
    use crate::sim::backend::Process;

    type FileMap = BTreeMap<String, (Vec<u8>, u32, u32)>;

    #[derive(Default)]
    struct Files(Mutex<FileMap>);

    impl Backend for Files {
        fn banner(&self) -> String {
            String::new()
        }
        fn spawn(&self, _command: &str) -> Process {
            let (_tx, output) = tokio::sync::mpsc::channel(1);
            let (stdin, _rx) = tokio::sync::mpsc::channel(1);
            Process { output, stdin }
        }
        fn stat(&self, path: &str) -> Option<FileStat> {
            let files = self.0.lock().ok()?;
            files.get(path).map(|(d, mode, mtime)| FileStat {
                mode: *mode,
                size: u32::try_from(d.len()).unwrap_or(0),
                mtime: *mtime,
            })
        }
        fn list(&self, _path: &str) -> Option<Vec<(String, FileStat)>> {
            let files = self.0.lock().ok()?;
            Some(
                files
                    .keys()
                    .map(|k| (k.clone(), FileStat::default()))
                    .collect(),
            )
        }
        fn read(&self, path: &str) -> Option<Vec<u8>> {
            self.0.lock().ok()?.get(path).map(|f| f.0.clone())
        }
        fn write(&self, path: &str, data: Vec<u8>, mode: u32, mtime: u32) -> Result<(), String> {
            self.0
                .lock()
                .map_err(|e| e.to_string())?
                .insert(path.to_string(), (data, mode, mtime));
            Ok(())
        }
    }

    fn req(id: [u8; 4], body: &[u8]) -> Vec<u8> {
        let mut v = id.to_vec();
        v.extend_from_slice(&u32::try_from(body.len()).expect("small").to_le_bytes());
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn push_then_pull_round_trips_across_split_writes() {
        let files = Files::default();
        let payload: Vec<u8> = (0..150_000u32).map(|i| (i % 251) as u8).collect();
        let mut wire = req(*b"SEND", b"/sdcard/x.bin,33188");
        for chunk in payload.chunks(SYNC_DATA_MAX) {
            wire.extend(req(*b"DATA", chunk));
        }
        wire.extend_from_slice(b"DONE");
        wire.extend_from_slice(&1_700_000_000u32.to_le_bytes());
        let mut s = SyncSession::default();
        let mut reply = Vec::new();
        for piece in wire.chunks(4000) {
            let step = s.feed(piece, &files);
            assert!(!step.close);
            reply.extend(step.reply);
        }
        assert_eq!(reply, b"OKAY\0\0\0\0");
        let step = s.feed(&req(*b"RECV", b"/sdcard/x.bin"), &files);
        let mut got = Vec::new();
        let mut rest = &step.reply[..];
        while rest.starts_with(b"DATA") {
            let n = u32::from_le_bytes(rest[4..8].try_into().expect("4")) as usize;
            got.extend_from_slice(&rest[8..8 + n]);
            rest = &rest[8 + n..];
        }
        assert_eq!(rest, b"DONE\0\0\0\0");
        assert_eq!(got, payload);
        let step = s.feed(&req(*b"STAT", b"/sdcard/x.bin"), &files);
        assert_eq!(&step.reply[..4], b"STAT");
        assert_eq!(
            u32::from_le_bytes(step.reply[4..8].try_into().expect("4")),
            33188
        );
        assert_eq!(
            u32::from_le_bytes(step.reply[8..12].try_into().expect("4")),
            150_000
        );
        assert!(s.feed(&req(*b"QUIT", b""), &files).close);
    }

    #[test]
    fn missing_files_and_stat_v2() {
        let files = Files::default();
        let mut s = SyncSession::default();
        let step = s.feed(&req(*b"RECV", b"/nope"), &files);
        assert!(step.reply.starts_with(b"FAIL"));
        let step = s.feed(&req(*b"STA2", b"/nope"), &files);
        assert_eq!(step.reply.len(), 72);
        assert_eq!(
            u32::from_le_bytes(step.reply[4..8].try_into().expect("4")),
            ENOENT
        );
    }
}
