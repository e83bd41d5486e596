//! Pagination under faults: a page that fails transiently is fetched again with the same
//! cursor and filters, and the traversal goes on with every item exactly once, in order (with
//! and without prefetch). A page that keeps failing ends the stream with the error after the
//! items already received, and the traversal can be resumed from the last cursor.

use crate::support;

use botpress::{ErrorKind, RetryPolicy, paginate::Paginate};
use futures::{StreamExt, TryStreamExt};
use serde_json::{Value, json};
use support::{
    faults::{Fault, FaultServer},
    harness::{builder, client, must_finish, ok_body},
};

/// Page `n` (0-based) of 3 pages of 2 conversations each; the cursor of page n+1 is `tok<n+1>`.
fn page(n: usize) -> Value {
    let mut body = ok_body("listConversations");
    let template = body["conversations"][0].clone();
    let items: Vec<Value> = (0..2)
        .map(|i| {
            let mut c = template.clone();
            c["id"] = json!(format!("conv_{n}_{i}"));
            c
        })
        .collect();
    body["conversations"] = json!(items);
    body["meta"] = if n < 2 {
        json!({"nextToken": format!("tok {}", n + 1)})
    } else {
        json!({})
    };
    body
}

fn all_ids() -> Vec<String> {
    (0..3)
        .flat_map(|n| (0..2).map(move |i| format!("conv_{n}_{i}")))
        .collect()
}

/// The `nextToken` a request carried (decoded), or `None` for the first page.
fn token_of(target: &str) -> Option<String> {
    let query = target.split_once('?')?.1;
    query
        .split('&')
        .find_map(|p| p.strip_prefix("nextToken=").map(|t| t.replace("%20", " ")))
}

#[tokio::test]
async fn a_transient_page_failure_is_retried_with_the_same_cursor() {
    for prefetch in [false, true] {
        for fault in [
            Fault::status(503),
            Fault::reset_after_body(),
            Fault::html_page(502),
        ] {
            let server = FaultServer::start().await;
            server.push_all([
                Fault::json(200, &page(0)),
                fault.clone(),
                Fault::json(200, &page(1)),
                Fault::json(200, &page(2)),
            ]);
            let client = client(&server.base_url, 3);
            let ids: Vec<String> = must_finish(60, "stream", async {
                client
                    .list_conversations()
                    .tags([("topic", "billing")])
                    .stream()
                    .prefetch(prefetch)
                    .map_ok(|c| c.id)
                    .try_collect()
                    .await
            })
            .await
            .unwrap_or_else(|e| panic!("{fault:?} prefetch={prefetch}: {e:?}"));
            assert_eq!(ids, all_ids(), "{fault:?} prefetch={prefetch}");
            let received = server.received();
            let tokens: Vec<Option<String>> =
                received.iter().map(|r| token_of(&r.target)).collect();
            assert_eq!(
                tokens,
                vec![
                    None,
                    Some("tok 1".into()),
                    Some("tok 1".into()),
                    Some("tok 2".into())
                ],
                "{fault:?} prefetch={prefetch}"
            );
            assert!(
                received
                    .iter()
                    .all(|r| r.target.contains("tags.topic=billing")),
                "filters repeated on every page, retries included"
            );
        }
    }
}

#[tokio::test]
async fn a_page_that_keeps_failing_ends_the_stream_and_can_be_resumed() {
    let server = FaultServer::start().await;
    server.push_all([Fault::json(200, &page(0)), Fault::status(503)]);
    let client = builder(&server.base_url, 1, std::time::Duration::from_secs(5))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let mut pages = client.list_conversations().pages();
    let first = pages.next().await.expect("a page").expect("page 0");
    let cursor = first.meta.next_token.clone().expect("a next page");
    match pages.next().await {
        Some(Err(e)) => {
            assert_eq!(e.status(), Some(503), "{e:?}");
            assert_eq!(e.kind(), ErrorKind::InvalidResponse, "a plain-text 503");
        }
        other => panic!("expected the 503, got {other:?}"),
    }
    assert!(
        pages.next().await.is_none(),
        "the stream ends after the error"
    );
    assert_eq!(server.count(), 2, "no request after the failure");

    // Resume from the last cursor received.
    server.push_all([Fault::json(200, &page(1)), Fault::json(200, &page(2))]);
    let rest: Vec<String> = client
        .list_conversations()
        .with_cursor(cursor)
        .stream()
        .map_ok(|c| c.id)
        .try_collect()
        .await
        .expect("resumed");
    assert_eq!(rest, all_ids()[2..].to_vec());
    let tokens: Vec<Option<String>> = server
        .received()
        .iter()
        .map(|r| token_of(&r.target))
        .collect();
    assert_eq!(
        tokens,
        vec![
            None,
            Some("tok 1".into()),
            Some("tok 1".into()),
            Some("tok 2".into())
        ]
    );
}
