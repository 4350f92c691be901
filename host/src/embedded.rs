//! Provider components compiled into the binary, so it works with no
//! configuration: today the mock provider, the default.

/// The mock provider component (`providers/mock`), built from source by
/// this crate's build script.
/// (A `static`, not a `const`: a const may be copied into each crate that
/// uses it, and [`sha256_hex`] recognizes these bytes by their address.)
pub static MOCK_COMPONENT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/mock.wasm"));

/// The SHA-256 of [`MOCK_COMPONENT`], lowercase hex, computed when it was
/// built.
pub const MOCK_SHA256: &str = include_str!(concat!(env!("OUT_DIR"), "/mock.sha256"));

/// The SHA-256 (lowercase hex) of `component`: known without hashing for
/// the embedded components.
pub fn sha256_hex(component: &[u8]) -> String {
    if std::ptr::eq(component, MOCK_COMPONENT) {
        return MOCK_SHA256.to_owned();
    }
    use sha2::{Digest, Sha256};
    Sha256::digest(component)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
