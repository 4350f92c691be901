//! Follows, in `provision`, a redirect from a granted origin to one it is
//! not granted.
#[path = "../outbound_client/client.rs"]
mod client;

use landlord_hostile_guests::{config, mark_state, well_behaved};

landlord_hostile_guests::hostile_guest!("outbound-redirect", |spec| {
    mark_state();
    let target = config::get("target").unwrap_or_else(|| "http://127.0.0.1:9".to_owned());
    let first = client::get(&target);
    let mut seen = vec![format!("{target} -> {}", client::outcome(&first))];
    if let Ok(response) = first {
        match response.header("location") {
            Some(location) => {
                response.read_body(|_| {});
                let second = client::get(&location);
                seen.push(format!("{location} -> {}", client::outcome(&second)));
            }
            None => seen.push("no location".to_owned()),
        }
    }
    client::report(&seen.join("; "));
    well_behaved::provision("outbound-redirect", spec)
});
