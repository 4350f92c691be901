//! Reading a tenant spec from bytes nobody vouched for: JSON or YAML, within
//! limits on its size, its nesting and the number of values it holds.
//!
//! A spec file comes from a person, a script or (later) an HTTP request, so
//! the bounds hold before any large allocation or super-linear work:
//!
//! - [`read_spec`] and [`read_spec_file`] read at most
//!   [`max_bytes`](SpecInputLimits::max_bytes) `+ 1` bytes, so `/dev/zero` on
//!   stdin stops at the limit; [`read_spec_file`] refuses what is not a
//!   regular file before opening it (opening a FIFO with no writer blocks).
//! - [`parse_spec`] first walks the document with a counting visitor (nothing
//!   is built): nesting deeper than [`max_depth`](SpecInputLimits::max_depth),
//!   more than [`max_nodes`](SpecInputLimits::max_nodes) values, or more than
//!   `max_bytes` of text stop the walk where they happen. A YAML alias is
//!   walked as the node it refers to, so the counts are those of the expanded
//!   document and a "billion laughs" stops at the budget instead of
//!   expanding. Only then is the spec deserialized, by the same parser.
//!   (libyaml keeps the events of the whole document meanwhile: some 75 MB
//!   at worst for 1 MiB, linear in `max_bytes`.)
//! - libyaml (under `serde_norway`) does, for every token, work proportional
//!   to the flow nesting (`[[[…` or `{a: {a: …`), so a deeply nested flow
//!   document costs it quadratic time while it loads the document, before
//!   any visitor sees a value. A YAML document with more than
//!   [`YAML_PRECHECKED_FLOW_OPENERS`] `[` and `{` characters is therefore
//!   first walked by `saphyr-parser`, a streaming parser that stops at the
//!   depth limit; one with fewer cannot nest flow collections deeper than
//!   that, which bounds libyaml's work (under a second for 1 MiB).

use std::fmt;
use std::io::Read;
use std::path::Path;

use serde::de::DeserializeSeed;

use walk::{Census, Count, precheck_yaml};

use super::json_shape::object;
use super::types::TenantComputeSpec;
use crate::input::{self, FileKind};

/// The default [`SpecInputLimits::max_bytes`]: 1 MiB. The example spec is
/// about 1 KiB; a spec with a hundred containers stays well under 100 KiB.
pub const DEFAULT_MAX_BYTES: usize = 1024 * 1024;

/// The default [`SpecInputLimits::max_depth`]: 64 levels. A spec's own fields
/// nest five deep (the spec, `containers`, a container, `ports`, a port);
/// the rest is room for `provider_config`.
pub const DEFAULT_MAX_DEPTH: usize = 64;

/// The default [`SpecInputLimits::max_nodes`]: 100 000 values. The example
/// spec holds about 100, keys included; a spec with a hundred containers a
/// few thousand.
pub const DEFAULT_MAX_NODES: usize = 100_000;

/// A YAML document with more `[` and `{` characters than this is walked by a
/// streaming parser before libyaml loads it (see the [module](self) docs).
/// libyaml's cost grows with the flow nesting times the number of tokens: at
/// this nesting, a 1 MiB document takes it well under a second.
pub const YAML_PRECHECKED_FLOW_OPENERS: usize = 256;

/// How much a spec may hold. The defaults let every realistic spec through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpecInputLimits {
    /// The most bytes a spec may have; also the most text (keys and scalar
    /// values) it may hold once YAML aliases are expanded.
    pub max_bytes: usize,
    /// The most levels of lists and maps, the spec itself being level 1.
    pub max_depth: usize,
    /// The most values (keys, scalars, lists and maps) a spec may hold, a
    /// YAML alias counting as the values of the node it refers to.
    pub max_nodes: usize,
}

impl Default for SpecInputLimits {
    fn default() -> Self {
        Self {
            max_bytes: DEFAULT_MAX_BYTES,
            max_depth: DEFAULT_MAX_DEPTH,
            max_nodes: DEFAULT_MAX_NODES,
        }
    }
}

/// The syntax a spec is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecFormat {
    /// JSON.
    Json,
    /// YAML (1.1, as libyaml reads it).
    Yaml,
}

impl SpecFormat {
    /// The format of a spec: a `.yaml` or `.yml` file is YAML, a `.json`
    /// file JSON; anything else (stdin, `path` `None`) is JSON when its text
    /// starts with `{` after white space, YAML otherwise.
    pub fn detect(path: Option<&Path>, bytes: &[u8]) -> SpecFormat {
        match path.and_then(Path::extension).and_then(|e| e.to_str()) {
            Some("yaml" | "yml") => SpecFormat::Yaml,
            Some("json") => SpecFormat::Json,
            // Text that is not UTF-8 is refused whatever its format: look
            // at the valid start only, without copying.
            _ if bytes
                .utf8_chunks()
                .next()
                .is_some_and(|chunk| chunk.valid().trim_start().starts_with('{')) =>
            {
                SpecFormat::Json
            }
            _ => SpecFormat::Yaml,
        }
    }
}

/// Where in a spec a limit was reached.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SpecLocation {
    /// The field path, as validation spells it (`provider_config.a[2].b`),
    /// shortened with `…` past a few segments; empty at the top level.
    pub path: String,
    /// The line (from 1), where the parser tells it.
    pub line: Option<usize>,
    /// The column (from 1), where the parser tells it.
    pub column: Option<usize>,
}

impl fmt::Display for SpecLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str("at the top level")?;
        } else {
            write!(f, "at {}", self.path)?;
        }
        if let (Some(line), Some(column)) = (self.line, self.column) {
            write!(f, ", line {line} column {column}")?;
        }
        Ok(())
    }
}

/// Why a spec could not be read or was refused.
#[derive(Debug, thiserror::Error)]
pub enum SpecInputError {
    /// The spec could not be read (a missing file, no permission).
    #[error("cannot read the spec")]
    Io(#[source] std::io::Error),
    /// The spec path names a directory, a FIFO, a device or a socket.
    #[error("the spec path is {kind}, not a regular file; give the path of a spec file")]
    NotRegularFile {
        /// What it is instead.
        kind: FileKind,
    },
    /// The spec has more than [`SpecInputLimits::max_bytes`] bytes.
    #[error(
        "the spec is larger than {} (the limit for a spec file); remove what it does not need",
        size(*limit)
    )]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// The spec is not UTF-8.
    #[error("the spec is not valid UTF-8 (at byte {valid_up_to}); save it as UTF-8")]
    NotUtf8 {
        /// How many bytes from the start are valid UTF-8.
        valid_up_to: usize,
    },
    /// Lists and maps nest deeper than [`SpecInputLimits::max_depth`].
    #[error(
        "the spec nests deeper than {limit} levels (the limit for a spec), {at}; nest it less deeply"
    )]
    TooDeep {
        /// The limit.
        limit: usize,
        /// Where.
        at: SpecLocation,
    },
    /// The spec holds more than [`SpecInputLimits::max_nodes`] values.
    #[error(
        "the spec holds more than {limit} values{} (the limit for a spec), {at}; {}",
        if *format == SpecFormat::Yaml { ", counting each YAML alias as the values it stands for" } else { "" },
        if *format == SpecFormat::Yaml { "write fewer values or use fewer aliases" } else { "write fewer values" },
    )]
    TooManyValues {
        /// The limit.
        limit: usize,
        /// Where the count passed it.
        at: SpecLocation,
        /// The spec's format (YAML counts what aliases stand for).
        format: SpecFormat,
    },
    /// Keys and values hold more than [`SpecInputLimits::max_bytes`] of text
    /// (only YAML aliases can make the text longer than the spec).
    #[error(
        "the spec's keys and values hold more than {} of text, counting each YAML alias as the \
         text it stands for (the limit for a spec), {at}; use fewer aliases or shorter values",
        size(*limit)
    )]
    TooMuchText {
        /// The limit.
        limit: usize,
        /// Where the count passed it.
        at: SpecLocation,
    },
    /// The JSON or YAML parser refused the spec.
    #[error("{message}")]
    Malformed {
        /// The parser's message: the field, line and column where it knows them.
        message: String,
    },
}

/// Read a spec from `reader` (stdin, a request body): at most
/// `limits.max_bytes` bytes, and [`SpecInputError::TooLarge`] as soon as there
/// is one more.
pub fn read_spec(reader: impl Read, limits: &SpecInputLimits) -> Result<Vec<u8>, SpecInputError> {
    input::read_bounded(reader, max_bytes(limits)).map_err(|err| read_error(err, limits))
}

/// Read the spec file at `path` like [`read_spec`], after checking (before
/// opening it, and again on the open file) that it is a regular file: a FIFO
/// would block the open until something writes to it, and a device may never
/// end.
pub fn read_spec_file(path: &Path, limits: &SpecInputLimits) -> Result<Vec<u8>, SpecInputError> {
    input::read_regular_file(path, max_bytes(limits)).map_err(|err| read_error(err, limits))
}

fn max_bytes(limits: &SpecInputLimits) -> u64 {
    u64::try_from(limits.max_bytes).unwrap_or(u64::MAX)
}

fn read_error(err: input::ReadError, limits: &SpecInputLimits) -> SpecInputError {
    match err {
        input::ReadError::Io(err) => SpecInputError::Io(err),
        input::ReadError::NotRegularFile { kind } => SpecInputError::NotRegularFile { kind },
        input::ReadError::TooLarge { .. } => SpecInputError::TooLarge {
            limit: limits.max_bytes,
        },
    }
}

/// Parse a spec written in `format`, within `limits` (see the
/// [module](self) docs for how they are held).
///
/// Numbers out of range for their field (a port of 70000) are not parser
/// errors: they reach
/// [`validate_compute_spec`](super::validate_compute_spec), which names the
/// field.
pub fn parse_spec(
    bytes: &[u8],
    format: SpecFormat,
    limits: &SpecInputLimits,
) -> Result<TenantComputeSpec, SpecInputError> {
    if bytes.len() > limits.max_bytes {
        return Err(SpecInputError::TooLarge {
            limit: limits.max_bytes,
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|err| SpecInputError::NotUtf8 {
        valid_up_to: err.valid_up_to(),
    })?;
    match format {
        SpecFormat::Json => parse_json(text, limits),
        SpecFormat::Yaml => parse_yaml(text, limits),
    }
}

fn parse_json(text: &str, limits: &SpecInputLimits) -> Result<TenantComputeSpec, SpecInputError> {
    let mut census = Census::new(limits);
    let mut de = serde_json::Deserializer::from_str(text);
    let counted = Count::root(&mut census)
        .deserialize(&mut de)
        .and_then(|_| de.end());
    if let Err(err) = counted
        && let Some(hit) = census.hit.take()
    {
        let line = (err.line() > 0).then_some(err.line());
        return Err(hit.error(limits, SpecFormat::Json, line, line.map(|_| err.column())));
    }
    // Any other error is the parser's, and the typed parse below meets it
    // again (perhaps after a wrong type, as before). It is bounded as it is:
    // serde_json reads the (bounded) text once, without aliases.
    let mut de = serde_json::Deserializer::from_str(text);
    object(&mut de)
        .and_then(|spec| de.end().map(|()| spec))
        .map_err(|err| SpecInputError::Malformed {
            message: err.to_string(),
        })
}

fn parse_yaml(text: &str, limits: &SpecInputLimits) -> Result<TenantComputeSpec, SpecInputError> {
    let flow_openers = text.bytes().filter(|b| matches!(b, b'[' | b'{')).count();
    if flow_openers > YAML_PRECHECKED_FLOW_OPENERS {
        precheck_yaml(text, limits)?;
    }
    let mut census = Census::new(limits);
    if let Err(err) =
        Count::root(&mut census).deserialize(serde_norway::Deserializer::from_str(text))
    {
        return Err(match census.hit.take() {
            Some(hit) => {
                let location = err.location();
                hit.error(
                    limits,
                    SpecFormat::Yaml,
                    location.as_ref().map(serde_norway::Location::line),
                    location.as_ref().map(serde_norway::Location::column),
                )
            }
            // The parser's own error (a syntax error, more than one
            // document): reported as it is, since the typed parse could go
            // on past a node the count did not get through.
            None => SpecInputError::Malformed {
                message: err.to_string(),
            },
        });
    }
    object(serde_norway::Deserializer::from_str(text)).map_err(|err| SpecInputError::Malformed {
        message: err.to_string(),
    })
}

/// `1 MiB`, `64 KiB`, `1000 bytes`.
fn size(bytes: usize) -> String {
    const KIB: usize = 1024;
    const MIB: usize = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

mod walk;

#[cfg(test)]
mod tests;
