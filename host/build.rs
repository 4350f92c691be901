//! Builds the provider components this crate embeds (today: the mock) from
//! source, for `wasm32-wasip2`, so no `.wasm` is ever checked in.
//!
//! The guest crates are members of this workspace; a child cargo builds them
//! into a target directory of its own under `OUT_DIR` (sharing the outer
//! one would deadlock on its lock), with the `guest` profile (small, panic =
//! abort). Cargo reruns this script when any source file the guest was built
//! from changes, as listed in the guest's dep-info file.

// A build script talks to cargo through stdout and to people through stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";
const PROFILE: &str = "guest";

/// (cargo package, library file stem, file name under OUT_DIR)
const GUESTS: &[(&str, &str, &str)] = &[(
    "landlord-mock-provider",
    "landlord_mock_provider",
    "mock.wasm",
)];

fn main() {
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let workspace = manifest_dir
        .parent()
        .expect("host/ sits in the workspace root");
    let target_dir = out_dir.join("guest-target");

    println!("cargo:rerun-if-changed={}", workspace.join("wit").display());
    for (package, stem, output) in GUESTS {
        build_guest(workspace, &target_dir, package);
        let artifact_dir = target_dir.join(TARGET).join(PROFILE);
        let wasm = artifact_dir.join(format!("{stem}.wasm"));
        fs::copy(&wasm, out_dir.join(output))
            .unwrap_or_else(|err| panic!("copying {}: {err}", wasm.display()));
        rerun_if_sources_change(&artifact_dir.join(format!("{stem}.d")));
    }
}

fn build_guest(workspace: &Path, target_dir: &Path, package: &str) {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(workspace)
        .args([
            "build",
            "--package",
            package,
            "--target",
            TARGET,
            "--profile",
            PROFILE,
        ])
        .arg("--target-dir")
        .arg(target_dir)
        // Flags and wrappers meant for the host build must not leak into the
        // guest build (a clippy or coverage run would otherwise rebuild the
        // guest with them, or fail on the wasm target).
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .env_remove("RUSTC_WRAPPER")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET");
    let status = command
        .status()
        .unwrap_or_else(|err| panic!("running cargo for {package}: {err}"));
    if !status.success() {
        // The child cargo's errors are above; say what to check, without a
        // build-script backtrace burying them.
        eprintln!(
            "error: building the guest component {package} for {TARGET} failed ({status}); \
             see the compiler output above. If the target is missing: `rustup target add {TARGET}` \
             (rust-toolchain.toml lists it, so rustup normally installs it)."
        );
        std::process::exit(1);
    }
}

/// Rerun when any file in the guest's dep-info changes.
fn rerun_if_sources_change(dep_info: &Path) {
    let Ok(text) = fs::read_to_string(dep_info) else {
        return;
    };
    let Some((_, deps)) = text.lines().next().and_then(|line| line.split_once(": ")) else {
        return;
    };
    // Paths are space-separated; spaces inside a path are escaped as "\ ".
    let deps = deps.replace("\\ ", "\u{0}");
    for dep in deps.split_whitespace() {
        println!("cargo:rerun-if-changed={}", dep.replace('\u{0}', " "));
    }
}
