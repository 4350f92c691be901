//! Tries to read files in `provision`.
use landlord_hostile_guests::ProviderError;

landlord_hostile_guests::hostile_guest!("read-file", |_spec| {
    let mut loot = Vec::new();
    for path in ["/etc/passwd", "/proc/self/environ", ".", "/"] {
        match std::fs::read_to_string(path) {
            Ok(text) => loot.push(format!("{path}: {text}")),
            Err(err) => {
                if let Ok(entries) = std::fs::read_dir(path) {
                    loot.push(format!("{path}: {} entries", entries.count()));
                } else {
                    let _ = err;
                }
            }
        }
    }
    if loot.is_empty() {
        Err(ProviderError::ProvisionFailed(
            "denied: no file could be opened".into(),
        ))
    } else {
        Err(ProviderError::ProvisionFailed(format!(
            "LEAKED {}",
            loot.join(" | ")
        )))
    }
});
