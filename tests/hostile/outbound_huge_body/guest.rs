//! Reads two huge HTTP responses from a granted origin in `provision`.
#[path = "../outbound_client/client.rs"]
mod client;

use landlord_hostile_guests::{config, mark_state, well_behaved};

landlord_hostile_guests::hostile_guest!("outbound-huge-body", |spec| {
    mark_state();
    let target = config::get("target").unwrap_or_else(|| "http://127.0.0.1:9".to_owned());
    let mut seen = Vec::new();
    // A declared 1 GiB first, then 1 GiB streamed without a length.
    for path in ["/content-length", "/chunked"] {
        let outcome = match client::get(&format!("{target}{path}")) {
            Ok(response) => {
                let (read, ended) = response.read_body(|_| {});
                let ended = ended.unwrap_or_else(|| "the end".to_owned());
                format!("read {read} bytes, then {ended}")
            }
            Err(code) => format!("{code}"),
        };
        seen.push(format!("{path} -> {outcome}"));
    }
    client::report(&seen.join("; "));
    well_behaved::provision("outbound-huge-body", spec)
});
