//! Decoding of the service's timestamps.
//!
//! Every date in a Botpress response is an RFC 3339 UTC timestamp such as
//! `2024-05-01T12:30:00.123Z`. chrono's general parser handles any RFC 3339 form but costs
//! about 2,000 instructions a value, a measurable share of a small request's decoding. The
//! generated types therefore decode their `DateTime<Utc>` fields with [`deserialize`] (and
//! optional ones with [`deserialize_option`]; `build.rs` adds the attributes): the common
//! `YYYY-MM-DDTHH:MM:SS[.fraction]Z` form is read directly, and anything else (offsets,
//! lowercase separators, leap seconds, …) goes to chrono's parser, so the result is always
//! exactly what chrono yields.
//!
//! Timestamps are written with milliseconds, `2024-05-01T12:30:00.000Z`, as JavaScript's
//! `Date.prototype.toISOString()` writes them (what the official client sends); a finer
//! fraction is cut to the millisecond, as a JavaScript `Date` holds no more.

use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::Serializer;
use serde::de::{self, Deserializer, Visitor};

use crate::Nullable;

/// Reads `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z`; `None` for any other form (or an invalid date).
fn parse_fast(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
        return None;
    }
    if b[13] != b':' || b[16] != b':' || *b.last()? != b'Z' {
        return None;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let year = i32::try_from(digits(0..4)?).ok()?;
    let (month, day) = (digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    let nanos = match &b[19..b.len() - 1] {
        [] => 0,
        [b'.', fraction @ ..] if (1..=9).contains(&fraction.len()) => {
            let value = digits(20..b.len() - 1)?;
            value * 10u32.pow(9 - fraction.len() as u32)
        }
        _ => return None,
    };
    // Second 60 (a leap second) is left to chrono, which has its own rules for it.
    if second > 59 {
        return None;
    }
    Some(
        NaiveDate::from_ymd_opt(year, month, day)?
            .and_hms_nano_opt(hour, minute, second, nanos)?
            .and_utc(),
    )
}

/// Parses a timestamp exactly as chrono's `DateTime<Utc>` deserializer does.
fn parse(s: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    match parse_fast(s) {
        Some(t) => Ok(t),
        None => s
            .parse::<DateTime<FixedOffset>>()
            .map(|t| t.with_timezone(&Utc)),
    }
}

struct TimestampVisitor;

impl Visitor<'_> for TimestampVisitor {
    type Value = DateTime<Utc>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an RFC 3339 date and time string")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        parse(value).map_err(E::custom)
    }
}

/// Deserializes a `DateTime<Utc>` field (same results and errors as chrono's own impl).
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<DateTime<Utc>, D::Error> {
    deserializer.deserialize_str(TimestampVisitor)
}

/// Deserializes an `Option<DateTime<Utc>>` field: `null` is `None`.
pub(crate) fn deserialize_option<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    struct OptionVisitor;

    impl<'de> Visitor<'de> for OptionVisitor {
        type Value = Option<DateTime<Utc>>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an RFC 3339 date and time string or null")
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            deserialize(d).map(Some)
        }
    }

    deserializer.deserialize_option(OptionVisitor)
}

/// `Date.toISOString()`'s form: `YYYY-MM-DDTHH:MM:SS.mmmZ`.
const ISO_MILLIS: &str = "%Y-%m-%dT%H:%M:%S%.3fZ";

/// `at` as `Date.toISOString()` writes it.
pub(crate) fn format(at: &DateTime<Utc>) -> String {
    at.format(ISO_MILLIS).to_string()
}

/// Writes a timestamp with milliseconds (see the module docs).
pub(crate) fn serialize<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&at.format(ISO_MILLIS))
}

/// [`serialize`] for an optional field (`None` is skipped by the field's attributes).
pub(crate) fn serialize_option<S: Serializer>(
    at: &Option<DateTime<Utc>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => serialize(at, s),
        None => s.serialize_none(),
    }
}

/// [`serialize`] for a tri-state field.
pub(crate) fn serialize_nullable<S: Serializer>(
    at: &Nullable<DateTime<Utc>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match at {
        Nullable::Value(at) => serialize(at, s),
        Nullable::Null => s.serialize_none(),
    }
}

/// [`serialize`] for an optional tri-state field.
pub(crate) fn serialize_option_nullable<S: Serializer>(
    at: &Option<Nullable<DateTime<Utc>>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => serialize_nullable(at, s),
        None => s.serialize_none(),
    }
}

/// Reads a tri-state timestamp: `null` or a timestamp.
pub(crate) fn deserialize_nullable<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Nullable<DateTime<Utc>>, D::Error> {
    Ok(deserialize_option(d)?.map_or(Nullable::Null, Nullable::Value))
}

/// Reads an optional tri-state timestamp that is present: `null` is `Some(Nullable::Null)`.
pub(crate) fn deserialize_present_nullable<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Nullable<DateTime<Utc>>>, D::Error> {
    deserialize_nullable(d).map(Some)
}

#[cfg(test)]
mod tests {
    #[test]
    fn written_with_milliseconds() {
        let at = parse("2024-01-02T03:04:05.123456Z").unwrap();
        assert_eq!(format(&at), "2024-01-02T03:04:05.123Z");
        let whole = parse("2024-01-02T03:04:05Z").unwrap();
        let mut out = Vec::new();
        serialize(&whole, &mut serde_json::Serializer::new(&mut out)).unwrap();
        assert_eq!(out, b"\"2024-01-02T03:04:05.000Z\"");
    }

    use super::*;

    /// What chrono's own deserializer yields.
    fn chrono(s: &str) -> Option<DateTime<Utc>> {
        serde_json::from_value::<DateTime<Utc>>(serde_json::Value::from(s)).ok()
    }

    fn ours(s: &str) -> Option<DateTime<Utc>> {
        deserialize(serde_json::Value::from(s)).ok()
    }

    #[test]
    fn agrees_with_chrono() {
        let cases = [
            "2024-05-01T12:30:00Z",
            "2024-05-01T12:30:00.1Z",
            "2024-05-01T12:30:00.123Z",
            "2024-05-01T12:30:00.123456789Z",
            "2024-05-01T12:30:00.1234567890Z",
            "2024-02-29T23:59:59.999Z",
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-12-32T00:00:00Z",
            "2024-12-31T24:00:00Z",
            "2024-12-31T23:60:00Z",
            "2016-12-31T23:59:60Z",
            "2024-05-01T12:30:00+02:00",
            "2024-05-01T12:30:00.5-07:30",
            "2024-05-01t12:30:00z",
            "2024-05-01 12:30:00Z",
            "2024-05-01T12:30:00.Z",
            "2024-05-01T12:30Z",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999999Z",
            "2024-05-01T12:30:00",
            "2024-5-01T12:30:00Z",
            "+2024-05-01T12:30:00Z",
            "2024-05-01T1a:30:00Z",
            "",
            "Z",
        ];
        for s in cases {
            assert_eq!(ours(s), chrono(s), "{s:?}");
        }
        assert!(parse_fast("2024-05-01T12:30:00.123Z").is_some());
        assert!(parse_fast("2024-05-01T12:30:00+02:00").is_none());
    }

    #[test]
    fn fast_path_agrees_with_chrono_over_many_values() {
        // A deterministic sweep over dates, times and fraction lengths.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for _ in 0..20_000 {
            let fraction = match next(11) {
                0 => String::new(),
                len => format!(
                    ".{:0width$}",
                    next(10u64.pow(len.min(9) as u32)),
                    width = len as usize
                ),
            };
            let s = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{fraction}Z",
                next(10_000),
                next(14),
                next(33),
                next(26),
                next(62),
                next(62)
            );
            assert_eq!(ours(&s), chrono(&s), "{s:?}");
        }
    }

    #[test]
    fn errors_name_the_problem() {
        let e = deserialize(serde_json::Value::from("yesterday")).expect_err("invalid");
        assert!(
            e.to_string().contains("input contains invalid characters"),
            "{e}"
        );
        let e = deserialize(serde_json::Value::from(5)).expect_err("not a string");
        assert!(e.to_string().contains("RFC 3339"), "{e}");
    }

    #[test]
    fn optional_fields() {
        #[derive(serde::Deserialize)]
        struct T {
            #[serde(default, deserialize_with = "deserialize_option")]
            at: Option<DateTime<Utc>>,
        }
        let t: T = serde_json::from_str(r#"{"at":null}"#).expect("null");
        assert_eq!(t.at, None);
        let t: T = serde_json::from_str("{}").expect("absent");
        assert_eq!(t.at, None);
        let t: T = serde_json::from_str(r#"{"at":"2024-05-01T12:30:00.5Z"}"#).expect("value");
        assert_eq!(t.at, chrono("2024-05-01T12:30:00.5Z"));
    }
}
