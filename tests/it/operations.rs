//! Every operation of the document, through the generated client, against a recording
//! server: the exact request line (method, path, query in wire order and encoding), the
//! identity headers, the JSON body, and the decoding of a response synthesised from the
//! document's schema — with a field the document does not declare and an enum value it does
//! not list in every object, as a newer service would send, and the drift events that name
//! exactly those. A coverage check fails if an operation of the document has no case here.

use crate::support;

use std::collections::BTreeSet;

use botpress::{
    Client, Nullable,
    query::{FileTagsFilter, TagsFilter},
    types,
};
use serde_json::{Value, json};
use support::{
    capture::{Capture, capture_at},
    examples::{Mode, Spec},
    recorder::{Canned, Recorded, Recorder},
};

const TOKEN: &str = "bp_pat_s3cr3t";
const BOT: &str = "bot_01HXYZ";

struct Harness {
    spec: Spec,
    server: Recorder,
    covered: BTreeSet<String>,
    /// The `botpress::drift` events logged, and how much of it was checked.
    drift: Capture,
    drift_seen: usize,
    /// The drift reported so far, by operation: field paths, and `=value` for enum values
    /// (reports are once per operation and field).
    drift_reported: BTreeSet<(String, String)>,
    /// The response last queued.
    wire: Value,
}

impl Harness {
    /// Queues the synthesised response of `op_id` and returns what decoding must yield.
    fn prepare(&mut self, op_id: &str) -> Value {
        let op = self.spec.operation(op_id);
        let wire = self.spec.example(
            &op.response,
            Mode {
                unknown_fields: true,
                unknown_enum_values: true,
            },
        );
        self.server.push(Canned::json(op.success, &wire));
        self.wire = wire;
        self.spec.example(
            &op.response,
            Mode {
                unknown_fields: false,
                unknown_enum_values: true,
            },
        )
    }

    /// Checks the one recorded request and the decoded response.
    fn check(
        &mut self,
        op_id: &str,
        line: &str,
        body: Option<Value>,
        decoded: Value,
        expected: Value,
    ) {
        let requests = self.server.take();
        assert_eq!(requests.len(), 1, "{op_id}: one request");
        let r = &requests[0];
        let op = self.spec.operation(op_id);
        assert_eq!(r.method, op.method, "{op_id}: method");
        assert_eq!(r.line(), line, "{op_id}: request line");
        check_headers(op_id, r);
        match body {
            None => {
                assert!(r.body.is_empty(), "{op_id}: GET sends no body");
                assert_eq!(r.header("content-type"), None, "{op_id}: no content type");
            }
            Some(expected_body) => {
                assert_eq!(
                    r.header("content-type"),
                    Some("application/json"),
                    "{op_id}"
                );
                assert_eq!(r.json(), expected_body, "{op_id}: body");
            }
        }
        assert_eq!(decoded, expected, "{op_id}: decoded response");
        self.check_drift(op_id);
        self.covered.insert(op_id.to_string());
    }

    /// Checks that the drift events of the last response name exactly the fields the
    /// document does not describe (every `someFutureField`, map entries as `*`) and only the
    /// unknown enum value `someFutureValue`.
    fn check_drift(&mut self, op_id: &str) {
        let text = self.drift.text();
        let new = &text[self.drift_seen..];
        self.drift_seen = text.len();
        let mut now = Vec::new();
        for line in new.lines().filter(|l| l.contains("botpress::drift")) {
            let operation = line
                .split("operation=\"")
                .nth(1)
                .and_then(|r| r.split('"').next());
            assert_eq!(
                operation,
                Some(op_id),
                "{op_id}: drift of another call: {line}"
            );
            let what = if let Some(field) = line.split(" field=").nth(1) {
                field.trim().to_string()
            } else if let Some(value) = line.split(" value=\"").nth(1) {
                let name = line
                    .split(" enum=\"")
                    .nth(1)
                    .and_then(|r| r.split('"').next());
                format!(
                    "{}={}",
                    name.unwrap_or_default(),
                    value.trim_end_matches('"')
                )
            } else {
                panic!("{op_id}: not a drift event: {line}");
            };
            assert!(
                self.drift_reported
                    .insert((op_id.to_string(), what.clone())),
                "{op_id}: `{what}` reported twice"
            );
            now.push(what);
        }
        let ever: Vec<&String> = self
            .drift_reported
            .iter()
            .filter(|(op, _)| op == op_id)
            .map(|(_, what)| what)
            .collect();
        let mut expected = BTreeSet::new();
        future_fields(&self.wire, "", &mut expected);
        let sent_unknown_value = self.wire.to_string().contains("\"someFutureValue\"");
        for path in &expected {
            assert!(
                ever.iter().any(|f| drift_path_matches(f, path)),
                "{op_id}: `{path}` is not in the document but was not reported (reported: {ever:?})"
            );
        }
        for what in &now {
            match what.split_once('=') {
                Some((_, value)) => assert!(
                    value == "someFutureValue" && sent_unknown_value,
                    "{op_id}: enum value `{value}` reported, but the document lists it"
                ),
                None => assert!(
                    expected.iter().any(|p| drift_path_matches(what, p)),
                    "{op_id}: `{what}` reported, but the document describes it (expected: {expected:?})"
                ),
            }
        }
        assert!(
            !sent_unknown_value || ever.iter().any(|w| w.ends_with("=someFutureValue")),
            "{op_id}: the unknown enum value was not reported"
        );
    }
}

/// Whether the drift event's field path `reported` names `path`, where a map's entries
/// (`*` in the event) have their keys.
fn drift_path_matches(reported: &str, path: &str) -> bool {
    let (r, p): (Vec<_>, Vec<_>) = (reported.split('.').collect(), path.split('.').collect());
    r.len() == p.len()
        && r.iter()
            .zip(&p)
            .all(|(r, p)| r == p || r.strip_prefix('*').is_some_and(|rest| p.ends_with(rest)))
}

/// The path of every `someFutureField` of `value` (the fields the document does not
/// describe), `.` between fields and `[]` for array items, as the drift events write them.
fn future_fields(value: &Value, at: &str, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                let path = if at.is_empty() {
                    key.clone()
                } else {
                    format!("{at}.{key}")
                };
                if key == "someFutureField" {
                    out.insert(path);
                } else {
                    future_fields(v, &path, out);
                }
            }
        }
        Value::Array(items) => {
            for v in items {
                future_fields(v, &format!("{at}[]"), out);
            }
        }
        _ => {}
    }
}

fn check_headers(op_id: &str, r: &Recorded) {
    assert_eq!(r.header("x-bot-id"), Some(BOT), "{op_id}: x-bot-id");
    assert_eq!(
        r.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str()),
        "{op_id}: authorization"
    );
    assert_eq!(
        r.header("user-agent"),
        Some(concat!("botpress-rust/", env!("CARGO_PKG_VERSION"))),
        "{op_id}: user agent"
    );
    assert_eq!(
        r.header("x-integration-id"),
        None,
        "{op_id}: unset headers stay unsent"
    );
    assert_eq!(
        r.header("api-version"),
        None,
        "{op_id}: no api-version header"
    );
}

/// A call without body: `get!(harness, client, "opId", builder, "GET /line")`.
macro_rules! get {
    ($h:ident, $id:literal, $call:expr, $line:expr) => {{
        let expected = $h.prepare($id);
        let response = $call
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}: {e:?}", $id));
        let decoded = serde_json::to_value(response).expect("encode");
        $h.check($id, &$line, None, decoded, expected);
    }};
}

/// A call whose wire body must equal `$body` (for bodyless DELETEs: `{}`).
macro_rules! send {
    ($h:ident, $id:literal, $call:expr, $line:expr, $body:expr) => {{
        let expected = $h.prepare($id);
        let response = $call
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}: {e:?}", $id));
        let decoded = serde_json::to_value(response).expect("encode");
        $h.check($id, &$line, Some($body), decoded, expected);
    }};
}

/// A call with a JSON body given as the generated body type, built from `$body`.
macro_rules! with_body {
    ($h:ident, $id:literal, $ty:ty, $call:expr, $line:expr, $body:expr) => {{
        let body: Value = $body;
        let typed: $ty = serde_json::from_value(body.clone())
            .unwrap_or_else(|e| panic!("{}: body does not fit the generated type: {e}", $id));
        send!($h, $id, $call.body(typed), $line, body)
    }};
}

/// A client of `server` with [`TOKEN`] and [`BOT`].
fn client(server: &Recorder) -> Client {
    Client::builder()
        .base_url(&server.base_url)
        .token(TOKEN)
        .bot_id(BOT)
        .build()
        .expect("client")
}

fn utc(s: &str) -> chrono::DateTime<chrono::Utc> {
    s.parse().expect("RFC 3339 date-time")
}

#[tokio::test]
async fn every_operation_on_the_wire() {
    let (drift, _guard) = capture_at(tracing::Level::DEBUG);
    let server = Recorder::start().await;
    let client = client(&server);
    let c = &client;
    let mut h = Harness {
        spec: Spec::load(),
        server,
        covered: BTreeSet::new(),
        drift,
        drift_seen: 0,
        drift_reported: BTreeSet::new(),
        wire: Value::Null,
    };
    let id = "conv 1/é+&"; // exercises path encoding everywhere an id goes
    let eid = "conv%201%2F%C3%A9%2B%26";

    // ---- conversations
    send!(
        h,
        "createConversation",
        c.create_conversation()
            .channel("web chat")
            .tags([("lang", "fr")]),
        "POST /v1/chat/conversations",
        json!({"channel": "web chat", "tags": {"lang": "fr"}})
    );
    get!(
        h,
        "listConversations",
        c.list_conversations()
            .page_size(2)
            .sort_field("createdAt")
            .tags(TagsFilter::new().tag("a", "1").tag("b", "x y"))
            .participant_ids(vec!["u1".to_string(), "u2".to_string()])
            .channel("web/chat"),
        "GET /v1/chat/conversations?pageSize=2&sortField=createdAt&tags.a=1&tags.b=x%20y&participantIds=u1&participantIds=u2&channel=web%2Fchat"
    );
    get!(
        h,
        "getConversation",
        c.get_conversation().id(id),
        format!("GET /v1/chat/conversations/{eid}")
    );
    with_body!(
        h,
        "updateConversation",
        types::UpdateConversationBody,
        c.update_conversation().id(id),
        format!("PUT /v1/chat/conversations/{eid}"),
        json!({"tags": {"stale": ""}, "properties": {"tier": "gold"}})
    );
    send!(
        h,
        "deleteConversation",
        c.delete_conversation().id(id),
        format!("DELETE /v1/chat/conversations/{eid}"),
        json!({})
    );
    with_body!(
        h,
        "getOrCreateConversation",
        types::GetOrCreateConversationBody,
        c.get_or_create_conversation(),
        "POST /v1/chat/conversations/get-or-create",
        json!({"channel": "dm", "tags": {"ext": "42", "src": "tg"}, "discriminateByTags": ["ext"]})
    );

    // ---- participants
    get!(
        h,
        "listParticipants",
        c.list_participants().id(id).next_token("tok/1+2=3 &x"),
        format!("GET /v1/chat/conversations/{eid}/participants?nextToken=tok%2F1%2B2%3D3%20%26x")
    );
    with_body!(
        h,
        "addParticipant",
        types::AddParticipantBody,
        c.add_participant().id(id),
        format!("POST /v1/chat/conversations/{eid}/participants"),
        json!({"userId": "user_1"})
    );
    get!(
        h,
        "getParticipant",
        c.get_participant().id(id).user_id("user_1"),
        format!("GET /v1/chat/conversations/{eid}/participants/user_1")
    );
    send!(
        h,
        "removeParticipant",
        c.remove_participant().id(id).user_id("user_1"),
        format!("DELETE /v1/chat/conversations/{eid}/participants/user_1"),
        json!({})
    );

    // ---- events
    with_body!(
        h,
        "createEvent",
        types::CreateEventBody,
        c.create_event(),
        "POST /v1/chat/events",
        json!({"type": "reminder", "payload": {"n": 1}, "schedule": {"delay": 60000}, "conversationId": "conv_1"})
    );
    get!(
        h,
        "listEvents",
        c.list_events()
            .conversation_id("conv_1")
            .status("scheduled")
            .type_("reminder"),
        "GET /v1/chat/events?type=reminder&conversationId=conv_1&status=scheduled"
    );
    get!(
        h,
        "getEvent",
        c.get_event().id("evt_1"),
        "GET /v1/chat/events/evt_1"
    );
    send!(
        h,
        "cancelScheduledEvent",
        c.cancel_scheduled_event().id("evt_1"),
        "DELETE /v1/chat/events/scheduled/evt_1",
        json!({})
    );

    // ---- messages
    with_body!(
        h,
        "createMessage",
        types::CreateMessageBody,
        c.create_message(),
        "POST /v1/chat/messages",
        json!({"payload": {"text": "héllo"}, "userId": "user_1", "conversationId": "conv_1", "type": "text", "tags": {"t": "v"}})
    );
    get!(
        h,
        "listMessages",
        c.list_messages()
            .conversation_id("conv_1")
            .tags(TagsFilter::new().tag("k.e y", "v&=ü"))
            .after_date(utc("2024-01-01T00:00:00Z")),
        "GET /v1/chat/messages?conversationId=conv_1&tags.k.e%20y=v%26%3D%C3%BC&afterDate=2024-01-01T00%3A00%3A00.000Z"
    );
    with_body!(
        h,
        "getOrCreateMessage",
        types::GetOrCreateMessageBody,
        c.get_or_create_message(),
        "POST /v1/chat/messages/get-or-create",
        json!({"payload": {"text": "hi"}, "userId": "user_1", "conversationId": "conv_1", "type": "text", "tags": {"ext": "m1"}, "discriminateByTags": ["ext"]})
    );
    get!(
        h,
        "getMessage",
        c.get_message().id("msg_1"),
        "GET /v1/chat/messages/msg_1"
    );
    with_body!(
        h,
        "updateMessage",
        types::UpdateMessageBody,
        c.update_message().id("msg_1"),
        "PUT /v1/chat/messages/msg_1",
        json!({"tags": {"seen": "yes"}, "payload": {"text": "edited"}})
    );
    send!(
        h,
        "deleteMessage",
        c.delete_message().id("msg_1"),
        "DELETE /v1/chat/messages/msg_1",
        json!({})
    );
    with_body!(
        h,
        "initializeIncomingMessage",
        types::InitializeIncomingMessageBody,
        c.initialize_incoming_message(),
        "POST /v1/chat/initialize-incoming-message",
        json!({
            "user": {"tags": {"ext": "u9"}, "name": "Ada", "discriminateByTags": ["ext"]},
            "conversation": {"channel": "dm", "tags": {"ext": "c9"}, "discriminateByTags": ["ext"]},
            "message": {"payload": {"text": "hi"}, "type": "text", "tags": {"ext": "m9"}, "discriminateByTags": ["ext"]}
        })
    );
    with_body!(
        h,
        "importMessages",
        types::ImportMessagesBody,
        c.import_messages(),
        "POST /v1/chat/messages/import-messages",
        json!({"messages": [{"payload": {"text": "old"}, "userId": "user_1", "conversationId": "conv_1", "type": "text",
            "tags": {"ext": "1"}, "createdAt": "2023-01-01T00:00:00.000Z", "discriminateByTags": ["ext"]}]})
    );

    // ---- users
    with_body!(
        h,
        "createUser",
        types::CreateUserBody,
        c.create_user(),
        "POST /v1/chat/users",
        json!({"tags": {"email": "ada@example.test"}, "name": "Ada", "pictureUrl": "https://example.test/a.png"})
    );
    get!(
        h,
        "listUsers",
        c.list_users()
            .conversation_id("conv_1")
            .range_field("updatedAt")
            .sort_direction("desc"),
        "GET /v1/chat/users?conversationId=conv_1&rangeField=updatedAt&sortDirection=desc"
    );
    get!(
        h,
        "getUser",
        c.get_user().id("user_1"),
        "GET /v1/chat/users/user_1"
    );
    send!(
        h,
        "updateUser",
        c.update_user()
            .id("user_1")
            .name(Nullable::Null)
            .tags([("a", "")]),
        "PUT /v1/chat/users/user_1",
        json!({"tags": {"a": ""}, "name": null})
    );
    send!(
        h,
        "deleteUser",
        c.delete_user().id("user_1"),
        "DELETE /v1/chat/users/user_1",
        json!({})
    );
    with_body!(
        h,
        "getOrCreateUser",
        types::GetOrCreateUserBody,
        c.get_or_create_user(),
        "POST /v1/chat/users/get-or-create",
        json!({"tags": {"ext": "u1"}, "name": "Ada", "discriminateByTags": ["ext"]})
    );

    // ---- states
    let sp = format!("/v1/chat/states/conversation/{eid}/st");
    get!(
        h,
        "getState",
        c.get_state()
            .type_(types::StateType::Conversation)
            .id(id)
            .name("st"),
        format!("GET {sp}")
    );
    send!(
        h,
        "setState",
        c.set_state()
            .type_(types::StateType::Conversation)
            .id(id)
            .name("st")
            .payload(Nullable::<Value>::Null),
        format!("POST {sp}"),
        json!({"payload": null})
    );
    send!(
        h,
        "patchState",
        c.patch_state()
            .type_(types::StateType::Conversation)
            .id(id)
            .name("st")
            .payload(json!({"step": 2}))
            .expiry(Nullable::Null),
        format!("PATCH {sp}"),
        json!({"payload": {"step": 2}, "expiry": null})
    );
    with_body!(
        h,
        "getOrSetState",
        types::GetOrSetStateBody,
        c.get_or_set_state()
            .type_(types::StateType::User)
            .id("user_1")
            .name("profile"),
        "POST /v1/chat/states/user/user_1/profile/get-or-set",
        json!({"payload": {"visits": 1}, "expiry": 3600000})
    );
    with_body!(
        h,
        "setStateExpiry",
        types::SetStateExpiryBody,
        c.set_state_expiry()
            .type_(types::StateType::Bot)
            .id(BOT)
            .name("cfg"),
        format!("POST /v1/chat/states/bot/{BOT}/cfg/expiry"),
        json!({"expiry": null})
    );

    // ---- actions, integrations
    with_body!(
        h,
        "callAction",
        types::CallActionBody,
        c.call_action(),
        "POST /v1/chat/actions",
        json!({"type": "github:createIssue", "input": {"title": "bug"}})
    );
    send!(
        h,
        "configureIntegration",
        c.configure_integration()
            .identifier(Nullable::Null)
            .schedule_register_call(types::ConfigureIntegrationBodyScheduleRegisterCall::Daily),
        "POST /v1/chat/integrations/configure",
        json!({"identifier": null, "scheduleRegisterCall": "daily"})
    );

    // ---- tasks (export only)
    get!(
        h,
        "getTask",
        c.get_task().id("task_1"),
        "GET /v1/chat/tasks/task_1"
    );
    with_body!(
        h,
        "createTask",
        types::CreateTaskBody,
        c.create_task(),
        "POST /v1/chat/tasks",
        json!({"type": "review", "conversationId": "conv_1", "title": "Check"})
    );
    with_body!(
        h,
        "updateTask",
        types::UpdateTaskBody,
        c.update_task().id("task_1"),
        "PUT /v1/chat/tasks/task_1",
        json!({"status": "completed"})
    );
    send!(
        h,
        "deleteTask",
        c.delete_task().id("task_1"),
        "DELETE /v1/chat/tasks/task_1",
        json!({})
    );
    get!(
        h,
        "listTasks",
        c.list_tasks()
            .status(vec![types::TaskStatus::Pending, types::TaskStatus::Blocked])
            .type_("review"),
        "GET /v1/chat/tasks?status=pending&status=blocked&type=review"
    );

    // ---- workflows
    with_body!(
        h,
        "createWorkflow",
        types::CreateWorkflowBody,
        c.create_workflow(),
        "POST /v1/chat/workflows",
        json!({"name": "onboarding", "input": {"step": 1}, "status": "pending", "tags": {"k": "v"}})
    );
    get!(
        h,
        "listWorkflows",
        c.list_workflows()
            .statuses(vec![
                types::WorkflowStatus::Pending,
                types::WorkflowStatus::InProgress
            ])
            .tags(TagsFilter::new().tag("x", "y"))
            .conversation_id("conv_1"),
        "GET /v1/chat/workflows?tags.x=y&conversationId=conv_1&statuses=pending&statuses=in_progress"
    );
    get!(
        h,
        "getWorkflow",
        c.get_workflow().id("wfl_1"),
        "GET /v1/chat/workflows/wfl_1"
    );
    with_body!(
        h,
        "updateWorkflow",
        types::UpdateWorkflowBody,
        c.update_workflow().id("wfl_1"),
        "PUT /v1/chat/workflows/wfl_1",
        json!({"status": "completed", "output": {"ok": true}})
    );
    send!(
        h,
        "deleteWorkflow",
        c.delete_workflow().id("wfl_1"),
        "DELETE /v1/chat/workflows/wfl_1",
        json!({})
    );
    with_body!(
        h,
        "getOrCreateWorkflow",
        types::GetOrCreateWorkflowBody,
        c.get_or_create_workflow(),
        "POST /v1/chat/workflows/get-or-create",
        json!({"name": "onboarding", "status": "listening", "discriminateByStatusGroup": "active", "tags": {"u": "1"}})
    );

    // ---- tags, analytics, observations
    get!(
        h,
        "listTagValues",
        c.list_tag_values()
            .key("lang")
            .type_("conversation")
            .page_size(100),
        "GET /v1/chat/tags/lang/values?pageSize=100&type=conversation"
    );
    send!(
        h,
        "trackAnalytics",
        c.track_analytics().name("signup").count(3),
        "POST /v1/chat/analytics",
        json!({"name": "signup", "count": 3})
    );
    with_body!(
        h,
        "captureObservation",
        types::CaptureObservationBody,
        c.capture_observation(),
        "POST /v1/chat/observations",
        json!({"name": "latency", "data": {"ms": 12}, "conversationId": "conv_1"})
    );

    // ---- files
    with_body!(
        h,
        "upsertFile",
        types::UpsertFileBody,
        c.upsert_file(),
        "PUT /v1/files",
        json!({"key": "docs/hello.txt", "tags": {"a": "b"}, "size": 11, "accessPolicies": ["public_content"],
               "contentType": "text/plain", "publicContentImmediatelyAccessible": true})
    );
    get!(
        h,
        "listFiles",
        c.list_files()
            .page_size(5)
            .tags(
                FileTagsFilter::new()
                    .any_of("a", ["x", "y"])
                    .not("b", "z")
                    .none_of("c", ["p", "q"])
            )
            .ids(vec!["f1".to_string()])
            .indexed(false),
        "GET /v1/files?pageSize=5&tags.a=x&tags.a=y&tags.b.not=z&tags.c.not=p&tags.c.not=q&ids=f1&indexed=false"
    );
    get!(
        h,
        "getFile",
        c.get_file().id("docs/hello.txt"),
        "GET /v1/files/docs%2Fhello.txt"
    );
    send!(
        h,
        "updateFileMetadata",
        c.update_file_metadata()
            .id("file_1")
            .tags([("old", Nullable::Null), ("new", "v".into())])
            .expires_at(Nullable::Null),
        "PUT /v1/files/file_1",
        json!({"tags": {"old": null, "new": "v"}, "expiresAt": null})
    );
    send!(
        h,
        "deleteFile",
        c.delete_file().id("file_1"),
        "DELETE /v1/files/file_1",
        json!({})
    );
    send!(
        h,
        "copyFile",
        c.copy_file()
            .id_or_key("file_1")
            .destination_key("copies/a b.txt")
            .x_destination_bot_id("bot_2")
            .body_map(|b| b),
        "POST /v1/files/file_1/copies%2Fa%20b.txt",
        json!({})
    );
    get!(
        h,
        "searchFiles",
        c.search_files()
            .query("refund policy")
            .tags(FileTagsFilter::new().tag("kb", "faq"))
            .limit(5),
        "GET /v1/files/search?tags.kb=faq&query=refund%20policy&limit=5"
    );
    get!(
        h,
        "listFilePassages",
        c.list_file_passages().id("file_1").limit(50),
        "GET /v1/files/file_1/passages?limit=50"
    );
    with_body!(
        h,
        "setFilePassages",
        types::SetFilePassagesBody,
        c.set_file_passages().id("file_1"),
        "PUT /v1/files/file_1/passages",
        json!({"passages": [{"content": "Title", "type": "title"}, {"content": "Body", "pageNumber": 1}]})
    );
    get!(h, "listFileTags", c.list_file_tags(), "GET /v1/files/tags");
    get!(
        h,
        "listFileTagValues",
        c.list_file_tag_values().tag("kind").next_token("n1"),
        "GET /v1/files/tags/kind/values?nextToken=n1"
    );
    with_body!(
        h,
        "createKnowledgeBase",
        types::CreateKnowledgeBaseBody,
        c.create_knowledge_base(),
        "POST /v1/files/knowledge-bases",
        json!({"name": "FAQ", "tags": {"team": "support"}})
    );
    get!(
        h,
        "listKnowledgeBases",
        c.list_knowledge_bases()
            .tags(FileTagsFilter::new().tag("team", "support")),
        "GET /v1/files/knowledge-bases?tags.team=support"
    );
    with_body!(
        h,
        "updateKnowledgeBase",
        types::UpdateKnowledgeBaseBody,
        c.update_knowledge_base().id("kb_1"),
        "PUT /v1/files/knowledge-bases/kb_1",
        json!({"name": "FAQ 2", "tags": {"old": null}})
    );
    send!(
        h,
        "deleteKnowledgeBase",
        c.delete_knowledge_base().id("kb_1"),
        "DELETE /v1/files/knowledge-bases/kb_1",
        json!({})
    );

    // ---- tables
    get!(
        h,
        "listTables",
        c.list_tables().tags(TagsFilter::new().tag("env", "prod")),
        "GET /v1/tables?tags.env=prod"
    );
    let schema = json!({"type": "object", "properties": {"name": {"type": "string"}, "total": {"type": "number"}}});
    send!(
        h,
        "createTable",
        c.create_table()
            .name("ordersTable")
            .schema(&schema)
            .key_column(Nullable::Null)
            .factor(2),
        "POST /v1/tables",
        json!({"name": "ordersTable", "schema": schema, "keyColumn": null, "factor": 2})
    );
    get!(
        h,
        "getTable",
        c.get_table().table("my Table"),
        "GET /v1/tables/my%20Table"
    );
    with_body!(
        h,
        "getOrCreateTable",
        types::GetOrCreateTableBody,
        c.get_or_create_table().table("ordersTable"),
        "POST /v1/tables/ordersTable",
        json!({"schema": schema, "keyColumn": "name"})
    );
    send!(
        h,
        "updateTable",
        c.update_table()
            .table("ordersTable")
            .key_column(Nullable::Null)
            .tags([("env", "prod")]),
        "PUT /v1/tables/ordersTable",
        json!({"keyColumn": null, "tags": {"env": "prod"}})
    );
    with_body!(
        h,
        "renameTableColumn",
        types::RenameTableColumnBody,
        c.rename_table_column().table("ordersTable"),
        "PUT /v1/tables/ordersTable/column",
        json!({"name": "total", "newName": "amount"})
    );
    send!(
        h,
        "deleteTable",
        c.delete_table().table("ordersTable"),
        "DELETE /v1/tables/ordersTable",
        json!({})
    );
    with_body!(
        h,
        "duplicateTable",
        types::DuplicateTableBody,
        c.duplicate_table().source_table_id("table_1"),
        "POST /v1/tables/table_1/duplicate",
        json!({"tableName": "ordersCopy", "schemaOnly": true})
    );
    get!(
        h,
        "exportTable",
        c.export_table()
            .table("ordersTable")
            .format("csv")
            .compress(false),
        "GET /v1/tables/ordersTable/export?format=csv&compress=false"
    );
    get!(
        h,
        "getTableJobs",
        c.get_table_jobs().table("ordersTable"),
        "GET /v1/tables/ordersTable/jobs"
    );
    with_body!(
        h,
        "importTable",
        types::ImportTableBody,
        c.import_table().table("ordersTable"),
        "POST /v1/tables/ordersTable/import",
        json!({"fileId": "file_1"})
    );
    get!(
        h,
        "getTableRow",
        c.get_table_row().table("my Table").id(42),
        "GET /v1/tables/my%20Table/row?id=42"
    );
    with_body!(
        h,
        "findTableRows",
        types::FindTableRowsBody,
        c.find_table_rows().table("leadsTable"),
        "POST /v1/tables/leadsTable/rows/find",
        json!({"limit": 10, "offset": 0, "filter": {"$and": [{"age": {"$gte": 18}}, {"name": {"$in": ["a", "b"]}}]},
               "search": "foo", "select": ["name"], "orderBy": "createdAt", "orderDirection": "desc"})
    );
    send!(
        h,
        "findTableRows",
        c.find_table_rows().table("leadsTable").body_map(|b| b),
        "POST /v1/tables/leadsTable/rows/find",
        json!({})
    );
    with_body!(
        h,
        "createTableRows",
        types::CreateTableRowsBody,
        c.create_table_rows().table("ordersTable"),
        "POST /v1/tables/ordersTable/rows",
        json!({"rows": [{"name": "a", "total": 9007199254740993_i64}, {"name": null}], "waitComputed": false})
    );
    with_body!(
        h,
        "updateTableRows",
        types::UpdateTableRowsBody,
        c.update_table_rows().table("ordersTable"),
        "PUT /v1/tables/ordersTable/rows",
        json!({"rows": [{"id": 1, "total": 10}]})
    );
    with_body!(
        h,
        "upsertTableRows",
        types::UpsertTableRowsBody,
        c.upsert_table_rows().table("ordersTable"),
        "POST /v1/tables/ordersTable/rows/upsert",
        json!({"rows": [{"name": "a", "total": 3}], "keyColumn": "name"})
    );
    with_body!(
        h,
        "deleteTableRows",
        types::DeleteTableRowsBody,
        c.delete_table_rows().table("ordersTable"),
        "POST /v1/tables/ordersTable/rows/delete",
        json!({"ids": [1, 2, 3]})
    );

    // ---- coverage: every operation of the document has a case above
    let all: BTreeSet<String> = h.spec.operations().into_iter().map(|o| o.id).collect();
    let missing: Vec<_> = all.difference(&h.covered).collect();
    assert!(
        missing.is_empty(),
        "operations without a wire case: {missing:?}"
    );
    assert_eq!(h.covered.len(), 81);
}

/// A request of [`flat_setter_cases`], sent: the response body as JSON.
type Pending = futures::future::BoxFuture<'static, botpress::Result<Value>>;

fn pending(
    f: impl std::future::Future<Output = botpress::Result<Value>> + Send + 'static,
) -> Pending {
    Box::pin(f)
}

fn to_json(response: impl serde::Serialize) -> Value {
    serde_json::to_value(response).expect("encode")
}

include!(concat!(env!("OUT_DIR"), "/flat_setter_cases.rs"));

/// For every operation with a body: an example body with every field the document declares,
/// sent once whole with `body(..)` and once field by field through the operation builder's
/// flat setters; the two requests must be byte-identical (request line, headers, body).
#[tokio::test]
async fn flat_setters_send_what_body_sends() {
    let server = Recorder::start().await;
    let client = client(&server);
    let spec = Spec::load();
    let mode = Mode {
        unknown_fields: false,
        unknown_enum_values: false,
    };
    let body = |schema: &str| {
        spec.example(
            &json!({ "$ref": format!("#/components/schemas/{schema}") }),
            mode,
        )
    };
    let cases = flat_setter_cases(&client, &body);
    let with_body: BTreeSet<String> = spec
        .operations()
        .into_iter()
        .filter(|o| spec.doc["paths"][&o.path][o.method.to_lowercase()]["requestBody"].is_object())
        .map(|o| o.id)
        .collect();
    let covered: BTreeSet<String> = cases.iter().map(|(id, _, _)| id.to_string()).collect();
    assert_eq!(covered, with_body, "every operation with a body has a case");
    for (id, whole, flat) in cases {
        // The answer does not matter here: an error status keeps the test on the request.
        server.push(Canned::json(
            400,
            &json!({"id": "", "code": 400, "type": "InvalidPayload", "message": "x"}),
        ));
        server.push(Canned::json(
            400,
            &json!({"id": "", "code": 400, "type": "InvalidPayload", "message": "x"}),
        ));
        let _ = whole.await;
        let _ = flat.await;
        let requests = server.take();
        assert_eq!(requests.len(), 2, "{id}: two requests");
        let (a, b) = (&requests[0], &requests[1]);
        assert_eq!(a.line(), b.line(), "{id}: request line");
        assert_eq!(a.headers, b.headers, "{id}: headers");
        assert_eq!(
            String::from_utf8_lossy(&a.body),
            String::from_utf8_lossy(&b.body),
            "{id}: body bytes"
        );
        assert!(a.body.len() > 2, "{id}: the example body is not empty");
    }
}
