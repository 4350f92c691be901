//! The Docker engine for the tests that drive the docker provider: checked
//! to be there (without one a test fails and says how to start it, it
//! never skips), read and changed with the `docker` CLI, and a guard that
//! removes a tenant's containers and network whatever the test did.

// Each test binary that includes this module uses part of it.
#![allow(dead_code)]

use std::process::Command;

pub const HOW_TO_START: &str = "these tests need a running Docker engine and the test image: run \
`scripts/docker-engine.sh` and `scripts/busybox-image.sh landlord-test/busybox:1` (the README's \
test command `scripts/test.sh` runs both)";

/// The image every test container runs (a static busybox, built locally).
pub const IMAGE: &str = "landlord-test/busybox:1";

pub fn require_engine() {
    let info = Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output();
    match info {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "`docker info` failed: {}\n{HOW_TO_START}",
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(err) => panic!("cannot run `docker`: {err}\n{HOW_TO_START}"),
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/busybox-image.sh");
    let built = Command::new(script)
        .arg(IMAGE)
        .output()
        .expect("scripts/busybox-image.sh runs");
    assert!(
        built.status.success(),
        "scripts/busybox-image.sh failed: {}\n{HOW_TO_START}",
        String::from_utf8_lossy(&built.stderr)
    );
}

pub fn docker_ps(tenant: &str) -> String {
    let out = Command::new("docker")
        .args([
            "ps",
            "-aq",
            "--filter",
            &format!("label=landlord.tenant_id={tenant}"),
        ])
        .output()
        .expect("docker ps runs");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// `docker ARGS`, which must succeed; its stdout, trimmed.
pub fn docker(args: &[&str]) -> String {
    let out = Command::new("docker")
        .args(args)
        .output()
        .unwrap_or_else(|err| panic!("cannot run `docker`: {err}\n{HOW_TO_START}"));
    assert!(
        out.status.success(),
        "docker {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Removes the tenant's containers and network whatever the test did.
pub struct Cleanup(pub String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let ids = docker_ps(&self.0);
        if !ids.is_empty() {
            let _ = Command::new("docker")
                .arg("rm")
                .arg("-f")
                .args(ids.split_whitespace())
                .output();
        }
        let _ = Command::new("docker")
            .args(["network", "rm", &format!("landlord-{}", self.0)])
            .output();
    }
}
