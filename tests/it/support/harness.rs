//! Clients and bodies shared by the fault, pagination and secrets tests: a client pointed at a
//! [`FaultServer`](super::faults::FaultServer) with fast, bounded retries, and valid success
//! bodies synthesised from the document.
use std::time::Duration;

use botpress::{Client, ClientBuilder, RetryPolicy};
use serde_json::Value;

use super::examples::{Mode, Spec};
use super::faults::Fault;

/// The token every fault test uses: distinctive, so a leak is easy to find.
pub(crate) const TOKEN: &str = "bp_pat_CANARY-7f3a9c-do-not-log";

/// A builder for `base_url` with the test token, a bot id, a per-attempt timeout of
/// `attempt_timeout` and a retry policy of `attempts` attempts with ~1 ms backoff.
pub(crate) fn builder(base_url: &str, attempts: u32, attempt_timeout: Duration) -> ClientBuilder {
    Client::builder()
        .base_url(base_url)
        .token(TOKEN)
        .bot_id("bot_faults")
        .timeout(attempt_timeout)
        .retry(fast_retry(attempts))
}

/// `attempts` attempts, backoff at most 2 ms.
pub(crate) fn fast_retry(attempts: u32) -> RetryPolicy {
    RetryPolicy::new()
        .max_attempts(attempts)
        .initial_backoff(Duration::from_millis(1))
        .max_backoff(Duration::from_millis(2))
}

/// A client with `attempts` attempts and a 5 s attempt timeout.
pub(crate) fn client(base_url: &str, attempts: u32) -> Client {
    builder(base_url, attempts, Duration::from_secs(5))
        .build()
        .expect("valid configuration")
}

/// A valid success body of operation `operation_id` (camelCase, as in the document).
pub(crate) fn ok_body(operation_id: &str) -> Value {
    let spec = Spec::load();
    let op = spec.operation(operation_id);
    spec.example(
        &op.response,
        Mode {
            unknown_fields: false,
            unknown_enum_values: false,
        },
    )
}

/// The success answer of operation `operation_id`: its documented status (200, or 201 for
/// the runtime's `create*`) with [`ok_body`].
pub(crate) fn ok_fault(operation_id: &str) -> Fault {
    let status = Spec::load().operation(operation_id).success;
    Fault::json(status, &ok_body(operation_id))
}

/// Guards a future that must finish: fails the test (instead of hanging CI) if it has not
/// finished after `secs` seconds. Use generous values; this is a hang guard, not a timing
/// assertion.
pub(crate) async fn must_finish<F: std::future::Future>(secs: u64, what: &str, f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(secs), f)
        .await
        .unwrap_or_else(|_| panic!("{what}: still running after {secs} s"))
}
