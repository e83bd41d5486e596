//! With `--db FILE` (here `Config::db`), data survives a restart of the emulator.

mod common;

use botpress_emulator::Config;
use common::Api;
use serde_json::json;

#[tokio::test]
async fn db_file_survives_a_restart() {
    let dir = std::env::temp_dir().join(format!("bp-emulator-persist-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("emulator.db");
    let _ = std::fs::remove_file(&db);

    let api = Api::start(Config::new().db(&db)).await;
    let c = api
        .ok(
            "POST",
            "/v1/chat/conversations",
            Some(json!({"channel": "web", "tags": {"k": "v"}})),
            201,
        )
        .await;
    let conv = c["conversation"]["id"].as_str().unwrap().to_string();
    let u = api
        .ok("POST", "/v1/chat/users", Some(json!({"tags": {}})), 201)
        .await;
    let user = u["user"]["id"].as_str().unwrap().to_string();
    let body = json!({"payload": {"text": "kept"}, "userId": user, "conversationId": conv, "type": "text", "tags": {}});
    api.ok("POST", "/v1/chat/messages", Some(body), 201).await;
    api.ok(
        "POST",
        &format!("/v1/chat/states/conversation/{conv}/s"),
        Some(json!({"payload": {"n": 1}})),
        200,
    )
    .await;
    let f = api
        .ok(
            "PUT",
            "/v1/files",
            Some(json!({"key": "p.txt", "size": 4})),
            200,
        )
        .await;
    let put = api
        .http
        .put(f["file"]["uploadUrl"].as_str().unwrap())
        .body("data")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    api.emulator.shutdown().await;

    let api = Api::start(Config::new().db(&db)).await;
    let got = api
        .ok("GET", &format!("/v1/chat/conversations/{conv}"), None, 200)
        .await;
    assert_eq!(got["conversation"]["tags"], json!({"k": "v"}));
    assert_eq!(got["conversation"]["messageCount"], 1);
    let state = api
        .ok(
            "GET",
            &format!("/v1/chat/states/conversation/{conv}/s"),
            None,
            200,
        )
        .await;
    assert_eq!(state["state"]["payload"], json!({"n": 1}));
    let file = api.ok("GET", "/v1/files/p.txt", None, 200).await;
    assert_eq!(file["file"]["status"], "upload_completed");
    let content = api
        .http
        .get(file["file"]["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(content.text().await.unwrap(), "data");
    api.emulator.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}
