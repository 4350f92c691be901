//! The full tenant lifecycle on the embedded mock provider, a sandboxed
//! WebAssembly component: provision → status → update (same spec, then a
//! change) → destroy → status → destroy again.
//!
//! ```text
//! cargo run -p landlord --example demo [-- <spec.json>]
//! ```
//! The spec defaults to `examples/tenant.json`. Set `RUST_LOG=debug` to see
//! the host's and the guest's logs.

#![allow(clippy::print_stdout)]

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use landlord::compute::{Manager, Registry, TenantComputeSpec};
use landlord::sandbox::{ProviderSettings, Runtime, WasmProvider};
use landlord::state::MemoryStateStore;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();

    let path = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/tenant.json")
        });
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("reading the spec {}", path.display()))?;
    let spec: TenantComputeSpec = serde_json::from_str(&text)
        .with_context(|| format!("parsing the spec {}", path.display()))?;
    let tenant = spec.tenant_id.clone();

    let runtime = Runtime::new()?;
    let mock = WasmProvider::load(
        &runtime,
        "embedded mock",
        landlord::embedded::MOCK_COMPONENT,
        ProviderSettings::default(),
        Arc::new(MemoryStateStore::new()),
    )?;
    let registry = Arc::new(Registry::new());
    registry.register(Arc::new(mock))?;
    let manager = Manager::new(registry);
    println!("providers: {}", manager.list_providers().join(", "));

    manager.validate_tenant_spec(&spec).await?;
    println!("validate {tenant}: ok");

    let provisioned = manager.provision_tenant(&spec).await?;
    println!("provision {tenant}: {:?}", provisioned.status);
    for (kind, id) in &provisioned.resource_ids {
        println!("  resource {kind:<16} {id}");
    }
    for endpoint in &provisioned.endpoints {
        println!(
            "  endpoint {}",
            endpoint.url.as_deref().unwrap_or(&endpoint.address)
        );
    }

    let status = manager
        .get_tenant_status(&tenant, &spec.provider_type)
        .await?;
    println!("status {tenant} (read back from the wasm mock):");
    println!("{}", serde_json::to_string_pretty(&status)?);

    let same = manager.update_tenant(&tenant, &spec).await?;
    println!("update {tenant} with the same spec: {:?}", same.status);

    let mut changed = spec.clone();
    if let Some(first) = changed.containers.first_mut() {
        first.image = format!("{}-next", first.image);
    }
    changed.resources.memory *= 2;
    let updated = manager.update_tenant(&tenant, &changed).await?;
    println!("update {tenant} with a changed spec: {:?}", updated.status);
    for change in &updated.changes {
        println!("  {change}");
    }

    manager.destroy_tenant(&tenant, &spec.provider_type).await?;
    println!("destroy {tenant}: ok");
    match manager
        .get_tenant_status(&tenant, &spec.provider_type)
        .await
    {
        Err(err) => println!("status {tenant}: {err}"),
        Ok(status) => anyhow::bail!("tenant still present after destroy: {status:?}"),
    }
    manager.destroy_tenant(&tenant, &spec.provider_type).await?;
    println!("destroy {tenant} again: ok (idempotent)");
    Ok(())
}
