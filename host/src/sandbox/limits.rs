//! Per-provider sandbox limits and the resource limiter that enforces the
//! memory side of them.

use std::time::Duration;

/// What one call of a provider may use. Every call gets a fresh instance
/// with these limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest linear memory a guest may grow to, in bytes.
    pub memory_bytes: usize,
    /// Wall-clock deadline for one call, including time in host imports.
    pub timeout: Duration,
    /// Bytes of stdout and of stderr kept per call (each); a guest that
    /// writes more is stopped.
    pub output_bytes: usize,
    /// Longest state key, in bytes.
    pub state_key_bytes: usize,
    /// Largest state value, in bytes.
    pub state_value_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            memory_bytes: 64 << 20,
            timeout: Duration::from_secs(10),
            output_bytes: 64 << 10,
            state_key_bytes: 1 << 10,
            state_value_bytes: 1 << 20,
        }
    }
}

/// Enforces [`Limits::memory_bytes`] on linear memories and remembers that
/// it refused, so a guest that then aborts is reported as out of memory
/// rather than as a generic crash.
#[derive(Debug)]
pub(crate) struct GuestLimiter {
    memory_bytes: usize,
    /// The size a refused growth asked for, if one was refused.
    pub(crate) refused_memory: Option<usize>,
}

/// Tables may hold this many elements; enough for any real guest's function
/// table, small enough that a table cannot be used to exhaust host memory.
const MAX_TABLE_ELEMENTS: usize = 1 << 20;

impl GuestLimiter {
    pub(crate) fn new(limits: &Limits) -> Self {
        Self {
            memory_bytes: limits.memory_bytes,
            refused_memory: None,
        }
    }
}

impl wasmtime::ResourceLimiter for GuestLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_bytes {
            self.refused_memory = Some(desired);
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}
