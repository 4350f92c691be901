//! Hostile guest components (`tests/hostile/<name>`) as files a
//! `[providers.NAME] component = "…"` entry can point at.
//!
//! `tests/build.rs` builds them for the `landlord-tests` crate, which the
//! host cannot depend on (it depends on the host), so the first test that
//! needs one builds the guests it names here the same way `guest-build`
//! does: a child cargo for `wasm32-wasip2` with the `guest` profile, in a
//! target directory of its own under cargo's per-test scratch directory
//! (sharing the outer one would wait on its lock). Later runs find them
//! built and only pay cargo's freshness check.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The guests the API tests use.
const GUESTS: &[&str] = &["panic", "sleep"];
const TARGET: &str = "wasm32-wasip2";
const PROFILE: &str = "guest";

/// The component file of the hostile guest `name` (one of [`GUESTS`]),
/// built on first use; a build that cannot run fails the test with what to
/// install.
pub fn hostile(name: &str) -> PathBuf {
    assert!(
        GUESTS.contains(&name),
        "add {name} to GUESTS in {}",
        file!()
    );
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let dir = BUILT
        .get_or_init(build)
        .as_ref()
        .unwrap_or_else(|err| panic!("{err}"));
    let path = dir.join(format!("{name}.wasm"));
    assert!(
        path.is_file(),
        "the hostile guest {name} was built but {} is missing",
        path.display()
    );
    path
}

fn build() -> Result<PathBuf, String> {
    let workspace = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let target_dir = PathBuf::from(concat!(env!("CARGO_TARGET_TMPDIR"), "/api-hostile-guests"));
    let mut command = Command::new(env!("CARGO"));
    command
        .current_dir(&workspace)
        .args([
            "build",
            "--locked",
            "--quiet",
            "--package",
            "landlord-hostile-guests",
            "--target",
            TARGET,
            "--profile",
            PROFILE,
        ])
        .arg("--target-dir")
        .arg(&target_dir)
        // What the outer build was told must not reach the guest build.
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .env_remove("RUSTC_WRAPPER")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET");
    for guest in GUESTS {
        command.args(["--example", guest]);
    }
    let output = command.output().map_err(|err| {
        format!(
            "cannot run {} to build the hostile guests: {err}",
            env!("CARGO")
        )
    })?;
    if !output.status.success() {
        return Err(format!(
            "building the hostile guests {GUESTS:?} for {TARGET} failed ({}):\n{}\n\
             If the target is missing, install it with `scripts/rust-toolchain.sh` \
             (or `rustup target add {TARGET}`).",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(target_dir.join(TARGET).join(PROFILE).join("examples"))
}
