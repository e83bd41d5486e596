//! `cargo xtask package`: proves both published crates work from their `.crate` files alone,
//! as a user of the registry gets them, with no file of the repository around them:
//!
//! 1. `cargo package` of `botpress` and `botpress-emulator` (the emulator's `botpress = "=x.y.z"`
//!    resolves to the freshly packaged `botpress`), then a check of what each ships: every
//!    file is one a build or a reader needs ([`allowed`]), nothing else (no tests, CI or Node
//!    tools);
//! 2. both archives unpacked in a scratch directory outside the repository;
//! 3. a throwaway crate depending on the two unpacked crates (the emulator's `botpress`
//!    patched to the unpacked one) is built **offline** and run: it starts the embedded
//!    emulator and calls it through the client;
//! 4. the unpacked emulator's binary is built offline and answers `--help`.
//!
//! Dependencies come from the local cargo cache (the workspace's `Cargo.lock` pins the same
//! versions) and compiled ones are shared through the workspace target directory.

use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{Context, Result, bail};

use crate::{cargo, run};

/// The published crates, in dependency order.
const CRATES: [&str; 2] = ["botpress", "botpress-emulator"];

/// The throwaway crate's program: the embedded emulator, a client, one call.
const DOWNSTREAM_MAIN: &str = r#"use botpress::Client;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = botpress_emulator::spawn(botpress_emulator::Config::new()).await?;
    let client = Client::builder()
        .base_url(emulator.base_url())
        .token(emulator.token())
        .bot_id("bot_package_check")
        .build()?;
    let conversation = client
        .create_conversation()
        .channel("web")
        .tags([("source", "package-check")])
        .send()
        .await?
        .conversation;
    let listed = client.list_conversations().send().await?.conversations;
    assert_eq!(listed.len(), 1, "the conversation just created is listed");
    println!("downstream: created and listed {}", conversation.id);
    Ok(())
}
"#;

/// Runs the check from the workspace `root`.
pub fn command(root: &Path) -> Result<()> {
    let version = workspace_version(root)?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let mut args = vec!["package", "--no-verify", "--allow-dirty", "--quiet"];
    for name in CRATES {
        args.extend(["-p", name]);
    }
    run(Command::new(cargo()).args(&args).current_dir(root))?;

    let scratch =
        std::env::temp_dir().join(format!("botpress-package-check-{}", std::process::id()));
    let _cleanup = RemoveOnDrop(scratch.clone());
    fs::create_dir_all(&scratch)?;
    let mut unpacked = Vec::new();
    for name in CRATES {
        let archive = target
            .join("package")
            .join(format!("{name}-{version}.crate"));
        let files = list(&archive)?;
        check_contents(name, &files)?;
        let size = fs::metadata(&archive)?.len();
        println!(
            "package: {name}-{version}.crate: {} files, {:.1} KiB",
            files.len(),
            size as f64 / 1024.0
        );
        run(Command::new("tar")
            .arg("-xzf")
            .arg(&archive)
            .arg("-C")
            .arg(&scratch))?;
        unpacked.push(scratch.join(format!("{name}-{version}")));
    }
    let (sdk, emulator) = (&unpacked[0], &unpacked[1]);
    let patch = format!("patch.crates-io.botpress.path={}", toml_string(sdk));

    let downstream = scratch.join("downstream");
    fs::create_dir_all(downstream.join("src"))?;
    fs::write(
        downstream.join("Cargo.toml"),
        format!(
            "[package]\nname = \"downstream\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dependencies]\nbotpress = {{ path = {sdk} }}\nbotpress-emulator = {{ path = {emulator} }}\n\
             tokio = {{ version = \"1\", features = [\"macros\", \"rt-multi-thread\"] }}\n\n\
             [patch.crates-io]\nbotpress = {{ path = {sdk} }}\n",
            sdk = toml_string(sdk),
            emulator = toml_string(emulator),
        ),
    )?;
    fs::write(downstream.join("src/main.rs"), DOWNSTREAM_MAIN)?;
    fs::copy(root.join("Cargo.lock"), downstream.join("Cargo.lock"))?;
    run(Command::new(cargo())
        .args(["run", "--offline", "--quiet"])
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(&downstream))?;

    fs::copy(root.join("Cargo.lock"), emulator.join("Cargo.lock"))?;
    run(Command::new(cargo())
        .args([
            "build",
            "--offline",
            "--quiet",
            "--bin",
            "botpress-emulator",
            "--config",
        ])
        .arg(&patch)
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(emulator))?;
    let help = Command::new(target.join("debug").join("botpress-emulator"))
        .arg("--help")
        .output()
        .context("running the packaged emulator's binary")?;
    let text = String::from_utf8_lossy(&help.stdout);
    if !help.status.success() || !text.contains("--port") {
        bail!(
            "the packaged emulator's `--help` failed ({}):\n{text}",
            help.status
        );
    }
    println!(
        "package: the packaged emulator binary documents {} flags",
        text.lines()
            .filter(|l| l.trim_start().starts_with("--"))
            .count()
    );
    println!("package: both crates build and run from their .crate files, offline");
    Ok(())
}

/// Whether a crate may ship `path` (relative to its root): what its build reads, its docs and
/// licenses, and the files cargo adds.
pub fn allowed(name: &str, path: &str) -> bool {
    const ALWAYS: [&str; 6] = [
        "Cargo.toml",
        "Cargo.toml.orig",
        ".cargo_vcs_info.json",
        "README.md",
        "LICENSE-APACHE",
        "LICENSE-MIT",
    ];
    if ALWAYS.contains(&path) || path == "Cargo.lock" {
        return true;
    }
    match name {
        "botpress" => {
            path == "build.rs"
                || path == "openapi/botpress.yaml"
                || (path.starts_with("build/") || path.starts_with("sdk/")) && path.ends_with(".rs")
        }
        _ => path.starts_with("src/") && path.ends_with(".rs"),
    }
}

/// Fails naming every file of `name`'s package that [`allowed`] refuses.
fn check_contents(name: &str, files: &[String]) -> Result<()> {
    let extra: Vec<&String> = files.iter().filter(|f| !allowed(name, f)).collect();
    if !extra.is_empty() {
        bail!(
            "the package of {name} ships files it should not (fix `include` in its Cargo.toml):\n  {}",
            extra
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n  ")
        );
    }
    Ok(())
}

/// The paths in a `.crate` archive, relative to the crate's root.
fn list(archive: &Path) -> Result<Vec<String>> {
    let out = Command::new("tar")
        .arg("-tzf")
        .arg(archive)
        .output()
        .with_context(|| format!("listing {}", archive.display()))?;
    if !out.status.success() {
        bail!(
            "tar -tzf {} failed: {}",
            archive.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.ends_with('/'))
        .filter_map(|l| l.split_once('/').map(|(_, rest)| rest.to_string()))
        .collect())
}

/// The `version` of `[workspace.package]`.
fn workspace_version(root: &Path) -> Result<String> {
    let manifest = fs::read_to_string(root.join("Cargo.toml"))?;
    let section = manifest
        .split("[workspace.package]")
        .nth(1)
        .context("no [workspace.package] in Cargo.toml")?;
    section
        .lines()
        .take_while(|l| !l.starts_with('['))
        .find_map(|l| l.strip_prefix("version = "))
        .map(|v| v.trim().trim_matches('"').to_string())
        .context("no version in [workspace.package]")
}

/// A path as a TOML basic string.
fn toml_string(path: &Path) -> String {
    format!("{:?}", path.display().to_string())
}

/// Removes a scratch directory when dropped.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packages_ship_what_builds_need_and_nothing_else() {
        assert!(allowed("botpress", "sdk/client.rs"));
        assert!(allowed("botpress", "build/operations.rs"));
        assert!(allowed("botpress", "openapi/botpress.yaml"));
        assert!(allowed("botpress-emulator", "src/db.rs"));
        assert!(allowed("botpress-emulator", "LICENSE-MIT"));
        for path in [
            "tests/it/main.rs",
            ".ci/run",
            "tools/node/package.json",
            "openapi/DIFFERENCES.md",
            "examples/quickstart.rs",
        ] {
            assert!(!allowed("botpress", path), "{path}");
        }
        assert!(!allowed("botpress-emulator", "tests/it/abuse.rs"));
    }

    #[test]
    fn versions_and_paths_are_read_and_quoted() {
        let root = std::env::temp_dir().join(format!("xtask-package-{}", std::process::id()));
        fs::create_dir_all(&root).unwrap();
        fs::write(
            root.join("Cargo.toml"),
            "[workspace]\n\n[workspace.package]\nedition = \"2024\"\nversion = \"1.2.3\"\n\n[x]\nversion = \"9\"\n",
        )
        .unwrap();
        assert_eq!(workspace_version(&root).unwrap(), "1.2.3");
        fs::remove_dir_all(&root).unwrap();
        assert_eq!(toml_string(Path::new("/tmp/a \"b\"")), r#""/tmp/a \"b\"""#);
    }
}
