//! The service's wire form, written directly by every operation (no request is rewritten
//! afterwards):
//! - query strings percent-encoded per RFC 3986 (only `A-Z a-z 0-9 - . _ ~` literal, space as
//!   `%20`, never `+`), parameters in the document's declaration order, arrays as repeated
//!   keys, tags in the dotted form `tags.<key>=<value>` (see [`crate::query`]), as the
//!   official client's `qs` writes them;
//! - path segments encoded like JavaScript's `encodeURIComponent` (`!*()'` stay literal, `/`
//!   inside an id becomes `%2F`);
//! - date-times in query strings with milliseconds, as `Date.toISOString()` writes them.
//!
//! References: the `qs` defaults of `@botpress/client` 1.45.0 (RFC 3986, `allowDots`) and
//! the Botpress API reference's list endpoints.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

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

/// Appends `segment` to `path`, encoded like `encodeURIComponent`.
pub(crate) fn push_segment(path: &mut String, segment: &str) {
    path.extend(utf8_percent_encode(segment, PATH_SEGMENT));
}

/// A query string being written, in the order parameters are added.
#[derive(Default, Debug)]
pub(crate) struct Query(String);

impl Query {
    /// Appends `name=value`, both encoded.
    pub(crate) fn pair(&mut self, name: &str, value: &str) {
        if !self.0.is_empty() {
            self.0.push('&');
        }
        self.0.extend(utf8_percent_encode(name, QUERY));
        self.0.push('=');
        self.0.extend(utf8_percent_encode(value, QUERY));
    }

    /// The query string, `None` when empty.
    pub(crate) fn into_string(self) -> Option<String> {
        Some(self.0).filter(|q| !q.is_empty())
    }
}

/// A value a query parameter can take; implemented for the parameter types of the document.
pub(crate) trait QueryValue {
    /// Appends this value as parameter `name`.
    fn append_to(&self, name: &str, query: &mut Query);
}

impl QueryValue for String {
    fn append_to(&self, name: &str, query: &mut Query) {
        query.pair(name, self);
    }
}

impl QueryValue for bool {
    fn append_to(&self, name: &str, query: &mut Query) {
        query.pair(name, if *self { "true" } else { "false" });
    }
}

impl QueryValue for i64 {
    fn append_to(&self, name: &str, query: &mut Query) {
        query.pair(name, &self.to_string());
    }
}

impl QueryValue for chrono::DateTime<chrono::Utc> {
    fn append_to(&self, name: &str, query: &mut Query) {
        query.pair(name, &crate::timestamp::format(self));
    }
}

impl<T: QueryValue> QueryValue for Vec<T> {
    fn append_to(&self, name: &str, query: &mut Query) {
        for item in self {
            item.append_to(name, query);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_components_are_rfc3986() {
        let mut q = Query::default();
        q.pair("afterDate", "+01:00 @~!*()'é[]");
        q.pair("tags.a b", "x");
        assert_eq!(
            q.into_string().as_deref(),
            Some("afterDate=%2B01%3A00%20%40~%21%2A%28%29%27%C3%A9%5B%5D&tags.a%20b=x")
        );
        assert_eq!(Query::default().into_string(), None);
    }

    #[test]
    fn arrays_repeat_and_dates_have_milliseconds() {
        let mut q = Query::default();
        vec!["u1".to_string(), "u2".to_string()].append_to("participantIds", &mut q);
        let at = chrono::DateTime::parse_from_rfc3339("2024-01-02T03:04:05Z")
            .unwrap()
            .to_utc();
        at.append_to("afterDate", &mut q);
        true.append_to("indexed", &mut q);
        5i64.append_to("pageSize", &mut q);
        assert_eq!(
            q.into_string().unwrap(),
            "participantIds=u1&participantIds=u2&afterDate=2024-01-02T03%3A04%3A05.000Z&indexed=true&pageSize=5"
        );
    }

    #[test]
    fn path_segments_use_encode_uri_component() {
        let mut path = String::from("/v1/chat/states/conversation/");
        push_segment(&mut path, "conv 1/ü!*()'+&");
        assert_eq!(
            path,
            "/v1/chat/states/conversation/conv%201%2F%C3%BC!*()'%2B%26"
        );
    }
}
