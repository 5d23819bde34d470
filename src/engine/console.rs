//! The transcript `consentry run` prints: a header, one line per step with
//! its duration (as Maestro prints), dialogs and expectations as they
//! happen, and a summary. `verbose` adds each step's notes. App text is
//! printed with control characters escaped.

use std::io::Write;

use crate::evidence::{DialogEvent, Run, Status, StepRecord, StepStatus};
use crate::scenario::model::Scenario;
use crate::screen::clean;

/// Where and how the transcript is printed.
#[derive(Debug, Clone, Copy, Default)]
pub struct Console {
    /// Print nothing (`-q`).
    pub quiet: bool,
    /// Print notes (`-v`).
    pub verbose: bool,
    pub color: bool,
}

impl Console {
    fn line(self, text: &str) {
        if self.quiet {
            return;
        }
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{text}").and_then(|()| out.flush());
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    pub fn start(self, scenario: &Scenario, package: &str, serial: &str) {
        self.line(&format!(
            "{} {}  app {}  device {}",
            self.paint("1", "▶"),
            clean(&scenario.header.name),
            package,
            serial
        ));
    }

    pub fn step(self, rec: &StepRecord, depth: usize) {
        let (mark, code) = match rec.status {
            StepStatus::Passed => ("✓", "32"),
            StepStatus::Failed => ("✗", "31"),
            StepStatus::FailedOptional => ("!", "33"),
            StepStatus::Skipped => ("-", "2"),
        };
        let secs = f64::from(u32::try_from(rec.end_ms - rec.start_ms).unwrap_or(u32::MAX)) / 1000.0;
        let label = rec
            .label
            .as_ref()
            .map_or_else(String::new, |l| format!(" [{}]", clean(l)));
        self.line(&format!(
            "{}{} {}{}  ({secs:.1} s)",
            "  ".repeat(depth + 1),
            self.paint(code, mark),
            clean(&rec.title),
            label
        ));
        let pad = "  ".repeat(depth + 2);
        if let Some(e) = &rec.error {
            self.line(&format!("{pad}{}", self.paint("31", &clean(e))));
        }
        if self.verbose {
            for n in &rec.notes {
                self.line(&format!("{pad}· {}", clean(n)));
            }
        }
    }

    pub fn dialog(self, d: &DialogEvent) {
        let what = d.permission.as_deref().unwrap_or("");
        self.line(&format!(
            "    {} {:?} dialog {} → {} ({}{})",
            self.paint("35", "◆"),
            d.kind,
            what,
            d.answer,
            d.by,
            if d.user_triggered {
                ", after a tap"
            } else {
                ", app asked by itself"
            }
        ));
    }

    pub fn expectation(self, check: &str, passed: bool, detail: Option<&str>) {
        let mark = if passed {
            self.paint("32", "✓")
        } else {
            self.paint("31", "✗")
        };
        self.line(&format!(
            "      {mark} expect {}{}",
            clean(check),
            detail.map_or_else(String::new, |d| format!(": {}", clean(d)))
        ));
    }

    pub fn finish(self, run: &Run) {
        let passed = run
            .steps
            .iter()
            .filter(|s| s.status == StepStatus::Passed)
            .count();
        let failed_expect = run.expectations.iter().filter(|e| !e.passed).count();
        let status = match run.result.status {
            Status::Passed => self.paint("32", "passed"),
            Status::Failed => self.paint("31", "failed"),
            Status::Error => self.paint("31", "error"),
        };
        self.line(&format!(
            "{status}: {passed}/{} steps, {} dialogs, {} marks, {failed_expect} failed expectations, {:.1} s  ({} dumps, {} screenshots)",
            run.steps.len(),
            run.dialogs.len(),
            run.marks.len(),
            f64::from(u32::try_from(run.duration_ms).unwrap_or(u32::MAX)) / 1000.0,
            run.counters.ui_dumps,
            run.counters.screenshots,
        ));
        if let Some(f) = &run.result.failure {
            let at = f.at.as_deref().unwrap_or("setup");
            self.line(&format!("  at {at}: {}", clean(&f.message)));
            if let Some(d) = &f.did_you_mean {
                self.line(&format!("  did you mean {:?}?", clean(d)));
            }
            if !f.on_screen.is_empty() {
                let texts: Vec<String> = f
                    .on_screen
                    .iter()
                    .map(|t| format!("{:?}", clean(t)))
                    .collect();
                self.line(&format!("  on screen: {}", texts.join(", ")));
            }
        }
    }
}
