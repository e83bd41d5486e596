//! Tables' platform limits: a raw row write of more than 1,000 rows (or a find with a `limit`
//! over 1,000) is refused unsent; the typed table splits a big write into calls of 1,000, in
//! order, checks every row's size against 4 KiB × the table's factor before the first call,
//! and says which batch failed and what was written when one does.

use botpress::tables::Query;
use botpress::{Client, ErrorKind};
use botpress_emulator::{Config, Emulator, spawn};
use futures::TryStreamExt;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::support::emulator::client_with;

const BOT: &str = "bot_01JTABLEBATCHES0000000000A1";

#[derive(Serialize, Deserialize, JsonSchema, Debug, PartialEq, Clone)]
struct Item {
    n: i64,
    label: String,
}

fn items(range: std::ops::Range<i64>) -> Vec<Item> {
    range
        .map(|n| Item {
            n,
            label: format!("item {n}"),
        })
        .collect()
}

fn client(emulator: &botpress_emulator::Emulator, local_limits: bool) -> Client {
    client_with(emulator, BOT, |b| b.local_limits(local_limits))
}

/// The number of rows (or ids) each call of `operation` sent, in order.
fn sent_per_call(emulator: &Emulator, operation: &str, list: &str) -> Vec<usize> {
    emulator
        .journal()
        .calls_to(operation)
        .iter()
        .map(|c| {
            assert_eq!(c.status, Some(200), "{operation}: {c:?}");
            c.request_body.as_ref().expect("journal keeps bodies")[list]
                .as_array()
                .map_or(0, Vec::len)
        })
        .collect()
}

#[tokio::test]
async fn typed_writes_of_any_size_go_in_calls_of_1000() {
    let emulator = spawn(Config::new().journal_bodies(true)).await.unwrap();
    let client = client(&emulator, true);
    let table = client.table::<Item>("itemsTable").await.unwrap();

    let stored = table.insert(&items(0..2500)).await.unwrap();
    assert_eq!(
        sent_per_call(&emulator, "createTableRows", "rows"),
        [1000, 1000, 500]
    );
    assert_eq!(
        stored.iter().map(|r| r.data.n).collect::<Vec<_>>(),
        (0..2500).collect::<Vec<_>>(),
        "the rows come back in the order they were given"
    );

    let mut changed = stored.clone();
    for row in &mut changed {
        row.data.label = format!("changed {}", row.data.n);
    }
    let updated = table.update(&changed).await.unwrap();
    assert_eq!(
        sent_per_call(&emulator, "updateTableRows", "rows"),
        [1000, 1000, 500]
    );
    assert_eq!(updated.len(), 2500);
    assert_eq!(updated[2499].data.label, "changed 2499");

    let (inserted, upserted) = table.upsert(&items(2000..3200), "n").await.unwrap();
    assert_eq!(
        sent_per_call(&emulator, "upsertTableRows", "rows"),
        [1000, 200]
    );
    assert_eq!((inserted.len(), upserted.len()), (700, 500));

    let all: Vec<_> = table
        .stream(&Query::new())
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 3200);
    let ids: Vec<i64> = all.iter().map(|r| r.id).collect();
    assert_eq!(table.delete(&ids).await.unwrap(), 3200);
    assert_eq!(
        sent_per_call(&emulator, "deleteTableRows", "ids"),
        [1000, 1000, 1000, 200]
    );

    // Nothing to write sends nothing.
    let before = emulator.journal().len();
    assert!(table.insert(&[]).await.unwrap().is_empty());
    assert_eq!(table.delete(&[]).await.unwrap(), 0);
    assert_eq!(emulator.journal().len(), before);
}

#[tokio::test]
async fn an_oversized_row_fails_the_whole_write_unsent() {
    let emulator = spawn(Config::new()).await.unwrap();
    let client = client(&emulator, true);
    let table = client.table::<Item>("itemsTable").await.unwrap();
    let overhead = json!({"n": 1207, "label": ""}).to_string().len();
    let mut rows = items(0..1500);
    rows[1207].label = "x".repeat(4096 - overhead + 5);
    let before = emulator.journal().len();

    let err = table.insert(&rows).await.unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::LimitExceeded, None));
    assert_eq!(
        err.message(),
        "rows[1207] is 4101 bytes as JSON, over the table's limit of 4096 bytes \
         (4096 bytes × factor 1) by 5; nothing was sent"
    );
    assert_eq!(
        emulator.journal().len(),
        before,
        "not even the first batch went out"
    );

    // At the limit, the row goes in.
    rows[1207].label = "x".repeat(4096 - overhead);
    assert_eq!(table.insert(&rows).await.unwrap().len(), 1500);
}

#[tokio::test]
async fn a_failed_batch_says_what_was_written_before_it() {
    let emulator = spawn(Config::new()).await.unwrap();
    // Unchecked, the oversized row reaches the emulator in the second batch and is refused.
    let client = client(&emulator, false);
    let table = client.table::<Item>("itemsTable").await.unwrap();
    let mut rows = items(0..2500);
    rows[1500].label = "x".repeat(5000);

    let err = table.insert(&rows).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded);
    assert_eq!(err.status(), Some(413));
    assert!(
        err.message().starts_with(
            "batch 2 of 3 (items 1000..2000) failed, 1000 of the 2500 items were written by \
             the batches before it: "
        ),
        "{err}"
    );
    let calls = emulator.journal().calls_to("createTableRows");
    assert_eq!(
        calls.iter().map(|c| c.status).collect::<Vec<_>>(),
        [Some(200), Some(413)],
        "the third batch was not sent"
    );
    let stored: Vec<_> = table
        .stream(&Query::new())
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(stored.len(), 1000);
}

#[tokio::test]
async fn raw_tables_calls_over_1000_rows_are_refused_unsent() {
    let emulator = spawn(Config::new()).await.unwrap();
    let client = client(&emulator, true);
    client.table::<Item>("itemsTable").await.unwrap();
    let row = |n: i64| {
        let Value::Object(map) = json!({"n": n, "label": "x"}) else {
            unreachable!()
        };
        map
    };
    let rows: Vec<Map<String, Value>> = (0..1001).map(row).collect();
    let before = emulator.journal().len();

    let err = client
        .create_table_rows()
        .table("itemsTable")
        .rows(rows.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!((err.kind(), err.status()), (ErrorKind::LimitExceeded, None));
    assert_eq!(
        err.message(),
        "createTableRows lists 1001 rows, over the platform limit of 1000 per call by 1; \
         nothing was sent"
    );
    assert_eq!(err.operation(), Some("createTableRows"));

    let err = client
        .find_table_rows()
        .table("itemsTable")
        .limit(1001)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded);
    assert!(
        err.message().contains("`limit` of findTableRows is 1001"),
        "{err}"
    );
    assert_eq!(
        emulator.journal().len(),
        before,
        "nothing reached the emulator"
    );

    // Unchecked, the emulator's own limit answers.
    let err = self::client(&emulator, false)
        .create_table_rows()
        .table("itemsTable")
        .rows(rows)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400), "{err}");
    assert_eq!(emulator.journal().len(), before + 1);
}
