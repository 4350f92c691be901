//! The tenant index: what the host knows of each tenant (its provider, where
//! it stands, its last operation and how that went, the last spec applied
//! and result returned). Every store derives the next entry from the
//! previous one with [`next_entry`], inside the transaction that journals the
//! call, so the index never disagrees with the journal.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{CallOutcome, FinishedCall};
use crate::compute::{ErrorKind, Operation, wire_name};

/// Where a tenant stands, as far as its operations went.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TenantState {
    /// The last provision or update succeeded.
    Provisioned,
    /// The last destroy succeeded.
    Destroyed,
    /// Nothing succeeded yet: the first provision failed.
    Failed,
}

impl TenantState {
    /// The name as stored and shown (`provisioned`).
    pub fn as_str(self) -> &'static str {
        match self {
            TenantState::Provisioned => "provisioned",
            TenantState::Destroyed => "destroyed",
            TenantState::Failed => "failed",
        }
    }
}

impl std::fmt::Display for TenantState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for TenantState {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        [
            TenantState::Provisioned,
            TenantState::Destroyed,
            TenantState::Failed,
        ]
        .into_iter()
        .find(|state| state.as_str() == text)
        .ok_or_else(|| {
            format!(
                "{} is not a tenant state; use provisioned, destroyed or failed",
                crate::text::for_message(text)
            )
        })
    }
}

/// How a tenant's last operation went: `ok`, or the error's kind. Shown and
/// stored as one name (`ok`, `operation_failed`, `timeout`…).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// It succeeded.
    Ok,
    /// It failed with an error of this kind.
    Failed(ErrorKind),
}

impl Outcome {
    /// The name as stored and shown.
    pub fn name(self) -> String {
        match self {
            Outcome::Ok => "ok".to_owned(),
            Outcome::Failed(kind) => wire_name(&kind).unwrap_or_default(),
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

impl Serialize for Outcome {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.name())
    }
}

impl<'de> Deserialize<'de> for Outcome {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        if name == "ok" {
            return Ok(Outcome::Ok);
        }
        serde_json::from_value(serde_json::Value::String(name))
            .map(Outcome::Failed)
            .map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for Outcome {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "`ok`, or the error kind of the last operation (`operation_failed`, `timeout`, …)",
            ))
            .into()
    }
}

impl utoipa::ToSchema for Outcome {}

/// What the host knows of one tenant: which provider manages it, and how
/// its last operation went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TenantEntry {
    /// The tenant.
    pub tenant_id: String,
    /// The provider that manages it.
    pub provider: String,
    /// Where it stands.
    pub state: TenantState,
    /// The last operation run on it.
    #[schema(value_type = String, example = "provision")]
    pub last_operation: Operation,
    /// How that went.
    pub last_outcome: Outcome,
    /// The last spec applied, as JSON.
    #[schema(value_type = Option<Object>)]
    pub spec: Option<serde_json::Value>,
    /// The last result, as JSON.
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
    /// When the entry last changed.
    pub updated_at: DateTime<Utc>,
}

/// Which tenants to list, in tenant-id order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantQuery {
    /// Only tenants of this provider.
    pub provider: Option<String>,
    /// Only tenants in this state.
    pub state: Option<TenantState>,
    /// Only tenants whose id sorts after this one (the previous page's last).
    pub after: Option<String>,
    /// At most this many.
    pub limit: Option<usize>,
}

impl TenantQuery {
    /// Whether `entry` passes the filters (not `limit`).
    pub fn matches(&self, entry: &TenantEntry) -> bool {
        self.provider.as_ref().is_none_or(|p| *p == entry.provider)
            && self.state.is_none_or(|s| s == entry.state)
            && self
                .after
                .as_ref()
                .is_none_or(|after| entry.tenant_id.as_str() > after.as_str())
    }
}

/// The index entry after `call`, given the one before it; `None` leaves the
/// index alone. The rules:
/// - a call that never concerned a known tenant leaves no entry: destroying
///   a tenant the host never knew, or one refused as the caller's fault (a
///   bad spec, an unknown tenant);
/// - success: `provisioned` (or `destroyed`), outcome `ok`, and the spec
///   and result it brought (a destroy brings none: the last ones stay);
/// - failure: the state, spec and result stay as they were (`failed` when
///   there were none), the outcome is the error's kind. The index holds what
///   the tenant runs, not what was refused.
pub fn next_entry(previous: Option<&TenantEntry>, call: &FinishedCall) -> Option<TenantEntry> {
    let record = &call.record;
    let operation = record.operation;
    if !matches!(
        operation,
        Operation::Provision | Operation::Update | Operation::Destroy
    ) {
        return None;
    }
    if previous.is_none() && operation == Operation::Destroy {
        return None;
    }
    let (state, last_outcome, spec, result) = match &record.outcome {
        CallOutcome::Ok => (
            if operation == Operation::Destroy {
                TenantState::Destroyed
            } else {
                TenantState::Provisioned
            },
            Outcome::Ok,
            call.spec
                .clone()
                .or_else(|| previous.and_then(|entry| entry.spec.clone())),
            call.result
                .clone()
                .or_else(|| previous.and_then(|entry| entry.result.clone())),
        ),
        CallOutcome::Failed { kind, .. } if kind.is_caller_error() => return None,
        CallOutcome::Failed { kind, .. } => (
            previous.map_or(TenantState::Failed, |entry| entry.state),
            Outcome::Failed(*kind),
            previous.and_then(|entry| entry.spec.clone()),
            previous.and_then(|entry| entry.result.clone()),
        ),
    };
    Some(TenantEntry {
        tenant_id: record.tenant_id.clone(),
        provider: record.provider.clone(),
        state,
        last_operation: operation,
        last_outcome,
        spec,
        result,
        updated_at: record.at,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::state::CallRecord;

    fn call(
        operation: Operation,
        outcome: CallOutcome,
        spec: Option<serde_json::Value>,
    ) -> FinishedCall {
        FinishedCall {
            record: CallRecord {
                at: Utc::now(),
                provider: "mock".into(),
                tenant_id: "acme".into(),
                operation,
                outcome,
                duration_ms: 1.0,
            },
            result: spec.as_ref().map(|_| json!({"status": "success"})),
            spec,
        }
    }

    fn failed(kind: ErrorKind) -> CallOutcome {
        CallOutcome::Failed {
            kind,
            message: "no".into(),
        }
    }

    #[test]
    fn success_records_the_spec_and_a_later_failure_keeps_it() {
        let spec = json!({"tenant_id": "acme", "v": 1});
        let first = next_entry(
            None,
            &call(Operation::Provision, CallOutcome::Ok, Some(spec.clone())),
        )
        .unwrap();
        assert_eq!(first.state, TenantState::Provisioned);
        assert_eq!(first.last_outcome, Outcome::Ok);
        let update = call(
            Operation::Update,
            failed(ErrorKind::OperationFailed),
            Some(json!({"tenant_id": "acme", "v": 2})),
        );
        let second = next_entry(Some(&first), &update).unwrap();
        assert_eq!(second.state, TenantState::Provisioned);
        assert_eq!(second.last_operation, Operation::Update);
        assert_eq!(
            second.last_outcome,
            Outcome::Failed(ErrorKind::OperationFailed)
        );
        assert_eq!(second.spec, Some(spec));
    }

    #[test]
    fn destroy_keeps_the_last_spec_and_result() {
        let spec = json!({"tenant_id": "acme"});
        let first = next_entry(
            None,
            &call(Operation::Provision, CallOutcome::Ok, Some(spec.clone())),
        )
        .unwrap();
        let gone = next_entry(
            Some(&first),
            &call(Operation::Destroy, CallOutcome::Ok, None),
        )
        .unwrap();
        assert_eq!(gone.state, TenantState::Destroyed);
        assert_eq!(gone.spec, Some(spec));
        assert_eq!(gone.result, first.result);
    }

    #[test]
    fn unknown_tenants_and_caller_errors_leave_no_entry() {
        assert_eq!(
            next_entry(None, &call(Operation::Destroy, CallOutcome::Ok, None)),
            None
        );
        assert_eq!(
            next_entry(
                None,
                &call(Operation::Update, failed(ErrorKind::TenantNotFound), None)
            ),
            None
        );
        assert_eq!(
            next_entry(None, &call(Operation::GetStatus, CallOutcome::Ok, None)),
            None
        );
        let first = next_entry(
            None,
            &call(Operation::Provision, failed(ErrorKind::Timeout), None),
        )
        .unwrap();
        assert_eq!(first.state, TenantState::Failed);
        assert_eq!(first.last_outcome.name(), "timeout");
    }

    #[test]
    fn outcome_and_state_keep_their_stored_names() {
        let outcome = Outcome::Failed(ErrorKind::OperationFailed);
        assert_eq!(
            serde_json::to_value(outcome).unwrap(),
            json!("operation_failed")
        );
        assert_eq!(
            serde_json::from_value::<Outcome>(json!("ok")).unwrap(),
            Outcome::Ok
        );
        assert_eq!(
            serde_json::from_value::<Outcome>(json!("operation_failed")).unwrap(),
            outcome
        );
        assert!(serde_json::from_value::<Outcome>(json!("nope")).is_err());
        assert_eq!(
            serde_json::to_value(TenantState::Destroyed).unwrap(),
            json!("destroyed")
        );
        assert_eq!("failed".parse::<TenantState>(), Ok(TenantState::Failed));
        assert!(
            "gone"
                .parse::<TenantState>()
                .unwrap_err()
                .contains("provisioned, destroyed or failed")
        );
    }
}
