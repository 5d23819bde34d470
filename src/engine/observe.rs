//! Seeing the screen cheaply. A UI dump costs about 2 s on a real device
//! and a screenshot about 150 ms, so the engine waits on screenshots and
//! dumps only when the picture shows something new:
//!
//! - **settling**: after an action, screenshots are taken with a growing
//!   pause (50 ms doubling to 400 ms) until two in a row are identical; a
//!   picture still identical to the one before the action is given a
//!   window to change before the action counts as having changed nothing;
//! - **a screen cache**: a picture identical to one seen before reuses that
//!   screen's dump and reading, so going back and re-checking cost no dump;
//! - **dump retries**: a dump that fails now and then ("could not get idle
//!   state", empty output, a malformed document) is taken again with a
//!   pause, up to [`DUMP_ATTEMPTS`] times.
//!
//! The picture's hash leaves out the status bar (the top 2.5 %), whose
//! clock and icons change without the app doing anything
//! ([`crate::vision::picture_hash`]). Pictures are held as the device's
//! PNG bytes; pixels are decoded, or streamed, only when a reading or a
//! template needs them.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::device::{Device, DeviceError, ErrorKind, Screenshot, UiDump};
use crate::evidence::Counters;
use crate::screen::{self, Understanding, Wording};

/// Attempts at a UI dump before the error is the step's.
pub const DUMP_ATTEMPTS: u32 = 6;
/// Screens kept in the cache.
const CACHE_SIZE: usize = 64;
const FIRST_POLL: Duration = Duration::from_millis(50);
const MAX_POLL: Duration = Duration::from_millis(400);
/// How long a picture just taken stands for the screen.
const FRESH: Duration = Duration::from_millis(250);

/// How long to wait for a screen to settle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettleOptions {
    /// At most this long for two identical screenshots in a row.
    pub timeout: Duration,
    /// After an action, how long a picture identical to the one before it
    /// may stay so before the action counts as having changed nothing.
    pub change_window: Duration,
}

impl Default for SettleOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            change_window: Duration::from_secs(1),
        }
    }
}

/// A screen as seen: its picture, its dump and what it shows.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The picture's hash (status bar left out).
    pub hash: u64,
    pub shot: Arc<Screenshot>,
    pub dump: Arc<UiDump>,
    pub understanding: Arc<Understanding>,
    /// [`screen::fingerprint`] of the dump.
    pub fingerprint: String,
    /// Whether the dump came from the cache.
    pub cached: bool,
}

/// A settled picture.
#[derive(Debug, Clone)]
pub struct Settled {
    pub hash: u64,
    pub shot: Arc<Screenshot>,
    /// Whether it differs from the picture before the action.
    pub changed: bool,
    /// False when the screen was still changing at the timeout.
    pub stable: bool,
    /// Pictures that differed from the one before while waiting.
    pub changes: u32,
}

struct Cached {
    dump: Arc<UiDump>,
    understanding: Arc<Understanding>,
    fingerprint: String,
}

/// The engine's eyes on one device.
pub struct Observer {
    wording: Arc<Wording>,
    cache: HashMap<u64, Cached>,
    order: VecDeque<u64>,
    pub counters: Counters,
    /// The last picture's hash and when it was taken.
    last: Option<(u64, Instant)>,
}

impl Observer {
    pub fn new(wording: Arc<Wording>) -> Self {
        Self {
            wording,
            cache: HashMap::new(),
            order: VecDeque::new(),
            counters: Counters::default(),
            last: None,
        }
    }

    pub fn wording(&self) -> &Wording {
        &self.wording
    }

    /// One screenshot and its hash.
    pub async fn picture<D: Device>(
        &mut self,
        dev: &D,
    ) -> Result<(u64, Arc<Screenshot>), DeviceError> {
        let shot = dev.screenshot().await?;
        self.counters.screenshots += 1;
        let hash = shot.hash;
        self.last = Some((hash, Instant::now()));
        Ok((hash, Arc::new(shot)))
    }

    /// Waits for the screen to settle. `before` is the picture's hash
    /// before the action, if there was one.
    pub async fn settle<D: Device>(
        &mut self,
        dev: &D,
        before: Option<u64>,
        opts: SettleOptions,
    ) -> Result<Settled, DeviceError> {
        let start = Instant::now();
        let mut delay = FIRST_POLL;
        let (mut hash, mut shot) = self.picture(dev).await?;
        let mut changes = 0;
        loop {
            let unchanged = Some(hash) == before;
            if unchanged && start.elapsed() >= opts.change_window {
                return Ok(settled(hash, shot, false, true, changes));
            }
            if start.elapsed() >= opts.timeout {
                return Ok(settled(hash, shot, !unchanged, false, changes));
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(MAX_POLL);
            let (next, next_shot) = self.picture(dev).await?;
            if next == hash && !unchanged {
                return Ok(settled(next, next_shot, true, true, changes));
            }
            if next != hash {
                changes += 1;
            }
            hash = next;
            shot = next_shot;
        }
    }

    /// The hash of a picture taken less than [`FRESH`] ago: a settled
    /// screen seen that recently needs no new picture to be trusted.
    pub fn fresh_hash(&self) -> Option<u64> {
        self.last
            .filter(|(_, at)| at.elapsed() < FRESH)
            .map(|(h, _)| h)
    }

    /// Settles, then reads the screen (from the cache when the picture
    /// was seen before).
    pub async fn look<D: Device>(
        &mut self,
        dev: &D,
        before: Option<u64>,
        opts: SettleOptions,
    ) -> Result<(Seen, Settled), DeviceError> {
        let settled = self.settle(dev, before, opts).await?;
        let seen = self
            .read(dev, settled.hash, Arc::clone(&settled.shot))
            .await?;
        Ok((seen, settled))
    }

    /// The screen for a picture: cached, or dumped now.
    pub async fn read<D: Device>(
        &mut self,
        dev: &D,
        hash: u64,
        shot: Arc<Screenshot>,
    ) -> Result<Seen, DeviceError> {
        if let Some(c) = self.cache.get(&hash) {
            self.counters.cache_hits += 1;
            return Ok(Seen {
                hash,
                shot,
                dump: Arc::clone(&c.dump),
                understanding: Arc::clone(&c.understanding),
                fingerprint: c.fingerprint.clone(),
                cached: true,
            });
        }
        let dump = self.dump(dev).await?;
        let blank = shot
            .blankness(screen::BLANK_TOLERANCE)
            .ok()
            .map(|b| b.dominant_fraction);
        let understanding = screen::understand_with(&dump.tree, blank, &self.wording);
        let fingerprint = screen::fingerprint(&dump.tree).to_string();
        let c = Cached {
            dump: Arc::new(dump),
            understanding: Arc::new(understanding),
            fingerprint,
        };
        let seen = Seen {
            hash,
            shot,
            dump: Arc::clone(&c.dump),
            understanding: Arc::clone(&c.understanding),
            fingerprint: c.fingerprint.clone(),
            cached: false,
        };
        self.remember(hash, c);
        Ok(seen)
    }

    /// Forgets the screens: after something that changes what a picture
    /// means (typing into a field the picture does not show, a relaunch).
    pub fn forget(&mut self) {
        self.cache.clear();
        self.order.clear();
    }

    fn remember(&mut self, hash: u64, c: Cached) {
        if self.cache.insert(hash, c).is_none() {
            self.order.push_back(hash);
        }
        while self.order.len() > CACHE_SIZE {
            if let Some(old) = self.order.pop_front() {
                self.cache.remove(&old);
            }
        }
    }

    /// A UI dump, retried when it fails in a way that passes.
    async fn dump<D: Device>(&mut self, dev: &D) -> Result<UiDump, DeviceError> {
        let mut pause = Duration::from_millis(100);
        let mut attempt = 1;
        loop {
            self.counters.ui_dumps += 1;
            match dev.ui_tree_once().await {
                Ok(d) => return Ok(d),
                Err(e) if attempt < DUMP_ATTEMPTS && transient(&e) => {
                    tracing::debug!("dump failed, retrying: {e}");
                    self.counters.dump_retries += 1;
                    attempt += 1;
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// A dump failure worth another try: the UI was busy, the output was
/// empty or cut, or the dump stalled. A lost device is not.
fn transient(e: &DeviceError) -> bool {
    e.is_busy_dump()
        || matches!(
            e.kind,
            ErrorKind::Malformed { .. } | ErrorKind::Timeout { .. }
        )
}

/// A [`Settled`] from what the wait saw.
fn settled(
    hash: u64,
    shot: Arc<Screenshot>,
    changed: bool,
    stable: bool,
    seen_changes: u32,
) -> Settled {
    Settled {
        hash,
        shot,
        changed,
        stable,
        changes: seen_changes,
    }
}
