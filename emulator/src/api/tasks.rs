//! Tasks (`/v1/chat/tasks`, in the vendor export only): created `pending`, updated freely.

use botpress::types;
use chrono::Duration;
use serde_json::{Value, json};

use super::{
    Req,
    common::{get_or_404, list_response, merge_map, require, sort_by_field},
    string_map,
};
use crate::{db::Docs, error::ApiError, ids, query::tags_match};

/// Storage kind of tasks.
pub const KIND: &str = "task";

/// `createTask`.
pub fn create(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let b: types::CreateTaskBody = req.body()?;
    require(
        docs,
        super::conversations::KIND,
        "Conversation",
        Some(&b.conversation_id),
    )?;
    require(docs, super::users::KIND, "User", b.user_id.as_deref())?;
    require(docs, KIND, "Task", b.parent_task_id.as_deref())?;
    let now = ids::now_utc();
    let timeout = b
        .timeout_at
        .unwrap_or(now + Duration::hours(super::workflows::DEFAULT_TIMEOUT_HOURS));
    let mut doc = json!({
        "id": ids::new_id("task_"),
        "title": b.title.unwrap_or_default(),
        "description": b.description.unwrap_or_default(),
        "type": b.type_,
        "data": b.data.unwrap_or_default(),
        "status": "pending",
        "conversationId": b.conversation_id,
        "timeoutAt": ids::timestamp(timeout),
        "createdAt": ids::timestamp(now),
        "updatedAt": ids::timestamp(now),
        "tags": string_map(&b.tags.unwrap_or_default()),
    });
    for (field, value) in [("parentTaskId", &b.parent_task_id), ("userId", &b.user_id)] {
        if let Some(v) = value {
            doc[field] = json!(v);
        }
    }
    docs.insert(KIND, doc["id"].as_str().unwrap_or_default(), None, &doc)?;
    Ok(json!({ "task": doc }))
}

/// `getTask`.
pub fn get(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    Ok(json!({ "task": get_or_404(docs, KIND, "Task", req.path("id"))? }))
}

/// `listTasks`: most recent first, filtered by tags, links, statuses and type.
pub fn list(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let statuses: Option<Vec<&str>> = req
        .query
        .get("status")
        .and_then(Value::as_array)
        .map(|s| s.iter().filter_map(Value::as_str).collect());
    let mut out: Vec<Value> = docs
        .list(KIND)?
        .into_iter()
        .filter(|t| {
            tags_match(&t["tags"], req.query.get("tags"))
                && ["conversationId", "userId", "parentTaskId", "type"]
                    .iter()
                    .all(|f| req.query_str(f).is_none_or(|v| t[*f] == v))
                && statuses
                    .as_ref()
                    .is_none_or(|s| s.iter().any(|st| t["status"] == *st))
        })
        .collect();
    sort_by_field(&mut out, "createdAt", true);
    list_response("tasks", out, req)
}

/// `updateTask`.
pub fn update(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let b: types::UpdateTaskBody = req.body()?;
    let id = req.path("id");
    let mut doc = get_or_404(docs, KIND, "Task", id)?;
    if let Some(title) = b.title {
        doc["title"] = json!(title);
    }
    if let Some(description) = b.description {
        doc["description"] = json!(description);
    }
    if req.has_field("data") {
        doc["data"] = json!(b.data.unwrap_or_default());
    }
    if let Some(t) = b.timeout_at {
        doc["timeoutAt"] = json!(ids::timestamp(t));
    }
    if let Some(status) = b.status {
        doc["status"] = json!(status.to_string());
    }
    merge_map(&mut doc, "tags", &b.tags.unwrap_or_default());
    doc["updatedAt"] = json!(ids::now());
    docs.update(KIND, id, &doc)?;
    Ok(json!({ "task": doc }))
}

/// `deleteTask`.
pub fn delete(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let id = req.path("id");
    get_or_404(docs, KIND, "Task", id)?;
    docs.delete(KIND, id)?;
    Ok(json!({}))
}
