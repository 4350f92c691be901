//! `landlord provision <spec-file>`

use super::output::{self, OutputFormat};
use super::spec::SpecArgs;
use super::{GlobalOpts, exit_status};

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
    let (backend, spec) = opts.spec.open(global)?;
    let result = backend.provision(spec)?;
    match global.output {
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
