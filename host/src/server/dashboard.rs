//! The operator's dashboard at `/`: one read-only HTML page of the tenants,
//! the providers and the recent journal, rendered on the server (no
//! script), refreshing itself every few seconds.
//!
//! - It takes the API's tokens: a `read` (or `write`) token typed into the
//!   sign-in form is kept in an `HttpOnly; SameSite=Strict` cookie and
//!   checked again on every page, by [`reader`] alone. The guard in
//!   `server/mod.rs` lets every path outside `/v1/` through, so this module
//!   checks for itself.
//! - Everything shown about a tenant, provider or call came from a guest or
//!   a spec: each string is bounded ([`escape_bounded`]) and escaped as HTML
//!   by the template (`maud`), never concatenated into markup.
//! - Each page is sent `Cache-Control: no-store`, a Content-Security-Policy
//!   that allows no script, and may not be framed.

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde_json::Value;

use super::{AppState, Shared};
use crate::auth::{Caller, Scope};
use crate::compute::wire_name;
use crate::provider_set::ProviderSummary;
use crate::quarantine::{BreakerState, QuarantineView};
use crate::state::{CallOutcome, CallRecord, TenantEntry, TenantQuery};
use crate::text::escape_bounded;

/// The cookie that keeps the token the operator signed in with.
const COOKIE: &str = "landlord_token";
/// Seconds between the page's own reloads.
const REFRESH_SECONDS: u32 = 5;
/// Most tenants the page lists.
const MAX_TENANTS: usize = 500;
/// Journal entries the page lists, newest first.
const JOURNAL_SHOWN: usize = 50;
/// Longest text in one cell, in bytes after escaping control characters.
const MAX_CELL: usize = 200;
/// Containers a tenant's cell names before it says how many more there are.
const MAX_CONTAINERS_SHOWN: usize = 8;
/// Largest sign-in form body: a token is at most 256 bytes.
const MAX_FORM_BYTES: usize = 4096;

/// What a page may load and do: nothing but its own inline style, forms
/// that post back here, and no framing.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The sign-in page's notice for a token that was refused.
const NOT_ACCEPTED: &str =
    "The token was not accepted: it is not one this server knows, or it lacks the read scope.";
/// The notice when the cookie's token stopped working (revoked).
const NO_LONGER_ACCEPTED: &str =
    "The token this browser signed in with is no longer accepted; sign in again.";

/// The dashboard's routes: the page, signing in and out.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(dashboard))
        .route("/login", post(login).get(|| async { see_other(None) }))
        .route("/logout", post(logout))
}

/// `GET /`: the dashboard for a signed-in reader, else the sign-in page.
async fn dashboard(State(shared): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = cookie_token(&headers) else {
        return login_page(None, false);
    };
    let Some(caller) = reader(&shared, token) else {
        return login_page(Some(NO_LONGER_ACCEPTED), true);
    };
    let gathered = {
        let shared = std::sync::Arc::clone(&shared);
        // SQLite reads, and provider loads that may compile: off the
        // runtime's threads.
        tokio::task::spawn_blocking(move || Snapshot::gather(&shared)).await
    };
    match gathered {
        Ok(snapshot) => page(
            StatusCode::OK,
            render_dashboard(&caller.name, &snapshot, Utc::now()),
        ),
        Err(err) => {
            tracing::error!(error = %err, "the dashboard's snapshot failed");
            page(
                StatusCode::INTERNAL_SERVER_ERROR,
                shell(
                    "landlord: error",
                    false,
                    html! { p { "The dashboard could not be built; the server's log says why." } },
                ),
            )
        }
    }
}

/// `POST /login` (a form with `token`): the cookie and back to `/`, or
/// the sign-in page again. The token is neither logged nor echoed.
async fn login(State(shared): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    if cross_site(&headers) {
        return cross_site_refused();
    }
    let Ok(form) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
        return login_page(Some(NOT_ACCEPTED), false);
    };
    let token = form_urlencoded::parse(&form)
        .find(|(key, _)| key == "token")
        .map(|(_, value)| value.into_owned());
    let signed_in = token.and_then(|token| Some((reader(&shared, &token)?, token)));
    let Some((caller, token)) = signed_in else {
        tracing::info!("dashboard sign-in refused");
        return login_page(Some(NOT_ACCEPTED), false);
    };
    tracing::info!(token_name = %escape_bounded(&caller.name, 64), "dashboard sign-in");
    see_other(Some(cookie(&shared, &token)))
}

/// `POST /logout`: the cookie cleared, back to `/`.
async fn logout(State(shared): State<AppState>, headers: HeaderMap) -> Response {
    if cross_site(&headers) {
        return cross_site_refused();
    }
    see_other(Some(cookie(&shared, "")))
}

/// The one check the dashboard makes: `token` is a configured token that
/// may read (`write` includes it), checked as the API checks a bearer
/// header. A token that could not be kept in a cookie is refused too.
fn reader(shared: &Shared, token: &str) -> Option<Caller> {
    if token.is_empty() || !token.bytes().all(is_cookie_octet) {
        return None;
    }
    let authorization = format!("Bearer {token}");
    let caller = shared
        .tokens
        .authenticate(Some(authorization.as_bytes()))
        .ok()?;
    caller.may(Scope::Read).then_some(caller)
}

/// The `landlord_token` cookie's value, if the request has one.
fn cookie_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == COOKIE).then_some(value)
        })
}

/// RFC 6265's cookie-octet: what a cookie value may hold unquoted.
fn is_cookie_octet(byte: u8) -> bool {
    matches!(byte, 0x21 | 0x23..=0x2b | 0x2d..=0x3a | 0x3c..=0x5b | 0x5d..=0x7e)
}

/// The `Set-Cookie` value keeping `token` (an empty one expires it).
fn cookie(shared: &Shared, token: &str) -> String {
    let mut cookie = format!("{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/");
    if token.is_empty() {
        cookie.push_str("; Max-Age=0");
    }
    if shared.options.tls.is_some() {
        cookie.push_str("; Secure");
    }
    cookie
}

/// Whether the browser says a form post came from another site (`Sec-Fetch-Site`):
/// another site may not sign this browser in or out.
fn cross_site(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .is_some_and(|site| site.as_bytes().eq_ignore_ascii_case(b"cross-site"))
}

fn cross_site_refused() -> Response {
    page(
        StatusCode::FORBIDDEN,
        shell(
            "landlord: refused",
            false,
            html! { p { "A form posted from another site cannot sign in or out here." } },
        ),
    )
}

/// `303 See Other` to `/`, setting `cookie` when given.
fn see_other(cookie: Option<String>) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    headers.insert(header::LOCATION, HeaderValue::from_static("/"));
    if let Some(value) = cookie.and_then(|cookie| HeaderValue::from_str(&cookie).ok()) {
        headers.insert(header::SET_COOKIE, value);
    }
    protect(headers);
    response
}

/// An HTML answer with the page headers.
fn page(status: StatusCode, markup: Markup) -> Response {
    let mut response = (status, Html(markup.into_string())).into_response();
    protect(response.headers_mut());
    response
}

/// The headers every dashboard answer carries: never cached, no script, no
/// framing, no sniffing, no referrer.
fn protect(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

/// The sign-in page (401), with `notice` when there is something to say;
/// `forget` expires the cookie the browser sent.
fn login_page(notice: Option<&str>, forget: bool) -> Response {
    let body = html! {
        h1 { "landlord" }
        p { "Sign in with an API token that has the " code { "read" } " scope "
            "(" code { "landlord token new NAME --scope read" } " makes one)." }
        @if let Some(notice) = notice {
            p.notice role="alert" { (notice) }
        }
        form #login method="post" action="/login" {
            label for="token" { "Token" }
            input #token type="password" name="token" autocomplete="current-password" required autofocus;
            button type="submit" { "Sign in" }
        }
    };
    let mut response = page(
        StatusCode::UNAUTHORIZED,
        shell("landlord: sign in", false, body),
    );
    if forget {
        // `Secure` is not needed to expire a cookie.
        let expired = format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
        if let Ok(value) = HeaderValue::from_str(&expired) {
            response.headers_mut().insert(header::SET_COOKIE, value);
        }
    }
    response
}

/// The document around `body`; `refresh` makes it reload itself.
fn shell(title: &str, refresh: bool, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                @if refresh {
                    meta http-equiv="refresh" content=(REFRESH_SECONDS);
                }
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body { (body) }
        }
    }
}

const STYLE: &str = "\
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}\
h1{font-size:1.4em;margin:0 0 .3em}h2{font-size:1.1em;margin:1.6em 0 .4em}\
table{border-collapse:collapse;width:100%;background:#fff}\
th,td{border:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}\
th{background:#f0f0f0}td{overflow-wrap:anywhere}\
code,.mono{font-family:ui-monospace,monospace;font-size:.95em}\
.muted{color:#777}.notice{color:#a40000;font-weight:600}\
header{display:flex;justify-content:space-between;align-items:baseline}\
header form{display:inline}\
.state{font-weight:600}\
.state-ready,.ok{color:#116b11;background:#eaf7ea}\
.state-degraded,.state-failed,.failed,.quarantine-open{color:#a40000;background:#fdecec}\
.quarantine-trial{background:#fff6e0}\
#login{display:flex;gap:.5em;align-items:center;max-width:36em}\
#login input{flex:1;padding:.3em}";

/// One tenant as its row shows it: every cell's text, bounded (the
/// template escapes it). The one place a tenant-index field becomes a cell.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TenantRow {
    id: String,
    provider: String,
    /// The state's name; also the cell's `state-<name>` class.
    state: String,
    generation: String,
    /// The last operation and its outcome: `update (timeout)`.
    last: String,
    reason: String,
    /// Each container's health, from the last result; `-` when it has none.
    containers: String,
    updated: String,
}

/// The row for `entry`.
fn tenant_row(entry: &TenantEntry) -> TenantRow {
    TenantRow {
        id: bounded(&entry.tenant_id),
        provider: bounded(&entry.provider),
        state: entry.state.as_str().to_owned(),
        generation: format!("{}/{}", entry.generation, entry.observed_generation),
        last: format!("{} ({})", entry.last_operation, entry.last_outcome),
        reason: entry
            .reason
            .as_deref()
            .map_or_else(|| "-".to_owned(), bounded),
        // What the reconciler last saw (nothing: the provider had no such
        // tenant), else what the last call returned.
        containers: match (&entry.observed, entry.observed_at) {
            (None, Some(_)) => "none".to_owned(),
            (observed, _) => containers(observed.as_ref().or(entry.result.as_ref())),
        },
        updated: time(&entry.updated_at),
    }
}

/// What a result says of its containers: each one's state and readiness
/// when it lists them (a status), else its `status` (a provision result),
/// else `-`.
fn containers(result: Option<&Value>) -> String {
    let Some(result) = result.and_then(Value::as_object) else {
        return "-".to_owned();
    };
    if let Some(containers) = result.get("containers").and_then(Value::as_array) {
        let text = |value: Option<&Value>| {
            escape_bounded(value.and_then(Value::as_str).unwrap_or("?"), 64).into_owned()
        };
        let mut shown: Vec<String> = containers
            .iter()
            .take(MAX_CONTAINERS_SHOWN)
            .map(|container| {
                let name = text(container.get("name"));
                let state = text(container.get("state"));
                match container.get("ready").and_then(Value::as_bool) {
                    Some(true) => format!("{name}: {state}, ready"),
                    Some(false) => format!("{name}: {state}, not ready"),
                    None => format!("{name}: {state}"),
                }
            })
            .collect();
        if containers.len() > MAX_CONTAINERS_SHOWN {
            shown.push(format!(
                "and {} more",
                containers.len() - MAX_CONTAINERS_SHOWN
            ));
        }
        if shown.is_empty() {
            return "none".to_owned();
        }
        return bounded(&shown.join("; "));
    }
    match result.get("status").and_then(Value::as_str) {
        Some(status) => bounded(status),
        None => "-".to_owned(),
    }
}

/// `text` with control characters escaped, at most [`MAX_CELL`] bytes.
fn bounded(text: &str) -> String {
    escape_bounded(text, MAX_CELL).into_owned()
}

fn time(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// What one page shows, read in one go.
struct Snapshot {
    /// The first [`MAX_TENANTS`] tenants by id, or why they could not be read.
    tenants: Result<Vec<TenantEntry>, String>,
    /// Every provider's summary; `None` while the server is still loading them.
    providers: Option<Vec<ProviderSummary>>,
    /// The last [`JOURNAL_SHOWN`] journal entries, newest first.
    journal: Result<Vec<CallRecord>, String>,
}

impl Snapshot {
    /// Read the tenants, providers and journal (blocking).
    fn gather(shared: &Shared) -> Self {
        let service = &shared.service;
        let failed = |err: crate::state::StateError| bounded(&err.to_string());
        let tenants = service
            .tenants(&TenantQuery {
                limit: Some(MAX_TENANTS),
                ..TenantQuery::default()
            })
            .map_err(failed);
        // Providers are loaded once the server is ready; asking earlier
        // would compile them on this request's time.
        let providers = shared.is_ready().then(|| {
            service
                .provider_summaries()
                .into_iter()
                .map(|(summary, _)| summary)
                .collect()
        });
        let journal = service
            .journal_tail(None, JOURNAL_SHOWN)
            .map(|records| records.into_iter().rev().collect())
            .map_err(failed);
        Self {
            tenants,
            providers,
            journal,
        }
    }
}

/// The dashboard for the token named `signed_in_as`, as of `now`.
fn render_dashboard(signed_in_as: &str, snapshot: &Snapshot, now: DateTime<Utc>) -> Markup {
    let body = html! {
        header {
            h1 { "landlord" }
            div {
                span.muted { "signed in as " (escape_bounded(signed_in_as, 64)) " · " (time(&now)) " · reloads every " (REFRESH_SECONDS) " s " }
                form method="post" action="/logout" { button type="submit" { "Sign out" } }
            }
        }
        (tenants_section(&snapshot.tenants))
        (providers_section(snapshot.providers.as_deref()))
        (journal_section(&snapshot.journal))
    };
    shell("landlord", true, body)
}

fn tenants_section(tenants: &Result<Vec<TenantEntry>, String>) -> Markup {
    html! {
        section #tenants {
            h2 { "Tenants" }
            @match tenants {
                Err(err) => p.notice { "The tenant index could not be read: " (err) }
                Ok(entries) if entries.is_empty() => p.muted { "No tenants yet." }
                Ok(entries) => {
                    @if entries.len() >= MAX_TENANTS {
                        p.muted { "The first " (MAX_TENANTS) " tenants by id; the API lists them all (GET /v1/tenants)." }
                    }
                    table {
                        thead { tr {
                            th { "Tenant" } th { "Provider" } th { "State" } th { "Generation" }
                            th { "Last operation (outcome)" } th { "Reason" } th { "Containers" } th { "Updated" }
                        } }
                        tbody {
                            @for row in entries.iter().map(tenant_row) {
                                tr data-tenant=(row.id) {
                                    td.mono { (row.id) }
                                    td { (row.provider) }
                                    td class=(format!("state state-{}", class_name(&row.state))) data-state=(row.state) { (row.state) }
                                    td { (row.generation) }
                                    td { (row.last) }
                                    td { (row.reason) }
                                    td { (row.containers) }
                                    td { (row.updated) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn providers_section(providers: Option<&[ProviderSummary]>) -> Markup {
    html! {
        section #providers {
            h2 { "Providers" }
            @match providers {
                None => p.muted { "Providers are still loading." }
                Some(providers) => table {
                    thead { tr {
                        th { "Provider" } th { "Source" } th { "Loaded" } th { "Grants" }
                        th { "Outbound" } th { "Engines" } th { "Limits" } th { "Quarantine" }
                    } }
                    tbody {
                        @for summary in providers {
                            tr data-provider=(bounded(&summary.name)) {
                                td.mono { (bounded(&summary.name)) }
                                td { (bounded(&summary.source)) }
                                @match &summary.error {
                                    Some(err) => td.failed { "not loaded: " (bounded(err)) }
                                    None => td.ok { "loaded" @if let Some(sha) = &summary.sha256 {
                                        " " span.mono.muted { (sha.get(..12).unwrap_or(sha)) }
                                    } }
                                }
                                td { (list(&summary.grants)) }
                                td { (list(&summary.outbound)) }
                                td {
                                    (list(&summary.engines))
                                    @if !summary.engine_policy_loosened.is_empty() {
                                        br; span.muted { "loosened: " (list(&summary.engine_policy_loosened)) }
                                    }
                                }
                                td { (limits(summary)) }
                                (quarantine_cell(summary.quarantine.as_ref()))
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `items` joined with commas, bounded; `-` when empty.
fn list(items: &[String]) -> String {
    if items.is_empty() {
        "-".to_owned()
    } else {
        bounded(&items.join(", "))
    }
}

fn limits(summary: &ProviderSummary) -> String {
    let mut parts = Vec::new();
    if let Some(memory) = summary.memory_mib {
        parts.push(format!("memory {memory} MiB"));
    }
    if let Some(timeout) = summary.timeout_ms {
        parts.push(format!("timeout {timeout} ms"));
    }
    if let Some(fuel) = summary.fuel {
        parts.push(format!("fuel {fuel}"));
    }
    if parts.is_empty() {
        "-".to_owned()
    } else {
        parts.join(", ")
    }
}

fn quarantine_cell(quarantine: Option<&QuarantineView>) -> Markup {
    let Some(view) = quarantine else {
        return html! { td { "-" } };
    };
    let state = wire_name(&view.state).unwrap_or_default();
    let text = match view.state {
        BreakerState::Closed if view.consecutive_failures == 0 => "closed".to_owned(),
        BreakerState::Closed => format!("closed ({} failures in a row)", view.consecutive_failures),
        BreakerState::Open => match view.until {
            Some(until) => format!("open until {}", time(&until)),
            None => "open".to_owned(),
        },
        BreakerState::Trial => "trial: the next call decides".to_owned(),
    };
    html! {
        td class=(format!("quarantine-{}", class_name(&state))) data-quarantine=(state) {
            (text)
            @if view.times_quarantined > 0 {
                br; span.muted { "quarantined " (view.times_quarantined) " times since start" }
            }
        }
    }
}

fn journal_section(journal: &Result<Vec<CallRecord>, String>) -> Markup {
    html! {
        section #journal {
            h2 { "Recent journal" }
            @match journal {
                Err(err) => p.notice { "The journal could not be read: " (err) }
                Ok(records) if records.is_empty() => p.muted { "No provider calls journaled yet." }
                Ok(records) => table {
                    thead { tr {
                        th { "Time" } th { "Tenant" } th { "Provider" } th { "Operation" }
                        th { "Outcome" } th { "Message" } th { "Reason (reconciler)" }
                    } }
                    tbody {
                        @for record in records {
                            tr {
                                td { (time(&record.at)) }
                                td.mono { (bounded(&record.tenant_id)) }
                                td { (bounded(&record.provider)) }
                                td { (record.operation) }
                                @match &record.outcome {
                                    CallOutcome::Ok => { td.ok { "ok" } td { "-" } }
                                    CallOutcome::Failed { kind, message } => {
                                        td.failed { (wire_name(kind).unwrap_or_default()) }
                                        td { (bounded(message)) }
                                    }
                                }
                                td { (record.reason.as_deref().map_or_else(|| "-".to_owned(), bounded)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `name` as a class-name suffix: lowercase letters, digits, `-` and `_`.
fn class_name(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_'))
        .take(32)
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::compute::{ErrorKind, Operation};
    use crate::state::{Outcome, TenantState};

    fn entry(tenant_id: &str, result: Option<Value>) -> TenantEntry {
        TenantEntry {
            tenant_id: tenant_id.into(),
            provider: "mock".into(),
            state: TenantState::Ready,
            generation: 2,
            observed_generation: 1,
            reason: Some("update failed: <b>no</b>".into()),
            last_operation: Operation::Provision,
            last_outcome: Outcome::Ok,
            attempts: 0,
            spec: None,
            observed: None,
            observed_at: None,
            result,
            updated_at: DateTime::parse_from_rfc3339("2025-01-02T03:04:05Z")
                .unwrap()
                .with_timezone(&Utc),
        }
    }

    fn snapshot(tenants: Vec<TenantEntry>, journal: Vec<CallRecord>) -> Snapshot {
        Snapshot {
            tenants: Ok(tenants),
            providers: None,
            journal: Ok(journal),
        }
    }

    #[test]
    fn a_row_shows_state_outcome_and_containers() {
        let row = tenant_row(&entry(
            "acme",
            Some(json!({"containers": [
                {"name": "web", "state": "running", "ready": true},
                {"name": "api", "state": "starting", "ready": false},
            ]})),
        ));
        assert_eq!(row.id, "acme");
        assert_eq!(row.state, "ready");
        assert_eq!(row.last, "provision (ok)");
        assert_eq!(row.generation, "2/1");
        assert_eq!(row.reason, "update failed: <b>no</b>");
        assert_eq!(
            row.containers,
            "web: running, ready; api: starting, not ready"
        );
        assert_eq!(row.updated, "2025-01-02 03:04:05 UTC");

        let provisioned = tenant_row(&entry("acme", Some(json!({"status": "success"}))));
        assert_eq!(provisioned.containers, "success");
        // What the reconciler saw comes before what the last call returned.
        let mut seen = entry("acme", Some(json!({"status": "success"})));
        seen.observed =
            Some(json!({"containers": [{"name": "web", "state": "exited", "ready": false}]}));
        assert_eq!(tenant_row(&seen).containers, "web: exited, not ready");
        assert_eq!(tenant_row(&entry("acme", None)).containers, "-");
        assert_eq!(
            tenant_row(&entry("acme", Some(json!(["not", "an", "object"])))).containers,
            "-"
        );
    }

    #[test]
    fn guest_text_is_escaped_and_bounded() {
        let hostile = "<script>alert(1)</script>";
        let mut tenant = entry(hostile, Some(json!({"status": hostile})));
        tenant.provider = format!("\"><img src=x onerror=alert(1)>{}", "y".repeat(5000));
        let record = CallRecord {
            at: tenant.updated_at,
            provider: "mock".into(),
            tenant_id: hostile.into(),
            operation: Operation::Update,
            outcome: CallOutcome::Failed {
                kind: ErrorKind::OperationFailed,
                message: format!("{hostile}\n{}", "z".repeat(10_000)),
            },
            duration_ms: 1.0,
            reason: Some(hostile.into()),
        };
        let html = render_dashboard(hostile, &snapshot(vec![tenant], vec![record]), Utc::now())
            .into_string();

        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(
            html.contains(r#"data-tenant="&lt;script&gt;alert(1)&lt;/script&gt;""#),
            "{html}"
        );
        // Bounded: the 5000 and 10000 characters are cut, the cut said.
        assert!(!html.contains(&"y".repeat(MAX_CELL + 1)), "{html}");
        assert!(!html.contains(&"z".repeat(MAX_CELL + 1)), "{html}");
        assert!(html.contains("bytes]"), "{html}");
        // A newline from a guest is shown escaped, as in logs.
        assert!(html.contains(r"&lt;/script&gt;\nzzz"), "{html}");
    }

    #[test]
    fn the_dashboard_marks_states_and_refreshes_itself() {
        let mut failed = entry("beta", None);
        failed.state = TenantState::Failed;
        failed.last_outcome = Outcome::Failed(ErrorKind::Timeout);
        let html = render_dashboard(
            "viewer",
            &snapshot(vec![entry("acme", None), failed], Vec::new()),
            Utc::now(),
        )
        .into_string();
        assert!(
            html.contains(r#"<meta http-equiv="refresh" content="5">"#),
            "{html}"
        );
        assert!(html.contains(r#"<tr data-tenant="acme">"#), "{html}");
        assert!(
            html.contains(r#"class="state state-ready" data-state="ready""#),
            "{html}"
        );
        assert!(
            html.contains(r#"class="state state-failed" data-state="failed""#),
            "{html}"
        );
        assert!(html.contains("provision (timeout)"), "{html}");
        assert!(html.contains("Providers are still loading."), "{html}");
        assert!(html.contains("No provider calls journaled yet."), "{html}");
    }

    #[test]
    fn the_token_cookie_is_read_from_any_cookie_header() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("a=1; b=2"));
        assert_eq!(cookie_token(&headers), None);
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("theme=dark;  landlord_token=ll_abc ; x=y"),
        );
        assert_eq!(cookie_token(&headers), Some("ll_abc"));
        assert!("ll_0123abcdef".bytes().all(is_cookie_octet));
        assert!(!"a b".bytes().all(is_cookie_octet));
        assert!(!"a;b".bytes().all(is_cookie_octet));
    }

    #[test]
    fn class_names_keep_only_safe_characters() {
        assert_eq!(class_name("degraded"), "degraded");
        assert_eq!(class_name("x\" onclick=\"y"), "xonclicky");
    }
}
