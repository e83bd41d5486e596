//! The filter language of findTableRows / deleteTableRows, operator by operator and nested,
//! against expected row id sets; SQL injection attempts; catastrophic regexes; filter limits.

use crate::tables_support;

use botpress_emulator::tables;
use rusqlite::Connection;
use serde_json::{Value, json};
use tables_support::*;

/// Six rows: ids 1..=6.
fn setup() -> Connection {
    let conn = db();
    create(
        &conn,
        "t",
        json!({
            "name": {"type": "string"},
            "age": {"type": "number"},
            "active": {"type": "boolean"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "attrs": {"type": "object"},
            "born": {"type": "string", "format": "date-time"}
        }),
    );
    insert(
        &conn,
        "t",
        json!([
            {"name": "Alice", "age": 30, "active": true, "tags": ["a", "b"], "attrs": {"city": "Paris", "n": 5}, "born": "1990-01-01T00:00:00Z"},
            {"name": "bob", "age": 17, "active": false, "tags": [], "attrs": {"city": "Oslo"}},
            {"name": "Carol", "age": 45.5, "tags": ["x"], "born": "2000-06-15T12:00:00+02:00"},
            {"name": null, "age": 8},
            {},
            {"name": "O'Brien\"); DROP TABLE tbl_rows; --", "age": 30}
        ]),
    );
    conn
}

fn check(conn: &Connection, cases: &[(Value, &[i64])]) {
    for (filter, expected) in cases {
        let got = find_ids(conn, "t", filter.clone()).unwrap_or_else(|e| panic!("{filter}: {e}"));
        assert_eq!(got, *expected, "filter {filter}");
    }
}

#[test]
fn bare_values_and_eq() {
    let conn = setup();
    check(
        &conn,
        &[
            (json!({}), &[1, 2, 3, 4, 5, 6]),
            (json!({"name": "Alice"}), &[1]),
            (json!({"name": {"$eq": "Alice"}}), &[1]),
            (json!({"name": "alice"}), &[]),
            (json!({"age": 30}), &[1, 6]),
            (json!({"age": 45.5}), &[3]),
            (json!({"age": {"$eq": 17}}), &[2]),
            (json!({"active": true}), &[1]),
            (json!({"active": false}), &[2]),
            (json!({"name": null}), &[4, 5]),
            (json!({"tags": ["a", "b"]}), &[1]),
            (json!({"tags": []}), &[2]),
            (json!({"attrs": {"city": "Oslo"}}), &[2]),
            (json!({"age": "30"}), &[]),
            (json!({"active": 1}), &[]),
            (json!({"age": 30, "name": "Alice"}), &[1]),
        ],
    );
}

#[test]
fn ne_and_comparisons() {
    let conn = setup();
    check(
        &conn,
        &[
            (json!({"age": {"$ne": 30}}), &[2, 3, 4, 5]),
            (json!({"name": {"$ne": null}}), &[1, 2, 3, 6]),
            (json!({"active": {"$ne": true}}), &[2, 3, 4, 5, 6]),
            (json!({"age": {"$gt": 17}}), &[1, 3, 6]),
            (json!({"age": {"$gte": 17}}), &[1, 2, 3, 6]),
            (json!({"age": {"$lt": 17}}), &[4]),
            (json!({"age": {"$lte": 17}}), &[2, 4]),
            (json!({"age": {"$gt": 10, "$lt": 40}}), &[1, 2, 6]),
            (json!({"name": {"$gt": "C"}}), &[2, 3, 6]),
            (json!({"name": {"$lt": "B"}}), &[1]),
            (json!({"age": {"$gt": "1"}}), &[]),
        ],
    );
}

#[test]
fn in_nin_exists_size_mod() {
    let conn = setup();
    check(
        &conn,
        &[
            (json!({"age": {"$in": [30, 8]}}), &[1, 4, 6]),
            (json!({"name": {"$in": ["bob", null]}}), &[2, 4, 5]),
            (json!({"active": {"$in": [true]}}), &[1]),
            (json!({"age": {"$in": []}}), &[]),
            (json!({"age": {"$nin": [30, 8]}}), &[2, 3, 5]),
            (json!({"name": {"$nin": ["bob", null]}}), &[1, 3, 6]),
            (json!({"age": {"$nin": []}}), &[1, 2, 3, 4, 5, 6]),
            (json!({"name": {"$exists": true}}), &[1, 2, 3, 6]),
            (json!({"name": {"$exists": false}}), &[4, 5]),
            (json!({"tags": {"$exists": true}}), &[1, 2, 3]),
            (json!({"tags": {"$size": 2}}), &[1]),
            (json!({"tags": {"$size": 0}}), &[2]),
            (json!({"name": {"$size": 5}}), &[]),
            (json!({"age": {"$mod": [2, 0]}}), &[1, 4, 6]),
            (json!({"age": {"$mod": [5, 2]}}), &[2]),
            (json!({"id": {"$mod": [3, 0]}}), &[3, 6]),
        ],
    );
}

#[test]
fn regex_with_options() {
    let conn = setup();
    check(
        &conn,
        &[
            (json!({"name": {"$regex": "^A"}}), &[1]),
            (json!({"name": {"$regex": "^a"}}), &[]),
            (json!({"name": {"$regex": "^a", "$options": "i"}}), &[1]),
            (json!({"name": {"$regex": "^a", "$options": "c"}}), &[]),
            (json!({"name": {"$regex": "o"}}), &[2, 3, 6]),
            (json!({"name": {"$regex": "^o"}}), &[]),
            (json!({"name": {"$regex": "^o", "$options": "i"}}), &[6]),
            (json!({"name": {"$regex": "DROP TABLE"}}), &[6]),
            (json!({"age": {"$regex": "3"}}), &[]),
            (json!({"attrs.city": {"$regex": "^O"}}), &[2]),
        ],
    );
}

#[test]
fn system_columns_dates_and_paths() {
    let conn = setup();
    check(
        &conn,
        &[
            (json!({"id": 3}), &[3]),
            (json!({"id": {"$in": [1, 2, 99]}}), &[1, 2]),
            (json!({"id": {"$gt": 4}}), &[5, 6]),
            (json!({"id": {"$ne": 1}}), &[2, 3, 4, 5, 6]),
            (json!({"id": "1"}), &[]),
            (
                json!({"createdAt": {"$lte": "2999-01-01T00:00:00Z"}}),
                &[1, 2, 3, 4, 5, 6],
            ),
            (
                json!({"createdAt": {"$gt": "2999-01-01T00:00:00.000Z"}}),
                &[],
            ),
            (json!({"updatedAt": {"$exists": true}}), &[1, 2, 3, 4, 5, 6]),
            (json!({"born": {"$gt": "1995-01-01T00:00:00Z"}}), &[3]),
            (json!({"born": "2000-06-15T10:00:00Z"}), &[3]),
            (
                json!({"born": {"$in": ["1990-01-01T01:00:00+01:00"]}}),
                &[1],
            ),
            (json!({"attrs.city": "Paris"}), &[1]),
            (json!({"attrs.n": {"$gte": 5}}), &[1]),
            (
                json!({"attrs.missing": {"$exists": false}}),
                &[1, 2, 3, 4, 5, 6],
            ),
        ],
    );
}

#[test]
fn logical_operators_and_nesting() {
    let conn = setup();
    check(
        &conn,
        &[
            (
                json!({"$and": [{"age": {"$gte": 17}}, {"age": {"$lt": 40}}]}),
                &[1, 2, 6],
            ),
            (json!({"$or": [{"name": "bob"}, {"age": 8}]}), &[2, 4]),
            (json!({"$not": {"age": 30}}), &[2, 3, 4, 5]),
            (json!({"age": {"$not": {"$gt": 17}}}), &[2, 4, 5]),
            (
                json!({"$or": [
                    {"$and": [{"active": true}, {"age": 30}]},
                    {"$not": {"$or": [{"age": {"$exists": true}}, {"name": {"$exists": true}}]}}
                ]}),
                &[1, 5],
            ),
            (
                json!({"$and": [{"$or": [{"age": 30}, {"age": 17}]}, {"$not": {"name": {"$regex": "^O"}}}]}),
                &[1, 2],
            ),
            (
                json!({"name": {"$exists": true}, "$or": [{"age": {"$lt": 20}}, {"active": true}]}),
                &[1, 2],
            ),
        ],
    );
    // delete accepts the same language
    let resp = tables::delete_table_rows(
        &conn,
        BOT,
        "t",
        body(json!({"filter": {"$or": [{"age": 8}, {"name": "bob"}]}})),
    )
    .unwrap();
    assert_eq!(resp.deleted_rows, 2);
    check(&conn, &[(json!({}), &[1, 3, 5, 6])]);
}

#[test]
fn sql_injection_is_data_or_rejected() {
    let conn = setup();
    let evil = "O'Brien\"); DROP TABLE tbl_rows; --";
    // values: compared as data
    check(
        &conn,
        &[
            (json!({"name": evil}), &[6]),
            (json!({"name": "' OR '1'='1"}), &[]),
            (json!({"name": {"$in": ["x') OR 1=1 --", evil]}}), &[6]),
            (json!({"name": {"$gt": "' OR 1=1 --"}}), &[1, 2, 3, 6]),
            (json!({"name": {"$regex": "' OR 1=1; --"}}), &[]),
        ],
    );
    // column names: rejected, named
    for (filter, needle) in [
        (
            json!({"name\" = 1 OR 1=1 --": 1}),
            "unknown column \"name\" = 1 OR 1=1 --\"",
        ),
        (
            json!({"$or": [{"x) OR 1=1 --": 1}]}),
            "unknown column \"x) OR 1=1 --\"",
        ),
        (json!({"attrs.\") OR 1=1 --": 1}), "invalid column path"),
        (
            json!({"1=1; DROP TABLE tbl_rows": {"$exists": true}}),
            "unknown column",
        ),
    ] {
        assert_err(find_ids(&conn, "t", filter), 400, "InvalidQuery", needle);
    }
    let find = |b: Value| tables::find_table_rows(&conn, BOT, "t", body(b));
    assert_err(
        find(json!({"orderBy": "id; DROP TABLE tbl_rows"})),
        400,
        "InvalidQuery",
        "orderBy",
    );
    assert_err(
        find(json!({"select": ["name FROM tbl_rows --"]})),
        400,
        "InvalidQuery",
        "select",
    );
    assert_err(
        find(json!({"group": {"age) FROM tbl_rows --": "key"}})),
        400,
        "InvalidQuery",
        "group",
    );
    let rows = find(json!({"search": "\"); DROP TABLE tbl_rows; --"}))
        .unwrap()
        .rows;
    assert_eq!(rows[0].id, 6);
    assert_eq!(rows[0].similarity, Some(1.0));
    // table names: looked up as data
    assert_err(
        tables::get_table(&conn, BOT, "t' OR '1'='1"),
        404,
        "ResourceNotFound",
        "",
    );
    // the value is stored and read back verbatim, and nothing was dropped
    let row = wire(&tables::get_table_row(&conn, BOT, "t", 6).unwrap())["row"].clone();
    assert_eq!(row["name"], evil);
    assert_eq!(tables::get_table(&conn, BOT, "t").unwrap().rows, 6);
}

#[test]
fn catastrophic_regexes_answer_or_are_rejected() {
    let conn = setup();
    let long = format!("{}!", "a".repeat(3000));
    insert(
        &conn,
        "t",
        json!([{"name": long}, {"name": "x".repeat(3000)}]),
    );
    // Backtracking engines take exponential time on these; the regex crate is linear.
    check(
        &conn,
        &[
            (json!({"name": {"$regex": "^(a+)+$"}}), &[]),
            (json!({"name": {"$regex": "^(a|aa)*!$"}}), &[7]),
            (json!({"name": {"$regex": "(x+x+)+y"}}), &[]),
            (
                json!({"name": {"$regex": "^(a|a?)+$", "$options": "i"}}),
                &[],
            ),
            (json!({"name": {"$regex": "(.*a){20}"}}), &[7]),
        ],
    );
    // Too big to compile within the size limit, too long, or not supported: 400 naming the cause.
    assert_err(
        find_ids(&conn, "t", json!({"name": {"$regex": "a{1000}{1000}"}})),
        400,
        "InvalidQuery",
        "invalid $regex",
    );
    assert_err(
        find_ids(
            &conn,
            "t",
            json!({"name": {"$regex": "(\\w+\\s?){500}{20}"}}),
        ),
        400,
        "InvalidQuery",
        "invalid $regex",
    );
    assert_err(
        find_ids(&conn, "t", json!({"name": {"$regex": "a".repeat(1025)}})),
        400,
        "InvalidQuery",
        "longer than 1024",
    );
    assert_err(
        find_ids(&conn, "t", json!({"name": {"$regex": "(a)\\1"}})),
        400,
        "InvalidQuery",
        "invalid $regex",
    );
}

fn nest(depth: usize) -> Value {
    (0..depth).fold(json!({"age": 30}), |f, _| json!({"$and": [f]}))
}

#[test]
fn filter_limits() {
    let conn = setup();
    assert_eq!(find_ids(&conn, "t", nest(31)).unwrap(), [1, 6]);
    assert_err(
        find_ids(&conn, "t", nest(32)),
        400,
        "InvalidQuery",
        "nesting deeper than 32",
    );
    let deep_not = (0..40).fold(json!({"$gt": 1}), |f, _| json!({"$not": f}));
    assert_err(
        find_ids(&conn, "t", json!({"age": deep_not})),
        400,
        "InvalidQuery",
        "nesting deeper than 32",
    );
    let list: Vec<i64> = (0..1000).collect();
    assert_eq!(
        find_ids(&conn, "t", json!({"age": {"$in": list}})).unwrap(),
        [1, 2, 4, 6]
    );
    let list: Vec<i64> = (0..1001).collect();
    assert_err(
        find_ids(&conn, "t", json!({"age": {"$in": list}})),
        400,
        "InvalidQuery",
        "at most 1000 values",
    );
    assert_err(
        find_ids(
            &conn,
            "t",
            json!({"age": {"$nin": (0..1001).collect::<Vec<_>>()}}),
        ),
        400,
        "InvalidQuery",
        "$nin",
    );
    let ors: Vec<Value> = (0..1000).map(|i| json!({"age": i})).collect();
    assert_eq!(
        find_ids(&conn, "t", json!({"$or": ors})).unwrap(),
        [1, 2, 4, 6]
    );
    let ors: Vec<Value> = (0..1001).map(|i| json!({"age": i})).collect();
    assert_err(
        find_ids(&conn, "t", json!({"$or": ors})),
        400,
        "InvalidQuery",
        "at most 1000 filters",
    );
    // many large lists: bounded by the parameter budget
    let big: Vec<Value> = (0..20)
        .map(|_| json!({"age": {"$in": (0..1000).collect::<Vec<_>>()}}))
        .collect();
    assert_err(
        find_ids(&conn, "t", json!({"$or": big})),
        400,
        "InvalidQuery",
        "too large",
    );
}

#[test]
fn malformed_operators_are_invalid_query() {
    let conn = setup();
    for (filter, needle) in [
        (
            json!({"age": {"$between": [1, 2]}}),
            "unknown operator \"$between\"",
        ),
        (json!({"$nor": [{"age": 1}]}), "unknown operator \"$nor\""),
        (
            json!({"$and": {"age": 1}}),
            "$and expects a non-empty array",
        ),
        (json!({"$or": [1]}), "$or expects filters"),
        (json!({"$not": [{"age": 1}]}), "$not expects a filter"),
        (json!({"age": {"$in": "30"}}), "$in expects an array"),
        (
            json!({"age": {"$exists": "yes"}}),
            "$exists expects a boolean",
        ),
        (
            json!({"tags": {"$size": -1}}),
            "$size expects a non-negative integer",
        ),
        (
            json!({"age": {"$mod": [2]}}),
            "$mod expects [divisor, remainder]",
        ),
        (json!({"age": {"$mod": [0, 0]}}), "divisor may not be 0"),
        (
            json!({"age": {"$gt": null}}),
            "$gt expects a number or a string",
        ),
        (json!({"name": {"$regex": 1}}), "$regex expects a string"),
        (
            json!({"name": {"$regex": "a", "$options": "z"}}),
            "unknown option",
        ),
        (
            json!({"name": {"$options": "i"}}),
            "$options is only valid with $regex",
        ),
        (json!({"age.x": 1}), "not an object"),
    ] {
        assert_err(find_ids(&conn, "t", filter), 400, "InvalidQuery", needle);
    }
}

#[test]
fn odd_path_segments_are_data() {
    let conn = setup();
    for seg in [
        "a\\b", "a b", "[0]", "$", "'", "a.b", "*", "#", "a'b", "\\\"", "é",
    ] {
        let f = json!({ format!("attrs.{seg}"): "x" });
        match find_ids(&conn, "t", f.clone()) {
            Ok(ids) => assert_eq!(ids, Vec::<i64>::new(), "{f}"),
            Err(e) => assert_eq!(e.error_type, "InvalidQuery", "{f}: {e}"),
        }
    }
}
