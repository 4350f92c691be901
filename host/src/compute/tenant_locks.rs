//! Per-tenant serialization: two operations on the same tenant never run at
//! once in one host; operations on different tenants run concurrently. An
//! entry lives only while some operation holds or waits for it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::OwnedMutexGuard;

/// One async lock per tenant id that is in use.
#[derive(Default)]
pub(crate) struct TenantLocks {
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// Holds a tenant's lock; dropping it lets the next operation in.
pub(crate) struct TenantGuard<'a> {
    locks: &'a TenantLocks,
    tenant_id: String,
    guard: Option<OwnedMutexGuard<()>>,
}

impl TenantLocks {
    /// Wait until no other operation holds `tenant_id`, then hold it.
    pub(crate) async fn lock(&self, tenant_id: &str) -> TenantGuard<'_> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(locks.entry(tenant_id.to_owned()).or_default())
        };
        TenantGuard {
            locks: self,
            tenant_id: tenant_id.to_owned(),
            guard: Some(lock.lock_owned().await),
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.locks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

impl Drop for TenantGuard<'_> {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut locks = self
            .locks
            .locks
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Only the map holds it: nobody is waiting, so forget the tenant.
        if locks
            .get(&self.tenant_id)
            .is_some_and(|lock| Arc::strong_count(lock) == 1)
        {
            locks.remove(&self.tenant_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn entries_are_dropped_when_no_one_holds_or_waits() {
        let locks = TenantLocks::default();
        let first = locks.lock("acme").await;
        let _other = locks.lock("globex").await;
        assert_eq!(locks.len(), 2);
        drop(first);
        assert_eq!(locks.len(), 1);
    }
}
