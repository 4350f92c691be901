//! `landlord --server URL`: the commands against a real `landlord serve`
//! over loopback give the same output and exit codes as against a local
//! state directory.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use support::{SPEC, Sandbox, spec_with};

/// A `landlord serve` on a free loopback port, in a sandbox of its own;
/// killed when dropped.
struct Served {
    // Held so its directory (config, state) lives as long as the server.
    _sandbox: Sandbox,
    child: Child,
    url: String,
    token: String,
}

impl Served {
    fn start() -> Self {
        Self::start_with(Sandbox::new(), "")
    }

    /// A server whose config has `extra` after its token table.
    fn start_with(sandbox: Sandbox, extra: &str) -> Self {
        let made = sandbox.json(&["token", "new", "ci"]);
        let token = made["token"].as_str().unwrap().to_owned();
        let sha = made["sha256"].as_str().unwrap();
        let config = sandbox.write(
            "landlord.toml",
            format!(
                "[[tokens]]\nname = \"ci\"\nsha256 = \"{sha}\"\nscopes = [\"read\", \"write\"]\n{extra}"
            ),
        );
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("landlord"))
            .args(["--config", &config, "serve", "--listen", "127.0.0.1:0"])
            .env("LANDLORD_STATE_DIR", sandbox.state_dir())
            .env_remove("LANDLORD_SERVER")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("landlord serve printed {line:?}, not `listening on URL`"))
            .to_owned();
        Self {
            _sandbox: sandbox,
            child,
            url,
            token,
        }
    }

    /// `landlord --server URL args…` run from `client`'s directory.
    fn run(&self, client: &Sandbox, args: &[&str]) -> std::process::Output {
        client
            .cmd()
            .env("LANDLORD_SERVER", &self.url)
            .env("LANDLORD_TOKEN", &self.token)
            .args(args)
            .output()
            .unwrap()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// stdout, with the times a provider stamps on its answers taken out of
/// JSON documents.
fn comparable(out: &std::process::Output) -> String {
    let stdout = text(out);
    match serde_json::from_str::<serde_json::Value>(&stdout) {
        Ok(mut value) => {
            if let Some(object) = value.as_object_mut() {
                object.remove("last_updated");
                object.remove("provisioned_at");
                object.remove("updated_at");
            }
            value.to_string()
        }
        Err(_) => stdout,
    }
}

fn text(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn commands_against_a_server_print_what_they_print_locally() {
    let server = Served::start();
    let client = Sandbox::new();
    let local = Sandbox::new();
    // The same command, remote and local: the same stdout, the same exit
    // code (the server's state is its own; the client has none).
    for args in [
        vec!["provision", SPEC],
        vec!["status", "acme"],
        vec!["validate", SPEC],
        vec!["update", "acme", SPEC],
        vec!["--output", "json", "status", "acme"],
        vec!["destroy", "acme"],
        vec!["--output", "json", "destroy", "acme"],
    ] {
        let remote = server.run(&client, &args);
        let here = local.run(&args);
        assert!(
            remote.status.success(),
            "{args:?} against the server failed: {}",
            String::from_utf8_lossy(&remote.stderr)
        );
        assert_eq!(comparable(&remote), comparable(&here), "{args:?}");
    }
    // The index and the journal are the server's: the client's state
    // directory was never created.
    assert!(!client.state_dir().exists());
    let tenants: serde_json::Value = serde_json::from_slice(
        &server
            .run(&client, &["--output", "json", "tenants", "list"])
            .stdout,
    )
    .unwrap();
    assert_eq!(tenants[0]["tenant_id"], "acme");
    assert_eq!(tenants[0]["state"], "deleted");
    let history: serde_json::Value = serde_json::from_slice(
        &server
            .run(&client, &["--output", "json", "history", "acme"])
            .stdout,
    )
    .unwrap();
    let operations: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["operation"].as_str().unwrap())
        .collect();
    assert_eq!(operations, ["provision", "update", "destroy", "destroy"]);
    let providers = text(&server.run(&client, &["providers", "list"]));
    assert!(
        providers.contains("mock") && providers.contains("log,state,config"),
        "{providers}"
    );
}

#[test]
fn errors_against_a_server_exit_as_they_do_locally() {
    let server = Served::start();
    let client = Sandbox::new();
    let local = Sandbox::new();
    let invalid = client.write(
        "invalid.json",
        spec_with(|spec| spec["resources"]["cpu"] = 0.into()),
    );
    let unknown_provider = client.write(
        "ecs.json",
        spec_with(|spec| spec["provider_type"] = "ecs".into()),
    );
    for (args, code, needle) in [
        (vec!["status", "globex"], 5, "tenant 'globex' not found"),
        (
            vec!["provision", invalid.as_str()],
            3,
            "resources.cpu: must be at least 128",
        ),
        (
            vec!["provision", unknown_provider.as_str()],
            4,
            "provider 'ecs' is not registered",
        ),
        (
            vec!["update", "globex", SPEC],
            3,
            "does not match the tenant being updated",
        ),
    ] {
        let remote = server.run(&client, &args);
        let here = local.run(&args);
        let stderr = String::from_utf8_lossy(&remote.stderr);
        assert_eq!(remote.status.code(), Some(code), "{args:?}: {stderr}");
        assert_eq!(here.status.code(), Some(code), "{args:?} locally");
        assert!(
            stderr.contains(needle),
            "{args:?}: expected {needle:?} in {stderr}"
        );
        assert!(stderr.contains("from the server"), "{args:?}: {stderr}");
    }
}

#[test]
fn a_wrong_token_or_no_server_is_a_clear_error() {
    let server = Served::start();
    let client = Sandbox::new();
    let wrong = client
        .cmd()
        .env("LANDLORD_SERVER", &server.url)
        .env("LANDLORD_TOKEN", "ll_not-a-token")
        .args(["status", "acme"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert_eq!(wrong.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("HTTP 401"), "{stderr}");
    assert!(
        !stderr.contains("ll_not-a-token"),
        "the token must not be echoed: {stderr}"
    );

    let tokenless = client
        .cmd()
        .env("LANDLORD_SERVER", &server.url)
        .args(["status", "acme"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&tokenless.stderr);
    assert_eq!(tokenless.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("LANDLORD_TOKEN"), "{stderr}");

    // A token file works too.
    let file = client.write("token.txt", format!("{}\n", server.token));
    let from_file = client
        .cmd()
        .env("LANDLORD_SERVER", &server.url)
        .args(["--token-file", &file, "tenants", "list"])
        .output()
        .unwrap();
    assert!(
        from_file.status.success(),
        "{}",
        String::from_utf8_lossy(&from_file.stderr)
    );

    let (code, stderr) = client.fails(&["--server", "http://127.0.0.1:9", "status", "acme"]);
    assert_eq!(code, 2, "no token yet: {stderr}");
    let unreachable = client
        .cmd()
        .env("LANDLORD_TOKEN", &server.token)
        .args(["--server", "http://127.0.0.1:9", "status", "acme"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&unreachable.stderr);
    assert_eq!(unreachable.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot reach the server at http://127.0.0.1:9"),
        "{stderr}"
    );

    let (code, stderr) = client.fails(&["--server", &server.url, "providers", "inspect", "mock"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("drop it"), "{stderr}");
}

#[test]
fn serve_refuses_to_start_without_tokens_or_on_a_public_address_in_clear_text() {
    let sandbox = Sandbox::new();
    let (code, stderr) = sandbox.fails(&["serve", "--listen", "127.0.0.1:0"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("landlord token new"), "{stderr}");

    let made = sandbox.json(&["token", "new", "ci"]);
    let config = sandbox.write(
        "landlord.toml",
        format!(
            "[[tokens]]\nname = \"ci\"\nsha256 = \"{}\"\nscopes = [\"read\"]\n",
            made["sha256"].as_str().unwrap()
        ),
    );
    let (code, stderr) = sandbox.fails(&["--config", &config, "serve", "--listen", "0.0.0.0:0"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--insecure-http"), "{stderr}");
}

/// Run `openssl args…` in `dir`; a missing openssl fails with how to get it.
fn openssl(dir: &std::path::Path, args: &[&str]) {
    let status = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap_or_else(|err| {
            panic!("openssl is needed to make a test CA ({err}): apt-get install openssl")
        });
    assert!(status.success(), "openssl {args:?} failed");
}

#[test]
fn https_with_a_private_ca_serves_the_cli() {
    let sandbox = Sandbox::new();
    let dir = sandbox.dir.path();
    // A CA, and a certificate it signs for localhost (a self-signed CA
    // certificate cannot serve as the server's own).
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    openssl(
        dir,
        &[
            &["req", "-x509"][..],
            &ec,
            &[
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                "2",
                "-subj",
                "/CN=landlord test CA",
            ],
        ]
        .concat(),
    );
    openssl(
        dir,
        &[
            &["req"][..],
            &ec,
            &[
                "-keyout",
                "key.pem",
                "-out",
                "leaf.csr",
                "-subj",
                "/CN=localhost",
            ],
        ]
        .concat(),
    );
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "cert.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
    );
    let ca = dir.join("ca.pem");
    let server = Served::start_with(
        sandbox,
        "[server]\ncert = \"cert.pem\"\nkey = \"key.pem\"\n",
    );
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );
    let url = server.url.replace("127.0.0.1", "localhost");
    let client = Sandbox::new();
    let run = |trust: bool| {
        let mut cmd = client.cmd();
        cmd.env("LANDLORD_SERVER", &url)
            .env("LANDLORD_TOKEN", &server.token)
            .args(["provision", SPEC]);
        if trust {
            cmd.env("SSL_CERT_FILE", &ca);
        } else {
            cmd.env_remove("SSL_CERT_FILE");
        }
        cmd.output().unwrap()
    };
    // Not trusted: refused, and nothing was sent.
    let untrusted = run(false);
    let stderr = String::from_utf8_lossy(&untrusted.stderr);
    assert_eq!(untrusted.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("certificate"), "{stderr}");
    // Trusted through SSL_CERT_FILE: served.
    let trusted = run(true);
    assert!(
        trusted.status.success(),
        "{}",
        String::from_utf8_lossy(&trusted.stderr)
    );
    assert!(text(&trusted).starts_with("provisioned acme on mock"));
}
