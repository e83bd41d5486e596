//! Conversations and their participants (`/v1/chat/conversations`).

use botpress::types;
use serde_json::{Value, json};

use super::{
    Req,
    common::{
        find_existing, get_or_404, in_date_range, list_response, merge_map, order_from_query, paged,
    },
    string_map, users,
};
use crate::{
    db::Docs,
    error::ApiError,
    ids,
    pages::{Order, Selection},
    query::tags_match,
};

/// Storage kind of conversations.
pub const KIND: &str = "conversation";
/// Storage kind of participations (`<conversation id>\u{1f}<user id>`, parent: the conversation).
const PARTICIPANT: &str = "participant";

/// A conversation as answered, with its live `messageCount`.
pub fn output(docs: &Docs<'_>, mut doc: Value) -> Result<Value, ApiError> {
    let id = doc["id"].as_str().unwrap_or_default().to_string();
    doc["messageCount"] = json!(docs.count_children(super::messages::KIND, &id)?);
    Ok(doc)
}

/// A stored conversation or 404.
pub fn find(docs: &Docs<'_>, id: &str) -> Result<Value, ApiError> {
    get_or_404(docs, KIND, "Conversation", id)
}

fn integration(req: &Req, from_body: Option<&String>) -> String {
    from_body
        .cloned()
        .or_else(|| req.integration_name.clone())
        .or_else(|| req.integration_id.clone())
        .unwrap_or_default()
}

/// Creates and stores a conversation.
pub fn insert(
    docs: &Docs<'_>,
    req: &Req,
    channel: &str,
    integration_name: Option<&String>,
    tags: &std::collections::BTreeMap<String, String>,
    properties: &std::collections::BTreeMap<String, String>,
) -> Result<Value, ApiError> {
    let now = ids::now();
    let mut doc = json!({
        "id": ids::new_id("conv_"),
        "createdAt": now,
        "updatedAt": now,
        "channel": channel,
        "integration": integration(req, integration_name),
        "tags": string_map(tags),
    });
    if !properties.is_empty() {
        doc["properties"] = string_map(properties);
    }
    docs.insert(KIND, doc["id"].as_str().unwrap_or_default(), None, &doc)?;
    Ok(doc)
}

/// `createConversation`.
pub fn create(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let body: types::CreateConversationBody = req.body()?;
    let doc = insert(
        docs,
        req,
        &body.channel,
        body.integration_name.as_ref(),
        &body.tags,
        &body.properties.unwrap_or_default(),
    )?;
    Ok(json!({ "conversation": output(docs, doc)? }))
}

/// `getConversation`.
pub fn get(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    Ok(json!({ "conversation": output(docs, find(docs, req.path("id"))?)? }))
}

/// `listConversations`.
pub fn list(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let participants: Vec<&str> = req
        .query
        .get("participantIds")
        .and_then(Value::as_array)
        .map(|ids| ids.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let min = req.query.get("minMessageCount").and_then(Value::as_i64);
    let max = req.query.get("maxMessageCount").and_then(Value::as_i64);
    let tags = req.query.get("tags");
    let order = order_from_query(req).unwrap_or(Order::NEWEST_FIRST);
    paged(
        "conversations",
        docs,
        &Selection::of(KIND).tagged(tags),
        order,
        req,
        |doc| {
            let id = doc["id"].as_str().unwrap_or_default().to_string();
            let fits = tags_match(&doc["tags"], tags)
                && req.query_str("channel").is_none_or(|c| doc["channel"] == c)
                && req
                    .query_str("integrationName")
                    .is_none_or(|i| doc["integration"] == i)
                && in_date_range(&doc, "createdAt", req)?;
            if !fits {
                return Ok(None);
            }
            for user in &participants {
                if docs
                    .get(PARTICIPANT, &participant_key(&id, user))?
                    .is_none()
                {
                    return Ok(None);
                }
            }
            if min.is_some() || max.is_some() {
                let count = docs.count_children(super::messages::KIND, &id)?;
                if min.is_some_and(|m| count < m) || max.is_some_and(|m| count > m) {
                    return Ok(None);
                }
            }
            output(docs, doc).map(Some)
        },
    )
}

/// `updateConversation`: tags merge (empty values unset), properties likewise.
pub fn update(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let body: types::UpdateConversationBody = req.body()?;
    let mut doc = find(docs, req.path("id"))?;
    merge_map(&mut doc, "tags", &body.tags.unwrap_or_default());
    if req.has_field("properties") {
        merge_map(&mut doc, "properties", &body.properties.unwrap_or_default());
    }
    if let Some(task) = body.current_task_id {
        doc["currentTaskId"] = json!(task);
    }
    doc["updatedAt"] = json!(ids::now());
    docs.update(KIND, req.path("id"), &doc)?;
    Ok(json!({ "conversation": output(docs, doc)? }))
}

/// `deleteConversation`: also deletes its messages and participations.
pub fn delete(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let id = req.path("id");
    find(docs, id)?;
    docs.delete_children(super::messages::KIND, id)?;
    docs.delete_children(PARTICIPANT, id)?;
    docs.delete(KIND, id)?;
    Ok(json!({}))
}

/// Finds a conversation by the get-or-create rule, or creates it.
pub fn get_or_insert(
    docs: &Docs<'_>,
    req: &Req,
    channel: &str,
    integration_name: Option<&String>,
    tags: &std::collections::BTreeMap<String, String>,
    discriminate_by: &[String],
    properties: &std::collections::BTreeMap<String, String>,
) -> Result<(Value, bool), ApiError> {
    let integration = integration(req, integration_name);
    let existing = find_existing(docs, KIND, None, tags, discriminate_by, |c| {
        Ok(c["channel"] == channel && c["integration"] == integration.as_str())
    })?;
    match existing {
        Some(doc) => Ok((doc, false)),
        None => Ok((
            insert(docs, req, channel, integration_name, tags, properties)?,
            true,
        )),
    }
}

/// `getOrCreateConversation`.
pub fn get_or_create(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let body: types::GetOrCreateConversationBody = req.body()?;
    let (doc, created) = get_or_insert(
        docs,
        req,
        &body.channel,
        body.integration_name.as_ref(),
        &body.tags,
        // Absent and an explicit `[]` both mean "no discriminators" (all given tags must
        // match), as they did when the two could not be told apart.
        body.discriminate_by_tags.as_deref().unwrap_or(&[]),
        &body.properties.unwrap_or_default(),
    )?;
    Ok(json!({ "conversation": output(docs, doc)?, "meta": { "created": created } }))
}

fn participant_key(conversation: &str, user: &str) -> String {
    format!("{conversation}\u{1f}{user}")
}

/// Adds a user to a conversation (idempotent).
pub fn join(docs: &Docs<'_>, conversation: &str, user: &str) -> Result<(), ApiError> {
    let key = participant_key(conversation, user);
    if docs.get(PARTICIPANT, &key)?.is_none() {
        docs.insert(
            PARTICIPANT,
            &key,
            Some(conversation),
            &json!({ "conversationId": conversation, "userId": user }),
        )?;
    }
    Ok(())
}

/// The ids of a conversation's participants, in joining order.
pub fn participant_ids(docs: &Docs<'_>, conversation: &str) -> Result<Vec<String>, ApiError> {
    Ok(docs
        .children(PARTICIPANT, conversation)?
        .into_iter()
        .filter_map(|p| p["userId"].as_str().map(String::from))
        .collect())
}

/// `listParticipants`.
pub fn list_participants(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let id = req.path("id");
    find(docs, id)?;
    let mut users_out = Vec::new();
    for user in participant_ids(docs, id)? {
        if let Some(u) = docs.get(users::KIND, &user)? {
            users_out.push(u);
        }
    }
    list_response("participants", users_out, req)
}

/// `addParticipant`.
pub fn add_participant(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let body: types::AddParticipantBody = req.body()?;
    let id = req.path("id");
    find(docs, id)?;
    let user = users::find(docs, &body.user_id)?;
    join(docs, id, &body.user_id)?;
    Ok(json!({ "participant": user }))
}

/// `getParticipant`.
pub fn get_participant(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let (id, user) = (req.path("id"), req.path("userId"));
    find(docs, id)?;
    if docs.get(PARTICIPANT, &participant_key(id, user))?.is_none() {
        return Err(ApiError::not_found(format!(
            "Participant {user} doesn't exist in conversation {id}"
        )));
    }
    Ok(json!({ "participant": users::find(docs, user)? }))
}

/// `removeParticipant`.
pub fn remove_participant(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let (id, user) = (req.path("id"), req.path("userId"));
    find(docs, id)?;
    if !docs.delete(PARTICIPANT, &participant_key(id, user))? {
        return Err(ApiError::not_found(format!(
            "Participant {user} doesn't exist in conversation {id}"
        )));
    }
    Ok(json!({}))
}
