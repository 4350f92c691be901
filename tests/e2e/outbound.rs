//! The outbound-HTTP hostile guests (`tests/hostile/outbound_*`, README
//! "Expectations" line each): requests to origins a provider is not
//! granted, huge and endless responses, a redirect off the grant, and a
//! flood of requests. Each test runs its own servers on 127.0.0.1; a
//! listener that must see no connection is checked after the call. The
//! guests tell a test what they saw by a request to `/report` on a granted
//! server, since the host fails a refused call whatever the guest answers.
//!
//! The tests are named after their guests and imported into `hostile.rs`,
//! whose `foreach_hostile!(assert_test_exists)` finds them there.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use landlord::compute::{ComputeError, ErrorKind};
use landlord::sandbox::{
    Capability, Grants, Limits, Origin, ProviderSettings, Runtime, WasmProvider,
};
use landlord::state::{MemoryStateStore, StateStore};
use landlord_tests::hostile;

use crate::hostile::{Arena, arena_with, contained_within, spec};
use crate::servers::Server;

/// The default response budget, `Limits::default().outbound_response_bytes`.
const BUDGET: u64 = 16 << 20;
/// What the huge responses claim, and at most send: 1 GiB.
const HUGE: u64 = 1 << 30;

/// A listener nobody may reach: the origin a guest is not granted.
struct Untouchable(TcpListener);

impl Untouchable {
    fn new() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        Self(listener)
    }

    fn port(&self) -> u16 {
        self.0.local_addr().unwrap().port()
    }

    /// The kernel completes a connection into the backlog whether or not
    /// it is accepted, so after the call an accept finds any there was.
    fn assert_untouched(&self) {
        let accepted = self.0.accept();
        assert!(
            matches!(&accepted, Err(err) if err.kind() == std::io::ErrorKind::WouldBlock),
            "an ungranted origin saw a connection: {accepted:?}"
        );
    }
}

// ---------------------------------------------------------------------------
// The arena, as in `hostile.rs`, with an outbound grant.

/// One outbound guest, granted `origins`, in the hostile suite's arena.
fn arena(guest: &[u8], origins: &[Origin], config: &[(&str, String)], limits: Limits) -> Arena {
    let settings = ProviderSettings {
        config: config
            .iter()
            .map(|(key, value)| ((*key).to_owned(), value.clone()))
            .collect(),
        limits,
        grants: Grants::all().with(Capability::outbound(origins.iter().cloned())),
    };
    arena_with(&Runtime::new().unwrap(), guest, settings)
}

/// The hostile suite's containment check, within `within`.
async fn contained(arena: &Arena, kind: ErrorKind, within: Duration) -> ComputeError {
    contained_within(arena, kind, within).await
}

/// The one report a guest sent to `server`.
fn the_report(server: &Server) -> String {
    let reports = server.reports();
    assert_eq!(reports.len(), 1, "{:?}", server.requests());
    reports.into_iter().next().unwrap()
}

// ---------------------------------------------------------------------------
// The guests.

#[tokio::test]
pub(crate) async fn outbound_ungranted() {
    // Without an outbound grant the component is refused at load.
    let err = WasmProvider::load(
        &Runtime::new().unwrap(),
        "outbound_ungranted.wasm",
        hostile::OUTBOUND_UNGRANTED,
        ProviderSettings::default(),
        Arc::new(MemoryStateStore::new()),
    )
    .err()
    .expect("wasi:http without a grant must be refused at load");
    assert_eq!(err.kind(), ErrorKind::Load);
    assert!(err.to_string().contains("is granted no origin"), "{err}");

    // Granted only the report server, it sends to three other origins.
    let reports = Server::no_content();
    let target = Untouchable::new();
    let port = target.port();
    let arena = arena(
        hostile::OUTBOUND_UNGRANTED,
        &[reports.grant()],
        &[
            ("target", format!("http://127.0.0.1:{port}/")),
            ("report", reports.origin()),
        ],
        Limits::default(),
    );
    let err = contained(&arena, ErrorKind::OutboundDenied, Duration::from_secs(10)).await;
    let text = err.to_string();
    assert!(
        text.contains(&format!(
            "it sent GET http://127.0.0.1:{port}, which it is not granted (and 2 more denied requests) (granted: {})",
            reports.origin()
        )),
        "{text}"
    );
    target.assert_untouched();

    // Each request failed in the guest with HTTP-request-denied.
    let report = the_report(&reports);
    for url in [
        format!("http://127.0.0.1:{port}/"),
        "http://docker.localhost/_ping".to_owned(),
        format!("https://127.0.0.1:{port}/"),
    ] {
        assert!(
            report.contains(&format!("{url} -> ErrorCode::HttpRequestDenied")),
            "{report}"
        );
    }
}

/// What a huge-body connection came to: its path and the body bytes the
/// server got to write before the connection failed.
type Closed = (String, u64);

#[tokio::test]
pub(crate) async fn outbound_huge_body() {
    let (closed, mut closings) = tokio::sync::mpsc::unbounded_channel::<Closed>();
    let server = Server::start(move |target, stream| {
        let chunked = match target {
            "/chunked" => true,
            "/content-length" => false,
            _ => {
                let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
                return;
            }
        };
        let head = if chunked {
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_owned()
        } else {
            format!("HTTP/1.1 200 OK\r\nContent-Length: {HUGE}\r\n\r\n")
        };
        let chunk = vec![b'x'; 64 << 10];
        let mut written = 0u64;
        let mut send = |stream: &mut TcpStream| -> std::io::Result<()> {
            stream.write_all(head.as_bytes())?;
            while written < HUGE {
                if chunked {
                    stream.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())?;
                }
                stream.write_all(&chunk)?;
                if chunked {
                    stream.write_all(b"\r\n")?;
                }
                written += chunk.len() as u64;
            }
            if chunked {
                stream.write_all(b"0\r\n\r\n")?;
            }
            stream.flush()
        };
        let _ = send(stream);
        let _ = closed.send((target.to_owned(), written));
    });
    let arena = arena(
        hostile::OUTBOUND_HUGE_BODY,
        &[server.grant()],
        &[("target", server.origin()), ("report", server.origin())],
        Limits::default(),
    );
    let err = contained(&arena, ErrorKind::OutboundLimit, Duration::from_secs(10)).await;
    assert!(
        err.to_string().contains(&format!(
            "its HTTP responses came to more than {BUDGET} bytes in one call"
        )),
        "{err}"
    );

    // The declared gigabyte was refused at once; the streamed one was cut
    // at the budget. (wasmtime-wasi-http 48's `http-error-code` maps no
    // body stream error to an error code, so the guest may see the cut as
    // the stream error's text.)
    let report = the_report(&server);
    assert!(
        report.contains(&format!(
            "/content-length -> ErrorCode::HttpResponseBodySize(Some({BUDGET}))"
        )),
        "{report}"
    );
    let read: u64 = report
        .split("/chunked -> read ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{report}"));
    assert!(
        (BUDGET - (1 << 20)..=BUDGET).contains(&read),
        "the guest read {read} bytes: {report}"
    );
    let cut = report.rsplit("bytes, then ").next().unwrap_or_default();
    assert!(
        cut == format!("ErrorCode::HttpResponseBodySize(Some({BUDGET}))")
            || cut.contains(&format!(
                "HTTP response body size exceeds limit: {BUDGET} bytes"
            )),
        "{report}"
    );

    // The host dropped both connections: the server's writes failed long
    // before its gigabyte, so the host never held more than the budget
    // plus buffers. (Waited for without blocking the runtime, which must
    // run to drop the aborted connection tasks.)
    for _ in 0..2 {
        let (path, written) = tokio::time::timeout(Duration::from_secs(30), closings.recv())
            .await
            .ok()
            .flatten()
            .expect("the host must close the huge responses' connections");
        assert!(
            written < 128 << 20,
            "{path}: the server wrote {written} bytes before the host closed it"
        );
    }
}

#[tokio::test]
pub(crate) async fn outbound_drip() {
    let (closed, mut closing) = tokio::sync::mpsc::unbounded_channel::<(Instant, u64)>();
    let server = Server::start(move |_, stream| {
        let mut dripped = 0u64;
        let mut drip = |stream: &mut TcpStream| -> std::io::Result<()> {
            stream.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")?;
            // One byte a second, for at most two minutes.
            for _ in 0..120 {
                stream.write_all(b"1\r\nx\r\n")?;
                stream.flush()?;
                dripped += 1;
                std::thread::sleep(Duration::from_secs(1));
            }
            Ok(())
        };
        let result = drip(stream);
        if result.is_err() {
            let _ = closed.send((Instant::now(), dripped));
        }
    });
    let deadline = Duration::from_secs(2);
    let arena = arena(
        hostile::OUTBOUND_DRIP,
        &[server.grant()],
        &[("target", format!("{}/drip", server.origin()))],
        Limits {
            timeout: deadline,
            ..Limits::default()
        },
    );
    let started = Instant::now();
    let err = contained(&arena, ErrorKind::Timeout, Duration::from_secs(10)).await;
    assert!(
        err.to_string().contains(&format!("after {deadline:?}")),
        "{err}"
    );
    assert_eq!(server.requests(), ["/drip"]);

    // The call's end dropped the connection: the server's next writes fail.
    // (Waited for without blocking the runtime, which must run to drop the
    // aborted connection task.)
    let (failed_at, dripped) = tokio::time::timeout(Duration::from_secs(30), closing.recv())
        .await
        .ok()
        .flatten()
        .expect("the host must close the dripping connection");
    assert!(dripped >= 1, "the guest saw no drip");
    let after = failed_at.duration_since(started);
    assert!(
        after < deadline + Duration::from_secs(15),
        "the connection lived {after:?} after a {deadline:?} deadline"
    );
}

#[tokio::test]
pub(crate) async fn outbound_redirect() {
    let elsewhere = Untouchable::new();
    let location = format!("http://127.0.0.1:{}/stolen", elsewhere.port());
    let server = Server::start({
        let location = location.clone();
        move |target, stream| {
            let response = if target == "/" {
                format!(
                    "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                )
            } else {
                "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n".to_owned()
            };
            let _ = stream.write_all(response.as_bytes());
        }
    });
    let arena = arena(
        hostile::OUTBOUND_REDIRECT,
        &[server.grant()],
        &[
            ("target", format!("{}/", server.origin())),
            ("report", server.origin()),
        ],
        Limits::default(),
    );
    let err = contained(&arena, ErrorKind::OutboundDenied, Duration::from_secs(10)).await;
    let text = err.to_string();
    assert!(
        text.contains(&format!(
            "it sent GET http://127.0.0.1:{}, which it is not granted (granted: {})",
            elsewhere.port(),
            server.origin()
        )),
        "{text}"
    );
    elsewhere.assert_untouched();

    // The host handed the 302 to the guest; the guest's own request to
    // its Location was denied.
    let report = the_report(&server);
    assert_eq!(
        report,
        format!(
            "{}/ -> status 302; {location} -> ErrorCode::HttpRequestDenied",
            server.origin()
        )
    );
    assert_eq!(server.requests().iter().filter(|t| *t == "/").count(), 1);
}

#[tokio::test]
pub(crate) async fn outbound_flood() {
    let server = Server::no_content();
    let limits = Limits {
        // A thousand connections may take a while on a loaded machine; the
        // request cap, not the deadline, must be what stops the flood.
        timeout: Duration::from_secs(60),
        ..Limits::default()
    };
    let cap = limits.outbound_requests;
    assert_eq!(cap, 1000);
    let arena = arena(
        hostile::OUTBOUND_FLOOD,
        &[server.grant()],
        &[("target", format!("{}/ping", server.origin()))],
        limits,
    );
    let err = contained(&arena, ErrorKind::OutboundLimit, Duration::from_secs(60)).await;
    assert!(
        err.to_string().contains(&format!(
            "it sent more than {cap} HTTP requests in one call"
        )),
        "{err}"
    );
    // The first thousand went out; the nine thousand after never did.
    assert_eq!(server.requests().len(), cap);
}

/// The grant works: a guest sending a few requests to its origin succeeds,
/// and its writes are kept.
#[tokio::test]
async fn a_granted_origin_is_reached() {
    let server = Server::no_content();
    let arena = arena(
        hostile::OUTBOUND_FLOOD,
        &[server.grant()],
        &[
            ("target", format!("{}/ping", server.origin())),
            ("count", "3".to_owned()),
        ],
        Limits::default(),
    );
    let result = arena.manager.provision_tenant(&spec(&arena)).await.unwrap();
    assert_eq!(result.provider_type, "outbound-flood");
    assert_eq!(server.requests(), ["/ping", "/ping", "/ping"]);
    assert_eq!(
        arena
            .state
            .get(&arena.name, "tenant/acme")
            .unwrap()
            .as_deref(),
        Some(&b"provisioned"[..])
    );
    assert!(arena.state.get(&arena.name, "attack").unwrap().is_some());
}
