//! Throughput of `getConversation` and `createMessage` (printed, never asserted).
//! Run: `cargo test --release -p botpress-emulator --test it throughput -- --ignored --nocapture`.

use crate::common;

use std::{sync::Arc, time::Instant};

use botpress_emulator::Config;
use common::Api;
use serde_json::json;

const REQUESTS: usize = 4000;
const CONCURRENCY: usize = 8;

async fn measure<F, Fut>(name: &str, api: Arc<Api>, call: F)
where
    F: Fn(Arc<Api>, usize) -> Fut + Send + Sync + Copy + 'static,
    Fut: std::future::Future<Output = u16> + Send,
{
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..CONCURRENCY {
        let api = api.clone();
        tasks.push(tokio::spawn(async move {
            let mut ok = 0;
            for i in (w..REQUESTS).step_by(CONCURRENCY) {
                ok += usize::from((200..300).contains(&call(api.clone(), i).await));
            }
            ok
        }));
    }
    let mut ok = 0;
    for t in tasks {
        ok += t.await.unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{name}: {REQUESTS} requests ({ok} ok), {CONCURRENCY} in flight, {secs:.2} s, {:.0} req/s",
        REQUESTS as f64 / secs
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "benchmark: prints figures"]
async fn throughput_of_get_conversation_and_create_message() {
    let api = Arc::new(Api::start_with(Config::new()).await);
    let conv = api.conversation().await;
    let user = api.user().await;
    let path: &'static str = Box::leak(format!("/v1/chat/conversations/{conv}").into_boxed_str());
    measure("getConversation", api.clone(), move |api, _| async move {
        api.call("GET", path, None).await.status
    })
    .await;
    let body: &'static serde_json::Value = Box::leak(Box::new(
        json!({"payload": {"text": "hi"}, "userId": user, "conversationId": conv, "type": "text", "tags": {}}),
    ));
    measure("createMessage", api.clone(), move |api, _| async move {
        api.call("POST", "/v1/chat/messages", Some(body.clone()))
            .await
            .status
    })
    .await;
}
