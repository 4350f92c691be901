//! Every conversion between the host's types (`crate::compute`) and the
//! WIT-generated ones, in one place.
//!
//! Specs have been validated before they get here, so the narrowing
//! conversions (`i64` → `u16`/`u32`) cannot fail in practice; if one does, it
//! is reported as an invalid spec with the field's path, never a panic.

use chrono::{DateTime, Utc};

use super::bindings::wit;
use crate::compute::{
    ComputeError, ComputeState, ComputeStatus, ContainerSpec, ContainerStatus, Endpoint,
    FieldViolation, HealthCheckConfig, HealthCheckType, HealthStatus, Operation, PortMapping,
    Protocol, ProvisionResult, ProvisionStatus, ResourceRequirements, Result, StringMap,
    TenantComputeSpec, UpdateResult, UpdateStatus, Violations,
};
use crate::text::{escape_bounded, escape_owned, for_message};

/// Who a guest result or error is about, to name in host errors.
pub(crate) struct CallSite<'a> {
    pub(crate) provider: &'a str,
    pub(crate) operation: Operation,
    pub(crate) tenant_id: &'a str,
}

impl CallSite<'_> {
    /// The host error for a guest's provider-error. Its text is escaped
    /// and bounded here, where it enters the host: a message to
    /// [`MAX_GUEST_TEXT_IN_MESSAGE`](crate::text::MAX_GUEST_TEXT_IN_MESSAGE)
    /// bytes, a field path to [`MAX_GUEST_FIELD_PATH`], and at most
    /// [`MAX_GUEST_VIOLATIONS`] violations (then one that counts the rest).
    pub(crate) fn provider_error(&self, err: wit::ProviderError) -> ComputeError {
        let provider = self.provider.to_owned();
        let tenant_id = self.tenant_id.to_owned();
        match err {
            wit::ProviderError::InvalidSpec(fields) => {
                let total = fields.len();
                let mut violations: Vec<FieldViolation> = fields
                    .into_iter()
                    .take(MAX_GUEST_VIOLATIONS)
                    .map(|field| {
                        FieldViolation::new(
                            escape_bounded(&field.path, MAX_GUEST_FIELD_PATH),
                            for_message(&field.message),
                        )
                    })
                    .collect();
                if total > MAX_GUEST_VIOLATIONS {
                    violations.push(FieldViolation::new(
                        "",
                        format!(
                            "and {} more problems the provider reported (not shown)",
                            total - MAX_GUEST_VIOLATIONS
                        ),
                    ));
                }
                ComputeError::InvalidSpec {
                    provider: Some(provider),
                    violations: Violations(violations),
                }
            }
            wit::ProviderError::ProvisionFailed(message) => ComputeError::ProvisionFailed {
                provider,
                tenant_id,
                message: for_message(&message),
            },
            wit::ProviderError::UpdateFailed(message) => ComputeError::UpdateFailed {
                provider,
                tenant_id,
                message: for_message(&message),
            },
            wit::ProviderError::TenantNotFound(_) => ComputeError::TenantNotFound {
                provider,
                tenant_id,
            },
            wit::ProviderError::OperationFailed(message) => ComputeError::OperationFailed {
                provider,
                operation: self.operation,
                message: for_message(&message),
            },
        }
    }
}

/// Longest field path of a provider's invalid-spec error kept, in bytes.
pub(crate) const MAX_GUEST_FIELD_PATH: usize = 256;
/// Most violations of a provider's invalid-spec error kept.
pub(crate) const MAX_GUEST_VIOLATIONS: usize = 50;

/// Result pairs with their strings escaped (results are already bounded in
/// size by `results.rs`).
fn clean_pairs(pairs: Vec<(String, String)>) -> StringMap {
    map_of(
        pairs
            .into_iter()
            .map(|(key, value)| (escape_owned(key), escape_owned(value)))
            .collect(),
    )
}

/// Narrow a validated number, or report the field.
fn narrow<T: TryFrom<i64>>(value: i64, path: impl FnOnce() -> String) -> Result<T> {
    T::try_from(value).map_err(|_| {
        ComputeError::invalid_spec(vec![FieldViolation::new(
            path(),
            format!("{value} is out of range"),
        )])
    })
}

/// Narrow an optional validated number, or report the field.
fn narrow_optional<T: TryFrom<i64>>(
    value: Option<i64>,
    path: impl FnOnce() -> String,
) -> Result<Option<T>> {
    value.map(|value| narrow(value, path)).transpose()
}

fn pairs(map: &StringMap) -> Vec<(String, String)> {
    map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn map_of(pairs: Vec<(String, String)>) -> StringMap {
    pairs.into_iter().collect()
}

/// The WIT form of a validated spec.
pub(crate) fn spec_to_wit(spec: &TenantComputeSpec) -> Result<wit::TenantComputeSpec> {
    Ok(wit::TenantComputeSpec {
        tenant_id: spec.tenant_id.clone(),
        provider_type: spec.provider_type.clone(),
        containers: spec
            .containers
            .iter()
            .enumerate()
            .map(|(i, container)| container_to_wit(container, &format!("containers[{i}]")))
            .collect::<Result<_>>()?,
        resources: resources_to_wit(&spec.resources, "resources")?,
        networking: wit::NetworkConfig {
            public_ip: spec.networking.public_ip,
            security_groups: spec.networking.security_groups.clone(),
            subnets: spec.networking.subnets.clone(),
            dns: spec.networking.dns.as_ref().map(|dns| wit::DnsConfig {
                hostname: dns.hostname.clone(),
                domain: dns.domain.clone(),
            }),
        },
        secrets: spec
            .secrets
            .iter()
            .map(|secret| wit::SecretReference {
                name: secret.name.clone(),
                source: secret.source.clone(),
                key: secret.key.clone(),
                env_var: secret.env_var.clone(),
            })
            .collect(),
        labels: pairs(&spec.labels),
        provider_config: spec
            .provider_config
            .as_ref()
            .map(|config| config.to_string()),
    })
}

fn container_to_wit(container: &ContainerSpec, path: &str) -> Result<wit::ContainerSpec> {
    Ok(wit::ContainerSpec {
        name: container.name.clone(),
        image: container.image.clone(),
        command: container.command.clone(),
        args: container.args.clone(),
        env: pairs(&container.env),
        ports: container
            .ports
            .iter()
            .enumerate()
            .map(|(j, port)| port_to_wit(port, &format!("{path}.ports[{j}]")))
            .collect::<Result<_>>()?,
        health_check: container
            .health_check
            .as_ref()
            .map(|check| health_check_to_wit(check, &format!("{path}.health_check")))
            .transpose()?,
        resources: container
            .resources
            .as_ref()
            .map(|resources| resources_to_wit(resources, &format!("{path}.resources")))
            .transpose()?,
    })
}

fn port_to_wit(port: &PortMapping, path: &str) -> Result<wit::PortMapping> {
    Ok(wit::PortMapping {
        container_port: narrow(port.container_port, || format!("{path}.container_port"))?,
        host_port: narrow_optional(port.host_port, || format!("{path}.host_port"))?,
        protocol: match &port.protocol {
            Protocol::Tcp => wit::Protocol::Tcp,
            Protocol::Udp => wit::Protocol::Udp,
            Protocol::Other(other) => {
                return Err(ComputeError::invalid_spec(vec![FieldViolation::new(
                    format!("{path}.protocol"),
                    format!("must be \"tcp\" or \"udp\", not \"{other}\""),
                )]));
            }
        },
        name: port.name.clone(),
    })
}

fn health_check_to_wit(check: &HealthCheckConfig, path: &str) -> Result<wit::HealthCheckConfig> {
    Ok(wit::HealthCheckConfig {
        check_type: match &check.check_type {
            HealthCheckType::Http => wit::HealthCheckType::Http,
            HealthCheckType::Tcp => wit::HealthCheckType::Tcp,
            HealthCheckType::Exec => wit::HealthCheckType::Exec,
            HealthCheckType::Other(other) => {
                return Err(ComputeError::invalid_spec(vec![FieldViolation::new(
                    format!("{path}.type"),
                    format!("must be \"http\", \"tcp\" or \"exec\", not \"{other}\""),
                )]));
            }
        },
        http_path: check.http_path.clone(),
        port: narrow_optional(check.port, || format!("{path}.port"))?,
        command: check.command.clone(),
        interval_seconds: narrow(check.interval_seconds, || {
            format!("{path}.interval_seconds")
        })?,
        timeout_seconds: narrow(check.timeout_seconds, || format!("{path}.timeout_seconds"))?,
        healthy_threshold: narrow_optional(check.healthy_threshold, || {
            format!("{path}.healthy_threshold")
        })?,
        unhealthy_threshold: narrow_optional(check.unhealthy_threshold, || {
            format!("{path}.unhealthy_threshold")
        })?,
    })
}

fn resources_to_wit(
    resources: &ResourceRequirements,
    path: &str,
) -> Result<wit::ResourceRequirements> {
    Ok(wit::ResourceRequirements {
        cpu_millicores: narrow(resources.cpu, || format!("{path}.cpu"))?,
        memory_mib: narrow(resources.memory, || format!("{path}.memory"))?,
        storage_mib: narrow_optional(resources.storage, || format!("{path}.storage"))?,
    })
}

/// The host form of a guest's provision result, stamped at `now`.
pub(crate) fn provision_result_from_wit(
    result: wit::ProvisionResult,
    now: DateTime<Utc>,
) -> ProvisionResult {
    ProvisionResult {
        tenant_id: result.tenant_id,
        provider_type: result.provider_type,
        status: match result.status {
            wit::ProvisionStatus::Success => ProvisionStatus::Success,
            wit::ProvisionStatus::InProgress => ProvisionStatus::InProgress,
            wit::ProvisionStatus::Failed => ProvisionStatus::Failed,
        },
        resource_ids: clean_pairs(result.resource_ids),
        endpoints: result
            .endpoints
            .into_iter()
            .map(|endpoint| Endpoint {
                endpoint_type: escape_owned(endpoint.endpoint_type),
                address: escape_owned(endpoint.address),
                port: endpoint.port,
                url: endpoint.url.map(escape_owned),
            })
            .collect(),
        message: result.message.map(escape_owned),
        provisioned_at: now,
    }
}

/// The host form of a guest's update result, stamped at `now`.
pub(crate) fn update_result_from_wit(
    result: wit::UpdateResult,
    now: DateTime<Utc>,
) -> UpdateResult {
    UpdateResult {
        tenant_id: result.tenant_id,
        provider_type: result.provider_type,
        status: match result.status {
            wit::UpdateStatus::Success => UpdateStatus::Success,
            wit::UpdateStatus::NoChanges => UpdateStatus::NoChanges,
            wit::UpdateStatus::InProgress => UpdateStatus::InProgress,
            wit::UpdateStatus::Failed => UpdateStatus::Failed,
        },
        changes: result.changes.into_iter().map(escape_owned).collect(),
        message: result.message.map(escape_owned),
        updated_at: now,
    }
}

/// The host form of a guest's status report, stamped at `now`.
pub(crate) fn compute_status_from_wit(
    status: wit::ComputeStatus,
    now: DateTime<Utc>,
) -> ComputeStatus {
    ComputeStatus {
        tenant_id: status.tenant_id,
        provider_type: status.provider_type,
        state: match status.state {
            wit::ComputeState::Running => ComputeState::Running,
            wit::ComputeState::Stopped => ComputeState::Stopped,
            wit::ComputeState::Starting => ComputeState::Starting,
            wit::ComputeState::Stopping => ComputeState::Stopping,
            wit::ComputeState::Failed => ComputeState::Failed,
            wit::ComputeState::Unknown => ComputeState::Unknown,
        },
        containers: status
            .containers
            .into_iter()
            .map(|container| ContainerStatus {
                name: escape_owned(container.name),
                state: escape_owned(container.state),
                ready: container.ready,
                restart_count: container.restart_count,
                message: container.message.map(escape_owned),
            })
            .collect(),
        health: match status.health {
            wit::HealthStatus::Healthy => HealthStatus::Healthy,
            wit::HealthStatus::Unhealthy => HealthStatus::Unhealthy,
            wit::HealthStatus::Unknown => HealthStatus::Unknown,
        },
        last_updated: now,
        metadata: clean_pairs(status.metadata),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> TenantComputeSpec {
        serde_json::from_value(serde_json::json!({
            "tenant_id": "acme", "provider_type": "mock",
            "containers": [{
                "name": "web", "image": "nginx", "env": {"B": "2", "A": "1"},
                "ports": [{"container_port": 80, "host_port": 8080, "protocol": "udp"}],
                "health_check": {"type": "tcp", "port": 80, "interval_seconds": 10, "timeout_seconds": 3},
                "resources": {"cpu": 200, "memory": 300, "storage": 10}
            }],
            "resources": {"cpu": 1000, "memory": 1024},
            "networking": {"public_ip": true, "dns": {"hostname": "acme"}},
            "labels": {"team": "core"},
            "provider_config": {"zone": "eu"}
        }))
        .unwrap()
    }

    #[test]
    fn a_spec_converts_field_for_field() {
        let wit = spec_to_wit(&spec()).unwrap();
        let web = &wit.containers[0];
        assert_eq!(
            web.env,
            [("A".into(), "1".into()), ("B".into(), "2".into())]
        );
        assert_eq!(web.ports[0].container_port, 80);
        assert_eq!(web.ports[0].host_port, Some(8080));
        assert!(matches!(web.ports[0].protocol, wit::Protocol::Udp));
        let check = web.health_check.as_ref().unwrap();
        assert!(matches!(check.check_type, wit::HealthCheckType::Tcp));
        assert_eq!((check.interval_seconds, check.timeout_seconds), (10, 3));
        assert_eq!(web.resources.as_ref().unwrap().storage_mib, Some(10));
        assert_eq!(wit.resources.cpu_millicores, 1000);
        assert!(wit.networking.public_ip);
        assert_eq!(
            wit.networking.dns.unwrap().hostname.as_deref(),
            Some("acme")
        );
        assert_eq!(wit.provider_config.as_deref(), Some(r#"{"zone":"eu"}"#));
    }

    #[test]
    fn an_out_of_range_number_is_an_invalid_spec_not_a_panic() {
        let mut bad = spec();
        bad.containers[0].ports[0].host_port = Some(70_000);
        let err = spec_to_wit(&bad).unwrap_err();
        assert_eq!(err.violations()[0].path, "containers[0].ports[0].host_port");
    }

    #[test]
    fn each_provider_error_case_maps_to_one_kind() {
        use crate::compute::ErrorKind;
        let site = CallSite {
            provider: "mock",
            operation: Operation::Destroy,
            tenant_id: "acme",
        };
        let cases = [
            (
                wit::ProviderError::InvalidSpec(vec![wit::FieldError {
                    path: "provider_config.zone".into(),
                    message: "unknown zone".into(),
                }]),
                ErrorKind::InvalidSpec,
            ),
            (
                wit::ProviderError::ProvisionFailed("x".into()),
                ErrorKind::ProvisionFailed,
            ),
            (
                wit::ProviderError::UpdateFailed("x".into()),
                ErrorKind::UpdateFailed,
            ),
            (
                wit::ProviderError::TenantNotFound("acme".into()),
                ErrorKind::TenantNotFound,
            ),
            (
                wit::ProviderError::OperationFailed("x".into()),
                ErrorKind::OperationFailed,
            ),
        ];
        for (wit_err, kind) in cases {
            let err = site.provider_error(wit_err);
            assert_eq!(err.kind(), kind);
            assert!(err.to_string().contains("mock"), "{err}");
        }
    }
}
