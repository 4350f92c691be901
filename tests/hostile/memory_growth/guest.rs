//! Allocates without bound in `provision`.
landlord_hostile_guests::hostile_guest!("memory-growth", |_spec| {
    landlord_hostile_guests::mark_state();
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        hoard.push(std::hint::black_box(vec![1u8; 1 << 20]));
    }
});
