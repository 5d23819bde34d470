//! Discovery: every device the adb server knows, with its state and, for
//! online devices, model, SDK level and whether the tool can use it. Only
//! read-only queries are sent (`host:devices-l`, features, `getprop`,
//! `wm size`).

use serde::Serialize;

use super::adb::AdbDevice;
use super::error::Result;
use super::server::AdbServer;
use super::{Device, Timeouts};

/// The oldest Android release the tool supports: 8.1 (API 27).
pub const MIN_SDK: u32 = 27;

/// One device as `consentry devices` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceReport {
    pub serial: String,
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sdk: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    pub emulator: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub screen: Option<(u32, u32)>,
    pub usable: bool,
    /// Why the device is not usable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Lists the server's devices; online ones are probed concurrently.
pub async fn discover(server: &AdbServer, timeouts: Timeouts) -> Result<Vec<DeviceReport>> {
    let entries = server.devices(timeouts.host).await?;
    let mut probes = Vec::new();
    for e in entries {
        let server = server.clone();
        let serial = e.serial.clone();
        probes.push((
            serial,
            tokio::spawn(async move {
                let mut r = DeviceReport {
                    model: e.model.clone(),
                    serial: e.serial.clone(),
                    state: e.state.clone(),
                    sdk: None,
                    release: None,
                    emulator: e.serial.starts_with("emulator-"),
                    screen: None,
                    usable: false,
                    reason: None,
                };
                if !e.is_online() {
                    r.reason = Some(match e.state.as_str() {
                        "unauthorized" => {
                            "unauthorized: accept this computer's RSA key on the device".into()
                        }
                        "offline" => "offline".into(),
                        other => format!("state is {other}"),
                    });
                    return r;
                }
                let probe = async {
                    let dev = AdbDevice::open(server, &e.serial, timeouts).await?;
                    dev.properties().await
                };
                match probe.await {
                    Ok(p) => {
                        r.model = p.model.or(r.model);
                        r.sdk = p.sdk;
                        r.release = p.release;
                        r.emulator = p.emulator;
                        r.screen = p.screen;
                        match p.sdk {
                            Some(s) if s >= MIN_SDK => r.usable = true,
                            Some(s) => {
                                r.reason = Some(format!(
                                    "Android SDK {s} is older than the supported {MIN_SDK} (8.1)"
                                ));
                            }
                            None => r.reason = Some("SDK level unknown".into()),
                        }
                    }
                    Err(err) => r.reason = Some(err.kind.to_string()),
                }
                r
            }),
        ));
    }
    let mut out = Vec::new();
    for (serial, p) in probes {
        out.push(p.await.unwrap_or_else(|e| DeviceReport {
            serial,
            state: "unknown".into(),
            model: None,
            sdk: None,
            release: None,
            emulator: false,
            screen: None,
            usable: false,
            reason: Some(format!("probe failed: {e}")),
        }));
    }
    out.sort_by(|a, b| a.serial.cmp(&b.serial));
    Ok(out)
}
