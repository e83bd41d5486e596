//! The processes a benchmark starts: the release build of the measuring programs
//! (`botpress-bench`), servers that announce their URL on stdout, and one-shot measuring runs
//! that print one JSON line.

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, ChildStdin, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// Paths every section needs.
pub(super) struct Env {
    /// The workspace root (the current directory of every command).
    pub root: PathBuf,
    /// Cargo's target directory (`CARGO_TARGET_DIR` or `<root>/target`).
    pub target_dir: PathBuf,
    /// `<target>/release/botpress-bench`.
    pub bench_bin: PathBuf,
}

/// Cargo's target directory, as `cargo metadata` reports it.
pub(super) fn target_dir(root: &Path) -> Result<PathBuf> {
    let out = Command::new(cargo())
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .current_dir(root)
        .stderr(Stdio::inherit())
        .output()
        .context("running cargo metadata")?;
    if !out.status.success() {
        bail!("cargo metadata failed ({})", out.status);
    }
    let meta: Value = serde_json::from_slice(&out.stdout).context("decoding cargo metadata")?;
    meta["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .context("cargo metadata has no target_directory")
}

pub(super) use xtask::cargo;

/// Builds the measuring programs in release mode.
pub(super) fn prepare(root: &Path) -> Result<Env> {
    eprintln!("bench: building the measuring programs (cargo build --release -p botpress-bench)");
    let status = Command::new(cargo())
        .args(["build", "--release", "--quiet", "-p", "botpress-bench"])
        .current_dir(root)
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("building botpress-bench failed ({status})");
    }
    let target_dir = target_dir(root)?;
    let bench_bin = target_dir.join("release").join("botpress-bench");
    Ok(Env {
        root: root.to_path_buf(),
        target_dir,
        bench_bin,
    })
}

/// A server process, stopped (killed and reaped) when dropped. Its stdin is held open: the
/// benchmark's own servers exit when it closes.
pub(super) struct Server {
    child: Child,
    _stdin: Option<ChildStdin>,
    /// The base URL it announced.
    pub url: String,
}

impl Server {
    /// Starts `cmd` and waits (at most `timeout`) for a stdout line from which `ready` extracts
    /// the base URL. Later stdout lines are discarded.
    pub(super) fn start(
        mut cmd: Command,
        timeout: Duration,
        ready: impl Fn(&str) -> Option<String> + Send + 'static,
    ) -> Result<Self> {
        let what = format!("{cmd:?}");
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {what}"))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().context("server stdout")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if !sent && let Some(url) = ready(&line) {
                    let _ = tx.send(url);
                    sent = true;
                }
            }
        });
        let mut server = Self {
            child,
            _stdin: stdin,
            url: String::new(),
        };
        match rx.recv_timeout(timeout) {
            Ok(url) => {
                server.url = url;
                Ok(server)
            }
            Err(_) => bail!("{what} did not announce its URL within {timeout:?}"),
        }
    }

    /// CPU time the process has used so far (user + system, every thread, those that ended
    /// too), in seconds, from `/proc/<pid>/stat`; `None` where there is no `/proc`.
    pub(super) fn cpu_seconds(&self) -> Option<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).ok()?;
        // The fields after the command name (which is in parentheses and may hold spaces):
        // utime and stime are fields 14 and 15 of the line, 12 and 13 after `)`.
        let rest = &stat[stat.rfind(')')? + 1..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks: f64 =
            fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
        Some(ticks / clock_ticks_per_second())
    }

    /// Stops the process with SIGTERM (a clean stop, which lets a tool it runs under write its
    /// report) and waits for it, at most `timeout`.
    pub(super) fn terminate(mut self, timeout: Duration) -> Result<std::process::ExitStatus> {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status()?;
        if !sent.success() {
            bail!("kill -TERM {pid} failed ({sent})");
        }
        let until = std::time::Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            if std::time::Instant::now() >= until {
                bail!("process {pid} did not stop within {timeout:?} of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A `botpress-bench serve KIND ARGS...` server.
    pub(super) fn bench(env: &Env, kind: &str, args: &[&str]) -> Result<Self> {
        let mut cmd = Command::new(&env.bench_bin);
        cmd.arg("serve").arg(kind).args(args);
        Self::start(cmd, Duration::from_secs(10), |line| {
            line.strip_prefix("LISTENING ").map(str::to_string)
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The kernel's clock ticks per second (`getconf CLK_TCK`), the unit of `/proc` CPU times;
/// 100 when it cannot be asked.
fn clock_ticks_per_second() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok()?.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// Runs a measuring program to completion and decodes the JSON line it printed last.
pub(super) fn run_json(cmd: &mut Command) -> Result<Value> {
    let what = format!("{cmd:?}");
    let out = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("running {what}"))?;
    if !out.status.success() {
        bail!("{what} failed ({})", out.status);
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .with_context(|| format!("{what} printed no JSON report"))?;
    serde_json::from_str(line).with_context(|| format!("decoding the report of {what}: {line}"))
}
