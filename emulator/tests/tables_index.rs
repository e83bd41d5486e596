//! The value index of rows (`tbl_values`) that findTableRows, deleteTableRows and keyed upserts
//! narrow filters through: results are exactly those of the unindexed filter (the same filter
//! wrapped in a one-branch `$or`, which the index never serves), and the index follows every write
//! (create, update, upsert, delete, column rename, duplicate, table deletion, a store that predates
//! the index).

mod tables_support;

use botpress_emulator::tables;
use rusqlite::Connection;
use serde_json::{Value, json};
use tables_support::*;

/// A text longer than the indexed prefix (64 characters), with a suffix.
fn long(suffix: &str) -> String {
    format!("{}{suffix}", "p".repeat(70))
}

/// Rows covering what the index stores specially: integers next to reals, long texts sharing
/// their indexed prefix, dates written with offsets, nulls, missing values, booleans, arrays.
fn setup() -> Connection {
    let conn = db();
    create(
        &conn,
        "t",
        json!({
            "name": {"type": "string"},
            "n": {"type": "number"},
            "group": {"type": "number"},
            "on": {"type": "boolean"},
            "list": {"type": "array", "items": {"type": "string"}},
            "attrs": {"type": "object"},
            "at": {"type": "string", "format": "date-time"}
        }),
    );
    let mut rows = Vec::new();
    for i in 0..60 {
        let mut row = json!({"n": i, "group": i % 7});
        if i % 5 != 0 {
            row["name"] = json!(match i % 4 {
                0 => long("a"),
                1 => long("b"),
                2 => format!("name{i}"),
                _ => long(""),
            });
        }
        if i % 3 == 0 {
            row["n"] = json!(i as f64 + 0.5);
        }
        if i % 11 == 0 {
            row["group"] = Value::Null;
        }
        row["on"] = json!(i % 2 == 0);
        row["list"] = json!([format!("x{i}")]);
        row["attrs"] = json!({"k": i});
        if i % 6 == 0 {
            row["at"] = json!(format!("2024-01-{:02}T10:00:00+02:00", i / 6 + 1));
        }
        rows.push(row);
    }
    insert(&conn, "t", Value::Array(rows));
    conn
}

/// Filters the index serves (with their matching ids checked against the unindexed filter).
fn filters() -> Vec<Value> {
    vec![
        json!({"group": 3}),
        json!({"group": {"$eq": 3}, "n": {"$lt": 30}}),
        json!({"n": {"$gt": 10, "$lte": 20}}),
        json!({"n": {"$gte": 10.5, "$lt": 12}}),
        json!({"n": 9.5}),
        json!({"n": 9}),
        json!({"n": {"$in": [1, 2, 3.5, "4"]}}),
        json!({"name": long("a")}),
        json!({"name": long("")}),
        json!({"name": {"$gt": long("")}}),
        json!({"name": {"$gte": long("a"), "$lt": long("b")}}),
        json!({"name": {"$lt": "name3"}}),
        json!({"name": {"$in": [long("b"), "name6", "name10"]}}),
        json!({"name": {"$eq": "name6", "$ne": "name7"}}),
        json!({"at": "2024-01-02T08:00:00Z"}),
        json!({"at": {"$gte": "2024-01-03T09:00:00+01:00"}}),
        json!({"$and": [{"group": 2}, {"$or": [{"n": 2}, {"n": 44}]}]}),
        json!({"group": 3, "name": "name10"}),
        json!({"group": 3, "name": {"$in": ["name10", long("b")]}}),
        json!({"$and": [{"n": {"$gte": 5}}, {"n": {"$lte": 40}}], "group": {"$in": [1, 2]},
               "name": {"$gte": "name"}, "at": {"$lt": "2030-01-01T00:00:00Z"}}),
        json!({"$and": [{"n": {"$gte": 5}}, {"n": {"$lte": 40}}, {"group": {"$in": [2, 4]}},
               {"name": {"$lte": long("b")}}, {"n": {"$lt": 30}}]}),
        json!({"group": {"$not": {"$eq": 3}}, "n": {"$lt": 15}}),
        json!({"group": {"$nin": [1, 2]}, "n": {"$in": [1, 2, 3.5, 8]}}),
        json!({"group": 0, "$not": {"n": {"$lt": 30}}}),
        json!({"n": {"$lt": 20, "$mod": [2, 0]}}),
        json!({"name": {"$lt": "name3", "$regex": "^name"}}),
        json!({"group": "3"}),
        json!({"n": {"$gt": "a"}}),
        json!({"on": true, "group": 1}),
        json!({"attrs.k": 4, "group": 4}),
        json!({"id": {"$lt": 10}, "group": 1}),
        json!({"group": 5, "createdAt": {"$gte": "2000-01-01T00:00:00Z"}}),
    ]
}

/// Checks every filter against its unindexed form; returns how many rows matched in all.
fn check_all(conn: &Connection) -> usize {
    let mut matched = 0;
    for filter in filters() {
        let indexed =
            find_ids(conn, "t", filter.clone()).unwrap_or_else(|e| panic!("{filter}: {e}"));
        let scanned = find_ids(conn, "t", json!({"$or": [filter.clone()]})).unwrap();
        assert_eq!(indexed, scanned, "filter {filter}");
        matched += indexed.len();
    }
    matched
}

/// The entries of the value index of the bot's table `t`.
fn index_entries(conn: &Connection) -> i64 {
    let id = tables::get_table(conn, BOT, "t").unwrap().table.id;
    conn.query_row(
        "SELECT count(*) FROM tbl_values WHERE table_id = ?1",
        [id],
        |r| r.get(0),
    )
    .unwrap()
}

#[test]
fn indexed_filters_match_exactly_what_the_scan_matches() {
    let conn = setup();
    assert!(check_all(&conn) > 60, "the filters should match rows");
    // Spot checks against known ids (row ids are 1 + i).
    assert_eq!(
        find_ids(&conn, "t", json!({"group": 3, "n": {"$lt": 30}})).unwrap(),
        vec![4, 11, 18, 25]
    );
    assert_eq!(
        find_ids(&conn, "t", json!({"name": long("a")})).unwrap(),
        vec![5, 9, 13, 17, 25, 29, 33, 37, 45, 49, 53, 57]
    );
    assert_eq!(
        find_ids(&conn, "t", json!({"at": "2024-01-02T08:00:00Z"})).unwrap(),
        vec![7]
    );
    // Numbers and texts only: 60 n + 54 group + 48 name + 10 at.
    assert_eq!(index_entries(&conn), 60 + 54 + 48 + 10);
}

#[test]
fn the_index_follows_updates_upserts_and_deletes() {
    let conn = setup();
    tables::update_table_rows(
        &conn,
        BOT,
        "t",
        body(json!({"rows": [{"id": 4, "group": 6, "name": "moved"}, {"id": 5, "n": null}]})),
    )
    .unwrap();
    assert_eq!(
        find_ids(&conn, "t", json!({"group": 6, "n": 3.5})).unwrap(),
        vec![4]
    );
    assert_eq!(
        find_ids(&conn, "t", json!({"name": "moved"})).unwrap(),
        vec![4]
    );
    assert_eq!(
        find_ids(&conn, "t", json!({"n": 4})).unwrap(),
        Vec::<i64>::new()
    );
    let resp = tables::upsert_table_rows(
        &conn,
        BOT,
        "t",
        body(json!({"keyColumn": "name", "rows": [{"name": "moved", "n": 1000}, {"name": "new", "n": 1001}]})),
    )
    .unwrap();
    assert_eq!((resp.updated.len(), resp.inserted.len()), (1, 1));
    assert_eq!(
        find_ids(&conn, "t", json!({"n": {"$gte": 1000}})).unwrap(),
        vec![4, 61]
    );
    check_all(&conn);
    let resp = tables::delete_table_rows(
        &conn,
        BOT,
        "t",
        body(json!({"filter": {"group": {"$in": [1, 2]}}})),
    )
    .unwrap();
    assert_eq!(resp.deleted_rows, 16);
    assert_eq!(
        find_ids(&conn, "t", json!({"group": {"$in": [1, 2]}})).unwrap(),
        Vec::<i64>::new()
    );
    check_all(&conn);
    let rows = find_ids(&conn, "t", json!({})).unwrap().len() as i64;
    assert_eq!(rows, 61 - 16);
    let expected: i64 = conn
        .query_row(
            "SELECT count(*) FROM tbl_rows r, json_each(r.data) j
             WHERE j.type IN ('integer', 'real', 'text')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(index_entries(&conn), expected);
}

#[test]
fn renamed_columns_duplicates_and_deleted_tables_keep_the_index_in_step() {
    let conn = setup();
    tables::rename_table_column(
        &conn,
        BOT,
        "t",
        body(json!({"name": "group", "newName": "team"})),
    )
    .unwrap();
    assert_eq!(
        find_ids(&conn, "t", json!({"team": 3, "n": {"$lt": 30}})).unwrap(),
        vec![4, 11, 18, 25]
    );
    let copy = tables::duplicate_table(&conn, BOT, "t", body(json!({"tableName": "copy"})))
        .unwrap()
        .table
        .name;
    assert_eq!(
        find_ids(&conn, &copy, json!({"team": 3, "n": {"$lt": 30}})).unwrap(),
        vec![4, 11, 18, 25]
    );
    let before = index_entries(&conn);
    tables::delete_table(&conn, BOT, "t").unwrap();
    let left: i64 = conn
        .query_row("SELECT count(*) FROM tbl_values", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left, before, "only the copy's entries are left");
}

#[test]
fn a_store_without_the_index_gets_it_filled_on_open() {
    let conn = setup();
    let entries = index_entries(&conn);
    conn.execute_batch(
        "DROP TRIGGER tbl_rows_values_insert; DROP TRIGGER tbl_rows_values_update;
         DROP TRIGGER tbl_rows_values_delete; DROP TABLE tbl_values;",
    )
    .unwrap();
    tables::migrate(&conn).unwrap();
    assert_eq!(index_entries(&conn), entries);
    check_all(&conn);
}

#[test]
fn an_equality_filter_reads_the_index_instead_of_every_row() {
    let conn = setup();
    let table_id = tables::get_table(&conn, BOT, "t").unwrap().table.id;
    let schema: String = conn
        .query_row(
            "SELECT schema FROM tbl_tables WHERE id = ?1",
            [&table_id],
            |r| r.get(0),
        )
        .unwrap();
    let cols = tables::schema::Columns::from_schema(&serde_json::from_str(&schema).unwrap());
    let mut b = tables::filter::SqlBuilder::default();
    let id = b.bind(table_id);
    let filter = json!({"group": {"$eq": 42}, "n": {"$lt": 10000}});
    let cond =
        tables::filter::compile_indexed(filter.as_object().unwrap(), &cols, &mut b, &id).unwrap();
    let sql = format!(
        "EXPLAIN QUERY PLAN SELECT r.id FROM tbl_rows r WHERE r.table_id = {id} AND ({cond})
         ORDER BY r.id LIMIT 101"
    );
    let mut stmt = conn.prepare(&sql).unwrap();
    let plan: Vec<String> = stmt
        .query_map(rusqlite::params_from_iter(b.params()), |r| r.get(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let plan = plan.join("\n");
    assert!(plan.contains("tbl_values_by_value"), "{plan}");
    // The second condition is probed per candidate by key, not scanned.
    assert!(plan.contains("SEARCH w USING PRIMARY KEY"), "{plan}");
    assert!(
        !plan.lines().any(|l| l.starts_with("SCAN r")),
        "rows are looked up, not scanned:\n{plan}"
    );
}
