//! The request journal: every API request the emulator served and what it answered (the
//! operation, the bot, the status and error type, the time it took, the body sizes, the fault
//! applied, and the bodies themselves when asked for), so a test can assert what its code
//! sent. Kept in memory, the most recent [`DEFAULT_JOURNAL_CAPACITY`] calls by default.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let emulator = botpress_emulator::spawn(botpress_emulator::Config::new()).await?;
//! // ... run the code under test against emulator.base_url() ...
//! let creates = emulator.journal().calls_to("createMessage");
//! assert_eq!(creates.len(), 1, "exactly one message was created");
//! assert_eq!(creates[0].status, Some(201));
//! assert_eq!(creates[0].operation, Some("createMessage"));
//! # Ok(()) }
//! ```
//!
//! The admin API serves it as `GET /_emulator/journal` (`?operation=createMessage&bot=bot_1`)
//! and clears it with `DELETE /_emulator/journal`. Admin requests and the file-content URLs
//! are not journaled. Headers are never kept (they carry the token).

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex, PoisonError},
};

use chrono::{DateTime, Utc};
use serde::{Serialize, Serializer};
use serde_json::Value;

fn wire_time<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&at.format("%Y-%m-%dT%H:%M:%S%.3fZ"))
}

/// How many calls the journal keeps by default (older ones are dropped first).
pub const DEFAULT_JOURNAL_CAPACITY: usize = 10_000;

/// One request and its answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Call {
    /// Position in the journal, from 1, never reused (also after [`Journal::clear`]).
    pub seq: u64,
    /// When the request arrived, on the emulator's clock (as JSON: RFC 3339 with
    /// milliseconds, like the API's timestamps).
    #[serde(serialize_with = "wire_time")]
    pub at: DateTime<Utc>,
    /// The HTTP method (`"POST"`; borrowed for the standard methods, no allocation).
    pub method: std::borrow::Cow<'static, str>,
    /// The request path (without the query).
    pub path: String,
    /// The operation the request matched (`createMessage`); `None` when it matched none.
    pub operation: Option<&'static str>,
    /// The calling bot (`x-bot-id`), when the request got that far.
    pub bot_id: Option<String>,
    /// The status answered; `None` when the connection was dropped without an answer (a
    /// `reset` fault, or `failAfterCommit` with no status).
    pub status: Option<u16>,
    /// The Botpress error type of an error answer (`ResourceNotFound`).
    pub error_type: Option<&'static str>,
    /// Whether the operation's writes were committed (a write that succeeded, or one that
    /// succeeded and was then answered with a failure by a `failAfterCommit` fault).
    pub committed: bool,
    /// The fault applied to the request, by kind (`error`, `latency`, `reset`, `stall`,
    /// `failAfterCommit`).
    pub fault: Option<&'static str>,
    /// Time from the request's arrival to its answer, in microseconds.
    pub duration_us: u64,
    /// Bytes of the request body.
    pub request_bytes: u64,
    /// Bytes of the response body.
    pub response_bytes: u64,
    /// The request body (JSON, or a string when it is not JSON), with
    /// [`Config::journal_bodies`](crate::Config::journal_bodies).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_body: Option<Value>,
    /// The response body, with [`Config::journal_bodies`](crate::Config::journal_bodies).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_body: Option<Value>,
}

/// The journal of an emulator: a handle shared with the server (clones see the same calls).
#[derive(Clone)]
pub struct Journal {
    inner: Arc<Mutex<Inner>>,
    capacity: usize,
    bodies: bool,
}

struct Inner {
    calls: VecDeque<Call>,
    next_seq: u64,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("len", &self.len())
            .field("capacity", &self.capacity)
            .field("bodies", &self.bodies)
            .finish()
    }
}

impl Journal {
    /// A journal keeping the last `capacity` calls (0: none), with their bodies if `bodies`.
    pub(crate) fn new(capacity: usize, bodies: bool) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner {
                calls: VecDeque::new(),
                next_seq: 1,
            })),
            capacity,
            bodies,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether bodies are kept.
    pub(crate) fn keeps_bodies(&self) -> bool {
        self.bodies
    }

    /// Whether calls are kept at all.
    pub(crate) fn is_on(&self) -> bool {
        self.capacity > 0
    }

    /// Adds a call, numbering it; drops the oldest past the capacity.
    pub(crate) fn record(&self, mut call: Call) {
        if self.capacity == 0 {
            return;
        }
        let mut inner = self.lock();
        call.seq = inner.next_seq;
        inner.next_seq += 1;
        if inner.calls.len() == self.capacity {
            inner.calls.pop_front();
        }
        inner.calls.push_back(call);
    }

    /// Every call kept, oldest first.
    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.iter().cloned().collect()
    }

    /// The calls of one operation (`createMessage`), oldest first.
    pub fn calls_to(&self, operation: &str) -> Vec<Call> {
        self.matching(Some(operation), None)
    }

    /// The calls matching an operation and a bot (each `None`: any), oldest first.
    pub fn matching(&self, operation: Option<&str>, bot_id: Option<&str>) -> Vec<Call> {
        self.lock()
            .calls
            .iter()
            .filter(|c| operation.is_none_or(|op| c.operation == Some(op)))
            .filter(|c| bot_id.is_none_or(|bot| c.bot_id.as_deref() == Some(bot)))
            .cloned()
            .collect()
    }

    /// How many calls of `operation` committed their writes: the number of resources a
    /// create really made, whatever the client was answered.
    pub fn committed(&self, operation: &str) -> usize {
        self.lock()
            .calls
            .iter()
            .filter(|c| c.committed && c.operation == Some(operation))
            .count()
    }

    /// Number of calls kept.
    pub fn len(&self) -> usize {
        self.lock().calls.len()
    }

    /// Whether no call is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every call (numbering goes on).
    pub fn clear(&self) {
        self.lock().calls.clear();
    }
}
