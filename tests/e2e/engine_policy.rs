//! The engine policy against a real Docker engine: the `engine_attacks`
//! hostile guest (`tests/hostile/engine_attacks`, README "Expectations"),
//! granted the local engine with the default policy, sends one request the
//! policy must refuse per call, then creates a container the policy allows
//! in the same call. For each attack: the call fails with `OutboundDenied`
//! naming the rule, the guest got the host's 403 naming it, the allowed
//! create went through, and the engine is otherwise exactly as before,
//! including a victim container and network the test made by hand. The
//! guest tells the test what it saw by requests to `/report` on a granted
//! server, since the host fails a refused call whatever the guest answers.
//!
//! One test runs every attack in turn (a test each would load the guest
//! and start the victim over and over). It prints a line per attack with
//! the time its call took. It is named after its guest and imported into
//! `hostile.rs`, whose `foreach_hostile!(assert_test_exists)` finds it.

use std::process::Command;
use std::time::{Duration, Instant};

use landlord::compute::{ErrorKind, TenantComputeSpec};
use landlord::sandbox::{
    Capability, EnginePolicy, Grants, Limits, Origin, ProviderSettings, Runtime, RuntimeOptions,
};
use landlord::state::{CallOutcome, StateStore};
use landlord_tests::docker::{IMAGE_1, TenantGuard, docker, require_engine, tenant_id};
use landlord_tests::{hostile, sample_spec};

use crate::hostile::{Arena, arena_with, snapshot};
use crate::servers::Server;

/// The name the guest registers under, and so the `landlord.provider`
/// label the policy holds it to.
const PROVIDER: &str = "engine-attacks";

/// Each attack the guest knows (its README's table), with the rule of the
/// engine policy that must refuse it.
const ATTACKS: &[(&str, &str)] = &[
    ("privileged", "privileged"),
    ("top_level_privileged", "privileged"),
    ("lowercase_privileged", "privileged"),
    ("bind_root", "host_mounts"),
    ("mount_root", "host_mounts"),
    ("disguised_volume", "host_mounts"),
    ("host_network", "host_namespaces"),
    ("host_pid", "host_namespaces"),
    ("cap_sys_admin", "capabilities"),
    ("device", "devices"),
    ("seccomp_unconfined", "confinement"),
    ("unlabelled", "owner_labels"),
    ("foreign_label", "owner_labels"),
    ("victim_network", "scope"),
    ("exec_victim", "endpoint"),
    ("inspect_victim", "scope"),
    ("build", "endpoint"),
    ("images_load", "endpoint"),
    ("archive_victim", "endpoint"),
    ("old_api_start", "endpoint"),
    ("traversal", "endpoint"),
    ("import", "endpoint"),
    // Last, as the ones that would change the victim most.
    ("stop_victim", "scope"),
    ("remove_victim", "scope"),
];

// ---------------------------------------------------------------------------
// The engine.

/// Run the docker CLI; its stdout, trimmed, or `failed: <stderr>` (a
/// snapshot of a victim that is gone must still compare, and fail, rather
/// than panic inside the snapshot).
fn docker_or_failure(args: &[&str]) -> String {
    match Command::new("docker").args(args).output() {
        Ok(output) if output.status.success() => {
            String::from_utf8_lossy(&output.stdout).trim().to_owned()
        }
        Ok(output) => format!("failed: {}", String::from_utf8_lossy(&output.stderr).trim()),
        Err(err) => format!("cannot run docker: {err}"),
    }
}

/// What the engine holds that an attack getting through would change.
/// Containers and networks labelled for another tenant are left out: the
/// Docker provider's tests in this binary create and remove theirs at the
/// same time.
#[derive(Debug, PartialEq, Eq)]
struct EngineSnapshot {
    /// `ID NAME` of each container.
    containers: Vec<String>,
    /// Every image id, intermediate ones included.
    images: Vec<String>,
    /// Every volume name.
    volumes: Vec<String>,
    /// `ID NAME` of each network.
    networks: Vec<String>,
    /// The victim's `Running StartedAt Pid ExecIDs`.
    victim: String,
    /// `docker diff` of the victim: what changed in its filesystem.
    victim_files: String,
}

impl EngineSnapshot {
    fn take(tenant: &str, victim: &str) -> Self {
        let ours = |line: &str| -> Option<String> {
            let mut fields = line.split_whitespace();
            let (id, name) = (fields.next()?, fields.next()?);
            match fields.next() {
                Some(label) if label != tenant => None,
                _ => Some(format!("{id} {name}")),
            }
        };
        let sorted = |text: String| -> Vec<String> {
            let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
            lines.sort();
            lines.dedup();
            lines
        };
        let listed = |args: &[&str]| -> Vec<String> {
            let mut lines: Vec<String> = docker(args).lines().filter_map(ours).collect();
            lines.sort();
            lines
        };
        Self {
            containers: listed(&[
                "ps",
                "-a",
                "--no-trunc",
                "--format",
                "{{.ID}} {{.Names}} {{.Label \"landlord.tenant_id\"}}",
            ]),
            images: sorted(docker(&["images", "-aq", "--no-trunc"])),
            volumes: sorted(docker(&["volume", "ls", "-q"])),
            networks: listed(&[
                "network",
                "ls",
                "--no-trunc",
                "--format",
                "{{.ID}} {{.Name}} {{.Label \"landlord.tenant_id\"}}",
            ]),
            victim: docker_or_failure(&[
                "inspect",
                "-f",
                "{{.State.Running}} {{.State.StartedAt}} {{.State.Pid}} {{json .ExecIDs}}",
                victim,
            ]),
            victim_files: docker_or_failure(&["diff", victim]),
        }
    }
}

/// Removes, even when the test panics: the victim container and network,
/// every container this process's guest may have created (named
/// `landlord-policy-<tenant>-…`, or labelled with the tenant), and the
/// volume and images an attack getting through would have made.
struct Cleanup {
    tenant: String,
    victim: String,
    network: String,
    /// Runs after `Cleanup::drop`: the tenant's labelled containers and
    /// networks.
    _labelled: TenantGuard,
}

impl Cleanup {
    fn new(tenant: &str, victim: &str, network: &str) -> Self {
        let cleanup = Self {
            tenant: tenant.to_owned(),
            victim: victim.to_owned(),
            network: network.to_owned(),
            _labelled: TenantGuard(tenant.to_owned()),
        };
        // Leftovers of an earlier run of this process id.
        cleanup.remove_all();
        cleanup
    }

    fn remove_all(&self) {
        let quiet = |args: &[&str]| {
            let _ = Command::new("docker").args(args).output();
        };
        let named = format!("name=landlord-policy-{}-", self.tenant);
        if let Ok(out) = Command::new("docker")
            .args(["ps", "-aq", "--filter", &named])
            .output()
        {
            for id in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                quiet(&["rm", "-f", id]);
            }
        }
        quiet(&["rm", "-f", &self.victim]);
        quiet(&["network", "rm", &self.network]);
        quiet(&[
            "volume",
            "rm",
            "-f",
            &format!("landlord-policy-{}-disguised", self.tenant),
        ]);
        for image in ["built", "imported"] {
            quiet(&[
                "rmi",
                "-f",
                &format!("landlord-policy-{}-{image}:1", self.tenant),
            ]);
        }
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        self.remove_all();
    }
}

// ---------------------------------------------------------------------------
// The attacks.

/// What every call shares: one runtime (with a compile cache, so each
/// attack's load skips compiling), the engine grant, the report server,
/// and the victims.
struct Setup {
    runtime: Runtime,
    _cache: tempfile::TempDir,
    engine: Origin,
    engine_url: String,
    reports: Server,
    tenant: String,
    victim_id: String,
    victim_name: String,
    network: String,
}

impl Setup {
    /// The guest, loaded with config `attack`, granted the engine (default
    /// policy) and the report server.
    fn arena(&self, attack: &str) -> Arena {
        let config = [
            ("attack", attack.to_owned()),
            ("engine", self.engine_url.clone()),
            ("victim", self.victim_id.clone()),
            ("victim_network", self.network.clone()),
            ("image", IMAGE_1.to_owned()),
            ("report", self.reports.origin()),
        ];
        let settings = ProviderSettings {
            config: config
                .into_iter()
                .map(|(key, value)| (key.to_owned(), value))
                .collect(),
            // Creating a container on a loaded machine can take seconds.
            limits: Limits {
                timeout: Duration::from_secs(60),
                ..Limits::default()
            },
            grants: Grants::all()
                .with(Capability::outbound([self.reports.grant()]))
                .with(Capability::engine(
                    [self.engine.clone()],
                    EnginePolicy::default(),
                )),
        };
        let arena = arena_with(&self.runtime, hostile::ENGINE_ATTACKS, settings);
        assert_eq!(arena.name, PROVIDER, "the guest's labels name {PROVIDER}");
        arena
    }

    fn spec(&self) -> TenantComputeSpec {
        let mut spec = sample_spec(&self.tenant);
        spec.provider_type = PROVIDER.to_owned();
        spec
    }

    fn allowed_name(&self) -> String {
        format!("landlord-policy-{}-allowed", self.tenant)
    }

    /// The report of the allowed create says it went through, and the
    /// container is there with the owner labels; then it is removed.
    fn check_and_remove_allowed(&self, attack: &str, report: &str) {
        assert!(
            report.starts_with("allowed: status 201 "),
            "{attack}: the allowed create in the same call must go through: {report}"
        );
        let name = self.allowed_name();
        let labels: serde_json::Value = serde_json::from_str(&docker(&[
            "inspect",
            "-f",
            "{{json .Config.Labels}}",
            &name,
        ]))
        .unwrap();
        for (key, value) in [
            ("landlord.owner", "landlord"),
            ("landlord.provider", PROVIDER),
            ("landlord.tenant_id", self.tenant.as_str()),
        ] {
            assert_eq!(labels[key], value, "{attack}: {name}'s labels: {labels}");
        }
        docker(&["rm", "-f", &name]);
    }
}

/// One line per attack, for the closing note (`--nocapture` shows them).
#[allow(clippy::print_stderr)]
fn timing(attack: &str, outcome: &str, took: Duration) {
    eprintln!(
        "engine policy: {attack:<22} {outcome:<26} {:>6} ms",
        took.as_millis()
    );
}

/// Run `attack`: refused by `rule`, and nothing but the allowed create
/// reached the engine.
async fn refused(setup: &Setup, baseline: &EngineSnapshot, attack: &str, rule: &str) {
    let arena = setup.arena(attack);
    let before = snapshot(&arena.state, &arena.name);
    let started = Instant::now();
    let result = arena.manager.provision_tenant(&setup.spec()).await;
    let took = started.elapsed();
    let err = match result {
        Ok(result) => panic!("{attack}: the call must fail, but it answered {result:?}"),
        Err(err) => err,
    };

    assert_eq!(err.kind(), ErrorKind::OutboundDenied, "{attack}: {err}");
    let text = err.to_string();
    assert!(
        text.contains(&format!("rule `{rule}`")),
        "{attack}: the error must name rule `{rule}`: {text}"
    );
    assert!(
        text.contains(&format!("provider '{PROVIDER}'")) && text.contains("provision"),
        "{attack}: the error must name the provider and the operation: {text}"
    );
    assert_eq!(
        snapshot(&arena.state, &arena.name),
        before,
        "{attack}: state must be unchanged"
    );
    let journal = arena.state.journal(Some(&setup.tenant)).unwrap();
    assert!(
        matches!(journal.last(), Some(record) if matches!(&record.outcome, CallOutcome::Failed { kind: ErrorKind::OutboundDenied, .. })),
        "{attack}: {journal:?}"
    );

    // The guest got the host's 403, naming the rule; then its allowed
    // create went through.
    let reports = setup.reports.take_reports();
    let [report, allowed] = &reports[..] else {
        panic!("{attack}: two reports expected: {reports:?}");
    };
    assert!(
        report.starts_with(&format!("{attack}: status 403 type application/json")),
        "{attack}: the host must answer 403 (application/json): {report}"
    );
    let body = report.split_once(" body ").map(|(_, body)| body);
    assert!(
        body.is_some_and(|body| body.starts_with(&format!(
            "{{\"message\":\"landlord engine policy, rule `{rule}`: "
        ))),
        "{attack}: the 403 must name rule `{rule}`: {report}"
    );
    setup.check_and_remove_allowed(attack, allowed);

    assert_eq!(
        EngineSnapshot::take(&setup.tenant, &setup.victim_id),
        *baseline,
        "{attack}: the engine must be as it was"
    );
    timing(attack, &format!("rule `{rule}`"), took);
}

/// `list_all` is not refused: the call succeeds, and the host's label
/// filter leaves only the provider's own containers in the listing.
async fn lists_only_its_own(setup: &Setup, baseline: &EngineSnapshot) {
    let arena = setup.arena("list_all");
    let started = Instant::now();
    let result = arena.manager.provision_tenant(&setup.spec()).await;
    let took = started.elapsed();
    if let Err(err) = result {
        panic!("list_all: the call must succeed: {err}");
    }
    let reports = setup.reports.take_reports();
    let [allowed, listing] = &reports[..] else {
        panic!("list_all: two reports expected: {reports:?}");
    };
    let names: Vec<&str> = listing
        .strip_prefix("list_all: status 200 names ")
        .unwrap_or_else(|| panic!("list_all: the listing must succeed: {listing}"))
        .split(',')
        .filter(|name| !name.is_empty())
        .collect();
    assert!(
        names.contains(&format!("/{}", setup.allowed_name()).as_str()),
        "list_all: its own container must be listed: {listing}"
    );
    assert!(
        !names.contains(&format!("/{}", setup.victim_name).as_str()),
        "list_all: the victim must not be listed: {listing}"
    );
    assert!(
        names
            .iter()
            .all(|name| name.starts_with("/landlord-policy-")),
        "list_all: only containers labelled landlord.provider={PROVIDER} may be listed: {listing}"
    );
    setup.check_and_remove_allowed("list_all", allowed);
    assert_eq!(
        EngineSnapshot::take(&setup.tenant, &setup.victim_id),
        *baseline,
        "list_all: the engine must be as it was"
    );
    timing("list_all", "allowed, filtered", took);
}

#[tokio::test(flavor = "multi_thread")]
pub(crate) async fn engine_attacks() {
    require_engine();
    let pid = std::process::id();
    let tenant = tenant_id("engine");
    let victim_name = format!("landlord-policy-victim-{pid}");
    let network = format!("landlord-policy-victim-{pid}");
    let _cleanup = Cleanup::new(&tenant, &victim_name, &network);

    // The victims: a running container (the image's httpd) and a network,
    // made by hand, without landlord labels.
    let victim_id = docker(&["run", "-d", "--name", &victim_name, IMAGE_1]);
    docker(&["network", "create", &network]);
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.Running}}", &victim_id]),
        "true"
    );

    let docker_host = std::env::var(landlord::embedded::DOCKER_HOST_ENV)
        .ok()
        .filter(|host| !host.is_empty());
    let (engine, engine_url) = landlord::embedded::docker_engine(
        docker_host
            .as_deref()
            .unwrap_or(landlord::embedded::DEFAULT_DOCKER_HOST),
    )
    .unwrap();
    let cache = tempfile::tempdir().unwrap();
    let runtime = Runtime::with_options(RuntimeOptions {
        cache_dir: Some(cache.path().to_owned()),
        ..RuntimeOptions::default()
    })
    .unwrap();
    let setup = Setup {
        runtime,
        _cache: cache,
        engine,
        engine_url,
        reports: Server::no_content(),
        tenant,
        victim_id,
        victim_name,
        network,
    };
    let baseline = EngineSnapshot::take(&setup.tenant, &setup.victim_id);

    let started = Instant::now();
    // First the call that is not refused: it shows the grant works at all.
    lists_only_its_own(&setup, &baseline).await;
    for (attack, rule) in ATTACKS {
        refused(&setup, &baseline, attack, rule).await;
    }
    timing(
        "(all)",
        &format!("{} calls", ATTACKS.len() + 1),
        started.elapsed(),
    );
}
