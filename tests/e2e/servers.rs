//! Test servers for the outbound guests: a tiny HTTP/1.1 server on
//! 127.0.0.1 that records each request's target and hands the connection
//! to a handler. Guests tell a test what they saw with `GET /report?<text>`
//! on a granted server, since the host fails a refused call whatever the
//! guest answers.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use landlord::sandbox::Origin;

/// A tiny HTTP/1.1 server on 127.0.0.1: a thread per connection reads the
/// request's head, records its target (`/path?query`), and hands the
/// connection to the handler. Stopped when dropped; each connection's
/// thread ends with its handler, which must be bounded.
pub(crate) struct Server {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

type Handler = dyn Fn(&str, &mut TcpStream) + Send + Sync;

impl Server {
    pub(crate) fn start(handler: impl Fn(&str, &mut TcpStream) + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let acceptor = std::thread::spawn({
            let requests = Arc::clone(&requests);
            let stop = Arc::clone(&stop);
            move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let requests = Arc::clone(&requests);
                    let handler = Arc::clone(&handler);
                    std::thread::spawn(move || serve(stream, &requests, &*handler));
                }
            }
        });
        Self {
            addr,
            requests,
            stop,
            acceptor: Some(acceptor),
        }
    }

    /// A server answering every request `204 No Content`.
    pub(crate) fn no_content() -> Self {
        Self::start(|_, stream| {
            let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
        })
    }

    /// `http://127.0.0.1:PORT`
    pub(crate) fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub(crate) fn grant(&self) -> Origin {
        self.origin().parse().unwrap()
    }

    /// The targets of the requests it read so far.
    pub(crate) fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    /// What the guest reported since the last `take_reports`, decoded, in
    /// order; the requests read so far are forgotten.
    pub(crate) fn take_reports(&self) -> Vec<String> {
        std::mem::take(&mut *self.requests.lock().unwrap())
            .iter()
            .filter_map(|target| target.strip_prefix("/report?"))
            .map(percent_decode)
            .collect()
    }

    /// What the guest reported (`/report?<text>`), decoded.
    pub(crate) fn reports(&self) -> Vec<String> {
        self.requests()
            .iter()
            .filter_map(|target| target.strip_prefix("/report?"))
            .map(percent_decode)
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept.
        let _ = TcpStream::connect(self.addr);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

/// Read one request's head, record its target, and run `handler`.
fn serve(stream: TcpStream, requests: &Mutex<Vec<String>>, handler: &Handler) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(30)));
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    // A bare connect (the stop wake-up) sends nothing.
    let Some(target) = request_line.split_whitespace().nth(1).map(str::to_owned) else {
        return;
    };
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) if line == "\r\n" => break,
            Ok(_) => {}
        }
    }
    requests.lock().unwrap().push(target.clone());
    let mut stream = reader.into_inner();
    handler(&target, &mut stream);
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%'
            && let Some(byte) = text
                .get(at + 1..at + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(byte);
            at += 3;
        } else {
            out.push(bytes[at]);
            at += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
