//! `cargo xtask bench [--quick] [--codegen] [--only SECTION]...`: the SDK's numbers, measured
//! on this machine and printed (a markdown table on stdout, `<target>/bench/latest.json`);
//! each target is reported as pass or short and never fails the command.
//!
//! Sections: `overhead` (per-request cost against raw reqwest and the official TypeScript
//! client), `instructions` (callgrind counts per request, SDK next to raw reqwest and drift visibility on next to off), `pagination` (flat memory, prefetch), `emulator` (throughput next to Prism),
//! `platform` (what the emulator's journal and rate limiter cost a request), `rate` (a fan-out
//! against a rate limit, with and without following the server's budget),
//! `build` (clean, incremental and code generation times), `downstream` (a user crate's clean
//! build and package count per feature set). The measuring programs are the
//! release build of the `botpress-bench` crate, each client in its own process; only loopback
//! servers are used.

mod build_time;
mod child;
mod downstream;
mod emulator;
mod instructions;
mod overhead;
mod pagination;
mod platform;
mod rate;
mod report;
mod scale;

use std::path::Path;

use anyhow::{Result, bail};

/// The sections, in the order they run.
pub(crate) const SECTIONS: &[&str] = &[
    "overhead",
    "instructions",
    "pagination",
    "emulator",
    "platform",
    "rate",
    "scale",
    "build",
    "downstream",
];

/// How long each measurement runs.
pub(crate) struct Timing {
    /// Warm-up before each measured client run, in milliseconds.
    pub warmup_ms: u64,
    /// Length of each measured client run, in milliseconds.
    pub duration_ms: u64,
    /// Interleaved repetitions (medians are reported).
    pub rounds: usize,
    /// Pages read in the 20 ms latency comparison.
    pub latency_pages: u64,
}

impl Timing {
    fn new(quick: bool) -> Self {
        if quick {
            Self {
                warmup_ms: 300,
                duration_ms: 1_500,
                rounds: 1,
                latency_pages: 50,
            }
        } else {
            Self {
                warmup_ms: 1_000,
                duration_ms: 5_000,
                rounds: 3,
                latency_pages: 200,
            }
        }
    }
}

/// What to run.
pub(crate) struct Options {
    /// Short runs (about a tenth of the time), for a first look.
    pub quick: bool,
    /// Only the code generation time.
    pub codegen: bool,
    /// Only these sections (all when empty).
    pub only: Vec<String>,
}

/// Runs the benchmarks from the workspace root `root`.
pub(crate) fn command(root: &Path, options: &Options) -> Result<i32> {
    for name in &options.only {
        if !SECTIONS.contains(&name.as_str()) {
            bail!("unknown section `{name}` (one of {})", SECTIONS.join(", "));
        }
    }
    let timing = Timing::new(options.quick);
    let env = child::prepare(root)?;
    let json_path = env.target_dir.join("bench").join("latest.json");
    let wanted = |s: &str| options.only.is_empty() || options.only.iter().any(|o| o == s);
    let mut sections = Vec::new();
    if options.codegen {
        sections.push(build_time::run_codegen_only(&env, &timing)?);
    } else {
        if wanted("overhead") {
            let node = match xtask::npm::ensure_installed(&root.join("tools/node"))? {
                xtask::npm::Tools::Ready => Ok(()),
                xtask::npm::Tools::Absent(why) => Err(why),
            };
            sections.push(overhead::run(&env, &timing, node)?);
        }
        if wanted("instructions") {
            sections.push(instructions::run(&env)?);
        }
        if wanted("pagination") {
            sections.push(pagination::run(&env, &timing)?);
        }
        if wanted("emulator") {
            sections.push(emulator::run(&env, &timing)?);
        }
        if wanted("platform") {
            sections.push(platform::run(&env, &timing)?);
        }
        if wanted("rate") {
            sections.push(rate::run(&env, &timing)?);
        }
        if wanted("scale") {
            sections.push(scale::run(&env, options.quick)?);
        }
        if wanted("build") {
            sections.push(build_time::run(&env, &timing)?);
        }
        if wanted("downstream") {
            sections.push(downstream::run(&env, options.quick)?);
        }
    }
    report::finish(&sections, options.quick, &json_path)?;
    Ok(0)
}
