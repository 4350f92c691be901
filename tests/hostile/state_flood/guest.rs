//! Floods state in `provision`.
use landlord_hostile_guests::state;

landlord_hostile_guests::hostile_guest!("state-flood", |_spec| {
    landlord_hostile_guests::mark_state();
    let value = vec![7u8; 64 << 10];
    let mut i: u64 = 0;
    loop {
        let _ = state::set(&format!("flood/{i}"), &value);
        i += 1;
    }
});
