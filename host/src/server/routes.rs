//! The endpoints, each with its OpenAPI description (`#[utoipa::path]`).

// A `Problem` is a request's whole error answer, built at most once per
// request and turned straight into a response; boxing it would only add an
// allocation to the error path.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::PathRejection;
use axum::extract::{Extension, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::idempotency;
use super::problem::Problem;
use super::{AppState, openapi};
use crate::auth::Caller;
use crate::compute::{
    ComputeError, ComputeStatus, ErrorKind, Operation, ProvisionResult, SpecFormat, SpecInputError,
    SpecInputLimits, TenantComputeSpec, UpdateResult, parse_spec,
};
use crate::provider_set::ProviderSummary;
use crate::state::{CallRecord, TenantEntry, TenantQuery, TenantState, Transition};
use crate::text::escape_bounded;

/// The header naming the provider a `DELETE` went to (its answer has no body).
pub const PROVIDER_HEADER: &str = "landlord-provider";

/// Most tenants one page lists.
pub const MAX_PAGE: usize = 1000;
/// Tenants a page lists when `limit` is not given.
pub const DEFAULT_PAGE: usize = 100;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/v1/openapi.json", get(openapi_json))
        .route("/v1/tenants", post(provision).get(list_tenants))
        .route(
            "/v1/tenants/{tenant_id}",
            get(get_tenant).put(update).delete(destroy),
        )
        .route("/v1/validate", post(validate))
        .route("/v1/providers", get(list_providers))
        .route("/v1/providers/{name}", get(get_provider))
        .route("/v1/history", get(history))
}

/// 405 for a method a route does not take. Given to the whole router once
/// every route is in it: axum applies it to the routes it has then.
pub(super) async fn method_not_allowed(request: Request) -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!(
            "{} is not allowed on {}; the API is described at /v1/openapi.json",
            request.method(),
            escape_bounded(request.uri().path(), 256)
        ),
    )
}

/// `{"status": "ok"}`.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`, or `loading` while providers are still being loaded.
    pub status: String,
}

/// The server is up.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, description = "The server answers", body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
    })
}

/// The server is ready: every configured provider has been tried.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses(
        (status = 200, description = "Every provider was tried", body = Health),
        (status = 503, description = "Providers are still loading", body = Health),
    ))]
async fn readyz(State(shared): State<AppState>) -> Response {
    if shared.is_ready() {
        Json(Health {
            status: "ok".into(),
        })
        .into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Health {
                status: "loading".into(),
            }),
        )
            .into_response()
    }
}

/// This document.
#[utoipa::path(get, path = "/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json", body = Object)))]
async fn openapi_json() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        openapi::document_json(),
    )
        .into_response()
}

/// Provision a tenant: the body is the spec.
#[utoipa::path(post, path = "/v1/tenants", tag = "tenants",
    request_body(content = TenantComputeSpec, content_type = "application/json", example = example_spec),
    params(("Idempotency-Key" = Option<String>, Header, description = "A retried request with the same key gets the first answer (24 h); 1 to 255 visible ASCII characters (a UUID, say)",
        min_length = 1, max_length = 255, pattern = "^[!-~]{1,255}$")),
    responses(
        (status = 201, description = "Provisioned (see `status`: success, in_progress or failed)", body = ProvisionResult,
            headers(("Location" = String, description = "/v1/tenants/{tenant_id}"))),
        (status = 400, description = "The body is not JSON or not of the spec's shape (a wrong type, an unknown field), or a header is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `write` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such provider", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The tenant is provisioned already with another spec (PUT changes a spec), or on another provider", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is past the limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid spec (every violation listed), or an Idempotency-Key reused for another request", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "The provider failed, or the sandbox contained it", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Not ready, shutting down, timed out, the state store failed, or the provider is quarantined (`Retry-After` gives the seconds left)", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = Option<u64>, description = "For a quarantined provider: seconds until the trial call may be made"))),
        (status = 504, description = "The provider's deadline passed", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["write"])))]
async fn provision(
    State(shared): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let bytes = match read_body(&shared, &headers, body).await {
        Ok(bytes) => bytes,
        Err(problem) => return problem.into_response(),
    };
    let work = {
        let shared = Arc::clone(&shared);
        let bytes = bytes.clone();
        async move {
            let spec = match parse(&bytes, Operation::Provision) {
                Ok(spec) => spec,
                Err(problem) => return problem.into_response(),
            };
            let tenant_id = spec.tenant_id.clone();
            let service = Arc::clone(&shared.service);
            answer(
                shared
                    .run(async move { service.provision(spec).await })
                    .await,
                Operation::Provision,
                &tenant_id,
                |result| {
                    let location = format!("/v1/tenants/{}", result.tenant_id);
                    let mut response = (StatusCode::CREATED, Json(result)).into_response();
                    if let Ok(location) = HeaderValue::from_str(&location) {
                        response.headers_mut().insert(header::LOCATION, location);
                    }
                    response
                },
            )
        }
    };
    idempotency::once(
        &shared,
        &caller,
        &headers,
        &Method::POST,
        "/v1/tenants",
        &bytes,
        work,
    )
    .await
}

/// Update a tenant: the body is its new spec (for the same tenant).
#[utoipa::path(put, path = "/v1/tenants/{tenant_id}", tag = "tenants",
    params(TenantPath),
    request_body(content = TenantComputeSpec, content_type = "application/json", example = example_spec),
    responses(
        (status = 200, description = "Updated (see `status` and `changes`)", body = UpdateResult),
        (status = 400, description = "The body is not JSON or not of the spec's shape (a wrong type, an unknown field)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `write` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such provider or tenant", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The tenant runs on another provider than the spec names", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is past the limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid spec, or one for another tenant", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "The provider failed, or the sandbox contained it", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Not ready, shutting down, timed out, the state store failed, or the provider is quarantined (`Retry-After` gives the seconds left)", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = Option<u64>, description = "For a quarantined provider: seconds until the trial call may be made"))),
        (status = 504, description = "The provider's deadline passed", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["write"])))]
async fn update(
    State(shared): State<AppState>,
    tenant_id: Result<Path<TenantPath>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let tenant_id = match path_value(tenant_id) {
        Ok(TenantPath { tenant_id }) => tenant_id,
        Err(problem) => return problem.into_response(),
    };
    let bytes = match read_body(&shared, &headers, body).await {
        Ok(bytes) => bytes,
        Err(problem) => return problem.into_response(),
    };
    let spec = match parse(&bytes, Operation::Update) {
        Ok(spec) => spec,
        Err(problem) => return problem.into_response(),
    };
    let service = Arc::clone(&shared.service);
    let id = tenant_id.clone();
    answer(
        shared
            .run(async move { service.update(&id, spec).await })
            .await,
        Operation::Update,
        &tenant_id,
        |result| Json(result).into_response(),
    )
}

/// The tenant of a `/v1/tenants/{tenant_id}` request. The document states
/// the rule of `validate_tenant_id` (a DNS label), so that a client knows an
/// id the server refuses (422) from one it does not know (404).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
struct TenantPath {
    /// The tenant: 1 to 63 characters of `[a-z0-9-]`, not starting or
    /// ending with `-`.
    #[param(
        min_length = 1,
        max_length = 63,
        pattern = "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$",
        example = "acme"
    )]
    tenant_id: String,
}

/// The document's example spec: `examples/tenant.json` (tenant `acme` on the
/// mock), so that a client, or a tool generating requests from the
/// document, has one spec the default provider accepts.
fn example_spec() -> serde_json::Value {
    serde_json::from_str(include_str!("../../../examples/tenant.json")).unwrap_or_default()
}

/// Provider override for a tenant endpoint.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ProviderParam {
    /// The provider [default: the tenant's, else the default provider].
    provider: Option<String>,
}

/// Destroy a tenant. Destroying a tenant that does not exist succeeds.
#[utoipa::path(delete, path = "/v1/tenants/{tenant_id}", tag = "tenants",
    params(TenantPath, ProviderParam),
    responses(
        (status = 204, description = "Destroyed (or never existed)",
            headers(("Landlord-Provider" = String, description = "The provider that destroyed it"))),
        (status = 400, description = "A malformed query", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `write` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such provider", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid tenant id", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "The provider failed, or the sandbox contained it", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Not ready, shutting down, timed out, the state store failed, or the provider is quarantined (`Retry-After` gives the seconds left)", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = Option<u64>, description = "For a quarantined provider: seconds until the trial call may be made"))),
        (status = 504, description = "The provider's deadline passed", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["write"])))]
async fn destroy(
    State(shared): State<AppState>,
    tenant_id: Result<Path<TenantPath>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Response {
    let tenant_id = match path_value(tenant_id) {
        Ok(TenantPath { tenant_id }) => tenant_id,
        Err(problem) => return problem.into_response(),
    };
    let provider = match query_params::<ProviderParam>(query.as_deref()) {
        Ok(params) => params.provider,
        Err(problem) => return problem.into_response(),
    };
    let service = Arc::clone(&shared.service);
    let id = tenant_id.clone();
    answer(
        shared
            .run(async move { service.destroy(&id, provider.as_deref()).await })
            .await,
        Operation::Destroy,
        &tenant_id,
        |provider| {
            let mut response = StatusCode::NO_CONTENT.into_response();
            if let Ok(value) = HeaderValue::from_str(&provider) {
                response.headers_mut().insert(PROVIDER_HEADER, value);
            }
            response
        },
    )
}

/// A tenant: what the index knows, and its live status.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TenantView {
    /// The index entry (absent when this host never ran an operation on it).
    pub tenant: Option<TenantEntry>,
    /// Its status now, as its provider reports it.
    pub status: Option<ComputeStatus>,
    /// Why the status could not be had, when it could not.
    pub status_error: Option<Problem>,
    /// Its lifecycle transitions, oldest first (the last 100).
    #[serde(default)]
    pub transitions: Vec<Transition>,
}

/// Transitions a tenant view shows, at most.
const VIEW_TRANSITIONS: usize = 100;

/// A tenant: its index entry plus its live status.
#[utoipa::path(get, path = "/v1/tenants/{tenant_id}", tag = "tenants",
    params(TenantPath, ProviderParam),
    responses(
        (status = 200, description = "The index entry and the live status (or why there is none)", body = TenantView),
        (status = 400, description = "A malformed query", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `read` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Neither the index nor the provider knows the tenant, or no such provider", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid tenant id", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Not ready, shutting down, timed out, the state store failed, or the provider is quarantined (`Retry-After` gives the seconds left)", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = Option<u64>, description = "For a quarantined provider: seconds until the trial call may be made"))),
    ),
    security(("bearer" = ["read"])))]
async fn get_tenant(
    State(shared): State<AppState>,
    tenant_id: Result<Path<TenantPath>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Response {
    let tenant_id = match path_value(tenant_id) {
        Ok(TenantPath { tenant_id }) => tenant_id,
        Err(problem) => return problem.into_response(),
    };
    let provider = match query_params::<ProviderParam>(query.as_deref()) {
        Ok(params) => params.provider,
        Err(problem) => return problem.into_response(),
    };
    if let Err(err) = crate::compute::validate_tenant_id(&tenant_id) {
        return Problem::from_error(&err, Some(Operation::GetStatus), None).into_response();
    }
    let entry = match shared.service.tenant(&tenant_id) {
        Ok(entry) => entry,
        Err(err) => return state_problem(&err).into_response(),
    };
    let mut transitions = match shared.service.transitions(&tenant_id) {
        Ok(transitions) => transitions,
        Err(err) => return state_problem(&err).into_response(),
    };
    transitions.drain(..transitions.len().saturating_sub(VIEW_TRANSITIONS));
    // The provider asked for, else the index's (read just now), else the
    // default.
    let provider = provider.or_else(|| entry.as_ref().map(|entry| entry.provider.clone()));
    let service = Arc::clone(&shared.service);
    let id = tenant_id.clone();
    let status = match shared
        .run(async move { service.status(&id, provider.as_deref()).await })
        .await
    {
        Ok(status) => status,
        Err(problem) => return problem.into_response(),
    };
    let view = match status {
        Ok(status) => TenantView {
            tenant: entry,
            status: Some(status),
            status_error: None,
            transitions,
        },
        // Neither the index nor the provider knows it; or the provider
        // named does not exist.
        Err(err)
            if (entry.is_none() && err.kind() == ErrorKind::TenantNotFound)
                || err.kind() == ErrorKind::ProviderNotFound =>
        {
            return Problem::from_error(&err, Some(Operation::GetStatus), Some(&tenant_id))
                .into_response();
        }
        Err(err) => TenantView {
            tenant: entry,
            status: None,
            status_error: Some(Problem::from_error(
                &err,
                Some(Operation::GetStatus),
                Some(&tenant_id),
            )),
            transitions,
        },
    };
    Json(view).into_response()
}

/// Filters and paging of `GET /v1/tenants`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ListParams {
    /// Only tenants of this provider.
    provider: Option<String>,
    /// Only tenants in this state.
    #[param(inline)]
    state: Option<TenantState>,
    /// At most this many (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
    /// Only tenants after this id: the previous page's `next_after`.
    after: Option<String>,
}

/// One page of tenants, by id.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TenantPage {
    /// The tenants.
    pub items: Vec<TenantEntry>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next_after: Option<String>,
}

/// The tenants this host knows, by id.
#[utoipa::path(get, path = "/v1/tenants", tag = "tenants",
    params(ListParams),
    responses(
        (status = 200, description = "One page of tenants", body = TenantPage),
        (status = 400, description = "A malformed query", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `read` scope", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Shutting down, timed out, or the state store failed", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["read"])))]
async fn list_tenants(State(shared): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let (params, limit) = match query_params::<ListParams>(query.as_deref())
        .and_then(|params| Ok((page_limit(params.limit)?, params)))
    {
        Ok((limit, params)) => (params, limit),
        Err(problem) => return problem.into_response(),
    };
    let query = TenantQuery {
        provider: params.provider,
        state: params.state,
        after: params.after,
        // One more than asked: whether there is a next page.
        limit: Some(limit + 1),
    };
    match shared.service.tenants(&query) {
        Ok(mut items) => {
            let next_after = (items.len() > limit).then(|| {
                items.truncate(limit);
                items.last().map(|entry| entry.tenant_id.clone())
            });
            Json(TenantPage {
                items,
                next_after: next_after.flatten(),
            })
            .into_response()
        }
        Err(err) => state_problem(&err).into_response(),
    }
}

/// The answer of `POST /v1/validate`.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Validation {
    /// Always `true`: an invalid spec is a 422 problem.
    pub valid: bool,
    /// The spec's tenant.
    pub tenant_id: String,
    /// The provider that validated it.
    pub provider_type: String,
}

/// Validate a spec with the host's rules and its provider's; nothing is
/// provisioned.
#[utoipa::path(post, path = "/v1/validate", tag = "tenants",
    request_body(content = TenantComputeSpec, content_type = "application/json", example = example_spec),
    responses(
        (status = 200, description = "The spec is valid", body = Validation),
        (status = 400, description = "The body is not JSON or not of the spec's shape (a wrong type, an unknown field)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `read` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such provider", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is past the limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid spec (every violation listed)", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "The provider failed, or the sandbox contained it", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Not ready, shutting down, timed out, the state store failed, or the provider is quarantined (`Retry-After` gives the seconds left)", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = Option<u64>, description = "For a quarantined provider: seconds until the trial call may be made"))),
        (status = 504, description = "The provider's deadline passed", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["read"])))]
async fn validate(State(shared): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let bytes = match read_body(&shared, &headers, body).await {
        Ok(bytes) => bytes,
        Err(problem) => return problem.into_response(),
    };
    let spec = match parse(&bytes, Operation::Validate) {
        Ok(spec) => spec,
        Err(problem) => return problem.into_response(),
    };
    let tenant_id = spec.tenant_id.clone();
    let service = Arc::clone(&shared.service);
    answer(
        shared
            .run(async move { service.validate(spec).await })
            .await,
        Operation::Validate,
        &tenant_id.clone(),
        |provider_type| {
            Json(Validation {
                valid: true,
                tenant_id,
                provider_type,
            })
            .into_response()
        },
    )
}

/// The configured providers: digest, limits and grants, or why one did not
/// load.
#[utoipa::path(get, path = "/v1/providers", tag = "providers",
    responses(
        (status = 200, description = "Every configured provider", body = Vec<ProviderSummary>),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `read` scope", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Not ready, shutting down or timed out", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["read"])))]
async fn list_providers(State(shared): State<AppState>) -> Response {
    let service = Arc::clone(&shared.service);
    let listed = tokio::task::spawn_blocking(move || {
        service
            .provider_summaries()
            .into_iter()
            .map(|(summary, _)| summary)
            .collect::<Vec<_>>()
    })
    .await;
    match listed {
        Ok(list) => Json(list).into_response(),
        Err(_) => internal().into_response(),
    }
}

/// One configured provider.
#[utoipa::path(get, path = "/v1/providers/{name}", tag = "providers",
    params(("name" = String, Path, description = "The provider's registry name")),
    responses(
        (status = 200, description = "The provider (with `error` when it could not be loaded)", body = ProviderSummary),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `read` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such provider", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Not ready, shutting down or timed out", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["read"])))]
async fn get_provider(
    State(shared): State<AppState>,
    name: Result<Path<String>, PathRejection>,
) -> Response {
    let name = match path_value(name) {
        Ok(name) => name,
        Err(problem) => return problem.into_response(),
    };
    let service = Arc::clone(&shared.service);
    let found = tokio::task::spawn_blocking(move || {
        let providers = service.providers();
        // Undeclared: 404 (and nothing is loaded).
        providers.entry(&name)?;
        let loaded = providers.load(&name);
        Ok::<_, ComputeError>(service.provider_summary(&name, &loaded))
    })
    .await;
    match found {
        Ok(Ok(summary)) => Json(summary).into_response(),
        Ok(Err(err)) => Problem::from(&err).into_response(),
        Err(_) => internal().into_response(),
    }
}

/// Which journal entries to list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct HistoryParams {
    /// Only calls about this tenant.
    tenant: Option<String>,
    /// Only the last this many (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

/// Journal entries, oldest first.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HistoryPage {
    /// The entries.
    pub items: Vec<CallRecord>,
}

/// The journal of provider calls that may change a tenant, oldest first.
#[utoipa::path(get, path = "/v1/history", tag = "tenants",
    params(HistoryParams),
    responses(
        (status = 200, description = "The last journal entries", body = HistoryPage),
        (status = 400, description = "A malformed query", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `read` scope", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Shutting down, timed out, or the state store failed", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["read"])))]
async fn history(State(shared): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let (params, limit) = match query_params::<HistoryParams>(query.as_deref())
        .and_then(|params| Ok((page_limit(params.limit)?, params)))
    {
        Ok((limit, params)) => (params, limit),
        Err(problem) => return problem.into_response(),
    };
    match shared.service.journal_tail(params.tenant.as_deref(), limit) {
        Ok(items) => Json(HistoryPage { items }).into_response(),
        Err(err) => state_problem(&err).into_response(),
    }
}

/// The answer for an operation's outcome: `ok` for its value, the problem
/// for its error.
fn answer<T>(
    outcome: Result<Result<T, ComputeError>, Problem>,
    operation: Operation,
    tenant_id: &str,
    ok: impl FnOnce(T) -> Response,
) -> Response {
    match outcome {
        Ok(Ok(value)) => ok(value),
        Ok(Err(err)) => Problem::from_error(&err, Some(operation), Some(tenant_id)).into_response(),
        Err(problem) => problem.into_response(),
    }
}

fn internal() -> Problem {
    Problem::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "the server failed to answer; the log says why",
    )
}

fn state_problem(err: &crate::state::StateError) -> Problem {
    Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "state",
        escape_bounded(&err.to_string(), 1024),
    )
}

/// A path parameter, or a problem saying why it could not be read.
fn path_value<T>(value: Result<Path<T>, PathRejection>) -> Result<T, Problem> {
    value
        .map(|Path(value)| value)
        .map_err(|err| Problem::bad_request(format!("the path cannot be read: {err}")))
}

/// The query string as `T`; an unknown or malformed parameter is a 400
/// naming it.
/// A page's `limit`: [`DEFAULT_PAGE`] when absent, else 1 to [`MAX_PAGE`].
fn page_limit(limit: Option<usize>) -> Result<usize, Problem> {
    let limit = limit.unwrap_or(DEFAULT_PAGE);
    if (1..=MAX_PAGE).contains(&limit) {
        Ok(limit)
    } else {
        Err(Problem::bad_request(format!(
            "limit must be between 1 and {MAX_PAGE}, not {limit}"
        )))
    }
}

fn query_params<T: serde::de::DeserializeOwned>(query: Option<&str>) -> Result<T, Problem> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    let mut map = serde_json::Map::new();
    for (key, value) in pairs {
        if map.contains_key(&key) {
            return Err(Problem::bad_request(format!(
                "query parameter {} is given twice; give it once",
                escape_bounded(&key, 64)
            )));
        }
        // Numbers are numbers; everything else stays text.
        let value = match value.parse::<u64>() {
            Ok(number) if key == "limit" => serde_json::Value::from(number),
            _ => serde_json::Value::String(value),
        };
        map.insert(key, value);
    }
    serde_json::from_value(serde_json::Value::Object(map)).map_err(|err| {
        Problem::bad_request(format!(
            "bad query: {}",
            escape_bounded(&err.to_string(), 512)
        ))
    })
}

/// The request body, at most the configured limit, of type JSON.
async fn read_body(shared: &AppState, headers: &HeaderMap, body: Body) -> Result<Bytes, Problem> {
    if let Some(kind) = headers.get(header::CONTENT_TYPE) {
        let media = kind
            .to_str()
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if media != "application/json" {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!(
                    "the body must be a JSON spec sent as `Content-Type: application/json`, not {}",
                    escape_bounded(&media, 64)
                ),
            ));
        }
    }
    let limit = shared.options.body_limit;
    axum::body::to_bytes(body, limit).await.map_err(|_| {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the body is past the limit of {limit} bytes ([server] body_limit_kib)"),
        )
    })
}

/// The spec in `bytes`, read within the spec input limits.
fn parse(bytes: &[u8], operation: Operation) -> Result<TenantComputeSpec, Problem> {
    parse_spec(bytes, SpecFormat::Json, &SpecInputLimits::default()).map_err(|err| {
        let detail = format!("the body is not a usable spec: {err}");
        let mut problem = match err {
            SpecInputError::Malformed { .. } | SpecInputError::NotUtf8 { .. } => {
                Problem::bad_request(detail)
            }
            SpecInputError::TooLarge { .. } => {
                Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", detail)
            }
            _ => Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_spec", detail),
        };
        problem.operation = Some(operation);
        problem
    })
}
