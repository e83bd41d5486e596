//! Row operations of the Tables engine: create, get, update, upsert, delete, find (order,
//! select, search, group, pagination) and the limits.

use crate::tables_support;

use botpress_emulator::tables;
use serde_json::{Value, json};
use tables_support::*;

fn people(conn: &rusqlite::Connection) {
    create(
        conn,
        "people",
        json!({"type": "object", "properties": {
            "name": {"type": "string"},
            "age": {"type": "number"},
            "active": {"type": "boolean"},
            "attrs": {"type": "object"},
            "born": {"type": "string", "format": "date-time"}
        }}),
    );
}

#[test]
fn created_rows_are_flat_with_increasing_ids_and_timestamps() {
    let conn = db();
    people(&conn);
    let resp = tables::create_table_rows(
        &conn,
        BOT,
        "people",
        body(json!({"rows": [{"name": "Ada", "age": 36, "attrs": {"x": 1}}, {"name": "Bob", "active": true}]})),
    )
    .unwrap();
    let out = wire(&resp);
    assert_eq!(out["rows"][0]["id"], 1);
    assert_eq!(out["rows"][1]["id"], 2);
    assert_eq!(out["rows"][0]["name"], "Ada");
    assert_eq!(out["rows"][0]["age"], 36);
    assert_eq!(out["rows"][0]["attrs"], json!({"x": 1}));
    assert_eq!(out["rows"][0]["computed"], json!({}));
    assert!(out["rows"][0]["createdAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(out["rows"][0]["createdAt"], out["rows"][0]["updatedAt"]);
    assert!(out.get("errors").is_none() && out.get("warnings").is_none());
    let row = wire(&tables::get_table_row(&conn, BOT, "people", 2).unwrap())["row"].clone();
    assert_eq!(row["name"], "Bob");
    assert_eq!(row["active"], true);
    // ids are never reused after a delete
    tables::delete_table_rows(&conn, BOT, "people", body(json!({"ids": [2]}))).unwrap();
    assert_eq!(insert(&conn, "people", json!([{"name": "Cy"}])), [3]);
}

#[test]
fn get_table_row_errors() {
    let conn = db();
    people(&conn);
    assert_err(
        tables::get_table_row(&conn, BOT, "people", 9),
        404,
        "ResourceNotFound",
        "row 9",
    );
    assert_err(
        tables::get_table_row(&conn, BOT, "nope", 1),
        404,
        "ResourceNotFound",
        "nope",
    );
}

#[test]
fn invalid_rows_are_reported_and_the_others_written() {
    let conn = db();
    people(&conn);
    let resp = tables::create_table_rows(
        &conn,
        BOT,
        "people",
        body(json!({"rows": [{"name": "ok"}, {"age": "old"}, {"name": "also ok", "ghost": 1}, {"born": "someday"}]})),
    )
    .unwrap();
    assert_eq!(resp.rows.len(), 2);
    assert_eq!(resp.errors.len(), 2);
    assert!(
        resp.errors[0].starts_with("rows[1]: column \"age\" expects a number"),
        "{:?}",
        resp.errors
    );
    assert!(
        resp.errors[1].starts_with("rows[3]: column \"born\""),
        "{:?}",
        resp.errors
    );
    assert_eq!(
        resp.warnings,
        ["column \"ghost\" does not exist in the table and was ignored"]
    );
    assert!(wire(&resp)["rows"][1].get("ghost").is_none());
    // All rows invalid: the call fails and names the column.
    assert_err(
        tables::create_table_rows(
            &conn,
            BOT,
            "people",
            body(json!({"rows": [{"active": "yes"}]})),
        ),
        400,
        "InvalidPayload",
        "column \"active\" expects a boolean",
    );
}

#[test]
fn row_count_and_size_limits() {
    let conn = db();
    people(&conn);
    assert_err(
        tables::create_table_rows(&conn, BOT, "people", body(json!({"rows": []}))),
        400,
        "InvalidPayload",
        "1 to 1000",
    );
    let many: Vec<Value> = (0..1001).map(|i| json!({"age": i})).collect();
    assert_err(
        tables::create_table_rows(&conn, BOT, "people", body(json!({"rows": many}))),
        400,
        "InvalidPayload",
        "1 to 1000",
    );
    let thousand: Vec<Value> = (0..1000).map(|i| json!({"age": i})).collect();
    assert_eq!(insert(&conn, "people", json!(thousand)).len(), 1000);
    // 4 KB per row at factor 1; the whole call fails and writes nothing.
    let big = "x".repeat(4200);
    assert_err(
        tables::create_table_rows(
            &conn,
            BOT,
            "people",
            body(json!({"rows": [{"name": "small"}, {"name": big}]})),
        ),
        413,
        "LimitExceeded",
        "rows[1]",
    );
    assert_eq!(tables::get_table(&conn, BOT, "people").unwrap().rows, 1000);
    let upd = tables::update_table_rows(
        &conn,
        BOT,
        "people",
        body(json!({"rows": [{"id": 1, "name": big}]})),
    );
    assert_err(upd, 413, "LimitExceeded", "4096 bytes x factor 1");
    // factor 2 gives 8 KB
    tables::update_table(&conn, BOT, "people", body(json!({"factor": 2}))).unwrap();
    insert(&conn, "people", json!([{"name": big}]));
    let ids: Vec<i64> = (1..=1001).collect();
    assert_err(
        tables::delete_table_rows(&conn, BOT, "people", body(json!({"ids": ids}))),
        400,
        "InvalidPayload",
        "at most 1000",
    );
}

#[test]
fn update_merges_columns_and_reports_missing_rows() {
    let conn = db();
    people(&conn);
    insert(
        &conn,
        "people",
        json!([{"name": "Ada", "age": 1}, {"name": "Bob", "age": 2}]),
    );
    let before = wire(&tables::get_table_row(&conn, BOT, "people", 1).unwrap())["row"].clone();
    let resp = tables::update_table_rows(
        &conn,
        BOT,
        "people",
        body(
            json!({"rows": [{"id": 1, "age": 37}, {"id": 99, "age": 1}, {"id": 2, "name": null}]}),
        ),
    )
    .unwrap();
    let out = wire(&resp);
    assert_eq!(out["rows"][0]["name"], "Ada");
    assert_eq!(out["rows"][0]["age"], 37);
    assert_eq!(out["rows"][0]["createdAt"], before["createdAt"]);
    assert!(out["rows"][0]["updatedAt"].as_str().unwrap() >= before["updatedAt"].as_str().unwrap());
    assert_eq!(out["rows"][1]["name"], Value::Null);
    assert_eq!(resp.errors, ["rows[1]: row 99 not found"]);
    assert_err(
        tables::update_table_rows(
            &conn,
            BOT,
            "people",
            body(json!({"rows": [{"id": 1, "age": "x"}]})),
        ),
        400,
        "InvalidPayload",
        "column \"age\"",
    );
}

#[test]
fn upsert_by_id_and_by_key_column() {
    let conn = db();
    tables::create_table(
        &conn,
        BOT,
        body(json!({"name": "users", "schema": {"email": {"type": "string"}, "n": {"type": "number"}}, "keyColumn": "email"})),
    )
    .unwrap();
    insert(&conn, "users", json!([{"email": "a@x", "n": 1}]));
    let resp = tables::upsert_table_rows(
        &conn,
        BOT,
        "users",
        body(json!({"keyColumn": "email", "rows": [{"email": "a@x", "n": 10}, {"email": "b@x", "n": 2}, {"n": 3}]})),
    )
    .unwrap();
    let out = wire(&resp);
    assert_eq!(out["updated"].as_array().unwrap().len(), 1);
    assert_eq!(out["updated"][0]["id"], 1);
    assert_eq!(out["updated"][0]["n"], 10);
    assert_eq!(out["inserted"][0]["email"], "b@x");
    assert_eq!(out["inserted"][0]["id"], 2);
    assert_eq!(
        resp.errors,
        ["rows[2]: the key column \"email\" has no value"]
    );
    // default key: id
    let resp = tables::upsert_table_rows(
        &conn,
        BOT,
        "users",
        body(json!({"rows": [{"id": 2, "n": 20}, {"email": "c@x"}, {"id": 50, "n": 1}]})),
    )
    .unwrap();
    let out = wire(&resp);
    assert_eq!(out["updated"][0]["id"], 2);
    assert_eq!(out["updated"][0]["n"], 20);
    assert_eq!(out["inserted"][0]["id"], 3);
    assert_eq!(resp.errors, ["rows[2]: row 50 not found"]);
    // the same key twice in one call: inserted, then updated
    let resp = tables::upsert_table_rows(
        &conn,
        BOT,
        "users",
        body(json!({"keyColumn": "email", "rows": [{"email": "d@x", "n": 1}, {"email": "d@x", "n": 2}]})),
    )
    .unwrap();
    assert_eq!((resp.inserted.len(), resp.updated.len()), (1, 1));
    assert_eq!(resp.inserted[0].id, resp.updated[0].id);
    assert_err(
        tables::upsert_table_rows(
            &conn,
            BOT,
            "users",
            body(json!({"keyColumn": "nope", "rows": [{"n": 1}]})),
        ),
        400,
        "InvalidPayload",
        "keyColumn \"nope\"",
    );
}

#[test]
fn key_column_values_stay_unique() {
    let conn = db();
    tables::create_table(
        &conn,
        BOT,
        body(json!({"name": "k", "schema": {"code": {"type": "string"}}, "keyColumn": "code"})),
    )
    .unwrap();
    let resp = tables::create_table_rows(
        &conn,
        BOT,
        "k",
        body(json!({"rows": [{"code": "A"}, {"code": "A"}, {"code": null}, {"code": null}]})),
    )
    .unwrap();
    assert_eq!(resp.rows.len(), 3);
    assert_eq!(resp.errors.len(), 1);
    assert!(
        resp.errors[0].contains("rows[1]: the key column \"code\" must be unique"),
        "{:?}",
        resp.errors
    );
    let upd = tables::update_table_rows(
        &conn,
        BOT,
        "k",
        body(json!({"rows": [{"id": 2, "code": "A"}]})),
    );
    assert_err(upd, 400, "InvalidPayload", "must be unique");
    // updating a row to its own value is fine
    tables::update_table_rows(
        &conn,
        BOT,
        "k",
        body(json!({"rows": [{"id": 1, "code": "A"}]})),
    )
    .unwrap();
}

#[test]
fn delete_by_ids_filter_or_all() {
    let conn = db();
    people(&conn);
    let rows: Vec<Value> = (1..=10).map(|i| json!({"age": i})).collect();
    insert(&conn, "people", json!(rows));
    let d =
        |b: Value| tables::delete_table_rows(&conn, BOT, "people", body(b)).map(|r| r.deleted_rows);
    assert_eq!(d(json!({"ids": [1, 2, 99]})).unwrap(), 2);
    assert_eq!(d(json!({"filter": {"age": {"$gte": 9}}})).unwrap(), 2);
    assert_eq!(d(json!({"ids": [3, 4], "filter": {"age": 4}})).unwrap(), 1);
    assert_eq!(
        find_ids(&conn, "people", json!({})).unwrap(),
        [3, 5, 6, 7, 8]
    );
    assert_err(d(json!({})), 400, "InvalidPayload", "deleteAllRows");
    assert_err(
        d(json!({"filter": {"nope": 1}})),
        400,
        "InvalidQuery",
        "unknown column \"nope\"",
    );
    assert_eq!(d(json!({"deleteAllRows": true})).unwrap(), 5);
    assert_eq!(tables::get_table(&conn, BOT, "people").unwrap().rows, 0);
}

#[test]
fn find_orders_selects_and_validates() {
    let conn = db();
    people(&conn);
    insert(
        &conn,
        "people",
        json!([
            {"name": "b", "age": 30, "attrs": {"city": "Paris", "zip": "75"}},
            {"name": "a", "age": 20, "attrs": {"city": "Oslo"}},
            {"name": "c", "age": 25}
        ]),
    );
    let find = |b: Value| tables::find_table_rows(&conn, BOT, "people", body(b));
    let ids = |b: Value| {
        find(b)
            .unwrap()
            .rows
            .iter()
            .map(|r| r.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(json!({})), [1, 2, 3]);
    assert_eq!(ids(json!({"orderBy": "age"})), [2, 3, 1]);
    assert_eq!(
        ids(json!({"orderBy": "name", "orderDirection": "desc"})),
        [3, 1, 2]
    );
    assert_eq!(
        ids(json!({"orderBy": "id", "orderDirection": "desc"})),
        [3, 2, 1]
    );
    assert_eq!(ids(json!({"orderBy": "createdAt"})), [1, 2, 3]);
    let resp = find(json!({"select": ["name", "attrs.city"], "limit": 1})).unwrap();
    let row = wire(&resp)["rows"][0].clone();
    let mut keys: Vec<&str> = row
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        ["attrs", "computed", "createdAt", "id", "name", "updatedAt"]
    );
    assert_eq!(row["attrs"], json!({"city": "Paris"}));
    assert_eq!(wire(&resp)["limit"], 1);
    assert_eq!(wire(&resp)["hasMore"], true);
    assert_err(
        find(json!({"orderBy": "nope"})),
        400,
        "InvalidQuery",
        "orderBy: unknown column \"nope\"",
    );
    assert_err(
        find(json!({"select": ["ghost"]})),
        400,
        "InvalidQuery",
        "select: unknown column \"ghost\"",
    );
    assert_err(find(json!({"limit": 0})), 400, "InvalidPayload", "limit");
    assert_err(find(json!({"limit": 1001})), 400, "InvalidPayload", "limit");
    assert_err(find(json!({"offset": -1})), 400, "InvalidPayload", "offset");
    assert_err(
        find(json!({"search": "x".repeat(1025)})),
        400,
        "InvalidPayload",
        "search",
    );
}

#[test]
fn pagination_over_thousands_of_rows() {
    let conn = db();
    people(&conn);
    for chunk in 0..3 {
        let rows: Vec<Value> = (0..1000)
            .map(|i| json!({"age": chunk * 1000 + i}))
            .collect();
        insert(&conn, "people", json!(rows));
    }
    let mut seen = Vec::new();
    let mut offset = 0;
    let mut pages = 0;
    loop {
        let resp = tables::find_table_rows(
            &conn,
            BOT,
            "people",
            body(json!({"offset": offset, "limit": 700, "filter": {"age": {"$mod": [2, 0]}}})),
        )
        .unwrap();
        assert_eq!((resp.offset, resp.limit), (offset, 700));
        seen.extend(resp.rows.iter().map(|r| r.id));
        pages += 1;
        if !resp.has_more {
            break;
        }
        assert_eq!(resp.rows.len(), 700);
        offset += 700;
    }
    assert_eq!(pages, 3);
    let expected: Vec<i64> = (1..=3000).filter(|id| (id - 1) % 2 == 0).collect();
    assert_eq!(seen, expected);
    // default limit is 100
    let resp = tables::find_table_rows(&conn, BOT, "people", body(json!({}))).unwrap();
    assert_eq!(
        (resp.rows.len(), resp.limit, resp.has_more),
        (100, 100, true)
    );
    // exactly at the end: no more
    let resp = tables::find_table_rows(
        &conn,
        BOT,
        "people",
        body(json!({"offset": 2000, "limit": 1000})),
    )
    .unwrap();
    assert_eq!((resp.rows.len(), resp.has_more), (1000, false));
    let resp =
        tables::find_table_rows(&conn, BOT, "people", body(json!({"offset": 5000}))).unwrap();
    assert_eq!((resp.rows.len(), resp.has_more), (0, false));
}

#[test]
fn search_returns_every_row_with_similarity_best_first() {
    let conn = db();
    create(
        &conn,
        "docs",
        json!({"title": {"type": "string"}, "body": {"type": "string"}, "n": {"type": "number"}}),
    );
    insert(
        &conn,
        "docs",
        json!([{"title": "cats", "body": "nothing here"}, {"title": "The Quick brown fox"}, {"body": "a quick cat"}, {"n": 1}]),
    );
    let resp = tables::find_table_rows(&conn, BOT, "docs", body(json!({"search": "quick brown"})))
        .unwrap();
    let got: Vec<(i64, f64)> = resp
        .rows
        .iter()
        .map(|r| (r.id, r.similarity.unwrap()))
        .collect();
    assert_eq!(got[0], (2, 1.0));
    assert_eq!(got[1].0, 3);
    assert!((got[1].1 - 0.45).abs() < 1e-9);
    assert_eq!(got.len(), 4);
    assert_eq!((got[2].1, got[3].1), (0.0, 0.0));
    // with a filter, only matching rows
    let resp = tables::find_table_rows(
        &conn,
        BOT,
        "docs",
        body(json!({"search": "cat", "filter": {"n": {"$exists": false}}})),
    )
    .unwrap();
    assert_eq!(
        resp.rows.iter().map(|r| r.id).collect::<Vec<_>>(),
        [1, 3, 2]
    );
}

#[test]
fn group_by_key_with_aggregations() {
    let conn = db();
    create(
        &conn,
        "orders",
        json!({"customer": {"type": "string"}, "total": {"type": "number"}, "paid": {"type": "boolean"}}),
    );
    insert(
        &conn,
        "orders",
        json!([
            {"customer": "a", "total": 10, "paid": true},
            {"customer": "b", "total": 5, "paid": false},
            {"customer": "a", "total": 30, "paid": true},
            {"customer": "b"},
            {"customer": "c", "total": 1.5, "paid": true}
        ]),
    );
    let resp = tables::find_table_rows(
        &conn,
        BOT,
        "orders",
        body(json!({"group": {"customer": "key", "total": ["sum", "avg", "max", "min", "count"]}})),
    )
    .unwrap();
    let out = wire(&resp);
    let rows = out["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["customerKey"], "a");
    assert_eq!(rows[0]["totalSum"], 40);
    assert_eq!(rows[0]["totalAvg"], 20.0);
    assert_eq!(rows[0]["totalMax"], 30);
    assert_eq!(rows[0]["totalMin"], 10);
    assert_eq!(rows[0]["totalCount"], 2);
    assert_eq!(rows[1]["customerKey"], "b");
    assert_eq!(rows[1]["totalCount"], 1);
    assert_eq!(rows[2]["totalSum"], 1.5);
    assert_eq!(
        (rows[0]["id"].clone(), rows[2]["id"].clone()),
        (json!(1), json!(3))
    );
    // boolean keys keep their type; filters apply before grouping; no key: one group
    let resp = tables::find_table_rows(&conn, BOT, "orders", body(json!({"group": {"paid": "key", "total": "count"}, "filter": {"paid": {"$exists": true}}})))
        .unwrap();
    let out = wire(&resp);
    assert_eq!(out["rows"][0]["paidKey"], false);
    assert_eq!(out["rows"][1]["paidKey"], true);
    assert_eq!(out["rows"][1]["totalCount"], 3);
    let resp = tables::find_table_rows(
        &conn,
        BOT,
        "orders",
        body(json!({"group": {"total": "sum"}})),
    )
    .unwrap();
    assert_eq!(wire(&resp)["rows"][0]["totalSum"], 46.5);
    assert_err(
        tables::find_table_rows(
            &conn,
            BOT,
            "orders",
            body(json!({"group": {"total": "median"}})),
        ),
        400,
        "InvalidQuery",
        "group.total",
    );
    assert_err(
        tables::find_table_rows(
            &conn,
            BOT,
            "orders",
            body(json!({"group": {"ghost": "key"}})),
        ),
        400,
        "InvalidQuery",
        "\"ghost\"",
    );
}
