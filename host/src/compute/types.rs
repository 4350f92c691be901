//! The seed's spec, result and status types, with the seed's JSON shape.
//!
//! Numbers a person types into a spec (ports, CPU, memory, seconds) are `i64`
//! here, wider than the WIT types: an out-of-range value then reaches
//! [`validate_compute_spec`](super::validate_compute_spec) and comes back as a
//! violation with its field path instead of failing inside a JSON parser.
//! Likewise `protocol` and a health check's `type` keep an unrecognised value
//! (`Other`) so validation can name it; in the OpenAPI schema they are
//! strings, since any string parses and validation names the wrong ones.
//! A struct-typed field is read from an object only (see
//! [`json_shape`](super::json_shape)).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::json_shape::{integer, object, objects, optional_integer, optional_object};

/// The JSON name of a unit enum value (`UpdateStatus::NoChanges` →
/// `no_changes`), as the seed's JSON and the journal spell it; `None` for
/// anything that does not serialize to a string.
pub fn wire_name<T: Serialize>(value: &T) -> Option<String> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => Some(name),
        _ => None,
    }
}

/// A string-to-string map, sorted by key (env, labels, resource ids, metadata).
pub type StringMap = BTreeMap<String, String>;

/// The desired state of one tenant's compute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantComputeSpec {
    /// Tenant identifier, a DNS label: 1 to 63 characters of `[a-z0-9-]`,
    /// not starting or ending with `-` (see
    /// [`check_dns_label`](crate::compute::check_dns_label)).
    pub tenant_id: String,
    /// Name of the provider that manages this tenant.
    #[serde(default)]
    pub provider_type: String,
    /// The tenant's containers, at least one.
    #[serde(default, deserialize_with = "objects")]
    pub containers: Vec<ContainerSpec>,
    /// Resources for the tenant as a whole (CPU and memory at least 128).
    #[serde(default, deserialize_with = "object")]
    pub resources: ResourceRequirements,
    /// Network placement.
    #[serde(default, deserialize_with = "object")]
    pub networking: NetworkConfig,
    /// Secrets the containers need, by reference.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "objects"
    )]
    pub secrets: Vec<SecretReference>,
    /// Labels for organising and filtering.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: StringMap,
    /// Provider-specific configuration, validated by the provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_config: Option<serde_json::Value>,
}

/// One container of a tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContainerSpec {
    /// Identifier within the tenant, unique in the spec; a DNS label like
    /// the tenant id: 1 to 63 characters of `[a-z0-9-]`, not starting or
    /// ending with `-`.
    #[serde(default)]
    pub name: String,
    /// Image reference, for example `nginx:1.27`.
    #[serde(default)]
    pub image: String,
    /// Overrides the image's entry point.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// Arguments to the command.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Environment variables.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: StringMap,
    /// Exposed ports.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "objects"
    )]
    pub ports: Vec<PortMapping>,
    /// Health checking, if any.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "optional_object"
    )]
    pub health_check: Option<HealthCheckConfig>,
    /// Container-specific resources.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "optional_object"
    )]
    pub resources: Option<ResourceRequirements>,
}

/// Transport protocol of a port. Omitted means TCP.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// TCP.
    #[default]
    Tcp,
    /// UDP.
    Udp,
    /// Anything else, kept so validation can report it.
    #[serde(untagged)]
    Other(String),
}

/// How a container port is exposed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PortMapping {
    /// Port inside the container, 1–65535.
    #[serde(deserialize_with = "integer")]
    pub container_port: i64,
    /// Port on the host, 1–65535; absent lets the provider choose.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "optional_integer"
    )]
    pub host_port: Option<i64>,
    /// Transport protocol: `tcp` (the default) or `udp`.
    #[serde(default)]
    #[schema(value_type = String, example = "tcp")]
    pub protocol: Protocol,
    /// Optional identifier of this port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// How a container's health is checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthCheckType {
    /// HTTP GET against `http_path` on `port`.
    Http,
    /// TCP connect to `port`.
    Tcp,
    /// Run `command`; exit status 0 is healthy.
    Exec,
    /// Anything else, kept so validation can report it.
    #[serde(untagged)]
    Other(String),
}

/// Health checking parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthCheckConfig {
    /// The check method: `http`, `tcp` or `exec`.
    #[serde(rename = "type")]
    #[schema(value_type = String, example = "http")]
    pub check_type: HealthCheckType,
    /// Path for HTTP checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_path: Option<String>,
    /// Port for HTTP and TCP checks, 1–65535.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "optional_integer"
    )]
    pub port: Option<i64>,
    /// Command for exec checks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// Seconds between checks, at least 5.
    #[serde(deserialize_with = "integer")]
    pub interval_seconds: i64,
    /// Seconds per check, at least 1 and less than `interval_seconds`.
    #[serde(deserialize_with = "integer")]
    pub timeout_seconds: i64,
    /// Consecutive successes before healthy, at least 1 when set.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "optional_integer"
    )]
    pub healthy_threshold: Option<i64>,
    /// Consecutive failures before unhealthy, at least 1 when set.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "optional_integer"
    )]
    pub unhealthy_threshold: Option<i64>,
}

/// Compute resources.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceRequirements {
    /// CPU in millicores (1000 = one CPU), at least 128.
    #[serde(default, deserialize_with = "integer")]
    pub cpu: i64,
    /// Memory in MiB, at least 128.
    #[serde(default, deserialize_with = "integer")]
    pub memory: i64,
    /// Ephemeral storage in MiB.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "optional_integer"
    )]
    pub storage: Option<i64>,
}

/// Network placement.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkConfig {
    /// Whether to assign a public IP address.
    #[serde(default)]
    pub public_ip: bool,
    /// Security groups or firewall rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security_groups: Vec<String>,
    /// Subnets to place the tenant in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subnets: Vec<String>,
    /// DNS settings.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "optional_object"
    )]
    pub dns: Option<DnsConfig>,
}

/// DNS settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DnsConfig {
    /// Host name for the tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Domain for the tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
}

/// A reference to a secret held elsewhere; never the secret's value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretReference {
    /// Name of the secret (the only part the host ever logs).
    pub name: String,
    /// Where the secret is stored, for example `aws-secrets-manager`.
    pub source: String,
    /// Key within that store.
    pub key: String,
    /// Environment variable to expose it as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env_var: Option<String>,
}

/// Outcome of a provision call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProvisionStatus {
    /// The tenant's compute exists.
    Success,
    /// Provisioning goes on after the call.
    InProgress,
    /// Provisioning failed.
    Failed,
}

/// How a tenant can be reached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Endpoint {
    /// Kind of endpoint: `http`, `https`, `tcp`, `udp`, `grpc`, ….
    #[serde(rename = "type")]
    pub endpoint_type: String,
    /// Host name or IP address.
    pub address: String,
    /// Port number.
    pub port: u16,
    /// Full URL, where one applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// What a provision call did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProvisionResult {
    /// The tenant provisioned.
    pub tenant_id: String,
    /// The provider that provisioned it.
    pub provider_type: String,
    /// Outcome.
    pub status: ProvisionStatus,
    /// Provider-specific resource ids by resource kind.
    pub resource_ids: StringMap,
    /// Where the tenant can be reached.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<Endpoint>,
    /// Additional detail for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// When the host received the result.
    pub provisioned_at: DateTime<Utc>,
}

/// Outcome of an update call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UpdateStatus {
    /// The changes were applied.
    Success,
    /// Nothing to change.
    NoChanges,
    /// The update goes on after the call.
    InProgress,
    /// The update failed.
    Failed,
}

/// What an update call did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UpdateResult {
    /// The tenant updated.
    pub tenant_id: String,
    /// The provider that updated it.
    pub provider_type: String,
    /// Outcome.
    pub status: UpdateStatus,
    /// One line per change applied.
    pub changes: Vec<String>,
    /// Additional detail for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// When the host received the result.
    pub updated_at: DateTime<Utc>,
}

/// State of a tenant's deployment as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ComputeState {
    /// Everything is up.
    Running,
    /// Deliberately stopped.
    Stopped,
    /// Coming up.
    Starting,
    /// Going down.
    Stopping,
    /// Broken.
    Failed,
    /// The provider cannot tell.
    Unknown,
}

/// Overall health assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    /// Health checks pass.
    Healthy,
    /// Health checks fail.
    Unhealthy,
    /// No checks or no data.
    Unknown,
}

/// State of one container.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ContainerStatus {
    /// The container's name from the spec.
    pub name: String,
    /// Its state: `running`, `stopped`, `failed`, ….
    pub state: String,
    /// Whether it is ready to serve.
    pub ready: bool,
    /// How many times it was restarted.
    pub restart_count: u32,
    /// Additional detail for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Current state of a tenant's compute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ComputeStatus {
    /// The tenant asked about.
    pub tenant_id: String,
    /// The provider that manages it.
    pub provider_type: String,
    /// State of the deployment as a whole.
    pub state: ComputeState,
    /// One entry per container.
    pub containers: Vec<ContainerStatus>,
    /// Overall health.
    pub health: HealthStatus,
    /// When the host received this status.
    pub last_updated: DateTime<Utc>,
    /// Provider-specific details.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: StringMap,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_json_spec_parses_with_defaults() {
        let spec: TenantComputeSpec = serde_json::from_str(
            r#"{"tenant_id":"acme","provider_type":"mock",
                "containers":[{"name":"web","image":"nginx","ports":[{"container_port":80}]}],
                "resources":{"cpu":256,"memory":512}}"#,
        )
        .unwrap();
        assert_eq!(spec.containers[0].ports[0].protocol, Protocol::Tcp);
        assert_eq!(spec.resources.storage, None);
        assert!(!spec.networking.public_ip);
    }

    #[test]
    fn unknown_protocol_and_check_type_are_kept_for_validation() {
        let port: PortMapping =
            serde_json::from_str(r#"{"container_port":53,"protocol":"sctp"}"#).unwrap();
        assert_eq!(port.protocol, Protocol::Other("sctp".into()));
        let check: HealthCheckConfig =
            serde_json::from_str(r#"{"type":"grpc","interval_seconds":10,"timeout_seconds":2}"#)
                .unwrap();
        assert_eq!(check.check_type, HealthCheckType::Other("grpc".into()));
    }

    #[test]
    fn unknown_fields_are_refused_by_name() {
        let err =
            serde_json::from_str::<TenantComputeSpec>(r#"{"tenant_id":"acme","containerz":[]}"#)
                .unwrap_err();
        assert!(err.to_string().contains("containerz"), "{err}");
    }

    #[test]
    fn statuses_serialize_in_the_seeds_snake_case() {
        assert_eq!(
            serde_json::to_string(&UpdateStatus::NoChanges).unwrap(),
            r#""no_changes""#
        );
        assert_eq!(
            serde_json::to_string(&ProvisionStatus::InProgress).unwrap(),
            r#""in_progress""#
        );
    }
}
