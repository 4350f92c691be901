//! `landlord update <tenant-id> <spec-file>`

use landlord::compute::UpdateStatus;

use super::output::{self, OutputFormat};
use super::spec::SpecArgs;
use super::{GlobalOpts, exit_status};

/// Bring an existing tenant to a new spec, listing what changed
#[derive(Debug, clap::Args)]
#[command(after_help = concat!(
    "Examples:\n  landlord update acme examples/tenant.json\n  landlord --output json update acme tenant.yaml\n\n",
    exit_status!()
))]
pub(crate) struct Opts {
    /// The tenant to update (must equal the spec's tenant_id)
    tenant_id: String,
    #[command(flatten)]
    spec: SpecArgs,
}

pub(crate) fn run(global: &GlobalOpts, opts: Opts) -> anyhow::Result<()> {
    let (backend, spec) = opts.spec.open(global)?;
    let result = backend.update(&opts.tenant_id, spec)?;
    match global.output {
        OutputFormat::Json => output::json(&result),
        OutputFormat::Text if result.status == UpdateStatus::NoChanges => {
            output::lines(&[format!(
                "{} on {} is up to date: no changes",
                result.tenant_id, result.provider_type
            )])
        }
        OutputFormat::Text => {
            let mut lines = vec![format!(
                "updated {} on {}: {}",
                result.tenant_id,
                result.provider_type,
                output::name(&result.status)
            )];
            lines.extend(result.changes.iter().map(|change| format!("  - {change}")));
            output::lines(&lines)
        }
    }
}
