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
use crate::error::SendError;

/// An [`ErrorKind::InvalidRequest`](crate::ErrorKind::InvalidRequest) error with `message`.
pub(crate) fn invalid_input(message: impl Into<String>) -> Error {
    Error::from(SendError::InvalidRequest(message.into()))
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
        let e = serde::de::Error::custom(format!(
            "{what} does not fit `{}`: {e}",
            std::any::type_name::<T>()
        ));
        Error::from(SendError::InvalidResponsePayload(raw, e))
    })
}

/// The JSON type name of `value`, for messages.
pub(crate) fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
