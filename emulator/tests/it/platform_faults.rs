//! Scripted faults (`emulator.faults()` and `/_emulator/faults`): each kind does what it says
//! to the exact requests it targets, for the number of times given, and a fault after commit
//! really commits.

use std::time::{Duration, Instant};

use botpress_emulator::{Config, Fault, FaultKind};
use serde_json::{Value, json};

use crate::common::{Api, OTHER_BOT, TOKEN, assert_error};

async fn conversations(api: &Api) -> usize {
    api.ok("GET", "/v1/chat/conversations?pageSize=100", None, 200)
        .await["conversations"]
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test]
async fn a_status_fault_answers_its_times_then_the_operation_runs() {
    let api = Api::start(Config::new()).await;
    let id = api.conversation().await;
    api.emulator
        .faults()
        .add(Fault::status("getConversation", 503).times(2));
    let path = format!("/v1/chat/conversations/{id}");
    for _ in 0..2 {
        let answer = api.call("GET", &path, None).await;
        assert_error(&answer, 503, "Unknown", "scripted fault");
    }
    let answer = api.call("GET", &path, None).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["conversation"]["id"], id.as_str());
    assert!(api.emulator.faults().list().is_empty(), "used up");
}

#[tokio::test]
async fn an_error_fault_has_the_types_status_and_retry_after() {
    let api = Api::start(Config::new()).await;
    api.emulator.faults().add(
        Fault::error("listConversations", "RateLimited")
            .retry_after(3)
            .message("slow down")
            .times(1),
    );
    let response = api
        .request(reqwest::Method::GET, "/v1/chat/conversations")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 429);
    assert_eq!(response.headers()["retry-after"], "3");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["type"], "RateLimited");
    assert_eq!(body["message"], "slow down");
    assert_eq!(conversations(&api).await, 0, "then answered normally");
}

#[tokio::test]
async fn faults_target_their_operation_and_bot_only() {
    let api = Api::start(Config::new()).await;
    api.emulator
        .faults()
        .add(Fault::status("*", 500).bot(OTHER_BOT));
    assert_eq!(conversations(&api).await, 0, "another bot is not affected");
    api.conversation().await;
    let answer = api
        .call_as(OTHER_BOT, "GET", "/v1/chat/conversations", None)
        .await;
    assert_error(&answer, 500, "Unknown", "listConversations");
    let answer = api.call_as(OTHER_BOT, "GET", "/v1/chat/users", None).await;
    assert_eq!(answer.status, 500, "`*` hits every operation of that bot");
    assert_eq!(api.emulator.faults().list()[0].times, None, "no limit");
}

#[tokio::test]
async fn a_latency_fault_delays_the_normal_answer() {
    let api = Api::start(Config::new()).await;
    api.emulator
        .faults()
        .add(Fault::latency("listUsers", Duration::from_millis(300)).times(1));
    let started = Instant::now();
    let answer = api.call("GET", "/v1/chat/users", None).await;
    assert_eq!(answer.status, 200);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_reset_fault_closes_the_connection_without_an_answer_and_writes_nothing() {
    let api = Api::start(Config::new()).await;
    api.emulator
        .faults()
        .add(Fault::reset("createConversation").times(1));
    let err = api
        .request(reqwest::Method::POST, "/v1/chat/conversations")
        .json(&json!({"channel": "web", "tags": {}}))
        .send()
        .await
        .expect_err("no answer");
    assert!(!err.is_status() && !err.is_timeout(), "{err:?}");
    assert_eq!(conversations(&api).await, 0, "nothing written");
    let call = &api.emulator.journal().calls_to("createConversation")[0];
    assert_eq!((call.status, call.committed), (None, false));
    assert_eq!(call.fault, Some("reset"));
}

#[tokio::test]
async fn a_stall_fault_sends_the_head_then_no_body() {
    let api = Api::start(Config::new()).await;
    api.emulator
        .faults()
        .add(Fault::stall("listUsers", Duration::from_millis(400)).times(1));
    let started = Instant::now();
    let response = api
        .request(reqwest::Method::GET, "/v1/chat/users")
        .send()
        .await
        .expect("the head arrives");
    assert_eq!(response.status().as_u16(), 200);
    response
        .bytes()
        .await
        .expect_err("the body never completes");
    assert!(started.elapsed() >= Duration::from_millis(400));
}

#[tokio::test]
async fn fail_after_commit_writes_then_answers_502() {
    let api = Api::start(Config::new()).await;
    api.emulator
        .faults()
        .add(Fault::fail_after_commit("createConversation").times(1));
    let answer = api
        .call(
            "POST",
            "/v1/chat/conversations",
            Some(json!({"channel": "web", "tags": {}})),
        )
        .await;
    assert_error(&answer, 502, "Unknown", "the write was committed");
    assert_eq!(conversations(&api).await, 1, "the conversation exists");
    let journal = api.emulator.journal();
    assert_eq!(journal.committed("createConversation"), 1);
    let call = &journal.calls_to("createConversation")[0];
    assert_eq!(call.status, Some(502));
    assert_eq!(call.fault, Some("failAfterCommit"));
}

#[tokio::test]
async fn reset_after_commit_writes_then_drops_the_connection() {
    let api = Api::start(Config::new()).await;
    api.emulator
        .faults()
        .add(Fault::reset_after_commit("createUser").times(1));
    let sent = api
        .request(reqwest::Method::POST, "/v1/chat/users")
        .json(&json!({"tags": {}}))
        .send()
        .await;
    assert!(sent.is_err(), "no answer: {sent:?}");
    let users = api.ok("GET", "/v1/chat/users", None, 200).await;
    assert_eq!(
        users["users"].as_array().unwrap().len(),
        1,
        "the user exists"
    );
    assert_eq!(api.emulator.journal().committed("createUser"), 1);
}

#[tokio::test]
async fn the_admin_api_arms_lists_and_clears_faults_with_the_token() {
    let api = Api::start(Config::new()).await;
    let anonymous = api.raw("GET", "/_emulator/faults", None, None, None).await;
    assert_eq!(anonymous.status, 401, "{}", anonymous.body);
    let body = json!({"faults": [
        {"operation": "getUser", "times": 2, "kind": "error", "status": 500, "type": "Internal"},
        {"operation": "createMessage", "kind": "failAfterCommit"}
    ]});
    let armed = api
        .raw(
            "POST",
            "/_emulator/faults",
            None,
            Some(TOKEN),
            Some(body.to_string().into_bytes()),
        )
        .await;
    assert_eq!(armed.status, 200, "{}", armed.body);
    assert_eq!(armed.body["faults"].as_array().unwrap().len(), 2);
    assert_eq!(armed.body["faults"][0]["times"], 2);
    assert_eq!(armed.body["faults"][1]["kind"], "failAfterCommit");
    assert_eq!(
        api.emulator.faults().list()[0].kind,
        FaultKind::Error {
            status: 500,
            error_type: "Internal".into(),
            message: None,
            retry_after: None
        }
    );
    let user = api.user().await;
    let answer = api
        .call("GET", &format!("/v1/chat/users/{user}"), None)
        .await;
    assert_error(&answer, 500, "Internal", "getUser");
    let listed = api
        .raw("GET", "/_emulator/faults", None, Some(TOKEN), None)
        .await;
    assert_eq!(listed.body["faults"][0]["times"], 1, "one left");
    let cleared = api
        .raw("DELETE", "/_emulator/faults", None, Some(TOKEN), None)
        .await;
    assert_eq!(cleared.body, json!({"faults": []}));
    assert!(api.emulator.faults().list().is_empty());
}

#[tokio::test]
async fn the_admin_api_rejects_bad_faults_and_arms_none_of_them() {
    let api = Api::start(Config::new()).await;
    for (fault, needle) in [
        (json!({"operation": "getUsr", "kind": "reset"}), "getUsr"),
        (
            json!({"operation": "getUser", "kind": "explode"}),
            "explode",
        ),
        (
            json!({"operation": "getUser", "kind": "error", "status": 200, "type": "Internal"}),
            "200",
        ),
        (
            json!({"operation": "getUser", "kind": "error", "status": 500, "type": "Oops"}),
            "Oops",
        ),
        (
            json!({"operation": "getUser", "kind": "reset", "times": 0}),
            "times",
        ),
        (
            json!({"faults": [{"operation": "getUser", "kind": "reset"}, {"operation": "nope", "kind": "reset"}]}),
            "nope",
        ),
    ] {
        let answer = api
            .raw(
                "POST",
                "/_emulator/faults",
                None,
                Some(TOKEN),
                Some(fault.to_string().into_bytes()),
            )
            .await;
        assert_error(&answer, 400, "InvalidPayload", needle);
    }
    assert!(api.emulator.faults().list().is_empty(), "none armed");
    let unknown = api
        .raw("GET", "/_emulator/nothing", None, Some(TOKEN), None)
        .await;
    assert_error(&unknown, 404, "ResourceNotFound", "/_emulator/nothing");
    let wrong = api
        .raw("PUT", "/_emulator/faults", None, Some(TOKEN), None)
        .await;
    assert_error(&wrong, 405, "MethodNotFound", "PUT");
}

#[test]
#[should_panic(expected = "`listUser` is not an operationId")]
fn a_typo_in_a_fault_fails_loudly() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let api = Api::start(Config::new()).await;
        api.emulator.faults().add(Fault::reset("listUser"));
    });
}
