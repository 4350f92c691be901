//! Sends, in `provision`, a flood of HTTP requests to a granted origin.
#[path = "../outbound_client/client.rs"]
mod client;

use landlord_hostile_guests::{config, mark_state, well_behaved};

landlord_hostile_guests::hostile_guest!("outbound-flood", |spec| {
    mark_state();
    let target = config::get("target").unwrap_or_else(|| "http://127.0.0.1:9".to_owned());
    let count: u32 = config::get("count")
        .and_then(|count| count.parse().ok())
        .unwrap_or(10_000);
    for _ in 0..count {
        // Refused requests fail at once; the flood goes on regardless.
        if let Ok(response) = client::get(&target) {
            response.read_body(|_| {});
        }
    }
    well_behaved::provision("outbound-flood", spec)
});
