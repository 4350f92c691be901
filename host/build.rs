//! Builds the provider components this crate embeds (the mock and the
//! Docker provider) from source with `guest-build`, so no `.wasm` is ever
//! checked in.

use std::path::Path;

use guest_build::{Artifacts, build};
use sha2::{Digest, Sha256};

/// Each embedded provider: its package, and the file stem its component
/// and digest are written under in `OUT_DIR` (see `src/embedded.rs`).
const EMBEDDED: &[(&str, &str)] = &[
    ("landlord-mock-provider", "mock"),
    ("landlord-docker-provider", "docker"),
];

fn main() {
    let manifest_dir =
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let workspace = Path::new(&manifest_dir)
        .parent()
        .expect("host/ sits in the workspace root");
    let out_dir = std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR");
    for (package, stem) in EMBEDDED {
        for component in build(workspace, package, Artifacts::Library) {
            let embedded = Path::new(&out_dir).join(format!("{stem}.wasm"));
            let bytes = std::fs::read(&component.path)
                .unwrap_or_else(|err| panic!("reading {}: {err}", component.path.display()));
            if let Err(err) = std::fs::write(&embedded, &bytes) {
                panic!("writing {}: {err}", embedded.display());
            }
            // Its SHA-256, so a process does not hash the embedded bytes to
            // find them in the compiled-component cache.
            let digest: String = Sha256::digest(&bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            let digest_file = Path::new(&out_dir).join(format!("{stem}.sha256"));
            if let Err(err) = std::fs::write(&digest_file, digest) {
                panic!("writing {}: {err}", digest_file.display());
            }
        }
    }
}
