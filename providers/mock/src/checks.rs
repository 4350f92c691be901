//! The mock's own validation: what a real provider would check beyond the
//! host's structural rules. Every problem is reported with its field path.

use std::collections::BTreeSet;

use crate::bindings::landlord::compute::types::{FieldError, TenantComputeSpec};

/// Keys the mock accepts in `provider_config`, with what each must be.
const CONFIG_KEYS: &[(&str, &str)] = &[("zone", "a zone name such as \"eu-1\"")];

/// Every problem the mock finds in `spec`; empty when it is acceptable.
pub(crate) fn problems(spec: &TenantComputeSpec, name: &str) -> Vec<FieldError> {
    let mut out = Vec::new();
    let mut problem = |path: String, message: String| out.push(FieldError { path, message });

    if spec.provider_type != name {
        problem(
            "provider_type".into(),
            format!(
                "is '{}', but this is the '{name}' provider",
                spec.provider_type
            ),
        );
    }
    if spec.containers.is_empty() {
        problem(
            "containers".into(),
            "must list at least one container".into(),
        );
    }
    let mut seen = BTreeSet::new();
    for (i, container) in spec.containers.iter().enumerate() {
        if !seen.insert(container.name.as_str()) {
            problem(
                format!("containers[{i}].name"),
                format!("duplicate container name '{}'", container.name),
            );
        }
    }
    if let Some(config) = &spec.provider_config {
        match serde_json::from_str::<serde_json::Value>(config) {
            Ok(serde_json::Value::Object(fields)) => {
                for (key, value) in fields {
                    let path = format!("provider_config.{key}");
                    match key.as_str() {
                        "zone" => match value.as_str() {
                            Some(zone) if is_identifier(zone) => {}
                            _ => problem(
                                path,
                                "must be a zone name: lowercase letters, digits and '-'".into(),
                            ),
                        },
                        _ => problem(
                            path,
                            format!(
                                "unknown setting; the mock accepts: {}",
                                CONFIG_KEYS
                                    .iter()
                                    .map(|(key, what)| format!("{key} ({what})"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        ),
                    }
                }
            }
            Ok(_) => problem(
                "provider_config".into(),
                "must be a JSON object such as {\"zone\": \"eu-1\"}".into(),
            ),
            Err(err) => problem(
                "provider_config".into(),
                format!("is not valid JSON: {err}"),
            ),
        }
    }
    out
}

/// The zone named by `provider_config`, if any.
pub(crate) fn zone(spec: &TenantComputeSpec) -> Option<String> {
    let config: serde_json::Value = serde_json::from_str(spec.provider_config.as_deref()?).ok()?;
    config.get("zone")?.as_str().map(str::to_owned)
}

fn is_identifier(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::spec;

    fn paths(spec: &TenantComputeSpec) -> Vec<String> {
        problems(spec, "mock").into_iter().map(|p| p.path).collect()
    }

    #[test]
    fn a_plain_spec_is_acceptable() {
        assert!(paths(&spec()).is_empty());
    }

    #[test]
    fn provider_config_must_be_an_object_of_known_settings() {
        let mut s = spec();
        s.provider_config = Some(r#"{"zone":"eu-1"}"#.into());
        assert!(paths(&s).is_empty());
        assert_eq!(zone(&s).as_deref(), Some("eu-1"));
        s.provider_config = Some(r#"{"zone":"EU 1","replicas":3}"#.into());
        assert_eq!(
            paths(&s),
            ["provider_config.replicas", "provider_config.zone"]
        );
        s.provider_config = Some("[1]".into());
        assert_eq!(paths(&s), ["provider_config"]);
        s.provider_config = Some("{".into());
        assert_eq!(paths(&s), ["provider_config"]);
    }

    #[test]
    fn the_spec_must_name_this_provider_and_unique_containers() {
        let mut s = spec();
        s.provider_type = "ecs".into();
        let twin = s.containers[0].clone();
        s.containers.push(twin);
        assert_eq!(paths(&s), ["provider_type", "containers[1].name"]);
    }
}
