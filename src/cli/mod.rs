//! The command line: clap commands, logging set-up, and the mapping of every
//! outcome to an exit code from [`crate::exit`].
//!
//! Behaviour follows ripgrep and nextest: `-v`/`-q` are global and stack,
//! `RUST_LOG` overrides them through `tracing`, `--color` applies to every
//! command, and results go to stdout while diagnostics go to stderr.

mod analyze;
mod batch;
mod devices;
mod emulator;
mod history;
mod inspect;
mod match_cmd;
mod parse;
mod report;
mod run;
mod sim;
mod standin;
mod validate;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use tracing_subscriber::EnvFilter;

use crate::exit::Exit;

/// When to use colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ColorChoice {
    /// Colour when the output is a terminal and NO_COLOR is unset.
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to colour a stream that is (or is not) a terminal.
    pub fn enabled(self, is_terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }
}

/// The schemas `consentry schema` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum SchemaOf {
    /// Scenario files (schemas/scenario.schema.json).
    #[default]
    Scenario,
    /// A run directory's run.json (schemas/evidence.schema.json).
    Evidence,
    /// The verdicts of an app (schemas/verdict.schema.json).
    Verdict,
    /// A batch's app list (schemas/apps.schema.json).
    Apps,
    /// A batch's report.json (schemas/report.schema.json).
    Report,
}

/// Global options shared by every command.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// More output: -v info, -vv debug, -vvv trace (RUST_LOG overrides).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Less output: -q hides warnings and summaries, -qq hides errors' details.
    #[arg(short, long, action = clap::ArgAction::Count, global = true, conflicts_with = "verbose")]
    pub quiet: u8,
    /// When to use colours.
    #[arg(long, value_enum, default_value_t, global = true, value_name = "WHEN")]
    pub color: ColorChoice,
}

/// Tests Android apps for behaviour that infringes users' rights: runs YAML
/// scenarios (consent refusal, permission denial, logout, account deletion)
/// on emulators through adb, gathers evidence, and judges each app per
/// violation category.
#[derive(Debug, Parser)]
#[command(
    name = "consentry",
    version,
    propagate_version = true,
    after_help = "Exit codes: 0 pass, 1 violation (match: no match), 2 usage or input error, 3 inconclusive.\nDocs: docs/ in the repository; scenario format: docs/scenario-format.md."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

// Parsed once per process: the size of the largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check scenario files and directories without running them.
    Validate(validate::ValidateArgs),
    /// Run scenarios against an app on a device: a transcript, and a run directory of evidence (docs/evidence.md).
    Run(run::RunArgs),
    /// Run a suite over an app list on a pool of devices: verdicts per app, reports, history (docs/batch.md).
    Batch(batch::BatchArgs),
    /// Android emulators: list the SDK's AVDs, boot instances headless, stop them (docs/emulators.md).
    Emulator(emulator::EmulatorArgs),
    /// Re-judge saved run directories offline, without a device: the verdict per category (docs/categories.md).
    Analyze(analyze::AnalyzeArgs),
    /// List the adb server's devices with their state, model, SDK level and usability; exits 0 when one is usable.
    Devices(devices::DevicesArgs),
    /// Serve simulated Android devices over the adbd protocol until killed (see docs/sim.md).
    Sim(sim::SimArgs),
    /// Control a running simulator: take devices offline, drop connections, stall commands, fail dumps.
    Simctl(sim::SimctlArgs),
    /// Write a batch's reports again (JSON, JUnit, HTML, Markdown), or merge shards' reports (docs/reports.md).
    Report(report::ReportArgs),
    /// The batch history (SQLite): the runs, and what changed between two of them.
    History(history::HistoryArgs),
    /// Parse captured Android output (logcat, dumpsys, uiautomator, getprop, ...) and print it as JSON.
    Parse(parse::ParseArgs),
    /// Find a template image in a screenshot; prints JSON, exits 0 matched, 1 not matched.
    Match(match_cmd::MatchArgs),
    /// Show what a screen is (permission, crash, consent dialog, ...) and what its buttons do, from a saved dump or a device.
    Inspect(inspect::InspectArgs),
    /// Stand in for the Android emulator executable (tests' fake SDK; see docs/sim.md).
    #[command(name = "emulator-standin", hide = true)]
    EmulatorStandin(standin::StandinArgs),
    /// Print a JSON Schema: scenario files, run.json, verdicts, app lists, report.json.
    Schema {
        /// Which schema.
        #[arg(value_enum, default_value_t)]
        of: SchemaOf,
    },
    /// Print shell completions, e.g. `consentry completions bash > /etc/bash_completion.d/consentry`.
    Completions {
        /// The shell to generate completions for.
        shell: clap_complete::Shell,
    },
}

fn init_logging(global: &GlobalArgs) {
    let level = match (global.verbose, global.quiet) {
        (0, 0) => "warn",
        (1, _) => "info",
        (2, _) => "debug",
        (v, _) if v >= 3 => "trace",
        (_, 1) => "error",
        _ => "off",
    };
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("consentry={level}")));
    let ansi = global.color.enabled(std::io::stderr().is_terminal());
    // A second initialisation (tests calling `run` twice) is harmless.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(false)
        .try_init();
}

/// Runs a parsed command line and returns its exit code.
pub fn run(cli: Cli) -> Exit {
    init_logging(&cli.global);
    match cli.command {
        Command::Validate(args) => validate::run(&args, &cli.global),
        Command::Run(args) => run::run(&args, &cli.global),
        Command::Analyze(args) => analyze::run(&args, &cli.global),
        Command::Emulator(args) => emulator::run(&args),
        Command::Batch(args) => batch::run(&args, &cli.global),
        Command::Report(args) => report::run(&args, &cli.global),
        Command::History(args) => history::run(&args),
        Command::Parse(args) => parse::run(&args),
        Command::Devices(args) => devices::run(&args),
        Command::Sim(args) => sim::run(&args),
        Command::Simctl(args) => sim::simctl(&args),
        Command::Match(args) => match_cmd::run(&args),
        Command::Inspect(args) => inspect::run(&args),
        Command::EmulatorStandin(args) => standin::run(&args),
        Command::Schema { of } => {
            print_stdout(&match of {
                SchemaOf::Scenario => crate::scenario::schema_json(),
                SchemaOf::Evidence => crate::evidence::schema_json(),
                SchemaOf::Verdict => crate::verdict::schema_json(),
                SchemaOf::Apps => crate::batch::apps::schema_json(),
                SchemaOf::Report => crate::report::schema_json(),
            });
            Exit::Success
        }
        Command::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "consentry", &mut buf);
            print_stdout(&String::from_utf8_lossy(&buf));
            Exit::Success
        }
    }
}

/// The async runtime of the commands that drive devices: one worker per
/// core (at least two), since each device's screenshots are decoded and
/// compared on them.
pub(crate) fn runtime(command: &str) -> Result<tokio::runtime::Runtime, String> {
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().max(2));
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .map_err(|e| format!("consentry {command}: cannot start the async runtime: {e}"))
}

/// Writes to stdout, ignoring a closed pipe (`consentry schema | head`)
/// instead of panicking as `print!` does.
pub(crate) fn print_stdout(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// The entry point of the binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    Exit::Success.into()
                }
                _ => Exit::Usage.into(),
            };
        }
    };
    run(cli).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
