//! Retries: which failures are retried, and after how long.
//!
//! The transport applies one [`RetryPolicy`] to every operation. On by
//! default: 4 attempts (the first plus 3 retries, as Botpress's own `@botpress/sdk`), backoff
//! from 500 ms doubling up to 10 s, server-advised delays capped at 60 s. Turn it off with
//! [`RetryPolicy::none`].
//!
//! # What is retried
//! A request is re-sent only when that cannot run an operation twice:
//!
//! | failure | `GET` `HEAD` `PUT` `DELETE` `OPTIONS` | `POST` `PATCH` |
//! |---|---|---|
//! | connection not established (refused, DNS, connect timeout) | yes | yes: nothing was sent |
//! | timeout, reset or closed connection after sending, or a response body cut short or stalled | yes | **no**: it may have been processed |
//! | 429 `RateLimited` | yes | yes: the limiter rejected it before processing |
//! | 409 `ResourceLockedConflict` | yes | yes: refused because of the lock, not processed |
//! | 502, 503, 504 and any other 5xx | yes | **no** (see below) |
//! | any other status | no | no |
//!
//! 5xx on writes: Botpress's own production policy (`@botpress/sdk`) also retries 502 on
//! every method. This SDK does not: a gateway answers 502 both when it could not reach the
//! service and when the upstream connection dropped *after* the service received the request,
//! so a 502 does not prove the write was not processed, and re-sending it could create a
//! second message, row or event. 503 is also sent by an overloaded service while handling a
//! request, and 504 (`OperationTimeout`) says the operation ran out of time, possibly after
//! partial effects. All three are retried for idempotent methods only.
//!
//! A request whose body cannot be cloned (a stream) is sent once.
//!
//! # How long to wait
//! The first present of `RateLimit-Reset`, `X-RateLimit-Reset` and `Retry-After` (the
//! `@botpress/sdk` order) gives the delay: seconds (decimals allowed; a value above 10⁹ is
//! read as a Unix time, as some servers send for `X-RateLimit-Reset`), or an HTTP date. It is
//! capped by [`RetryPolicy::max_delay`]. Without such a header: exponential backoff with full
//! jitter, a random delay between 0 and `min(max_backoff, initial_backoff × 2^(n-1))` after
//! the n-th attempt. No attempt starts past the client's total deadline: when the delay would
//! cross it, the last failure is returned.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};

use crate::config::{ConfigError, Setting};

/// Headers that carry a server-advised delay, in the order they are consulted.
pub const DELAY_HEADERS: [&str; 3] = ["ratelimit-reset", "x-ratelimit-reset", "retry-after"];

/// When and how often a failed request is sent again; see the [module docs](self).
///
/// ```
/// use std::time::Duration;
/// use botpress::RetryPolicy;
///
/// let patient = RetryPolicy::new()
///     .max_attempts(6)
///     .initial_backoff(Duration::from_millis(200))
///     .max_backoff(Duration::from_secs(5))
///     .max_delay(Duration::from_secs(30))
///     .on_retry(|event| eprintln!("retrying {} in {:?}", event.operation_id, event.delay));
/// let never = RetryPolicy::none();
/// # let _ = (patient, never);
/// ```
#[derive(Clone)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_delay: Duration,
    on_retry: Option<RetryHook>,
}

/// The callback of [`RetryPolicy::on_retry`].
type RetryHook = Arc<dyn Fn(&RetryEvent) + Send + Sync>;

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(10),
            max_delay: Duration::from_secs(60),
            on_retry: None,
        }
    }
}

impl fmt::Debug for RetryPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryPolicy")
            .field("max_attempts", &self.max_attempts)
            .field("initial_backoff", &self.initial_backoff)
            .field("max_backoff", &self.max_backoff)
            .field("max_delay", &self.max_delay)
            .field("on_retry", &self.on_retry.is_some())
            .finish()
    }
}

impl RetryPolicy {
    /// The default policy (see the [module docs](self)).
    pub fn new() -> Self {
        Self::default()
    }

    /// No retry: every request is sent once.
    pub fn none() -> Self {
        Self::default().max_attempts(1)
    }

    /// Total number of attempts, the first included (default 4). `1` disables retries; `0`
    /// is rejected when the client is built.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// Backoff ceiling after the first attempt (default 500 ms); doubles after each attempt.
    pub fn initial_backoff(mut self, delay: Duration) -> Self {
        self.initial_backoff = delay;
        self
    }

    /// Largest backoff ceiling (default 10 s).
    pub fn max_backoff(mut self, delay: Duration) -> Self {
        self.max_backoff = delay;
        self
    }

    /// Largest server-advised delay honoured (default 60 s); longer ones are cut to it.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// Calls `hook` before each retry's wait, with the delay chosen and why (for metrics or
    /// logs; the transport also emits a `tracing` event).
    pub fn on_retry(mut self, hook: impl Fn(&RetryEvent) + Send + Sync + 'static) -> Self {
        self.on_retry = Some(Arc::new(hook));
        self
    }

    /// The configured number of attempts.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.max_attempts == 0 {
            return Err(ConfigError::Zero {
                setting: Setting::Option("retry.max_attempts"),
            });
        }
        if self.initial_backoff > self.max_backoff {
            return Err(ConfigError::Conflict(
                "retry: `initial_backoff` is larger than `max_backoff`",
            ));
        }
        Ok(())
    }

    /// The delay before the attempt after `attempt` (1-based): the server-advised one when
    /// present, else backoff.
    pub(crate) fn delay(
        &self,
        attempt: u32,
        headers: Option<&HeaderMap>,
        now: SystemTime,
    ) -> (Duration, DelaySource) {
        if let Some((delay, header)) = headers.and_then(|h| advised_delay(h, now)) {
            return (delay.min(self.max_delay), DelaySource::Header(header));
        }
        let ceiling = self.backoff_ceiling(attempt);
        (jitter(ceiling), DelaySource::Backoff { ceiling })
    }

    /// `min(max_backoff, initial_backoff × 2^(attempt-1))`.
    pub(crate) fn backoff_ceiling(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(31));
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }

    pub(crate) fn notify(&self, event: &RetryEvent) {
        if let Some(hook) = &self.on_retry {
            hook(event);
        }
    }
}

/// Why a request is retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryReason {
    /// The server answered with this status (429, 409 `ResourceLockedConflict`, 5xx).
    Status(u16),
    /// The connection could not be established.
    Connect,
    /// The attempt timed out (idempotent methods only).
    Timeout,
    /// The connection failed after it was established (idempotent methods only).
    Network,
}

impl fmt::Display for RetryReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RetryReason::Status(s) => write!(f, "HTTP {s}"),
            RetryReason::Connect => f.write_str("connect error"),
            RetryReason::Timeout => f.write_str("timeout"),
            RetryReason::Network => f.write_str("network error"),
        }
    }
}

/// Where a retry delay came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DelaySource {
    /// A response header (one of [`DELAY_HEADERS`], lowercase), before capping.
    Header(&'static str),
    /// Exponential backoff with full jitter: a random delay up to `ceiling`.
    Backoff {
        /// The upper bound the delay was drawn under.
        ceiling: Duration,
    },
}

/// A retry about to happen, given to [`RetryPolicy::on_retry`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RetryEvent {
    /// The operation (`get_conversation`, …).
    pub operation_id: &'static str,
    /// The attempt that failed (1 for the first).
    pub attempt: u32,
    /// Why it is retried.
    pub reason: RetryReason,
    /// How long the transport waits before the next attempt.
    pub delay: Duration,
    /// Where that delay came from.
    pub source: DelaySource,
}

/// Methods that can be repeated without changing the result.
pub(crate) fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
    )
}

/// Whether an error response may be retried (see the table in the [module docs](self)).
/// `error_type` is the Botpress error type of the body, when it had one.
pub(crate) fn retry_status(
    idempotent: bool,
    status: StatusCode,
    error_type: Option<&str>,
) -> Option<RetryReason> {
    let any_method = match status.as_u16() {
        429 => true,
        409 => error_type == Some("ResourceLockedConflict"),
        _ => false,
    };
    let retry = any_method || (status.is_server_error() && idempotent);
    retry.then_some(RetryReason::Status(status.as_u16()))
}

/// Whether a transport failure may be retried (`idempotent`: the request may be sent twice).
pub(crate) fn retry_failure(idempotent: bool, error: &reqwest::Error) -> Option<RetryReason> {
    if error.is_connect() {
        // The connection was never established: the request did not leave.
        return Some(RetryReason::Connect);
    }
    if error.is_builder() || error.is_redirect() || error.is_decode() {
        return None;
    }
    retry_body_failure(idempotent, error)
}

/// Whether a failure while reading a response body may be retried: the request was
/// answered, so only an idempotent method may be sent again.
pub(crate) fn retry_body_failure(idempotent: bool, error: &reqwest::Error) -> Option<RetryReason> {
    if !idempotent {
        return None;
    }
    Some(if error.is_timeout() {
        RetryReason::Timeout
    } else {
        RetryReason::Network
    })
}

/// The server-advised delay: the first of [`DELAY_HEADERS`] that is present and parses.
pub(crate) fn advised_delay(
    headers: &HeaderMap,
    now: SystemTime,
) -> Option<(Duration, &'static str)> {
    DELAY_HEADERS.iter().find_map(|name| {
        let value = headers.get(*name)?.to_str().ok()?.trim();
        parse_delay(value, now).map(|d| (d, *name))
    })
}

/// Seconds (a Unix time when above 10⁹) or an HTTP date; a time in the past is no delay.
fn parse_delay(value: &str, now: SystemTime) -> Option<Duration> {
    if value.contains(' ') {
        let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
        let at = SystemTime::from(date.with_timezone(&chrono::Utc));
        return Some(at.duration_since(now).unwrap_or_default());
    }
    let seconds: f64 = value.parse().ok()?;
    if !seconds.is_finite() || seconds < 0.0 {
        return None;
    }
    if seconds > 1e9 {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs_f64(seconds);
        return Some(at.duration_since(now).unwrap_or_default());
    }
    Some(Duration::from_secs_f64(seconds))
}

/// A uniformly random duration in `[0, ceiling]` ("full jitter").
fn jitter(ceiling: Duration) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    // A randomly keyed SipHash of nothing: random 64 bits without a dependency.
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let nanos = ceiling.as_nanos().min(u128::from(u64::MAX)) as u64;
    if nanos == 0 {
        return Duration::ZERO;
    }
    Duration::from_nanos(random % (nanos + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn delay_headers_in_sdk_order() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let all = headers(&[
            ("retry-after", "3"),
            ("x-ratelimit-reset", "2"),
            ("ratelimit-reset", "1.5"),
        ]);
        assert_eq!(
            advised_delay(&all, now),
            Some((Duration::from_millis(1500), "ratelimit-reset"))
        );
        let two = headers(&[("retry-after", "3"), ("x-ratelimit-reset", "2")]);
        assert_eq!(
            advised_delay(&two, now),
            Some((Duration::from_secs(2), "x-ratelimit-reset"))
        );
        // An unparseable header is skipped.
        let bad = headers(&[("ratelimit-reset", "soon"), ("retry-after", "4")]);
        assert_eq!(
            advised_delay(&bad, now),
            Some((Duration::from_secs(4), "retry-after"))
        );
        assert_eq!(advised_delay(&HeaderMap::new(), now), None);
    }

    #[test]
    fn http_dates_and_unix_times() {
        // 2023-11-14T22:13:20Z
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let date = headers(&[("retry-after", "Tue, 14 Nov 2023 22:13:27 GMT")]);
        assert_eq!(
            advised_delay(&date, now),
            Some((Duration::from_secs(7), "retry-after"))
        );
        let past = headers(&[("retry-after", "Tue, 14 Nov 2023 22:00:00 GMT")]);
        assert_eq!(
            advised_delay(&past, now),
            Some((Duration::ZERO, "retry-after"))
        );
        let epoch = headers(&[("x-ratelimit-reset", "1700000005")]);
        assert_eq!(
            advised_delay(&epoch, now),
            Some((Duration::from_secs(5), "x-ratelimit-reset"))
        );
    }

    #[test]
    fn delays_are_capped_and_backoff_is_bounded() {
        let policy = RetryPolicy::new()
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(350))
            .max_delay(Duration::from_secs(2));
        let now = SystemTime::now();
        let h = headers(&[("retry-after", "120")]);
        assert_eq!(
            policy.delay(1, Some(&h), now),
            (Duration::from_secs(2), DelaySource::Header("retry-after"))
        );
        assert_eq!(policy.backoff_ceiling(1), Duration::from_millis(100));
        assert_eq!(policy.backoff_ceiling(2), Duration::from_millis(200));
        assert_eq!(policy.backoff_ceiling(3), Duration::from_millis(350));
        assert_eq!(policy.backoff_ceiling(60), Duration::from_millis(350));
        for attempt in 1..6 {
            let (d, source) = policy.delay(attempt, None, now);
            let ceiling = policy.backoff_ceiling(attempt);
            assert_eq!(source, DelaySource::Backoff { ceiling });
            assert!(d <= ceiling);
        }
    }

    #[test]
    fn retry_matrix() {
        let s = |c| StatusCode::from_u16(c).unwrap();
        for m in [Method::GET, Method::PUT, Method::DELETE] {
            for c in [429, 500, 502, 503, 504] {
                assert!(
                    retry_status(is_idempotent(&m), s(c), None).is_some(),
                    "{m} {c}"
                );
            }
            assert!(retry_status(is_idempotent(&m), s(404), Some("ResourceNotFound")).is_none());
        }
        for m in [Method::POST, Method::PATCH] {
            assert_eq!(
                retry_status(is_idempotent(&m), s(429), None),
                Some(RetryReason::Status(429))
            );
            for c in [500, 502, 503, 504] {
                assert!(
                    retry_status(is_idempotent(&m), s(c), Some("Internal")).is_none(),
                    "{m} {c}"
                );
            }
            assert!(
                retry_status(is_idempotent(&m), s(409), Some("ResourceLockedConflict")).is_some()
            );
            assert!(retry_status(is_idempotent(&m), s(409), Some("AlreadyExists")).is_none());
        }
    }

    #[test]
    fn validation() {
        assert!(RetryPolicy::none().validate().is_ok());
        assert_eq!(
            RetryPolicy::new()
                .max_attempts(0)
                .validate()
                .unwrap_err()
                .to_string(),
            "option `retry.max_attempts` must be greater than zero"
        );
        assert!(
            RetryPolicy::new()
                .initial_backoff(Duration::from_secs(20))
                .validate()
                .is_err()
        );
    }
}
