//! Load benchmark of `landlord serve` (see README.md): 32 HTTP/1.1
//! keep-alive connections provision 200 tenants 10 times each (2 000
//! provisions) and then ask each tenant's status 10 times (2 000 status
//! calls), against a server on the embedded mock; then the same calls made
//! directly through [`ComputeService`] at the same concurrency, for the cost
//! of the HTTP layer. Afterwards the server's tenant index and journal must
//! hold exactly 200 tenants and 2 000 provisions (10 per tenant): nothing
//! lost, nothing doubled. Any disagreement, or any call that does not
//! succeed, exits 1.

// A benchmark reports to people on stdout, and why it failed on stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use landlord::auth::{self, TokenTable};
use landlord::compute::{ComputeState, Operation, ProvisionStatus, TenantComputeSpec};
use landlord::config::Config;
use landlord::server::{Server, ServerOptions};
use landlord::service::ComputeService;
use landlord::state::{CallOutcome, SqliteStateStore, StateStore};
use serde_json::Value;

/// Distinct tenants.
const TENANTS: usize = 200;
/// Provisions (and status calls) per tenant.
const ROUNDS: usize = 10;
/// Concurrent clients: HTTP connections, or tasks in the direct baseline.
const CONNECTIONS: usize = 32;
/// The spec every tenant is provisioned with (its id changed).
const EXAMPLE_SPEC: &str = include_str!("../../../examples/tenant.json");

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    let specs = specs()?;
    println!(
        "landlord service bench: {TENANTS} tenants x {ROUNDS} provisions = {} provisions, then {} status calls; {CONNECTIONS} concurrent clients; embedded mock",
        TENANTS * ROUNDS,
        TENANTS * ROUNDS
    );

    let http = http_run(&specs)?;
    let direct = direct_run(&specs)?;

    println!();
    println!("| path | calls | count | wall (s) | req/s | p50 (ms) | p99 (ms) | max (ms) |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    for (path, run) in [("HTTP", &http), ("direct", &direct)] {
        for phase in [&run.provision, &run.status] {
            println!(
                "| {path} | {} | {} | {:.2} | {:.0} | {:.2} | {:.2} | {:.2} |",
                phase.name,
                phase.latencies.len(),
                phase.wall.as_secs_f64(),
                phase.throughput(),
                ms(phase.percentile(50.0)),
                ms(phase.percentile(99.0)),
                ms(phase.percentile(100.0)),
            );
        }
    }
    println!();
    for (http, direct) in [
        (&http.provision, &direct.provision),
        (&http.status, &direct.status),
    ] {
        println!(
            "HTTP/direct {}: throughput {:.2}x, p50 {:.2}x, p99 {:.2}x",
            http.name,
            http.throughput() / direct.throughput(),
            ratio(http.percentile(50.0), direct.percentile(50.0)),
            ratio(http.percentile(99.0), direct.percentile(99.0)),
        );
    }
    println!();
    println!("HTTP check:   {}", http.check);
    println!("direct check: {}", direct.check);
    Ok(())
}

/// Each tenant's spec, as JSON text and as the type.
fn specs() -> anyhow::Result<Vec<(String, String, TenantComputeSpec)>> {
    let example: Value = serde_json::from_str(EXAMPLE_SPEC).context("examples/tenant.json")?;
    (0..TENANTS)
        .map(|n| {
            let id = format!("bench-{n:03}");
            let mut spec = example.clone();
            spec["tenant_id"] = Value::from(id.clone());
            let text = spec.to_string();
            let typed = serde_json::from_value(spec).context("examples/tenant.json as a spec")?;
            Ok((id, text, typed))
        })
        .collect()
}

/// The latencies of one kind of call, and the time they all took.
struct Phase {
    name: &'static str,
    wall: Duration,
    latencies: Vec<Duration>,
}

impl Phase {
    fn throughput(&self) -> f64 {
        self.latencies.len() as f64 / self.wall.as_secs_f64()
    }

    /// The nearest-rank percentile.
    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1]
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

/// Both phases of one path, and what the check found.
struct Run {
    provision: Phase,
    status: Phase,
    check: String,
}

/// Run `call(job)` for jobs `0..TENANTS * ROUNDS` on [`CONNECTIONS`]
/// workers, worker `w` with its own `clients[w]` (an HTTP connection, or
/// nothing); every call's latency. Job `j` is about tenant `j % TENANTS`,
/// so a tenant's calls are spread over the run.
async fn drive<C, F, Fut>(name: &'static str, clients: Vec<C>, call: F) -> anyhow::Result<Phase>
where
    C: Send + Sync + 'static,
    F: Fn(Arc<C>, usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let call = Arc::new(call);
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for client in clients {
        let (next, call, client) = (Arc::clone(&next), Arc::clone(&call), Arc::new(client));
        workers.spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let job = next.fetch_add(1, Ordering::Relaxed);
                if job >= TENANTS * ROUNDS {
                    return Ok::<_, anyhow::Error>(latencies);
                }
                let sent = Instant::now();
                call(Arc::clone(&client), job)
                    .await
                    .with_context(|| format!("{name} #{job}"))?;
                latencies.push(sent.elapsed());
            }
        });
    }
    let mut latencies = Vec::with_capacity(TENANTS * ROUNDS);
    while let Some(done) = workers.join_next().await {
        latencies.extend(done.context("a worker panicked")??);
    }
    Ok(Phase {
        name,
        wall: started.elapsed(),
        latencies,
    })
}

/// Serve the API in this process on a runtime of its own, drive it over
/// loopback HTTP, shut it down (waiting for every operation), and check its
/// index and journal.
fn http_run(specs: &[(String, String, TenantComputeSpec)]) -> anyhow::Result<Run> {
    landlord::server::install_crypto();
    let dir = tempfile::tempdir()?;
    let token = auth::new_token().context("random bytes for a token")?;
    let config_path = dir.path().join("landlord.toml");
    let config_text = format!(
        "[[tokens]]\nname = \"bench\"\nsha256 = \"{}\"\nscopes = [\"read\", \"write\"]\n",
        auth::digest(&token)
    );
    let config = Config::parse(&config_text, &config_path)?;
    let state_dir = dir.path().join("state");
    let options =
        ServerOptions::from_config(&config, Some(SocketAddr::from(([127, 0, 0, 1], 0))), false);
    let tokens = TokenTable::new(&config.tokens);
    let service = Arc::new(ComputeService::open(config, &state_dir)?);
    let server = Server::new(service, tokens, options)?;

    // The server's runtime: what `landlord serve` builds.
    let server_runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("server")
        .build()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (bound, address) = std::sync::mpsc::channel();
    let serving = server_runtime.spawn(server.run(
        async move {
            let _ = stopped.await;
        },
        move |address| {
            let _ = bound.send(address);
        },
    ));
    let address = address
        .recv_timeout(Duration::from_secs(30))
        .context("the server did not listen")?;
    let base = format!("http://{address}");

    let clients = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("client")
        .build()?;
    let (provision, status, index) = clients.block_on(async {
        wait_ready(&base).await?;
        let connections = || -> anyhow::Result<Vec<(reqwest::Client, String, String)>> {
            (0..CONNECTIONS)
                .map(|_| {
                    // One connection per client: a pool of one, kept alive.
                    let client = reqwest::Client::builder()
                        .http1_only()
                        .pool_max_idle_per_host(1)
                        .timeout(Duration::from_secs(60))
                        .build()?;
                    Ok((client, base.clone(), token.clone()))
                })
                .collect()
        };
        let texts: Arc<Vec<(String, String)>> = Arc::new(
            specs
                .iter()
                .map(|(id, text, _)| (id.clone(), text.clone()))
                .collect(),
        );

        let specs_for = Arc::clone(&texts);
        let provision = drive("provision", connections()?, move |client, job| {
            let specs = Arc::clone(&specs_for);
            async move {
                let (client, base, token) = &*client;
                let (id, body) = &specs[job % TENANTS];
                let answer = client
                    .post(format!("{base}/v1/tenants"))
                    .bearer_auth(token)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await?;
                let status = answer.status();
                let result: Value = answer.json().await?;
                ensure!(status == 201, "POST /v1/tenants ({id}): {status} {result}");
                ensure!(result["status"] == "success", "{id}: {result}");
                Ok(())
            }
        })
        .await?;

        let specs_for = Arc::clone(&texts);
        let status = drive("status", connections()?, move |client, job| {
            let specs = Arc::clone(&specs_for);
            async move {
                let (client, base, token) = &*client;
                let (id, _) = &specs[job % TENANTS];
                let answer = client
                    .get(format!("{base}/v1/tenants/{id}"))
                    .bearer_auth(token)
                    .send()
                    .await?;
                let status = answer.status();
                let view: Value = answer.json().await?;
                ensure!(status == 200, "GET /v1/tenants/{id}: {status} {view}");
                ensure!(view["status"]["state"] == "running", "{id}: {view}");
                Ok(())
            }
        })
        .await?;

        let index = list_index(&base, &token).await?;
        Ok::<_, anyhow::Error>((provision, status, index))
    })?;

    // Stop the server; it returns once every operation is journaled.
    let _ = stop.send(());
    server_runtime
        .block_on(serving)
        .context("the server task")??;
    drop(server_runtime);

    let (pages, index) = index;
    let check = check(&state_dir, &index, specs)?;
    Ok(Run {
        provision,
        status,
        check: format!("{check} (index read over HTTP in {pages} pages)"),
    })
}

/// Poll `/readyz` until the mock is loaded.
async fn wait_ready(base: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let started = Instant::now();
    loop {
        if let Ok(answer) = client.get(format!("{base}/readyz")).send().await
            && answer.status() == 200
        {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(120) {
            bail!("the server was not ready (/readyz 200) within 120 s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every tenant in the server's index, page by page: (pages, id → state).
async fn list_index(base: &str, token: &str) -> anyhow::Result<(usize, BTreeMap<String, String>)> {
    let client = reqwest::Client::new();
    let mut index = BTreeMap::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut query = vec![("limit", "64".to_owned())];
        if let Some(after) = &after {
            query.push(("after", after.clone()));
        }
        let answer = client
            .get(format!("{base}/v1/tenants"))
            .query(&query)
            .bearer_auth(token)
            .send()
            .await?;
        ensure!(
            answer.status() == 200,
            "GET /v1/tenants: {}",
            answer.status()
        );
        let page: Value = answer.json().await?;
        pages += 1;
        for entry in page["items"].as_array().context("items")? {
            let id = entry["tenant_id"].as_str().context("tenant_id")?.to_owned();
            let state = entry["state"].as_str().context("state")?.to_owned();
            ensure!(
                index.insert(id.clone(), state).is_none(),
                "{id} is listed twice"
            );
        }
        match page["next_after"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => return Ok((pages, index)),
        }
    }
}

/// The same calls through [`ComputeService`], no HTTP.
fn direct_run(specs: &[(String, String, TenantComputeSpec)]) -> anyhow::Result<Run> {
    let dir = tempfile::tempdir()?;
    let state_dir = dir.path().join("state");
    let service = Arc::new(ComputeService::open(Config::default(), &state_dir)?);
    service.load("mock")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let clients = || {
        (0..CONNECTIONS)
            .map(|_| Arc::clone(&service))
            .collect::<Vec<_>>()
    };
    let typed: Arc<Vec<(String, TenantComputeSpec)>> = Arc::new(
        specs
            .iter()
            .map(|(id, _, spec)| (id.clone(), spec.clone()))
            .collect(),
    );
    let (provision, status) = runtime.block_on(async {
        let specs = Arc::clone(&typed);
        let provision = drive("provision", clients(), move |service, job| {
            let specs = Arc::clone(&specs);
            async move {
                let (id, spec) = &specs[job % TENANTS];
                let result = service.provision(spec.clone()).await?;
                ensure!(
                    result.status == ProvisionStatus::Success,
                    "{id}: {:?}",
                    result.status
                );
                Ok(())
            }
        })
        .await?;
        let specs = Arc::clone(&typed);
        let status = drive("status", clients(), move |service, job| {
            let specs = Arc::clone(&specs);
            async move {
                let (id, _) = &specs[job % TENANTS];
                // What GET /v1/tenants/{id} does: the index entry, then the
                // provider's live status.
                let entry = service.tenant(id)?;
                ensure!(entry.is_some(), "{id} is not in the index");
                let status = service.status(id, None).await?;
                ensure!(
                    status.state == ComputeState::Running,
                    "{id}: {:?}",
                    status.state
                );
                Ok(())
            }
        })
        .await?;
        Ok::<_, anyhow::Error>((provision, status))
    })?;
    let index = service
        .tenants(&Default::default())?
        .into_iter()
        .map(|entry| (entry.tenant_id, entry.state.to_string()))
        .collect();
    drop(service);
    let check = check(&state_dir, &index, specs)?;
    Ok(Run {
        provision,
        status,
        check,
    })
}

/// The index holds exactly the tenants sent, all provisioned, and the
/// journal (read from the database) exactly [`ROUNDS`] successful
/// provisions of each.
fn check(
    state_dir: &Path,
    index: &BTreeMap<String, String>,
    specs: &[(String, String, TenantComputeSpec)],
) -> anyhow::Result<String> {
    let expected: BTreeMap<&str, usize> = specs.iter().map(|(id, _, _)| (id.as_str(), 0)).collect();
    let unknown: Vec<&String> = index
        .keys()
        .filter(|id| !expected.contains_key(id.as_str()))
        .collect();
    let missing: Vec<&&str> = expected
        .keys()
        .filter(|id| !index.contains_key(**id))
        .collect();
    ensure!(
        index.len() == TENANTS && unknown.is_empty() && missing.is_empty(),
        "the index holds {} tenants, not {TENANTS}: missing {missing:?}, unexpected {unknown:?}",
        index.len()
    );
    let unprovisioned: Vec<_> = index
        .iter()
        .filter(|(_, state)| state.as_str() != "ready")
        .collect();
    ensure!(
        unprovisioned.is_empty(),
        "tenants not provisioned: {unprovisioned:?}"
    );

    let store = SqliteStateStore::open(&state_dir.join("state.db"))?;
    let journal = store.journal(None)?;
    let mut per_tenant = expected;
    let mut provisions = 0;
    for record in &journal {
        if record.operation != Operation::Provision {
            continue;
        }
        provisions += 1;
        ensure!(
            record.outcome == CallOutcome::Ok,
            "a provision of {} failed: {:?}",
            record.tenant_id,
            record.outcome
        );
        match per_tenant.get_mut(record.tenant_id.as_str()) {
            Some(count) => *count += 1,
            None => bail!(
                "the journal has a provision of an unknown tenant {}",
                record.tenant_id
            ),
        }
    }
    let lost: usize = per_tenant
        .values()
        .map(|&count| ROUNDS.saturating_sub(count))
        .sum();
    let duplicated: usize = per_tenant
        .values()
        .map(|&count| count.saturating_sub(ROUNDS))
        .sum();
    ensure!(
        provisions == TENANTS * ROUNDS && lost == 0 && duplicated == 0,
        "the journal has {provisions} provisions, not {}: {lost} lost, {duplicated} duplicated",
        TENANTS * ROUNDS
    );
    Ok(format!(
        "{} tenants in the index, all provisioned; {provisions} provisions in the journal ({ROUNDS} per tenant): 0 lost, 0 duplicated",
        index.len()
    ))
}
