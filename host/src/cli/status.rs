//! `landlord status <tenant-id>`

use super::context::{Backend, TenantArgs};
use super::output::{self, OutputFormat};
use super::{GlobalOpts, exit_status};

/// Show a tenant's current state, as its provider reports it
#[derive(Debug, clap::Args)]
#[command(after_help = concat!(
    "Examples:\n  landlord status acme\n  landlord --output json status acme | jq .state\n\n",
    exit_status!()
))]
pub(crate) struct Opts {
    #[command(flatten)]
    tenant: TenantArgs,
}

pub(crate) fn run(global: &GlobalOpts, opts: Opts) -> anyhow::Result<()> {
    let backend = Backend::open(global)?;
    let status = backend.status(&opts.tenant.tenant_id, opts.tenant.flag())?;
    match global.output {
        OutputFormat::Json => output::json(&status),
        OutputFormat::Text => {
            let mut lines = vec![format!(
                "{} on {}: {}, health {}",
                status.tenant_id,
                status.provider_type,
                output::name(&status.state),
                output::name(&status.health)
            )];
            let rows: Vec<Vec<String>> = status
                .containers
                .iter()
                .map(|c| {
                    vec![
                        c.name.clone(),
                        c.state.clone(),
                        if c.ready { "yes" } else { "no" }.to_owned(),
                        c.restart_count.to_string(),
                        c.message.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            lines.extend(
                output::table(
                    &["CONTAINER", "STATE", "READY", "RESTARTS", "MESSAGE"],
                    &rows,
                )
                .into_iter()
                .map(|line| format!("  {line}")),
            );
            for (key, value) in &status.metadata {
                lines.push(format!("  {key}: {value}"));
            }
            output::lines(&lines)
        }
    }
}
