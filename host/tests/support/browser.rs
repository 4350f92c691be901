//! A headless Chromium for the dashboard tests, driven over the Chrome
//! DevTools Protocol: its own temporary profile, one page, JSON-RPC over a
//! blocking WebSocket. Just what a test needs: go to a URL, evaluate
//! JavaScript in the page, wait until a predicate holds.
//!
//! Chromium must be installed (`scripts/chromium.sh`, which `scripts/test.sh`
//! runs); without it a test fails saying so, never skips.

// Each test binary that includes this module uses part of it.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, ErrorKind};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tungstenite::{Message, WebSocket};

/// How long Chromium may take to start, and one protocol call to answer.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// A running headless Chromium with one page attached.
pub struct Browser {
    child: Child,
    socket: WebSocket<TcpStream>,
    /// The page's session (flattened: every message for it carries it).
    session: String,
    next_id: u64,
    /// Events read while waiting for an answer, oldest first.
    events: VecDeque<Value>,
    stderr: Arc<Mutex<String>>,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Start Chromium on a fresh profile and open a blank page.
    pub fn launch() -> Self {
        let profile = tempfile::tempdir().expect("a temporary profile directory");
        let mut child = Command::new("chromium")
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--no-default-browser-check",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| {
                if err.kind() == ErrorKind::NotFound {
                    panic!("chromium is not on PATH; install it: scripts/chromium.sh")
                }
                panic!("cannot start chromium: {err}")
            });

        // Chromium says where its DevTools endpoint is on stderr; the rest
        // of stderr is kept for failure messages.
        let stderr = Arc::new(Mutex::new(String::new()));
        let (found, endpoint) = mpsc::channel();
        {
            let pipe = child.stderr.take().expect("stderr is piped");
            let stderr = Arc::clone(&stderr);
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    if let Some(url) = line.strip_prefix("DevTools listening on ") {
                        let _ = found.send(url.trim().to_owned());
                    }
                    let mut kept = stderr.lock().unwrap();
                    kept.push_str(&line);
                    kept.push('\n');
                }
            });
        }
        let url = match endpoint.recv_timeout(PATIENCE) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "chromium printed no `DevTools listening on ws://…` line within {} s\n--- its stderr ---\n{}",
                    PATIENCE.as_secs(),
                    stderr.lock().unwrap()
                );
            }
        };

        let address = url
            .strip_prefix("ws://")
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_else(|| panic!("chromium's DevTools URL is not ws://HOST:PORT/…: {url}"));
        let stream = TcpStream::connect(address)
            .unwrap_or_else(|err| panic!("cannot connect to chromium at {address}: {err}"));
        let (socket, _) = tungstenite::client(url.as_str(), stream).unwrap_or_else(|err| {
            panic!("the DevTools WebSocket handshake with {url} failed: {err}")
        });
        // Short reads, so that a wait can check its deadline.
        socket
            .get_ref()
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("sets a read timeout");

        let mut browser = Self {
            child,
            socket,
            session: String::new(),
            next_id: 0,
            events: VecDeque::new(),
            stderr,
            _profile: profile,
        };
        let target = browser.browser_call("Target.createTarget", json!({"url": "about:blank"}));
        let target = target["targetId"].as_str().expect("a targetId").to_owned();
        let attached = browser.browser_call(
            "Target.attachToTarget",
            json!({"targetId": target, "flatten": true}),
        );
        browser.session = attached["sessionId"]
            .as_str()
            .expect("a sessionId")
            .to_owned();
        browser.call("Page.enable", json!({}));
        browser
    }

    /// Go to `url` and wait for its `load` event.
    pub fn navigate(&mut self, url: &str) {
        self.events.clear();
        let answer = self.call("Page.navigate", json!({"url": url}));
        if let Some(error) = answer["errorText"].as_str() {
            self.fail(&format!("could not open {url}: {error}"));
        }
        let deadline = Instant::now() + PATIENCE;
        loop {
            let loaded = self.events.iter().any(|event| {
                event["method"] == "Page.loadEventFired" && event["sessionId"] == *self.session
            });
            if loaded {
                return;
            }
            if Instant::now() > deadline {
                self.fail(&format!(
                    "{url} did not load within {} s",
                    PATIENCE.as_secs()
                ));
            }
            if let Some(message) = self.receive() {
                self.events.push_back(message);
            }
        }
    }

    /// The value of `expression` evaluated in the page (a promise awaited);
    /// a JavaScript exception fails the test.
    pub fn eval(&mut self, expression: &str) -> Value {
        self.try_eval(expression)
            .unwrap_or_else(|err| self.fail(&format!("`{expression}` failed: {err}")))
    }

    /// [`eval`](Self::eval), with the exception or protocol error as `Err`
    /// (a page being replaced by its reload has no context to evaluate in).
    pub fn try_eval(&mut self, expression: &str) -> Result<Value, String> {
        let answer = self.request(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
            true,
        )?;
        if let Some(details) = answer.get("exceptionDetails") {
            let text = details["exception"]["description"]
                .as_str()
                .or(details["text"].as_str())
                .unwrap_or("an exception");
            return Err(text.to_owned());
        }
        Ok(answer["result"]["value"].clone())
    }

    /// Poll `predicate` (JavaScript) until it is `true`; fail after
    /// `timeout`, with the last answer and the page's text.
    pub fn wait_for(&mut self, predicate: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let last = self.try_eval(predicate);
            if last == Ok(Value::Bool(true)) {
                return;
            }
            if Instant::now() > deadline {
                let text = self
                    .try_eval("document.body ? document.body.innerText : ''")
                    .unwrap_or_default();
                self.fail(&format!(
                    "`{predicate}` did not become true within {} s (last: {last:?})\n--- the page ---\n{}",
                    timeout.as_secs(),
                    text.as_str().unwrap_or_default()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Fail the test, with chromium's stderr.
    pub fn fail(&self, what: &str) -> ! {
        panic!(
            "browser: {what}\n--- chromium's stderr ---\n{}",
            self.stderr.lock().unwrap()
        )
    }

    /// A call to the page's session; an error fails the test.
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.request(method, params, true)
            .unwrap_or_else(|err| self.fail(&format!("{method} failed: {err}")))
    }

    /// A call to the browser itself; an error fails the test.
    fn browser_call(&mut self, method: &str, params: Value) -> Value {
        self.request(method, params, false)
            .unwrap_or_else(|err| self.fail(&format!("{method} failed: {err}")))
    }

    /// Send one command and read until its answer, keeping the events read
    /// meanwhile; `Err` is the protocol's error message.
    fn request(&mut self, method: &str, params: Value, to_page: bool) -> Result<Value, String> {
        self.next_id += 1;
        let id = self.next_id;
        let mut command = json!({"id": id, "method": method, "params": params});
        if to_page {
            command["sessionId"] = Value::String(self.session.clone());
        }
        if let Err(err) = self.socket.send(Message::text(command.to_string())) {
            self.fail(&format!("cannot send {method}: {err}"));
        }
        let deadline = Instant::now() + PATIENCE;
        loop {
            if Instant::now() > deadline {
                self.fail(&format!(
                    "no answer to {method} within {} s",
                    PATIENCE.as_secs()
                ));
            }
            let Some(message) = self.receive() else {
                continue;
            };
            if message["id"] != id {
                if message.get("method").is_some() {
                    self.events.push_back(message);
                }
                continue;
            }
            return match message.get("error") {
                Some(error) => Err(error["message"].as_str().unwrap_or("an error").to_owned()),
                None => Ok(message["result"].clone()),
            };
        }
    }

    /// The next message, or `None` when none came within the read timeout.
    fn receive(&mut self) -> Option<Value> {
        match self.socket.read() {
            Ok(Message::Text(text)) => Some(
                serde_json::from_str(text.as_str())
                    .unwrap_or_else(|err| self.fail(&format!("chromium sent bad JSON: {err}"))),
            ),
            Ok(_) => None,
            Err(tungstenite::Error::Io(err))
                if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
            {
                None
            }
            Err(err) => self.fail(&format!("the DevTools connection failed: {err}")),
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ask it to close (its helper processes go with it), then make sure.
        let _ = self.socket.send(Message::text(
            json!({"id": 0, "method": "Browser.close"}).to_string(),
        ));
        let asked = Instant::now();
        while asked.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
