//! The official TypeScript client (`@botpress/client` 1.45.0, pinned in tools/node) drives the
//! emulator through every documented client method: `tools/node/emulator-tour.mjs`.

use crate::common;

use std::{path::PathBuf, process::Command};

use botpress_emulator::Config;
use common::{Api, BOT, TOKEN};
use serde_json::json;

fn node_available() -> bool {
    Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_client_tour_passes() {
    if !node_available() {
        // Under CI the tour must run: a missing `node` fails instead of skipping.
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set and `node` is not installed: the official client's tour cannot run"
        );
        eprintln!(
            "\n!!!!! SKIPPED the_official_client_tour_passes: `node` is not installed !!!!!\n"
        );
        return;
    }
    let tools = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tools/node");
    if !tools.join("node_modules/@botpress/client").exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&tools)
            .status()
            .expect("npm runs");
        assert!(status.success(), "npm ci in tools/node failed");
    }
    let config = Config::new().action("github:createIssue", |input| Ok(json!({ "issue": input })));
    let api = Api::start(config).await;
    let base = api.emulator.base_url();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(tools.join("emulator-tour.mjs"))
            .args([base.as_str(), TOKEN, BOT])
            .output()
            .expect("node runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the tour failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("42 documented client methods passed"),
        "{stdout}"
    );
}
