//! `consentry devices`: every device the adb server knows, with its state,
//! model, SDK level and whether the tool can use it. Sends only read-only
//! queries.

use std::fmt::Write as _;
use std::time::Duration;

use clap::Args;

use super::print_stdout;
use crate::device::discover::{DeviceReport, discover};
use crate::device::{AdbServer, ServerAddr, Timeouts};
use crate::exit::Exit;

#[derive(Debug, Clone, Args)]
pub struct DevicesArgs {
    /// The adb server (host:port); default from ADB_SERVER_SOCKET or
    /// ANDROID_ADB_SERVER_PORT, else 127.0.0.1:5037.
    #[arg(long, value_name = "HOST:PORT")]
    pub adb_server: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Seconds allowed for each query to the server or a device.
    #[arg(long, default_value_t = 10, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=600))]
    pub timeout: u64,
}

pub(super) fn run(args: &DevicesArgs) -> Exit {
    let addr = match ServerAddr::from_env(args.adb_server.as_deref()) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("consentry devices: {e}");
            return Exit::Usage;
        }
    };
    let limit = Duration::from_secs(args.timeout);
    let timeouts = Timeouts {
        host: limit,
        shell: limit,
        ..Timeouts::default()
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("consentry devices: cannot start the async runtime: {e}");
            return Exit::Usage;
        }
    };
    let server = AdbServer::new(addr);
    let reports = match rt.block_on(discover(&server, timeouts)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("consentry devices: {e}");
            return Exit::Usage;
        }
    };
    if args.json {
        print_stdout(&(serde_json::to_string_pretty(&reports).unwrap_or_default() + "\n"));
    } else {
        print_stdout(&table(&reports));
    }
    if reports.iter().any(|r| r.usable) {
        Exit::Success
    } else {
        if reports.is_empty() {
            eprintln!(
                "consentry devices: the adb server at {} lists no devices",
                server.addr()
            );
        } else {
            eprintln!("consentry devices: no usable device");
        }
        Exit::Usage
    }
}

fn table(reports: &[DeviceReport]) -> String {
    let rows: Vec<[String; 6]> = reports
        .iter()
        .map(|r| {
            [
                r.serial.clone(),
                r.state.clone(),
                r.model.clone().unwrap_or_else(|| "-".into()),
                match (&r.sdk, &r.release) {
                    (Some(s), Some(rel)) => format!("{s} ({rel})"),
                    (Some(s), None) => s.to_string(),
                    _ => "-".into(),
                },
                if r.emulator { "emulator" } else { "device" }.into(),
                if r.usable {
                    "yes".into()
                } else {
                    format!("no: {}", r.reason.as_deref().unwrap_or("unknown"))
                },
            ]
        })
        .collect();
    let header = ["SERIAL", "STATE", "MODEL", "SDK", "KIND", "USABLE"].map(String::from);
    let mut widths = header.clone().map(|h| h.len());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<w$}  ");
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_and_explains_unusable_devices() {
        let r = |serial: &str, usable: bool| DeviceReport {
            serial: serial.into(),
            state: if usable { "device" } else { "unauthorized" }.into(),
            model: usable.then(|| "sdk_gphone64".into()),
            sdk: usable.then_some(34),
            release: usable.then(|| "14".into()),
            emulator: true,
            screen: None,
            usable,
            reason: (!usable).then(|| "unauthorized: accept the key".into()),
        };
        let t = table(&[r("emulator-5554", true), r("127.0.0.1:40001", false)]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("SERIAL           STATE"), "{t}");
        assert!(
            lines[1].contains("34 (14)") && lines[1].ends_with("yes"),
            "{t}"
        );
        assert!(
            lines[2].ends_with("no: unauthorized: accept the key"),
            "{t}"
        );
        assert_eq!(lines[1].find("device"), lines[0].find("STATE"));
    }
}
