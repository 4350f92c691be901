//! Recurses without end in `provision`.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
#[allow(unconditional_recursion)] // the attack
fn dive(depth: u64) -> u64 {
    // black_box keeps the recursion from being turned into a loop.
    std::hint::black_box(dive(std::hint::black_box(depth + 1))) + 1
}

landlord_hostile_guests::hostile_guest!("deep-recursion", |_spec| {
    landlord_hostile_guests::mark_state();
    let depth = dive(0);
    Err(landlord_hostile_guests::ProviderError::ProvisionFailed(
        format!("returned from depth {depth}"),
    ))
});
