//! Errors as RFC 9457 problem details (`application/problem+json`), and the
//! one map from an error kind to an HTTP status.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::compute::{ComputeError, ErrorKind, FieldViolation, Operation};
use crate::text::escape_bounded;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// The longest detail a problem carries; a provider's message past it is cut.
const MAX_DETAIL: usize = 2048;

/// `text` cut to at most `max` bytes (on a character boundary), saying how
/// much was left out.
fn bounded(mut text: String, max: usize) -> String {
    if text.len() <= max {
        return text;
    }
    let cut = (0..=max)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    let left_out = text.len() - cut;
    text.truncate(cut);
    text.push_str(&format!("… [+{left_out} bytes]"));
    text
}

/// An error answer: RFC 9457's members plus what landlord knows of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem: `urn:landlord:error:<kind>`.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// A short summary of the kind.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong this time, and how to fix it.
    pub detail: String,
    /// The error kind: one of landlord's `ErrorKind` names (`invalid_spec`,
    /// `timeout`…), or an HTTP-level kind (`unauthorized`, `forbidden`,
    /// `not_found`, `payload_too_large`, `unsupported_media_type`,
    /// `bad_request`, `method_not_allowed`, `idempotency_conflict`,
    /// `shutting_down`, `request_timeout`).
    pub kind: String,
    /// The provider, when one was involved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The operation, when one was attempted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub operation: Option<Operation>,
    /// The tenant, when the request was about one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    /// For an invalid spec: every violation with its field path.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub violations: Vec<FieldViolation>,
    /// Seconds until a retry may succeed (a quarantined provider), sent as
    /// the `Retry-After` header.
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

/// The HTTP status for an error of `kind`: the one map, documented in
/// `docs/api.md`.
///
/// | kind | status |
/// |---|---|
/// | `invalid_spec` | 422 |
/// | `invalid_provider_name` | 400 |
/// | `provider_not_found`, `tenant_not_found` | 404 |
/// | `tenant_exists` (provisioned already, with another spec or on another provider) | 409 |
/// | `provision_failed`, `update_failed`, `operation_failed` (the provider said no) | 502 |
/// | `trap`, `memory_limit`, `fuel_exhausted`, `stack_overflow`, `output_limit`, `state_quota`, `outbound_limit`, `outbound_denied`, `invalid_result` (the sandbox contained the provider) | 502 |
/// | `timeout` (the provider's deadline) | 504 |
/// | `load`, `provider_conflict` (the provider cannot be loaded) | 503 |
/// | `quarantined` (the provider failed, contained, too often in a row; `Retry-After` says when to try) | 503 |
/// | `state` (the state store failed) | 503 |
pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::InvalidSpec => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::InvalidProviderName => StatusCode::BAD_REQUEST,
        ErrorKind::ProviderNotFound | ErrorKind::TenantNotFound => StatusCode::NOT_FOUND,
        ErrorKind::TenantExists => StatusCode::CONFLICT,
        ErrorKind::ProvisionFailed
        | ErrorKind::UpdateFailed
        | ErrorKind::OperationFailed
        | ErrorKind::Trap
        | ErrorKind::MemoryLimit
        | ErrorKind::FuelExhausted
        | ErrorKind::StackOverflow
        | ErrorKind::OutputLimit
        | ErrorKind::StateQuota
        | ErrorKind::OutboundLimit
        | ErrorKind::OutboundDenied
        | ErrorKind::InvalidResult => StatusCode::BAD_GATEWAY,
        ErrorKind::Timeout => StatusCode::GATEWAY_TIMEOUT,
        ErrorKind::Load
        | ErrorKind::ProviderConflict
        | ErrorKind::State
        | ErrorKind::Quarantined => StatusCode::SERVICE_UNAVAILABLE,
    }
}

impl Problem {
    /// A problem of an HTTP-level `kind` (not a [`ComputeError`]).
    pub fn new(status: StatusCode, kind: &str, detail: impl Into<String>) -> Self {
        Self {
            type_uri: format!("urn:landlord:error:{kind}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            kind: kind.to_owned(),
            provider: None,
            operation: None,
            tenant_id: None,
            violations: Vec::new(),
            retry_after: None,
        }
    }

    /// The problem for `err`, which happened during `operation` on
    /// `tenant_id` (when the request was about one). Every string a provider
    /// wrote is already escaped in the error's message; it is bounded here.
    pub fn from_error(
        err: &ComputeError,
        operation: Option<Operation>,
        tenant_id: Option<&str>,
    ) -> Self {
        let kind = err.kind();
        let name = crate::compute::wire_name(&kind).unwrap_or_default();
        // The message's guest strings were escaped where they entered the
        // host; its own line breaks (one per violation) stay, JSON-escaped.
        let mut problem = Self::new(status_of(kind), &name, bounded(err.to_string(), MAX_DETAIL));
        problem.provider = err
            .provider()
            .map(|name| escape_bounded(name, 128).into_owned());
        problem.operation = err.operation().or(operation);
        problem.tenant_id = tenant_id.map(|id| escape_bounded(id, 128).into_owned());
        problem.violations = err.violations().to_vec();
        if let ComputeError::Quarantined { until, .. } = err {
            let left = (*until - chrono::Utc::now()).num_milliseconds();
            // Whole seconds, rounded up; at least 1.
            problem.retry_after = Some(
                u64::try_from(left.max(0))
                    .unwrap_or(0)
                    .div_ceil(1000)
                    .max(1),
            );
        }
        problem
    }

    /// 401: no or unknown token.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    /// 404 for a path the API does not have.
    pub fn no_route(path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!(
                "no such endpoint: {}; the API is described at /v1/openapi.json",
                escape_bounded(path, 256)
            ),
        )
    }

    /// 400 for a request the server cannot read.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", detail)
    }

    /// The status as a [`StatusCode`].
    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl From<&ComputeError> for Problem {
    fn from(err: &ComputeError) -> Self {
        Self::from_error(err, None, None)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"landlord\""),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quarantined_provider_is_a_503_with_retry_after() {
        let err = ComputeError::Quarantined {
            provider: "bad".into(),
            operation: Operation::Provision,
            until: chrono::Utc::now() + chrono::Duration::milliseconds(2900),
            failures: 5,
            trial: false,
        };
        let problem = Problem::from_error(&err, None, Some("acme"));
        assert_eq!(problem.kind, "quarantined");
        assert_eq!(problem.provider.as_deref(), Some("bad"));
        let response = problem.into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "3");
    }

    #[test]
    fn every_error_kind_has_a_status_and_caller_errors_are_4xx() {
        let kinds: Vec<ErrorKind> = serde_json::from_value(serde_json::json!([
            "provider_not_found",
            "provider_conflict",
            "invalid_provider_name",
            "invalid_spec",
            "provision_failed",
            "update_failed",
            "tenant_not_found",
            "operation_failed",
            "load",
            "trap",
            "timeout",
            "invalid_result",
            "memory_limit",
            "fuel_exhausted",
            "stack_overflow",
            "output_limit",
            "state_quota",
            "outbound_limit",
            "outbound_denied",
            "state",
            "tenant_exists",
            "quarantined"
        ]))
        .unwrap();
        for kind in kinds {
            let status = status_of(kind);
            assert_eq!(
                kind.is_caller_error(),
                status.is_client_error(),
                "{kind:?} → {status}"
            );
        }
    }

    #[test]
    fn an_invalid_spec_lists_its_violations() {
        let err = ComputeError::invalid_spec(vec![FieldViolation::new(
            "containers[0].image",
            "must not be empty",
        )]);
        let problem = Problem::from_error(&err, Some(Operation::Provision), Some("acme"));
        assert_eq!(problem.status, 422);
        assert_eq!(problem.kind, "invalid_spec");
        assert_eq!(problem.type_uri, "urn:landlord:error:invalid_spec");
        assert_eq!(problem.violations[0].path, "containers[0].image");
        assert_eq!(problem.tenant_id.as_deref(), Some("acme"));
    }
}
