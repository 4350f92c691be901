//! What every subcommand needs: the configuration, the state directory and
//! its database, the runtime with the configured providers (each loaded
//! only when a command needs it), and the manager.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use landlord::compute::{ComputeError, Manager, Operation, TenantComputeSpec};
use landlord::config::Config;
use landlord::provider_set::ProviderSet;
use landlord::sandbox::{Runtime, RuntimeOptions};
use landlord::state::{SqliteStateStore, TenantEntry};

use super::GlobalOpts;

pub(crate) struct Context {
    pub(crate) state_dir: PathBuf,
    pub(crate) store: Arc<SqliteStateStore>,
    pub(crate) manager: Manager,
    pub(crate) providers: ProviderSet,
    pub(crate) format: super::output::OutputFormat,
}

pub(crate) use landlord::embedded::sha256_hex;

/// The configuration, the state directory and its database, without
/// loading any provider (for commands that only read the database).
pub(crate) fn open_store(
    global: &GlobalOpts,
) -> anyhow::Result<(Config, PathBuf, Arc<SqliteStateStore>)> {
    let config = Config::discover(global.config.as_deref())?;
    let state_dir = config.state_dir(global.state_dir.as_deref());
    std::fs::create_dir_all(&state_dir)
        .with_context(|| format!("creating the state directory {}", state_dir.display()))?;
    let store = Arc::new(SqliteStateStore::open(&state_dir.join("state.db"))?);
    Ok((config, state_dir, store))
}

impl Context {
    /// Load the configuration, open the state directory and set up the
    /// runtime; providers are loaded by [`load`](Self::load), when a
    /// command knows which one it needs.
    pub(crate) fn open(global: &GlobalOpts) -> anyhow::Result<Self> {
        let (config, state_dir, store) = open_store(global)?;
        let fuel = config
            .providers
            .values()
            .any(|entry| entry.limits.fuel.is_some());
        let runtime = Runtime::with_options(RuntimeOptions {
            fuel,
            cache_dir: Some(state_dir.join("cache")),
            allocation: landlord::sandbox::Allocation::OnDemand,
            ..RuntimeOptions::default()
        })?;
        let providers = ProviderSet::new(config, runtime, store.clone());
        Ok(Self {
            state_dir,
            store,
            manager: Manager::new(Arc::clone(providers.registry())),
            providers,
            format: global.output,
        })
    }

    /// The configuration in force.
    pub(crate) fn config(&self) -> &Config {
        self.providers.config()
    }

    /// Load the provider `name` (a no-op once loaded); an undeclared name
    /// is `ProviderNotFound`, a component that cannot be loaded a load
    /// error (exit 2).
    pub(crate) fn load(&self, name: &str) -> anyhow::Result<()> {
        self.providers.load(name)?;
        Ok(())
    }

    /// Apply `--provider`, or the default provider when the spec names none.
    pub(crate) fn choose_provider(&self, spec: &mut TenantComputeSpec, flag: Option<&str>) {
        if let Some(provider) = flag {
            spec.provider_type = provider.to_owned();
        } else if spec.provider_type.is_empty() {
            spec.provider_type = self.config().default_provider();
        }
    }

    /// The provider of `tenant_id`: `--provider`, else the tenant index,
    /// else the default provider.
    pub(crate) fn provider_of(
        &self,
        tenant_id: &str,
        flag: Option<&str>,
    ) -> anyhow::Result<String> {
        if let Some(provider) = flag {
            return Ok(provider.to_owned());
        }
        Ok(match self.store.tenant(tenant_id)? {
            Some(entry) => entry.provider,
            None => self.config().default_provider(),
        })
    }

    /// Hold `tenant_id` against every other landlord process on this state
    /// directory until the returned file is dropped.
    pub(crate) fn lock_tenant(&self, tenant_id: &str) -> anyhow::Result<File> {
        landlord::compute::validate_tenant_id(tenant_id)?;
        let dir = self.state_dir.join("locks");
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let path: PathBuf = dir.join(format!("{tenant_id}.lock"));
        let file = File::create(&path).with_context(|| format!("opening {}", path.display()))?;
        file.lock()
            .with_context(|| format!("locking {}", path.display()))?;
        Ok(file)
    }
}

impl Context {
    /// Note in the tenant index how `operation` on `tenant_id` went. Requests
    /// that never reached a provider (a bad spec, an unknown provider or
    /// tenant) leave it alone.
    pub(crate) fn index<T: serde::Serialize>(
        &self,
        operation: Operation,
        tenant_id: &str,
        provider: &str,
        spec: Option<&TenantComputeSpec>,
        outcome: &Result<T, ComputeError>,
    ) -> anyhow::Result<()> {
        let previous = self.store.tenant(tenant_id)?;
        if previous.is_none() && operation == Operation::Destroy {
            // Destroying a tenant this host never knew: nothing to index.
            return Ok(());
        }
        // A failed operation keeps the last spec that was applied: the
        // index holds what the tenant runs, not what was refused.
        let (state, last_outcome, result, spec) = match outcome {
            Ok(value) => (
                if operation == Operation::Destroy {
                    "destroyed"
                } else {
                    "provisioned"
                }
                .to_owned(),
                "ok".to_owned(),
                serde_json::to_value(value)
                    .ok()
                    .filter(|value| !value.is_null()),
                spec.and_then(|spec| serde_json::to_value(spec).ok()),
            ),
            Err(err) if err.kind().is_caller_error() => return Ok(()),
            Err(err) => (
                previous
                    .as_ref()
                    .map_or_else(|| "failed".to_owned(), |entry| entry.state.clone()),
                super::output::name(&err.kind()),
                previous.as_ref().and_then(|entry| entry.result.clone()),
                previous.as_ref().and_then(|entry| entry.spec.clone()),
            ),
        };
        self.store.record_tenant(&TenantEntry {
            tenant_id: tenant_id.to_owned(),
            provider: provider.to_owned(),
            state,
            last_operation: operation.as_str().to_owned(),
            last_outcome,
            spec,
            result,
            updated_at: chrono::Utc::now(),
        })?;
        Ok(())
    }
}

/// A tenant id and a provider override, as `destroy` and `status` take them.
#[derive(Debug, clap::Args)]
pub(crate) struct TenantArgs {
    /// The tenant
    pub(crate) tenant_id: String,
    /// The provider [default: the tenant's provider from the tenant index, else the default provider]
    #[arg(long)]
    provider: Option<String>,
}

impl TenantArgs {
    /// `--provider`, else the tenant's provider from the index, else the
    /// default provider.
    pub(crate) fn provider(&self, ctx: &Context) -> anyhow::Result<String> {
        ctx.provider_of(&self.tenant_id, self.provider.as_deref())
    }
}

/// Whether `path` looks like a component file rather than a provider name.
pub(crate) fn is_path(text: &str) -> bool {
    text.ends_with(".wasm") || text.contains('/') || Path::new(text).is_file()
}
