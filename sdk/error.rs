//! Typed errors: one [`Error`] for every failure, classified by [`ErrorKind`].
//!
//! Every operation's `send()` returns [`botpress::Result<T>`](Result), so the kind can be
//! matched directly on what it returns, and `?` propagates it:
//!
//! ```no_run
//! use botpress::prelude::*;
//!
//! # async fn demo(client: &Client) -> botpress::Result<()> {
//! match client.get_conversation().id("conv_1").send().await {
//!     Ok(found) => println!("{:?}", found.conversation),
//!     Err(e) if e.kind() == ErrorKind::ResourceNotFound => println!("no such conversation"),
//!     Err(e) => return Err(e),
//! }
//! let user = client.get_user().id("user_1").send().await?;
//! # let _ = user; Ok(())
//! # }
//! ```
//!
//! `Display` says where and what: the operation, method and path, then the kind and message
//! (`getUser (GET /v1/chat/users/user_x): [ResourceNotFound] User user_x doesn't exist (HTTP
//! 404, error id err_1)`). A transport failure's cause is its [`source`](StdError::source),
//! not repeated in `Display`, so `anyhow`/`eyre` print each cause once.
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
//!   [`ErrorKind::InvalidResponse`]; [`Error::raw_body`] keeps the body as received.
//! - Failures without a response are transport kinds: [`ErrorKind::Connect`] (the connection
//!   could not be established: refused, DNS, TLS, connect timeout; the request was not sent),
//!   [`ErrorKind::Timeout`] (an attempt's timeout or the total deadline elapsed),
//!   [`ErrorKind::Network`] (the connection failed after it was established),
//!   [`ErrorKind::InvalidResponse`] (a success body that does not decode, an undeclared
//!   status), [`ErrorKind::InvalidRequest`] (a request the client refused to send: a required
//!   field left unset, a value that does not convert) and [`ErrorKind::Config`] (see
//!   [`crate::ConfigError`]).

use std::error::Error as StdError;
use std::fmt;

use bytes::Bytes;
use serde_json::{Map, Value};

use crate::config::ConfigError;

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

/// The request id of a response, from the first of [`REQUEST_ID_HEADERS`] present.
pub(crate) fn request_id(headers: &http::HeaderMap) -> Option<&str> {
    REQUEST_ID_HEADERS
        .iter()
        .find_map(|name| headers.get(*name)?.to_str().ok())
}

/// The kind of a transport failure reported by reqwest.
///
/// reqwest reports a response body that could not be read (the connection closed or was reset
/// before the declared length arrived) as a "decode" error; that is a [`ErrorKind::Network`]
/// failure, not an [`ErrorKind::InvalidResponse`] (bodies that arrive whole but do not decode
/// are classified separately).
pub(crate) fn transport_kind(e: &reqwest::Error) -> ErrorKind {
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

/// Where a failure happened: the operation and its request.
#[derive(Clone, Debug)]
struct Operation {
    id: &'static str,
    method: &'static str,
    path: String,
}

/// The error of every fallible call in this SDK. Cheap to move (one box).
///
/// Never contains the token. See the [module docs](self) for what `Display` shows.
pub struct Error(Box<Inner>);

struct Inner {
    kind: ErrorKind,
    operation: Option<Operation>,
    status: Option<u16>,
    id: Option<String>,
    message: String,
    request_id: Option<String>,
    metadata: Option<Map<String, Value>>,
    raw_body: Option<Bytes>,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

impl Error {
    fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error(Box::new(Inner {
            kind,
            operation: None,
            status: None,
            id: None,
            message: message.into(),
            request_id: None,
            metadata: None,
            raw_body: None,
            source: None,
        }))
    }

    /// A request the client refuses to send.
    pub(crate) fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidRequest, message)
    }

    /// A response (or a value in one) that does not fit what was expected; `raw` as received.
    pub(crate) fn invalid_response(message: impl Into<String>, raw: Option<Bytes>) -> Self {
        let mut e = Self::new(ErrorKind::InvalidResponse, message);
        e.0.raw_body = raw;
        e
    }

    /// A failure of the HTTP client, described by `message`, caused by `source`.
    pub(crate) fn transport(message: impl Into<String>, source: reqwest::Error) -> Self {
        let mut e = Self::new(transport_kind(&source), message);
        e.0.source = Some(Box::new(source));
        e
    }

    /// A failure of `kind` with no cause of its own (a deadline that passed, …).
    pub(crate) fn other(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self::new(kind, message)
    }

    /// An error response: its status, headers and the Botpress error body (`synthesized`
    /// when the body was not one, in which case `raw` is what the server sent).
    pub(crate) fn response(
        status: u16,
        headers: &http::HeaderMap,
        body: crate::types::Error,
        raw: Option<Bytes>,
    ) -> Self {
        let kind = match &raw {
            Some(_) if status == 429 => ErrorKind::RateLimited,
            Some(_) => ErrorKind::InvalidResponse,
            None => ErrorKind::from_type(&body.type_),
        };
        let mut e = Self::new(kind, body.message);
        e.0.status = Some(status);
        e.0.request_id = request_id(headers).map(str::to_owned);
        if raw.is_none() {
            e.0.id = Some(body.id).filter(|id| !id.is_empty());
            e.0.metadata = Some(body.metadata).filter(|m| !m.is_empty());
        }
        e.0.raw_body = raw;
        e
    }

    /// The same error, located in `operation` (`method` `path`).
    pub(crate) fn at(mut self, id: &'static str, method: &'static str, path: &str) -> Self {
        self.0.operation = Some(Operation {
            id,
            method,
            path: path.to_owned(),
        });
        self
    }

    /// The same error, its message preceded by `context` (what the failed call was part of).
    pub(crate) fn preceded_by(mut self, context: impl std::fmt::Display) -> Self {
        self.0.message = format!("{context}: {}", self.0.message);
        self
    }

    /// With the HTTP status of the response that revealed it.
    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.0.status = Some(status);
        self
    }

    /// The class of the failure.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind.clone()
    }

    /// The operation id (`getUser`) of the call that failed, when the failure belongs to one.
    pub fn operation(&self) -> Option<&str> {
        self.0.operation.as_ref().map(|o| o.id)
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

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Self::new(ErrorKind::Config, e.to_string())
    }
}

impl From<crate::input::BuildError> for Error {
    fn from(e: crate::input::BuildError) -> Self {
        Self::invalid_request(e.to_string())
    }
}

impl fmt::Display for Error {
    /// `operation (METHOD path): [Kind] message (HTTP 404, error id err_…, request id …)`;
    /// see the [module docs](self).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(op) = &self.0.operation {
            write!(f, "{} ({} {}): ", op.id, op.method, op.path)?;
        }
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
            .field("operation", &self.0.operation)
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
    fn display_names_the_operation_and_does_not_repeat_the_source() {
        let body = crate::types::Error {
            id: "err_1".into(),
            code: 404,
            type_: "ResourceNotFound".into(),
            message: "User user_x doesn't exist".into(),
            metadata: Default::default(),
        };
        let e = Error::response(404, &http::HeaderMap::new(), body, None).at(
            "getUser",
            "GET",
            "/v1/chat/users/user_x",
        );
        assert_eq!(
            e.to_string(),
            "getUser (GET /v1/chat/users/user_x): [ResourceNotFound] User user_x doesn't exist (HTTP 404, error id err_1)"
        );
        assert_eq!(e.kind(), ErrorKind::ResourceNotFound);
        assert_eq!(e.operation(), Some("getUser"));
    }

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
        // The message is the cause: it is not repeated as a source.
        assert!(e.source().is_none());
    }
}
