//! The pinned Node tools of `tools/node` (the vendor's `@botpress/api`, the official
//! `@botpress/client`, Prism) for tests: finds `node`, installs `node_modules` from the
//! lockfile with `npm ci` when it is missing or stale, and exports the vendor's OpenAPI
//! documents.
//!
//! Without `node` a test calls [`NodeTools::get`], gets `None` after a LOUD message on
//! stderr, and returns: that is the only case where a Node-based test skips. A failing
//! `npm ci` fails the test with npm's output.
use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::Mutex,
    time::SystemTime,
};

use serde_json::Value;

/// The vendor's per-API exports: `(export name in @botpress/api, API)`.
pub(crate) const VENDOR_EXPORTS: &[(&str, &str)] = &[
    ("runtimeApi", "Runtime"),
    ("filesApi", "Files"),
    ("tablesApi", "Tables"),
];

/// Installed Node tools.
#[derive(Clone, Debug)]
pub(crate) struct NodeTools {
    /// `tools/node`.
    pub dir: PathBuf,
}

static INSTALL: Mutex<()> = Mutex::new(());

fn runs(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn modified(path: &Path) -> Option<SystemTime> {
    path.metadata().and_then(|m| m.modified()).ok()
}

/// Why `npm ci` must run in `dir`, if it must.
fn install_needed(dir: &Path) -> Option<&'static str> {
    let modules = dir.join("node_modules");
    let stamp = modules.join(".package-lock.json");
    if !stamp.is_file() {
        return Some("node_modules is missing");
    }
    for needed in ["@botpress/api", "@botpress/client", ".bin/prism"] {
        if !modules.join(needed).exists() {
            return Some("node_modules lacks a package of package.json");
        }
    }
    match (modified(&stamp), modified(&dir.join("package-lock.json"))) {
        (Some(installed), Some(lock)) if installed < lock => {
            Some("node_modules is older than package-lock.json")
        }
        _ => None,
    }
}

impl NodeTools {
    /// The tools, installed; `None` (after a loud message naming `test`) when `node` is absent.
    /// Under CI (`CI` set) a missing `node` fails the test instead: a judge must not pass by
    /// not running.
    pub(crate) fn get(test: &str) -> Option<Self> {
        if !runs("node") {
            assert!(
                std::env::var_os("CI").is_none(),
                "{test}: CI is set and `node` is not installed: the Node-based judges cannot run"
            );
            eprintln!(
                "\n==================================================================\n\
                 SKIPPED {test}: `node` is not installed, so the Node tools of\n\
                 tools/node (Prism, @botpress/api, @botpress/client) cannot run.\n\
                 Install Node.js 18+ and run `cargo xtask test` to run this test.\n\
                 ==================================================================\n"
            );
            return None;
        }
        let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tools/node"));
        let _guard = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(reason) = install_needed(&dir) {
            assert!(
                runs("npm"),
                "{test}: {reason} in {} and `npm` is not installed: install npm (it comes with Node.js)",
                dir.display()
            );
            eprintln!("{test}: {reason}: running `npm ci` in {}", dir.display());
            let output = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&dir)
                .output()
                .expect("run npm ci");
            assert!(
                output.status.success(),
                "{test}: `npm ci` failed in {} ({}):\n{}{}",
                dir.display(),
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Some(Self { dir })
    }

    /// `node_modules/.bin/<name>`.
    pub(crate) fn bin(&self, name: &str) -> PathBuf {
        self.dir.join("node_modules/.bin").join(name)
    }

    /// Runs `node -e script` in `tools/node` and returns its stdout; panics with its output
    /// when it fails.
    pub(crate) fn eval(&self, script: &str) -> String {
        let output = Command::new("node")
            .args(["-e", script])
            .current_dir(&self.dir)
            .output()
            .expect("run node");
        stdout_of(output, script)
    }

    /// Runs the script `tools/node/<script>` with `args` under node, without blocking the
    /// async runtime, and returns its stdout; panics with its output when it fails.
    pub(crate) async fn run(&self, script: &str, args: &[&std::ffi::OsStr]) -> String {
        let output = tokio::process::Command::new("node")
            .arg(self.dir.join(script))
            .args(args)
            .current_dir(&self.dir)
            .output()
            .await
            .expect("run node");
        stdout_of(output, script)
    }

    /// Exports the vendor's Runtime, Files and Tables documents and merges them into one
    /// document (paths and components are disjoint; identical shared components are kept
    /// once), written to `dir/vendor.json`; returns that path.
    pub(crate) fn vendor_document(&self, dir: &Path) -> PathBuf {
        std::fs::create_dir_all(dir).expect("create export dir");
        let dir = dir.canonicalize().expect("export dir");
        let names: Vec<String> = VENDOR_EXPORTS
            .iter()
            .map(|(n, _)| format!("'{n}'"))
            .collect();
        self.eval(&format!(
            "const bp = require('@botpress/api'); for (const n of [{}]) bp[n].exportOpenapi({:?} + '/' + n)",
            names.join(", "),
            dir.display().to_string()
        ));
        let mut merged: Option<Value> = None;
        for (name, _) in VENDOR_EXPORTS {
            let path = dir.join(name).join("openapi.json");
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
            let doc: Value = serde_json::from_str(&text).expect("vendor export is JSON");
            match &mut merged {
                None => merged = Some(doc),
                Some(into) => merge_document(into, doc, name),
            }
        }
        let out = dir.join("vendor.json");
        std::fs::write(&out, serde_json::to_vec_pretty(&merged).expect("json")).expect("write");
        out
    }
}

/// The stdout of a node run; panics with both outputs when it failed.
fn stdout_of(output: std::process::Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "node failed ({}) on {what}:\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8 output")
}

/// Adds `doc`'s paths and components to `into`; a name present in both must be identical.
fn merge_document(into: &mut Value, doc: Value, name: &str) {
    let Value::Object(mut doc) = doc else {
        panic!("{name}: not an object")
    };
    let paths = doc.remove("paths").expect("paths");
    merge_map(&mut into["paths"], paths, &format!("{name} paths"));
    if let Some(Value::Object(components)) = doc.remove("components") {
        for (section, entries) in components {
            let target = &mut into["components"][&section];
            if target.is_null() {
                *target = Value::Object(Default::default());
            }
            merge_map(target, entries, &format!("{name} components.{section}"));
        }
    }
}

fn merge_map(into: &mut Value, from: Value, what: &str) {
    let into = into.as_object_mut().expect("object");
    for (k, v) in from.as_object().expect("object") {
        match into.get(k) {
            Some(existing) => assert_eq!(existing, v, "{what}: `{k}` differs between exports"),
            None => {
                into.insert(k.clone(), v.clone());
            }
        }
    }
}
