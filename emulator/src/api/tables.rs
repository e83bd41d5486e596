//! The Tables API routes (`/v1/tables`): path, query and body of each operation handed to the
//! Tables engine ([`crate::tables`]); its files (exports, imports) live in the Files API.

use botpress::types;
use serde::Serialize;
use serde_json::Value;

use super::{Req, files};
use crate::{db::Docs, error::ApiError, tables};

/// The engine's file storage: files of the bot in the Files API.
pub struct EmulatorFiles;

impl tables::FileStore for EmulatorFiles {
    fn put_file(
        &self,
        conn: &rusqlite::Connection,
        bot_id: &str,
        key: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Result<String, ApiError> {
        files::store_bytes(&Docs::new(conn, bot_id), key, content_type, bytes)
    }

    fn get_file_bytes(
        &self,
        conn: &rusqlite::Connection,
        bot_id: &str,
        file_id: &str,
    ) -> Result<Vec<u8>, ApiError> {
        files::read_bytes(&Docs::new(conn, bot_id), file_id)
    }
}

fn json<T: Serialize>(response: Result<T, ApiError>) -> Result<Value, ApiError> {
    serde_json::to_value(response?)
        .map_err(|e| ApiError::internal(format!("encoding the response failed: {e}")))
}

/// Runs a Tables operation; `None` when `op_id` is not one.
pub fn dispatch(op_id: &str, docs: &Docs<'_>, req: &Req) -> Option<Result<Value, ApiError>> {
    let (conn, bot) = (docs.conn(), docs.bot_id());
    let table = req.path("table");
    Some(match op_id {
        "listTables" => {
            let tags = req
                .query
                .get("tags")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                        .collect()
                })
                .unwrap_or_default();
            json(tables::list_tables(conn, bot, &tags))
        }
        "createTable" => req
            .body::<types::CreateTableBody>()
            .and_then(|b| json(tables::create_table(conn, bot, b))),
        "getTable" => json(tables::get_table(conn, bot, table)),
        "getOrCreateTable" => req
            .body::<types::GetOrCreateTableBody>()
            .and_then(|b| json(tables::get_or_create_table(conn, bot, table, b))),
        "updateTable" => req
            .body::<types::UpdateTableBody>()
            .and_then(|b| json(tables::update_table(conn, bot, table, b))),
        "renameTableColumn" => req
            .body::<types::RenameTableColumnBody>()
            .and_then(|b| json(tables::rename_table_column(conn, bot, table, b))),
        "deleteTable" => json(tables::delete_table(conn, bot, table)),
        "duplicateTable" => req.body::<types::DuplicateTableBody>().and_then(|b| {
            json(tables::duplicate_table(
                conn,
                bot,
                req.path("sourceTableId"),
                b,
            ))
        }),
        "exportTable" => json(tables::export_table(
            conn,
            bot,
            table,
            req.query_str("format"),
            req.query.get("compress").and_then(Value::as_bool),
            &EmulatorFiles,
        )),
        "importTable" => req
            .body::<types::ImportTableBody>()
            .and_then(|b| json(tables::import_table(conn, bot, table, b, &EmulatorFiles))),
        "getTableJobs" => json(tables::get_table_jobs(conn, bot, table)),
        "getTableRow" => match req.query.get("id").and_then(Value::as_i64) {
            Some(id) => json(tables::get_table_row(conn, bot, table, id)),
            None => Err(ApiError::invalid_payload(
                "query.id: the parameter is required",
            )),
        },
        "findTableRows" => req
            .body::<types::FindTableRowsBody>()
            .and_then(|b| json(tables::find_table_rows(conn, bot, table, b))),
        "createTableRows" => req
            .body::<types::CreateTableRowsBody>()
            .and_then(|b| json(tables::create_table_rows(conn, bot, table, b))),
        "updateTableRows" => req
            .body::<types::UpdateTableRowsBody>()
            .and_then(|b| json(tables::update_table_rows(conn, bot, table, b))),
        "upsertTableRows" => req
            .body::<types::UpsertTableRowsBody>()
            .and_then(|b| json(tables::upsert_table_rows(conn, bot, table, b))),
        "deleteTableRows" => req
            .body::<types::DeleteTableRowsBody>()
            .and_then(|b| json(tables::delete_table_rows(conn, bot, table, b))),
        _ => return None,
    })
}
