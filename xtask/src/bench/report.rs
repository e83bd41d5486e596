//! What a benchmark run produces: markdown tables on stdout (ready to paste into the README),
//! the targets with pass/short for each (never a failure), and `target/bench/latest.json`.

use std::{fmt::Write as _, path::Path, process::Command};

use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::{Value, json};

/// A table of figures.
pub(super) struct Table {
    /// Shown above the table.
    pub title: String,
    /// Column names.
    pub header: Vec<String>,
    /// Cells, already formatted.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// An empty table with these columns.
    pub(super) fn new(title: &str, header: &[&str]) -> Self {
        Self {
            title: title.into(),
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row.
    pub(super) fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table as aligned markdown.
    pub(super) fn markdown(&self) -> String {
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                if i < widths.len() {
                    widths[i] = widths[i].max(cell.chars().count());
                }
            }
        }
        let line = |cells: &[String]| {
            let mut out = String::from("|");
            for (i, w) in widths.iter().enumerate() {
                let cell = cells.get(i).map(String::as_str).unwrap_or("");
                let pad = w - cell.chars().count();
                // Figures right-aligned, words left-aligned.
                if i > 0 && cell.starts_with(|c: char| c.is_ascii_digit()) {
                    let _ = write!(out, " {}{cell} |", " ".repeat(pad));
                } else {
                    let _ = write!(out, " {cell}{} |", " ".repeat(pad));
                }
            }
            out
        };
        let mut out = format!("### {}\n\n{}\n|", self.title, line(&self.header));
        for w in &widths {
            let _ = write!(out, "{}|", "-".repeat(w + 2));
        }
        out.push('\n');
        for row in &self.rows {
            out.push_str(&line(row));
            out.push('\n');
        }
        out
    }
}

/// Whether a target was met.
#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "snake_case")]
pub(super) enum Status {
    /// Met.
    Pass,
    /// Measured and missed.
    Short,
    /// Not measured: why.
    NotMeasured(String),
}

/// One of the targets and how this run fared.
#[derive(Serialize, Clone, Debug)]
pub(super) struct Target {
    /// What is measured, e.g. "SDK / raw reqwest throughput, sequential".
    pub name: String,
    /// The goal, e.g. "≥ 0.9×".
    pub goal: String,
    /// The measured figure, formatted.
    pub measured: String,
    /// Pass, short or not measured.
    pub status: Status,
}

impl Target {
    /// A target `measured ≥ goal`.
    pub(super) fn at_least(name: &str, measured: f64, goal: f64, unit: &str) -> Self {
        Self {
            name: name.into(),
            goal: format!("≥ {}{unit}", goal_figure(goal)),
            measured: format!("{}{unit}", figure(measured)),
            status: if measured >= goal {
                Status::Pass
            } else {
                Status::Short
            },
        }
    }

    /// A target `measured ≤ goal`.
    pub(super) fn at_most(name: &str, measured: f64, goal: f64, unit: &str) -> Self {
        Self {
            name: name.into(),
            goal: format!("≤ {}{unit}", goal_figure(goal)),
            measured: format!("{}{unit}", figure(measured)),
            status: if measured <= goal {
                Status::Pass
            } else {
                Status::Short
            },
        }
    }

    /// A target this run could not measure.
    pub(super) fn not_measured(name: &str, goal: &str, reason: &str) -> Self {
        Self {
            name: name.into(),
            goal: goal.into(),
            measured: "—".into(),
            status: Status::NotMeasured(reason.into()),
        }
    }
}

/// What one section of the benchmark produced.
pub(super) struct Section {
    /// Key in the JSON file.
    pub name: &'static str,
    /// Tables to print.
    pub tables: Vec<Table>,
    /// Targets judged.
    pub targets: Vec<Target>,
    /// Everything measured, for the JSON file.
    pub data: Value,
    /// Remarks printed under the tables.
    pub notes: Vec<String>,
}

/// A figure with 3 significant digits (no exponent).
pub(super) fn figure(x: f64) -> String {
    if !x.is_finite() {
        return "—".into();
    }
    let a = x.abs();
    if a >= 100.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else if a >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}

/// A goal as written in the issue: `0.9`, `6`, `60` (no padding zeros).
fn goal_figure(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Thousands separated with commas, for counts and rates.
pub(super) fn count(x: f64) -> String {
    let n = x.round() as i64;
    let digits = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// The machine the figures come from.
pub(super) fn machine() -> Value {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let meminfo = read("/proc/meminfo");
    let mem_gib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kib| kib / 1024.0 / 1024.0);
    let cpu = read("/proc/cpuinfo")
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string());
    let version = |program: &str| {
        Command::new(program)
            .arg(if program == "rustc" {
                "-V"
            } else {
                "--version"
            })
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    json!({
        "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "cpu_model": cpu,
        "memory_gib": mem_gib.map(|g| (g * 10.0).round() / 10.0),
        "kernel": read("/proc/sys/kernel/osrelease").trim(),
        "rustc": version("rustc"),
        "node": version("node"),
    })
}

/// Prints every section and the targets, and writes the JSON file.
pub(super) fn finish(sections: &[Section], quick: bool, json_path: &Path) -> Result<()> {
    let machine = machine();
    println!(
        "\n## botpress SDK benchmarks{}\n\nMachine: {} CPUs ({}), {} GiB RAM, Linux {}, {}, node {}.\n",
        if quick { " (--quick)" } else { "" },
        machine["cpus"],
        machine["cpu_model"].as_str().unwrap_or("unknown CPU"),
        machine["memory_gib"],
        machine["kernel"].as_str().unwrap_or("?"),
        machine["rustc"].as_str().unwrap_or("rustc ?"),
        machine["node"].as_str().unwrap_or("absent"),
    );
    for section in sections {
        for table in &section.tables {
            println!("{}", table.markdown());
        }
        for note in &section.notes {
            println!("- {note}");
        }
        if !section.notes.is_empty() {
            println!();
        }
    }
    let mut targets = Table::new("Targets", &["target", "goal", "measured", "status"]);
    let all: Vec<&Target> = sections.iter().flat_map(|s| &s.targets).collect();
    for t in &all {
        let status = match &t.status {
            Status::Pass => "pass".to_string(),
            Status::Short => "SHORT".to_string(),
            Status::NotMeasured(why) => format!("not measured: {why}"),
        };
        targets.row(vec![
            t.name.clone(),
            t.goal.clone(),
            t.measured.clone(),
            status,
        ]);
    }
    println!("{}", targets.markdown());
    let data: serde_json::Map<String, Value> = sections
        .iter()
        .map(|s| (s.name.to_string(), s.data.clone()))
        .collect();
    let document = json!({
        "generated_at_unix": std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        "quick": quick,
        "machine": machine,
        "sections": data,
        "targets": all,
    });
    if let Some(dir) = json_path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(json_path, serde_json::to_string_pretty(&document)? + "\n")
        .with_context(|| format!("writing {}", json_path.display()))?;
    println!("Written: {}", json_path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_table_aligns_words_left_and_figures_right() {
        let mut t = Table::new("T", &["client", "req/s"]);
        t.row(vec!["sdk".into(), count(25927.4)]);
        t.row(vec!["node".into(), count(773.0)]);
        assert_eq!(
            t.markdown(),
            "### T\n\n| client | req/s  |\n|--------|--------|\n| sdk    | 25,927 |\n| node   |    773 |\n"
        );
    }

    #[test]
    fn targets_judge_pass_and_short_and_keep_the_goal_as_written() {
        let pass = Target::at_least("a", 0.95, 0.9, "×");
        assert_eq!((pass.goal.as_str(), pass.status), ("≥ 0.9×", Status::Pass));
        let short = Target::at_most("b", 61.0, 60.0, " s");
        assert_eq!(
            (short.measured.as_str(), short.status),
            ("61.0 s", Status::Short)
        );
        assert_eq!(count(-1234567.0), "-1,234,567");
        assert_eq!(figure(0.5254), "0.525");
    }
}
