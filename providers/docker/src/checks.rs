//! The Docker provider's own validation, on top of the host's structural
//! rules: `provider_config`, what one Docker host cannot honour, health
//! checks it cannot run, and secrets it cannot resolve. Every problem is
//! reported at once, each with its field path.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::bindings::landlord::compute::types::{FieldError, HealthCheckType, TenantComputeSpec};
use crate::plan::{self, MIN_CPU_MILLICORES, MIN_MEMORY_MIB};

/// The restart policies `provider_config.restart_policy` accepts (the
/// engine's names).
pub(crate) const RESTART_POLICIES: &[&str] = &["no", "always", "unless-stopped", "on-failure"];
/// The default restart policy.
pub(crate) const DEFAULT_RESTART: &str = "unless-stopped";
/// The pull policies `provider_config.pull_policy` accepts.
pub(crate) const PULL_POLICIES: &[&str] = &["if-not-present", "always", "never"];

/// The only secret source this provider resolves.
pub(crate) const SECRET_SOURCE: &str = "landlord";

/// When to pull an image before creating a container from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PullPolicy {
    /// Only when the engine does not have it.
    IfNotPresent,
    /// Every time a container is created.
    Always,
    /// Never: a missing image fails.
    Never,
}

/// The tenant's `provider_config`, with defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Settings {
    /// The engine's restart policy name.
    pub restart: &'static str,
    /// When to pull.
    pub pull: PullPolicy,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            restart: DEFAULT_RESTART,
            pull: PullPolicy::IfNotPresent,
        }
    }
}

/// A resolved secret: the env var it becomes and its value. `Debug` never
/// shows the value.
pub(crate) struct Secret {
    /// The environment variable it is exposed as.
    pub env_var: String,
    /// `name/source/key`: what the spec hash covers instead of the value.
    pub reference: String,
    /// The value, from the operator's config. Goes only into `Env`.
    pub value: String,
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secret")
            .field("env_var", &self.env_var)
            .field("reference", &self.reference)
            .finish_non_exhaustive()
    }
}

/// A spec that passed the checks.
#[derive(Debug)]
pub(crate) struct Checked {
    /// Its `provider_config`.
    pub settings: Settings,
    /// Its secrets, resolved.
    pub secrets: Vec<Secret>,
}

/// The config key holding the value of secret `name`.
pub(crate) fn secret_key(name: &str) -> String {
    format!("secret.{name}")
}

/// The env var a secret becomes when it names none: its name upper-cased,
/// every character other than `A-Z`, `0-9` and `_` turned into `_`, and a
/// leading digit prefixed with `_` (`db-password` → `DB_PASSWORD`).
pub(crate) fn default_env_var(name: &str) -> String {
    let mut var: String = name
        .chars()
        .map(|c| {
            let c = c.to_ascii_uppercase();
            if c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if var.starts_with(|c: char| c.is_ascii_digit()) {
        var.insert(0, '_');
    }
    var
}

fn is_env_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn one_of(values: &[&str]) -> String {
    values
        .iter()
        .map(|value| format!("\"{value}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Check `spec`; `config` reads the operator's config (for secret values).
pub(crate) fn check(
    spec: &TenantComputeSpec,
    config: &dyn Fn(&str) -> Option<String>,
) -> Result<Checked, Vec<FieldError>> {
    let mut problems = Vec::new();
    let mut problem = |path: String, message: String| problems.push(FieldError { path, message });

    if spec.provider_type != crate::NAME {
        problem(
            "provider_type".into(),
            format!(
                "is '{}', but this is the '{}' provider",
                spec.provider_type,
                crate::NAME
            ),
        );
    }
    if spec.containers.is_empty() {
        problem(
            "containers".into(),
            "must list at least one container".into(),
        );
    }

    // provider_config
    let mut settings = Settings::default();
    if let Some(text) = &spec.provider_config {
        let known = format!(
            "the docker provider accepts: restart_policy ({}), pull_policy ({})",
            RESTART_POLICIES.join(", "),
            PULL_POLICIES.join(", ")
        );
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(fields)) => {
                for (key, value) in fields {
                    let path = format!("provider_config.{key}");
                    let allowed = match key.as_str() {
                        "restart_policy" => RESTART_POLICIES,
                        "pull_policy" => PULL_POLICIES,
                        _ => {
                            problem(path, format!("unknown setting; {known}"));
                            continue;
                        }
                    };
                    match value
                        .as_str()
                        .and_then(|v| allowed.iter().find(|a| **a == v))
                    {
                        Some(&chosen) if key == "restart_policy" => settings.restart = chosen,
                        Some(&chosen) => {
                            settings.pull = match chosen {
                                "always" => PullPolicy::Always,
                                "never" => PullPolicy::Never,
                                _ => PullPolicy::IfNotPresent,
                            }
                        }
                        None => problem(
                            path,
                            format!("must be one of {}; got {value}", one_of(allowed)),
                        ),
                    }
                }
            }
            Ok(_) => problem(
                "provider_config".into(),
                format!(
                    "must be a JSON object such as {{\"restart_policy\": \"always\"}}; {known}"
                ),
            ),
            Err(err) => problem(
                "provider_config".into(),
                format!("is not valid JSON: {err}"),
            ),
        }
    }

    // What a single Docker host cannot honour.
    if !spec.networking.subnets.is_empty() {
        problem(
            "networking.subnets".into(),
            "the docker provider cannot place a tenant in subnets: each tenant gets its own \
             bridge network on one Docker host; remove subnets"
                .into(),
        );
    }
    if !spec.networking.security_groups.is_empty() {
        problem(
            "networking.security_groups".into(),
            "the docker provider has no security groups or firewall rules: a tenant's \
             containers share only their own bridge network and the published ports; remove \
             security_groups"
                .into(),
        );
    }
    let no_storage = "the docker provider cannot limit ephemeral storage (the engine's \
                      per-container size limit needs a storage driver with quotas, which a \
                      Docker host does not generally have); remove storage";
    if spec.resources.storage_mib.is_some() {
        problem("resources.storage".into(), no_storage.into());
    }

    // The share of containers without their own resources must be one the
    // engine accepts.
    if let Some(share) = plan::share(spec) {
        let too_small = |what: &str,
                         unit: &str,
                         tenant: u32,
                         reserved: u32,
                         each: u32,
                         min: u32| {
            format!(
                "{tenant}{unit} for the tenant, less the {reserved}{unit} of the containers with \
                 their own {what}, leaves {each}{unit} each for the {} container(s) without; \
                 the engine needs at least {min}{unit}: raise resources.{what}, or lower or \
                 give the containers their own",
                share.sharing
            )
        };
        if share.each.cpu_millicores < MIN_CPU_MILLICORES {
            problem(
                "resources.cpu".into(),
                too_small(
                    "cpu",
                    "m",
                    spec.resources.cpu_millicores,
                    share.reserved.cpu_millicores,
                    share.each.cpu_millicores,
                    MIN_CPU_MILLICORES,
                ),
            );
        }
        if share.each.memory_mib < MIN_MEMORY_MIB {
            problem(
                "resources.memory".into(),
                too_small(
                    "memory",
                    " MiB",
                    spec.resources.memory_mib,
                    share.reserved.memory_mib,
                    share.each.memory_mib,
                    MIN_MEMORY_MIB,
                ),
            );
        }
    }

    let mut host_ports: BTreeMap<(u16, &str), String> = BTreeMap::new();
    for (i, container) in spec.containers.iter().enumerate() {
        let at = format!("containers[{i}]");
        if let Some(resources) = &container.resources
            && resources.storage_mib.is_some()
        {
            problem(format!("{at}.resources.storage"), no_storage.into());
        }
        for (key, _) in &container.env {
            if key.is_empty() || key.contains('=') || key.contains('\0') {
                problem(
                    format!("{at}.env.{key}"),
                    "an environment variable's name must be non-empty and contain no '='".into(),
                );
            }
        }
        let mut published = BTreeSet::new();
        for (j, port) in container.ports.iter().enumerate() {
            let protocol = plan::protocol_name(port.protocol);
            if !published.insert(plan::port_key(port)) {
                problem(
                    format!("{at}.ports[{j}].container_port"),
                    format!(
                        "{}/{protocol} is published twice; the docker provider publishes each \
                         container port once",
                        port.container_port
                    ),
                );
            }
            if let Some(host_port) = port.host_port {
                let here = format!("{at}.ports[{j}]");
                if let Some(first) = host_ports.insert((host_port, protocol), here.clone()) {
                    host_ports.insert((host_port, protocol), first.clone());
                    problem(
                        format!("{here}.host_port"),
                        format!(
                            "host port {host_port}/{protocol} is already used by {first}; a host \
                             port can be bound once"
                        ),
                    );
                }
            }
        }
        if let Some(check) = &container.health_check {
            let at = format!("{at}.health_check");
            match check.check_type {
                HealthCheckType::Exec if check.command.is_empty() => problem(
                    format!("{at}.command"),
                    "an exec check needs a command".into(),
                ),
                HealthCheckType::Exec => {}
                HealthCheckType::Http | HealthCheckType::Tcp => {
                    if plan::health_port(container).is_none() {
                        problem(
                            format!("{at}.port"),
                            "an http or tcp check needs a port: set port, or publish a tcp port \
                             (the first is checked)"
                                .into(),
                        );
                    }
                    if check.check_type == HealthCheckType::Http
                        && let Some(path) = &check.http_path
                        && (!path.starts_with('/')
                            || path.chars().any(|c| c.is_whitespace() || c.is_control()))
                    {
                        problem(
                            format!("{at}.http_path"),
                            "must start with '/' and contain no whitespace".into(),
                        );
                    }
                }
            }
        }
    }

    // Secrets: resolved from the operator's config, exposed as env vars.
    let mut secrets = Vec::new();
    let mut env_vars: BTreeMap<String, usize> = BTreeMap::new();
    for (i, reference) in spec.secrets.iter().enumerate() {
        let at = format!("secrets[{i}]");
        if reference.source != SECRET_SOURCE {
            problem(
                format!("{at}.source"),
                format!(
                    "the docker provider resolves only source \"{SECRET_SOURCE}\" (a value the \
                     operator grants as config key secret.<name>), not \"{}\"",
                    reference.source
                ),
            );
            continue;
        }
        let env_var = reference
            .env_var
            .clone()
            .unwrap_or_else(|| default_env_var(&reference.name));
        let env_path = if reference.env_var.is_some() {
            format!("{at}.env_var")
        } else {
            format!("{at}.name")
        };
        if !is_env_name(&env_var) {
            problem(
                env_path.clone(),
                format!(
                    "'{env_var}' is not an environment variable name (letters, digits and '_', \
                     not starting with a digit)"
                ),
            );
        }
        if let Some(first) = env_vars.insert(env_var.clone(), i) {
            env_vars.insert(env_var.clone(), first);
            problem(
                env_path.clone(),
                format!("secrets[{first}] is also exposed as {env_var}"),
            );
        }
        for (j, container) in spec.containers.iter().enumerate() {
            if container.env.iter().any(|(key, _)| *key == env_var) {
                problem(
                    env_path.clone(),
                    format!("{env_var} is also set in containers[{j}].env"),
                );
            }
        }
        match config(&secret_key(&reference.name)) {
            Some(value) => secrets.push(Secret {
                env_var,
                reference: format!("{}/{}/{}", reference.name, reference.source, reference.key),
                value,
            }),
            None => problem(
                format!("{at}.name"),
                format!(
                    "no value for secret '{}': the operator grants it as the provider's config \
                     key {}",
                    reference.name,
                    secret_key(&reference.name)
                ),
            ),
        }
    }

    if problems.is_empty() {
        Ok(Checked { settings, secrets })
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::landlord::compute::types::*;
    use crate::test_support::spec;

    fn no_config(_: &str) -> Option<String> {
        None
    }

    fn problems(spec: &TenantComputeSpec) -> Vec<FieldError> {
        check(spec, &no_config).err().unwrap_or_default()
    }

    fn paths(spec: &TenantComputeSpec) -> Vec<String> {
        problems(spec).into_iter().map(|p| p.path).collect()
    }

    #[test]
    fn a_plain_spec_is_acceptable_with_default_settings() {
        let checked = check(&spec(), &no_config).unwrap();
        assert_eq!(checked.settings, Settings::default());
        assert_eq!(checked.settings.restart, "unless-stopped");
        assert!(checked.secrets.is_empty());
    }

    #[test]
    fn provider_config_takes_known_settings_with_known_values() {
        let mut s = spec();
        s.provider_config = Some(r#"{"restart_policy":"on-failure","pull_policy":"never"}"#.into());
        let checked = check(&s, &no_config).unwrap();
        assert_eq!(
            checked.settings,
            Settings {
                restart: "on-failure",
                pull: PullPolicy::Never
            }
        );

        s.provider_config =
            Some(r#"{"zone":"eu-1","restart_policy":"sometimes","pull_policy":3}"#.into());
        let found = problems(&s);
        assert_eq!(
            found.iter().map(|p| p.path.as_str()).collect::<Vec<_>>(),
            [
                "provider_config.pull_policy",
                "provider_config.restart_policy",
                "provider_config.zone"
            ]
        );
        assert_eq!(
            found[1].message,
            "must be one of \"no\", \"always\", \"unless-stopped\", \"on-failure\"; got \"sometimes\""
        );
        assert_eq!(
            found[2].message,
            "unknown setting; the docker provider accepts: restart_policy (no, always, \
             unless-stopped, on-failure), pull_policy (if-not-present, always, never)"
        );
        s.provider_config = Some("[1]".into());
        assert_eq!(paths(&s), ["provider_config"]);
        s.provider_config = Some("{".into());
        assert_eq!(paths(&s), ["provider_config"]);
    }

    #[test]
    fn what_one_docker_host_cannot_honour_is_refused_all_at_once() {
        let mut s = spec();
        s.provider_type = "ecs".into();
        s.networking.subnets = vec!["10.0.0.0/24".into()];
        s.networking.security_groups = vec!["sg-1".into()];
        s.resources.storage_mib = Some(1024);
        let mut api = s.containers[0].clone();
        api.name = "api".into();
        api.ports.clear();
        api.resources = Some(ResourceRequirements {
            cpu_millicores: 200,
            memory_mib: 200,
            storage_mib: Some(10),
        });
        s.containers.push(api);
        let found = problems(&s);
        assert_eq!(
            found.iter().map(|p| p.path.as_str()).collect::<Vec<_>>(),
            [
                "provider_type",
                "networking.subnets",
                "networking.security_groups",
                "resources.storage",
                "containers[1].resources.storage",
            ]
        );
        assert!(
            found[1].message.contains("bridge network"),
            "{}",
            found[1].message
        );
        assert!(found[3].message.contains("ephemeral storage"));
    }

    #[test]
    fn health_checks_need_what_they_probe() {
        let mut s = spec();
        s.containers[0].ports.clear();
        s.containers[0].health_check = Some(HealthCheckConfig {
            check_type: HealthCheckType::Http,
            http_path: Some("healthz now".into()),
            port: None,
            command: vec![],
            interval_seconds: 10,
            timeout_seconds: 2,
            healthy_threshold: None,
            unhealthy_threshold: None,
        });
        let mut exec = s.containers[0].clone();
        exec.name = "exec".into();
        exec.health_check.as_mut().unwrap().check_type = HealthCheckType::Exec;
        s.containers.push(exec);
        assert_eq!(
            paths(&s),
            [
                "containers[0].health_check.port",
                "containers[0].health_check.http_path",
                "containers[1].health_check.command",
            ]
        );
        // With a tcp port to default to, and a proper path, it is fine.
        let mut s = spec();
        s.containers[0].health_check = Some(HealthCheckConfig {
            check_type: HealthCheckType::Tcp,
            http_path: None,
            port: None,
            command: vec![],
            interval_seconds: 10,
            timeout_seconds: 2,
            healthy_threshold: None,
            unhealthy_threshold: None,
        });
        assert!(paths(&s).is_empty());
    }

    #[test]
    fn ports_and_shares_must_be_usable_on_one_host() {
        let mut s = spec();
        s.containers[0].ports[0].host_port = Some(8080);
        let mut twin = s.containers[0].clone();
        twin.name = "twin".into();
        twin.ports.push(twin.ports[0].clone());
        twin.ports[1].host_port = None;
        s.containers.push(twin);
        s.containers[0].env = vec![("A=B".into(), "x".into())];
        assert_eq!(
            paths(&s),
            [
                "containers[0].env.A=B",
                "containers[1].ports[0].host_port",
                "containers[1].ports[1].container_port",
            ]
        );

        let mut s = spec();
        s.resources.cpu_millicores = 128;
        s.resources.memory_mib = 128;
        for i in 0..30 {
            let mut c = s.containers[0].clone();
            c.name = format!("c{i}");
            c.ports.clear();
            s.containers.push(c);
        }
        assert_eq!(paths(&s), ["resources.cpu", "resources.memory"]);
    }

    #[test]
    fn containers_with_their_own_resources_must_leave_a_share() {
        let mut s = spec();
        let mut worker = s.containers[0].clone();
        worker.name = "worker".into();
        worker.ports.clear();
        worker.resources = Some(ResourceRequirements {
            cpu_millicores: 250,
            memory_mib: 400,
            storage_mib: None,
        });
        s.containers.push(worker);
        assert!(paths(&s).is_empty(), "250m/112 MiB left for web");
        s.containers[1].resources.as_mut().unwrap().memory_mib = 510;
        let found = problems(&s);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].path, "resources.memory");
        assert_eq!(
            found[0].message,
            "512 MiB for the tenant, less the 510 MiB of the containers with their own memory, \
             leaves 2 MiB each for the 1 container(s) without; the engine needs at least 6 MiB: \
             raise resources.memory, or lower or give the containers their own"
        );
    }

    #[test]
    fn secrets_resolve_from_the_operators_config_only() {
        let mut s = spec();
        s.secrets = vec![
            SecretReference {
                name: "db-password".into(),
                source: "landlord".into(),
                key: "acme/db".into(),
                env_var: None,
            },
            SecretReference {
                name: "api-key".into(),
                source: "vault".into(),
                key: "k".into(),
                env_var: None,
            },
            SecretReference {
                name: "token".into(),
                source: "landlord".into(),
                key: "t".into(),
                env_var: Some("MODE".into()),
            },
            SecretReference {
                name: "missing".into(),
                source: "landlord".into(),
                key: "m".into(),
                env_var: Some("DB_PASSWORD".into()),
            },
        ];
        s.containers[0].env = vec![("MODE".into(), "prod".into())];
        let config = |key: &str| match key {
            "secret.db-password" => Some("hunter2-s3cret".to_owned()),
            "secret.token" => Some("t0ken-value".to_owned()),
            _ => None,
        };
        let found = check(&s, &config).unwrap_err();
        assert_eq!(
            found.iter().map(|p| p.path.as_str()).collect::<Vec<_>>(),
            [
                "secrets[1].source",
                "secrets[2].env_var",
                "secrets[3].env_var",
                "secrets[3].name",
            ]
        );
        assert_eq!(
            found[0].message,
            "the docker provider resolves only source \"landlord\" (a value the operator grants \
             as config key secret.<name>), not \"vault\""
        );
        assert_eq!(
            found[3].message,
            "no value for secret 'missing': the operator grants it as the provider's config key \
             secret.missing"
        );
        let text = format!("{found:?}");
        assert!(!text.contains("hunter2") && !text.contains("t0ken"));

        s.secrets.truncate(1);
        let checked = check(&s, &config).unwrap();
        assert_eq!(checked.secrets[0].env_var, "DB_PASSWORD");
        assert_eq!(checked.secrets[0].value, "hunter2-s3cret");
        assert!(!format!("{checked:?}").contains("hunter2"));
    }

    #[test]
    fn default_env_var_names() {
        assert_eq!(default_env_var("db-password"), "DB_PASSWORD");
        assert_eq!(default_env_var("api.key"), "API_KEY");
        assert_eq!(default_env_var("1st"), "_1ST");
    }
}
