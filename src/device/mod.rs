//! The device layer: the [`Device`] abstraction every later stage drives,
//! its ADB implementation ([`AdbDevice`], through the adb server's host
//! protocol in [`server`]), the logcat ring buffer ([`logbuf`]) and stream
//! ([`logcat`]), discovery ([`discover`]) and the device pool with leases
//! ([`pool`]), and the [`DeviceHost`] contract with whatever runs the
//! device (an emulator the controller started).
//!
//! [`Device`] has a few required primitives (shell with exit status, exec,
//! push/pull, a logcat stream) and builds every operation the engine needs
//! on them: screenshots, UI trees, app management, input, OS-record
//! snapshots and properties. Arguments are always quoted for the device
//! shell with [`sh_join`]; every call has a bound from [`Timeouts`]; every
//! failure is a [`DeviceError`] naming the device, the command and the
//! cause.

pub mod adb;
pub mod discover;
pub mod error;
pub mod host;
pub mod logbuf;
pub mod logcat;
pub mod pool;
pub mod server;

use std::path::Path;
use std::time::Duration;

use image::RgbaImage;
use serde::Serialize;

pub use adb::AdbDevice;
use error::BUSY_DUMP;
pub use error::{DeviceError, ErrorKind, Result};
pub use host::DeviceHost;
pub use logcat::{Logcat, LogcatOptions};
pub use pool::{Lease, Pool};
pub use server::{AdbServer, ServerAddr, ShellOutput};

use crate::android::logcat::{Entry, Event, MARKER_TAG};
use crate::android::quote::{InputStep, input_text_plan, sh_join};
use crate::android::{appops, exit_info, focus, package, props, uiautomator};

/// Bounds for each kind of device call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Host requests to the adb server (`devices`, `features`).
    pub host: Duration,
    /// An ordinary shell command.
    pub shell: Duration,
    /// Binary output (`screencap`).
    pub exec: Duration,
    /// `uiautomator dump`, which waits for the UI to idle.
    pub ui_dump: Duration,
    /// File transfers.
    pub transfer: Duration,
    /// `install`, which verifies and optimises the APK.
    pub install: Duration,
    /// A marker to come back through logcat.
    pub marker: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            host: Duration::from_secs(5),
            shell: Duration::from_secs(20),
            exec: Duration::from_secs(30),
            ui_dump: Duration::from_secs(30),
            transfer: Duration::from_secs(120),
            install: Duration::from_secs(240),
            marker: Duration::from_secs(10),
        }
    }
}

/// A screenshot: the PNG as the device sent it (evidence) and the hash
/// that tells pictures apart. The pixels are not kept: a decoded
/// 1080×2400 frame is 10 MB, its PNG a few hundred KB, and most pictures
/// are only compared; [`Screenshot::image`] decodes when pixels are needed.
#[derive(Debug, Clone)]
pub struct Screenshot {
    pub png: Vec<u8>,
    /// The picture's hash, status bar left out ([`crate::vision::picture_hash`]).
    pub hash: u64,
    pub width: u32,
    pub height: u32,
}

impl Screenshot {
    /// Reads a PNG (streamed: checks it decodes and hashes its pixels).
    pub fn from_png(png: Vec<u8>) -> std::result::Result<Self, crate::vision::LoadImageError> {
        let p = crate::vision::picture_hash_png(&png, "the screenshot")?;
        Ok(Self {
            png,
            hash: p.hash,
            width: p.width,
            height: p.height,
        })
    }

    /// The pixels, decoded now.
    pub fn image(&self) -> std::result::Result<RgbaImage, crate::vision::LoadImageError> {
        Ok(crate::vision::decode_image(&self.png, "the screenshot")?.into_rgba8())
    }

    /// How uniform the picture is (each channel within `tolerance`
    /// levels), streamed.
    pub fn blankness(
        &self,
        tolerance: u8,
    ) -> std::result::Result<crate::vision::Blankness, crate::vision::LoadImageError> {
        crate::vision::blankness_png(&self.png, "the screenshot", tolerance)
    }
}

/// A UI dump: the XML as the device sent it (evidence) and its tree.
#[derive(Debug, Clone)]
pub struct UiDump {
    pub xml: String,
    pub tree: uiautomator::UiTree,
}

/// An OS record: the command, its raw output (evidence) and the parse.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot<T> {
    pub command: String,
    pub raw: String,
    pub parsed: T,
}

/// What the tool needs to know about a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceProps {
    pub serial: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sdk: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub abi: Option<String>,
    pub emulator: bool,
    /// The effective screen size (override if set), when `wm size` answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub screen: Option<(u32, u32)>,
}

/// A marker written to logcat and seen coming back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Marker {
    /// The marker's text as logged: `#N label`.
    pub text: String,
    /// Its sequence number in the logcat stream.
    pub seq: u64,
}

/// Attempts at `uiautomator dump` when the UI does not go idle.
const UI_DUMP_ATTEMPTS: usize = 3;

/// The device abstraction. Implementors provide the primitives; the rest
/// is built on them, so every implementation quotes, bounds and checks
/// commands the same way.
///
/// `shell_line` and `exec_line` take a command line that the caller has
/// already quoted; everything public in this trait builds its lines with
/// [`sh_join`], so no text from a scenario or a device reaches the device
/// shell unquoted.
pub trait Device: Send + Sync {
    fn serial(&self) -> &str;

    fn timeouts(&self) -> &Timeouts;

    /// Runs a quoted command line with the shell v2 protocol.
    fn shell_line(
        &self,
        line: &str,
        stdin: Option<&[u8]>,
        limit: Duration,
    ) -> impl Future<Output = Result<ShellOutput>> + Send;

    /// Runs a quoted command line with `exec:` (raw bytes, no pty, no
    /// exit status).
    fn exec_line(
        &self,
        line: &str,
        stdin: Option<&[u8]>,
        limit: Duration,
    ) -> impl Future<Output = Result<Vec<u8>>> + Send;

    /// Writes a file on the device.
    fn push(&self, data: &[u8], remote: &str, mode: u32)
    -> impl Future<Output = Result<()>> + Send;

    /// Reads a file from the device.
    fn pull(&self, remote: &str) -> impl Future<Output = Result<Vec<u8>>> + Send;

    /// Starts a logcat stream into a ring buffer.
    fn logcat(&self, opts: &LogcatOptions) -> impl Future<Output = Result<Logcat>> + Send;

    // ---- built on the primitives ----

    /// Runs a command, each argument quoted; a non-zero exit is returned,
    /// not an error.
    fn shell(&self, argv: &[&str]) -> impl Future<Output = Result<ShellOutput>> + Send {
        async move {
            self.shell_line(&sh_join(argv), None, self.timeouts().shell)
                .await
        }
    }

    /// Runs a command and fails on a non-zero exit status.
    fn shell_ok(&self, argv: &[&str]) -> impl Future<Output = Result<ShellOutput>> + Send {
        async move {
            let line = sh_join(argv);
            let out = self.shell_line(&line, None, self.timeouts().shell).await?;
            check_exit(self.serial(), &line, out)
        }
    }

    /// Runs a command for its raw output (binary-safe).
    fn exec(&self, argv: &[&str]) -> impl Future<Output = Result<Vec<u8>>> + Send {
        async move {
            self.exec_line(&sh_join(argv), None, self.timeouts().exec)
                .await
        }
    }

    /// `screencap -p`, decoded.
    fn screenshot(&self) -> impl Future<Output = Result<Screenshot>> + Send {
        async move {
            let png = self.exec(&["screencap", "-p"]).await?;
            let head = format!(
                "{} bytes starting {:?}",
                png.len(),
                String::from_utf8_lossy(&png[..png.len().min(40)])
            );
            Screenshot::from_png(png).map_err(|e| {
                let detail = match std::error::Error::source(&e) {
                    Some(cause) => format!("{e}: {cause}"),
                    None => e.to_string(),
                };
                DeviceError::new(
                    self.serial(),
                    "screencap -p",
                    ErrorKind::Malformed {
                        what: "screenshot PNG".into(),
                        detail: format!("{detail}; {head}"),
                    },
                )
            })
        }
    }

    /// `uiautomator dump` of the window hierarchy, retried while the UI
    /// does not go idle.
    fn ui_tree(&self) -> impl Future<Output = Result<UiDump>> + Send {
        async move {
            let mut attempt = 1;
            loop {
                match self.ui_tree_once().await {
                    Err(e) if e.is_busy_dump() && attempt < UI_DUMP_ATTEMPTS => attempt += 1,
                    Err(mut e) if e.is_busy_dump() => {
                        if let ErrorKind::CommandFailed { output, .. } = &mut e.kind {
                            *output = output.replacen(
                                BUSY_DUMP,
                                &format!("{BUSY_DUMP} after {UI_DUMP_ATTEMPTS} attempts"),
                                1,
                            );
                        }
                        return Err(e);
                    }
                    other => return other,
                }
            }
        }
    }

    /// One `uiautomator dump`. A dump that found the UI busy ("could not
    /// get idle state") or printed no hierarchy fails with
    /// [`ErrorKind::CommandFailed`] and [`DeviceError::is_busy_dump`], so
    /// callers can take it again.
    fn ui_tree_once(&self) -> impl Future<Output = Result<UiDump>> + Send {
        async move {
            let line = sh_join(&["uiautomator", "dump", "/dev/tty"]);
            let out = self
                .shell_line(&line, None, self.timeouts().ui_dump)
                .await?;
            let text = out.stdout_text();
            if let Some(xml) = xml_part(&text) {
                let tree = uiautomator::parse(xml).map_err(|e| {
                    DeviceError::new(
                        self.serial(),
                        &line,
                        ErrorKind::Malformed {
                            what: "uiautomator XML".into(),
                            detail: e.to_string(),
                        },
                    )
                })?;
                return Ok(UiDump {
                    xml: xml.to_string(),
                    tree,
                });
            }
            let output = format!("{}{}", out.stderr_text(), text);
            let busy = out.exit == 0 || output.contains("idle state");
            Err(DeviceError::new(
                self.serial(),
                &line,
                ErrorKind::CommandFailed {
                    exit: Some(out.exit),
                    output: if busy {
                        format!("{BUSY_DUMP}: {}", output.trim())
                    } else {
                        output
                    },
                },
            ))
        }
    }

    /// Installs (or replaces) an APK from the host.
    fn install(&self, apk: &Path) -> impl Future<Output = Result<()>> + Send {
        async move {
            let data = std::fs::read(apk).map_err(|e| {
                DeviceError::new(
                    self.serial(),
                    format!("install {}", apk.display()),
                    ErrorKind::Unsupported {
                        detail: format!("cannot read {}: {e}", apk.display()),
                    },
                )
            })?;
            self.install_bytes(&data).await
        }
    }

    /// Installs an APK given as bytes, streamed to `cmd package install -S`.
    fn install_bytes(&self, apk: &[u8]) -> impl Future<Output = Result<()>> + Send {
        async move {
            let size = apk.len().to_string();
            let line = sh_join(&["cmd", "package", "install", "-r", "-S", &size]);
            let out = self
                .exec_line(&line, Some(apk), self.timeouts().install)
                .await?;
            let text = String::from_utf8_lossy(&out);
            if text.contains("Success") {
                Ok(())
            } else {
                Err(failed(self.serial(), &line, None, &text))
            }
        }
    }

    fn uninstall(&self, package: &str) -> impl Future<Output = Result<()>> + Send {
        async move { self.pm_success(&["pm", "uninstall", package]).await }
    }

    /// `pm clear`: the app's data and runtime permission state.
    fn clear(&self, package: &str) -> impl Future<Output = Result<()>> + Send {
        async move { self.pm_success(&["pm", "clear", package]).await }
    }

    fn grant(&self, package: &str, permission: &str) -> impl Future<Output = Result<()>> + Send {
        async move {
            self.shell_ok(&["pm", "grant", package, permission])
                .await
                .map(drop)
        }
    }

    fn revoke(&self, package: &str, permission: &str) -> impl Future<Output = Result<()>> + Send {
        async move {
            self.shell_ok(&["pm", "revoke", package, permission])
                .await
                .map(drop)
        }
    }

    /// Runs a command and judges its combined output: fails on a non-zero
    /// exit or when `ok` rejects the text (tools such as old `pm`, `am` and
    /// `monkey` exit 0 and print the failure).
    fn shell_judged(
        &self,
        argv: &[&str],
        ok: impl Fn(&str) -> bool + Send,
    ) -> impl Future<Output = Result<ShellOutput>> + Send {
        async move {
            let out = self.shell(argv).await?;
            let text = format!("{}{}", out.stdout_text(), out.stderr_text());
            if out.exit == 0 && ok(&text) {
                Ok(out)
            } else {
                Err(failed(self.serial(), &sh_join(argv), Some(out.exit), &text))
            }
        }
    }

    /// Runs a `pm` verb that prints `Success`.
    fn pm_success(&self, argv: &[&str]) -> impl Future<Output = Result<()>> + Send {
        async move {
            self.shell_judged(argv, |t| t.contains("Success"))
                .await
                .map(drop)
        }
    }

    /// Starts the app's launcher activity.
    fn launch(&self, package: &str) -> impl Future<Output = Result<()>> + Send {
        async move {
            let argv = [
                "monkey",
                "-p",
                package,
                "-c",
                "android.intent.category.LAUNCHER",
                "1",
            ];
            self.shell_judged(&argv, |t| {
                !t.contains("No activities found") && !t.contains("aborted")
            })
            .await
            .map(drop)
        }
    }

    /// `am start -W -n COMPONENT`.
    fn start_activity(&self, component: &str) -> impl Future<Output = Result<()>> + Send {
        async move {
            let argv = ["am", "start", "-W", "-n", component];
            self.shell_judged(&argv, |t| !t.contains("Error:") && !t.contains("Exception"))
                .await
                .map(drop)
        }
    }

    fn force_stop(&self, package: &str) -> impl Future<Output = Result<()>> + Send {
        async move {
            self.shell_ok(&["am", "force-stop", package])
                .await
                .map(drop)
        }
    }

    fn tap(&self, x: i32, y: i32) -> impl Future<Output = Result<()>> + Send {
        async move {
            let (x, y) = (x.to_string(), y.to_string());
            self.shell_ok(&["input", "tap", &x, &y]).await.map(drop)
        }
    }

    fn swipe(
        &self,
        from: (i32, i32),
        to: (i32, i32),
        duration: Duration,
    ) -> impl Future<Output = Result<()>> + Send {
        async move {
            let n = [
                from.0.to_string(),
                from.1.to_string(),
                to.0.to_string(),
                to.1.to_string(),
                duration.as_millis().to_string(),
            ];
            let mut argv = vec!["input", "swipe"];
            argv.extend(n.iter().map(String::as_str));
            self.shell_ok(&argv).await.map(drop)
        }
    }

    /// `input keyevent`: a code (`66`) or a name (`KEYCODE_BACK`).
    fn key(&self, key: &str) -> impl Future<Output = Result<()>> + Send {
        async move { self.shell_ok(&["input", "keyevent", key]).await.map(drop) }
    }

    /// Types text exactly as written (see `android::quote` for what
    /// `input text` cannot type; such text is refused before anything is
    /// sent).
    fn text(&self, text: &str) -> impl Future<Output = Result<()>> + Send {
        async move {
            let plan = input_text_plan(text).map_err(|e| {
                DeviceError::new(
                    self.serial(),
                    "input text",
                    ErrorKind::Unsupported {
                        detail: e.to_string(),
                    },
                )
            })?;
            for step in plan {
                match step {
                    InputStep::Text(t) => self.shell_ok(&["input", "text", &t]).await?,
                    InputStep::Key(k) => {
                        self.shell_ok(&["input", "keyevent", &k.to_string()])
                            .await?
                    }
                };
            }
            Ok(())
        }
    }

    /// Runs a read-only dump and parses it.
    fn snapshot<T: Send>(
        &self,
        argv: &[&str],
        parse: impl Fn(&str) -> T + Send,
    ) -> impl Future<Output = Result<Snapshot<T>>> + Send {
        async move {
            let out = self.shell_ok(argv).await?;
            let raw = out.stdout_text();
            Ok(Snapshot {
                command: sh_join(argv),
                parsed: parse(&raw),
                raw,
            })
        }
    }

    /// `dumpsys appops`, for one package when given. Releases whose
    /// `dumpsys appops` has no `--package` option (8.1) answer "Unknown
    /// option"; the whole dump is taken then, which the parser reads the
    /// same way.
    fn appops(
        &self,
        package: Option<&str>,
    ) -> impl Future<Output = Result<Snapshot<appops::AppOps>>> + Send {
        async move {
            if let Some(p) = package {
                let snap = self
                    .snapshot(&["dumpsys", "appops", "--package", p], appops::parse)
                    .await?;
                let head = snap.raw.trim_start();
                if !(head.starts_with("Unknown option") || head.starts_with("Unknown command")) {
                    return Ok(snap);
                }
            }
            self.snapshot(&["dumpsys", "appops"], appops::parse).await
        }
    }

    fn package(
        &self,
        package: &str,
    ) -> impl Future<Output = Result<Snapshot<package::PackageDump>>> + Send {
        async move {
            self.snapshot(&["dumpsys", "package", package], package::parse)
                .await
        }
    }

    fn exit_info(
        &self,
        package: &str,
    ) -> impl Future<Output = Result<Snapshot<exit_info::ExitInfo>>> + Send {
        async move {
            self.snapshot(
                &["dumpsys", "activity", "exit-info", package],
                exit_info::parse,
            )
            .await
        }
    }

    /// The resumed activity and focused window.
    fn focus(&self) -> impl Future<Output = Result<Snapshot<focus::Focus>>> + Send {
        async move {
            let a = self
                .shell_ok(&["dumpsys", "activity", "activities"])
                .await?;
            let w = self.shell_ok(&["dumpsys", "window", "windows"]).await?;
            let raw = format!("{}\n{}", a.stdout_text(), w.stdout_text());
            Ok(Snapshot {
                command: "dumpsys activity activities; dumpsys window windows".into(),
                parsed: focus::parse(&raw),
                raw,
            })
        }
    }

    /// `pm list packages -f`, third-party only when asked.
    fn packages(
        &self,
        third_party: bool,
    ) -> impl Future<Output = Result<Snapshot<props::PackageList>>> + Send {
        async move {
            let mut argv = vec!["pm", "list", "packages", "-f"];
            if third_party {
                argv.push("-3");
            }
            self.snapshot(&argv, props::parse_package_list).await
        }
    }

    /// SDK level, release, model, emulator or not, screen size.
    fn properties(&self) -> impl Future<Output = Result<DeviceProps>> + Send {
        async move {
            let p = self.snapshot(&["getprop"], props::parse_getprop).await?;
            let wm = self.shell(&["wm", "size"]).await?;
            let screen = props::parse_wm_size(&wm.stdout_text()).map(|s| s.effective());
            let props = &p.parsed;
            let get = |k: &str| props.get(k).map(str::to_string);
            if props.get("ro.build.version.sdk").is_none() {
                return Err(DeviceError::new(
                    self.serial(),
                    "getprop",
                    ErrorKind::Malformed {
                        what: "getprop output".into(),
                        detail: "no ro.build.version.sdk".into(),
                    },
                ));
            }
            Ok(DeviceProps {
                serial: self.serial().to_string(),
                sdk: props.sdk(),
                release: get("ro.build.version.release"),
                model: get("ro.product.model"),
                manufacturer: get("ro.product.manufacturer"),
                abi: get("ro.product.cpu.abi"),
                emulator: props.is_emulator() || self.serial().starts_with("emulator-"),
                screen,
            })
        }
    }

    /// Writes a marker into logcat and waits for it to come back through
    /// `stream`, so evidence can be sliced between markers exactly.
    fn mark(&self, stream: &Logcat, label: &str) -> impl Future<Output = Result<Marker>> + Send {
        async move {
            let clean: String = label
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            let text = format!("#{} {}", stream.next_marker_id(), clean.trim());
            let from = stream.cursor();
            self.shell_ok(&["log", "-t", MARKER_TAG, &text]).await?;
            let line = stream
                .wait_for(from, &format!("marker {text:?}"), self.timeouts().marker, |e| {
                    matches!(e, Entry::Record(r) if matches!(&r.event, Some(Event::Marker { text: t }) if *t == text))
                })
                .await?;
            Ok(Marker {
                text,
                seq: line.seq,
            })
        }
    }
}

/// The XML document in `uiautomator dump /dev/tty` output (which appends
/// "UI hierchary dumped to: /dev/tty").
fn xml_part(text: &str) -> Option<&str> {
    let start = text.find("<?xml").or_else(|| text.find("<hierarchy"))?;
    let end = text.rfind("</hierarchy>")? + "</hierarchy>".len();
    (end > start).then(|| &text[start..end])
}

fn failed(serial: &str, line: &str, exit: Option<u8>, output: &str) -> DeviceError {
    DeviceError::new(
        serial,
        line,
        ErrorKind::CommandFailed {
            exit,
            output: output.trim().to_string(),
        },
    )
}

fn check_exit(serial: &str, line: &str, out: ShellOutput) -> Result<ShellOutput> {
    if out.exit == 0 {
        return Ok(out);
    }
    let text = format!("{}{}", out.stderr_text(), out.stdout_text());
    Err(failed(serial, line, Some(out.exit), &text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A scripted device: answers each command line from a table and
    /// records what was sent, to test the provided operations without I/O.
    struct Fake {
        timeouts: Timeouts,
        answers: Vec<(&'static str, u8, &'static str)>,
        sent: Mutex<Vec<String>>,
    }

    impl Fake {
        fn new(answers: Vec<(&'static str, u8, &'static str)>) -> Self {
            Self {
                timeouts: Timeouts::default(),
                answers,
                sent: Mutex::new(Vec::new()),
            }
        }

        fn sent(&self) -> Vec<String> {
            self.sent.lock().unwrap().clone()
        }
    }

    impl Device for Fake {
        fn serial(&self) -> &'static str {
            "fake-1"
        }

        fn timeouts(&self) -> &Timeouts {
            &self.timeouts
        }

        async fn shell_line(
            &self,
            line: &str,
            _stdin: Option<&[u8]>,
            _limit: Duration,
        ) -> Result<ShellOutput> {
            self.sent.lock().unwrap().push(line.to_string());
            let (exit, out) = self
                .answers
                .iter()
                .find(|(prefix, ..)| line.starts_with(prefix))
                .map_or((0, ""), |(_, e, o)| (*e, *o));
            Ok(ShellOutput {
                exit,
                stdout: out.as_bytes().to_vec(),
                stderr: Vec::new(),
            })
        }

        async fn exec_line(
            &self,
            line: &str,
            _stdin: Option<&[u8]>,
            _limit: Duration,
        ) -> Result<Vec<u8>> {
            self.sent.lock().unwrap().push(format!("exec {line}"));
            Ok(b"not a png".to_vec())
        }

        async fn push(&self, _data: &[u8], _remote: &str, _mode: u32) -> Result<()> {
            Ok(())
        }

        async fn pull(&self, _remote: &str) -> Result<Vec<u8>> {
            Ok(Vec::new())
        }

        async fn logcat(&self, _opts: &LogcatOptions) -> Result<Logcat> {
            Err(DeviceError::new(
                "fake-1",
                "logcat",
                ErrorKind::Unsupported {
                    detail: "no logcat".into(),
                },
            ))
        }
    }

    #[tokio::test]
    async fn appops_falls_back_when_package_filter_is_unknown() {
        let old = Fake::new(vec![(
            "dumpsys appops --package",
            0,
            "Unknown option: --package\n",
        )]);
        old.appops(Some("com.x")).await.unwrap();
        assert_eq!(
            old.sent(),
            vec!["dumpsys appops --package com.x", "dumpsys appops"]
        );
        let new = Fake::new(vec![("dumpsys appops", 0, "Uid 0:\n")]);
        let snap = new.appops(Some("com.x")).await.unwrap();
        assert_eq!(new.sent(), vec!["dumpsys appops --package com.x"]);
        assert_eq!(snap.command, "dumpsys appops --package com.x");
    }

    #[tokio::test]
    async fn typed_text_and_arguments_are_quoted_for_the_device_shell() {
        let dev = Fake::new(vec![]);
        dev.text("a b;$(x)\n%s").await.unwrap();
        dev.grant("com.x; reboot", "android.permission.CAMERA")
            .await
            .unwrap();
        assert_eq!(
            dev.sent(),
            vec![
                "input text 'a%sb;$(x)'",
                "input keyevent 66",
                "input text '%'",
                "input text s",
                "pm grant 'com.x; reboot' android.permission.CAMERA",
            ]
        );
    }

    #[tokio::test]
    async fn tools_that_print_failure_with_status_zero_fail() {
        let dev = Fake::new(vec![
            ("pm clear", 0, "Failed\n"),
            (
                "monkey",
                0,
                "** No activities found to run, monkey aborted.\n",
            ),
            (
                "am start",
                0,
                "Error type 3\nError: Activity class {x/y} does not exist.\n",
            ),
        ]);
        assert!(dev.clear("com.x").await.is_err());
        assert!(dev.launch("com.x").await.is_err());
        assert!(dev.start_activity("x/y").await.is_err());
        let e = dev.screenshot().await.unwrap_err();
        assert!(matches!(e.kind, ErrorKind::Malformed { .. }), "{e}");
        assert!(e.to_string().contains("not a png"), "{e}");
    }

    #[test]
    fn xml_is_cut_from_dump_output() {
        let out = "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation=\"0\"><node/></hierarchy>UI hierchary dumped to: /dev/tty\n";
        assert_eq!(
            xml_part(out),
            Some(
                "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation=\"0\"><node/></hierarchy>"
            )
        );
        assert_eq!(xml_part("ERROR: could not get idle state.\n"), None);
    }

    #[test]
    fn logcat_command_line() {
        assert_eq!(
            sh_join(&LogcatOptions::default().argv()),
            "logcat -v threadtime -v uid -b main,system,crash,events -T 1"
        );
    }
}
