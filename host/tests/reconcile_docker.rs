//! The reconciler against a real Docker engine, through a real `landlord
//! serve` on loopback: a removed container is recreated within two
//! intervals; a provision that fails is retried with a growing backoff
//! until it can succeed; a provider that traps is quarantined while the
//! other providers' tenants keep being reconciled; a `kill -9` in the middle
//! of a heal converges on the next start without duplicate containers (and
//! a container such a kill leaves created but not started is started); and
//! a user's update waits for the reconciler's hold on the tenant.
//!
//! Needs a running Docker engine and the test image: without them every
//! test fails and says how to start them. Each test has its own tenants
//! (named after the test and this process) and removes their containers
//! and networks however it ends. The measured timings are printed (run with
//! `--nocapture` to see them).

// The measured timings are part of what these tests report.
#![allow(clippy::print_stderr)]

mod support;

#[path = "support/docker.rs"]
mod docker;
#[path = "support/guests.rs"]
mod guests;
#[path = "support/server.rs"]
mod server;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use docker::{Cleanup, IMAGE, docker, docker_ps, require_engine};
use reqwest::Method;
use serde_json::{Value, json};
use server::{ApiHost, Served};

// ---------------------------------------------------------------------------
// Specs and configuration

/// `web`: busybox httpd on 8080, published on a port the engine picks.
fn web() -> Value {
    json!({
        "name": "web",
        "image": IMAGE,
        "command": ["httpd"],
        "args": ["-f", "-p", "8080"],
        "ports": [{ "container_port": 8080 }],
    })
}

/// A container that only sleeps.
fn sleeper(name: &str) -> Value {
    json!({
        "name": name,
        "image": IMAGE,
        "command": ["sleep"],
        "args": ["3600"],
    })
}

/// A docker spec for `tenant` with `containers`.
fn docker_spec(tenant: &str, containers: Vec<Value>) -> Value {
    json!({
        "tenant_id": tenant,
        "provider_type": "docker",
        "containers": containers,
        "resources": { "cpu": 1000, "memory": 512 },
    })
}

/// The two containers most tests use.
const TWO: [&str; 2] = ["web", "worker"];

/// `web` and `worker`.
fn two(tenant: &str) -> Value {
    docker_spec(tenant, vec![web(), sleeper("worker")])
}

/// Six containers, so that recreating them all takes a while.
const SIX: [&str; 6] = ["web", "worker", "w2", "w3", "w4", "w5"];

/// `web` and five sleepers.
fn six(tenant: &str) -> Value {
    let mut containers = vec![web()];
    containers.extend(SIX[1..].iter().map(|name| sleeper(name)));
    docker_spec(tenant, containers)
}

/// How the reconciler is paced: the `[reconcile]` table.
#[derive(Debug, Clone, Copy)]
struct Pace {
    interval: Duration,
    backoff_base: Duration,
    backoff_max: Duration,
    max_attempts: u32,
}

/// A pass a second, quick retries.
const BRISK: Pace = Pace {
    interval: Duration::from_secs(1),
    backoff_base: Duration::from_millis(200),
    backoff_max: Duration::from_secs(2),
    max_attempts: 8,
};

impl Pace {
    fn toml(&self) -> String {
        let text = |duration: Duration| humantime::format_duration(duration).to_string();
        format!(
            "[reconcile]\ninterval = {:?}\nbackoff_base = {:?}\nbackoff_max = {:?}\n\
             max_attempts = {}\nconcurrency = 4\n",
            text(self.interval),
            text(self.backoff_base),
            text(self.backoff_max),
            self.max_attempts
        )
    }

    /// How long a heal may take: the next pass starts within two intervals
    /// of the drift, plus the provision's own time and a margin.
    fn heal_bound(&self) -> Duration {
        self.interval * 2 + Duration::from_secs(5)
    }
}

/// A tenant id of this test (`test`) and this process.
fn tenant_id(test: &str) -> String {
    format!("rd-{test}-{}", std::process::id())
}

/// Leftovers of an aborted earlier run removed; the guard that removes the
/// tenant's containers and network when the test ends.
fn fresh(tenant: &str) -> Cleanup {
    drop(Cleanup(tenant.to_owned()));
    Cleanup(tenant.to_owned())
}

// ---------------------------------------------------------------------------
// The engine

/// `tenant`'s containers as the engine lists them: (name, state), by name.
fn containers(tenant: &str) -> Vec<(String, String)> {
    let listed = docker(&[
        "ps",
        "-a",
        "--filter",
        &format!("label=landlord.tenant_id={tenant}"),
        "--format",
        "{{.Names}} {{.State}}",
    ]);
    let mut found: Vec<(String, String)> = listed
        .lines()
        .filter_map(|line| line.split_once(' '))
        .map(|(name, state)| (name.to_owned(), state.to_owned()))
        .collect();
    found.sort();
    found
}

/// The engine's name for `tenant`'s `container`.
fn engine_name(tenant: &str, container: &str) -> String {
    format!("landlord-{tenant}-{container}")
}

/// `docker rm -f` `tenant`'s `names`.
fn remove(tenant: &str, names: &[&str]) {
    let engine_names: Vec<String> = names.iter().map(|name| engine_name(tenant, name)).collect();
    let mut args = vec!["rm", "-f"];
    args.extend(engine_names.iter().map(String::as_str));
    docker(&args);
}

/// Whether the engine runs exactly `names` for `tenant`, each once.
fn runs_exactly(tenant: &str, names: &[&str]) -> Result<(), String> {
    let found = containers(tenant);
    let expected: Vec<(String, String)> = names
        .iter()
        .map(|name| (engine_name(tenant, name), "running".to_owned()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if found == expected {
        Ok(())
    } else {
        Err(format!("the engine has {found:?}"))
    }
}

/// An image tag that exists only while this guard lives (made by
/// [`Tag::make`]); removed at the end whatever happens.
struct Tag(String);

impl Tag {
    /// `image`, made sure not to exist yet.
    fn absent(image: String) -> Self {
        let _ = std::process::Command::new("docker")
            .args(["rmi", &image])
            .output();
        Self(image)
    }

    /// Tag the test image as this one.
    fn make(&self) {
        docker(&["tag", IMAGE, &self.0]);
    }
}

impl Drop for Tag {
    fn drop(&mut self) {
        // Only the tag: the test image keeps its own.
        let _ = std::process::Command::new("docker")
            .args(["rmi", &self.0])
            .output();
    }
}

// ---------------------------------------------------------------------------
// The API

/// `landlord -v serve`: its log (shown when a test fails) says what each
/// reconcile pass did, and when a provider's breaker opens and closes.
async fn serve(host: &ApiHost) -> Served {
    host.serve(&["-v"]).await
}

/// POST `spec`; it must be provisioned.
async fn provision(served: &Served, spec: &Value) -> Value {
    let result = served
        .post("/v1/tenants", &spec.to_string())
        .await
        .json(201);
    assert_eq!(result["status"], "success", "{result}");
    result
}

/// GET /v1/tenants/{tenant}.
async fn view(served: &Served, tenant: &str) -> Value {
    served.get(&format!("/v1/tenants/{tenant}")).await.json(200)
}

/// The journal (`query`: `tenant=ID`, or empty for every tenant), oldest
/// first.
async fn journal(served: &Served, query: &str) -> Vec<Value> {
    let page = served
        .get(&format!("/v1/history?limit=1000&{query}"))
        .await
        .json(200);
    page["items"].as_array().cloned().unwrap_or_default()
}

/// The journal's records of `operation` about `tenant`.
async fn calls(served: &Served, tenant: &str, operation: &str) -> Vec<Value> {
    journal(served, &format!("tenant={tenant}"))
        .await
        .into_iter()
        .filter(|record| record["operation"] == operation)
        .collect()
}

/// When a journal record's call started.
fn started(record: &Value) -> DateTime<Utc> {
    record["at"]
        .as_str()
        .and_then(|at| at.parse().ok())
        .unwrap_or_else(|| panic!("a journal record has a time: {record}"))
}

/// When a journal record's call ended.
fn ended(record: &Value) -> DateTime<Utc> {
    let ms = record["duration_ms"].as_f64().expect("a duration");
    started(record) + chrono::Duration::microseconds((ms * 1000.0) as i64)
}

/// Whether `tenant` runs as asked again: the engine runs exactly `names`,
/// the index says `ready`, and the status the reconciler last observed has
/// every one of them running. The tenant's view when it does.
async fn healed(served: &Served, tenant: &str, names: &[&str]) -> Result<Value, String> {
    let engine = runs_exactly(tenant, names);
    let view = view(served, tenant).await;
    let entry = &view["tenant"];
    let observed: BTreeSet<(&str, &str)> = entry["observed"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|seen| Some((seen["name"].as_str()?, seen["state"].as_str()?)))
        .collect();
    let seen_running = names
        .iter()
        .all(|name| observed.contains(&(*name, "running")));
    if engine.is_ok() && entry["state"] == "ready" && seen_running {
        return Ok(view);
    }
    Err(format!(
        "{}; the tenant is {} ({}), attempts {}; the reconciler last observed {observed:?}",
        engine
            .err()
            .unwrap_or_else(|| "the engine runs them all".into()),
        entry["state"],
        entry["reason"],
        entry["attempts"]
    ))
}

// ---------------------------------------------------------------------------
// Waiting

/// Ask `probe` every `every` until it answers `Ok`, for at most `within`;
/// its answer and how long it took. Past the deadline the test fails with
/// `what`, the probe's last "not yet", and the end of the server's log.
async fn eventually<T>(
    served: &Served,
    what: &str,
    within: Duration,
    every: Duration,
    mut probe: impl AsyncFnMut() -> Result<T, String>,
) -> (T, Duration) {
    let begun = Instant::now();
    loop {
        let not_yet = match probe().await {
            Ok(answer) => return (answer, begun.elapsed()),
            Err(not_yet) => not_yet,
        };
        if begun.elapsed() > within {
            let log = served.stderr();
            // What the reconciler did, and what failed (not the 503s of
            // /readyz while the server loaded).
            let log: Vec<&str> = log
                .lines()
                .filter(|line| {
                    (line.contains("reconcil") || line.contains("quarantine"))
                        || (line.contains(" WARN ") || line.contains(" ERROR "))
                            && !line.contains("response failed")
                })
                .collect();
            let tail = log[log.len().saturating_sub(40)..].join("\n");
            panic!(
                "{what}: not within {within:?}; last: {not_yet}\n--- the end of the server's stderr ---\n{tail}"
            );
        }
        tokio::time::sleep(every).await;
    }
}

/// How often the tests look.
const POLL: Duration = Duration::from_millis(50);

// ---------------------------------------------------------------------------
// The tests

/// A container removed behind the host's back is recreated at the next
/// pass: within two intervals plus the provision's own time.
#[tokio::test(flavor = "multi_thread")]
async fn a_removed_container_is_recreated_within_two_intervals() {
    require_engine();
    let tenant = tenant_id("heal");
    let _cleanup = fresh(&tenant);
    let pace = Pace {
        interval: Duration::from_secs(2),
        ..BRISK
    };
    let host = ApiHost::new(&pace.toml());
    let served = serve(&host).await;
    provision(&served, &two(&tenant)).await;
    eventually(
        &served,
        "provisioned and ready",
        pace.heal_bound(),
        POLL,
        async || healed(&served, &tenant, &TWO).await,
    )
    .await;

    remove(&tenant, &["worker"]);
    let bound = pace.heal_bound();
    let (view, took) = eventually(
        &served,
        "the worker recreated and the tenant ready",
        bound,
        POLL,
        async || healed(&served, &tenant, &TWO).await,
    )
    .await;
    eprintln!(
        "heal: worker removed -> recreated and ready in {took:?} (interval {:?}, bound {bound:?})",
        pace.interval
    );

    // ready -> degraded (the drift, with its reason) -> ready.
    let drift = "drift: container worker missing";
    let transitions = view["transitions"].as_array().unwrap();
    let moves: Vec<(&str, &str, &str)> = transitions
        .iter()
        .map(|t| {
            (
                t["from"].as_str().unwrap_or("-"),
                t["to"].as_str().unwrap_or("-"),
                t["reason"].as_str().unwrap_or(""),
            )
        })
        .collect();
    let degraded = moves
        .iter()
        .position(|(from, to, why)| *from == "ready" && *to == "degraded" && why.contains(drift))
        .unwrap_or_else(|| panic!("no ready -> degraded ({drift}) in {moves:#?}"));
    assert!(
        moves[degraded + 1..]
            .iter()
            .any(|(from, to, _)| *from == "degraded" && *to == "ready"),
        "no degraded -> ready after the drift in {moves:#?}"
    );

    // The journal says why the reconciler provisioned.
    let provisions = calls(&served, &tenant, "provision").await;
    let heal = provisions
        .iter()
        .find(|record| record["reason"] == drift)
        .unwrap_or_else(|| panic!("no provision with reason {drift:?} in {provisions:#?}"));
    assert_eq!(heal["outcome"], "ok", "{heal}");
    eprintln!("heal: the provision took {} ms", heal["duration_ms"]);

    assert_eq!(
        docker_ps(&tenant).lines().count(),
        2,
        "{:?}",
        containers(&tenant)
    );
}

/// A provision that fails (its image is not there, and no registry can be
/// reached) is retried by the reconciler, each wait longer than the one
/// before, until it can succeed.
#[tokio::test(flavor = "multi_thread")]
async fn a_failed_provision_is_retried_with_a_growing_backoff_until_it_succeeds() {
    require_engine();
    let tenant = tenant_id("backoff");
    let _cleanup = fresh(&tenant);
    let missing = Tag::absent(format!("landlord-test/rd-missing-{}:1", std::process::id()));
    // Passes often enough that each retry starts close to when it is due.
    let pace = Pace {
        interval: Duration::from_millis(250),
        backoff_base: Duration::from_millis(500),
        backoff_max: Duration::from_secs(4),
        ..BRISK
    };
    let host = ApiHost::new(&pace.toml());
    let served = serve(&host).await;

    let mut worker = sleeper("worker");
    worker["image"] = missing.0.clone().into();
    let spec = docker_spec(&tenant, vec![web(), worker]);
    let asked = Instant::now();
    let problem = served
        .post("/v1/tenants", &spec.to_string())
        .await
        .problem(502, "provision_failed");
    eprintln!(
        "backoff: the provision with a missing image failed in {:?}: {}",
        asked.elapsed(),
        problem["detail"]
    );
    let entry = view(&served, &tenant).await["tenant"].clone();
    assert_eq!(entry["state"], "failed", "{entry}");
    assert_eq!(entry["attempts"], 1, "{entry}");

    // Two retries fail too, each journaled with its number.
    let (failed, _) = eventually(
        &served,
        "two failed retries in the journal",
        Duration::from_secs(15),
        POLL,
        async || {
            let provisions = calls(&served, &tenant, "provision").await;
            if provisions.len() >= 3 {
                Ok(provisions)
            } else {
                Err(format!("{} provisions journaled", provisions.len()))
            }
        },
    )
    .await;
    for (n, record) in failed.iter().enumerate().take(3) {
        assert_eq!(record["outcome"], "failed", "{record}");
        if n > 0 {
            let retry = format!("(retry {n}/8)");
            assert!(
                record["reason"].as_str().unwrap_or("").contains(&retry),
                "retry {n} says {retry}: {record}"
            );
        }
    }

    // Then the image is there: the next retry succeeds.
    missing.make();
    let (_, took) = eventually(
        &served,
        "ready once the image exists",
        Duration::from_secs(20),
        POLL,
        async || healed(&served, &tenant, &TWO).await,
    )
    .await;
    eprintln!("backoff: ready {took:?} after the image was tagged");

    let provisions = calls(&served, &tenant, "provision").await;
    let (last, failures) = provisions.split_last().expect("provisions");
    assert_eq!(last["outcome"], "ok", "{provisions:#?}");
    assert!(
        failures.iter().all(|record| record["outcome"] == "failed"),
        "{provisions:#?}"
    );
    // The gap after the n-th failure is the backoff of n attempts at least:
    // between half and all of base·2^(n-1), at most `max`.
    let gaps: Vec<Duration> = provisions
        .windows(2)
        .map(|pair| (started(&pair[1]) - started(&pair[0])).to_std().unwrap())
        .collect();
    eprintln!(
        "backoff: gaps between attempts {gaps:?} (base {:?}, max {:?})",
        pace.backoff_base, pace.backoff_max
    );
    for (n, gap) in (1u32..).zip(&gaps) {
        let nominal = (pace.backoff_base * 2u32.pow(n - 1)).min(pace.backoff_max);
        assert!(
            *gap >= nominal / 2,
            "the wait after attempt {n} was {gap:?}, less than half of {nominal:?}: {gaps:?}"
        );
    }
    assert!(
        gaps[1].as_secs_f64() > gaps[0].as_secs_f64() * 0.5,
        "the second wait ({:?}) is not longer than about the first ({:?})",
        gaps[1],
        gaps[0]
    );
    let transitions = view(&served, &tenant).await["transitions"].clone();
    let last_move = transitions.as_array().unwrap().last().unwrap();
    assert_eq!(
        (&last_move["from"], &last_move["to"]),
        (&json!("failed"), &json!("ready")),
        "{transitions}"
    );
}

/// A provider whose provision traps is quarantined; while it is, the
/// reconciler skips its tenants without calling it and keeps healing the
/// other providers' tenants; after each cool-down only a trial goes
/// through.
#[tokio::test(flavor = "multi_thread")]
async fn a_quarantined_provider_is_not_called_while_the_others_tenants_are_healed() {
    require_engine();
    let pid = std::process::id();
    let tenant = tenant_id("beside");
    let _cleanup = fresh(&tenant);
    let cooldown = Duration::from_secs(3);
    // Enough attempts, retried soon enough, that without a quarantine the
    // reconciler would call panic for every tenant at every pass for the
    // whole test.
    let pace = Pace {
        backoff_base: Duration::from_millis(100),
        backoff_max: Duration::from_secs(1),
        max_attempts: 100,
        ..BRISK
    };
    let host = ApiHost::new(&format!(
        "[quarantine]\nfailures = 3\nwindow_seconds = 60\ncooldown_seconds = {}\n\n{}\n\
         [providers.panic]\ncomponent = {:?}\n",
        cooldown.as_secs(),
        pace.toml(),
        guests::hostile("panic").display().to_string()
    ));
    let served = serve(&host).await;
    provision(&served, &two(&tenant)).await;

    // Three tenants on panic, asked at once: three traps, quarantined.
    let panics: Vec<String> = (1..=3).map(|n| format!("rd-panic{n}-{pid}")).collect();
    let specs: Vec<String> = panics
        .iter()
        .map(|id| support::spec_on(id, "panic"))
        .collect();
    let asked: Vec<_> = specs
        .iter()
        .map(|spec| {
            let request = served.req(Method::POST, "/v1/tenants");
            tokio::spawn(server::send(server::json_body(request, spec)))
        })
        .collect();
    for answer in asked {
        answer.await.expect("the request task").problem(502, "trap");
    }
    let (quarantine, _) = eventually(
        &served,
        "panic quarantined",
        Duration::from_secs(10),
        POLL,
        async || {
            let provider = served.get("/v1/providers/panic").await.json(200);
            let quarantine = provider["quarantine"].clone();
            if quarantine["state"] == "open" {
                Ok(quarantine)
            } else {
                Err(format!("{quarantine}"))
            }
        },
    )
    .await;
    eprintln!("quarantine: panic is {quarantine}");
    assert_eq!(quarantine["consecutive_failures"], 3, "{quarantine}");
    let until: DateTime<Utc> = quarantine["until"].as_str().unwrap().parse().unwrap();
    let opened = until - chrono::Duration::from_std(cooldown).unwrap();

    // The docker tenant drifts while panic is quarantined: healed anyway.
    remove(&tenant, &["worker"]);
    let (_, took) = eventually(
        &served,
        "the docker tenant healed while panic is quarantined",
        pace.heal_bound(),
        POLL,
        async || healed(&served, &tenant, &TWO).await,
    )
    .await;
    let heal = calls(&served, &tenant, "provision")
        .await
        .into_iter()
        .find(|record| record["reason"] == "drift: container worker missing")
        .expect("the heal is journaled");
    eprintln!(
        "quarantine: docker tenant healed in {took:?}; its provision ended {} ms before panic's cool-down did",
        (until - ended(&heal)).num_milliseconds()
    );
    assert!(
        ended(&heal) < until,
        "the heal ({heal}) ended after panic's cool-down ({until})"
    );

    // Watch panic for four cool-downs after the first.
    let watch = cooldown * 4;
    let left = (until - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(left + watch + Duration::from_millis(500)).await;
    let mut panic_calls: Vec<Value> = journal(&served, "")
        .await
        .into_iter()
        .filter(|record| record["provider"] == "panic")
        .collect();
    panic_calls.sort_by_key(started);
    let offsets: Vec<i64> = panic_calls
        .iter()
        .map(|record| (started(record) - opened).num_milliseconds())
        .collect();
    eprintln!("quarantine: panic calls, ms after it was quarantined: {offsets:?}");
    let provider = served.get("/v1/providers/panic").await.json(200);
    eprintln!("quarantine: panic now {}", provider["quarantine"]);

    // None during the cool-down (calls that started before it began were
    // admitted before it).
    let during: Vec<i64> = offsets
        .iter()
        .copied()
        .filter(|ms| (1..cooldown.as_millis() as i64).contains(ms))
        .collect();
    assert!(
        during.is_empty(),
        "panic was called during its cool-down: {offsets:?}"
    );
    // After it, at most a trial (allowing two) per cool-down, where the
    // reconciler alone would have made three calls a second.
    let per_window: Vec<usize> = (1..=4)
        .map(|n| {
            let from = cooldown.as_millis() as i64 * n;
            offsets
                .iter()
                .filter(|ms| (from..from + cooldown.as_millis() as i64).contains(ms))
                .count()
        })
        .collect();
    let unquarantined = 3 * watch.as_secs() as usize;
    eprintln!(
        "quarantine: panic calls per {cooldown:?} window after the first cool-down: {per_window:?} \
         (an unquarantined reconciler: about {unquarantined} in all)"
    );
    let log = served.stderr();
    let breaker: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("provider quarantined") || line.contains("out of quarantine"))
        .collect();
    eprintln!("quarantine: the server's log says\n{}", breaker.join("\n"));
    assert!(
        per_window.iter().all(|count| *count <= 2),
        "panic was called {per_window:?} times in the {cooldown:?} windows after its first \
         cool-down, at most a trial (two allowed) each expected, and far fewer than the \
         {unquarantined} an unquarantined reconciler makes; now {}; calls, ms after it was \
         quarantined: {offsets:?}; the log on quarantine:\n{}",
        provider["quarantine"],
        breaker.join("\n")
    );
}

/// A server killed (SIGKILL) in the middle of recreating a tenant's six
/// containers: the next start finishes the job, with each container once.
#[tokio::test(flavor = "multi_thread")]
async fn after_a_kill_mid_heal_the_next_start_converges_without_duplicates() {
    require_engine();
    let tenant = tenant_id("kill");
    let _cleanup = fresh(&tenant);
    let host = ApiHost::new(&BRISK.toml());
    let mut served = serve(&host).await;
    provision(&served, &six(&tenant)).await;

    let mut killed = None;
    for iteration in 1..=3 {
        remove(&tenant, &SIX);
        let removed = Instant::now();
        // Kill as soon as some, not all, are back.
        loop {
            let count = docker_ps(&tenant).lines().count();
            if (1..SIX.len()).contains(&count) {
                served.kill();
                killed = Some((iteration, count, removed.elapsed()));
                break;
            }
            if count == SIX.len() {
                eprintln!("kill: iteration {iteration} missed: all {count} back before a look");
                break;
            }
            assert!(
                removed.elapsed() < Duration::from_secs(20),
                "the reconciler did not start recreating within 20 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if killed.is_some() {
            break;
        }
        eventually(
            &served,
            "healed after a missed kill",
            Duration::from_secs(20),
            POLL,
            async || healed(&served, &tenant, &SIX).await,
        )
        .await;
    }
    let (iteration, count, after) = killed.expect("the kill landed mid-heal in 3 tries");
    tokio::time::sleep(Duration::from_millis(200)).await;
    eprintln!(
        "kill: SIGKILL on iteration {iteration}, {after:?} after the removal, with {count} of 6 \
         containers back; then the engine had {:?}",
        containers(&tenant)
    );

    let restarted = Instant::now();
    let served = serve(&host).await;
    let (view, took) = eventually(
        &served,
        "converged after the restart",
        Duration::from_secs(20),
        POLL,
        async || healed(&served, &tenant, &SIX).await,
    )
    .await;
    eprintln!(
        "kill: converged {took:?} after the new server was ready ({:?} after it was started)",
        restarted.elapsed()
    );
    assert_eq!(view["tenant"]["state"], "ready", "{view}");
    // Still exactly six a pass later: nothing created twice.
    tokio::time::sleep(BRISK.interval * 3 / 2).await;
    runs_exactly(&tenant, &SIX).unwrap();
    assert_eq!(docker_ps(&tenant).lines().count(), SIX.len());
}

/// A user's update while the reconciler is recreating the tenant waits for
/// it: the two provider calls do not overlap, and the update is applied.
#[tokio::test(flavor = "multi_thread")]
async fn a_users_update_waits_for_the_reconcilers_hold_on_the_tenant() {
    require_engine();
    let tenant = tenant_id("update");
    let _cleanup = fresh(&tenant);
    let host = ApiHost::new(&BRISK.toml());
    let served = serve(&host).await;
    provision(&served, &six(&tenant)).await;

    remove(&tenant, &SIX);
    // The first container back: the reconciler holds the tenant.
    eventually(
        &served,
        "a container back",
        Duration::from_secs(10),
        Duration::from_millis(20),
        async || {
            if docker_ps(&tenant).is_empty() {
                Err("none yet".to_owned())
            } else {
                Ok(())
            }
        },
    )
    .await;
    let mut changed = six(&tenant);
    changed["containers"][1]["env"] = json!({ "MODE": "v2" });
    let sent = Utc::now();
    let asked = Instant::now();
    let updated = served
        .put(&format!("/v1/tenants/{tenant}"), &changed.to_string())
        .await
        .json(200);
    eprintln!("update: PUT answered in {:?}", asked.elapsed());
    assert_eq!(updated["status"], "success", "{updated}");

    let journaled = journal(&served, &format!("tenant={tenant}")).await;
    let heal = journaled
        .iter()
        .find(|record| {
            record["operation"] == "provision"
                && record["reason"]
                    .as_str()
                    .is_some_and(|why| why.starts_with("drift:"))
        })
        .unwrap_or_else(|| panic!("no reconciler provision in {journaled:#?}"));
    let update = journaled
        .iter()
        .find(|record| record["operation"] == "update")
        .unwrap_or_else(|| panic!("no update in {journaled:#?}"));
    eprintln!(
        "update: the reconciler's provision ran {} .. {}, the update {} .. {}, sent at {sent}",
        started(heal),
        ended(heal),
        started(update),
        ended(update)
    );
    assert!(
        sent < ended(heal),
        "the update was sent after the heal ended: this run did not test the wait"
    );
    let slack = chrono::Duration::milliseconds(5);
    assert!(
        started(update) + slack >= ended(heal),
        "the update ({update}) started before the reconciler's provision ({heal}) ended"
    );
    assert_eq!(update["outcome"], "ok", "{update}");
    assert!(update.get("reason").is_none(), "a user's call: {update}");

    let (view, _) = eventually(
        &served,
        "ready at generation 2",
        Duration::from_secs(20),
        POLL,
        async || {
            let view = healed(&served, &tenant, &SIX).await?;
            let entry = &view["tenant"];
            if entry["generation"] == 2 && entry["observed_generation"] == 2 {
                Ok(view)
            } else {
                Err(format!("{entry}"))
            }
        },
    )
    .await;
    assert_eq!(view["tenant"]["state"], "ready");
    let env = docker(&[
        "inspect",
        "--format",
        "{{json .Config.Env}}",
        &engine_name(&tenant, "worker"),
    ]);
    assert!(env.contains("MODE=v2"), "the worker runs the update: {env}");
}

/// A container created but never started — what a kill between the
/// provider's create and start leaves when it is the last one — is started
/// by the reconciler like one that exited.
#[tokio::test(flavor = "multi_thread")]
async fn a_container_left_created_by_a_crash_is_started() {
    require_engine();
    let tenant = tenant_id("created");
    let _cleanup = fresh(&tenant);
    let host = ApiHost::new(&BRISK.toml());
    let served = serve(&host).await;
    provision(&served, &two(&tenant)).await;

    // The worker as the provider creates it (its labels, its network), not
    // started.
    let worker = engine_name(&tenant, "worker");
    let labels: Value = serde_json::from_str(&docker(&[
        "inspect",
        "--format",
        "{{json .Config.Labels}}",
        &worker,
    ]))
    .expect("labels as JSON");
    remove(&tenant, &["worker"]);
    let network = format!("landlord-{tenant}");
    let mut args = vec!["create", "--name", &worker, "--network", &network];
    let labels: Vec<String> = labels
        .as_object()
        .expect("labels")
        .iter()
        .filter(|(key, _)| key.starts_with("landlord."))
        .map(|(key, value)| format!("{key}={}", value.as_str().unwrap_or_default()))
        .collect();
    for label in &labels {
        args.extend(["--label", label]);
    }
    args.extend([IMAGE, "sleep", "3600"]);
    docker(&args);
    assert_eq!(
        containers(&tenant),
        [
            (engine_name(&tenant, "web"), "running".to_owned()),
            (worker.clone(), "created".to_owned())
        ]
    );

    let (_, took) = eventually(
        &served,
        "the created worker started",
        BRISK.heal_bound(),
        POLL,
        async || healed(&served, &tenant, &TWO).await,
    )
    .await;
    eprintln!("created: the worker was started {took:?} later");
}
