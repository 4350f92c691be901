//! Granted a Docker engine, sends it in `provision` one request the host's
//! engine policy must refuse (config `attack` names it), then, in the same
//! call, creates a container the policy allows.
// Off wasm the guest macro expands to nothing, leaving the helpers unused.
#![cfg_attr(not(target_family = "wasm"), allow(dead_code))]

#[path = "../outbound_client/client.rs"]
mod client;

use landlord_hostile_guests::{config, mark_state, well_behaved};

/// The name this guest registers under (the `hostile_guest!` literal), and
/// so the `landlord.provider` label its containers must carry.
const PROVIDER: &str = "engine-attacks";

/// The Engine API version the requests speak (the Docker provider's).
const API: &str = "/v1.41";

/// How much of a response body a report quotes.
const QUOTED: usize = 300;

landlord_hostile_guests::hostile_guest!("engine-attacks", |spec| {
    mark_state();
    let engine = Engine::from_config(&spec.tenant_id);
    let attack = config::get("attack").unwrap_or_default();
    if attack == "list_all" {
        // The allowed container first, so the listing has one of its own.
        engine.create_allowed();
        engine.list_all();
    } else {
        engine.attack(&attack);
        engine.create_allowed();
    }
    well_behaved::provision(PROVIDER, spec)
});

/// One request: method, path (with query) under the engine's base URL,
/// content type, body.
struct Request {
    method: &'static str,
    path: String,
    content_type: Option<&'static str>,
    body: Vec<u8>,
}

impl Request {
    fn new(method: &'static str, path: String) -> Self {
        Self {
            method,
            path,
            content_type: None,
            body: Vec::new(),
        }
    }

    fn json(method: &'static str, path: String, body: String) -> Self {
        Self {
            method,
            path,
            content_type: Some("application/json"),
            body: body.into_bytes(),
        }
    }

    fn tar(method: &'static str, path: String, body: Vec<u8>) -> Self {
        Self {
            method,
            path,
            content_type: Some("application/x-tar"),
            body,
        }
    }
}

/// What the guest knows of the engine and the test's setup.
struct Engine {
    /// The engine's base URL (`http://docker.localhost`).
    base: String,
    /// The tenant of the call, for labels and container names.
    tenant: String,
    /// A container the test started by hand (no landlord labels).
    victim: String,
    /// A network the test created by hand (no landlord labels).
    victim_network: String,
    /// The image every create names.
    image: String,
}

impl Engine {
    fn from_config(tenant: &str) -> Self {
        let get = |key: &str| config::get(key).unwrap_or_default();
        Self {
            base: get("engine").trim_end_matches('/').to_owned(),
            tenant: tenant.to_owned(),
            victim: get("victim"),
            victim_network: get("victim_network"),
            image: get("image"),
        }
    }

    /// `landlord-policy-<tenant>-<suffix>`: every container this guest
    /// creates is named so, for the test's guard to find.
    fn container_name(&self, suffix: &str) -> String {
        format!("landlord-policy-{}-{suffix}", self.tenant)
    }

    /// The owner labels, with `provider` as the provider's.
    fn labels(&self, provider: &str) -> String {
        format!(
            "{{\"landlord.owner\":\"landlord\",\"landlord.provider\":{},\"landlord.tenant_id\":{}}}",
            json_string(provider),
            json_string(&self.tenant),
        )
    }

    /// A create body naming the image and carrying `labels` (none when
    /// `None`), with `extra` (members of the top-level object) appended:
    /// valid but for what `extra` or the labels attack.
    fn create_body(&self, labels: Option<String>, extra: &str) -> String {
        let mut body = format!("{{\"Image\":{}", json_string(&self.image));
        if let Some(labels) = labels {
            body.push_str(",\"Labels\":");
            body.push_str(&labels);
        }
        if !extra.is_empty() {
            body.push(',');
            body.push_str(extra);
        }
        body.push('}');
        body
    }

    /// `POST /containers/create?name=…` for a container named after
    /// `attack`, with this provider's labels and `extra`.
    fn create(&self, attack: &str, extra: &str) -> Request {
        self.create_labelled(attack, Some(self.labels(PROVIDER)), extra)
    }

    fn create_labelled(&self, attack: &str, labels: Option<String>, extra: &str) -> Request {
        Request::json(
            "POST",
            format!(
                "{API}/containers/create?name={}",
                self.container_name(attack)
            ),
            self.create_body(labels, extra),
        )
    }

    /// The request an attack sends; `None` for a name it does not know.
    fn request(&self, attack: &str) -> Option<Request> {
        let victim = &self.victim;
        let request = match attack {
            "privileged" => self.create(attack, "\"HostConfig\":{\"Privileged\":true}"),
            // The legacy form: HostConfig fields at the top level, which the
            // engine honours when there is no HostConfig object.
            "top_level_privileged" => self.create(attack, "\"Privileged\":true"),
            // Go's JSON decoder matches keys without regard to case.
            "lowercase_privileged" => self.create(attack, "\"HostConfig\":{\"privileged\":true}"),
            "bind_root" => self.create(attack, "\"HostConfig\":{\"Binds\":[\"/:/host\"]}"),
            "mount_root" => self.create(
                attack,
                "\"HostConfig\":{\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/\",\"Target\":\"/host\"}]}",
            ),
            // A named volume whose local driver bind-mounts the host's root.
            "disguised_volume" => self.create(
                attack,
                &format!(
                    "\"HostConfig\":{{\"Mounts\":[{{\"Type\":\"volume\",\"Source\":{},\"Target\":\"/host\",\
                     \"VolumeOptions\":{{\"DriverConfig\":{{\"Name\":\"local\",\
                     \"Options\":{{\"type\":\"none\",\"o\":\"bind\",\"device\":\"/\"}}}}}}}}]}}",
                    json_string(&self.container_name("disguised")),
                ),
            ),
            "host_network" => self.create(attack, "\"HostConfig\":{\"NetworkMode\":\"host\"}"),
            "host_pid" => self.create(attack, "\"HostConfig\":{\"PidMode\":\"host\"}"),
            "cap_sys_admin" => self.create(attack, "\"HostConfig\":{\"CapAdd\":[\"SYS_ADMIN\"]}"),
            "device" => self.create(
                attack,
                "\"HostConfig\":{\"Devices\":[{\"PathOnHost\":\"/dev/kmsg\",\
                 \"PathInContainer\":\"/dev/kmsg\",\"CgroupPermissions\":\"rwm\"}]}",
            ),
            "seccomp_unconfined" => self.create(
                attack,
                "\"HostConfig\":{\"SecurityOpt\":[\"seccomp=unconfined\"]}",
            ),
            "unlabelled" => self.create_labelled(attack, None, ""),
            "foreign_label" => self.create_labelled(attack, Some(self.labels("docker")), ""),
            "victim_network" => self.create(
                attack,
                &format!(
                    "\"HostConfig\":{{\"NetworkMode\":{}}}",
                    json_string(&self.victim_network)
                ),
            ),
            "exec_victim" => Request::json(
                "POST",
                format!("{API}/containers/{victim}/exec"),
                "{\"AttachStdout\":true,\"AttachStderr\":true,\"Cmd\":[\"cat\",\"/etc/passwd\"]}"
                    .to_owned(),
            ),
            "remove_victim" => Request::new(
                "DELETE",
                format!("{API}/containers/{victim}?force=true"),
            ),
            "inspect_victim" => Request::new("GET", format!("{API}/containers/{victim}/json")),
            "stop_victim" => Request::new("POST", format!("{API}/containers/{victim}/stop?t=0")),
            "build" => Request::tar(
                "POST",
                format!("{API}/build?t={}:1", self.container_name("built")),
                tar(
                    "Dockerfile",
                    format!("FROM {}\nLABEL landlord.policy=built\n", self.image).as_bytes(),
                ),
            ),
            "images_load" => Request::tar(
                "POST",
                format!("{API}/images/load"),
                tar("manifest.json", b"[]\n"),
            ),
            "archive_victim" => Request::tar(
                "PUT",
                format!("{API}/containers/{victim}/archive?path=/tmp"),
                tar("landlord-policy-planted", b"planted by a provider\n"),
            ),
            // An API version from before the policy's floor, with the
            // legacy start body that carried a HostConfig.
            "old_api_start" => Request::json(
                "POST",
                format!("/v1.23/containers/{victim}/start"),
                "{\"Privileged\":true}".to_owned(),
            ),
            "traversal" => Request::new("GET", format!("{API}/containers/x/../../info")),
            "import" => Request::tar(
                "POST",
                format!(
                    "{API}/images/create?fromSrc=-&repo={}&tag=1",
                    self.container_name("imported")
                ),
                tar("planted", b"an image from a tarball\n"),
            ),
            _ => return None,
        };
        Some(request)
    }

    /// Send `request`; the report line for `what`: `status N type T body
    /// B` (B the first [`QUOTED`] bytes) or the error code.
    fn send(&self, what: &str, request: &Request) -> String {
        let url = format!("{}{}", self.base, request.path);
        let headers: Vec<(&str, &str)> = request
            .content_type
            .iter()
            .map(|content_type| ("content-type", *content_type))
            .collect();
        match client::send(request.method, &url, &headers, &request.body) {
            Ok(response) => {
                let status = response.status;
                let content_type = response.header("content-type").unwrap_or_default();
                let mut quoted = Vec::new();
                response.read_body(|chunk| {
                    let room = QUOTED.saturating_sub(quoted.len());
                    quoted.extend_from_slice(&chunk[..chunk.len().min(room)]);
                });
                format!(
                    "{what}: status {status} type {content_type} body {}",
                    String::from_utf8_lossy(&quoted)
                )
            }
            Err(code) => format!("{what}: {code}"),
        }
    }

    /// Send the attack's request and report what came back.
    fn attack(&self, attack: &str) {
        let line = match self.request(attack) {
            Some(request) => self.send(attack, &request),
            None => format!("{attack}: no such attack"),
        };
        client::report(&line);
    }

    /// Create `landlord-policy-<tenant>-allowed`, which the policy allows,
    /// and report what came back (`allowed: status 201 …`).
    fn create_allowed(&self) {
        let request = self.create("allowed", "");
        client::report(&self.send("allowed", &request));
    }

    /// List every container, and report the names the engine answered
    /// with: `list_all: status 200 names /a,/b`.
    fn list_all(&self) {
        let url = format!("{}{API}/containers/json?all=true", self.base);
        let line = match client::get(&url) {
            Ok(response) => {
                let status = response.status;
                let mut body = Vec::new();
                let (_, ended) = response.read_body(|chunk| body.extend_from_slice(chunk));
                let mut line = format!(
                    "list_all: status {status} names {}",
                    names_in(&String::from_utf8_lossy(&body)).join(",")
                );
                if let Some(ended) = ended {
                    line.push_str(&format!(" (body ended by {ended})"));
                }
                line
            }
            Err(code) => format!("list_all: {code}"),
        };
        client::report(&line);
    }
}

/// Every string in the `"Names":[…]` arrays of a container listing (names
/// hold no quotes or brackets, so no JSON parser is needed).
fn names_in(listing: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = listing;
    while let Some(at) = rest.find("\"Names\":[") {
        rest = &rest[at + "\"Names\":[".len()..];
        let end = rest.find(']').unwrap_or(rest.len());
        names.extend(
            rest[..end]
                .split(',')
                .map(|name| name.trim().trim_matches('"').to_owned())
                .filter(|name| !name.is_empty()),
        );
        rest = &rest[end..];
    }
    names
}

/// `text` as a JSON string literal.
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A ustar archive holding one regular file, `name` (under 100 bytes), with
/// `content`.
fn tar(name: &str, content: &[u8]) -> Vec<u8> {
    let mut header = [0u8; 512];
    let mut put = |at: usize, field: &[u8]| header[at..at + field.len()].copy_from_slice(field);
    put(0, name.as_bytes());
    put(100, b"0000644\0"); // mode
    put(108, b"0000000\0"); // uid
    put(116, b"0000000\0"); // gid
    put(124, format!("{:011o}\0", content.len()).as_bytes()); // size
    put(136, b"00000000000\0"); // mtime
    put(148, b"        "); // checksum, as spaces while it is summed
    put(156, b"0"); // a regular file
    put(257, b"ustar\0"); // magic
    put(263, b"00"); // version
    let sum: u32 = header.iter().map(|&byte| u32::from(byte)).sum();
    header[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut archive = header.to_vec();
    archive.extend_from_slice(content);
    archive.resize(archive.len().next_multiple_of(512), 0);
    // Two zero blocks end the archive.
    archive.resize(archive.len() + 1024, 0);
    archive
}
