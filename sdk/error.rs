//! Typed errors: one [`Error`] for every failure, classified by [`ErrorKind`].
//!
//! Every generated operation's `send()` returns
//! `Result<ResponseValue<T>, progenitor_client::Error<types::Error>>`. That error can be
//! inspected directly through the [`ErrorExt`] trait (in [`crate::prelude`]), or turned into a
//! [`botpress::Error`](Error) with `?`:
//!
//! ```no_run
//! use botpress::prelude::*;
//!
//! # async fn demo(client: &Client) -> botpress::Result<()> {
//! // Match the kind directly on what `send()` returns…
//! match client.get_conversation().id("conv_1").send().await {
//!     Ok(found) => println!("{:?}", found.conversation),
//!     Err(e) if e.kind() == ErrorKind::ResourceNotFound => println!("no such conversation"),
//!     Err(e) => return Err(e.into()),
//! }
//! // …or propagate it with `?` as a `botpress::Error`.
//! let user = client.get_user().id("user_1").send().await?;
//! # let _ = user; Ok(())
//! # }
//! ```
//!
//! # Classification
//! - A Botpress error body `{id, code, type, message, metadata?}` is classified by its `type`:
//!   the 26 types of the service's catalogue ([`API_ERROR_TYPES`]) each have a variant; a type
//!   this SDK does not know, and the service's own `Unknown` type, are
//!   [`ErrorKind::Unknown`] carrying the type name (the official client also folds unknown
//!   types into its `Unknown` class).
//! - An error response whose body is *not* that shape (an HTML page from a proxy, an empty
//!   body, the documented rate-limiter body `{"type":"RateLimited","description":…,"status":429}`)
//!   is classified by its HTTP status: 429 is [`ErrorKind::RateLimited`], anything else
//!   [`ErrorKind::InvalidResponse`]; [`Error::raw_body`] keeps the body as received. (The
//!   transport rewrites such bodies into the standard shape so the generated code keeps the
//!   status and headers; see [`crate::transport`].)
//! - Failures without a response are transport kinds: [`ErrorKind::Connect`] (the connection
//!   could not be established: refused, DNS, TLS, connect timeout; the request was not sent),
//!   [`ErrorKind::Timeout`] (an attempt's timeout or the total deadline elapsed),
//!   [`ErrorKind::Network`] (the connection failed after it was established),
//!   [`ErrorKind::InvalidResponse`] (a success body that does not decode),
//!   [`ErrorKind::InvalidRequest`] (a request the client refused to send) and
//!   [`ErrorKind::Config`] (see [`crate::ConfigError`]).

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;

use bytes::Bytes;
use serde_json::{Map, Value};

use crate::config::ConfigError;
use crate::types;

/// What `send()` returns on failure: progenitor's error with the Botpress error body.
pub type SendError = progenitor_client::Error<types::Error>;

/// `Result` with [`botpress::Error`](Error).
pub type Result<T, E = Error> = std::result::Result<T, E>;

macro_rules! api_error_types {
    ($($variant:ident = $status:literal: $doc:literal;)*) => {
        /// The class of a failure: one of the Botpress error types, or a transport kind.
        ///
        /// Marked `#[non_exhaustive]`: match with a wildcard arm. Compare with `==` or
        /// `matches!`; [`ErrorKind::as_str`] gives the Botpress type name.
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorKind {
            $(
                #[doc = concat!("`", stringify!($variant), "` (HTTP ", stringify!($status), "): ", $doc)]
                $variant,
            )*
            /// `Unknown` (HTTP 500): the service's own "unknown error" type (`Unknown("Unknown")`),
            /// or a type this version of the SDK does not know, carrying its name.
            Unknown(String),
            /// The connection could not be established (refused, DNS, TLS, connect timeout).
            /// The request was not sent.
            Connect,
            /// An attempt's timeout or the client's total deadline elapsed.
            Timeout,
            /// The connection failed after it was established (reset, closed early), or the
            /// response body could not be read. The request may have reached the server.
            Network,
            /// The response could not be understood: a success body that does not decode, an
            /// error body that is not a Botpress error (see [`Error::raw_body`]), or an HTTP
            /// status the operation does not declare.
            InvalidResponse,
            /// The client refused to send the request (a required builder field is missing, or
            /// an identity header set with `with_*` is not a valid header value).
            InvalidRequest,
            /// The client configuration is invalid (see [`crate::ConfigError`]).
            Config,
        }

        /// The Botpress error catalogue: every error type with its HTTP status (26 entries,
        /// from `@botpress/api`'s `errors[]`).
        pub const API_ERROR_TYPES: [(&str, u16); 26] = [
            ("Unknown", 500),
            $((stringify!($variant), $status),)*
        ];

        impl ErrorKind {
            /// The kind for a Botpress error `type` (`"ResourceNotFound"` →
            /// [`ErrorKind::ResourceNotFound`]); any other string is [`ErrorKind::Unknown`].
            pub fn from_type(error_type: &str) -> Self {
                match error_type {
                    $(stringify!($variant) => Self::$variant,)*
                    other => Self::Unknown(other.to_owned()),
                }
            }

            /// The name of the kind: the Botpress type name for API kinds (the carried name for
            /// [`ErrorKind::Unknown`]), the variant name for transport kinds.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => stringify!($variant),)*
                    Self::Unknown(name) => name,
                    Self::Connect => "Connect",
                    Self::Timeout => "Timeout",
                    Self::Network => "Network",
                    Self::InvalidResponse => "InvalidResponse",
                    Self::InvalidRequest => "InvalidRequest",
                    Self::Config => "Config",
                }
            }

            /// The HTTP status the catalogue gives this Botpress error type (500 for
            /// [`ErrorKind::Unknown`]); `None` for transport kinds.
            pub fn api_status(&self) -> Option<u16> {
                match self {
                    $(Self::$variant => Some($status),)*
                    Self::Unknown(_) => Some(500),
                    _ => None,
                }
            }
        }
    };
}

api_error_types! {
    Internal = 500: "internal error.";
    Unauthorized = 401: "authentication required (missing or invalid token).";
    Forbidden = 403: "the action is not allowed for this resource.";
    PayloadTooLarge = 413: "the payload is too large.";
    InvalidPayload = 400: "the payload is invalid.";
    UnsupportedMediaType = 415: "the content type is not supported.";
    MethodNotFound = 405: "the method does not exist.";
    ResourceNotFound = 404: "the resource does not exist.";
    InvalidJsonSchema = 400: "the provided JSON schema is invalid.";
    InvalidDataFormat = 400: "the data does not match the JSON schema.";
    InvalidIdentifier = 400: "an identifier must start with a lowercase letter and hold 2 to 100 alphanumeric characters.";
    RelationConflict = 409: "the two referenced resources are not linked.";
    ReferenceConstraint = 409: "the resource cannot be deleted: another resource references it.";
    ResourceLockedConflict = 409: "the resource is locked until the lock is released (retried by default).";
    ResourceGone = 410: "the resource is no longer available.";
    ReferenceNotFound = 400: "an id referenced in the payload does not exist.";
    InvalidQuery = 400: "a query parameter is invalid.";
    Runtime = 400: "an error occurred while executing a bot or integration.";
    AlreadyExists = 409: "the record already exists.";
    RateLimited = 429: "too many requests (retried by default, after the delay the server asks for).";
    PaymentRequired = 402: "payment required.";
    QuotaExceeded = 403: "a quota (soft limit, can be raised) is exceeded.";
    LimitExceeded = 413: "a hard limit is exceeded.";
    BreakingChanges = 400: "breaking changes without a version increment.";
    OperationTimeout = 504: "the operation timed out on the server.";
}

impl ErrorKind {
    /// `true` for the Botpress error types (including [`ErrorKind::Unknown`]), `false` for
    /// transport and client-side kinds.
    pub fn is_api(&self) -> bool {
        self.api_status().is_some()
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Response headers that carry a request id, in the order they are looked up.
pub const REQUEST_ID_HEADERS: [&str; 2] = ["x-request-id", "x-amzn-requestid"];

/// Marker header the transport puts on an error response whose body it rewrote into the
/// standard shape because the server's body was not a Botpress error.
pub(crate) const SYNTHESIZED_HEADER: &str = "x-botpress-sdk-synthesized";
/// Key of the synthesized body's `metadata` holding the body as received.
pub(crate) const RAW_BODY_KEY: &str = "rawBody";

/// The request id of a response, from the first of [`REQUEST_ID_HEADERS`] present.
pub(crate) fn request_id(headers: &reqwest::header::HeaderMap) -> Option<&str> {
    REQUEST_ID_HEADERS
        .iter()
        .find_map(|name| headers.get(*name)?.to_str().ok())
}

/// The kind of a transport failure reported by reqwest.
///
/// reqwest reports a response body that could not be read (the connection closed or was reset
/// before the declared length arrived) as a "decode" error; that is a [`ErrorKind::Network`]
/// failure, not an [`ErrorKind::InvalidResponse`] (bodies that arrive whole but do not decode
/// are `InvalidResponsePayload`, classified separately).
fn transport_kind(e: &reqwest::Error) -> ErrorKind {
    if e.is_connect() {
        ErrorKind::Connect
    } else if e.is_timeout() {
        ErrorKind::Timeout
    } else if e.is_builder() {
        ErrorKind::InvalidRequest
    } else {
        ErrorKind::Network
    }
}

/// `e` and its sources, joined by `": "` (reqwest's own message omits the cause).
fn message_chain(e: &dyn StdError) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// Inspection of an error, implemented for what `send()` returns ([`SendError`]) and for
/// [`botpress::Error`](Error), so one can match on the kind without converting.
///
/// ```
/// use botpress::prelude::*;
///
/// fn describe(e: &impl ErrorExt) -> String {
///     match e.kind() {
///         ErrorKind::ResourceNotFound => "not found".into(),
///         ErrorKind::RateLimited | ErrorKind::Timeout => "try again later".into(),
///         other => format!("{other}: {}", e.message()),
///     }
/// }
/// ```
pub trait ErrorExt {
    /// The class of the failure.
    fn kind(&self) -> ErrorKind;
    /// The HTTP status of the response, when there was one.
    fn status_code(&self) -> Option<u16>;
    /// The Botpress error id (`err_…`), when the server sent one.
    fn id(&self) -> Option<&str>;
    /// A human-readable message: the server's, or a description of the transport failure.
    fn message(&self) -> Cow<'_, str>;
    /// The request id of the response (see [`REQUEST_ID_HEADERS`]), when present.
    fn request_id(&self) -> Option<&str>;
    /// The error's `metadata` object, when the server sent a non-empty one.
    fn metadata(&self) -> Option<&Map<String, Value>>;
    /// The response body as received, when it was not a Botpress error (an HTML page from a
    /// proxy, the rate limiter's body) or a success body failed to decode.
    fn raw_body(&self) -> Option<&[u8]>;
}

/// `true` when the transport rewrote this error body (see [`SYNTHESIZED_HEADER`]).
fn synthesized(rv: &progenitor_client::ResponseValue<types::Error>) -> bool {
    rv.headers().contains_key(SYNTHESIZED_HEADER)
}

impl ErrorExt for SendError {
    fn kind(&self) -> ErrorKind {
        use progenitor_client::Error as E;
        match self {
            E::ErrorResponse(rv) if synthesized(rv) => {
                if rv.status().as_u16() == 429 {
                    ErrorKind::RateLimited
                } else {
                    ErrorKind::InvalidResponse
                }
            }
            E::ErrorResponse(rv) => ErrorKind::from_type(&rv.type_),
            E::CommunicationError(e) | E::ResponseBodyError(e) | E::InvalidUpgrade(e) => {
                transport_kind(e)
            }
            E::InvalidResponsePayload(..) | E::UnexpectedResponse(_) => ErrorKind::InvalidResponse,
            // `Custom` only comes from hooks; this SDK's hooks refuse requests with it.
            E::InvalidRequest(_) | E::Custom(_) => ErrorKind::InvalidRequest,
        }
    }

    fn status_code(&self) -> Option<u16> {
        self.status().map(|s| s.as_u16())
    }

    fn id(&self) -> Option<&str> {
        match self {
            progenitor_client::Error::ErrorResponse(rv) if !synthesized(rv) => {
                Some(rv.id.as_str()).filter(|id| !id.is_empty())
            }
            _ => None,
        }
    }

    fn message(&self) -> Cow<'_, str> {
        use progenitor_client::Error as E;
        match self {
            E::ErrorResponse(rv) => Cow::Borrowed(&rv.message),
            E::InvalidRequest(m) | E::Custom(m) => Cow::Borrowed(m),
            E::CommunicationError(e) | E::ResponseBodyError(e) | E::InvalidUpgrade(e) => {
                Cow::Owned(message_chain(e))
            }
            E::InvalidResponsePayload(_, e) => {
                Cow::Owned(format!("the response body could not be decoded: {e}"))
            }
            E::UnexpectedResponse(r) => Cow::Owned(format!(
                "the operation does not declare HTTP status {}",
                r.status()
            )),
        }
    }

    fn request_id(&self) -> Option<&str> {
        match self {
            progenitor_client::Error::ErrorResponse(rv) => request_id(rv.headers()),
            progenitor_client::Error::UnexpectedResponse(r) => request_id(r.headers()),
            _ => None,
        }
    }

    fn metadata(&self) -> Option<&Map<String, Value>> {
        match self {
            progenitor_client::Error::ErrorResponse(rv) if !synthesized(rv) => {
                Some(&rv.metadata).filter(|m| !m.is_empty())
            }
            _ => None,
        }
    }

    fn raw_body(&self) -> Option<&[u8]> {
        match self {
            progenitor_client::Error::ErrorResponse(rv) if synthesized(rv) => rv
                .metadata
                .get(RAW_BODY_KEY)
                .and_then(Value::as_str)
                .map(str::as_bytes),
            progenitor_client::Error::InvalidResponsePayload(bytes, _) => Some(bytes),
            _ => None,
        }
    }
}

/// The error of every fallible call in this SDK. Cheap to move (one box).
///
/// Built from what `send()` returns with `?` or [`From`], and from a [`ConfigError`].
/// Never contains the token.
pub struct Error(Box<Inner>);

struct Inner {
    kind: ErrorKind,
    status: Option<u16>,
    id: Option<String>,
    message: String,
    request_id: Option<String>,
    metadata: Option<Map<String, Value>>,
    raw_body: Option<Bytes>,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

impl Error {
    /// The class of the failure.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind.clone()
    }

    /// The HTTP status of the response, when there was one.
    pub fn status(&self) -> Option<u16> {
        self.0.status
    }

    /// The Botpress error id (`err_…`), when the server sent one.
    pub fn id(&self) -> Option<&str> {
        self.0.id.as_deref()
    }

    /// A human-readable message: the server's, or a description of the failure.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The request id of the response (see [`REQUEST_ID_HEADERS`]), when present.
    pub fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }

    /// The error's `metadata` object, when the server sent a non-empty one.
    pub fn metadata(&self) -> Option<&Map<String, Value>> {
        self.0.metadata.as_ref()
    }

    /// The response body as received when it was not a Botpress error, or when a success body
    /// failed to decode.
    pub fn raw_body(&self) -> Option<&[u8]> {
        self.0.raw_body.as_deref()
    }
}

impl ErrorExt for Error {
    fn kind(&self) -> ErrorKind {
        Error::kind(self)
    }
    fn status_code(&self) -> Option<u16> {
        self.status()
    }
    fn id(&self) -> Option<&str> {
        Error::id(self)
    }
    fn message(&self) -> Cow<'_, str> {
        Cow::Borrowed(Error::message(self))
    }
    fn request_id(&self) -> Option<&str> {
        Error::request_id(self)
    }
    fn metadata(&self) -> Option<&Map<String, Value>> {
        Error::metadata(self)
    }
    fn raw_body(&self) -> Option<&[u8]> {
        Error::raw_body(self)
    }
}

impl From<SendError> for Error {
    fn from(e: SendError) -> Self {
        let mut inner = Inner {
            kind: e.kind(),
            status: e.status_code(),
            id: e.id().map(str::to_owned),
            message: e.message().into_owned(),
            request_id: e.request_id().map(str::to_owned),
            metadata: e.metadata().cloned(),
            raw_body: e.raw_body().map(Bytes::copy_from_slice),
            source: None,
        };
        use progenitor_client::Error as E;
        match e {
            E::CommunicationError(e) | E::ResponseBodyError(e) | E::InvalidUpgrade(e) => {
                inner.source = Some(Box::new(e));
            }
            E::InvalidResponsePayload(bytes, e) => {
                inner.raw_body = Some(bytes);
                inner.source = Some(Box::new(e));
            }
            _ => {}
        }
        Error(Box::new(inner))
    }
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Error(Box::new(Inner {
            kind: ErrorKind::Config,
            status: None,
            id: None,
            message: e.to_string(),
            request_id: None,
            metadata: None,
            raw_body: None,
            source: Some(Box::new(e)),
        }))
    }
}

impl fmt::Display for Error {
    /// `[Kind] message (HTTP 404, error id err_…, request id …)`, like the official client's
    /// `[type] message (Error ID: id)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.0.kind, self.0.message)?;
        let mut details = Vec::new();
        if let Some(status) = self.0.status {
            details.push(format!("HTTP {status}"));
        }
        if let Some(id) = &self.0.id {
            details.push(format!("error id {id}"));
        }
        if let Some(rid) = &self.0.request_id {
            details.push(format!("request id {rid}"));
        }
        if !details.is_empty() {
            write!(f, " ({})", details.join(", "))?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.0.kind)
            .field("status", &self.0.status)
            .field("id", &self.0.id)
            .field("message", &self.0.message)
            .field("request_id", &self.0.request_id)
            .field("metadata", &self.0.metadata)
            .field("raw_body", &self.0.raw_body.as_ref().map(|b| b.len()))
            .finish()
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|s| s as &(dyn StdError + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_round_trips_through_kinds() {
        for (name, status) in API_ERROR_TYPES {
            let kind = ErrorKind::from_type(name);
            assert_eq!(kind.as_str(), name);
            assert_eq!(kind.api_status(), Some(status), "{name}");
            assert!(kind.is_api());
        }
        assert_eq!(
            ErrorKind::from_type("Unknown"),
            ErrorKind::Unknown("Unknown".into())
        );
        assert_eq!(
            ErrorKind::from_type("MadeUpType"),
            ErrorKind::Unknown("MadeUpType".into())
        );
        assert_eq!(ErrorKind::Timeout.api_status(), None);
        let mut names: Vec<_> = API_ERROR_TYPES.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 26);
    }

    #[test]
    fn config_errors_convert_with_their_message() {
        let e = Error::from(ConfigError::Empty {
            setting: crate::config::Setting::Env("BP_TOKEN"),
        });
        assert_eq!(e.kind(), ErrorKind::Config);
        assert_eq!(e.to_string(), "[Config] `BP_TOKEN` is set but empty");
        assert!(e.source().is_some());
    }
}
