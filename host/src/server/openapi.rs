//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]`
//! descriptions and the Rust types' `ToSchema` derives: what the server
//! accepts and answers is what the document says, by construction.

use std::sync::OnceLock;

use utoipa::Modify;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use super::problem::Problem;
use super::routes;
use crate::compute::{
    ComputeStatus, ContainerStatus, ProvisionResult, TenantComputeSpec, UpdateResult,
};
use crate::provider_set::ProviderSummary;
use crate::state::{CallRecord, TenantEntry, Transition};

/// The document's description of the API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "landlord compute",
        description = "Provision and manage tenant compute through sandboxed WebAssembly providers. Errors are RFC 9457 problems (`application/problem+json`). Every /v1 endpoint but this document takes `Authorization: Bearer <token>`; reads need the `read` scope, changes `write`.",
    ),
    paths(
        routes::healthz,
        routes::readyz,
        routes::openapi_json,
        routes::provision,
        routes::list_tenants,
        routes::get_tenant,
        routes::update,
        routes::destroy,
        routes::validate,
        routes::list_providers,
        routes::get_provider,
        routes::history,
    ),
    components(schemas(
        Problem, TenantComputeSpec, ProvisionResult, UpdateResult, ComputeStatus, ContainerStatus,
        TenantEntry, Transition, CallRecord, ProviderSummary, routes::TenantView, routes::TenantPage,
        routes::HistoryPage, routes::Validation, routes::Health,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "tenants", description = "Tenant operations and the tenant index"),
        (name = "providers", description = "The configured providers"),
        (name = "health", description = "Liveness and readiness"),
        (name = "meta", description = "This document"),
    )
)]
pub struct ApiDoc;

/// Declares the bearer scheme the operations' `security` refers to.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A token from `landlord token new NAME`, configured in landlord.toml's [[tokens]]"))
                    .build(),
            ),
        );
    }
}

/// The document as JSON, built once.
pub fn document_json() -> String {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| ApiDoc::openapi().to_pretty_json().unwrap_or_default())
        .clone()
}
