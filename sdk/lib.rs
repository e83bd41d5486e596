//! Typed async client for the Botpress Cloud API: Runtime (`/v1/chat`), Files (`/v1/files`)
//! and Tables (`/v1/tables`).
#![forbid(unsafe_code)]

pub mod generated;
pub mod helper_error;
pub mod nullable;
pub mod paginate;
pub mod query;
pub mod transport;
pub mod wire;

pub use generated::{Client, builder};
pub use helper_error::{HelperError, HelperResult};
pub use nullable::Nullable;
pub use transport::Identity;

/// Request and response types of every operation, generated from `openapi/botpress.yaml`.
pub mod types {
    pub use crate::generated::enums::*;
    pub use crate::generated::types::*;
    pub use crate::query::{FileTagsFilter, TagsFilter};
}
