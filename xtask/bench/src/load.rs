//! `load --url U --method M --path P [--body JSON] --concurrency C [--requests N]`: the throughput of a
//! server (the emulator, Prism) for one request, sent with raw reqwest as fast as the server
//! answers. Every answer must be 2xx and is read whole.

use anyhow::{Result, bail};
use reqwest::{Method, header::AUTHORIZATION};
use serde::Serialize;

use crate::{args::Args, clients::measure};

#[derive(Serialize)]
struct Report {
    requests: u64,
    wall_s: f64,
    cpu_us: u64,
}

/// `load --url U --method M --path P [--body JSON] [--token T] [--bot-id B] --concurrency C`.
pub(crate) fn main(args: &Args) -> Result<()> {
    let endpoint = format!("{}{}", args.get("url")?, args.get("path")?);
    let method: Method = args.get("method")?.parse()?;
    let body = args.get("body").ok().map(str::to_string);
    let token = format!("Bearer {}", args.get("token").unwrap_or("t"));
    let bot_id = args.get("bot-id").unwrap_or("b").to_string();
    let concurrency: usize = args.num("concurrency", 1)?;
    let warmup = args.millis("warmup-ms", 500)?;
    let duration = args.millis("duration-ms", 3000)?;
    // `--requests N`: exactly N sequential requests, no warm-up (for instruction counts).
    let fixed: u64 = args.num("requests", 0)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // A server that stops answering fails the run instead of hanging it.
    let client = botpress::tls::reqwest_builder()?
        .timeout(std::time::Duration::from_secs(30))
        .build()?;
    let (requests, wall, cpu_us) =
        runtime.block_on(measure(concurrency, warmup, duration, fixed, || {
            let mut request = client
                .request(method.clone(), &endpoint)
                .header(AUTHORIZATION, &token)
                .header("x-bot-id", &bot_id);
            if let Some(body) = &body {
                request = request
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone());
            }
            async move {
                let response = request.send().await?;
                let status = response.status();
                let bytes = response.bytes().await?;
                if !status.is_success() {
                    bail!("{status}: {}", String::from_utf8_lossy(&bytes));
                }
                Ok(())
            }
        }))?;
    crate::measure::report(&Report {
        requests,
        wall_s: wall.as_secs_f64(),
        cpu_us,
    })
}
