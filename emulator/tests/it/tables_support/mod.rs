//! Shared set-up for the Tables engine tests: an in-memory database, an in-memory file store,
//! and JSON shorthands for the generated request and response types.
#![allow(dead_code)]

use std::cell::RefCell;
use std::collections::BTreeMap;

use botpress_emulator::error::ApiError;
use botpress_emulator::tables::{self, FileStore};
use rusqlite::Connection;
use serde_json::{Value, json};

/// The bot most tests act as.
pub(crate) const BOT: &str = "bot_test";

/// A migrated in-memory database.
pub(crate) fn db() -> Connection {
    let conn = Connection::open_in_memory().expect("open in-memory database");
    tables::migrate(&conn).expect("migrate");
    tables::migrate(&conn).expect("migrate is idempotent");
    conn
}

/// A generated request type from JSON (as the HTTP layer would deserialize it).
pub(crate) fn body<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).expect("test body fits the generated type")
}

/// A response as JSON, as it would go on the wire.
pub(crate) fn wire<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).expect("response serializes")
}

/// Creates a table and returns its id.
pub(crate) fn create(conn: &Connection, name: &str, schema: Value) -> String {
    let resp = tables::create_table(conn, BOT, body(json!({ "name": name, "schema": schema })))
        .expect("create table");
    resp.table.id
}

/// Inserts rows (all must succeed) and returns their ids.
pub(crate) fn insert(conn: &Connection, table: &str, rows: Value) -> Vec<i64> {
    let resp = tables::create_table_rows(conn, BOT, table, body(json!({ "rows": rows })))
        .expect("insert rows");
    assert!(
        resp.errors.is_empty(),
        "unexpected row errors: {:?}",
        resp.errors
    );
    resp.rows.iter().map(|r| r.id).collect()
}

/// The ids findTableRows returns for a filter (limit 1000).
pub(crate) fn find_ids(
    conn: &Connection,
    table: &str,
    filter: Value,
) -> Result<Vec<i64>, ApiError> {
    let resp = tables::find_table_rows(
        conn,
        BOT,
        table,
        body(json!({ "filter": filter, "limit": 1000 })),
    )?;
    Ok(resp.rows.iter().map(|r| r.id).collect())
}

/// Asserts an error's status and type and that its message contains `needle`.
pub(crate) fn assert_err<T: std::fmt::Debug>(
    r: Result<T, ApiError>,
    status: u16,
    ty: &str,
    needle: &str,
) {
    let e = r.expect_err("expected an error");
    assert_eq!((e.status, e.error_type), (status, ty), "{e}");
    assert!(
        e.message.contains(needle),
        "message {:?} should contain {needle:?}",
        e.message
    );
}

/// A file kept by [`MemFiles`].
#[derive(Clone, Debug)]
pub(crate) struct StoredFile {
    pub bot_id: String,
    pub id: String,
    pub key: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// An in-memory [`FileStore`].
#[derive(Default)]
pub(crate) struct MemFiles {
    pub files: RefCell<Vec<StoredFile>>,
}

impl MemFiles {
    /// Adds a file of `bot` and returns its id.
    pub(crate) fn add(&self, bot: &str, bytes: Vec<u8>) -> String {
        self.put_file(&db(), bot, "upload", "application/octet-stream", bytes)
            .expect("stored")
    }

    /// A stored file by id.
    pub(crate) fn get(&self, id: &str) -> StoredFile {
        self.files
            .borrow()
            .iter()
            .find(|f| f.id == id)
            .cloned()
            .expect("file exists")
    }
}

impl FileStore for MemFiles {
    fn put_file(
        &self,
        _: &Connection,
        bot_id: &str,
        key: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Result<String, ApiError> {
        let id = format!("file_{}", self.files.borrow().len() + 1);
        self.files.borrow_mut().push(StoredFile {
            bot_id: bot_id.into(),
            id: id.clone(),
            key: key.into(),
            content_type: content_type.into(),
            bytes,
        });
        Ok(id)
    }

    fn get_file_bytes(
        &self,
        _: &Connection,
        bot_id: &str,
        file_id: &str,
    ) -> Result<Vec<u8>, ApiError> {
        self.files
            .borrow()
            .iter()
            .find(|f| f.bot_id == bot_id && f.id == file_id)
            .map(|f| f.bytes.clone())
            .ok_or_else(|| ApiError::not_found(format!("file {file_id} not found")))
    }
}

/// An empty tags filter.
pub(crate) fn no_tags() -> BTreeMap<String, String> {
    BTreeMap::new()
}
