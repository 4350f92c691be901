//! The component's [`Transport`]: plain HTTP through the host's
//! `wasi:http/outgoing-handler`, with `wstd`. The host decides what may be
//! reached (the operator's outbound grant); anything else fails here with
//! wasi:http's `HTTP-request-denied`, reported like any other unreachable
//! engine.

use wstd::http::{Body, Client, Request};

use crate::engine::{Reply, Transport};

/// Sends each request to `base` (for example `http://docker.localhost`,
/// which the host maps onto the granted unix socket).
pub(crate) struct WasiHttp {
    base: String,
}

impl WasiHttp {
    /// A transport to the engine at `base` (no trailing `/`).
    pub(crate) fn new(base: String) -> Self {
        WasiHttp { base }
    }
}

impl Transport for WasiHttp {
    fn send(&self, method: &str, path: &str, body: Option<&[u8]>) -> Result<Reply, String> {
        let unreachable =
            |err: String| format!("cannot reach the Docker engine at {}: {err}", self.base);
        wstd::runtime::block_on(async {
            let mut request = Request::builder()
                .method(method)
                .uri(format!("{}{path}", self.base));
            let body = match body {
                Some(bytes) => {
                    request = request
                        .header("content-type", "application/json")
                        .header("content-length", bytes.len().to_string());
                    Body::from(bytes.to_vec())
                }
                // Without a length the host's HTTP/1.1 client would send an
                // empty chunked body, which the engine refuses on
                // `POST /containers/{id}/start` ("non-empty request body").
                None => {
                    request = request.header("content-length", "0");
                    Body::empty()
                }
            };
            let request = request
                .body(body)
                .map_err(|err| unreachable(format!("invalid request: {err}")))?;
            let mut response = Client::new()
                .send(request)
                .await
                .map_err(|err| unreachable(format!("{err:#}")))?;
            let status = response.status().as_u16();
            let body = response
                .body_mut()
                .contents()
                .await
                .map_err(|err| unreachable(format!("reading the answer: {err:#}")))?
                .to_vec();
            Ok(Reply { status, body })
        })
    }
}
