//! `landlord provision <spec-file>`

use landlord::compute::{Operation, validate_compute_spec};

use super::output::{self, OutputFormat};
use super::spec::SpecArgs;
use super::{GlobalOpts, block_on, exit_status};

/// Provision a tenant from a spec file (JSON or YAML)
#[derive(Debug, clap::Args)]
#[command(after_help = concat!(
    "Examples:\n  landlord provision examples/tenant.json\n  landlord provision --provider mock - < tenant.yaml\n\n",
    exit_status!()
))]
pub(crate) struct Opts {
    #[command(flatten)]
    spec: SpecArgs,
}

pub(crate) fn run(global: &GlobalOpts, opts: Opts) -> anyhow::Result<()> {
    let (ctx, spec) = opts.spec.open(global)?;
    validate_compute_spec(&spec)?;
    ctx.load(&spec.provider_type)?;
    let _lock = ctx.lock_tenant(&spec.tenant_id)?;
    let outcome = block_on(ctx.manager.provision_tenant(&spec))?;
    ctx.index(
        Operation::Provision,
        &spec.tenant_id,
        &spec.provider_type,
        Some(&spec),
        &outcome,
    )?;
    let result = outcome?;
    match ctx.format {
        OutputFormat::Json => output::json(&result),
        OutputFormat::Text => {
            let mut lines = vec![format!(
                "provisioned {} on {}: {}",
                result.tenant_id,
                result.provider_type,
                output::name(&result.status)
            )];
            for (kind, id) in &result.resource_ids {
                lines.push(format!("  resource  {kind}  {id}"));
            }
            for endpoint in &result.endpoints {
                lines.push(format!(
                    "  endpoint  {}",
                    endpoint
                        .url
                        .clone()
                        .unwrap_or_else(|| format!("{}:{}", endpoint.address, endpoint.port))
                ));
            }
            output::lines(&lines)
        }
    }
}
