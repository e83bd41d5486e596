//! The operation inventory and the coverage gate of the conformance judges.
//!
//! The inventory is `openapi/operations.json` (written by `cargo xtask codegen`) when it
//! exists, else the operations of `openapi/botpress.yaml` with their first tag as API. A
//! judge reports which operations it exercised; [`Coverage::check`] prints the coverage per
//! API (Runtime/Files/Tables) and the judge's summary line (`covered/total`), and fails
//! naming every operation without a case.
use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::examples::Spec;

/// One operation of the inventory.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub id: String,
    /// `Runtime`, `Files` or `Tables`.
    pub api: String,
}

/// Every operation of our document, and where the list came from.
pub(crate) fn inventory() -> (Vec<Entry>, &'static str) {
    let json = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/operations.json");
    if let Ok(text) = std::fs::read_to_string(json) {
        let doc: Value = serde_json::from_str(&text).expect("operations.json is JSON");
        let entries = doc["operations"]
            .as_array()
            .expect("operations.json: operations[]")
            .iter()
            .map(|o| Entry {
                id: o["operationId"].as_str().expect("operationId").to_string(),
                api: o["api"].as_str().expect("api").to_string(),
            })
            .collect();
        return (entries, "openapi/operations.json");
    }
    let entries = Spec::load()
        .operations()
        .into_iter()
        .map(|o| Entry {
            id: o.id,
            api: o.tag,
        })
        .collect();
    (entries, "openapi/botpress.yaml")
}

/// What one judge covered, to be checked against the inventory.
pub(crate) struct Coverage<'a> {
    /// The judge's name in messages (`judge 1a: Prism, our document`).
    pub judge: &'a str,
    /// Operations of the inventory this judge cannot cover, with the reason (they count
    /// neither as covered nor in the total).
    pub out_of_scope: &'a [(&'a str, &'a str)],
}

impl Coverage<'_> {
    /// Prints the per-API coverage and the summary line; returns the summary line, or an
    /// error naming the operations without a case.
    pub(crate) fn check(&self, covered: &BTreeSet<String>) -> Result<String, String> {
        let (inventory, source) = inventory();
        let mut per_api: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        let mut missing = Vec::new();
        for entry in &inventory {
            if self.out_of_scope.iter().any(|(id, _)| *id == entry.id) {
                continue;
            }
            let slot = per_api.entry(entry.api.as_str()).or_default();
            slot.1 += 1;
            if covered.contains(&entry.id) {
                slot.0 += 1;
            } else {
                missing.push(format!("{} ({})", entry.id, entry.api));
            }
        }
        let unknown: Vec<_> = covered
            .iter()
            .filter(|id| !inventory.iter().any(|e| &e.id == *id))
            .collect();
        let (done, total) = per_api
            .values()
            .fold((0, 0), |(d, t), (cd, ct)| (d + cd, t + ct));
        let apis: Vec<String> = per_api
            .iter()
            .map(|(api, (d, t))| format!("{api} {d}/{t}"))
            .collect();
        let mut summary = format!(
            "{}: {done}/{total} operations covered ({}; inventory: {source})",
            self.judge,
            apis.join(", ")
        );
        for (id, why) in self.out_of_scope {
            summary.push_str(&format!("\n    not in scope: {id}: {why}"));
        }
        eprintln!("COVERAGE {summary}");
        if !missing.is_empty() || !unknown.is_empty() {
            return Err(format!(
                "{}: operations without a case: {missing:?}; cases for operations not in the inventory: {unknown:?}",
                self.judge
            ));
        }
        Ok(summary)
    }
}
