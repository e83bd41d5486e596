//! A recording HTTP server on 127.0.0.1 for the helper and pagination tests: it stores every
//! request (method, path and query, headers, body bytes) and answers with a reply computed by
//! the test from the request.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// One request as it reached the server.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// `GET`, `PUT`, …
    pub method: String,
    /// Path and query, exactly as sent (`/v1/chat/conversations?nextToken=a`).
    pub uri: String,
    /// Header names (lowercase) and values, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl Recorded {
    /// The path without the query.
    pub fn path(&self) -> &str {
        self.uri.split('?').next().unwrap_or_default()
    }

    /// The raw query string (`""` when there is none).
    pub fn query(&self) -> &str {
        self.uri.split_once('?').map(|(_, q)| q).unwrap_or_default()
    }

    /// The decoded value of query parameter `name`, if present.
    pub fn query_param(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.query().as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// The value of header `name` (case-insensitive), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as UTF-8 text.
    pub fn body_text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("utf-8 body")
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

/// What the server answers.
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

impl Reply {
    /// `200` with a JSON body.
    pub fn json(value: serde_json::Value) -> Self {
        Self::status_json(200, value)
    }

    /// `status` with a JSON body.
    pub fn status_json(status: u16, value: serde_json::Value) -> Self {
        Self {
            status,
            content_type: "application/json",
            body: value.to_string(),
        }
    }

    /// The Botpress error body for `status`.
    pub fn error(status: u16, kind: &str, message: &str) -> Self {
        Self::status_json(
            status,
            serde_json::json!({"id": "err_1", "code": status, "type": kind, "message": message}),
        )
    }

    /// `status` with an empty text body.
    pub fn empty(status: u16) -> Self {
        Self {
            status,
            content_type: "text/plain",
            body: String::new(),
        }
    }
}

type Handler = Arc<dyn Fn(&Recorded, usize) -> Reply + Send + Sync>;

/// A running recording server.
pub struct Server {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    log: Arc<Mutex<Vec<Recorded>>>,
    arrived: Arc<tokio::sync::Notify>,
}

impl Server {
    /// Starts a server answering each request with `handler(request, index)` (index counts
    /// from 0 in arrival order).
    pub async fn start(
        handler: impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let log: Arc<Mutex<Vec<Recorded>>> = Arc::default();
        let arrived = Arc::new(tokio::sync::Notify::new());
        let handler: Handler = Arc::new(handler);
        let app = {
            let log = log.clone();
            let arrived = arrived.clone();
            axum::Router::new().fallback(
                move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                    let log = log.clone();
                    let arrived = arrived.clone();
                    let handler = handler.clone();
                    async move {
                        let recorded = Recorded {
                            method: method.to_string(),
                            uri: uri
                                .path_and_query()
                                .map(|pq| pq.as_str().to_string())
                                .unwrap_or_default(),
                            headers: headers
                                .iter()
                                .map(|(k, v)| {
                                    (k.as_str().to_string(), v.to_str().unwrap_or("").to_string())
                                })
                                .collect(),
                            body: body.to_vec(),
                        };
                        let index = {
                            let mut log = log.lock().unwrap();
                            log.push(recorded.clone());
                            log.len() - 1
                        };
                        arrived.notify_waiters();
                        let reply = handler(&recorded, index);
                        let mut response: Response = (
                            StatusCode::from_u16(reply.status).unwrap(),
                            [("content-type", reply.content_type)],
                            reply.body,
                        )
                            .into_response();
                        response.headers_mut().remove("date");
                        response
                    }
                },
            )
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { url, log, arrived }
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.log.lock().unwrap().clone()
    }

    /// How many requests arrived so far.
    pub fn count(&self) -> usize {
        self.log.lock().unwrap().len()
    }

    /// Waits until `n` requests arrived. Fails the test (instead of hanging) if they never
    /// come; this is a guard against a hang, not a timing assertion.
    pub async fn wait_for(&self, n: usize) {
        let wait = async {
            loop {
                let notified = self.arrived.notified();
                if self.count() >= n {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(Duration::from_secs(30), wait)
            .await
            .unwrap_or_else(|_| panic!("expected {n} requests, got {}", self.count()));
    }

    /// A client calling this server as bot `bot_1` with token `t`.
    pub fn client(&self) -> botpress::Client {
        botpress::Client::new_with_client(
            &self.url,
            reqwest::Client::new(),
            botpress::transport::Transport::new(
                botpress::Identity::new().token("t").bot_id("bot_1"),
            ),
        )
    }
}

/// A conversation object with id `id`.
pub fn conversation(id: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id, "channel": "web", "integration": "webchat", "tags": {},
        "createdAt": "2024-01-01T00:00:00.000Z", "updatedAt": "2024-01-01T00:00:00.000Z"
    })
}

/// A user object with id `id`.
pub fn user(id: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id, "tags": {},
        "createdAt": "2024-01-01T00:00:00.000Z", "updatedAt": "2024-01-01T00:00:00.000Z"
    })
}
