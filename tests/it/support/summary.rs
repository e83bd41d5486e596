//! The judges' summary lines, collected in one file so that `cargo xtask test` can print them
//! after `cargo test` (libtest swallows the output of passing tests).
//!
//! The file is the one named by `BOTPRESS_CONFORMANCE_SUMMARY` (`cargo xtask test` points it at a
//! fresh file and prints it at the end), else `<target dir>/tmp/conformance-summary.txt`
//! (`CARGO_TARGET_TMPDIR`, kept across runs). Tests run in parallel threads, so each summary
//! is appended with one `write` of whole lines on a file opened in append mode.
use std::{
    io::Write,
    path::{Path, PathBuf},
};

/// The variable `cargo xtask test` sets (xtask's `suite::SUMMARY_ENV`).
pub(crate) const ENV: &str = "BOTPRESS_CONFORMANCE_SUMMARY";

/// The summary file.
pub(crate) fn path() -> PathBuf {
    std::env::var_os(ENV)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("conformance-summary.txt"))
}

/// Appends `text` (one or more lines) to the summary file, and prints it on stderr.
pub(crate) fn record(text: &str) {
    eprintln!("SUMMARY {text}");
    let path = path();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("create the summary's directory");
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let mut text = text.trim_end().to_string();
    text.push('\n');
    file.write_all(text.as_bytes())
        .unwrap_or_else(|e| panic!("append to {}: {e}", path.display()));
}
