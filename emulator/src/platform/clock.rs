//! The emulator's clock, which every time-based behaviour reads: `createdAt` / `updatedAt`,
//! state expiry (`expiresAt`), workflow and task timeouts (`timeoutAt`), file expiry, and
//! scheduled events (`schedule.delay`, `schedule.dateTime`), which turn from `scheduled` to
//! `pending` when their time comes.
//!
//! Two modes:
//! - **system** (the default): the machine's time, plus whatever [`Clock::advance`] and
//!   [`Clock::set`] added: time keeps flowing from there;
//! - **manual** (`--clock manual`, [`Config::manual_clock`](crate::Config::manual_clock)):
//!   time stands still until advanced or set, so a test decides exactly when a state expires
//!   or an event fires, and two runs give the same timestamps.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use std::time::Duration;
//! use botpress_emulator::{Config, spawn};
//! let emulator = spawn(Config::new().manual_clock("2026-01-01T00:00:00Z".parse().unwrap())).await?;
//! // ... set a state with `expiry: 3600000` (one hour) ...
//! emulator.clock().advance(Duration::from_secs(3601));
//! // ... the state now reads as missing (404) ...
//! # Ok(()) }
//! ```
//!
//! Over the admin API: `GET /_emulator/clock` → `{"now": "...", "mode": "manual"}`,
//! `POST /_emulator/clock {"advanceMs": 3601000}` or `{"now": "2026-01-02T00:00:00Z"}`.
//!
//! Each request reads the clock once, when it arrives: everything it writes carries that one
//! time. Rate limiting, timeouts of the connection and `latency` faults run on real time.

use std::{
    cell::Cell,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use chrono::{DateTime, Utc};

/// The clock of an emulator: a handle shared with the server (clones move the same clock).
#[derive(Clone)]
pub struct Clock {
    manual: bool,
    /// Manual: the time. System: the offset from the machine's time, as a time since the
    /// epoch (an offset of zero is the epoch).
    state: Arc<Mutex<DateTime<Utc>>>,
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clock")
            .field("mode", &self.mode())
            .field("now", &self.now())
            .finish()
    }
}

impl Clock {
    /// The machine's time.
    pub(crate) fn system() -> Self {
        Self {
            manual: false,
            state: Arc::new(Mutex::new(DateTime::UNIX_EPOCH)),
        }
    }

    /// Time standing still at `start`.
    pub(crate) fn manual(start: DateTime<Utc>) -> Self {
        Self {
            manual: true,
            state: Arc::new(Mutex::new(start)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, DateTime<Utc>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `manual` or `system`.
    pub fn mode(&self) -> &'static str {
        if self.manual { "manual" } else { "system" }
    }

    /// The time now, on this clock.
    pub fn now(&self) -> DateTime<Utc> {
        let state = *self.lock();
        if self.manual {
            state
        } else {
            Utc::now() + (state - DateTime::UNIX_EPOCH)
        }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let by = chrono::Duration::from_std(by).unwrap_or(chrono::Duration::MAX);
        let mut state = self.lock();
        *state = state
            .checked_add_signed(by)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
    }

    /// Puts the clock at `at` (also backwards: documents keep the times they were given).
    pub fn set(&self, at: DateTime<Utc>) {
        let mut state = self.lock();
        *state = if self.manual {
            at
        } else {
            DateTime::UNIX_EPOCH + (at - Utc::now())
        };
    }
}

thread_local! {
    /// The time of the request this thread is serving, if any (see [`at`]).
    static REQUEST_NOW: Cell<Option<DateTime<Utc>>> = const { Cell::new(None) };
}

/// Runs `work` (a request's storage work, which runs on the calling thread) with `now` as the
/// time [`now`] answers.
pub(crate) fn at<T>(now: DateTime<Utc>, work: impl FnOnce() -> T) -> T {
    super::scoped(&REQUEST_NOW, now, work)
}

/// The time of the request being served on this thread; the machine's time outside one.
pub(crate) fn now() -> DateTime<Utc> {
    REQUEST_NOW.get().unwrap_or_else(Utc::now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let start: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        let clock = Clock::manual(start);
        assert_eq!(clock.now(), start);
        clock.advance(Duration::from_millis(1500));
        assert_eq!(clock.now().to_rfc3339(), "2026-01-01T00:00:01.500+00:00");
        let later: DateTime<Utc> = "2027-06-01T12:00:00Z".parse().unwrap();
        clock.clone().set(later);
        assert_eq!(clock.now(), later, "clones move the same clock");
    }

    #[test]
    fn a_system_clock_keeps_flowing_from_where_it_was_moved() {
        let clock = Clock::system();
        let before = Utc::now();
        clock.advance(Duration::from_secs(86_400));
        let now = clock.now();
        assert!(now >= before + chrono::Duration::days(1));
        assert!(now < Utc::now() + chrono::Duration::days(1) + chrono::Duration::seconds(5));
        let target: DateTime<Utc> = "2030-01-01T00:00:00Z".parse().unwrap();
        clock.set(target);
        let drift = clock.now() - target;
        assert!(drift >= chrono::Duration::zero() && drift < chrono::Duration::seconds(5));
    }

    #[test]
    fn the_request_time_is_scoped_to_its_work() {
        let t: DateTime<Utc> = "2001-02-03T04:05:06Z".parse().unwrap();
        let inner = at(t, || {
            let nested = at(t + chrono::Duration::days(1), now);
            (now(), nested)
        });
        assert_eq!(inner, (t, t + chrono::Duration::days(1)));
        assert!(
            now() > t + chrono::Duration::days(365),
            "outside: the machine's time"
        );
    }
}
