//! Knowledge bases (`/v1/files/knowledge-bases`).

use botpress::types;
use serde_json::{Map, Value, json};

use super::{
    Req,
    common::{get_or_404, list_response, sort_by_field},
    string_map,
};
use crate::{db::Docs, error::ApiError, ids, query::file_tags_match};

/// Storage kind of knowledge bases.
pub const KIND: &str = "knowledge_base";

fn summary(doc: &Value) -> Value {
    json!({ "id": doc["id"], "name": doc["name"], "tags": doc["tags"] })
}

/// `createKnowledgeBase`.
pub fn create(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let b: types::CreateKnowledgeBaseBody = req.body()?;
    if b.name.trim().is_empty() {
        return Err(ApiError::invalid_payload("body.name: must not be empty"));
    }
    let doc = json!({ "id": ids::new_id("kb_"), "name": b.name, "createdAt": ids::now(), "tags": string_map(&b.tags.unwrap_or_default()) });
    docs.insert(KIND, doc["id"].as_str().unwrap_or_default(), None, &doc)?;
    Ok(json!({ "knowledgeBase": summary(&doc) }))
}

/// `listKnowledgeBases`: most recent first, files-style tag filters.
pub fn list(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let mut out: Vec<Value> = docs
        .list(KIND)?
        .into_iter()
        .filter(|k| file_tags_match(&k["tags"], req.query.get("tags")))
        .collect();
    sort_by_field(&mut out, "createdAt", true);
    list_response("knowledgeBases", out, req)
}

/// `updateKnowledgeBase`: renames; tags merge (`null` deletes a tag).
pub fn update(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let b: types::UpdateKnowledgeBaseBody = req.body()?;
    let id = req.path("id");
    let mut doc = get_or_404(docs, KIND, "Knowledge base", id)?;
    doc["name"] = json!(b.name);
    let tags: &mut Map<String, Value> = match doc["tags"].as_object_mut() {
        Some(t) => t,
        None => return Err(ApiError::internal("stored knowledge base has no tags")),
    };
    for (k, v) in b.tags.iter().flatten() {
        match v.as_option() {
            Some(v) => tags.insert(k.clone(), json!(v)),
            None => tags.remove(k),
        };
    }
    docs.update(KIND, id, &doc)?;
    Ok(json!({ "knowledgeBase": summary(&doc) }))
}

/// `deleteKnowledgeBase`.
pub fn delete(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let id = req.path("id");
    get_or_404(docs, KIND, "Knowledge base", id)?;
    docs.delete(KIND, id)?;
    Ok(json!({}))
}
