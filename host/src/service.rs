//! [`ComputeService`]: the one path every tenant operation takes, whether a
//! `landlord` command or `landlord serve` asks for it.
//!
//! An operation is validated once (before anything is loaded or locked),
//! its provider is loaded (a no-op once loaded), the tenant is locked — in
//! this process by an async lock, across processes on the same state
//! directory by a file lock — and the provider is called. The sandbox then
//! keeps the provider's state writes, the journal entry and the tenant index
//! entry in one store transaction: the index never disagrees with the
//! journal.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::compute::tenant_locks::TenantLocks;
use crate::compute::{
    ComputeError, ComputeStatus, Manager, Operation, ProvisionResult, Result, TenantComputeSpec,
    UpdateResult, ValidSpec, validate_tenant_id,
};
use crate::config::Config;
use crate::provider_set::{ProviderSet, ProviderSummary};
use crate::quarantine::{Quarantine, QuarantineView};
use crate::sandbox::{Allocation, Runtime, RuntimeOptions};
use crate::state::{
    CallRecord, Request, SqliteStateStore, StateError, StateStore, TenantEntry, TenantQuery,
    Transition, requested,
};
use crate::text::for_message;

/// The configured providers over one state directory, and the operations on
/// its tenants. Share it (`Arc`) between tasks: operations on different
/// tenants run concurrently, up to the runtime's call slots.
pub struct ComputeService {
    state_dir: PathBuf,
    store: Arc<SqliteStateStore>,
    providers: ProviderSet,
    manager: Manager,
    locks: TenantLocks,
    quarantine: Quarantine,
}

/// Opening a state directory failed.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The directory could not be created.
    #[error("creating the state directory {}: {source}", path.display())]
    StateDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The database could not be opened.
    #[error(transparent)]
    Store(#[from] StateError),
    /// The runtime could not be set up.
    #[error("setting up the WebAssembly runtime: {0}")]
    Runtime(String),
}

impl ComputeService {
    /// Open `state_dir` (creating it) and its database, and set up a runtime
    /// for the providers `config` declares. Nothing is loaded yet: see
    /// [`load`](Self::load) and [`ProviderSet::load_all`].
    pub fn open(config: Config, state_dir: &Path) -> std::result::Result<Self, OpenError> {
        let store = Arc::new(open_store(state_dir)?);
        let fuel = config
            .providers
            .values()
            .any(|entry| entry.limits.fuel.is_some());
        let runtime = Runtime::with_options(RuntimeOptions {
            fuel,
            cache_dir: Some(state_dir.join("cache")),
            allocation: Allocation::OnDemand,
            ..RuntimeOptions::default()
        })
        .map_err(|err| OpenError::Runtime(err.to_string()))?;
        let config_quarantine = config.quarantine;
        let providers = ProviderSet::new(config, runtime, store.clone());
        Ok(Self {
            state_dir: state_dir.to_owned(),
            manager: Manager::new(Arc::clone(providers.registry())),
            store,
            providers,
            locks: TenantLocks::default(),
            quarantine: Quarantine::new(config_quarantine),
        })
    }

    /// The state directory.
    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    /// The database: state, journal and tenant index.
    pub fn store(&self) -> &Arc<SqliteStateStore> {
        &self.store
    }

    /// The configured providers.
    pub fn providers(&self) -> &ProviderSet {
        &self.providers
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        self.providers.config()
    }

    /// Load the provider `name` (a no-op once loaded).
    pub fn load(&self, name: &str) -> Result<()> {
        self.providers.load(name).map(drop)
    }

    /// The provider of `tenant_id`: `flag`, else the tenant index's, else
    /// the default provider.
    pub fn provider_of(&self, tenant_id: &str, flag: Option<&str>) -> Result<String> {
        if let Some(provider) = flag {
            return Ok(provider.to_owned());
        }
        let entry = self
            .store
            .tenant(tenant_id)
            .map_err(|err| store_failed("", Operation::GetStatus, err))?;
        Ok(match entry {
            Some(entry) => entry.provider,
            None => self.config().default_provider(),
        })
    }

    /// Provision `spec` (its provider: the spec's, else the default).
    pub async fn provision(&self, mut spec: TenantComputeSpec) -> Result<ProvisionResult> {
        self.default_provider(&mut spec);
        let valid = ValidSpec::check(&spec)?;
        self.load(&spec.provider_type)?;
        let _held = self
            .hold(&spec.tenant_id, &spec.provider_type, Operation::Provision)
            .await?;
        self.check_existing(&spec, Operation::Provision)?;
        self.provision_held(valid, Asker::User).await
    }

    /// Provision a checked spec whose tenant the caller holds.
    pub(crate) async fn provision_held(
        &self,
        valid: ValidSpec<'_>,
        asker: Asker,
    ) -> Result<ProvisionResult> {
        let spec = valid.spec();
        let asked = asker.request(Operation::Provision, &spec.provider_type, Some(spec));
        self.guarded(
            &spec.provider_type,
            Operation::Provision,
            asked.map(|request| (spec.tenant_id.as_str(), request)),
            self.manager.provision_valid(valid),
        )
        .await
    }

    /// Update `tenant_id` to `spec` (its provider: the spec's, else the
    /// tenant's, else the default).
    pub async fn update(
        &self,
        tenant_id: &str,
        mut spec: TenantComputeSpec,
    ) -> Result<UpdateResult> {
        validate_tenant_id(tenant_id)?;
        if spec.provider_type.is_empty() {
            spec.provider_type = self.provider_of(tenant_id, None)?;
        }
        let valid = ValidSpec::check_update(tenant_id, &spec)?;
        self.load(&spec.provider_type)?;
        let _held = self
            .hold(tenant_id, &spec.provider_type, Operation::Update)
            .await?;
        self.check_existing(&spec, Operation::Update)?;
        self.update_held(valid, Asker::User).await
    }

    /// Update to a checked spec whose tenant the caller holds.
    pub(crate) async fn update_held(
        &self,
        valid: ValidSpec<'_>,
        asker: Asker,
    ) -> Result<UpdateResult> {
        let spec = valid.spec();
        let asked = asker.request(Operation::Update, &spec.provider_type, Some(spec));
        self.guarded(
            &spec.provider_type,
            Operation::Update,
            asked.map(|request| (spec.tenant_id.as_str(), request)),
            self.manager.update_valid(valid),
        )
        .await
    }

    /// Destroy `tenant_id` with `provider` (else the tenant's, else the
    /// default); the provider's name when done. Destroying a tenant that
    /// does not exist succeeds.
    pub async fn destroy(&self, tenant_id: &str, provider: Option<&str>) -> Result<String> {
        validate_tenant_id(tenant_id)?;
        let provider = self.provider_of(tenant_id, provider)?;
        self.load(&provider)?;
        let _held = self.hold(tenant_id, &provider, Operation::Destroy).await?;
        self.destroy_held(tenant_id, &provider, Asker::User).await?;
        Ok(provider)
    }

    /// Destroy a tenant the caller holds.
    pub(crate) async fn destroy_held(
        &self,
        tenant_id: &str,
        provider: &str,
        asker: Asker,
    ) -> Result<()> {
        let asked = asker.request(Operation::Destroy, provider, None);
        self.guarded(
            provider,
            Operation::Destroy,
            asked.map(|request| (tenant_id, request)),
            self.manager.destroy_tenant(tenant_id, provider),
        )
        .await
    }

    /// The status of `tenant_id` as `provider` (else the tenant's, else the
    /// default) sees it. A read: it takes no lock.
    pub async fn status(&self, tenant_id: &str, provider: Option<&str>) -> Result<ComputeStatus> {
        validate_tenant_id(tenant_id)?;
        let provider = self.provider_of(tenant_id, provider)?;
        self.load(&provider)?;
        self.guarded(
            &provider,
            Operation::GetStatus,
            None,
            self.manager.get_tenant_status(tenant_id, &provider),
        )
        .await
    }

    /// Validate `spec` with the host's rules and its provider's (the spec's,
    /// else the default); nothing is provisioned. The provider that
    /// validated it.
    pub async fn validate(&self, mut spec: TenantComputeSpec) -> Result<String> {
        self.default_provider(&mut spec);
        let valid = ValidSpec::check(&spec)?;
        self.load(&spec.provider_type)?;
        let provider = spec.provider_type.clone();
        self.guarded(
            &provider,
            Operation::Validate,
            None,
            self.manager.validate_valid(valid),
        )
        .await?;
        Ok(provider)
    }

    /// The index entry of `tenant_id`, if the host has seen it.
    pub fn tenant(&self, tenant_id: &str) -> std::result::Result<Option<TenantEntry>, StateError> {
        self.store.tenant(tenant_id)
    }

    /// The tenants `query` selects, by id.
    pub fn tenants(
        &self,
        query: &TenantQuery,
    ) -> std::result::Result<Vec<TenantEntry>, StateError> {
        self.store.tenants(query)
    }

    /// The journal, oldest first (every call, or those about `tenant_id`).
    pub fn journal(
        &self,
        tenant_id: Option<&str>,
    ) -> std::result::Result<Vec<CallRecord>, StateError> {
        self.store.journal(tenant_id)
    }

    /// The journal's `last` entries, oldest first (of every call, or of
    /// those about `tenant_id`).
    pub fn journal_tail(
        &self,
        tenant_id: Option<&str>,
        last: usize,
    ) -> std::result::Result<Vec<CallRecord>, StateError> {
        self.store.journal_tail(tenant_id, last)
    }

    /// `provider`'s quarantine now (see [`quarantine`](crate::quarantine)).
    pub fn quarantine(&self, provider: &str) -> QuarantineView {
        self.quarantine.view(provider)
    }

    /// Load every configured provider; each one's summary, with its
    /// quarantine.
    pub fn provider_summaries(&self) -> Vec<(ProviderSummary, Result<()>)> {
        self.providers
            .load_all()
            .into_iter()
            .map(|(name, loaded)| {
                let summary = self.provider_summary(&name, &loaded);
                (summary, loaded.map(drop))
            })
            .collect()
    }

    /// The summary of `name` after `loaded` (a load), with its quarantine.
    pub fn provider_summary(
        &self,
        name: &str,
        loaded: &Result<crate::provider_set::ProviderInfo>,
    ) -> ProviderSummary {
        let mut summary = self.providers.summary(name, loaded);
        summary.quarantine = Some(self.quarantine(name));
        summary
    }

    /// `tenant_id`'s lifecycle transitions, oldest first.
    pub fn transitions(&self, tenant_id: &str) -> std::result::Result<Vec<Transition>, StateError> {
        self.store.transitions(tenant_id)
    }

    /// Make `call` to `provider` unless it is quarantined, and count how it
    /// went towards its quarantine. A user's `request` about a tenant is
    /// recorded in the index first (a new desired state), once the call is
    /// sure to be made.
    async fn guarded<T>(
        &self,
        provider: &str,
        operation: Operation,
        request: Option<(&str, Request)>,
        call: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        let permit = self.quarantine.admit(provider, operation)?;
        if let Some((tenant_id, request)) = request {
            self.store
                .change_tenant(tenant_id, &mut |previous| {
                    requested(previous, tenant_id, &request)
                })
                .map_err(|err| store_failed(provider, operation, err))?;
        }
        let result = call.await;
        permit.finish(result.as_ref().err().map(ComputeError::kind));
        result
    }

    /// Fill in the default provider when the spec names none.
    fn default_provider(&self, spec: &mut TenantComputeSpec) {
        if spec.provider_type.is_empty() {
            spec.provider_type = self.config().default_provider();
        }
    }

    /// What the index holds must allow the operation; checked with the
    /// tenant held, so no other operation changes it meanwhile. A tenant
    /// that runs on one provider cannot be provisioned or updated on
    /// another (destroy it first), and a provisioned tenant is provisioned
    /// again only with the spec it has (an update changes a spec). Both are
    /// [`ComputeError::TenantExists`], refused before the provider is called.
    fn check_existing(&self, spec: &TenantComputeSpec, operation: Operation) -> Result<()> {
        let entry = self
            .store
            .tenant(&spec.tenant_id)
            .map_err(|err| store_failed(&spec.provider_type, operation, err))?;
        let Some(entry) = entry.filter(|entry| entry.state.holds_compute()) else {
            return Ok(());
        };
        let exists = |reason: String| {
            Err(ComputeError::TenantExists {
                provider: entry.provider.clone(),
                tenant_id: spec.tenant_id.clone(),
                reason,
            })
        };
        if entry.provider != spec.provider_type {
            return exists(format!(
                "it cannot be {} on provider {}; destroy it on {} first, or name {} in provider_type",
                if operation == Operation::Provision {
                    "provisioned"
                } else {
                    "updated"
                },
                for_message(&spec.provider_type),
                for_message(&entry.provider),
                for_message(&entry.provider),
            ));
        }
        if operation == Operation::Provision
            && entry.spec.is_some()
            && entry.spec != serde_json::to_value(spec).ok()
        {
            return exists(
                "it was provisioned with another spec; update it (PUT /v1/tenants/{id}, \
                 `landlord update`) to change its spec"
                    .to_owned(),
            );
        }
        Ok(())
    }

    /// Hold `tenant_id` against every other operation on it: first in this
    /// process (waiting without a thread), then against other processes on
    /// this state directory (a file lock, waited for on a blocking thread).
    pub(crate) async fn hold(
        &self,
        tenant_id: &str,
        provider: &str,
        operation: Operation,
    ) -> Result<Held<'_>> {
        let in_process = self.locks.lock(tenant_id).await;
        let dir = self.state_dir.join("locks");
        let path = dir.join(format!("{tenant_id}.lock"));
        let locking = tokio::task::spawn_blocking(move || -> std::io::Result<File> {
            std::fs::create_dir_all(&dir)?;
            let file = File::create(&path)?;
            file.lock()?;
            Ok(file)
        });
        let file = match locking.await {
            Ok(locked) => locked.map_err(|err| err.to_string()),
            Err(join) => Err(join.to_string()),
        }
        .map_err(|err| {
            store_failed(
                provider,
                operation,
                StateError(format!("locking tenant {tenant_id}: {err}")),
            )
        })?;
        Ok(Held {
            _file: file,
            _in_process: in_process,
        })
    }
}

/// The error for a store (or lock) that failed around a call of `provider`.
fn store_failed(provider: &str, operation: Operation, err: StateError) -> ComputeError {
    ComputeError::State {
        provider: provider.to_owned(),
        operation,
        message: err.0,
    }
}

/// Who asks for an operation: a user changes the desired state (recorded
/// before the call), the reconciler applies it (only the call's outcome is
/// recorded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Asker {
    /// A user, through a command or the API.
    User,
    /// The reconciler.
    Reconciler,
}

impl Asker {
    /// The request to record before calling, if any.
    fn request(
        self,
        operation: Operation,
        provider: &str,
        spec: Option<&TenantComputeSpec>,
    ) -> Option<Request> {
        (self == Asker::User).then(|| Request {
            operation,
            provider: provider.to_owned(),
            spec: spec.and_then(|spec| serde_json::to_value(spec).ok()),
            at: chrono::Utc::now(),
        })
    }
}

/// A tenant held by one operation; dropping it lets the next one in (the
/// file lock first, then the in-process one).
pub(crate) struct Held<'a> {
    _file: File,
    _in_process: crate::compute::tenant_locks::TenantGuard<'a>,
}

/// Open (creating) `state_dir` and its database, `state.db`, without a
/// runtime: for commands that only read the index and the journal.
pub fn open_store(state_dir: &Path) -> std::result::Result<SqliteStateStore, OpenError> {
    std::fs::create_dir_all(state_dir).map_err(|source| OpenError::StateDir {
        path: state_dir.to_owned(),
        source,
    })?;
    Ok(SqliteStateStore::open(&state_dir.join("state.db"))?)
}
