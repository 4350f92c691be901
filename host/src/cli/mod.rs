//! The command line: global options, one module per subcommand (each an
//! `Opts` struct and a `run`), error printing and exit codes.

mod context;
mod destroy;
mod exit;
mod history;
mod output;
mod providers;
mod provision;
mod reconcile;
mod remote;
mod serve;
mod spec;
mod status;
mod tenants;
mod token;
mod update;
mod validate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use self::output::OutputFormat;

/// The exit status table, for every `--help` (a macro so `concat!` can use it).
macro_rules! exit_status {
    () => {
        "Exit status:
  0  success
  1  the provider failed the operation (provision/update/operation failed, state store)
  2  usage or configuration error (bad flags, unreadable config, missing spec file, digest mismatch)
  3  invalid spec (malformed, past an input limit, the host's validation or the provider's)
  4  provider not found
  5  tenant not found
  6  the sandbox contained the provider (trap, timeout, memory/fuel/stack/output/state limit, invalid result)
  7  the tenant exists already: provisioned with another spec (use update) or on another provider
  8  the provider is quarantined (it failed, contained, too often in a row); try after the time given"
    };
}
pub(crate) use exit_status;

/// Provision and manage tenant compute through sandboxed WebAssembly providers.
#[derive(Debug, Parser)]
#[command(
    name = "landlord",
    version,
    after_help = concat!(
        "Examples:\n  landlord provision examples/tenant.json\n  landlord status acme\n  landlord --output json tenants list\n\n",
        exit_status!()
    )
)]
pub(crate) struct Cli {
    #[command(flatten)]
    global: GlobalOpts,
    #[command(subcommand)]
    command: Command,
}

/// Options every subcommand takes.
#[derive(Debug, clap::Args)]
pub(crate) struct GlobalOpts {
    /// Configuration file [default: $LANDLORD_CONFIG, else ./landlord.toml if present]
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Where state, the journal and the component cache live
    /// [default: $LANDLORD_STATE_DIR, else the config's state_dir, else the platform data dir]
    #[arg(long, global = true, value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// Output format: `text` for people, `json` for scripts
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Text)]
    output: OutputFormat,
    /// More log output (-v info, -vv debug, -vvv trace); logs go to stderr
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Only errors on stderr
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Run tenant commands against this `landlord serve` (http(s)://HOST:PORT) instead of the
    /// local state directory; the token comes from $LANDLORD_TOKEN or --token-file
    #[arg(long, global = true, env = "LANDLORD_SERVER", value_name = "URL")]
    server: Option<String>,
    /// A file whose first line is the token for --server (when $LANDLORD_TOKEN is not set)
    #[arg(long, global = true, env = "LANDLORD_TOKEN_FILE", value_name = "FILE")]
    token_file: Option<PathBuf>,
}

/// Run a tenant operation on the calling thread's runtime (with timers:
/// provider calls run under a deadline; and I/O: providers granted outbound
/// HTTP use tokio's sockets).
pub(crate) fn block_on<F: Future>(future: F) -> anyhow::Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    Ok(runtime.block_on(future))
}

#[derive(Debug, Subcommand)]
enum Command {
    Provision(provision::Opts),
    Update(update::Opts),
    Destroy(destroy::Opts),
    Status(status::Opts),
    Validate(validate::Opts),
    #[command(subcommand)]
    Providers(providers::Command),
    #[command(subcommand)]
    Tenants(tenants::Command),
    History(history::Opts),
    Reconcile(reconcile::Opts),
    Serve(serve::Opts),
    #[command(subcommand)]
    Token(token::Command),
}

pub(crate) fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.global);
    let result = match cli.command {
        Command::Provision(opts) => provision::run(&cli.global, opts),
        Command::Update(opts) => update::run(&cli.global, opts),
        Command::Destroy(opts) => destroy::run(&cli.global, opts),
        Command::Status(opts) => status::run(&cli.global, opts),
        Command::Validate(opts) => validate::run(&cli.global, opts),
        Command::Providers(command) => providers::run(&cli.global, command),
        Command::Tenants(command) => tenants::run(&cli.global, command),
        Command::History(opts) => history::run(&cli.global, opts),
        Command::Reconcile(opts) => reconcile::run(&cli.global, opts),
        Command::Serve(opts) => serve::run(&cli.global, opts),
        Command::Token(command) => token::run(&cli.global, command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => exit::report(&err),
    }
}

fn init_logging(global: &GlobalOpts) {
    let level = match (global.quiet, global.verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        (false, _) => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("LANDLORD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour_stderr())
        .with_target(false)
        .init();
}

/// Colour the log only on a terminal, and never when `NO_COLOR` is set to
/// anything but the empty string (https://no-color.org).
fn colour_stderr() -> bool {
    use std::io::IsTerminal;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
    !no_color && std::io::stderr().is_terminal()
}
