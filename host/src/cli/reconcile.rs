//! `landlord reconcile`

use std::sync::Arc;
use std::time::Duration;

use landlord::config::Config;
use landlord::reconcile::{PassReport, Reconciler, parse_duration};
use landlord::server::shutdown_signal;
use landlord::service::ComputeService;
use tokio_util::sync::CancellationToken;

use super::output::{self, OutputFormat};
use super::{GlobalOpts, exit_status};

/// Bring tenants to their desired state: a pass now, then one every interval
#[derive(Debug, clap::Args)]
#[command(after_help = concat!(
    "Each pass reads every tenant's status (not deleted ones), records it, and when a tenant is \
     missing, drifted (a container gone or exited) or behind its desired generation, provisions, \
     updates or destroys it as its desired state says, journaled with the reason (see `landlord \
     history`). Failures retry with exponential backoff and jitter, up to [reconcile] \
     max_attempts; the pace is the same whether a server or cron runs it. Tenants are held as \
     user operations hold them, so this runs safely beside `landlord serve` (which runs its own \
     loop unless `reconcile = false`). Details: docs/reconcile.md.\n\n\
     Examples:\n  landlord reconcile --once\n  landlord reconcile --once --tenant acme\n  landlord reconcile --interval 10s\n\n",
    exit_status!()
))]
pub(crate) struct Opts {
    /// One pass, print what it did, and exit
    #[arg(long)]
    once: bool,
    /// Time between passes [default: [reconcile] interval, else 30s]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    interval: Option<Duration>,
    /// Only this tenant
    #[arg(long, value_name = "ID")]
    tenant: Option<String>,
}

pub(crate) fn run(global: &GlobalOpts, opts: Opts) -> anyhow::Result<()> {
    if global.server.is_some() {
        return Err(super::remote::local_only(
            "reconcile works on the state directory here; a server reconciles its own tenants",
        ));
    }
    if let Some(tenant) = &opts.tenant {
        landlord::compute::validate_tenant_id(tenant)?;
    }
    let config = Config::discover(global.config.as_deref())?;
    let state_dir = config.state_dir(global.state_dir.as_deref());
    let mut pace = config.reconcile;
    if let Some(interval) = opts.interval {
        pace.interval = interval;
    }
    pace.check().map_err(anyhow::Error::msg)?;
    let service = Arc::new(ComputeService::open(config, &state_dir)?);
    let reconciler = Reconciler::new(service, pace);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let stop = CancellationToken::new();
    runtime.block_on(async {
        let cancel = stop.clone();
        tokio::spawn(async move {
            shutdown_signal().await;
            cancel.cancel();
        });
        loop {
            let report = reconciler.pass(opts.tenant.as_deref(), &stop).await?;
            print(global, &report)?;
            if opts.once || stop.is_cancelled() {
                return anyhow::Ok(());
            }
            tokio::select! {
                () = tokio::time::sleep(pace.interval) => {}
                () = stop.cancelled() => return Ok(()),
            }
        }
    })
}

fn print(global: &GlobalOpts, report: &PassReport) -> anyhow::Result<()> {
    match global.output {
        OutputFormat::Json => output::json(report),
        OutputFormat::Text => output::lines(&[format!(
            "{} examined: {} as asked, {} settling, {} healed, {} failed, {} waiting for backoff, {} given up, {} skipped",
            report.examined,
            report.as_asked,
            report.settling,
            report.healed,
            report.failed,
            report.waiting,
            report.given_up,
            report.skipped
        )]),
    }
}
