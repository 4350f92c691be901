//! `landlord providers list` and `landlord providers inspect`

use std::path::Path;

use anyhow::Context as _;
use landlord::sandbox::{ProviderSettings, Runtime, RuntimeOptions};

use super::context::{Context, is_path, sha256_hex};
use super::output::{self, OutputFormat};
use super::{GlobalOpts, block_on, exit_status};

/// The providers this host runs
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// List the loaded providers: name, source, digest, limits, grants
    #[command(after_help = concat!("Examples:\n  landlord providers list\n  landlord --config landlord.toml --output json providers list\n\n", exit_status!()))]
    List,
    /// Show what a provider's component imports and exports, and whether this host can load it
    #[command(after_help = concat!("Examples:\n  landlord providers inspect mock\n  landlord providers inspect ./my_provider.wasm\n\n", exit_status!()))]
    Inspect {
        /// A configured provider's name, or the path of a .wasm component
        target: String,
    },
    /// Run the conformance kit: every method contract, checked in temporary state
    #[command(after_help = concat!("Examples:\n  landlord providers test mock\n  landlord providers test ./my_provider.wasm\n  landlord --output json providers test ./my_provider.wasm\n\nExits 0 only if every rule passes (1 otherwise).\n\n", exit_status!()))]
    Test {
        /// A configured provider's name, or the path of a .wasm component
        target: String,
    },
}

pub(crate) fn run(global: &GlobalOpts, command: Command) -> anyhow::Result<()> {
    match command {
        Command::List => list(global),
        Command::Inspect { target } => inspect(global, &target),
        Command::Test { target } => test(global, &target),
    }
}

fn list(global: &GlobalOpts) -> anyhow::Result<()> {
    let ctx = Context::open(global)?;
    match ctx.format {
        OutputFormat::Json => output::json(&ctx.providers),
        OutputFormat::Text => {
            let rows: Vec<Vec<String>> = ctx
                .providers
                .iter()
                .map(|p| {
                    vec![
                        p.name.clone(),
                        p.source.clone(),
                        p.sha256[..12].to_owned(),
                        format!(
                            "{} MiB, {} ms{}",
                            p.memory_mib,
                            p.timeout_ms,
                            p.fuel.map(|f| format!(", {f} fuel")).unwrap_or_default()
                        ),
                        p.grants.join(","),
                    ]
                })
                .collect();
            output::lines(&output::table(
                &["NAME", "SOURCE", "SHA256", "LIMITS", "GRANTS"],
                &rows,
            ))
        }
    }
}

/// The component a target names (a path, or a configured provider), and
/// the settings it runs with (defaults for a bare path).
fn resolve(
    global: &GlobalOpts,
    target: &str,
) -> anyhow::Result<(String, Vec<u8>, ProviderSettings)> {
    if is_path(target) {
        let bytes = std::fs::read(Path::new(target))
            .with_context(|| format!("cannot read the component {target}"))?;
        return Ok((target.to_owned(), bytes, ProviderSettings::default()));
    }
    let ctx = Context::open(global)?;
    let info = ctx
        .providers
        .iter()
        .find(|p| p.name == target)
        .with_context(|| {
            format!("no provider named '{target}' is configured (try `landlord providers list`)")
        })?;
    let entry = ctx
        .config
        .providers
        .get(target)
        .cloned()
        .unwrap_or_default();
    let bytes = match &entry.component {
        Some(path) => std::fs::read(path)?,
        None => landlord::embedded::MOCK_COMPONENT.to_vec(),
    };
    let settings = ProviderSettings {
        config: entry.config.clone(),
        limits: entry.limits.apply(Default::default()),
        grants: entry.grants(),
    };
    Ok((info.source.clone(), bytes, settings))
}

fn inspect(global: &GlobalOpts, target: &str) -> anyhow::Result<()> {
    let (source, bytes, settings) = resolve(global, target)?;
    let grants = settings.grants;
    let report = Runtime::new()?.inspect(&bytes, &grants)?;
    match global.output {
        OutputFormat::Json => output::json(&serde_json::json!({
            "source": source,
            "sha256": sha256_hex(&bytes),
            "size": bytes.len(),
            "imports": report.imports,
            "exports": report.exports,
            "loadable": report.problems.is_none(),
            "problems": report.problems,
        })),
        OutputFormat::Text => {
            let mut lines = vec![
                format!("component  {source}"),
                format!("sha256     {}", sha256_hex(&bytes)),
                format!("size       {} bytes", bytes.len()),
                "imports".to_owned(),
            ];
            lines.extend(report.imports.iter().map(|name| format!("  {name}")));
            lines.push("exports".to_owned());
            lines.extend(report.exports.iter().map(|name| format!("  {name}")));
            lines.push(match &report.problems {
                None => "loadable here: yes".to_owned(),
                Some(problems) => format!("loadable here: no, {problems}"),
            });
            output::lines(&lines)
        }
    }
}

fn test(global: &GlobalOpts, target: &str) -> anyhow::Result<()> {
    let (source, bytes, settings) = resolve(global, target)?;
    let runtime = Runtime::with_options(RuntimeOptions {
        fuel: settings.limits.fuel.is_some(),
        ..RuntimeOptions::default()
    })?;
    let report = block_on(landlord::conformance::check(
        &runtime, &source, &bytes, &settings,
    ))??;
    match global.output {
        OutputFormat::Json => output::json(&report)?,
        OutputFormat::Text => {
            let rows: Vec<Vec<String>> = report
                .results
                .iter()
                .map(|r| {
                    vec![
                        if r.passed { "pass" } else { "FAIL" }.to_owned(),
                        r.rule.to_owned(),
                        r.detail.clone(),
                    ]
                })
                .collect();
            let mut lines = output::table(&["RESULT", "RULE", "OBSERVED"], &rows);
            let failed = report.failed_rules().len();
            lines.push(format!(
                "{}: {} rules, {} passed, {failed} failed",
                report.provider,
                report.results.len(),
                report.results.len() - failed
            ));
            output::lines(&lines)?;
        }
    }
    if report.passed() {
        Ok(())
    } else {
        anyhow::bail!(
            "provider '{}' does not conform: {}",
            report.provider,
            report.failed_rules().join(", ")
        )
    }
}
