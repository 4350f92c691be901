//! Reads, in `provision`, a response that never ends.
#[path = "../outbound_client/client.rs"]
mod client;

use landlord_hostile_guests::{ProviderError, config, mark_state};

landlord_hostile_guests::hostile_guest!("outbound-drip", |_spec| {
    mark_state();
    let target = config::get("target").unwrap_or_else(|| "http://127.0.0.1:9".to_owned());
    let outcome = match client::get(&target) {
        Ok(response) => {
            let (read, ended) = response.read_body(|_| {});
            format!(
                "read {read} bytes, then {}",
                ended.unwrap_or_else(|| "the end".to_owned())
            )
        }
        Err(code) => format!("{code}"),
    };
    Err(ProviderError::ProvisionFailed(format!(
        "the drip ended: {outcome}"
    )))
});
