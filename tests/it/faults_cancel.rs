//! Cancellation: dropping a call's future mid-request (waiting for the answer, reading a
//! slow body, or sleeping before a retry) leaves the client usable, releases its pacing
//! slot, and sends nothing more for the dropped call.

use crate::support;

use std::time::Duration;

use botpress::{Client, Pacing};
use support::{
    faults::{Fault, FaultServer, RateLimitHeader},
    harness::{builder, client, must_finish, ok_body, ok_fault},
};

/// Waits until the server has seen `n` requests.
async fn seen(server: &FaultServer, n: usize) {
    must_finish(60, "waiting for the server", async {
        while server.count() < n {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
}

/// Starts `getConversation` and drops it once the server has seen `n` requests in all.
async fn cancel_after(client: &Client, server: &FaultServer, n: usize) {
    tokio::select! {
        r = client.get_conversation().id("conv_1").send() => {
            panic!("the call should still be pending, got {r:?}")
        }
        _ = seen(server, n) => {}
    }
}

async fn succeeds(client: &Client) {
    must_finish(60, "call after a cancellation", async {
        client.get_conversation().id("conv_1").send().await
    })
    .await
    .expect("the client still works");
}

#[tokio::test]
async fn dropping_a_call_waiting_for_its_answer_leaves_the_client_usable() {
    let server = FaultServer::start().await;
    server.push(Fault::stall(Duration::from_secs(60)));
    server.set_default(ok_fault("getConversation"));
    let client = client(&server.base_url, 3);
    cancel_after(&client, &server, 1).await;
    succeeds(&client).await;
    succeeds(&client).await;
    assert_eq!(server.count(), 3);
}

#[tokio::test]
async fn dropping_a_call_reading_a_slow_body_leaves_the_client_usable() {
    let server = FaultServer::start().await;
    server.push(Fault::slow_drip(
        200,
        &ok_body("getConversation"),
        1,
        Duration::from_millis(200),
    ));
    server.set_default(ok_fault("getConversation"));
    let client = client(&server.base_url, 3);
    tokio::select! {
        r = client.get_conversation().id("conv_1").send() => panic!("still dripping: {r:?}"),
        _ = async {
            seen(&server, 1).await;
            // Let the status line and a few bytes arrive.
            tokio::time::sleep(Duration::from_millis(500)).await;
        } => {}
    }
    succeeds(&client).await;
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn a_cancelled_call_gives_back_its_pacing_slot() {
    let server = FaultServer::start().await;
    server.push(Fault::stall(Duration::from_secs(60)));
    server.set_default(ok_fault("getConversation"));
    let client = builder(&server.base_url, 3, Duration::from_secs(5))
        .pacing(Pacing::new().max_in_flight(1))
        .build()
        .unwrap();
    cancel_after(&client, &server, 1).await;
    // With one slot, a leaked slot would block these forever (the hang guard fails).
    succeeds(&client).await;
    succeeds(&client).await;
    // Clones share the pacing: the slot is free for them too.
    succeeds(&client.with_bot_id("bot_other")).await;
    assert_eq!(server.count(), 4);
}

#[tokio::test]
async fn a_call_dropped_while_waiting_to_retry_sends_nothing_more() {
    let server = FaultServer::start().await;
    server.push(Fault::rate_limited(RateLimitHeader::RetryAfterSeconds(1)));
    server.set_default(ok_fault("getConversation"));
    let client = client(&server.base_url, 3);
    cancel_after(&client, &server, 1).await;
    // The retry would have gone out 1 s after the 429; wait past it.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(server.count(), 1, "no orphaned retry");
    succeeds(&client).await;
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn many_cancelled_calls_do_not_exhaust_the_connection_pool() {
    let server = FaultServer::start().await;
    server.push_all((0..20).map(|_| Fault::stall(Duration::from_secs(60))));
    server.set_default(ok_fault("getConversation"));
    let client = client(&server.base_url, 1);
    for n in 1..=20 {
        cancel_after(&client, &server, n).await;
    }
    succeeds(&client).await;
    assert_eq!(server.count(), 21);
}
