//! The data of one call's `Store`: the deny-by-default WASI context, the
//! captured output, the limiter, the granted config and the call's state
//! transaction. Built fresh for every call and dropped with the store.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use super::host::http::{GuestHttp, Reach};
use super::host::log::GuestLog;
use super::limits::{GuestLimiter, Limits};
use crate::compute::Operation;
use crate::state::{FinishedCall, StateError, StateStore, StateWrite};

/// Everything a provider's host imports can reach during one call. Each
/// import is linked to its own part (`log`, `config`, `state`), so none of
/// them can touch another's data.
pub(crate) struct CallContext {
    pub(crate) limiter: GuestLimiter,
    /// What the `log` import sees: who is logging, and the call's log budget.
    pub(crate) log: GuestLog,
    /// What the `config` import sees: the operator's key/values, read-only.
    pub(crate) config: GrantedConfig,
    /// What the `state` import sees: the call's transaction and its limits.
    pub(crate) state: GuestState,
    /// What `wasi:http` sees: the granted origins and the call's caps.
    pub(crate) http: GuestHttp,
    pub(crate) stdout: MemoryOutputPipe,
    pub(crate) stderr: MemoryOutputPipe,
    wasi: WasiCtx,
    table: ResourceTable,
}

/// The operator-granted key/values of one provider, read-only.
pub(crate) struct GrantedConfig(pub(crate) Arc<BTreeMap<String, String>>);

/// The `state` import's part of a call: the transaction, and the limits it
/// checks keys, values and write counts against.
pub(crate) struct GuestState {
    pub(crate) transaction: StateTransaction,
    pub(crate) limits: Arc<Limits>,
}

impl CallContext {
    /// The data of one call: `provider` is its registry name (its state
    /// scope and log tag); `store` is where its state lives.
    pub(crate) fn new(
        provider: Arc<str>,
        operation: Operation,
        limits: Arc<Limits>,
        config: Arc<BTreeMap<String, String>>,
        reach: Arc<Reach>,
        store: Arc<dyn StateStore>,
    ) -> Self {
        let stdout = MemoryOutputPipe::new(limits.output_bytes);
        let stderr = MemoryOutputPipe::new(limits.output_bytes);
        // Deny by default: a builder grants no preopened directories, no
        // environment, no arguments, an empty stdin and no network; only the
        // two output pipes are added.
        let wasi = WasiCtxBuilder::new()
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .build();
        Self {
            limiter: GuestLimiter::new(&limits),
            log: GuestLog::new(Arc::clone(&provider), operation, &limits),
            config: GrantedConfig(config),
            http: GuestHttp::new(Arc::clone(&provider), operation, reach, Arc::clone(&limits)),
            state: GuestState {
                transaction: StateTransaction::new(provider, store),
                limits,
            },
            stdout,
            stderr,
            wasi,
            table: ResourceTable::new(),
        }
    }
}

impl WasiView for CallContext {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl wasmtime_wasi_http::WasiHttpView for CallContext {
    fn http(&mut self) -> wasmtime_wasi_http::WasiHttpCtxView<'_> {
        wasmtime_wasi_http::WasiHttpCtxView {
            ctx: &mut self.http.ctx,
            table: &mut self.table,
            hooks: &mut self.http.policy,
        }
    }
}

/// A call's view of its provider's state: reads see the call's own writes,
/// and the writes reach the store only through [`commit`](Self::commit).
/// Writes are counted against the provider's total quota as they happen.
pub(crate) struct StateTransaction {
    provider: Arc<str>,
    store: Arc<dyn StateStore>,
    writes: BTreeMap<String, Option<Vec<u8>>>,
    /// The provider's usage in the store, read at the first write.
    base_usage: Option<u64>,
    /// How the buffered writes change that usage.
    delta: i64,
}

/// A write would take the provider past its state quota, or the call past
/// its number of writes. Raised as a trap by the `state` import; the call is
/// stopped and its writes discarded.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum StateQuotaExceeded {
    /// The provider's total state would pass its quota.
    #[error(
        "a state write would bring the provider to {would_be} bytes; its quota is {quota} (limits.state_total_mib)"
    )]
    Bytes { would_be: u64, quota: u64 },
    /// The call already wrote its most distinct keys.
    #[error(
        "the call wrote more than {limit} distinct state keys, the most one call may write (limits.state_writes)"
    )]
    Writes { limit: usize },
}

/// Bytes an entry counts for: its key and its value.
fn entry_size(key: &str, value: &[u8]) -> i64 {
    i64::try_from(key.len() + value.len()).unwrap_or(i64::MAX)
}

impl StateTransaction {
    fn new(provider: Arc<str>, store: Arc<dyn StateStore>) -> Self {
        Self {
            provider,
            store,
            writes: BTreeMap::new(),
            base_usage: None,
            delta: 0,
        }
    }

    pub(crate) fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StateError> {
        match self.writes.get(key) {
            Some(pending) => Ok(pending.clone()),
            None => self.store.get(&self.provider, key),
        }
    }

    /// Buffer a write (`None` deletes), keeping the usage within `quota` and
    /// the number of distinct keys written within `max_writes`. The outer
    /// error is the store failing; the inner one a limit.
    pub(crate) fn write(
        &mut self,
        key: String,
        value: Option<Vec<u8>>,
        quota: u64,
        max_writes: usize,
    ) -> Result<Result<(), StateQuotaExceeded>, StateError> {
        if !self.writes.contains_key(&key) && self.writes.len() >= max_writes {
            return Ok(Err(StateQuotaExceeded::Writes { limit: max_writes }));
        }
        let old = self.get(&key)?.map_or(0, |old| entry_size(&key, &old));
        let new = value.as_deref().map_or(0, |new| entry_size(&key, new));
        let delta = self.delta + new - old;
        let base = match self.base_usage {
            Some(base) => base,
            None => *self.base_usage.insert(self.store.usage(&self.provider)?),
        };
        let would_be = u64::try_from(
            i64::try_from(base)
                .unwrap_or(i64::MAX)
                .saturating_add(delta),
        )
        .unwrap_or(0);
        if new > old && would_be > quota {
            return Ok(Err(StateQuotaExceeded::Bytes { would_be, quota }));
        }
        self.delta = delta;
        self.writes.insert(key, value);
        Ok(Ok(()))
    }

    pub(crate) fn list_keys(&self, prefix: &str) -> Result<Vec<String>, StateError> {
        let mut keys: BTreeSet<String> = self
            .store
            .list_keys(&self.provider, prefix)?
            .into_iter()
            .collect();
        for (key, value) in self.writes.range(prefix.to_owned()..) {
            if !key.starts_with(prefix) {
                break;
            }
            if value.is_some() {
                keys.insert(key.clone());
            } else {
                keys.remove(key);
            }
        }
        Ok(keys.into_iter().collect())
    }

    /// Write everything buffered, journal the call and index its tenant,
    /// atomically.
    pub(crate) fn commit(self, call: Option<&FinishedCall>) -> Result<(), StateError> {
        if self.writes.is_empty() && call.is_none() {
            return Ok(());
        }
        let writes: Vec<StateWrite> = self.writes.into_iter().collect();
        self.store.finish_call(&self.provider, &writes, call)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::memory::tests::record;
    use crate::state::{CallOutcome, MemoryStateStore};

    #[test]
    fn a_transaction_reads_its_own_writes_and_publishes_only_on_commit() {
        let store = Arc::new(MemoryStateStore::new());
        store.apply(
            "p",
            &[("a".into(), Some(vec![1])), ("b".into(), Some(vec![2]))],
        );
        let mut txn = StateTransaction::new("p".into(), store.clone());
        txn.write("c".into(), Some(vec![3]), u64::MAX, 10)
            .unwrap()
            .unwrap();
        txn.write("a".into(), None, u64::MAX, 10).unwrap().unwrap();
        assert_eq!(txn.get("a").unwrap(), None);
        assert_eq!(txn.get("c").unwrap(), Some(vec![3]));
        assert_eq!(txn.list_keys("").unwrap(), ["b", "c"]);
        assert_eq!(
            store.get("p", "a").unwrap(),
            Some(vec![1]),
            "not yet committed"
        );
        txn.commit(Some(&record("acme", CallOutcome::Ok))).unwrap();
        assert_eq!(store.list_keys("p", "").unwrap(), ["b", "c"]);
        assert_eq!(store.journal(Some("acme")).unwrap().len(), 1);
    }

    #[test]
    fn a_dropped_transaction_leaves_the_store_unchanged() {
        let store = Arc::new(MemoryStateStore::new());
        let mut txn = StateTransaction::new("p".into(), store.clone());
        txn.write("x".into(), Some(vec![9]), u64::MAX, 10)
            .unwrap()
            .unwrap();
        drop(txn);
        assert!(store.list_keys("p", "").unwrap().is_empty());
    }

    #[test]
    fn writes_count_against_the_quota_and_deletes_give_room_back() {
        let store = Arc::new(MemoryStateStore::new());
        store.apply("p", &[("a".into(), Some(vec![0; 9]))]); // 10 bytes
        let mut txn = StateTransaction::new("p".into(), store.clone());
        // 10 + 10 = 20 fits a quota of 20; one byte more does not.
        txn.write("b".into(), Some(vec![0; 9]), 20, 10)
            .unwrap()
            .unwrap();
        let refused = txn
            .write("c".into(), Some(vec![]), 20, 10)
            .unwrap()
            .unwrap_err();
        assert_eq!(
            refused,
            StateQuotaExceeded::Bytes {
                would_be: 21,
                quota: 20
            }
        );
        // Overwriting with a smaller value and deleting always fit.
        txn.write("b".into(), Some(vec![0; 2]), 20, 10)
            .unwrap()
            .unwrap();
        txn.write("a".into(), None, 20, 10).unwrap().unwrap();
        txn.write("c".into(), Some(vec![0; 16]), 20, 10)
            .unwrap()
            .unwrap(); // 3 + 17
        txn.commit(Some(&record("acme", CallOutcome::Ok))).unwrap();
        assert_eq!(store.usage("p").unwrap(), 20);
    }

    #[test]
    fn a_call_writes_at_most_its_number_of_distinct_keys() {
        let store = Arc::new(MemoryStateStore::new());
        let mut txn = StateTransaction::new("p".into(), store.clone());
        for key in ["a", "b", "c"] {
            txn.write(key.into(), Some(vec![1]), u64::MAX, 3)
                .unwrap()
                .unwrap();
        }
        // Writing a key again (or deleting it) is no new key.
        txn.write("a".into(), Some(vec![2]), u64::MAX, 3)
            .unwrap()
            .unwrap();
        txn.write("b".into(), None, u64::MAX, 3).unwrap().unwrap();
        let refused = txn.write("d".into(), Some(vec![1]), u64::MAX, 3).unwrap();
        assert_eq!(refused, Err(StateQuotaExceeded::Writes { limit: 3 }));
        let refused = txn.write("e".into(), None, u64::MAX, 3).unwrap();
        assert_eq!(refused, Err(StateQuotaExceeded::Writes { limit: 3 }));
    }
}
