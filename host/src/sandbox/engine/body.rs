//! The rules on create and connect bodies.
//!
//! The body is read as the engine will read it: the engine's decoder
//! matches field names case-insensitively (so `privileged` is
//! `Privileged`), and still honours host-config fields at the top level of
//! a container create (the API before `HostConfig` existed). So every check
//! looks at every key that folds to the field's name, in `HostConfig` and
//! at the top level; keys with non-ASCII letters (which fold in surprising
//! ways) are refused. The host sends the body it parsed, re-serialized, so
//! duplicate keys and trailing bytes never reach the engine.

use std::path::{Component, Path, PathBuf};

use serde_json::{Map, Value};

use super::{EnginePolicy, Rule, Violation, quote};

/// Largest body the host reads (a container create is a few KiB).
pub(crate) const MAX_BODY: usize = 1 << 20;

/// The labels everything a provider creates must carry.
pub(crate) const OWNER_LABEL: &str = "landlord.owner";
/// The owner label's value.
pub(crate) const OWNER: &str = "landlord";
/// The label naming the provider: the key of scope.
pub(crate) const PROVIDER_LABEL: &str = "landlord.provider";
/// The label naming the tenant.
pub(crate) const TENANT_LABEL: &str = "landlord.tenant_id";

/// Networks and containers a body names, which must be the provider's.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Named {
    /// Network names or ids.
    pub(crate) networks: Vec<String>,
    /// Container names or ids.
    pub(crate) containers: Vec<String>,
}

/// Checks bodies for one provider under its policy.
pub(crate) struct BodyRules<'a> {
    /// The policy.
    pub(crate) policy: &'a EnginePolicy,
    /// The provider's name (the `landlord.provider` label it must set).
    pub(crate) provider: &'a str,
    /// Whether the engine runs on this machine (a unix socket), so that
    /// allowed bind-mount paths can be resolved through symlinks here.
    pub(crate) local: bool,
}

/// `bytes` as a JSON object, or the violation.
pub(crate) fn parse(bytes: &[u8]) -> Result<Map<String, Value>, Violation> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(Violation::new(Rule::Body, "the body is not a JSON object")),
        Err(err) => Err(Violation::new(
            Rule::Body,
            format!("the body is not JSON the host can read: {err}"),
        )),
    }
}

/// Every value of `object` under a key that folds to `name` (ASCII).
fn fields<'a>(
    object: &'a Map<String, Value>,
    name: &'a str,
) -> impl Iterator<Item = (&'a str, &'a Value)> {
    object
        .iter()
        .filter(move |(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(key, value)| (key.as_str(), value))
}

/// The objects among `fields(object, name)`.
fn objects<'a>(
    object: &'a Map<String, Value>,
    name: &'a str,
) -> impl Iterator<Item = &'a Map<String, Value>> {
    fields(object, name).filter_map(|(_, value)| value.as_object())
}

/// The strings of a string or an array of strings.
fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(text) => vec![text.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Whether a value asks for something: not null, false, 0, "", [] or {}.
fn is_set(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(on) => *on,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(text) => !text.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
    }
}

/// Refuse keys with non-ASCII characters in a struct-typed object.
fn ascii_keys(object: &Map<String, Value>, at: &str) -> Result<(), Violation> {
    match object.keys().find(|key| !key.is_ascii()) {
        Some(key) => Err(Violation::new(
            Rule::Body,
            format!(
                "{at}field name {} has non-ASCII characters, which the engine may fold into another field's name",
                quote(key)
            ),
        )),
        None => Ok(()),
    }
}

/// A host-config field's path for messages: `HostConfig.Privileged`, or
/// `Privileged (top level)`.
fn at(nested: bool, key: &str) -> String {
    if nested {
        format!("HostConfig.{}", crate::text::escape_bounded(key, 40))
    } else {
        format!("{} (top level)", crate::text::escape_bounded(key, 40))
    }
}

/// What a `NetworkMode` or endpoint name asks for.
enum NetworkName<'a> {
    /// The engine's own defaults: `bridge`, `default`, `none` or empty.
    Default,
    /// `host` or `container:…`.
    Namespace,
    /// A network by name or id.
    Named(&'a str),
}

fn network_name(name: &str) -> NetworkName<'_> {
    let lower = name.to_ascii_lowercase();
    if matches!(lower.as_str(), "" | "bridge" | "default" | "none") {
        NetworkName::Default
    } else if lower == "host" || lower.starts_with("container:") {
        NetworkName::Namespace
    } else {
        NetworkName::Named(name)
    }
}

impl BodyRules<'_> {
    /// Check a `POST /containers/create` body; the networks it names must
    /// then be the provider's.
    pub(crate) fn container_create(&self, body: &Map<String, Value>) -> Result<Named, Violation> {
        ascii_keys(body, "")?;
        let mut host_configs = vec![(false, body)];
        for host_config in objects(body, "HostConfig") {
            ascii_keys(host_config, "HostConfig: ")?;
            host_configs.push((true, host_config));
        }
        let mut named = Named::default();
        for (nested, host_config) in host_configs {
            self.host_config(nested, host_config, &mut named)?;
        }
        for networking in objects(body, "NetworkingConfig") {
            ascii_keys(networking, "NetworkingConfig: ")?;
            for endpoints in objects(networking, "EndpointsConfig") {
                for (name, settings) in endpoints {
                    match network_name(name) {
                        NetworkName::Default => {}
                        NetworkName::Namespace => {
                            return Err(Violation::new(
                                Rule::HostNamespaces,
                                format!("NetworkingConfig.EndpointsConfig names {}", quote(name)),
                            ));
                        }
                        NetworkName::Named(name) => named.networks.push(name.to_owned()),
                    }
                    if let Some(settings) = settings.as_object() {
                        ascii_keys(settings, "NetworkingConfig.EndpointsConfig: ")?;
                        no_links(settings, "NetworkingConfig.EndpointsConfig")?;
                    }
                }
            }
        }
        self.owner_labels(body, "container")?;
        named.networks.sort();
        named.networks.dedup();
        Ok(named)
    }

    /// The host-config rules on one object (`HostConfig`, or the top level).
    fn host_config(
        &self,
        nested: bool,
        config: &Map<String, Value>,
        named: &mut Named,
    ) -> Result<(), Violation> {
        let refuse = |rule, key: &str, what: &str| {
            Err(Violation::new(rule, format!("{} {what}", at(nested, key))))
        };

        for (key, value) in fields(config, "Privileged") {
            if is_set(value) {
                return refuse(
                    Rule::Privileged,
                    key,
                    "is set: a privileged container is root on the host",
                );
            }
        }

        // Mounts.
        for (key, value) in fields(config, "Binds") {
            for bind in strings(value) {
                let source = bind.split(':').next().unwrap_or_default();
                if source.starts_with('/') {
                    self.host_path(nested, key, source)?;
                } else if !source.is_empty() {
                    self.named_volume(nested, key, source)?;
                }
            }
        }
        for (key, value) in fields(config, "Mounts") {
            for mount in value
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_object)
            {
                self.mount(nested, key, mount)?;
            }
        }
        for field in ["VolumesFrom", "VolumeDriver"] {
            for (key, value) in fields(config, field) {
                if is_set(value) {
                    return refuse(
                        Rule::HostMounts,
                        key,
                        "is set: it mounts volumes the provider did not create",
                    );
                }
            }
        }

        // Namespaces.
        for field in [
            "PidMode",
            "IpcMode",
            "UTSMode",
            "UsernsMode",
            "CgroupnsMode",
            "Cgroup",
        ] {
            for (key, value) in fields(config, field) {
                for mode in strings(value) {
                    let lower = mode.to_ascii_lowercase();
                    if lower == "host" || lower.starts_with("container:") {
                        return refuse(Rule::HostNamespaces, key, &format!("is {}", quote(mode)));
                    }
                }
            }
        }
        for (key, value) in fields(config, "NetworkMode") {
            for mode in strings(value) {
                match network_name(mode) {
                    NetworkName::Default => {}
                    NetworkName::Namespace => {
                        return refuse(Rule::HostNamespaces, key, &format!("is {}", quote(mode)));
                    }
                    NetworkName::Named(name) => named.networks.push(name.to_owned()),
                }
            }
        }

        // Capabilities.
        for field in ["CapAdd", "Capabilities"] {
            for (key, value) in fields(config, field) {
                let refused: Vec<&str> = strings(value)
                    .into_iter()
                    .filter(|cap| !self.policy.allows_capability(cap))
                    .collect();
                if !refused.is_empty() {
                    let list: Vec<String> = refused.iter().map(|cap| quote(cap)).collect();
                    return refuse(
                        Rule::Capabilities,
                        key,
                        &format!(
                            "asks for {} (allowed: {})",
                            list.join(", "),
                            allowed_list(&self.policy.allow_capabilities)
                        ),
                    );
                }
            }
        }

        for field in ["Devices", "DeviceRequests", "DeviceCgroupRules"] {
            for (key, value) in fields(config, field) {
                if is_set(value) {
                    return refuse(Rule::Devices, key, "is set: host devices are host data");
                }
            }
        }

        // Confinement.
        for (key, value) in fields(config, "SecurityOpt") {
            for option in strings(value) {
                let plain = option.replace('=', ":").to_ascii_lowercase();
                if !matches!(
                    plain.as_str(),
                    "no-new-privileges" | "no-new-privileges:true"
                ) {
                    return refuse(
                        Rule::Confinement,
                        key,
                        &format!("has {}: only no-new-privileges may be set", quote(option)),
                    );
                }
            }
        }
        for field in ["MaskedPaths", "ReadonlyPaths"] {
            for (key, value) in fields(config, field) {
                if !value.is_null() {
                    return refuse(
                        Rule::Confinement,
                        key,
                        "is set: it unmasks /proc and /sys paths",
                    );
                }
            }
        }
        for (key, value) in fields(config, "Runtime") {
            for runtime in strings(value) {
                if !runtime.is_empty() && runtime != "runc" {
                    return refuse(
                        Rule::Confinement,
                        key,
                        &format!("is {}: only the default runc", quote(runtime)),
                    );
                }
            }
        }

        for (key, value) in fields(config, "CgroupParent") {
            if is_set(value) {
                return refuse(Rule::CgroupParent, key, "is set");
            }
        }
        for (key, value) in fields(config, "Sysctls") {
            if is_set(value) {
                return refuse(
                    Rule::Sysctls,
                    key,
                    "is set: kernel parameters are the host's",
                );
            }
        }
        if nested {
            no_links(config, "HostConfig")
        } else {
            no_links(config, "(top level)")
        }
    }

    /// One `Mounts` entry: tmpfs, an anonymous volume, or what the policy
    /// allows of bind mounts and named volumes.
    fn mount(&self, nested: bool, key: &str, mount: &Map<String, Value>) -> Result<(), Violation> {
        ascii_keys(mount, "Mounts: ")?;
        for options in ["VolumeOptions", "BindOptions", "TmpfsOptions"] {
            for object in objects(mount, options) {
                ascii_keys(object, "Mounts: ")?;
            }
        }
        let kinds: Vec<String> = fields(mount, "Type")
            .flat_map(|(_, value)| strings(value))
            .map(str::to_ascii_lowercase)
            .collect();
        let sources: Vec<&str> = fields(mount, "Source")
            .flat_map(|(_, value)| strings(value))
            .collect();
        for kind in &kinds {
            match kind.as_str() {
                "bind" => {
                    for source in &sources {
                        self.host_path(nested, key, source)?;
                    }
                }
                "volume" => {
                    for options in objects(mount, "VolumeOptions") {
                        if fields(options, "DriverConfig").any(|(_, value)| is_set(value)) {
                            return Err(Violation::new(
                                Rule::HostMounts,
                                format!(
                                    "{} has a volume with DriverConfig: driver options can bind any host path",
                                    at(nested, key)
                                ),
                            ));
                        }
                    }
                    for source in sources.iter().filter(|source| !source.is_empty()) {
                        self.named_volume(nested, key, source)?;
                    }
                }
                "tmpfs" => {}
                other => {
                    return Err(Violation::new(
                        Rule::HostMounts,
                        format!(
                            "{} has a mount of type {}: only bind, volume and tmpfs are known",
                            at(nested, key),
                            quote(other)
                        ),
                    ));
                }
            }
        }
        if kinds.is_empty() && !sources.is_empty() {
            return Err(Violation::new(
                Rule::HostMounts,
                format!("{} has a mount with a Source but no Type", at(nested, key)),
            ));
        }
        Ok(())
    }

    /// A bind mount of host path `source`, allowed only under
    /// `allow_bind_mounts` (after symlinks, for a local engine).
    fn host_path(&self, nested: bool, key: &str, source: &str) -> Result<(), Violation> {
        let path = Path::new(source);
        let refused = |why: String| {
            Err(Violation::new(
                Rule::HostMounts,
                format!(
                    "{} mounts host path {}: {why}",
                    at(nested, key),
                    quote(source)
                ),
            ))
        };
        if path
            .components()
            .any(|part| matches!(part, Component::ParentDir | Component::CurDir))
        {
            return refused("`.` and `..` are refused".into());
        }
        if self.policy.allow_bind_mounts.is_empty() {
            return refused(
                "host paths are the host's (an operator may allow directories with engine_policy.allow_bind_mounts)".into(),
            );
        }
        let clean: PathBuf = path.components().collect();
        let resolved = if self.local {
            std::fs::canonicalize(&clean).unwrap_or(clean)
        } else {
            clean
        };
        if self.policy.allows_bind(&resolved) {
            return Ok(());
        }
        refused(format!(
            "not under engine_policy.allow_bind_mounts ({})",
            allowed_list(
                &self
                    .policy
                    .allow_bind_mounts
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
            )
        ))
    }

    fn named_volume(&self, nested: bool, key: &str, name: &str) -> Result<(), Violation> {
        if self.policy.allow_named_volumes {
            return Ok(());
        }
        Err(Violation::new(
            Rule::HostMounts,
            format!(
                "{} mounts named volume {}: a named volume may hold others' data (an operator may allow them with engine_policy.allow_named_volumes)",
                at(nested, key),
                quote(name)
            ),
        ))
    }

    /// Labels every create must carry: owner, this provider, a tenant.
    fn owner_labels(&self, body: &Map<String, Value>, what: &str) -> Result<(), Violation> {
        let expected = format!(
            "a {what} must be labelled {OWNER_LABEL}={OWNER}, {PROVIDER_LABEL}={} and {TENANT_LABEL}=<tenant>",
            self.provider
        );
        let mut found = false;
        for (_, labels) in fields(body, "Labels") {
            if labels.is_null() {
                continue;
            }
            found = true;
            let label = |name: &str| labels.get(name).and_then(Value::as_str);
            let problem = if label(OWNER_LABEL) != Some(OWNER) {
                format!("{OWNER_LABEL} is {}", shown(label(OWNER_LABEL)))
            } else if label(PROVIDER_LABEL) != Some(self.provider) {
                format!("{PROVIDER_LABEL} is {}", shown(label(PROVIDER_LABEL)))
            } else if label(TENANT_LABEL).is_none_or(str::is_empty) {
                format!("{TENANT_LABEL} is {}", shown(label(TENANT_LABEL)))
            } else {
                continue;
            };
            return Err(Violation::new(
                Rule::OwnerLabels,
                format!("{problem}; {expected}"),
            ));
        }
        if found {
            Ok(())
        } else {
            Err(Violation::new(
                Rule::OwnerLabels,
                format!("it has no Labels; {expected}"),
            ))
        }
    }

    /// Check a `POST /networks/create` body: a plain bridge network with
    /// the owner labels.
    pub(crate) fn network_create(&self, body: &Map<String, Value>) -> Result<(), Violation> {
        ascii_keys(body, "")?;
        let refuse = |key: &str, what: String| {
            Err(Violation::new(
                Rule::NetworkDriver,
                format!(
                    "{} {what}; only plain bridge networks may be created",
                    crate::text::escape_bounded(key, 40)
                ),
            ))
        };
        for (key, value) in fields(body, "Driver") {
            for driver in strings(value) {
                if !matches!(driver, "" | "bridge") {
                    return refuse(key, format!("is {}", quote(driver)));
                }
            }
        }
        for field in [
            "Options",
            "ConfigFrom",
            "ConfigOnly",
            "Ingress",
            "Attachable",
        ] {
            for (key, value) in fields(body, field) {
                if is_set(value) {
                    return refuse(key, "is set".into());
                }
            }
        }
        for (key, value) in fields(body, "Scope") {
            for scope in strings(value) {
                if !matches!(scope, "" | "local") {
                    return refuse(key, format!("is {}", quote(scope)));
                }
            }
        }
        for ipam in objects(body, "IPAM") {
            ascii_keys(ipam, "IPAM: ")?;
            for (key, value) in fields(ipam, "Driver") {
                for driver in strings(value) {
                    if !matches!(driver, "" | "default") {
                        return refuse(&format!("IPAM.{key}"), format!("is {}", quote(driver)));
                    }
                }
            }
        }
        self.owner_labels(body, "network")
    }

    /// Check a network connect or disconnect body; the container it names
    /// must then be the provider's.
    pub(crate) fn network_connect(&self, body: &Map<String, Value>) -> Result<Named, Violation> {
        ascii_keys(body, "")?;
        let mut named = Named::default();
        for (_, value) in fields(body, "Container") {
            named
                .containers
                .extend(strings(value).into_iter().map(str::to_owned));
        }
        if named.containers.is_empty() {
            return Err(Violation::new(Rule::Body, "it names no Container"));
        }
        for endpoint in objects(body, "EndpointConfig") {
            ascii_keys(endpoint, "EndpointConfig: ")?;
            no_links(endpoint, "EndpointConfig")?;
        }
        Ok(named)
    }
}

/// `Links` reach containers by name; the policy does not follow them.
fn no_links(object: &Map<String, Value>, at: &str) -> Result<(), Violation> {
    match fields(object, "Links").find(|(_, value)| is_set(value)) {
        Some((key, _)) => Err(Violation::new(
            Rule::Scope,
            format!(
                "{at}.{} names other containers; use a network of the tenant's own instead",
                crate::text::escape_bounded(key, 40)
            ),
        )),
        None => Ok(()),
    }
}

fn shown(label: Option<&str>) -> String {
    label.map_or_else(|| "missing".to_owned(), quote)
}

fn allowed_list(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PROVIDER: &str = "docker";

    fn labels() -> Value {
        json!({"landlord.owner": "landlord", "landlord.provider": PROVIDER, "landlord.tenant_id": "acme", "team": "ops"})
    }

    /// A container create like the Docker provider's, with `extra` merged in.
    fn create(extra: Value) -> Map<String, Value> {
        let mut body = json!({
            "Image": "landlord-test/busybox:1",
            "Labels": labels(),
            "HostConfig": {
                "NetworkMode": "landlord-acme",
                "PortBindings": {"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": ""}]},
                "Memory": 134217728,
                "NanoCpus": 500000000,
                "RestartPolicy": {"Name": "unless-stopped", "MaximumRetryCount": 0},
            },
            "NetworkingConfig": {"EndpointsConfig": {"landlord-acme": {"Aliases": ["web"]}}},
        });
        merge(&mut body, extra);
        body.as_object().unwrap().clone()
    }

    fn merge(into: &mut Value, extra: Value) {
        if let (Value::Object(into), Value::Object(extra)) = (into, extra) {
            for (key, value) in extra {
                match into.get_mut(&key) {
                    // Labels and endpoints are replaced whole.
                    Some(existing @ Value::Object(_))
                        if value.is_object() && key != "Labels" && key != "EndpointsConfig" =>
                    {
                        merge(existing, value)
                    }
                    _ => {
                        into.insert(key, value);
                    }
                }
            }
        }
    }

    fn rules(policy: &EnginePolicy) -> BodyRules<'_> {
        BodyRules {
            policy,
            provider: PROVIDER,
            local: false,
        }
    }

    fn refused(extra: Value) -> Violation {
        let policy = EnginePolicy::default();
        rules(&policy)
            .container_create(&create(extra.clone()))
            .expect_err(&extra.to_string())
    }

    #[test]
    fn the_docker_providers_create_passes_and_names_its_network() {
        let policy = EnginePolicy::default();
        let named = rules(&policy).container_create(&create(json!({}))).unwrap();
        assert_eq!(named.networks, ["landlord-acme"]);
        let named = rules(&policy)
            .container_create(&create(json!({
                "HostConfig": {"NetworkMode": "bridge", "Mounts": [{"Type": "tmpfs", "Target": "/tmp"}],
                               "SecurityOpt": ["no-new-privileges:true"], "CapDrop": ["ALL"], "Privileged": false},
                "NetworkingConfig": {"EndpointsConfig": {"bridge": {}}},
            })))
            .unwrap();
        assert!(named.networks.is_empty());
    }

    #[test]
    fn each_escape_is_refused_by_its_rule() {
        for (extra, rule, detail) in [
            (
                json!({"HostConfig": {"Privileged": true}}),
                Rule::Privileged,
                "HostConfig.Privileged is set",
            ),
            (
                json!({"Privileged": true}),
                Rule::Privileged,
                "Privileged (top level) is set",
            ),
            (
                json!({"HostConfig": {"privileged": true}}),
                Rule::Privileged,
                "HostConfig.privileged is set",
            ),
            (
                json!({"hostconfig": {"PRIVILEGED": 1}}),
                Rule::Privileged,
                "HostConfig.PRIVILEGED",
            ),
            (
                json!({"HostConfig": {"Binds": ["/:/host"]}}),
                Rule::HostMounts,
                "mounts host path '/'",
            ),
            (
                json!({"Binds": ["/var/run/docker.sock:/s"]}),
                Rule::HostMounts,
                "Binds (top level) mounts host path",
            ),
            (
                json!({"HostConfig": {"Binds": ["data:/data"]}}),
                Rule::HostMounts,
                "named volume 'data'",
            ),
            (
                json!({"HostConfig": {"Mounts": [{"Type": "bind", "Source": "/", "Target": "/h"}]}}),
                Rule::HostMounts,
                "mounts host path '/'",
            ),
            (
                json!({"HostConfig": {"Mounts": [{"type": "BIND", "source": "/etc", "target": "/h"}]}}),
                Rule::HostMounts,
                "mounts host path '/etc'",
            ),
            (
                json!({"HostConfig": {"Mounts": [{"Type": "volume", "Target": "/h", "VolumeOptions": {"DriverConfig": {"Name": "local", "Options": {"type": "none", "o": "bind", "device": "/"}}}}]}}),
                Rule::HostMounts,
                "DriverConfig",
            ),
            (
                json!({"HostConfig": {"Mounts": [{"Type": "npipe", "Source": "x", "Target": "/h"}]}}),
                Rule::HostMounts,
                "type 'npipe'",
            ),
            (
                json!({"HostConfig": {"VolumesFrom": ["other"]}}),
                Rule::HostMounts,
                "VolumesFrom",
            ),
            (
                json!({"HostConfig": {"NetworkMode": "host"}}),
                Rule::HostNamespaces,
                "NetworkMode is 'host'",
            ),
            (
                json!({"HostConfig": {"NetworkMode": "container:abc"}}),
                Rule::HostNamespaces,
                "'container:abc'",
            ),
            (
                json!({"HostConfig": {"PidMode": "host"}}),
                Rule::HostNamespaces,
                "PidMode is 'host'",
            ),
            (
                json!({"HostConfig": {"IpcMode": "container:x"}}),
                Rule::HostNamespaces,
                "IpcMode",
            ),
            (
                json!({"HostConfig": {"UsernsMode": "host"}}),
                Rule::HostNamespaces,
                "UsernsMode",
            ),
            (
                json!({"HostConfig": {"UTSMode": "host"}}),
                Rule::HostNamespaces,
                "UTSMode",
            ),
            (
                json!({"NetworkingConfig": {"EndpointsConfig": {"host": {}}}}),
                Rule::HostNamespaces,
                "EndpointsConfig names 'host'",
            ),
            (
                json!({"HostConfig": {"CapAdd": ["SYS_ADMIN"]}}),
                Rule::Capabilities,
                "asks for 'SYS_ADMIN' (allowed: none)",
            ),
            (
                json!({"HostConfig": {"Capabilities": ["CAP_SYS_PTRACE"]}}),
                Rule::Capabilities,
                "CAP_SYS_PTRACE",
            ),
            (
                json!({"HostConfig": {"Devices": [{"PathOnHost": "/dev/kmsg", "PathInContainer": "/dev/kmsg", "CgroupPermissions": "rwm"}]}}),
                Rule::Devices,
                "HostConfig.Devices",
            ),
            (
                json!({"HostConfig": {"DeviceRequests": [{"Count": -1}]}}),
                Rule::Devices,
                "DeviceRequests",
            ),
            (
                json!({"HostConfig": {"DeviceCgroupRules": ["c *:* rmw"]}}),
                Rule::Devices,
                "DeviceCgroupRules",
            ),
            (
                json!({"HostConfig": {"SecurityOpt": ["seccomp=unconfined"]}}),
                Rule::Confinement,
                "'seccomp=unconfined'",
            ),
            (
                json!({"HostConfig": {"SecurityOpt": ["apparmor:unconfined"]}}),
                Rule::Confinement,
                "apparmor",
            ),
            (
                json!({"HostConfig": {"MaskedPaths": []}}),
                Rule::Confinement,
                "MaskedPaths",
            ),
            (
                json!({"HostConfig": {"Runtime": "runsc-debug"}}),
                Rule::Confinement,
                "Runtime",
            ),
            (
                json!({"HostConfig": {"CgroupParent": "/"}}),
                Rule::CgroupParent,
                "CgroupParent",
            ),
            (
                json!({"HostConfig": {"Sysctls": {"net.ipv4.ip_forward": "1"}}}),
                Rule::Sysctls,
                "Sysctls",
            ),
            (
                json!({"HostConfig": {"Links": ["operator-db:db"]}}),
                Rule::Scope,
                "HostConfig.Links",
            ),
            (
                json!({"NetworkingConfig": {"EndpointsConfig": {"landlord-acme": {"Links": ["x"]}}}}),
                Rule::Scope,
                "Links",
            ),
            (
                json!({"Labels": {"landlord.owner": "landlord", "landlord.provider": "other", "landlord.tenant_id": "acme"}}),
                Rule::OwnerLabels,
                "landlord.provider is 'other'",
            ),
            (
                json!({"Labels": {"landlord.owner": "landlord", "landlord.provider": PROVIDER}}),
                Rule::OwnerLabels,
                "landlord.tenant_id is missing",
            ),
            (
                json!({"Labels": null}),
                Rule::OwnerLabels,
                "it has no Labels",
            ),
            (
                json!({"labels": {}}),
                Rule::OwnerLabels,
                "landlord.owner is missing",
            ),
            (json!({"Hoſtconfig": {}}), Rule::Body, "non-ASCII"),
        ] {
            let violation = refused(extra.clone());
            assert_eq!(violation.rule, rule, "{extra}: {violation}");
            assert!(violation.detail.contains(detail), "{extra}: {violation}");
        }
    }

    #[test]
    fn loosened_rules_allow_what_they_name_and_no_more() {
        let policy = EnginePolicy {
            allow_bind_mounts: vec!["/srv/tenants".into()],
            allow_named_volumes: true,
            allow_capabilities: vec!["NET_ADMIN".into()],
        };
        let rules = rules(&policy);
        for extra in [
            json!({"HostConfig": {"Binds": ["/srv/tenants/acme:/data:ro", "cache:/cache"], "CapAdd": ["cap_net_admin"]}}),
            json!({"HostConfig": {"Mounts": [{"Type": "bind", "Source": "/srv/tenants/acme", "Target": "/d"}, {"Type": "volume", "Source": "cache", "Target": "/c"}]}}),
        ] {
            rules
                .container_create(&create(extra.clone()))
                .unwrap_or_else(|v| panic!("{extra}: {v}"));
        }
        for (extra, detail) in [
            (
                json!({"HostConfig": {"Binds": ["/srv/tenants-old:/d"]}}),
                "not under engine_policy.allow_bind_mounts (/srv/tenants)",
            ),
            (
                json!({"HostConfig": {"Binds": ["/srv/tenants/../../etc:/d"]}}),
                "`.` and `..`",
            ),
            (
                json!({"HostConfig": {"CapAdd": ["NET_ADMIN", "SYS_ADMIN"]}}),
                "'SYS_ADMIN' (allowed: NET_ADMIN)",
            ),
        ] {
            let violation = rules
                .container_create(&create(extra.clone()))
                .expect_err(&extra.to_string());
            assert!(violation.detail.contains(detail), "{extra}: {violation}");
        }
    }

    #[test]
    fn networks_are_plain_bridges_with_owner_labels() {
        let policy = EnginePolicy::default();
        let rules = rules(&policy);
        let ok = json!({"Name": "landlord-acme", "CheckDuplicate": true, "Driver": "bridge", "Labels": labels()});
        rules.network_create(ok.as_object().unwrap()).unwrap();
        for (extra, rule, detail) in [
            (
                json!({"Driver": "macvlan"}),
                Rule::NetworkDriver,
                "Driver is 'macvlan'",
            ),
            (
                json!({"Options": {"com.docker.network.bridge.name": "docker0"}}),
                Rule::NetworkDriver,
                "Options is set",
            ),
            (
                json!({"IPAM": {"Driver": "dhcp"}}),
                Rule::NetworkDriver,
                "IPAM.Driver",
            ),
            (
                json!({"ConfigFrom": {"Network": "x"}}),
                Rule::NetworkDriver,
                "ConfigFrom",
            ),
            (
                json!({"Labels": {}}),
                Rule::OwnerLabels,
                "landlord.owner is missing",
            ),
        ] {
            let mut body = ok.clone();
            merge(&mut body, extra.clone());
            if extra.get("Labels").is_some() {
                body["Labels"] = extra["Labels"].clone();
            }
            let violation = rules
                .network_create(body.as_object().unwrap())
                .expect_err(&extra.to_string());
            assert_eq!(violation.rule, rule, "{extra}: {violation}");
            assert!(violation.detail.contains(detail), "{extra}: {violation}");
        }
        let named = rules
            .network_connect(
                json!({"Container": "landlord-acme-web"})
                    .as_object()
                    .unwrap(),
            )
            .unwrap();
        assert_eq!(named.containers, ["landlord-acme-web"]);
    }

    #[test]
    fn bodies_the_host_cannot_read_as_the_engine_would_are_refused() {
        assert!(
            parse(b"[1]")
                .unwrap_err()
                .detail
                .contains("not a JSON object")
        );
        assert!(parse(br#"{"Image": "a"} {"Privileged": true}"#).is_err());
        // Duplicate keys: the last one is what is checked and what is sent.
        let body = parse(br#"{"Privileged": false, "Privileged": true}"#).unwrap();
        assert_eq!(body["Privileged"], true);
    }
}
