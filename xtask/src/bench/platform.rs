//! Section `platform`: what the emulator's test platform costs a request. getConversation (the
//! emulator's fastest call, so the largest relative cost) against emulator processes that
//! differ only in it: the journal off, the journal on (the default), and the journal with the
//! rate limiter counting every request (a limit no run reaches).
//!
//! The figure compared with the target is the server's **instructions per request**, counted
//! by callgrind: the emulator runs under valgrind twice per variant, answering
//! [`CALLGRIND_RUNS`] sequential requests after its set-up, and the difference of the two
//! totals over the difference of the counts is the cost of one request, the start cancelled
//! out. Instruction counts do not drift with the machine's load: loopback throughput swung by
//! ±20 % between runs on the shared 2-core machine, and the server's CPU time per request by
//! ±12 % between two identical processes.
//!
//! The CPU time per request (user + system from `/proc/<pid>/stat` over the measured part of a
//! run) and throughput are printed too, for context, with a second journal-off process as a
//! control whose difference from the first shows their noise. Those runs are interleaved,
//! `2 × rounds − 1` times in rotating order, and medians are compared.

use std::{process::Command, time::Duration};

use anyhow::{Context, Result, bail};
use serde_json::json;

use super::{
    Timing,
    child::{Env, Server},
    emulator::{Op, load_count, load_run, setup, start_emulator_under, start_emulator_with},
    report::{Section, Table, Target, count, figure},
};

/// The variants measured: label and emulator flags.
const VARIANTS: [(&str, &[&str]); 4] = [
    ("journal off", &["--journal-capacity", "0"]),
    // The same as the first: how far two identical servers differ is the noise of the figure.
    ("journal off, control", &["--journal-capacity", "0"]),
    ("journal on (default)", &[]),
    ("journal + rate limiter", &["--rate-limit", "1000000000/s"]),
];

/// The variants counted by callgrind: label and emulator flags.
const COUNTED: [(&str, &[&str]); 3] = [VARIANTS[0], VARIANTS[2], VARIANTS[3]];

/// Requests of the two callgrind runs of a variant; their difference cancels the start.
const CALLGRIND_RUNS: [u64; 2] = [200, 3_200];

/// The concurrencies measured.
const CONCURRENCY: [usize; 2] = [1, 16];

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The getConversation request of an emulator's set-up.
fn get_conversation(env: &Env, server: &Server, label: &str) -> Result<Op> {
    let ids = setup(env, server, 0).with_context(|| format!("setting up `{label}`"))?;
    let conversation = ids["conversation"]
        .as_str()
        .with_context(|| format!("no conversation in the set-up: {ids}"))?;
    Ok(Op {
        name: "getConversation",
        method: "GET",
        path: format!("/v1/chat/conversations/{conversation}"),
        body: None,
    })
}

/// Instructions callgrind counts in an emulator started with `flags` that serves its set-up
/// and then `requests` getConversation calls, until it is stopped.
fn instructions(env: &Env, index: usize, flags: &[&str], requests: u64) -> Result<u64> {
    let dir = env.target_dir.join("bench");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let out = dir.join(format!("callgrind.platform.{index}.{requests}.out"));
    let _ = std::fs::remove_file(&out);
    let out_flag = format!("--callgrind-out-file={}", out.display());
    let server = start_emulator_under(env, &["valgrind", "--tool=callgrind", &out_flag], flags)?;
    let op = get_conversation(env, &server, "callgrind")?;
    load_count(env, &server.url, &op, requests)?;
    let status = server.terminate(Duration::from_secs(300))?;
    if !status.success() {
        bail!("the emulator under callgrind stopped with {status}");
    }
    let text = std::fs::read_to_string(&out)
        .with_context(|| format!("reading callgrind's output {}", out.display()))?;
    totals(&text).with_context(|| format!("no `totals:` line in {}", out.display()))
}

/// The `totals: N` (or `summary: N`) line of a callgrind output file.
fn totals(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| {
            l.strip_prefix("totals:")
                .or_else(|| l.strip_prefix("summary:"))
        })
        .and_then(|n| n.split_whitespace().next()?.parse().ok())
}

/// The callgrind table and its target; `None` without valgrind.
fn counted(env: &Env) -> Result<Option<(Table, Target, serde_json::Value)>> {
    if Command::new("valgrind").arg("--version").output().is_err() {
        return Ok(None);
    }
    let mut table = Table::new(
        "Emulator test platform: getConversation, server instructions per request (callgrind)",
        &["variant", "instructions / request", "cost vs journal off"],
    );
    let mut per_request = Vec::new();
    for (index, (label, flags)) in COUNTED.iter().enumerate() {
        eprintln!("bench: platform, callgrind, {label}");
        let [a, b] = CALLGRIND_RUNS.map(|n| instructions(env, index, flags, n));
        let (a, b) = (a?, b?);
        per_request
            .push(b.saturating_sub(a) as f64 / (CALLGRIND_RUNS[1] - CALLGRIND_RUNS[0]) as f64);
    }
    let costs: Vec<f64> = per_request
        .iter()
        .map(|p| (p / per_request[0] - 1.0) * 100.0)
        .collect();
    for (i, (label, _)) in COUNTED.iter().enumerate() {
        table.row(vec![
            label.to_string(),
            count(per_request[i]),
            if i == 0 {
                "—".into()
            } else {
                format!("{} %", figure(costs[i]))
            },
        ]);
    }
    let target = Target::at_most(
        "journal + rate limiter, server instructions per getConversation",
        costs[COUNTED.len() - 1],
        5.0,
        "%",
    );
    let data = json!({ "variants": COUNTED.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
                       "instructions_per_request": per_request, "cost_percent": costs,
                       "runs": CALLGRIND_RUNS });
    Ok(Some((table, target, data)))
}

/// Runs the section.
pub(super) fn run(env: &Env, timing: &Timing) -> Result<Section> {
    let counted = counted(env)?;
    let mut servers = Vec::new();
    let mut ops = Vec::new();
    for (label, flags) in VARIANTS {
        let server = start_emulator_with(env, flags)?;
        ops.push(get_conversation(env, &server, label)?);
        servers.push(server);
    }
    let mut table = Table::new(
        "Emulator test platform: getConversation, server CPU per request with the journal and rate limiter",
        &[
            "variant",
            "concurrency",
            "req/s (median)",
            "server CPU µs/request (median)",
            "CPU cost vs journal off",
        ],
    );
    let mut data = Vec::new();
    for concurrency in CONCURRENCY {
        let mut rates = vec![Vec::new(); VARIANTS.len()];
        let mut cpu = vec![Vec::new(); VARIANTS.len()];
        // More rounds than the other sections (5 for 3), each in another order, so that no
        // variant always runs first or last.
        for round in 0..timing.rounds * 2 - 1 {
            for k in 0..VARIANTS.len() {
                let i = (k + round) % VARIANTS.len();
                let label = VARIANTS[i].0;
                eprintln!("bench: platform, {label}, concurrency {concurrency}");
                let (server, op) = (&servers[i], &ops[i]);
                load_run(env, &server.url, op, concurrency, 0, timing.warmup_ms)?;
                let before = server.cpu_seconds();
                let run = load_run(env, &server.url, op, concurrency, 0, timing.duration_ms)?;
                let after = server.cpu_seconds();
                rates[i].push(run.requests / run.wall_s);
                if let (Some(before), Some(after)) = (before, after) {
                    cpu[i].push((after - before) * 1e6 / run.requests);
                }
            }
        }
        let rates: Vec<f64> = rates.into_iter().map(median).collect();
        let cpu: Vec<Option<f64>> = cpu
            .into_iter()
            .map(|v| (!v.is_empty()).then(|| median(v)))
            .collect();
        for (i, (label, _)) in VARIANTS.iter().enumerate() {
            let cost = match (cpu[i], cpu[0]) {
                (Some(ours), Some(base)) => Some((ours / base - 1.0) * 100.0),
                _ => None,
            };
            table.row(vec![
                label.to_string(),
                concurrency.to_string(),
                count(rates[i]),
                cpu[i].map_or_else(|| "n/a (no /proc)".into(), figure),
                match (i, cost) {
                    (0, _) => "—".into(),
                    (_, Some(cost)) => format!("{} %", figure(cost)),
                    (_, None) => "n/a".into(),
                },
            ]);
            data.push(json!({ "variant": label, "concurrency": concurrency,
                              "req_per_s": rates[i], "cpu_us_per_request": cpu[i],
                              "cpu_cost_percent": cost }));
        }
    }
    let mut tables = vec![table];
    let (targets, counted_data) = match counted {
        Some((counted_table, target, counted_data)) => {
            tables.insert(0, counted_table);
            (vec![target], counted_data)
        }
        None => (
            vec![Target::not_measured(
                "journal + rate limiter, server instructions per getConversation",
                "≤ 5%",
                "valgrind is not installed",
            )],
            serde_json::Value::Null,
        ),
    };
    Ok(Section {
        name: "platform",
        tables,
        targets,
        data: json!({ "callgrind": counted_data, "runs": data }),
        notes: vec![
            format!(
                "platform: callgrind totals of the emulator serving {} and {} sequential getConversation calls, differenced",
                CALLGRIND_RUNS[0], CALLGRIND_RUNS[1]
            ),
            "platform: CPU from /proc/<pid>/stat (10 ms ticks) over the measured part of each run, four emulator processes measured in turn; the control's difference is their noise"
                .into(),
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::totals;

    #[test]
    fn reads_the_totals_line() {
        let text = "events: Ir\nsummary: 91234567\nfn=main\n1 5\ntotals: 91234567\n";
        assert_eq!(totals(text), Some(91_234_567));
        assert_eq!(totals("events: Ir\n"), None);
    }
}
