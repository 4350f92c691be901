//! `wasi:http/outgoing-handler` (with `wasi:http/types`): outbound HTTP for
//! providers granted origins, and nothing else.
//!
//! wasmtime-wasi-http implements the interfaces; the host decides in
//! [`OutboundPolicy::send_request`], before any I/O, whether a request goes
//! out:
//! - only to a granted [`Origin`] (exact scheme, host and port; a unix
//!   socket by its `<name>.localhost` alias): anything else fails in the
//!   guest with `HTTP-request-denied`, opens no connection, and is logged
//!   (method and origin; never headers or bodies);
//! - at most [`Limits::outbound_requests`] per call (then
//!   `connection-limit-reached`), with at most
//!   [`Limits::outbound_response_bytes`] of response bodies over the call
//!   (a body past it is cut with `HTTP-response-body-size`);
//! - connecting within [`Limits::outbound_connect_timeout`] (a guest may ask
//!   for less); every other wait ends with the call's deadline, which drops
//!   the store and with it every request in flight.
//!
//! Redirects are never followed: the guest gets the 3xx. A refusal also
//! fails the call (see [`Refusal`]), whatever the guest then answers.
//!
//! A request to a granted engine goes through the engine policy's gate
//! ([`super::engine`]) first: refused, it gets a 403 from the host and
//! nothing reaches the engine.
//!
//! The import reaches only the call's [`GuestHttp`] (and the resource table
//! WASI shares).

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use wasmtime::component::Linker;
use wasmtime_wasi_http::p2::bindings::http::types::ErrorCode;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpCtx, WasiHttpHooks};

use super::engine::{Gate, Verdict, refusal};
use crate::compute::{ComputeError, LimitKind, Operation};
use crate::sandbox::context::CallContext;
use crate::sandbox::engine::{EnginePolicy, Violation};
use crate::sandbox::grants::Grants;
use crate::sandbox::limits::Limits;
use crate::sandbox::origin::{Origin, WebScheme};
use crate::text::escape_bounded;

/// Where one provider's calls may send HTTP: its outbound origins, and its
/// engines under their policy.
#[derive(Debug, Default)]
pub(crate) struct Reach {
    origins: Vec<Origin>,
    engines: Vec<Origin>,
    policy: EnginePolicy,
}

impl Reach {
    /// What `grants` let a provider reach.
    pub(crate) fn of(grants: &Grants) -> Self {
        let (engines, policy) = grants
            .engine()
            .map(|(engines, policy)| (engines.to_vec(), policy.clone()))
            .unwrap_or_default();
        Self {
            origins: grants.outbound().to_vec(),
            engines,
            policy,
        }
    }

    /// The granted origin admitting `scheme://host:port`, and whether it is
    /// an engine.
    fn find(&self, scheme: WebScheme, host: &str, port: u16) -> Option<(&Origin, bool)> {
        let admits = |origin: &&Origin| origin.admits(scheme, host, port);
        self.origins
            .iter()
            .find(admits)
            .map(|origin| (origin, false))
            .or_else(|| {
                self.engines
                    .iter()
                    .find(admits)
                    .map(|origin| (origin, true))
            })
    }

    /// Everything granted, for messages: `none`, or the origins and
    /// `engine unix:///…`.
    fn granted_list(&self) -> String {
        let all: Vec<String> = self
            .origins
            .iter()
            .map(Origin::to_string)
            .chain(self.engines.iter().map(|engine| format!("engine {engine}")))
            .collect();
        if all.is_empty() {
            "none".into()
        } else {
            all.join(", ")
        }
    }
}

/// Longest origin (as the guest wrote it) quoted in a log line or error.
const MAX_ORIGIN_TEXT: usize = 256;

/// The `wasi:http` part of one call: wasmtime-wasi-http's context and the
/// host's policy.
pub(crate) struct GuestHttp {
    pub(crate) ctx: WasiHttpCtx,
    pub(crate) policy: OutboundPolicy,
}

impl GuestHttp {
    /// Outbound HTTP for one call of `provider`, to what it may `reach`
    /// only.
    pub(crate) fn new(
        provider: Arc<str>,
        operation: Operation,
        reach: Arc<Reach>,
        limits: Arc<Limits>,
    ) -> Self {
        let refusal = Arc::new(OnceLock::new());
        Self {
            ctx: WasiHttpCtx::new(),
            policy: OutboundPolicy {
                provider,
                operation,
                budget: Arc::new(ResponseBudget {
                    used: AtomicU64::new(0),
                    limit: limits.outbound_response_bytes,
                    refusal: Arc::clone(&refusal),
                }),
                reach,
                limits,
                sent: 0,
                denied: 0,
                refusal,
            },
        }
    }

    /// The first refusal of the call, as the error the call fails with.
    pub(crate) fn refusal_error(&self) -> Option<ComputeError> {
        let policy = &self.policy;
        let refusal = policy.refusal.get()?;
        let provider = policy.provider.to_string();
        let operation = policy.operation;
        Some(match refusal {
            Refusal::Denied { method, origin } => {
                let more = match policy.denied {
                    0 | 1 => String::new(),
                    n => format!(" (and {} more denied requests)", n - 1),
                };
                ComputeError::OutboundDenied {
                    provider,
                    operation,
                    message: format!(
                        "it sent {method} {origin}, which it is not granted{more} (granted: {}); if it needs that origin, add it to `outbound` in its landlord.toml entry",
                        policy.reach.granted_list()
                    ),
                }
            }
            Refusal::Engine {
                request,
                engine,
                violation,
            } => {
                let loosen = match violation.rule.loosened_by() {
                    [] => format!("; `{}` cannot be loosened", violation.rule),
                    keys => format!(
                        "; if the operator trusts it with that, engine_policy can loosen `{}` ({})",
                        violation.rule,
                        keys.join(", ")
                    ),
                };
                ComputeError::OutboundDenied {
                    provider,
                    operation,
                    message: format!(
                        "it sent {request} to the engine {engine}, which the engine policy refuses ({violation}){loosen}"
                    ),
                }
            }
            Refusal::Requests { limit } => ComputeError::ResourceLimit {
                provider,
                operation,
                limit: LimitKind::Outbound,
                message: format!(
                    "it sent more than {limit} HTTP requests in one call (limits.outbound_requests)"
                ),
            },
            Refusal::ResponseBytes { limit } => ComputeError::ResourceLimit {
                provider,
                operation,
                limit: LimitKind::Outbound,
                message: format!(
                    "its HTTP responses came to more than {limit} bytes in one call (limits.outbound_response_kib)"
                ),
            },
        })
    }
}

/// Why the host refused an outbound request. The first refusal of a call
/// fails the call: a request to an ungranted origin or one the engine
/// policy refuses as [`ComputeError::OutboundDenied`], a cap as an outbound
/// [`ComputeError::ResourceLimit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// A request to an origin the provider is not granted.
    Denied {
        /// The request's method.
        method: String,
        /// `scheme://host:port` as the guest asked, escaped and bounded.
        origin: String,
    },
    /// A request to an engine that the engine policy refuses.
    Engine {
        /// `POST /v1.41/containers/create`, escaped and bounded.
        request: String,
        /// The engine's origin.
        engine: String,
        /// The rule and what broke it.
        violation: Violation,
    },
    /// One request more than [`Limits::outbound_requests`].
    Requests { limit: usize },
    /// Response bodies past [`Limits::outbound_response_bytes`].
    ResponseBytes { limit: u64 },
}

/// The host's decisions on one call's outbound requests.
pub(crate) struct OutboundPolicy {
    provider: Arc<str>,
    operation: Operation,
    reach: Arc<Reach>,
    limits: Arc<Limits>,
    /// Requests sent (or refused by a grant) so far.
    sent: usize,
    /// Requests refused because their origin is not granted.
    denied: usize,
    budget: Arc<ResponseBudget>,
    refusal: Arc<OnceLock<Refusal>>,
}

/// What wasmtime-wasi-http's `send_request` hook returns.
type SendFuture = Box<dyn Future<Output = Result<Sent, Error>> + Send>;

fn refused_at_once(error: Error) -> SendFuture {
    Box::new(std::future::ready(Err(error)))
}

impl OutboundPolicy {
    /// The guest's timeouts, each no longer than the host allows.
    fn clamp(&self, asked: Option<RequestOptions>) -> RequestOptions {
        let asked = asked.unwrap_or_default();
        let at_most =
            |asked: Option<Duration>, cap: Duration| Some(asked.map_or(cap, |a| a.min(cap)));
        RequestOptions {
            connect_timeout: at_most(asked.connect_timeout, self.limits.outbound_connect_timeout),
            first_byte_timeout: at_most(asked.first_byte_timeout, self.limits.timeout),
            between_bytes_timeout: at_most(asked.between_bytes_timeout, self.limits.timeout),
        }
    }
}

impl WasiHttpHooks for OutboundPolicy {
    /// A refused connection is the guest's to report (it names the engine
    /// or API it wanted); the host notes it, tagged with the provider.
    fn p2_error_from_connect(&mut self, err: &std::io::Error) -> ErrorCode {
        tracing::debug!(provider = &*self.provider, operation = self.operation.as_str(), error = %err, "outbound connection failed");
        ErrorCode::ConnectionRefused
    }

    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _response_error: Connection,
    ) -> SendFuture {
        // A body dropped before the guest finished writing it (on a refusal,
        // or by hyper once the response is in) would make the guest's
        // write fail and hide the answer: drain it instead.
        let (parts, body) = request.into_parts();
        let body = DrainOnDrop::new(body).boxed_unsync();
        let method = parts.method.as_str().to_owned();
        let scheme = parts.uri.scheme_str().and_then(|scheme| match scheme {
            "http" => Some(WebScheme::Http),
            "https" => Some(WebScheme::Https),
            _ => None,
        });
        let host = parts.uri.host().unwrap_or_default().to_owned();
        let (Some(scheme), false) = (scheme, host.is_empty()) else {
            return refused_at_once(Error::HttpRequestUriInvalid);
        };
        let port = parts.uri.port_u16().unwrap_or(scheme.default_port());
        let origin_text = escape_bounded(
            &format!("{}://{host}:{port}", scheme.as_str()),
            MAX_ORIGIN_TEXT,
        )
        .into_owned();
        let method_text = escape_bounded(&method, 32).into_owned();

        if self.sent >= self.limits.outbound_requests {
            let limit = self.limits.outbound_requests;
            if self.refusal.set(Refusal::Requests { limit }).is_ok() {
                tracing::warn!(
                    provider = &*self.provider,
                    operation = self.operation.as_str(),
                    limit,
                    "outbound request limit reached: later requests of this call fail"
                );
            }
            return refused_at_once(Error::ConnectionLimitReached);
        }
        self.sent += 1;

        let Some((origin, is_engine)) = self
            .reach
            .find(scheme, &host, port)
            .map(|(origin, is_engine)| (origin.clone(), is_engine))
        else {
            self.denied += 1;
            let first = self
                .refusal
                .set(Refusal::Denied {
                    method: method_text.clone(),
                    origin: origin_text.clone(),
                })
                .is_ok();
            if first || self.denied == 1 {
                tracing::warn!(provider = &*self.provider, operation = self.operation.as_str(), method = %method_text, origin = %origin_text, "outbound request denied: origin not granted");
            } else {
                tracing::debug!(provider = &*self.provider, operation = self.operation.as_str(), method = %method_text, origin = %origin_text, "outbound request denied: origin not granted");
            }
            return refused_at_once(Error::HttpRequestDenied);
        };
        tracing::debug!(provider = &*self.provider, operation = self.operation.as_str(), method = %method_text, origin = %origin, "outbound request");

        // For the engine policy's refusals only: plain outbound requests
        // are logged by origin, never by path.
        let request_text = if is_engine {
            format!(
                "{method_text} {}",
                escape_bounded(parts.uri.path(), MAX_ORIGIN_TEXT)
            )
        } else {
            String::new()
        };
        let mut request = http::Request::from_parts(parts, body);
        let options = self.clamp(options);
        let budget = Arc::clone(&self.budget);
        let reach = Arc::clone(&self.reach);
        let provider = Arc::clone(&self.provider);
        let operation = self.operation;
        let refusal_slot = Arc::clone(&self.refusal);
        Box::new(async move {
            if is_engine {
                let gate = Gate {
                    provider: &provider,
                    policy: &reach.policy,
                    origin: &origin,
                    options,
                };
                request = match gate.decide(request).await? {
                    Verdict::Forward(request) => request,
                    Verdict::Answer(response) => {
                        return Ok((budget.admit(response)?, connection_done()));
                    }
                    Verdict::Refuse(violation) => {
                        let response = refusal(&violation);
                        let (rule, detail) = (violation.rule.name(), violation.detail.clone());
                        // The call's first refusal is a warning; a guest
                        // repeating itself is not a log flood.
                        let first = refusal_slot
                            .set(Refusal::Engine {
                                request: request_text.clone(),
                                engine: origin.to_string(),
                                violation,
                            })
                            .is_ok();
                        if first {
                            tracing::warn!(provider = &*provider, operation = operation.as_str(), request = %request_text, engine = %origin, rule, detail = %detail, "engine request refused by the engine policy");
                        } else {
                            tracing::debug!(provider = &*provider, operation = operation.as_str(), request = %request_text, engine = %origin, rule, detail = %detail, "engine request refused by the engine policy");
                        }
                        return Ok((response, connection_done()));
                    }
                };
            }
            let (response, connection) = send_to(origin, request, options).await?;
            Ok((budget.admit(response)?, connection))
        })
    }
}

/// The future that drives a response's connection while its body is read.
type Connection = Box<dyn Future<Output = Result<(), Error>> + Send>;

/// A response, and the future driving its connection.
type Sent = (http::Response<WasiBody>, Connection);

/// The future a response needs driven when there is no connection.
fn connection_done() -> Connection {
    Box::new(std::future::ready(Ok(())))
}

/// Send `request` to `origin`: the response, and the future that drives
/// the connection while its body is read.
pub(super) async fn send_to(
    origin: Origin,
    request: http::Request<WasiBody>,
    options: RequestOptions,
) -> Result<Sent, Error> {
    match origin {
        Origin::UnixSocket { path, .. } => send_over_unix_socket(path, request, options).await,
        Origin::Network { .. } => {
            let (response, connection) =
                wasmtime_wasi_http::default_send_request(request, Some(options)).await?;
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(connection) as Connection,
            ))
        }
    }
}

/// Send `request` over a new HTTP/1.1 connection on the unix socket at
/// `path`. The returned future drives the connection while the guest reads
/// the response body.
async fn send_over_unix_socket(
    path: PathBuf,
    mut request: http::Request<WasiBody>,
    options: RequestOptions,
) -> Result<Sent, Error> {
    let connect_timeout = options.connect_timeout.unwrap_or(Duration::from_secs(5));
    let stream =
        match tokio::time::timeout(connect_timeout, tokio::net::UnixStream::connect(&path)).await {
            Ok(stream) => stream.map_err(Error::Connect)?,
            Err(_) => return Err(Error::ConnectionTimeout),
        };
    let (mut sender, connection) = tokio::time::timeout(
        connect_timeout,
        hyper::client::conn::http1::handshake(wasmtime_wasi_http::io::TokioIo::new(stream)),
    )
    .await
    .map_err(|_| Error::ConnectionTimeout)??;
    // The request line carries only the path and query; the Host header
    // (the alias, set by wasmtime) stays.
    let path_and_query = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    *request.uri_mut() = http::Uri::builder()
        .path_and_query(path_and_query)
        .build()
        .map_err(|_| Error::HttpRequestUriInvalid)?;

    let first_byte = options.first_byte_timeout.unwrap_or(Duration::MAX);
    let mut connection = Some(Box::pin(connection));
    let send = sender.send_request(request);
    let mut send = std::pin::pin!(send);
    // Wait for the response while driving the connection's I/O.
    let waiting = std::future::poll_fn(|cx| {
        if let Poll::Ready(response) = send.as_mut().poll(cx) {
            return Poll::Ready(response.map_err(Error::from));
        }
        if let Some(conn) = connection.as_mut()
            && let Poll::Ready(ended) = conn.as_mut().poll(cx)
        {
            connection = None;
            if let Err(err) = ended {
                return Poll::Ready(Err(Error::from(err)));
            }
            return send.as_mut().poll(cx).map_err(Error::from);
        }
        Poll::Pending
    });
    let response = tokio::time::timeout(first_byte, waiting)
        .await
        .map_err(|_| Error::ConnectionReadTimeout)??;
    let response = response.map(|body| body.map_err(Error::from).boxed_unsync());
    let drive: Connection = Box::new(async move {
        match connection {
            Some(connection) => connection.await.map_err(Error::from),
            None => Ok(()),
        }
    });
    Ok((response, drive))
}

/// The call's budget of response body bytes, shared by all its responses.
struct ResponseBudget {
    used: AtomicU64,
    limit: u64,
    refusal: Arc<OnceLock<Refusal>>,
}

impl ResponseBudget {
    /// `response` with its body counted against the budget; refused at
    /// once when its `Content-Length` alone would pass it.
    fn admit(
        self: Arc<Self>,
        response: http::Response<WasiBody>,
    ) -> Result<http::Response<WasiBody>, Error> {
        let declared = response
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<u64>().ok());
        if let Some(declared) = declared
            && self.used.load(Ordering::Relaxed).saturating_add(declared) > self.limit
        {
            return Err(self.exceeded());
        }
        Ok(response.map(|inner| {
            BudgetedBody {
                inner,
                budget: self,
            }
            .boxed_unsync()
        }))
    }

    fn exceeded(&self) -> Error {
        let _ = self
            .refusal
            .set(Refusal::ResponseBytes { limit: self.limit });
        Error::HttpResponseBodySize(Some(self.limit))
    }
}

/// A response body whose data counts against the call's [`ResponseBudget`].
struct BudgetedBody {
    inner: WasiBody,
    budget: Arc<ResponseBudget>,
}

impl Body for BudgetedBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(data) = frame.data_ref()
        {
            let len = data.len() as u64;
            let used = self.budget.used.fetch_add(len, Ordering::Relaxed) + len;
            if used > self.budget.limit {
                return Poll::Ready(Some(Err(self.budget.exceeded())));
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A request body that, when dropped before its end, hands what is left to
/// a task that reads and discards it: the guest's writes then succeed
/// until it finishes the body or its store goes away (which ends the body).
struct DrainOnDrop {
    inner: Option<WasiBody>,
    ended: bool,
}

impl DrainOnDrop {
    fn new(inner: WasiBody) -> Self {
        Self {
            inner: Some(inner),
            ended: false,
        }
    }
}

impl Body for DrainOnDrop {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(None);
        };
        let polled = Pin::new(inner).poll_frame(cx);
        if matches!(polled, Poll::Ready(None) | Poll::Ready(Some(Err(_)))) {
            self.ended = true;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(Body::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.as_ref().map(Body::size_hint).unwrap_or_default()
    }
}

impl Drop for DrainOnDrop {
    fn drop(&mut self) {
        let Some(mut body) = self.inner.take() else {
            return;
        };
        if self.ended || body.is_end_stream() {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                while let Some(frame) = body.frame().await {
                    if frame.is_err() {
                        break;
                    }
                }
            });
        }
    }
}

/// Link `wasi:http/outgoing-handler` and `wasi:http/types` (the client
/// side only).
pub(crate) fn add_to_linker(linker: &mut Linker<CallContext>) -> wasmtime::Result<()> {
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(linker)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(origins: &[&str], limits: Limits) -> GuestHttp {
        let grants = Grants::all().with(crate::sandbox::Capability::outbound(
            origins.iter().map(|o| o.parse().unwrap()),
        ));
        GuestHttp::new(
            "docker".into(),
            Operation::Provision,
            Arc::new(Reach::of(&grants)),
            Arc::new(limits),
        )
    }

    fn get(uri: &str) -> http::Request<WasiBody> {
        http::Request::get(uri)
            .body(
                http_body_util::Empty::new()
                    .map_err(|never| match never {})
                    .boxed_unsync(),
            )
            .unwrap()
    }

    async fn send(http: &mut GuestHttp, uri: &str) -> Result<u16, Error> {
        let future = http
            .policy
            .send_request(get(uri), None, Box::new(async { Ok(()) }));
        let (response, _connection) = Pin::from(future).await?;
        Ok(response.status().as_u16())
    }

    #[tokio::test]
    async fn a_request_to_an_ungranted_origin_is_denied_before_any_io_and_fails_the_call() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let mut http = policy(&["http://127.0.0.1:1"], Limits::default());
        for uri in [
            format!("http://127.0.0.1:{port}/"),
            format!("https://127.0.0.1:{port}/"),
            format!("http://localhost:{port}/"),
            "http://docker.localhost/_ping".to_owned(),
        ] {
            assert!(
                matches!(send(&mut http, &uri).await, Err(Error::HttpRequestDenied)),
                "{uri}"
            );
        }
        assert!(listener.accept().is_err(), "the listener saw a connection");
        let err = http.refusal_error().unwrap();
        assert_eq!(err.kind(), crate::compute::ErrorKind::OutboundDenied);
        let text = err.to_string();
        assert!(
            text.contains(&format!("it sent GET http://127.0.0.1:{port}, which it is not granted (and 3 more denied requests) (granted: http://127.0.0.1:1)")),
            "{text}"
        );
    }

    #[tokio::test]
    async fn requests_past_the_cap_fail_without_being_sent() {
        let limits = Limits {
            outbound_requests: 2,
            ..Limits::default()
        };
        let mut http = policy(&[], limits);
        for _ in 0..2 {
            assert!(matches!(
                send(&mut http, "http://127.0.0.1:1/").await,
                Err(Error::HttpRequestDenied)
            ));
        }
        assert!(matches!(
            send(&mut http, "http://127.0.0.1:1/").await,
            Err(Error::ConnectionLimitReached)
        ));
        // The first refusal is what the call reports.
        assert_eq!(
            http.refusal_error().unwrap().kind(),
            crate::compute::ErrorKind::OutboundDenied
        );
    }

    #[test]
    fn the_guests_timeouts_are_clamped_to_the_hosts() {
        let http = policy(&[], Limits::default());
        let asked = RequestOptions {
            connect_timeout: Some(Duration::from_secs(600)),
            first_byte_timeout: Some(Duration::from_millis(5)),
            between_bytes_timeout: None,
        };
        let clamped = http.policy.clamp(Some(asked));
        assert_eq!(clamped.connect_timeout, Some(Duration::from_secs(5)));
        assert_eq!(clamped.first_byte_timeout, Some(Duration::from_millis(5)));
        assert_eq!(
            clamped.between_bytes_timeout,
            Some(Limits::default().timeout)
        );
    }
}
