//! Pagination against a recording server: laziness (requests counted as items are pulled),
//! `limit`, empty pages, overlapping pages, a repeating cursor, prefetch, offset paging of
//! table rows, and the exact request lines of a walk.
use crate::support;

use botpress::ErrorKind;
use botpress::paginate::Paginate;
use futures::{StreamExt, TryStreamExt};
use serde_json::json;
use support::recorder::{Canned, Recorder, conversation};

/// A server listing conversations from `pages` (ids), page `i` answering the token `t<i>`
/// and pointing at `t<i+1>` unless it is the last.
async fn conversation_pages(pages: &'static [&'static [&'static str]]) -> Recorder {
    Recorder::answering(move |req, _| {
        let i = match req.query_param("nextToken") {
            None => 0,
            Some(t) => t.trim_start_matches('t').parse::<usize>().unwrap(),
        };
        let items: Vec<_> = pages[i].iter().map(|id| conversation(id)).collect();
        let meta = if i + 1 < pages.len() {
            json!({"nextToken": format!("t{}", i + 1)})
        } else {
            json!({})
        };
        Canned::json(200, &json!({"conversations": items, "meta": meta}))
    })
    .await
}

fn ids(items: &[botpress::types::Conversation]) -> Vec<&str> {
    items.iter().map(|c| c.id.as_str()).collect()
}

#[tokio::test]
async fn walks_many_pages_lazily_repeating_the_filters() {
    static PAGES: &[&[&str]] = &[&["c1", "c2"], &["c3", "c4"], &["c5", "c6"], &["c7"]];
    let server = conversation_pages(PAGES).await;
    let client = server.client();
    let mut stream = client
        .list_conversations()
        .tags([("topic", "billing")])
        .page_size(2)
        .stream();
    assert_eq!(
        server.count(),
        0,
        "nothing is requested before the first pull"
    );
    let mut pulled = Vec::new();
    let mut requests_after_each_pull = Vec::new();
    while let Some(c) = stream.try_next().await.unwrap() {
        pulled.push(c.id);
        requests_after_each_pull.push(server.count());
    }
    assert_eq!(pulled, ["c1", "c2", "c3", "c4", "c5", "c6", "c7"]);
    assert_eq!(requests_after_each_pull, [1, 1, 2, 2, 3, 3, 4]);
    let lines: Vec<_> = server.requests().iter().map(|r| r.target.clone()).collect();
    assert_eq!(
        lines,
        [
            "/v1/chat/conversations?pageSize=2&tags.topic=billing",
            "/v1/chat/conversations?nextToken=t1&pageSize=2&tags.topic=billing",
            "/v1/chat/conversations?nextToken=t2&pageSize=2&tags.topic=billing",
            "/v1/chat/conversations?nextToken=t3&pageSize=2&tags.topic=billing",
        ]
    );
}

#[tokio::test]
async fn opaque_tokens_are_sent_back_percent_encoded() {
    let server = Recorder::answering(|req, _| match req.query_param("nextToken").as_deref() {
        None => Canned::json(
            200,
            &json!({"tags": ["a"], "meta": {"nextToken": "tok/1+2=3 &x"}}),
        ),
        Some("tok/1+2=3 &x") => Canned::json(200, &json!({"tags": ["b"], "meta": {}})),
        Some(other) => panic!("unexpected token {other:?}"),
    })
    .await;
    let client = server.client();
    let tags: Vec<String> = client
        .list_file_tags()
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(tags, ["a", "b"]);
    assert_eq!(
        server.requests()[1].target,
        "/v1/files/tags?nextToken=tok%2F1%2B2%3D3%20%26x"
    );
}

#[tokio::test]
async fn limit_stops_requesting_once_reached() {
    static PAGES: &[&[&str]] = &[
        &["c1", "c2", "c3"],
        &["c4", "c5", "c6"],
        &["c7", "c8", "c9"],
    ];
    let server = conversation_pages(PAGES).await;
    let client = server.client();
    let got: Vec<_> = client
        .list_conversations()
        .stream()
        .limit(5)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&got), ["c1", "c2", "c3", "c4", "c5"]);
    assert_eq!(server.count(), 2, "the third page is never requested");

    // A limit that is a page boundary does not request the next page either.
    let got: Vec<_> = client
        .list_conversations()
        .stream()
        .limit(3)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&got), ["c1", "c2", "c3"]);
    assert_eq!(server.count(), 3);

    // The same with prefetch: nothing is fetched beyond the limit.
    let got: Vec<_> = client
        .list_conversations()
        .stream()
        .prefetch(true)
        .limit(3)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(got.len(), 3);
    assert_eq!(server.count(), 4);
}

#[tokio::test]
async fn empty_pages_with_a_token_are_followed() {
    static PAGES: &[&[&str]] = &[&["c1"], &[], &[], &["c2"], &[]];
    let server = conversation_pages(PAGES).await;
    let client = server.client();
    let got: Vec<_> = client
        .list_conversations()
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&got), ["c1", "c2"]);
    assert_eq!(server.count(), 5);
}

#[tokio::test]
async fn overlapping_pages_yield_each_item_once() {
    static PAGES: &[&[&str]] = &[&["c1", "c2", "c3"], &["c3", "c4"], &["c1", "c4", "c5"]];
    let server = conversation_pages(PAGES).await;
    let client = server.client();
    let got: Vec<_> = client
        .list_conversations()
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&got), ["c1", "c2", "c3", "c4", "c5"]);

    // With a limit, skipped duplicates do not count: 5 distinct items need all 3 pages.
    let got: Vec<_> = client
        .list_conversations()
        .stream()
        .limit(5)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&got), ["c1", "c2", "c3", "c4", "c5"]);

    // Whole pages are yielded as sent, duplicates included.
    let sizes: Vec<usize> = client
        .list_conversations()
        .pages()
        .map_ok(|p| p.conversations.len())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(sizes, [3, 2, 3]);
}

#[tokio::test]
async fn strings_deduplicate_by_value() {
    let server = Recorder::answering(|req, _| match req.query_param("nextToken").as_deref() {
        None => Canned::json(
            200,
            &json!({"values": ["x", "y"], "meta": {"nextToken": "n"}}),
        ),
        _ => Canned::json(200, &json!({"values": ["y", "z"], "meta": {}})),
    })
    .await;
    let client = server.client();
    let values: Vec<String> = client
        .list_file_tag_values()
        .tag("color")
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(values, ["x", "y", "z"]);
}

#[tokio::test]
async fn a_repeating_token_ends_with_a_clear_error() {
    let server = Recorder::answering(|req, _| {
        let id = format!("c{}", req.query_param("nextToken").unwrap_or_default());
        Canned::json(
            200,
            &json!({"conversations": [conversation(&id)], "meta": {"nextToken": "same"}}),
        )
    })
    .await;
    let client = server.client();
    let mut stream = client.list_conversations().stream();
    assert_eq!(stream.try_next().await.unwrap().unwrap().id, "c");
    assert_eq!(stream.try_next().await.unwrap().unwrap().id, "csame");
    let err = stream.try_next().await.unwrap_err();
    assert!(err.kind() == ErrorKind::InvalidRequest, "{err:?}");
    assert!(err.to_string().contains("\"same\""), "{err}");
    assert!(stream.next().await.is_none(), "the traversal is over");
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn an_api_error_ends_the_traversal() {
    let server = Recorder::answering(|req, _| match req.query_param("nextToken") {
        None => Canned::json(
            200,
            &json!({"conversations": [conversation("c1")], "meta": {"nextToken": "t1"}}),
        ),
        Some(_) => Canned::error(403, "Forbidden", "no"),
    })
    .await;
    let client = server.client();
    let mut stream = client.list_conversations().stream();
    assert_eq!(stream.try_next().await.unwrap().unwrap().id, "c1");
    let err = stream.try_next().await.unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert!(stream.next().await.is_none());
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn prefetch_requests_the_next_page_before_the_consumer_asks() {
    static PAGES: &[&[&str]] = &[&["c1", "c2", "c3"], &["c4", "c5", "c6"], &["c7"]];
    let server = conversation_pages(PAGES).await;
    let client = server.client();

    // Without prefetch: all of page 1 consumed, page 2 not requested yet.
    let mut lazy = client.list_conversations().stream();
    for _ in 0..3 {
        lazy.try_next().await.unwrap().unwrap();
    }
    assert_eq!(server.count(), 1);
    drop(lazy);

    // With prefetch: after one item of page 1, page 2's request reaches the server while
    // the stream is not being polled.
    let mut eager = client.list_conversations().stream().prefetch(true);
    assert_eq!(eager.try_next().await.unwrap().unwrap().id, "c1");
    server.wait_for(3).await;
    assert_eq!(
        server.requests()[2].query_param("nextToken").as_deref(),
        Some("t1")
    );
    let rest: Vec<_> = eager.try_collect().await.unwrap();
    assert_eq!(ids(&rest), ["c2", "c3", "c4", "c5", "c6", "c7"]);
    assert_eq!(server.count(), 4, "one request per page, none twice");
}

#[tokio::test]
async fn table_rows_page_by_offset() {
    let server = Recorder::answering(|req, _| {
        let body = req.json();
        let offset = body["offset"].as_i64().unwrap_or(0);
        let limit = body["limit"].as_i64().unwrap_or(100);
        let total = 5;
        let rows: Vec<_> = (offset..(offset + limit).min(total))
            .map(|i| json!({"id": i + 1, "computed": {}, "name": format!("r{}", i + 1)}))
            .collect();
        Canned::json(
            200,
            &json!({
                "rows": rows, "hasMore": offset + limit < total, "offset": offset, "limit": limit
            }),
        )
    })
    .await;
    let client = server.client();
    let rows: Vec<_> = client
        .find_table_rows()
        .table("orders")
        .limit(2)
        .filter(json!({"status": "paid"}).as_object().cloned().unwrap())
        .stream()
        .try_collect()
        .await
        .unwrap();
    let names: Vec<_> = rows
        .iter()
        .map(|r| r.extra["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["r1", "r2", "r3", "r4", "r5"]);
    let bodies: Vec<_> = server.requests().iter().map(|r| r.body_text()).collect();
    assert_eq!(
        bodies,
        [
            r#"{"filter":{"status":"paid"},"limit":2}"#,
            r#"{"filter":{"status":"paid"},"limit":2,"offset":2}"#,
            r#"{"filter":{"status":"paid"},"limit":2,"offset":4}"#,
        ]
    );
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.path() == "/v1/tables/orders/rows/find")
    );
}

#[tokio::test]
async fn table_rows_without_progress_end_with_an_error() {
    let server = Recorder::answering(|_, _| {
        Canned::json(
            200,
            &json!({"rows": [], "hasMore": true, "offset": 0, "limit": 100}),
        )
    })
    .await;
    let client = server.client();
    let err = client
        .find_table_rows()
        .table("orders")
        .stream()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(err.kind() == ErrorKind::InvalidRequest, "{err:?}");
    assert_eq!(server.count(), 2);
}
