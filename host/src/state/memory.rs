//! An in-process [`StateStore`]: state and journal last as long as the
//! process.

use std::collections::BTreeMap;
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::{
    CallRecord, FinishedCall, StateError, StateStore, StateWrite, TenantEntry, TenantQuery,
    Transition, next_entry, transition,
};

/// Keeps every provider's state and the journal in memory, behind one
/// read-write lock (concurrent calls read state in parallel).
#[derive(Debug, Default)]
pub struct MemoryStateStore {
    inner: RwLock<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// provider → key → value.
    entries: BTreeMap<String, BTreeMap<String, Vec<u8>>>,
    /// provider → bytes of its keys plus values, kept as writes are applied
    /// so a quota check does not walk every entry.
    usage: BTreeMap<String, u64>,
    journal: Vec<CallRecord>,
    /// tenant id → index entry.
    tenants: BTreeMap<String, TenantEntry>,
    transitions: Vec<Transition>,
}

impl Inner {
    /// Put `next` in the index, recording its transition.
    fn write_tenant(&mut self, next: TenantEntry) {
        let previous = self.tenants.get(&next.tenant_id);
        if let Some(moved) = transition(previous, &next) {
            self.transitions.push(moved);
        }
        self.tenants.insert(next.tenant_id.clone(), next);
    }
}

impl MemoryStateStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn read(&self) -> RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Set or delete keys for `provider` directly, outside any call (tests
    /// and seeding).
    pub fn apply(&self, provider: &str, writes: &[StateWrite]) {
        apply(&mut self.write(), provider, writes);
    }
}

fn apply(inner: &mut Inner, provider: &str, writes: &[StateWrite]) {
    let keys = inner.entries.entry(provider.to_owned()).or_default();
    let usage = inner.usage.entry(provider.to_owned()).or_default();
    let size = |key: &str, value: &[u8]| (key.len() + value.len()) as u64;
    for (key, value) in writes {
        let replaced = match value {
            Some(value) => {
                *usage += size(key, value);
                keys.insert(key.clone(), value.clone())
            }
            None => keys.remove(key),
        };
        if let Some(old) = replaced {
            *usage -= size(key, &old);
        }
    }
}

impl StateStore for MemoryStateStore {
    fn get(&self, provider: &str, key: &str) -> Result<Option<Vec<u8>>, StateError> {
        Ok(self
            .read()
            .entries
            .get(provider)
            .and_then(|keys| keys.get(key))
            .cloned())
    }

    fn list_keys(&self, provider: &str, prefix: &str) -> Result<Vec<String>, StateError> {
        Ok(self
            .read()
            .entries
            .get(provider)
            .map(|keys| {
                keys.range(prefix.to_owned()..)
                    .take_while(|(key, _)| key.starts_with(prefix))
                    .map(|(key, _)| key.clone())
                    .collect()
            })
            .unwrap_or_default())
    }

    fn usage(&self, provider: &str) -> Result<u64, StateError> {
        Ok(self.read().usage.get(provider).copied().unwrap_or(0))
    }

    fn finish_call(
        &self,
        provider: &str,
        writes: &[StateWrite],
        call: Option<&FinishedCall>,
    ) -> Result<(), StateError> {
        let mut inner = self.write();
        apply(&mut inner, provider, writes);
        if let Some(call) = call {
            inner.journal.push(call.record.clone());
            if let Some(entry) = next_entry(inner.tenants.get(&call.record.tenant_id), call) {
                inner.write_tenant(entry);
            }
        }
        Ok(())
    }

    fn journal(&self, tenant_id: Option<&str>) -> Result<Vec<CallRecord>, StateError> {
        Ok(self
            .read()
            .journal
            .iter()
            .filter(|record| tenant_id.is_none_or(|id| record.tenant_id == id))
            .cloned()
            .collect())
    }

    fn journal_tail(
        &self,
        tenant_id: Option<&str>,
        last: usize,
    ) -> Result<Vec<CallRecord>, StateError> {
        let mut records = self.journal(tenant_id)?;
        records.drain(..records.len().saturating_sub(last));
        Ok(records)
    }

    fn tenant(&self, tenant_id: &str) -> Result<Option<TenantEntry>, StateError> {
        Ok(self.read().tenants.get(tenant_id).cloned())
    }

    fn tenants(&self, query: &TenantQuery) -> Result<Vec<TenantEntry>, StateError> {
        Ok(self
            .read()
            .tenants
            .values()
            .filter(|entry| query.matches(entry))
            .take(query.limit.unwrap_or(usize::MAX))
            .cloned()
            .collect())
    }

    fn change_tenant(
        &self,
        tenant_id: &str,
        change: &mut dyn FnMut(Option<&TenantEntry>) -> Option<TenantEntry>,
    ) -> Result<Option<TenantEntry>, StateError> {
        let mut inner = self.write();
        let next = change(inner.tenants.get(tenant_id));
        if let Some(next) = &next {
            inner.write_tenant(next.clone());
        }
        Ok(next)
    }

    fn transitions(&self, tenant_id: &str) -> Result<Vec<Transition>, StateError> {
        Ok(self
            .read()
            .transitions
            .iter()
            .filter(|moved| moved.tenant_id == tenant_id)
            .cloned()
            .collect())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use chrono::Utc;

    use super::*;
    use crate::compute::{ErrorKind, Operation};
    use crate::state::{CallOutcome, TenantState};

    /// A finished provision of `tenant_id` by provider `p`.
    pub(crate) fn record(tenant_id: &str, outcome: CallOutcome) -> FinishedCall {
        CallRecord {
            at: Utc::now(),
            provider: "p".into(),
            tenant_id: tenant_id.into(),
            operation: Operation::Provision,
            outcome,
            duration_ms: 1.5,
            reason: None,
        }
        .into()
    }

    #[test]
    fn providers_do_not_see_each_others_keys() {
        let store = MemoryStateStore::new();
        store.apply("a", &[("tenant/x".into(), Some(b"1".to_vec()))]);
        assert_eq!(store.get("a", "tenant/x").unwrap(), Some(b"1".to_vec()));
        assert_eq!(store.get("b", "tenant/x").unwrap(), None);
        assert!(store.list_keys("b", "").unwrap().is_empty());
    }

    #[test]
    fn finish_call_applies_writes_and_journals_the_call() {
        let store = MemoryStateStore::new();
        let writes = [
            ("tenant/a".into(), Some(vec![1])),
            ("tenant/b".into(), Some(vec![2])),
            ("other".into(), Some(vec![3])),
        ];
        store
            .finish_call("p", &writes, Some(&record("a", CallOutcome::Ok)))
            .unwrap();
        assert_eq!(store.usage("p").unwrap(), 8 + 1 + 8 + 1 + 5 + 1);
        let failed = CallOutcome::Failed {
            kind: ErrorKind::Timeout,
            message: "slow".into(),
        };
        store
            .finish_call(
                "p",
                &[("tenant/a".into(), None)],
                Some(&record("b", failed)),
            )
            .unwrap();
        assert_eq!(store.usage("p").unwrap(), 8 + 1 + 5 + 1);
        assert_eq!(store.usage("nobody").unwrap(), 0);
        // Replacing a value counts the new size only; deleting a missing key
        // changes nothing.
        store.apply(
            "p",
            &[
                ("tenant/b".into(), Some(vec![0; 10])),
                ("missing".into(), None),
            ],
        );
        assert_eq!(store.usage("p").unwrap(), 8 + 10 + 5 + 1);
        store.apply("p", &[("tenant/b".into(), Some(vec![2]))]);
        assert_eq!(store.list_keys("p", "tenant/").unwrap(), ["tenant/b"]);
        assert_eq!(store.list_keys("p", "").unwrap(), ["other", "tenant/b"]);
        assert_eq!(store.journal(None).unwrap().len(), 2);
        let tail = store.journal_tail(None, 1).unwrap();
        assert_eq!((tail.len(), tail[0].tenant_id.as_str()), (1, "b"));
        let only_b = store.journal(Some("b")).unwrap();
        assert_eq!(only_b.len(), 1);
        assert!(matches!(
            only_b[0].outcome,
            CallOutcome::Failed {
                kind: ErrorKind::Timeout,
                ..
            }
        ));
        // The index followed the journal: `a` provisioned, `b` failed.
        let tenants = store.tenants(&TenantQuery::default()).unwrap();
        let states: Vec<_> = tenants
            .iter()
            .map(|t| (t.tenant_id.as_str(), t.state))
            .collect();
        assert_eq!(
            states,
            [("a", TenantState::Ready), ("b", TenantState::Failed)]
        );
        let query = TenantQuery {
            state: Some(TenantState::Failed),
            ..TenantQuery::default()
        };
        assert_eq!(store.tenants(&query).unwrap().len(), 1);
    }
}
