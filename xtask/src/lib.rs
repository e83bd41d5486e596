//! Developer commands of the `botpress` SDK workspace (`cargo xtask <command>`):
//!
//! - `codegen [--check]`: validate `openapi/botpress.yaml` against the authoring rules and
//!   refresh the files derived from it ([`codegen`], [`rules`], [`inventory`]);
//! - `spec-diff`: compare the document with the vendor export, every difference explained by
//!   `openapi/DIFFERENCES.md` ([`spec_diff`], [`differences`], [`npm`]);
//! - `test`: the whole test suite, Node tools installed first ([`suite`]);
//! - `package`: both published crates packaged, then built and run from the `.crate` files
//!   alone, offline ([`package`]);
//! - `public-api [--check]`: the public items of both published crates, compared with the
//!   checked-in listing ([`public_api`]).
//!
//! The library exists so the commands can be tested on fixture documents.

#[cfg(test)]
mod citations;
pub mod codegen;
pub mod differences;
pub mod document;
pub mod inventory;
pub mod npm;
pub mod package;
pub mod public_api;
pub mod rules;
pub mod spec_diff;
pub mod suite;

use std::path::{Path, PathBuf};

/// The cargo that runs this command (`CARGO`), else `cargo` from the `PATH`.
pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// Runs `cmd` (its output goes to ours); fails, showing the command, unless it succeeds.
pub fn run(cmd: &mut std::process::Command) -> anyhow::Result<()> {
    let shown = format!("{cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| anyhow::anyhow!("running {shown}: {e}"))?;
    if !status.success() {
        anyhow::bail!("{shown} failed ({status})");
    }
    Ok(())
}

/// The workspace root: `CARGO_MANIFEST_DIR/..` under `cargo run`/`cargo xtask`, otherwise the
/// nearest ancestor of the current directory holding `openapi/botpress.yaml`.
pub fn workspace_root() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("CARGO_MANIFEST_DIR")
        && let Some(parent) = Path::new(&dir).parent()
        && parent.join("openapi").is_dir()
    {
        return Ok(parent.to_path_buf());
    }
    let cwd = std::env::current_dir()?;
    cwd.ancestors()
        .find(|d| d.join("openapi/botpress.yaml").is_file())
        .map(Path::to_path_buf)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "cannot find the workspace root (a directory with openapi/botpress.yaml) from {}",
                cwd.display()
            )
        })
}

/// The client generator of `build.rs` (the `build/` folder), compiled here so that its unit
/// tests run with the workspace's tests.
#[cfg(test)]
#[path = "../../build/mod.rs"]
#[allow(dead_code)]
mod generator;

#[cfg(test)]
mod generator_tests {
    /// The generator turns the project's document into a client: every operation a builder,
    /// every request type a builder, and the unified enums.
    #[test]
    fn the_document_generates_a_client() {
        let root = super::workspace_root().unwrap();
        let text = std::fs::read_to_string(root.join("openapi/botpress.yaml")).unwrap();
        let out = super::generator::generate(&text).unwrap();
        assert!(out.lines > 10_000, "{} lines", out.lines);
        for item in [
            "pub struct CreateWorkflow {",
            "pub fn create_workflow(&self) -> CreateWorkflow",
            "pub struct CreateWorkflowBodyBuilder {",
            "pub enum SortDirection {",
        ] {
            assert!(out.client.contains(item), "{item}");
        }
        for gone in [
            "CreateWorkflowBodyStatus",
            "FindTableRowsBodyOrderDirection",
            "progenitor_client",
        ] {
            assert!(!out.client.contains(gone), "{gone} is still generated");
        }
        assert!(out.pagination.contains("listUsers: ListUsers, list_users"));
    }
}
