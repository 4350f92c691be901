//! Capability grants: what a provider may import, one [`Capability`] each,
//! checked against the component's imports and exports at load time, so
//! that a component asking for more than it was granted is refused with a
//! list of exactly what is wrong, never with a late instantiation failure.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

/// One thing the operator may grant a provider. WASI p2 is always linked
/// (with nothing granted inside it: no files, environment, arguments, stdin
/// or network); each landlord interface is a capability of its own. A new
/// capability (outbound HTTP to named origins, next) is a new variant,
/// carrying its data, and every place that lists, checks or documents grants
/// goes through this type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Capability {
    /// `landlord:compute/log`: log messages into the host's tracing.
    Log,
    /// `landlord:compute/state`: the provider's own key/value state.
    State,
    /// `landlord:compute/config`: the operator's key/values, read-only.
    Config,
}

impl Capability {
    /// Every capability, in the order they are listed.
    pub const ALL: [Capability; 3] = [Capability::Log, Capability::State, Capability::Config];

    /// Its name in `landlord.toml`, listings and messages.
    pub fn name(self) -> &'static str {
        match self {
            Capability::Log => "log",
            Capability::State => "state",
            Capability::Config => "config",
        }
    }

    /// The capability that governs `interface` of the `landlord:compute`
    /// package (`"state"`), if one does.
    fn of_interface(interface: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|cap| cap.name() == interface)
    }
}

impl std::fmt::Display for Capability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What the operator lets one provider import: a set of [`Capability`]s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grants {
    granted: std::collections::BTreeSet<Capability>,
}

impl Default for Grants {
    /// Everything a provider can be granted today.
    fn default() -> Self {
        Self::all()
    }
}

impl FromIterator<Capability> for Grants {
    fn from_iter<I: IntoIterator<Item = Capability>>(iter: I) -> Self {
        Self {
            granted: iter.into_iter().collect(),
        }
    }
}

impl Grants {
    /// Every capability.
    pub fn all() -> Self {
        Capability::ALL.into_iter().collect()
    }

    /// No capability at all.
    pub fn none() -> Self {
        std::iter::empty().collect()
    }

    /// These grants less `capability`.
    pub fn without(mut self, capability: Capability) -> Self {
        self.granted.remove(&capability);
        self
    }

    /// Whether `capability` is granted.
    pub fn allows(&self, capability: Capability) -> bool {
        self.granted.contains(&capability)
    }

    /// The granted capabilities, in [`Capability::ALL`] order.
    pub fn capabilities(&self) -> impl Iterator<Item = Capability> + '_ {
        self.granted.iter().copied()
    }

    /// The granted capabilities' names (`["log", "config"]`).
    pub fn names(&self) -> Vec<&'static str> {
        self.capabilities().map(Capability::name).collect()
    }
}

/// The package the host speaks, and the export every provider must have.
const PACKAGE: &str = "landlord:compute";
const PACKAGE_MAJOR_MINOR: &str = "0.1";
const PROVIDER_EXPORT: &str = "landlord:compute/provider";

/// WASI p2 packages the host links (sync-free, deny-by-default).
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
            Some(capability) if grants.allows(capability) => None,
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
        "it imports {import}, which this host does not provide (it provides WASI 0.2 and {PACKAGE}/{{{}}})",
        Capability::ALL.map(Capability::name).join(", ")
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
        assert!(some.allows(Capability::Log) && !some.allows(Capability::State));
        assert_eq!(
            Grants::all().without(Capability::Log).names(),
            ["state", "config"]
        );
    }

    #[test]
    fn every_capability_governs_the_interface_of_its_name() {
        for capability in Capability::ALL {
            assert_eq!(
                Capability::of_interface(capability.name()),
                Some(capability)
            );
        }
        assert_eq!(Capability::of_interface("types"), None);
        assert_eq!(Capability::of_interface("secrets"), None);
    }
}
