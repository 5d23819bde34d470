//! `consentry emulator list|start|stop`: the SDK's AVDs and the instances
//! running, booting instances for `consentry run` by hand (they keep
//! running after the command), and stopping them. The AVD flags
//! ([`AvdArgs`]) are shared with `batch --avd`, which boots its own
//! instances and stops them at the end (docs/emulators.md).
//!
//! Exit codes: 0 done; 2 bad flags, no SDK, an unknown AVD, no
//! acceleration, a boot that failed or timed out, or an instance not
//! found; 130 interrupted while booting (what booted is stopped).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};

use super::batch::parse_duration;
use crate::device::{AdbServer, ServerAddr, Timeouts};
use crate::emulator::sdk::is_safe_name;
use crate::emulator::{EmulatorError, Instance, Sdk, Spec, instance, state};
use crate::exit::Exit;

/// Which AVD to boot, and how.
#[derive(Debug, Clone, Args)]
pub struct AvdArgs {
    /// The AVD to boot (`consentry emulator list` shows them).
    #[arg(long, value_name = "NAME")]
    pub avd: Option<String>,
    /// The Android SDK (default: ANDROID_HOME, else ANDROID_SDK_ROOT).
    #[arg(long, value_name = "DIR")]
    pub sdk: Option<PathBuf>,
    /// A snapshot of the AVD to boot from and to load before each app;
    /// without one, each run's clean install resets the app.
    #[arg(long, value_name = "NAME", requires = "avd")]
    pub snapshot: Option<String>,
    /// How long an instance may take to boot (`sys.boot_completed` and a
    /// package manager that answers).
    #[arg(long, default_value = "5m", value_parser = parse_duration, value_name = "DURATION")]
    pub boot_timeout: Duration,
    /// The first console port to try (even, 5554 to 5682; the serial is
    /// `emulator-PORT`).
    #[arg(long, default_value_t = instance::FIRST_PORT, value_name = "PORT")]
    pub emulator_port: u16,
    /// Boot even when the emulator says hardware acceleration is not usable.
    #[arg(long)]
    pub no_accel_check: bool,
}

impl AvdArgs {
    /// Checks the names, finds the SDK, the AVD and acceleration, and
    /// builds the spec of its instances.
    pub(super) async fn spec(
        &self,
        adb: AdbServer,
        timeouts: Timeouts,
        work: PathBuf,
        capture: bool,
    ) -> Result<Spec, EmulatorError> {
        let avd = self.avd.clone().unwrap_or_default();
        if !is_safe_name(&avd) {
            return Err(EmulatorError::BadName {
                what: "AVD",
                name: avd,
            });
        }
        if let Some(s) = &self.snapshot {
            if !is_safe_name(s) {
                return Err(EmulatorError::BadName {
                    what: "snapshot",
                    name: s.clone(),
                });
            }
        }
        let sdk = Sdk::find(self.sdk.as_deref())?;
        let avds = sdk.list_avds().await?;
        if !avds.contains(&avd) {
            return Err(EmulatorError::UnknownAvd {
                avd,
                known: if avds.is_empty() {
                    "none; create one with avdmanager".into()
                } else {
                    avds.join(", ")
                },
            });
        }
        if !self.no_accel_check {
            let accel = sdk.accel().await?;
            if !accel.usable {
                return Err(EmulatorError::NoAccel(format!(
                    "{} (--no-accel-check boots anyway)",
                    accel.detail
                )));
            }
        }
        if !adb.addr().is_local() {
            return Err(EmulatorError::NoSdk(format!(
                "the adb server {} is not on this machine, so emulators started here cannot register with it",
                adb.addr()
            )));
        }
        Ok(Spec {
            sdk,
            avd,
            snapshot: self.snapshot.clone(),
            boot_timeout: self.boot_timeout,
            adb,
            timeouts,
            work,
            capture,
            read_only: false,
        })
    }
}

#[derive(Debug, Clone, Args)]
pub struct EmulatorArgs {
    #[command(subcommand)]
    pub command: EmulatorCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum EmulatorCommand {
    /// The SDK's AVDs, whether acceleration is usable, and the instances running.
    List {
        /// The Android SDK (default: ANDROID_HOME, else ANDROID_SDK_ROOT).
        #[arg(long, value_name = "DIR")]
        sdk: Option<PathBuf>,
    },
    /// Boot instances of an AVD headless and leave them running.
    Start {
        #[command(flatten)]
        avd: AvdArgs,
        /// How many instances.
        #[arg(short = 'n', long, default_value_t = 1, value_name = "N")]
        count: usize,
        /// The adb server the instances register with (host:port).
        #[arg(long, value_name = "HOST:PORT")]
        adb_server: Option<String>,
    },
    /// Stop instances started by consentry (console `kill`, then the processes).
    Stop {
        /// The serials (`emulator-5554`); `--all` stops every one.
        #[arg(value_name = "SERIAL", required_unless_present = "all")]
        serials: Vec<String>,
        #[arg(long)]
        all: bool,
    },
}

pub(super) fn run(args: &EmulatorArgs) -> Exit {
    let rt = match super::runtime("emulator") {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{e}");
            return Exit::Usage;
        }
    };
    rt.block_on(async {
        match &args.command {
            EmulatorCommand::List { sdk } => list(sdk.as_deref()).await,
            EmulatorCommand::Start {
                avd,
                count,
                adb_server,
            } => start(avd, *count, adb_server.as_deref()).await,
            EmulatorCommand::Stop { serials, all } => stop(serials, *all).await,
        }
    })
}

fn state_dir() -> Result<PathBuf, String> {
    state::dir().ok_or_else(|| "neither XDG_STATE_HOME nor HOME is set".to_string())
}

async fn list(sdk: Option<&std::path::Path>) -> Exit {
    match Sdk::find(sdk) {
        Ok(sdk) => {
            println!("SDK: {}", sdk.root.display());
            match sdk.list_avds().await {
                Ok(avds) if avds.is_empty() => println!("AVDs: none (create one with avdmanager)"),
                Ok(avds) => println!("AVDs: {}", avds.join(", ")),
                Err(e) => println!("AVDs: {e}"),
            }
            match sdk.accel().await {
                Ok(a) => println!(
                    "acceleration: {} ({})",
                    if a.usable { "usable" } else { "NOT usable" },
                    a.detail
                ),
                Err(e) => println!("acceleration: {e}"),
            }
        }
        Err(e) => println!("SDK: {e}"),
    }
    let Ok(dir) = state_dir() else {
        println!("running: unknown (no state directory)");
        return Exit::Success;
    };
    let (records, bad) = state::read_all(&dir);
    if records.is_empty() {
        println!("running: none");
    }
    for r in records {
        let alive = if instance::alive(r.pid) {
            "running"
        } else {
            "gone"
        };
        println!(
            "{}  {alive}  avd {}  pid {}  since {}  ({})",
            r.serial, r.avd, r.pid, r.started, r.owner
        );
    }
    for b in bad {
        eprintln!("consentry emulator: unreadable record {b}");
    }
    Exit::Success
}

async fn start(avd: &AvdArgs, count: usize, adb_server: Option<&str>) -> Exit {
    if avd.avd.is_none() {
        eprintln!("consentry emulator start: --avd is required");
        return Exit::Usage;
    }
    if count == 0 {
        eprintln!("consentry emulator start: -n must be at least 1");
        return Exit::Usage;
    }
    let (addr, dir) = match (ServerAddr::from_env(adb_server), state_dir()) {
        (Ok(a), Ok(d)) => (a, d),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("consentry emulator start: {e}");
            return Exit::Usage;
        }
    };
    let spec = match avd
        .spec(
            AdbServer::new(addr),
            Timeouts::default(),
            dir.join("logs"),
            false,
        )
        .await
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!("consentry emulator start: {e}");
            return Exit::Usage;
        }
    };
    let boot = async {
        let mut from = avd.emulator_port;
        let mut booted = Vec::new();
        for _ in 0..count {
            let port = instance::free_port(from, &[]).ok_or(EmulatorError::NoPort(from))?;
            from = port + 2;
            let inst = Instance::boot(&spec, port, false).await?;
            let r = state::Record {
                serial: inst.serial.clone(),
                avd: spec.avd.clone(),
                console_port: inst.console_port,
                pid: inst.pid,
                started: crate::engine::now_rfc3339(),
                owner: "consentry emulator start".into(),
                log: inst.log.display().to_string(),
            };
            state::write(&dir, &r)?;
            println!("{}", inst.serial);
            booted.push(r);
        }
        Ok::<_, EmulatorError>(booted)
    };
    tokio::select! {
        r = boot => match r {
            Ok(_) => Exit::Success,
            Err(e) => {
                eprintln!("consentry emulator start: {e}");
                Exit::Usage
            }
        },
        _ = tokio::signal::ctrl_c() => {
            // The instance booting is killed as its handle is dropped; the
            // ones already booted were asked for and are left running.
            eprintln!("consentry emulator start: interrupted; `consentry emulator stop --all` stops what booted");
            Exit::Interrupted
        }
    }
}

async fn stop(serials: &[String], all: bool) -> Exit {
    let dir = match state_dir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("consentry emulator stop: {e}");
            return Exit::Usage;
        }
    };
    let (records, _) = state::read_all(&dir);
    let mut code = Exit::Success;
    for s in serials {
        if !records.iter().any(|r| &r.serial == s) {
            let known: Vec<&str> = records.iter().map(|r| r.serial.as_str()).collect();
            eprintln!(
                "consentry emulator stop: {s} was not started by consentry (running: {})",
                if known.is_empty() {
                    "none".into()
                } else {
                    known.join(", ")
                }
            );
            code = Exit::Usage;
        }
    }
    let chosen: Vec<state::Record> = records
        .into_iter()
        .filter(|r| all || serials.contains(&r.serial))
        .collect();
    let mut stopping = tokio::task::JoinSet::new();
    for r in chosen {
        let dir = dir.clone();
        stopping.spawn(async move {
            if instance::alive(r.pid) {
                instance::stop_pid(r.console_port, r.pid, Duration::from_secs(10)).await;
                println!("{} stopped", r.serial);
            } else {
                println!("{} had already ended", r.serial);
            }
            state::remove(&dir, &r.serial);
        });
    }
    while stopping.join_next().await.is_some() {}
    code
}
