//! Rust bindings generated from `wit/` for the `compute-provider` world.
//! Host imports are synchronous and cannot trap; every call runs on a
//! blocking thread of its own (see `provider.rs`).

#![allow(missing_docs)]

wasmtime::component::bindgen!({
    world: "compute-provider",
    path: "../wit",
});

pub use self::exports::landlord::compute::provider::Guest as ProviderExports;
pub use self::landlord::compute::types as wit;
