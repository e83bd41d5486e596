//! Snapshots: the emulator's stored state, whole or one bot's, as a JSON file, so a test can
//! start from seed data and a failing run can be saved and replayed.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use botpress_emulator::{Config, Snapshot, spawn};
//! let emulator = spawn(Config::new()).await?;
//! // ... a test creates conversations, files, tables ...
//! emulator.snapshot().await?.write("seed.json")?;
//!
//! // Later, elsewhere: start from it (or `botpress-emulator --seed seed.json`).
//! let seeded = spawn(Config::new().seed(Snapshot::read("seed.json")?)).await?;
//! # Ok(()) }
//! ```
//!
//! A snapshot holds what the API stores: every resource document (conversations, messages,
//! users, states, events, workflows, tasks, files, ...), file contents and the URL secrets
//! already handed out, tables with their rows and jobs. The indexes the store derives from them
//! (tag and value indexes, child counts) are not in the file: a restore builds them again. The
//! emulator's platform state (faults, journal, clock, rate budget) is not part of a snapshot.
//!
//! The file is JSON: `{"format": "botpress-emulator-snapshot", "version": 1, "bot": null,
//! "tables": {"docs": [...], "blobs": [...], "tbl_tables": [...], "tbl_rows": [...],
//! "tbl_jobs": [...]}}`, one object per stored row, oldest first, documents and table rows as
//! JSON, file contents as base64. Exporting a restored snapshot gives the same bytes.
//!
//! Restoring replaces: a whole-state snapshot (`"bot": null`) replaces everything stored; a
//! bot's snapshot replaces that bot's data and leaves every other bot's alone. A snapshot that
//! does not fit (an unknown table or column, a row of another bot, a row clashing with a stored
//! one) is refused with a message naming the row, and nothing is changed.

use std::{
    borrow::Cow,
    collections::{BTreeMap, BTreeSet},
    path::Path,
};

use base64::Engine as _;
use rusqlite::{Connection, ToSql, types::ValueRef};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::ApiError;

/// What a snapshot file says it is (its `format`).
const FORMAT: &str = "botpress-emulator-snapshot";

/// The version of the file's layout this emulator writes and reads.
const VERSION: u64 = 1;

/// A stored table a snapshot holds.
struct Source {
    table: &'static str,
    /// The SQL condition selecting one bot's rows (`?1`: the bot id).
    of_bot: &'static str,
    /// The column naming the bot a row belongs to; `None` when the row belongs to a bot
    /// through [`Source::owner`].
    bot_column: Option<&'static str>,
    /// The column naming the row's owner in another source (`(column, source table)`), for
    /// rows with no bot column.
    owner: Option<(&'static str, &'static str)>,
    /// Columns left out of the file: the store gives them again on restore (`docs.seq`, the
    /// creation order, is the order of the file).
    skip: &'static [&'static str],
    /// TEXT columns holding JSON, written as JSON (readable and editable in a seed file).
    json: &'static [&'static str],
    /// BLOB columns, written as base64.
    blobs: &'static [&'static str],
}

/// Every stored table a snapshot holds, in the order they are restored. Everything else the
/// store keeps is derived from these by triggers (`doc_counts`, `doc_tags`, `tbl_values`).
const SOURCES: &[Source] = &[
    Source {
        table: "docs",
        of_bot: "bot_id = ?1",
        bot_column: Some("bot_id"),
        owner: None,
        skip: &["seq"],
        json: &["data"],
        blobs: &[],
    },
    Source {
        table: "blobs",
        of_bot: "bot_id = ?1",
        bot_column: Some("bot_id"),
        owner: None,
        skip: &[],
        json: &[],
        blobs: &["content"],
    },
    Source {
        table: "tbl_tables",
        of_bot: "bot_id = ?1",
        bot_column: Some("bot_id"),
        owner: None,
        skip: &[],
        json: &["schema", "tags"],
        blobs: &[],
    },
    Source {
        table: "tbl_rows",
        of_bot: "table_id IN (SELECT id FROM tbl_tables WHERE bot_id = ?1)",
        bot_column: None,
        owner: Some(("table_id", "tbl_tables")),
        skip: &[],
        json: &["data"],
        blobs: &[],
    },
    Source {
        table: "tbl_jobs",
        of_bot: "bot_id = ?1",
        bot_column: Some("bot_id"),
        owner: None,
        skip: &[],
        json: &[],
        blobs: &[],
    },
];

/// The stored state of an emulator, or of one of its bots: taken with
/// [`Emulator::snapshot`](crate::Emulator::snapshot) or
/// [`Emulator::snapshot_bot`](crate::Emulator::snapshot_bot), given back with
/// [`Emulator::restore`](crate::Emulator::restore) or [`Config::seed`](crate::Config::seed),
/// kept as a file with [`Snapshot::write`] and [`Snapshot::read`].
#[derive(Clone, PartialEq)]
pub struct Snapshot {
    bot: Option<String>,
    /// Per stored table, its rows as JSON objects (column → value), oldest first.
    tables: Tables,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Counts, not contents: a snapshot can be large, and holds file URL secrets.
        let rows: BTreeMap<&str, usize> = self
            .tables
            .iter()
            .map(|(table, rows)| (table.as_str(), rows.len()))
            .collect();
        f.debug_struct("Snapshot")
            .field("bot", &self.bot)
            .field("rows", &rows)
            .finish()
    }
}

/// Rows per stored table.
type Tables = BTreeMap<String, Vec<Map<String, Value>>>;

/// The file's layout.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File<'a> {
    format: Cow<'a, str>,
    version: u64,
    bot: Option<Cow<'a, str>>,
    tables: Cow<'a, Tables>,
}

/// Why a snapshot could not be read, written, taken or restored.
#[derive(Debug)]
pub struct SnapshotError(String);

impl SnapshotError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl std::fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SnapshotError {}

impl From<SnapshotError> for std::io::Error {
    fn from(e: SnapshotError) -> Self {
        std::io::Error::new(std::io::ErrorKind::InvalidData, e)
    }
}

impl From<ApiError> for SnapshotError {
    fn from(e: ApiError) -> Self {
        Self(e.message)
    }
}

impl Snapshot {
    /// The bot the snapshot is of; `None` for the whole state.
    pub fn bot(&self) -> Option<&str> {
        self.bot.as_deref()
    }

    /// Whether the snapshot holds nothing (a snapshot of an empty emulator or bot).
    pub fn is_empty(&self) -> bool {
        self.tables.values().all(Vec::is_empty)
    }

    /// The snapshot as its file's bytes (pretty-printed JSON, stable: the same state gives the
    /// same bytes).
    pub fn to_json(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(&self.file()).expect("a snapshot is JSON");
        bytes.push(b'\n');
        bytes
    }

    /// The snapshot as the JSON value of its file.
    pub(crate) fn to_value(&self) -> Value {
        serde_json::to_value(self.file()).expect("a snapshot is JSON")
    }

    fn file(&self) -> File<'_> {
        File {
            format: FORMAT.into(),
            version: VERSION,
            bot: self.bot.as_deref().map(Cow::Borrowed),
            tables: Cow::Borrowed(&self.tables),
        }
    }

    /// Reads a snapshot from its file's bytes; says what is wrong when they are not one.
    pub fn from_json(bytes: &[u8]) -> Result<Self, SnapshotError> {
        let file: File<'static> =
            serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(bytes))
                .map_err(|e| SnapshotError::new(format!("not an emulator snapshot: {e}")))?;
        if file.format != FORMAT {
            return Err(SnapshotError::new(format!(
                "not an emulator snapshot: `format` is `{}`, not `{FORMAT}`",
                file.format
            )));
        }
        if file.version != VERSION {
            return Err(SnapshotError::new(format!(
                "snapshot version {} is not supported (this emulator reads version {VERSION})",
                file.version
            )));
        }
        for table in file.tables.keys() {
            if !SOURCES.iter().any(|s| s.table == table) {
                return Err(SnapshotError::new(format!(
                    "tables.{table}: not a table a snapshot holds ({})",
                    SOURCES
                        .iter()
                        .map(|s| s.table)
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
        Ok(Self {
            bot: file.bot.map(Cow::into_owned),
            tables: file.tables.into_owned(),
        })
    }

    /// Writes the snapshot to a file ([`Snapshot::to_json`]).
    pub fn write(&self, path: impl AsRef<Path>) -> std::io::Result<()> {
        let path = path.as_ref();
        std::fs::write(path, self.to_json()).map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("cannot write the snapshot to `{}`: {e}", path.display()),
            )
        })
    }

    /// Reads a snapshot from a file.
    pub fn read(path: impl AsRef<Path>) -> std::io::Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("cannot read the snapshot `{}`: {e}", path.display()),
            )
        })?;
        Self::from_json(&bytes).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("the snapshot `{}`: {e}", path.display()),
            )
        })
    }

    /// The number of rows per stored table, for reports (`{"docs": 12, ...}`).
    pub(crate) fn counts(&self) -> Value {
        SOURCES
            .iter()
            .map(|s| {
                let n = self.tables.get(s.table).map_or(0, Vec::len);
                (s.table.to_string(), Value::from(n))
            })
            .collect::<Map<_, _>>()
            .into()
    }
}

/// The columns of a stored table, in their declared order.
fn columns(conn: &Connection, table: &str) -> Result<Vec<String>, ApiError> {
    let mut stmt = conn.prepare_cached("SELECT name FROM pragma_table_info(?1) ORDER BY cid")?;
    let names = stmt.query_map([table], |r| r.get(0))?;
    Ok(names.collect::<rusqlite::Result<_>>()?)
}

/// Takes a snapshot of everything stored (`bot` = `None`) or of one bot's data, in one read
/// transaction.
pub(crate) fn take(conn: &Connection, bot: Option<&str>) -> Result<Snapshot, ApiError> {
    let mut tables = BTreeMap::new();
    for source in SOURCES {
        let columns: Vec<String> = columns(conn, source.table)?
            .into_iter()
            .filter(|c| !source.skip.contains(&c.as_str()))
            .collect();
        let list = columns
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let filter = if bot.is_some() {
            format!(" WHERE {}", source.of_bot)
        } else {
            String::new()
        };
        let sql = format!(
            "SELECT {list} FROM {} {filter} ORDER BY rowid",
            source.table
        );
        let mut stmt = conn.prepare(&sql)?;
        let params: Vec<&dyn ToSql> = bot.iter().map(|b| b as &dyn ToSql).collect();
        let mut rows = stmt.query(params.as_slice())?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let mut object = Map::new();
            for (i, column) in columns.iter().enumerate() {
                let value = to_json(source, column, row.get_ref(i)?)?;
                object.insert(column.clone(), value);
            }
            out.push(object);
        }
        tables.insert(source.table.to_string(), out);
    }
    Ok(Snapshot {
        bot: bot.map(str::to_string),
        tables,
    })
}

/// One stored value as the file writes it.
fn to_json(source: &Source, column: &str, value: ValueRef<'_>) -> Result<Value, ApiError> {
    let stored = |what: &str| {
        ApiError::internal(format!("snapshot: {}.{column} holds {what}", source.table))
    };
    Ok(match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::from(i),
        ValueRef::Real(f) => serde_json::Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| stored("a number JSON cannot hold"))?,
        ValueRef::Text(bytes) => {
            let text = std::str::from_utf8(bytes).map_err(|_| stored("text that is not UTF-8"))?;
            if source.json.contains(&column) {
                serde_json::from_str(text).map_err(|_| stored("text that is not JSON"))?
            } else {
                Value::String(text.to_string())
            }
        }
        ValueRef::Blob(bytes) if source.blobs.contains(&column) => {
            Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
        }
        ValueRef::Blob(_) => return Err(stored("bytes where text was expected")),
    })
}

/// A value of the file as the store keeps it, or why it cannot be one (`at`: where it is).
fn to_sql(
    source: &Source,
    column: &str,
    value: &Value,
    at: &str,
) -> Result<rusqlite::types::Value, ApiError> {
    use rusqlite::types::Value as Sql;
    let bad = |what: &str| ApiError::invalid_payload(format!("{at}.{column}: {what}"));
    if source.json.contains(&column) {
        return Ok(Sql::Text(value.to_string()));
    }
    Ok(match value {
        Value::Null => Sql::Null,
        Value::Bool(b) => Sql::Integer(i64::from(*b)),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Sql::Integer(i),
            (None, Some(f)) if !n.is_u64() => Sql::Real(f),
            _ => return Err(bad("a number past the range of a 64-bit integer")),
        },
        Value::String(s) if source.blobs.contains(&column) => Sql::Blob(
            base64::engine::general_purpose::STANDARD
                .decode(s)
                .map_err(|e| bad(&format!("not base64 ({e})")))?,
        ),
        Value::String(s) => Sql::Text(s.clone()),
        Value::Array(_) | Value::Object(_) => {
            return Err(bad("a list or object where a value was expected"));
        }
    })
}

/// Deletes everything stored (`bot` = `None`) or one bot's data; the derived tables follow
/// through their triggers (or are emptied, for the whole state).
pub(crate) fn reset(conn: &Connection, bot: Option<&str>) -> Result<(), ApiError> {
    match bot {
        None => {
            // Derived tables first: the triggers of the deletes below then have nothing to do.
            conn.execute_batch(
                "DELETE FROM doc_tags; DELETE FROM doc_counts; DELETE FROM tbl_values;",
            )?;
            for source in SOURCES.iter().rev() {
                conn.execute(&format!("DELETE FROM {}", source.table), [])?;
            }
            conn.execute("DELETE FROM sqlite_sequence WHERE name = 'docs'", [])?;
        }
        Some(bot) => {
            // Rows owned through another table before that table (`tbl_rows` before
            // `tbl_tables`, whose ids select them).
            for source in SOURCES.iter().rev() {
                conn.execute(
                    &format!("DELETE FROM {} WHERE {}", source.table, source.of_bot),
                    [bot],
                )?;
            }
            conn.execute("DELETE FROM doc_counts WHERE bot_id = ?1", [bot])?;
        }
    }
    Ok(())
}

/// Replaces the stored state (or the snapshot's bot's) by the snapshot, inside the caller's
/// write transaction: on an error nothing is kept.
pub(crate) fn restore(conn: &Connection, snapshot: &Snapshot) -> Result<(), ApiError> {
    reset(conn, snapshot.bot())?;
    let mut owners: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for source in SOURCES {
        let rows = snapshot
            .tables
            .get(source.table)
            .map_or(&[][..], Vec::as_slice);
        let columns = columns(conn, source.table)?;
        let mut ids = BTreeSet::new();
        for (i, row) in rows.iter().enumerate() {
            let at = format!("tables.{}[{i}]", source.table);
            check_owner(source, row, snapshot.bot(), &owners, &at)?;
            let mut names = Vec::with_capacity(row.len());
            let mut values = Vec::with_capacity(row.len());
            for (column, value) in row {
                if !columns.contains(column) || source.skip.contains(&column.as_str()) {
                    return Err(ApiError::invalid_payload(format!(
                        "{at}: unknown column `{column}` (the columns are {})",
                        columns
                            .iter()
                            .filter(|c| !source.skip.contains(&c.as_str()))
                            .map(String::as_str)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
                names.push(format!("\"{column}\""));
                values.push(to_sql(source, column, value, &at)?);
            }
            if let Some(id) = row.get("id").and_then(Value::as_str) {
                ids.insert(id.to_string());
            }
            let placeholders = vec!["?"; names.len()].join(", ");
            let sql = format!(
                "INSERT INTO {} ({}) VALUES ({placeholders})",
                source.table,
                names.join(", ")
            );
            conn.prepare_cached(&sql)?
                .execute(rusqlite::params_from_iter(values.iter()))
                .map_err(|e| match e.sqlite_error_code() {
                    Some(rusqlite::ErrorCode::ConstraintViolation) => {
                        ApiError::invalid_payload(format!("{at}: does not fit the store ({e})"))
                    }
                    _ => ApiError::from(e),
                })?;
        }
        owners.insert(source.table, ids);
    }
    Ok(())
}

/// Checks that a row of a bot's snapshot belongs to that bot (by its bot column, or by its
/// owner in an earlier table of the snapshot).
fn check_owner(
    source: &Source,
    row: &Map<String, Value>,
    bot: Option<&str>,
    owners: &BTreeMap<&str, BTreeSet<String>>,
    at: &str,
) -> Result<(), ApiError> {
    let Some(bot) = bot else {
        return Ok(());
    };
    if let Some(column) = source.bot_column {
        let of = row.get(column).and_then(Value::as_str);
        if of != Some(bot) {
            return Err(ApiError::invalid_payload(format!(
                "{at}.{column}: a snapshot of bot `{bot}` holds only its rows, not {}",
                of.map_or_else(
                    || "a row without one".to_string(),
                    |b| format!("bot `{b}`'s")
                )
            )));
        }
    }
    if let Some((column, table)) = source.owner {
        let of = row.get(column).and_then(Value::as_str);
        if !of.is_some_and(|id| owners.get(table).is_some_and(|ids| ids.contains(id))) {
            return Err(ApiError::invalid_payload(format!(
                "{at}.{column}: not one of the snapshot's {table} (a snapshot of bot `{bot}` holds only its rows)"
            )));
        }
    }
    Ok(())
}
