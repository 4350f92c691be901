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
pub mod engine;
mod grants;
mod host;
mod limits;
mod origin;
mod provider;
mod results;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

pub use engine::EnginePolicy;
pub use grants::{Capability, Grants};
pub use limits::Limits;
pub use origin::{Origin, OriginError, WebScheme};
pub use provider::{IdleInstance, WasmProvider};
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeOptions {
    /// Meter fuel in every call, so providers may have a fuel budget
    /// ([`Limits::fuel`]). Metering slows guest code a little, so it is off
    /// unless some provider needs it.
    pub fuel: bool,
    /// Keep compiled components here, keyed by component digest and engine
    /// settings, so later processes skip compiling; `None` compiles every
    /// time.
    pub cache_dir: Option<PathBuf>,
    /// Where each call's instance gets its memories, tables and stack.
    pub allocation: Allocation,
    /// Most calls running at once, across every provider of this runtime;
    /// further calls wait for a free slot (the wait does not count against
    /// their deadline). With the pooling allocator this is also the number
    /// of instance slots reserved up front.
    pub max_concurrent_calls: u32,
}

impl Default for RuntimeOptions {
    fn default() -> Self {
        Self {
            fuel: false,
            cache_dir: None,
            allocation: Allocation::default(),
            max_concurrent_calls: 64,
        }
    }
}

/// How call instances get their memory (see `docs/performance.md`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Allocation {
    /// The pooling allocator when this process can reserve its address
    /// space, else on demand (logged as a warning).
    #[default]
    Auto,
    /// Always the pooling allocator: memories, tables and stacks are
    /// reserved once and reused, so a call maps and unmaps nothing.
    /// Creating the runtime fails if the reservation does.
    Pooling,
    /// Map every instance's memory when the call starts and unmap it when
    /// it ends: no up-front reservation, more work per call.
    OnDemand,
}

/// Which allocator a runtime ended up with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActiveAllocation {
    /// The pooling allocator, with this many instance slots.
    Pooling {
        /// Instance slots (= [`RuntimeOptions::max_concurrent_calls`]).
        slots: u32,
    },
    /// On demand; `fallback` says why, when pooling was asked for but failed.
    OnDemand {
        /// Why the pooling allocator could not be used, if it was tried.
        fallback: Option<String>,
    },
}

impl std::fmt::Display for ActiveAllocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ActiveAllocation::Pooling { slots } => write!(f, "pooling ({slots} slots)"),
            ActiveAllocation::OnDemand { fallback: None } => f.write_str("on demand"),
            ActiveAllocation::OnDemand {
                fallback: Some(why),
            } => write!(f, "on demand (pooling unavailable: {why})"),
        }
    }
}

/// What the pooling allocator reserves. Per component: enough for any
/// provider whose [`Limits`] stay within these counts (a provider
/// configured beyond them is refused at load under pooling, see
/// [`Runtime::check_limits`]). In all: per call slot, room for the one or
/// two memories and few tables that real components have; each memory slot
/// reserves about 4 GiB of address space, so this is what bounds the pool.
mod pool {
    /// Linear memories reserved per call slot, on average.
    pub(super) const MEMORIES_PER_SLOT: u32 = 2;
    /// Tables reserved per call slot, on average.
    pub(super) const TABLES_PER_SLOT: u32 = 4;
    /// Core instances one component may create.
    pub(super) const CORE_INSTANCES_PER_COMPONENT: u32 = 64;
    /// Linear memories one component may define.
    pub(super) const MEMORIES_PER_COMPONENT: u32 = 8;
    /// Tables one component may define.
    pub(super) const TABLES_PER_COMPONENT: u32 = 32;
    /// Elements one table may hold.
    pub(super) const TABLE_ELEMENTS: usize = 1 << 20;
    /// Bytes of each memory, table and stack slot kept resident between
    /// calls and reset in place.
    pub(super) const KEEP_RESIDENT: usize = 8 << 20;
}

/// The shared wasmtime engine, linker and deadline ticker. Cheap to clone.
#[derive(Clone)]
pub struct Runtime {
    engine: Engine,
    linker: Arc<Linker<CallContext>>,
    options: RuntimeOptions,
    allocation: ActiveAllocation,
    /// One permit per call that may run at once.
    pub(crate) call_slots: Arc<tokio::sync::Semaphore>,
    cache: Option<cache::ComponentCache>,
}

impl Runtime {
    /// A runtime with default options (no fuel metering).
    pub fn new() -> Result<Self, ComputeError> {
        Self::with_options(RuntimeOptions::default())
    }

    /// A runtime with epoch-based deadlines and the host imports linked:
    /// WASI p2 (with nothing granted), `log`, `state` and `config`, and the
    /// client side of `wasi:http` (which sends only to granted origins).
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
        let slots = options.max_concurrent_calls.max(1);
        let (engine, allocation) = match options.allocation {
            Allocation::OnDemand => (
                Engine::new(&config)?,
                ActiveAllocation::OnDemand { fallback: None },
            ),
            Allocation::Pooling => (
                pooling_engine(&mut config, slots)?,
                ActiveAllocation::Pooling { slots },
            ),
            Allocation::Auto => match pooling_engine(&mut config.clone(), slots) {
                Ok(engine) => (engine, ActiveAllocation::Pooling { slots }),
                Err(err) => {
                    // Typically an address-space limit (`ulimit -v`): the
                    // pool reserves several TiB of virtual memory up front.
                    tracing::warn!(error = %format!("{err:#}"), "the pooling allocator is unavailable; instances are allocated on demand");
                    (
                        Engine::new(&config)?,
                        ActiveAllocation::OnDemand {
                            fallback: Some(format!("{err:#}")),
                        },
                    )
                }
            },
        };

        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        host::log::add_to_linker(&mut linker)?;
        host::state::add_to_linker(&mut linker)?;
        host::config::add_to_linker(&mut linker)?;
        host::http::add_to_linker(&mut linker)?;

        spawn_epoch_ticker(&engine);
        let cache = options
            .cache_dir
            .clone()
            .map(|dir| cache::ComponentCache::new(dir, &engine));
        Ok(Self {
            engine,
            linker: Arc::new(linker),
            call_slots: Arc::new(tokio::sync::Semaphore::new(slots as usize)),
            options,
            allocation,
            cache,
        })
    }

    /// The options this runtime was created with.
    pub fn options(&self) -> &RuntimeOptions {
        &self.options
    }

    /// The instance allocator in use (pooling, or on demand and why).
    pub fn allocation(&self) -> &ActiveAllocation {
        &self.allocation
    }

    /// Wait for a call slot; the call runs while the permit is held.
    pub(crate) async fn call_slot(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        // The semaphore is never closed, so acquiring fails only in theory;
        // a call then runs without a slot rather than not at all.
        self.call_slots.acquire().await.ok()
    }

    /// Why `limits` cannot be met by this runtime's allocator, if they cannot.
    pub(crate) fn check_limits(&self, limits: &Limits) -> Result<(), String> {
        if !matches!(self.allocation, ActiveAllocation::Pooling { .. }) {
            return Ok(());
        }
        let over = [
            (
                "instances",
                limits.instances,
                pool::CORE_INSTANCES_PER_COMPONENT as usize,
            ),
            (
                "memories",
                limits.memories,
                pool::MEMORIES_PER_COMPONENT as usize,
            ),
            ("tables", limits.tables, pool::TABLES_PER_COMPONENT as usize),
            (
                "table_elements",
                limits.table_elements,
                pool::TABLE_ELEMENTS,
            ),
        ]
        .into_iter()
        .filter(|(_, asked, most)| asked > most)
        .map(|(name, asked, most)| {
            format!("limits.{name} = {asked} is more than the pooling allocator's {most}")
        })
        .collect::<Vec<_>>();
        if over.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{}; lower it, or run with the on-demand allocator",
                over.join("; ")
            ))
        }
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
}

/// An engine with the pooling allocator sized for `slots` concurrent calls.
/// Fails when the process cannot reserve the pool's address space.
fn pooling_engine(config: &mut Config, slots: u32) -> wasmtime::Result<Engine> {
    let mut pooling = PoolingAllocationConfig::new();
    pooling
        .total_component_instances(slots)
        .total_core_instances(slots * pool::CORE_INSTANCES_PER_COMPONENT)
        .total_memories(slots * pool::MEMORIES_PER_SLOT)
        .total_tables(slots * pool::TABLES_PER_SLOT)
        .total_stacks(slots)
        .max_core_instances_per_component(pool::CORE_INSTANCES_PER_COMPONENT)
        .max_memories_per_component(pool::MEMORIES_PER_COMPONENT)
        .max_tables_per_component(pool::TABLES_PER_COMPONENT)
        .max_memories_per_module(pool::MEMORIES_PER_COMPONENT)
        .max_tables_per_module(pool::TABLES_PER_COMPONENT)
        .table_elements(pool::TABLE_ELEMENTS)
        // Reset what a call dirtied by copying it back rather than by
        // `madvise`: each `madvise` (and each fault on the next use) changes
        // the page tables, and in a multi-threaded process every such change
        // interrupts the other cores to flush their TLBs, which serialized
        // concurrent calls. With PAGEMAP_SCAN (Linux 6.7+) only the pages the
        // call touched are reset.
        .linear_memory_keep_resident(pool::KEEP_RESIDENT)
        .table_keep_resident(pool::KEEP_RESIDENT)
        .async_stack_keep_resident(pool::KEEP_RESIDENT)
        .pagemap_scan(Enabled::Auto);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling));
    Engine::new(config)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime(allocation: Allocation) -> Runtime {
        Runtime::with_options(RuntimeOptions {
            allocation,
            max_concurrent_calls: 4,
            ..RuntimeOptions::default()
        })
        .unwrap()
    }

    #[test]
    fn limits_beyond_the_pool_are_refused_by_name_only_under_pooling() {
        let pooling = runtime(Allocation::Pooling);
        assert_eq!(
            pooling.allocation(),
            &ActiveAllocation::Pooling { slots: 4 }
        );
        assert_eq!(pooling.check_limits(&Limits::default()), Ok(()));
        let greedy = Limits {
            instances: 100,
            table_elements: 1 << 24,
            ..Limits::default()
        };
        let err = pooling.check_limits(&greedy).unwrap_err();
        assert!(err.contains("limits.instances = 100"), "{err}");
        assert!(err.contains("limits.table_elements"), "{err}");
        assert!(!err.contains("limits.memories"), "{err}");

        let on_demand = runtime(Allocation::OnDemand);
        assert_eq!(
            on_demand.allocation(),
            &ActiveAllocation::OnDemand { fallback: None }
        );
        assert_eq!(on_demand.check_limits(&greedy), Ok(()));
    }
}
