//! `landlord --server URL`: the commands run against a `landlord serve`
//! instead of a local state directory, with the same output and exit codes.
//! The token comes from `LANDLORD_TOKEN`, or the file `--token-file` (or
//! `LANDLORD_TOKEN_FILE`) names; never from a flag, which other users of
//! the machine could read in the process list.

use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use landlord::compute::{
    ComputeStatus, ErrorKind, ProvisionResult, TenantComputeSpec, UpdateResult,
};
use landlord::provider_set::ProviderSummary;
use landlord::server::{HistoryPage, Problem, TenantPage, TenantView, Validation};
use landlord::state::{CallRecord, TenantEntry};
use landlord::text::escape_bounded;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;

use super::GlobalOpts;

/// The environment variable holding the token.
pub(crate) const TOKEN_ENV: &str = "LANDLORD_TOKEN";

/// How long one request may take: longer than the server's own default
/// request timeout (60 s), so the server's answer comes first.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(90);

/// A server's problem answer, as an error: its kind decides the exit code
/// (`exit::code`), its detail is the message.
#[derive(Debug)]
pub(crate) struct RemoteProblem(pub(crate) Problem);

impl RemoteProblem {
    /// The error kind, when the problem is one of landlord's error kinds
    /// (not an HTTP-level one such as `unauthorized`).
    pub(crate) fn kind(&self) -> Option<ErrorKind> {
        serde_json::from_value(serde_json::Value::String(self.0.kind.clone())).ok()
    }
}

impl std::fmt::Display for RemoteProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The server's text reaches a terminal: escaped and bounded here,
        // line by line (an invalid spec has a line per violation; a
        // provider's own line breaks were escaped before they left the host).
        let detail: String = self.0.detail.chars().take(4096).collect();
        let lines: Vec<String> = detail
            .split('\n')
            .map(|line| escape_bounded(line, 4096).into_owned())
            .collect();
        write!(
            f,
            "{} (HTTP {} from the server)",
            lines.join("\n"),
            self.0.status
        )
    }
}

impl std::error::Error for RemoteProblem {}

/// A client of one server.
pub(crate) struct Remote {
    base: String,
    token: String,
    http: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

impl Remote {
    /// The client `--server` asks for, if it does.
    pub(crate) fn from_global(global: &GlobalOpts) -> anyhow::Result<Option<Self>> {
        let Some(server) = global.server.as_deref() else {
            return Ok(None);
        };
        let base = server.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(UsageError(format!(
                "--server {}: give the server's URL, such as http://127.0.0.1:7370",
                escape_bounded(server, 256)
            ))
            .into());
        }
        let token = read_token(global.token_file.as_deref())?;
        landlord::server::install_crypto();
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("landlord/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("setting up the HTTP client")?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(Some(Self {
            base,
            token,
            http,
            runtime,
        }))
    }

    /// Send a request; the answer's status, headers and body, or the
    /// server's problem as an error.
    fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> anyhow::Result<(StatusCode, reqwest::header::HeaderMap, Vec<u8>)> {
        let url = format!("{}{path}", self.base);
        let mut request = self
            .http
            .request(method, &url)
            .bearer_auth(&self.token)
            .query(query);
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        let (status, headers, bytes) = self
            .runtime
            .block_on(async {
                let response = request.send().await?;
                let status = response.status();
                let headers = response.headers().clone();
                let bytes = response.bytes().await?;
                Ok::<_, reqwest::Error>((status, headers, bytes))
            })
            .with_context(|| format!("cannot reach the server at {}", self.base))?;
        if status.is_success() {
            return Ok((status, headers, bytes.to_vec()));
        }
        match serde_json::from_slice::<Problem>(&bytes) {
            Ok(problem) => Err(RemoteProblem(problem).into()),
            Err(_) => anyhow::bail!(
                "the server at {} answered HTTP {status} without a problem body",
                self.base
            ),
        }
    }

    fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> anyhow::Result<T> {
        let (_, _, bytes) = self.send(method, path, query, body)?;
        serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "the server at {} sent an answer this landlord cannot read",
                self.base
            )
        })
    }

    pub(crate) fn provision(&self, spec: &TenantComputeSpec) -> anyhow::Result<ProvisionResult> {
        self.json(
            Method::POST,
            "/v1/tenants",
            &[],
            Some(serde_json::to_vec(spec)?),
        )
    }

    pub(crate) fn update(
        &self,
        tenant_id: &str,
        spec: &TenantComputeSpec,
    ) -> anyhow::Result<UpdateResult> {
        let path = format!("/v1/tenants/{}", segment(tenant_id));
        self.json(Method::PUT, &path, &[], Some(serde_json::to_vec(spec)?))
    }

    /// Destroy; the provider that did it.
    pub(crate) fn destroy(
        &self,
        tenant_id: &str,
        provider: Option<&str>,
    ) -> anyhow::Result<String> {
        let path = format!("/v1/tenants/{}", segment(tenant_id));
        let query: Vec<(&str, &str)> = provider.map(|p| ("provider", p)).into_iter().collect();
        let (_, headers, _) = self.send(Method::DELETE, &path, &query, None)?;
        Ok(headers
            .get(landlord::server::PROVIDER_HEADER)
            .and_then(|value| value.to_str().ok())
            .map(|name| escape_bounded(name, 128).into_owned())
            .unwrap_or_else(|| provider.unwrap_or("its provider").to_owned()))
    }

    pub(crate) fn status(
        &self,
        tenant_id: &str,
        provider: Option<&str>,
    ) -> anyhow::Result<ComputeStatus> {
        let path = format!("/v1/tenants/{}", segment(tenant_id));
        let query: Vec<(&str, &str)> = provider.map(|p| ("provider", p)).into_iter().collect();
        let view: TenantView = self.json(Method::GET, &path, &query, None)?;
        match (view.status, view.status_error) {
            (Some(status), _) => Ok(status),
            (None, Some(problem)) => Err(RemoteProblem(problem).into()),
            (None, None) => anyhow::bail!("the server sent no status for {tenant_id}"),
        }
    }

    /// Validate; the provider that validated it.
    pub(crate) fn validate(&self, spec: &TenantComputeSpec) -> anyhow::Result<String> {
        let answer: Validation = self.json(
            Method::POST,
            "/v1/validate",
            &[],
            Some(serde_json::to_vec(spec)?),
        )?;
        Ok(answer.provider_type)
    }

    /// Every tenant, page by page.
    pub(crate) fn tenants(&self) -> anyhow::Result<Vec<TenantEntry>> {
        let mut tenants = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let mut query = vec![("limit", "1000")];
            if let Some(after) = after.as_deref() {
                query.push(("after", after));
            }
            let page: TenantPage = self.json(Method::GET, "/v1/tenants", &query, None)?;
            tenants.extend(page.items);
            match page.next_after {
                Some(next) => after = Some(next),
                None => return Ok(tenants),
            }
        }
    }

    /// The journal's last 1000 entries (all of a tenant's, usually).
    pub(crate) fn history(&self, tenant_id: Option<&str>) -> anyhow::Result<Vec<CallRecord>> {
        let mut query = vec![("limit", "1000")];
        if let Some(tenant) = tenant_id {
            query.push(("tenant", tenant));
        }
        let page: HistoryPage = self.json(Method::GET, "/v1/history", &query, None)?;
        Ok(page.items)
    }

    pub(crate) fn providers(&self) -> anyhow::Result<Vec<ProviderSummary>> {
        self.json(Method::GET, "/v1/providers", &[], None)
    }
}

/// The error for a command that works only on this machine, given `--server`.
pub(crate) fn local_only(what: &str) -> anyhow::Error {
    UsageError(format!(
        "{what}; --server (or LANDLORD_SERVER) does not apply: drop it"
    ))
    .into()
}

/// A command used in a way it does not support (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct UsageError(pub(crate) String);

/// `text` as one URL path segment.
fn segment(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// The token: `LANDLORD_TOKEN`, else the first line of `file`.
fn read_token(file: Option<&Path>) -> anyhow::Result<String> {
    if let Some(token) = std::env::var(TOKEN_ENV).ok().filter(|t| !t.is_empty()) {
        return Ok(token.trim().to_owned());
    }
    let Some(file) = file else {
        return Err(UsageError(format!(
            "--server needs a token: set {TOKEN_ENV}, or give --token-file FILE (or LANDLORD_TOKEN_FILE); `landlord token new NAME` makes one"
        ))
        .into());
    };
    let bytes = landlord::input::read_regular_file(file, 4096)
        .with_context(|| format!("reading the token file {}", file.display()))?;
    let text = String::from_utf8_lossy(&bytes);
    let token = text.lines().next().unwrap_or("").trim().to_owned();
    if token.is_empty() {
        return Err(UsageError(format!("the token file {} is empty", file.display())).into());
    }
    Ok(token)
}
