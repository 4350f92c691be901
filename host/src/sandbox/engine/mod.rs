//! The engine policy: what a provider granted a Docker engine may ask of it.
//!
//! The Docker Engine API is root on the engine's machine: whoever may create
//! a container may make it privileged, mount `/`, join the host's
//! namespaces. A provider granted an engine (`engines = [...]`) therefore
//! has every request checked by the host before it is sent:
//! - [`route`]: the method and path must be one a compute provider needs
//!   (ping, version, containers, networks, images inspect/list/pull);
//! - [`body`]: a container or network create may not ask for what escapes
//!   the container ([`Rule`] lists each rule and why), and must carry the
//!   provider's owner labels;
//! - scope (in the gate that sends, `sandbox::host::engine`): a provider
//!   acts only on containers and networks labelled with its own name, and
//!   lists only those.
//!
//! A refused request never reaches the engine: the guest gets a 403 from
//! the host naming the rule, and the call fails. An operator may loosen
//! three rules per provider ([`EnginePolicy`]); nothing else turns off.

pub(crate) mod body;
pub(crate) mod route;

use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

/// One rule of the engine policy, by the name refusals and docs use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// Only the endpoints a compute provider needs, in canonical form.
    Endpoint,
    /// Bodies are small JSON objects the host can read as the engine will.
    Body,
    /// No privileged containers.
    Privileged,
    /// No host paths, named volumes or other containers' volumes.
    HostMounts,
    /// No host or other containers' namespaces.
    HostNamespaces,
    /// No added capabilities.
    Capabilities,
    /// No host devices.
    Devices,
    /// No lifting of seccomp, AppArmor, SELinux or masked paths.
    Confinement,
    /// No placing the container in another cgroup.
    CgroupParent,
    /// No kernel parameters.
    Sysctls,
    /// Everything created carries the provider's owner labels.
    OwnerLabels,
    /// Only the provider's own containers and networks.
    Scope,
    /// Only plain bridge networks.
    NetworkDriver,
}

impl Rule {
    /// Every rule, in the order the docs and `providers inspect` list them.
    pub const ALL: [Rule; 13] = [
        Rule::Endpoint,
        Rule::Body,
        Rule::Privileged,
        Rule::HostMounts,
        Rule::HostNamespaces,
        Rule::Capabilities,
        Rule::Devices,
        Rule::Confinement,
        Rule::CgroupParent,
        Rule::Sysctls,
        Rule::OwnerLabels,
        Rule::Scope,
        Rule::NetworkDriver,
    ];

    /// Its name in refusals, logs and docs (`host_mounts`).
    pub fn name(self) -> &'static str {
        match self {
            Rule::Endpoint => "endpoint",
            Rule::Body => "body",
            Rule::Privileged => "privileged",
            Rule::HostMounts => "host_mounts",
            Rule::HostNamespaces => "host_namespaces",
            Rule::Capabilities => "capabilities",
            Rule::Devices => "devices",
            Rule::Confinement => "confinement",
            Rule::CgroupParent => "cgroup_parent",
            Rule::Sysctls => "sysctls",
            Rule::OwnerLabels => "owner_labels",
            Rule::Scope => "scope",
            Rule::NetworkDriver => "network_driver",
        }
    }

    /// What it refuses, in one line.
    pub fn refuses(self) -> &'static str {
        match self {
            Rule::Endpoint => {
                "any endpoint but ping, version, containers (create, start, stop, kill, restart, wait, inspect, logs, remove, list), networks (create, inspect, connect, disconnect, remove, list) and images (inspect, list, pull); API versions before 1.24; paths with `..`, empty segments or escapes"
            }
            Rule::Body => {
                "bodies over 1 MiB, that are not a JSON object, with non-ASCII field names, or on an endpoint that takes none"
            }
            Rule::Privileged => "`Privileged`",
            Rule::HostMounts => {
                "`Binds` and `Mounts` of host paths or named volumes, volume driver options, `VolumesFrom`, `VolumeDriver`"
            }
            Rule::HostNamespaces => {
                "`NetworkMode`, `PidMode`, `IpcMode`, `UTSMode`, `UsernsMode`, `CgroupnsMode`, `Cgroup` of `host` or `container:…`"
            }
            Rule::Capabilities => "`CapAdd`, `Capabilities`",
            Rule::Devices => "`Devices`, `DeviceRequests`, `DeviceCgroupRules`",
            Rule::Confinement => {
                "`SecurityOpt` other than `no-new-privileges`, `MaskedPaths`, `ReadonlyPaths`, a `Runtime` other than runc"
            }
            Rule::CgroupParent => "`CgroupParent`",
            Rule::Sysctls => "`Sysctls`",
            Rule::OwnerLabels => {
                "creating a container or network without `landlord.owner=landlord`, `landlord.provider=<its name>` and `landlord.tenant_id`"
            }
            Rule::Scope => {
                "acting on a container or network not labelled `landlord.provider=<its name>`, naming one in a body, `Links`; lists show only its own"
            }
            Rule::NetworkDriver => {
                "networks other than plain `bridge`: other drivers, driver `Options`, IPAM drivers, `ConfigFrom`, `Ingress`"
            }
        }
    }

    /// Why the rule exists: what the refused request would give a provider.
    pub fn why(self) -> &'static str {
        match self {
            Rule::Endpoint => {
                "the rest of the API runs commands in any container (exec), writes files into them (archive), builds or loads images from a provider's bytes, manages volumes, swarm, plugins and the daemon"
            }
            Rule::Body => {
                "the host must read a body exactly as the engine will; the engine matches field names case-insensitively, and old API versions read a container's host config from its start request"
            }
            Rule::Privileged => {
                "a privileged container has every device and capability of the host"
            }
            Rule::HostMounts => {
                "a bind mount of `/` or `/var/run/docker.sock` is the host; a named volume may hold another tenant's or the operator's data"
            }
            Rule::HostNamespaces => {
                "the host's network, PID or IPC namespace shows every process and port on the machine; another container's shows that container"
            }
            Rule::Capabilities => {
                "`SYS_ADMIN`, `SYS_PTRACE`, `NET_ADMIN` and the like undo the container's isolation"
            }
            Rule::Devices => "a host block device or `/dev/kmsg` is host data",
            Rule::Confinement => {
                "seccomp, AppArmor and masked `/proc` paths are what stops a root process in a container from reaching the kernel"
            }
            Rule::CgroupParent => {
                "it escapes the limits the engine sets and can join another cgroup"
            }
            Rule::Sysctls => "kernel parameters can weaken the host's network stack",
            Rule::OwnerLabels => "the labels are how the host knows what a provider owns",
            Rule::Scope => {
                "the operator's own containers and other providers' tenants share the engine"
            }
            Rule::NetworkDriver => {
                "macvlan, ipvlan and host drivers put containers on the host's own networks"
            }
        }
    }

    /// The `engine_policy` keys that loosen it; none for most rules.
    pub fn loosened_by(self) -> &'static [&'static str] {
        match self {
            Rule::HostMounts => &["allow_bind_mounts", "allow_named_volumes"],
            Rule::Capabilities => &["allow_capabilities"],
            _ => &[],
        }
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A request the policy refuses: the rule and what in the request broke it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The rule.
    pub rule: Rule,
    /// What broke it (`HostConfig.Privileged is true`), quoting the guest's
    /// text escaped and bounded.
    pub detail: String,
}

impl Violation {
    pub(crate) fn new(rule: Rule, detail: impl Into<String>) -> Self {
        Self {
            rule,
            detail: detail.into(),
        }
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "rule `{}`: {}", self.rule, self.detail)
    }
}

/// Quote guest text in a violation's detail: escaped, at most 120 bytes.
pub(crate) fn quote(text: &str) -> String {
    format!("'{}'", crate::text::escape_bounded(text, 120))
}

/// The engine policy of one provider: the default rules, with what its
/// `landlord.toml` entry loosens (`engine_policy = { ... }`). Loosening is
/// never silent: it is logged when the provider loads and shown by
/// `providers inspect`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawPolicy")]
pub struct EnginePolicy {
    /// Host directories a container may bind-mount (each path, or anything
    /// under it); none by default.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow_bind_mounts: Vec<PathBuf>,
    /// Whether containers may mount named volumes; no by default.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_named_volumes: bool,
    /// Capabilities a container may add (`NET_BIND_SERVICE`); none by default.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow_capabilities: Vec<String>,
}

/// `engine_policy` as written, checked into an [`EnginePolicy`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    #[serde(default)]
    allow_bind_mounts: Vec<PathBuf>,
    #[serde(default)]
    allow_named_volumes: bool,
    #[serde(default)]
    allow_capabilities: Vec<String>,
}

impl TryFrom<RawPolicy> for EnginePolicy {
    type Error = String;

    fn try_from(raw: RawPolicy) -> Result<Self, String> {
        let mut mounts = Vec::new();
        for path in raw.allow_bind_mounts {
            mounts.push(allowed_mount(&path)?);
        }
        mounts.sort();
        mounts.dedup();
        let mut capabilities = Vec::new();
        for name in raw.allow_capabilities {
            capabilities.push(capability_name(&name).ok_or_else(|| {
                format!(
                    "engine_policy.allow_capabilities: {} is not a capability name; write names like \"NET_BIND_SERVICE\" (ALL is never allowed)",
                    quote(&name)
                )
            })?);
        }
        capabilities.sort();
        capabilities.dedup();
        Ok(EnginePolicy {
            allow_bind_mounts: mounts,
            allow_named_volumes: raw.allow_named_volumes,
            allow_capabilities: capabilities,
        })
    }
}

/// An `allow_bind_mounts` entry: absolute, without `.` or `..`, not `/`.
fn allowed_mount(path: &Path) -> Result<PathBuf, String> {
    let shown = quote(&path.display().to_string());
    if !path.is_absolute() {
        return Err(format!(
            "engine_policy.allow_bind_mounts: {shown} is not absolute; name host directories like \"/srv/tenants\""
        ));
    }
    if path
        .components()
        .any(|part| matches!(part, Component::ParentDir | Component::CurDir))
    {
        return Err(format!(
            "engine_policy.allow_bind_mounts: {shown} has `.` or `..` in it; write the directory's plain path"
        ));
    }
    let clean: PathBuf = path.components().collect();
    if clean == Path::new("/") {
        return Err(
            "engine_policy.allow_bind_mounts: \"/\" would allow every host path, which is the host; name the directories tenants may mount".into(),
        );
    }
    Ok(clean)
}

/// `CAP_NET_ADMIN`, `net_admin` → `NET_ADMIN`; `None` for `ALL` or
/// anything that is not a capability name.
pub(crate) fn capability_name(name: &str) -> Option<String> {
    let upper = name.trim().to_ascii_uppercase();
    let bare = upper.strip_prefix("CAP_").unwrap_or(&upper);
    let valid = !bare.is_empty()
        && bare != "ALL"
        && bare.len() <= 32
        && bare.bytes().all(|b| b.is_ascii_uppercase() || b == b'_');
    valid.then(|| bare.to_owned())
}

impl EnginePolicy {
    /// Whether nothing is loosened.
    pub fn is_default(&self) -> bool {
        self == &EnginePolicy::default()
    }

    /// What this policy loosens, one `key = value` each; empty for the
    /// default.
    pub fn loosened(&self) -> Vec<String> {
        self.loosenings()
            .into_iter()
            .map(|(key, value)| format!("{key} = {value}"))
            .collect()
    }

    /// Each key this policy sets, with its value as TOML writes it.
    fn loosenings(&self) -> Vec<(&'static str, String)> {
        let list = |items: Vec<String>| {
            let quoted: Vec<String> = items.iter().map(|item| format!("{item:?}")).collect();
            format!("[{}]", quoted.join(", "))
        };
        let mut out = Vec::new();
        if !self.allow_bind_mounts.is_empty() {
            let paths = self
                .allow_bind_mounts
                .iter()
                .map(|p| p.display().to_string());
            out.push(("allow_bind_mounts", list(paths.collect())));
        }
        if self.allow_named_volumes {
            out.push(("allow_named_volumes", "true".to_owned()));
        }
        if !self.allow_capabilities.is_empty() {
            out.push(("allow_capabilities", list(self.allow_capabilities.clone())));
        }
        out
    }

    /// `default`, or `loosened: allow_named_volumes = true; …`.
    pub fn describe(&self) -> String {
        match self.loosened() {
            loosened if loosened.is_empty() => "default".into(),
            loosened => format!("loosened: {}", loosened.join("; ")),
        }
    }

    /// Every rule as it applies under this policy, in [`Rule::ALL`] order:
    /// what `providers inspect` shows.
    pub fn effective(&self) -> Vec<EffectiveRule> {
        let loosenings = self.loosenings();
        Rule::ALL
            .into_iter()
            .map(|rule| EffectiveRule {
                rule: rule.name(),
                refuses: rule.refuses(),
                loosened: loosenings
                    .iter()
                    .filter(|(key, _)| rule.loosened_by().contains(key))
                    .map(|(key, value)| format!("{key} = {value}"))
                    .collect(),
            })
            .collect()
    }

    /// Whether a bind mount of host path `source` is allowed: it is (or is
    /// under) an `allow_bind_mounts` directory, compared by components.
    pub(crate) fn allows_bind(&self, source: &Path) -> bool {
        self.allow_bind_mounts
            .iter()
            .any(|allowed| source.starts_with(allowed))
    }

    /// Whether adding capability `name` (any spelling) is allowed.
    pub(crate) fn allows_capability(&self, name: &str) -> bool {
        capability_name(name).is_some_and(|name| self.allow_capabilities.contains(&name))
    }
}

/// One rule as a provider's policy applies it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EffectiveRule {
    /// Its name.
    pub rule: &'static str,
    /// What it refuses.
    pub refuses: &'static str,
    /// What the provider's `engine_policy` loosens of it (`key = value`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub loosened: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<EnginePolicy, String> {
        #[derive(Deserialize)]
        struct Wrapper {
            engine_policy: EnginePolicy,
        }
        toml::from_str::<Wrapper>(text)
            .map(|w| w.engine_policy)
            .map_err(|err| err.to_string())
    }

    #[test]
    fn loosenings_are_checked_normalized_and_described() {
        let policy = parse(
            r#"engine_policy = { allow_bind_mounts = ["/srv/tenants/", "/srv/tenants"], allow_capabilities = ["cap_net_admin", "NET_BIND_SERVICE"] }"#,
        )
        .unwrap();
        assert_eq!(policy.allow_bind_mounts, [PathBuf::from("/srv/tenants")]);
        assert_eq!(policy.allow_capabilities, ["NET_ADMIN", "NET_BIND_SERVICE"]);
        assert_eq!(
            policy.describe(),
            r#"loosened: allow_bind_mounts = ["/srv/tenants"]; allow_capabilities = ["NET_ADMIN", "NET_BIND_SERVICE"]"#
        );
        let effective = policy.effective();
        assert_eq!(effective.len(), Rule::ALL.len());
        let loosened: Vec<(&str, &[String])> = effective
            .iter()
            .filter(|rule| !rule.loosened.is_empty())
            .map(|rule| (rule.rule, rule.loosened.as_slice()))
            .collect();
        assert_eq!(
            loosened,
            [
                (
                    "host_mounts",
                    &[r#"allow_bind_mounts = ["/srv/tenants"]"#.to_owned()][..]
                ),
                (
                    "capabilities",
                    &[r#"allow_capabilities = ["NET_ADMIN", "NET_BIND_SERVICE"]"#.to_owned()][..]
                ),
            ]
        );
        assert!(policy.allows_bind(Path::new("/srv/tenants/acme/data")));
        assert!(!policy.allows_bind(Path::new("/srv/tenants-other")));
        assert!(policy.allows_capability("net_admin"));
        assert!(!policy.allows_capability("SYS_ADMIN"));
        assert_eq!(EnginePolicy::default().describe(), "default");
        assert!(parse("engine_policy = {}").unwrap().is_default());
    }

    #[test]
    fn every_rule_has_its_row_in_the_sandbox_docs() {
        let docs = include_str!("../../../../docs/sandbox.md");
        let section = &docs[docs.find("## Granting an engine").expect("the section")..];
        for rule in Rule::ALL {
            assert!(
                section.contains(&format!("\n| `{}` | ", rule.name())),
                "docs/sandbox.md, \"Granting an engine\", has no row for `{rule}`"
            );
        }
    }

    #[test]
    fn a_loosening_that_means_everything_or_nothing_is_refused() {
        for (text, expected) in [
            (
                r#"allow_bind_mounts = ["/"]"#,
                "would allow every host path",
            ),
            (r#"allow_bind_mounts = ["srv"]"#, "is not absolute"),
            (r#"allow_bind_mounts = ["/srv/../etc"]"#, "has `.` or `..`"),
            (
                r#"allow_capabilities = ["ALL"]"#,
                "is not a capability name",
            ),
            (
                r#"allow_privileged = true"#,
                "unknown field `allow_privileged`",
            ),
        ] {
            let err = parse(&format!("engine_policy = {{ {text} }}")).unwrap_err();
            assert!(err.contains(expected), "{text}: {err}");
        }
    }
}
