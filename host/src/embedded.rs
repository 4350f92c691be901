//! Provider components compiled into the binary, so it works with no
//! configuration: today the mock provider, the default.

/// The mock provider component (`providers/mock`), built from source by
/// this crate's build script.
pub const MOCK_COMPONENT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/mock.wasm"));
