//! Drift visibility: a response field or enum value the OpenAPI document does not describe is
//! reported by one `botpress::drift` debug event, once per operation and field, naming the
//! field's path and never its value; a response the document describes reports nothing, and
//! without a subscriber asking for the target nothing is reported and decoding is the same.

use crate::support;

use botpress::Client;
use botpress::types::MessageDirection;
use serde_json::json;
use support::capture::capture_at;
use support::faults::{Fault, FaultServer};
use support::recorder::conversation;

/// The drift events among `out`'s lines.
fn drift_lines(out: &str) -> Vec<&str> {
    out.lines()
        .filter(|l| l.contains("botpress::drift"))
        .collect()
}

fn client(server: &FaultServer) -> Client {
    Client::builder()
        .base_url(&server.base_url)
        .token("t")
        .bot_id("bot_1")
        .build()
        .unwrap()
}

/// A conversation with fields the document does not list (the names are this test's own:
/// reports are once per process).
fn drifted_conversation() -> serde_json::Value {
    let mut conversation = conversation("conv_1");
    conversation["driftArchivedAt"] = json!("SECRET-VALUE-1");
    conversation["driftMeta"] = json!({"nested": {"deep": "SECRET-VALUE-2"}});
    json!({"conversation": conversation, "driftTop": [1, 2]})
}

fn message(direction: &str) -> serde_json::Value {
    json!({"message": {
        "id": "msg_1", "conversationId": "conv_1", "userId": "user_1", "type": "text",
        "payload": {"text": "hi", "driftInPayload": 1}, "direction": direction,
        "tags": {"driftTag": "x"},
        "createdAt": "2024-01-01T00:00:00.000Z", "updatedAt": "2024-01-01T00:00:00.000Z",
        "driftItems": [{"a": 1}]
    }})
}

#[tokio::test(flavor = "current_thread")]
async fn undescribed_fields_and_values_are_reported_once_by_name() {
    let (capture, _guard) = capture_at(tracing::Level::DEBUG);
    let server = FaultServer::scripted(
        vec![
            Fault::json(200, &drifted_conversation()),
            Fault::json(200, &drifted_conversation()),
            Fault::json(200, &message("driftForwarded")),
            Fault::json(200, &message("incoming")),
        ],
        Fault::json(200, &json!({"conversation": conversation("conv_2")})),
    )
    .await;
    let client = client(&server);

    for _ in 0..2 {
        let got = client.get_conversation().id("conv_1").send().await.unwrap();
        assert_eq!(got.conversation.id, "conv_1");
    }
    let out = capture.text();
    let lines = drift_lines(&out);
    let fields: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.split("field=").nth(1))
        .map(|f| f.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "conversation.driftArchivedAt",
            "conversation.driftMeta",
            "driftTop"
        ],
        "each field once, though two responses carried them: {out}"
    );
    assert!(
        lines
            .iter()
            .all(|l| l.contains("DEBUG") && l.contains(r#"operation="getConversation""#)),
        "{out}"
    );
    assert!(
        !out.contains("SECRET-VALUE"),
        "values are never logged: {out}"
    );

    let got = client.get_message().id("msg_1").send().await.unwrap();
    assert_eq!(
        got.message.direction,
        MessageDirection::Unknown("driftForwarded".into())
    );
    client.get_message().id("msg_1").send().await.unwrap();
    let out = capture.text();
    let message_lines: Vec<&str> = drift_lines(&out)
        .into_iter()
        .filter(|l| l.contains(r#"operation="getMessage""#))
        .collect();
    assert_eq!(message_lines.len(), 2, "{out}");
    assert!(
        message_lines
            .iter()
            .any(|l| l.contains("field=message.driftItems")),
        "the payload and tags are maps of any keys, not drift: {out}"
    );
    assert!(
        message_lines
            .iter()
            .any(|l| l.contains("enum value not in the OpenAPI document")
                && l.contains(r#"enum="MessageDirection""#)
                && l.contains(r#"value="driftForwarded""#)),
        "{out}"
    );

    // A response the document describes reports nothing.
    let before = drift_lines(&capture.text()).len();
    client.get_conversation().id("conv_2").send().await.unwrap();
    assert_eq!(drift_lines(&capture.text()).len(), before);
}

#[tokio::test(flavor = "current_thread")]
async fn nothing_is_reported_unless_the_target_is_enabled() {
    let (capture, _guard) = capture_at(tracing::Level::INFO);
    let body = json!({"conversation": conversation("conv_1"), "driftOnlyHere": true});
    let server = FaultServer::scripted(vec![], Fault::json(200, &body)).await;

    let got = client(&server)
        .get_conversation()
        .id("conv_1")
        .send()
        .await
        .unwrap();
    assert_eq!(got.conversation.id, "conv_1");
    assert!(
        !capture.text().contains("driftOnlyHere"),
        "{}",
        capture.text()
    );

    // Enabled later, the field is reported then: nothing was recorded while it was off.
    let (capture, _guard) = capture_at(tracing::Level::DEBUG);
    client(&server)
        .get_conversation()
        .id("conv_1")
        .send()
        .await
        .unwrap();
    assert!(
        capture.text().contains("field=driftOnlyHere"),
        "{}",
        capture.text()
    );
}

#[tokio::test(flavor = "current_thread")]
async fn an_escaped_field_name_is_reported_unescaped() {
    let (capture, _guard) = capture_at(tracing::Level::DEBUG);
    let conversation = conversation("conv_1").to_string();
    let body = format!(
        r#"{{"conversation": {}, "driftEsc\u0061ped": {{"a\"b": 1}}, "list": []}}"#,
        conversation.trim_end_matches('}').to_owned() + r#", "items": [[{"x": 1}]]}"#
    );
    let server = FaultServer::scripted(vec![], Fault::text(200, "application/json", &body)).await;
    client(&server)
        .get_conversation()
        .id("conv_1")
        .send()
        .await
        .unwrap();
    let out = capture.text();
    assert!(
        out.lines().any(|l| l.ends_with("field=driftEscaped")),
        "{out}"
    );
    assert!(
        out.lines().any(|l| l.ends_with("field=conversation.items")),
        "{out}"
    );
    assert!(out.lines().any(|l| l.ends_with("field=list")), "{out}");
}

#[tokio::test(flavor = "current_thread")]
async fn a_body_that_does_not_decode_fails_the_same_with_drift_on() {
    let bodies = [
        r#"{"conversation": {"id": 5}}"#.to_string(),
        r#"{"conversation": {"id": "c", "channel": "web", "tags": {"k": 1}}}"#.to_string(),
        r#"{"conversation": "#.to_string(),
        r#"{"conversation": {"id": "c"}} trailing"#.to_string(),
        format!("{}1{}", "[".repeat(200), "]".repeat(200)),
        r#"{"driftX": [1, {"y": ]}"#.to_string(),
    ];
    for body in bodies {
        let server =
            FaultServer::scripted(vec![], Fault::text(200, "application/json", &body)).await;
        let mut messages = Vec::new();
        for level in [tracing::Level::INFO, tracing::Level::DEBUG] {
            let (_capture, _guard) = capture_at(level);
            let err = client(&server)
                .get_conversation()
                .id("conv_1")
                .send()
                .await
                .unwrap_err();
            assert_eq!(err.kind(), botpress::ErrorKind::InvalidResponse, "{body}");
            messages.push(err.message().to_string());
        }
        assert_eq!(messages[0], messages[1], "{body}");
    }
}
