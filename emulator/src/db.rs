//! SQLite storage: one connection behind a mutex, every request in one transaction.
//!
//! Resources are stored as documents (their wire JSON) in one `docs` table keyed by
//! `(bot_id, kind, id)`, with a creation sequence for ordering and an indexed `parent`
//! (the conversation of a message, the key of a file, ...). File contents live in `blobs`.
//! The Tables engine keeps its own tables (`crate::tables::migrate`).

use std::{path::Path, sync::Mutex};

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use serde_json::Value;

use crate::error::ApiError;

/// The emulator's storage.
pub struct Store {
    conn: Mutex<Connection>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS docs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    bot_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    parent TEXT,
    data TEXT NOT NULL,
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
    PRIMARY KEY (bot_id, file_id)
);
";

impl Store {
    /// Opens the store: a file when `path` is given, else in memory; creates the schema.
    pub fn open(path: Option<&Path>) -> rusqlite::Result<Self> {
        let conn = match path {
            Some(p) => {
                let c = Connection::open(p)?;
                c.pragma_update(None, "journal_mode", "WAL")?;
                c.pragma_update(None, "synchronous", "NORMAL")?;
                c
            }
            None => Connection::open_in_memory()?,
        };
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate_counts(&conn)?;
        conn.execute_batch(SCHEMA)?;
        crate::tables::migrate(&conn)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    /// Runs `f` in one immediate transaction, committed when `f` succeeds, rolled back otherwise.
    pub fn with_tx<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut conn = self
            .conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }
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

/// A file's URL secret and its content (absent until uploaded).
pub type Blob = (String, Option<Vec<u8>>);

/// The documents of one bot.
pub struct Docs<'a> {
    conn: &'a Connection,
    bot_id: &'a str,
}

fn decode(text: String) -> Result<Value, ApiError> {
    serde_json::from_str(&text)
        .map_err(|e| ApiError::internal(format!("stored document is not JSON: {e}")))
}

impl<'a> Docs<'a> {
    /// The documents of `bot_id` in `conn`.
    pub fn new(conn: &'a Connection, bot_id: &'a str) -> Self {
        Self { conn, bot_id }
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
                "INSERT INTO docs (bot_id, kind, id, parent, data) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![self.bot_id, kind, id, parent, data.to_string()])?;
        Ok(())
    }

    /// Replaces the data of an existing document (keeps its position and parent).
    pub fn update(&self, kind: &str, id: &str, data: &Value) -> Result<(), ApiError> {
        self.conn
            .prepare_cached(
                "UPDATE docs SET data = ?4 WHERE bot_id = ?1 AND kind = ?2 AND id = ?3",
            )?
            .execute(params![self.bot_id, kind, id, data.to_string()])?;
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

    /// Stores (or replaces) the content slot of a file, with the secret of its URLs.
    pub fn put_blob(
        &self,
        file_id: &str,
        secret: &str,
        content: Option<&[u8]>,
    ) -> Result<(), ApiError> {
        self.conn.prepare_cached(
            "INSERT INTO blobs (bot_id, file_id, secret, content) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (bot_id, file_id) DO UPDATE SET secret = excluded.secret, content = excluded.content",
        )?.execute(
            params![self.bot_id, file_id, secret, content],
        )?;
        Ok(())
    }

    /// The secret and content of a file.
    pub fn blob(&self, file_id: &str) -> Result<Option<Blob>, ApiError> {
        Ok(self
            .conn
            .prepare_cached("SELECT secret, content FROM blobs WHERE bot_id = ?1 AND file_id = ?2")?
            .query_row(params![self.bot_id, file_id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
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
