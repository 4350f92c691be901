//! The Docker provider component against the same Engine API calls made
//! natively with `bollard`, on a real engine, side by side in one process:
//! the sandbox's share of a real operation.
//!
//! ```text
//! cargo bench -p landlord-docker-bench
//! LANDLORD_BENCH_ROUNDS=40 cargo bench -p landlord-docker-bench
//! ```
//!
//! One round is provision, get-status and destroy of a two-container tenant
//! (`landlord_tests::docker::web_and_worker`). The component path calls the
//! embedded provider through `WasmProvider` (a fresh instance per call, the
//! engine reached through the host's engine grant to the unix socket, under the default engine policy).
//! The native path, [`Native`], sends the same requests with bollard, in the
//! same order, with the same bodies (built from the spec the way
//! `providers/docker/src/plan.rs` builds them, spec hash included) and reads
//! the answers into the same result types. A warm-up round of each on one
//! tenant id checks that: both must leave identical containers and network
//! on the engine, and return results of the same shape.
//!
//! The requests of one round (`providers/docker/src/ops.rs`, `engine.rs`):
//! - provision (9): list containers and list networks by the tenant's
//!   labels, create the network, inspect the image (once: both containers
//!   use it), create + start `web`, create + start `worker`, inspect `web`
//!   (the only one with a published port) for the port the engine bound;
//! - get-status (5): list containers, list networks, inspect each
//!   container, `GET /version`;
//! - destroy (7): list containers, list networks, remove each container
//!   (`force`, `v`), list both again, remove the network.
//!
//! Both send API version 1.41 paths (`/v1.41/…`; bollard needs
//! [`versioned_path`] for that) and open a new connection per request (the
//! host's unix-socket sender does; bollard's unix client keeps no idle
//! connections). What could not be mirrored exactly:
//! - the component's network create sends `"CheckDuplicate": true`; bollard
//!   0.21's `NetworkCreateRequest` (API 1.53 models) has no such field, so
//!   the native body lacks it. It decides whether a network of the same
//!   name is refused; the names here are unique, so no request meets it;
//! - bollard adds default query parameters the component does not send:
//!   `size=false` on the container list, `link=false` on container remove,
//!   an empty `platform=` on container create. The engine's defaults are the
//!   same values;
//! - the component also runs its spec checks (`checks.rs`) before each
//!   provision; the native path trusts the spec (no engine call either way,
//!   microseconds);
//! - a missing image would be pulled by the component; here the images are
//!   always present (`require_engine` builds them), so the native path
//!   treats a missing image as an error instead of mirroring the pull.
//!
//! Rounds alternate which path goes first, so machine noise hits both.
//! `LANDLORD_BENCH_ROUNDS` (default 10) sets how many. See
//! `docs/performance.md`.

#![allow(clippy::print_stdout, missing_docs)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bollard::errors::Error as BollardError;
use bollard::models::{
    ContainerCreateBody, ContainerInspectResponse, EndpointSettings, HealthConfig, HostConfig,
    NetworkCreateRequest, NetworkingConfig, PortBinding, RestartPolicy, RestartPolicyNameEnum,
};
use bollard::query_parameters::{
    CreateContainerOptions, ListContainersOptions, ListNetworksOptions, RemoveContainerOptions,
};
use bollard::{BollardRequest, ClientVersion, Docker};
use chrono::Utc;
use landlord::compute::{
    ComputeError, ComputeState, ComputeStatus, ContainerSpec, ContainerStatus, Endpoint,
    HealthCheckType, HealthStatus, PortMapping, Protocol, Provider, ProvisionResult,
    ProvisionStatus, TenantComputeSpec,
};
use landlord::config::ProviderEntry;
use landlord::sandbox::{Runtime, WasmProvider};
use landlord::state::MemoryStateStore;
use landlord_tests::docker::{
    TenantGuard, containers_of, docker_settings, load_docker, require_engine, tenant_id,
    web_and_worker,
};
use serde::Serialize;
use serde_json::Value;

/// The Engine API version the component speaks (`engine::API_VERSION`).
const API_1_41: ClientVersion = ClientVersion {
    major_version: 1,
    minor_version: 41,
};
/// Seconds bollard waits for an answer (the embedded provider's call limit).
const ENGINE_TIMEOUT_SECS: u64 = 120;

// The provider's labels (`providers/docker/src/plan.rs`).
const OWNER_LABEL: &str = "landlord.owner";
const OWNER: &str = "landlord";
const TENANT_LABEL: &str = "landlord.tenant_id";
const PROVIDER_LABEL: &str = "landlord.provider";
const CONTAINER_LABEL: &str = "landlord.container";
const HASH_LABEL: &str = "landlord.spec_hash";
const PARTS_LABEL: &str = "landlord.spec_parts";
const IMAGE_LABEL: &str = "landlord.image";
const INDEX_LABEL: &str = "landlord.index";
const PROVIDER: &str = "docker";

type Fallible<T> = Result<T, String>;

fn engine_error(what: &str) -> impl Fn(BollardError) -> String + '_ {
    move |err| format!("{what}: {err}")
}

fn is_not_found(err: &BollardError) -> bool {
    matches!(
        err,
        BollardError::DockerResponseServerError {
            status_code: 404,
            ..
        }
    )
}

/// A client of the engine the embedded provider is granted: `DOCKER_HOST`,
/// else the unix socket `/var/run/docker.sock`.
fn connect() -> Docker {
    let host = std::env::var("DOCKER_HOST").unwrap_or_default();
    let docker = match host.strip_prefix("tcp://") {
        Some(address) => Docker::connect_with_http(address, ENGINE_TIMEOUT_SECS, &API_1_41),
        None if !host.is_empty() => {
            Docker::connect_with_unix(&host, ENGINE_TIMEOUT_SECS, &API_1_41)
        }
        None => Docker::connect_with_unix(
            "unix:///var/run/docker.sock",
            ENGINE_TIMEOUT_SECS,
            &API_1_41,
        ),
    };
    docker
        .expect("bollard connects to the Docker engine")
        .with_request_modifier(versioned_path)
}

/// Put the API version back in front of the path. bollard 0.21.1 builds
/// `…/v1.41<path>` and then `Url::join`s the absolute path onto it, which
/// drops the prefix, so every request would go out unversioned (served at
/// the engine's own newest version) where the component sends `/v1.41/…`.
fn versioned_path(mut request: BollardRequest) -> BollardRequest {
    let prefix = format!("/v{}.{}", API_1_41.major_version, API_1_41.minor_version);
    let Some(path_and_query) = request.uri().path_and_query() else {
        return request;
    };
    if path_and_query.path().starts_with(&format!("{prefix}/")) {
        return request;
    }
    let mut parts = request.uri().clone().into_parts();
    parts.path_and_query = format!("{prefix}{path_and_query}").parse().ok();
    if let Ok(uri) = http::Uri::from_parts(parts) {
        *request.uri_mut() = uri;
    }
    request
}

// ---------------------------------------------------------------------
// The native provider: the component's plan and operations, with bollard.
// ---------------------------------------------------------------------

/// FNV-1a, 64 bits (`plan::fnv1a64`).
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

fn canonical<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// One environment entry as hashed (`plan::EnvPart`; secrets are not
/// mirrored: the benchmark's spec has none).
#[derive(Serialize)]
enum EnvPart<'a> {
    Value(&'a str),
}

/// One port as hashed (`plan::PortPart`).
#[derive(Serialize)]
struct PortPart<'a> {
    container_port: i64,
    host_port: Option<i64>,
    protocol: &'static str,
    name: Option<&'a str>,
    host_ip: &'static str,
}

/// The engine's health check as hashed and sent (`plan::Healthcheck`).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Healthcheck {
    test: Vec<String>,
    interval: i64,
    timeout: i64,
    retries: i64,
}

fn protocol_name(protocol: &Protocol) -> &'static str {
    match protocol {
        Protocol::Udp => "udp",
        _ => "tcp",
    }
}

fn port_key(port: &PortMapping) -> String {
    format!("{}/{}", port.container_port, protocol_name(&port.protocol))
}

fn network_name(tenant: &str) -> String {
    format!("landlord-{tenant}")
}

fn container_name(tenant: &str, container: &str) -> String {
    format!("landlord-{tenant}-{container}")
}

fn tenant_labels(tenant: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (OWNER_LABEL.to_owned(), OWNER.to_owned()),
        (TENANT_LABEL.to_owned(), tenant.to_owned()),
        (PROVIDER_LABEL.to_owned(), PROVIDER.to_owned()),
    ])
}

/// The label filter selecting one tenant's objects (`engine::tenant_filter`).
fn tenant_filter(tenant: &str) -> HashMap<String, Vec<String>> {
    HashMap::from([(
        "label".to_owned(),
        vec![
            format!("{OWNER_LABEL}={OWNER}"),
            format!("{PROVIDER_LABEL}={PROVIDER}"),
            format!("{TENANT_LABEL}={tenant}"),
        ],
    )])
}

/// Each container's (millicores, MiB): its own resources, else an even
/// share of what the tenant's leave (`plan::limits`).
fn limits(spec: &TenantComputeSpec) -> Vec<(i64, i64)> {
    let sharing = spec
        .containers
        .iter()
        .filter(|c| c.resources.is_none())
        .count() as i64;
    let (cpu, memory) = spec
        .containers
        .iter()
        .filter_map(|c| c.resources.as_ref())
        .fold((0, 0), |(cpu, memory), own| {
            (cpu + own.cpu, memory + own.memory)
        });
    spec.containers
        .iter()
        .map(|c| match &c.resources {
            Some(own) => (own.cpu, own.memory),
            None => (
                (spec.resources.cpu - cpu) / sharing,
                (spec.resources.memory - memory) / sharing,
            ),
        })
        .collect()
}

/// The engine health check of a container (`plan::healthcheck`).
fn healthcheck(container: &ContainerSpec) -> Option<Healthcheck> {
    let check = container.health_check.as_ref()?;
    let port = check
        .port
        .or_else(|| {
            container
                .ports
                .iter()
                .find(|p| p.protocol == Protocol::Tcp)
                .map(|p| p.container_port)
        })
        .unwrap_or_default();
    let test = match &check.check_type {
        HealthCheckType::Exec => std::iter::once("CMD".to_owned())
            .chain(check.command.iter().cloned())
            .collect(),
        HealthCheckType::Http => {
            let path = check.http_path.as_deref().unwrap_or("/");
            ["CMD", "wget", "-q", "-O", "/dev/null"]
                .into_iter()
                .map(str::to_owned)
                .chain([format!("http://127.0.0.1:{port}{path}")])
                .collect()
        }
        _ => {
            let wait = check.timeout_seconds;
            vec![
                "CMD-SHELL".to_owned(),
                format!(
                    "nc -z -w {wait} 127.0.0.1 {port} </dev/null 2>/dev/null || nc -w {wait} 127.0.0.1 {port} </dev/null"
                ),
            ]
        }
    };
    const NANOS: i64 = 1_000_000_000;
    Some(Healthcheck {
        test,
        interval: check.interval_seconds * NANOS,
        timeout: check.timeout_seconds * NANOS,
        retries: check.unhealthy_threshold.unwrap_or(3),
    })
}

/// Everything the engine is asked for about one container (`plan::ContainerPlan`).
struct Plan {
    name: String,
    engine_name: String,
    image: String,
    hash: String,
    body: ContainerCreateBody,
    ports: Vec<PortMapping>,
}

/// The plan of every container, in spec order (`plan::tenant`).
fn plan(spec: &TenantComputeSpec) -> Vec<Plan> {
    assert!(spec.secrets.is_empty(), "the native path has no secrets");
    let tenant = &spec.tenant_id;
    let restart = spec
        .provider_config
        .as_ref()
        .and_then(|config| config.get("restart_policy")?.as_str())
        .unwrap_or("unless-stopped");
    let host_ip = if spec.networking.public_ip {
        "0.0.0.0"
    } else {
        "127.0.0.1"
    };
    let network = network_name(tenant);
    spec.containers
        .iter()
        .zip(limits(spec))
        .enumerate()
        .map(|(index, (container, (cpu, memory_mib)))| {
            let memory = memory_mib * 1024 * 1024;
            let nano_cpus = cpu * 1_000_000;
            let health = healthcheck(container);
            let env_parts: BTreeMap<&str, EnvPart<'_>> = container
                .env
                .iter()
                .map(|(key, value)| (key.as_str(), EnvPart::Value(value)))
                .collect();
            let port_parts: Vec<PortPart<'_>> = container
                .ports
                .iter()
                .map(|port| PortPart {
                    container_port: port.container_port,
                    host_port: port.host_port,
                    protocol: protocol_name(&port.protocol),
                    name: port.name.as_deref(),
                    host_ip,
                })
                .collect();
            let parts: [(&str, String); 9] = [
                ("image", canonical(&container.image)),
                ("command", canonical(&(&container.command, &container.args))),
                ("env", canonical(&env_parts)),
                ("ports", canonical(&port_parts)),
                ("health", canonical(&health)),
                ("resources", canonical(&(memory, nano_cpus))),
                ("restart", canonical(&restart)),
                ("network", canonical(&(&network, &container.name))),
                ("labels", canonical(&spec.labels)),
            ];
            let hash = format!(
                "v1-{:016x}",
                fnv1a64(
                    parts
                        .iter()
                        .map(|(name, text)| format!("{name}={text}\n"))
                        .collect::<String>()
                        .as_bytes()
                )
            );
            let parts = parts
                .iter()
                .map(|(name, text)| format!("{name}={:08x}", fnv1a64(text.as_bytes()) as u32))
                .collect::<Vec<_>>()
                .join(",");

            let mut labels: HashMap<String, String> = spec.labels.clone().into_iter().collect();
            labels.extend(tenant_labels(tenant));
            labels.extend([
                (CONTAINER_LABEL.to_owned(), container.name.clone()),
                (HASH_LABEL.to_owned(), hash.clone()),
                (PARTS_LABEL.to_owned(), parts),
                (IMAGE_LABEL.to_owned(), container.image.clone()),
                (INDEX_LABEL.to_owned(), index.to_string()),
            ]);
            let bindings: HashMap<String, Option<Vec<PortBinding>>> = container
                .ports
                .iter()
                .map(|port| {
                    let binding = PortBinding {
                        host_ip: Some(host_ip.to_owned()),
                        host_port: Some(port.host_port.map(|p| p.to_string()).unwrap_or_default()),
                    };
                    (port_key(port), Some(vec![binding]))
                })
                .collect();
            let body = ContainerCreateBody {
                image: Some(container.image.clone()),
                env: Some(
                    container
                        .env
                        .iter()
                        .map(|(key, value)| format!("{key}={value}"))
                        .collect(),
                ),
                labels: Some(labels),
                exposed_ports: Some(container.ports.iter().map(port_key).collect()),
                entrypoint: (!container.command.is_empty()).then(|| container.command.clone()),
                cmd: (!container.args.is_empty()).then(|| container.args.clone()),
                healthcheck: health.map(|h| HealthConfig {
                    test: Some(h.test),
                    interval: Some(h.interval),
                    timeout: Some(h.timeout),
                    retries: Some(h.retries),
                    ..HealthConfig::default()
                }),
                host_config: Some(HostConfig {
                    network_mode: Some(network.clone()),
                    port_bindings: Some(bindings),
                    memory: Some(memory),
                    nano_cpus: Some(nano_cpus),
                    restart_policy: Some(RestartPolicy {
                        name: Some(restart.parse().unwrap_or(RestartPolicyNameEnum::EMPTY)),
                        maximum_retry_count: Some(0),
                    }),
                    ..HostConfig::default()
                }),
                networking_config: Some(NetworkingConfig {
                    endpoints_config: Some(HashMap::from([(
                        network.clone(),
                        EndpointSettings {
                            aliases: Some(vec![container.name.clone()]),
                            ..EndpointSettings::default()
                        },
                    )])),
                }),
                ..ContainerCreateBody::default()
            };
            Plan {
                name: container.name.clone(),
                engine_name: container_name(tenant, &container.name),
                image: container.image.clone(),
                hash,
                body,
                ports: container.ports.clone(),
            }
        })
        .collect()
}

/// The provider's operations natively, against the engine through bollard.
struct Native {
    docker: Docker,
}

/// A container as listed: id, labels, state.
struct Listed {
    id: String,
    labels: HashMap<String, String>,
    state: String,
}

impl Listed {
    fn container_name(&self) -> Option<&str> {
        self.labels.get(CONTAINER_LABEL).map(String::as_str)
    }
}

/// A network as listed: id, name.
struct ListedNetwork {
    id: String,
    name: String,
}

impl Native {
    /// `GET /containers/json?all=true&filters=…`, `GET /networks?filters=…`.
    async fn existing(&self, tenant: &str) -> Fallible<(Vec<Listed>, Vec<ListedNetwork>)> {
        let containers = self
            .docker
            .list_containers(Some(ListContainersOptions {
                all: true,
                filters: Some(tenant_filter(tenant)),
                ..ListContainersOptions::default()
            }))
            .await
            .map_err(engine_error("listing the tenant's containers"))?
            .into_iter()
            .map(|c| Listed {
                id: c.id.unwrap_or_default(),
                labels: c.labels.unwrap_or_default(),
                state: c.state.map(|s| s.to_string()).unwrap_or_default(),
            })
            .collect();
        let networks = self
            .docker
            .list_networks(Some(ListNetworksOptions {
                filters: Some(tenant_filter(tenant)),
            }))
            .await
            .map_err(engine_error("listing the tenant's networks"))?
            .into_iter()
            .map(|n| ListedNetwork {
                id: n.id.unwrap_or_default(),
                name: n.name.unwrap_or_default(),
            })
            .collect();
        Ok((containers, networks))
    }

    async fn inspect(&self, id: &str) -> Fallible<Option<ContainerInspectResponse>> {
        match self.docker.inspect_container(id, None).await {
            Ok(details) => Ok(Some(details)),
            Err(err) if is_not_found(&err) => Ok(None),
            Err(err) => Err(format!("inspecting container '{id}': {err}")),
        }
    }

    /// `ops::provision` for a tenant that does not exist yet, or exists
    /// with this spec (adopted, as the component does).
    async fn provision(&self, spec: &TenantComputeSpec) -> Fallible<ProvisionResult> {
        let tenant = &spec.tenant_id;
        let plans = plan(spec);
        let (containers, networks) = self.existing(tenant).await?;
        let existing_for = |plan: &Plan| {
            containers
                .iter()
                .find(|c| c.container_name() == Some(plan.name.as_str()))
        };
        let same_spec = containers.iter().all(|c| {
            plans.iter().any(|plan| {
                c.container_name() == Some(plan.name.as_str())
                    && c.labels.get(HASH_LABEL) == Some(&plan.hash)
            })
        });
        if !same_spec {
            return Err(format!(
                "tenant '{tenant}' already exists with a different spec"
            ));
        }
        let name = network_name(tenant);
        let network_id = match networks.iter().find(|n| n.name == name) {
            Some(network) => network.id.clone(),
            None => {
                self.docker
                    .create_network(NetworkCreateRequest {
                        name: name.clone(),
                        driver: Some("bridge".to_owned()),
                        labels: Some(tenant_labels(tenant).into_iter().collect()),
                        ..NetworkCreateRequest::default()
                    })
                    .await
                    .map_err(engine_error("creating the network"))?
                    .id
            }
        };
        let images: BTreeSet<&str> = plans
            .iter()
            .filter(|plan| existing_for(plan).is_none())
            .map(|plan| plan.image.as_str())
            .collect();
        for image in images {
            match self.docker.inspect_image(image).await {
                Ok(_) => {}
                Err(err) if is_not_found(&err) => {
                    return Err(format!(
                        "image '{image}' is missing (the native path does not pull): run scripts/busybox-image.sh"
                    ));
                }
                Err(err) => return Err(format!("looking up image '{image}': {err}")),
            }
        }
        let mut ids = Vec::new();
        for plan in &plans {
            let id = match existing_for(plan) {
                Some(container) => {
                    if matches!(container.state.as_str(), "created" | "exited") {
                        self.docker
                            .start_container(&container.id, None)
                            .await
                            .map_err(engine_error("starting a container"))?;
                    }
                    container.id.clone()
                }
                None => {
                    let id = self
                        .docker
                        .create_container(
                            Some(CreateContainerOptions {
                                name: Some(plan.engine_name.clone()),
                                ..CreateContainerOptions::default()
                            }),
                            plan.body.clone(),
                        )
                        .await
                        .map_err(engine_error("creating a container"))?
                        .id;
                    self.docker
                        .start_container(&id, None)
                        .await
                        .map_err(engine_error("starting a container"))?;
                    id
                }
            };
            ids.push(id);
        }
        let mut endpoints = Vec::new();
        for (plan, id) in plans.iter().zip(&ids) {
            if plan.ports.is_empty() {
                continue;
            }
            let details = self
                .inspect(id)
                .await?
                .ok_or_else(|| format!("container '{}' vanished", plan.engine_name))?;
            let bound = details
                .network_settings
                .and_then(|settings| settings.ports)
                .unwrap_or_default();
            for port in &plan.ports {
                let host_port = bound
                    .get(&port_key(port))
                    .and_then(Option::as_ref)
                    .and_then(|bindings| {
                        bindings
                            .iter()
                            .find_map(|b| b.host_port.as_deref()?.parse::<u16>().ok())
                    });
                if let Some(host_port) = host_port {
                    let endpoint_type = port
                        .name
                        .clone()
                        .unwrap_or_else(|| protocol_name(&port.protocol).to_owned());
                    endpoints.push(Endpoint {
                        url: (endpoint_type == "http")
                            .then(|| format!("http://127.0.0.1:{host_port}/")),
                        endpoint_type,
                        address: "127.0.0.1".to_owned(),
                        port: host_port,
                    });
                }
            }
        }
        let mut resource_ids = BTreeMap::from([("network".to_owned(), network_id)]);
        resource_ids.extend(
            plans
                .iter()
                .zip(ids)
                .map(|(plan, id)| (format!("container/{}", plan.name), id)),
        );
        Ok(ProvisionResult {
            tenant_id: tenant.clone(),
            provider_type: PROVIDER.to_owned(),
            status: ProvisionStatus::Success,
            resource_ids,
            endpoints,
            message: Some(format!("provisioned {} container(s)", plans.len())),
            provisioned_at: Utc::now(),
        })
    }

    /// `ops::get_status`.
    async fn get_status(&self, tenant: &str) -> Fallible<ComputeStatus> {
        let (containers, networks) = self.existing(tenant).await?;
        let mut found = Vec::new();
        for container in &containers {
            let name = container.container_name().unwrap_or("?").to_owned();
            let index: usize = container
                .labels
                .get(INDEX_LABEL)
                .and_then(|index| index.parse().ok())
                .unwrap_or(usize::MAX);
            if let Some(details) = self.inspect(&container.id).await? {
                found.push((index, name, details));
            }
        }
        if found.is_empty() {
            return Err(format!("tenant '{tenant}' not found"));
        }
        found.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        let version = self
            .docker
            .version()
            .await
            .map_err(engine_error("reading the engine's version"))?;
        let mut metadata = BTreeMap::from([(
            "engine_api_version".to_owned(),
            version.api_version.unwrap_or_default(),
        )]);
        if let Some(network) = networks.first() {
            metadata.insert("network".to_owned(), network.id.clone());
        }
        let states: Vec<(String, Option<String>)> = found
            .iter()
            .map(|(_, _, details)| {
                let state = details.state.as_ref();
                (
                    state
                        .and_then(|s| s.status)
                        .map(|s| s.to_string())
                        .unwrap_or_default(),
                    state
                        .and_then(|s| s.health.as_ref()?.status)
                        .map(|h| h.to_string())
                        .filter(|h| !h.is_empty() && h != "none"),
                )
            })
            .collect();
        Ok(ComputeStatus {
            tenant_id: tenant.to_owned(),
            provider_type: PROVIDER.to_owned(),
            state: tenant_state(states.iter().map(|(state, _)| state.as_str())),
            containers: found
                .iter()
                .zip(&states)
                .map(|((_, name, details), (state, health))| {
                    container_status(name, details, state, health.as_deref())
                })
                .collect(),
            health: tenant_health(states.iter().filter_map(|(_, h)| h.as_deref())),
            last_updated: Utc::now(),
            metadata,
        })
    }

    /// `ops::destroy`.
    async fn destroy(&self, tenant: &str) -> Fallible<()> {
        let (containers, _) = self.existing(tenant).await?;
        for container in &containers {
            match self
                .docker
                .remove_container(
                    &container.id,
                    Some(RemoveContainerOptions {
                        force: true,
                        v: true,
                        ..RemoveContainerOptions::default()
                    }),
                )
                .await
            {
                Ok(()) => {}
                Err(err) if is_not_found(&err) => {}
                Err(err) => return Err(format!("removing a container: {err}")),
            }
        }
        // Listed again: a network is removable only once its containers are gone.
        let (_, networks) = self.existing(tenant).await?;
        for network in &networks {
            match self.docker.remove_network(&network.id).await {
                Ok(()) => {}
                Err(err) if is_not_found(&err) => {}
                Err(err) => return Err(format!("removing network '{}': {err}", network.name)),
            }
        }
        Ok(())
    }
}

/// `status::container`.
fn container_status(
    name: &str,
    details: &ContainerInspectResponse,
    state: &str,
    health: Option<&str>,
) -> ContainerStatus {
    let engine_state = details.state.as_ref();
    let mut notes = Vec::new();
    if matches!(state, "exited" | "dead") {
        let code = engine_state.and_then(|s| s.exit_code).unwrap_or_default();
        notes.push(format!("{state} (code {code})"));
    }
    if engine_state.and_then(|s| s.oom_killed) == Some(true) {
        notes.push("killed for using more than its memory limit".to_owned());
    }
    if let Some(error) = engine_state
        .and_then(|s| s.error.as_deref())
        .filter(|e| !e.is_empty())
    {
        notes.push(format!("error: {error}"));
    }
    if let Some(health) = health {
        notes.push(format!("health: {health}"));
    }
    ContainerStatus {
        name: name.to_owned(),
        state: state.to_owned(),
        ready: state == "running" && health.is_none_or(|h| h == "healthy"),
        restart_count: details
            .restart_count
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or_default(),
        message: (!notes.is_empty()).then(|| notes.join("; ")),
    }
}

/// `status::tenant_state`.
fn tenant_state<'a>(states: impl IntoIterator<Item = &'a str>) -> ComputeState {
    let states: Vec<&str> = states.into_iter().collect();
    let any = |wanted: &[&str]| states.iter().any(|state| wanted.contains(state));
    if any(&["exited", "dead"]) {
        ComputeState::Failed
    } else if any(&["created", "restarting"]) {
        ComputeState::Starting
    } else if !states.is_empty() && states.iter().all(|state| *state == "running") {
        ComputeState::Running
    } else if any(&["removing"]) {
        ComputeState::Stopping
    } else {
        ComputeState::Unknown
    }
}

/// `status::tenant_health` over the checked containers' health states.
fn tenant_health<'a>(checked: impl IntoIterator<Item = &'a str>) -> HealthStatus {
    let checked: Vec<&str> = checked.into_iter().collect();
    if checked.contains(&"unhealthy") {
        HealthStatus::Unhealthy
    } else if !checked.is_empty() && checked.iter().all(|status| *status == "healthy") {
        HealthStatus::Healthy
    } else {
        HealthStatus::Unknown
    }
}

// ---------------------------------------------------------------------
// The two paths, timed.
// ---------------------------------------------------------------------

/// One round's times.
#[derive(Clone, Copy)]
struct Round {
    provision: Duration,
    status: Duration,
    destroy: Duration,
}

/// Which time of a round a table row shows.
type Pick = fn(&Round) -> Duration;

impl Round {
    fn total(&self) -> Duration {
        self.provision + self.status + self.destroy
    }
}

/// What a round returned, to compare the two paths' answers.
struct Answers {
    provision: ProvisionResult,
    status: ComputeStatus,
}

fn component_failed(what: &str) -> impl Fn(ComputeError) -> String + '_ {
    move |err| format!("the component's {what}: {err}")
}

/// One round through the component; `snapshot` runs (untimed) after provision.
async fn component_round(
    provider: &WasmProvider,
    spec: &TenantComputeSpec,
    snapshot: Option<&mut Vec<(String, Value)>>,
    docker: &Docker,
) -> Fallible<(Round, Answers)> {
    let tenant = &spec.tenant_id;
    let started = Instant::now();
    let provision = provider
        .provision(spec)
        .await
        .map_err(component_failed("provision"))?;
    let provision_time = started.elapsed();
    if let Some(into) = snapshot {
        *into = engine_snapshot(docker, tenant).await;
    }
    let started = Instant::now();
    let status = provider
        .get_status(tenant)
        .await
        .map_err(component_failed("get-status"))?;
    let status_time = started.elapsed();
    let started = Instant::now();
    provider
        .destroy(tenant)
        .await
        .map_err(component_failed("destroy"))?;
    let destroy_time = started.elapsed();
    Ok((
        Round {
            provision: provision_time,
            status: status_time,
            destroy: destroy_time,
        },
        Answers { provision, status },
    ))
}

/// One round natively; `snapshot` runs (untimed) after provision.
async fn native_round(
    native: &Native,
    spec: &TenantComputeSpec,
    snapshot: Option<&mut Vec<(String, Value)>>,
) -> Fallible<(Round, Answers)> {
    let tenant = &spec.tenant_id;
    let started = Instant::now();
    let provision = native.provision(spec).await?;
    let provision_time = started.elapsed();
    if let Some(into) = snapshot {
        *into = engine_snapshot(&native.docker, tenant).await;
    }
    let started = Instant::now();
    let status = native.get_status(tenant).await?;
    let status_time = started.elapsed();
    let started = Instant::now();
    native.destroy(tenant).await?;
    let destroy_time = started.elapsed();
    Ok((
        Round {
            provision: provision_time,
            status: status_time,
            destroy: destroy_time,
        },
        Answers { provision, status },
    ))
}

/// What the engine holds for `tenant` that the create bodies decide: per
/// container (by name) its config, host config and network aliases, and
/// the network's name, driver and labels. Values that are the engine's own
/// (ids, the short-id alias) are left out.
async fn engine_snapshot(docker: &Docker, tenant: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for listed in containers_of(tenant) {
        let details = docker
            .inspect_container(&listed.id, None)
            .await
            .expect("inspect for the snapshot");
        let json = serde_json::to_value(&details).expect("inspect serializes");
        for pointer in [
            "/Name",
            "/Config/Image",
            "/Config/Labels",
            "/Config/Env",
            "/Config/Cmd",
            "/Config/Entrypoint",
            "/Config/Healthcheck",
            "/Config/ExposedPorts",
            "/HostConfig/NetworkMode",
            "/HostConfig/PortBindings",
            "/HostConfig/Memory",
            "/HostConfig/NanoCpus",
            "/HostConfig/RestartPolicy",
        ] {
            let value = json.pointer(pointer).cloned().unwrap_or(Value::Null);
            out.push((format!("{} {pointer}", listed.name), value));
        }
        let networks = details
            .network_settings
            .and_then(|settings| settings.networks)
            .unwrap_or_default();
        for (network, endpoint) in networks {
            let aliases: Vec<String> = endpoint
                .aliases
                .unwrap_or_default()
                .into_iter()
                .filter(|alias| !listed.id.starts_with(alias.as_str()))
                .collect();
            out.push((
                format!("{} aliases on {network}", listed.name),
                Value::from(aliases),
            ));
        }
    }
    let networks = docker
        .list_networks(Some(ListNetworksOptions {
            filters: Some(tenant_filter(tenant)),
        }))
        .await
        .expect("list networks for the snapshot");
    for network in networks {
        out.push((
            format!("network {:?}", network.name),
            serde_json::json!({"Driver": network.driver, "Labels": network.labels}),
        ));
    }
    out
}

/// Fail unless the two paths left the same objects on the engine and
/// answered the same shape.
fn check_same(
    component: &[(String, Value)],
    native: &[(String, Value)],
    component_answers: &Answers,
    native_answers: &Answers,
) {
    assert!(!component.is_empty(), "the component created nothing");
    let names = |objects: &[(String, Value)]| -> Vec<String> {
        objects.iter().map(|(what, _)| what.clone()).collect()
    };
    assert_eq!(
        names(component),
        names(native),
        "the two paths created different objects"
    );
    for ((what, mine), (what_native, theirs)) in component.iter().zip(native) {
        assert_eq!(what, what_native);
        assert_eq!(
            mine, theirs,
            "{what}: the component made {mine}, the native path {theirs}"
        );
    }

    let shape = |answers: &Answers| {
        let provision = &answers.provision;
        let status = &answers.status;
        (
            provision.resource_ids.keys().cloned().collect::<Vec<_>>(),
            provision
                .endpoints
                .iter()
                .map(|e| (e.endpoint_type.clone(), e.address.clone(), e.url.is_some()))
                .collect::<Vec<_>>(),
            status
                .containers
                .iter()
                .map(|c| (c.name.clone(), c.state.clone()))
                .collect::<Vec<_>>(),
            status.metadata.get("engine_api_version").cloned(),
            status.metadata.keys().cloned().collect::<Vec<_>>(),
        )
    };
    assert_eq!(
        shape(component_answers),
        shape(native_answers),
        "the two paths answered differently"
    );
}

/// Median and 90th percentile of `samples`, in milliseconds.
fn summary(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e3;
    (at(0.5), at(0.9))
}

fn main() {
    require_engine();
    let rounds: usize = std::env::var("LANDLORD_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(10);
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    tokio.block_on(bench(rounds));
}

async fn bench(rounds: usize) {
    let sandbox = Runtime::new().expect("the sandbox runtime");
    let provider = load_docker(
        &sandbox,
        docker_settings(&ProviderEntry::default()),
        Arc::new(MemoryStateStore::new()),
    )
    .expect("the docker provider loads with its default grant");
    let native = Native { docker: connect() };
    let version = native.docker.version().await.expect("the engine's version");

    // Warm-up, and the check that both paths do the same: one tenant id,
    // the component first, then the native path.
    let tenant = tenant_id("bench-w");
    let _guard = TenantGuard(tenant.clone());
    let spec = web_and_worker(&tenant);
    let (mut component_objects, mut native_objects) = (Vec::new(), Vec::new());
    let (_, component_answers) = component_round(
        &provider,
        &spec,
        Some(&mut component_objects),
        &native.docker,
    )
    .await
    .expect("warm-up through the component");
    let (_, native_answers) = native_round(&native, &spec, Some(&mut native_objects))
        .await
        .expect("warm-up through bollard");
    check_same(
        &component_objects,
        &native_objects,
        &component_answers,
        &native_answers,
    );
    drop(_guard);

    let mut component = Vec::with_capacity(rounds);
    let mut baseline = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let component_spec = web_and_worker(&tenant_id(&format!("bench-c{round}")));
        let native_spec = web_and_worker(&tenant_id(&format!("bench-n{round}")));
        let _guards = (
            TenantGuard(component_spec.tenant_id.clone()),
            TenantGuard(native_spec.tenant_id.clone()),
        );
        let through_component = async {
            component_round(&provider, &component_spec, None, &native.docker)
                .await
                .unwrap_or_else(|err| panic!("round {round} through the component: {err}"))
                .0
        };
        let through_bollard = async {
            native_round(&native, &native_spec, None)
                .await
                .unwrap_or_else(|err| panic!("round {round} through bollard: {err}"))
                .0
        };
        // Alternate which path goes first.
        if round % 2 == 0 {
            component.push(through_component.await);
            baseline.push(through_bollard.await);
        } else {
            baseline.push(through_bollard.await);
            component.push(through_component.await);
        }
    }

    println!(
        "\nDocker provider: the component (WasmProvider, engine grant, default engine policy) vs the same Engine API requests from bollard"
    );
    println!(
        "engine: Docker {} (API {}, min {}); requests sent as API 1.41; {rounds} rounds per path after a warm-up, alternating",
        version.version.as_deref().unwrap_or("?"),
        version.api_version.as_deref().unwrap_or("?"),
        version.min_api_version.as_deref().unwrap_or("?"),
    );
    println!(
        "one round: provision (9 requests), get-status (5), destroy (7) of a two-container tenant; the warm-up checked both paths leave identical containers and network\n"
    );
    let header = [
        "operation",
        "component median",
        "component p90",
        "native median",
        "native p90",
        "component / native",
        "component − native",
        "sandbox's share",
    ];
    let picks: [(&str, Pick); 4] = [
        ("provision", |r| r.provision),
        ("get-status", |r| r.status),
        ("destroy", |r| r.destroy),
        ("total", Round::total),
    ];
    let rows: Vec<[String; 8]> = picks
        .into_iter()
        .map(|(label, pick)| {
            let (c_median, c_p90) = summary(component.iter().map(pick).collect());
            let (n_median, n_p90) = summary(baseline.iter().map(pick).collect());
            [
                label.to_owned(),
                format!("{c_median:.2} ms"),
                format!("{c_p90:.2} ms"),
                format!("{n_median:.2} ms"),
                format!("{n_p90:.2} ms"),
                format!("{:.3}×", c_median / n_median),
                format!("{:+.2} ms", c_median - n_median),
                format!("{:+.1} %", (c_median - n_median) / c_median * 100.0),
            ]
        })
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|row| row[i].chars().count())
                .chain([header[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (cell, width))| {
                let pad = width - cell.chars().count();
                if i == 0 {
                    format!("{cell}{}", " ".repeat(pad))
                } else {
                    format!("{}{cell}", " ".repeat(pad))
                }
            })
            .collect();
        println!("| {} |", padded.join(" | "));
    };
    line(&header.map(str::to_owned));
    line(
        &widths
            .iter()
            .enumerate()
            .map(|(i, w)| {
                if i == 0 {
                    "-".repeat(*w)
                } else {
                    format!("{}:", "-".repeat(w - 1))
                }
            })
            .collect::<Vec<_>>(),
    );
    for row in &rows {
        line(row);
    }
    println!(
        "\nmedians and p90 over the rounds; total is per round (not the sum of the medians); sandbox's share = (component − native) / component, of the medians"
    );
}
