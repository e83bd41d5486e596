//! Section `platform`: what the emulator's test platform costs a request. getConversation
//! throughput (the emulator's fastest call, so the largest relative cost) of three emulator
//! processes in the same run: the journal off, the journal on (the default), and the journal
//! with the rate limiter counting every request (a limit no run reaches). Runs are
//! interleaved, `rounds` times, and the median of each is compared with the journal-off one.

use anyhow::{Context, Result};
use serde_json::json;

use super::{
    Timing,
    child::Env,
    emulator::{Op, load, setup, start_emulator_with},
    report::{Section, Table, Target, count, figure},
};

/// The variants measured: label and emulator flags.
const VARIANTS: [(&str, &[&str]); 3] = [
    ("journal off", &["--journal-capacity", "0"]),
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
        "Emulator test platform: getConversation throughput, journal and rate limiter",
        &[
            "variant",
            "concurrency",
            "req/s (median)",
            "cost vs journal off",
        ],
    );
    let mut data = Vec::new();
    let mut targets = Vec::new();
    for concurrency in CONCURRENCY {
        let mut runs = vec![Vec::new(); VARIANTS.len()];
        for _ in 0..timing.rounds {
            for (i, (label, _)) in VARIANTS.iter().enumerate() {
                eprintln!("bench: platform, {label}, concurrency {concurrency}");
                runs[i].push(load(env, timing, &servers[i].url, &ops[i], concurrency)?);
            }
        }
        let medians: Vec<f64> = runs.into_iter().map(median).collect();
        for (i, (label, _)) in VARIANTS.iter().enumerate() {
            let cost = (1.0 - medians[i] / medians[0]) * 100.0;
            table.row(vec![
                label.to_string(),
                concurrency.to_string(),
                count(medians[i]),
                if i == 0 {
                    "—".into()
                } else {
                    format!("{} %", figure(cost))
                },
            ]);
            data.push(json!({ "variant": label, "concurrency": concurrency,
                              "req_per_s": medians[i], "cost_percent": cost }));
            if i == VARIANTS.len() - 1 {
                targets.push(Target::at_most(
                    &format!(
                        "journal + rate limiter cost, getConversation, concurrency {concurrency}"
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
            "platform: three emulator processes (release, in memory) measured in turn; a cost below 0 is noise"
                .into(),
        ],
    })
}
