//! Running providers as sandboxed WebAssembly components.
//!
//! A [`Runtime`] owns the wasmtime engine (compiled code is shared by every
//! provider loaded through it), the linker with the host imports, and the
//! epoch ticker that enforces call deadlines. [`WasmProvider::load`] compiles
//! a component once; every call then runs in a fresh store and instance with
//! the provider's [`Limits`].

pub(crate) mod bindings;
mod context;
mod convert;
mod host;
mod limits;
mod provider;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine};

pub use limits::Limits;
pub use provider::WasmProvider;

use crate::compute::ComputeError;
use bindings::ComputeProviderPre;
use context::CallContext;

/// How often the epoch ticker advances; deadlines are rounded up to it.
const EPOCH_TICK: Duration = Duration::from_millis(5);

/// What the operator grants one provider.
#[derive(Debug, Clone, Default)]
pub struct ProviderSettings {
    /// Key/values the provider reads through the `config` import.
    pub config: BTreeMap<String, String>,
    /// The limits every call runs under.
    pub limits: Limits,
}

/// The shared wasmtime engine, linker and deadline ticker. Cheap to clone.
#[derive(Clone)]
pub struct Runtime {
    engine: Engine,
    linker: Arc<Linker<CallContext>>,
}

impl Runtime {
    /// A runtime with epoch-based deadlines and the host imports linked:
    /// WASI p2 (with nothing granted) plus `log`, `state` and `config`.
    pub fn new() -> Result<Self, ComputeError> {
        Self::build().map_err(|err| ComputeError::Load {
            source_name: "(runtime)".into(),
            message: format!("cannot set up the wasmtime engine: {err:#}"),
        })
    }

    fn build() -> wasmtime::Result<Self> {
        let mut config = Config::new();
        config.epoch_interruption(true);
        let engine = Engine::new(&config)?;

        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
        host::log::add_to_linker(&mut linker)?;
        host::state::add_to_linker(&mut linker)?;
        host::config::add_to_linker(&mut linker)?;

        spawn_epoch_ticker(&engine);
        Ok(Self {
            engine,
            linker: Arc::new(linker),
        })
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Compile `component` and resolve its imports against the linker.
    pub(crate) fn instantiate_pre(
        &self,
        component: &[u8],
    ) -> wasmtime::Result<ComputeProviderPre<CallContext>> {
        let component = Component::new(&self.engine, component)?;
        let pre = self.linker.instantiate_pre(&component)?;
        ComputeProviderPre::new(pre)
    }

    /// Epoch ticks that cover `timeout` (at least one).
    pub(crate) fn deadline_ticks(&self, timeout: Duration) -> u64 {
        let ticks = timeout.as_nanos().div_ceil(EPOCH_TICK.as_nanos());
        u64::try_from(ticks).unwrap_or(u64::MAX).max(1)
    }
}

/// Advance the engine's epoch every [`EPOCH_TICK`]. The thread holds only a
/// weak reference, so it ends once the last clone of the engine is dropped.
fn spawn_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    let spawned = std::thread::Builder::new()
        .name("landlord-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        });
    if let Err(err) = spawned {
        // Without the ticker no deadline fires; say so loudly rather than
        // fail every load.
        tracing::error!(error = %err, "could not start the epoch ticker: provider calls will have no deadline");
    }
}
