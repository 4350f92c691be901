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
use crate::state::{StateError, StateStore, StateWrite};

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
pub(crate) struct StateTransaction {
    provider: Arc<str>,
    store: Arc<dyn StateStore>,
    writes: BTreeMap<String, Option<Vec<u8>>>,
}

impl StateTransaction {
    fn new(provider: Arc<str>, store: Arc<dyn StateStore>) -> Self {
        Self {
            provider,
            store,
            writes: BTreeMap::new(),
        }
    }

    pub(crate) fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StateError> {
        match self.writes.get(key) {
            Some(pending) => Ok(pending.clone()),
            None => self.store.get(&self.provider, key),
        }
    }

    pub(crate) fn set(&mut self, key: String, value: Vec<u8>) {
        self.writes.insert(key, Some(value));
    }

    pub(crate) fn delete(&mut self, key: String) {
        self.writes.insert(key, None);
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

    /// Write everything buffered, atomically.
    pub(crate) fn commit(self) -> Result<(), StateError> {
        if self.writes.is_empty() {
            return Ok(());
        }
        let writes: Vec<StateWrite> = self.writes.into_iter().collect();
        self.store.commit(&self.provider, &writes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::MemoryStateStore;

    #[test]
    fn a_transaction_reads_its_own_writes_and_publishes_only_on_commit() {
        let store = Arc::new(MemoryStateStore::new());
        store
            .commit(
                "p",
                &[("a".into(), Some(vec![1])), ("b".into(), Some(vec![2]))],
            )
            .unwrap();
        let mut txn = StateTransaction::new("p".into(), store.clone());
        txn.set("c".into(), vec![3]);
        txn.delete("a".into());
        assert_eq!(txn.get("a").unwrap(), None);
        assert_eq!(txn.get("c").unwrap(), Some(vec![3]));
        assert_eq!(txn.list_keys("").unwrap(), ["b", "c"]);
        assert_eq!(
            store.get("p", "a").unwrap(),
            Some(vec![1]),
            "not yet committed"
        );
        txn.commit().unwrap();
        assert_eq!(store.list_keys("p", "").unwrap(), ["b", "c"]);
    }

    #[test]
    fn a_dropped_transaction_leaves_the_store_unchanged() {
        let store = Arc::new(MemoryStateStore::new());
        let mut txn = StateTransaction::new("p".into(), store.clone());
        txn.set("x".into(), vec![9]);
        drop(txn);
        assert!(store.list_keys("p", "").unwrap().is_empty());
    }
}
