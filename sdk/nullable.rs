//! [`Nullable`]: the one null model of the request types.
//!
//! Botpress gives an explicit `null` its own meaning on some request fields: `updateUser`'s
//! `name: null` clears the name, `setStateExpiry`'s `expiry: null` removes the expiry,
//! `setState`'s `payload: null` deletes the state, a table's `keyColumn: null` drops the key
//! index, `updateFileMetadata`'s `expiresAt: null` removes the expiry and a tag set to `null`
//! deletes that tag. Every such field, and every such map value, is a `Nullable<T>`, and
//! there is one way to write each of its states:
//!
//! | state | setter | field value | on the wire |
//! |---|---|---|---|
//! | absent (leave unchanged) | not called, or `set_name(None)` | `None` | field left out |
//! | `null` (clear) | `.name(Nullable::Null)` | `Some(Nullable::Null)` | `"name": null` |
//! | a value | `.name("Ada")` | `Some(Nullable::Value(..))` | `"name": "Ada"` |
//!
//! A required nullable field (`setStateExpiry`'s `expiry`) is a `Nullable<T>` that must be
//! set, to a value or to `Nullable::Null`. Maps whose values may be `null` are
//! `BTreeMap<String, Nullable<String>>`: `.tags([("keep", "v".into()), ("drop", Nullable::Null)])`.
//!
//! ```
//! use botpress::Nullable;
//! let clear: Nullable<String> = Nullable::Null;
//! assert_eq!(serde_json::to_string(&clear).unwrap(), "null");
//! let set: Nullable<String> = "Ada".into();
//! assert_eq!(serde_json::to_string(&set).unwrap(), "\"Ada\"");
//! ```
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A value or an explicit `null`; see the [module docs](self).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Nullable<T> {
    /// Send `null`.
    Null,
    /// Send this value.
    Value(T),
}

impl<T> Nullable<T> {
    /// The value, if any.
    pub fn as_option(&self) -> Option<&T> {
        match self {
            Self::Null => None,
            Self::Value(v) => Some(v),
        }
    }

    /// Converts into an `Option`, `Null` becoming `None`.
    pub fn into_option(self) -> Option<T> {
        match self {
            Self::Null => None,
            Self::Value(v) => Some(v),
        }
    }
}

impl<T> From<T> for Nullable<T> {
    fn from(value: T) -> Self {
        Self::Value(value)
    }
}

impl From<&str> for Nullable<String> {
    fn from(value: &str) -> Self {
        Self::Value(value.to_owned())
    }
}

impl From<i32> for Nullable<i64> {
    fn from(value: i32) -> Self {
        Self::Value(value.into())
    }
}

impl From<u32> for Nullable<i64> {
    fn from(value: u32) -> Self {
        Self::Value(value.into())
    }
}

impl<T: Serialize> Serialize for Nullable<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Null => s.serialize_none(),
            Self::Value(v) => s.serialize_some(v),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Nullable<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Option::<T>::deserialize(d)?.map_or(Self::Null, Self::Value))
    }
}

/// Decodes an `Option<Nullable<T>>` field that is present: `null` becomes
/// `Some(Nullable::Null)` (serde's own `Option` decoding would make it `None`). The generated
/// types use it with `#[serde(default)]`, so an absent field stays `None`.
///
/// ```
/// use botpress::Nullable;
/// #[derive(serde::Deserialize)]
/// struct Body {
///     #[serde(default, deserialize_with = "botpress::nullable::deserialize_present")]
///     name: Option<Nullable<String>>,
/// }
/// let null: Body = serde_json::from_str(r#"{"name":null}"#).unwrap();
/// assert_eq!(null.name, Some(Nullable::Null));
/// let absent: Body = serde_json::from_str("{}").unwrap();
/// assert_eq!(absent.name, None);
/// ```
pub fn deserialize_present<'de, D, T>(d: D) -> Result<Option<Nullable<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Nullable::deserialize(d).map(Some)
}
