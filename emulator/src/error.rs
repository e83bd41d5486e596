//! Errors as the real service gives them: an HTTP status and the shared error body
//! `{id, code, type, message, metadata?}` (the error catalogue of `@botpress/api` 1.70.2, its
//! `metadata.json`, and the errors of `@botpress/client` 1.45.0).

/// An API error answered by the emulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status code.
    pub status: u16,
    /// One of the 26 Botpress error types, e.g. `ResourceNotFound`.
    pub error_type: &'static str,
    /// Human-readable message; for `InvalidPayload` it names the offending field.
    pub message: String,
}

macro_rules! error_kinds {
    ($($fn_name:ident => ($status:expr, $ty:literal)),* $(,)?) => {
        /// Every error type with its status, in the order of the catalogue.
        const ERROR_TYPES: &[(&str, u16)] = &[$(($ty, $status)),*];

        impl ApiError {
            $(
                #[doc = concat!("`", $ty, "` (HTTP ", stringify!($status), ").")]
                pub fn $fn_name(message: impl Into<String>) -> Self {
                    Self { status: $status, error_type: $ty, message: message.into() }
                }
            )*
        }
    };
}

error_kinds! {
    unknown => (500, "Unknown"),
    internal => (500, "Internal"),
    unauthorized => (401, "Unauthorized"),
    forbidden => (403, "Forbidden"),
    payload_too_large => (413, "PayloadTooLarge"),
    invalid_payload => (400, "InvalidPayload"),
    unsupported_media_type => (415, "UnsupportedMediaType"),
    method_not_found => (405, "MethodNotFound"),
    not_found => (404, "ResourceNotFound"),
    invalid_json_schema => (400, "InvalidJsonSchema"),
    invalid_data_format => (400, "InvalidDataFormat"),
    invalid_identifier => (400, "InvalidIdentifier"),
    relation_conflict => (409, "RelationConflict"),
    reference_constraint => (409, "ReferenceConstraint"),
    resource_locked => (409, "ResourceLockedConflict"),
    gone => (410, "ResourceGone"),
    reference_not_found => (400, "ReferenceNotFound"),
    invalid_query => (400, "InvalidQuery"),
    runtime => (400, "Runtime"),
    already_exists => (409, "AlreadyExists"),
    rate_limited => (429, "RateLimited"),
    payment_required => (402, "PaymentRequired"),
    quota_exceeded => (403, "QuotaExceeded"),
    limit_exceeded => (413, "LimitExceeded"),
    breaking_changes => (400, "BreakingChanges"),
    operation_timeout => (504, "OperationTimeout"),
    request_timeout => (408, "OperationTimeout"),
}

impl ApiError {
    /// An error of the Botpress type named `error_type` (`RateLimited`), with that type's
    /// status; `None` when no such type exists.
    pub fn of_type(error_type: &str, message: impl Into<String>) -> Option<Self> {
        let (ty, status) = ERROR_TYPES.iter().find(|(ty, _)| *ty == error_type)?;
        Some(Self {
            status: *status,
            error_type: ty,
            message: message.into(),
        })
    }

    /// The error type the service uses for `status` (`429` → `RateLimited`), `Unknown` for a
    /// status no type has (`502`, `503`: a proxy's).
    pub fn type_for_status(status: u16) -> &'static str {
        ERROR_TYPES
            .iter()
            .find(|(_, s)| *s == status)
            .map_or("Unknown", |(ty, _)| ty)
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        Self::internal(format!("storage error: {e}"))
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}] {}", self.error_type, self.message)
    }
}

impl std::error::Error for ApiError {}
