//! `consentry emulator-standin ARGS...` (hidden): the stand-in for the
//! Android emulator executable that a fake SDK's `emulator/emulator` script
//! runs (`sim::emulator::write_fake_sdk`). The emulator's options are
//! single-dash long flags, so they are taken raw and parsed by
//! `sim::emulator`.

use clap::Args;

use crate::exit::Exit;
use crate::sim::emulator::{self, Env};

#[derive(Debug, Clone, Args)]
#[command(disable_help_flag = true)]
pub struct StandinArgs {
    /// The emulator's own options (`-avd NAME`, `-port N`, `-list-avds`, ...).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
    pub args: Vec<String>,
}

/// Runs the stand-in; its statuses are the emulator's, 0 or 1.
pub(super) fn run(args: &StandinArgs) -> Exit {
    match emulator::main(&args.args, &Env::from_process()) {
        0 => Exit::Success,
        _ => Exit::Violation,
    }
}
