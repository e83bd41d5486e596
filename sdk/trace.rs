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
