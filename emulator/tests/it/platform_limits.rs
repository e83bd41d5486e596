//! Platform limits (`Config::platform_limits`): message and state payloads over 128 KiB and
//! bodies over their API's limit answer the service's error types, name the limit and by how
//! much, and write nothing; each limit can be changed or turned off.

use botpress_emulator::{Config, PlatformLimits};
use serde_json::{Value, json};

use crate::common::{Api, assert_error};

const KIB: usize = 1024;

/// A message payload of exactly `bytes` bytes as JSON.
fn payload(bytes: usize) -> Value {
    let overhead = json!({"text": ""}).to_string().len();
    json!({"text": "x".repeat(bytes - overhead)})
}

async fn message(
    api: &Api,
    conversation: &str,
    user: &str,
    payload: Value,
) -> crate::common::Answer {
    api.call(
        "POST",
        "/v1/chat/messages",
        Some(json!({"conversationId": conversation, "userId": user, "type": "text", "payload": payload, "tags": {}})),
    )
    .await
}

#[tokio::test]
async fn a_message_payload_over_128_kib_is_limit_exceeded_and_not_stored() {
    let api = Api::start(Config::new()).await;
    let (conversation, user) = (api.conversation().await, api.user().await);
    let at_limit = message(&api, &conversation, &user, payload(128 * KIB)).await;
    assert_eq!(at_limit.status, 201, "{}", at_limit.body["message"]);
    let over = message(&api, &conversation, &user, payload(128 * KIB + 10)).await;
    assert_error(
        &over,
        413,
        "LimitExceeded",
        "body.payload is 131082 bytes as JSON, over the limit of 131072 bytes (128 KiB) by 10",
    );
    let listed = api
        .ok(
            "GET",
            &format!("/v1/chat/messages?conversationId={conversation}"),
            None,
            200,
        )
        .await;
    assert_eq!(listed["messages"].as_array().unwrap().len(), 1);
    let id = at_limit.body["message"]["id"].as_str().unwrap();
    let update = api
        .call(
            "PUT",
            &format!("/v1/chat/messages/{id}"),
            Some(json!({"payload": payload(129 * KIB), "tags": {}})),
        )
        .await;
    assert_error(&update, 413, "LimitExceeded", "body.payload");
}

#[tokio::test]
async fn a_state_over_128_kib_is_refused_also_when_a_patch_makes_it_so() {
    let api = Api::start(Config::new()).await;
    let user = api.user().await;
    let path = format!("/v1/chat/states/user/{user}/big");
    let big = api
        .call("POST", &path, Some(json!({"payload": payload(129 * KIB)})))
        .await;
    assert_error(&big, 413, "LimitExceeded", "the state's payload");
    api.ok(
        "POST",
        &path,
        Some(json!({"payload": {"a": "x".repeat(100 * KIB)}})),
        200,
    )
    .await;
    let patch = api
        .call(
            "PATCH",
            &path,
            Some(json!({"payload": {"b": "y".repeat(40 * KIB)}})),
        )
        .await;
    assert_error(
        &patch,
        413,
        "LimitExceeded",
        "over the limit of 131072 bytes",
    );
    let kept = api.ok("GET", &path, None, 200).await;
    assert!(kept["state"]["payload"].get("b").is_none(), "unchanged");
}

#[tokio::test]
async fn bodies_have_their_apis_limit() {
    let api = Api::start(
        Config::new().platform_limits(PlatformLimits::service().tables_body(Some(4 * KIB))),
    )
    .await;
    let runtime = api
        .raw(
            "POST",
            "/v1/chat/users",
            Some(crate::common::BOT),
            Some(crate::common::TOKEN),
            Some(vec![b' '; KIB * KIB + 1]),
        )
        .await;
    assert_error(
        &runtime,
        413,
        "PayloadTooLarge",
        "the Runtime and Files API's limit of 1048576 bytes",
    );
    let tables = api
        .call(
            "POST",
            "/v1/tables/t/rows/find",
            Some(json!({"search": "x".repeat(5 * KIB)})),
        )
        .await;
    assert_error(
        &tables,
        413,
        "PayloadTooLarge",
        "the Tables API's limit of 4096 bytes",
    );
}

#[tokio::test]
async fn limits_can_be_turned_off() {
    let api = Api::start(Config::new().platform_limits(PlatformLimits::none())).await;
    let (conversation, user) = (api.conversation().await, api.user().await);
    let answer = message(&api, &conversation, &user, payload(200 * KIB)).await;
    assert_eq!(answer.status, 201, "{}", answer.body["type"]);
    let path = format!("/v1/chat/states/user/{user}/big");
    api.ok(
        "POST",
        &path,
        Some(json!({"payload": payload(200 * KIB)})),
        200,
    )
    .await;
    // The Tables limits too: 25 columns, a 5 KiB row at factor 1. Rows per call and the find
    // `limit` stay within the document's request schemas (at most 1,000 each).
    let columns: serde_json::Map<String, Value> = (0..25)
        .map(|i| (format!("c{i}"), json!({"type": "string"})))
        .collect();
    api.ok(
        "POST",
        "/v1/tables",
        Some(json!({"name": "wideTable", "schema": {"type": "object", "properties": columns}})),
        200,
    )
    .await;
    let big = json!({"rows": [{"c1": "x".repeat(5 * KIB)}]});
    api.ok("POST", "/v1/tables/wideTable/rows", Some(big), 200)
        .await;
    let rows: Vec<Value> = (0..1001).map(|i| json!({"c0": i.to_string()})).collect();
    let over = api
        .call(
            "POST",
            "/v1/tables/wideTable/rows",
            Some(json!({"rows": rows})),
        )
        .await;
    assert_error(&over, 400, "InvalidPayload", "body.rows: [{\"c0\":\"0\"}");
    assert!(
        over.body["message"].as_str().unwrap().len() < 300,
        "the value is not echoed whole: {}",
        over.body["message"]
    );
}

/// Each Tables limit follows `PlatformLimits`: columns, row size per factor, rows and ids per
/// call, and the largest find `limit` (which also lowers the default one).
#[tokio::test]
async fn the_tables_limits_can_be_changed() {
    let limits = PlatformLimits::service()
        .table_columns(Some(3))
        .table_row_bytes(Some(64))
        .table_rows_per_call(Some(5))
        .table_find_limit(Some(4));
    let api = Api::start(Config::new().platform_limits(limits)).await;
    let schema = |n: usize| {
        let columns: serde_json::Map<String, Value> = (0..n)
            .map(|i| (format!("c{i}"), json!({"type": "string"})))
            .collect();
        json!({"type": "object", "properties": columns})
    };
    let wide = api
        .call(
            "POST",
            "/v1/tables",
            Some(json!({"name": "leadsTable", "schema": schema(4)})),
        )
        .await;
    assert_error(&wide, 400, "InvalidPayload", "at most 3 columns, got 4");
    api.ok(
        "POST",
        "/v1/tables",
        Some(json!({"name": "leadsTable", "schema": schema(3)})),
        200,
    )
    .await;
    let rows = |n: usize| json!({"rows": (0..n).map(|i| json!({"c0": i.to_string()})).collect::<Vec<_>>()});
    let many = api
        .call("POST", "/v1/tables/leadsTable/rows", Some(rows(6)))
        .await;
    assert_error(&many, 400, "InvalidPayload", "1 to 5 rows, got 6");
    api.ok("POST", "/v1/tables/leadsTable/rows", Some(rows(5)), 200)
        .await;
    // 64 bytes per factor: `{"c1":"…"}` is 9 bytes of JSON around the text.
    let row = |text_len: usize| json!({"rows": [{"c1": "x".repeat(text_len)}]});
    let big = api
        .call("POST", "/v1/tables/leadsTable/rows", Some(row(56)))
        .await;
    assert_error(
        &big,
        413,
        "LimitExceeded",
        "rows[0]: the row holds 65 bytes, more than the table's limit of 64 bytes (64 bytes x factor 1)",
    );
    api.ok("POST", "/v1/tables/leadsTable/rows", Some(row(55)), 200)
        .await;
    api.ok(
        "PUT",
        "/v1/tables/leadsTable",
        Some(json!({"factor": 2})),
        200,
    )
    .await;
    api.ok("POST", "/v1/tables/leadsTable/rows", Some(row(100)), 200)
        .await;
    let ids = api
        .call(
            "POST",
            "/v1/tables/leadsTable/rows/delete",
            Some(json!({"ids": [1, 2, 3, 4, 5, 6]})),
        )
        .await;
    assert_error(&ids, 400, "InvalidPayload", "at most 5 ids per call, got 6");
    let find = api
        .call(
            "POST",
            "/v1/tables/leadsTable/rows/find",
            Some(json!({"limit": 5})),
        )
        .await;
    assert_error(&find, 400, "InvalidPayload", "between 1 and 4, got 5");
    let page = api
        .ok(
            "POST",
            "/v1/tables/leadsTable/rows/find",
            Some(json!({})),
            200,
        )
        .await;
    assert_eq!(
        page["rows"].as_array().unwrap().len(),
        4,
        "the default limit is lowered"
    );
    let table = api.ok("GET", "/v1/tables/leadsTable", None, 200).await;
    assert_eq!(table["rows"], 7, "only the calls within the limits wrote");
}
