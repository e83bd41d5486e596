//! Scripted faults: make an operation fail on purpose, the way the service and the network
//! fail, to prove what a client does then.
//!
//! A [`Fault`] targets an operation by its `operationId` (or `*`, every operation), optionally
//! one bot, for a number of requests (or all of them), and does one thing:
//!
//! | kind | what the client sees |
//! |---|---|
//! | `error` | an error answer: a status and a Botpress error type, before anything is written |
//! | `latency` | the normal answer, `ms` milliseconds late |
//! | `reset` | the connection closed without an answer, before anything is written |
//! | `stall` | the status line and headers, then a body that never comes (the connection closes after `ms`) |
//! | `failAfterCommit` | the write **is performed and committed**, then a `502` (or `status`) answer, or with `reset: true` a dropped connection: the case where a client that retries a create makes a duplicate |
//!
//! Faults are tried in the order they were added; the first that matches a request applies
//! and uses up one of its `times`. From Rust:
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use std::time::Duration;
//! use botpress_emulator::{Config, Fault, spawn};
//! let emulator = spawn(Config::new()).await?;
//! emulator.faults().add(Fault::status("getConversation", 503).times(2));
//! emulator.faults().add(Fault::error("listMessages", "RateLimited").retry_after(1));
//! emulator.faults().add(Fault::latency("*", Duration::from_millis(200)).bot("bot_slow"));
//! emulator.faults().add(Fault::fail_after_commit("createMessage").times(1));
//! # Ok(()) }
//! ```
//!
//! or through the admin API, with the emulator's token:
//!
//! ```text
//! POST /_emulator/faults   {"operation":"createMessage","times":1,"kind":"failAfterCommit"}
//! POST /_emulator/faults   {"operation":"getUser","kind":"error","status":500,"type":"Internal"}
//! GET  /_emulator/faults   → {"faults":[...]} (with the times left)
//! DELETE /_emulator/faults
//! ```

use std::{
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// What a fault does (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub enum FaultKind {
    /// Answer with an error, before anything is written.
    Error {
        /// The HTTP status.
        status: u16,
        /// The Botpress error type of the body (`RateLimited`).
        #[serde(rename = "type")]
        error_type: String,
        /// The message of the body.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
        /// A `Retry-After` header, in seconds.
        #[serde(
            default,
            rename = "retryAfter",
            skip_serializing_if = "Option::is_none"
        )]
        retry_after: Option<u64>,
    },
    /// Answer normally, this many milliseconds late.
    Latency {
        /// The delay, in milliseconds.
        ms: u64,
    },
    /// Close the connection without an answer, before anything is written.
    Reset,
    /// Send the status line and headers, then stall the body for this many milliseconds and
    /// close the connection.
    Stall {
        /// How long the body stalls, in milliseconds.
        ms: u64,
    },
    /// Perform and commit the write, then answer `status` (default 502), or drop the
    /// connection with `reset`.
    #[serde(rename = "failAfterCommit")]
    FailAfterCommit {
        /// The status answered after the commit (default 502).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<u16>,
        /// Drop the connection instead of answering.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        reset: bool,
    },
}

impl FaultKind {
    /// The kind's name, as in the journal and the admin API (`failAfterCommit`).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Error { .. } => "error",
            Self::Latency { .. } => "latency",
            Self::Reset => "reset",
            Self::Stall { .. } => "stall",
            Self::FailAfterCommit { .. } => "failAfterCommit",
        }
    }
}

/// One scripted fault: which requests it applies to, how many times, and what it does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fault {
    /// The `operationId` it applies to, or `*` for every operation.
    pub operation: String,
    /// Only requests of this bot (`x-bot-id`); `None`: every bot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot: Option<String>,
    /// How many requests it applies to (the times left, in a listing); `None`: every one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
    /// What it does.
    #[serde(flatten)]
    pub kind: FaultKind,
}

impl Fault {
    fn new(operation: impl Into<String>, kind: FaultKind) -> Self {
        Self {
            operation: operation.into(),
            bot: None,
            times: None,
            kind,
        }
    }

    /// Answer `status` with the error type the service uses for it (`429` → `RateLimited`,
    /// `500` → `Unknown`, `502`/`503` → `Unknown`).
    pub fn status(operation: impl Into<String>, status: u16) -> Self {
        Self::new(
            operation,
            FaultKind::Error {
                status,
                error_type: ApiError::type_for_status(status).to_string(),
                message: None,
                retry_after: None,
            },
        )
    }

    /// Answer with the Botpress error type `error_type` (`RateLimited`) and its status.
    ///
    /// # Panics
    /// When `error_type` is not one of the service's 26 error types.
    pub fn error(operation: impl Into<String>, error_type: &str) -> Self {
        let e = ApiError::of_type(error_type, "")
            .unwrap_or_else(|| panic!("`{error_type}` is not a Botpress error type"));
        Self::new(
            operation,
            FaultKind::Error {
                status: e.status,
                error_type: e.error_type.to_string(),
                message: None,
                retry_after: None,
            },
        )
    }

    /// Answer normally, `delay` late.
    pub fn latency(operation: impl Into<String>, delay: Duration) -> Self {
        Self::new(
            operation,
            FaultKind::Latency {
                ms: delay.as_millis() as u64,
            },
        )
    }

    /// Close the connection without an answer.
    pub fn reset(operation: impl Into<String>) -> Self {
        Self::new(operation, FaultKind::Reset)
    }

    /// Send the head of the answer, then stall its body for `duration` and close.
    pub fn stall(operation: impl Into<String>, duration: Duration) -> Self {
        Self::new(
            operation,
            FaultKind::Stall {
                ms: duration.as_millis() as u64,
            },
        )
    }

    /// Commit the write, then answer `502 Bad Gateway`.
    pub fn fail_after_commit(operation: impl Into<String>) -> Self {
        Self::new(
            operation,
            FaultKind::FailAfterCommit {
                status: None,
                reset: false,
            },
        )
    }

    /// Commit the write, then drop the connection without an answer.
    pub fn reset_after_commit(operation: impl Into<String>) -> Self {
        Self::new(
            operation,
            FaultKind::FailAfterCommit {
                status: None,
                reset: true,
            },
        )
    }

    /// Apply to this many requests only.
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }

    /// Apply to this bot's requests only.
    pub fn bot(mut self, bot_id: impl Into<String>) -> Self {
        self.bot = Some(bot_id.into());
        self
    }

    /// The message of an `error` fault's body (ignored by other kinds).
    pub fn message(mut self, text: impl Into<String>) -> Self {
        if let FaultKind::Error { message, .. } = &mut self.kind {
            *message = Some(text.into());
        }
        self
    }

    /// A `Retry-After` header on an `error` fault's answer, in seconds.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        if let FaultKind::Error { retry_after, .. } = &mut self.kind {
            *retry_after = Some(seconds);
        }
        self
    }

    /// Checks what the admin API or a caller gave: a known error type whose status is an
    /// error status, a known operation, sane durations.
    pub(crate) fn validate(&self, known_operation: impl Fn(&str) -> bool) -> Result<(), String> {
        if self.operation != "*" && !known_operation(&self.operation) {
            return Err(format!(
                "`{}` is not an operationId of the document (or `*`)",
                self.operation
            ));
        }
        if self.times == Some(0) {
            return Err("`times` must be at least 1 (leave it out for every request)".into());
        }
        const HOUR_MS: u64 = 3_600_000;
        match &self.kind {
            FaultKind::Error {
                status, error_type, ..
            } => {
                if !(400..=599).contains(status) {
                    return Err(format!(
                        "`status` {status} is not an error status (400..599)"
                    ));
                }
                if ApiError::of_type(error_type, "").is_none() {
                    return Err(format!(
                        "`type` `{error_type}` is not a Botpress error type"
                    ));
                }
            }
            FaultKind::Latency { ms } | FaultKind::Stall { ms } if *ms > HOUR_MS => {
                return Err(format!("`ms` {ms} is over an hour"));
            }
            FaultKind::FailAfterCommit {
                status: Some(status),
                ..
            } if !(400..=599).contains(status) => {
                return Err(format!(
                    "`status` {status} is not an error status (400..599)"
                ));
            }
            _ => {}
        }
        Ok(())
    }

    fn matches(&self, operation: &str, bot_id: Option<&str>) -> bool {
        (self.operation == "*" || self.operation == operation)
            && self.bot.as_deref().is_none_or(|bot| Some(bot) == bot_id)
    }
}

/// The faults of an emulator: a handle shared with the server (clones see the same list).
#[derive(Clone, Default)]
pub struct Faults {
    armed: Arc<Mutex<Vec<Fault>>>,
}

impl std::fmt::Debug for Faults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.list()).finish()
    }
}

impl Faults {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Fault>> {
        self.armed.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Arms a fault, after the ones already armed.
    ///
    /// # Panics
    /// When the fault names an operation the document does not have, or is otherwise
    /// invalid (a `status` outside 400..599, `times(0)`): a test's typo fails loudly instead
    /// of never firing.
    pub fn add(&self, fault: Fault) {
        if let Err(e) = fault.validate(crate::spec::Spec::has_operation) {
            panic!("invalid fault: {e}");
        }
        self.lock().push(fault);
    }

    /// Arms a fault that [`Fault::validate`] accepted.
    pub(crate) fn push(&self, fault: Fault) {
        self.lock().push(fault);
    }

    /// The armed faults, with the times left.
    pub fn list(&self) -> Vec<Fault> {
        self.lock().clone()
    }

    /// Disarms every fault.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// The fault that applies to a request of `operation` by `bot_id`, if any, using up one of
    /// its times (a fault with none left is removed).
    pub(crate) fn take(&self, operation: &str, bot_id: Option<&str>) -> Option<FaultKind> {
        let mut armed = self.lock();
        if armed.is_empty() {
            return None;
        }
        let i = armed.iter().position(|f| f.matches(operation, bot_id))?;
        let kind = armed[i].kind.clone();
        match &mut armed[i].times {
            Some(1) => {
                armed.remove(i);
            }
            Some(n) => *n -= 1,
            None => {}
        }
        Some(kind)
    }
}
