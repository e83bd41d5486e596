//! Non-idempotent writes under faults: a `POST` that may have reached the server is never
//! sent twice, whatever the retry budget; it is sent again only when the server proved it
//! was not processed (429 from the limiter, 409 `ResourceLockedConflict`, or a connection
//! that was never established). Idempotent writes (`PUT`, `DELETE`) are retried.

use crate::support;

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use botpress::{ErrorKind, retry::RetryReason, types};
use serde_json::json;
use support::{
    faults::{Fault, FaultServer},
    harness::{builder, client, fast_retry, must_finish, ok_body, ok_fault},
};

fn message_body() -> types::CreateMessageBody {
    serde_json::from_value(json!({
        "conversationId": "conv_1", "userId": "user_1", "type": "text",
        "payload": {"text": "pay 10 EUR"}, "tags": {}
    }))
    .expect("valid body")
}

/// Sends `createMessage` once after `fault` with a budget of 5 attempts.
async fn post_after(fault: Fault) -> (FaultServer, botpress::Error) {
    let server = FaultServer::start().await;
    server.push(fault);
    server.set_default(ok_fault("createMessage"));
    let client = builder(&server.base_url, 5, Duration::from_millis(500))
        .build()
        .unwrap();
    let e = must_finish(60, "create_message", async {
        client.create_message().body(message_body()).send().await
    })
    .await
    .expect_err("the first answer is a failure and must not be retried");
    (server, e)
}

/// Faults after which a `POST` may have been processed, with the kind and status the caller
/// must see.
fn maybe_processed() -> Vec<(&'static str, Fault, ErrorKind, Option<u16>)> {
    vec![
        (
            "reset before the body is read",
            Fault::reset_before_body(),
            ErrorKind::Network,
            None,
        ),
        (
            "reset after the body is read",
            Fault::reset_after_body(),
            ErrorKind::Network,
            None,
        ),
        (
            "stall past the attempt timeout",
            Fault::stall(Duration::from_secs(30)),
            ErrorKind::Timeout,
            None,
        ),
        (
            "500 Internal",
            Fault::status(500),
            ErrorKind::Internal,
            Some(500),
        ),
        (
            "503 plain text",
            Fault::status(503),
            ErrorKind::InvalidResponse,
            Some(503),
        ),
        (
            "504 OperationTimeout",
            Fault::status(504),
            ErrorKind::OperationTimeout,
            Some(504),
        ),
        (
            "truncated success body",
            Fault::truncated(201, &ok_body("createMessage")),
            ErrorKind::Network,
            None,
        ),
    ]
}

#[tokio::test]
async fn a_post_that_may_have_been_processed_is_sent_once() {
    for (name, fault, kind, status) in maybe_processed() {
        let (server, e) = post_after(fault).await;
        assert_eq!(server.count(), 1, "{name}: sent once");
        assert_eq!(e.kind(), kind, "{name}: {e:?}");
        assert_eq!(e.status(), status, "{name}");
    }
}

#[tokio::test]
async fn a_post_answered_502_is_sent_once() {
    for fault in [Fault::status(502), Fault::html_page(502)] {
        let (server, e) = post_after(fault).await;
        assert_eq!(server.count(), 1);
        assert_eq!(e.status(), Some(502));
    }
}

#[tokio::test]
async fn a_post_to_a_closed_port_is_retried_as_never_sent() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let client = builder(
        &format!("http://127.0.0.1:{port}"),
        3,
        Duration::from_secs(5),
    )
    .retry(fast_retry(3).on_retry(move |e| sink.lock().unwrap().push(e.reason)))
    .build()
    .unwrap();
    let e = must_finish(60, "refused", async {
        client.create_message().body(message_body()).send().await
    })
    .await
    .expect_err("nothing listens");
    assert_eq!(e.kind(), ErrorKind::Connect, "{e:?}");
    assert_eq!(
        *events.lock().unwrap(),
        vec![RetryReason::Connect, RetryReason::Connect],
        "all 3 attempts made"
    );
}

#[tokio::test]
async fn idempotent_writes_are_retried_after_a_reset() {
    // PUT (updateConversation) and DELETE (deleteConversation) may be repeated safely.
    let server = FaultServer::start().await;
    server.push_all([
        Fault::reset_after_body(),
        ok_fault("updateConversation"),
        Fault::reset_after_body(),
        ok_fault("deleteConversation"),
    ]);
    let client = client(&server.base_url, 2);
    let update: types::UpdateConversationBody =
        serde_json::from_value(json!({"tags": {"k": "v"}})).unwrap();
    client
        .update_conversation()
        .id("conv_1")
        .body(update)
        .send()
        .await
        .expect("PUT retried");
    client
        .delete_conversation()
        .id("conv_1")
        .send()
        .await
        .expect("DELETE retried");
    let r = server.received();
    assert_eq!(r.len(), 4);
    assert_eq!(r[0].line(), "PUT /v1/chat/conversations/conv_1");
    assert_eq!(r[1].line(), r[0].line());
    assert_eq!(r[0].body, r[1].body);
    assert_eq!(r[2].line(), "DELETE /v1/chat/conversations/conv_1");
    assert_eq!(r[3].body, b"{}", "DELETE resends its {{}} body");
}

#[tokio::test]
async fn a_table_row_insert_is_never_duplicated() {
    // createTableRows is a POST: after a reset with the body read, the rows may exist.
    let server = FaultServer::start().await;
    server.push(Fault::reset_after_body());
    server.set_default(ok_fault("createTableRows"));
    let client = client(&server.base_url, 5);
    let body: types::CreateTableRowsBody =
        serde_json::from_value(json!({"rows": [{"name": "a"}]})).unwrap();
    let e = client
        .create_table_rows()
        .table("leads")
        .body(body)
        .send()
        .await
        .expect_err("reset");
    assert_eq!(e.kind(), ErrorKind::Network);
    assert_eq!(server.count(), 1);
    assert_eq!(server.count_body_read(), 1, "the server had the rows");
}
