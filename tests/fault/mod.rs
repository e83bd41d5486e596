//! A tiny fault-injecting HTTP/1.1 server on 127.0.0.1 for the client tests.
//!
//! It answers requests with a script of [`Reply`]s, in order (then a fallback), records every
//! request as received (raw head included, so header order can be asserted) and tracks how
//! many requests it holds at once. Replies can answer, hang, hold until released, or close
//! the connection after reading the request (a "reset after sending").
#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// What the server does with one request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// Answer with this status, headers and body.
    Send {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Never answer (the client must time out).
    Hang,
    /// Give this answer once [`FaultServer::release`] is called.
    Hold(Box<Reply>),
    /// Close the connection after reading the request, without answering.
    Close,
}

impl Reply {
    /// A JSON answer.
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Self::text(status, "application/json", &body.to_string())
    }

    /// An answer with a body of any content type.
    pub fn text(status: u16, content_type: &str, body: &str) -> Self {
        Reply::Send {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.as_bytes().to_vec(),
        }
    }

    /// A Botpress error body of this type.
    pub fn error(status: u16, error_type: &str) -> Self {
        Self::json(
            status,
            serde_json::json!({
                "id": format!("err_20240101000000x{status:08X}"),
                "code": status,
                "type": error_type,
                "message": format!("{error_type} happened"),
                "metadata": {"hint": error_type},
            }),
        )
    }

    /// This answer, once the test releases held requests.
    pub fn held(self) -> Self {
        Reply::Hold(Box::new(self))
    }

    /// The same answer with one more header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let Reply::Send { headers, .. } = &mut self {
            headers.push((name.into(), value.into()));
        }
        self
    }
}

/// A request as the server received it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub target: String,
    /// Header lines in wire order, names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

struct State {
    script: Mutex<VecDeque<Reply>>,
    fallback: Reply,
    requests: Mutex<Vec<Recorded>>,
    count: watch::Sender<usize>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    released: watch::Sender<bool>,
}

/// The server; stops when dropped (with the test's runtime).
pub struct FaultServer {
    pub url: String,
    state: Arc<State>,
}

impl FaultServer {
    /// Serves `script` in order, then `fallback` for every further request.
    pub async fn start(script: Vec<Reply>, fallback: Reply) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let state = Arc::new(State {
            script: Mutex::new(script.into()),
            fallback,
            requests: Mutex::new(Vec::new()),
            count: watch::channel(0).0,
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            released: watch::channel(false).0,
        });
        let s = state.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(serve(socket, s.clone()));
            }
        });
        Self { url, state }
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().unwrap().clone()
    }

    /// How many requests were received.
    pub fn count(&self) -> usize {
        *self.state.count.borrow()
    }

    /// Waits until at least `n` requests were received.
    pub async fn wait_for(&self, n: usize) {
        let mut rx = self.state.count.subscribe();
        rx.wait_for(|c| *c >= n).await.expect("server alive");
    }

    /// Lets every held request (now and later) be answered.
    pub fn release(&self) {
        self.state.released.send_replace(true);
    }

    /// The most requests the server held at once.
    pub fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }
}

/// A URL where nothing listens (connection refused).
pub async fn refused_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}")
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

async fn serve(mut socket: TcpStream, state: Arc<State>) {
    let mut buf = Vec::new();
    loop {
        let head_end = loop {
            if let Some(pos) = find(&buf, b"\r\n\r\n") {
                break pos;
            }
            let mut chunk = [0u8; 4096];
            match socket.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let request_line = lines.next().unwrap_or_default().to_owned();
        let mut parts = request_line.split(' ');
        let method = parts.next().unwrap_or_default().to_owned();
        let target = parts.next().unwrap_or_default().to_owned();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let length: usize = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let body_start = head_end + 4;
        while buf.len() < body_start + length {
            let mut chunk = [0u8; 4096];
            match socket.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let body = buf[body_start..body_start + length].to_vec();
        buf.drain(..body_start + length);

        let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        state.max_in_flight.fetch_max(now, Ordering::SeqCst);
        state.requests.lock().unwrap().push(Recorded {
            method,
            target,
            headers,
            body,
        });
        state.count.send_modify(|c| *c += 1);
        let reply = state
            .script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| state.fallback.clone());
        let reply = match reply {
            Reply::Hang => std::future::pending::<Reply>().await,
            Reply::Hold(reply) => {
                let mut rx = state.released.subscribe();
                let _ = rx.wait_for(|r| *r).await;
                *reply
            }
            other => other,
        };
        // Leave the in-flight count before answering, so a client that got its answer never
        // sees this request as still held.
        state.in_flight.fetch_sub(1, Ordering::SeqCst);
        match reply {
            Reply::Send {
                status,
                headers,
                body,
            } => {
                let mut out = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\n", body.len());
                for (k, v) in headers {
                    out.push_str(&format!("{k}: {v}\r\n"));
                }
                out.push_str("\r\n");
                let mut bytes = out.into_bytes();
                bytes.extend_from_slice(&body);
                if socket.write_all(&bytes).await.is_err() {
                    return;
                }
            }
            _ => return,
        }
    }
}
