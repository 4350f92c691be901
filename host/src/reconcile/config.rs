//! The `[reconcile]` table of `landlord.toml` (or `reconcile = false`).

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

/// How often, how widely and how patiently the reconciler works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconcileConfig {
    /// Whether `landlord serve` runs the reconciler (`reconcile = false`
    /// turns it off; `landlord reconcile` runs regardless).
    pub enabled: bool,
    /// Time between the starts of two passes.
    pub interval: Duration,
    /// Tenants reconciled at once, at most.
    pub concurrency: usize,
    /// Failed attempts after which the reconciler stops retrying a tenant
    /// (until a user asks again).
    pub max_attempts: u32,
    /// The wait before the first retry; each further retry waits twice as
    /// long, up to `backoff_max`, with jitter.
    pub backoff_base: Duration,
    /// The longest wait between two retries.
    pub backoff_max: Duration,
    /// How long a result `in_progress` is polled before the attempt counts
    /// as failed.
    pub deadline: Duration,
}

/// The defaults, as documented in docs/reconcile.md.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);
/// See [`ReconcileConfig::concurrency`].
pub const DEFAULT_CONCURRENCY: usize = 4;
/// See [`ReconcileConfig::max_attempts`].
pub const DEFAULT_MAX_ATTEMPTS: u32 = 8;
/// See [`ReconcileConfig::backoff_base`].
pub const DEFAULT_BACKOFF_BASE: Duration = Duration::from_secs(1);
/// See [`ReconcileConfig::backoff_max`].
pub const DEFAULT_BACKOFF_MAX: Duration = Duration::from_secs(300);
/// See [`ReconcileConfig::deadline`].
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(120);

impl Default for ReconcileConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            interval: DEFAULT_INTERVAL,
            concurrency: DEFAULT_CONCURRENCY,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            backoff_base: DEFAULT_BACKOFF_BASE,
            backoff_max: DEFAULT_BACKOFF_MAX,
            deadline: DEFAULT_DEADLINE,
        }
    }
}

impl ReconcileConfig {
    /// What deserialization cannot check.
    pub fn check(&self) -> Result<(), String> {
        let at_least = |key: &str, value: Duration, least: Duration| {
            if value < least {
                Err(format!(
                    "reconcile.{key}: {} is too short; use at least {}",
                    humantime::format_duration(value),
                    humantime::format_duration(least)
                ))
            } else {
                Ok(())
            }
        };
        at_least("interval", self.interval, Duration::from_millis(100))?;
        at_least("backoff_base", self.backoff_base, Duration::from_millis(10))?;
        at_least("deadline", self.deadline, Duration::from_secs(1))?;
        if self.backoff_max < self.backoff_base {
            return Err(format!(
                "reconcile.backoff_max: {} is shorter than backoff_base ({}); make it at least as long",
                humantime::format_duration(self.backoff_max),
                humantime::format_duration(self.backoff_base)
            ));
        }
        if self.concurrency == 0 || self.concurrency > 256 {
            return Err(format!(
                "reconcile.concurrency: {} is out of range; use 1 to 256",
                self.concurrency
            ));
        }
        if self.max_attempts == 0 {
            return Err("reconcile.max_attempts: must be at least 1".into());
        }
        Ok(())
    }
}

/// A duration written for people (`30s`, `2m`, `500ms`), as `--interval`
/// and the config take it.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text).map_err(|err| {
        format!(
            "{}: {err}; write a duration such as 30s, 2m or 500ms",
            crate::text::for_message(text)
        )
    })
}

/// The `[reconcile]` table as written; every key optional.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    enabled: Option<bool>,
    interval: Option<String>,
    concurrency: Option<usize>,
    max_attempts: Option<u32>,
    backoff_base: Option<String>,
    backoff_max: Option<String>,
    deadline: Option<String>,
}

impl Table {
    fn into_config<E: de::Error>(self) -> Result<ReconcileConfig, E> {
        let defaults = ReconcileConfig::default();
        let duration = |key: &str, text: Option<String>, default: Duration| match text {
            Some(text) => parse_duration(&text).map_err(|err| E::custom(format!("{key}: {err}"))),
            None => Ok(default),
        };
        Ok(ReconcileConfig {
            enabled: self.enabled.unwrap_or(true),
            interval: duration("interval", self.interval, defaults.interval)?,
            concurrency: self.concurrency.unwrap_or(defaults.concurrency),
            max_attempts: self.max_attempts.unwrap_or(defaults.max_attempts),
            backoff_base: duration("backoff_base", self.backoff_base, defaults.backoff_base)?,
            backoff_max: duration("backoff_max", self.backoff_max, defaults.backoff_max)?,
            deadline: duration("deadline", self.deadline, defaults.deadline)?,
        })
    }
}

impl<'de> Deserialize<'de> for ReconcileConfig {
    /// `reconcile = false` (or `true`), or a `[reconcile]` table.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Either;
        impl<'de> Visitor<'de> for Either {
            type Value = ReconcileConfig;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("`reconcile = false`, or a [reconcile] table")
            }
            fn visit_bool<E: de::Error>(self, enabled: bool) -> Result<Self::Value, E> {
                Ok(ReconcileConfig {
                    enabled,
                    ..ReconcileConfig::default()
                })
            }
            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Self::Value, M::Error> {
                Table::deserialize(de::value::MapAccessDeserializer::new(map))?.into_config()
            }
        }
        deserializer.deserialize_any(Either)
    }
}
