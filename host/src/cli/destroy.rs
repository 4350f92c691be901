//! `landlord destroy <tenant-id>`

use super::context::{Backend, TenantArgs};
use super::output::{self, OutputFormat};
use super::{GlobalOpts, exit_status};

/// Remove a tenant's compute (destroying a tenant that does not exist succeeds)
#[derive(Debug, clap::Args)]
#[command(after_help = concat!(
    "Examples:\n  landlord destroy acme\n  landlord destroy acme --provider mock\n\n",
    exit_status!()
))]
pub(crate) struct Opts {
    #[command(flatten)]
    tenant: TenantArgs,
}

pub(crate) fn run(global: &GlobalOpts, opts: Opts) -> anyhow::Result<()> {
    let backend = Backend::open(global)?;
    let provider = backend.destroy(&opts.tenant.tenant_id, opts.tenant.flag())?;
    match global.output {
        OutputFormat::Json => output::json(&serde_json::json!({
            "tenant_id": opts.tenant.tenant_id,
            "provider_type": provider,
            "destroyed": true,
        })),
        OutputFormat::Text => {
            output::lines(&[format!("destroyed {} on {provider}", opts.tenant.tenant_id)])
        }
    }
}
