//! Section `platform`: what the emulator's test platform costs a request. getConversation (the
//! emulator's fastest call, so the largest relative cost) against three emulator processes in
//! the same run: the journal off, the journal on (the default), and the journal with the rate
//! limiter counting every request (a limit no run reaches), and a second journal-off process
//! as a control, whose difference from the first is the noise of the figure. The figure compared is the
//! server's CPU time per request (user + system, from `/proc/<pid>/stat`, over the measured
//! part of a run only): loopback throughput swings by ±20 % between runs on a shared machine,
//! the CPU a request costs the server much less. Throughput is printed next to it. Runs are
//! interleaved, `2 × rounds − 1` times in rotating order, and the median of each is compared
//! with the journal-off one.

use anyhow::{Context, Result};
use serde_json::json;

use super::{
    Timing,
    child::Env,
    emulator::{Op, load_run, setup, start_emulator_with},
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

/// The concurrencies measured.
const CONCURRENCY: [usize; 2] = [1, 16];

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Runs the section.
pub(super) fn run(env: &Env, timing: &Timing) -> Result<Section> {
    let mut servers = Vec::new();
    let mut ops = Vec::new();
    for (label, flags) in VARIANTS {
        let server = start_emulator_with(env, flags)?;
        let ids = setup(env, &server, 0).with_context(|| format!("setting up `{label}`"))?;
        let conversation = ids["conversation"]
            .as_str()
            .with_context(|| format!("no conversation in the set-up: {ids}"))?;
        ops.push(Op {
            name: "getConversation",
            method: "GET",
            path: format!("/v1/chat/conversations/{conversation}"),
            body: None,
        });
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
    let mut targets = Vec::new();
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
            if i == VARIANTS.len() - 1
                && let Some(cost) = cost
            {
                targets.push(Target::at_most(
                    &format!(
                        "journal + rate limiter, server CPU per getConversation, concurrency {concurrency}"
                    ),
                    cost,
                    5.0,
                    "%",
                ));
            }
        }
    }
    Ok(Section {
        name: "platform",
        tables: vec![table],
        targets,
        data: json!({ "runs": data }),
        notes: vec![
            "platform: three emulator processes (release, in memory) measured in turn; CPU from /proc/<pid>/stat (10 ms ticks) over the measured part of each run; a cost below 0 is noise"
                .into(),
        ],
    })
}
