//! Runs simulated devices: loads the fixture apps, boots one
//! [`SimDevice`] per device, serves each on its own port with the adbd
//! protocol, and answers `simctl` on a control port. Used by
//! `consentry sim`, by the demo and by the end-to-end tests.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use super::adbd::{AuthMode, DeviceServer};
use super::ctl::{self, CtlCommand, Target};
use super::os::{AppModel, DeviceConfig, Latency, ModelError, Release, SimDevice};

/// How to run the simulator.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Folder of fixture app models (`*.yaml`), installed at boot.
    pub apps: PathBuf,
    /// Port of the first device; the next ones use every second port, so
    /// that ports in 5555..=5585 show as `emulator-NNNN`. 0 picks free ports.
    pub port: u16,
    pub devices: u16,
    /// The Android release every device behaves as.
    pub android: Release,
    pub latency: Latency,
    pub auth: AuthMode,
    pub seed: u64,
    /// Simulated seconds per real second.
    pub time_scale: f64,
    /// Where `simctl` listens; port 0 picks a free one.
    pub control: SocketAddr,
}

impl Default for SimOptions {
    fn default() -> Self {
        Self {
            apps: PathBuf::from("fixtures/apps"),
            port: 0,
            devices: 1,
            android: Release::default(),
            latency: Latency::None,
            auth: AuthMode::Accept,
            seed: 1,
            time_scale: 1.0,
            control: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error(transparent)]
    Apps(#[from] ModelError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("too many devices: port {0} and up run past 65535")]
    Ports(u32),
}

/// One running device.
pub struct SimHandle {
    pub serial: String,
    pub server: DeviceServer,
    pub device: Arc<SimDevice>,
}

/// The running simulator; dropping it stops every device.
pub struct RunningSim {
    pub devices: Arc<Vec<SimHandle>>,
    pub control_addr: SocketAddr,
    control_task: tokio::task::JoinHandle<()>,
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        self.control_task.abort();
    }
}

struct Devices(Arc<Vec<SimHandle>>);

impl Devices {
    fn find(&self, serial: &str) -> Result<&SimHandle, String> {
        self.0.iter().find(|d| d.serial == serial).ok_or_else(|| {
            let known: Vec<&str> = self.0.iter().map(|d| d.serial.as_str()).collect();
            format!(
                "no device `{serial}` (this simulator serves {})",
                known.join(", ")
            )
        })
    }
}

impl Target for Devices {
    fn apply(&self, command: CtlCommand) -> Result<String, String> {
        match command {
            CtlCommand::List => Ok(self
                .0
                .iter()
                .map(|d| {
                    let c = &d.server.control;
                    let state = match (c.is_online(), c.authorized()) {
                        (false, _) => "offline",
                        (true, false) => "unauthorized",
                        (true, true) => "device",
                    };
                    format!(
                        "{} {} {state} commands={}",
                        d.serial,
                        d.server.addr,
                        c.commands_seen()
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")),
            CtlCommand::Online { serial, online } => {
                self.find(&serial)?.server.control.set_online(online);
                Ok(String::new())
            }
            CtlCommand::Authorize { serial, yes } => {
                let c = &self.find(&serial)?.server.control;
                c.set_authorized(yes);
                if yes && !c.authorized() {
                    return Err(format!(
                        "{serial} runs with --auth reject and never authorises"
                    ));
                }
                Ok(String::new())
            }
            CtlCommand::Drop { serial, after } => {
                let c = &self.find(&serial)?.server.control;
                match after {
                    Some(n) => c.drop_after_commands(Some(n)),
                    None => c.drop_connections(),
                }
                Ok(String::new())
            }
            CtlCommand::Stall { serial, prefix } => {
                self.find(&serial)?.device.set_stall(prefix);
                Ok(String::new())
            }
            CtlCommand::DumpFailure { serial, rate } => {
                self.find(&serial)?
                    .device
                    .set_uiautomator_failure_rate(rate);
                Ok(String::new())
            }
        }
    }
}

/// Boots the devices and the control port.
pub async fn start(opts: &SimOptions) -> Result<RunningSim, SimError> {
    let apps = AppModel::load_dir(&opts.apps)?;
    let mut handles = Vec::new();
    let host = IpAddr::V4(Ipv4Addr::LOCALHOST);
    for i in 0..opts.devices {
        let port = if opts.port == 0 {
            0
        } else {
            let p = u32::from(opts.port) + 2 * u32::from(i);
            u16::try_from(p).map_err(|_| SimError::Ports(p))?
        };
        let addr = SocketAddr::new(host, port);
        // The serial depends on the port: bind before the device boots.
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| SimError::Bind { addr, source })?;
        let bound = listener
            .local_addr()
            .map_err(|source| SimError::Bind { addr, source })?;
        let serial = super::adbd::serial_for(bound);
        let config = DeviceConfig {
            serial: serial.clone(),
            latency: opts.latency,
            seed: opts.seed.wrapping_add(u64::from(i)),
            time_scale: opts.time_scale,
            ..DeviceConfig::for_release(opts.android)
        };
        let device = SimDevice::new(config, apps.clone());
        let server =
            DeviceServer::start_on(listener, device.clone(), opts.auth).map_err(|source| {
                SimError::Bind {
                    addr: bound,
                    source,
                }
            })?;
        handles.push(SimHandle {
            serial,
            server,
            device,
        });
    }
    let devices = Arc::new(handles);
    let listener = tokio::net::TcpListener::bind(opts.control)
        .await
        .map_err(|source| SimError::Bind {
            addr: opts.control,
            source,
        })?;
    let control_addr = listener.local_addr().map_err(|source| SimError::Bind {
        addr: opts.control,
        source,
    })?;
    let target: Arc<dyn Target> = Arc::new(Devices(Arc::clone(&devices)));
    let control_task = tokio::spawn(ctl::serve(listener, target));
    Ok(RunningSim {
        devices,
        control_addr,
        control_task,
    })
}
