//! The tenant index: what the host keeps of each tenant — its desired state
//! (the spec last asked for and its generation), what was last observed of
//! it and when, and where its lifecycle stands — and the transitions
//! between lifecycle states.
//!
//! Three pure functions derive the next entry from the previous one, each
//! inside the store transaction that persists it: [`requested`] when a user
//! operation starts (under the tenant lock), [`next_entry`] when a provider
//! call ends (with the journal entry, so the index never disagrees with the
//! journal), [`observed`] when the reconciler has read a tenant's status.
//! A store records a [`Transition`] whenever the state changes.
//!
//! ```text
//!   provision ──▶ provisioning ──ok──▶ ready ◀──ok── updating ◀── update
//!                     │ fails            │ ▲             │ fails
//!                     ▼           drift  ▼ │ healed      ▼
//!                   failed             degraded ◀────────┘
//!   destroy ──▶ deleting ──ok──▶ deleted          (failed → ready when a retry succeeds)
//! ```

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{CallOutcome, FinishedCall};
use crate::compute::{ErrorKind, Operation, wire_name};

/// Where a tenant's lifecycle stands.
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
    /// A provision was asked for and has not succeeded yet.
    Provisioning,
    /// The provider runs the desired generation, and the last look found it
    /// as asked.
    Ready,
    /// An update was asked for and has not succeeded yet.
    Updating,
    /// It ran once, but what runs is not what was asked: drift (a container
    /// gone or exited), or a failed update. The reconciler heals it.
    Degraded,
    /// Nothing runs as asked and nothing ran before: the provision failed.
    /// The reconciler retries it, unless the provider refused the spec.
    Failed,
    /// A destroy was asked for and has not succeeded yet.
    Deleting,
    /// Destroyed.
    Deleted,
}

impl TenantState {
    /// Every state, in lifecycle order.
    pub const ALL: [TenantState; 7] = [
        TenantState::Provisioning,
        TenantState::Ready,
        TenantState::Updating,
        TenantState::Degraded,
        TenantState::Failed,
        TenantState::Deleting,
        TenantState::Deleted,
    ];

    /// The name as stored and shown (`ready`).
    pub fn as_str(self) -> &'static str {
        match self {
            TenantState::Provisioning => "provisioning",
            TenantState::Ready => "ready",
            TenantState::Updating => "updating",
            TenantState::Degraded => "degraded",
            TenantState::Failed => "failed",
            TenantState::Deleting => "deleting",
            TenantState::Deleted => "deleted",
        }
    }

    /// Whether the tenant has (or may have) compute the host put there: a
    /// tenant in one of these states is provisioned again only with its own
    /// spec, and on its own provider.
    pub fn holds_compute(self) -> bool {
        matches!(
            self,
            TenantState::Provisioning
                | TenantState::Ready
                | TenantState::Updating
                | TenantState::Degraded
                | TenantState::Deleting
        )
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
        TenantState::ALL
            .into_iter()
            .find(|state| state.as_str() == text)
            .ok_or_else(|| {
                format!(
                    "{} is not a tenant state; use one of {}",
                    crate::text::for_message(text),
                    TenantState::ALL.map(TenantState::as_str).join(", ")
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

/// What the host keeps of one tenant: which provider manages it, what was
/// asked of it, what was last seen of it, and where its lifecycle stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TenantEntry {
    /// The tenant.
    pub tenant_id: String,
    /// The provider that manages it.
    pub provider: String,
    /// Where its lifecycle stands.
    pub state: TenantState,
    /// The desired generation: bumped by every accepted provision, update
    /// and destroy asked by a user.
    pub generation: u64,
    /// The generation the provider last applied successfully (0: none, or
    /// destroyed since).
    pub observed_generation: u64,
    /// Why the state is what it is (the last transition's or action's
    /// reason).
    pub reason: Option<String>,
    /// The last operation run on it.
    #[schema(value_type = String, example = "provision")]
    pub last_operation: Operation,
    /// How that went.
    pub last_outcome: Outcome,
    /// Failed attempts since the last success or user request; the
    /// reconciler's backoff grows with it.
    pub attempts: u32,
    /// The desired spec, as JSON.
    #[schema(value_type = Option<Object>)]
    pub spec: Option<serde_json::Value>,
    /// The last result, as JSON.
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
    /// The status the reconciler last read, as JSON (`ComputeStatus`).
    #[schema(value_type = Option<Object>)]
    pub observed: Option<serde_json::Value>,
    /// When it was read.
    pub observed_at: Option<DateTime<Utc>>,
    /// When the entry last changed.
    pub updated_at: DateTime<Utc>,
}

/// One change of a tenant's lifecycle state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Transition {
    /// When.
    pub at: DateTime<Utc>,
    /// The tenant.
    pub tenant_id: String,
    /// The state before (none: the host had not seen the tenant).
    pub from: Option<TenantState>,
    /// The state after.
    pub to: TenantState,
    /// Why.
    pub reason: Option<String>,
}

/// The transition from `previous` to `next`, if the state changed.
pub fn transition(previous: Option<&TenantEntry>, next: &TenantEntry) -> Option<Transition> {
    let from = previous.map(|entry| entry.state);
    (from != Some(next.state)).then(|| Transition {
        at: next.updated_at,
        tenant_id: next.tenant_id.clone(),
        from,
        to: next.state,
        reason: next.reason.clone(),
    })
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

/// The longest reason kept, bytes (longer ones are cut, with a marker).
pub const MAX_REASON: usize = 512;

/// `text` as a reason: control characters escaped, bounded.
fn reason(text: impl AsRef<str>) -> Option<String> {
    Some(crate::text::escape_bounded(text.as_ref(), MAX_REASON).into_owned())
}

/// A user's provision, update or destroy, accepted and about to call the
/// provider (the tenant is held).
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// What was asked.
    pub operation: Operation,
    /// The provider it goes to.
    pub provider: String,
    /// The spec asked for, as JSON (provision and update).
    pub spec: Option<serde_json::Value>,
    /// When.
    pub at: DateTime<Utc>,
}

/// The entry once `request` for `tenant_id` is accepted: the desired state
/// changes (a new generation; the spec asked for), the state becomes the
/// operation's own (`provisioning`, `updating`, `deleting`) until the call
/// ends, and failed attempts start over. `None` for an update or destroy of
/// a tenant the host never saw (the provider will say whether it knows it).
pub fn requested(
    previous: Option<&TenantEntry>,
    tenant_id: &str,
    request: &Request,
) -> Option<TenantEntry> {
    let (state, spec, why) = match request.operation {
        Operation::Provision => (
            TenantState::Provisioning,
            request.spec.clone(),
            "provision requested",
        ),
        Operation::Update if previous.is_some() => (
            TenantState::Updating,
            request.spec.clone(),
            "update requested",
        ),
        Operation::Destroy => (
            TenantState::Deleting,
            previous?.spec.clone(),
            "destroy requested",
        ),
        _ => return previous.cloned(),
    };
    let generation = previous.map_or(0, |entry| entry.generation) + 1;
    Some(TenantEntry {
        tenant_id: tenant_id.to_owned(),
        provider: request.provider.clone(),
        state,
        generation,
        observed_generation: previous.map_or(0, |entry| entry.observed_generation),
        reason: reason(format!("{why} (generation {generation})")),
        last_operation: previous.map_or(request.operation, |entry| entry.last_operation),
        last_outcome: previous.map_or(Outcome::Ok, |entry| entry.last_outcome),
        attempts: 0,
        spec,
        result: previous.and_then(|entry| entry.result.clone()),
        observed: previous.and_then(|entry| entry.observed.clone()),
        observed_at: previous.and_then(|entry| entry.observed_at),
        updated_at: request.at,
    })
}

/// The index entry after `call`, given the one before it; `None` leaves the
/// index alone. The rules:
/// - a call that never concerned a known tenant leaves no entry: destroying
///   a tenant the host never knew, or one refused as the caller's fault
///   before the host knew it;
/// - success: `ready` at the entry's generation (or `deleted`), outcome
///   `ok`, attempts cleared, and the result it brought;
/// - failure: one more attempt; a destroy stays `deleting`; a provision or
///   update leaves the tenant `degraded` if it ran before, else `failed`.
///   The desired spec stays: the reconciler retries it (unless the failure
///   was the caller's, such as a spec the provider refuses).
///
/// The reason is the call's own (the reconciler's) or says what happened.
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
    let generation = previous.map_or(1, |entry| entry.generation.max(1));
    let done = operation.as_str();
    let mut next = TenantEntry {
        tenant_id: record.tenant_id.clone(),
        provider: record.provider.clone(),
        state: TenantState::Ready,
        generation,
        observed_generation: previous.map_or(0, |entry| entry.observed_generation),
        reason: None,
        last_operation: operation,
        last_outcome: Outcome::Ok,
        attempts: 0,
        spec: call
            .spec
            .clone()
            .or_else(|| previous.and_then(|entry| entry.spec.clone())),
        result: previous.and_then(|entry| entry.result.clone()),
        observed: previous.and_then(|entry| entry.observed.clone()),
        observed_at: previous.and_then(|entry| entry.observed_at),
        updated_at: record.at,
    };
    match &record.outcome {
        CallOutcome::Ok => {
            next.result = call.result.clone().or(next.result);
            if operation == Operation::Destroy {
                next.state = TenantState::Deleted;
                next.observed_generation = 0;
                next.observed = None;
            } else {
                next.observed_generation = generation;
            }
            next.reason = match &record.reason {
                Some(why) => reason(format!("{done} succeeded: {why}")),
                None => reason(format!("{done} succeeded (generation {generation})")),
            };
        }
        CallOutcome::Failed { kind, .. } if kind.is_caller_error() && previous.is_none() => {
            return None;
        }
        CallOutcome::Failed { kind, message } => {
            next.last_outcome = Outcome::Failed(*kind);
            next.attempts = previous.map_or(0, |entry| entry.attempts).saturating_add(1);
            next.state = if operation == Operation::Destroy {
                TenantState::Deleting
            } else if next.observed_generation > 0 {
                TenantState::Degraded
            } else {
                TenantState::Failed
            };
            next.reason = reason(match &record.reason {
                Some(why) => format!("{done} failed ({why}): {message}"),
                None => format!("{done} failed: {message}"),
            });
        }
    }
    Some(next)
}

/// What the reconciler concluded from a tenant's status.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// It runs as asked.
    AsAsked,
    /// It is on its way (starting, stopping); look again later.
    Settling(String),
    /// It differs from what was asked, for this reason.
    Drift(String),
}

/// The entry after the reconciler read `status` (none: the provider has no
/// such tenant) at `at` and judged it: the observation is kept; a `ready`
/// tenant that drifted becomes `degraded`, a `degraded` one seen as asked
/// at its desired generation becomes `ready`. Other states are left to the
/// operations that set them.
pub fn observed(
    previous: &TenantEntry,
    status: Option<serde_json::Value>,
    verdict: &Verdict,
    at: DateTime<Utc>,
) -> TenantEntry {
    let mut next = previous.clone();
    next.observed = status;
    next.observed_at = Some(at);
    next.updated_at = at;
    match verdict {
        Verdict::Drift(why) if matches!(previous.state, TenantState::Ready) => {
            next.state = TenantState::Degraded;
            next.reason = reason(format!("drift: {why}"));
        }
        Verdict::AsAsked
            if matches!(previous.state, TenantState::Ready | TenantState::Degraded)
                && previous.observed_generation == previous.generation =>
        {
            next.attempts = 0;
            if previous.state == TenantState::Degraded {
                next.state = TenantState::Ready;
                next.reason = reason("observed as asked");
            }
        }
        _ => {}
    }
    next
}

/// The entry after the reconciler failed at `at` to read the tenant's
/// status, or to bring it where it should be, for reason `why`: one more
/// failed attempt (the backoff grows), the state as it was.
pub fn attempt_failed(previous: &TenantEntry, why: &str, at: DateTime<Utc>) -> TenantEntry {
    let mut next = previous.clone();
    next.attempts = previous.attempts.saturating_add(1);
    next.reason = reason(why);
    next.updated_at = at;
    next
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
                reason: None,
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

    fn request(operation: Operation, spec: Option<serde_json::Value>) -> Request {
        Request {
            operation,
            provider: "mock".into(),
            spec,
            at: Utc::now(),
        }
    }

    #[test]
    fn a_request_bumps_the_generation_and_success_observes_it() {
        let spec = json!({"tenant_id": "acme", "v": 1});
        let asked = requested(
            None,
            "acme",
            &request(Operation::Provision, Some(spec.clone())),
        )
        .unwrap();
        assert_eq!(asked.state, TenantState::Provisioning);
        assert_eq!((asked.generation, asked.observed_generation), (1, 0));
        let done = next_entry(
            Some(&asked),
            &call(Operation::Provision, CallOutcome::Ok, Some(spec.clone())),
        )
        .unwrap();
        assert_eq!(done.state, TenantState::Ready);
        assert_eq!((done.generation, done.observed_generation), (1, 1));
        assert_eq!(done.last_outcome, Outcome::Ok);
        assert_eq!(
            transition(Some(&asked), &done).map(|t| (t.from, t.to)),
            Some((Some(TenantState::Provisioning), TenantState::Ready))
        );

        // A failed update leaves it degraded, desired spec and one attempt
        // recorded, the last result kept.
        let v2 = json!({"tenant_id": "acme", "v": 2});
        let updating = requested(
            Some(&done),
            "acme",
            &request(Operation::Update, Some(v2.clone())),
        )
        .unwrap();
        assert_eq!(updating.state, TenantState::Updating);
        assert_eq!(updating.generation, 2);
        let update = call(
            Operation::Update,
            failed(ErrorKind::OperationFailed),
            Some(v2.clone()),
        );
        let second = next_entry(Some(&updating), &update).unwrap();
        assert_eq!(second.state, TenantState::Degraded);
        assert_eq!((second.generation, second.observed_generation), (2, 1));
        assert_eq!(second.attempts, 1);
        assert_eq!(
            second.last_outcome,
            Outcome::Failed(ErrorKind::OperationFailed)
        );
        assert_eq!(second.spec, Some(v2));
        assert_eq!(second.result, done.result);
        assert_eq!(second.reason.as_deref(), Some("update failed: no"));
    }

    #[test]
    fn destroy_ends_deleted_and_a_failed_one_stays_deleting() {
        let spec = json!({"tenant_id": "acme"});
        let first = next_entry(
            None,
            &call(Operation::Provision, CallOutcome::Ok, Some(spec.clone())),
        )
        .unwrap();
        let deleting = requested(Some(&first), "acme", &request(Operation::Destroy, None)).unwrap();
        assert_eq!(deleting.state, TenantState::Deleting);
        assert_eq!(deleting.spec, Some(spec.clone()));
        let stuck = next_entry(
            Some(&deleting),
            &call(Operation::Destroy, failed(ErrorKind::Timeout), None),
        )
        .unwrap();
        assert_eq!((stuck.state, stuck.attempts), (TenantState::Deleting, 1));
        let gone = next_entry(
            Some(&stuck),
            &call(Operation::Destroy, CallOutcome::Ok, None),
        )
        .unwrap();
        assert_eq!(gone.state, TenantState::Deleted);
        assert_eq!((gone.observed_generation, gone.attempts), (0, 0));
        assert_eq!(gone.spec, Some(spec));
        assert_eq!(gone.result, first.result);
        assert_eq!(
            requested(None, "x", &request(Operation::Destroy, None)),
            None
        );
        assert_eq!(
            requested(None, "x", &request(Operation::Update, Some(json!({})))),
            None
        );
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
    fn the_reconcilers_reason_is_kept_and_observations_move_ready_and_degraded() {
        let spec = json!({"tenant_id": "acme"});
        let ready = next_entry(
            None,
            &call(Operation::Provision, CallOutcome::Ok, Some(spec.clone())),
        )
        .unwrap();
        let now = Utc::now();
        let drift = Verdict::Drift("container web missing".into());
        let degraded = observed(&ready, None, &drift, now);
        assert_eq!(degraded.state, TenantState::Degraded);
        assert_eq!(
            degraded.reason.as_deref(),
            Some("drift: container web missing")
        );
        assert_eq!(degraded.observed_at, Some(now));
        let mut heal = call(Operation::Provision, CallOutcome::Ok, Some(spec));
        heal.record.reason = Some("drift: container web missing".into());
        let healed = next_entry(Some(&degraded), &heal).unwrap();
        assert_eq!(healed.state, TenantState::Ready);
        assert_eq!(
            healed.reason.as_deref(),
            Some("provision succeeded: drift: container web missing")
        );
        // Seen as asked again: a degraded tenant at its generation is ready.
        let again = observed(&degraded, Some(json!({})), &Verdict::AsAsked, now);
        assert_eq!(again.state, TenantState::Ready);
        let failed = attempt_failed(&ready, "status failed: trap", now);
        assert_eq!((failed.state, failed.attempts), (TenantState::Ready, 1));
        assert_eq!(
            observed(&failed, None, &Verdict::AsAsked, now).attempts,
            0,
            "seen as asked, the attempts start over"
        );
        // A tenant on its way is left as it is.
        let settling = observed(&ready, None, &Verdict::Settling("starting".into()), now);
        assert_eq!(settling.state, TenantState::Ready);
        // Reasons are escaped and bounded.
        let long = observed(&ready, None, &Verdict::Drift("\u{1b}".repeat(2000)), now);
        let why = long.reason.unwrap();
        assert!(
            why.len() <= MAX_REASON + 40 && !why.contains('\u{1b}'),
            "{why}"
        );
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
        for state in TenantState::ALL {
            assert_eq!(serde_json::to_value(state).unwrap(), json!(state.as_str()));
            assert_eq!(state.as_str().parse::<TenantState>(), Ok(state));
        }
        assert!(
            "gone"
                .parse::<TenantState>()
                .unwrap_err()
                .contains("provisioning, ready, updating, degraded, failed, deleting, deleted")
        );
    }
}
