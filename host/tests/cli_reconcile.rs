//! `landlord reconcile` on the embedded mock: a provision that failed is
//! retried once its backoff has passed and the cause is gone, journaled
//! with its reason; a tenant as asked is left alone; bad input is refused
//! naming the flag or key.

mod support;

use support::{SPEC, Sandbox};

#[test]
fn a_failed_provision_is_retried_after_its_backoff_with_its_reason() {
    let sb = Sandbox::new();
    let pace = "[reconcile]\nbackoff_base = \"1500ms\"\nbackoff_max = \"1500ms\"\n";
    let failing = sb.write(
        "failing.toml",
        format!("{pace}[providers.mock]\nconfig = {{ \"fail.provision\" = \"quota exceeded\" }}\n"),
    );
    let healthy = sb.write("healthy.toml", pace);

    // The first provision fails: the tenant is failed, one attempt.
    let (code, err) = sb.fails(&["--config", &failing, "provision", SPEC]);
    assert_eq!(code, 1, "{err}");
    let tenant = &sb.json(&["tenants", "list"])[0];
    assert_eq!(tenant["state"], "failed", "{tenant}");
    assert_eq!(tenant["attempts"], 1, "{tenant}");

    // Still failing: the retry fails too (after its backoff: a pass right
    // away waits).
    let report = sb.json(&["--config", &failing, "reconcile", "--once"]);
    assert_eq!(report["waiting"], 1, "{report}");
    std::thread::sleep(std::time::Duration::from_millis(1600));
    let report = sb.json(&["--config", &failing, "reconcile", "--once"]);
    assert_eq!(
        (&report["examined"], &report["failed"]),
        (&1.into(), &1.into()),
        "{report}"
    );
    assert_eq!(sb.json(&["tenants", "list"])[0]["attempts"], 2);

    // The cause gone, the next retry provisions it.
    std::thread::sleep(std::time::Duration::from_millis(1600));
    let report = sb.json(&[
        "--config",
        &healthy,
        "reconcile",
        "--once",
        "--tenant",
        "acme",
    ]);
    assert_eq!(report["healed"], 1, "{report}");
    let tenant = &sb.json(&["tenants", "list"])[0];
    assert_eq!(tenant["state"], "ready", "{tenant}");
    assert_eq!(
        (
            &tenant["generation"],
            &tenant["observed_generation"],
            &tenant["attempts"]
        ),
        (&1.into(), &1.into(), &0.into()),
        "{tenant}"
    );
    assert_eq!(tenant["observed"]["state"], "running", "{tenant}");
    let reasons: Vec<String> = sb
        .json(&["history", "acme"])
        .as_array()
        .unwrap()
        .iter()
        .map(|record| record["reason"].as_str().unwrap_or("-").to_owned())
        .collect();
    assert_eq!(
        reasons,
        [
            "-",
            "provision not finished (generation 1) (retry 1/8)",
            "provision not finished (generation 1) (retry 2/8)"
        ]
    );
    let text = sb.ok(&["history", "acme"]);
    assert!(
        text.contains("REASON (RECONCILER)") && text.contains("(retry 2/8)"),
        "{text}"
    );

    // As asked: nothing to do, nothing journaled.
    let text = sb.ok(&["--config", &healthy, "reconcile", "--once"]);
    assert!(text.starts_with("1 examined: 1 as asked"), "{text}");
    assert_eq!(sb.json(&["history", "acme"]).as_array().unwrap().len(), 3);
    let listed = sb.ok(&["tenants", "list"]);
    assert!(
        listed.contains("GEN (DESIRED/OBSERVED)") && listed.contains("1/1"),
        "{listed}"
    );
}

#[test]
fn bad_flags_and_keys_are_refused_by_name() {
    let sb = Sandbox::new();
    let (code, err) = sb.fails(&["reconcile", "--once", "--interval", "soon"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--interval") && err.contains("such as 30s"),
        "{err}"
    );
    let (_, err) = sb.fails(&["reconcile", "--once", "--tenant", "Not_A_Label"]);
    assert!(err.contains("tenant"), "{err}");
    let bad = sb.write("bad.toml", "[reconcile]\nconcurrency = 0\n");
    let (_, err) = sb.fails(&["--config", &bad, "reconcile", "--once"]);
    assert!(
        err.contains("reconcile.concurrency: 0 is out of range; use 1 to 256"),
        "{err}"
    );
    let (_, err) = sb.fails(&["--server", "http://127.0.0.1:9", "reconcile", "--once"]);
    assert!(err.contains("a server reconciles its own tenants"), "{err}");
    // Nothing to reconcile: an empty pass.
    let report = sb.json(&["reconcile", "--once"]);
    assert_eq!(report["examined"], 0, "{report}");
}
