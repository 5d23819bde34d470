//! `consentry sim` (serve simulated devices until killed) and
//! `consentry simctl` (fault injection on a running simulator).

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::exit::Exit;
use crate::sim::adbd::AuthMode;
use crate::sim::os::{Latency, Release};
use crate::sim::runner::{self, SimOptions};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum LatencyArg {
    /// As fast as possible.
    #[default]
    None,
    /// Typical real costs: ~2 s per uiautomator dump, 150 ms per screencap,
    /// 300-800 ms per activity start, animations after taps.
    Realistic,
}

/// The Android release the simulated devices behave as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum AndroidArg {
    /// Android 9 (API 28): packageinstaller dialog, old appops dump, no exit-info.
    #[value(name = "9")]
    Android9,
    /// Android 11 (API 30): permission controller with one-time grants.
    #[value(name = "11")]
    Android11,
    /// Android 14 (API 34).
    #[default]
    #[value(name = "14")]
    Android14,
}

impl From<AndroidArg> for Release {
    fn from(a: AndroidArg) -> Self {
        match a {
            AndroidArg::Android9 => Release::Android9,
            AndroidArg::Android11 => Release::Android11,
            AndroidArg::Android14 => Release::Android14,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct SimArgs {
    /// Folder of fixture app models installed at boot.
    #[arg(long, default_value = "fixtures/apps", value_name = "DIR")]
    pub apps: PathBuf,
    /// Port of the first device (5555 shows as emulator-5554); more
    /// devices take every second port after it. 0 picks free ports.
    #[arg(long, default_value_t = 5555)]
    pub port: u16,
    /// How many devices to serve.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=16))]
    pub devices: u16,
    /// The Android release the devices behave as (dialogs, logcat, dumps).
    #[arg(long, value_enum, default_value_t, value_name = "VERSION")]
    pub android: AndroidArg,
    #[arg(long, value_enum, default_value_t)]
    pub latency: LatencyArg,
    /// How the devices answer an adb server's authorisation.
    #[arg(long, value_enum, default_value_t)]
    pub auth: AuthMode,
    /// Seed for everything random (latencies, pids, failures).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Simulated seconds per real second (timers in apps run faster).
    #[arg(long, default_value_t = 1.0)]
    pub time_scale: f64,
    /// Where `consentry simctl` connects.
    #[arg(long, default_value = "127.0.0.1:15555", value_name = "ADDR")]
    pub control: SocketAddr,
}

#[derive(Debug, Clone, Args)]
pub struct SimctlArgs {
    /// The simulator's control address (`consentry sim --control`).
    #[arg(long, default_value = "127.0.0.1:15555", value_name = "ADDR")]
    pub control: SocketAddr,
    /// The command: list | offline SERIAL | online SERIAL | authorize SERIAL yes|no |
    /// drop SERIAL [after N] | stall SERIAL PREFIX|off | dump-failure SERIAL RATE
    #[arg(required = true, trailing_var_arg = true)]
    pub command: Vec<String>,
}

fn runtime() -> Result<tokio::runtime::Runtime, Exit> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("error: cannot start the async runtime: {e}");
            Exit::Usage
        })
}

pub(crate) fn run(args: &SimArgs) -> Exit {
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => return e,
    };
    let opts = SimOptions {
        apps: args.apps.clone(),
        port: args.port,
        devices: args.devices,
        android: args.android.into(),
        latency: match args.latency {
            LatencyArg::None => Latency::None,
            LatencyArg::Realistic => Latency::Realistic,
        },
        auth: args.auth,
        seed: args.seed,
        time_scale: args.time_scale,
        control: args.control,
    };
    rt.block_on(async {
        let sim = match runner::start(&opts).await {
            Ok(sim) => sim,
            Err(e) => {
                eprintln!("error: {e}");
                return Exit::Usage;
            }
        };
        let mut out = String::new();
        for d in sim.devices.iter() {
            let _ = writeln!(out, "{}\t{}", d.serial, d.server.addr);
        }
        let _ = writeln!(out, "control\t{}", sim.control_addr);
        super::print_stdout(&out);
        tracing::info!(
            "serving {} simulated {} device(s); connect with `adb connect HOST:PORT`",
            sim.devices.len(),
            opts.android
        );
        wait_for_shutdown().await;
        Exit::Success
    })
}

async fn wait_for_shutdown() {
    #[cfg(unix)]
    {
        let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        else {
            let _ = tokio::signal::ctrl_c().await;
            return;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

pub(crate) fn simctl(args: &SimctlArgs) -> Exit {
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => return e,
    };
    let line = args.command.join(" ");
    if let Err(e) = crate::sim::ctl::parse(&line) {
        eprintln!("error: {e}");
        return Exit::Usage;
    }
    match rt.block_on(crate::sim::ctl::send(args.control, &line)) {
        Ok(reply) if reply.starts_with("ok") => {
            super::print_stdout(&format!("{reply}\n"));
            Exit::Success
        }
        Ok(reply) => {
            eprintln!("{reply}");
            Exit::Usage
        }
        Err(e) => {
            eprintln!("error: {e}");
            Exit::Usage
        }
    }
}
