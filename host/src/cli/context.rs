//! What every subcommand needs: the configuration, the state directory and
//! its database, the runtime with the configured providers (each loaded
//! only when a command needs it), and the manager.

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use landlord::compute::{ComputeStatus, ProvisionResult, TenantComputeSpec, UpdateResult};
use landlord::config::Config;
use landlord::service::ComputeService;
use landlord::state::{CallRecord, SqliteStateStore, StateStore, TenantEntry, TenantQuery};

use super::remote::Remote;
use super::{GlobalOpts, block_on};

/// The library's [`ComputeService`] over the configured state directory.
pub(crate) struct Context {
    pub(crate) service: ComputeService,
}

pub(crate) use landlord::embedded::sha256_hex;

/// The configuration, the state directory and its database, without
/// loading any provider (for commands that only read the database).
pub(crate) fn open_store(
    global: &GlobalOpts,
) -> anyhow::Result<(Config, PathBuf, Arc<SqliteStateStore>)> {
    let config = Config::discover(global.config.as_deref())?;
    let state_dir = config.state_dir(global.state_dir.as_deref());
    let store = Arc::new(landlord::service::open_store(&state_dir)?);
    Ok((config, state_dir, store))
}

impl Context {
    /// Load the configuration, open the state directory and set up the
    /// runtime; providers are loaded when an operation needs one.
    pub(crate) fn open(global: &GlobalOpts) -> anyhow::Result<Self> {
        let config = Config::discover(global.config.as_deref())?;
        let state_dir = config.state_dir(global.state_dir.as_deref());
        Ok(Self {
            service: ComputeService::open(config, &state_dir)?,
        })
    }
}

/// Where a command runs: on this machine's state directory, or against a
/// server (`--server`). Both give the same results, so every command prints
/// them the same way.
pub(crate) enum Backend {
    /// The library, here.
    Local(Box<Context>),
    /// A `landlord serve`.
    Remote(Box<Remote>),
}

impl Backend {
    /// `--server`'s server, else the local state directory.
    pub(crate) fn open(global: &GlobalOpts) -> anyhow::Result<Self> {
        Ok(match Remote::from_global(global)? {
            Some(remote) => Backend::Remote(Box::new(remote)),
            None => Backend::Local(Box::new(Context::open(global)?)),
        })
    }

    pub(crate) fn provision(&self, spec: TenantComputeSpec) -> anyhow::Result<ProvisionResult> {
        match self {
            Backend::Local(ctx) => Ok(block_on(ctx.provision(spec))??),
            Backend::Remote(remote) => remote.provision(&spec),
        }
    }

    pub(crate) fn update(
        &self,
        tenant_id: &str,
        spec: TenantComputeSpec,
    ) -> anyhow::Result<UpdateResult> {
        match self {
            Backend::Local(ctx) => Ok(block_on(ctx.update(tenant_id, spec))??),
            Backend::Remote(remote) => remote.update(tenant_id, &spec),
        }
    }

    /// Destroy; the provider that did it.
    pub(crate) fn destroy(
        &self,
        tenant_id: &str,
        provider: Option<&str>,
    ) -> anyhow::Result<String> {
        match self {
            Backend::Local(ctx) => Ok(block_on(ctx.destroy(tenant_id, provider))??),
            Backend::Remote(remote) => remote.destroy(tenant_id, provider),
        }
    }

    pub(crate) fn status(
        &self,
        tenant_id: &str,
        provider: Option<&str>,
    ) -> anyhow::Result<ComputeStatus> {
        match self {
            Backend::Local(ctx) => Ok(block_on(ctx.status(tenant_id, provider))??),
            Backend::Remote(remote) => remote.status(tenant_id, provider),
        }
    }

    /// Validate; the provider that validated it.
    pub(crate) fn validate(&self, spec: TenantComputeSpec) -> anyhow::Result<String> {
        match self {
            Backend::Local(ctx) => Ok(block_on(ctx.validate(spec))??),
            Backend::Remote(remote) => remote.validate(&spec),
        }
    }
}

/// The tenants the index knows: the server's with `--server`, else the
/// local database's (no runtime, no provider loaded).
pub(crate) fn tenants(global: &GlobalOpts) -> anyhow::Result<Vec<TenantEntry>> {
    match Remote::from_global(global)? {
        Some(remote) => remote.tenants(),
        None => Ok(open_store(global)?.2.tenants(&TenantQuery::default())?),
    }
}

/// The journal (of `tenant_id`, if given), likewise.
pub(crate) fn journal(
    global: &GlobalOpts,
    tenant_id: Option<&str>,
) -> anyhow::Result<Vec<CallRecord>> {
    match Remote::from_global(global)? {
        Some(remote) => remote.history(tenant_id),
        None => Ok(open_store(global)?.2.journal(tenant_id)?),
    }
}

impl Deref for Context {
    type Target = ComputeService;
    fn deref(&self) -> &ComputeService {
        &self.service
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
    /// `--provider`, if given.
    pub(crate) fn flag(&self) -> Option<&str> {
        self.provider.as_deref()
    }
}

/// Whether `path` looks like a component file rather than a provider name.
pub(crate) fn is_path(text: &str) -> bool {
    text.ends_with(".wasm") || text.contains('/') || Path::new(text).is_file()
}
