//! Sleeps for an hour in `provision`.
landlord_hostile_guests::hostile_guest!("sleep", |_spec| {
    landlord_hostile_guests::mark_state();
    std::thread::sleep(std::time::Duration::from_secs(3600));
    Err(landlord_hostile_guests::ProviderError::ProvisionFailed(
        "woke up".into(),
    ))
});
