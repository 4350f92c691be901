//! Each other-language mock, built from source, held to the conformance kit
//! and to the Rust mock's behaviour, answer for answer.

use landlord::compute::Provider;
use landlord::conformance;
use landlord::sandbox::Runtime;
use landlord_language_tests::{
    FAILURE_SWITCHES, Step, component, failure_switches, load, scenario, settings,
};

fn runtime() -> Runtime {
    Runtime::new().expect("the wasmtime engine starts")
}

/// The component for `language`, or a test failure saying why there is none.
fn built(language: &str) -> Vec<u8> {
    component(language).unwrap_or_else(|reason| panic!("{reason}"))
}

/// Panic with every step where `theirs` answered differently from the
/// Rust mock's `ours`.
fn assert_same_answers(language: &str, ours: &[Step], theirs: &[Step]) {
    assert_eq!(ours.len(), theirs.len());
    let differences: Vec<String> = ours
        .iter()
        .zip(theirs)
        .filter(|(ours, theirs)| ours.outcome != theirs.outcome)
        .map(|(ours, theirs)| {
            format!(
                "step '{}':\n  rust mock: {}\n  {language}-mock: {}",
                ours.what, ours.outcome, theirs.outcome
            )
        })
        .collect();
    assert!(
        differences.is_empty(),
        "{language}-mock differs from the Rust mock in {} of {} steps:\n{}",
        differences.len(),
        ours.len(),
        differences.join("\n")
    );
}

async fn passes_the_conformance_kit(language: &str) {
    let bytes = built(language);
    let report = conformance::check(
        &runtime(),
        &format!("{language}-mock"),
        &bytes,
        &settings(&[]),
    )
    .await
    .unwrap_or_else(|err| panic!("{language}-mock did not load: {err}"));
    assert_eq!(report.provider, format!("{language}-mock"));
    assert!(
        report.passed(),
        "{language}-mock failed the conformance kit: {:#?}",
        report
            .results
            .iter()
            .filter(|result| !result.passed)
            .collect::<Vec<_>>()
    );
    assert!(
        report.results.len() >= 13,
        "the kit ran {} rules",
        report.results.len()
    );
}

async fn behaves_like_the_rust_mock(language: &str) {
    let bytes = built(language);
    let runtime = runtime();
    let theirs = load(&runtime, language, &bytes, &[]).unwrap_or_else(|err| panic!("{err}"));
    let name = format!("{language}-mock");
    assert_eq!(theirs.name(), name);
    let ours =
        load(&runtime, "mock", landlord::embedded::MOCK_COMPONENT, &[]).expect("the mock loads");
    let expected = scenario(&ours, "mock").await;
    let observed = scenario(&theirs, &name).await;
    assert_same_answers(language, &expected, &observed);
}

async fn honours_the_failure_switches(language: &str) {
    let bytes = built(language);
    let runtime = runtime();
    let theirs =
        load(&runtime, language, &bytes, FAILURE_SWITCHES).unwrap_or_else(|err| panic!("{err}"));
    let ours = load(
        &runtime,
        "mock",
        landlord::embedded::MOCK_COMPONENT,
        FAILURE_SWITCHES,
    )
    .expect("the mock loads");
    let expected = failure_switches(&ours, "mock").await;
    let observed = failure_switches(&theirs, &format!("{language}-mock")).await;
    // Each switch made its operation fail with the operator's message.
    for (step, (_, message)) in expected.iter().zip(FAILURE_SWITCHES) {
        assert!(
            step.outcome.to_string().contains(message),
            "{}: {}",
            step.what,
            step.outcome
        );
    }
    assert_same_answers(language, &expected, &observed);
}

macro_rules! language_tests {
    ($($language:ident),* $(,)?) => {$(
        mod $language {
            #[tokio::test]
            async fn passes_the_conformance_kit() {
                super::passes_the_conformance_kit(stringify!($language)).await;
            }

            #[tokio::test]
            async fn behaves_like_the_rust_mock() {
                super::behaves_like_the_rust_mock(stringify!($language)).await;
            }

            #[tokio::test]
            async fn honours_the_failure_switches() {
                super::honours_the_failure_switches(stringify!($language)).await;
            }
        }
    )*};
}

language_tests!(c, zig, go, js, python);

/// The scenario itself must tell providers apart: the Rust mock with a
/// deliberate contract break answers differently at the steps it breaks.
#[tokio::test]
async fn the_comparison_catches_a_different_answer() {
    let runtime = runtime();
    let ours =
        load(&runtime, "mock", landlord::embedded::MOCK_COMPONENT, &[]).expect("the mock loads");
    let quirky = load(
        &runtime,
        "mock",
        landlord::embedded::MOCK_COMPONENT,
        &[("quirk.update-never-unchanged", "true")],
    )
    .expect("the mock loads");
    let expected = scenario(&ours, "mock").await;
    let observed = scenario(&quirky, "mock").await;
    let differing: Vec<&str> = expected
        .iter()
        .zip(&observed)
        .filter(|(a, b)| a.outcome != b.outcome)
        .map(|(a, _)| a.what)
        .collect();
    // The quirk reports a change and bumps the generation, which the next
    // status shows.
    assert_eq!(
        differing,
        ["update with the same spec", "status after update"]
    );
}
