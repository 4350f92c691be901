//! The one error type of the library: the seed's six kinds plus the kinds a
//! sandboxed provider adds (load refusal, trap, timeout, resource limit).

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Shorthand for results whose error is [`ComputeError`].
pub type Result<T, E = ComputeError> = std::result::Result<T, E>;

/// One problem with a spec, located by its JSON field path
/// (`containers[1].ports[0].container_port`); an empty path means the spec as
/// a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldViolation {
    /// Where the problem is.
    pub path: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl FieldViolation {
    /// A violation at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "spec: {}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// The list of violations of an invalid spec, displayed one per line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violations(pub Vec<FieldViolation>);

impl fmt::Display for Violations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.0.len();
        write!(f, "{count} problem{}", if count == 1 { "" } else { "s" })?;
        for violation in &self.0 {
            write!(f, "\n  - {violation}")?;
        }
        Ok(())
    }
}

/// The provider operation a call was making, for errors and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Operation {
    /// `name`
    Name,
    /// `provision`
    Provision,
    /// `update`
    Update,
    /// `destroy`
    Destroy,
    /// `get-status`
    GetStatus,
    /// `validate`
    Validate,
}

impl Operation {
    /// The operation's WIT name.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Name => "name",
            Operation::Provision => "provision",
            Operation::Update => "update",
            Operation::Destroy => "destroy",
            Operation::GetStatus => "get-status",
            Operation::Validate => "validate",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A resource whose limit a provider hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LimitKind {
    /// Linear memory (or tables, instances) beyond the provider's cap.
    Memory,
    /// The fuel budget ran out.
    Fuel,
    /// The guest's call stack overflowed.
    Stack,
    /// Captured stdout/stderr beyond the cap.
    Output,
    /// Stored state beyond the provider's quota.
    State,
    /// Outbound HTTP beyond the call's number of requests or response bytes.
    Outbound,
}

impl fmt::Display for LimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LimitKind::Memory => "memory",
            LimitKind::Fuel => "fuel",
            LimitKind::Stack => "stack",
            LimitKind::Output => "output",
            LimitKind::State => "state quota",
            LimitKind::Outbound => "outbound HTTP",
        })
    }
}

/// Every failure the library reports. Each variant is one [`ErrorKind`],
/// except `ResourceLimit`, which is one kind per [`LimitKind`].
#[derive(Debug, Clone, thiserror::Error)]
pub enum ComputeError {
    /// No provider is registered under this name.
    #[error("provider '{name}' is not registered (registered: {available})")]
    ProviderNotFound {
        /// The name asked for.
        name: String,
        /// The registered names, comma-separated, for the message.
        available: String,
    },

    /// A provider with this name is already registered.
    #[error("provider '{name}' is already registered; each provider name must be unique")]
    ProviderConflict {
        /// The duplicate name.
        name: String,
    },

    /// A provider's name breaks the identifier rule (a DNS label: 1 to 63
    /// characters of `[a-z0-9-]`, not starting or ending with `-`).
    #[error(
        "invalid provider name: {reason}; {rule}",
        rule = super::validation::IDENTIFIER_RULE
    )]
    InvalidProviderName {
        /// The offending name, whole (the message quotes at most its first
        /// 64 characters).
        name: String,
        /// What is wrong with it, quoting it, from
        /// [`check_provider_name`](super::validation::check_provider_name).
        reason: String,
    },

    /// The spec breaks one or more rules; every violation is listed.
    #[error(
        "invalid spec{}: {violations}",
        .provider.as_ref().map(|p| format!(" (refused by provider '{p}')")).unwrap_or_default()
    )]
    InvalidSpec {
        /// The provider that refused it, or `None` when the host's own
        /// validation did.
        provider: Option<String>,
        /// Every problem found.
        violations: Violations,
    },

    /// The provider could not provision the tenant.
    #[error("provider '{provider}' failed to provision tenant '{tenant_id}': {message}")]
    ProvisionFailed {
        /// The provider.
        provider: String,
        /// The tenant.
        tenant_id: String,
        /// The provider's reason.
        message: String,
    },

    /// The provider could not update the tenant.
    #[error("provider '{provider}' failed to update tenant '{tenant_id}': {message}")]
    UpdateFailed {
        /// The provider.
        provider: String,
        /// The tenant.
        tenant_id: String,
        /// The provider's reason.
        message: String,
    },

    /// The provider does not know the tenant.
    #[error("tenant '{tenant_id}' not found by provider '{provider}'")]
    TenantNotFound {
        /// The provider.
        provider: String,
        /// The tenant.
        tenant_id: String,
    },

    /// The tenant already exists in a form this request cannot change: a
    /// provision of a provisioned tenant with a different spec (an update
    /// changes a spec), or on another provider (destroy it there first).
    /// The host refuses it before calling the provider.
    #[error("tenant '{tenant_id}' already exists on provider '{provider}': {reason}")]
    TenantExists {
        /// The provider that holds the tenant.
        provider: String,
        /// The tenant.
        tenant_id: String,
        /// Why the request conflicts with it, and what to do instead.
        reason: String,
    },

    /// Any other failure the provider reported (for example while destroying).
    #[error("provider '{provider}' failed in {operation}: {message}")]
    OperationFailed {
        /// The provider.
        provider: String,
        /// The operation.
        operation: Operation,
        /// The provider's reason.
        message: String,
    },

    /// A component was refused before it could run.
    #[error("cannot load provider component {source_name}: {message}")]
    Load {
        /// What was being loaded (a provider name or a path).
        source_name: String,
        /// What is wrong, with the fix where there is one.
        message: String,
    },

    /// The provider trapped (panic, unreachable code, bad memory access…).
    #[error("provider '{provider}' crashed in {operation}: {message}")]
    Trap {
        /// The provider.
        provider: String,
        /// The operation.
        operation: Operation,
        /// The trap, with the guest's panic text when it wrote one.
        message: String,
    },

    /// The provider ran past its deadline and was stopped.
    #[error("provider '{provider}' timed out in {operation} after {limit:?}")]
    Timeout {
        /// The provider.
        provider: String,
        /// The operation.
        operation: Operation,
        /// The deadline it ran past.
        limit: Duration,
    },

    /// The provider is quarantined: it failed, contained, too often in a
    /// row, so the host does not call it until `until` (then one trial call
    /// goes through). Nothing was called.
    #[error(
        "provider '{provider}' is quarantined until {until} after {failures} contained failures in a row (traps, timeouts, limits); {operation} was not called{trial}",
        until = until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        trial = if *trial { "; a trial call is being made now" } else { "; one trial call goes through after that time" }
    )]
    Quarantined {
        /// The provider.
        provider: String,
        /// The operation refused.
        operation: Operation,
        /// When the cool-down ends.
        until: chrono::DateTime<chrono::Utc>,
        /// The contained failures in a row that opened the quarantine.
        failures: u32,
        /// Whether the cool-down has ended and a trial call is in flight.
        trial: bool,
    },

    /// The host's state store failed, so the call's state writes were not
    /// kept (the provider's answer is withheld with them).
    #[error("state store failed for provider '{provider}' in {operation}: {message}")]
    State {
        /// The provider.
        provider: String,
        /// The operation.
        operation: Operation,
        /// What the store reported.
        message: String,
    },

    /// The provider returned something the host refuses to pass on: a
    /// result for another tenant or provider, or one too large.
    #[error("provider '{provider}' returned an invalid result from {operation}: {message}")]
    InvalidResult {
        /// The provider.
        provider: String,
        /// The operation.
        operation: Operation,
        /// What is wrong with the result.
        message: String,
    },

    /// The provider sent an HTTP request to an origin it is not granted.
    /// The request failed in the guest without opening a connection, and
    /// the call fails with this error whatever the guest answered.
    #[error("provider '{provider}' was denied outbound HTTP in {operation}: {message}")]
    OutboundDenied {
        /// The provider.
        provider: String,
        /// The operation.
        operation: Operation,
        /// The request's method and origin, and what is granted.
        message: String,
    },

    /// The provider hit a sandbox limit and was stopped.
    #[error("provider '{provider}' exceeded its {limit} limit in {operation}: {message}")]
    ResourceLimit {
        /// The provider.
        provider: String,
        /// The operation.
        operation: Operation,
        /// Which limit.
        limit: LimitKind,
        /// Detail, including the configured limit.
        message: String,
    },
}

/// The kind of a [`ComputeError`], for matching without the details (tests,
/// exit codes, metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// [`ComputeError::ProviderNotFound`]
    ProviderNotFound,
    /// [`ComputeError::ProviderConflict`]
    ProviderConflict,
    /// [`ComputeError::InvalidProviderName`]
    InvalidProviderName,
    /// [`ComputeError::InvalidSpec`]
    InvalidSpec,
    /// [`ComputeError::ProvisionFailed`]
    ProvisionFailed,
    /// [`ComputeError::UpdateFailed`]
    UpdateFailed,
    /// [`ComputeError::TenantNotFound`]
    TenantNotFound,
    /// [`ComputeError::TenantExists`]
    TenantExists,
    /// [`ComputeError::OperationFailed`]
    OperationFailed,
    /// [`ComputeError::Load`]
    Load,
    /// [`ComputeError::Trap`]
    Trap,
    /// [`ComputeError::Timeout`]
    Timeout,
    /// [`ComputeError::InvalidResult`]
    InvalidResult,
    /// [`ComputeError::ResourceLimit`] on linear memory, tables or instances.
    MemoryLimit,
    /// [`ComputeError::ResourceLimit`]: the fuel budget ran out.
    FuelExhausted,
    /// [`ComputeError::ResourceLimit`]: the guest's stack overflowed.
    StackOverflow,
    /// [`ComputeError::ResourceLimit`]: too much stdout/stderr.
    OutputLimit,
    /// [`ComputeError::ResourceLimit`]: the state quota would be exceeded.
    StateQuota,
    /// [`ComputeError::ResourceLimit`]: too many outbound requests or
    /// response bytes in one call.
    OutboundLimit,
    /// [`ComputeError::OutboundDenied`]
    OutboundDenied,
    /// [`ComputeError::State`]
    State,
    /// [`ComputeError::Quarantined`]
    Quarantined,
}

impl ErrorKind {
    /// Whether the sandbox contained the provider: it trapped, ran past its
    /// deadline or a limit, or returned something invalid. These are the
    /// failures that count towards a provider's quarantine.
    pub fn is_contained(self) -> bool {
        matches!(
            self,
            ErrorKind::Trap
                | ErrorKind::Timeout
                | ErrorKind::MemoryLimit
                | ErrorKind::FuelExhausted
                | ErrorKind::StackOverflow
                | ErrorKind::OutputLimit
                | ErrorKind::StateQuota
                | ErrorKind::OutboundLimit
                | ErrorKind::OutboundDenied
                | ErrorKind::InvalidResult
        )
    }

    /// Whether the caller's request was at fault (a bad spec, an unknown
    /// provider or tenant) rather than a provider or the host.
    pub fn is_caller_error(self) -> bool {
        matches!(
            self,
            ErrorKind::ProviderNotFound
                | ErrorKind::InvalidProviderName
                | ErrorKind::InvalidSpec
                | ErrorKind::TenantNotFound
                | ErrorKind::TenantExists
        )
    }
}

impl ComputeError {
    /// The error's kind.
    pub fn kind(&self) -> ErrorKind {
        match self {
            ComputeError::ProviderNotFound { .. } => ErrorKind::ProviderNotFound,
            ComputeError::ProviderConflict { .. } => ErrorKind::ProviderConflict,
            ComputeError::InvalidProviderName { .. } => ErrorKind::InvalidProviderName,
            ComputeError::InvalidSpec { .. } => ErrorKind::InvalidSpec,
            ComputeError::ProvisionFailed { .. } => ErrorKind::ProvisionFailed,
            ComputeError::UpdateFailed { .. } => ErrorKind::UpdateFailed,
            ComputeError::TenantNotFound { .. } => ErrorKind::TenantNotFound,
            ComputeError::TenantExists { .. } => ErrorKind::TenantExists,
            ComputeError::OperationFailed { .. } => ErrorKind::OperationFailed,
            ComputeError::Load { .. } => ErrorKind::Load,
            ComputeError::Trap { .. } => ErrorKind::Trap,
            ComputeError::Timeout { .. } => ErrorKind::Timeout,
            ComputeError::Quarantined { .. } => ErrorKind::Quarantined,
            ComputeError::InvalidResult { .. } => ErrorKind::InvalidResult,
            ComputeError::OutboundDenied { .. } => ErrorKind::OutboundDenied,
            ComputeError::ResourceLimit { limit, .. } => match limit {
                LimitKind::Memory => ErrorKind::MemoryLimit,
                LimitKind::Fuel => ErrorKind::FuelExhausted,
                LimitKind::Stack => ErrorKind::StackOverflow,
                LimitKind::Output => ErrorKind::OutputLimit,
                LimitKind::State => ErrorKind::StateQuota,
                LimitKind::Outbound => ErrorKind::OutboundLimit,
            },
            ComputeError::State { .. } => ErrorKind::State,
        }
    }

    /// An invalid-spec error found by the host's own validation.
    pub fn invalid_spec(violations: Vec<FieldViolation>) -> Self {
        ComputeError::InvalidSpec {
            provider: None,
            violations: Violations(violations),
        }
    }

    /// The provider the error names (a registry name, or a component's
    /// source for a load error), if any.
    pub fn provider(&self) -> Option<&str> {
        match self {
            ComputeError::ProviderNotFound { name, .. }
            | ComputeError::ProviderConflict { name }
            | ComputeError::InvalidProviderName { name, .. } => Some(name.as_str()),
            ComputeError::InvalidSpec { provider, .. } => provider.as_deref(),
            ComputeError::Load { source_name, .. } => Some(source_name.as_str()),
            ComputeError::ProvisionFailed { provider, .. }
            | ComputeError::UpdateFailed { provider, .. }
            | ComputeError::TenantNotFound { provider, .. }
            | ComputeError::TenantExists { provider, .. }
            | ComputeError::OperationFailed { provider, .. }
            | ComputeError::Trap { provider, .. }
            | ComputeError::Timeout { provider, .. }
            | ComputeError::Quarantined { provider, .. }
            | ComputeError::State { provider, .. }
            | ComputeError::InvalidResult { provider, .. }
            | ComputeError::OutboundDenied { provider, .. }
            | ComputeError::ResourceLimit { provider, .. } => Some(provider.as_str()),
        }
        .filter(|name| !name.is_empty())
    }

    /// The operation the error happened in, when it names one.
    pub fn operation(&self) -> Option<Operation> {
        match self {
            ComputeError::ProvisionFailed { .. } => Some(Operation::Provision),
            ComputeError::UpdateFailed { .. } => Some(Operation::Update),
            ComputeError::OperationFailed { operation, .. }
            | ComputeError::Trap { operation, .. }
            | ComputeError::Timeout { operation, .. }
            | ComputeError::Quarantined { operation, .. }
            | ComputeError::State { operation, .. }
            | ComputeError::InvalidResult { operation, .. }
            | ComputeError::OutboundDenied { operation, .. }
            | ComputeError::ResourceLimit { operation, .. } => Some(*operation),
            _ => None,
        }
    }

    /// The field violations, when this is an invalid-spec error.
    pub fn violations(&self) -> &[FieldViolation] {
        match self {
            ComputeError::InvalidSpec { violations, .. } => &violations.0,
            _ => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_spec_lists_every_violation_with_its_path() {
        let err = ComputeError::invalid_spec(vec![
            FieldViolation::new("tenant_id", "must not be empty"),
            FieldViolation::new("", "whole spec refused"),
        ]);
        assert_eq!(
            err.to_string(),
            "invalid spec: 2 problems\n  - tenant_id: must not be empty\n  - spec: whole spec refused"
        );
        assert_eq!(err.kind(), ErrorKind::InvalidSpec);
        assert_eq!(err.violations().len(), 2);
    }

    #[test]
    fn messages_name_provider_and_operation() {
        let err = ComputeError::OperationFailed {
            provider: "mock".into(),
            operation: Operation::Destroy,
            message: "disk on fire".into(),
        };
        assert_eq!(
            err.to_string(),
            "provider 'mock' failed in destroy: disk on fire"
        );
    }
}
