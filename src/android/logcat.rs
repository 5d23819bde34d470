//! Logcat text → typed records, for every output format `logcat -v` prints
//! (threadtime, time, brief, tag, process, long headers excepted; with or
//! without `uid`, `epoch`, `year` or `monotonic` modifiers), plus the
//! events the detectors need classified: permission requests, crashes,
//! ANRs, process deaths and starts, device-identifier reads, clipboard
//! denials and the tool's own markers.
//!
//! Pure: text in, records out. A line that matches no format is kept as an
//! [`Entry::Unknown`] (or, when indented right after a record, appended to
//! it as a continuation); nothing is dropped and one bad line never fails
//! the file.

use std::collections::VecDeque;

use serde::Serialize;

/// The tag the tool writes its own markers with (`log -t CONSENTRY ...`).
pub const MARKER_TAG: &str = "CONSENTRY";

/// When a line was logged, as printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum LogTime {
    /// `MM-DD hh:mm:ss.mmm` (threadtime, time), optionally with a year.
    Calendar {
        #[serde(skip_serializing_if = "Option::is_none")]
        year: Option<u16>,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
        millis: u16,
    },
    /// Seconds since the epoch (`-v epoch`) or since boot (`-v monotonic`).
    Seconds { seconds: u64, millis: u16 },
}

impl LogTime {
    /// Milliseconds since the start of the year (calendar) or the epoch
    /// (seconds), for ordering records of one capture. Month lengths are
    /// taken as 31 days, which keeps order within a year.
    pub fn sort_key(&self) -> u64 {
        match *self {
            LogTime::Calendar {
                month,
                day,
                hour,
                minute,
                second,
                millis,
                ..
            } => {
                ((((u64::from(month) * 31 + u64::from(day)) * 24 + u64::from(hour)) * 60
                    + u64::from(minute))
                    * 60
                    + u64::from(second))
                    * 1000
                    + u64::from(millis)
            }
            // Saturating: a 19-digit `-v epoch` time would overflow.
            LogTime::Seconds { seconds, millis } => seconds
                .saturating_mul(1000)
                .saturating_add(u64::from(millis)),
        }
    }
}

/// Log priority letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Level {
    V,
    D,
    I,
    W,
    E,
    F,
    S,
}

impl Level {
    fn from_char(c: char) -> Option<Self> {
        Some(match c {
            'V' => Level::V,
            'D' => Level::D,
            'I' => Level::I,
            'W' => Level::W,
            'E' => Level::E,
            'F' | 'A' => Level::F,
            'S' => Level::S,
            _ => return None,
        })
    }
}

/// What a record means to the detectors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Event {
    /// `START u0 {act=android.content.pm.action.REQUEST_PERMISSIONS ...} from uid N`.
    PermissionRequest {
        caller_uid: Option<u32>,
        /// The logging tag: `ActivityTaskManager` on Android 10+,
        /// `ActivityManager` before.
        tag: String,
    },
    /// `FATAL EXCEPTION: thread`; the process comes from the next line.
    Crash {
        thread: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        process: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pid: Option<u32>,
    },
    Anr {
        process: String,
    },
    ProcessDied {
        process: String,
        pid: u32,
    },
    ProcessStart {
        process: String,
        pid: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        uid: Option<String>,
        /// activity, service, broadcast, content provider, ...
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// `reportAccessDeniedToReadIdentifiers:PKG:METHOD:...`.
    DeviceIdentifierRead {
        package: String,
        method: String,
    },
    /// `Denying clipboard access to PKG, ...`.
    ClipboardDenied {
        package: String,
    },
    /// A line the tool wrote with `log -t CONSENTRY`.
    Marker {
        text: String,
    },
}

/// One parsed log line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    /// 1-based line in the input.
    pub line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<LogTime>,
    /// Uid column (`-v uid`): a number or a name such as `u0_a153`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tid: Option<u32>,
    pub level: Level,
    pub tag: String,
    pub message: String,
    /// The buffer named by the last `--------- beginning of` header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buffer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<Event>,
}

/// One line of input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Entry {
    Record(Record),
    /// `--------- beginning of main` / `--------- switch to events`.
    Header {
        line: usize,
        buffer: String,
    },
    /// A line in no known format, kept as written.
    Unknown {
        line: usize,
        text: String,
    },
}

/// Counts for `--summary`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub records: usize,
    pub headers: usize,
    pub unknown: usize,
    pub continuations: usize,
    pub permission_requests: usize,
    pub crashes: usize,
    pub anrs: usize,
    pub process_deaths: usize,
    pub process_starts: usize,
    pub identifier_reads: usize,
    pub clipboard_denials: usize,
    pub markers: usize,
}

/// The parsed file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Log {
    pub entries: Vec<Entry>,
    pub summary: Summary,
}

impl Log {
    pub fn records(&self) -> impl Iterator<Item = &Record> {
        self.entries.iter().filter_map(|e| match e {
            Entry::Record(r) => Some(r),
            _ => None,
        })
    }

    pub fn events(&self) -> impl Iterator<Item = (&Record, &Event)> {
        self.records()
            .filter_map(|r| r.event.as_ref().map(|e| (r, e)))
    }
}

fn two(s: &str) -> Option<u8> {
    (s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
}

/// `MM-DD` `hh:mm:ss.mmm` (two tokens), optionally `YYYY-MM-DD`.
fn calendar(date: &str, time: &str) -> Option<LogTime> {
    let parts: Vec<&str> = date.split('-').collect();
    let (year, month, day) = match parts.as_slice() {
        [m, d] => (None, two(m)?, two(d)?),
        [y, m, d] if y.len() == 4 => (Some(y.parse().ok()?), two(m)?, two(d)?),
        _ => return None,
    };
    let (hms, frac) = time.split_once('.')?;
    let t: Vec<&str> = hms.split(':').collect();
    let [h, mi, s] = t.as_slice() else {
        return None;
    };
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let millis = millis_of(frac)?;
    Some(LogTime::Calendar {
        year,
        month,
        day,
        hour: two(h)?,
        minute: two(mi)?,
        second: two(s)?,
        millis,
    })
}

/// Milliseconds from a fraction of 3 (ms), 6 (us) or 9 (ns) digits.
fn millis_of(frac: &str) -> Option<u16> {
    if frac.is_empty() || frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let padded = format!("{frac:0<3}");
    padded[..3].parse().ok()
}

fn seconds(token: &str) -> Option<LogTime> {
    let (s, frac) = token.split_once('.')?;
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(LogTime::Seconds {
        seconds: s.parse().ok()?,
        millis: millis_of(frac)?,
    })
}

/// Splits off the first whitespace-separated token.
fn token(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start();
    if s.is_empty() {
        return None;
    }
    let end = s.find(char::is_whitespace).unwrap_or(s.len());
    Some((&s[..end], &s[end..]))
}

fn is_num(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// A uid column: a number, or a name such as `u0_a153`, `system`, `root`.
fn is_uid(s: &str) -> bool {
    is_num(s)
        || (s.len() <= 16
            && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
}

/// `TAG: message` (threadtime's tag is padded to 8 columns, so trim it).
fn tag_message(rest: &str) -> Option<(String, String)> {
    let (tag, msg) = rest.split_once(':')?;
    let msg = msg.strip_prefix(' ').unwrap_or(msg);
    Some((tag.trim().to_string(), msg.to_string()))
}

struct Parsed {
    time: Option<LogTime>,
    uid: Option<String>,
    pid: Option<u32>,
    tid: Option<u32>,
    level: Level,
    tag: String,
    message: String,
}

/// threadtime-like: TIME [UID] PID TID L TAG: msg (TIME may be calendar or
/// seconds; `-v uid` adds the uid column).
fn parse_columns(line: &str) -> Option<Parsed> {
    let (first, rest) = token(line)?;
    let (time, rest) = if let Some(t) = seconds(first) {
        (t, rest)
    } else {
        let (second, rest2) = token(rest)?;
        (calendar(first, second)?, rest2)
    };
    // Up to three number-ish columns, then the level letter.
    let mut cols: Vec<&str> = Vec::new();
    let mut rest = rest;
    loop {
        let (tok, after) = token(rest)?;
        if tok.len() == 1 && Level::from_char(tok.chars().next()?).is_some() && cols.len() >= 2 {
            let level = Level::from_char(tok.chars().next()?)?;
            let (tag, message) = tag_message(after.strip_prefix(' ').unwrap_or(after))?;
            let (uid, pid, tid) = match cols.as_slice() {
                [pid, tid] => (None, pid.parse().ok(), tid.parse().ok()),
                [uid, pid, tid] => (Some((*uid).to_string()), pid.parse().ok(), tid.parse().ok()),
                _ => return None,
            };
            pid?;
            return Some(Parsed {
                time: Some(time),
                uid,
                pid,
                tid,
                level,
                tag,
                message,
            });
        }
        let ok = if cols.is_empty() {
            is_uid(tok)
        } else {
            is_num(tok)
        };
        if !ok || cols.len() >= 3 {
            return None;
        }
        cols.push(tok);
        rest = after;
    }
}

/// time / brief / tag / process: `[TIME] L/TAG( PID): msg`, `L/TAG: msg`,
/// `L( PID) msg  (TAG)`.
fn parse_slash(line: &str) -> Option<Parsed> {
    let (time, rest) = {
        let (a, r1) = token(line)?;
        match token(r1).and_then(|(b, r2)| calendar(a, b).map(|t| (t, r2))) {
            Some((t, r)) => (Some(t), r.trim_start()),
            None => match seconds(a) {
                Some(t) => (Some(t), r1.trim_start()),
                None => (None, line),
            },
        }
    };
    let mut chars = rest.chars();
    let level = Level::from_char(chars.next()?)?;
    let after_level = chars.as_str();
    if let Some(body) = after_level.strip_prefix('/') {
        // L/TAG(  PID): msg   or   L/TAG: msg
        let colon = body
            .find(": ")
            .or_else(|| body.ends_with(':').then(|| body.len() - 1))?;
        let head = &body[..colon];
        let message = body[colon + 1..]
            .strip_prefix(' ')
            .unwrap_or(&body[colon + 1..])
            .to_string();
        let (tag, pid) = match head.rfind('(') {
            Some(open) if head.ends_with(')') => {
                let inner = head[open + 1..head.len() - 1].trim();
                let (pid, tid) = match inner.split_once(':') {
                    Some((p, t)) => (p.trim(), Some(t.trim())),
                    None => (inner, None),
                };
                if !is_num(pid) {
                    return None;
                }
                let _ = tid;
                (head[..open].trim_end().to_string(), pid.parse().ok())
            }
            _ => (head.trim_end().to_string(), None),
        };
        return Some(Parsed {
            time,
            uid: None,
            pid,
            tid: None,
            level,
            tag,
            message,
        });
    }
    if let Some(body) = after_level.strip_prefix('(') {
        // process: L(  PID) message  (TAG)
        let close = body.find(')')?;
        let pid = body[..close].trim();
        if !is_num(pid) {
            return None;
        }
        let rest = body[close + 1..].trim_start();
        let (message, tag) = match rest.rfind("  (") {
            Some(i) if rest.ends_with(')') => (
                rest[..i].to_string(),
                rest[i + 3..rest.len() - 1].to_string(),
            ),
            _ => (rest.to_string(), String::new()),
        };
        return Some(Parsed {
            time,
            uid: None,
            pid: pid.parse().ok(),
            tid: None,
            level,
            tag,
            message,
        });
    }
    None
}

fn classify(tag: &str, message: &str) -> Option<Event> {
    let msg = message.trim_end();
    match tag {
        "ActivityTaskManager" | "ActivityManager"
            if msg.starts_with("START u") && msg.contains("REQUEST_PERMISSIONS") =>
        {
            let caller_uid = msg
                .rsplit_once(" from uid ")
                .and_then(|(_, rest)| rest.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|n| n.parse().ok());
            return Some(Event::PermissionRequest {
                caller_uid,
                tag: tag.to_string(),
            });
        }
        "AndroidRuntime" => {
            if let Some(thread) = msg.strip_prefix("FATAL EXCEPTION: ") {
                return Some(Event::Crash {
                    thread: thread.trim().to_string(),
                    process: None,
                    pid: None,
                });
            }
        }
        _ => {}
    }
    if tag == "ActivityManager" || tag == "ActivityTaskManager" {
        if let Some(rest) = msg.strip_prefix("ANR in ") {
            let process = rest.split_whitespace().next().unwrap_or("").to_string();
            return Some(Event::Anr { process });
        }
        if let Some(rest) = msg.strip_prefix("Process ") {
            // Process com.x (pid 1234) has died[: fg  TOP]
            if let Some((process, after)) = rest.split_once(" (pid ") {
                if let Some((pid, tail)) = after.split_once(')') {
                    if tail.trim_start().starts_with("has died") {
                        if let Ok(pid) = pid.trim().parse() {
                            return Some(Event::ProcessDied {
                                process: process.to_string(),
                                pid,
                            });
                        }
                    }
                }
            }
        }
        if let Some(rest) = msg.strip_prefix("Start proc ") {
            // Start proc 5164:com.x:push/u0a327 for service {…}
            let (head, reason) = rest.split_once(" for ").unwrap_or((rest, ""));
            if let Some((pid, name_uid)) = head.split_once(':') {
                let (process, uid) = match name_uid.rsplit_once('/') {
                    Some((p, u)) => (p.to_string(), Some(u.to_string())),
                    None => (name_uid.to_string(), None),
                };
                if let Ok(pid) = pid.trim().parse() {
                    let reason = start_reason(reason);
                    return Some(Event::ProcessStart {
                        process,
                        pid,
                        uid,
                        reason: reason.map(str::to_string),
                    });
                }
            }
        }
    }
    if tag == "am_proc_start" || tag == "am_proc_died" {
        // [user,pid,uid,process,...] / [user,pid,process,...]
        let inner = msg.trim_start_matches('[').trim_end_matches(']');
        let fields: Vec<&str> = inner.split(',').collect();
        if tag == "am_proc_start" {
            if let [_, pid, uid, process, reason, ..] = fields.as_slice() {
                if let Ok(pid) = pid.parse() {
                    return Some(Event::ProcessStart {
                        process: (*process).to_string(),
                        pid,
                        uid: Some((*uid).to_string()),
                        reason: Some((*reason).to_string()),
                    });
                }
            }
        } else if let [_, pid, process, ..] = fields.as_slice() {
            if let Ok(pid) = pid.parse() {
                return Some(Event::ProcessDied {
                    process: (*process).to_string(),
                    pid,
                });
            }
        }
    }
    if let Some(rest) = msg.strip_prefix("reportAccessDeniedToReadIdentifiers:") {
        let mut parts = rest.split(':');
        let package = parts.next().unwrap_or("").to_string();
        let method = parts.next().unwrap_or("").to_string();
        return Some(Event::DeviceIdentifierRead { package, method });
    }
    if tag == "ClipboardService" {
        if let Some(rest) = msg.strip_prefix("Denying clipboard access to ") {
            let package = rest.split([',', ' ']).next().unwrap_or("").to_string();
            return Some(Event::ClipboardDenied { package });
        }
    }
    if tag == MARKER_TAG {
        return Some(Event::Marker {
            text: msg.to_string(),
        });
    }
    None
}

/// The hosting type of a `Start proc ... for TYPE NAME` line: Android 10+
/// prints the name in braces (`for service {com.x/.Push}`), 9 and older
/// bare (`for activity com.x/.Main`, `for content provider com.x/.P`).
fn start_reason(text: &str) -> Option<&str> {
    let reason = if let Some((kind, _)) = text.split_once(" {") {
        kind.trim()
    } else {
        let t = text.trim();
        match t.rsplit_once(' ') {
            Some((kind, name)) if name.contains('/') => kind.trim_end(),
            _ => t,
        }
    };
    (!reason.is_empty()).then_some(reason)
}

/// What [`Parser::feed`] did with one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fed {
    /// A new entry (record, header or unknown) was appended.
    Added,
    /// The line continued the last record's message.
    Continued,
    /// A blank line: nothing recorded.
    Blank,
}

/// Incremental logcat parser for a stream: lines are fed one at a time and
/// entries land in a deque the caller owns, so a bounded buffer can evict
/// old entries from the front while the parser keeps appending. The only
/// state carried between lines is the current buffer name, the line count
/// and the summary; a continuation amends the last entry and a crash's
/// `Process:` line amends one of the last few.
#[derive(Debug, Clone, Default)]
pub struct Parser {
    buffer: Option<String>,
    line: usize,
    summary: Summary,
}

impl Parser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts over every line fed so far, evicted ones included.
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// Parses one line (with or without its `\r`/`\n`).
    pub fn feed(&mut self, raw: &str, entries: &mut VecDeque<Entry>) -> Fed {
        self.line += 1;
        let line_no = self.line;
        let raw = if line_no == 1 {
            raw.strip_prefix('\u{feff}').unwrap_or(raw)
        } else {
            raw
        };
        let line = raw.trim_end_matches(['\r', '\n']);
        if line.trim().is_empty() {
            return Fed::Blank;
        }
        let summary = &mut self.summary;
        if let Some(rest) = line
            .strip_prefix("--------- beginning of ")
            .or_else(|| line.strip_prefix("--------- switch to "))
        {
            self.buffer = Some(rest.trim().to_string());
            summary.headers += 1;
            entries.push_back(Entry::Header {
                line: line_no,
                buffer: rest.trim().to_string(),
            });
            return Fed::Added;
        }
        let parsed = parse_columns(line).or_else(|| parse_slash(line));
        let Some(p) = parsed else {
            // An indented line right after a record continues it.
            if line.starts_with([' ', '\t']) {
                if let Some(Entry::Record(prev)) = entries.back_mut() {
                    prev.message.push('\n');
                    prev.message.push_str(line);
                    summary.continuations += 1;
                    return Fed::Continued;
                }
            }
            summary.unknown += 1;
            entries.push_back(Entry::Unknown {
                line: line_no,
                text: line.to_string(),
            });
            return Fed::Added;
        };
        let event = classify(&p.tag, &p.message);
        // `Process: com.x, PID: N` right after FATAL EXCEPTION names the crash.
        if p.tag == "AndroidRuntime" {
            if let Some(rest) = p.message.strip_prefix("Process: ") {
                let (process, pid) = match rest.split_once(", PID: ") {
                    Some((proc_name, pid)) => {
                        (proc_name.trim().to_string(), pid.trim().parse().ok())
                    }
                    None => (rest.trim().to_string(), None),
                };
                let open_crash = entries.iter_mut().rev().take(4).find_map(|e| match e {
                    Entry::Record(Record {
                        event:
                            Some(Event::Crash {
                                process: slot @ None,
                                pid: pid_slot,
                                ..
                            }),
                        pid: rec_pid,
                        ..
                    }) if *rec_pid == p.pid => Some((slot, pid_slot)),
                    _ => None,
                });
                if let Some((slot, pid_slot)) = open_crash {
                    *slot = Some(process);
                    *pid_slot = pid;
                }
            }
        }
        match &event {
            Some(Event::PermissionRequest { .. }) => summary.permission_requests += 1,
            Some(Event::Crash { .. }) => summary.crashes += 1,
            Some(Event::Anr { .. }) => summary.anrs += 1,
            Some(Event::ProcessDied { .. }) => summary.process_deaths += 1,
            Some(Event::ProcessStart { .. }) => summary.process_starts += 1,
            Some(Event::DeviceIdentifierRead { .. }) => summary.identifier_reads += 1,
            Some(Event::ClipboardDenied { .. }) => summary.clipboard_denials += 1,
            Some(Event::Marker { .. }) => summary.markers += 1,
            None => {}
        }
        summary.records += 1;
        entries.push_back(Entry::Record(Record {
            line: line_no,
            time: p.time,
            uid: p.uid,
            pid: p.pid,
            tid: p.tid,
            level: p.level,
            tag: p.tag,
            message: p.message,
            buffer: self.buffer.clone(),
            event,
        }));
        Fed::Added
    }
}

/// Parses a whole capture.
pub fn parse(text: &str) -> Log {
    let mut parser = Parser::new();
    let mut entries = VecDeque::new();
    for raw in text.split('\n') {
        parser.feed(raw, &mut entries);
    }
    Log {
        entries: entries.into(),
        summary: parser.summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(line: &str) -> Record {
        let log = parse(line);
        match log.entries.first() {
            Some(Entry::Record(r)) => r.clone(),
            other => panic!("not a record: {other:?}"),
        }
    }

    #[test]
    fn threadtime_with_padded_tag() {
        let r = one("03-11 16:31:26.911   578  2388 W OptProp : Cannot read opt property x");
        assert_eq!((r.pid, r.tid, r.level), (Some(578), Some(2388), Level::W));
        assert_eq!(r.tag, "OptProp");
        assert_eq!(r.message, "Cannot read opt property x");
        assert_eq!(
            r.time,
            Some(LogTime::Calendar {
                year: None,
                month: 3,
                day: 11,
                hour: 16,
                minute: 31,
                second: 26,
                millis: 911
            })
        );
    }

    #[test]
    fn uid_epoch_year_brief_time_tag_process() {
        let r = one("04-02 15:51:24.583  1000   887   903 I sysui_view_visibility: [127,100]");
        assert_eq!(
            (r.uid.as_deref(), r.pid, r.tid),
            (Some("1000"), Some(887), Some(903))
        );
        let r = one("04-02 15:51:24.583 u0_a153  887   903 I Tag: m");
        assert_eq!(r.uid.as_deref(), Some("u0_a153"));
        let r = one("  1553873925.123  1000  1234 I TAG: msg");
        assert_eq!(
            r.time,
            Some(LogTime::Seconds {
                seconds: 1_553_873_925,
                millis: 123
            })
        );
        let r = one("2024-03-11 16:31:26.910   578  2388 V Gram: x");
        assert!(matches!(
            r.time,
            Some(LogTime::Calendar {
                year: Some(2024),
                ..
            })
        ));
        let r = one("I/ActivityManager(  832): Changes in ProcessRecord{336fc56}: 4");
        assert_eq!(
            (r.tag.as_str(), r.pid, r.message.as_str()),
            (
                "ActivityManager",
                Some(832),
                "Changes in ProcessRecord{336fc56}: 4"
            )
        );
        let r = one("03-11 16:31:26.910 D/Tag( 1234): hello");
        assert_eq!((r.tag.as_str(), r.pid), ("Tag", Some(1234)));
        assert!(r.time.is_some());
        let r = one("W/Tag: no pid");
        assert_eq!(
            (r.tag.as_str(), r.pid, r.message.as_str()),
            ("Tag", None, "no pid")
        );
        let r = one("I(  832) some message  (ActivityManager)");
        assert_eq!(
            (r.tag.as_str(), r.message.as_str()),
            ("ActivityManager", "some message")
        );
        let r = one("03-11 16:31:26.910123   578  2388 I T: microseconds");
        assert!(matches!(
            r.time,
            Some(LogTime::Calendar { millis: 910, .. })
        ));
    }

    /// Found while writing the fuzz invariants, confirmed with the fuzz
    /// target: `sort_key` of a 19-digit epoch time overflowed (a panic in
    /// debug builds).
    #[test]
    fn huge_epoch_times_sort_last() {
        let r = one("9999999999999999999.123  1000  1234 I TAG: msg");
        assert_eq!(r.time.map(|t| t.sort_key()), Some(u64::MAX));
    }

    /// Android 9 logs the task lines under `ActivityManager` and names the
    /// started component without braces (AOSP 9's `handleProcessStartedLocked`).
    #[test]
    fn android_9_lines_are_classified() {
        let text = "\
01-15 10:00:00.000   578  1642 I ActivityManager: START u0 {act=android.content.pm.action.REQUEST_PERMISSIONS pkg=com.android.packageinstaller cmp=com.android.packageinstaller/.permission.ui.GrantPermissionsActivity (has extras)} from uid 10105
01-15 10:00:00.000   578  1642 I ActivityManager: Start proc 3107:com.example.nagbox/u0a105 for activity com.example.nagbox/.MainActivity
01-15 10:00:00.000   578  1642 I ActivityManager: Start proc 3110:com.x/u0a1 for content provider com.x/.Provider
";
        let log = parse(text);
        assert_eq!(log.summary.unknown, 0);
        let events: Vec<&Event> = log.events().map(|(_, e)| e).collect();
        assert_eq!(
            events[0],
            &Event::PermissionRequest {
                caller_uid: Some(10105),
                tag: "ActivityManager".into()
            }
        );
        let reasons: Vec<Option<&str>> = events[1..]
            .iter()
            .map(|e| match e {
                Event::ProcessStart { reason, .. } => reason.as_deref(),
                _ => None,
            })
            .collect();
        assert_eq!(reasons, [Some("activity"), Some("content provider")]);
    }

    #[test]
    fn events_are_classified() {
        let text = "\
--------- beginning of main\r
03-13 10:01:05.295  1817  4194 I ActivityTaskManager: START u0 {act=android.content.pm.action.REQUEST_PERMISSIONS pkg=com.google.android.permissioncontroller cmp=com.google.android.permissioncontroller/com.android.permissioncontroller.permission.ui.GrantPermissionsActivity (has extras)} from uid 10153\r
03-11 16:31:26.946 11032 11032 E AndroidRuntime: FATAL EXCEPTION: main
03-11 16:31:26.946 11032 11032 E AndroidRuntime: Process: com.example.aichat, PID: 11032
03-11 16:31:26.964   578  1666 I ActivityManager: Process com.example.aichat (pid 11032) has died: fg  TOP 
03-13 10:01:05.314  1817  2264 I ActivityManager: Start proc 5164:com.x:push/u0a327 for service {com.x/com.x.Push}
04-02 15:51:30.960  1000   887   949 I am_proc_start: [0,3110,10011,com.android.defcontainer,service,com.android.defcontainer/.DefaultContainerService]
04-02 15:51:33.913  1000   887  2115 I am_proc_died: [0,26436,com.facebook.katana,906,17]
03-13 10:01:05.295  1817  4194 W TelephonyPermissions: reportAccessDeniedToReadIdentifiers:com.x:getDeviceId:isPreinstalled=false:isPrivApp=false
03-13 10:01:05.295  1817  4194 W ClipboardService: Denying clipboard access to com.x, application is not in focus nor is it a system service for user 0
03-13 10:01:05.295  1817  4194 E ActivityManager: ANR in com.x (com.x/.Main)
03-13 10:01:05.295  2000  2001 I CONSENTRY: consent-refused
\tat continuation
garbage line
";
        let log = parse(text);
        let s = &log.summary;
        assert_eq!(
            (s.records, s.headers, s.unknown, s.continuations),
            (11, 1, 1, 1)
        );
        assert_eq!(
            (
                s.permission_requests,
                s.crashes,
                s.process_deaths,
                s.process_starts,
                s.identifier_reads,
                s.clipboard_denials,
                s.anrs,
                s.markers
            ),
            (1, 1, 2, 2, 1, 1, 1, 1)
        );
        let events: Vec<&Event> = log.events().map(|(_, e)| e).collect();
        assert_eq!(
            events[0],
            &Event::PermissionRequest {
                caller_uid: Some(10153),
                tag: "ActivityTaskManager".into()
            }
        );
        assert_eq!(
            events[1],
            &Event::Crash {
                thread: "main".into(),
                process: Some("com.example.aichat".into()),
                pid: Some(11032)
            }
        );
        assert_eq!(
            events[2],
            &Event::ProcessDied {
                process: "com.example.aichat".into(),
                pid: 11032
            }
        );
        assert_eq!(
            events[3],
            &Event::ProcessStart {
                process: "com.x:push".into(),
                pid: 5164,
                uid: Some("u0a327".into()),
                reason: Some("service".into())
            }
        );
        assert_eq!(
            events[8],
            &Event::Anr {
                process: "com.x".into()
            }
        );
        assert_eq!(
            events[9],
            &Event::Marker {
                text: "consent-refused".into()
            }
        );
        let first = log.records().next().expect("record");
        assert_eq!(first.buffer.as_deref(), Some("main"));
    }
}
