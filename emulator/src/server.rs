//! The HTTP server: one fallback handler that matches the request against the document's
//! operations, authenticates it, validates its query and body, runs the operation in a
//! transaction and answers with the declared status (or the service's error body).

use std::{collections::HashMap, sync::Arc};

use axum::{
    Router,
    body::{Body, Bytes},
    extract::State,
    http::{HeaderMap, Method, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

use crate::{
    actions, api, auth,
    config::Config,
    content,
    db::Store,
    error::ApiError,
    ids,
    platform::{self, Call, FaultKind, Platform},
    query,
    spec::Spec,
    validate::check,
};

/// Everything a request needs.
pub struct AppState {
    /// Storage.
    pub store: Store,
    /// The configuration the emulator was started with (actions, limits).
    pub config: Config,
    /// The bearer token requests must carry.
    pub token: String,
    /// HTTP client for `--action-url`.
    pub http: reqwest::Client,
    /// The base of file URLs ([`Config::resolved_public_url`]).
    pub public_url: String,
    /// Faults and the journal.
    pub(crate) platform: Platform,
}

/// Marks a response that must not be sent: the connection is closed instead (a `reset`
/// fault). The accept loop ([`crate::listener`]) acts on it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by a fault")
    }
}

impl std::error::Error for DropConnection {}

/// What an API request is answered with, besides an error.
enum Answer {
    /// The operation's result.
    Json(u16, Value),
    /// An error a fault scripted (with its `Retry-After`, in seconds).
    Fault(ApiError, Option<u64>),
    /// No answer: the connection is closed.
    Drop,
    /// The head of an answer with this status, then a body that stalls this long.
    Stall(u16, std::time::Duration),
    /// `429`: the bot is over its rate limit.
    RateLimited,
}

/// What the journal learns of a request while it is served.
#[derive(Default)]
struct Draft {
    /// The request's time on the emulator's clock.
    now: chrono::DateTime<chrono::Utc>,
    operation: Option<&'static str>,
    bot_id: Option<String>,
    request_bytes: u64,
    request_body: Option<Bytes>,
    committed: bool,
    fault: Option<&'static str>,
    rate: Option<platform::rate::Decision>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = json!({
            "id": ids::error_id(),
            "code": self.status,
            "type": self.error_type,
            "message": self.message,
        });
        let mut response = (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response();
        if status == StatusCode::REQUEST_TIMEOUT {
            // The rest of the body may never come: the connection is not reused.
            response.headers_mut().insert(
                header::CONNECTION,
                header::HeaderValue::from_static("close"),
            );
        }
        response
    }
}

/// The axum application.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new().fallback(handle).with_state(state)
}

async fn handle(
    State(state): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let path = uri.path();
    if let Some(rest) = path.strip_prefix(content::PREFIX) {
        // The reserved prefix holds the file-content URLs and the admin API.
        return if content::serves(rest) {
            content::handle(&state, &method, rest, uri.query(), &headers, body).await
        } else {
            platform::admin::handle(&state, &method, rest, uri.query(), &headers, body).await
        };
    }
    let started = std::time::Instant::now();
    let at = state.platform.clock.now();
    let mut draft = Draft {
        now: at,
        ..Draft::default()
    };
    let result = serve_api(&state, &method, &uri, &headers, body, &mut draft).await;
    let journal = &state.platform.journal;
    let mut response_body = None;
    let (response, error_type) = match result {
        Ok(Answer::Json(status, value)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let text = value.to_string();
            if journal.keeps_bodies() {
                response_body = Some(value);
            }
            let response =
                (status, [(header::CONTENT_TYPE, "application/json")], text).into_response();
            (response, None)
        }
        Ok(Answer::Fault(e, retry_after)) => {
            let error_type = e.error_type;
            let mut response = e.into_response();
            if let Some(seconds) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
            }
            (response, Some(error_type))
        }
        Ok(Answer::Drop) => {
            let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
            response.extensions_mut().insert(DropConnection);
            (response, None)
        }
        Ok(Answer::Stall(status, stall)) => (stalled(status, stall), None),
        Ok(Answer::RateLimited) => {
            let response = (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::CONTENT_TYPE, "application/json")],
                platform::rate::RATE_LIMITED_BODY,
            )
                .into_response();
            (response, Some("RateLimited"))
        }
        Err(e) => {
            tracing::debug!(error = %e, "request failed");
            let error_type = e.error_type;
            (e.into_response(), Some(error_type))
        }
    };
    let mut response = response;
    if let (Some(decision), Some(limiter)) = (&draft.rate, &state.platform.rate) {
        response.headers_mut().reserve(3);
        for (name, value) in limiter.headers(decision) {
            response.headers_mut().insert(name, value);
        }
    }
    let dropped = response.extensions().get::<DropConnection>().is_some();
    let status = (!dropped).then(|| response.status().as_u16());
    let elapsed = started.elapsed();
    tracing::info!(%method, path, status = status.unwrap_or(0), micros = elapsed.as_micros() as u64, "request");
    if journal.is_on() {
        let response_bytes = if dropped {
            0
        } else {
            axum::body::HttpBody::size_hint(response.body())
                .exact()
                .unwrap_or(0)
        };
        let request_body = draft.request_body.as_deref().map(|b| {
            serde_json::from_slice(b)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(b).into_owned()))
        });
        journal.record(Call {
            seq: 0,
            at,
            method: method_name(&method),
            path: path.to_string(),
            operation: draft.operation,
            bot_id: draft.bot_id,
            status,
            error_type,
            committed: draft.committed,
            fault: draft.fault,
            duration_us: elapsed.as_micros() as u64,
            request_bytes: draft.request_bytes,
            response_bytes,
            request_body,
            response_body,
        });
    }
    response
}

/// The name of a method, borrowed for the standard ones.
fn method_name(method: &Method) -> std::borrow::Cow<'static, str> {
    const STANDARD: [Method; 9] = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::HEAD,
        Method::OPTIONS,
        Method::CONNECT,
        Method::TRACE,
    ];
    const NAMES: [&str; 9] = [
        "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "CONNECT", "TRACE",
    ];
    match STANDARD.iter().position(|m| m == method) {
        Some(i) => std::borrow::Cow::Borrowed(NAMES[i]),
        None => std::borrow::Cow::Owned(method.as_str().to_string()),
    }
}

/// The head of an answer with `status`, whose body never comes: the connection closes after
/// `stall` (a `stall` fault).
fn stalled(status: u16, stall: std::time::Duration) -> Response {
    let body = futures_util::stream::once(async move {
        tokio::time::sleep(stall).await;
        Err::<Bytes, _>(std::io::Error::other("body stalled by a fault"))
    });
    let mut response = Response::new(Body::from_stream(body));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CONTENT_LENGTH, header::HeaderValue::from(1024u32));
    response
}

/// Reads a body up to `limit` bytes within `timeout`: larger is `413 PayloadTooLarge`, slower
/// (a body shorter than its `Content-Length`, a stalled sender) is `408 RequestTimeout`.
pub async fn read_body(
    body: Body,
    headers: &HeaderMap,
    limit: usize,
    timeout: std::time::Duration,
) -> Result<Bytes, ApiError> {
    let too_large = || {
        ApiError::payload_too_large(format!(
            "The request body exceeds the limit of {limit} bytes"
        ))
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    match tokio::time::timeout(timeout, axum::body::to_bytes(body, limit)).await {
        Ok(read) => read.map_err(|_| too_large()),
        Err(_) => Err(ApiError::request_timeout(format!(
            "The request body did not arrive within {} ms (--body-timeout-ms)",
            timeout.as_millis()
        ))),
    }
}

/// Runs blocking storage work so that a long query holds its own thread and connection, not
/// the server.
pub fn blocking<T>(work: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    if Handle::current().runtime_flavor() == RuntimeFlavor::MultiThread {
        // The worker runs the work itself and hands its other tasks to another thread: no
        // round trip through the blocking pool.
        tokio::task::block_in_place(work)
    } else {
        // A single-threaded runtime (an emulator embedded in `#[tokio::test]`): it has no other
        // thread to serve meanwhile, and the work runs in place.
        work()
    }
}

/// Operations that only read, served on a reader connection: every `GET` but `exportTable`
/// (which stores a job and a file), and `findTableRows` (a query sent as `POST` for its body).
/// An operation listed here that writes fails with `attempt to write a readonly database`,
/// which the test of every operation would show.
fn reads_only(op: &crate::spec::Operation) -> bool {
    (op.method == "GET" && op.id != "exportTable") || op.id == "findTableRows"
}

async fn serve_api(
    state: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Body,
    draft: &mut Draft,
) -> Result<Answer, ApiError> {
    let spec = Spec::get();
    let segments: Vec<&str> = uri.path().split('/').filter(|s| !s.is_empty()).collect();
    let (op, raw_params) = spec
        .find(method.as_str(), &segments)
        .map_err(|path_exists| {
            if path_exists {
                ApiError::method_not_found(format!("{method} is not allowed on {}", uri.path()))
            } else {
                ApiError::not_found(format!("No route {method} {}", uri.path()))
            }
        })?;
    draft.operation = Some(op.id.as_str());
    auth::check_token(headers, &state.token)?;
    let bot_id = auth::bot_id(headers)?;
    draft.bot_id = Some(bot_id.clone());
    if let Some(limiter) = &state.platform.rate {
        let decision = limiter.check(&bot_id, std::time::Instant::now());
        draft.rate = Some(decision);
        if !decision.allowed {
            return Ok(Answer::RateLimited);
        }
    }

    let mut path = HashMap::new();
    for (name, raw) in raw_params {
        let value = query::percent_decode(raw)?;
        if let Some(param) = op.params.iter().find(|p| p.name == name) {
            check(
                &param.validator,
                &Value::String(value.clone()),
                &format!("path.{name}"),
            )?;
        }
        path.insert(name.to_string(), value);
    }
    let query = query::parse(op, &query::pairs(uri.query().unwrap_or(""))?)?;
    // Read whole even when the operation takes none: limits and timeouts hold for every request.
    let limits = state.config.platform_limits;
    let cap = state.config.max_body_bytes;
    let bytes = match limits.body_limit(uri.path()) {
        Some((limit, api)) if limit < cap => {
            read_body(body, headers, limit, state.config.limits.body_timeout)
                .await
                .map_err(|mut e| {
                    if e.error_type == "PayloadTooLarge" {
                        e.message = format!(
                            "The request body exceeds the {api} API's limit of {limit} bytes"
                        );
                    }
                    e
                })?
        }
        _ => read_body(body, headers, cap, state.config.limits.body_timeout).await?,
    };
    draft.request_bytes = bytes.len() as u64;
    if state.platform.journal.keeps_bodies() && !bytes.is_empty() {
        draft.request_body = Some(bytes.clone());
    }
    let body = match &op.body {
        Some(validator) => {
            let value: Value = if bytes.iter().all(u8::is_ascii_whitespace) {
                json!({})
            } else {
                serde_json::from_slice(&bytes).map_err(|e| {
                    ApiError::invalid_payload(format!(
                        "body: the request body is not valid JSON ({e})"
                    ))
                })?
            };
            check(validator, &value, "body")?;
            if platform::limits::MESSAGE_PAYLOAD_OPERATIONS.contains(&op.id.as_str())
                && let Some(payload) = value.get("payload")
            {
                platform::limits::check_payload("body.payload", payload, limits.message_payload)?;
            }
            value
        }
        None => Value::Null,
    };
    let req = api::Req {
        path,
        query,
        body,
        bot_id,
        integration_id: auth::optional_header(headers, "x-integration-id"),
        integration_name: auth::optional_header(headers, "x-integration-name"),
        user_id: auth::optional_header(headers, "x-user-id"),
        destination_bot_id: auth::optional_header(headers, "x-destination-bot-id"),
        base_url: state.public_url.clone(),
        limits,
    };
    let fault = state.platform.faults.take(&op.id, Some(&req.bot_id));
    draft.fault = fault.as_ref().map(FaultKind::name);
    let after_commit = match fault {
        None => None,
        Some(FaultKind::Error {
            status,
            error_type,
            message,
            retry_after,
        }) => {
            let mut e = ApiError::of_type(&error_type, "").unwrap_or_else(|| ApiError::unknown(""));
            e.status = status;
            e.message = message
                .unwrap_or_else(|| format!("{}: scripted fault ({status} {error_type})", op.id));
            return Ok(Answer::Fault(e, retry_after));
        }
        Some(FaultKind::Latency { ms }) => {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            None
        }
        Some(FaultKind::Reset) => return Ok(Answer::Drop),
        Some(FaultKind::Stall { ms }) => {
            return Ok(Answer::Stall(
                op.success,
                std::time::Duration::from_millis(ms),
            ));
        }
        Some(FaultKind::FailAfterCommit { status, reset }) => Some((status, reset)),
    };
    let value = if op.id == "callAction" {
        actions::call(state, &req).await?
    } else if reads_only(op) {
        blocking(|| {
            platform::during(draft.now, req.limits, || {
                state
                    .store
                    .read(|conn| api::dispatch(&op.id, conn, &req, false))
            })
        })?
    } else {
        let value = blocking(|| {
            platform::during(draft.now, req.limits, || {
                state
                    .store
                    .with_tx(|tx| api::dispatch(&op.id, tx, &req, true))
            })
        })?;
        draft.committed = true;
        value
    };
    if let Some((status, reset)) = after_commit {
        if reset {
            return Ok(Answer::Drop);
        }
        let status = status.unwrap_or(502);
        let mut e = ApiError::unknown(format!(
            "{}: scripted fault (failAfterCommit): the write was committed, then answered {status}",
            op.id
        ));
        e.status = status;
        e.error_type = ApiError::type_for_status(status);
        return Ok(Answer::Fault(e, None));
    }
    if let (true, Some(validator)) = (state.config.validate_responses, &op.response) {
        check(validator, &value, "response").map_err(|e| {
            ApiError::internal(format!(
                "{}: the emulator's response does not fit the document: {}",
                op.id, e.message
            ))
        })?;
    }
    Ok(Answer::Json(op.success, value))
}
