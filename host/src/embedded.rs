//! Provider components compiled into the binary, so it works with no
//! configuration: the mock provider (the default) and the Docker provider,
//! each with what the host grants it unless `landlord.toml` says otherwise.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::sandbox::{Limits, Origin};

/// The mock provider component (`providers/mock`), built from source by
/// this crate's build script.
/// (A `static`, not a `const`: a const may be copied into each crate that
/// uses it, and [`sha256_hex`] recognizes these bytes by their address.)
pub static MOCK_COMPONENT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/mock.wasm"));

/// The SHA-256 of [`MOCK_COMPONENT`], lowercase hex, computed when it was
/// built.
pub const MOCK_SHA256: &str = include_str!(concat!(env!("OUT_DIR"), "/mock.sha256"));

/// The Docker provider component (`providers/docker`), built from source by
/// this crate's build script.
pub static DOCKER_COMPONENT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/docker.wasm"));

/// The SHA-256 of [`DOCKER_COMPONENT`], lowercase hex.
pub const DOCKER_SHA256: &str = include_str!(concat!(env!("OUT_DIR"), "/docker.sha256"));

/// The environment variable naming the Docker engine, as the Docker CLI
/// reads it (`unix:///var/run/docker.sock`, `tcp://127.0.0.1:2375`).
pub const DOCKER_HOST_ENV: &str = "DOCKER_HOST";

/// Where the Docker engine listens when `DOCKER_HOST` is unset.
pub const DEFAULT_DOCKER_HOST: &str = "unix:///var/run/docker.sock";

/// One provider compiled into the binary.
#[derive(Debug)]
pub struct EmbeddedProvider {
    /// Its registry name (what its `name()` returns).
    pub name: &'static str,
    /// The component.
    pub component: &'static [u8],
    /// The component's SHA-256, lowercase hex.
    pub sha256: &'static str,
}

/// Every embedded provider.
pub static PROVIDERS: [EmbeddedProvider; 2] = [
    EmbeddedProvider {
        name: "docker",
        component: DOCKER_COMPONENT,
        sha256: DOCKER_SHA256,
    },
    EmbeddedProvider {
        name: "mock",
        component: MOCK_COMPONENT,
        sha256: MOCK_SHA256,
    },
];

/// The embedded provider named `name`, if there is one.
pub fn find(name: &str) -> Option<&'static EmbeddedProvider> {
    PROVIDERS.iter().find(|provider| provider.name == name)
}

/// What the host grants an embedded provider when its `landlord.toml`
/// entry says nothing else: origins, config keys and limits. An entry's own
/// `engines` replaces the engines, its `config` keys win over these, and
/// its limits override these.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmbeddedDefaults {
    /// Docker engines, under the engine policy.
    pub engines: Vec<Origin>,
    /// Config key/values.
    pub config: BTreeMap<String, String>,
    /// Limits.
    pub limits: Limits,
}

impl EmbeddedProvider {
    /// Whether it is granted an engine when its entry names none.
    pub fn has_default_engine(&self) -> bool {
        self.name == "docker"
    }

    /// What the host grants this provider by default. For `docker`: the
    /// local engine, from `DOCKER_HOST` (read now) or
    /// [`DEFAULT_DOCKER_HOST`], with the `engine` config key set to the URL
    /// the provider sends to, and a 120 s deadline per call (creating
    /// containers, and pulling an image where a registry is reachable,
    /// takes longer than the mock's 10 s).
    pub fn defaults(&self) -> Result<EmbeddedDefaults, String> {
        match self.name {
            "docker" => {
                let host = std::env::var(DOCKER_HOST_ENV)
                    .ok()
                    .filter(|host| !host.is_empty());
                let (origin, engine) =
                    docker_engine(host.as_deref().unwrap_or(DEFAULT_DOCKER_HOST))?;
                Ok(EmbeddedDefaults {
                    engines: vec![origin],
                    config: BTreeMap::from([("engine".to_owned(), engine)]),
                    limits: Limits {
                        timeout: Duration::from_secs(120),
                        ..Limits::default()
                    },
                })
            }
            _ => Ok(EmbeddedDefaults::default()),
        }
    }
}

/// The origin to grant for a Docker engine address as `DOCKER_HOST`
/// writes it, and the base URL the provider then sends to:
/// `unix:///var/run/docker.sock` → that socket and `http://docker.localhost`;
/// `tcp://127.0.0.1:2375` → `http://127.0.0.1:2375` for both.
pub fn docker_engine(docker_host: &str) -> Result<(Origin, String), String> {
    let origin = Origin::engine(docker_host).map_err(|err| {
        format!(
            "{DOCKER_HOST_ENV}={}: {err}; the docker provider reaches an engine at unix:///PATH or tcp://HOST:PORT (TLS engines: grant https://HOST:PORT in landlord.toml)",
            crate::text::escape_bounded(docker_host, 256)
        )
    })?;
    let engine = match &origin {
        Origin::UnixSocket { alias, .. } => format!("http://{alias}"),
        network => network.to_string(),
    };
    Ok((origin, engine))
}

/// The SHA-256 (lowercase hex) of `component`: known without hashing for
/// the embedded components.
pub fn sha256_hex(component: &[u8]) -> String {
    if let Some(embedded) = PROVIDERS
        .iter()
        .find(|provider| std::ptr::eq(component, provider.component))
    {
        return embedded.sha256.to_owned();
    }
    use sha2::{Digest, Sha256};
    Sha256::digest(component)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_host_addresses_become_a_grant_and_the_url_the_provider_uses() {
        let (origin, engine) = docker_engine("unix:///var/run/docker.sock").unwrap();
        assert_eq!(origin.to_string(), "unix:///var/run/docker.sock");
        assert_eq!(engine, "http://docker.localhost");
        let (origin, engine) = docker_engine("tcp://127.0.0.1:2375").unwrap();
        assert_eq!(origin.to_string(), "http://127.0.0.1:2375");
        assert_eq!(engine, "http://127.0.0.1:2375");
        let err = docker_engine("ssh://me@build-box").unwrap_err();
        assert!(err.starts_with("DOCKER_HOST=ssh://me@build-box: "), "{err}");
    }

    #[test]
    fn every_embedded_component_is_known_by_its_digest_without_hashing() {
        for provider in &PROVIDERS {
            assert_eq!(sha256_hex(provider.component), provider.sha256);
            // A copy is hashed, and hashes the same.
            let copy: Vec<u8> = provider.component.into();
            assert_eq!(sha256_hex(&copy), provider.sha256);
            assert_eq!(find(provider.name).map(|p| p.name), Some(provider.name));
        }
        assert!(find("nope").is_none());
    }
}
