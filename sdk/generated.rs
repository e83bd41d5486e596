//! The code `build.rs` generates from `openapi/botpress.yaml` (see `build/mod.rs`): the open
//! enums, the schemas' types with the request builders, and the operation builders. The
//! public parts are re-exported as [`crate::types`] and [`crate::operations`].
//!
//! Generated; do not modify. Edit the OpenAPI document and run `cargo xtask codegen`.
#![allow(
    missing_docs,
    unreachable_pub,
    clippy::all,
    clippy::pedantic,
    unused_imports
)]
// Descriptions link to the types they name with full paths (`crate::types::User`), which
// rustdoc finds redundant inside `types` itself but needs everywhere else.
#![allow(rustdoc::redundant_explicit_links)]

include!(concat!(env!("OUT_DIR"), "/botpress_api.rs"));
