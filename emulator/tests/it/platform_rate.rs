//! Rate limiting (`Config::rate_limit`, `--rate-limit`): the documented `429` past the limit,
//! per bot, the `RateLimit-*` headers on every API response, and room again once the window
//! has moved on.

use std::time::Duration;

use botpress_emulator::{Config, RateLimit};
use serde_json::Value;

use crate::common::{Api, BOT, OTHER_BOT, TOKEN};

/// `GET /v1/chat/users` as `bot`: status, the three headers, the body.
async fn list(api: &Api, bot: &str) -> (u16, [Option<String>; 3], Value) {
    let response = api
        .http
        .get(api.url("/v1/chat/users"))
        .bearer_auth(TOKEN)
        .header("x-bot-id", bot)
        .send()
        .await
        .unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    };
    let headers = [
        header("ratelimit-limit"),
        header("ratelimit-remaining"),
        header("ratelimit-reset"),
    ];
    let status = response.status().as_u16();
    (
        status,
        headers,
        response.json().await.unwrap_or(Value::Null),
    )
}

fn some(values: [&str; 3]) -> [Option<String>; 3] {
    values.map(|v| Some(v.to_string()))
}

#[tokio::test]
async fn past_the_limit_a_bot_gets_the_documented_429_and_others_do_not() {
    let api =
        Api::start(Config::new().rate_limit(RateLimit::new(3, Duration::from_secs(30)))).await;
    for remaining in ["2", "1", "0"] {
        let (status, headers, _) = list(&api, BOT).await;
        assert_eq!(status, 200);
        assert_eq!(headers, some(["3", remaining, "30"]));
    }
    let (status, headers, body) = list(&api, BOT).await;
    assert_eq!(status, 429);
    assert_eq!(
        body,
        serde_json::json!({"type": "RateLimited", "description": "The request has been rate-limited.", "status": 429})
    );
    assert_eq!(headers[..2], some(["3", "0", "_"])[..2]);
    let reset: u64 = headers[2].as_deref().unwrap().parse().unwrap();
    assert!((29..=30).contains(&reset), "{reset}");

    let (status, headers, _) = list(&api, OTHER_BOT).await;
    assert_eq!(
        (status, headers[1].as_deref()),
        (200, Some("2")),
        "counted per bot"
    );

    let errors = api.call("GET", "/v1/chat/users/user_x", None).await;
    assert_eq!(errors.status, 429, "every operation counts");
    let call = api.emulator.journal().calls().pop().unwrap();
    assert_eq!(
        (call.status, call.error_type),
        (Some(429), Some("RateLimited"))
    );
    let admin = api
        .raw("GET", "/_emulator/journal", None, Some(TOKEN), None)
        .await;
    assert_eq!(admin.status, 200, "the admin API is not limited");
}

#[tokio::test]
async fn the_window_slides() {
    let api =
        Api::start(Config::new().rate_limit(RateLimit::new(2, Duration::from_millis(600)))).await;
    assert_eq!(list(&api, BOT).await.0, 200);
    assert_eq!(list(&api, BOT).await.0, 200);
    assert_eq!(list(&api, BOT).await.0, 429);
    tokio::time::sleep(Duration::from_millis(700)).await;
    let (status, headers, _) = list(&api, BOT).await;
    assert_eq!((status, headers[1].as_deref()), (200, Some("1")));
}

#[tokio::test]
async fn without_a_limit_there_are_no_rate_limit_headers() {
    let api = Api::start(Config::new()).await;
    let (status, headers, _) = list(&api, BOT).await;
    assert_eq!(status, 200);
    assert_eq!(headers, [None, None, None]);
}
