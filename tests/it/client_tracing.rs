//! Tracing: a span per request with its fields; no token and no body in any trace.

use crate::support;

use std::time::Duration;

use botpress::prelude::*;
use support::capture::capture_at;
use support::faults::{Fault, FaultServer};

const TOKEN: &str = "bp_pat_TRACE-S3CR3T";

#[tokio::test(flavor = "current_thread")]
async fn spans_carry_the_request_and_never_the_token_or_bodies() {
    let (capture, _guard) = capture_at(tracing::Level::TRACE);

    let server = FaultServer::scripted(
        vec![
            Fault::error(429, "RateLimited").with_header("Retry-After", "0"),
            Fault::json(200, &serde_json::json!({"tables": []}))
                .with_header("x-request-id", "req_42"),
            Fault::error(404, "ResourceNotFound"),
        ],
        Fault::json(200, &serde_json::json!({"response_marker": "BODY-OUT"})),
    )
    .await;
    let client = Client::builder()
        .base_url(&server.base_url)
        .token(TOKEN)
        .bot_id("bot_1")
        .retry(RetryPolicy::new().initial_backoff(Duration::from_millis(1)))
        .build()
        .unwrap();
    client.list_tables().send().await.unwrap();
    let err = client
        .track_analytics()
        .name("BODY-IN")
        .count(1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ResourceNotFound);
    // A body that does not decode must not be logged either.
    let _ = client.list_tables().send().await.unwrap_err();

    let out = capture.text();
    assert!(out.contains("botpress.request"), "{out}");
    assert!(out.contains(r#"operation="listTables""#), "{out}");
    assert!(out.contains("method=GET"), "{out}");
    assert!(out.contains(r#"path="/v1/tables""#), "{out}");
    assert!(out.contains("retrying"), "{out}");
    assert!(out.contains("reason=HTTP 429"), "{out}");
    assert!(out.contains("status=200"), "{out}");
    assert!(out.contains("attempts=2"), "{out}");
    assert!(out.contains(r#"request_id="req_42""#), "{out}");
    assert!(out.contains(r#"operation="trackAnalytics""#), "{out}");
    assert!(out.contains("status=404"), "{out}");
    assert!(out.contains("latency_ms="), "{out}");
    assert!(!out.contains("TRACE-S3CR3T"), "{out}");
    assert!(!out.contains("BODY-IN"), "{out}");
    assert!(!out.contains("BODY-OUT"), "{out}");
    assert_eq!(server.count(), 4);
    if std::env::var_os("SHOW_TRACE").is_some() {
        println!("{out}");
    }
}
