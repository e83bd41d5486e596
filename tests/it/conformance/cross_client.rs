//! Cross-client agreement: for the 42 methods of the documented client (the "Client methods"
//! page of the Botpress docs), the official TypeScript client (`@botpress/client` 1.45.0, driven by
//! `tools/node/cross-client.mjs`) and this SDK send equivalent requests for the same inputs.
//!
//! One table of cases ([`all`]) holds each input once, as JSON in the TypeScript client's
//! input shape. The official client gets it verbatim; the SDK gets it through [`sdk_call`],
//! which sets the operation's path and query parameters from the JSON and deserializes the
//! rest into the generated body type (so a field the SDK lacks fails loudly).
//!
//! Both clients talk to one recording server on loopback that answers every request with a
//! valid response synthesised from our document (the `upsertFile` answer points its
//! `uploadUrl` back at the recorder, so `uploadFile`'s content `PUT` is recorded too; no retry
//! can duplicate a request since every answer is a success). Per case, [`compare`] requires:
//! the same number of requests, and per request the same method; the same path
//! (percent-decoded segments, and the same raw encoding); the same query (the decoded
//! key/value pairs as a sorted multiset, and the same raw pairs); the same body (JSON compared
//! structurally, other bodies byte for byte); and the same value of every header.
//!
//! The listed differences, each with its reason and checked precisely so that any other
//! difference still fails:
//! - [`HEADER_EXCEPTIONS`]: transport headers each HTTP stack sets for itself (`user-agent`,
//!   `accept`, `accept-encoding`, `connection`), each with the exact value expected from each
//!   client, separately for API requests and for the content `PUT`; `content-length` may
//!   differ only as each body's own length;
//! - [`KEY_ORDER`]: JSON key order, when the bodies parse equal and each is compact JSON;
//! - [`DATE_TIME`]: a date-time body field re-serialized by the SDK, when both strings are
//!   RFC 3339 date-times of the same instant;
//! - [`QUERY_DATE_TIME`]: the `afterDate`/`beforeDate` query parameters, typed in the SDK and
//!   sent in UTC, when both values are RFC 3339 date-times of the same instant (every other
//!   pair, and its raw encoding, still compared).
//!
//! An empty optional map or list the caller set (`tags: {}`, `discriminateByTags: []`) is sent
//! by both clients: it is compared like any other field.
//!
//! Explicit `null`s (`updateUser.name`, state `expiry`) go through the generated body types
//! like any other field: they decode as `Some(Nullable::Null)` and are sent as `null`.
use std::{
    collections::{BTreeMap, BTreeSet},
    time::Instant,
};

use botpress::{Client, types};
use percent_encoding::percent_decode_str;
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::{Map, Value, json};

use super::{
    cases::{CONV, EVT, FILE, MSG, ODD_ID, Sent, USER, WFL, sent},
    support::{
        examples::{Mode, Spec},
        node::NodeTools,
        recorder::{Canned, Recorded, Recorder},
    },
};

/// The 42 methods of the documented client (the "Client methods" page of the Botpress docs).
pub(super) const DOCUMENTED: [&str; 42] = [
    "createConversation",
    "getConversation",
    "listConversations",
    "updateConversation",
    "deleteConversation",
    "getOrCreateConversation",
    "createMessage",
    "getMessage",
    "listMessages",
    "updateMessage",
    "deleteMessage",
    "createUser",
    "getUser",
    "listUsers",
    "updateUser",
    "deleteUser",
    "getOrCreateUser",
    "createEvent",
    "getEvent",
    "listEvents",
    "getState",
    "setState",
    "getOrSetState",
    "patchState",
    "callAction",
    "uploadFile",
    "getFile",
    "listFiles",
    "deleteFile",
    "upsertFile",
    "createTableRows",
    "getTableRow",
    "findTableRows",
    "updateTableRows",
    "upsertTableRows",
    "deleteTableRows",
    "createWorkflow",
    "getWorkflow",
    "updateWorkflow",
    "deleteWorkflow",
    "listWorkflows",
    "trackAnalytics",
];

/// How both clients are configured: every identity header, plus `x-user-id` as a custom
/// header of the official client (it has no option for it) and `user_id` of the SDK.
pub(super) const TOKEN: &str = "bp_pat_cross_client";
pub(super) const BOT: &str = "bot_01J5Q8ZK3V7X2M4N6P8R0T2W4Y";
pub(super) const INTEGRATION: &str = "intg_01J5Q8ZK3V7X2M4N6P8R0T2W4Y";
pub(super) const ALIAS: &str = "my-alias";
pub(super) const WORKSPACE: &str = "wkspace_01J5Q8ZK3V7X2M4N6P8R0T2W4Y";

/// Where the recorder's `upsertFile` answer tells the clients to `PUT` the content.
const UPLOAD_PATH: &str = "/upload/bot%2Ffiles%2Fdocs%2B1?X-Amz-Signature=abc%2Fdef%3D&x=a%20b";
/// The marker path the node script requests before each case (not a client request).
const MARKER: &str = "/__cross-client/case/";

/// One case: a documented method and its input in the TypeScript client's shape.
#[derive(Clone, Debug)]
pub(super) struct XCase {
    pub method: &'static str,
    /// What the case exercises.
    pub name: &'static str,
    pub input: Value,
}

fn case(method: &'static str, name: &'static str, input: Value) -> XCase {
    XCase {
        method,
        name,
        input,
    }
}

impl XCase {
    /// `method [name]`, as failures name the case.
    pub(super) fn label(&self) -> String {
        format!("{} [{}]", self.method, self.name)
    }
}

/// A state id needing encoding in a path segment, with the characters `encodeURIComponent`
/// keeps literal.
const STATE_ID: &str = "conv 1/ü!*()'~.";

/// Every case, grouped as the docs page groups the methods.
pub(super) fn all() -> Vec<XCase> {
    vec![
        // ---- conversations (6)
        case(
            "createConversation",
            "channel with a space; unicode, dotted and &= tags",
            json!({"channel": "web chat", "tags": {"lang": "fr", "名前": "é ü", "k.e y": "v&=ü"}}),
        ),
        case(
            "createConversation",
            "empty tags, integration name, properties",
            json!({"channel": "web", "tags": {}, "integrationName": "telegram", "properties": {"tier": "gold"}}),
        ),
        case(
            "getConversation",
            "id needing percent-encoding",
            json!({"id": ODD_ID}),
        ),
        case(
            "listConversations",
            "tags with spaces, dots, =, & and unicode; repeated participantIds; empty channel; dates",
            json!({
                "sortField": "createdAt", "sortDirection": "desc",
                "tags": {"k.e y": "v&=ü", "a=b&c": "x y", "empty": "", "a[0]": "~!*()'"},
                "participantIds": ["u1", "u 2"], "channel": "",
                "afterDate": "2024-01-01T00:00:00.000Z", "beforeDate": "2024-12-31T23:59:59.999+01:00"
            }),
        ),
        case(
            "listConversations",
            "next page: opaque token, page size, message counts, integration name",
            json!({
                "nextToken": "tok/1+2=3 &x", "pageSize": 100, "minMessageCount": 0,
                "maxMessageCount": 10, "integrationName": "telegram", "channel": "web/chat"
            }),
        ),
        case(
            "listConversations",
            "empty tags and empty participantIds send nothing",
            json!({"tags": {}, "participantIds": []}),
        ),
        case(
            "listConversations",
            "one participant",
            json!({"participantIds": ["only"]}),
        ),
        case("listConversations", "no input", json!({})),
        case(
            "updateConversation",
            "empty tag value unsets it",
            json!({"id": ODD_ID, "tags": {"stale": "", "k.e y": "v&=ü"}}),
        ),
        case(
            "updateConversation",
            "empty tags object",
            json!({"id": CONV, "tags": {}}),
        ),
        case(
            "updateConversation",
            "properties only",
            json!({"id": CONV, "properties": {"tier": "gold"}}),
        ),
        case(
            "deleteConversation",
            "DELETE with {}",
            json!({"id": ODD_ID}),
        ),
        case(
            "getOrCreateConversation",
            "discriminated by tags",
            json!({"channel": "dm", "tags": {"ext": "42", "src": "tg"}, "discriminateByTags": ["ext"]}),
        ),
        case(
            "getOrCreateConversation",
            "explicitly empty tags and discriminator (sent, not left out)",
            json!({"channel": "dm", "tags": {}, "discriminateByTags": []}),
        ),
        // ---- messages (5)
        case(
            "createMessage",
            "unicode payload, tags",
            json!({"payload": {"text": "héllo 👋", "n": 1.5, "list": [1, null, "x"]}, "userId": USER, "conversationId": CONV, "type": "text", "tags": {"t": "v"}}),
        ),
        case(
            "createMessage",
            "empty tags, scheduled",
            json!({"payload": {}, "userId": USER, "conversationId": CONV, "type": "text", "tags": {}, "schedule": {"dateTime": "2030-01-01T00:00:00.000Z"}}),
        ),
        case("getMessage", "id", json!({"id": MSG})),
        case(
            "listMessages",
            "tags with dots, =, & and unicode; dates; page",
            json!({
                "conversationId": CONV, "tags": {"k.e y": "v&=ü", "é": "~!*()'"},
                "afterDate": "2024-01-01T00:00:00.000Z", "beforeDate": "2024-02-01T00:00:00+01:00",
                "pageSize": 50, "nextToken": "n/1"
            }),
        ),
        case(
            "updateMessage",
            "tags and payload",
            json!({"id": MSG, "tags": {"seen": "yes", "old": ""}, "payload": {"text": "edited"}}),
        ),
        case("deleteMessage", "DELETE with {}", json!({"id": MSG})),
        // ---- users (6)
        case(
            "createUser",
            "name, picture, unicode tag",
            json!({"tags": {"email": "ada@example.test", "ville": "Zürich"}, "name": "Ada Lovelace", "pictureUrl": "https://example.test/a.png"}),
        ),
        case(
            "createUser",
            "properties and attributes",
            json!({"tags": {}, "properties": {"plan": "pro"}, "attributes": {"age": "42"}}),
        ),
        case("getUser", "id", json!({"id": USER})),
        case(
            "listUsers",
            "every filter",
            json!({
                "conversationId": CONV, "tags": {"email": "ada@example.test"}, "rangeField": "updatedAt",
                "sortField": "createdAt", "sortDirection": "desc", "afterDate": "2024-01-01T00:00:00.000Z",
                "beforeDate": "2025-01-01T00:00:00.000Z", "pageSize": 100, "nextToken": "tok=="
            }),
        ),
        case(
            "updateUser",
            "explicit null name and picture, empty tag",
            json!({"id": USER, "name": null, "pictureUrl": null, "tags": {"a": ""}}),
        ),
        case(
            "updateUser",
            "new name, empty string picture",
            json!({"id": USER, "name": "Ada", "pictureUrl": ""}),
        ),
        case("deleteUser", "DELETE with {}", json!({"id": USER})),
        case(
            "getOrCreateUser",
            "discriminated by tags",
            json!({"tags": {"ext": "u1"}, "name": "Ada", "discriminateByTags": ["ext"]}),
        ),
        // ---- events (3)
        case(
            "createEvent",
            "scheduled with a delay, nested null",
            json!({"type": "reminder", "payload": {"n": 1, "nested": {"é": null}}, "schedule": {"delay": 60000}, "conversationId": CONV, "userId": USER}),
        ),
        case("getEvent", "id", json!({"id": EVT})),
        case(
            "listEvents",
            "every filter",
            json!({
                "type": "reminder", "conversationId": CONV, "userId": USER, "messageId": MSG,
                "workflowId": WFL, "status": "scheduled", "pageSize": 20, "nextToken": "a b"
            }),
        ),
        // ---- states (4)
        case(
            "getState",
            "id and name needing percent-encoding",
            json!({"type": "conversation", "id": STATE_ID, "name": "st ate/é"}),
        ),
        case(
            "setState",
            "null payload deletes",
            json!({"type": "conversation", "id": STATE_ID, "name": "st", "payload": null}),
        ),
        case(
            "setState",
            "payload and maximum expiry",
            json!({"type": "user", "id": USER, "name": "st", "payload": {"step": 1, "ü": [null, true]}, "expiry": 2_592_000_000_u64}),
        ),
        case(
            "setState",
            "explicit null expiry",
            json!({"type": "bot", "id": BOT, "name": "cfg", "payload": {}, "expiry": null}),
        ),
        case(
            "getOrSetState",
            "payload and expiry",
            json!({"type": "user", "id": USER, "name": "profile", "payload": {"visits": 1}, "expiry": 3_600_000}),
        ),
        case(
            "patchState",
            "payload merge",
            json!({"type": "workflow", "id": WFL, "name": "st", "payload": {"step": 2, "gone": null}}),
        ),
        case(
            "patchState",
            "explicit null expiry",
            json!({"type": "integration", "id": INTEGRATION, "name": "st", "payload": {"step": 2}, "expiry": null}),
        ),
        // ---- actions (1)
        case(
            "callAction",
            "action with input",
            json!({"type": "github:createIssue", "input": {"title": "bug é", "labels": ["a", "b"]}}),
        ),
        // ---- files (5)
        case(
            "uploadFile",
            "string content, public immediately, tags",
            json!({
                "key": "docs/hello wörld.txt", "content": "hello wörld é 日本 👋\n",
                "tags": {"a": "b", "k.e y": "v&=ü"}, "accessPolicies": ["public_content"],
                "contentType": "text/plain", "publicContentImmediatelyAccessible": true, "index": false
            }),
        ),
        case(
            "uploadFile",
            "minimal: no x-amz-tagging",
            json!({"key": "data.csv", "content": "a,b\n1,2\n", "contentType": "text/csv; charset=utf-8"}),
        ),
        case(
            "getFile",
            "key with a slash",
            json!({"id": "docs/hello.txt"}),
        ),
        case(
            "listFiles",
            "tag OR, not and not-any; ids; false; page",
            json!({
                "tags": {"a": ["x", "y"], "b": {"not": "z"}, "c": {"not": ["p", "q"]}, "d e": "f&g"},
                "ids": ["f1", "f2"], "indexed": false, "pageSize": 5, "nextToken": "t+1",
                "sortField": "createdAt", "sortDirection": "asc"
            }),
        ),
        case("listFiles", "empty ids send nothing", json!({"ids": []})),
        case("listFiles", "one id", json!({"ids": ["only"]})),
        case(
            "deleteFile",
            "key needing encoding",
            json!({"id": "docs/hello wörld.txt"}),
        ),
        case(
            "upsertFile",
            "every field, false booleans, null metadata value",
            json!({
                "key": "docs/hello.txt", "tags": {"a": "b"}, "size": 11, "index": false,
                "accessPolicies": ["public_content", "integrations"], "contentType": "text/plain",
                "expiresAt": "2030-01-01T00:00:00.000Z", "publicContentImmediatelyAccessible": false,
                "metadata": {"source": "test", "gone": null, "n": 2}
            }),
        ),
        case(
            "upsertFile",
            "key and size only",
            json!({"key": FILE, "size": 0}),
        ),
        // ---- tables (6)
        case(
            "createTableRows",
            "numbers that only a correctly rounded parser keeps",
            json!({"table": "ordersTable", "rows": [{"big": 1.2345678901234568e20, "tenth": 0.1, "third": 0.3333333333333333, "tiny": 5e-324, "neg": -1.7976931348623157e308}]}),
        ),
        case(
            "createTableRows",
            "null cell, decimal, wait",
            json!({"table": "ordersTable", "rows": [{"name": "a", "total": 12.5}, {"name": null, "total": 0}], "waitComputed": false}),
        ),
        case(
            "getTableRow",
            "table name with a space, id in the query",
            json!({"table": "my Table", "id": 42}),
        ),
        case(
            "findTableRows",
            "nested filter, group, search, select, order, maximum limit",
            json!({
                "table": "leadsTable", "limit": 1000, "offset": 0,
                "filter": {"$and": [{"age": {"$gte": 18}}, {"$or": [{"name": {"$in": ["a", "b"]}}, {"name": {"$regex": "^é", "$options": "i"}}]}]},
                "group": {"someId": "key", "orders": ["sum", "avg"]},
                "search": "foo & bar", "select": ["name", "attributes.price"], "orderBy": "createdAt", "orderDirection": "desc"
            }),
        ),
        case(
            "findTableRows",
            "table only: body {}",
            json!({"table": "my Table"}),
        ),
        case(
            "updateTableRows",
            "by id, wait computed",
            json!({"table": "ordersTable", "rows": [{"id": 1, "total": 10, "note": null}], "waitComputed": true}),
        ),
        case(
            "upsertTableRows",
            "key column",
            json!({"table": "ordersTable", "rows": [{"name": "a", "total": 3}, {"id": 7, "name": "b"}], "keyColumn": "name", "waitComputed": false}),
        ),
        case(
            "deleteTableRows",
            "by ids",
            json!({"table": "ordersTable", "ids": [1, 2, 3]}),
        ),
        case(
            "deleteTableRows",
            "by filter",
            json!({"table": "ordersTable", "filter": {"total": {"$lt": 0}}}),
        ),
        case(
            "deleteTableRows",
            "all rows",
            json!({"table": "ordersTable", "deleteAllRows": true}),
        ),
        // ---- workflows (5)
        case(
            "createWorkflow",
            "pending with input, tags and timeout",
            json!({
                "name": "onboarding", "input": {"step": 1}, "status": "pending", "tags": {"k": "v"},
                "conversationId": CONV, "userId": USER, "timeoutAt": "2030-01-01T00:00:00.000Z"
            }),
        ),
        case("getWorkflow", "id", json!({"id": WFL})),
        case(
            "updateWorkflow",
            "completed with output",
            json!({"id": WFL, "status": "completed", "output": {"ok": true}}),
        ),
        case(
            "updateWorkflow",
            "failed with a reason, tags",
            json!({"id": WFL, "status": "failed", "failureReason": "timeout é", "tags": {"x": ""}}),
        ),
        case("deleteWorkflow", "DELETE with {}", json!({"id": WFL})),
        case(
            "listWorkflows",
            "repeated statuses, tags, every filter",
            json!({
                "statuses": ["pending", "in_progress"], "tags": {"x": "y z"}, "conversationId": CONV,
                "userId": USER, "parentWorkflowId": WFL, "name": "onboarding", "pageSize": 10, "nextToken": "t"
            }),
        ),
        // ---- analytics (1)
        case(
            "trackAnalytics",
            "name and count",
            json!({"name": "signup é", "count": 3}),
        ),
    ]
}

// ---------------------------------------------------------------------------------------
// The SDK side

/// A case's input being consumed by the SDK call: parameters are taken out by name, the
/// rest is the body; a field left over is a failure of the case table.
struct Input {
    label: String,
    map: Map<String, Value>,
}

impl Input {
    /// Takes `key` as a `T`, if present.
    fn opt<T: DeserializeOwned>(&mut self, key: &str) -> Option<T> {
        let value = self.map.remove(key)?;
        Some(serde_json::from_value(value.clone()).unwrap_or_else(|e| {
            panic!(
                "{}: `{key}` = {value} does not fit {}: {e}",
                self.label,
                std::any::type_name::<T>()
            )
        }))
    }

    /// Takes `key`, which must be present.
    fn need<T: DeserializeOwned>(&mut self, key: &str) -> T {
        self.opt(key)
            .unwrap_or_else(|| panic!("{}: `{key}` is required", self.label))
    }

    /// The remaining fields as the generated body type `T`.
    fn body<T: DeserializeOwned>(&mut self) -> T {
        let rest = Value::Object(std::mem::take(&mut self.map));
        serde_json::from_value(rest.clone()).unwrap_or_else(|e| {
            panic!(
                "{}: the body {rest} does not fit {}: {e}",
                self.label,
                std::any::type_name::<T>()
            )
        })
    }

    /// Every field was used.
    fn done(&self) {
        assert!(
            self.map.is_empty(),
            "{}: input fields with no SDK parameter: {:?}",
            self.label,
            self.map.keys().collect::<Vec<_>>()
        );
    }
}

/// `tags` query filters (`{key: value}`) as the SDK's [`types::TagsFilter`].
struct Tags(types::TagsFilter);

impl<'de> Deserialize<'de> for Tags {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<String, String>::deserialize(d)?;
        Ok(Self(map.into_iter().collect()))
    }
}

impl IntoIterator for Tags {
    type Item = (String, String);
    type IntoIter = <types::TagsFilter as IntoIterator>::IntoIter;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// The typed `afterDate`/`beforeDate` query parameters.
type DateTime = chrono::DateTime<chrono::Utc>;

/// One or several strings.
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// A `listFiles` tag condition in the official client's shape.
#[derive(Deserialize)]
#[serde(untagged)]
enum FileTag {
    Is(OneOrMany),
    Not { not: OneOrMany },
}

/// `listFiles` `tags` as the SDK's [`types::FileTagsFilter`].
struct FileTags(types::FileTagsFilter);

impl<'de> Deserialize<'de> for FileTags {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<String, FileTag>::deserialize(d)?;
        Ok(Self(map.into_iter().fold(
            types::FileTagsFilter::new(),
            |f, (k, tag)| match tag {
                FileTag::Is(OneOrMany::One(v)) => f.tag(k, v),
                FileTag::Is(OneOrMany::Many(v)) => f.any_of(k, v),
                FileTag::Not {
                    not: OneOrMany::One(v),
                } => f.not(k, v),
                FileTag::Not {
                    not: OneOrMany::Many(v),
                } => f.none_of(k, v),
            },
        )))
    }
}

impl From<FileTags> for types::FileTagsFilter {
    fn from(t: FileTags) -> Self {
        t.0
    }
}

/// `c.$op()`, then each named input field through its setter as the given type, then the
/// remaining fields as the body (when the operation has one), then sent.
macro_rules! sdk {
    ($c:ident . $op:ident ($i:ident) $(, $key:literal => $setter:ident : $ty:ty)*
        $(; body $body:ty)?) => {{
        #[allow(unused_mut)]
        let mut b = $c.$op();
        $(
            if let Some(v) = $i.opt::<$ty>($key) {
                b = b.$setter(v);
            }
        )*
        $(
            b = b.body($i.body::<$body>());
        )?
        $i.done();
        sent(b.send().await)
    }};
}

/// The state path parameters, the same for the four state methods.
macro_rules! state {
    ($c:ident . $op:ident ($i:ident) $(; body $body:ty)?) => {
        sdk!($c.$op($i), "type" => type_: types::StateType, "id" => id: String, "name" => name: String
            $(; body $body)?)
    };
}

/// Calls the SDK for `case`: the builder of its method, parameters and body from its input.
pub(super) async fn sdk_call(c: &Client, case: &XCase) -> Sent {
    let Value::Object(map) = case.input.clone() else {
        panic!("{}: the input is not an object", case.label())
    };
    let i = &mut Input {
        label: case.label(),
        map,
    };
    match case.method {
        "createConversation" => sdk!(c.create_conversation(i); body types::CreateConversationBody),
        "getConversation" => sdk!(c.get_conversation(i), "id" => id: String),
        "listConversations" => sdk!(c.list_conversations(i),
            "nextToken" => next_token: String, "pageSize" => page_size: i32,
            "sortField" => sort_field: types::SortField,
            "sortDirection" => sort_direction: types::SortDirection,
            "tags" => tags: Tags, "participantIds" => participant_ids: Vec<String>,
            "integrationName" => integration_name: String, "channel" => channel: String,
            "afterDate" => after_date: DateTime, "beforeDate" => before_date: DateTime,
            "minMessageCount" => min_message_count: i64, "maxMessageCount" => max_message_count: i64),
        "updateConversation" => {
            sdk!(c.update_conversation(i), "id" => id: String; body types::UpdateConversationBody)
        }
        "deleteConversation" => sdk!(c.delete_conversation(i), "id" => id: String),
        "getOrCreateConversation" => {
            sdk!(c.get_or_create_conversation(i); body types::GetOrCreateConversationBody)
        }
        "createMessage" => sdk!(c.create_message(i); body types::CreateMessageBody),
        "getMessage" => sdk!(c.get_message(i), "id" => id: String),
        "listMessages" => sdk!(c.list_messages(i),
            "nextToken" => next_token: String, "pageSize" => page_size: i32,
            "conversationId" => conversation_id: String, "tags" => tags: Tags,
            "afterDate" => after_date: DateTime, "beforeDate" => before_date: DateTime),
        "updateMessage" => {
            sdk!(c.update_message(i), "id" => id: String; body types::UpdateMessageBody)
        }
        "deleteMessage" => sdk!(c.delete_message(i), "id" => id: String),
        "createUser" => sdk!(c.create_user(i); body types::CreateUserBody),
        "getUser" => sdk!(c.get_user(i), "id" => id: String),
        "listUsers" => sdk!(c.list_users(i),
            "nextToken" => next_token: String, "pageSize" => page_size: i32,
            "conversationId" => conversation_id: String, "tags" => tags: Tags,
            "rangeField" => range_field: types::SortField,
            "sortField" => sort_field: types::SortField,
            "sortDirection" => sort_direction: types::SortDirection,
            "afterDate" => after_date: DateTime, "beforeDate" => before_date: DateTime),
        "updateUser" => sdk!(c.update_user(i), "id" => id: String;
            body types::UpdateUserBody),
        "deleteUser" => sdk!(c.delete_user(i), "id" => id: String),
        "getOrCreateUser" => sdk!(c.get_or_create_user(i); body types::GetOrCreateUserBody),
        "createEvent" => sdk!(c.create_event(i); body types::CreateEventBody),
        "getEvent" => sdk!(c.get_event(i), "id" => id: String),
        "listEvents" => sdk!(c.list_events(i),
            "nextToken" => next_token: String, "pageSize" => page_size: i32,
            "type" => type_: String, "conversationId" => conversation_id: String,
            "userId" => user_id: String, "messageId" => message_id: String,
            "workflowId" => workflow_id: String, "status" => status: types::EventStatus),
        "getState" => state!(c.get_state(i)),
        "setState" => state!(c.set_state(i); body types::SetStateBody),
        "getOrSetState" => state!(c.get_or_set_state(i); body types::GetOrSetStateBody),
        "patchState" => state!(c.patch_state(i); body types::PatchStateBody),
        "callAction" => sdk!(c.call_action(i); body types::CallActionBody),
        "uploadFile" => {
            let key: String = i.need("key");
            let content: String = i.need("content");
            i.map.insert("key".into(), json!(key));
            i.map.insert("size".into(), json!(content.len()));
            let body: types::UpsertFileBody = i.body();
            i.done();
            let uploaded = c
                .upload_file(key, content)
                .body_map(|_| body.into())
                .send()
                .await;
            Sent {
                result: uploaded
                    .map(|f| serde_json::to_value(f).expect("re-encode file"))
                    .map_err(|e| e.to_string()),
            }
        }
        "getFile" => sdk!(c.get_file(i), "id" => id: String),
        "listFiles" => sdk!(c.list_files(i),
            "nextToken" => next_token: String, "pageSize" => page_size: i32,
            "sortField" => sort_field: types::ListFilesSortField,
            "sortDirection" => sort_direction: types::SortDirection,
            "tags" => tags: FileTags, "ids" => ids: Vec<String>, "indexed" => indexed: bool),
        "deleteFile" => sdk!(c.delete_file(i), "id" => id: String),
        "upsertFile" => sdk!(c.upsert_file(i); body types::UpsertFileBody),
        "createTableRows" => {
            sdk!(c.create_table_rows(i), "table" => table: String; body types::CreateTableRowsBody)
        }
        "getTableRow" => sdk!(c.get_table_row(i), "table" => table: String, "id" => id: i64),
        "findTableRows" => {
            sdk!(c.find_table_rows(i), "table" => table: String; body types::FindTableRowsBody)
        }
        "updateTableRows" => {
            sdk!(c.update_table_rows(i), "table" => table: String; body types::UpdateTableRowsBody)
        }
        "upsertTableRows" => {
            sdk!(c.upsert_table_rows(i), "table" => table: String; body types::UpsertTableRowsBody)
        }
        "deleteTableRows" => {
            sdk!(c.delete_table_rows(i), "table" => table: String; body types::DeleteTableRowsBody)
        }
        "createWorkflow" => sdk!(c.create_workflow(i); body types::CreateWorkflowBody),
        "getWorkflow" => sdk!(c.get_workflow(i), "id" => id: String),
        "updateWorkflow" => {
            sdk!(c.update_workflow(i), "id" => id: String; body types::UpdateWorkflowBody)
        }
        "deleteWorkflow" => sdk!(c.delete_workflow(i), "id" => id: String),
        "listWorkflows" => sdk!(c.list_workflows(i),
            "nextToken" => next_token: String, "pageSize" => page_size: i32,
            "conversationId" => conversation_id: String, "userId" => user_id: String,
            "parentWorkflowId" => parent_workflow_id: String, "name" => name: String,
            "statuses" => statuses: Vec<types::WorkflowStatus>, "tags" => tags: Tags),
        "trackAnalytics" => sdk!(c.track_analytics(i); body types::TrackAnalyticsBody),
        other => panic!("{}: no SDK call for the method {other}", case.label()),
    }
}

/// The SDK client, configured like the official client of the node script.
pub(super) fn sdk_client(base_url: &str) -> Client {
    Client::builder()
        .base_url(base_url)
        .token(TOKEN)
        .bot_id(BOT)
        .integration_id(INTEGRATION)
        .integration_alias(ALIAS)
        .workspace_id(WORKSPACE)
        .user_id(USER)
        .build()
        .expect("client")
}

/// The official client's configuration (`new Client(config)` in the node script).
fn ts_config(base_url: &str) -> Value {
    json!({
        "apiUrl": base_url, "token": TOKEN, "botId": BOT, "integrationId": INTEGRATION,
        "integrationAlias": ALIAS, "workspaceId": WORKSPACE, "headers": {"x-user-id": USER}
    })
}

// ---------------------------------------------------------------------------------------
// The recorder's answers

/// The answer to any request: a marker or the content `PUT` gets an empty 200; an API
/// request gets its operation's success status and a response synthesised from our
/// document (for `upsertFile`, with `uploadUrl` pointing back here and the request's
/// content type).
fn respond(spec: &Spec, request: &Recorded) -> Canned {
    if request.target.starts_with(MARKER) || request.target.starts_with("/upload/") {
        return Canned {
            status: 200,
            headers: vec![],
            body: Vec::new(),
        };
    }
    let Some(op) = spec.route(&request.method, request.path()) else {
        return Canned::json(
            404,
            &json!({"id": "err_20240101000000x00000000", "code": 404, "type": "ResourceNotFound",
                    "message": format!("no operation for {}", request.line())}),
        );
    };
    let mut body = spec.example(
        &op.response,
        Mode {
            unknown_fields: false,
            unknown_enum_values: false,
        },
    );
    if op.id == "upsertFile" {
        let host = request.header("host").unwrap_or("127.0.0.1");
        let sent: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        body["file"]["uploadUrl"] = json!(format!("http://{host}{UPLOAD_PATH}"));
        body["file"]["key"] = sent["key"].clone();
        body["file"]["contentType"] = sent
            .get("contentType")
            .cloned()
            .unwrap_or_else(|| json!("application/octet-stream"));
    }
    Canned::json(op.success, &body)
}

// ---------------------------------------------------------------------------------------
// The comparison

/// What a header is expected to be on one side of a listed difference.
#[derive(Clone, Copy, Debug)]
pub(super) enum Expect {
    Absent,
    Exactly(&'static str),
    Prefix(&'static str),
}

impl Expect {
    fn matches(self, value: Option<&str>) -> bool {
        match (self, value) {
            (Expect::Absent, None) => true,
            (Expect::Exactly(e), Some(v)) => v == e,
            (Expect::Prefix(p), Some(v)) => v.starts_with(p),
            _ => false,
        }
    }
}

/// Which requests a header exception applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Scope {
    /// Requests to the API (`/v1/...`).
    Api,
    /// `uploadFile`'s content `PUT` to the upload URL.
    Upload,
}

impl Scope {
    fn of(request: &Recorded) -> Self {
        if request.path().starts_with("/v1/") {
            Scope::Api
        } else {
            Scope::Upload
        }
    }
}

/// A header whose values are allowed to differ on some requests, with the exact value each
/// client sends there.
pub(super) struct HeaderException {
    pub name: &'static str,
    pub scope: Scope,
    pub ts: Expect,
    pub sdk: Expect,
    pub reason: &'static str,
}

const AXIOS_ACCEPT: &str = "application/json, text/plain, */*";

/// The listed header differences: transport headers each HTTP stack sets for itself.
pub(super) const HEADER_EXCEPTIONS: &[HeaderException] = &[
    HeaderException {
        name: "user-agent",
        scope: Scope::Api,
        ts: Expect::Prefix("axios/"),
        sdk: Expect::Exactly(botpress::config::DEFAULT_USER_AGENT),
        reason: "each client identifies itself (the SDK sends its crate name and version, \
                 @botpress/client 1.45.0 sends axios's)",
    },
    HeaderException {
        name: "user-agent",
        scope: Scope::Upload,
        ts: Expect::Prefix("axios/"),
        sdk: Expect::Absent,
        reason: "the SDK's content PUT goes through the bare HTTP client, without any header of the API transport \
                 (@botpress/client 1.45.0's uploadFile sends no auth, identity or custom headers on the upload); the pre-signed URL \
                 needs none",
    },
    HeaderException {
        name: "accept",
        scope: Scope::Api,
        ts: Expect::Exactly(AXIOS_ACCEPT),
        sdk: Expect::Exactly("application/json"),
        reason: "axios's default Accept; the SDK asks for the JSON the API answers (@botpress/client 1.45.0's transport headers)",
    },
    HeaderException {
        name: "accept",
        scope: Scope::Upload,
        ts: Expect::Exactly(AXIOS_ACCEPT),
        sdk: Expect::Exactly("*/*"),
        reason: "axios's default Accept; the bare HTTP client's default on the content PUT, whose answer is not read",
    },
    HeaderException {
        name: "accept-encoding",
        scope: Scope::Api,
        ts: Expect::Exactly("gzip, compress, deflate, br"),
        sdk: Expect::Absent,
        reason: "axios asks for compressed answers; the SDK's HTTP stack is built without decompression, so it asks for none",
    },
    HeaderException {
        name: "accept-encoding",
        scope: Scope::Upload,
        ts: Expect::Exactly("gzip, compress, deflate, br"),
        sdk: Expect::Absent,
        reason: "as on API requests: the SDK's HTTP stack asks for no compression",
    },
    HeaderException {
        name: "connection",
        scope: Scope::Api,
        ts: Expect::Exactly("keep-alive"),
        sdk: Expect::Absent,
        reason: "Node's keep-alive agent says so explicitly; under HTTP/1.1 (the SDK's hyper) keep-alive is the default",
    },
    HeaderException {
        name: "connection",
        scope: Scope::Upload,
        ts: Expect::Exactly("keep-alive"),
        sdk: Expect::Absent,
        reason: "as on API requests: keep-alive is HTTP/1.1's default",
    },
];

/// A listed body difference: JSON key order.
pub(super) const KEY_ORDER: &str = "the official client writes keys in its generated builder's order, the SDK in its \
     generated type's field order; the service parses JSON, so order carries no meaning. Accepted only when both \
     bodies parse to the same value and each is compact JSON (its length is that of its value re-serialized)";

/// A listed body difference: date-time formatting.
pub(super) const DATE_TIME: &str = "date-time body fields (upsertFile `expiresAt`, createWorkflow `timeoutAt`) are typed in \
     the SDK (`chrono::DateTime<Utc>`, `format: date-time`), so they are sent as their instant in UTC with \
     milliseconds (`2030-01-01T00:00:00.000Z`); the official client sends the caller's string, which may have \
     another offset or precision. Accepted only when both are RFC 3339 date-times of the same instant";

/// A listed query difference: date-time formatting.
pub(super) const QUERY_DATE_TIME: &str = "the `afterDate`/`beforeDate` query parameters are typed in the SDK \
     (`chrono::DateTime<Utc>`), so a caller's `2024-12-31T23:59:59.999+01:00` is sent as its instant in UTC with \
     milliseconds, `2024-12-31T22:59:59.999Z`; the official client sends the caller's string. Accepted only for \
     those parameters, when both values are RFC 3339 date-times of the same instant and every other pair (decoded \
     and raw) is the same";

/// The query parameters of [`QUERY_DATE_TIME`].
const QUERY_DATE_FIELDS: &[&str] = &["afterDate", "beforeDate"];

/// Everything found comparing the cases.
#[derive(Debug, Default)]
pub(super) struct Findings {
    /// One line per difference: `method [case] request n: field: what`.
    pub failures: Vec<String>,
    /// Listed differences seen: what → occurrences.
    pub listed: BTreeMap<String, usize>,
    /// Requests compared (pairs).
    pub requests: usize,
}

/// Percent-decodes `s` (no `+` → space: both clients write spaces as `%20`).
fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// The query's pairs, raw (sorted).
fn raw_pairs(r: &Recorded) -> Vec<String> {
    let mut pairs: Vec<String> = r
        .query()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect();
    pairs.sort();
    pairs
}

/// The query's decoded `(key, value)` pairs as a sorted multiset (`k` and `k=` both give
/// an empty value; the raw comparison tells them apart).
fn decoded_pairs(r: &Recorded) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = r
        .query()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect();
    pairs.sort();
    pairs
}

/// The decoded pairs are the same once each [`QUERY_DATE_FIELDS`] value that is an RFC 3339
/// date-time is read as its instant.
fn same_query_instants(ts: &[(String, String)], sdk: &[(String, String)]) -> bool {
    let instants = |pairs: &[(String, String)]| {
        let mut out: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| {
                let instant = QUERY_DATE_FIELDS
                    .contains(&k.as_str())
                    .then(|| chrono::DateTime::parse_from_rfc3339(v).ok())
                    .flatten()
                    .map(|d| {
                        format!(
                            "instant {}",
                            d.to_utc()
                                .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
                        )
                    });
                (k.clone(), instant.unwrap_or_else(|| v.clone()))
            })
            .collect();
        out.sort();
        out
    };
    instants(ts) == instants(sdk)
}

/// The query's raw pairs (sorted), but those of [`QUERY_DATE_FIELDS`].
fn raw_pairs_but_dates(r: &Recorded) -> Vec<String> {
    raw_pairs(r)
        .into_iter()
        .filter(|p| {
            let key = p.split_once('=').map_or(p.as_str(), |(k, _)| k);
            !QUERY_DATE_FIELDS.contains(&decode(key).as_str())
        })
        .collect()
}

/// Every header's values (joined with `, ` when repeated), by lowercase name.
fn headers(r: &Recorded) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (n, v) in &r.headers {
        out.entry(n.to_ascii_lowercase())
            .and_modify(|e| {
                e.push_str(", ");
                e.push_str(v);
            })
            .or_insert_with(|| v.clone());
    }
    out
}

/// Every place where two JSON values differ: `(path, ts, sdk)`, `None` for absent.
fn json_diffs(
    path: &str,
    ts: &Value,
    sdk: &Value,
    out: &mut Vec<(String, Option<Value>, Option<Value>)>,
) {
    match (ts, sdk) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                let p = format!("{path}.{k}");
                match (a.get(k), b.get(k)) {
                    (Some(x), Some(y)) => json_diffs(&p, x, y, out),
                    (x, y) => out.push((p, x.cloned(), y.cloned())),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (n, (x, y)) in a.iter().zip(b).enumerate() {
                json_diffs(&format!("{path}[{n}]"), x, y, out);
            }
        }
        _ if ts == sdk => {}
        _ => out.push((path.to_string(), Some(ts.clone()), Some(sdk.clone()))),
    }
}

fn show(v: &Option<Value>) -> String {
    v.as_ref()
        .map_or_else(|| "absent".to_string(), Value::to_string)
}

/// Compares the requests the two clients sent for one case; adds to `findings`.
pub(super) fn compare(label: &str, ts: &[Recorded], sdk: &[Recorded], findings: &mut Findings) {
    if ts.len() != sdk.len() {
        findings.failures.push(format!(
            "{label}: request count: TS sent {} ({:?}), SDK sent {} ({:?})",
            ts.len(),
            ts.iter().map(Recorded::line).collect::<Vec<_>>(),
            sdk.len(),
            sdk.iter().map(Recorded::line).collect::<Vec<_>>()
        ));
        return;
    }
    for (n, (t, s)) in ts.iter().zip(sdk).enumerate() {
        findings.requests += 1;
        let at = format!("{label} request {}", n + 1);
        let mut fail = |field: &str, what: String| {
            findings.failures.push(format!("{at}: {field}: {what}"));
        };
        if t.method != s.method {
            fail("method", format!("TS {}, SDK {}", t.method, s.method));
        }
        let (tp, sp) = (t.path(), s.path());
        let decoded = |p: &str| p.split('/').map(decode).collect::<Vec<_>>();
        if decoded(tp) != decoded(sp) {
            fail(
                "path",
                format!("TS {tp}, SDK {sp} (decoded segments differ)"),
            );
        } else if tp != sp {
            fail(
                "path encoding",
                format!("TS {tp}, SDK {sp} (same decoded segments)"),
            );
        }
        let (tq, sq) = (decoded_pairs(t), decoded_pairs(s));
        if tq != sq && same_query_instants(&tq, &sq) {
            *findings
                .listed
                .entry("query date-time formatting".to_string())
                .or_default() += 1;
            let (tr, sr) = (raw_pairs_but_dates(t), raw_pairs_but_dates(s));
            if tr != sr {
                fail(
                    "query encoding",
                    format!(
                        "same decoded pairs (date-times aside), raw TS `{}`, SDK `{}`",
                        t.query(),
                        s.query()
                    ),
                );
            }
        } else if tq != sq {
            let only_ts: Vec<_> = tq.iter().filter(|p| !sq.contains(p)).collect();
            let only_sdk: Vec<_> = sq.iter().filter(|p| !tq.contains(p)).collect();
            fail(
                "query",
                format!(
                    "decoded pairs only in TS {only_ts:?}, only in SDK {only_sdk:?} (TS `{}`, SDK `{}`)",
                    t.query(),
                    s.query()
                ),
            );
        } else if raw_pairs(t) != raw_pairs(s) {
            fail(
                "query encoding",
                format!(
                    "same decoded pairs, raw TS `{}`, SDK `{}`",
                    t.query(),
                    s.query()
                ),
            );
        }
        let (th, sh) = (headers(t), headers(s));
        let names: BTreeSet<&String> = th.keys().chain(sh.keys()).collect();
        let scope = Scope::of(t);
        for name in names {
            let (tv, sv) = (
                th.get(name).map(String::as_str),
                sh.get(name).map(String::as_str),
            );
            if tv == sv {
                continue;
            }
            let length_of =
                |v: Option<&str>, r: &Recorded| v == Some(r.body.len().to_string().as_str());
            match HEADER_EXCEPTIONS
                .iter()
                .find(|e| e.name == name && e.scope == scope)
            {
                // Derived from the body (compared below): each side states its own body's length.
                _ if name == "content-length" && length_of(tv, t) && length_of(sv, s) => {}
                Some(e) if e.ts.matches(tv) && e.sdk.matches(sv) => {
                    *findings
                        .listed
                        .entry(format!("header {name} ({scope:?})"))
                        .or_default() += 1;
                }
                _ if name == "authorization" => fail(
                    "header authorization",
                    format!(
                        "differs (values redacted; TS {}, SDK {})",
                        if tv.is_some() { "sent" } else { "absent" },
                        if sv.is_some() { "sent" } else { "absent" }
                    ),
                ),
                _ => fail(&format!("header {name}"), format!("TS {tv:?}, SDK {sv:?}")),
            }
        }
        compare_bodies(t, s, &mut fail, &mut findings.listed);
    }
}

fn compare_bodies(
    t: &Recorded,
    s: &Recorded,
    fail: &mut impl FnMut(&str, String),
    listed: &mut BTreeMap<String, usize>,
) {
    if t.body == s.body {
        return;
    }
    let json = |r: &Recorded| {
        r.header("content-type")
            .is_some_and(|c| c.starts_with("application/json"))
            .then(|| serde_json::from_slice::<Value>(&r.body).ok())
            .flatten()
    };
    let (Some(tv), Some(sv)) = (json(t), json(s)) else {
        return fail(
            "body bytes",
            format!(
                "TS {:?}, SDK {:?}",
                String::from_utf8_lossy(&t.body),
                String::from_utf8_lossy(&s.body)
            ),
        );
    };
    let mut diffs = Vec::new();
    json_diffs("body", &tv, &sv, &mut diffs);
    let mut dates = 0;
    for (path, a, b) in &diffs {
        if same_instant(a, b) {
            dates += 1;
        } else {
            fail(path, format!("TS {}, SDK {}", show(a), show(b)));
        }
    }
    if dates > 0 {
        *listed
            .entry("body date-time formatting".to_string())
            .or_default() += 1;
    } else if diffs.is_empty() {
        let compact =
            |v: &Value, r: &Recorded| serde_json::to_vec(v).expect("json").len() == r.body.len();
        if compact(&tv, t) && compact(&sv, s) {
            *listed.entry("body JSON key order".to_string()).or_default() += 1;
        } else {
            fail(
                "body bytes",
                format!(
                    "same JSON value, other formatting: TS {:?}, SDK {:?}",
                    String::from_utf8_lossy(&t.body),
                    String::from_utf8_lossy(&s.body)
                ),
            );
        }
    }
}

/// Both are RFC 3339 date-time strings of the same instant.
fn same_instant(a: &Option<Value>, b: &Option<Value>) -> bool {
    let instant = |v: &Option<Value>| {
        v.as_ref()
            .and_then(Value::as_str)
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
    };
    matches!((instant(a), instant(b)), (Some(x), Some(y)) if x == y)
}

// ---------------------------------------------------------------------------------------
// The run

/// What one run found.
#[derive(Debug, Default)]
pub(super) struct Report {
    /// Cases run.
    pub cases: usize,
    /// Differences and listed differences.
    pub findings: Findings,
    /// Documented methods whose every case agrees.
    pub agreeing: BTreeSet<String>,
    /// Documented methods without a case.
    pub missing: Vec<String>,
    /// Methods of cases that are not documented.
    pub unknown: Vec<String>,
    /// Seconds for the whole run (both clients and the comparison).
    pub secs: f64,
}

impl Report {
    /// `cross-client (official TS client vs SDK): 42/42 documented methods agree (N listed differences)`.
    pub(super) fn summary(&self) -> String {
        // Kinds: a header listed for API requests and for the upload PUT counts once.
        let listed = self
            .findings
            .listed
            .keys()
            .map(|k| k.split(" (").next().unwrap_or(k))
            .collect::<BTreeSet<_>>()
            .len();
        format!(
            "cross-client (official TS client vs SDK): {}/{} documented methods agree ({listed} listed differences; {} cases, {} requests compared, {:.1}s)",
            self.agreeing.len(),
            DOCUMENTED.len(),
            self.cases,
            self.findings.requests,
            self.secs
        )
    }
}

/// The documented methods without a case, and the case methods that are not documented.
pub(super) fn coverage(cases: &[XCase]) -> (Vec<String>, Vec<String>) {
    let have: BTreeSet<&str> = cases.iter().map(|c| c.method).collect();
    let missing = DOCUMENTED
        .iter()
        .filter(|m| !have.contains(*m))
        .map(|m| m.to_string())
        .collect();
    let unknown = have
        .iter()
        .filter(|m| !DOCUMENTED.contains(m))
        .map(|m| m.to_string())
        .collect();
    (missing, unknown)
}

/// The requests of each case, in case order, from a recording split at the node script's
/// markers.
fn split_at_markers(recorded: Vec<Recorded>, cases: usize) -> Vec<Vec<Recorded>> {
    let mut out: Vec<Vec<Recorded>> = vec![Vec::new(); cases];
    let mut current: Option<usize> = None;
    for r in recorded {
        if let Some(n) = r.target.strip_prefix(MARKER) {
            current = Some(n.parse().expect("marker index"));
        } else {
            let n = current.expect("a request before the first marker");
            out[n].push(r);
        }
    }
    out
}

/// Runs every case through both clients and compares; `mutate` may change the SDK's
/// recorded requests of a case before the comparison (for the negative test).
pub(super) async fn run(tools: &NodeTools, mutate: impl Fn(&XCase, &mut Vec<Recorded>)) -> Report {
    let started = Instant::now();
    let cases = all();
    let spec = std::sync::Arc::new(Spec::load());
    let answers = spec.clone();
    let server = Recorder::answering(move |r, _| respond(&answers, r)).await;
    let (missing, unknown) = coverage(&cases);
    let mut report = Report {
        cases: cases.len(),
        missing,
        unknown,
        ..Report::default()
    };

    // The official client, all cases in one node process.
    // One file per server: tests run in parallel, each with its own recorder.
    let port = server.base_url.rsplit(':').next().unwrap_or("0");
    let file = super::tmp(&format!("cross-client-cases-{port}.json"));
    let input = json!({
        "config": ts_config(&server.base_url),
        "cases": cases.iter().enumerate().map(|(n, c)| json!({"index": n, "method": c.method, "input": c.input})).collect::<Vec<_>>(),
    });
    std::fs::write(&file, serde_json::to_vec(&input).expect("json")).expect("write cases");
    let stdout = tools.run("cross-client.mjs", &[file.as_os_str()]).await;
    let mut ts_errors: BTreeMap<usize, String> = BTreeMap::new();
    let mut ts_done = BTreeSet::new();
    for line in stdout.lines() {
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("cross-client.mjs printed a non-JSON line ({e}): {line}"));
        let n = v["index"].as_u64().expect("index") as usize;
        ts_done.insert(n);
        if v["ok"] != true {
            ts_errors.insert(n, v["error"].as_str().unwrap_or("?").to_string());
        }
    }
    let ts_requests = split_at_markers(server.take(), cases.len());

    // The SDK, case by case.
    let client = sdk_client(&server.base_url);
    let mut failed_methods = BTreeSet::new();
    for (n, (case, ts)) in cases.iter().zip(ts_requests).enumerate() {
        let label = case.label();
        let before = report.findings.failures.len();
        let outcome = sdk_call(&client, case).await;
        let mut sdk = server.take();
        mutate(case, &mut sdk);
        if !ts_done.contains(&n) {
            report
                .findings
                .failures
                .push(format!("{label}: the official client did not run it"));
        }
        if let Some(e) = ts_errors.get(&n) {
            report
                .findings
                .failures
                .push(format!("{label}: the official client failed: {e}"));
        }
        if let Err(e) = outcome.result {
            report
                .findings
                .failures
                .push(format!("{label}: the SDK failed: {e}"));
        }
        compare(&label, &ts, &sdk, &mut report.findings);
        if report.findings.failures.len() > before {
            failed_methods.insert(case.method);
        }
    }
    report.agreeing = DOCUMENTED
        .iter()
        .filter(|m| cases.iter().any(|c| c.method == **m) && !failed_methods.contains(*m))
        .map(|m| m.to_string())
        .collect();
    report.secs = started.elapsed().as_secs_f64();
    report
}

/// Explains the listed differences seen in a run.
pub(super) fn listed_reasons(report: &Report) -> Vec<String> {
    report
        .findings
        .listed
        .iter()
        .map(|(what, count)| {
            let reason = match what.as_str() {
                "body JSON key order" => KEY_ORDER.to_string(),
                "body date-time formatting" => DATE_TIME.to_string(),
                "query date-time formatting" => QUERY_DATE_TIME.to_string(),
                header => HEADER_EXCEPTIONS
                    .iter()
                    .find(|e| header == format!("header {} ({:?})", e.name, e.scope))
                    .map(|e| format!("TS {:?} vs SDK {:?}: {}", e.ts, e.sdk, e.reason))
                    .unwrap_or_else(|| panic!("no reason for the listed difference {header}")),
            };
            format!("{what} ({count} requests): {reason}")
        })
        .collect()
}
