//! Per-call options: for one call only, another attempt timeout, total deadline or retry
//! policy than the client's, and extra headers (what aws-sdk-rust's `customize()` and
//! Stainless SDKs' `with_options` give).
//!
//! Every operation builder takes them with `with_options`; the client and its other calls
//! are unchanged.
//!
//! ```no_run
//! use std::time::Duration;
//! use botpress::{CallOptions, RetryPolicy};
//!
//! # async fn demo(client: &botpress::Client) -> botpress::Result<()> {
//! // A slow export: more time for this call, and no retry of it.
//! let export = client
//!     .export_table()
//!     .table("leadsTable")
//!     .with_options(
//!         CallOptions::new()
//!             .timeout(Duration::from_secs(300))
//!             .total_timeout(Duration::from_secs(600))
//!             .retry(RetryPolicy::none())
//!             .header("x-request-tag", "nightly-export"),
//!     )
//!     .send()
//!     .await?;
//! # let _ = export; Ok(()) }
//! ```

use std::fmt;
use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue};

use crate::config::Timeouts;
use crate::retry::RetryPolicy;

/// Options of one call, overriding the client's for that call only; see the
/// [module docs](self). The default overrides nothing.
#[derive(Clone, Default)]
pub struct CallOptions {
    timeout: Option<Option<Duration>>,
    total_timeout: Option<Option<Duration>>,
    retry: Option<RetryPolicy>,
    headers: Vec<(HeaderName, HeaderValue)>,
    /// The first option that cannot be used; the call then fails without being sent.
    problem: Option<String>,
}

impl fmt::Debug for CallOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Header names only: a value may be a credential.
        let headers: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("CallOptions")
            .field("timeout", &self.timeout)
            .field("total_timeout", &self.total_timeout)
            .field("retry", &self.retry)
            .field("headers", &headers)
            .field("problem", &self.problem)
            .finish()
    }
}

impl CallOptions {
    /// Options that override nothing; add some with the methods below.
    pub fn new() -> Self {
        Self::default()
    }

    /// Time allowed for each attempt of this call, from sending to the end of the response
    /// body; `None` removes the limit for this call.
    pub fn timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.timeout = Some(timeout.into());
        self
    }

    /// Time allowed for the whole call (attempts, waits between them, pacing waits); `None`
    /// removes the client's deadline for this call.
    pub fn total_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.total_timeout = Some(timeout.into());
        self
    }

    /// The retry policy of this call ([`RetryPolicy::none`]: one attempt).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// A header sent with this call, replacing one of the same name the client would send.
    /// A name or value that cannot be sent fails the call with
    /// [`ErrorKind::InvalidRequest`](crate::ErrorKind::InvalidRequest), naming the header.
    pub fn header(mut self, name: impl AsRef<str>, value: impl AsRef<str>) -> Self {
        match crate::config::header(name.as_ref(), value.as_ref()) {
            Ok(pair) => self.headers.push(pair),
            Err(e) if self.problem.is_none() => {
                self.problem = Some(format!("call options: {e}"));
            }
            Err(_) => {}
        }
        self
    }

    /// Whether nothing is overridden.
    pub fn is_empty(&self) -> bool {
        self.timeout.is_none()
            && self.total_timeout.is_none()
            && self.retry.is_none()
            && self.headers.is_empty()
            && self.problem.is_none()
    }

    /// The client's timeouts with this call's overrides.
    pub(crate) fn timeouts(&self, client: Timeouts) -> Timeouts {
        Timeouts {
            attempt: self.timeout.unwrap_or(client.attempt),
            total: self.total_timeout.unwrap_or(client.total),
        }
    }

    /// This call's retry policy, when it has its own.
    pub(crate) fn retry_policy(&self) -> Option<&RetryPolicy> {
        self.retry.as_ref()
    }

    /// The extra headers, in the order given.
    pub(crate) fn headers(&self) -> &[(HeaderName, HeaderValue)] {
        &self.headers
    }

    /// The option that cannot be used, if any.
    pub(crate) fn problem(&self) -> Option<&str> {
        self.problem.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_apply_over_the_clients_timeouts() {
        let client = Timeouts {
            attempt: Some(Duration::from_secs(60)),
            total: Some(Duration::from_secs(90)),
        };
        assert_eq!(CallOptions::new().timeouts(client), client);
        let own = CallOptions::new()
            .timeout(Duration::from_secs(1))
            .total_timeout(None);
        assert_eq!(
            own.timeouts(client),
            Timeouts {
                attempt: Some(Duration::from_secs(1)),
                total: None
            }
        );
        assert!(CallOptions::new().is_empty() && !own.is_empty());
    }

    #[test]
    fn a_bad_header_is_a_problem_named_and_values_stay_out_of_debug() {
        let options = CallOptions::new()
            .header("x-secret", "s3cr3t-value")
            .header("bad name", "v")
            .header("x-ctl", "a\u{1}b");
        assert_eq!(options.headers().len(), 1);
        let problem = options.problem().unwrap();
        assert!(problem.starts_with("call options: "), "{problem}");
        assert!(problem.contains("bad name"), "{problem}");
        let debug = format!("{options:?}");
        assert!(
            debug.contains("x-secret") && !debug.contains("s3cr3t"),
            "{debug}"
        );
    }
}
