//! What changed between a tenant's stored spec and a new one, one line per
//! change, for `update`. Values that may be secret (env, secret references,
//! provider config) are never echoed: only that they changed.

use std::collections::BTreeMap;

use crate::bindings::landlord::compute::types::{
    ContainerSpec, ResourceRequirements, TenantComputeSpec,
};

/// The changes from `old` to `new`; empty when they are equivalent.
pub(crate) fn changes(old: &TenantComputeSpec, new: &TenantComputeSpec) -> Vec<String> {
    let mut out = Vec::new();
    let old_containers: BTreeMap<_, _> = old
        .containers
        .iter()
        .map(|c| (c.name.as_str(), c))
        .collect();
    let new_containers: BTreeMap<_, _> = new
        .containers
        .iter()
        .map(|c| (c.name.as_str(), c))
        .collect();
    for (name, container) in &new_containers {
        match old_containers.get(name) {
            None => out.push(format!(
                "container {name}: added (image {})",
                container.image
            )),
            Some(before) => container_changes(&mut out, name, before, container),
        }
    }
    for name in old_containers.keys() {
        if !new_containers.contains_key(name) {
            out.push(format!("container {name}: removed"));
        }
    }
    if old.resources != new.resources {
        out.push(format!(
            "resources: {} -> {}",
            describe(&old.resources),
            describe(&new.resources)
        ));
    }
    let mut changed = |what: &str, differs: bool| {
        if differs {
            out.push(format!("{what}: changed"));
        }
    };
    changed("networking", old.networking != new.networking);
    changed("secrets", old.secrets != new.secrets);
    changed("labels", old.labels != new.labels);
    changed(
        "provider_config",
        old.provider_config != new.provider_config,
    );
    out
}

fn container_changes(out: &mut Vec<String>, name: &str, old: &ContainerSpec, new: &ContainerSpec) {
    if old.image != new.image {
        out.push(format!(
            "container {name}: image {} -> {}",
            old.image, new.image
        ));
    }
    if old.resources != new.resources {
        let show = |r: &Option<ResourceRequirements>| {
            r.as_ref().map_or("tenant share".to_owned(), describe)
        };
        out.push(format!(
            "container {name}: resources {} -> {}",
            show(&old.resources),
            show(&new.resources)
        ));
    }
    for (what, differs) in [
        ("command", old.command != new.command),
        ("args", old.args != new.args),
        ("env", old.env != new.env),
        ("ports", old.ports != new.ports),
        ("health_check", old.health_check != new.health_check),
    ] {
        if differs {
            out.push(format!("container {name}: {what} changed"));
        }
    }
}

fn describe(resources: &ResourceRequirements) -> String {
    let mut text = format!(
        "cpu {}m, memory {} MiB",
        resources.cpu_millicores, resources.memory_mib
    );
    if let Some(storage) = resources.storage_mib {
        text.push_str(&format!(", storage {storage} MiB"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::spec;

    #[test]
    fn identical_specs_have_no_changes() {
        assert!(changes(&spec(), &spec()).is_empty());
    }

    #[test]
    fn each_difference_is_one_line() {
        let old = spec();
        let mut new = spec();
        new.containers[0].image = "nginx:1.28".into();
        new.containers[0]
            .env
            .push(("TOKEN".into(), "s3cret".into()));
        new.resources.cpu_millicores = 1000;
        new.labels.push(("team".into(), "core".into()));
        let mut api = new.containers[0].clone();
        api.name = "api".into();
        new.containers.push(api);
        let lines = changes(&old, &new);
        assert_eq!(
            lines,
            [
                "container api: added (image nginx:1.28)",
                "container web: image nginx:1.27 -> nginx:1.28",
                "container web: env changed",
                "resources: cpu 500m, memory 512 MiB -> cpu 1000m, memory 512 MiB",
                "labels: changed",
            ]
        );
        assert!(lines.iter().all(|line| !line.contains("s3cret")));
        assert_eq!(
            changes(&new, &old).first().unwrap(),
            "container web: image nginx:1.28 -> nginx:1.27"
        );
        assert!(changes(&new, &old).contains(&"container api: removed".to_owned()));
    }
}
