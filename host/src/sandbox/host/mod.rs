//! The host interfaces a provider may import, one file each: `log`,
//! `state`, `config`. Each implements its generated `Host` trait for the
//! call's [`CallContext`](super::context::CallContext) and links itself.

pub(crate) mod config;
pub(crate) mod log;
pub(crate) mod state;
