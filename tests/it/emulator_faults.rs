//! The SDK against the emulator's scripted faults: reads survive 429, 5xx, dropped
//! connections and stalled bodies with the default retry policy, and a write whose answer is
//! lost after it was committed is never sent twice (counted in the emulator's journal, where
//! the commit is visible whatever the client was answered).

use std::time::Duration;

use botpress::{Client, ErrorKind, RetryPolicy, types};
use botpress_emulator::{Config, Emulator, Fault, spawn};

use crate::support::emulator::{conversation, user};
use serde_json::json;

const BOT: &str = "bot_01JFAULTS00000000000000000A";

async fn emulator() -> Emulator {
    spawn(Config::new()).await.expect("emulator starts")
}

/// A client with the default retry policy, except backoffs of a few milliseconds, and an
/// attempt timeout of `timeout`.
fn client(emulator: &Emulator, timeout: Duration) -> Client {
    Client::builder()
        .base_url(emulator.base_url())
        .token(emulator.token())
        .bot_id(BOT)
        .timeout(timeout)
        .retry(
            RetryPolicy::new()
                .initial_backoff(Duration::from_millis(2))
                .max_backoff(Duration::from_millis(5)),
        )
        .build()
        .expect("valid configuration")
}

fn message(client: &Client, conversation: &str, user: &str) -> botpress::operations::CreateMessage {
    client
        .create_message()
        .conversation_id(conversation)
        .user_id(user)
        .type_("text")
        .payload(json!({"text": "pay 10 EUR"}))
        .tags([("order", "42")])
}

#[tokio::test]
async fn reads_survive_5xx_429_resets_and_stalls() {
    let emulator = emulator().await;
    let c = client(&emulator, Duration::from_millis(500));
    let id = conversation(&c).await;
    let faults = emulator.faults();
    for fault in [
        Fault::status("getConversation", 503).times(1),
        Fault::status("getConversation", 500).times(1),
        Fault::error("getConversation", "RateLimited")
            .retry_after(0)
            .times(1),
    ] {
        faults.add(fault);
        let got = c.get_conversation().id(&id).send().await.expect("retried");
        assert_eq!(got.conversation.id, id);
    }
    faults.add(Fault::reset("getConversation").times(1));
    c.get_conversation()
        .id(&id)
        .send()
        .await
        .expect("retried after a reset");
    faults.add(Fault::stall("getConversation", Duration::from_secs(3)).times(1));
    c.get_conversation()
        .id(&id)
        .send()
        .await
        .expect("retried after a stalled body");

    let calls = emulator.journal().calls_to("getConversation");
    let statuses: Vec<Option<u16>> = calls.iter().map(|c| c.status).collect();
    assert_eq!(
        statuses,
        [
            Some(503),
            Some(200),
            Some(500),
            Some(200),
            Some(429),
            Some(200),
            None,
            Some(200),
            Some(200),
            Some(200)
        ],
        "each fault once, then the retry"
    );
    assert_eq!(calls[8].fault, Some("stall"));
}

#[tokio::test]
async fn a_create_answered_502_after_commit_is_not_sent_again() {
    let emulator = emulator().await;
    let c = client(&emulator, Duration::from_secs(5));
    let conv = conversation(&c).await;
    let user = user(&c).await;
    emulator
        .faults()
        .add(Fault::fail_after_commit("createMessage").times(1));
    let e = message(&c, &conv, &user)
        .send()
        .await
        .expect_err("the 502 is surfaced");
    assert_eq!(e.status(), Some(502), "{e}");
    assert_eq!(e.kind().as_str(), "Unknown", "{e}");

    let journal = emulator.journal();
    assert_eq!(journal.calls_to("createMessage").len(), 1, "sent once");
    assert_eq!(journal.committed("createMessage"), 1);
    let listed = c
        .list_messages()
        .conversation_id(&conv)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.messages.len(), 1, "no duplicate");
}

#[tokio::test]
async fn a_create_whose_connection_drops_after_commit_is_not_sent_again() {
    let emulator = emulator().await;
    let c = client(&emulator, Duration::from_secs(5));
    emulator
        .faults()
        .add(Fault::reset_after_commit("createConversation").times(1));
    let e = c
        .create_conversation()
        .channel("web")
        .tags([("k", "v")])
        .send()
        .await
        .expect_err("no answer");
    assert_eq!(e.kind(), ErrorKind::Network, "{e}");
    assert_eq!(emulator.journal().calls_to("createConversation").len(), 1);
    assert_eq!(emulator.journal().committed("createConversation"), 1);
    let listed = c.list_conversations().send().await.unwrap();
    assert_eq!(listed.conversations.len(), 1);
}

#[tokio::test]
async fn a_create_rejected_before_processing_is_retried_once_and_made_once() {
    let emulator = emulator().await;
    let c = client(&emulator, Duration::from_secs(5));
    emulator.faults().add(
        Fault::error("createConversation", "RateLimited")
            .retry_after(0)
            .times(2),
    );
    let created = c
        .create_conversation()
        .channel("web")
        .tags([("k", "v")])
        .send()
        .await
        .expect("429 proves it was not processed: retried");
    let journal = emulator.journal();
    let statuses: Vec<_> = journal
        .calls_to("createConversation")
        .iter()
        .map(|c| c.status)
        .collect();
    assert_eq!(statuses, [Some(429), Some(429), Some(201)]);
    assert_eq!(journal.committed("createConversation"), 1);
    let got: types::GetConversationResponse = c
        .get_conversation()
        .id(&created.conversation.id)
        .send()
        .await
        .unwrap();
    assert_eq!(got.conversation.id, created.conversation.id);
}
