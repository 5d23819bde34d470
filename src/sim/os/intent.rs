//! `am start` arguments as an intent, and the intent printed as Android
//! prints it. Pure: the activity manager's part is in `commands.rs` and
//! `android.rs`.
//!
//! Sources: `Intent.parseCommandArgs` (the options `am` takes, and a last
//! argument that is a component when it has a `/`, else a package),
//! `Intent.toShortString` (the field order `act cat dat typ flg pkg cmp
//! (has extras)`) and `Uri.toSafeString` (what `dat=` shows), read in the
//! AOSP 10 framework and in later trees, which agree; real outputs show
//! the same (`Starting: Intent { act=android.intent.action.VIEW
//! dat=https://ads.twitter.com/... }`, `START u0
//! {act=android.intent.action.VIEW dat=https://example.com/...
//! typ=text/html flg=0x10000000 cmp=…} from uid 2000`).

/// `Intent.FLAG_ACTIVITY_NEW_TASK`: `am start` adds it before starting.
pub const FLAG_ACTIVITY_NEW_TASK: u32 = 0x1000_0000;

/// What `am start` was asked to start.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Intent {
    pub action: Option<String>,
    pub data: Option<String>,
    pub mime: Option<String>,
    pub categories: Vec<String>,
    pub flags: u32,
    pub package: Option<String>,
    /// As given (`com.x/.Main`).
    pub component: Option<String>,
    pub extras: bool,
    /// `-W`: wait for the launch and print its result.
    pub wait: bool,
}

/// Options with one value (`Intent.parseCommandArgs` and
/// `ActivityManagerShellCommand.makeIntent`).
const ONE_VALUE: &[&str] = &[
    "-R",
    "-P",
    "--start-profiler",
    "--sampling",
    "--attach-agent",
    "--attach-agent-bind",
    "--user",
    "--receiver-permission",
    "--display",
    "--windowingMode",
    "--activityType",
    "--task",
    "--esn",
];

/// Extras: a key and a value.
const EXTRAS: &[&str] = &[
    "--es", "--ez", "--ei", "--el", "--ef", "--ed", "--eu", "--ecn", "--eia", "--eial", "--ela",
    "--elal", "--efa", "--efal", "--esa", "--esal",
];

impl Intent {
    /// Reads `am start`'s arguments (after `start`). Flags it does not
    /// know (`-S`, `-D`, `--activity-*`...) are skipped.
    pub fn parse(args: &[&str]) -> Self {
        let mut i = Self::default();
        let mut it = args.iter().copied();
        while let Some(a) = it.next() {
            match a {
                "-W" => i.wait = true,
                "-a" => i.action = it.next().map(str::to_string),
                "-d" => i.data = it.next().map(str::to_string),
                "-t" => i.mime = it.next().map(str::to_string),
                "-c" => i.categories.extend(it.next().map(str::to_string)),
                "-n" => i.component = it.next().map(str::to_string),
                "-p" => i.package = it.next().map(str::to_string),
                "-f" => i.flags |= it.next().and_then(parse_int).unwrap_or(0),
                a if EXTRAS.contains(&a) => {
                    it.next();
                    it.next();
                    i.extras = true;
                }
                "--esn" => {
                    it.next();
                    i.extras = true;
                }
                a if ONE_VALUE.contains(&a) => {
                    it.next();
                }
                a if a.starts_with('-') => {}
                a if a.contains('/') => i.component = Some(a.to_string()),
                a => i.package = Some(a.to_string()),
            }
        }
        i
    }

    /// `Intent.toShortString(secure, comp, extras)` with `cmp` in place
    /// of the component (the resolved one in a START line).
    pub fn short_string(&self, flags: u32, cmp: Option<&str>) -> String {
        let mut parts = Vec::new();
        if let Some(a) = &self.action {
            parts.push(format!("act={a}"));
        }
        if !self.categories.is_empty() {
            parts.push(format!("cat=[{}]", self.categories.join(",")));
        }
        if let Some(d) = &self.data {
            parts.push(format!("dat={}", safe_uri(d)));
        }
        if let Some(t) = &self.mime {
            parts.push(format!("typ={t}"));
        }
        if flags != 0 {
            parts.push(format!("flg=0x{flags:x}"));
        }
        if let Some(p) = &self.package {
            parts.push(format!("pkg={p}"));
        }
        if let Some(c) = cmp.or(self.component.as_deref()) {
            parts.push(format!("cmp={c}"));
        }
        if self.extras {
            parts.push("(has extras)".into());
        }
        parts.join(" ")
    }

    /// `Intent.toString()`: `Intent { … }` with the flags it has.
    pub fn display(&self, flags: u32) -> String {
        format!("Intent {{ {} }}", self.short_string(flags, None))
    }
}

/// `Integer.decode`-style: `0x10000000` or decimal.
fn parse_int(s: &str) -> Option<u32> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u32::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

/// `Uri.toSafeString`: what logs show of a URI. The phone-number-like
/// schemes keep only `-`, `@` and `.` (the rest become `x`); http, https,
/// ftp and rtsp keep scheme, host and port, the path becoming `/...`;
/// any other keeps its scheme-specific part, never the fragment.
pub fn safe_uri(uri: &str) -> String {
    let Some((scheme, rest)) = uri.split_once(':') else {
        return uri.split('#').next().unwrap_or_default().to_string();
    };
    let ssp = rest.split('#').next().unwrap_or_default();
    let lower = scheme.to_ascii_lowercase();
    if ["tel", "sip", "sms", "smsto", "mailto", "nfc"].contains(&lower.as_str()) {
        let masked: String = ssp
            .chars()
            .map(|c| if matches!(c, '-' | '@' | '.') { c } else { 'x' })
            .collect();
        return format!("{scheme}:{masked}");
    }
    if ["http", "https", "ftp", "rtsp"].contains(&lower.as_str()) {
        // `Uri.getHost` and `getPort`: the authority after `//`, without
        // the user info; the port is the digits after its last colon.
        let authority = ssp
            .strip_prefix("//")
            .map(|a| a.split(['/', '\\', '?', '#']).next().unwrap_or_default())
            .unwrap_or_default();
        let host_port = authority.rsplit('@').next().unwrap_or_default();
        let digits = host_port.len()
            - host_port
                .bytes()
                .rev()
                .take_while(u8::is_ascii_digit)
                .count();
        let (host, port) = match host_port[..digits].strip_suffix(':') {
            Some(h) => (
                h,
                host_port[digits..]
                    .parse::<i32>()
                    .map_or(String::new(), |n| format!(":{n}")),
            ),
            None => (host_port, String::new()),
        };
        return format!("{scheme}://{host}{port}/...");
    }
    format!("{scheme}:{ssp}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn am_start_arguments() {
        let i = Intent::parse(&[
            "-W",
            "-a",
            "android.intent.action.VIEW",
            "-d",
            "https://example.com/privacy?x=1",
            "com.example.tidynotes",
        ]);
        assert!(i.wait);
        assert_eq!(i.package.as_deref(), Some("com.example.tidynotes"));
        assert_eq!(
            i.display(0),
            "Intent { act=android.intent.action.VIEW dat=https://example.com/... pkg=com.example.tidynotes }"
        );
        assert_eq!(
            i.short_string(
                FLAG_ACTIVITY_NEW_TASK,
                Some("com.example.tidynotes/.MainActivity")
            ),
            "act=android.intent.action.VIEW dat=https://example.com/... flg=0x10000000 pkg=com.example.tidynotes cmp=com.example.tidynotes/.MainActivity"
        );
        let i = Intent::parse(&["-W", "-n", "com.x/.Main", "--es", "k", "v w"]);
        assert_eq!(i.component.as_deref(), Some("com.x/.Main"));
        assert_eq!(i.display(0), "Intent { cmp=com.x/.Main (has extras) }");
        let i = Intent::parse(&["-f", "0x10", "--user", "0", "com.x/.Main"]);
        assert_eq!(i.display(i.flags), "Intent { flg=0x10 cmp=com.x/.Main }");
    }

    #[test]
    fn data_is_shown_as_to_safe_string_shows_it() {
        assert_eq!(
            safe_uri("https://example.com/privacy"),
            "https://example.com/..."
        );
        assert_eq!(safe_uri("https://example.com"), "https://example.com/...");
        assert_eq!(
            safe_uri("http://user@10.0.2.2:8686/payload.yml"),
            "http://10.0.2.2:8686/..."
        );
        assert_eq!(safe_uri("tel:+1-555-0100"), "tel:xx-xxx-xxxx");
        assert_eq!(safe_uri("package:com.x"), "package:com.x");
        assert_eq!(safe_uri("tidynotes://note/1#top"), "tidynotes://note/1");
    }
}
