//! Every failure surfaces as the right error kind, with the HTTP status and the raw body
//! when there was one: through [`ErrorExt`] on what `send()` returns and through
//! `botpress::Error` after `?`. Retries are off here so each fault is seen as sent.

use crate::support;

use std::time::Duration;

use botpress::{ErrorKind, RetryPolicy, error::API_ERROR_TYPES};
use serde_json::json;
use support::{
    faults::{Fault, FaultServer, RateLimitHeader, api_error_body, big_conversation, proxy_page},
    harness::{builder, must_finish, ok_body},
};

/// What the caller must see.
struct Expect {
    kind: ErrorKind,
    status: Option<u16>,
    /// `Some(bytes)`: the raw body must be exactly these; `None`: no raw body.
    raw: Option<Vec<u8>>,
}

/// Sends `getConversation` against `fault` once and checks the error both ways.
async fn check(name: &str, fault: Fault, expect: Expect) {
    let server = FaultServer::start().await;
    server.push(fault);
    let client = builder(&server.base_url, 1, Duration::from_millis(1500))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let e = must_finish(60, name, async {
        client.get_conversation().id("conv_1").send().await
    })
    .await
    .expect_err(name);
    assert_eq!(server.count(), 1, "{name}");
    assert_eq!(e.kind(), expect.kind, "{name}: kind of {e:?}");
    assert_eq!(e.status(), expect.status, "{name}: status");
    assert_eq!(
        e.raw_body().map(<[u8]>::to_vec),
        expect.raw,
        "{name}: raw body"
    );
    let message = e.message().to_owned();
    assert!(!message.is_empty(), "{name}: a message");
    // The same through `?`.
    assert_eq!(e.kind(), expect.kind, "{name}: botpress::Error kind");
    assert_eq!(e.status(), expect.status, "{name}: botpress::Error status");
    assert_eq!(
        e.raw_body().map(<[u8]>::to_vec),
        expect.raw,
        "{name}: botpress::Error raw body"
    );
    assert_eq!(e.message(), message, "{name}: same message");
    assert!(!e.to_string().is_empty());
}

#[tokio::test]
async fn every_api_error_type_maps_to_its_kind() {
    for (error_type, status) in API_ERROR_TYPES {
        let server = FaultServer::start().await;
        server.push(Fault::api_error(status, error_type, "it failed"));
        let client = builder(&server.base_url, 1, Duration::from_secs(5))
            .retry(RetryPolicy::none())
            .build()
            .unwrap();
        let e = client
            .get_conversation()
            .id("conv_1")
            .send()
            .await
            .expect_err(error_type);
        assert_eq!(e.kind(), ErrorKind::from_type(error_type), "{error_type}");
        assert_eq!(e.kind().as_str(), error_type);
        assert_eq!(e.status(), Some(status), "{error_type}");
        assert_eq!(e.id(), Some("err_20260101000000x0123abcd"), "{error_type}");
        assert_eq!(e.message(), "it failed");
        assert_eq!(
            e.raw_body(),
            None,
            "a Botpress error body is decoded, not raw"
        );
    }
}

#[tokio::test]
async fn error_bodies_that_are_not_botpress_errors_keep_status_and_raw_body() {
    let limiter = serde_json::to_vec(&json!({
        "type": "RateLimited",
        "description": "The request has been rate-limited.",
        "status": 429
    }))
    .unwrap();
    let cases = vec![
        (
            "502 HTML page from a proxy",
            Fault::html_page(502),
            ErrorKind::InvalidResponse,
            502,
            proxy_page(502).into_bytes(),
        ),
        (
            "503 plain text",
            Fault::status(503),
            ErrorKind::InvalidResponse,
            503,
            b"status 503".to_vec(),
        ),
        (
            "429 with the documented limiter body",
            Fault::rate_limited(RateLimitHeader::RetryAfterSeconds(1)),
            ErrorKind::RateLimited,
            429,
            limiter,
        ),
        (
            "400 with invalid JSON",
            Fault::invalid_json(400),
            ErrorKind::InvalidResponse,
            400,
            b"{\"conversation\": {\"id\": \"conv_1\", ".to_vec(),
        ),
        (
            "500 with an empty body",
            Fault::Respond {
                status: 500,
                headers: vec![],
                body: vec![],
            },
            ErrorKind::InvalidResponse,
            500,
            vec![],
        ),
    ];
    for (name, fault, kind, status, raw) in cases {
        check(
            name,
            fault,
            Expect {
                kind,
                status: Some(status),
                raw: Some(raw),
            },
        )
        .await;
    }
}

#[tokio::test]
async fn an_error_with_the_wrong_content_type_is_still_classified() {
    let body = api_error_body(404, "ResourceNotFound", "no conv_1");
    check(
        "404 Botpress error sent as text/plain",
        Fault::wrong_content_type(404, &body),
        Expect {
            kind: ErrorKind::ResourceNotFound,
            status: Some(404),
            raw: None,
        },
    )
    .await;
}

#[tokio::test]
async fn a_success_with_the_wrong_content_type_still_decodes() {
    let server = FaultServer::start().await;
    let body = ok_body("getConversation");
    server.push(Fault::wrong_content_type(200, &body));
    let client = builder(&server.base_url, 1, Duration::from_secs(5))
        .build()
        .unwrap();
    let got = client
        .get_conversation()
        .id("conv_1")
        .send()
        .await
        .expect("valid JSON");
    assert_eq!(serde_json::to_value(got).unwrap(), body);
}

#[tokio::test]
async fn a_success_body_that_is_not_json_is_invalid_response_with_raw_body() {
    let server = FaultServer::start().await;
    server.push(Fault::invalid_json(200));
    let client = builder(&server.base_url, 1, Duration::from_secs(5))
        .build()
        .unwrap();
    let e = client
        .get_conversation()
        .id("conv_1")
        .send()
        .await
        .expect_err("not JSON");
    assert_eq!(e.kind(), ErrorKind::InvalidResponse);
    assert_eq!(
        e.raw_body(),
        Some(&b"{\"conversation\": {\"id\": \"conv_1\", "[..])
    );
    assert_eq!(e.kind(), ErrorKind::InvalidResponse);
    assert!(e.raw_body().is_some());
}

#[tokio::test]
async fn transport_failures_have_a_transport_kind_and_no_status() {
    let cases = vec![
        (
            "reset before the body",
            Fault::reset_before_body(),
            ErrorKind::Network,
        ),
        (
            "reset after the body",
            Fault::reset_after_body(),
            ErrorKind::Network,
        ),
        (
            "stall past the attempt timeout",
            Fault::stall(Duration::from_secs(30)),
            ErrorKind::Timeout,
        ),
        (
            "success body stalling past the attempt timeout",
            Fault::StallBody {
                status: 200,
                body: b"{}".to_vec(),
                stall: Duration::from_secs(30),
            },
            ErrorKind::Timeout,
        ),
        (
            "slow drip past the attempt timeout",
            Fault::slow_drip(
                200,
                &ok_body("getConversation"),
                1,
                Duration::from_millis(100),
            ),
            ErrorKind::Timeout,
        ),
    ];
    for (name, fault, kind) in cases {
        check(
            name,
            fault,
            Expect {
                kind,
                status: None,
                raw: None,
            },
        )
        .await;
    }
}

/// Bodies cut short by the connection closing: the request reached the server, the answer
/// did not fully come back.
fn truncated_bodies() -> Vec<(&'static str, Fault)> {
    vec![
        (
            "truncated success body",
            Fault::truncated(200, &ok_body("getConversation")),
        ),
        (
            "truncated error body",
            Fault::truncated(404, &api_error_body(404, "ResourceNotFound", "gone")),
        ),
    ]
}

#[tokio::test]
async fn truncated_bodies_are_network_failures() {
    for (name, fault) in truncated_bodies() {
        check(
            name,
            fault,
            Expect {
                kind: ErrorKind::Network,
                status: None,
                raw: None,
            },
        )
        .await;
    }
}

#[tokio::test]
async fn a_connection_refused_is_connect() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let client = builder(
        &format!("http://127.0.0.1:{port}"),
        1,
        Duration::from_secs(5),
    )
    .build()
    .unwrap();
    let e = client
        .get_conversation()
        .id("conv_1")
        .send()
        .await
        .expect_err("refused");
    assert_eq!(e.kind(), ErrorKind::Connect);
    assert_eq!(e.status(), None);
}

#[tokio::test]
async fn a_20_mb_error_page_is_bounded_and_classified() {
    let page = "<html>".to_string() + &"x".repeat(20 << 20) + "</html>";
    let server = FaultServer::start().await;
    server.push(Fault::Respond {
        status: 500,
        headers: vec![("Content-Type".into(), "text/html".into())],
        body: page.clone().into_bytes(),
    });
    let client = builder(&server.base_url, 1, Duration::from_secs(60))
        .build()
        .unwrap();
    let e = must_finish(120, "20 MB error page", async {
        client.get_conversation().id("conv_1").send().await
    })
    .await
    .expect_err("500");
    assert_eq!(e.kind(), ErrorKind::InvalidResponse);
    assert_eq!(e.status(), Some(500));
    let raw = e.raw_body().expect("raw body");
    assert!(!raw.is_empty() && page.as_bytes().starts_with(raw));
    assert!(raw.len() <= page.len());
    // The message quotes a snippet, not 20 MB.
    assert!(e.message().len() < 4096, "{} bytes", e.message().len());
}

#[tokio::test]
async fn a_20_mb_success_body_is_not_an_error() {
    let server = FaultServer::start().await;
    server.push(Fault::json(200, &big_conversation(20 << 20)));
    let client = builder(&server.base_url, 1, Duration::from_secs(60))
        .build()
        .unwrap();
    let got = must_finish(120, "20 MB body", async {
        client.get_conversation().id("conv_big").send().await
    })
    .await
    .expect("decodes");
    assert_eq!(got.conversation.id, "conv_big");
}
