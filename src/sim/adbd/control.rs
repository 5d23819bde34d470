//! Per-device switches shared by the listener and its connections: how
//! authorisation behaves, whether the device is online, and the faults
//! tests inject (drop the connection after N commands, drop it now).

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use tokio::sync::watch;

/// How the device answers an adb server's connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum AuthMode {
    /// No authorisation (like `ro.adb.secure=0`): `device` at once.
    #[default]
    Accept,
    /// Never authorise: `adb devices` shows `unauthorized`.
    Reject,
    /// Unauthorised until [`Control::set_authorized`] flips it, as when a
    /// user taps "Allow" on the device.
    Prompt,
}

#[derive(Debug)]
pub struct Control {
    auth_mode: AuthMode,
    authorized: watch::Sender<bool>,
    kill: watch::Sender<u64>,
    online: AtomicBool,
    /// Drop connections when this many more commands have been opened.
    drop_after: Mutex<Option<u64>>,
    commands: AtomicU64,
    pub(crate) active_streams: AtomicUsize,
    seed: u8,
}

impl Control {
    pub fn new(auth_mode: AuthMode, seed: u8) -> Self {
        Self {
            auth_mode,
            authorized: watch::Sender::new(auth_mode == AuthMode::Accept),
            kill: watch::Sender::new(0),
            online: AtomicBool::new(true),
            drop_after: Mutex::new(None),
            commands: AtomicU64::new(0),
            active_streams: AtomicUsize::new(0),
            seed,
        }
    }

    pub fn auth_mode(&self) -> AuthMode {
        self.auth_mode
    }

    pub fn authorized(&self) -> bool {
        *self.authorized.borrow()
    }

    /// Authorises (or de-authorises) the host. In `reject` mode this is
    /// ignored: that device never authorises.
    pub fn set_authorized(&self, yes: bool) {
        if self.auth_mode != AuthMode::Reject {
            self.authorized.send_replace(yes);
        }
    }

    pub(crate) fn auth_watch(&self) -> watch::Receiver<bool> {
        self.authorized.subscribe()
    }

    pub(crate) fn kill_signal(&self) -> watch::Receiver<u64> {
        self.kill.subscribe()
    }

    /// Drops every open connection now (the adb server sees the device go).
    pub fn drop_connections(&self) {
        self.kill.send_modify(|n| *n += 1);
    }

    /// Takes the device offline (connections dropped, new ones refused) or
    /// brings it back.
    pub fn set_online(&self, online: bool) {
        self.online.store(online, Ordering::SeqCst);
        if !online {
            self.drop_connections();
        }
    }

    pub fn is_online(&self) -> bool {
        self.online.load(Ordering::SeqCst)
    }

    /// Drops the connection after `n` more commands (`None`: never).
    pub fn drop_after_commands(&self, n: Option<u64>) {
        if let Ok(mut d) = self.drop_after.lock() {
            *d = n.map(|n| self.commands.load(Ordering::SeqCst) + n);
        }
    }

    /// Counts an opened command; true when the connection must now drop.
    pub(crate) fn note_command(&self) -> bool {
        let count = self.commands.fetch_add(1, Ordering::SeqCst) + 1;
        match self.drop_after.lock() {
            Ok(mut d) => match *d {
                Some(limit) if count >= limit => {
                    *d = None;
                    true
                }
                _ => false,
            },
            Err(_) => false,
        }
    }

    /// Commands opened so far on this device.
    pub fn commands_seen(&self) -> u64 {
        self.commands.load(Ordering::SeqCst)
    }

    pub(crate) fn serial_seed(&self) -> u8 {
        self.seed
    }
}
