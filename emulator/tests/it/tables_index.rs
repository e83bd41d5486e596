//! The value index of rows (`tbl_values`) that findTableRows, deleteTableRows and keyed upserts
//! narrow filters through: results are exactly those of the unindexed filter (the same filter
//! wrapped in a one-branch `$or`, which the index never serves), and the index follows every write
//! (create, update, upsert, delete, column rename, duplicate, table deletion, a store that predates
//! the index).

use crate::tables_support;

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

/// A text holding a NUL is stored, found, kept unique and upserted by its whole value: the index
/// keeps every byte the exact filter compares.
#[test]
fn texts_with_nul_are_found_through_the_index() {
    let conn = db();
    tables::create_table(
        &conn,
        BOT,
        body(json!({"name": "k", "keyColumn": "key",
                    "schema": {"key": {"type": "string"}, "n": {"type": "number"}}})),
    )
    .unwrap();
    insert(
        &conn,
        "k",
        json!([{"key": "a\u{0}b", "n": 1}, {"key": "a", "n": 2}, {"key": "a\u{0}c", "n": 3}]),
    );
    assert_eq!(
        find_ids(&conn, "k", json!({"key": "a\u{0}b"})).unwrap(),
        vec![1]
    );
    assert_eq!(
        find_ids(&conn, "k", json!({"key": {"$gte": "a\u{0}b"}})).unwrap(),
        vec![1, 3]
    );
    assert_eq!(
        find_ids(&conn, "k", json!({"key": {"$in": ["a\u{0}c", "a"]}})).unwrap(),
        vec![2, 3]
    );
    // The key column stays unique.
    assert_err(
        tables::create_table_rows(&conn, BOT, "k", body(json!({"rows": [{"key": "a\u{0}b"}]}))),
        400,
        "InvalidPayload",
        "must be unique: row 1 already has",
    );
    // An upsert on the key updates the row instead of inserting a second one.
    let up = tables::upsert_table_rows(
        &conn,
        BOT,
        "k",
        body(json!({"keyColumn": "key", "rows": [{"key": "a\u{0}b", "n": 10}]})),
    )
    .unwrap();
    assert_eq!((up.updated.len(), up.inserted.len()), (1, 0));
    assert_eq!(find_ids(&conn, "k", json!({"n": 10})).unwrap(), vec![1]);
    // Deleting by the key deletes that row only.
    let del =
        tables::delete_table_rows(&conn, BOT, "k", body(json!({"filter": {"key": "a\u{0}b"}})))
            .unwrap();
    assert_eq!(del.deleted_rows, 1);
    assert_eq!(find_ids(&conn, "k", json!({})).unwrap(), vec![2, 3]);
}

/// A store whose index was built in the first format (texts cut with `substr`, which stops at a
/// NUL) has it rebuilt when opened.
#[test]
fn an_index_of_an_older_format_is_rebuilt_on_open() {
    let conn = db();
    create(&conn, "t", json!({"name": {"type": "string"}}));
    insert(&conn, "t", json!([{"name": "x\u{0}y"}, {"name": "x"}]));
    conn.execute_batch("DELETE FROM tbl_meta; UPDATE tbl_values SET val = 'x';")
        .unwrap();
    tables::migrate(&conn).unwrap();
    assert_eq!(
        find_ids(&conn, "t", json!({"name": "x\u{0}y"})).unwrap(),
        vec![1]
    );
    assert_eq!(find_ids(&conn, "t", json!({"name": "x"})).unwrap(), vec![2]);
}

mod differential {
    //! Random schemas, rows and filters: the indexed query, the unindexed query (the filter in a
    //! one-branch `$or`, which the index never serves) and a reference evaluator written from
    //! the filter language's rules must select the same rows.

    use super::*;
    use rand::{Rng, SeedableRng, rngs::StdRng, seq::IndexedRandom};
    use std::cmp::Ordering;

    /// Texts that stress the index: empty, NUL inside and at the ends, multi-byte characters,
    /// texts longer than the indexed prefix that share it, numeric-looking texts.
    fn texts() -> Vec<String> {
        let long = "p".repeat(300);
        let mut out: Vec<String> = [
            "",
            "a",
            "b",
            "a\u{0}",
            "a\u{0}b",
            "a\u{0}c",
            "\u{0}",
            "\u{0}\u{0}",
            "é",
            "e\u{301}",
            "日本",
            "😀",
            "😀a",
            "12",
            "12.0",
            "-0",
            "1e3",
            " 12",
            "A",
            "aa",
            "ab",
            "null",
            "true",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        for suffix in ["", "a", "b", "\u{0}", "é"] {
            out.push(format!("{long}{suffix}"));
            out.push(format!("{}{suffix}", "é".repeat(130)));
        }
        out
    }

    fn numbers() -> Vec<Value> {
        vec![
            json!(0),
            json!(1),
            json!(-1),
            json!(2),
            json!(1.5),
            json!(-0.5),
            json!(12),
            json!(1000),
            json!(9007199254740993i64),
            json!(9007199254740992.0),
            json!(1e300),
            json!(-1e300),
            json!(0.1),
            json!(3),
        ]
    }

    /// A random scalar of any type (columns are typed, but filters compare with anything).
    fn any_value(rng: &mut StdRng, texts: &[String], numbers: &[Value]) -> Value {
        match rng.random_range(0..10) {
            0..=4 => json!(texts.choose(rng).unwrap()),
            5..=7 => numbers.choose(rng).unwrap().clone(),
            8 => json!(rng.random_bool(0.5)),
            _ => Value::Null,
        }
    }

    /// Column names: `s*` strings, `n*` numbers, `b*` booleans, `o` an object with keys `x`, `y`.
    fn random_row(rng: &mut StdRng, cols: &[String], texts: &[String], numbers: &[Value]) -> Value {
        let mut row = serde_json::Map::new();
        for c in cols {
            if rng.random_bool(0.15) {
                continue;
            }
            let v = match &c[..1] {
                "s" => json!(texts.choose(rng).unwrap()),
                "n" => numbers.choose(rng).unwrap().clone(),
                "b" => json!(rng.random_bool(0.5)),
                _ => {
                    let mut o = serde_json::Map::new();
                    for k in ["x", "y"] {
                        if rng.random_bool(0.7) {
                            o.insert(k.into(), any_value(rng, texts, numbers));
                        }
                    }
                    Value::Object(o)
                }
            };
            let v = if rng.random_bool(0.05) {
                Value::Null
            } else {
                v
            };
            row.insert(c.clone(), v);
        }
        Value::Object(row)
    }

    fn random_filter(
        rng: &mut StdRng,
        cols: &[String],
        texts: &[String],
        numbers: &[Value],
        depth: usize,
    ) -> Value {
        let mut f = serde_json::Map::new();
        for _ in 0..rng.random_range(1..=3) {
            let roll = rng.random_range(0..10);
            if depth < 3 && roll == 0 {
                let key = ["$and", "$or"].choose(rng).unwrap();
                let list: Vec<Value> = (0..rng.random_range(1..=3))
                    .map(|_| random_filter(rng, cols, texts, numbers, depth + 1))
                    .collect();
                f.insert(key.to_string(), json!(list));
                continue;
            }
            if depth < 3 && roll == 1 {
                f.insert(
                    "$not".into(),
                    random_filter(rng, cols, texts, numbers, depth + 1),
                );
                continue;
            }
            let col = cols.choose(rng).unwrap();
            let key = if col == "o" {
                format!("o.{}", ["x", "y"].choose(rng).unwrap())
            } else {
                col.clone()
            };
            // Operands mostly of the column's own type, sometimes of another.
            let operand = |rng: &mut StdRng| -> Value {
                if rng.random_bool(0.8) {
                    match &key[..1] {
                        "s" => json!(texts.choose(rng).unwrap()),
                        "n" => numbers.choose(rng).unwrap().clone(),
                        "b" => json!(rng.random_bool(0.5)),
                        _ => any_value(rng, texts, numbers),
                    }
                } else {
                    any_value(rng, texts, numbers)
                }
            };
            let cond = match rng.random_range(0..12) {
                0 => operand(rng),
                1 => json!({"$eq": operand(rng)}),
                2 => json!({"$ne": operand(rng)}),
                3 => json!({"$gt": scalar(operand(rng))}),
                4 => json!({"$gte": scalar(operand(rng))}),
                5 => json!({"$lt": scalar(operand(rng))}),
                6 => json!({"$lte": scalar(operand(rng))}),
                7 => {
                    json!({"$in": (0..rng.random_range(1..4)).map(|_| operand(rng)).collect::<Vec<_>>()})
                }
                8 => {
                    json!({"$nin": (0..rng.random_range(1..4)).map(|_| operand(rng)).collect::<Vec<_>>()})
                }
                9 => json!({"$exists": rng.random_bool(0.5)}),
                10 => json!({"$gte": scalar(operand(rng)), "$lt": scalar(operand(rng))}),
                _ => json!({"$not": {"$eq": operand(rng)}}),
            };
            f.insert(key, cond);
        }
        Value::Object(f)
    }

    /// Range operands must be numbers or strings.
    fn scalar(v: Value) -> Value {
        match v {
            Value::Number(_) | Value::String(_) => v,
            _ => json!("a"),
        }
    }

    /// The value a row holds at a filter key (`None` when absent).
    fn lookup<'a>(row: &'a Value, key: &str) -> Option<&'a Value> {
        key.split('.').try_fold(row, |v, k| v.get(k))
    }

    /// An integer against a float, exactly (as SQLite compares them: 2^53 + 1 is not 2^53).
    fn int_float(i: i64, f: f64) -> Ordering {
        if f >= 9_223_372_036_854_775_808.0 {
            return Ordering::Less;
        }
        if f < -9_223_372_036_854_775_808.0 {
            return Ordering::Greater;
        }
        let whole = f.trunc();
        i.cmp(&(whole as i64))
            .then_with(|| 0.0f64.partial_cmp(&(f - whole)).unwrap())
    }

    /// Numbers compare by value; texts by their UTF-8 bytes; other pairs do not compare.
    fn compare(actual: &Value, operand: &Value) -> Option<Ordering> {
        match (actual, operand) {
            (Value::Number(a), Value::Number(b)) => match (a.as_i64(), b.as_i64()) {
                (Some(a), Some(b)) => Some(a.cmp(&b)),
                (Some(a), None) => Some(int_float(a, b.as_f64()?)),
                (None, Some(b)) => Some(int_float(b, a.as_f64()?).reverse()),
                (None, None) => a.as_f64()?.partial_cmp(&b.as_f64()?),
            },
            (Value::String(a), Value::String(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
            _ => None,
        }
    }

    fn equals(actual: Option<&Value>, operand: &Value) -> bool {
        match (actual, operand) {
            (None | Some(Value::Null), Value::Null) => true,
            (Some(a), Value::Number(_) | Value::String(_)) => {
                compare(a, operand) == Some(Ordering::Equal)
            }
            (Some(a), b) => a == b,
            (None, _) => false,
        }
    }

    fn column_matches(actual: Option<&Value>, cond: &Value) -> bool {
        let ops = match cond {
            Value::Object(m) if !m.is_empty() && m.keys().all(|k| k.starts_with('$')) => m,
            _ => return equals(actual, cond),
        };
        ops.iter().all(|(op, arg)| {
            let ord = || actual.and_then(|a| compare(a, arg));
            let list = || arg.as_array().unwrap().iter().any(|v| equals(actual, v));
            match op.as_str() {
                "$eq" => equals(actual, arg),
                "$ne" => !equals(actual, arg),
                "$gt" => ord() == Some(Ordering::Greater),
                "$gte" => matches!(ord(), Some(Ordering::Greater | Ordering::Equal)),
                "$lt" => ord() == Some(Ordering::Less),
                "$lte" => matches!(ord(), Some(Ordering::Less | Ordering::Equal)),
                "$in" => list(),
                "$nin" => !list(),
                "$exists" => actual.is_some_and(|a| !a.is_null()) == arg.as_bool().unwrap(),
                "$not" => !column_matches(actual, arg),
                other => panic!("the reference does not know {other}"),
            }
        })
    }

    fn reference(row: &Value, filter: &Value) -> bool {
        filter
            .as_object()
            .unwrap()
            .iter()
            .all(|(k, v)| match k.as_str() {
                "$and" => v.as_array().unwrap().iter().all(|f| reference(row, f)),
                "$or" => v.as_array().unwrap().iter().any(|f| reference(row, f)),
                "$not" => !reference(row, v),
                key => column_matches(lookup(row, key), v),
            })
    }

    #[test]
    fn random_filters_select_what_the_reference_selects() {
        let (texts, numbers) = (texts(), numbers());
        let seeds: Vec<u64> = match std::env::var("BP_DIFF_SEED") {
            Ok(s) => vec![s.parse().expect("BP_DIFF_SEED is a number")],
            Err(_) => (1..=6).collect(),
        };
        let mut compared = 0;
        let mut matched = 0;
        for seed in seeds {
            let mut rng = StdRng::seed_from_u64(seed);
            let conn = db();
            let mut cols: Vec<String> = Vec::new();
            let mut schema = serde_json::Map::new();
            for (prefix, ty) in [("s", "string"), ("n", "number"), ("b", "boolean")] {
                for i in 0..rng.random_range(1..=2) {
                    cols.push(format!("{prefix}{i}"));
                    schema.insert(format!("{prefix}{i}"), json!({"type": ty}));
                }
            }
            cols.push("o".into());
            schema.insert("o".into(), json!({"type": "object"}));
            create(&conn, "t", Value::Object(schema));
            let rows: Vec<Value> = (0..150)
                .map(|_| random_row(&mut rng, &cols, &texts, &numbers))
                .collect();
            let ids = insert(&conn, "t", json!(rows));
            for _ in 0..150 {
                let filter = random_filter(&mut rng, &cols, &texts, &numbers, 0);
                let expected: Vec<i64> = ids
                    .iter()
                    .zip(&rows)
                    .filter(|(_, row)| reference(row, &filter))
                    .map(|(id, _)| *id)
                    .collect();
                let ctx = format!("seed {seed}, filter {filter}");
                let indexed =
                    find_ids(&conn, "t", filter.clone()).unwrap_or_else(|e| panic!("{ctx}: {e}"));
                let scanned = find_ids(&conn, "t", json!({"$or": [filter.clone()]})).unwrap();
                assert_eq!(scanned, expected, "unindexed vs reference, {ctx}");
                assert_eq!(indexed, expected, "indexed vs reference, {ctx}");
                compared += 1;
                matched += expected.len();
            }
        }
        assert!(
            compared >= 150 && matched > compared,
            "{compared} filters, {matched} rows"
        );
    }
}
