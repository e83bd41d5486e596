//! Table operations: listTables, createTable, getTable, getOrCreateTable, updateTable,
//! renameTableColumn, deleteTable, duplicateTable.

use std::collections::BTreeMap;

use botpress::Nullable;
use botpress::types::{
    CreateTableBody, CreateTableResponse, DeleteTableResponse, DuplicateTableBody,
    DuplicateTableResponse, GetOrCreateTableBody, GetOrCreateTableResponse, GetTableResponse,
    ListTablesResponse, RenameTableColumnBody, RenameTableColumnResponse, UpdateTableBody,
    UpdateTableResponse,
};
use rusqlite::{Connection, params};
use serde_json::{Map, Value, json};

use super::filter::json_path;
use super::limits::MAX_FACTOR;
use super::schema::{self, check_column_name};
use super::store::{self, RowRec, TableRec};
use super::to_api;
use crate::error::ApiError;
use crate::ids::{new_id, now};

/// Longest tag value (`Tags` values are at most 500 characters).
const MAX_TAG_VALUE: usize = 500;

/// `listTables`: the bot's tables whose tags include every `tags` pair.
pub fn list_tables(
    conn: &Connection,
    bot_id: &str,
    tags: &BTreeMap<String, String>,
) -> Result<ListTablesResponse, ApiError> {
    let tables: Vec<Value> = store::all(conn, bot_id)?
        .into_iter()
        .filter(|t| tags.iter().all(|(k, v)| t.tags.get(k) == Some(v)))
        .map(|t| t.to_json())
        .collect();
    to_api(json!({ "tables": tables }))
}

/// `createTable`: a new table; its name must be free among the bot's tables (`AlreadyExists`).
pub fn create_table(
    conn: &Connection,
    bot_id: &str,
    body: CreateTableBody,
) -> Result<CreateTableResponse, ApiError> {
    let table = new_table(
        conn,
        bot_id,
        &body.name,
        NewTable {
            factor: body.factor,
            frozen: body.frozen,
            key_column: body.key_column,
            schema: &body.schema,
            tags: body.tags.unwrap_or_default(),
            is_compute_enabled: body.is_compute_enabled,
        },
    )?;
    to_api(json!({ "table": table.to_json() }))
}

/// `getTable`: the table (by name or id) with its row counts.
pub fn get_table(
    conn: &Connection,
    bot_id: &str,
    table: &str,
) -> Result<GetTableResponse, ApiError> {
    let t = store::get(conn, bot_id, table)?;
    to_api(with_counts(conn, &t, None)?)
}

/// `getOrCreateTable`: the table named (or with the id) `table`, created from `body` when missing;
/// an existing table is returned unchanged with `created: false`.
pub fn get_or_create_table(
    conn: &Connection,
    bot_id: &str,
    table: &str,
    body: GetOrCreateTableBody,
) -> Result<GetOrCreateTableResponse, ApiError> {
    if let Some(t) = store::find(conn, bot_id, table)? {
        return to_api(with_counts(conn, &t, Some(false))?);
    }
    let t = new_table(
        conn,
        bot_id,
        table,
        NewTable {
            factor: body.factor,
            frozen: body.frozen,
            key_column: body.key_column,
            schema: &body.schema,
            tags: body.tags.unwrap_or_default(),
            is_compute_enabled: body.is_compute_enabled,
        },
    )?;
    to_api(with_counts(conn, &t, Some(true))?)
}

/// `updateTable`: name, frozen, keyColumn, schema (replaces the columns; data of removed columns
/// and values the new type rejects are dropped), tags (merged), isComputeEnabled and factor (only
/// increased). A frozen table keeps its name and schema. `staleColumns` lists the computed
/// columns the change makes stale (new or changed computed columns).
pub fn update_table(
    conn: &Connection,
    bot_id: &str,
    table: &str,
    body: UpdateTableBody,
) -> Result<UpdateTableResponse, ApiError> {
    let mut t = store::get(conn, bot_id, table)?;
    let new_columns = body.schema.unwrap_or_default();
    let schema_change = !new_columns.is_empty();
    let rename = body.name.as_ref().is_some_and(|n| *n != t.name);
    // The service calls a frozen table immutable in name and schema; the emulator answers such a
    // change with `InvalidPayload` and lets the other settings change.
    if t.frozen && (schema_change || rename) {
        return Err(frozen(&t));
    }
    if let Some(name) = body.name {
        check_table_name(&name)?;
        t.name = name;
    }
    if let Some(f) = body.factor {
        check_factor(f)?;
        if f < t.factor {
            return Err(ApiError::invalid_payload(format!(
                "factor can only be increased (the table's factor is {}, got {f})",
                t.factor
            )));
        }
        t.factor = f;
    }
    let tags = body.tags.unwrap_or_default();
    check_tags(&tags)?;
    t.tags.extend(tags);
    if let Some(c) = body.is_compute_enabled {
        t.is_compute_enabled = c;
    }
    let mut stale_columns = Vec::new();
    if schema_change {
        let new_schema = schema::normalize(&new_columns, Some(&t.schema))?;
        stale_columns = changed_computed_columns(&t.schema, &new_schema);
        migrate_rows(conn, &t, &new_schema)?;
        t.schema = new_schema;
        if t.key_column
            .as_ref()
            .is_some_and(|k| t.columns().get(k).is_none())
        {
            t.key_column = None;
        }
    }
    match body.key_column {
        Some(Nullable::Null) => t.key_column = None,
        Some(Nullable::Value(k)) => {
            check_key_column(&t, &k)?;
            check_key_unique(conn, &t, &k)?;
            t.key_column = Some(k);
        }
        None => {}
    }
    if let Some(f) = body.frozen {
        t.frozen = f;
    }
    t.updated_at = now();
    t.save(conn, bot_id)?;
    let mut out = json!({ "table": t.to_json() });
    if !stale_columns.is_empty() {
        out["staleColumns"] = json!(stale_columns);
    }
    to_api(out)
}

/// `renameTableColumn`: renames a column in the schema, the key column and every row.
pub fn rename_table_column(
    conn: &Connection,
    bot_id: &str,
    table: &str,
    body: RenameTableColumnBody,
) -> Result<RenameTableColumnResponse, ApiError> {
    let mut t = store::get(conn, bot_id, table)?;
    if t.frozen {
        return Err(frozen(&t));
    }
    let (old, new) = (body.name, body.new_name);
    if t.columns().get(&old).is_none() {
        return Err(ApiError::invalid_payload(format!(
            "column \"{old}\" does not exist in table \"{}\"",
            t.name
        )));
    }
    check_column_name(&new)?;
    if t.columns().get(&new).is_some() {
        return Err(ApiError::already_exists(format!(
            "column \"{new}\" already exists in table \"{}\"",
            t.name
        )));
    }
    let props = t.schema["properties"]
        .as_object_mut()
        .ok_or_else(|| ApiError::internal("stored schema has no properties"))?;
    let renamed: Map<String, Value> = std::mem::take(props)
        .into_iter()
        .map(|(k, mut v)| {
            if let Some(deps) = v
                .pointer_mut("/x-zui/computed/dependencies")
                .and_then(Value::as_array_mut)
            {
                deps.iter_mut()
                    .filter(|d| **d == old)
                    .for_each(|d| *d = json!(new));
            }
            (if k == old { new.clone() } else { k }, v)
        })
        .collect();
    *props = renamed;
    if let Some(req) = t.schema.get_mut("required").and_then(Value::as_array_mut) {
        req.iter_mut()
            .filter(|r| **r == old)
            .for_each(|r| *r = json!(new));
    }
    if t.key_column.as_deref() == Some(old.as_str()) {
        t.key_column = Some(new.clone());
    }
    let old_path = json_path(&[&old]);
    let ids: Vec<i64> = {
        let mut stmt = conn.prepare(
            "SELECT id FROM tbl_rows WHERE table_id = ?1 AND json_type(data, ?2) IS NOT NULL",
        )?;
        stmt.query_map(params![t.id, old_path], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?
    };
    for id in ids {
        if let Some(mut row) = store::get_row(conn, &t.id, id)?
            && let Some(v) = row.data.remove(&old)
        {
            row.data.insert(new.clone(), v);
            row.save(conn, &t.id)?;
        }
    }
    t.updated_at = now();
    t.save(conn, bot_id)?;
    to_api(json!({ "table": t.to_json() }))
}

/// `deleteTable`: the table, its rows and its jobs.
pub fn delete_table(
    conn: &Connection,
    bot_id: &str,
    table: &str,
) -> Result<DeleteTableResponse, ApiError> {
    let t = store::get(conn, bot_id, table)?;
    conn.execute("DELETE FROM tbl_rows WHERE table_id = ?1", params![t.id])?;
    conn.execute(
        "DELETE FROM tbl_jobs WHERE bot_id = ?1 AND table_id = ?2",
        params![bot_id, t.id],
    )?;
    conn.execute(
        "DELETE FROM tbl_tables WHERE bot_id = ?1 AND id = ?2",
        params![bot_id, t.id],
    )?;
    to_api(json!({}))
}

/// `duplicateTable`: a copy of the table's settings (not frozen) and, unless `schemaOnly`, of its
/// rows with their ids and timestamps. Without `tableName` the copy is named `<name>Copy` (then
/// `<name>Copy2`, ...).
pub fn duplicate_table(
    conn: &Connection,
    bot_id: &str,
    source_table_id: &str,
    body: DuplicateTableBody,
) -> Result<DuplicateTableResponse, ApiError> {
    let src = store::get(conn, bot_id, source_table_id)?;
    let name = match body.table_name {
        Some(n) => {
            check_table_name(&n)?;
            n
        }
        None => {
            let mut n = format!("{}Copy", src.name);
            let mut i = 2;
            while store::find(conn, bot_id, &n)?.is_some() {
                n = format!("{}Copy{i}", src.name);
                i += 1;
            }
            n
        }
    };
    let factor = match body.factor {
        Some(f) => {
            check_factor(f)?;
            if f < src.factor {
                return Err(ApiError::invalid_payload(format!(
                    "factor must be at least the source table's ({}), got {f}",
                    src.factor
                )));
            }
            f
        }
        None => src.factor,
    };
    let stamp = now();
    let copy = TableRec {
        id: new_id("table_"),
        name,
        factor,
        frozen: false,
        created_at: stamp.clone(),
        updated_at: stamp,
        ..src.clone()
    };
    copy.insert(conn, bot_id)?;
    let mut rows = 0;
    if body.schema_only != Some(true) {
        rows = conn.execute(
            "INSERT INTO tbl_rows (table_id, id, created_at, updated_at, data)
             SELECT ?1, id, created_at, updated_at, data FROM tbl_rows WHERE table_id = ?2",
            params![copy.id, src.id],
        )? as i64;
        conn.execute(
            "UPDATE tbl_tables SET next_row_id = (SELECT next_row_id FROM tbl_tables WHERE id = ?2) WHERE id = ?1",
            params![copy.id, src.id],
        )?;
    }
    to_api(json!({ "table": copy.to_json(), "rows": rows }))
}

/// The settings of a table to create.
struct NewTable<'a> {
    factor: Option<i64>,
    frozen: Option<bool>,
    key_column: Option<Nullable<String>>,
    schema: &'a Map<String, Value>,
    tags: BTreeMap<String, String>,
    is_compute_enabled: Option<bool>,
}

fn new_table(
    conn: &Connection,
    bot_id: &str,
    name: &str,
    n: NewTable<'_>,
) -> Result<TableRec, ApiError> {
    check_table_name(name)?;
    let factor = n.factor.unwrap_or(1);
    check_factor(factor)?;
    check_tags(&n.tags)?;
    let stamp = now();
    let mut t = TableRec {
        id: new_id("table_"),
        name: name.to_string(),
        factor,
        frozen: n.frozen.unwrap_or(false),
        key_column: None,
        schema: schema::normalize(n.schema, None)?,
        tags: n.tags,
        is_compute_enabled: n.is_compute_enabled.unwrap_or(false),
        created_at: stamp.clone(),
        updated_at: stamp,
    };
    if let Some(Nullable::Value(k)) = n.key_column {
        check_key_column(&t, &k)?;
        t.key_column = Some(k);
    }
    t.insert(conn, bot_id)?;
    Ok(t)
}

fn with_counts(conn: &Connection, t: &TableRec, created: Option<bool>) -> Result<Value, ApiError> {
    // Nothing is ever computed or indexed in the background here, so `stale` and `indexing` are 0.
    let mut out = json!({ "table": t.to_json(), "rows": store::count_rows(conn, &t.id)?, "stale": 0, "indexing": 0 });
    if let Some(c) = created {
        out["created"] = json!(c);
    }
    Ok(out)
}

fn frozen(t: &TableRec) -> ApiError {
    ApiError::invalid_payload(format!(
        "table \"{}\" is frozen: its name and schema cannot change",
        t.name
    ))
}

fn check_table_name(name: &str) -> Result<(), ApiError> {
    if name.is_empty() {
        return Err(ApiError::invalid_payload("name must not be empty"));
    }
    if name.chars().any(char::is_control) {
        return Err(ApiError::invalid_payload(
            "name must not contain control characters",
        ));
    }
    Ok(())
}

fn check_factor(f: i64) -> Result<(), ApiError> {
    if !(1..=MAX_FACTOR).contains(&f) {
        return Err(ApiError::invalid_payload(format!(
            "factor must be between 1 and {MAX_FACTOR}, got {f}"
        )));
    }
    Ok(())
}

fn check_tags(tags: &BTreeMap<String, String>) -> Result<(), ApiError> {
    if let Some((k, _)) = tags.iter().find(|(_, v)| v.chars().count() > MAX_TAG_VALUE) {
        return Err(ApiError::invalid_payload(format!(
            "tags.{k}: a tag value has at most {MAX_TAG_VALUE} characters"
        )));
    }
    Ok(())
}

fn check_key_column(t: &TableRec, k: &str) -> Result<(), ApiError> {
    if t.columns().get(k).is_none() {
        return Err(ApiError::invalid_payload(format!(
            "keyColumn \"{k}\" is not a column of table \"{}\"",
            t.name
        )));
    }
    Ok(())
}

/// A key column gets a unique index: existing values must already be unique (nulls aside).
fn check_key_unique(conn: &Connection, t: &TableRec, k: &str) -> Result<(), ApiError> {
    let dup: Option<String> = conn
        .query_row(
            "SELECT json_extract(data, ?2) FROM tbl_rows WHERE table_id = ?1
               AND COALESCE(json_type(data, ?2), 'null') <> 'null'
             GROUP BY json_type(data, ?2), json_extract(data, ?2) HAVING COUNT(*) > 1 LIMIT 1",
            params![t.id, json_path(&[k])],
            |r| r.get::<_, rusqlite::types::Value>(0),
        )
        .map(|v| Some(format!("{v:?}")))
        .or_else(|e| {
            if e == rusqlite::Error::QueryReturnedNoRows {
                Ok(None)
            } else {
                Err(e)
            }
        })?;
    match dup {
        Some(v) => Err(ApiError::invalid_payload(format!(
            "keyColumn \"{k}\": the column's values are not unique (duplicate {v})"
        ))),
        None => Ok(()),
    }
}

/// Computed columns that are new or whose definition changed.
fn changed_computed_columns(old: &Value, new: &Value) -> Vec<String> {
    let computed = |s: &Value, c: &str| {
        s.get("properties")
            .and_then(|p| p.get(c))
            .and_then(|c| c.pointer("/x-zui/computed"))
            .cloned()
    };
    new["properties"]
        .as_object()
        .map(|p| {
            p.keys()
                .filter(|c| {
                    computed(new, c)
                        .is_some_and(|n| !n.is_null() && computed(old, c).as_ref() != Some(&n))
                })
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// Drops from every row the data of removed columns and the values the new schema rejects.
fn migrate_rows(conn: &Connection, t: &TableRec, new_schema: &Value) -> Result<(), ApiError> {
    let new_cols = schema::Columns::from_schema(new_schema);
    let rows: Vec<RowRec> = {
        let mut stmt = conn
            .prepare("SELECT id, created_at, updated_at, data FROM tbl_rows WHERE table_id = ?1")?;
        stmt.query_map(params![t.id], RowRec::from_sql)?
            .collect::<rusqlite::Result<_>>()?
    };
    for mut row in rows {
        let before = row.data.len();
        let mut changed = false;
        row.data
            .retain(|k, v| match new_cols.get(k).map(|c| c.validate(v)) {
                Some(Ok(nv)) => {
                    changed |= nv != *v;
                    *v = nv;
                    true
                }
                _ => false,
            });
        if changed || row.data.len() != before {
            row.save(conn, &t.id)?;
        }
    }
    Ok(())
}
