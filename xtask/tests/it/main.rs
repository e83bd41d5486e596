//! The integration tests of `xtask`, as one test binary (`cargo test -p xtask --test it`):
//! the developer commands run on fixture documents (`tests/fixtures`) and on the real one.

mod common;

mod codegen;
mod spec_diff;
