#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod analytics;
pub mod client;
pub mod config;
pub mod error;
pub mod files;
pub mod generated;
pub mod get_or_create;
mod helper_error;
pub mod nullable;
pub mod pacing;
pub mod paginate;
pub mod prelude;
pub mod query;
pub mod retry;
pub mod state;
pub mod tables;
mod timestamp;
pub mod trace;
pub mod transport;
pub mod wire;

pub use client::ClientBuilder;
pub use config::ConfigError;
pub use error::{Error, ErrorExt, ErrorKind, Result};
pub use generated::{Client, builder};
pub use nullable::Nullable;
pub use pacing::Pacing;
pub use retry::RetryPolicy;
pub use state::TypedState;
pub use transport::Identity;

/// Request and response types of every operation, generated from `openapi/botpress.yaml`.
pub mod types {
    pub use crate::generated::enums::*;
    pub use crate::generated::types::*;
    pub use crate::query::{FileTagsFilter, TagsFilter};
}
