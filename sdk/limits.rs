//! Local platform limits: requests the service would refuse for their size are refused before
//! anything is sent, with an error of kind
//! [`ErrorKind::LimitExceeded`](crate::ErrorKind::LimitExceeded) that names the limit and by
//! how much the request is over it.
//!
//! | limit | value | operations |
//! |---|---|---|
//! | a message's `payload`, as JSON | 128 KiB | createMessage, getOrCreateMessage, updateMessage |
//! | a state's `payload`, as JSON | 128 KiB | setState, getOrSetState |
//! | request body, Runtime and Files APIs | 1 MiB | every `/v1/chat` and `/v1/files` operation |
//! | request body, Tables API | 40 MiB | every `/v1/tables` operation |
//! | rows (or ids) per call | 1,000 | createTableRows, updateTableRows, upsertTableRows, deleteTableRows |
//! | `limit` of a find | 1,000 | findTableRows |
//! | a table row's data, as JSON | 4 KiB × the table's factor | the typed tables ([`TypedTable`](crate::tables::TypedTable), which knows the factor) |
//!
//! The typed tables also split a write of more than 1,000 rows into calls of 1,000.
//!
//! The values are the Botpress docs' ("Limits and Quotas of Botpress Cloud",
//! <https://botpress.com/docs/cloud/getting-started/platform-limits>), "128 KB" and "1 MB" read
//! as KiB and MiB, as `botpress-emulator` enforces them. A state payload is checked as sent: a
//! `patchState` that makes the stored state too large is found by the service only. On by
//! default; [`ClientBuilder::local_limits`](crate::ClientBuilder::local_limits)`(false)` sends
//! such requests anyway (to a server with other limits).

use serde::Deserialize;
use serde_json::value::RawValue;

/// 128 KiB: a message's or a state's payload.
const PAYLOAD_BYTES: usize = 128 * 1024;
/// 1 MiB: a Runtime or Files API body.
const RUNTIME_BODY_BYTES: usize = 1024 * 1024;
/// 40 MiB: a Tables API body.
const TABLES_BODY_BYTES: usize = 40 * 1024 * 1024;

/// 1,000: rows or ids per Tables write, and the largest `limit` of findTableRows.
pub(crate) const TABLE_ROWS_PER_CALL: usize = 1000;
/// 4 KiB: a table row's data, as JSON, per unit of the table's factor.
pub(crate) const TABLE_ROW_BYTES: usize = 4 * 1024;

/// The Tables operations whose body lists rows or ids, and the list's field.
const ROW_LISTS: [(&str, &str); 4] = [
    ("createTableRows", "rows"),
    ("updateTableRows", "rows"),
    ("upsertTableRows", "rows"),
    ("deleteTableRows", "ids"),
];

/// The operations whose body's `payload` has a size limit, and what that payload is.
const PAYLOADS: [(&str, &str); 5] = [
    ("createMessage", "message payload"),
    ("getOrCreateMessage", "message payload"),
    ("updateMessage", "message payload"),
    ("setState", "state payload"),
    ("getOrSetState", "state payload"),
];

/// The `payload` of a body, as its JSON text (borrowed: the body is scanned, not copied).
#[derive(Deserialize)]
struct Payload<'a> {
    #[serde(borrow)]
    payload: Option<&'a RawValue>,
}

/// The row lists and `limit` of a Tables body (the items borrowed, not decoded).
#[derive(Deserialize)]
struct TableCall<'a> {
    #[serde(borrow)]
    rows: Option<Vec<&'a RawValue>>,
    #[serde(borrow)]
    ids: Option<Vec<&'a RawValue>>,
    limit: Option<f64>,
}

/// Why a Tables call of `operation` with `body` would be refused for its row count or
/// `limit`, if it would.
fn table_call(operation: &str, body: &[u8]) -> Option<String> {
    let list = ROW_LISTS.iter().find(|(op, _)| *op == operation);
    if list.is_none() && operation != "findTableRows" {
        return None;
    }
    let call = serde_json::from_slice::<TableCall<'_>>(body).ok()?;
    let (count, what) = match list {
        Some((_, "ids")) => (call.ids.map_or(0, |ids| ids.len()), "ids"),
        Some(_) => (call.rows.map_or(0, |rows| rows.len()), "rows"),
        None => {
            let limit = call.limit?;
            return (limit > TABLE_ROWS_PER_CALL as f64).then(|| {
                format!(
                    "the `limit` of findTableRows is {limit}, over the platform limit of \
                     {TABLE_ROWS_PER_CALL} rows per call by {}; nothing was sent",
                    limit - TABLE_ROWS_PER_CALL as f64
                )
            });
        }
    };
    (count > TABLE_ROWS_PER_CALL).then(|| {
        format!(
            "{operation} lists {count} {what}, over the platform limit of {TABLE_ROWS_PER_CALL} \
             per call by {}; nothing was sent",
            count - TABLE_ROWS_PER_CALL
        )
    })
}

/// Why the data of a table row (`index` in its call) would be refused for its size in a
/// table of `factor`, if it would.
pub(crate) fn table_row(
    index: usize,
    data: &serde_json::Map<String, serde_json::Value>,
    factor: i64,
) -> Option<String> {
    let factor = usize::try_from(factor.max(1)).unwrap_or(usize::MAX);
    let limit = TABLE_ROW_BYTES.saturating_mul(factor);
    // Measured as the body writes it.
    let size = crate::json::to_vec(data).map_or(0, |v| v.len());
    (size > limit).then(|| {
        format!(
            "rows[{index}] is {size} bytes as JSON, over the table's limit of {limit} bytes \
             ({TABLE_ROW_BYTES} bytes × factor {factor}) by {}; nothing was sent",
            size - limit
        )
    })
}

/// Why a request of `operation` to `path` with `body` would be refused for its size, if it
/// would.
pub(crate) fn check(operation: &str, path: &str, body: &[u8]) -> Option<String> {
    let (limit, api) = if path.starts_with("/v1/tables") {
        (TABLES_BODY_BYTES, "Tables")
    } else {
        (RUNTIME_BODY_BYTES, "Runtime and Files")
    };
    if body.len() > limit {
        return Some(over(
            &format!("the request body of the {api} API"),
            body.len(),
            limit,
        ));
    }
    if let Some(over) = table_call(operation, body) {
        return Some(over);
    }
    let (_, what) = PAYLOADS.iter().find(|(op, _)| *op == operation)?;
    let size = serde_json::from_slice::<Payload<'_>>(body)
        .ok()?
        .payload?
        .get()
        .len();
    (size > PAYLOAD_BYTES).then(|| over(&format!("the {what}"), size, PAYLOAD_BYTES))
}

fn over(what: &str, size: usize, limit: usize) -> String {
    format!(
        "{what} is {size} bytes as JSON, over the platform limit of {limit} bytes ({} KiB) by {}; nothing was sent",
        limit / 1024,
        size - limit
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn body(text_len: usize) -> Vec<u8> {
        serde_json::to_vec(
            &json!({"conversationId": "c", "payload": {"text": "x".repeat(text_len)}}),
        )
        .unwrap()
    }

    #[test]
    fn payloads_are_measured_as_their_json() {
        let overhead = json!({"text": ""}).to_string().len();
        let at = body(PAYLOAD_BYTES - overhead);
        assert_eq!(check("createMessage", "/v1/chat/messages", &at), None);
        let over = body(PAYLOAD_BYTES - overhead + 5);
        let message = check("createMessage", "/v1/chat/messages", &over).unwrap();
        assert!(
            message.starts_with("the message payload is 131077 bytes as JSON")
                && message.contains("by 5;"),
            "{message}"
        );
        assert_eq!(check("createEvent", "/v1/chat/events", &over), None);
        assert!(check("setState", "/v1/chat/states/user/u/s", &over).is_some());
    }

    #[test]
    fn tables_calls_have_row_and_limit_limits() {
        let rows =
            |n: usize| serde_json::to_vec(&json!({"rows": vec![json!({"a": 1}); n]})).unwrap();
        assert_eq!(
            check("createTableRows", "/v1/tables/t/rows", &rows(1000)),
            None
        );
        let message = check("upsertTableRows", "/v1/tables/t/rows/upsert", &rows(1003)).unwrap();
        assert_eq!(
            message,
            "upsertTableRows lists 1003 rows, over the platform limit of 1000 per call by 3; nothing was sent"
        );
        let ids = serde_json::to_vec(&json!({"ids": (0..1001).collect::<Vec<_>>()})).unwrap();
        assert!(check("deleteTableRows", "/v1/tables/t/rows/delete", &ids).is_some());
        // Another operation's `rows` is not counted.
        assert_eq!(
            check("createMessage", "/v1/chat/messages", &rows(1001)),
            None
        );
        let find = |limit: u32| serde_json::to_vec(&json!({"limit": limit})).unwrap();
        assert_eq!(
            check("findTableRows", "/v1/tables/t/rows/find", &find(1000)),
            None
        );
        let message = check("findTableRows", "/v1/tables/t/rows/find", &find(5000)).unwrap();
        assert!(
            message.starts_with("the `limit` of findTableRows is 5000"),
            "{message}"
        );
    }

    #[test]
    fn a_rows_limit_grows_with_the_factor() {
        let data = |n: usize| {
            let Value::Object(map) = json!({"t": "x".repeat(n)}) else {
                unreachable!()
            };
            map
        };
        let overhead = r#"{"t":""}"#.len();
        assert_eq!(table_row(0, &data(TABLE_ROW_BYTES - overhead), 1), None);
        let message = table_row(7, &data(TABLE_ROW_BYTES - overhead + 1), 1).unwrap();
        assert_eq!(
            message,
            "rows[7] is 4097 bytes as JSON, over the table's limit of 4096 bytes (4096 bytes × factor 1) by 1; nothing was sent"
        );
        assert_eq!(table_row(0, &data(TABLE_ROW_BYTES), 2), None);
        assert!(table_row(0, &data(2 * TABLE_ROW_BYTES), 2).is_some());
    }

    #[test]
    fn bodies_have_their_apis_limit() {
        let big = vec![b' '; RUNTIME_BODY_BYTES + 1];
        let message = check("createUser", "/v1/chat/users", &big).unwrap();
        assert!(message.contains("Runtime and Files API"), "{message}");
        assert_eq!(check("createTableRows", "/v1/tables/t/rows", &big), None);
        let bigger = vec![b' '; TABLES_BODY_BYTES + 1];
        assert!(check("createTableRows", "/v1/tables/t/rows", &bigger).is_some());
    }
}
