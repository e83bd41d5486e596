//! Snapshots (`emulator.snapshot()`, `restore`, `reset`, `Config::seed`, `/_emulator/state`,
//! `--seed`, `--export-on-exit`): the stored state saved and given back byte for byte, the
//! derived indexes rebuilt, one bot's data apart from the others', and snapshots that do not
//! fit refused with nothing changed.

use botpress_emulator::{Config, Snapshot, spawn};
use serde_json::{Value, json};

use crate::common::{Api, BOT, OTHER_BOT, TOKEN, assert_error};

/// Stores some of everything as `bot`: a tagged conversation with a participant, messages, a
/// state, an event, a workflow, a file with its content and passages, a table with rows, and
/// an export job (which stores a file too).
async fn seed(api: &Api, bot: &str) {
    let call = |method: &'static str, path: String, body: Value, status: u16| async move {
        let answer = api.call_as(bot, method, &path, Some(body)).await;
        assert_eq!(answer.status, status, "{method} {path}: {}", answer.body);
        answer.body
    };
    let user = call(
        "POST",
        "/v1/chat/users".into(),
        json!({"tags": {"role": "lead"}, "name": "Ada"}),
        201,
    )
    .await;
    let user = user["user"]["id"].as_str().unwrap().to_string();
    let conv = call(
        "POST",
        "/v1/chat/conversations".into(),
        json!({"channel": "web", "tags": {"topic": "billing", "lang": "fr"}}),
        201,
    )
    .await;
    let conv = conv["conversation"]["id"].as_str().unwrap().to_string();
    call(
        "POST",
        format!("/v1/chat/conversations/{conv}/participants"),
        json!({"userId": user}),
        200,
    )
    .await;
    for text in ["hello", "naïve café ☕", "bye"] {
        call(
            "POST",
            "/v1/chat/messages".into(),
            json!({"payload": {"text": text}, "userId": user, "conversationId": conv,
                   "type": "text", "tags": {"n": text}}),
            201,
        )
        .await;
    }
    call(
        "POST",
        format!("/v1/chat/states/conversation/{conv}/memory"),
        json!({"payload": {"step": 3, "ratio": 0.25}}),
        200,
    )
    .await;
    call(
        "POST",
        "/v1/chat/events".into(),
        json!({"type": "custom", "payload": {"x": 1}, "conversationId": conv}),
        201,
    )
    .await;
    call(
        "POST",
        "/v1/chat/workflows".into(),
        json!({"name": "onboarding", "status": "pending", "input": {"a": 1}, "tags": {"w": "1"}}),
        201,
    )
    .await;
    let file = call(
        "PUT",
        "/v1/files".into(),
        json!({"key": "docs/a.txt", "size": 11, "tags": {"lang": "en"}, "index": true}),
        200,
    )
    .await;
    let upload = api
        .http
        .put(file["file"]["uploadUrl"].as_str().unwrap())
        .body("hello world")
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 200);
    let file_id = file["file"]["id"].as_str().unwrap();
    call(
        "PUT",
        format!("/v1/files/{file_id}/passages"),
        json!({"passages": [{"content": "hello world"}]}),
        200,
    )
    .await;
    let schema = json!({"type": "object", "properties": {
        "name": {"type": "string"}, "age": {"type": "number"}}});
    call(
        "POST",
        "/v1/tables".into(),
        json!({"name": "leadsTable", "schema": schema, "tags": {"team": "sales"}}),
        200,
    )
    .await;
    call(
        "POST",
        "/v1/tables/leadsTable/rows".into(),
        json!({"rows": [{"name": "a", "age": 20}, {"name": "b\u{0}c", "age": 30.5}, {"name": "c", "age": 41}]}),
        200,
    )
    .await;
    let export = api
        .call_as(
            bot,
            "GET",
            "/v1/tables/leadsTable/export?format=json&compress=false",
            None,
        )
        .await;
    assert_eq!(export.status, 200, "{}", export.body);
}

/// What `bot` reads back through the API: lists (with tag filters, which read the tag index),
/// a table query (which reads the value index), the state, and each file's content.
async fn reads(api: &Api, bot: &str) -> Value {
    let get = |path: String| async move {
        let answer = api.call_as(bot, "GET", &path, None).await;
        assert_eq!(answer.status, 200, "GET {path}: {}", answer.body);
        answer.body
    };
    let conversations = get("/v1/chat/conversations?tags.topic=billing".into()).await;
    let mut contents = Vec::new();
    let files = get("/v1/files".into()).await;
    for file in files["files"].as_array().unwrap() {
        let id = file["id"].as_str().unwrap();
        let url = get(format!("/v1/files/{id}")).await["file"]["url"]
            .as_str()
            .unwrap()
            .to_string();
        let content = api.http.get(url).send().await.unwrap();
        assert_eq!(content.status(), 200);
        contents.push(json!({"key": file["key"], "content": content.text().await.unwrap()}));
    }
    let conv = conversations["conversations"]
        .get(0)
        .map(|c| c["id"].as_str().unwrap().to_string());
    let (messages, state) = match &conv {
        Some(conv) => (
            get(format!(
                "/v1/chat/messages?conversationId={conv}&tags.n=bye"
            ))
            .await,
            get(format!("/v1/chat/states/conversation/{conv}/memory")).await,
        ),
        None => (Value::Null, Value::Null),
    };
    let found = api
        .call_as(
            bot,
            "POST",
            "/v1/tables/leadsTable/rows/find",
            Some(json!({"filter": {"age": {"$gte": 30}}, "orderBy": "age"})),
        )
        .await;
    json!({
        "conversations": conversations,
        "users": get("/v1/chat/users?tags.role=lead".into()).await,
        "messages": messages,
        "state": state,
        "events": get("/v1/chat/events".into()).await,
        "workflows": get("/v1/chat/workflows".into()).await,
        "files": files,
        "contents": contents,
        "tables": get("/v1/tables".into()).await,
        "jobs": get("/v1/tables/leadsTable/jobs".into()).await,
        "found": found.body,
    })
}

/// Creates a user tagged `role=lead` as [`BOT`]; it and the list of such users.
async fn lead(api: &Api) -> (Value, Value) {
    let created = api
        .ok(
            "POST",
            "/v1/chat/users",
            Some(json!({"tags": {"role": "lead"}})),
            201,
        )
        .await;
    let listed = api
        .ok("GET", "/v1/chat/users?tags.role=lead", None, 200)
        .await;
    (created, listed)
}

#[tokio::test]
async fn a_snapshot_restored_elsewhere_exports_the_same_bytes_and_reads_the_same() {
    let source = Api::start(Config::new()).await;
    seed(&source, BOT).await;
    seed(&source, OTHER_BOT).await;
    let snapshot = source.emulator.snapshot().await.unwrap();
    assert_eq!(snapshot.bot(), None);
    let bytes = snapshot.to_json();
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(
        text.contains("\"format\": \"botpress-emulator-snapshot\""),
        "{text:.200}"
    );
    assert!(text.contains("naïve café ☕"), "texts are kept as they are");
    assert!(
        text.contains(&format!("\"content\": \"{}\"", "aGVsbG8gd29ybGQ=")),
        "file contents are base64"
    );
    let parsed = Snapshot::from_json(&bytes).unwrap();
    assert_eq!(parsed, snapshot);

    let copy = Api::start(Config::new().seed(parsed)).await;
    let again = copy.emulator.snapshot().await.unwrap();
    assert!(
        again.to_json() == bytes,
        "the restored state exports the same bytes"
    );
    for bot in [BOT, OTHER_BOT] {
        let (before, after) = (reads(&source, bot).await, reads(&copy, bot).await);
        // File URLs name each emulator's own address.
        let strip = |v: Value| {
            v.to_string()
                .replace(&source.emulator.base_url(), "<url>")
                .replace(&copy.emulator.base_url(), "<url>")
        };
        assert_eq!(strip(after.clone()), strip(before), "{bot} reads the same");
        assert_eq!(
            after["found"]["rows"].as_array().unwrap().len(),
            2,
            "{after}"
        );
        assert_eq!(after["messages"]["messages"].as_array().unwrap().len(), 1);
    }

    // New writes go on after the restored ones, in order.
    let (created, users) = lead(&copy).await;
    let ids: Vec<&str> = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "{users}");
    assert!(ids.contains(&created["user"]["id"].as_str().unwrap()));
}

#[tokio::test]
async fn a_bots_snapshot_replaces_that_bots_data_only() {
    let api = Api::start(Config::new()).await;
    seed(&api, BOT).await;
    seed(&api, OTHER_BOT).await;
    let saved = api.emulator.snapshot_bot(BOT).await.unwrap();
    assert_eq!(saved.bot(), Some(BOT));
    assert!(
        !String::from_utf8(saved.to_json())
            .unwrap()
            .contains(OTHER_BOT)
    );
    let before = reads(&api, BOT).await;

    // Both bots change.
    let conv = before["conversations"]["conversations"][0]["id"]
        .as_str()
        .unwrap();
    api.ok(
        "DELETE",
        &format!("/v1/chat/conversations/{conv}"),
        None,
        200,
    )
    .await;
    api.ok(
        "POST",
        "/v1/chat/users",
        Some(json!({"tags": {"role": "lead"}})),
        201,
    )
    .await;
    let other = api
        .call_as(
            OTHER_BOT,
            "POST",
            "/v1/chat/users",
            Some(json!({"tags": {"role": "lead"}})),
        )
        .await;
    assert_eq!(other.status, 201);
    let other_before = reads(&api, OTHER_BOT).await;

    api.emulator.restore(&saved).await.unwrap();
    assert_eq!(
        reads(&api, BOT).await,
        before,
        "the bot is back where it was"
    );
    assert_eq!(
        reads(&api, OTHER_BOT).await,
        other_before,
        "the other bot keeps its changes"
    );
    assert!(api.emulator.snapshot_bot(BOT).await.unwrap().to_json() == saved.to_json());
}

#[tokio::test]
async fn reset_deletes_one_bots_data_or_everything() {
    let api = Api::start(Config::new()).await;
    seed(&api, BOT).await;
    seed(&api, OTHER_BOT).await;
    let other = reads(&api, OTHER_BOT).await;

    api.emulator.reset_bot(BOT).await.unwrap();
    assert!(api.emulator.snapshot_bot(BOT).await.unwrap().is_empty());
    let users = api.ok("GET", "/v1/chat/users", None, 200).await;
    assert_eq!(users["users"], json!([]));
    let table = api.call("GET", "/v1/tables/leadsTable", None).await;
    assert_error(&table, 404, "ResourceNotFound", "leadsTable");
    assert_eq!(
        reads(&api, OTHER_BOT).await,
        other,
        "the other bot is untouched"
    );

    api.emulator.reset().await.unwrap();
    assert!(api.emulator.snapshot().await.unwrap().is_empty());
    let users = api.call_as(OTHER_BOT, "GET", "/v1/chat/users", None).await;
    assert_eq!(users.body["users"], json!([]));
    // The store works as new: a tagged create is found by its tag.
    let (_, found) = lead(&api).await;
    assert_eq!(found["users"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_admin_api_exports_restores_and_resets_with_the_token() {
    let api = Api::start(Config::new()).await;
    seed(&api, BOT).await;
    seed(&api, OTHER_BOT).await;
    let no_token = api.raw("GET", "/_emulator/state", None, None, None).await;
    assert_eq!(no_token.status, 401, "{}", no_token.body);

    let whole = api
        .raw("GET", "/_emulator/state", None, Some(TOKEN), None)
        .await;
    assert_eq!(whole.status, 200);
    let snapshot = api.emulator.snapshot().await.unwrap();
    assert_eq!(
        whole.body,
        serde_json::from_slice::<Value>(&snapshot.to_json()).unwrap()
    );
    let path = format!("/_emulator/state?bot={BOT}");
    let one = api.raw("GET", &path, None, Some(TOKEN), None).await;
    assert_eq!(one.body["bot"], BOT);
    let saved = reads(&api, BOT).await;

    let reset = api.raw("DELETE", &path, None, Some(TOKEN), None).await;
    assert_eq!((reset.status, &reset.body), (200, &json!({"bot": BOT})));
    assert!(api.emulator.snapshot_bot(BOT).await.unwrap().is_empty());

    let body = serde_json::to_vec(&one.body).unwrap();
    let restored = api
        .raw("PUT", "/_emulator/state", None, Some(TOKEN), Some(body))
        .await;
    assert_eq!(restored.status, 200, "{}", restored.body);
    assert_eq!(restored.body["bot"], BOT);
    assert_eq!(
        restored.body["rows"]["docs"].as_u64(),
        Some(one.body["tables"]["docs"].as_array().unwrap().len() as u64)
    );
    assert_eq!(restored.body["rows"]["tbl_rows"], 3);
    assert_eq!(reads(&api, BOT).await, saved);

    let wrong = api
        .raw("GET", "/_emulator/state?bots=x", None, Some(TOKEN), None)
        .await;
    assert_error(&wrong, 400, "InvalidQuery", "bots");
    let wrong = api
        .raw("POST", "/_emulator/state", None, Some(TOKEN), None)
        .await;
    assert_eq!(wrong.status, 405, "{}", wrong.body);
}

#[tokio::test]
async fn a_snapshot_that_does_not_fit_is_refused_and_nothing_changes() {
    let api = Api::start(Config::new()).await;
    seed(&api, BOT).await;
    seed(&api, OTHER_BOT).await;
    let before = api.emulator.snapshot().await.unwrap().to_json();
    let good: Value =
        serde_json::from_slice(&api.emulator.snapshot_bot(BOT).await.unwrap().to_json()).unwrap();

    let with = |edit: &dyn Fn(&mut Value)| {
        let mut v = good.clone();
        edit(&mut v);
        serde_json::to_vec(&v).unwrap()
    };
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"{".to_vec(), "not an emulator snapshot"),
        (
            with(&|v| v["format"] = json!("other")),
            "`format` is `other`",
        ),
        (
            with(&|v| v["version"] = json!(9)),
            "version 9 is not supported",
        ),
        (with(&|v| v["extra"] = json!(1)), "unknown field `extra`"),
        (
            with(&|v| v["tables"]["doc_tags"] = json!([])),
            "tables.doc_tags: not a table",
        ),
        (
            with(&|v| v["tables"]["docs"][1]["colour"] = json!("red")),
            "tables.docs[1]: unknown column `colour`",
        ),
        (
            with(&|v| v["tables"]["docs"][2]["bot_id"] = json!(OTHER_BOT)),
            "tables.docs[2].bot_id: a snapshot of bot",
        ),
        (
            with(&|v| v["tables"]["tbl_rows"][0]["table_id"] = json!("tbl_someone_elses")),
            "tables.tbl_rows[0].table_id: not one of the snapshot's tbl_tables",
        ),
        (
            with(&|v| {
                let first = v["tables"]["docs"][0].clone();
                v["tables"]["docs"].as_array_mut().unwrap().push(first);
            }),
            "does not fit the store",
        ),
        (
            with(&|v| v["tables"]["blobs"][0]["content"] = json!("not base64!")),
            "tables.blobs[0].content: not base64",
        ),
        (
            with(&|v| v["tables"]["tbl_tables"][0]["factor"] = json!(u64::MAX)),
            "tables.tbl_tables[0].factor: a number past the range",
        ),
    ];
    for (body, needle) in cases {
        let answer = api
            .raw("PUT", "/_emulator/state", None, Some(TOKEN), Some(body))
            .await;
        assert_error(&answer, 400, "InvalidPayload", needle);
    }
    assert!(
        api.emulator.snapshot().await.unwrap().to_json() == before,
        "nothing changed"
    );

    // From the handle and from `Config::seed`, the same refusals.
    let bad =
        Snapshot::from_json(&with(&|v| v["tables"]["docs"][0]["bot_id"] = json!("x"))).unwrap();
    let err = api.emulator.restore(&bad).await.unwrap_err();
    assert!(err.to_string().contains("tables.docs[0].bot_id"), "{err}");
    let err = spawn(Config::new().seed(bad)).await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with("the seed snapshot cannot be restored: tables.docs[0]"),
        "{err}"
    );
}

/// `--seed` starts the binary from a file; `--export-on-exit` writes one when it is stopped.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn the_binary_seeds_from_a_file_and_exports_on_exit() {
    use crate::common::start_binary;
    let dir = std::env::temp_dir().join(format!("bp-emulator-snapshot-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (first, second) = (dir.join("first.json"), dir.join("second.json"));
    let stop = |child: std::process::Child| {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        child.wait_with_output().unwrap()
    };
    let http = botpress::tls::reqwest_builder().unwrap().build().unwrap();

    let (child, url) = start_binary(&["--export-on-exit", first.to_str().unwrap()]);
    let created = http
        .post(format!("{url}/v1/chat/users"))
        .bearer_auth("t")
        .header("x-bot-id", BOT)
        .json(&json!({"tags": {"seeded": "yes"}, "name": "Grace"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let out = stop(child);
    assert!(out.status.success(), "{out:?}");
    let exported = Snapshot::read(&first).unwrap();
    assert!(!exported.is_empty());

    let (child, url) = start_binary(&[
        "--seed",
        first.to_str().unwrap(),
        "--export-on-exit",
        second.to_str().unwrap(),
    ]);
    let user = created["user"]["id"].as_str().unwrap();
    let got = http
        .get(format!("{url}/v1/chat/users/{user}"))
        .bearer_auth("t")
        .header("x-bot-id", BOT)
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    let got: Value = got.json().await.unwrap();
    assert_eq!(got["user"], created["user"]);
    assert!(stop(child).status.success());
    assert!(
        std::fs::read(&first).unwrap() == std::fs::read(&second).unwrap(),
        "the seeded run exports the file it started from"
    );

    // A file that is not a snapshot stops the start with a sentence naming it.
    std::fs::write(&second, b"[]").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_botpress-emulator"))
        .args([
            "--port",
            "0",
            "--token",
            "t",
            "--seed",
            second.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "the snapshot `{}`: not an emulator snapshot",
            second.display()
        )),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
