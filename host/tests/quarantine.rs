//! Quarantine through a real `landlord serve`: a provider that traps on
//! every call is quarantined after `failures` contained failures, its
//! operations are answered at once with a 503 `quarantined` problem (and
//! `Retry-After`) while the other providers are served, one trial call goes
//! through after the cool-down, and the CLI as a client gets exit code 8.

mod support;

#[path = "support/guests.rs"]
mod guests;
#[path = "support/server.rs"]
mod server;

use std::time::{Duration, Instant};

use serde_json::Value;
use server::ApiHost;
use support::spec_on;

#[tokio::test(flavor = "multi_thread")]
async fn a_trapping_provider_is_quarantined_and_the_others_are_served() {
    let panic = guests::hostile("panic");
    let host = ApiHost::new(&format!(
        "[quarantine]\nfailures = 3\nwindow_seconds = 60\ncooldown_seconds = 2\n\n\
         [providers.panic]\ncomponent = {:?}\n",
        panic.display().to_string()
    ));
    let served = host.serve(&[]).await;

    // Three traps in a row: each a 502 naming the provider.
    for tenant in ["t1", "t2", "t1"] {
        let problem = served
            .post("/v1/tenants", &spec_on(tenant, "panic"))
            .await
            .problem(502, "trap");
        assert_eq!(problem["provider"], "panic");
    }

    // The fourth is refused at once, without a call: 503, Retry-After.
    let started = Instant::now();
    let refused = served.post("/v1/tenants", &spec_on("t3", "panic")).await;
    let took = started.elapsed();
    let retry_after: u64 = refused
        .header("retry-after")
        .expect("a Retry-After header")
        .parse()
        .expect("Retry-After in seconds");
    assert!((1..=2).contains(&retry_after), "Retry-After: {retry_after}");
    let problem = refused.problem(503, "quarantined");
    assert_eq!(problem["provider"], "panic");
    assert_eq!(problem["operation"], "provision");
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("is quarantined until"), "{detail}");
    // A status read is refused the same way: the index entry, with the
    // live status's problem.
    let view = served.get("/v1/tenants/t1").await.json(200);
    assert_eq!(view["status_error"]["kind"], "quarantined", "{view}");
    assert_eq!(view["tenant"]["last_outcome"], "trap", "{view}");

    // Other providers are not affected.
    let ok = served
        .post("/v1/tenants", &spec_on("beta", "mock"))
        .await
        .json(201);
    assert_eq!(ok["status"], "success");

    let view = served.get("/v1/providers/panic").await.json(200);
    assert_eq!(view["quarantine"]["state"], "open", "{view}");
    assert_eq!(view["quarantine"]["consecutive_failures"], 3, "{view}");
    assert_eq!(view["quarantine"]["times_quarantined"], 1, "{view}");
    assert!(view["quarantine"]["until"].is_string(), "{view}");
    let list = served.get("/v1/providers").await.json(200);
    let mock = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "mock")
        .expect("mock listed");
    assert_eq!(mock["quarantine"]["state"], "closed", "{list}");

    // The CLI as a client: the same refusal, exit code 8.
    let out = host
        .command()
        .args(["--server", &served.url, "provision"])
        .arg(host.write("t4.json", spec_on("t4", "panic")))
        .env("LANDLORD_TOKEN", &served.tokens.write)
        .output()
        .expect("runs landlord");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(8), "{stderr}");
    assert!(stderr.contains("quarantined"), "{stderr}");

    let out = host
        .command()
        .args(["--server", &served.url, "providers", "list"])
        .env("LANDLORD_TOKEN", &served.tokens.read)
        .output()
        .expect("runs landlord");
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        listed.lines().next().unwrap_or("").ends_with("QUARANTINE"),
        "{listed}"
    );
    let panic_row = listed
        .lines()
        .find(|line| line.starts_with("panic "))
        .unwrap_or("");
    assert!(
        panic_row.contains("open until") && panic_row.ends_with("(3 failures)"),
        "{listed}"
    );

    // Refusals are not calls: only the three traps are journaled for panic.
    let history = served.get("/v1/history").await.json(200);
    let panic_calls = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|item| item["provider"] == "panic")
        .count();
    assert_eq!(panic_calls, 3, "{history}");
    assert!(
        took < Duration::from_secs(1),
        "a quarantined refusal took {took:?}"
    );

    // After the cool-down: one trial call goes through (and traps), which
    // starts the cool-down again.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    served
        .post("/v1/tenants", &spec_on("t1", "panic"))
        .await
        .problem(502, "trap");
    served
        .post("/v1/tenants", &spec_on("t1", "panic"))
        .await
        .problem(503, "quarantined");
    let view: Value = served.get("/v1/providers/panic").await.json(200);
    assert_eq!(view["quarantine"]["state"], "open", "{view}");
    assert_eq!(view["quarantine"]["times_quarantined"], 2, "{view}");
    assert!(
        served.stderr().contains("provider quarantined"),
        "the server logs the quarantine:\n{}",
        served.stderr()
    );
}
