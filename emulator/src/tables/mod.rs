//! The Tables API engine: the 17 Tables operations (the `tablesApi` export of `@botpress/api`
//! 1.70.2) over SQLite.
//!
//! Every operation is a plain function `fn(conn, bot_id, <path params>, <body or query>)` returning
//! the generated response type of `botpress::types`, or an [`ApiError`] with the service's error
//! type and status. The HTTP layer runs each call inside a transaction and passes `&tx`; nothing
//! here commits. Data is isolated per bot: every statement is scoped by `bot_id`.
//!
//! Layout: [`schema`] normalises table schemas and validates row values, [`filter`] translates the
//! filter language into parameterised SQL, `store` holds the SQL tables and table records,
//! `table_ops`, `row_ops` and `job_ops` implement the operations.
//!
//! Storage: one SQL row per table row, user columns kept as a JSON object in `data` and queried
//! with `json_extract`; user strings (values, column names, JSON paths, regexes) only ever reach
//! SQL as bound parameters. A value index (`tbl_values`, kept by triggers) holds each row's
//! number and text columns, so that filters comparing a column with values narrow the rows
//! through an index before the exact filter checks them ([`filter::compile_indexed`]).

use crate::error::ApiError;

pub mod filter;
mod job_ops;
mod row_ops;
pub mod schema;
mod store;
mod table_ops;

pub use job_ops::{export_table, get_table_jobs, import_table};
pub use row_ops::{
    create_table_rows, delete_table_rows, find_table_rows, get_table_row, update_table_rows,
    upsert_table_rows,
};
pub use store::migrate;
pub use table_ops::{
    create_table, delete_table, duplicate_table, get_or_create_table, get_table, list_tables,
    rename_table_column, update_table,
};

/// Storage for the files that export and import jobs write and read; implemented by the
/// emulator's Files API.
pub trait FileStore {
    /// Stores `bytes` as a new, uploaded file of the bot and returns its file id.
    fn put_file(
        &self,
        conn: &rusqlite::Connection,
        bot_id: &str,
        key: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Result<String, ApiError>;

    /// The content of one of the bot's files.
    fn get_file_bytes(
        &self,
        conn: &rusqlite::Connection,
        bot_id: &str,
        file_id: &str,
    ) -> Result<Vec<u8>, ApiError>;
}

/// Limits of the service (the `tablesApi` schemas of `@botpress/api` 1.70.2 and the Tables docs)
/// that the engine enforces, and the emulator's own bounds where the service documents none.
/// The platform limits users may change (columns, row size, rows per call, findTableRows
/// `limit`) are [`crate::platform::PlatformLimits`], read per request.
pub mod limits {
    /// Length of a column name.
    pub const MAX_COLUMN_NAME: usize = 30;
    /// Largest row factor.
    pub const MAX_FACTOR: i64 = 30;
    /// Default `limit` of findTableRows.
    pub const DEFAULT_FIND_LIMIT: i64 = 100;
    /// Largest findTableRows `offset` (no table holds more rows than it has ids).
    pub const MAX_FIND_OFFSET: i64 = MAX_ROW_ID;
    /// Outputs of one findTableRows `group` (columns × aggregations): each is a result column,
    /// and SQLite answers at most 2,000.
    pub const MAX_GROUP_OUTPUTS: usize = 100;
    /// Paths of one findTableRows `select`.
    pub const MAX_SELECT: usize = 100;
    /// Length of findTableRows `search`.
    pub const MAX_SEARCH: usize = 1024;
    /// Nesting depth of a filter (`$and`, `$or`, `$not`).
    pub const MAX_FILTER_DEPTH: usize = 32;
    /// Elements of one `$in` / `$nin` list, and of one `$and` / `$or` list.
    pub const MAX_FILTER_LIST: usize = 1000;
    /// Bound SQL parameters one filter may produce (keeps big filters below SQLite's limits).
    pub const MAX_FILTER_PARAMS: usize = 10_000;
    /// Length of a `$regex` pattern.
    pub const MAX_REGEX_LEN: usize = 1024;
    /// Compiled size of a regex (the `regex` crate's `size_limit`); matching is linear time.
    pub const REGEX_SIZE_LIMIT: usize = 1 << 20;
    /// Largest row id (ids are below 2 147 483 647).
    pub const MAX_ROW_ID: i64 = 2_147_483_646;
    /// Decompressed size of an imported file.
    pub const MAX_IMPORT_BYTES: u64 = 64 * 1024 * 1024;
}

/// Converts a JSON value built by the engine into a generated response type.
pub(crate) fn to_api<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
) -> Result<T, ApiError> {
    serde_json::from_value(value)
        .map_err(|e| ApiError::internal(format!("building the response failed: {e}")))
}

/// Converts a generated request type into JSON, so that every user column it carries (the
/// flattened `extra` of row items) reaches the engine.
pub(crate) fn from_api<T: serde::Serialize>(value: &T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(value)
        .map_err(|e| ApiError::invalid_payload(format!("the request body is not valid JSON: {e}")))
}
