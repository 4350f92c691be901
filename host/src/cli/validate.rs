//! `landlord validate <spec-file>`

use super::output::{self, OutputFormat};
use super::spec::SpecArgs;
use super::{GlobalOpts, exit_status};

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
    let (backend, spec) = opts.spec.open(global)?;
    let tenant_id = spec.tenant_id.clone();
    let provider = backend.validate(spec)?;
    match global.output {
        OutputFormat::Json => output::json(&serde_json::json!({
            "tenant_id": tenant_id,
            "provider_type": provider,
            "valid": true,
        })),
        OutputFormat::Text => output::lines(&[format!(
            "the spec for {} is valid for provider {}",
            tenant_id, provider
        )]),
    }
}
