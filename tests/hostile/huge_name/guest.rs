//! Its `name()` is 10 MiB of valid name characters.
landlord_hostile_guests::hostile_guest!(name() = "a".repeat(10 << 20), as "huge-name", |spec| {
    // The attack is in name(); provision fails plainly, as every hostile
    // guest's provision does.
    let _ = spec;
    Err(landlord_hostile_guests::ProviderError::ProvisionFailed(
        "nothing to see here".into(),
    ))
});
