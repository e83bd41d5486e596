//! Loopback HTTP/1.1 servers for the client benchmarks (hyper, keep-alive, one thread):
//! - `fixed`: `GET /v1/chat/conversations/{id}` answers one realistic `getConversation` body;
//! - `pages`: `GET /v1/chat/messages` serves `--items` messages by `nextToken`, `pageSize` per
//!   page (at most 100), after `--latency-ms` of simulated service latency.
//!
//! The server prints `LISTENING <base url>` on stdout, then serves until its stdin closes (so
//! it never outlives `cargo xtask bench`).

use std::{convert::Infallible, fmt::Write as _, net::SocketAddr, sync::Arc, time::Duration};

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response, StatusCode, body::Incoming, header, server::conn::http1};
use hyper_util::rt::TokioIo;
use tokio::{io::AsyncReadExt, net::TcpListener};

use crate::args::Args;

/// The conversation every `getConversation` of the `fixed` server returns (the shape of the
/// service's answer: ids of 28+ characters, tags, properties, timestamps).
pub(crate) const CONVERSATION_BODY: &str = r#"{"conversation":{"id":"conv_01HZXK3Q9V7M2B6N8P4R5T0W1Y","currentTaskId":"task_01HZXK3QA2C4E6G8J0K2M4P6R8","currentWorkflowId":"wfl_01HZXK3QB3D5F7H9K1M3N5Q7S9","createdAt":"2026-11-20T09:14:07.512Z","updatedAt":"2026-11-26T08:02:44.031Z","channel":"channel","integration":"telegram","tags":{"telegram:id":"5812093347","telegram:chatId":"-1002034958812","telegram:fromUserId":"74420193","priority":"high","locale":"en-US"},"messageCount":348,"properties":{"plan":"team","region":"eu-west-1"}}}"#;

/// Which responses a server gives.
enum Kind {
    Fixed,
    Pages { items: u64, latency: Duration },
}

/// `serve fixed` / `serve pages --items N --latency-ms L`.
pub(crate) fn main(kind: &str, args: &Args) -> Result<()> {
    let kind = match kind {
        "fixed" => Kind::Fixed,
        "pages" => Kind::Pages {
            items: args.num("items", 100_000)?,
            latency: args.millis("latency-ms", 0)?,
        },
        other => bail!("unknown server `{other}` (fixed, pages)"),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve(Arc::new(kind)))
}

async fn serve(kind: Arc<Kind>) -> Result<()> {
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let addr = listener.local_addr()?;
    println!("LISTENING http://{addr}");
    let accept = async {
        loop {
            let (stream, _) = listener.accept().await.context("accepting")?;
            stream.set_nodelay(true)?;
            let kind = kind.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    let kind = kind.clone();
                    async move { Ok::<_, Infallible>(respond(&kind, req).await) }
                });
                // A client closing its connection mid-request is not the server's concern.
                let _ = http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
        #[allow(unreachable_code)]
        Ok::<(), anyhow::Error>(())
    };
    let stdin_closed = async {
        let mut sink = [0u8; 64];
        let mut stdin = tokio::io::stdin();
        while stdin.read(&mut sink).await.map(|n| n > 0).unwrap_or(false) {}
    };
    tokio::select! {
        result = accept => result,
        () = stdin_closed => Ok(()),
    }
}

fn json(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-request-id", "req_01HZXK3QC4E6G8J0K2M4P6R8T0")
        .body(Full::new(body.into()))
        .expect("static response parts are valid")
}

fn not_found(path: &str) -> Response<Full<Bytes>> {
    json(
        StatusCode::NOT_FOUND,
        format!(
            r#"{{"id":"err_bench","code":404,"type":"ResourceNotFound","message":"no route {path} on the benchmark server"}}"#
        ),
    )
}

async fn respond(kind: &Kind, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = req.uri().path();
    match kind {
        Kind::Fixed if path.starts_with("/v1/chat/conversations/") => json(
            StatusCode::OK,
            Bytes::from_static(CONVERSATION_BODY.as_bytes()),
        ),
        Kind::Pages { items, latency } if path == "/v1/chat/messages" => {
            if !latency.is_zero() {
                tokio::time::sleep(*latency).await;
            }
            json(
                StatusCode::OK,
                page(req.uri().query().unwrap_or(""), *items),
            )
        }
        _ => not_found(path),
    }
}

/// One page of `listMessages`: `nextToken` is the index of the page's first item.
fn page(query: &str, items: u64) -> String {
    let mut start = 0u64;
    let mut size = 20u64;
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("nextToken", v)) => start = v.parse().unwrap_or(0),
            Some(("pageSize", v)) => size = v.parse().unwrap_or(20).clamp(1, 100),
            _ => {}
        }
    }
    let end = (start + size).min(items);
    let mut body = String::with_capacity(64 + 420 * (end - start) as usize);
    body.push_str(r#"{"messages":["#);
    for i in start..end {
        if i > start {
            body.push(',');
        }
        let _ = write!(
            body,
            r#"{{"id":"msg_01HZXK3Q{i:020}","createdAt":"2026-11-26T08:02:44.031Z","updatedAt":"2026-11-26T08:02:44.031Z","type":"text","payload":{{"text":"Message number {i} of the benchmark conversation"}},"direction":"incoming","userId":"user_01HZXK3QD5F7H9K1M3N5Q7S9","conversationId":"conv_01HZXK3Q9V7M2B6N8P4R5T0W1Y","tags":{{"telegram:id":"{i}"}}}}"#
        );
    }
    body.push_str(r#"],"meta":{"#);
    if end < items {
        let _ = write!(body, r#""nextToken":"{end}""#);
    }
    body.push_str("}}");
    body
}
