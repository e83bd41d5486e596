//! Events (`/v1/chat/events`): created `pending`, or `scheduled` with a `schedule`; a scheduled
//! event can be cancelled (`canceled`), and reads `pending` once its time has come on the
//! emulator's clock (`schedule.dateTime`, or its creation plus `schedule.delay` ms).

use botpress::types;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    Req,
    common::{get_or_404, paged, require},
};
use crate::{
    db::Docs,
    error::ApiError,
    ids,
    pages::{Order, Selection},
};

/// Storage kind of events.
pub const KIND: &str = "event";

/// The event's workflow is kept beside the wire fields (the Event schema has no `workflowId`).
const WORKFLOW: &str = "_workflowId";

/// When a scheduled event fires, kept beside the wire fields.
const DUE: &str = "_dueAt";

/// Fires a scheduled event whose time has come: it reads `pending`, like an event sent now
/// (the same answer whenever it is read after that time).
fn fire(mut doc: Value) -> Value {
    let due = doc[DUE].as_str().and_then(ids::parse_time);
    if doc["status"] == "scheduled" && due.is_some_and(|due| due <= ids::now_utc()) {
        doc["status"] = json!("pending");
    }
    doc
}

fn output(doc: Value) -> Value {
    let mut doc = fire(doc);
    if let Some(o) = doc.as_object_mut() {
        o.remove(WORKFLOW);
        o.remove(DUE);
    }
    doc
}

/// `createEvent`.
pub fn create(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    // `schedule.dateTime` now decodes into a timestamp. A string `ids::parse_time` rejects keeps
    // its own error, raised where it always was (after the references are checked): it is left
    // out of the decoded body and reported below.
    let bad_date = req
        .body
        .pointer("/schedule/dateTime")
        .and_then(Value::as_str)
        .filter(|dt| ids::parse_time(dt).is_none());
    let b: types::CreateEventBody = match bad_date {
        None => req.body()?,
        Some(_) => {
            let mut raw = req.body.clone();
            if let Some(schedule) = raw["schedule"].as_object_mut() {
                schedule.remove("dateTime");
            }
            types::CreateEventBody::deserialize(&raw)
                .map_err(|e| ApiError::invalid_payload(format!("body: {e}")))?
        }
    };
    require(
        docs,
        super::conversations::KIND,
        "Conversation",
        b.conversation_id.as_deref(),
    )?;
    require(docs, super::users::KIND, "User", b.user_id.as_deref())?;
    require(
        docs,
        super::messages::KIND,
        "Message",
        b.message_id.as_deref(),
    )?;
    require(
        docs,
        super::workflows::KIND,
        "Workflow",
        b.workflow_id.as_deref(),
    )?;
    let created_at = ids::now_utc();
    let mut due = None;
    let status = match &b.schedule {
        Some(s) => {
            match (bad_date, s.date_time, s.delay) {
                (Some(dt), _, _) => {
                    return Err(ApiError::invalid_payload(format!(
                        "body.schedule.dateTime: `{dt}` is not an ISO 8601 date"
                    )));
                }
                (_, None, None) => {
                    return Err(ApiError::invalid_payload(
                        "body.schedule: either dateTime or delay must be provided",
                    ));
                }
                (_, _, Some(d)) if d < 0 => {
                    return Err(ApiError::invalid_payload(
                        "body.schedule.delay: must not be negative",
                    ));
                }
                (_, Some(at), _) => due = Some(at),
                (_, None, Some(delay)) => {
                    due = Some(
                        created_at
                            + chrono::Duration::milliseconds(delay.clamp(0, 1_000_000_000_000_000)),
                    );
                }
            }
            "scheduled"
        }
        None => "pending",
    };
    let mut doc = json!({
        "id": ids::new_id("evt_"),
        "createdAt": ids::timestamp(created_at),
        "type": b.type_,
        "payload": b.payload,
        "status": status,
        "failureReason": null,
    });
    for (field, value) in [
        ("conversationId", &b.conversation_id),
        ("userId", &b.user_id),
        ("messageId", &b.message_id),
        (WORKFLOW, &b.workflow_id),
    ] {
        if let Some(v) = value {
            doc[field] = json!(v);
        }
    }
    if let Some(due) = due {
        doc[DUE] = json!(ids::timestamp(due));
    }
    docs.insert(KIND, doc["id"].as_str().unwrap_or_default(), None, &doc)?;
    Ok(json!({ "event": output(doc) }))
}

/// `getEvent`.
pub fn get(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    Ok(json!({ "event": output(get_or_404(docs, KIND, "Event", req.path("id"))?) }))
}

/// `listEvents`: most recent first, filtered by type, links and status.
pub fn list(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let filters = [
        ("type", "type"),
        ("conversationId", "conversationId"),
        ("userId", "userId"),
        ("messageId", "messageId"),
        ("workflowId", WORKFLOW),
        ("status", "status"),
    ];
    let selection = Selection::of(KIND);
    paged("events", docs, &selection, Order::NEWEST_FIRST, req, |e| {
        let e = fire(e);
        let fits = filters
            .iter()
            .all(|(q, field)| req.query_str(q).is_none_or(|v| e[*field] == v));
        Ok(fits.then(|| output(e)))
    })
}

/// `cancelScheduledEvent`: only a `scheduled` event can be cancelled.
pub fn cancel_scheduled(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let id = req.path("id");
    let mut doc = fire(get_or_404(docs, KIND, "Event", id)?);
    if doc["status"] != "scheduled" {
        return Err(ApiError::invalid_payload(format!(
            "Event {id} is not scheduled (status: {})",
            doc["status"].as_str().unwrap_or_default()
        )));
    }
    doc["status"] = json!("canceled");
    docs.update(KIND, id, &doc)?;
    Ok(json!({}))
}
