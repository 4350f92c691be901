//! The mock component's whole lifecycle through the manager (seed 4.4).

use chrono::Utc;
use landlord::compute::{ComputeState, ErrorKind, HealthStatus, ProvisionStatus, UpdateStatus};
use landlord::state::{CallOutcome, StateStore};
use landlord_tests::{mock_manager, sample_spec};

#[tokio::test]
async fn provision_status_update_destroy_round_trip() {
    let (manager, state) = mock_manager(&[]);
    assert_eq!(manager.list_providers(), ["mock"]);
    let spec = sample_spec("acme");

    // provision
    let before = Utc::now();
    let provisioned = manager.provision_tenant(&spec).await.unwrap();
    assert_eq!(provisioned.tenant_id, "acme");
    assert_eq!(provisioned.provider_type, "mock");
    assert_eq!(provisioned.status, ProvisionStatus::Success);
    assert!(provisioned.provisioned_at >= before && provisioned.provisioned_at <= Utc::now());
    assert_eq!(
        provisioned.resource_ids.keys().collect::<Vec<_>>(),
        [
            "container/api",
            "container/metrics",
            "container/web",
            "network"
        ]
    );
    assert_eq!(provisioned.resource_ids["container/web"], "mock-acme-web");
    // One endpoint per exposed port; the host port wins when given.
    let endpoints: Vec<_> = provisioned
        .endpoints
        .iter()
        .map(|e| (e.endpoint_type.as_str(), e.address.as_str(), e.port))
        .collect();
    assert_eq!(
        endpoints,
        [
            ("tcp", "web.acme.tenants.example", 8080),
            ("tcp", "web.acme.tenants.example", 443),
            ("tcp", "api.acme.tenants.example", 9000),
            ("udp", "metrics.acme.tenants.example", 9125),
        ]
    );
    assert_eq!(
        provisioned.endpoints[0].url.as_deref(),
        Some("tcp://web.acme.tenants.example:8080")
    );
    assert_eq!(state.list_keys("mock", "").unwrap(), ["tenant/acme"]);

    // provisioning the same spec again creates nothing new
    let again = manager.provision_tenant(&spec).await.unwrap();
    assert_eq!(again.resource_ids, provisioned.resource_ids);
    assert_eq!(state.list_keys("mock", "").unwrap(), ["tenant/acme"]);

    // status
    let status = manager.get_tenant_status("acme", "mock").await.unwrap();
    assert_eq!(status.state, ComputeState::Running);
    assert_eq!(status.health, HealthStatus::Healthy);
    let names: Vec<_> = status.containers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["web", "api", "metrics"]);
    assert!(
        status
            .containers
            .iter()
            .all(|c| c.ready && c.state == "running")
    );
    assert_eq!(status.metadata["generation"], "1");

    // update with the same spec: no changes
    let same = manager.update_tenant("acme", &spec).await.unwrap();
    assert_eq!(same.status, UpdateStatus::NoChanges);
    assert!(same.changes.is_empty());

    // update with a change: listed, and visible in the status
    let mut changed = spec.clone();
    changed.containers[0].image = "nginx:1.28".into();
    changed.containers.pop();
    changed.resources.cpu = 2000;
    let updated = manager.update_tenant("acme", &changed).await.unwrap();
    assert_eq!(updated.status, UpdateStatus::Success);
    assert_eq!(
        updated.changes,
        [
            "container web: image nginx:1.27 -> nginx:1.28",
            "container metrics: removed",
            "resources: cpu 1000m, memory 1024 MiB, storage 2048 MiB -> cpu 2000m, memory 1024 MiB, storage 2048 MiB",
        ]
    );
    let status = manager.get_tenant_status("acme", "mock").await.unwrap();
    assert_eq!(status.containers.len(), 2);
    assert_eq!(status.metadata["generation"], "2");
    let again = manager.update_tenant("acme", &changed).await.unwrap();
    assert_eq!(
        again.status,
        UpdateStatus::NoChanges,
        "update is idempotent"
    );

    // destroy, then the tenant is gone
    manager.destroy_tenant("acme", "mock").await.unwrap();
    let err = manager.get_tenant_status("acme", "mock").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TenantNotFound);
    assert_eq!(
        err.to_string(),
        "tenant 'acme' not found by provider 'mock'"
    );
    assert!(state.list_keys("mock", "").unwrap().is_empty());

    // destroy is idempotent
    manager.destroy_tenant("acme", "mock").await.unwrap();

    // Every provider call is in the journal, in order, with its outcome.
    let journal = state.journal(Some("acme")).unwrap();
    let entries: Vec<_> = journal
        .iter()
        .map(|record| {
            let outcome = match &record.outcome {
                CallOutcome::Ok => "ok".to_owned(),
                CallOutcome::Failed { kind, .. } => format!("{kind:?}"),
            };
            (record.operation.as_str(), outcome)
        })
        .collect();
    // Reads (get-status) are not journaled.
    let expected = [
        ("provision", "ok"),
        ("provision", "ok"),
        ("update", "ok"),
        ("update", "ok"),
        ("update", "ok"),
        ("destroy", "ok"),
        ("destroy", "ok"),
    ];
    let expected: Vec<_> = expected
        .iter()
        .map(|(operation, outcome)| (*operation, outcome.to_string()))
        .collect();
    assert_eq!(entries, expected);
    assert!(
        journal
            .iter()
            .all(|record| record.provider == "mock" && record.duration_ms >= 0.0)
    );
    assert!(journal.windows(2).all(|pair| pair[0].at <= pair[1].at));
}

#[tokio::test]
async fn tenants_do_not_interfere() {
    let (manager, _) = mock_manager(&[]);
    manager
        .provision_tenant(&sample_spec("acme"))
        .await
        .unwrap();
    manager
        .provision_tenant(&sample_spec("globex"))
        .await
        .unwrap();
    manager.destroy_tenant("acme", "mock").await.unwrap();
    let globex = manager.get_tenant_status("globex", "mock").await.unwrap();
    assert_eq!(globex.tenant_id, "globex");
    assert_eq!(globex.containers.len(), 3);
    assert_eq!(
        manager
            .get_tenant_status("acme", "mock")
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::TenantNotFound
    );
}

#[tokio::test]
async fn update_of_an_unknown_tenant_is_tenant_not_found() {
    let (manager, state) = mock_manager(&[]);
    let err = manager
        .update_tenant("acme", &sample_spec("acme"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TenantNotFound);
    assert!(state.list_keys("mock", "").unwrap().is_empty());
}

#[tokio::test]
async fn provisioning_an_existing_tenant_with_another_spec_is_refused() {
    let (manager, _) = mock_manager(&[]);
    manager
        .provision_tenant(&sample_spec("acme"))
        .await
        .unwrap();
    let mut other = sample_spec("acme");
    other.containers[0].image = "nginx:1.28".into();
    let err = manager.provision_tenant(&other).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ProvisionFailed);
    assert!(err.to_string().contains("use update"), "{err}");
    // The stored tenant is unchanged.
    let status = manager.get_tenant_status("acme", "mock").await.unwrap();
    assert_eq!(
        status.containers[0].message.as_deref(),
        Some("image nginx:1.27")
    );
}

#[tokio::test]
async fn validate_checks_the_providers_rules_without_side_effects() {
    let (manager, state) = mock_manager(&[]);
    manager
        .validate_tenant_spec(&sample_spec("acme"))
        .await
        .unwrap();
    assert!(state.list_keys("mock", "").unwrap().is_empty());

    let mut spec = sample_spec("acme");
    spec.provider_config = Some(serde_json::json!({"zone": "eu-1", "replicas": 3}));
    let err = manager.validate_tenant_spec(&spec).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidSpec);
    let paths: Vec<_> = err.violations().iter().map(|v| v.path.as_str()).collect();
    assert_eq!(paths, ["provider_config.replicas"]);
    assert!(matches!(
        err,
        landlord::compute::ComputeError::InvalidSpec { provider: Some(ref p), .. } if p == "mock"
    ));
    // The provider applies the same rules when provisioning.
    let err = manager.provision_tenant(&spec).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidSpec);
    assert!(state.list_keys("mock", "").unwrap().is_empty());
}

#[tokio::test]
async fn tenants_outlive_the_host_with_a_sqlite_store() {
    use std::sync::Arc;

    use landlord::compute::{Manager, Registry};
    use landlord::state::SqliteStateStore;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let manager_over = |store: Arc<SqliteStateStore>| {
        let registry = Arc::new(Registry::new());
        registry
            .register(Arc::new(landlord_tests::load_mock(&[], store)))
            .unwrap();
        Manager::new(registry)
    };
    {
        let manager = manager_over(Arc::new(SqliteStateStore::open(&path).unwrap()));
        manager
            .provision_tenant(&sample_spec("acme"))
            .await
            .unwrap();
    }
    // A new host over the same file sees the tenant and its history.
    let store = Arc::new(SqliteStateStore::open(&path).unwrap());
    let manager = manager_over(store.clone());
    let status = manager.get_tenant_status("acme", "mock").await.unwrap();
    assert_eq!(status.containers.len(), 3);
    let operations: Vec<_> = store
        .journal(Some("acme"))
        .unwrap()
        .iter()
        .map(|record| record.operation.as_str())
        .collect();
    assert_eq!(operations, ["provision"]);
}
