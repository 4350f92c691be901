//! Sends 1 GB through the `log` import in `provision`, at `error` (shown
//! at the host's default verbosity), then fails with its own error.
use landlord_hostile_guests::log::{Level, log};

landlord_hostile_guests::hostile_guest!("log-flood", |_spec| {
    let message = "x".repeat(1 << 10);
    for _ in 0..(1 << 20) {
        log(Level::Error, &message);
    }
    Err(landlord_hostile_guests::ProviderError::ProvisionFailed(
        "logged 1 GB".into(),
    ))
});
