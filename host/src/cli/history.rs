//! `landlord history [<tenant-id>]`

use landlord::state::CallOutcome;

use super::output::{self, OutputFormat};
use super::{GlobalOpts, exit_status};

/// The operation journal: every provider call, oldest first
#[derive(Debug, clap::Args)]
#[command(after_help = concat!("Examples:\n  landlord history\n  landlord history acme\n  landlord --output json history acme\n\n", exit_status!()))]
pub(crate) struct Opts {
    /// Only the calls about this tenant
    tenant_id: Option<String>,
}

pub(crate) fn run(global: &GlobalOpts, opts: Opts) -> anyhow::Result<()> {
    let journal = super::context::journal(global, opts.tenant_id.as_deref())?;
    match global.output {
        OutputFormat::Json => output::json(&journal),
        OutputFormat::Text => {
            let rows: Vec<Vec<String>> = journal
                .iter()
                .map(|record| {
                    vec![
                        record.at.format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
                        record.operation.as_str().to_owned(),
                        record.tenant_id.clone(),
                        record.provider.clone(),
                        match &record.outcome {
                            CallOutcome::Ok => "ok".to_owned(),
                            CallOutcome::Failed { kind, .. } => output::name(kind),
                        },
                        format!("{:.1} ms", record.duration_ms),
                        output::bounded(record.reason.as_deref().unwrap_or("-"), 80),
                    ]
                })
                .collect();
            output::lines(&output::table(
                &[
                    "TIME (UTC)",
                    "OPERATION",
                    "TENANT",
                    "PROVIDER",
                    "OUTCOME",
                    "DURATION",
                    "REASON (RECONCILER)",
                ],
                &rows,
            ))
        }
    }
}
