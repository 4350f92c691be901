//! Used by build scripts to compile guest crates of this workspace into
//! WebAssembly components, from source, on every build that needs them, so
//! that no `.wasm` is ever checked in (the approach of wasmtime's
//! `test-programs/artifacts/build.rs`).
//!
//! A child cargo builds the guest into a target directory of its own under
//! `OUT_DIR` (sharing the outer one would deadlock on its lock) for
//! `wasm32-wasip2` with the workspace's `guest` profile. The calling build
//! script is told to rerun whenever a source file of a guest changes, as
//! listed in the guest's dep-info file.

// A build script talks to cargo through stdout and to people through stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The target every guest is built for.
pub const TARGET: &str = "wasm32-wasip2";
/// The cargo profile guests are built with (see the workspace `Cargo.toml`).
pub const PROFILE: &str = "guest";

/// Which of a package's targets are the components.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Artifacts {
    /// The package's library (`crate-type = ["cdylib"]`).
    Library,
    /// Each of the package's examples (each `crate-type = ["cdylib"]`).
    Examples,
}

/// One built component.
#[derive(Debug, Clone)]
pub struct Component {
    /// The library or example name, with `-` as `_` (a Rust identifier).
    pub name: String,
    /// Where the component file is.
    pub path: PathBuf,
}

/// Build `package` (a member of the workspace at `workspace`) and return its
/// components. Exits the build script with a clear message on failure.
pub fn build(workspace: &Path, package: &str, artifacts: Artifacts) -> Vec<Component> {
    let out_dir =
        PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR for build scripts"));
    let target_dir = out_dir.join("guest-target");
    println!("cargo:rerun-if-changed={}", workspace.join("wit").display());

    check_target_installed();
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
        .arg(&target_dir)
        // Flags and wrappers meant for the host build must not leak into the
        // guest build (a clippy or coverage run would otherwise rebuild the
        // guest with them, or fail on the wasm target).
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .env_remove("RUSTC_WRAPPER")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET");
    if artifacts == Artifacts::Examples {
        command.arg("--examples");
    }
    let status = match command.status() {
        Ok(status) => status,
        Err(err) => fail(&format!(
            "cannot run cargo to build the guest {package}: {err}"
        )),
    };
    if !status.success() {
        fail(&format!(
            "building the guest component {package} for {TARGET} failed ({status}); see the compiler \
             output above. If the target is missing: `rustup target add {TARGET}` (rust-toolchain.toml \
             lists it, so rustup normally installs it)."
        ));
    }

    let mut dir = target_dir.join(TARGET).join(PROFILE);
    if artifacts == Artifacts::Examples {
        dir = dir.join("examples");
    }
    let mut components = Vec::new();
    let entries =
        fs::read_dir(&dir).unwrap_or_else(|err| fail(&format!("reading {}: {err}", dir.display())));
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        // Cargo leaves hashed copies (`name-0123abcd.wasm`) beside the real ones.
        if path.extension().is_none_or(|ext| ext != "wasm") || stem.contains('-') {
            continue;
        }
        if artifacts == Artifacts::Library && stem != package.replace('-', "_") {
            continue;
        }
        rerun_if_sources_change(&path.with_extension("d"));
        components.push(Component {
            name: stem.to_owned(),
            path,
        });
    }
    components.sort_by(|a, b| a.name.cmp(&b.name));
    if components.is_empty() {
        fail(&format!(
            "the guest package {package} produced no component in {}",
            dir.display()
        ));
    }
    components
}

/// Stop at once, with the command that fixes it, when the toolchain has no
/// standard library for [`TARGET`]: rustup adds a `rust-toolchain.toml`'s
/// targets only when it installs the toolchain itself, and otherwise the
/// guest build fails late with "can't find crate for `std`".
fn check_target_installed() {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let Ok(output) = Command::new(rustc)
        .args(["--print", "target-libdir", "--target", TARGET])
        .output()
    else {
        return; // the guest build itself will say what is wrong
    };
    let libdir = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if output.status.success() && !libdir.is_empty() && !Path::new(&libdir).is_dir() {
        fail(&format!(
            "the Rust toolchain has no standard library for {TARGET}, which every guest component is \
             built for; install it with `scripts/rust-toolchain.sh` (or `rustup target add {TARGET}`), then build again"
        ));
    }
}

fn fail(message: &str) -> ! {
    // A panic would bury the message under a build-script backtrace.
    eprintln!("error: {message}");
    std::process::exit(1);
}

/// Rerun the build script when any file in a dep-info file changes.
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
