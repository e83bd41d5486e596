//! What a measuring process knows about itself: CPU time (`getrusage`), resident memory
//! (`/proc/self/status`), and the one-line JSON report it prints for `cargo xtask bench`.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::Serialize;

/// User + system CPU time of this process (all threads) so far, in microseconds.
#[allow(unsafe_code)] // the one FFI call of the workspace
pub(crate) fn cpu_us() -> u64 {
    // SAFETY: `getrusage` only writes the `rusage` it is given; a zeroed `rusage` is a valid
    // value of that plain C struct.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let us = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    us(usage.ru_utime) + us(usage.ru_stime)
}

/// A field of `/proc/self/status` given in kB (`VmHWM`, `VmRSS`), in KiB.
fn status_kib(field: &str) -> Result<u64> {
    let status =
        std::fs::read_to_string("/proc/self/status").context("reading /proc/self/status")?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("no {field} in /proc/self/status"))
}

/// Peak resident set size of this process so far (`VmHWM`), in KiB.
pub(crate) fn peak_rss_kib() -> Result<u64> {
    status_kib("VmHWM")
}

/// Current resident set size (`VmRSS`), in KiB.
pub(crate) fn rss_kib() -> Result<u64> {
    status_kib("VmRSS")
}

/// Wall and CPU time of one measured phase.
pub(crate) struct Phase {
    started: Instant,
    cpu_start: u64,
}

impl Phase {
    /// Starts measuring now.
    pub(crate) fn start() -> Self {
        Self {
            cpu_start: cpu_us(),
            started: Instant::now(),
        }
    }

    /// Wall time and CPU microseconds since [`Phase::start`].
    pub(crate) fn finish(self) -> (Duration, u64) {
        (self.started.elapsed(), cpu_us() - self.cpu_start)
    }
}

/// Prints `value` as one JSON line on stdout: the protocol between a measuring child and
/// `cargo xtask bench`.
pub(crate) fn report(value: &impl Serialize) -> Result<()> {
    println!("{}", serde_json::to_string(value)?);
    Ok(())
}
