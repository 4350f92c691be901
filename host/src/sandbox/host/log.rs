//! `landlord:compute/log`: guest messages become tracing events tagged with
//! the provider and operation (the manager's span adds the tenant).
//!
//! The import reaches only its own part of the call's data, [`GuestLog`]:
//! who is logging, and how much of the call's log budget is left. Each
//! message is escaped (a guest cannot print a line that looks like the
//! host's own, or move the terminal's cursor) and cut to
//! [`MAX_MESSAGE_BYTES`]; once the call has sent
//! [`Limits::log_messages`](crate::sandbox::Limits::log_messages) messages
//! or [`Limits::log_bytes`](crate::sandbox::Limits::log_bytes) bytes, the
//! host logs one warning where it cut and drops the rest, counting them
//! for the summary at the end of the call.

use std::sync::Arc;

use wasmtime::component::{HasData, Linker};

use crate::compute::Operation;
use crate::sandbox::bindings::landlord::compute::log::{self, Level};
use crate::sandbox::context::CallContext;
use crate::sandbox::limits::Limits;
use crate::text::escape_bounded;

/// Longest guest log message kept, in bytes after escaping; the rest is cut.
pub(crate) const MAX_MESSAGE_BYTES: usize = 8 << 10;

/// What the `log` import may touch during one call.
pub(crate) struct GuestLog {
    provider: Arc<str>,
    operation: Operation,
    /// Messages still allowed in this call.
    messages_left: usize,
    /// Bytes still allowed in this call.
    bytes_left: usize,
    /// Messages dropped once the budget ran out.
    pub(crate) dropped_messages: u64,
    /// Bytes of the dropped messages.
    pub(crate) dropped_bytes: u64,
}

impl GuestLog {
    pub(crate) fn new(provider: Arc<str>, operation: Operation, limits: &Limits) -> Self {
        Self {
            provider,
            operation,
            messages_left: limits.log_messages,
            bytes_left: limits.log_bytes,
            dropped_messages: 0,
            dropped_bytes: 0,
        }
    }

    /// Take room for a message of `len` bytes from the budget; `false` (and
    /// counted as dropped) when there is none left.
    fn admit(&mut self, len: usize) -> bool {
        let cost = len.max(1);
        if self.messages_left > 0 && cost <= self.bytes_left {
            self.messages_left -= 1;
            self.bytes_left -= cost;
            return true;
        }
        if self.dropped_messages == 0 {
            tracing::warn!(
                target: "landlord::guest",
                provider = &*self.provider,
                operation = self.operation.as_str(),
                "log limit reached: the provider's further log messages in this call are dropped (raise limits.log_messages / limits.log_kib to keep more)"
            );
        }
        self.dropped_messages += 1;
        self.dropped_bytes += len as u64;
        false
    }

    /// Say how much was dropped, if anything was; called when the call ends.
    pub(crate) fn report_dropped(&self) {
        if self.dropped_messages > 0 {
            tracing::warn!(
                target: "landlord::guest",
                provider = &*self.provider,
                operation = self.operation.as_str(),
                dropped_messages = self.dropped_messages,
                dropped_bytes = self.dropped_bytes,
                "log limit: dropped {} messages ({} bytes) from this call",
                self.dropped_messages,
                self.dropped_bytes
            );
        }
    }
}

impl log::Host for GuestLog {
    fn log(&mut self, level: Level, message: String) {
        if self.dropped_messages > 0 {
            // Past the budget: count it, spend nothing on it.
            self.dropped_messages += 1;
            self.dropped_bytes += message.len() as u64;
            return;
        }
        let message = escape_bounded(&message, MAX_MESSAGE_BYTES);
        if !self.admit(message.len()) {
            return;
        }
        let provider = &*self.provider;
        let operation = self.operation.as_str();
        match level {
            Level::Trace => {
                tracing::trace!(target: "landlord::guest", provider, operation, "{message}")
            }
            Level::Debug => {
                tracing::debug!(target: "landlord::guest", provider, operation, "{message}")
            }
            Level::Info => {
                tracing::info!(target: "landlord::guest", provider, operation, "{message}")
            }
            Level::Warn => {
                tracing::warn!(target: "landlord::guest", provider, operation, "{message}")
            }
            Level::Error => {
                tracing::error!(target: "landlord::guest", provider, operation, "{message}")
            }
        }
    }
}

/// The `log` import's view of a call: its [`GuestLog`] alone.
struct LogView;

impl HasData for LogView {
    type Data<'a> = &'a mut GuestLog;
}

pub(crate) fn add_to_linker(linker: &mut Linker<CallContext>) -> wasmtime::Result<()> {
    log::add_to_linker::<CallContext, LogView>(linker, |ctx| &mut ctx.log)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::bindings::landlord::compute::log::Host as _;

    fn guest_log(messages: usize, bytes: usize) -> GuestLog {
        let limits = Limits {
            log_messages: messages,
            log_bytes: bytes,
            ..Limits::default()
        };
        GuestLog::new("p".into(), Operation::Provision, &limits)
    }

    #[test]
    fn messages_past_the_count_are_dropped_and_counted() {
        let mut log = guest_log(3, 1 << 20);
        for _ in 0..10 {
            log.log(Level::Error, "flood".into());
        }
        assert_eq!(log.messages_left, 0);
        assert_eq!((log.dropped_messages, log.dropped_bytes), (7, 35));
    }

    #[test]
    fn messages_past_the_bytes_are_dropped_and_huge_ones_cut_first() {
        let mut log = guest_log(1000, 20 << 10);
        // Each is cut to 8 KiB (plus a short marker), so two fit in 20 KiB.
        for _ in 0..5 {
            log.log(Level::Info, "y".repeat(1 << 20));
        }
        assert_eq!(log.dropped_messages, 3);
        assert!(log.bytes_left < 4 << 10, "{}", log.bytes_left);
    }
}
