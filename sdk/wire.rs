//! Wire normalisation: makes every request the generated code builds byte-identical to what
//! the official client sends (botpress-wire.md §9, §10, §17).
//!
//! Progenitor builds requests with reqwest's form encoding and alphabetical parameter order.
//! The Botpress service (and its official client) use:
//! - query strings percent-encoded per RFC 3986 (only `A-Z a-z 0-9 - . _ ~` literal, space as
//!   `%20`, never `+`), parameters in the document's declaration order, arrays as repeated
//!   keys, tags in the dotted form `tags.<key>=<value>` (see [`crate::query`]);
//! - path segments encoded like JavaScript's `encodeURIComponent` (`!*()'` stay literal, `/`
//!   inside an id becomes `%2F`);
//! - a `{}` JSON body on bodyless `DELETE`s, as the official client sends;
//! - no `api-version` header (progenitor adds one; `build.rs` removes it from the generated
//!   code, as the service does not take it).
//!
//! [`normalize`] rewrites a built request in place; the transport calls it once per request,
//! so no operation needs code of its own.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use progenitor_client::ClientInfo;
use reqwest::{Method, Request, Url, header};

use crate::generated::Client;

include!(concat!(env!("OUT_DIR"), "/query_order.rs"));

/// RFC 3986 query component set (the `qs` library's default): all but unreserved characters.
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// JavaScript `encodeURIComponent`: unreserved characters plus `!*()'` stay literal.
const PATH_SEGMENT: &AsciiSet = &QUERY
    .remove(b'!')
    .remove(b'*')
    .remove(b'(')
    .remove(b')')
    .remove(b'\'');

/// Percent-encodes a query key or value the way the service expects.
pub fn encode_query_component(s: &str) -> String {
    utf8_percent_encode(s, QUERY).to_string()
}

/// Percent-encodes one path segment like `encodeURIComponent`.
pub fn encode_path_segment(s: &str) -> String {
    utf8_percent_encode(s, PATH_SEGMENT).to_string()
}

/// The URL of an operation: the client's base URL followed by `path` (already
/// percent-encoded by the generated code), exactly what parsing `format!("{base}{path}")`
/// yields, without parsing the base URL again on every request (the generated code calls
/// this; `build.rs` puts it in place of progenitor's `format!`).
pub(crate) fn endpoint(client: &Client, path: std::fmt::Arguments<'_>) -> Result<Url, String> {
    let base = &client.baseurl;
    let parsed = client.inner().base_url(base);
    match parsed {
        Some(url) if url.query().is_none() && url.fragment().is_none() => {
            // The parser gives a base without a path the path `/`, which `format!` would not
            // have: `http://h` + `/v1/x` is `/v1/x`, `http://h/` + `/v1/x` is `//v1/x`.
            let prefix = if base.ends_with('/') {
                url.path()
            } else {
                url.path().trim_end_matches('/')
            };
            let mut out = url.clone();
            out.set_path(&format!("{prefix}{path}"));
            Ok(out)
        }
        _ => Url::parse(&format!("{base}{path}"))
            .map_err(|e| format!("invalid URL `{base}{path}`: {e}")),
    }
}

/// Rewrites `request` into the service's wire form; see the [module docs](self).
pub fn normalize(request: &mut Request, operation_id: &str) {
    normalize_path(request);
    if request.url().query().is_some() {
        normalize_query(request, query_order(operation_id));
    }
    if request.method() == Method::DELETE && request.body().is_none() {
        request.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/json"),
        );
        *request.body_mut() = Some(reqwest::Body::from("{}"));
    }
}

fn normalize_path(request: &mut Request) {
    let url = request.url_mut();
    // Fast path (most paths: plain ids): only characters `encodeURIComponent` leaves
    // literal (see `PATH_SEGMENT`), so nothing is escaped and nothing needs escaping.
    if url
        .path()
        .bytes()
        .all(|b| matches!(b, b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'.' | b'_' | b'~' | b'!' | b'*' | b'(' | b')' | b'\''))
    {
        return;
    }
    let encoded: Vec<String> = url
        .path()
        .split('/')
        .map(|segment| encode_path_segment(&percent_decode_str(segment).decode_utf8_lossy()))
        .collect();
    let path = encoded.join("/");
    if path != url.path() {
        url.set_path(&path);
    }
}

fn normalize_query(request: &mut Request, order: &[&str]) {
    let url = request.url_mut();
    let mut pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    // Stable: repeated keys (arrays, tags with several values) keep their relative order.
    // `tags.k` ranks as `tags`; names the document does not declare go last.
    pairs.sort_by_key(|(key, _)| {
        let name = key.split('.').next().unwrap_or(key);
        order.iter().position(|n| *n == name).unwrap_or(order.len())
    });
    let query = pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                encode_query_component(k),
                encode_query_component(v)
            )
        })
        .collect::<Vec<_>>()
        .join("&");
    url.set_query(if query.is_empty() { None } else { Some(&query) });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: Method, url: &str) -> Request {
        Request::new(method, url.parse().expect("url"))
    }

    #[test]
    fn query_is_rfc3986_in_declaration_order() {
        let mut r = request(
            Method::GET,
            "http://h/v1/chat/conversations?channel=web%2Fchat&pageSize=2&participantIds=u1&participantIds=u2&sortField=createdAt&tags.a=1&tags.b=x+y",
        );
        normalize(&mut r, "list_conversations");
        assert_eq!(
            r.url().as_str(),
            "http://h/v1/chat/conversations?pageSize=2&sortField=createdAt&tags.a=1&tags.b=x%20y&participantIds=u1&participantIds=u2&channel=web%2Fchat"
        );
    }

    #[test]
    fn special_characters_in_query() {
        let mut r = request(Method::GET, "http://h/v1/chat/conversations");
        r.url_mut()
            .query_pairs_mut()
            .append_pair("afterDate", "+01:00 @~!*()'é[]");
        normalize(&mut r, "list_conversations");
        assert_eq!(
            r.url().query(),
            Some("afterDate=%2B01%3A00%20%40~%21%2A%28%29%27%C3%A9%5B%5D")
        );
    }

    #[test]
    fn empty_query_disappears() {
        let mut r = request(Method::GET, "http://h/v1/files?");
        normalize(&mut r, "list_files");
        assert_eq!(r.url().as_str(), "http://h/v1/files");
    }

    #[test]
    fn path_segments_use_encode_uri_component() {
        // What progenitor produces for id `conv 1/ü!*()'+&` (its own set leaves `+&` literal).
        let mut r = request(
            Method::GET,
            "http://h/v1/chat/states/conversation/conv%201%2F%C3%BC!*()'+&/st",
        );
        normalize(&mut r, "get_state");
        assert_eq!(
            r.url().path(),
            "/v1/chat/states/conversation/conv%201%2F%C3%BC!*()'%2B%26/st"
        );
    }

    #[test]
    fn bodyless_delete_sends_empty_object() {
        let mut r = request(Method::DELETE, "http://h/v1/chat/conversations/conv_1");
        normalize(&mut r, "delete_conversation");
        assert_eq!(r.body().and_then(|b| b.as_bytes()), Some(&b"{}"[..]));
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
    }

    #[test]
    fn endpoint_is_what_parsing_the_joined_string_gives() {
        let transport = crate::transport::Transport::default();
        for base in [
            "http://127.0.0.1:8080",
            "http://127.0.0.1:8080/",
            "https://api.botpress.cloud",
            "https://example.com/prefix",
            "https://example.com/prefix/",
        ] {
            let client = Client::new(base, transport.clone());
            for path in ["/v1/chat/conversations/conv%201", "/v1/files"] {
                let url = endpoint(&client, format_args!("{path}")).expect("valid");
                assert_eq!(
                    url,
                    Url::parse(&format!("{base}{path}")).unwrap(),
                    "{base} {path}"
                );
            }
        }
        // The transport parsed the first base once; another base is parsed per request.
        assert_eq!(
            transport.base_url("http://127.0.0.1:8080").map(Url::as_str),
            Some("http://127.0.0.1:8080/")
        );
        assert!(transport.base_url("https://api.botpress.cloud").is_none());
        let invalid = Client::new("not a url", crate::transport::Transport::default());
        let err = endpoint(&invalid, format_args!("/v1/files")).expect_err("invalid");
        assert!(err.starts_with("invalid URL `not a url/v1/files`"), "{err}");
    }

    #[test]
    fn get_keeps_no_body() {
        let mut r = request(Method::GET, "http://h/v1/chat/conversations/conv_1");
        normalize(&mut r, "get_conversation");
        assert!(r.body().is_none());
        assert!(r.headers().get(header::CONTENT_TYPE).is_none());
    }
}
