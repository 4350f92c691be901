//! The mock provider in other languages (`providers/<language>-mock`), built
//! from source by this crate's build script, and what the tests need to hold
//! each to the conformance kit and to the Rust mock's behaviour.

use std::collections::BTreeMap;
use std::sync::Arc;

use landlord::compute::{ComputeError, Provider, TenantComputeSpec};
use landlord::sandbox::{ProviderSettings, Runtime, WasmProvider};
use landlord::state::MemoryStateStore;
use serde_json::{Value, json};

/// One language's provider, as the build script left it.
#[derive(Debug)]
pub struct Built {
    /// `c`, `zig`, `go`, `js` or `python`.
    pub language: &'static str,
    /// The component's path, or why it could not be built.
    pub outcome: Result<&'static str, &'static str>,
    /// How long its `build.sh` took.
    pub build_seconds: f64,
}

/// Every other-language provider, in a fixed order.
pub const BUILT: &[Built] = include!(concat!(env!("OUT_DIR"), "/languages.rs"));

/// The provider `language` built, as component bytes; `Err` says why not.
pub fn component(language: &str) -> Result<Vec<u8>, String> {
    let built = BUILT
        .iter()
        .find(|built| built.language == language)
        .ok_or_else(|| format!("no provider for language '{language}'"))?;
    let path = built
        .outcome
        .map_err(|reason| format!("{language}-mock was not built: {reason}"))?;
    std::fs::read(path).map_err(|err| format!("reading {path}: {err}"))
}

/// The settings every language's provider runs with: the defaults, plus
/// `config` (for the failure switches).
pub fn settings(config: &[(&str, &str)]) -> ProviderSettings {
    ProviderSettings {
        config: config
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect::<BTreeMap<_, _>>(),
        ..ProviderSettings::default()
    }
}

/// `component` loaded into `runtime` with `config`, over a fresh memory store.
pub fn load(
    runtime: &Runtime,
    source_name: &str,
    component: &[u8],
    config: &[(&str, &str)],
) -> Result<WasmProvider, ComputeError> {
    WasmProvider::load(
        runtime,
        source_name,
        component,
        settings(config),
        Arc::new(MemoryStateStore::new()),
    )
}

/// A three-container spec for `tenant_id` on `provider` that uses every
/// field the mock looks at: the suite's sample spec (`landlord_tests`)
/// with a named port and a `provider_config`.
pub fn spec(tenant_id: &str, provider: &str) -> TenantComputeSpec {
    let mut spec = landlord_tests::sample_spec(tenant_id);
    spec.provider_type = provider.to_owned();
    spec.containers[0].ports[0].name = Some("http".to_owned());
    spec.provider_config = Some(json!({"zone": "eu-1"}));
    spec
}

/// [`spec`] changed in every way the mock's update diff reports.
pub fn changed_spec(tenant_id: &str, provider: &str) -> TenantComputeSpec {
    let mut value = serde_json::to_value(spec(tenant_id, provider)).unwrap_or(Value::Null);
    let edits = json!({
        "containers": [
            {
                "name": "web",
                "image": "nginx:1.28",
                "env": {"MODE": "staging", "TOKEN": "s3cret"},
                "ports": [{"container_port": 80, "host_port": 8081, "name": "http"}],
                "resources": {"cpu": 500, "memory": 512, "storage": 100}
            },
            {
                "name": "api",
                "image": "ghcr.io/acme/api:2.4.1",
                "command": ["/api", "serve"],
                "args": ["--listen", ":9001"],
                "ports": [{"container_port": 9000, "protocol": "tcp", "name": "grpc"}],
                "health_check": {"type": "tcp", "port": 9000, "interval_seconds": 5, "timeout_seconds": 1}
            },
            {"name": "cache", "image": "redis:7", "ports": [{"container_port": 6379}]}
        ],
        "resources": {"cpu": 2000, "memory": 2048},
        "networking": {"public_ip": false, "security_groups": ["sg-1"], "subnets": ["subnet-a"]},
        "secrets": [{"name": "db-password", "source": "vault", "key": "acme/db-v2", "env_var": "DB_PASSWORD"}],
        "labels": {"team": "core"},
        "provider_config": {"zone": "us-2"}
    });
    if let (Some(value), Some(edits)) = (value.as_object_mut(), edits.as_object()) {
        for (key, edit) in edits {
            value.insert(key.clone(), edit.clone());
        }
    }
    from_json(value)
}

/// A spec the mock's own checks refuse in three ways at once: another
/// provider's name, a duplicate container name, and bad `provider_config`
/// settings.
pub fn invalid_spec(tenant_id: &str) -> TenantComputeSpec {
    let mut spec = spec(tenant_id, "ecs");
    let twin = spec.containers[0].clone();
    spec.containers.push(twin);
    spec.provider_config = Some(json!({"zone": "EU 1", "replicas": 3, "autoscale": true}));
    spec
}

fn from_json(value: Value) -> TenantComputeSpec {
    serde_json::from_value(value).expect("the test specs match the types")
}

/// One step of [`scenario`], as JSON that can be compared across providers:
/// timestamps dropped, the provider's own name replaced by `<provider>`.
#[derive(Debug, PartialEq)]
pub struct Step {
    /// What was done.
    pub what: &'static str,
    /// What came back.
    pub outcome: Value,
}

/// Drive `provider` (named `name`, over empty state) through the mock's whole
/// behaviour and record every answer.
pub async fn scenario(provider: &dyn Provider, name: &str) -> Vec<Step> {
    let spec = |tenant: &str| spec(tenant, name);
    let mut steps = Vec::new();
    let mut record = |what: &'static str, outcome: Result<Value, ComputeError>| {
        steps.push(Step {
            what,
            outcome: normalized(outcome, name),
        });
    };
    record(
        "validate a valid spec",
        unit(provider.validate(&spec("acme")).await),
    );
    record(
        "status of a tenant never provisioned",
        json_of(provider.get_status("acme").await),
    );
    record(
        "update of a tenant never provisioned",
        json_of(provider.update("acme", &spec("acme")).await),
    );
    record(
        "provision",
        json_of(provider.provision(&spec("acme")).await),
    );
    record(
        "provision the same spec again",
        json_of(provider.provision(&spec("acme")).await),
    );
    record(
        "provision a different spec",
        json_of(provider.provision(&changed_spec("acme", name)).await),
    );
    record(
        "status after provision",
        json_of(provider.get_status("acme").await),
    );
    record(
        "update with the same spec",
        json_of(provider.update("acme", &spec("acme")).await),
    );
    record(
        "update with every kind of change",
        json_of(provider.update("acme", &changed_spec("acme", name)).await),
    );
    record(
        "status after update",
        json_of(provider.get_status("acme").await),
    );
    record(
        "update back",
        json_of(provider.update("acme", &spec("acme")).await),
    );
    record(
        "provision a second tenant",
        json_of(provider.provision(&spec("beta")).await),
    );
    record(
        "validate an invalid spec",
        unit(provider.validate(&invalid_spec("acme")).await),
    );
    record(
        "provision an invalid spec",
        json_of(provider.provision(&invalid_spec("gamma")).await),
    );
    let mut not_an_object = spec("acme");
    not_an_object.provider_config = Some(json!(["zone", "eu-1"]));
    record(
        "validate a provider_config that is not an object",
        unit(provider.validate(&not_an_object).await),
    );
    let mut no_containers = spec("acme");
    no_containers.containers.clear();
    no_containers.provider_config = None;
    no_containers.networking = Default::default();
    record(
        "validate a spec without containers",
        unit(provider.validate(&no_containers).await),
    );
    record("destroy", unit(provider.destroy("acme").await));
    record(
        "status after destroy",
        json_of(provider.get_status("acme").await),
    );
    record("destroy again", unit(provider.destroy("acme").await));
    record(
        "status of the second tenant",
        json_of(provider.get_status("beta").await),
    );
    steps
}

/// Every operation with its `fail.<operation>` switch set, on `provider`
/// (loaded with all five switches), after provisioning nothing.
pub async fn failure_switches(provider: &dyn Provider, name: &str) -> Vec<Step> {
    let spec = spec("acme", name);
    vec![
        Step {
            what: "provision",
            outcome: normalized(json_of(provider.provision(&spec).await), name),
        },
        Step {
            what: "update",
            outcome: normalized(json_of(provider.update("acme", &spec).await), name),
        },
        Step {
            what: "destroy",
            outcome: normalized(unit(provider.destroy("acme").await), name),
        },
        Step {
            what: "get-status",
            outcome: normalized(json_of(provider.get_status("acme").await), name),
        },
        Step {
            what: "validate",
            outcome: normalized(unit(provider.validate(&spec).await), name),
        },
    ]
}

/// The five failure switches, each with a message naming its operation.
pub const FAILURE_SWITCHES: &[(&str, &str)] = &[
    ("fail.provision", "provision is switched off"),
    ("fail.update", "update is switched off"),
    ("fail.destroy", "destroy is switched off"),
    ("fail.get-status", "get-status is switched off"),
    ("fail.validate", "validate is switched off"),
];

fn unit(outcome: landlord::compute::Result<()>) -> Result<Value, ComputeError> {
    outcome.map(|()| Value::Null)
}

fn json_of<T: serde::Serialize>(
    outcome: landlord::compute::Result<T>,
) -> Result<Value, ComputeError> {
    outcome.map(|value| serde_json::to_value(value).unwrap_or(Value::Null))
}

/// `outcome` with what legitimately differs between providers taken out.
fn normalized(outcome: Result<Value, ComputeError>, name: &str) -> Value {
    let mut value = match outcome {
        Ok(value) => json!({"ok": value}),
        Err(err) => json!({"error": format!("{:?}", err.kind()), "message": err.to_string()}),
    };
    scrub(&mut value, name);
    value
}

fn scrub(value: &mut Value, name: &str) {
    match value {
        Value::Object(fields) => {
            for key in ["provisioned_at", "updated_at", "last_updated"] {
                fields.remove(key);
            }
            fields.values_mut().for_each(|value| scrub(value, name));
        }
        Value::Array(items) => items.iter_mut().for_each(|value| scrub(value, name)),
        Value::String(text) => {
            // The provider's own name, wherever it is quoted or reported;
            // resource ids (`mock-acme-web`) are the same in every language.
            for (from, to) in [
                (format!("'{name}'"), "'<provider>'".to_owned()),
                (format!("provider {name}"), "provider <provider>".to_owned()),
            ] {
                *text = text.replace(&from, &to);
            }
            if *text == name {
                *text = "<provider>".to_owned();
            }
        }
        _ => {}
    }
}
