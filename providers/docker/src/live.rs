//! The operations against a real Docker engine, natively: the same
//! [`crate::engine::Api`] the component uses, over a plain HTTP/1.1 client
//! on the unix socket instead of wasi:http. Ignored by default (they need
//! a running engine and the `landlord-test/busybox:1` and `:2` images of
//! `scripts/busybox-image.sh`):
//!
//! ```text
//! cargo test -p landlord-docker-provider live -- --ignored --test-threads 1
//! ```
//!
//! Every tenant id carries the process id, and each test destroys what it
//! made, so runs do not collide with other users of the engine.

use std::cell::RefCell;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use crate::bindings::landlord::compute::types::*;
use crate::engine::{Api, Engine, Reply, Transport};
use crate::ops::{self, Ctx};
use crate::test_support::spec;

/// HTTP/1.1 over a unix socket, one connection per request.
struct UnixSocket {
    path: String,
}

impl Transport for UnixSocket {
    fn send(&self, method: &str, path: &str, body: Option<&[u8]>) -> Result<Reply, String> {
        let unreachable = |err: std::io::Error| {
            format!(
                "cannot reach the Docker engine at unix://{}: {err}",
                self.path
            )
        };
        let mut stream = UnixStream::connect(&self.path).map_err(unreachable)?;
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .map_err(unreachable)?;
        let mut request =
            format!("{method} {path} HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n");
        if let Some(body) = body {
            request.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        request.push_str("\r\n");
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(body.unwrap_or_default());
        stream.write_all(&bytes).map_err(unreachable)?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).map_err(unreachable)?;

        let split = answer
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or("no end of headers")?;
        let head = String::from_utf8_lossy(&answer[..split]).into_owned();
        let mut rest = answer[split + 4..].to_vec();
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| format!("bad status line in {head:?}"))?;
        if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            rest = dechunk(&rest)?;
        }
        Ok(Reply { status, body: rest })
    }
}

/// The body of a chunked transfer encoding.
fn dechunk(mut data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("bad chunk")?;
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|err| format!("bad chunk size {size_text:?}: {err}"))?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        out.extend_from_slice(data.get(..size).ok_or("short chunk")?);
        data = data.get(size + 2..).ok_or("short chunk")?;
    }
}

/// Runs operations against the engine on /var/run/docker.sock.
struct Live {
    engine: Api<UnixSocket>,
    logs: RefCell<Vec<String>>,
    config: Vec<(String, String)>,
}

impl Live {
    fn new() -> Self {
        Live {
            engine: Api::new(UnixSocket {
                path: "/var/run/docker.sock".into(),
            }),
            logs: RefCell::new(Vec::new()),
            config: Vec::new(),
        }
    }

    fn with<T>(&self, op: impl FnOnce(&Ctx<'_>) -> T) -> T {
        let log = |message: &str| self.logs.borrow_mut().push(message.to_owned());
        let config = |key: &str| {
            self.config
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        };
        op(&Ctx {
            engine: &self.engine,
            log: &log,
            config: &config,
        })
    }

    /// Poll the tenant's status until `done` or `secs` pass.
    fn wait_status(
        &self,
        tenant: &str,
        secs: u64,
        done: impl Fn(&ComputeStatus) -> bool,
    ) -> ComputeStatus {
        let start = Instant::now();
        loop {
            let status = self.with(|ctx| ops::get_status(ctx, tenant)).unwrap();
            if done(&status) || start.elapsed() > Duration::from_secs(secs) {
                return status;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

/// `GET http://127.0.0.1:<port><path>`'s body.
fn http_get(port: u16, path: &str) -> String {
    let start = Instant::now();
    loop {
        let attempt = (|| -> std::io::Result<String> {
            let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
            write!(stream, "GET {path} HTTP/1.0\r\nHost: x\r\n\r\n")?;
            let mut text = String::new();
            stream.read_to_string(&mut text)?;
            Ok(text)
        })();
        match attempt {
            Ok(text) if text.contains("\r\n\r\n") => {
                return text.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
            }
            _ if start.elapsed() < Duration::from_secs(5) => {
                std::thread::sleep(Duration::from_millis(100));
            }
            other => panic!("GET 127.0.0.1:{port}{path}: {other:?}"),
        }
    }
}

fn tenant_id(tag: &str) -> String {
    format!("lltest-{}-{tag}", std::process::id())
}

fn check(check_type: HealthCheckType, port: Option<u16>) -> Option<HealthCheckConfig> {
    Some(HealthCheckConfig {
        check_type,
        http_path: Some("/healthz".into()),
        port,
        command: vec!["test".into(), "-f".into(), "/www/healthz".into()],
        // Shorter than the host allows, to keep the test quick.
        interval_seconds: 1,
        timeout_seconds: 1,
        healthy_threshold: None,
        unhealthy_threshold: Some(2),
    })
}

/// web (http check), api (tcp check, own resources), worker (exec check,
/// a command, env and a secret).
fn lifecycle_spec(tenant: &str) -> TenantComputeSpec {
    let mut s = spec();
    s.tenant_id = tenant.into();
    s.labels = vec![("suite".into(), "live".into())];
    s.containers[0].health_check = check(HealthCheckType::Http, None);
    let mut api = s.containers[0].clone();
    api.name = "api".into();
    api.ports[0].name = None;
    api.health_check = check(HealthCheckType::Tcp, Some(8080));
    api.resources = Some(ResourceRequirements {
        cpu_millicores: 250,
        memory_mib: 128,
        storage_mib: None,
    });
    let mut worker = s.containers[0].clone();
    worker.name = "worker".into();
    worker.ports.clear();
    worker.command = vec!["sh".into(), "-c".into()];
    worker.args = vec!["echo started; exec sleep 3600".into()];
    worker.env = vec![("MODE".into(), "live".into())];
    worker.health_check = check(HealthCheckType::Exec, None);
    s.containers.push(api);
    s.containers.push(worker);
    s.secrets = vec![SecretReference {
        name: "db-password".into(),
        source: "landlord".into(),
        key: "live".into(),
        env_var: None,
    }];
    s
}

#[test]
#[ignore = "needs a Docker engine on /var/run/docker.sock and the busybox test images"]
#[allow(clippy::print_stdout)]
fn live_lifecycle() {
    let mut live = Live::new();
    live.config
        .push(("secret.db-password".into(), "live-s3cret-value".into()));
    let tenant = tenant_id("life");
    let s = lifecycle_spec(&tenant);

    // The exact body the provider sends, for the record.
    let checked = crate::checks::check(&s, &|key| {
        (key == "secret.db-password").then(|| "<redacted>".to_owned())
    })
    .unwrap();
    for plan in crate::plan::tenant(&s, &checked.settings, &checked.secrets) {
        println!(
            "POST /v1.41/containers/create?name={}\n{:#}",
            plan.engine_name, plan.body
        );
    }

    let first = live.with(|ctx| ops::provision(ctx, &s)).unwrap();
    println!("{first:#?}");
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        assert_eq!(first.endpoints.len(), 2);
        let web = &first.endpoints[0];
        assert_eq!(web.endpoint_type, "http");
        assert_eq!(web.url, Some(format!("http://127.0.0.1:{}/", web.port)));
        assert_eq!(first.endpoints[1].endpoint_type, "tcp");
        assert!(http_get(web.port, "/").starts_with("landlord-test busybox: hello"));
        assert_eq!(http_get(first.endpoints[1].port, "/healthz"), "ok\n");

        let again = live.with(|ctx| ops::provision(ctx, &s)).unwrap();
        assert_eq!(again.resource_ids, first.resource_ids);
        assert_eq!(again.endpoints, first.endpoints);
        assert_eq!(
            again.message.as_deref(),
            Some("already provisioned with this spec")
        );

        // Every check (http via wget, tcp via nc, exec) turns healthy.
        let status = live.wait_status(&tenant, 30, |st| st.health == HealthStatus::Healthy);
        println!("{status:#?}");
        assert_eq!(status.health, HealthStatus::Healthy);
        assert_eq!(status.state, ComputeState::Running);
        assert_eq!(
            status
                .containers
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>(),
            ["web", "api", "worker"]
        );
        assert!(
            status
                .containers
                .iter()
                .all(|c| c.ready && c.message.as_deref() == Some("health: healthy"))
        );
        assert_eq!(status.metadata[0].0, "engine_api_version");

        // The engine applied the limits and the policy.
        let api = live
            .engine
            .inspect_container(&first.resource_ids[0].1)
            .unwrap()
            .unwrap();
        assert_eq!(api.config.labels["landlord.container"], "api");
        assert_eq!(api.config.labels["suite"], "live");
        let raw = UnixSocket {
            path: "/var/run/docker.sock".into(),
        }
        .send(
            "GET",
            &format!("/v1.41/containers/{}/json", first.resource_ids[0].1),
            None,
        )
        .unwrap();
        let raw: serde_json::Value = serde_json::from_slice(&raw.body).unwrap();
        let host = &raw["HostConfig"];
        assert_eq!(host["Memory"], 128 * 1024 * 1024);
        assert_eq!(host["NanoCpus"], 250_000_000);
        assert_eq!(host["RestartPolicy"]["Name"], "unless-stopped");
        assert_eq!(host["PortBindings"]["8080/tcp"][0]["HostIp"], "127.0.0.1");
        assert_eq!(raw["Config"]["Healthcheck"]["Test"][0], "CMD-SHELL");
        assert_eq!(raw["Config"]["Healthcheck"]["Interval"], 1_000_000_000u64);
        assert!(
            raw["NetworkSettings"]["Networks"][crate::plan::network_name(&tenant)]["Aliases"]
                .as_array()
                .unwrap()
                .contains(&serde_json::json!("api"))
        );

        // Update: only web changes image.
        let mut changed = s.clone();
        changed.containers[0].image = "landlord-test/busybox:2".into();
        let update = live
            .with(|ctx| ops::update(ctx, &tenant, &changed))
            .unwrap();
        assert_eq!(
            update.changes,
            ["container web: recreated (image landlord-test/busybox:1 -> landlord-test/busybox:2)"]
        );
        let update = live
            .with(|ctx| ops::update(ctx, &tenant, &changed))
            .unwrap();
        assert_eq!(update.status, UpdateStatus::NoChanges);
        let after = live.with(|ctx| ops::provision(ctx, &changed)).unwrap();
        assert_eq!(after.resource_ids[0], first.resource_ids[0], "api kept");
        assert_eq!(after.resource_ids[2], first.resource_ids[2], "worker kept");
        assert_ne!(
            after.resource_ids[1], first.resource_ids[1],
            "web recreated"
        );
        assert_eq!(
            http_get(after.endpoints[0].port, "/"),
            "landlord-test busybox: hello from landlord-test/busybox:2\n"
        );

        // A port that is taken: provision-failed with the engine's message,
        // nothing of the new tenant left.
        let other = tenant_id("taken");
        let mut clash = spec();
        clash.tenant_id = other.clone();
        clash.containers[0].ports[0].host_port = Some(after.endpoints[1].port);
        match live.with(|ctx| ops::provision(ctx, &clash)) {
            Err(ProviderError::ProvisionFailed(message)) => {
                println!("port taken: {message}");
                assert!(message.contains("port is already allocated"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert_gone(&live, &other);

        // A missing image with no registry to pull from.
        let mut missing = spec();
        missing.tenant_id = other.clone();
        missing.containers[0].image = "landlord-test/never-built:1".into();
        match live.with(|ctx| ops::provision(ctx, &missing)) {
            Err(ProviderError::ProvisionFailed(message)) => {
                println!("missing image: {message}");
                assert!(message.starts_with(
                    "image 'landlord-test/never-built:1' is not on the Docker engine and pulling it failed"
                ));
            }
            other => panic!("{other:?}"),
        }
        assert_gone(&live, &other);
    }));

    live.with(|ctx| ops::destroy(ctx, &tenant)).unwrap();
    assert_gone(&live, &tenant);
    live.with(|ctx| ops::destroy(ctx, &tenant)).unwrap();
    assert!(matches!(
        live.with(|ctx| ops::get_status(ctx, &tenant)),
        Err(ProviderError::TenantNotFound(_))
    ));
    let logs = live.logs.borrow().join("\n");
    assert!(!logs.contains("live-s3cret-value"));
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

fn assert_gone(live: &Live, tenant: &str) {
    assert!(live.engine.list_containers(tenant).unwrap().is_empty());
    assert!(live.engine.list_networks(tenant).unwrap().is_empty());
}

#[test]
#[ignore = "needs a Docker engine on /var/run/docker.sock and the busybox test images"]
#[allow(clippy::print_stdout)]
fn live_failing_checks_and_a_dead_container() {
    let live = Live::new();
    let tenant = tenant_id("sick");
    let mut s = spec();
    s.tenant_id = tenant.clone();
    // Nothing listens on 9999: the tcp and http checks must fail.
    s.containers[0].health_check = check(HealthCheckType::Tcp, Some(9999));
    let mut http = s.containers[0].clone();
    http.name = "http".into();
    http.health_check = check(HealthCheckType::Http, Some(9999));
    let mut dies = s.containers[0].clone();
    dies.name = "dies".into();
    dies.ports.clear();
    dies.health_check = None;
    dies.command = vec!["sh".into(), "-c".into(), "exit 3".into()];
    s.containers.push(http);
    s.containers.push(dies);
    s.provider_config = Some(r#"{"restart_policy":"no"}"#.into());
    live.with(|ctx| ops::provision(ctx, &s)).unwrap();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let status = live.wait_status(&tenant, 30, |st| {
            st.containers
                .iter()
                .filter(|c| c.name != "dies")
                .all(|c| c.message.as_deref() == Some("health: unhealthy"))
        });
        println!("{status:#?}");
        assert_eq!(status.health, HealthStatus::Unhealthy);
        assert_eq!(status.state, ComputeState::Failed);
        let dies = &status.containers[2];
        assert_eq!(dies.name, "dies");
        assert_eq!(dies.state, "exited");
        assert_eq!(dies.message.as_deref(), Some("exited (code 3)"));
        assert!(status.containers.iter().all(|c| !c.ready));
    }));
    live.with(|ctx| ops::destroy(ctx, &tenant)).unwrap();
    assert_gone(&live, &tenant);
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

#[test]
#[ignore = "needs a Docker engine on /var/run/docker.sock"]
fn live_unreachable_engine() {
    let live = Live {
        engine: Api::new(UnixSocket {
            path: "/nonexistent/docker.sock".into(),
        }),
        logs: RefCell::new(Vec::new()),
        config: Vec::new(),
    };
    match live.with(|ctx| ops::provision(ctx, &spec())) {
        Err(ProviderError::ProvisionFailed(message)) => assert_eq!(
            message,
            "listing the tenant's containers: cannot reach the Docker engine at \
             unix:///nonexistent/docker.sock: No such file or directory (os error 2)"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn chunked_bodies_are_decoded() {
    assert_eq!(
        dechunk(b"5\r\nhello\r\n1;x=y\r\n!\r\n0\r\n\r\n").unwrap(),
        b"hello!"
    );
}
