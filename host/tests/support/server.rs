//! A `landlord serve` process for the HTTP API tests: its own temporary
//! directory, `landlord.toml` (two tokens: `ci` may read and write,
//! `viewer` only read) and state directory; the URL it printed; its stderr,
//! kept for assertions and failure messages; and a client for it.

// Each test binary that includes this module uses part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_TYPE, HeaderMap};
use reqwest::{Method, RequestBuilder};
use serde_json::Value;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_landlord");

/// How long a server may take to print its address, and then to load its
/// providers (compiling a component in a debug build takes seconds; two
/// test threads compile at once).
pub const STARTUP: Duration = Duration::from_secs(120);

/// A bound on any one request and on a server's exit: a hang fails the test
/// instead of stalling the suite.
pub const HANG: Duration = Duration::from_secs(120);

/// The bearer tokens every test server accepts.
pub struct Tokens {
    /// `ci`: read and write.
    pub write: String,
    /// `viewer`: read only.
    pub read: String,
}

/// Tokens minted once per test process with `landlord token new` (the
/// client side of the flow a user follows), and their `[[tokens]]` tables.
fn minted() -> &'static (Tokens, String) {
    static MINTED: OnceLock<(Tokens, String)> = OnceLock::new();
    MINTED.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mint = |args: &[&str]| -> Value {
            let out = Command::new(BIN)
                .current_dir(dir.path())
                .env_remove("LANDLORD_CONFIG")
                .args(["--output", "json", "token", "new"])
                .args(args)
                .output()
                .expect("runs landlord token new");
            assert!(
                out.status.success(),
                "landlord token new {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            serde_json::from_slice(&out.stdout).expect("token new prints JSON")
        };
        let write = mint(&["ci"]);
        let read = mint(&["viewer", "--scope", "read"]);
        let table = |made: &Value| {
            format!(
                "[[tokens]]\nname = {}\nsha256 = {}\nscopes = {}\n\n",
                made["name"], made["sha256"], made["scopes"]
            )
        };
        let tables = format!("{}{}", table(&write), table(&read));
        let token = |made: &Value| made["token"].as_str().expect("a token").to_owned();
        (
            Tokens {
                write: token(&write),
                read: token(&read),
            },
            tables,
        )
    })
}

/// A temporary directory with a `landlord.toml` and a state directory, not
/// yet served.
pub struct ApiHost {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub tokens: &'static Tokens,
}

impl ApiHost {
    /// A host whose config is `extra` (providers, `[server]`…) plus the
    /// test tokens.
    pub fn new(extra: &str) -> Self {
        let (tokens, tables) = minted();
        let dir = tempfile::tempdir().expect("a temporary directory");
        let config = dir.path().join("landlord.toml");
        std::fs::write(&config, format!("{extra}\n\n{tables}")).expect("writes landlord.toml");
        Self {
            dir,
            config,
            tokens,
        }
    }

    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// `landlord` with this host's config and state directory, nothing
    /// from the caller's environment.
    pub fn command(&self) -> Command {
        let mut command = Command::new(BIN);
        command
            .current_dir(self.dir.path())
            .env_remove("LANDLORD_CONFIG")
            .env_remove("LANDLORD_STATE_DIR")
            .env_remove("COMPUTE_DEFAULT_PROVIDER")
            .env_remove("LANDLORD_LOG")
            .env("NO_COLOR", "1")
            .arg("--config")
            .arg(&self.config)
            .arg("--state-dir")
            .arg(self.state_dir());
        command
    }

    /// A CLI command that must succeed; its JSON output.
    pub fn cli_json(&self, args: &[&str]) -> Value {
        let out = self.cli(args);
        assert!(
            out.status.success(),
            "landlord {args:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|err| {
            panic!(
                "landlord {args:?} printed no JSON ({err}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    /// A CLI command with `--output json`.
    pub fn cli(&self, args: &[&str]) -> Output {
        self.command()
            .args(["--output", "json"])
            .args(args)
            .output()
            .expect("runs landlord")
    }

    /// Write `contents` to `name` in the directory; its path.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).expect("writes a test file");
        path
    }

    /// `landlord serve --listen 127.0.0.1:0` (with `flags` before `serve`),
    /// once it listens and `/readyz` answers 200.
    pub async fn serve(&self, flags: &[&str]) -> Served {
        let mut child = self
            .command()
            .args(flags)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {BIN} serve: {err}"));

        let stderr = Arc::new(Mutex::new(String::new()));
        {
            let mut pipe = child.stderr.take().expect("stderr is piped");
            let stderr = Arc::clone(&stderr);
            std::thread::spawn(move || {
                let mut buffer = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut buffer) {
                    if n == 0 {
                        break;
                    }
                    stderr
                        .lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&buffer[..n]));
                }
            });
        }
        let (lines, stdout) = mpsc::channel();
        {
            let pipe = child.stdout.take().expect("stdout is piped");
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    if lines.send(line).is_err() {
                        break;
                    }
                }
            });
        }

        let mut served = Served {
            child,
            url: String::new(),
            stderr,
            stdout,
            http: client(),
            tokens: self.tokens,
        };
        let line = served
            .stdout
            .recv_timeout(STARTUP)
            .unwrap_or_else(|_| served.fail("printed no `listening on` line"));
        served.url = line
            .strip_prefix("listening on ")
            .unwrap_or_else(|| served.fail(&format!("printed {line:?}, not `listening on URL`")))
            .to_owned();
        served.wait_ready().await;
        served
    }
}

/// A reqwest client as the API's users would build one (HTTP/1.1,
/// keep-alive, rustls with *ring* for when TLS is used).
pub fn client() -> reqwest::Client {
    landlord::server::install_crypto();
    reqwest::Client::builder()
        .timeout(HANG)
        .build()
        .expect("a reqwest client")
}

/// A running `landlord serve`.
pub struct Served {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    stderr: Arc<Mutex<String>>,
    stdout: mpsc::Receiver<String>,
    pub http: reqwest::Client,
    pub tokens: &'static Tokens,
}

impl Served {
    /// What the server wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Fail the test, with the server's stderr.
    pub fn fail(&self, what: &str) -> ! {
        panic!(
            "landlord serve {what}\n--- its stderr ---\n{}",
            self.stderr()
        )
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// Poll `/readyz` until 200 (bounded by [`STARTUP`]).
    async fn wait_ready(&mut self) {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                self.fail(&format!("exited ({status}) before /readyz answered 200"));
            }
            let answer = self.http.get(self.url("/readyz")).send().await;
            match answer {
                Ok(answer) if answer.status() == 200 => return,
                Ok(answer) if answer.status() == 503 => {
                    let body: Value = answer.json().await.expect("/readyz answers JSON");
                    assert_eq!(body, serde_json::json!({"status": "loading"}));
                }
                Ok(answer) => self.fail(&format!("answered /readyz with {}", answer.status())),
                Err(err) => self.fail(&format!("did not answer /readyz: {err}")),
            }
            if started.elapsed() > STARTUP {
                self.fail(&format!(
                    "was not ready (/readyz 200) within {} s",
                    STARTUP.as_secs()
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A request with the read-write token.
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, self.url(path))
            .bearer_auth(&self.tokens.write)
    }

    /// A request with no token.
    pub fn anonymous(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, self.url(path))
    }

    pub async fn get(&self, path: &str) -> Answer {
        send(self.req(Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: &str) -> Answer {
        send(json_body(self.req(Method::POST, path), body)).await
    }

    pub async fn put(&self, path: &str, body: &str) -> Answer {
        send(json_body(self.req(Method::PUT, path), body)).await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        send(self.req(Method::DELETE, path)).await
    }

    /// Send SIGTERM, as a service manager stops it.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("runs kill");
        assert!(status.success(), "kill -TERM {} failed", self.pid());
    }

    /// Wait (bounded) for the process to exit.
    pub fn wait_exit(&mut self) -> ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("waits for landlord serve") {
                return status;
            }
            if started.elapsed() > HANG {
                self.fail(&format!("did not exit within {} s", HANG.as_secs()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kill it with SIGKILL, as a crash or `kill -9` does: nothing in
    /// flight finishes or is journaled. Returns once it is gone.
    pub fn kill(&mut self) -> ExitStatus {
        // `Child::kill` is SIGKILL on Unix.
        if let Err(err) = self.child.kill() {
            self.fail(&format!("could not be killed: {err}"));
        }
        self.wait_exit()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `body` as a JSON request body.
pub fn json_body(request: RequestBuilder, body: &str) -> RequestBuilder {
    request
        .header(CONTENT_TYPE, "application/json")
        .body(body.to_owned())
}

/// An answer, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

/// Send `request`; its answer (a connection error fails the test).
pub async fn send(request: RequestBuilder) -> Answer {
    let response = request.send().await.expect("the server answers");
    Answer {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.text().await.expect("the body can be read"),
    }
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The body as JSON, after checking the status.
    pub fn json(&self, status: u16) -> Value {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.body
        );
        serde_json::from_str(&self.body)
            .unwrap_or_else(|err| panic!("the body is not JSON ({err}): {}", self.body))
    }

    /// The RFC 9457 problem of `status` and `kind`, checked member by
    /// member.
    pub fn problem(&self, status: u16, kind: &str) -> Value {
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "an error is a problem; body: {}",
            self.body
        );
        let problem = self.json(status);
        assert_eq!(problem["status"], status, "{problem}");
        assert_eq!(problem["kind"], kind, "{problem}");
        assert_eq!(
            problem["type"],
            format!("urn:landlord:error:{kind}"),
            "{problem}"
        );
        assert!(
            problem["title"].as_str().is_some_and(|t| !t.is_empty()),
            "{problem}"
        );
        assert!(
            problem["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{problem}"
        );
        problem
    }
}
