//! landlord compute: the compute-provisioning layer of a tenant control
//! plane. Providers (docker, ECS, Kubernetes, a mock…) are WebAssembly
//! components that run sandboxed inside this host.
//!
//! - [`compute`] — the framework: spec/result types, errors, validation, the
//!   [`Provider`](compute::Provider) trait, the [`Registry`](compute::Registry)
//!   and the [`Manager`](compute::Manager). It knows nothing about wasm.
//! - [`sandbox`] — [`WasmProvider`](sandbox::WasmProvider): a provider
//!   backed by a component, each call in a fresh, limited instance.
//! - [`state`] — where providers' key/value state lives between calls.
//! - [`embedded`] — the components compiled into the binary (the mock).
//! - [`config`] — the operator's `landlord.toml` and environment overrides.
//! - [`auth`] — bearer tokens for the HTTP API: minted, digested, checked.
//! - [`provider_set`] — the providers a configuration names, loaded on demand.
//! - [`quarantine`] — a circuit breaker per provider: one that keeps
//!   failing, contained, is not called for a cool-down.
//! - [`server`] — `landlord serve`: the HTTP API over the service, its
//!   problems and its OpenAPI document.
//! - [`service`] — the one path of every tenant operation: validate, load,
//!   lock (in process and across processes), call, journal and index.
//! - [`input`] — bounded reads of files and streams nobody vouched for.
//! - [`text`] — untrusted text made safe for logs, terminals and messages.
//! - [`conformance`] — the method contracts as executable rules, for any provider.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use landlord::compute::{Manager, Registry};
//! use landlord::sandbox::{ProviderSettings, Runtime, WasmProvider};
//! use landlord::state::MemoryStateStore;
//!
//! let runtime = Runtime::new()?;
//! let mock = WasmProvider::load(
//!     &runtime,
//!     "embedded mock",
//!     landlord::embedded::MOCK_COMPONENT,
//!     ProviderSettings::default(),
//!     Arc::new(MemoryStateStore::new()),
//! )?;
//! let registry = Arc::new(Registry::new());
//! registry.register(Arc::new(mock))?;
//! let manager = Manager::new(registry);
//! let spec = serde_json::from_str(r#"{
//!     "tenant_id": "acme", "provider_type": "mock",
//!     "containers": [{"name": "web", "image": "nginx:1.27"}],
//!     "resources": {"cpu": 250, "memory": 256}
//! }"#)?;
//! let result = manager.provision_tenant(&spec).await?;
//! # Ok(()) }
//! ```

pub mod auth;
pub mod compute;
pub mod config;
pub mod conformance;
pub mod embedded;
pub mod input;
pub mod provider_set;
pub mod quarantine;
pub mod reconcile;
pub mod sandbox;
pub mod server;
pub mod service;
pub mod state;
pub mod text;
