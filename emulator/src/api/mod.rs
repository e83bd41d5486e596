//! The operations: one module per resource, each function taking the request's documents
//! (already scoped to the calling bot) and the validated request, returning the response body.

use std::collections::{BTreeMap, HashMap};

use rusqlite::Connection;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::{db::Docs, error::ApiError};

pub mod common;
pub mod conversations;
pub mod events;
pub mod files;
pub mod knowledge_bases;
pub mod messages;
pub mod misc;
pub mod passages;
pub mod states;
pub mod tables;
pub mod tasks;
pub mod users;
pub mod workflows;

/// A request that passed authentication and validation against the document.
pub struct Req {
    /// Decoded path parameters.
    pub path: HashMap<String, String>,
    /// Typed query parameters.
    pub query: Map<String, Value>,
    /// The JSON body (`Null` for operations without one).
    pub body: Value,
    /// `x-bot-id`.
    pub bot_id: String,
    /// `x-integration-id`, when sent.
    pub integration_id: Option<String>,
    /// `x-integration-name`, when sent.
    pub integration_name: Option<String>,
    /// `x-user-id`, when sent.
    pub user_id: Option<String>,
    /// `x-destination-bot-id` (copyFile), when sent.
    pub destination_bot_id: Option<String>,
    /// The emulator's public URL, which file URLs are built from (`--public-url`).
    pub base_url: String,
    /// The platform limits to enforce.
    pub limits: crate::platform::PlatformLimits,
}

impl Req {
    /// A path parameter (always present: the route matched).
    pub fn path(&self, name: &str) -> &str {
        self.path.get(name).map(String::as_str).unwrap_or_default()
    }

    /// The body decoded into the generated request type; an error names the field
    /// (`body.offset: invalid type: floating point ...`).
    pub fn body<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        serde_path_to_error::deserialize(&self.body).map_err(|e| {
            let path = e.path().to_string();
            let at = if path == "." {
                String::new()
            } else {
                format!(".{path}")
            };
            ApiError::invalid_payload(format!("body{at}: {}", e.into_inner()))
        })
    }

    /// A string query parameter.
    pub fn query_str(&self, name: &str) -> Option<&str> {
        self.query.get(name).and_then(Value::as_str)
    }

    /// A top-level field of the raw body as a tri-state: `None` absent, `Some(None)` an explicit
    /// `null`, `Some(Some(value))` a value. (Decoding into the generated types folds `null`
    /// into absent; the wire gives `null` its own meaning on some fields.)
    pub fn tri_state(&self, name: &str) -> Option<Option<&Value>> {
        self.body.get(name).map(|v| (!v.is_null()).then_some(v))
    }

    /// Whether the raw body has this top-level field (absent vs. present-and-empty).
    pub fn has_field(&self, name: &str) -> bool {
        self.body.get(name).is_some()
    }
}

/// A resource map (tags, properties) as JSON, without empty values.
pub fn string_map(map: &BTreeMap<String, String>) -> Value {
    Value::Object(
        map.iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect(),
    )
}

/// Runs operation `op_id` in a write transaction (`writable`) or on a reader connection.
pub fn dispatch(
    op_id: &str,
    conn: &Connection,
    req: &Req,
    writable: bool,
) -> Result<Value, ApiError> {
    let docs = if writable {
        Docs::new(conn, &req.bot_id)
    } else {
        Docs::reader(conn, &req.bot_id)
    };
    let d = &docs;
    if let Some(result) = tables::dispatch(op_id, d, req) {
        return result;
    }
    match op_id {
        "createConversation" => conversations::create(d, req),
        "listConversations" => conversations::list(d, req),
        "getConversation" => conversations::get(d, req),
        "updateConversation" => conversations::update(d, req),
        "deleteConversation" => conversations::delete(d, req),
        "getOrCreateConversation" => conversations::get_or_create(d, req),
        "listParticipants" => conversations::list_participants(d, req),
        "addParticipant" => conversations::add_participant(d, req),
        "getParticipant" => conversations::get_participant(d, req),
        "removeParticipant" => conversations::remove_participant(d, req),
        "createEvent" => events::create(d, req),
        "listEvents" => events::list(d, req),
        "getEvent" => events::get(d, req),
        "cancelScheduledEvent" => events::cancel_scheduled(d, req),
        "createMessage" => messages::create(d, req),
        "listMessages" => messages::list(d, req),
        "getOrCreateMessage" => messages::get_or_create(d, req),
        "getMessage" => messages::get(d, req),
        "updateMessage" => messages::update(d, req),
        "deleteMessage" => messages::delete(d, req),
        "initializeIncomingMessage" => messages::initialize_incoming(d, req),
        "importMessages" => messages::import(d, req),
        "createUser" => users::create(d, req),
        "listUsers" => users::list(d, req),
        "getUser" => users::get(d, req),
        "updateUser" => users::update(d, req),
        "deleteUser" => users::delete(d, req),
        "getOrCreateUser" => users::get_or_create(d, req),
        "getState" => states::get(d, req),
        "setState" => states::set(d, req),
        "patchState" => states::patch(d, req),
        "getOrSetState" => states::get_or_set(d, req),
        "setStateExpiry" => states::set_expiry(d, req),
        "configureIntegration" => misc::configure_integration(d, req),
        "listTagValues" => misc::list_tag_values(d, req),
        "trackAnalytics" => misc::track_analytics(d, req),
        "captureObservation" => misc::capture_observation(d, req),
        "createTask" => tasks::create(d, req),
        "listTasks" => tasks::list(d, req),
        "getTask" => tasks::get(d, req),
        "updateTask" => tasks::update(d, req),
        "deleteTask" => tasks::delete(d, req),
        "createWorkflow" => workflows::create(d, req),
        "listWorkflows" => workflows::list(d, req),
        "getWorkflow" => workflows::get(d, req),
        "updateWorkflow" => workflows::update(d, req),
        "deleteWorkflow" => workflows::delete(d, req),
        "getOrCreateWorkflow" => workflows::get_or_create(d, req),
        "upsertFile" => files::upsert(d, req),
        "listFiles" => files::list(d, req),
        "getFile" => files::get(d, req),
        "updateFileMetadata" => files::update_metadata(d, req),
        "deleteFile" => files::delete(d, req),
        "copyFile" => files::copy(d, req),
        "searchFiles" => passages::search(d, req),
        "listFilePassages" => passages::list(d, req),
        "setFilePassages" => passages::set(d, req),
        "listFileTags" => files::list_tags(d, req),
        "listFileTagValues" => files::list_tag_values(d, req),
        "createKnowledgeBase" => knowledge_bases::create(d, req),
        "listKnowledgeBases" => knowledge_bases::list(d, req),
        "updateKnowledgeBase" => knowledge_bases::update(d, req),
        "deleteKnowledgeBase" => knowledge_bases::delete(d, req),
        other => Err(ApiError::method_not_found(format!(
            "The operation {other} is not implemented by the emulator"
        ))),
    }
}
