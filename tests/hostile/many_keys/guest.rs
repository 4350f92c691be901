//! Writes a million small state keys in `provision` (13 MB: within the
//! state quota, but a long commit).
use landlord_hostile_guests::state;

landlord_hostile_guests::hostile_guest!("many-keys", |_spec| {
    landlord_hostile_guests::mark_state();
    for i in 0..1_000_000u32 {
        // The host stops the call; an error here would only end it early.
        let _ = state::set(&format!("k{i}"), b"v");
    }
    Err(landlord_hostile_guests::ProviderError::ProvisionFailed(
        "wrote a million keys".into(),
    ))
});
