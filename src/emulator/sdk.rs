//! Finding the Android SDK's emulator, the AVDs it can boot, and whether
//! hardware acceleration is usable. The parsers of the emulator's output
//! are pure; [`Sdk::list_avds`] and [`Sdk::accel`] run the emulator
//! binary, each within a time limit.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::EmulatorError;

/// How long `-list-avds` and `-accel-check` may take.
const QUERY_LIMIT: Duration = Duration::from_secs(30);

/// An Android SDK with its emulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sdk {
    pub root: PathBuf,
    /// `ROOT/emulator/emulator`.
    pub emulator: PathBuf,
}

/// Whether the emulator can use hardware acceleration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accel {
    pub usable: bool,
    /// What the emulator (or the `/dev/kvm` check) said.
    pub detail: String,
}

impl Sdk {
    /// The SDK at `explicit` (`--sdk`), else `ANDROID_HOME`, else
    /// `ANDROID_SDK_ROOT`. The error lists every place looked at.
    pub fn find(explicit: Option<&Path>) -> Result<Self, EmulatorError> {
        let env = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let candidates: Vec<(String, PathBuf)> = match explicit {
            Some(p) => vec![("--sdk".into(), p.to_path_buf())],
            None => [
                ("ANDROID_HOME", env("ANDROID_HOME")),
                ("ANDROID_SDK_ROOT", env("ANDROID_SDK_ROOT")),
            ]
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k.to_string(), v)))
            .collect(),
        };
        if candidates.is_empty() {
            return Err(EmulatorError::NoSdk(
                "neither ANDROID_HOME nor ANDROID_SDK_ROOT is set; pass --sdk DIR".into(),
            ));
        }
        let mut tried = Vec::new();
        for (from, root) in candidates {
            let emulator = root.join("emulator").join("emulator");
            if emulator.is_file() {
                return Ok(Self { root, emulator });
            }
            tried.push(format!(
                "{} ({from}) has no emulator/emulator",
                root.display()
            ));
        }
        Err(EmulatorError::NoSdk(format!(
            "{}; install it with `sdkmanager emulator`",
            tried.join("; ")
        )))
    }

    /// `emulator -list-avds`.
    pub async fn list_avds(&self) -> Result<Vec<String>, EmulatorError> {
        let out = self.query(&["-list-avds"]).await?;
        if !out.status.success() {
            return Err(EmulatorError::Query {
                what: "-list-avds".into(),
                detail: failure_text(&out),
            });
        }
        Ok(parse_avd_list(&String::from_utf8_lossy(&out.stdout)))
    }

    /// `emulator -accel-check`; where it cannot tell (it does not run or
    /// prints something else), whether `/dev/kvm` exists.
    pub async fn accel(&self) -> Result<Accel, EmulatorError> {
        let kvm = || Accel {
            usable: Path::new("/dev/kvm").exists(),
            detail: if Path::new("/dev/kvm").exists() {
                "/dev/kvm exists".into()
            } else {
                "/dev/kvm does not exist: KVM is not loaded or not passed to this machine".into()
            },
        };
        match self.query(&["-accel-check"]).await {
            Ok(out) => {
                let text = String::from_utf8_lossy(&out.stdout);
                if text.contains("accel") {
                    Ok(parse_accel_check(&text, out.status.success()))
                } else {
                    Ok(kvm())
                }
            }
            Err(EmulatorError::Spawn { .. } | EmulatorError::Query { .. })
                if cfg!(target_os = "linux") =>
            {
                Ok(kvm())
            }
            Err(e) => Err(e),
        }
    }

    async fn query(&self, args: &[&str]) -> Result<std::process::Output, EmulatorError> {
        let run = tokio::process::Command::new(&self.emulator)
            .args(args)
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true)
            .output();
        match tokio::time::timeout(QUERY_LIMIT, run).await {
            Ok(Ok(out)) => Ok(out),
            Ok(Err(e)) => Err(EmulatorError::Spawn {
                program: self.emulator.clone(),
                source: e,
            }),
            Err(_) => Err(EmulatorError::Query {
                what: args.join(" "),
                detail: format!("no answer within {} s", QUERY_LIMIT.as_secs()),
            }),
        }
    }
}

/// The emulator's stderr, else its stdout, trimmed, for an error.
fn failure_text(out: &std::process::Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr);
    let text = if err.trim().is_empty() {
        String::from_utf8_lossy(&out.stdout).into_owned()
    } else {
        err.into_owned()
    };
    format!("{} ({})", text.trim(), out.status)
}

/// The AVD names `-list-avds` prints: one per line. Newer emulators also
/// print `INFO    |` lines about themselves on stdout; those are not AVDs.
pub fn parse_avd_list(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.contains('|') && !l.contains(' '))
        .map(str::to_string)
        .collect()
}

/// `-accel-check` prints `accel:`, a status number (0: usable), a
/// sentence, and `accel`; the exit status says the same.
pub fn parse_accel_check(text: &str, exit_ok: bool) -> Accel {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && *l != "accel:" && *l != "accel")
        .collect();
    let code = lines.first().and_then(|l| l.parse::<i32>().ok());
    let detail = lines
        .iter()
        .skip(usize::from(code.is_some()))
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    Accel {
        usable: code.map_or(exit_ok, |c| c == 0) && exit_ok,
        detail: if detail.is_empty() {
            "the emulator said nothing about acceleration".into()
        } else {
            detail
        },
    }
}

/// Whether `name` may name an AVD or a snapshot: what the SDK's tools
/// allow (letters, digits, `.`, `_`, `-`), so that it can never carry a
/// space or a line break into a command line or the console.
pub fn is_safe_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avd_list_keeps_names_only() {
        let text = "INFO    | Storing crashdata in: /tmp/x\nPixel_7_API_34\n\nsmall-30\n";
        assert_eq!(parse_avd_list(text), vec!["Pixel_7_API_34", "small-30"]);
    }

    #[test]
    fn accel_check_reads_the_status() {
        let ok = parse_accel_check(
            "accel:\n0\nKVM (version 12) is installed and usable.\naccel\n",
            true,
        );
        assert!(ok.usable);
        assert_eq!(ok.detail, "KVM (version 12) is installed and usable.");
        let no = parse_accel_check(
            "accel:\n8\n/dev/kvm is not found: VT disabled in BIOS or KVM kernel module not loaded\naccel\n",
            false,
        );
        assert!(!no.usable);
        assert!(
            no.detail.starts_with("/dev/kvm is not found"),
            "{}",
            no.detail
        );
    }

    #[test]
    fn names_with_spaces_or_breaks_are_refused() {
        assert!(is_safe_name("Pixel_7_API-34.v2"));
        for bad in ["", "a b", "a\nkill", "../x", "a;b"] {
            assert!(!is_safe_name(bad), "{bad:?}");
        }
    }
}
