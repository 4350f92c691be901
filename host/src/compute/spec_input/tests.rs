//! The spec input limits, each against the input that used to get through.

use std::time::{Duration, Instant};

use super::*;
use crate::compute::{ResourceRequirements, validate_compute_spec};

const EXAMPLE: &str = include_str!("../../../../examples/tenant.json");
/// A small valid YAML spec, to which a test appends `provider_config`.
const HEAD: &str = "tenant_id: acme\ncontainers:\n  - name: web\n    image: nginx:1.27\nresources: {cpu: 250, memory: 256}\n";
/// A guard against minutes or an abort, not a benchmark: each of these
/// is refused in milliseconds.
const GENEROUS: Duration = Duration::from_secs(10);

fn yaml(text: &str) -> Result<TenantComputeSpec, SpecInputError> {
    parse_spec(
        text.as_bytes(),
        SpecFormat::Yaml,
        &SpecInputLimits::default(),
    )
}

fn json(text: &str) -> Result<TenantComputeSpec, SpecInputError> {
    parse_spec(
        text.as_bytes(),
        SpecFormat::Json,
        &SpecInputLimits::default(),
    )
}

/// Run `parse`, which must be refused within [`GENEROUS`]; its message.
fn refused_quickly(
    parse: impl FnOnce() -> Result<TenantComputeSpec, SpecInputError>,
) -> (SpecInputError, String) {
    let started = Instant::now();
    let err = parse().expect_err("the spec should be refused");
    let elapsed = started.elapsed();
    assert!(elapsed < GENEROUS, "refused only after {elapsed:?}: {err}");
    let message = err.to_string();
    (err, message)
}

/// The classic: nine levels of ten aliases each, 10^9 strings once
/// expanded, in a few hundred bytes.
fn billion_laughs() -> String {
    let mut text = format!(
        "{HEAD}provider_config:\n  a: &a [{}]\n",
        ["lol"; 10].join(", ")
    );
    for (name, previous) in ["b", "c", "d", "e", "f", "g", "h", "i"]
        .iter()
        .zip("abcdefgh".chars())
    {
        let aliases = vec![format!("*{previous}"); 10].join(", ");
        text.push_str(&format!("  {name}: &{name} [{aliases}]\n"));
    }
    text
}

/// The outside tester's shape: a wide anchor (~70 KB) aliased a thousand
/// times, aliased a thousand times: 10^9 strings, ~30 GB.
fn wide_bomb() -> String {
    let strings = vec!["\"lollollollollollollollollollollollollollollollollollol\""; 1000];
    format!(
        "{HEAD}provider_config:\n  a: &a [{}]\n  b: &b [{}]\n  c: [{}]\n",
        strings.join(","),
        vec!["*a"; 1000].join(","),
        vec!["*b"; 1000].join(","),
    )
}

#[test]
fn a_billion_laughs_is_refused_quickly_naming_the_budget() {
    let text = billion_laughs();
    assert!(text.len() < 1000, "{}", text.len());
    let (err, message) = refused_quickly(|| yaml(&text));
    assert!(
        matches!(err, SpecInputError::TooManyValues { limit: 100_000, .. }),
        "{err:?}"
    );
    assert!(message.contains("more than 100000 values"), "{message}");
    assert!(message.contains("alias"), "{message}");
    assert!(message.contains("at provider_config."), "{message}");
}

#[test]
fn a_wide_alias_bomb_is_refused_quickly() {
    let text = wide_bomb();
    assert!(text.len() < 70 * 1024, "{}", text.len());
    let (err, message) = refused_quickly(|| yaml(&text));
    // Its long strings reach the text budget before the value budget.
    assert!(
        matches!(
            err,
            SpecInputError::TooMuchText { .. } | SpecInputError::TooManyValues { .. }
        ),
        "{err:?}"
    );
    assert!(message.contains("use fewer aliases"), "{message}");
    assert!(message.contains("at provider_config.b["), "{message}");
}

#[test]
fn moderate_expansion_past_the_budget_is_refused_and_below_it_accepted() {
    let anchored = format!(
        "{HEAD}provider_config:\n  a: &a [{}]\n",
        ["1"; 1000].join(",")
    );
    // 150 aliases of 1000 numbers: 150 000 values, which the old code
    // accepted as a 150 000-element provider_config.
    let over = format!("{anchored}  b: [{}]\n", vec!["*a"; 150].join(","));
    let (err, message) = refused_quickly(|| yaml(&over));
    assert!(
        matches!(err, SpecInputError::TooManyValues { .. }),
        "{err:?}"
    );
    assert!(message.contains("at provider_config.b["), "{message}");
    let under = format!("{anchored}  b: [{}]\n", vec!["*a"; 90].join(","));
    let spec = yaml(&under).unwrap();
    assert_eq!(
        spec.provider_config.unwrap()["b"].as_array().unwrap().len(),
        90
    );
    // A tighter budget refuses what the default accepts.
    let tight = SpecInputLimits {
        max_nodes: 10_000,
        ..SpecInputLimits::default()
    };
    let err = parse_spec(under.as_bytes(), SpecFormat::Yaml, &tight).unwrap_err();
    assert!(err.to_string().contains("more than 10000 values"), "{err}");
}

#[test]
fn aliases_count_their_text_too() {
    // Few values, but each alias repeats 300 bytes: 1500 bytes of text
    // from about 400 bytes of YAML.
    let limits = SpecInputLimits {
        max_bytes: 1000,
        ..SpecInputLimits::default()
    };
    let text = format!(
        "tenant_id: acme\nprovider_config:\n  a: &a \"{}\"\n  b: [*a, *a, *a, *a]\n",
        "x".repeat(300)
    );
    assert!(text.len() < limits.max_bytes);
    let err = parse_spec(text.as_bytes(), SpecFormat::Yaml, &limits).unwrap_err();
    assert!(
        matches!(err, SpecInputError::TooMuchText { limit: 1000, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("more than 1000 bytes of text"),
        "{err}"
    );
}

#[test]
fn deep_yaml_flow_maps_are_refused_quickly_naming_the_depth_limit() {
    let depth = 100_000;
    let text = format!(
        "{HEAD}provider_config: {}1{}\n",
        "{a: ".repeat(depth),
        "}".repeat(depth)
    );
    let (err, message) = refused_quickly(|| yaml(&text));
    assert!(
        matches!(err, SpecInputError::TooDeep { limit: 64, .. }),
        "{err:?}"
    );
    assert!(message.contains("nests deeper than 64 levels"), "{message}");
    assert!(
        message.contains("at provider_config.a.a.a.a.a.a.a…, line 6 column"),
        "{message}"
    );
}

#[test]
fn deep_yaml_flow_and_block_sequences_are_refused_quickly() {
    let depth = 100_000;
    let flow = format!(
        "{HEAD}provider_config: {}1{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let (err, message) = refused_quickly(|| yaml(&flow));
    assert!(matches!(err, SpecInputError::TooDeep { .. }), "{err:?}");
    assert!(message.contains("at provider_config, line 6"), "{message}");
    let block = format!("{HEAD}provider_config:\n  {}1\n", "- ".repeat(depth));
    let (err, message) = refused_quickly(|| yaml(&block));
    assert!(matches!(err, SpecInputError::TooDeep { .. }), "{err:?}");
    assert!(message.contains("at provider_config[0][0][0]"), "{message}");
}

#[test]
fn nesting_just_past_the_limit_is_refused_and_at_it_accepted() {
    // The spec is level 1 and provider_config's outer map level 2, so 63
    // maps in provider_config reach 64. Few enough `{` to skip the
    // streaming pre-check: the counting walk finds it.
    let nested = |levels: usize| {
        format!(
            "{HEAD}provider_config: {}1{}\n",
            "{a: ".repeat(levels),
            "}".repeat(levels)
        )
    };
    let spec = yaml(&nested(63)).unwrap();
    assert!(spec.provider_config.is_some());
    let err = yaml(&nested(64)).unwrap_err();
    assert!(matches!(err, SpecInputError::TooDeep { .. }), "{err:?}");
    // Between our limit and serde_json's own (128), JSON too.
    let json_nested = format!(
        r#"{{"tenant_id": "acme", "provider_config": {}1{}}}"#,
        r#"{"a": "#.repeat(100),
        "}".repeat(100)
    );
    let err = json(&json_nested).unwrap_err();
    assert!(err.to_string().contains("deeper than 64 levels"), "{err}");
}

#[test]
fn deep_json_is_refused_quickly_naming_the_depth_limit() {
    let depth = 100_000;
    let text = format!(
        r#"{{"tenant_id": "acme", "provider_config": {}1{}}}"#,
        r#"{"a": "#.repeat(depth),
        "}".repeat(depth)
    );
    let (err, message) = refused_quickly(|| json(&text));
    assert!(
        matches!(err, SpecInputError::TooDeep { limit: 64, .. }),
        "{err:?}"
    );
    assert!(
        message.contains("at provider_config.a.a.a.a.a.a.a…, line 1 column"),
        "{message}"
    );
    let arrays = format!(
        r#"{{"tenant_id": "acme", "provider_config": {}"#,
        "[".repeat(depth)
    );
    let (err, _) = refused_quickly(|| json(&arrays));
    assert!(matches!(err, SpecInputError::TooDeep { .. }), "{err:?}");
}

#[test]
fn an_alias_inside_its_own_anchor_is_refused() {
    let (err, _) = refused_quickly(|| yaml(&format!("{HEAD}provider_config: &x {{a: *x}}\n")));
    assert!(matches!(err, SpecInputError::TooDeep { .. }), "{err:?}");
}

#[test]
fn a_tag_does_not_hide_a_bomb() {
    let text = billion_laughs().replace("provider_config:\n", "provider_config: !boom\n");
    let (err, _) = refused_quickly(|| yaml(&text));
    assert!(
        matches!(err, SpecInputError::TooManyValues { .. }),
        "{err:?}"
    );
}

#[test]
fn many_plain_values_count_too() {
    let text = format!(
        r#"{{"tenant_id": "acme", "provider_config": [{}]}}"#,
        ["0"; 100_001].join(",")
    );
    let (err, message) = refused_quickly(|| json(&text));
    assert!(
        matches!(err, SpecInputError::TooManyValues { .. }),
        "{err:?}"
    );
    assert!(
        message.starts_with(
            "the spec holds more than 100000 values (the limit for a spec), \
             at provider_config[99995], line 1 column"
        ),
        "{message}"
    );
    assert!(message.ends_with("; write fewer values"), "{message}");
}

#[test]
fn oversize_input_is_refused_and_reading_stops_at_the_limit() {
    let limits = SpecInputLimits::default();
    let big = vec![b' '; DEFAULT_MAX_BYTES + 1];
    let err = parse_spec(&big, SpecFormat::Json, &limits).unwrap_err();
    assert!(matches!(err, SpecInputError::TooLarge { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "the spec is larger than 1 MiB (the limit for a spec file); remove what it does not need"
    );
    // An endless reader (`/dev/zero` on stdin) is read up to the limit.
    let err = read_spec(std::io::repeat(0), &limits).unwrap_err();
    assert!(matches!(err, SpecInputError::TooLarge { .. }), "{err:?}");
    let exact = read_spec(
        std::io::repeat(b' ').take(DEFAULT_MAX_BYTES as u64),
        &limits,
    );
    assert_eq!(exact.unwrap().len(), DEFAULT_MAX_BYTES);
    let small = SpecInputLimits {
        max_bytes: 10,
        ..limits
    };
    let err = read_spec(&b"{\"tenant_id\": \"acme\"}"[..], &small).unwrap_err();
    assert_eq!(
        err.to_string().split(';').next().unwrap(),
        "the spec is larger than 10 bytes (the limit for a spec file)"
    );
}

#[test]
fn spec_files_must_be_regular_files() {
    let dir = tempfile::tempdir().unwrap();
    let limits = SpecInputLimits::default();
    let err = read_spec_file(dir.path(), &limits).unwrap_err();
    assert!(
        matches!(
            err,
            SpecInputError::NotRegularFile {
                kind: FileKind::Directory
            }
        ),
        "{err:?}"
    );
    let err = read_spec_file(&dir.path().join("missing.json"), &limits).unwrap_err();
    assert!(
        matches!(&err, SpecInputError::Io(io) if io.kind() == std::io::ErrorKind::NotFound),
        "{err:?}"
    );
    // A sparse 2 MiB file is refused by its size, unread.
    let big = dir.path().join("big.json");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(2 * DEFAULT_MAX_BYTES as u64)
        .unwrap();
    let err = read_spec_file(&big, &limits).unwrap_err();
    assert!(matches!(err, SpecInputError::TooLarge { .. }), "{err:?}");
    let good = dir.path().join("tenant.json");
    std::fs::write(&good, EXAMPLE).unwrap();
    assert_eq!(read_spec_file(&good, &limits).unwrap(), EXAMPLE.as_bytes());
}

#[cfg(unix)]
#[test]
fn a_fifo_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("spec.yaml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    // Opening a FIFO with no writer blocks: read in a thread, so a
    // regression fails here instead of hanging the suite.
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(read_spec_file(&fifo, &SpecInputLimits::default()));
    });
    let err = receiver
        .recv_timeout(GENEROUS)
        .expect("blocked on the FIFO")
        .unwrap_err();
    assert!(
        matches!(
            err,
            SpecInputError::NotRegularFile {
                kind: FileKind::Fifo
            }
        ),
        "{err:?}"
    );
}

#[test]
fn not_utf8_is_refused_with_the_offset() {
    let err = parse_spec(
        b"tenant_id: \xff\n",
        SpecFormat::Yaml,
        &SpecInputLimits::default(),
    )
    .unwrap_err();
    assert!(
        matches!(err, SpecInputError::NotUtf8 { valid_up_to: 11 }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("not valid UTF-8 (at byte 11)"),
        "{err}"
    );
}

#[test]
fn the_example_spec_parses_as_before_in_both_formats() {
    let spec = json(EXAMPLE).unwrap();
    assert_eq!(
        spec,
        serde_json::from_str::<TenantComputeSpec>(EXAMPLE).unwrap()
    );
    let as_yaml = serde_norway::to_string(&spec).unwrap();
    assert_eq!(yaml(&as_yaml).unwrap(), spec);
    // The seed's snake_case shape, out and back.
    let out = serde_json::to_value(&spec).unwrap();
    assert_eq!(out["containers"][0]["health_check"]["interval_seconds"], 10);
    assert_eq!(json(&out.to_string()).unwrap(), spec);
}

#[test]
fn legitimate_anchors_and_aliases_are_accepted() {
    let text = "tenant_id: acme\nprovider_type: mock\n\
                resources: &res {cpu: 250, memory: 256}\n\
                containers:\n  \
                  - name: web\n    image: nginx:1.27\n    env: &env {MODE: production, LOG: info}\n    resources: *res\n  \
                  - name: api\n    image: api:2\n    env: *env\n    resources: *res\n";
    let spec = yaml(text).unwrap();
    let res = ResourceRequirements {
        cpu: 250,
        memory: 256,
        storage: None,
    };
    assert_eq!(spec.containers[1].resources, Some(res));
    assert_eq!(spec.containers[1].env["LOG"], "info");
    validate_compute_spec(&spec).unwrap();
}

#[test]
fn out_of_range_numbers_reach_validation() {
    let text = EXAMPLE.replace("\"container_port\": 80", "\"container_port\": 70000");
    let spec = json(&text).unwrap();
    let err = validate_compute_spec(&spec).unwrap_err().to_string();
    assert!(
        err.contains("containers[0].ports[0].container_port: must be at most 65535"),
        "{err}"
    );
    // Too big for any number type: the parser says where, it does not panic.
    let err = yaml(&format!(
        "{HEAD}provider_config: {{big: 123456789012345678901234567890}}\n"
    ))
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("provider_config.big: JSON number out of range at line 6"),
        "{err}"
    );
}

#[test]
fn parser_messages_keep_the_field_line_and_column() {
    let err = yaml("tenant_id: acme\nresources:\n  cpu: lots\n").unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, SpecInputError::Malformed { .. }), "{err:?}");
    assert!(
        message.contains("resources.cpu: invalid type: string \"lots\""),
        "{message}"
    );
    assert!(message.contains("line 3 column"), "{message}");
    let message = json(r#"{"tenant_id": "acme", "containerz": []}"#)
        .unwrap_err()
        .to_string();
    assert!(message.contains("unknown field `containerz`"), "{message}");
    assert!(message.contains("line 1 column"), "{message}");
    let message = json(r#"{"tenant_id": "acme","#).unwrap_err().to_string();
    assert!(message.contains("EOF while parsing"), "{message}");
    // A YAML syntax error comes before a type error earlier in the
    // document (the counting walk meets it first).
    let message = yaml("tenant_id: [unclosed\n").unwrap_err().to_string();
    assert!(message.contains("line 2 column 1"), "{message}");
    // A syntax error in a document the streaming pre-check walks.
    let many = format!(
        "{HEAD}provider_config: [{}\n  bad: [\n",
        vec!["[1]"; 300].join(",")
    );
    let message = yaml(&many).unwrap_err().to_string();
    assert!(message.contains("line 7 column"), "{message}");
    let message = yaml("tenant_id: a\n---\ntenant_id: b\n")
        .unwrap_err()
        .to_string();
    assert!(message.contains("more than one document"), "{message}");
}

#[test]
fn many_flow_collections_in_a_normal_spec_pass_the_pre_check() {
    let ports = vec!["{container_port: 80}"; 300].join(", ");
    let text =
        format!("tenant_id: acme\ncontainers: [{{name: web, image: nginx, ports: [{ports}]}}]\n");
    let spec = yaml(&text).unwrap();
    assert_eq!(spec.containers[0].ports.len(), 300);
}

#[test]
fn the_format_is_detected_as_before() {
    let detect =
        |path: Option<&str>, text: &str| SpecFormat::detect(path.map(Path::new), text.as_bytes());
    assert_eq!(detect(Some("t.yaml"), "{}"), SpecFormat::Yaml);
    assert_eq!(detect(Some("t.yml"), "{}"), SpecFormat::Yaml);
    assert_eq!(detect(Some("t.json"), "tenant_id: a"), SpecFormat::Json);
    assert_eq!(
        detect(Some("spec"), " \n\t{\"tenant_id\": 1}"),
        SpecFormat::Json
    );
    assert_eq!(detect(None, "tenant_id: a"), SpecFormat::Yaml);
    assert_eq!(detect(None, "\n  {"), SpecFormat::Json);
}
