//! The adbd side of the adb wire protocol on loopback TCP, checked against
//! Debian's adb 1:29.0.6: the transport packets ([`packet`]), the shell
//! protocol v2 framing (`android::shell_v2`), the file-sync service ([`sync`]),
//! connections and streams ([`conn`]), and per-device switches for
//! authorisation, going offline and fault injection ([`control`]).
//!
//! Any [`Backend`](crate::sim::backend::Backend) can be served; the
//! simulated Android OS is one, and tests use small ones of their own.

mod conn;
pub mod control;
mod packet;
mod sync;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;

pub use control::{AuthMode, Control};

use crate::sim::backend::Backend;

/// One device being served on one port.
pub struct DeviceServer {
    pub addr: SocketAddr,
    pub control: Arc<Control>,
    task: tokio::task::JoinHandle<()>,
}

impl DeviceServer {
    /// Listens on `addr` (port 0 picks a free one) and serves `backend`.
    pub async fn start(
        addr: SocketAddr,
        backend: Arc<dyn Backend>,
        auth: AuthMode,
    ) -> std::io::Result<Self> {
        Self::start_on(TcpListener::bind(addr).await?, backend, auth)
    }

    /// Serves `backend` on a listener bound beforehand (so that the caller
    /// knows the port, and so the serial, before the device boots).
    pub fn start_on(
        listener: TcpListener,
        backend: Arc<dyn Backend>,
        auth: AuthMode,
    ) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let control = Arc::new(Control::new(auth, addr.port().to_le_bytes()[0]));
        let ctl = Arc::clone(&control);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, peer)) = listener.accept().await else {
                    continue;
                };
                if !ctl.is_online() {
                    tracing::debug!(%peer, "refusing connection: device offline");
                    drop(stream);
                    continue;
                }
                tracing::debug!(%peer, "adb server connected");
                tokio::spawn(conn::serve(stream, Arc::clone(&backend), Arc::clone(&ctl)));
            }
        });
        Ok(Self {
            addr,
            control,
            task,
        })
    }

    /// The serial the adb server shows: `emulator-NNNN` for ports in the
    /// emulator range (5555..=5585, odd), else `HOST:PORT` after `adb connect`.
    pub fn serial(&self) -> String {
        serial_for(self.addr)
    }
}

impl Drop for DeviceServer {
    fn drop(&mut self) {
        self.task.abort();
        self.control.drop_connections();
    }
}

/// See [`DeviceServer::serial`].
pub fn serial_for(addr: SocketAddr) -> String {
    let port = addr.port();
    if addr.ip().is_loopback() && (5555..=5585).contains(&port) && port % 2 == 1 {
        format!("emulator-{}", port - 1)
    } else {
        addr.to_string()
    }
}
