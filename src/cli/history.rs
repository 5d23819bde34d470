//! `consentry history list|diff` (stub until the history store lands).

use clap::Args;

use crate::exit::Exit;

#[derive(Debug, Clone, Args)]
pub struct HistoryArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    pub args: Vec<String>,
}

pub(super) fn run(_args: &HistoryArgs) -> Exit {
    eprintln!("consentry history: not yet available");
    Exit::Usage
}
