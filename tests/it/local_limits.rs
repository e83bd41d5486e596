//! Local platform limits: a request the service would refuse for its size fails before it is
//! sent (kind `LimitExceeded`, the limit and the excess named, nothing in the emulator's
//! journal); `local_limits(false)` sends it, and the emulator's own limit answers.

use botpress::{Client, ErrorKind};
use botpress_emulator::{Config, spawn};
use serde_json::json;

use crate::support::emulator::{client_with, conversation, user};

const BOT: &str = "bot_01JLOCALLIMITS0000000000A1";

fn client(emulator: &botpress_emulator::Emulator, local_limits: bool) -> Client {
    client_with(emulator, BOT, |b| b.local_limits(local_limits))
}

#[tokio::test]
async fn an_oversized_payload_is_refused_unsent_and_sent_when_asked() {
    let emulator = spawn(Config::new()).await.unwrap();
    let checked = client(&emulator, true);
    let conv = conversation(&checked).await;
    let user = user(&checked).await;
    let overhead = json!({"text": ""}).to_string().len();
    let message = |client: &Client, bytes: usize| {
        client
            .create_message()
            .conversation_id(&conv)
            .user_id(&user)
            .type_("text")
            .payload(json!({"text": "x".repeat(bytes - overhead)}))
            .tags([("k", "v")])
    };
    let before = emulator.journal().len();

    let at_limit = message(&checked, 128 * 1024).send().await;
    assert!(at_limit.is_ok(), "{at_limit:?}");
    let err = message(&checked, 128 * 1024 + 7).send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded);
    assert_eq!(err.status(), None, "no answer: nothing was sent");
    let text = err.to_string();
    assert!(
        text.contains("the message payload is 131079 bytes as JSON")
            && text.contains("131072 bytes (128 KiB) by 7"),
        "{text}"
    );
    assert_eq!(
        emulator.journal().len(),
        before + 1,
        "only the call at the limit reached the emulator"
    );

    // Unchecked, the request goes out and the emulator's limit answers it.
    let err = message(&client(&emulator, false), 128 * 1024 + 7)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        (err.kind(), err.status()),
        (ErrorKind::LimitExceeded, Some(413))
    );
    assert_eq!(emulator.journal().len(), before + 2);
}

#[tokio::test]
async fn a_body_over_its_apis_limit_is_refused_unsent() {
    let emulator = spawn(Config::new()).await.unwrap();
    let err = client(&emulator, true)
        .create_user()
        .tags([("k", "v")])
        .name("x".repeat(1024 * 1024))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded);
    assert!(
        err.to_string().contains("the Runtime and Files API"),
        "{err}"
    );
    assert_eq!(emulator.journal().len(), 0);
}
