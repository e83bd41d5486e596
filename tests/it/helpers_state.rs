//! Typed state, get-or-create, analytics and explicit `null`s: exact wire bytes against a
//! recording server, and bad input rejected before any request.
use crate::support;

use std::time::Duration;

use botpress::types::StateType;
use botpress::{ErrorKind, Nullable};
use serde::{Deserialize, Serialize};
use serde_json::json;
use support::recorder::{Canned, Recorder, conversation, user};

#[derive(Serialize, Deserialize, Debug, PartialEq, Default)]
struct Profile {
    language: String,
    visits: u32,
}

fn state(payload: serde_json::Value) -> serde_json::Value {
    json!({"state": {
        "id": "state_1", "botId": "bot_1", "userId": "user_1", "name": "profile", "type": "user",
        "payload": payload,
        "createdAt": "2024-01-01T00:00:00.000Z", "updatedAt": "2024-01-01T00:00:00.000Z"
    }, "meta": {"cached": false}})
}

/// A server answering every state call with `payload`, and 404 to `GET`s when `missing`.
async fn state_server(missing: bool) -> Recorder {
    Recorder::answering(move |req, _| {
        if missing && req.method == "GET" {
            return Canned::error(404, "ResourceNotFound", "No State found");
        }
        let payload = match req.method.as_str() {
            "GET" | "PATCH" => json!({"language": "fr", "visits": 2}),
            _ => req.json().get("payload").cloned().unwrap_or(json!({})),
        };
        Canned::json(
            200,
            &state(if payload.is_null() {
                json!({})
            } else {
                payload
            }),
        )
    })
    .await
}

#[tokio::test]
async fn state_get_set_patch_get_or_set_on_the_wire() {
    let server = state_server(false).await;
    let client = server.client();
    let profile = client.state::<Profile>(StateType::User, "user_1", "profile");

    let got = profile.get().await.unwrap();
    assert_eq!(
        got,
        Some(Profile {
            language: "fr".into(),
            visits: 2
        })
    );

    let stored = profile
        .set(&Profile {
            language: "en".into(),
            visits: 1,
        })
        .await
        .unwrap();
    assert_eq!(stored.language, "en");

    let merged = profile.patch(&json!({"visits": 2})).await.unwrap();
    assert_eq!(merged.visits, 2);

    profile
        .clone()
        .with_expiry(Duration::from_secs(60))
        .get_or_set(&Profile::default())
        .await
        .unwrap();

    let lines: Vec<_> = server
        .requests()
        .iter()
        .map(|r| format!("{} {} {}", r.method, r.target, r.body_text()))
        .collect();
    assert_eq!(
        lines,
        [
            "GET /v1/chat/states/user/user_1/profile ",
            r#"POST /v1/chat/states/user/user_1/profile {"payload":{"language":"en","visits":1}}"#,
            r#"PATCH /v1/chat/states/user/user_1/profile {"payload":{"visits":2}}"#,
            r#"POST /v1/chat/states/user/user_1/profile/get-or-set {"expiry":60000,"payload":{"language":"","visits":0}}"#,
        ]
    );
    let get = &server.requests()[0];
    assert_eq!(get.header("authorization"), Some("Bearer t"));
    assert_eq!(get.header("x-bot-id"), Some("bot_1"));
}

#[tokio::test]
async fn a_missing_state_is_none() {
    let server = state_server(true).await;
    let client = server.client();
    let got = client
        .state::<Profile>(StateType::Conversation, "conv_1", "flow")
        .get()
        .await
        .unwrap();
    assert_eq!(got, None);
    assert_eq!(
        server.requests()[0].target,
        "/v1/chat/states/conversation/conv_1/flow"
    );
}

#[tokio::test]
async fn state_delete_and_expiry_send_explicit_nulls() {
    let server = state_server(false).await;
    let client = server.client();
    let profile = client.state::<Profile>(StateType::User, "user_1", "profile");
    profile.delete().await.unwrap();
    profile.set_expiry(None).await.unwrap();
    profile
        .set_expiry(Some(Duration::from_secs(2)))
        .await
        .unwrap();
    let requests = server.requests();
    let lines: Vec<_> = requests
        .iter()
        .map(|r| format!("{} {} {}", r.method, r.target, r.body_text()))
        .collect();
    assert_eq!(
        lines,
        [
            r#"POST /v1/chat/states/user/user_1/profile {"payload":null}"#,
            r#"POST /v1/chat/states/user/user_1/profile/expiry {"expiry":null}"#,
            r#"POST /v1/chat/states/user/user_1/profile/expiry {"expiry":2000}"#,
        ]
    );
    assert_eq!(requests[0].header("content-type"), Some("application/json"));
    assert_eq!(requests[0].header("content-length"), Some("16"));
}

#[tokio::test]
async fn bad_state_input_fails_before_any_request() {
    let server = state_server(false).await;
    let client = server.client();

    let err = client
        .state::<Profile>(StateType::User, "", "profile")
        .get()
        .await
        .unwrap_err();
    assert!(err.kind() == ErrorKind::InvalidRequest, "{err:?}");
    assert!(
        err.to_string().contains("state id must not be empty"),
        "{err}"
    );

    let err = client
        .state::<Profile>(StateType::User, "user_1", " ")
        .delete()
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("state name must not be empty"),
        "{err}"
    );

    // A payload that is not a JSON object.
    let err = client
        .state::<Vec<u32>>(StateType::Bot, "bot_1", "counters")
        .set(&vec![1, 2])
        .await
        .unwrap_err();
    assert!(err.kind() == ErrorKind::InvalidRequest, "{err:?}");
    assert!(
        err.to_string().contains("JSON object, not an array"),
        "{err}"
    );
    let err = client
        .state::<Profile>(StateType::Bot, "bot_1", "profile")
        .patch(&42)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not a number"), "{err}");

    // Expiry out of range, both ways in.
    let err = client
        .state::<Profile>(StateType::User, "user_1", "profile")
        .set_expiry(Some(Duration::from_secs(31 * 24 * 3600)))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("between 1 ms and 30 days"),
        "{err}"
    );
    let err = client
        .state::<Profile>(StateType::User, "user_1", "profile")
        .with_expiry(Duration::ZERO)
        .set(&Profile::default())
        .await
        .unwrap_err();
    assert!(err.kind() == ErrorKind::InvalidRequest, "{err:?}");

    assert_eq!(server.count(), 0, "no request reached the server");
}

#[tokio::test]
async fn a_payload_that_does_not_fit_the_type_is_a_decode_error() {
    let server =
        Recorder::answering(|_, _| Canned::json(200, &state(json!({"language": 7})))).await;
    let client = server.client();
    let err = client
        .state::<Profile>(StateType::User, "user_1", "profile")
        .get()
        .await
        .unwrap_err();
    assert!(err.kind() == ErrorKind::InvalidResponse, "{err:?}");
    assert!(err.to_string().contains("Profile"), "{err}");
}

#[tokio::test]
async fn get_or_create_reports_created() {
    let server = Recorder::answering(|req, i| match req.path() {
        "/v1/chat/conversations/get-or-create" => {
            Canned::json(200, &json!({"conversation": conversation("conv_1"), "meta": {"created": i == 0}}))
        }
        "/v1/chat/users/get-or-create" => Canned::json(200, &json!({"user": user("user_1")})),
        "/v1/tables/orders" => Canned::json(200, &json!({
            "table": {"id": "table_1", "name": "orders", "schema": {"type": "object", "properties": {}, "additionalProperties": true}},
            "created": true, "rows": 0, "stale": 0, "indexing": 0
        })),
        other => panic!("unexpected {other}"),
    })
    .await;
    let client = server.client();
    use botpress::get_or_create::GetOrCreate;
    let request = || {
        client
            .get_or_create_conversation()
            .channel("web")
            .tags([("ticket", "T-1")])
    };
    let (conv, created) = request().send_created().await.unwrap();
    assert_eq!((conv.id.as_str(), created), ("conv_1", true));
    let (_, created) = request().send_created().await.unwrap();
    assert!(!created);

    // No `meta` in the response: read as not created.
    let (user, created) = client
        .get_or_create_user()
        .tags(std::collections::BTreeMap::<String, String>::new())
        .send_created()
        .await
        .unwrap();
    assert_eq!((user.id.as_str(), created), ("user_1", false));

    let schema = json!({"type": "object", "properties": {"sku": {"type": "string"}}});
    let (table, created) = client
        .get_or_create_table()
        .table("orders")
        .schema(&schema)
        .send_created()
        .await
        .unwrap();
    assert_eq!((table.name.as_str(), created), ("orders", true));

    let requests = server.requests();
    assert_eq!(
        requests[0].body_text(),
        r#"{"channel":"web","tags":{"ticket":"T-1"}}"#
    );
    assert_eq!(requests[3].method, "POST");
    assert_eq!(
        requests[3].body_text(),
        r#"{"schema":{"properties":{"sku":{"type":"string"}},"type":"object"}}"#
    );

    let err = client
        .get_or_create_table()
        .table("")
        .schema(&schema)
        .send_created()
        .await
        .unwrap_err();
    assert!(err.kind() == ErrorKind::InvalidRequest, "{err:?}");
    assert_eq!(server.count(), 4);
}

#[tokio::test]
async fn analytics_sends_name_and_count_only() {
    let server = Recorder::answering(|_, _| Canned::json(200, &json!({}))).await;
    let client = server.client();
    client
        .track_analytics_count("checkout_completed", 3)
        .await
        .unwrap();
    let req = &server.requests()[0];
    assert_eq!(
        format!("{} {} {}", req.method, req.target, req.body_text()),
        r#"POST /v1/chat/analytics {"count":3,"name":"checkout_completed"}"#
    );
    for (name, count) in [("", 1), ("x", 0), (&*"n".repeat(201), 1)] {
        let err = client.track_analytics_count(name, count).await.unwrap_err();
        assert!(err.kind() == ErrorKind::InvalidRequest, "{err:?}");
    }
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn explicit_null_versus_absent_on_nullable_fields() {
    let server =
        Recorder::answering(|_, _| Canned::json(200, &json!({"user": user("user_1")}))).await;
    let client = server.client();
    // Absent: the name is left unchanged.
    client
        .update_user()
        .id("user_1")
        .picture_url(Nullable::Value("https://x/p.png".to_string()))
        .send()
        .await
        .unwrap();
    // Null: the name is cleared.
    client
        .update_user()
        .id("user_1")
        .name(Nullable::Null)
        .send()
        .await
        .unwrap();
    let bodies: Vec<_> = server.requests().iter().map(|r| r.body_text()).collect();
    assert_eq!(
        bodies,
        [r#"{"pictureUrl":"https://x/p.png"}"#, r#"{"name":null}"#]
    );
}
