//! `landlord:compute/state`: key/value bytes scoped to the provider, read
//! through and written into the call's transaction. Key and value sizes are
//! capped (returned as errors the guest can handle); going past the total
//! quota, or past the call's number of distinct keys written, stops the
//! call. The import reaches only the call's [`GuestState`].

use wasmtime::component::{HasData, Linker};

use crate::sandbox::bindings::landlord::compute::state::{self, StateError};
use crate::sandbox::context::{CallContext, GuestState};

impl GuestState {
    fn check_key(&self, key: &str) -> Result<(), StateError> {
        let max = self.limits.state_key_bytes;
        if key.len() > max {
            return Err(StateError::KeyTooLarge(saturate(max)));
        }
        Ok(())
    }

    /// Buffer a write; `Err` (a trap) when it would exceed the quota or the
    /// call's number of writes.
    fn write(
        &mut self,
        key: String,
        value: Option<Vec<u8>>,
    ) -> wasmtime::Result<Result<(), StateError>> {
        if let Err(err) = self.check_key(&key) {
            return Ok(Err(err));
        }
        let quota = self.limits.state_total_bytes;
        let max_writes = self.limits.state_writes;
        match self.transaction.write(key, value, quota, max_writes) {
            Ok(Ok(())) => Ok(Ok(())),
            Ok(Err(exceeded)) => Err(exceeded.into()),
            Err(err) => Ok(Err(unavailable(err))),
        }
    }
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn unavailable(err: crate::state::StateError) -> StateError {
    StateError::Unavailable(err.0)
}

impl state::Host for GuestState {
    fn get(&mut self, key: String) -> Result<Option<Vec<u8>>, StateError> {
        self.check_key(&key)?;
        self.transaction.get(&key).map_err(unavailable)
    }

    fn set(&mut self, key: String, value: Vec<u8>) -> wasmtime::Result<Result<(), StateError>> {
        let max = self.limits.state_value_bytes;
        if value.len() > max {
            return Ok(Err(StateError::ValueTooLarge(saturate(max))));
        }
        self.write(key, Some(value))
    }

    fn delete(&mut self, key: String) -> wasmtime::Result<Result<(), StateError>> {
        // Deleting only ever frees room, but it is a write of its key.
        self.write(key, None)
    }

    fn list_keys(&mut self, prefix: String) -> Result<Vec<String>, StateError> {
        self.check_key(&prefix)?;
        self.transaction.list_keys(&prefix).map_err(unavailable)
    }
}

/// The `state` import's view of a call: its [`GuestState`] alone.
struct StateView;

impl HasData for StateView {
    type Data<'a> = &'a mut GuestState;
}

pub(crate) fn add_to_linker(linker: &mut Linker<CallContext>) -> wasmtime::Result<()> {
    state::add_to_linker::<CallContext, StateView>(linker, |ctx| &mut ctx.state)
}
