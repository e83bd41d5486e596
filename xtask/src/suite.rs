//! `cargo xtask test [ARGS...]`: the README's test command. Installs the pinned Node tools
//! (`npm ci` in `tools/node`) when they are missing or older than the lockfile, then runs
//! `cargo test --workspace ARGS...` and exits with its status. Without node/npm the Node-based
//! tests skip themselves; this command says so loudly and runs the rest.

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
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(&cargo);
    cmd.arg("test")
        .arg("--workspace")
        .args(args)
        .current_dir(root);
    eprintln!("test: {cargo} test --workspace {}", args.join(" "));
    let status = cmd
        .status()
        .with_context(|| format!("running `{cargo} test`"))?;
    Ok(status.code().unwrap_or(1))
}
