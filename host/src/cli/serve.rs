//! `landlord serve`

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;

use landlord::auth::TokenTable;
use landlord::config::Config;
use landlord::server::{Server, ServerOptions, shutdown_signal};
use landlord::service::ComputeService;

use super::{GlobalOpts, exit_status};

/// Serve the HTTP API (docs/api.md) until SIGTERM or Ctrl-C
#[derive(Debug, clap::Args)]
#[command(after_help = concat!(
    "Listens on [server] listen in landlord.toml (default 127.0.0.1:7370), HTTPS when [server] \
     has cert and key. Needs at least one [[tokens]] table: make one with `landlord token new NAME`. \
     Prints `listening on URL` once it listens; /readyz answers 200 once every provider is loaded. \
     A read-only dashboard for a browser is at / (sign in with a token that has the read scope). \
     Once the providers are loaded it runs the reconciler every [reconcile] interval (default 30s), \
     healing drift and retrying failures (docs/reconcile.md); `reconcile = false` turns it off. \
     On SIGTERM or SIGINT new requests get 503, requests in flight finish (up to \
     [server] shutdown_grace_ms) and every operation started is journaled before it exits.\n\n\
     Examples:\n  landlord serve\n  landlord serve --listen 127.0.0.1:0\n  landlord serve --listen 0.0.0.0:7370 --insecure-http   # behind a TLS proxy\n\n",
    exit_status!()
))]
pub(crate) struct Opts {
    /// Listen on IP:PORT instead of [server] listen (port 0 picks a free one)
    #[arg(long, value_name = "IP:PORT")]
    listen: Option<SocketAddr>,
    /// Serve plain HTTP on a non-loopback address (only behind a proxy that terminates TLS)
    #[arg(long)]
    insecure_http: bool,
}

pub(crate) fn run(global: &GlobalOpts, opts: Opts) -> anyhow::Result<()> {
    if global.server.is_some() {
        return Err(super::remote::local_only("serve runs a server here"));
    }
    let config = Config::discover(global.config.as_deref())?;
    let state_dir = config.state_dir(global.state_dir.as_deref());
    let tokens = TokenTable::new(&config.tokens);
    let options = ServerOptions::from_config(&config, opts.listen, opts.insecure_http);
    let service = Arc::new(ComputeService::open(config, &state_dir)?);
    let server = Server::new(service, tokens, options.clone())?;
    let scheme = if options.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(server.run(shutdown_signal(), move |address| {
        // The one line on stdout: scripts and tests read the address here.
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "listening on {scheme}://{address}");
        let _ = stdout.flush();
    }))?;
    Ok(())
}
