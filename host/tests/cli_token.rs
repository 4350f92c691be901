//! `landlord token`: a fresh token, the digest it prints, and the
//! `[[tokens]]` table it prints, pasted into a `landlord.toml` that the
//! other commands then accept.

mod support;

use sha2::{Digest, Sha256};
use support::Sandbox;

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The value of `key = "…"` in the printed table.
fn quoted_value<'a>(table: &'a str, key: &str) -> &'a str {
    let line = table
        .lines()
        .find_map(|line| line.trim().strip_prefix(&format!("{key} = ")))
        .unwrap_or_else(|| panic!("no {key} in {table}"));
    line.trim_matches('"')
}

#[test]
fn a_new_token_prints_itself_and_a_table_the_config_accepts() {
    let sb = Sandbox::new();
    let out = sb.ok(&["token", "new", "ci"]);
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some("token (shown once; keep it secret, give it to the client as LANDLORD_TOKEN):")
    );
    let token = lines.next().unwrap().trim();
    assert!(
        token.starts_with("ll_") && token.len() == 67,
        "{token:?} in {out}"
    );
    assert_eq!(lines.next(), Some("add to landlord.toml:"));
    let table: String = lines.map(|line| format!("{line}\n")).collect();
    assert!(table.trim_start().starts_with("[[tokens]]"), "{table}");
    assert_eq!(quoted_value(&table, "name"), "ci");
    assert_eq!(quoted_value(&table, "sha256"), sha256_hex(token));
    assert!(table.contains("scopes = [\"read\", \"write\"]"), "{table}");

    // Pasted as printed (indented) into a config, it is accepted.
    let config = sb.write(
        "landlord.toml",
        format!("default_provider = \"mock\"\n\n{table}"),
    );
    sb.ok(&["--config", &config, "providers", "list"]);
    // And it never held the token itself.
    assert!(!std::fs::read_to_string(&config).unwrap().contains(token));
}

#[test]
fn json_output_and_chosen_scopes() {
    let sb = Sandbox::new();
    let made = sb.json(&["token", "new", "dash.board_1", "--scope", "read"]);
    assert_eq!(made["name"], "dash.board_1");
    assert_eq!(made["scopes"], serde_json::json!(["read"]));
    let token = made["token"].as_str().unwrap();
    assert_eq!(made["sha256"], sha256_hex(token));
    let again = sb.json(&["token", "new", "dash.board_1", "--scope", "read"]);
    assert_ne!(again["token"], made["token"]);

    // `token digest` gives the same digest for the token on stdin.
    let out = sb
        .cmd()
        .args(["token", "digest"])
        .write_stdin(format!("{token}\n"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        made["sha256"]
    );
}

#[test]
fn a_bad_name_or_scope_is_a_usage_error_naming_the_rule() {
    let sb = Sandbox::new();
    let (code, err) = sb.fails(&["token", "new", "ci bot"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("'ci bot' has characters other than A-Z, a-z, 0-9, '.', '_' and '-' (the first is ' '); use 1 to 64 letters, digits, '.', '_' and '-'"),
        "{err}"
    );
    let (code, err) = sb.fails(&["token", "new", &"n".repeat(65)]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("is 65 characters long (the limit is 64)"),
        "{err}"
    );
    let (code, err) = sb.fails(&["token", "new", "ci", "--scope", "admin"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("unknown scope 'admin'; the scopes are read and write"),
        "{err}"
    );
}

#[test]
fn token_digest_refuses_what_no_client_could_send() {
    let sb = Sandbox::new();
    let out = sb
        .cmd()
        .args(["token", "digest"])
        .write_stdin("two words\n")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("stdin does not hold a token a client can send"),
        "{err}"
    );
    assert!(!err.contains("two words"), "{err}");
}
