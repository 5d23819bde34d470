//! `consentry inspect [DUMP.xml [SCREENSHOT.png]] [--device SERIAL]`: what
//! a screen shows, as [`crate::screen`] reads it, for a saved dump or for
//! a device's current screen. Human-readable by default, `--json` for
//! tools. Exits 0 when the screen was read, 2 on bad input or when the
//! device cannot be reached.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;

use super::print_stdout;
use crate::android::uiautomator::{self, UiTree};
use crate::device::{AdbDevice, AdbServer, Device, ServerAddr, Timeouts};
use crate::exit::Exit;
use crate::screen::{self, Wording};

#[derive(Debug, Clone, Args)]
pub struct InspectArgs {
    /// A saved `uiautomator dump` (`-` reads stdin); without it, the
    /// device's current screen.
    #[arg(value_name = "DUMP.xml")]
    pub dump: Option<PathBuf>,
    /// The screenshot taken with the dump (PNG).
    #[arg(value_name = "SCREENSHOT.png", requires = "dump")]
    pub screenshot: Option<PathBuf>,
    /// The device to read (default: ANDROID_SERIAL, else the only one online).
    #[arg(long, value_name = "SERIAL", conflicts_with = "dump")]
    pub device: Option<String>,
    /// The adb server (host:port); default from ADB_SERVER_SOCKET or
    /// ANDROID_ADB_SERVER_PORT, else 127.0.0.1:5037.
    #[arg(long, value_name = "HOST:PORT", conflicts_with = "dump")]
    pub adb_server: Option<String>,
    /// Print JSON (a stable interface: docs/inspect.md) instead of text.
    #[arg(long)]
    pub json: bool,
    /// A wording file that adds to (or replaces) the built-in words.
    #[arg(long, value_name = "FILE")]
    pub wording: Option<PathBuf>,
    /// Seconds allowed for the device's dump and screenshot.
    #[arg(long, default_value_t = 30, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=600))]
    pub timeout: u64,
}

pub(super) fn run(args: &InspectArgs) -> Exit {
    let wording = match &args.wording {
        Some(path) => match Wording::with_file(path) {
            Ok(w) => w,
            Err(e) => {
                eprintln!("consentry inspect: {e}");
                return Exit::Usage;
            }
        },
        None => Wording::builtin(),
    };
    let read = match &args.dump {
        Some(path) => from_files(path, args.screenshot.as_deref()),
        None => from_device(args),
    };
    let (tree, shot) = match read {
        Ok(r) => r,
        Err(e) => {
            eprintln!("consentry inspect: {e}");
            return Exit::Usage;
        }
    };
    let u = screen::understand(&tree, shot.as_ref(), &wording);
    if args.json {
        match serde_json::to_string_pretty(&u) {
            Ok(s) => print_stdout(&format!("{s}\n")),
            Err(e) => {
                eprintln!("consentry inspect: cannot write JSON: {e}");
                return Exit::Usage;
            }
        }
    } else {
        print_stdout(&u.to_text());
    }
    Exit::Success
}

type Read = (UiTree, Option<image::RgbaImage>);

fn from_files(dump: &Path, screenshot: Option<&Path>) -> Result<Read, String> {
    let xml = if dump.as_os_str() == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| format!("stdin: cannot read the dump: {e}"))?;
        s
    } else {
        std::fs::read_to_string(dump)
            .map_err(|e| format!("{}: cannot read: {e}", dump.display()))?
    };
    let tree = uiautomator::parse(&xml).map_err(|e| format!("{}: {e}", dump.display()))?;
    let shot = match screenshot {
        Some(p) => Some(
            crate::vision::load_image(p)
                .map_err(|e| format!("{}: {e}", p.display()))?
                .to_rgba8(),
        ),
        None => None,
    };
    Ok((tree, shot))
}

fn from_device(args: &InspectArgs) -> Result<Read, String> {
    let addr = ServerAddr::from_env(args.adb_server.as_deref()).map_err(|e| e.clone())?;
    let limit = Duration::from_secs(args.timeout);
    let timeouts = Timeouts {
        ui_dump: limit,
        shell: limit,
        ..Timeouts::default()
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    rt.block_on(async {
        let device =
            AdbDevice::select_from_env(AdbServer::new(addr), args.device.as_deref(), timeouts)
                .await
                .map_err(|e| e.to_string())?;
        let dump = device.ui_tree().await.map_err(|e| e.to_string())?;
        let shot = device.screenshot().await.map_err(|e| e.to_string())?;
        let image = shot.image().map_err(|e| e.to_string())?;
        Ok((dump.tree, Some(image)))
    })
}
