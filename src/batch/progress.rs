//! What a batch shows while it runs, on stderr: on a terminal, indicatif
//! bars (overall progress with the violations so far, and per device the
//! app and step it is on); elsewhere (CI, a pipe), one plain line per app
//! finished and per device lost or back. `-q` shows nothing.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::report::{AppResult, AppStatus};
use crate::verdict::{AppVerdicts, Verdict};

enum Mode {
    Bars {
        multi: MultiProgress,
        total: ProgressBar,
        devices: Mutex<BTreeMap<String, ProgressBar>>,
    },
    Lines,
    Quiet,
}

/// The progress display of a batch.
pub struct Progress {
    mode: Mode,
    planned: usize,
    state: Mutex<Counts>,
}

#[derive(Default)]
struct Counts {
    done: usize,
    violations: usize,
}

impl Progress {
    /// Bars when `tty`, lines otherwise; nothing when `quiet`.
    pub fn new(planned: usize, already: usize, tty: bool, quiet: bool) -> Self {
        let mode = if quiet {
            Mode::Quiet
        } else if tty {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let total = multi.add(ProgressBar::new(planned as u64));
            total.set_style(
                ProgressStyle::with_template(
                    "{elapsed_precise} [{bar:30}] {pos}/{len} apps  {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            total.set_position(already as u64);
            total.set_message("0 violations");
            Mode::Bars {
                multi,
                total,
                devices: Mutex::new(BTreeMap::new()),
            }
        } else {
            Mode::Lines
        };
        Self {
            mode,
            planned,
            state: Mutex::new(Counts {
                done: already,
                violations: 0,
            }),
        }
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn device_bar(&self, serial: &str) -> Option<ProgressBar> {
        let Mode::Bars { multi, devices, .. } = &self.mode else {
            return None;
        };
        let mut d = devices
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Some(
            d.entry(serial.to_string())
                .or_insert_with(|| {
                    let b = multi.add(ProgressBar::new_spinner());
                    b.set_style(
                        ProgressStyle::with_template("  {spinner} {prefix:<20} {wide_msg}")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    );
                    b.set_prefix(serial.to_string());
                    b.enable_steady_tick(Duration::from_millis(200));
                    b
                })
                .clone(),
        )
    }

    /// A device starts an app.
    pub fn started(&self, serial: &str, app: &str, attempt: u32) {
        if let Some(b) = self.device_bar(serial) {
            let again = if attempt > 1 {
                format!(" (attempt {attempt})")
            } else {
                String::new()
            };
            b.set_message(format!("{app}{again}"));
        }
    }

    /// A device's app is at a step (`G-1-consent-refusal: tapOn "同意"`).
    pub fn step(&self, serial: &str, app: &str, step: &str) {
        if let Some(b) = self.device_bar(serial) {
            b.set_message(format!("{app}  {}", crate::screen::clean(step)));
        }
    }

    /// Something to say between the bars (a lost device, a retry).
    pub fn note(&self, text: &str) {
        match &self.mode {
            Mode::Bars { multi, .. } => {
                let _ = multi.println(text);
            }
            Mode::Lines => eprintln!("{text}"),
            Mode::Quiet => {}
        }
    }

    /// An app is done.
    pub fn finished(&self, serial: &str, r: &AppResult, v: Option<&AppVerdicts>, secs: u64) {
        let violations = v.map_or(0, |v| {
            v.categories
                .iter()
                .filter(|c| c.verdict == Verdict::Violation)
                .count()
        });
        let (done, total_violations) = {
            let mut c = self.counts();
            c.done += 1;
            c.violations += violations;
            (c.done, c.violations)
        };
        let what = match (r.status, v) {
            (AppStatus::Judged, Some(v)) => {
                let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
                for c in &v.categories {
                    *counts.entry(c.verdict.as_str()).or_default() += 1;
                }
                counts
                    .iter()
                    .map(|(k, n)| format!("{n} {k}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
            _ => format!(
                "error: {}",
                r.attempts
                    .last()
                    .and_then(|a| a.detail.clone())
                    .unwrap_or_default()
            ),
        };
        let retried = if r.retried { " (retried)" } else { "" };
        let line = format!(
            "[{done}/{}] {} on {serial}{retried}: {what} ({secs} s)",
            self.planned, r.package
        );
        match &self.mode {
            Mode::Bars { multi, total, .. } => {
                let _ = multi.println(line);
                total.set_position(done as u64);
                total.set_message(format!("{total_violations} violations"));
                if let Some(b) = self.device_bar(serial) {
                    b.set_message("idle");
                }
            }
            Mode::Lines => eprintln!("{line}"),
            Mode::Quiet => {}
        }
    }

    /// The batch is over: the bars go.
    pub fn clear(&self) {
        if let Mode::Bars {
            multi,
            total,
            devices,
        } = &self.mode
        {
            for b in devices
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .values()
            {
                b.finish_and_clear();
            }
            total.finish_and_clear();
            let _ = multi.clear();
        }
    }
}
