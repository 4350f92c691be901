//! A native provider for the unit tests of the layers above providers
//! (registry, manager). It records every call and answers from a script.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;

use super::error::{ComputeError, Result};
use super::provider::Provider;
use super::types::{
    ComputeState, ComputeStatus, HealthStatus, ProvisionResult, ProvisionStatus, TenantComputeSpec,
    UpdateResult, UpdateStatus,
};

/// Records calls as `"<operation> <tenant>"`; fails every call with
/// `failure` when one is set; takes `delay` per call and counts how many
/// calls were in flight at once.
pub(crate) struct StubProvider {
    name: String,
    calls: Mutex<Vec<String>>,
    failure: Mutex<Option<ComputeError>>,
    delay: Duration,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

impl StubProvider {
    pub(crate) fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            calls: Mutex::default(),
            failure: Mutex::default(),
            delay: Duration::ZERO,
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
        }
    }

    /// Make every call take `delay`.
    pub(crate) fn with_delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// The most calls that were ever in flight at once.
    pub(crate) fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    /// Make every later call fail with `error`.
    pub(crate) fn fail_with(&self, error: ComputeError) {
        *self.failure.lock().unwrap_or_else(PoisonError::into_inner) = Some(error);
    }

    pub(crate) fn calls(&self) -> Vec<String> {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// One call: counted while in flight, recorded, then answered.
    async fn record(&self, operation: &str, tenant_id: &str) -> Result<()> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(format!("{operation} {tenant_id}"));
        match &*self.failure.lock().unwrap_or_else(PoisonError::into_inner) {
            Some(error) => Err(error.clone()),
            None => Ok(()),
        }
    }
}

#[async_trait]
impl Provider for StubProvider {
    fn name(&self) -> &str {
        &self.name
    }

    async fn provision(&self, spec: &TenantComputeSpec) -> Result<ProvisionResult> {
        self.record("provision", &spec.tenant_id).await?;
        Ok(ProvisionResult {
            tenant_id: spec.tenant_id.clone(),
            provider_type: self.name.clone(),
            status: ProvisionStatus::Success,
            resource_ids: [("stub".to_owned(), format!("{}-1", spec.tenant_id))].into(),
            endpoints: vec![],
            message: None,
            provisioned_at: Utc::now(),
        })
    }

    async fn update(&self, tenant_id: &str, _spec: &TenantComputeSpec) -> Result<UpdateResult> {
        self.record("update", tenant_id).await?;
        Ok(UpdateResult {
            tenant_id: tenant_id.to_owned(),
            provider_type: self.name.clone(),
            status: UpdateStatus::NoChanges,
            changes: vec![],
            message: None,
            updated_at: Utc::now(),
        })
    }

    async fn destroy(&self, tenant_id: &str) -> Result<()> {
        self.record("destroy", tenant_id).await
    }

    async fn get_status(&self, tenant_id: &str) -> Result<ComputeStatus> {
        self.record("get-status", tenant_id).await?;
        Ok(ComputeStatus {
            tenant_id: tenant_id.to_owned(),
            provider_type: self.name.clone(),
            state: ComputeState::Running,
            containers: vec![],
            health: HealthStatus::Unknown,
            last_updated: Utc::now(),
            metadata: Default::default(),
        })
    }

    async fn validate(&self, spec: &TenantComputeSpec) -> Result<()> {
        self.record("validate", &spec.tenant_id).await
    }
}
