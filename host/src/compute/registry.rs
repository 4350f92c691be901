//! The thread-safe map from provider name to provider.

use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError, RwLock};

use super::error::{ComputeError, Result};
use super::provider::Provider;
use super::validation::check_provider_name;

/// Registered providers by name. Cheap to share: wrap it in an `Arc`.
#[derive(Default)]
pub struct Registry {
    providers: RwLock<BTreeMap<String, Arc<dyn Provider>>>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add `provider` under its own name. A malformed name is
    /// `InvalidProviderName`; a name already present is `ProviderConflict`
    /// (the registry keeps the first).
    pub fn register(&self, provider: Arc<dyn Provider>) -> Result<()> {
        let name = provider.name().to_owned();
        check_provider_name(&name).map_err(|reason| ComputeError::InvalidProviderName {
            name: name.clone(),
            reason,
        })?;
        let mut providers = self
            .providers
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if providers.contains_key(&name) {
            return Err(ComputeError::ProviderConflict { name });
        }
        providers.insert(name.clone(), provider);
        drop(providers);
        tracing::info!(provider = %name, "registered compute provider");
        Ok(())
    }

    /// The provider registered as `name`, or `ProviderNotFound`.
    pub fn get(&self, name: &str) -> Result<Arc<dyn Provider>> {
        let providers = self
            .providers
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        providers
            .get(name)
            .cloned()
            .ok_or_else(|| ComputeError::ProviderNotFound {
                name: name.to_owned(),
                available: if providers.is_empty() {
                    "none".to_owned()
                } else {
                    providers.keys().cloned().collect::<Vec<_>>().join(", ")
                },
            })
    }

    /// The registered names, sorted; a copy the caller owns.
    pub fn list(&self) -> Vec<String> {
        let providers = self
            .providers
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        providers.keys().cloned().collect()
    }

    /// Whether `name` is registered.
    pub fn has(&self, name: &str) -> bool {
        let providers = self
            .providers
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        providers.contains_key(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::error::ErrorKind;
    use crate::compute::test_double::StubProvider;

    fn stub(name: &str) -> Arc<dyn Provider> {
        Arc::new(StubProvider::new(name))
    }

    #[test]
    fn register_then_get_returns_the_same_provider() {
        let registry = Registry::new();
        let provider = stub("mock");
        registry.register(provider.clone()).unwrap();
        let found = registry.get("mock").unwrap();
        assert!(Arc::ptr_eq(&found, &provider));
    }

    #[test]
    fn duplicate_registration_is_a_conflict_and_keeps_the_first() {
        let registry = Registry::new();
        let first = stub("mock");
        registry.register(first.clone()).unwrap();
        let err = registry.register(stub("mock")).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ProviderConflict);
        assert!(err.to_string().contains("'mock'"), "{err}");
        assert!(Arc::ptr_eq(&registry.get("mock").unwrap(), &first));
    }

    #[test]
    fn get_missing_is_not_found_and_lists_what_exists() {
        let registry = Registry::new();
        let err = registry.get("ecs").err().unwrap();
        assert_eq!(err.kind(), ErrorKind::ProviderNotFound);
        assert!(err.to_string().contains("registered: none"), "{err}");
        registry.register(stub("mock")).unwrap();
        let err = registry.get("ecs").err().unwrap();
        assert!(err.to_string().contains("registered: mock"), "{err}");
    }

    #[test]
    fn empty_and_malformed_names_are_refused() {
        let registry = Registry::new();
        let long = "p".repeat(64);
        for bad in ["", "Mock", "my_provider", "-x", "x-", &long] {
            let err = registry.register(stub(bad)).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidProviderName, "{bad}");
            assert!(err.to_string().contains("use 1 to 63 lowercase"), "{err}");
        }
        registry.register(stub(&"p".repeat(63))).unwrap();
        registry.register(stub("my-provider-2")).unwrap();
        assert_eq!(registry.list().len(), 2);

        // The message quotes a huge name cut short.
        let err = Registry::new()
            .register(stub(&"p".repeat(1 << 20)))
            .unwrap_err();
        let text = err.to_string();
        assert!(text.len() < 500, "{} bytes", text.len());
        assert!(
            text.starts_with(&format!(
                "invalid provider name: '{}…' is 1048576 characters long (the limit is 63); ",
                "p".repeat(64)
            )),
            "{text}"
        );
    }

    #[test]
    fn list_is_a_sorted_copy_and_has_answers_membership() {
        let registry = Registry::new();
        for name in ["nomad", "ecs", "mock"] {
            registry.register(stub(name)).unwrap();
        }
        let mut listed = registry.list();
        assert_eq!(listed, ["ecs", "mock", "nomad"]);
        listed.clear();
        assert_eq!(registry.list().len(), 3, "list must return a copy");
        assert!(registry.has("ecs"));
        assert!(!registry.has("kubernetes"));
    }

    #[test]
    fn concurrent_register_and_get_from_many_threads() {
        let registry = Arc::new(Registry::new());
        registry.register(stub("shared")).unwrap();
        let threads: Vec<_> = (0..16)
            .map(|t| {
                let registry = Arc::clone(&registry);
                std::thread::spawn(move || {
                    for i in 0..50 {
                        registry.register(stub(&format!("p-{t}-{i}"))).unwrap();
                        assert_eq!(registry.get("shared").unwrap().name(), "shared");
                        // Everyone races to register the same name: exactly one wins.
                        let _ = registry.register(stub(&format!("race-{i}")));
                        assert!(registry.has(&format!("p-{t}-{i}")));
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let names = registry.list();
        assert_eq!(names.len(), 1 + 16 * 50 + 50);
        assert!(names.windows(2).all(|pair| pair[0] < pair[1]));
    }
}
