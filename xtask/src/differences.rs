//! `openapi/DIFFERENCES.md`: the deliberate differences between our OpenAPI document and the
//! vendor export, written for people, with one machine-readable table that `spec-diff` reads.
//!
//! The table is the (only) markdown table whose header is `| operation | kind | item | reason |`:
//! - `operation`: an operationId, several separated by commas, or `*` for every operation;
//! - `kind`: one of [`Kind`]'s names (`parameter-missing`, `response-property-type`, ...);
//! - `item`: what differs as `spec-diff` names it (`header:x-bot-id`, `query:pageSize`,
//!   `conversation.messageCount`, `schedule.delay`, ...), several separated by commas, or `*`;
//! - `reason`: why the difference is deliberate (required).
//!
//! Backticks around names are ignored. An entry that explains no difference is *stale* and is
//! an error too, so the file stays true as both documents change.

use std::{collections::HashSet, fmt, path::Path};

use anyhow::{Context, Result, bail};

use crate::spec_diff::{Difference, Kind};

/// The header of the machine-readable table.
pub const HEADER: [&str; 4] = ["operation", "kind", "item", "reason"];

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// 1-based line number in the file.
    pub line: usize,
    /// operationIds, or `["*"]`.
    pub operations: Vec<String>,
    /// The kind of difference.
    pub kind: Kind,
    /// Items, or `["*"]`.
    pub items: Vec<String>,
    /// Why it is deliberate.
    pub reason: String,
}

impl Entry {
    /// Whether this entry explains `d`.
    pub fn explains(&self, d: &Difference) -> bool {
        self.kind == d.kind
            && matches(&self.operations, &d.operation)
            && matches(&self.items, &d.item)
    }
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "| {} | {} | {} |",
            self.operations.join(", "),
            self.kind,
            self.items.join(", ")
        )
    }
}

fn matches(patterns: &[String], value: &str) -> bool {
    patterns.iter().any(|p| p == "*" || p == value)
}

/// The table of a DIFFERENCES.md file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Differences {
    /// Its rows, in file order.
    pub entries: Vec<Entry>,
}

fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    inner.split('|').map(|c| c.trim().to_string()).collect()
}

fn names(cell: &str) -> Vec<String> {
    cell.split(',')
        .map(|n| n.trim().trim_matches('`').trim().to_string())
        .filter(|n| !n.is_empty())
        .collect()
}

impl Differences {
    /// Reads the table from `path`.
    pub fn load(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::parse(path, &text)
    }

    /// Parses the table out of `text` (the contents of `path`).
    pub fn parse(path: &Path, text: &str) -> Result<Self> {
        let shown = path.display();
        let lines: Vec<&str> = text.lines().collect();
        let headers: Vec<usize> = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| {
                l.trim_start().starts_with('|')
                    && cells(l).iter().map(|c| c.to_lowercase()).eq(HEADER)
            })
            .map(|(i, _)| i)
            .collect();
        let start = match headers.as_slice() {
            [one] => *one,
            [] => bail!("{shown}: no table with the header `| operation | kind | item | reason |`"),
            [_, second, ..] => bail!(
                "{shown}:{}: a second `| operation | kind | item | reason |` table; keep one",
                second + 1
            ),
        };
        let separator = lines.get(start + 1).copied().unwrap_or("");
        if !cells(separator)
            .iter()
            .all(|c| !c.is_empty() && c.chars().all(|ch| matches!(ch, '-' | ':')))
        {
            bail!(
                "{shown}:{}: expected the table's `|---|---|---|---|` line",
                start + 2
            );
        }
        let mut entries = Vec::new();
        for (i, line) in lines.iter().enumerate().skip(start + 2) {
            if !line.trim_start().starts_with('|') {
                break;
            }
            let number = i + 1;
            let row = cells(line);
            let [operation, kind, item, reason] = row.as_slice() else {
                bail!(
                    "{shown}:{number}: expected 4 cells (operation | kind | item | reason), found {}",
                    row.len()
                );
            };
            let kind: Kind = kind
                .trim_matches('`')
                .parse()
                .map_err(|e| anyhow::anyhow!("{shown}:{number}: {e}"))?;
            let operations = names(operation);
            let items = names(item);
            if operations.is_empty() || items.is_empty() {
                bail!(
                    "{shown}:{number}: the operation and item cells must not be empty (use `*` for any)"
                );
            }
            if reason.is_empty() {
                bail!("{shown}:{number}: every deliberate difference needs a reason");
            }
            entries.push(Entry {
                line: number,
                operations,
                kind,
                items,
                reason: reason.clone(),
            });
        }
        let mut seen = HashSet::new();
        for e in &entries {
            for op in &e.operations {
                for item in &e.items {
                    if !seen.insert((op.clone(), e.kind, item.clone())) {
                        bail!(
                            "{shown}:{}: `{op}` {} `{item}` is listed twice",
                            e.line,
                            e.kind
                        );
                    }
                }
            }
        }
        Ok(Self { entries })
    }

    /// The first entry explaining `d`.
    pub fn explain(&self, d: &Difference) -> Option<&Entry> {
        self.entries.iter().find(|e| e.explains(d))
    }

    /// `(entry, operation, item)` combinations of the table that explain none of `diffs`.
    pub fn stale<'a>(&'a self, diffs: &[Difference]) -> Vec<(&'a Entry, &'a str, &'a str)> {
        let mut out = Vec::new();
        for e in &self.entries {
            for op in &e.operations {
                for item in &e.items {
                    let used = diffs.iter().any(|d| {
                        d.kind == e.kind
                            && (op == "*" || *op == d.operation)
                            && (item == "*" || *item == d.item)
                    });
                    if !used {
                        out.push((e, op.as_str(), item.as_str()));
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Differences> {
        Differences::parse(Path::new("DIFFERENCES.md"), text)
    }

    const HEAD: &str = "# x\n\n| operation | kind | item | reason |\n|---|---|---|---|\n";

    #[test]
    fn reads_rows_with_lists_wildcards_and_backticks() {
        let d = parse(&format!(
            "{HEAD}| * | parameter-missing | `header:x-bot-id` | security scheme |\n| listUsers, listFiles | parameter-extra | query:pageSize | newer client |\n\nafter\n"
        ))
        .expect("parses");
        assert_eq!(d.entries.len(), 2);
        assert_eq!(d.entries[0].items, vec!["header:x-bot-id"]);
        assert_eq!(d.entries[0].line, 5);
        assert_eq!(d.entries[1].operations, vec!["listUsers", "listFiles"]);
        assert_eq!(d.entries[1].kind, Kind::ParameterExtra);
    }

    #[test]
    fn bad_tables_name_the_line() {
        let e = parse("no table here\n").unwrap_err().to_string();
        assert!(e.contains("DIFFERENCES.md: no table"), "{e}");
        let e = parse(&format!("{HEAD}| * | not-a-kind | x | r |\n"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("DIFFERENCES.md:5: unknown difference kind `not-a-kind`"),
            "{e}"
        );
        let e = parse(&format!("{HEAD}| * | path | x |\n"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("DIFFERENCES.md:5: expected 4 cells"), "{e}");
        let e = parse(&format!("{HEAD}| * | path | x | |\n"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("DIFFERENCES.md:5: every deliberate difference needs a reason"),
            "{e}"
        );
        let e = parse(&format!(
            "{HEAD}| a | path | x | r |\n| a, b | path | x | r |\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("DIFFERENCES.md:6: `a` path `x` is listed twice"),
            "{e}"
        );
    }
}
