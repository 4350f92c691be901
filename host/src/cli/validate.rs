//! `landlord validate <spec-file>`

use std::path::PathBuf;

use super::context::Context;
use super::output::{self, OutputFormat};
use super::{GlobalOpts, block_on, exit_status, spec};

/// Check a spec (the host's rules, then the provider's) without provisioning
#[derive(Debug, clap::Args)]
#[command(after_help = concat!(
    "Examples:\n  landlord validate examples/tenant.json\n  cat tenant.yaml | landlord validate -\n\n",
    exit_status!()
))]
pub(crate) struct Opts {
    /// The spec file, or `-` for stdin
    spec: PathBuf,
    /// Use this provider instead of the spec's provider_type
    #[arg(long)]
    provider: Option<String>,
}

pub(crate) fn run(global: &GlobalOpts, opts: Opts) -> anyhow::Result<()> {
    let mut spec = spec::read(&opts.spec)?;
    let ctx = Context::open(global)?;
    ctx.choose_provider(&mut spec, opts.provider.as_deref());
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
