//! Rules shared by several resources: lookups, tag merging, get-or-create discriminators,
//! sorting, date ranges and paged list responses.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::{
    db::Docs,
    error::ApiError,
    pages::{self, Order, Selection, SortField},
    query,
};

use super::Req;

/// A stored resource, or `404 ResourceNotFound` naming it.
pub fn get_or_404(docs: &Docs<'_>, kind: &str, label: &str, id: &str) -> Result<Value, ApiError> {
    docs.get(kind, id)?
        .ok_or_else(|| ApiError::not_found(format!("{label} {id} doesn't exist")))
}

/// Checks that a referenced resource exists (`404 ResourceNotFound` otherwise).
pub fn require(docs: &Docs<'_>, kind: &str, label: &str, id: Option<&str>) -> Result<(), ApiError> {
    match id {
        Some(id) => get_or_404(docs, kind, label, id).map(|_| ()),
        None => Ok(()),
    }
}

/// Merges `update` into `doc[field]`: keys set, keys with an empty value removed.
pub fn merge_map(doc: &mut Value, field: &str, update: &BTreeMap<String, String>) {
    if !doc[field].is_object() {
        doc[field] = json!({});
    }
    let map = doc[field].as_object_mut().expect("object");
    for (k, v) in update {
        if v.is_empty() {
            map.remove(k);
        } else {
            map.insert(k.clone(), json!(v));
        }
    }
}

/// The get-or-create rule: without `discriminate_by` every given tag must match the
/// resource's value; with it, only the listed tags (a listed tag missing from `given` must be
/// missing on the resource too).
pub fn discriminator_matches(
    existing: &Value,
    given: &BTreeMap<String, String>,
    discriminate_by: &[String],
) -> bool {
    let actual = |k: &str| {
        existing
            .get(k)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
    };
    let wanted = |k: &str| given.get(k).map(String::as_str).filter(|v| !v.is_empty());
    if discriminate_by.is_empty() {
        given.iter().all(|(k, _)| actual(k) == wanted(k))
    } else {
        discriminate_by.iter().all(|k| actual(k) == wanted(k))
    }
}

/// The tags the get-or-create rule compares by value (all given ones, or only the
/// discriminators): the candidates a tag index lookup can narrow to. Tags given empty must be
/// absent on the match; [`discriminator_matches`] checks those.
pub fn discriminating_tags<'a>(
    given: &'a BTreeMap<String, String>,
    discriminate_by: &'a [String],
) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
    given
        .iter()
        .filter(move |(k, _)| discriminate_by.is_empty() || discriminate_by.contains(k))
        .map(|(k, v)| (k.as_str(), v.as_str()))
}

/// The oldest document of `kind` (under `parent`) that the get-or-create rule matches for
/// `tags` and `discriminate_by`, and that `also` accepts; looked up through the tag index.
pub fn find_existing(
    docs: &Docs<'_>,
    kind: &str,
    parent: Option<&str>,
    tags: &BTreeMap<String, String>,
    discriminate_by: &[String],
    mut also: impl FnMut(&Value) -> Result<bool, ApiError>,
) -> Result<Option<Value>, ApiError> {
    let selection = Selection::of(kind)
        .under(parent)
        .with_tags(discriminating_tags(tags, discriminate_by));
    pages::first(docs, &selection, |doc| {
        Ok(discriminator_matches(&doc["tags"], tags, discriminate_by) && also(doc)?)
    })
}

/// The page order a list query asks for with `sortField` (default `createdAt`) and
/// `sortDirection` (default `desc`), when the field is a timestamp.
pub fn order_from_query(req: &Req) -> Option<Order> {
    Some(Order {
        field: SortField::parse(req.query_str("sortField").unwrap_or("createdAt"))?,
        descending: req.query_str("sortDirection").unwrap_or("desc") == "desc",
    })
}

/// `{<key>: page, meta: {nextToken?}}`: a keyset page of the selected documents in `order`
/// ([`pages::page`]), `keep` filtering and shaping each.
pub fn paged(
    key: &str,
    docs: &Docs<'_>,
    selection: &Selection<'_>,
    order: Order,
    req: &Req,
    keep: impl FnMut(Value) -> Result<Option<Value>, ApiError>,
) -> Result<Value, ApiError> {
    let (items, next) = pages::page(docs, selection, order, &req.query, keep)?;
    Ok(json!({ key: items, "meta": query::list_meta(next) }))
}

/// Sorts by a string field (ISO timestamps sort as text). `items` come in creation order;
/// ties keep it (ascending) or reverse it (descending), so that most recent comes first even
/// within one millisecond.
pub fn sort_by_field(items: &mut [Value], field: &str, descending: bool) {
    if descending {
        items.reverse();
    }
    items.sort_by(|a, b| {
        let (x, y) = (
            a[field].as_str().unwrap_or_default(),
            b[field].as_str().unwrap_or_default(),
        );
        if descending { y.cmp(x) } else { x.cmp(y) }
    });
}

/// Keeps items whose `field` lies within the inclusive `afterDate` / `beforeDate` bounds.
pub fn in_date_range(item: &Value, field: &str, req: &Req) -> Result<bool, ApiError> {
    let at = item[field].as_str().and_then(crate::ids::parse_time);
    for (name, after) in [("afterDate", true), ("beforeDate", false)] {
        let Some(bound) = req.query_str(name) else {
            continue;
        };
        let bound = crate::ids::parse_time(bound).ok_or_else(|| {
            ApiError::invalid_payload(format!("query.{name}: `{bound}` is not an ISO 8601 date"))
        })?;
        match at {
            Some(at) if (after && at < bound) || (!after && at > bound) => return Ok(false),
            _ => {}
        }
    }
    Ok(true)
}

/// `{<key>: page, meta: {nextToken?}}` from all matching items (already filtered and sorted).
pub fn list_response(key: &str, items: Vec<Value>, req: &Req) -> Result<Value, ApiError> {
    let (page, next) = query::page(items, &req.query, "pageSize")?;
    Ok(json!({ key: page, "meta": query::list_meta(next) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn without_discriminators_all_given_tags_must_match() {
        let existing = json!({"a": "1", "b": "2"});
        assert!(discriminator_matches(
            &existing,
            &map(&[("a", "1"), ("b", "2")]),
            &[]
        ));
        assert!(!discriminator_matches(
            &existing,
            &map(&[("a", "1"), ("b", "3")]),
            &[]
        ));
        assert!(discriminator_matches(
            &existing,
            &map(&[("a", "1"), ("b", "3")]),
            &["a".into()]
        ));
        assert!(discriminator_matches(
            &existing,
            &map(&[("a", "1")]),
            &["c".into(), "a".into()]
        ));
        assert!(!discriminator_matches(
            &existing,
            &map(&[("c", "1")]),
            &["c".into()]
        ));
    }

    #[test]
    fn empty_values_unset_keys() {
        let mut doc = json!({"tags": {"a": "1", "b": "2"}});
        merge_map(&mut doc, "tags", &map(&[("a", ""), ("c", "3")]));
        assert_eq!(doc["tags"], json!({"b": "2", "c": "3"}));
    }
}
