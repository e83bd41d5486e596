//! A recording mock server on 127.0.0.1: every request is recorded byte for byte (method,
//! raw path and query, headers in order, body) and answered with the next queued response.
use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
};

use axum::{
    Router,
    body::{Body, Bytes},
    extract::State,
    http::{Request, StatusCode},
    response::Response,
};

/// One request as it reached the server.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    /// Path and query exactly as sent (still percent-encoded).
    pub target: String,
    /// Header names (lowercase) and values, in wire order.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl Recorded {
    /// `METHOD /path?query`.
    pub fn line(&self) -> String {
        format!("{} {}", self.method, self.target)
    }

    /// The value of header `name`, if sent once or more (first one).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON (panics with the raw body if it is not JSON).
    pub fn json(&self) -> serde_json::Value {
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
pub struct Canned {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Canned {
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: serde_json::to_vec(body).expect("json"),
        }
    }
}

#[derive(Default)]
struct Shared {
    requests: Vec<Recorded>,
    queue: VecDeque<Canned>,
}

/// The running server; dropped with the test's runtime.
#[derive(Clone)]
pub struct Recorder {
    pub base_url: String,
    shared: Arc<Mutex<Shared>>,
}

impl Recorder {
    /// Starts a server on a free loopback port.
    pub async fn start() -> Self {
        let shared = Arc::new(Mutex::new(Shared::default()));
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
    pub fn push(&self, canned: Canned) {
        self.shared.lock().unwrap().queue.push_back(canned);
    }

    /// Takes every request recorded so far.
    pub fn take(&self) -> Vec<Recorded> {
        std::mem::take(&mut self.shared.lock().unwrap().requests)
    }
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
    };
    let canned = {
        let mut shared = shared.lock().unwrap();
        shared.requests.push(recorded);
        shared.queue.pop_front()
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
