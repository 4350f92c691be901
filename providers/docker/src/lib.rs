//! The Docker compute provider: each tenant becomes a bridge network
//! (`landlord-<tenant>`) and one container per spec container
//! (`landlord-<tenant>-<container>`) on a Docker engine, which the component
//! reaches over plain HTTP through the host's `wasi:http` outbound grant.
//!
//! The engine is the source of truth: every object carries the labels
//! `landlord.owner=landlord`, `landlord.provider=docker` and
//! `landlord.tenant_id=<tenant>`, and each container the hash of its
//! effective spec (`landlord.spec_hash`), so provision, update, destroy and
//! get-status find everything by label filters and keep no state of their
//! own. See `README.md` for the mapping, config keys and limits.
//!
//! Layout: `checks` validates, `plan` maps a spec to create bodies and
//! hashes, `engine` speaks the Engine API over a transport, `ops` holds the
//! operations (natively testable against the in-memory engine of `fake`,
//! and against a real engine in `live`), `status` aggregates, and
//! `component` (wasm32 only) wires the six exports to the host's imports
//! and the wasi:http transport of `http`.

// Natively nothing calls the operations but the tests: the exports that
// use them exist only in the component.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

mod checks;
mod engine;
#[cfg(target_arch = "wasm32")]
mod http;
mod ops;
mod plan;
mod status;

#[cfg(test)]
mod fake;
#[cfg(all(test, unix))]
mod live;

/// Bindings generated from `wit/`, and the export glue for the provider
/// (generated code uses `unsafe` for the canonical ABI; ours has none).
#[allow(unsafe_code, missing_docs)]
mod bindings {
    wit_bindgen::generate!({
        world: "compute-provider",
        path: "../../wit",
        additional_derives: [PartialEq],
    });

    // Exported only in the component: a native build of this crate (as
    // `cargo build --workspace` makes) cannot link the export names.
    #[cfg(target_arch = "wasm32")]
    use super::component::DockerProvider;
    #[cfg(target_arch = "wasm32")]
    export!(DockerProvider);
}

/// The provider's registry name.
pub(crate) const NAME: &str = "docker";

/// Config key: the engine's base URL.
pub(crate) const ENGINE_KEY: &str = "engine";
/// The engine's base URL when the operator sets none: the host maps
/// `docker.localhost` onto the granted unix socket `/var/run/docker.sock`.
pub(crate) const DEFAULT_ENGINE: &str = "http://docker.localhost";

/// The engine's base URL from the operator's config, without a trailing `/`.
pub(crate) fn engine_base(config: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let url = config(ENGINE_KEY).unwrap_or_else(|| DEFAULT_ENGINE.to_owned());
    let base = url.trim().trim_end_matches('/');
    let host = base
        .strip_prefix("http://")
        .or_else(|| base.strip_prefix("https://"));
    match host {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => {
            Ok(base.to_owned())
        }
        _ => Err(format!(
            "config key {ENGINE_KEY} is '{url}', not an http:// or https:// URL (for example \
             {DEFAULT_ENGINE} for the granted unix socket, or http://127.0.0.1:2375)"
        )),
    }
}

/// The six exports, wired to the host's imports (component only).
#[cfg(target_arch = "wasm32")]
mod component {
    use crate::bindings::exports::landlord::compute::provider::Guest;
    use crate::bindings::landlord::compute::config;
    use crate::bindings::landlord::compute::log::{Level, log};
    use crate::bindings::landlord::compute::types::{
        ComputeStatus, ProviderError, ProvisionResult, TenantComputeSpec, UpdateResult,
    };
    use crate::{checks, engine, http, ops};

    /// The provider; its methods are the six exports.
    pub(crate) struct DockerProvider;

    fn config_get(key: &str) -> Option<String> {
        config::get(key)
    }

    fn log_info(message: &str) {
        log(Level::Info, message);
    }

    /// Run `operation` against the configured engine; a bad `engine` config
    /// fails as `fail`.
    fn run<T>(
        fail: fn(String) -> ProviderError,
        operation: impl FnOnce(&ops::Ctx<'_>) -> Result<T, ProviderError>,
    ) -> Result<T, ProviderError> {
        let base = crate::engine_base(&config_get).map_err(fail)?;
        let engine = engine::Api::new(http::WasiHttp::new(base));
        operation(&ops::Ctx {
            engine: &engine,
            log: &log_info,
            config: &config_get,
        })
    }

    impl Guest for DockerProvider {
        fn name() -> String {
            crate::NAME.to_owned()
        }

        fn provision(spec: TenantComputeSpec) -> Result<ProvisionResult, ProviderError> {
            run(ProviderError::ProvisionFailed, |ctx| {
                ops::provision(ctx, &spec)
            })
        }

        fn update(
            tenant_id: String,
            spec: TenantComputeSpec,
        ) -> Result<UpdateResult, ProviderError> {
            run(ProviderError::UpdateFailed, |ctx| {
                ops::update(ctx, &tenant_id, &spec)
            })
        }

        fn destroy(tenant_id: String) -> Result<(), ProviderError> {
            run(ProviderError::OperationFailed, |ctx| {
                ops::destroy(ctx, &tenant_id)
            })
        }

        fn get_status(tenant_id: String) -> Result<ComputeStatus, ProviderError> {
            run(ProviderError::OperationFailed, |ctx| {
                ops::get_status(ctx, &tenant_id)
            })
        }

        fn validate(spec: TenantComputeSpec) -> Result<(), ProviderError> {
            checks::check(&spec, &config_get)
                .map(drop)
                .map_err(ProviderError::InvalidSpec)
        }
    }
}

#[cfg(test)]
mod test_support {
    use crate::bindings::landlord::compute::types::*;

    /// A small valid spec: one busybox container serving port 8080.
    pub(crate) fn spec() -> TenantComputeSpec {
        TenantComputeSpec {
            tenant_id: "acme".into(),
            provider_type: "docker".into(),
            containers: vec![ContainerSpec {
                name: "web".into(),
                image: "landlord-test/busybox:1".into(),
                command: vec![],
                args: vec![],
                env: vec![],
                ports: vec![PortMapping {
                    container_port: 8080,
                    host_port: None,
                    protocol: Protocol::Tcp,
                    name: Some("http".into()),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_engine_url_defaults_to_the_socket_alias_and_must_be_http() {
        assert_eq!(engine_base(&|_| None).unwrap(), "http://docker.localhost");
        let set = |url: &'static str| move |_: &str| Some(url.to_owned());
        assert_eq!(
            engine_base(&set("http://127.0.0.1:2375/")).unwrap(),
            "http://127.0.0.1:2375"
        );
        assert_eq!(
            engine_base(&set("unix:///var/run/docker.sock")).unwrap_err(),
            "config key engine is 'unix:///var/run/docker.sock', not an http:// or https:// URL \
             (for example http://docker.localhost for the granted unix socket, or \
             http://127.0.0.1:2375)"
        );
        assert!(engine_base(&set("http://")).is_err());
    }
}
