//! The transport: how every operation's request is sent, once for all operations.
//!
//! [`Client::execute`](crate::Client) takes the request an operation builder listed
//! ([`crate::operation::Request`]) and:
//! 1. refuses it, naming the operation and what is wrong, when a part is missing or invalid;
//! 2. joins the path and query to the base URL (parsed once, when the client was built) and
//!    puts the identity headers of the client on it ([`Identity`]);
//! 3. sends it under the client's pacing ([`crate::pacing`]), with a per-attempt timeout that
//!    also covers the response body and never runs past the total deadline;
//! 4. reads the response body whole inside the attempt (so a body cut short or stalled is
//!    retried like any transient fault), and retries failures per the [`RetryPolicy`]
//!    ([`crate::retry`]): an error body is read (they are small) so that the decision can look
//!    at its type (`409 ResourceLockedConflict` is retried, other 409s are not);
//! 5. decodes the success body into the operation's output type, or the error body into an
//!    [`Error`](crate::Error): a body that is not a Botpress error (an HTML page from a proxy,
//!    the rate limiter's `{"type":"RateLimited","description":…,"status":429}`) is classified
//!    by its status and kept as [`Error::raw_body`](crate::Error::raw_body);
//! 6. everything runs in a `tracing` span ([`crate::trace`]).
//!
//! The request's URL, headers and body are built once; an attempt gets copies only while a
//! retry is still possible (the body is shared, not copied).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, USER_AGENT,
};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use tracing::Instrument;

use crate::budget::Budget;
use crate::config::{ConfigError, Setting, Timeouts};
use crate::operation::{Request, Response};
use crate::pacing::Pacer;
use crate::retry::{self, RetryEvent, RetryPolicy, RetryReason};
use crate::{Client, Error, ErrorKind, trace};

pub use crate::config::DEFAULT_USER_AGENT;

/// Error bodies larger than this are cut (an error body is a few hundred bytes).
const MAX_ERROR_BODY: usize = 1 << 20;

/// Who the client calls as: the token and the identity headers, sent in the order the
/// official client sends them (`x-workspace-id`, `x-bot-id`, `x-integration-id`,
/// `x-integration-alias`, `Authorization`), then `x-user-id`, the request's own headers,
/// custom headers (which replace any header of the same name, identity ones included), and
/// the `User-Agent` unless a custom header set one.
///
/// Configured through [`Client::builder`](crate::Client::builder) and read with
/// [`Client::identity`](crate::Client::identity); values are validated when the client is
/// built, or, for the `with_*` clones, when a request is sent (an invalid value then fails
/// every request of that clone with
/// [`ErrorKind::InvalidRequest`](crate::ErrorKind::InvalidRequest)).
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
    #[cfg(test)]
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Sets the bearer token (`BP_TOKEN`). Never printed by `Debug`.
    #[cfg(test)]
    pub(crate) fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Sets `x-bot-id` (`BP_BOT_ID`).
    #[cfg(test)]
    pub(crate) fn bot_id(mut self, id: impl Into<String>) -> Self {
        self.bot_id = Some(id.into());
        self
    }

    /// Sets `x-integration-id` (`BP_INTEGRATION_ID`).
    #[cfg(test)]
    pub(crate) fn integration_id(mut self, id: impl Into<String>) -> Self {
        self.integration_id = Some(id.into());
        self
    }

    /// Sets `x-integration-alias`.
    #[cfg(test)]
    pub(crate) fn integration_alias(mut self, alias: impl Into<String>) -> Self {
        self.integration_alias = Some(alias.into());
        self
    }

    /// Sets `x-workspace-id` (`BP_WORKSPACE_ID`).
    #[cfg(test)]
    pub(crate) fn workspace_id(mut self, id: impl Into<String>) -> Self {
        self.workspace_id = Some(id.into());
        self
    }

    /// Sets `x-user-id` (acting user for the Files and Tables APIs).
    #[cfg(test)]
    pub(crate) fn user_id(mut self, id: impl Into<String>) -> Self {
        self.user_id = Some(id.into());
        self
    }

    /// Adds a header sent on every API request, after (and over) the identity headers.
    #[cfg(test)]
    pub(crate) fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
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
    /// The server's rate budget for this bot and token, when pacing follows it.
    budget: Option<Arc<Budget>>,
}

impl IdentityState {
    fn new(identity: Identity, shared: &Shared) -> Self {
        let wire = identity.wire();
        let budget = shared
            .pacer
            .as_ref()
            .and_then(|pacer| pacer.budget(identity.bot_id.as_deref(), identity.token.as_deref()));
        Self {
            identity,
            wire,
            budget,
        }
    }
}

/// Behaviour shared by a client and all its clones.
pub(crate) struct Shared {
    pub(crate) retry: RetryPolicy,
    pub(crate) timeouts: Timeouts,
    pub(crate) pacer: Option<Arc<Pacer>>,
    /// Whether requests over the platform limits are refused before sending
    /// ([`crate::limits`]).
    pub(crate) local_limits: bool,
    /// The base URL, parsed once (no trailing slash in its text).
    pub(crate) base_url: Url,
}

/// Per-client transport state: the identity (per clone) and the retry policy, timeouts,
/// pacing and base URL (shared by clones).
#[derive(Clone)]
pub(crate) struct Transport {
    identity: Arc<IdentityState>,
    pub(crate) shared: Arc<Shared>,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("base_url", &self.shared.base_url.as_str())
            .field("identity", &self.identity.identity)
            .field("retry", &self.shared.retry)
            .field("timeouts", &self.shared.timeouts)
            .field("pacing", &self.shared.pacer.is_some())
            .finish()
    }
}

impl Transport {
    /// A transport from validated parts (the client builder's path).
    pub(crate) fn new(identity: Identity, shared: Shared) -> Result<Self, ConfigError> {
        let state = IdentityState::new(identity, &shared);
        if let Err(e) = &state.wire {
            return Err(e.clone());
        }
        Ok(Self {
            identity: Arc::new(state),
            shared: Arc::new(shared),
        })
    }

    /// The identity requests are sent with.
    pub(crate) fn identity(&self) -> &Identity {
        &self.identity.identity
    }

    /// The same transport with a changed identity; behaviour (and pacing) stay shared.
    pub(crate) fn with_identity(&self, change: impl FnOnce(&mut Identity)) -> Self {
        let mut identity = self.identity.identity.clone();
        change(&mut identity);
        Self {
            identity: Arc::new(IdentityState::new(identity, &self.shared)),
            shared: self.shared.clone(),
        }
    }

    /// The URL of `path` and `query` under the base URL.
    fn url(&self, path: &str, query: Option<&str>) -> Url {
        let mut url = self.shared.base_url.clone();
        let prefix = url.path().trim_end_matches('/');
        if prefix.is_empty() {
            url.set_path(path);
        } else {
            let joined = format!("{prefix}{path}");
            url.set_path(&joined);
        }
        url.set_query(query);
        url
    }
}

/// A prepared request: everything an attempt needs.
#[derive(Clone)]
struct Prepared {
    method: Method,
    /// The request may be sent twice whatever its method (an exactly-once create).
    idempotent: bool,
    url: Url,
    headers: HeaderMap,
    body: Option<Bytes>,
}

impl Prepared {
    /// The reqwest request of one attempt (the body is shared, not copied).
    fn into_attempt(self, timeout: Option<Duration>) -> reqwest::Request {
        let mut request = reqwest::Request::new(self.method, self.url);
        *request.headers_mut() = self.headers;
        if let Some(body) = self.body {
            *request.body_mut() = Some(reqwest::Body::from(body));
        }
        *request.timeout_mut() = timeout;
        request
    }
}

/// What one attempt ended with.
enum Outcome {
    /// The declared success status, with its body read.
    Success(u16, HeaderMap, Bytes),
    /// A failure, and whether (why) it may be retried; the headers of the response, if any,
    /// for the delay the server asks for.
    Failure(Error, Option<RetryReason>, Option<HeaderMap>),
}

impl Outcome {
    /// The headers of the answer, if one came.
    fn headers(&self) -> Option<&HeaderMap> {
        match self {
            Outcome::Success(_, headers, _) => Some(headers),
            Outcome::Failure(_, _, headers) => headers.as_ref(),
        }
    }
}

impl Client {
    /// Sends `request` and decodes its response; see the [module docs](self).
    pub(crate) async fn execute<T: DeserializeOwned>(
        &self,
        request: Request,
    ) -> crate::Result<Response<T>> {
        let op = request.operation;
        let method = op.method.as_str();
        let at = |e: Error, path: &str| e.at(op.id, method, path);
        if let Some(problem) = request.problem.as_deref().or(request.options.problem()) {
            return Err(at(Error::invalid_request(problem), &request.path));
        }
        if self.transport.shared.local_limits
            && let Some(body) = &request.body
            && let Some(over) = crate::limits::check(op.id, &request.path, body)
        {
            return Err(at(
                Error::other(ErrorKind::LimitExceeded, over),
                &request.path,
            ));
        }
        let transport = &self.transport;
        let wire = match &transport.identity.wire {
            Ok(wire) => wire,
            Err(e) => return Err(at(Error::invalid_request(e.to_string()), &request.path)),
        };
        let mut headers = HeaderMap::with_capacity(10);
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        if request.body.is_some() {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        for (name, value) in request.headers {
            headers.append(name, value);
        }
        wire.apply(&mut headers);
        for (name, value) in request.options.headers() {
            headers.insert(name, value.clone());
        }
        let prepared = Prepared {
            method: op.method.reqwest(),
            idempotent: request.idempotent,
            url: transport.url(&request.path, request.query.into_string().as_deref()),
            headers,
            body: request.body,
        };
        let span = trace::request_span(op.id, method, &request.path);
        let result = self
            .send_with_retries(prepared, op, &request.options)
            .instrument(span)
            .await;
        match result {
            Ok((status, headers, body)) => match crate::drift::decode::<T>(op.id, &body) {
                Ok(value) => Ok(Response::new(status, headers, value)),
                Err(e) => Err(at(
                    Error::invalid_response(
                        format!(
                            "the response body does not decode as `{}`: {e}",
                            short_type_name::<T>()
                        ),
                        Some(body),
                    )
                    .with_status(status),
                    &request.path,
                )),
            },
            Err(e) => Err(at(e, &request.path)),
        }
    }

    /// The attempts of one call, with the outcome recorded once on the span.
    async fn send_with_retries(
        &self,
        prepared: Prepared,
        op: &'static crate::operation::Operation,
        options: &crate::CallOptions,
    ) -> crate::Result<(u16, HeaderMap, Bytes)> {
        let started = Instant::now();
        let (result, attempts) = self.attempts(prepared, op, options).await;
        match &result {
            Ok((status, headers, _)) => trace::record_outcome(
                Some(*status),
                crate::error::request_id(headers),
                None,
                attempts,
                started.elapsed(),
            ),
            Err(e) => trace::record_outcome(
                e.status(),
                e.request_id(),
                Some(e),
                attempts,
                started.elapsed(),
            ),
        }
        result
    }

    /// Sends `prepared` until it succeeds, fails for good, or runs out of attempts or time;
    /// the result and the number of attempts made.
    async fn attempts(
        &self,
        prepared: Prepared,
        op: &'static crate::operation::Operation,
        options: &crate::CallOptions,
    ) -> (crate::Result<(u16, HeaderMap, Bytes)>, u32) {
        let started = Instant::now();
        let shared = &self.transport.shared;
        let timeouts = options.timeouts(shared.timeouts);
        let deadline = timeouts.total.map(|t| started + t);
        let policy = options.retry_policy().unwrap_or(&shared.retry);
        let mut last: Option<Error> = None;
        let mut prepared = Some(prepared);
        let mut attempt = 0;
        while let Some(parts) = prepared.take() {
            let _permit = match &shared.pacer {
                Some(pacer) => match pacer.acquire(deadline).await {
                    Ok(permit) => Some(permit),
                    Err(_) => break,
                },
                None => None,
            };
            let ticket = match &self.transport.identity.budget {
                Some(budget) => match budget.acquire(deadline).await {
                    Ok(ticket) => Some(ticket),
                    Err(_) => break,
                },
                None => None,
            };
            let remaining = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if remaining.is_some_and(|r| r.is_zero()) {
                break;
            }
            attempt += 1;
            let timeout = min_some(timeouts.attempt, remaining);
            let idempotent = parts.idempotent || retry::is_idempotent(&parts.method);
            // A copy for this attempt while a retry is still possible; the parts themselves
            // on the last one.
            let request = if attempt < policy.attempts() {
                let request = parts.clone().into_attempt(timeout);
                prepared = Some(parts);
                request
            } else {
                parts.into_attempt(timeout)
            };
            let attempt_started = Instant::now();
            let outcome = attempt_once(&self.http, request, idempotent, op.success).await;
            if let Some(ticket) = ticket {
                ticket.answered(outcome.headers());
            }
            let (error, reason, headers) = match outcome {
                Outcome::Success(status, headers, body) => {
                    trace::attempt(attempt, Some(status), attempt_started.elapsed());
                    return (Ok((status, headers, body)), attempt);
                }
                Outcome::Failure(error, reason, headers) => (error, reason, headers),
            };
            trace::attempt(attempt, error.status(), attempt_started.elapsed());
            let (Some(reason), true) = (reason, prepared.is_some()) else {
                return (Err(error), attempt);
            };
            let (delay, source) = policy.delay(attempt, headers.as_ref(), SystemTime::now());
            if deadline.is_some_and(|d| Instant::now() + delay >= d) {
                return (Err(error), attempt);
            }
            let event = RetryEvent {
                operation_id: op.id,
                attempt,
                reason,
                delay,
                source,
            };
            trace::retry(&event);
            policy.notify(&event);
            last = Some(error);
            tokio::time::sleep(delay).await;
        }
        // The deadline passed before the next attempt could start.
        let error = last.unwrap_or_else(|| {
            Error::other(
                ErrorKind::Timeout,
                format!(
                    "the total timeout of {:?} elapsed before the request could be sent",
                    timeouts.total.unwrap_or_default()
                ),
            )
        });
        (Err(error), attempt)
    }
}

/// A message for a failure of the HTTP client (its cause is the error's source).
fn describe(e: &reqwest::Error, reading: bool) -> &'static str {
    if e.is_connect() {
        "the connection could not be established"
    } else if e.is_timeout() {
        "the attempt timed out"
    } else if reading {
        "the response body could not be read"
    } else {
        "the request failed in transit"
    }
}

/// One attempt: send, read the body, classify.
async fn attempt_once(
    http: &reqwest::Client,
    request: reqwest::Request,
    idempotent: bool,
    success: u16,
) -> Outcome {
    let mut response = match http.execute(request).await {
        Ok(response) => response,
        Err(e) => {
            let retry = retry::retry_failure(idempotent, &e);
            return Outcome::Failure(Error::transport(describe(&e, false), e), retry, None);
        }
    };
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    if status.is_client_error() || status.is_server_error() {
        return match read_body(&mut response, MAX_ERROR_BODY).await {
            Ok(body) => {
                let (error, error_type) = error_response(status, &headers, body);
                let retry = retry::retry_status(idempotent, status, error_type.as_deref());
                Outcome::Failure(error, retry, Some(headers))
            }
            Err(e) => body_failure(idempotent, e, headers),
        };
    }
    match response.bytes().await {
        Ok(body) if status.as_u16() == success => Outcome::Success(status.as_u16(), headers, body),
        Ok(body) => Outcome::Failure(
            Error::invalid_response(
                format!("the operation does not declare HTTP status {status}"),
                Some(body),
            )
            .with_status(status.as_u16()),
            None,
            Some(headers),
        ),
        Err(e) => body_failure(idempotent, e, headers),
    }
}

/// A response body that could not be read: retried like any transient fault when the request
/// may be sent twice.
fn body_failure(idempotent: bool, e: reqwest::Error, headers: HeaderMap) -> Outcome {
    let retry = retry::retry_body_failure(idempotent, &e);
    Outcome::Failure(
        Error::transport(describe(&e, true), e),
        retry,
        Some(headers),
    )
}

/// Reads a response body into memory, keeping at most `limit` bytes (the rest is not read).
async fn read_body(response: &mut reqwest::Response, limit: usize) -> reqwest::Result<Bytes> {
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

/// The error of an error response, and the Botpress error type of its body (`None` when the
/// body is not a Botpress error: see [`synthesize`]).
fn error_response(status: StatusCode, headers: &HeaderMap, body: Bytes) -> (Error, Option<String>) {
    if let Ok(error) = serde_json::from_slice::<crate::types::Error>(&body) {
        let error_type = error.type_.clone();
        return (
            Error::response(status.as_u16(), headers, error, None),
            Some(error_type),
        );
    }
    let synthetic = synthesize(status, headers.get(CONTENT_TYPE), &body);
    (
        Error::response(status.as_u16(), headers, synthetic, Some(body)),
        None,
    )
}

/// The standard error shape for a body that is not a Botpress error.
fn synthesize(
    status: StatusCode,
    content_type: Option<&HeaderValue>,
    body: &[u8],
) -> crate::types::Error {
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let server_message = json
        .as_ref()
        .and_then(|v| v.get("message").or_else(|| v.get("description")))
        .and_then(serde_json::Value::as_str);
    let message = match server_message {
        Some(m) => m.to_owned(),
        None if body.is_empty() => format!("HTTP {status} with an empty body"),
        None => {
            let text = String::from_utf8_lossy(body);
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
    crate::types::Error {
        id: String::new(),
        code: status.as_u16().into(),
        type_: error_type.to_owned(),
        message,
        metadata: Default::default(),
    }
}

/// `botpress::types::GetUserResponse` → `GetUserResponse`.
fn short_type_name<T>() -> &'static str {
    let name = std::any::type_name::<T>();
    name.rsplit("::").next().unwrap_or(name)
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
    fn foreign_error_bodies_are_classified_by_status() {
        let body = Bytes::from_static(br#"{"type":"RateLimited","description":"The request has been rate-limited.","status":429}"#);
        let (e, error_type) = error_response(
            StatusCode::TOO_MANY_REQUESTS,
            &HeaderMap::new(),
            body.clone(),
        );
        assert_eq!(error_type, None);
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        assert_eq!(e.status(), Some(429));
        assert_eq!(e.message(), "The request has been rate-limited.");
        assert_eq!(e.raw_body(), Some(&body[..]));
        let html = b"<html>\n  <b>bad   gateway</b></html>";
        let ct = HeaderValue::from_static("text/html");
        let out = synthesize(StatusCode::BAD_GATEWAY, Some(&ct), html);
        assert_eq!(out.type_, "Unknown");
        assert_eq!(
            out.message,
            "HTTP 502 Bad Gateway with a body that is not a Botpress error (text/html, 36 bytes): <html> <b>bad gateway</b></html>"
        );
    }
}
