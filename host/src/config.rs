//! The operator's configuration: `landlord.toml`, plus environment
//! overrides. Where a setting comes from, highest first: a command-line flag,
//! then the environment, then the file, then the default.
//!
//! ```toml
//! default_provider = "mock"          # env COMPUTE_DEFAULT_PROVIDER
//! state_dir = "/var/lib/landlord"    # env LANDLORD_STATE_DIR, flag --state-dir
//!
//! [providers.ecs]
//! component = "providers/ecs.wasm"   # relative to this file
//! sha256 = "9f86d0…"                 # optional pin: a different component is refused
//! grants = ["log", "state", "config"]
//! outbound = ["https://ecs.eu-west-1.amazonaws.com"]   # none unless listed
//! limits = { memory_mib = 32, timeout_ms = 5000, outbound_requests = 200 }
//! config = { region = "eu-1" }
//!
//! [providers.mock]                   # no component: the embedded mock
//! config = { "fail.destroy" = "volume busy" }
//!
//! [providers.docker]                 # embedded; granted the local engine by default
//! engines = ["tcp://127.0.0.1:2375"]  # under the engine policy
//! engine_policy = { allow_bind_mounts = ["/srv/tenants"] }   # loosened, and shown
//! config = { engine = "http://127.0.0.1:2375" }
//!
//! # [server]                         # `landlord serve`; every key optional
//! # listen = "127.0.0.1:7370"        # IP:PORT
//! # cert = "tls/cert.pem"            # TLS: both or neither, relative to this file
//! # key = "tls/key.pem"
//! # body_limit_kib = 1024
//! # request_timeout_ms = 60000
//! # shutdown_grace_ms = 30000
//! #
//! # [quarantine]                     # a circuit breaker per provider
//! # failures = 5                     # contained failures in a row; 0: off
//! # window_seconds = 60              # ...all within this long
//! # cooldown_seconds = 30            # then not called this long; one trial
//! #
//! # [reconcile]                      # or `reconcile = false`: serve runs none
//! # interval = "30s"                 # between passes
//! # concurrency = 4                  # tenants at once
//! # max_attempts = 8                 # failed attempts before it waits for a user
//! # backoff_base = "1s"              # first retry; doubles up to backoff_max
//! # backoff_max = "5m"
//! # deadline = "2m"                  # polling an in-progress result
//! #
//! # [[tokens]]                       # one per client; `landlord token new ci`
//! # name = "ci"                      # prints the token and this table
//! # sha256 = "5d41402a…"             # the token's SHA-256, never the token
//! # scopes = ["read", "write"]       # write includes read
//! ```

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use serde::Deserializer;

use crate::auth::Scope;
use crate::quarantine::QuarantineConfig;
use crate::reconcile::ReconcileConfig;
use crate::sandbox::{Capability, EnginePolicy, Grants, Limits, Origin};

/// The environment variable naming the configuration file.
pub const CONFIG_ENV: &str = "LANDLORD_CONFIG";
/// The environment variable naming the default provider (the seed's name).
pub const DEFAULT_PROVIDER_ENV: &str = "COMPUTE_DEFAULT_PROVIDER";
/// The environment variable naming the state directory.
pub const STATE_DIR_ENV: &str = "LANDLORD_STATE_DIR";
/// The file looked for in the working directory.
pub const CONFIG_FILE_NAME: &str = "landlord.toml";
/// The default provider when nothing names one.
pub const DEFAULT_PROVIDER: &str = "mock";
/// Where `landlord serve` listens when `[server]` names no `listen`.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7370";
/// [`DEFAULT_LISTEN`], parsed.
pub const DEFAULT_LISTEN_ADDR: SocketAddr =
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1)), 7370);
/// The default `server.body_limit_kib`: the largest request body, KiB.
pub const DEFAULT_BODY_LIMIT_KIB: u64 = 1024;
/// The default `server.request_timeout_ms`.
pub const DEFAULT_REQUEST_TIMEOUT_MS: u64 = 60_000;
/// The default `server.shutdown_grace_ms`.
pub const DEFAULT_SHUTDOWN_GRACE_MS: u64 = 30_000;

/// A configuration file that cannot be used; the message names the file,
/// and the key and line where there is one.
#[derive(Debug, thiserror::Error)]
#[error("configuration {}: {message}", path.display())]
pub struct ConfigError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong.
    pub message: String,
}

/// The parsed `landlord.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The provider used when a spec names none.
    pub default_provider: Option<String>,
    /// Where state, the journal and the compiled-component cache live.
    pub state_dir: Option<PathBuf>,
    /// Providers by registry name.
    #[serde(default)]
    pub providers: BTreeMap<String, ProviderEntry>,
    /// `landlord serve`: where it listens, TLS, request limits.
    #[serde(default)]
    pub server: ServerConfig,
    /// The bearer tokens the HTTP API accepts (`[[tokens]]`); none means
    /// no request is authenticated.
    #[serde(default)]
    pub tokens: Vec<TokenEntry>,
    /// When a provider that keeps failing, contained, stops being called
    /// (`[quarantine]`).
    #[serde(default)]
    pub quarantine: QuarantineConfig,
    /// How the reconciler paces itself (`[reconcile]`), or whether `landlord
    /// serve` runs it at all (`reconcile = false`).
    #[serde(default)]
    pub reconcile: ReconcileConfig,
    /// The file this came from, if any (not a key).
    #[serde(skip)]
    pub source: Option<PathBuf>,
}

/// One provider's entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderEntry {
    /// The component file; relative paths are relative to the config file.
    /// Absent for `mock`, which then is the embedded one.
    pub component: Option<PathBuf>,
    /// The component's expected SHA-256, in hex.
    pub sha256: Option<String>,
    /// The capabilities it is granted (`["log", "state", "config"]`);
    /// absent means all.
    pub grants: Option<Vec<Capability>>,
    /// The web origins it may send HTTP requests to
    /// (`"https://ecs.eu-west-1.amazonaws.com"`, `"http://127.0.0.1:8080"`);
    /// none when absent. Unix sockets are engines, not listed here.
    #[serde(default, deserialize_with = "web_origins")]
    pub outbound: Option<Vec<Origin>>,
    /// The Docker engines it may use, every request under the engine
    /// policy (`"unix:///var/run/docker.sock"`, `"tcp://10.0.0.5:2375"`,
    /// `"https://engine.example:2376"`). Absent means none, except for an
    /// embedded provider's own default (the docker provider's local
    /// engine); `[]` removes that too.
    #[serde(default, deserialize_with = "engine_origins")]
    pub engines: Option<Vec<Origin>>,
    /// What the engine policy loosens for this provider
    /// (`{ allow_bind_mounts = ["/srv/tenants"] }`); strict when absent.
    pub engine_policy: Option<EnginePolicy>,
    /// Limits that differ from the defaults.
    #[serde(default)]
    pub limits: LimitOverrides,
    /// Key/values the provider reads through its `config` import.
    #[serde(default)]
    pub config: BTreeMap<String, String>,
}

/// The `[server]` table: how `landlord serve` listens and what it accepts.
/// Every key is optional; the accessors apply the defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// The socket address to listen on, `IP:PORT`; [`DEFAULT_LISTEN`] when
    /// absent.
    #[serde(default, deserialize_with = "socket_address")]
    pub listen: Option<SocketAddr>,
    /// The TLS certificate chain, PEM; relative to the config file. With
    /// `key`, the server speaks HTTPS; without both, plain HTTP.
    pub cert: Option<PathBuf>,
    /// The TLS private key, PEM; relative to the config file.
    pub key: Option<PathBuf>,
    /// The largest request body, KiB; [`DEFAULT_BODY_LIMIT_KIB`] when absent.
    #[serde(default, deserialize_with = "body_limit_kib")]
    pub body_limit_kib: Option<u64>,
    /// How long one request may take, milliseconds;
    /// [`DEFAULT_REQUEST_TIMEOUT_MS`] when absent.
    #[serde(default, deserialize_with = "request_timeout_ms")]
    pub request_timeout_ms: Option<u64>,
    /// How long a shutdown waits for requests in flight, milliseconds;
    /// [`DEFAULT_SHUTDOWN_GRACE_MS`] when absent.
    #[serde(default, deserialize_with = "shutdown_grace_ms")]
    pub shutdown_grace_ms: Option<u64>,
}

impl ServerConfig {
    /// Where to listen: `listen`, else [`DEFAULT_LISTEN`].
    pub fn listen_addr(&self) -> SocketAddr {
        self.listen.unwrap_or(DEFAULT_LISTEN_ADDR)
    }

    /// The certificate and key files when TLS is configured (`Config::parse`
    /// has made sure there are both or neither).
    pub fn tls(&self) -> Option<(&Path, &Path)> {
        Some((self.cert.as_deref()?, self.key.as_deref()?))
    }

    /// The largest request body, bytes.
    pub fn body_limit(&self) -> usize {
        size(self.body_limit_kib.unwrap_or(DEFAULT_BODY_LIMIT_KIB), 10)
    }

    /// How long one request may take.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(
            self.request_timeout_ms
                .unwrap_or(DEFAULT_REQUEST_TIMEOUT_MS),
        )
    }

    /// How long a shutdown waits for requests in flight.
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_millis(self.shutdown_grace_ms.unwrap_or(DEFAULT_SHUTDOWN_GRACE_MS))
    }

    /// Resolve `cert` and `key` against `base`, the config file's directory,
    /// and make sure there are both or neither.
    fn resolve(&mut self, base: &Path) -> Result<(), String> {
        for file in [&mut self.cert, &mut self.key].into_iter().flatten() {
            if file.is_relative() {
                *file = base.join(&*file);
            }
        }
        match (&self.cert, &self.key) {
            (Some(_), None) => Err(
                "[server]: missing key `key` (the PEM private key for `cert`; TLS needs both, plain HTTP neither)"
                    .to_owned(),
            ),
            (None, Some(_)) => Err(
                "[server]: missing key `cert` (the PEM certificate chain for `key`; TLS needs both, plain HTTP neither)"
                    .to_owned(),
            ),
            _ => Ok(()),
        }
    }
}

/// What deserialization cannot check of `[[tokens]]`: digests, and names
/// and digests unique. A digest is never quoted (an operator may have
/// pasted the token itself there); `text`, the file, gives the line.
fn check_tokens(tokens: &[TokenEntry], text: &str) -> Result<(), String> {
    for (index, token) in tokens.iter().enumerate() {
        let name = &token.name;
        let at = |key: &str| match token_key_line(text, index, key) {
            Some(line) => format!("tokens[{index}].{key} (token '{name}', line {line})"),
            None => format!("tokens[{index}].{key} (token '{name}')"),
        };
        if !crate::auth::is_digest(&token.sha256) {
            let digest = &token.sha256;
            let length = digest.chars().count();
            let what = if digest.starts_with(crate::auth::TOKEN_PREFIX) {
                "is a token, not its digest: the file keeps only a token's SHA-256 (and this token, having been written down, is best replaced)".to_owned()
            } else if length == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit()) {
                "is not in lowercase hex; write the SHA-256 with 0-9 and a-f".to_owned()
            } else {
                format!(
                    "is not a SHA-256 in lowercase hex (64 characters of 0-9 and a-f; it has {length} characters{})",
                    if length == 64 {
                        ", not all of them hex digits"
                    } else {
                        ""
                    }
                )
            };
            return Err(format!(
                "{}: {what}; generate a token and its digest with `landlord token new {name}`",
                at("sha256")
            ));
        }
        let earlier = &tokens[..index];
        if earlier.iter().any(|other| other.name == token.name) {
            return Err(format!(
                "{}: another token is named '{name}'; each token needs its own name, which logs and the journal show for its requests",
                at("name")
            ));
        }
        if let Some(other) = earlier.iter().find(|other| other.sha256 == token.sha256) {
            return Err(format!(
                "{}: token '{}' has the same digest, so one token would be both; give each client its own token (`landlord token new {name}`)",
                at("sha256"),
                other.name
            ));
        }
    }
    Ok(())
}

/// The line (from 1) where `tokens[index].key` is written in `text`.
fn token_key_line(text: &str, index: usize, key: &str) -> Option<usize> {
    let document = toml::de::DeTable::parse(text).ok()?;
    let tokens = document.get_ref().get("tokens")?.get_ref().as_array()?;
    let value = tokens.get(index)?.get_ref().as_table()?.get(key)?;
    Some(text.get(..value.span().start)?.matches('\n').count() + 1)
}

/// One `[[tokens]]` entry: a client of the HTTP API.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenEntry {
    /// Who the client is, in logs and the journal: 1 to 64 characters of
    /// `A-Za-z0-9._-`, unique among the tokens.
    #[serde(deserialize_with = "token_name")]
    pub name: String,
    /// The SHA-256 of the token, 64 lowercase hex characters
    /// ([`crate::auth::digest`]); the token itself is never in the file.
    pub sha256: String,
    /// What the token allows, at least one; `write` includes `read`
    /// ([`crate::auth::allows`]). Sorted, each once.
    #[serde(deserialize_with = "scope_list")]
    pub scopes: Vec<Scope>,
}

/// `server.listen`: an IP address and a port, with a message that shows one.
fn socket_address<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<SocketAddr>, D::Error> {
    let text = String::deserialize(deserializer)?;
    text.parse().map(Some).map_err(|_| {
        serde::de::Error::custom(format!(
            "server.listen: {} is not a socket address; give an IP address and a port, for example listen = \"{DEFAULT_LISTEN}\", \"0.0.0.0:7370\" or \"[::1]:7370\" (host names are not looked up)",
            crate::compute::validation::quoted(&text)
        ))
    })
}

/// A `[server]` count that must not be zero; the message names `key` and
/// its default.
fn positive<'de, D: Deserializer<'de>>(
    deserializer: D,
    key: &str,
    default: u64,
) -> Result<Option<u64>, D::Error> {
    match u64::deserialize(deserializer)? {
        0 => Err(serde::de::Error::custom(format!(
            "server.{key}: must be at least 1; leave it out for the default, {default}"
        ))),
        value => Ok(Some(value)),
    }
}

fn body_limit_kib<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    positive(deserializer, "body_limit_kib", DEFAULT_BODY_LIMIT_KIB)
}

fn request_timeout_ms<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    positive(
        deserializer,
        "request_timeout_ms",
        DEFAULT_REQUEST_TIMEOUT_MS,
    )
}

fn shutdown_grace_ms<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    positive(deserializer, "shutdown_grace_ms", DEFAULT_SHUTDOWN_GRACE_MS)
}

/// `[[tokens]] name`: [`crate::auth::check_token_name`].
fn token_name<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let name = String::deserialize(deserializer)?;
    crate::auth::check_token_name(&name).map_err(|reason| {
        serde::de::Error::custom(format!(
            "tokens.name: invalid token name: {reason}; {}",
            crate::auth::TOKEN_NAME_RULE
        ))
    })?;
    Ok(name)
}

/// `[[tokens]] scopes`: at least one, sorted, each once.
fn scope_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Scope>, D::Error> {
    let mut scopes = Vec::<String>::deserialize(deserializer)?
        .iter()
        .map(|text| text.parse::<Scope>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| serde::de::Error::custom(format!("tokens.scopes: {err}")))?;
    if scopes.is_empty() {
        return Err(serde::de::Error::custom(
            "tokens.scopes: a token needs at least one scope: \"read\" (look at tenants) or \"write\" (change them; includes read)",
        ));
    }
    scopes.sort_unstable();
    scopes.dedup();
    Ok(scopes)
}

/// Limits in operator units; each absent one keeps its default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitOverrides {
    /// Linear memory, MiB.
    pub memory_mib: Option<u64>,
    /// Deadline per call, milliseconds.
    pub timeout_ms: Option<u64>,
    /// Fuel per call.
    pub fuel: Option<u64>,
    /// stdout and stderr per call, KiB each.
    pub output_kib: Option<u64>,
    /// Messages per call through the `log` import.
    pub log_messages: Option<u64>,
    /// Bytes of log messages per call, KiB.
    pub log_kib: Option<u64>,
    /// Distinct state keys one call may write.
    pub state_writes: Option<u64>,
    /// Longest state key, bytes.
    pub state_key_bytes: Option<u64>,
    /// Largest state value, KiB.
    pub state_value_kib: Option<u64>,
    /// Total state, MiB.
    pub state_total_mib: Option<u64>,
    /// Outbound HTTP requests per call.
    pub outbound_requests: Option<u64>,
    /// Outbound response body bytes per call, KiB.
    pub outbound_response_kib: Option<u64>,
    /// Outbound connect timeout, milliseconds.
    pub outbound_connect_timeout_ms: Option<u64>,
}

fn size(value: u64, unit_shift: u32) -> usize {
    usize::try_from(value.saturating_mul(1 << unit_shift)).unwrap_or(usize::MAX)
}

impl LimitOverrides {
    /// `base` with these overrides applied.
    pub fn apply(&self, base: Limits) -> Limits {
        Limits {
            memory_bytes: self.memory_mib.map_or(base.memory_bytes, |v| size(v, 20)),
            timeout: self.timeout_ms.map_or(base.timeout, Duration::from_millis),
            fuel: self.fuel.or(base.fuel),
            output_bytes: self.output_kib.map_or(base.output_bytes, |v| size(v, 10)),
            log_messages: self.log_messages.map_or(base.log_messages, |v| size(v, 0)),
            log_bytes: self.log_kib.map_or(base.log_bytes, |v| size(v, 10)),
            state_writes: self.state_writes.map_or(base.state_writes, |v| size(v, 0)),
            state_key_bytes: self
                .state_key_bytes
                .map_or(base.state_key_bytes, |v| size(v, 0)),
            state_value_bytes: self
                .state_value_kib
                .map_or(base.state_value_bytes, |v| size(v, 10)),
            state_total_bytes: self
                .state_total_mib
                .map_or(base.state_total_bytes, |v| v.saturating_mul(1 << 20)),
            outbound_requests: self
                .outbound_requests
                .map_or(base.outbound_requests, |v| size(v, 0)),
            outbound_response_bytes: self
                .outbound_response_kib
                .map_or(base.outbound_response_bytes, |v| v.saturating_mul(1 << 10)),
            outbound_connect_timeout: self
                .outbound_connect_timeout_ms
                .map_or(base.outbound_connect_timeout, Duration::from_millis),
            ..base
        }
    }
}

/// `outbound = [...]`: web origins only; a unix socket is an engine.
fn web_origins<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<Origin>>, D::Error> {
    let origins = Vec::<Origin>::deserialize(deserializer)?;
    if let Some(socket) = origins
        .iter()
        .find(|o| matches!(o, Origin::UnixSocket { .. }))
    {
        return Err(serde::de::Error::custom(format!(
            "{socket} is a unix socket; a socket is granted as a Docker engine, under the engine policy: engines = [\"{socket}\"]"
        )));
    }
    Ok(Some(origins))
}

/// `engines = [...]`: engine addresses as `DOCKER_HOST` writes them.
fn engine_origins<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<Origin>>, D::Error> {
    Vec::<String>::deserialize(deserializer)?
        .iter()
        .map(|text| Origin::engine(text).map_err(serde::de::Error::custom))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

impl ProviderEntry {
    /// The grants this entry gives: its named capabilities (all of them
    /// when `grants` is absent), outbound HTTP to its `outbound` origins,
    /// and its `engines` (or `default_engines` when it names none) under
    /// its engine policy.
    pub fn grants(&self, default_engines: &[Origin]) -> Grants {
        let named = match &self.grants {
            None => Grants::all(),
            Some(granted) => granted.iter().cloned().collect(),
        };
        let engines = self.engines.as_deref().unwrap_or(default_engines);
        named
            .with(Capability::outbound(
                self.outbound.iter().flatten().cloned(),
            ))
            .with(Capability::engine(
                engines.iter().cloned(),
                self.engine_policy.clone().unwrap_or_default(),
            ))
    }
}

impl Config {
    /// Parse `text`, read from `path` (for messages and relative paths).
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let error = |message: String| ConfigError {
            path: path.to_owned(),
            message,
        };
        let mut config: Config =
            toml::from_str(text).map_err(|err| error(err.to_string().trim_end().to_owned()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        for (name, entry) in &mut config.providers {
            if let Err(reason) = crate::compute::check_provider_name(name) {
                // Not `[providers.<name>]`: the reason quotes the name, cut
                // short if it is long.
                return Err(error(format!(
                    "[providers]: invalid provider name: {reason}; {}",
                    crate::compute::IDENTIFIER_RULE
                )));
            }
            if let Some(component) = &mut entry.component {
                if component.is_relative() {
                    *component = base.join(&*component);
                }
            } else if crate::embedded::find(name).is_none() {
                return Err(error(format!(
                    "[providers.{name}]: missing key `component` (the path of its .wasm file; only the embedded providers, {}, may leave it out)",
                    crate::embedded::PROVIDERS
                        .iter()
                        .map(|p| p.name)
                        .collect::<Vec<_>>()
                        .join(" and ")
                )));
            }
            let embedded_engine = entry.component.is_none()
                && crate::embedded::find(name).is_some_and(|p| p.has_default_engine());
            if entry.engine_policy.is_some()
                && entry
                    .engines
                    .as_ref()
                    .map_or(!embedded_engine, Vec::is_empty)
            {
                return Err(error(format!(
                    "[providers.{name}].engine_policy: it is granted no engine, and the policy applies to engines; grant one with engines = [\"unix:///var/run/docker.sock\"] or remove engine_policy"
                )));
            }
            if let Some(digest) = &entry.sha256
                && (digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit()))
            {
                return Err(error(format!(
                    "[providers.{name}].sha256: '{digest}' is not a SHA-256 in hex (64 characters)"
                )));
            }
        }
        config.server.resolve(base).map_err(error)?;
        check_tokens(&config.tokens, text).map_err(error)?;
        config.quarantine.check().map_err(error)?;
        config.reconcile.check().map_err(error)?;
        config.source = Some(path.to_owned());
        Ok(config)
    }

    /// Read and parse the file at `path`.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|err| ConfigError {
            path: path.to_owned(),
            message: format!("cannot read it: {err}"),
        })?;
        Self::parse(&text, path)
    }

    /// The configuration in force: `explicit` (a `--config` flag) if given,
    /// else the file named by `LANDLORD_CONFIG`, else `landlord.toml` in the
    /// working directory if there is one, else the defaults.
    pub fn discover(explicit: Option<&Path>) -> Result<Self, ConfigError> {
        if let Some(path) = explicit {
            return Self::load(path);
        }
        if let Some(path) = std::env::var_os(CONFIG_ENV).filter(|p| !p.is_empty()) {
            return Self::load(Path::new(&path));
        }
        let local = Path::new(CONFIG_FILE_NAME);
        if local.is_file() {
            return Self::load(local);
        }
        Ok(Self::default())
    }

    /// The default provider: `COMPUTE_DEFAULT_PROVIDER`, else the file's
    /// `default_provider`, else `mock`.
    pub fn default_provider(&self) -> String {
        std::env::var(DEFAULT_PROVIDER_ENV)
            .ok()
            .filter(|name| !name.is_empty())
            .or_else(|| self.default_provider.clone())
            .unwrap_or_else(|| DEFAULT_PROVIDER.to_owned())
    }

    /// The state directory: `flag`, else `LANDLORD_STATE_DIR`, else the
    /// file's `state_dir`, else the platform data directory
    /// (`~/.local/share/landlord` on Linux).
    pub fn state_dir(&self, flag: Option<&Path>) -> PathBuf {
        if let Some(dir) = flag {
            return dir.to_owned();
        }
        if let Some(dir) = std::env::var_os(STATE_DIR_ENV).filter(|d| !d.is_empty()) {
            return PathBuf::from(dir);
        }
        if let Some(dir) = &self.state_dir {
            return dir.clone();
        }
        dirs::data_dir()
            .unwrap_or_else(|| PathBuf::from("."))
            .join("landlord")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("/etc/landlord/landlord.toml"))
    }

    #[test]
    fn the_example_file_parses_and_grants_the_docker_provider_the_socket() {
        let path = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../examples/landlord.toml"
        ));
        let config = Config::load(path).unwrap();
        let docker = &config.providers["docker"];
        assert_eq!(
            docker.grants(&[]).describe(),
            [
                "log",
                "state",
                "config",
                "engine(unix:///var/run/docker.sock)"
            ]
        );
        let limits = docker.limits.apply(Limits::default());
        assert_eq!(
            (limits.outbound_requests, limits.outbound_response_bytes),
            (500, 8192 << 10)
        );
    }

    #[test]
    fn a_full_file_parses_with_paths_relative_to_it() {
        let config = parse(
            r#"
            default_provider = "ecs"
            state_dir = "/var/lib/landlord"
            [providers.ecs]
            component = "providers/ecs.wasm"
            sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
            grants = ["log", "config"]
            limits = { memory_mib = 32, timeout_ms = 2500, fuel = 1000, log_kib = 8, log_messages = 10, state_writes = 50 }
            config = { region = "eu-1" }
            [providers.mock]
            config = { "fail.destroy" = "busy" }
            "#,
        )
        .unwrap();
        let ecs = &config.providers["ecs"];
        assert_eq!(
            ecs.component.as_deref(),
            Some(Path::new("/etc/landlord/providers/ecs.wasm"))
        );
        assert_eq!(ecs.grants(&[]), Grants::all().without(Capability::State));
        let limits = ecs.limits.apply(Limits::default());
        assert_eq!(limits.memory_bytes, 32 << 20);
        assert_eq!(limits.timeout, Duration::from_millis(2500));
        assert_eq!(limits.fuel, Some(1000));
        assert_eq!(limits.output_bytes, Limits::default().output_bytes);
        assert_eq!(
            (limits.log_bytes, limits.log_messages, limits.state_writes),
            (8 << 10, 10, 50)
        );
        assert_eq!(config.providers["mock"].grants(&[]), Grants::all());
        assert_eq!(config.state_dir(None), PathBuf::from("/var/lib/landlord"));
        assert_eq!(
            config.state_dir(Some(Path::new("/tmp/x"))),
            PathBuf::from("/tmp/x")
        );
    }

    #[test]
    fn an_unknown_key_is_named_with_its_line() {
        let err = parse(
            "default_provider = \"mock\"\n\n[providers.ecs]\ncomponent = \"x.wasm\"\nmemory = 3\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("/etc/landlord/landlord.toml"), "{err}");
        assert!(err.contains("line 5"), "{err}");
        assert!(err.contains("unknown field `memory`"), "{err}");
    }

    #[test]
    fn a_wrong_type_is_named_with_its_line() {
        let err =
            parse("[providers.ecs]\ncomponent = \"x.wasm\"\nlimits = { timeout_ms = \"soon\" }\n")
                .unwrap_err()
                .to_string();
        assert!(err.contains("line 3"), "{err}");
        assert!(
            err.contains("timeout_ms") || err.contains("invalid type"),
            "{err}"
        );
    }

    #[test]
    fn providers_need_a_component_a_good_name_and_a_real_digest() {
        let err = parse("[providers.ecs]\nsha256 = \"abc\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("[providers.ecs]: missing key `component`"),
            "{err}"
        );
        let err = parse("[providers.Bad_Name]\ncomponent = \"x.wasm\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("[providers]: invalid provider name: 'Bad_Name' has characters other than a-z, 0-9 and '-' (the first is 'B'); use 1 to 63"),
            "{err}"
        );
        let err = parse(&format!(
            "[providers.{}]\ncomponent = \"x.wasm\"\n",
            "p".repeat(64)
        ))
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("is 64 characters long (the limit is 63)"),
            "{err}"
        );
        let err = parse("[providers.ecs]\ncomponent = \"x.wasm\"\nsha256 = \"abc\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("[providers.ecs].sha256: 'abc' is not a SHA-256"),
            "{err}"
        );
    }

    #[test]
    fn an_unreadable_file_says_so() {
        let err = Config::load(Path::new("/nonexistent/landlord.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("/nonexistent/landlord.toml: cannot read it"),
            "{err}"
        );
    }

    #[test]
    fn sockets_are_engines_and_engines_carry_the_policy() {
        let err = parse(
            "[providers.x]\ncomponent = \"x.wasm\"\noutbound = [\"unix:///var/run/docker.sock\"]\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("line 3") && err.contains("engines = [\"unix:///var/run/docker.sock\"]"),
            "{err}"
        );
        let config = parse(
            r#"
            [providers.x]
            component = "x.wasm"
            outbound = ["https://api.example"]
            engines = ["tcp://10.0.0.5:2375", "unix:///run/podman.sock"]
            engine_policy = { allow_named_volumes = true }
            "#,
        )
        .unwrap();
        assert_eq!(
            config.providers["x"].grants(&[]).describe(),
            [
                "log",
                "state",
                "config",
                "outbound(https://api.example)",
                "engine(http://10.0.0.5:2375, unix:///run/podman.sock; policy loosened: allow_named_volumes = true)"
            ]
        );
        for text in [
            "[providers.x]\ncomponent = \"x.wasm\"\nengine_policy = { allow_named_volumes = true }\n",
            "[providers.docker]\nengines = []\nengine_policy = { allow_named_volumes = true }\n",
        ] {
            let err = parse(text).unwrap_err().to_string();
            assert!(
                err.contains("engine_policy: it is granted no engine"),
                "{err}"
            );
        }
        // The embedded docker provider has its default engine to loosen.
        parse("[providers.docker]\nengine_policy = { allow_named_volumes = true }\n").unwrap();
        let err = parse("[providers.docker]\nengine_policy = { allow_privileged = true }\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unknown field `allow_privileged`") && err.contains("line 2"),
            "{err}"
        );
    }

    const DIGEST: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    #[test]
    fn server_and_tokens_default_to_loopback_and_none() {
        let config = parse("").unwrap();
        assert_eq!(config.server, ServerConfig::default());
        assert_eq!(config.server.listen_addr(), DEFAULT_LISTEN_ADDR);
        assert_eq!(
            DEFAULT_LISTEN.parse::<SocketAddr>().unwrap(),
            DEFAULT_LISTEN_ADDR
        );
        assert_eq!(config.server.tls(), None);
        assert_eq!(config.server.body_limit(), 1024 << 10);
        assert_eq!(config.server.request_timeout(), Duration::from_secs(60));
        assert_eq!(config.server.shutdown_grace(), Duration::from_secs(30));
        assert!(config.tokens.is_empty());
        // An empty table is the defaults too.
        assert_eq!(parse("[server]\n").unwrap().server, ServerConfig::default());
    }

    #[test]
    fn a_server_table_and_tokens_parse_with_paths_relative_to_the_file() {
        let config = parse(&format!(
            r#"
            [server]
            listen = "[::]:8443"
            cert = "tls/cert.pem"
            key = "/etc/ssl/private/landlord.pem"
            body_limit_kib = 64
            request_timeout_ms = 2500
            shutdown_grace_ms = 100

            [[tokens]]
            name = "ci"
            sha256 = "{DIGEST}"
            scopes = ["write", "read", "write"]

            [[tokens]]
            name = "Dash.board_2"
            sha256 = "{}"
            scopes = ["read"]
            "#,
            crate::auth::digest("other")
        ))
        .unwrap();
        let server = &config.server;
        assert_eq!(server.listen_addr(), "[::]:8443".parse().unwrap());
        assert_eq!(
            server.tls(),
            Some((
                Path::new("/etc/landlord/tls/cert.pem"),
                Path::new("/etc/ssl/private/landlord.pem")
            ))
        );
        assert_eq!(server.body_limit(), 64 << 10);
        assert_eq!(server.request_timeout(), Duration::from_millis(2500));
        assert_eq!(server.shutdown_grace(), Duration::from_millis(100));
        assert_eq!(
            config.tokens[0],
            TokenEntry {
                name: "ci".to_owned(),
                sha256: DIGEST.to_owned(),
                scopes: vec![Scope::Read, Scope::Write],
            }
        );
        assert_eq!(config.tokens[1].name, "Dash.board_2");
        assert_eq!(config.tokens[1].scopes, [Scope::Read]);
    }

    #[test]
    fn a_bad_listen_address_is_named_with_its_line_and_an_example() {
        for listen in ["localhost:7370", "127.0.0.1", "7370", "1.2.3.4:99999"] {
            let err = parse(&format!("[server]\n\nlisten = \"{listen}\"\n"))
                .unwrap_err()
                .to_string();
            assert!(err.contains("line 3"), "{err}");
            assert!(
                err.contains(&format!(
                    "server.listen: '{listen}' is not a socket address; give an IP address and a port, for example listen = \"127.0.0.1:7370\""
                )),
                "{err}"
            );
        }
        let err = parse("[server]\nport = 80\n").unwrap_err().to_string();
        assert!(
            err.contains("line 2") && err.contains("unknown field `port`"),
            "{err}"
        );
    }

    #[test]
    fn tls_needs_both_cert_and_key() {
        let err = parse("[server]\ncert = \"cert.pem\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("[server]: missing key `key` (the PEM private key for `cert`"),
            "{err}"
        );
        let err = parse("[server]\nkey = \"key.pem\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("[server]: missing key `cert`"), "{err}");
    }

    #[test]
    fn a_zero_limit_or_timeout_is_refused_with_its_line() {
        for key in ["body_limit_kib", "request_timeout_ms", "shutdown_grace_ms"] {
            let err = parse(&format!("[server]\n{key} = 0\n"))
                .unwrap_err()
                .to_string();
            assert!(err.contains("line 2"), "{err}");
            assert!(
                err.contains(&format!(
                    "server.{key}: must be at least 1; leave it out for the default"
                )),
                "{err}"
            );
        }
        let err = parse("[server]\nrequest_timeout_ms = -5\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2"), "{err}");
    }

    fn token(name: &str, sha256: &str, scopes: &str) -> String {
        format!("[[tokens]]\nname = \"{name}\"\nsha256 = \"{sha256}\"\nscopes = {scopes}\n")
    }

    #[test]
    fn a_bad_digest_names_the_token_and_line_and_never_quotes_the_value() {
        let (upper, not_hex) = (DIGEST.to_uppercase(), "g".repeat(64));
        let token_text = crate::auth::new_token().unwrap();
        for (sha256, what) in [
            (
                "abc",
                "is not a SHA-256 in lowercase hex (64 characters of 0-9 and a-f; it has 3 characters)",
            ),
            (upper.as_str(), "is not in lowercase hex"),
            (
                not_hex.as_str(),
                "is not a SHA-256 in lowercase hex (64 characters of 0-9 and a-f; it has 64 characters, not all of them hex digits)",
            ),
            (token_text.as_str(), "is a token, not its digest"),
        ] {
            let text = format!(
                "{}\n{}",
                token("ok", DIGEST, "[\"read\"]"),
                token("ci", sha256, "[\"read\"]")
            );
            let err = parse(&text).unwrap_err().to_string();
            assert!(
                err.contains(&format!("tokens[1].sha256 (token 'ci', line 8): {what}")),
                "{err}"
            );
            assert!(
                err.ends_with("; generate a token and its digest with `landlord token new ci`"),
                "{err}"
            );
            assert!(!err.contains(sha256), "{err}");
        }
    }

    #[test]
    fn token_names_are_checked_and_unique() {
        let err = parse(&token("ci bot", DIGEST, "[\"read\"]"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2"), "{err}");
        assert!(
            err.contains("tokens.name: invalid token name: 'ci bot' has characters other than A-Z, a-z, 0-9, '.', '_' and '-' (the first is ' '); use 1 to 64"),
            "{err}"
        );
        let err = parse(&token("", DIGEST, "[\"read\"]"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("invalid token name: must not be empty"),
            "{err}"
        );

        let other = crate::auth::digest("other");
        let text = format!(
            "{}{}",
            token("ci", DIGEST, "[\"read\"]"),
            token("ci", &other, "[\"write\"]")
        );
        let err = parse(&text).unwrap_err().to_string();
        assert!(
            err.contains("tokens[1].name (token 'ci', line 6): another token is named 'ci'"),
            "{err}"
        );
        let text = format!(
            "{}{}",
            token("ci", DIGEST, "[\"read\"]"),
            token("deploy", DIGEST, "[\"write\"]")
        );
        let err = parse(&text).unwrap_err().to_string();
        assert!(
            err.contains(
                "tokens[1].sha256 (token 'deploy', line 7): token 'ci' has the same digest"
            ),
            "{err}"
        );
    }

    #[test]
    fn scopes_are_read_or_write_and_at_least_one() {
        let err = parse(&token("ci", DIGEST, "[\"read\", \"admin\"]"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 4"), "{err}");
        assert!(
            err.contains("tokens.scopes: unknown scope 'admin'; the scopes are read and write"),
            "{err}"
        );
        let err = parse(&token("ci", DIGEST, "[]")).unwrap_err().to_string();
        assert!(
            err.contains("line 4") && err.contains("a token needs at least one scope"),
            "{err}"
        );
        let err = parse("[[tokens]]\nname = \"ci\"\nsha256 = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing field `scopes`"), "{err}");
        let err = parse(&format!(
            "{}token = \"ll_secret\"\n",
            token("ci", DIGEST, "[\"read\"]")
        ))
        .unwrap_err()
        .to_string();
        assert!(err.contains("unknown field `token`"), "{err}");
    }

    #[test]
    fn reconcile_is_a_switch_or_a_checked_table() {
        use crate::reconcile::ReconcileConfig;
        assert_eq!(parse("").unwrap().reconcile, ReconcileConfig::default());
        assert!(!parse("reconcile = false\n").unwrap().reconcile.enabled);
        let config = parse("[reconcile]\ninterval = \"2s\"\nconcurrency = 2\n").unwrap();
        assert_eq!(config.reconcile.interval, Duration::from_secs(2));
        assert_eq!(config.reconcile.concurrency, 2);
        assert!(config.reconcile.enabled);
        let err = parse("[reconcile]\ninterval = \"soon\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("interval: soon") && err.contains("such as 30s"),
            "{err}"
        );
        let err = parse("[reconcile]\nconcurrency = 0\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("reconcile.concurrency: 0 is out of range; use 1 to 256"),
            "{err}"
        );
        let err = parse("[reconcile]\nbackoff_max = \"1s\"\nbackoff_base = \"5s\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("reconcile.backoff_max"), "{err}");
        let err = parse("[reconcile]\nevery = \"1s\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `every`"), "{err}");
    }

    #[test]
    fn the_quarantine_table_has_defaults_and_checked_keys() {
        assert_eq!(parse("").unwrap().quarantine, QuarantineConfig::default());
        let config = parse("[quarantine]\nfailures = 3\ncooldown_seconds = 5\n").unwrap();
        assert_eq!(
            config.quarantine,
            QuarantineConfig {
                failures: 3,
                window_seconds: crate::quarantine::DEFAULT_WINDOW_SECONDS,
                cooldown_seconds: 5,
            }
        );
        assert_eq!(
            parse("[quarantine]\nfailures = 0\nwindow_seconds = 0\n")
                .unwrap()
                .quarantine
                .failures,
            0
        );
        let err = parse("[quarantine]\nwindow_seconds = 0\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("quarantine.window_seconds: must be at least 1 while quarantine is on; to turn quarantine off, set failures = 0"),
            "{err}"
        );
        let err = parse("[quarantine]\nfailures = -1\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("failures"), "{err}");
        let err = parse("[quarantine]\ncooldown = 5\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `cooldown`"), "{err}");
    }
}
