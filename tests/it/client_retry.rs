//! Retries, timeouts, the total deadline and pacing, against a fault-injecting local server.
//!
//! Delays are checked through the `on_retry` hook (the delay the transport computed and where
//! it came from), never by measuring elapsed time as an upper bound.

use crate::support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use botpress::prelude::*;
use botpress::retry::{DelaySource, RetryEvent, RetryReason};
use support::faults::{Fault, FaultServer, refused_url};

fn tables() -> Fault {
    Fault::json(200, &serde_json::json!({"tables": []}))
}

fn ok_empty() -> Fault {
    Fault::json(200, &serde_json::json!({}))
}

/// A retry policy recording its events, with a tiny backoff so that any delay of a second or
/// more can only come from a header.
fn recorded(attempts: u32) -> (RetryPolicy, Arc<Mutex<Vec<RetryEvent>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let policy = RetryPolicy::new()
        .max_attempts(attempts)
        .initial_backoff(Duration::from_millis(1))
        .max_backoff(Duration::from_millis(4))
        .on_retry(move |e| sink.lock().unwrap().push(e.clone()));
    (policy, events)
}

fn client(url: &str, policy: RetryPolicy) -> Client {
    Client::builder()
        .base_url(url)
        .token("tok")
        .bot_id("bot_1")
        .timeout(Duration::from_millis(300))
        .retry(policy)
        .build()
        .unwrap()
}

async fn post(client: &Client) -> Result<(), botpress::Error> {
    client
        .track_analytics()
        .name("visits")
        .count(1)
        .send()
        .await
        .map(|_| ())
}

fn delays(events: &Mutex<Vec<RetryEvent>>) -> Vec<(RetryReason, Duration, DelaySource)> {
    events
        .lock()
        .unwrap()
        .iter()
        .map(|e| (e.reason, e.delay, e.source))
        .collect()
}

#[tokio::test]
async fn retry_after_seconds_is_honoured() {
    let server = FaultServer::scripted(
        vec![Fault::error(503, "Unknown").with_header("Retry-After", "1")],
        tables(),
    )
    .await;
    let (policy, events) = recorded(4);
    let started = Instant::now();
    client(&server.base_url, policy)
        .list_tables()
        .send()
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(server.count(), 2);
    assert_eq!(
        delays(&events),
        [(
            RetryReason::Status(503),
            Duration::from_secs(1),
            DelaySource::Header("retry-after")
        )]
    );
}

#[tokio::test]
async fn ratelimit_reset_retries_a_post_on_429() {
    let server = FaultServer::scripted(
        vec![Fault::error(429, "RateLimited").with_header("RateLimit-Reset", "1")],
        ok_empty(),
    )
    .await;
    let (policy, events) = recorded(4);
    post(&client(&server.base_url, policy)).await.unwrap();
    let requests = server.received();
    assert_eq!(requests.len(), 2);
    assert!(requests.iter().all(|r| r.method == "POST"));
    assert_eq!(requests[0].body, requests[1].body);
    assert_eq!(
        delays(&events),
        [(
            RetryReason::Status(429),
            Duration::from_secs(1),
            DelaySource::Header("ratelimit-reset")
        )]
    );
}

#[tokio::test]
async fn x_ratelimit_reset_and_the_odd_rate_limiter_body() {
    let body =
        r#"{"type":"RateLimited","description":"The request has been rate-limited.","status":429}"#;
    let server = FaultServer::scripted(
        vec![Fault::text(429, "application/json", body).with_header("X-RateLimit-Reset", "1")],
        tables(),
    )
    .await;
    let (policy, events) = recorded(4);
    client(&server.base_url, policy)
        .list_tables()
        .send()
        .await
        .unwrap();
    assert_eq!(server.count(), 2);
    assert_eq!(
        delays(&events),
        [(
            RetryReason::Status(429),
            Duration::from_secs(1),
            DelaySource::Header("x-ratelimit-reset")
        )]
    );
}

#[tokio::test]
async fn retry_after_http_date_is_read_and_capped() {
    let at = chrono::Utc::now() + chrono::Duration::seconds(30);
    let date = at.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let server = FaultServer::scripted(
        vec![Fault::error(429, "RateLimited").with_header("Retry-After", &date)],
        tables(),
    )
    .await;
    let (policy, events) = recorded(4);
    let policy = policy.max_delay(Duration::from_millis(200));
    client(&server.base_url, policy)
        .list_tables()
        .send()
        .await
        .unwrap();
    assert_eq!(server.count(), 2);
    // A 30 s date cut to the 200 ms cap: only a parsed date gives exactly the cap here
    // (the backoff is at most 4 ms).
    assert_eq!(
        delays(&events),
        [(
            RetryReason::Status(429),
            Duration::from_millis(200),
            DelaySource::Header("retry-after")
        )]
    );
}

#[tokio::test]
async fn ratelimit_reset_wins_over_the_other_headers() {
    let server = FaultServer::scripted(
        vec![
            Fault::error(503, "Unknown")
                .with_header("Retry-After", "3")
                .with_header("X-RateLimit-Reset", "2")
                .with_header("RateLimit-Reset", "1"),
        ],
        tables(),
    )
    .await;
    let (policy, events) = recorded(4);
    client(&server.base_url, policy)
        .list_tables()
        .send()
        .await
        .unwrap();
    assert_eq!(
        delays(&events),
        [(
            RetryReason::Status(503),
            Duration::from_secs(1),
            DelaySource::Header("ratelimit-reset")
        )]
    );
}

#[tokio::test]
async fn backoff_without_headers_stops_at_max_attempts() {
    let server = FaultServer::scripted(vec![], Fault::error(500, "Internal")).await;
    let (policy, events) = recorded(3);
    let err = client(&server.base_url, policy)
        .list_tables()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Internal);
    assert_eq!(server.count(), 3);
    let got = delays(&events);
    assert_eq!(got.len(), 2);
    for (i, (reason, delay, source)) in got.into_iter().enumerate() {
        let ceiling = Duration::from_millis(1 << i);
        assert_eq!(reason, RetryReason::Status(500));
        assert_eq!(source, DelaySource::Backoff { ceiling });
        assert!(delay <= ceiling);
    }
}

#[tokio::test]
async fn retries_are_off_with_retry_policy_none() {
    let server = FaultServer::scripted(vec![], Fault::error(503, "Unknown")).await;
    let err = client(&server.base_url, RetryPolicy::none())
        .list_tables()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn a_post_is_never_repeated_after_a_timeout() {
    let server = FaultServer::scripted(vec![Fault::hang()], ok_empty()).await;
    let (policy, events) = recorded(4);
    let err = post(&client(&server.base_url, policy)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(server.count(), 1);
    assert!(events.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_post_is_never_repeated_after_a_reset_after_sending() {
    let server = FaultServer::scripted(vec![Fault::close_after_body()], ok_empty()).await;
    let (policy, events) = recorded(4);
    let err = post(&client(&server.base_url, policy)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network);
    assert_eq!(server.count(), 1);
    assert!(events.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_get_is_retried_after_a_timeout_and_a_reset() {
    let server =
        FaultServer::scripted(vec![Fault::hang(), Fault::close_after_body()], tables()).await;
    let (policy, events) = recorded(4);
    client(&server.base_url, policy)
        .list_tables()
        .send()
        .await
        .unwrap();
    assert_eq!(server.count(), 3);
    let reasons: Vec<_> = delays(&events).into_iter().map(|d| d.0).collect();
    assert_eq!(reasons, [RetryReason::Timeout, RetryReason::Network]);
}

#[tokio::test]
async fn a_post_is_retried_when_the_connection_is_refused() {
    let (policy, events) = recorded(3);
    let err = post(&client(&refused_url().await, policy))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connect);
    let reasons: Vec<_> = delays(&events).into_iter().map(|d| d.0).collect();
    assert_eq!(reasons, [RetryReason::Connect, RetryReason::Connect]);
}

#[tokio::test]
async fn write_retries_by_status() {
    // 409 ResourceLockedConflict: retried for a POST.
    let server = FaultServer::scripted(
        vec![Fault::error(409, "ResourceLockedConflict")],
        ok_empty(),
    )
    .await;
    let (policy, _) = recorded(4);
    post(&client(&server.base_url, policy)).await.unwrap();
    assert_eq!(server.count(), 2);

    // 500, 502, 503, 504 and other 409s: not retried for a POST…
    for (status, error_type) in [
        (500, "Internal"),
        (502, "Unknown"),
        (503, "Unknown"),
        (504, "OperationTimeout"),
        (409, "AlreadyExists"),
    ] {
        let server =
            FaultServer::scripted(vec![Fault::error(status, error_type)], ok_empty()).await;
        let (policy, _) = recorded(4);
        let err = post(&client(&server.base_url, policy)).await.unwrap_err();
        assert_eq!(err.kind().as_str(), error_type);
        assert_eq!(server.count(), 1, "{status} {error_type}");
    }
    // …but a DELETE (idempotent) is retried on them.
    let server = FaultServer::scripted(
        vec![
            Fault::error(503, "Unknown"),
            Fault::error(504, "OperationTimeout"),
        ],
        ok_empty(),
    )
    .await;
    let (policy, _) = recorded(4);
    client(&server.base_url, policy)
        .delete_conversation()
        .id("conv_1")
        .send()
        .await
        .unwrap();
    assert_eq!(server.count(), 3);
    assert!(server.received().iter().all(|r| r.method == "DELETE"));
}

#[tokio::test]
async fn the_total_deadline_cuts_a_hanging_attempt() {
    let server = FaultServer::scripted(vec![], Fault::hang()).await;
    let client = Client::builder()
        .base_url(&server.base_url)
        .timeout(Duration::from_secs(30))
        .total_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let err = client.list_tables().send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn no_attempt_starts_past_the_deadline() {
    let server = FaultServer::scripted(
        vec![Fault::error(503, "Unknown").with_header("Retry-After", "5")],
        tables(),
    )
    .await;
    let (policy, events) = recorded(4);
    let client = Client::builder()
        .base_url(&server.base_url)
        .total_timeout(Duration::from_secs(1))
        .retry(policy)
        .build()
        .unwrap();
    let err = client.list_tables().send().await.unwrap_err();
    // The 5 s wait would cross the deadline: the last answer is returned instead.
    assert_eq!(err.status(), Some(503));
    assert_eq!(server.count(), 1);
    assert!(events.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_request_that_cannot_get_its_turn_times_out_unsent() {
    let server = FaultServer::scripted(vec![], tables()).await;
    // One request every 2 s, and a 300 ms deadline: the second request's turn would come
    // after its deadline, so it fails at once without being sent.
    let client = Client::builder()
        .base_url(&server.base_url)
        .pacing(Pacing::new().requests_per_second(0.5))
        .total_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    client.list_tables().send().await.unwrap();
    let err = client
        .with_bot_id("bot_2")
        .list_tables()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(err.status(), None);
    assert!(
        err.message()
            .contains("elapsed before the request could be sent"),
        "{}",
        err.message()
    );
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn max_in_flight_is_shared_by_clones() {
    let server = FaultServer::scripted(vec![], tables().held()).await;
    let client = Client::builder()
        .base_url(&server.base_url)
        .bot_id("bot_1")
        .pacing(Pacing::new().max_in_flight(2))
        .build()
        .unwrap();
    let clones = [
        client.clone(),
        client.with_bot_id("bot_2"),
        client.with_user_id("user_1"),
        client.with_integration_id("intg_1"),
        client.with_bot_id("bot_3"),
        client.clone(),
    ];
    let tasks: Vec<_> = clones
        .into_iter()
        .map(|c| tokio::spawn(async move { c.list_tables().send().await.map(|_| ()) }))
        .collect();
    server.wait_for(2).await;
    // Give an unpaced client every chance to send more before anything is released.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(server.count(), 2);
    server.release();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(server.count(), 6);
    assert_eq!(server.max_in_flight(), 2);
}

#[tokio::test]
async fn the_rate_budget_spaces_requests() {
    let server = FaultServer::scripted(vec![], tables()).await;
    let client = Client::builder()
        .base_url(&server.base_url)
        .pacing(Pacing::new().requests_per_second(20.0))
        .build()
        .unwrap();
    let started = Instant::now();
    for _ in 0..3 {
        client.with_bot_id("b").list_tables().send().await.unwrap();
    }
    // 20 per second, no burst: the third request cannot start before 100 ms (lower bound).
    assert!(started.elapsed() >= Duration::from_millis(100));
    assert_eq!(server.count(), 3);
}

#[tokio::test]
async fn dropping_a_request_mid_flight_leaves_the_client_usable() {
    let server = FaultServer::scripted(vec![Fault::hang()], tables()).await;
    let client = Client::builder()
        .base_url(&server.base_url)
        .pacing(Pacing::new().max_in_flight(1).requests_per_second(1000.0))
        .build()
        .unwrap();
    let pending = tokio::spawn({
        let client = client.clone();
        async move { client.list_tables().send().await.map(|_| ()) }
    });
    server.wait_for(1).await;
    pending.abort();
    assert!(pending.await.unwrap_err().is_cancelled());
    // The slot of the dropped request is free again: this one goes through.
    let got = tokio::time::timeout(Duration::from_secs(20), client.list_tables().send())
        .await
        .expect("the in-flight slot was released")
        .unwrap();
    assert!(got.tables.is_empty());
    assert_eq!(server.count(), 2);
}
