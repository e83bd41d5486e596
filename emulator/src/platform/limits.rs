//! The service's platform limits, enforced with its error types, each configurable and on by
//! default (Botpress docs, "Limits and Quotas of Botpress Cloud",
//! <https://botpress.com/docs/cloud/getting-started/platform-limits>, and the API reference's
//! payload limits):
//!
//! | limit | default | past it |
//! |---|---|---|
//! | a message's `payload` (createMessage, getOrCreateMessage, updateMessage), as JSON | 128 KiB | `413 LimitExceeded` |
//! | a state's `payload` after the write (setState, getOrSetState, patchState), as JSON | 128 KiB | `413 LimitExceeded` |
//! | request body, Runtime and Files APIs (`/v1/chat`, `/v1/files`) | 1 MiB | `413 PayloadTooLarge` |
//! | request body, Tables API (`/v1/tables`) | 40 MiB | `413 PayloadTooLarge` |
//! | columns of a table (create, getOrCreate, update, duplicate) | 20 | `400 InvalidPayload` |
//! | a table row's data as JSON, per unit of the table's `factor` | 4 KiB | `413 LimitExceeded` naming the row |
//! | rows per create, update or upsert call; ids per delete call | 1,000 | `400 InvalidPayload` |
//! | `limit` of findTableRows | 1,000 | `400 InvalidPayload` |
//!
//! The docs give "128 KB" and "1 MB" without saying which kilo; the emulator takes the larger
//! (1,024). The service's exact error for the payload and state sizes is not documented:
//! `LimitExceeded` is its type for hard limits. A body is also capped by the emulator's own
//! [`Config::max_body_bytes`](crate::Config::max_body_bytes) (5 MiB by default), whichever is
//! lower. The Tables limits are those of the Tables docs and of the `tablesApi` request
//! schemas of `@botpress/api` 1.70.2 (the schema's "maximum of 20 keys", `rows` and `ids` of
//! at most 1,000 items, `limit` at most 1,000), which is why most answer `InvalidPayload`.
//!
//! Rows per call and the findTableRows `limit` are also bounded by the document's request
//! schemas (`maxItems: 1000`, `maximum: 1000`), which the emulator validates first: those two
//! can be lowered, not raised past 1,000.
//!
//! Each request reads the limits once: the engine code deep in a request (the Tables engine)
//! reads them from a request scope set for the request's storage work (as it reads the clock).

use std::cell::Cell;

/// The platform limits an emulator enforces; `None` turns one off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PlatformLimits {
    /// Bytes of a message's `payload`, as JSON.
    pub message_payload: Option<usize>,
    /// Bytes of a state's `payload`, as JSON.
    pub state_payload: Option<usize>,
    /// Bytes of a request body to the Runtime and Files APIs.
    pub runtime_body: Option<usize>,
    /// Bytes of a request body to the Tables API.
    pub tables_body: Option<usize>,
    /// Columns of a table.
    pub table_columns: Option<usize>,
    /// Bytes of a table row's data as JSON, per unit of the table's `factor`.
    pub table_row_bytes: Option<usize>,
    /// Rows per create, update or upsert call, and ids per delete call.
    pub table_rows_per_call: Option<usize>,
    /// The largest `limit` of findTableRows.
    pub table_find_limit: Option<usize>,
}

/// 128 KiB: a message's or a state's payload.
pub const DEFAULT_PAYLOAD_BYTES: usize = 128 * 1024;
/// 1 MiB: a Runtime or Files API body.
pub const DEFAULT_RUNTIME_BODY_BYTES: usize = 1024 * 1024;
/// 40 MiB: a Tables API body.
pub const DEFAULT_TABLES_BODY_BYTES: usize = 40 * 1024 * 1024;
/// 20: columns of a table.
pub const DEFAULT_TABLE_COLUMNS: usize = 20;
/// 4 KiB: a table row's data per unit of `factor`.
pub const DEFAULT_TABLE_ROW_BYTES: usize = 4 * 1024;
/// 1,000: rows (or ids) per Tables write call.
pub const DEFAULT_TABLE_ROWS_PER_CALL: usize = 1000;
/// 1,000: the largest `limit` of findTableRows.
pub const DEFAULT_TABLE_FIND_LIMIT: usize = 1000;

impl Default for PlatformLimits {
    fn default() -> Self {
        Self {
            message_payload: Some(DEFAULT_PAYLOAD_BYTES),
            state_payload: Some(DEFAULT_PAYLOAD_BYTES),
            runtime_body: Some(DEFAULT_RUNTIME_BODY_BYTES),
            tables_body: Some(DEFAULT_TABLES_BODY_BYTES),
            table_columns: Some(DEFAULT_TABLE_COLUMNS),
            table_row_bytes: Some(DEFAULT_TABLE_ROW_BYTES),
            table_rows_per_call: Some(DEFAULT_TABLE_ROWS_PER_CALL),
            table_find_limit: Some(DEFAULT_TABLE_FIND_LIMIT),
        }
    }
}

impl PlatformLimits {
    /// The service's limits (the default).
    pub fn service() -> Self {
        Self::default()
    }

    /// No platform limit (the emulator's own body cap still holds).
    pub fn none() -> Self {
        Self {
            message_payload: None,
            state_payload: None,
            runtime_body: None,
            tables_body: None,
            table_columns: None,
            table_row_bytes: None,
            table_rows_per_call: None,
            table_find_limit: None,
        }
    }

    /// With this limit on a message's payload (`None`: off).
    pub fn message_payload(mut self, bytes: Option<usize>) -> Self {
        self.message_payload = bytes;
        self
    }

    /// With this limit on a state's payload (`None`: off).
    pub fn state_payload(mut self, bytes: Option<usize>) -> Self {
        self.state_payload = bytes;
        self
    }

    /// With this limit on Runtime and Files API bodies (`None`: off).
    pub fn runtime_body(mut self, bytes: Option<usize>) -> Self {
        self.runtime_body = bytes;
        self
    }

    /// With this limit on Tables API bodies (`None`: off).
    pub fn tables_body(mut self, bytes: Option<usize>) -> Self {
        self.tables_body = bytes;
        self
    }

    /// With this limit on the columns of a table (`None`: off).
    pub fn table_columns(mut self, columns: Option<usize>) -> Self {
        self.table_columns = columns;
        self
    }

    /// With this limit on a table row's data, per unit of the table's `factor` (`None`: off).
    pub fn table_row_bytes(mut self, bytes: Option<usize>) -> Self {
        self.table_row_bytes = bytes;
        self
    }

    /// With this limit on rows (or ids) per Tables write call (`None`: off).
    pub fn table_rows_per_call(mut self, rows: Option<usize>) -> Self {
        self.table_rows_per_call = rows;
        self
    }

    /// With this largest `limit` of findTableRows (`None`: any).
    pub fn table_find_limit(mut self, limit: Option<usize>) -> Self {
        self.table_find_limit = limit;
        self
    }

    /// The body limit of the API `path` belongs to, with the API's name.
    pub(crate) fn body_limit(&self, path: &str) -> Option<(usize, &'static str)> {
        if path.starts_with("/v1/tables") {
            self.tables_body.map(|n| (n, "Tables"))
        } else {
            self.runtime_body.map(|n| (n, "Runtime and Files"))
        }
    }
}

thread_local! {
    /// The limits of the request this thread is serving, if any (see [`within`]).
    static REQUEST_LIMITS: Cell<Option<PlatformLimits>> = const { Cell::new(None) };
}

/// Runs `work` (a request's storage work, which runs on the calling thread) with `limits` as
/// the limits [`current`] answers.
pub(crate) fn within<T>(limits: PlatformLimits, work: impl FnOnce() -> T) -> T {
    super::scoped(&REQUEST_LIMITS, limits, work)
}

/// The limits of the request being served on this thread; the service's outside one (the
/// Tables engine run on its own, as its tests do).
pub(crate) fn current() -> PlatformLimits {
    REQUEST_LIMITS.get().unwrap_or_default()
}

/// The operations whose body's `payload` is a message payload.
pub(crate) const MESSAGE_PAYLOAD_OPERATIONS: [&str; 3] =
    ["createMessage", "getOrCreateMessage", "updateMessage"];

/// `413 LimitExceeded` when `value`, written as JSON, is over `limit` bytes.
pub(crate) fn check_payload(
    what: &str,
    value: &serde_json::Value,
    limit: Option<usize>,
) -> Result<(), crate::error::ApiError> {
    let Some(limit) = limit else {
        return Ok(());
    };
    let size = json_size(value);
    if size > limit {
        return Err(crate::error::ApiError::limit_exceeded(format!(
            "{what} is {size} bytes as JSON, over the limit of {limit} bytes ({} KiB) by {}",
            limit / 1024,
            size - limit
        )));
    }
    Ok(())
}

/// Bytes of `value` written as compact JSON, without building the text.
fn json_size(value: &serde_json::Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    serde_json::to_writer(&mut count, value).map_or(usize::MAX, |()| count.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sizes_are_those_of_the_compact_json() {
        let v = json!({"text": "héllo", "n": [1, 2.5, null]});
        assert_eq!(json_size(&v), v.to_string().len());
    }

    #[test]
    fn a_payload_over_the_limit_says_by_how_much() {
        let v = json!({"text": "x".repeat(100)});
        let size = v.to_string().len();
        assert!(check_payload("body.payload", &v, Some(size)).is_ok());
        assert!(check_payload("body.payload", &v, None).is_ok());
        let e = check_payload("body.payload", &v, Some(size - 3)).unwrap_err();
        assert_eq!((e.status, e.error_type), (413, "LimitExceeded"));
        assert!(
            e.message.contains(&format!("{size} bytes")) && e.message.ends_with("by 3"),
            "{}",
            e.message
        );
    }

    #[test]
    fn each_api_has_its_body_limit() {
        let limits = PlatformLimits::default();
        assert_eq!(
            limits.body_limit("/v1/tables/t/rows"),
            Some((40 << 20, "Tables"))
        );
        assert_eq!(
            limits.body_limit("/v1/chat/messages"),
            Some((1 << 20, "Runtime and Files"))
        );
        assert_eq!(
            limits.body_limit("/v1/files/x"),
            Some((1 << 20, "Runtime and Files"))
        );
        assert_eq!(PlatformLimits::none().body_limit("/v1/chat/messages"), None);
    }
}
