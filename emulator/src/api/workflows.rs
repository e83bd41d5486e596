//! Workflows (`/v1/chat/workflows`) and their status machine.
//!
//! Active statuses: `pending`, `in_progress`, `listening`, `paused`; finished: `completed`,
//! `failed`, `timedout`, `cancelled`. A finished workflow's status cannot change; entering
//! `in_progress` needs an `eventId`; finishing sets `completedAt`; an active workflow whose
//! `timeoutAt` has passed reads as `timedout`.

use botpress::types;
use chrono::{Duration, Utc};
use serde_json::{Map, Value, json};

use super::{
    Req,
    common::{find_existing, get_or_404, merge_map, paged, require},
    string_map,
};
use crate::{
    db::Docs,
    error::ApiError,
    ids,
    pages::{Order, Selection},
    query::tags_match,
};

/// Storage kind of workflows.
pub const KIND: &str = "workflow";

/// Timeout given to a workflow created without `timeoutAt`.
pub const DEFAULT_TIMEOUT_HOURS: i64 = 24;

const FINISHED: &[&str] = &["completed", "failed", "timedout", "cancelled"];

fn is_finished(status: &str) -> bool {
    FINISHED.contains(&status)
}

/// Applies a lapsed timeout: the workflow is `timedout`, completed at its `timeoutAt` (the
/// same answer whenever it is read); stored by the next write.
fn refresh(docs: &Docs<'_>, mut doc: Value) -> Result<Value, ApiError> {
    let status = doc["status"].as_str().unwrap_or_default();
    let timeout_at = doc["timeoutAt"]
        .as_str()
        .filter(|t| ids::parse_time(t).is_some_and(|t| t <= ids::now_utc()))
        .map(String::from);
    if let Some(at) = timeout_at
        && !is_finished(status)
    {
        doc["status"] = json!("timedout");
        doc["completedAt"] = json!(at);
        doc["updatedAt"] = json!(at);
        if docs.writable() {
            docs.update(KIND, doc["id"].as_str().unwrap_or_default(), &doc)?;
        }
    }
    Ok(doc)
}

fn find(docs: &Docs<'_>, id: &str) -> Result<Value, ApiError> {
    refresh(docs, get_or_404(docs, KIND, "Workflow", id)?)
}

struct NewWorkflow<'a> {
    name: &'a str,
    status: String,
    input: &'a Map<String, Value>,
    parent: Option<&'a String>,
    conversation: Option<&'a String>,
    user: Option<&'a String>,
    timeout_at: Option<chrono::DateTime<Utc>>,
    tags: &'a std::collections::BTreeMap<String, String>,
    event_id: Option<&'a String>,
}

fn insert(docs: &Docs<'_>, w: NewWorkflow<'_>) -> Result<Value, ApiError> {
    if w.status == "in_progress" && w.event_id.is_none() {
        return Err(ApiError::invalid_payload(
            "body.eventId: required when the status is in_progress",
        ));
    }
    require(docs, KIND, "Workflow", w.parent.map(String::as_str))?;
    require(
        docs,
        super::conversations::KIND,
        "Conversation",
        w.conversation.map(String::as_str),
    )?;
    require(docs, super::users::KIND, "User", w.user.map(String::as_str))?;
    let now = ids::now_utc();
    let timeout = w
        .timeout_at
        .unwrap_or(now + Duration::hours(DEFAULT_TIMEOUT_HOURS));
    let mut doc = json!({
        "id": ids::new_id("wfl_"),
        "name": w.name,
        "status": w.status,
        "input": w.input,
        "output": {},
        "createdAt": ids::timestamp(now),
        "updatedAt": ids::timestamp(now),
        "timeoutAt": ids::timestamp(timeout),
        "tags": string_map(w.tags),
    });
    for (field, value) in [
        ("parentWorkflowId", w.parent),
        ("conversationId", w.conversation),
        ("userId", w.user),
    ] {
        if let Some(v) = value {
            doc[field] = json!(v);
        }
    }
    docs.insert(KIND, doc["id"].as_str().unwrap_or_default(), None, &doc)?;
    Ok(doc)
}

/// `createWorkflow`.
pub fn create(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let b: types::CreateWorkflowBody = req.body()?;
    let (input, tags) = (b.input.unwrap_or_default(), b.tags.unwrap_or_default());
    let doc = insert(
        docs,
        NewWorkflow {
            name: &b.name,
            status: b.status.to_string(),
            input: &input,
            parent: b.parent_workflow_id.as_ref(),
            conversation: b.conversation_id.as_ref(),
            user: b.user_id.as_ref(),
            timeout_at: b.timeout_at,
            tags: &tags,
            event_id: b.event_id.as_ref(),
        },
    )?;
    Ok(json!({ "workflow": doc }))
}

/// `getWorkflow`.
pub fn get(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    Ok(json!({ "workflow": find(docs, req.path("id"))? }))
}

/// `listWorkflows`: most recent first.
pub fn list(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let statuses: Option<Vec<&str>> = req
        .query
        .get("statuses")
        .and_then(Value::as_array)
        .map(|s| s.iter().filter_map(Value::as_str).collect());
    let tags = req.query.get("tags");
    let selection = Selection::of(KIND).tagged(tags);
    paged(
        "workflows",
        docs,
        &selection,
        Order::NEWEST_FIRST,
        req,
        |w| {
            let w = refresh(docs, w)?;
            let fits = tags_match(&w["tags"], tags)
                && ["conversationId", "userId", "parentWorkflowId", "name"]
                    .iter()
                    .all(|f| req.query_str(f).is_none_or(|v| w[*f] == v))
                && statuses
                    .as_ref()
                    .is_none_or(|s| s.iter().any(|st| w["status"] == *st));
            Ok(fits.then_some(w))
        },
    )
}

/// `updateWorkflow`: output replaced, tags merged, status moved along the machine.
pub fn update(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let b: types::UpdateWorkflowBody = req.body()?;
    let id = req.path("id");
    let mut doc = find(docs, id)?;
    let current = doc["status"].as_str().unwrap_or_default().to_string();
    let now = ids::now();
    if let Some(status) = &b.status {
        let next = status.to_string();
        if next != current {
            if is_finished(&current) {
                return Err(ApiError::invalid_payload(format!(
                    "body.status: workflow {id} is {current} and cannot move to {next}"
                )));
            }
            if next == "in_progress" && b.event_id.is_none() {
                return Err(ApiError::invalid_payload(
                    "body.eventId: required when the status is in_progress",
                ));
            }
            if is_finished(&next) {
                doc["completedAt"] = json!(now);
            }
            doc["status"] = json!(next);
        }
    }
    if let Some(reason) = &b.failure_reason {
        doc["failureReason"] = json!(reason);
    }
    if req.has_field("output") {
        doc["output"] = json!(b.output.unwrap_or_default());
    }
    if let Some(t) = b.timeout_at {
        doc["timeoutAt"] = json!(ids::timestamp(t));
    }
    if let Some(user) = &b.user_id {
        require(docs, super::users::KIND, "User", Some(user))?;
        doc["userId"] = json!(user);
    }
    merge_map(&mut doc, "tags", &b.tags.unwrap_or_default());
    doc["updatedAt"] = json!(now);
    docs.update(KIND, id, &doc)?;
    Ok(json!({ "workflow": doc }))
}

/// `deleteWorkflow`.
pub fn delete(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let id = req.path("id");
    find(docs, id)?;
    docs.delete(KIND, id)?;
    Ok(json!({}))
}

/// `getOrCreateWorkflow`: same name, conversation, user and parent, tags per the get-or-create
/// rule, and (with `discriminateByStatusGroup`) only `active` or only `finished` workflows.
pub fn get_or_create(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let b: types::GetOrCreateWorkflowBody = req.body()?;
    let tags = b.tags.unwrap_or_default();
    // Absent and an explicit `[]` both mean "no discriminators", as they did when the two
    // could not be told apart.
    let discriminate_by = b.discriminate_by_tags.as_deref().unwrap_or(&[]);
    let group = b
        .discriminate_by_status_group
        .as_ref()
        .map(|g| g.to_string());
    let same = |w: &Value, field: &str, v: &Option<String>| match v {
        Some(v) => w[field] == v.as_str(),
        None => w.get(field).is_none(),
    };
    let found = find_existing(docs, KIND, None, &tags, discriminate_by, |w| {
        let w = refresh(docs, w.clone())?;
        let finished = is_finished(w["status"].as_str().unwrap_or_default());
        let in_group = match group.as_deref() {
            Some("active") => !finished,
            Some("finished") => finished,
            _ => true,
        };
        Ok(w["name"] == b.name.as_str()
            && in_group
            && same(&w, "conversationId", &b.conversation_id)
            && same(&w, "userId", &b.user_id)
            && same(&w, "parentWorkflowId", &b.parent_workflow_id))
    })?;
    if let Some(w) = found {
        let w = refresh(docs, w)?;
        return Ok(json!({ "workflow": w, "meta": { "created": false } }));
    }
    let input = b.input.unwrap_or_default();
    let doc = insert(
        docs,
        NewWorkflow {
            name: &b.name,
            status: b.status.to_string(),
            input: &input,
            parent: b.parent_workflow_id.as_ref(),
            conversation: b.conversation_id.as_ref(),
            user: b.user_id.as_ref(),
            timeout_at: b.timeout_at,
            tags: &tags,
            event_id: b.event_id.as_ref(),
        },
    )?;
    Ok(json!({ "workflow": doc, "meta": { "created": true } }))
}
