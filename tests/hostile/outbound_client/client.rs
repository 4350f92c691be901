//! A minimal blocking `wasi:http` client for the outbound hostile guests
//! (each includes this file as `mod client`): GET a URL (or send any
//! method with headers and a body), read a response body, and report what
//! happened to the test.

// Each guest uses part of it.
#![allow(dead_code)]

use wasip2::http::outgoing_handler;
use wasip2::http::types::{
    ErrorCode, Fields, IncomingBody, IncomingResponse, Method, OutgoingBody, OutgoingRequest,
    Scheme,
};
use wasip2::io::streams::{InputStream, StreamError};

/// A response whose status and headers are in; its body is still to read.
pub struct Response {
    /// The HTTP status code.
    pub status: u16,
    response: IncomingResponse,
}

/// Send `GET url` and wait for the response's head. Any error, the host's
/// refusals included, is the wasi:http error code the guest sees.
pub fn get(url: &str) -> Result<Response, ErrorCode> {
    send("GET", url, &[], &[])
}

/// Send `method url` with `headers` and `body` (none when empty; a
/// `Content-Length` is added when there is one), and wait for the
/// response's head. The request is handed to the host before its body is
/// written, as a streaming client does; a body the host stops reading
/// (a refusal) does not keep the guest from waiting for the answer. Any
/// error, the host's refusals included, is the wasi:http error code the
/// guest sees.
pub fn send(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Response, ErrorCode> {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let (authority, path) = match rest.find('/') {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, "/"),
    };
    let scheme = match scheme {
        "http" => Scheme::Http,
        "https" => Scheme::Https,
        other => Scheme::Other(other.to_owned()),
    };
    let method = match method {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        "PATCH" => Method::Patch,
        "OPTIONS" => Method::Options,
        other => Method::Other(other.to_owned()),
    };
    let mut fields: Vec<(String, Vec<u8>)> = headers
        .iter()
        .map(|(name, value)| ((*name).to_owned(), value.as_bytes().to_vec()))
        .collect();
    if !body.is_empty() {
        fields.push((
            "content-length".to_owned(),
            body.len().to_string().into_bytes(),
        ));
    }
    let fields = Fields::from_list(&fields)
        .map_err(|err| ErrorCode::InternalError(Some(format!("request headers: {err:?}"))))?;
    let request = OutgoingRequest::new(fields);
    let invalid = |_| ErrorCode::HttpRequestUriInvalid;
    request.set_method(&method).map_err(invalid)?;
    request.set_scheme(Some(&scheme)).map_err(invalid)?;
    request.set_authority(Some(authority)).map_err(invalid)?;
    request.set_path_with_query(Some(path)).map_err(invalid)?;
    let outgoing = request.body().expect("a new request has a body");
    let future = outgoing_handler::handle(request, None)?;
    if !body.is_empty() {
        let stream = outgoing.write().expect("a body's stream is taken once");
        // At most 4096 bytes per blocking write; a failed write (the host
        // refused the request and dropped its body) ends the body early.
        for chunk in body.chunks(4096) {
            if stream.blocking_write_and_flush(chunk).is_err() {
                break;
            }
        }
        // The stream is a child of the body: dropped before it is finished.
        drop(stream);
    }
    let finished = OutgoingBody::finish(outgoing, None);
    if body.is_empty() {
        // An empty body finishes at once, or the request is already lost.
        finished?;
    }
    // A body cut short fails to finish; the answer (or the error) is what
    // the caller wants, so wait for it either way.
    future.subscribe().block();
    let response = future
        .get()
        .expect("the response is ready once its pollable is")
        .expect("a response is taken once")?;
    Ok(Response {
        status: response.status(),
        response,
    })
}

impl Response {
    /// The first value of header `name`, as text.
    pub fn header(&self, name: &str) -> Option<String> {
        let values = self.response.headers().get(name);
        values
            .first()
            .map(|value| String::from_utf8_lossy(value).into_owned())
    }

    /// Read the body to its end (or its first error), handing each chunk
    /// to `seen`; returns the bytes read and the error that ended it, if
    /// any: its wasi:http error code, or the stream error's own text when
    /// `http-error-code` maps it to none.
    pub fn read_body(self, mut seen: impl FnMut(&[u8])) -> (u64, Option<String>) {
        let body: IncomingBody = self.response.consume().expect("the body is consumed once");
        let stream: InputStream = body.stream().expect("the body's stream is taken once");
        let mut read = 0u64;
        let ended = loop {
            match stream.blocking_read(1 << 20) {
                Ok(chunk) => {
                    read += chunk.len() as u64;
                    seen(&chunk);
                }
                Err(StreamError::Closed) => break None,
                Err(StreamError::LastOperationFailed(err)) => {
                    break Some(match wasip2::http::types::http_error_code(&err) {
                        Some(code) => format!("{code}"),
                        None => format!("stream error {:?}", err.to_debug_string()),
                    });
                }
            }
        };
        // The stream is a child of the body, the body of the response.
        drop(stream);
        drop(body);
        (read, ended)
    }
}

/// `GET <config report>/report?<text>` (percent-encoded), if the test set
/// `report`: how a guest tells the test what it saw, since the host fails a
/// refused call whatever the guest answers.
pub fn report(text: &str) {
    let Some(base) = landlord_hostile_guests::config::get("report") else {
        return;
    };
    let mut url = format!("{}/report?", base.trim_end_matches('/'));
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            url.push(char::from(byte));
        } else {
            url.push_str(&format!("%{byte:02X}"));
        }
    }
    if let Ok(response) = get(&url) {
        response.read_body(|_| {});
    }
}

/// What a request came to, for a report: its status or its error code.
pub fn outcome(result: &Result<Response, ErrorCode>) -> String {
    match result {
        Ok(response) => format!("status {}", response.status),
        Err(code) => format!("{code}"),
    }
}
