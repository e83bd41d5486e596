//! A Prism mock server (`@stoplight/prism-cli`, pinned in `tools/node`) in error mode on a
//! free loopback port, serving one OpenAPI document: it validates every request against the
//! document, answers valid requests with a response generated from the document, and
//! answers invalid ones with 4xx (422 for a schema violation) and the violations, as JSON, in
//! the `sl-violations` response header. The process is killed when the handle is dropped.
use std::{
    io::Read,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use super::node::NodeTools;

/// How long Prism may take to start (it is slow: it dereferences the whole document).
const STARTUP: Duration = Duration::from_secs(180);

/// A running Prism.
pub(crate) struct Prism {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    log: PathBuf,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

impl Prism {
    /// Starts `prism mock --errors` on `document`, logging to `log`, and waits until it
    /// listens; panics with its log if it exits or does not come up.
    pub(crate) fn start(tools: &NodeTools, document: &Path, log: &Path) -> Self {
        let port = free_port();
        let out = std::fs::File::create(log).expect("create prism log");
        let err = out.try_clone().expect("log handle");
        let child = Command::new(tools.bin("prism"))
            .args([
                "mock",
                "--errors",
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .arg(document)
            .current_dir(&tools.dir)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("spawn prism");
        let mut prism = Self {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
            log: log.to_path_buf(),
        };
        let started = Instant::now();
        loop {
            if prism.log_text().contains("Prism is listening") {
                return prism;
            }
            if let Ok(Some(status)) = prism.child.try_wait() {
                panic!(
                    "prism exited ({status}) serving {}:\n{}",
                    document.display(),
                    prism.log_text()
                );
            }
            assert!(
                started.elapsed() < STARTUP,
                "prism did not start within {STARTUP:?} serving {}:\n{}",
                document.display(),
                prism.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Everything Prism logged so far.
    pub(crate) fn log_text(&self) -> String {
        let mut text = String::new();
        if let Ok(mut f) = std::fs::File::open(&self.log) {
            let _ = f.read_to_string(&mut text);
        }
        text
    }
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
