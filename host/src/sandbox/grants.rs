//! Capability grants: what a provider may import, one [`Capability`] each,
//! checked against the component's imports and exports at load time, so
//! that a component asking for more than it was granted is refused with a
//! list of exactly what is wrong, never with a late instantiation failure.

use std::fmt::Write as _;

use serde::{Deserialize, Deserializer};

use super::engine::EnginePolicy;
use super::origin::Origin;

/// One thing the operator may grant a provider. WASI p2 is always linked
/// (with nothing granted inside it: no files, environment, arguments, stdin
/// or network); each landlord interface is a capability of its own, and
/// outbound HTTP is one that carries the origins it reaches. Every place
/// that lists, checks or documents grants goes through this type.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Capability {
    /// `landlord:compute/log`: log messages into the host's tracing.
    Log,
    /// `landlord:compute/state`: the provider's own key/value state.
    State,
    /// `landlord:compute/config`: the operator's key/values, read-only.
    Config,
    /// `wasi:http/outgoing-handler` (with `wasi:http/types`): HTTP requests
    /// to these origins only, sorted and without duplicates; a request
    /// anywhere else fails in the guest and opens no connection.
    Outbound(Vec<Origin>),
    /// `wasi:http` to Docker engines (a unix socket, or an engine's
    /// `http(s)://` origin), every request checked against the engine
    /// policy first (`docs/sandbox.md`, "Granting an engine").
    Engine {
        /// The engines, sorted and without duplicates.
        origins: Vec<Origin>,
        /// The rules, as loosened for this provider.
        policy: EnginePolicy,
    },
}

impl Capability {
    /// The capabilities granted by name (`grants = [...]` in
    /// `landlord.toml`), in the order they are listed.
    pub const NAMED: [Capability; 3] = [Capability::Log, Capability::State, Capability::Config];

    /// Its name in `landlord.toml`, listings and messages.
    pub fn name(&self) -> &'static str {
        match self {
            Capability::Log => "log",
            Capability::State => "state",
            Capability::Config => "config",
            Capability::Outbound(_) => "outbound",
            Capability::Engine { .. } => "engine",
        }
    }

    /// Outbound HTTP to `origins` (sorted, duplicates dropped).
    pub fn outbound(origins: impl IntoIterator<Item = Origin>) -> Self {
        Capability::Outbound(sorted(origins))
    }

    /// Docker engines at `origins` (sorted, duplicates dropped), under
    /// `policy`.
    pub fn engine(origins: impl IntoIterator<Item = Origin>, policy: EnginePolicy) -> Self {
        Capability::Engine {
            origins: sorted(origins),
            policy,
        }
    }

    /// The name with what it carries: `outbound(https://…)`,
    /// `engine(unix:///var/run/docker.sock)`, and the policy when loosened
    /// (`engine(unix:///…; policy loosened: allow_named_volumes = true)`).
    pub fn describe(&self) -> String {
        let list = |origins: &[Origin]| {
            origins
                .iter()
                .map(Origin::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Capability::Outbound(origins) => format!("outbound({})", list(origins)),
            Capability::Engine { origins, policy } if policy.is_default() => {
                format!("engine({})", list(origins))
            }
            Capability::Engine { origins, policy } => {
                format!("engine({}; policy {})", list(origins), policy.describe())
            }
            named => named.name().to_owned(),
        }
    }

    /// The origins it lets a provider send HTTP to, if any.
    fn origins(&self) -> &[Origin] {
        match self {
            Capability::Outbound(origins) | Capability::Engine { origins, .. } => origins,
            _ => &[],
        }
    }

    /// Whether `self` and `other` are the same capability, whatever data
    /// they carry.
    fn same_kind(&self, other: &Capability) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }

    /// The capability governing `interface` of the `landlord:compute`
    /// package (`"state"`), if one does.
    fn of_interface(interface: &str) -> Option<Self> {
        Self::NAMED.into_iter().find(|cap| cap.name() == interface)
    }
}

/// `origins` sorted, without duplicates: a grant's canonical list.
fn sorted(origins: impl IntoIterator<Item = Origin>) -> Vec<Origin> {
    let mut origins: Vec<Origin> = origins.into_iter().collect();
    origins.sort();
    origins.dedup();
    origins
}

impl std::fmt::Display for Capability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// `grants = ["log", "state", "config"]`: the named capabilities only;
/// outbound HTTP is granted by its origins (`outbound = [...]`).
impl<'de> Deserialize<'de> for Capability {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        if name == "outbound" || name == "engine" {
            return Err(serde::de::Error::custom(
                "outbound HTTP is granted by its origins, outbound = [\"https://HOST\", ...], and a Docker engine with engines = [\"unix:///var/run/docker.sock\"]; not in `grants`",
            ));
        }
        Self::NAMED
            .into_iter()
            .find(|cap| cap.name() == name)
            .ok_or_else(|| serde::de::Error::unknown_variant(&name, &["log", "state", "config"]))
    }
}

/// What the operator lets one provider import: a set of [`Capability`]s,
/// at most one of each kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grants {
    granted: std::collections::BTreeSet<Capability>,
}

impl Default for Grants {
    /// The named capabilities; no outbound HTTP.
    fn default() -> Self {
        Self::all()
    }
}

impl FromIterator<Capability> for Grants {
    fn from_iter<I: IntoIterator<Item = Capability>>(iter: I) -> Self {
        iter.into_iter().fold(Self::none(), Self::with)
    }
}

impl Grants {
    /// Every named capability (log, state, config); no outbound HTTP, which
    /// is only ever granted to named origins.
    pub fn all() -> Self {
        Capability::NAMED.into_iter().collect()
    }

    /// No capability at all.
    pub fn none() -> Self {
        Self {
            granted: std::collections::BTreeSet::new(),
        }
    }

    /// These grants with `capability`, replacing one of its kind (so
    /// `with(outbound(…))` sets the origins). An outbound or engine grant
    /// without origins is no grant.
    pub fn with(mut self, capability: Capability) -> Self {
        self.granted.retain(|held| !held.same_kind(&capability));
        let empty = matches!(
            &capability,
            Capability::Outbound(origins) | Capability::Engine { origins, .. } if origins.is_empty()
        );
        if !empty {
            self.granted.insert(capability);
        }
        self
    }

    /// These grants less the capability of `capability`'s kind.
    pub fn without(mut self, capability: Capability) -> Self {
        self.granted.retain(|held| !held.same_kind(&capability));
        self
    }

    /// Whether a capability of `capability`'s kind is granted (for
    /// outbound: to any origin).
    pub fn allows(&self, capability: &Capability) -> bool {
        self.granted.iter().any(|held| held.same_kind(capability))
    }

    /// The origins outbound HTTP may reach; empty when it is not granted.
    pub fn outbound(&self) -> &[Origin] {
        self.granted
            .iter()
            .find_map(|held| match held {
                Capability::Outbound(origins) => Some(origins.as_slice()),
                _ => None,
            })
            .unwrap_or_default()
    }

    /// The engines granted and their policy; `None` when none is.
    pub fn engine(&self) -> Option<(&[Origin], &EnginePolicy)> {
        self.granted.iter().find_map(|held| match held {
            Capability::Engine { origins, policy } => Some((origins.as_slice(), policy)),
            _ => None,
        })
    }

    /// Whether any origin (outbound or engine) is granted: what linking
    /// `wasi:http` needs.
    pub fn reaches_anywhere(&self) -> bool {
        self.granted.iter().any(|held| !held.origins().is_empty())
    }

    /// The granted capabilities: the named ones in [`Capability::NAMED`]
    /// order, then outbound, then engine.
    pub fn capabilities(&self) -> impl Iterator<Item = &Capability> + '_ {
        self.granted.iter()
    }

    /// The granted capabilities' names (`["log", "config", "outbound"]`).
    pub fn names(&self) -> Vec<&'static str> {
        self.capabilities().map(Capability::name).collect()
    }

    /// Each granted capability described, outbound with its origins
    /// (`["log", "engine(unix:///var/run/docker.sock)"]`).
    pub fn describe(&self) -> Vec<String> {
        self.capabilities().map(Capability::describe).collect()
    }
}

/// The package the host speaks, and the export every provider must have.
const PACKAGE: &str = "landlord:compute";
const PACKAGE_MAJOR_MINOR: &str = "0.1";
const PROVIDER_EXPORT: &str = "landlord:compute/provider";

/// WASI p2 packages the host links (sync-free, deny-by-default).
/// The wasi:http package, linked for providers granted outbound HTTP.
const WASI_HTTP: &str = "wasi:http";
/// The wasi:http interfaces of a client (no incoming handler).
const WASI_HTTP_CLIENT: &[&str] = &["outgoing-handler", "types"];

const WASI_PACKAGES: &[&str] = &[
    "wasi:cli",
    "wasi:clocks",
    "wasi:filesystem",
    "wasi:io",
    "wasi:random",
    "wasi:sockets",
];

/// Check a component's import and export names against `grants`; `Err`
/// lists every problem, one per line.
pub(crate) fn check_world<'a>(
    imports: impl IntoIterator<Item = &'a str>,
    exports: impl IntoIterator<Item = &'a str>,
    grants: &Grants,
) -> Result<(), String> {
    let mut problems = Vec::new();
    for import in imports {
        if let Some(problem) = import_problem(import, grants) {
            problems.push(problem);
        }
    }
    let exports: Vec<&str> = exports.into_iter().collect();
    let wanted = format!("{PROVIDER_EXPORT}@{PACKAGE_MAJOR_MINOR}.x");
    let provider_exports: Vec<&str> = exports
        .iter()
        .copied()
        .filter(|name| split_version(name).0 == PROVIDER_EXPORT)
        .collect();
    match provider_exports.as_slice() {
        [] => problems.push(format!(
            "it does not export {wanted} (it exports: {}); build it against this repository's wit/ world `compute-provider`",
            if exports.is_empty() { "nothing".to_owned() } else { exports.join(", ") }
        )),
        found => {
            for name in found {
                if !version_compatible(split_version(name).1) {
                    problems.push(format!(
                        "it exports {name}, but this host speaks {wanted}; rebuild it against landlord:compute@{PACKAGE_MAJOR_MINOR}"
                    ));
                }
            }
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    let mut text = String::from("it does not fit this host:");
    for problem in problems {
        let _ = write!(text, "\n  - {problem}");
    }
    Err(text)
}

fn import_problem(import: &str, grants: &Grants) -> Option<String> {
    let (name, version) = split_version(import);
    let (package, interface) = name.split_once('/').unwrap_or((name, ""));
    if package == WASI_HTTP {
        return if !version.is_some_and(|v| v.starts_with("0.2.")) {
            Some(format!(
                "it imports {import}, but this host links wasi:http 0.2.x only"
            ))
        } else if !WASI_HTTP_CLIENT.contains(&interface) {
            Some(format!(
                "it imports {import}, which this host does not provide (of wasi:http it provides the client side: {})",
                WASI_HTTP_CLIENT.join(", ")
            ))
        } else if !grants.reaches_anywhere() {
            Some(format!(
                "it imports {import} (outbound HTTP), but this provider is granted no origin; grant what it needs in its landlord.toml entry: outbound = [\"https://HOST\", ...] for web APIs, engines = [\"unix:///var/run/docker.sock\"] for a Docker engine"
            ))
        } else {
            None
        };
    }
    if WASI_PACKAGES.contains(&package) {
        return match version {
            Some(v) if v.starts_with("0.2.") => None,
            _ => Some(format!(
                "it imports {import}, but this host links WASI 0.2.x only"
            )),
        };
    }
    if package == PACKAGE {
        if !version_compatible(version) {
            return Some(format!(
                "it imports {import}, but this host provides {package}@{PACKAGE_MAJOR_MINOR}.x"
            ));
        }
        // `types` has no functions: nothing to grant.
        if interface == "types" {
            return None;
        }
        return match Capability::of_interface(interface) {
            Some(capability) if grants.allows(&capability) => None,
            Some(_) => Some(format!(
                "it imports {import}, which this provider is not granted (granted: {})",
                granted_list(grants)
            )),
            None => Some(format!(
                "it imports {import}, which this host does not provide"
            )),
        };
    }
    Some(format!(
        "it imports {import}, which this host does not provide (it provides WASI 0.2, wasi:http's client to granted origins, and {PACKAGE}/{{{}}})",
        Capability::NAMED.map(|cap| cap.name()).join(", ")
    ))
}

fn granted_list(grants: &Grants) -> String {
    let granted = grants.names();
    if granted.is_empty() {
        "none".to_owned()
    } else {
        granted.join(", ")
    }
}

/// `("landlord:compute/state", Some("0.1.0"))` from `landlord:compute/state@0.1.0`.
fn split_version(name: &str) -> (&str, Option<&str>) {
    match name.split_once('@') {
        Some((name, version)) => (name, Some(version)),
        None => (name, None),
    }
}

fn version_compatible(version: Option<&str>) -> bool {
    version.is_some_and(|v| {
        v.strip_prefix(PACKAGE_MAJOR_MINOR)
            .is_some_and(|rest| rest.starts_with('.'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROVIDER: &str = "landlord:compute/provider@0.1.0";

    #[test]
    fn the_mocks_world_passes_with_every_grant() {
        let imports = [
            "wasi:io/error@0.2.6",
            "wasi:cli/stderr@0.2.6",
            "landlord:compute/types@0.1.0",
            "landlord:compute/log@0.1.0",
            "landlord:compute/state@0.1.0",
            "landlord:compute/config@0.1.0",
        ];
        assert_eq!(check_world(imports, [PROVIDER], &Grants::all()), Ok(()));
    }

    #[test]
    fn an_ungranted_interface_is_named() {
        let grants = Grants::all().without(Capability::State);
        let err = check_world(["landlord:compute/state@0.1.0"], [PROVIDER], &grants).unwrap_err();
        assert!(err.contains("imports landlord:compute/state@0.1.0, which this provider is not granted (granted: log, config)"), "{err}");
        let err =
            check_world(["landlord:compute/log@0.1.0"], [PROVIDER], &Grants::none()).unwrap_err();
        assert!(err.contains("(granted: none)"), "{err}");
    }

    #[test]
    fn unknown_imports_and_wrong_versions_are_each_listed() {
        let err = check_world(
            [
                "evil:exfil/net@1.0.0",
                "wasi:http/outgoing-handler@0.2.0",
                "wasi:cli/stdout@0.3.0",
                "landlord:compute/state@0.2.0",
                "landlord:compute/secrets@0.1.0",
            ],
            [PROVIDER],
            &Grants::all(),
        )
        .unwrap_err();
        assert_eq!(
            err.lines().filter(|l| l.starts_with("  - ")).count(),
            5,
            "{err}"
        );
        for name in [
            "evil:exfil/net@1.0.0",
            "wasi:http/outgoing-handler@0.2.0",
            "wasi:cli/stdout@0.3.0",
            "landlord:compute/state@0.2.0",
            "landlord:compute/secrets@0.1.0",
        ] {
            assert!(err.contains(name), "{name} missing from {err}");
        }
    }

    #[test]
    fn the_provider_export_must_be_there_at_a_compatible_version() {
        let err = check_world([], ["landlord:compute/provider@0.2.0"], &Grants::all()).unwrap_err();
        assert!(err.contains("exports landlord:compute/provider@0.2.0, but this host speaks landlord:compute/provider@0.1.x"), "{err}");
        let err = check_world([], ["other:thing/api@1.0.0"], &Grants::all()).unwrap_err();
        assert!(err.contains("does not export landlord:compute/provider@0.1.x (it exports: other:thing/api@1.0.0)"), "{err}");
        assert_eq!(
            check_world([], ["landlord:compute/provider@0.1.7"], &Grants::all()),
            Ok(())
        );
        assert!(check_world([], ["landlord:compute/provider@0.10.0"], &Grants::all()).is_err());
    }

    #[test]
    fn grants_list_what_is_granted_in_one_order() {
        assert_eq!(Grants::all().names(), ["log", "state", "config"]);
        assert!(Grants::none().names().is_empty());
        let some: Grants = [Capability::Config, Capability::Log].into_iter().collect();
        assert_eq!(some.names(), ["log", "config"]);
        assert!(some.allows(&Capability::Log) && !some.allows(&Capability::State));
        assert_eq!(
            Grants::all().without(Capability::Log).names(),
            ["state", "config"]
        );
    }

    #[test]
    fn every_capability_governs_the_interface_of_its_name() {
        for capability in Capability::NAMED {
            assert_eq!(
                Capability::of_interface(capability.name()),
                Some(capability)
            );
        }
        assert_eq!(Capability::of_interface("types"), None);
        assert_eq!(Capability::of_interface("secrets"), None);
    }

    fn docker_engine() -> Capability {
        Capability::engine(
            ["unix:///var/run/docker.sock".parse().unwrap()],
            EnginePolicy::default(),
        )
    }

    #[test]
    fn wasi_http_needs_an_outbound_or_engine_grant() {
        let imports = ["wasi:http/types@0.2.4", "wasi:http/outgoing-handler@0.2.4"];
        let err = check_world(imports, [PROVIDER], &Grants::all()).unwrap_err();
        assert_eq!(err.matches("is granted no origin").count(), 2, "{err}");
        assert!(
            err.contains("outbound = [") && err.contains("engines = ["),
            "{err}"
        );
        for granted in [
            Grants::all().with(docker_engine()),
            Grants::all().with(Capability::outbound(["https://api.example"
                .parse()
                .unwrap()])),
        ] {
            assert_eq!(check_world(imports, [PROVIDER], &granted), Ok(()));
        }
        // The server side, and another major version, are not provided.
        let err = check_world(
            ["wasi:http/incoming-handler@0.2.4", "wasi:http/types@0.3.0"],
            [PROVIDER],
            &Grants::all().with(docker_engine()),
        )
        .unwrap_err();
        assert!(
            err.contains("incoming-handler@0.2.4, which this host does not provide"),
            "{err}"
        );
        assert!(err.contains("wasi:http 0.2.x only"), "{err}");
    }

    #[test]
    fn origin_grants_carry_their_origins_and_replace_an_earlier_one_of_their_kind() {
        let web = Capability::outbound(["https://api.example".parse().unwrap()]);
        let grants = Grants::all().with(docker_engine()).with(web);
        assert_eq!(
            grants.names(),
            ["log", "state", "config", "outbound", "engine"]
        );
        assert_eq!(
            grants.describe(),
            [
                "log",
                "state",
                "config",
                "outbound(https://api.example)",
                "engine(unix:///var/run/docker.sock)"
            ]
        );
        let (engines, policy) = grants.engine().unwrap();
        assert_eq!((engines.len(), policy.is_default()), (1, true));
        let other = Capability::outbound([
            "http://127.0.0.1:2375".parse().unwrap(),
            "http://127.0.0.1:2375".parse().unwrap(),
        ]);
        let grants = grants.with(other);
        assert_eq!(
            grants.outbound(),
            ["http://127.0.0.1:2375".parse().unwrap()]
        );
        assert!(grants.allows(&Capability::Outbound(vec![])));
        // No origins is no grant.
        let grants = grants.with(Capability::outbound([]));
        assert!(!grants.allows(&Capability::Outbound(vec![])));
        assert!(grants.outbound().is_empty() && grants.reaches_anywhere());
        let grants = grants.with(Capability::engine([], EnginePolicy::default()));
        assert!(grants.engine().is_none() && !grants.reaches_anywhere());
        // A loosened policy shows.
        let loosened = Capability::engine(
            ["unix:///var/run/docker.sock".parse().unwrap()],
            EnginePolicy {
                allow_named_volumes: true,
                ..EnginePolicy::default()
            },
        );
        assert_eq!(
            loosened.describe(),
            "engine(unix:///var/run/docker.sock; policy loosened: allow_named_volumes = true)"
        );
    }
}
