//! [`WasmProvider`]: the [`Provider`] trait implemented by calling a
//! component, each call in a fresh store and instance.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;
use wasmtime::Store;

use super::bindings::{ComputeProviderPre, ProviderExports, wit};
use super::context::CallContext;
use super::convert::{
    CallSite, compute_status_from_wit, provision_result_from_wit, spec_to_wit,
    update_result_from_wit,
};
use super::host::log::truncate;
use super::limits::Limits;
use super::{ProviderSettings, Runtime};
use crate::compute::{
    ComputeError, ComputeStatus, LimitKind, Operation, Provider, ProvisionResult, Result,
    TenantComputeSpec, UpdateResult, check_provider_name,
};
use crate::state::StateStore;

/// A provider backed by a WebAssembly component. Cheap to clone; the
/// component is compiled once, at load.
#[derive(Clone)]
pub struct WasmProvider {
    inner: Arc<Inner>,
}

struct Inner {
    name: Arc<str>,
    runtime: Runtime,
    pre: ComputeProviderPre<CallContext>,
    limits: Arc<Limits>,
    config: Arc<BTreeMap<String, String>>,
    state: Arc<dyn StateStore>,
}

/// What a guest call returned when it did not trap.
type GuestOutcome<T> = std::result::Result<T, wit::ProviderError>;

impl WasmProvider {
    /// Compile `component` (its bytes; `source_name` names it in errors) and
    /// ask it for its name, which becomes its registry name.
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
        let pre = runtime
            .instantiate_pre(component)
            .map_err(|err| load_error(format!("{err:#}")))?;
        let mut inner = Inner {
            name: Arc::from(source_name),
            runtime: runtime.clone(),
            pre,
            limits: Arc::new(settings.limits),
            config: Arc::new(settings.config),
            state,
        };
        // The name call runs on a thread of its own: WASI's blocking
        // adapters must not run on an async executor's thread.
        let name = std::thread::scope(|scope| {
            scope
                .spawn(|| inner.call(Operation::Name, |exports, store| exports.call_name(store)))
                .join()
        })
        .map_err(|_| load_error("the host thread asking for the provider's name failed".into()))?
        .map_err(|err| load_error(format!("calling name() failed: {err}")))?;
        check_provider_name(&name)
            .map_err(|reason| load_error(format!("its name() returned '{name}': {reason}")))?;
        inner.name = Arc::from(name);
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// The limits every call of this provider runs under.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// Run `call` on a blocking thread (or inline when there is no tokio
    /// runtime), inside the caller's tracing span.
    async fn run<T, F>(&self, operation: Operation, call: F) -> Result<GuestOutcome<T>>
    where
        T: Send + 'static,
        F: FnOnce(&ProviderExports, &mut Store<CallContext>) -> wasmtime::Result<GuestOutcome<T>>
            + Send
            + 'static,
    {
        let inner = Arc::clone(&self.inner);
        let span = tracing::Span::current();
        let job = move || span.in_scope(|| inner.call(operation, call));
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => handle
                .spawn_blocking(job)
                .await
                .map_err(|err| ComputeError::Trap {
                    provider: self.inner.name.to_string(),
                    operation,
                    message: format!("the host thread running the call failed: {err}"),
                })?,
            Err(_) => job(),
        }
    }

    fn site<'a>(&'a self, operation: Operation, tenant_id: &'a str) -> CallSite<'a> {
        CallSite {
            provider: &self.inner.name,
            operation,
            tenant_id,
        }
    }
}

impl Inner {
    /// One call in a fresh store and instance. State writes are committed
    /// only if the guest returned (a result or a provider-error); on a trap
    /// the store, and with it every write, is dropped.
    fn call<T>(
        &self,
        operation: Operation,
        call: impl FnOnce(&ProviderExports, &mut Store<CallContext>) -> wasmtime::Result<T>,
    ) -> Result<T> {
        let context = CallContext::new(
            Arc::clone(&self.name),
            operation,
            Arc::clone(&self.limits),
            Arc::clone(&self.config),
            Arc::clone(&self.state),
        );
        let mut store = Store::new(self.runtime.engine(), context);
        store.limiter(|context| &mut context.limiter);
        store.set_epoch_deadline(self.runtime.deadline_ticks(self.limits.timeout));

        let outcome = self
            .pre
            .instantiate(&mut store)
            .and_then(|bindings| call(bindings.landlord_compute_provider(), &mut store));
        let context = store.into_data();
        self.log_output(&context, operation);
        match outcome {
            Ok(value) => {
                context.state.commit().map_err(|err| ComputeError::State {
                    provider: self.name.to_string(),
                    operation,
                    message: err.0,
                })?;
                Ok(value)
            }
            Err(err) => Err(self.contain(err, &context, operation)),
        }
    }

    /// The typed error for a call that trapped or hit a limit.
    fn contain(
        &self,
        err: wasmtime::Error,
        context: &CallContext,
        operation: Operation,
    ) -> ComputeError {
        let provider = self.name.to_string();
        let trap = err.downcast_ref::<wasmtime::Trap>().copied();
        let limit = |limit: LimitKind, message: String| ComputeError::ResourceLimit {
            provider: provider.clone(),
            operation,
            limit,
            message,
        };
        match trap {
            Some(wasmtime::Trap::Interrupt) => {
                return ComputeError::Timeout {
                    provider,
                    operation,
                    limit: self.limits.timeout,
                };
            }
            Some(wasmtime::Trap::OutOfFuel) => {
                return limit(LimitKind::Fuel, "the fuel budget ran out".into());
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
                    "it asked for {desired} bytes of linear memory; the limit is {}",
                    self.limits.memory_bytes
                ),
            );
        }
        for (stream, pipe) in [("stdout", &context.stdout), ("stderr", &context.stderr)] {
            if pipe.contents().len() >= self.limits.output_bytes {
                return limit(
                    LimitKind::Output,
                    format!(
                        "it wrote more than {} bytes to {stream}",
                        self.limits.output_bytes
                    ),
                );
            }
        }
        let mut message = match trap {
            Some(trap) => trap.to_string(),
            None => format!("{err:#}"),
        };
        let stderr = context.stderr.contents();
        let stderr = String::from_utf8_lossy(&stderr);
        let stderr = stderr.trim();
        if !stderr.is_empty() {
            // The tail holds the panic message, if there is one.
            let start = stderr.len().saturating_sub(1024);
            let start = (start..stderr.len())
                .find(|&i| stderr.is_char_boundary(i))
                .unwrap_or(stderr.len());
            message.push_str("; guest stderr: ");
            message.push_str(&stderr[start..]);
        }
        ComputeError::Trap {
            provider,
            operation,
            message,
        }
    }

    /// Forward what the guest printed to tracing.
    fn log_output(&self, context: &CallContext, operation: Operation) {
        for (stream, pipe) in [("stdout", &context.stdout), ("stderr", &context.stderr)] {
            let bytes = pipe.contents();
            if bytes.is_empty() {
                continue;
            }
            let text = String::from_utf8_lossy(&bytes);
            tracing::info!(
                target: "landlord::guest",
                provider = &*self.name,
                operation = operation.as_str(),
                stream,
                "{}",
                truncate(text.trim_end(), 8 << 10)
            );
        }
    }
}

#[async_trait]
impl Provider for WasmProvider {
    fn name(&self) -> &str {
        &self.inner.name
    }

    async fn provision(&self, spec: &TenantComputeSpec) -> Result<ProvisionResult> {
        let wit_spec = spec_to_wit(spec)?;
        let outcome = self
            .run(Operation::Provision, move |exports, store| {
                exports.call_provision(store, &wit_spec)
            })
            .await?;
        let now = Utc::now();
        outcome
            .map(|result| provision_result_from_wit(result, now))
            .map_err(|err| {
                self.site(Operation::Provision, &spec.tenant_id)
                    .provider_error(err)
            })
    }

    async fn update(&self, tenant_id: &str, spec: &TenantComputeSpec) -> Result<UpdateResult> {
        let wit_spec = spec_to_wit(spec)?;
        let id = tenant_id.to_owned();
        let outcome = self
            .run(Operation::Update, move |exports, store| {
                exports.call_update(store, &id, &wit_spec)
            })
            .await?;
        let now = Utc::now();
        outcome
            .map(|result| update_result_from_wit(result, now))
            .map_err(|err| self.site(Operation::Update, tenant_id).provider_error(err))
    }

    async fn destroy(&self, tenant_id: &str) -> Result<()> {
        let id = tenant_id.to_owned();
        self.run(Operation::Destroy, move |exports, store| {
            exports.call_destroy(store, &id)
        })
        .await?
        .map_err(|err| self.site(Operation::Destroy, tenant_id).provider_error(err))
    }

    async fn get_status(&self, tenant_id: &str) -> Result<ComputeStatus> {
        let id = tenant_id.to_owned();
        let outcome = self
            .run(Operation::GetStatus, move |exports, store| {
                exports.call_get_status(store, &id)
            })
            .await?;
        let now = Utc::now();
        outcome
            .map(|status| compute_status_from_wit(status, now))
            .map_err(|err| {
                self.site(Operation::GetStatus, tenant_id)
                    .provider_error(err)
            })
    }

    async fn validate(&self, spec: &TenantComputeSpec) -> Result<()> {
        let wit_spec = spec_to_wit(spec)?;
        self.run(Operation::Validate, move |exports, store| {
            exports.call_validate(store, &wit_spec)
        })
        .await?
        .map_err(|err| {
            self.site(Operation::Validate, &spec.tenant_id)
                .provider_error(err)
        })
    }
}
