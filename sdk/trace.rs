//! Tracing: one `tracing` span per operation call, events per retry.
//!
//! Every request goes through the transport, which runs it inside an `INFO` span named
//! `botpress.request` with the fields:
//!
//! | field | value |
//! |---|---|
//! | `operation` | the operation id (`getConversation`, …) |
//! | `method`, `path` | the HTTP method and the URL path (no query, no host) |
//! | `status` | the final HTTP status, when there is a response |
//! | `attempts` | how many attempts were made |
//! | `latency_ms` | time until the response headers (error bodies included), retries included |
//! | `request_id` | the response's request id, when present |
//!
//! Each retry emits an `INFO` event (`retrying`, with the reason and delay); each attempt a
//! `DEBUG` event. Nothing here records headers, the token, or any body: the spans are safe to
//! ship to a log store. To see them, install any `tracing` subscriber, e.g.
//! `tracing_subscriber::fmt().init()`.
//!
//! # Drift: what the service sends that the SDK does not know
//!
//! Responses decode leniently: a field the OpenAPI document does not describe is skipped, an
//! enum value it does not list decodes as `Unknown(..)`. With the target `botpress::drift`
//! enabled at `DEBUG`, each such field or value is reported by one event, once per operation
//! and field (or enum value) for the life of the process, so what the document misses shows up
//! in the logs instead of being silently dropped:
//!
//! ```text
//! DEBUG botpress::drift: response field not in the OpenAPI document operation="getConversation" field=conversation.archivedAt
//! DEBUG botpress::drift: enum value not in the OpenAPI document operation="getMessage" enum="MessageDirection" value="forwarded"
//! ```
//!
//! The path names fields with `.`, array items with `[]` and the entries of a map with `*`;
//! a field's value is never logged. Fields inside an `anyOf`/`oneOf` value are not seen.
//! While the target is disabled, decoding is exactly as without it (one `enabled!` check per
//! response); enabled, a response with nothing unknown costs the same to within 1 %
//! (`cargo xtask bench --only instructions`). With `tracing-subscriber`:
//!
//! ```text
//! RUST_LOG=info,botpress::drift=debug   # EnvFilter
//! Targets::new().with_target("botpress::drift", Level::DEBUG)
//! ```

use std::time::Duration;

use tracing::Span;
use tracing::field::Empty;

use crate::retry::RetryEvent;

/// The span of one operation call.
pub(crate) fn request_span(operation_id: &'static str, method: &'static str, path: &str) -> Span {
    tracing::info_span!(
        "botpress.request",
        operation = operation_id,
        method = %method,
        path = path,
        status = Empty,
        attempts = Empty,
        latency_ms = Empty,
        request_id = Empty,
    )
}

/// Records the outcome of an operation call on the current span.
pub(crate) fn record_outcome(
    status: Option<u16>,
    request_id: Option<&str>,
    error: Option<&crate::Error>,
    attempts: u32,
    elapsed: Duration,
) {
    let span = Span::current();
    // Without a subscriber that wants the span, skip the work of filling its fields.
    if !span.is_disabled() {
        span.record("attempts", attempts);
        span.record("latency_ms", elapsed.as_millis() as u64);
        if let Some(status) = status {
            span.record("status", status);
        }
        if let Some(id) = request_id {
            span.record("request_id", id);
        }
    }
    match error {
        None => tracing::debug!(status, "response"),
        Some(e) => tracing::debug!(error = %e, "request failed"),
    }
}

/// One attempt's outcome, at debug level.
pub(crate) fn attempt(attempt: u32, status: Option<u16>, elapsed: Duration) {
    tracing::debug!(
        attempt,
        status,
        elapsed_ms = elapsed.as_millis() as u64,
        "attempt"
    );
}

/// A retry about to happen.
pub(crate) fn retry(event: &RetryEvent) {
    tracing::info!(
        attempt = event.attempt,
        reason = %event.reason,
        delay_ms = event.delay.as_millis() as u64,
        "retrying"
    );
}
