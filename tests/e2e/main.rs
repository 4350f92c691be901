//! End-to-end tests: real provider components, built from source by the
//! host's build script, driven through the `Manager`.

mod docker;
mod engine_policy;
mod hostile;
mod mock_failures;
mod mock_lifecycle;
mod outbound;
mod sandbox;
mod servers;
