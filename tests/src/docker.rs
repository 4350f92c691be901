//! What the Docker provider's tests need from a real engine: that one
//! answers (or a failure saying how to start one), the two test images, the
//! docker CLI to look at what the provider created, and a guard that removes
//! a test's tenant whatever happens.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use landlord::compute::TenantComputeSpec;
use landlord::config::ProviderEntry;
use landlord::sandbox::{ProviderSettings, Runtime, WasmProvider};
use landlord::state::StateStore;

/// The first test image: busybox `httpd` on 8080, `/` answers
/// `landlord-test busybox: hello from landlord-test/busybox:1`.
pub const IMAGE_1: &str = "landlord-test/busybox:1";
/// The second test image, for image changes (its page names `:2`).
pub const IMAGE_2: &str = "landlord-test/busybox:2";

/// How to get an engine, for failure messages.
const HOW_TO_START: &str = "the Docker provider's tests need a running Docker engine and the test images: \
run `scripts/docker-engine.sh` (installs Debian's docker.io and busybox-static and starts dockerd) and \
`scripts/busybox-image.sh landlord-test/busybox:1 landlord-test/busybox:2`, or the README's test command \
`scripts/test.sh`, which runs both";

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace root")
        .to_owned()
}

/// Fail (never skip) unless an engine answers; build the test images if
/// they are missing. Checked once per test process.
pub fn require_engine() {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    let ready = READY.get_or_init(|| {
        let info = Command::new("docker")
            .args(["info", "--format", "{{.ServerVersion}}"])
            .output()
            .map_err(|err| format!("cannot run `docker`: {err}"))?;
        if !info.status.success() {
            return Err(format!(
                "`docker info` failed: {}",
                String::from_utf8_lossy(&info.stderr).trim()
            ));
        }
        let images = Command::new(workspace().join("scripts/busybox-image.sh"))
            .args([IMAGE_1, IMAGE_2])
            .output()
            .map_err(|err| format!("cannot run scripts/busybox-image.sh: {err}"))?;
        if !images.status.success() {
            return Err(format!(
                "scripts/busybox-image.sh failed: {}",
                String::from_utf8_lossy(&images.stderr).trim()
            ));
        }
        Ok(())
    });
    if let Err(why) = ready {
        panic!("{why}\n{HOW_TO_START}");
    }
}

/// Run the docker CLI; its stdout, trimmed. Panics with stderr on failure.
pub fn docker(args: &[&str]) -> String {
    let output = Command::new("docker")
        .args(args)
        .output()
        .unwrap_or_else(|err| panic!("cannot run docker {args:?}: {err}\n{HOW_TO_START}"));
    assert!(
        output.status.success(),
        "docker {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// One container of a tenant as the engine lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Its name (`landlord-<tenant>-<container>`).
    pub name: String,
    /// Its id.
    pub id: String,
    /// `running`, `exited`, `created`, …
    pub state: String,
}

/// Every container carrying the tenant's label, sorted by name.
pub fn containers_of(tenant: &str) -> Vec<Listed> {
    let out = docker(&[
        "ps",
        "-a",
        "--no-trunc",
        "--filter",
        &format!("label=landlord.tenant_id={tenant}"),
        "--format",
        "{{.Names}} {{.ID}} {{.State}}",
    ]);
    let mut listed: Vec<Listed> = out
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            Some(Listed {
                name: fields.next()?.to_owned(),
                id: fields.next()?.to_owned(),
                state: fields.next()?.to_owned(),
            })
        })
        .collect();
    listed.sort_by(|a, b| a.name.cmp(&b.name));
    listed
}

/// The names of every network carrying the tenant's label.
pub fn networks_of(tenant: &str) -> Vec<String> {
    docker(&[
        "network",
        "ls",
        "--filter",
        &format!("label=landlord.tenant_id={tenant}"),
        "--format",
        "{{.Name}}",
    ])
    .lines()
    .map(str::to_owned)
    .collect()
}

/// Removes everything labelled with a tenant when dropped, so a failed
/// test leaves nothing behind on the engine.
pub struct TenantGuard(pub String);

impl Drop for TenantGuard {
    fn drop(&mut self) {
        let label = format!("label=landlord.tenant_id={}", self.0);
        if let Ok(out) = Command::new("docker")
            .args(["ps", "-aq", "--filter", &label])
            .output()
        {
            let ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .map(str::to_owned)
                .collect();
            if !ids.is_empty() {
                let _ = Command::new("docker")
                    .args(["rm", "-f"])
                    .args(&ids)
                    .output();
            }
        }
        if let Ok(out) = Command::new("docker")
            .args(["network", "ls", "-q", "--filter", &label])
            .output()
        {
            for id in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                let _ = Command::new("docker").args(["network", "rm", id]).output();
            }
        }
    }
}

/// A tenant id unique to this test process and `test`, so tests sharing
/// the engine (and parallel runs) never meet.
pub fn tenant_id(test: &str) -> String {
    format!("t{}-{test}", std::process::id() % 100_000)
}

/// The settings the embedded Docker provider gets with no configuration
/// (the local engine granted), changed by `entry`.
pub fn docker_settings(entry: &ProviderEntry) -> ProviderSettings {
    landlord::provider_set::settings_of("docker", entry).expect("the docker defaults apply")
}

/// The embedded Docker provider loaded into `runtime` with `settings`.
pub fn load_docker(
    runtime: &Runtime,
    settings: ProviderSettings,
    state: Arc<dyn StateStore>,
) -> Result<WasmProvider, landlord::compute::ComputeError> {
    WasmProvider::load(
        runtime,
        "embedded docker",
        landlord::embedded::DOCKER_COMPONENT,
        settings,
        state,
    )
}

/// A two-container tenant on the test images: `web` serves HTTP on a
/// published port the engine picks, with an HTTP health check; `worker`
/// sleeps. Restarts are off, so a killed container stays down.
pub fn web_and_worker(tenant: &str) -> TenantComputeSpec {
    serde_json::from_value(serde_json::json!({
        "tenant_id": tenant,
        "provider_type": "docker",
        "containers": [
            {
                "name": "web",
                "image": IMAGE_1,
                "env": {"MODE": "test"},
                "ports": [{"container_port": 8080, "name": "http"}],
                "health_check": {"type": "http", "http_path": "/healthz", "port": 8080,
                                 "interval_seconds": 5, "timeout_seconds": 2}
            },
            {
                "name": "worker",
                "image": IMAGE_1,
                "command": ["sleep"],
                "args": ["3600"],
                "resources": {"cpu": 250, "memory": 128}
            }
        ],
        "resources": {"cpu": 1000, "memory": 512},
        "labels": {"suite": "docker-e2e"},
        "provider_config": {"restart_policy": "no"}
    }))
    .expect("the docker test spec matches the types")
}

/// GET `path` on 127.0.0.1:`port`, retried until it answers 200 or
/// `within` passes; the body, or what went wrong last.
pub fn http_get(port: u16, path: &str, within: Duration) -> Result<String, String> {
    use std::io::{Read, Write};
    let deadline = Instant::now() + within;
    let mut last = String::from("not tried");
    while Instant::now() < deadline {
        let attempt = (|| -> Result<String, String> {
            let mut stream = std::net::TcpStream::connect_timeout(
                &([127, 0, 0, 1], port).into(),
                Duration::from_secs(2),
            )
            .map_err(|err| format!("connect: {err}"))?;
            stream
                .set_read_timeout(Some(Duration::from_secs(2)))
                .map_err(|err| err.to_string())?;
            write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                .map_err(|err| format!("write: {err}"))?;
            let mut response = String::new();
            stream
                .read_to_string(&mut response)
                .map_err(|err| format!("read: {err}"))?;
            let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
            if head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200") {
                Ok(body.to_owned())
            } else {
                Err(format!(
                    "answered {}",
                    head.lines().next().unwrap_or("nothing")
                ))
            }
        })();
        match attempt {
            Ok(body) => return Ok(body),
            Err(err) => last = err,
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Err(last)
}

/// The container ids of a tenant by container name, as the engine lists them.
pub fn ids_by_name(tenant: &str) -> BTreeMap<String, String> {
    containers_of(tenant)
        .into_iter()
        .map(|listed| (listed.name, listed.id))
        .collect()
}
