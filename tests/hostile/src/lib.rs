//! Shared parts of the hostile test guests: the bindings, a well-behaved
//! implementation of every operation, and [`hostile_guest!`], which builds a
//! provider whose `provision` is an attack and whose other operations behave.
//!
//! Each guest lives in its own folder (`<attack>/guest.rs`, with a README
//! whose "Expectations" line says how the host must contain it) and is built
//! as a component by `tests/build.rs`.

/// Bindings for the `compute-provider` world, with a public export macro
/// (generated code uses `unsafe` for the canonical ABI; ours has none).
#[allow(unsafe_code, missing_docs)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "compute-provider",
        path: "../../wit",
        pub_export_macro: true,
        default_bindings_module: "landlord_hostile_guests::bindings",
    });
}

pub use bindings::exports::landlord::compute::provider::Guest;
pub use bindings::landlord::compute::types::*;
pub use bindings::landlord::compute::{config, log, state};

/// The state key every attack writes before it strikes: if the host ever
/// keeps it, a contained call's writes leaked.
pub const ATTACK_MARKER: &str = "attack";

/// Write [`ATTACK_MARKER`].
pub fn mark_state() {
    let _ = state::set(ATTACK_MARKER, b"written before the attack");
}

/// A provider that keeps the contract, for the operations a hostile guest
/// does not attack with.
pub mod well_behaved {
    use super::*;

    fn key(tenant_id: &str) -> String {
        format!("tenant/{tenant_id}")
    }

    fn failed(err: state::StateError) -> ProviderError {
        ProviderError::OperationFailed(format!("state: {err:?}"))
    }

    /// Store the tenant and report success.
    pub fn provision(
        name: &str,
        spec: TenantComputeSpec,
    ) -> Result<ProvisionResult, ProviderError> {
        state::set(&key(&spec.tenant_id), b"provisioned").map_err(failed)?;
        Ok(ProvisionResult {
            tenant_id: spec.tenant_id,
            provider_type: name.to_owned(),
            status: ProvisionStatus::Success,
            resource_ids: vec![],
            endpoints: vec![],
            message: None,
        })
    }

    /// Store the tenant as updated and report one change.
    pub fn update(name: &str, tenant_id: String) -> Result<UpdateResult, ProviderError> {
        state::set(&key(&tenant_id), b"updated").map_err(failed)?;
        Ok(UpdateResult {
            tenant_id,
            provider_type: name.to_owned(),
            status: UpdateStatus::Success,
            changes: vec!["updated".to_owned()],
            message: None,
        })
    }

    /// Forget the tenant.
    pub fn destroy(tenant_id: String) -> Result<(), ProviderError> {
        state::delete(&key(&tenant_id)).map_err(failed)
    }

    /// Report the tenant as running, or not found.
    pub fn get_status(name: &str, tenant_id: String) -> Result<ComputeStatus, ProviderError> {
        match state::get(&key(&tenant_id)).map_err(failed)? {
            None => Err(ProviderError::TenantNotFound(tenant_id)),
            Some(_) => Ok(ComputeStatus {
                tenant_id,
                provider_type: name.to_owned(),
                state: ComputeState::Running,
                containers: vec![],
                health: HealthStatus::Unknown,
                metadata: vec![],
            }),
        }
    }
}

/// Define and export a provider named `$name` whose `provision` runs
/// `$attack` (with the spec bound to `$spec`); every other operation is
/// [`well_behaved`]. Attacks that the host must stop call [`mark_state`]
/// first, to show their writes are discarded.
///
/// `hostile_guest!(name() = $expr, as $name, |spec| …)` makes `name()`
/// itself the attack: it returns `$expr`, and `$name` is what the other
/// operations report as their provider.
#[macro_export]
macro_rules! hostile_guest {
    ($name:literal, |$spec:ident| $attack:block) => {
        $crate::hostile_guest!(@define $name, $name.to_owned(), |$spec| $attack);
    };
    (name() = $name_expr:expr, as $name:literal, |$spec:ident| $attack:block) => {
        $crate::hostile_guest!(@define $name, $name_expr, |$spec| $attack);
    };
    (@define $name:literal, $name_expr:expr, |$spec:ident| $attack:block) => {
        #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
        struct Hostile;

        impl $crate::Guest for Hostile {
            fn name() -> String {
                $name_expr
            }

            fn provision(
                $spec: $crate::TenantComputeSpec,
            ) -> Result<$crate::ProvisionResult, $crate::ProviderError> {
                $attack
            }

            fn update(
                tenant_id: String,
                _spec: $crate::TenantComputeSpec,
            ) -> Result<$crate::UpdateResult, $crate::ProviderError> {
                $crate::well_behaved::update($name, tenant_id)
            }

            fn destroy(tenant_id: String) -> Result<(), $crate::ProviderError> {
                $crate::well_behaved::destroy(tenant_id)
            }

            fn get_status(
                tenant_id: String,
            ) -> Result<$crate::ComputeStatus, $crate::ProviderError> {
                $crate::well_behaved::get_status($name, tenant_id)
            }

            fn validate(_spec: $crate::TenantComputeSpec) -> Result<(), $crate::ProviderError> {
                Ok(())
            }
        }

        // Exported only in the component: a native build of this crate (as
        // `cargo test --workspace` makes) cannot link the export names.
        #[cfg(target_arch = "wasm32")]
        $crate::bindings::export!(Hostile with_types_in $crate::bindings);
    };
}
