//! A fault-injecting HTTP/1.1 server on 127.0.0.1, scriptable per request.
//!
//! Each request that reaches the server takes the next [`Fault`] from a queue (a default
//! answer when the queue is empty) and gets that behaviour: a normal answer, a connection
//! reset before or after its body was read, a stall past a timeout, a truncated or slowly
//! dripped body, a rate-limit answer with one of the four delay headers, a proxy's HTML page,
//! and so on. The server speaks HTTP/1.1 on raw TCP so that it can misbehave in ways a real
//! HTTP server library would not allow (declare a length and send less, reset mid-exchange).
//!
//! Every request is recorded ([`Received`]) as soon as its head is read, with whether its body
//! was then read in full, so tests can tell "never reached the server" from "reached it, but
//! the server did not read it" from "processed".
//!
//! ```ignore
//! let server = FaultServer::start().await;
//! server.push_all([Fault::status(503), Fault::reset_after_body(), Fault::json(200, &body)]);
//! // ... drive a client against server.base_url ...
//! assert_eq!(server.count(), 3);
//! ```
use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::Duration,
};

use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

/// Upper bound of any stall, so that a forgotten server task never outlives a test by much.
pub const MAX_STALL: Duration = Duration::from_secs(60);

/// The four forms in which a server can say how long to wait before retrying.
#[derive(Clone, Debug)]
pub enum RateLimitHeader {
    /// `Retry-After: <seconds>`.
    RetryAfterSeconds(u64),
    /// `Retry-After: <IMF-fixdate>`, `seconds` from now (rounded to whole seconds).
    RetryAfterDate(u64),
    /// `RateLimit-Reset: <seconds>` (the IETF draft header the Botpress API sends).
    RateLimitReset(u64),
    /// `X-RateLimit-Reset: <seconds>`.
    XRateLimitReset(u64),
}

impl RateLimitHeader {
    /// The header as a name and value.
    pub fn header(&self) -> (String, String) {
        match self {
            Self::RetryAfterSeconds(s) => ("Retry-After".into(), s.to_string()),
            Self::RetryAfterDate(s) => {
                let at = chrono::Utc::now() + chrono::Duration::seconds(*s as i64);
                (
                    "Retry-After".into(),
                    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
                )
            }
            Self::RateLimitReset(s) => ("RateLimit-Reset".into(), s.to_string()),
            Self::XRateLimitReset(s) => ("X-RateLimit-Reset".into(), s.to_string()),
        }
    }

    /// The delay the header asks for, in whole seconds.
    pub fn seconds(&self) -> u64 {
        match self {
            Self::RetryAfterSeconds(s)
            | Self::RetryAfterDate(s)
            | Self::RateLimitReset(s)
            | Self::XRateLimitReset(s) => *s,
        }
    }
}

/// What the server does with one request.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Reads the whole request and answers it.
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Reads the request head only, then resets the connection (TCP RST): the body was never
    /// read, the request was not processed.
    ResetBeforeBody,
    /// Reads the whole request, then resets the connection without answering: the request
    /// may have been processed.
    ResetAfterBody,
    /// Reads the whole request, then waits `Duration` (or until the client hangs up) without
    /// sending anything, then closes.
    Stall(Duration),
    /// Reads the whole request, sends the status line and headers (declaring the full
    /// length of `body`), then waits `Duration` (or until the client hangs up) before
    /// closing, never sending the body.
    StallBody {
        status: u16,
        body: Vec<u8>,
        stall: Duration,
    },
    /// Declares `Content-Length` of the full `body` but sends only its first `sent` bytes,
    /// then closes the connection.
    Truncated {
        status: u16,
        body: Vec<u8>,
        sent: usize,
    },
    /// Sends `body` (full length declared) `chunk` bytes at a time, waiting `every` between
    /// chunks.
    SlowDrip {
        status: u16,
        body: Vec<u8>,
        chunk: usize,
        every: Duration,
    },
}

impl Fault {
    /// `status` with a JSON body.
    pub fn json(status: u16, body: &Value) -> Self {
        Self::Respond {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: serde_json::to_vec(body).expect("json"),
        }
    }

    /// A Botpress error body `{id, code, type, message}` with status `status`.
    pub fn api_error(status: u16, error_type: &str, message: &str) -> Self {
        Self::json(status, &api_error_body(status, error_type, message))
    }

    /// A bare status with a Botpress error body of type `Internal`/`Unknown`-like (`status`
    /// 5xx) or a plain text body otherwise: the shape of a burst of 500/502/503/504.
    pub fn status(status: u16) -> Self {
        match status {
            500 => Self::api_error(500, "Internal", "internal error"),
            504 => Self::api_error(504, "OperationTimeout", "operation timed out"),
            _ => Self::Respond {
                status,
                headers: vec![("Content-Type".into(), "text/plain".into())],
                body: format!("status {status}").into_bytes(),
            },
        }
    }

    /// `429` with one delay header and the documented rate-limiter body (not the standard
    /// error shape: botpress-wire.md §6).
    pub fn rate_limited(header: RateLimitHeader) -> Self {
        let (name, value) = header.header();
        Self::Respond {
            status: 429,
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                (name, value),
            ],
            body: serde_json::to_vec(&json!({
                "type": "RateLimited",
                "description": "The request has been rate-limited.",
                "status": 429
            }))
            .expect("json"),
        }
    }

    /// `409 ResourceLockedConflict`.
    pub fn locked() -> Self {
        Self::api_error(
            409,
            "ResourceLockedConflict",
            "the resource is locked until the lock is released",
        )
    }

    /// `status` with `Content-Type: application/json` and a body that is not JSON.
    pub fn invalid_json(status: u16) -> Self {
        Self::Respond {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: b"{\"conversation\": {\"id\": \"conv_1\", ".to_vec(),
        }
    }

    /// `status` with a valid JSON body sent as `text/plain`.
    pub fn wrong_content_type(status: u16, body: &Value) -> Self {
        Self::Respond {
            status,
            headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
            body: serde_json::to_vec(body).expect("json"),
        }
    }

    /// The HTML error page a reverse proxy sends (e.g. a `502 Bad Gateway`).
    pub fn html_page(status: u16) -> Self {
        Self::Respond {
            status,
            headers: vec![("Content-Type".into(), "text/html".into())],
            body: proxy_page(status).into_bytes(),
        }
    }

    /// `status` with `body` as JSON, truncated to its first half.
    pub fn truncated(status: u16, body: &Value) -> Self {
        let body = serde_json::to_vec(body).expect("json");
        let sent = body.len() / 2;
        Self::Truncated { status, body, sent }
    }

    /// `status` with `body` as JSON, `chunk` bytes every `every`.
    pub fn slow_drip(status: u16, body: &Value, chunk: usize, every: Duration) -> Self {
        Self::SlowDrip {
            status,
            body: serde_json::to_vec(body).expect("json"),
            chunk,
            every,
        }
    }

    /// Connection reset before the request body is read.
    pub fn reset_before_body() -> Self {
        Self::ResetBeforeBody
    }

    /// Connection reset after the request body is read.
    pub fn reset_after_body() -> Self {
        Self::ResetAfterBody
    }

    /// No answer for `d`.
    pub fn stall(d: Duration) -> Self {
        Self::Stall(d)
    }
}

/// The standard Botpress error body.
pub fn api_error_body(status: u16, error_type: &str, message: &str) -> Value {
    json!({
        "id": "err_20260101000000x0123abcd",
        "code": status,
        "type": error_type,
        "message": message,
    })
}

/// The HTML page a proxy answers with.
pub fn proxy_page(status: u16) -> String {
    format!(
        "<html>\r\n<head><title>{status} Bad Gateway</title></head>\r\n<body>\r\n<center><h1>{status} Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )
}

/// A JSON document of at least `bytes` bytes: `{"conversation": {..., "tags": {"big": "xxx…"}}}`.
pub fn big_conversation(bytes: usize) -> Value {
    json!({
        "conversation": {
            "id": "conv_big",
            "channel": "web",
            "integration": "webchat",
            "createdAt": "2026-01-01T00:00:00.000Z",
            "updatedAt": "2026-01-01T00:00:00.000Z",
            "tags": {"big": "x".repeat(bytes)},
        }
    })
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Received {
    /// Index of the connection it came on (0-based, in accept order).
    pub connection: usize,
    pub method: String,
    /// Path and query as sent.
    pub target: String,
    /// Header names (lowercase) and values, in wire order.
    pub headers: Vec<(String, String)>,
    /// The body bytes read (empty when the fault did not read the body).
    pub body: Vec<u8>,
    /// Whether the server read the whole body (as declared by `Content-Length`).
    pub body_read: bool,
    /// The fault it got (`None`: the default answer).
    pub fault: String,
}

impl Received {
    /// `METHOD /path?query`.
    pub fn line(&self) -> String {
        format!("{} {}", self.method, self.target)
    }

    /// The value of header `name` (lowercase), first occurrence.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

struct Shared {
    queue: VecDeque<Fault>,
    default: Fault,
    received: Vec<Received>,
    connections: usize,
}

/// The running server. It stops with the test's runtime.
#[derive(Clone)]
pub struct FaultServer {
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    shared: Arc<Mutex<Shared>>,
}

impl FaultServer {
    /// Starts a server on a free loopback port. With an empty queue it answers
    /// `599` with a text body naming the problem.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let shared = Arc::new(Mutex::new(Shared {
            queue: VecDeque::new(),
            default: Fault::Respond {
                status: 599,
                headers: vec![("Content-Type".into(), "text/plain".into())],
                body: b"no fault queued".to_vec(),
            },
            received: Vec::new(),
            connections: 0,
        }));
        let accept_shared = shared.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let connection = {
                    let mut s = accept_shared.lock().unwrap();
                    s.connections += 1;
                    s.connections - 1
                };
                tokio::spawn(serve_connection(stream, connection, accept_shared.clone()));
            }
        });
        Self {
            base_url: format!("http://{addr}"),
            shared,
        }
    }

    /// Queues the behaviour for the next request.
    pub fn push(&self, fault: Fault) {
        self.shared.lock().unwrap().queue.push_back(fault);
    }

    /// Queues several behaviours, in order.
    pub fn push_all(&self, faults: impl IntoIterator<Item = Fault>) {
        self.shared.lock().unwrap().queue.extend(faults);
    }

    /// The behaviour once the queue is empty.
    pub fn set_default(&self, fault: Fault) {
        self.shared.lock().unwrap().default = fault;
    }

    /// Number of requests whose head reached the server.
    pub fn count(&self) -> usize {
        self.shared.lock().unwrap().received.len()
    }

    /// Number of requests whose body the server read in full.
    pub fn count_body_read(&self) -> usize {
        self.shared
            .lock()
            .unwrap()
            .received
            .iter()
            .filter(|r| r.body_read)
            .count()
    }

    /// Number of TCP connections accepted.
    pub fn connections(&self) -> usize {
        self.shared.lock().unwrap().connections
    }

    /// Every request received so far.
    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().unwrap().received.clone()
    }

    /// Behaviours still queued.
    pub fn pending(&self) -> usize {
        self.shared.lock().unwrap().queue.len()
    }
}

/// A request head: method, target, headers.
struct Head {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
}

impl Head {
    fn content_length(&self) -> usize {
        self.headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.trim().parse().ok())
            .unwrap_or(0)
    }
}

/// Reads one request head; `None` at end of stream or on a malformed head. Bytes read past
/// the head stay in `buf`.
async fn read_head(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Head> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let text = String::from_utf8_lossy(&buf[..end]).into_owned();
            buf.drain(..end + 4);
            let mut lines = text.split("\r\n");
            let mut first = lines.next()?.split(' ');
            let method = first.next()?.to_string();
            let target = first.next()?.to_string();
            let headers = lines
                .filter_map(|l| l.split_once(':'))
                .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
                .collect();
            return Some(Head {
                method,
                target,
                headers,
            });
        }
        if buf.len() > 1 << 20 {
            return None;
        }
        let mut chunk = [0u8; 8192];
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Reads `len` body bytes (some may already be in `buf`); `None` if the stream ends first.
async fn read_body(stream: &mut TcpStream, buf: &mut Vec<u8>, len: usize) -> Option<Vec<u8>> {
    while buf.len() < len {
        let mut chunk = [0u8; 65536];
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    Some(buf.drain(..len).collect())
}

/// Waits `d`, or less if the client closes the connection (or sends anything).
async fn wait_or_hangup(stream: &mut TcpStream, d: Duration) {
    let mut byte = [0u8; 1];
    let _ = tokio::time::timeout(d.min(MAX_STALL), stream.read(&mut byte)).await;
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        404 => "Not Found",
        409 => "Conflict",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

fn response_head(status: u16, headers: &[(String, String)], len: usize) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {len}\r\n\r\n"));
    head.into_bytes()
}

fn json_headers() -> Vec<(String, String)> {
    vec![("Content-Type".into(), "application/json".into())]
}

/// Serves one connection: requests in sequence until a fault closes it.
async fn serve_connection(mut stream: TcpStream, connection: usize, shared: Arc<Mutex<Shared>>) {
    let mut buf = Vec::new();
    loop {
        let Some(head) = read_head(&mut stream, &mut buf).await else {
            return;
        };
        let (fault, index) = {
            let mut s = shared.lock().unwrap();
            let fault = s.queue.pop_front().unwrap_or_else(|| s.default.clone());
            s.received.push(Received {
                connection,
                method: head.method.clone(),
                target: head.target.clone(),
                headers: head.headers.clone(),
                body: Vec::new(),
                body_read: false,
                fault: format!("{fault:?}").chars().take(120).collect(),
            });
            (fault, s.received.len() - 1)
        };
        if let Fault::ResetBeforeBody = fault {
            let _ = stream.set_zero_linger();
            return;
        }
        let Some(body) = read_body(&mut stream, &mut buf, head.content_length()).await else {
            return;
        };
        {
            let mut s = shared.lock().unwrap();
            s.received[index].body = body;
            s.received[index].body_read = true;
        }
        match fault {
            Fault::ResetBeforeBody => unreachable!("handled above"),
            Fault::Respond {
                status,
                headers,
                body,
            } => {
                let mut out = response_head(status, &headers, body.len());
                out.extend_from_slice(&body);
                if stream.write_all(&out).await.is_err() {
                    return;
                }
            }
            Fault::ResetAfterBody => {
                let _ = stream.set_zero_linger();
                return;
            }
            Fault::Stall(d) => {
                wait_or_hangup(&mut stream, d).await;
                return;
            }
            Fault::StallBody {
                status,
                body,
                stall,
            } => {
                let head = response_head(status, &json_headers(), body.len());
                if stream.write_all(&head).await.is_err() {
                    return;
                }
                wait_or_hangup(&mut stream, stall).await;
                return;
            }
            Fault::Truncated { status, body, sent } => {
                let mut out = response_head(status, &json_headers(), body.len());
                out.extend_from_slice(&body[..sent.min(body.len())]);
                let _ = stream.write_all(&out).await;
                let _ = stream.shutdown().await;
                return;
            }
            Fault::SlowDrip {
                status,
                body,
                chunk,
                every,
            } => {
                let head = response_head(status, &json_headers(), body.len());
                if stream.write_all(&head).await.is_err() {
                    return;
                }
                for piece in body.chunks(chunk.max(1)) {
                    tokio::time::sleep(every).await;
                    if stream.write_all(piece).await.is_err() {
                        return;
                    }
                }
            }
        }
    }
}
