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

use std::fmt::{self, Write as _};
use std::io::Read;
use std::path::Path;

use serde::de::{self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, Visitor};

use super::types::TenantComputeSpec;

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

/// The flow nesting saphyr-parser refuses by itself (its counter is a `u8`).
const SAPHYR_MAX_FLOW_DEPTH: usize = 255;
/// saphyr-parser's message when the flow nesting passes its own limit.
const SAPHYR_FLOW_LIMIT_MESSAGE: &str = "recursion limit exceeded";
/// What the counting visitor returns to the parser when a limit is reached;
/// never shown (the limit's own error is).
const STOPPED: &str = "a spec input limit was reached";
/// Path segments shown in an error before `…`.
const SHOWN_SEGMENTS: usize = 8;
/// Characters of a key shown in an error path before `…`.
const SHOWN_KEY_CHARS: usize = 40;

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

/// What a spec path that is not a regular file names instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A directory.
    Directory,
    /// A named pipe: opening it blocks until something writes to it.
    Fifo,
    /// A character or block device (`/dev/zero`, a disk).
    Device,
    /// A Unix domain socket.
    Socket,
    /// Anything else that is not a regular file.
    Other,
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileKind::Directory => "a directory",
            FileKind::Fifo => "a named pipe (FIFO)",
            FileKind::Device => "a device",
            FileKind::Socket => "a socket",
            FileKind::Other => "a special file",
        })
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
    let mut bytes = Vec::new();
    let most = u64::try_from(limits.max_bytes)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    reader
        .take(most)
        .read_to_end(&mut bytes)
        .map_err(SpecInputError::Io)?;
    if bytes.len() > limits.max_bytes {
        return Err(SpecInputError::TooLarge {
            limit: limits.max_bytes,
        });
    }
    Ok(bytes)
}

/// Read the spec file at `path` like [`read_spec`], after checking (before
/// opening it, and again on the open file) that it is a regular file: a FIFO
/// would block the open until something writes to it, and a device may never
/// end.
pub fn read_spec_file(path: &Path, limits: &SpecInputLimits) -> Result<Vec<u8>, SpecInputError> {
    let metadata = std::fs::metadata(path).map_err(SpecInputError::Io)?;
    regular_file(&metadata)?;
    if metadata.len() > u64::try_from(limits.max_bytes).unwrap_or(u64::MAX) {
        return Err(SpecInputError::TooLarge {
            limit: limits.max_bytes,
        });
    }
    let file = std::fs::File::open(path).map_err(SpecInputError::Io)?;
    regular_file(&file.metadata().map_err(SpecInputError::Io)?)?;
    read_spec(file, limits)
}

fn regular_file(metadata: &std::fs::Metadata) -> Result<(), SpecInputError> {
    let file_type = metadata.file_type();
    if file_type.is_file() {
        return Ok(());
    }
    let kind = if file_type.is_dir() {
        FileKind::Directory
    } else {
        special_file_kind(file_type)
    };
    Err(SpecInputError::NotRegularFile { kind })
}

#[cfg(unix)]
fn special_file_kind(file_type: std::fs::FileType) -> FileKind {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_fifo() {
        FileKind::Fifo
    } else if file_type.is_char_device() || file_type.is_block_device() {
        FileKind::Device
    } else if file_type.is_socket() {
        FileKind::Socket
    } else {
        FileKind::Other
    }
}

#[cfg(not(unix))]
fn special_file_kind(_: std::fs::FileType) -> FileKind {
    FileKind::Other
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
    serde_json::from_str(text).map_err(|err| SpecInputError::Malformed {
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
    serde_norway::from_str(text).map_err(|err| SpecInputError::Malformed {
        message: err.to_string(),
    })
}

/// Walk a YAML document's events with saphyr-parser, which streams them and
/// keeps no document, counting nesting and values (aliases not expanded:
/// what this refuses, the expanded count would refuse too).
fn precheck_yaml(text: &str, limits: &SpecInputLimits) -> Result<(), SpecInputError> {
    use saphyr_parser::{Event, Parser};

    let mut census = Census::new(limits);
    let mut frames: Vec<Frame> = Vec::new();
    let mut parser = Parser::new_from_str(text);
    while let Some(next) = parser.next_event() {
        let (event, span) = match next {
            Ok(next) => next,
            Err(err) => {
                let mark = err.marker();
                let (line, column) = (Some(mark.line()), Some(mark.col() + 1));
                if err.info() == SAPHYR_FLOW_LIMIT_MESSAGE
                    && limits.max_depth < SAPHYR_MAX_FLOW_DEPTH
                {
                    return Err(census.stop_at(Limit::Depth).error(
                        limits,
                        SpecFormat::Yaml,
                        line,
                        column,
                    ));
                }
                return Err(SpecInputError::Malformed {
                    message: err.to_string(),
                });
            }
        };
        let (line, column) = (Some(span.start.line()), Some(span.start.col() + 1));
        let counted = match event {
            Event::Scalar(ref value, ..) => {
                let pushed = Frame::enter(&frames, &mut census);
                let counted = census.value(value.len());
                if pushed {
                    census.path.pop();
                }
                Frame::completed(&mut frames, Some(value.as_ref()));
                counted
            }
            Event::Alias(_) => {
                let pushed = Frame::enter(&frames, &mut census);
                let counted = census.value(0);
                if pushed {
                    census.path.pop();
                }
                Frame::completed(&mut frames, None);
                counted
            }
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                let pushed = Frame::enter(&frames, &mut census);
                let counted = census.open();
                frames.push(Frame {
                    mapping: matches!(event, Event::MappingStart(..)),
                    expect_key: true,
                    key: String::new(),
                    index: 0,
                    pushed,
                });
                counted
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(frame) = frames.pop() {
                    census.close();
                    if frame.pushed {
                        census.path.pop();
                    }
                }
                Frame::completed(&mut frames, None);
                Ok(())
            }
            _ => Ok(()),
        };
        if counted.is_err()
            && let Some(hit) = census.hit.take()
        {
            return Err(hit.error(limits, SpecFormat::Yaml, line, column));
        }
    }
    Ok(())
}

/// An open list or map in [`precheck_yaml`]'s walk.
struct Frame {
    mapping: bool,
    /// In a map: whether the next node is a key.
    expect_key: bool,
    /// In a map: the last key, for the path.
    key: String,
    /// In a list: the next node's index.
    index: usize,
    /// Whether entering this node pushed a path segment.
    pushed: bool,
}

impl Frame {
    /// Push the path segment of the node that starts (none for a key or the
    /// document itself); whether one was pushed.
    fn enter(frames: &[Frame], census: &mut Census<'_>) -> bool {
        let segment = match frames.last() {
            None => return false,
            Some(frame) if frame.mapping && frame.expect_key => return false,
            Some(frame) if frame.mapping => Segment::Key(frame.key.clone()),
            Some(frame) => Segment::Index(frame.index),
        };
        census.path.push(segment);
        true
    }

    /// A node of the innermost list or map is complete.
    fn completed(frames: &mut [Frame], scalar: Option<&str>) {
        if let Some(frame) = frames.last_mut() {
            if !frame.mapping {
                frame.index += 1;
            } else if frame.expect_key {
                frame.key = scalar.map_or_else(|| "?".to_owned(), key_name);
                frame.expect_key = false;
            } else {
                frame.expect_key = true;
            }
        }
    }
}

/// One step of a field path.
enum Segment {
    Key(String),
    Index(usize),
}

fn render(path: &[Segment]) -> String {
    let mut out = String::new();
    for segment in path.iter().take(SHOWN_SEGMENTS) {
        match segment {
            Segment::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Index(index) => {
                let _ = write!(out, "[{index}]");
            }
        }
    }
    if path.len() > SHOWN_SEGMENTS {
        out.push('…');
    }
    out
}

/// A key as an error path shows it: short, on one line.
fn key_name(key: &str) -> String {
    let mut name: String = key
        .chars()
        .take(SHOWN_KEY_CHARS)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if key.chars().nth(SHOWN_KEY_CHARS).is_some() {
        name.push('…');
    }
    name
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

#[derive(Debug, Clone, Copy)]
enum Limit {
    Depth,
    Values,
    Text,
}

/// A limit reached, and the path where.
struct Hit {
    limit: Limit,
    path: String,
}

impl Hit {
    fn error(
        self,
        limits: &SpecInputLimits,
        format: SpecFormat,
        line: Option<usize>,
        column: Option<usize>,
    ) -> SpecInputError {
        let at = SpecLocation {
            path: self.path,
            line,
            column,
        };
        match self.limit {
            Limit::Depth => SpecInputError::TooDeep {
                limit: limits.max_depth,
                at,
            },
            Limit::Values => SpecInputError::TooManyValues {
                limit: limits.max_nodes,
                at,
                format,
            },
            Limit::Text => SpecInputError::TooMuchText {
                limit: limits.max_bytes,
                at,
            },
        }
    }
}

/// The walk stopped at a limit (the [`Hit`] is in the census).
struct Stop;

/// Counts of the walk so far, against the limits.
struct Census<'l> {
    limits: &'l SpecInputLimits,
    depth: usize,
    values: usize,
    text: usize,
    path: Vec<Segment>,
    hit: Option<Hit>,
}

impl<'l> Census<'l> {
    fn new(limits: &'l SpecInputLimits) -> Self {
        Self {
            limits,
            depth: 0,
            values: 0,
            text: 0,
            path: Vec::new(),
            hit: None,
        }
    }

    /// A list or map starts.
    fn open(&mut self) -> Result<(), Stop> {
        if self.depth >= self.limits.max_depth {
            self.hit = Some(self.stop_at(Limit::Depth));
            return Err(Stop);
        }
        self.value(0)?;
        self.depth += 1;
        Ok(())
    }

    /// A list or map ends.
    fn close(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// A value with `text` bytes of text (0 for a list, a map, a number).
    fn value(&mut self, text: usize) -> Result<(), Stop> {
        if self.values >= self.limits.max_nodes {
            self.hit = Some(self.stop_at(Limit::Values));
            return Err(Stop);
        }
        self.values += 1;
        if text > self.limits.max_bytes.saturating_sub(self.text) {
            self.hit = Some(self.stop_at(Limit::Text));
            return Err(Stop);
        }
        self.text += text;
        Ok(())
    }

    fn stop_at(&self, limit: Limit) -> Hit {
        Hit {
            limit,
            path: render(&self.path),
        }
    }
}

/// A serde seed that walks any value through `deserialize_any` (a YAML alias
/// is walked as what it refers to), counting it and building nothing. With
/// `name`, a scalar returns how it reads as a map key.
struct Count<'c, 'l> {
    census: &'c mut Census<'l>,
    name: bool,
}

impl<'c, 'l> Count<'c, 'l> {
    fn root(census: &'c mut Census<'l>) -> Self {
        Self {
            census,
            name: false,
        }
    }

    fn scalar<E: de::Error>(
        self,
        text: usize,
        name: impl FnOnce() -> String,
    ) -> Result<Option<String>, E> {
        self.census.value(text).map_err(|Stop| E::custom(STOPPED))?;
        Ok(self.name.then(name))
    }
}

impl<'de> DeserializeSeed<'de> for Count<'_, '_> {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Count<'_, '_> {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        self.scalar(0, || v.to_string())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        self.scalar(0, || v.to_string())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        self.scalar(0, || v.to_string())
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Self::Value, E> {
        self.scalar(0, || v.to_string())
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Self::Value, E> {
        self.scalar(0, || v.to_string())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        self.scalar(0, || v.to_string())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        self.scalar(v.len(), || key_name(v))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
        self.scalar(v.len(), || "?".to_owned())
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.scalar(0, || "null".to_owned())
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let census = self.census;
        census.open().map_err(|Stop| de::Error::custom(STOPPED))?;
        let mut index = 0;
        loop {
            census.path.push(Segment::Index(index));
            let element = seq.next_element_seed(Count {
                census: &mut *census,
                name: false,
            });
            census.path.pop();
            if element?.is_none() {
                break;
            }
            index += 1;
        }
        census.close();
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let census = self.census;
        census.open().map_err(|Stop| de::Error::custom(STOPPED))?;
        while let Some(key) = map.next_key_seed(Count {
            census: &mut *census,
            name: true,
        })? {
            census
                .path
                .push(Segment::Key(key.unwrap_or_else(|| "?".to_owned())));
            let value = map.next_value_seed(Count {
                census: &mut *census,
                name: false,
            });
            census.path.pop();
            value?;
        }
        census.close();
        Ok(None)
    }

    /// A YAML value with a tag (`!name value`): the value is what counts.
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        use de::VariantAccess;
        let (de::IgnoredAny, variant) = data.variant()?;
        variant.newtype_variant_seed(self)
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::compute::{ResourceRequirements, validate_compute_spec};

    const EXAMPLE: &str = include_str!("../../../examples/tenant.json");
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
        let text = format!(
            "tenant_id: acme\ncontainers: [{{name: web, image: nginx, ports: [{ports}]}}]\n"
        );
        let spec = yaml(&text).unwrap();
        assert_eq!(spec.containers[0].ports.len(), 300);
    }

    #[test]
    fn the_format_is_detected_as_before() {
        let detect = |path: Option<&str>, text: &str| {
            SpecFormat::detect(path.map(Path::new), text.as_bytes())
        };
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
}
