//! Quarantine: a circuit breaker per provider.
//!
//! A provider that keeps trapping, timing out or running past its limits
//! costs every caller a full sandboxed call (up to its deadline) and tells
//! them nothing new. After [`failures`](QuarantineConfig::failures)
//! contained failures in a row ([`ErrorKind::is_contained`]), all within
//! [`window_seconds`](QuarantineConfig::window_seconds), the host stops
//! calling it for [`cooldown_seconds`](QuarantineConfig::cooldown_seconds):
//! its operations are answered at once with [`ComputeError::Quarantined`],
//! naming the provider and the end of the cool-down. After the cool-down one
//! trial call goes through (the others are still refused while it runs); if
//! it is not a contained failure the provider is back, otherwise the
//! cool-down starts again. Any call that is not a contained failure (a
//! success, or the provider's own "no") resets the count. Other providers
//! are not affected.
//!
//! The breaker lives in the process that makes the calls: `landlord serve`
//! (and the reconciler it runs) keeps it across requests; a one-shot
//! `landlord` command starts with every provider closed.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::compute::{ComputeError, ErrorKind, Operation};

/// The default [`QuarantineConfig::failures`].
pub const DEFAULT_FAILURES: u32 = 5;
/// The default [`QuarantineConfig::window_seconds`].
pub const DEFAULT_WINDOW_SECONDS: u64 = 60;
/// The default [`QuarantineConfig::cooldown_seconds`].
pub const DEFAULT_COOLDOWN_SECONDS: u64 = 30;

/// The `[quarantine]` table of `landlord.toml`; every key optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QuarantineConfig {
    /// Contained failures in a row that quarantine a provider; 0 turns
    /// quarantine off.
    pub failures: u32,
    /// They count only when all fall within this many seconds.
    pub window_seconds: u64,
    /// How long a quarantined provider is not called, seconds.
    pub cooldown_seconds: u64,
}

impl Default for QuarantineConfig {
    fn default() -> Self {
        Self {
            failures: DEFAULT_FAILURES,
            window_seconds: DEFAULT_WINDOW_SECONDS,
            cooldown_seconds: DEFAULT_COOLDOWN_SECONDS,
        }
    }
}

impl QuarantineConfig {
    /// What deserialization cannot check: a window and a cool-down of at
    /// least a second when quarantine is on.
    pub fn check(&self) -> Result<(), String> {
        if self.failures > 0 {
            for (key, value) in [
                ("window_seconds", self.window_seconds),
                ("cooldown_seconds", self.cooldown_seconds),
            ] {
                if value == 0 {
                    return Err(format!(
                        "quarantine.{key}: must be at least 1 while quarantine is on; to turn quarantine off, set failures = 0"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Where a provider's breaker stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    /// Calls go through.
    Closed,
    /// Calls are refused until `until`.
    Open,
    /// The cool-down is over: the next call (or the one in flight) is the
    /// trial.
    Trial,
}

/// One provider's quarantine, as `providers list` and `GET /v1/providers`
/// show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QuarantineView {
    /// Where its breaker stands.
    pub state: BreakerState,
    /// Contained failures in a row, within the window (while closed).
    pub consecutive_failures: u32,
    /// When the cool-down ends (open), or ended (trial).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<DateTime<Utc>>,
    /// How many times it was quarantined since this process started.
    pub times_quarantined: u64,
}

impl QuarantineView {
    /// Closed with nothing counted: every provider before its first failure.
    pub fn closed() -> Self {
        Self {
            state: BreakerState::Closed,
            consecutive_failures: 0,
            until: None,
            times_quarantined: 0,
        }
    }
}

/// One provider's breaker.
#[derive(Debug, Default)]
struct Breaker {
    /// When each of the current run of contained failures happened, oldest
    /// first; at most `failures` kept.
    failures: VecDeque<Instant>,
    /// While quarantined: when the cool-down ends, and its wall-clock time.
    open: Option<(Instant, DateTime<Utc>)>,
    /// How many failures opened it.
    opened_by: u32,
    /// Whether the trial call is in flight.
    trial: bool,
    /// Times quarantined.
    times: u64,
}

/// How one call went, for its provider's breaker.
#[derive(Debug, Clone, Copy)]
struct Call {
    /// It was the trial.
    trial: bool,
    /// It may change a tenant.
    changes: bool,
    /// It failed, contained.
    contained: bool,
}

/// The breakers of every provider this process calls.
#[derive(Debug)]
pub struct Quarantine {
    config: QuarantineConfig,
    breakers: Mutex<HashMap<String, Breaker>>,
}

/// Leave to make one call to a provider: hand it the call's outcome with
/// [`finish`](Permit::finish). Dropped unfinished (the call was cancelled),
/// it counts as nothing, and a trial it held may be made again.
#[must_use = "a permit records the call's outcome when finished"]
pub struct Permit<'a> {
    quarantine: &'a Quarantine,
    provider: String,
    /// Whether the call may change a tenant (provision, update, destroy).
    changes: bool,
    trial: bool,
    finished: bool,
}

impl Quarantine {
    /// Breakers under `config`, all closed.
    pub fn new(config: QuarantineConfig) -> Self {
        Self {
            config,
            breakers: Mutex::new(HashMap::new()),
        }
    }

    /// The rules in force.
    pub fn config(&self) -> QuarantineConfig {
        self.config
    }

    /// Leave to call `provider` for `operation` now, or
    /// [`ComputeError::Quarantined`].
    pub fn admit(&self, provider: &str, operation: Operation) -> Result<Permit<'_>, ComputeError> {
        self.admit_at(provider, operation, Instant::now())
    }

    fn admit_at(
        &self,
        provider: &str,
        operation: Operation,
        now: Instant,
    ) -> Result<Permit<'_>, ComputeError> {
        let mut trial = false;
        if self.config.failures > 0 {
            let mut breakers = self.lock();
            if let Some(breaker) = breakers.get_mut(provider)
                && let Some((until, until_wall)) = breaker.open
            {
                if now < until || breaker.trial {
                    return Err(ComputeError::Quarantined {
                        provider: provider.to_owned(),
                        operation,
                        until: until_wall,
                        failures: breaker.opened_by,
                        trial: breaker.trial,
                    });
                }
                breaker.trial = true;
                trial = true;
            }
        }
        Ok(Permit {
            quarantine: self,
            provider: provider.to_owned(),
            changes: matches!(
                operation,
                Operation::Provision | Operation::Update | Operation::Destroy
            ),
            trial,
            finished: false,
        })
    }

    /// `provider`'s quarantine now.
    pub fn view(&self, provider: &str) -> QuarantineView {
        self.view_at(provider, Instant::now())
    }

    fn view_at(&self, provider: &str, now: Instant) -> QuarantineView {
        let breakers = self.lock();
        let Some(breaker) = breakers.get(provider) else {
            return QuarantineView::closed();
        };
        let window = Duration::from_secs(self.config.window_seconds);
        let (state, until) = match breaker.open {
            Some((until, wall)) if now < until && !breaker.trial => {
                (BreakerState::Open, Some(wall))
            }
            Some((_, wall)) => (BreakerState::Trial, Some(wall)),
            None => (BreakerState::Closed, None),
        };
        QuarantineView {
            state,
            consecutive_failures: if state == BreakerState::Closed {
                let recent = breaker
                    .failures
                    .iter()
                    .filter(|at| now.saturating_duration_since(**at) <= window)
                    .count();
                u32::try_from(recent).unwrap_or(u32::MAX)
            } else {
                breaker.opened_by
            },
            until,
            times_quarantined: breaker.times,
        }
    }

    fn record(&self, provider: &str, call: Call, now: Instant) {
        let Call {
            trial,
            changes,
            contained,
        } = call;
        if self.config.failures == 0 {
            return;
        }
        let mut breakers = self.lock();
        let breaker = breakers.entry(provider.to_owned()).or_default();
        if trial {
            breaker.trial = false;
        }
        // A read that went well says little of a provider whose writes trap
        // (the reconciler reads a tenant's status before every heal): it
        // neither resets the count nor ends a quarantine. As a trial, it
        // lets the next call be the trial.
        if !contained && !changes {
            return;
        }
        if !contained {
            if breaker.open.is_some() && trial {
                tracing::info!(
                    provider,
                    "provider is out of quarantine: its trial call was not a contained failure"
                );
                breaker.open = None;
            }
            breaker.failures.clear();
            return;
        }
        if breaker.open.is_some() {
            // A trial that failed (or a call admitted before the breaker
            // opened, ending after): the cool-down starts again.
            if trial {
                self.open(provider, breaker, now);
            }
            return;
        }
        let window = Duration::from_secs(self.config.window_seconds);
        breaker.failures.push_back(now);
        while breaker
            .failures
            .front()
            .is_some_and(|at| now.saturating_duration_since(*at) > window)
        {
            breaker.failures.pop_front();
        }
        let limit = usize::try_from(self.config.failures).unwrap_or(usize::MAX);
        if breaker.failures.len() >= limit {
            breaker.opened_by = self.config.failures;
            breaker.failures.clear();
            self.open(provider, breaker, now);
        }
    }

    fn open(&self, provider: &str, breaker: &mut Breaker, now: Instant) {
        let cooldown = Duration::from_secs(self.config.cooldown_seconds);
        let wall = Utc::now() + cooldown;
        breaker.open = Some((now + cooldown, wall));
        breaker.times += 1;
        tracing::warn!(
            provider,
            failures = breaker.opened_by,
            until = %wall.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "provider quarantined: it failed, contained, too often in a row"
        );
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Breaker>> {
        // A panic while held leaves counts, not broken invariants: go on.
        self.breakers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Permit<'_> {
    /// Record how the call went: a contained failure counts towards
    /// quarantine, anything else resets the count (and ends a quarantine
    /// when this was the trial).
    pub fn finish(mut self, error: Option<ErrorKind>) {
        self.finish_at(error, Instant::now());
    }

    fn finish_at(&mut self, error: Option<ErrorKind>, now: Instant) {
        self.finished = true;
        let call = Call {
            trial: self.trial,
            changes: self.changes,
            contained: error.is_some_and(ErrorKind::is_contained),
        };
        self.quarantine.record(&self.provider, call, now);
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if !self.finished && self.trial {
            // The trial was cancelled: let the next call be the trial.
            if let Some(breaker) = self.quarantine.lock().get_mut(&self.provider) {
                breaker.trial = false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quarantine(failures: u32) -> Quarantine {
        Quarantine::new(QuarantineConfig {
            failures,
            window_seconds: 60,
            cooldown_seconds: 30,
        })
    }

    fn call(q: &Quarantine, provider: &str, now: Instant, error: Option<ErrorKind>) -> bool {
        call_for(q, provider, Operation::Provision, now, error)
    }

    fn call_for(
        q: &Quarantine,
        provider: &str,
        operation: Operation,
        now: Instant,
        error: Option<ErrorKind>,
    ) -> bool {
        match q.admit_at(provider, operation, now) {
            Ok(mut permit) => {
                permit.finish_at(error, now);
                true
            }
            Err(err) => {
                assert_eq!(err.kind(), ErrorKind::Quarantined);
                assert_eq!(err.provider(), Some(provider));
                false
            }
        }
    }

    #[test]
    fn n_contained_failures_in_a_row_quarantine_and_a_trial_ends_it() {
        let q = quarantine(3);
        let start = Instant::now();
        for i in 0..2 {
            assert!(call(&q, "bad", start, Some(ErrorKind::Trap)), "call {i}");
        }
        assert_eq!(q.view_at("bad", start).consecutive_failures, 2);
        assert!(call(&q, "bad", start, Some(ErrorKind::Timeout)));
        // Open: refused at once, naming the provider; others go on.
        assert!(!call(&q, "bad", start + Duration::from_secs(29), None));
        assert!(call(&q, "good", start, None));
        let view = q.view_at("bad", start);
        assert_eq!(view.state, BreakerState::Open);
        assert_eq!(view.times_quarantined, 1);
        assert_eq!(q.view_at("good", start), QuarantineView::closed());

        // After the cool-down: one trial; others wait while it runs.
        let later = start + Duration::from_secs(30);
        let trial = q.admit_at("bad", Operation::Update, later).unwrap();
        let err = q
            .admit_at("bad", Operation::GetStatus, later)
            .err()
            .unwrap();
        assert!(
            err.to_string().contains("a trial call is being made now"),
            "{err}"
        );
        assert_eq!(q.view_at("bad", later).state, BreakerState::Trial);
        trial.finish(None);
        assert_eq!(
            q.view_at("bad", later),
            QuarantineView {
                times_quarantined: 1,
                ..QuarantineView::closed()
            }
        );
        assert!(call(&q, "bad", later, Some(ErrorKind::Trap)));
    }

    #[test]
    fn reads_that_go_well_neither_reset_the_count_nor_end_a_quarantine() {
        let q = quarantine(2);
        let start = Instant::now();
        let read = |now, error| call_for(&q, "p", Operation::GetStatus, now, error);
        assert!(call(&q, "p", start, Some(ErrorKind::Trap)));
        assert!(read(start, Some(ErrorKind::TenantNotFound)));
        assert!(read(start, None));
        assert!(call(&q, "p", start, Some(ErrorKind::Trap)), "opens it");
        assert_eq!(q.view_at("p", start).state, BreakerState::Open);
        // After the cool-down a read goes through as the trial, but does not
        // close the breaker: the next call is the trial, and a write that
        // traps opens it again.
        let later = start + Duration::from_secs(30);
        assert!(read(later, None));
        assert_eq!(q.view_at("p", later).state, BreakerState::Trial);
        assert!(call(&q, "p", later, Some(ErrorKind::Trap)));
        assert_eq!(q.view_at("p", later).state, BreakerState::Open);
        assert_eq!(q.view_at("p", later).times_quarantined, 2);
        // A contained read counts like any call.
        let q = quarantine(1);
        assert!(call_for(
            &q,
            "r",
            Operation::GetStatus,
            start,
            Some(ErrorKind::Trap)
        ));
        assert_eq!(q.view_at("r", start).state, BreakerState::Open);
    }

    #[test]
    fn a_failed_trial_starts_the_cool_down_again() {
        let q = quarantine(1);
        let start = Instant::now();
        assert!(call(&q, "bad", start, Some(ErrorKind::MemoryLimit)));
        let later = start + Duration::from_secs(31);
        assert!(call(&q, "bad", later, Some(ErrorKind::Trap)), "the trial");
        assert!(!call(&q, "bad", later + Duration::from_secs(29), None));
        assert_eq!(q.view_at("bad", later).times_quarantined, 2);
        assert!(call(&q, "bad", later + Duration::from_secs(30), None));
    }

    #[test]
    fn a_cancelled_trial_lets_the_next_call_be_the_trial() {
        let q = quarantine(1);
        let start = Instant::now();
        assert!(call(&q, "bad", start, Some(ErrorKind::Trap)));
        let later = start + Duration::from_secs(30);
        drop(q.admit_at("bad", Operation::Provision, later).unwrap());
        assert!(call(&q, "bad", later, None));
        assert_eq!(q.view_at("bad", later).state, BreakerState::Closed);
    }

    #[test]
    fn the_providers_own_no_and_old_failures_do_not_count() {
        let q = quarantine(2);
        let start = Instant::now();
        assert!(call(&q, "p", start, Some(ErrorKind::Trap)));
        // The provider answering "no" is not a contained failure: reset.
        assert!(call(&q, "p", start, Some(ErrorKind::ProvisionFailed)));
        assert!(call(&q, "p", start, Some(ErrorKind::Trap)));
        // Outside the window, the earlier failure no longer counts.
        assert!(call(
            &q,
            "p",
            start + Duration::from_secs(61),
            Some(ErrorKind::Trap)
        ));
        assert!(call(&q, "p", start + Duration::from_secs(62), None));
        assert_eq!(q.view_at("p", start).state, BreakerState::Closed);
    }

    #[test]
    fn zero_failures_turns_it_off_and_zero_windows_are_refused() {
        let q = quarantine(0);
        let start = Instant::now();
        for _ in 0..10 {
            assert!(call(&q, "p", start, Some(ErrorKind::Trap)));
        }
        let err = QuarantineConfig {
            cooldown_seconds: 0,
            ..QuarantineConfig::default()
        }
        .check()
        .unwrap_err();
        assert!(
            err.contains("quarantine.cooldown_seconds: must be at least 1"),
            "{err}"
        );
        assert!(
            QuarantineConfig {
                failures: 0,
                cooldown_seconds: 0,
                ..QuarantineConfig::default()
            }
            .check()
            .is_ok()
        );
    }
}
