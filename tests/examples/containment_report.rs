//! Runs every hostile guest once against one runtime and prints a table:
//! attack → error kind → time to contain → host memory (RSS) after.
//!
//! ```text
//! cargo run --release -p landlord-tests --example containment_report
//! ```
//! Limits used: 16 MiB linear memory, a 1 s deadline, 1 MiB state quota,
//! 64 KiB of output; everything else at its default. The error messages
//! follow the table.

#![allow(clippy::print_stdout)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use landlord::compute::Provider;
use landlord::sandbox::{Limits, ProviderSettings, Runtime, WasmProvider};
use landlord::state::MemoryStateStore;
use landlord_tests::{hostile, sample_spec};

/// Resident set size of this process, in MiB (Linux; 0 elsewhere).
fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmRSS:"))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kib| kib.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

#[tokio::main]
async fn main() {
    let runtime = Runtime::new().expect("runtime");
    let limits = Limits {
        memory_bytes: 16 << 20,
        timeout: Duration::from_secs(1),
        state_total_bytes: 1 << 20,
        ..Limits::default()
    };
    println!("host RSS before: {:.1} MiB\n", rss_mib());
    let mut messages = Vec::new();
    println!("| attack | error kind | time to contain | host RSS after |");
    println!("|---|---|---|---|");
    for (name, guest) in hostile::ALL {
        // Their attacks need the servers their tests run (a huge body, a
        // drip, a redirect): see tests/e2e/outbound.rs.
        if name.starts_with("outbound_") {
            continue;
        }
        let settings = ProviderSettings {
            limits: limits.clone(),
            config: [("target".to_owned(), "127.0.0.1:9".to_owned())].into(),
            ..ProviderSettings::default()
        };
        // Time to contain: the refused load, or the call (compiling the
        // component is not part of it).
        let mut started = Instant::now();
        let outcome = match WasmProvider::load(
            &runtime,
            name,
            guest,
            settings,
            Arc::new(MemoryStateStore::new()),
        ) {
            Err(err) => Err(err),
            Ok(provider) => {
                let mut spec = sample_spec("acme");
                spec.provider_type = provider.name().to_owned();
                started = Instant::now();
                provider.provision(&spec).await.map(drop)
            }
        };
        let elapsed = started.elapsed();
        let kind = match outcome {
            Ok(()) => "NOT CONTAINED".to_owned(),
            Err(err) => {
                messages.push(format!("{name}: {err}"));
                format!("{:?}", err.kind())
            }
        };
        println!(
            "| {name} | {kind} | {:.1} ms | {:.1} MiB |",
            elapsed.as_secs_f64() * 1000.0,
            rss_mib()
        );
    }
    println!(
        "\n(the outbound_* guests need the servers their tests run: `cargo test -p landlord-tests --test e2e outbound`)\n"
    );
    for message in messages {
        println!("{message}");
    }
}
