//! Per-call options (`with_options(CallOptions)`): one call's own attempt timeout, total
//! deadline, retry policy and headers, on the wire, while the client's other calls keep the
//! client's.

use crate::support;

use std::time::{Duration, Instant};

use botpress::{CallOptions, Client, ErrorKind, RetryPolicy};
use support::faults::{Fault, FaultServer};

fn tables() -> Fault {
    Fault::json(200, &serde_json::json!({"tables": []}))
}

/// A client with a generous attempt timeout and quick retries (3 attempts).
fn client(server: &FaultServer) -> Client {
    Client::builder()
        .base_url(&server.base_url)
        .token("bp_pat_call-options-token")
        .bot_id("bot_1")
        .header("x-trace", "client")
        .timeout(Duration::from_secs(30))
        .retry(
            RetryPolicy::new()
                .max_attempts(3)
                .initial_backoff(Duration::from_millis(1))
                .max_backoff(Duration::from_millis(2)),
        )
        .build()
        .unwrap()
}

#[tokio::test]
async fn headers_of_one_call_are_added_or_replace_the_clients() {
    let server = FaultServer::scripted(vec![], tables()).await;
    let client = client(&server);
    client
        .list_tables()
        .with_options(
            CallOptions::new()
                .header("x-trace", "call")
                .header("x-bot-id", "bot_2")
                .header("x-extra", "1"),
        )
        .send()
        .await
        .unwrap();
    client.list_tables().send().await.unwrap();

    let received = server.received();
    let (first, second) = (&received[0], &received[1]);
    assert_eq!(first.header("x-trace"), Some("call"));
    assert_eq!(first.header("x-bot-id"), Some("bot_2"));
    assert_eq!(first.header("x-extra"), Some("1"));
    let traces = first.headers.iter().filter(|(k, _)| k == "x-trace").count();
    assert_eq!(traces, 1, "replaced, not doubled: {:?}", first.headers);
    assert_eq!(
        first.header("authorization"),
        Some("Bearer bp_pat_call-options-token")
    );
    assert_eq!(
        second.header("x-trace"),
        Some("client"),
        "the next call has the client's"
    );
    assert_eq!(second.header("x-bot-id"), Some("bot_1"));
    assert_eq!(second.header("x-extra"), None);
}

#[tokio::test]
async fn a_header_that_cannot_be_sent_fails_the_call_unsent() {
    let server = FaultServer::scripted(vec![], tables()).await;
    let err = client(&server)
        .list_tables()
        .with_options(CallOptions::new().header("x-ok", "a\nb"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    assert!(err.to_string().contains("call options"), "{err}");
    assert!(err.to_string().contains("x-ok"), "{err}");
    assert!(server.received().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn one_call_has_its_own_retry_policy() {
    let server = FaultServer::scripted(
        vec![Fault::status(503), Fault::status(503), Fault::status(503)],
        tables(),
    )
    .await;
    let client = client(&server);
    let err = client
        .list_tables()
        .with_options(CallOptions::new().retry(RetryPolicy::none()))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(server.received().len(), 1, "one attempt");
    // The client's policy (3 attempts) for the next call: two 503s left, then the answer.
    client.list_tables().send().await.unwrap();
    assert_eq!(server.received().len(), 4);
}

#[tokio::test]
async fn one_call_has_its_own_attempt_timeout_and_deadline() {
    let server = FaultServer::scripted(vec![Fault::hang()], tables()).await;
    let client = client(&server);
    let started = Instant::now();
    let err = client
        .list_tables()
        .with_options(
            CallOptions::new()
                .timeout(Duration::from_millis(100))
                .retry(RetryPolicy::none()),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );

    // A total deadline cuts the attempts short: every answer hangs, three attempts allowed.
    for _ in 0..3 {
        server.push(Fault::hang());
    }
    let started = Instant::now();
    let err = client
        .list_tables()
        .with_options(CallOptions::new().total_timeout(Duration::from_millis(300)))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(290) && took < Duration::from_secs(10),
        "{took:?}"
    );
}

/// Against the emulator's scripted latency: the call with a short timeout of its own fails
/// once, unretried; the same call without options waits and gets its answer.
#[tokio::test]
async fn against_the_emulator_a_slow_answer_times_out_only_the_call_that_asked() {
    use botpress_emulator::{Config, Fault as EmulatorFault, spawn};
    let emulator = spawn(Config::new()).await.unwrap();
    let client = support::emulator::client(&emulator, "bot_01JCALLOPTIONS000000000000A");
    let id = support::emulator::conversation(&client).await;
    emulator
        .faults()
        .add(EmulatorFault::latency("getConversation", Duration::from_millis(300)).times(2));
    let err = client
        .get_conversation()
        .id(&id)
        .with_options(
            CallOptions::new()
                .timeout(Duration::from_millis(50))
                .retry(RetryPolicy::none()),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    let got = client.get_conversation().id(&id).send().await.unwrap();
    assert_eq!(got.conversation.id, id);
    // Two arrivals (both latency faults taken): the first call was not retried. The journal
    // records the answered one; the abandoned one ended with its connection.
    assert!(
        emulator.faults().list().is_empty(),
        "{:?}",
        emulator.faults().list()
    );
    assert_eq!(emulator.journal().calls_to("getConversation").len(), 1);
}
