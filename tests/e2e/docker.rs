//! The Docker provider against a real engine: the embedded component, its
//! outbound grant to the local engine, real containers answering on real
//! ports. Without a reachable engine every test here fails with the
//! command that installs and starts one (`landlord_tests::docker`).

use std::collections::BTreeMap;
use std::io::ErrorKind as IoErrorKind;
use std::sync::Arc;
use std::time::Duration;

use landlord::compute::{
    ComputeState, ErrorKind, Manager, Provider, Registry, TenantComputeSpec, UpdateStatus,
};
use landlord::config::ProviderEntry;
use landlord::sandbox::{Runtime, WasmProvider};
use landlord::state::MemoryStateStore;
use landlord_tests::docker::{
    IMAGE_2, TenantGuard, containers_of, docker, docker_settings, http_get, ids_by_name,
    load_docker, networks_of, require_engine, tenant_id, web_and_worker,
};

/// The embedded Docker provider with its default grant, over fresh state.
fn provider(runtime: &Runtime) -> WasmProvider {
    load_docker(
        runtime,
        docker_settings(&ProviderEntry::default()),
        Arc::new(MemoryStateStore::new()),
    )
    .expect("the docker provider loads with its default grant")
}

fn manager(provider: WasmProvider) -> Manager {
    let registry = Arc::new(Registry::new());
    registry.register(Arc::new(provider)).unwrap();
    Manager::new(registry)
}

/// The host port of the endpoint named `http`.
fn web_port(endpoints: &[landlord::compute::Endpoint]) -> u16 {
    endpoints
        .iter()
        .find(|endpoint| endpoint.port != 0 && endpoint.url.is_some())
        .unwrap_or_else(|| panic!("no http endpoint in {endpoints:?}"))
        .port
}

#[tokio::test(flavor = "multi_thread")]
async fn a_two_container_tenant_answers_http_on_the_port_the_engine_published() {
    require_engine();
    let tenant = tenant_id("web");
    let _guard = TenantGuard(tenant.clone());
    let manager = manager(provider(&Runtime::new().unwrap()));
    let spec = web_and_worker(&tenant);

    let result = manager.provision_tenant(&spec).await.expect("provision");
    let listed = containers_of(&tenant);
    assert_eq!(
        listed.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        [
            format!("landlord-{tenant}-web"),
            format!("landlord-{tenant}-worker")
        ]
    );
    assert!(listed.iter().all(|c| c.state == "running"), "{listed:?}");
    assert_eq!(networks_of(&tenant), [format!("landlord-{tenant}")]);
    // Resource ids are the engine's.
    for container in &listed {
        assert!(
            result
                .resource_ids
                .values()
                .any(|id| container.id.starts_with(id.as_str()) || id.starts_with(&container.id)),
            "{} not in {:?}",
            container.id,
            result.resource_ids
        );
    }
    let port = web_port(&result.endpoints);
    let body = http_get(port, "/", Duration::from_secs(20)).expect("the web container answers");
    assert_eq!(
        body.trim(),
        "landlord-test busybox: hello from landlord-test/busybox:1"
    );

    // Labels and limits as the spec says.
    let web = format!("landlord-{tenant}-web");
    let inspected = docker(&[
        "inspect",
        "-f",
        "{{index .Config.Labels \"landlord.owner\"}} {{index .Config.Labels \"landlord.provider\"}} {{index .Config.Labels \"suite\"}} {{.HostConfig.NanoCpus}} {{.HostConfig.Memory}}",
        &format!("landlord-{tenant}-worker"),
    ]);
    assert_eq!(inspected, "landlord docker docker-e2e 250000000 134217728");
    // The web container shares the rest of the tenant's resources.
    let web_limits = docker(&[
        "inspect",
        "-f",
        "{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}}",
        &web,
    ]);
    assert_eq!(web_limits, "750000000 402653184");

    // Provisioning the same spec again creates nothing.
    let before = ids_by_name(&tenant);
    let again = manager
        .provision_tenant(&spec)
        .await
        .expect("provision again");
    assert_eq!(ids_by_name(&tenant), before);
    assert_eq!(web_port(&again.endpoints), port);

    let status = manager.get_tenant_status(&tenant, "docker").await.unwrap();
    assert_eq!(status.containers.len(), 2);

    manager
        .destroy_tenant(&tenant, "docker")
        .await
        .expect("destroy");
    assert!(
        containers_of(&tenant).is_empty(),
        "{:?}",
        containers_of(&tenant)
    );
    assert!(networks_of(&tenant).is_empty());
    manager
        .destroy_tenant(&tenant, "docker")
        .await
        .expect("destroy is idempotent");
    let err = manager
        .get_tenant_status(&tenant, "docker")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TenantNotFound, "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_container_shows_in_status() {
    require_engine();
    let tenant = tenant_id("kill");
    let _guard = TenantGuard(tenant.clone());
    let manager = manager(provider(&Runtime::new().unwrap()));
    manager
        .provision_tenant(&web_and_worker(&tenant))
        .await
        .expect("provision");
    let status = manager.get_tenant_status(&tenant, "docker").await.unwrap();
    assert!(
        matches!(status.state, ComputeState::Running | ComputeState::Starting),
        "{status:?}"
    );

    docker(&["kill", &format!("landlord-{tenant}-worker")]);
    let status = manager.get_tenant_status(&tenant, "docker").await.unwrap();
    assert_eq!(status.state, ComputeState::Failed, "{status:?}");
    let worker = status
        .containers
        .iter()
        .find(|c| c.name == "worker")
        .expect("worker in status");
    assert_eq!(worker.state, "exited", "{worker:?}");
    assert!(!worker.ready);
    assert!(
        worker
            .message
            .as_deref()
            .unwrap_or_default()
            .contains("137"),
        "the exit code of a kill is in the message: {worker:?}"
    );
    let web = status.containers.iter().find(|c| c.name == "web").unwrap();
    assert_eq!(web.state, "running", "{web:?}");
    manager.destroy_tenant(&tenant, "docker").await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_image_change_recreates_only_that_container() {
    require_engine();
    let tenant = tenant_id("update");
    let _guard = TenantGuard(tenant.clone());
    let manager = manager(provider(&Runtime::new().unwrap()));
    let spec = web_and_worker(&tenant);
    manager.provision_tenant(&spec).await.expect("provision");
    let before = ids_by_name(&tenant);

    let same = manager
        .update_tenant(&tenant, &spec)
        .await
        .expect("update, same spec");
    assert_eq!(same.status, UpdateStatus::NoChanges, "{same:?}");
    assert_eq!(ids_by_name(&tenant), before);

    let mut changed = spec.clone();
    changed.containers[0].image = IMAGE_2.to_owned();
    let result = manager
        .update_tenant(&tenant, &changed)
        .await
        .expect("update");
    assert_eq!(result.status, UpdateStatus::Success, "{result:?}");
    assert_eq!(
        result.changes.len(),
        1,
        "one line per change: {:?}",
        result.changes
    );
    assert!(result.changes[0].contains("web"), "{:?}", result.changes);
    let after = ids_by_name(&tenant);
    let (web, worker) = (
        format!("landlord-{tenant}-web"),
        format!("landlord-{tenant}-worker"),
    );
    assert_ne!(after[&web], before[&web], "web was recreated");
    assert_eq!(after[&worker], before[&worker], "worker was left alone");
    assert_eq!(after.len(), 2);

    let status = manager.get_tenant_status(&tenant, "docker").await.unwrap();
    assert_eq!(status.containers.len(), 2);
    // The new web serves the second image's page.
    let port: u16 = docker(&["port", &web, "8080/tcp"])
        .lines()
        .next()
        .and_then(|line| line.rsplit(':').next())
        .and_then(|port| port.parse().ok())
        .expect("web publishes 8080");
    let body = http_get(port, "/", Duration::from_secs(20)).expect("the new web answers");
    assert_eq!(
        body.trim(),
        "landlord-test busybox: hello from landlord-test/busybox:2"
    );

    // A container left out is removed, a new one added.
    let mut fewer = changed.clone();
    fewer.containers.truncate(1);
    let mut extra = fewer.containers[0].clone();
    extra.name = "extra".into();
    extra.ports.clear();
    extra.health_check = None;
    // Its own resources, so web's share of the tenant's stays the same.
    extra.resources = changed.containers[1].resources.clone();
    fewer.containers.push(extra);
    let result = manager
        .update_tenant(&tenant, &fewer)
        .await
        .expect("update");
    assert_eq!(result.changes.len(), 2, "{:?}", result.changes);
    let names: Vec<String> = ids_by_name(&tenant).into_keys().collect();
    assert_eq!(names, [format!("landlord-{tenant}-extra"), web.clone()]);
    assert_eq!(ids_by_name(&tenant)[&web], after[&web], "web unchanged");
    manager.destroy_tenant(&tenant, "docker").await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn status_and_destroy_work_from_a_fresh_state_directory() {
    require_engine();
    let tenant = tenant_id("fresh");
    let _guard = TenantGuard(tenant.clone());
    let runtime = Runtime::new().unwrap();
    provider(&runtime)
        .provision(&web_and_worker(&tenant))
        .await
        .expect("provision");

    // Another host process with an empty state directory: labels are the truth.
    let forgetful = provider(&runtime);
    let status = forgetful
        .get_status(&tenant)
        .await
        .expect("status from labels");
    let mut names: Vec<&str> = status.containers.iter().map(|c| c.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["web", "worker"]);
    forgetful
        .destroy(&tenant)
        .await
        .expect("destroy from labels");
    assert!(containers_of(&tenant).is_empty());
    assert!(networks_of(&tenant).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provision_stopped_by_its_deadline_is_adopted_by_the_next() {
    require_engine();
    let tenant = tenant_id("adopt");
    let _guard = TenantGuard(tenant.clone());
    let runtime = Runtime::new().unwrap();
    let mut spec = web_and_worker(&tenant);
    for name in ["third", "fourth"] {
        let mut more = spec.containers[1].clone();
        more.name = name.into();
        spec.containers.push(more);
    }
    // Find a deadline that stops the provision half-way: some containers
    // exist, not all of them running.
    let mut cut_at = None;
    for timeout_ms in [150, 300, 500, 800, 1200, 1800, 2500] {
        let mut settings = docker_settings(&ProviderEntry::default());
        settings.limits.timeout = Duration::from_millis(timeout_ms);
        let hasty = load_docker(&runtime, settings, Arc::new(MemoryStateStore::new())).unwrap();
        let err = match hasty.provision(&spec).await {
            Err(err) => err,
            Ok(_) => break, // fast enough to finish: no cut to adopt
        };
        assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
        let listed = containers_of(&tenant);
        let running = listed.iter().filter(|c| c.state == "running").count();
        if !listed.is_empty() && running < spec.containers.len() {
            cut_at = Some((timeout_ms, listed));
            break;
        }
        drop(TenantGuard(tenant.clone())); // start clean for the next try
    }
    let (timeout_ms, partial) = cut_at.expect("some deadline stops the provision half-way");
    let cut = format!("cut at {timeout_ms} ms, leaving {partial:?}");

    let result = provider(&runtime)
        .provision(&spec)
        .await
        .unwrap_or_else(|err| panic!("the next provision adopts ({cut}): {err}"));
    let listed = containers_of(&tenant);
    assert_eq!(
        listed.len(),
        spec.containers.len(),
        "no duplicates ({cut}): {listed:?}"
    );
    assert!(
        listed.iter().all(|c| c.state == "running"),
        "{cut}: {listed:?}"
    );
    assert_eq!(networks_of(&tenant).len(), 1);
    // What the cut provision created was kept, not replaced.
    for kept in &partial {
        assert!(
            listed.iter().any(|c| c.id == kept.id),
            "{} was replaced ({cut})",
            kept.name
        );
    }
    assert!(!result.endpoints.is_empty());
    provider(&runtime).destroy(&tenant).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_without_the_grant_cannot_reach_the_engine() {
    require_engine();
    let runtime = Runtime::new().unwrap();
    // No engine grant at all: it does not even load.
    let entry = ProviderEntry {
        engines: Some(vec![]),
        ..ProviderEntry::default()
    };
    let Err(err) = load_docker(
        &runtime,
        docker_settings(&entry),
        Arc::new(MemoryStateStore::new()),
    ) else {
        panic!("the docker provider loaded without an engine grant");
    };
    assert_eq!(err.kind(), ErrorKind::Load, "{err}");
    assert!(err.to_string().contains("granted no origin"), "{err}");

    // Granted another origin: pointed at the engine's socket, or at a
    // listener on another local port, it is denied before any connection.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let tenant = tenant_id("denied");
    let _guard = TenantGuard(tenant.clone());
    for engine in [
        "http://docker.localhost".to_owned(),
        format!("http://127.0.0.1:{port}"),
    ] {
        let entry = ProviderEntry {
            outbound: Some(vec!["http://127.0.0.1:1".parse().unwrap()]),
            engines: Some(vec![]),
            config: BTreeMap::from([("engine".to_owned(), engine.clone())]),
            ..ProviderEntry::default()
        };
        let denied = load_docker(
            &runtime,
            docker_settings(&entry),
            Arc::new(MemoryStateStore::new()),
        )
        .expect("loads: it is granted an origin");
        let err = denied
            .provision(&web_and_worker(&tenant))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::OutboundDenied, "{engine}: {err}");
        assert!(
            err.to_string().contains("granted: http://127.0.0.1:1"),
            "{err}"
        );
        let err = denied.get_status(&tenant).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::OutboundDenied, "{engine}: {err}");
    }
    match listener.accept() {
        Err(err) if err.kind() == IoErrorKind::WouldBlock => {}
        other => panic!("the listener on port {port} saw a connection: {other:?}"),
    }
    assert!(containers_of(&tenant).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_conformance_kit_passes_against_the_docker_provider() {
    require_engine();
    let tenant = tenant_id("kit");
    let _guards = [
        TenantGuard(format!("{tenant}-a")),
        TenantGuard(format!("{tenant}-b")),
    ];
    let base: TenantComputeSpec = web_and_worker(&tenant);
    let report = landlord::conformance::check_with(
        &Runtime::new().unwrap(),
        "embedded docker",
        landlord::embedded::DOCKER_COMPONENT,
        &docker_settings(&ProviderEntry::default()),
        Some(base),
    )
    .await
    .expect("the docker provider loads");
    let failed: Vec<String> = report
        .results
        .iter()
        .filter(|r| !r.passed)
        .map(|r| format!("{}: {}", r.rule, r.detail))
        .collect();
    assert!(failed.is_empty(), "rules failed:\n{}", failed.join("\n"));
    assert!(
        containers_of(&format!("{tenant}-a")).is_empty(),
        "the kit cleans up"
    );
}
