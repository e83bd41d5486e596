//! The `botpress-emulator` binary: serves the Botpress Runtime, Files and Tables APIs locally.

use std::{path::PathBuf, time::Duration};

use botpress_emulator::{Config, spawn};
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
        .max_connections(args.max_connections);
    if let Some(db) = &args.db {
        config = config.db(db);
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
    stopped().await?;
    tracing::info!("shutting down");
    emulator.shutdown().await;
    Ok(())
}

/// Waits for Ctrl-C, or on Unix for SIGTERM too (`kill`, a container stopping), so that the
/// emulator shuts down cleanly and removes its temporary store.
async fn stopped() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}
