//! `dumpsys appops [--package PKG]` and `cmd appops get PKG` → typed
//! records: which op each package has in which mode, and every
//! `Access:`/`Reject:`/`Running` entry with its uid state (`top`, `fg`,
//! `bg`, `cch`, ...), time and duration.
//!
//! Three generations of `dumpsys` are read:
//! - Android 8.1: `OP: mode=0; time=+1h2m ago; duration=+3s` (numeric mode);
//! - Android 9/10: `OP (allow):` then `Access: top   = 2019-... (-1h2m)`
//!   (the uid state padded to five columns), each further uid state on a
//!   line of its own without the label (`                  bg    = ...`),
//!   the same for `Reject:`, and the op's last `duration=+3s` on a line of
//!   its own, which belongs to the op's latest access;
//! - Android 11+: `OP (allow):` then `null=[` (the attribution tag) with
//!   `Access: [top-s] 2024-05-01 10:00:01.123 (-12s345ms) duration=+2s3ms`,
//!   `Reject: [top-s]2024-...` (AOSP prints no space there), `Running start
//!   at: +1m`, and `proxy[...]` suffixes. Vendor ops such as `MIUIOP(10008)`
//!   are kept as written.
//!
//! Lines inside a package block that match nothing are counted as unknown.

use serde::Serialize;

/// When an access happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum OpTime {
    /// A wall-clock timestamp as printed (`2024-05-01 10:00:01.123`), with
    /// the relative age when printed beside it.
    At {
        timestamp: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        ago_ms: Option<u64>,
    },
    /// Only an age (`time=+1h2m3s ago`).
    Ago { ms: u64 },
}

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum AccessKind {
    Access,
    Reject,
    /// `Running start at:`: the op is being used now.
    Running,
}

/// One `Access:` / `Reject:` / running entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpAccess {
    /// 1-based line.
    pub line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    pub op: String,
    pub kind: AccessKind,
    /// `top`, `fg`, `bg`, `cch`, `pers`, `fgsvc`, `fgsvcl`... when printed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid_state: Option<String>,
    /// The flags after the state (`s` self, `tp` trusted proxy, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flags: Option<String>,
    /// The attribution tag (`null` when the app set none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribution: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<OpTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy: Option<String>,
}

impl OpAccess {
    /// Whether the access happened while the app was in the background.
    pub fn in_background(&self) -> bool {
        matches!(self.uid_state.as_deref(), Some("bg" | "cch"))
    }
}

/// An op line: the op and its mode for a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpMode {
    pub line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    pub op: String,
    /// `allow`, `ignore`, `deny`, `default`, `foreground`, or the number
    /// Android 8.1 prints (`0` allow, `1` ignore, `2` deny, `3` default).
    pub mode: String,
}

/// The parsed output.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AppOps {
    pub modes: Vec<OpMode>,
    pub accesses: Vec<OpAccess>,
    /// Lines in a package block that matched no known shape.
    pub unknown: usize,
    pub unknown_lines: Vec<usize>,
}

/// Parses `+1d2h3m4s5ms`, `-11h2m36s185ms`, `+574ms` to milliseconds, and
/// `0`, which is how Android's `TimeUtils.formatDuration` prints zero.
pub fn parse_relative(text: &str) -> Option<u64> {
    let t = text.trim().trim_start_matches(['+', '-']);
    if t.is_empty() {
        return None;
    }
    if t == "0" {
        return Some(0);
    }
    let mut total: u64 = 0;
    let mut rest = t;
    while !rest.is_empty() {
        let n_len = rest.find(|c: char| !c.is_ascii_digit())?;
        if n_len == 0 {
            return None;
        }
        let n: u64 = rest[..n_len].parse().ok()?;
        rest = &rest[n_len..];
        let (factor, len) = if rest.starts_with("ms") {
            (1, 2)
        } else if rest.starts_with('d') {
            (86_400_000, 1)
        } else if rest.starts_with('h') {
            (3_600_000, 1)
        } else if rest.starts_with('m') {
            (60_000, 1)
        } else if rest.starts_with('s') {
            (1_000, 1)
        } else {
            return None;
        };
        total = total.checked_add(n.checked_mul(factor)?)?;
        rest = &rest[len..];
    }
    Some(total)
}

/// `[top-s]` / `top-s` / `top` → (state, flags).
fn state_flags(text: &str) -> (Option<String>, Option<String>) {
    let t = text.trim().trim_start_matches('[').trim_end_matches(']');
    if t.is_empty() {
        return (None, None);
    }
    match t.split_once('-') {
        Some((s, f)) => (Some(s.to_string()), Some(f.to_string())),
        None => (Some(t.to_string()), None),
    }
}

/// Context while walking the dump.
#[derive(Default)]
struct Ctx {
    uid: Option<String>,
    package: Option<String>,
    op: Option<String>,
    attribution: Option<String>,
    in_uid_block: bool,
    /// The kind of the last Android 9/10 `Access:`/`Reject:` line, which
    /// the unlabelled uid-state lines under it continue.
    last_kind: Option<AccessKind>,
    /// Where the current op's entries start in the output.
    op_start: usize,
}

/// `OP (mode):` or `OP: mode=0; time=...` — returns (op, mode, rest after `;`).
fn op_line(t: &str) -> Option<(String, String, Option<&str>)> {
    // Android 9+: NAME (mode):
    if let Some(head) = t.strip_suffix(':') {
        if let Some(open) = head.rfind(" (") {
            let name = &head[..open];
            // `(allow)`, or `(allow / switch COARSE_LOCATION=allow)`.
            let inner = head[open + 2..].strip_suffix(')')?;
            let mode = inner.split(" / ").next().unwrap_or(inner).trim();
            if is_op_name(name) && !mode.is_empty() && !mode.contains(char::is_whitespace) {
                return Some((name.to_string(), mode.to_string(), None));
            }
        }
        return None;
    }
    // Android 8.1: NAME: mode=0; time=...
    let (name, rest) = t.split_once(": ")?;
    if !is_op_name(name) {
        return None;
    }
    let rest = rest.trim();
    let (first, tail) = match rest.split_once(';') {
        Some((f, tail)) => (f.trim(), Some(tail)),
        None => (rest, None),
    };
    let mode = first.strip_prefix("mode=").unwrap_or(first);
    if mode.is_empty()
        || !mode
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        return None;
    }
    Some((name.to_string(), mode.to_string(), tail))
}

/// Op names: `COARSE_LOCATION`, `OP_READ_PHONE_STATE`, `MIUIOP(10008)`.
fn is_op_name(name: &str) -> bool {
    !name.is_empty()
        && name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, '_' | '(' | ')'))
}

/// `; time=+1h ago; duration=+3s; rejectTime=+2m ago` (8.1 and `cmd appops get`).
fn semicolon_fields(ctx: &Ctx, op: &str, tail: &str, line: usize, out: &mut Vec<OpAccess>) {
    let mut access: Option<u64> = None;
    let mut reject: Option<u64> = None;
    let mut duration: Option<u64> = None;
    let mut running = false;
    for field in tail.split(';') {
        let f = field.trim();
        if let Some(v) = f.strip_prefix("time=") {
            running |= v.contains("(running)");
            access = parse_relative(v.split_whitespace().next().unwrap_or(""));
        } else if let Some(v) = f.strip_prefix("rejectTime=") {
            reject = parse_relative(v.split_whitespace().next().unwrap_or(""));
        } else if let Some(v) = f.strip_prefix("duration=") {
            running |= v.contains("(running)");
            duration = parse_relative(v.split_whitespace().next().unwrap_or(""));
        }
    }
    let base = |kind, ms: Option<u64>| OpAccess {
        line,
        uid: ctx.uid.clone(),
        package: ctx.package.clone(),
        op: op.to_string(),
        kind,
        uid_state: None,
        flags: None,
        attribution: None,
        time: ms.map(|ms| OpTime::Ago { ms }),
        duration_ms: None,
        proxy: None,
    };
    if access.is_some() {
        let mut a = base(AccessKind::Access, access);
        a.duration_ms = duration;
        out.push(a);
    }
    if reject.is_some() {
        out.push(base(AccessKind::Reject, reject));
    }
    if running {
        out.push(base(AccessKind::Running, None));
    }
}

/// An `Access:` / `Reject:` line of Android 9+.
fn access_line(ctx: &Ctx, t: &str, line: usize) -> Option<OpAccess> {
    let (kind, rest) = if let Some(r) = t.strip_prefix("Access:") {
        (AccessKind::Access, r)
    } else if let Some(r) = t.strip_prefix("Reject:") {
        (AccessKind::Reject, r)
    } else if let Some(r) = t.strip_prefix("Running start at:") {
        let mut a = blank(ctx, AccessKind::Running, line)?;
        a.time = parse_relative(r).map(|ms| OpTime::Ago { ms });
        return Some(a);
    } else {
        return None;
    };
    let mut a = blank(ctx, kind, line)?;
    // A `proxy[...]` suffix names the app that accessed on this one's behalf.
    let without_proxy;
    let mut rest = rest.trim_start();
    if let Some(p) = rest.find("proxy[") {
        let end = rest[p..].find(']').map_or(rest.len(), |e| p + e + 1);
        a.proxy = Some(rest[p + 6..end.saturating_sub(1).max(p + 6)].to_string());
        without_proxy = format!("{} {}", rest[..p].trim_end(), rest[end..].trim_start());
        rest = without_proxy.trim();
    }
    if let Some(stripped) = rest.strip_prefix('[') {
        // Android 11+: [state-flags]DATE TIME (-REL) duration=+X
        let close = stripped.find(']')?;
        let (s, f) = state_flags(&stripped[..close]);
        a.uid_state = s;
        a.flags = f;
        rest = stripped[close + 1..].trim_start();
        return finish_access(a, rest);
    }
    // Android 9/10: state = DATE (-REL) [duration=...]
    if let Some((state, when)) = rest.split_once(" = ") {
        let (s, f) = state_flags(state);
        a.uid_state = s;
        a.flags = f;
        return finish_access(a, when.trim());
    }
    finish_access(a, rest)
}

/// An Android 9/10 uid-state line without its label, under an `Access:`
/// or `Reject:` line: `bg    = 2019-03-01 09:00:00.000 (-2h)`.
fn continuation_line(ctx: &Ctx, t: &str, line: usize) -> Option<OpAccess> {
    let kind = ctx.last_kind?;
    let (state, when) = t.split_once(" = ")?;
    let state = state.trim();
    if state.is_empty()
        || !state
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return None;
    }
    let mut a = blank(ctx, kind, line)?;
    let (s, f) = state_flags(state);
    a.uid_state = s;
    a.flags = f;
    let a = finish_access(a, when.trim())?;
    // Only a timestamp continues an access list.
    matches!(a.time, Some(OpTime::At { .. })).then_some(a)
}

/// Android 9/10's op-level `duration=+2s3ms` line: the duration of the
/// op's latest access (the one with the smallest age).
fn attach_duration(accesses: &mut [OpAccess], ms: u64) -> bool {
    let age = |a: &OpAccess| match &a.time {
        Some(OpTime::At { ago_ms, .. }) => ago_ms.unwrap_or(u64::MAX),
        Some(OpTime::Ago { ms }) => *ms,
        None => u64::MAX,
    };
    let latest = accesses
        .iter_mut()
        .filter(|a| a.kind == AccessKind::Access)
        .min_by_key(|a| age(a));
    match latest {
        Some(a) => {
            a.duration_ms = Some(ms);
            true
        }
        None => false,
    }
}

fn blank(ctx: &Ctx, kind: AccessKind, line: usize) -> Option<OpAccess> {
    Some(OpAccess {
        line,
        uid: ctx.uid.clone(),
        package: ctx.package.clone(),
        op: ctx.op.clone()?,
        kind,
        uid_state: None,
        flags: None,
        attribution: ctx.attribution.clone(),
        time: None,
        duration_ms: None,
        proxy: None,
    })
}

/// The age in `(-12s345ms)`: a negative offset from now, or `0` for an
/// access at the moment of the dump; `None` for one in the future.
fn ago(rel: &str) -> Option<u64> {
    if rel == "0" {
        return Some(0);
    }
    rel.strip_prefix('-').and_then(parse_relative)
}

/// `2024-05-01 10:00:01.123 (-12s345ms) duration=+2s3ms` or `+1h2m ago`.
fn finish_access(mut a: OpAccess, rest: &str) -> Option<OpAccess> {
    let (main, duration) = match rest.split_once("duration=") {
        Some((m, d)) => (
            m.trim(),
            parse_relative(d.split_whitespace().next().unwrap_or("")),
        ),
        None => (rest.trim(), None),
    };
    a.duration_ms = duration;
    if main.is_empty() {
        return Some(a);
    }
    if main.starts_with('+') || main.starts_with('-') {
        a.time = parse_relative(main.split_whitespace().next().unwrap_or(""))
            .map(|ms| OpTime::Ago { ms });
        return Some(a);
    }
    let (stamp, rel) = match main.split_once(" (") {
        Some((s, r)) => (s.trim(), ago(r.trim_end_matches(')').trim())),
        None => (main, None),
    };
    let looks_like_date = stamp.len() >= 10
        && stamp.as_bytes()[4] == b'-'
        && stamp.as_bytes()[..4].iter().all(u8::is_ascii_digit);
    if !looks_like_date {
        return None;
    }
    a.time = Some(OpTime::At {
        timestamp: stamp.to_string(),
        ago_ms: rel,
    });
    Some(a)
}

/// Parses `dumpsys appops` (any of the three forms) or `cmd appops get`.
pub fn parse(text: &str) -> AppOps {
    let text = text.trim_start_matches('\u{feff}');
    let mut out = AppOps::default();
    let mut ctx = Ctx::default();
    let mut top_level_ops = true;
    for (i, raw) in text.split('\n').enumerate() {
        let line = i + 1;
        let t = raw.trim_end_matches('\r').trim();
        if t.is_empty() {
            continue;
        }
        let indent = raw.len() - raw.trim_start().len();
        if let Some(u) = t.strip_prefix("Uid ").and_then(|r| r.strip_suffix(':')) {
            ctx = Ctx {
                uid: Some(u.trim().to_string()),
                in_uid_block: true,
                ..Ctx::default()
            };
            top_level_ops = false;
            continue;
        }
        if indent <= 2 && !t.starts_with("Uid ") && t.ends_with(':') && ctx.in_uid_block {
            // A new top-level section ends the uid blocks.
            ctx = Ctx::default();
        }
        if !ctx.in_uid_block {
            // `cmd appops get` lines are top-level `OP: mode; ...`.
            if top_level_ops && indent == 0 {
                if let Some((op, mode, tail)) = op_line(t) {
                    out.modes.push(OpMode {
                        line,
                        uid: None,
                        package: None,
                        op: op.clone(),
                        mode: mode.trim_end_matches(';').to_string(),
                    });
                    if let Some(tail) = tail {
                        semicolon_fields(&ctx, &op, tail, line, &mut out.accesses);
                    }
                    continue;
                }
                if t.starts_with("Current AppOps") || t.ends_with(':') {
                    top_level_ops = false;
                } else if !t.contains(':') {
                    continue;
                }
            }
            continue;
        }
        if let Some(p) = t.strip_prefix("Package ").and_then(|r| r.strip_suffix(':')) {
            ctx.package = Some(p.trim().to_string());
            ctx.op = None;
            ctx.attribution = None;
            ctx.last_kind = None;
            continue;
        }
        if ctx.package.is_none() {
            // uid-level lines: state=, capability=, appWidgetVisible=, and the
            // `foregroundOps:` list (`COARSE_LOCATION: WATCHER`).
            let foreground_op = t.split_once(": ").is_some_and(|(op, w)| {
                is_op_name(op) && !w.is_empty() && w.bytes().all(|b| b.is_ascii_uppercase())
            });
            if foreground_op {
                continue;
            }
            if t.contains('=') || t.ends_with(':') || op_line(t).is_some() {
                if let Some((op, mode, tail)) = op_line(t) {
                    out.modes.push(OpMode {
                        line,
                        uid: ctx.uid.clone(),
                        package: None,
                        op: op.clone(),
                        mode,
                    });
                    if let Some(tail) = tail {
                        semicolon_fields(&ctx, &op, tail, line, &mut out.accesses);
                    }
                }
                continue;
            }
        }
        if let Some((op, mode, tail)) = op_line(t) {
            ctx.op = Some(op.clone());
            ctx.attribution = None;
            ctx.last_kind = None;
            ctx.op_start = out.accesses.len();
            out.modes.push(OpMode {
                line,
                uid: ctx.uid.clone(),
                package: ctx.package.clone(),
                op: op.clone(),
                mode,
            });
            if let Some(tail) = tail {
                semicolon_fields(&ctx, &op, tail, line, &mut out.accesses);
            }
            continue;
        }
        if let Some(tag) = t.strip_suffix("=[") {
            ctx.attribution = Some(tag.to_string());
            continue;
        }
        if t == "]" {
            ctx.attribution = None;
            continue;
        }
        if let Some(a) = access_line(&ctx, t, line) {
            ctx.last_kind = (a.kind != AccessKind::Running).then_some(a.kind);
            out.accesses.push(a);
            continue;
        }
        if let Some(a) = continuation_line(&ctx, t, line) {
            out.accesses.push(a);
            continue;
        }
        if let Some(ms) = t
            .strip_prefix("duration=")
            .filter(|_| ctx.op.is_some())
            .and_then(|d| parse_relative(d.split_whitespace().next().unwrap_or("")))
        {
            ctx.last_kind = None;
            let start = ctx.op_start.min(out.accesses.len());
            if attach_duration(&mut out.accesses[start..], ms) {
                continue;
            }
        }
        // Per-op counters such as `startNesting=3`.
        if ctx.op.is_some()
            && t.split_once('=')
                .is_some_and(|(k, _)| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric()))
        {
            continue;
        }
        out.unknown += 1;
        out.unknown_lines.push(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_times() {
        assert_eq!(parse_relative("+1m4s938ms"), Some(64_938));
        assert_eq!(parse_relative("-11h2m36s185ms"), Some(39_756_185));
        assert_eq!(parse_relative("+9d20h47m55s560ms"), Some(852_475_560));
        assert_eq!(parse_relative("+574ms"), Some(574));
        assert_eq!(parse_relative("abc"), None);
        // TimeUtils.formatDuration(0) prints a bare `0`.
        assert_eq!(parse_relative("0"), Some(0));
        assert_eq!(parse_relative("00"), None);
        assert_eq!(parse_relative(""), None);
    }

    #[test]
    fn android_13_form() {
        let text = "\
  Uid u0a153:
    state=top
    Package com.x:
      FINE_LOCATION (allow):
        null=[
          Access: [bg-s] 2024-05-01 10:00:01.123 (-12s345ms) duration=+2s3ms
          Reject: [top-s]2024-05-01 10:00:00.456 (-13s12ms)
          Running start at: +1m4s937ms
        ]
        tag1=[
          Access: [fg-tp] 2024-05-01 10:00:02.000 (-1s) proxy[uid=1000, pkg=android, attributionTag=null]
        ]
      MIUIOP(10008) (ignore):
      something odd here
";
        let ops = parse(text);
        assert_eq!(ops.modes.len(), 2);
        assert_eq!(ops.modes[1].op, "MIUIOP(10008)");
        assert_eq!(ops.unknown, 1);
        let a = &ops.accesses;
        assert_eq!(a.len(), 4);
        assert_eq!(a[0].kind, AccessKind::Access);
        assert_eq!(
            (a[0].uid_state.as_deref(), a[0].flags.as_deref()),
            (Some("bg"), Some("s"))
        );
        assert!(a[0].in_background());
        assert_eq!(a[0].duration_ms, Some(2003));
        assert_eq!(a[0].attribution.as_deref(), Some("null"));
        assert_eq!(
            a[0].time,
            Some(OpTime::At {
                timestamp: "2024-05-01 10:00:01.123".into(),
                ago_ms: Some(12_345)
            })
        );
        assert_eq!(a[1].kind, AccessKind::Reject);
        assert_eq!(a[1].uid_state.as_deref(), Some("top"));
        assert_eq!(a[2].kind, AccessKind::Running);
        assert_eq!(a[3].attribution.as_deref(), Some("tag1"));
        assert_eq!(
            a[3].proxy.as_deref(),
            Some("uid=1000, pkg=android, attributionTag=null")
        );
        assert_eq!(a[3].package.as_deref(), Some("com.x"));
        assert_eq!(a[3].uid.as_deref(), Some("u0a153"));
    }

    #[test]
    fn android_9_form() {
        let text = "  Uid 10153:\n    Package com.x:\n      CAMERA (allow):\n          Access: top = 2019-03-01 10:00:00.000 (-1h2m3s)\n          Reject: bg = 2019-03-01 09:00:00.000 (-2h)\n";
        let ops = parse(text);
        assert_eq!(ops.accesses.len(), 2);
        assert_eq!(ops.accesses[0].uid_state.as_deref(), Some("top"));
        assert_eq!(ops.accesses[1].uid_state.as_deref(), Some("bg"));
        assert_eq!(
            ops.accesses[0].time,
            Some(OpTime::At {
                timestamp: "2019-03-01 10:00:00.000".into(),
                ago_ms: Some(3_723_000)
            })
        );
    }

    /// Android 9 as AOSP's `dumpTimesLocked` (pie) prints it: the uid
    /// state padded to five columns, further states under the first
    /// without the label, and the op's duration on a line of its own.
    #[test]
    fn android_9_uid_state_lines_and_duration() {
        let text = "\
  Uid u0a102:
    state=top  
    Package com.x:
      FINE_LOCATION (allow): 
          Access: top   = 2026-01-15 10:00:00.000 (-5s0ms)
                  bg    = 2026-01-15 09:59:00.000 (-1m5s0ms)
          Reject: cch   = 2026-01-15 09:58:00.000 (-2m5s0ms)
                  fgsvc = 2026-01-15 09:57:00.000 (-3m5s0ms)
          duration=+2s3ms
      CAMERA (ignore): 
          Reject: top   = 2026-01-15 10:00:01.000 (-4s0ms)
          startNesting=1
";
        let ops = parse(text);
        assert_eq!(ops.unknown_lines, Vec::<usize>::new());
        let got: Vec<(&str, AccessKind, Option<&str>, Option<u64>)> = ops
            .accesses
            .iter()
            .map(|a| (a.op.as_str(), a.kind, a.uid_state.as_deref(), a.duration_ms))
            .collect();
        assert_eq!(
            got,
            [
                ("FINE_LOCATION", AccessKind::Access, Some("top"), Some(2003)),
                ("FINE_LOCATION", AccessKind::Access, Some("bg"), None),
                ("FINE_LOCATION", AccessKind::Reject, Some("cch"), None),
                ("FINE_LOCATION", AccessKind::Reject, Some("fgsvc"), None),
                ("CAMERA", AccessKind::Reject, Some("top"), None),
            ]
        );
        assert!(ops.accesses[1].in_background());
        // A stray `bg = ...` outside an access list is not an access.
        let stray = parse(
            "  Uid 1:\n    Package com.x:\n      CAMERA (allow): \n          bg    = 2026-01-15 10:00:00.000 (0)\n",
        );
        assert_eq!(stray.unknown, 1);
    }

    /// Found by tests/parse_roundtrip_prop.rs: an access at the moment of
    /// the dump is printed with age `0` (`time=0 ago`, `(0)`), and a zero
    /// duration as `duration=0`; the access was dropped or lost its age.
    #[test]
    fn zero_ages_and_durations() {
        let ops = parse("CAMERA: allow; time=0 ago; duration=0\nSMS: ignore; rejectTime=0 ago\n");
        assert_eq!(ops.accesses.len(), 2);
        assert_eq!(ops.accesses[0].time, Some(OpTime::Ago { ms: 0 }));
        assert_eq!(ops.accesses[0].duration_ms, Some(0));
        assert_eq!(ops.accesses[1].kind, AccessKind::Reject);
        let ops = parse(
            "  Uid u0a1:\n    Package com.x:\n      CAMERA (allow):\n        null=[\n          Access: [top-s] 2026-01-15 10:00:00.000 (0) duration=0\n          Reject: [bg-s]2026-01-15 10:00:05.000 (+5s0ms)\n        ]\n",
        );
        assert_eq!(ops.unknown, 0);
        assert_eq!(
            ops.accesses[0].time,
            Some(OpTime::At {
                timestamp: "2026-01-15 10:00:00.000".into(),
                ago_ms: Some(0)
            })
        );
        assert_eq!(ops.accesses[0].duration_ms, Some(0));
        assert_eq!(
            ops.accesses[1].time,
            Some(OpTime::At {
                timestamp: "2026-01-15 10:00:05.000".into(),
                ago_ms: None
            }),
            "in the future: no age"
        );
    }

    /// Found by fuzzing (fuzz/fuzz_targets/appops.rs): `N (d\tu):` was read
    /// as op `N` in mode `d\tu`; a mode is one word.
    #[test]
    fn a_mode_with_a_blank_is_no_mode() {
        assert!(parse("N (d\tu):\n").modes.is_empty());
        let ops = parse("  Uid u0a1:\n    Package com.x:\n      CAMERA (al\tlow):\n");
        assert!(ops.modes.is_empty());
        assert_eq!(ops.unknown_lines, [3]);
    }

    #[test]
    fn cmd_appops_get_form() {
        let text = "COARSE_LOCATION: allow; time=+12s345ms ago\nWRITE_SMS: ignore; rejectTime=+10d5h57m14s652ms ago\nWAKE_LOCK: allow; time=+1s ago; duration=+1m1s568ms\nSYSTEM_ALERT_WINDOW: deny\n";
        let ops = parse(text);
        assert_eq!(
            ops.modes
                .iter()
                .map(|m| m.mode.as_str())
                .collect::<Vec<_>>(),
            ["allow", "ignore", "allow", "deny"]
        );
        assert_eq!(ops.accesses.len(), 3);
        assert_eq!(ops.accesses[0].time, Some(OpTime::Ago { ms: 12_345 }));
        assert_eq!(ops.accesses[1].kind, AccessKind::Reject);
        assert_eq!(ops.accesses[2].duration_ms, Some(61_568));
    }
}
