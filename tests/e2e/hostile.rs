//! The hostile-provider suite: one guest per attack (`tests/hostile/<name>`,
//! README "Expectations" line each). For each: the error kind, that the
//! host goes on, that a well-behaved call right after succeeds, and that
//! state is unchanged. A guest without a test here fails to compile
//! (`foreach_hostile!(assert_test_exists)` at the bottom).

use std::sync::Arc;
use std::time::{Duration, Instant};

use landlord::compute::{
    ComputeError, ErrorKind, Manager, Provider, Registry, TenantComputeSpec, UpdateStatus,
};
use landlord::sandbox::{
    Capability, Grants, Limits, ProviderSettings, Runtime, RuntimeOptions, WasmProvider,
};
use landlord::state::{CallOutcome, MemoryStateStore, StateStore};
use landlord_tests::{foreach_hostile, hostile, sample_spec};

// The outbound-HTTP guests' tests live in `outbound.rs`, the engine
// policy's in `engine_policy.rs`; in scope here for `assert_test_exists`.
use crate::engine_policy::engine_attacks;
use crate::outbound::{
    outbound_drip, outbound_flood, outbound_huge_body, outbound_redirect, outbound_ungranted,
};

/// One hostile provider, registered, over a store holding a baseline key.
pub(crate) struct Arena {
    pub(crate) manager: Manager,
    pub(crate) state: Arc<MemoryStateStore>,
    pub(crate) name: String,
}

pub(crate) fn arena_with(runtime: &Runtime, guest: &[u8], settings: ProviderSettings) -> Arena {
    let state = Arc::new(MemoryStateStore::new());
    let provider = WasmProvider::load(runtime, "hostile guest", guest, settings, state.clone())
        .expect("the hostile guest loads");
    let name = provider.name().to_owned();
    state.apply(&name, &[("baseline".into(), Some(b"v1".to_vec()))]);
    let registry = Arc::new(Registry::new());
    registry.register(Arc::new(provider)).unwrap();
    Arena {
        manager: Manager::new(registry),
        state,
        name,
    }
}

fn arena(guest: &[u8], limits: Limits) -> Arena {
    let settings = ProviderSettings {
        limits,
        ..ProviderSettings::default()
    };
    arena_with(&Runtime::new().unwrap(), guest, settings)
}

pub(crate) fn spec(arena: &Arena) -> TenantComputeSpec {
    let mut spec = sample_spec("acme");
    spec.provider_type = arena.name.clone();
    spec
}

pub(crate) fn snapshot(state: &MemoryStateStore, provider: &str) -> Vec<(String, Vec<u8>)> {
    state
        .list_keys(provider, "")
        .unwrap()
        .into_iter()
        .map(|key| {
            let value = state.get(provider, &key).unwrap().unwrap();
            (key, value)
        })
        .collect()
}

/// Launch the attack (`provision`) and check it was contained as `kind`.
async fn contained(arena: &Arena, kind: ErrorKind) -> ComputeError {
    contained_within(arena, kind, Duration::from_secs(10)).await
}

/// [`contained`], within `within`: the error names the provider and the
/// operation, state is unchanged, the call is journaled with its kind, and
/// a well-behaved call right after succeeds.
pub(crate) async fn contained_within(
    arena: &Arena,
    kind: ErrorKind,
    within: Duration,
) -> ComputeError {
    let before = snapshot(&arena.state, &arena.name);
    let spec = spec(arena);
    let started = Instant::now();
    let err = arena
        .manager
        .provision_tenant(&spec)
        .await
        .expect_err("the attack must not succeed");
    let elapsed = started.elapsed();
    assert_eq!(err.kind(), kind, "{err}");
    assert!(elapsed < within, "took {elapsed:?} to contain: {err}");
    let text = err.to_string();
    assert!(
        text.contains(&format!("provider '{}'", arena.name)),
        "error must name the provider: {text}"
    );
    assert!(
        text.contains("provision"),
        "error must name the operation: {text}"
    );
    assert_eq!(
        snapshot(&arena.state, &arena.name),
        before,
        "state must be unchanged"
    );
    // The contained call is journaled with its kind.
    let journal = arena.state.journal(Some("acme")).unwrap();
    assert!(
        matches!(journal.last(), Some(record) if matches!(&record.outcome, CallOutcome::Failed { kind: k, .. } if *k == kind)),
        "{journal:?}"
    );

    // The host goes on: a well-behaved call right after succeeds, and its
    // state write is kept.
    let updated = arena.manager.update_tenant("acme", &spec).await.unwrap();
    assert_eq!(updated.status, UpdateStatus::Success);
    assert_eq!(
        arena
            .state
            .get(&arena.name, "tenant/acme")
            .unwrap()
            .as_deref(),
        Some(&b"updated"[..])
    );
    err
}

fn short_deadline() -> Limits {
    Limits {
        timeout: Duration::from_millis(300),
        ..Limits::default()
    }
}

#[tokio::test]
async fn infinite_loop() {
    let arena = arena(hostile::INFINITE_LOOP, short_deadline());
    contained(&arena, ErrorKind::Timeout).await;
}

/// A looping guest runs in the caller's task but yields at every epoch
/// tick: on a single-threaded runtime, another task keeps running while
/// the guest loops until its deadline.
#[tokio::test(flavor = "current_thread")]
async fn a_looping_guest_does_not_starve_other_tasks() {
    let arena = arena(hostile::INFINITE_LOOP, short_deadline());
    let ticks = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let ticker = tokio::spawn({
        let ticks = Arc::clone(&ticks);
        async move {
            loop {
                tokio::time::sleep(Duration::from_millis(1)).await;
                ticks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
    });
    let err = arena
        .manager
        .provision_tenant(&spec(&arena))
        .await
        .expect_err("the loop must be stopped");
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    ticker.abort();
    // The 300 ms deadline at 5 ms ticks gives the ticker about 60 turns; a
    // guest holding the thread would have left it none.
    let ticks = ticks.load(std::sync::atomic::Ordering::Relaxed);
    assert!(ticks >= 10, "the other task ran only {ticks} times");
}

#[tokio::test]
async fn infinite_loop_with_a_fuel_budget() {
    let runtime = Runtime::with_options(RuntimeOptions {
        fuel: true,
        ..RuntimeOptions::default()
    })
    .unwrap();
    let settings = ProviderSettings {
        limits: Limits {
            fuel: Some(50_000_000),
            ..Limits::default()
        },
        ..ProviderSettings::default()
    };
    let arena = arena_with(&runtime, hostile::INFINITE_LOOP, settings);
    let err = contained(&arena, ErrorKind::FuelExhausted).await;
    assert!(err.to_string().contains("50000000 fuel"), "{err}");
}

#[test]
fn a_fuel_budget_needs_a_metering_runtime() {
    let settings = ProviderSettings {
        limits: Limits {
            fuel: Some(1),
            ..Limits::default()
        },
        ..ProviderSettings::default()
    };
    let err = WasmProvider::load(
        &Runtime::new().unwrap(),
        "infinite_loop.wasm",
        hostile::INFINITE_LOOP,
        settings,
        Arc::new(MemoryStateStore::new()),
    )
    .err()
    .unwrap();
    assert_eq!(err.kind(), ErrorKind::Load);
    assert!(
        err.to_string().contains("RuntimeOptions { fuel: true"),
        "{err}"
    );
}

#[tokio::test]
async fn memory_growth() {
    let limits = Limits {
        memory_bytes: 16 << 20,
        ..Limits::default()
    };
    let err = contained(
        &arena(hostile::MEMORY_GROWTH, limits),
        ErrorKind::MemoryLimit,
    )
    .await;
    assert!(err.to_string().contains("the limit is 16777216"), "{err}");
}

#[tokio::test]
async fn deep_recursion() {
    contained(
        &arena(hostile::DEEP_RECURSION, Limits::default()),
        ErrorKind::StackOverflow,
    )
    .await;
}

#[tokio::test]
async fn panic() {
    let err = contained(&arena(hostile::PANIC, Limits::default()), ErrorKind::Trap).await;
    assert!(
        err.to_string()
            .contains("hostile guest panicked on purpose"),
        "the guest's panic message must reach the caller: {err}"
    );
}

/// A denied attack returns normally with the guest's own report; nothing
/// may have leaked into it.
async fn denied(guest: &[u8], settings: ProviderSettings) -> String {
    let arena = arena_with(&Runtime::new().unwrap(), guest, settings);
    let err = contained(&arena, ErrorKind::ProvisionFailed).await;
    let text = err.to_string();
    assert!(text.contains("denied"), "{text}");
    assert!(!text.contains("LEAKED"), "{text}");
    text
}

#[tokio::test]
async fn read_file() {
    denied(hostile::READ_FILE, ProviderSettings::default()).await;
}

#[tokio::test]
async fn read_env() {
    // The test process has an environment; the guest must see none of it.
    assert!(std::env::var_os("PATH").is_some());
    denied(hostile::READ_ENV, ProviderSettings::default()).await;
}

#[tokio::test]
async fn open_socket() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let target = listener.local_addr().unwrap().to_string();
    let settings = ProviderSettings {
        config: [("target".to_owned(), target)].into(),
        ..ProviderSettings::default()
    };
    denied(hostile::OPEN_SOCKET, settings).await;
    let accepted = listener.accept();
    assert!(
        matches!(&accepted, Err(err) if err.kind() == std::io::ErrorKind::WouldBlock),
        "the guest reached the listener: {accepted:?}"
    );
}

#[tokio::test]
async fn stdout_flood() {
    let err = contained(
        &arena(hostile::STDOUT_FLOOD, Limits::default()),
        ErrorKind::OutputLimit,
    )
    .await;
    assert!(
        err.to_string().contains("more than 65536 bytes to stdout"),
        "{err}"
    );
}

#[tokio::test]
async fn huge_string() {
    let err = contained(
        &arena(hostile::HUGE_STRING, Limits::default()),
        ErrorKind::InvalidResult,
    )
    .await;
    assert!(
        err.to_string().contains("message is 8388608 bytes long"),
        "{err}"
    );
}

#[tokio::test]
async fn wrong_tenant() {
    let err = contained(
        &arena(hostile::WRONG_TENANT, Limits::default()),
        ErrorKind::InvalidResult,
    )
    .await;
    let text = err.to_string();
    assert!(
        text.contains("tenant 'someone-else', but tenant 'acme' was asked for"),
        "{text}"
    );
    assert!(text.contains("provider_type is 'mock'"), "{text}");
}

#[tokio::test]
async fn sleep() {
    let started = Instant::now();
    contained(&arena(hostile::SLEEP, short_deadline()), ErrorKind::Timeout).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "an hour's sleep must end at the deadline"
    );
}

#[tokio::test]
async fn state_flood() {
    let limits = Limits {
        state_total_bytes: 1 << 20,
        ..Limits::default()
    };
    let err = contained(&arena(hostile::STATE_FLOOD, limits), ErrorKind::StateQuota).await;
    assert!(err.to_string().contains("its quota is 1048576"), "{err}");
}

fn load_error(guest: &[u8], grants: Grants) -> String {
    let settings = ProviderSettings {
        grants,
        ..ProviderSettings::default()
    };
    let err = WasmProvider::load(
        &Runtime::new().unwrap(),
        "guest.wasm",
        guest,
        settings,
        Arc::new(MemoryStateStore::new()),
    )
    .err()
    .expect("the component must be refused at load");
    assert_eq!(err.kind(), ErrorKind::Load);
    err.to_string()
}

#[test]
fn ungranted_import() {
    let text = load_error(hostile::UNGRANTED_IMPORT, Grants::all());
    assert!(
        text.contains("it imports evil:exfil/net@1.0.0, which this host does not provide"),
        "{text}"
    );
    assert_eq!(
        text.matches("\n  - ").count(),
        1,
        "only the extra import is wrong: {text}"
    );

    // The same check refuses a provider that uses an interface it was not granted.
    let text = load_error(
        landlord::embedded::MOCK_COMPONENT,
        Grants::all().without(Capability::State),
    );
    assert!(
        text.contains("it imports landlord:compute/state@0.1.0, which this provider is not granted (granted: log, config)"),
        "{text}"
    );
}

#[test]
fn wrong_version() {
    let text = load_error(hostile::WRONG_VERSION, Grants::all());
    assert!(
        text.contains("it exports landlord:compute/provider@0.2.0, but this host speaks landlord:compute/provider@0.1.x"),
        "{text}"
    );
}

#[tokio::test]
async fn every_attack_in_turn_on_one_runtime_leaves_it_serving() {
    // The attacks share one engine; after all of them the mock still works.
    let runtime = Runtime::new().unwrap();
    for (name, guest) in hostile::ALL {
        let settings = ProviderSettings {
            limits: Limits {
                memory_bytes: 16 << 20,
                state_total_bytes: 1 << 20,
                ..short_deadline()
            },
            ..ProviderSettings::default()
        };
        let Ok(provider) = WasmProvider::load(
            &runtime,
            name,
            guest,
            settings,
            Arc::new(MemoryStateStore::new()),
        ) else {
            continue; // refused at load: nothing ran
        };
        let mut spec = sample_spec("acme");
        spec.provider_type = provider.name().to_owned();
        assert!(
            provider.provision(&spec).await.is_err(),
            "{name} was not contained"
        );
    }
    let mock = landlord_tests::load_mock_on(&runtime, &[], Arc::new(MemoryStateStore::new()));
    mock.provision(&sample_spec("acme")).await.unwrap();
}

/// What the host logged on this thread while a [`CaptureGuard`] lives, as
/// the CLI would print it (without colour). One global subscriber writes
/// each event to its thread's capture, if any: per-thread subscribers would
/// share tracing's global callsite cache, so a callsite first hit by another
/// test could stay disabled for this one.
#[derive(Clone, Default)]
struct CapturedLog(Arc<std::sync::Mutex<Vec<u8>>>);

thread_local! {
    static CAPTURE: std::cell::RefCell<Option<CapturedLog>> = const { std::cell::RefCell::new(None) };
}

/// Ends this thread's capture when dropped.
struct CaptureGuard;

impl Drop for CaptureGuard {
    fn drop(&mut self) {
        CAPTURE.with(|capture| capture.borrow_mut().take());
    }
}

impl CapturedLog {
    /// Capture this thread's tracing events at `info` and above.
    fn start() -> (Self, CaptureGuard) {
        static GLOBAL: std::sync::Once = std::sync::Once::new();
        GLOBAL.call_once(|| {
            tracing_subscriber::fmt()
                .with_writer(ThreadCapture)
                .with_ansi(false)
                .with_max_level(tracing::Level::INFO)
                .init();
        });
        let log = Self::default();
        CAPTURE.with(|capture| *capture.borrow_mut() = Some(log.clone()));
        (log, CaptureGuard)
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Writes to the emitting thread's capture; elsewhere, nowhere.
struct ThreadCapture;

impl std::io::Write for ThreadCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        CAPTURE.with(|capture| {
            if let Some(log) = &*capture.borrow() {
                log.0.lock().unwrap().extend_from_slice(buf);
            }
        });
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for ThreadCapture {
    type Writer = ThreadCapture;
    fn make_writer(&'a self) -> Self::Writer {
        ThreadCapture
    }
}

#[tokio::test]
async fn log_flood() {
    let (log, _guard) = CapturedLog::start();
    let err = contained(
        &arena(hostile::LOG_FLOOD, Limits::default()),
        ErrorKind::ProvisionFailed,
    )
    .await;
    assert!(err.to_string().contains("logged 1 GB"), "{err}");
    let text = log.text();
    // 64 messages of 1 KiB fill the 64 KiB budget; each line adds the
    // host's prefix. The other 1 048 512 are dropped and counted.
    let kept = text
        .lines()
        .filter(|line| line.contains("xxxxxxxx"))
        .count();
    assert_eq!(kept, 64, "messages kept");
    assert!(
        text.len() < 128 << 10,
        "the host logged {} bytes",
        text.len()
    );
    assert_eq!(text.matches("log limit reached").count(), 1, "{text}");
    assert!(
        text.contains("dropped 1048512 messages (1073676288 bytes)"),
        "{}",
        &text[text.len().saturating_sub(2000)..]
    );
}

#[tokio::test]
async fn log_forgery() {
    let (log, _guard) = CapturedLog::start();
    let err = contained(
        &arena(hostile::LOG_FORGERY, Limits::default()),
        ErrorKind::ProvisionFailed,
    )
    .await;
    let escaped = "provisioning\\n2031-01-01T00:00:00.000000Z ERROR landlord: forged host line\\r\\u{1b}[2K\\u{1b}[1A\\u{1b}[31mred\\u{202e}";
    let message = err.to_string();
    assert!(message.contains(escaped), "{message:?}");
    assert!(!message.chars().any(char::is_control), "{message:?}");
    let text = log.text();
    assert!(text.contains(escaped), "the log message, escaped: {text}");
    assert!(
        text.contains("forged host line\\r\\u{1b}[2K"),
        "stdout and stderr lines, escaped: {text}"
    );
    for bad in ['\r', '\u{1b}', '\u{202e}'] {
        assert!(!text.contains(bad), "{bad:?} reached the log: {text:?}");
    }
    for line in text.lines() {
        assert!(
            !line.starts_with("2031-01-01"),
            "a guest forged a host log line: {line:?}"
        );
    }
}

#[test]
fn huge_name() {
    let text = load_error(hostile::HUGE_NAME, Grants::all());
    assert!(
        text.len() < 1024,
        "a {} byte error: {}",
        text.len(),
        &text[..1024]
    );
    assert!(
        text.contains("is 10485760 characters long (the limit is 63)"),
        "{text}"
    );
}

/// At load, before its name is known, a component sees no provider's
/// state: not even when its source name is another provider's name.
#[tokio::test]
async fn name_reads_state() {
    let state = Arc::new(MemoryStateStore::new());
    state.apply("mock", &[("tenant/acme".into(), Some(b"{}".to_vec()))]);
    let provider = WasmProvider::load(
        &Runtime::new().unwrap(),
        "mock",
        hostile::NAME_READS_STATE,
        ProviderSettings::default(),
        state.clone(),
    )
    .unwrap();
    assert_eq!(provider.name(), "name-reads-state");
    // Once loaded it works in its own scope, over the store it was given.
    let mut spec = sample_spec("acme");
    spec.provider_type = provider.name().to_owned();
    provider.update("acme", &spec).await.unwrap();
    assert_eq!(
        state
            .get("name-reads-state", "tenant/acme")
            .unwrap()
            .as_deref(),
        Some(&b"updated"[..])
    );
    assert_eq!(
        state.get("mock", "tenant/acme").unwrap().as_deref(),
        Some(&b"{}"[..])
    );
}

#[tokio::test]
async fn many_keys() {
    let err = contained(
        &arena(hostile::MANY_KEYS, Limits::default()),
        ErrorKind::StateQuota,
    )
    .await;
    assert!(
        err.to_string()
            .contains("more than 10000 distinct state keys"),
        "{err}"
    );
}

macro_rules! assert_test_exists {
    ($name:ident) => {
        const _: fn() = $name;
    };
}
foreach_hostile!(assert_test_exists);
