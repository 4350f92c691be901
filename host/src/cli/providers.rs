//! `landlord providers list` and `landlord providers inspect`

use std::path::Path;

use landlord::compute::{ComputeError, ErrorKind};
use landlord::provider_set::ProviderSummary;
use landlord::quarantine::{BreakerState, QuarantineView};
use landlord::server::Problem;
use reqwest::StatusCode;

use super::remote::{Remote, RemoteProblem};
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
    #[command(after_help = concat!("Examples:\n  landlord providers test mock\n  landlord providers test ./my_provider.wasm\n  landlord providers test docker --spec examples/docker-kit.json\n  landlord --output json providers test ./my_provider.wasm\n\nExits 0 only if every rule passes (1 otherwise).\n\n", exit_status!()))]
    Test {
        /// A configured provider's name, or the path of a .wasm component
        target: String,
        /// The spec the rules provision (JSON or YAML), instead of the kit's
        /// sample: for providers that start real containers, whose images
        /// must exist. Its tenant id names the kit's tenants (`<id>-a`, `<id>-b`);
        /// its provider_type is replaced by the provider's name
        #[arg(long, value_name = "FILE")]
        spec: Option<std::path::PathBuf>,
    },
}

pub(crate) fn run(global: &GlobalOpts, command: Command) -> anyhow::Result<()> {
    if global.server.is_some() && !matches!(command, Command::List) {
        return Err(super::remote::local_only(
            "providers inspect and providers test read components on this machine",
        ));
    }
    match command {
        Command::List => list(global),
        Command::Inspect { target } => inspect(global, &target),
        Command::Test { target, spec } => test(global, &target, spec.as_deref()),
    }
}

/// Load every configured provider and list them; one that cannot be loaded
/// is listed with its error, and the command then fails with that error.
fn list(global: &GlobalOpts) -> anyhow::Result<()> {
    let mut first_error: Option<anyhow::Error> = None;
    let rows: Vec<ProviderSummary> = match Remote::from_global(global)? {
        Some(remote) => {
            let rows = remote.providers()?;
            first_error = rows.iter().find_map(|row| {
                let detail = row.error.clone()?;
                let mut problem = Problem::new(StatusCode::SERVICE_UNAVAILABLE, "load", detail);
                problem.provider = Some(row.name.clone());
                Some(RemoteProblem(problem).into())
            });
            rows
        }
        None => {
            // A one-shot command's breakers have seen no calls: no
            // quarantine column (the server's are shown with --server).
            let ctx = Context::open(global)?;
            ctx.providers()
                .load_all()
                .into_iter()
                .map(|(name, loaded)| {
                    let row = ctx.providers().summary(&name, &loaded);
                    if let Err(err) = loaded {
                        first_error.get_or_insert(err.into());
                    }
                    row
                })
                .collect()
        }
    };
    match global.output {
        OutputFormat::Json => output::json(&rows)?,
        OutputFormat::Text => {
            let quarantine = rows.iter().any(|row| row.quarantine.is_some());
            let rows: Vec<Vec<String>> = rows
                .iter()
                .map(|p| match &p.error {
                    None => vec![
                        p.name.clone(),
                        p.source.clone(),
                        p.sha256.as_deref().map_or("", |d| &d[..12]).to_owned(),
                        format!(
                            "{} MiB, {} ms{}",
                            p.memory_mib.unwrap_or(0),
                            p.timeout_ms.unwrap_or(0),
                            p.fuel.map(|f| format!(", {f} fuel")).unwrap_or_default()
                        ),
                        p.described.join(","),
                        quarantine_cell(p.quarantine.as_ref()),
                    ],
                    Some(_) => vec![
                        p.name.clone(),
                        p.source.clone(),
                        "-".to_owned(),
                        "not loaded (see the error below)".to_owned(),
                        "-".to_owned(),
                        quarantine_cell(p.quarantine.as_ref()),
                    ],
                })
                .map(|mut row| {
                    if !quarantine {
                        row.pop();
                    }
                    row
                })
                .collect();
            let headers = ["NAME", "SOURCE", "SHA256", "LIMITS", "GRANTS", "QUARANTINE"];
            let shown = if quarantine { 6 } else { 5 };
            output::lines(&output::table(&headers[..shown], &rows))?;
        }
    }
    match first_error {
        None => Ok(()),
        Some(err) => Err(err),
    }
}

/// A provider's quarantine in one cell: `closed`, `closed (2 failures)`,
/// `open until 2026-12-07T10:00:00Z (5 failures)`, `trial`.
fn quarantine_cell(view: Option<&QuarantineView>) -> String {
    let Some(view) = view else {
        return "-".to_owned();
    };
    let until = view
        .until
        .map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default();
    match (view.state, view.consecutive_failures) {
        (BreakerState::Closed, 0) => "closed".to_owned(),
        (BreakerState::Closed, n) => format!("closed ({n} failures)"),
        (BreakerState::Open, n) => format!("open until {until} ({n} failures)"),
        (BreakerState::Trial, _) => format!("trial (cool-down ended {until})"),
    }
}

/// The component a target names (a path, or a configured provider), and
/// the settings it runs with (defaults for a bare path). Only that one
/// component is read; no provider is loaded.
fn resolve(
    global: &GlobalOpts,
    target: &str,
) -> anyhow::Result<(String, Vec<u8>, ProviderSettings)> {
    if is_path(target) {
        let bytes =
            landlord::provider_set::read_component(Path::new(target)).map_err(|message| {
                ComputeError::Load {
                    source_name: target.to_owned(),
                    message,
                }
            })?;
        return Ok((target.to_owned(), bytes, ProviderSettings::default()));
    }
    let ctx = Context::open(global)?;
    let source = match ctx.providers().source(target) {
        Err(err) if err.kind() == ErrorKind::ProviderNotFound => anyhow::bail!(
            "no provider named '{target}' is configured (try `landlord providers list`)"
        ),
        source => source?,
    };
    let settings = ctx.providers().settings(target)?;
    Ok((source.origin, source.bytes.into_owned(), settings))
}

/// The engines `grants` grants, as text.
fn engine_list(grants: &landlord::sandbox::Grants) -> Vec<String> {
    grants
        .engine()
        .map(|(engines, _)| engines.iter().map(ToString::to_string).collect())
        .unwrap_or_default()
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
            "grants": grants.names(),
            "outbound": grants.outbound().iter().map(ToString::to_string).collect::<Vec<_>>(),
            "engines": engine_list(&grants),
            "engine_policy": grants.engine().map(|(_, policy)| serde_json::json!({
                "loosened": policy.loosened(),
                "rules": policy.effective(),
            })),
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
            lines.push("grants".to_owned());
            lines.extend(grants.describe().iter().map(|grant| format!("  {grant}")));
            if let Some((engines, policy)) = grants.engine() {
                let engines: Vec<String> = engines.iter().map(ToString::to_string).collect();
                lines.push(format!(
                    "engine policy ({}), on every request to {}",
                    policy.describe(),
                    engines.join(", ")
                ));
                for rule in policy.effective() {
                    let loosened = match rule.loosened.as_slice() {
                        [] => String::new(),
                        lines => format!(" LOOSENED: {}", lines.join("; ")),
                    };
                    lines.push(format!(
                        "  {:<16} refuses {}{loosened}",
                        rule.rule, rule.refuses
                    ));
                }
            }
            lines.push(match &report.problems {
                None => "loadable here: yes".to_owned(),
                Some(problems) => format!("loadable here: no, {problems}"),
            });
            output::lines(&lines)
        }
    }
}

fn test(global: &GlobalOpts, target: &str, spec: Option<&Path>) -> anyhow::Result<()> {
    let base = spec.map(super::spec::read).transpose()?;
    let (source, bytes, settings) = resolve(global, target)?;
    let runtime = Runtime::with_options(RuntimeOptions {
        fuel: settings.limits.fuel.is_some(),
        ..RuntimeOptions::default()
    })?;
    let report = block_on(landlord::conformance::check_with(
        &runtime, &source, &bytes, &settings, base,
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
