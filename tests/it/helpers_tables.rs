//! Typed tables against a recording server: the schema schemars derives as Botpress
//! columns, rows in and out as the struct, the filter language, unknown columns rejected
//! before any request, offset streaming.
use crate::support;

use botpress::ErrorKind;
use botpress::tables::{Filter, Query, TableRow, table_schema};
use futures::TryStreamExt;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use support::recorder::{Canned, Recorder};

#[derive(Serialize, Deserialize, JsonSchema, Debug, PartialEq, Clone)]
#[serde(rename_all = "lowercase")]
enum Status {
    Pending,
    Paid,
}

#[derive(Serialize, Deserialize, JsonSchema, Debug, PartialEq, Clone)]
struct Address {
    city: String,
}

#[derive(Serialize, Deserialize, JsonSchema, Debug, PartialEq, Clone)]
struct Order {
    /// Stock keeping unit.
    sku: String,
    total: f64,
    quantity: u32,
    paid: bool,
    note: Option<String>,
    labels: Vec<String>,
    status: Status,
    address: Option<Address>,
}

fn order(sku: &str, total: f64) -> Order {
    Order {
        sku: sku.into(),
        total,
        quantity: 1,
        paid: false,
        note: None,
        labels: vec!["x".into()],
        status: Status::Pending,
        address: Some(Address {
            city: "Lyon".into(),
        }),
    }
}

#[test]
fn schemars_schema_becomes_botpress_columns() {
    let schema = table_schema::<Order>().unwrap();
    assert_eq!(
        serde_json::Value::Object(schema),
        json!({
            "type": "object",
            "properties": {
                "sku": {"type": "string", "description": "Stock keeping unit."},
                "total": {"type": "number"},
                "quantity": {"type": "number"},
                "paid": {"type": "boolean"},
                "note": {"type": "string", "nullable": true},
                "labels": {"type": "array", "items": {"type": "string"}},
                "status": {"type": "string", "enum": ["pending", "paid"]},
                "address": {"type": "object", "properties": {"city": {"type": "string"}}, "nullable": true}
            },
            "required": ["sku", "total", "quantity", "paid", "labels", "status"]
        })
    );
    // Not a struct: a clear error.
    let err = table_schema::<Vec<u8>>().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    assert!(
        err.to_string().contains("not a struct with named fields"),
        "{err}"
    );
}

/// A server for table `orders`: get-or-create, rows create/find/get/delete.
async fn table_server() -> Recorder {
    Recorder::answering(|req, _| {
        let stored = |id: i64, data: &serde_json::Value| {
            let mut row = data.as_object().cloned().unwrap();
            row.insert("id".into(), json!(id));
            row.insert("computed".into(), json!({}));
            row.insert("createdAt".into(), json!("2024-01-01T00:00:00.000Z"));
            row.insert("updatedAt".into(), json!("2024-01-02T00:00:00.000Z"));
            serde_json::Value::Object(row)
        };
        let sample = serde_json::to_value(order("A-1", 12.5)).unwrap();
        match (req.method.as_str(), req.path()) {
            ("POST", "/v1/tables/orders") => {
                // Stored as the service does: each column gets its `x-zui` index.
                let mut schema = req.json()["schema"].clone();
                for (i, column) in schema["properties"]
                    .as_object_mut()
                    .unwrap()
                    .values_mut()
                    .enumerate()
                {
                    column["x-zui"] = json!({"index": i});
                }
                schema["additionalProperties"] = json!(true);
                Canned::json(
                    200,
                    &json!({
                        "table": {"id": "table_1", "name": "orders", "schema": schema},
                        "created": true, "rows": 0, "stale": 0, "indexing": 0
                    }),
                )
            }
            ("POST", "/v1/tables/orders/rows") => {
                let rows: Vec<_> = req.json()["rows"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .enumerate()
                    .map(|(i, r)| stored(i as i64 + 1, r))
                    .collect();
                Canned::json(200, &json!({"rows": rows}))
            }
            ("POST", "/v1/tables/orders/rows/find") => {
                let offset = req.json()["offset"].as_i64().unwrap_or(0);
                let rows: Vec<_> = (offset..(offset + 2).min(3))
                    .map(|i| stored(i + 1, &sample))
                    .collect();
                Canned::json(
                    200,
                    &json!({"rows": rows, "hasMore": offset + 2 < 3, "offset": offset, "limit": 2}),
                )
            }
            ("GET", "/v1/tables/orders/row") => match req.query_param("id").as_deref() {
                Some("7") => Canned::json(200, &json!({"row": stored(7, &sample)})),
                _ => Canned::error(404, "ResourceNotFound", "Row not found"),
            },
            ("POST", "/v1/tables/orders/rows/delete") => {
                Canned::json(200, &json!({"deletedRows": 2}))
            }
            other => panic!("unexpected {other:?}"),
        }
    })
    .await
}

#[tokio::test]
async fn typed_rows_go_in_and_come_out() {
    let server = table_server().await;
    let client = server.client();
    let orders = client.table::<Order>("orders").await.unwrap();
    assert!(orders.created());
    let create = &server.requests()[0];
    assert_eq!(
        create.json()["schema"],
        serde_json::Value::Object(table_schema::<Order>().unwrap())
    );

    let inserted = orders
        .insert(&[order("A-1", 12.5), order("B-2", 3.0)])
        .await
        .unwrap();
    assert_eq!(inserted.len(), 2);
    assert_eq!(inserted[1].id, 2);
    assert_eq!(inserted[1].data, order("B-2", 3.0));
    assert_eq!(
        inserted[0].created_at.unwrap().to_rfc3339(),
        "2024-01-01T00:00:00+00:00"
    );
    // `3.0` goes out as `3`, as the official client's `JSON.stringify` writes it.
    assert_eq!(
        server.requests()[1].body_text(),
        r#"{"rows":[{"address":{"city":"Lyon"},"labels":["x"],"note":null,"paid":false,"quantity":1,"sku":"A-1","status":"pending","total":12.5},{"address":{"city":"Lyon"},"labels":["x"],"note":null,"paid":false,"quantity":1,"sku":"B-2","status":"pending","total":3}]}"#
    );

    let row: TableRow<Order> = orders.get(7).await.unwrap().unwrap();
    assert_eq!((row.id, row.data.sku.as_str()), (7, "A-1"));
    assert!(orders.get(8).await.unwrap().is_none());
    assert_eq!(server.requests()[2].target, "/v1/tables/orders/row?id=7");

    assert_eq!(orders.delete(&[1, 2]).await.unwrap(), 2);
    assert_eq!(server.requests()[4].body_text(), r#"{"ids":[1,2]}"#);
}

#[tokio::test]
async fn filters_are_sent_in_the_filter_language() {
    let server = table_server().await;
    let client = server.client();
    let orders = client.table::<Order>("orders").await.unwrap();
    let query = Query::new()
        .filter(Filter::all([
            Filter::column("total").gte(10),
            Filter::column("status").is_in(["pending", "paid"]),
            Filter::column("sku").regex("^a-", "i"),
            Filter::column("note").exists(false),
            Filter::column("address.city").ne("Paris"),
            Filter::not(Filter::column("quantity").lt(1))
                .or(Filter::column("paid").eq(true))
                .or(Filter::column("createdAt").gt("2024-01-01T00:00:00Z")),
            Filter::column("labels")
                .not_in(["spam"])
                .and(Filter::column("total").lte(100)),
        ]))
        .order_by("createdAt", true)
        .select(["sku", "total"])
        .search("red shoes")
        .limit(2);
    let rows = orders.find(&query).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        server.requests()[1].json(),
        json!({
            "filter": {"$and": [
                {"total": {"$gte": 10}},
                {"status": {"$in": ["pending", "paid"]}},
                {"sku": {"$regex": "^a-", "$options": "i"}},
                {"note": {"$exists": false}},
                {"address.city": {"$ne": "Paris"}},
                {"$or": [
                    {"$not": {"quantity": {"$lt": 1}}},
                    {"paid": {"$eq": true}},
                    {"createdAt": {"$gt": "2024-01-01T00:00:00Z"}}
                ]},
                {"$and": [{"labels": {"$nin": ["spam"]}}, {"total": {"$lte": 100}}]}
            ]},
            "limit": 2,
            "orderBy": "createdAt",
            "orderDirection": "desc",
            "search": "red shoes",
            "select": ["sku", "total"]
        })
    );

    orders
        .delete_where(&Filter::column("paid").eq(true))
        .await
        .unwrap();
    assert_eq!(
        server.requests()[2].body_text(),
        r#"{"filter":{"paid":{"$eq":true}}}"#
    );
}

#[tokio::test]
async fn unknown_columns_fail_before_any_request() {
    let server = table_server().await;
    let client = server.client();
    let orders = client.table::<Order>("orders").await.unwrap();
    let before = server.count();
    let err = orders
        .find(&Query::new().filter(Filter::column("totl").gt(1)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    assert!(err.to_string().contains("has no column `totl`"), "{err}");
    assert!(
        orders
            .stream(&Query::new().order_by("price", false))
            .is_err()
    );
    assert!(orders.find(&Query::new().select(["nope"])).await.is_err());
    assert!(
        orders
            .delete_where(&Filter::not(Filter::column("x").eq(1)))
            .await
            .is_err()
    );
    // An empty write is no call, not an error.
    assert!(orders.insert(&[]).await.unwrap().is_empty());
    assert_eq!(orders.delete(&[]).await.unwrap(), 0);
    assert!(client.table::<Order>("").await.is_err());
    assert_eq!(server.count(), before, "no request reached the server");
}

#[tokio::test]
async fn stream_pages_by_offset_into_typed_rows() {
    let server = table_server().await;
    let client = server.client();
    let orders = client.table::<Order>("orders").await.unwrap();
    let rows: Vec<TableRow<Order>> = orders
        .stream(&Query::new().filter(Filter::column("paid").eq(false)))
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), [1, 2, 3]);
    let bodies: Vec<_> = server.requests()[1..]
        .iter()
        .map(|r| r.body_text())
        .collect();
    assert_eq!(
        bodies,
        [
            r#"{"filter":{"paid":{"$eq":false}}}"#,
            r#"{"filter":{"paid":{"$eq":false}},"offset":2}"#,
        ]
    );
}
