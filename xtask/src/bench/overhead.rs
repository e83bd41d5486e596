//! Section 1, per-request overhead: `getConversation` against the loopback `fixed` server,
//! sequential and at concurrency 16, for the SDK (default configuration), raw reqwest + serde,
//! and the official TypeScript client (node, `tools/node/bench-client.mjs`). Each client runs in
//! its own process, so CPU time and peak RSS are that client's alone; rounds are interleaved
//! and the median of each figure is kept (the machine is shared and noisy).

use std::{collections::BTreeMap, path::Path, process::Command};

use anyhow::Result;
use serde_json::{Value, json};

use super::{
    Timing,
    child::{Env, Server, run_json},
    report::{Section, Table, Target, count, figure},
};

/// The concurrencies measured.
const CONCURRENCY: [usize; 2] = [1, 16];

/// Medians over the rounds of one client at one concurrency.
#[derive(Clone, Copy, Default)]
struct Figures {
    rps: f64,
    cpu_us_per_req: f64,
    peak_rss_kib: f64,
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    match xs.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => xs[n / 2],
        n => (xs[n / 2 - 1] + xs[n / 2]) / 2.0,
    }
}

/// Runs the section. `node` is `Err(reason)` when the official client cannot run.
pub(super) fn run(env: &Env, timing: &Timing, node: Result<(), String>) -> Result<Section> {
    let server = Server::bench(env, "fixed", &[])?;
    let mut clients = vec!["raw", "sdk"];
    if node.is_ok() {
        clients.push("node");
    }
    let mut samples: BTreeMap<(&str, usize), Vec<Value>> = BTreeMap::new();
    for round in 0..timing.rounds {
        for concurrency in CONCURRENCY {
            for &client in &clients {
                eprintln!(
                    "bench: getConversation, {client}, concurrency {concurrency}, round {}/{}",
                    round + 1,
                    timing.rounds
                );
                let mut cmd = client_command(env, client);
                cmd.args([
                    "--url",
                    &server.url,
                    "--concurrency",
                    &concurrency.to_string(),
                    "--warmup-ms",
                    &timing.warmup_ms.to_string(),
                    "--duration-ms",
                    &timing.duration_ms.to_string(),
                ]);
                samples
                    .entry((client, concurrency))
                    .or_default()
                    .push(run_json(&mut cmd)?);
            }
        }
    }
    drop(server);

    let figures: BTreeMap<(&str, usize), Figures> = samples
        .iter()
        .map(|(&key, runs)| {
            let get = |r: &Value, k: &str| r[k].as_f64().unwrap_or(f64::NAN);
            let rps = runs.iter().map(|r| get(r, "requests") / get(r, "wall_s"));
            let cpu = runs.iter().map(|r| get(r, "cpu_us") / get(r, "requests"));
            let rss = runs.iter().map(|r| get(r, "peak_rss_kib"));
            let f = Figures {
                rps: median(rps.collect()),
                cpu_us_per_req: median(cpu.collect()),
                peak_rss_kib: rss.fold(0.0, f64::max),
            };
            (key, f)
        })
        .collect();

    let label = |c: &str| match c {
        "sdk" => "botpress SDK (default config)",
        "raw" => "raw reqwest + serde",
        _ => "@botpress/client (node)",
    };
    let mut table = Table::new(
        "Per-request overhead: getConversation, loopback keep-alive server",
        &[
            "client",
            "concurrency",
            "req/s",
            "µs/req",
            "CPU µs/req",
            "peak RSS MiB",
        ],
    );
    for concurrency in CONCURRENCY {
        for &client in &clients {
            let f = figures[&(client, concurrency)];
            table.row(vec![
                label(client).into(),
                concurrency.to_string(),
                count(f.rps),
                figure(1e6 / f.rps),
                figure(f.cpu_us_per_req),
                figure(f.peak_rss_kib / 1024.0),
            ]);
        }
    }

    let mut ratios = Table::new(
        "Per-request overhead: ratios (same run)",
        &["ratio", "sequential", "concurrency 16"],
    );
    let mut targets = Vec::new();
    let pair = |a: &str, b: &str, c: usize, f: fn(&Figures, &Figures) -> f64| {
        f(&figures[&(a, c)], &figures[&(b, c)])
    };
    let seq_conc =
        |a: &str, b: &str, f: fn(&Figures, &Figures) -> f64| (pair(a, b, 1, f), pair(a, b, 16, f));
    let (s, c) = seq_conc("sdk", "raw", |a, b| a.rps / b.rps);
    ratios.row(vec!["SDK / raw reqwest throughput".into(), fx(s), fx(c)]);
    targets.push(Target::at_least(
        "SDK / raw reqwest throughput, sequential",
        s,
        0.9,
        "×",
    ));
    targets.push(Target::at_least(
        "SDK / raw reqwest throughput, concurrency 16",
        c,
        0.9,
        "×",
    ));
    let (s, c) = seq_conc("sdk", "raw", |a, b| a.cpu_us_per_req / b.cpu_us_per_req);
    ratios.row(vec![
        "SDK / raw reqwest CPU per request".into(),
        fx(s),
        fx(c),
    ]);

    let node_goals = [
        ("SDK / node throughput", 6.0, 15.0),
        ("node / SDK CPU per request", 8.0, 8.0),
        ("node / SDK peak RSS", 15.0, 15.0),
    ];
    if node.is_ok() {
        let rows: [(f64, f64); 3] = [
            seq_conc("sdk", "node", |a, b| a.rps / b.rps),
            seq_conc("node", "sdk", |a, b| a.cpu_us_per_req / b.cpu_us_per_req),
            seq_conc("node", "sdk", |a, b| a.peak_rss_kib / b.peak_rss_kib),
        ];
        for ((name, goal_s, goal_c), (s, c)) in node_goals.into_iter().zip(rows) {
            ratios.row(vec![name.into(), fx(s), fx(c)]);
            targets.push(Target::at_least(
                &format!("{name}, sequential"),
                s,
                goal_s,
                "×",
            ));
            targets.push(Target::at_least(
                &format!("{name}, concurrency 16"),
                c,
                goal_c,
                "×",
            ));
        }
    } else {
        let why = node.as_ref().err().cloned().unwrap_or_default();
        for (name, goal_s, goal_c) in node_goals {
            targets.push(Target::not_measured(
                &format!("{name}, sequential"),
                &format!("≥ {goal_s}×"),
                &why,
            ));
            targets.push(Target::not_measured(
                &format!("{name}, concurrency 16"),
                &format!("≥ {goal_c}×"),
                &why,
            ));
        }
    }

    let data = json!({
        "runs": samples.iter().map(|((client, c), runs)| json!({
            "client": client, "concurrency": c, "runs": runs,
        })).collect::<Vec<_>>(),
        "medians": figures.iter().map(|((client, c), f)| json!({
            "client": client, "concurrency": c, "req_per_s": f.rps,
            "us_per_req": 1e6 / f.rps, "cpu_us_per_req": f.cpu_us_per_req,
            "peak_rss_kib": f.peak_rss_kib,
        })).collect::<Vec<_>>(),
    });
    let mut notes = vec![format!(
        "overhead: {} round(s) of {} ms after {} ms of warm-up per client and concurrency; medians; every client on one thread (current-thread tokio runtime / node), the server on another process",
        timing.rounds, timing.duration_ms, timing.warmup_ms
    )];
    if let Err(why) = &node {
        notes.push(format!("overhead: @botpress/client not measured: {why}"));
    }
    Ok(Section {
        name: "overhead",
        tables: vec![table, ratios],
        targets,
        data,
        notes,
    })
}

fn fx(x: f64) -> String {
    format!("{}×", figure(x))
}

/// The command running one client (its options follow).
fn client_command(env: &Env, client: &str) -> Command {
    if client == "node" {
        let dir = env.root.join("tools/node");
        let mut cmd = Command::new("node");
        cmd.arg(Path::new("bench-client.mjs")).current_dir(dir);
        cmd
    } else {
        let mut cmd = Command::new(&env.bench_bin);
        cmd.args(["client", client]);
        cmd
    }
}
