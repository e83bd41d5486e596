//! `cargo xtask`: the developer commands of the `botpress` SDK (see the library docs).

use std::{path::PathBuf, process::ExitCode};

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use xtask::{codegen, npm, package, public_api, spec_diff, suite, workspace_root};

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
    /// Package `botpress` and `botpress-emulator`, then build and run a throwaway crate against the
    /// packaged files alone, offline.
    Package,
    /// List the public API of both published crates into xtask/public-api/ (from rustdoc's JSON).
    PublicApi {
        /// Write nothing; fail, showing the changed lines, if the API differs from the listing.
        #[arg(long)]
        check: bool,
    },
    /// Measure the SDK (overhead, instructions, pagination, emulator, scale, build times) and print
    /// the figures.
    Bench {
        /// Short runs, for a first look.
        #[arg(long)]
        quick: bool,
        /// Only the code generation time (the build script's work, run directly).
        #[arg(long)]
        codegen: bool,
        /// Only this section (overhead, instructions, pagination, emulator, platform, scale, build,
        /// downstream);
        /// repeatable.
        #[arg(long)]
        only: Vec<String>,
    },
}

/// Paths of the command line are relative to where it was run; defaults are relative to the
/// workspace root, which commands run from (it is only looked for when a default is needed).
struct Paths {
    cwd: PathBuf,
    root: Option<Result<PathBuf>>,
}

impl Paths {
    fn new() -> Result<Self> {
        let cwd = std::env::current_dir().context("reading the current directory")?;
        Ok(Self { cwd, root: None })
    }

    /// The workspace root, found once; the process moves there so defaults print short.
    fn root(&mut self) -> Result<PathBuf> {
        let found = self.root.get_or_insert_with(|| {
            let root = workspace_root()?;
            std::env::set_current_dir(&root)
                .with_context(|| format!("entering {}", root.display()))?;
            Ok(root)
        });
        match found {
            Ok(p) => Ok(p.clone()),
            Err(e) => Err(anyhow::anyhow!("{e:#}")),
        }
    }

    /// `given` (relative to where the command was run) or `default` (relative to the root).
    fn or_default(&mut self, given: Option<PathBuf>, default: &str) -> Result<PathBuf> {
        match given {
            Some(p) => Ok(self.cwd.join(p)),
            None => {
                self.root()?;
                Ok(PathBuf::from(default))
            }
        }
    }
}

fn run(cli: Cli) -> Result<i32> {
    let mut paths = Paths::new()?;
    match cli.command {
        Cmd::Codegen { check, document } => {
            let document = paths.or_default(document, "openapi/botpress.yaml")?;
            codegen::command(&document, check)?;
            Ok(0)
        }
        Cmd::SpecDiff {
            vendor_dir,
            document,
            differences,
        } => {
            let document = paths.or_default(document, "openapi/botpress.yaml")?;
            let differences = paths.or_default(differences, "openapi/DIFFERENCES.md")?;
            let vendor_dir = match vendor_dir {
                Some(dir) => paths.cwd.join(dir),
                None => {
                    let node = paths.root()?.join("tools/node");
                    if let npm::Tools::Absent(reason) = npm::ensure_installed(&node)? {
                        anyhow::bail!(
                            "spec-diff needs node and npm to export the vendor documents: {reason}"
                        );
                    }
                    npm::export_vendor(&node)?
                }
            };
            spec_diff::command(&vendor_dir, &document, &differences)?;
            Ok(0)
        }
        Cmd::Test { args } => suite::command(&paths.root()?, &args),
        Cmd::Package => {
            package::command(&paths.root()?)?;
            Ok(0)
        }
        Cmd::PublicApi { check } => {
            public_api::command(&paths.root()?, check)?;
            Ok(0)
        }
        Cmd::Bench {
            quick,
            codegen,
            only,
        } => bench::command(
            &paths.root()?,
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
