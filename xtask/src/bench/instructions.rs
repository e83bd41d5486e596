//! Section `instructions`: what one `getConversation` costs in CPU instructions, counted by
//! callgrind (valgrind), for the SDK in its default configuration, for the SDK with drift
//! visibility on (a subscriber recording `botpress::drift` at `DEBUG`), and for the same
//! request written by hand with reqwest and serde (the same reqwest, from the same lock file).
//! Instruction counts do not drift with the machine's load as times do.
//!
//! Each client runs `N` sequential requests against the loopback `fixed` server under
//! callgrind, twice (`N` = 200 and 1,200); the difference of the two totals divided by the
//! difference of the counts is the cost of one request, start-up and connection set-up
//! cancelled out.

use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::json;

use super::{
    child::{Env, Server},
    report::{Section, Table, Target, count},
};

/// The request counts of the two runs.
const RUNS: [u64; 2] = [200, 1_200];

/// Total instructions callgrind counted for one run of `client` doing `requests` requests.
fn total(env: &Env, url: &str, client: &str, requests: u64) -> Result<u64> {
    let dir = env.target_dir.join("bench");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let out_file = dir.join(format!("callgrind.{client}.out"));
    let output = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out_file.display()))
        .arg(&env.bench_bin)
        .args([
            "client",
            client,
            "--url",
            url,
            "--requests",
            &requests.to_string(),
        ])
        .current_dir(&env.root)
        .output()
        .context("running valgrind")?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        bail!("callgrind run of {client} failed: {stderr}");
    }
    collected(&stderr).with_context(|| format!("no `Collected :` line from callgrind: {stderr}"))
}

/// The `==pid== Collected : N` total of callgrind's report.
fn collected(stderr: &str) -> Option<u64> {
    stderr
        .lines()
        .find_map(|l| l.split_once("Collected :").map(|(_, n)| n.trim()))
        .and_then(|n| n.parse().ok())
}

/// Runs the section; without valgrind, says so.
pub(super) fn run(env: &Env) -> Result<Section> {
    let target = "SDK / raw reqwest instructions per getConversation";
    let drift_target = "drift visibility on / off, instructions per getConversation";
    if Command::new("valgrind").arg("--version").output().is_err() {
        return Ok(Section {
            name: "instructions",
            tables: vec![],
            targets: vec![
                Target::not_measured(target, "≤ 1.05×", "valgrind is not installed"),
                Target::not_measured(drift_target, "≤ 1.01×", "valgrind is not installed"),
            ],
            data: json!(null),
            notes: vec![],
        });
    }
    let server = Server::bench(env, "fixed", &[])?;
    let mut table = Table::new(
        "getConversation, instructions per request (callgrind)",
        &["client", "instructions / request"],
    );
    let mut per_request = Vec::new();
    for client in ["raw", "sdk", "sdk-drift"] {
        eprintln!("bench: instructions, {client}");
        let [a, b] = RUNS.map(|n| total(env, &server.url, client, n));
        let (a, b) = (a?, b?);
        let per = (b.saturating_sub(a)) as f64 / (RUNS[1] - RUNS[0]) as f64;
        table.row(vec![client.into(), count(per)]);
        per_request.push(per);
    }
    let ratio = per_request[1] / per_request[0];
    let drift = per_request[2] / per_request[1];
    table.row(vec!["SDK / raw".into(), format!("{ratio:.3}×")]);
    table.row(vec!["drift on / off".into(), format!("{drift:.4}×")]);
    Ok(Section {
        name: "instructions",
        tables: vec![table],
        targets: vec![
            Target::at_most(target, ratio, 1.05, "×"),
            Target::at_most(drift_target, drift, 1.01, "×"),
        ],
        data: json!({
            "raw": per_request[0], "sdk": per_request[1], "sdk_drift": per_request[2],
            "ratio": ratio, "drift_ratio": drift, "runs": RUNS,
        }),
        notes: vec![format!(
            "instructions: callgrind totals of {} and {} sequential requests per client, differenced",
            RUNS[0], RUNS[1]
        )],
    })
}

#[cfg(test)]
mod tests {
    use super::collected;

    #[test]
    fn reads_the_collected_total() {
        let stderr = "==12== Events    : Ir\n==12== Collected : 91234567\n==12==\n";
        assert_eq!(collected(stderr), Some(91_234_567));
        assert_eq!(collected("nothing"), None);
    }
}
