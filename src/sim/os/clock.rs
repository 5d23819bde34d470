//! The simulated wall clock (start + real elapsed × time scale) and the pure
//! time formats Android prints: `2026-01-15 10:00:01.123` (appops,
//! exit-info), `01-15 10:00:01.123` (logcat) and `TimeUtils.formatDuration`
//! (`+1m4s938ms`, `-12s345ms`, `0`). Times are milliseconds since the epoch
//! in device-local time (the device has no time zone offset to apply).

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

/// Milliseconds since 1970-01-01 00:00:00.000 device-local time.
pub type SimMillis = i64;

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// A local date-time as milliseconds.
pub fn at(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64, ms: i64) -> SimMillis {
    days_from_civil(y, mo, d) * 86_400_000 + ((h * 60 + mi) * 60 + s) * 1000 + ms
}

/// (year, month, day, hour, minute, second, millisecond).
fn parts(t: SimMillis) -> (i64, i64, i64, i64, i64, i64, i64) {
    let days = t.div_euclid(86_400_000);
    let rem = t.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    (
        y,
        m,
        d,
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000,
    )
}

/// `2026-01-15 10:00:01.123`.
pub fn fmt_datetime(t: SimMillis) -> String {
    let (y, m, d, h, mi, s, ms) = parts(t);
    format!("{y:04}-{m:02}-{d:02} {h:02}:{mi:02}:{s:02}.{ms:03}")
}

/// `2026-01-15 10:00:01` (dumpsys package install times).
pub fn fmt_datetime_secs(t: SimMillis) -> String {
    let (y, m, d, h, mi, s, _) = parts(t);
    format!("{y:04}-{m:02}-{d:02} {h:02}:{mi:02}:{s:02}")
}

/// Logcat's `01-15 10:00:01.123`.
pub fn fmt_logcat(t: SimMillis) -> String {
    let (_, m, d, h, mi, s, ms) = parts(t);
    format!("{m:02}-{d:02} {h:02}:{mi:02}:{s:02}.{ms:03}")
}

/// Parses logcat's `-T 'MM-DD hh:mm:ss.mmm'` in the year of `now`.
pub fn parse_logcat_time(s: &str, now: SimMillis) -> Option<SimMillis> {
    let (date, time) = s.trim().split_once(' ')?;
    let (mo, d) = date.split_once('-')?;
    let mut hms = time.split(':');
    let h = hms.next()?;
    let mi = hms.next()?;
    let sec = hms.next()?;
    let (s, ms) = sec.split_once('.').unwrap_or((sec, "0"));
    let n = |x: &str| x.parse::<i64>().ok();
    let year = parts(now).0;
    Some(at(year, n(mo)?, n(d)?, n(h)?, n(mi)?, n(s)?, n(ms)?))
}

/// Android's `TimeUtils.formatDuration`: `+1h10m26s239ms`, `-12s345ms`,
/// `+574ms`, `+5s0ms`, and `0` for zero.
pub fn fmt_duration(ms: i64) -> String {
    if ms == 0 {
        return "0".to_string();
    }
    let sign = if ms < 0 { '-' } else { '+' };
    let a = ms.unsigned_abs();
    let fields = [
        (a / 86_400_000, "d"),
        (a / 3_600_000 % 24, "h"),
        (a / 60_000 % 60, "m"),
        (a / 1000 % 60, "s"),
    ];
    let mut out = String::from(sign);
    let mut started = false;
    for (v, unit) in fields {
        if v > 0 || started {
            out.push_str(&format!("{v}{unit}"));
            started = true;
        }
    }
    out.push_str(&format!("{}ms", a % 1000));
    out
}

/// Parses `10s`, `500ms`, `2m`, `1h` into simulated milliseconds.
pub fn parse_span(s: &str) -> Option<i64> {
    let s = s.trim();
    let (num, mult) = if let Some(n) = s.strip_suffix("ms") {
        (n, 1)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1000)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60_000)
    } else if let Some(n) = s.strip_suffix('h') {
        (n, 3_600_000)
    } else {
        return None;
    };
    num.trim()
        .parse::<i64>()
        .ok()
        .filter(|v| *v >= 0)
        .map(|v| v * mult)
}

/// The device clock: `start + real elapsed × scale + manual offset`.
#[derive(Debug)]
pub struct SimClock {
    start: SimMillis,
    origin: Instant,
    scale: f64,
    offset: AtomicI64,
}

impl SimClock {
    pub fn new(start: SimMillis, scale: f64) -> Self {
        let scale = if scale.is_finite() && scale > 0.0 {
            scale
        } else {
            1.0
        };
        Self {
            start,
            origin: Instant::now(),
            scale,
            offset: AtomicI64::new(0),
        }
    }

    /// The current simulated time.
    pub fn now(&self) -> SimMillis {
        #[allow(clippy::cast_possible_truncation)]
        let elapsed = (self.origin.elapsed().as_secs_f64() * 1000.0 * self.scale) as i64;
        self.start + elapsed + self.offset.load(Ordering::Relaxed)
    }

    /// Jumps the clock forward (tests).
    pub fn advance(&self, ms: i64) {
        self.offset.fetch_add(ms, Ordering::Relaxed);
    }

    /// Real time that `sim_ms` of simulated time takes.
    pub fn real(&self, sim_ms: i64) -> Duration {
        #[allow(clippy::cast_precision_loss)]
        let secs = sim_ms.max(0) as f64 / 1000.0 / self.scale;
        Duration::from_secs_f64(secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        let t = at(2026, 1, 15, 10, 0, 1, 123);
        assert_eq!(fmt_datetime(t), "2026-01-15 10:00:01.123");
        assert_eq!(fmt_logcat(t), "01-15 10:00:01.123");
        assert_eq!(parse_logcat_time("01-15 10:00:01.123", t), Some(t));
        assert_eq!(
            fmt_datetime(at(2024, 2, 29, 23, 59, 59, 999)),
            "2024-02-29 23:59:59.999"
        );
    }

    #[test]
    fn durations_like_android() {
        assert_eq!(fmt_duration(0), "0");
        assert_eq!(fmt_duration(574), "+574ms");
        assert_eq!(fmt_duration(5000), "+5s0ms");
        assert_eq!(fmt_duration(-64_938), "-1m4s938ms");
        assert_eq!(
            fmt_duration(-(11 * 3_600_000 + 2 * 60_000 + 36_185)),
            "-11h2m36s185ms"
        );
        assert_eq!(fmt_duration(3_600_000), "+1h0m0s0ms");
        assert_eq!(parse_span("10s"), Some(10_000));
        assert_eq!(parse_span("250ms"), Some(250));
        assert_eq!(parse_span("x"), None);
    }
}
