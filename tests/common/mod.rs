//! Test harness shared by the end-to-end tests: a private adb server
//! (Debian's real `adb`, installed by `make setup`) with its own HOME and
//! port, killed when the test ends, and commands with timeouts.

#![allow(dead_code, unreachable_pub)]

pub mod batch;
pub mod expected;
pub mod scenario;
pub mod synth;
pub mod ui_screen;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::process::Command;

/// What an adb invocation printed.
#[derive(Debug)]
pub struct AdbOutput {
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl AdbOutput {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

/// A private adb server for one test.
pub struct Adb {
    home: tempfile::TempDir,
    pub port: u16,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Adb {
    /// Starts a fresh adb server. Fails the test (never skips) when Debian's
    /// adb is missing: `make setup` installs it.
    pub async fn start() -> Self {
        assert!(
            std::process::Command::new("adb")
                .arg("version")
                .output()
                .is_ok(),
            "Debian's adb is not installed: run `make setup`"
        );
        let adb = Self {
            home: tempfile::tempdir().expect("tempdir"),
            port: free_port(),
        };
        let out = adb.run(&["start-server"], Duration::from_secs(30)).await;
        assert_eq!(out.code, Some(0), "adb start-server: {}", out.stderr);
        adb
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new("adb");
        c.args(args)
            .env("HOME", self.home.path())
            .env("ANDROID_ADB_SERVER_PORT", self.port.to_string())
            .env_remove("ANDROID_SERIAL")
            .env_remove("ADB_SERVER_SOCKET")
            .env("ADB_MDNS", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        c
    }

    /// Runs adb with a timeout; a timeout fails the test.
    pub async fn run(&self, args: &[&str], limit: Duration) -> AdbOutput {
        self.run_with_stdin(args, None, limit).await
    }

    pub async fn run_with_stdin(
        &self,
        args: &[&str],
        stdin: Option<&[u8]>,
        limit: Duration,
    ) -> AdbOutput {
        let mut cmd = self.command(args);
        if stdin.is_some() {
            cmd.stdin(Stdio::piped());
        }
        let mut child = cmd.spawn().expect("spawn adb");
        if let Some(input) = stdin {
            let mut pipe = child.stdin.take().expect("stdin");
            pipe.write_all(input).await.expect("write stdin");
            drop(pipe);
        }
        let out = tokio::time::timeout(limit, child.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("adb {args:?} did not finish within {limit:?}"))
            .expect("adb ran");
        AdbOutput {
            code: out.status.code(),
            stdout: out.stdout,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Starts adb without waiting (for streaming commands).
    pub fn spawn(&self, args: &[&str]) -> tokio::process::Child {
        self.command(args).spawn().expect("spawn adb")
    }

    /// `adb connect` and wait until `adb devices` shows `state` for it.
    pub async fn connect(&self, serial: &str, state: &str) {
        let out = self
            .run(&["connect", serial], Duration::from_secs(20))
            .await;
        // An unauthorised device answers "failed to authenticate" and is
        // still listed, as `unauthorized`.
        let text = out.text();
        assert!(
            text.contains("connected to")
                || (state == "unauthorized" && text.contains("failed to authenticate")),
            "adb connect {serial}: {text} {}",
            out.stderr
        );
        self.wait_for_state(serial, state).await;
    }

    /// The state `adb devices` shows for a serial, if listed.
    pub async fn state_of(&self, serial: &str) -> Option<String> {
        let out = self.run(&["devices"], Duration::from_secs(20)).await;
        out.text().lines().find_map(|l| {
            let mut parts = l.split_whitespace();
            (parts.next() == Some(serial)).then(|| parts.next().unwrap_or("").to_string())
        })
    }

    /// Polls `adb devices` until the serial has `state` (fails after 20 s).
    pub async fn wait_for_state(&self, serial: &str, state: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        let mut last = None;
        while tokio::time::Instant::now() < deadline {
            last = self.state_of(serial).await;
            if last.as_deref() == Some(state) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{serial} never reached state {state}; last seen {last:?}");
    }

    pub fn home(&self) -> PathBuf {
        self.home.path().to_path_buf()
    }
}

impl Drop for Adb {
    fn drop(&mut self) {
        let _ = std::process::Command::new("adb")
            .arg("kill-server")
            .env("HOME", self.home.path())
            .env("ANDROID_ADB_SERVER_PORT", self.port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Runs one shell line on a simulated device without adb, through its
/// `Backend`; (stdout, exit code). A command that does not finish in 30 s
/// fails the test.
pub async fn sim_sh(dev: &consentry::sim::os::SimDevice, cmd: &str) -> (String, i32) {
    use consentry::sim::backend::{Backend, Output};
    let mut p = dev.spawn(cmd);
    let mut out = Vec::new();
    let code = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(o) = p.output.recv().await {
            match o {
                Output::Stdout(b) => out.extend(b),
                Output::Stderr(_) => {}
                Output::Exit(c) => return c,
            }
        }
        -1
    })
    .await
    .expect("command finished");
    (String::from_utf8_lossy(&out).into_owned(), code)
}
