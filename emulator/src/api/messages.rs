//! Messages (`/v1/chat/messages`), `initializeIncomingMessage` and `importMessages`.

use std::collections::BTreeMap;

use botpress::types;
use serde_json::{Map, Value, json};

use super::{
    Req,
    common::{find_existing, get_or_404, in_date_range, merge_map, paged},
    conversations, string_map,
    users::{self, NewUser},
};
use crate::{
    db::Docs,
    error::ApiError,
    ids,
    pages::{Order, Selection},
    query::tags_match,
};

/// Storage kind of messages (parent: the conversation).
pub const KIND: &str = "message";

/// A stored message or 404.
pub fn find(docs: &Docs<'_>, id: &str) -> Result<Value, ApiError> {
    get_or_404(docs, KIND, "Message", id)
}

/// What a new message is made of.
pub struct NewMessage<'a> {
    /// Conversation.
    pub conversation_id: &'a str,
    /// Author.
    pub user_id: &'a str,
    /// Message type.
    pub type_: &'a str,
    /// Payload.
    pub payload: &'a Map<String, Value>,
    /// Tags.
    pub tags: &'a BTreeMap<String, String>,
    /// `origin` (`synthetic`).
    pub origin: Option<String>,
    /// Creation time (imports), else now.
    pub created_at: Option<String>,
    /// Always `incoming` (initializeIncomingMessage), whoever calls.
    pub incoming: bool,
}

/// `incoming` when an integration writes (it relays a user's message), `outgoing` when the bot does.
fn direction(req: &Req) -> &'static str {
    if req.integration_id.is_some() {
        "incoming"
    } else {
        "outgoing"
    }
}

/// Stores a message after checking its conversation and user exist.
pub fn insert(docs: &Docs<'_>, req: &Req, m: NewMessage<'_>) -> Result<Value, ApiError> {
    let mut conversation = conversations::find(docs, m.conversation_id)?;
    users::find(docs, m.user_id)?;
    let now = m.created_at.unwrap_or_else(ids::now);
    let mut doc = json!({
        "id": ids::new_id("msg_"),
        "createdAt": now,
        "updatedAt": now,
        "type": m.type_,
        "payload": m.payload,
        "direction": if m.incoming { "incoming" } else { direction(req) },
        "userId": m.user_id,
        "conversationId": m.conversation_id,
        "tags": string_map(m.tags),
    });
    if let Some(origin) = m.origin {
        doc["origin"] = json!(origin);
    }
    docs.insert(
        KIND,
        doc["id"].as_str().unwrap_or_default(),
        Some(m.conversation_id),
        &doc,
    )?;
    conversation["updatedAt"] = json!(ids::now());
    docs.update(conversations::KIND, m.conversation_id, &conversation)?;
    Ok(doc)
}

/// The get-or-create rule for messages: same conversation and author, tags per
/// [`discriminator_matches`](super::common::discriminator_matches); with neither tags nor
/// discriminators, the same type and payload.
pub fn get_or_insert(
    docs: &Docs<'_>,
    req: &Req,
    m: NewMessage<'_>,
    discriminate_by: &[String],
) -> Result<(Value, bool), ApiError> {
    conversations::find(docs, m.conversation_id)?;
    let payload = json!(m.payload);
    let found = find_existing(
        docs,
        KIND,
        Some(m.conversation_id),
        m.tags,
        discriminate_by,
        |existing| {
            Ok(existing["userId"] == m.user_id
                && (!m.tags.is_empty()
                    || !discriminate_by.is_empty()
                    || (existing["type"] == m.type_ && existing["payload"] == payload)))
        },
    )?;
    match found {
        Some(doc) => Ok((doc, false)),
        None => Ok((insert(docs, req, m)?, true)),
    }
}

/// `createMessage`.
pub fn create(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let b: types::CreateMessageBody = req.body()?;
    let message = insert(
        docs,
        req,
        NewMessage {
            conversation_id: &b.conversation_id,
            user_id: &b.user_id,
            type_: &b.type_,
            payload: &b.payload,
            tags: &b.tags,
            origin: b.origin.map(|o| o.to_string()),
            created_at: None,
            incoming: false,
        },
    )?;
    Ok(json!({ "message": message }))
}

/// `getOrCreateMessage`.
pub fn get_or_create(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let b: types::GetOrCreateMessageBody = req.body()?;
    let payload = b.payload.unwrap_or_default();
    let m = NewMessage {
        conversation_id: &b.conversation_id,
        user_id: &b.user_id,
        type_: &b.type_,
        payload: &payload,
        tags: &b.tags,
        origin: b.origin.map(|o| o.to_string()),
        created_at: None,
        incoming: false,
    };
    // Absent and an explicit `[]` both mean "no discriminators", as they did when the two
    // could not be told apart.
    let discriminate_by = b.discriminate_by_tags.as_deref().unwrap_or(&[]);
    let (message, created) = get_or_insert(docs, req, m, discriminate_by)?;
    Ok(json!({ "message": message, "meta": { "created": created } }))
}

/// `getMessage`.
pub fn get(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    Ok(json!({ "message": find(docs, req.path("id"))? }))
}

/// `listMessages`: most recent first.
pub fn list(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let tags = req.query.get("tags");
    let selection = Selection::of(KIND)
        .under(req.query_str("conversationId"))
        .tagged(tags);
    paged(
        "messages",
        docs,
        &selection,
        Order::NEWEST_FIRST,
        req,
        |m| Ok((tags_match(&m["tags"], tags) && in_date_range(&m, "createdAt", req)?).then_some(m)),
    )
}

/// `updateMessage`: tags merge, the payload is replaced when given.
pub fn update(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let b: types::UpdateMessageBody = req.body()?;
    let id = req.path("id");
    let mut doc = find(docs, id)?;
    merge_map(&mut doc, "tags", &b.tags.unwrap_or_default());
    if req.has_field("payload") {
        doc["payload"] = json!(b.payload.unwrap_or_default());
    }
    doc["updatedAt"] = json!(ids::now());
    docs.update(KIND, id, &doc)?;
    Ok(json!({ "message": doc }))
}

/// `deleteMessage`.
pub fn delete(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let id = req.path("id");
    find(docs, id)?;
    docs.delete(KIND, id)?;
    Ok(json!({}))
}

/// `initializeIncomingMessage`: gets or creates the user and the conversation (by id or by
/// get-or-create spec), makes the user a participant, then gets or creates the message.
pub fn initialize_incoming(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let b: types::InitializeIncomingMessageBody = req.body()?;
    let user = match (&b.user_id, &b.user) {
        (Some(id), _) => users::find(docs, id)?,
        (None, Some(u)) => {
            let new = NewUser {
                tags: Some(&u.tags),
                name: u.name.as_deref(),
                picture_url: u.picture_url.as_deref(),
                ..Default::default()
            };
            users::get_or_insert(docs, new, &u.discriminate_by_tags)?.0
        }
        (None, None) => {
            return Err(ApiError::invalid_payload(
                "body: either userId or user must be given",
            ));
        }
    };
    let conversation = match (&b.conversation_id, &b.conversation) {
        (Some(id), _) => conversations::find(docs, id)?,
        (None, Some(c)) => {
            conversations::get_or_insert(
                docs,
                req,
                &c.channel,
                c.integration_name.as_ref(),
                &c.tags,
                &c.discriminate_by_tags,
                &BTreeMap::new(),
            )?
            .0
        }
        (None, None) => {
            return Err(ApiError::invalid_payload(
                "body: either conversationId or conversation must be given",
            ));
        }
    };
    let (user_id, conversation_id) = (
        user["id"].as_str().unwrap_or_default(),
        conversation["id"].as_str().unwrap_or_default(),
    );
    conversations::join(docs, conversation_id, user_id)?;
    let mut out = json!({ "user": user });
    if let Some(m) = &b.message {
        let new = NewMessage {
            conversation_id,
            user_id,
            type_: &m.type_,
            payload: &m.payload,
            tags: &m.tags,
            origin: m.origin.as_ref().map(|o| o.to_string()),
            created_at: None,
            incoming: true,
        };
        out["message"] = get_or_insert(docs, req, new, &m.discriminate_by_tags)?.0;
    }
    out["conversation"] = conversations::output(docs, conversations::find(docs, conversation_id)?)?;
    Ok(out)
}

/// `importMessages`: each message is created (with its `createdAt`) unless a matching one exists.
pub fn import(docs: &Docs<'_>, req: &Req) -> Result<Value, ApiError> {
    let b: types::ImportMessagesBody = req.body()?;
    let mut out = Vec::new();
    for m in &b.messages {
        let new = NewMessage {
            conversation_id: &m.conversation_id,
            user_id: &m.user_id,
            type_: &m.type_,
            payload: &m.payload,
            tags: &m.tags,
            origin: None,
            created_at: Some(ids::timestamp(m.created_at)),
            incoming: false,
        };
        out.push(get_or_insert(docs, req, new, &m.discriminate_by_tags)?.0);
    }
    Ok(json!({ "messages": out }))
}
