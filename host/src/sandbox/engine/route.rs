//! Which Engine API requests a provider may send ([`Rule::Endpoint`]), and
//! what the host does with each before it is sent ([`Endpoint`]).
//!
//! Paths are matched in canonical form only: an optional version prefix of
//! API 1.24 or later (before it, a start request could carry a host
//! config), then segments of `[A-Za-z0-9._:@-]`, none empty, `.` or `..`.
//! Anything else is refused rather than normalized, so the path the host
//! judged is the path the engine routes.

use http::Method;

use super::{Rule, Violation, quote};

/// The oldest Engine API version a request may name.
const MIN_MINOR_VERSION: u32 = 24;

/// What a request acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Object {
    /// A container.
    Container,
    /// A network.
    Network,
}

impl Object {
    /// `container` or `network`.
    pub(crate) fn noun(self) -> &'static str {
        match self {
            Object::Container => "container",
            Object::Network => "network",
        }
    }

    /// The inspect path of `target` under `version` (`/v1.41`).
    pub(crate) fn inspect_path(self, version: &str, target: &str) -> String {
        match self {
            Object::Container => format!("{version}/containers/{target}/json"),
            Object::Network => format!("{version}/networks/{target}"),
        }
    }

    /// Where its labels are in an inspect answer.
    pub(crate) fn labels_pointer(self) -> &'static str {
        match self {
            Object::Container => "/Config/Labels",
            Object::Network => "/Labels",
        }
    }
}

/// What the host does with an allowed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// Sent as it is: ping, version, images (list, inspect, pull).
    Open,
    /// A list, sent with the provider's label filter added.
    List(Object),
    /// A create, whose JSON body is checked.
    Create(Object),
    /// An action on one container or network, sent only if it is the
    /// provider's, addressed by its full id.
    Act {
        /// What it acts on.
        object: Object,
        /// The id or name as the guest wrote it.
        target: String,
        /// The rest of the path after the target (`/start`; empty for
        /// inspect of a network and for remove).
        action: String,
        /// Whether it carries a body naming a container (network connect
        /// and disconnect).
        names_container: bool,
    },
}

/// An allowed request, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Route {
    /// The version prefix as sent (`/v1.41`), or empty.
    pub(crate) version: String,
    /// What to do with it.
    pub(crate) endpoint: Endpoint,
}

impl Route {
    /// Whether the endpoint reads a JSON body (any other must be empty).
    pub(crate) fn takes_body(&self) -> bool {
        matches!(
            self.endpoint,
            Endpoint::Create(_)
                | Endpoint::Act {
                    names_container: true,
                    ..
                }
        )
    }
}

/// The route of `method` `path` (`?query` apart), or the violation.
pub(crate) fn route(method: &Method, path: &str, query: Option<&str>) -> Result<Route, Violation> {
    let refused = |why: &str| {
        Violation::new(
            Rule::Endpoint,
            format!("{} {}: {why}", method_text(method), quote(path)),
        )
    };
    let Some(rest) = path.strip_prefix('/') else {
        return Err(refused("the path is not absolute"));
    };
    let mut segments: Vec<&str> = rest.split('/').collect();
    for segment in &segments {
        if segment.is_empty() || *segment == "." || *segment == ".." {
            return Err(refused(
                "empty, `.` and `..` segments are refused; send the canonical path",
            ));
        }
        if !segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:@-".contains(&b))
        {
            return Err(refused(
                "a path segment has a character outside [A-Za-z0-9._:@-] (escapes are refused; ids, names and image references need none)",
            ));
        }
    }
    let mut version = String::new();
    if let Some(first) = segments.first()
        && let Some(number) = first.strip_prefix('v')
        && number.starts_with(|c: char| c.is_ascii_digit())
    {
        let minor = number
            .strip_prefix("1.")
            .and_then(|minor| minor.parse::<u32>().ok());
        if minor.is_none_or(|minor| minor < MIN_MINOR_VERSION) {
            return Err(refused(&format!(
                "the API version must be 1.{MIN_MINOR_VERSION} or later (before it a start request takes a host config); send /v1.41/…"
            )));
        }
        version = format!("/{first}");
        segments.remove(0);
    }
    let endpoint = endpoint(method, &segments, query).ok_or_else(|| {
        refused("not an endpoint a compute provider needs (see `engine_policy` in docs/sandbox.md)")
    })?;
    Ok(Route { version, endpoint })
}

fn endpoint(method: &Method, segments: &[&str], query: Option<&str>) -> Option<Endpoint> {
    let act = |object, target: &str, action: &str| Endpoint::Act {
        object,
        target: target.to_owned(),
        action: action.to_owned(),
        names_container: false,
    };
    let (get, post, delete) = (
        method == Method::GET,
        method == Method::POST,
        method == Method::DELETE,
    );
    Some(match segments {
        ["_ping"] if get || method == Method::HEAD => Endpoint::Open,
        ["version"] if get => Endpoint::Open,
        ["containers", "json"] if get => Endpoint::List(Object::Container),
        ["containers", "create"] if post => Endpoint::Create(Object::Container),
        ["containers", id, "json"] if get => act(Object::Container, id, "/json"),
        ["containers", id, "logs"] if get => act(Object::Container, id, "/logs"),
        [
            "containers",
            id,
            action @ ("start" | "stop" | "kill" | "restart" | "wait"),
        ] if post => act(Object::Container, id, &format!("/{action}")),
        ["containers", id] if delete => act(Object::Container, id, ""),
        ["networks"] if get => Endpoint::List(Object::Network),
        ["networks", "create"] if post => Endpoint::Create(Object::Network),
        ["networks", id] if get || delete => act(Object::Network, id, ""),
        ["networks", id, action @ ("connect" | "disconnect")] if post => Endpoint::Act {
            object: Object::Network,
            target: (*id).to_owned(),
            action: format!("/{action}"),
            names_container: true,
        },
        ["images", "json"] if get => Endpoint::Open,
        ["images", "create"] if post && is_pull(query) => Endpoint::Open,
        ["images", name @ .., "json"] if get && !name.is_empty() => Endpoint::Open,
        _ => return None,
    })
}

/// A request's method for a message: extension methods are the guest's
/// text, so escaped and cut short.
pub(crate) fn method_text(method: &Method) -> String {
    crate::text::escape_bounded(method.as_str(), 32).into_owned()
}

/// Whether `/images/create?…` pulls (`fromImage`) rather than imports a
/// tarball or URL (`fromSrc`), which is `/images/load` by another name.
fn is_pull(query: Option<&str>) -> bool {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect();
    pairs.iter().any(|(key, _)| key == "fromImage")
        && !pairs.iter().any(|(key, _)| key == "fromSrc")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(method: Method, path: &str) -> Endpoint {
        let (path, query) = match path.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (path, None),
        };
        route(&method, path, query)
            .unwrap_or_else(|v| panic!("{method} {path}: {v}"))
            .endpoint
    }

    fn refused(method: Method, path: &str) -> String {
        let (path, query) = match path.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (path, None),
        };
        let violation = route(&method, path, query).expect_err(path);
        assert_eq!(violation.rule, Rule::Endpoint);
        violation.detail
    }

    #[test]
    fn what_a_compute_provider_needs_is_routed() {
        assert_eq!(allowed(Method::GET, "/_ping"), Endpoint::Open);
        assert_eq!(allowed(Method::HEAD, "/v1.41/_ping"), Endpoint::Open);
        assert_eq!(allowed(Method::GET, "/v1.41/version"), Endpoint::Open);
        assert_eq!(
            allowed(Method::GET, "/v1.41/containers/json?all=true"),
            Endpoint::List(Object::Container)
        );
        assert_eq!(
            allowed(Method::POST, "/v1.41/containers/create?name=a"),
            Endpoint::Create(Object::Container)
        );
        assert_eq!(
            allowed(Method::POST, "/v1.41/containers/landlord-acme-web/start"),
            Endpoint::Act {
                object: Object::Container,
                target: "landlord-acme-web".into(),
                action: "/start".into(),
                names_container: false
            }
        );
        assert!(matches!(
            allowed(Method::DELETE, "/v1.41/containers/abc?force=true&v=true"),
            Endpoint::Act { action, .. } if action.is_empty()
        ));
        assert_eq!(
            allowed(Method::GET, "/v1.41/networks?filters=%7B%7D"),
            Endpoint::List(Object::Network)
        );
        assert!(matches!(
            allowed(Method::POST, "/v1.41/networks/n1/connect"),
            Endpoint::Act {
                names_container: true,
                ..
            }
        ));
        for path in [
            "/v1.41/images/json",
            "/v1.41/images/registry.example:5000/team/app:1.2/json",
            "/v1.41/images/app@sha256:abc/json",
            "/v1.41/images/create?fromImage=nginx&tag=1.27",
        ] {
            let method = if path.contains("create") {
                Method::POST
            } else {
                Method::GET
            };
            assert_eq!(allowed(method, path), Endpoint::Open, "{path}");
        }
    }

    #[test]
    fn everything_else_is_refused_naming_the_request() {
        for (method, path) in [
            (Method::POST, "/v1.41/containers/abc/exec"),
            (Method::PUT, "/v1.41/containers/abc/archive?path=/"),
            (Method::POST, "/v1.41/containers/abc/update"),
            (Method::POST, "/v1.41/build"),
            (Method::POST, "/v1.41/images/load"),
            (Method::POST, "/v1.41/images/create?fromSrc=-"),
            (Method::POST, "/v1.41/images/create?fromImage=a&fromSrc=-"),
            (Method::POST, "/v1.41/commit?container=abc"),
            (Method::DELETE, "/v1.41/images/nginx"),
            (Method::POST, "/v1.41/volumes/create"),
            (Method::GET, "/v1.41/info"),
            (Method::POST, "/v1.41/swarm/init"),
            (Method::POST, "/v1.41/plugins/pull"),
            (Method::POST, "/v1.41/containers/prune"),
            (Method::GET, "/v1.41/containers/abc/export"),
            (Method::POST, "/v1.41/containers/a/b/start"),
            (Method::GET, "/v1.41/images/json/history"),
        ] {
            let detail = refused(method.clone(), path);
            assert!(detail.starts_with(&format!("{method} '")), "{detail}");
            assert!(
                detail.contains("not an endpoint a compute provider needs"),
                "{method} {path}: {detail}"
            );
        }
    }

    #[test]
    fn paths_not_in_canonical_form_and_old_versions_are_refused() {
        for (path, expected) in [
            ("/v1.41/containers/x/../../build", "`..` segments"),
            ("/v1.41/containers//json", "empty"),
            ("/v1.41/containers/json/", "empty"),
            ("/v1.41/containers/%2e%2e/json", "outside [A-Za-z0-9._:@-]"),
            ("/v1.41/containers/a%2Fb/start", "outside [A-Za-z0-9._:@-]"),
            ("/v1.23/containers/abc/start", "1.24 or later"),
            ("/v1.9/containers/abc/start", "1.24 or later"),
            ("/v2.0/containers/abc/start", "1.24 or later"),
            ("containers/json", "not absolute"),
        ] {
            let detail = refused(Method::POST, path);
            assert!(detail.contains(expected), "{path}: {detail}");
        }
    }
}
