//! From a (checked) spec to what the engine is asked for: names, labels, the
//! container-create body of each container, and the spec hash that lets a
//! later call tell, from the engine alone, whether a container is current.
//!
//! The hash covers the container's *effective* settings: image, entrypoint
//! and arguments, environment (secret references, never their values),
//! published ports with their host address, health check, resources after
//! the tenant share, restart policy, network, and the user's labels. It is
//! made of one FNV-1a 64 hash per part, kept in the `landlord.spec_parts`
//! label, so `update` can say which parts changed.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use crate::bindings::landlord::compute::types::{
    ContainerSpec, HealthCheckType, PortMapping, Protocol, TenantComputeSpec,
};
use crate::checks::{Secret, Settings};

/// Label: who made the object (always [`OWNER`]).
pub(crate) const OWNER_LABEL: &str = "landlord.owner";
/// Value of [`OWNER_LABEL`].
pub(crate) const OWNER: &str = "landlord";
/// Label: the tenant id.
pub(crate) const TENANT_LABEL: &str = "landlord.tenant_id";
/// Label: the provider's name (`docker`).
pub(crate) const PROVIDER_LABEL: &str = "landlord.provider";
/// Label: the container's name in the spec.
pub(crate) const CONTAINER_LABEL: &str = "landlord.container";
/// Label: the hash of the container's effective spec.
pub(crate) const HASH_LABEL: &str = "landlord.spec_hash";
/// Label: `part=hash` pairs the spec hash is made of.
pub(crate) const PARTS_LABEL: &str = "landlord.spec_parts";
/// Label: the image reference, to describe an image change.
pub(crate) const IMAGE_LABEL: &str = "landlord.image";
/// Label: the container's position in the spec it was created from, so the
/// status lists containers in spec order. Not part of the hash.
pub(crate) const INDEX_LABEL: &str = "landlord.index";

/// The smallest CPU share the engine accepts (0.01 CPU).
pub(crate) const MIN_CPU_MILLICORES: u32 = 10;
/// The smallest memory limit the engine accepts (6 MiB).
pub(crate) const MIN_MEMORY_MIB: u32 = 6;

/// Name of the tenant's bridge network.
pub(crate) fn network_name(tenant: &str) -> String {
    format!("landlord-{tenant}")
}

/// Engine name of one of the tenant's containers.
pub(crate) fn container_name(tenant: &str, container: &str) -> String {
    format!("landlord-{tenant}-{container}")
}

/// The labels every object of the tenant carries (the network has only these).
pub(crate) fn tenant_labels(tenant: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (OWNER_LABEL.to_owned(), OWNER.to_owned()),
        (TENANT_LABEL.to_owned(), tenant.to_owned()),
        (PROVIDER_LABEL.to_owned(), crate::NAME.to_owned()),
    ])
}

/// CPU and memory limits of one container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) struct Limits {
    /// Millicores (1000 = one CPU).
    pub cpu_millicores: u32,
    /// MiB.
    pub memory_mib: u32,
}

/// How the tenant's `resources` are shared among the containers without
/// their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Share {
    /// How many containers share.
    pub sharing: u32,
    /// What the containers with their own resources take, in total.
    pub reserved: Limits,
    /// What each sharing container gets.
    pub each: Limits,
}

/// The tenant's `resources` less what the containers with their own take,
/// divided evenly (rounded down) among the containers without their own.
/// `None` when every container has its own.
pub(crate) fn share(spec: &TenantComputeSpec) -> Option<Share> {
    let sharing = spec
        .containers
        .iter()
        .filter(|container| container.resources.is_none())
        .count();
    let sharing = u32::try_from(sharing).ok().filter(|n| *n > 0)?;
    let (cpu, memory) = spec
        .containers
        .iter()
        .filter_map(|container| container.resources.as_ref())
        .fold((0u32, 0u32), |(cpu, memory), own| {
            (
                cpu.saturating_add(own.cpu_millicores),
                memory.saturating_add(own.memory_mib),
            )
        });
    let reserved = Limits {
        cpu_millicores: cpu,
        memory_mib: memory,
    };
    Some(Share {
        sharing,
        reserved,
        each: Limits {
            cpu_millicores: spec.resources.cpu_millicores.saturating_sub(cpu) / sharing,
            memory_mib: spec.resources.memory_mib.saturating_sub(memory) / sharing,
        },
    })
}

/// The limits of each container, in spec order: its own `resources` when
/// set, otherwise its [`share`] of what the tenant's leaves.
pub(crate) fn limits(spec: &TenantComputeSpec) -> Vec<Limits> {
    let share = share(spec).map(|share| share.each);
    spec.containers
        .iter()
        .map(|container| match &container.resources {
            Some(own) => Limits {
                cpu_millicores: own.cpu_millicores,
                memory_mib: own.memory_mib,
            },
            None => share.unwrap_or(Limits {
                cpu_millicores: spec.resources.cpu_millicores,
                memory_mib: spec.resources.memory_mib,
            }),
        })
        .collect()
}

/// The port an http or tcp check probes: its own, else the container's first
/// tcp port.
pub(crate) fn health_port(container: &ContainerSpec) -> Option<u16> {
    let check = container.health_check.as_ref()?;
    check.port.or_else(|| {
        container
            .ports
            .iter()
            .find(|port| port.protocol == Protocol::Tcp)
            .map(|port| port.container_port)
    })
}

/// The engine's `Healthcheck` of a container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Healthcheck {
    /// `["CMD", …]` or `["CMD-SHELL", "…"]`.
    pub test: Vec<String>,
    /// Nanoseconds between checks.
    pub interval: u64,
    /// Nanoseconds before a check counts as failed.
    pub timeout: u64,
    /// Consecutive failures before the container is unhealthy.
    pub retries: u32,
}

/// Consecutive failures before unhealthy when the spec does not say (the
/// engine's own default).
pub(crate) const DEFAULT_RETRIES: u32 = 3;

/// The engine health check for a container's `health_check`:
/// - exec → `["CMD", command…]`;
/// - http → `["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:<port><path>"]`
///   (path `/` when not given);
/// - tcp → a shell line trying `nc -z` (netcat-openbsd, ncat) and then
///   busybox's form, which connects and exits at the end of its stdin.
///
/// `healthy_threshold` has no engine equivalent: one success is healthy.
pub(crate) fn healthcheck(container: &ContainerSpec) -> Option<Healthcheck> {
    let check = container.health_check.as_ref()?;
    let port = health_port(container).unwrap_or_default();
    let test = match check.check_type {
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
        HealthCheckType::Tcp => {
            let wait = check.timeout_seconds;
            vec![
                "CMD-SHELL".to_owned(),
                format!(
                    "nc -z -w {wait} 127.0.0.1 {port} </dev/null 2>/dev/null || nc -w {wait} 127.0.0.1 {port} </dev/null"
                ),
            ]
        }
    };
    const NANOS: u64 = 1_000_000_000;
    Some(Healthcheck {
        test,
        interval: u64::from(check.interval_seconds) * NANOS,
        timeout: u64::from(check.timeout_seconds) * NANOS,
        retries: check.unhealthy_threshold.unwrap_or(DEFAULT_RETRIES),
    })
}

/// `tcp` or `udp`.
pub(crate) fn protocol_name(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::Tcp => "tcp",
        Protocol::Udp => "udp",
    }
}

/// The engine's key of a container port, `"<port>/<proto>"`.
pub(crate) fn port_key(port: &PortMapping) -> String {
    format!("{}/{}", port.container_port, protocol_name(port.protocol))
}

/// Host address published ports bind to.
pub(crate) fn host_ip(spec: &TenantComputeSpec) -> &'static str {
    if spec.networking.public_ip {
        "0.0.0.0"
    } else {
        "127.0.0.1"
    }
}

/// Everything the engine is asked for about one container.
pub(crate) struct ContainerPlan {
    /// Name in the spec.
    pub name: String,
    /// Engine name, `landlord-<tenant>-<name>`.
    pub engine_name: String,
    /// Image reference.
    pub image: String,
    /// The spec hash (`landlord.spec_hash`).
    pub hash: String,
    /// `part=hash` list (`landlord.spec_parts`).
    pub parts: String,
    /// The container-create body. Holds resolved secret values in `Env`:
    /// never log it.
    pub body: Value,
    /// The spec's ports, for the endpoints.
    pub ports: Vec<PortMapping>,
}

/// One environment entry as hashed: a value, or a secret's reference.
#[derive(Serialize)]
enum EnvPart<'a> {
    Value(&'a str),
    Secret(&'a str),
}

#[derive(Serialize)]
struct PortPart<'a> {
    container_port: u16,
    host_port: Option<u16>,
    protocol: &'static str,
    name: Option<&'a str>,
    host_ip: &'static str,
}

/// FNV-1a, 64 bits.
pub(crate) fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

fn canonical<T: Serialize>(value: &T) -> String {
    // Typed values (structs, tuples, BTreeMaps) serialize in a fixed order.
    serde_json::to_string(value).unwrap_or_default()
}

/// The plan of every container, in spec order.
pub(crate) fn tenant(
    spec: &TenantComputeSpec,
    settings: &Settings,
    secrets: &[Secret],
) -> Vec<ContainerPlan> {
    let limits = limits(spec);
    spec.containers
        .iter()
        .zip(limits)
        .enumerate()
        .map(|(index, (container, limits))| {
            container_plan(spec, settings, secrets, index, container, limits)
        })
        .collect()
}

fn container_plan(
    spec: &TenantComputeSpec,
    settings: &Settings,
    secrets: &[Secret],
    index: usize,
    container: &ContainerSpec,
    limits: Limits,
) -> ContainerPlan {
    let tenant = &spec.tenant_id;
    let network = network_name(tenant);
    let engine_name = container_name(tenant, &container.name);
    let host_ip = host_ip(spec);
    let memory = u64::from(limits.memory_mib) * 1024 * 1024;
    let nano_cpus = u64::from(limits.cpu_millicores) * 1_000_000;
    let health = healthcheck(container);
    let user_labels: BTreeMap<&str, &str> = spec
        .labels
        .iter()
        .map(|(key, value)| (key.as_str(), value.as_str()))
        .collect();

    let mut env_parts: BTreeMap<&str, EnvPart<'_>> = container
        .env
        .iter()
        .map(|(key, value)| (key.as_str(), EnvPart::Value(value)))
        .collect();
    for secret in secrets {
        env_parts.insert(&secret.env_var, EnvPart::Secret(&secret.reference));
    }
    let port_parts: Vec<PortPart<'_>> = container
        .ports
        .iter()
        .map(|port| PortPart {
            container_port: port.container_port,
            host_port: port.host_port,
            protocol: protocol_name(port.protocol),
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
        ("restart", canonical(&settings.restart)),
        ("network", canonical(&(&network, &container.name))),
        ("labels", canonical(&user_labels)),
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

    // User labels first, ours over them.
    let mut labels: BTreeMap<String, String> = spec.labels.iter().cloned().collect();
    labels.extend(tenant_labels(tenant));
    labels.extend([
        (CONTAINER_LABEL.to_owned(), container.name.clone()),
        (HASH_LABEL.to_owned(), hash.clone()),
        (PARTS_LABEL.to_owned(), parts.clone()),
        (IMAGE_LABEL.to_owned(), container.image.clone()),
        (INDEX_LABEL.to_owned(), index.to_string()),
    ]);

    let mut env: Vec<String> = container
        .env
        .iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    env.extend(
        secrets
            .iter()
            .map(|secret| format!("{}={}", secret.env_var, secret.value)),
    );

    let mut exposed = serde_json::Map::new();
    let mut bindings = serde_json::Map::new();
    for port in &container.ports {
        exposed.insert(port_key(port), json!({}));
        bindings.insert(
            port_key(port),
            json!([{
                "HostIp": host_ip,
                "HostPort": port.host_port.map(|p| p.to_string()).unwrap_or_default(),
            }]),
        );
    }

    let mut body = json!({
        "Image": container.image,
        "Env": env,
        "Labels": labels,
        "ExposedPorts": exposed,
        "HostConfig": {
            "NetworkMode": network,
            "PortBindings": bindings,
            "Memory": memory,
            "NanoCpus": nano_cpus,
            "RestartPolicy": { "Name": settings.restart, "MaximumRetryCount": 0 },
        },
        "NetworkingConfig": {
            "EndpointsConfig": { network.clone(): { "Aliases": [container.name] } },
        },
    });
    if !container.command.is_empty() {
        body["Entrypoint"] = json!(container.command);
    }
    if !container.args.is_empty() {
        body["Cmd"] = json!(container.args);
    }
    if let Some(health) = health {
        body["Healthcheck"] = json!(health);
    }

    ContainerPlan {
        name: container.name.clone(),
        engine_name,
        image: container.image.clone(),
        hash,
        parts,
        body,
        ports: container.ports.clone(),
    }
}

/// How a container created from `old_labels` differs from `new`, for a
/// change line: `image a -> b`, then the names of the other parts that
/// changed (`env, resources changed`).
pub(crate) fn difference(old_labels: &BTreeMap<String, String>, new: &ContainerPlan) -> String {
    let Some(old_parts) = old_labels.get(PARTS_LABEL) else {
        return "spec changed".to_owned();
    };
    let split = |text: &str| -> BTreeMap<String, String> {
        text.split(',')
            .filter_map(|pair| pair.split_once('='))
            .map(|(name, hash)| (name.to_owned(), hash.to_owned()))
            .collect()
    };
    let old_parts = split(old_parts);
    let mut pieces = Vec::new();
    let mut others = Vec::new();
    for (name, hash) in new.parts.split(',').filter_map(|pair| pair.split_once('=')) {
        if old_parts.get(name).map(String::as_str) == Some(hash) {
            continue;
        }
        if name == "image" {
            let before = old_labels.get(IMAGE_LABEL).map_or("?", String::as_str);
            pieces.push(format!("image {before} -> {}", new.image));
        } else {
            others.push(name);
        }
    }
    if !others.is_empty() {
        pieces.push(format!("{} changed", others.join(", ")));
    }
    if pieces.is_empty() {
        "spec changed".to_owned()
    } else {
        pieces.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::landlord::compute::types::*;
    use crate::checks::{PullPolicy, Settings};
    use crate::test_support::spec;

    fn settings() -> Settings {
        Settings {
            restart: "unless-stopped",
            pull: PullPolicy::IfNotPresent,
        }
    }

    fn secret() -> Secret {
        Secret {
            env_var: "DB_PASSWORD".into(),
            reference: "db-password/landlord/acme/db".into(),
            value: "hunter2-s3cret".into(),
        }
    }

    fn plans(spec: &TenantComputeSpec) -> Vec<ContainerPlan> {
        tenant(spec, &settings(), &[secret()])
    }

    #[test]
    fn the_create_body_maps_every_setting() {
        let mut s = spec();
        s.networking.public_ip = true;
        s.labels = vec![
            ("landlord.tenant_id".into(), "spoofed".into()),
            ("team".into(), "core".into()),
        ];
        s.containers[0].command = vec!["httpd".into()];
        s.containers[0].args = vec!["-f".into(), "-p".into(), "8080".into()];
        s.containers[0].env = vec![("MODE".into(), "prod".into())];
        s.containers[0].ports.push(PortMapping {
            container_port: 53,
            host_port: Some(5353),
            protocol: Protocol::Udp,
            name: Some("dns".into()),
        });
        s.containers[0].resources = Some(ResourceRequirements {
            cpu_millicores: 250,
            memory_mib: 128,
            storage_mib: None,
        });
        let body = &plans(&s)[0].body;
        assert_eq!(body["Image"], "landlord-test/busybox:1");
        assert_eq!(body["Entrypoint"], json!(["httpd"]));
        assert_eq!(body["Cmd"], json!(["-f", "-p", "8080"]));
        assert_eq!(
            body["Env"],
            json!(["MODE=prod", "DB_PASSWORD=hunter2-s3cret"])
        );
        assert_eq!(body["ExposedPorts"], json!({"8080/tcp": {}, "53/udp": {}}));
        let host = &body["HostConfig"];
        assert_eq!(
            host["PortBindings"],
            json!({
                "8080/tcp": [{"HostIp": "0.0.0.0", "HostPort": ""}],
                "53/udp": [{"HostIp": "0.0.0.0", "HostPort": "5353"}],
            })
        );
        assert_eq!(host["Memory"], 128 * 1024 * 1024);
        assert_eq!(host["NanoCpus"], 250_000_000);
        assert_eq!(host["NetworkMode"], "landlord-acme");
        assert_eq!(
            host["RestartPolicy"],
            json!({"Name": "unless-stopped", "MaximumRetryCount": 0})
        );
        assert_eq!(
            body["NetworkingConfig"],
            json!({"EndpointsConfig": {"landlord-acme": {"Aliases": ["web"]}}})
        );
        // Ours win over the user's; the user's own labels stay.
        let labels = &body["Labels"];
        assert_eq!(labels["landlord.tenant_id"], "acme");
        assert_eq!(labels["team"], "core");
        assert_eq!(labels["landlord.owner"], "landlord");
        assert_eq!(labels["landlord.provider"], "docker");
        assert_eq!(labels["landlord.container"], "web");
        assert_eq!(labels["landlord.index"], "0");
        assert_eq!(labels["landlord.image"], "landlord-test/busybox:1");
        assert!(
            labels["landlord.spec_hash"]
                .as_str()
                .unwrap()
                .starts_with("v1-")
        );
        assert!(body.get("Healthcheck").is_none());
    }

    #[test]
    fn entrypoint_and_cmd_are_set_only_when_given() {
        let body = &plans(&spec())[0].body;
        assert!(body.get("Entrypoint").is_none());
        assert!(body.get("Cmd").is_none());
        assert_eq!(
            body["HostConfig"]["PortBindings"],
            json!({"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": ""}]})
        );
    }

    #[test]
    fn containers_without_resources_share_what_the_tenants_leaves() {
        let mut s = spec();
        s.resources = ResourceRequirements {
            cpu_millicores: 1000,
            memory_mib: 1000,
            storage_mib: None,
        };
        for name in ["api", "worker"] {
            let mut c = s.containers[0].clone();
            c.name = name.into();
            s.containers.push(c);
        }
        s.containers[1].resources = Some(ResourceRequirements {
            cpu_millicores: 200,
            memory_mib: 256,
            storage_mib: None,
        });
        let each = Limits {
            cpu_millicores: 400,
            memory_mib: 372,
        };
        let own = Limits {
            cpu_millicores: 200,
            memory_mib: 256,
        };
        assert_eq!(limits(&s), [each, own, each]);
        assert_eq!(
            share(&s),
            Some(Share {
                sharing: 2,
                reserved: own,
                each
            })
        );
        let body = &plans(&s)[2].body;
        assert_eq!(body["HostConfig"]["NanoCpus"], 400_000_000);
        assert_eq!(body["HostConfig"]["Memory"], 372 * 1024 * 1024);

        // The README's example.
        let mut example = spec();
        example.resources.cpu_millicores = 1000;
        let mut worker = example.containers[0].clone();
        worker.name = "worker".into();
        worker.resources = Some(ResourceRequirements {
            cpu_millicores: 250,
            memory_mib: 128,
            storage_mib: None,
        });
        example.containers.push(worker);
        assert_eq!(
            plans(&example)[0].body["HostConfig"]["NanoCpus"],
            750_000_000
        );
        assert_eq!(plans(&example)[0].body["HostConfig"]["Memory"], 402_653_184);

        // More than the tenant's reserved: nothing is left (checks refuse it).
        s.containers[1].resources.as_mut().unwrap().cpu_millicores = 4000;
        assert_eq!(limits(&s)[0].cpu_millicores, 0);
        // Everyone with their own: no share.
        for c in &mut s.containers {
            c.resources = Some(own.into_resources());
        }
        assert_eq!(share(&s), None);
        assert_eq!(limits(&s), [own, own, own]);
    }

    impl Limits {
        fn into_resources(self) -> ResourceRequirements {
            ResourceRequirements {
                cpu_millicores: self.cpu_millicores,
                memory_mib: self.memory_mib,
                storage_mib: None,
            }
        }
    }

    fn with_check(check_type: HealthCheckType) -> ContainerSpec {
        let mut c = spec().containers.remove(0);
        c.health_check = Some(HealthCheckConfig {
            check_type,
            http_path: Some("/healthz".into()),
            port: None,
            command: vec!["test".into(), "-f".into(), "/www/healthz".into()],
            interval_seconds: 5,
            timeout_seconds: 2,
            healthy_threshold: Some(2),
            unhealthy_threshold: Some(4),
        });
        c
    }

    #[test]
    fn health_checks_map_to_engine_commands() {
        let http = healthcheck(&with_check(HealthCheckType::Http)).unwrap();
        assert_eq!(
            http,
            Healthcheck {
                test: [
                    "CMD",
                    "wget",
                    "-q",
                    "-O",
                    "/dev/null",
                    "http://127.0.0.1:8080/healthz"
                ]
                .map(String::from)
                .to_vec(),
                interval: 5_000_000_000,
                timeout: 2_000_000_000,
                retries: 4,
            }
        );
        let mut tcp = with_check(HealthCheckType::Tcp);
        tcp.health_check.as_mut().unwrap().port = Some(9000);
        tcp.health_check.as_mut().unwrap().unhealthy_threshold = None;
        let tcp = healthcheck(&tcp).unwrap();
        assert_eq!(
            tcp.test,
            [
                "CMD-SHELL",
                "nc -z -w 2 127.0.0.1 9000 </dev/null 2>/dev/null || nc -w 2 127.0.0.1 9000 </dev/null"
            ]
        );
        assert_eq!(tcp.retries, DEFAULT_RETRIES);
        let exec = healthcheck(&with_check(HealthCheckType::Exec)).unwrap();
        assert_eq!(exec.test, ["CMD", "test", "-f", "/www/healthz"]);
        let mut s = spec();
        s.containers[0] = with_check(HealthCheckType::Http);
        assert_eq!(
            plans(&s)[0].body["Healthcheck"],
            json!({
                "Test": ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/healthz"],
                "Interval": 5_000_000_000u64,
                "Timeout": 2_000_000_000u64,
                "Retries": 4,
            })
        );
    }

    #[test]
    fn the_hash_is_stable_and_follows_the_effective_spec() {
        let base = plans(&spec())[0].hash.clone();
        assert_eq!(plans(&spec())[0].hash, base);
        // Pinned: a change here recreates every container on upgrade.
        assert_eq!(base, "v1-72602a3d5dc9f4c7");
        assert_eq!(base.len(), 3 + 16);

        let changed = |edit: &dyn Fn(&mut TenantComputeSpec)| {
            let mut s = spec();
            edit(&mut s);
            plans(&s)[0].hash.clone()
        };
        assert_ne!(
            changed(&|s| s.containers[0].image = "landlord-test/busybox:2".into()),
            base
        );
        assert_ne!(changed(&|s| s.containers[0].args = vec!["x".into()]), base);
        assert_ne!(
            changed(&|s| s.containers[0].env = vec![("A".into(), "1".into())]),
            base
        );
        assert_ne!(changed(&|s| s.networking.public_ip = true), base);
        assert_ne!(changed(&|s| s.resources.memory_mib = 1024), base);
        assert_ne!(
            changed(&|s| s.labels = vec![("team".into(), "x".into())]),
            base
        );
        // Not part of the hash: the order of containers, the pull policy.
        let mut two = spec();
        let mut api = two.containers[0].clone();
        api.name = "api".into();
        api.ports.clear();
        two.containers.push(api);
        let web = plans(&two)[0].hash.clone();
        two.containers.swap(0, 1);
        two.provider_config = Some(r#"{"pull_policy":"always"}"#.into());
        let checked = crate::checks::check(&two, &|_| None).unwrap();
        assert_eq!(tenant(&two, &checked.settings, &[secret()])[1].hash, web);
        // Part of it: another container's own resources change the share.
        two.containers[0].resources = Some(ResourceRequirements {
            cpu_millicores: 300,
            memory_mib: 300,
            storage_mib: None,
        });
        assert_ne!(plans(&two)[1].hash, web);

        // The secret's value is in no label and not in the hash.
        let mut rotated = secret();
        rotated.value = "another-value".into();
        let a = &plans(&spec())[0];
        let b = &tenant(&spec(), &settings(), &[rotated])[0];
        assert_eq!(a.hash, b.hash);
        assert!(!a.body["Labels"].to_string().contains("hunter2"));
        let mut referenced = secret();
        referenced.reference = "db-password/landlord/acme/db-v2".into();
        assert_ne!(tenant(&spec(), &settings(), &[referenced])[0].hash, a.hash);
    }

    #[test]
    fn a_difference_names_the_changed_parts() {
        let old = &plans(&spec())[0];
        let old_labels: BTreeMap<String, String> =
            serde_json::from_value(old.body["Labels"].clone()).unwrap();
        let mut s = spec();
        s.containers[0].image = "landlord-test/busybox:2".into();
        s.containers[0].env = vec![("A".into(), "1".into())];
        s.resources.cpu_millicores = 1000;
        assert_eq!(
            difference(&old_labels, &plans(&s)[0]),
            "image landlord-test/busybox:1 -> landlord-test/busybox:2; env, resources changed"
        );
        let mut s = spec();
        s.containers[0].args = vec!["x".into()];
        assert_eq!(difference(&old_labels, &plans(&s)[0]), "command changed");
        assert_eq!(difference(&BTreeMap::new(), old), "spec changed");
    }
}
