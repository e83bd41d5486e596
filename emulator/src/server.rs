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
    actions, api, auth, config::Config, content, db::Store, error::ApiError, ids, query,
    spec::Spec, validate::check,
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
        return content::handle(&state, &method, rest, uri.query(), &headers, body).await;
    }
    let started = std::time::Instant::now();
    let result = serve_api(&state, &method, &uri, &headers, body).await;
    let response = match result {
        Ok((status, value)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            (
                status,
                [(header::CONTENT_TYPE, "application/json")],
                value.to_string(),
            )
                .into_response()
        }
        Err(e) => {
            tracing::debug!(error = %e, "request failed");
            e.into_response()
        }
    };
    tracing::info!(%method, path, status = response.status().as_u16(), micros = started.elapsed().as_micros() as u64, "request");
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
) -> Result<(u16, Value), ApiError> {
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
    auth::check_token(headers, &state.token)?;
    let bot_id = auth::bot_id(headers)?;

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
    let bytes = read_body(
        body,
        headers,
        state.config.max_body_bytes,
        state.config.limits.body_timeout,
    )
    .await?;
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
    };
    let value = if op.id == "callAction" {
        actions::call(state, &req).await?
    } else if reads_only(op) {
        blocking(|| {
            state
                .store
                .read(|conn| api::dispatch(&op.id, conn, &req, false))
        })?
    } else {
        blocking(|| {
            state
                .store
                .with_tx(|tx| api::dispatch(&op.id, tx, &req, true))
        })?
    };
    if let (true, Some(validator)) = (state.config.validate_responses, &op.response) {
        check(validator, &value, "response").map_err(|e| {
            ApiError::internal(format!(
                "{}: the emulator's response does not fit the document: {}",
                op.id, e.message
            ))
        })?;
    }
    Ok((op.success, value))
}
