//! The operation inventory derived from the OpenAPI document: `openapi/OPERATIONS.md` (for
//! people) and `openapi/operations.json` (for tests and tools), both written by
//! `cargo xtask codegen`.
//!
//! Per operation: the API (its `Runtime`/`Files`/`Tables` tag), operationId, method, path,
//! success status, pagination (`cursor`: `nextToken` query parameter and `meta.nextToken`;
//! `offset`: `offset`/`limit` in the request and `hasMore` in the response, as `findTableRows`)
//! and the SDK method name (snake_case of the operationId).
//!
//! `operations.json` looks like:
//! ```json
//! { "document": "botpress.yaml",
//!   "counts": { "Runtime": 49, "Files": 15, "Tables": 17, "total": 81 },
//!   "operations": [ { "api": "Runtime", "operationId": "createConversation", "method": "POST",
//!                     "path": "/v1/chat/conversations", "successStatus": 201,
//!                     "pagination": null, "sdkMethod": "create_conversation" } ] }
//! ```

use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::Value;

use crate::{
    document::{Document, Operation, snake_case},
    rules::APIS,
};

/// How a list operation pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Pagination {
    /// `nextToken` query parameter, `meta.nextToken` in the response.
    Cursor,
    /// `offset`/`limit` in the request, `hasMore` in the response.
    Offset,
}

/// One row of the inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// `Runtime`, `Files` or `Tables`.
    pub api: String,
    /// The operationId.
    pub operation_id: String,
    /// Upper-case HTTP method.
    pub method: String,
    /// Path template.
    pub path: String,
    /// The 2xx status the operation declares.
    pub success_status: u16,
    /// How it pages, if it does.
    pub pagination: Option<Pagination>,
    /// The method of `botpress::Client`.
    pub sdk_method: String,
}

/// The whole inventory, grouped by API in [`APIS`] order, then by path (as the document's
/// `paths` map is read: sorted), then by method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inventory {
    /// File name of the source document.
    pub document: String,
    /// The rows.
    pub entries: Vec<Entry>,
}

impl Inventory {
    /// Builds the inventory of a document that passed [`crate::rules::validate`].
    pub fn of(doc: &Document) -> Result<Self> {
        let mut entries = Vec::new();
        for op in doc.operations() {
            let name = op.name();
            let api = op
                .tags()
                .into_iter()
                .find(|t| APIS.contains(t))
                .with_context(|| format!("operation {name}: no API tag"))?;
            let (status, _) = doc
                .success_schema(&op)?
                .with_context(|| format!("operation {name}: no 2xx JSON response"))?;
            entries.push(Entry {
                api: api.to_string(),
                operation_id: op
                    .id
                    .with_context(|| format!("operation {name}: no operationId"))?
                    .to_string(),
                method: op.method.to_uppercase(),
                path: op.path.to_string(),
                success_status: status
                    .parse()
                    .with_context(|| format!("operation {name}: status `{status}`"))?,
                pagination: pagination(doc, &op)?,
                sdk_method: snake_case(op.id.unwrap_or_default()),
            });
        }
        entries.sort_by_key(|e| APIS.iter().position(|a| *a == e.api));
        let document = doc
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Self { document, entries })
    }

    /// `(api, count)` in [`APIS`] order.
    pub fn counts(&self) -> Vec<(&'static str, usize)> {
        APIS.iter()
            .map(|api| (*api, self.entries.iter().filter(|e| e.api == *api).count()))
            .collect()
    }

    /// The text of `operations.json`.
    pub fn to_json(&self) -> Result<String> {
        let mut counts = serde_json::Map::new();
        for (api, n) in self.counts() {
            counts.insert(api.to_string(), n.into());
        }
        counts.insert("total".into(), self.entries.len().into());
        let value = serde_json::json!({
            "document": self.document,
            "counts": counts,
            "operations": self.entries,
        });
        Ok(serde_json::to_string_pretty(&value)? + "\n")
    }

    /// The text of `OPERATIONS.md`.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        out.push_str("# Operations\n\n");
        out.push_str(&format!(
            "<!-- Generated from {} by `cargo xtask codegen`; do not edit. `cargo xtask codegen --check` fails when stale. -->\n\n",
            self.document
        ));
        out.push_str(&format!(
            "Every operation of `openapi/{}`, by API. The SDK method is the operationId in snake_case \
             (`getOrCreateUser` → `client.get_or_create_user()`). Pagination: `cursor` pages by \
             `nextToken` (query) / `meta.nextToken` (response); `offset` pages by `offset`/`limit` \
             with `hasMore`. The same data is in `openapi/operations.json`.\n\n",
            self.document
        ));
        out.push_str("| API | operations | paginated |\n|---|---:|---:|\n");
        for (api, n) in self.counts() {
            let paged = self
                .entries
                .iter()
                .filter(|e| e.api == api && e.pagination.is_some())
                .count();
            out.push_str(&format!("| {api} | {n} | {paged} |\n"));
        }
        let paged = self
            .entries
            .iter()
            .filter(|e| e.pagination.is_some())
            .count();
        out.push_str(&format!(
            "| **total** | **{}** | **{paged}** |\n",
            self.entries.len()
        ));
        for (api, n) in self.counts() {
            out.push_str(&format!("\n## {api} ({n})\n\n"));
            out.push_str("| operationId | method | path | success | pagination | SDK method |\n|---|---|---|---|---|---|\n");
            for e in self.entries.iter().filter(|e| e.api == api) {
                let pagination = match e.pagination {
                    Some(Pagination::Cursor) => "cursor",
                    Some(Pagination::Offset) => "offset",
                    None => "—",
                };
                out.push_str(&format!(
                    "| {} | {} | `{}` | {} | {pagination} | `{}` |\n",
                    e.operation_id, e.method, e.path, e.success_status, e.sdk_method
                ));
            }
        }
        out
    }
}

fn pagination(doc: &Document, op: &Operation<'_>) -> Result<Option<Pagination>> {
    let mut inputs: Vec<String> = Vec::new();
    for p in &op.parameters {
        let (location, name, _) = doc.parameter(p)?;
        if location == "query" {
            inputs.push(name.to_string());
        }
    }
    if inputs.iter().any(|n| n == "nextToken") {
        return Ok(Some(Pagination::Cursor));
    }
    if let Some(body) = doc.request_schema(op)? {
        inputs.extend(property_names(doc.resolve(body)?));
    }
    let has_more = match doc.success_schema(op)? {
        Some((_, schema)) => property_names(doc.resolve(schema)?).any(|n| n == "hasMore"),
        None => false,
    };
    let offset = inputs.iter().any(|n| n == "offset") && inputs.iter().any(|n| n == "limit");
    Ok((offset && has_more).then_some(Pagination::Offset))
}

fn property_names(schema: &Value) -> impl Iterator<Item = String> + '_ {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|p| p.keys().cloned())
}
