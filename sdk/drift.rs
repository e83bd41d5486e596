//! Drift visibility: reports what a response carries that the OpenAPI document does not
//! describe (the behaviour users see is documented in [`crate::trace`]).
//!
//! How: when the target `botpress::drift` is enabled at `DEBUG`, [`decode`] wraps serde_json's
//! deserializer in a watcher ([`Watch`]) that follows the place of each value as a path of
//! stack-borrowed steps ([`Path`]), borrowing each struct field's name from the body as it is
//! read, and reports when the derived `Deserialize` of a struct skips a field (serde does
//! that through `deserialize_ignored_any`, which nothing else calls). Open enums call
//! [`unknown_enum_value`] when they decode as `Unknown`; that reports only while a response
//! is being decoded here. Reports are deduplicated, by operation and field (or enum and
//! value), in one process-wide set of at most [`MAX_REPORTS`] entries, touched only when
//! there is something to report. When the target is disabled, [`decode`] is
//! `serde_json::from_slice`.

use std::cell::Cell;
use std::collections::HashSet;
use std::fmt;
use std::sync::{Mutex, OnceLock};

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// The `tracing` target of the drift events.
const TARGET: &str = "botpress::drift";

/// At most this many distinct reports per process (a service sending ever new field names
/// cannot grow the memory kept to deduplicate them without bound).
const MAX_REPORTS: usize = 1024;

thread_local! {
    /// The operation whose response this thread is decoding with drift visibility on.
    static DECODING: Cell<Option<&'static str>> = const { Cell::new(None) };
}

/// Whether drift events would be recorded.
fn enabled() -> bool {
    tracing::enabled!(target: TARGET, tracing::Level::DEBUG)
}

/// Decodes the JSON `body` of a response of `operation` as `T`, reporting what the document
/// does not describe when the drift target is enabled.
pub(crate) fn decode<'de, T: de::Deserialize<'de>>(
    operation: &'static str,
    body: &'de [u8],
) -> serde_json::Result<T> {
    if !enabled() {
        return serde_json::from_slice(body);
    }
    let _decoding = Decoding::enter(operation);
    let mut json = serde_json::Deserializer::from_slice(body);
    let value = T::deserialize(Watch {
        inner: &mut json,
        at: At {
            operation,
            path: &Path::Root,
        },
    })?;
    json.end()?;
    Ok(value)
}

/// Called by an open enum's `Deserialize` when `value` is none of the values the document
/// lists for `enum_name`; reported when decoding a response with drift visibility on.
pub(crate) fn unknown_enum_value(enum_name: &'static str, value: &str) {
    if let Some(operation) = DECODING.with(Cell::get) {
        report(operation, Report::Value(enum_name, value));
    }
}

/// Marks this thread as decoding a response of one operation, until dropped.
struct Decoding(Option<&'static str>);

impl Decoding {
    fn enter(operation: &'static str) -> Self {
        Decoding(DECODING.with(|d| d.replace(Some(operation))))
    }
}

impl Drop for Decoding {
    fn drop(&mut self) {
        DECODING.with(|d| d.set(self.0));
    }
}

/// What the document does not describe.
enum Report<'a> {
    Field(&'a Path<'a>),
    Value(&'static str, &'a str),
}

/// Emits the event for `what` in a response of `operation`, the first time only.
///
/// Only called while [`decode`] watches a response, that is with the target enabled.
fn report(operation: &'static str, what: Report<'_>) {
    let key = match &what {
        Report::Field(path) => format!("{operation} {path}"),
        Report::Value(name, value) => format!("{operation} {name}={value}"),
    };
    static SEEN: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    {
        let mut seen = SEEN
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if seen.len() >= MAX_REPORTS || !seen.insert(key) {
            return;
        }
    }
    match what {
        Report::Field(path) => tracing::debug!(
            target: TARGET,
            operation,
            field = %path,
            "response field not in the OpenAPI document"
        ),
        Report::Value(name, value) => tracing::debug!(
            target: TARGET,
            operation,
            r#enum = name,
            value,
            "enum value not in the OpenAPI document"
        ),
    }
}

/// Where in a response a value is: a list of steps from the top, each borrowing its
/// parent from the stack of the decoder.
enum Path<'a> {
    Root,
    Field(&'a Path<'a>, &'a str),
    Item(&'a Path<'a>),
    Entry(&'a Path<'a>),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Field(parent, name) => {
                parent.fmt(f)?;
                if !matches!(parent, Path::Root) {
                    f.write_str(".")?;
                }
                f.write_str(name)
            }
            Path::Item(parent) => write!(f, "{parent}[]"),
            Path::Entry(parent) => match parent {
                Path::Root => f.write_str("*"),
                _ => write!(f, "{parent}.*"),
            },
        }
    }
}

/// The operation and the place of the value being decoded.
#[derive(Clone, Copy)]
struct At<'a> {
    operation: &'static str,
    path: &'a Path<'a>,
}

/// A field name as read: borrowed from the body, or copied when it had escapes.
enum Key<'de> {
    Borrowed(&'de str),
    Copied(String),
}

impl Key<'_> {
    fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(s) => s,
            Key::Copied(s) => s,
        }
    }
}

/// The deserializer of a value at `at`: forwards to `inner`, watching maps, sequences and
/// skipped fields.
struct Watch<'a, D> {
    inner: D,
    at: At<'a>,
}

/// Forwards `deserialize_*` methods to the inner deserializer; `$wrap` takes `self` and the
/// visitor and gives the inner deserializer and the visitor to hand it.
macro_rules! forward {
    ($wrap:expr; $($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
                #[allow(clippy::redundant_closure_call)]
                let (inner, visitor) = ($wrap)(self, visitor);
                inner.$method($($arg,)* visitor)
            }
        )*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Watch<'_, D> {
    type Error = D::Error;

    // The values that may hold an object: watched.
    forward! { |this: Self, visitor| (
            this.inner,
            Watcher {
                inner: visitor,
                at: this.at,
                named: false,
            },
        );
        deserialize_any(); deserialize_option(); deserialize_newtype_struct(name: &'static str);
        deserialize_seq(); deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize); deserialize_map();
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
    }

    // The scalars: read as they are.
    forward! { |this: Self, visitor| (this.inner, visitor);
        deserialize_bool(); deserialize_i8(); deserialize_i16(); deserialize_i32();
        deserialize_i64(); deserialize_i128(); deserialize_u8(); deserialize_u16();
        deserialize_u32(); deserialize_u64(); deserialize_u128(); deserialize_f32();
        deserialize_f64(); deserialize_char(); deserialize_str(); deserialize_string();
        deserialize_bytes(); deserialize_byte_buf(); deserialize_unit();
        deserialize_unit_struct(name: &'static str); deserialize_identifier();
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let visitor = Watcher {
            inner: visitor,
            at: self.at,
            named: true,
        };
        self.inner.deserialize_struct(name, fields, visitor)
    }

    /// A value the type does not read: a field the document does not describe.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        report(self.at.operation, Report::Field(self.at.path));
        self.inner.deserialize_ignored_any(visitor)
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

/// A visitor that watches the maps and sequences it is given.
struct Watcher<'a, V> {
    inner: V,
    at: At<'a>,
    /// Whether the map visited is a struct (its keys are field names, not data).
    named: bool,
}

/// Forwards `visit_*` methods of scalars to `self.inner`.
macro_rules! forward_visits {
    ($($method:ident($ty:ty);)*) => {
        $(
            fn $method<E: de::Error>(self, v: $ty) -> Result<Self::Value, E> {
                self.inner.$method(v)
            }
        )*
    };
}

/// The scalar `visit_*` methods but those of strings.
macro_rules! scalar_visits {
    () => {
        forward_visits! {
            visit_bool(bool); visit_i8(i8); visit_i16(i16); visit_i32(i32); visit_i64(i64);
            visit_i128(i128); visit_u8(u8); visit_u16(u16); visit_u32(u32); visit_u64(u64);
            visit_u128(u128); visit_f32(f32); visit_f64(f64); visit_char(char);
            visit_bytes(&[u8]); visit_borrowed_bytes(&'de [u8]); visit_byte_buf(Vec<u8>);
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            self.inner.visit_none()
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            self.inner.visit_unit()
        }
        fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
            self.inner.visit_enum(data)
        }
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.inner.expecting(f)
        }
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Watcher<'_, V> {
    type Value = V::Value;

    scalar_visits!();
    forward_visits! { visit_str(&str); visit_borrowed_str(&'de str); visit_string(String); }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.inner.visit_some(Watch {
            inner: d,
            at: self.at,
        })
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.inner.visit_newtype_struct(Watch {
            inner: d,
            at: self.at,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.inner.visit_seq(WatchSeq {
            inner: seq,
            at: self.at,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.inner.visit_map(WatchMap {
            inner: map,
            at: self.at,
            named: self.named,
            key: None,
        })
    }
}

/// The items of an array, each watched at `at[]`.
struct WatchSeq<'a, A> {
    inner: A,
    at: At<'a>,
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for WatchSeq<'_, A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        let path = Path::Item(self.at.path);
        self.inner.next_element_seed(Watched {
            inner: seed,
            at: At {
                path: &path,
                ..self.at
            },
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

/// The entries of an object, each value watched at `at.<key>` (a struct's field) or `at.*`
/// (a map's entry).
struct WatchMap<'a, 'de, A> {
    inner: A,
    at: At<'a>,
    named: bool,
    key: Option<Key<'de>>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for WatchMap<'_, 'de, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        if !self.named {
            return self.inner.next_key_seed(seed);
        }
        self.key = None;
        self.inner.next_key_seed(Capture {
            inner: seed,
            key: &mut self.key,
        })
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        // Only a struct's keys are kept.
        let path = match &self.key {
            Some(key) => Path::Field(self.at.path, key.as_str()),
            None => Path::Entry(self.at.path),
        };
        self.inner.next_value_seed(Watched {
            inner: seed,
            at: At {
                path: &path,
                ..self.at
            },
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

/// A seed whose value is watched at `at`.
struct Watched<'a, T> {
    inner: T,
    at: At<'a>,
}

impl<'de, T: DeserializeSeed<'de>> DeserializeSeed<'de> for Watched<'_, T> {
    type Value = T::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T::Value, D::Error> {
        self.inner.deserialize(Watch {
            inner: d,
            at: self.at,
        })
    }
}

/// A seed of a struct's key that keeps the name it reads in `key`.
struct Capture<'k, 'de, T> {
    inner: T,
    key: &'k mut Option<Key<'de>>,
}

impl<'de, T: DeserializeSeed<'de>> DeserializeSeed<'de> for Capture<'_, 'de, T> {
    type Value = T::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T::Value, D::Error> {
        self.inner.deserialize(CaptureKey {
            inner: d,
            key: self.key,
        })
    }
}

/// The deserializer of a struct's key: forwards to `inner`, keeping the name read.
struct CaptureKey<'k, 'de, D> {
    inner: D,
    key: &'k mut Option<Key<'de>>,
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for CaptureKey<'_, 'de, D> {
    type Error = D::Error;

    // The ways a name is read: kept.
    forward! { |this: Self, visitor| (
            this.inner,
            CaptureName {
                inner: visitor,
                key: this.key,
            },
        );
        deserialize_any(); deserialize_str(); deserialize_string(); deserialize_identifier();
    }

    // The others (a key read as a number, …): as they are.
    forward! { |this: Self, visitor| (this.inner, visitor);
        deserialize_bool(); deserialize_i8(); deserialize_i16(); deserialize_i32();
        deserialize_i64(); deserialize_i128(); deserialize_u8(); deserialize_u16();
        deserialize_u32(); deserialize_u64(); deserialize_u128(); deserialize_f32();
        deserialize_f64(); deserialize_char(); deserialize_bytes(); deserialize_byte_buf();
        deserialize_option(); deserialize_unit(); deserialize_unit_struct(name: &'static str);
        deserialize_newtype_struct(name: &'static str); deserialize_seq();
        deserialize_tuple(len: usize); deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_map();
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner.deserialize_struct(name, fields, visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_ignored_any(visitor)
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

/// The visitor of a struct's key: keeps the name it is given, borrowed when it can be.
struct CaptureName<'k, 'de, V> {
    inner: V,
    key: &'k mut Option<Key<'de>>,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for CaptureName<'_, 'de, V> {
    type Value = V::Value;

    scalar_visits!();

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<V::Value, E> {
        *self.key = Some(Key::Borrowed(v));
        self.inner.visit_borrowed_str(v)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<V::Value, E> {
        *self.key = Some(Key::Copied(v.to_owned()));
        self.inner.visit_str(v)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<V::Value, E> {
        *self.key = Some(Key::Copied(v.clone()));
        self.inner.visit_string(v)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.inner.visit_some(d)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.inner.visit_newtype_struct(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.inner.visit_seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.inner.visit_map(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_as_the_events_write_them() {
        let root = Path::Root;
        let rows = Path::Field(&root, "rows");
        let item = Path::Item(&rows);
        let computed = Path::Field(&item, "computed");
        let entry = Path::Entry(&computed);
        let field = Path::Field(&entry, "someFutureField");
        assert_eq!(field.to_string(), "rows[].computed.*.someFutureField");
        assert_eq!(Path::Field(&root, "top").to_string(), "top");
        assert_eq!(Path::Entry(&root).to_string(), "*");
        assert_eq!(Path::Item(&root).to_string(), "[]");
    }

    #[test]
    fn decoding_is_the_same_with_or_without_the_watcher() {
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Inner {
            a: Option<Vec<i64>>,
            #[serde(default)]
            b: std::collections::BTreeMap<String, String>,
        }
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Outer {
            inner: Inner,
            #[serde(rename = "list")]
            items: Vec<Inner>,
            text: std::borrow::Cow<'static, str>,
        }
        let body = br#"{"inner":{"a":[1,2],"b":{"k":"v"},"x":[{}]},"list":[{"a":null}],"text":"t\u00e9","y":1}"#;
        let plain: Outer = serde_json::from_slice(body).unwrap();
        let mut json = serde_json::Deserializer::from_slice(body);
        let watched = <Outer as de::Deserialize>::deserialize(Watch {
            inner: &mut json,
            at: At {
                operation: "test",
                path: &Path::Root,
            },
        })
        .unwrap();
        assert_eq!(watched, plain);
    }
}
