//! Spins forever in `provision`.
landlord_hostile_guests::hostile_guest!("infinite-loop", |_spec| {
    landlord_hostile_guests::mark_state();
    let mut n: u64 = 0;
    loop {
        n = std::hint::black_box(n.wrapping_add(1));
    }
});
