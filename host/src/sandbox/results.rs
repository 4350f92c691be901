//! Host-checked results: what a guest returns is checked before it is passed
//! on. A result must be about the tenant asked for and come from this
//! provider, and no string or list in it may be unreasonably large; a
//! provider-error is held to the same size bounds.

use super::bindings::wit;
use super::convert::CallSite;
use crate::compute::ComputeError;

/// Longest string the host accepts in a result or error, in bytes.
pub const MAX_RESULT_TEXT: usize = 64 << 10;
/// Most entries the host accepts in any list of a result or error.
pub const MAX_RESULT_ITEMS: usize = 1024;

/// Collects the first few problems found in one result.
struct Checker<'a> {
    site: &'a CallSite<'a>,
    problems: Vec<String>,
}

impl<'a> Checker<'a> {
    fn new(site: &'a CallSite<'a>) -> Self {
        Self {
            site,
            problems: Vec::new(),
        }
    }

    fn text(&mut self, field: &str, value: &str) {
        if value.len() > MAX_RESULT_TEXT {
            self.problems.push(format!(
                "{field} is {} bytes long; the limit is {MAX_RESULT_TEXT}",
                value.len()
            ));
        }
    }

    fn optional_text(&mut self, field: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.text(field, value);
        }
    }

    /// A list's length; its items are checked only when the length is sane.
    fn items(&mut self, field: &str, len: usize) -> bool {
        if len > MAX_RESULT_ITEMS {
            self.problems.push(format!(
                "{field} has {len} entries; the limit is {MAX_RESULT_ITEMS}"
            ));
            return false;
        }
        true
    }

    fn pairs(&mut self, field: &str, pairs: &[(String, String)]) {
        if !self.items(field, pairs.len()) {
            return;
        }
        let mut keys = std::collections::BTreeSet::new();
        for (key, value) in pairs {
            self.text(&format!("{field} key"), key);
            self.text(&format!("{field}[{}]", shorten(key)), value);
            if !keys.insert(key.as_str()) {
                self.problems
                    .push(format!("{field} repeats the key '{}'", shorten(key)));
            }
        }
    }

    fn tenant(&mut self, tenant_id: &str) {
        if tenant_id != self.site.tenant_id {
            self.problems.push(format!(
                "it is for tenant '{}', but tenant '{}' was asked for",
                shorten(tenant_id),
                self.site.tenant_id
            ));
        }
    }

    fn provider(&mut self, provider_type: &str) {
        if provider_type != self.site.provider {
            self.problems.push(format!(
                "its provider_type is '{}', but the provider is '{}'",
                shorten(provider_type),
                self.site.provider
            ));
        }
    }

    fn finish(self) -> Result<(), ComputeError> {
        if self.problems.is_empty() {
            return Ok(());
        }
        Err(ComputeError::InvalidResult {
            provider: self.site.provider.to_owned(),
            operation: self.site.operation,
            message: self.problems.join("; "),
        })
    }
}

/// At most 64 bytes of `text`, escaped, for messages.
fn shorten(text: &str) -> std::borrow::Cow<'_, str> {
    crate::text::escape_bounded(text, 64)
}

impl CallSite<'_> {
    /// Check a provision result before it is passed on.
    pub(crate) fn check_provision(
        &self,
        result: &wit::ProvisionResult,
    ) -> Result<(), ComputeError> {
        let mut check = Checker::new(self);
        check.tenant(&result.tenant_id);
        check.provider(&result.provider_type);
        check.pairs("resource_ids", &result.resource_ids);
        if check.items("endpoints", result.endpoints.len()) {
            for endpoint in &result.endpoints {
                check.text("endpoint type", &endpoint.endpoint_type);
                check.text("endpoint address", &endpoint.address);
                check.optional_text("endpoint url", endpoint.url.as_deref());
            }
        }
        check.optional_text("message", result.message.as_deref());
        check.finish()
    }

    /// Check an update result before it is passed on.
    pub(crate) fn check_update(&self, result: &wit::UpdateResult) -> Result<(), ComputeError> {
        let mut check = Checker::new(self);
        check.tenant(&result.tenant_id);
        check.provider(&result.provider_type);
        if check.items("changes", result.changes.len()) {
            for change in &result.changes {
                check.text("a change", change);
            }
        }
        check.optional_text("message", result.message.as_deref());
        check.finish()
    }

    /// Check a status report before it is passed on.
    pub(crate) fn check_status(&self, status: &wit::ComputeStatus) -> Result<(), ComputeError> {
        let mut check = Checker::new(self);
        check.tenant(&status.tenant_id);
        check.provider(&status.provider_type);
        if check.items("containers", status.containers.len()) {
            for container in &status.containers {
                check.text("container name", &container.name);
                check.text("container state", &container.state);
                check.optional_text("container message", container.message.as_deref());
            }
        }
        check.pairs("metadata", &status.metadata);
        check.finish()
    }

    /// Check a provider-error before it is turned into a host error.
    pub(crate) fn check_error(&self, error: &wit::ProviderError) -> Result<(), ComputeError> {
        let mut check = Checker::new(self);
        match error {
            wit::ProviderError::InvalidSpec(fields) => {
                if check.items("invalid-spec", fields.len()) {
                    for field in fields {
                        check.text("invalid-spec path", &field.path);
                        check.text("invalid-spec message", &field.message);
                    }
                }
            }
            wit::ProviderError::ProvisionFailed(message)
            | wit::ProviderError::UpdateFailed(message)
            | wit::ProviderError::TenantNotFound(message)
            | wit::ProviderError::OperationFailed(message) => check.text("error message", message),
        }
        check.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::{ErrorKind, Operation};

    fn site() -> CallSite<'static> {
        CallSite {
            provider: "mock",
            operation: Operation::Provision,
            tenant_id: "acme",
        }
    }

    fn result() -> wit::ProvisionResult {
        wit::ProvisionResult {
            tenant_id: "acme".into(),
            provider_type: "mock".into(),
            status: wit::ProvisionStatus::Success,
            resource_ids: vec![("network".into(), "n-1".into())],
            endpoints: vec![],
            message: None,
        }
    }

    #[test]
    fn a_faithful_result_passes() {
        assert!(site().check_provision(&result()).is_ok());
    }

    #[test]
    fn another_tenants_or_providers_result_is_refused() {
        let mut lie = result();
        lie.tenant_id = "globex".into();
        lie.provider_type = "ecs".into();
        let err = site().check_provision(&lie).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidResult);
        let text = err.to_string();
        assert!(
            text.contains("tenant 'globex', but tenant 'acme' was asked for"),
            "{text}"
        );
        assert!(
            text.contains("provider_type is 'ecs', but the provider is 'mock'"),
            "{text}"
        );
    }

    #[test]
    fn oversized_text_lists_and_duplicate_keys_are_refused() {
        let mut big = result();
        big.message = Some("x".repeat(MAX_RESULT_TEXT + 1));
        big.resource_ids.push(("network".into(), "n-2".into()));
        let text = site().check_provision(&big).unwrap_err().to_string();
        assert!(text.contains("message is 65537 bytes long"), "{text}");
        assert!(
            text.contains("resource_ids repeats the key 'network'"),
            "{text}"
        );
        let flood = wit::ProviderError::InvalidSpec(
            (0..=MAX_RESULT_ITEMS)
                .map(|i| wit::FieldError {
                    path: i.to_string(),
                    message: String::new(),
                })
                .collect(),
        );
        let text = site().check_error(&flood).unwrap_err().to_string();
        assert!(text.contains("invalid-spec has 1025 entries"), "{text}");
    }
}
