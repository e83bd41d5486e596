//! Judge 2: every operation through the SDK against the emulator (`botpress-emulator`,
//! in-process), with semantic assertions: what was written is read back, lists and filters
//! return exactly the expected items, deletes make reads fail with `ResourceNotFound`,
//! invalid input gets the right error kind.
//!
//! Requests go through a recording proxy; each call checks that its requests routed to the
//! operation it names (so the coverage below is computed from real traffic) and records it.
use std::collections::BTreeSet;

use botpress::{
    Client, ErrorKind, Nullable,
    query::{FileTagsFilter, TagsFilter},
    types,
};
use botpress_emulator::Config;
use serde_json::{Value, json};

use super::{
    cases::body,
    support::{examples::Spec, recorder::Recorder},
};

/// The bot the judge calls as.
const BOT: &str = "bot_01J5Q8ZK3V7X2M4N6P8R0T2W4Y";

/// The calls made and what they covered.
pub(super) struct Judge {
    pub c: Client,
    proxy: Recorder,
    spec: Spec,
    pub covered: BTreeSet<String>,
    pub calls: usize,
}

impl Judge {
    /// Records that the requests since the last call went to `op`.
    fn saw(&mut self, op: &str) {
        let requests = self.proxy.take();
        assert!(
            !requests.is_empty(),
            "{op}: no request reached the emulator"
        );
        for r in &requests {
            let routed = self.spec.route(&r.method, r.path()).map(|o| o.id);
            assert_eq!(
                routed.as_deref(),
                Some(op),
                "{op}: `{}` routes elsewhere",
                r.line()
            );
        }
        self.covered.insert(op.to_string());
        self.calls += 1;
    }
}

/// `ok!(j, "opId", call)`: sends, panics on error, returns the response as JSON.
macro_rules! ok {
    ($j:ident, $op:literal, $call:expr) => {{
        let response = $call
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}: {e} ({:?})", $op, e.kind()));
        $j.saw($op);
        serde_json::to_value(response).expect("re-encode")
    }};
}

/// `fails!(j, "opId", call, kind)`: the call must fail with that error kind.
macro_rules! fails {
    ($j:ident, $op:literal, $call:expr, $kind:expr) => {{
        match $call.send().await {
            Ok(v) => panic!(
                "{}: expected {:?}, got {}",
                $op,
                $kind,
                serde_json::to_value(v).unwrap()
            ),
            Err(e) => assert_eq!(e.kind(), $kind, "{}: {e}", $op),
        }
        $j.saw($op);
    }};
}

fn s(v: &Value, pointer: &str) -> String {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string at {pointer} in {v}"))
        .to_string()
}

/// The ids of the objects in the array at `pointer`, sorted.
fn ids(v: &Value, pointer: &str) -> Vec<String> {
    let mut out: Vec<String> = v
        .pointer(pointer)
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("no array at {pointer} in {v}"))
        .iter()
        .map(|x| {
            x["id"]
                .as_str()
                .map_or_else(|| x["id"].to_string(), str::to_string)
        })
        .collect();
    out.sort();
    out
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn map(pairs: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn object(v: Value) -> serde_json::Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

/// Starts an emulator and runs the whole tour; returns what it covered.
pub(super) async fn run() -> Judge {
    let emulator = botpress_emulator::spawn(
        Config::new().action("test:echo", |input| Ok(json!({ "echo": input }))),
    )
    .await
    .expect("start the emulator");
    let proxy = Recorder::proxy(&emulator.base_url()).await;
    let client = Client::builder()
        .base_url(&proxy.base_url)
        .token(emulator.token())
        .bot_id(BOT)
        .build()
        .expect("client");
    let mut j = Judge {
        c: client,
        proxy,
        spec: Spec::load(),
        covered: BTreeSet::new(),
        calls: 0,
    };
    users_and_conversations(&mut j).await;
    emulator.shutdown().await;
    j
}

async fn users_and_conversations(j: &mut Judge) {
    // ---- users
    let u1 = ok!(
        j,
        "createUser",
        j.c.create_user().body(body::<types::CreateUserBody>(
            json!({"tags": {"ext": "u1", "k.e y": "v&=ü"}, "name": "Ada", "pictureUrl": "https://example.test/a.png"})
        ))
    );
    let user1 = s(&u1, "/user/id");
    assert!(user1.starts_with("user_"), "{user1}");
    let got = ok!(j, "getUser", j.c.get_user().id(&user1));
    assert_eq!(got["user"]["name"], "Ada");
    assert_eq!(got["user"]["tags"], json!({"ext": "u1", "k.e y": "v&=ü"}));
    ok!(
        j,
        "updateUser",
        j.c.update_user()
            .id(&user1)
            .name(Nullable::Null)
            .tags(map(&[("role", "admin")]))
    );
    let got = ok!(j, "getUser", j.c.get_user().id(&user1));
    assert!(got["user"]["name"].is_null(), "name: null clears: {got}");
    assert_eq!(
        got["user"]["tags"],
        json!({"ext": "u1", "k.e y": "v&=ü", "role": "admin"}),
        "tags merge"
    );
    let again = ok!(
        j,
        "getOrCreateUser",
        j.c.get_or_create_user()
            .body(body::<types::GetOrCreateUserBody>(
                json!({"tags": {"ext": "u1"}, "discriminateByTags": ["ext"]})
            ))
    );
    assert_eq!(
        s(&again, "/user/id"),
        user1,
        "getOrCreateUser finds the user"
    );
    let u2 = ok!(
        j,
        "getOrCreateUser",
        j.c.get_or_create_user()
            .body(body::<types::GetOrCreateUserBody>(
                json!({"tags": {"ext": "u2"}, "name": "Bob", "discriminateByTags": ["ext"]})
            ))
    );
    let user2 = s(&u2, "/user/id");
    assert_ne!(user2, user1, "getOrCreateUser creates another user");
    let listed = ok!(
        j,
        "listUsers",
        j.c.list_users()
            .tags(TagsFilter::new().tag("k.e y", "v&=ü"))
    );
    assert_eq!(
        ids(&listed, "/users"),
        vec![user1.clone()],
        "listUsers by tag"
    );
    let listed = ok!(j, "listUsers", j.c.list_users());
    assert_eq!(
        ids(&listed, "/users"),
        sorted(vec![user1.clone(), user2.clone()])
    );
    fails!(
        j,
        "getUser",
        j.c.get_user().id("user_01J5Q8ZK3V7X2M4N6P8R0T2WZZ"),
        ErrorKind::ResourceNotFound
    );

    // ---- conversations
    let c1 = ok!(
        j,
        "createConversation",
        j.c.create_conversation()
            .channel("web")
            .tags(map(&[("t", "1"), ("lang", "fr")]))
    );
    let conv1 = s(&c1, "/conversation/id");
    assert!(conv1.starts_with("conv_"), "{conv1}");
    let c2 = ok!(
        j,
        "createConversation",
        j.c.create_conversation()
            .channel("web")
            .tags(map(&[("t", "2")]))
    );
    let conv2 = s(&c2, "/conversation/id");
    let got = ok!(j, "getConversation", j.c.get_conversation().id(&conv1));
    assert_eq!(got["conversation"]["channel"], "web");
    assert_eq!(got["conversation"]["tags"], json!({"t": "1", "lang": "fr"}));
    ok!(
        j,
        "updateConversation",
        j.c.update_conversation()
            .id(&conv1)
            .tags(map(&[("t", "3"), ("lang", "")]))
    );
    let got = ok!(j, "getConversation", j.c.get_conversation().id(&conv1));
    assert_eq!(
        got["conversation"]["tags"],
        json!({"t": "3"}),
        "an empty value unsets a tag"
    );
    let again = ok!(
        j,
        "getOrCreateConversation",
        j.c.get_or_create_conversation()
            .body(body::<types::GetOrCreateConversationBody>(
                json!({"channel": "web", "tags": {"t": "3"}, "discriminateByTags": ["t"]})
            ))
    );
    assert_eq!(s(&again, "/conversation/id"), conv1);
    let listed = ok!(
        j,
        "listConversations",
        j.c.list_conversations()
            .tags(TagsFilter::new().tag("t", "3"))
    );
    assert_eq!(ids(&listed, "/conversations"), vec![conv1.clone()]);

    // ---- participants
    let added = ok!(
        j,
        "addParticipant",
        j.c.add_participant()
            .id(&conv1)
            .body(body::<types::AddParticipantBody>(json!({"userId": user1})))
    );
    assert_eq!(s(&added, "/participant/id"), user1);
    let got = ok!(
        j,
        "getParticipant",
        j.c.get_participant().id(&conv1).user_id(&user1)
    );
    assert_eq!(s(&got, "/participant/id"), user1);
    let listed = ok!(j, "listParticipants", j.c.list_participants().id(&conv1));
    assert_eq!(ids(&listed, "/participants"), vec![user1.clone()]);
    let listed = ok!(
        j,
        "listConversations",
        j.c.list_conversations()
            .participant_ids(vec![user1.clone()])
    );
    assert_eq!(ids(&listed, "/conversations"), vec![conv1.clone()]);
    let listed = ok!(j, "listUsers", j.c.list_users().conversation_id(&conv1));
    assert_eq!(ids(&listed, "/users"), vec![user1.clone()]);

    messages_events_states(j, &conv1, &user1).await;
    tasks_workflows_misc(j, &conv1, &user1).await;
    files(j).await;
    tables(j).await;

    // ---- deletes
    ok!(
        j,
        "removeParticipant",
        j.c.remove_participant().id(&conv1).user_id(&user1)
    );
    fails!(
        j,
        "getParticipant",
        j.c.get_participant().id(&conv1).user_id(&user1),
        ErrorKind::ResourceNotFound
    );
    let listed = ok!(j, "listParticipants", j.c.list_participants().id(&conv1));
    assert_eq!(ids(&listed, "/participants"), Vec::<String>::new());
    ok!(
        j,
        "deleteConversation",
        j.c.delete_conversation().id(&conv2)
    );
    fails!(
        j,
        "getConversation",
        j.c.get_conversation().id(&conv2),
        ErrorKind::ResourceNotFound
    );
    ok!(j, "deleteUser", j.c.delete_user().id(&user2));
    fails!(
        j,
        "getUser",
        j.c.get_user().id(&user2),
        ErrorKind::ResourceNotFound
    );
}

async fn messages_events_states(j: &mut Judge, conv: &str, user: &str) {
    // ---- messages
    let m = ok!(
        j,
        "createMessage",
        j.c.create_message().body(body::<types::CreateMessageBody>(json!(
            {"payload": {"text": "héllo 👋"}, "userId": user, "conversationId": conv, "type": "text", "tags": {"m": "1"}}
        )))
    );
    let msg = s(&m, "/message/id");
    assert!(msg.starts_with("msg_"), "{msg}");
    let got = ok!(j, "getMessage", j.c.get_message().id(&msg));
    assert_eq!(got["message"]["payload"], json!({"text": "héllo 👋"}));
    assert_eq!(s(&got, "/message/conversationId"), conv);
    let again = ok!(
        j,
        "getOrCreateMessage",
        j.c.get_or_create_message()
            .body(body::<types::GetOrCreateMessageBody>(json!(
                {"payload": {"text": "other"}, "userId": user, "conversationId": conv, "type": "text",
                 "tags": {"m": "1"}, "discriminateByTags": ["m"]}
            )))
    );
    assert_eq!(s(&again, "/message/id"), msg, "found by its tag");
    ok!(
        j,
        "updateMessage",
        j.c.update_message()
            .id(&msg)
            .body(body::<types::UpdateMessageBody>(
                json!({"tags": {"m": "2"}, "payload": {"text": "edited"}})
            ))
    );
    let got = ok!(j, "getMessage", j.c.get_message().id(&msg));
    assert_eq!(got["message"]["tags"], json!({"m": "2"}));
    assert_eq!(got["message"]["payload"], json!({"text": "edited"}));
    let imported = ok!(
        j,
        "importMessages",
        j.c.import_messages().body(body::<types::ImportMessagesBody>(json!({"messages": [{
            "payload": {"text": "old"}, "userId": user, "conversationId": conv, "type": "text",
            "tags": {"imp": "1"}, "createdAt": "2023-01-01T00:00:00.000Z", "discriminateByTags": ["imp"]}]})))
    );
    let imported_id = s(&imported, "/messages/0/id");
    let got = ok!(j, "getMessage", j.c.get_message().id(&imported_id));
    assert!(
        s(&got, "/message/createdAt").starts_with("2023-01-01T00:00:00"),
        "import keeps the date: {got}"
    );
    let listed = ok!(
        j,
        "listMessages",
        j.c.list_messages()
            .conversation_id(conv)
            .tags(TagsFilter::new().tag("m", "2"))
    );
    assert_eq!(ids(&listed, "/messages"), vec![msg.clone()]);
    let listed = ok!(j, "listMessages", j.c.list_messages().conversation_id(conv));
    assert_eq!(
        ids(&listed, "/messages"),
        sorted(vec![msg.clone(), imported_id.clone()])
    );
    let incoming = ok!(
        j,
        "initializeIncomingMessage",
        j.c.initialize_incoming_message()
            .body(body::<types::InitializeIncomingMessageBody>(json!({
                "user": {"tags": {"ext": "u9"}, "name": "Eve", "discriminateByTags": ["ext"]},
                "conversation": {"channel": "dm", "tags": {"thread": "9"}, "discriminateByTags": ["thread"]},
                "message": {"payload": {"text": "in"}, "type": "text", "tags": {"mid": "x"}, "discriminateByTags": ["mid"]}
            })))
    );
    assert_eq!(incoming["user"]["name"], "Eve");
    assert_eq!(incoming["conversation"]["channel"], "dm");
    assert_eq!(
        s(&incoming, "/message/conversationId"),
        s(&incoming, "/conversation/id")
    );
    assert_eq!(s(&incoming, "/message/userId"), s(&incoming, "/user/id"));
    let values = ok!(
        j,
        "listTagValues",
        j.c.list_tag_values().key("m").type_("message")
    );
    let values: Vec<&str> = values["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .filter_map(|v| v["value"].as_str())
        .collect();
    assert_eq!(values, vec!["2"], "listTagValues");

    // ---- events
    let e = ok!(
        j,
        "createEvent",
        j.c.create_event().body(body::<types::CreateEventBody>(
            json!({"type": "custom", "payload": {"n": 1}, "conversationId": conv})
        ))
    );
    let event = s(&e, "/event/id");
    assert!(event.starts_with("evt_"), "{event}");
    let later = ok!(
        j,
        "createEvent",
        j.c.create_event().body(body::<types::CreateEventBody>(
            json!({"type": "later", "payload": {}, "schedule": {"delay": 3600000}})
        ))
    );
    let scheduled = s(&later, "/event/id");
    assert_eq!(later["event"]["status"], "scheduled");
    let got = ok!(j, "getEvent", j.c.get_event().id(&event));
    assert_eq!(got["event"]["payload"], json!({"n": 1}));
    let listed = ok!(j, "listEvents", j.c.list_events().conversation_id(conv));
    assert_eq!(ids(&listed, "/events"), vec![event.clone()]);
    let listed = ok!(j, "listEvents", j.c.list_events().status("scheduled"));
    assert_eq!(ids(&listed, "/events"), vec![scheduled.clone()]);
    ok!(
        j,
        "cancelScheduledEvent",
        j.c.cancel_scheduled_event().id(&scheduled)
    );
    let listed = ok!(j, "listEvents", j.c.list_events().status("scheduled"));
    assert_eq!(ids(&listed, "/events"), Vec::<String>::new(), "cancelled");

    // ---- states
    fn st(c: &Client, conv: &str) -> botpress::operations::GetState {
        c.get_state()
            .type_(types::StateType::Conversation)
            .id(conv)
            .name("st")
    }
    fails!(j, "getState", st(&j.c, conv), ErrorKind::ResourceNotFound);
    ok!(
        j,
        "setState",
        j.c.set_state()
            .type_(types::StateType::Conversation)
            .id(conv)
            .name("st")
            .payload(json!({"a": 1, "ü": "é"}))
    );
    let got = ok!(j, "getState", st(&j.c, conv));
    assert_eq!(got["state"]["payload"], json!({"a": 1, "ü": "é"}));
    ok!(
        j,
        "patchState",
        j.c.patch_state()
            .type_(types::StateType::Conversation)
            .id(conv)
            .name("st")
            .body_map(|b| b.payload(json!({"b": 2})))
    );
    let got = ok!(j, "getState", st(&j.c, conv));
    assert_eq!(
        got["state"]["payload"],
        json!({"a": 1, "ü": "é", "b": 2}),
        "patch merges"
    );
    let kept = ok!(
        j,
        "getOrSetState",
        j.c.get_or_set_state()
            .type_(types::StateType::Conversation)
            .id(conv)
            .name("st")
            .body(body::<types::GetOrSetStateBody>(
                json!({"payload": {"c": 3}})
            ))
    );
    assert_eq!(
        kept["state"]["payload"],
        json!({"a": 1, "ü": "é", "b": 2}),
        "getOrSetState leaves an existing state"
    );
    let created = ok!(
        j,
        "getOrSetState",
        j.c.get_or_set_state()
            .type_(types::StateType::User)
            .id(user)
            .name("profile")
            .body(body::<types::GetOrSetStateBody>(
                json!({"payload": {"visits": 1}})
            ))
    );
    assert_eq!(created["state"]["payload"], json!({"visits": 1}));
    let expiring = ok!(
        j,
        "setStateExpiry",
        j.c.set_state_expiry()
            .type_(types::StateType::Conversation)
            .id(conv)
            .name("st")
            .body(body::<types::SetStateExpiryBody>(json!({"expiry": 60000})))
    );
    assert!(
        expiring["state"]["expiresAt"].is_string(),
        "an expiry sets expiresAt: {expiring}"
    );
    ok!(
        j,
        "setStateExpiry",
        j.c.set_state_expiry()
            .type_(types::StateType::Conversation)
            .id(conv)
            .name("st")
            .body(body::<types::SetStateExpiryBody>(json!({"expiry": null})))
    );
    ok!(
        j,
        "setState",
        j.c.set_state()
            .type_(types::StateType::Conversation)
            .id(conv)
            .name("st")
            .payload(Nullable::<Value>::Null)
    );
    fails!(j, "getState", st(&j.c, conv), ErrorKind::ResourceNotFound);
}

async fn tasks_workflows_misc(j: &mut Judge, conv: &str, user: &str) {
    // ---- actions, integrations, analytics, observations
    let out = ok!(
        j,
        "callAction",
        j.c.call_action().body(body::<types::CallActionBody>(
            json!({"type": "test:echo", "input": {"x": "é"}})
        ))
    );
    assert_eq!(out["output"], json!({"echo": {"x": "é"}}));
    fails!(
        j,
        "callAction",
        j.c.call_action().body(body::<types::CallActionBody>(
            json!({"type": "test:missing", "input": {}})
        )),
        ErrorKind::ResourceNotFound
    );
    let configured = ok!(
        j,
        "configureIntegration",
        j.c.configure_integration()
            .identifier(Nullable::Value("acme".to_string()))
    );
    assert_eq!(configured, json!({}));
    let tracked = ok!(
        j,
        "trackAnalytics",
        j.c.track_analytics().name("signup").count(3)
    );
    assert_eq!(tracked, json!({}));
    let observed = ok!(
        j,
        "captureObservation",
        j.c.capture_observation()
            .body(body::<types::CaptureObservationBody>(
                json!({"name": "latency", "data": {"ms": 12}, "conversationId": conv})
            ))
    );
    assert_eq!(observed, json!({}));

    // ---- tasks
    let t = ok!(
        j,
        "createTask",
        j.c.create_task().body(body::<types::CreateTaskBody>(
            json!({"type": "review", "conversationId": conv, "title": "Check", "userId": user})
        ))
    );
    let task = s(&t, "/task/id");
    let got = ok!(j, "getTask", j.c.get_task().id(&task));
    assert_eq!(got["task"]["title"], "Check");
    ok!(
        j,
        "updateTask",
        j.c.update_task()
            .id(&task)
            .body(body::<types::UpdateTaskBody>(json!({"status": "blocked"})))
    );
    let listed = ok!(
        j,
        "listTasks",
        j.c.list_tasks().status(vec![types::TaskStatus::Blocked])
    );
    assert_eq!(ids(&listed, "/tasks"), vec![task.clone()]);
    let listed = ok!(
        j,
        "listTasks",
        j.c.list_tasks().status(vec![types::TaskStatus::Pending])
    );
    assert_eq!(ids(&listed, "/tasks"), Vec::<String>::new());
    ok!(j, "deleteTask", j.c.delete_task().id(&task));
    fails!(
        j,
        "getTask",
        j.c.get_task().id(&task),
        ErrorKind::ResourceNotFound
    );

    // ---- workflows
    let w = ok!(
        j,
        "createWorkflow",
        j.c.create_workflow().body(body::<types::CreateWorkflowBody>(json!(
            {"name": "onboarding", "input": {"step": 1}, "status": "pending", "conversationId": conv, "tags": {"k": "v"}}
        )))
    );
    let wf = s(&w, "/workflow/id");
    assert!(wf.starts_with("wfl_"), "{wf}");
    let got = ok!(j, "getWorkflow", j.c.get_workflow().id(&wf));
    assert_eq!(got["workflow"]["input"], json!({"step": 1}));
    assert_eq!(got["workflow"]["status"], "pending");
    let again = ok!(
        j,
        "getOrCreateWorkflow",
        j.c.get_or_create_workflow()
            .body(body::<types::GetOrCreateWorkflowBody>(json!(
                {"name": "onboarding", "status": "pending", "conversationId": conv, "tags": {"k": "v"}}
            )))
    );
    assert_eq!(
        s(&again, "/workflow/id"),
        wf,
        "an active workflow is found again"
    );
    ok!(
        j,
        "updateWorkflow",
        j.c.update_workflow()
            .id(&wf)
            .body(body::<types::UpdateWorkflowBody>(
                json!({"status": "completed", "output": {"ok": true}})
            ))
    );
    let got = ok!(j, "getWorkflow", j.c.get_workflow().id(&wf));
    assert_eq!(got["workflow"]["status"], "completed");
    assert_eq!(got["workflow"]["output"], json!({"ok": true}));
    let listed = ok!(
        j,
        "listWorkflows",
        j.c.list_workflows()
            .statuses(vec![types::WorkflowStatus::Completed])
            .tags(TagsFilter::new().tag("k", "v"))
    );
    assert_eq!(ids(&listed, "/workflows"), vec![wf.clone()]);
    let listed = ok!(
        j,
        "listWorkflows",
        j.c.list_workflows()
            .statuses(vec![types::WorkflowStatus::InProgress])
    );
    assert_eq!(ids(&listed, "/workflows"), Vec::<String>::new());
    ok!(j, "deleteWorkflow", j.c.delete_workflow().id(&wf));
    fails!(
        j,
        "getWorkflow",
        j.c.get_workflow().id(&wf),
        ErrorKind::ResourceNotFound
    );
    let listed = ok!(
        j,
        "listMessages",
        j.c.list_messages()
            .conversation_id(conv)
            .tags(TagsFilter::new().tag("m", "2"))
    );
    let msg = ids(&listed, "/messages").remove(0);
    ok!(j, "deleteMessage", j.c.delete_message().id(&msg));
    fails!(
        j,
        "getMessage",
        j.c.get_message().id(&msg),
        ErrorKind::ResourceNotFound
    );
    let listed = ok!(
        j,
        "listMessages",
        j.c.list_messages()
            .conversation_id(conv)
            .tags(TagsFilter::new().tag("m", "2"))
    );
    assert_eq!(ids(&listed, "/messages"), Vec::<String>::new(), "deleted");
}

async fn files(j: &mut Judge) {
    let up = ok!(
        j,
        "upsertFile",
        j.c.upsert_file().body(body::<types::UpsertFileBody>(json!({
            "key": "docs/a b.txt", "size": 11, "tags": {"lang": "en", "kind": "faq"}, "contentType": "text/plain"
        })))
    );
    let file = s(&up, "/file/id");
    assert!(file.starts_with("file_"), "{file}");
    assert_eq!(up["file"]["status"], "upload_pending");
    let put = botpress::tls::reqwest_builder()
        .unwrap()
        .build()
        .unwrap()
        .put(s(&up, "/file/uploadUrl"))
        .header("content-type", "text/plain")
        .body("hello world")
        .send()
        .await
        .expect("upload");
    assert!(put.status().is_success(), "upload PUT: {}", put.status());
    let got = ok!(j, "getFile", j.c.get_file().id("docs/a b.txt"));
    assert_eq!(s(&got, "/file/id"), file, "getFile takes the key");
    assert_eq!(got["file"]["size"], 11);
    assert_eq!(got["file"]["status"], "upload_completed");
    let other = ok!(
        j,
        "upsertFile",
        j.c.upsert_file().body(body::<types::UpsertFileBody>(json!({
            "key": "docs/b.txt", "size": 1, "tags": {"lang": "fr"}
        })))
    );
    let file_b = s(&other, "/file/id");
    let listed = ok!(
        j,
        "listFiles",
        j.c.list_files()
            .tags(FileTagsFilter::new().any_of("lang", ["en", "fr"]))
    );
    assert_eq!(
        ids(&listed, "/files"),
        sorted(vec![file.clone(), file_b.clone()]),
        "tag OR"
    );
    let listed = ok!(
        j,
        "listFiles",
        j.c.list_files()
            .tags(FileTagsFilter::new().not("lang", "fr"))
    );
    assert_eq!(ids(&listed, "/files"), vec![file.clone()], "tag not");
    ok!(
        j,
        "updateFileMetadata",
        j.c.update_file_metadata()
            .id(&file)
            .tags(std::collections::BTreeMap::from([
                ("kind".to_string(), Nullable::Null),
                ("v".to_string(), Nullable::Value("2".to_string())),
            ]))
    );
    let got = ok!(j, "getFile", j.c.get_file().id(&file));
    assert_eq!(
        got["file"]["tags"],
        json!({"lang": "en", "v": "2"}),
        "null deletes a tag, others kept"
    );
    let copied = ok!(
        j,
        "copyFile",
        j.c.copy_file()
            .id_or_key(&file)
            .destination_key("copies/a.txt")
            .body_map(|b| b)
    );
    assert_eq!(copied["file"]["key"], "copies/a.txt");
    let got = ok!(j, "getFile", j.c.get_file().id("copies/a.txt"));
    assert_eq!(got["file"]["size"], 11);
    fails!(
        j,
        "copyFile",
        j.c.copy_file()
            .id_or_key(&file)
            .destination_key("copies/a.txt")
            .body_map(|b| b),
        ErrorKind::AlreadyExists
    );
    ok!(
        j,
        "setFilePassages",
        j.c.set_file_passages()
            .id(&file)
            .body(body::<types::SetFilePassagesBody>(json!({"passages": [
                {"content": "Refund policy", "type": "title"},
                {"content": "Refunds are accepted within thirty days."}
            ]})))
    );
    let passages = ok!(j, "listFilePassages", j.c.list_file_passages().id(&file));
    let contents: Vec<&str> = passages["passages"]
        .as_array()
        .expect("passages")
        .iter()
        .filter_map(|p| p["content"].as_str())
        .collect();
    assert_eq!(
        contents,
        vec!["Refund policy", "Refunds are accepted within thirty days."]
    );
    let found = ok!(
        j,
        "searchFiles",
        j.c.search_files().query("refunds accepted")
    );
    let hits = found["passages"].as_array().expect("passages");
    assert!(
        hits.iter().any(|p| p["file"]["id"] == file.as_str()),
        "search finds the file: {found}"
    );
    let tags = ok!(j, "listFileTags", j.c.list_file_tags());
    let mut tag_keys: Vec<String> = serde_json::from_value(tags["tags"].clone()).expect("tags");
    tag_keys.sort();
    assert_eq!(tag_keys, vec!["lang", "v"]);
    let values = ok!(
        j,
        "listFileTagValues",
        j.c.list_file_tag_values().tag("lang")
    );
    let mut values: Vec<String> = serde_json::from_value(values["values"].clone()).expect("values");
    values.sort();
    assert_eq!(values, vec!["en", "fr"]);
    // knowledge bases
    let kb = ok!(
        j,
        "createKnowledgeBase",
        j.c.create_knowledge_base()
            .body(body::<types::CreateKnowledgeBaseBody>(
                json!({"name": "FAQ", "tags": {"team": "support"}})
            ))
    );
    let kb = s(&kb, "/knowledgeBase/id");
    ok!(
        j,
        "updateKnowledgeBase",
        j.c.update_knowledge_base()
            .id(&kb)
            .body(body::<types::UpdateKnowledgeBaseBody>(
                json!({"name": "FAQ 2", "tags": {"team": null, "lang": "en"}})
            ))
    );
    let listed = ok!(
        j,
        "listKnowledgeBases",
        j.c.list_knowledge_bases()
            .tags(FileTagsFilter::new().tag("lang", "en"))
    );
    assert_eq!(ids(&listed, "/knowledgeBases"), vec![kb.clone()]);
    assert_eq!(listed["knowledgeBases"][0]["name"], "FAQ 2");
    assert_eq!(listed["knowledgeBases"][0]["tags"], json!({"lang": "en"}));
    ok!(
        j,
        "deleteKnowledgeBase",
        j.c.delete_knowledge_base().id(&kb)
    );
    let listed = ok!(j, "listKnowledgeBases", j.c.list_knowledge_bases());
    assert_eq!(ids(&listed, "/knowledgeBases"), Vec::<String>::new());
    ok!(j, "deleteFile", j.c.delete_file().id("docs/b.txt"));
    fails!(
        j,
        "getFile",
        j.c.get_file().id(&file_b),
        ErrorKind::ResourceNotFound
    );
}

async fn tables(j: &mut Judge) {
    let schema = json!({"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "number"}}});
    let created = ok!(
        j,
        "createTable",
        j.c.create_table()
            .name("leadsTable")
            .schema(object(schema.clone()))
            .tags(map(&[("env", "test")]))
    );
    let table_id = s(&created, "/table/id");
    let got =
        ok!(
            j,
            "getOrCreateTable",
            j.c.get_or_create_table().table("leadsTable").body(
                body::<types::GetOrCreateTableBody>(json!({"schema": schema}))
            )
        );
    assert_eq!(s(&got, "/table/id"), table_id, "getOrCreateTable finds it");
    ok!(
        j,
        "updateTable",
        j.c.update_table()
            .table("leadsTable")
            .tags(map(&[("env", "prod")]))
    );
    let listed = ok!(
        j,
        "listTables",
        j.c.list_tables().tags(TagsFilter::new().tag("env", "prod"))
    );
    assert_eq!(ids(&listed, "/tables"), vec![table_id.clone()]);
    ok!(
        j,
        "renameTableColumn",
        j.c.rename_table_column()
            .table("leadsTable")
            .body(body::<types::RenameTableColumnBody>(
                json!({"name": "age", "newName": "years"})
            ))
    );
    let got = ok!(j, "getTable", j.c.get_table().table(&table_id));
    let props = got["table"]["schema"]["properties"]
        .as_object()
        .expect("schema properties");
    assert!(
        props.contains_key("years") && !props.contains_key("age"),
        "renamed column: {got}"
    );
    let rows = ok!(
        j,
        "createTableRows",
        j.c.create_table_rows()
            .table("leadsTable")
            .body(body::<types::CreateTableRowsBody>(json!({"rows": [
                {"name": "ana", "years": 17}, {"name": "bo", "years": 30}, {"name": "cé", "years": 45}
            ]})))
    );
    let row_ids: Vec<i64> = rows["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["id"].as_i64().expect("row id"))
        .collect();
    assert_eq!(row_ids.len(), 3);
    let got = ok!(
        j,
        "getTableRow",
        j.c.get_table_row().table("leadsTable").id(row_ids[1])
    );
    assert_eq!(got["row"]["name"], "bo");
    let names = |v: &Value| -> Vec<String> {
        v["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| r["name"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let found = ok!(
        j,
        "findTableRows",
        j.c.find_table_rows()
            .table("leadsTable")
            .body(body::<types::FindTableRowsBody>(json!({
                "filter": {"$and": [{"years": {"$gte": 18}}, {"$or": [{"name": "bo"}, {"name": {"$in": ["cé"]}}]}]},
                "orderBy": "years", "orderDirection": "desc"
            })))
    );
    assert_eq!(names(&found), vec!["cé", "bo"], "nested filter, order");
    ok!(
        j,
        "updateTableRows",
        j.c.update_table_rows()
            .table("leadsTable")
            .body(body::<types::UpdateTableRowsBody>(
                json!({"rows": [{"id": row_ids[0], "years": 18}]})
            ))
    );
    let got = ok!(
        j,
        "getTableRow",
        j.c.get_table_row().table("leadsTable").id(row_ids[0])
    );
    assert_eq!(got["row"]["years"], 18);
    ok!(
        j,
        "upsertTableRows",
        j.c.upsert_table_rows()
            .table("leadsTable")
            .body(body::<types::UpsertTableRowsBody>(json!({"rows": [
                {"id": row_ids[2], "name": "cé2"}, {"name": "dan", "years": 60}
            ]})))
    );
    let found = ok!(
        j,
        "findTableRows",
        j.c.find_table_rows()
            .table("leadsTable")
            .body(body::<types::FindTableRowsBody>(json!({"orderBy": "id"})))
    );
    assert_eq!(
        names(&found),
        vec!["ana", "bo", "cé2", "dan"],
        "upsert updated and inserted"
    );
    let export = ok!(
        j,
        "exportTable",
        j.c.export_table()
            .table("leadsTable")
            .format("json")
            .compress(false)
    );
    let job = s(&export, "/job/id");
    let exported = s(&export, "/job/outputFileId");
    let jobs = ok!(j, "getTableJobs", j.c.get_table_jobs().table("leadsTable"));
    assert!(
        ids(&jobs, "/jobs").contains(&job),
        "the export job is listed: {jobs}"
    );
    let dup = ok!(
        j,
        "duplicateTable",
        j.c.duplicate_table().source_table_id("leadsTable").body(
            body::<types::DuplicateTableBody>(
                json!({"tableName": "leadsCopyTable", "schemaOnly": true})
            )
        )
    );
    assert_eq!(dup["table"]["name"], "leadsCopyTable");
    ok!(
        j,
        "importTable",
        j.c.import_table()
            .table("leadsCopyTable")
            .body(body::<types::ImportTableBody>(json!({"fileId": exported})))
    );
    let deleted = ok!(
        j,
        "deleteTableRows",
        j.c.delete_table_rows()
            .table("leadsTable")
            .body(body::<types::DeleteTableRowsBody>(
                json!({"ids": [row_ids[0], row_ids[1]]})
            ))
    );
    assert_eq!(deleted["deletedRows"], 2);
    let found = ok!(
        j,
        "findTableRows",
        j.c.find_table_rows().table("leadsTable").body_map(|b| b)
    );
    assert_eq!(names(&found).len(), 2);
    fails!(
        j,
        "createTableRows",
        j.c.create_table_rows()
            .table("missingTable")
            .body(body::<types::CreateTableRowsBody>(
                json!({"rows": [{"name": "x"}]})
            )),
        ErrorKind::ResourceNotFound
    );
    ok!(j, "deleteTable", j.c.delete_table().table("leadsCopyTable"));
    fails!(
        j,
        "getTable",
        j.c.get_table().table("leadsCopyTable"),
        ErrorKind::ResourceNotFound
    );
}
