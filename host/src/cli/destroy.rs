//! `landlord destroy <tenant-id>`

use landlord::compute::Operation;

use super::context::{Context, TenantArgs};
use super::output::{self, OutputFormat};
use super::{GlobalOpts, block_on, exit_status};

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
    let ctx = Context::open(global)?;
    let provider = opts.tenant.provider(&ctx)?;
    ctx.load(&provider)?;
    let _lock = ctx.lock_tenant(&opts.tenant.tenant_id)?;
    let outcome = block_on(
        ctx.manager
            .destroy_tenant(&opts.tenant.tenant_id, &provider),
    )?;
    ctx.index(
        Operation::Destroy,
        &opts.tenant.tenant_id,
        &provider,
        None,
        &outcome,
    )?;
    outcome?;
    match ctx.format {
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
