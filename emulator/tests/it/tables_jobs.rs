//! Export and import jobs of the Tables engine, through an in-memory file store.

use crate::tables_support;

use std::io::{Read, Write};

use botpress_emulator::tables;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde_json::{Value, json};
use tables_support::*;

fn setup() -> rusqlite::Connection {
    let conn = db();
    create(
        &conn,
        "items",
        json!({"name": {"type": "string"}, "price": {"type": "number"}, "ok": {"type": "boolean"}, "meta": {"type": "object"}}),
    );
    insert(
        &conn,
        "items",
        json!([{"name": "pen, blue", "price": 1.5, "ok": true, "meta": {"a": 1}}, {"name": "cup \"big\"", "price": 3}]),
    );
    conn
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    GzDecoder::new(bytes).read_to_end(&mut out).expect("gzip");
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

#[test]
fn export_csv_gzipped_by_default() {
    let conn = setup();
    let files = MemFiles::default();
    let resp = tables::export_table(&conn, BOT, "items", None, None, &files).unwrap();
    let job = wire(&resp)["job"].clone();
    assert_eq!(job["type"], "export");
    assert_eq!(job["status"], "completed");
    assert_eq!(job["botId"], BOT);
    assert_eq!(job["inputFileId"], Value::Null);
    let table_id = tables::get_table(&conn, BOT, "items").unwrap().table.id;
    assert_eq!(job["tableId"], table_id.as_str());
    let file = files.get(job["outputFileId"].as_str().unwrap());
    assert_eq!(file.content_type, "application/gzip");
    assert!(
        file.key.starts_with(&format!("tables/{table_id}/exports/"))
            && file.key.ends_with(".csv.gz"),
        "{}",
        file.key
    );
    let csv = String::from_utf8(gunzip(&file.bytes)).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    // Columns follow `x-zui.index`; a schema without indexes gets them in name order (JSON
    // objects reach the engine as sorted maps).
    assert_eq!(lines[0], "id,createdAt,updatedAt,meta,name,ok,price");
    assert!(lines[1].starts_with("1,"));
    assert!(
        lines[1].ends_with(",\"{\"\"a\"\":1}\",\"pen, blue\",true,1.5"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].ends_with(",,\"cup \"\"big\"\"\",,3"),
        "{}",
        lines[2]
    );
    assert_eq!(lines.len(), 3);
}

#[test]
fn export_json_uncompressed_and_errors() {
    let conn = setup();
    let files = MemFiles::default();
    let resp =
        tables::export_table(&conn, BOT, "items", Some("json"), Some(false), &files).unwrap();
    let file = files.get(resp.job.output_file_id.as_deref().unwrap());
    assert_eq!(file.content_type, "application/json");
    assert!(file.key.ends_with(".json"));
    let rows: Value = serde_json::from_slice(&file.bytes).unwrap();
    assert_eq!(rows[0]["id"], 1);
    assert_eq!(rows[0]["meta"], json!({"a": 1}));
    assert_eq!(rows[1]["name"], "cup \"big\"");
    assert_err(
        tables::export_table(&conn, BOT, "items", Some("xml"), None, &files),
        400,
        "InvalidQuery",
        "csv or json",
    );
    assert_err(
        tables::export_table(&conn, BOT, "nope", None, None, &files),
        404,
        "ResourceNotFound",
        "nope",
    );
}

#[test]
fn import_csv_and_gzipped_json_append_rows() {
    let conn = setup();
    let files = MemFiles::default();
    let csv =
        "name,price,ok,meta,id,unknown\nlamp,12,TRUE,\"{\"\"w\"\":2}\",77,zzz\nbulb,,false,,,\n";
    let file_id = files.add(BOT, csv.as_bytes().to_vec());
    let resp = tables::import_table(
        &conn,
        BOT,
        "items",
        body(json!({"fileId": file_id})),
        &files,
    )
    .unwrap();
    let job = wire(&resp)["job"].clone();
    assert_eq!(
        (job["type"].as_str(), job["status"].as_str()),
        (Some("import"), Some("completed"))
    );
    assert_eq!(job["inputFileId"], file_id.as_str());
    let rows = tables::find_table_rows(
        &conn,
        BOT,
        "items",
        body(json!({"filter": {"id": {"$gt": 2}}})),
    )
    .unwrap();
    let rows = wire(&rows)["rows"].clone();
    assert_eq!(rows[0]["id"], 3);
    assert_eq!(rows[0]["name"], "lamp");
    assert_eq!(rows[0]["price"], 12);
    assert_eq!(rows[0]["ok"], true);
    assert_eq!(rows[0]["meta"], json!({"w": 2}));
    assert!(rows[0].get("unknown").is_none());
    assert_eq!(rows[1]["ok"], false);
    assert!(rows[1].get("price").is_none());

    let json_file = files.add(BOT, gzip(br#"{"rows": [{"name": "mug", "price": 2.25}]}"#));
    tables::import_table(
        &conn,
        BOT,
        "items",
        body(json!({"fileId": json_file})),
        &files,
    )
    .unwrap();
    let plain_array = files.add(BOT, br#"  [{"name": "cap"}]"#.to_vec());
    tables::import_table(
        &conn,
        BOT,
        "items",
        body(json!({"fileId": plain_array})),
        &files,
    )
    .unwrap();
    assert_eq!(
        find_ids(&conn, "items", json!({"name": {"$in": ["mug", "cap"]}})).unwrap(),
        [5, 6]
    );
    assert_eq!(tables::get_table(&conn, BOT, "items").unwrap().rows, 6);
    let jobs = tables::get_table_jobs(&conn, BOT, "items").unwrap().jobs;
    assert_eq!(jobs.len(), 3);
    assert!(
        jobs.iter()
            .all(|j| j.type_.as_str() == "import" && j.status.as_str() == "completed")
    );
}

#[test]
fn failed_imports_write_nothing() {
    let conn = setup();
    let files = MemFiles::default();
    let cases: [Vec<u8>; 4] = [
        b"name,price\nok,1\nbad,notanumber\n".to_vec(),
        b"[{\"name\": 1}]".to_vec(),
        b"[1, 2]".to_vec(),
        vec![0x1f, 0x8b, 0, 1, 2, 3],
    ];
    for bytes in cases {
        let id = files.add(BOT, bytes);
        let resp =
            tables::import_table(&conn, BOT, "items", body(json!({"fileId": id})), &files).unwrap();
        assert_eq!(resp.job.status.as_str(), "failed");
    }
    assert_eq!(tables::get_table(&conn, BOT, "items").unwrap().rows, 2);
    assert_err(
        tables::import_table(
            &conn,
            BOT,
            "items",
            body(json!({"fileId": "file_missing"})),
            &files,
        ),
        404,
        "ResourceNotFound",
        "file_missing",
    );
    // another bot's file is not readable
    let other = files.add("other_bot", b"name\nx\n".to_vec());
    assert_err(
        tables::import_table(&conn, BOT, "items", body(json!({"fileId": other})), &files),
        404,
        "ResourceNotFound",
        "",
    );
}

#[test]
fn export_then_import_round_trips() {
    let conn = setup();
    let files = MemFiles::default();
    tables::duplicate_table(
        &conn,
        BOT,
        "items",
        body(json!({"tableName": "copy", "schemaOnly": true})),
    )
    .unwrap();
    for format in ["csv", "json"] {
        let job = tables::export_table(&conn, BOT, "items", Some(format), Some(true), &files)
            .unwrap()
            .job;
        let resp = tables::import_table(
            &conn,
            BOT,
            "copy",
            body(json!({"fileId": job.output_file_id.unwrap()})),
            &files,
        )
        .unwrap();
        assert_eq!(resp.job.status.as_str(), "completed");
    }
    let strip = |table: &str| -> Vec<Value> {
        let resp = tables::find_table_rows(&conn, BOT, table, body(json!({}))).unwrap();
        wire(&resp)["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let mut r = r.clone();
                for k in ["id", "createdAt", "updatedAt"] {
                    r.as_object_mut().unwrap().remove(k);
                }
                r
            })
            .collect()
    };
    let original = strip("items");
    let copied = strip("copy");
    assert_eq!(copied.len(), 4);
    assert_eq!(copied[..2], original[..]);
    assert_eq!(copied[2..], original[..]);
    let jobs = tables::get_table_jobs(&conn, BOT, "items").unwrap().jobs;
    assert_eq!(
        jobs.iter().map(|j| j.type_.as_str()).collect::<Vec<_>>(),
        ["export", "export"]
    );
    assert_err(
        tables::get_table_jobs(&conn, BOT, "nope"),
        404,
        "ResourceNotFound",
        "nope",
    );
}
