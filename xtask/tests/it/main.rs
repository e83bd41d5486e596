//! The integration tests of `xtask`, as one test binary (`cargo test -p xtask --test it`):
//! the developer commands run on fixture documents (`tests/fixtures`) and on the real one.

#![recursion_limit = "512"] // the rustdoc JSON fixture of `public_api` is one `json!`

mod common;

mod codegen;
mod public_api;
mod spec_diff;
