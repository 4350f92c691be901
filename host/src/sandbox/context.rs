//! The data of one call's `Store`: the deny-by-default WASI context, the
//! captured output, the limiter, the granted config and the call's state
//! transaction. Built fresh for every call and dropped with the store.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use super::limits::{GuestLimiter, Limits};
use crate::compute::Operation;
use crate::state::{CallRecord, StateError, StateStore, StateWrite};

/// Everything a provider's host imports can reach during one call.
pub(crate) struct CallContext {
    /// The provider's registry name (its state scope and log tag).
    pub(crate) provider: Arc<str>,
    /// The operation being called.
    pub(crate) operation: Operation,
    pub(crate) limits: Arc<Limits>,
    pub(crate) limiter: GuestLimiter,
    /// Operator-granted key/values, read-only.
    pub(crate) config: Arc<BTreeMap<String, String>>,
    pub(crate) state: StateTransaction,
    pub(crate) stdout: MemoryOutputPipe,
    pub(crate) stderr: MemoryOutputPipe,
    wasi: WasiCtx,
    table: ResourceTable,
}

impl CallContext {
    pub(crate) fn new(
        provider: Arc<str>,
        operation: Operation,
        limits: Arc<Limits>,
        config: Arc<BTreeMap<String, String>>,
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
            state: StateTransaction::new(Arc::clone(&provider), store),
            provider,
            operation,
            limits,
            config,
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

/// A write would take the provider past its state quota. Raised as a trap
/// by the `state` import; the call is stopped and its writes discarded.
#[derive(Debug, thiserror::Error)]
#[error("a state write would bring the provider to {would_be} bytes; its quota is {quota}")]
pub(crate) struct StateQuotaExceeded {
    pub(crate) would_be: u64,
    pub(crate) quota: u64,
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

    /// Buffer a write (`None` deletes), keeping the usage within `quota`.
    /// The outer error is the store failing; the inner one the quota.
    pub(crate) fn write(
        &mut self,
        key: String,
        value: Option<Vec<u8>>,
        quota: u64,
    ) -> Result<Result<(), StateQuotaExceeded>, StateError> {
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
            return Ok(Err(StateQuotaExceeded { would_be, quota }));
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

    /// Write everything buffered and journal the call, atomically.
    pub(crate) fn commit(self, record: Option<&CallRecord>) -> Result<(), StateError> {
        if self.writes.is_empty() && record.is_none() {
            return Ok(());
        }
        let writes: Vec<StateWrite> = self.writes.into_iter().collect();
        self.store.finish_call(&self.provider, &writes, record)
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
        txn.write("c".into(), Some(vec![3]), u64::MAX)
            .unwrap()
            .unwrap();
        txn.write("a".into(), None, u64::MAX).unwrap().unwrap();
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
        txn.write("x".into(), Some(vec![9]), u64::MAX)
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
        txn.write("b".into(), Some(vec![0; 9]), 20)
            .unwrap()
            .unwrap();
        let refused = txn
            .write("c".into(), Some(vec![]), 20)
            .unwrap()
            .unwrap_err();
        assert_eq!((refused.would_be, refused.quota), (21, 20));
        // Overwriting with a smaller value and deleting always fit.
        txn.write("b".into(), Some(vec![0; 2]), 20)
            .unwrap()
            .unwrap();
        txn.write("a".into(), None, 20).unwrap().unwrap();
        txn.write("c".into(), Some(vec![0; 16]), 20)
            .unwrap()
            .unwrap(); // 3 + 17
        txn.commit(Some(&record("acme", CallOutcome::Ok))).unwrap();
        assert_eq!(store.usage("p").unwrap(), 20);
    }
}
