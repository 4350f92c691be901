//! Shared fixtures for the cross-cutting tests: specs, managers wired to the
//! real provider components, and the hostile guests' components.

use std::collections::BTreeMap;
use std::sync::Arc;

use landlord::compute::{Manager, Registry, TenantComputeSpec};
use landlord::sandbox::{ProviderSettings, Runtime, WasmProvider};
use landlord::state::{MemoryStateStore, StateStore};

/// A three-container spec for `tenant_id` on the mock provider.
pub fn sample_spec(tenant_id: &str) -> TenantComputeSpec {
    serde_json::from_value(serde_json::json!({
        "tenant_id": tenant_id,
        "provider_type": "mock",
        "containers": [
            {
                "name": "web",
                "image": "nginx:1.27",
                "env": {"MODE": "production"},
                "ports": [{"container_port": 80, "host_port": 8080}, {"container_port": 443}],
                "health_check": {"type": "http", "http_path": "/healthz", "port": 80,
                                 "interval_seconds": 10, "timeout_seconds": 2}
            },
            {
                "name": "api",
                "image": "ghcr.io/acme/api:2.4.1",
                "command": ["/api"],
                "args": ["--listen", ":9000"],
                "ports": [{"container_port": 9000, "protocol": "tcp", "name": "grpc"}],
                "resources": {"cpu": 250, "memory": 256}
            },
            {
                "name": "metrics",
                "image": "prom/statsd-exporter:0.26",
                "ports": [{"container_port": 9125, "protocol": "udp"}]
            }
        ],
        "resources": {"cpu": 1000, "memory": 1024, "storage": 2048},
        "networking": {"public_ip": true, "dns": {"hostname": "acme", "domain": "tenants.example"}},
        "secrets": [{"name": "db-password", "source": "vault", "key": "acme/db", "env_var": "DB_PASSWORD"}],
        "labels": {"team": "core", "tier": "gold"}
    }))
    .expect("the sample spec matches the types")
}

/// The embedded mock component, loaded into a fresh runtime with `config`
/// granted, over `state`.
pub fn load_mock(config: &[(&str, &str)], state: Arc<dyn StateStore>) -> WasmProvider {
    load_mock_on(
        &Runtime::new().expect("the wasmtime engine starts"),
        config,
        state,
    )
}

/// The embedded mock component, loaded into `runtime` with `config`
/// granted, over `state`.
pub fn load_mock_on(
    runtime: &Runtime,
    config: &[(&str, &str)],
    state: Arc<dyn StateStore>,
) -> WasmProvider {
    let settings = ProviderSettings {
        config: config
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect::<BTreeMap<_, _>>(),
        ..ProviderSettings::default()
    };
    WasmProvider::load(
        runtime,
        "embedded mock",
        landlord::embedded::MOCK_COMPONENT,
        settings,
        state,
    )
    .expect("the mock component loads")
}

/// A manager with the mock component registered, and the store it keeps
/// tenants in.
pub fn mock_manager(config: &[(&str, &str)]) -> (Manager, Arc<MemoryStateStore>) {
    let state = Arc::new(MemoryStateStore::new());
    let registry = Arc::new(Registry::new());
    registry
        .register(Arc::new(load_mock(config, state.clone())))
        .expect("the mock registers");
    (Manager::new(registry), state)
}

pub mod docker;

/// The hostile guests of `tests/hostile`, built from source by this crate's
/// build script: one constant per guest, [`hostile::ALL`], and
/// `foreach_hostile!`.
pub mod hostile {
    include!(concat!(env!("OUT_DIR"), "/hostile.rs"));
}
