//! The front door: validates, routes by provider name, logs, and hands the
//! provider's answer back unchanged.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use tracing::Instrument;

use super::error::{Operation, Result};
use super::provider::Provider;
use super::registry::Registry;
use super::tenant_locks::TenantLocks;
use super::types::{ComputeStatus, ProvisionResult, TenantComputeSpec, UpdateResult};
use super::validation::{ValidSpec, validate_tenant_id};

/// Routes tenant operations to registered providers. A provider never sees a
/// spec that failed validation, and operations on one tenant run one at a
/// time (operations on different tenants run concurrently). Clones share the
/// registry and the tenant locks.
#[derive(Clone)]
pub struct Manager {
    registry: Arc<Registry>,
    tenant_locks: Arc<TenantLocks>,
}

impl Manager {
    /// A manager over `registry`.
    pub fn new(registry: Arc<Registry>) -> Self {
        Self {
            registry,
            tenant_locks: Arc::default(),
        }
    }

    /// The registry this manager routes through.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// Validate `spec`, then provision it with the provider it names.
    pub async fn provision_tenant(&self, spec: &TenantComputeSpec) -> Result<ProvisionResult> {
        self.provision_valid(ValidSpec::check(spec)?).await
    }

    /// Provision a spec already validated.
    pub async fn provision_valid(&self, spec: ValidSpec<'_>) -> Result<ProvisionResult> {
        let spec = spec.spec();
        self.call(
            Operation::Provision,
            &spec.provider_type,
            &spec.tenant_id,
            |provider| async move { provider.provision(spec).await },
        )
        .await
    }

    /// Validate `spec`, check it is for `tenant_id`, then update the tenant
    /// with the provider it names.
    pub async fn update_tenant(
        &self,
        tenant_id: &str,
        spec: &TenantComputeSpec,
    ) -> Result<UpdateResult> {
        self.update_valid(ValidSpec::check_update(tenant_id, spec)?)
            .await
    }

    /// Update the tenant of a spec already validated for that update.
    pub async fn update_valid(&self, spec: ValidSpec<'_>) -> Result<UpdateResult> {
        let spec = spec.spec();
        let tenant_id = spec.tenant_id.as_str();
        self.call(
            Operation::Update,
            &spec.provider_type,
            tenant_id,
            |provider| async move { provider.update(tenant_id, spec).await },
        )
        .await
    }

    /// Destroy `tenant_id` with provider `provider_type`. Destroying a tenant
    /// that does not exist succeeds.
    pub async fn destroy_tenant(&self, tenant_id: &str, provider_type: &str) -> Result<()> {
        validate_tenant_id(tenant_id)?;
        self.call(
            Operation::Destroy,
            provider_type,
            tenant_id,
            |provider| async move { provider.destroy(tenant_id).await },
        )
        .await
    }

    /// The current status of `tenant_id` as provider `provider_type` sees it.
    pub async fn get_tenant_status(
        &self,
        tenant_id: &str,
        provider_type: &str,
    ) -> Result<ComputeStatus> {
        validate_tenant_id(tenant_id)?;
        self.call(
            Operation::GetStatus,
            provider_type,
            tenant_id,
            |provider| async move { provider.get_status(tenant_id).await },
        )
        .await
    }

    /// Validate `spec` structurally, then ask its provider to validate it;
    /// nothing is provisioned.
    pub async fn validate_tenant_spec(&self, spec: &TenantComputeSpec) -> Result<()> {
        self.validate_valid(ValidSpec::check(spec)?).await
    }

    /// Ask the provider of a spec already validated to validate it.
    pub async fn validate_valid(&self, spec: ValidSpec<'_>) -> Result<()> {
        let spec = spec.spec();
        self.call(
            Operation::Validate,
            &spec.provider_type,
            &spec.tenant_id,
            |provider| async move { provider.validate(spec).await },
        )
        .await
    }

    /// The registered provider names, sorted.
    pub fn list_providers(&self) -> Vec<String> {
        self.registry.list()
    }

    /// Look up the provider and run `op` on it, holding the tenant's lock,
    /// inside a span carrying the provider, tenant and operation; log the
    /// outcome and duration.
    async fn call<'a, T, F, Fut>(
        &self,
        operation: Operation,
        provider_name: &str,
        tenant_id: &str,
        op: F,
    ) -> Result<T>
    where
        F: FnOnce(Arc<dyn Provider>) -> Fut,
        Fut: Future<Output = Result<T>> + 'a,
    {
        let span = tracing::info_span!(
            "compute",
            provider = %provider_name,
            tenant_id = %tenant_id,
            operation = %operation,
        );
        async move {
            let provider = self.registry.get(provider_name).inspect_err(|err| {
                tracing::info!(error.kind = ?err.kind(), error = %err, "{operation} refused");
            })?;
            let _tenant = self.tenant_locks.lock(tenant_id).await;
            tracing::info!("{operation} started");
            let started = Instant::now();
            let outcome = op(provider).await;
            let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
            match &outcome {
                Ok(_) => tracing::info!(duration_ms, "{operation} completed"),
                // What the caller asked for was wrong or absent: an answer,
                // not an incident.
                Err(err) if err.kind().is_caller_error() => tracing::info!(
                    duration_ms,
                    error.kind = ?err.kind(),
                    error = %err,
                    "{operation} refused"
                ),
                Err(err) => tracing::warn!(
                    duration_ms,
                    error.kind = ?err.kind(),
                    error = %err,
                    "{operation} failed"
                ),
            }
            outcome
        }
        .instrument(span)
        .await
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::Once;
    use std::time::Duration;

    use super::*;
    use crate::compute::error::{ComputeError, ErrorKind, FieldViolation, Operation};
    use crate::compute::test_double::StubProvider;
    use crate::compute::types::*;

    fn spec_for(provider: &str) -> TenantComputeSpec {
        serde_json::from_value(serde_json::json!({
            "tenant_id": "acme",
            "provider_type": provider,
            "containers": [{"name": "web", "image": "nginx:1.27", "ports": [{"container_port": 80}]}],
            "resources": {"cpu": 250, "memory": 256}
        }))
        .unwrap()
    }

    /// A manager over two stub providers, `alpha` and `beta`.
    fn two_providers() -> (Manager, Arc<StubProvider>, Arc<StubProvider>) {
        let registry = Arc::new(Registry::new());
        let alpha = Arc::new(StubProvider::new("alpha"));
        let beta = Arc::new(StubProvider::new("beta"));
        registry.register(alpha.clone()).unwrap();
        registry.register(beta.clone()).unwrap();
        (Manager::new(registry), alpha, beta)
    }

    #[tokio::test]
    async fn routes_each_operation_to_the_named_provider() {
        let (manager, alpha, beta) = two_providers();
        let result = manager.provision_tenant(&spec_for("beta")).await.unwrap();
        assert_eq!(result.provider_type, "beta");
        manager
            .update_tenant("acme", &spec_for("beta"))
            .await
            .unwrap();
        manager
            .validate_tenant_spec(&spec_for("beta"))
            .await
            .unwrap();
        manager.get_tenant_status("acme", "alpha").await.unwrap();
        manager.destroy_tenant("acme", "alpha").await.unwrap();
        assert_eq!(
            beta.calls(),
            ["provision acme", "update acme", "validate acme"]
        );
        assert_eq!(alpha.calls(), ["get-status acme", "destroy acme"]);
        assert_eq!(manager.list_providers(), ["alpha", "beta"]);
    }

    #[tokio::test]
    async fn unknown_provider_is_provider_not_found() {
        let (manager, alpha, beta) = two_providers();
        let err = manager
            .provision_tenant(&spec_for("gamma"))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ProviderNotFound);
        assert!(err.to_string().contains("'gamma'"), "{err}");
        let err = manager.destroy_tenant("acme", "gamma").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ProviderNotFound);
        assert!(alpha.calls().is_empty() && beta.calls().is_empty());
    }

    #[tokio::test]
    async fn an_invalid_spec_never_reaches_the_provider() {
        let (manager, alpha, _) = two_providers();
        let mut spec = spec_for("alpha");
        spec.containers[0].ports[0].container_port = 0;
        for err in [
            manager.provision_tenant(&spec).await.unwrap_err(),
            manager.update_tenant("acme", &spec).await.unwrap_err(),
            manager.validate_tenant_spec(&spec).await.unwrap_err(),
        ] {
            assert_eq!(err.kind(), ErrorKind::InvalidSpec);
            assert_eq!(
                err.violations()[0].path,
                "containers[0].ports[0].container_port"
            );
        }
        let err = manager
            .destroy_tenant("Not Valid", "alpha")
            .await
            .unwrap_err();
        assert_eq!(err.violations()[0].path, "tenant_id");
        let err = manager.get_tenant_status("", "alpha").await.unwrap_err();
        assert_eq!(err.violations()[0].path, "tenant_id");
        assert!(alpha.calls().is_empty(), "provider saw {:?}", alpha.calls());
    }

    #[tokio::test]
    async fn update_requires_the_spec_to_be_for_the_tenant_being_updated() {
        let (manager, alpha, _) = two_providers();
        let err = manager
            .update_tenant("globex", &spec_for("alpha"))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidSpec);
        assert_eq!(err.violations().len(), 1);
        assert_eq!(err.violations()[0].path, "tenant_id");
        assert!(err.violations()[0].message.contains("'globex'"));
        assert!(alpha.calls().is_empty());
    }

    #[tokio::test]
    async fn provider_errors_propagate_unchanged_for_every_kind() {
        let provider = || "alpha".to_owned();
        let tenant = || "acme".to_owned();
        let errors = [
            ComputeError::invalid_spec(vec![FieldViolation::new("provider_config", "bad")]),
            ComputeError::ProvisionFailed {
                provider: provider(),
                tenant_id: tenant(),
                message: "quota".into(),
            },
            ComputeError::UpdateFailed {
                provider: provider(),
                tenant_id: tenant(),
                message: "locked".into(),
            },
            ComputeError::TenantNotFound {
                provider: provider(),
                tenant_id: tenant(),
            },
            ComputeError::OperationFailed {
                provider: provider(),
                operation: Operation::Destroy,
                message: "busy".into(),
            },
            ComputeError::Trap {
                provider: provider(),
                operation: Operation::Provision,
                message: "panicked".into(),
            },
            ComputeError::Timeout {
                provider: provider(),
                operation: Operation::Provision,
                limit: Duration::from_secs(1),
            },
        ];
        for expected in errors {
            let (manager, alpha, _) = two_providers();
            alpha.fail_with(expected.clone());
            let spec = spec_for("alpha");
            let outcomes = [
                manager.provision_tenant(&spec).await.err(),
                manager.update_tenant("acme", &spec).await.err(),
                manager.destroy_tenant("acme", "alpha").await.err(),
                manager.get_tenant_status("acme", "alpha").await.err(),
                manager.validate_tenant_spec(&spec).await.err(),
            ];
            for got in outcomes {
                let got = got.expect("the provider's failure must surface");
                assert_eq!(got.kind(), expected.kind());
                assert_eq!(got.to_string(), expected.to_string());
            }
        }
    }

    thread_local! {
        /// Log output of the current thread, while a test captures it.
        static CAPTURED: std::cell::RefCell<Option<Vec<u8>>> = const { std::cell::RefCell::new(None) };
    }

    /// Writes into this thread's capture buffer, if one is active.
    struct ThreadCapture;

    impl io::Write for ThreadCapture {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            CAPTURED.with_borrow_mut(|captured| {
                if let Some(captured) = captured {
                    captured.extend_from_slice(buf);
                }
            });
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// Run `f` and return what it logged on this thread. The subscriber is
    /// the process-wide default, installed once: a scoped subscriber
    /// (`with_default`) races with other test threads over tracing's
    /// callsite-interest cache and can miss events.
    fn capture_logs(f: impl FnOnce()) -> String {
        static INSTALL: Once = Once::new();
        INSTALL.call_once(|| {
            let subscriber = tracing_subscriber::fmt()
                .with_writer(|| ThreadCapture)
                .with_ansi(false)
                .with_max_level(tracing::Level::INFO)
                .finish();
            tracing::subscriber::set_global_default(subscriber).unwrap();
        });
        CAPTURED.set(Some(Vec::new()));
        f();
        let captured = CAPTURED.take().unwrap_or_default();
        String::from_utf8(captured).unwrap()
    }

    #[test]
    fn operations_are_logged_with_provider_tenant_operation_and_duration() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let logs = capture_logs(|| {
            runtime.block_on(async {
                let (manager, alpha, _) = two_providers();
                manager.provision_tenant(&spec_for("alpha")).await.unwrap();
                alpha.fail_with(ComputeError::TenantNotFound {
                    provider: "alpha".into(),
                    tenant_id: "acme".into(),
                });
                manager
                    .get_tenant_status("acme", "alpha")
                    .await
                    .unwrap_err();
                alpha.fail_with(ComputeError::OperationFailed {
                    provider: "alpha".into(),
                    operation: Operation::Destroy,
                    message: "volume busy".into(),
                });
                manager.destroy_tenant("acme", "alpha").await.unwrap_err();
            })
        });
        let line = |needle: &str| {
            logs.lines()
                .find(|line| line.contains(needle))
                .unwrap_or_else(|| panic!("no log line with {needle:?} in:\n{logs}"))
                .to_owned()
        };
        let completed = line("provision completed");
        assert!(completed.contains("provider=alpha"), "{completed}");
        assert!(completed.contains("tenant_id=acme"), "{completed}");
        assert!(completed.contains("operation=provision"), "{completed}");
        assert!(completed.contains("duration_ms="), "{completed}");
        assert!(line("provision started").contains(" INFO "));
        let refused = line("get-status refused");
        assert!(refused.contains(" INFO "), "{refused}");
        assert!(refused.contains("error.kind=TenantNotFound"), "{refused}");
        let failed = line("destroy failed");
        assert!(failed.contains(" WARN "), "{failed}");
        assert!(failed.contains("error.kind=OperationFailed"), "{failed}");
        assert!(failed.contains("volume busy"), "{failed}");
        assert!(
            logs.lines()
                .any(|l| l.contains("registered compute provider") && l.contains("provider=beta")),
            "{logs}"
        );
    }

    async fn max_concurrency(tenants: &[&str]) -> usize {
        let registry = Arc::new(Registry::new());
        let slow = Arc::new(StubProvider::new("alpha").with_delay(Duration::from_millis(20)));
        registry.register(slow.clone()).unwrap();
        let manager = Manager::new(registry);
        let tasks: Vec<_> = tenants
            .iter()
            .map(|tenant| {
                let manager = manager.clone();
                let tenant = tenant.to_string();
                tokio::spawn(async move {
                    let mut spec = spec_for("alpha");
                    spec.tenant_id = tenant;
                    manager.provision_tenant(&spec).await.unwrap();
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(slow.calls().len(), tenants.len());
        slow.max_in_flight()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn operations_on_one_tenant_never_overlap() {
        assert_eq!(max_concurrency(&["acme"; 8]).await, 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn operations_on_different_tenants_run_concurrently() {
        let tenants = ["t-0", "t-1", "t-2", "t-3", "t-4", "t-5", "t-6", "t-7"];
        assert!(max_concurrency(&tenants).await > 1);
    }
}
