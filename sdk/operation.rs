//! One operation call: the request an operation builder lists (path, query, headers, body),
//! checked before anything is sent, and the [`Response`] it answers with.
//!
//! The generated builders only name their parts (`request.segment("id", ..)`,
//! `request.query("pageSize", ..)`, `request.json(body.build())`); everything else is here and
//! in the transport, once for all operations: the wire encoding ([`crate::wire`]), a missing
//! required parameter or an unconvertible value reported as an
//! [`ErrorKind::InvalidRequest`](crate::ErrorKind::InvalidRequest) error naming the operation,
//! and the `{}` body the official client sends on a bodyless `DELETE`.
use bytes::Bytes;
use http::HeaderMap;
use reqwest::header::{HeaderName, HeaderValue};
use serde::Serialize;

use crate::input::BuildError;
use crate::wire::{Query, QueryValue, push_segment};

/// An HTTP method of the document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HttpMethod {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl HttpMethod {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
        }
    }

    pub(crate) fn reqwest(self) -> reqwest::Method {
        match self {
            Self::Get => reqwest::Method::GET,
            Self::Post => reqwest::Method::POST,
            Self::Put => reqwest::Method::PUT,
            Self::Patch => reqwest::Method::PATCH,
            Self::Delete => reqwest::Method::DELETE,
        }
    }
}

/// What the document says of one operation.
#[derive(Debug)]
pub(crate) struct Operation {
    /// The operation id (`getUser`).
    pub(crate) id: &'static str,
    pub(crate) method: HttpMethod,
    /// The path template (`/v1/chat/users/{id}`).
    pub(crate) path: &'static str,
    /// The declared success status.
    pub(crate) success: u16,
}

/// The request of one call, as its builder lists it.
pub(crate) struct Request {
    pub(crate) operation: &'static Operation,
    /// The path, encoded.
    pub(crate) path: String,
    pub(crate) query: Query,
    /// The operation's own headers (header parameters).
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) body: Option<Bytes>,
    /// The first problem found; the request is then not sent.
    pub(crate) problem: Option<String>,
    /// This call's own options (timeouts, retry policy, headers).
    pub(crate) options: crate::CallOptions,
    /// The request may be sent twice whatever its method ([`crate::once`]).
    pub(crate) idempotent: bool,
}

impl Request {
    pub(crate) fn new(operation: &'static Operation) -> Self {
        Self {
            operation,
            path: String::with_capacity(operation.path.len() + 24),
            query: Query::default(),
            headers: Vec::new(),
            body: (operation.method == HttpMethod::Delete).then(|| Bytes::from_static(b"{}")),
            problem: None,
            options: crate::CallOptions::default(),
            idempotent: false,
        }
    }

    fn fail(&mut self, problem: String) {
        if self.problem.is_none() {
            self.problem = Some(problem);
        }
    }

    /// Appends a literal part of the path.
    pub(crate) fn path(&mut self, literal: &str) {
        self.path.push_str(literal);
    }

    /// Appends the path parameter `name`, encoded.
    pub(crate) fn segment(&mut self, name: &str, value: Option<&impl AsRef<str>>) {
        match value.map(AsRef::as_ref) {
            Some("") => self.fail(format!("path parameter `{name}` is empty")),
            Some(v) => push_segment(&mut self.path, v),
            None => self.fail(format!("missing required path parameter `{name}`")),
        }
    }

    /// Appends the query parameter `name`, when set.
    pub(crate) fn query(&mut self, name: &str, value: Option<&impl QueryValue>) {
        if let Some(v) = value {
            v.append_to(name, &mut self.query);
        }
    }

    /// Appends the required query parameter `name`.
    pub(crate) fn required_query(&mut self, name: &str, value: Option<&impl QueryValue>) {
        match value {
            Some(v) => v.append_to(name, &mut self.query),
            None => self.fail(format!("missing required query parameter `{name}`")),
        }
    }

    /// Adds the header parameter `name`, when set.
    pub(crate) fn header(&mut self, name: &'static str, value: Option<&str>) {
        let Some(value) = value else { return };
        match HeaderValue::from_str(value) {
            Ok(v) => self.headers.push((HeaderName::from_static(name), v)),
            Err(_) => self.fail(format!(
                "header parameter `{name}` cannot be sent in an HTTP header (it contains a control character)"
            )),
        }
    }

    /// Adds the required header parameter `name`.
    #[allow(dead_code)]
    pub(crate) fn required_header(&mut self, name: &'static str, value: Option<&str>) {
        match value {
            Some(_) => self.header(name, value),
            None => self.fail(format!("missing required header parameter `{name}`")),
        }
    }

    /// Sets the JSON body, or the problem that kept it from being built.
    pub(crate) fn json(&mut self, body: Result<impl Serialize, BuildError>) {
        match body.map(|b| crate::json::to_vec(&b)) {
            Ok(Ok(bytes)) => self.body = Some(Bytes::from(bytes)),
            Ok(Err(e)) => self.fail(format!("the body does not serialize to JSON: {e}")),
            Err(e) => self.fail(e.to_string()),
        }
    }
}

/// A response: the decoded body with the HTTP status and headers. What an operation's
/// `send_with_response()` returns (`send()` returns the body alone).
///
/// ```no_run
/// # async fn demo(client: &botpress::Client) -> botpress::Result<()> {
/// let response = client.get_user().id("user_1").send_with_response().await?;
/// println!("{} {:?}", response.status(), response.request_id());
/// let user = response.into_inner().user;
/// # let _ = user; Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Response<T> {
    status: u16,
    headers: HeaderMap,
    body: T,
}

impl<T> Response<T> {
    pub(crate) fn new(status: u16, headers: HeaderMap, body: T) -> Self {
        Self {
            status,
            headers,
            body,
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The request id the service gave the call (`x-request-id`), when present.
    pub fn request_id(&self) -> Option<&str> {
        crate::error::request_id(&self.headers)
    }

    /// The decoded body.
    pub fn body(&self) -> &T {
        &self.body
    }

    /// The decoded body, by value.
    pub fn into_inner(self) -> T {
        self.body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static GET: Operation = Operation {
        id: "getUser",
        method: HttpMethod::Get,
        path: "/v1/chat/users/{id}",
        success: 200,
    };
    static DELETE: Operation = Operation {
        id: "deleteUser",
        method: HttpMethod::Delete,
        path: "/v1/chat/users/{id}",
        success: 200,
    };

    #[test]
    fn parts_and_problems() {
        let mut r = Request::new(&GET);
        r.path("/v1/chat/users/");
        r.segment("id", Some(&"a b/c".to_string()));
        r.query("pageSize", Some(&5i64));
        r.query("nextToken", None::<&String>);
        assert_eq!(r.path, "/v1/chat/users/a%20b%2Fc");
        assert_eq!(r.query.into_string().as_deref(), Some("pageSize=5"));
        assert!(r.problem.is_none() && r.body.is_none());

        let mut r = Request::new(&GET);
        r.segment("id", None::<&String>);
        r.required_query("conversationId", None::<&String>);
        assert_eq!(
            r.problem.as_deref(),
            Some("missing required path parameter `id`")
        );
        let mut r = Request::new(&GET);
        r.segment("id", Some(&""));
        assert_eq!(r.problem.as_deref(), Some("path parameter `id` is empty"));
    }

    #[test]
    fn bodyless_delete_sends_an_empty_object() {
        assert_eq!(Request::new(&DELETE).body.as_deref(), Some(&b"{}"[..]));
        let mut r = Request::new(&GET);
        r.json(Err::<(), _>(BuildError::missing("status")));
        assert_eq!(
            r.problem.as_deref(),
            Some("missing required field `status`")
        );
    }
}
