//! Where providers' key/value state lives between calls. The sandbox reads
//! through a [`StateStore`] and buffers a call's writes, committing them in
//! one [`StateStore::commit`] only when the call returns normally.

mod memory;

pub use memory::MemoryStateStore;

/// One buffered write: `Some(value)` sets the key, `None` deletes it.
pub type StateWrite = (String, Option<Vec<u8>>);

/// A store failed; the message says why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("state store unavailable: {0}")]
pub struct StateError(pub String);

/// Key/value storage scoped by provider name: one provider's keys are
/// invisible to every other provider.
pub trait StateStore: Send + Sync {
    /// The value of `key` for `provider`, if any.
    fn get(&self, provider: &str, key: &str) -> Result<Option<Vec<u8>>, StateError>;

    /// `provider`'s keys starting with `prefix`, sorted.
    fn list_keys(&self, provider: &str, prefix: &str) -> Result<Vec<String>, StateError>;

    /// Bytes (keys plus values) `provider` keeps, for its quota.
    fn usage(&self, provider: &str) -> Result<u64, StateError>;

    /// Apply `writes` for `provider` atomically: all of them or none.
    fn commit(&self, provider: &str, writes: &[StateWrite]) -> Result<(), StateError>;
}
