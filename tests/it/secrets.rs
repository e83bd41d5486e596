//! The token never shows: not in `Debug` of the client, its builder, identity or clones; not
//! in `Debug` or `Display` of any error (every fault of the fault server, configuration
//! errors, pagination errors); not in tracing output at any level (a subscriber at `TRACE`
//! writing to a buffer, with `log` records from the HTTP stack bridged in); not in a panic
//! message from `unwrap`/`expect` on a result.
//!
//! Each check also asserts that the text it searched is not empty, so a check cannot pass by
//! looking at nothing.

use crate::support;

use std::{
    panic::{AssertUnwindSafe, catch_unwind},
    sync::OnceLock,
    time::Duration,
};

use botpress::{Client, RetryPolicy, paginate::Paginate};
use futures::TryStreamExt;
use support::{
    capture::Capture,
    faults::{Fault, FaultServer, RateLimitHeader, api_error_body},
    harness::{TOKEN, builder, fast_retry, ok_body, ok_fault},
};

/// Fails if `text` contains the token or its distinctive part.
fn assert_clean(what: &str, text: &str) {
    assert!(!text.is_empty(), "{what}: nothing to check");
    for needle in [TOKEN, "CANARY-7f3a9c"] {
        assert!(!text.contains(needle), "{what} leaks the token:\n{text}");
    }
}

/// Captures every tracing event of the calling thread (the test's runtime) at `TRACE`, with
/// `log` records of the HTTP stack bridged in, until the guard drops; returns the buffer.
fn capture_traces() -> (Capture, tracing::subscriber::DefaultGuard) {
    static LOG_BRIDGE: OnceLock<()> = OnceLock::new();
    LOG_BRIDGE.get_or_init(|| {
        tracing_log::LogTracer::init().expect("the only `log` logger of this test binary")
    });
    use tracing_subscriber::fmt::format::FmtSpan;
    let buffer = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing_subscriber::filter::LevelFilter::TRACE)
        .with_span_events(FmtSpan::FULL)
        .with_writer(buffer.clone())
        .finish();
    (buffer, tracing::subscriber::set_default(subscriber))
}

/// Every fault, then a success: exercises every error path (with retries on).
fn every_fault() -> Vec<Fault> {
    vec![
        Fault::reset_before_body(),
        Fault::reset_after_body(),
        Fault::stall(Duration::from_secs(30)),
        Fault::status(500),
        Fault::status(502),
        Fault::status(503),
        Fault::status(504),
        Fault::html_page(502),
        Fault::locked(),
        Fault::api_error(401, "Unauthorized", "bad token"),
        Fault::api_error(404, "ResourceNotFound", "no such conversation"),
        Fault::rate_limited(RateLimitHeader::RetryAfterSeconds(0)),
        Fault::rate_limited(RateLimitHeader::XRateLimitReset(0)),
        Fault::invalid_json(200),
        Fault::invalid_json(400),
        Fault::wrong_content_type(200, &ok_body("getConversation")),
        Fault::truncated(200, &ok_body("getConversation")),
        Fault::truncated(404, &api_error_body(404, "ResourceNotFound", "x")),
        Fault::StallBody {
            status: 200,
            body: b"{}".to_vec(),
            stall: Duration::from_secs(30),
        },
        ok_fault("getConversation"),
    ]
}

/// Sends one `getConversation` per fault (retries off) and returns the error texts.
async fn error_texts() -> Vec<String> {
    let server = FaultServer::start().await;
    let faults = every_fault();
    let n = faults.len();
    server.push_all(faults);
    let client = builder(&server.base_url, 1, Duration::from_millis(800))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let mut texts = Vec::new();
    for _ in 0..n {
        match client.get_conversation().id("conv_1").send().await {
            Ok(r) => texts.push(format!("{r:?}")),
            Err(e) => {
                texts.push(format!("{e:?}"));
                texts.push(format!("{e}"));
                texts.push(e.message().to_owned());
                texts.push(format!("{e:?}"));
                texts.push(format!("{e}"));
                texts.push(format!("{:?}", std::error::Error::source(&e)));
            }
        }
    }
    assert_eq!(server.count(), n);
    texts
}

#[tokio::test]
async fn no_error_shows_the_token() {
    let _traces = capture_traces();
    for text in error_texts().await {
        assert_clean("an error", &text);
    }
}

#[tokio::test]
async fn debug_of_the_client_and_its_parts_hides_the_token() {
    let _traces = capture_traces();
    let builder = Client::builder()
        .base_url("http://127.0.0.1:9")
        .token(TOKEN)
        .bot_id("bot_1");
    assert_clean("ClientBuilder", &format!("{builder:?}"));
    let client = builder.build().unwrap();
    assert_clean("Client", &format!("{client:?}"));
    assert_clean("Client (pretty)", &format!("{client:#?}"));
    assert_clean("a clone", &format!("{:?}", client.with_bot_id("bot_2")));
    assert_clean("Identity", &format!("{:?}", client.identity()));
    let request = client.get_conversation().id("conv_1");
    assert_clean("an operation builder", &format!("{request:?}"));
}

#[test]
fn configuration_errors_name_the_token_without_its_value() {
    let bad = format!("{TOKEN}\n");
    let e = Client::builder()
        .base_url("http://127.0.0.1:9")
        .token(bad)
        .build()
        .expect_err("a newline cannot go in a header");
    assert_clean("ConfigError Debug", &format!("{e:?}"));
    assert_clean("ConfigError Display", &format!("{e}"));
    assert_clean("botpress::Error from ConfigError", &format!("{e:?} {e}"));
}

#[tokio::test]
async fn pagination_errors_hide_the_token() {
    let _traces = capture_traces();
    let server = FaultServer::start().await;
    server.push(Fault::status(503));
    let client = builder(&server.base_url, 1, Duration::from_secs(5))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let e = client
        .list_conversations()
        .stream()
        .try_collect::<Vec<_>>()
        .await
        .expect_err("503");
    assert_clean("HelperError", &format!("{e:?} {e}"));
}

#[tokio::test]
async fn panics_on_errors_do_not_show_the_token() {
    let _traces = capture_traces();
    let server = FaultServer::start().await;
    server.push_all([
        Fault::api_error(401, "Unauthorized", "bad token"),
        Fault::reset_after_body(),
    ]);
    let client = builder(&server.base_url, 1, Duration::from_secs(5))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    for _ in 0..2 {
        let result = client.get_conversation().id("conv_1").send().await;
        let payload = catch_unwind(AssertUnwindSafe(|| {
            result.expect("the call failed");
        }))
        .expect_err("expect on an error panics");
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .expect("a formatted panic message");
        assert!(message.contains("the call failed"));
        assert_clean("panic message", &message);
    }
    let payload = catch_unwind(AssertUnwindSafe(|| panic!("{client:?}"))).unwrap_err();
    assert_clean(
        "panic with the client",
        payload.downcast_ref::<String>().unwrap(),
    );
}

#[tokio::test]
async fn tracing_at_trace_level_does_not_show_the_token() {
    let (buffer, _traces) = capture_traces();
    // Retries (with their events), failures and successes, all at TRACE.
    let server = FaultServer::start().await;
    server.push_all(every_fault());
    let client = builder(&server.base_url, 3, Duration::from_millis(800))
        .retry(fast_retry(3))
        .build()
        .unwrap();
    for _ in 0..12 {
        let _ = client.get_conversation().id("conv_1").send().await;
    }
    let _ = error_texts().await;
    let text = buffer.text();
    assert!(
        text.contains("botpress.request"),
        "the SDK's spans were captured"
    );
    assert!(text.contains("retrying"), "retry events were captured");
    assert!(
        text.to_ascii_lowercase().contains("trace"),
        "TRACE-level records were captured"
    );
    assert_clean("tracing output", &text);
}
