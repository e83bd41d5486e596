//! Section 4, build times of the `botpress` crate (dev profile), in a target directory of its
//! own (`<target>/bench/build-target`, so the shared one is never wiped):
//! - cold build with every dependency (only when that directory is new),
//! - clean build of `botpress` alone (`cargo clean -p botpress`, dependencies built),
//! - incremental rebuild after a one-line edit of `openapi/botpress.yaml` (a word appended to
//!   the first one-line description of a schema, which changes a doc comment of the generated
//!   code; the document is restored byte for byte, and its mtime, even on error),
//! - code generation alone: the compiled build script run directly (`--codegen` runs only this),
//!
//! with the unit breakdown from `cargo build --timings` (build script compile, build script
//! run, rustc on the crate; the heaviest dependencies of a cold build).

use std::{
    fs,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant, SystemTime},
};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use super::{
    Timing,
    child::{Env, cargo},
    report::{Section, Table, Target, count, figure},
};

const DOCUMENT: &str = "openapi/botpress.yaml";

/// The separate target directory of the build benchmarks.
fn build_dir(env: &Env) -> PathBuf {
    env.target_dir.join("bench").join("build-target")
}

fn cargo_in(env: &Env, args: &[&str]) -> Result<Duration> {
    let started = Instant::now();
    let status = Command::new(cargo())
        .args(args)
        .env("CARGO_TARGET_DIR", build_dir(env))
        .current_dir(&env.root)
        .stdout(Stdio::null())
        .status()
        .with_context(|| format!("running cargo {}", args.join(" ")))?;
    if !status.success() {
        bail!("cargo {} failed ({status})", args.join(" "));
    }
    Ok(started.elapsed())
}

fn build(env: &Env) -> Result<Duration> {
    cargo_in(env, &["build", "--quiet", "-p", "botpress", "--timings"])
}

/// The units of the newest `cargo build --timings` report: `UNIT_DATA` of its HTML page.
fn timing_units(env: &Env) -> Result<Vec<Value>> {
    let dir = build_dir(env).join("cargo-timings");
    let newest = fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with("cargo-timing-") && name.ends_with(".html")
        })
        .max_by_key(|e| e.metadata().and_then(|m| m.modified()).ok())
        .with_context(|| format!("no cargo-timing-*.html in {}", dir.display()))?;
    let html = fs::read_to_string(newest.path())?;
    let start = html
        .find("UNIT_DATA = ")
        .context("no UNIT_DATA in the cargo timing report")?;
    let rest = &html[start + "UNIT_DATA = ".len()..];
    let units = serde_json::Deserializer::from_str(rest)
        .into_iter::<Vec<Value>>()
        .next()
        .context("empty UNIT_DATA")?
        .context("decoding UNIT_DATA")?;
    Ok(units)
}

/// `(label, seconds)` of each unit that took time (fresh units are listed with 0 s), longest
/// first.
fn unit_durations(units: &[Value]) -> Vec<(String, f64)> {
    let mut out: Vec<(String, f64)> = units
        .iter()
        .filter(|u| u["duration"].as_f64().unwrap_or(0.0) >= 0.01)
        .map(|u| {
            let name = u["name"].as_str().unwrap_or("?");
            let target = u["target"].as_str().unwrap_or("").trim();
            let mode = u["mode"].as_str().unwrap_or("");
            let what = match (mode, target) {
                ("run-custom-build", _) => format!("{name} (build script run)"),
                (_, "") => name.to_string(),
                (_, t) => format!("{name} ({t})"),
            };
            (what, u["duration"].as_f64().unwrap_or(0.0))
        })
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    out
}

/// The document, restored (bytes and mtime) when dropped.
struct DocumentEdit {
    path: PathBuf,
    backup: PathBuf,
    original: Vec<u8>,
    modified: SystemTime,
}

impl DocumentEdit {
    /// Appends a word to the first one-line, plain `description:` under `components:` (a
    /// schema's), so that the generated code changes (a doc comment), as a real edit does.
    fn apply(root: &Path, backup: PathBuf) -> Result<Self> {
        let path = root.join(DOCUMENT);
        let original = fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let modified = fs::metadata(&path)?.modified()?;
        let text = String::from_utf8(original.clone()).context("the document is not UTF-8")?;
        let at = one_line_schema_description(&text)
            .context("no one-line plain description under components: in the document")?;
        if let Some(dir) = backup.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::write(&backup, &original)
            .with_context(|| format!("backing up the document to {}", backup.display()))?;
        let edit = Self {
            path,
            backup,
            original,
            modified,
        };
        let mut edited = text.into_bytes();
        edited.splice(at..at, *b" Edited.");
        fs::write(&edit.path, edited).context("editing the document")?;
        Ok(edit)
    }
}

impl Drop for DocumentEdit {
    fn drop(&mut self) {
        let restored = fs::write(&self.path, &self.original).and_then(|()| {
            fs::File::options()
                .write(true)
                .open(&self.path)?
                .set_modified(self.modified)
        });
        match restored {
            Ok(()) => {
                let _ = fs::remove_file(&self.backup);
            }
            Err(e) => eprintln!(
                "bench: RESTORING {} FAILED ({e}): its original is at {}",
                self.path.display(),
                self.backup.display()
            ),
        }
    }
}

/// The byte offset of the end of the first `description: <plain text>` line after
/// `components:` whose value is not continued on the next line.
fn one_line_schema_description(text: &str) -> Option<usize> {
    let indent = |line: &str| line.len() - line.trim_start().len();
    let mut offset = 0;
    let lines: Vec<(usize, &str)> = text
        .split('\n')
        .map(|line| {
            let start = offset;
            offset += line.len() + 1;
            (start, line)
        })
        .collect();
    let components = lines.iter().position(|(_, l)| *l == "components:")?;
    lines[components..].windows(2).find_map(|pair| {
        let [(start, line), (_, next)] = pair else {
            return None;
        };
        let value = line.trim_start().strip_prefix("description: ")?;
        let plain = !value.starts_with(['\'', '"', '|', '>']);
        let continued = !next.trim().is_empty() && indent(next) > indent(line);
        (plain && !continued).then_some(start + line.len())
    })
}

/// The compiled build script of `botpress` in the build directory, newest first.
fn build_script(env: &Env) -> Result<PathBuf> {
    let dir = build_dir(env).join("debug").join("build");
    fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("botpress-"))
        .map(|e| e.path().join("build-script-build"))
        .filter(|p| p.is_file())
        .max_by_key(|p| p.metadata().and_then(|m| m.modified()).ok())
        .context("no compiled build script of botpress (build it first)")
}

/// Runs the build script `rounds` times as cargo would (cwd = workspace root, `OUT_DIR` set):
/// the seconds of each run, and the size of the generated client.
pub(super) fn codegen(env: &Env, rounds: usize) -> Result<(Vec<f64>, Value)> {
    let script = build_script(env)?;
    let out_dir = env.target_dir.join("bench").join("codegen-out");
    fs::create_dir_all(&out_dir)?;
    let mut runs = Vec::new();
    for _ in 0..rounds.max(1) {
        let started = Instant::now();
        let status = Command::new(&script)
            .env("OUT_DIR", &out_dir)
            .current_dir(&env.root)
            .stdout(Stdio::null())
            .status()
            .with_context(|| format!("running {}", script.display()))?;
        if !status.success() {
            bail!("{} failed ({status})", script.display());
        }
        runs.push(started.elapsed().as_secs_f64());
    }
    let mut generated = serde_json::Map::new();
    for entry in fs::read_dir(&out_dir)?.filter_map(|e| e.ok()) {
        let text = fs::read_to_string(entry.path()).unwrap_or_default();
        generated.insert(
            entry.file_name().to_string_lossy().into_owned(),
            json!({ "bytes": text.len(), "lines": text.lines().count() }),
        );
    }
    Ok((runs, Value::Object(generated)))
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs.get(xs.len() / 2).copied().unwrap_or(f64::NAN)
}

/// The table rows and JSON of the codegen-alone figure.
fn codegen_rows(env: &Env, rounds: usize, table: &mut Table) -> Result<Value> {
    let (runs, generated) = codegen(env, rounds)?;
    let lines: u64 = generated
        .as_object()
        .map(|m| m.values().filter_map(|v| v["lines"].as_u64()).sum())
        .unwrap_or(0);
    table.row(vec![
        format!(
            "code generation alone (build script run directly; {} lines generated)",
            count(lines as f64)
        ),
        figure(median(runs.clone())),
    ]);
    Ok(json!({ "runs_s": runs, "generated": generated }))
}

/// `cargo xtask bench --codegen`: the code generation time alone.
pub(super) fn run_codegen_only(env: &Env, timing: &Timing) -> Result<Section> {
    if build_script(env).is_err() {
        eprintln!(
            "bench: building botpress once in {}",
            build_dir(env).display()
        );
        build(env)?;
    }
    let mut table = Table::new("Code generation", &["step", "seconds"]);
    let data = codegen_rows(env, timing.rounds.max(3), &mut table)?;
    Ok(Section {
        name: "codegen",
        tables: vec![table],
        targets: Vec::new(),
        data,
        notes: Vec::new(),
    })
}

/// Runs the section.
pub(super) fn run(env: &Env, timing: &Timing) -> Result<Section> {
    let dir = build_dir(env);
    let cold = !dir.join("debug").exists();
    let mut table = Table::new("Build times (dev profile)", &["build", "seconds"]);
    let mut data = serde_json::Map::new();
    let mut notes = Vec::new();

    eprintln!(
        "bench: build, dependencies ({}) in {}",
        if cold { "cold" } else { "warm" },
        dir.display()
    );
    let first = build(env)?;
    if cold {
        table.row(vec![
            "cold: botpress and all its dependencies".into(),
            figure(first.as_secs_f64()),
        ]);
        data.insert("cold_s".into(), json!(first.as_secs_f64()));
        let heaviest: Vec<Value> = unit_durations(&timing_units(env)?)
            .into_iter()
            .take(10)
            .map(|(unit, s)| json!({ "unit": unit, "seconds": s }))
            .collect();
        notes.push(format!(
            "build: heaviest units of the cold build: {}",
            heaviest
                .iter()
                .map(|u| format!(
                    "{} {} s",
                    u["unit"].as_str().unwrap_or("?"),
                    figure(u["seconds"].as_f64().unwrap_or(0.0))
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        data.insert("cold_heaviest_units".into(), Value::Array(heaviest));
    }

    eprintln!("bench: build, clean build of botpress");
    cargo_in(env, &["clean", "--quiet", "-p", "botpress"])?;
    let clean = build(env)?.as_secs_f64();
    table.row(vec![
        "clean build of botpress (dependencies built)".into(),
        figure(clean),
    ]);
    let units: Vec<(String, f64)> = unit_durations(&timing_units(env)?);
    for (unit, s) in &units {
        table.row(vec![format!("  of which {unit}"), figure(*s)]);
    }
    data.insert("clean_s".into(), json!(clean));
    data.insert(
        "clean_units".into(),
        json!(
            units
                .iter()
                .map(|(u, s)| json!({ "unit": u, "seconds": s }))
                .collect::<Vec<_>>()
        ),
    );

    eprintln!("bench: build, incremental rebuild after a one-line edit of {DOCUMENT}");
    let incremental = {
        let _edit = DocumentEdit::apply(
            &env.root,
            env.target_dir.join("bench").join("botpress.yaml.orig"),
        )?;
        build(env)?.as_secs_f64()
    };
    let inc_units = unit_durations(&timing_units(env)?);
    table.row(vec![
        "incremental: one-line edit of the document".into(),
        figure(incremental),
    ]);
    for (unit, s) in &inc_units {
        table.row(vec![format!("  of which {unit}"), figure(*s)]);
    }
    data.insert("incremental_s".into(), json!(incremental));
    data.insert(
        "incremental_units".into(),
        json!(
            inc_units
                .iter()
                .map(|(u, s)| json!({ "unit": u, "seconds": s }))
                .collect::<Vec<_>>()
        ),
    );
    // The restored document has its old mtime again: nothing is stale, this is a no-op build.
    let noop = build(env)?.as_secs_f64();
    table.row(vec![
        "no-op build after restoring the document".into(),
        figure(noop),
    ]);
    data.insert("noop_after_restore_s".into(), json!(noop));

    eprintln!("bench: build, code generation alone");
    data.insert(
        "codegen".into(),
        codegen_rows(env, timing.rounds, &mut table)?,
    );

    let targets = vec![
        Target::at_most("build: clean build of botpress", clean, 60.0, " s"),
        Target::at_most(
            "build: incremental rebuild after a document edit",
            incremental,
            6.0,
            " s",
        ),
    ];
    Ok(Section {
        name: "build",
        tables: vec![table],
        targets,
        data: Value::Object(data),
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_edit_appends_a_word_to_a_schema_description_and_restores_bytes_and_mtime() {
        let root = std::env::temp_dir().join(format!("bench-doc-edit-{}", std::process::id()));
        fs::create_dir_all(root.join("openapi")).unwrap();
        let original = "paths:\n  /x:\n    get:\n      description: Op.\ncomponents:\n  schemas:\n    A:\n      description: |\n        block\n    B:\n      description: 'quoted'\n    C:\n      description: Folded\n        on.\n    D:\n      description: One line.\n      type: string\n";
        let path = root.join(DOCUMENT);
        fs::write(&path, original).unwrap();
        let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(old)
            .unwrap();
        let backup = root.join("backup.yaml");
        {
            let _edit = DocumentEdit::apply(&root, backup.clone()).unwrap();
            let edited = fs::read_to_string(&path).unwrap();
            assert_eq!(
                edited,
                original.replace("One line.\n", "One line. Edited.\n")
            );
            assert_eq!(fs::read_to_string(&backup).unwrap(), original);
        }
        assert_eq!(fs::read_to_string(&path).unwrap(), original);
        assert_eq!(fs::metadata(&path).unwrap().modified().unwrap(), old);
        assert!(!backup.exists(), "the backup is removed once restored");
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn unit_durations_name_build_script_runs_and_sort_longest_first() {
        let units: Vec<Value> = serde_json::from_str(
            r#"[{"name":"botpress","target":"","mode":"todo","duration":21.5},
                {"name":"botpress","target":" build-script","mode":"todo","duration":3.25},
                {"name":"botpress","target":"","mode":"run-custom-build","duration":4.0},
                {"name":"serde","target":"","mode":"todo","duration":0.0}]"#,
        )
        .unwrap();
        assert_eq!(
            unit_durations(&units),
            vec![
                ("botpress".to_string(), 21.5),
                ("botpress (build script run)".to_string(), 4.0),
                ("botpress (build-script)".to_string(), 3.25),
            ]
        );
    }
}
