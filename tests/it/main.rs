//! The integration tests of `botpress`, as one test binary (`cargo test --test it`): every
//! module below was once its own binary; together they compile the shared [`support`] code
//! and link the SDK once. Run one area with a filter, e.g. `cargo test --test it faults_`
//! or `cargo test --test it conformance::`.

mod support;

mod call_options;
mod client_config;
mod client_errors;
mod client_retry;
mod client_tracing;
mod conformance;
mod drift;
mod emulator_faults;
mod emulator_rate;
mod exactly_once;
mod faults_cancel;
mod faults_errors;
mod faults_pages;
mod faults_retry;
mod faults_writes;
mod helpers_state;
mod helpers_tables;
mod helpers_upload;
mod local_limits;
mod operations;
mod paginate_stream;
mod prop_decode;
mod prop_query;
mod secrets;
mod table_batches;
