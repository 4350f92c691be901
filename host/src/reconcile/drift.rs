//! What counts as drift, and what the reconciler does about it: pure
//! functions of the tenant's index entry and what its provider reports.

use crate::compute::{ComputeState, ComputeStatus, HealthStatus};
use crate::state::{TenantEntry, TenantState, Verdict};

/// Container states that mean the container is not running and will not
/// come back by itself: `created` is a container made but never started
/// (its provision was cut short), which nothing will start.
const DOWN: [&str; 6] = ["created", "exited", "dead", "failed", "stopped", "removed"];

/// Judge `status` against the containers the desired spec names:
/// - a desired container missing from the status, or down (created but
///   never started, exited, dead, failed, stopped), or the tenant
///   `failed`/`stopped` as a whole, is drift;
/// - a tenant starting or stopping, or a container running but not (yet)
///   passing its health check, is settling: shown, not acted on (replacing
///   a container with the same spec would not make it healthy);
/// - anything else runs as asked.
pub(crate) fn judge(desired: &[String], status: &ComputeStatus) -> Verdict {
    for name in desired {
        match status.containers.iter().find(|seen| seen.name == *name) {
            None => return Verdict::Drift(format!("container {name} missing")),
            Some(seen) if DOWN.contains(&seen.state.as_str()) => {
                let detail = seen.message.as_deref().unwrap_or(&seen.state);
                return Verdict::Drift(format!("container {name} {detail}"));
            }
            Some(_) => {}
        }
    }
    match status.state {
        ComputeState::Failed => return Verdict::Drift("the provider reports it failed".into()),
        ComputeState::Stopped => return Verdict::Drift("the provider reports it stopped".into()),
        ComputeState::Starting => return Verdict::Settling("starting".into()),
        ComputeState::Stopping => return Verdict::Settling("stopping".into()),
        ComputeState::Running | ComputeState::Unknown => {}
    }
    if let Some(unready) = status.containers.iter().find(|seen| !seen.ready) {
        return Verdict::Settling(format!("container {} not ready", unready.name));
    }
    if status.health == HealthStatus::Unhealthy {
        return Verdict::Settling("unhealthy".into());
    }
    Verdict::AsAsked
}

/// What the reconciler does to a tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// Provision the desired spec (providers' provision creates what is
    /// missing and leaves what runs as asked).
    Provision,
    /// Update to the desired spec.
    Update,
    /// Finish a destroy.
    Destroy,
}

/// What the provider said about the tenant.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Seen {
    /// It has no such tenant.
    Missing,
    /// Its status, judged.
    Judged(Verdict),
}

/// The action `entry` needs, given what was `seen`, and why; `None` when it
/// runs as asked (or is settling).
pub(crate) fn plan(entry: &TenantEntry, seen: &Seen) -> Option<(Action, String)> {
    let generation = entry.generation;
    if entry.state == TenantState::Deleting {
        return Some((Action::Destroy, "destroy not finished".into()));
    }
    if entry.state == TenantState::Deleted {
        return None;
    }
    let unfinished = matches!(entry.state, TenantState::Provisioning | TenantState::Failed)
        || entry.observed_generation == 0;
    if *seen == Seen::Missing {
        let why = if unfinished {
            format!("provision not finished (generation {generation})")
        } else {
            "drift: the provider has no such tenant".into()
        };
        return Some((Action::Provision, why));
    }
    if unfinished {
        return Some((
            Action::Provision,
            format!("provision not finished (generation {generation})"),
        ));
    }
    if entry.observed_generation < generation {
        return Some((
            Action::Update,
            format!(
                "generation {generation} not applied (observed {})",
                entry.observed_generation
            ),
        ));
    }
    match seen {
        Seen::Judged(Verdict::Drift(why)) => Some((Action::Provision, format!("drift: {why}"))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::compute::{ContainerStatus, Operation};
    use crate::state::Outcome;

    fn container(name: &str, state: &str, ready: bool) -> ContainerStatus {
        ContainerStatus {
            name: name.into(),
            state: state.into(),
            ready,
            restart_count: 0,
            message: (state == "exited").then(|| "exited (code 137)".into()),
        }
    }

    fn status(state: ComputeState, containers: Vec<ContainerStatus>) -> ComputeStatus {
        ComputeStatus {
            tenant_id: "acme".into(),
            provider_type: "docker".into(),
            state,
            containers,
            health: HealthStatus::Unknown,
            last_updated: Utc::now(),
            metadata: Default::default(),
        }
    }

    fn entry(state: TenantState, generation: u64, observed: u64) -> TenantEntry {
        TenantEntry {
            tenant_id: "acme".into(),
            provider: "docker".into(),
            state,
            generation,
            observed_generation: observed,
            reason: None,
            last_operation: Operation::Provision,
            last_outcome: Outcome::Ok,
            attempts: 0,
            spec: None,
            result: None,
            observed: None,
            observed_at: None,
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn missing_and_exited_containers_are_drift_settling_is_not() {
        let desired = ["web".to_owned(), "worker".to_owned()];
        let both = |worker: ContainerStatus| {
            status(
                ComputeState::Running,
                vec![container("web", "running", true), worker],
            )
        };
        assert_eq!(
            judge(&desired, &both(container("worker", "running", true))),
            Verdict::AsAsked
        );
        assert_eq!(
            judge(
                &desired,
                &status(
                    ComputeState::Running,
                    vec![container("web", "running", true)]
                )
            ),
            Verdict::Drift("container worker missing".into())
        );
        assert_eq!(
            judge(&desired, &both(container("worker", "exited", false))),
            Verdict::Drift("container worker exited (code 137)".into())
        );
        assert_eq!(
            judge(&desired, &both(container("worker", "running", false))),
            Verdict::Settling("container worker not ready".into())
        );
        let mut starting = both(container("worker", "restarting", false));
        starting.state = ComputeState::Starting;
        assert_eq!(
            judge(&desired, &starting),
            Verdict::Settling("starting".into())
        );
        // Created but never started: nothing will start it.
        starting.containers[1] = container("worker", "created", false);
        assert_eq!(
            judge(&desired, &starting),
            Verdict::Drift("container worker created".into())
        );
        let mut failed = both(container("worker", "running", true));
        failed.state = ComputeState::Failed;
        assert!(matches!(judge(&desired, &failed), Verdict::Drift(_)));
    }

    #[test]
    fn the_plan_follows_the_lifecycle() {
        let drift = Seen::Judged(Verdict::Drift("container web missing".into()));
        let fine = Seen::Judged(Verdict::AsAsked);
        // Ready and fine: nothing. Drift: provision the desired spec.
        assert_eq!(plan(&entry(TenantState::Ready, 1, 1), &fine), None);
        assert_eq!(
            plan(&entry(TenantState::Ready, 1, 1), &drift),
            Some((Action::Provision, "drift: container web missing".into()))
        );
        assert_eq!(
            plan(&entry(TenantState::Ready, 1, 1), &Seen::Missing),
            Some((
                Action::Provision,
                "drift: the provider has no such tenant".into()
            ))
        );
        // A newer generation: update; an unfinished provision: provision.
        assert_eq!(
            plan(&entry(TenantState::Degraded, 3, 2), &fine),
            Some((
                Action::Update,
                "generation 3 not applied (observed 2)".into()
            ))
        );
        assert_eq!(
            plan(&entry(TenantState::Provisioning, 1, 0), &Seen::Missing),
            Some((
                Action::Provision,
                "provision not finished (generation 1)".into()
            ))
        );
        assert_eq!(
            plan(&entry(TenantState::Failed, 2, 0), &fine).map(|p| p.0),
            Some(Action::Provision)
        );
        // Deleting: finish it; deleted: nothing.
        assert_eq!(
            plan(&entry(TenantState::Deleting, 2, 1), &fine).map(|p| p.0),
            Some(Action::Destroy)
        );
        assert_eq!(plan(&entry(TenantState::Deleted, 2, 0), &drift), None);
        // Settling: wait.
        let settling = Seen::Judged(Verdict::Settling("starting".into()));
        assert_eq!(plan(&entry(TenantState::Ready, 1, 1), &settling), None);
    }
}
