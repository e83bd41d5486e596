//! Section `downstream`: what `botpress` costs a user's crate. For each feature set (the
//! default, rustls with aws-lc-rs, native-tls, no TLS), a new crate depending on `botpress`
//! by path (a small program: a client and one call) is built from nothing, in a target
//! directory of its own: the clean build time in the dev and the release profile (release
//! only without `--quick`), and the number of packages it compiles (`cargo metadata`).
//!
//! `BP_BENCH_DOWNSTREAM_SDK=<path>` measures the `botpress` of another checkout instead (its
//! default features only), for before/after comparisons.

use std::{
    fs,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::Instant,
};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use super::{
    child::{Env, cargo},
    report::{Section, Table, count, figure},
};

/// The feature sets measured: label, `--no-default-features`, features.
const SETS: &[(&str, bool, &str)] = &[
    ("default (rustls, ring)", false, ""),
    (
        "rustls-aws-lc-rs",
        true,
        "rustls-aws-lc-rs,http2,system-proxy",
    ),
    ("native-tls", true, "native-tls,http2,system-proxy"),
    ("no TLS (plain HTTP)", true, ""),
];

const MAIN: &str = r#"#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = botpress::Client::builder()
        .base_url("http://127.0.0.1:9")
        .token("bp_pat_downstream")
        .bot_id("bot_downstream")
        .build()?;
    let result = client.get_conversation().id("conv_1").send().await;
    println!("{}", result.is_ok());
    Ok(())
}
"#;

/// Runs the section.
pub(super) fn run(env: &Env, quick: bool) -> Result<Section> {
    let other = std::env::var_os("BP_BENCH_DOWNSTREAM_SDK").map(PathBuf::from);
    let sdk = other.clone().unwrap_or_else(|| env.root.clone());
    let sets: Vec<_> = if other.is_some() {
        SETS[..1].to_vec()
    } else {
        SETS.to_vec()
    };
    let profiles: &[&str] = if quick { &["dev"] } else { &["dev", "release"] };
    let mut header = vec!["features", "packages"];
    header.extend(profiles.iter().map(|p| match *p {
        "dev" => "clean build, dev (s)",
        _ => "clean build, release (s)",
    }));
    let mut table = Table::new(
        &format!(
            "A downstream crate's clean build (botpress at {})",
            sdk.display()
        ),
        &header,
    );
    let mut data = Vec::new();
    let base = env.target_dir.join("bench").join("downstream");
    for (i, (label, no_default, features)) in sets.iter().enumerate() {
        let dir = base.join(format!("set{i}"));
        write_crate(&dir, &sdk, *no_default, features)?;
        let packages = packages(&dir)?;
        let mut row = vec![label.to_string(), count(packages as f64)];
        let mut times = serde_json::Map::new();
        for profile in profiles {
            eprintln!("bench: downstream, {label}, clean {profile} build");
            let seconds = clean_build(&dir, profile)?;
            row.push(figure(seconds));
            times.insert(profile.to_string(), json!(seconds));
        }
        table.row(row);
        data.push(json!({ "features": label, "packages": packages, "seconds": times }));
        let _ = fs::remove_dir_all(dir.join("target"));
    }
    Ok(Section {
        name: "downstream",
        tables: vec![table],
        targets: Vec::new(),
        data: json!({ "sdk": sdk.display().to_string(), "sets": data }),
        notes: vec![
            "downstream: every build starts from an empty target directory (all dependencies \
             compiled); packages = nodes of `cargo metadata`'s resolve, the crate itself excluded"
                .into(),
        ],
    })
}

/// Writes the downstream crate at `dir` (its own workspace, so no parent one adopts it).
fn write_crate(dir: &Path, sdk: &Path, no_default: bool, features: &str) -> Result<()> {
    fs::create_dir_all(dir.join("src"))?;
    let mut dependency = format!("path = {:?}", sdk.display().to_string());
    if no_default {
        dependency.push_str(", default-features = false");
    }
    if !features.is_empty() {
        let list: Vec<String> = features.split(',').map(|f| format!("{f:?}")).collect();
        dependency.push_str(&format!(", features = [{}]", list.join(", ")));
    }
    fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"downstream\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dependencies]\nbotpress = {{ {dependency} }}\n\
             tokio = {{ version = \"1\", features = [\"macros\", \"rt\"] }}\n\n[workspace]\n"
        ),
    )?;
    fs::write(dir.join("src/main.rs"), MAIN)?;
    // The same versions as the workspace, so the figures follow its lockfile; what a feature
    // set adds is fetched now, so that no build below waits for the network.
    let lock = sdk.join("Cargo.lock");
    if lock.is_file() {
        fs::copy(&lock, dir.join("Cargo.lock"))?;
    }
    xtask::run(
        Command::new(cargo())
            .args(["fetch", "--quiet"])
            .current_dir(dir),
    )
}

/// Packages the crate depends on (normal and build dependencies, for this platform).
fn packages(dir: &Path) -> Result<usize> {
    let out = Command::new(cargo())
        .args(["metadata", "--format-version", "1", "--offline"])
        .args(["--filter-platform", &host()?])
        .current_dir(dir)
        .stderr(Stdio::inherit())
        .output()
        .context("running cargo metadata")?;
    if !out.status.success() {
        bail!("cargo metadata failed in {}", dir.display());
    }
    let metadata: Value = serde_json::from_slice(&out.stdout)?;
    let nodes = metadata["resolve"]["nodes"]
        .as_array()
        .context("no resolve in cargo metadata")?;
    Ok(nodes.len().saturating_sub(1))
}

/// The host's target triple.
fn host() -> Result<String> {
    let out = Command::new("rustc").arg("-vV").output()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .context("no host in rustc -vV")
}

/// Seconds of a build of `dir` from an empty target directory.
fn clean_build(dir: &Path, profile: &str) -> Result<f64> {
    let target = dir.join("target");
    let _ = fs::remove_dir_all(&target);
    let started = Instant::now();
    let mut cmd = Command::new(cargo());
    cmd.args(["build", "--quiet", "--offline"]);
    if profile == "release" {
        cmd.arg("--release");
    }
    xtask::run(cmd.env("CARGO_TARGET_DIR", &target).current_dir(dir))?;
    Ok(started.elapsed().as_secs_f64())
}
