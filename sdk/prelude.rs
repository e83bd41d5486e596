//! The names most programs need: `use botpress::prelude::*;`.
//!
//! Brings the [`Client`] and its builder, the error types, [`Nullable`], and the
//! [`GetOrCreate`] and [`Paginate`] traits that add `send_created()`, `.stream()` and
//! `.pages()` to the operation builders.

pub use crate::client::{Client, ClientBuilder};
pub use crate::config::ConfigError;
pub use crate::error::{Error, ErrorKind, Result};
pub use crate::get_or_create::GetOrCreate;
pub use crate::nullable::Nullable;
pub use crate::pacing::Pacing;
pub use crate::paginate::Paginate;
pub use crate::retry::RetryPolicy;
