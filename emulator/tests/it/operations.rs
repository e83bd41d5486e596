//! Every operation of `openapi/botpress.yaml` answers a valid request with its declared
//! status, and its body decodes into the generated response type (the emulator also checks
//! each response against the document's schema: `validate_responses`).

use crate::common;

use std::collections::BTreeSet;

use botpress::types;
use botpress_emulator::{Config, spec::Spec};
use common::Api;
use serde_json::{Value, json};

/// Decodes `body` into the generated response type of `op`.
fn decode(op: &str, body: &Value) -> Result<(), String> {
    macro_rules! table {
        ($($id:literal => $ty:ident),* $(,)?) => {
            match op {
                $($id => serde_json::from_value::<types::$ty>(body.clone()).map(|_| ()).map_err(|e| e.to_string()),)*
                other => Err(format!("no response type listed for {other}")),
            }
        };
    }
    table! {
        "createConversation" => CreateConversationResponse, "listConversations" => ListConversationsResponse,
        "getConversation" => GetConversationResponse, "updateConversation" => UpdateConversationResponse,
        "deleteConversation" => DeleteConversationResponse, "getOrCreateConversation" => GetOrCreateConversationResponse,
        "listParticipants" => ListParticipantsResponse, "addParticipant" => AddParticipantResponse,
        "getParticipant" => GetParticipantResponse, "removeParticipant" => RemoveParticipantResponse,
        "createEvent" => CreateEventResponse, "listEvents" => ListEventsResponse, "getEvent" => GetEventResponse,
        "cancelScheduledEvent" => CancelScheduledEventResponse, "createMessage" => CreateMessageResponse,
        "listMessages" => ListMessagesResponse, "getOrCreateMessage" => GetOrCreateMessageResponse,
        "getMessage" => GetMessageResponse, "updateMessage" => UpdateMessageResponse, "deleteMessage" => DeleteMessageResponse,
        "initializeIncomingMessage" => InitializeIncomingMessageResponse, "importMessages" => ImportMessagesResponse,
        "createUser" => CreateUserResponse, "listUsers" => ListUsersResponse, "getUser" => GetUserResponse,
        "updateUser" => UpdateUserResponse, "deleteUser" => DeleteUserResponse, "getOrCreateUser" => GetOrCreateUserResponse,
        "setStateExpiry" => SetStateExpiryResponse, "getState" => GetStateResponse, "setState" => SetStateResponse,
        "patchState" => PatchStateResponse, "getOrSetState" => GetOrSetStateResponse, "callAction" => CallActionResponse,
        "configureIntegration" => ConfigureIntegrationResponse, "getTask" => GetTaskResponse, "updateTask" => UpdateTaskResponse,
        "deleteTask" => DeleteTaskResponse, "createTask" => CreateTaskResponse, "listTasks" => ListTasksResponse,
        "createWorkflow" => CreateWorkflowResponse, "listWorkflows" => ListWorkflowsResponse, "getWorkflow" => GetWorkflowResponse,
        "updateWorkflow" => UpdateWorkflowResponse, "deleteWorkflow" => DeleteWorkflowResponse,
        "getOrCreateWorkflow" => GetOrCreateWorkflowResponse, "listTagValues" => ListTagValuesResponse,
        "trackAnalytics" => TrackAnalyticsResponse, "captureObservation" => CaptureObservationResponse,
        "upsertFile" => UpsertFileResponse, "listFiles" => ListFilesResponse, "deleteFile" => DeleteFileResponse,
        "getFile" => GetFileResponse, "updateFileMetadata" => UpdateFileMetadataResponse, "copyFile" => CopyFileResponse,
        "searchFiles" => SearchFilesResponse, "listFilePassages" => ListFilePassagesResponse,
        "setFilePassages" => SetFilePassagesResponse, "listFileTags" => ListFileTagsResponse,
        "listFileTagValues" => ListFileTagValuesResponse, "createKnowledgeBase" => CreateKnowledgeBaseResponse,
        "listKnowledgeBases" => ListKnowledgeBasesResponse, "deleteKnowledgeBase" => DeleteKnowledgeBaseResponse,
        "updateKnowledgeBase" => UpdateKnowledgeBaseResponse,
        "listTables" => ListTablesResponse, "createTable" => CreateTableResponse, "getTable" => GetTableResponse,
        "getOrCreateTable" => GetOrCreateTableResponse, "updateTable" => UpdateTableResponse,
        "deleteTable" => DeleteTableResponse, "duplicateTable" => DuplicateTableResponse,
        "exportTable" => ExportTableResponse, "getTableJobs" => GetTableJobsResponse, "importTable" => ImportTableResponse,
        "renameTableColumn" => RenameTableColumnResponse, "getTableRow" => GetTableRowResponse,
        "findTableRows" => FindTableRowsResponse, "createTableRows" => CreateTableRowsResponse,
        "updateTableRows" => UpdateTableRowsResponse, "deleteTableRows" => DeleteTableRowsResponse,
        "upsertTableRows" => UpsertTableRowsResponse,
    }
}

/// Calls operations by id, checking method, path template, status and response type.
struct Walker {
    api: Api,
    done: BTreeSet<String>,
}

impl Walker {
    async fn op(&mut self, id: &str, path: &str, body: Option<Value>) -> Value {
        let spec = Spec::get();
        let op = spec
            .operations
            .iter()
            .find(|o| o.id == id)
            .unwrap_or_else(|| panic!("{id} is not in the document"));
        let bare = path.split('?').next().unwrap();
        let segments: Vec<&str> = bare.split('/').filter(|s| !s.is_empty()).collect();
        let (found, _) = spec
            .find(&op.method, &segments)
            .unwrap_or_else(|_| panic!("{path} is no route"));
        assert_eq!(found.id, id, "{path} routes to {} instead", found.id);
        let body = body.or_else(|| (op.method != "GET").then(|| json!({})));
        let answer = self.api.call(&op.method, path, body).await;
        assert_eq!(answer.status, op.success, "{id} {path}: {}", answer.body);
        decode(id, &answer.body).unwrap_or_else(|e| panic!("{id}: {e}: {}", answer.body));
        self.done.insert(id.to_string());
        answer.body
    }
}

fn id_of(v: &Value, pointer: &str) -> String {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{pointer} in {v}"))
        .to_string()
}

#[tokio::test]
async fn every_operation_answers_per_its_schema() {
    let config = Config::new().action("test:echo", |input| Ok(json!({ "echo": input })));
    let mut w = Walker {
        api: Api::start(config).await,
        done: BTreeSet::new(),
    };

    // Users and conversations.
    let u = w
        .op(
            "createUser",
            "/v1/chat/users",
            Some(json!({"tags": {"ext": "u1"}, "name": "Ann"})),
        )
        .await;
    let user = id_of(&u, "/user/id");
    w.op(
        "getOrCreateUser",
        "/v1/chat/users/get-or-create",
        Some(json!({"tags": {"ext": "u1"}})),
    )
    .await;
    w.op("getUser", &format!("/v1/chat/users/{user}"), None)
        .await;
    w.op(
        "updateUser",
        &format!("/v1/chat/users/{user}"),
        Some(json!({"name": null, "tags": {"k": "v"}})),
    )
    .await;
    w.op(
        "listUsers",
        "/v1/chat/users?tags.k=v&sortField=updatedAt",
        None,
    )
    .await;
    let c = w
        .op(
            "createConversation",
            "/v1/chat/conversations",
            Some(json!({"channel": "web", "tags": {"t": "1"}})),
        )
        .await;
    let conv = id_of(&c, "/conversation/id");
    w.op(
        "getOrCreateConversation",
        "/v1/chat/conversations/get-or-create",
        Some(json!({"channel": "web", "tags": {"t": "1"}})),
    )
    .await;
    w.op(
        "getConversation",
        &format!("/v1/chat/conversations/{conv}"),
        None,
    )
    .await;
    w.op(
        "updateConversation",
        &format!("/v1/chat/conversations/{conv}"),
        Some(json!({"tags": {"t": "2"}})),
    )
    .await;
    w.op(
        "listConversations",
        "/v1/chat/conversations?pageSize=5&tags.t=2",
        None,
    )
    .await;
    w.op(
        "addParticipant",
        &format!("/v1/chat/conversations/{conv}/participants"),
        Some(json!({"userId": user})),
    )
    .await;
    w.op(
        "getParticipant",
        &format!("/v1/chat/conversations/{conv}/participants/{user}"),
        None,
    )
    .await;
    w.op(
        "listParticipants",
        &format!("/v1/chat/conversations/{conv}/participants"),
        None,
    )
    .await;

    // Messages.
    let msg_body = json!({"payload": {"text": "hi"}, "userId": user, "conversationId": conv, "type": "text", "tags": {"m": "1"}});
    let m = w
        .op("createMessage", "/v1/chat/messages", Some(msg_body.clone()))
        .await;
    let msg = id_of(&m, "/message/id");
    w.op(
        "getOrCreateMessage",
        "/v1/chat/messages/get-or-create",
        Some(msg_body),
    )
    .await;
    w.op("getMessage", &format!("/v1/chat/messages/{msg}"), None)
        .await;
    w.op(
        "updateMessage",
        &format!("/v1/chat/messages/{msg}"),
        Some(json!({"tags": {"m": "2"}})),
    )
    .await;
    w.op(
        "listMessages",
        &format!("/v1/chat/messages?conversationId={conv}"),
        None,
    )
    .await;
    w.op(
        "importMessages",
        "/v1/chat/messages/import-messages",
        Some(json!({"messages": [{"payload": {"text": "old"}, "userId": user, "conversationId": conv, "type": "text",
            "tags": {"imp": "1"}, "createdAt": "2024-01-01T00:00:00.000Z", "discriminateByTags": ["imp"]}]})),
    )
    .await;
    w.op(
        "initializeIncomingMessage",
        "/v1/chat/initialize-incoming-message",
        Some(json!({"user": {"tags": {"ext": "u2"}, "discriminateByTags": ["ext"]},
            "conversation": {"channel": "web", "tags": {"thread": "9"}, "discriminateByTags": ["thread"]},
            "message": {"payload": {"text": "in"}, "type": "text", "tags": {"mid": "x"}, "discriminateByTags": ["mid"]}})),
    )
    .await;
    w.op("listTagValues", "/v1/chat/tags/m/values?type=message", None)
        .await;

    // Events.
    let e = w
        .op(
            "createEvent",
            "/v1/chat/events",
            Some(json!({"type": "custom", "payload": {}, "conversationId": conv})),
        )
        .await;
    let event = id_of(&e, "/event/id");
    let s = w
        .op(
            "createEvent",
            "/v1/chat/events",
            Some(json!({"type": "later", "payload": {}, "schedule": {"delay": 60000}})),
        )
        .await;
    let scheduled = id_of(&s, "/event/id");
    w.op("getEvent", &format!("/v1/chat/events/{event}"), None)
        .await;
    w.op(
        "listEvents",
        &format!("/v1/chat/events?conversationId={conv}"),
        None,
    )
    .await;
    w.op(
        "cancelScheduledEvent",
        &format!("/v1/chat/events/scheduled/{scheduled}"),
        None,
    )
    .await;

    // States.
    let state = format!("/v1/chat/states/conversation/{conv}/st");
    w.op(
        "setState",
        &state,
        Some(json!({"payload": {"a": 1}, "expiry": 60000})),
    )
    .await;
    w.op("getState", &state, None).await;
    w.op("patchState", &state, Some(json!({"payload": {"b": 2}})))
        .await;
    w.op(
        "getOrSetState",
        &format!("{state}/get-or-set"),
        Some(json!({"payload": {"c": 3}})),
    )
    .await;
    w.op(
        "setStateExpiry",
        &format!("{state}/expiry"),
        Some(json!({"expiry": null})),
    )
    .await;

    // Actions, integrations, analytics, observations.
    w.op(
        "callAction",
        "/v1/chat/actions",
        Some(json!({"type": "test:echo", "input": {"x": 1}})),
    )
    .await;
    w.op(
        "configureIntegration",
        "/v1/chat/integrations/configure",
        Some(json!({"identifier": "acme"})),
    )
    .await;
    w.op(
        "trackAnalytics",
        "/v1/chat/analytics",
        Some(json!({"name": "visits", "count": 2})),
    )
    .await;
    w.op(
        "captureObservation",
        "/v1/chat/observations",
        Some(json!({"name": "obs", "data": {"k": 1}})),
    )
    .await;

    // Tasks and workflows.
    let t = w
        .op(
            "createTask",
            "/v1/chat/tasks",
            Some(json!({"type": "review", "conversationId": conv, "title": "T"})),
        )
        .await;
    let task = id_of(&t, "/task/id");
    w.op("getTask", &format!("/v1/chat/tasks/{task}"), None)
        .await;
    w.op(
        "updateTask",
        &format!("/v1/chat/tasks/{task}"),
        Some(json!({"status": "in_progress"})),
    )
    .await;
    w.op("listTasks", "/v1/chat/tasks?status=in_progress", None)
        .await;
    let wf = w
        .op(
            "createWorkflow",
            "/v1/chat/workflows",
            Some(json!({"name": "flow", "status": "pending", "conversationId": conv})),
        )
        .await;
    let workflow = id_of(&wf, "/workflow/id");
    w.op(
        "getOrCreateWorkflow",
        "/v1/chat/workflows/get-or-create",
        Some(json!({"name": "flow", "status": "pending", "conversationId": conv})),
    )
    .await;
    w.op(
        "getWorkflow",
        &format!("/v1/chat/workflows/{workflow}"),
        None,
    )
    .await;
    w.op(
        "updateWorkflow",
        &format!("/v1/chat/workflows/{workflow}"),
        Some(json!({"status": "completed", "output": {"ok": true}})),
    )
    .await;
    w.op(
        "listWorkflows",
        "/v1/chat/workflows?statuses=completed&statuses=pending",
        None,
    )
    .await;

    // Files, passages, knowledge bases.
    let f = w
        .op(
            "upsertFile",
            "/v1/files",
            Some(json!({"key": "docs/a.txt", "size": 11, "tags": {"lang": "en"}, "index": true})),
        )
        .await;
    let file = id_of(&f, "/file/id");
    let upload = w
        .api
        .http
        .put(id_of(&f, "/file/uploadUrl"))
        .body("hello world")
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 200);
    w.op("getFile", &format!("/v1/files/{file}"), None).await;
    w.op("listFiles", "/v1/files?tags.lang=en&tags.lang=fr", None)
        .await;
    w.op(
        "updateFileMetadata",
        &format!("/v1/files/{file}"),
        Some(json!({"tags": {"lang": null, "v": "2"}})),
    )
    .await;
    w.op("copyFile", &format!("/v1/files/{file}/docs%2Fb.txt"), None)
        .await;
    w.op(
        "setFilePassages",
        &format!("/v1/files/{file}/passages"),
        Some(json!({"passages": [{"content": "hello world"}]})),
    )
    .await;
    w.op(
        "listFilePassages",
        &format!("/v1/files/{file}/passages"),
        None,
    )
    .await;
    w.op("searchFiles", "/v1/files/search?query=hello", None)
        .await;
    w.op("listFileTags", "/v1/files/tags", None).await;
    w.op("listFileTagValues", "/v1/files/tags/v/values", None)
        .await;
    let kb = w
        .op(
            "createKnowledgeBase",
            "/v1/files/knowledge-bases",
            Some(json!({"name": "kb", "tags": {"a": "1"}})),
        )
        .await;
    let kb = id_of(&kb, "/knowledgeBase/id");
    w.op("listKnowledgeBases", "/v1/files/knowledge-bases", None)
        .await;
    w.op(
        "updateKnowledgeBase",
        &format!("/v1/files/knowledge-bases/{kb}"),
        Some(json!({"name": "kb2", "tags": {"a": null}})),
    )
    .await;

    // Tables.
    let schema = json!({"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "number"}}});
    w.op(
        "createTable",
        "/v1/tables",
        Some(json!({"name": "leadsTable", "schema": schema})),
    )
    .await;
    w.op(
        "getOrCreateTable",
        "/v1/tables/leadsTable",
        Some(json!({"schema": schema})),
    )
    .await;
    w.op("getTable", "/v1/tables/leadsTable", None).await;
    w.op("listTables", "/v1/tables", None).await;
    w.op(
        "updateTable",
        "/v1/tables/leadsTable",
        Some(json!({"tags": {"team": "sales"}})),
    )
    .await;
    w.op(
        "renameTableColumn",
        "/v1/tables/leadsTable/column",
        Some(json!({"name": "age", "newName": "years"})),
    )
    .await;
    let rows = w
        .op(
            "createTableRows",
            "/v1/tables/leadsTable/rows",
            Some(json!({"rows": [{"name": "a", "years": 20}, {"name": "b", "years": 30}]})),
        )
        .await;
    let row = rows
        .pointer("/rows/0/id")
        .and_then(Value::as_i64)
        .expect("row id");
    w.op(
        "getTableRow",
        &format!("/v1/tables/leadsTable/row?id={row}"),
        None,
    )
    .await;
    w.op(
        "findTableRows",
        "/v1/tables/leadsTable/rows/find",
        Some(json!({"filter": {"years": {"$gte": 18}}, "orderBy": "years"})),
    )
    .await;
    w.op(
        "updateTableRows",
        "/v1/tables/leadsTable/rows",
        Some(json!({"rows": [{"id": row, "years": 21}]})),
    )
    .await;
    w.op(
        "upsertTableRows",
        "/v1/tables/leadsTable/rows/upsert",
        Some(json!({"rows": [{"id": row, "name": "a2"}, {"name": "c"}]})),
    )
    .await;
    let export = w
        .op(
            "exportTable",
            "/v1/tables/leadsTable/export?format=json&compress=false",
            None,
        )
        .await;
    let exported = id_of(&export, "/job/outputFileId");
    w.op("getTableJobs", "/v1/tables/leadsTable/jobs", None)
        .await;
    w.op(
        "duplicateTable",
        "/v1/tables/leadsTable/duplicate",
        Some(json!({"tableName": "leadsCopyTable"})),
    )
    .await;
    w.op(
        "importTable",
        "/v1/tables/leadsCopyTable/import",
        Some(json!({"fileId": exported})),
    )
    .await;
    w.op(
        "deleteTableRows",
        "/v1/tables/leadsTable/rows/delete",
        Some(json!({"ids": [row]})),
    )
    .await;
    w.op("deleteTable", "/v1/tables/leadsCopyTable", None).await;

    // Deletes.
    w.op(
        "deleteKnowledgeBase",
        &format!("/v1/files/knowledge-bases/{kb}"),
        None,
    )
    .await;
    w.op("deleteFile", &format!("/v1/files/{file}"), None).await;
    w.op(
        "deleteWorkflow",
        &format!("/v1/chat/workflows/{workflow}"),
        None,
    )
    .await;
    w.op("deleteTask", &format!("/v1/chat/tasks/{task}"), None)
        .await;
    w.op(
        "removeParticipant",
        &format!("/v1/chat/conversations/{conv}/participants/{user}"),
        None,
    )
    .await;
    w.op("deleteMessage", &format!("/v1/chat/messages/{msg}"), None)
        .await;
    w.op(
        "deleteConversation",
        &format!("/v1/chat/conversations/{conv}"),
        None,
    )
    .await;
    w.op("deleteUser", &format!("/v1/chat/users/{user}"), None)
        .await;

    let in_document: BTreeSet<String> = Spec::get()
        .operations
        .iter()
        .map(|o| o.id.clone())
        .collect();
    let missing: Vec<_> = in_document.difference(&w.done).collect();
    assert!(missing.is_empty(), "operations not exercised: {missing:?}");
    assert_eq!(w.done.len(), 81);
}
