//! The CLI against what an outside tester tried: providers that cannot be
//! loaded (a device, a FIFO, junk) next to working ones, colour on pipes,
//! and a spec too large for a provider's state.

mod support;

use serde_json::Value;
use support::{SPEC, Sandbox, spec_with};

#[test]
fn a_provider_that_cannot_load_costs_nothing_to_other_providers_tenants() {
    let sb = Sandbox::new();
    sb.write("junk.wasm", "not a component");
    let fifo = sb.dir.path().join("fifo.wasm");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo (coreutils) runs")
            .success()
    );
    sb.write(
        "landlord.toml",
        "[providers.zero]\ncomponent = \"/dev/zero\"\n\n[providers.fifo]\ncomponent = \"fifo.wasm\"\n\n[providers.junk]\ncomponent = \"junk.wasm\"\n",
    );
    // Tenants of the mock are served as if the broken providers were not
    // there: none of them is read or loaded.
    for args in [
        &["provision", SPEC][..],
        &["status", "acme"],
        &["update", "acme", SPEC],
        &["destroy", "acme"],
    ] {
        let out = sb.cmd().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Asking for a broken one names what is wrong with it, without reading it.
    let out = sb
        .cmd()
        .args(["status", "acme", "--provider", "zero"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/dev/zero: [providers.zero]: it is a device, not a regular file"),
        "{err}"
    );
    // `providers list` loads them all: each broken one is listed with its
    // error, the good one as usual, and the command fails.
    let out = sb
        .cmd()
        .args(["--output", "json", "providers", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    let error_of = |name: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|row| row["name"] == name)
            .unwrap_or_else(|| panic!("{name} is listed: {rows}"))["error"]
            .as_str()
            .map(str::to_owned)
    };
    assert_eq!(error_of("mock"), None, "{rows}");
    assert!(
        error_of("fifo").unwrap().contains("a named pipe (FIFO)"),
        "{rows}"
    );
    assert!(error_of("zero").unwrap().contains("a device"), "{rows}");
    assert!(
        error_of("junk").unwrap().contains("not a valid component"),
        "{rows}"
    );
}

#[test]
fn the_log_is_not_coloured_on_a_pipe() {
    let sb = Sandbox::new();
    // -v logs at info: the provider's registration, the guest's own lines.
    let out = sb.run(&["-v", "provision", SPEC]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("registered compute provider"), "{err}");
    assert!(!err.contains('\u{1b}'), "colour codes on a pipe: {err:?}");
}

#[test]
fn a_spec_too_large_for_the_providers_state_is_refused_for_people_and_left_desired() {
    let sb = Sandbox::new();
    sb.ok(&["provision", SPEC]);
    let small = sb.write(
        "small.toml",
        "[providers.mock]\nlimits = { state_value_kib = 1 }\n",
    );
    let big = |tenant: &'static str| {
        spec_with(move |spec| {
            spec["tenant_id"] = tenant.into();
            spec["containers"][0]["env"]["BIG"] = "b".repeat(4000).into();
        })
    };
    let big_acme = sb.write("big-acme.json", big("acme"));
    let (code, err) = sb.fails(&["--config", &small, "update", "acme", &big_acme]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("the record under state key 'tenant/acme' is")
            && err.contains("more than the 1024 bytes the host allows per value"),
        "{err}"
    );
    assert!(!err.contains("StateError"), "Rust Debug text: {err}");

    // The index keeps the desired spec (the refused update's, which the
    // reconciler retries) and the generation applied, with the last
    // result; the tenant, which ran before, is degraded. A tenant that
    // never provisioned is failed.
    let big_globex = sb.write("big-globex.json", big("globex"));
    let (code, _) = sb.fails(&["--config", &small, "provision", &big_globex]);
    assert_eq!(code, 1);
    let tenants = sb.json(&["tenants", "list"]);
    let entry = |id: &str| {
        tenants
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["tenant_id"] == id)
            .unwrap()
            .clone()
    };
    let acme = entry("acme");
    assert_eq!(acme["last_outcome"], "operation_failed", "{acme}");
    assert_eq!(acme["state"], "degraded", "{acme}");
    assert_eq!(
        (&acme["generation"], &acme["observed_generation"]),
        (&2.into(), &1.into()),
        "{acme}"
    );
    assert!(
        acme["spec"]["containers"][0]["env"].get("BIG").is_some(),
        "{acme}"
    );
    assert_eq!(acme["result"]["status"], "success", "{acme}");
    let globex = entry("globex");
    assert_eq!(globex["state"], "failed", "{globex}");
    assert_eq!(globex["observed_generation"], 0, "{globex}");
    assert!(globex["result"].is_null(), "{globex}");
}
