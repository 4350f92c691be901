//! Reads environment variables and arguments in `provision`.
use landlord_hostile_guests::ProviderError;

landlord_hostile_guests::hostile_guest!("read-env", |_spec| {
    let vars: Vec<String> = std::env::vars().map(|(k, v)| format!("{k}={v}")).collect();
    let args: Vec<String> = std::env::args().collect();
    let path = std::env::var("PATH").ok();
    if vars.is_empty() && args.is_empty() && path.is_none() {
        Err(ProviderError::ProvisionFailed(
            "denied: empty environment and arguments".into(),
        ))
    } else {
        Err(ProviderError::ProvisionFailed(format!(
            "LEAKED vars={vars:?} args={args:?} PATH={path:?}"
        )))
    }
});
