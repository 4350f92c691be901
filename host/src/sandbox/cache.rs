//! The on-disk cache of compiled components, so that a second process does
//! not compile a component again (compiling takes tens of milliseconds to
//! seconds; loading a compiled one well under one).
//!
//! An entry is named by the component's SHA-256 (a cryptographic digest:
//! no component can be crafted to be served another's compiled code) and a
//! hash of the engine's compilation settings, and starts with a CRC-32 of
//! the compiled bytes that follow (the entry is the operator's own file; the
//! checksum is there to catch truncation and corruption, which a CRC does at
//! a tenth of SHA-256's cost on every start). An entry whose checksum does
//! not match or that wasmtime refuses (another wasmtime version or
//! configuration) is ignored, recompiled and rewritten; it is never loaded
//! blindly.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use wasmtime::Engine;
use wasmtime::component::Component;

/// Compiled components in one directory.
#[derive(Debug, Clone)]
pub(crate) struct ComponentCache {
    dir: PathBuf,
    engine_key: String,
}

/// Bytes of the checksum at the start of an entry (a little-endian CRC-32).
const CHECKSUM_LEN: usize = 4;

/// The entry layout's version, part of every entry's name.
const FORMAT: &str = "v2";

fn checksum(payload: &[u8]) -> [u8; CHECKSUM_LEN] {
    crc32fast::hash(payload).to_le_bytes()
}

impl ComponentCache {
    pub(crate) fn new(dir: PathBuf, engine: &Engine) -> Self {
        let mut hasher = DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        Self {
            dir,
            engine_key: format!("{:016x}", hasher.finish()),
        }
    }

    /// Where the entry for `component` (its bytes) lives.
    pub(crate) fn entry_path(&self, component: &[u8]) -> PathBuf {
        self.dir.join(format!(
            "{}-{}-{FORMAT}.cwasm",
            crate::embedded::sha256_hex(component),
            self.engine_key
        ))
    }

    /// The compiled `component`, from the cache when a sound entry exists,
    /// else compiled now and stored.
    pub(crate) fn load_or_compile(
        &self,
        engine: &Engine,
        component: &[u8],
    ) -> wasmtime::Result<Component> {
        let path = self.entry_path(component);
        if let Some(compiled) = read(engine, &path) {
            return Ok(compiled);
        }
        let compiled = Component::new(engine, component)?;
        if let Err(err) = write(&path, &compiled) {
            tracing::warn!(path = %path.display(), error = %err, "could not store a compiled component in the cache");
        }
        Ok(compiled)
    }
}

fn read(engine: &Engine, path: &Path) -> Option<Component> {
    let entry = std::fs::read(path).ok()?;
    if entry.len() < CHECKSUM_LEN || checksum(&entry[CHECKSUM_LEN..])[..] != entry[..CHECKSUM_LEN] {
        tracing::warn!(path = %path.display(), "ignoring a corrupt compiled-component cache entry; recompiling");
        return None;
    }
    // SAFETY: `Component::deserialize` trusts its bytes to be wasmtime's own
    // output. These are: the entry sits in the operator's state directory,
    // was written by `write` below with a CRC-32 over the compiled bytes
    // (checked just above, so truncation and corruption are caught), and is
    // named by the component's digest and the engine's compatibility hash;
    // wasmtime itself refuses bytes from another version or configuration.
    // Someone who can write the state directory is trusted (they could
    // equally replace the providers' state).
    #[allow(unsafe_code)]
    let compiled = unsafe { Component::deserialize(engine, &entry[CHECKSUM_LEN..]) };
    match compiled {
        Ok(compiled) => Some(compiled),
        Err(err) => {
            tracing::warn!(path = %path.display(), error = %err, "ignoring a stale compiled-component cache entry; recompiling");
            None
        }
    }
}

fn write(path: &Path, compiled: &Component) -> wasmtime::Result<()> {
    let payload = compiled.serialize()?;
    let mut entry = checksum(&payload).to_vec();
    entry.extend_from_slice(&payload);
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    // Write aside and rename, so a reader never sees half an entry.
    let temporary = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("entry"),
        std::process::id()
    ));
    std::fs::write(&temporary, &entry)?;
    std::fs::rename(&temporary, path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::compute::Provider;
    use crate::sandbox::{ProviderSettings, Runtime, RuntimeOptions, WasmProvider};
    use crate::state::MemoryStateStore;

    fn load(runtime: &Runtime) -> WasmProvider {
        WasmProvider::load(
            runtime,
            "embedded mock",
            crate::embedded::MOCK_COMPONENT,
            ProviderSettings::default(),
            Arc::new(MemoryStateStore::new()),
        )
        .unwrap()
    }

    fn runtime(dir: &Path) -> Runtime {
        Runtime::with_options(RuntimeOptions {
            cache_dir: Some(dir.to_owned()),
            ..RuntimeOptions::default()
        })
        .unwrap()
    }

    #[test]
    fn a_compiled_component_is_stored_and_loaded_back() {
        let dir = tempfile::tempdir().unwrap();
        let first = runtime(dir.path());
        assert_eq!(load(&first).name(), "mock");
        let path = ComponentCache::new(dir.path().to_owned(), first.engine())
            .entry_path(crate::embedded::MOCK_COMPONENT);
        let stored = std::fs::read(&path).unwrap();
        // A second runtime (as a second process would) loads it and it works.
        assert_eq!(load(&runtime(dir.path())).name(), "mock");
        assert_eq!(
            std::fs::read(&path).unwrap(),
            stored,
            "a sound entry is not rewritten"
        );
    }

    #[test]
    fn corrupt_and_stale_entries_are_ignored_and_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        let rt = runtime(dir.path());
        load(&rt);
        let path = ComponentCache::new(dir.path().to_owned(), rt.engine())
            .entry_path(crate::embedded::MOCK_COMPONENT);
        let good = std::fs::read(&path).unwrap();

        // Flip one byte of the compiled code: the checksum catches it.
        let mut corrupt = good.clone();
        let middle = corrupt.len() / 2;
        corrupt[middle] ^= 0xff;
        std::fs::write(&path, &corrupt).unwrap();
        assert_eq!(load(&runtime(dir.path())).name(), "mock");
        assert_eq!(std::fs::read(&path).unwrap().len(), good.len());
        assert_ne!(
            std::fs::read(&path).unwrap(),
            corrupt,
            "the entry was rebuilt"
        );

        // A checksummed entry that is not a compiled component (another
        // wasmtime's output, say): wasmtime refuses it, and it is rebuilt.
        let payload = b"not a compiled component".to_vec();
        let mut stale = checksum(&payload).to_vec();
        stale.extend_from_slice(&payload);
        std::fs::write(&path, &stale).unwrap();
        assert_eq!(load(&runtime(dir.path())).name(), "mock");
        assert_ne!(std::fs::read(&path).unwrap(), stale);

        // A truncated entry.
        std::fs::write(&path, &good[..10]).unwrap();
        assert_eq!(load(&runtime(dir.path())).name(), "mock");
    }
}
