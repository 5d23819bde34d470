//! One run's events on one time axis: the device's logcat clock.
//!
//! Logcat lines carry the device's own time; marks tie it to the run's
//! milliseconds (each mark is a logcat line the engine waited for), so
//! steps, dialogs and snapshots are placed by interpolating between marks.
//! App-op times are printed by `dumpsys appops` with their age at the
//! moment of the dump (`(-1s525ms)`, or `time=+1s525ms ago` on old
//! releases): the dump's own moment is known on the run's axis, so the
//! ages measure how far the two clocks disagree (a different time zone).
//! Where entries also print a wall-clock stamp, the stamp places them,
//! shifted by that difference taken to a whole zone offset, so that the
//! noise of placing the dump cannot move an access across a tap.

use crate::android::appops::{AccessKind, OpTime};
use crate::android::logcat::{Event, LogTime, Record};
use crate::evidence::{DialogKind, Run};

use super::runs::{LoadedRun, SnapshotData};

/// Milliseconds on the device's logcat clock (see [`LogTime::sort_key`]).
pub type Dev = i64;

/// Run milliseconds → device milliseconds, from the marks.
#[derive(Debug, Clone)]
pub struct Clock {
    anchors: Vec<(f64, f64)>,
    scale: f64,
}

impl Clock {
    /// `anchors`: (run ms, device ms) pairs; `scale`: device ms per run
    /// ms when only one anchor is known.
    pub fn new(mut anchors: Vec<(f64, f64)>, scale: f64) -> Option<Self> {
        anchors.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (first, last) = (anchors.first()?, anchors.last()?);
        let scale = if last.0 - first.0 > 1.0 {
            (last.1 - first.1) / (last.0 - first.0)
        } else {
            scale
        };
        Some(Self { anchors, scale })
    }

    /// The device time at run time `t_ms`.
    #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
    pub fn dev(&self, t_ms: u64) -> Dev {
        let t = t_ms as f64;
        let i = self.anchors.partition_point(|a| a.0 <= t);
        let d = match (
            i.checked_sub(1).map(|j| self.anchors[j]),
            self.anchors.get(i),
        ) {
            (Some(a), Some(b)) if b.0 > a.0 => a.1 + (t - a.0) * (b.1 - a.1) / (b.0 - a.0),
            (Some(a), _) => a.1 + (t - a.0) * self.scale,
            (None, Some(b)) => b.1 - (b.0 - t) * self.scale,
            (None, None) => 0.0,
        };
        d.round() as Dev
    }
}

/// A measured difference between the appops and logcat clocks, taken to
/// the time-zone offset it stands for. Both print the one wall clock,
/// maybe in different zones, and zones are whole quarter hours apart; the
/// measurement itself carries the timing noise of placing a dump on the
/// clock (a few milliseconds of the host, times any `--time-scale`), which
/// must not move an access across a tap. A difference that is no zone
/// offset (more than a minute from one) is kept as measured.
fn zone_offset(measured: Dev) -> Dev {
    const QUARTER_HOUR: Dev = 15 * 60 * 1000;
    const NOISE: Dev = 60 * 1000;
    let zone = (measured + QUARTER_HOUR / 2).div_euclid(QUARTER_HOUR) * QUARTER_HOUR;
    if (measured - zone).abs() <= NOISE {
        zone
    } else {
        measured
    }
}

/// `[YYYY-]MM-DD hh:mm:ss[.mmm]` anywhere in `text`, as a device time on
/// the same basis as logcat's ([`LogTime::sort_key`]).
pub fn calendar_ms(text: &str) -> Option<Dev> {
    let b = text.as_bytes();
    // Find "MM-DD hh:mm:ss".
    for start in 0..b.len().saturating_sub(13) {
        let s = &text.get(start..)?;
        let digits = |r: std::ops::Range<usize>| -> Option<u32> {
            let part = s.get(r)?;
            part.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| part.parse().ok())?
        };
        if s.as_bytes().get(2) != Some(&b'-')
            || s.as_bytes().get(5) != Some(&b' ')
            || s.as_bytes().get(8) != Some(&b':')
            || s.as_bytes().get(11) != Some(&b':')
        {
            continue;
        }
        let (Some(month), Some(day), Some(hour), Some(minute), Some(second)) = (
            digits(0..2),
            digits(3..5),
            digits(6..8),
            digits(9..11),
            digits(12..14),
        ) else {
            continue;
        };
        let millis = match s.as_bytes().get(14) {
            Some(b'.') => {
                let frac: String = s[15..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .take(3)
                    .collect();
                let n: u32 = frac.parse().unwrap_or(0);
                n * 10u32.pow(3 - u32::try_from(frac.len()).unwrap_or(3).min(3))
            }
            _ => 0,
        };
        let t = LogTime::Calendar {
            year: None,
            month: u8::try_from(month).ok()?,
            day: u8::try_from(day).ok()?,
            hour: u8::try_from(hour).ok()?,
            minute: u8::try_from(minute).ok()?,
            second: u8::try_from(second).ok()?,
            millis: u16::try_from(millis).ok()?,
        };
        return Dev::try_from(t.sort_key()).ok();
    }
    None
}

/// Where a fact came from, for a finding's evidence pointer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Source {
    pub file: Option<String>,
    pub line: Option<usize>,
    pub quote: Option<String>,
    pub step: Option<usize>,
    pub t_ms: Option<u64>,
}

/// An app-op entry, placed on the logcat clock.
#[derive(Debug, Clone)]
pub struct Access {
    pub dev: Dev,
    pub op: String,
    pub kind: AccessKind,
    pub uid_state: Option<String>,
    pub background: bool,
    /// Shown by the snapshot taken before the run started: older than it.
    pub from_setup: bool,
    /// The first snapshot that showed it.
    pub seen_in: Source,
}

/// A logcat line of interest.
#[derive(Debug, Clone)]
pub struct Line {
    pub dev: Dev,
    /// The process (or package) the line is about.
    pub process: String,
    /// For process starts: the started component (`pkg/class`).
    pub component: Option<String>,
    pub source: Source,
}

/// A `requestPermissions` call from the app (a `REQUEST_PERMISSIONS`
/// activity start), with the dialogs it showed.
#[derive(Debug, Clone)]
pub struct Request {
    pub dev: Dev,
    pub source: Source,
    /// Indices into [`Run::dialogs`] (permission dialogs, one per group).
    pub dialogs: Vec<usize>,
}

/// A process end from exit-info.
#[derive(Debug, Clone)]
pub struct Exit {
    pub dev: Dev,
    pub reason: u32,
    pub name: String,
    pub process: String,
    pub source: Source,
}

/// A tap on the app: a `tapOn`-like step or one of an exploration's taps.
#[derive(Debug, Clone)]
pub struct Tap {
    pub dev: Dev,
    pub step: usize,
    pub label: String,
}

/// A step that is a boundary: a launch, or the tester leaving the app
/// (back, home, stop).
#[derive(Debug, Clone, Copy)]
pub struct StepAt {
    pub dev: Dev,
    pub step: usize,
}

/// Everything the rules place in time, for one run.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    pub clock: Option<Clock>,
    /// Marks by name (the last one of a name wins), with device time.
    pub marks: Vec<(String, Dev, usize)>,
    pub accesses: Vec<Access>,
    pub identifier_reads: Vec<Line>,
    pub clipboard_denials: Vec<Line>,
    pub requests: Vec<Request>,
    pub settings_redirects: Vec<Line>,
    pub starts: Vec<Line>,
    pub deaths: Vec<Line>,
    pub crashes: Vec<Line>,
    pub anrs: Vec<Line>,
    pub exits: Vec<Exit>,
    /// (device time, index into [`Run::dialogs`]).
    pub dialogs: Vec<(Dev, usize)>,
    pub taps: Vec<Tap>,
    pub launches: Vec<StepAt>,
    pub leaves: Vec<StepAt>,
    /// App-op entries that could not be placed (no mark to anchor them).
    pub unplaced_accesses: usize,
    /// The network contacts of the capture, placed: (device time, index
    /// into the capture's contacts).
    pub contacts: Vec<(Dev, usize)>,
}

impl Timeline {
    pub fn mark(&self, names: &[&str]) -> Option<(Dev, usize)> {
        self.marks
            .iter()
            .rev()
            .find(|(n, _, _)| names.contains(&n.as_str()))
            .map(|(_, d, s)| (*d, *s))
    }

    /// The device time of run time `t_ms`, when marks place it.
    pub fn dev(&self, t_ms: u64) -> Option<Dev> {
        self.clock.as_ref().map(|c| c.dev(t_ms))
    }

    /// The first tap at or after `from` and before `until`.
    pub fn first_tap(&self, from: Dev, until: Option<Dev>) -> Option<&Tap> {
        self.taps
            .iter()
            .filter(|t| t.dev >= from && until.is_none_or(|u| t.dev < u))
            .min_by_key(|t| t.dev)
    }

    /// The last tap before `dev` (and at or after `since`).
    pub fn tap_before(&self, dev: Dev, since: Dev) -> Option<&Tap> {
        self.taps
            .iter()
            .filter(|t| t.dev < dev && t.dev >= since)
            .max_by_key(|t| t.dev)
    }
}

fn is_app_process(package: &str, process: &str) -> bool {
    process == package
        || process
            .strip_prefix(package)
            .is_some_and(|rest| rest.starts_with(':'))
}

fn source_of(run: &LoadedRun, r: &Record) -> Source {
    Source {
        file: run.run.logcat.file.clone(),
        line: Some(r.line),
        quote: Some(format!("{}: {}", r.tag, r.message)),
        ..Source::default()
    }
}

const TAP_COMMANDS: &[&str] = &["tapOn", "doubleTapOn", "longPressOn"];

/// Builds the timeline of a loaded run.
#[allow(clippy::too_many_lines, clippy::cast_precision_loss)]
pub fn build(run: &LoadedRun) -> Timeline {
    let r: &Run = &run.run;
    let package = r.app.package.as_str();
    let uid = r.app.uid;
    let mut t = Timeline::default();
    // Marks: their logcat lines give the device time.
    let mut anchors = Vec::new();
    for m in &r.marks {
        let found = run.log.iter().find(
            |rec| matches!(&rec.event, Some(Event::Marker { text }) if *text == m.logcat_text),
        );
        if let Some(dev) = found
            .and_then(|rec| rec.time)
            .and_then(|tm| Dev::try_from(tm.sort_key()).ok())
        {
            anchors.push((m.t_ms as f64, dev as f64));
            t.marks.push((m.name.clone(), dev, m.step));
        }
    }
    t.clock = Clock::new(anchors, r.time_scale.unwrap_or(1.0));
    let dev_of = |t_ms: u64| t.clock.as_ref().map(|c| c.dev(t_ms));

    // Network contacts: packets carry the host's clock, which the capture's
    // start ties to the run's milliseconds.
    if let (Some(n), Some(Ok(cap))) = (&r.network, &run.capture) {
        for (i, c) in cap.contacts.iter().enumerate() {
            let host_ms = c.unix_us.div_euclid(1000) - n.started_unix_ms;
            let t_ms = u64::try_from(host_ms.saturating_add_unsigned(n.started_ms)).unwrap_or(0);
            if let Some(dev) = dev_of(t_ms) {
                t.contacts.push((dev, i));
            }
        }
    }

    // Logcat events.
    for rec in &run.log {
        let Some(dev) = rec.time.and_then(|tm| Dev::try_from(tm.sort_key()).ok()) else {
            continue;
        };
        let line = |process: &str, component: Option<String>| Line {
            dev,
            process: process.to_string(),
            component,
            source: source_of(run, rec),
        };
        match &rec.event {
            Some(Event::PermissionRequest { caller_uid, .. })
                if caller_uid.is_some() && *caller_uid == uid =>
            {
                t.requests.push(Request {
                    dev,
                    source: source_of(run, rec),
                    dialogs: Vec::new(),
                });
            }
            Some(Event::DeviceIdentifierRead { package: p, .. }) if p == package => {
                t.identifier_reads.push(line(p, None));
            }
            Some(Event::ClipboardDenied { package: p }) if p == package => {
                t.clipboard_denials.push(line(p, None));
            }
            Some(Event::ProcessStart { process, .. }) if is_app_process(package, process) => {
                let component = rec
                    .message
                    .rsplit_once('{')
                    .map(|(_, c)| c.trim_end_matches('}').to_string());
                t.starts.push(line(process, component));
            }
            Some(Event::ProcessDied { process, .. }) if is_app_process(package, process) => {
                t.deaths.push(line(process, None));
            }
            Some(Event::Crash {
                process: Some(process),
                ..
            }) if is_app_process(package, process) => {
                t.crashes.push(line(process, None));
            }
            Some(Event::Anr { process }) if is_app_process(package, process) => {
                t.anrs.push(line(process, None));
            }
            _ if rec
                .message
                .contains("android.settings.APPLICATION_DETAILS_SETTINGS")
                && uid.is_some_and(|u| rec.message.contains(&format!("from uid {u}"))) =>
            {
                t.settings_redirects.push(line(package, None));
            }
            _ => {}
        }
    }

    // App ops: place each entry through its snapshot's moment.
    let mut skews = Vec::new();
    for s in &run.snapshots {
        let (SnapshotData::AppOps(ops), Some(at)) = (&s.data, dev_of(s.record.t_ms)) else {
            continue;
        };
        for a in &ops.accesses {
            if let Some(OpTime::At {
                timestamp,
                ago_ms: Some(ago),
            }) = &a.time
            {
                if let Some(cal) = calendar_ms(timestamp) {
                    skews.push(cal + i64::try_from(*ago).unwrap_or(0) - at);
                }
            }
        }
    }
    skews.sort_unstable();
    let skew = skews.get(skews.len() / 2).copied().map(zone_offset);
    for s in &run.snapshots {
        let SnapshotData::AppOps(ops) = &s.data else {
            continue;
        };
        let at = dev_of(s.record.t_ms);
        for a in ops.accesses.iter().filter(|a| {
            a.package.as_deref().is_none_or(|p| p == package) && a.kind != AccessKind::Running
        }) {
            let dev = match &a.time {
                Some(OpTime::At { timestamp, .. }) => {
                    calendar_ms(timestamp).map(|c| c - skew.unwrap_or(0))
                }
                Some(OpTime::Ago { ms }) => at.map(|d| d - i64::try_from(*ms).unwrap_or(0)),
                None => None,
            };
            let Some(dev) = dev else {
                t.unplaced_accesses += 1;
                continue;
            };
            let dup = t.accesses.iter().any(|x| {
                x.op == a.op
                    && x.kind == a.kind
                    && x.uid_state == a.uid_state
                    && (x.dev - dev).abs() <= 2
            });
            if dup {
                continue;
            }
            t.accesses.push(Access {
                dev,
                op: a.op.clone(),
                kind: a.kind,
                uid_state: a.uid_state.clone(),
                background: a.in_background(),
                from_setup: s.record.reason == "setup",
                seen_in: Source {
                    file: Some(s.record.file.clone()),
                    line: Some(a.line),
                    quote: Some(format!(
                        "{} {:?} [{}]",
                        a.op,
                        a.kind,
                        a.uid_state.as_deref().unwrap_or("?")
                    )),
                    step: s.record.step,
                    t_ms: Some(s.record.t_ms),
                },
            });
        }
    }
    for s in &run.snapshots {
        if let SnapshotData::ExitInfo(info) = &s.data {
            for e in &info.records {
                let (Some(reason), Some(dev)) =
                    (e.reason, e.timestamp.as_deref().and_then(calendar_ms))
                else {
                    continue;
                };
                let process = e.process.clone().unwrap_or_else(|| package.to_string());
                if !is_app_process(package, &process)
                    || t.exits.iter().any(|x| x.dev == dev && x.reason == reason)
                {
                    continue;
                }
                t.exits.push(Exit {
                    dev,
                    reason,
                    name: e.reason_name.clone().unwrap_or_default(),
                    process,
                    source: Source {
                        file: Some(s.record.file.clone()),
                        line: Some(e.line),
                        quote: e.description.clone(),
                        step: s.record.step,
                        t_ms: Some(s.record.t_ms),
                    },
                });
            }
        }
    }

    // Dialogs, steps and exploration taps, through the clock.
    if t.clock.is_some() {
        for (i, d) in r.dialogs.iter().enumerate() {
            if let Some(dev) = dev_of(d.t_ms) {
                t.dialogs.push((dev, i));
            }
        }
        for s in &r.steps {
            let Some(dev) = dev_of(s.start_ms) else {
                continue;
            };
            let at = StepAt { dev, step: s.index };
            match s.command.as_str() {
                c if TAP_COMMANDS.contains(&c)
                    && s.status != crate::evidence::StepStatus::Skipped =>
                {
                    t.taps.push(Tap {
                        dev,
                        step: s.index,
                        label: s.title.clone(),
                    });
                }
                "launchApp" => t.launches.push(at),
                "back" | "stopApp" | "killApp" => t.leaves.push(at),
                "pressKey"
                    if s.title.to_ascii_lowercase().contains("home")
                        || s.title.to_ascii_lowercase().contains("back") =>
                {
                    t.leaves.push(at);
                }
                _ => {}
            }
        }
        for e in &r.explorations {
            for tap in &e.tapped {
                if let Some(dev) = tap.t_ms.and_then(dev_of) {
                    t.taps.push(Tap {
                        dev,
                        step: e.step,
                        label: tap.text.clone(),
                    });
                }
            }
        }
    }
    t.taps.sort_by_key(|x| x.dev);
    t.dialogs.sort_by_key(|x| x.0);

    // Each permission dialog belongs to the latest request before it.
    for &(dev, i) in &t.dialogs {
        let d = &r.dialogs[i];
        if d.kind != DialogKind::Permission || d.package != package {
            continue;
        }
        let owner = t
            .requests
            .iter()
            .rposition(|q| q.dev <= dev)
            .or_else(|| (!t.requests.is_empty()).then_some(0));
        if let Some(k) = owner {
            t.requests[k].dialogs.push(i);
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_times() {
        let a = calendar_ms("2026-01-15 10:00:13.337").unwrap();
        let b = calendar_ms("01-15 10:00:14.857").unwrap();
        assert_eq!(b - a, 1520);
        assert_eq!(
            calendar_ms("timestamp=2026-01-15 10:00:05.1 pid=1").unwrap()
                - calendar_ms("01-15 10:00:05").unwrap(),
            100
        );
        assert!(calendar_ms("no time here").is_none());
    }

    #[test]
    fn clock_interpolates_and_extrapolates() {
        let c = Clock::new(vec![(1000.0, 50_000.0), (2000.0, 60_000.0)], 1.0).unwrap();
        assert_eq!(c.dev(1500), 55_000);
        // Scale from the anchors: 10 device ms per run ms.
        assert_eq!(c.dev(3000), 70_000);
        assert_eq!(c.dev(0), 40_000);
        let one = Clock::new(vec![(100.0, 1000.0)], 2.0).unwrap();
        assert_eq!(one.dev(200), 1200);
        assert!(Clock::new(vec![], 1.0).is_none());
    }

    #[test]
    fn clock_differences_snap_to_time_zone_offsets() {
        let hour = 3_600_000;
        assert_eq!(zone_offset(64), 0);
        assert_eq!(zone_offset(-59_000), 0);
        assert_eq!(zone_offset(8 * hour + 2_500), 8 * hour);
        assert_eq!(
            zone_offset(-(5 * hour + hour / 2) - 900),
            -(5 * hour + hour / 2)
        );
        // Not near any zone offset: kept as measured.
        assert_eq!(zone_offset(7 * 60_000), 7 * 60_000);
    }

    #[test]
    fn app_processes() {
        assert!(is_app_process("com.x", "com.x"));
        assert!(is_app_process("com.x", "com.x:pushcore"));
        assert!(!is_app_process("com.x", "com.xy"));
        assert!(!is_app_process("com.x", "com.y:push"));
    }
}
