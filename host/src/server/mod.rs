//! `landlord serve`: the HTTP API over a [`ComputeService`].
//!
//! - Every tenant operation runs in a task of its own, tracked by the
//!   server: a client that disconnects, or a request past its timeout, does
//!   not cancel an operation half-way; it finishes and is journaled.
//! - Bearer tokens ([`crate::auth`]) guard everything under `/v1` but the
//!   OpenAPI document; `GET` (and `POST /v1/validate`) needs `read`, every
//!   other request `write`.
//! - The operator's dashboard (`GET /`, [`dashboard`]) is HTML for a
//!   browser: the same tokens, kept in a cookie, which it checks itself.
//! - Errors are RFC 9457 problems ([`problem`]); the OpenAPI 3.1 document
//!   is generated from the Rust types ([`openapi`]).
//! - On SIGTERM or SIGINT (or the future given to [`Server::run`]) new
//!   requests get 503, the ones in flight finish (up to the grace period)
//!   and every operation started is awaited before the server returns.

mod dashboard;
mod idempotency;
pub mod openapi;
pub mod problem;
mod routes;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::auth::{AuthError, Scope, TokenTable};
use crate::compute::tenant_locks::TenantLocks;
use crate::config::Config;
use crate::reconcile::{ReconcileConfig, Reconciler};
use crate::service::ComputeService;
use crate::text::escape_bounded;

pub use problem::{PROBLEM_JSON, Problem, status_of};
pub use routes::{HistoryPage, PROVIDER_HEADER, TenantPage, TenantView, Validation};

/// How the server listens and what it accepts (from `[server]` and flags).
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The certificate chain and key (PEM files) to speak HTTPS with.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Listen on a non-loopback address without TLS anyway.
    pub insecure_http: bool,
    /// The largest request body, bytes.
    pub body_limit: usize,
    /// How long one request may take before it is answered 503 (the
    /// operation it started goes on and is journaled).
    pub request_timeout: Duration,
    /// How long a shutdown waits for requests in flight.
    pub shutdown_grace: Duration,
    /// The reconciler the server runs (`[reconcile]`), unless turned off.
    pub reconcile: ReconcileConfig,
}

impl ServerOptions {
    /// The options `config`'s `[server]` table gives, with `listen` and
    /// `insecure_http` from the command line when given.
    pub fn from_config(config: &Config, listen: Option<SocketAddr>, insecure_http: bool) -> Self {
        let server = &config.server;
        Self {
            listen: listen.unwrap_or_else(|| server.listen_addr()),
            tls: server
                .tls()
                .map(|(cert, key)| (cert.to_owned(), key.to_owned())),
            insecure_http,
            body_limit: server.body_limit(),
            request_timeout: server.request_timeout(),
            shutdown_grace: server.shutdown_grace(),
            reconcile: config.reconcile,
        }
    }
}

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The configuration does not allow serving (no tokens, plain HTTP on
    /// a public address).
    #[error("{0}")]
    Refused(String),
    /// Listening or TLS setup failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// Why it failed.
        source: std::io::Error,
    },
}

/// What every handler shares.
pub(crate) struct Shared {
    pub(crate) service: Arc<ComputeService>,
    tokens: TokenTable,
    /// Set once every configured provider has been tried.
    ready: AtomicBool,
    /// Set when shutdown begins: new requests get 503.
    draining: AtomicBool,
    /// Every tenant operation in flight.
    pub(crate) operations: TaskTracker,
    /// One lock per (caller, Idempotency-Key) in use.
    pub(crate) keys: TenantLocks,
    pub(crate) options: ServerOptions,
}

pub(crate) type AppState = Arc<Shared>;

/// A configured server, not yet listening.
pub struct Server {
    shared: AppState,
}

impl Server {
    /// A server for `service` with `tokens`. Refuses a configuration with
    /// no tokens (nobody could call it), and plain HTTP on a non-loopback
    /// address unless `options.insecure_http`.
    pub fn new(
        service: Arc<ComputeService>,
        tokens: TokenTable,
        options: ServerOptions,
    ) -> Result<Self, ServeError> {
        if tokens.is_empty() {
            return Err(ServeError::Refused(
                "no API tokens are configured, so no request could be authorized; create one with `landlord token new NAME` and add the [[tokens]] block it prints to landlord.toml".into(),
            ));
        }
        if options.tls.is_none() && !options.listen.ip().is_loopback() && !options.insecure_http {
            return Err(ServeError::Refused(format!(
                "refusing to serve plain HTTP on {}, which is not a loopback address: bearer tokens would cross the network in clear text; set `cert` and `key` in [server] for HTTPS, listen on 127.0.0.1, or pass --insecure-http if a proxy in front terminates TLS",
                options.listen
            )));
        }
        Ok(Self {
            shared: Arc::new(Shared {
                service,
                tokens,
                ready: AtomicBool::new(false),
                draining: AtomicBool::new(false),
                operations: TaskTracker::new(),
                keys: TenantLocks::default(),
                options,
            }),
        })
    }

    /// The router, for tests that drive it without a socket.
    pub fn router(&self) -> Router {
        router(Arc::clone(&self.shared))
    }

    /// Listen, load every provider (`/readyz` answers 200 once done), and
    /// serve until `shutdown` completes; then drain as the module says.
    /// `on_listening` is told the bound address (port 0 picks one).
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
        on_listening: impl FnOnce(SocketAddr) + Send + 'static,
    ) -> Result<(), ServeError> {
        let shared = self.shared;
        let options = shared.options.clone();
        let handle = axum_server::Handle::new();
        let app = router(Arc::clone(&shared)).into_make_service();

        let server = {
            let handle = handle.clone();
            async move {
                match &options.tls {
                    Some((cert, key)) => {
                        install_crypto();
                        let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
                            .await
                            .map_err(|source| ServeError::Io {
                                context: format!(
                                    "reading the TLS certificate {} and key {}",
                                    cert.display(),
                                    key.display()
                                ),
                                source,
                            })?;
                        axum_server::bind_rustls(options.listen, tls)
                            .handle(handle)
                            .serve(app)
                            .await
                    }
                    None => {
                        axum_server::bind(options.listen)
                            .handle(handle)
                            .serve(app)
                            .await
                    }
                }
                .map_err(|source| ServeError::Io {
                    context: format!("serving on {}", options.listen),
                    source,
                })
            }
        };
        let server = tokio::spawn(server);

        let Some(address) = handle.listening().await else {
            // The server task ended before listening: it says why.
            return match server.await {
                Ok(Err(err)) => Err(err),
                _ => Err(ServeError::Io {
                    context: format!("listening on {}", shared.options.listen),
                    source: std::io::Error::other("the server stopped before it listened"),
                }),
            };
        };
        on_listening(address);
        tracing::info!(%address, tls = shared.options.tls.is_some(), "landlord serve listening");

        // Load every provider off the runtime's threads (compiling takes
        // seconds); /readyz answers 200 once this is done. Then the
        // reconciler starts, unless turned off.
        let loader = Arc::clone(&shared);
        let stop_reconciling = CancellationToken::new();
        let stop = stop_reconciling.clone();
        shared.operations.spawn(async move {
            let loading = Arc::clone(&loader);
            let _ = tokio::task::spawn_blocking(move || {
                for (name, loaded) in loading.service.providers().load_all() {
                    if let Err(err) = loaded {
                        tracing::warn!(provider = %name, error = %err, "provider not loaded");
                    }
                }
            })
            .await;
            loader.ready.store(true, Ordering::SeqCst);
            let config = loader.options.reconcile;
            if config.enabled {
                tracing::info!(
                    interval = %humantime::format_duration(config.interval),
                    "reconciler running"
                );
                Reconciler::new(Arc::clone(&loader.service), config)
                    .run(stop)
                    .await;
            }
        });

        shutdown.await;
        stop_reconciling.cancel();
        tracing::info!("shutting down: new requests get 503, requests in flight finish");
        shared.draining.store(true, Ordering::SeqCst);
        handle.graceful_shutdown(Some(shared.options.shutdown_grace));
        let served = server.await.unwrap_or_else(|err| {
            Err(ServeError::Io {
                context: "serving".into(),
                source: std::io::Error::other(err.to_string()),
            })
        });
        // Requests past the grace period were cut off; the operations they
        // started are not: wait for them to finish and be journaled.
        shared.operations.close();
        if !shared.operations.is_empty() {
            tracing::info!(
                operations = shared.operations.len(),
                "waiting for tenant operations in flight"
            );
        }
        shared.operations.wait().await;
        tracing::info!("stopped");
        served
    }
}

/// Make *ring* the process's TLS crypto provider (for the server's HTTPS and
/// the client's), once; later calls do nothing. rustls 0.23.48 deprecates
/// its ring provider for lacking post-quantum key exchange; ring is what
/// wasmtime-wasi-http already builds on here, and aws-lc-rs would add a C
/// build to every fresh machine.
pub fn install_crypto() {
    #[allow(deprecated)]
    let provider = rustls::crypto::ring::default_provider();
    let _ = provider.install_default();
}

/// SIGTERM or SIGINT (Ctrl-C), whichever comes first.
pub async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

fn router(shared: AppState) -> Router {
    routes::routes()
        .merge(dashboard::routes())
        .method_not_allowed_fallback(routes::method_not_allowed)
        .fallback(|request: Request| async move { Problem::no_route(request.uri().path()) })
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&shared),
            guard,
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(shared)
}

/// What a request needs, by its method and path: `None` for the public
/// endpoints (health, readiness, the OpenAPI document) and for every path
/// outside `/v1/`, the dashboard's included (it checks its cookie itself).
fn scope_needed(method: &Method, path: &str) -> Option<Scope> {
    if matches!(path, "/healthz" | "/readyz" | "/v1/openapi.json") || !path.starts_with("/v1/") {
        return None;
    }
    if method == Method::GET || method == Method::HEAD || path == "/v1/validate" {
        Some(Scope::Read)
    } else {
        Some(Scope::Write)
    }
}

/// Around every request: 503 once draining; the bearer token and its
/// scope; the request timeout.
async fn guard(State(shared): State<AppState>, mut request: Request, next: Next) -> Response {
    if shared.draining.load(Ordering::SeqCst) {
        return Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "the server is shutting down; retry against another instance or after it restarts",
        )
        .into_response();
    }
    if let Some(needed) = scope_needed(request.method(), request.uri().path()) {
        let header = request
            .headers()
            .get(header::AUTHORIZATION)
            .map(|value| value.as_bytes());
        let caller = match shared.tokens.authenticate(header) {
            Ok(caller) => caller,
            Err(err) => {
                let hint = match err {
                    AuthError::Missing => "; `landlord token new NAME` makes a token",
                    _ => "",
                };
                return Problem::unauthorized(format!("{err}{hint}")).into_response();
            }
        };
        if !caller.may(needed) {
            return Problem::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!(
                    "token {} may not {} here: it needs the `{needed}` scope; its scopes are {}",
                    escape_bounded(&caller.name, 64),
                    request.method(),
                    caller
                        .scopes
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .into_response();
        }
        request.extensions_mut().insert(caller);
    }
    let timeout = shared.options.request_timeout;
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "request_timeout",
            format!(
                "no answer within {} ms; an operation it started goes on and is journaled: look at GET /v1/tenants/{{id}} or /v1/history",
                timeout.as_millis()
            ),
        )
        .into_response(),
    }
}

impl Shared {
    /// Whether every provider has been tried.
    pub(crate) fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }

    /// Run `operation` as a task of its own, tracked until it ends: the
    /// request waiting for it may go away; the operation does not.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        operation: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, Problem> {
        self.operations.spawn(operation).await.map_err(|err| {
            tracing::error!(error = %err, "a tenant operation's task failed");
            Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the operation's task failed; the journal shows whether the provider was called",
            )
        })
    }
}
