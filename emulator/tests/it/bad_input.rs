//! Requests that do not fit the document, or lack credentials, get the service's errors:
//! `400 InvalidPayload` naming the field, `401 Unauthorized`, `413 PayloadTooLarge`,
//! `404 ResourceNotFound` for another bot's ids; concurrent writers lose nothing.

use crate::common;

use botpress_emulator::Config;
use common::{Api, BOT, OTHER_BOT, TOKEN, assert_error};
use serde_json::{Value, json};

#[tokio::test]
async fn malformed_bodies_are_invalid_payloads_naming_the_field() {
    let api = Api::start(Config::new()).await;
    let raw = |body: &str| {
        api.raw(
            "POST",
            "/v1/chat/conversations",
            Some(BOT),
            Some(TOKEN),
            Some(body.as_bytes().to_vec()),
        )
    };
    assert_error(
        &raw("{\"channel\": ").await,
        400,
        "InvalidPayload",
        "not valid JSON",
    );
    assert_error(&raw("[1, 2]").await, 400, "InvalidPayload", "body");
    assert_error(
        &raw(r#"{"channel": 5, "tags": {}}"#).await,
        400,
        "InvalidPayload",
        "body.channel",
    );
    assert_error(
        &raw(r#"{"channel": "web"}"#).await,
        400,
        "InvalidPayload",
        "tags",
    );
    assert_error(
        &raw(r#"{"channel": "web", "tags": {"a": 1}}"#).await,
        400,
        "InvalidPayload",
        "body.tags.a",
    );
    assert_error(
        &raw(r#"{"channel": "web", "tags": {}, "surprise": true}"#).await,
        400,
        "InvalidPayload",
        "surprise",
    );
    let long = "x".repeat(201);
    assert_error(
        &raw(&json!({"channel": long, "tags": {}}).to_string()).await,
        400,
        "InvalidPayload",
        "body.channel",
    );

    // Enums, nested objects and ranges.
    let wf = api
        .call(
            "POST",
            "/v1/chat/workflows",
            Some(json!({"name": "w", "status": "flying"})),
        )
        .await;
    assert_error(&wf, 400, "InvalidPayload", "body.status");
    let c = api.conversation().await;
    let expiry = api
        .call(
            "POST",
            &format!("/v1/chat/states/conversation/{c}/s"),
            Some(json!({"payload": {}, "expiry": 0})),
        )
        .await;
    assert_error(&expiry, 400, "InvalidPayload", "body.expiry");
    let analytics = api
        .call(
            "POST",
            "/v1/chat/analytics",
            Some(json!({"name": "n", "count": "many"})),
        )
        .await;
    assert_error(&analytics, 400, "InvalidPayload", "body.count");

    // Query parameters and path parameters are checked against the document too.
    assert_error(
        &api.call("GET", "/v1/chat/conversations?pageSize=101", None)
            .await,
        400,
        "InvalidPayload",
        "query.pageSize",
    );
    assert_error(
        &api.call("GET", "/v1/chat/conversations?pageSize=ten", None)
            .await,
        400,
        "InvalidPayload",
        "query.pageSize",
    );
    assert_error(
        &api.call("GET", "/v1/chat/conversations?sortField=name", None)
            .await,
        400,
        "InvalidPayload",
        "query.sortField",
    );
    assert_error(
        &api.call("GET", "/v1/chat/tags/k/values", None).await,
        400,
        "InvalidPayload",
        "query.type",
    );
    assert_error(
        &api.call("GET", "/v1/chat/states/galaxy/x/y", None).await,
        400,
        "InvalidPayload",
        "path.type",
    );
    assert_error(
        &api.call("GET", "/v1/chat/conversations?nextToken=forged", None)
            .await,
        400,
        "InvalidQuery",
        "nextToken",
    );

    // Nothing was stored by the rejected calls.
    let list = api.ok("GET", "/v1/chat/conversations", None, 200).await;
    assert_eq!(list["conversations"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let api = Api::start(Config::new().max_body_bytes(1024)).await;
    let big = json!({"channel": "web", "tags": {"blob": "x".repeat(2000)}});
    let answer = api.call("POST", "/v1/chat/conversations", Some(big)).await;
    assert_error(&answer, 413, "PayloadTooLarge", "1024");
}

#[tokio::test]
async fn tokens_and_bot_ids_are_required() {
    let api = Api::start(Config::new()).await;
    let none = api
        .raw("GET", "/v1/chat/conversations", Some(BOT), None, None)
        .await;
    assert_error(&none, 401, "Unauthorized", "Authorization");
    let wrong = api
        .raw(
            "GET",
            "/v1/chat/conversations",
            Some(BOT),
            Some("not-the-token"),
            None,
        )
        .await;
    assert_error(&wrong, 401, "Unauthorized", "Invalid token");
    assert!(
        !wrong.body.to_string().contains(TOKEN),
        "the token never appears in errors"
    );
    let no_bot = api
        .raw("GET", "/v1/chat/conversations", None, Some(TOKEN), None)
        .await;
    assert_error(&no_bot, 400, "InvalidPayload", "x-bot-id");
    let unknown = api.call("GET", "/v1/chat/nothing-here", None).await;
    assert_error(&unknown, 404, "ResourceNotFound", "No route");
    let method = api.call("PATCH", "/v1/chat/conversations", None).await;
    assert_error(&method, 405, "MethodNotFound", "PATCH");
}

#[tokio::test]
async fn another_bots_ids_are_not_found() {
    let api = Api::start(Config::new()).await;
    let c = api.conversation().await;
    let u = api.user().await;
    api.ok(
        "POST",
        &format!("/v1/chat/states/user/{u}/s"),
        Some(json!({"payload": {"secret": 1}})),
        200,
    )
    .await;
    let f = api
        .ok(
            "PUT",
            "/v1/files",
            Some(json!({"key": "private.txt", "size": 1})),
            200,
        )
        .await;
    for path in [
        format!("/v1/chat/conversations/{c}"),
        format!("/v1/chat/users/{u}"),
        format!("/v1/chat/states/user/{u}/s"),
        format!("/v1/files/{}", f["file"]["id"].as_str().unwrap()),
        "/v1/files/private.txt".to_string(),
    ] {
        let answer = api.call_as(OTHER_BOT, "GET", &path, None).await;
        assert_error(&answer, 404, "ResourceNotFound", "");
    }
    let del = api
        .call_as(
            OTHER_BOT,
            "DELETE",
            &format!("/v1/chat/conversations/{c}"),
            Some(json!({})),
        )
        .await;
    assert_eq!(del.status, 404);
    let other = api
        .call_as(OTHER_BOT, "GET", "/v1/chat/conversations", None)
        .await;
    assert_eq!(other.body["conversations"], json!([]));
    api.ok("GET", &format!("/v1/chat/conversations/{c}"), None, 200)
        .await;
}

#[tokio::test]
async fn injection_attempts_in_tags_and_keys_are_plain_data() {
    let api = Api::start(Config::new()).await;
    let hostile = "x' OR '1'='1'; DROP TABLE docs; --";
    let body = json!({"channel": "web", "tags": {hostile: hostile, "k": "v"}});
    let created = api
        .ok("POST", "/v1/chat/conversations", Some(body), 201)
        .await;
    assert_eq!(created["conversation"]["tags"][hostile], hostile);
    api.ok(
        "POST",
        "/v1/chat/conversations",
        Some(json!({"channel": "web", "tags": {"k": "w"}})),
        201,
    )
    .await;
    let enc = |s: &str| s.bytes().map(|b| format!("%{b:02X}")).collect::<String>();
    let found = api
        .ok(
            "GET",
            &format!(
                "/v1/chat/conversations?tags.{}={}",
                enc(hostile),
                enc(hostile)
            ),
            None,
            200,
        )
        .await;
    assert_eq!(found["conversations"].as_array().unwrap().len(), 1);
    let none = api
        .ok(
            "GET",
            &format!("/v1/chat/conversations?tags.k={}", enc("v' OR 1=1 --")),
            None,
            200,
        )
        .await;
    assert_eq!(none["conversations"], json!([]));
    let key = "../../etc/passwd'; --";
    api.ok(
        "PUT",
        "/v1/files",
        Some(json!({"key": key, "size": 1})),
        200,
    )
    .await;
    let by_key = api
        .ok("GET", &format!("/v1/files/{}", enc(key)), None, 200)
        .await;
    assert_eq!(by_key["file"]["key"], key);
    let state = api
        .call(
            "GET",
            &format!("/v1/chat/states/bot/{}/{}", enc(hostile), enc(hostile)),
            None,
        )
        .await;
    assert_eq!(state.status, 404);
    let all = api.ok("GET", "/v1/chat/conversations", None, 200).await;
    assert_eq!(
        all["conversations"].as_array().unwrap().len(),
        2,
        "both conversations are still there"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_to_one_state_lose_no_update() {
    let api = std::sync::Arc::new(Api::start(Config::new()).await);
    let c = api.conversation().await;
    let path = format!("/v1/chat/states/conversation/{c}/counter");
    api.ok("POST", &path, Some(json!({"payload": {}})), 200)
        .await;
    let writers = 8;
    let per_writer = 10;
    let mut tasks = Vec::new();
    for w in 0..writers {
        let (api, path) = (api.clone(), path.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..per_writer {
                let body = json!({"payload": {format!("w{w}_{i}"): i}});
                let answer = api.call("PATCH", &path, Some(body)).await;
                assert_eq!(answer.status, 200, "{}", answer.body);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let state = api.ok("GET", &path, None, 200).await;
    let payload: &serde_json::Map<String, Value> = state["state"]["payload"].as_object().unwrap();
    assert_eq!(payload.len(), writers * per_writer, "every patch is kept");
}

/// Every number the emulator parses, at and past the edges of its type: a `nextToken` past the
/// end is an empty last page (never a wrap to the first page, never a panic), and numbers out of
/// range are `400`s naming the field. The server answers every request (a panic would close the
/// connection).
#[tokio::test]
async fn numbers_past_their_range_are_clear_errors_or_empty_pages() {
    let api = Api::start(Config::new()).await;
    let c = api.conversation().await;
    api.user().await;
    api.ok(
        "POST",
        "/v1/chat/messages",
        Some(
            json!({"conversationId": c, "userId": api.user().await, "type": "text",
                    "payload": {"text": "hi"}, "tags": {}}),
        ),
        201,
    )
    .await;
    let lists = [
        ("users", "/v1/chat/users?".to_string()),
        ("conversations", "/v1/chat/conversations?".to_string()),
        ("messages", format!("/v1/chat/messages?conversationId={c}&")),
        ("events", "/v1/chat/events?".to_string()),
        ("workflows", "/v1/chat/workflows?".to_string()),
        ("files", "/v1/files?".to_string()),
    ];
    // Keyset tokens (`after:<seq>:<sort value>`) at the ends of their range: past the end is an
    // empty last page; a sequence that is no i64, or an offset token, is refused.
    let keyset_ends = ["after:-9223372036854775808:%22%22", "after:-1:%22%22"];
    let keyset_refused = [
        "after:18446744073709551616:%22%22",
        "after:9223372036854775808:%22%22",
        "after:1:null",
        "page:1",
    ];
    // Offset tokens of the lists sorted in memory (files by key).
    let offset_ends = ["page:18446744073709551615", "page:9223372036854775807"];
    let offset_refused = [
        "page:18446744073709551616",
        "page:-1",
        "page:1e3",
        "after:1:%22%22",
    ];
    let mut lists: Vec<(&str, String, &[&str], &[&str])> = lists
        .iter()
        .map(|(k, b)| (*k, b.clone(), &keyset_ends[..], &keyset_refused[..]))
        .collect();
    lists.push((
        "files",
        "/v1/files?sortField=key&".to_string(),
        &offset_ends,
        &offset_refused,
    ));
    for (key, base, ends, refused) in &lists {
        for token in *ends {
            let page = api
                .ok(
                    "GET",
                    &format!("{base}nextToken={token}&pageSize=100"),
                    None,
                    200,
                )
                .await;
            assert_eq!(page[*key], json!([]), "{key} {token}: {page}");
            assert_eq!(page["meta"], json!({}), "{key} {token}: {page}");
        }
        for token in *refused {
            assert_error(
                &api.call("GET", &format!("{base}nextToken={token}"), None)
                    .await,
                400,
                "InvalidQuery",
                "nextToken",
            );
        }
        for size in ["18446744073709551616", "-1", "1e400", "101"] {
            let a = api
                .call("GET", &format!("{base}pageSize={size}"), None)
                .await;
            assert_eq!(a.status, 400, "{key} pageSize={size}: {}", a.body);
            assert!(
                a.body["message"].as_str().unwrap().contains("pageSize"),
                "{}",
                a.body
            );
        }
    }
    api.ok(
        "POST",
        "/v1/tables",
        Some(json!({"name": "nums", "schema": {"type": "object", "properties": {"n": {"type": "number"}}}})),
        200,
    )
    .await;
    for (field, value) in [
        ("limit", "9223372036854775807"),
        ("limit", "18446744073709551616"),
        ("limit", "-1"),
        ("limit", "0"),
        ("limit", "1e400"),
        ("offset", "9223372036854775807"),
        ("offset", "18446744073709551616"),
        ("offset", "-1"),
        ("offset", "1e400"),
    ] {
        let body = format!("{{\"{field}\": {value}}}");
        let a = api
            .raw(
                "POST",
                "/v1/tables/nums/rows/find",
                Some(BOT),
                Some(TOKEN),
                Some(body.clone().into_bytes()),
            )
            .await;
        assert_eq!(a.status, 400, "{body}: {}", a.body);
        // A number JSON cannot hold as a double is refused while parsing, by position.
        let named = if value == "1e400" {
            "number out of range"
        } else {
            field
        };
        assert!(
            a.body["message"].as_str().unwrap().contains(named),
            "{body}: {}",
            a.body
        );
    }
    for expiry in ["9223372036854775807", "18446744073709551616", "1e400", "-1"] {
        let body = format!("{{\"payload\": {{}}, \"expiry\": {expiry}}}");
        let a = api
            .raw(
                "POST",
                &format!("/v1/chat/states/conversation/{c}/s"),
                Some(BOT),
                Some(TOKEN),
                Some(body.clone().into_bytes()),
            )
            .await;
        assert_eq!(a.status, 400, "{body}: {}", a.body);
    }
    // Still serving.
    api.ok("GET", "/v1/chat/users", None, 200).await;
}
