//! Structural validation of a spec, done by the host before any provider
//! sees it. Every rule is checked and every violation reported with its JSON
//! field path, so one round trip tells the user everything to fix.

use std::collections::HashSet;

use super::error::{ComputeError, FieldViolation, Result};
use super::types::{
    ContainerSpec, HealthCheckConfig, HealthCheckType, PortMapping, Protocol, ResourceRequirements,
    TenantComputeSpec,
};

/// Smallest CPU request, in millicores.
pub const MIN_CPU_MILLICORES: i64 = 128;
/// Smallest memory request, in MiB.
pub const MIN_MEMORY_MIB: i64 = 128;
/// Shortest health check interval, in seconds.
pub const MIN_HEALTH_INTERVAL_SECONDS: i64 = 5;
/// Longest tenant id, container name or provider name, in characters: the
/// length limit of a DNS label, since these end up in host names, resource
/// names (`landlord-<tenant>-<container>`) and file names.
pub const MAX_IDENTIFIER_LEN: usize = 63;
/// The identifier rule, phrased as the fix that ends each message about a
/// tenant id, container name or provider name.
pub const IDENTIFIER_RULE: &str = "use 1 to 63 lowercase letters, digits and '-', \
     starting and ending with a letter or digit (a DNS label, for example 'web-2')";
/// How many characters of an offending value a message quotes.
const QUOTED_CHARS: usize = 64;

/// Check `spec` against every structural rule; `Err` is
/// [`ComputeError::InvalidSpec`] listing all violations.
pub fn validate_compute_spec(spec: &TenantComputeSpec) -> Result<()> {
    reject_if_any(spec_violations(spec))
}

/// Check a tenant id given on its own (destroy, status, update) against the
/// spec's `tenant_id` rule, [`check_dns_label`].
pub fn validate_tenant_id(tenant_id: &str) -> Result<()> {
    let mut out = Violations::default();
    out.identifier("tenant_id", tenant_id);
    reject_if_any(out.0)
}

/// A spec that passed validation ([`spec_violations`]): what the
/// [`Manager`](super::Manager)'s `*_valid` operations take, so a caller that
/// validated early (before loading a provider or taking a lock) does not
/// validate twice.
#[derive(Debug, Clone, Copy)]
pub struct ValidSpec<'a> {
    spec: &'a TenantComputeSpec,
}

impl<'a> ValidSpec<'a> {
    /// `spec`, if it has no violations; else `InvalidSpec` with all of them.
    pub fn check(spec: &'a TenantComputeSpec) -> Result<Self> {
        reject_if_any(spec_violations(spec))?;
        Ok(Self { spec })
    }

    /// `spec` as an update of `tenant_id`: valid, and for that tenant (a
    /// spec cannot move to another one).
    pub fn check_update(tenant_id: &str, spec: &'a TenantComputeSpec) -> Result<Self> {
        let mut violations = spec_violations(spec);
        if spec.tenant_id != tenant_id {
            violations.push(FieldViolation::new(
                "tenant_id",
                format!(
                    "{} does not match the tenant being updated ({}); a spec cannot move to another tenant",
                    quoted(&spec.tenant_id),
                    quoted(tenant_id)
                ),
            ));
        }
        reject_if_any(violations)?;
        Ok(Self { spec })
    }

    /// The spec.
    pub fn spec(&self) -> &'a TenantComputeSpec {
        self.spec
    }
}

/// `Ok` when `violations` is empty, else [`ComputeError::InvalidSpec`].
pub(crate) fn reject_if_any(violations: Vec<FieldViolation>) -> Result<()> {
    if violations.is_empty() {
        Ok(())
    } else {
        Err(ComputeError::invalid_spec(violations))
    }
}

/// Every violation in `spec`, in field order; empty when the spec is valid.
pub fn spec_violations(spec: &TenantComputeSpec) -> Vec<FieldViolation> {
    let mut out = Violations::default();

    out.identifier("tenant_id", &spec.tenant_id);
    if spec.provider_type.is_empty() {
        out.push(
            "provider_type",
            "must not be empty; name a registered provider (for example \"mock\")",
        );
    }
    if spec.containers.is_empty() {
        out.push("containers", "must list at least one container");
    }
    let mut seen = HashSet::new();
    for (i, container) in spec.containers.iter().enumerate() {
        let path = format!("containers[{i}]");
        check_container(&mut out, &path, container);
        if !container.name.is_empty() && !seen.insert(container.name.as_str()) {
            out.push(
                format!("{path}.name"),
                format!(
                    "duplicate container name {}; names must be unique within a tenant",
                    quoted(&container.name)
                ),
            );
        }
    }
    check_resources(&mut out, "resources", &spec.resources);
    for (i, secret) in spec.secrets.iter().enumerate() {
        let path = format!("secrets[{i}]");
        for (field, value) in [
            ("name", &secret.name),
            ("source", &secret.source),
            ("key", &secret.key),
        ] {
            if value.is_empty() {
                out.push(format!("{path}.{field}"), "must not be empty");
            }
        }
    }
    out.0
}

/// Check a provider's registry name against the identifier rule,
/// [`check_dns_label`]. `Err` carries the reason, for
/// [`ComputeError::InvalidProviderName`].
pub fn check_provider_name(name: &str) -> std::result::Result<(), String> {
    check_dns_label(name)
}

/// The one identifier rule, for tenant ids, container names and provider
/// names: a DNS label, 1 to [`MAX_IDENTIFIER_LEN`] characters of
/// `[a-z0-9-]`, not starting or ending with `-`.
///
/// `Err` says everything that is wrong with `value`, quoting at most its
/// first 64 characters, for example `'-Acme' has characters other than a-z,
/// 0-9 and '-' (the first is 'A') and starts with '-'`. The caller names the
/// field and adds the fix, [`IDENTIFIER_RULE`].
pub fn check_dns_label(value: &str) -> std::result::Result<(), String> {
    if value.is_empty() {
        return Err("must not be empty".to_owned());
    }
    let mut problems = Vec::new();
    let length = value.chars().count();
    if length > MAX_IDENTIFIER_LEN {
        problems.push(format!(
            "is {length} characters long (the limit is {MAX_IDENTIFIER_LEN})"
        ));
    }
    if let Some(bad) = value
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        problems.push(format!(
            "has characters other than a-z, 0-9 and '-' (the first is {bad:?})"
        ));
    }
    match (value.starts_with('-'), value.ends_with('-')) {
        (true, true) => problems.push("starts and ends with '-'".to_owned()),
        (true, false) => problems.push("starts with '-'".to_owned()),
        (false, true) => problems.push("ends with '-'".to_owned()),
        (false, false) => {}
    }
    let problems = match problems.split_last() {
        None => return Ok(()),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    };
    // Only a value over the limit is cut, and then `problems` gives its length.
    let (head, cut) = excerpt(value);
    let ellipsis = if cut { "…" } else { "" };
    Err(format!("'{head}{ellipsis}' {problems}"))
}

/// `value` in single quotes for a message, escaped, and cut to its first 64
/// characters plus `…` and its length when longer: a 10 MiB name must not
/// make a 10 MiB message.
pub fn quoted(value: &str) -> String {
    match excerpt(value) {
        (head, false) => format!("'{head}'"),
        (head, true) => format!("'{head}…' ({} characters)", value.chars().count()),
    }
}

/// The first [`QUOTED_CHARS`] characters of `value`, escaped (no newlines or
/// terminal escapes reach a message), and whether anything was cut.
fn excerpt(value: &str) -> (String, bool) {
    let end = value
        .char_indices()
        .nth(QUOTED_CHARS)
        .map_or(value.len(), |(end, _)| end);
    (
        crate::text::escape(&value[..end]).into_owned(),
        end < value.len(),
    )
}

fn check_container(out: &mut Violations, path: &str, container: &ContainerSpec) {
    out.identifier(&format!("{path}.name"), &container.name);
    if container.image.trim().is_empty() {
        out.push(
            format!("{path}.image"),
            "must not be empty; give an image reference such as \"nginx:1.27\"",
        );
    } else if container.image.chars().any(char::is_whitespace) {
        out.push(
            format!("{path}.image"),
            format!(
                "'{}' is not an image reference: it contains whitespace",
                container.image
            ),
        );
    }
    for (j, port) in container.ports.iter().enumerate() {
        check_port_mapping(out, &format!("{path}.ports[{j}]"), port);
    }
    if let Some(check) = &container.health_check {
        check_health_check(out, &format!("{path}.health_check"), check);
    }
    if let Some(resources) = &container.resources {
        check_resources(out, &format!("{path}.resources"), resources);
    }
}

fn check_port_mapping(out: &mut Violations, path: &str, port: &PortMapping) {
    out.port(&format!("{path}.container_port"), port.container_port);
    if let Some(host_port) = port.host_port {
        out.port(&format!("{path}.host_port"), host_port);
    }
    if let Protocol::Other(other) = &port.protocol {
        out.push(
            format!("{path}.protocol"),
            format!("must be \"tcp\" or \"udp\", not \"{other}\""),
        );
    }
}

fn check_health_check(out: &mut Violations, path: &str, check: &HealthCheckConfig) {
    if let HealthCheckType::Other(other) = &check.check_type {
        out.push(
            format!("{path}.type"),
            format!("must be \"http\", \"tcp\" or \"exec\", not \"{other}\""),
        );
    }
    if let Some(port) = check.port {
        out.port(&format!("{path}.port"), port);
    }
    let interval_ok = out.in_range(
        &format!("{path}.interval_seconds"),
        check.interval_seconds,
        MIN_HEALTH_INTERVAL_SECONDS,
        u32::MAX.into(),
        "seconds",
    );
    let timeout_ok = out.in_range(
        &format!("{path}.timeout_seconds"),
        check.timeout_seconds,
        1,
        u32::MAX.into(),
        "seconds",
    );
    if interval_ok && timeout_ok && check.timeout_seconds >= check.interval_seconds {
        out.push(
            format!("{path}.timeout_seconds"),
            format!(
                "must be less than interval_seconds ({}); got {}",
                check.interval_seconds, check.timeout_seconds
            ),
        );
    }
    for (field, value) in [
        ("healthy_threshold", check.healthy_threshold),
        ("unhealthy_threshold", check.unhealthy_threshold),
    ] {
        if let Some(value) = value {
            out.in_range(&format!("{path}.{field}"), value, 1, u32::MAX.into(), "");
        }
    }
}

fn check_resources(out: &mut Violations, path: &str, resources: &ResourceRequirements) {
    out.in_range(
        &format!("{path}.cpu"),
        resources.cpu,
        MIN_CPU_MILLICORES,
        u32::MAX.into(),
        "millicores",
    );
    out.in_range(
        &format!("{path}.memory"),
        resources.memory,
        MIN_MEMORY_MIB,
        u32::MAX.into(),
        "MiB",
    );
    if let Some(storage) = resources.storage {
        out.in_range(
            &format!("{path}.storage"),
            storage,
            0,
            u32::MAX.into(),
            "MiB",
        );
    }
}

/// Collects violations; the helpers are the shared rule shapes.
#[derive(Default)]
struct Violations(Vec<FieldViolation>);

impl Violations {
    fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldViolation::new(path, message));
    }

    /// The identifier rule, [`check_dns_label`].
    fn identifier(&mut self, path: &str, value: &str) {
        if let Err(reason) = check_dns_label(value) {
            self.push(path, format!("{reason}; {IDENTIFIER_RULE}"));
        }
    }

    fn port(&mut self, path: &str, value: i64) {
        self.in_range(path, value, 1, 65535, "");
    }

    /// `min <= value <= max`; returns whether it holds.
    fn in_range(&mut self, path: &str, value: i64, min: i64, max: i64, unit: &str) -> bool {
        let unit = if unit.is_empty() {
            String::new()
        } else {
            format!(" {unit}")
        };
        if value < min {
            self.push(path, format!("must be at least {min}{unit}; got {value}"));
            false
        } else if value > max {
            self.push(path, format!("must be at most {max}{unit}; got {value}"));
            false
        } else {
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::ErrorKind;
    use crate::compute::types::*;

    fn valid_spec() -> TenantComputeSpec {
        TenantComputeSpec {
            tenant_id: "acme".into(),
            provider_type: "mock".into(),
            containers: vec![ContainerSpec {
                name: "web".into(),
                image: "nginx:1.27".into(),
                command: vec![],
                args: vec![],
                env: Default::default(),
                ports: vec![PortMapping {
                    container_port: 80,
                    host_port: Some(8080),
                    protocol: Protocol::Tcp,
                    name: None,
                }],
                health_check: Some(HealthCheckConfig {
                    check_type: HealthCheckType::Http,
                    http_path: Some("/healthz".into()),
                    port: Some(80),
                    command: vec![],
                    interval_seconds: 10,
                    timeout_seconds: 2,
                    healthy_threshold: Some(1),
                    unhealthy_threshold: None,
                }),
                resources: Some(ResourceRequirements {
                    cpu: 250,
                    memory: 256,
                    storage: None,
                }),
            }],
            resources: ResourceRequirements {
                cpu: 500,
                memory: 512,
                storage: Some(1024),
            },
            networking: NetworkConfig::default(),
            secrets: vec![],
            labels: Default::default(),
            provider_config: None,
        }
    }

    /// Apply `change` to a valid spec and return the violated paths.
    fn violated_paths(change: impl FnOnce(&mut TenantComputeSpec)) -> Vec<String> {
        let mut spec = valid_spec();
        change(&mut spec);
        spec_violations(&spec)
            .into_iter()
            .map(|violation| violation.path)
            .collect()
    }

    fn container(spec: &mut TenantComputeSpec) -> &mut ContainerSpec {
        &mut spec.containers[0]
    }

    fn health(spec: &mut TenantComputeSpec) -> &mut HealthCheckConfig {
        spec.containers[0].health_check.as_mut().unwrap()
    }

    #[test]
    fn a_valid_spec_passes() {
        assert_eq!(validate_compute_spec(&valid_spec()).ok(), Some(()));
    }

    #[test]
    fn tenant_id_must_be_non_empty() {
        assert_eq!(violated_paths(|s| s.tenant_id.clear()), ["tenant_id"]);
    }

    #[test]
    fn tenant_id_must_match_the_pattern() {
        for bad in ["Acme", "acme_1", "acme.io", "ac me"] {
            assert_eq!(
                violated_paths(|s| s.tenant_id = bad.into()),
                ["tenant_id"],
                "{bad}"
            );
        }
        assert!(violated_paths(|s| s.tenant_id = "acme-2".into()).is_empty());
    }

    #[test]
    fn provider_type_must_be_non_empty() {
        assert_eq!(
            violated_paths(|s| s.provider_type.clear()),
            ["provider_type"]
        );
    }

    #[test]
    fn at_least_one_container() {
        assert_eq!(violated_paths(|s| s.containers.clear()), ["containers"]);
    }

    #[test]
    fn container_name_must_be_non_empty_and_match_the_pattern() {
        assert_eq!(
            violated_paths(|s| container(s).name.clear()),
            ["containers[0].name"]
        );
        assert_eq!(
            violated_paths(|s| container(s).name = "Web".into()),
            ["containers[0].name"]
        );
    }

    #[test]
    fn container_names_must_be_unique() {
        let paths = violated_paths(|s| {
            let twin = s.containers[0].clone();
            s.containers.push(twin);
        });
        assert_eq!(paths, ["containers[1].name"]);
    }

    #[test]
    fn image_must_be_non_empty() {
        assert_eq!(
            violated_paths(|s| container(s).image = " ".into()),
            ["containers[0].image"]
        );
        assert_eq!(
            violated_paths(|s| container(s).image = "nginx latest".into()),
            ["containers[0].image"]
        );
    }

    #[test]
    fn ports_must_be_in_range() {
        for bad in [0, -1, 65536, i64::MAX] {
            assert_eq!(
                violated_paths(|s| container(s).ports[0].container_port = bad),
                ["containers[0].ports[0].container_port"],
                "{bad}"
            );
            assert_eq!(
                violated_paths(|s| container(s).ports[0].host_port = Some(bad)),
                ["containers[0].ports[0].host_port"],
                "{bad}"
            );
        }
        assert!(violated_paths(|s| container(s).ports[0].container_port = 65535).is_empty());
        assert!(violated_paths(|s| container(s).ports[0].container_port = 1).is_empty());
    }

    #[test]
    fn protocol_must_be_tcp_or_udp() {
        assert_eq!(
            violated_paths(|s| container(s).ports[0].protocol = Protocol::Other("sctp".into())),
            ["containers[0].ports[0].protocol"]
        );
        assert!(violated_paths(|s| container(s).ports[0].protocol = Protocol::Udp).is_empty());
    }

    #[test]
    fn health_check_type_must_be_known() {
        assert_eq!(
            violated_paths(|s| health(s).check_type = HealthCheckType::Other("grpc".into())),
            ["containers[0].health_check.type"]
        );
    }

    #[test]
    fn health_check_interval_at_least_five() {
        assert_eq!(
            violated_paths(|s| health(s).interval_seconds = 4),
            ["containers[0].health_check.interval_seconds"]
        );
    }

    #[test]
    fn health_check_timeout_at_least_one() {
        assert_eq!(
            violated_paths(|s| health(s).timeout_seconds = 0),
            ["containers[0].health_check.timeout_seconds"]
        );
    }

    #[test]
    fn health_check_timeout_less_than_interval() {
        let mut spec = valid_spec();
        health(&mut spec).timeout_seconds = 10;
        let violations = spec_violations(&spec);
        assert_eq!(violations.len(), 1);
        assert_eq!(
            violations[0].path,
            "containers[0].health_check.timeout_seconds"
        );
        assert!(
            violations[0]
                .message
                .contains("less than interval_seconds (10)")
        );
    }

    #[test]
    fn health_check_port_and_thresholds_in_range() {
        assert_eq!(
            violated_paths(|s| {
                health(s).port = Some(70000);
                health(s).unhealthy_threshold = Some(0);
            }),
            [
                "containers[0].health_check.port",
                "containers[0].health_check.unhealthy_threshold"
            ]
        );
    }

    #[test]
    fn cpu_at_least_128() {
        assert_eq!(violated_paths(|s| s.resources.cpu = 127), ["resources.cpu"]);
        assert_eq!(
            violated_paths(|s| container(s).resources.as_mut().unwrap().cpu = 0),
            ["containers[0].resources.cpu"]
        );
    }

    #[test]
    fn memory_at_least_128() {
        assert_eq!(
            violated_paths(|s| s.resources.memory = 64),
            ["resources.memory"]
        );
        assert_eq!(
            violated_paths(|s| container(s).resources.as_mut().unwrap().memory = -5),
            ["containers[0].resources.memory"]
        );
    }

    #[test]
    fn resources_must_fit_the_contract() {
        assert_eq!(
            violated_paths(|s| s.resources.memory = i64::from(u32::MAX) + 1),
            ["resources.memory"]
        );
        assert_eq!(
            violated_paths(|s| s.resources.storage = Some(-1)),
            ["resources.storage"]
        );
    }

    #[test]
    fn secret_references_need_name_source_and_key() {
        let paths = violated_paths(|s| {
            s.secrets.push(SecretReference {
                name: String::new(),
                source: "vault".into(),
                key: String::new(),
                env_var: None,
            })
        });
        assert_eq!(paths, ["secrets[0].name", "secrets[0].key"]);
    }

    #[test]
    fn every_violation_is_reported_with_its_path() {
        let mut spec = valid_spec();
        spec.tenant_id = "Bad Tenant".into();
        spec.provider_type.clear();
        spec.resources.cpu = 1;
        let web = spec.containers[0].clone();
        spec.containers.push(ContainerSpec {
            image: String::new(),
            ports: vec![PortMapping {
                container_port: 0,
                host_port: Some(70000),
                protocol: Protocol::Other("icmp".into()),
                name: None,
            }],
            ..web
        });
        health(&mut spec).interval_seconds = 1;

        let err = validate_compute_spec(&spec).unwrap_err();
        let paths: Vec<_> = err.violations().iter().map(|v| v.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "tenant_id",
                "provider_type",
                "containers[0].health_check.interval_seconds",
                "containers[1].image",
                "containers[1].ports[0].container_port",
                "containers[1].ports[0].host_port",
                "containers[1].ports[0].protocol",
                "containers[1].name",
                "resources.cpu",
            ]
        );
        let text = err.to_string();
        assert!(text.starts_with("invalid spec: 9 problems"), "{text}");
        assert!(
            text.contains("containers[1].ports[0].host_port: must be at most 65535; got 70000"),
            "{text}"
        );
    }

    #[test]
    fn provider_names_are_lowercase_identifiers() {
        for good in ["mock", "aws-ecs", "k8s"] {
            assert_eq!(check_provider_name(good), Ok(()), "{good}");
        }
        for bad in ["", "Mock", "aws_ecs", "-mock", "mock-", "mo ck"] {
            assert!(check_provider_name(bad).is_err(), "{bad}");
        }
    }

    /// The one message of the violation `change` causes.
    fn message(change: impl FnOnce(&mut TenantComputeSpec)) -> String {
        let mut spec = valid_spec();
        change(&mut spec);
        let violations = spec_violations(&spec);
        assert_eq!(violations.len(), 1, "{violations:?}");
        violations[0].message.clone()
    }

    #[test]
    fn identifiers_are_at_most_63_characters() {
        let longest = "a".repeat(MAX_IDENTIFIER_LEN);
        let over = "a".repeat(MAX_IDENTIFIER_LEN + 1);
        assert_eq!(MAX_IDENTIFIER_LEN, 63);
        assert_eq!(check_dns_label(&longest), Ok(()));
        assert!(violated_paths(|s| s.tenant_id = longest.clone()).is_empty());
        assert!(violated_paths(|s| container(s).name = longest.clone()).is_empty());
        assert_eq!(check_provider_name(&longest), Ok(()));
        assert_eq!(validate_tenant_id(&longest).ok(), Some(()));

        assert_eq!(
            violated_paths(|s| s.tenant_id = over.clone()),
            ["tenant_id"]
        );
        assert_eq!(
            violated_paths(|s| container(s).name = over.clone()),
            ["containers[0].name"]
        );
        assert!(check_provider_name(&over).is_err());
        let err = validate_tenant_id(&over).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidSpec);
        assert_eq!(err.violations()[0].path, "tenant_id");
        assert_eq!(
            message(|s| s.tenant_id = over.clone()),
            format!("'{over}' is 64 characters long (the limit is 63); {IDENTIFIER_RULE}")
        );
    }

    #[test]
    fn identifiers_do_not_start_or_end_with_a_hyphen() {
        for (bad, what) in [
            ("-acme", "starts with '-'"),
            ("acme-", "ends with '-'"),
            ("-", "starts and ends with '-'"),
            ("-acme-", "starts and ends with '-'"),
        ] {
            assert_eq!(
                check_dns_label(bad),
                Err(format!("'{bad}' {what}")),
                "{bad}"
            );
            assert_eq!(
                violated_paths(|s| s.tenant_id = bad.into()),
                ["tenant_id"],
                "{bad}"
            );
            assert_eq!(
                violated_paths(|s| container(s).name = bad.into()),
                ["containers[0].name"],
                "{bad}"
            );
            assert!(validate_tenant_id(bad).is_err(), "{bad}");
        }
        assert_eq!(check_dns_label("a-b--c"), Ok(()));
        assert_eq!(check_dns_label("0"), Ok(()));
    }

    #[test]
    fn an_identifier_message_names_every_problem_and_the_fix() {
        assert_eq!(
            message(|s| s.tenant_id.clear()),
            format!("must not be empty; {IDENTIFIER_RULE}")
        );
        assert_eq!(
            message(|s| s.tenant_id = "Acme".into()),
            format!(
                "'Acme' has characters other than a-z, 0-9 and '-' (the first is 'A'); {IDENTIFIER_RULE}"
            )
        );
        let long = format!("-{}_-", "a".repeat(97));
        assert_eq!(
            check_dns_label(&long),
            Err(format!(
                "'-{}…' is 100 characters long (the limit is 63), has characters other than \
                 a-z, 0-9 and '-' (the first is '_') and starts and ends with '-'",
                "a".repeat(63)
            ))
        );
        // A newline or terminal escape is shown escaped, not written out.
        assert_eq!(
            check_dns_label("a\n\u{1b}[2J"),
            Err(
                "'a\\n\\u{1b}[2J' has characters other than a-z, 0-9 and '-' (the first is '\\n')"
                    .to_owned()
            )
        );
        // The fix states the limit the check applies.
        assert!(
            IDENTIFIER_RULE.contains(&format!("use 1 to {MAX_IDENTIFIER_LEN} ")),
            "{IDENTIFIER_RULE}"
        );
    }

    #[test]
    fn a_huge_identifier_gives_a_short_message() {
        let huge = "x".repeat(10 << 20);
        let reason = check_dns_label(&huge).unwrap_err();
        assert!(reason.len() < 200, "{} bytes", reason.len());
        assert!(
            reason.starts_with(&format!(
                "'{}…' is 10485760 characters long",
                "x".repeat(64)
            )),
            "{reason}"
        );
        let mut spec = valid_spec();
        spec.tenant_id = huge.clone();
        spec.containers.push(spec.containers[0].clone());
        spec.containers[0].name = huge.clone();
        spec.containers[1].name = huge.clone();
        let text = validate_compute_spec(&spec).unwrap_err().to_string();
        assert!(text.len() < 2000, "{} bytes", text.len());
        assert!(
            text.contains("duplicate container name 'xxxx"),
            "the duplicate is still reported: {text}"
        );
        assert!(text.contains("(10485760 characters)"), "{text}");

        // Multi-byte characters are cut at a character boundary.
        let wide = "é".repeat(100);
        assert_eq!(
            quoted(&wide),
            format!("'{}…' (100 characters)", "é".repeat(64))
        );
        assert_eq!(quoted("acme"), "'acme'");
    }
}
