//! The bounded, time-indexed logcat ring buffer a device stream fills:
//! bytes in (in any chunking), parsed entries out, each stamped with a
//! sequence number and the host time it arrived. Old entries are evicted
//! from the front when the entry or byte bound is reached; the parser's
//! summary still counts them. Synchronous: the streaming task owns the I/O.

use std::collections::VecDeque;
use std::time::Duration;

use serde::Serialize;

use crate::android::logcat::{self, Entry, Event, Fed};

/// Default bounds: enough for a long scenario on a chatty device.
pub const DEFAULT_MAX_ENTRIES: usize = 200_000;
pub const DEFAULT_MAX_BYTES: usize = 64 << 20;

/// A line longer than this is cut (logcat's own limit is about 4 KiB).
const MAX_LINE: usize = 64 * 1024;

/// One entry with its place in the stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogLine {
    /// Position in the stream, from 0, never reused.
    pub seq: u64,
    /// Host time since the stream started when the line arrived.
    #[serde(with = "millis")]
    pub received: Duration,
    /// The line(s) as the device printed them (continuations included).
    pub raw: String,
    pub entry: Entry,
}

mod millis {
    pub(super) fn serialize<S: serde::Serializer>(
        d: &std::time::Duration,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_u128(d.as_millis())
    }
}

#[derive(Debug, Clone)]
struct Meta {
    seq: u64,
    received: Duration,
    raw: String,
}

/// The ring buffer.
#[derive(Debug)]
pub struct LogBuffer {
    parser: logcat::Parser,
    entries: VecDeque<Entry>,
    meta: VecDeque<Meta>,
    max_entries: usize,
    max_bytes: usize,
    bytes: usize,
    next_seq: u64,
    evicted: u64,
    partial: Vec<u8>,
}

impl Default for LogBuffer {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_ENTRIES, DEFAULT_MAX_BYTES)
    }
}

impl LogBuffer {
    pub fn new(max_entries: usize, max_bytes: usize) -> Self {
        Self {
            parser: logcat::Parser::new(),
            entries: VecDeque::new(),
            meta: VecDeque::new(),
            max_entries: max_entries.max(1),
            max_bytes: max_bytes.max(1),
            bytes: 0,
            next_seq: 0,
            evicted: 0,
            partial: Vec::new(),
        }
    }

    /// Adds stream bytes; complete lines are parsed, a trailing partial
    /// line waits for the rest.
    pub fn push_bytes(&mut self, bytes: &[u8], received: Duration) {
        let mut rest = bytes;
        while let Some(nl) = rest.iter().position(|b| *b == b'\n') {
            self.partial.extend_from_slice(&rest[..nl]);
            let line = std::mem::take(&mut self.partial);
            self.push_line(&String::from_utf8_lossy(&line), received);
            rest = &rest[nl + 1..];
        }
        self.partial.extend_from_slice(rest);
        if self.partial.len() > MAX_LINE {
            let line = std::mem::take(&mut self.partial);
            self.push_line(&String::from_utf8_lossy(&line), received);
        }
    }

    /// Parses whatever partial line is left (at the end of the stream).
    pub fn flush(&mut self, received: Duration) {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.push_line(&String::from_utf8_lossy(&line), received);
        }
    }

    /// Adds one complete line.
    pub fn push_line(&mut self, line: &str, received: Duration) {
        let line = line.trim_end_matches(['\r', '\n']);
        match self.parser.feed(line, &mut self.entries) {
            Fed::Added => {
                self.meta.push_back(Meta {
                    seq: self.next_seq,
                    received,
                    raw: line.to_string(),
                });
                self.next_seq += 1;
                self.bytes += line.len();
            }
            Fed::Continued => {
                if let Some(m) = self.meta.back_mut() {
                    m.raw.push('\n');
                    m.raw.push_str(line);
                    self.bytes += line.len() + 1;
                }
            }
            Fed::Blank => {}
        }
        while self.entries.len() > self.max_entries
            || (self.bytes > self.max_bytes && self.entries.len() > 1)
        {
            self.entries.pop_front();
            if let Some(m) = self.meta.pop_front() {
                self.bytes -= m.raw.len();
            }
            self.evicted += 1;
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries dropped to stay within the bounds.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// The sequence number the next entry will get.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Counts over the whole stream, evicted entries included.
    pub fn summary(&self) -> &logcat::Summary {
        self.parser.summary()
    }

    fn line(&self, i: usize) -> LogLine {
        let m = &self.meta[i];
        LogLine {
            seq: m.seq,
            received: m.received,
            raw: m.raw.clone(),
            entry: self.entries[i].clone(),
        }
    }

    fn index_of_seq(&self, seq: u64) -> usize {
        self.meta.partition_point(|m| m.seq < seq)
    }

    /// Entries with `from <= seq < to` still held.
    pub fn range(&self, from: u64, to: u64) -> Vec<LogLine> {
        let (a, b) = (self.index_of_seq(from), self.index_of_seq(to));
        (a..b.max(a)).map(|i| self.line(i)).collect()
    }

    /// Entries from `seq` on.
    pub fn since(&self, seq: u64) -> Vec<LogLine> {
        self.range(seq, u64::MAX)
    }

    /// Entries that arrived in `[from, to)` (host time since the stream
    /// started).
    pub fn received_between(&self, from: Duration, to: Duration) -> Vec<LogLine> {
        let a = self.meta.partition_point(|m| m.received < from);
        let b = self.meta.partition_point(|m| m.received < to);
        (a..b.max(a)).map(|i| self.line(i)).collect()
    }

    /// Records whose device timestamp falls in `[from, to)`, compared with
    /// [`LogTime::sort_key`](crate::android::logcat::LogTime::sort_key).
    /// Buffers interleave, so this scans instead of bisecting.
    pub fn device_time_between(&self, from: u64, to: u64) -> Vec<LogLine> {
        (0..self.entries.len())
            .filter(|i| match &self.entries[*i] {
                Entry::Record(r) => r.time.is_some_and(|t| (from..to).contains(&t.sort_key())),
                _ => false,
            })
            .map(|i| self.line(i))
            .collect()
    }

    /// The first entry from `seq` on that satisfies `pred`.
    pub fn find_from(&self, seq: u64, pred: impl Fn(&Entry) -> bool) -> Option<LogLine> {
        (self.index_of_seq(seq)..self.entries.len())
            .find(|i| pred(&self.entries[*i]))
            .map(|i| self.line(i))
    }

    /// The marker record whose text is `text`, searching from `seq`.
    pub fn find_marker(&self, seq: u64, text: &str) -> Option<LogLine> {
        self.find_from(seq, |e| {
            matches!(e, Entry::Record(r) if matches!(&r.event, Some(Event::Marker { text: t }) if t == text))
        })
    }

    /// All held markers in stream order.
    pub fn markers(&self) -> Vec<LogLine> {
        (0..self.entries.len())
            .filter(|i| {
                matches!(&self.entries[*i], Entry::Record(r) if matches!(r.event, Some(Event::Marker { .. })))
            })
            .map(|i| self.line(i))
            .collect()
    }

    /// The held lines as text, as the device printed them (evidence).
    pub fn raw_text(&self, from: u64, to: u64) -> String {
        let (a, b) = (self.index_of_seq(from), self.index_of_seq(to));
        let mut s = String::new();
        for m in self.meta.range(a..b.max(a)) {
            s.push_str(&m.raw);
            s.push('\n');
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Duration = Duration::from_millis(5);

    fn rec(n: usize, tag: &str, msg: &str) -> String {
        format!(
            "11-28 10:00:{:02}.{:03}  1000  1000 I {tag}: {msg}\n",
            n % 60,
            n % 1000
        )
    }

    #[test]
    fn bytes_in_any_chunking_give_the_same_entries() {
        let mut text = String::new();
        for i in 0..50 {
            text.push_str(&rec(i, "Tag", &format!("message {i}")));
        }
        text.push_str("--------- beginning of crash\n");
        text.push_str(&rec(51, "CONSENTRY", "#1 mark"));
        let whole = {
            let mut b = LogBuffer::default();
            b.push_bytes(text.as_bytes(), T);
            b.since(0)
        };
        assert_eq!(whole.len(), 52);
        for chunk in [1, 3, 7, 64, 4096] {
            let mut b = LogBuffer::default();
            for c in text.as_bytes().chunks(chunk) {
                b.push_bytes(c, T);
            }
            assert_eq!(b.since(0), whole, "chunk size {chunk}");
        }
        let mut b = LogBuffer::default();
        b.push_bytes(text.as_bytes(), T);
        let m = b.find_marker(0, "#1 mark").expect("marker");
        assert_eq!(m.seq, 51);
        assert_eq!(b.markers().len(), 1);
    }

    #[test]
    fn bounds_evict_oldest_and_keep_sequence_numbers() {
        let mut b = LogBuffer::new(10, usize::MAX);
        for i in 0..25 {
            b.push_line(
                &rec(i, "T", &format!("m{i}")),
                Duration::from_millis(i as u64),
            );
        }
        assert_eq!(b.len(), 10);
        assert_eq!(b.evicted(), 15);
        assert_eq!(b.summary().records, 25);
        let held = b.since(0);
        assert_eq!(held.first().map(|l| l.seq), Some(15));
        assert_eq!(held.last().map(|l| l.seq), Some(24));
        assert_eq!(b.range(20, 22).len(), 2);
        let by_time = b.received_between(Duration::from_millis(18), Duration::from_millis(21));
        assert_eq!(
            by_time.iter().map(|l| l.seq).collect::<Vec<_>>(),
            vec![18, 19, 20]
        );

        let mut b = LogBuffer::new(1000, 300);
        for i in 0..100 {
            b.push_line(&rec(i, "T", "x"), T);
        }
        assert!(b.since(0).iter().map(|l| l.raw.len()).sum::<usize>() <= 300);
        assert!(b.evicted() > 0);
    }

    #[test]
    fn device_time_window() {
        let mut b = LogBuffer::default();
        for i in 0..10 {
            b.push_line(&rec(i, "T", &format!("m{i}")), T);
        }
        let key = |s: u64| ((((11 * 31 + 28) * 24 + 10) * 60) * 60 + s) * 1000;
        let got = b.device_time_between(key(3), key(6));
        assert_eq!(got.iter().map(|l| l.seq).collect::<Vec<_>>(), vec![3, 4, 5]);
    }

    proptest::proptest! {
        /// However the stream is cut into reads, the buffer holds the same
        /// entries as when it is fed whole.
        #[test]
        fn chunking_never_changes_the_entries(
            cuts in proptest::collection::vec(0usize..2000, 0..40),
            crlf in proptest::bool::ANY,
        ) {
            let mut text = String::new();
            for i in 0..30 {
                text.push_str(&rec(i, "Tag", &format!("message {i} é")));
                if i % 7 == 0 {
                    text.push_str("\tat com.x.Y.z(Y.java:1)\n");
                }
            }
            if crlf {
                text = text.replace('\n', "\r\n");
            }
            let bytes = text.as_bytes();
            let mut whole = LogBuffer::default();
            whole.push_bytes(bytes, T);
            let mut points: Vec<usize> = cuts.into_iter().map(|c| c % (bytes.len() + 1)).collect();
            points.sort_unstable();
            let mut parts = LogBuffer::default();
            let mut at = 0;
            for p in points {
                parts.push_bytes(&bytes[at..p], T);
                at = p;
            }
            parts.push_bytes(&bytes[at..], T);
            proptest::prop_assert_eq!(parts.since(0), whole.since(0));
            proptest::prop_assert_eq!(whole.len(), 30);
        }
    }

    #[test]
    fn continuation_lines_join_their_record() {
        let mut b = LogBuffer::default();
        b.push_bytes(
            b"11-28 10:00:00.000  1000  1000 E AndroidRuntime: FATAL EXCEPTION: main\n\
11-28 10:00:00.000  1000  1000 E AndroidRuntime: Process: com.x, PID: 1000\n\
\tat com.x.Main.run(Main.java:1)\n",
            T,
        );
        let lines = b.since(0);
        assert_eq!(lines.len(), 2);
        assert!(lines[1].raw.ends_with("\tat com.x.Main.run(Main.java:1)"));
        match &lines[0].entry {
            Entry::Record(r) => assert!(matches!(
                &r.event,
                Some(Event::Crash { process: Some(p), .. }) if p == "com.x"
            )),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn raw_text_is_the_evidence_slice() {
        let mut b = LogBuffer::default();
        for i in 0..5 {
            b.push_line(&rec(i, "T", &format!("m{i}")), T);
        }
        let text = b.raw_text(1, 3);
        assert_eq!(text.lines().count(), 2);
        assert!(text.contains("m1") && text.contains("m2") && !text.contains("m3"));
    }
}
