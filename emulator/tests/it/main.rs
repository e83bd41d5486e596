//! The integration tests of `botpress-emulator`, as one test binary (`cargo test -p
//! botpress-emulator --test it`): the modules share [`common`] (a running emulator and a
//! raw HTTP client) and [`tables_support`] (the Tables engine on its own), compiled once.
//! Run one area with a filter, e.g. `cargo test -p botpress-emulator --test it tables_`.

mod common;
mod tables_support;

mod abuse;
mod bad_input;
mod load;
mod log_secrets;
mod node_tour;
mod operations;
mod persistence;
mod platform_clock;
mod platform_faults;
mod platform_journal;
mod platform_limits;
mod platform_rate;
mod platform_snapshot;
mod semantics;
mod tables_filter;
mod tables_index;
mod tables_jobs;
mod tables_ops;
mod tables_rows;
mod throughput;
