//! The conformance kit: the method contracts of `docs/compute-providers.md`
//! as executable rules, run against any provider component in isolated,
//! temporary state. `landlord providers test` prints the report; Rust tests
//! call [`check`] directly.

use std::sync::Arc;

use serde::Serialize;

use crate::compute::{
    ComputeError, ErrorKind, Provider, TenantComputeSpec, UpdateStatus, check_provider_name,
};
use crate::sandbox::{ProviderSettings, Runtime, WasmProvider};
use crate::state::{MemoryStateStore, StateStore};

/// The `provider_config` key every provider must refuse: the contract says
/// unknown settings are invalid-spec, not silently ignored.
pub const UNKNOWN_SETTING: &str = "landlord-conformance-unknown-setting";

/// One rule's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleResult {
    /// The rule's name, e.g. `update-same-spec-is-no-changes`.
    pub rule: &'static str,
    /// Whether the provider kept it.
    pub passed: bool,
    /// What was observed (on failure: what the provider did instead).
    pub detail: String,
}

/// Every rule's verdict for one provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The provider's name.
    pub provider: String,
    /// One entry per rule, in a fixed order.
    pub results: Vec<RuleResult>,
}

impl Report {
    /// Whether every rule passed.
    pub fn passed(&self) -> bool {
        self.results.iter().all(|result| result.passed)
    }

    /// The names of the rules that failed.
    pub fn failed_rules(&self) -> Vec<&'static str> {
        self.results
            .iter()
            .filter(|result| !result.passed)
            .map(|result| result.rule)
            .collect()
    }
}

/// A provider under test over a fresh, private store.
struct Subject {
    provider: WasmProvider,
    state: Arc<MemoryStateStore>,
}

impl Subject {
    fn keys(&self) -> Vec<(String, Option<Vec<u8>>)> {
        let name = self.provider.name();
        self.state
            .list_keys(name, "")
            .unwrap_or_default()
            .into_iter()
            .map(|key| {
                let value = self.state.get(name, &key).ok().flatten();
                (key, value)
            })
            .collect()
    }
}

/// A small spec in the seed's shape for `tenant_id`, on `provider`.
pub fn sample_spec(tenant_id: &str, provider: &str) -> TenantComputeSpec {
    serde_json::from_value(serde_json::json!({
        "tenant_id": tenant_id,
        "provider_type": provider,
        "containers": [
            {"name": "web", "image": "nginx:1.27", "ports": [{"container_port": 80, "host_port": 8080}]},
            {"name": "worker", "image": "busybox:1.36", "command": ["sleep", "3600"]}
        ],
        "resources": {"cpu": 500, "memory": 512},
        "labels": {"suite": "conformance"}
    }))
    .unwrap_or_else(|_| unreachable_spec())
}

/// The fixed spec above always parses; this keeps the kit free of panics
/// should it ever not.
fn unreachable_spec() -> TenantComputeSpec {
    TenantComputeSpec {
        tenant_id: String::new(),
        provider_type: String::new(),
        containers: vec![],
        resources: Default::default(),
        networking: Default::default(),
        secrets: vec![],
        labels: Default::default(),
        provider_config: None,
    }
}

fn described(err: &ComputeError) -> String {
    format!("{:?}: {err}", err.kind())
}

/// Run every rule against `component`, each in its own temporary state,
/// with the kit's own sample spec. `Err` only when the component cannot be
/// loaded at all.
pub async fn check(
    runtime: &Runtime,
    source_name: &str,
    component: &[u8],
    settings: &ProviderSettings,
) -> Result<Report, ComputeError> {
    check_with(runtime, source_name, component, settings, None).await
}

/// [`check`] with `base` as the spec the rules provision (its provider type
/// is set to the provider's name): for providers that create real things,
/// such as the docker provider, whose images must exist. The tenants the
/// kit uses are named after `base`'s tenant id (`<id>-a`, `<id>-b`; the
/// sample's is `conf`), and the kit destroys them between rules and at the
/// end, since a real provider's tenants outlive the kit's temporary state.
pub async fn check_with(
    runtime: &Runtime,
    source_name: &str,
    component: &[u8],
    settings: &ProviderSettings,
    base: Option<TenantComputeSpec>,
) -> Result<Report, ComputeError> {
    // Compiled once; every rule gets the same provider over fresh state.
    let loaded = WasmProvider::load(
        runtime,
        source_name,
        component,
        settings.clone(),
        Arc::new(MemoryStateStore::new()),
    )?;
    let name = loaded.name().to_owned();
    let base = base.unwrap_or_else(|| sample_spec("conf", &name));
    // Room for the longest suffix within a 63-character tenant id.
    let prefix: String = base.tenant_id.chars().take(54).collect();
    let prefix = prefix.trim_end_matches('-').to_owned();
    let (tenant_a, tenant_b) = (format!("{prefix}-a"), format!("{prefix}-b"));
    let (tenant_missing, tenant_never) = (format!("{prefix}-missing"), format!("{prefix}-never"));
    let spec = |tenant: &str| {
        let mut spec = base.clone();
        spec.tenant_id = tenant.to_owned();
        spec.provider_type = name.clone();
        spec
    };
    let container_names: Vec<String> = base.containers.iter().map(|c| c.name.clone()).collect();
    // Remove what earlier rules left in a provider's real backend; errors
    // are the rules' business, not the cleanup's.
    let tidy = || async {
        for tenant in [&tenant_a, &tenant_b] {
            let _ = loaded.destroy(tenant).await;
        }
    };
    let subject = || -> Result<Subject, ComputeError> {
        let state = Arc::new(MemoryStateStore::new());
        Ok(Subject {
            provider: loaded.with_state(state.clone()),
            state,
        })
    };
    let mut results = Vec::new();
    let mut rule = |rule: &'static str, outcome: Result<String, String>| {
        let (passed, detail) = match outcome {
            Ok(detail) => (true, detail),
            Err(detail) => (false, detail),
        };
        results.push(RuleResult {
            rule,
            passed,
            detail,
        });
    };
    tidy().await;

    rule(
        "name-is-a-valid-identifier",
        check_provider_name(&name).map(|()| format!("'{name}'")),
    );

    // provision returns the tenant asked for and the provider's name
    let s = subject()?;
    rule(
        "provision-returns-tenant-and-provider",
        match s.provider.provision(&spec(&tenant_a)).await {
            Ok(result) if result.tenant_id == tenant_a && result.provider_type == name => {
                Ok(format!("{} resource id(s)", result.resource_ids.len()))
            }
            Ok(result) => Err(format!(
                "returned tenant '{}' and provider '{}'",
                result.tenant_id, result.provider_type
            )),
            Err(err) => Err(described(&err)),
        },
    );

    // provisioning the same spec twice succeeds and duplicates nothing
    tidy().await;
    let s = subject()?;
    rule(
        "provision-twice-is-idempotent",
        async {
            let first = s
                .provider
                .provision(&spec(&tenant_a))
                .await
                .map_err(|e| described(&e))?;
            let keys = s.keys();
            let second = s
                .provider
                .provision(&spec(&tenant_a))
                .await
                .map_err(|e| format!("second provision: {}", described(&e)))?;
            if second.resource_ids != first.resource_ids {
                return Err(format!(
                    "resource ids changed: {:?} then {:?}",
                    first.resource_ids, second.resource_ids
                ));
            }
            if s.keys().len() != keys.len() {
                return Err(format!(
                    "state grew from {} to {} keys",
                    keys.len(),
                    s.keys().len()
                ));
            }
            Ok("same resource ids, no new state".to_owned())
        }
        .await,
    );

    // update with the same spec is no-changes; with a change, success listing it
    tidy().await;
    let s = subject()?;
    let provisioned = s.provider.provision(&spec(&tenant_a)).await;
    rule(
        "update-same-spec-is-no-changes",
        match (
            &provisioned,
            s.provider.update(&tenant_a, &spec(&tenant_a)).await,
        ) {
            (Err(err), _) => Err(format!("provision failed: {}", described(err))),
            (_, Ok(result)) if result.status == UpdateStatus::NoChanges => Ok("no_changes".into()),
            (_, Ok(result)) => Err(format!(
                "status {:?} with changes {:?}",
                result.status, result.changes
            )),
            (_, Err(err)) => Err(described(&err)),
        },
    );
    // A change every provider can apply without new images: an
    // environment variable of the first container.
    let mut changed = spec(&tenant_a);
    changed.containers[0]
        .env
        .insert("LANDLORD_CONFORMANCE".into(), "changed".into());
    rule(
        "update-changed-spec-lists-changes",
        match s.provider.update(&tenant_a, &changed).await {
            Ok(result) if result.status == UpdateStatus::Success && !result.changes.is_empty() => {
                Ok(result.changes.join("; "))
            }
            Ok(result) => Err(format!(
                "status {:?} with changes {:?}",
                result.status, result.changes
            )),
            Err(err) => Err(described(&err)),
        },
    );

    // status of a provisioned tenant matches its spec
    rule(
        "status-matches-the-spec",
        match s.provider.get_status(&tenant_a).await {
            Ok(status) => {
                let names: Vec<&str> = status.containers.iter().map(|c| c.name.as_str()).collect();
                if status.tenant_id == tenant_a && names == container_names {
                    Ok(format!("{:?}, containers {names:?}", status.state))
                } else {
                    Err(format!(
                        "tenant '{}', containers {names:?} (expected {container_names:?})",
                        status.tenant_id
                    ))
                }
            }
            Err(err) => Err(described(&err)),
        },
    );

    // status of a missing tenant is tenant-not-found
    let s = subject()?;
    rule(
        "status-of-missing-tenant-is-not-found",
        expect_not_found(s.provider.get_status(&tenant_missing).await.map(drop)),
    );

    // destroy, then status is tenant-not-found
    tidy().await;
    let s = subject()?;
    rule(
        "destroy-then-status-is-not-found",
        match s.provider.provision(&spec(&tenant_a)).await {
            Err(err) => Err(format!("provision failed: {}", described(&err))),
            Ok(_) => match s.provider.destroy(&tenant_a).await {
                Err(err) => Err(format!("destroy failed: {}", described(&err))),
                Ok(()) => expect_not_found(s.provider.get_status(&tenant_a).await.map(drop)),
            },
        },
    );
    rule(
        "destroy-twice-is-ok",
        s.provider
            .destroy(&tenant_a)
            .await
            .map(|()| "ok".into())
            .map_err(|err| described(&err)),
    );

    // destroying a tenant that never existed is not an error
    let s = subject()?;
    rule(
        "destroy-missing-tenant-is-ok",
        s.provider
            .destroy(&tenant_never)
            .await
            .map(|()| "ok".into())
            .map_err(|err| described(&err)),
    );

    // validate has no side effects
    let s = subject()?;
    let before = s.keys();
    let validated = s.provider.validate(&spec(&tenant_a)).await;
    rule(
        "validate-leaves-state-unchanged",
        match validated {
            Err(err) => Err(format!("a valid spec was refused: {}", described(&err))),
            Ok(()) if s.keys() == before => Ok("state unchanged".into()),
            Ok(()) => Err(format!(
                "state changed: {} key(s) before, {} after",
                before.len(),
                s.keys().len()
            )),
        },
    );

    // an unknown provider-config setting is invalid-spec
    let mut bad = spec(&tenant_a);
    bad.provider_config = Some(serde_json::json!({ UNKNOWN_SETTING: true }));
    rule(
        "invalid-provider-config-is-invalid-spec",
        match s.provider.validate(&bad).await {
            Err(err) if err.kind() == ErrorKind::InvalidSpec => Ok(err
                .violations()
                .iter()
                .map(|v| v.path.clone())
                .collect::<Vec<_>>()
                .join(", ")),
            Err(err) => Err(described(&err)),
            Ok(()) => Err(format!(
                "provider_config {{\"{UNKNOWN_SETTING}\": true}} was accepted"
            )),
        },
    );

    // operations on different tenants do not interfere
    tidy().await;
    let s = subject()?;
    rule(
        "tenants-do-not-interfere",
        async {
            s.provider
                .provision(&spec(&tenant_a))
                .await
                .map_err(|e| described(&e))?;
            s.provider
                .provision(&spec(&tenant_b))
                .await
                .map_err(|e| described(&e))?;
            s.provider
                .destroy(&tenant_a)
                .await
                .map_err(|e| described(&e))?;
            let status = s.provider.get_status(&tenant_b).await.map_err(|e| {
                format!("{tenant_b} after destroying {tenant_a}: {}", described(&e))
            })?;
            if status.tenant_id != tenant_b {
                return Err(format!(
                    "status of {tenant_b} is about '{}'",
                    status.tenant_id
                ));
            }
            expect_not_found(s.provider.get_status(&tenant_a).await.map(drop))?;
            Ok(format!("{tenant_b} intact after destroying {tenant_a}"))
        }
        .await,
    );

    tidy().await;
    Ok(Report {
        provider: name,
        results,
    })
}

fn expect_not_found(outcome: Result<(), ComputeError>) -> Result<String, String> {
    match outcome {
        Err(err) if err.kind() == ErrorKind::TenantNotFound => Ok("tenant-not-found".into()),
        Err(err) => Err(described(&err)),
        Ok(()) => Err("the tenant was reported as present".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn report(config: &[(&str, &str)]) -> Report {
        let settings = ProviderSettings {
            config: config
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..ProviderSettings::default()
        };
        check(
            &Runtime::new().unwrap(),
            "embedded mock",
            crate::embedded::MOCK_COMPONENT,
            &settings,
        )
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn the_reference_mock_passes_every_rule() {
        let report = report(&[]).await;
        assert_eq!(report.provider, "mock");
        assert_eq!(report.results.len(), 13);
        assert!(report.passed(), "{report:#?}");
    }

    #[tokio::test]
    async fn a_destroy_that_errors_on_a_missing_tenant_fails_exactly_those_rules() {
        let report = report(&[("quirk.destroy-missing-errors", "true")]).await;
        assert_eq!(
            report.failed_rules(),
            ["destroy-twice-is-ok", "destroy-missing-tenant-is-ok"]
        );
        let detail = &report
            .results
            .iter()
            .find(|r| r.rule == "destroy-missing-tenant-is-ok")
            .unwrap()
            .detail;
        assert!(detail.contains("TenantNotFound"), "{detail}");
    }

    #[tokio::test]
    async fn an_update_that_never_reports_no_changes_fails_exactly_that_rule() {
        let report = report(&[("quirk.update-never-unchanged", "true")]).await;
        assert_eq!(report.failed_rules(), ["update-same-spec-is-no-changes"]);
    }

    #[tokio::test]
    async fn a_provider_that_fails_everything_fails_the_operational_rules() {
        let report = report(&[("fail.provision", "no capacity")]).await;
        assert!(
            report
                .failed_rules()
                .contains(&"provision-returns-tenant-and-provider")
        );
        assert!(!report.passed());
    }
}
