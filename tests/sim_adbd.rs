//! The adbd protocol server against Debian's real adb server, with a small
//! scripted backend (the Android model is tested on its own): handshake,
//! `adb devices -l`, shell protocol v2 exit codes and stderr, legacy shell,
//! binary-safe exec, stdin, push/pull of 10 MB, authorisation states,
//! dropped connections and reconnects, and stopping a command when the
//! client goes away.

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::Adb;
use consentry::sim::adbd::{AuthMode, DeviceServer};
use consentry::sim::backend::{Backend, FileStat, Output, Process};
use tokio::sync::mpsc;

const T: Duration = Duration::from_secs(30);

/// Path → (contents, mode, mtime).
type FileMap = BTreeMap<String, (Vec<u8>, u32, u32)>;

/// A device whose "shell" knows a few scripted commands.
struct Scripted {
    features: &'static str,
    files: Mutex<FileMap>,
    running: Arc<AtomicUsize>,
}

impl Scripted {
    fn new(features: &'static str) -> Arc<Self> {
        Arc::new(Self {
            features,
            files: Mutex::new(BTreeMap::new()),
            running: Arc::new(AtomicUsize::new(0)),
        })
    }
}

/// Decrements the running count when the command's task ends.
struct Running(Arc<AtomicUsize>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Backend for Scripted {
    fn banner(&self) -> String {
        format!(
            "device::ro.product.name=sdk_gphone64_x86_64;ro.product.model=Simulated Pixel;ro.product.device=emu64x;features={}",
            self.features
        )
    }

    fn spawn(&self, command: &str) -> Process {
        let (tx, output) = mpsc::channel(16);
        let (stdin, mut input) = mpsc::channel::<Vec<u8>>(16);
        let command = command.to_string();
        self.running.fetch_add(1, Ordering::SeqCst);
        let guard = Running(Arc::clone(&self.running));
        tokio::spawn(async move {
            let _guard = guard;
            let (word, rest) = command.split_once(' ').unwrap_or((command.as_str(), ""));
            match word {
                "echo" => {
                    let _ = tx
                        .send(Output::Stdout(format!("{rest}\n").into_bytes()))
                        .await;
                    let _ = tx.send(Output::Exit(0)).await;
                }
                "exit" => {
                    let _ = tx
                        .send(Output::Exit(rest.trim().parse().unwrap_or(255)))
                        .await;
                }
                "err" => {
                    let _ = tx.send(Output::Stdout(b"out\n".to_vec())).await;
                    let _ = tx
                        .send(Output::Stderr(format!("{rest}\n").into_bytes()))
                        .await;
                    let _ = tx.send(Output::Exit(1)).await;
                }
                "cat" => {
                    while let Some(data) = input.recv().await {
                        if tx.send(Output::Stdout(data)).await.is_err() {
                            return;
                        }
                    }
                    let _ = tx.send(Output::Exit(0)).await;
                }
                "bytes" => {
                    let n: usize = rest.trim().parse().unwrap_or(0);
                    #[allow(clippy::cast_possible_truncation)]
                    let data: Vec<u8> = (0..n).map(|i| (i % 251) as u8).collect();
                    for chunk in data.chunks(100_000) {
                        let _ = tx.send(Output::Stdout(chunk.to_vec())).await;
                    }
                    let _ = tx.send(Output::Exit(0)).await;
                }
                "stall" => {
                    // Never ends; the task stops when the stream closes.
                    tx.closed().await;
                }
                _ => {
                    let msg = format!("/system/bin/sh: {word}: inaccessible or not found\n");
                    let _ = tx.send(Output::Stderr(msg.into_bytes())).await;
                    let _ = tx.send(Output::Exit(127)).await;
                }
            }
        });
        Process { output, stdin }
    }

    fn stat(&self, path: &str) -> Option<FileStat> {
        if path == "/sdcard" || path == "/sdcard/" {
            return Some(FileStat {
                mode: 0o40_771,
                size: 4096,
                mtime: 0,
            });
        }
        let files = self.files.lock().ok()?;
        files.get(path).map(|(d, mode, mtime)| FileStat {
            mode: *mode,
            size: u32::try_from(d.len()).unwrap_or(u32::MAX),
            mtime: *mtime,
        })
    }

    fn list(&self, _path: &str) -> Option<Vec<(String, FileStat)>> {
        None
    }

    fn read(&self, path: &str) -> Option<Vec<u8>> {
        self.files.lock().ok()?.get(path).map(|f| f.0.clone())
    }

    fn write(&self, path: &str, data: Vec<u8>, mode: u32, mtime: u32) -> Result<(), String> {
        self.files
            .lock()
            .map_err(|e| e.to_string())?
            .insert(path.to_string(), (data, mode, mtime));
        Ok(())
    }
}

const FEATURES: &str = "shell_v2,cmd,stat_v2";

async fn serve(backend: Arc<Scripted>, auth: AuthMode) -> DeviceServer {
    let addr: SocketAddr = "127.0.0.1:0".parse().expect("addr");
    DeviceServer::start(addr, backend, auth)
        .await
        .expect("listen")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshake_shell_exec_and_files() {
    let backend = Scripted::new(FEATURES);
    let device = serve(Arc::clone(&backend), AuthMode::Accept).await;
    let serial = device.serial();
    let adb = Adb::start().await;
    adb.connect(&serial, "device").await;

    let out = adb.run(&["devices", "-l"], T).await;
    let line = out
        .text()
        .lines()
        .find(|l| l.starts_with(&serial))
        .map(str::to_string)
        .expect("listed");
    assert!(line.contains(" device "), "{line}");
    assert!(line.contains("product:sdk_gphone64_x86_64"), "{line}");
    assert!(line.contains("model:Simulated_Pixel"), "{line}");
    assert!(line.contains("device:emu64x"), "{line}");

    // Shell protocol v2: exit codes, stdout and stderr kept apart.
    let out = adb
        .run(&["-s", &serial, "shell", "echo", "hello world"], T)
        .await;
    assert_eq!((out.code, out.text().as_str()), (Some(0), "hello world\n"));
    let out = adb.run(&["-s", &serial, "shell", "exit", "3"], T).await;
    assert_eq!(out.code, Some(3));
    let out = adb.run(&["-s", &serial, "shell", "err", "boom"], T).await;
    assert_eq!(out.code, Some(1));
    assert_eq!(out.text(), "out\n");
    assert_eq!(out.stderr, "boom\n");
    let out = adb.run(&["-s", &serial, "shell", "frobnicate"], T).await;
    assert_eq!(out.code, Some(127));
    assert!(
        out.stderr.contains("frobnicate: inaccessible or not found"),
        "{}",
        out.stderr
    );

    // Binary-safe exec larger than one payload.
    let out = adb
        .run(&["-s", &serial, "exec-out", "bytes 3000000"], T)
        .await;
    assert_eq!(out.code, Some(0));
    assert_eq!(out.stdout.len(), 3_000_000);
    assert!(
        out.stdout
            .iter()
            .enumerate()
            .all(|(i, b)| usize::from(*b) == i % 251)
    );

    // Stdin through the shell protocol.
    let out = adb
        .run_with_stdin(&["-s", &serial, "shell", "cat"], Some(b"typed input\n"), T)
        .await;
    assert_eq!(out.text(), "typed input\n");

    // Push and pull 10 MB byte for byte.
    let dir = tempfile::tempdir().expect("tempdir");
    let local = dir.path().join("big.bin");
    let data: Vec<u8> = (0..10 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    std::fs::write(&local, &data).expect("write");
    let out = adb
        .run(
            &[
                "-s",
                &serial,
                "push",
                local.to_str().expect("utf8"),
                "/sdcard/big.bin",
            ],
            T,
        )
        .await;
    assert_eq!(out.code, Some(0), "push: {} {}", out.text(), out.stderr);
    let back = dir.path().join("back.bin");
    let out = adb
        .run(
            &[
                "-s",
                &serial,
                "pull",
                "/sdcard/big.bin",
                back.to_str().expect("utf8"),
            ],
            T,
        )
        .await;
    assert_eq!(out.code, Some(0), "pull: {} {}", out.text(), out.stderr);
    assert!(
        std::fs::read(&back).expect("read back") == data,
        "pulled bytes differ"
    );
    let out = adb
        .run(
            &[
                "-s",
                &serial,
                "pull",
                "/sdcard/missing.bin",
                back.to_str().expect("utf8"),
            ],
            T,
        )
        .await;
    assert_ne!(out.code, Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_shell_without_shell_v2() {
    let backend = Scripted::new("cmd");
    let device = serve(backend, AuthMode::Accept).await;
    let serial = device.serial();
    let adb = Adb::start().await;
    adb.connect(&serial, "device").await;
    let out = adb.run(&["-s", &serial, "shell", "err", "boom"], T).await;
    // Without the shell protocol there is no exit status and stderr is merged.
    assert_eq!(out.code, Some(0));
    assert_eq!(out.text(), "out\nboom\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorisation_states() {
    let rejecting = serve(Scripted::new(FEATURES), AuthMode::Reject).await;
    let prompting = serve(Scripted::new(FEATURES), AuthMode::Prompt).await;
    let adb = Adb::start().await;
    adb.connect(&rejecting.serial(), "unauthorized").await;
    adb.connect(&prompting.serial(), "unauthorized").await;
    let out = adb
        .run(&["-s", &rejecting.serial(), "shell", "echo", "x"], T)
        .await;
    assert_ne!(out.code, Some(0));
    assert!(out.stderr.contains("unauthorized"), "{}", out.stderr);
    // The user taps "Allow" on the prompting device.
    prompting.control.set_authorized(true);
    adb.wait_for_state(&prompting.serial(), "device").await;
    let out = adb
        .run(&["-s", &prompting.serial(), "shell", "echo", "ok"], T)
        .await;
    assert_eq!(out.text(), "ok\n");
    // A rejecting device ignores it.
    rejecting.control.set_authorized(true);
    assert!(!rejecting.control.authorized());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_device_and_reconnect() {
    let device = serve(Scripted::new(FEATURES), AuthMode::Accept).await;
    let serial = device.serial();
    let adb = Adb::start().await;
    adb.connect(&serial, "device").await;

    device.control.set_online(false);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let state = adb.state_of(&serial).await;
        if state.as_deref() != Some("device") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "device still online"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let out = adb.run(&["-s", &serial, "shell", "echo", "x"], T).await;
    assert_ne!(
        out.code,
        Some(0),
        "a command on an offline device must fail"
    );

    device.control.set_online(true);
    let _ = adb.run(&["disconnect", &serial], T).await;
    adb.connect(&serial, "device").await;
    let out = adb.run(&["-s", &serial, "shell", "echo", "back"], T).await;
    assert_eq!(out.text(), "back\n");

    // Fault injection: the connection drops after two more commands.
    device.control.drop_after_commands(Some(2));
    assert_eq!(
        adb.run(&["-s", &serial, "shell", "echo", "1"], T)
            .await
            .code,
        Some(0)
    );
    let second = adb.run(&["-s", &serial, "shell", "echo", "2"], T).await;
    let third = adb.run(&["-s", &serial, "shell", "echo", "3"], T).await;
    assert!(
        second.code != Some(0) || third.code != Some(0),
        "the connection should have dropped: {second:?} {third:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_the_client_stops_the_command() {
    let backend = Scripted::new(FEATURES);
    let device = serve(Arc::clone(&backend), AuthMode::Accept).await;
    let serial = device.serial();
    let adb = Adb::start().await;
    adb.connect(&serial, "device").await;
    let mut child = adb.spawn(&["-s", &serial, "shell", "stall"]);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while backend.running.load(Ordering::SeqCst) == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "command never started"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().await.expect("kill adb client");
    while backend.running.load(Ordering::SeqCst) != 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "command still running after the client went away"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
