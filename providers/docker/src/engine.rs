//! The Docker Engine API as this provider uses it: the [`Engine`] trait the
//! operations are written against, the JSON shapes it reads, and [`Api`],
//! which speaks Engine API v1.41 over any [`Transport`] (wasi:http in the
//! component, a unix socket in the live tests, canned replies in unit tests).
//!
//! Every list call filters by the tenant's labels, so a response stays small
//! however many other containers the engine runs.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

use crate::plan::{OWNER, OWNER_LABEL, PROVIDER_LABEL, TENANT_LABEL};

/// The Engine API version every path is prefixed with: the newest that
/// Debian 12's engine (20.10) speaks; later engines still accept it.
pub(crate) const API_VERSION: &str = "1.41";

/// One HTTP answer from the engine.
pub(crate) struct Reply {
    /// The HTTP status code.
    pub status: u16,
    /// The whole response body.
    pub body: Vec<u8>,
}

/// Sends one HTTP request to the engine and waits for the whole answer.
pub(crate) trait Transport {
    /// Send `method` to `path` (absolute, with the query, e.g.
    /// `/v1.41/containers/json?all=true`) with an optional JSON body. `Err`
    /// when no answer came: the message says where the engine was expected
    /// and why it could not be reached.
    fn send(&self, method: &str, path: &str, body: Option<&[u8]>) -> Result<Reply, String>;
}

/// Why an engine call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EngineError {
    /// No answer: the engine is down, not granted, or not where configured.
    /// The message is complete ("cannot reach the Docker engine at …").
    Unreachable(String),
    /// The engine answered with an error status and this message.
    Api {
        /// The HTTP status code.
        status: u16,
        /// The engine's own message (its JSON `message`).
        message: String,
    },
    /// The engine answered something this provider cannot read.
    Malformed(String),
}

impl EngineError {
    /// Whether the engine said "conflict" (a name already in use).
    pub(crate) fn is_conflict(&self) -> bool {
        matches!(self, EngineError::Api { status: 409, .. })
    }
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineError::Unreachable(message) => f.write_str(message),
            EngineError::Api { status, message } => {
                write!(f, "the Docker engine answered {status}: {message}")
            }
            EngineError::Malformed(why) => {
                write!(f, "unexpected answer from the Docker engine: {why}")
            }
        }
    }
}

/// A container as listed by `GET /containers/json`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ContainerSummary {
    /// The engine's container id.
    pub id: String,
    /// Its labels (ours, the user's and the image's).
    #[serde(default, deserialize_with = "nullable")]
    pub labels: BTreeMap<String, String>,
    /// `created`, `running`, `paused`, `restarting`, `removing`, `exited` or
    /// `dead`.
    #[serde(default)]
    pub state: String,
}

impl ContainerSummary {
    /// The spec's name of this container (its `landlord.container` label).
    pub(crate) fn container_name(&self) -> Option<&str> {
        self.labels
            .get(crate::plan::CONTAINER_LABEL)
            .map(String::as_str)
    }
}

/// A container as inspected by `GET /containers/{id}/json` (only the fields
/// this provider reads).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ContainerDetails {
    /// How often the engine restarted it under its restart policy.
    #[serde(default)]
    pub restart_count: u32,
    /// Run state and health.
    #[serde(default)]
    pub state: ContainerState,
    /// Labels.
    #[serde(default)]
    pub config: ContainerConfig,
    /// Published ports as the engine really bound them.
    #[serde(default)]
    pub network_settings: NetworkSettings,
}

/// `State` of an inspected container.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ContainerState {
    /// `created`, `running`, `paused`, `restarting`, `removing`, `exited` or
    /// `dead`.
    #[serde(default)]
    pub status: String,
    /// The exit code of the last run.
    #[serde(default)]
    pub exit_code: i64,
    /// Why the engine could not run it, if it says.
    #[serde(default)]
    pub error: String,
    /// Whether the kernel killed it for memory.
    #[serde(default, rename = "OOMKilled")]
    pub oom_killed: bool,
    /// Health-check state, when the container has a check.
    #[serde(default)]
    pub health: Option<Health>,
}

/// `State.Health` of an inspected container.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Health {
    /// `starting`, `healthy`, `unhealthy` or `none`.
    #[serde(default)]
    pub status: String,
}

/// `Config` of an inspected container.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ContainerConfig {
    /// Its labels (ours, the user's and the image's).
    #[serde(default, deserialize_with = "nullable")]
    pub labels: BTreeMap<String, String>,
}

/// `NetworkSettings` of an inspected container.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct NetworkSettings {
    /// `"<port>/<proto>"` → the host bindings (`null` when exposed only).
    #[serde(default, deserialize_with = "nullable")]
    pub ports: BTreeMap<String, Option<Vec<HostBinding>>>,
}

/// One host binding of a published port.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct HostBinding {
    /// The host address it is bound to.
    #[serde(default)]
    pub host_ip: String,
    /// The host port, as a decimal string.
    #[serde(default)]
    pub host_port: String,
}

/// A network as listed by `GET /networks`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct NetworkSummary {
    /// The engine's network id.
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
}

/// `null` in the engine's JSON reads as the type's default (empty map or list).
fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// What the provider asks of an engine. Every method is one engine request
/// (pull may stream); "missing" answers are `Ok(None)`/`Ok(false)`/`Ok(())`
/// where the operation wants idempotence.
pub(crate) trait Engine {
    /// The engine's API version (`ApiVersion` of `GET /version`).
    fn api_version(&self) -> Result<String, EngineError>;
    /// Every container, running or not, with the tenant's labels.
    fn list_containers(&self, tenant: &str) -> Result<Vec<ContainerSummary>, EngineError>;
    /// The container with this id or name, if it exists.
    fn inspect_container(&self, id_or_name: &str) -> Result<Option<ContainerDetails>, EngineError>;
    /// Create a container named `name` from a create body; its id.
    fn create_container(&self, name: &str, body: &Value) -> Result<String, EngineError>;
    /// Start a container; starting a running one is fine.
    fn start_container(&self, id: &str) -> Result<(), EngineError>;
    /// Kill and remove a container with its anonymous volumes; a missing one
    /// is fine.
    fn remove_container(&self, id: &str) -> Result<(), EngineError>;
    /// Every network with the tenant's labels.
    fn list_networks(&self, tenant: &str) -> Result<Vec<NetworkSummary>, EngineError>;
    /// Create a bridge network named `name` with `labels`; its id. A network
    /// of that name that already exists is a conflict.
    fn create_network(
        &self,
        name: &str,
        labels: &BTreeMap<String, String>,
    ) -> Result<String, EngineError>;
    /// Remove a network; a missing one is fine.
    fn remove_network(&self, id: &str) -> Result<(), EngineError>;
    /// Whether the engine has the image locally.
    fn image_exists(&self, image: &str) -> Result<bool, EngineError>;
    /// Pull the image from its registry.
    fn pull_image(&self, image: &str) -> Result<(), EngineError>;
}

/// The label filter selecting one tenant's containers and networks, as the
/// JSON the engine's `filters` query parameter takes.
pub(crate) fn tenant_filter(tenant: &str) -> String {
    json!({
        "label": [
            format!("{OWNER_LABEL}={OWNER}"),
            format!("{PROVIDER_LABEL}={}", crate::NAME),
            format!("{TENANT_LABEL}={tenant}"),
        ]
    })
    .to_string()
}

/// Percent-encode `text` for a query value or path segment, keeping the
/// characters given in `keep` (besides the unreserved ones) as they are.
pub(crate) fn encode(text: &str, keep: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric()
            || b"-._~".contains(&byte)
            || keep.as_bytes().contains(&byte)
        {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Split an image reference into the `fromImage` and `tag` a pull needs:
/// `repo:tag`, `repo@sha256:…` (the digest goes in `tag`), or `repo`
/// (`latest`; without a tag the engine would pull every tag).
pub(crate) fn split_image(image: &str) -> (&str, &str) {
    if let Some((repo, digest)) = image.split_once('@') {
        return (repo, digest);
    }
    let name_start = image.rfind('/').map_or(0, |slash| slash + 1);
    match image[name_start..].rfind(':') {
        Some(colon) => (
            &image[..name_start + colon],
            &image[name_start + colon + 1..],
        ),
        None => (image, "latest"),
    }
}

/// The Engine API over a transport.
pub(crate) struct Api<T> {
    transport: T,
}

impl<T: Transport> Api<T> {
    /// An API client sending through `transport`.
    pub(crate) fn new(transport: T) -> Self {
        Api { transport }
    }

    /// Send a request to `/v1.41<path>`.
    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Reply, EngineError> {
        let bytes = body.map(|body| body.to_string().into_bytes());
        self.transport
            .send(method, &format!("/v{API_VERSION}{path}"), bytes.as_deref())
            .map_err(EngineError::Unreachable)
    }

    /// Send a request and require one of `ok` statuses.
    fn expect(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        ok: &[u16],
    ) -> Result<Reply, EngineError> {
        let reply = self.call(method, path, body)?;
        if ok.contains(&reply.status) {
            Ok(reply)
        } else {
            Err(api_error(&reply))
        }
    }
}

/// The engine's error message of a failed reply: its JSON `message`, else
/// the start of the body, else the status.
fn api_error(reply: &Reply) -> EngineError {
    let message = serde_json::from_slice::<Value>(&reply.body)
        .ok()
        .and_then(|body| body.get("message")?.as_str().map(str::to_owned))
        .unwrap_or_else(|| {
            let text = String::from_utf8_lossy(&reply.body);
            let text = text.trim();
            if text.is_empty() {
                "(no message)".to_owned()
            } else {
                text.chars().take(300).collect()
            }
        });
    EngineError::Api {
        status: reply.status,
        message,
    }
}

fn parse<'a, D: Deserialize<'a>>(reply: &'a Reply, what: &str) -> Result<D, EngineError> {
    serde_json::from_slice(&reply.body)
        .map_err(|err| EngineError::Malformed(format!("{what}: {err}")))
}

/// The `Id` of a create reply.
fn created_id(reply: &Reply, what: &str) -> Result<String, EngineError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Created {
        id: String,
    }
    parse::<Created>(reply, what).map(|created| created.id)
}

impl<T: Transport> Engine for Api<T> {
    fn api_version(&self) -> Result<String, EngineError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Version {
            api_version: String,
        }
        let reply = self.expect("GET", "/version", None, &[200])?;
        parse::<Version>(&reply, "version").map(|version| version.api_version)
    }

    fn list_containers(&self, tenant: &str) -> Result<Vec<ContainerSummary>, EngineError> {
        let path = format!(
            "/containers/json?all=true&filters={}",
            encode(&tenant_filter(tenant), "")
        );
        let reply = self.expect("GET", &path, None, &[200])?;
        parse(&reply, "container list")
    }

    fn inspect_container(&self, id_or_name: &str) -> Result<Option<ContainerDetails>, EngineError> {
        let path = format!("/containers/{}/json", encode(id_or_name, ""));
        let reply = self.expect("GET", &path, None, &[200, 404])?;
        if reply.status == 404 {
            return Ok(None);
        }
        parse(&reply, "container inspect").map(Some)
    }

    fn create_container(&self, name: &str, body: &Value) -> Result<String, EngineError> {
        let path = format!("/containers/create?name={}", encode(name, ""));
        let reply = self.expect("POST", &path, Some(body), &[200, 201])?;
        created_id(&reply, "container create")
    }

    fn start_container(&self, id: &str) -> Result<(), EngineError> {
        let path = format!("/containers/{}/start", encode(id, ""));
        // 304: already running.
        self.expect("POST", &path, None, &[204, 304]).map(drop)
    }

    fn remove_container(&self, id: &str) -> Result<(), EngineError> {
        let path = format!("/containers/{}?force=true&v=true", encode(id, ""));
        self.expect("DELETE", &path, None, &[200, 204, 404])
            .map(drop)
    }

    fn list_networks(&self, tenant: &str) -> Result<Vec<NetworkSummary>, EngineError> {
        let path = format!("/networks?filters={}", encode(&tenant_filter(tenant), ""));
        let reply = self.expect("GET", &path, None, &[200])?;
        parse(&reply, "network list")
    }

    fn create_network(
        &self,
        name: &str,
        labels: &BTreeMap<String, String>,
    ) -> Result<String, EngineError> {
        let body = json!({
            "Name": name,
            "CheckDuplicate": true,
            "Driver": "bridge",
            "Labels": labels,
        });
        let reply = self.expect("POST", "/networks/create", Some(&body), &[200, 201])?;
        created_id(&reply, "network create")
    }

    fn remove_network(&self, id: &str) -> Result<(), EngineError> {
        let path = format!("/networks/{}", encode(id, ""));
        self.expect("DELETE", &path, None, &[200, 204, 404])
            .map(drop)
    }

    fn image_exists(&self, image: &str) -> Result<bool, EngineError> {
        let path = format!("/images/{}/json", encode(image, "/:@"));
        let reply = self.expect("GET", &path, None, &[200, 404])?;
        Ok(reply.status == 200)
    }

    fn pull_image(&self, image: &str) -> Result<(), EngineError> {
        let (repo, tag) = split_image(image);
        let path = format!(
            "/images/create?fromImage={}&tag={}",
            encode(repo, ""),
            encode(tag, "")
        );
        let reply = self.expect("POST", &path, None, &[200])?;
        // A 200 is a progress stream, one JSON object per line; a failure
        // after the stream started is an `error` line in it.
        for line in String::from_utf8_lossy(&reply.body).lines() {
            if let Ok(progress) = serde_json::from_str::<Value>(line)
                && let Some(error) = progress.get("error").and_then(Value::as_str)
            {
                return Err(EngineError::Api {
                    status: reply.status,
                    message: error.to_owned(),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    /// A transport answering from a script and recording what was sent.
    struct Canned {
        replies: RefCell<Vec<(u16, &'static str)>>,
        sent: RefCell<Vec<(String, String, Option<String>)>>,
    }

    impl Canned {
        fn new(replies: &[(u16, &'static str)]) -> Api<Canned> {
            Api::new(Canned {
                replies: RefCell::new(replies.iter().rev().copied().collect()),
                sent: RefCell::new(Vec::new()),
            })
        }
    }

    impl Transport for Canned {
        fn send(&self, method: &str, path: &str, body: Option<&[u8]>) -> Result<Reply, String> {
            self.sent.borrow_mut().push((
                method.to_owned(),
                path.to_owned(),
                body.map(|b| String::from_utf8_lossy(b).into_owned()),
            ));
            let (status, body) = self
                .replies
                .borrow_mut()
                .pop()
                .ok_or("cannot reach the Docker engine at test: no reply")?;
            Ok(Reply {
                status,
                body: body.as_bytes().to_vec(),
            })
        }
    }

    fn sent(api: &Api<Canned>) -> Vec<(String, String, Option<String>)> {
        api.transport.sent.borrow().clone()
    }

    #[test]
    fn list_calls_filter_by_the_tenants_labels() {
        let api = Canned::new(&[
            (
                200,
                r#"[{"Id":"c1","Names":["/landlord-acme-web"],"Labels":{"landlord.container":"web"},"State":"running"}]"#,
            ),
            (200, r#"[{"Id":"n1","Name":"landlord-acme","Labels":null}]"#),
        ]);
        let containers = api.list_containers("acme").unwrap();
        assert_eq!(containers[0].id, "c1");
        assert_eq!(containers[0].container_name(), Some("web"));
        assert_eq!(containers[0].state, "running");
        assert_eq!(api.list_networks("acme").unwrap()[0].id, "n1");
        let filter = "%7B%22label%22%3A%5B%22landlord.owner%3Dlandlord%22%2C%22landlord.provider%3Ddocker%22%2C%22landlord.tenant_id%3Dacme%22%5D%7D";
        assert_eq!(
            sent(&api)
                .into_iter()
                .map(|(m, p, _)| format!("{m} {p}"))
                .collect::<Vec<_>>(),
            [
                format!("GET /v1.41/containers/json?all=true&filters={filter}"),
                format!("GET /v1.41/networks?filters={filter}"),
            ]
        );
    }

    #[test]
    fn missing_things_are_not_errors_where_idempotence_wants_it() {
        let api = Canned::new(&[
            (404, r#"{"message":"No such container: x"}"#),
            (404, r#"{"message":"No such container: x"}"#),
            (404, r#"{"message":"network x not found"}"#),
            (404, r#"{"message":"no such image"}"#),
            (304, ""),
        ]);
        assert!(api.inspect_container("x").unwrap().is_none());
        api.remove_container("x").unwrap();
        api.remove_network("x").unwrap();
        assert!(!api.image_exists("landlord-test/busybox:1").unwrap());
        api.start_container("x").unwrap();
        let paths: Vec<String> = sent(&api)
            .into_iter()
            .map(|(m, p, _)| format!("{m} {p}"))
            .collect();
        assert_eq!(
            paths,
            [
                "GET /v1.41/containers/x/json",
                "DELETE /v1.41/containers/x?force=true&v=true",
                "DELETE /v1.41/networks/x",
                "GET /v1.41/images/landlord-test/busybox:1/json",
                "POST /v1.41/containers/x/start",
            ]
        );
    }

    #[test]
    fn engine_errors_carry_the_engines_message() {
        let api = Canned::new(&[
            (
                409,
                r#"{"message":"Conflict. The container name \"/landlord-acme-web\" is already in use"}"#,
            ),
            (500, "plain text failure\n"),
        ]);
        let err = api
            .create_container("landlord-acme-web", &json!({}))
            .unwrap_err();
        assert!(err.is_conflict());
        assert_eq!(
            err.to_string(),
            "the Docker engine answered 409: Conflict. The container name \"/landlord-acme-web\" is already in use"
        );
        let err = api.start_container("c1").unwrap_err();
        assert_eq!(
            err,
            EngineError::Api {
                status: 500,
                message: "plain text failure".into()
            }
        );
        // No reply at all: the transport's message, unchanged.
        assert_eq!(
            api.api_version().unwrap_err().to_string(),
            "cannot reach the Docker engine at test: no reply"
        );
    }

    #[test]
    fn a_pull_fails_on_an_error_status_or_an_error_line() {
        let api = Canned::new(&[
            (
                500,
                r#"{"message":"Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup registry-1.docker.io: no such host"}"#,
            ),
            (
                200,
                "{\"status\":\"Pulling from library/x\"}\n{\"errorDetail\":{\"message\":\"manifest unknown\"},\"error\":\"manifest unknown\"}\n",
            ),
            (200, "{\"status\":\"Downloaded newer image for x:1\"}\n"),
        ]);
        assert!(
            api.pull_image("nginx:1.27")
                .unwrap_err()
                .to_string()
                .contains("no such host")
        );
        assert_eq!(
            api.pull_image("registry.example:5000/team/app")
                .unwrap_err()
                .to_string(),
            "the Docker engine answered 200: manifest unknown"
        );
        api.pull_image("app@sha256:abc").unwrap();
        let paths: Vec<String> = sent(&api).into_iter().map(|(_, p, _)| p).collect();
        assert_eq!(
            paths,
            [
                "/v1.41/images/create?fromImage=nginx&tag=1.27",
                "/v1.41/images/create?fromImage=registry.example%3A5000%2Fteam%2Fapp&tag=latest",
                "/v1.41/images/create?fromImage=app&tag=sha256%3Aabc",
            ]
        );
    }

    #[test]
    fn image_references_split_into_repository_and_tag() {
        assert_eq!(split_image("busybox"), ("busybox", "latest"));
        assert_eq!(split_image("busybox:1.36"), ("busybox", "1.36"));
        assert_eq!(
            split_image("localhost:5000/app"),
            ("localhost:5000/app", "latest")
        );
        assert_eq!(
            split_image("localhost:5000/app:2"),
            ("localhost:5000/app", "2")
        );
        assert_eq!(split_image("app@sha256:00ff"), ("app", "sha256:00ff"));
    }

    #[test]
    fn inspect_reads_state_health_and_bound_ports() {
        let api = Canned::new(&[(
            200,
            r#"{"Id":"c1","RestartCount":2,
                "State":{"Status":"running","Running":true,"ExitCode":0,"Error":"","OOMKilled":false,
                         "Health":{"Status":"healthy","FailingStreak":0,"Log":[]}},
                "Config":{"Image":"landlord-test/busybox:1","Labels":{"landlord.container":"web"}},
                "NetworkSettings":{"Ports":{"8080/tcp":[{"HostIp":"127.0.0.1","HostPort":"32768"}],"9/udp":null}}}"#,
        )]);
        let details = api.inspect_container("c1").unwrap().unwrap();
        assert_eq!(details.restart_count, 2);
        assert_eq!(details.state.status, "running");
        assert_eq!(details.state.health.unwrap().status, "healthy");
        assert_eq!(details.config.labels["landlord.container"], "web");
        assert_eq!(
            details.network_settings.ports["8080/tcp"],
            Some(vec![HostBinding {
                host_ip: "127.0.0.1".into(),
                host_port: "32768".into()
            }])
        );
        assert_eq!(details.network_settings.ports["9/udp"], None);
    }
}
