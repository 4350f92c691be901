//! The mock's failure switches (`config` key `fail.<operation>`) surface
//! as the right error kind, and a failed call writes nothing.

use landlord::compute::{ComputeError, ErrorKind, Operation};
use landlord::state::StateStore;
use landlord_tests::{mock_manager, sample_spec};

#[tokio::test]
async fn configured_failures_map_to_their_error_kinds() {
    let spec = sample_spec("acme");
    let cases = [
        ("fail.provision", ErrorKind::ProvisionFailed),
        ("fail.update", ErrorKind::UpdateFailed),
        ("fail.destroy", ErrorKind::OperationFailed),
        ("fail.get-status", ErrorKind::OperationFailed),
        ("fail.validate", ErrorKind::InvalidSpec),
    ];
    for (key, kind) in cases {
        let (healthy, state) = mock_manager(&[]);
        healthy.provision_tenant(&spec).await.unwrap();
        // Same store, a second mock with the failure switch on.
        let failing = landlord_tests::load_mock(&[(key, "injected by test")], state.clone());
        let registry = std::sync::Arc::new(landlord::compute::Registry::new());
        registry.register(std::sync::Arc::new(failing)).unwrap();
        let manager = landlord::compute::Manager::new(registry);

        let err = match key {
            "fail.provision" => manager.provision_tenant(&spec).await.map(drop),
            "fail.update" => {
                let mut changed = spec.clone();
                changed.labels.insert("tier".into(), "silver".into());
                manager.update_tenant("acme", &changed).await.map(drop)
            }
            "fail.destroy" => manager.destroy_tenant("acme", "mock").await,
            "fail.get-status" => manager.get_tenant_status("acme", "mock").await.map(drop),
            "fail.validate" => manager.validate_tenant_spec(&spec).await,
            _ => unreachable!(),
        }
        .expect_err(key);
        assert_eq!(err.kind(), kind, "{key}: {err}");
        assert!(err.to_string().contains("injected by test"), "{key}: {err}");
        assert!(err.to_string().contains("mock"), "{key}: {err}");
        // Nothing changed: the tenant is still there, at generation 1.
        assert_eq!(state.list_keys("mock", "").unwrap(), ["tenant/acme"]);
        let status = healthy.get_tenant_status("acme", "mock").await.unwrap();
        assert_eq!(status.metadata["generation"], "1", "{key}");
        assert_eq!(status.containers.len(), 3, "{key}");
    }
}

#[tokio::test]
async fn operation_failures_name_the_operation() {
    let (manager, _) = mock_manager(&[("fail.destroy", "volume busy")]);
    let err = manager.destroy_tenant("acme", "mock").await.unwrap_err();
    match err {
        ComputeError::OperationFailed {
            provider,
            operation,
            message,
        } => {
            assert_eq!(provider, "mock");
            assert_eq!(operation, Operation::Destroy);
            assert_eq!(message, "volume busy");
        }
        other => panic!("expected OperationFailed, got {other:?}"),
    }
}
