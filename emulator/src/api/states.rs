//! States (`/v1/chat/states/{type}/{id}/{name}`): set replaces (a `null` payload deletes),
//! patch merges payload keys shallowly, get-or-set creates only when missing, and an `expiry`
//! (ms) makes the state expire `expiry` ms after its last write (`expiresAt`).

use botpress::types;
use chrono::Duration;
use serde_json::{Map, Value, json};

use super::Req;
use crate::{db::Docs, error::ApiError, ids};

/// Storage kind of states, keyed by [`state_key`].
pub const KIND: &str = "state";

/// The storage id of a state: the JSON array `[type, id, name]`. JSON escapes every quote,
/// backslash and control character inside the parts, so two different triples never have the
/// same key (a separator character could appear inside an id or a name).
pub fn state_key(state_type: &str, id: &str, name: &str) -> String {
    json!([state_type, id, name]).to_string()
}

fn key(req: &Req) -> String {
    state_key(req.path("type"), req.path("id"), req.path("name"))
}

/// Rewrites the keys of states stored before [`state_key`] (`type`, `id` and `name` joined by
/// `U+001F`, which aliased `("a\u{1f}b", "c")` with `("a", "b\u{1f}c")`). The type never holds
/// the separator and the document keeps the exact name, so the id is what lies between them.
pub fn migrate_keys(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    let old: Vec<(i64, String, String)> = conn
        .prepare("SELECT seq, id, data FROM docs WHERE kind = ?1 AND id NOT LIKE '[%'")?
        .query_map([KIND], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (seq, id, data) in old {
        let doc: Value = serde_json::from_str(&data).unwrap_or_default();
        let name = doc["name"].as_str().unwrap_or_default();
        let Some((state_type, rest)) = id.split_once('\u{1f}') else {
            continue;
        };
        let Some(owner) = rest
            .strip_suffix(name)
            .and_then(|r| r.strip_suffix('\u{1f}'))
        else {
            continue;
        };
        conn.execute(
            "UPDATE docs SET id = ?2 WHERE seq = ?1",
            rusqlite::params![seq, state_key(state_type, owner, name)],
        )?;
    }
    Ok(())
}

/// The live state, or `None` when missing or expired (an expired state is deleted).
fn load(docs: &Docs<'_>, req: &Req) -> Result<Option<Value>, ApiError> {
    let Some(doc) = docs.get(KIND, &key(req))? else {
        return Ok(None);
    };
    let expired = doc["expiresAt"]
        .as_str()
        .and_then(ids::parse_time)
        .is_some_and(|at| at <= ids::now_utc());
    if expired {
        if docs.writable() {
            docs.delete(KIND, &key(req))?;
        }
        return Ok(None);
    }
    Ok(Some(doc))
}

fn missing(req: &Req) -> ApiError {
    ApiError::not_found(format!(
        "No State found for {} {} with name {}",
        req.path("type"),
        req.path("id"),
        req.path("name")
    ))
}

/// The owner of a conversation, user or workflow state must exist.
fn check_owner(docs: &Docs<'_>, req: &Req) -> Result<(), ApiError> {
    let id = Some(req.path("id"));
    match req.path("type") {
        "conversation" => {
            super::common::require(docs, super::conversations::KIND, "Conversation", id)
        }
        "user" => super::common::require(docs, super::users::KIND, "User", id),
        "workflow" => super::common::require(docs, super::workflows::KIND, "Workflow", id),
        _ => Ok(()),
    }
}

/// Applies an expiry change: `Some(Some(ms))` sets, `Some(None)` clears, `None` keeps.
fn apply_expiry(doc: &mut Value, expiry: Option<Option<i64>>) {
    let obj = doc.as_object_mut().expect("state object");
    match expiry {
        Some(Some(ms)) => {
            obj.insert("expiry".into(), json!(ms));
        }
        Some(None) => {
            obj.remove("expiry");
            obj.remove("expiresAt");
        }
        None => {}
    }
    if let Some(ms) = obj.get("expiry").and_then(Value::as_i64) {
        obj.insert(
            "expiresAt".into(),
            json!(ids::timestamp(ids::now_utc() + Duration::milliseconds(ms))),
        );
    }
}

/// The request's `expiry` as a tri-state (absent, `null`, milliseconds).
fn requested_expiry(req: &Req) -> Option<Option<i64>> {
    req.tri_state("expiry").map(|v| v.and_then(Value::as_i64))
}

fn new_state(req: &Req, payload: Map<String, Value>) -> Value {
    let now = ids::now();
    let mut doc = json!({
        "id": ids::new_id("state_"),
        "createdAt": now,
        "updatedAt": now,
        "botId": req.bot_id,
        "name": req.path("name"),
        "type": req.path("type"),
        "payload": payload,
    });
    match req.path("type") {
        "conversation" => doc["conversationId"] = json!(req.path("id")),
        "user" => doc["userId"] = json!(req.path("id")),
        _ => {}
    }
    doc
}

/// `getState` (`meta.cached` is always `false`: the emulator has no state cache).
pub fn get(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let state = load(docs, req)?.ok_or_else(|| missing(req))?;
    Ok(json!({ "state": state, "meta": { "cached": false } }))
}

/// `setState`: replaces the payload; `payload: null` deletes the state (answering its last value).
pub fn set(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let b: types::SetStateBody = req.body()?;
    check_owner(docs, req)?;
    let existing = load(docs, req)?;
    let Some(payload) = b.payload.into_option() else {
        docs.delete(KIND, &key(req))?;
        let last = existing.unwrap_or_else(|| new_state(req, Map::new()));
        return Ok(json!({ "state": last }));
    };
    let mut doc = match existing {
        Some(mut doc) => {
            doc["payload"] = json!(payload);
            doc["updatedAt"] = json!(ids::now());
            doc
        }
        None => new_state(req, payload),
    };
    apply_expiry(&mut doc, requested_expiry(req));
    save(docs, req, &doc)?;
    Ok(json!({ "state": doc }))
}

fn save(docs: &Docs<'_>, req: &Req, doc: &Value) -> Result<(), ApiError> {
    crate::platform::limits::check_payload(
        "the state's payload",
        &doc["payload"],
        req.limits.state_payload,
    )?;
    let k = key(req);
    if docs.get(KIND, &k)?.is_some() {
        docs.update(KIND, &k, doc)
    } else {
        docs.insert(KIND, &k, None, doc)
    }
}

/// `patchState`: shallow merge of the payload's keys into the existing payload.
pub fn patch(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let b: types::PatchStateBody = req.body()?;
    let mut doc = load(docs, req)?.ok_or_else(|| missing(req))?;
    let payload = doc["payload"]
        .as_object_mut()
        .expect("stored payload is an object");
    for (k, v) in b.payload {
        payload.insert(k, v);
    }
    doc["updatedAt"] = json!(ids::now());
    apply_expiry(&mut doc, requested_expiry(req));
    save(docs, req, &doc)?;
    Ok(json!({ "state": doc }))
}

/// `getOrSetState`: an existing state is returned unchanged (`meta.cached: true`); otherwise
/// it is created with the payload and expiry (`meta.cached: false`).
pub fn get_or_set(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let b: types::GetOrSetStateBody = req.body()?;
    if let Some(doc) = load(docs, req)? {
        return Ok(json!({ "state": doc, "meta": { "cached": true } }));
    }
    check_owner(docs, req)?;
    let mut doc = new_state(req, b.payload);
    apply_expiry(&mut doc, requested_expiry(req));
    save(docs, req, &doc)?;
    Ok(json!({ "state": doc, "meta": { "cached": false } }))
}

/// `setStateExpiry`: `null` removes the expiry.
pub fn set_expiry(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let b: types::SetStateExpiryBody = req.body()?;
    let mut doc = load(docs, req)?.ok_or_else(|| missing(req))?;
    apply_expiry(&mut doc, Some(b.expiry.into_option()));
    doc["updatedAt"] = json!(ids::now());
    save(docs, req, &doc)?;
    Ok(json!({ "state": doc }))
}
