//! `cargo xtask test [ARGS...]`: the README's test command. Installs the pinned Node tools
//! (`npm ci` in `tools/node`) when they are missing or older than the lockfile, then runs
//! `cargo test --workspace ARGS...` and exits with its status. Without node/npm the Node-based
//! tests skip themselves (and fail when `CI` is set); this command says so loudly and runs the
//! rest.
//!
//! The conformance judges append their summary lines (covered/total per judge) to the file
//! named by [`SUMMARY_ENV`] (libtest hides the output of passing tests); this command points
//! it at a fresh file and prints the lines after `cargo test` finishes.

use std::{path::Path, process::Command};

use anyhow::{Context, Result};

use crate::npm::{self, Tools};

/// Runs the suite from the workspace `root`; returns cargo's exit code.
pub fn command(root: &Path, args: &[String]) -> Result<i32> {
    match npm::ensure_installed(&root.join("tools/node"))? {
        Tools::Ready => {}
        Tools::Absent(reason) => {
            eprintln!("==================================================================");
            eprintln!("WARNING: {reason}: node/npm are not available.");
            eprintln!("Tests that need the Node tools (tools/node) will SKIP.");
            eprintln!("==================================================================");
        }
    }
    let summary = std::env::temp_dir().join(format!(
        "botpress-conformance-summary-{}.txt",
        std::process::id()
    ));
    std::fs::write(&summary, "").with_context(|| format!("creating {}", summary.display()))?;
    let cargo = crate::cargo();
    let mut cmd = Command::new(&cargo);
    cmd.arg("test")
        .arg("--workspace")
        .args(args)
        .env(SUMMARY_ENV, &summary)
        .current_dir(root);
    eprintln!("test: {cargo} test --workspace {}", args.join(" "));
    let status = cmd
        .status()
        .with_context(|| format!("running `{cargo} test`"));
    let lines = std::fs::read_to_string(&summary).unwrap_or_default();
    let _ = std::fs::remove_file(&summary);
    print!("{}", summary_block(&lines));
    Ok(status?.code().unwrap_or(1))
}

/// The environment variable naming the file the judges append their summary lines to.
pub const SUMMARY_ENV: &str = "BOTPRESS_CONFORMANCE_SUMMARY";

/// The summary printed after the run: the judges' lines, sorted (tests finish in any order).
pub fn summary_block(lines: &str) -> String {
    // A summary may continue on indented lines (`    not in scope: ...`): keep them with it.
    let mut entries: Vec<String> = Vec::new();
    for line in lines.lines().filter(|l| !l.trim().is_empty()) {
        match entries.last_mut() {
            Some(entry) if line.starts_with(' ') => {
                entry.push('\n');
                entry.push_str(line);
            }
            _ => entries.push(line.to_string()),
        }
    }
    entries.sort_unstable();
    if entries.is_empty() {
        return "\nconformance summary: no judge reported (none ran, or all were skipped or failed)\n"
            .to_string();
    }
    let mut out = String::from("\nconformance summary:\n");
    for line in entries.iter().flat_map(|e| e.lines()) {
        out.push_str("  ");
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_lines_are_sorted_with_their_continuations() {
        let text = "judge 2: 80/80\njudge 1b: 79/79\n    not in scope: captureObservation: newer\ncross-client: 42/42\n";
        assert_eq!(
            summary_block(text),
            "\nconformance summary:\n  cross-client: 42/42\n  judge 1b: 79/79\n      not in scope: captureObservation: newer\n  judge 2: 80/80\n"
        );
        assert!(summary_block("").contains("no judge reported"));
    }
}
