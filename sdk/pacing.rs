//! Client-side pacing (opt-in): a cap on requests in flight, a requests-per-second budget, and
//! the server's own rate budget followed ([`Pacing::from_server`]).
//!
//! The Botpress API answers `429` past its rate limit (the "Rate limiting" page of the API
//! reference); pacing keeps a
//! busy program under it instead of relying on retries. Both limits are shared by every clone
//! of a client (including [`Client::with_bot_id`](crate::Client::with_bot_id) and friends) and
//! count every attempt, retries included.
//!
//! - **In flight**: a [`tokio::sync::Semaphore`]; a permit is held from sending until the
//!   response body has been read (or dropped).
//! - **Rate**: a token bucket in its GCRA form: one request every `1/rate` seconds, with
//!   bursts of up to [`Pacing::burst`] requests (default 1: evenly spaced).
//!
//! - **The server's budget**: the `RateLimit-*` headers of every answer, read and followed so
//!   that requests wait *before* the budget runs out (see [`Pacing::from_server`]); one budget
//!   per bot and token, shared by the clones that send them.
//!
//! Waiting for pacing counts against the client's total deadline; a request that cannot get
//! its turn before the deadline fails with [`ErrorKind::Timeout`](crate::ErrorKind::Timeout)
//! without being sent.
//!
//! ```no_run
//! use botpress::{Client, Pacing};
//!
//! let client = Client::builder()
//!     .pacing(Pacing::new().max_in_flight(8).requests_per_second(20.0))
//!     .from_env()
//!     .build()?;
//! # Ok::<(), botpress::ConfigError>(())
//! ```

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::budget::{Budget, Budgets};
use crate::config::{ConfigError, Setting};

/// Pacing limits; see the [module docs](self). The default paces nothing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pacing {
    max_in_flight: Option<usize>,
    requests_per_second: Option<f64>,
    burst: Option<u32>,
    server: bool,
}

impl Pacing {
    /// No limit; add some with the methods below.
    pub fn new() -> Self {
        Self::default()
    }

    /// Follows the rate budget the server announces on every answer (`RateLimit-Limit`,
    /// `RateLimit-Remaining`, `RateLimit-Reset`): requests wait for the budget's reset instead
    /// of being sent into `429`s. Until the first answer, one request at a time goes; a server
    /// that sends no budget is not paced. Combine with the other limits as needed.
    ///
    /// A fan-out of 1,000 reads at concurrency 64 against the emulator's `--rate-limit 100/s`
    /// meets no `429` after the first answer and takes about the ideal 10 s (`cargo xtask
    /// bench --only rate` prints the figures, next to the same run without it).
    ///
    /// ```no_run
    /// use botpress::{Client, Pacing};
    ///
    /// let client = Client::builder()
    ///     .pacing(Pacing::from_server().max_in_flight(64))
    ///     .from_env()
    ///     .build()?;
    /// # Ok::<(), botpress::ConfigError>(())
    /// ```
    pub fn from_server() -> Self {
        Self {
            server: true,
            ..Self::default()
        }
    }

    /// At most `n` requests in flight at once (`n` ≥ 1).
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.max_in_flight = Some(n);
        self
    }

    /// At most `rate` requests per second on average (`rate` > 0).
    pub fn requests_per_second(mut self, rate: f64) -> Self {
        self.requests_per_second = Some(rate);
        self
    }

    /// Requests that may go at once before the rate applies (default 1).
    pub fn burst(mut self, n: u32) -> Self {
        self.burst = Some(n);
        self
    }

    /// `true` when no limit is set.
    pub fn is_unlimited(&self) -> bool {
        self.max_in_flight.is_none() && self.requests_per_second.is_none() && !self.server
    }

    pub(crate) fn build(&self) -> Result<Option<Arc<Pacer>>, ConfigError> {
        if self.burst.is_some() && self.requests_per_second.is_none() {
            return Err(ConfigError::Conflict(
                "pacing: `burst` needs `requests_per_second`",
            ));
        }
        if self.is_unlimited() {
            return Ok(None);
        }
        let zero = |option| ConfigError::Zero {
            setting: Setting::Option(option),
        };
        let semaphore = match self.max_in_flight {
            Some(0) => return Err(zero("pacing.max_in_flight")),
            Some(n) => Some(Arc::new(Semaphore::new(n.min(Semaphore::MAX_PERMITS)))),
            None => None,
        };
        let bucket = match self.requests_per_second {
            Some(rate) if !(rate.is_finite() && rate > 0.0) => {
                return Err(zero("pacing.requests_per_second"));
            }
            Some(rate) => {
                let burst = self.burst.unwrap_or(1);
                if burst == 0 {
                    return Err(zero("pacing.burst"));
                }
                Some(Mutex::new(Gcra::new(rate, burst)))
            }
            None => None,
        };
        let budgets = self.server.then(Budgets::default);
        Ok(Some(Arc::new(Pacer {
            semaphore,
            bucket,
            budgets,
        })))
    }
}

/// The shared pacing state of a client and its clones.
#[derive(Debug)]
pub(crate) struct Pacer {
    semaphore: Option<Arc<Semaphore>>,
    bucket: Option<Mutex<Gcra>>,
    /// The server's budgets, when followed.
    budgets: Option<Budgets>,
}

/// Held while a request is in flight; releases its slot when dropped.
#[derive(Debug)]
pub(crate) struct Permit(#[allow(dead_code)] Option<OwnedSemaphorePermit>);

/// Pacing could not be satisfied before the deadline.
#[derive(Debug)]
pub(crate) struct DeadlineExceeded;

impl Pacer {
    /// The server's budget of requests sent for `bot` with `token`, when it is followed.
    pub(crate) fn budget(&self, bot: Option<&str>, token: Option<&str>) -> Option<Arc<Budget>> {
        Some(self.budgets.as_ref()?.of(bot, token))
    }

    /// Waits for an in-flight slot, then for the rate budget; gives up (without consuming the
    /// budget) when either cannot be had before `deadline`.
    pub(crate) async fn acquire(
        &self,
        deadline: Option<Instant>,
    ) -> Result<Permit, DeadlineExceeded> {
        let slot = match &self.semaphore {
            Some(semaphore) => {
                let acquire = semaphore.clone().acquire_owned();
                let permit = match deadline {
                    Some(d) => tokio::time::timeout_at(d, acquire)
                        .await
                        .map_err(|_| DeadlineExceeded)?,
                    None => acquire.await,
                };
                // The semaphore is never closed.
                Some(permit.map_err(|_| DeadlineExceeded)?)
            }
            None => None,
        };
        if let Some(bucket) = &self.bucket {
            let wait = {
                let mut gcra = bucket
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                gcra.reserve(Instant::now(), deadline)
                    .ok_or(DeadlineExceeded)?
            };
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
        }
        Ok(Permit(slot))
    }
}

/// Generic cell rate algorithm: the token bucket as one "theoretical arrival time".
#[derive(Debug)]
struct Gcra {
    /// Time between two requests at the sustained rate.
    interval: Duration,
    /// How far ahead of the schedule a burst may run: `interval × (burst - 1)`.
    tolerance: Duration,
    /// When the next request is due on the schedule.
    tat: Option<Instant>,
}

impl Gcra {
    fn new(rate: f64, burst: u32) -> Self {
        let interval = Duration::from_secs_f64(1.0 / rate);
        Self {
            interval,
            tolerance: interval.saturating_mul(burst - 1),
            tat: None,
        }
    }

    /// Reserves the next slot: returns how long to wait before sending, or `None` (reserving
    /// nothing) when that wait would end past `deadline`.
    fn reserve(&mut self, now: Instant, deadline: Option<Instant>) -> Option<Duration> {
        let tat = self.tat.map_or(now, |t| t.max(now));
        let earliest = tat.checked_sub(self.tolerance).unwrap_or(now).max(now);
        if deadline.is_some_and(|d| earliest > d) {
            return None;
        }
        self.tat = Some(tat + self.interval);
        Some(earliest - now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn gcra_spaces_requests_at_the_rate() {
        let mut g = Gcra::new(10.0, 1); // one every 100 ms
        let t0 = Instant::now();
        assert_eq!(g.reserve(t0, None), Some(Duration::ZERO));
        assert_eq!(g.reserve(t0, None), Some(100 * MS));
        assert_eq!(g.reserve(t0, None), Some(200 * MS));
        // After idling, the schedule restarts at "now" (no credit beyond the burst).
        let later = t0 + Duration::from_secs(5);
        assert_eq!(g.reserve(later, None), Some(Duration::ZERO));
        assert_eq!(g.reserve(later, None), Some(100 * MS));
    }

    #[test]
    fn gcra_allows_bursts() {
        let mut g = Gcra::new(10.0, 3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(g.reserve(t0, None), Some(Duration::ZERO));
        }
        assert_eq!(g.reserve(t0, None), Some(100 * MS));
    }

    #[test]
    fn gcra_refuses_past_the_deadline_without_reserving() {
        let mut g = Gcra::new(2.0, 1); // one every 500 ms
        let t0 = Instant::now();
        assert_eq!(g.reserve(t0, Some(t0)), Some(Duration::ZERO));
        assert_eq!(g.reserve(t0, Some(t0 + 100 * MS)), None);
        // Nothing was reserved by the refusal.
        assert_eq!(g.reserve(t0, None), Some(500 * MS));
    }

    #[tokio::test]
    async fn waiting_for_a_slot_stops_at_the_deadline() {
        let pacer = Pacing::new().max_in_flight(1).build().unwrap().unwrap();
        let held = pacer.acquire(None).await.unwrap();
        assert!(held.0.is_some());
        let deadline = Instant::now() + 20 * MS;
        assert!(pacer.acquire(Some(deadline)).await.is_err());
        drop(held);
        let again = pacer.acquire(Some(Instant::now() + 20 * MS)).await.unwrap();
        assert!(again.0.is_some());
    }

    #[test]
    fn invalid_limits_are_config_errors() {
        let msg = |p: Pacing| p.build().unwrap_err().to_string();
        assert_eq!(
            msg(Pacing::new().max_in_flight(0)),
            "option `pacing.max_in_flight` must be greater than zero"
        );
        assert_eq!(
            msg(Pacing::new().requests_per_second(0.0)),
            "option `pacing.requests_per_second` must be greater than zero"
        );
        assert_eq!(
            msg(Pacing::new().burst(3)),
            "pacing: `burst` needs `requests_per_second`"
        );
        assert!(Pacing::new().build().unwrap().is_none());
    }
}
