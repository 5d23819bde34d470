//! The log buffers (main, system, events, crash) and the pure logcat
//! formats: `threadtime` (`01-15 10:00:01.123  1234  1234 I Tag     : msg`),
//! `brief`, and the `uid` modifier, plus the `--------- beginning of main`
//! headers. Appending wakes streaming readers.

use std::sync::Mutex;

use tokio::sync::Notify;

use super::clock::{SimMillis, fmt_logcat};

/// A log buffer id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Buffer {
    Main,
    System,
    Crash,
    Events,
}

impl Buffer {
    pub fn name(self) -> &'static str {
        match self {
            Buffer::Main => "main",
            Buffer::System => "system",
            Buffer::Crash => "crash",
            Buffer::Events => "events",
        }
    }

    pub fn parse(s: &str) -> Option<Vec<Buffer>> {
        Some(match s {
            "main" => vec![Buffer::Main],
            "system" => vec![Buffer::System],
            "crash" => vec![Buffer::Crash],
            "events" => vec![Buffer::Events],
            "all" => vec![Buffer::Main, Buffer::System, Buffer::Crash, Buffer::Events],
            "default" => vec![Buffer::Main, Buffer::System, Buffer::Crash],
            _ => return None,
        })
    }
}

/// One log record.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub seq: u64,
    pub time: SimMillis,
    pub uid: u32,
    pub pid: u32,
    pub tid: u32,
    /// `V D I W E F`.
    pub level: char,
    pub tag: String,
    pub msg: String,
    pub buffer: Buffer,
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Format {
    pub brief: bool,
    pub uid: bool,
}

/// One line (with newline) per message line, as logcat prints it.
pub fn format_entry(e: &Entry, f: Format) -> String {
    let mut out = String::new();
    for line in e.msg.split('\n') {
        if f.brief {
            out.push_str(&format!("{}/{}({:5}): {line}\n", e.level, e.tag, e.pid));
        } else {
            let uid = if f.uid {
                format!("{:5} ", e.uid)
            } else {
                String::new()
            };
            out.push_str(&format!(
                "{} {uid}{:5} {:5} {} {:<8}: {line}\n",
                fmt_logcat(e.time),
                e.pid,
                e.tid,
                e.level,
                e.tag
            ));
        }
    }
    out
}

/// `--------- beginning of main`.
pub fn header(b: Buffer) -> String {
    format!("--------- beginning of {}\n", b.name())
}

/// The device's log buffers.
#[derive(Debug, Default)]
pub struct Logs {
    entries: Mutex<(u64, Vec<Entry>)>,
    pub notify: Notify,
}

impl Logs {
    pub fn append(&self, mut e: Entry) {
        if let Ok(mut g) = self.entries.lock() {
            g.0 += 1;
            e.seq = g.0;
            g.1.push(e);
        }
        self.notify.notify_waiters();
    }

    /// Entries with `seq > after` in the given buffers.
    pub fn since(&self, after: u64, buffers: &[Buffer]) -> Vec<Entry> {
        self.entries.lock().map_or_else(
            |_| Vec::new(),
            |g| {
                g.1.iter()
                    .filter(|e| e.seq > after && buffers.contains(&e.buffer))
                    .cloned()
                    .collect()
            },
        )
    }

    /// The newest sequence number.
    pub fn last_seq(&self) -> u64 {
        self.entries.lock().map_or(0, |g| g.0)
    }

    /// `logcat -c`: drops the given buffers.
    pub fn clear(&self, buffers: &[Buffer]) {
        if let Ok(mut g) = self.entries.lock() {
            g.1.retain(|e| !buffers.contains(&e.buffer));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::os::clock::at;

    #[test]
    fn threadtime_shape() {
        let e = Entry {
            seq: 1,
            time: at(2026, 1, 15, 10, 0, 1, 5),
            uid: 1000,
            pid: 578,
            tid: 2388,
            level: 'I',
            tag: "OptProp".into(),
            msg: "a\nb".into(),
            buffer: Buffer::Main,
        };
        assert_eq!(
            format_entry(&e, Format::default()),
            "01-15 10:00:01.005   578  2388 I OptProp : a\n01-15 10:00:01.005   578  2388 I OptProp : b\n"
        );
        assert_eq!(
            format_entry(
                &e,
                Format {
                    brief: true,
                    uid: false
                }
            ),
            "I/OptProp(  578): a\nI/OptProp(  578): b\n"
        );
    }
}
