//! The table of the six mock providers: component size, compile time in
//! the host, time of one provision, conformance kit result, build time.
//!
//! ```text
//! cargo run --release -p landlord-language-tests --example language_report
//! ```

#![allow(clippy::print_stdout)]

use std::time::Instant;

use landlord::compute::Provider;
use landlord::conformance;
use landlord::sandbox::{Allocation, Runtime, RuntimeOptions};
use landlord_language_tests::{BUILT, component, load, settings, spec};

/// A language, its component (or why there is none), and its build time.
type Row = (&'static str, Result<Vec<u8>, String>, Option<f64>);

#[tokio::main]
async fn main() {
    println!(
        "| language | component size | compile in the host | provision (compiled) | conformance kit | build.sh |"
    );
    println!("|---|---|---|---|---|---|");
    let mut rows: Vec<Row> = vec![(
        "rust",
        Ok(landlord::embedded::MOCK_COMPONENT.to_vec()),
        None,
    )];
    for built in BUILT {
        rows.push((
            built.language,
            component(built.language),
            Some(built.build_seconds),
        ));
    }
    for (language, bytes, build_seconds) in rows {
        let build =
            build_seconds.map_or("cargo (host/build.rs)".to_owned(), |s| format!("{s:.1} s"));
        let bytes = match bytes {
            Ok(bytes) => bytes,
            Err(reason) => {
                println!(
                    "| {language} | – | – | – | not built: {} | {build} |",
                    reason.lines().next().unwrap_or_default()
                );
                continue;
            }
        };
        // A fresh runtime without a cache: this is the full compile.
        let runtime = Runtime::with_options(RuntimeOptions {
            allocation: Allocation::OnDemand,
            ..RuntimeOptions::default()
        })
        .expect("the wasmtime engine starts");
        let started = Instant::now();
        let provider = match load(&runtime, language, &bytes, &[]) {
            Ok(provider) => provider,
            Err(err) => {
                println!(
                    "| {language} | {} B | load failed: {err} | – | – | {build} |",
                    bytes.len()
                );
                continue;
            }
        };
        let compile = started.elapsed();
        let name = provider.name().to_owned();
        let started = Instant::now();
        let provisioned = provider.provision(&spec("acme", &name)).await;
        let provision = started.elapsed();
        let kit = match conformance::check(&runtime, &name, &bytes, &settings(&[])).await {
            Ok(report) => format!(
                "{} of {} rules passed",
                report.results.iter().filter(|r| r.passed).count(),
                report.results.len()
            ),
            Err(err) => format!("did not load: {err}"),
        };
        println!(
            "| {language} ({name}) | {:.1} KB | {:.0} ms | {} | {kit} | {build} |",
            bytes.len() as f64 / 1000.0,
            compile.as_secs_f64() * 1000.0,
            match provisioned {
                Ok(_) => format!("{:.2} ms", provision.as_secs_f64() * 1000.0),
                Err(err) => format!("failed: {err}"),
            },
        );
    }
}
