//! `cargo xtask`: the developer commands of the `botpress` SDK (see the library docs).

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
};

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use xtask::{codegen, npm, spec_diff, suite, workspace_root};

mod bench;

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Developer commands of the botpress SDK")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Validate the OpenAPI document and refresh the files derived from it.
    Codegen {
        /// Write nothing; fail if a derived file is stale.
        #[arg(long)]
        check: bool,
        /// The document (default: openapi/botpress.yaml); derived files go next to it.
        #[arg(long)]
        document: Option<PathBuf>,
    },
    /// Compare the document with the vendor export (@botpress/api); fail on unexplained differences.
    SpecDiff {
        /// Directory with <runtimeApi|filesApi|tablesApi>/openapi.json (default: export them
        /// from tools/node, running `npm ci` first if needed).
        #[arg(long)]
        vendor_dir: Option<PathBuf>,
        /// Our document (default: openapi/botpress.yaml).
        #[arg(long)]
        document: Option<PathBuf>,
        /// The deliberate differences (default: openapi/DIFFERENCES.md).
        #[arg(long)]
        differences: Option<PathBuf>,
    },
    /// Run the whole test suite (`cargo test --workspace ARGS...`), installing the Node tools first.
    Test {
        /// Passed to `cargo test --workspace`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Measure the SDK (overhead, pagination, emulator, build times) and print the figures.
    Bench {
        /// Short runs, for a first look.
        #[arg(long)]
        quick: bool,
        /// Only the code generation time (the build script's work, run directly).
        #[arg(long)]
        codegen: bool,
        /// Only this section (overhead, pagination, emulator, build); repeatable.
        #[arg(long)]
        only: Vec<String>,
    },
}

/// A path given on the command line, made absolute (the commands run from the workspace root).
fn given(path: Option<PathBuf>, cwd: &Path) -> Option<PathBuf> {
    path.map(|p| cwd.join(p))
}

fn run(cli: Cli) -> Result<i32> {
    let root = workspace_root()?;
    let cwd = std::env::current_dir().context("reading the current directory")?;
    std::env::set_current_dir(&root).with_context(|| format!("entering {}", root.display()))?;
    match cli.command {
        Cmd::Codegen { check, document } => {
            let document = given(document, &cwd);
            let document = document.unwrap_or_else(|| PathBuf::from("openapi/botpress.yaml"));
            codegen::command(&document, check)?;
            Ok(0)
        }
        Cmd::SpecDiff {
            vendor_dir,
            document,
            differences,
        } => {
            let (vendor_dir, document, differences) = (
                given(vendor_dir, &cwd),
                given(document, &cwd),
                given(differences, &cwd),
            );
            let vendor_dir = match vendor_dir {
                Some(dir) => dir,
                None => {
                    let node = PathBuf::from("tools/node");
                    if let npm::Tools::Absent(reason) = npm::ensure_installed(&node)? {
                        anyhow::bail!(
                            "spec-diff needs node and npm to export the vendor documents: {reason}"
                        );
                    }
                    npm::export_vendor(&node)?
                }
            };
            spec_diff::command(
                &vendor_dir,
                &document.unwrap_or_else(|| PathBuf::from("openapi/botpress.yaml")),
                &differences.unwrap_or_else(|| PathBuf::from("openapi/DIFFERENCES.md")),
            )?;
            Ok(0)
        }
        Cmd::Test { args } => suite::command(Path::new("."), &args),
        Cmd::Bench {
            quick,
            codegen,
            only,
        } => bench::command(
            &root,
            &bench::Options {
                quick,
                codegen,
                only,
            },
        ),
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
