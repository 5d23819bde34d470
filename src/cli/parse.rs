//! `consentry parse KIND FILE [--summary]`: prints what the tool sees in a
//! captured Android output, as JSON, for users debugging a verdict.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde_json::{Value, json};

use crate::android;
use crate::exit::Exit;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// `logcat` in any `-v` format.
    Logcat,
    /// `dumpsys appops` or `cmd appops get`.
    Appops,
    /// `dumpsys package PKG`.
    Package,
    /// `dumpsys activity activities` and/or `dumpsys window`.
    Focus,
    /// `dumpsys activity exit-info`.
    ExitInfo,
    /// `uiautomator dump` XML.
    Uiautomator,
    /// `getprop`.
    Getprop,
    /// `pm list packages` (any flags).
    Packages,
    /// `wm size`.
    WmSize,
}

#[derive(Debug, Clone, Args)]
pub struct ParseArgs {
    /// What the file holds.
    #[arg(value_enum)]
    pub kind: Kind,
    /// The captured output (`-` for stdin).
    pub file: PathBuf,
    /// Print counts instead of every record.
    #[arg(long)]
    pub summary: bool,
}

fn read(path: &PathBuf) -> std::io::Result<String> {
    if path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())
    } else {
        let bytes = std::fs::read(path)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

fn to_value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// A logcat summary read line by line, keeping only the few entries the
/// parser looks back at: memory stays flat however long the log.
fn logcat_summary(path: &PathBuf) -> std::io::Result<android::logcat::Summary> {
    use std::io::BufRead;
    let mut reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        Box::new(std::io::BufReader::new(std::fs::File::open(path)?))
    };
    let mut parser = android::logcat::Parser::new();
    let mut recent = std::collections::VecDeque::new();
    let mut bytes = Vec::new();
    loop {
        bytes.clear();
        if reader.read_until(b'\n', &mut bytes)? == 0 {
            break;
        }
        parser.feed(&String::from_utf8_lossy(&bytes), &mut recent);
        // A crash's `Process:` line looks back four entries; a continuation
        // line, one.
        while recent.len() > 8 {
            recent.pop_front();
        }
    }
    Ok(parser.summary().clone())
}

pub(crate) fn run(args: &ParseArgs) -> Exit {
    if args.kind == Kind::Logcat && args.summary {
        return match logcat_summary(&args.file) {
            Ok(s) => {
                super::print_stdout(&format!(
                    "{}\n",
                    serde_json::to_string_pretty(&s).unwrap_or_default()
                ));
                Exit::Success
            }
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", args.file.display());
                Exit::Usage
            }
        };
    }
    let text = match read(&args.file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", args.file.display());
            return Exit::Usage;
        }
    };
    let (full, summary) = match args.kind {
        Kind::Logcat => {
            let log = android::logcat::parse(&text);
            (to_value(&log.entries), to_value(&log.summary))
        }
        Kind::Appops => {
            let o = android::appops::parse(&text);
            let count = |k| o.accesses.iter().filter(|a| a.kind == k).count();
            let s = json!({
                "modes": o.modes.len(),
                "accesses": count(android::appops::AccessKind::Access),
                "rejects": count(android::appops::AccessKind::Reject),
                "running": count(android::appops::AccessKind::Running),
                "background": o.accesses.iter().filter(|a| a.in_background()).count(),
                "unknown": o.unknown,
            });
            (to_value(&o), s)
        }
        Kind::Package => {
            let d = android::package::parse(&text);
            let s = json!({
                "packages": d.packages.iter().map(|p| json!({
                    "name": p.name, "uid": p.uid, "requested": p.requested.len(),
                    "install": p.install.len(),
                    "runtime": p.users.iter().map(|u| u.runtime.len()).sum::<usize>() + p.runtime.len(),
                })).collect::<Vec<_>>(),
                "unknown": d.unknown,
            });
            (to_value(&d), s)
        }
        Kind::Focus => {
            let f = android::focus::parse(&text);
            let s = json!({
                "resumed": f.resumed.len(), "focusedWindows": f.focused_windows.len(),
                "foregroundPackage": f.foreground_package(),
            });
            (to_value(&f), s)
        }
        Kind::ExitInfo => {
            let e = android::exit_info::parse(&text);
            let s = json!({ "records": e.records.len(), "appInitiated": e.records.iter().filter(|r| r.app_initiated()).count() });
            (to_value(&e), s)
        }
        Kind::Uiautomator => match android::uiautomator::parse(&text) {
            Ok(t) => {
                let nodes = t.nodes();
                let s = json!({
                    "windows": t.windows.len(), "nodes": nodes.len(),
                    "clickable": nodes.iter().filter(|n| n.clickable).count(), "unknown": t.unknown,
                });
                (to_value(&t), s)
            }
            Err(e) => {
                eprintln!("error: {}: {e}", args.file.display());
                return Exit::Usage;
            }
        },
        Kind::Getprop => {
            let p = android::props::parse_getprop(&text);
            let s = json!({ "properties": p.values.len(), "sdk": p.sdk(), "emulator": p.is_emulator(), "unknown": p.unknown });
            (to_value(&p), s)
        }
        Kind::Packages => {
            let l = android::props::parse_package_list(&text);
            let s = json!({ "packages": l.packages.len(), "unknown": l.unknown });
            (to_value(&l), s)
        }
        Kind::WmSize => {
            let Some(size) = android::props::parse_wm_size(&text) else {
                eprintln!("error: {}: no `Physical size:` line", args.file.display());
                return Exit::Usage;
            };
            (to_value(&size), to_value(&size))
        }
    };
    let out = if args.summary { summary } else { full };
    super::print_stdout(&format!(
        "{}\n",
        serde_json::to_string_pretty(&out).unwrap_or_default()
    ));
    Exit::Success
}
