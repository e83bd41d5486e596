//! Rate limiting like the service's (opt-in): a sliding window per bot that answers `429` with
//! the documented body once a bot has made `limit` requests in the last `window`, and puts
//! `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` on every API response.
//!
//! The service's behaviour, from the Botpress API reference ("Rate limiting",
//! <https://botpress.com/docs/api-reference/ratelimiting>): a sliding-window limiter, `429 Too
//! Many Requests` past the limit with the body
//! `{"type":"RateLimited","description":"The request has been rate-limited.","status":429}`
//! (not the usual error shape), and the three headers on every response, `RateLimit-Reset` in
//! seconds.
//!
//! Here `RateLimit-Remaining` is what is left in the window after this request, and
//! `RateLimit-Reset` the seconds (rounded up) until the oldest request counted leaves the
//! window, which is when one more request is allowed again; `0` when none is counted.
//! Rejected requests are not counted. The window runs on real time, not on the emulator's
//! clock.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use botpress_emulator::{Config, RateLimit, spawn};
//! let emulator = spawn(Config::new().rate_limit("100/s".parse::<RateLimit>().unwrap())).await?;
//! # Ok(()) }
//! ```

use axum::http::{HeaderName, HeaderValue};
use std::{
    collections::{HashMap, VecDeque},
    fmt,
    str::FromStr,
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

/// A rate: at most `limit` requests per `window`, per bot. Parsed from `100/s`, `6000/min`,
/// `10/500ms` or `50/10s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    limit: u32,
    window: Duration,
}

impl RateLimit {
    /// `limit` requests per `window` (both at least 1).
    ///
    /// # Panics
    /// When `limit` is 0 or `window` is zero.
    pub fn new(limit: u32, window: Duration) -> Self {
        assert!(limit > 0, "a rate limit allows at least one request");
        assert!(
            !window.is_zero(),
            "a rate limit's window is longer than zero"
        );
        Self { limit, window }
    }

    /// `limit` requests per second.
    pub fn per_second(limit: u32) -> Self {
        Self::new(limit, Duration::from_secs(1))
    }

    /// Requests allowed per window.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// The window.
    pub fn window(&self) -> Duration {
        self.window
    }
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.window.as_millis();
        match ms {
            1000 => write!(f, "{}/s", self.limit),
            60_000 => write!(f, "{}/min", self.limit),
            ms if ms % 1000 == 0 => write!(f, "{}/{}s", self.limit, ms / 1000),
            ms => write!(f, "{}/{}ms", self.limit, ms),
        }
    }
}

impl FromStr for RateLimit {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!("`{s}` is not a rate: write requests/window, e.g. 100/s, 6000/min, 10/500ms")
        };
        let (limit, window) = s.trim().split_once('/').ok_or_else(bad)?;
        let limit: u32 = limit.trim().parse().map_err(|_| bad())?;
        let window = window.trim();
        let digits = window
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(window.len());
        let (count, unit) = window.split_at(digits);
        let count: u64 = if count.is_empty() {
            1
        } else {
            count.parse().map_err(|_| bad())?
        };
        let unit_ms: u64 = match unit {
            "ms" => 1,
            "s" | "sec" => 1000,
            "m" | "min" => 60_000,
            "h" => 3_600_000,
            _ => return Err(bad()),
        };
        if limit == 0 || count == 0 {
            return Err(format!(
                "`{s}`: the limit and the window must be at least 1"
            ));
        }
        let ms = count
            .checked_mul(unit_ms)
            .filter(|ms| *ms <= 86_400_000)
            .ok_or_else(|| format!("`{s}`: the window may be at most a day"))?;
        Ok(Self::new(limit, Duration::from_millis(ms)))
    }
}

/// What the limiter decided for one request ([`RateLimiter::headers`] tells the client).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Decision {
    pub(crate) allowed: bool,
    pub(crate) remaining: u32,
    /// Seconds until one more request is allowed (rounded up).
    pub(crate) reset: u64,
}

/// The names of the `RateLimit-*` headers (built at compile time: `from_static` checks its
/// argument, which costs every call that makes one at run time).
const LIMIT_HEADER: HeaderName = HeaderName::from_static("ratelimit-limit");
const REMAINING_HEADER: HeaderName = HeaderName::from_static("ratelimit-remaining");
const RESET_HEADER: HeaderName = HeaderName::from_static("ratelimit-reset");

/// A number as a header value; the small ones (the usual `RateLimit-Reset`, a `Remaining`
/// near the end of a window) without an allocation.
fn number(n: u64) -> HeaderValue {
    const SMALL: [&str; 16] = [
        "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15",
    ];
    match usize::try_from(n).ok().and_then(|i| SMALL.get(i)) {
        Some(text) => HeaderValue::from_static(text),
        None => HeaderValue::from(n),
    }
}

/// The documented body of a `429`.
pub(crate) const RATE_LIMITED_BODY: &str =
    r#"{"type":"RateLimited","description":"The request has been rate-limited.","status":429}"#;

/// A sliding-window log per bot: the arrival times of the requests counted in the window.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    rate: RateLimit,
    /// `RateLimit-Limit`, the same on every answer: rendered once, shared by each.
    limit_value: HeaderValue,
    /// Per bot, the times of its requests in the window, oldest first (a fast hasher: the key
    /// is looked up on every request).
    bots: Mutex<HashMap<String, VecDeque<Instant>, foldhash::fast::RandomState>>,
}

impl RateLimiter {
    pub(crate) fn new(rate: RateLimit) -> Self {
        Self {
            rate,
            limit_value: number(rate.limit.into()),
            bots: Mutex::new(HashMap::default()),
        }
    }

    /// The `RateLimit-*` headers of an answer counted by `decision`.
    pub(crate) fn headers(&self, decision: &Decision) -> [(HeaderName, HeaderValue); 3] {
        [
            (LIMIT_HEADER, self.limit_value.clone()),
            (REMAINING_HEADER, number(decision.remaining.into())),
            (RESET_HEADER, number(decision.reset)),
        ]
    }

    /// Counts a request of `bot` arriving at `now` if the window has room.
    pub(crate) fn check(&self, bot: &str, now: Instant) -> Decision {
        let mut bots = self.bots.lock().unwrap_or_else(PoisonError::into_inner);
        let log = match bots.get_mut(bot) {
            Some(log) => log,
            None => bots.entry(bot.to_string()).or_default(),
        };
        while log
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= self.rate.window)
        {
            log.pop_front();
        }
        let allowed = log.len() < self.rate.limit as usize;
        if allowed {
            log.push_back(now);
        }
        let reset = log.front().map_or(0, |oldest| {
            let left = (*oldest + self.rate.window).saturating_duration_since(now);
            left.as_millis().div_ceil(1000) as u64
        });
        Decision {
            allowed,
            remaining: self.rate.limit - log.len() as u32,
            reset,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_and_print() {
        for (text, limit, ms, shown) in [
            ("100/s", 100, 1000, "100/s"),
            ("6000/min", 6000, 60_000, "6000/min"),
            ("10/500ms", 10, 500, "10/500ms"),
            ("50/10s", 50, 10_000, "50/10s"),
            (" 7 / 2m ", 7, 120_000, "7/120s"),
        ] {
            let rate: RateLimit = text.parse().unwrap();
            assert_eq!(
                (rate.limit(), rate.window().as_millis()),
                (limit, ms),
                "{text}"
            );
            assert_eq!(rate.to_string(), shown);
        }
        for bad in [
            "100",
            "0/s",
            "10/0s",
            "x/s",
            "10/fortnight",
            "10/2d",
            "10/99999h",
        ] {
            assert!(bad.parse::<RateLimit>().is_err(), "{bad}");
        }
    }

    /// Against a reference that keeps every accepted arrival and counts those in the window,
    /// on random arrival times: the same decisions and headers.
    #[test]
    fn the_window_agrees_with_a_counting_reference() {
        let rate = RateLimit::new(5, Duration::from_millis(1000));
        let limiter = RateLimiter::new(rate);
        let start = Instant::now();
        let mut accepted: Vec<Duration> = Vec::new();
        let mut at = Duration::ZERO;
        let mut seed = 0x2545_f491_u64;
        for _ in 0..2000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            at += Duration::from_millis(seed % 400);
            let in_window: Vec<Duration> = accepted
                .iter()
                .copied()
                .filter(|t| at - *t < rate.window)
                .collect();
            let allowed = in_window.len() < 5;
            if allowed {
                accepted.push(at);
            }
            let counted = in_window.len() + usize::from(allowed);
            let oldest = if allowed && in_window.is_empty() {
                Some(at)
            } else {
                in_window.first().copied()
            };
            let reset = oldest.map_or(0, |o| {
                (o + rate.window - at).as_millis().div_ceil(1000) as u64
            });
            let got = limiter.check("bot", start + at);
            assert_eq!(
                got,
                Decision {
                    allowed,
                    remaining: 5 - counted as u32,
                    reset
                },
                "at {at:?}"
            );
        }
        assert_eq!(
            limiter.check("other", start + at).remaining,
            4,
            "bots are counted apart"
        );
    }
}
