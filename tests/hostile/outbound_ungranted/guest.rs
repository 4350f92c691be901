//! Sends HTTP requests to origins it is not granted in `provision`, then
//! claims success.
#[path = "../outbound_client/client.rs"]
mod client;

use landlord_hostile_guests::{config, mark_state, well_behaved};

landlord_hostile_guests::hostile_guest!("outbound-ungranted", |spec| {
    mark_state();
    let target = config::get("target").unwrap_or_else(|| "http://127.0.0.1:9".to_owned());
    let authority = target.split_once("://").map_or(&*target, |(_, rest)| rest);
    let tls = format!("https://{authority}");
    let mut seen = Vec::new();
    for url in [&*target, "http://docker.localhost/_ping", &*tls] {
        seen.push(format!("{url} -> {}", client::outcome(&client::get(url))));
    }
    client::report(&seen.join("; "));
    well_behaved::provision("outbound-ungranted", spec)
});
