//! Its `name()` looks for state: it names itself `state-leaked` if it can
//! see any key, else `name-reads-state`.
use landlord_hostile_guests::state;

#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn name() -> String {
    let seen = state::list_keys("").map(|keys| keys.len()).unwrap_or(0);
    if seen > 0 {
        "state-leaked".to_owned()
    } else {
        "name-reads-state".to_owned()
    }
}

landlord_hostile_guests::hostile_guest!(name() = name(), as "name-reads-state", |spec| {
    // The attack is in name(); provision fails plainly, as every hostile
    // guest's provision does.
    let _ = spec;
    Err(landlord_hostile_guests::ProviderError::ProvisionFailed(
        "nothing to see here".into(),
    ))
});
