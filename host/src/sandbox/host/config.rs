//! `landlord:compute/config`: the key/values the operator granted this
//! provider, read-only. Values are never logged.

use wasmtime::component::{HasSelf, Linker};

use crate::sandbox::bindings::landlord::compute::config;
use crate::sandbox::context::CallContext;

impl config::Host for CallContext {
    fn get(&mut self, key: String) -> Option<String> {
        self.config.get(&key).cloned()
    }

    fn get_all(&mut self) -> Vec<(String, String)> {
        self.config
            .iter()
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect()
    }
}

pub(crate) fn add_to_linker(linker: &mut Linker<CallContext>) -> wasmtime::Result<()> {
    config::add_to_linker::<CallContext, HasSelf<CallContext>>(linker, |ctx| ctx)
}
