//! `landlord:compute/state`: key/value bytes scoped to the provider, read
//! through and written into the call's transaction; sizes are capped by the
//! provider's limits.

use wasmtime::component::{HasSelf, Linker};

use crate::sandbox::bindings::landlord::compute::state::{self, StateError};
use crate::sandbox::context::CallContext;

impl CallContext {
    fn check_key(&self, key: &str) -> Result<(), StateError> {
        let max = self.limits.state_key_bytes;
        if key.len() > max {
            return Err(StateError::KeyTooLarge(saturate(max)));
        }
        Ok(())
    }
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn unavailable(err: crate::state::StateError) -> StateError {
    StateError::Unavailable(err.0)
}

impl state::Host for CallContext {
    fn get(&mut self, key: String) -> Result<Option<Vec<u8>>, StateError> {
        self.check_key(&key)?;
        self.state.get(&key).map_err(unavailable)
    }

    fn set(&mut self, key: String, value: Vec<u8>) -> Result<(), StateError> {
        self.check_key(&key)?;
        let max = self.limits.state_value_bytes;
        if value.len() > max {
            return Err(StateError::ValueTooLarge(saturate(max)));
        }
        self.state.set(key, value);
        Ok(())
    }

    fn delete(&mut self, key: String) -> Result<(), StateError> {
        self.check_key(&key)?;
        self.state.delete(key);
        Ok(())
    }

    fn list_keys(&mut self, prefix: String) -> Result<Vec<String>, StateError> {
        self.check_key(&prefix)?;
        self.state.list_keys(&prefix).map_err(unavailable)
    }
}

pub(crate) fn add_to_linker(linker: &mut Linker<CallContext>) -> wasmtime::Result<()> {
    state::add_to_linker::<CallContext, HasSelf<CallContext>>(linker, |ctx| ctx)
}
