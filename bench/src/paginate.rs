//! `paginate --url U [--prefetch] --consumer-us-per-item N`: reads every message of the `pages`
//! server with the SDK, 100 per page, spending `N` µs of (asynchronous) work per item as a
//! consumer would. Prints items, pages, wall time, the RSS once the first pages are read, and
//! the peak RSS at the end: memory must stay flat however many items stream by.

use std::{hint::black_box, time::Duration};

use anyhow::Result;
use serde::Serialize;

use crate::{args::Args, clients::sdk_client, measure};

/// Items read before the baseline RSS is taken (buffers and pools are warm by then).
const BASELINE_AFTER_ITEMS: u64 = 1_000;

#[derive(Serialize)]
struct Report {
    mode: &'static str,
    items: u64,
    pages: u64,
    wall_s: f64,
    cpu_us: u64,
    baseline_rss_kib: u64,
    peak_rss_kib: u64,
}

/// Counts items and takes the baseline RSS once enough have gone by.
struct Tally {
    items: u64,
    pages: u64,
    baseline_rss_kib: u64,
}

impl Tally {
    fn item(&mut self) -> Result<()> {
        self.items += 1;
        if self.items == BASELINE_AFTER_ITEMS {
            self.baseline_rss_kib = measure::rss_kib()?;
        }
        Ok(())
    }
}

/// `paginate --url U [--prefetch] [--consumer-us-per-item N]`.
pub fn main(args: &Args) -> Result<()> {
    let url = args.get("url")?.to_string();
    let work = Duration::from_micros(args.num("consumer-us-per-item", 0)?);
    let prefetch = args.flag("prefetch");
    if prefetch {
        // Reported, not failed: `cargo xtask bench` lists it as not measured.
        return measure::report(&serde_json::json!({
            "not_measured": "the SDK has no pagination streams with prefetch (sdk/paginate.rs) yet"
        }));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let client = sdk_client(&url);
    let mut tally = Tally {
        items: 0,
        pages: 0,
        baseline_rss_kib: 0,
    };
    let phase = measure::Phase::start();
    runtime.block_on(async {
        let mut token: Option<String> = None;
        loop {
            let mut request = client.list_messages().page_size(100);
            if let Some(token) = token.take() {
                request = request.next_token(token);
            }
            let page = request.send().await?.into_inner();
            tally.pages += 1;
            let in_page = page.messages.len() as u32;
            for message in page.messages {
                black_box(message);
                tally.item()?;
            }
            if !work.is_zero() {
                tokio::time::sleep(work * in_page).await;
            }
            match page.meta.next_token {
                Some(next) => token = Some(next),
                None => break,
            }
        }
        Ok::<(), anyhow::Error>(())
    })?;
    let (wall, cpu_us) = phase.finish();
    measure::report(&Report {
        mode: if prefetch { "prefetch" } else { "sequential" },
        items: tally.items,
        pages: tally.pages,
        wall_s: wall.as_secs_f64(),
        cpu_us,
        baseline_rss_kib: tally.baseline_rss_kib,
        peak_rss_kib: measure::peak_rss_kib()?,
    })
}
