//! The operator's dashboard at `/` on a real `landlord serve`: signing in
//! with an API token (a cookie), what the page shows, that guest text on it
//! is inert, and that it reloads by itself. Once over plain HTTP (statuses,
//! headers, the cookie's attributes) and once in a headless Chromium driven
//! over the DevTools protocol, as an operator would use it; and in the
//! browser again, a Docker tenant going degraded and healed by the
//! reconciler (needs a running Docker engine, as `reconcile_docker.rs`).

// The measured timings are part of what these tests report.
#![allow(clippy::print_stderr)]

mod support;

#[path = "support/browser.rs"]
mod browser;
#[path = "support/docker.rs"]
mod docker;
#[path = "support/server.rs"]
mod server;

use std::time::Duration;

use browser::Browser;
use docker::{Cleanup, IMAGE, docker, docker_ps, require_engine};
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, COOKIE};
use server::{Answer, ApiHost, send};
use support::spec_with;

/// What the mock answers an update with, as the operator configured it: text
/// that would run, or bold, were the page to put it in as markup.
const HOSTILE: &str = "<script>window.pwned=1</script><b>bold</b>";

/// A host whose mock fails every update with [`HOSTILE`].
fn host() -> ApiHost {
    ApiHost::new(&format!(
        "[providers.mock]\nconfig = {{ \"fail.update\" = {} }}\n",
        serde_json::Value::from(HOSTILE)
    ))
}

fn spec(tenant_id: &str) -> String {
    spec_with(|spec| spec["tenant_id"] = tenant_id.into())
}

/// A client that shows redirects instead of following them.
fn no_redirects() -> reqwest::Client {
    landlord::server::install_crypto();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(server::HANG)
        .build()
        .expect("a reqwest client")
}

fn sign_in_form(
    served: &server::Served,
    http: &reqwest::Client,
    token: &str,
) -> reqwest::RequestBuilder {
    http.post(served.url("/login"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!("token={token}"))
}

/// The script that fills the sign-in form with `token` and submits it.
fn submit(token: &str) -> String {
    format!(
        "document.querySelector('#token').value = {}; document.querySelector('form#login').submit(); true",
        serde_json::Value::from(token)
    )
}

/// The headers every dashboard answer carries.
fn assert_protected(answer: &Answer) {
    assert_eq!(
        answer.header("cache-control"),
        Some("no-store"),
        "{answer:?}"
    );
    let policy = answer.header("content-security-policy").unwrap_or_default();
    assert!(policy.contains("default-src 'none'"), "{policy}");
    assert!(policy.contains("form-action 'self'"), "{policy}");
    assert!(!policy.contains("script-src"), "{policy}");
    assert_eq!(answer.header("x-frame-options"), Some("DENY"), "{answer:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn signing_in_over_http_sets_a_strict_cookie_and_the_page_needs_it() {
    let host = host();
    let served = host.serve(&[]).await;
    served.post("/v1/tenants", &spec("acme")).await.json(201);
    let http = no_redirects();
    let tokens = served.tokens;

    // No cookie: the sign-in page, 401, nothing about tenants.
    let anonymous = send(http.get(served.url("/"))).await;
    assert_eq!(anonymous.status, 401, "{}", anonymous.body);
    assert!(
        anonymous
            .header("content-type")
            .unwrap_or_default()
            .starts_with("text/html"),
        "{anonymous:?}"
    );
    assert_protected(&anonymous);
    assert!(
        anonymous
            .body
            .contains(r#"<form id="login" method="post" action="/login">"#),
        "{}",
        anonymous.body
    );
    assert!(
        anonymous.body.contains(r#"type="password" name="token""#),
        "{}",
        anonymous.body
    );
    assert!(!anonymous.body.contains("acme"), "{}", anonymous.body);
    assert!(anonymous.header("set-cookie").is_none(), "{anonymous:?}");

    // A wrong token: the page again, saying so, the token not echoed.
    let wrong = send(sign_in_form(&served, &http, "ll_not-a-token-here")).await;
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    assert!(wrong.body.contains("not accepted"), "{}", wrong.body);
    assert!(
        !wrong.body.contains("ll_not-a-token-here"),
        "{}",
        wrong.body
    );
    assert!(wrong.header("set-cookie").is_none(), "{wrong:?}");
    assert!(
        !served.stderr().contains("ll_not-a-token-here"),
        "{}",
        served.stderr()
    );

    // The read token: 303 to `/` with the cookie, HttpOnly and SameSite=Strict.
    let signed_in = send(sign_in_form(&served, &http, &tokens.read)).await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    assert_eq!(signed_in.header("location"), Some("/"));
    assert_protected(&signed_in);
    let cookie = signed_in.header("set-cookie").expect("a Set-Cookie header");
    let attributes: Vec<&str> = cookie.split(';').map(str::trim).collect();
    assert_eq!(attributes[0], format!("landlord_token={}", tokens.read));
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(attributes.contains(&attribute), "{cookie}");
    }
    // Plain HTTP here: a Secure cookie would never be sent back.
    assert!(!attributes.contains(&"Secure"), "{cookie}");
    assert!(
        !served.stderr().contains(&tokens.read),
        "the token reached the log"
    );

    // With the cookie: the dashboard, reloading itself.
    let with_cookie = |token: &str| {
        http.get(served.url("/"))
            .header(COOKIE, format!("theme=dark; landlord_token={token}"))
    };
    let page = send(with_cookie(&tokens.read)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_protected(&page);
    assert!(
        page.body
            .contains(r#"<meta http-equiv="refresh" content="5">"#),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(r#"<tr data-tenant="acme">"#),
        "{}",
        page.body
    );
    assert!(page.body.contains(r#"data-state="ready""#), "{}", page.body);
    assert!(page.body.contains("signed in as viewer"), "{}", page.body);
    // The write token may read too.
    let writer = send(sign_in_form(&served, &http, &tokens.write)).await;
    assert_eq!(writer.status, 303, "{}", writer.body);

    // A cookie whose token is not (or no longer) known: signed out, told so.
    let stale = send(with_cookie("ll_revoked")).await;
    assert_eq!(stale.status, 401, "{}", stale.body);
    assert!(stale.body.contains("no longer accepted"), "{}", stale.body);
    assert!(
        stale
            .header("set-cookie")
            .unwrap_or_default()
            .contains("Max-Age=0"),
        "{stale:?}"
    );

    // The cookie opens the dashboard, not the API.
    let api = send(
        served
            .anonymous(Method::GET, "/v1/tenants")
            .header(COOKIE, format!("landlord_token={}", tokens.read)),
    )
    .await;
    api.problem(401, "unauthorized");

    // Another site cannot sign this browser in or out.
    let forged =
        send(sign_in_form(&served, &http, &tokens.read).header("sec-fetch-site", "cross-site"))
            .await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert!(forged.header("set-cookie").is_none(), "{forged:?}");

    // Signing out expires the cookie.
    let out = send(http.post(served.url("/logout"))).await;
    assert_eq!(out.status, 303, "{}", out.body);
    let cleared = out.header("set-cookie").unwrap_or_default();
    assert!(cleared.starts_with("landlord_token=;"), "{cleared}");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");

    // Other methods on the dashboard's paths are the API's 405.
    send(http.delete(served.url("/")))
        .await
        .problem(405, "method_not_allowed");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_operator_signs_in_and_watches_tenants_in_a_browser() {
    let host = host();
    let served = host.serve(&[]).await;
    served.post("/v1/tenants", &spec("acme")).await.json(201);
    // An update the mock fails with HOSTILE: it reaches the journal.
    let changed = spec_with(|spec| {
        spec["labels"]["team"] = "edge".into();
    });
    served
        .put("/v1/tenants/acme", &changed)
        .await
        .problem(502, "update_failed");

    let mut browser = Browser::launch();
    browser.navigate(&served.url("/"));

    // Signed out: the sign-in form, and nothing about tenants.
    assert_eq!(
        browser.eval(
            "[!!document.querySelector('form#login input[name=token][type=password]'), \
              document.querySelector('[data-tenant]') === null, \
              !document.body.innerText.includes('acme')]"
        ),
        serde_json::json!([true, true, true])
    );

    // A wrong token: the sign-in page again, saying it was not accepted.
    browser.eval(&submit("ll_wrong"));
    browser.wait_for(
        "document.querySelector('[role=alert]')?.innerText.includes('not accepted') === true",
        Duration::from_secs(15),
    );
    browser.wait_for(
        "document.querySelector('[data-tenant]') === null && !document.documentElement.outerHTML.includes('ll_wrong')",
        Duration::from_secs(5),
    );

    // The read token: the dashboard, with acme's row and its state cell:
    // degraded, its update failed (generation 2 asked, 1 running).
    browser.eval(&submit(&served.tokens.read));
    browser.wait_for(
        "document.querySelector('tr[data-tenant=\"acme\"] td[data-state]')?.dataset.state === 'degraded'",
        Duration::from_secs(15),
    );
    browser.wait_for(
        "document.querySelector('tr[data-tenant=\"acme\"] td[data-state]').classList.contains('state-degraded') \
         && document.querySelector('tr[data-tenant=\"acme\"]').innerText.includes('2/1') \
         && document.querySelector('tr[data-tenant=\"acme\"]').innerText.includes('update (update_failed)') \
         && document.querySelector('#providers tr[data-provider=\"mock\"]') !== null",
        Duration::from_secs(15),
    );
    // The cookie is out of the page's reach (HttpOnly).
    browser.wait_for("document.cookie === ''", Duration::from_secs(5));

    // The mock's message is on the page as text: no element, nothing run.
    let hostile = serde_json::Value::from(HOSTILE);
    browser.wait_for(
        &format!(
            "document.querySelector('#journal').innerText.includes({hostile}) \
             && document.querySelectorAll('script, #journal b').length === 0 \
             && window.pwned === undefined"
        ),
        Duration::from_secs(15),
    );

    // It reloads by itself: a tenant provisioned meanwhile shows up, and
    // the mark left in this window is gone with the old page.
    browser.eval("window.landlordMark = 1; true");
    served.post("/v1/tenants", &spec("beta")).await.json(201);
    browser.wait_for(
        "document.querySelector('tr[data-tenant=\"beta\"] td[data-state]')?.dataset.state === 'ready' \
         && window.landlordMark === undefined",
        Duration::from_secs(15),
    );

    // Signing out: the sign-in page again.
    browser.wait_for(
        "(() => { const out = document.querySelector('form[action=\"/logout\"]'); \
                  if (!out) return false; out.submit(); return true; })()",
        Duration::from_secs(10),
    );
    browser.wait_for(
        "!!document.querySelector('form#login') && document.querySelector('[data-tenant]') === null",
        Duration::from_secs(15),
    );
}

/// The "done when" of healing, as an operator watches it: a tenant on the
/// Docker provider whose container is removed while its image is gone
/// shows `degraded` (the reconciler cannot heal it yet), and `ready` again
/// once the image is back — all without navigating, as the page reloads.
#[tokio::test(flavor = "multi_thread")]
async fn a_removed_containers_tenant_shows_degraded_then_healed() {
    require_engine();
    let tenant = format!("dash-{}", std::process::id());
    let image = format!("landlord-test/{tenant}:1");
    let _cleanup = (Cleanup(tenant.clone()), Untag(image.clone()));
    docker(&["tag", IMAGE, &image]);
    let host = ApiHost::new(
        "[reconcile]\ninterval = \"1s\"\nbackoff_base = \"500ms\"\nbackoff_max = \"1s\"\nmax_attempts = 100\n",
    );
    let served = host.serve(&[]).await;
    let spec = serde_json::json!({
        "tenant_id": tenant,
        "provider_type": "docker",
        "containers": [{"name": "worker", "image": image, "command": ["sleep"], "args": ["3600"]}],
        "resources": {"cpu": 500, "memory": 256},
    });
    served
        .post("/v1/tenants", &spec.to_string())
        .await
        .json(201);

    let mut browser = Browser::launch();
    browser.navigate(&served.url("/"));
    browser.eval(&submit(&served.tokens.read));
    let row = format!("document.querySelector('tr[data-tenant=\"{tenant}\"]')");
    let state_is = |state: &str| {
        format!("{row}?.querySelector('td[data-state]')?.dataset.state === '{state}'")
    };
    browser.wait_for(
        &format!(
            "{} && {row}.innerText.includes('worker: running, ready')",
            state_is("ready")
        ),
        Duration::from_secs(20),
    );

    // The image gone and the container removed: drift the reconciler cannot
    // heal (the engine cannot pull the image here). Degraded, with why.
    docker(&["rmi", &image]);
    let removed = std::time::Instant::now();
    docker(&["rm", "-f", &format!("landlord-{tenant}-worker")]);
    browser.wait_for(
        &format!(
            "{} && {row}.innerText.includes('drift: the provider has no such tenant')",
            state_is("degraded")
        ),
        Duration::from_secs(20),
    );
    let degraded_after = removed.elapsed();

    // The image back: the next retry heals it, and the page shows it.
    docker(&["tag", IMAGE, &image]);
    let restored = std::time::Instant::now();
    browser.wait_for(
        &format!(
            "{} && {row}.innerText.includes('worker: running, ready')",
            state_is("ready")
        ),
        Duration::from_secs(20),
    );
    eprintln!(
        "dashboard: degraded on the page {degraded_after:?} after the removal; ready again {:?} after the image came back",
        restored.elapsed()
    );
    let view = served.get(&format!("/v1/tenants/{tenant}")).await.json(200);
    let moves: Vec<&str> = view["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["to"].as_str())
        .collect();
    assert_eq!(
        moves,
        ["provisioning", "ready", "degraded", "ready"],
        "{view}"
    );
    assert_eq!(
        docker_ps(&tenant).lines().count(),
        1,
        "one container, not two"
    );
}

/// Removes an image tag when the test ends.
struct Untag(String);

impl Drop for Untag {
    fn drop(&mut self) {
        let _ = std::process::Command::new("docker")
            .args(["rmi", &self.0])
            .output();
    }
}
