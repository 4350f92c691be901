//! The reconciler: brings every tenant to its desired state, again and
//! again. `landlord serve` runs it every `[reconcile].interval`; `landlord
//! reconcile` runs it from the command line (`--once` for one pass).
//!
//! One pass looks at every tenant not deleted, at most
//! `[reconcile].concurrency` at once. For each, with the tenant held (the
//! same lock user operations take, across processes too), it reads the
//! status, records what it saw, and — when the tenant is missing, drifted
//! or behind its desired generation ([`drift::plan`]) — provisions, updates
//! or destroys as the desired state says, journaled with the reason.
//! Failures retry with exponential backoff and jitter, up to
//! `max_attempts`; the attempts live in the tenant index, so a one-shot
//! `landlord reconcile --once` from cron keeps the same pace.

mod config;
mod drift;

use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

pub use config::{ReconcileConfig, parse_duration};
use drift::{Action, Seen};

use crate::compute::{
    ComputeError, ErrorKind, Operation, ProvisionStatus, TenantComputeSpec, UpdateStatus, ValidSpec,
};
use crate::service::{Asker, ComputeService};
use crate::state::{
    Outcome, StateError, StateStore, TenantEntry, TenantQuery, TenantState, Verdict,
    attempt_failed, observed, with_reason,
};

/// How long to wait between two looks at a tenant whose operation is in
/// progress.
const POLL: Duration = Duration::from_millis(500);

/// Tenants read from the index at a time.
const PAGE: usize = 500;

/// What became of one tenant in a pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// It runs as asked; nothing done.
    AsAsked,
    /// It is starting, stopping or not ready yet; nothing done.
    Settling,
    /// It was brought to its desired state.
    Healed,
    /// An action (or reading its status) failed; retried after a backoff.
    Failed,
    /// Its backoff has not elapsed.
    Waiting,
    /// Retries are exhausted, or the provider refused its spec: it waits
    /// for a user.
    GivenUp,
    /// Deleted, quarantined, or gone: not looked at.
    Skipped,
}

/// What a pass did, tenant by tenant counted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PassReport {
    /// Tenants looked at (not deleted).
    pub examined: usize,
    /// Running as asked.
    pub as_asked: usize,
    /// Starting, stopping or not ready yet.
    pub settling: usize,
    /// Brought to their desired state.
    pub healed: usize,
    /// Failed this time (retried later).
    pub failed: usize,
    /// Waiting for their backoff.
    pub waiting: usize,
    /// Waiting for a user.
    pub given_up: usize,
    /// Not looked at (quarantined provider, or changed meanwhile).
    pub skipped: usize,
}

impl PassReport {
    fn count(&mut self, step: Step) {
        self.examined += 1;
        *match step {
            Step::AsAsked => &mut self.as_asked,
            Step::Settling => &mut self.settling,
            Step::Healed => &mut self.healed,
            Step::Failed => &mut self.failed,
            Step::Waiting => &mut self.waiting,
            Step::GivenUp => &mut self.given_up,
            Step::Skipped => &mut self.skipped,
        } += 1;
    }
}

/// The reconciler over one [`ComputeService`].
pub struct Reconciler {
    service: Arc<ComputeService>,
    config: ReconcileConfig,
}

impl Reconciler {
    /// A reconciler for `service`'s tenants, paced by `config`.
    pub fn new(service: Arc<ComputeService>, config: ReconcileConfig) -> Self {
        Self { service, config }
    }

    /// One pass over every tenant not deleted (or only `tenant_id`); stops
    /// starting tenants once `stop` is cancelled (those under way finish).
    pub async fn pass(
        &self,
        tenant_id: Option<&str>,
        stop: &CancellationToken,
    ) -> Result<PassReport, StateError> {
        let slots = Arc::new(tokio::sync::Semaphore::new(self.config.concurrency));
        let mut running = tokio::task::JoinSet::new();
        let mut report = PassReport::default();
        let mut after: Option<String> = None;
        'pages: loop {
            let page = match tenant_id {
                Some(id) => self.service.tenant(id)?.into_iter().collect(),
                None => self.service.tenants(&TenantQuery {
                    after: after.clone(),
                    limit: Some(PAGE),
                    ..TenantQuery::default()
                })?,
            };
            let full = tenant_id.is_none() && page.len() == PAGE;
            after = page.last().map(|entry| entry.tenant_id.clone());
            for entry in page {
                if entry.state == TenantState::Deleted {
                    continue;
                }
                let slot = tokio::select! {
                    slot = Arc::clone(&slots).acquire_owned() => slot,
                    () = stop.cancelled() => break 'pages,
                };
                let Ok(slot) = slot else { break 'pages };
                let service = Arc::clone(&self.service);
                let config = self.config;
                running.spawn(async move {
                    let step = reconcile_tenant(&service, &config, &entry.tenant_id).await;
                    drop(slot);
                    step
                });
                while let Some(done) = running.try_join_next() {
                    report.count(done.unwrap_or(Step::Failed));
                }
            }
            if !full {
                break;
            }
        }
        while let Some(done) = running.join_next().await {
            report.count(done.unwrap_or(Step::Failed));
        }
        Ok(report)
    }

    /// Passes every `interval` until `stop` is cancelled; each pass's
    /// report is logged.
    pub async fn run(&self, stop: CancellationToken) {
        let mut ticks = tokio::time::interval(self.config.interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                () = stop.cancelled() => return,
            }
            match self.pass(None, &stop).await {
                Ok(report) => tracing::info!(
                    examined = report.examined,
                    healed = report.healed,
                    failed = report.failed,
                    waiting = report.waiting,
                    given_up = report.given_up,
                    "reconcile pass"
                ),
                Err(err) => tracing::warn!(error = %err, "reconcile pass failed"),
            }
        }
    }
}

/// How long to wait after `attempts` failed attempts on `tenant_id`:
/// `backoff_base · 2^(attempts-1)`, at most `backoff_max`, then between half
/// and all of it (the jitter: tenants that failed together do not retry
/// together). The jitter is a hash of the tenant and attempt, so every
/// process computes the same wait.
pub fn backoff(config: &ReconcileConfig, tenant_id: &str, attempts: u32) -> Duration {
    let doubling = attempts.saturating_sub(1).min(30);
    let full = config
        .backoff_base
        .saturating_mul(1 << doubling)
        .min(config.backoff_max);
    let mut hasher = std::hash::DefaultHasher::new();
    (tenant_id, attempts).hash(&mut hasher);
    let fraction = (hasher.finish() % 1000) as f64 / 1000.0;
    full.mul_f64(0.5 + 0.5 * fraction)
}

/// Why not to act on `entry` now, if so.
fn not_now(entry: &TenantEntry, config: &ReconcileConfig) -> Option<Step> {
    if entry.state == TenantState::Deleted {
        return Some(Step::Skipped);
    }
    if entry.attempts == 0 {
        return None;
    }
    // The provider refused the spec: trying it again changes nothing. Nor
    // does an action that failed `max_attempts` times. Status reads that
    // failed (the engine down a while) are retried at the backoff's pace
    // however long it takes: giving up on them would leave every tenant
    // unhealed after an outage.
    let action_failed = matches!(entry.last_outcome, Outcome::Failed(_));
    if entry.last_outcome == Outcome::Failed(ErrorKind::InvalidSpec)
        || (action_failed && entry.attempts >= config.max_attempts)
    {
        return Some(Step::GivenUp);
    }
    let wait = backoff(config, &entry.tenant_id, entry.attempts);
    let due = entry.updated_at + chrono::Duration::from_std(wait).unwrap_or_default();
    (Utc::now() < due).then_some(Step::Waiting)
}

/// Record `change` of `tenant_id`'s entry (a failed record is logged: the
/// next pass looks again).
fn record(
    service: &ComputeService,
    tenant_id: &str,
    mut change: impl FnMut(&TenantEntry) -> TenantEntry,
) {
    if let Err(err) = service
        .store()
        .change_tenant(tenant_id, &mut |previous| previous.map(&mut change))
    {
        tracing::warn!(tenant_id, error = %err, "recording what the reconciler saw failed");
    }
}

/// Look at the status of `entry`'s tenant, record what was seen, and say it.
/// `None` when the provider is quarantined or the status could not be read
/// (recorded as a failed attempt).
async fn look(service: &ComputeService, entry: &TenantEntry) -> Option<Seen> {
    let id = entry.tenant_id.as_str();
    let status = service.status(id, Some(&entry.provider)).await;
    let now = Utc::now();
    let (seen, status) = match status {
        Ok(status) => (
            Seen::Judged(drift::judge(&desired_containers(entry), &status)),
            Some(status),
        ),
        Err(err) if err.kind() == ErrorKind::TenantNotFound => (Seen::Missing, None),
        Err(err) if err.kind() == ErrorKind::Quarantined => return None,
        Err(err) => {
            let why = format!("status failed: {err}");
            record(service, id, |previous| attempt_failed(previous, &why, now));
            return None;
        }
    };
    let verdict = match &seen {
        Seen::Missing => Verdict::Drift("the provider has no such tenant".into()),
        Seen::Judged(verdict) => verdict.clone(),
    };
    let json = status
        .as_ref()
        .and_then(|status| serde_json::to_value(status).ok());
    record(service, id, |previous| {
        observed(previous, json.clone(), &verdict, now)
    });
    Some(seen)
}

/// The container names of `entry`'s desired spec.
fn desired_containers(entry: &TenantEntry) -> Vec<String> {
    entry
        .spec
        .as_ref()
        .and_then(|spec| spec.get("containers"))
        .and_then(|containers| containers.as_array())
        .map(|containers| {
            containers
                .iter()
                .filter_map(|container| container.get("name")?.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Reconcile one tenant: see the module's documentation.
async fn reconcile_tenant(
    service: &ComputeService,
    config: &ReconcileConfig,
    tenant_id: &str,
) -> Step {
    let Ok(Some(entry)) = service.tenant(tenant_id) else {
        return Step::Skipped;
    };
    if let Some(step) = not_now(&entry, config) {
        return step;
    }
    if service.load(&entry.provider).is_err() {
        return Step::Skipped;
    }
    let Ok(_held) = service
        .hold(tenant_id, &entry.provider, Operation::GetStatus)
        .await
    else {
        return Step::Failed;
    };
    // A user's operation may have run while this waited for the lock.
    let entry = match service.tenant(tenant_id) {
        Ok(Some(entry)) => entry,
        _ => return Step::Skipped,
    };
    if let Some(step) = not_now(&entry, config) {
        return step;
    }
    let seen = if entry.state == TenantState::Deleting {
        Seen::Missing
    } else {
        match look(service, &entry).await {
            Some(seen) => seen,
            None => return Step::Skipped,
        }
    };
    let Some((action, why)) = drift::plan(&entry, &seen) else {
        return match seen {
            Seen::Judged(Verdict::Settling(_)) => Step::Settling,
            _ => Step::AsAsked,
        };
    };
    let why = if entry.attempts > 0 {
        format!("{why} (retry {}/{})", entry.attempts, config.max_attempts)
    } else {
        why
    };
    act(service, config, &entry, action, why).await
}

/// Carry out `action` on `entry`'s tenant (held by the caller), journaled
/// with `why`; then look again, polling while it is in progress.
async fn act(
    service: &ComputeService,
    config: &ReconcileConfig,
    entry: &TenantEntry,
    action: Action,
    why: String,
) -> Step {
    let id = entry.tenant_id.as_str();
    tracing::info!(tenant_id = id, provider = %entry.provider, reason = %why, "reconciling");
    let spec: Option<TenantComputeSpec> = entry
        .spec
        .clone()
        .and_then(|spec| serde_json::from_value(spec).ok());
    let done: Result<bool, ComputeError> = with_reason(why, async {
        if action == Action::Destroy {
            return service
                .destroy_held(id, &entry.provider, Asker::Reconciler)
                .await
                .map(|()| false);
        }
        let Some(spec) = spec.as_ref() else {
            return Err(ComputeError::State {
                provider: entry.provider.clone(),
                operation: Operation::Provision,
                message: "the desired spec in the tenant index is unreadable; provision it again"
                    .into(),
            });
        };
        let valid = ValidSpec::check(spec)?;
        Ok(match action {
            Action::Provision => {
                service
                    .provision_held(valid, Asker::Reconciler)
                    .await?
                    .status
                    == ProvisionStatus::InProgress
            }
            _ => {
                service.update_held(valid, Asker::Reconciler).await?.status
                    == UpdateStatus::InProgress
            }
        })
    })
    .await;
    let in_progress = match done {
        Ok(in_progress) => in_progress,
        Err(err) if err.kind() == ErrorKind::Quarantined => return Step::Skipped,
        Err(err) => {
            tracing::warn!(tenant_id = id, error = %err, "reconcile action failed");
            give_up_if_exhausted(service, config, id);
            return Step::Failed;
        }
    };
    if action == Action::Destroy {
        return Step::Healed;
    }
    // Look again: the index shows what runs now, not what ran before.
    let deadline = tokio::time::Instant::now() + config.deadline;
    loop {
        let Ok(Some(now)) = service.tenant(id) else {
            return Step::Healed;
        };
        match look(service, &now).await {
            Some(Seen::Judged(Verdict::Settling(why))) if in_progress => {
                if tokio::time::Instant::now() >= deadline {
                    let why = format!(
                        "still {why} after {}; retried later",
                        humantime::format_duration(config.deadline)
                    );
                    record(service, id, |previous| {
                        attempt_failed(previous, &why, Utc::now())
                    });
                    return Step::Failed;
                }
                tokio::time::sleep(POLL).await;
            }
            _ => return Step::Healed,
        }
    }
}

/// After a failed action: once the attempts reach `max_attempts`, say in
/// the reason that the reconciler stopped retrying.
fn give_up_if_exhausted(service: &ComputeService, config: &ReconcileConfig, tenant_id: &str) {
    let max = config.max_attempts;
    record(service, tenant_id, |previous| {
        let mut next = previous.clone();
        if previous.attempts >= max {
            let why = previous.reason.as_deref().unwrap_or("failed");
            next.reason = Some(format!(
                "{why}; gave up after {max} attempts: update, provision or destroy it to try again"
            ));
        }
        next
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_failed_actions_and_refused_specs_wait_for_a_user() {
        let config = ReconcileConfig {
            max_attempts: 3,
            backoff_base: Duration::from_millis(10),
            backoff_max: Duration::from_millis(10),
            ..ReconcileConfig::default()
        };
        let mut entry = crate::state::next_entry(
            None,
            &crate::state::FinishedCall {
                record: crate::state::CallRecord {
                    at: Utc::now() - chrono::Duration::seconds(1),
                    provider: "mock".into(),
                    tenant_id: "acme".into(),
                    operation: Operation::Provision,
                    outcome: crate::state::CallOutcome::Ok,
                    duration_ms: 1.0,
                    reason: None,
                },
                spec: Some(serde_json::json!({})),
                result: None,
            },
        )
        .unwrap();
        assert_eq!(not_now(&entry, &config), None);
        // Status reads failing: retried at the backoff's pace, never given up.
        entry.attempts = 10;
        assert_eq!(not_now(&entry, &config), None);
        entry.updated_at = Utc::now();
        assert_eq!(not_now(&entry, &config), Some(Step::Waiting));
        // An action that failed max_attempts times, or a refused spec: a user's turn.
        entry.updated_at = Utc::now() - chrono::Duration::seconds(1);
        entry.last_outcome = Outcome::Failed(ErrorKind::ProvisionFailed);
        entry.attempts = 3;
        assert_eq!(not_now(&entry, &config), Some(Step::GivenUp));
        entry.attempts = 1;
        assert_eq!(not_now(&entry, &config), None);
        entry.last_outcome = Outcome::Failed(ErrorKind::InvalidSpec);
        assert_eq!(not_now(&entry, &config), Some(Step::GivenUp));
        entry.state = TenantState::Deleted;
        assert_eq!(not_now(&entry, &config), Some(Step::Skipped));
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_with_stable_jitter() {
        let config = ReconcileConfig {
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(10),
            ..ReconcileConfig::default()
        };
        for attempts in 1..=6 {
            let full = Duration::from_secs((1u64 << (attempts - 1)).min(10));
            let wait = backoff(&config, "acme", attempts);
            assert!(wait >= full / 2 && wait <= full, "{attempts}: {wait:?}");
            assert_eq!(wait, backoff(&config, "acme", attempts), "stable");
        }
        assert!(backoff(&config, "acme", u32::MAX) <= Duration::from_secs(10));
        let spread: std::collections::BTreeSet<_> = (0..20)
            .map(|i| backoff(&config, &format!("t{i}"), 3))
            .collect();
        assert!(spread.len() > 10, "jitter spreads tenants: {spread:?}");
    }
}
