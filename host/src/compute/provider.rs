//! The provider contract as a Rust trait: what the manager calls. The
//! sandbox's `WasmProvider` implements it for components; tests implement it
//! with native doubles.

use async_trait::async_trait;

use super::error::Result;
use super::types::{ComputeStatus, ProvisionResult, TenantComputeSpec, UpdateResult};

/// A compute provider. The method contracts (idempotency, `tenant-not-found`,
/// no side effects in `validate`) are documented in `docs/compute-providers.md`
/// and in the WIT world; the manager validates every spec before calling.
#[async_trait]
pub trait Provider: Send + Sync {
    /// The registry name: lowercase letters, digits, inner hyphens.
    fn name(&self) -> &str;

    /// Create the tenant's compute; idempotent for the same spec.
    async fn provision(&self, spec: &TenantComputeSpec) -> Result<ProvisionResult>;

    /// Bring the tenant to `spec`; the same spec again is `NoChanges`.
    async fn update(&self, tenant_id: &str, spec: &TenantComputeSpec) -> Result<UpdateResult>;

    /// Remove the tenant's compute; a missing tenant is not an error.
    async fn destroy(&self, tenant_id: &str) -> Result<()>;

    /// The tenant's current state; a missing tenant is `TenantNotFound`.
    async fn get_status(&self, tenant_id: &str) -> Result<ComputeStatus>;

    /// Check `spec` against the provider's own rules, without side effects.
    async fn validate(&self, spec: &TenantComputeSpec) -> Result<()>;
}
