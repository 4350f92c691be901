//! Answers provision for someone else.
use landlord_hostile_guests::{ProvisionResult, ProvisionStatus};

landlord_hostile_guests::hostile_guest!("wrong-tenant", |_spec| {
    landlord_hostile_guests::mark_state();
    Ok(ProvisionResult {
        tenant_id: "someone-else".into(),
        provider_type: "mock".into(),
        status: ProvisionStatus::Success,
        resource_ids: vec![("stolen".into(), "yes".into())],
        endpoints: vec![],
        message: None,
    })
});
