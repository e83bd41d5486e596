//! SQL storage of tables, rows and jobs, and the table record shared by the operations.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Map, Value, json};

use super::schema::Columns;
use crate::error::ApiError;

/// Creates the Tables API's SQL tables if missing (idempotent) and registers the SQL functions
/// that filters and search use on this connection.
pub fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS tbl_tables (
            id TEXT PRIMARY KEY,
            bot_id TEXT NOT NULL,
            name TEXT NOT NULL,
            factor INTEGER NOT NULL,
            frozen INTEGER NOT NULL,
            key_column TEXT,
            schema TEXT NOT NULL,
            tags TEXT NOT NULL,
            is_compute_enabled INTEGER NOT NULL,
            next_row_id INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (bot_id, name)
        );
        CREATE TABLE IF NOT EXISTS tbl_rows (
            table_id TEXT NOT NULL,
            id INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (table_id, id)
        );
        CREATE TABLE IF NOT EXISTS tbl_jobs (
            id TEXT PRIMARY KEY,
            bot_id TEXT NOT NULL,
            table_id TEXT NOT NULL,
            type TEXT NOT NULL,
            status TEXT NOT NULL,
            progress REAL NOT NULL,
            input_file_id TEXT,
            output_file_id TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS tbl_jobs_by_table ON tbl_jobs (bot_id, table_id, created_at);",
    )?;
    migrate_values(conn)?;
    super::filter::register_functions(conn)
}

/// Bytes of a text value kept in `tbl_values`: a prefix, so that long texts do not bloat the
/// index.
pub(super) const VALUE_PREFIX_BYTES: usize = 256;

/// The format of the `tbl_values` entries; a store whose index was built in another format has
/// it rebuilt when opened. Format 2 keeps texts as the byte prefix of their UTF-8 (a BLOB), so
/// that every byte the exact filter compares, a NUL included, is in the index (format 1 cut texts
/// with `substr`, which stops at the first NUL).
const VALUE_INDEX_FORMAT: i64 = 2;

/// The `tbl_values` entries of the row `row` (`NEW`, or the alias of a table joined by `from`):
/// one per top-level column holding a number or a text. Numbers are kept as numbers; texts as
/// the first [`VALUE_PREFIX_BYTES`] bytes of their UTF-8, a BLOB (`substr` of an empty BLOB is
/// NULL, hence the `COALESCE`). BLOBs compare with `memcmp`,
/// as SQLite compares texts (the `BINARY` collation), and a byte prefix is monotonic: a text
/// `>=` another has a prefix `>=` the other's. [`super::filter::compile_indexed`] binds operands
/// the same way ([`index_text`]).
fn value_entries(row: &str, from: &str) -> String {
    format!(
        "SELECT {row}.table_id, j.key,
            CASE WHEN j.type = 'text'
                 THEN COALESCE(substr(CAST(j.atom AS BLOB), 1, {VALUE_PREFIX_BYTES}), x'')
                 ELSE j.atom END,
            {row}.id
         FROM {from}json_each({row}.data) j WHERE j.type IN ('integer', 'real', 'text')"
    )
}

/// The value index entry of a text: the first [`VALUE_PREFIX_BYTES`] bytes of its UTF-8.
pub(super) fn index_text(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    bytes[..bytes.len().min(VALUE_PREFIX_BYTES)].to_vec()
}

/// Creates the value index of rows: `tbl_values` holds, per row and top-level column, the
/// column's scalar value (numbers as numbers, texts as their byte prefix), indexed by
/// `(table_id, col, val)`. Triggers on `tbl_rows` keep it in step with every write, so filters
/// can narrow rows through it ([`super::filter::compile_indexed`]) before checking each candidate
/// with the exact filter expression. A store created before the index, or with an index of an
/// older [format](VALUE_INDEX_FORMAT), gets it (re)built here.
fn migrate_values(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS tbl_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);",
    )?;
    let format: Option<i64> = conn
        .query_row(
            "SELECT value FROM tbl_meta WHERE key = 'value_index_format'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    let complete: bool = conn.query_row(
        "SELECT count(*) = 5 FROM sqlite_master WHERE name IN ('tbl_values', 'tbl_values_by_value',
            'tbl_rows_values_insert', 'tbl_rows_values_update', 'tbl_rows_values_delete')",
        [],
        |r| r.get(0),
    )?;
    if complete && format == Some(VALUE_INDEX_FORMAT) {
        return Ok(());
    }
    // `val` has no declared type: no affinity, values keep their storage class.
    conn.execute_batch(&format!(
        "DROP TRIGGER IF EXISTS tbl_rows_values_insert;
        DROP TRIGGER IF EXISTS tbl_rows_values_update;
        DROP TRIGGER IF EXISTS tbl_rows_values_delete;
        DROP TABLE IF EXISTS tbl_values;
        CREATE TABLE tbl_values (
            table_id TEXT NOT NULL,
            col TEXT NOT NULL,
            val,
            row_id INTEGER NOT NULL,
            PRIMARY KEY (table_id, row_id, col)
        ) WITHOUT ROWID;
        CREATE INDEX tbl_values_by_value ON tbl_values (table_id, col, val);
        CREATE TRIGGER tbl_rows_values_insert AFTER INSERT ON tbl_rows BEGIN
            INSERT INTO tbl_values (table_id, col, val, row_id) {new};
        END;
        CREATE TRIGGER tbl_rows_values_update AFTER UPDATE OF table_id, id, data ON tbl_rows
        BEGIN
            DELETE FROM tbl_values WHERE table_id = OLD.table_id AND row_id = OLD.id;
            INSERT INTO tbl_values (table_id, col, val, row_id) {new};
        END;
        CREATE TRIGGER tbl_rows_values_delete AFTER DELETE ON tbl_rows BEGIN
            DELETE FROM tbl_values WHERE table_id = OLD.table_id AND row_id = OLD.id;
        END;
        INSERT INTO tbl_values (table_id, col, val, row_id) {all};
        INSERT OR REPLACE INTO tbl_meta (key, value) VALUES ('value_index_format', {VALUE_INDEX_FORMAT});",
        new = value_entries("NEW", ""),
        all = value_entries("r", "tbl_rows r, "),
    ))
}

/// A table as stored.
#[derive(Clone, Debug)]
pub(crate) struct TableRec {
    pub id: String,
    pub name: String,
    pub factor: i64,
    pub frozen: bool,
    pub key_column: Option<String>,
    pub schema: Value,
    pub tags: BTreeMap<String, String>,
    pub is_compute_enabled: bool,
    pub created_at: String,
    pub updated_at: String,
}

const TABLE_COLUMNS: &str = "id, name, factor, frozen, key_column, schema, tags, is_compute_enabled, created_at, updated_at";

impl TableRec {
    fn from_sql(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        let schema: String = r.get(5)?;
        let tags: String = r.get(6)?;
        Ok(Self {
            id: r.get(0)?,
            name: r.get(1)?,
            factor: r.get(2)?,
            frozen: r.get(3)?,
            key_column: r.get(4)?,
            schema: serde_json::from_str(&schema).unwrap_or(Value::Null),
            tags: serde_json::from_str(&tags).unwrap_or_default(),
            is_compute_enabled: r.get(7)?,
            created_at: r.get(8)?,
            updated_at: r.get(9)?,
        })
    }

    /// The `Table` object of the API.
    pub(super) fn to_json(&self) -> Value {
        let mut t = json!({
            "id": self.id,
            "name": self.name,
            "factor": self.factor,
            "frozen": self.frozen,
            "schema": self.schema,
            "tags": self.tags,
            "isComputeEnabled": self.is_compute_enabled,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        });
        if let Some(k) = &self.key_column {
            t["keyColumn"] = json!(k);
        }
        t
    }

    /// The parsed columns.
    pub(super) fn columns(&self) -> Columns {
        Columns::from_schema(&self.schema)
    }

    /// Inserts this new table.
    pub(super) fn insert(&self, conn: &Connection, bot_id: &str) -> Result<(), ApiError> {
        if find(conn, bot_id, &self.name)?.is_some() {
            return Err(ApiError::already_exists(format!(
                "a table named \"{}\" already exists",
                self.name
            )));
        }
        conn.execute(
            "INSERT INTO tbl_tables (id, bot_id, name, factor, frozen, key_column, schema, tags,
                is_compute_enabled, next_row_id, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, ?10, ?11)",
            params![
                self.id,
                bot_id,
                self.name,
                self.factor,
                self.frozen,
                self.key_column,
                self.schema.to_string(),
                json!(self.tags).to_string(),
                self.is_compute_enabled,
                self.created_at,
                self.updated_at
            ],
        )?;
        Ok(())
    }

    /// Writes back every field of this existing table.
    pub(super) fn save(&self, conn: &Connection, bot_id: &str) -> Result<(), ApiError> {
        if let Some(other) = find(conn, bot_id, &self.name)?
            && other.id != self.id
        {
            return Err(ApiError::already_exists(format!(
                "a table named \"{}\" already exists",
                self.name
            )));
        }
        conn.execute(
            "UPDATE tbl_tables SET name = ?3, factor = ?4, frozen = ?5, key_column = ?6, schema = ?7,
                tags = ?8, is_compute_enabled = ?9, updated_at = ?10
             WHERE bot_id = ?1 AND id = ?2",
            params![
                bot_id,
                self.id,
                self.name,
                self.factor,
                self.frozen,
                self.key_column,
                self.schema.to_string(),
                json!(self.tags).to_string(),
                self.is_compute_enabled,
                self.updated_at
            ],
        )?;
        Ok(())
    }
}

/// The table addressed by `table` (its id, else its name), if any.
pub(crate) fn find(
    conn: &Connection,
    bot_id: &str,
    table: &str,
) -> Result<Option<TableRec>, ApiError> {
    let sql = format!(
        "SELECT {TABLE_COLUMNS} FROM tbl_tables WHERE bot_id = ?1 AND (id = ?2 OR name = ?2)
         ORDER BY id = ?2 DESC LIMIT 1"
    );
    Ok(conn
        .query_row(&sql, params![bot_id, table], TableRec::from_sql)
        .optional()?)
}

/// The table addressed by `table`, or `ResourceNotFound`.
pub(crate) fn get(conn: &Connection, bot_id: &str, table: &str) -> Result<TableRec, ApiError> {
    find(conn, bot_id, table)?
        .ok_or_else(|| ApiError::not_found(format!("table \"{table}\" not found")))
}

/// Every table of the bot, oldest first.
pub(crate) fn all(conn: &Connection, bot_id: &str) -> Result<Vec<TableRec>, ApiError> {
    let sql = format!(
        "SELECT {TABLE_COLUMNS} FROM tbl_tables WHERE bot_id = ?1 ORDER BY created_at, rowid"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params![bot_id], TableRec::from_sql)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Number of rows of a table.
pub(crate) fn count_rows(conn: &Connection, table_id: &str) -> Result<i64, ApiError> {
    Ok(conn.query_row(
        "SELECT COUNT(*) FROM tbl_rows WHERE table_id = ?1",
        params![table_id],
        |r| r.get(0),
    )?)
}

/// Reserves `n` new row ids of a table and returns the first.
pub(crate) fn reserve_row_ids(conn: &Connection, table_id: &str, n: i64) -> Result<i64, ApiError> {
    let first: i64 = conn.query_row(
        "SELECT next_row_id FROM tbl_tables WHERE id = ?1",
        params![table_id],
        |r| r.get(0),
    )?;
    if first + n - 1 > super::limits::MAX_ROW_ID {
        return Err(ApiError::limit_exceeded(
            "the table has used up its row ids",
        ));
    }
    conn.execute(
        "UPDATE tbl_tables SET next_row_id = ?2 WHERE id = ?1",
        params![table_id, first + n],
    )?;
    Ok(first)
}

/// A row as stored: system fields and the user columns.
#[derive(Clone, Debug)]
pub(crate) struct RowRec {
    pub id: i64,
    pub created_at: String,
    pub updated_at: String,
    pub data: Map<String, Value>,
}

impl RowRec {
    /// Reads `id, created_at, updated_at, data` from the first four result columns.
    pub(super) fn from_sql(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        let data: String = r.get(3)?;
        Ok(Self {
            id: r.get(0)?,
            created_at: r.get(1)?,
            updated_at: r.get(2)?,
            data: serde_json::from_str(&data).unwrap_or_default(),
        })
    }

    /// The API's `Row`: user columns flattened next to the system fields.
    pub(super) fn to_json(&self) -> Value {
        let mut row = self.data.clone();
        row.insert("id".into(), json!(self.id));
        row.insert("createdAt".into(), json!(self.created_at));
        row.insert("updatedAt".into(), json!(self.updated_at));
        row.insert("computed".into(), json!({}));
        Value::Object(row)
    }

    /// Inserts this row.
    pub(super) fn insert(&self, conn: &Connection, table_id: &str) -> Result<(), ApiError> {
        conn.execute(
            "INSERT INTO tbl_rows (table_id, id, created_at, updated_at, data) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![table_id, self.id, self.created_at, self.updated_at, Value::Object(self.data.clone()).to_string()],
        )?;
        Ok(())
    }

    /// Writes back the data and `updated_at` of this row.
    pub(super) fn save(&self, conn: &Connection, table_id: &str) -> Result<(), ApiError> {
        conn.execute(
            "UPDATE tbl_rows SET updated_at = ?3, data = ?4 WHERE table_id = ?1 AND id = ?2",
            params![
                table_id,
                self.id,
                self.updated_at,
                Value::Object(self.data.clone()).to_string()
            ],
        )?;
        Ok(())
    }
}

/// One row of a table by id.
pub(crate) fn get_row(
    conn: &Connection,
    table_id: &str,
    id: i64,
) -> Result<Option<RowRec>, ApiError> {
    Ok(conn
        .query_row(
            "SELECT id, created_at, updated_at, data FROM tbl_rows WHERE table_id = ?1 AND id = ?2",
            params![table_id, id],
            RowRec::from_sql,
        )
        .optional()?)
}

/// The ids of the rows of `table` whose user column `column` equals `value` (the key-column
/// lookup of upserts and of the unique index), with the filter language's equality.
pub(crate) fn rows_with_value(
    conn: &Connection,
    table: &TableRec,
    cols: &Columns,
    column: &str,
    value: &Value,
) -> Result<Vec<i64>, ApiError> {
    let mut b = super::filter::SqlBuilder::default();
    let table_id = b.bind(table.id.clone());
    let mut filter = Map::new();
    filter.insert(column.to_string(), json!({ "$eq": value }));
    let cond = super::filter::compile_indexed(&filter, cols, &mut b, &table_id)?;
    let sql = format!(
        "SELECT r.id FROM tbl_rows r WHERE r.table_id = {table_id} AND ({cond}) ORDER BY r.id"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let ids = stmt.query_map(rusqlite::params_from_iter(b.params()), |r| r.get(0))?;
    Ok(ids.collect::<rusqlite::Result<_>>()?)
}

/// Runs `f` inside a savepoint: on error every write `f` made is undone, so a failed call leaves
/// no partial state even when the caller commits its transaction anyway.
pub(crate) fn atomic<T>(
    conn: &Connection,
    f: impl FnOnce() -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    conn.execute_batch("SAVEPOINT tbl_atomic")?;
    match f() {
        Ok(v) => {
            conn.execute_batch("RELEASE tbl_atomic")?;
            Ok(v)
        }
        Err(e) => {
            conn.execute_batch("ROLLBACK TO tbl_atomic; RELEASE tbl_atomic")?;
            Err(e)
        }
    }
}
