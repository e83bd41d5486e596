//! Tables, typed with schemars: create/get/find/update/upsert/delete rows.
//!
//! `cargo run --example tables`.
mod common;

use botpress::tables::{Filter, Query};
use futures::TryStreamExt;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One order.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone)]
struct Order {
    /// Stock keeping unit.
    sku: String,
    total: f64,
    paid: bool,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let session = common::connect().await?;
    let client = &session.client;

    // getOrCreateTable with the schema derived from `Order`
    let orders = client.table::<Order>("exampleOrdersTable").await?;
    println!(
        "table {} (created: {})",
        orders.info().name,
        orders.created()
    );

    // createTableRows
    let inserted = orders
        .insert(&[
            Order {
                sku: "A-1".into(),
                total: 12.5,
                paid: false,
            },
            Order {
                sku: "B-2".into(),
                total: 80.0,
                paid: true,
            },
        ])
        .await?;
    println!(
        "inserted rows {:?}",
        inserted.iter().map(|r| r.id).collect::<Vec<_>>()
    );

    // getTableRow
    let row = orders.get(inserted[0].id).await?.expect("the row exists");
    println!("row {}: {:?}", row.id, row.data);

    // findTableRows with a typed filter
    let unpaid = orders
        .find(
            &Query::new().filter(
                Filter::column("paid")
                    .eq(false)
                    .and(Filter::column("total").gte(10)),
            ),
        )
        .await?;
    println!("{} unpaid order(s) of 10 or more", unpaid.len());

    // updateTableRows
    let mut paid = row.clone();
    paid.data.paid = true;
    orders.update(&[paid]).await?;

    // upsertTableRows on the `sku` column
    let (new, updated) = orders
        .upsert(
            &[Order {
                sku: "C-3".into(),
                total: 5.0,
                paid: false,
            }],
            "sku",
        )
        .await?;
    println!("upsert: {} inserted, {} updated", new.len(), updated.len());

    // Every row, paging by offset
    let all: Vec<_> = orders
        .stream(&Query::new().order_by("createdAt", true))?
        .try_collect()
        .await?;
    println!("{} row(s) in all", all.len());

    // deleteTableRows, by id and by filter
    orders.delete(&[inserted[1].id]).await?;
    let deleted = orders
        .delete_where(&Filter::column("sku").exists(true))
        .await?;
    println!("deleted {deleted} more row(s)");
    Ok(())
}
