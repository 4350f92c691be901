//! The counting walks behind [`parse_spec`](super::parse_spec): a streaming
//! pre-check of deeply nested YAML, and a serde visitor that counts depth,
//! values and text (a YAML alias as what it stands for) and builds nothing.

use std::fmt::{self, Write as _};

use serde::de::{self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, Visitor};

use super::{SpecFormat, SpecInputError, SpecInputLimits, SpecLocation};

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

/// Walk a YAML document's events with saphyr-parser, which streams them and
/// keeps no document, counting nesting and values (aliases not expanded:
/// what this refuses, the expanded count would refuse too).
pub(super) fn precheck_yaml(text: &str, limits: &SpecInputLimits) -> Result<(), SpecInputError> {
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

#[derive(Debug, Clone, Copy)]
enum Limit {
    Depth,
    Values,
    Text,
}

/// A limit reached, and the path where.
pub(super) struct Hit {
    limit: Limit,
    path: String,
}

impl Hit {
    pub(super) fn error(
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
pub(super) struct Census<'l> {
    limits: &'l SpecInputLimits,
    depth: usize,
    values: usize,
    text: usize,
    path: Vec<Segment>,
    pub(super) hit: Option<Hit>,
}

impl<'l> Census<'l> {
    pub(super) fn new(limits: &'l SpecInputLimits) -> Self {
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
pub(super) struct Count<'c, 'l> {
    census: &'c mut Census<'l>,
    name: bool,
}

impl<'c, 'l> Count<'c, 'l> {
    pub(super) fn root(census: &'c mut Census<'l>) -> Self {
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
