//! Table jobs: exportTable, importTable, getTableJobs.
//!
//! The service runs exports and imports as background jobs; the emulator runs them within the
//! call and records the job already finished (`completed`, or `failed` when an import's file
//! cannot be read or a row is rejected: then no row is imported). Files go through the emulator's
//! Files API ([`FileStore`]).

use std::io::{Read, Write};

use botpress::types::{
    ExportTableResponse, GetTableJobsResponse, ImportTableBody, ImportTableResponse,
};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use rusqlite::{Connection, params};
use serde_json::{Map, Value, json};

use super::FileStore;
use super::limits::MAX_IMPORT_BYTES;
use super::schema::{ColType, Columns, RESERVED_NAMES};
use super::store::{self, RowRec, TableRec, atomic};
use super::to_api;
use crate::error::ApiError;
use crate::ids::{new_id, now};

/// Progress of a finished job. The service does not document the scale; the emulator uses 100.
const DONE: f64 = 100.0;

/// `exportTable`: writes every row (ordered by id) as CSV (the default) or JSON, gzipped unless
/// `compress` is false, to a new file; returns the completed job with its `outputFileId`.
pub fn export_table(
    conn: &Connection,
    bot_id: &str,
    table: &str,
    format: Option<&str>,
    compress: Option<bool>,
    files: &dyn FileStore,
) -> Result<ExportTableResponse, ApiError> {
    let t = store::get(conn, bot_id, table)?;
    let format = format.unwrap_or("csv");
    let (content, ext, content_type) = match format {
        "csv" => (to_csv(conn, &t)?, "csv", "text/csv"),
        "json" => (to_json(conn, &t)?, "json", "application/json"),
        other => {
            return Err(ApiError::invalid_query(format!(
                "format must be csv or json, got \"{other}\""
            )));
        }
    };
    let compress = compress.unwrap_or(true);
    let (bytes, ext, content_type) = if compress {
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(&content)
            .and_then(|_| gz.finish())
            .map(|b| (b, format!("{ext}.gz"), "application/gzip"))
    } else {
        Ok((content, ext.to_string(), content_type))
    }
    .map_err(|e| ApiError::internal(format!("compressing the export failed: {e}")))?;
    let job_id = new_id("job_");
    let key = format!("tables/{}/exports/{job_id}.{ext}", t.id);
    let file_id = files.put_file(conn, bot_id, &key, content_type, bytes)?;
    let job = Job {
        id: job_id,
        kind: "export",
        status: "completed",
        input: None,
        output: Some(file_id),
    };
    to_api(json!({ "job": job.insert(conn, bot_id, &t.id)? }))
}

/// `importTable`: appends the rows of a CSV or JSON file (gzipped or not). CSV: a header row of
/// column names, cells converted to the columns' types (empty cell: no value). JSON: an array of
/// row objects, or `{"rows": [...]}`. System columns in the file (`id`, timestamps) are ignored.
pub fn import_table(
    conn: &Connection,
    bot_id: &str,
    table: &str,
    body: ImportTableBody,
    files: &dyn FileStore,
) -> Result<ImportTableResponse, ApiError> {
    let t = store::get(conn, bot_id, table)?;
    let bytes = files.get_file_bytes(conn, bot_id, &body.file_id)?;
    let cols = t.columns();
    let outcome = parse_import(&bytes, &cols).and_then(|rows| {
        atomic(conn, || {
            for (i, row) in rows.iter().enumerate() {
                if let Err(e) = super::row_ops::insert_row(conn, &t, &cols, row, i)? {
                    return Err(ApiError::invalid_payload(e));
                }
            }
            Ok(())
        })
    });
    let status = if outcome.is_ok() {
        "completed"
    } else {
        "failed"
    };
    let job = Job {
        id: new_id("job_"),
        kind: "import",
        status,
        input: Some(body.file_id),
        output: None,
    };
    to_api(json!({ "job": job.insert(conn, bot_id, &t.id)? }))
}

/// `getTableJobs`: the table's jobs, oldest first.
pub fn get_table_jobs(
    conn: &Connection,
    bot_id: &str,
    table: &str,
) -> Result<GetTableJobsResponse, ApiError> {
    let t = store::get(conn, bot_id, table)?;
    let mut stmt = conn.prepare(
        "SELECT id, type, status, progress, input_file_id, output_file_id, created_at, updated_at
         FROM tbl_jobs WHERE bot_id = ?1 AND table_id = ?2 ORDER BY created_at, rowid",
    )?;
    let jobs = stmt
        .query_map(params![bot_id, t.id], |r| {
            Ok(json!({
                "id": r.get::<_, String>(0)?,
                "botId": bot_id,
                "tableId": t.id,
                "type": r.get::<_, String>(1)?,
                "status": r.get::<_, String>(2)?,
                "progress": r.get::<_, f64>(3)?,
                "inputFileId": r.get::<_, Option<String>>(4)?,
                "outputFileId": r.get::<_, Option<String>>(5)?,
                "createdAt": r.get::<_, String>(6)?,
                "updatedAt": r.get::<_, String>(7)?,
            }))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    to_api(json!({ "jobs": jobs }))
}

/// A finished job to record.
struct Job {
    id: String,
    kind: &'static str,
    status: &'static str,
    input: Option<String>,
    output: Option<String>,
}

impl Job {
    /// Stores the job and returns its `TableJob` JSON.
    fn insert(self, conn: &Connection, bot_id: &str, table_id: &str) -> Result<Value, ApiError> {
        let stamp = now();
        conn.execute(
            "INSERT INTO tbl_jobs (id, bot_id, table_id, type, status, progress, input_file_id, output_file_id,
                created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
            params![self.id, bot_id, table_id, self.kind, self.status, DONE, self.input, self.output, stamp],
        )?;
        Ok(json!({
            "id": self.id, "botId": bot_id, "tableId": table_id, "type": self.kind, "status": self.status,
            "progress": DONE, "inputFileId": self.input, "outputFileId": self.output,
            "createdAt": stamp, "updatedAt": stamp,
        }))
    }
}

fn all_rows(conn: &Connection, t: &TableRec) -> Result<Vec<RowRec>, ApiError> {
    let mut stmt = conn.prepare(
        "SELECT id, created_at, updated_at, data FROM tbl_rows WHERE table_id = ?1 ORDER BY id",
    )?;
    let rows = stmt
        .query_map(params![t.id], RowRec::from_sql)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

fn to_json(conn: &Connection, t: &TableRec) -> Result<Vec<u8>, ApiError> {
    let rows: Vec<Value> = all_rows(conn, t)?.iter().map(RowRec::to_json).collect();
    serde_json::to_vec(&rows)
        .map_err(|e| ApiError::internal(format!("encoding the export failed: {e}")))
}

/// CSV: `id, createdAt, updatedAt` then the columns in index order; objects and arrays as JSON,
/// null and missing values as empty cells.
fn to_csv(conn: &Connection, t: &TableRec) -> Result<Vec<u8>, ApiError> {
    let cols: Vec<String> = t.columns().iter().map(|c| c.name.clone()).collect();
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| ApiError::internal(format!("encoding the export failed: {e}"));
    let header = ["id", "createdAt", "updatedAt"]
        .into_iter()
        .map(String::from)
        .chain(cols.iter().cloned());
    w.write_record(header).map_err(fail)?;
    for row in all_rows(conn, t)? {
        let mut record = vec![
            row.id.to_string(),
            row.created_at.clone(),
            row.updated_at.clone(),
        ];
        record.extend(cols.iter().map(|c| match row.data.get(c) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        }));
        w.write_record(&record).map_err(fail)?;
    }
    w.into_inner()
        .map_err(|e| ApiError::internal(format!("encoding the export failed: {e}")))
}

/// Reads an import file into row objects (not yet validated).
fn parse_import(bytes: &[u8], cols: &Columns) -> Result<Vec<Map<String, Value>>, ApiError> {
    let bad = |m: String| ApiError::invalid_payload(format!("import file: {m}"));
    let content = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        GzDecoder::new(bytes)
            .take(MAX_IMPORT_BYTES + 1)
            .read_to_end(&mut out)
            .map_err(|e| bad(format!("not valid gzip: {e}")))?;
        if out.len() as u64 > MAX_IMPORT_BYTES {
            return Err(bad(format!(
                "more than {MAX_IMPORT_BYTES} bytes once decompressed"
            )));
        }
        out
    } else {
        bytes.to_vec()
    };
    let first = content.iter().find(|b| !b.is_ascii_whitespace());
    if matches!(first, Some(b'[') | Some(b'{')) {
        let v: Value =
            serde_json::from_slice(&content).map_err(|e| bad(format!("not valid JSON: {e}")))?;
        let list = match v {
            Value::Array(a) => a,
            Value::Object(mut o) => match o.remove("rows") {
                Some(Value::Array(a)) => a,
                _ => {
                    return Err(bad(
                        "a JSON import is an array of rows or {\"rows\": [...]}".into(),
                    ));
                }
            },
            _ => unreachable!("starts with [ or {{"),
        };
        return list
            .into_iter()
            .enumerate()
            .map(|(i, r)| match r {
                Value::Object(o) => Ok(o),
                _ => Err(bad(format!("row {i} is not an object"))),
            })
            .collect();
    }
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(content.as_slice());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| bad(format!("not valid CSV: {e}")))?
        .iter()
        .map(String::from)
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| bad(format!("not valid CSV: {e}")))?;
        let mut row = Map::new();
        for (name, cell) in header.iter().zip(record.iter()) {
            if cell.is_empty() || RESERVED_NAMES.contains(&name.as_str()) {
                continue;
            }
            let value = match cols.get(name).map(|c| c.ty) {
                Some(ColType::Number) => cell
                    .parse::<i64>()
                    .map(Value::from)
                    .or_else(|_| cell.parse::<f64>().map(Value::from))
                    .unwrap_or_else(|_| Value::String(cell.into())),
                Some(ColType::Boolean) => match cell.to_ascii_lowercase().as_str() {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    _ => Value::String(cell.into()),
                },
                Some(ColType::Object | ColType::Array) => {
                    serde_json::from_str(cell).unwrap_or_else(|_| Value::String(cell.into()))
                }
                _ => Value::String(cell.into()),
            };
            row.insert(name.clone(), value);
        }
        rows.push(row);
    }
    Ok(rows)
}
