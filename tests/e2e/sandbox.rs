//! The sandbox around a real component: loading, and what a provider can
//! and cannot reach.

use std::future::Future;
use std::sync::Arc;

use landlord::compute::ErrorKind;
use landlord::sandbox::{ProviderSettings, Runtime, WasmProvider};
use landlord::state::MemoryStateStore;
use landlord_tests::load_mock;

#[test]
fn the_mock_names_itself_and_gets_default_limits() {
    let mock = load_mock(&[], Arc::new(MemoryStateStore::new()));
    use landlord::compute::Provider;
    assert_eq!(mock.name(), "mock");
    assert_eq!(mock.limits(), &landlord::sandbox::Limits::default());
}

#[test]
fn bytes_that_are_not_a_component_are_refused_at_load() {
    let runtime = Runtime::new().unwrap();
    for (bytes, expect) in [
        (
            &b"not wasm at all"[..],
            "cannot load provider component bad.wasm",
        ),
        // A core module (header only), not a component.
        (
            &b"\0asm\x01\0\0\0"[..],
            "cannot load provider component bad.wasm",
        ),
    ] {
        let err = WasmProvider::load(
            &runtime,
            "bad.wasm",
            bytes,
            ProviderSettings::default(),
            Arc::new(MemoryStateStore::new()),
        )
        .err()
        .expect("garbage must not load");
        assert_eq!(err.kind(), ErrorKind::Load);
        assert!(err.to_string().starts_with(expect), "{err}");
    }
}

#[test]
fn a_provider_is_usable_without_an_async_runtime() {
    let state = Arc::new(MemoryStateStore::new());
    let mock = load_mock(&[], state);
    use landlord::compute::Provider;
    // No tokio runtime here: the call runs inline on this thread.
    let result = block_on(mock.destroy("acme"));
    assert!(result.is_ok(), "{result:?}");
}

/// Poll a future to completion on this thread (no runtime).
fn block_on<F: Future>(future: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let mut future = std::pin::pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
}
