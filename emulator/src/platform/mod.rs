//! The emulator as a test platform: what a test can make the service do on purpose, and what
//! it can see afterwards.
//!
//! - [`clock`]: the time every time-based behaviour reads, movable, or standing still;
//! - [`faults`]: scripted failures per operation (errors, latency, dropped connections,
//!   stalled bodies, and writes that commit and then fail);
//! - [`journal`]: every request and its answer, queryable;
//! - [`limits`]: the service's platform limits (payload, state and body sizes), on by default;
//! - [`rate`]: the service's rate limiting, per bot, opt-in;
//! - [`snapshot`]: the stored state, whole or one bot's, saved to a file and restored.
//!
//! Each is reachable from the embedded handle ([`Emulator::faults`](crate::Emulator::faults),
//! [`Emulator::journal`](crate::Emulator::journal)) and from the admin API under the reserved
//! prefix [`ADMIN_PREFIX`], which takes the emulator's token like the API does (see the
//! emulator's README for its routes).

pub(crate) mod admin;
pub mod clock;
pub mod faults;
pub mod journal;
pub mod limits;
pub mod rate;
pub mod snapshot;

use std::sync::Arc;

pub use clock::Clock;
pub use faults::{Fault, FaultKind, Faults};
pub use journal::{Call, Journal};
pub use limits::PlatformLimits;
pub use rate::RateLimit;
pub use snapshot::{Snapshot, SnapshotError};

/// The path prefix of the admin API (shared with the file-content URLs, `upload/` and
/// `files/`); no Botpress API path starts with it.
pub const ADMIN_PREFIX: &str = crate::content::PREFIX;

/// Runs `work` with `value` in the request-scoped thread-local `key` (the time and limits of
/// the request whose storage work runs on this thread), putting back what was there after,
/// even when `work` panics.
fn scoped<V: Copy + 'static, T>(
    key: &'static std::thread::LocalKey<std::cell::Cell<Option<V>>>,
    value: V,
    work: impl FnOnce() -> T,
) -> T {
    struct Reset<V: Copy + 'static>(
        &'static std::thread::LocalKey<std::cell::Cell<Option<V>>>,
        Option<V>,
    );
    impl<V: Copy + 'static> Drop for Reset<V> {
        fn drop(&mut self) {
            self.0.set(self.1);
        }
    }
    let _reset = Reset(key, key.replace(Some(value)));
    work()
}

/// Runs a request's storage work with its time and its platform limits (see [`clock::at`],
/// [`limits::within`]).
pub(crate) fn during<T>(
    now: chrono::DateTime<chrono::Utc>,
    limits: PlatformLimits,
    work: impl FnOnce() -> T,
) -> T {
    clock::at(now, || limits::within(limits, work))
}

/// The test-platform state of one emulator, shared by the server and the handles.
#[derive(Debug, Clone)]
pub(crate) struct Platform {
    pub(crate) clock: Clock,
    pub(crate) faults: Faults,
    pub(crate) journal: Journal,
    pub(crate) rate: Option<Arc<rate::RateLimiter>>,
}

impl Platform {
    pub(crate) fn new(config: &crate::Config) -> Self {
        Self {
            clock: match config.manual_clock {
                Some(start) => Clock::manual(start),
                None => Clock::system(),
            },
            faults: Faults::default(),
            journal: Journal::new(config.journal_capacity, config.journal_bodies),
            rate: config
                .rate_limit
                .map(|r| Arc::new(rate::RateLimiter::new(r))),
        }
    }
}
