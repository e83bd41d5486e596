//! What setters take, and what `build()` reports.
//!
//! Every builder setter follows one set of conventions (strings from `impl Into<String>`,
//! JSON from anything `Serialize`, lists and maps from iterators, nested request types from
//! the type or its builder; see [`crate::types`]). A conversion that can fail, such as a
//! value that does not serialize to a JSON object where the API wants one, is kept as the
//! builder's first problem and reported, with the field's wire path, by `build()` or by the
//! operation's `send()` (as an [`ErrorKind::InvalidRequest`](crate::ErrorKind::InvalidRequest)
//! error naming the operation), before anything is sent.
use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::Nullable;

/// Why a request type could not be built: a required field left unset, or a value that did
/// not convert. [`BuildError::field`] is the field's wire path (`schedule.dateTime`,
/// `rows[2].id`).
///
/// ```
/// let err = botpress::types::CreateWorkflowBody::builder().name("onboarding").build().unwrap_err();
/// assert_eq!(err.field(), "status");
/// assert_eq!(err.to_string(), "missing required field `status`");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildError {
    field: String,
    problem: Option<String>,
}

impl BuildError {
    pub(crate) fn missing(field: &str) -> Self {
        Self {
            field: field.to_owned(),
            problem: None,
        }
    }

    pub(crate) fn invalid(field: &str, problem: String) -> Self {
        Self {
            field: field.to_owned(),
            problem: Some(problem),
        }
    }

    /// The same error for a field nested in `parent`.
    pub(crate) fn within(mut self, parent: &str) -> Self {
        self.field = if self.field.starts_with('[') {
            format!("{parent}{}", self.field)
        } else {
            format!("{parent}.{}", self.field)
        };
        self
    }

    /// The wire path of the field at fault.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// `true` when a required field was left unset (else a value did not convert).
    pub fn is_missing(&self) -> bool {
        self.problem.is_none()
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.problem {
            None => write!(f, "missing required field `{}`", self.field),
            Some(problem) => write!(f, "field `{}`: {problem}", self.field),
        }
    }
}

impl std::error::Error for BuildError {}

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

/// `value` as any JSON value.
pub(crate) fn json_value(value: impl Serialize) -> Result<Value, String> {
    serde_json::to_value(value).map_err(|e| format!("does not serialize to JSON: {e}"))
}

/// `value` as a JSON object.
pub(crate) fn json_object(value: impl Serialize) -> Result<Map<String, Value>, String> {
    match json_value(value)? {
        Value::Object(map) => Ok(map),
        other => Err(format!(
            "must serialize to a JSON object, not {}",
            json_kind(&other)
        )),
    }
}

/// `value` as a JSON object, or `null` (a `None`, `Nullable::Null` or `json!(null)`).
pub(crate) fn nullable_object(
    value: impl Serialize,
) -> Result<Nullable<Map<String, Value>>, String> {
    match json_value(value)? {
        Value::Null => Ok(Nullable::Null),
        Value::Object(map) => Ok(Nullable::Value(map)),
        other => Err(format!(
            "must serialize to a JSON object or null, not {}",
            json_kind(&other)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn objects_and_nulls() {
        assert_eq!(json_object(json!({"a": 1})).unwrap()["a"], 1);
        assert_eq!(
            json_object(json!([1])).unwrap_err(),
            "must serialize to a JSON object, not an array"
        );
        assert_eq!(nullable_object(json!(null)).unwrap(), Nullable::Null);
        assert_eq!(
            nullable_object(Nullable::<Value>::Null).unwrap(),
            Nullable::Null
        );
        assert!(nullable_object("x").is_err());
    }

    #[test]
    fn nested_paths() {
        let e = BuildError::missing("dateTime").within("schedule");
        assert_eq!(e.to_string(), "missing required field `schedule.dateTime`");
        let e = BuildError::invalid("id", "bad".into())
            .within("[2]")
            .within("rows");
        assert_eq!(e.field(), "rows[2].id");
    }
}
