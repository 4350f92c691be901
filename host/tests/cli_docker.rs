//! `landlord … --provider docker` as a new user runs it: no configuration,
//! a real engine, containers answering on the ports the CLI printed. Needs
//! a running Docker engine (the README's test command starts one); without
//! one the test fails and says how to start it.

mod support;

#[path = "support/docker.rs"]
mod docker;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use docker::{Cleanup, docker_ps, require_engine};
use serde_json::Value;
use support::Sandbox;

/// The body of GET `url` (`http://127.0.0.1:PORT/`), retried while the
/// server starts.
fn get(url: &str) -> String {
    let address = url
        .strip_prefix("http://")
        .and_then(|rest| rest.strip_suffix('/'))
        .unwrap_or_else(|| panic!("not an http://host:port/ URL: {url}"));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let attempt = std::net::TcpStream::connect(address).and_then(|mut stream| {
            stream.set_read_timeout(Some(Duration::from_secs(2)))?;
            write!(stream, "GET / HTTP/1.0\r\n\r\n")?;
            let mut response = String::new();
            stream.read_to_string(&mut response)?;
            Ok(response)
        });
        match attempt {
            Ok(response) if response.split(' ').nth(1) == Some("200") => {
                return response
                    .split_once("\r\n\r\n")
                    .map(|(_, body)| body.trim().to_owned())
                    .unwrap_or_default();
            }
            other if Instant::now() > deadline => panic!("GET {url}: {other:?}"),
            _ => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}

#[test]
fn provision_with_the_docker_provider_starts_containers_that_answer_on_the_printed_port() {
    require_engine();
    let sb = Sandbox::new();
    let tenant = format!("cli{}", std::process::id() % 100_000);
    let _cleanup = Cleanup(tenant.clone());
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/docker-tenant.json"
    );
    let mut spec: Value = serde_json::from_str(&std::fs::read_to_string(example).unwrap()).unwrap();
    spec["tenant_id"] = tenant.clone().into();
    let spec = sb.write("docker-tenant.json", spec.to_string());

    // The embedded provider is listed with its grant to the local engine.
    let listed = sb.json(&["providers", "list"]);
    let docker = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["name"] == "docker")
        .expect("docker is listed");
    assert_eq!(docker["source"], "embedded");
    assert_eq!(
        docker["engines"],
        serde_json::json!(["unix:///var/run/docker.sock"])
    );
    assert_eq!(docker["outbound"], serde_json::json!([]));

    let result = sb.json(&["provision", &spec]);
    assert_eq!(result["status"], "success", "{result}");
    let url = result["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|endpoint| endpoint["url"].as_str())
        .expect("an http endpoint")
        .to_owned();
    assert_eq!(
        get(&url),
        "landlord-test busybox: hello from landlord-test/busybox:1"
    );
    assert_eq!(docker_ps(&tenant).lines().count(), 2);

    let status = sb.json(&["status", &tenant]);
    assert_eq!(
        status["containers"].as_array().unwrap().len(),
        2,
        "{status}"
    );

    sb.ok(&["destroy", &tenant]);
    assert_eq!(docker_ps(&tenant), "", "destroy leaves no container");
    let (code, stderr) = sb.fails(&["status", &tenant]);
    assert_eq!(code, 5, "{stderr}");
}

#[test]
fn the_embedded_docker_grant_can_be_removed_and_then_the_provider_cannot_load() {
    let sb = Sandbox::new();
    sb.write("landlord.toml", "[providers.docker]\nengines = []\n");
    let (code, stderr) = sb.fails(&["status", "acme", "--provider", "docker"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("wasi:http/outgoing-handler")
            && stderr.contains("granted no origin")
            && stderr.contains("engines = ["),
        "{stderr}"
    );
    // Another engine instead, loosened: loadable, and `providers inspect`
    // shows the engine and the effective policy.
    sb.write(
        "landlord.toml",
        "[providers.docker]\nengines = [\"tcp://127.0.0.1:2375\"]\nengine_policy = { allow_bind_mounts = [\"/srv/tenants\"] }\nconfig = { engine = \"http://127.0.0.1:2375\" }\n",
    );
    let inspected = sb.json(&["providers", "inspect", "docker"]);
    assert_eq!(inspected["loadable"], true, "{inspected}");
    assert_eq!(
        inspected["engines"],
        serde_json::json!(["http://127.0.0.1:2375"])
    );
    assert_eq!(
        inspected["engine_policy"]["loosened"],
        serde_json::json!(["allow_bind_mounts = [\"/srv/tenants\"]"])
    );
    let rules = inspected["engine_policy"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 13, "{inspected}");
    let text = sb.ok(&["providers", "inspect", "docker"]);
    assert!(
        text.contains("engine policy (loosened: allow_bind_mounts = [\"/srv/tenants\"]), on every request to http://127.0.0.1:2375")
            && text.contains("  privileged       refuses `Privileged`\n")
            && text.contains("LOOSENED: allow_bind_mounts = [\"/srv/tenants\"]"),
        "{text}"
    );
    // A socket is an engine, never a plain outbound origin; a grant that
    // is not an address is a configuration error naming it.
    for (toml, expected) in [
        (
            "[providers.docker]\noutbound = [\"unix:///var/run/docker.sock\"]\n",
            "engines = [\"unix:///var/run/docker.sock\"]",
        ),
        (
            "[providers.docker]\nengines = [\"ssh://me@build-box\"]\n",
            "origin 'ssh://me@build-box'",
        ),
    ] {
        sb.write("landlord.toml", toml);
        let (code, stderr) = sb.fails(&["providers", "list"]);
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stderr.contains(expected) && stderr.contains("line 2"),
            "{stderr}"
        );
    }
}
