//! The providers a configuration names, loaded when first needed.
//!
//! A [`ProviderSet`] knows every provider `landlord.toml` declares (and the
//! embedded mock unless the file replaces it), but compiles a component and
//! asks its `name()` only when an operation needs that provider: a provider
//! that is slow to load, or cannot be loaded at all, costs nothing to
//! commands about tenants of other providers. Loading checks the digest
//! pin, the grants and the limits, and registers the provider in the
//! set's [`Registry`], which the [`Manager`](crate::compute::Manager)
//! routes through.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use crate::compute::{ComputeError, Provider, Registry};
use crate::config::{Config, ProviderEntry};
use crate::embedded::{EmbeddedDefaults, EmbeddedProvider};
use crate::input::ReadError;
use crate::quarantine::QuarantineView;
use crate::sandbox::{Grants, Limits, ProviderSettings, Runtime, WasmProvider};
use crate::state::StateStore;

/// Largest component file the host reads, in bytes. The largest real
/// provider here (the Python mock) is about 18 MiB.
pub const MAX_COMPONENT_BYTES: u64 = 256 << 20;

/// A provider's component: where it came from, its bytes and their SHA-256.
#[derive(Debug, Clone)]
pub struct ComponentSource {
    /// `embedded`, or the file's path.
    pub origin: String,
    /// The component.
    pub bytes: Cow<'static, [u8]>,
    /// Its SHA-256, lowercase hex.
    pub sha256: String,
}

impl ComponentSource {
    /// The origin of a component compiled into the binary.
    pub const EMBEDDED: &str = "embedded";

    /// An embedded provider's component.
    pub fn embedded(provider: &EmbeddedProvider) -> Self {
        Self {
            origin: Self::EMBEDDED.to_owned(),
            bytes: Cow::Borrowed(provider.component),
            sha256: provider.sha256.to_owned(),
        }
    }

    /// The component file at `path`, read with [`read_component`].
    pub fn file(path: &Path) -> Result<Self, String> {
        let bytes = read_component(path)?;
        Ok(Self {
            origin: path.display().to_string(),
            sha256: crate::embedded::sha256_hex(&bytes),
            bytes: Cow::Owned(bytes),
        })
    }
}

/// Read a component file: it must be a regular file (not a device, a FIFO
/// or a directory, which could block or never end) of at most
/// [`MAX_COMPONENT_BYTES`]. `Err` says why, for a load error.
pub fn read_component(path: &Path) -> Result<Vec<u8>, String> {
    crate::input::read_regular_file(path, MAX_COMPONENT_BYTES).map_err(|err| match err {
        ReadError::Io(err) => format!("cannot read it: {err}"),
        ReadError::NotRegularFile { kind } => {
            format!("it is {kind}, not a regular file; point `component` at a .wasm file")
        }
        ReadError::TooLarge { limit } => {
            format!("it is larger than the {limit} bytes a component may have")
        }
    })
}

/// A loaded provider, as `providers list` shows it.
#[derive(Debug, Clone)]
pub struct ProviderInfo {
    /// Its registry name.
    pub name: String,
    /// `embedded`, or the component file.
    pub source: String,
    /// The component's SHA-256, lowercase hex.
    pub sha256: String,
    /// The limits its calls run under.
    pub limits: Limits,
    /// What it may import.
    pub grants: Grants,
}

/// One provider as `providers list` and `GET /v1/providers` show it: a
/// loaded provider with its digest, limits and grants, or why it did not
/// load.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ProviderSummary {
    /// Its registry name.
    pub name: String,
    /// `embedded`, or the component file.
    pub source: String,
    /// The component's SHA-256, lowercase hex (absent when not loaded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Its linear-memory cap, MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_mib: Option<u64>,
    /// Its deadline per call, milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// Its fuel per call, when metered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuel: Option<u64>,
    /// The capabilities it is granted (`log`, `state`, `config`, `outbound`, `engine`).
    pub grants: Vec<String>,
    /// The origins of its outbound grant (empty: none).
    pub outbound: Vec<String>,
    /// The engines it is granted (empty: none).
    pub engines: Vec<String>,
    /// What its engine policy loosens (`key = value` each; empty: nothing,
    /// or no engine).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub engine_policy_loosened: Vec<String>,
    /// Its grants as a text listing shows them, one each (`outbound(…)`
    /// with its origins, `engine(…)` with its policy).
    #[serde(default)]
    pub described: Vec<String>,
    /// Why the provider could not be loaded; absent when it loaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Its quarantine in the process that answers (the server's, or a
    /// one-shot command's: closed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quarantine: Option<QuarantineView>,
}

impl ProviderSummary {
    /// The summary of a loaded provider.
    pub fn loaded(info: &ProviderInfo) -> Self {
        let grants = &info.grants;
        Self {
            name: info.name.clone(),
            source: info.source.clone(),
            sha256: Some(info.sha256.clone()),
            memory_mib: Some((info.limits.memory_bytes >> 20) as u64),
            timeout_ms: Some(u64::try_from(info.limits.timeout.as_millis()).unwrap_or(u64::MAX)),
            fuel: info.limits.fuel,
            grants: grants.names().into_iter().map(str::to_owned).collect(),
            outbound: grants.outbound().iter().map(ToString::to_string).collect(),
            engines: grants
                .engine()
                .map(|(engines, _)| engines.iter().map(ToString::to_string).collect())
                .unwrap_or_default(),
            engine_policy_loosened: grants
                .engine()
                .map(|(_, policy)| policy.loosened())
                .unwrap_or_default(),
            described: grants.describe(),
            error: None,
            quarantine: None,
        }
    }

    /// The summary of a provider that could not be loaded.
    pub fn failed(name: &str, source: String, err: &ComputeError) -> Self {
        Self {
            name: name.to_owned(),
            source,
            sha256: None,
            memory_mib: None,
            timeout_ms: None,
            fuel: None,
            grants: Vec::new(),
            outbound: Vec::new(),
            engines: Vec::new(),
            engine_policy_loosened: Vec::new(),
            described: Vec::new(),
            error: Some(err.to_string()),
            quarantine: None,
        }
    }
}

/// The configured providers, loaded on demand into one registry.
pub struct ProviderSet {
    config: Config,
    runtime: Runtime,
    store: Arc<dyn StateStore>,
    registry: Arc<Registry>,
    loaded: Mutex<BTreeMap<String, ProviderInfo>>,
}

impl ProviderSet {
    /// The providers `config` names, to be loaded into `runtime` over
    /// `store`. Nothing is read or compiled yet.
    pub fn new(config: Config, runtime: Runtime, store: Arc<dyn StateStore>) -> Self {
        Self {
            config,
            runtime,
            store,
            registry: Arc::new(Registry::new()),
            loaded: Mutex::new(BTreeMap::new()),
        }
    }

    /// The registry loaded providers are registered in.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// The configuration the set was made from.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Every provider name the configuration declares, with the embedded
    /// providers' names, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.config.providers.keys().cloned().collect();
        for embedded in &crate::embedded::PROVIDERS {
            if !self.config.providers.contains_key(embedded.name) {
                names.push(embedded.name.to_owned());
            }
        }
        names.sort();
        names
    }

    /// The configuration entry of `name` (an empty one for an embedded
    /// provider the file does not mention), or `ProviderNotFound` listing
    /// the declared names.
    pub fn entry(&self, name: &str) -> Result<ProviderEntry, ComputeError> {
        match self.config.providers.get(name) {
            Some(entry) => Ok(entry.clone()),
            None if crate::embedded::find(name).is_some() => Ok(ProviderEntry::default()),
            None => Err(ComputeError::ProviderNotFound {
                name: name.to_owned(),
                available: self.names().join(", "),
            }),
        }
    }

    /// The component of `name`, read and checked against its digest pin.
    pub fn source(&self, name: &str) -> Result<ComponentSource, ComputeError> {
        source_of(name, &self.entry(name)?)
    }

    /// Where the component of `name` comes from, as listings show it:
    /// `embedded`, or the file's path. Nothing is read.
    pub fn origin(&self, name: &str) -> Result<String, ComputeError> {
        Ok(match self.entry(name)?.component {
            Some(path) => path.display().to_string(),
            None => ComponentSource::EMBEDDED.to_owned(),
        })
    }

    /// What the operator grants `name` (config, limits, grants).
    pub fn settings(&self, name: &str) -> Result<ProviderSettings, ComputeError> {
        settings_of(name, &self.entry(name)?)
    }

    /// Load `name` if it is not loaded yet: read its component, check its
    /// pin, compile it, ask its name (which must equal `name`) and register
    /// it. Loading twice loads once.
    pub fn load(&self, name: &str) -> Result<ProviderInfo, ComputeError> {
        let mut loaded = self.loaded.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(info) = loaded.get(name) {
            return Ok(info.clone());
        }
        let entry = self.entry(name)?;
        let source = source_of(name, &entry)?;
        let provider = WasmProvider::load(
            &self.runtime,
            &source.origin,
            &source.bytes,
            settings_of(name, &entry)?,
            Arc::clone(&self.store),
        )?;

        if provider.name() != name {
            return Err(ComputeError::Load {
                source_name: source.origin,
                message: format!(
                    "it names itself '{}', but the configuration declares it as [providers.{name}]",
                    provider.name()
                ),
            });
        }
        let info = ProviderInfo {
            name: name.to_owned(),
            source: source.origin,
            sha256: source.sha256,
            limits: provider.limits().clone(),
            grants: provider.grants().clone(),
        };
        self.registry.register(Arc::new(provider))?;
        loaded.insert(name.to_owned(), info.clone());
        Ok(info)
    }

    /// The summary of `name` after `loaded` (a [`load`](Self::load)).
    pub fn summary(
        &self,
        name: &str,
        loaded: &Result<ProviderInfo, ComputeError>,
    ) -> ProviderSummary {
        match loaded {
            Ok(info) => ProviderSummary::loaded(info),
            Err(err) => ProviderSummary::failed(name, self.origin(name).unwrap_or_default(), err),
        }
    }

    /// Load every declared provider; each name with how its load went.
    pub fn load_all(&self) -> Vec<(String, Result<ProviderInfo, ComputeError>)> {
        self.names()
            .into_iter()
            .map(|name| {
                let loaded = self.load(&name);
                (name, loaded)
            })
            .collect()
    }
}

/// The component `entry` names for the provider `name`, read and checked
/// against its digest pin.
fn source_of(name: &str, entry: &ProviderEntry) -> Result<ComponentSource, ComputeError> {
    let source = match &entry.component {
        Some(path) => ComponentSource::file(path).map_err(|message| ComputeError::Load {
            source_name: path.display().to_string(),
            message: format!("[providers.{name}]: {message}"),
        })?,
        None => match crate::embedded::find(name) {
            Some(embedded) => ComponentSource::embedded(embedded),
            None => {
                return Err(ComputeError::Load {
                    source_name: name.to_owned(),
                    message: format!(
                        "[providers.{name}] names no component, and no provider of that name is embedded"
                    ),
                });
            }
        },
    };
    if let Some(pinned) = &entry.sha256
        && !pinned.eq_ignore_ascii_case(&source.sha256)
    {
        return Err(ComputeError::Load {
            source_name: source.origin,
            message: format!(
                "its sha256 is {}, but [providers.{name}].sha256 pins {pinned}; refusing a component that changed",
                source.sha256
            ),
        });
    }
    Ok(source)
}

/// The settings the entry of provider `name` grants. An embedded provider
/// the entry gives no `component` starts from its own defaults (the docker
/// provider: its local engine); the entry's `engines` replaces theirs, its
/// `config` keys win over theirs, its limits override theirs. A loosened
/// engine policy is logged as a warning, never applied silently.
pub fn settings_of(name: &str, entry: &ProviderEntry) -> Result<ProviderSettings, ComputeError> {
    let defaults = match (&entry.component, crate::embedded::find(name)) {
        (None, Some(embedded)) => embedded.defaults().map_err(|message| ComputeError::Load {
            source_name: ComponentSource::EMBEDDED.to_owned(),
            message: format!("[providers.{name}]: {message}"),
        })?,
        _ => EmbeddedDefaults::default(),
    };
    let mut config = defaults.config;
    config.extend(entry.config.clone());
    let grants = entry.grants(&defaults.engines);
    if let Some((engines, policy)) = grants.engine()
        && !policy.is_default()
    {
        let engines: Vec<String> = engines.iter().map(ToString::to_string).collect();
        tracing::warn!(provider = name, engines = %engines.join(", "), loosened = %policy.loosened().join("; "), "engine policy loosened for this provider");
    }
    Ok(ProviderSettings {
        config,
        limits: entry.limits.apply(defaults.limits),
        grants,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::MemoryStateStore;

    fn set(toml: &str, dir: &Path) -> ProviderSet {
        let config = Config::parse(toml, &dir.join("landlord.toml")).unwrap();
        let runtime = Runtime::new().unwrap();
        ProviderSet::new(config, runtime, Arc::new(MemoryStateStore::new()))
    }

    #[test]
    fn a_provider_that_cannot_load_does_not_stop_another_from_loading() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("broken.wasm"), b"not a component").unwrap();
        let set = set(
            "[providers.broken]\ncomponent = \"broken.wasm\"\n",
            dir.path(),
        );
        assert_eq!(set.names(), ["broken", "docker", "mock"]);
        // Nothing is loaded until asked for.
        assert!(set.registry().list().is_empty());
        let mock = set.load("mock").unwrap();
        assert_eq!(
            (mock.name.as_str(), mock.source.as_str()),
            ("mock", "embedded")
        );
        assert_eq!(set.registry().list(), ["mock"]);
        let err = set.load("broken").unwrap_err();
        assert_eq!(err.kind(), crate::compute::ErrorKind::Load, "{err}");
        // Loading again is a lookup.
        set.load("mock").unwrap();
        assert_eq!(set.registry().list(), ["mock"]);
        let err = set.load("nope").unwrap_err();
        assert!(
            err.to_string().contains("registered: broken, docker, mock"),
            "{err}"
        );
    }

    #[test]
    fn a_component_that_is_no_regular_file_or_too_large_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_component(Path::new("/dev/zero")).unwrap_err();
        assert!(err.contains("a device, not a regular file"), "{err}");
        let huge = dir.path().join("huge.wasm");
        let file = std::fs::File::create(&huge).unwrap();
        file.set_len(MAX_COMPONENT_BYTES + 1).unwrap(); // sparse: no disk used
        let err = read_component(&huge).unwrap_err();
        assert!(err.contains("larger than the 268435456 bytes"), "{err}");
        let missing = read_component(&dir.path().join("missing.wasm")).unwrap_err();
        assert!(missing.contains("cannot read it"), "{missing}");
    }
}
