//! [`HelperError`]: what the hand-written helpers (pagination, state, get-or-create, upload,
//! typed tables) report when they fail.
//!
//! A failed API call keeps the generated client's error (status, decoded Botpress error body,
//! transport error) in [`HelperError::Api`]; everything the helpers detect themselves (bad
//! input, a pagination loop, an upload PUT that failed, a value that does not fit its Rust
//! type) has a variant of its own with a message that says what to fix.
use crate::types;

/// The result of a helper call.
pub type HelperResult<T> = std::result::Result<T, HelperError>;

/// The error of a helper call; see the [module docs](self).
///
/// ```
/// use botpress::HelperError;
/// let e = HelperError::InvalidInput("state id must not be empty".into());
/// assert_eq!(e.to_string(), "invalid input: state id must not be empty");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum HelperError {
    /// The API call failed: transport error or an error response from the service.
    Api(Box<progenitor_client::Error<types::Error>>),
    /// Bad input, detected before any request was sent.
    InvalidInput(String),
    /// The service's pagination did not make progress (a `nextToken` came back twice, or an
    /// offset page was empty while `hasMore` stayed true); the traversal stops here.
    Pagination(String),
    /// A value from the service did not decode into the requested Rust type (or a Rust value
    /// did not encode to JSON).
    Decode(String),
    /// The file record was created (`upsertFile`) but sending its content to the upload URL
    /// failed. `file` is the record, so the upload can be retried or the file deleted.
    Upload {
        /// The file created by `upsertFile` (status `upload_pending`).
        file: Box<types::UploadableFile>,
        /// The HTTP status of the failed PUT, when there was a response.
        status: Option<u16>,
        /// What went wrong.
        message: String,
    },
    /// A table write reported per-row errors (`errors[]` in the response).
    Rows(Vec<String>),
    /// Reading local content (an upload from a file path) failed.
    Io(std::io::Error),
}

impl std::fmt::Display for HelperError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Api(e) => write!(f, "API call failed: {e}"),
            Self::InvalidInput(m) => write!(f, "invalid input: {m}"),
            Self::Pagination(m) => write!(f, "pagination stopped: {m}"),
            Self::Decode(m) => write!(f, "decoding failed: {m}"),
            Self::Upload {
                file,
                status,
                message,
            } => {
                write!(f, "failed to upload file {} ({})", file.id, file.key)?;
                if let Some(s) = status {
                    write!(f, ": HTTP {s}")?;
                }
                write!(f, ": {message}")
            }
            Self::Rows(errors) => write!(f, "table rows rejected: {}", errors.join("; ")),
            Self::Io(e) => write!(f, "reading content failed: {e}"),
        }
    }
}

impl std::error::Error for HelperError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Api(e) => Some(e.as_ref()),
            Self::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<progenitor_client::Error<types::Error>> for HelperError {
    fn from(e: progenitor_client::Error<types::Error>) -> Self {
        Self::Api(Box::new(e))
    }
}

impl From<std::io::Error> for HelperError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

impl HelperError {
    /// The HTTP status of a failed API call, if the service answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api(e) => e.status().map(|s| s.as_u16()),
            Self::Upload { status, .. } => *status,
            _ => None,
        }
    }

    /// Whether this is the service's `404` (e.g. a state or row that does not exist).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }
}

/// Fails with [`HelperError::InvalidInput`] when `value` is empty.
#[allow(dead_code)] // used by the state and get-or-create helpers
pub(crate) fn require_non_empty(what: &str, value: &str) -> HelperResult<()> {
    if value.trim().is_empty() {
        return Err(HelperError::InvalidInput(format!(
            "{what} must not be empty"
        )));
    }
    Ok(())
}
