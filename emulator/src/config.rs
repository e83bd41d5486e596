//! Configuration of an emulator instance: listening address, storage, token, limits and the
//! actions `callAction` can reach.

use std::{collections::HashMap, fmt, path::PathBuf, sync::Arc, time::Duration};

use serde_json::Value;

/// An action handler registered in code: input JSON to output JSON, or an error message.
pub type ActionFn = Arc<dyn Fn(Value) -> Result<Value, String> + Send + Sync>;

/// Default number of SQLite reader connections ([`Config::readers`]).
pub const DEFAULT_READERS: usize = 4;

/// Default budget of one SQL statement ([`Config::query_budget`]).
pub const DEFAULT_QUERY_BUDGET: Duration = Duration::from_secs(10);

/// Default time a client has to send a request's headers ([`Config::header_timeout`]).
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// Default time a client has to send a request's body ([`Config::body_timeout`]).
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(60);

/// Default cap on open connections ([`Config::max_connections`]).
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;

/// Default limit on a JSON request body (bytes); larger bodies get `413 PayloadTooLarge`.
pub const DEFAULT_MAX_BODY_BYTES: usize = 5 * 1024 * 1024;

/// Default limit on an upload to a file's `uploadUrl` (bytes).
pub const DEFAULT_MAX_UPLOAD_BYTES: usize = 100 * 1024 * 1024;

/// How to run an emulator: build with [`Config::new`] and the chained setters.
#[derive(Clone)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port.
    pub(crate) addr: std::net::SocketAddr,
    /// SQLite file; `None` keeps everything in memory.
    pub(crate) db: Option<PathBuf>,
    /// The bearer token every API request must carry; `None` generates a dev token.
    pub(crate) token: Option<String>,
    /// Limit on JSON request bodies, in bytes.
    pub(crate) max_body_bytes: usize,
    /// Limit on uploads, in bytes.
    pub(crate) max_upload_bytes: usize,
    /// Where to forward `callAction` for actions not registered in code: the emulator POSTs
    /// `{type, input}` there and expects `{output}`.
    pub(crate) action_url: Option<String>,
    /// Actions registered in code, by type (e.g. `github:createIssue`).
    pub(crate) actions: HashMap<String, ActionFn>,
    /// Check every success response against the document's response schema and answer
    /// `500 Internal` when it does not fit (on for tests; costs time).
    pub(crate) validate_responses: bool,
    /// The address clients reach the emulator at, which file URLs (`url`, `uploadUrl`) are
    /// built from, e.g. `https://bp.example.test` behind a proxy; `None`: the bound address
    /// (`http://127.0.0.1:<port>`). Never taken from a request's `Host` header.
    pub(crate) public_url: Option<String>,
    /// Reader connections: reads run on them in parallel, writes on one writer.
    pub(crate) readers: usize,
    /// The longest one SQL statement may run before it is stopped with `504 OperationTimeout`
    /// (the SQLite progress handler interrupts it).
    pub(crate) query_budget: std::time::Duration,
    /// Connection timeouts and the cap on open connections.
    pub(crate) limits: crate::listener::Limits,
    /// How many calls the journal keeps (0: none).
    pub(crate) journal_capacity: usize,
    /// Whether the journal keeps request and response bodies.
    pub(crate) journal_bodies: bool,
    /// The per-bot rate limit; `None`: unlimited.
    pub(crate) rate_limit: Option<crate::platform::RateLimit>,
    /// A manual clock's start; `None`: the system clock.
    pub(crate) manual_clock: Option<chrono::DateTime<chrono::Utc>>,
    /// The service's platform limits enforced.
    pub(crate) platform_limits: crate::platform::PlatformLimits,
    /// A snapshot restored before the first request.
    pub(crate) seed: Option<Arc<crate::platform::Snapshot>>,
}

impl Default for Config {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("db", &self.db)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_upload_bytes", &self.max_upload_bytes)
            .field("action_url", &self.action_url)
            .field("actions", &self.actions.keys().collect::<Vec<_>>())
            .field("validate_responses", &self.validate_responses)
            .field("public_url", &self.public_url)
            .field("readers", &self.readers)
            .field("query_budget", &self.query_budget)
            .field("limits", &self.limits)
            .field("journal_capacity", &self.journal_capacity)
            .field("journal_bodies", &self.journal_bodies)
            .field("rate_limit", &self.rate_limit)
            .field("manual_clock", &self.manual_clock)
            .field("platform_limits", &self.platform_limits)
            .field("seed", &self.seed)
            .finish()
    }
}

impl Config {
    /// In memory, on `127.0.0.1` with a free port, a generated token, default limits.
    pub fn new() -> Self {
        Self {
            addr: ([127, 0, 0, 1], 0).into(),
            db: None,
            token: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            action_url: None,
            actions: HashMap::new(),
            validate_responses: false,
            public_url: None,
            readers: crate::db::DEFAULT_READERS,
            query_budget: crate::db::DEFAULT_QUERY_BUDGET,
            limits: crate::listener::Limits::default(),
            journal_capacity: crate::platform::journal::DEFAULT_JOURNAL_CAPACITY,
            journal_bodies: false,
            rate_limit: None,
            manual_clock: None,
            platform_limits: crate::platform::PlatformLimits::default(),
            seed: None,
        }
    }

    /// Listen on this port of `127.0.0.1` (0: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.addr.set_port(port);
        self
    }

    /// Persist to this SQLite file (data survives a restart).
    pub fn db(mut self, path: impl Into<PathBuf>) -> Self {
        self.db = Some(path.into());
        self
    }

    /// Require this bearer token.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Limit JSON request bodies to `bytes`.
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Limit uploads to a file's `uploadUrl` to `bytes`.
    pub fn max_upload_bytes(mut self, bytes: usize) -> Self {
        self.max_upload_bytes = bytes;
        self
    }

    /// Forward unknown actions to this URL.
    pub fn action_url(mut self, url: impl Into<String>) -> Self {
        self.action_url = Some(url.into());
        self
    }

    /// Register an action handler, e.g.
    /// `config.action("github:createIssue", |input| Ok(json!({"id": 1})))`.
    pub fn action(
        mut self,
        action_type: impl Into<String>,
        handler: impl Fn(Value) -> Result<Value, String> + Send + Sync + 'static,
    ) -> Self {
        self.actions.insert(action_type.into(), Arc::new(handler));
        self
    }

    /// Run reads on this many connections (at least 1).
    pub fn readers(mut self, readers: usize) -> Self {
        self.readers = readers.max(1);
        self
    }

    /// Give a connection this long to send a request head, and close keep-alive connections
    /// idle for this long.
    pub fn header_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.limits.header_timeout = timeout;
        self
    }

    /// Give a request this long to send its body (`408` past it).
    pub fn body_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.limits.body_timeout = timeout;
        self
    }

    /// Keep at most this many connections open; more are answered `503` and closed.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.limits.max_connections = max.max(1);
        self
    }

    /// Stop a statement after this long (see the field).
    pub fn query_budget(mut self, budget: std::time::Duration) -> Self {
        self.query_budget = budget;
        self
    }

    /// Build file URLs from this address instead of the bound one (see the field).
    pub fn public_url(mut self, url: impl Into<String>) -> Self {
        self.public_url = Some(url.into());
        self
    }

    /// The public URL file links are built from: [`Config::public_url`] checked (an `http` or
    /// `https` URL without query or fragment) and without its trailing `/`, else `http://{addr}`.
    pub fn resolved_public_url(&self, addr: std::net::SocketAddr) -> Result<String, String> {
        let Some(raw) = &self.public_url else {
            return Ok(format!("http://{addr}"));
        };
        let url = reqwest::Url::parse(raw)
            .map_err(|e| format!("--public-url `{raw}` is not a URL ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(format!(
                "--public-url `{raw}` must be an http:// or https:// URL with a host"
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(format!(
                "--public-url `{raw}` may not have a query or a fragment"
            ));
        }
        Ok(url.as_str().trim_end_matches('/').to_string())
    }

    /// Keep the last `calls` requests in the journal (0 turns it off); see
    /// [`crate::platform::journal`].
    pub fn journal_capacity(mut self, calls: usize) -> Self {
        self.journal_capacity = calls;
        self
    }

    /// Keep the request and response bodies in the journal too.
    pub fn journal_bodies(mut self, on: bool) -> Self {
        self.journal_bodies = on;
        self
    }

    /// Run on a manual clock standing at `start` until advanced or set (see
    /// [`crate::platform::clock`]).
    pub fn manual_clock(mut self, start: chrono::DateTime<chrono::Utc>) -> Self {
        self.manual_clock = Some(start);
        self
    }

    /// Enforce these platform limits instead of the service's (see
    /// [`crate::platform::limits`]); `PlatformLimits::none()` turns them off.
    pub fn platform_limits(mut self, limits: crate::platform::PlatformLimits) -> Self {
        self.platform_limits = limits;
        self
    }

    /// Start from this snapshot's data (see [`crate::platform::snapshot`]): restored into the
    /// store before the first request, replacing what a `--db` file held (all of it, or the
    /// snapshot's bot's). A snapshot that does not fit makes [`crate::spawn`] fail.
    pub fn seed(mut self, snapshot: crate::platform::Snapshot) -> Self {
        self.seed = Some(Arc::new(snapshot));
        self
    }

    /// Limit every bot to `rate` like the service does (see [`crate::platform::rate`]).
    pub fn rate_limit(mut self, rate: crate::platform::RateLimit) -> Self {
        self.rate_limit = Some(rate);
        self
    }

    /// Validate every success response against the document (see the field).
    pub fn validate_responses(mut self, on: bool) -> Self {
        self.validate_responses = on;
        self
    }
}
