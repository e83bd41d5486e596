//! `fanout --url U --token T --bot-id B --requests N --concurrency C [--pacing server]`: `N`
//! getConversation calls of one conversation through the SDK, `C` at a time, against a rate
//! limited server; the wall time, the `429`s the client received (each one a retry the policy
//! absorbed) and the calls that failed.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};
use std::time::Instant;

use anyhow::Result;
use botpress::{Client, Pacing, RetryPolicy, retry::RetryReason};
use futures::{StreamExt, stream};
use serde::Serialize;

use crate::args::Args;

#[derive(Serialize)]
struct Report {
    requests: u64,
    wall_s: f64,
    received_429: u64,
    failed: u64,
}

/// `fanout --url U --token T --bot-id B --requests N --concurrency C [--pacing server]`.
pub(crate) fn main(args: &Args) -> Result<()> {
    let requests: u64 = args.num("requests", 1000)?;
    let concurrency: usize = args.num("concurrency", 64)?;
    let limited = Arc::new(AtomicU64::new(0));
    let counter = limited.clone();
    let retry = RetryPolicy::new().max_attempts(20).on_retry(move |event| {
        if matches!(event.reason, RetryReason::Status(429)) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    });
    let mut builder = Client::builder()
        .base_url(args.get("url")?)
        .token(args.get("token")?)
        .bot_id(args.get("bot-id")?)
        .retry(retry);
    match args.get("pacing").unwrap_or("off") {
        "off" => {}
        "server" => builder = builder.pacing(Pacing::from_server()),
        other => anyhow::bail!("--pacing {other}: `off` or `server`"),
    }
    let client = builder.build()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (wall, failed) = runtime.block_on(async {
        let id = client
            .create_conversation()
            .channel("bench")
            .tags([("bench", "fanout")])
            .send()
            .await?
            .conversation
            .id;
        // The set-up's request is counted by the limiter too: start with a fresh window.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let started = Instant::now();
        let failed = stream::iter(0..requests)
            .map(|_| client.get_conversation().id(&id).send())
            .buffer_unordered(concurrency)
            .filter(|result| std::future::ready(result.is_err()))
            .count()
            .await;
        Ok::<_, anyhow::Error>((started.elapsed(), failed as u64))
    })?;
    crate::measure::report(&Report {
        requests,
        wall_s: wall.as_secs_f64(),
        received_429: limited.load(Ordering::Relaxed),
        failed,
    })
}
