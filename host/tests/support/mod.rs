//! What the CLI test files share: a temporary state directory and working
//! directory, and the `landlord` binary run in them.

#![allow(dead_code)] // each test file uses its own part

use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;

/// Kills a command that hangs (a FIFO with no writer blocked the old code
/// forever), so that the test fails instead of the suite stalling; far
/// longer than any command here takes.
pub const HANG: Duration = Duration::from_secs(120);

/// The example spec (tenant `acme` on the mock).
pub const SPEC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/tenant.json");

pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    pub fn cmd(&self) -> Command {
        let mut cmd = Command::cargo_bin("landlord").unwrap();
        cmd.current_dir(self.dir.path())
            .env_remove("LANDLORD_CONFIG")
            .env_remove("COMPUTE_DEFAULT_PROVIDER")
            .env_remove("LANDLORD_LOG")
            // A developer's own server must not turn these into remote runs.
            .env_remove("LANDLORD_SERVER")
            .env_remove("LANDLORD_TOKEN")
            .env_remove("LANDLORD_TOKEN_FILE")
            .env("LANDLORD_STATE_DIR", self.state_dir())
            .timeout(HANG);
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }

    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--output", "json"];
        all.extend_from_slice(args);
        serde_json::from_str(&self.ok(&all)).unwrap()
    }

    /// Exit code and stderr of a failing command.
    pub fn fails(&self, args: &[&str]) -> (i32, String) {
        let out = self.run(args);
        assert!(!out.status.success(), "{args:?} should fail");
        (
            out.status.code().unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    }

    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).unwrap();
        path.display().to_string()
    }

    /// What the state directory holds, as the CLI reports it.
    pub fn snapshot(&self) -> (Value, Value) {
        (self.json(&["tenants", "list"]), self.json(&["history"]))
    }
}

pub fn spec_with(edit: impl FnOnce(&mut Value)) -> String {
    let mut spec: Value = serde_json::from_str(&std::fs::read_to_string(SPEC).unwrap()).unwrap();
    edit(&mut spec);
    spec.to_string()
}

/// The example spec for `tenant_id` on `provider`, as compact JSON.
#[allow(dead_code)]
pub fn spec_on(tenant_id: &str, provider: &str) -> String {
    spec_with(|spec| {
        spec["tenant_id"] = tenant_id.into();
        spec["provider_type"] = provider.into();
    })
}
