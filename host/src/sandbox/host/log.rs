//! `landlord:compute/log`: guest messages become tracing events tagged with
//! the provider and operation (the manager's span adds the tenant).

use wasmtime::component::{HasSelf, Linker};

use crate::sandbox::bindings::landlord::compute::log::{self, Level};
use crate::sandbox::context::CallContext;

/// Longest guest log message kept, in bytes; the rest is cut.
const MAX_MESSAGE_BYTES: usize = 8 << 10;

impl log::Host for CallContext {
    fn log(&mut self, level: Level, message: String) {
        let message = truncate(&message, MAX_MESSAGE_BYTES);
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

/// At most `max` bytes of `text`, cut at a character boundary.
pub(crate) fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

pub(crate) fn add_to_linker(linker: &mut Linker<CallContext>) -> wasmtime::Result<()> {
    log::add_to_linker::<CallContext, HasSelf<CallContext>>(linker, |ctx| ctx)
}
