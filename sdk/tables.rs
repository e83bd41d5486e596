//! Typed tables: a Rust struct is a Botpress table.
//!
//! `client.table::<T>(name)` gets or creates the table with the columns that
//! [schemars](https://docs.rs/schemars) derives from `T` (see [`table_schema`]); rows go in
//! as `T` and come out as [`TableRow<T>`] (the row id and timestamps beside the data).
//! Queries filter with [`Filter`], whose column names are checked against `T`'s schema
//! before anything is sent.
//!
//! ```no_run
//! use botpress::tables::{Filter, Query};
//! use futures::TryStreamExt;
//! use schemars::JsonSchema;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize, JsonSchema, Debug)]
//! struct Order {
//!     sku: String,
//!     total: f64,
//!     paid: bool,
//! }
//!
//! # async fn demo(client: &botpress::Client) -> botpress::Result<()> {
//! let orders = client.table::<Order>("ordersTable").await?;
//! let inserted = orders.insert(&[Order { sku: "A-1".into(), total: 12.5, paid: false }]).await?;
//! println!("row {} created at {:?}", inserted[0].id, inserted[0].created_at);
//!
//! let big_unpaid = Query::new()
//!     .filter(Filter::column("total").gte(10).and(Filter::column("paid").eq(false)))
//!     .order_by("createdAt", true);
//! for row in orders.find(&big_unpaid).await? {
//!     println!("{} {:?}", row.id, row.data);
//! }
//! let all: Vec<_> = orders.stream(&Query::new())?.try_collect().await?;
//!
//! // A column the struct does not have is an error before any request:
//! assert!(orders.find(&Query::new().filter(Filter::column("totl").gt(1))).await.is_err());
//! # Ok(()) }
//! ```
//!
//! # Writes of more than 1,000 rows
//!
//! The service takes at most 1,000 rows (or ids) per call. [`TypedTable::insert`],
//! [`upsert`](TypedTable::upsert), [`update`](TypedTable::update) and
//! [`delete`](TypedTable::delete) take any number and send them in calls of 1,000, in order,
//! one after the other. Such a write is **not atomic across batches**: when a call fails, the
//! batches before it stay written, later ones are not sent, and the error's message says
//! which batch failed and how many rows were written before it. Every row is encoded and
//! checked against the table's row size limit (4 KiB × its `factor`) before the first call,
//! so a row that is too big fails the write with
//! [`ErrorKind::LimitExceeded`] and nothing sent (unless
//! [`local_limits`](crate::ClientBuilder::local_limits) is off).

use std::collections::BTreeSet;
use std::marker::PhantomData;

use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::get_or_create::GetOrCreate;
use crate::helper_error::{decode, invalid_input, json_kind, require_non_empty};
use crate::paginate::Paginate;
use crate::{Client, ErrorKind, types};

/// Columns every row has, managed by the service.
pub const SYSTEM_COLUMNS: [&str; 3] = ["id", "createdAt", "updatedAt"];

/// The most columns a table may have.
pub const MAX_COLUMNS: usize = 20;

/// A row of a typed table: its id and timestamps, and the data as `T`.
#[derive(Clone, Debug, PartialEq)]
pub struct TableRow<T> {
    /// The row id (an integer assigned by the service).
    pub id: i64,
    /// When the row was created.
    pub created_at: Option<DateTime<Utc>>,
    /// When the row was last updated.
    pub updated_at: Option<DateTime<Utc>>,
    /// The row's columns.
    pub data: T,
}

/// The table schema for `T`, in the form Botpress tables take:
/// `{"type":"object","properties":{<column>:{"type":"string"|"number"|"boolean"|"object"|"array",…}},"required":[…]}`.
///
/// Integers become `number`; `Option<_>` fields become `nullable: true` (and are not
/// required); enums of strings keep their `enum` values; `format: date-time` (e.g. a
/// `chrono::DateTime` field) and doc comments (`description`) are kept; nested structs are `object` columns with their
/// properties, lists are `array` columns with their `items`. A type that is not a struct
/// with named fields, a field with no JSON type (e.g. an untagged enum of mixed types), or
/// more than [`MAX_COLUMNS`] columns is an error.
///
/// ```
/// #[derive(schemars::JsonSchema, serde::Serialize)]
/// struct Product {
///     /// Stock keeping unit.
///     sku: String,
///     price: u32,
///     discontinued: Option<bool>,
/// }
/// let schema = botpress::tables::table_schema::<Product>().unwrap();
/// assert_eq!(
///     serde_json::Value::Object(schema),
///     serde_json::json!({
///         "type": "object",
///         "properties": {
///             "sku": {"type": "string", "description": "Stock keeping unit."},
///             "price": {"type": "number"},
///             "discontinued": {"type": "boolean", "nullable": true}
///         },
///         "required": ["sku", "price"]
///     })
/// );
/// ```
pub fn table_schema<T: JsonSchema>() -> crate::Result<Map<String, Value>> {
    let schema = schemars::generate::SchemaSettings::draft07()
        .with(|s| s.inline_subschemas = true)
        .into_generator()
        .into_root_schema_for::<T>();
    let root = schema.as_value();
    let type_name = std::any::type_name::<T>();
    let properties = root
        .get("properties")
        .and_then(Value::as_object)
        .filter(|_| root.get("type") == Some(&json!("object")))
        .ok_or_else(|| {
            invalid_input(format!(
                "`{type_name}` is not a struct with named fields, so it cannot be a table"
            ))
        })?;
    if properties.len() > MAX_COLUMNS {
        return Err(invalid_input(format!(
            "`{type_name}` has {} columns; a table has at most {MAX_COLUMNS}",
            properties.len()
        )));
    }
    let mut columns = Map::new();
    for (name, property) in properties {
        let column = column(property)
            .map_err(|why| invalid_input(format!("`{type_name}` column `{name}`: {why}")))?;
        columns.insert(name.clone(), column);
    }
    let mut out = Map::new();
    out.insert("type".into(), json!("object"));
    out.insert("properties".into(), Value::Object(columns));
    if let Some(required) = root
        .get("required")
        .filter(|r| r.as_array().is_some_and(|a| !a.is_empty()))
    {
        out.insert("required".into(), required.clone());
    }
    Ok(out)
}

/// One property of a schemars schema as a Botpress column schema.
fn column(schema: &Value) -> Result<Value, String> {
    let mut nullable = false;
    // `Option<Struct>` and friends: `anyOf: [X, {type: null}]`.
    let mut schema = schema.clone();
    for combinator in ["anyOf", "oneOf"] {
        if let Some(options) = schema.get(combinator).and_then(Value::as_array) {
            let (nulls, rest): (Vec<&Value>, Vec<&Value>) = options
                .iter()
                .partition(|o| o.get("type") == Some(&json!("null")));
            if let [only] = rest.as_slice() {
                nullable |= !nulls.is_empty();
                let mut merged = (*only).clone();
                if let (Some(m), Some(d)) = (merged.as_object_mut(), schema.get("description")) {
                    m.entry("description").or_insert(d.clone());
                }
                schema = merged;
            } else if rest
                .iter()
                .all(|o| o.get("const").is_some_and(Value::is_string) || o.get("enum").is_some())
            {
                // An enum of unit variants written as `oneOf` of constants.
                let values: Vec<Value> = rest
                    .iter()
                    .flat_map(|o| match o.get("enum").and_then(Value::as_array) {
                        Some(values) => values.clone(),
                        None => o.get("const").cloned().into_iter().collect(),
                    })
                    .collect();
                schema = json!({"type": "string", "enum": values});
            } else {
                return Err(format!(
                    "`{combinator}` of several types has no table column type"
                ));
            }
        }
    }
    let types: Vec<&str> =
        match schema.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ if schema.get("enum").is_some() => vec!["string"],
            _ => return Err(
                "no JSON type (a table column must be a string, number, boolean, object or array)"
                    .into(),
            ),
        };
    nullable |= types.contains(&"null");
    let kinds: Vec<&str> = types.into_iter().filter(|t| *t != "null").collect();
    let kind = match kinds.as_slice() {
        ["integer"] | ["number"] => "number",
        [k @ ("string" | "boolean" | "object" | "array")] => k,
        other => {
            return Err(format!(
                "the JSON types {other:?} have no table column type"
            ));
        }
    };
    let mut out = Map::new();
    out.insert("type".into(), json!(kind));
    // Botpress columns know one format, `date-time` (numeric formats such as `uint32` are
    // schemars' and mean nothing to the service).
    if let Some(format) = schema.get("format").filter(|f| *f == "date-time") {
        out.insert("format".into(), format.clone());
    }
    for key in ["description", "enum", "pattern"] {
        if let Some(v) = schema.get(key) {
            let v = if key == "enum" {
                Value::Array(
                    v.as_array()
                        .into_iter()
                        .flatten()
                        .filter(|x| !x.is_null())
                        .cloned()
                        .collect(),
                )
            } else {
                v.clone()
            };
            out.insert(key.into(), v);
        }
    }
    if kind == "array"
        && let Some(items) = schema.get("items")
    {
        out.insert("items".into(), column(items)?);
    }
    if kind == "object"
        && let Some(props) = schema.get("properties").and_then(Value::as_object)
    {
        let mut nested = Map::new();
        for (name, p) in props {
            nested.insert(
                name.clone(),
                column(p).map_err(|why| format!("`{name}`: {why}"))?,
            );
        }
        out.insert("properties".into(), Value::Object(nested));
    }
    if nullable {
        out.insert("nullable".into(), json!(true));
    }
    Ok(Value::Object(out))
}

/// A filter in the tables filter language. Build with [`Filter::column`] and combine with
/// [`and`](Filter::and), [`or`](Filter::or), [`not`](Filter::not).
///
/// ```
/// use botpress::tables::Filter;
/// let f = Filter::column("total").gte(10).and(Filter::column("sku").is_in(["A", "B"]));
/// assert_eq!(
///     f.to_json(),
///     serde_json::json!({"$and": [{"total": {"$gte": 10}}, {"sku": {"$in": ["A", "B"]}}]})
/// );
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    /// `{column: {operator: value, …}}`.
    Column {
        /// The column (a dotted path into an object column is allowed).
        name: String,
        /// Operators and operands, e.g. `[("$gt", 10)]`.
        ops: Vec<(&'static str, Value)>,
    },
    /// `{"$and": [..]}`: all must match.
    And(Vec<Filter>),
    /// `{"$or": [..]}`: one must match.
    Or(Vec<Filter>),
    /// `{"$not": ..}`: must not match.
    Not(Box<Filter>),
}

/// A column being compared; see [`Filter::column`].
#[derive(Clone, Debug)]
pub struct Column(String);

fn to_value<V: Serialize>(v: V) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

impl Column {
    fn op(self, op: &'static str, value: Value) -> Filter {
        Filter::Column {
            name: self.0,
            ops: vec![(op, value)],
        }
    }
    /// `$eq`: equal to `v`.
    pub fn eq<V: Serialize>(self, v: V) -> Filter {
        self.op("$eq", to_value(v))
    }
    /// `$ne`: not equal to `v`.
    pub fn ne<V: Serialize>(self, v: V) -> Filter {
        self.op("$ne", to_value(v))
    }
    /// `$gt`: greater than `v`.
    pub fn gt<V: Serialize>(self, v: V) -> Filter {
        self.op("$gt", to_value(v))
    }
    /// `$gte`: greater than or equal to `v`.
    pub fn gte<V: Serialize>(self, v: V) -> Filter {
        self.op("$gte", to_value(v))
    }
    /// `$lt`: less than `v`.
    pub fn lt<V: Serialize>(self, v: V) -> Filter {
        self.op("$lt", to_value(v))
    }
    /// `$lte`: less than or equal to `v`.
    pub fn lte<V: Serialize>(self, v: V) -> Filter {
        self.op("$lte", to_value(v))
    }
    /// `$in`: one of `values`.
    pub fn is_in<V: Serialize>(self, values: impl IntoIterator<Item = V>) -> Filter {
        self.op(
            "$in",
            Value::Array(values.into_iter().map(to_value).collect()),
        )
    }
    /// `$nin`: none of `values`.
    pub fn not_in<V: Serialize>(self, values: impl IntoIterator<Item = V>) -> Filter {
        self.op(
            "$nin",
            Value::Array(values.into_iter().map(to_value).collect()),
        )
    }
    /// `$exists`: the column has a value (`true`) or not (`false`).
    pub fn exists(self, exists: bool) -> Filter {
        self.op("$exists", json!(exists))
    }
    /// `$regex` with `$options` (`"i"` case-insensitive, `"c"` case-sensitive, `""` none).
    pub fn regex(self, pattern: impl Into<String>, options: &str) -> Filter {
        let mut ops = vec![("$regex", json!(pattern.into()))];
        if !options.is_empty() {
            ops.push(("$options", json!(options)));
        }
        Filter::Column { name: self.0, ops }
    }
}

impl Filter {
    /// The column `name` (checked against the table's schema when the query runs).
    pub fn column(name: impl Into<String>) -> Column {
        Column(name.into())
    }

    /// Both this and `other`.
    pub fn and(self, other: Filter) -> Filter {
        match self {
            Filter::And(mut all) => {
                all.push(other);
                Filter::And(all)
            }
            first => Filter::And(vec![first, other]),
        }
    }

    /// This or `other`.
    pub fn or(self, other: Filter) -> Filter {
        match self {
            Filter::Or(mut any) => {
                any.push(other);
                Filter::Or(any)
            }
            first => Filter::Or(vec![first, other]),
        }
    }

    /// All of `filters`.
    pub fn all(filters: impl IntoIterator<Item = Filter>) -> Filter {
        Filter::And(filters.into_iter().collect())
    }

    /// Any of `filters`.
    pub fn any(filters: impl IntoIterator<Item = Filter>) -> Filter {
        Filter::Or(filters.into_iter().collect())
    }

    /// Not `filter`.
    #[allow(clippy::should_implement_trait)]
    pub fn not(filter: Filter) -> Filter {
        Filter::Not(Box::new(filter))
    }

    /// The filter in the wire's filter language.
    pub fn to_json(&self) -> Value {
        match self {
            Filter::Column { name, ops } => {
                let ops: Map<String, Value> = ops
                    .iter()
                    .map(|(k, v)| ((*k).to_string(), v.clone()))
                    .collect();
                json!({ name.clone(): ops })
            }
            Filter::And(all) => {
                json!({"$and": all.iter().map(Filter::to_json).collect::<Vec<_>>()})
            }
            Filter::Or(any) => json!({"$or": any.iter().map(Filter::to_json).collect::<Vec<_>>()}),
            Filter::Not(f) => json!({"$not": f.to_json()}),
        }
    }

    /// Every column name the filter compares.
    fn columns<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Filter::Column { name, .. } => out.push(name),
            Filter::And(fs) | Filter::Or(fs) => fs.iter().for_each(|f| f.columns(out)),
            Filter::Not(f) => f.columns(out),
        }
    }
}

/// What to find: filter, order, search, columns, window. `Query::new()` finds everything.
#[derive(Clone, Debug, Default)]
pub struct Query {
    filter: Option<Filter>,
    order_by: Option<(String, bool)>,
    search: Option<String>,
    select: Vec<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

impl Query {
    /// Every row.
    pub fn new() -> Self {
        Self::default()
    }
    /// Only rows matching `filter`.
    pub fn filter(mut self, filter: Filter) -> Self {
        self.filter = Some(filter);
        self
    }
    /// Ordered by `column` (`id` by default), descending when `descending`.
    pub fn order_by(mut self, column: impl Into<String>, descending: bool) -> Self {
        self.order_by = Some((column.into(), descending));
        self
    }
    /// Semantic search over the searchable columns (non-matching rows are returned too).
    pub fn search(mut self, text: impl Into<String>) -> Self {
        self.search = Some(text.into());
        self
    }
    /// Only these columns (system columns are always returned).
    pub fn select<S: Into<String>>(mut self, columns: impl IntoIterator<Item = S>) -> Self {
        self.select = columns.into_iter().map(Into::into).collect();
        self
    }
    /// Rows per request (1..=1000; the service's default is 100).
    pub fn limit(mut self, limit: i64) -> Self {
        self.limit = Some(limit);
        self
    }
    /// Rows to skip.
    pub fn offset(mut self, offset: i64) -> Self {
        self.offset = Some(offset);
        self
    }
}

/// A table whose rows are `T`; see [`Client::table`] and the [module docs](self).
pub struct TypedTable<'c, T> {
    client: &'c Client,
    table: types::Table,
    created: bool,
    columns: BTreeSet<String>,
    rows: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for TypedTable<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TypedTable")
            .field("name", &self.table.name)
            .field("id", &self.table.id)
            .field("columns", &self.columns)
            .field("rows", &std::any::type_name::<T>())
            .finish()
    }
}

impl Client {
    /// The table `name` with rows of type `T`: gets it, or creates it with the schema
    /// [`table_schema::<T>()`](table_schema) (`getOrCreateTable`). An existing table keeps
    /// its schema. An empty name or a `T` that cannot be a table is an error before any
    /// request.
    pub async fn table<T>(&self, name: &str) -> crate::Result<TypedTable<'_, T>>
    where
        T: Serialize + DeserializeOwned + JsonSchema,
    {
        require_non_empty("table name", name)?;
        let schema = table_schema::<T>()?;
        let columns = schema["properties"]
            .as_object()
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
        let (table, created) = self
            .get_or_create_table()
            .table(name)
            .schema(schema)
            .send_created()
            .await?;
        Ok(TypedTable {
            client: self,
            table,
            created,
            columns,
            rows: PhantomData,
        })
    }
}

impl<T> TypedTable<'_, T>
where
    T: Serialize + DeserializeOwned,
{
    /// The table as the service returned it.
    pub fn info(&self) -> &types::Table {
        &self.table
    }

    /// Whether [`Client::table`] created the table.
    pub fn created(&self) -> bool {
        self.created
    }

    /// The table's name.
    pub fn name(&self) -> &str {
        &self.table.name
    }

    fn encode(row: &T) -> crate::Result<Map<String, Value>> {
        match serde_json::to_value(row) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(other) => Err(invalid_input(format!(
                "a table row must serialize to a JSON object, not {}",
                json_kind(&other)
            ))),
            Err(e) => Err(invalid_input(format!(
                "a table row does not encode to JSON: {e}"
            ))),
        }
    }

    fn decode(row: types::Row) -> crate::Result<TableRow<T>> {
        let data = decode(&format!("table row {}", row.id), Value::Object(row.extra))?;
        Ok(TableRow {
            id: row.id,
            created_at: row.created_at,
            updated_at: row.updated_at,
            data,
        })
    }

    fn decode_all(rows: Vec<types::Row>, errors: Vec<String>) -> crate::Result<Vec<TableRow<T>>> {
        if !errors.is_empty() {
            return Err(invalid_input(format!(
                "the service rejected rows: {}",
                errors.join("; ")
            )));
        }
        rows.into_iter().map(Self::decode).collect()
    }

    /// Encodes `rows` for a write, refusing (before anything is sent, when local limits are
    /// on) a row whose data is over the table's size limit.
    fn encode_rows<'r, R: 'r>(
        &self,
        rows: impl IntoIterator<Item = &'r R>,
        data: impl Fn(&R) -> &T,
    ) -> crate::Result<Vec<Map<String, Value>>> {
        let local_limits = self.client.transport.shared.local_limits;
        rows.into_iter()
            .enumerate()
            .map(|(index, row)| {
                let map = Self::encode(data(row))?;
                match local_limits
                    .then(|| crate::limits::table_row(index, &map, self.table.factor.unwrap_or(1)))
                    .flatten()
                {
                    Some(over) => Err(crate::Error::other(ErrorKind::LimitExceeded, over)),
                    None => Ok(map),
                }
            })
            .collect()
    }

    /// Checks every column the query names against the schema.
    fn check(&self, query: &Query) -> crate::Result<()> {
        let mut named = Vec::new();
        if let Some(f) = &query.filter {
            f.columns(&mut named);
        }
        if let Some((column, _)) = &query.order_by {
            named.push(column);
        }
        named.extend(query.select.iter().map(String::as_str));
        for name in named {
            let root = name.split('.').next().unwrap_or_default();
            if !self.columns.contains(root) && !SYSTEM_COLUMNS.contains(&root) {
                return Err(invalid_input(format!(
                    "table `{}` has no column `{name}` (columns: {}; system: {})",
                    self.name(),
                    self.columns.iter().cloned().collect::<Vec<_>>().join(", "),
                    SYSTEM_COLUMNS.join(", ")
                )));
            }
        }
        Ok(())
    }

    fn find_request(&self, query: &Query) -> crate::operations::FindTableRows {
        let query = query.clone();
        self.client
            .find_table_rows()
            .table(self.name())
            .body_map(move |mut b| {
                if let Some(Value::Object(filter)) = query.filter.as_ref().map(Filter::to_json) {
                    b = b.filter(filter);
                }
                if let Some((column, descending)) = query.order_by {
                    let direction = if descending {
                        types::SortDirection::Desc
                    } else {
                        types::SortDirection::Asc
                    };
                    b = b.order_by(column).order_direction(direction);
                }
                if !query.select.is_empty() {
                    b = b.select(query.select);
                }
                b.set_search(query.search)
                    .set_limit(query.limit)
                    .set_offset(query.offset)
            })
    }

    /// Inserts `rows` (`createTableRows`); returns them as stored, in order.
    ///
    /// More than 1,000 rows go in [batches](self#writes-of-more-than-1000-rows); no rows
    /// send nothing.
    pub async fn insert(&self, rows: &[T]) -> crate::Result<Vec<TableRow<T>>> {
        let rows = self.encode_rows(rows, |r| r)?;
        let stored = in_batches(rows, |batch| async move {
            let response = self
                .client
                .create_table_rows()
                .table(self.name())
                .rows(batch)
                .send()
                .await?;
            Self::decode_all(response.rows, response.errors)
        })
        .await?;
        Ok(stored.into_iter().flatten().collect())
    }

    /// Inserts or updates `rows`, matched on `key_column` (`upsertTableRows`); returns
    /// `(inserted, updated)`.
    ///
    /// More than 1,000 rows go in [batches](self#writes-of-more-than-1000-rows); no rows
    /// send nothing.
    pub async fn upsert(
        &self,
        rows: &[T],
        key_column: &str,
    ) -> crate::Result<(Vec<TableRow<T>>, Vec<TableRow<T>>)> {
        if !self.columns.contains(key_column) && key_column != "id" {
            return Err(invalid_input(format!(
                "table `{}` has no column `{key_column}` to upsert on",
                self.name()
            )));
        }
        let rows = self
            .encode_rows(rows, |r| r)?
            .into_iter()
            .map(|extra| types::UpsertTableRowsBodyRowsItem { id: None, extra })
            .collect();
        let batches = in_batches(rows, |batch| async move {
            let response = self
                .client
                .upsert_table_rows()
                .table(self.name())
                .rows(batch)
                .key_column(key_column)
                .send()
                .await?;
            if !response.errors.is_empty() {
                return Self::decode_all(Vec::new(), response.errors).map(|_| Default::default());
            }
            Ok((
                Self::decode_all(response.inserted, Vec::new())?,
                Self::decode_all(response.updated, Vec::new())?,
            ))
        })
        .await?;
        Ok(batches.into_iter().fold(
            Default::default(),
            |(mut inserted, mut updated): (Vec<_>, Vec<_>), (i, u)| {
                inserted.extend(i);
                updated.extend(u);
                (inserted, updated)
            },
        ))
    }

    /// Updates rows by id with their `data` (`updateTableRows`); returns them as stored.
    ///
    /// More than 1,000 rows go in [batches](self#writes-of-more-than-1000-rows); no rows
    /// send nothing.
    pub async fn update(&self, rows: &[TableRow<T>]) -> crate::Result<Vec<TableRow<T>>> {
        let rows = self
            .encode_rows(rows, |r| &r.data)?
            .into_iter()
            .zip(rows)
            .map(|(extra, r)| types::UpdateTableRowsBodyRowsItem { id: r.id, extra })
            .collect();
        let stored = in_batches(rows, |batch| async move {
            let response = self
                .client
                .update_table_rows()
                .table(self.name())
                .rows(batch)
                .send()
                .await?;
            Self::decode_all(response.rows, response.errors)
        })
        .await?;
        Ok(stored.into_iter().flatten().collect())
    }

    /// Deletes the rows with these ids (`deleteTableRows`); returns how many were deleted.
    ///
    /// More than 1,000 ids go in [batches](self#writes-of-more-than-1000-rows); no ids
    /// send nothing.
    pub async fn delete(&self, ids: &[i64]) -> crate::Result<i64> {
        let deleted = in_batches(ids.to_vec(), |batch| async move {
            let response = self
                .client
                .delete_table_rows()
                .table(self.name())
                .ids(batch)
                .send()
                .await?;
            Ok(response.deleted_rows)
        })
        .await?;
        Ok(deleted.into_iter().sum())
    }

    /// Deletes the rows matching `filter`; returns how many were deleted.
    pub async fn delete_where(&self, filter: &Filter) -> crate::Result<i64> {
        self.check(&Query::new().filter(filter.clone()))?;
        let Value::Object(filter) = filter.to_json() else {
            unreachable!("a filter is a JSON object")
        };
        let response = self
            .client
            .delete_table_rows()
            .table(self.name())
            .filter(filter)
            .send()
            .await?;
        Ok(response.deleted_rows)
    }

    /// The row `id`, or `None` when there is none (the service's `404`).
    pub async fn get(&self, id: i64) -> crate::Result<Option<TableRow<T>>> {
        match self
            .client
            .get_table_row()
            .table(self.name())
            .id(id)
            .send()
            .await
        {
            Ok(response) => Self::decode(response.row).map(Some),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// One request's worth of rows matching `query` (see [`stream`](Self::stream) for all).
    pub async fn find(&self, query: &Query) -> crate::Result<Vec<TableRow<T>>> {
        self.check(query)?;
        let response = self.find_request(query).send().await?;
        Self::decode_all(response.rows, Vec::new())
    }

    /// Every row matching `query`, as a lazy stream paging by offset (`query`'s limit is
    /// the page size). Column names are checked before the stream is returned.
    pub fn stream(
        &self,
        query: &Query,
    ) -> crate::Result<impl Stream<Item = crate::Result<TableRow<T>>> + Send + '_>
    where
        T: Send + 'static,
    {
        self.check(query)?;
        Ok(self
            .find_request(query)
            .stream()
            .map(|row| row.and_then(Self::decode)))
    }
}

/// Sends `items` in calls of at most [`TABLE_ROWS_PER_CALL`](crate::limits::TABLE_ROWS_PER_CALL),
/// in order, one call after the other, and returns each call's result. A failed call ends the
/// write: its error says which batch failed and how many items the earlier calls wrote (a
/// write in one call keeps its error as it is). No items make no call.
async fn in_batches<I, R, F, Fut>(items: Vec<I>, mut send: F) -> crate::Result<Vec<R>>
where
    F: FnMut(Vec<I>) -> Fut,
    Fut: Future<Output = crate::Result<R>>,
{
    let per_call = crate::limits::TABLE_ROWS_PER_CALL;
    let total = items.len();
    let calls = total.div_ceil(per_call);
    let mut items = items.into_iter();
    let mut results = Vec::with_capacity(calls);
    for call in 0..calls {
        let batch: Vec<I> = items.by_ref().take(per_call).collect();
        let first = call * per_call;
        let len = batch.len();
        match send(batch).await {
            Ok(result) => results.push(result),
            Err(e) if calls == 1 => return Err(e),
            Err(e) => {
                return Err(e.preceded_by(format!(
                    "batch {} of {calls} (items {first}..{}) failed, {first} of the {total} \
                     items were written by the batches before it",
                    call + 1,
                    first + len
                )));
            }
        }
    }
    Ok(results)
}
