//! The request journal (`emulator.journal()` and `/_emulator/journal`): what it records of
//! each call, filters, bodies on request only, capacity, and what it leaves out.

use botpress_emulator::Config;
use serde_json::json;

use crate::common::{Api, BOT, OTHER_BOT, TOKEN};

#[tokio::test]
async fn every_call_is_recorded_with_operation_bot_status_and_sizes() {
    let api = Api::start(Config::new()).await;
    let body = json!({"channel": "web", "tags": {}});
    let created = api
        .ok("POST", "/v1/chat/conversations", Some(body.clone()), 201)
        .await;
    let id = created["conversation"]["id"].as_str().unwrap();
    let missing = api
        .call_as(OTHER_BOT, "GET", "/v1/chat/users/user_missing", None)
        .await;
    assert_eq!(missing.status, 404);
    let unmatched = api.call("GET", "/v1/chat/nowhere", None).await;
    assert_eq!(unmatched.status, 404);

    let calls = api.emulator.journal().calls();
    assert_eq!(calls.len(), 3, "{calls:#?}");
    let create = &calls[0];
    assert_eq!(create.seq, 1);
    assert_eq!(create.method, "POST");
    assert_eq!(create.path, "/v1/chat/conversations");
    assert_eq!(create.operation, Some("createConversation"));
    assert_eq!(create.bot_id.as_deref(), Some(BOT));
    assert_eq!(create.status, Some(201));
    assert_eq!(create.error_type, None::<&str>);
    assert!(create.committed);
    assert_eq!(create.request_bytes, body.to_string().len() as u64);
    assert_eq!(create.response_bytes, created.to_string().len() as u64);
    let served = serde_json::to_value(create).unwrap();
    assert_eq!(
        served["at"].as_str(),
        Some(
            create
                .at
                .format("%Y-%m-%dT%H:%M:%S%.3fZ")
                .to_string()
                .as_str()
        )
    );
    assert_eq!(
        (&create.request_body, &create.response_body),
        (&None, &None),
        "bodies are off by default"
    );
    assert!(id.starts_with("conv_"));

    let get = &calls[1];
    assert_eq!(get.operation, Some("getUser"));
    assert_eq!(get.bot_id.as_deref(), Some(OTHER_BOT));
    assert_eq!(
        (get.status, get.error_type),
        (Some(404), Some("ResourceNotFound"))
    );
    assert!(!get.committed);
    assert_eq!(calls[2].operation, None, "matched no operation");
    assert_eq!(calls[2].seq, 3);
}

#[tokio::test]
async fn the_journal_filters_by_operation_and_bot_and_is_served_by_the_admin_api() {
    let api = Api::start(Config::new()).await;
    api.conversation().await;
    api.conversation().await;
    api.call_as(OTHER_BOT, "GET", "/v1/chat/conversations", None)
        .await;
    let journal = api.emulator.journal();
    assert_eq!(journal.calls_to("createConversation").len(), 2);
    assert_eq!(journal.matching(None, Some(OTHER_BOT)).len(), 1);
    assert_eq!(
        journal
            .matching(Some("createConversation"), Some(OTHER_BOT))
            .len(),
        0
    );

    let served = api
        .raw(
            "GET",
            "/_emulator/journal?operation=createConversation",
            None,
            Some(TOKEN),
            None,
        )
        .await;
    assert_eq!(served.status, 200, "{}", served.body);
    let calls = served.body["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0]["operation"], "createConversation");
    assert_eq!(calls[0]["status"], 201);
    assert_eq!(calls[0]["botId"], BOT);
    assert!(calls[0]["durationUs"].as_u64().is_some());
    let bad = api
        .raw("GET", "/_emulator/journal?op=x", None, Some(TOKEN), None)
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);

    assert_eq!(journal.len(), 3, "admin calls are not journaled");
    let cleared = api
        .raw("DELETE", "/_emulator/journal", None, Some(TOKEN), None)
        .await;
    assert_eq!(cleared.status, 200);
    assert!(journal.is_empty());
    api.conversation().await;
    assert_eq!(journal.calls()[0].seq, 4, "numbering goes on after a clear");
}

#[tokio::test]
async fn bodies_are_kept_when_asked_for() {
    let api = Api::start(Config::new().journal_bodies(true)).await;
    let created = api
        .ok(
            "POST",
            "/v1/chat/users",
            Some(json!({"name": "Ada", "tags": {}})),
            201,
        )
        .await;
    let call = &api.emulator.journal().calls()[0];
    assert_eq!(call.request_body, Some(json!({"name": "Ada", "tags": {}})));
    assert_eq!(call.response_body.as_ref(), Some(&created));
}

#[tokio::test]
async fn the_journal_keeps_the_most_recent_calls_up_to_its_capacity() {
    let api = Api::start(Config::new().journal_capacity(2)).await;
    for _ in 0..3 {
        api.conversation().await;
    }
    let seqs: Vec<u64> = api
        .emulator
        .journal()
        .calls()
        .iter()
        .map(|c| c.seq)
        .collect();
    assert_eq!(seqs, [2, 3]);

    let off = Api::start(Config::new().journal_capacity(0)).await;
    off.conversation().await;
    assert!(off.emulator.journal().is_empty());
}

#[tokio::test]
async fn the_journal_never_holds_the_token() {
    let api = Api::start(Config::new().journal_bodies(true)).await;
    api.conversation().await;
    let served = api
        .raw("GET", "/_emulator/journal", None, Some(TOKEN), None)
        .await;
    assert!(!served.body.to_string().contains(TOKEN));
    assert!(!format!("{:?}", api.emulator.journal().calls()).contains(TOKEN));
}
