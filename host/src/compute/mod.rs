//! The seed's compute framework: types, errors, validation, the provider
//! trait, the registry and the manager, and reading a spec within limits
//! ([`parse_spec`]). Nothing here knows about wasm.

pub mod error;
mod json_shape;
pub mod manager;
pub mod provider;
pub mod registry;
pub mod spec_input;
pub(crate) mod tenant_locks;
#[cfg(test)]
pub(crate) mod test_double;
pub mod types;
pub mod validation;

pub use error::{
    ComputeError, ErrorKind, FieldViolation, LimitKind, Operation, Result, Violations,
};
pub use manager::Manager;
pub use provider::Provider;
pub use registry::Registry;
pub use spec_input::{
    SpecFormat, SpecInputError, SpecInputLimits, SpecLocation, parse_spec, read_spec,
    read_spec_file,
};
pub use types::*;
pub use validation::{
    IDENTIFIER_RULE, MAX_IDENTIFIER_LEN, ValidSpec, check_dns_label, check_provider_name,
    spec_violations, validate_compute_spec, validate_tenant_id,
};
