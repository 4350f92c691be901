//! `landlord tenants list`

use super::output::{self, OutputFormat};
use super::{GlobalOpts, exit_status};

/// Tenants this state directory knows
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// List every tenant: provider, lifecycle state, desired/observed generation, last operation, reason and when
    #[command(after_help = concat!("Examples:\n  landlord tenants list\n  landlord --output json tenants list\n\n", exit_status!()))]
    List,
}

pub(crate) fn run(global: &GlobalOpts, command: Command) -> anyhow::Result<()> {
    let Command::List = command;
    let tenants = super::context::tenants(global)?;
    match global.output {
        OutputFormat::Json => output::json(&tenants),
        OutputFormat::Text => {
            let rows: Vec<Vec<String>> = tenants
                .iter()
                .map(|t| {
                    vec![
                        t.tenant_id.clone(),
                        t.provider.clone(),
                        t.state.to_string(),
                        format!("{}/{}", t.generation, t.observed_generation),
                        format!("{} ({})", t.last_operation, t.last_outcome),
                        output::bounded(t.reason.as_deref().unwrap_or("-"), 80),
                        t.updated_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                    ]
                })
                .collect();
            output::lines(&output::table(
                &[
                    "TENANT",
                    "PROVIDER",
                    "STATE",
                    "GEN (DESIRED/OBSERVED)",
                    "LAST OPERATION",
                    "REASON",
                    "WHEN (UTC)",
                ],
                &rows,
            ))
        }
    }
}
