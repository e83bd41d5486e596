//! Query strings as the official client writes them (`qs` with `allowDots` and repeated keys):
//! parsing into typed JSON values per the document's parameters, tag filters and
//! `nextToken` pagination.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::{
    error::ApiError,
    spec::{Location, Operation, Shape},
    validate::check,
};

/// Default page size of cursor lists.
pub const DEFAULT_PAGE_SIZE: usize = 20;

/// Percent-decodes one query component or path segment (`+` stays a plus: the client
/// encodes spaces as `%20`).
pub fn percent_decode(raw: &str) -> Result<String, ApiError> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = raw
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            let byte = hex.ok_or_else(|| {
                ApiError::invalid_query(format!("bad percent-encoding in `{raw}`"))
            })?;
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map_err(|_| ApiError::invalid_query(format!("`{raw}` is not UTF-8 once decoded")))
}

/// The decoded `key=value` pairs of a raw query string, in order.
pub fn pairs(raw: &str) -> Result<Vec<(String, String)>, ApiError> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            Ok((percent_decode(k)?, percent_decode(v)?))
        })
        .collect()
}

fn scalar(kind: &str, name: &str, raw: &str) -> Result<Value, ApiError> {
    let bad = || ApiError::invalid_payload(format!("query.{name}: `{raw}` is not a valid {kind}"));
    Ok(match kind {
        "integer" => Value::from(raw.parse::<i64>().map_err(|_| bad())?),
        "number" => raw
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(bad)?,
        "boolean" => match raw {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(bad()),
        },
        _ => Value::String(raw.to_string()),
    })
}

/// The operation's query parameters read from `pairs`, typed and validated against the
/// document: a JSON object keyed by parameter name (absent parameters are left out).
pub fn parse(op: &Operation, pairs: &[(String, String)]) -> Result<Map<String, Value>, ApiError> {
    let mut out = Map::new();
    for param in op.params.iter().filter(|p| p.location == Location::Query) {
        let name = param.name.as_str();
        let dotted = format!("{name}.");
        let value = match param.shape {
            Shape::Scalar(kind) => match pairs.iter().rev().find(|(k, _)| k == name) {
                Some((_, v)) => Some(scalar(kind, name, v)?),
                None => None,
            },
            Shape::Array(kind) => {
                let items: Vec<Value> = pairs
                    .iter()
                    .filter(|(k, _)| k == name)
                    .map(|(_, v)| scalar(kind, name, v))
                    .collect::<Result<_, _>>()?;
                (!items.is_empty()).then_some(Value::Array(items))
            }
            Shape::DottedMap => {
                let map: Map<String, Value> = pairs
                    .iter()
                    .filter_map(|(k, v)| {
                        k.strip_prefix(&dotted)
                            .map(|key| (key.to_string(), Value::String(v.clone())))
                    })
                    .collect();
                (!map.is_empty()).then_some(Value::Object(map))
            }
            Shape::DottedFileTags => {
                let mut map: BTreeMap<String, (Vec<String>, Vec<String>)> = BTreeMap::new();
                for (k, v) in pairs {
                    let Some(key) = k.strip_prefix(&dotted) else {
                        continue;
                    };
                    match key.strip_suffix(".not") {
                        Some(key) => map.entry(key.to_string()).or_default().1.push(v.clone()),
                        None => map.entry(key.to_string()).or_default().0.push(v.clone()),
                    }
                }
                let one_or_many = |mut vs: Vec<String>| {
                    if vs.len() == 1 {
                        json!(vs.remove(0))
                    } else {
                        json!(vs)
                    }
                };
                let map: Map<String, Value> = map
                    .into_iter()
                    .map(|(k, (yes, no))| {
                        let v = if no.is_empty() {
                            one_or_many(yes)
                        } else {
                            json!({"not": one_or_many(no)})
                        };
                        (k, v)
                    })
                    .collect();
                (!map.is_empty()).then_some(Value::Object(map))
            }
        };
        match value {
            Some(v) => {
                check(&param.validator, &v, &format!("query.{name}"))?;
                out.insert(name.to_string(), v);
            }
            None if param.required => {
                return Err(ApiError::invalid_payload(format!(
                    "query.{name}: the parameter is required"
                )));
            }
            None => {}
        }
    }
    Ok(out)
}

/// Whether a resource's `tags` hold every `key: value` of a runtime tags filter.
pub fn tags_match(tags: &Value, filter: Option<&Value>) -> bool {
    let Some(Value::Object(filter)) = filter else {
        return true;
    };
    filter.iter().all(|(k, v)| tags.get(k) == Some(v))
}

/// Whether a file's `tags` fit a files tags filter: a value, any of several values, or
/// `{not: value(s)}` (the tag is absent or has none of them).
pub fn file_tags_match(tags: &Value, filter: Option<&Value>) -> bool {
    let Some(Value::Object(filter)) = filter else {
        return true;
    };
    let as_list = |v: &Value| -> Vec<String> {
        match v {
            Value::Array(items) => items
                .iter()
                .filter_map(|i| i.as_str().map(String::from))
                .collect(),
            Value::String(s) => vec![s.clone()],
            _ => Vec::new(),
        }
    };
    filter.iter().all(|(k, cond)| {
        let actual = tags.get(k).and_then(Value::as_str);
        match cond.get("not") {
            Some(not) => actual.is_none_or(|a| !as_list(not).iter().any(|n| n == a)),
            None => actual.is_some_and(|a| as_list(cond).iter().any(|n| n == a)),
        }
    })
}

/// The page size a list query asks for with `size_param` (default 20, at least 1).
pub fn page_size(query: &Map<String, Value>, size_param: &str) -> usize {
    query
        .get(size_param)
        .and_then(Value::as_u64)
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
        .unwrap_or(DEFAULT_PAGE_SIZE)
        .max(1)
}

/// A page of `items` from the query's `nextToken` and `pageSize` (default 20):
/// the items and the token of the next page, absent at the end.
pub fn page<T>(
    items: Vec<T>,
    query: &Map<String, Value>,
    size_param: &str,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let size = page_size(query, size_param);
    let offset = match query.get("nextToken").and_then(Value::as_str) {
        Some(token) => token
            .strip_prefix("page:")
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| {
                ApiError::invalid_query(format!("nextToken `{token}` is not a token this API gave"))
            })?,
        None => 0,
    };
    let total = items.len();
    // Checked: a token past the end (up to `usize::MAX`) is an empty last page, never a wrap.
    let end = offset.saturating_add(size);
    let next = (end < total).then(|| format!("page:{end}"));
    Ok((items.into_iter().skip(offset).take(size).collect(), next))
}

/// The `meta` of a list response.
pub fn list_meta(next: Option<String>) -> Value {
    match next {
        Some(token) => json!({ "nextToken": token }),
        None => json!({}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_like_the_client_encodes() {
        let p = pairs("tags.k.e%20y=v%26%3D%C3%BC&a=1+2&empty=").unwrap();
        assert_eq!(p[0], ("tags.k.e y".into(), "v&=ü".into()));
        assert_eq!(p[1], ("a".into(), "1+2".into()));
        assert_eq!(p[2], ("empty".into(), "".into()));
        assert!(pairs("a=%zz").is_err());
    }

    #[test]
    fn file_tag_filters_cover_values_or_and_not() {
        let tags = json!({"a": "x", "b": "y"});
        assert!(file_tags_match(&tags, Some(&json!({"a": ["x", "z"]}))));
        assert!(!file_tags_match(&tags, Some(&json!({"a": "z"}))));
        assert!(file_tags_match(
            &tags,
            Some(&json!({"b": {"not": "z"}, "c": {"not": ["p"]}}))
        ));
        assert!(!file_tags_match(
            &tags,
            Some(&json!({"b": {"not": ["y", "q"]}}))
        ));
    }

    #[test]
    fn pages_end_without_a_token() {
        let q = json!({"pageSize": 2}).as_object().unwrap().clone();
        let (items, next) = page(vec![1, 2, 3], &q, "pageSize").unwrap();
        assert_eq!((items, next.as_deref()), (vec![1, 2], Some("page:2")));
        let mut q2 = q.clone();
        q2.insert("nextToken".into(), json!("page:2"));
        let (items, next) = page(vec![1, 2, 3], &q2, "pageSize").unwrap();
        assert_eq!((items, next), (vec![3], None));
        q2.insert("nextToken".into(), json!("garbage"));
        assert_eq!(
            page(vec![1], &q2, "pageSize").unwrap_err().error_type,
            "InvalidQuery"
        );
    }
}
