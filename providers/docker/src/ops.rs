//! The provider's operations against an [`Engine`]. The engine is the only
//! source of truth: a tenant is whatever carries its labels, so these work
//! from an empty state directory, after a call that was cut off, and when
//! called twice.

use std::collections::{BTreeMap, BTreeSet};

use crate::bindings::landlord::compute::types::{
    ComputeStatus, Endpoint, PortMapping, ProviderError, ProvisionResult, ProvisionStatus,
    TenantComputeSpec, UpdateResult, UpdateStatus,
};
use crate::checks::{self, PullPolicy, Settings};
use crate::engine::{ContainerDetails, ContainerSummary, Engine, EngineError, NetworkSummary};
use crate::plan::{self, ContainerPlan, HASH_LABEL, INDEX_LABEL, OWNER, OWNER_LABEL, TENANT_LABEL};
use crate::status;

/// Config key: the address put in endpoints.
pub(crate) const ENDPOINT_HOST_KEY: &str = "endpoint_host";
/// Endpoint address when the operator sets none.
pub(crate) const DEFAULT_ENDPOINT_HOST: &str = "127.0.0.1";

/// What an operation works with: the engine, the log, the operator's config.
pub(crate) struct Ctx<'a> {
    /// The Docker engine.
    pub engine: &'a dyn Engine,
    /// Logs one line at info. Never given env values or secrets.
    pub log: &'a dyn Fn(&str),
    /// The operator's config.
    pub config: &'a dyn Fn(&str) -> Option<String>,
}

impl Ctx<'_> {
    fn info(&self, message: &str) {
        (self.log)(message);
    }
}

/// A failed step: what was being done and why it failed.
fn step(what: impl std::fmt::Display, err: EngineError) -> String {
    format!("{what}: {err}")
}

/// The spec checked and planned, or `invalid-spec`.
fn prepare(
    ctx: &Ctx<'_>,
    spec: &TenantComputeSpec,
) -> Result<(Settings, Vec<ContainerPlan>), ProviderError> {
    let checked = checks::check(spec, ctx.config).map_err(ProviderError::InvalidSpec)?;
    let plans = plan::tenant(spec, &checked.settings, &checked.secrets);
    Ok((checked.settings, plans))
}

/// The tenant's existing containers and networks.
fn existing(
    ctx: &Ctx<'_>,
    tenant: &str,
) -> Result<(Vec<ContainerSummary>, Vec<NetworkSummary>), String> {
    let containers = ctx
        .engine
        .list_containers(tenant)
        .map_err(|err| step("listing the tenant's containers", err))?;
    let networks = ctx
        .engine
        .list_networks(tenant)
        .map_err(|err| step("listing the tenant's networks", err))?;
    Ok((containers, networks))
}

/// Make sure the engine has `image`, pulling it as `policy` allows.
fn ensure_image(ctx: &Ctx<'_>, image: &str, policy: PullPolicy) -> Result<(), String> {
    if policy != PullPolicy::Always {
        let present = ctx
            .engine
            .image_exists(image)
            .map_err(|err| step(format_args!("looking up image '{image}'"), err))?;
        if present {
            return Ok(());
        }
        if policy == PullPolicy::Never {
            return Err(format!(
                "image '{image}' is not on the Docker engine, and provider_config.pull_policy is \"never\""
            ));
        }
    }
    ctx.info(&format!("pulling image {image}"));
    ctx.engine.pull_image(image).map_err(|err| {
        if policy == PullPolicy::Always {
            step(format_args!("pulling image '{image}'"), err)
        } else {
            step(
                format_args!("image '{image}' is not on the Docker engine and pulling it failed"),
                err,
            )
        }
    })
}

/// Every distinct image of `plans`, each made present.
fn ensure_images<'a>(
    ctx: &Ctx<'_>,
    plans: impl IntoIterator<Item = &'a ContainerPlan>,
    policy: PullPolicy,
) -> Result<(), String> {
    let images: BTreeSet<&str> = plans.into_iter().map(|plan| plan.image.as_str()).collect();
    images
        .into_iter()
        .try_for_each(|image| ensure_image(ctx, image, policy))
}

/// The tenant's network id: the existing one, or a new one.
fn ensure_network(
    ctx: &Ctx<'_>,
    tenant: &str,
    networks: &[NetworkSummary],
) -> Result<String, String> {
    let name = plan::network_name(tenant);
    if let Some(network) = networks.iter().find(|network| network.name == name) {
        return Ok(network.id.clone());
    }
    ctx.info(&format!("creating network {name}"));
    match ctx
        .engine
        .create_network(&name, &plan::tenant_labels(tenant))
    {
        Ok(id) => Ok(id),
        Err(err) if err.is_conflict() => Err(format!(
            "a network named '{name}' already exists without landlord's labels for tenant \
             '{tenant}'; remove or rename it ({err})"
        )),
        Err(err) => Err(step(format_args!("creating network '{name}'"), err)),
    }
}

/// Create (not start) the container of `plan`; its id. A name that is taken
/// is explained: by whom.
fn create(ctx: &Ctx<'_>, tenant: &str, plan: &ContainerPlan) -> Result<String, String> {
    let name = &plan.engine_name;
    ctx.info(&format!("creating container {name} (image {})", plan.image));
    match ctx.engine.create_container(name, &plan.body) {
        Ok(id) => Ok(id),
        Err(err) if err.is_conflict() => Err(name_conflict(ctx, tenant, name, err)),
        Err(err) => Err(step(format_args!("creating container '{name}'"), err)),
    }
}

fn name_conflict(ctx: &Ctx<'_>, tenant: &str, name: &str, err: EngineError) -> String {
    let Ok(Some(holder)) = ctx.engine.inspect_container(name) else {
        return step(format_args!("creating container '{name}'"), err);
    };
    let labels = &holder.config.labels;
    if labels.get(OWNER_LABEL).map(String::as_str) != Some(OWNER) {
        return format!(
            "a container named '{name}' already exists and was not made by landlord (it has no \
             {OWNER_LABEL}={OWNER} label); remove or rename it"
        );
    }
    match labels.get(TENANT_LABEL) {
        Some(other) if other != tenant => format!(
            "the container name '{name}' is taken by container '{}' of tenant '{other}' \
             (tenant and container names joined with '-' collide); rename the container",
            labels
                .get(plan::CONTAINER_LABEL)
                .map_or("?", String::as_str)
        ),
        _ => step(format_args!("creating container '{name}'"), err),
    }
}

fn start(ctx: &Ctx<'_>, name: &str, id: &str) -> Result<(), String> {
    ctx.info(&format!("starting container {name}"));
    ctx.engine
        .start_container(id)
        .map_err(|err| step(format_args!("starting container '{name}'"), err))
}

fn remove(ctx: &Ctx<'_>, name: &str, id: &str) -> Result<(), String> {
    ctx.info(&format!("removing container {name}"));
    ctx.engine
        .remove_container(id)
        .map_err(|err| step(format_args!("removing container '{name}'"), err))
}

/// The existing container that `plan` describes, if any.
fn existing_for<'a>(
    existing: &'a [ContainerSummary],
    plan: &ContainerPlan,
) -> Option<&'a ContainerSummary> {
    existing
        .iter()
        .find(|container| container.container_name() == Some(plan.name.as_str()))
}

/// `provision`: create the network and containers that are missing, adopt
/// the ones a cut-off provision left (same spec hash), and answer with the
/// ports the engine really bound.
pub(crate) fn provision(
    ctx: &Ctx<'_>,
    spec: &TenantComputeSpec,
) -> Result<ProvisionResult, ProviderError> {
    let (settings, plans) = prepare(ctx, spec)?;
    let tenant = &spec.tenant_id;
    let (containers, networks) = existing(ctx, tenant).map_err(ProviderError::ProvisionFailed)?;

    // An existing tenant is adopted only if everything it has is this spec.
    let same_spec = containers.iter().all(|container| {
        plans.iter().any(|plan| {
            container.container_name() == Some(plan.name.as_str())
                && container.labels.get(HASH_LABEL) == Some(&plan.hash)
        })
    });
    if !same_spec {
        return Err(ProviderError::ProvisionFailed(format!(
            "tenant '{tenant}' already exists with a different spec; use update to change it"
        )));
    }

    let mut created = Vec::new();
    let outcome = provision_steps(
        ctx,
        spec,
        &settings,
        &plans,
        &containers,
        &networks,
        &mut created,
    );
    match outcome {
        Ok(result) => Ok(result),
        Err(mut message) => {
            // Undo this call: its containers, and the network if the
            // tenant had no containers before.
            let mut leftovers = Vec::new();
            for (name, id) in created.iter().rev() {
                if let Err(err) = remove(ctx, name, id) {
                    leftovers.push(err);
                }
            }
            if containers.is_empty() {
                let listed = ctx
                    .engine
                    .list_networks(tenant)
                    .map_err(|err| step("listing the tenant's networks", err));
                match listed {
                    Ok(networks) => {
                        for network in networks {
                            ctx.info(&format!("removing network {}", network.name));
                            if let Err(err) = ctx.engine.remove_network(&network.id) {
                                leftovers.push(step(
                                    format_args!("removing network '{}'", network.name),
                                    err,
                                ));
                            }
                        }
                    }
                    Err(err) => leftovers.push(err),
                }
            }
            if !leftovers.is_empty() {
                message.push_str(&format!(
                    "; cleaning up also failed ({}): destroy the tenant to remove what is left",
                    leftovers.join("; ")
                ));
            }
            Err(ProviderError::ProvisionFailed(message))
        }
    }
}

fn provision_steps(
    ctx: &Ctx<'_>,
    spec: &TenantComputeSpec,
    settings: &Settings,
    plans: &[ContainerPlan],
    containers: &[ContainerSummary],
    networks: &[NetworkSummary],
    created: &mut Vec<(String, String)>,
) -> Result<ProvisionResult, String> {
    let tenant = &spec.tenant_id;
    let network_id = ensure_network(ctx, tenant, networks)?;
    ensure_images(
        ctx,
        plans
            .iter()
            .filter(|plan| existing_for(containers, plan).is_none()),
        settings.pull,
    )?;

    let mut ids = Vec::new();
    let mut started = 0;
    for plan in plans {
        let id = match existing_for(containers, plan) {
            Some(container) => {
                if matches!(container.state.as_str(), "created" | "exited") {
                    start(ctx, &plan.engine_name, &container.id)?;
                    started += 1;
                }
                container.id.clone()
            }
            None => {
                let id = create(ctx, tenant, plan)?;
                created.push((plan.engine_name.clone(), id.clone()));
                start(ctx, &plan.engine_name, &id)?;
                id
            }
        };
        ids.push(id);
    }

    let mut endpoints = Vec::new();
    let mut notes = Vec::new();
    let address =
        (ctx.config)(ENDPOINT_HOST_KEY).unwrap_or_else(|| DEFAULT_ENDPOINT_HOST.to_owned());
    for (plan, id) in plans.iter().zip(&ids) {
        if plan.ports.is_empty() {
            continue;
        }
        let details = ctx
            .engine
            .inspect_container(id)
            .map_err(|err| {
                step(
                    format_args!("inspecting container '{}'", plan.engine_name),
                    err,
                )
            })?
            .ok_or_else(|| {
                format!(
                    "container '{}' vanished while provisioning",
                    plan.engine_name
                )
            })?;
        for port in &plan.ports {
            match bound_port(&details, port) {
                Some(host_port) => endpoints.push(endpoint(&address, port, host_port)),
                None => notes.push(format!(
                    "container {} port {} has no host port yet (it is {})",
                    plan.name,
                    plan::port_key(port),
                    details.state.status
                )),
            }
        }
    }

    let mut resource_ids = vec![("network".to_owned(), network_id)];
    resource_ids.extend(
        plans
            .iter()
            .zip(ids)
            .map(|(plan, id)| (format!("container/{}", plan.name), id)),
    );
    resource_ids.sort();

    let mut message = if containers.is_empty() {
        format!("provisioned {} container(s)", plans.len())
    } else if created.is_empty() && started == 0 {
        "already provisioned with this spec".to_owned()
    } else {
        format!(
            "completed an earlier provision: created {}, started {} existing",
            created.len(),
            started
        )
    };
    for note in notes {
        message.push_str("; ");
        message.push_str(&note);
    }
    ctx.info(&format!("tenant {tenant}: {message}"));
    Ok(ProvisionResult {
        tenant_id: tenant.clone(),
        provider_type: crate::NAME.to_owned(),
        status: ProvisionStatus::Success,
        resource_ids,
        endpoints,
        message: Some(message),
    })
}

/// The host port the engine bound for `port`.
fn bound_port(details: &ContainerDetails, port: &PortMapping) -> Option<u16> {
    details
        .network_settings
        .ports
        .get(&plan::port_key(port))?
        .as_ref()?
        .iter()
        .find_map(|binding| binding.host_port.parse().ok())
}

fn endpoint(address: &str, port: &PortMapping, host_port: u16) -> Endpoint {
    let endpoint_type = port
        .name
        .clone()
        .unwrap_or_else(|| plan::protocol_name(port.protocol).to_owned());
    Endpoint {
        url: (endpoint_type == "http").then(|| format!("http://{address}:{host_port}/")),
        endpoint_type,
        address: address.to_owned(),
        port: host_port,
    }
}

/// `update`: recreate the containers whose spec hash changed, remove the
/// ones no longer in the spec, add the new ones.
pub(crate) fn update(
    ctx: &Ctx<'_>,
    tenant: &str,
    spec: &TenantComputeSpec,
) -> Result<UpdateResult, ProviderError> {
    let (settings, plans) = prepare(ctx, spec)?;
    let (containers, networks) = existing(ctx, tenant).map_err(ProviderError::UpdateFailed)?;
    if containers.is_empty() && networks.is_empty() {
        return Err(ProviderError::TenantNotFound(tenant.to_owned()));
    }

    // What to do with each container.
    let wanted: BTreeMap<&str, &ContainerPlan> = plans
        .iter()
        .map(|plan| (plan.name.as_str(), plan))
        .collect();
    let mut seen = BTreeSet::new();
    let mut removals = Vec::new();
    for container in &containers {
        match container.container_name() {
            Some(name) if wanted.contains_key(name) && seen.insert(name) => {}
            // Not in the spec, or a second container for the same name.
            _ => removals.push(container),
        }
    }
    let mut recreations = Vec::new();
    let mut additions = Vec::new();
    let mut starts = Vec::new();
    for plan in &plans {
        match existing_for(&containers, plan) {
            None => additions.push(plan),
            Some(container) if container.labels.get(HASH_LABEL) != Some(&plan.hash) => {
                recreations.push((plan, container));
            }
            // Same spec, but never started: an update or provision was cut off.
            Some(container) if container.state == "created" => starts.push((plan, container)),
            Some(_) => {}
        }
    }

    let mut changes = Vec::new();
    let outcome = (|| -> Result<(), String> {
        // Nothing is removed before every image needed is there.
        ensure_images(
            ctx,
            additions
                .iter()
                .copied()
                .chain(recreations.iter().map(|(plan, _)| *plan)),
            settings.pull,
        )?;
        ensure_network(ctx, tenant, &networks)?;
        for container in &removals {
            let name = container.container_name().unwrap_or("?");
            remove(ctx, &plan::container_name(tenant, name), &container.id)?;
            changes.push(format!("container {name}: removed"));
        }
        for (plan, container) in &recreations {
            remove(ctx, &plan.engine_name, &container.id)?;
            create_and_start(ctx, tenant, plan)?;
            changes.push(format!(
                "container {}: recreated ({})",
                plan.name,
                plan::difference(&container.labels, plan)
            ));
        }
        for plan in &additions {
            create_and_start(ctx, tenant, plan)?;
            changes.push(format!("container {}: added", plan.name));
        }
        for (plan, container) in &starts {
            start(ctx, &plan.engine_name, &container.id)?;
            changes.push(format!("container {}: started", plan.name));
        }
        Ok(())
    })();
    if let Err(message) = outcome {
        let done = if changes.is_empty() {
            "none".to_owned()
        } else {
            changes.join("; ")
        };
        return Err(ProviderError::UpdateFailed(format!(
            "{message} (changes applied before the failure: {done}; updating again completes the rest)"
        )));
    }
    for change in &changes {
        ctx.info(&format!("tenant {tenant}: {change}"));
    }
    Ok(UpdateResult {
        tenant_id: tenant.to_owned(),
        provider_type: crate::NAME.to_owned(),
        status: if changes.is_empty() {
            UpdateStatus::NoChanges
        } else {
            UpdateStatus::Success
        },
        changes,
        message: None,
    })
}

/// Create and start a container; one that was created but did not start is
/// removed again, so a later update creates it afresh.
fn create_and_start(ctx: &Ctx<'_>, tenant: &str, plan: &ContainerPlan) -> Result<String, String> {
    let id = create(ctx, tenant, plan)?;
    if let Err(message) = start(ctx, &plan.engine_name, &id) {
        let _ = remove(ctx, &plan.engine_name, &id);
        return Err(message);
    }
    Ok(id)
}

/// `destroy`: remove every container and network with the tenant's labels.
pub(crate) fn destroy(ctx: &Ctx<'_>, tenant: &str) -> Result<(), ProviderError> {
    let (containers, _) = existing(ctx, tenant).map_err(ProviderError::OperationFailed)?;
    for container in &containers {
        let name = plan::container_name(tenant, container.container_name().unwrap_or("?"));
        remove(ctx, &name, &container.id).map_err(ProviderError::OperationFailed)?;
    }
    // Listed again: a network is removable only once its containers are gone.
    let (_, networks) = existing(ctx, tenant).map_err(ProviderError::OperationFailed)?;
    for network in &networks {
        ctx.info(&format!("removing network {}", network.name));
        ctx.engine.remove_network(&network.id).map_err(|err| {
            ProviderError::OperationFailed(step(
                format_args!("removing network '{}'", network.name),
                err,
            ))
        })?;
    }
    if containers.is_empty() && networks.is_empty() {
        ctx.info(&format!("tenant {tenant}: nothing to destroy"));
    } else {
        ctx.info(&format!(
            "tenant {tenant}: destroyed {} container(s), {} network(s)",
            containers.len(),
            networks.len()
        ));
    }
    Ok(())
}

/// `get-status`: each container's state as the engine reports it, in the
/// order of the spec they were created from.
pub(crate) fn get_status(ctx: &Ctx<'_>, tenant: &str) -> Result<ComputeStatus, ProviderError> {
    let failed = |message: String| ProviderError::OperationFailed(message);
    let (containers, networks) = existing(ctx, tenant).map_err(failed)?;
    let mut found = Vec::new();
    for container in &containers {
        let name = container.container_name().unwrap_or("?").to_owned();
        let index: usize = container
            .labels
            .get(INDEX_LABEL)
            .and_then(|index| index.parse().ok())
            .unwrap_or(usize::MAX);
        // A container removed since the list is no longer the tenant's.
        if let Some(details) = ctx.engine.inspect_container(&container.id).map_err(|err| {
            failed(step(
                format_args!(
                    "inspecting container '{}'",
                    plan::container_name(tenant, &name)
                ),
                err,
            ))
        })? {
            found.push((index, name, details));
        }
    }
    if found.is_empty() {
        return Err(ProviderError::TenantNotFound(tenant.to_owned()));
    }
    found.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let api_version = ctx
        .engine
        .api_version()
        .map_err(|err| failed(step("reading the engine's version", err)))?;
    let mut metadata = vec![("engine_api_version".to_owned(), api_version)];
    if let Some(network) = networks.first() {
        metadata.push(("network".to_owned(), network.id.clone()));
    }
    metadata.sort();
    Ok(ComputeStatus {
        tenant_id: tenant.to_owned(),
        provider_type: crate::NAME.to_owned(),
        state: status::tenant_state(found.iter().map(|(_, _, d)| d.state.status.as_str())),
        containers: found
            .iter()
            .map(|(_, name, details)| status::container(name, details))
            .collect(),
        health: status::tenant_health(found.iter().map(|(_, _, d)| d)),
        metadata,
    })
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::bindings::landlord::compute::types::*;
    use crate::fake::FakeEngine;
    use crate::test_support::spec;

    /// Runs operations against a fake engine, keeping what they logged.
    struct Harness {
        engine: FakeEngine,
        logs: RefCell<Vec<String>>,
        config: BTreeMap<String, String>,
    }

    impl Harness {
        fn new() -> Self {
            Harness {
                engine: FakeEngine::new(),
                logs: RefCell::new(Vec::new()),
                config: BTreeMap::new(),
            }
        }

        fn with<T>(&self, op: impl FnOnce(&Ctx<'_>) -> T) -> T {
            let log = |message: &str| self.logs.borrow_mut().push(message.to_owned());
            let config = |key: &str| self.config.get(key).cloned();
            op(&Ctx {
                engine: &self.engine,
                log: &log,
                config: &config,
            })
        }

        fn provision(&self, spec: &TenantComputeSpec) -> Result<ProvisionResult, ProviderError> {
            self.with(|ctx| provision(ctx, spec))
        }

        fn update(&self, spec: &TenantComputeSpec) -> Result<UpdateResult, ProviderError> {
            self.with(|ctx| update(ctx, &spec.tenant_id, spec))
        }

        fn destroy(&self, tenant: &str) -> Result<(), ProviderError> {
            self.with(|ctx| destroy(ctx, tenant))
        }

        fn status(&self, tenant: &str) -> Result<ComputeStatus, ProviderError> {
            self.with(|ctx| get_status(ctx, tenant))
        }

        fn names(&self) -> Vec<String> {
            let world = self.engine.world.borrow();
            world
                .containers
                .iter()
                .map(|c| c.name.clone())
                .chain(world.networks.iter().map(|n| format!("net:{}", n.name)))
                .collect()
        }
    }

    /// `spec()` with a second container, `worker`, without ports.
    fn two() -> TenantComputeSpec {
        let mut s = spec();
        let mut worker = s.containers[0].clone();
        worker.name = "worker".into();
        worker.command = vec!["sleep".into(), "3600".into()];
        worker.ports.clear();
        s.containers.push(worker);
        s
    }

    fn provision_failed(result: Result<ProvisionResult, ProviderError>) -> String {
        match result {
            Err(ProviderError::ProvisionFailed(message)) => message,
            other => panic!("expected provision-failed, got {other:?}"),
        }
    }

    #[test]
    fn provisioning_twice_creates_once_and_reports_the_real_ports() {
        let h = Harness::new();
        let first = h.provision(&two()).unwrap();
        assert_eq!(first.tenant_id, "acme");
        assert_eq!(first.provider_type, "docker");
        assert_eq!(first.status, ProvisionStatus::Success);
        assert_eq!(
            first.resource_ids,
            [
                ("container/web".to_owned(), "c0002".to_owned()),
                ("container/worker".to_owned(), "c0003".to_owned()),
                ("network".to_owned(), "n0001".to_owned()),
            ]
        );
        assert_eq!(
            first.endpoints,
            [Endpoint {
                endpoint_type: "http".into(),
                address: "127.0.0.1".into(),
                port: 32768,
                url: Some("http://127.0.0.1:32768/".into()),
            }]
        );
        assert_eq!(first.message.as_deref(), Some("provisioned 2 container(s)"));
        assert_eq!(
            h.engine.world.borrow().calls,
            [
                "network-create landlord-acme",
                "create landlord-acme-web",
                "start landlord-acme-web",
                "create landlord-acme-worker",
                "start landlord-acme-worker",
            ]
        );
        assert_eq!(
            h.logs.borrow()[..2],
            [
                "creating network landlord-acme",
                "creating container landlord-acme-web (image landlord-test/busybox:1)"
            ]
        );

        let second = h.provision(&two()).unwrap();
        assert_eq!(second.resource_ids, first.resource_ids);
        assert_eq!(second.endpoints, first.endpoints);
        assert_eq!(
            second.message.as_deref(),
            Some("already provisioned with this spec")
        );
        assert_eq!(h.engine.world.borrow().calls.len(), 5, "nothing new");
    }

    #[test]
    fn endpoints_use_the_configured_address_and_the_ports_name_or_protocol() {
        let mut h = Harness::new();
        h.config
            .insert("endpoint_host".into(), "tenants.example".into());
        let mut s = spec();
        s.containers[0].ports[0].host_port = Some(18080);
        s.containers[0].ports.push(PortMapping {
            container_port: 53,
            host_port: None,
            protocol: Protocol::Udp,
            name: None,
        });
        let result = h.provision(&s).unwrap();
        assert_eq!(
            result.endpoints,
            [
                Endpoint {
                    endpoint_type: "http".into(),
                    address: "tenants.example".into(),
                    port: 18080,
                    url: Some("http://tenants.example:18080/".into()),
                },
                Endpoint {
                    endpoint_type: "udp".into(),
                    address: "tenants.example".into(),
                    port: 32768,
                    url: None,
                },
            ]
        );
    }

    #[test]
    fn a_cut_off_provision_is_adopted_and_completed_without_duplicates() {
        let h = Harness::new();
        // What a provision killed after creating web (not started) left.
        let checked = checks::check(&two(), &|_| None).unwrap();
        let plans = plan::tenant(&two(), &checked.settings, &checked.secrets);
        h.engine
            .create_network("landlord-acme", &plan::tenant_labels("acme"))
            .unwrap();
        let web = h
            .engine
            .create_container("landlord-acme-web", &plans[0].body)
            .unwrap();

        let result = h.provision(&two()).unwrap();
        assert_eq!(
            result.message.as_deref(),
            Some("completed an earlier provision: created 1, started 1 existing")
        );
        assert!(result.resource_ids.contains(&("container/web".into(), web)));
        assert_eq!(
            h.names(),
            [
                "landlord-acme-web",
                "landlord-acme-worker",
                "net:landlord-acme"
            ]
        );
        assert_eq!(
            h.engine.container("landlord-acme-web").unwrap().state,
            "running"
        );
        assert_eq!(h.engine.calls("network-create").len(), 1);
        assert_eq!(h.status("acme").unwrap().state, ComputeState::Running);

        // A container that stopped is started again; nothing is created.
        h.engine.world.borrow_mut().containers[1].state = "exited".into();
        let result = h.provision(&two()).unwrap();
        assert_eq!(
            result.message.as_deref(),
            Some("completed an earlier provision: created 0, started 1 existing")
        );
        assert_eq!(h.engine.calls("create").len(), 2);
    }

    #[test]
    fn provisioning_a_different_spec_over_an_existing_tenant_says_use_update() {
        let h = Harness::new();
        h.provision(&two()).unwrap();
        let mut changed = two();
        changed.containers[0].image = "landlord-test/busybox:2".into();
        assert_eq!(
            provision_failed(h.provision(&changed)),
            "tenant 'acme' already exists with a different spec; use update to change it"
        );
        // Fewer containers than exist is a different spec too.
        assert!(provision_failed(h.provision(&spec())).contains("use update"));
        assert_eq!(h.engine.calls("create").len(), 2);
    }

    #[test]
    fn a_failed_provision_removes_what_it_created() {
        let h = Harness::new();
        h.engine
            .world
            .borrow_mut()
            .fail_start
            .insert("landlord-acme-worker".into());
        let message = provision_failed(h.provision(&two()));
        assert_eq!(
            message,
            "starting container 'landlord-acme-worker': the Docker engine answered 500: driver \
             failed programming external connectivity on endpoint landlord-acme-worker: Bind for \
             127.0.0.1:8080 failed: port is already allocated"
        );
        assert!(h.names().is_empty(), "left behind: {:?}", h.names());

        // A missing image with nowhere to pull it from: nothing is created.
        let h = Harness::new();
        let mut s = two();
        s.containers[1].image = "nginx:1.27".into();
        let message = provision_failed(h.provision(&s));
        assert_eq!(
            message,
            "image 'nginx:1.27' is not on the Docker engine and pulling it failed: the Docker \
             engine answered 500: Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup \
             registry-1.docker.io: no such host"
        );
        assert!(h.names().is_empty());
        assert!(h.engine.calls("create").is_empty());

        // pull_policy "never" does not even try.
        s.provider_config = Some(r#"{"pull_policy":"never"}"#.into());
        assert_eq!(
            provision_failed(h.provision(&s)),
            "image 'nginx:1.27' is not on the Docker engine, and provider_config.pull_policy is \
             \"never\""
        );
        assert!(h.engine.calls("pull").len() == 1);
        // A pullable image is pulled once, then used.
        h.engine
            .world
            .borrow_mut()
            .pullable
            .insert("nginx:1.27".into());
        s.provider_config = None;
        h.provision(&s).unwrap();
        assert_eq!(h.engine.calls("pull").len(), 2);
    }

    #[test]
    fn a_failed_completion_keeps_what_existed_before() {
        let h = Harness::new();
        h.provision(&spec()).unwrap();
        // Cut-off state of a two-container tenant: web exists, worker not.
        h.engine.world.borrow_mut().containers[0].labels.clear();
        let checked = checks::check(&two(), &|_| None).unwrap();
        let plans = plan::tenant(&two(), &checked.settings, &checked.secrets);
        h.engine.world.borrow_mut().containers.clear();
        h.engine
            .create_container("landlord-acme-web", &plans[0].body)
            .unwrap();
        h.engine
            .world
            .borrow_mut()
            .fail_start
            .insert("landlord-acme-worker".into());
        h.engine.world.borrow_mut().calls.clear();
        provision_failed(h.provision(&two()));
        assert_eq!(h.names(), ["landlord-acme-web", "net:landlord-acme"]);
    }

    #[test]
    fn a_name_held_by_something_else_is_named() {
        let h = Harness::new();
        // A container of the same name that landlord did not make.
        h.engine
            .world
            .borrow_mut()
            .networks
            .push(crate::fake::FakeNetwork {
                id: "other-net".into(),
                name: "bridge".into(),
                labels: BTreeMap::new(),
            });
        h.engine
            .create_container(
                "landlord-acme-web",
                &serde_json::json!({"Image": "landlord-test/busybox:1",
                                    "HostConfig": {"NetworkMode": "bridge"}}),
            )
            .unwrap();
        assert_eq!(
            provision_failed(h.provision(&spec())),
            "a container named 'landlord-acme-web' already exists and was not made by landlord \
             (it has no landlord.owner=landlord label); remove or rename it"
        );
        assert_eq!(
            h.names(),
            ["landlord-acme-web", "net:bridge"],
            "ours removed, theirs kept"
        );

        // Tenant `a-b`'s container `c` and tenant `a`'s `b-c` share a name.
        let h = Harness::new();
        let mut first = spec();
        first.tenant_id = "a-b".into();
        first.containers[0].name = "c".into();
        h.provision(&first).unwrap();
        let mut second = spec();
        second.tenant_id = "a".into();
        second.containers[0].name = "b-c".into();
        assert_eq!(
            provision_failed(h.provision(&second)),
            "the container name 'landlord-a-b-c' is taken by container 'c' of tenant 'a-b' \
             (tenant and container names joined with '-' collide); rename the container"
        );
        assert_eq!(h.names(), ["landlord-a-b-c", "net:landlord-a-b"]);

        // A network of the tenant's name without our labels.
        let h = Harness::new();
        h.engine
            .create_network("landlord-acme", &BTreeMap::new())
            .unwrap();
        assert!(provision_failed(h.provision(&spec())).starts_with(
            "a network named 'landlord-acme' already exists without landlord's labels for \
                 tenant 'acme'; remove or rename it"
        ));
    }

    #[test]
    fn an_unreachable_engine_is_a_clear_failure() {
        let h = Harness::new();
        h.engine.world.borrow_mut().down = true;
        assert_eq!(
            provision_failed(h.provision(&spec())),
            "listing the tenant's containers: cannot reach the Docker engine at \
             http://docker.localhost: connection refused"
        );
        assert!(matches!(
            h.destroy("acme"),
            Err(ProviderError::OperationFailed(m)) if m.contains("cannot reach the Docker engine")
        ));
        assert!(matches!(
            h.update(&spec()),
            Err(ProviderError::UpdateFailed(_))
        ));
        assert!(matches!(
            h.status("acme"),
            Err(ProviderError::OperationFailed(_))
        ));
    }

    #[test]
    fn invalid_specs_touch_nothing() {
        let h = Harness::new();
        let mut s = spec();
        s.networking.subnets = vec!["10.0.0.0/24".into()];
        assert!(
            matches!(h.provision(&s), Err(ProviderError::InvalidSpec(p)) if p[0].path == "networking.subnets")
        );
        assert!(matches!(h.update(&s), Err(ProviderError::InvalidSpec(_))));
        assert!(h.engine.world.borrow().calls.is_empty());
    }

    #[test]
    fn update_recreates_only_what_changed() {
        let h = Harness::new();
        let before = h.provision(&two()).unwrap();
        assert_eq!(h.update(&two()).unwrap().status, UpdateStatus::NoChanges);
        assert!(h.update(&two()).unwrap().changes.is_empty());

        let mut changed = two();
        changed.containers[0].image = "landlord-test/busybox:2".into();
        let result = h.update(&changed).unwrap();
        assert_eq!(result.status, UpdateStatus::Success);
        assert_eq!(
            result.changes,
            ["container web: recreated (image landlord-test/busybox:1 -> landlord-test/busybox:2)"]
        );
        let worker_id = &before.resource_ids[1].1;
        assert_eq!(
            &h.engine.container("landlord-acme-worker").unwrap().id,
            worker_id
        );
        assert_ne!(
            h.engine.container("landlord-acme-web").unwrap().id,
            before.resource_ids[0].1
        );
        assert_eq!(
            h.engine.container("landlord-acme-web").unwrap().state,
            "running"
        );
        assert_eq!(h.update(&changed).unwrap().status, UpdateStatus::NoChanges);

        // Tenant-wide changes reach every container they touch.
        let mut shared = changed.clone();
        shared.resources.memory_mib = 1024;
        assert_eq!(
            h.update(&shared).unwrap().changes,
            [
                "container web: recreated (resources changed)",
                "container worker: recreated (resources changed)"
            ]
        );

        // Removed and added.
        let mut reshaped = shared.clone();
        reshaped.containers.remove(1);
        let mut extra = reshaped.containers[0].clone();
        extra.name = "extra".into();
        extra.ports.clear();
        reshaped.containers.push(extra);
        let result = h.update(&reshaped).unwrap();
        assert_eq!(
            result.changes,
            // web keeps its share: still one of two sharing containers.
            ["container worker: removed", "container extra: added"]
        );
        assert_eq!(
            h.names(),
            [
                "landlord-acme-web",
                "landlord-acme-extra",
                "net:landlord-acme"
            ]
        );
        let status = h.status("acme").unwrap();
        assert_eq!(
            status
                .containers
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>(),
            ["web", "extra"]
        );
    }

    #[test]
    fn update_of_a_missing_tenant_is_not_found_and_checks_images_first() {
        let h = Harness::new();
        assert!(matches!(
            h.update(&spec()),
            Err(ProviderError::TenantNotFound(t)) if t == "acme"
        ));
        h.provision(&spec()).unwrap();
        let mut changed = spec();
        changed.containers[0].image = "nginx:1.27".into();
        match h.update(&changed) {
            Err(ProviderError::UpdateFailed(message)) => assert_eq!(
                message,
                "image 'nginx:1.27' is not on the Docker engine and pulling it failed: the \
                 Docker engine answered 500: Get \"https://registry-1.docker.io/v2/\": dial tcp: \
                 lookup registry-1.docker.io: no such host (changes applied before the failure: \
                 none; updating again completes the rest)"
            ),
            other => panic!("{other:?}"),
        }
        // The running container was not touched.
        assert_eq!(h.engine.calls("remove").len(), 0);
        assert_eq!(h.status("acme").unwrap().state, ComputeState::Running);
    }

    #[test]
    fn a_failed_recreate_is_finished_by_the_next_update() {
        let h = Harness::new();
        h.provision(&two()).unwrap();
        let mut changed = two();
        changed.containers[0].image = "landlord-test/busybox:2".into();
        h.engine
            .world
            .borrow_mut()
            .fail_start
            .insert("landlord-acme-web".into());
        match h.update(&changed) {
            Err(ProviderError::UpdateFailed(message)) => {
                assert!(
                    message.starts_with("starting container 'landlord-acme-web'"),
                    "{message}"
                )
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(h.names(), ["landlord-acme-worker", "net:landlord-acme"]);
        h.engine.world.borrow_mut().fail_start.clear();
        assert_eq!(
            h.update(&changed).unwrap().changes,
            ["container web: added"]
        );
    }

    #[test]
    fn destroy_removes_everything_and_is_idempotent() {
        let h = Harness::new();
        h.destroy("acme").unwrap();
        h.provision(&two()).unwrap();
        let mut other = spec();
        other.tenant_id = "other".into();
        h.provision(&other).unwrap();

        h.destroy("acme").unwrap();
        assert_eq!(h.names(), ["landlord-other-web", "net:landlord-other"]);
        assert!(matches!(
            h.status("acme"),
            Err(ProviderError::TenantNotFound(t)) if t == "acme"
        ));
        h.destroy("acme").unwrap();
        assert_eq!(h.status("other").unwrap().tenant_id, "other");
        assert!(
            h.logs
                .borrow()
                .contains(&"tenant acme: nothing to destroy".to_owned())
        );
    }

    #[test]
    fn status_reports_each_container_in_spec_order() {
        let h = Harness::new();
        let mut s = two();
        s.containers.swap(0, 1);
        h.provision(&s).unwrap();
        h.engine.world.borrow_mut().containers[1].health = Some("healthy".into());
        let status = h.status("acme").unwrap();
        assert_eq!(status.state, ComputeState::Running);
        assert_eq!(status.health, HealthStatus::Healthy);
        assert_eq!(
            status
                .containers
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>(),
            ["worker", "web"]
        );
        assert!(status.containers.iter().all(|c| c.ready));
        assert_eq!(
            status.metadata,
            [
                ("engine_api_version".to_owned(), "1.41".to_owned()),
                ("network".to_owned(), "n0001".to_owned())
            ]
        );
        h.engine.world.borrow_mut().containers[0].state = "exited".into();
        assert_eq!(h.status("acme").unwrap().state, ComputeState::Failed);
    }

    #[test]
    fn secret_values_reach_only_the_containers_environment() {
        let mut h = Harness::new();
        h.config
            .insert("secret.db-password".into(), "hunter2-s3cret".into());
        let mut s = two();
        s.secrets = vec![SecretReference {
            name: "db-password".into(),
            source: "landlord".into(),
            key: "acme/db".into(),
            env_var: None,
        }];
        let result = h.provision(&s).unwrap();
        let update = h.update(&s).unwrap();
        let status = h.status("acme").unwrap();
        let web = h.engine.container("landlord-acme-web").unwrap();
        assert_eq!(
            web.body["Env"],
            serde_json::json!(["DB_PASSWORD=hunter2-s3cret"])
        );
        let seen = format!(
            "{result:?} {update:?} {status:?} {:?} {:?}",
            web.labels,
            h.logs.borrow()
        );
        assert!(!seen.contains("hunter2"), "{seen}");

        // Rotating the value alone changes nothing; a new reference does.
        h.config
            .insert("secret.db-password".into(), "rotated".into());
        assert_eq!(h.update(&s).unwrap().status, UpdateStatus::NoChanges);
        s.secrets[0].key = "acme/db-v2".into();
        assert_eq!(
            h.update(&s).unwrap().changes,
            [
                "container web: recreated (env changed)",
                "container worker: recreated (env changed)"
            ]
        );
        let web = h.engine.container("landlord-acme-web").unwrap();
        assert_eq!(web.body["Env"], serde_json::json!(["DB_PASSWORD=rotated"]));
    }
}
