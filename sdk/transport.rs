//! The transport: the one hook every generated operation goes through.
//!
//! Progenitor calls [`ClientHooks::exec`] with the request it built. Here, once for all
//! operations:
//! 1. the request is put in the service's wire form ([`crate::wire`]) and given the identity
//!    headers of the client ([`Identity`]);
//! 2. it is sent under the client's pacing ([`crate::pacing`]), with a per-attempt timeout that
//!    also covers the response body and never runs past the total deadline;
//! 3. failures are retried per the [`RetryPolicy`] ([`crate::retry`]);
//! 4. error responses are read into memory (they are small) so the retry decision can look at
//!    the error type (`409 ResourceLockedConflict` is retried, other 409s are not), then
//!    handed back to the generated code as a fresh response over the buffered bytes;
//! 5. an error body that is not a Botpress error (an HTML page from a proxy, the rate
//!    limiter's `{"type":"RateLimited","description":…,"status":429}`) is rewritten into the
//!    standard shape `{id: "", code: <status>, type: "RateLimited" | "Unknown", message,
//!    metadata: {rawBody: <body as received>}}` and marked with the
//!    `x-botpress-sdk-synthesized` header, so the generated code yields
//!    `Error::ErrorResponse` with the status and headers instead of a bare decoding error;
//!    [`ErrorExt`](crate::ErrorExt) then classifies it by status and exposes the raw body;
//! 6. everything runs in a `tracing` span ([`crate::trace`]).

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::{
    AUTHORIZATION, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderName,
    HeaderValue, USER_AGENT,
};
use reqwest::{Method, Request, Response, ResponseBuilderExt, StatusCode, Url, Version};
use tokio::time::Instant;
use tracing::Instrument;

use crate::config::{ConfigError, Setting, Timeouts};
use crate::error::{RAW_BODY_KEY, SYNTHESIZED_HEADER};
use crate::generated::Client;
use crate::pacing::{Pacer, Permit};
use crate::retry::{self, RetryEvent, RetryPolicy, RetryReason};
use crate::trace;

pub use crate::config::DEFAULT_USER_AGENT;

/// Error bodies larger than this are cut (an error body is a few hundred bytes).
const MAX_ERROR_BODY: usize = 1 << 20;

/// Who the client calls as: the token and the identity headers, sent in the order the
/// official client sends them (`x-workspace-id`, `x-bot-id`, `x-integration-id`,
/// `x-integration-alias`, `Authorization`), then `x-user-id`, the request's own headers,
/// custom headers (which replace any header of the same name, identity ones included), and
/// the `User-Agent` unless a custom header set one.
///
/// Most programs configure this through [`Client::builder`](crate::Client::builder); values
/// set here are validated when the client is built, or, for the low-level
/// [`Transport::new`], when a request is sent (an invalid value then fails every request
/// with [`ErrorKind::InvalidRequest`](crate::ErrorKind::InvalidRequest)).
#[derive(Clone, Default)]
pub struct Identity {
    pub(crate) token: Option<String>,
    pub(crate) workspace_id: Option<String>,
    pub(crate) bot_id: Option<String>,
    pub(crate) integration_id: Option<String>,
    pub(crate) integration_alias: Option<String>,
    pub(crate) user_id: Option<String>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) user_agent: Option<String>,
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("workspace_id", &self.workspace_id)
            .field("bot_id", &self.bot_id)
            .field("integration_id", &self.integration_id)
            .field("integration_alias", &self.integration_alias)
            .field("user_id", &self.user_id)
            .field(
                "headers",
                &self.headers.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("user_agent", &self.user_agent)
            .finish()
    }
}

impl Identity {
    /// An empty identity: no token, no identity header.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the bearer token (`BP_TOKEN`). Never printed by `Debug`.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Sets `x-bot-id` (`BP_BOT_ID`).
    pub fn bot_id(mut self, id: impl Into<String>) -> Self {
        self.bot_id = Some(id.into());
        self
    }

    /// Sets `x-integration-id` (`BP_INTEGRATION_ID`).
    pub fn integration_id(mut self, id: impl Into<String>) -> Self {
        self.integration_id = Some(id.into());
        self
    }

    /// Sets `x-integration-alias`.
    pub fn integration_alias(mut self, alias: impl Into<String>) -> Self {
        self.integration_alias = Some(alias.into());
        self
    }

    /// Sets `x-workspace-id` (`BP_WORKSPACE_ID`).
    pub fn workspace_id(mut self, id: impl Into<String>) -> Self {
        self.workspace_id = Some(id.into());
        self
    }

    /// Sets `x-user-id` (acting user for the Files and Tables APIs).
    pub fn user_id(mut self, id: impl Into<String>) -> Self {
        self.user_id = Some(id.into());
        self
    }

    /// Sets the `User-Agent` (default [`DEFAULT_USER_AGENT`]).
    pub fn user_agent(mut self, agent: impl Into<String>) -> Self {
        self.user_agent = Some(agent.into());
        self
    }

    /// Adds a header sent on every API request, after (and over) the identity headers.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The bot id, if set.
    pub fn get_bot_id(&self) -> Option<&str> {
        self.bot_id.as_deref()
    }

    /// The integration id, if set.
    pub fn get_integration_id(&self) -> Option<&str> {
        self.integration_id.as_deref()
    }

    /// The user id, if set.
    pub fn get_user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }

    /// The headers in wire order, validated. Errors name the option at fault.
    pub(crate) fn wire(&self) -> Result<WireHeaders, ConfigError> {
        let named = [
            ("x-workspace-id", "workspace_id", &self.workspace_id),
            ("x-bot-id", "bot_id", &self.bot_id),
            ("x-integration-id", "integration_id", &self.integration_id),
            (
                "x-integration-alias",
                "integration_alias",
                &self.integration_alias,
            ),
        ];
        let mut identity = Vec::with_capacity(6);
        for (header, option, value) in named {
            if let Some(v) = value {
                let v = crate::config::header_value(v, Setting::Option(option))?;
                identity.push((HeaderName::from_static(header), v));
            }
        }
        if let Some(token) = &self.token {
            if token.is_empty() {
                return Err(ConfigError::Empty {
                    setting: Setting::Option("token"),
                });
            }
            let mut v =
                crate::config::header_value(&format!("Bearer {token}"), Setting::Option("token"))?;
            v.set_sensitive(true);
            identity.push((AUTHORIZATION, v));
        }
        if let Some(user) = &self.user_id {
            let v = crate::config::header_value(user, Setting::Option("user_id"))?;
            identity.push((HeaderName::from_static("x-user-id"), v));
        }
        let mut custom = HeaderMap::new();
        for (name, value) in &self.headers {
            let (n, v) = crate::config::header(name, value)?;
            custom.append(n, v);
        }
        let user_agent = crate::config::header_value(
            self.user_agent.as_deref().unwrap_or(DEFAULT_USER_AGENT),
            Setting::Option("user_agent"),
        )?;
        Ok(WireHeaders {
            identity,
            custom,
            user_agent,
        })
    }
}

/// Validated headers of an [`Identity`], ready to put on requests.
#[derive(Clone)]
pub(crate) struct WireHeaders {
    identity: Vec<(HeaderName, HeaderValue)>,
    custom: HeaderMap,
    user_agent: HeaderValue,
}

impl WireHeaders {
    /// Puts the headers on `headers` in wire order (see [`Identity`]).
    fn apply(&self, headers: &mut HeaderMap) {
        let own = std::mem::take(headers);
        for (name, value) in &self.identity {
            headers.append(name.clone(), value.clone());
        }
        let mut current: Option<HeaderName> = None;
        for (name, value) in own {
            if name.is_some() {
                current = name;
            }
            if let Some(name) = &current {
                headers.append(name.clone(), value);
            }
        }
        for name in self.custom.keys() {
            let mut values = self.custom.get_all(name).iter();
            if let Some(first) = values.next() {
                headers.insert(name.clone(), first.clone());
            }
            for value in values {
                headers.append(name.clone(), value.clone());
            }
        }
        if !headers.contains_key(USER_AGENT) {
            headers.insert(USER_AGENT, self.user_agent.clone());
        }
    }
}

/// An identity with its validated headers (or why they are invalid).
struct IdentityState {
    identity: Identity,
    wire: Result<WireHeaders, ConfigError>,
}

impl IdentityState {
    fn new(identity: Identity) -> Self {
        let wire = identity.wire();
        Self { identity, wire }
    }
}

/// Behaviour shared by a client and all its clones.
#[derive(Default)]
pub(crate) struct Shared {
    pub(crate) retry: RetryPolicy,
    pub(crate) timeouts: Timeouts,
    pub(crate) pacer: Option<Arc<Pacer>>,
    /// The client's base URL, parsed once (with the string it was parsed from; `None` when
    /// it does not parse).
    pub(crate) base_url: std::sync::OnceLock<(String, Option<Url>)>,
}

/// Per-client transport state: the identity (per clone) and the retry policy, timeouts and
/// pacing (shared by clones). The inner value of every [`Client`].
#[derive(Clone)]
pub struct Transport {
    identity: Arc<IdentityState>,
    pub(crate) shared: Arc<Shared>,
}

impl Default for Transport {
    fn default() -> Self {
        Self::new(Identity::new())
    }
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("identity", &self.identity.identity)
            .field("retry", &self.shared.retry)
            .field("timeouts", &self.shared.timeouts)
            .field("pacing", &self.shared.pacer.is_some())
            .finish()
    }
}

impl Transport {
    /// A transport that calls with `identity`, the default retry policy and timeouts, and no
    /// pacing. Prefer [`Client::builder`](crate::Client::builder), which validates everything
    /// up front.
    pub fn new(identity: Identity) -> Self {
        Self {
            identity: Arc::new(IdentityState::new(identity)),
            shared: Arc::new(Shared::default()),
        }
    }

    /// A transport from validated parts (the client builder's path).
    pub(crate) fn from_parts(identity: Identity, shared: Shared) -> Result<Self, ConfigError> {
        let state = IdentityState::new(identity);
        if let Err(e) = &state.wire {
            return Err(e.clone());
        }
        Ok(Self {
            identity: Arc::new(state),
            shared: Arc::new(shared),
        })
    }

    /// `base` parsed, once per transport (and its clones); `None` when it is not a valid
    /// URL, or when this transport serves clients of different base URLs (the first one is
    /// kept and the others are parsed per request, as before).
    pub(crate) fn base_url(&self, base: &str) -> Option<&Url> {
        let (text, url) = self
            .shared
            .base_url
            .get_or_init(|| (base.to_owned(), Url::parse(base).ok()));
        url.as_ref().filter(|_| text == base)
    }

    /// The identity requests are sent with.
    pub fn identity(&self) -> &Identity {
        &self.identity.identity
    }

    /// The same transport with a changed identity; behaviour (and pacing) stay shared.
    pub(crate) fn with_identity(&self, change: impl FnOnce(&mut Identity)) -> Self {
        let mut identity = self.identity.identity.clone();
        change(&mut identity);
        Self {
            identity: Arc::new(IdentityState::new(identity)),
            shared: self.shared.clone(),
        }
    }

    /// Sends `request` for `operation_id`: wire form, identity, pacing, timeouts, retries,
    /// tracing (see the [module docs](self)).
    pub(crate) async fn send(
        &self,
        http: &reqwest::Client,
        mut request: Request,
        operation_id: &'static str,
    ) -> reqwest::Result<Response> {
        crate::wire::normalize(&mut request, operation_id);
        if let Ok(wire) = &self.identity.wire {
            wire.apply(request.headers_mut());
        }
        let span = trace::request_span(operation_id, request.method(), request.url());
        self.send_with_retries(http, request, operation_id)
            .instrument(span)
            .await
    }

    async fn send_with_retries(
        &self,
        http: &reqwest::Client,
        request: Request,
        operation_id: &'static str,
    ) -> reqwest::Result<Response> {
        let started = Instant::now();
        let timeouts = self.shared.timeouts;
        let deadline = timeouts.total.map(|t| started + t);
        let policy = &self.shared.retry;
        let method = request.method().clone();
        let url = request.url().clone();
        let mut last: Option<reqwest::Result<Response>> = None;
        let mut next = Some(request);
        let mut attempt = 0;
        while let Some(mut request) = next.take() {
            let permit = match &self.shared.pacer {
                Some(pacer) => match pacer.acquire(deadline).await {
                    Ok(permit) => Some(permit),
                    Err(_) => break,
                },
                None => None,
            };
            let remaining = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if remaining.is_some_and(|r| r.is_zero()) {
                break;
            }
            attempt += 1;
            let spare = if attempt < policy.attempts() {
                request.try_clone()
            } else {
                None
            };
            if let Some(timeout) = min_some(timeouts.attempt, remaining) {
                *request.timeout_mut() = Some(timeout);
            }
            let attempt_started = Instant::now();
            let (result, retry) =
                attempt_once(http, request, &method, permit, spare.is_some()).await;
            trace::attempt(
                attempt,
                result.as_ref().ok().map(|r| r.status().as_u16()),
                attempt_started.elapsed(),
            );
            let (Some(reason), Some(spare)) = (retry, spare) else {
                trace::record_outcome(&result, attempt, started.elapsed());
                return result;
            };
            let headers = result.as_ref().ok().map(Response::headers);
            let (delay, source) = policy.delay(attempt, headers, SystemTime::now());
            if deadline.is_some_and(|d| Instant::now() + delay >= d) {
                trace::record_outcome(&result, attempt, started.elapsed());
                return result;
            }
            let event = RetryEvent {
                operation_id,
                attempt,
                reason,
                delay,
                source,
            };
            trace::retry(&event);
            policy.notify(&event);
            last = Some(result);
            tokio::time::sleep(delay).await;
            next = Some(spare);
        }
        // The deadline passed before the next attempt could start.
        let result = match last {
            Some(result) => result,
            None => Ok(deadline_exceeded(url, timeouts.total.unwrap_or_default())),
        };
        trace::record_outcome(&result, attempt, started.elapsed());
        result
    }
}

impl ClientHooks<Transport> for Client {
    /// Refuses to send when the identity set with a `with_*` method is not valid.
    async fn pre<E>(
        &self,
        _request: &mut Request,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        match &self.inner().identity.wire {
            Ok(_) => Ok(()),
            Err(e) => Err(progenitor_client::Error::InvalidRequest(e.to_string())),
        }
    }

    async fn exec(&self, request: Request, info: &OperationInfo) -> reqwest::Result<Response> {
        self.inner()
            .send(self.client(), request, info.operation_id)
            .await
    }
}

/// One attempt: the result handed to the generated code, and whether it may be retried.
async fn attempt_once(
    http: &reqwest::Client,
    request: Request,
    method: &Method,
    permit: Option<Permit>,
    may_retry: bool,
) -> (reqwest::Result<Response>, Option<RetryReason>) {
    match http.execute(request).await {
        Err(e) => {
            let retry = retry::retry_failure(method, &e);
            (Err(e), retry)
        }
        Ok(response)
            if response.status().is_client_error() || response.status().is_server_error() =>
        {
            let status = response.status();
            match buffer_error(response).await {
                Ok((response, error_type)) => (
                    Ok(response),
                    retry::retry_status(method, status, error_type.as_deref()),
                ),
                Err(e) => {
                    let retry = retry::retry_body_failure(method, &e);
                    (Err(e), retry)
                }
            }
        }
        // An idempotent call's body is read here, inside the retry loop, so that a body cut
        // short or stalled past the attempt timeout is retried like any transient fault (the
        // generated code would read all of it anyway before decoding). On the last attempt
        // there is nothing to retry: the generated code reads the body itself.
        Ok(response) if may_retry && retry::is_idempotent(method) => {
            match buffer_success(response).await {
                Ok(response) => (Ok(response), None),
                Err(e) => {
                    let retry = retry::retry_body_failure(method, &e);
                    (Err(e), retry)
                }
            }
        }
        Ok(response) => (Ok(hold_permit(response, permit)), None),
    }
}

/// Reads a success response into memory and returns it rebuilt over the bytes (the headers
/// are moved, not copied).
async fn buffer_success(mut response: Response) -> reqwest::Result<Response> {
    let status = response.status();
    let version = response.version();
    let url = response.url().clone();
    let headers = std::mem::take(response.headers_mut());
    let body = reqwest::Body::from(response.bytes().await?);
    Ok(rebuild(status, version, headers, url, body))
}

/// Reads a response body into memory, keeping at most `limit` bytes (the rest is not read).
async fn read_body(response: &mut Response, limit: usize) -> reqwest::Result<Bytes> {
    let mut body = BytesMut::new();
    while let Some(chunk) = response.chunk().await? {
        let room = limit - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= limit {
            break;
        }
    }
    Ok(body.freeze())
}

/// Reads an error response into memory and returns it rebuilt over the bytes, with the
/// Botpress error type of its body; a body that is not a Botpress error is rewritten into the
/// standard shape (see the [module docs](self)).
async fn buffer_error(mut response: Response) -> reqwest::Result<(Response, Option<String>)> {
    let status = response.status();
    let version = response.version();
    let url = response.url().clone();
    let mut headers = response.headers().clone();
    let body = read_body(&mut response, MAX_ERROR_BODY).await?;
    if let Ok(error) = serde_json::from_slice::<crate::types::Error>(&body) {
        let rebuilt = rebuild(status, version, headers, url, reqwest::Body::from(body));
        return Ok((rebuilt, Some(error.type_)));
    }
    let synthetic = synthesize(status, headers.get(CONTENT_TYPE), &body);
    headers.remove(CONTENT_LENGTH);
    headers.remove(CONTENT_ENCODING);
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(SYNTHESIZED_HEADER, HeaderValue::from_static("1"));
    let rebuilt = rebuild(
        status,
        version,
        headers,
        url,
        reqwest::Body::from(synthetic),
    );
    Ok((rebuilt, None))
}

/// The standard error shape for a body that is not a Botpress error.
fn synthesize(status: StatusCode, content_type: Option<&HeaderValue>, body: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(body);
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let server_message = json
        .as_ref()
        .and_then(|v| v.get("message").or_else(|| v.get("description")))
        .and_then(serde_json::Value::as_str);
    let message = match server_message {
        Some(m) => m.to_owned(),
        None if body.is_empty() => format!("HTTP {status} with an empty body"),
        None => {
            let snippet: String = text
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .chars()
                .take(200)
                .collect();
            let content_type = content_type
                .and_then(|v| v.to_str().ok())
                .unwrap_or("no content type");
            format!(
                "HTTP {status} with a body that is not a Botpress error ({content_type}, {} bytes): {snippet}",
                body.len()
            )
        }
    };
    let error_type = if status == StatusCode::TOO_MANY_REQUESTS {
        "RateLimited"
    } else {
        "Unknown"
    };
    serde_json::json!({
        "id": "",
        "code": status.as_u16(),
        "type": error_type,
        "message": message,
        "metadata": { RAW_BODY_KEY: text },
    })
    .to_string()
    .into_bytes()
}

/// A response over `body` with the given status, version, headers and URL.
fn rebuild(
    status: StatusCode,
    version: Version,
    headers: HeaderMap,
    url: Url,
    body: reqwest::Body,
) -> Response {
    let mut builder = http::Response::builder()
        .status(status)
        .version(version)
        .url(url);
    if let Some(h) = builder.headers_mut() {
        *h = headers;
    }
    let response = builder
        .body(body)
        .expect("a typed status, version and URL always build a response");
    Response::from(response)
}

/// Keeps the in-flight permit (if any) alive until the response body is read or dropped.
fn hold_permit(response: Response, permit: Option<Permit>) -> Response {
    let Some(permit) = permit.filter(Permit::holds_slot) else {
        return response;
    };
    let url = response.url().clone();
    let (parts, body) = http::Response::<reqwest::Body>::from(response).into_parts();
    let body = reqwest::Body::wrap(PermitBody {
        body,
        _permit: permit,
    });
    rebuild(parts.status, parts.version, parts.headers, url, body)
}

/// A response body that holds a pacing permit.
struct PermitBody {
    body: reqwest::Body,
    _permit: Permit,
}

impl http_body::Body for PermitBody {
    type Data = Bytes;
    type Error = reqwest::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, reqwest::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// The result of a request whose total deadline passed before it could be sent.
///
/// `exec` must return a `reqwest` result, and reqwest offers no way to make a timeout error
/// without a request in flight. So the transport answers with a `504` response whose body
/// fails to read with an `io::ErrorKind::TimedOut` error: every operation decodes 5xx bodies,
/// so the generated code returns `Error::ResponseBodyError` holding a reqwest error for which
/// `is_timeout()` is true, i.e. [`ErrorKind::Timeout`](crate::ErrorKind::Timeout), with no
/// status. Nothing was sent.
fn deadline_exceeded(url: Url, total: Duration) -> Response {
    let error = std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        format!("the total timeout of {total:?} elapsed before the request could be sent"),
    );
    let body =
        reqwest::Body::wrap_stream(futures::stream::once(async move { Err::<Bytes, _>(error) }));
    rebuild(
        StatusCode::GATEWAY_TIMEOUT,
        Version::HTTP_11,
        HeaderMap::new(),
        url,
        body,
    )
}

/// The smaller of two optional durations.
fn min_some(a: Option<Duration>, b: Option<Duration>) -> Option<Duration> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_go_in_wire_order_and_custom_ones_win() {
        let identity = Identity::new()
            .token("tok")
            .bot_id("bot_1")
            .integration_id("intg_1")
            .integration_alias("alias1")
            .workspace_id("ws_1")
            .user_id("user_9")
            .header("x-bot-id", "bot_override")
            .header("x-extra", "1");
        let wire = identity.wire().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("accept", HeaderValue::from_static("application/json"));
        wire.apply(&mut headers);
        let names: Vec<&str> = headers.keys().map(HeaderName::as_str).collect();
        assert_eq!(
            names,
            [
                "x-workspace-id",
                "x-bot-id",
                "x-integration-id",
                "x-integration-alias",
                "authorization",
                "x-user-id",
                "accept",
                "x-extra",
                "user-agent"
            ]
        );
        assert_eq!(headers["x-bot-id"], "bot_override");
        assert_eq!(headers["authorization"], "Bearer tok");
        assert!(headers["authorization"].is_sensitive());
        assert_eq!(headers["user-agent"], DEFAULT_USER_AGENT);
    }

    #[test]
    fn invalid_identity_values_are_named_not_echoed() {
        let err = Identity::new().bot_id("bot\n2").wire().err().unwrap();
        assert_eq!(
            err.to_string(),
            "option `bot_id` cannot be sent in an HTTP header: it contains a control character such as a newline"
        );
        let err = Identity::new().token("").wire().err().unwrap();
        assert_eq!(err.to_string(), "option `token` is set but empty");
        let debug = format!("{:?}", Identity::new().token("s3cr3t-token"));
        assert!(!debug.contains("s3cr3t-token"), "{debug}");
    }

    #[test]
    fn foreign_error_bodies_are_rewritten() {
        let body = br#"{"type":"RateLimited","description":"The request has been rate-limited.","status":429}"#;
        let out: serde_json::Value =
            serde_json::from_slice(&synthesize(StatusCode::TOO_MANY_REQUESTS, None, body)).unwrap();
        assert_eq!(out["type"], "RateLimited");
        assert_eq!(out["code"], 429);
        assert_eq!(out["message"], "The request has been rate-limited.");
        assert_eq!(
            out["metadata"]["rawBody"].as_str().unwrap().as_bytes(),
            body
        );
        let html = b"<html>\n  <b>bad   gateway</b></html>";
        let ct = HeaderValue::from_static("text/html");
        let out: serde_json::Value =
            serde_json::from_slice(&synthesize(StatusCode::BAD_GATEWAY, Some(&ct), html)).unwrap();
        assert_eq!(out["type"], "Unknown");
        assert_eq!(
            out["message"],
            "HTTP 502 Bad Gateway with a body that is not a Botpress error (text/html, 36 bytes): <html> <b>bad gateway</b></html>"
        );
    }
}
