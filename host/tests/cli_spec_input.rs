//! Spec input bombs, driven through the `landlord` binary: an alias bomb, a
//! deeply nested spec, an over-size file or stdin, a FIFO and a directory as
//! the spec path. Each must end in a clear error with its exit code (3 for a
//! refused spec, 2 for a path that is not a spec file), quickly, leaving no
//! state behind.

mod support;

use std::process::Output;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use support::{SPEC, Sandbox};

/// A small valid YAML spec, to which a test appends `provider_config`.
const HEAD: &str = "tenant_id: acme\ncontainers:\n  - name: web\n    image: nginx:1.27\nresources: {cpu: 250, memory: 256}\n";
/// A guard against minutes or an abort, not a benchmark: each refusal takes
/// milliseconds.
const GENEROUS: Duration = Duration::from_secs(10);

/// Commands that must be refused quickly and leave no state.
trait Refusals {
    /// Run `cmd`, which must fail within [`GENEROUS`] and leave no state
    /// directory; its exit code and stderr.
    fn refused(&self, cmd: &mut Command) -> (i32, String);
    /// `landlord validate SPEC`, refused.
    fn validate(&self, spec: &str) -> (i32, String);
}

impl Refusals for Sandbox {
    fn refused(&self, cmd: &mut Command) -> (i32, String) {
        let started = Instant::now();
        let out: Output = cmd.output().unwrap();
        let elapsed = started.elapsed();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(elapsed < GENEROUS, "took {elapsed:?}: {stderr}");
        let code = out
            .status
            .code()
            .unwrap_or_else(|| panic!("killed or aborted ({}): {stderr}", out.status));
        assert!(!self.state_dir().exists(), "a refused spec created state");
        (code, stderr)
    }

    fn validate(&self, spec: &str) -> (i32, String) {
        self.refused(self.cmd().args(["validate", spec]))
    }
}

/// The outside tester's shape: a wide anchor aliased a thousand times,
/// aliased a thousand times; about 60 KB that expand to some 50 GB. The old
/// code aborted on a failed allocation (exit 134).
fn alias_bomb() -> String {
    let strings = vec!["\"lollollollollollollollollollollollollollollollollollol\""; 1000];
    format!(
        "{HEAD}provider_config:\n  a: &a [{}]\n  b: &b [{}]\n  c: [{}]\n",
        strings.join(","),
        vec!["*a"; 1000].join(","),
        vec!["*b"; 1000].join(","),
    )
}

#[test]
fn an_alias_bomb_is_refused_with_exit_3_naming_the_limit() {
    let sb = Sandbox::new();
    let bomb = sb.write("bomb.yaml", alias_bomb());
    let (code, err) = sb.validate(&bomb);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("invalid spec in"), "{err}");
    assert!(err.contains("(the limit for a spec)"), "{err}");
    assert!(err.contains("use fewer aliases"), "{err}");
    assert!(err.contains("at provider_config.b["), "{err}");

    // Fewer, shorter values: the value budget rather than the text budget.
    let mut laughs = format!(
        "{HEAD}provider_config:\n  a: &a [{}]\n",
        ["lol"; 10].join(", ")
    );
    for (name, previous) in "bcdefghi".chars().zip("abcdefgh".chars()) {
        let aliases = vec![format!("*{previous}"); 10].join(", ");
        laughs.push_str(&format!("  {name}: &{name} [{aliases}]\n"));
    }
    let laughs = sb.write("laughs.yaml", laughs);
    let (code, err) = sb.refused(sb.cmd().args(["provision", &laughs]));
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("more than 100000 values"), "{err}");
}

#[test]
fn a_deeply_nested_spec_is_refused_with_exit_3() {
    let sb = Sandbox::new();
    let depth = 100_000;
    let yaml = sb.write(
        "deep.yaml",
        format!(
            "{HEAD}provider_config: {}1{}\n",
            "{a: ".repeat(depth),
            "}".repeat(depth)
        ),
    );
    let (code, err) = sb.validate(&yaml);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("nests deeper than 64 levels"), "{err}");
    assert!(err.contains("at provider_config.a.a.a"), "{err}");

    let json = sb.write(
        "deep.json",
        format!(
            r#"{{"tenant_id": "acme", "provider_config": {}1{}}}"#,
            r#"{"a": "#.repeat(depth),
            "}".repeat(depth)
        ),
    );
    let (code, err) = sb.refused(sb.cmd().args(["update", "acme", &json]));
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("nests deeper than 64 levels"), "{err}");
}

#[test]
fn an_over_size_spec_is_refused_with_exit_3_from_a_file_or_stdin() {
    let sb = Sandbox::new();
    // A valid spec, but with a 2 MiB label: the old code accepted it.
    let big = format!(
        r#"{{"tenant_id": "acme", "labels": {{"note": "{}"}}}}"#,
        "x".repeat(2 << 20)
    );
    let file = sb.write("big.json", &big);
    let (code, err) = sb.validate(&file);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("the spec is larger than 1 MiB (the limit for a spec file)"),
        "{err}"
    );

    let (code, err) = sb.refused(sb.cmd().args(["validate", "-"]).write_stdin(big));
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("invalid spec in -: the spec is larger than 1 MiB"),
        "{err}"
    );
}

#[test]
fn stdin_still_takes_json_and_yaml_with_aliases() {
    let sb = Sandbox::new();
    let run = |input: String| {
        let out = sb
            .cmd()
            .args(["--output", "json", "validate", "-"])
            .write_stdin(input)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    assert_eq!(run(std::fs::read_to_string(SPEC).unwrap())["valid"], true);
    let yaml = "tenant_id: globex\nresources: &res {cpu: 250, memory: 256}\ncontainers:\n  - name: web\n    image: nginx:1.27\n    resources: *res\n  - name: api\n    image: api:2\n    resources: *res\n";
    let out = run(yaml.to_owned());
    assert_eq!(out["valid"], true);
    assert_eq!(out["tenant_id"], "globex");
}

#[cfg(unix)]
#[test]
fn a_fifo_as_the_spec_path_is_an_error_not_a_hang() {
    let sb = Sandbox::new();
    let fifo = sb.dir.path().join("spec.yaml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let (code, err) = sb.validate(&fifo.display().to_string());
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("it is a named pipe (FIFO), not a regular file"),
        "{err}"
    );
    assert!(err.contains("redirect it to stdin"), "{err}");
}

#[test]
fn a_directory_or_a_non_utf8_file_is_refused_clearly() {
    let sb = Sandbox::new();
    let dir = sb.dir.path().join("specs");
    std::fs::create_dir(&dir).unwrap();
    let (code, err) = sb.validate(&dir.display().to_string());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("it is a directory"), "{err}");

    // Latin-1, not UTF-8: the old code called this unreadable (exit 2).
    let latin1 = sb.write("latin1.yaml", b"tenant_id: caf\xe9\n");
    let (code, err) = sb.validate(&latin1);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("not valid UTF-8 (at byte 14); save it as UTF-8"),
        "{err}"
    );
}
