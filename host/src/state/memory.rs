//! An in-process [`StateStore`]: state lasts as long as the process.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use super::{StateError, StateStore, StateWrite};

/// Keeps every provider's state in memory, behind one lock.
#[derive(Debug, Default)]
pub struct MemoryStateStore {
    /// provider → key → value.
    entries: Mutex<BTreeMap<String, BTreeMap<String, Vec<u8>>>>,
}

impl MemoryStateStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl StateStore for MemoryStateStore {
    fn get(&self, provider: &str, key: &str) -> Result<Option<Vec<u8>>, StateError> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(entries
            .get(provider)
            .and_then(|keys| keys.get(key))
            .cloned())
    }

    fn list_keys(&self, provider: &str, prefix: &str) -> Result<Vec<String>, StateError> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(entries
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
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(entries
            .get(provider)
            .map(|keys| {
                keys.iter()
                    .map(|(key, value)| (key.len() + value.len()) as u64)
                    .sum()
            })
            .unwrap_or(0))
    }

    fn commit(&self, provider: &str, writes: &[StateWrite]) -> Result<(), StateError> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let keys = entries.entry(provider.to_owned()).or_default();
        for (key, value) in writes {
            match value {
                Some(value) => keys.insert(key.clone(), value.clone()),
                None => keys.remove(key),
            };
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_do_not_see_each_others_keys() {
        let store = MemoryStateStore::new();
        store
            .commit("a", &[("tenant/x".into(), Some(b"1".to_vec()))])
            .unwrap();
        assert_eq!(store.get("a", "tenant/x").unwrap(), Some(b"1".to_vec()));
        assert_eq!(store.get("b", "tenant/x").unwrap(), None);
        assert!(store.list_keys("b", "").unwrap().is_empty());
    }

    #[test]
    fn commit_sets_and_deletes_and_list_keys_filters_by_prefix() {
        let store = MemoryStateStore::new();
        store
            .commit(
                "p",
                &[
                    ("tenant/a".into(), Some(vec![1])),
                    ("tenant/b".into(), Some(vec![2])),
                    ("other".into(), Some(vec![3])),
                ],
            )
            .unwrap();
        assert_eq!(store.usage("p").unwrap(), 8 + 1 + 8 + 1 + 5 + 1);
        store.commit("p", &[("tenant/a".into(), None)]).unwrap();
        assert_eq!(store.usage("p").unwrap(), 8 + 1 + 5 + 1);
        assert_eq!(store.usage("nobody").unwrap(), 0);
        assert_eq!(store.list_keys("p", "tenant/").unwrap(), ["tenant/b"]);
        assert_eq!(store.list_keys("p", "").unwrap(), ["other", "tenant/b"]);
    }
}
