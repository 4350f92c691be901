//! The `landlord` binary, driven as a user would, in temporary state
//! directories: every subcommand, JSON output parsed back, persistence
//! across processes, bad inputs with their exit codes and messages (and the
//! state left as it was), and concurrent processes on one state directory.

mod support;

use std::path::Path;

use serde_json::Value;
use support::{SPEC, Sandbox, spec_with};

#[test]
fn the_whole_lifecycle_across_processes_with_json_output() {
    let sb = Sandbox::new();
    let provisioned = sb.json(&["provision", SPEC]);
    assert_eq!(provisioned["tenant_id"], "acme");
    assert_eq!(provisioned["provider_type"], "mock");
    assert_eq!(provisioned["status"], "success");
    assert_eq!(
        provisioned["resource_ids"]["container/web"],
        "mock-acme-web"
    );

    // A new process sees the tenant.
    let status = sb.json(&["status", "acme"]);
    assert_eq!(status["state"], "running");
    assert_eq!(status["containers"].as_array().unwrap().len(), 2);

    let same = sb.json(&["update", "acme", SPEC]);
    assert_eq!(same["status"], "no_changes");
    let changed = sb.write(
        "changed.json",
        spec_with(|s| s["containers"][0]["image"] = "nginx:1.28".into()),
    );
    let updated = sb.json(&["update", "acme", &changed]);
    assert_eq!(updated["status"], "success");
    assert_eq!(
        updated["changes"][0],
        "container web: image nginx:1.27 -> nginx:1.28"
    );

    assert_eq!(sb.json(&["validate", SPEC])["valid"], true);
    let tenants = sb.json(&["tenants", "list"]);
    assert_eq!(tenants[0]["tenant_id"], "acme");
    assert_eq!(tenants[0]["state"], "ready");
    assert_eq!(tenants[0]["last_operation"], "update");

    assert_eq!(sb.json(&["destroy", "acme"])["destroyed"], true);
    let (code, err) = sb.fails(&["status", "acme"]);
    assert_eq!(code, 5, "{err}");
    assert!(
        err.starts_with("error: tenant 'acme' not found by provider 'mock'"),
        "{err}"
    );
    sb.ok(&["destroy", "acme"]);
    // Destroying a tenant this host never knew succeeds and indexes nothing.
    sb.ok(&["destroy", "never-seen"]);
    assert_eq!(sb.json(&["tenants", "list"]).as_array().unwrap().len(), 1);

    let history = sb.json(&["history", "acme"]);
    let operations: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["operation"].as_str().unwrap())
        .collect();
    assert_eq!(
        operations,
        ["provision", "update", "update", "destroy", "destroy"]
    );
    assert_eq!(sb.json(&["tenants", "list"])[0]["state"], "deleted");
}

#[test]
fn text_output_is_short_and_aligned() {
    let sb = Sandbox::new();
    let out = sb.ok(&["provision", SPEC]);
    assert!(
        out.starts_with("provisioned acme on mock: success\n"),
        "{out}"
    );
    let out = sb.ok(&["status", "acme"]);
    assert!(
        out.contains("CONTAINER  STATE    READY  RESTARTS  MESSAGE"),
        "{out}"
    );
    let out = sb.ok(&["providers", "list"]);
    let rows: Vec<&str> = out.lines().collect();
    assert!(
        rows[1].starts_with("docker  embedded") && rows[2].starts_with("mock    embedded"),
        "{out}"
    );
    assert!(
        rows[1].ends_with("log,state,config,engine(unix:///var/run/docker.sock)")
            || std::env::var_os("DOCKER_HOST").is_some(),
        "{out}"
    );
    let out = sb.ok(&["providers", "inspect", "mock"]);
    assert!(out.contains("landlord:compute/provider@0.1.0"), "{out}");
    assert!(out.contains("loadable here: yes"), "{out}");
}

#[test]
fn yaml_specs_and_stdin_work() {
    let sb = Sandbox::new();
    let yaml = sb.write(
        "tenant.yaml",
        "tenant_id: globex\ncontainers:\n  - name: web\n    image: nginx:1.27\n    ports:\n      - container_port: 80\nresources:\n  cpu: 250\n  memory: 256\n",
    );
    // No provider_type: the default provider.
    assert_eq!(sb.json(&["provision", &yaml])["provider_type"], "mock");
    let out = sb
        .cmd()
        .args(["--output", "json", "validate", "-"])
        .write_stdin(std::fs::read_to_string(SPEC).unwrap())
        .output()
        .unwrap();
    assert!(out.status.success());
}

#[test]
fn bad_inputs_name_the_problem_exit_distinctly_and_change_nothing() {
    let sb = Sandbox::new();
    sb.ok(&["provision", SPEC]);
    let before = sb.snapshot();

    let malformed = sb.write("malformed.json", "{\"tenant_id\": \"acme\",");
    let unknown_field = sb.write(
        "unknown.json",
        spec_with(|s| s["containerz"] = Value::Array(vec![])),
    );
    let wrong_type = sb.write(
        "type.json",
        spec_with(|s| s["resources"]["cpu"] = "lots".into()),
    );
    let bad_port = sb.write(
        "port.json",
        spec_with(|s| s["containers"][0]["ports"][0]["container_port"] = 70000.into()),
    );
    let bad_yaml = sb.write("bad.yaml", "tenant_id: [unclosed\n");
    let unknown_provider = sb.write("ecs.json", spec_with(|s| s["provider_type"] = "ecs".into()));
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (
            vec!["provision", "missing.json"],
            2,
            "cannot read the spec file missing.json",
        ),
        (vec!["provision", &malformed], 3, "EOF while parsing"),
        (
            vec!["provision", &unknown_field],
            3,
            "unknown field `containerz`",
        ),
        (
            vec!["provision", &wrong_type],
            3,
            "invalid type: string \"lots\"",
        ),
        (
            vec!["update", "acme", &bad_port],
            3,
            "containers[0].ports[0].container_port: must be at most 65535; got 70000",
        ),
        (vec!["validate", &bad_yaml], 3, "invalid spec in"),
        (
            vec!["provision", &unknown_provider],
            4,
            "provider 'ecs' is not registered",
        ),
        (vec!["status", "globex"], 5, "tenant 'globex' not found"),
        (
            vec!["update", "globex", SPEC],
            3,
            "does not match the tenant being updated",
        ),
        (
            vec!["--config", "nowhere.toml", "status", "acme"],
            2,
            "nowhere.toml: cannot read it",
        ),
        (vec!["frobnicate"], 2, "unrecognized subcommand"),
    ];
    for (args, code, needle) in cases {
        let (got, err) = sb.fails(&args);
        assert_eq!(got, code, "{args:?}: {err}");
        assert!(
            err.contains(needle),
            "{args:?}: expected {needle:?} in:\n{err}"
        );
    }
    assert_eq!(sb.snapshot(), before, "bad input must change nothing");
}

/// Run each `(args, needle)` case: exit 3 (invalid input), `needle` and the
/// identifier rule in the message, and the state left as it was.
fn refused_as_invalid_input(sb: &Sandbox, cases: &[(Vec<&str>, &str)]) {
    let before = sb.snapshot();
    for (args, needle) in cases {
        let (code, err) = sb.fails(args);
        assert_eq!(code, 3, "{args:?}: {err}");
        assert!(
            err.contains(needle),
            "{args:?}: expected {needle:?} in:\n{err}"
        );
        assert!(
            err.contains("; use 1 to 63 lowercase letters, digits and '-'"),
            "{args:?}: {err}"
        );
    }
    assert_eq!(sb.snapshot(), before, "bad input must change nothing");
}

#[test]
fn a_300_character_tenant_id_is_invalid_input_not_a_provider_failure() {
    // It reached the file system as a lock file name and failed as exit 1
    // ("File name too long").
    let sb = Sandbox::new();
    sb.ok(&["provision", SPEC]);
    let long = "a".repeat(300);
    let spec = sb.write(
        "long-tenant.json",
        spec_with(|s| s["tenant_id"] = long.as_str().into()),
    );
    let too_long = format!(
        "tenant_id: '{}…' is 300 characters long (the limit is 63)",
        "a".repeat(64)
    );
    refused_as_invalid_input(
        &sb,
        &[
            (vec!["provision", &spec], &too_long),
            (vec!["validate", &spec], &too_long),
            (vec!["status", &long], &too_long),
            (vec!["destroy", &long], &too_long),
            (vec!["update", &long, SPEC], &too_long),
        ],
    );
}

#[test]
fn a_tenant_id_cannot_start_or_end_with_a_hyphen() {
    // `-acme` was accepted, and then could not be named to `status`
    // without `--`.
    let sb = Sandbox::new();
    sb.ok(&["provision", SPEC]);
    let spec = sb.write(
        "hyphen-tenant.json",
        spec_with(|s| s["tenant_id"] = "-acme".into()),
    );
    refused_as_invalid_input(
        &sb,
        &[
            (
                vec!["provision", &spec],
                "tenant_id: '-acme' starts with '-'",
            ),
            (
                vec!["status", "--", "-acme"],
                "tenant_id: '-acme' starts with '-'",
            ),
            (
                vec!["destroy", "--", "acme-"],
                "tenant_id: 'acme-' ends with '-'",
            ),
        ],
    );
}

#[test]
fn identifiers_are_at_most_63_characters() {
    let sb = Sandbox::new();
    let name_64 = sb.write(
        "name-64.json",
        spec_with(|s| s["containers"][0]["name"] = "w".repeat(64).into()),
    );
    let needle = format!(
        "containers[0].name: '{}' is 64 characters long (the limit is 63)",
        "w".repeat(64)
    );
    refused_as_invalid_input(
        &sb,
        &[
            (vec!["provision", &name_64], &needle),
            (vec!["validate", &name_64], &needle),
        ],
    );

    // 63 is the longest, for a tenant id and a container name.
    let tenant_63 = "t".repeat(63);
    let longest = sb.write(
        "longest.json",
        spec_with(|s| {
            s["tenant_id"] = tenant_63.as_str().into();
            s["containers"][0]["name"] = "w".repeat(63).into();
        }),
    );
    assert_eq!(sb.json(&["validate", &longest])["valid"], true);
    let provisioned = sb.json(&["provision", &longest]);
    assert_eq!(provisioned["tenant_id"], tenant_63.as_str());
    assert_eq!(sb.json(&["status", &tenant_63])["state"], "running");
    assert_eq!(sb.json(&["destroy", &tenant_63])["destroyed"], true);
}

#[test]
fn a_huge_tenant_id_gives_a_short_message() {
    let sb = Sandbox::new();
    let huge = sb.write(
        "huge.json",
        // Under the 1 MiB a spec file may have.
        spec_with(|s| s["tenant_id"] = "x".repeat(900 << 10).into()),
    );
    for command in ["provision", "validate"] {
        let (code, err) = sb.fails(&[command, &huge]);
        assert_eq!(code, 3, "{command}: {err}");
        assert!(err.len() < 1000, "{command}: {} bytes: {err}", err.len());
        assert!(
            err.contains("is 921600 characters long"),
            "{command}: {err}"
        );
    }
}

#[test]
fn the_config_file_configures_pins_and_is_checked() {
    let sb = Sandbox::new();
    let config = sb.write(
        "landlord.toml",
        "[providers.mock]\nconfig = { \"fail.provision\" = \"quota exceeded\" }\nlimits = { memory_mib = 32 }\n",
    );
    let (code, err) = sb.fails(&["--config", &config, "provision", SPEC]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("provider 'mock' failed to provision tenant 'acme': quota exceeded"),
        "{err}"
    );
    // landlord.toml in the working directory is picked up without --config.
    let listed = sb.json(&["providers", "list"]);
    assert_eq!(listed[1]["name"], "mock");
    assert_eq!(listed[1]["memory_mib"], 32);

    let before = sb.snapshot();
    let wasm = sb.dir.path().join("mock.wasm");
    std::fs::write(&wasm, landlord::embedded::MOCK_COMPONENT).unwrap();
    let pinned = sb.write(
        "pinned.toml",
        format!(
            "[providers.mock]\ncomponent = \"mock.wasm\"\nsha256 = \"{}\"\n",
            "0".repeat(64)
        ),
    );
    let (code, err) = sb.fails(&["--config", &pinned, "providers", "list"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("but [providers.mock].sha256 pins 0000"),
        "{err}"
    );

    let bad = sb.write("bad.toml", "[providers.mock]\nlimits = { memory = 3 }\n");
    let (code, err) = sb.fails(&["--config", &bad, "providers", "list"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("line 2") && err.contains("unknown field `memory`"),
        "{err}"
    );
    let (code, _) = sb.fails(&["--config", &pinned, "provision", SPEC]);
    assert_eq!(code, 2);
    assert_eq!(
        sb.snapshot(),
        before,
        "a refused configuration must change nothing"
    );
}

#[test]
fn inspect_reads_any_component_file() {
    let sb = Sandbox::new();
    let wasm = sb.dir.path().join("mock.wasm");
    std::fs::write(&wasm, landlord::embedded::MOCK_COMPONENT).unwrap();
    let report = sb.json(&["providers", "inspect", wasm.to_str().unwrap()]);
    assert_eq!(report["loadable"], true);
    assert!(
        report["imports"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i == "landlord:compute/state@0.1.0")
    );
    let junk = sb.write("junk.wasm", "not a component");
    let (code, err) = sb.fails(&["providers", "inspect", &junk]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a valid component"), "{err}");
}

#[test]
fn four_processes_provision_fifty_tenants_each_without_losing_any() {
    let sb = Sandbox::new();
    let state_dir = sb.state_dir();
    let binary = assert_cmd::cargo::cargo_bin("landlord");
    let spec_text = std::fs::read_to_string(SPEC).unwrap();
    let workers: Vec<_> = (0..4)
        .map(|worker| {
            let binary = binary.clone();
            let state_dir = state_dir.clone();
            let spec_text = spec_text.clone();
            let dir = sb.dir.path().to_owned();
            std::thread::spawn(move || {
                for i in 0..50 {
                    let tenant = format!("t-{worker}-{i}");
                    let spec = spec_text.replace("\"acme\"", &format!("\"{tenant}\""));
                    let status = std::process::Command::new(&binary)
                        .args(["--quiet", "provision", "-"])
                        .env("LANDLORD_STATE_DIR", &state_dir)
                        .current_dir(&dir)
                        .stdin(std::process::Stdio::piped())
                        .stdout(std::process::Stdio::null())
                        .spawn()
                        .and_then(|mut child| {
                            use std::io::Write;
                            child.stdin.take().unwrap().write_all(spec.as_bytes())?;
                            child.wait()
                        })
                        .unwrap();
                    assert!(status.success(), "{tenant}: {status}");
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    assert_eq!(sb.json(&["tenants", "list"]).as_array().unwrap().len(), 200);
    let journal = sb.json(&["history"]);
    let provisions = journal
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["operation"] == "provision" && entry["outcome"] == "ok")
        .count();
    assert_eq!(provisions, 200);
    assert!(Path::new(&state_dir.join("state.db")).is_file());
}

#[test]
fn the_default_provider_comes_from_the_environment() {
    let sb = Sandbox::new();
    let spec = sb.write(
        "no-provider.json",
        spec_with(|s| {
            s.as_object_mut().unwrap().remove("provider_type");
        }),
    );
    let out = sb
        .cmd()
        .env("COMPUTE_DEFAULT_PROVIDER", "ecs")
        .args(["provision", &spec])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("provider 'ecs' is not registered (registered: docker, mock)"),
        "{err}"
    );
    // Without it, the default is the embedded mock.
    assert_eq!(sb.json(&["provision", &spec])["provider_type"], "mock");
    // An update of a spec without provider_type goes to the tenant's
    // provider, not the default (as through `landlord serve`).
    let out = sb
        .cmd()
        .env("COMPUTE_DEFAULT_PROVIDER", "ecs")
        .args(["--output", "json", "update", "acme", &spec])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let updated: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(updated["provider_type"], "mock", "{updated}");
    assert_eq!(updated["status"], "no_changes", "{updated}");
}

#[test]
fn the_conformance_kit_reports_each_rule_and_fails_on_a_broken_contract() {
    let sb = Sandbox::new();
    let report = sb.json(&["providers", "test", "mock"]);
    assert_eq!(report["provider"], "mock");
    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), 13);
    assert!(results.iter().all(|r| r["passed"] == true), "{report}");

    let quirky = sb.write(
        "quirky.toml",
        "[providers.mock]\nconfig = { \"quirk.destroy-missing-errors\" = \"true\" }\n",
    );
    let out = sb.run(&["--config", &quirky, "providers", "test", "mock"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("FAIL    destroy-missing-tenant-is-ok"),
        "{stdout}"
    );
    assert!(
        stdout.contains("mock: 13 rules, 11 passed, 2 failed"),
        "{stdout}"
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("does not conform: destroy-twice-is-ok, destroy-missing-tenant-is-ok"),
        "{stderr}"
    );
}

#[test]
fn the_journal_and_tenant_index_stay_readable_when_a_provider_is_broken() {
    let sb = Sandbox::new();
    sb.ok(&["provision", SPEC]);
    let broken = sb.write(
        "broken.toml",
        "[providers.ecs]\ncomponent = \"missing.wasm\"\n",
    );
    // Reading the database needs no provider…
    let tenants: Value =
        serde_json::from_str(&sb.ok(&["--config", &broken, "--output", "json", "tenants", "list"]))
            .unwrap();
    assert_eq!(tenants[0]["tenant_id"], "acme");
    sb.ok(&["--config", &broken, "history", "acme"]);
    // …while commands that load providers report the broken one.
    let (code, err) = sb.fails(&["--config", &broken, "providers", "list"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("missing.wasm: [providers.ecs]: cannot read it"),
        "{err}"
    );
}
