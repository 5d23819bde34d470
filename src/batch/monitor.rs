//! Watching the pool's devices: each adb server is asked for its devices
//! twice a second, and every change of a device's state is published.
//! A device that leaves `device` counts a loss (the app on it is retried
//! elsewhere); one that is back rejoins the pool. A local adb server that
//! stops answering is started again (`adb -P PORT start-server`, as the
//! adb client itself does), and devices reached by address that are gone or
//! stuck offline are connected again every few seconds.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::device::AdbServer;

/// A device of the pool: its server's index and its serial.
pub type DeviceId = (usize, String);

/// What the monitor last saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct States {
    /// `device`, `offline`, ..., `absent` (not listed) or `no server`.
    pub state: BTreeMap<DeviceId, String>,
    /// Times each device left the `device` state.
    pub losses: BTreeMap<DeviceId, u64>,
}

impl States {
    pub fn online(&self, id: &DeviceId) -> bool {
        self.state.get(id).is_some_and(|s| s == "device")
    }

    pub fn losses(&self, id: &DeviceId) -> u64 {
        self.losses.get(id).copied().unwrap_or(0)
    }
}

/// A running monitor; dropping it stops the polling.
#[derive(Debug)]
pub struct Monitor {
    pub rx: watch::Receiver<Arc<States>>,
    task: JoinHandle<()>,
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// How often the servers are asked.
const TICK: Duration = Duration::from_millis(500);
/// How long a host request may take.
const HOST_LIMIT: Duration = Duration::from_secs(3);
/// Between two attempts to restart a server or reconnect a device.
const RETRY: Duration = Duration::from_secs(5);

/// Starts watching `devices` on `servers`; `restart` allows starting a
/// local server again that stopped answering.
pub fn start(servers: Vec<AdbServer>, devices: Vec<DeviceId>, restart: bool) -> Monitor {
    let mut first = States::default();
    for d in &devices {
        first.state.insert(d.clone(), "device".into());
    }
    let (tx, rx) = watch::channel(Arc::new(first));
    let task = tokio::spawn(async move {
        let mut last_restart: BTreeMap<usize, Instant> = BTreeMap::new();
        let mut last_connect: BTreeMap<DeviceId, Instant> = BTreeMap::new();
        let mut down: BTreeMap<usize, u32> = BTreeMap::new();
        loop {
            tokio::time::sleep(TICK).await;
            let mut next = (**tx.borrow()).clone();
            for (i, server) in servers.iter().enumerate() {
                let mine: Vec<&DeviceId> = devices.iter().filter(|d| d.0 == i).collect();
                match server.devices(HOST_LIMIT).await {
                    Ok(list) => {
                        down.remove(&i);
                        for id in &mine {
                            let state = list
                                .iter()
                                .find(|e| e.serial == id.1)
                                .map_or_else(|| "absent".to_string(), |e| e.state.clone());
                            // A device reached by address that the server
                            // forgot (it was restarted) is connected again;
                            // one stuck offline is dropped and connected
                            // afresh (the server's own reconnection gives up
                            // or waits long). Emulators the server finds itself.
                            if state != "device" && id.1.contains(':') && due(&mut last_connect, id)
                            {
                                if state != "absent" {
                                    let _ = server.disconnect_device(&id.1, HOST_LIMIT).await;
                                }
                                let _ = server.connect_device(&id.1, HOST_LIMIT).await;
                            }
                            set(&mut next, id, state);
                        }
                    }
                    Err(e) => {
                        let n = down.entry(i).or_default();
                        *n += 1;
                        for id in &mine {
                            set(&mut next, id, "no server".into());
                        }
                        if restart && *n >= 2 && due(&mut last_restart, &i) {
                            tracing::warn!(
                                "adb server {} does not answer ({}); starting it again",
                                server.addr(),
                                e.kind
                            );
                            start_server(server).await;
                        }
                    }
                }
            }
            if next != **tx.borrow() {
                // Nobody listening means the batch is over.
                if tx.send(Arc::new(next)).is_err() {
                    return;
                }
            }
        }
    });
    Monitor { rx, task }
}

fn set(s: &mut States, id: &DeviceId, state: String) {
    let was_online = s.online(id);
    if was_online && state != "device" {
        *s.losses.entry(id.clone()).or_default() += 1;
    }
    s.state.insert(id.clone(), state);
}

/// Whether `key`'s last try is at least [`RETRY`] ago (and marks a try).
fn due<K: Ord + Clone>(last: &mut BTreeMap<K, Instant>, key: &K) -> bool {
    let now = Instant::now();
    match last.get(key) {
        Some(t) if now.duration_since(*t) < RETRY => false,
        _ => {
            last.insert(key.clone(), now);
            true
        }
    }
}

/// `adb -P PORT start-server` for a server on this host, bounded in time.
async fn start_server(server: &AdbServer) {
    let addr = server.addr();
    let local = matches!(addr.host.as_str(), "127.0.0.1" | "localhost" | "::1");
    if !local {
        return;
    }
    let run = tokio::process::Command::new("adb")
        .args(["-P", &addr.port.to_string(), "start-server"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .status();
    match tokio::time::timeout(Duration::from_secs(20), run).await {
        Ok(Ok(s)) if s.success() => tracing::info!("adb server {addr} started again"),
        Ok(Ok(s)) => tracing::warn!("adb start-server for {addr} exited with {s}"),
        Ok(Err(e)) => tracing::warn!("cannot run adb to start the server at {addr}: {e}"),
        Err(_) => tracing::warn!("adb start-server for {addr} did not finish within 20 s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loss_is_counted_when_a_device_leaves_device() {
        let id: DeviceId = (0, "emulator-5554".into());
        let mut s = States::default();
        set(&mut s, &id, "device".into());
        set(&mut s, &id, "offline".into());
        set(&mut s, &id, "absent".into());
        assert_eq!(s.losses(&id), 1);
        assert!(!s.online(&id));
        set(&mut s, &id, "device".into());
        set(&mut s, &id, "no server".into());
        assert_eq!(s.losses(&id), 2);
    }
}
