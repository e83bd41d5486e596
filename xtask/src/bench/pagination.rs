//! Section 2, pagination: the SDK streams 100,000 messages over 1,000 pages from the loopback
//! `pages` server (its peak RSS must stay flat: growth after the first 1,000 items), then, with
//! 20 ms of server latency per page and 20 ms of consumer work per page, prefetching the next
//! page against reading pages one after the other.

use std::process::Command;

use anyhow::Result;
use serde_json::{Value, json};

use super::{
    Timing,
    child::{Env, Server, run_json},
    report::{Section, Table, Target, count, figure},
};

/// Items streamed for the memory figure, 100 per page.
const ITEMS: u64 = 100_000;
/// Server latency per page in the prefetch comparison.
const LATENCY_MS: u64 = 20;
/// Consumer work per item in the prefetch comparison (20 ms per page of 100).
const WORK_US_PER_ITEM: u64 = 200;

fn paginate(env: &Env, url: &str, extra: &[&str]) -> Result<Value> {
    let mut cmd = Command::new(&env.bench_bin);
    cmd.args(["paginate", "--url", url]).args(extra);
    run_json(&mut cmd)
}

fn f(v: &Value, k: &str) -> f64 {
    v[k].as_f64().unwrap_or(f64::NAN)
}

/// A table row: the run's label and figures.
fn row(label: String, run: &Value) -> Vec<String> {
    vec![
        label,
        count(f(run, "items")),
        count(f(run, "pages")),
        figure(f(run, "wall_s")),
        count(f(run, "items") / f(run, "wall_s")),
        figure(f(run, "cpu_us") / f(run, "items")),
        figure(f(run, "baseline_rss_kib") / 1024.0),
        figure(f(run, "peak_rss_kib") / 1024.0),
    ]
}

/// Runs the section.
pub(super) fn run(env: &Env, timing: &Timing) -> Result<Section> {
    let mut targets = Vec::new();
    let mut table = Table::new(
        "Pagination: listMessages through the SDK, loopback server",
        &[
            "run",
            "items",
            "pages",
            "wall s",
            "items/s",
            "CPU µs/item",
            "RSS after 1k items MiB",
            "peak RSS MiB",
        ],
    );

    eprintln!("bench: pagination, {ITEMS} items");
    let server = Server::bench(env, "pages", &["--items", &ITEMS.to_string()])?;
    let memory = paginate(env, &server.url, &[])?;
    // The same traversal as whole pages (`.pages()`): what the item stream adds to memory.
    let whole_pages = paginate(env, &server.url, &["--pages"])?;
    drop(server);
    let pages_growth_kib = f(&whole_pages, "peak_rss_kib") - f(&whole_pages, "baseline_rss_kib");
    let growth_kib = f(&memory, "peak_rss_kib") - f(&memory, "baseline_rss_kib");
    for (label, run) in [
        ("100k items, .stream(), no latency", &memory),
        ("100k items, .pages(), no latency", &whole_pages),
    ] {
        table.row(row(label.into(), run));
    }
    targets.push(Target::at_most(
        "pagination: peak RSS growth over 100k items",
        growth_kib * 1024.0 / 1e6,
        10.0,
        " MB",
    ));

    let pages = timing.latency_pages;
    let items = pages * 100;
    eprintln!(
        "bench: pagination, {pages} pages with {LATENCY_MS} ms latency, sequential and prefetch"
    );
    let server = Server::bench(
        env,
        "pages",
        &[
            "--items",
            &items.to_string(),
            "--latency-ms",
            &LATENCY_MS.to_string(),
        ],
    )?;
    let work = WORK_US_PER_ITEM.to_string();
    let sequential = paginate(env, &server.url, &["--consumer-us-per-item", &work])?;
    let prefetch = paginate(
        env,
        &server.url,
        &["--consumer-us-per-item", &work, "--prefetch"],
    )?;
    drop(server);
    let mut notes = Vec::new();
    let mut latency_rows = vec![("sequential", &sequential)];
    if let Some(why) = prefetch["not_measured"].as_str() {
        targets.push(Target::not_measured(
            "pagination: prefetch / sequential wall time",
            "≤ 0.6×",
            why,
        ));
        notes.push(format!("pagination: prefetch not measured: {why}"));
    } else {
        latency_rows.push(("prefetch", &prefetch));
        let ratio = f(&prefetch, "wall_s") / f(&sequential, "wall_s");
        targets.push(Target::at_most(
            "pagination: prefetch / sequential wall time",
            ratio,
            0.6,
            "×",
        ));
    }
    for (mode, run) in latency_rows {
        table.row(row(
            format!("{mode}, {LATENCY_MS} ms/page server + 20 ms/page consumer"),
            run,
        ));
    }
    notes.push(format!(
        "pagination: RSS growth over {ITEMS} items (peak minus RSS after the first 1,000 items): {} KiB with .stream(), {} KiB with .pages()",
        count(growth_kib),
        count(pages_growth_kib)
    ));
    Ok(Section {
        name: "pagination",
        tables: vec![table],
        targets,
        data: json!({
            "memory": memory,
            "rss_growth_kib": growth_kib,
            "memory_pages": whole_pages,
            "rss_growth_pages_kib": pages_growth_kib,
            "latency_ms_per_page": LATENCY_MS,
            "consumer_us_per_item": WORK_US_PER_ITEM,
            "sequential": sequential,
            "prefetch": prefetch,
        }),
        notes,
    })
}
