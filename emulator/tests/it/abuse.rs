//! The emulator against hostile input: one bot never sees another's data; filters, regexes,
//! keys and tag filters built to attack (SQL fragments, catastrophic regexes, deeply nested
//! `$and`, huge `$in`) get a clear `400` or a correct result, within a bounded time (a hang
//! guard, not a timing assertion); body and row size limits answer `413`. After each attack
//! the data is intact.

use crate::common;

use std::time::Duration;

use botpress_emulator::Config;
use common::{Answer, Api, BOT, OTHER_BOT};
use serde_json::{Value, json};

const TABLE: &str = "attackTable";

/// Fails the test instead of hanging if `f` takes more than a minute.
async fn bounded<F: std::future::Future>(what: &str, f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(60), f)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within 60 s"))
}

/// An emulator with a table of five people.
async fn setup() -> Api {
    let api = Api::start(Config::new().max_body_bytes(256 * 1024)).await;
    api.ok(
        "POST",
        "/v1/tables",
        Some(json!({
            "name": TABLE,
            "schema": {"type": "object", "properties": {
                "name": {"type": "string"}, "age": {"type": "number"}
            }}
        })),
        200,
    )
    .await;
    let rows = json!([
        {"name": "alice", "age": 30},
        {"name": "bob", "age": 17},
        {"name": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", "age": 1},
        {"name": "aaaa", "age": 2},
        {"name": "' OR '1'='1", "age": 99},
    ]);
    api.ok(
        "POST",
        &format!("/v1/tables/{TABLE}/rows"),
        Some(json!({"rows": rows})),
        200,
    )
    .await;
    api
}

/// `findTableRows` with `body`.
async fn find(api: &Api, body: Value) -> Answer {
    bounded(
        "findTableRows",
        api.call("POST", &format!("/v1/tables/{TABLE}/rows/find"), Some(body)),
    )
    .await
}

/// The sorted names of a successful find.
fn names(answer: &Answer) -> Vec<String> {
    let mut names: Vec<String> = answer.body["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("rows in {}", answer.body))
        .iter()
        .map(|r| r["name"].as_str().unwrap_or_default().to_string())
        .collect();
    names.sort();
    names
}

/// Prints what an attack got (visible with `--nocapture`), for the record.
fn outcome(what: &str, a: &Answer) {
    let detail = a.body["message"].as_str().unwrap_or("");
    println!("attack: {what} -> {} {detail}", a.status);
}

/// Asserts a clear client error: 400 with a Botpress error body and a message.
fn assert_clear_400(what: &str, a: &Answer) {
    assert_eq!(a.status, 400, "{what}: {}", a.body);
    assert!(
        a.body["type"].as_str().is_some_and(|t| !t.is_empty()),
        "{what}: typed error {}",
        a.body
    );
    assert!(
        a.body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{what}: a message {}",
        a.body
    );
}

/// The table still holds its five rows.
async fn assert_intact(api: &Api) {
    let all = find(api, json!({"limit": 100})).await;
    assert_eq!(all.status, 200, "{}", all.body);
    assert_eq!(names(&all).len(), 5, "the table is intact: {}", all.body);
}

#[tokio::test]
async fn sql_fragments_in_filters_are_data_or_rejected() {
    let api = setup().await;
    // As values: plain data, matching only the row that holds that exact text.
    let a = find(&api, json!({"filter": {"name": "' OR '1'='1"}})).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(names(&a), vec!["' OR '1'='1"]);
    for value in [
        "x' OR 1=1 --",
        "x\"; DROP TABLE tbl_rows; --",
        "%",
        "_",
        "\\",
    ] {
        let a = find(&api, json!({"filter": {"name": value}})).await;
        assert_eq!(a.status, 200, "{value}: {}", a.body);
        assert!(names(&a).is_empty(), "{value} matches nothing: {}", a.body);
        let a = find(&api, json!({"filter": {"name": {"$in": [value, "alice"]}}})).await;
        assert_eq!(names(&a), vec!["alice"], "{value} in $in");
    }
    // As column names, operators, order and selection: rejected or harmless.
    let columns = [
        "name\" OR 1=1 --",
        "name'); DROP TABLE tbl_rows; --",
        "id) OR (1=1",
        "json_extract(data, '$.name')",
    ];
    for col in columns {
        let a = find(&api, json!({"filter": {col: "alice"}})).await;
        outcome(&format!("filter column {col}"), &a);
        if a.status == 200 {
            assert!(
                names(&a).is_empty(),
                "{col}: no such column, no match: {}",
                a.body
            );
        } else {
            assert_clear_400(col, &a);
        }
        let a = find(&api, json!({"orderBy": col})).await;
        assert_clear_400(&format!("orderBy {col}"), &a);
        let a = find(&api, json!({"select": [col]})).await;
        outcome(&format!("select {col}"), &a);
        if a.status != 200 {
            assert_clear_400(&format!("select {col}"), &a);
        }
        let a = find(&api, json!({"group": {col: "key"}})).await;
        outcome(&format!("group {col}"), &a);
        if a.status != 200 {
            assert_clear_400(&format!("group {col}"), &a);
        }
    }
    let a = find(&api, json!({"filter": {"name": {"$where": "1=1"}}})).await;
    assert_clear_400("unknown operator", &a);
    let a = find(&api, json!({"orderDirection": "asc; DROP TABLE tbl_rows"})).await;
    assert_clear_400("orderDirection", &a);
    assert_intact(&api).await;
}

#[tokio::test]
async fn catastrophic_and_invalid_regexes_are_bounded() {
    let api = setup().await;
    // Exponential for a backtracking engine on the 44-`a` row; linear here.
    for (pattern, expected) in [
        ("(a+)+$", vec!["aaaa"]),
        ("(a|aa)+$", vec!["aaaa"]),
        ("(a|a?)+z$", vec![]),
        ("^(a*)*$", vec!["aaaa"]),
    ] {
        let a = find(&api, json!({"filter": {"name": {"$regex": pattern}}})).await;
        assert_eq!(a.status, 200, "{pattern}: {}", a.body);
        assert_eq!(names(&a), expected, "{pattern}");
    }
    let long = "a".repeat(100_000);
    for (what, pattern) in [
        ("unbalanced", "(".to_string()),
        ("too long", long),
        ("huge repetition", "a{1000}{1000}{1000}".to_string()),
        ("backreference", "(a)\\1".to_string()),
    ] {
        let a = find(&api, json!({"filter": {"name": {"$regex": pattern}}})).await;
        outcome(&format!("regex {what}"), &a);
        assert_clear_400(what, &a);
    }
    assert_intact(&api).await;
}

/// `{"$and": [{"$and": [ ... {"age": {"$gte": 0}} ... ]}]}`, `depth` levels.
fn nested_and(depth: usize) -> Value {
    let mut filter = json!({"age": {"$gte": 0}});
    for _ in 0..depth {
        filter = json!({"$and": [filter]});
    }
    filter
}

#[tokio::test]
async fn deep_nesting_and_huge_lists_are_rejected_or_correct() {
    let api = setup().await;
    let a = find(&api, json!({"filter": nested_and(8)})).await;
    assert_eq!(a.status, 200, "moderate nesting works: {}", a.body);
    assert_eq!(names(&a).len(), 5);
    for depth in [40, 64, 1_000, 15_000] {
        // Past the filter depth limit, and (at 15 000) past any JSON parser's recursion limit.
        let body = format!(
            "{{\"filter\": {}{}{}}}",
            "{\"$and\": [".repeat(depth),
            "{\"age\": 1}",
            "]}".repeat(depth)
        );
        let a = bounded(
            "nested",
            api.raw(
                "POST",
                &format!("/v1/tables/{TABLE}/rows/find"),
                Some(BOT),
                Some(common::TOKEN),
                Some(body.into_bytes()),
            ),
        )
        .await;
        outcome(&format!("$and nested {depth} deep"), &a);
        assert_clear_400(&format!("depth {depth}"), &a);
    }
    let mut values: Vec<Value> = (0..1000).map(|i| json!(format!("n{i}"))).collect();
    values.push(json!("bob"));
    let a = find(&api, json!({"filter": {"name": {"$in": values}}})).await;
    outcome("$in of 1001", &a);
    if a.status == 200 {
        assert_eq!(names(&a), vec!["bob"]);
    } else {
        assert_clear_400("$in of 1001", &a);
    }
    let huge: Vec<Value> = (0..20_000).map(|i| json!(i)).collect();
    let a = find(&api, json!({"filter": {"age": {"$in": huge}}})).await;
    outcome("$in of 20 000", &a);
    if a.status == 200 {
        assert_eq!(names(&a).len(), 5);
    } else {
        assert_clear_400("$in of 20 000", &a);
    }
    let wide: Vec<Value> = (0..5_000).map(|i| json!({"age": i})).collect();
    let a = find(&api, json!({"filter": {"$or": wide}})).await;
    outcome("$or of 5 000", &a);
    if a.status == 200 {
        assert_eq!(names(&a).len(), 5);
    } else {
        assert_clear_400("$or of 5 000", &a);
    }
    assert_intact(&api).await;
}

#[tokio::test]
async fn hostile_keys_and_tags_find_nothing_and_break_nothing() {
    let api = setup().await;
    api.ok(
        "POST",
        "/v1/chat/conversations",
        Some(json!({"channel": "web", "tags": {"w": "1"}})),
        201,
    )
    .await;
    for key in [
        "' OR 1=1 --",
        "../../etc/passwd",
        "conv_1; DROP TABLE conversations",
        "%00",
    ] {
        let enc: String = key
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let a = bounded(
            "get",
            api.call("GET", &format!("/v1/chat/conversations/{enc}"), None),
        )
        .await;
        assert_eq!(a.status, 404, "{key}: {}", a.body);
        let a = bounded(
            "list",
            api.call(
                "GET",
                &format!("/v1/chat/conversations?tags.{enc}={enc}"),
                None,
            ),
        )
        .await;
        assert_eq!(a.status, 200, "{key}: {}", a.body);
        assert_eq!(a.body["conversations"], json!([]), "{key}");
        let a = bounded("table", api.call("GET", &format!("/v1/tables/{enc}"), None)).await;
        assert!(
            a.status == 404 || a.status == 400,
            "{key}: table lookup {}",
            a.body
        );
    }
    let a = api
        .call("GET", "/v1/chat/conversations?tags.w=1", None)
        .await;
    assert_eq!(a.body["conversations"].as_array().unwrap().len(), 1);
    assert_intact(&api).await;
}

#[tokio::test]
async fn one_bot_never_sees_another_bots_data() {
    let api = setup().await;
    let conv = api
        .ok(
            "POST",
            "/v1/chat/conversations",
            Some(json!({"channel": "web", "tags": {"secret": "a"}})),
            201,
        )
        .await;
    let conv_id = conv["conversation"]["id"].as_str().unwrap().to_string();
    let user = api
        .ok(
            "POST",
            "/v1/chat/users",
            Some(json!({"tags": {"secret": "a"}})),
            201,
        )
        .await;
    let user_id = user["user"]["id"].as_str().unwrap().to_string();

    let other = |method: &'static str, path: String, body: Option<Value>| {
        let api = &api;
        async move { bounded(&path.clone(), api.call_as(OTHER_BOT, method, &path, body)).await }
    };
    let a = other("GET", format!("/v1/chat/conversations/{conv_id}"), None).await;
    assert_eq!(a.status, 404, "{}", a.body);
    let a = other("GET", "/v1/chat/conversations".into(), None).await;
    assert_eq!(a.body["conversations"], json!([]), "{}", a.body);
    let a = other("GET", format!("/v1/chat/users/{user_id}"), None).await;
    assert_eq!(a.status, 404, "{}", a.body);
    let a = other("GET", "/v1/chat/users".into(), None).await;
    assert_eq!(a.body["users"], json!([]), "{}", a.body);
    let a = other(
        "DELETE",
        format!("/v1/chat/conversations/{conv_id}"),
        Some(json!({})),
    )
    .await;
    assert_eq!(
        a.status, 404,
        "cannot delete another bot's conversation: {}",
        a.body
    );
    let a = other("GET", format!("/v1/tables/{TABLE}"), None).await;
    assert_eq!(a.status, 404, "{}", a.body);
    let a = other("GET", "/v1/tables".into(), None).await;
    assert_eq!(a.body["tables"], json!([]), "{}", a.body);
    let a = other(
        "POST",
        format!("/v1/tables/{TABLE}/rows/find"),
        Some(json!({})),
    )
    .await;
    assert_eq!(a.status, 404, "{}", a.body);
    // The other bot may use the same table name for its own table.
    let a = other(
        "POST",
        "/v1/tables".into(),
        Some(json!({"name": TABLE, "schema": {"type": "object", "properties": {"x": {"type": "string"}}}})),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = other(
        "POST",
        format!("/v1/tables/{TABLE}/rows/find"),
        Some(json!({})),
    )
    .await;
    assert_eq!(a.body["rows"], json!([]), "{}", a.body);
    // And the first bot still has everything.
    let a = api
        .call("GET", &format!("/v1/chat/conversations/{conv_id}"), None)
        .await;
    assert_eq!(a.status, 200);
    assert_intact(&api).await;
}

#[tokio::test]
async fn size_limits_answer_413() {
    let api = setup().await;
    // Body above the configured 256 KB.
    let big = "x".repeat(300 * 1024);
    let a = bounded(
        "big body",
        api.call(
            "POST",
            "/v1/chat/conversations",
            Some(json!({"channel": "web", "tags": {"big": big}})),
        ),
    )
    .await;
    assert_eq!(a.status, 413, "{}", a.body);
    assert_eq!(a.body["type"], "PayloadTooLarge", "{}", a.body);
    // A row above 4 KB × factor 1.
    let a = api
        .call(
            "POST",
            &format!("/v1/tables/{TABLE}/rows"),
            Some(json!({"rows": [{"name": "y".repeat(5 * 1024), "age": 1}]})),
        )
        .await;
    assert_eq!(a.status, 413, "{}", a.body);
    assert_eq!(a.body["type"], "LimitExceeded", "{}", a.body);
    // More rows than a call may carry.
    let rows: Vec<Value> = (0..1001).map(|i| json!({"name": "r", "age": i})).collect();
    let a = api
        .call(
            "POST",
            &format!("/v1/tables/{TABLE}/rows"),
            Some(json!({"rows": rows})),
        )
        .await;
    outcome("1001 rows in one call", &a);
    assert!(a.status == 400 || a.status == 413, "{}", a.body);
    assert_intact(&api).await;
}

/// Uploads `text` as the file `key`; the `file` of the upsert answer.
async fn upload(api: &Api, key: &str, text: &str) -> Value {
    let up = api
        .ok(
            "PUT",
            "/v1/files",
            Some(json!({"key": key, "size": text.len(), "index": true})),
            200,
        )
        .await;
    let url = up["file"]["uploadUrl"].as_str().unwrap();
    let put = api
        .http
        .put(url)
        .body(text.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    up["file"].clone()
}

/// The content behind a file's `url` (status and body).
async fn download(api: &Api, id_or_key: &str) -> (u16, String) {
    let file = api
        .ok("GET", &format!("/v1/files/{id_or_key}"), None, 200)
        .await;
    let got = api
        .http
        .get(file["file"]["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    (got.status().as_u16(), got.text().await.unwrap())
}

#[tokio::test]
async fn copying_a_file_onto_its_own_key_keeps_its_content() {
    let api = Api::start(Config::new()).await;
    upload(&api, "self.txt", "Cats purr.\n\nDogs bark.").await;
    let copy = api
        .ok(
            "POST",
            "/v1/files/self.txt/self.txt",
            Some(json!({"overwrite": true})),
            200,
        )
        .await;
    assert_eq!(copy["file"]["status"], "indexing_completed");
    assert_eq!(
        download(&api, "self.txt").await,
        (200, "Cats purr.\n\nDogs bark.".to_string())
    );
    let id = copy["file"]["id"].as_str().unwrap();
    let passages = api
        .ok("GET", &format!("/v1/files/{id}/passages"), None, 200)
        .await;
    assert_eq!(
        passages["passages"].as_array().unwrap().len(),
        2,
        "{passages}"
    );
    let listed = api.ok("GET", "/v1/files", None, 200).await;
    assert_eq!(listed["files"].as_array().unwrap().len(), 1, "{listed}");
}

#[tokio::test]
async fn a_download_url_cannot_upload_and_an_upload_url_cannot_download() {
    let api = Api::start(Config::new()).await;
    let file = upload(&api, "doc.txt", "original").await;
    let upload_url = file["uploadUrl"].as_str().unwrap().to_string();
    let got = api.ok("GET", "/v1/files/doc.txt", None, 200).await;
    let download_url = got["file"]["url"].as_str().unwrap().to_string();
    let upload_secret = upload_url.split("?s=").nth(1).unwrap();
    let download_secret = download_url.split("?s=").nth(1).unwrap();
    assert_ne!(upload_secret, download_secret);

    // The download link's secret on the upload route, and the link itself with PUT.
    let replaced_with_download_secret = upload_url.replace(upload_secret, download_secret);
    for url in [&replaced_with_download_secret, &download_url] {
        let put = api.http.put(url).body("replaced").send().await.unwrap();
        assert!(
            put.status() == 403 || put.status() == 404,
            "PUT {url}: {}",
            put.status()
        );
    }
    // The upload link's secret on the download route.
    let read = api
        .http
        .get(download_url.replace(download_secret, upload_secret))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 403);
    assert_eq!(
        download(&api, "doc.txt").await,
        (200, "original".to_string())
    );
    // The upload link still uploads.
    let put = api
        .http
        .put(&upload_url)
        .body("second")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    assert_eq!(download(&api, "doc.txt").await, (200, "second".to_string()));
}

/// `upsertFile` sent with a forged `Host` header; the answer's `file`.
async fn upsert_with_forged_host(api: &Api) -> Value {
    let answer = api
        .http
        .put(api.url("/v1/files"))
        .bearer_auth(common::TOKEN)
        .header("x-bot-id", BOT)
        .header("host", "evil.example")
        .json(&json!({"key": "a.txt", "size": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let body: Value = answer.json().await.unwrap();
    body["file"].clone()
}

#[tokio::test]
async fn file_urls_come_from_the_public_url_not_the_host_header() {
    let api = Api::start(Config::new().public_url("https://bp.example.test/base/")).await;
    let file = upsert_with_forged_host(&api).await;
    for field in ["url", "uploadUrl"] {
        let url = file[field].as_str().unwrap();
        assert!(
            url.starts_with("https://bp.example.test/base/_emulator/"),
            "{field}: {url}"
        );
    }
    // Without a public URL, links point at the bound address, whatever the Host header says.
    let plain = Api::start(Config::new()).await;
    let file = upsert_with_forged_host(&plain).await;
    let url = file["uploadUrl"].as_str().unwrap();
    assert!(url.starts_with(&plain.emulator.base_url()), "{url}");
    // A public URL that is not one fails the start with a message naming it.
    let err = botpress_emulator::spawn(Config::new().public_url("ftp://x"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("--public-url `ftp://x`"), "{err}");
}

#[tokio::test]
async fn state_keys_do_not_alias_through_a_separator() {
    let api = Api::start(Config::new()).await;
    let first = "/v1/chat/states/bot/a%1Fb/c";
    let second = "/v1/chat/states/bot/a/b%1Fc";
    api.ok("POST", first, Some(json!({"payload": {"v": 1}})), 200)
        .await;
    common::assert_error(
        &api.call("GET", second, None).await,
        404,
        "ResourceNotFound",
        "No State found",
    );
    api.ok("POST", second, Some(json!({"payload": {"v": 2}})), 200)
        .await;
    assert_eq!(
        api.ok("GET", first, None, 200).await["state"]["payload"]["v"],
        1
    );
    assert_eq!(
        api.ok("GET", second, None, 200).await["state"]["payload"]["v"],
        2
    );
}

#[tokio::test]
async fn a_wide_group_is_a_400_naming_the_limit() {
    let api = setup().await;
    let path = format!("/v1/tables/{TABLE}/rows/find");
    let all_ops = ["key", "avg", "max", "min", "sum", "count"];
    let wide: Vec<&str> = all_ops.iter().copied().cycle().take(3600).collect();
    for (what, group) in [
        ("3,600 aggregations", json!({ "age": wide })),
        (
            "101 outputs",
            json!({"age": vec![json!("sum"); 101], "name": "key"}),
        ),
    ] {
        let a = bounded(what, api.call("POST", &path, Some(json!({"group": group})))).await;
        common::assert_error(&a, 400, "InvalidQuery", "group: at most 100 outputs");
    }
    let a = api
        .call(
            "POST",
            &path,
            Some(json!({"group": {"name": "key", "age": ["sum", "count"]}})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_intact(&api).await;
}

/// An emulator with `rows` rows of 100-character texts in table `big`, and the slowest filter
/// the limits allow over them: 1,000 `$regex` branches, each tried on every row.
async fn expensive(config: Config, rows: usize) -> (Api, Value) {
    let api = Api::start(config).await;
    api.ok(
        "POST",
        "/v1/tables",
        Some(
            json!({"name": "big", "schema": {"type": "object", "properties": {
            "text": {"type": "string"}}}}),
        ),
        200,
    )
    .await;
    for chunk in 0..rows.div_ceil(1000) {
        let batch: Vec<Value> = (0..1000.min(rows - chunk * 1000))
            .map(|i| json!({"text": format!("{:0>100}", chunk * 1000 + i)}))
            .collect();
        api.ok(
            "POST",
            "/v1/tables/big/rows",
            Some(json!({"rows": batch})),
            200,
        )
        .await;
    }
    let branches: Vec<Value> = (0..1000)
        .map(|i| json!({"text": {"$regex": format!("{i}x[a-z]+$"), "$options": "i"}}))
        .collect();
    (api, json!({"filter": {"$or": branches}, "limit": 10}))
}

#[tokio::test]
async fn a_query_past_its_budget_is_stopped_with_a_clear_error() {
    let (api, slow) = expensive(
        Config::new().query_budget(Duration::from_millis(1000)),
        5000,
    )
    .await;
    let a = bounded(
        "slow query",
        api.call("POST", "/v1/tables/big/rows/find", Some(slow)),
    )
    .await;
    common::assert_error(&a, 504, "OperationTimeout", "query budget of 1000 ms");
    // The connection it ran on serves the next request, and nothing was lost.
    for _ in 0..8 {
        let all = api
            .ok(
                "POST",
                "/v1/tables/big/rows/find",
                Some(json!({"limit": 1, "offset": 4999})),
                200,
            )
            .await;
        assert_eq!(all["rows"][0]["id"], 5000, "{all}");
    }
}

/// The budget is per statement: a call made of many quick statements (1,000 row inserts, each
/// with its index entries) runs to the end even when it takes longer than the budget in all.
#[tokio::test]
async fn a_long_call_of_quick_statements_is_not_stopped() {
    let api = Api::start(Config::new().query_budget(Duration::from_millis(100))).await;
    api.ok(
        "POST",
        "/v1/tables",
        Some(
            json!({"name": "many", "schema": {"type": "object", "properties": {
            "text": {"type": "string"}, "n": {"type": "number"}}}}),
        ),
        200,
    )
    .await;
    let started = std::time::Instant::now();
    let rows: Vec<Value> = (0..1000)
        .map(|i| json!({"text": format!("{i:0>200}"), "n": i}))
        .collect();
    let created = api
        .ok(
            "POST",
            "/v1/tables/many/rows",
            Some(json!({"rows": rows})),
            200,
        )
        .await;
    assert_eq!(created["rows"].as_array().unwrap().len(), 1000);
    eprintln!(
        "1,000 inserts in {:?} with a 100 ms budget",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_of_one_bot_do_not_wait_behind_another_bots_long_query() {
    let (api, slow) = expensive(Config::new().query_budget(Duration::from_secs(120)), 150).await;
    let user = api
        .call_as(
            OTHER_BOT,
            "POST",
            "/v1/chat/users",
            Some(json!({"tags": {}})),
        )
        .await;
    let user = user.body["user"]["id"].as_str().unwrap().to_string();
    let api = std::sync::Arc::new(api);
    let long = {
        let api = api.clone();
        tokio::spawn(async move {
            api.call("POST", "/v1/tables/big/rows/find", Some(slow))
                .await
        })
    };
    // Let the long query start, then read as the other bot while it runs.
    tokio::time::sleep(Duration::from_millis(100)).await;
    for _ in 0..20 {
        let got = api
            .call_as(OTHER_BOT, "GET", &format!("/v1/chat/users/{user}"), None)
            .await;
        assert_eq!(got.status, 200, "{}", got.body);
    }
    assert!(
        !long.is_finished(),
        "the long query ended before 20 reads of another bot: they waited behind it, or it was too short"
    );
    let done = bounded("long query", long).await.unwrap();
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.body["rows"], json!([]));
}

/// Raw sockets against the connection limits: every way of holding a connection open without
/// finishing a request ends with the connection closed (or a `408`) within its timeout, and a
/// connection over the cap gets a `503` instead of waiting.
mod connections {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    async fn limited(max_connections: usize) -> Api {
        Api::start(
            Config::new()
                .header_timeout(Duration::from_millis(400))
                .body_timeout(Duration::from_millis(400))
                .max_connections(max_connections),
        )
        .await
    }

    /// Reads until the server closes the connection; what it sent.
    async fn until_closed(stream: &mut TcpStream) -> String {
        let mut out = Vec::new();
        let read = bounded("the server closing the connection", async {
            loop {
                let mut buf = [0u8; 4096];
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => out.extend_from_slice(&buf[..n]),
                }
            }
        });
        read.await;
        String::from_utf8_lossy(&out).into_owned()
    }

    fn head(path: &str) -> String {
        format!(
            "GET {path} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\nx-bot-id: {BOT}\r\n\r\n",
            common::TOKEN
        )
    }

    #[tokio::test]
    async fn silent_slow_and_incomplete_heads_are_closed() {
        let api = limited(64).await;
        let addr = api.emulator.addr();
        // Silent: connected, nothing sent.
        let mut silent = TcpStream::connect(addr).await.unwrap();
        assert_eq!(until_closed(&mut silent).await, "");
        // Incomplete: half a head, then nothing.
        let mut partial = TcpStream::connect(addr).await.unwrap();
        partial
            .write_all(b"GET /v1/chat/users HTTP/1.1\r\nhost: x\r\n")
            .await
            .unwrap();
        let answer = until_closed(&mut partial).await;
        assert!(!answer.contains("200 OK"), "{answer}");
        // Slow: one header line every 150 ms, 20 lines: the head is never done in time.
        let mut slow = TcpStream::connect(addr).await.unwrap();
        slow.write_all(b"GET /v1/chat/users HTTP/1.1\r\n")
            .await
            .unwrap();
        let mut closed_early = false;
        for i in 0..20 {
            tokio::time::sleep(Duration::from_millis(150)).await;
            if slow
                .write_all(format!("x-h{i}: v\r\n").as_bytes())
                .await
                .is_err()
            {
                closed_early = true;
                break;
            }
        }
        let answer = until_closed(&mut slow).await;
        assert!(closed_early || !answer.contains("200 OK"), "{answer}");
        // Still serving.
        api.ok("GET", "/v1/chat/users", None, 200).await;
    }

    #[tokio::test]
    async fn idle_keep_alive_connections_are_closed() {
        let api = limited(64).await;
        let mut conn = TcpStream::connect(api.emulator.addr()).await.unwrap();
        conn.write_all(head("/v1/chat/users").as_bytes())
            .await
            .unwrap();
        // The answer, then the connection stays idle until the server closes it.
        let answer = until_closed(&mut conn).await;
        assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
        assert!(answer.contains("\"users\":[]"), "{answer}");
    }

    #[tokio::test]
    async fn a_body_shorter_than_its_length_is_a_408() {
        let api = limited(64).await;
        let mut conn = TcpStream::connect(api.emulator.addr()).await.unwrap();
        let request = format!(
            "POST /v1/chat/users HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\n\
             x-bot-id: {BOT}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n\
             {{\"tags\": {{",
            common::TOKEN
        );
        conn.write_all(request.as_bytes()).await.unwrap();
        let answer = until_closed(&mut conn).await;
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains("\"type\":\"OperationTimeout\""), "{answer}");
        assert!(answer.contains("--body-timeout-ms"), "{answer}");
        let users = api.ok("GET", "/v1/chat/users", None, 200).await;
        assert_eq!(users["users"], json!([]), "nothing was created");
    }

    #[tokio::test]
    async fn connections_over_the_cap_get_a_503_and_accepting_goes_on() {
        let api = Api::start(
            Config::new()
                .header_timeout(Duration::from_secs(30))
                .max_connections(8),
        )
        .await;
        let addr = api.emulator.addr();
        let mut held = Vec::new();
        for _ in 0..8 {
            held.push(TcpStream::connect(addr).await.unwrap());
        }
        // Let the server accept them all.
        tokio::time::sleep(Duration::from_millis(200)).await;
        for _ in 0..3 {
            let mut extra = TcpStream::connect(addr).await.unwrap();
            let answer = until_closed(&mut extra).await;
            assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
            assert!(answer.contains("retry-after: 1"), "{answer}");
            assert!(answer.contains("--max-connections"), "{answer}");
        }
        drop(held);
        // Freed slots serve again (the server notices the closed sockets at once).
        let answer = bounded("a request after the held connections closed", async {
            loop {
                let a = api.call("GET", "/v1/chat/users", None).await;
                if a.status != 503 {
                    break a;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
}
