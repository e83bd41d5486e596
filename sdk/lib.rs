#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod analytics;
mod budget;
pub mod call_options;
mod client;
pub mod config;
mod drift;
pub mod error;
pub mod files;
mod generated;
pub mod get_or_create;
mod helper_error;
pub mod input;
mod json;
mod limits;
pub mod nullable;
pub mod once;
mod operation;
pub mod pacing;
pub mod paginate;
pub mod prelude;
pub mod query;
pub mod retry;
pub mod state;
pub mod tables;
mod timestamp;
pub mod tls;
pub mod trace;
mod transport;
mod wire;

pub use call_options::CallOptions;
pub use client::{Client, ClientBuilder};
pub use config::ConfigError;
pub use error::{Error, ErrorKind, Result};
pub use nullable::Nullable;
pub use operation::Response;
pub use pacing::Pacing;
pub use retry::RetryPolicy;
pub use state::TypedState;
pub use transport::{DEFAULT_USER_AGENT, Identity};

/// The OpenAPI 3.0 document this client is generated from (`openapi/botpress.yaml` in the
/// package), as compact JSON: every operation, parameter and schema the client knows, for
/// tools that check requests against it (`botpress-emulator` validates every request it
/// serves with it).
///
/// ```
/// let doc: serde_json::Value = serde_json::from_str(botpress::OPENAPI_DOCUMENT).unwrap();
/// assert_eq!(doc["openapi"].as_str().map(|v| &v[..2]), Some("3."));
/// assert!(doc["paths"]["/v1/chat/conversations"]["post"]["operationId"] == "createConversation");
/// ```
pub const OPENAPI_DOCUMENT: &str = include_str!(concat!(env!("OUT_DIR"), "/openapi.json"));

/// The request and response types of every operation, generated from
/// `openapi/botpress.yaml`, and the builders of the request types.
///
/// Every request type `X` has `X::builder()` → `XBuilder`, with one setter per field. The
/// setters of every builder (and the flat setters of the operation builders, which delegate
/// to them) take:
///
/// | field type | setter takes |
/// |---|---|
/// | `String` | `impl Into<String>`: `.name("Ada")` |
/// | a JSON object, or any JSON value | anything `Serialize`: `.payload(json!({"text": "hi"}))`, a map, your own struct |
/// | a list | any iterator of items: `.ids(["a", "b"])` |
/// | a map | any iterator of pairs: `.tags([("k", "v")])`, a `BTreeMap`, a `HashMap` |
/// | a nested request type `S` | an `S` or its builder: `.schedule(CreateEventBodySchedule::builder().delay(5000))` |
/// | an enum | a variant or a `&str`: `.status(WorkflowStatus::Pending)`, `.status("pending")` |
/// | a date-time | `chrono::DateTime<Utc>` (sent with milliseconds, `…T00:00:00.000Z`) |
/// | a tri-state ([`Nullable`]) | a value or `Nullable::Null`: `.name("Ada")`, `.name(Nullable::Null)` |
/// | anything else (numbers, booleans) | `impl Into<T>`: `.page_size(5)` |
///
/// An optional field takes the value itself (not `Some(..)`) and has a `set_<field>(Option<T>)`
/// twin that sets or unsets it. A list or object that was set is sent even when empty
/// (`.discriminate_by_tags(Vec::<String>::new())` sends `"discriminateByTags":[]`); an unset one
/// is left out. Each string enum is one open type (unknown values decode as `Unknown(..)`),
/// shared by every field with values from its set, and every timestamp is a `DateTime<Utc>`.
///
/// ```no_run
/// use botpress::types::{CreateEventBodySchedule, WorkflowStatus};
/// use serde_json::json;
/// # async fn demo(client: &botpress::Client) -> botpress::Result<()> {
/// client.update_user().id("user_1").name("Ada").send().await?;
/// client
///     .create_message()
///     .conversation_id("conv_1")
///     .user_id("user_1")
///     .type_("text")
///     .payload(json!({"text": "hi"}))
///     .tags([("k", "v")])
///     .send()
///     .await?;
/// client.update_workflow().id("wf_1").status("completed").send().await?;
/// client.update_workflow().id("wf_1").status(WorkflowStatus::Completed).send().await?;
/// client.list_users().page_size(5).send().await?;
/// client
///     .create_event()
///     .type_("reminder")
///     .payload(json!({}))
///     .schedule(CreateEventBodySchedule::builder().delay(5000))
///     .send()
///     .await?;
/// # Ok(()) }
/// ```
///
/// A required field left unset is reported by `build()` (and `send()`) with its name; a
/// struct literal catches it at compile time:
///
/// ```compile_fail,E0063
/// let body = botpress::types::CreateWorkflowBody {
///     conversation_id: None,
///     event_id: None,
///     input: None,
///     name: "onboarding".into(),
///     parent_workflow_id: None,
///     tags: None,
///     timeout_at: None,
///     user_id: None,
/// }; // no `status`
/// ```
///
/// and a value of the wrong kind does not compile:
///
/// ```compile_fail,E0277
/// # async fn demo(client: &botpress::Client) {
/// let _ = client.get_user().id(5).send().await; // a number for a string
/// # }
/// ```
pub mod types {
    pub use crate::generated::enums::*;
    pub use crate::generated::types::*;
    pub use crate::input::BuildError;
    pub use crate::query::{FileTagCondition, FileTagsFilter, TagsFilter};
}

/// The builder of every operation (`client.get_user()` returns an
/// [`operations::GetUser`]), for code that stores or passes them.
///
/// Each builder has a setter (and a `set_` twin) for every path, query and header parameter
/// and for every field of the body, plus `body(..)` / `body_map(..)` for the whole body.
/// **Name rule**: a body field named like one of the operation's parameters, or like one of
/// the builder's own methods (`body`, `send`, `stream`, …), is set through `body_<name>`.
/// Builders own a clone of the client, so they can be stored, cloned and sent later.
pub mod operations {
    pub use crate::generated::operations::*;
}
