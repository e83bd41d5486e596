//! `paginate --url U [--prefetch | --pages] --consumer-us-per-item N`: streams every message of
//! the `pages` server with the SDK (`list_messages().page_size(100).stream()`, optionally
//! `.prefetch(true)`; with `--pages`, `.pages()`, whole pages without the item stream), spending `N` µs of (asynchronous) work per item as a
//! consumer would. Prints items, pages, wall time, the RSS once the first pages are read, and
//! the peak RSS at the end: memory must stay flat however many items stream by.

use std::{hint::black_box, time::Duration};

use anyhow::Result;
use botpress::paginate::Paginate;
use futures::TryStreamExt;
use serde::Serialize;

use crate::{args::Args, clients::sdk_client, measure};

/// Items per page (the service's maximum).
const PAGE_SIZE: i32 = 100;

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
pub(crate) fn main(args: &Args) -> Result<()> {
    let url = args.get("url")?.to_string();
    let work = Duration::from_micros(args.num("consumer-us-per-item", 0)?);
    let prefetch = args.flag("prefetch");
    let whole_pages = args.flag("pages");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let client = sdk_client(&url)?;
    let mut tally = Tally {
        items: 0,
        pages: 0,
        baseline_rss_kib: 0,
    };
    let phase = measure::Phase::start();
    runtime.block_on(async {
        if whole_pages {
            let mut pages = client.list_messages().page_size(PAGE_SIZE).pages();
            while let Some(page) = pages.try_next().await? {
                for message in page.messages {
                    black_box(message);
                    tally.item()?;
                }
                tally.pages += 1;
            }
            return Ok(());
        }
        let mut items = client
            .list_messages()
            .page_size(PAGE_SIZE)
            .stream()
            .prefetch(prefetch);
        while let Some(message) = items.try_next().await? {
            black_box(message);
            tally.item()?;
            if tally.items.is_multiple_of(PAGE_SIZE as u64) {
                tally.pages += 1;
                // The consumer's work on a page's worth of items.
                if !work.is_zero() {
                    tokio::time::sleep(work * PAGE_SIZE as u32).await;
                }
            }
        }
        if !tally.items.is_multiple_of(PAGE_SIZE as u64) {
            tally.pages += 1;
        }
        Ok::<(), anyhow::Error>(())
    })?;
    let (wall, cpu_us) = phase.finish();
    measure::report(&Report {
        mode: match (whole_pages, prefetch) {
            (true, _) => "pages",
            (false, true) => "prefetch",
            (false, false) => "sequential",
        },
        items: tally.items,
        pages: tally.pages,
        wall_s: wall.as_secs_f64(),
        cpu_us,
        baseline_rss_kib: tally.baseline_rss_kib,
        peak_rss_kib: measure::peak_rss_kib()?,
    })
}
