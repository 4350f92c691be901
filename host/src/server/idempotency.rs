//! `Idempotency-Key` on POST: the first answer to a keyed request is kept
//! (per caller, in the state database, for a day) and given again to a
//! retry of the same request, so a client that lost an answer can retry a
//! provision without provisioning twice. A key reused for a different
//! request is refused (422); two requests with one key at once are
//! serialized (the second gets the first's answer).

use std::future::Future;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use sha2::{Digest, Sha256};

use super::AppState;
use super::problem::Problem;
use crate::auth::Caller;
use crate::state::RememberedAnswer;

/// The header.
pub const HEADER: &str = "idempotency-key";
/// Set on an answer given again.
pub const REPLAYED: &str = "idempotent-replayed";
/// The longest key accepted.
pub const MAX_KEY: usize = 255;

/// Answer `work`'s response, or, when the request carries an
/// `Idempotency-Key`, the response remembered for it.
pub(super) async fn once(
    shared: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    method: &Method,
    path: &str,
    body: &[u8],
    work: impl Future<Output = Response>,
) -> Response {
    let Some(key) = headers.get(HEADER) else {
        return work.await;
    };
    let key = match key.to_str() {
        Ok(key)
            if (1..=MAX_KEY).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            key.to_owned()
        }
        _ => {
            return Problem::bad_request(format!(
                "Idempotency-Key must be 1 to {MAX_KEY} visible ASCII characters (a UUID, say)"
            ))
            .into_response();
        }
    };
    let request = digest(method, path, body);
    // One request per key at a time; the next waits and gets the answer.
    let _held = shared.keys.lock(&format!("{}\n{key}", caller.name)).await;
    let store = shared.service.store();
    match store.remembered(&caller.name, &key) {
        Ok(Some(answer)) if answer.request == request => return replay(answer),
        Ok(Some(_)) => {
            return Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_conflict",
                "this Idempotency-Key was used for a different request (method, path or body); use a new key for a new request",
            )
            .into_response();
        }
        Ok(None) => {}
        Err(err) => {
            return Problem::new(StatusCode::SERVICE_UNAVAILABLE, "state", err.to_string())
                .into_response();
        }
    }
    let response = work.await;
    let status = response.status();
    // Answers that say "try again" are not kept: a retry should try again.
    if matches!(
        status,
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::INTERNAL_SERVER_ERROR
    ) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let text = |name: header::HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let answer = RememberedAnswer {
        request,
        status: status.as_u16(),
        content_type: text(header::CONTENT_TYPE).unwrap_or_default(),
        location: text(header::LOCATION),
        body: bytes.to_vec(),
        at: Utc::now(),
    };
    if let Err(err) = store.remember(&caller.name, &key, &answer) {
        tracing::warn!(error = %err, "an answer could not be remembered for its Idempotency-Key");
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// A remembered answer, given again.
fn replay(answer: RememberedAnswer) -> Response {
    let mut response = Response::new(Body::from(answer.body));
    *response.status_mut() = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&answer.content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    if let Some(value) = answer.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        headers.insert(header::LOCATION, value);
    }
    headers.insert(REPLAYED, HeaderValue::from_static("true"));
    response
}

/// What identifies a request: its method, path and body.
fn digest(method: &Method, path: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(method.as_str().as_bytes());
    hasher.update(b" ");
    hasher.update(path.as_bytes());
    hasher.update(b"\n");
    hasher.update(body);
    format!("{:x}", hasher.finalize())
}
