//! `landlord token new` and `landlord token digest`

use std::io::IsTerminal;

use anyhow::Context as _;
use landlord::auth::{self, Scope};

use super::output::{self, OutputFormat};
use super::remote::UsageError;
use super::{GlobalOpts, exit_status};

/// Bearer tokens for the HTTP API (`landlord serve`)
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Make a token: print it once, and the [[tokens]] table that lets it in
    #[command(after_help = concat!(
        "The token is printed once and kept nowhere: landlord.toml holds only its SHA-256. \
         A lost token is replaced, not recovered; removing its [[tokens]] table revokes it.\n\n\
         Examples:\n  landlord token new ci\n  landlord token new dashboard --scope read\n  landlord --output json token new deploy-bot\n\n",
        exit_status!()
    ))]
    New {
        /// Who the client is, in logs and the journal: 1 to 64 letters, digits, '.', '_' and '-'
        #[arg(value_parser = token_name)]
        name: String,
        /// What the token allows: `read` (look at tenants) or `write` (change them, which
        /// includes read); repeat for both [default: read and write]
        #[arg(long = "scope", value_name = "SCOPE", value_parser = scope)]
        scopes: Vec<Scope>,
    },
    /// Print the SHA-256 of a token read from stdin, for a token made by other means
    #[command(after_help = concat!(
        "One trailing newline is ignored. The token must be what a client can send: \
         1 to 256 printable ASCII characters, no spaces.\n\n\
         Examples:\n  printf %s \"$LANDLORD_TOKEN\" | landlord token digest\n  openssl rand -hex 32 | tee token.txt | landlord token digest\n\n",
        exit_status!()
    ))]
    Digest,
}

pub(crate) fn run(global: &GlobalOpts, command: Command) -> anyhow::Result<()> {
    match command {
        Command::New { name, scopes } => new(global, name, scopes),
        Command::Digest => digest(global),
    }
}

/// `NAME`, checked by the rule `landlord.toml` applies.
fn token_name(text: &str) -> Result<String, String> {
    auth::check_token_name(text)
        .map(|()| text.to_owned())
        .map_err(|reason| format!("{reason}; {}", auth::TOKEN_NAME_RULE))
}

fn scope(text: &str) -> Result<Scope, auth::UnknownScope> {
    text.parse()
}

fn new(global: &GlobalOpts, name: String, mut scopes: Vec<Scope>) -> anyhow::Result<()> {
    if scopes.is_empty() {
        scopes = Scope::ALL.to_vec();
    }
    scopes.sort_unstable();
    scopes.dedup();
    let token = auth::new_token().context("cannot get random bytes for a token")?;
    let sha256 = auth::digest(&token);
    match global.output {
        OutputFormat::Json => output::json(&serde_json::json!({
            "name": name,
            "token": token,
            "sha256": sha256,
            "scopes": scopes,
        })),
        OutputFormat::Text => {
            let scopes = scopes
                .iter()
                .map(|scope| format!("\"{scope}\""))
                .collect::<Vec<_>>()
                .join(", ");
            output::lines(&[
                "token (shown once; keep it secret, give it to the client as LANDLORD_TOKEN):"
                    .to_owned(),
                format!("  {token}"),
                "add to landlord.toml:".to_owned(),
                "  [[tokens]]".to_owned(),
                // The name rule leaves nothing to escape in a TOML string.
                format!("  name = \"{name}\""),
                format!("  sha256 = \"{sha256}\""),
                format!("  scopes = [{scopes}]"),
            ])
        }
    }
}

fn digest(global: &GlobalOpts) -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        tracing::warn!("reading the token from the terminal; end it with Ctrl-D");
    }
    // A little more than the longest token, for a trailing CRLF.
    let bytes = landlord::input::read_bounded(stdin.lock(), auth::MAX_TOKEN_BYTES as u64 + 2)
        .context("cannot read a token from stdin")?;
    let token = bytes
        .strip_suffix(b"\n")
        .map(|rest| rest.strip_suffix(b"\r").unwrap_or(rest))
        .unwrap_or(&bytes);
    // The check `authenticate` applies; the message quotes none of it.
    let token = std::str::from_utf8(token)
        .ok()
        .filter(|token| auth::is_well_formed(token.as_bytes()))
        .ok_or_else(|| {
            UsageError(format!(
                "stdin does not hold a token a client can send: 1 to {} printable ASCII characters, no spaces (and one newline at most, at the end)",
                auth::MAX_TOKEN_BYTES
            ))
        })?;
    let sha256 = auth::digest(token);
    match global.output {
        OutputFormat::Json => output::json(&serde_json::json!({ "sha256": sha256 })),
        OutputFormat::Text => output::lines(&[sha256]),
    }
}
