//! The names most programs need: `use botpress::prelude::*;`.
//!
//! Brings the [`Client`] and its builder, the error types, and the [`ErrorExt`] trait that
//! lets one match on [`ErrorKind`] directly on what an operation's `send()` returns.

pub use crate::client::ClientBuilder;
pub use crate::config::ConfigError;
pub use crate::error::{Error, ErrorExt, ErrorKind, Result};
pub use crate::generated::Client;
pub use crate::get_or_create::GetOrCreate;
pub use crate::pacing::Pacing;
pub use crate::paginate::Paginate;
pub use crate::retry::RetryPolicy;
