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
//! the server did not read it" from "processed". A fault can be [held](Fault::held) until the
//! test calls [`FaultServer::release`], and the server counts the requests it holds at once
//! ([`FaultServer::max_in_flight`]), so that pacing can be observed from the server's side.
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
    sync::watch,
};

/// Upper bound of any stall, so that a forgotten server task never outlives a test by much.
pub(crate) const MAX_STALL: Duration = Duration::from_secs(60);

/// The four forms in which a server can say how long to wait before retrying.
#[derive(Clone, Debug)]
pub(crate) enum RateLimitHeader {
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
    pub(crate) fn header(&self) -> (String, String) {
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
    pub(crate) fn seconds(&self) -> u64 {
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
pub(crate) enum Fault {
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
    /// Reads the whole request, then closes the connection cleanly (FIN, no reset) without
    /// answering.
    CloseAfterBody,
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
    /// Waits until the test calls [`FaultServer::release`] (at once if it already did), then
    /// behaves as the inner fault. The wait starts as soon as the request head is read.
    Held(Box<Fault>),
}

impl Fault {
    /// `status` with a body of `content_type`.
    pub(crate) fn text(status: u16, content_type: &str, body: &str) -> Self {
        Self::Respond {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.as_bytes().to_vec(),
        }
    }

    /// `status` with a JSON body.
    pub(crate) fn json(status: u16, body: &Value) -> Self {
        Self::Respond {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: serde_json::to_vec(body).expect("json"),
        }
    }

    /// A Botpress error body `{id, code, type, message}` with status `status`.
    pub(crate) fn api_error(status: u16, error_type: &str, message: &str) -> Self {
        Self::json(status, &api_error_body(status, error_type, message))
    }

    /// A Botpress error of type `error_type` whose every field tells where it came from: id
    /// `err_20240101000000x<status as 8 hex digits>`, message `<error_type> happened` and
    /// metadata `{"hint": <error_type>}`.
    pub(crate) fn error(status: u16, error_type: &str) -> Self {
        let mut body = api_error_body(status, error_type, &format!("{error_type} happened"));
        body["id"] = json!(format!("err_20240101000000x{status:08X}"));
        body["metadata"] = json!({"hint": error_type});
        Self::json(status, &body)
    }

    /// The same answer with one more header (also through [`Fault::Held`]).
    ///
    /// Panics for a fault that sends no headers of its own choosing.
    pub(crate) fn with_header(mut self, name: &str, value: &str) -> Self {
        match &mut self {
            Self::Respond { headers, .. } => headers.push((name.into(), value.into())),
            Self::Held(inner) => **inner = inner.as_ref().clone().with_header(name, value),
            other => panic!("{other:?} sends no chosen headers"),
        }
        self
    }

    /// This fault, once the test calls [`FaultServer::release`].
    pub(crate) fn held(self) -> Self {
        Self::Held(Box::new(self))
    }

    /// Never answers: the client must give up (stalls up to [`MAX_STALL`]).
    pub(crate) fn hang() -> Self {
        Self::Stall(MAX_STALL)
    }

    /// A bare status with a Botpress error body of type `Internal`/`Unknown`-like (`status`
    /// 5xx) or a plain text body otherwise: the shape of a burst of 500/502/503/504.
    pub(crate) fn status(status: u16) -> Self {
        match status {
            500 => Self::api_error(500, "Internal", "internal error"),
            504 => Self::api_error(504, "OperationTimeout", "operation timed out"),
            _ => Self::text(status, "text/plain", &format!("status {status}")),
        }
    }

    /// `429` with one delay header and the documented rate-limiter body (not the standard
    /// error shape: the "Rate limiting" page of the Botpress API reference).
    pub(crate) fn rate_limited(header: RateLimitHeader) -> Self {
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
    pub(crate) fn locked() -> Self {
        Self::api_error(
            409,
            "ResourceLockedConflict",
            "the resource is locked until the lock is released",
        )
    }

    /// `status` with `Content-Type: application/json` and a body that is not JSON.
    pub(crate) fn invalid_json(status: u16) -> Self {
        Self::text(
            status,
            "application/json",
            "{\"conversation\": {\"id\": \"conv_1\", ",
        )
    }

    /// `status` with a valid JSON body sent as `text/plain`.
    pub(crate) fn wrong_content_type(status: u16, body: &Value) -> Self {
        Self::Respond {
            status,
            headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
            body: serde_json::to_vec(body).expect("json"),
        }
    }

    /// The HTML error page a reverse proxy sends (e.g. a `502 Bad Gateway`).
    pub(crate) fn html_page(status: u16) -> Self {
        Self::text(status, "text/html", &proxy_page(status))
    }

    /// `status` with `body` as JSON, truncated to its first half.
    pub(crate) fn truncated(status: u16, body: &Value) -> Self {
        let body = serde_json::to_vec(body).expect("json");
        let sent = body.len() / 2;
        Self::Truncated { status, body, sent }
    }

    /// `status` with `body` as JSON, `chunk` bytes every `every`.
    pub(crate) fn slow_drip(status: u16, body: &Value, chunk: usize, every: Duration) -> Self {
        Self::SlowDrip {
            status,
            body: serde_json::to_vec(body).expect("json"),
            chunk,
            every,
        }
    }

    /// Connection reset before the request body is read.
    pub(crate) fn reset_before_body() -> Self {
        Self::ResetBeforeBody
    }

    /// Connection reset after the request body is read.
    pub(crate) fn reset_after_body() -> Self {
        Self::ResetAfterBody
    }

    /// Connection closed cleanly, without an answer, after the request body is read.
    pub(crate) fn close_after_body() -> Self {
        Self::CloseAfterBody
    }

    /// No answer for `d`.
    pub(crate) fn stall(d: Duration) -> Self {
        Self::Stall(d)
    }
}

/// The standard Botpress error body.
pub(crate) fn api_error_body(status: u16, error_type: &str, message: &str) -> Value {
    json!({
        "id": "err_20260101000000x0123abcd",
        "code": status,
        "type": error_type,
        "message": message,
    })
}

/// The HTML page a proxy answers with.
pub(crate) fn proxy_page(status: u16) -> String {
    format!(
        "<html>\r\n<head><title>{status} Bad Gateway</title></head>\r\n<body>\r\n<center><h1>{status} Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )
}

/// A JSON document of at least `bytes` bytes: `{"conversation": {..., "tags": {"big": "xxx…"}}}`.
pub(crate) fn big_conversation(bytes: usize) -> Value {
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
pub(crate) struct Received {
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
    pub(crate) fn line(&self) -> String {
        format!("{} {}", self.method, self.target)
    }

    /// The value of header `name` (case-insensitive), first occurrence.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        super::header(&self.headers, name)
    }
}

struct Shared {
    queue: VecDeque<Fault>,
    default: Fault,
    received: Vec<Received>,
    connections: usize,
    /// Requests whose head arrived and that are not answered (or closed) yet.
    in_flight: usize,
    max_in_flight: usize,
}

/// The server's state and the signals tests wait on.
struct Inner {
    shared: Mutex<Shared>,
    /// The number of request heads received, for [`FaultServer::wait_for`].
    arrived: watch::Sender<usize>,
    /// Whether [`FaultServer::release`] was called.
    released: watch::Sender<bool>,
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.lock().unwrap()
    }
}

/// One request in flight; leaves the count when dropped.
struct InFlight(Arc<Inner>);

impl InFlight {
    fn enter(inner: &Arc<Inner>) -> Self {
        let mut s = inner.lock();
        s.in_flight += 1;
        s.max_in_flight = s.max_in_flight.max(s.in_flight);
        Self(inner.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.lock().in_flight -= 1;
    }
}

/// The running server. It stops with the test's runtime.
#[derive(Clone)]
pub(crate) struct FaultServer {
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    inner: Arc<Inner>,
}

impl FaultServer {
    /// Starts a server on a free loopback port. With an empty queue it answers
    /// `599` with a text body naming the problem.
    pub(crate) async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let inner = Arc::new(Inner {
            shared: Mutex::new(Shared {
                queue: VecDeque::new(),
                default: Fault::text(599, "text/plain", "no fault queued"),
                received: Vec::new(),
                connections: 0,
                in_flight: 0,
                max_in_flight: 0,
            }),
            arrived: watch::channel(0).0,
            released: watch::channel(false).0,
        });
        let accept_inner = inner.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let connection = {
                    let mut s = accept_inner.lock();
                    s.connections += 1;
                    s.connections - 1
                };
                tokio::spawn(serve_connection(stream, connection, accept_inner.clone()));
            }
        });
        Self {
            base_url: format!("http://{addr}"),
            inner,
        }
    }

    /// Starts a server that serves `script` in order, then `default` for every further
    /// request.
    pub(crate) async fn scripted(script: Vec<Fault>, default: Fault) -> Self {
        let server = Self::start().await;
        server.push_all(script);
        server.set_default(default);
        server
    }

    /// Queues the behaviour for the next request.
    pub(crate) fn push(&self, fault: Fault) {
        self.inner.lock().queue.push_back(fault);
    }

    /// Queues several behaviours, in order.
    pub(crate) fn push_all(&self, faults: impl IntoIterator<Item = Fault>) {
        self.inner.lock().queue.extend(faults);
    }

    /// The behaviour once the queue is empty.
    pub(crate) fn set_default(&self, fault: Fault) {
        self.inner.lock().default = fault;
    }

    /// Number of requests whose head reached the server.
    pub(crate) fn count(&self) -> usize {
        self.inner.lock().received.len()
    }

    /// Number of requests whose body the server read in full.
    pub(crate) fn count_body_read(&self) -> usize {
        self.inner
            .lock()
            .received
            .iter()
            .filter(|r| r.body_read)
            .count()
    }

    /// Number of TCP connections accepted.
    pub(crate) fn connections(&self) -> usize {
        self.inner.lock().connections
    }

    /// Every request received so far.
    pub(crate) fn received(&self) -> Vec<Received> {
        self.inner.lock().received.clone()
    }

    /// Behaviours still queued.
    pub(crate) fn pending(&self) -> usize {
        self.inner.lock().queue.len()
    }

    /// Waits until the heads of at least `n` requests arrived. Fails the test (instead of
    /// hanging) if they never come; this is a guard against a hang, not a timing assertion.
    pub(crate) async fn wait_for(&self, n: usize) {
        let mut arrived = self.inner.arrived.subscribe();
        tokio::time::timeout(MAX_STALL, arrived.wait_for(|c| *c >= n))
            .await
            .unwrap_or_else(|_| panic!("expected {n} requests, got {}", self.count()))
            .expect("server alive");
    }

    /// Lets every [held](Fault::held) request, now and later, go on.
    pub(crate) fn release(&self) {
        self.inner.released.send_replace(true);
    }

    /// The most requests the server held at once (from the arrival of a request's head until
    /// the server starts answering it or closes its connection).
    pub(crate) fn max_in_flight(&self) -> usize {
        self.inner.lock().max_in_flight
    }
}

/// A URL where nothing listens (connection refused).
pub(crate) async fn refused_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}")
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
async fn serve_connection(mut stream: TcpStream, connection: usize, inner: Arc<Inner>) {
    let mut buf = Vec::new();
    loop {
        let Some(head) = read_head(&mut stream, &mut buf).await else {
            return;
        };
        let in_flight = InFlight::enter(&inner);
        let (fault, index) = {
            let mut s = inner.lock();
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
        inner.arrived.send_modify(|c| *c += 1);
        let mut fault = fault;
        while let Fault::Held(held) = fault {
            let mut released = inner.released.subscribe();
            let _ = released.wait_for(|r| *r).await;
            fault = *held;
        }
        if let Fault::ResetBeforeBody = fault {
            let _ = stream.set_zero_linger();
            return;
        }
        let Some(body) = read_body(&mut stream, &mut buf, head.content_length()).await else {
            return;
        };
        {
            let mut s = inner.lock();
            s.received[index].body = body;
            s.received[index].body_read = true;
        }
        // Each answer leaves the in-flight count before it starts, so a client that got its
        // answer never sees this request as still held.
        match fault {
            Fault::ResetBeforeBody | Fault::Held(_) => unreachable!("handled above"),
            Fault::Respond {
                status,
                headers,
                body,
            } => {
                drop(in_flight);
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
            Fault::CloseAfterBody => {
                let _ = stream.shutdown().await;
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
                drop(in_flight);
                let head = response_head(status, &json_headers(), body.len());
                if stream.write_all(&head).await.is_err() {
                    return;
                }
                wait_or_hangup(&mut stream, stall).await;
                return;
            }
            Fault::Truncated { status, body, sent } => {
                drop(in_flight);
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
                drop(in_flight);
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
