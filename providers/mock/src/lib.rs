//! The mock compute provider: the reference implementation of the provider
//! contract and the host's embedded default. It provisions nothing real;
//! it keeps each tenant's spec in host state (the `state` import) and answers
//! as a real provider would. An operator can make any operation fail through
//! the `config` import: `fail.<operation>` = the message to fail with (for
//! example `fail.provision = "quota exceeded"`). Two deliberate contract
//! breaks exist to test the conformance kit: `quirk.destroy-missing-errors`
//! and `quirk.update-never-unchanged` (set to `"true"`).

use serde::{Deserialize, Serialize};

mod checks;
mod diff;

/// Bindings generated from `wit/`, and the export glue for [`MockProvider`]
/// (generated code uses `unsafe` for the canonical ABI; ours has none).
#[allow(unsafe_code, missing_docs)]
mod bindings {
    wit_bindgen::generate!({
        world: "compute-provider",
        path: "../../wit",
        additional_derives: [serde::Serialize, serde::Deserialize, PartialEq],
    });

    // Exported only in the component: a native build of this crate (as
    // `cargo build --workspace` makes) cannot link the export names.
    #[cfg(target_arch = "wasm32")]
    use super::MockProvider;
    #[cfg(target_arch = "wasm32")]
    export!(MockProvider);
}

use bindings::exports::landlord::compute::provider::Guest;
use bindings::landlord::compute::log::{Level, log};
use bindings::landlord::compute::types::{
    ComputeState, ComputeStatus, ContainerStatus, Endpoint, FieldError, HealthStatus, Protocol,
    ProviderError, ProvisionResult, ProvisionStatus, TenantComputeSpec, UpdateResult, UpdateStatus,
};
use bindings::landlord::compute::{config, state};

/// The provider's registry name.
const NAME: &str = "mock";

/// Domain of endpoint addresses when the spec names none.
const DEFAULT_DOMAIN: &str = "mock.internal";

/// What the mock remembers about a tenant, stored as JSON under
/// `tenant/<id>`.
#[derive(Serialize, Deserialize)]
struct TenantRecord {
    spec: TenantComputeSpec,
    /// 1 after provisioning, +1 per applied update.
    generation: u64,
}

/// The provider; its methods are the six exports.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
struct MockProvider;

impl Guest for MockProvider {
    fn name() -> String {
        NAME.to_owned()
    }

    fn provision(spec: TenantComputeSpec) -> Result<ProvisionResult, ProviderError> {
        if let Some(message) = configured_failure("provision") {
            return Err(ProviderError::ProvisionFailed(message));
        }
        reject_invalid(&spec)?;
        let message = match load(&spec.tenant_id)? {
            Some(existing) if existing.spec == spec => "already provisioned with this spec",
            Some(_) => {
                return Err(ProviderError::ProvisionFailed(format!(
                    "tenant '{}' already exists with a different spec; use update to change it",
                    spec.tenant_id
                )));
            }
            None => {
                save(&TenantRecord {
                    spec: spec.clone(),
                    generation: 1,
                })?;
                "provisioned"
            }
        };
        log(Level::Info, &format!("{message}: {}", spec.tenant_id));
        Ok(ProvisionResult {
            tenant_id: spec.tenant_id.clone(),
            provider_type: NAME.to_owned(),
            status: ProvisionStatus::Success,
            resource_ids: resource_ids(&spec),
            endpoints: endpoints(&spec),
            message: Some(message.to_owned()),
        })
    }

    fn update(tenant_id: String, spec: TenantComputeSpec) -> Result<UpdateResult, ProviderError> {
        if let Some(message) = configured_failure("update") {
            return Err(ProviderError::UpdateFailed(message));
        }
        reject_invalid(&spec)?;
        let Some(mut record) = load(&tenant_id)? else {
            return Err(ProviderError::TenantNotFound(tenant_id));
        };
        let mut changes = diff::changes(&record.spec, &spec);
        if changes.is_empty() && quirk("update-never-unchanged") {
            // A deliberate contract break, for testing the conformance kit.
            changes.push("reapplied".to_owned());
        }
        let status = if changes.is_empty() {
            UpdateStatus::NoChanges
        } else {
            record.spec = spec;
            record.generation += 1;
            save(&record)?;
            log(
                Level::Info,
                &format!("updated {tenant_id}: {} change(s)", changes.len()),
            );
            UpdateStatus::Success
        };
        Ok(UpdateResult {
            tenant_id,
            provider_type: NAME.to_owned(),
            status,
            changes,
            message: None,
        })
    }

    fn destroy(tenant_id: String) -> Result<(), ProviderError> {
        if let Some(message) = configured_failure("destroy") {
            return Err(ProviderError::OperationFailed(message));
        }
        if quirk("destroy-missing-errors") && load(&tenant_id)?.is_none() {
            // A deliberate contract break, for testing the conformance kit.
            return Err(ProviderError::TenantNotFound(tenant_id));
        }
        // Idempotent: deleting a missing key is not an error.
        let key = tenant_key(&tenant_id);
        state::delete(&key).map_err(|err| state_failure(&key, None, err))?;
        log(Level::Info, &format!("destroyed {tenant_id}"));
        Ok(())
    }

    fn get_status(tenant_id: String) -> Result<ComputeStatus, ProviderError> {
        if let Some(message) = configured_failure("get-status") {
            return Err(ProviderError::OperationFailed(message));
        }
        let Some(record) = load(&tenant_id)? else {
            return Err(ProviderError::TenantNotFound(tenant_id));
        };
        let checked = record
            .spec
            .containers
            .iter()
            .any(|container| container.health_check.is_some());
        Ok(ComputeStatus {
            tenant_id,
            provider_type: NAME.to_owned(),
            state: ComputeState::Running,
            containers: record
                .spec
                .containers
                .iter()
                .map(|container| ContainerStatus {
                    name: container.name.clone(),
                    state: "running".to_owned(),
                    ready: true,
                    restart_count: 0,
                    message: Some(format!("image {}", container.image)),
                })
                .collect(),
            health: if checked {
                HealthStatus::Healthy
            } else {
                HealthStatus::Unknown
            },
            metadata: vec![
                ("generation".to_owned(), record.generation.to_string()),
                (
                    "zone".to_owned(),
                    checks::zone(&record.spec).unwrap_or_else(|| "default".to_owned()),
                ),
            ],
        })
    }

    fn validate(spec: TenantComputeSpec) -> Result<(), ProviderError> {
        if let Some(message) = configured_failure("validate") {
            return Err(ProviderError::InvalidSpec(vec![FieldError {
                path: String::new(),
                message,
            }]));
        }
        reject_invalid(&spec)
    }
}

/// Whether the deliberate contract break `name` is switched on
/// (`quirk.<name> = "true"`); used only to test the conformance kit.
fn quirk(name: &str) -> bool {
    config::get(&format!("quirk.{name}")).as_deref() == Some("true")
}

/// The operator's failure switch for `operation`, if set.
fn configured_failure(operation: &str) -> Option<String> {
    config::get(&format!("fail.{operation}"))
}

fn tenant_key(tenant_id: &str) -> String {
    format!("tenant/{tenant_id}")
}

/// A refused state operation on `key`, said for people: which key, which
/// limit, and what the operator can change. `size` is the value's size,
/// when a value was being written.
fn state_failure(key: &str, size: Option<usize>, err: state::StateError) -> ProviderError {
    ProviderError::OperationFailed(match err {
        state::StateError::KeyTooLarge(limit) => format!(
            "the state key '{key}' is longer than the host allows ({limit} bytes; limits.state_key_bytes)"
        ),
        state::StateError::ValueTooLarge(limit) => format!(
            "the record under state key '{key}' is {} bytes, more than the {limit} bytes the host allows per value; \
             use a smaller spec, or raise the provider's limits.state_value_kib",
            size.map_or_else(|| "too many".to_owned(), |size| size.to_string())
        ),
        state::StateError::Unavailable(why) => {
            format!("the host's state store is unavailable ({why}); retrying may help")
        }
    })
}

fn load(tenant_id: &str) -> Result<Option<TenantRecord>, ProviderError> {
    let key = tenant_key(tenant_id);
    let Some(bytes) = state::get(&key).map_err(|err| state_failure(&key, None, err))? else {
        return Ok(None);
    };
    serde_json::from_slice(&bytes).map(Some).map_err(|err| {
        ProviderError::OperationFailed(format!("stored record of {tenant_id} is corrupt: {err}"))
    })
}

fn save(record: &TenantRecord) -> Result<(), ProviderError> {
    let bytes = serde_json::to_vec(record)
        .map_err(|err| ProviderError::OperationFailed(format!("cannot encode record: {err}")))?;
    let key = tenant_key(&record.spec.tenant_id);
    state::set(&key, &bytes).map_err(|err| state_failure(&key, Some(bytes.len()), err))
}

/// The mock's own rules, on top of the host's structural validation.
fn reject_invalid(spec: &TenantComputeSpec) -> Result<(), ProviderError> {
    let problems = checks::problems(spec, NAME);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ProviderError::InvalidSpec(problems))
    }
}

fn resource_ids(spec: &TenantComputeSpec) -> Vec<(String, String)> {
    let tenant = &spec.tenant_id;
    let mut ids = vec![("network".to_owned(), format!("mock-net-{tenant}"))];
    ids.extend(spec.containers.iter().map(|container| {
        (
            format!("container/{}", container.name),
            format!("mock-{tenant}-{}", container.name),
        )
    }));
    ids.sort();
    ids
}

fn endpoints(spec: &TenantComputeSpec) -> Vec<Endpoint> {
    let domain = spec
        .networking
        .dns
        .as_ref()
        .and_then(|dns| dns.domain.clone())
        .unwrap_or_else(|| DEFAULT_DOMAIN.to_owned());
    spec.containers
        .iter()
        .flat_map(|container| {
            let address = format!("{}.{}.{domain}", container.name, spec.tenant_id);
            container.ports.iter().map(move |port| {
                let scheme = match port.protocol {
                    Protocol::Tcp => "tcp",
                    Protocol::Udp => "udp",
                };
                let number = port.host_port.unwrap_or(port.container_port);
                Endpoint {
                    endpoint_type: scheme.to_owned(),
                    url: Some(format!("{scheme}://{address}:{number}")),
                    address: address.clone(),
                    port: number,
                }
            })
        })
        .collect()
}

#[cfg(test)]
mod test_support {
    use crate::bindings::landlord::compute::types::*;

    /// A small valid spec for the mock's unit tests.
    pub(crate) fn spec() -> TenantComputeSpec {
        TenantComputeSpec {
            tenant_id: "acme".into(),
            provider_type: "mock".into(),
            containers: vec![ContainerSpec {
                name: "web".into(),
                image: "nginx:1.27".into(),
                command: vec![],
                args: vec![],
                env: vec![],
                ports: vec![PortMapping {
                    container_port: 80,
                    host_port: None,
                    protocol: Protocol::Tcp,
                    name: None,
                }],
                health_check: None,
                resources: None,
            }],
            resources: ResourceRequirements {
                cpu_millicores: 500,
                memory_mib: 512,
                storage_mib: None,
            },
            networking: NetworkConfig {
                public_ip: false,
                security_groups: vec![],
                subnets: vec![],
                dns: None,
            },
            secrets: vec![],
            labels: vec![],
            provider_config: None,
        }
    }
}
