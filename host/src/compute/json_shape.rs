//! The spec read as its documented shape states it, no looser and no
//! stricter.
//!
//! - **Objects only** for struct-typed fields. serde's derived
//!   `Deserialize` for a struct also accepts a sequence of its fields in
//!   declaration order, so `"dns": ["acme", "example.com"]` would read as a
//!   `DnsConfig`. The spec's shape (and its OpenAPI schema) is an object
//!   with named fields; a positional array is a mistake the caller should
//!   hear about, not a second syntax. [`object`] and friends ask the format
//!   for a map (`deserialize_map`), which JSON and YAML refuse for anything
//!   but an object, and hand that map to the derived code.
//! - **Integers as JSON Schema counts them**: a number with no fractional
//!   part, so `80.0` is the integer 80 (JSON Schema's `integer`, which the
//!   OpenAPI document states), while `80.5` is refused. serde reads `80.0`
//!   only into a float; [`integer`] takes either.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Unexpected, Visitor};

/// A `T` read from an object (never from an array).
pub(crate) fn object<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    deserializer.deserialize_map(Object(PhantomData))
}

/// `null` (or absent, with `#[serde(default)]`), else a `T` from an object.
pub(crate) fn optional_object<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    deserializer.deserialize_option(OptionalObject(PhantomData))
}

/// An array of `T`, each read from an object.
pub(crate) fn objects<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    deserializer.deserialize_seq(Objects(PhantomData))
}

/// An integer, written with or without a zero fractional part (`80`,
/// `80.0`); anything else, including a whole number outside the `i64` range,
/// is refused.
pub(crate) fn integer<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    deserializer.deserialize_i64(Integer)
}

/// `null` (or absent, with `#[serde(default)]`), else an [`integer`].
pub(crate) fn optional_integer<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<i64>, D::Error> {
    deserializer.deserialize_option(OptionalInteger)
}

struct Integer;

impl Visitor<'_> for Integer {
    type Value = i64;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an integer")
    }

    fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<i64, E> {
        Ok(value)
    }

    fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<i64, E> {
        i64::try_from(value).map_err(|_| E::invalid_value(Unexpected::Unsigned(value), &RANGE))
    }

    fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<i64, E> {
        // 2^63 as an f64; every whole f64 in [-2^63, 2^63) is an i64.
        const LIMIT: f64 = 9_223_372_036_854_775_808.0;
        if value.fract() != 0.0 || !value.is_finite() {
            return Err(E::invalid_type(Unexpected::Float(value), &self));
        }
        if !(-LIMIT..LIMIT).contains(&value) {
            return Err(E::invalid_value(Unexpected::Float(value), &RANGE));
        }
        // Whole and in range: the conversion is exact.
        #[allow(clippy::cast_possible_truncation)]
        Ok(value as i64)
    }
}

/// What an out-of-range integer was expected to be.
const RANGE: &str = "an integer from -2^63 to 2^63 - 1";

struct OptionalInteger;

impl<'de> Visitor<'de> for OptionalInteger {
    type Value = Option<i64>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an integer or null")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Option<i64>, E> {
        Ok(None)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Option<i64>, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<i64>, D::Error> {
        integer(deserializer).map(Some)
    }
}

struct Object<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for Object<T> {
    type Value = T;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map))
    }
}

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for Object<T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        deserializer.deserialize_map(self)
    }
}

struct OptionalObject<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for OptionalObject<T> {
    type Value = Option<T>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an object or null")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<T>, D::Error> {
        object(deserializer).map(Some)
    }
}

struct Objects<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for Objects<T> {
    type Value = Vec<T>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an array of objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        // The size hint comes from the input: bounded, not trusted.
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element_seed(Object(PhantomData))? {
            items.push(item);
        }
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use crate::compute::{SpecFormat, SpecInputLimits, TenantComputeSpec, parse_spec};

    fn parse(json: &str) -> Result<TenantComputeSpec, String> {
        parse_spec(
            json.as_bytes(),
            SpecFormat::Json,
            &SpecInputLimits::default(),
        )
        .map_err(|err| err.to_string())
    }

    #[test]
    fn every_struct_field_is_read_from_an_object_only() {
        let base = r#""tenant_id": "acme""#;
        for (field, value) in [
            ("resources", r#"[1000, 1024]"#),
            ("networking", r#"[true]"#),
            ("networking", r#"{"dns": ["acme", "example.com"]}"#),
            ("containers", r#"[["web", "nginx"]]"#),
            (
                "containers",
                r#"[{"name": "web", "image": "x", "ports": [[80]]}]"#,
            ),
            (
                "containers",
                r#"[{"name": "web", "image": "x", "resources": [1, 2]}]"#,
            ),
            (
                "containers",
                r#"[{"name": "web", "image": "x", "health_check": ["tcp", null, 80, [], 10, 2]}]"#,
            ),
            ("secrets", r#"[["db", "vault", "key"]]"#),
        ] {
            let err = parse(&format!("{{{base}, \"{field}\": {value}}}"))
                .expect_err(&format!("{field}: {value} was accepted"));
            assert!(
                err.contains("expected an object"),
                "{field}: {value}: {err}"
            );
        }
        let err = parse(r#"["acme", "mock"]"#).expect_err("a positional spec was accepted");
        assert!(err.contains("expected an object"), "{err}");
        let yaml = parse_spec(
            b"tenant_id: acme\nnetworking:\n  dns: [acme, example.com]\n",
            SpecFormat::Yaml,
            &SpecInputLimits::default(),
        )
        .expect_err("a positional dns in YAML was accepted");
        assert!(yaml.to_string().contains("expected an object"), "{yaml}");
    }

    #[test]
    fn integers_may_have_a_zero_fraction_and_nothing_else() {
        let spec = parse(
            r#"{"tenant_id": "acme", "resources": {"cpu": 1000.0, "memory": 1024, "storage": 2e3},
                "containers": [{"name": "web", "image": "x",
                                "ports": [{"container_port": 80.0, "host_port": null}],
                                "health_check": {"type": "tcp", "port": -1.0,
                                                 "interval_seconds": 10, "timeout_seconds": 2.0}}]}"#,
        )
        .expect("parses");
        assert_eq!((spec.resources.cpu, spec.resources.memory), (1000, 1024));
        assert_eq!(spec.resources.storage, Some(2000));
        assert_eq!(spec.containers[0].ports[0].container_port, 80);
        assert_eq!(spec.containers[0].ports[0].host_port, None);
        let check = spec.containers[0].health_check.as_ref().expect("a check");
        assert_eq!((check.port, check.timeout_seconds), (Some(-1), 2));

        for (value, expected) in [
            ("80.5", "expected an integer"),
            ("\"80\"", "expected an integer"),
            ("true", "expected an integer"),
            ("9223372036854775808", "from -2^63"),
            ("1e19", "from -2^63"),
            ("-1e19", "from -2^63"),
        ] {
            let err = parse(&format!(
                r#"{{"tenant_id": "acme", "resources": {{"cpu": {value}}}}}"#
            ))
            .expect_err(value);
            assert!(err.contains(expected), "{value}: {err}");
        }
        let min = parse(r#"{"tenant_id": "acme", "resources": {"cpu": -9223372036854775808}}"#)
            .expect("i64::MIN parses");
        assert_eq!(min.resources.cpu, i64::MIN);
    }

    #[test]
    fn objects_nulls_and_defaults_still_read() {
        let spec = parse(
            r#"{"tenant_id": "acme", "networking": {"dns": null},
                "containers": [{"name": "web", "image": "x", "health_check": null,
                                "ports": [{"container_port": 80}], "resources": {"cpu": 250}}],
                "secrets": [{"name": "db", "source": "vault", "key": "k"}]}"#,
        )
        .expect("parses");
        assert_eq!(spec.networking.dns, None);
        assert_eq!(spec.containers[0].ports[0].container_port, 80);
        assert_eq!(
            spec.containers[0].resources.as_ref().map(|r| r.cpu),
            Some(250)
        );
        assert_eq!(spec.secrets[0].name, "db");
        let spec = parse(r#"{"tenant_id": "acme"}"#).expect("parses");
        assert!(spec.containers.is_empty() && spec.networking.dns.is_none());
    }
}
