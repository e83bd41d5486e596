//! Section `rate`: a fan-out against a rate-limited server, with and without following the
//! server's budget. 1,000 getConversation calls through the SDK at concurrency 64 against the
//! emulator's `--rate-limit 100/s` (its sliding window and `RateLimit-*` headers): the `429`s
//! the client received (each absorbed by a retry) and the total time, next to the ideal 10 s
//! the limit allows. Each run has an emulator of its own, so no window carries over.

use std::process::Command;

use anyhow::Result;
use serde_json::json;

use super::{
    Timing,
    child::{Env, run_json},
    emulator::{TOKEN, start_emulator_with},
    report::{Section, Table, Target, count, figure},
};

const REQUESTS: u64 = 1_000;
const CONCURRENCY: u64 = 64;
/// The emulator's limit, per second.
const LIMIT: u64 = 100;

/// The variants: label and the `fanout` program's `--pacing`.
const VARIANTS: [(&str, &str); 2] = [
    ("pacing off (retries absorb the 429s)", "off"),
    ("Pacing::from_server()", "server"),
];

/// One run: wall seconds and the 429s received.
fn fan_out(env: &Env, pacing: &str) -> Result<(f64, f64)> {
    let server = start_emulator_with(env, &["--rate-limit", &format!("{LIMIT}/s")])?;
    let report = run_json(Command::new(&env.bench_bin).args([
        "fanout",
        "--url",
        &server.url,
        "--token",
        TOKEN,
        "--bot-id",
        "bot_bench_rate",
        "--requests",
        &REQUESTS.to_string(),
        "--concurrency",
        &CONCURRENCY.to_string(),
        "--pacing",
        pacing,
    ]))?;
    let number = |k: &str| report[k].as_f64().unwrap_or(f64::NAN);
    if number("failed") != 0.0 {
        anyhow::bail!("the fan-out with pacing `{pacing}` had failed calls: {report}");
    }
    Ok((number("wall_s"), number("received_429")))
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Runs the section.
pub(super) fn run(env: &Env, timing: &Timing) -> Result<Section> {
    let ideal = REQUESTS as f64 / LIMIT as f64;
    let mut table = Table::new(
        &format!(
            "Rate budget: {REQUESTS} getConversation at concurrency {CONCURRENCY} against `--rate-limit {LIMIT}/s` (median of {} runs)",
            timing.rounds
        ),
        &["client", "429s received", "total time", "vs ideal 10 s"],
    );
    let mut data = Vec::new();
    let mut results = Vec::new();
    for (label, pacing) in VARIANTS {
        let mut walls = Vec::new();
        let mut limited = Vec::new();
        for round in 0..timing.rounds {
            eprintln!("bench: rate, {label}, run {}", round + 1);
            let (wall, received) = fan_out(env, pacing)?;
            walls.push(wall);
            limited.push(received);
        }
        let (wall, received) = (median(walls.clone()), median(limited.clone()));
        let off_ideal = (wall / ideal - 1.0) * 100.0;
        table.row(vec![
            label.to_string(),
            count(received),
            format!("{} s", figure(wall)),
            format!("{} %", figure(off_ideal)),
        ]);
        data.push(json!({ "client": label, "wall_s": walls, "received_429": limited }));
        results.push((wall, received, off_ideal));
    }
    let (_, received, off_ideal) = results[1];
    Ok(Section {
        name: "rate",
        tables: vec![table],
        targets: vec![
            Target::at_most("Pacing::from_server(), 429s received", received, 0.0, ""),
            Target::at_most(
                "Pacing::from_server(), total time off the ideal 10 s",
                off_ideal.abs(),
                10.0,
                " %",
            ),
        ],
        data: json!({ "requests": REQUESTS, "concurrency": CONCURRENCY, "limit_per_s": LIMIT,
                      "runs": data }),
        notes: vec![format!(
            "rate: each run against a fresh emulator; the client's retry policy allows 20 attempts so that pacing off surfaces no error, and counts the 429s it retries"
        )],
    })
}
