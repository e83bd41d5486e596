//! The service's semantics: ids, pagination, tag filters, get-or-create discriminators,
//! message counts, scheduled events, states, workflow transitions, files and actions.

use crate::common;

use botpress_emulator::Config;
use common::{Api, assert_error};
use serde_json::{Value, json};

fn ids(list: &Value, key: &str) -> Vec<String> {
    list[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn lists_page_by_next_token_most_recent_first() {
    let api = Api::start(Config::new()).await;
    let mut created = Vec::new();
    for i in 0..25 {
        let c = api
            .ok(
                "POST",
                "/v1/chat/conversations",
                Some(json!({"channel": "web", "tags": {"n": i.to_string()}})),
                201,
            )
            .await;
        let id = c["conversation"]["id"].as_str().unwrap().to_string();
        assert!(
            id.starts_with("conv_") && (28..=36).contains(&id.len()),
            "{id}"
        );
        created.push(id);
    }
    let first = api.ok("GET", "/v1/chat/conversations", None, 200).await;
    assert_eq!(
        first["conversations"].as_array().unwrap().len(),
        20,
        "default page size"
    );
    let token = first["meta"]["nextToken"].as_str().unwrap();
    let second = api
        .ok(
            "GET",
            &format!("/v1/chat/conversations?nextToken={token}"),
            None,
            200,
        )
        .await;
    assert_eq!(second["conversations"].as_array().unwrap().len(), 5);
    assert!(
        second["meta"].get("nextToken").is_none(),
        "no token at the end"
    );
    let mut all = ids(&first, "conversations");
    all.extend(ids(&second, "conversations"));
    let mut expected = created.clone();
    expected.reverse();
    assert_eq!(all, expected);
    let asc = api
        .ok(
            "GET",
            "/v1/chat/conversations?sortDirection=asc&pageSize=100",
            None,
            200,
        )
        .await;
    assert_eq!(ids(&asc, "conversations"), created);
    let tagged = api
        .ok("GET", "/v1/chat/conversations?tags.n=7", None, 200)
        .await;
    assert_eq!(ids(&tagged, "conversations"), vec![created[7].clone()]);
}

#[tokio::test]
async fn get_or_create_uses_discriminators_and_tags_unset_with_empty_values() {
    let api = Api::start(Config::new()).await;
    let body = json!({"channel": "web", "tags": {"a": "1", "b": "2"}});
    let first = api
        .ok(
            "POST",
            "/v1/chat/conversations/get-or-create",
            Some(body.clone()),
            200,
        )
        .await;
    assert_eq!(first["meta"]["created"], true);
    let again = api
        .ok(
            "POST",
            "/v1/chat/conversations/get-or-create",
            Some(body),
            200,
        )
        .await;
    assert_eq!(
        (
            again["meta"]["created"].clone(),
            again["conversation"]["id"].clone()
        ),
        (json!(false), first["conversation"]["id"].clone())
    );
    let differs = json!({"channel": "web", "tags": {"a": "1", "b": "3"}});
    assert_eq!(
        api.ok(
            "POST",
            "/v1/chat/conversations/get-or-create",
            Some(differs),
            200
        )
        .await["meta"]["created"],
        true
    );
    let by_a = json!({"channel": "web", "tags": {"a": "1", "b": "9"}, "discriminateByTags": ["a"]});
    let matched = api
        .ok(
            "POST",
            "/v1/chat/conversations/get-or-create",
            Some(by_a),
            200,
        )
        .await;
    assert_eq!(matched["meta"]["created"], false);
    let id = first["conversation"]["id"].as_str().unwrap();
    let upd = api
        .ok(
            "PUT",
            &format!("/v1/chat/conversations/{id}"),
            Some(json!({"tags": {"a": "", "c": "3"}})),
            200,
        )
        .await;
    assert_eq!(upd["conversation"]["tags"], json!({"b": "2", "c": "3"}));
}

#[tokio::test]
async fn messages_count_per_conversation_and_go_with_it() {
    let api = Api::start(Config::new()).await;
    let u = api.user().await;
    let conv = api.conversation().await;
    let mut msgs = Vec::new();
    for i in 0..3 {
        let body = json!({"payload": {"text": i.to_string()}, "userId": u, "conversationId": conv, "type": "text", "tags": {}});
        let m = api.ok("POST", "/v1/chat/messages", Some(body), 201).await;
        assert!(m["message"]["id"].as_str().unwrap().starts_with("msg_"));
        msgs.push(m["message"]["id"].as_str().unwrap().to_string());
    }
    assert_eq!(
        api.ok("GET", &format!("/v1/chat/conversations/{conv}"), None, 200)
            .await["conversation"]["messageCount"],
        3
    );
    let listed = api
        .ok("GET", "/v1/chat/conversations?minMessageCount=3", None, 200)
        .await;
    assert_eq!(ids(&listed, "conversations"), vec![conv.clone()]);
    let incoming = api
        .ok(
            "POST",
            "/v1/chat/initialize-incoming-message",
            Some(json!({"userId": u, "conversationId": conv,
                "message": {"payload": {"text": "in"}, "type": "text", "tags": {}, "discriminateByTags": []}})),
            200,
        )
        .await;
    assert_eq!(incoming["message"]["direction"], "incoming");
    assert_eq!(incoming["conversation"]["messageCount"], 4);
    let missing = json!({"payload": {}, "userId": u, "conversationId": "conv_01HZX00000000000000000NONE", "type": "text", "tags": {}});
    assert_error(
        &api.call("POST", "/v1/chat/messages", Some(missing)).await,
        404,
        "ResourceNotFound",
        "Conversation",
    );
    api.ok(
        "DELETE",
        &format!("/v1/chat/conversations/{conv}"),
        Some(json!({})),
        200,
    )
    .await;
    assert_eq!(
        api.call("GET", &format!("/v1/chat/messages/{}", msgs[0]), None)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn scheduled_events_can_be_cancelled_once() {
    let api = Api::start(Config::new()).await;
    let e = api
        .ok(
            "POST",
            "/v1/chat/events",
            Some(json!({"type": "t", "payload": {}, "schedule": {"delay": 1000}})),
            201,
        )
        .await;
    assert_eq!(e["event"]["status"], "scheduled");
    let id = e["event"]["id"].as_str().unwrap();
    assert!(id.starts_with("evt_"));
    api.ok(
        "DELETE",
        &format!("/v1/chat/events/scheduled/{id}"),
        Some(json!({})),
        200,
    )
    .await;
    assert_eq!(
        api.ok("GET", &format!("/v1/chat/events/{id}"), None, 200)
            .await["event"]["status"],
        "canceled"
    );
    let twice = api
        .call(
            "DELETE",
            &format!("/v1/chat/events/scheduled/{id}"),
            Some(json!({})),
        )
        .await;
    assert_error(&twice, 400, "InvalidPayload", "not scheduled");
    let bad = api
        .call(
            "POST",
            "/v1/chat/events",
            Some(json!({"type": "t", "payload": {}, "schedule": {}})),
        )
        .await;
    assert_error(&bad, 400, "InvalidPayload", "schedule");
}

#[tokio::test]
async fn states_replace_merge_expire_and_delete() {
    let api = Api::start(Config::new()).await;
    let u = api.user().await;
    let path = format!("/v1/chat/states/user/{u}/prefs");
    assert_error(
        &api.call("GET", &path, None).await,
        404,
        "ResourceNotFound",
        "No State found",
    );
    let gs = api
        .ok(
            "POST",
            &format!("{path}/get-or-set"),
            Some(json!({"payload": {"a": 1}})),
            200,
        )
        .await;
    assert_eq!(
        (gs["meta"]["cached"].clone(), gs["state"]["userId"].clone()),
        (json!(false), json!(u))
    );
    let gs = api
        .ok(
            "POST",
            &format!("{path}/get-or-set"),
            Some(json!({"payload": {"a": 2}})),
            200,
        )
        .await;
    assert_eq!(
        (gs["meta"]["cached"].clone(), gs["state"]["payload"].clone()),
        (json!(true), json!({"a": 1}))
    );
    let patched = api
        .ok(
            "PATCH",
            &path,
            Some(json!({"payload": {"b": {"x": 1}}})),
            200,
        )
        .await;
    assert_eq!(patched["state"]["payload"], json!({"a": 1, "b": {"x": 1}}));
    let patched = api
        .ok(
            "PATCH",
            &path,
            Some(json!({"payload": {"b": {"y": 2}}})),
            200,
        )
        .await;
    assert_eq!(
        patched["state"]["payload"],
        json!({"a": 1, "b": {"y": 2}}),
        "the merge is shallow"
    );
    let set = api
        .ok(
            "POST",
            &path,
            Some(json!({"payload": {"z": 0}, "expiry": 60000})),
            200,
        )
        .await;
    assert_eq!(set["state"]["payload"], json!({"z": 0}));
    assert_eq!(set["state"]["expiry"], 60000);
    assert!(set["state"]["expiresAt"].is_string());
    let cleared = api
        .ok(
            "POST",
            &format!("{path}/expiry"),
            Some(json!({"expiry": null})),
            200,
        )
        .await;
    assert!(cleared["state"].get("expiresAt").is_none());
    api.ok(
        "POST",
        &format!("{path}/expiry"),
        Some(json!({"expiry": 1})),
        200,
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    assert_error(
        &api.call("GET", &path, None).await,
        404,
        "ResourceNotFound",
        "No State found",
    );
    api.ok("POST", &path, Some(json!({"payload": {"k": 1}})), 200)
        .await;
    api.ok("POST", &path, Some(json!({"payload": null})), 200)
        .await;
    assert_eq!(
        api.call("GET", &path, None).await.status,
        404,
        "a null payload deletes"
    );
}

#[tokio::test]
async fn workflows_follow_their_status_machine() {
    let api = Api::start(Config::new()).await;
    let no_event = api
        .call(
            "POST",
            "/v1/chat/workflows",
            Some(json!({"name": "w", "status": "in_progress"})),
        )
        .await;
    assert_error(&no_event, 400, "InvalidPayload", "eventId");
    let w = api
        .ok(
            "POST",
            "/v1/chat/workflows",
            Some(json!({"name": "w", "status": "pending"})),
            201,
        )
        .await;
    let id = w["workflow"]["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("wfl_") && w["workflow"]["timeoutAt"].is_string());
    let path = format!("/v1/chat/workflows/{id}");
    assert_error(
        &api.call("PUT", &path, Some(json!({"status": "in_progress"})))
            .await,
        400,
        "InvalidPayload",
        "eventId",
    );
    api.ok(
        "PUT",
        &path,
        Some(json!({"status": "in_progress", "eventId": "evt_01HZX000000000000000000001"})),
        200,
    )
    .await;
    let active = json!({"name": "w", "status": "pending", "discriminateByStatusGroup": "active"});
    assert_eq!(
        api.ok(
            "POST",
            "/v1/chat/workflows/get-or-create",
            Some(active.clone()),
            200
        )
        .await["workflow"]["id"],
        json!(id)
    );
    let failed = api
        .ok(
            "PUT",
            &path,
            Some(json!({"status": "failed", "failureReason": "boom"})),
            200,
        )
        .await;
    assert_eq!(
        (
            failed["workflow"]["status"].clone(),
            failed["workflow"]["failureReason"].clone()
        ),
        (json!("failed"), json!("boom"))
    );
    assert!(failed["workflow"]["completedAt"].is_string());
    assert_error(
        &api.call("PUT", &path, Some(json!({"status": "paused"})))
            .await,
        400,
        "InvalidPayload",
        "cannot move",
    );
    let fresh = api
        .ok(
            "POST",
            "/v1/chat/workflows/get-or-create",
            Some(active),
            200,
        )
        .await;
    assert_eq!(
        fresh["meta"]["created"], true,
        "the finished one is not active any more"
    );
    let finished =
        json!({"name": "w", "status": "pending", "discriminateByStatusGroup": "finished"});
    assert_eq!(
        api.ok(
            "POST",
            "/v1/chat/workflows/get-or-create",
            Some(finished),
            200
        )
        .await["workflow"]["id"],
        json!(id)
    );
    let listed = api
        .ok("GET", "/v1/chat/workflows?statuses=failed", None, 200)
        .await;
    assert_eq!(ids(&listed, "workflows"), vec![id]);
}

#[tokio::test]
async fn files_upload_filter_copy_and_search() {
    let api = Api::start(Config::new()).await;
    let up = api
        .ok("PUT", "/v1/files", Some(json!({"key": "kb/a.md", "size": 5, "tags": {"lang": "en", "src": "web"}, "index": true})), 200)
        .await;
    let file = &up["file"];
    assert!(file["id"].as_str().unwrap().starts_with("file_"));
    assert_eq!(
        (file["status"].clone(), file["contentType"].clone()),
        (json!("upload_pending"), json!("text/markdown"))
    );
    let url = file["uploadUrl"].as_str().unwrap();
    assert!(url.starts_with(&api.emulator.base_url()));
    let forged = api
        .http
        .put(url.replace("?s=", "?s=0"))
        .body("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let text = "Cats purr.\n\nDogs bark loudly.";
    assert_eq!(
        api.http.put(url).body(text).send().await.unwrap().status(),
        200
    );
    let got = api.ok("GET", "/v1/files/kb%2Fa.md", None, 200).await;
    assert_eq!(
        (got["file"]["status"].clone(), got["file"]["size"].clone()),
        (json!("indexing_completed"), json!(text.len()))
    );
    let passages = api
        .ok(
            "GET",
            &format!("/v1/files/{}/passages", file["id"].as_str().unwrap()),
            None,
            200,
        )
        .await;
    assert_eq!(passages["passages"].as_array().unwrap().len(), 2);
    let hits = api
        .ok("GET", "/v1/files/search?query=dogs%20bark", None, 200)
        .await;
    assert_eq!(hits["passages"][0]["content"], "Dogs bark loudly.");

    api.ok(
        "PUT",
        "/v1/files",
        Some(json!({"key": "b.txt", "size": 1, "tags": {"lang": "fr"}})),
        200,
    )
    .await;
    api.ok(
        "PUT",
        "/v1/files",
        Some(json!({"key": "c.txt", "size": 1})),
        200,
    )
    .await;
    let keys = |v: &Value| -> Vec<String> {
        let mut k: Vec<String> = v["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["key"].as_str().unwrap().into())
            .collect();
        k.sort();
        k
    };
    assert_eq!(
        keys(
            &api.ok("GET", "/v1/files?tags.lang=en&tags.lang=fr", None, 200)
                .await
        ),
        vec!["b.txt", "kb/a.md"]
    );
    assert_eq!(
        keys(&api.ok("GET", "/v1/files?tags.lang.not=en", None, 200).await),
        vec!["b.txt", "c.txt"]
    );
    assert_eq!(
        keys(&api.ok("GET", "/v1/files?indexed=true", None, 200).await),
        vec!["kb/a.md"]
    );

    let copy = api
        .ok("POST", "/v1/files/kb%2Fa.md/copy.md", Some(json!({})), 200)
        .await;
    let content = api
        .http
        .get(copy["file"]["url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(content, text);
    assert_error(
        &api.call("POST", "/v1/files/kb%2Fa.md/copy.md", Some(json!({})))
            .await,
        409,
        "AlreadyExists",
        "copy.md",
    );
    api.ok(
        "POST",
        "/v1/files/kb%2Fa.md/copy.md",
        Some(json!({"overwrite": true})),
        200,
    )
    .await;

    let updated = api
        .ok(
            "PUT",
            "/v1/files/b.txt",
            Some(json!({"tags": {"lang": null, "v": "2"}, "metadata": {"m": 1}})),
            200,
        )
        .await;
    assert_eq!(
        (
            updated["file"]["tags"].clone(),
            updated["file"]["metadata"].clone()
        ),
        (json!({"v": "2"}), json!({"m": 1}))
    );
    let past = api
        .call(
            "PUT",
            "/v1/files",
            Some(json!({"key": "old.txt", "size": 1, "expiresAt": "2001-01-01T00:00:00.000Z"})),
        )
        .await;
    assert_error(&past, 400, "InvalidPayload", "expiresAt");

    let public = api
        .ok(
            "PUT",
            "/v1/files",
            Some(json!({"key": "p.txt", "size": 2, "publicContentImmediatelyAccessible": true})),
            200,
        )
        .await;
    let purl = public["file"]["uploadUrl"].as_str().unwrap();
    assert_eq!(
        api.http.put(purl).body("hi").send().await.unwrap().status(),
        403,
        "the tagging header is required"
    );
    let tagged = api
        .http
        .put(purl)
        .header("x-amz-tagging", "public=true")
        .body("hi")
        .send()
        .await
        .unwrap();
    assert_eq!(tagged.status(), 200);
}

#[tokio::test]
async fn actions_run_in_process_forward_or_fail_clearly() {
    // A loopback action server answering `{output}`.
    let app = axum::Router::new().route(
        "/actions",
        axum::routing::post(|axum::Json(body): axum::Json<Value>| async move {
            axum::Json(json!({"output": {"forwarded": body["type"], "input": body["input"]}}))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let action_url = format!("http://{}/actions", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let config = Config::new()
        .action("math:double", |input| {
            Ok(json!({"n": input["n"].as_i64().unwrap_or(0) * 2}))
        })
        .action("math:fail", |_| Err("division by zero".into()))
        .action_url(action_url);
    let api = Api::start(config).await;
    let local = api
        .ok(
            "POST",
            "/v1/chat/actions",
            Some(json!({"type": "math:double", "input": {"n": 21}})),
            200,
        )
        .await;
    assert_eq!(
        local,
        json!({"output": {"n": 42}, "meta": {"cached": false}})
    );
    let failed = api
        .call(
            "POST",
            "/v1/chat/actions",
            Some(json!({"type": "math:fail", "input": {}})),
        )
        .await;
    assert_error(&failed, 400, "Runtime", "division by zero");
    let remote = api
        .ok(
            "POST",
            "/v1/chat/actions",
            Some(json!({"type": "crm:sync", "input": {"x": 1}})),
            200,
        )
        .await;
    assert_eq!(
        remote["output"],
        json!({"forwarded": "crm:sync", "input": {"x": 1}})
    );

    let bare = Api::start(Config::new()).await;
    let unknown = bare
        .call(
            "POST",
            "/v1/chat/actions",
            Some(json!({"type": "crm:sync", "input": {}})),
        )
        .await;
    assert_error(&unknown, 404, "ResourceNotFound", "crm:sync");
}

#[tokio::test]
async fn tag_values_analytics_and_participants() {
    let api = Api::start(Config::new()).await;
    for v in ["b", "a", "b"] {
        api.ok(
            "POST",
            "/v1/chat/users",
            Some(json!({"tags": {"plan": v}})),
            201,
        )
        .await;
    }
    let values = api
        .ok("GET", "/v1/chat/tags/plan/values?type=user", None, 200)
        .await;
    assert_eq!(values["tags"], json!([{"value": "a"}, {"value": "b"}]));
    api.ok(
        "POST",
        "/v1/chat/analytics",
        Some(json!({"name": "n", "count": 1})),
        200,
    )
    .await;
    let u = api.user().await;
    let conv = api.conversation().await;
    api.ok(
        "POST",
        &format!("/v1/chat/conversations/{conv}/participants"),
        Some(json!({"userId": u})),
        200,
    )
    .await;
    let members = api
        .ok(
            "GET",
            &format!("/v1/chat/users?conversationId={conv}"),
            None,
            200,
        )
        .await;
    assert_eq!(ids(&members, "users"), vec![u.clone()]);
    api.ok(
        "DELETE",
        &format!("/v1/chat/conversations/{conv}/participants/{u}"),
        Some(json!({})),
        200,
    )
    .await;
    let gone = api
        .call(
            "GET",
            &format!("/v1/chat/conversations/{conv}/participants/{u}"),
            None,
        )
        .await;
    assert_error(&gone, 404, "ResourceNotFound", "Participant");
}

/// Keyset pages against a reference: random users (random tags, some updated, some deleted
/// while paging), listed with random page sizes, orders and tag filters; the concatenated pages
/// are exactly the reference's sorted, filtered list (no document skipped or repeated, deleted
/// ones gone), and getOrCreateUser finds what a scan of the reference finds.
#[tokio::test]
async fn keyset_pages_and_tag_lookups_match_a_reference() {
    use rand::{Rng, SeedableRng, rngs::StdRng, seq::IndexedRandom};
    let api = Api::start(Config::new()).await;
    let mut rng = StdRng::seed_from_u64(13);
    let values = ["a", "b", "c", "a\u{0}", "é"];
    // (id, tags, createdAt, updatedAt, creation index)
    let mut users: Vec<(String, Value, String, String, usize)> = Vec::new();
    for i in 0..120 {
        let mut tags = serde_json::Map::new();
        for key in ["k1", "k2"] {
            if rng.random_bool(0.7) {
                tags.insert(key.into(), json!(values.choose(&mut rng).unwrap()));
            }
        }
        let u = api
            .ok("POST", "/v1/chat/users", Some(json!({"tags": tags})), 201)
            .await;
        let u = &u["user"];
        users.push((
            u["id"].as_str().unwrap().into(),
            u["tags"].clone(),
            u["createdAt"].as_str().unwrap().into(),
            u["updatedAt"].as_str().unwrap().into(),
            i,
        ));
    }
    for _ in 0..30 {
        let i = rng.random_range(0..users.len());
        let u = api
            .ok(
                "PUT",
                &format!("/v1/chat/users/{}", users[i].0),
                Some(json!({"name": "updated"})),
                200,
            )
            .await;
        users[i].3 = u["user"]["updatedAt"].as_str().unwrap().into();
    }
    let encode = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'0'..=b'9' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    for round in 0..40 {
        let field = *["createdAt", "updatedAt"].choose(&mut rng).unwrap();
        let descending = rng.random_bool(0.5);
        let mut filter: Vec<(&str, &str)> = Vec::new();
        for k in ["k1", "k2"] {
            if rng.random_bool(0.4) {
                filter.push((k, values.choose(&mut rng).unwrap()));
            }
        }
        let size = rng.random_range(1..=25);
        let mut query = format!(
            "sortField={field}&sortDirection={}&pageSize={size}",
            if descending { "desc" } else { "asc" }
        );
        for (k, v) in &filter {
            query.push_str(&format!("&tags.{k}={}", encode(v)));
        }
        let mut listed: Vec<String> = Vec::new();
        let mut token: Option<String> = None;
        let mut deleted: Vec<String> = Vec::new();
        for page in 0..200 {
            let url = match &token {
                Some(t) => format!("/v1/chat/users?{query}&nextToken={}", encode(t)),
                None => format!("/v1/chat/users?{query}"),
            };
            let answer = api.ok("GET", &url, None, 200).await;
            let items = answer["users"].as_array().unwrap();
            assert!(
                items.len() <= size,
                "round {round}: page of {}",
                items.len()
            );
            listed.extend(items.iter().map(|u| u["id"].as_str().unwrap().to_string()));
            // Now and then, delete a user not yet listed, between two pages.
            if page % 2 == 0 && round % 4 == 0 && users.len() > 20 {
                let i = rng.random_range(0..users.len());
                if !listed.contains(&users[i].0) {
                    let gone = users.remove(i);
                    api.ok("DELETE", &format!("/v1/chat/users/{}", gone.0), None, 200)
                        .await;
                    deleted.push(gone.0);
                }
            }
            match answer["meta"]["nextToken"].as_str() {
                Some(t) => token = Some(t.to_string()),
                None => break,
            }
        }
        let mut expected: Vec<&(String, Value, String, String, usize)> = users
            .iter()
            .filter(|u| filter.iter().all(|(k, v)| u.1[*k] == *v))
            .collect();
        expected.sort_by(|a, b| {
            let (x, y) = if field == "createdAt" {
                (&a.2, &b.2)
            } else {
                (&a.3, &b.3)
            };
            x.cmp(y).then(a.4.cmp(&b.4))
        });
        if descending {
            expected.reverse();
        }
        let expected: Vec<String> = expected.into_iter().map(|u| u.0.clone()).collect();
        assert_eq!(
            listed, expected,
            "round {round}: {query} (deleted {deleted:?})"
        );
    }
    // getOrCreateUser finds the oldest user whose tags match, through the tag index.
    for _ in 0..20 {
        let mut tags = serde_json::Map::new();
        for k in ["k1", "k2"] {
            if rng.random_bool(0.7) {
                tags.insert(k.to_string(), json!(values.choose(&mut rng).unwrap()));
            }
        }
        let expected = users
            .iter()
            .filter(|u| tags.iter().all(|(k, v)| u.1.get(k) == Some(v)))
            .min_by_key(|u| u.4)
            .map(|u| u.0.clone());
        let got = api
            .ok(
                "POST",
                "/v1/chat/users/get-or-create",
                Some(json!({"tags": tags})),
                200,
            )
            .await;
        let id = got["user"]["id"].as_str().unwrap().to_string();
        match expected {
            Some(e) => {
                assert_eq!(id, e, "tags {tags:?}");
                assert_eq!(got["meta"]["created"], false);
            }
            None => {
                assert_eq!(got["meta"]["created"], true, "tags {tags:?}");
                users.push((id, json!(tags), String::new(), String::new(), usize::MAX));
            }
        }
    }
}
