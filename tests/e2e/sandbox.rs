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

/// Set in the child process that `the_pool_falls_back_...` starts under an
/// address-space limit.
const UNDER_ULIMIT: &str = "LANDLORD_TEST_UNDER_ULIMIT";

/// With too little address space for the pooling allocator (as under a
/// `ulimit -v`), the default runtime allocates on demand, says why, and
/// calls work. The check runs in a child process (this same test binary)
/// started under the limit.
#[test]
fn the_pool_falls_back_to_on_demand_allocation_without_address_space() {
    use landlord::compute::Provider;
    use landlord::sandbox::ActiveAllocation;

    if std::env::var_os(UNDER_ULIMIT).is_some() {
        let runtime = Runtime::new().unwrap();
        let ActiveAllocation::OnDemand {
            fallback: Some(why),
        } = runtime.allocation()
        else {
            panic!(
                "expected the on-demand fallback, got {}",
                runtime.allocation()
            );
        };
        assert!(!why.is_empty());
        let mock = landlord_tests::load_mock_on(&runtime, &[], Arc::new(MemoryStateStore::new()));
        let spec = landlord_tests::sample_spec("acme");
        block_on(mock.provision(&spec)).unwrap();
        block_on(mock.get_status("acme")).unwrap();
        return;
    }
    // Unlimited, the default runtime has its pool.
    assert!(matches!(
        Runtime::new().unwrap().allocation(),
        ActiveAllocation::Pooling { .. }
    ));
    // 64 GiB of address space: room for an on-demand instance (about 4 GiB
    // reserved per memory), not for the pool's hundreds of GiB.
    let test_binary = std::env::current_exe().unwrap();
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg("ulimit -v 67108864 && exec \"$0\" --exact sandbox::the_pool_falls_back_to_on_demand_allocation_without_address_space --nocapture")
        .arg(&test_binary)
        .env(UNDER_ULIMIT, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
