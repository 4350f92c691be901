//! The host's durable side: providers' key/value state and the operation
//! journal. The sandbox reads state through a [`StateStore`] and buffers a
//! call's writes; when the call ends it hands the writes (none, if the call
//! was contained) and the call's [`FinishedCall`] to
//! [`StateStore::finish_call`], which keeps the writes, the journal entry and
//! the tenant index entry it implies ([`next_entry`]) all together or none.

mod idempotency;
pub(crate) mod memory;
mod sqlite;
mod tenants;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use idempotency::{RETENTION as IDEMPOTENCY_RETENTION, RememberedAnswer};
pub use memory::MemoryStateStore;
pub use sqlite::SqliteStateStore;
pub use tenants::{
    MAX_REASON, Outcome, Request, TenantEntry, TenantQuery, TenantState, Transition, Verdict,
    attempt_failed, next_entry, observed, requested, transition,
};

use crate::compute::{ErrorKind, Operation};

/// One buffered write: `Some(value)` sets the key, `None` deletes it.
pub type StateWrite = (String, Option<Vec<u8>>);

/// A store failed; the message says why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("state store unavailable: {0}")]
pub struct StateError(pub String);

/// How a provider call ended, for the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum CallOutcome {
    /// The provider returned a result.
    Ok,
    /// The provider returned an error, or the sandbox contained it.
    Failed {
        /// The error's kind.
        kind: ErrorKind,
        /// The error's message.
        message: String,
    },
}

/// One entry of the operation journal: a provider call that may change a
/// tenant (provision, update, destroy). Reads (status, validate) are not
/// journaled: asking changes nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CallRecord {
    /// When the call started.
    pub at: DateTime<Utc>,
    /// The provider called.
    pub provider: String,
    /// The tenant the call was about.
    pub tenant_id: String,
    /// The operation.
    pub operation: Operation,
    /// How it ended.
    #[serde(flatten)]
    pub outcome: CallOutcome,
    /// How long it took, in milliseconds.
    pub duration_ms: f64,
    /// Why the call was made, when the reconciler made it (`drift:
    /// container web exited`, `retry 3/8`); none for a user's request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

tokio::task_local! {
    /// The reason of the calls made in the current task (see [`with_reason`]).
    static CALL_REASON: String;
}

/// Run `work` with `reason` as the reason of every provider call it makes:
/// the sandbox journals it with each call ([`CallRecord::reason`]).
pub async fn with_reason<T>(reason: String, work: impl Future<Output = T>) -> T {
    CALL_REASON.scope(reason, work).await
}

/// The reason set by [`with_reason`] for the current task, if any.
pub fn call_reason() -> Option<String> {
    CALL_REASON.try_with(Clone::clone).ok()
}

/// A provider call as it ends: its journal entry and, for the tenant index,
/// the spec it applied and the result it returned (as JSON; provision and
/// update).
#[derive(Debug, Clone, PartialEq)]
pub struct FinishedCall {
    /// The journal entry.
    pub record: CallRecord,
    /// The spec the call applied, if it applies one.
    pub spec: Option<serde_json::Value>,
    /// What the call returned, if it succeeded with a result.
    pub result: Option<serde_json::Value>,
}

impl From<CallRecord> for FinishedCall {
    fn from(record: CallRecord) -> Self {
        Self {
            record,
            spec: None,
            result: None,
        }
    }
}

/// Key/value storage scoped by provider name (one provider's keys are
/// invisible to every other), plus the journal of provider calls and the
/// tenant index.
pub trait StateStore: Send + Sync {
    /// The value of `key` for `provider`, if any.
    fn get(&self, provider: &str, key: &str) -> Result<Option<Vec<u8>>, StateError>;

    /// `provider`'s keys starting with `prefix`, sorted.
    fn list_keys(&self, provider: &str, prefix: &str) -> Result<Vec<String>, StateError>;

    /// Bytes (keys plus values) `provider` keeps, for its quota.
    fn usage(&self, provider: &str) -> Result<u64, StateError>;

    /// End a call: apply `writes` for `provider`, append `call`'s record (if
    /// any) to the journal and update the tenant index as [`next_entry`]
    /// says, atomically (all of it or nothing).
    fn finish_call(
        &self,
        provider: &str,
        writes: &[StateWrite],
        call: Option<&FinishedCall>,
    ) -> Result<(), StateError>;

    /// The journal, oldest first: every call, or the calls about `tenant_id`.
    fn journal(&self, tenant_id: Option<&str>) -> Result<Vec<CallRecord>, StateError>;

    /// The `last` entries of [`journal`](Self::journal), oldest first.
    fn journal_tail(
        &self,
        tenant_id: Option<&str>,
        last: usize,
    ) -> Result<Vec<CallRecord>, StateError>;

    /// The index entry of `tenant_id`, if the host has seen it.
    fn tenant(&self, tenant_id: &str) -> Result<Option<TenantEntry>, StateError>;

    /// The tenants `query` selects, by id.
    fn tenants(&self, query: &TenantQuery) -> Result<Vec<TenantEntry>, StateError>;

    /// Replace `tenant_id`'s index entry by what `change` makes of it
    /// (`None`: leave it), atomically, recording the [`Transition`] if the
    /// state changes. The entry written, if any.
    fn change_tenant(
        &self,
        tenant_id: &str,
        change: &mut dyn FnMut(Option<&TenantEntry>) -> Option<TenantEntry>,
    ) -> Result<Option<TenantEntry>, StateError>;

    /// `tenant_id`'s lifecycle transitions, oldest first.
    fn transitions(&self, tenant_id: &str) -> Result<Vec<Transition>, StateError>;
}
