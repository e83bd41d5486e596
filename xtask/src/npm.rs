//! The pinned Node tools in `tools/node` (the vendor's `@botpress/api` and the official
//! `@botpress/client`): installing them from the committed lockfile and exporting the vendor's
//! OpenAPI documents.

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::SystemTime,
};

use anyhow::{Context, Result, bail};

/// The vendor exports compared by `spec-diff`: `(export name, API)`.
pub const VENDOR_EXPORTS: &[(&str, &str)] = &[
    ("runtimeApi", "Runtime"),
    ("filesApi", "Files"),
    ("tablesApi", "Tables"),
];

/// Whether the Node tools can be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tools {
    /// `node_modules` is installed and matches the lockfile.
    Ready,
    /// `node` or `npm` is not installed: the reason.
    Absent(String),
}

fn program(name: &str) -> String {
    if cfg!(windows) && name == "npm" {
        "npm.cmd".into()
    } else {
        name.into()
    }
}

fn available(name: &str) -> Result<(), String> {
    match Command::new(program(name))
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(format!("`{name} --version` failed ({s})")),
        Err(e) => Err(format!("`{name}` cannot be run ({e})")),
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    path.metadata().and_then(|m| m.modified()).ok()
}

/// Why `npm ci` must run in `dir`, if it must: `node_modules` missing, or older than the lockfile
/// (npm writes `node_modules/.package-lock.json` on every install).
pub fn install_needed(dir: &Path) -> Option<&'static str> {
    let stamp = dir.join("node_modules").join(".package-lock.json");
    if !dir.join("node_modules").is_dir() || !stamp.is_file() {
        return Some("node_modules is missing");
    }
    match (modified(&stamp), modified(&dir.join("package-lock.json"))) {
        (Some(installed), Some(lock)) if installed < lock => {
            Some("node_modules is older than package-lock.json")
        }
        _ => None,
    }
}

/// Makes sure `dir` (`tools/node`) has its `node_modules`, running `npm ci` when needed.
pub fn ensure_installed(dir: &Path) -> Result<Tools> {
    if let Err(reason) = available("node").and_then(|()| available("npm")) {
        return Ok(Tools::Absent(reason));
    }
    let Some(reason) = install_needed(dir) else {
        return Ok(Tools::Ready);
    };
    eprintln!("npm: {reason}: running `npm ci` in {}", dir.display());
    let status = Command::new(program("npm"))
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(dir)
        .status()
        .with_context(|| format!("running `npm ci` in {}", dir.display()))?;
    if !status.success() {
        bail!("`npm ci` failed in {} ({status})", dir.display());
    }
    Ok(Tools::Ready)
}

/// Exports the vendor OpenAPI documents ([`VENDOR_EXPORTS`]) into `dir/spec/<name>/openapi.json`
/// and returns `dir/spec`.
pub fn export_vendor(dir: &Path) -> Result<PathBuf> {
    let names: Vec<String> = VENDOR_EXPORTS
        .iter()
        .map(|(n, _)| format!("'{n}'"))
        .collect();
    let script = format!(
        "const bp = require('@botpress/api'); for (const n of [{}]) bp[n].exportOpenapi('spec/' + n)",
        names.join(", ")
    );
    let output = Command::new(program("node"))
        .args(["-e", &script])
        .current_dir(dir)
        .output()
        .with_context(|| format!("running node in {}", dir.display()))?;
    if !output.status.success() {
        bail!(
            "exporting the vendor OpenAPI documents failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(dir.join("spec"))
}
