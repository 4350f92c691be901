//! Rust bindings generated from `wit/` for the `compute-provider` world.
//! Exports are called asynchronously (so a deadline can cut a call short
//! even while it waits inside a host import); host imports are synchronous,
//! and only `state.set` and `state.delete` may trap (when the state quota or
//! the call's number of writes is exceeded).

#![allow(missing_docs)]

wasmtime::component::bindgen!({
    world: "compute-provider",
    path: "../wit",
    imports: {
        "landlord:compute/state.set": trappable,
        "landlord:compute/state.delete": trappable,
    },
    exports: {
        default: async,
    },
});

pub use self::exports::landlord::compute::provider::Guest as ProviderExports;
pub use self::landlord::compute::types as wit;
