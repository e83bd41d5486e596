//! Pages and lookups over documents, answered by indexes so that their cost follows what they
//! return, not how many documents of the kind exist.
//!
//! - A [`Selection`] names the documents: a kind, optionally a parent (a conversation's
//!   messages) and exact tag values, which the tag index `doc_tags` answers.
//! - [`page`] reads them in the order of a timestamp (`createdAt` or `updatedAt`, ties in
//!   creation order) from an index on it, starting after the `nextToken` of the previous page:
//!   a keyset token holding the sort value and position of the last document answered
//!   (`after:<seq>:<value as JSON>`), so pages stay correct while documents are added or
//!   deleted. The remaining filters run on the documents read, until the page is full.
//! - [`first`] finds the oldest selected document a filter accepts (get-or-create).

use rusqlite::types::Value as SqlValue;
use serde_json::{Map, Value};

use crate::{
    db::{Docs, decode},
    error::ApiError,
    query,
};

/// Which documents to read.
#[derive(Debug, Clone, Default)]
pub struct Selection<'a> {
    /// Their kind.
    pub kind: &'a str,
    /// Their parent, if any.
    pub parent: Option<&'a str>,
    /// Tags they must all have, with exactly these values.
    pub tags: Vec<(&'a str, &'a str)>,
}

impl<'a> Selection<'a> {
    /// Every document of `kind`.
    pub fn of(kind: &'a str) -> Self {
        Self {
            kind,
            ..Self::default()
        }
    }

    /// Only those under `parent`.
    pub fn under(mut self, parent: Option<&'a str>) -> Self {
        self.parent = parent;
        self
    }

    /// Only those with every tag of a runtime tags filter (`{key: value}`; other values are
    /// ignored here and must be checked by the caller's filter).
    pub fn tagged(mut self, filter: Option<&'a Value>) -> Self {
        if let Some(Value::Object(tags)) = filter {
            self.tags.extend(
                tags.iter()
                    .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?))),
            );
        }
        self
    }

    /// Only those with these tags (pairs with an empty value are left to the caller).
    pub fn with_tags(mut self, tags: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        self.tags
            .extend(tags.into_iter().filter(|(_, v)| !v.is_empty()));
        self
    }

    /// The `FROM` and `WHERE` clauses reading the selected documents of `bot_id` as `d`, and
    /// their parameters (`?1` the bot, `?2` the kind, then the rest). With tags, the first
    /// tag's entries in `doc_tags` drive the read (`CROSS JOIN` keeps that order: the cost
    /// follows the documents with the tag, not the documents of the kind) and the others are
    /// probed per document.
    fn clauses(&self, bot_id: &str) -> (String, String, Vec<SqlValue>) {
        let mut params = vec![
            SqlValue::Text(bot_id.to_string()),
            SqlValue::Text(self.kind.to_string()),
        ];
        let bind = |params: &mut Vec<SqlValue>, v: SqlValue| {
            params.push(v);
            format!("?{}", params.len())
        };
        let mut from = String::from("docs d");
        let mut conditions = String::from("d.bot_id = ?1 AND d.kind = ?2");
        if let Some(parent) = self.parent {
            let p = bind(&mut params, SqlValue::Text(parent.to_string()));
            conditions.push_str(&format!(" AND d.parent = {p}"));
        }
        for (i, (key, value)) in self.tags.iter().enumerate() {
            let k = bind(&mut params, SqlValue::Blob(key.as_bytes().to_vec()));
            let v = bind(&mut params, SqlValue::Blob(value.as_bytes().to_vec()));
            let tag = format!(
                "t{i}.bot_id = ?1 AND t{i}.kind = ?2 AND t{i}.key = {k} AND t{i}.value = {v}"
            );
            if i == 0 {
                from = String::from("doc_tags t0 CROSS JOIN docs d ON d.seq = t0.seq");
                conditions.push_str(&format!(" AND {tag}"));
            } else {
                conditions.push_str(&format!(
                    " AND EXISTS (SELECT 1 FROM doc_tags t{i} WHERE {tag} AND t{i}.seq = d.seq)"
                ));
            }
        }
        (from, conditions, params)
    }
}

/// A timestamp field pages are ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    /// `createdAt`.
    CreatedAt,
    /// `updatedAt`.
    UpdatedAt,
}

impl SortField {
    /// The field named `name`, if it is a timestamp pages can be ordered by.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "createdAt" => Some(Self::CreatedAt),
            "updatedAt" => Some(Self::UpdatedAt),
            _ => None,
        }
    }

    /// The column holding the field (copied from the document on every write, indexed).
    fn sql(self) -> &'static str {
        match self {
            Self::CreatedAt => "d.created_at",
            Self::UpdatedAt => "d.updated_at",
        }
    }
}

/// The order of a page.
#[derive(Debug, Clone, Copy)]
pub struct Order {
    /// The field.
    pub field: SortField,
    /// Most recent first.
    pub descending: bool,
}

impl Order {
    /// Most recent first by `createdAt`.
    pub const NEWEST_FIRST: Order = Order {
        field: SortField::CreatedAt,
        descending: true,
    };
}

/// A position in an ordered page: the last document answered (its sort value and creation
/// sequence). Every document of the listed kinds has both timestamps.
#[derive(Debug, Clone, PartialEq)]
struct Cursor {
    seq: i64,
    value: String,
}

impl Cursor {
    fn token(&self) -> String {
        format!("after:{}:{}", self.seq, Value::from(self.value.as_str()))
    }

    fn parse(token: &str) -> Result<Self, ApiError> {
        let bad =
            || ApiError::invalid_query(format!("nextToken `{token}` is not a token this API gave"));
        let rest = token.strip_prefix("after:").ok_or_else(bad)?;
        let (seq, value) = rest.split_once(':').ok_or_else(bad)?;
        let seq = seq.parse::<i64>().map_err(|_| bad())?;
        let Value::String(value) = serde_json::from_str::<Value>(value).map_err(|_| bad())? else {
            return Err(bad());
        };
        Ok(Self { seq, value })
    }
}

/// One page of the selected documents in `order`, after the query's `nextToken`, of the
/// query's `pageSize`: `keep` turns each document read into the item answered, or `None` to
/// skip it. Returns the items and the token of the next page (absent on the last page).
pub fn page(
    docs: &Docs<'_>,
    selection: &Selection<'_>,
    order: Order,
    query: &Map<String, Value>,
    mut keep: impl FnMut(Value) -> Result<Option<Value>, ApiError>,
) -> Result<(Vec<Value>, Option<String>), ApiError> {
    let size = query::page_size(query, "pageSize");
    let after = query
        .get("nextToken")
        .and_then(Value::as_str)
        .map(Cursor::parse)
        .transpose()?;
    let (from, mut sql, mut params) = selection.clauses(docs.bot_id());
    let field = order.field.sql();
    let (cmp, dir) = if order.descending {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    if let Some(cursor) = &after {
        params.push(SqlValue::Text(cursor.value.clone()));
        params.push(SqlValue::Integer(cursor.seq));
        // Row values compare field first, then creation: the index's order.
        sql.push_str(&format!(
            " AND ({field}, d.seq) {cmp} (?{}, ?{})",
            params.len() - 1,
            params.len()
        ));
    }
    let sql = format!(
        "SELECT d.seq, {field}, d.data FROM {from} WHERE {sql} ORDER BY {field} {dir}, d.seq {dir}"
    );
    let mut stmt = docs.conn().prepare_cached(&sql)?;
    let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
    let mut items = Vec::with_capacity(size.min(100));
    let mut last: Option<Cursor> = None;
    while let Some(row) = rows.next()? {
        let seq: i64 = row.get(0)?;
        let value: String = row.get::<_, Option<String>>(1)?.unwrap_or_default();
        let Some(item) = keep(decode(row.get(2)?)?)? else {
            continue;
        };
        if items.len() == size {
            // One more than the page: there is a next page, after the last one answered.
            return Ok((items, last.map(|c| c.token())));
        }
        items.push(item);
        last = Some(Cursor { seq, value });
    }
    Ok((items, None))
}

/// The oldest selected document `accept` takes, if any.
pub fn first(
    docs: &Docs<'_>,
    selection: &Selection<'_>,
    mut accept: impl FnMut(&Value) -> Result<bool, ApiError>,
) -> Result<Option<Value>, ApiError> {
    let (from, conditions, params) = selection.clauses(docs.bot_id());
    let sql = format!("SELECT d.data FROM {from} WHERE {conditions} ORDER BY d.seq");
    let mut stmt = docs.conn().prepare_cached(&sql)?;
    let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
    while let Some(row) = rows.next()? {
        let doc = decode(row.get(0)?)?;
        if accept(&doc)? {
            return Ok(Some(doc));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_strangers_are_refused() {
        for cursor in [
            Cursor {
                seq: 42,
                value: "2024-01-01T00:00:00.000Z".into(),
            },
            Cursor {
                seq: i64::MAX,
                value: String::new(),
            },
            Cursor {
                seq: 1,
                value: "a:b\"c".into(),
            },
        ] {
            assert_eq!(Cursor::parse(&cursor.token()).unwrap(), cursor);
        }
        for token in [
            "page:3",
            "after:x:null",
            "after:1",
            "after:1:3",
            "after:1:null",
            "after:18446744073709551616:null",
        ] {
            assert_eq!(
                Cursor::parse(token).unwrap_err().error_type,
                "InvalidQuery",
                "{token}"
            );
        }
    }
}

#[cfg(test)]
mod plans {
    //! The query plans behind pages and lookups: read from indexes, never a scan of the kind.

    use super::*;
    use crate::db::Store;

    /// The plan of the page query for `selection` in `order`, after a cursor.
    fn plan(selection: &Selection<'_>, order: Order, first_doc: bool) -> String {
        let store = Store::open(None).unwrap();
        store
            .with_tx(|tx| {
                let docs = Docs::new(tx, "bot");
                let (from, conditions, mut params) = selection.clauses("bot");
                let field = order.field.sql();
                let sql = if first_doc {
                    format!("SELECT d.data FROM {from} WHERE {conditions} ORDER BY d.seq")
                } else {
                    params.push(SqlValue::Text("x".into()));
                    params.push(SqlValue::Integer(1));
                    format!(
                        "SELECT d.seq, {field}, d.data FROM {from} WHERE {conditions} \
                         AND ({field}, d.seq) < (?{}, ?{}) ORDER BY {field} DESC, d.seq DESC",
                        params.len() - 1,
                        params.len()
                    )
                };
                let mut stmt = docs.conn().prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
                let lines: Vec<String> = stmt
                    .query_map(rusqlite::params_from_iter(params), |r| r.get(3))?
                    .collect::<rusqlite::Result<_>>()?;
                Ok(lines.join("\n"))
            })
            .unwrap()
    }

    #[test]
    fn pages_read_an_index_in_order() {
        for (selection, index) in [
            (Selection::of("user"), "docs_by_created"),
            (
                Selection::of("message").under(Some("conv_1")),
                "docs_children_by_created",
            ),
        ] {
            let plan = plan(&selection, Order::NEWEST_FIRST, false);
            assert!(plan.contains(index), "{plan}");
            assert!(
                !plan.contains("TEMP B-TREE"),
                "no sort of every document:\n{plan}"
            );
            assert!(!plan.contains("SCAN d"), "{plan}");
        }
        let by_update = Order {
            field: SortField::UpdatedAt,
            descending: true,
        };
        let plan = plan(&Selection::of("user"), by_update, false);
        assert!(plan.contains("docs_by_updated"), "{plan}");
    }

    #[test]
    fn tag_lookups_read_the_tag_index() {
        let tagged = Selection::of("user").with_tags([("k", "v"), ("other", "w")]);
        for first_doc in [true, false] {
            let plan = plan(&tagged, Order::NEWEST_FIRST, first_doc);
            let first_step = plan.lines().next().unwrap_or_default();
            assert!(
                first_step.starts_with("SEARCH t0 USING PRIMARY KEY"),
                "the tag drives the read:\n{plan}"
            );
            assert!(!plan.contains("SCAN"), "{plan}");
        }
    }
}
