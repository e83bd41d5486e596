//! The SDK against the emulator's rate limiter: a fan-out of 1,000 reads at concurrency 64
//! against `100/s` completes with no error surfaced to the caller, the 429s it meets absorbed
//! by the retry policy waiting the advised `RateLimit-Reset`; with `Pacing::from_server()` it
//! meets none, the client waiting for the budget the headers announce.

use std::time::Duration;

use botpress::{Client, Pacing};
use botpress_emulator::{Config, Emulator, RateLimit, spawn};
use futures::{StreamExt, stream};

const BOT: &str = "bot_01JRATE000000000000000000A1";

/// An emulator limiting each bot to 100 requests a second.
async fn limited() -> Emulator {
    spawn(Config::new().rate_limit(RateLimit::per_second(100)))
        .await
        .expect("emulator starts")
}

/// 1,000 getConversation calls of one conversation, 64 at a time; every call's result.
async fn fan_out(
    client: &Client,
) -> Vec<botpress::Result<botpress::types::GetConversationResponse>> {
    let id = crate::support::emulator::conversation(client).await;
    tokio::time::timeout(
        Duration::from_secs(120),
        stream::iter(0..1000)
            .map(|_| {
                let client = client.clone();
                let id = id.clone();
                async move { client.get_conversation().id(&id).send().await }
            })
            .buffer_unordered(64)
            .collect(),
    )
    .await
    .expect("finishes")
}

/// The getConversation calls the emulator answered 429 and 200.
fn answered(emulator: &Emulator) -> (usize, usize) {
    let calls = emulator.journal().calls_to("getConversation");
    let limited = calls.iter().filter(|c| c.status == Some(429)).count();
    let served = calls.iter().filter(|c| c.status == Some(200)).count();
    (limited, served)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fan_out_over_the_rate_limit_surfaces_no_error() {
    let emulator = limited().await;
    let client = crate::support::emulator::client(&emulator, BOT);
    let results = fan_out(&client).await;
    let errors: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(
        errors.is_empty(),
        "{} errors, first: {}",
        errors.len(),
        errors[0]
    );
    let (limited, served) = answered(&emulator);
    assert_eq!(served, 1000, "every call answered once");
    assert!(limited > 0, "the limiter was reached");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn following_the_servers_budget_meets_no_429() {
    let emulator = limited().await;
    let client =
        crate::support::emulator::client_with(&emulator, BOT, |b| b.pacing(Pacing::from_server()));
    let results = fan_out(&client).await;
    assert!(results.iter().all(Result::is_ok));
    let (limited, served) = answered(&emulator);
    assert_eq!(
        (limited, served),
        (0, 1000),
        "no 429 met, every call answered once"
    );

    // A clone for another bot has its own budget; one for the same bot shares it.
    let other = client.with_bot_id("bot_01JRATE000000000000000000B2");
    let ids = crate::support::emulator::conversation(&other).await;
    assert!(other.get_conversation().id(&ids).send().await.is_ok());
    assert_eq!(answered(&emulator).0, 0);
}
