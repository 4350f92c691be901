//! Bearer tokens for the HTTP API: minting one (`landlord token new`), its
//! digest (what `landlord.toml` keeps), and checking an `Authorization`
//! header against the configured digests.
//!
//! The configuration holds only SHA-256 digests of tokens, never a token,
//! so the file can be read by whoever runs the host without handing out
//! access. A presented token is hashed and its digest compared with every
//! configured one in constant time: the time taken says nothing about how
//! much of a digest matched, nor which token, if any, did.
//!
//! ```
//! use landlord::auth::{self, Scope, TokenTable};
//! use landlord::config::TokenEntry;
//!
//! let token = auth::new_token().unwrap();
//! let table = TokenTable::new(&[TokenEntry {
//!     name: "ci".into(),
//!     sha256: auth::digest(&token),
//!     scopes: vec![Scope::Read],
//! }]);
//! let header = format!("Bearer {token}");
//! let caller = table.authenticate(Some(header.as_bytes())).unwrap();
//! assert_eq!(caller.name, "ci");
//! assert!(caller.may(Scope::Read) && !caller.may(Scope::Write));
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::{ConditionallySelectable, ConstantTimeEq};

use crate::config::TokenEntry;

/// What a fresh token starts with, so that one found in a log or a
/// repository is recognisable as a landlord token.
pub const TOKEN_PREFIX: &str = "ll_";
/// Random bytes in a fresh token (256 bits).
const TOKEN_BYTES: usize = 32;
/// The longest token `authenticate` accepts, in bytes.
pub const MAX_TOKEN_BYTES: usize = 256;
/// The longest token name.
pub const MAX_TOKEN_NAME_LEN: usize = 64;
/// The rule for token names, for messages.
pub const TOKEN_NAME_RULE: &str = "use 1 to 64 letters, digits, '.', '_' and '-' \
     (for example 'ci' or 'deploy-bot')";

/// What a token allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Look: tenants, their status and history, providers.
    Read,
    /// Change: provision, update and destroy tenants.
    Write,
}

impl Scope {
    /// Every scope, in order.
    pub const ALL: [Scope; 2] = [Scope::Read, Scope::Write];

    /// The scope's name in `landlord.toml` and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A scope name that is neither `read` nor `write`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope {}; the scopes are read and write", crate::compute::validation::quoted(.0))]
pub struct UnknownScope(pub String);

impl FromStr for Scope {
    type Err = UnknownScope;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == text)
            .ok_or_else(|| UnknownScope(text.to_owned()))
    }
}

/// Whether `granted` allows `needed`. `write` also allows `read`: a client
/// trusted to change tenants learns as much from provisioning them as from
/// looking at them, and an updater that cannot read the status it changes
/// is no safer, only harder to use. So `scopes = ["write"]` behaves as
/// `["read", "write"]`; `["read"]` never allows `write`.
pub fn allows(granted: &[Scope], needed: Scope) -> bool {
    granted
        .iter()
        .any(|&scope| scope == needed || (scope == Scope::Write && needed == Scope::Read))
}

/// A fresh token: [`TOKEN_PREFIX`] and 64 lowercase hex characters, 256 bits
/// from the operating system's random source. `Err` only when that source
/// fails, which a caller reports rather than falling back to anything
/// weaker.
pub fn new_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes)?;
    Ok(format!("{TOKEN_PREFIX}{}", hex(&bytes)))
}

/// The lowercase hex SHA-256 of `token`'s UTF-8 bytes: what `landlord.toml`
/// keeps as a token's `sha256`.
pub fn digest(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Whether `text` is a digest as [`digest`] writes it: 64 characters of
/// `0-9a-f`.
pub fn is_digest(text: &str) -> bool {
    parse_digest(text).is_some()
}

/// Check a token name: 1 to [`MAX_TOKEN_NAME_LEN`] characters of
/// `A-Za-z0-9._-`. `Err` says what is wrong, quoting the name (escaped,
/// at most its first 64 characters); the caller names the field and adds
/// the fix, [`TOKEN_NAME_RULE`].
pub fn check_token_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("must not be empty".to_owned());
    }
    let mut problems = Vec::new();
    let length = name.chars().count();
    if length > MAX_TOKEN_NAME_LEN {
        problems.push(format!(
            "is {length} characters long (the limit is {MAX_TOKEN_NAME_LEN})"
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        problems.push(format!(
            "has characters other than A-Z, a-z, 0-9, '.', '_' and '-' (the first is {bad:?})"
        ));
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(format!(
        "{} {}",
        crate::compute::validation::quoted(name),
        problems.join(" and ")
    ))
}

/// Why a request is not authenticated. No message quotes the presented
/// token or any part of it: messages reach logs and clients.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The request has no `Authorization` header.
    #[error("no credentials: send the header `Authorization: Bearer <token>`")]
    Missing,
    /// The header is not a bearer token of printable ASCII.
    #[error(
        "the Authorization header is not a bearer token: expected `Authorization: Bearer <token>`, the token being 1 to 256 printable ASCII characters"
    )]
    Malformed,
    /// No configured token has the presented token's digest.
    #[error("the bearer token is not one this server knows (revoked, or never configured)")]
    Unknown,
}

/// Who made an authenticated request, and what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The token's name in `landlord.toml`: for logs and the journal.
    pub name: String,
    /// The scopes the token was granted, as configured.
    pub scopes: Vec<Scope>,
}

impl Caller {
    /// Whether the caller may do what `scope` covers (see [`allows`]:
    /// `write` includes `read`).
    pub fn may(&self, scope: Scope) -> bool {
        allows(&self.scopes, scope)
    }
}

/// The configured tokens, ready to check requests against.
#[derive(Clone, Default)]
pub struct TokenTable {
    entries: Vec<TableEntry>,
}

#[derive(Clone)]
struct TableEntry {
    caller: Caller,
    /// `None` for a digest that is not 64 hex characters (`Config::parse`
    /// refuses those): it matches no token.
    digest: Option<[u8; 32]>,
}

impl fmt::Debug for TokenTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Names only: digests have no business in a debug log.
        f.debug_list()
            .entries(self.entries.iter().map(|entry| &entry.caller.name))
            .finish()
    }
}

impl TokenTable {
    /// The table for `entries` (a config's `[[tokens]]`).
    pub fn new(entries: &[TokenEntry]) -> Self {
        Self {
            entries: entries
                .iter()
                .map(|entry| TableEntry {
                    caller: Caller {
                        name: entry.name.clone(),
                        scopes: entry.scopes.clone(),
                    },
                    digest: parse_digest(&entry.sha256),
                })
                .collect(),
        }
    }

    /// Whether no token is configured (then no request can authenticate).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// How many tokens are configured.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The caller whose token `authorization` (the raw `Authorization`
    /// header value, `None` when absent) carries: `Bearer <token>`, the
    /// scheme in any case, one or more spaces, then the token.
    ///
    /// The token's digest is compared with every configured digest, each
    /// comparison in constant time and none cut short by a match, so the
    /// time taken does not depend on the digests.
    pub fn authenticate(&self, authorization: Option<&[u8]>) -> Result<Caller, AuthError> {
        let header = authorization.ok_or(AuthError::Missing)?;
        let token = bearer_token(header).ok_or(AuthError::Malformed)?;
        let presented: [u8; 32] = Sha256::digest(token).into();
        // The index of the matching entry, selected without a branch on
        // any comparison; `u64::MAX` when none matches.
        let mut found = u64::MAX;
        for (index, entry) in self.entries.iter().enumerate() {
            let (configured, valid) = match &entry.digest {
                Some(digest) => (digest, 1u8),
                None => (&[0u8; 32], 0u8),
            };
            let matches = configured[..].ct_eq(&presented[..]) & valid.ct_eq(&1);
            found.conditional_assign(&(index as u64), matches);
        }
        usize::try_from(found)
            .ok()
            .and_then(|index| self.entries.get(index))
            .map(|entry| entry.caller.clone())
            .ok_or(AuthError::Unknown)
    }
}

/// The token in `Bearer <token>`, or `None` if `header` is anything else.
/// Surrounding spaces and tabs are ignored (they are not part of a field
/// value in HTTP).
fn bearer_token(header: &[u8]) -> Option<&[u8]> {
    let header = header.trim_ascii();
    const SCHEME: &[u8] = b"bearer";
    let (scheme, rest) = header.split_at_checked(SCHEME.len())?;
    if !scheme.eq_ignore_ascii_case(SCHEME) || !rest.starts_with(b" ") {
        return None;
    }
    let token = rest.trim_ascii_start();
    is_well_formed(token).then_some(token)
}

/// Whether `token` is one a client can present: 1 to [`MAX_TOKEN_BYTES`]
/// bytes of printable ASCII, no spaces. A fresh token is; one made by
/// other means (`openssl rand -hex 32`) may be too.
pub fn is_well_formed(token: &[u8]) -> bool {
    (1..=MAX_TOKEN_BYTES).contains(&token.len()) && token.iter().all(u8::is_ascii_graphic)
}

/// `bytes` in lowercase hex.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

/// The 32 bytes of a lowercase hex SHA-256, or `None`.
fn parse_digest(text: &str) -> Option<[u8; 32]> {
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let text = text.as_bytes();
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        *byte = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, token: &str, scopes: &[Scope]) -> TokenEntry {
        TokenEntry {
            name: name.to_owned(),
            sha256: digest(token),
            scopes: scopes.to_vec(),
        }
    }

    fn bearer(token: &str) -> Vec<u8> {
        format!("Bearer {token}").into_bytes()
    }

    #[test]
    fn a_new_token_authenticates_by_its_digest() {
        let token = new_token().unwrap();
        assert!(token.starts_with("ll_"), "{token}");
        assert_eq!(token.len(), 3 + 64);
        assert!(
            token[3..]
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        assert_ne!(token, new_token().unwrap());
        let sha256 = digest(&token);
        assert!(is_digest(&sha256), "{sha256}");
        let table = TokenTable::new(&[entry("ci", &token, &[Scope::Read, Scope::Write])]);
        let caller = table.authenticate(Some(&bearer(&token))).unwrap();
        assert_eq!(
            caller,
            Caller {
                name: "ci".to_owned(),
                scopes: vec![Scope::Read, Scope::Write]
            }
        );
        // The scheme in any case, more than one space.
        for header in [format!("bearer {token}"), format!("BEARER   {token}")] {
            assert_eq!(
                table.authenticate(Some(header.as_bytes())).unwrap().name,
                "ci"
            );
        }
    }

    #[test]
    fn the_digest_is_sha256_in_lowercase_hex() {
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(!is_digest(&digest("abc").to_uppercase()));
        assert!(!is_digest("abc"));
    }

    #[test]
    fn a_wrong_token_is_unknown_and_the_message_does_not_quote_it() {
        let table = TokenTable::new(&[entry("ci", &new_token().unwrap(), &Scope::ALL)]);
        let wrong = new_token().unwrap();
        let err = table.authenticate(Some(&bearer(&wrong))).unwrap_err();
        assert_eq!(err, AuthError::Unknown);
        let message = err.to_string();
        assert!(!message.contains(&wrong), "{message}");
        assert!(!message.contains(&wrong[3..11]), "{message}");
        // Nor does a malformed header's.
        let err = table
            .authenticate(Some(format!("Basic {wrong}").as_bytes()))
            .unwrap_err()
            .to_string();
        assert!(!err.contains(&wrong[3..11]), "{err}");
    }

    #[test]
    fn a_missing_header_is_missing() {
        let table = TokenTable::new(&[entry("ci", "secret", &Scope::ALL)]);
        assert_eq!(table.authenticate(None), Err(AuthError::Missing));
    }

    #[test]
    fn anything_but_a_printable_bearer_token_is_malformed() {
        let table = TokenTable::new(&[entry("ci", "secret", &Scope::ALL)]);
        let long = format!("Bearer {}", "x".repeat(MAX_TOKEN_BYTES + 1));
        for header in [
            &b"Basic x"[..],
            b"Bearer",
            b"Bearer ",
            b"Bearersecret",
            b"Bearer\tsecret",
            b"Bearer sec ret",
            b"Bearer s\xc3\xa9cret",
            b"Bearer secret\x7f",
            b"",
            long.as_bytes(),
        ] {
            assert_eq!(
                table.authenticate(Some(header)),
                Err(AuthError::Malformed),
                "{:?}",
                String::from_utf8_lossy(header)
            );
        }
        let err = AuthError::Malformed.to_string();
        assert!(err.contains("Authorization: Bearer <token>"), "{err}");
        // 256 bytes is still a token (unknown here, but well formed).
        let longest = format!("Bearer {}", "x".repeat(MAX_TOKEN_BYTES));
        assert_eq!(
            table.authenticate(Some(longest.as_bytes())),
            Err(AuthError::Unknown)
        );
    }

    #[test]
    fn write_implies_read_but_read_not_write() {
        assert!(allows(&[Scope::Write], Scope::Read));
        assert!(allows(&[Scope::Write], Scope::Write));
        assert!(allows(&[Scope::Read], Scope::Read));
        assert!(!allows(&[Scope::Read], Scope::Write));
        assert!(!allows(&[], Scope::Read));
        let writer = Caller {
            name: "w".to_owned(),
            scopes: vec![Scope::Write],
        };
        assert!(writer.may(Scope::Read) && writer.may(Scope::Write));
    }

    #[test]
    fn two_tokens_get_their_own_names_and_scopes() {
        let table = TokenTable::new(&[
            entry("reader", "token-r", &[Scope::Read]),
            entry("deployer", "token-w", &[Scope::Write]),
        ]);
        assert_eq!(table.len(), 2);
        let reader = table.authenticate(Some(&bearer("token-r"))).unwrap();
        assert_eq!(reader.name, "reader");
        assert!(reader.may(Scope::Read) && !reader.may(Scope::Write));
        let deployer = table.authenticate(Some(&bearer("token-w"))).unwrap();
        assert_eq!(deployer.name, "deployer");
        assert!(deployer.may(Scope::Write));
        assert_eq!(
            table.authenticate(Some(&bearer("token-x"))),
            Err(AuthError::Unknown)
        );
    }

    #[test]
    fn an_empty_table_or_a_bad_digest_matches_nothing() {
        let empty = TokenTable::new(&[]);
        assert!(empty.is_empty());
        assert_eq!(
            empty.authenticate(Some(&bearer("x"))),
            Err(AuthError::Unknown)
        );
        let bad = TokenTable::new(&[TokenEntry {
            name: "bad".to_owned(),
            sha256: "0".repeat(63),
            scopes: vec![Scope::Read],
        }]);
        assert!(!bad.is_empty());
        assert_eq!(
            bad.authenticate(Some(&bearer("x"))),
            Err(AuthError::Unknown)
        );
        // Debug shows names, not digests.
        let table = TokenTable::new(&[entry("ci", "secret", &Scope::ALL)]);
        assert_eq!(format!("{table:?}"), r#"["ci"]"#);
    }

    #[test]
    fn token_names_follow_one_rule() {
        for good in ["ci", "deploy-bot", "A.b_c-9", &"n".repeat(64)] {
            assert_eq!(check_token_name(good), Ok(()), "{good}");
        }
        assert_eq!(check_token_name(""), Err("must not be empty".to_owned()));
        let err = check_token_name("ci bot").unwrap_err();
        assert_eq!(
            err,
            "'ci bot' has characters other than A-Z, a-z, 0-9, '.', '_' and '-' (the first is ' ')"
        );
        let err = check_token_name(&"n".repeat(65)).unwrap_err();
        assert!(
            err.contains("is 65 characters long (the limit is 64)"),
            "{err}"
        );
    }

    #[test]
    fn scopes_parse_and_print_by_name() {
        assert_eq!("read".parse(), Ok(Scope::Read));
        assert_eq!("write".parse::<Scope>().unwrap().to_string(), "write");
        let err = "admin".parse::<Scope>().unwrap_err().to_string();
        assert_eq!(err, "unknown scope 'admin'; the scopes are read and write");
        assert!(Scope::Read < Scope::Write);
    }
}
