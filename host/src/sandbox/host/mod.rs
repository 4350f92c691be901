//! The host interfaces a provider may import, one file each: `log`,
//! `state`, `config`, and `wasi:http`'s client (`http`, with the gate on
//! requests to a granted engine in `engine`). Each implements its generated `Host` trait for its own
//! narrow part of the call's [`CallContext`](super::context::CallContext)
//! (as wasmtime's WASI links each interface to its own state), and links
//! itself.

pub(crate) mod config;
pub(crate) mod engine;
pub(crate) mod http;
pub(crate) mod log;
pub(crate) mod state;
