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
pub use platform::{Call, Clock, Fault, FaultKind, Faults, Journal, PlatformLimits, RateLimit};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

/// A running emulator; stops when [`Emulator::shutdown`] is called or when dropped.
pub struct Emulator {
    addr: SocketAddr,
    token: String,
    platform: platform::Platform,
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
        &self.platform.faults
    }

    /// The clock every time-based behaviour reads (see [`platform::clock`]).
    pub fn clock(&self) -> &Clock {
        &self.platform.clock
    }

    /// The journal of the requests served (see [`platform::journal`]).
    pub fn journal(&self) -> &Journal {
        &self.platform.journal
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
    let platform = state.platform.clone();
    let (stop, stopped) = oneshot::channel::<()>();
    let app = server::router(state);
    let task = tokio::spawn(listener::serve(listener, app, limits, stopped));
    Ok(Emulator {
        addr,
        token,
        platform,
        stop: Some(stop),
        task: Some(task),
    })
}
