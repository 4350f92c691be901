//! A tenant's status from what the engine says about its containers.

use crate::bindings::landlord::compute::types::{ComputeState, ContainerStatus, HealthStatus};
use crate::engine::ContainerDetails;

/// The status of one container, named `name` in the spec.
pub(crate) fn container(name: &str, details: &ContainerDetails) -> ContainerStatus {
    let state = &details.state;
    let health = state
        .health
        .as_ref()
        .map(|health| health.status.as_str())
        .filter(|status| !status.is_empty() && *status != "none");
    let mut notes = Vec::new();
    if matches!(state.status.as_str(), "exited" | "dead") {
        notes.push(format!("{} (code {})", state.status, state.exit_code));
    }
    if state.oom_killed {
        notes.push("killed for using more than its memory limit".to_owned());
    }
    if !state.error.is_empty() {
        notes.push(format!("error: {}", state.error));
    }
    if let Some(health) = health {
        notes.push(format!("health: {health}"));
    }
    ContainerStatus {
        name: name.to_owned(),
        state: state.status.clone(),
        ready: state.status == "running" && health.is_none_or(|health| health == "healthy"),
        restart_count: details.restart_count,
        message: (!notes.is_empty()).then(|| notes.join("; ")),
    }
}

/// The tenant's state from its containers' engine states: any `exited` or
/// `dead` → failed; else any `created` or `restarting` → starting; else all
/// `running` → running; `removing` → stopping; otherwise (`paused`) unknown.
pub(crate) fn tenant_state<'a>(states: impl IntoIterator<Item = &'a str>) -> ComputeState {
    let states: Vec<&str> = states.into_iter().collect();
    let any = |wanted: &[&str]| states.iter().any(|state| wanted.contains(state));
    if any(&["exited", "dead"]) {
        ComputeState::Failed
    } else if any(&["created", "restarting"]) {
        ComputeState::Starting
    } else if !states.is_empty() && states.iter().all(|state| *state == "running") {
        ComputeState::Running
    } else if any(&["removing"]) {
        ComputeState::Stopping
    } else {
        ComputeState::Unknown
    }
}

/// The tenant's health: unhealthy if any checked container is unhealthy,
/// healthy if every checked container is healthy (and one is checked),
/// else unknown (no checks, or some still starting).
pub(crate) fn tenant_health<'a>(
    containers: impl IntoIterator<Item = &'a ContainerDetails>,
) -> HealthStatus {
    let checked: Vec<&str> = containers
        .into_iter()
        .filter_map(|details| details.state.health.as_ref())
        .map(|health| health.status.as_str())
        .filter(|status| !status.is_empty() && *status != "none")
        .collect();
    if checked.contains(&"unhealthy") {
        HealthStatus::Unhealthy
    } else if !checked.is_empty() && checked.iter().all(|status| *status == "healthy") {
        HealthStatus::Healthy
    } else {
        HealthStatus::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{ContainerState, Health};

    fn details(status: &str, health: Option<&str>, exit_code: i64) -> ContainerDetails {
        ContainerDetails {
            restart_count: 3,
            state: ContainerState {
                status: status.into(),
                exit_code,
                health: health.map(|status| Health {
                    status: status.into(),
                }),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn a_container_is_ready_when_running_and_healthy_if_checked() {
        let running = container("web", &details("running", None, 0));
        assert!(running.ready);
        assert_eq!(running.state, "running");
        assert_eq!(running.restart_count, 3);
        assert_eq!(running.message, None);
        let healthy = container("web", &details("running", Some("healthy"), 0));
        assert!(healthy.ready);
        assert_eq!(healthy.message.as_deref(), Some("health: healthy"));
        let starting = container("web", &details("running", Some("starting"), 0));
        assert!(!starting.ready);
        let exited = container("web", &details("exited", Some("unhealthy"), 137));
        assert!(!exited.ready);
        assert_eq!(
            exited.message.as_deref(),
            Some("exited (code 137); health: unhealthy")
        );
        let mut oom = details("exited", None, 137);
        oom.state.oom_killed = true;
        assert_eq!(
            container("web", &oom).message.as_deref(),
            Some("exited (code 137); killed for using more than its memory limit")
        );
    }

    #[test]
    fn the_tenant_state_aggregates_its_containers() {
        assert_eq!(tenant_state(["running", "running"]), ComputeState::Running);
        assert_eq!(tenant_state(["running", "created"]), ComputeState::Starting);
        assert_eq!(
            tenant_state(["restarting", "running"]),
            ComputeState::Starting
        );
        assert_eq!(tenant_state(["running", "exited"]), ComputeState::Failed);
        assert_eq!(tenant_state(["created", "dead"]), ComputeState::Failed);
        assert_eq!(
            tenant_state(["running", "removing"]),
            ComputeState::Stopping
        );
        assert_eq!(tenant_state(["paused"]), ComputeState::Unknown);
        assert_eq!(tenant_state([]), ComputeState::Unknown);
    }

    #[test]
    fn the_tenant_health_aggregates_checked_containers() {
        let healthy = details("running", Some("healthy"), 0);
        let unchecked = details("running", None, 0);
        let starting = details("running", Some("starting"), 0);
        let unhealthy = details("running", Some("unhealthy"), 0);
        assert_eq!(tenant_health([&healthy, &unchecked]), HealthStatus::Healthy);
        assert_eq!(tenant_health([&healthy, &starting]), HealthStatus::Unknown);
        assert_eq!(
            tenant_health([&healthy, &unhealthy]),
            HealthStatus::Unhealthy
        );
        assert_eq!(tenant_health([&unchecked]), HealthStatus::Unknown);
    }
}
