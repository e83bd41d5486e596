//! Section 4, emulator scale: the latency of `listMessages`, `getOrCreateUser` and a
//! tag-filtered `listUsers` while one bot's documents grow from 1k to 100k
//! (`botpress-bench scale`), and one bot's `getUser` latency while another bot runs the
//! slowest query the limits allow (`botpress-bench contention`). Each call answers the same
//! amount at every size, so a cost that does not grow with the documents reads the same p50
//! at 1k and at 100k.

use anyhow::{Context, Result};
use serde_json::{Value, json};

use super::{
    child::{Env, run_json},
    emulator::{TOKEN, setup, start_emulator},
    report::{Section, Table, Target, count, figure},
};

/// The measured calls, in the order the bench program reports them.
const OPS: [&str; 3] = ["listMessages", "getOrCreateUser", "listUsers (tag filter)"];

fn p(v: &Value, pointer: &str) -> f64 {
    v.pointer(pointer)
        .and_then(Value::as_f64)
        .unwrap_or(f64::NAN)
}

/// Runs the section: sizes 1k, 10k and 100k (1k and 10k when `quick`).
pub(super) fn run(env: &Env, quick: bool) -> Result<Section> {
    let sizes: &[u64] = if quick {
        &[1_000, 10_000]
    } else {
        &[1_000, 10_000, 100_000]
    };
    let emulator = start_emulator(env)?;
    eprintln!("bench: scale: users and messages of one bot at {sizes:?} documents");
    let sizes_arg = sizes
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let scale = run_json(std::process::Command::new(&env.bench_bin).args([
        "scale",
        "--url",
        &emulator.url,
        "--token",
        TOKEN,
        "--sizes",
        &sizes_arg,
        "--samples",
        if quick { "100" } else { "300" },
    ]))?;
    let runs = scale["sizes"]
        .as_array()
        .context("no sizes in the scale report")?;
    let mut header = vec!["operation".to_string()];
    header.extend(
        sizes
            .iter()
            .map(|n| format!("p50 / p99 µs at {}", count(*n as f64))),
    );
    header.push(format!(
        "p50 at {} / at 1k",
        count(*sizes.last().unwrap_or(&1) as f64)
    ));
    let header_refs: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut table = Table::new(
        "Emulator latency as one bot's documents grow (sequential, loopback HTTP)",
        &header_refs,
    );
    let mut targets = Vec::new();
    for op in OPS {
        let mut cells = vec![op.to_string()];
        for run in runs {
            let at = |q: &str| p(run, &format!("/ops/{op}/{q}"));
            cells.push(format!(
                "{} / {}",
                figure(at("p50_us")),
                figure(at("p99_us"))
            ));
        }
        let p50 = |run: &Value| p(run, &format!("/ops/{op}/p50_us"));
        let growth = match (runs.first(), runs.last()) {
            (Some(a), Some(b)) => p50(b) / p50(a),
            _ => f64::NAN,
        };
        cells.push(format!("{}×", figure(growth)));
        table.row(cells);
        targets.push(Target::at_most(
            &format!(
                "{op}: p50 at {} documents / at 1k (flat)",
                count(*sizes.last().unwrap_or(&1) as f64)
            ),
            growth,
            2.0,
            "×",
        ));
    }
    let mut notes: Vec<String> = runs
        .iter()
        .map(|r| {
            format!(
                "scale: growing to {} users and messages took {} s",
                count(p(r, "/docs")),
                figure(p(r, "/setup_s"))
            )
        })
        .collect();
    drop(emulator);

    // Contention: a second emulator with the 100k-row table of `setup-emulator`.
    let emulator = start_emulator(env)?;
    let rows: u64 = if quick { 20_000 } else { 100_000 };
    setup(env, &emulator, rows)?;
    eprintln!("bench: contention: getUser of one bot while another runs the slowest query");
    let contention = run_json(std::process::Command::new(&env.bench_bin).args([
        "contention",
        "--url",
        &emulator.url,
        "--token",
        TOKEN,
        "--samples",
        if quick { "200" } else { "1000" },
        "--busy",
        "2",
    ]))?;
    let mut busy_table = Table::new(
        &format!(
            "getUser of one bot while another runs 2 of the slowest findTableRows over {} rows",
            count(rows as f64)
        ),
        &["emulator", "getUser p50 µs", "getUser p99 µs"],
    );
    for (label, key) in [
        ("idle", "idle"),
        ("another bot's slowest query running", "busy"),
    ] {
        busy_table.row(vec![
            label.into(),
            figure(p(&contention, &format!("/{key}/p50_us"))),
            figure(p(&contention, &format!("/{key}/p99_us"))),
        ]);
    }
    let busy_p99 = p(&contention, "/busy/p99_us");
    targets.push(Target::at_most(
        "getUser p99 while another bot runs the slowest allowed query",
        busy_p99 / 1000.0,
        50.0,
        " ms",
    ));
    for q in contention["heavy_queries"].as_array().into_iter().flatten() {
        notes.push(format!(
            "contention: a slowest query answered {} after {} s (the query budget stops it)",
            q["status"],
            figure(p(q, "/running_s"))
        ));
    }
    Ok(Section {
        name: "scale",
        tables: vec![table, busy_table],
        targets,
        data: json!({ "scale": scale, "contention": contention }),
        notes,
    })
}
