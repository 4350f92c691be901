//! Returns an 8 MiB string in its provision result.
use landlord_hostile_guests::{ProvisionResult, ProvisionStatus};

landlord_hostile_guests::hostile_guest!("huge-string", |spec| {
    landlord_hostile_guests::mark_state();
    Ok(ProvisionResult {
        tenant_id: spec.tenant_id,
        provider_type: "huge-string".into(),
        status: ProvisionStatus::Success,
        resource_ids: vec![],
        endpoints: vec![],
        message: Some("x".repeat(8 << 20)),
    })
});
