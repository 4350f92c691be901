//! Sandboxed provider calls against a native baseline, side by side in one
//! process, printed as a table of medians and ratios.
//!
//! ```text
//! cargo bench -p landlord --bench provider_calls
//! ```
//!
//! (a) `Manager::provision_tenant` with a native Rust provider doing the
//! mock's work (baseline); (b) the same through `WasmProvider`, a fresh
//! instance per call; (c) get-status and validate likewise; (d) provisions
//! over many tenants on 1 and 2 threads; (e) component load: compile vs the
//! precompiled cache; (f) resident memory per live instance at 1 000 and
//! 10 000 instances. `BENCH_ONLY=calls,scaling,load,memory` picks sections.
//! See `docs/performance.md`.

#![allow(clippy::print_stdout, missing_docs)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::Utc;
use landlord::compute::{
    ComputeError, ComputeState, ComputeStatus, ContainerStatus, Endpoint, HealthStatus, Manager,
    Provider, ProvisionResult, ProvisionStatus, Registry, Result, TenantComputeSpec, UpdateResult,
    UpdateStatus,
};
use landlord::sandbox::{Allocation, ProviderSettings, Runtime, RuntimeOptions, WasmProvider};
use landlord::state::MemoryStateStore;

/// The mock's logic, natively: specs kept as JSON bytes in a map (as the
/// mock keeps them in host state), resource ids and endpoints derived the
/// same way.
#[derive(Default)]
struct NativeMock {
    tenants: Mutex<BTreeMap<String, Vec<u8>>>,
}

fn load(map: &BTreeMap<String, Vec<u8>>, tenant: &str) -> Option<TenantComputeSpec> {
    map.get(tenant)
        .and_then(|bytes| serde_json::from_slice(bytes).ok())
}

#[async_trait]
impl Provider for NativeMock {
    fn name(&self) -> &str {
        "mock"
    }

    async fn provision(&self, spec: &TenantComputeSpec) -> Result<ProvisionResult> {
        let mut tenants = self.tenants.lock().unwrap();
        if load(&tenants, &spec.tenant_id).as_ref() != Some(spec) {
            tenants.insert(
                spec.tenant_id.clone(),
                serde_json::to_vec(spec).unwrap_or_default(),
            );
        }
        let mut resource_ids: BTreeMap<String, String> = spec
            .containers
            .iter()
            .map(|c| {
                (
                    format!("container/{}", c.name),
                    format!("mock-{}-{}", spec.tenant_id, c.name),
                )
            })
            .collect();
        resource_ids.insert("network".into(), format!("mock-net-{}", spec.tenant_id));
        let endpoints = spec
            .containers
            .iter()
            .flat_map(|c| {
                c.ports.iter().map(move |p| {
                    let address = format!("{}.{}.mock.internal", c.name, spec.tenant_id);
                    let port = p.host_port.unwrap_or(p.container_port) as u16;
                    Endpoint {
                        endpoint_type: "tcp".into(),
                        url: Some(format!("tcp://{address}:{port}")),
                        address,
                        port,
                    }
                })
            })
            .collect();
        Ok(ProvisionResult {
            tenant_id: spec.tenant_id.clone(),
            provider_type: "mock".into(),
            status: ProvisionStatus::Success,
            resource_ids,
            endpoints,
            message: Some("provisioned".into()),
            provisioned_at: Utc::now(),
        })
    }

    async fn update(&self, tenant_id: &str, _spec: &TenantComputeSpec) -> Result<UpdateResult> {
        Ok(UpdateResult {
            tenant_id: tenant_id.into(),
            provider_type: "mock".into(),
            status: UpdateStatus::NoChanges,
            changes: vec![],
            message: None,
            updated_at: Utc::now(),
        })
    }

    async fn destroy(&self, tenant_id: &str) -> Result<()> {
        self.tenants.lock().unwrap().remove(tenant_id);
        Ok(())
    }

    async fn get_status(&self, tenant_id: &str) -> Result<ComputeStatus> {
        let tenants = self.tenants.lock().unwrap();
        let spec = load(&tenants, tenant_id).ok_or_else(|| ComputeError::TenantNotFound {
            provider: "mock".into(),
            tenant_id: tenant_id.into(),
        })?;
        Ok(ComputeStatus {
            tenant_id: tenant_id.into(),
            provider_type: "mock".into(),
            state: ComputeState::Running,
            containers: spec
                .containers
                .iter()
                .map(|c| ContainerStatus {
                    name: c.name.clone(),
                    state: "running".into(),
                    ready: true,
                    restart_count: 0,
                    message: Some(format!("image {}", c.image)),
                })
                .collect(),
            health: HealthStatus::Healthy,
            last_updated: Utc::now(),
            metadata: [("generation".to_owned(), "1".to_owned())].into(),
        })
    }

    async fn validate(&self, spec: &TenantComputeSpec) -> Result<()> {
        // The mock's own checks: provider type and provider_config keys.
        let ok = spec.provider_type == "mock"
            && spec
                .provider_config
                .as_ref()
                .is_none_or(|c| c.as_object().is_some_and(|o| o.keys().all(|k| k == "zone")));
        if ok {
            Ok(())
        } else {
            Err(ComputeError::invalid_spec(vec![]))
        }
    }
}

/// The 3-container spec of the issue, for `tenant`.
fn spec(tenant: &str) -> TenantComputeSpec {
    serde_json::from_value(serde_json::json!({
        "tenant_id": tenant,
        "provider_type": "mock",
        "containers": [
            {"name": "web", "image": "nginx:1.27", "ports": [{"container_port": 80, "host_port": 8080}]},
            {"name": "api", "image": "ghcr.io/acme/api:2.4.1", "ports": [{"container_port": 9000}],
             "resources": {"cpu": 250, "memory": 256}},
            {"name": "metrics", "image": "prom/statsd-exporter:0.26", "ports": [{"container_port": 9125, "protocol": "udp"}]}
        ],
        "resources": {"cpu": 1000, "memory": 1024}
    }))
    .unwrap()
}

fn manager(provider: Arc<dyn Provider>) -> Manager {
    let registry = Arc::new(Registry::new());
    registry.register(provider).unwrap();
    Manager::new(registry)
}

fn wasm_mock(runtime: &Runtime) -> WasmProvider {
    let mut settings = ProviderSettings::default();
    // The scaling rounds keep every tenant they provision: BENCH_ITERATIONS
    // in the tens of thousands would pass the default 64 MiB state quota.
    settings.limits.state_total_bytes = u64::MAX;
    WasmProvider::load(
        runtime,
        "embedded mock",
        landlord::embedded::MOCK_COMPONENT,
        settings,
        Arc::new(MemoryStateStore::new()),
    )
    .unwrap()
}

/// Median and 90th percentile of `samples`, in microseconds.
fn summary(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e6;
    (at(0.5), at(0.9))
}

/// Time `n` runs of `op` (after a warm-up of `n / 10`).
async fn time<F, Fut>(n: usize, mut op: F) -> (f64, f64)
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = ()>,
{
    for i in 0..n / 10 {
        op(i).await;
    }
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        let started = Instant::now();
        op(i).await;
        samples.push(started.elapsed());
    }
    summary(samples)
}

fn row(label: &str, native: (f64, f64), wasm: (f64, f64)) {
    println!(
        "| {label} | {:.1} µs | {:.1} µs | {:.1} µs | {:.1} µs | {:.1}× |",
        native.0,
        native.1,
        wasm.0,
        wasm.1,
        wasm.0 / native.0
    );
}

/// Provisions per second of `manager` over `tenants` distinct tenants, with
/// `threads` OS threads each driving its own share; tenant names are new in
/// every `round`.
fn throughput(manager: &Manager, threads: usize, tenants: usize, round: usize) -> f64 {
    let started = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..threads {
            let manager = manager.clone();
            scope.spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_time()
                    .build()
                    .unwrap();
                runtime.block_on(async {
                    for i in (t..tenants).step_by(threads) {
                        manager
                            .provision_tenant(&spec(&format!("t-{round}-{threads}-{i}")))
                            .await
                            .unwrap();
                    }
                });
            });
        }
    });
    tenants as f64 / started.elapsed().as_secs_f64()
}

/// Sections to run: every one unless `BENCH_ONLY` lists some
/// (`calls,scaling,load,memory`), e.g. to profile one with `perf record`.
fn wanted(section: &str) -> bool {
    std::env::var("BENCH_ONLY").map_or(true, |only| only.split(',').any(|s| s.trim() == section))
}

fn main() {
    let n: usize = std::env::var("BENCH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    if std::env::var("BENCH_ONLY").as_deref() == Ok("memory-case") {
        memory_case();
        return;
    }
    let sandbox = Runtime::new().unwrap();
    println!("instance allocation: {}", sandbox.allocation());
    if wanted("calls") {
        calls(&sandbox, n);
    }
    if wanted("scaling") {
        scaling(&sandbox, n);
    }
    if wanted("load") {
        loading();
    }
    if wanted("memory") {
        memory();
    }
}

/// (a)–(c): the same calls natively and sandboxed, side by side.
fn calls(sandbox: &Runtime, n: usize) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let native = manager(Arc::new(NativeMock::default()));
    let wasm = manager(Arc::new(wasm_mock(sandbox)));
    let on_demand = manager(Arc::new(wasm_mock(
        &Runtime::with_options(RuntimeOptions {
            allocation: Allocation::OnDemand,
            ..RuntimeOptions::default()
        })
        .unwrap(),
    )));

    println!("\n{n} calls each, 3-container spec; median and p90 per call\n");
    println!("| call | native median | native p90 | wasm median | wasm p90 | wasm / native |");
    println!("|---|---|---|---|---|---|");
    runtime.block_on(async {
        let one = spec("acme");
        let native_provision = time(n, |_| async {
            native.provision_tenant(&one).await.unwrap();
        })
        .await;
        let wasm_provision = time(n, |_| async {
            wasm.provision_tenant(&one).await.unwrap();
        })
        .await;
        row("provision (same spec)", native_provision, wasm_provision);
        let wasm_on_demand = time(n, |_| async {
            on_demand.provision_tenant(&one).await.unwrap();
        })
        .await;
        row(
            "provision, on-demand allocator",
            native_provision,
            wasm_on_demand,
        );
        let native_status = time(n, |_| async {
            native.get_tenant_status("acme", "mock").await.unwrap();
        })
        .await;
        let wasm_status = time(n, |_| async {
            wasm.get_tenant_status("acme", "mock").await.unwrap();
        })
        .await;
        row("get-status", native_status, wasm_status);
        let native_validate = time(n, |_| async {
            native.validate_tenant_spec(&one).await.unwrap();
        })
        .await;
        let wasm_validate = time(n, |_| async {
            wasm.validate_tenant_spec(&one).await.unwrap();
        })
        .await;
        row("validate", native_validate, wasm_validate);
    });
}

/// (d): provisions of distinct tenants on 1 and on 2 threads, five rounds
/// alternating the two, medians reported (one round is short enough for a
/// hiccup of the machine to show).
fn scaling(sandbox: &Runtime, tenants: usize) {
    let wasm = manager(Arc::new(wasm_mock(sandbox)));
    let mut one = Vec::new();
    let mut two = Vec::new();
    for round in 0..5 {
        one.push(throughput(&wasm, 1, tenants, round));
        two.push(throughput(&wasm, 2, tenants, round));
    }
    let median = |mut rates: Vec<f64>| {
        rates.sort_by(f64::total_cmp);
        rates[rates.len() / 2]
    };
    let (one_thread, two_threads) = (median(one), median(two));
    println!(
        "\nwasm provisions over {tenants} tenants, median of 5 rounds: {one_thread:.0}/s on 1 thread, {two_threads:.0}/s on 2 threads ({:.2}×)",
        two_threads / one_thread
    );
}

/// (e): component load, compiling vs the precompiled cache.
fn loading() {
    let dir = std::env::temp_dir().join(format!("landlord-bench-cache-{}", std::process::id()));
    let cached = || {
        Runtime::with_options(RuntimeOptions {
            cache_dir: Some(dir.clone()),
            ..RuntimeOptions::default()
        })
        .unwrap()
    };
    wasm_mock(&cached()); // fill the cache
    let compile: Vec<Duration> = (0..10)
        .map(|_| {
            let runtime = Runtime::new().unwrap();
            let started = Instant::now();
            wasm_mock(&runtime);
            started.elapsed()
        })
        .collect();
    let from_cache: Vec<Duration> = (0..10)
        .map(|_| {
            let runtime = cached();
            let started = Instant::now();
            wasm_mock(&runtime);
            started.elapsed()
        })
        .collect();
    let (compile, _) = summary(compile);
    let (from_cache, _) = summary(from_cache);
    println!(
        "component load (mock, includes the name() call): compile {:.2} ms, precompiled cache {:.2} ms ({:.0}× faster)",
        compile / 1000.0,
        from_cache / 1000.0,
        compile / from_cache
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The process's resident set size, in KiB (Linux; 0 elsewhere).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// (f): resident memory per live (instantiated, idle) instance, at 1 000
/// and 10 000 instances, with each allocator; each case in a process of
/// its own, so no case reuses memory another one freed.
fn memory() {
    println!("\n| allocator | live instances | RSS before | RSS with them | per instance |");
    println!("|---|---|---|---|---|");
    for case in [
        "pooling:1000",
        "pooling:10000",
        "on-demand:1000",
        "on-demand:10000",
    ] {
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .env("BENCH_ONLY", "memory-case")
            .env("BENCH_MEMORY_CASE", case)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        match stdout.lines().find(|line| line.starts_with("| ")) {
            Some(line) => println!("{line}"),
            None => println!(
                "| {case} | – | – | – | the measuring process failed: {} |",
                String::from_utf8_lossy(&output.stderr)
                    .lines()
                    .last()
                    .unwrap_or_default()
            ),
        }
    }
}

/// One case of (f), `BENCH_MEMORY_CASE=<pooling|on-demand>:<count>`.
fn memory_case() {
    let case = std::env::var("BENCH_MEMORY_CASE").unwrap_or_default();
    let (allocation, count) = case.split_once(':').unwrap_or_default();
    let allocation = match allocation {
        "pooling" => Allocation::Pooling,
        _ => Allocation::OnDemand,
    };
    let count: u32 = count.parse().unwrap_or(1000);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    {
        let sandbox = match Runtime::with_options(RuntimeOptions {
            allocation,
            max_concurrent_calls: count,
            ..RuntimeOptions::default()
        }) {
            Ok(sandbox) => sandbox,
            Err(err) => {
                println!("| {allocation:?} | {count} | – | – | unavailable: {err} |");
                return;
            }
        };
        let provider = wasm_mock(&sandbox);
        let before = rss_kib();
        let (live, failure) = runtime.block_on(async {
            let mut live = Vec::with_capacity(count as usize);
            for _ in 0..count {
                match provider.instantiate_idle().await {
                    Ok(instance) => live.push(instance),
                    Err(err) => return (live, Some(err)),
                }
            }
            (live, None)
        });
        let with = rss_kib();
        if let Some(err) = failure {
            println!(
                "| {} | {count} | – | – | failed after {} instances: {err} |",
                sandbox.allocation(),
                live.len()
            );
            return;
        }
        println!(
            "| {} | {count} | {:.1} MiB | {:.1} MiB | {:.1} KiB |",
            sandbox.allocation(),
            before as f64 / 1024.0,
            with as f64 / 1024.0,
            (with.saturating_sub(before)) as f64 / f64::from(count)
        );
        drop(live);
    }
}
