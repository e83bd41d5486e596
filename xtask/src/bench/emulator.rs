//! Section 3, emulator throughput: getConversation, createMessage, listMessages and
//! findTableRows (a filter over 100k rows) against the emulator (release build, its own
//! process, in-memory SQLite), side by side with Prism mocking the same operation from the same
//! document in the same run. The load is `botpress-bench load` (raw reqwest, one thread).

use std::{path::Path, process::Command, time::Duration};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use super::{
    Timing,
    child::{Env, Server, cargo, run_json},
    report::{Section, Table, Target, count, figure},
};

/// Rows of the table `findTableRows` filters.
const ROWS: u64 = 100_000;
/// The emulator's bearer token in this benchmark.
pub(super) const TOKEN: &str = "bench-token";
/// The concurrencies measured.
const CONCURRENCY: [usize; 2] = [1, 16];

/// One request measured against both servers.
pub(super) struct Op {
    pub(super) name: &'static str,
    pub(super) method: &'static str,
    pub(super) path: String,
    pub(super) body: Option<String>,
}

fn ops(ids: &Value) -> Result<Vec<Op>> {
    let s = |k: &str| {
        ids[k]
            .as_str()
            .map(str::to_string)
            .with_context(|| format!("no {k} in the emulator set-up: {ids}"))
    };
    let (user, conversation, table) = (s("user")?, s("conversation")?, s("table")?);
    Ok(vec![
        Op {
            name: "getConversation",
            method: "GET",
            path: format!("/v1/chat/conversations/{conversation}"),
            body: None,
        },
        Op {
            name: "listMessages",
            method: "GET",
            path: format!("/v1/chat/messages?conversationId={conversation}"),
            body: None,
        },
        Op {
            name: "findTableRows (filter over 100k rows)",
            method: "POST",
            path: format!("/v1/tables/{table}/rows/find"),
            // 100 of the 100k rows match, found through the value index.
            body: Some(json!({"filter": {"group": {"$eq": 42}, "n": {"$lt": 10000}}, "limit": 100}).to_string()),
        },
        // Filters the value index cannot serve: a scan of the 100k rows, each checked.
        Op {
            name: "findTableRows ($or over 100k rows)",
            method: "POST",
            path: format!("/v1/tables/{table}/rows/find"),
            body: Some(json!({"filter": {"$or": [{"group": 42}, {"n": {"$lt": 50}}]}, "limit": 100}).to_string()),
        },
        Op {
            name: "findTableRows ($regex over 100k rows)",
            method: "POST",
            path: format!("/v1/tables/{table}/rows/find"),
            body: Some(json!({"filter": {"label": {"$regex": "^row 99"}}, "limit": 100}).to_string()),
        },
        Op {
            name: "findTableRows (nested path over 100k rows)",
            method: "POST",
            path: format!("/v1/tables/{table}/rows/find"),
            body: Some(json!({"filter": {"attrs.k": 42}, "limit": 100}).to_string()),
        },
        // Last: it grows the conversation the others read.
        Op {
            name: "createMessage",
            method: "POST",
            path: "/v1/chat/messages".into(),
            body: Some(
                json!({"payload": {"text": "hello"}, "userId": user, "conversationId": conversation,
                       "type": "text", "tags": {}})
                .to_string(),
            ),
        },
    ])
}

/// Builds and starts the emulator (release).
pub(super) fn start_emulator(env: &Env) -> Result<Server> {
    start_emulator_with(env, &[])
}

/// Builds and starts the emulator (release) with extra command-line flags.
pub(super) fn start_emulator_with(env: &Env, flags: &[&str]) -> Result<Server> {
    start_emulator_under(env, &[], flags)
}

/// Like [`start_emulator_with`], the emulator run by the program `wrapper` names (with its
/// arguments) when not empty, e.g. `valgrind --tool=callgrind`.
pub(super) fn start_emulator_under(env: &Env, wrapper: &[&str], flags: &[&str]) -> Result<Server> {
    eprintln!("bench: building the emulator (cargo build --release -p botpress-emulator)");
    let status = Command::new(cargo())
        .args(["build", "--release", "--quiet", "-p", "botpress-emulator"])
        .current_dir(&env.root)
        .status()?;
    if !status.success() {
        bail!("building botpress-emulator failed ({status})");
    }
    let binary = env.target_dir.join("release").join("botpress-emulator");
    let mut cmd = match wrapper.split_first() {
        Some((program, args)) => {
            let mut cmd = Command::new(program);
            cmd.args(args).arg(&binary);
            cmd
        }
        None => Command::new(&binary),
    };
    cmd.args(["--port", "0", "--token", TOKEN])
        .args(flags)
        .env("RUST_LOG", "warn");
    // Under valgrind the start takes tens of seconds.
    let patience = if wrapper.is_empty() { 30 } else { 600 };
    Server::start(cmd, Duration::from_secs(patience), |line| {
        line.strip_prefix("BP_API_URL=").map(str::to_string)
    })
}

/// `botpress-bench setup-emulator`: a user, a conversation with messages and a table of `rows`
/// rows in `emulator`; the ids, as JSON.
pub(super) fn setup(env: &Env, emulator: &Server, rows: u64) -> Result<Value> {
    run_json(Command::new(&env.bench_bin).args([
        "setup-emulator",
        "--url",
        &emulator.url,
        "--token",
        TOKEN,
        "--rows",
        &rows.to_string(),
    ]))
}

/// Prism from `tools/node` (the conformance tests' pinned mock server), when installed.
fn start_prism(env: &Env) -> Result<Server, String> {
    let prism = env.root.join("tools/node/node_modules/.bin/prism");
    if !prism.is_file() {
        return Err(
            "Prism is not in tools/node (npm @stoplight/prism-cli is not in package.json/package-lock.json)"
                .into(),
        );
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free port for Prism: {e}"))?
        .port();
    let mut cmd = Command::new(prism);
    cmd.args(["mock", "-h", "127.0.0.1", "-p", &port.to_string()])
        .arg(Path::new("openapi/botpress.yaml"))
        .current_dir(&env.root);
    Server::start(cmd, Duration::from_secs(60), move |line| {
        line.contains("listening on")
            .then(|| format!("http://127.0.0.1:{port}"))
    })
    .map_err(|e| format!("Prism did not start: {e:#}"))
}

pub(super) fn load(
    env: &Env,
    timing: &Timing,
    url: &str,
    op: &Op,
    concurrency: usize,
) -> Result<f64> {
    let run = load_run(
        env,
        url,
        op,
        concurrency,
        timing.warmup_ms / 2,
        timing.duration_ms / 2,
    )?;
    Ok(run.requests / run.wall_s)
}

/// What one run of the load generator did.
pub(super) struct LoadRun {
    /// Requests answered in the measured part (after the warm-up).
    pub(super) requests: f64,
    /// Length of the measured part, in seconds.
    pub(super) wall_s: f64,
}

/// Sends `op` to `url` from `concurrency` connections: `warmup_ms` unmeasured, then
/// `duration_ms` measured.
pub(super) fn load_run(
    env: &Env,
    url: &str,
    op: &Op,
    concurrency: usize,
    warmup_ms: u64,
    duration_ms: u64,
) -> Result<LoadRun> {
    load_command(
        env,
        url,
        op,
        concurrency,
        &[
            "--warmup-ms",
            &warmup_ms.to_string(),
            "--duration-ms",
            &duration_ms.to_string(),
        ],
    )
}

/// Sends `op` to `url` exactly `requests` times, one after the other.
pub(super) fn load_count(env: &Env, url: &str, op: &Op, requests: u64) -> Result<LoadRun> {
    load_command(env, url, op, 1, &["--requests", &requests.to_string()])
}

fn load_command(
    env: &Env,
    url: &str,
    op: &Op,
    concurrency: usize,
    extra: &[&str],
) -> Result<LoadRun> {
    let mut cmd = Command::new(&env.bench_bin);
    cmd.args([
        "load",
        "--url",
        url,
        "--method",
        op.method,
        "--path",
        &op.path,
        "--token",
        TOKEN,
        "--concurrency",
        &concurrency.to_string(),
    ]);
    cmd.args(extra);
    if let Some(body) = &op.body {
        cmd.args(["--body", body]);
    }
    let run = run_json(&mut cmd)?;
    let f = |k: &str| run[k].as_f64().unwrap_or(f64::NAN);
    Ok(LoadRun {
        requests: f("requests"),
        wall_s: f("wall_s"),
    })
}

/// Runs the section.
pub(super) fn run(env: &Env, timing: &Timing) -> Result<Section> {
    let emulator = start_emulator(env)?;
    eprintln!("bench: emulator set-up: a conversation, messages, a table of {ROWS} rows");
    let setup_started = std::time::Instant::now();
    let ids = setup(env, &emulator, ROWS)?;
    let setup_s = setup_started.elapsed().as_secs_f64();
    let ops = ops(&ids)?;
    let prism = start_prism(env);

    let mut table = Table::new(
        "Emulator throughput (loopback HTTP), next to Prism mocking the same document",
        &[
            "operation",
            "concurrency",
            "emulator req/s",
            "Prism req/s",
            "emulator / Prism",
        ],
    );
    let mut data = Vec::new();
    let mut targets = Vec::new();
    for op in &ops {
        for concurrency in CONCURRENCY {
            eprintln!("bench: emulator, {}, concurrency {concurrency}", op.name);
            let ours = load(env, timing, &emulator.url, op, concurrency)?;
            let theirs = match &prism {
                Ok(p) => Some(load(env, timing, &p.url, op, concurrency)?),
                Err(_) => None,
            };
            let ratio = theirs.map(|t| ours / t);
            table.row(vec![
                op.name.into(),
                concurrency.to_string(),
                count(ours),
                theirs.map(count).unwrap_or_else(|| "—".into()),
                ratio
                    .map(|r| format!("{}×", figure(r)))
                    .unwrap_or_else(|| "—".into()),
            ]);
            data.push(json!({
                "operation": op.name, "concurrency": concurrency,
                "emulator_req_per_s": ours, "prism_req_per_s": theirs,
            }));
            if op.name == "getConversation" {
                let name = format!(
                    "emulator / Prism throughput, getConversation, concurrency {concurrency}"
                );
                targets.push(match (ratio, &prism) {
                    (Some(r), _) => Target::at_least(&name, r, 10.0, "×"),
                    (None, Err(why)) => Target::not_measured(&name, "≥ 10×", why),
                    (None, Ok(_)) => Target::not_measured(&name, "≥ 10×", "no Prism figure"),
                });
            }
            if op.name == "createMessage" && concurrency == 1 {
                targets.push(Target::at_least(
                    "emulator: createMessage/s, sequential over HTTP",
                    ours,
                    5000.0,
                    "/s",
                ));
            }
        }
    }
    let mut notes = vec![format!(
        "emulator: set-up (20 messages, {} rows in batches of 1,000) took {} s",
        count(ROWS as f64),
        figure(setup_s)
    )];
    if let Err(why) = &prism {
        notes.push(format!("emulator: Prism not measured: {why}"));
    }
    Ok(Section {
        name: "emulator",
        tables: vec![table],
        targets,
        data: json!({ "setup": ids, "setup_s": setup_s, "runs": data,
                      "prism": prism.as_ref().err() }),
        notes,
    })
}
