//! A recording mock server on 127.0.0.1: every request is recorded byte for byte (method,
//! raw path and query, headers in order, body) and answered with the next queued response,
//! or, as a proxy ([`Recorder::proxy`]), forwarded to an upstream server whose answer is
//! recorded too and passed back. A server started with [`Recorder::answering`] computes
//! the answer to any request for which nothing is queued, from the request and its index.
//! Tests read the requests as they go ([`Recorder::requests`], [`Recorder::wait_for`]) or
//! take them ([`Recorder::take`]).
use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
};

use tokio::sync::watch;

use super::faults::{MAX_STALL, api_error_body};

use axum::{
    Router,
    body::{Body, Bytes},
    extract::State,
    http::{Request, StatusCode},
    response::Response,
};

/// One request as it reached the server.
#[derive(Clone, Debug)]
pub(crate) struct Recorded {
    pub method: String,
    /// Path and query exactly as sent (still percent-encoded).
    pub target: String,
    /// Header names (lowercase) and values, in wire order.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// In proxy mode: the upstream's answer.
    pub response: Option<Forwarded>,
}

/// The upstream's answer to a proxied request.
#[derive(Clone, Debug)]
pub(crate) struct Forwarded {
    pub status: u16,
    /// Header names (lowercase) and values.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl Forwarded {
    /// The value of header `name` (case-insensitive), first occurrence.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        super::header(&self.headers, name)
    }
}

impl Recorded {
    /// `METHOD /path?query`.
    pub(crate) fn line(&self) -> String {
        format!("{} {}", self.method, self.target)
    }

    /// The value of header `name` (case-insensitive), first occurrence.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        super::header(&self.headers, name)
    }

    /// The decoded value of query parameter `name`, if present.
    pub(crate) fn query_param(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.query().as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// The body as UTF-8 text (panics if it is not).
    pub(crate) fn body_text(&self) -> String {
        String::from_utf8(self.body.to_vec()).expect("utf-8 body")
    }

    /// The query string (without `?`), empty when there is none.
    pub(crate) fn query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, q)| q)
    }

    /// The path (still percent-encoded), without the query.
    pub(crate) fn path(&self) -> &str {
        self.target.split_once('?').map_or(&self.target, |(p, _)| p)
    }

    /// The body parsed as JSON (panics with the raw body if it is not JSON).
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// A canned answer.
#[derive(Clone, Debug)]
pub(crate) struct Canned {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Canned {
    /// `status` with a JSON body.
    pub(crate) fn json(status: u16, body: &serde_json::Value) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: serde_json::to_vec(body).expect("json"),
        }
    }

    /// `status` with a body of `content_type`.
    pub(crate) fn text(status: u16, content_type: &str, body: &str) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.as_bytes().to_vec(),
        }
    }

    /// `status` with an empty `text/plain` body.
    pub(crate) fn empty(status: u16) -> Self {
        Self::text(status, "text/plain", "")
    }

    /// The Botpress error body `{id, code, type, message}` with status `status`.
    pub(crate) fn error(status: u16, error_type: &str, message: &str) -> Self {
        Self::json(status, &api_error_body(status, error_type, message))
    }
}

/// Computes the answer to a request from the request and its index (0-based, in arrival
/// order; see [`Recorder::answering`]).
pub(crate) type Responder = Arc<dyn Fn(&Recorded, usize) -> Canned + Send + Sync>;

#[derive(Default)]
struct Shared {
    requests: Vec<Recorded>,
    queue: VecDeque<Canned>,
    /// Answers a request when nothing is queued.
    responder: Option<Responder>,
    /// Proxy mode: the upstream base URL and the client forwarding to it.
    upstream: Option<(String, reqwest::Client)>,
    /// How many requests arrived (taken ones included).
    arrived: watch::Sender<usize>,
}

/// The running server; dropped with the test's runtime.
#[derive(Clone)]
pub(crate) struct Recorder {
    pub base_url: String,
    shared: Arc<Mutex<Shared>>,
}

impl Recorder {
    /// Starts a server on a free loopback port.
    pub(crate) async fn start() -> Self {
        Self::start_with(Shared::default()).await
    }

    /// Starts a recording proxy to `upstream` (a base URL such as `http://127.0.0.1:4010`) on a
    /// free loopback port: requests are forwarded unchanged (raw target, headers, body) and
    /// the upstream's answer is recorded in [`Recorded::response`] and passed back.
    pub(crate) async fn proxy(upstream: &str) -> Self {
        Self::start_with(Shared {
            upstream: Some((
                upstream.trim_end_matches('/').to_string(),
                botpress::tls::reqwest_builder().unwrap().build().unwrap(),
            )),
            ..Shared::default()
        })
        .await
    }

    /// Starts a server on a free loopback port that answers every request for which no
    /// answer is queued with `respond(request, index)` (index counts from 0 in arrival order).
    pub(crate) async fn answering(
        respond: impl Fn(&Recorded, usize) -> Canned + Send + Sync + 'static,
    ) -> Self {
        Self::start_with(Shared {
            responder: Some(Arc::new(respond)),
            ..Shared::default()
        })
        .await
    }

    async fn start_with(shared: Shared) -> Self {
        let shared = Arc::new(Mutex::new(shared));
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        Self {
            base_url: format!("http://{addr}"),
            shared,
        }
    }

    /// Queues the answer to the next request.
    pub(crate) fn push(&self, canned: Canned) {
        self.shared.lock().unwrap().queue.push_back(canned);
    }

    /// Takes every request recorded so far.
    pub(crate) fn take(&self) -> Vec<Recorded> {
        std::mem::take(&mut self.shared.lock().unwrap().requests)
    }

    /// Every request recorded (and not taken) so far.
    pub(crate) fn requests(&self) -> Vec<Recorded> {
        self.shared.lock().unwrap().requests.clone()
    }

    /// How many requests arrived so far (taken ones included).
    pub(crate) fn count(&self) -> usize {
        *self.shared.lock().unwrap().arrived.borrow()
    }

    /// Waits until `n` requests arrived. Fails the test (instead of hanging) if they never
    /// come; this is a guard against a hang, not a timing assertion.
    pub(crate) async fn wait_for(&self, n: usize) {
        let mut arrived = self.shared.lock().unwrap().arrived.subscribe();
        tokio::time::timeout(MAX_STALL, arrived.wait_for(|c| *c >= n))
            .await
            .unwrap_or_else(|_| panic!("expected {n} requests, got {}", self.count()))
            .expect("server alive");
    }

    /// A client calling this server as bot `bot_1` with token `t`.
    pub(crate) fn client(&self) -> botpress::Client {
        botpress::Client::builder()
            .base_url(&self.base_url)
            .token("t")
            .bot_id("bot_1")
            .build()
            .expect("client")
    }
}

/// A conversation object with id `id`.
pub(crate) fn conversation(id: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id, "channel": "web", "integration": "webchat", "tags": {},
        "createdAt": "2024-01-01T00:00:00.000Z", "updatedAt": "2024-01-01T00:00:00.000Z"
    })
}

/// A user object with id `id`.
pub(crate) fn user(id: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id, "tags": {},
        "createdAt": "2024-01-01T00:00:00.000Z", "updatedAt": "2024-01-01T00:00:00.000Z"
    })
}

async fn handle(State(shared): State<Arc<Mutex<Shared>>>, request: Request<Body>) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 64 << 20)
        .await
        .unwrap_or_default();
    let recorded = Recorded {
        method: parts.method.to_string(),
        target: parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default(),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into(),
                )
            })
            .collect(),
        body,
        response: None,
    };
    let upstream = shared.lock().unwrap().upstream.clone();
    if let Some((base, client)) = upstream {
        return forward(&shared, recorded, &base, &client).await;
    }
    let canned = {
        let mut shared = shared.lock().unwrap();
        let index = *shared.arrived.borrow();
        let canned = shared
            .queue
            .pop_front()
            .or_else(|| shared.responder.as_ref().map(|r| r(&recorded, index)));
        shared.requests.push(recorded);
        shared.arrived.send_modify(|c| *c += 1);
        canned
    };
    let canned = canned.unwrap_or(Canned {
        status: 599,
        headers: vec![],
        body: b"no canned response queued".to_vec(),
    });
    let mut response = Response::builder().status(StatusCode::from_u16(canned.status).unwrap());
    for (n, v) in &canned.headers {
        response = response.header(n, v);
    }
    response.body(Body::from(canned.body)).unwrap()
}

/// Headers the proxy does not copy (connection-level, or recomputed by the HTTP stack).
const HOP_BY_HOP: &[&str] = &[
    "host",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
];

async fn forward(
    shared: &Mutex<Shared>,
    mut recorded: Recorded,
    base: &str,
    client: &reqwest::Client,
) -> Response {
    let method = reqwest::Method::from_bytes(recorded.method.as_bytes()).expect("method");
    let mut request = client.request(method, format!("{base}{}", recorded.target));
    for (n, v) in &recorded.headers {
        if !HOP_BY_HOP.contains(&n.as_str()) {
            request = request.header(n, v);
        }
    }
    if !recorded.body.is_empty() {
        request = request.body(recorded.body.clone());
    }
    let forwarded = match request.send().await {
        Ok(answer) => {
            let status = answer.status().as_u16();
            let headers = answer
                .headers()
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into(),
                    )
                })
                .collect();
            let body = answer.bytes().await.unwrap_or_default();
            Forwarded {
                status,
                headers,
                body,
            }
        }
        Err(e) => Forwarded {
            status: 598,
            headers: vec![],
            body: Bytes::from(format!("upstream unreachable: {e}")),
        },
    };
    recorded.response = Some(forwarded.clone());
    {
        let mut shared = shared.lock().unwrap();
        shared.requests.push(recorded);
        shared.arrived.send_modify(|c| *c += 1);
    }
    let mut response = Response::builder().status(StatusCode::from_u16(forwarded.status).unwrap());
    for (n, v) in &forwarded.headers {
        if !HOP_BY_HOP.contains(&n.as_str()) {
            response = response.header(n, v);
        }
    }
    response.body(Body::from(forwarded.body)).unwrap()
}
