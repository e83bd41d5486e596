//! Files (`/v1/files`): records keyed by `key`, contents uploaded with a bare `PUT` to the
//! `uploadUrl` the emulator serves itself (see `crate::content`), tags, metadata, copies and
//! expiry. Indexing happens on upload: text contents are split into passages.

use std::collections::BTreeSet;

use botpress::types;
use chrono::{Duration, Utc};
use serde_json::{Map, Value, json};

use super::{
    Req,
    common::{list_response, order_from_query, paged},
    passages, string_map,
};
use crate::{
    content,
    db::{Docs, Secrets},
    error::ApiError,
    ids,
    pages::Selection,
    query::file_tags_match,
};

/// Storage kind of files (parent: the key).
pub const KIND: &str = "file";

/// Files above this size cannot be indexed (95 MB).
const MAX_INDEXED_SIZE: i64 = 95 * 1024 * 1024;

/// Longest accepted `expiresAt` distance.
const MAX_EXPIRY_DAYS: i64 = 90;

/// Internal field: the upload must carry `x-amz-tagging: public=true`.
pub const PUBLIC_IMMEDIATE: &str = "_publicContentImmediatelyAccessible";

/// The content type implied by a key's extension.
pub fn content_type_for(key: &str) -> &'static str {
    let ext = key
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "txt" | "text" | "log" => "text/plain",
        "md" | "markdown" => "text/markdown",
        "html" | "htm" => "text/html",
        "css" => "text/css",
        "csv" => "text/csv",
        "js" | "mjs" => "text/javascript",
        "json" => "application/json",
        "xml" => "application/xml",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "gz" => "application/gzip",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        "mp4" => "video/mp4",
        _ => "application/octet-stream",
    }
}

/// Whether a stored file has expired (it is then deleted).
fn expired(docs: &Docs<'_>, doc: &Value) -> Result<bool, ApiError> {
    let gone = doc["expiresAt"]
        .as_str()
        .and_then(ids::parse_time)
        .is_some_and(|t| t <= ids::now_utc());
    if gone && docs.writable() {
        remove(docs, doc["id"].as_str().unwrap_or_default())?;
    }
    Ok(gone)
}

/// A live file by id, or by key.
pub fn find(docs: &Docs<'_>, id_or_key: &str) -> Result<Value, ApiError> {
    let doc = match docs.get(KIND, id_or_key)? {
        Some(doc) => Some(doc),
        None => docs.children(KIND, id_or_key)?.into_iter().next(),
    };
    match doc {
        Some(doc) if !expired(docs, &doc)? => Ok(doc),
        _ => Err(ApiError::not_found(format!(
            "File {id_or_key} doesn't exist"
        ))),
    }
}

/// A file as answered: internal fields dropped, `url` pointing at the emulator.
pub fn output(docs: &Docs<'_>, req_base: &str, mut doc: Value) -> Result<Value, ApiError> {
    let id = doc["id"].as_str().unwrap_or_default().to_string();
    // The secret only: a listed file's content is not read.
    let secret = docs.secrets(&id)?.map(|s| s.download).unwrap_or_default();
    doc["url"] = json!(content::download_url(req_base, docs.bot_id(), &id, &secret));
    if let Some(o) = doc.as_object_mut() {
        o.retain(|k, _| !k.starts_with('_'));
    }
    Ok(doc)
}

fn remove(docs: &Docs<'_>, id: &str) -> Result<(), ApiError> {
    docs.delete(KIND, id)?;
    docs.delete_blob(id)?;
    docs.delete_children(passages::KIND, id)
}

fn owner(req: &Req) -> Value {
    match (&req.integration_id, &req.integration_name, &req.user_id) {
        (_, _, Some(user)) => json!({ "type": "user", "id": user }),
        (Some(_), name, None) => {
            json!({ "type": "integration", "name": name.clone().unwrap_or_default() })
        }
        _ => json!({ "type": "bot", "id": req.bot_id }),
    }
}

fn check_expiry(at: chrono::DateTime<Utc>) -> Result<String, ApiError> {
    let now = ids::now_utc();
    if at <= now {
        return Err(ApiError::invalid_payload(
            "body.expiresAt: must be in the future",
        ));
    }
    if at > now + Duration::days(MAX_EXPIRY_DAYS) {
        return Err(ApiError::invalid_payload(format!(
            "body.expiresAt: cannot be more than {MAX_EXPIRY_DAYS} days from now"
        )));
    }
    Ok(ids::timestamp(at))
}

/// `upsertFile`: creates the record (or resets the one with this key, erasing its content)
/// in `upload_pending` and answers the `uploadUrl`.
pub fn upsert(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let b: types::UpsertFileBody = req.body()?;
    if b.key.is_empty() {
        return Err(ApiError::invalid_payload("body.key: must not be empty"));
    }
    if b.size < 0 {
        return Err(ApiError::invalid_payload("body.size: must not be negative"));
    }
    let index = b.index.unwrap_or(false);
    if index && b.size > MAX_INDEXED_SIZE {
        return Err(ApiError::invalid_payload(
            "body.index: files larger than 95 MB cannot be indexed",
        ));
    }
    let expires_at = b.expires_at.map(check_expiry).transpose()?;
    let now = ids::now();
    let existing = docs.children(KIND, &b.key)?.into_iter().next();
    let (id, created_at) = match &existing {
        Some(doc) => (
            doc["id"].as_str().unwrap_or_default().to_string(),
            doc["createdAt"].clone(),
        ),
        None => (ids::new_id("file_"), json!(now)),
    };
    let mut doc = json!({
        "id": id,
        "botId": req.bot_id,
        "key": b.key,
        "url": "",
        "size": b.size,
        "contentType": b.content_type.clone().unwrap_or_else(|| content_type_for(&b.key).to_string()),
        "tags": b.tags.as_ref().map_or_else(|| json!({}), string_map),
        "metadata": b.metadata.clone().filter(Value::is_object).unwrap_or_else(|| json!({})),
        "createdAt": created_at,
        "updatedAt": now,
        "accessPolicies": b.access_policies.iter().flatten().map(|p| p.to_string()).collect::<Vec<_>>(),
        "index": index,
        "status": "upload_pending",
        "owner": owner(req),
    });
    if let Some(at) = expires_at {
        doc["expiresAt"] = json!(at);
    }
    if let Some(indexing) = &b.indexing {
        doc["metadata"]["indexing"] = json!(indexing);
    }
    if b.public_content_immediately_accessible == Some(true) {
        doc[PUBLIC_IMMEDIATE] = json!(true);
    }
    let secrets = Secrets::new();
    if existing.is_some() {
        docs.update(KIND, &id, &doc)?;
        docs.delete_children(passages::KIND, &id)?;
    } else {
        docs.insert(KIND, &id, Some(&b.key), &doc)?;
    }
    docs.put_blob(&id, &secrets, None)?;
    let mut file = output(docs, &req.base_url, doc)?;
    file["uploadUrl"] = json!(content::upload_url(
        &req.base_url,
        &req.bot_id,
        &id,
        &secrets.upload
    ));
    Ok(json!({ "file": file }))
}

/// Stores `bytes` as the content of file `id` and moves its status on: `upload_completed`,
/// or for an indexed file straight to `indexing_completed` (text split into passages) or
/// `indexing_failed` (not text).
pub fn complete_upload(docs: &Docs<'_>, id: &str, bytes: &[u8]) -> Result<(), ApiError> {
    let mut doc = docs
        .get(KIND, id)?
        .ok_or_else(|| ApiError::not_found(format!("File {id} doesn't exist")))?;
    docs.set_blob_content(id, bytes)?;
    doc["size"] = json!(bytes.len());
    doc["updatedAt"] = json!(ids::now());
    doc["status"] = json!("upload_completed");
    if let Some(o) = doc.as_object_mut() {
        o.remove("failedStatusReason");
    }
    if doc["index"] == true {
        docs.delete_children(passages::KIND, id)?;
        match std::str::from_utf8(bytes) {
            Ok(text) => {
                passages::store_text(docs, id, text)?;
                doc["status"] = json!("indexing_completed");
            }
            Err(_) => {
                doc["status"] = json!("indexing_failed");
                doc["failedStatusReason"] = json!("The emulator indexes UTF-8 text contents only");
            }
        }
    }
    docs.update(KIND, id, &doc)
}

/// `getFile` (id or key).
pub fn get(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let doc = find(docs, req.path("id"))?;
    Ok(json!({ "file": output(docs, &req.base_url, doc)? }))
}

/// `listFiles`: tag filters (values, OR lists, `not`), ids, `indexed`, sorting.
pub fn list(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let ids_filter: Option<Vec<&str>> = req
        .query
        .get("ids")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect());
    let indexed = req.query.get("indexed").and_then(Value::as_bool);
    let fits = |f: &Value| {
        file_tags_match(&f["tags"], req.query.get("tags"))
            && ids_filter
                .as_ref()
                .is_none_or(|ids| ids.iter().any(|i| f["id"] == *i))
            && indexed.is_none_or(|i| f["index"] == i)
    };
    if let Some(order) = order_from_query(req) {
        // By a timestamp: keyset pages from its index.
        return paged("files", docs, &Selection::of(KIND), order, req, |f| {
            if expired(docs, &f)? || !fits(&f) {
                return Ok(None);
            }
            output(docs, &req.base_url, f).map(Some)
        });
    }
    // By key, size or status: every file, sorted here.
    let mut out = Vec::new();
    for f in docs.list(KIND)? {
        if !expired(docs, &f)? && fits(&f) {
            out.push(f);
        }
    }
    let field = req
        .query_str("sortField")
        .unwrap_or("createdAt")
        .to_string();
    let descending = req.query_str("sortDirection").unwrap_or("desc") == "desc";
    if descending {
        // Ties in reverse creation order (see `sort_by_field`).
        out.reverse();
    }
    out.sort_by(|a, b| {
        let ord = match field.as_str() {
            "size" => a["size"].as_i64().cmp(&b["size"].as_i64()),
            f => a[f]
                .as_str()
                .unwrap_or_default()
                .cmp(b[f].as_str().unwrap_or_default()),
        };
        if descending { ord.reverse() } else { ord }
    });
    let out = out
        .into_iter()
        .map(|f| output(docs, &req.base_url, f))
        .collect::<Result<Vec<_>, _>>()?;
    list_response("files", out, req)
}

/// Merges `update` into `doc[field]`: `null` values delete keys.
fn merge_nullable(doc: &mut Value, field: &str, update: &Map<String, Value>) {
    if !doc[field].is_object() {
        doc[field] = json!({});
    }
    let map = doc[field].as_object_mut().expect("object");
    for (k, v) in update {
        if v.is_null() {
            map.remove(k);
        } else {
            map.insert(k.clone(), v.clone());
        }
    }
}

/// `updateFileMetadata`: tags and metadata merge (`null` deletes a key), access policies
/// replaced, `expiresAt: null` removes the expiry.
pub fn update_metadata(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let b: types::UpdateFileMetadataBody = req.body()?;
    let mut doc = find(docs, req.path("id"))?;
    let tags: Map<String, Value> = b
        .tags
        .iter()
        .flatten()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    merge_nullable(&mut doc, "tags", &tags);
    match &b.metadata {
        Some(Value::Object(m)) => merge_nullable(&mut doc, "metadata", m),
        Some(Value::Null) | None => {}
        Some(_) => {
            return Err(ApiError::invalid_payload(
                "body.metadata: must be an object",
            ));
        }
    }
    if req.has_field("accessPolicies") {
        doc["accessPolicies"] = json!(
            b.access_policies
                .iter()
                .flatten()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
        );
    }
    match req
        .tri_state("expiresAt")
        .map(|_| b.expires_at.as_ref().and_then(|e| e.as_option().copied()))
    {
        Some(Some(at)) => doc["expiresAt"] = json!(check_expiry(at)?),
        Some(None) => {
            doc.as_object_mut().map(|o| o.remove("expiresAt"));
        }
        None => {}
    }
    doc["updatedAt"] = json!(ids::now());
    docs.update(KIND, doc["id"].as_str().unwrap_or_default(), &doc)?;
    Ok(json!({ "file": output(docs, &req.base_url, doc)? }))
}

/// `deleteFile` (id or key): the record, its content and its passages.
pub fn delete(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let doc = find(docs, req.path("id"))?;
    remove(docs, doc["id"].as_str().unwrap_or_default())?;
    Ok(json!({}))
}

/// `copyFile`: to `destinationKey` in this bot or in `x-destination-bot-id`; an existing
/// destination is replaced only with `overwrite: true` (else `409 AlreadyExists`). Everything
/// the copy needs (record, content, passages) is read before the destination is replaced, so a
/// copy onto the source's own key replaces the file with a copy of itself.
pub fn copy(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let b: types::CopyFileBody = req.body()?;
    let source = find(docs, req.path("idOrKey"))?;
    let source_id = source["id"].as_str().unwrap_or_default().to_string();
    let content = docs.blob(&source_id)?.and_then(|b| b.content);
    let passages = docs.children(passages::KIND, &source_id)?;
    let dest_bot = req
        .destination_bot_id
        .clone()
        .unwrap_or_else(|| req.bot_id.clone());
    let dest = docs.for_bot(&dest_bot);
    let key = req.path("destinationKey");
    if let Some(existing) = dest.children(KIND, key)?.into_iter().next() {
        if b.overwrite != Some(true) {
            return Err(ApiError::already_exists(format!(
                "A file with key {key} already exists"
            )));
        }
        remove(&dest, existing["id"].as_str().unwrap_or_default())?;
    }
    let now = ids::now();
    let id = ids::new_id("file_");
    let mut doc = source;
    doc["id"] = json!(id);
    doc["key"] = json!(key);
    doc["botId"] = json!(dest_bot);
    doc["createdAt"] = json!(now);
    doc["updatedAt"] = json!(now);
    dest.insert(KIND, &id, Some(key), &doc)?;
    dest.put_blob(&id, &Secrets::new(), content.as_deref())?;
    for mut p in passages {
        let pid = ids::new_id("psg_");
        p["id"] = json!(pid);
        dest.insert(passages::KIND, &pid, Some(&id), &p)?;
    }
    Ok(json!({ "file": output(&dest, &req.base_url, doc)? }))
}

/// `listFileTags`: the distinct tag keys of the bot's files.
pub fn list_tags(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let keys: BTreeSet<String> = docs
        .list(KIND)?
        .iter()
        .flat_map(|f| {
            f["tags"]
                .as_object()
                .map(|t| t.keys().cloned().collect::<Vec<_>>())
                .unwrap_or_default()
        })
        .collect();
    list_response("tags", keys.into_iter().map(Value::String).collect(), req)
}

/// `listFileTagValues`: the distinct values of one tag.
pub fn list_tag_values(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let tag = req.path("tag");
    let values: BTreeSet<String> = docs
        .list(KIND)?
        .iter()
        .filter_map(|f| f["tags"].get(tag).and_then(Value::as_str).map(String::from))
        .collect();
    list_response(
        "values",
        values.into_iter().map(Value::String).collect(),
        req,
    )
}

/// Stores `bytes` under `key` as a completed file (used by table exports); its id.
pub fn store_bytes(
    docs: &Docs<'_>,
    key: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> Result<String, ApiError> {
    if let Some(existing) = docs.children(KIND, key)?.into_iter().next() {
        remove(docs, existing["id"].as_str().unwrap_or_default())?;
    }
    let now = ids::now();
    let id = ids::new_id("file_");
    let doc = json!({
        "id": id, "botId": docs.bot_id(), "key": key, "url": "", "size": bytes.len(), "contentType": content_type,
        "tags": {}, "metadata": {}, "createdAt": now, "updatedAt": now, "accessPolicies": [], "index": false,
        "status": "upload_completed", "owner": { "type": "bot", "id": docs.bot_id() },
    });
    docs.insert(KIND, &id, Some(key), &doc)?;
    docs.put_blob(&id, &Secrets::new(), Some(&bytes))?;
    Ok(id)
}

/// The uploaded content of a file (by id or key); `404` when missing or not uploaded yet.
pub fn read_bytes(docs: &Docs<'_>, id_or_key: &str) -> Result<Vec<u8>, ApiError> {
    let doc = find(docs, id_or_key)?;
    docs.blob(doc["id"].as_str().unwrap_or_default())?
        .and_then(|b| b.content)
        .ok_or_else(|| ApiError::not_found(format!("File {id_or_key} has no uploaded content")))
}
