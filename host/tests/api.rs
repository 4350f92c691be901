//! The HTTP API (`landlord serve`) driven over real loopback HTTP, as a
//! client would: the real binary in a temporary directory with its own
//! config and state directory per test; every endpoint's answer, every
//! error as the problem its kind maps to, tokens and scopes, idempotent
//! retries, a hostile provider contained, a graceful SIGTERM, and the CLI
//! working the same state directory while the server runs.

mod support;

#[path = "support/guests.rs"]
mod guests;
#[path = "support/server.rs"]
mod server;

use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use server::{Answer, ApiHost, json_body, send};
use support::{spec_on, spec_with};

/// The example spec for `tenant_id`, as compact JSON.
fn spec(tenant_id: &str) -> String {
    spec_with(|spec| spec["tenant_id"] = tenant_id.into())
}

/// The operations the journal lists for `tenant_id`, oldest first.
async fn journaled(served: &server::Served, tenant_id: &str) -> Vec<String> {
    let page = served
        .get(&format!("/v1/history?tenant={tenant_id}"))
        .await
        .json(200);
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["operation"].as_str().unwrap().to_owned())
        .collect()
}

fn ids(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {page}"))
        .iter()
        .map(|entry| entry["tenant_id"].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn health_readiness_and_the_openapi_document_need_no_token() {
    let host = ApiHost::new("");
    let served = host.serve(&[]).await;

    let health = send(served.anonymous(Method::GET, "/healthz")).await;
    assert_eq!(health.json(200), json!({"status": "ok"}));
    let ready = send(served.anonymous(Method::GET, "/readyz")).await;
    assert_eq!(ready.json(200), json!({"status": "ok"}));

    let document = send(served.anonymous(Method::GET, "/v1/openapi.json")).await;
    assert_eq!(document.header("content-type"), Some("application/json"));
    let document = document.json(200);
    assert!(
        document["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        document["openapi"]
    );
    let paths: BTreeSet<&str> = document["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let expected = BTreeSet::from([
        "/healthz",
        "/readyz",
        "/v1/openapi.json",
        "/v1/tenants",
        "/v1/tenants/{tenant_id}",
        "/v1/validate",
        "/v1/providers",
        "/v1/providers/{name}",
        "/v1/history",
    ]);
    assert_eq!(paths, expected);
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tenant_lifecycle_over_http() {
    let host = ApiHost::new("");
    let served = host.serve(&[]).await;

    // Provision: 201, where the tenant is, what the provider made.
    let provisioned = served.post("/v1/tenants", &spec("acme")).await;
    assert_eq!(provisioned.header("location"), Some("/v1/tenants/acme"));
    let provisioned = provisioned.json(201);
    assert_eq!(provisioned["tenant_id"], "acme");
    assert_eq!(provisioned["provider_type"], "mock");
    assert_eq!(provisioned["status"], "success");
    assert_eq!(
        provisioned["resource_ids"]["container/web"],
        "mock-acme-web"
    );

    // A body with no Content-Type is taken as JSON.
    for id in ["t-1", "t-2", "t-3"] {
        let answer = send(served.req(Method::POST, "/v1/tenants").body(spec(id))).await;
        assert_eq!(answer.json(201)["tenant_id"], id);
    }

    // Get: the index entry and the live status.
    let view = served.get("/v1/tenants/acme").await.json(200);
    assert_eq!(view["tenant"]["state"], "ready");
    assert_eq!(view["tenant"]["provider"], "mock");
    assert_eq!(view["tenant"]["last_operation"], "provision");
    assert_eq!(view["tenant"]["last_outcome"], "ok");
    assert_eq!(view["tenant"]["spec"]["tenant_id"], "acme");
    assert_eq!(view["status"]["state"], "running");
    assert_eq!(view["status"]["containers"].as_array().unwrap().len(), 2);
    assert!(view["status_error"].is_null(), "{view}");
    let named = served.get("/v1/tenants/acme?provider=mock").await.json(200);
    assert_eq!(named["status"]["state"], "running");

    // List: every tenant by id, filtered, and page by page.
    let all = served.get("/v1/tenants").await.json(200);
    assert_eq!(ids(&all), ["acme", "t-1", "t-2", "t-3"]);
    assert!(all["next_after"].is_null(), "{all}");
    let mock = served.get("/v1/tenants?provider=mock").await.json(200);
    assert_eq!(ids(&mock).len(), 4);
    let other = served.get("/v1/tenants?provider=docker").await.json(200);
    assert!(ids(&other).is_empty(), "{other}");
    let provisioned_only = served.get("/v1/tenants?state=ready").await.json(200);
    assert_eq!(ids(&provisioned_only).len(), 4);
    let first = served.get("/v1/tenants?limit=3").await.json(200);
    assert_eq!(ids(&first), ["acme", "t-1", "t-2"]);
    assert_eq!(first["next_after"], "t-2");
    let second = served.get("/v1/tenants?limit=3&after=t-2").await.json(200);
    assert_eq!(ids(&second), ["t-3"]);
    assert!(second["next_after"].is_null(), "{second}");
    let pages = served.get("/v1/tenants?limit=2").await.json(200);
    assert_eq!(ids(&pages), ["acme", "t-1"]);
    let last = served
        .get(&format!(
            "/v1/tenants?limit=2&after={}",
            pages["next_after"].as_str().unwrap()
        ))
        .await
        .json(200);
    assert_eq!(ids(&last), ["t-2", "t-3"]);
    assert!(
        last["next_after"].is_null(),
        "a full last page has no next: {last}"
    );

    // Update: the changes, then none.
    let changed = spec_with(|s| s["containers"][0]["image"] = "nginx:1.28".into());
    let updated = served.put("/v1/tenants/acme", &changed).await.json(200);
    assert_eq!(updated["status"], "success");
    assert_eq!(
        updated["changes"][0],
        "container web: image nginx:1.27 -> nginx:1.28"
    );
    let same = served.put("/v1/tenants/acme", &changed).await.json(200);
    assert_eq!(same["status"], "no_changes");

    // Destroy, twice: 204 both times, no body.
    for _ in 0..2 {
        let destroyed = served.delete("/v1/tenants/acme").await;
        assert_eq!(destroyed.status, 204, "{}", destroyed.body);
        assert!(destroyed.body.is_empty(), "{}", destroyed.body);
    }

    // The index remembers a destroyed tenant; the provider no longer knows it.
    let gone = served.get("/v1/tenants/acme").await.json(200);
    assert_eq!(gone["tenant"]["state"], "deleted");
    assert_eq!(gone["tenant"]["last_operation"], "destroy");
    assert!(gone["status"].is_null(), "{gone}");
    assert_eq!(gone["status_error"]["kind"], "tenant_not_found");
    assert_eq!(gone["status_error"]["status"], 404);
    // Every accepted request made a generation (provision, 2 updates, 2
    // destroys); each state change is a transition, with its reason.
    assert_eq!(gone["tenant"]["generation"], 5, "{gone}");
    assert_eq!(gone["tenant"]["observed_generation"], 0, "{gone}");
    let moves: Vec<(String, String)> = gone["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["from"].to_string(), t["to"].to_string()))
        .collect();
    let expected: Vec<(String, String)> = [
        ("null", "\"provisioning\""),
        ("\"provisioning\"", "\"ready\""),
        ("\"ready\"", "\"updating\""),
        ("\"updating\"", "\"ready\""),
        ("\"ready\"", "\"updating\""),
        ("\"updating\"", "\"ready\""),
        ("\"ready\"", "\"deleting\""),
        ("\"deleting\"", "\"deleted\""),
        ("\"deleted\"", "\"deleting\""),
        ("\"deleting\"", "\"deleted\""),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(moves, expected, "{gone}");
    assert_eq!(
        gone["transitions"][0]["reason"], "provision requested (generation 1)",
        "{gone}"
    );
    let destroyed = served.get("/v1/tenants?state=deleted").await.json(200);
    assert_eq!(ids(&destroyed), ["acme"]);
    let live = served.get("/v1/tenants?state=ready").await.json(200);
    assert_eq!(ids(&live), ["t-1", "t-2", "t-3"]);

    // History: every change journaled, oldest first; `limit` keeps the last.
    assert_eq!(
        journaled(&served, "acme").await,
        ["provision", "update", "update", "destroy", "destroy"]
    );
    let history = served.get("/v1/history").await.json(200);
    let items = history["items"].as_array().unwrap();
    assert_eq!(items.len(), 8, "{history}");
    assert!(
        items.iter().all(|item| item["outcome"] == "ok"),
        "{history}"
    );
    assert!(
        items.iter().all(|item| item["provider"] == "mock"),
        "{history}"
    );
    let tail = served.get("/v1/history?limit=2").await.json(200);
    let tail: Vec<&Value> = tail["items"].as_array().unwrap().iter().collect();
    assert_eq!(tail.len(), 2);
    assert_eq!(tail[1]["operation"], "destroy");
    assert_eq!(tail[1]["tenant_id"], "acme");
}

#[tokio::test(flavor = "multi_thread")]
async fn validate_accepts_a_good_spec_and_lists_every_violation_of_a_bad_one() {
    let host = ApiHost::new("");
    let served = host.serve(&[]).await;

    let valid = served.post("/v1/validate", &spec("acme")).await.json(200);
    assert_eq!(
        valid,
        json!({"valid": true, "tenant_id": "acme", "provider_type": "mock"})
    );
    // The read scope is enough to validate.
    let as_reader = send(json_body(
        served
            .anonymous(Method::POST, "/v1/validate")
            .bearer_auth(&served.tokens.read),
        &spec("acme"),
    ))
    .await;
    assert_eq!(as_reader.json(200)["valid"], true);

    let bad = spec_with(|s| {
        s["containers"][0]["image"] = "".into();
        s["resources"]["cpu"] = 0.into();
    });
    let problem = served
        .post("/v1/validate", &bad)
        .await
        .problem(422, "invalid_spec");
    assert_eq!(problem["operation"], "validate");
    let paths: Vec<&str> = problem["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|violation| violation["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"containers[0].image"), "{problem}");
    assert!(paths.contains(&"resources.cpu"), "{problem}");
    for violation in problem["violations"].as_array().unwrap() {
        assert!(
            violation["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{problem}"
        );
    }
    // The provider's own rules count too (the mock checks provider_config).
    let odd = spec_with(|s| s["provider_config"] = json!({"colour": "blue"}));
    let problem = served
        .post("/v1/validate", &odd)
        .await
        .problem(422, "invalid_spec");
    assert_eq!(problem["violations"][0]["path"], "provider_config.colour");
    // Nothing was provisioned or journaled.
    assert!(ids(&served.get("/v1/tenants").await.json(200)).is_empty());
    assert!(journaled(&served, "acme").await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn providers_are_listed_with_their_digest_limits_and_grants() {
    let host = ApiHost::new("");
    let served = host.serve(&[]).await;

    let list = served.get("/v1/providers").await.json(200);
    let list = list.as_array().unwrap();
    let mock = list
        .iter()
        .find(|provider| provider["name"] == "mock")
        .unwrap_or_else(|| panic!("no mock in {list:?}"));
    let sha256 = mock["sha256"].as_str().unwrap();
    assert_eq!(sha256.len(), 64, "{mock}");
    assert!(mock["memory_mib"].as_u64().unwrap() > 0, "{mock}");
    assert!(mock["timeout_ms"].as_u64().unwrap() > 0, "{mock}");
    assert!(mock["error"].is_null(), "{mock}");

    let one = served.get("/v1/providers/mock").await.json(200);
    assert_eq!(&one, mock);
    let problem = served
        .get("/v1/providers/nope")
        .await
        .problem(404, "provider_not_found");
    assert!(
        problem["detail"].as_str().unwrap().contains("nope"),
        "{problem}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_error_is_a_problem_with_the_status_its_kind_maps_to() {
    let host = ApiHost::new("");
    let served = host.serve(&[]).await;

    // invalid_spec: 422 with every violation's path.
    let bad = spec_with(|s| s["containers"][0]["image"] = "".into());
    let problem = served
        .post("/v1/tenants", &bad)
        .await
        .problem(422, "invalid_spec");
    assert_eq!(problem["violations"][0]["path"], "containers[0].image");
    assert_eq!(problem["operation"], "provision");
    assert_eq!(problem["tenant_id"], "acme");

    // Malformed JSON: 400.
    let problem = served
        .post("/v1/tenants", "{\"tenant_id\": ")
        .await
        .problem(400, "bad_request");
    assert_eq!(problem["operation"], "provision");
    let problem = served
        .put("/v1/tenants/acme", "[1, 2")
        .await
        .problem(400, "bad_request");
    assert_eq!(problem["operation"], "update");

    // A body that is not JSON by its media type: 415.
    let as_text = send(
        served
            .req(Method::POST, "/v1/tenants")
            .header("content-type", "text/plain")
            .body(spec("acme")),
    )
    .await;
    as_text.problem(415, "unsupported_media_type");
    let as_yaml = send(
        served
            .req(Method::POST, "/v1/validate")
            .header("content-type", "application/yaml")
            .body(spec("acme")),
    )
    .await;
    as_yaml.problem(415, "unsupported_media_type");

    // An unknown provider: 404, in a spec or a query.
    let problem = served
        .post("/v1/tenants", &spec_on("acme", "nope"))
        .await
        .problem(404, "provider_not_found");
    assert_eq!(problem["provider"], "nope");
    served
        .get("/v1/tenants/acme?provider=nope")
        .await
        .problem(404, "provider_not_found");

    // A tenant nobody knows: 404 to read it, and to update it.
    let problem = served
        .get("/v1/tenants/never-seen")
        .await
        .problem(404, "tenant_not_found");
    assert_eq!(problem["tenant_id"], "never-seen");
    assert_eq!(problem["provider"], "mock");
    assert_eq!(problem["operation"], "get-status");
    served
        .put("/v1/tenants/never-seen", &spec("never-seen"))
        .await
        .problem(404, "tenant_not_found");

    // A spec for another tenant than the path's: 422.
    served
        .put("/v1/tenants/other", &spec("acme"))
        .await
        .problem(422, "invalid_spec");
    // A tenant id the host refuses: 422.
    served
        .get("/v1/tenants/BAD%20ID")
        .await
        .problem(422, "invalid_spec");

    // Malformed queries: 400, naming what is wrong.
    for query in [
        "limit=0",
        "limit=1001",
        "limit=ten",
        "state=gone",
        "colour=blue",
        "limit=1&limit=2",
    ] {
        let problem = served
            .get(&format!("/v1/tenants?{query}"))
            .await
            .problem(400, "bad_request");
        assert!(!problem["detail"].as_str().unwrap().is_empty(), "{query}");
    }
    served
        .get("/v1/history?limit=0")
        .await
        .problem(400, "bad_request");

    // A method the path does not take: 405; a path the API does not have: 404.
    send(served.req(Method::PATCH, "/v1/tenants/acme"))
        .await
        .problem(405, "method_not_allowed");
    send(served.req(Method::DELETE, "/v1/tenants"))
        .await
        .problem(405, "method_not_allowed");
    served
        .get("/v1/nothing-here")
        .await
        .problem(404, "not_found");
    send(served.anonymous(Method::GET, "/nothing-here"))
        .await
        .problem(404, "not_found");

    // None of it indexed a tenant; the one provider call made (the update
    // of a tenant the mock does not know) is journaled as failed.
    assert!(ids(&served.get("/v1/tenants").await.json(200)).is_empty());
    let history = served.get("/v1/history").await.json(200);
    let items = history["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{history}");
    assert_eq!(items[0]["tenant_id"], "never-seen");
    assert_eq!(items[0]["operation"], "update");
    assert_eq!(items[0]["kind"], "tenant_not_found");

    // A struct-typed field given as an array (serde's positional form):
    // 400, not read field by field.
    let positional = spec_with(|s| s["networking"]["dns"] = serde_json::json!(["acme", null]));
    let problem = served
        .post("/v1/tenants", &positional)
        .await
        .problem(400, "bad_request");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("expected an object"),
        "{problem}"
    );

    // A provisioned tenant: the same spec again is the provider's to answer
    // (the mock: success); another spec is 409, refused before the provider
    // is called, and the index keeps the first.
    served.post("/v1/tenants", &spec("acme")).await.json(201);
    served.post("/v1/tenants", &spec("acme")).await.json(201);
    let changed = spec_with(|s| s["containers"][0]["image"] = "nginx:1.28".into());
    let problem = served
        .post("/v1/tenants", &changed)
        .await
        .problem(409, "tenant_exists");
    assert_eq!(problem["provider"], "mock");
    assert_eq!(problem["tenant_id"], "acme");
    assert!(
        problem["detail"].as_str().unwrap().contains("update it"),
        "{problem}"
    );
    let entry = served.get("/v1/tenants/acme").await.json(200);
    assert_eq!(
        entry["tenant"]["spec"]["containers"][0]["image"], "nginx:1.27",
        "{entry}"
    );
    let history = served.get("/v1/history?tenant=acme").await.json(200);
    assert_eq!(history["items"].as_array().unwrap().len(), 2, "{history}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_past_the_limit_is_413() {
    let host = ApiHost::new("[server]\nbody_limit_kib = 1\n");
    let served = host.serve(&[]).await;

    let padded = spec_with(|s| s["labels"]["pad"] = "x".repeat(2048).into());
    assert!(padded.len() > 1024);
    let problem = served
        .post("/v1/tenants", &padded)
        .await
        .problem(413, "payload_too_large");
    assert!(
        problem["detail"].as_str().unwrap().contains("1024 bytes"),
        "{problem}"
    );
    served
        .put("/v1/tenants/acme", &padded)
        .await
        .problem(413, "payload_too_large");
    served
        .post("/v1/validate", &padded)
        .await
        .problem(413, "payload_too_large");

    // A spec under the limit is served.
    let small = spec("acme");
    assert!(small.len() < 1024, "{} bytes", small.len());
    served.post("/v1/tenants", &small).await.json(201);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_failure_is_a_502_naming_provider_and_operation() {
    let host =
        ApiHost::new("[providers.mock]\nconfig = { \"fail.provision\" = \"quota exceeded\" }\n");
    let served = host.serve(&[]).await;

    let problem = served
        .post("/v1/tenants", &spec("acme"))
        .await
        .problem(502, "provision_failed");
    assert_eq!(problem["provider"], "mock");
    assert_eq!(problem["operation"], "provision");
    assert_eq!(problem["tenant_id"], "acme");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("quota exceeded"),
        "{problem}"
    );

    // The failure is journaled and indexed.
    let failed = served.get("/v1/tenants?state=failed").await.json(200);
    assert_eq!(ids(&failed), ["acme"]);
    assert_eq!(failed["items"][0]["last_outcome"], "provision_failed");
    let history = served.get("/v1/history?tenant=acme").await.json(200);
    assert_eq!(history["items"][0]["outcome"], "failed");
    assert_eq!(history["items"][0]["kind"], "provision_failed");
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_and_scopes_are_checked_and_never_logged() {
    let host = ApiHost::new("");
    // Debug logging: every request is traced, and still no token shows.
    let served = host.serve(&["-vv"]).await;
    let wrong = format!("ll_{}", "0".repeat(64));

    // No token, an unknown one, another scheme: 401 with a challenge.
    for request in [
        served.anonymous(Method::GET, "/v1/tenants"),
        served
            .anonymous(Method::GET, "/v1/tenants")
            .bearer_auth(&wrong),
        served
            .anonymous(Method::POST, "/v1/tenants")
            .bearer_auth(&wrong)
            .body(spec("acme")),
        served
            .anonymous(Method::GET, "/v1/providers")
            .header("authorization", format!("Basic {wrong}")),
    ] {
        let answer = send(request).await;
        answer.problem(401, "unauthorized");
        assert!(!answer.body.contains(&wrong), "{}", answer.body);
        let challenge = answer.header("www-authenticate").unwrap_or_default();
        assert!(challenge.starts_with("Bearer"), "{challenge:?}");
    }

    // A read-only token may look, not change: 403 names the scope needed.
    let reader = |method: Method, path: &str| {
        served
            .anonymous(method, path)
            .bearer_auth(&served.tokens.read)
    };
    for request in [
        json_body(reader(Method::POST, "/v1/tenants"), &spec("acme")),
        json_body(reader(Method::PUT, "/v1/tenants/acme"), &spec("acme")),
        reader(Method::DELETE, "/v1/tenants/acme"),
    ] {
        let problem = send(request).await.problem(403, "forbidden");
        assert!(
            problem["detail"].as_str().unwrap().contains("`write`"),
            "{problem}"
        );
    }
    for path in [
        "/v1/tenants",
        "/v1/providers",
        "/v1/providers/mock",
        "/v1/history",
    ] {
        let answer = send(reader(Method::GET, path)).await;
        assert_eq!(answer.status, 200, "GET {path}: {}", answer.body);
    }
    // Nothing the reader tried happened.
    assert!(ids(&served.get("/v1/tenants").await.json(200)).is_empty());
    // The writer may do both.
    served.post("/v1/tenants", &spec("acme")).await.json(201);
    let view = send(reader(Method::GET, "/v1/tenants/acme"))
        .await
        .json(200);
    assert_eq!(view["tenant"]["state"], "ready");

    let stderr = served.stderr();
    assert!(
        stderr.contains("/v1/tenants"),
        "debug logging traces requests; stderr:\n{stderr}"
    );
    for token in [&served.tokens.write, &served.tokens.read, &wrong] {
        assert!(
            !stderr.contains(token.as_str()),
            "a token was logged:\n{stderr}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idempotency_key_gives_a_retry_the_first_answer() {
    let host = ApiHost::new("");
    let served = host.serve(&[]).await;
    let keyed = |key: &str, body: &str| {
        json_body(served.req(Method::POST, "/v1/tenants"), body).header("idempotency-key", key)
    };

    // Two requests with one key at once: one provision, one answer.
    let (first, second) = tokio::join!(
        send(keyed("key-1", &spec("acme"))),
        send(keyed("key-1", &spec("acme")))
    );
    let replayed = |answer: &Answer| answer.header("idempotent-replayed") == Some("true");
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(second.status, 201, "{}", second.body);
    assert!(
        replayed(&first) != replayed(&second),
        "exactly one answer is a replay: {:?} / {:?}",
        first.headers,
        second.headers
    );
    assert_eq!(first.body, second.body, "the replay is the first answer");
    assert_eq!(second.header("location"), Some("/v1/tenants/acme"));

    // A later retry too.
    let third = send(keyed("key-1", &spec("acme"))).await;
    assert_eq!(third.status, 201);
    assert!(replayed(&third));
    assert_eq!(third.body, first.body);
    assert_eq!(journaled(&served, "acme").await, ["provision"]);

    // The same key for another request: 422, and nothing is provisioned.
    let problem = send(keyed("key-1", &spec("beta")))
        .await
        .problem(422, "idempotency_conflict");
    assert!(
        problem["detail"].as_str().unwrap().contains("new key"),
        "{problem}"
    );
    assert!(journaled(&served, "beta").await.is_empty());

    // Without a key, or with a new one, a request runs again.
    served.post("/v1/tenants", &spec("acme")).await.json(201);
    let fresh = send(keyed("key-2", &spec("acme"))).await;
    assert_eq!(fresh.status, 201);
    assert!(!replayed(&fresh));
    assert_eq!(
        journaled(&served, "acme").await,
        ["provision", "provision", "provision"]
    );

    // A key that is no visible ASCII: 400.
    send(keyed("a key with spaces", &spec("acme")))
        .await
        .problem(400, "bad_request");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hostile_provider_is_a_502_naming_it_and_the_next_request_is_served() {
    let panic = guests::hostile("panic");
    let host = ApiHost::new(&format!(
        "[providers.panic]\ncomponent = {:?}\n",
        panic.display().to_string()
    ));
    let served = host.serve(&[]).await;

    let problem = served
        .post("/v1/tenants", &spec_on("acme", "panic"))
        .await
        .problem(502, "trap");
    assert_eq!(problem["provider"], "panic");
    assert_eq!(problem["operation"], "provision");
    assert_eq!(problem["tenant_id"], "acme");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("hostile guest panicked on purpose"),
        "{problem}"
    );

    // The server goes on: the mock is served, and the hostile provider too.
    let ok = served.post("/v1/tenants", &spec("beta")).await.json(201);
    assert_eq!(ok["provider_type"], "mock");
    let listed = served.get("/v1/providers/panic").await.json(200);
    assert_eq!(listed["name"], "panic");
    assert!(listed["error"].is_null(), "{listed}");

    let history = served.get("/v1/history?tenant=acme").await.json(200);
    assert_eq!(history["items"][0]["provider"], "panic");
    assert_eq!(history["items"][0]["kind"], "trap");
    let failed = served.get("/v1/tenants?state=failed").await.json(200);
    assert_eq!(ids(&failed), ["acme"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_lets_the_operation_in_flight_finish_journaled_and_exits_0() {
    let sleep = guests::hostile("sleep");
    let host = ApiHost::new(&format!(
        "[providers.sleep]\ncomponent = {:?}\nlimits = {{ timeout_ms = 3000 }}\n",
        sleep.display().to_string()
    ));
    let mut served = host.serve(&[]).await;

    // A provision that takes 3 s (the guest sleeps until its deadline).
    let slow = tokio::spawn(send(json_body(
        served.req(Method::POST, "/v1/tenants"),
        &spec_on("sleepy", "sleep"),
    )));
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(!slow.is_finished(), "the slow provision answered too soon");

    served.terminate();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!slow.is_finished(), "the slow provision answered too soon");
    // A new request (on a new connection) is turned away.
    let late = server::client()
        .get(served.url("/v1/tenants"))
        .bearer_auth(&served.tokens.write)
        .timeout(Duration::from_secs(10))
        .send()
        .await;
    match late {
        Ok(answer) => {
            let status = answer.status().as_u16();
            let body = answer.text().await.unwrap_or_default();
            assert_eq!(status, 503, "a request after SIGTERM: {body}");
            assert!(body.contains("shutting_down"), "{body}");
        }
        Err(err) => assert!(
            err.is_connect() || err.is_request(),
            "a request after SIGTERM is refused, not timed out: {err:?}"
        ),
    }

    // The request in flight gets its answer: the provider's deadline.
    let answer = slow.await.expect("the request task");
    let problem = answer.problem(504, "timeout");
    assert_eq!(problem["provider"], "sleep");

    let status = served.wait_exit();
    assert!(
        status.success(),
        "landlord serve exits 0 after SIGTERM, not {status}; stderr:\n{}",
        served.stderr()
    );

    // The operation was journaled before the process ended.
    let journal = host.cli_json(&["history"]);
    let entries: Vec<&Value> = journal
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["tenant_id"] == "sleepy")
        .collect();
    assert_eq!(entries.len(), 1, "{journal}");
    assert_eq!(entries[0]["operation"], "provision");
    assert_eq!(entries[0]["provider"], "sleep");
    assert_eq!(entries[0]["kind"], "timeout");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_and_the_server_share_a_state_directory() {
    let host = ApiHost::new("");
    let served = host.serve(&[]).await;

    // Three CLI processes and three HTTP requests at once, each its own
    // tenant, all on one state directory.
    let mut cli = Vec::new();
    for n in 0..3 {
        let path = host.write(&format!("cli-{n}.json"), spec(&format!("cli-{n}")));
        let mut command = host.command();
        command.args(["--output", "json", "provision"]).arg(path);
        cli.push(tokio::task::spawn_blocking(move || {
            command.output().expect("runs landlord provision")
        }));
    }
    let bodies: Vec<String> = (0..3).map(|n| spec(&format!("web-{n}"))).collect();
    let (a, b, c) = tokio::join!(
        served.post("/v1/tenants", &bodies[0]),
        served.post("/v1/tenants", &bodies[1]),
        served.post("/v1/tenants", &bodies[2]),
    );
    for answer in [a, b, c] {
        assert_eq!(answer.json(201)["status"], "success");
    }
    for process in cli {
        let out = process.await.unwrap();
        assert!(
            out.status.success(),
            "landlord provision beside the server failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let result: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(result["status"], "success");
    }

    let expected = ["cli-0", "cli-1", "cli-2", "web-0", "web-1", "web-2"];
    let listed = host.cli_json(&["tenants", "list"]);
    let listed: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["tenant_id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, expected);
    let page = served.get("/v1/tenants").await.json(200);
    assert_eq!(ids(&page), expected);
    // And the server reads what the CLI provisioned.
    let view = served.get("/v1/tenants/cli-1").await.json(200);
    assert_eq!(view["tenant"]["state"], "ready");
    assert_eq!(view["status"]["state"], "running");
    let history = served.get("/v1/history").await.json(200);
    assert_eq!(history["items"].as_array().unwrap().len(), 6, "{history}");
}
