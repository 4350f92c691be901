//! Writes 100 MB to stdout in `provision`.
use std::io::Write;

landlord_hostile_guests::hostile_guest!("stdout-flood", |_spec| {
    landlord_hostile_guests::mark_state();
    let chunk = [b'x'; 64 << 10];
    let mut stdout = std::io::stdout();
    for _ in 0..1600 {
        // The host stops the call; an error here would only end the flood early.
        let _ = stdout.write_all(&chunk);
    }
    Err(landlord_hostile_guests::ProviderError::ProvisionFailed(
        "wrote 100 MB".into(),
    ))
});
