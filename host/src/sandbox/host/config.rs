//! `landlord:compute/config`: the key/values the operator granted this
//! provider, read-only. Values are never logged. The import reaches only
//! the call's [`GrantedConfig`].

use wasmtime::component::{HasData, Linker};

use crate::sandbox::bindings::landlord::compute::config;
use crate::sandbox::context::{CallContext, GrantedConfig};

impl config::Host for GrantedConfig {
    fn get(&mut self, key: String) -> Option<String> {
        self.0.get(&key).cloned()
    }

    fn get_all(&mut self) -> Vec<(String, String)> {
        self.0
            .iter()
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect()
    }
}

/// The `config` import's view of a call: its [`GrantedConfig`] alone.
struct ConfigView;

impl HasData for ConfigView {
    type Data<'a> = &'a mut GrantedConfig;
}

pub(crate) fn add_to_linker(linker: &mut Linker<CallContext>) -> wasmtime::Result<()> {
    config::add_to_linker::<CallContext, ConfigView>(linker, |ctx| &mut ctx.config)
}
