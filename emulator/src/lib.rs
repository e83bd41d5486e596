//! `botpress-emulator`: a stateful, local, Botpress-compatible server for the Runtime
//! (`/v1/chat`), Files (`/v1/files`) and Tables (`/v1/tables`) APIs.
//!
//! It serves every operation of `openapi/botpress.yaml` (the document the SDK is generated
//! from), validates requests against it, stores data in SQLite (in memory, or a file), and
//! answers errors as the service does. Embed it in tests:
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use botpress_emulator::{Config, spawn};
//! let emulator = spawn(Config::new().token("dev").action("github:createIssue", |input| {
//!     Ok(serde_json::json!({ "issue": input["title"] }))
//! }))
//! .await?;
//! println!("{} (token {})", emulator.base_url(), emulator.token());
//! emulator.shutdown().await;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

pub mod config;
pub mod platform;

// The emulator's internals are public for the crate's own integration tests (`tests/it`), which
// drive the store, the filter engine and the validator directly. They are not part of the API:
// hidden from the docs and from `xtask/public-api/botpress-emulator.txt`, they change in any
// release.
#[doc(hidden)]
pub mod actions;
#[doc(hidden)]
pub mod api;
#[doc(hidden)]
pub mod auth;
#[doc(hidden)]
pub mod content;
#[doc(hidden)]
pub mod db;
#[doc(hidden)]
pub mod error;
#[doc(hidden)]
pub mod ids;
#[doc(hidden)]
pub mod listener;
#[doc(hidden)]
pub mod pages;
#[doc(hidden)]
pub mod query;
#[doc(hidden)]
pub mod server;
#[doc(hidden)]
pub mod spec;
#[doc(hidden)]
pub mod tables;
#[doc(hidden)]
pub mod validate;

use std::{net::SocketAddr, sync::Arc};

pub use config::Config;
pub use platform::{
    Call, Clock, Fault, FaultKind, Faults, Journal, PlatformLimits, RateLimit, Snapshot,
    SnapshotError,
};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

/// A running emulator; stops when [`Emulator::shutdown`] is called or when dropped.
pub struct Emulator {
    addr: SocketAddr,
    token: String,
    state: Arc<server::AppState>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("addr", &self.addr)
            .field("token", &"<redacted>")
            .finish()
    }
}

impl Emulator {
    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The bearer token it requires.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The scripted faults: add one to make an operation fail on purpose (see
    /// [`platform::faults`]).
    pub fn faults(&self) -> &Faults {
        &self.state.platform.faults
    }

    /// The clock every time-based behaviour reads (see [`platform::clock`]).
    pub fn clock(&self) -> &Clock {
        &self.state.platform.clock
    }

    /// The journal of the requests served (see [`platform::journal`]).
    pub fn journal(&self) -> &Journal {
        &self.state.platform.journal
    }

    /// A snapshot of everything stored, every bot's data (see [`platform::snapshot`]); taken in
    /// one read transaction, while the emulator goes on serving.
    pub async fn snapshot(&self) -> Result<Snapshot, SnapshotError> {
        self.storage(|state| {
            state
                .store
                .read(|conn| platform::snapshot::take(conn, None))
        })
        .await
    }

    /// A snapshot of one bot's data.
    pub async fn snapshot_bot(&self, bot_id: &str) -> Result<Snapshot, SnapshotError> {
        let bot = bot_id.to_string();
        self.storage(move |state| {
            state
                .store
                .read(|conn| platform::snapshot::take(conn, Some(&bot)))
        })
        .await
    }

    /// Replaces the stored state by a snapshot: all of it for a whole-state snapshot, the
    /// snapshot's bot's data for a bot's snapshot. Refused with nothing changed when the
    /// snapshot does not fit.
    pub async fn restore(&self, snapshot: &Snapshot) -> Result<(), SnapshotError> {
        let snapshot = snapshot.clone();
        self.storage(move |state| {
            state
                .store
                .with_tx(|tx| platform::snapshot::restore(tx, &snapshot))
        })
        .await
    }

    /// Deletes everything stored, as if the emulator had just started.
    pub async fn reset(&self) -> Result<(), SnapshotError> {
        self.storage(|state| {
            state
                .store
                .with_tx(|tx| platform::snapshot::reset(tx, None))
        })
        .await
    }

    /// Deletes one bot's data, leaving every other bot's alone.
    pub async fn reset_bot(&self, bot_id: &str) -> Result<(), SnapshotError> {
        let bot = bot_id.to_string();
        self.storage(move |state| {
            state
                .store
                .with_tx(|tx| platform::snapshot::reset(tx, Some(&bot)))
        })
        .await
    }

    /// Runs storage work off the async threads.
    async fn storage<T: Send + 'static>(
        &self,
        work: impl FnOnce(&server::AppState) -> Result<T, error::ApiError> + Send + 'static,
    ) -> Result<T, SnapshotError> {
        let state = self.state.clone();
        tokio::task::spawn_blocking(move || work(&state))
            .await
            .map_err(|e| SnapshotError::new(format!("the storage work failed: {e}")))?
            .map_err(SnapshotError::from)
    }

    /// Stops serving and waits until the server (and its storage) is closed.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A token for development when none is configured: `dev_` and 32 hex characters.
pub fn dev_token() -> String {
    format!("dev_{}", ids::random_hex(16))
}

/// Builds the application state (opens the storage) for an emulator bound to `addr`.
fn state(config: Config, addr: SocketAddr) -> std::io::Result<(Arc<server::AppState>, String)> {
    let public_url = config
        .resolved_public_url(addr)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let store = db::Store::open_with(
        config.db.as_deref(),
        db::StoreOptions {
            readers: config.readers,
            query_budget: config.query_budget,
        },
    )?;
    if let Some(seed) = &config.seed {
        store
            .with_tx(|tx| platform::snapshot::restore(tx, seed))
            .map_err(|e| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("the seed snapshot cannot be restored: {}", e.message),
                )
            })?;
    }
    // Parse the document (and compile its validators) before serving the first request.
    spec::Spec::get();
    let token = config.token.clone().unwrap_or_else(dev_token);
    let platform = platform::Platform::new(&config);
    let state = server::AppState {
        platform,
        store,
        config,
        token: token.clone(),
        http: botpress::tls::reqwest_builder()
            .map_err(|e| std::io::Error::other(e.to_string()))?
            .build()
            .map_err(std::io::Error::other)?,
        public_url,
    };
    Ok((Arc::new(state), token))
}

/// Starts an emulator in-process on `config.addr` (a free port by default) and returns once
/// it accepts connections.
pub async fn spawn(config: Config) -> std::io::Result<Emulator> {
    let listener = TcpListener::bind(config.addr).await.map_err(|e| {
        std::io::Error::new(e.kind(), format!("cannot listen on {}: {e}", config.addr))
    })?;
    let addr = listener.local_addr()?;
    let limits = config.limits;
    let (state, token) = state(config, addr)?;
    let (stop, stopped) = oneshot::channel::<()>();
    let app = server::router(state.clone());
    let task = tokio::spawn(listener::serve(listener, app, limits, stopped));
    Ok(Emulator {
        addr,
        token,
        state,
        stop: Some(stop),
        task: Some(task),
    })
}
