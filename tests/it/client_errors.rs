//! Error mapping: every Botpress error type and every transport failure, from real responses.

use crate::support;

use std::time::Duration;

use botpress::error::API_ERROR_TYPES;
use botpress::prelude::*;
use support::faults::{Fault, FaultServer, refused_url};

fn client(url: &str) -> Client {
    Client::builder()
        .base_url(url)
        .token("tok")
        .bot_id("bot_1")
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

fn tables() -> Fault {
    Fault::json(200, &serde_json::json!({"tables": []}))
}

#[tokio::test]
async fn every_botpress_error_type_maps_to_its_kind() {
    let script = API_ERROR_TYPES
        .iter()
        .map(|(t, status)| {
            Fault::error(*status, t).with_header("x-request-id", &format!("req_{t}"))
        })
        .collect();
    let server = FaultServer::scripted(script, tables()).await;
    let client = client(&server.base_url);
    for (error_type, status) in API_ERROR_TYPES {
        let err = client.list_tables().send().await.unwrap_err();
        // Directly on what `send()` returns…
        let expected = ErrorKind::from_type(error_type);
        assert_eq!(err.kind(), expected, "{error_type}");
        assert_eq!(err.kind().as_str(), error_type);
        assert_eq!(err.status(), Some(status));
        assert_eq!(err.kind().api_status(), Some(status));
        let id = format!("err_20240101000000x{status:08X}");
        assert_eq!(err.id(), Some(id.as_str()));
        assert_eq!(err.message(), format!("{error_type} happened"));
        assert_eq!(err.request_id(), Some(&*format!("req_{error_type}")));
        assert_eq!(
            err.metadata().unwrap()["hint"],
            serde_json::json!(error_type)
        );
        assert_eq!(err.raw_body(), None);
        // …and as a `botpress::Error`.
        assert_eq!(err.kind(), expected);
        assert_eq!(err.status(), Some(status));
        assert_eq!(err.id(), Some(id.as_str()));
        assert_eq!(err.request_id(), Some(&*format!("req_{error_type}")));
        assert_eq!(
            err.to_string(),
            format!(
                "listTables (GET /v1/tables): [{error_type}] {error_type} happened (HTTP {status}, error id {id}, request id req_{error_type})"
            )
        );
    }
    assert_eq!(server.count(), 26);
}

#[tokio::test]
async fn kinds_match_directly_and_question_mark_converts() {
    let server = FaultServer::scripted(vec![Fault::error(404, "ResourceNotFound")], tables()).await;
    let client = client(&server.base_url);
    let outcome = match client.list_tables().send().await {
        Err(e) if e.kind() == ErrorKind::ResourceNotFound => "not found",
        Err(_) => "other error",
        Ok(_) => "found",
    };
    assert_eq!(outcome, "not found");

    async fn list(client: &Client) -> botpress::Result<usize> {
        Ok(client.list_tables().send().await?.tables.len())
    }
    assert_eq!(list(&client).await.unwrap(), 0);
}

#[tokio::test]
async fn unknown_types_keep_their_name() {
    let server = FaultServer::scripted(vec![Fault::error(418, "MadeUpType")], tables()).await;
    let err = client(&server.base_url)
        .list_tables()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unknown("MadeUpType".into()));
    assert_eq!(err.status(), Some(418));
    assert_eq!(err.kind().as_str(), "MadeUpType");
    assert_eq!(err.message(), "MadeUpType happened");
}

#[tokio::test]
async fn an_html_page_is_an_invalid_response_with_its_raw_body() {
    let html = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    let server = FaultServer::scripted(
        vec![Fault::text(502, "text/html", html).with_header("x-request-id", "req_html")],
        tables(),
    )
    .await;
    let err = client(&server.base_url)
        .list_tables()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
    assert_eq!(err.status(), Some(502));
    assert_eq!(err.raw_body(), Some(html.as_bytes()));
    assert_eq!(err.id(), None);
    assert_eq!(err.metadata(), None);
    assert_eq!(err.request_id(), Some("req_html"));
    assert_eq!(
        err.message(),
        "HTTP 502 Bad Gateway with a body that is not a Botpress error (text/html, 50 bytes): <html><body><h1>502 Bad Gateway</h1></body></html>"
    );
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
    assert_eq!(err.status(), Some(502));
    assert_eq!(err.raw_body(), Some(html.as_bytes()));
}

#[tokio::test]
async fn empty_and_foreign_json_error_bodies() {
    let server = FaultServer::scripted(
        vec![
            Fault::text(500, "text/plain", ""),
            Fault::json(
                400,
                &serde_json::json!({"message": "not an api error shape"}),
            ),
        ],
        tables(),
    )
    .await;
    let client = client(&server.base_url);
    let err = client.list_tables().send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
    assert_eq!(err.status(), Some(500));
    assert_eq!(err.raw_body(), Some(&b""[..]));
    assert_eq!(
        err.message(),
        "HTTP 500 Internal Server Error with an empty body"
    );
    let err = client.list_tables().send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.message(), "not an api error shape");
    assert_eq!(
        err.raw_body(),
        Some(&br#"{"message":"not an api error shape"}"#[..])
    );
}

#[tokio::test]
async fn the_rate_limiter_body_is_rate_limited() {
    let body =
        r#"{"type":"RateLimited","description":"The request has been rate-limited.","status":429}"#;
    let server =
        FaultServer::scripted(vec![Fault::text(429, "application/json", body)], tables()).await;
    let err = client(&server.base_url)
        .list_tables()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.status(), Some(429));
    assert_eq!(err.message(), "The request has been rate-limited.");
    assert_eq!(err.raw_body(), Some(body.as_bytes()));
}

#[tokio::test]
async fn a_success_body_that_does_not_decode_keeps_its_bytes() {
    let server = FaultServer::scripted(
        vec![Fault::json(200, &serde_json::json!({"unexpected": true}))],
        tables(),
    )
    .await;
    let err = client(&server.base_url)
        .list_tables()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
    assert_eq!(err.raw_body(), Some(&br#"{"unexpected":true}"#[..]));
    assert!(
        err.message().starts_with(
            "the response body does not decode as `ListTablesResponse`: missing field `tables`"
        ),
        "{}",
        err.message()
    );
    assert_eq!(err.status(), Some(200));
    // The decoding error is the message: it is not repeated as a source.
    assert!(std::error::Error::source(&err).is_none());
}

#[tokio::test]
async fn connection_refused_is_connect() {
    let err = client(&refused_url().await)
        .list_tables()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connect);
    assert_eq!(err.status(), None);
    assert_eq!(err.kind(), ErrorKind::Connect);
    assert_eq!(err.message(), "the connection could not be established");
    // The cause is the source, not repeated in Display.
    let source = std::error::Error::source(&err)
        .expect("the reqwest error")
        .to_string();
    assert!(source.contains("error sending request"), "{source}");
    assert!(!err.to_string().contains("error sending request"), "{err}");
    assert!(
        err.to_string()
            .starts_with("listTables (GET /v1/tables): [Connect]"),
        "{err}"
    );
}

#[tokio::test]
async fn a_hanging_server_is_a_timeout() {
    let server = FaultServer::scripted(vec![Fault::hang()], tables()).await;
    let client = Client::builder()
        .base_url(&server.base_url)
        .timeout(Duration::from_millis(200))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let err = client.list_tables().send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(err.status(), None);
    assert_eq!(err.kind(), ErrorKind::Timeout);
}

#[tokio::test]
async fn a_closed_connection_is_a_network_error() {
    let server = FaultServer::scripted(vec![Fault::close_after_body()], tables()).await;
    let err = client(&server.base_url)
        .list_tables()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network);
}

#[tokio::test]
async fn a_missing_required_field_is_an_invalid_request() {
    let server = FaultServer::scripted(vec![], tables()).await;
    let err = client(&server.base_url)
        .get_conversation()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    assert_eq!(server.count(), 0);
}
