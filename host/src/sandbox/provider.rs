//! [`WasmProvider`]: the [`Provider`] trait implemented by calling a
//! component, each call in a fresh store and instance.
//!
//! A call is one future (instantiate, then call the export) under a tokio
//! timeout, run in the caller's task. The guest runs on a fiber that yields
//! back to the executor every epoch tick, so a guest that computes holds a
//! worker for at most one tick at a time, and a guest that loops or waits
//! inside a host import (a WASI sleep, say) is cut off by the same deadline.
//! Without a tokio runtime the future is driven by a small per-thread
//! current-thread runtime.

use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use chrono::Utc;
use wasmtime::Store;

use super::bindings::{ComputeProviderPre, ProviderExports, wit};
use super::context::{CallContext, StateQuotaExceeded};
use super::convert::{
    CallSite, compute_status_from_wit, provision_result_from_wit, spec_to_wit,
    update_result_from_wit,
};
use super::grants::Grants;
use super::host::http::Reach;
use super::limits::Limits;
use super::{ProviderSettings, Runtime};
use crate::compute::{
    ComputeError, ComputeStatus, IDENTIFIER_RULE, LimitKind, Operation, Provider, ProvisionResult,
    Result, TenantComputeSpec, UpdateResult, check_provider_name,
};
use crate::state::{CallOutcome, CallRecord, FinishedCall, MemoryStateStore, StateStore};
use crate::text::{escape_bounded, for_message};

/// A provider backed by a WebAssembly component. Cheap to clone; the
/// component is compiled once, at load.
///
/// Its calls run in the caller's task; inside a tokio runtime that runtime
/// needs its timers and its I/O driver (`enable_all()`, as `#[tokio::main]`
/// and `#[tokio::test]` have), because every call runs under a tokio
/// timeout and outbound HTTP uses tokio's sockets. Outside one, a
/// per-thread runtime drives the call.
#[derive(Clone)]
pub struct WasmProvider {
    inner: Arc<Inner>,
}

struct Inner {
    name: Arc<str>,
    runtime: Runtime,
    pre: ComputeProviderPre<CallContext>,
    limits: Arc<Limits>,
    grants: Grants,
    /// What its outbound and engine grants reach, shared by every call's
    /// policy.
    reach: Arc<Reach>,
    config: Arc<BTreeMap<String, String>>,
    state: Arc<dyn StateStore>,
}

/// An instantiated provider with no call running, from
/// [`WasmProvider::instantiate_idle`]. Dropping it frees the instance.
pub struct IdleInstance {
    _instance: super::bindings::ComputeProvider,
    _store: Store<CallContext>,
    _slot: tokio::sync::OwnedSemaphorePermit,
}

/// What a guest call returned when it did not trap.
type GuestOutcome<T> = std::result::Result<T, wit::ProviderError>;

/// One export call: its operation, the tenant it is about, how to make it,
/// how to check its result before its state writes are kept, and what the
/// tenant index keeps of it.
trait GuestCall: Send + 'static {
    /// What the guest returns when it succeeds.
    type Output: Send + 'static;
    /// What the call returns to its caller: the output in the host's types.
    type Value: Send + 'static;
    const OPERATION: Operation;
    fn tenant_id(&self) -> &str;
    /// Refuse a result the host will not pass on (see `results.rs`).
    fn check(_site: &CallSite<'_>, _output: &Self::Output) -> Result<()> {
        Ok(())
    }
    /// The output in the host's types (after [`check`](Self::check)).
    fn convert(output: Self::Output) -> Self::Value;
    /// The spec this call applies, as the tenant index keeps it (taken out
    /// of the call before the call is made).
    fn take_applied(&mut self) -> Option<serde_json::Value> {
        None
    }
    /// The value as the tenant index keeps it.
    fn indexed(_value: &Self::Value) -> Option<serde_json::Value> {
        None
    }
    fn invoke(
        self,
        exports: &ProviderExports,
        store: &mut Store<CallContext>,
    ) -> impl Future<Output = wasmtime::Result<GuestOutcome<Self::Output>>>;
}

struct NameCall;
/// The spec for the guest, and as JSON for the tenant index.
struct ProvisionCall(wit::TenantComputeSpec, serde_json::Value);
struct UpdateCall(String, wit::TenantComputeSpec, serde_json::Value);
struct DestroyCall(String);
struct GetStatusCall(String);
struct ValidateCall(wit::TenantComputeSpec);

impl GuestCall for NameCall {
    type Output = String;
    type Value = String;
    const OPERATION: Operation = Operation::Name;
    fn tenant_id(&self) -> &str {
        ""
    }
    fn convert(output: String) -> String {
        output
    }
    async fn invoke(
        self,
        exports: &ProviderExports,
        store: &mut Store<CallContext>,
    ) -> wasmtime::Result<GuestOutcome<String>> {
        // `name` cannot fail with a provider-error.
        exports.call_name(store).await.map(Ok)
    }
}

impl GuestCall for ProvisionCall {
    type Output = wit::ProvisionResult;
    type Value = ProvisionResult;
    const OPERATION: Operation = Operation::Provision;
    fn tenant_id(&self) -> &str {
        &self.0.tenant_id
    }
    fn check(site: &CallSite<'_>, output: &Self::Output) -> Result<()> {
        site.check_provision(output)
    }
    fn convert(output: Self::Output) -> ProvisionResult {
        provision_result_from_wit(output, Utc::now())
    }
    fn take_applied(&mut self) -> Option<serde_json::Value> {
        Some(std::mem::take(&mut self.1))
    }
    fn indexed(value: &ProvisionResult) -> Option<serde_json::Value> {
        serde_json::to_value(value).ok()
    }
    async fn invoke(
        self,
        exports: &ProviderExports,
        store: &mut Store<CallContext>,
    ) -> wasmtime::Result<GuestOutcome<Self::Output>> {
        exports.call_provision(store, &self.0).await
    }
}

impl GuestCall for UpdateCall {
    type Output = wit::UpdateResult;
    type Value = UpdateResult;
    const OPERATION: Operation = Operation::Update;
    fn tenant_id(&self) -> &str {
        &self.0
    }
    fn check(site: &CallSite<'_>, output: &Self::Output) -> Result<()> {
        site.check_update(output)
    }
    fn convert(output: Self::Output) -> UpdateResult {
        update_result_from_wit(output, Utc::now())
    }
    fn take_applied(&mut self) -> Option<serde_json::Value> {
        Some(std::mem::take(&mut self.2))
    }
    fn indexed(value: &UpdateResult) -> Option<serde_json::Value> {
        serde_json::to_value(value).ok()
    }
    async fn invoke(
        self,
        exports: &ProviderExports,
        store: &mut Store<CallContext>,
    ) -> wasmtime::Result<GuestOutcome<Self::Output>> {
        exports.call_update(store, &self.0, &self.1).await
    }
}

impl GuestCall for DestroyCall {
    type Output = ();
    type Value = ();
    const OPERATION: Operation = Operation::Destroy;
    fn tenant_id(&self) -> &str {
        &self.0
    }
    fn convert(output: ()) {
        output
    }
    async fn invoke(
        self,
        exports: &ProviderExports,
        store: &mut Store<CallContext>,
    ) -> wasmtime::Result<GuestOutcome<()>> {
        exports.call_destroy(store, &self.0).await
    }
}

impl GuestCall for GetStatusCall {
    type Output = wit::ComputeStatus;
    type Value = ComputeStatus;
    const OPERATION: Operation = Operation::GetStatus;
    fn tenant_id(&self) -> &str {
        &self.0
    }
    fn check(site: &CallSite<'_>, output: &Self::Output) -> Result<()> {
        site.check_status(output)
    }
    fn convert(output: Self::Output) -> ComputeStatus {
        compute_status_from_wit(output, Utc::now())
    }
    async fn invoke(
        self,
        exports: &ProviderExports,
        store: &mut Store<CallContext>,
    ) -> wasmtime::Result<GuestOutcome<Self::Output>> {
        exports.call_get_status(store, &self.0).await
    }
}

impl GuestCall for ValidateCall {
    type Output = ();
    type Value = ();
    const OPERATION: Operation = Operation::Validate;
    fn tenant_id(&self) -> &str {
        &self.0.tenant_id
    }
    fn convert(output: ()) {
        output
    }
    async fn invoke(
        self,
        exports: &ProviderExports,
        store: &mut Store<CallContext>,
    ) -> wasmtime::Result<GuestOutcome<()>> {
        exports.call_validate(store, &self.0).await
    }
}

thread_local! {
    /// The runtime that drives guest calls made on this thread.
    static CALL_RUNTIME: OnceCell<tokio::runtime::Runtime> = const { OnceCell::new() };
}

/// Drive `future` to completion on this thread's call runtime.
fn block_on_call_runtime<F: Future>(future: F) -> std::io::Result<F::Output> {
    CALL_RUNTIME.with(|cell| {
        let runtime = match cell.get() {
            Some(runtime) => runtime,
            None => {
                // Timers for deadlines, I/O for outbound HTTP.
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                cell.get_or_init(|| runtime)
            }
        };
        Ok(runtime.block_on(future))
    })
}

impl WasmProvider {
    /// Check `component` against the provider's grants, compile it, and ask
    /// its name, which becomes its registry name. `source_name` names the
    /// component in errors (a path, or "embedded mock").
    pub fn load(
        runtime: &Runtime,
        source_name: &str,
        component: &[u8],
        settings: ProviderSettings,
        state: Arc<dyn StateStore>,
    ) -> Result<Self> {
        let load_error = |message: String| ComputeError::Load {
            source_name: source_name.to_owned(),
            message,
        };
        if settings.limits.fuel.is_some() && !runtime.fuel_enabled() {
            return Err(load_error(
                "its limits set a fuel budget, but the runtime meters no fuel; create it with RuntimeOptions { fuel: true, .. }".into(),
            ));
        }
        runtime.check_limits(&settings.limits).map_err(load_error)?;
        let pre = runtime
            .instantiate_pre(component, &settings.grants)
            .map_err(load_error)?;
        // `name()` runs before the provider's state scope is known, so it
        // sees an empty store of its own: never the state of a provider
        // whose name happens to equal `source_name`. Its writes are dropped.
        let mut inner = Inner {
            name: Arc::from(source_name),
            runtime: runtime.clone(),
            pre,
            limits: Arc::new(settings.limits),
            reach: Arc::new(Reach::of(&settings.grants)),
            grants: settings.grants,
            config: Arc::new(settings.config),
            state: Arc::new(MemoryStateStore::new()),
        };
        // Inside a tokio runtime this thread cannot block on another one:
        // then the call gets a thread of its own.
        let name = if tokio::runtime::Handle::try_current().is_ok() {
            std::thread::scope(|scope| scope.spawn(|| inner.call_blocking(NameCall)).join())
                .map_err(|_| {
                    load_error("the host thread asking for the provider's name failed".into())
                })?
        } else {
            inner.call_blocking(NameCall)
        }
        .map_err(|err| load_error(format!("calling name() failed: {err}")))?;
        check_provider_name(&name).map_err(|reason| {
            load_error(format!(
                "its name() is not a valid provider name: {reason}; {IDENTIFIER_RULE}"
            ))
        })?;
        inner.name = Arc::from(name);
        inner.state = state;
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// The same compiled component, settings and name over another state
    /// store: no compiling, no `name()` call. The conformance kit gives each
    /// rule fresh state this way.
    pub fn with_state(&self, state: Arc<dyn StateStore>) -> Self {
        let inner = &self.inner;
        Self {
            inner: Arc::new(Inner {
                name: Arc::clone(&inner.name),
                runtime: inner.runtime.clone(),
                pre: inner.pre.clone(),
                limits: Arc::clone(&inner.limits),
                grants: inner.grants.clone(),
                reach: Arc::clone(&inner.reach),
                config: Arc::clone(&inner.config),
                state,
            }),
        }
    }

    /// A fresh instance of the component with no call in it, kept alive
    /// until the value is dropped: for measuring what each live instance
    /// costs (benchmark (f) in `docs/performance.md`). It holds one of the
    /// runtime's call slots; `Err` when none is free.
    pub async fn instantiate_idle(&self) -> Result<IdleInstance> {
        let inner = &self.inner;
        let slot = Arc::clone(&inner.runtime.call_slots)
            .try_acquire_owned()
            .map_err(|_| ComputeError::ResourceLimit {
                provider: inner.name.to_string(),
                operation: Operation::Name,
                limit: LimitKind::Memory,
                message: "every call slot of the runtime is in use".into(),
            })?;
        let mut store = inner.new_store(Operation::Name)?;
        let instance = inner
            .pre
            .instantiate_async(&mut store)
            .await
            .map_err(|err| inner.contain(err, store.data(), Operation::Name))?;
        Ok(IdleInstance {
            _instance: instance,
            _store: store,
            _slot: slot,
        })
    }

    /// The limits every call of this provider runs under.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// What this provider may import.
    pub fn grants(&self) -> &Grants {
        &self.inner.grants
    }

    /// Run `call` in the caller's task, or, outside a tokio runtime, on this
    /// thread's call runtime.
    async fn run<C: GuestCall>(&self, call: C) -> Result<C::Value> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return self.inner.call(call).await;
        }
        self.inner.call_blocking(call)
    }
}

impl Inner {
    /// [`call`](Self::call) driven to completion on this thread.
    fn call_blocking<C: GuestCall>(&self, call: C) -> Result<C::Value> {
        block_on_call_runtime(self.call(call)).unwrap_or_else(|err| {
            Err(ComputeError::Trap {
                provider: self.name.to_string(),
                operation: C::OPERATION,
                message: format!("the host could not start a runtime for the call: {err}"),
            })
        })
    }

    /// One call in a fresh store and instance. State writes are kept only
    /// if the guest returned (a result or a provider-error) and the host
    /// accepted its answer; on a trap, timeout, limit or refused result they
    /// are dropped with the store. Either way the call is journaled, in the
    /// same store transaction as its writes.
    async fn call<C: GuestCall>(&self, mut call: C) -> Result<C::Value> {
        let operation = C::OPERATION;
        // Held until the store (and with it the instance) is gone.
        let _slot = self.runtime.call_slot().await;
        let mut store = self.new_store(operation)?;

        let tenant_id = call.tenant_id().to_owned();
        let applied = call.take_applied();
        let started_at = Utc::now();
        let started = Instant::now();
        let timeout = self.limits.timeout;
        let guest = async {
            let bindings = self.pre.instantiate_async(&mut store).await?;
            call.invoke(bindings.landlord_compute_provider(), &mut store)
                .await
        };
        let outcome = tokio::time::timeout(timeout, guest).await;
        let context = store.into_data();
        self.log_output(&context, operation);
        context.log.report_dropped();
        let site = CallSite {
            provider: &self.name,
            operation,
            tenant_id: &tenant_id,
        };
        // What the call produced, and the writes to keep with it (none when
        // the call is contained: a trap, a limit, a refused result).
        let (verdict, transaction) = match outcome {
            Ok(Ok(answer)) => {
                // The guest returned. A provider-error is its answer too, and
                // its writes are kept with it; a guest that went past its
                // output cap, or whose answer the host refuses, failed and
                // its writes are dropped.
                let refused = self
                    .output_overflow(&context, operation)
                    .or_else(|| context.http.refusal_error());
                let accepted = match refused {
                    Some(refused) => Err(refused),
                    None => match &answer {
                        Ok(value) => C::check(&site, value),
                        Err(err) => site.check_error(err),
                    },
                };
                match accepted {
                    Ok(()) => (
                        answer
                            .map(C::convert)
                            .map_err(|err| site.provider_error(err)),
                        Some(context.state.transaction),
                    ),
                    Err(refused) => (Err(refused), None),
                }
            }
            Ok(Err(err)) => (Err(self.contain(err, &context, operation)), None),
            // The deadline passed, while the guest computed (it yields every
            // epoch tick) or waited in a host import.
            Err(_elapsed) => (
                Err(ComputeError::Timeout {
                    provider: self.name.to_string(),
                    operation,
                    limit: timeout,
                }),
                None,
            ),
        };
        let record = CallRecord {
            at: started_at,
            provider: self.name.to_string(),
            tenant_id: tenant_id.clone(),
            operation,
            outcome: match &verdict {
                Ok(_) => CallOutcome::Ok,
                Err(err) => CallOutcome::Failed {
                    kind: err.kind(),
                    message: err.to_string(),
                },
            },
            duration_ms: started.elapsed().as_secs_f64() * 1000.0,
            reason: crate::state::call_reason(),
        };
        // `name` is asked before the provider's state scope is known: what it
        // writes is dropped.
        let transaction = transaction.filter(|_| operation != Operation::Name);
        // Only calls that may change a tenant are journaled (and indexed); a
        // read's writes (a provider should have none) are still kept with it.
        let finished_call = matches!(
            operation,
            Operation::Provision | Operation::Update | Operation::Destroy
        )
        .then(|| FinishedCall {
            record,
            spec: applied,
            result: verdict.as_ref().ok().and_then(C::indexed),
        });
        let finished = match (transaction, finished_call.as_ref()) {
            (Some(transaction), call) => transaction.commit(call),
            (None, Some(call)) => self.state.finish_call(&self.name, &[], Some(call)),
            (None, None) => Ok(()),
        };
        finished.map_err(|err| ComputeError::State {
            provider: self.name.to_string(),
            operation,
            message: err.0,
        })?;
        verdict
    }

    /// A store for one call of `operation`, with this provider's limits.
    fn new_store(&self, operation: Operation) -> Result<Store<CallContext>> {
        let context = CallContext::new(
            Arc::clone(&self.name),
            operation,
            Arc::clone(&self.limits),
            Arc::clone(&self.config),
            // `name()` must answer without side effects: no outbound HTTP.
            if operation == Operation::Name {
                Arc::new(Reach::default())
            } else {
                Arc::clone(&self.reach)
            },
            Arc::clone(&self.state),
        );
        let mut store = Store::new(self.runtime.engine(), context);
        store.limiter(|context| &mut context.limiter);
        // Yield to the executor at every epoch tick; the call's timeout is
        // the deadline.
        store.set_epoch_deadline(1);
        store.epoch_deadline_async_yield_and_update(1);
        if self.runtime.fuel_enabled() {
            // A runtime with fuel meters every store; no budget means all of it.
            let fuel = self.limits.fuel.unwrap_or(u64::MAX);
            if let Err(err) = store.set_fuel(fuel) {
                return Err(self.contain(err, store.data(), operation));
            }
        }
        Ok(store)
    }

    /// The typed error for a call that trapped or hit a limit.
    fn contain(
        &self,
        err: wasmtime::Error,
        context: &CallContext,
        operation: Operation,
    ) -> ComputeError {
        let provider = self.name.to_string();
        let limit = |limit: LimitKind, message: String| ComputeError::ResourceLimit {
            provider: provider.clone(),
            operation,
            limit,
            message,
        };
        if let Some(exceeded) = err.downcast_ref::<StateQuotaExceeded>() {
            return limit(LimitKind::State, exceeded.to_string());
        }
        let trap = err.downcast_ref::<wasmtime::Trap>().copied();
        match trap {
            Some(wasmtime::Trap::Interrupt) => {
                return ComputeError::Timeout {
                    provider,
                    operation,
                    limit: self.limits.timeout,
                };
            }
            Some(wasmtime::Trap::OutOfFuel) => {
                return limit(
                    LimitKind::Fuel,
                    format!(
                        "it burned its budget of {} fuel",
                        self.limits.fuel.unwrap_or(u64::MAX)
                    ),
                );
            }
            Some(wasmtime::Trap::StackOverflow) => {
                return limit(LimitKind::Stack, "the guest's call stack overflowed".into());
            }
            _ => {}
        }
        if let Some(desired) = context.limiter.refused_memory {
            return limit(
                LimitKind::Memory,
                format!(
                    "it asked to grow a linear memory to {desired} bytes; the limit is {}",
                    self.limits.memory_bytes
                ),
            );
        }
        if let Some(overflow) = self.output_overflow(context, operation) {
            return overflow;
        }
        // A guest that traps after a refused request (an unwrap of the
        // error, say) is reported by the refusal, its cause.
        if let Some(refused) = context.http.refusal_error() {
            return refused;
        }
        // A wasm backtrace names the guest's functions, which the guest
        // chose: escaped and bounded like any guest text.
        let mut message = match trap {
            Some(trap) => trap.to_string(),
            None => escape_bounded(&format!("{err:#}"), MAX_TRAP_TEXT).into_owned(),
        };
        if let Some(tail) = stderr_tail(context) {
            // The tail holds the panic message, if there is one.
            message.push_str("; guest stderr: ");
            message.push_str(&tail);
        }
        ComputeError::Trap {
            provider,
            operation,
            message,
        }
    }

    /// The error for a guest that filled its stdout or stderr cap (writes
    /// past it fail inside the guest), if it did.
    fn output_overflow(&self, context: &CallContext, operation: Operation) -> Option<ComputeError> {
        let cap = self.limits.output_bytes;
        [("stdout", &context.stdout), ("stderr", &context.stderr)]
            .into_iter()
            .find(|(_, pipe)| pipe.contents().len() >= cap)
            .map(|(stream, _)| ComputeError::ResourceLimit {
                provider: self.name.to_string(),
                operation,
                limit: LimitKind::Output,
                message: format!("it wrote more than {cap} bytes to {stream}"),
            })
    }

    /// Forward what the guest printed to tracing: the first
    /// [`MAX_FORWARDED_OUTPUT`] bytes of each stream, one event per line,
    /// each line escaped (a guest's line cannot pass for the host's).
    fn log_output(&self, context: &CallContext, operation: Operation) {
        for (stream, pipe) in [("stdout", &context.stdout), ("stderr", &context.stderr)] {
            let bytes = pipe.contents();
            if bytes.is_empty() {
                continue;
            }
            let shown = &bytes[..bytes.len().min(MAX_FORWARDED_OUTPUT)];
            let text = String::from_utf8_lossy(shown);
            let mut lines = text.lines().filter(|line| !line.trim().is_empty());
            for line in lines.by_ref().take(MAX_FORWARDED_LINES) {
                tracing::info!(
                    target: "landlord::guest",
                    provider = &*self.name,
                    operation = operation.as_str(),
                    stream,
                    "{}",
                    escape_bounded(line, MAX_FORWARDED_OUTPUT)
                );
            }
            let left_out = bytes.len() - shown.len();
            if left_out > 0 || lines.next().is_some() {
                tracing::info!(
                    target: "landlord::guest",
                    provider = &*self.name,
                    operation = operation.as_str(),
                    stream,
                    "[output cut: {} bytes written in all; the first {} lines or {} bytes are shown]",
                    bytes.len(),
                    MAX_FORWARDED_LINES,
                    MAX_FORWARDED_OUTPUT
                );
            }
        }
    }
}

/// Longest trap description (with its wasm backtrace) kept in an error.
const MAX_TRAP_TEXT: usize = 4 << 10;
/// Bytes of each output stream forwarded to the log per call.
const MAX_FORWARDED_OUTPUT: usize = 8 << 10;
/// Lines of each output stream forwarded to the log per call.
const MAX_FORWARDED_LINES: usize = 100;

/// The end of what the guest wrote to stderr, escaped and bounded, if it
/// wrote anything.
fn stderr_tail(context: &CallContext) -> Option<String> {
    let bytes = context.stderr.contents();
    let text = String::from_utf8_lossy(&bytes);
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let start = text.len().saturating_sub(1024);
    let start = (start..text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len());
    Some(for_message(&text[start..]))
}

/// A spec as the tenant index keeps it.
fn spec_json(spec: &TenantComputeSpec) -> serde_json::Value {
    serde_json::to_value(spec).unwrap_or(serde_json::Value::Null)
}

#[async_trait]
impl Provider for WasmProvider {
    fn name(&self) -> &str {
        &self.inner.name
    }

    async fn provision(&self, spec: &TenantComputeSpec) -> Result<ProvisionResult> {
        self.run(ProvisionCall(spec_to_wit(spec)?, spec_json(spec)))
            .await
    }

    async fn update(&self, tenant_id: &str, spec: &TenantComputeSpec) -> Result<UpdateResult> {
        self.run(UpdateCall(
            tenant_id.to_owned(),
            spec_to_wit(spec)?,
            spec_json(spec),
        ))
        .await
    }

    async fn destroy(&self, tenant_id: &str) -> Result<()> {
        self.run(DestroyCall(tenant_id.to_owned())).await
    }

    async fn get_status(&self, tenant_id: &str) -> Result<ComputeStatus> {
        self.run(GetStatusCall(tenant_id.to_owned())).await
    }

    async fn validate(&self, spec: &TenantComputeSpec) -> Result<()> {
        self.run(ValidateCall(spec_to_wit(spec)?)).await
    }
}
