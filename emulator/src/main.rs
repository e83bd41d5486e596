//! The `botpress-emulator` binary: serves the Botpress Runtime, Files and Tables APIs locally.

use std::{path::PathBuf, time::Duration};

use botpress_emulator::{Config, PlatformLimits, RateLimit, Snapshot, spawn};
use clap::Parser;

/// A local, stateful Botpress-compatible server (Runtime, Files and Tables APIs).
///
/// Point a client at `http://127.0.0.1:<port>` with the printed token and any `x-bot-id`.
#[derive(Parser, Debug)]
#[command(name = "botpress-emulator", version)]
struct Args {
    /// Port to listen on (127.0.0.1).
    #[arg(long, default_value_t = 8787)]
    port: u16,
    /// SQLite file to persist to (data survives a restart); in memory when absent.
    #[arg(long)]
    db: Option<PathBuf>,
    /// A snapshot file to start from (`GET /_emulator/state`, `--export-on-exit`): restored
    /// before the first request, replacing what `--db` held (all of it, or the snapshot's bot's).
    #[arg(long, value_name = "FILE")]
    seed: Option<PathBuf>,
    /// Write a snapshot of everything stored to this file when stopped (Ctrl-C, SIGTERM), e.g.
    /// to replay a failing run with `--seed`.
    #[arg(long, value_name = "FILE")]
    export_on_exit: Option<PathBuf>,
    /// Bearer token clients must send; a development token is generated and printed when absent.
    #[arg(long, env = "BP_EMULATOR_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// URL `callAction` forwards actions to: POST `{type, input}`, answer `{output}`.
    #[arg(long)]
    action_url: Option<String>,
    /// The address clients reach the emulator at, which file URLs are built from (e.g. behind a
    /// proxy); the bound address `http://127.0.0.1:<port>` when absent.
    #[arg(long)]
    public_url: Option<String>,
    /// Largest accepted JSON body, in bytes.
    #[arg(long, default_value_t = botpress_emulator::config::DEFAULT_MAX_BODY_BYTES)]
    max_body_bytes: usize,
    /// Largest accepted upload to a file's `uploadUrl`, in bytes.
    #[arg(long, default_value_t = botpress_emulator::config::DEFAULT_MAX_UPLOAD_BYTES)]
    max_upload_bytes: usize,
    /// Reader connections: reads run on them in parallel, writes on one writer.
    #[arg(long, default_value_t = botpress_emulator::config::DEFAULT_READERS)]
    readers: usize,
    /// The longest one SQL statement may run, in milliseconds; past it the request is stopped
    /// with `504 OperationTimeout`.
    #[arg(long, default_value_t = botpress_emulator::config::DEFAULT_QUERY_BUDGET.as_millis() as u64)]
    query_budget_ms: u64,
    /// Time a connection has to send a request head, in milliseconds; also how long a
    /// keep-alive connection may stay idle.
    #[arg(long, default_value_t = botpress_emulator::config::DEFAULT_HEADER_TIMEOUT.as_millis() as u64)]
    header_timeout_ms: u64,
    /// Time a request has to send its body, in milliseconds (`408` past it).
    #[arg(long, default_value_t = botpress_emulator::config::DEFAULT_BODY_TIMEOUT.as_millis() as u64)]
    body_timeout_ms: u64,
    /// Connections open at once; more are answered `503` and closed.
    #[arg(long, default_value_t = botpress_emulator::config::DEFAULT_MAX_CONNECTIONS)]
    max_connections: usize,
    /// Limit every bot like the service does: requests per window, e.g. `100/s`, `6000/min`
    /// (`429 RateLimited` past it, `RateLimit-*` headers on every response); unlimited when absent.
    #[arg(long)]
    rate_limit: Option<RateLimit>,
    /// Requests the journal keeps (`GET /_emulator/journal`); 0 turns it off.
    #[arg(long, default_value_t = botpress_emulator::platform::journal::DEFAULT_JOURNAL_CAPACITY)]
    journal_capacity: usize,
    /// Keep request and response bodies in the journal too.
    #[arg(long)]
    journal_bodies: bool,
    /// The clock time-based behaviour reads (expiry, timeouts, scheduled events, timestamps):
    /// `system`, `manual` (standing still from now until moved with `POST /_emulator/clock`),
    /// or a date such as `2026-01-01T00:00:00Z` (manual, from that time).
    #[arg(long, default_value = "system", value_parser = parse_clock)]
    clock: ClockArg,
    /// `service`: enforce the service's platform limits (message and state payloads, body sizes
    /// per API, Tables columns, row size, rows per call, find limit); `none`: none of them. The flags below override one limit each.
    #[arg(long, default_value = "service", value_parser = ["service", "none"])]
    platform_limits: String,
    /// Largest message `payload`, as JSON bytes (`413 LimitExceeded` past it); 0: no limit.
    #[arg(long)]
    message_payload_bytes: Option<usize>,
    /// Largest state `payload`, as JSON bytes (`413 LimitExceeded` past it); 0: no limit.
    #[arg(long)]
    state_payload_bytes: Option<usize>,
    /// Largest request body of the Runtime and Files APIs (`413 PayloadTooLarge`); 0: no limit.
    #[arg(long)]
    runtime_body_bytes: Option<usize>,
    /// Largest request body of the Tables API (`413 PayloadTooLarge`); 0: no limit.
    #[arg(long)]
    tables_body_bytes: Option<usize>,
    /// Most columns of a table (`400 InvalidPayload` past it); 0: no limit.
    #[arg(long)]
    table_columns: Option<usize>,
    /// Largest table row, as JSON bytes per unit of the table's `factor` (`413
    /// LimitExceeded` past it); 0: no limit.
    #[arg(long)]
    table_row_bytes: Option<usize>,
    /// Most rows per Tables create, update or upsert call, ids per delete call (`400
    /// InvalidPayload` past it); 0: no limit.
    #[arg(long)]
    table_rows_per_call: Option<usize>,
    /// Largest `limit` of findTableRows (`400 InvalidPayload` past it); 0: no limit.
    #[arg(long)]
    table_find_limit: Option<usize>,
}

/// The platform limits the flags ask for.
fn platform_limits(args: &Args) -> PlatformLimits {
    let mut limits = if args.platform_limits == "none" {
        PlatformLimits::none()
    } else {
        PlatformLimits::service()
    };
    let given = |flag: Option<usize>| flag.map(|n| (n > 0).then_some(n));
    if let Some(n) = given(args.message_payload_bytes) {
        limits = limits.message_payload(n);
    }
    if let Some(n) = given(args.state_payload_bytes) {
        limits = limits.state_payload(n);
    }
    if let Some(n) = given(args.runtime_body_bytes) {
        limits = limits.runtime_body(n);
    }
    if let Some(n) = given(args.tables_body_bytes) {
        limits = limits.tables_body(n);
    }
    if let Some(n) = given(args.table_columns) {
        limits = limits.table_columns(n);
    }
    if let Some(n) = given(args.table_row_bytes) {
        limits = limits.table_row_bytes(n);
    }
    if let Some(n) = given(args.table_rows_per_call) {
        limits = limits.table_rows_per_call(n);
    }
    if let Some(n) = given(args.table_find_limit) {
        limits = limits.table_find_limit(n);
    }
    limits
}

/// The `--clock` choice.
#[derive(Debug, Clone, Copy)]
enum ClockArg {
    System,
    Manual(chrono::DateTime<chrono::Utc>),
}

fn parse_clock(value: &str) -> Result<ClockArg, String> {
    match value {
        "system" => Ok(ClockArg::System),
        "manual" => Ok(ClockArg::Manual(chrono::Utc::now())),
        date => chrono::DateTime::parse_from_rfc3339(date)
            .map(|t| ClockArg::Manual(t.with_timezone(&chrono::Utc)))
            .map_err(|_| {
                format!(
                    "`{date}` is not `system`, `manual` or an RFC 3339 date (2026-01-01T00:00:00Z)"
                )
            }),
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("botpress-emulator: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "botpress_emulator=info".into()),
        )
        .init();
    let mut config = Config::new()
        .port(args.port)
        .max_body_bytes(args.max_body_bytes)
        .max_upload_bytes(args.max_upload_bytes)
        .readers(args.readers)
        .query_budget(Duration::from_millis(args.query_budget_ms))
        .header_timeout(Duration::from_millis(args.header_timeout_ms))
        .body_timeout(Duration::from_millis(args.body_timeout_ms))
        .max_connections(args.max_connections)
        .journal_capacity(args.journal_capacity)
        .journal_bodies(args.journal_bodies)
        .platform_limits(platform_limits(&args));
    if let Some(rate) = args.rate_limit {
        config = config.rate_limit(rate);
    }
    if let ClockArg::Manual(start) = args.clock {
        config = config.manual_clock(start);
    }
    if let Some(db) = &args.db {
        config = config.db(db);
    }
    if let Some(seed) = &args.seed {
        config = config.seed(Snapshot::read(seed)?);
    }
    let generated = args.token.is_none();
    if let Some(token) = args.token {
        config = config.token(token);
    }
    if let Some(url) = args.public_url {
        config = config.public_url(url);
    }
    if let Some(url) = args.action_url {
        config = config.action_url(url);
    }
    let stop = Stop::install()?;
    let emulator = spawn(config).await?;
    let storage = args
        .db
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "memory".into());
    tracing::info!(url = %emulator.base_url(), storage = %storage, "botpress-emulator listening");
    if generated {
        // Printed on purpose: it is the development token the user must configure in clients.
        println!(
            "BP_API_URL={}\nBP_TOKEN={}",
            emulator.base_url(),
            emulator.token()
        );
    } else {
        println!("BP_API_URL={}", emulator.base_url());
    }
    stop.wait().await?;
    tracing::info!("shutting down");
    if let Some(path) = &args.export_on_exit {
        emulator.snapshot().await?.write(path)?;
        tracing::info!(file = %path.display(), "snapshot written");
    }
    emulator.shutdown().await;
    Ok(())
}

/// Ctrl-C, or on Unix SIGTERM too (`kill`, a container stopping), so that the emulator shuts
/// down cleanly and removes its temporary store. Installed before the URL is printed: a signal
/// sent as soon as it is seen is a clean stop, not the default kill.
struct Stop {
    #[cfg(unix)]
    signals: (tokio::signal::unix::Signal, tokio::signal::unix::Signal),
}

impl Stop {
    fn install() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                signals: (
                    signal(SignalKind::interrupt())?,
                    signal(SignalKind::terminate())?,
                ),
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Self {})
        }
    }

    #[cfg_attr(not(unix), allow(unused_mut))]
    async fn wait(mut self) -> std::io::Result<()> {
        #[cfg(unix)]
        {
            let (interrupt, terminate) = &mut self.signals;
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
            Ok(())
        }
        #[cfg(not(unix))]
        {
            tokio::signal::ctrl_c().await
        }
    }
}
