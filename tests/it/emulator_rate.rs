//! The SDK against the emulator's rate limiter: a fan-out of 1,000 reads at concurrency 64
//! against `100/s` completes with no error surfaced to the caller, the 429s it meets absorbed
//! by the retry policy waiting the advised `RateLimit-Reset`.

use std::time::Duration;

use botpress_emulator::{Config, RateLimit, spawn};
use futures::{StreamExt, stream};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fan_out_over_the_rate_limit_surfaces_no_error() {
    let emulator = spawn(Config::new().rate_limit(RateLimit::per_second(100)))
        .await
        .expect("emulator starts");
    let client = crate::support::emulator::client(&emulator, "bot_01JRATE000000000000000000A1");
    let id = crate::support::emulator::conversation(&client).await;
    let results: Vec<_> = tokio::time::timeout(
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
    .expect("finishes");
    let errors: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(
        errors.is_empty(),
        "{} errors, first: {}",
        errors.len(),
        errors[0]
    );

    let calls = emulator.journal().calls_to("getConversation");
    let limited = calls.iter().filter(|c| c.status == Some(429)).count();
    let served = calls.iter().filter(|c| c.status == Some(200)).count();
    assert_eq!(served, 1000, "every call answered once");
    assert!(
        limited > 0,
        "the limiter was reached ({} calls)",
        calls.len()
    );
}
