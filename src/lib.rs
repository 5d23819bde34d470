//! consentry: tests Android apps on emulators for behaviour that infringes
//! users' rights, and judges each app per violation category with evidence.
//!
//! The pipeline (see `docs/architecture.md`): scenarios are loaded and
//! validated (`scenario`), run on a device by the engine, recorded as an
//! evidence timeline, judged by pure detectors into per-category verdicts,
//! and reported. This crate holds every stage; `src/main.rs` only calls
//! [`cli::main`].

pub mod android;
pub mod batch;
pub mod category;
pub mod cli;
pub mod datafile;
pub mod detect;
pub mod device;
pub mod emulator;
pub mod engine;
pub mod evidence;
pub mod exit;
pub mod history;
pub mod net;
pub mod report;
pub mod scenario;
pub mod screen;
pub mod sim;
pub mod suite;
pub mod verdict;
pub mod vision;

/// `consentry X.Y.Z`: the tool as records name it.
pub fn tool() -> String {
    format!("consentry {}", env!("CARGO_PKG_VERSION"))
}
