//! How the hand-written helpers (pagination, state, get-or-create, upload, typed tables)
//! report what they detect themselves, as a [`botpress::Error`](crate::Error):
//! - bad input, found before any request is sent (an empty id, a state payload that is not a
//!   JSON object, empty upload content, a filter on a column the table does not have), and a
//!   pagination cursor that came back twice (the client refuses to follow it): kind
//!   [`ErrorKind::InvalidRequest`](crate::ErrorKind::InvalidRequest), with a message that
//!   says what to fix;
//! - a value from the service that does not fit the requested Rust type (a state payload or
//!   a table row): kind [`ErrorKind::InvalidResponse`](crate::ErrorKind::InvalidResponse),
//!   with the JSON that did not fit as [`raw_body`](crate::Error::raw_body).
use bytes::Bytes;
use serde_json::Value;

use crate::Error;

pub(crate) use crate::input::json_kind;

/// An [`ErrorKind::InvalidRequest`](crate::ErrorKind::InvalidRequest) error with `message`.
pub(crate) fn invalid_input(message: impl Into<String>) -> Error {
    Error::invalid_request(message)
}

/// Fails with [`invalid_input`] when `value` is empty or blank.
pub(crate) fn require_non_empty(what: &str, value: &str) -> crate::Result<()> {
    if value.trim().is_empty() {
        return Err(invalid_input(format!("{what} must not be empty")));
    }
    Ok(())
}

/// `value` decoded as `T`, or an
/// [`ErrorKind::InvalidResponse`](crate::ErrorKind::InvalidResponse) error naming `what`
/// and the type, with `value` as the raw body.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(what: &str, value: Value) -> crate::Result<T> {
    let raw = Bytes::from(value.to_string());
    serde_json::from_value(value).map_err(|e| {
        Error::invalid_response(
            format!("{what} does not fit `{}`: {e}", std::any::type_name::<T>()),
            Some(raw),
        )
    })
}
