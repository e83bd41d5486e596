//! `client sdk|raw`: `getConversation` as fast as possible against the `fixed` server, with
//! `--concurrency` requests in flight, on one thread (as the official client runs on Node's one
//! thread). Prints requests, wall time, CPU time and peak RSS of this process.
//!
//! - `sdk`: the `botpress` client in its default configuration;
//! - `sdk-drift`: the same, with a `tracing` subscriber that records the `botpress::drift`
//!   target at `DEBUG` (and nothing else), to stderr: drift visibility on;
//! - `raw`: the same request written by hand with reqwest and serde (same headers, the
//!   response decoded into a hand-written struct).

use std::{
    collections::BTreeMap,
    future::Future,
    hint::black_box,
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use reqwest::header::{AUTHORIZATION, USER_AGENT};
use serde::{Deserialize, Serialize};

use crate::{args::Args, measure};

/// The conversation id every request asks for.
const ID: &str = "conv_01HZXK3Q9V7M2B6N8P4R5T0W1Y";

/// What one run of a client prints.
#[derive(Serialize)]
struct Report {
    client: String,
    concurrency: usize,
    requests: u64,
    wall_s: f64,
    cpu_us: u64,
    peak_rss_kib: u64,
}

/// The SDK client every benchmark uses: the default configuration (retries, tracing), token
/// and bot id set.
pub(crate) fn sdk_client(base_url: &str) -> Result<botpress::Client> {
    Ok(botpress::Client::builder()
        .base_url(base_url)
        .token("t")
        .bot_id("b")
        .build()?)
}

/// The hand-written response of the raw client.
#[derive(Deserialize)]
#[allow(dead_code)] // decoded to be measured, never read
struct RawResponse {
    conversation: RawConversation,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)] // decoded to be measured, never read
struct RawConversation {
    id: String,
    current_task_id: Option<String>,
    current_workflow_id: Option<String>,
    created_at: String,
    updated_at: String,
    channel: String,
    integration: String,
    tags: BTreeMap<String, String>,
    message_count: Option<i64>,
    properties: Option<BTreeMap<String, String>>,
}

/// Installs, for the process, a subscriber that writes the `botpress::drift` events at
/// `DEBUG` to stderr and records nothing else.
fn drift_subscriber() {
    use tracing_subscriber::{filter::Targets, layer::SubscriberExt, util::SubscriberInitExt};
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(false),
        )
        .with(Targets::new().with_target("botpress::drift", tracing::Level::DEBUG))
        .init();
}

/// Runs `op` with `concurrency` loops until `duration` has passed; the number of completed
/// operations. The first error stops the run.
pub(crate) async fn run_for<F, Fut>(concurrency: usize, duration: Duration, op: &F) -> Result<u64>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<()>>,
{
    let deadline = Instant::now() + duration;
    let loops = (0..concurrency).map(|_| async move {
        let mut done = 0u64;
        while Instant::now() < deadline {
            op().await?;
            done += 1;
        }
        Ok::<u64, anyhow::Error>(done)
    });
    Ok(futures::future::try_join_all(loops).await?.iter().sum())
}

/// Warms up for `warmup`, then measures `duration`: (operations, wall time, CPU µs). With
/// `fixed > 0`: exactly `fixed` sequential operations, no warm-up.
pub(crate) async fn measure<F, Fut>(
    concurrency: usize,
    warmup: Duration,
    duration: Duration,
    fixed: u64,
    op: F,
) -> Result<(u64, Duration, u64)>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<()>>,
{
    if fixed > 0 {
        let phase = measure::Phase::start();
        for _ in 0..fixed {
            op().await?;
        }
        let (wall, cpu) = phase.finish();
        return Ok((fixed, wall, cpu));
    }
    run_for(concurrency, warmup, &op).await?;
    let phase = measure::Phase::start();
    let done = run_for(concurrency, duration, &op).await?;
    let (wall, cpu) = phase.finish();
    Ok((done, wall, cpu))
}

/// `client sdk|raw --url U --concurrency C --warmup-ms W --duration-ms D`.
pub(crate) fn main(which: &str, args: &Args) -> Result<()> {
    let url = args.get("url")?.to_string();
    let concurrency: usize = args.num("concurrency", 1)?;
    let warmup = args.millis("warmup-ms", 1000)?;
    let duration = args.millis("duration-ms", 5000)?;
    // `--requests N`: exactly N sequential requests, no warm-up (for instruction counts).
    let fixed: u64 = args.num("requests", 0)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (requests, wall, cpu_us) = runtime.block_on(async {
        match which {
            "sdk" | "sdk-drift" => {
                if which == "sdk-drift" {
                    drift_subscriber();
                }
                let client = sdk_client(&url)?;
                measure(concurrency, warmup, duration, fixed, || async {
                    let response = client.get_conversation().id(ID).send().await?;
                    black_box(response);
                    Ok(())
                })
                .await
            }
            "raw" => {
                let client = botpress::tls::reqwest_builder()?.build()?;
                let endpoint = format!("{url}/v1/chat/conversations/{ID}");
                measure(concurrency, warmup, duration, fixed, || async {
                    let response = client
                        .get(&endpoint)
                        .header("x-bot-id", "b")
                        .header(AUTHORIZATION, "Bearer t")
                        .header(USER_AGENT, botpress::DEFAULT_USER_AGENT)
                        .send()
                        .await?
                        .error_for_status()?;
                    black_box(response.json::<RawResponse>().await?);
                    Ok(())
                })
                .await
            }
            other => bail!("unknown client `{other}` (sdk, sdk-drift, raw)"),
        }
    })?;
    measure::report(&Report {
        client: which.to_string(),
        concurrency,
        requests,
        wall_s: wall.as_secs_f64(),
        cpu_us,
        peak_rss_kib: measure::peak_rss_kib().context("peak RSS")?,
    })
}
