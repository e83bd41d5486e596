//! The emulator under load, through the SDK: 64 concurrent clients mix writes (conversations,
//! table rows) and reads (tag-filtered lists, row finds) against one `--db` file for a bounded
//! time. Afterwards every acknowledged write is present exactly once and the counts match.
//! Then the same with the emulator binary killed with SIGKILL in the middle of the load and
//! restarted on the same file: acknowledged writes survive.
//!
//! Duration: `BP_SOAK_SECS` seconds of load per run (default 3). Every loop is also bounded in
//! operations, and all traffic goes to 127.0.0.1.

use std::{
    collections::BTreeMap,
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use botpress::{Client, types};
use botpress_emulator::{Config, spawn};
use serde_json::json;

const TOKEN: &str = "load-token-0123456789";
const BOT: &str = "bot_01HZX00000000000000000LOAD";
const TABLE: &str = "loadRowsTable";
const CLIENTS: usize = 64;
/// Upper bound of operations per client, whatever the duration.
const MAX_OPS_PER_CLIENT: usize = 5_000;

fn soak() -> Duration {
    let secs = std::env::var("BP_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(3);
    Duration::from_secs(secs.clamp(1, 3600))
}

fn client(base_url: &str) -> Client {
    Client::builder()
        .base_url(base_url)
        .token(TOKEN)
        .bot_id(BOT)
        .build()
        .expect("client")
}

/// A write the server acknowledged: who wrote it (client, sequence) and the id it returned.
#[derive(Debug, Default)]
struct Acks {
    conversations: BTreeMap<(usize, usize), String>,
    rows: BTreeMap<(usize, usize), i64>,
    /// Writes sent whose outcome is unknown (no answer, or a failure).
    unacknowledged: usize,
    reads: usize,
}

/// One client's loop: alternately creates a conversation, inserts a row, lists its own
/// conversations and finds its own rows, until `stop` or the time is up.
async fn worker(base_url: String, id: usize, until: Instant, progress: Arc<Progress>) -> Acks {
    let stop = &progress.stop;
    let client = client(&base_url);
    let mut acks = Acks::default();
    for seq in 0..MAX_OPS_PER_CLIENT {
        // Every client makes at least one call of each kind, however slow the machine.
        if stop.load(Ordering::Relaxed) || (seq >= 4 && Instant::now() >= until) {
            break;
        }
        let tags = json!({"w": id.to_string(), "n": seq.to_string()});
        match seq % 4 {
            0 => {
                let body: types::CreateConversationBody =
                    serde_json::from_value(json!({"channel": "load", "tags": tags})).unwrap();
                match client.create_conversation().body(body).send().await {
                    Ok(r) => {
                        acks.conversations.insert((id, seq), r.conversation.id);
                        progress.acked.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => acks.unacknowledged += 1,
                }
            }
            1 => {
                let body: types::CreateTableRowsBody =
                    serde_json::from_value(json!({"rows": [{"w": id, "n": seq}]})).unwrap();
                match client
                    .create_table_rows()
                    .table(TABLE)
                    .body(body)
                    .send()
                    .await
                {
                    Ok(r) => {
                        assert!(r.errors.is_empty(), "row errors: {:?}", r.errors);
                        assert_eq!(r.rows.len(), 1);
                        acks.rows.insert((id, seq), r.rows[0].id);
                        progress.acked.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => acks.unacknowledged += 1,
                }
            }
            2 => {
                let r = client
                    .list_conversations()
                    .tags([("w", id.to_string())])
                    .page_size(20)
                    .send()
                    .await;
                if let Ok(page) = r {
                    // Reads see only this client's writes, never more than it made.
                    assert!(page.conversations.len() <= 20);
                    for c in &page.conversations {
                        assert_eq!(c.tags.get("w").map(String::as_str), Some(&*id.to_string()));
                    }
                    acks.reads += 1;
                }
            }
            _ => {
                let body: types::FindTableRowsBody =
                    serde_json::from_value(json!({"filter": {"w": id}, "limit": 50})).unwrap();
                if let Ok(r) = client
                    .find_table_rows()
                    .table(TABLE)
                    .body(body)
                    .send()
                    .await
                {
                    for row in &r.rows {
                        assert_eq!(row.extra.get("w"), Some(&json!(id)), "{row:?}");
                    }
                    acks.reads += 1;
                }
            }
        }
    }
    acks
}

/// Shared between the workers and the test: a stop flag and the count of acknowledged writes.
#[derive(Default)]
struct Progress {
    stop: AtomicBool,
    acked: AtomicUsize,
}

/// Runs `CLIENTS` workers for `duration` (or until `progress.stop`), merging their
/// acknowledgements.
async fn run_load(base_url: String, duration: Duration, progress: Arc<Progress>) -> Acks {
    let until = Instant::now() + duration;
    let mut set = tokio::task::JoinSet::new();
    for id in 0..CLIENTS {
        set.spawn(worker(base_url.clone(), id, until, progress.clone()));
    }
    let mut all = Acks::default();
    while let Some(acks) = set.join_next().await {
        let acks = acks.expect("worker panicked");
        all.conversations.extend(acks.conversations);
        all.rows.extend(acks.rows);
        all.unacknowledged += acks.unacknowledged;
        all.reads += acks.reads;
    }
    all
}

async fn create_table(base_url: &str) {
    let body: types::CreateTableBody = serde_json::from_value(json!({
        "name": TABLE,
        "schema": {"type": "object", "properties": {"w": {"type": "number"}, "n": {"type": "number"}}}
    }))
    .unwrap();
    client(base_url)
        .create_table()
        .body(body)
        .send()
        .await
        .expect("create table");
}

/// Checks the stored data against the acknowledgements: every acknowledged write exactly
/// once, with the id it was acknowledged with; at most `unacknowledged` extra writes
/// (requests in flight when the server died may or may not have been applied).
async fn verify(base_url: &str, acks: &Acks, exact: bool) {
    let client = client(base_url);
    let mut conversations: Vec<types::Conversation> = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..10_000 {
        let mut request = client.list_conversations().page_size(100);
        if let Some(t) = token.take() {
            request = request.next_token(t);
        }
        let page = request.send().await.expect("list conversations");
        conversations.extend(page.conversations);
        match page.meta.next_token {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    let mut stored: BTreeMap<(usize, usize), Vec<String>> = BTreeMap::new();
    for c in conversations.iter().filter(|c| c.channel == "load") {
        let w = c.tags["w"].parse().unwrap();
        let n = c.tags["n"].parse().unwrap();
        stored.entry((w, n)).or_default().push(c.id.clone());
    }
    for (key, id) in &acks.conversations {
        assert_eq!(
            stored.get(key),
            Some(&vec![id.clone()]),
            "conversation {key:?} stored exactly once"
        );
    }
    assert!(stored.values().all(|ids| ids.len() == 1), "no duplicate");

    let mut rows: Vec<types::Row> = Vec::new();
    for page in 0..10_000 {
        let body: types::FindTableRowsBody =
            serde_json::from_value(json!({"limit": 1000, "offset": page * 1000})).unwrap();
        let found = client
            .find_table_rows()
            .table(TABLE)
            .body(body)
            .send()
            .await
            .expect("find rows");
        rows.extend(found.rows);
        if !found.has_more {
            break;
        }
    }
    let mut stored_rows: BTreeMap<(usize, usize), Vec<i64>> = BTreeMap::new();
    for r in &rows {
        let w = r.extra["w"].as_u64().unwrap() as usize;
        let n = r.extra["n"].as_u64().unwrap() as usize;
        stored_rows.entry((w, n)).or_default().push(r.id);
    }
    for (key, id) in &acks.rows {
        assert_eq!(
            stored_rows.get(key),
            Some(&vec![*id]),
            "row {key:?} stored exactly once"
        );
    }
    assert!(
        stored_rows.values().all(|ids| ids.len() == 1),
        "no duplicate row"
    );

    let acked = acks.conversations.len() + acks.rows.len();
    let stored_total = stored.len() + stored_rows.len();
    if exact {
        assert_eq!(acks.unacknowledged, 0, "no write failed without faults");
        assert_eq!(stored.len(), acks.conversations.len(), "conversation count");
        assert_eq!(stored_rows.len(), acks.rows.len(), "row count");
    } else {
        assert!(stored_total >= acked);
        assert!(
            stored_total <= acked + acks.unacknowledged,
            "{stored_total} stored, {acked} acknowledged, {} unknown",
            acks.unacknowledged
        );
    }
    println!(
        "load: {} conversations and {} rows acknowledged, {} unknown, {} reads; {} stored",
        acks.conversations.len(),
        acks.rows.len(),
        acks.unacknowledged,
        acks.reads,
        stored_total
    );
}

fn temp_db(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("bp-load-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join("emulator.db")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_clients_lose_and_duplicate_nothing() {
    let db = temp_db("inproc");
    let emulator = spawn(Config::new().db(&db).token(TOKEN))
        .await
        .expect("emulator");
    let url = emulator.base_url();
    create_table(&url).await;
    let acks = run_load(url.clone(), soak(), Arc::new(Progress::default())).await;
    assert!(acks.conversations.len() >= CLIENTS, "every client wrote");
    assert!(acks.rows.len() >= CLIENTS, "every client inserted a row");
    assert!(acks.reads >= 2 * CLIENTS, "every client read");
    verify(&url, &acks, true).await;
    emulator.shutdown().await;

    // The file holds it all: a new emulator on the same file sees the same data.
    let emulator = spawn(Config::new().db(&db).token(TOKEN))
        .await
        .expect("emulator restarts");
    verify(&emulator.base_url(), &acks, true).await;
    emulator.shutdown().await;
    let _ = std::fs::remove_dir_all(db.parent().unwrap());
}

/// The emulator binary on `db`, on a free port; returns the child and its base URL.
fn start_binary(db: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_botpress-emulator"))
        .args(["--port", "0", "--token", TOKEN, "--db"])
        .arg(db)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the emulator binary");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("the emulator prints its URL")
            .expect("readable stdout");
        if let Some(url) = line.strip_prefix("BP_API_URL=") {
            break url.trim().to_string();
        }
    };
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.by_ref() {});
    (child, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_kill_9() {
    let db = temp_db("kill");
    let (mut child, url) = start_binary(&db);
    create_table(&url).await;
    let progress = Arc::new(Progress::default());
    // The clients run until stopped (bounded by MAX_OPS_PER_CLIENT and an hour).
    let load = tokio::spawn(run_load(
        url.clone(),
        Duration::from_secs(3600),
        progress.clone(),
    ));
    // Kill in the middle of the load: once every client could write, plus half the soak time.
    for _ in 0..24_000 {
        if progress.acked.load(Ordering::Relaxed) >= CLIENTS {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(soak() / 2).await;
    child.kill().expect("SIGKILL"); // std's kill sends SIGKILL on Unix
    let status = child.wait().expect("reaped");
    assert!(!status.success(), "killed, not exited: {status:?}");
    progress.stop.store(true, Ordering::Relaxed);
    let acks = load.await.expect("load task");
    assert!(!acks.conversations.is_empty(), "writes before the kill");
    assert!(
        acks.unacknowledged > 0,
        "the kill came while clients were writing"
    );

    let (mut child, url) = start_binary(&db);
    verify(&url, &acks, false).await;
    child.kill().expect("stop");
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(db.parent().unwrap());
}
