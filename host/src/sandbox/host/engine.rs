//! The gate on requests to a granted engine: the engine policy
//! ([`crate::sandbox::engine`]) applied before anything is sent.
//!
//! For each request: its route must be allowed; its body is read (at most
//! [`MAX_BODY`]) and, for a create or connect, checked and re-serialized;
//! a container or network it acts on is looked up by the host (one inspect
//! over the same grant) and must carry the provider's label, and is then
//! addressed by its full id, so the request acts on exactly what was
//! checked; a list gets the provider's label filter. A refusal never
//! reaches the engine.

use bytes::{Bytes, BytesMut};
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST, TRANSFER_ENCODING};
use http_body_util::{BodyExt, Empty, Full};
use serde_json::{Map, Value};
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody};

use super::http::send_to;
use crate::sandbox::engine::body::{BodyRules, MAX_BODY, PROVIDER_LABEL, parse};
use crate::sandbox::engine::route::{Endpoint, Object, method_text, route};
use crate::sandbox::engine::{EnginePolicy, Rule, Violation, quote};
use crate::sandbox::origin::Origin;

/// Largest inspect answer the host reads for a lookup.
const MAX_LOOKUP: usize = 4 << 20;

/// What the gate decided.
pub(crate) enum Verdict {
    /// Send this request (possibly rewritten).
    Forward(http::Request<WasiBody>),
    /// Answer the guest with this, sending nothing more: the engine's own
    /// answer to the host's lookup (a 404, or the inspect the guest asked
    /// for).
    Answer(http::Response<WasiBody>),
    /// Refuse: answer 403 naming the rule, and fail the call.
    Refuse(Violation),
}

/// Why the gate stopped short of forwarding.
enum Stop {
    Refuse(Violation),
    Answer(http::Response<WasiBody>),
    Fail(Error),
}

impl From<Violation> for Stop {
    fn from(violation: Violation) -> Self {
        Stop::Refuse(violation)
    }
}

impl From<Error> for Stop {
    fn from(error: Error) -> Self {
        Stop::Fail(error)
    }
}

/// One provider's view of one engine.
pub(crate) struct Gate<'a> {
    /// The provider's name: the `landlord.provider` label it owns.
    pub(crate) provider: &'a str,
    /// Its policy.
    pub(crate) policy: &'a EnginePolicy,
    /// The engine the request goes to.
    pub(crate) origin: &'a Origin,
    /// Timeouts for the host's own lookups.
    pub(crate) options: RequestOptions,
}

impl Gate<'_> {
    /// Decide on `request`: forward it (rewritten), answer it, or refuse it.
    pub(crate) async fn decide(&self, request: http::Request<WasiBody>) -> Result<Verdict, Error> {
        match self.check(request).await {
            Ok(request) => Ok(Verdict::Forward(request)),
            Err(Stop::Refuse(violation)) => Ok(Verdict::Refuse(violation)),
            Err(Stop::Answer(response)) => Ok(Verdict::Answer(response)),
            Err(Stop::Fail(error)) => Err(error),
        }
    }

    async fn check(
        &self,
        request: http::Request<WasiBody>,
    ) -> Result<http::Request<WasiBody>, Stop> {
        let (mut parts, body) = request.into_parts();
        let path = parts.uri.path().to_owned();
        let query = parts.uri.query().map(str::to_owned);
        let route = route(&parts.method, &path, query.as_deref())?;
        let bytes = read_at_most(body, MAX_BODY).await?.ok_or_else(|| {
            Violation::new(Rule::Body, format!("the body is over {MAX_BODY} bytes"))
        })?;
        if !route.takes_body() && !bytes.is_empty() {
            return Err(Violation::new(
                Rule::Body,
                format!(
                    "{} {} takes no body",
                    method_text(&parts.method),
                    quote(&path)
                ),
            )
            .into());
        }
        let rules = BodyRules {
            policy: self.policy,
            provider: self.provider,
            local: matches!(self.origin, Origin::UnixSocket { .. }),
        };
        let authority = parts
            .uri
            .authority()
            .map(|a| a.as_str().to_owned())
            .unwrap_or_default();
        let lookup = Lookup {
            gate: self,
            authority: &authority,
            version: &route.version,
        };

        let mut send_path = path.clone();
        let mut send_query = query.clone();
        let mut send_body = bytes;
        match &route.endpoint {
            Endpoint::Open => {}
            Endpoint::List(_) => {
                send_query = Some(with_own_label(query.as_deref(), self.provider)?);
            }
            Endpoint::Create(object) => {
                let body = parse(&send_body)?;
                match object {
                    Object::Container => {
                        for network in rules.container_create(&body)?.networks {
                            lookup.own(Object::Network, &network, false).await?;
                        }
                    }
                    Object::Network => rules.network_create(&body)?,
                }
                send_body = reserialize(&body);
            }
            Endpoint::Act {
                object,
                target,
                action,
                names_container,
            } => {
                let own = lookup.own(*object, target, true).await?;
                if *names_container {
                    let body = parse(&send_body)?;
                    for container in rules.network_connect(&body)?.containers {
                        lookup.own(Object::Container, &container, false).await?;
                    }
                    send_body = reserialize(&body);
                }
                if *object == Object::Container && action == "/json" && query.is_none() {
                    // The guest asked for the inspect the host just read.
                    return Err(Stop::Answer(own.answer));
                }
                send_path = match object {
                    Object::Container => format!("{}/containers/{}{action}", route.version, own.id),
                    Object::Network => format!("{}/networks/{}{action}", route.version, own.id),
                };
            }
        }
        let path_and_query = match &send_query {
            Some(query) => format!("{send_path}?{query}"),
            None => send_path,
        };
        let mut uri = http::uri::Parts::from(parts.uri.clone());
        uri.path_and_query = Some(
            path_and_query
                .parse()
                .map_err(|_| Error::HttpRequestUriInvalid)?,
        );
        parts.uri = http::Uri::from_parts(uri).map_err(|_| Error::HttpRequestUriInvalid)?;
        parts.headers.remove(TRANSFER_ENCODING);
        if send_body.is_empty() && !route.takes_body() && parts.method != http::Method::POST {
            parts.headers.remove(CONTENT_LENGTH);
        } else {
            parts.headers.insert(CONTENT_LENGTH, send_body.len().into());
        }
        Ok(http::Request::from_parts(parts, full(send_body)))
    }
}

/// The host's own inspects, over the grant the guest's request uses.
struct Lookup<'a> {
    gate: &'a Gate<'a>,
    authority: &'a str,
    version: &'a str,
}

/// A container or network found to be the provider's.
struct Own {
    /// Its full id.
    id: String,
    /// The engine's answer to the inspect, to hand on if the guest asked
    /// for exactly that.
    answer: http::Response<WasiBody>,
}

impl Lookup<'_> {
    /// Inspect `target` and require the provider's label on it. When it
    /// does not exist: for the request's own target, the engine's 404 is
    /// the answer; for one its body names, a refusal.
    async fn own(&self, object: Object, target: &str, is_target: bool) -> Result<Own, Stop> {
        let noun = object.noun();
        let not_own = |why: &str| {
            Stop::Refuse(Violation::new(
                Rule::Scope,
                format!(
                    "{noun} {} {why}; a provider acts only on what it created (labelled {PROVIDER_LABEL}={})",
                    quote(target),
                    self.gate.provider
                ),
            ))
        };
        if !target
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
            || target.is_empty()
        {
            return Err(not_own("is not a plain name or id"));
        }
        let (status, headers, bytes) = self.get(&object.inspect_path(self.version, target)).await?;
        if status != http::StatusCode::OK {
            if status == http::StatusCode::NOT_FOUND && !is_target {
                return Err(not_own("does not exist"));
            }
            return Err(Stop::Answer(answer(status, &headers, bytes)));
        }
        let inspected: Value =
            serde_json::from_slice(&bytes).map_err(|_| Error::HttpProtocolError)?;
        let label = inspected
            .pointer(object.labels_pointer())
            .and_then(|labels| labels.get(PROVIDER_LABEL))
            .and_then(Value::as_str);
        if label != Some(self.gate.provider) {
            return Err(not_own("is not one of its own"));
        }
        let id = inspected
            .get("Id")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric()))
            .ok_or(Error::HttpProtocolError)?
            .to_owned();
        Ok(Own {
            id,
            answer: answer(status, &headers, bytes),
        })
    }

    /// `GET path` on the engine; the status, headers and body (bounded).
    async fn get(&self, path: &str) -> Result<(http::StatusCode, http::HeaderMap, Bytes), Error> {
        let scheme = match self.gate.origin {
            Origin::Network { scheme, .. } => scheme.as_str(),
            Origin::UnixSocket { .. } => "http",
        };
        let request = http::Request::get(format!("{scheme}://{}{path}", self.authority))
            .header(HOST, self.authority)
            .body(Empty::new().map_err(|never| match never {}).boxed_unsync())
            .map_err(|_| Error::HttpRequestUriInvalid)?;
        let (response, connection) =
            send_to(self.gate.origin.clone(), request, self.gate.options).await?;
        let driving = tokio::spawn(Box::into_pin(connection));
        let (parts, body) = response.into_parts();
        let Some(bytes) = read_at_most(body, MAX_LOOKUP).await? else {
            driving.abort();
            return Err(Error::HttpResponseBodySize(Some(MAX_LOOKUP as u64)));
        };
        drop(driving);
        Ok((parts.status, parts.headers, bytes))
    }
}

/// `body` read to its end, or `None` as soon as it passes `max` bytes:
/// a guest's request body, or an engine's answer to a lookup.
async fn read_at_most(mut body: WasiBody, max: usize) -> Result<Option<Bytes>, Error> {
    let mut bytes = BytesMut::new();
    while let Some(frame) = body.frame().await {
        if let Some(data) = frame?.data_ref() {
            if bytes.len() + data.len() > max {
                return Ok(None);
            }
            bytes.extend_from_slice(data);
        }
    }
    Ok(Some(bytes.freeze()))
}

/// `query` with a `filters` parameter that also requires the provider's
/// label: `{"label": [..., "landlord.provider=<name>"]}`.
fn with_own_label(query: Option<&str>, provider: &str) -> Result<String, Violation> {
    let refused = |why: &str| Violation::new(Rule::Scope, format!("the list's filters {why}"));
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect();
    let mut given = pairs.iter().filter(|(key, _)| key == "filters");
    let mut filters: Map<String, Value> = match given.next() {
        None => Map::new(),
        Some((_, text)) => match serde_json::from_str(text) {
            Ok(Value::Object(map)) => map,
            _ => return Err(refused("are not a JSON object")),
        },
    };
    if given.next().is_some() {
        return Err(refused("are given twice"));
    }
    let own = format!("{PROVIDER_LABEL}={provider}");
    match filters
        .entry("label")
        .or_insert_with(|| Value::Array(Vec::new()))
    {
        Value::Array(labels) => labels.push(Value::String(own)),
        Value::Object(labels) => {
            labels.insert(own, Value::Bool(true));
        }
        _ => return Err(refused("have a `label` that is neither a list nor a map")),
    }
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs.iter().filter(|(key, _)| key != "filters") {
        out.append_pair(key, value);
    }
    out.append_pair("filters", &Value::Object(filters).to_string());
    Ok(out.finish())
}

fn reserialize(body: &Map<String, Value>) -> Bytes {
    Bytes::from(Value::Object(body.clone()).to_string())
}

fn full(bytes: Bytes) -> WasiBody {
    Full::new(bytes)
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// A response with `status`, the content type of `headers`, and `bytes`.
fn answer(
    status: http::StatusCode,
    headers: &http::HeaderMap,
    bytes: Bytes,
) -> http::Response<WasiBody> {
    let length = bytes.len();
    let mut response = http::Response::new(full(bytes));
    *response.status_mut() = status;
    if let Some(kind) = headers.get(CONTENT_TYPE) {
        response.headers_mut().insert(CONTENT_TYPE, kind.clone());
    }
    response.headers_mut().insert(CONTENT_LENGTH, length.into());
    response
}

/// The 403 a refused request gets, Docker-style: `{"message": "…"}`.
pub(crate) fn refusal(violation: &Violation) -> http::Response<WasiBody> {
    let body = serde_json::json!({ "message": format!("landlord engine policy, {violation}") });
    let mut headers = http::HeaderMap::new();
    headers.insert(
        CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    answer(
        http::StatusCode::FORBIDDEN,
        &headers,
        Bytes::from(body.to_string()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_get_the_providers_label_filter_whatever_the_guest_sent() {
        let decoded = |query: &str| -> Vec<(String, String)> {
            form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect()
        };
        let query = with_own_label(Some("all=true"), "docker").unwrap();
        assert_eq!(
            decoded(&query),
            [
                ("all".into(), "true".into()),
                (
                    "filters".into(),
                    r#"{"label":["landlord.provider=docker"]}"#.into()
                )
            ]
        );
        let guest = r#"{"label":["landlord.tenant_id=acme"],"status":["running"]}"#;
        let query = with_own_label(
            Some(&format!(
                "all=1&filters={}",
                form_urlencoded::byte_serialize(guest.as_bytes()).collect::<String>()
            )),
            "docker",
        )
        .unwrap();
        assert_eq!(
            decoded(&query)[1].1,
            r#"{"label":["landlord.tenant_id=acme","landlord.provider=docker"],"status":["running"]}"#
        );
        let query = with_own_label(
            Some("filters=%7B%22label%22%3A%7B%22a%3Db%22%3Atrue%7D%7D"),
            "docker",
        )
        .unwrap();
        assert_eq!(
            decoded(&query)[0].1,
            r#"{"label":{"a=b":true,"landlord.provider=docker":true}}"#
        );
        for bad in [
            "filters=%5B%5D",
            "filters=%7B%7D&filters=%7B%7D",
            "filters=%7B%22label%22%3A1%7D",
        ] {
            assert_eq!(
                with_own_label(Some(bad), "docker").unwrap_err().rule,
                Rule::Scope,
                "{bad}"
            );
        }
    }

    #[tokio::test]
    async fn a_refusal_is_a_docker_style_403_naming_the_rule() {
        let response = refusal(&Violation::new(
            Rule::Privileged,
            "HostConfig.Privileged is set",
        ));
        assert_eq!(response.status(), 403);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(
            String::from_utf8_lossy(&body),
            r#"{"message":"landlord engine policy, rule `privileged`: HostConfig.Privileged is set"}"#
        );
    }
}
