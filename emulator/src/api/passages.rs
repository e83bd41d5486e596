//! File passages (`/v1/files/{id}/passages`) and a simple search over them (`searchFiles`):
//! a passage scores the share of the query's words it contains.

use std::collections::BTreeSet;

use botpress::types;
use serde_json::{Value, json};

use super::{Req, files};
use crate::{db::Docs, error::ApiError, ids, query, query::file_tags_match};

/// Storage kind of passages (parent: the file id).
pub const KIND: &str = "passage";

/// Default and largest `limit` of `listFilePassages`.
const PASSAGE_PAGE: (usize, usize) = (20, 200);

/// Default number of `searchFiles` results.
const SEARCH_LIMIT: usize = 20;

fn store(
    docs: &Docs<'_>,
    file_id: &str,
    position: usize,
    content: &str,
    subtype: &str,
    page: Option<i64>,
) -> Result<(), ApiError> {
    let id = ids::new_id("psg_");
    let mut meta = json!({ "type": "chunk", "subtype": subtype, "position": position });
    if let Some(p) = page {
        meta["pageNumber"] = json!(p);
    }
    docs.insert(
        KIND,
        &id,
        Some(file_id),
        &json!({ "id": id, "content": content, "meta": meta }),
    )
}

/// Indexes a text: one passage per paragraph (blank-line separated).
pub fn store_text(docs: &Docs<'_>, file_id: &str, text: &str) -> Result<(), ApiError> {
    let paragraphs = text.split("\n\n").map(str::trim).filter(|p| !p.is_empty());
    for (i, p) in paragraphs.enumerate() {
        store(docs, file_id, i, p, "paragraph", None)?;
    }
    Ok(())
}

/// `listFilePassages`: document order, `limit` (default 20, at most 200) or `pageSize`.
pub fn list(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let file = files::find(docs, req.path("id"))?;
    let mut q = req.query.clone();
    if let Some(limit) = q.get("limit").and_then(Value::as_i64) {
        if limit < 1 || limit as usize > PASSAGE_PAGE.1 {
            return Err(ApiError::invalid_payload(format!(
                "query.limit: must be between 1 and {}",
                PASSAGE_PAGE.1
            )));
        }
        q.insert("pageSize".into(), json!(limit));
    } else if !q.contains_key("pageSize") {
        q.insert("pageSize".into(), json!(PASSAGE_PAGE.0));
    }
    let items = docs.children(KIND, file["id"].as_str().unwrap_or_default())?;
    let (page, next) = query::page(items, &q, "pageSize")?;
    Ok(json!({ "passages": page, "meta": query::list_meta(next) }))
}

/// `setFilePassages`: replaces the passages; the file reads `indexing_completed`.
pub fn set(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let b: types::SetFilePassagesBody = req.body()?;
    let mut file = files::find(docs, req.path("id"))?;
    let id = file["id"].as_str().unwrap_or_default().to_string();
    docs.delete_children(KIND, &id)?;
    for (i, p) in b.passages.iter().enumerate() {
        let subtype = p
            .type_
            .as_ref()
            .map(|t| t.to_string())
            .unwrap_or_else(|| "paragraph".into());
        store(docs, &id, i, &p.content, &subtype, p.page_number)?;
    }
    file["status"] = json!("indexing_completed");
    file["updatedAt"] = json!(ids::now());
    docs.update(files::KIND, &id, &file)?;
    Ok(json!({}))
}

fn words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// `searchFiles`: passages of indexed files (tag filters apply), best score first.
pub fn search(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let wanted = words(req.query_str("query").unwrap_or_default());
    let limit = req
        .query
        .get("limit")
        .and_then(Value::as_u64)
        .map(|l| l as usize)
        .unwrap_or(SEARCH_LIMIT);
    let mut hits = Vec::new();
    for f in docs.list(files::KIND)? {
        if f["status"] != "indexing_completed"
            || !file_tags_match(&f["tags"], req.query.get("tags"))
        {
            continue;
        }
        let summary = json!({
            "id": f["id"], "key": f["key"], "contentType": f["contentType"], "metadata": f["metadata"],
            "tags": f["tags"], "createdAt": f["createdAt"], "updatedAt": f["updatedAt"],
        });
        for p in docs.children(KIND, f["id"].as_str().unwrap_or_default())? {
            let have = words(p["content"].as_str().unwrap_or_default());
            let matched = wanted.iter().filter(|w| have.contains(*w)).count();
            if matched > 0 {
                let score = matched as f64 / wanted.len() as f64;
                hits.push(json!({ "content": p["content"], "score": score, "meta": p["meta"], "file": summary }));
            }
        }
    }
    hits.sort_by(|a, b| {
        b["score"]
            .as_f64()
            .partial_cmp(&a["score"].as_f64())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    hits.truncate(limit);
    Ok(json!({ "passages": hits }))
}
