//! The `landlord` command: provision, update, destroy and inspect tenants
//! through sandboxed provider components. See `docs/cli.md`.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
