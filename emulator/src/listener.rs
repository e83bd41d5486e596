//! The accept loop: HTTP/1.1 connections with timeouts and a cap on how many are open.
//!
//! - **Header timeout** ([`Limits::header_timeout`]): a connection gets this long to send a
//!   request's whole head (request line and headers), counted from the moment the server
//!   waits for it: after accepting, and after each response on a keep-alive connection. So it
//!   also closes idle keep-alive connections, slow-header senders and incomplete heads.
//! - **Body timeout** ([`Limits::body_timeout`]): reading a request body (JSON or upload) may
//!   take this long; a body shorter than its `Content-Length` gets `408` and the connection is
//!   closed (see [`crate::server::read_body`]).
//! - **Connection cap** ([`Limits::max_connections`]): past it, a new connection is answered
//!   `503` with `Retry-After: 1` and closed at once, so accepting never stalls and the file
//!   descriptors of the process are never exhausted by idle sockets.

use std::{sync::Arc, time::Duration};

use axum::Router;

use crate::server::DropConnection;
use hyper::server::conn::http1;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
};
use tokio::{
    io::AsyncWriteExt,
    net::{TcpListener, TcpStream},
    sync::{Semaphore, oneshot},
};

pub use crate::config::{DEFAULT_BODY_TIMEOUT, DEFAULT_HEADER_TIMEOUT, DEFAULT_MAX_CONNECTIONS};
/// How long open connections get to finish at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The connection limits of an emulator.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Time to send a request head, and the longest idle time between two requests.
    pub header_timeout: Duration,
    /// Time to send a request body.
    pub body_timeout: Duration,
    /// Connections open at once; more are answered `503`.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// Serves `app` on `listener` until `stop` fires, then lets open connections finish (up to a
/// few seconds).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    stop: oneshot::Receiver<()>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors or a connection reset before accept: wait a
                    // moment instead of spinning, then go on.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!(%peer, limit = limits.max_connections, "connection refused: too many open");
            tokio::spawn(refuse(stream, limits.max_connections));
            continue;
        };
        let _ = stream.set_nodelay(true);
        let conn =
            graceful.watch(http.serve_connection(TokioIo::new(stream), service(app.clone())));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "connection closed with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open at shutdown were closed");
    }
}

/// The hyper service of one connection: the router, except that a response marked
/// [`DropConnection`] is not sent; the service fails instead, and hyper closes the connection
/// without an answer (a `reset` fault).
fn service(
    app: Router,
) -> impl hyper::service::Service<
    hyper::Request<hyper::body::Incoming>,
    Response = axum::response::Response,
    Error = DropConnection,
    Future = impl Future<Output = Result<axum::response::Response, DropConnection>> + Send,
> + Clone {
    hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        let mut app = app.clone();
        async move {
            let response = match tower_service::Service::call(
                &mut app,
                req.map(axum::body::Body::new),
            )
            .await
            {
                Ok(response) => response,
                Err(never) => match never {},
            };
            if response.extensions().get::<DropConnection>().is_some() {
                Err(DropConnection)
            } else {
                Ok(response)
            }
        }
    })
}

/// Answers a connection over the cap with `503` and closes it.
async fn refuse(mut stream: TcpStream, limit: usize) {
    let body = serde_json::json!({
        "id": crate::ids::error_id(),
        "code": 503,
        "type": "Unknown",
        "message": format!(
            "the emulator has {limit} connections open, its limit (--max-connections); retry later"
        ),
    })
    .to_string();
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\n\
         connection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let write = async {
        stream.write_all(response.as_bytes()).await?;
        stream.shutdown().await
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), write).await;
}
