//! Builds the provider components this crate embeds (today: the mock) from
//! source with `guest-build`, so no `.wasm` is ever checked in.

use std::path::Path;

use guest_build::{Artifacts, build};

fn main() {
    let manifest_dir =
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let workspace = Path::new(&manifest_dir)
        .parent()
        .expect("host/ sits in the workspace root");
    let out_dir = std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR");
    for component in build(workspace, "landlord-mock-provider", Artifacts::Library) {
        let embedded = Path::new(&out_dir).join("mock.wasm");
        if let Err(err) = std::fs::copy(&component.path, &embedded) {
            panic!(
                "copying {} to {}: {err}",
                component.path.display(),
                embedded.display()
            );
        }
    }
}
