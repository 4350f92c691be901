//! Running providers as sandboxed WebAssembly components.
//!
//! A [`Runtime`] owns the wasmtime engine (compiled code is shared by every
//! provider loaded through it), the linker with the host imports, and the
//! epoch ticker that enforces call deadlines. [`WasmProvider::load`] checks a
//! component against the provider's [`Grants`] and compiles it once; every
//! call then runs in a fresh store and instance with the provider's
//! [`Limits`]. See `docs/sandbox.md` for the threat model.

pub(crate) mod bindings;
mod cache;
mod context;
mod convert;
mod grants;
mod host;
mod limits;
mod provider;
mod results;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine};

pub use grants::Grants;
pub use limits::Limits;
pub use provider::WasmProvider;
pub use results::{MAX_RESULT_ITEMS, MAX_RESULT_TEXT};

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
    /// The host interfaces the provider may import.
    pub grants: Grants,
}

/// What a component imports and exports, and whether this host can load it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentReport {
    /// Imported interface names, as the component lists them.
    pub imports: Vec<String>,
    /// Exported interface names.
    pub exports: Vec<String>,
    /// Why it cannot be loaded with the grants asked about; `None` if it can.
    pub problems: Option<String>,
}

/// Engine-wide choices, fixed when the runtime is created.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuntimeOptions {
    /// Meter fuel in every call, so providers may have a fuel budget
    /// ([`Limits::fuel`]). Metering slows guest code a little, so it is off
    /// unless some provider needs it.
    pub fuel: bool,
    /// Keep compiled components here, keyed by component digest and engine
    /// settings, so later processes skip compiling; `None` compiles every
    /// time.
    pub cache_dir: Option<PathBuf>,
}

/// The shared wasmtime engine, linker and deadline ticker. Cheap to clone.
#[derive(Clone)]
pub struct Runtime {
    engine: Engine,
    linker: Arc<Linker<CallContext>>,
    options: RuntimeOptions,
    cache: Option<cache::ComponentCache>,
}

impl Runtime {
    /// A runtime with default options (no fuel metering).
    pub fn new() -> Result<Self, ComputeError> {
        Self::with_options(RuntimeOptions::default())
    }

    /// A runtime with epoch-based deadlines and the host imports linked:
    /// WASI p2 (with nothing granted) plus `log`, `state` and `config`.
    pub fn with_options(options: RuntimeOptions) -> Result<Self, ComputeError> {
        Self::build(options).map_err(|err| ComputeError::Load {
            source_name: "(runtime)".into(),
            message: format!("cannot set up the wasmtime engine: {err:#}"),
        })
    }

    fn build(options: RuntimeOptions) -> wasmtime::Result<Self> {
        let mut config = Config::new();
        config.epoch_interruption(true);
        config.consume_fuel(options.fuel);
        let engine = Engine::new(&config)?;

        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        host::log::add_to_linker(&mut linker)?;
        host::state::add_to_linker(&mut linker)?;
        host::config::add_to_linker(&mut linker)?;

        spawn_epoch_ticker(&engine);
        let cache = options
            .cache_dir
            .clone()
            .map(|dir| cache::ComponentCache::new(dir, &engine));
        Ok(Self {
            engine,
            linker: Arc::new(linker),
            options,
            cache,
        })
    }

    /// The options this runtime was created with.
    pub fn options(&self) -> &RuntimeOptions {
        &self.options
    }

    pub(crate) fn fuel_enabled(&self) -> bool {
        self.options.fuel
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }

    /// What `component` imports and exports, and what would keep this host
    /// from loading it with `grants`.
    pub fn inspect(
        &self,
        component: &[u8],
        grants: &Grants,
    ) -> Result<ComponentReport, ComputeError> {
        let component = self
            .compile(component)
            .map_err(|message| ComputeError::Load {
                source_name: "(inspected component)".into(),
                message,
            })?;
        let (imports, exports) = self.world_of(&component);
        let problems = grants::check_world(
            imports.iter().map(String::as_str),
            exports.iter().map(String::as_str),
            grants,
        )
        .err();
        Ok(ComponentReport {
            imports,
            exports,
            problems,
        })
    }

    fn compile(&self, component: &[u8]) -> Result<Component, String> {
        match &self.cache {
            Some(cache) => cache.load_or_compile(&self.engine, component),
            None => Component::new(&self.engine, component),
        }
        .map_err(|err| format!("it is not a valid component: {err:#}"))
    }

    fn world_of(&self, component: &Component) -> (Vec<String>, Vec<String>) {
        let ty = component.component_type();
        let imports = ty
            .imports(&self.engine)
            .map(|(name, _)| name.to_owned())
            .collect();
        let exports = ty
            .exports(&self.engine)
            .map(|(name, _)| name.to_owned())
            .collect();
        (imports, exports)
    }

    /// Compile `component`, check its imports and exports against `grants`
    /// (listing every problem), and resolve its imports against the linker.
    pub(crate) fn instantiate_pre(
        &self,
        component: &[u8],
        grants: &Grants,
    ) -> Result<ComputeProviderPre<CallContext>, String> {
        let component = self.compile(component)?;
        let (imports, exports) = self.world_of(&component);
        grants::check_world(
            imports.iter().map(String::as_str),
            exports.iter().map(String::as_str),
            grants,
        )?;
        let pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|err| format!("its imports do not match the host's: {err:#}"))?;
        ComputeProviderPre::new(pre)
            .map_err(|err| format!("its provider export does not match the host's: {err:#}"))
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
        // Without the ticker only the timer deadline fires, and only while
        // the guest waits in a host import; say so loudly.
        tracing::error!(error = %err, "could not start the epoch ticker: a looping guest will not be stopped");
    }
}
