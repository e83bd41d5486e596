//! Table operations of the Tables engine: create, get, getOrCreate, list, update, rename column,
//! delete, duplicate; their results and their errors.

use crate::tables_support;

use std::collections::BTreeMap;

use botpress_emulator::tables;
use serde_json::json;
use tables_support::*;

#[test]
fn create_table_stores_the_normalised_schema_and_defaults() {
    let conn = db();
    let resp = tables::create_table(
        &conn,
        BOT,
        body(json!({
            "name": "leadsTable",
            "schema": {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "number"}}},
            "tags": {"team": "sales"},
            "keyColumn": "name"
        })),
    )
    .unwrap();
    let t = wire(&resp)["table"].clone();
    let id = t["id"].as_str().unwrap();
    assert!(
        id.starts_with("table_") && (28..=36).contains(&id.len()),
        "{id}"
    );
    assert_eq!(t["name"], "leadsTable");
    assert_eq!(t["factor"], 1);
    assert_eq!(t["frozen"], false);
    assert_eq!(t["keyColumn"], "name");
    assert_eq!(t["tags"], json!({"team": "sales"}));
    assert_eq!(t["schema"]["type"], "object");
    assert_eq!(t["schema"]["additionalProperties"], true);
    let i_name = t["schema"]["properties"]["name"]["x-zui"]["index"]
        .as_i64()
        .unwrap();
    let i_age = t["schema"]["properties"]["age"]["x-zui"]["index"]
        .as_i64()
        .unwrap();
    assert_ne!(i_name, i_age);
    assert!(t["createdAt"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn create_table_accepts_the_bare_columns_form() {
    let conn = db();
    let resp = tables::create_table(
        &conn,
        BOT,
        body(
            json!({"name": "t", "schema": {"done": {"type": "boolean"}, "when": {"type": "date"}}}),
        ),
    )
    .unwrap();
    let s = wire(&resp)["table"]["schema"].clone();
    assert_eq!(s["properties"]["done"]["type"], "boolean");
    assert_eq!(s["properties"]["when"]["type"], "string");
    assert_eq!(s["properties"]["when"]["format"], "date-time");
}

#[test]
fn create_table_errors() {
    let conn = db();
    create(&conn, "dup", json!({"a": {"type": "string"}}));
    assert_err(
        tables::create_table(&conn, BOT, body(json!({"name": "dup", "schema": {}}))),
        409,
        "AlreadyExists",
        "dup",
    );
    let cols: serde_json::Map<String, serde_json::Value> = (0..21)
        .map(|i| (format!("c{i}"), json!({"type": "string"})))
        .collect();
    assert_err(
        tables::create_table(&conn, BOT, body(json!({"name": "wide", "schema": cols}))),
        400,
        "InvalidPayload",
        "at most 20 columns",
    );
    assert_err(
        tables::create_table(
            &conn,
            BOT,
            body(json!({"name": "f", "schema": {}, "factor": 31})),
        ),
        400,
        "InvalidPayload",
        "factor must be between 1 and 30",
    );
    assert_err(
        tables::create_table(
            &conn,
            BOT,
            body(json!({"name": "f", "schema": {}, "factor": 0})),
        ),
        400,
        "InvalidPayload",
        "factor",
    );
    assert_err(
        tables::create_table(
            &conn,
            BOT,
            body(json!({"name": "k", "schema": {"a": {"type": "string"}}, "keyColumn": "b"})),
        ),
        400,
        "InvalidPayload",
        "keyColumn \"b\"",
    );
    assert_err(
        tables::create_table(&conn, BOT, body(json!({"name": "", "schema": {}}))),
        400,
        "InvalidPayload",
        "name",
    );
    // 20 columns is fine.
    let cols: serde_json::Map<String, serde_json::Value> = (0..20)
        .map(|i| (format!("c{i}"), json!({"type": "string"})))
        .collect();
    tables::create_table(&conn, BOT, body(json!({"name": "wide", "schema": cols}))).unwrap();
}

#[test]
fn get_table_by_name_or_id_with_counts_and_bot_isolation() {
    let conn = db();
    let id = create(&conn, "people", json!({"name": {"type": "string"}}));
    insert(&conn, "people", json!([{"name": "a"}, {"name": "b"}]));
    let by_name = tables::get_table(&conn, BOT, "people").unwrap();
    let by_id = tables::get_table(&conn, BOT, &id).unwrap();
    assert_eq!(by_name.table.id, id);
    assert_eq!(by_id.table.name, "people");
    assert_eq!((by_name.rows, by_name.stale, by_name.indexing), (2, 0, 0));
    assert_err(
        tables::get_table(&conn, BOT, "nope"),
        404,
        "ResourceNotFound",
        "nope",
    );
    assert_err(
        tables::get_table(&conn, "other_bot", "people"),
        404,
        "ResourceNotFound",
        "people",
    );
    assert_err(
        tables::get_table(&conn, "other_bot", &id),
        404,
        "ResourceNotFound",
        "",
    );
}

#[test]
fn get_or_create_table_creates_once() {
    let conn = db();
    let first = tables::get_or_create_table(
        &conn,
        BOT,
        "ordersTable",
        body(json!({"schema": {"total": {"type": "number"}}})),
    )
    .unwrap();
    assert!(first.created);
    assert_eq!(first.table.name, "ordersTable");
    assert_eq!(first.rows, 0);
    insert(&conn, "ordersTable", json!([{"total": 3}]));
    let second = tables::get_or_create_table(
        &conn,
        BOT,
        "ordersTable",
        body(json!({"schema": {"other": {"type": "string"}}})),
    )
    .unwrap();
    assert!(!second.created);
    assert_eq!(second.table.id, first.table.id);
    assert_eq!(second.rows, 1);
    assert!(second.table.schema.properties.contains_key("total"));
    let third =
        tables::get_or_create_table(&conn, BOT, &first.table.id, body(json!({"schema": {}})))
            .unwrap();
    assert!(!third.created);
}

#[test]
fn list_tables_filters_by_tags() {
    let conn = db();
    for (name, tags) in [
        ("a", json!({"env": "prod", "team": "x"})),
        ("b", json!({"env": "dev"})),
        ("c", json!({})),
    ] {
        tables::create_table(
            &conn,
            BOT,
            body(json!({"name": name, "schema": {}, "tags": tags})),
        )
        .unwrap();
    }
    tables::create_table(&conn, "other_bot", body(json!({"name": "z", "schema": {}}))).unwrap();
    let names = |tags: &[(&str, &str)]| -> Vec<String> {
        let tags: BTreeMap<String, String> = tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        tables::list_tables(&conn, BOT, &tags)
            .unwrap()
            .tables
            .into_iter()
            .map(|t| t.name)
            .collect()
    };
    assert_eq!(names(&[]), ["a", "b", "c"]);
    assert_eq!(names(&[("env", "prod")]), ["a"]);
    assert_eq!(names(&[("env", "prod"), ("team", "x")]), ["a"]);
    assert_eq!(
        names(&[("env", "prod"), ("team", "y")]),
        Vec::<String>::new()
    );
    assert_eq!(
        tables::list_tables(&conn, "other_bot", &no_tags())
            .unwrap()
            .tables
            .len(),
        1
    );
}

#[test]
fn update_table_settings_schema_and_stale_columns() {
    let conn = db();
    create(
        &conn,
        "t",
        json!({"a": {"type": "string"}, "b": {"type": "string"}}),
    );
    insert(
        &conn,
        "t",
        json!([{"a": "x", "b": "1"}, {"a": "y", "b": "2"}]),
    );
    let before = tables::get_table(&conn, BOT, "t").unwrap().table;
    let idx_a = before.schema.properties["a"].x_zui.index;
    let resp = tables::update_table(
        &conn,
        BOT,
        "t",
        body(json!({
            "name": "t2",
            "factor": 3,
            "tags": {"k": "v"},
            "isComputeEnabled": true,
            "schema": {"a": {"type": "string"}, "b": {"type": "number"},
                       "summary": {"type": "string", "x-zui": {"computed": {"action": "ai", "prompt": "sum up"}}}}
        })),
    )
    .unwrap();
    assert_eq!(resp.stale_columns, ["summary"]);
    let t = wire(&resp)["table"].clone();
    assert_eq!(t["name"], "t2");
    assert_eq!(t["factor"], 3);
    assert_eq!(t["tags"], json!({"k": "v"}));
    assert_eq!(t["isComputeEnabled"], true);
    assert_eq!(t["schema"]["properties"]["a"]["x-zui"]["index"], idx_a);
    // b became a number: the old string values are dropped, the a values stay.
    let row = wire(&tables::get_table_row(&conn, BOT, "t2", 1).unwrap())["row"].clone();
    assert_eq!(row["a"], "x");
    assert!(row.get("b").is_none(), "{row}");
    assert_err(
        tables::get_table(&conn, BOT, "t"),
        404,
        "ResourceNotFound",
        "t",
    );
    // tags merge
    let resp = tables::update_table(&conn, BOT, "t2", body(json!({"tags": {"k2": "v2"}}))).unwrap();
    assert_eq!(wire(&resp)["table"]["tags"], json!({"k": "v", "k2": "v2"}));
}

#[test]
fn update_table_errors_and_key_column() {
    let conn = db();
    create(&conn, "t", json!({"email": {"type": "string"}}));
    create(&conn, "other", json!({}));
    insert(&conn, "t", json!([{"email": "a"}, {"email": "a"}]));
    assert_err(
        tables::update_table(&conn, BOT, "t", body(json!({"factor": 0}))),
        400,
        "InvalidPayload",
        "factor",
    );
    tables::update_table(&conn, BOT, "t", body(json!({"factor": 2}))).unwrap();
    assert_err(
        tables::update_table(&conn, BOT, "t", body(json!({"factor": 1}))),
        400,
        "InvalidPayload",
        "only be increased",
    );
    assert_err(
        tables::update_table(&conn, BOT, "t", body(json!({"name": "other"}))),
        409,
        "AlreadyExists",
        "other",
    );
    assert_err(
        tables::update_table(&conn, BOT, "t", body(json!({"keyColumn": "email"}))),
        400,
        "InvalidPayload",
        "not unique",
    );
    assert_err(
        tables::update_table(&conn, BOT, "t", body(json!({"keyColumn": "nope"}))),
        400,
        "InvalidPayload",
        "keyColumn \"nope\"",
    );
    tables::update_table_rows(
        &conn,
        BOT,
        "t",
        body(json!({"rows": [{"id": 2, "email": "b"}]})),
    )
    .unwrap();
    let resp = tables::update_table(&conn, BOT, "t", body(json!({"keyColumn": "email"}))).unwrap();
    assert_eq!(resp.table.key_column.as_deref(), Some("email"));
    // Explicit null: built in code, because serde reads `"keyColumn": null` as an absent field
    // (`Option<Nullable<_>>`); the HTTP layer has to map a JSON null to `Nullable::Null`.
    let mut clear: botpress::types::UpdateTableBody = body(json!({}));
    clear.key_column = Some(botpress::Nullable::Null);
    let resp = tables::update_table(&conn, BOT, "t", clear).unwrap();
    assert_eq!(resp.table.key_column, None);
    assert!(wire(&resp)["table"].get("keyColumn").is_none());
    assert_err(
        tables::update_table(&conn, BOT, "nope", body(json!({}))),
        404,
        "ResourceNotFound",
        "nope",
    );
}

#[test]
fn frozen_tables_keep_name_and_schema() {
    let conn = db();
    tables::create_table(
        &conn,
        BOT,
        body(json!({"name": "ice", "schema": {"a": {"type": "string"}}, "frozen": true})),
    )
    .unwrap();
    assert_err(
        tables::update_table(&conn, BOT, "ice", body(json!({"name": "water"}))),
        400,
        "InvalidPayload",
        "frozen",
    );
    assert_err(
        tables::update_table(
            &conn,
            BOT,
            "ice",
            body(json!({"schema": {"b": {"type": "string"}}})),
        ),
        400,
        "InvalidPayload",
        "frozen",
    );
    assert_err(
        tables::rename_table_column(
            &conn,
            BOT,
            "ice",
            body(json!({"name": "a", "newName": "b"})),
        ),
        400,
        "InvalidPayload",
        "frozen",
    );
    // Rows and tags may still change; the copy of a frozen table is not frozen.
    insert(&conn, "ice", json!([{"a": "x"}]));
    tables::update_table(&conn, BOT, "ice", body(json!({"tags": {"x": "y"}}))).unwrap();
    let copy = tables::duplicate_table(&conn, BOT, "ice", body(json!({}))).unwrap();
    assert_eq!(copy.table.frozen, Some(false));
}

#[test]
fn rename_table_column_moves_schema_key_and_data() {
    let conn = db();
    tables::create_table(&conn, BOT, body(json!({"name": "t", "schema": {"type": "object", "properties": {"mail": {"type": "string"}, "n": {"type": "number"}}, "required": ["mail"]}, "keyColumn": "mail"})))
        .unwrap();
    insert(
        &conn,
        "t",
        json!([{"mail": "a@x", "n": 1}, {"mail": "b@x"}]),
    );
    let idx = tables::get_table(&conn, BOT, "t")
        .unwrap()
        .table
        .schema
        .properties["mail"]
        .x_zui
        .index;
    let resp = tables::rename_table_column(
        &conn,
        BOT,
        "t",
        body(json!({"name": "mail", "newName": "email"})),
    )
    .unwrap();
    let t = wire(&resp)["table"].clone();
    assert!(t["schema"]["properties"].get("mail").is_none());
    assert_eq!(t["schema"]["properties"]["email"]["x-zui"]["index"], idx);
    assert_eq!(t["schema"]["required"], json!(["email"]));
    assert_eq!(t["keyColumn"], "email");
    let row = wire(&tables::get_table_row(&conn, BOT, "t", 2).unwrap())["row"].clone();
    assert_eq!(row["email"], "b@x");
    assert!(row.get("mail").is_none());
    assert_eq!(find_ids(&conn, "t", json!({"email": "a@x"})).unwrap(), [1]);
    assert_err(
        tables::rename_table_column(
            &conn,
            BOT,
            "t",
            body(json!({"name": "nope", "newName": "x"})),
        ),
        400,
        "InvalidPayload",
        "\"nope\"",
    );
    assert_err(
        tables::rename_table_column(
            &conn,
            BOT,
            "t",
            body(json!({"name": "email", "newName": "n"})),
        ),
        409,
        "AlreadyExists",
        "\"n\"",
    );
    assert_err(
        tables::rename_table_column(
            &conn,
            BOT,
            "t",
            body(json!({"name": "email", "newName": "id"})),
        ),
        400,
        "InvalidPayload",
        "reserved",
    );
    assert_err(
        tables::rename_table_column(
            &conn,
            BOT,
            "t",
            body(json!({"name": "email", "newName": "x".repeat(31)})),
        ),
        400,
        "InvalidPayload",
        "1 to 30",
    );
}

#[test]
fn delete_table_cascades_rows_and_jobs() {
    let conn = db();
    let id = create(&conn, "t", json!({"a": {"type": "string"}}));
    insert(&conn, "t", json!([{"a": "x"}, {"a": "y"}]));
    let files = MemFiles::default();
    tables::export_table(&conn, BOT, "t", None, None, &files).unwrap();
    let resp = tables::delete_table(&conn, BOT, "t").unwrap();
    assert_eq!(wire(&resp), json!({}));
    let left: i64 = conn
        .query_row("SELECT (SELECT COUNT(*) FROM tbl_rows WHERE table_id = ?1) + (SELECT COUNT(*) FROM tbl_jobs WHERE table_id = ?1)", [&id], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 0);
    assert_err(
        tables::delete_table(&conn, BOT, "t"),
        404,
        "ResourceNotFound",
        "t",
    );
    // The name is free again.
    create(&conn, "t", json!({}));
}

#[test]
fn duplicate_table_with_rows_or_schema_only() {
    let conn = db();
    tables::create_table(&conn, BOT, body(json!({"name": "src", "schema": {"a": {"type": "string"}}, "factor": 2, "tags": {"x": "1"}}))).unwrap();
    insert(&conn, "src", json!([{"a": "1"}, {"a": "2"}, {"a": "3"}]));
    tables::delete_table_rows(&conn, BOT, "src", body(json!({"ids": [2]}))).unwrap();
    let copy = tables::duplicate_table(&conn, BOT, "src", body(json!({}))).unwrap();
    assert_eq!(copy.table.name, "srcCopy");
    assert_eq!(copy.rows, 2);
    assert_eq!(copy.table.factor, Some(2));
    assert_eq!(copy.table.tags.get("x").map(String::as_str), Some("1"));
    assert_eq!(find_ids(&conn, "srcCopy", json!({})).unwrap(), [1, 3]);
    // ids keep increasing in the copy
    assert_eq!(insert(&conn, "srcCopy", json!([{"a": "4"}])), [4]);
    let second =
        tables::duplicate_table(&conn, BOT, "src", body(json!({"schemaOnly": true}))).unwrap();
    assert_eq!(second.table.name, "srcCopy2");
    assert_eq!(second.rows, 0);
    assert_eq!(
        find_ids(&conn, "srcCopy2", json!({})).unwrap(),
        Vec::<i64>::new()
    );
    let named = tables::duplicate_table(
        &conn,
        BOT,
        &copy.table.id,
        body(json!({"tableName": "named", "factor": 5})),
    )
    .unwrap();
    assert_eq!(
        (named.table.name.as_str(), named.table.factor),
        ("named", Some(5))
    );
    assert_err(
        tables::duplicate_table(&conn, BOT, "src", body(json!({"tableName": "named"}))),
        409,
        "AlreadyExists",
        "named",
    );
    assert_err(
        tables::duplicate_table(&conn, BOT, "src", body(json!({"factor": 1}))),
        400,
        "InvalidPayload",
        "factor",
    );
    assert_err(
        tables::duplicate_table(&conn, BOT, "nope", body(json!({}))),
        404,
        "ResourceNotFound",
        "nope",
    );
}
