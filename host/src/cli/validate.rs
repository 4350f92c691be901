//! `landlord validate <spec-file>`

use landlord::compute::validate_compute_spec;

use super::output::{self, OutputFormat};
use super::spec::SpecArgs;
use super::{GlobalOpts, block_on, exit_status};

/// Check a spec (the host's rules, then the provider's) without provisioning
#[derive(Debug, clap::Args)]
#[command(after_help = concat!(
    "Examples:\n  landlord validate examples/tenant.json\n  cat tenant.yaml | landlord validate -\n\n",
    exit_status!()
))]
pub(crate) struct Opts {
    #[command(flatten)]
    spec: SpecArgs,
}

pub(crate) fn run(global: &GlobalOpts, opts: Opts) -> anyhow::Result<()> {
    let (ctx, spec) = opts.spec.open(global)?;
    // The host's own rules first: a spec that breaks them reaches no provider.
    validate_compute_spec(&spec)?;
    ctx.load(&spec.provider_type)?;
    block_on(ctx.manager.validate_tenant_spec(&spec))??;
    match ctx.format {
        OutputFormat::Json => output::json(&serde_json::json!({
            "tenant_id": spec.tenant_id,
            "provider_type": spec.provider_type,
            "valid": true,
        })),
        OutputFormat::Text => output::lines(&[format!(
            "the spec for {} is valid for provider {}",
            spec.tenant_id, spec.provider_type
        )]),
    }
}
