//! SQLite storage: one writer connection and a pool of reader connections on one database in
//! WAL mode, every request in one transaction, every statement within a time budget.
//!
//! Writes are serialized on the writer (`BEGIN IMMEDIATE`); reads run on their own connections
//! against a snapshot, so no read waits behind another bot's long write or query. Each
//! statement has a time budget ([`StoreOptions::query_budget`]): SQLite's progress handler stops
//! a statement still running when it lapses, and the request gets `504 OperationTimeout` naming
//! the budget instead of holding a connection. (A long transaction of quick statements, such as
//! a 100k-row import, is not stopped: it holds only the writer.) Without `--db` the database is a file in a
//! private temporary directory, removed when the store is dropped (WAL needs a file).
//!
//! Resources are stored as documents (their wire JSON) in one `docs` table keyed by
//! `(bot_id, kind, id)`, with a creation sequence for ordering and an indexed `parent`
//! (the conversation of a message, the key of a file, ...). File contents live in `blobs`.
//! The Tables engine keeps its own tables (`crate::tables::migrate`).

use std::{
    cell::Cell,
    path::{Path, PathBuf},
    sync::{
        Arc, Condvar, Mutex, MutexGuard,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use rusqlite::{
    Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior, params,
    trace::{TraceEvent, TraceEventCodes},
};
use serde_json::Value;

use crate::error::ApiError;

/// How the store runs: reader connections and the time budget of a statement.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Reader connections (at least 1); reads beyond them wait for a free one.
    pub readers: usize,
    /// The longest one statement may run before it is stopped.
    pub query_budget: Duration,
}

pub use crate::config::{DEFAULT_QUERY_BUDGET, DEFAULT_READERS};

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            readers: DEFAULT_READERS,
            query_budget: DEFAULT_QUERY_BUDGET,
        }
    }
}

thread_local! {
    /// When the statement running on this thread began (set by the statement trace of every
    /// connection; a request's storage work runs on one thread).
    static STATEMENT_STARTED: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// The statement trace: notes when each statement (and each trigger program) begins.
fn statement_started(event: TraceEvent<'_>) {
    if let TraceEvent::Stmt(..) = event {
        STATEMENT_STARTED.set(Some(Instant::now()));
    }
}

/// The time budget of each statement a connection runs, checked by its progress handler.
#[derive(Default)]
struct Budget {
    /// The budget in nanoseconds; 0 while the connection runs no request.
    limit_nanos: AtomicU64,
    /// Whether the handler stopped a statement since the last [`Budget::start`].
    fired: AtomicBool,
}

impl Budget {
    fn start(&self, budget: Duration) {
        let nanos = u64::try_from(budget.as_nanos()).unwrap_or(u64::MAX).max(1);
        self.limit_nanos.store(nanos, Ordering::Relaxed);
        self.fired.store(false, Ordering::Relaxed);
    }

    fn stop(&self) {
        self.limit_nanos.store(0, Ordering::Relaxed);
    }

    /// The progress handler: `true` stops the running statement.
    fn lapsed(&self) -> bool {
        let limit = self.limit_nanos.load(Ordering::Relaxed);
        let lapsed = limit != 0
            && STATEMENT_STARTED
                .get()
                .is_some_and(|t| t.elapsed().as_nanos() >= u128::from(limit));
        if lapsed {
            self.fired.store(true, Ordering::Relaxed);
        }
        lapsed
    }
}

/// A connection with its budget.
struct Budgeted {
    conn: Connection,
    budget: Arc<Budget>,
}

/// SQLite virtual machine instructions between two checks of the budget.
const BUDGET_CHECK_OPS: i32 = 10_000;

impl Budgeted {
    fn new(conn: Connection) -> Self {
        let budget = Arc::new(Budget::default());
        let check = budget.clone();
        conn.progress_handler(BUDGET_CHECK_OPS, Some(move || check.lapsed()));
        conn.trace_v2(TraceEventCodes::SQLITE_TRACE_STMT, Some(statement_started));
        Self { conn, budget }
    }
}

/// The emulator's storage.
pub struct Store {
    writer: Mutex<Budgeted>,
    /// Idle readers.
    readers: Mutex<Vec<Budgeted>>,
    /// Signalled when a reader is given back.
    reader_returned: Condvar,
    options: StoreOptions,
    /// The private directory of a store without `--db`, removed on drop.
    temp_dir: Option<PathBuf>,
}

impl Drop for Store {
    fn drop(&mut self) {
        if let Some(dir) = &self.temp_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Why a store could not be opened, in words for the person starting the emulator.
#[derive(Debug)]
pub struct OpenError(String);

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OpenError {}

impl From<OpenError> for std::io::Error {
    fn from(e: OpenError) -> Self {
        std::io::Error::other(e)
    }
}
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS docs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    bot_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    parent TEXT,
    data TEXT NOT NULL,
    created_at TEXT,
    updated_at TEXT,
    UNIQUE (bot_id, kind, id)
);
CREATE INDEX IF NOT EXISTS docs_parent ON docs (bot_id, kind, parent);
CREATE TRIGGER IF NOT EXISTS docs_count_insert AFTER INSERT ON docs WHEN NEW.parent IS NOT NULL
BEGIN
    INSERT OR IGNORE INTO doc_counts VALUES (NEW.bot_id, NEW.kind, NEW.parent, 0);
    UPDATE doc_counts SET n = n + 1
    WHERE bot_id = NEW.bot_id AND kind = NEW.kind AND parent = NEW.parent;
END;
CREATE TRIGGER IF NOT EXISTS docs_count_delete AFTER DELETE ON docs WHEN OLD.parent IS NOT NULL
BEGIN
    UPDATE doc_counts SET n = n - 1
    WHERE bot_id = OLD.bot_id AND kind = OLD.kind AND parent = OLD.parent;
END;
CREATE TRIGGER IF NOT EXISTS docs_count_update AFTER UPDATE OF bot_id, kind, parent ON docs
BEGIN
    UPDATE doc_counts SET n = n - 1
    WHERE OLD.parent IS NOT NULL
      AND bot_id = OLD.bot_id AND kind = OLD.kind AND parent = OLD.parent;
    INSERT OR IGNORE INTO doc_counts
    SELECT NEW.bot_id, NEW.kind, NEW.parent, 0 WHERE NEW.parent IS NOT NULL;
    UPDATE doc_counts SET n = n + 1
    WHERE NEW.parent IS NOT NULL
      AND bot_id = NEW.bot_id AND kind = NEW.kind AND parent = NEW.parent;
END;
CREATE TABLE IF NOT EXISTS blobs (
    bot_id TEXT NOT NULL,
    file_id TEXT NOT NULL,
    secret TEXT NOT NULL,
    content BLOB,
    upload_secret TEXT,
    PRIMARY KEY (bot_id, file_id)
);
";

impl Store {
    /// Opens the store with the default options: a file when `path` is given, else a private
    /// temporary one.
    pub fn open(path: Option<&Path>) -> Result<Self, OpenError> {
        Self::open_with(path, StoreOptions::default())
    }

    /// Opens the store: checks that the file is a sound, writable SQLite database
    /// (`PRAGMA quick_check`, a write lock), creates or migrates the schema, and opens the
    /// reader connections. Every failure is a sentence naming the file and what to do.
    pub fn open_with(path: Option<&Path>, options: StoreOptions) -> Result<Self, OpenError> {
        let (path, temp_dir, durable) = match path {
            Some(p) => (p.to_path_buf(), None, true),
            None => {
                // RAM-backed when the system has it: the store is thrown away at exit anyway.
                let shm = Path::new("/dev/shm");
                let base = if shm.is_dir() {
                    shm.to_path_buf()
                } else {
                    std::env::temp_dir()
                };
                sweep_stale_stores(shm);
                sweep_stale_stores(&std::env::temp_dir());
                let dir = base.join(format!(
                    "{TEMP_PREFIX}{}-{}",
                    std::process::id(),
                    crate::ids::random_hex(8)
                ));
                std::fs::create_dir_all(&dir).map_err(|e| {
                    OpenError(format!(
                        "cannot create a temporary directory for the in-memory store at `{}`: {e}",
                        dir.display()
                    ))
                })?;
                (dir.join("store.db"), Some(dir), false)
            }
        };
        let shown = path.display().to_string();
        let fail = |what: &str, e: &dyn std::fmt::Display| {
            if let Some(dir) = &temp_dir {
                let _ = std::fs::remove_dir_all(dir);
            }
            OpenError(format!("the database `{shown}` {what}: {e}"))
        };
        let writer = Connection::open(&path).map_err(|e| fail("cannot be opened", &e))?;
        writer
            .busy_timeout(Duration::from_secs(5))
            .map_err(|e| fail("cannot be used", &e))?;
        check_sound(&writer).map_err(|e| fail("is not a sound SQLite database", &e))?;
        if writer.is_readonly(rusqlite::MAIN_DB).unwrap_or(true) {
            return Err(fail(
                "is read-only",
                &"the emulator needs to write to it (check its permissions and its directory's)",
            ));
        }
        let mode: String = writer
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(|e| fail("cannot be written", &e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(fail(
                "cannot use write-ahead logging",
                &format!("SQLite kept journal mode `{mode}` (is its directory writable?)"),
            ));
        }
        writer
            .pragma_update(None, "synchronous", if durable { "NORMAL" } else { "OFF" })
            .and_then(|()| tune(&writer))
            .map_err(|e| fail("cannot be configured", &e))?;
        writer
            .execute_batch("BEGIN IMMEDIATE; ROLLBACK;")
            .map_err(|e| fail("cannot be written", &e))?;
        migrate(&writer).map_err(|e| fail("cannot be migrated to the current schema", &e))?;
        let readers = (0..options.readers.max(1))
            .map(|_| open_reader(&path))
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| fail("cannot be opened for reading", &e))?;
        Ok(Self {
            writer: Mutex::new(Budgeted::new(writer)),
            readers: Mutex::new(readers),
            reader_returned: Condvar::new(),
            options,
            temp_dir,
        })
    }

    /// Runs `f` in one immediate transaction on the writer, committed when `f` succeeds, rolled
    /// back otherwise; writes are serialized.
    pub fn with_tx<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut writer = lock(&self.writer);
        let budget = writer.budget.clone();
        let tx = writer
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        budget.start(self.options.query_budget);
        let out = f(&tx);
        // Committing or rolling back is never stopped by the budget.
        budget.stop();
        let result = match out {
            Ok(value) => tx.commit().map(|()| value).map_err(ApiError::from),
            Err(e) => {
                tx.rollback()?;
                Err(e)
            }
        };
        self.within_budget(&budget, result)
    }

    /// Runs `f` on a reader connection, in a read transaction (one snapshot of the data); it
    /// waits only when every reader is busy. `f` must not write: the connection is query-only.
    pub fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let reader = {
            let mut idle = lock(&self.readers);
            loop {
                if let Some(r) = idle.pop() {
                    break r;
                }
                idle = self
                    .reader_returned
                    .wait(idle)
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
            }
        };
        let result = reader.conn.execute_batch("BEGIN").map_err(ApiError::from);
        let result = result.and_then(|()| {
            reader.budget.start(self.options.query_budget);
            let out = f(&reader.conn);
            reader.budget.stop();
            out
        });
        let result = self.within_budget(&reader.budget, result);
        if !reader.conn.is_autocommit() {
            let _ = reader.conn.execute_batch("ROLLBACK");
        }
        lock(&self.readers).push(reader);
        self.reader_returned.notify_one();
        result
    }

    /// A result, unless the budget stopped a statement: then the error naming it.
    fn within_budget<T>(
        &self,
        budget: &Budget,
        result: Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        if result.is_err() && budget.fired.load(Ordering::Relaxed) {
            return Err(ApiError::operation_timeout(format!(
                "a statement of the request ran longer than the emulator's query budget of {} ms \
                 and was stopped (--query-budget-ms); narrow the filter or the group, or lower \
                 the limit",
                self.options.query_budget.as_millis()
            )));
        }
        result
    }
}

/// Prefix of the private directories of stores without `--db`: `<prefix><pid>-<random>`.
const TEMP_PREFIX: &str = "botpress-emulator-";

/// Removes the private stores that emulators killed without a chance to clean up (SIGKILL, a
/// crash) left in `base`: those whose process is gone. Only where `/proc` tells which
/// processes live; a directory whose process lives, or that cannot be told, is left alone.
fn sweep_stale_stores(base: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(TEMP_PREFIX))
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `PRAGMA quick_check`: `Ok` when SQLite finds the file sound (a new, empty file is).
fn check_sound(conn: &Connection) -> Result<(), String> {
    let mut stmt = conn
        .prepare("PRAGMA quick_check(5)")
        .map_err(|e| e.to_string())?;
    let problems: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .and_then(|rows| rows.collect())
        .map_err(|e: rusqlite::Error| e.to_string())?;
    if problems.len() == 1 && problems[0] == "ok" {
        return Ok(());
    }
    Err(format!(
        "{} (restore it from a copy, or start with another --db)",
        problems.join("; ")
    ))
}

/// The schema: documents, counts, blobs, states, tables.
fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    migrate_counts(conn)?;
    conn.execute_batch(SCHEMA)?;
    migrate_tags(conn)?;
    migrate_upload_secrets(conn)?;
    crate::api::states::migrate_keys(conn)?;
    crate::tables::migrate(conn)
}

/// Page cache of each connection, in KiB (SQLite's default is 2 MiB): lists and lookups over
/// 100k documents keep their index pages in memory.
const CACHE_KIB: i64 = 16 * 1024;

/// Settings every connection gets.
fn tune(conn: &Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
    conn.pragma_update(None, "temp_store", "MEMORY")
}

/// A query-only connection with the SQL functions filters use.
fn open_reader(path: &Path) -> rusqlite::Result<Budgeted> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "query_only", true)?;
    tune(&conn)?;
    crate::tables::filter::register_functions(&conn)?;
    Ok(Budgeted::new(conn))
}

/// Creates `doc_counts`, the number of documents per `(bot_id, kind, parent)` that the triggers
/// of [`SCHEMA`] keep up to date (counting a conversation's messages reads one row instead of
/// every message). A store created before it gets it filled from its documents.
fn migrate_counts(conn: &Connection) -> rusqlite::Result<()> {
    let existed: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'doc_counts')",
        [],
        |r| r.get(0),
    )?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS doc_counts (
            bot_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            parent TEXT NOT NULL,
            n INTEGER NOT NULL,
            PRIMARY KEY (bot_id, kind, parent)
        ) WITHOUT ROWID;",
    )?;
    let has_docs: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'docs')",
        [],
        |r| r.get(0),
    )?;
    if !existed && has_docs {
        conn.execute_batch(
            "INSERT INTO doc_counts (bot_id, kind, parent, n)
             SELECT bot_id, kind, parent, count(*) FROM docs WHERE parent IS NOT NULL
             GROUP BY bot_id, kind, parent;",
        )?;
    }
    Ok(())
}

/// The `doc_tags` entries of the document `d` (`NEW`, or the alias of `docs` joined by
/// `from`): one per string tag, key and value as the bytes of their UTF-8 (BLOBs compare
/// byte for byte, as the filters do).
fn tag_entries(d: &str, from: &str) -> String {
    format!(
        "SELECT {d}.bot_id, {d}.kind, CAST(t.key AS BLOB), CAST(t.atom AS BLOB), {d}.seq
         FROM {from}json_each({d}.data, '$.tags') t
         WHERE t.type = 'text' AND json_type({d}.data, '$.tags') = 'object'"
    )
}

/// Creates the tag index: `doc_tags` holds every document's string tags, by
/// `(bot_id, kind, key, value)`, kept by triggers on `docs`, so that tag filters and
/// get-or-create lookups read the documents with a tag instead of every document of the kind
/// (`crate::pages`). Indexes on the timestamps (`createdAt`, `updatedAt`, copied into the
/// columns `created_at`, `updated_at` on every write) let pages be read in order. A store from
/// before gets them filled here.
fn migrate_tags(conn: &Connection) -> rusqlite::Result<()> {
    let has_times: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM pragma_table_info('docs') WHERE name = 'created_at')",
        [],
        |r| r.get(0),
    )?;
    // Indexes of an earlier form (on `json_extract` of the document) make way for the columns.
    let stale: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'docs'
             AND sql LIKE '%json_extract%'",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for name in stale {
        conn.execute_batch(&format!("DROP INDEX \"{name}\";"))?;
    }
    if !has_times {
        conn.execute_batch(
            "ALTER TABLE docs ADD COLUMN created_at TEXT;
             ALTER TABLE docs ADD COLUMN updated_at TEXT;
             UPDATE docs SET created_at = json_extract(data, '$.createdAt'),
                             updated_at = json_extract(data, '$.updatedAt');",
        )?;
    }
    let existed: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'doc_tags')",
        [],
        |r| r.get(0),
    )?;
    conn.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS doc_tags (
            bot_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            key BLOB NOT NULL,
            value BLOB NOT NULL,
            seq INTEGER NOT NULL,
            PRIMARY KEY (bot_id, kind, key, value, seq)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS doc_tags_by_doc ON doc_tags (seq);
        CREATE TRIGGER IF NOT EXISTS docs_tags_insert AFTER INSERT ON docs BEGIN
            INSERT OR IGNORE INTO doc_tags {new};
        END;
        DROP TRIGGER IF EXISTS docs_tags_update;
        CREATE TRIGGER docs_tags_update AFTER UPDATE OF data ON docs
        WHEN (OLD.data -> '$.tags') IS NOT (NEW.data -> '$.tags') BEGIN
            DELETE FROM doc_tags WHERE seq = OLD.seq;
            INSERT OR IGNORE INTO doc_tags {new};
        END;
        CREATE TRIGGER IF NOT EXISTS docs_tags_delete AFTER DELETE ON docs BEGIN
            DELETE FROM doc_tags WHERE seq = OLD.seq;
        END;
        CREATE INDEX IF NOT EXISTS docs_by_created ON docs (bot_id, kind, created_at, seq);
        CREATE INDEX IF NOT EXISTS docs_by_updated ON docs (bot_id, kind, updated_at, seq);
        CREATE INDEX IF NOT EXISTS docs_children_by_created
            ON docs (bot_id, kind, parent, created_at, seq);",
        new = tag_entries("NEW", ""),
    ))?;
    if !existed {
        conn.execute_batch(&format!(
            "INSERT OR IGNORE INTO doc_tags {}",
            tag_entries("d", "docs d, ")
        ))?;
    }
    Ok(())
}

/// Gives `blobs` the secret of upload URLs, apart from the secret of download URLs (a store
/// from before had one secret for both). Files of such a store get a new upload secret: a
/// download link handed out earlier can never upload, and a pending upload is asked for again
/// with `upsertFile`.
fn migrate_upload_secrets(conn: &Connection) -> rusqlite::Result<()> {
    let has_column: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM pragma_table_info('blobs') WHERE name = 'upload_secret')",
        [],
        |r| r.get(0),
    )?;
    if !has_column {
        conn.execute_batch(
            "ALTER TABLE blobs ADD COLUMN upload_secret TEXT;
             UPDATE blobs SET upload_secret = lower(hex(randomblob(16)));",
        )?;
    }
    Ok(())
}

/// The secrets in a file's URLs: one lets its holder download the content, the other upload
/// it, and neither works in place of the other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secrets {
    /// The secret of the download URL (`file.url`).
    pub download: String,
    /// The secret of the upload URL (`file.uploadUrl`).
    pub upload: String,
}

impl Secrets {
    /// Two new random secrets.
    pub fn new() -> Self {
        Self {
            download: crate::ids::random_hex(16),
            upload: crate::ids::random_hex(16),
        }
    }
}

/// The secrets in the first two columns of a `blobs` row (`secret`, `upload_secret`).
fn secrets_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<Secrets> {
    Ok(Secrets {
        download: r.get(0)?,
        upload: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
    })
}

impl Default for Secrets {
    fn default() -> Self {
        Self::new()
    }
}

/// A file's URL secrets and its content (absent until uploaded).
#[derive(Debug)]
pub struct Blob {
    /// The secrets of its URLs.
    pub secrets: Secrets,
    /// The uploaded bytes.
    pub content: Option<Vec<u8>>,
}

/// The documents of one bot.
pub struct Docs<'a> {
    conn: &'a Connection,
    bot_id: &'a str,
    writable: bool,
}

/// A stored document's JSON.
pub(crate) fn decode(text: String) -> Result<Value, ApiError> {
    serde_json::from_str(&text)
        .map_err(|e| ApiError::internal(format!("stored document is not JSON: {e}")))
}

impl<'a> Docs<'a> {
    /// The documents of `bot_id` in `conn`, inside a write transaction.
    pub fn new(conn: &'a Connection, bot_id: &'a str) -> Self {
        Self {
            conn,
            bot_id,
            writable: true,
        }
    }

    /// The documents of `bot_id` on a reader connection ([`Store::read`]): reads see what a
    /// write would leave (an expired state reads as missing) but store nothing.
    pub fn reader(conn: &'a Connection, bot_id: &'a str) -> Self {
        Self {
            conn,
            bot_id,
            writable: false,
        }
    }

    /// Whether writes are possible (housekeeping a read does, such as deleting an expired
    /// state, is left to the next write when not).
    pub fn writable(&self) -> bool {
        self.writable
    }

    /// The bot these documents belong to.
    pub fn bot_id(&self) -> &'a str {
        self.bot_id
    }

    /// The underlying connection (inside the request's transaction).
    pub fn conn(&self) -> &'a Connection {
        self.conn
    }

    /// The same store seen as another bot (e.g. `copyFile` to `x-destination-bot-id`).
    pub fn for_bot<'b>(&self, bot_id: &'b str) -> Docs<'b>
    where
        'a: 'b,
    {
        Docs {
            conn: self.conn,
            bot_id,
            writable: self.writable,
        }
    }

    /// Stores a new document.
    pub fn insert(
        &self,
        kind: &str,
        id: &str,
        parent: Option<&str>,
        data: &Value,
    ) -> Result<(), ApiError> {
        self.conn
            .prepare_cached(
                "INSERT INTO docs (bot_id, kind, id, parent, data, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                self.bot_id,
                kind,
                id,
                parent,
                data.to_string(),
                data["createdAt"].as_str(),
                data["updatedAt"].as_str()
            ])?;
        Ok(())
    }

    /// Replaces the data of an existing document (keeps its position and parent).
    pub fn update(&self, kind: &str, id: &str, data: &Value) -> Result<(), ApiError> {
        self.conn
            .prepare_cached(
                "UPDATE docs SET data = ?4, created_at = ?5, updated_at = ?6
                 WHERE bot_id = ?1 AND kind = ?2 AND id = ?3",
            )?
            .execute(params![
                self.bot_id,
                kind,
                id,
                data.to_string(),
                data["createdAt"].as_str(),
                data["updatedAt"].as_str()
            ])?;
        Ok(())
    }

    /// One document.
    pub fn get(&self, kind: &str, id: &str) -> Result<Option<Value>, ApiError> {
        let text: Option<String> = self
            .conn
            .prepare_cached("SELECT data FROM docs WHERE bot_id = ?1 AND kind = ?2 AND id = ?3")?
            .query_row(params![self.bot_id, kind, id], |r| r.get(0))
            .optional()?;
        text.map(decode).transpose()
    }

    /// Deletes one document; whether it existed.
    pub fn delete(&self, kind: &str, id: &str) -> Result<bool, ApiError> {
        let n = self
            .conn
            .prepare_cached("DELETE FROM docs WHERE bot_id = ?1 AND kind = ?2 AND id = ?3")?
            .execute(params![self.bot_id, kind, id])?;
        Ok(n > 0)
    }

    /// Every document of a kind, oldest first.
    pub fn list(&self, kind: &str) -> Result<Vec<Value>, ApiError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT data FROM docs WHERE bot_id = ?1 AND kind = ?2 ORDER BY seq")?;
        let rows = stmt.query_map(params![self.bot_id, kind], |r| r.get::<_, String>(0))?;
        rows.map(|r| decode(r?)).collect()
    }

    /// The documents of a kind under `parent`, oldest first.
    pub fn children(&self, kind: &str, parent: &str) -> Result<Vec<Value>, ApiError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT data FROM docs WHERE bot_id = ?1 AND kind = ?2 AND parent = ?3 ORDER BY seq",
        )?;
        let rows = stmt.query_map(params![self.bot_id, kind, parent], |r| {
            r.get::<_, String>(0)
        })?;
        rows.map(|r| decode(r?)).collect()
    }

    /// How many documents of a kind are under `parent` (kept by triggers: no scan).
    pub fn count_children(&self, kind: &str, parent: &str) -> Result<i64, ApiError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT n FROM doc_counts WHERE bot_id = ?1 AND kind = ?2 AND parent = ?3",
            )?
            .query_row(params![self.bot_id, kind, parent], |r| r.get(0))
            .optional()?
            .unwrap_or(0))
    }

    /// Deletes every document of a kind under `parent`.
    pub fn delete_children(&self, kind: &str, parent: &str) -> Result<(), ApiError> {
        self.conn
            .prepare_cached("DELETE FROM docs WHERE bot_id = ?1 AND kind = ?2 AND parent = ?3")?
            .execute(params![self.bot_id, kind, parent])?;
        Ok(())
    }

    /// Stores (or replaces) the content slot of a file, with the secrets of its URLs.
    pub fn put_blob(
        &self,
        file_id: &str,
        secrets: &Secrets,
        content: Option<&[u8]>,
    ) -> Result<(), ApiError> {
        self.conn.prepare_cached(
            "INSERT INTO blobs (bot_id, file_id, secret, upload_secret, content) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (bot_id, file_id) DO UPDATE SET secret = excluded.secret,
                upload_secret = excluded.upload_secret, content = excluded.content",
        )?.execute(
            params![self.bot_id, file_id, secrets.download, secrets.upload, content],
        )?;
        Ok(())
    }

    /// Replaces the content of a file whose slot exists, keeping the secrets of its URLs.
    pub fn set_blob_content(&self, file_id: &str, content: &[u8]) -> Result<(), ApiError> {
        self.conn
            .prepare_cached("UPDATE blobs SET content = ?3 WHERE bot_id = ?1 AND file_id = ?2")?
            .execute(params![self.bot_id, file_id, content])?;
        Ok(())
    }

    /// The secrets and content of a file.
    pub fn blob(&self, file_id: &str) -> Result<Option<Blob>, ApiError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT secret, upload_secret, content FROM blobs WHERE bot_id = ?1 AND file_id = ?2",
            )?
            .query_row(params![self.bot_id, file_id], |r| {
                Ok(Blob {
                    secrets: secrets_from(r)?,
                    content: r.get(2)?,
                })
            })
            .optional()?)
    }

    /// The secrets of a file's URLs, without reading its content.
    pub fn secrets(&self, file_id: &str) -> Result<Option<Secrets>, ApiError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT secret, upload_secret FROM blobs WHERE bot_id = ?1 AND file_id = ?2",
            )?
            .query_row(params![self.bot_id, file_id], secrets_from)
            .optional()?)
    }

    /// Deletes a file's content.
    pub fn delete_blob(&self, file_id: &str) -> Result<(), ApiError> {
        self.conn
            .prepare_cached("DELETE FROM blobs WHERE bot_id = ?1 AND file_id = ?2")?
            .execute(params![self.bot_id, file_id])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn documents_are_isolated_per_bot_and_ordered() {
        let store = Store::open(None).unwrap();
        store
            .with_tx(|tx| {
                let a = Docs::new(tx, "bot_a");
                a.insert("conversation", "c1", None, &json!({"n": 1}))?;
                a.insert("conversation", "c2", Some("p"), &json!({"n": 2}))?;
                let b = Docs::new(tx, "bot_b");
                assert!(b.get("conversation", "c1")?.is_none());
                assert_eq!(
                    a.list("conversation")?,
                    vec![json!({"n": 1}), json!({"n": 2})]
                );
                assert_eq!(a.count_children("conversation", "p")?, 1);
                assert!(a.delete("conversation", "c1")?);
                assert!(!b.delete("conversation", "c2")?);
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn child_counts_follow_inserts_and_deletes_and_are_filled_for_older_stores() {
        let counts = |store: &Store| {
            store
                .with_tx(|tx| {
                    let a = Docs::new(tx, "bot_a");
                    Ok((
                        a.count_children("message", "c1")?,
                        a.count_children("message", "c2")?,
                        Docs::new(tx, "bot_b").count_children("message", "c1")?,
                    ))
                })
                .unwrap()
        };
        let path =
            std::env::temp_dir().join(format!("bp-emulator-counts-{}.db", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let store = Store::open(Some(&path)).unwrap();
        store
            .with_tx(|tx| {
                let a = Docs::new(tx, "bot_a");
                for i in 0..5 {
                    a.insert("message", &format!("m{i}"), Some("c1"), &json!({}))?;
                }
                a.insert("message", "x", Some("c2"), &json!({}))?;
                a.insert("message", "top", None, &json!({}))?;
                Docs::new(tx, "bot_b").insert("message", "m0", Some("c1"), &json!({}))?;
                assert!(a.delete("message", "m0")?);
                Ok(())
            })
            .unwrap();
        assert_eq!(counts(&store), (4, 1, 1));
        store
            .with_tx(|tx| Docs::new(tx, "bot_a").delete_children("message", "c1"))
            .unwrap();
        assert_eq!(counts(&store), (0, 1, 1));
        store
            .with_tx(|tx| Docs::new(tx, "bot_a").insert("message", "again", Some("c1"), &json!({})))
            .unwrap();
        assert_eq!(counts(&store), (1, 1, 1));
        store
            .with_tx(|tx| {
                tx.execute("UPDATE docs SET parent = 'c2' WHERE id = 'again'", [])?;
                Ok(())
            })
            .unwrap();
        assert_eq!(counts(&store), (0, 2, 1));
        drop(store);
        // A store from before the counts: no table, no triggers; reopening fills them.
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "DROP TRIGGER docs_count_insert; DROP TRIGGER docs_count_delete;
             DROP TRIGGER docs_count_update; DROP TABLE doc_counts;",
        )
        .unwrap();
        drop(conn);
        let store = Store::open(Some(&path)).unwrap();
        assert_eq!(counts(&store), (0, 2, 1));
        drop(store);
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::remove_file(path.with_extension("db-wal"));
        let _ = std::fs::remove_file(path.with_extension("db-shm"));
    }

    #[test]
    fn a_failed_transaction_leaves_nothing() {
        let store = Store::open(None).unwrap();
        let r: Result<(), ApiError> = store.with_tx(|tx| {
            Docs::new(tx, "b").insert("k", "1", None, &json!({}))?;
            Err(ApiError::invalid_payload("no"))
        });
        assert!(r.is_err());
        let n = store
            .with_tx(|tx| Ok(Docs::new(tx, "b").list("k")?.len()))
            .unwrap();
        assert_eq!(n, 0);
    }
}
