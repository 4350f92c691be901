//! Panics in `provision`.
landlord_hostile_guests::hostile_guest!("panic", |_spec| {
    landlord_hostile_guests::mark_state();
    panic!("hostile guest panicked on purpose");
});
