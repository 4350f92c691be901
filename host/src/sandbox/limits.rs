//! Per-provider sandbox limits and the resource limiter that enforces the
//! memory side of them.

use std::time::Duration;

use wasmtime::{StoreLimits, StoreLimitsBuilder};

/// What one call of a provider may use. Every call gets a fresh instance
/// with these limits; [`Limits::default`] is what a provider gets unless the
/// operator says otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest size any one linear memory may grow to, in bytes.
    pub memory_bytes: usize,
    /// Most core instances one component instantiation may create.
    pub instances: usize,
    /// Most tables, across those instances.
    pub tables: usize,
    /// Most linear memories, across those instances.
    pub memories: usize,
    /// Most elements one table may grow to.
    pub table_elements: usize,
    /// Wall-clock deadline for one call, including instantiation and time
    /// spent in host imports.
    pub timeout: Duration,
    /// Fuel (roughly: wasm instructions) one call may burn; `None` means no
    /// fuel metering. Needs a runtime created with fuel enabled.
    pub fuel: Option<u64>,
    /// Bytes of stdout, and of stderr, one call may write; writing more stops it.
    pub output_bytes: usize,
    /// Messages one call may send through the `log` import; later ones are
    /// dropped (the call goes on, and the host logs where it cut).
    pub log_messages: usize,
    /// Bytes of log messages one call may send; later messages are dropped.
    pub log_bytes: usize,
    /// Longest state key, in bytes.
    pub state_key_bytes: usize,
    /// Largest state value, in bytes.
    pub state_value_bytes: usize,
    /// Most distinct keys one call may write (set or delete); the next one
    /// stops the call and discards its writes. Bounds how long the commit
    /// after the call takes.
    pub state_writes: usize,
    /// Most bytes (keys plus values) the provider may keep in state in all;
    /// a call whose writes would go past it is stopped and its writes discarded.
    pub state_total_bytes: u64,
    /// Most outbound HTTP requests one call may send (providers granted
    /// outbound origins); the next one fails in the guest and the call
    /// fails with an outbound limit.
    pub outbound_requests: usize,
    /// Most response body bytes one call may receive over all its outbound
    /// requests; a response past it is cut, and the call fails with an
    /// outbound limit.
    pub outbound_response_bytes: u64,
    /// Longest wait for an outbound connection (a guest may ask for less).
    /// Every other wait is bounded by the call's deadline, [`Limits::timeout`].
    pub outbound_connect_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            memory_bytes: 64 << 20,
            instances: 32,
            tables: 32,
            memories: 8,
            table_elements: 1 << 20,
            timeout: Duration::from_secs(10),
            fuel: None,
            output_bytes: 64 << 10,
            log_messages: 1000,
            log_bytes: 64 << 10,
            state_key_bytes: 1 << 10,
            state_value_bytes: 1 << 20,
            state_writes: 10_000,
            state_total_bytes: 64 << 20,
            outbound_requests: 1000,
            outbound_response_bytes: 16 << 20,
            outbound_connect_timeout: Duration::from_secs(5),
        }
    }
}

/// Enforces the memory, table and instance limits through wasmtime's
/// [`StoreLimits`], and remembers a refused memory growth so that a guest
/// which then aborts is reported as out of memory rather than as a crash.
pub(crate) struct GuestLimiter {
    limits: StoreLimits,
    /// The size a refused memory growth asked for, if one was refused.
    pub(crate) refused_memory: Option<usize>,
}

impl GuestLimiter {
    pub(crate) fn new(limits: &Limits) -> Self {
        Self {
            limits: StoreLimitsBuilder::new()
                .memory_size(limits.memory_bytes)
                .instances(limits.instances)
                .tables(limits.tables)
                .memories(limits.memories)
                .table_elements(limits.table_elements)
                .build(),
            refused_memory: None,
        }
    }
}

impl wasmtime::ResourceLimiter for GuestLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = self.limits.memory_growing(current, desired, maximum)?;
        if !allowed {
            self.refused_memory = Some(desired);
        }
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.limits.table_growing(current, desired, maximum)
    }

    fn instances(&self) -> usize {
        self.limits.instances()
    }

    fn tables(&self) -> usize {
        self.limits.tables()
    }

    fn memories(&self) -> usize {
        self.limits.memories()
    }
}

#[cfg(test)]
mod tests {
    use wasmtime::ResourceLimiter;

    use super::*;

    #[test]
    fn growth_past_the_memory_limit_is_refused_and_remembered() {
        let limits = Limits {
            memory_bytes: 1 << 20,
            ..Limits::default()
        };
        let mut limiter = GuestLimiter::new(&limits);
        assert!(limiter.memory_growing(0, 1 << 20, None).unwrap());
        assert_eq!(limiter.refused_memory, None);
        assert!(!limiter.memory_growing(1 << 20, 2 << 20, None).unwrap());
        assert_eq!(limiter.refused_memory, Some(2 << 20));
        assert_eq!(limiter.instances(), limits.instances);
        assert_eq!(limiter.memories(), limits.memories);
    }
}
