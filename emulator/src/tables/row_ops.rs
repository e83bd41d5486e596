//! Row operations: getTableRow, findTableRows, createTableRows, updateTableRows,
//! upsertTableRows, deleteTableRows.
//!
//! Writes validate every row against the schema. A row that fails validation (type, enum,
//! pattern, required, key-column uniqueness, unknown id) is skipped and reported in `errors[]`
//! as `rows[i]: <message naming the column>`, the others are written (partial success); when no
//! row of the call succeeds the call fails with `400 InvalidPayload` carrying those messages. A
//! row above the size limit (4 KB × factor) fails the whole call with `413 LimitExceeded`.

use botpress::types::{
    CreateTableRowsBody, CreateTableRowsResponse, DeleteTableRowsBody, DeleteTableRowsResponse,
    FindTableRowsBody, FindTableRowsResponse, GetTableRowResponse, SortDirection,
    UpdateTableRowsBody, UpdateTableRowsResponse, UpsertTableRowsBody, UpsertTableRowsResponse,
};
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, params_from_iter};
use serde_json::{Map, Value, json};

use super::filter::{self, SqlBuilder, Target};
use super::limits::{
    DEFAULT_FIND_LIMIT, MAX_FIND_OFFSET, MAX_GROUP_OUTPUTS, MAX_SEARCH, MAX_SELECT,
};
use super::schema::Columns;
use super::store::{self, RowRec, TableRec, atomic};
use super::{from_api, to_api};
use crate::error::ApiError;
use crate::ids::now;

/// `getTableRow`: one row by id.
pub fn get_table_row(
    conn: &Connection,
    bot_id: &str,
    table: &str,
    id: i64,
) -> Result<GetTableRowResponse, ApiError> {
    let t = store::get(conn, bot_id, table)?;
    let row = store::get_row(conn, &t.id, id)?.ok_or_else(|| {
        ApiError::not_found(format!("row {id} not found in table \"{}\"", t.name))
    })?;
    to_api(json!({ "row": row.to_json() }))
}

/// `createTableRows`: appends rows with new increasing ids.
pub fn create_table_rows(
    conn: &Connection,
    bot_id: &str,
    table: &str,
    body: CreateTableRowsBody,
) -> Result<CreateTableRowsResponse, ApiError> {
    let t = store::get(conn, bot_id, table)?;
    let cols = t.columns();
    check_count(body.rows.len())?;
    atomic(conn, || {
        let mut out = Outcome::default();
        for (i, input) in body.rows.iter().enumerate() {
            match insert_row(conn, &t, &cols, input, i)? {
                Ok((row, w)) => out.ok(row, w),
                Err(e) => out.errors.push(e),
            }
        }
        out.finish(json!({ "rows": out.rows }))
    })
}

/// `updateTableRows`: merges the given columns into existing rows (by id).
pub fn update_table_rows(
    conn: &Connection,
    bot_id: &str,
    table: &str,
    body: UpdateTableRowsBody,
) -> Result<UpdateTableRowsResponse, ApiError> {
    let t = store::get(conn, bot_id, table)?;
    let cols = t.columns();
    check_count(body.rows.len())?;
    atomic(conn, || {
        let mut out = Outcome::default();
        for (i, item) in body.rows.iter().enumerate() {
            let input = as_object(from_api(item)?);
            let Some(id) = input.get("id").and_then(Value::as_i64) else {
                out.errors
                    .push(format!("rows[{i}]: \"id\" must be an integer"));
                continue;
            };
            match update_row(conn, &t, &cols, id, &input, i)? {
                Ok((row, w)) => out.ok(row, w),
                Err(e) => out.errors.push(e),
            }
        }
        out.finish(json!({ "rows": out.rows }))
    })
}

/// `upsertTableRows`: updates the row matching each row's `keyColumn` value (default `id`), or
/// inserts it when none matches. With `keyColumn` `id`, a row without `id` is inserted and a row
/// whose `id` does not exist is an error; with another key column, a row without a value for it
/// is an error, and so is a value matching several rows.
pub fn upsert_table_rows(
    conn: &Connection,
    bot_id: &str,
    table: &str,
    body: UpsertTableRowsBody,
) -> Result<UpsertTableRowsResponse, ApiError> {
    let t = store::get(conn, bot_id, table)?;
    let cols = t.columns();
    check_count(body.rows.len())?;
    let key = body.key_column.clone().unwrap_or_else(|| "id".into());
    if key != "id" && cols.get(&key).is_none() {
        return Err(ApiError::invalid_payload(format!(
            "keyColumn \"{key}\" is not a column of table \"{}\"",
            t.name
        )));
    }
    atomic(conn, || {
        let mut out = Outcome::default();
        let (mut ins, mut upd) = (Vec::new(), Vec::new());
        for (i, item) in body.rows.iter().enumerate() {
            let input = as_object(from_api(item)?);
            let target = if key == "id" {
                match input.get("id") {
                    None | Some(Value::Null) => None,
                    Some(v) => match v.as_i64() {
                        Some(id) => Some(id),
                        None => {
                            out.errors
                                .push(format!("rows[{i}]: \"id\" must be an integer"));
                            continue;
                        }
                    },
                }
            } else {
                let Some(value) = input.get(&key).filter(|v| !v.is_null()) else {
                    out.errors
                        .push(format!("rows[{i}]: the key column \"{key}\" has no value"));
                    continue;
                };
                match store::rows_with_value(conn, &t, &cols, &key, value)?.as_slice() {
                    [] => None,
                    [id] => Some(*id),
                    many => {
                        out.errors.push(format!(
                            "rows[{i}]: {} rows have the same value in the key column \"{key}\"",
                            many.len()
                        ));
                        continue;
                    }
                }
            };
            let (result, list) = match target {
                Some(id) => (update_row(conn, &t, &cols, id, &input, i)?, &mut upd),
                None => (insert_row(conn, &t, &cols, &input, i)?, &mut ins),
            };
            match result {
                Ok((row, w)) => {
                    list.push(row.clone());
                    out.ok(row, w);
                }
                Err(e) => out.errors.push(e),
            }
        }
        out.finish(json!({ "inserted": ins, "updated": upd }))
    })
}

/// `deleteTableRows`: deletes the rows with the given `ids` and/or matching `filter` (both given:
/// rows matching both), or every row with `deleteAllRows: true`; returns `{deletedRows}`.
pub fn delete_table_rows(
    conn: &Connection,
    bot_id: &str,
    table: &str,
    body: DeleteTableRowsBody,
) -> Result<DeleteTableRowsResponse, ApiError> {
    let t = store::get(conn, bot_id, table)?;
    let ids = body.ids.as_deref().unwrap_or(&[]);
    let row_filter = body.filter.unwrap_or_default();
    if let Some(max) = crate::platform::limits::current().table_rows_per_call
        && ids.len() > max
    {
        return Err(ApiError::invalid_payload(format!(
            "ids: at most {max} ids per call, got {}",
            ids.len()
        )));
    }
    let mut b = SqlBuilder::default();
    let table_id = b.bind(t.id.clone());
    let mut conds = Vec::new();
    if body.delete_all_rows != Some(true) {
        if ids.is_empty() && row_filter.is_empty() {
            return Err(ApiError::invalid_payload(
                "give ids, a filter or deleteAllRows: true",
            ));
        }
        if !ids.is_empty() {
            let ids: Vec<String> = ids.iter().map(|id| b.bind(*id)).collect();
            conds.push(format!("r.id IN ({})", ids.join(", ")));
        }
        if !row_filter.is_empty() {
            conds.push(filter::compile_indexed(
                &row_filter,
                &t.columns(),
                &mut b,
                &table_id,
            )?);
        }
    }
    let cond = if conds.is_empty() {
        "1".to_string()
    } else {
        conds.join(" AND ")
    };
    let sql = format!(
        "DELETE FROM tbl_rows WHERE rowid IN (SELECT r.rowid FROM tbl_rows r WHERE r.table_id = {table_id} AND ({cond}))"
    );
    let deleted = conn.execute(&sql, params_from_iter(b.params()))?;
    to_api(json!({ "deletedRows": deleted }))
}

/// `findTableRows`: filter, search, group, select, order and paginate (offset/limit/hasMore).
pub fn find_table_rows(
    conn: &Connection,
    bot_id: &str,
    table: &str,
    body: FindTableRowsBody,
) -> Result<FindTableRowsResponse, ApiError> {
    let t = store::get(conn, bot_id, table)?;
    let cols = t.columns();
    let max = crate::platform::limits::current()
        .table_find_limit
        .map_or(i64::MAX, |n| i64::try_from(n).unwrap_or(i64::MAX));
    let limit = body.limit.unwrap_or(DEFAULT_FIND_LIMIT.min(max));
    if !(1..=max).contains(&limit) {
        return Err(ApiError::invalid_payload(if max == i64::MAX {
            format!("limit must be 1 or more, got {limit}")
        } else {
            format!("limit must be between 1 and {max}, got {limit}")
        }));
    }
    let offset = body.offset.unwrap_or(0);
    if !(0..=MAX_FIND_OFFSET).contains(&offset) {
        return Err(ApiError::invalid_payload(format!(
            "offset must be between 0 and {MAX_FIND_OFFSET}, got {offset}"
        )));
    }
    if let Some(select) = body.select.as_ref().filter(|s| s.len() > MAX_SELECT) {
        return Err(ApiError::invalid_query(format!(
            "select: at most {MAX_SELECT} columns, got {}",
            select.len()
        )));
    }
    let desc = body.order_direction == Some(SortDirection::Desc);
    let dir = if desc { "DESC" } else { "ASC" };
    let mut b = SqlBuilder::default();
    let table_id = b.bind(t.id.clone());
    let row_filter = body.filter.unwrap_or_default();
    let group = body.group.unwrap_or_default();
    let cond = filter::compile_indexed(&row_filter, &cols, &mut b, &table_id)?;
    if !group.is_empty() {
        return find_groups(conn, &t, &group, (&table_id, &cond, dir, limit, offset), b);
    }
    let order_target = Target::resolve(body.order_by.as_deref().unwrap_or("id"), &cols, "orderBy")?;
    let selected: Vec<Vec<String>> = body
        .select
        .iter()
        .flatten()
        .map(|s| {
            Target::resolve(s, &cols, "select")?;
            Ok(s.split('.').map(String::from).collect())
        })
        .collect::<Result<_, ApiError>>()?;
    let search = match body.search.as_deref() {
        Some(s) if s.chars().count() > MAX_SEARCH => {
            return Err(ApiError::invalid_payload(format!(
                "search has at most {MAX_SEARCH} characters"
            )));
        }
        Some(s) if !s.is_empty() => Some(s),
        _ => None,
    };
    let (sim_col, sim_order) = match search {
        Some(s) => {
            let (s, c) = (
                b.bind(s.to_string()),
                b.bind(json!(cols.search_columns()).to_string()),
            );
            (
                format!(", bp_search({s}, {c}, r.data)"),
                "5 DESC, ".to_string(),
            )
        }
        None => (String::new(), String::new()),
    };
    let order = order_target.value_sql(&mut b);
    let (lim, off) = (b.bind(limit + 1), b.bind(offset));
    let sql = format!(
        "SELECT r.id, r.created_at, r.updated_at, r.data{sim_col} FROM tbl_rows r
         WHERE r.table_id = {table_id} AND ({cond})
         ORDER BY {sim_order}{order} {dir}, r.id {dir} LIMIT {lim} OFFSET {off}"
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt
        .query_map(params_from_iter(b.params()), |r| {
            let row = RowRec::from_sql(r)?;
            let sim: Option<f64> = if search.is_some() { r.get(4)? } else { None };
            Ok((row, sim))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let rows: Vec<Value> = rows
        .into_iter()
        .map(|(row, sim)| {
            let mut out = row.to_json();
            if !selected.is_empty() {
                out = project(&out, &selected);
            }
            if let Some(sim) = sim {
                out["similarity"] = json!(sim);
            }
            out
        })
        .collect();
    to_api(json!({ "rows": rows, "hasMore": has_more, "offset": offset, "limit": limit }))
}

/// Aggregations of `group`, in the order of their output names' suffixes.
const GROUP_OPS: [&str; 6] = ["key", "avg", "max", "min", "sum", "count"];

/// findTableRows with `group`: one result row per distinct combination of the `key` columns (one
/// row in all without keys), ordered by the keys. Output names are the column name plus the
/// capitalised aggregation (`nameKey`, `priceSum`, `priceAvg`, ...); the service's own naming is
/// not documented. Each result row gets `id` = its 1-based position and `computed: {}`.
fn find_groups(
    conn: &Connection,
    t: &TableRec,
    group: &Map<String, Value>,
    (table_id, cond, dir, limit, offset): (&str, &str, &str, i64, i64),
    mut b: SqlBuilder,
) -> Result<FindTableRowsResponse, ApiError> {
    let cols = t.columns();
    let mut select = Vec::new();
    let mut names = Vec::new();
    let mut keys = Vec::new();
    let outputs: usize = group
        .values()
        .map(|spec| spec.as_array().map_or(1, Vec::len))
        .sum();
    if outputs > MAX_GROUP_OUTPUTS {
        return Err(ApiError::invalid_query(format!(
            "group: at most {MAX_GROUP_OUTPUTS} outputs (columns × aggregations), got {outputs}"
        )));
    }
    for (col, spec) in group {
        let target = Target::resolve(col, &cols, "group")?;
        let ops: Vec<&str> = match spec {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().map(|v| v.as_str().unwrap_or("")).collect(),
            _ => vec![""],
        };
        for op in ops {
            if !GROUP_OPS.contains(&op) {
                return Err(ApiError::invalid_query(format!(
                    "group.{col}: expected one of key, avg, max, min, sum, count (or a list of them)"
                )));
            }
            // Keys group by the JSON text of the value (`->`), which keeps its JSON type; sums and
            // averages take numbers only; max and min compare the SQL values.
            let (json_val, num_val, raw_val) = match &target {
                Target::User { .. } => {
                    let p = b.bind(target.path().unwrap_or_default());
                    (
                        format!("(r.data -> {p})"),
                        format!(
                            "(CASE WHEN json_type(r.data, {p}) IN ('integer', 'real') THEN json_extract(r.data, {p}) END)"
                        ),
                        format!("json_extract(r.data, {p})"),
                    )
                }
                _ => {
                    let v = target.value_sql(&mut b);
                    (format!("json_quote({v})"), v.clone(), v)
                }
            };
            let expr = match op {
                "key" => {
                    keys.push(json_val.clone());
                    json_val
                }
                "avg" => format!("AVG({num_val})"),
                "sum" => format!("SUM({num_val})"),
                "count" => format!("COUNT(NULLIF({json_val}, 'null'))"),
                "max" => format!("MAX({raw_val})"),
                _ => format!("MIN({raw_val})"),
            };
            let mut suffix = op.to_string();
            suffix[..1].make_ascii_uppercase();
            names.push((format!("{col}{suffix}"), op == "key"));
            select.push(expr);
        }
    }
    let group_by = if keys.is_empty() {
        String::new()
    } else {
        format!("GROUP BY {}", keys.join(", "))
    };
    let order_by = if keys.is_empty() {
        String::new()
    } else {
        format!(
            "ORDER BY {}",
            keys.iter()
                .map(|k| format!("{k} {dir}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let (lim, off) = (b.bind(limit + 1), b.bind(offset));
    let sql = format!(
        "SELECT {} FROM tbl_rows r WHERE r.table_id = {table_id} AND ({cond}) {group_by} {order_by} LIMIT {lim} OFFSET {off}",
        select.join(", ")
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt
        .query_map(params_from_iter(b.params()), |r| {
            let mut out = Map::new();
            for (i, (name, is_json)) in names.iter().enumerate() {
                let v: SqlValue = r.get(i)?;
                let json = match (v, is_json) {
                    (SqlValue::Text(s), true) => {
                        serde_json::from_str(&s).unwrap_or(Value::String(s))
                    }
                    (SqlValue::Text(s), false) => Value::String(s),
                    (SqlValue::Integer(n), _) => json!(n),
                    (SqlValue::Real(f), _) => json!(f),
                    _ => Value::Null,
                };
                out.insert(name.clone(), json);
            }
            Ok(out)
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let rows: Vec<Value> = rows
        .into_iter()
        .enumerate()
        .map(|(i, mut r)| {
            r.insert("id".into(), json!(offset + i as i64 + 1));
            r.insert("computed".into(), json!({}));
            Value::Object(r)
        })
        .collect();
    to_api(json!({ "rows": rows, "hasMore": has_more, "offset": offset, "limit": limit }))
}

/// Keeps the system fields and the selected (possibly dotted) paths of a row.
fn project(row: &Value, selected: &[Vec<String>]) -> Value {
    let mut out = Map::new();
    for k in ["id", "createdAt", "updatedAt", "computed", "stale"] {
        if let Some(v) = row.get(k) {
            out.insert(k.into(), v.clone());
        }
    }
    for path in selected {
        if let Some(v) = path.iter().try_fold(row, |v, seg| v.get(seg)) {
            insert_path(&mut out, path, v.clone());
        }
    }
    Value::Object(out)
}

/// Sets `value` at a (non-empty) path of nested objects.
fn insert_path(map: &mut Map<String, Value>, path: &[String], value: Value) {
    match path {
        [] => {}
        [last] => {
            map.insert(last.clone(), value);
        }
        [first, rest @ ..] => {
            let entry = map.entry(first.clone()).or_insert_with(|| json!({}));
            if !entry.is_object() {
                *entry = json!({});
            }
            if let Value::Object(m) = entry {
                insert_path(m, rest, value);
            }
        }
    }
}

/// Rows and messages gathered by a write call.
#[derive(Default)]
struct Outcome {
    rows: Vec<Value>,
    warnings: Vec<String>,
    errors: Vec<String>,
}

impl Outcome {
    fn ok(&mut self, row: Value, warnings: Vec<String>) {
        self.rows.push(row);
        for w in warnings {
            if !self.warnings.contains(&w) {
                self.warnings.push(w);
            }
        }
    }

    fn finish<T: serde::de::DeserializeOwned>(&self, mut out: Value) -> Result<T, ApiError> {
        if self.rows.is_empty() && !self.errors.is_empty() {
            return Err(ApiError::invalid_payload(self.errors.join("; ")));
        }
        if !self.warnings.is_empty() {
            out["warnings"] = json!(self.warnings);
        }
        if !self.errors.is_empty() {
            out["errors"] = json!(self.errors);
        }
        to_api(out)
    }
}

/// A row-level failure message (goes to `errors[]`), or the stored row as JSON and its warnings.
type RowResult = Result<(Value, Vec<String>), String>;

fn check_count(n: usize) -> Result<(), ApiError> {
    let max = crate::platform::limits::current().table_rows_per_call;
    if n == 0 || max.is_some_and(|max| n > max) {
        return Err(ApiError::invalid_payload(match max {
            Some(max) => format!("rows must hold 1 to {max} rows, got {n}"),
            None => "rows must hold at least 1 row, got 0".to_string(),
        }));
    }
    Ok(())
}

fn as_object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

pub(crate) fn insert_row(
    conn: &Connection,
    t: &TableRec,
    cols: &Columns,
    input: &Map<String, Value>,
    i: usize,
) -> Result<RowResult, ApiError> {
    let (data, warnings) = match cols.validate_row(input, false) {
        Ok(v) => v,
        Err(e) => return Ok(Err(format!("rows[{i}]: {e}"))),
    };
    check_size(t, &data, i)?;
    if let Some(e) = key_conflict(conn, t, cols, &data, None)? {
        return Ok(Err(format!("rows[{i}]: {e}")));
    }
    let stamp = now();
    let row = RowRec {
        id: store::reserve_row_ids(conn, &t.id, 1)?,
        created_at: stamp.clone(),
        updated_at: stamp,
        data,
    };
    row.insert(conn, &t.id)?;
    Ok(Ok((row.to_json(), warnings)))
}

fn update_row(
    conn: &Connection,
    t: &TableRec,
    cols: &Columns,
    id: i64,
    input: &Map<String, Value>,
    i: usize,
) -> Result<RowResult, ApiError> {
    let Some(mut row) = store::get_row(conn, &t.id, id)? else {
        return Ok(Err(format!("rows[{i}]: row {id} not found")));
    };
    let (data, warnings) = match cols.validate_row(input, true) {
        Ok(v) => v,
        Err(e) => return Ok(Err(format!("rows[{i}]: {e}"))),
    };
    row.data.extend(data);
    check_size(t, &row.data, i)?;
    if let Some(e) = key_conflict(conn, t, cols, &row.data, Some(id))? {
        return Ok(Err(format!("rows[{i}]: {e}")));
    }
    row.updated_at = now();
    row.save(conn, &t.id)?;
    Ok(Ok((row.to_json(), warnings)))
}

/// A row holds at most 4 KB × factor of user data (its JSON form).
fn check_size(t: &TableRec, data: &Map<String, Value>, i: usize) -> Result<(), ApiError> {
    let Some(per_factor) = crate::platform::limits::current().table_row_bytes else {
        return Ok(());
    };
    let limit = per_factor.saturating_mul(t.factor.max(1) as usize);
    let size = serde_json::to_vec(data).map(|v| v.len()).unwrap_or(0);
    if size > limit {
        return Err(ApiError::limit_exceeded(format!(
            "rows[{i}]: the row holds {size} bytes, more than the table's limit of {limit} bytes ({per_factor} bytes x factor {})",
            t.factor
        )));
    }
    Ok(())
}

/// The unique index of the key column: another row (not `own_id`) with the same non-null value.
fn key_conflict(
    conn: &Connection,
    t: &TableRec,
    cols: &Columns,
    data: &Map<String, Value>,
    own_id: Option<i64>,
) -> Result<Option<String>, ApiError> {
    let Some(k) = &t.key_column else {
        return Ok(None);
    };
    let Some(v) = data.get(k).filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let others: Vec<i64> = store::rows_with_value(conn, t, cols, k, v)?
        .into_iter()
        .filter(|id| Some(*id) != own_id)
        .collect();
    Ok(others.first().map(|other| {
        format!("the key column \"{k}\" must be unique: row {other} already has the value {v}")
    }))
}
