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

/// What one round of mixed writes acknowledged, by kind.
#[derive(Debug, Default)]
struct MixedAcks {
    /// `(client, seq)` → message id.
    messages: BTreeMap<(usize, usize), String>,
    /// conversation id → the highest `n` acknowledged for its state.
    states: BTreeMap<String, u64>,
    /// file key → the content of its last acknowledged upload.
    files: BTreeMap<String, String>,
    /// workflow ids.
    workflows: Vec<String>,
    /// `(client, seq)` → row id.
    rows: BTreeMap<(usize, usize), i64>,
    unacknowledged: usize,
}

/// A JSON call to the emulator; the body of a 2xx answer, `None` for anything else.
async fn call(
    http: &reqwest::Client,
    base: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> Option<serde_json::Value> {
    let mut request = http
        .request(method, format!("{base}{path}"))
        .bearer_auth(TOKEN)
        .header("x-bot-id", BOT);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let answer = request.send().await.ok()?;
    if !answer.status().is_success() {
        return None;
    }
    answer.json().await.ok()
}

/// One client of the mixed load: in its own conversation it writes messages, its state, a
/// file (upsert then upload), workflows and table rows, in turn, until stopped.
async fn mixed_worker(base: String, id: usize, round: usize, progress: Arc<Progress>) -> MixedAcks {
    use reqwest::Method;
    let http = botpress::tls::reqwest_builder().unwrap().build().unwrap();
    let mut acks = MixedAcks::default();
    let Some(c) = call(
        &http,
        &base,
        Method::POST,
        "/v1/chat/conversations",
        Some(json!({"channel": "mixed", "tags": {"w": id.to_string(), "r": round.to_string()}})),
    )
    .await
    else {
        acks.unacknowledged += 1;
        return acks;
    };
    let conversation = c["conversation"]["id"].as_str().unwrap().to_string();
    let user = call(
        &http,
        &base,
        Method::POST,
        "/v1/chat/users",
        Some(json!({"tags": {}})),
    )
    .await
    .map(|u| u["user"]["id"].as_str().unwrap().to_string());
    let Some(user) = user else {
        acks.unacknowledged += 1;
        return acks;
    };
    for seq in 0..MAX_OPS_PER_CLIENT {
        if progress.stop.load(Ordering::Relaxed) {
            break;
        }
        let n = round * MAX_OPS_PER_CLIENT + seq;
        let acked = match seq % 5 {
            0 => call(
                &http,
                &base,
                Method::POST,
                "/v1/chat/messages",
                Some(
                    json!({"conversationId": conversation, "userId": user, "type": "text",
                            "payload": {"text": n.to_string()}, "tags": {}}),
                ),
            )
            .await
            .map(|m| {
                let id_ = m["message"]["id"].as_str().unwrap().to_string();
                acks.messages.insert((id, n), id_);
            }),
            1 => call(
                &http,
                &base,
                Method::POST,
                &format!("/v1/chat/states/conversation/{conversation}/progress"),
                Some(json!({"payload": {"n": n}})),
            )
            .await
            .map(|_| {
                acks.states.insert(conversation.clone(), n as u64);
            }),
            2 => {
                let key = format!("mixed/{id}.txt");
                let content = format!("content {n}");
                let up = call(
                    &http,
                    &base,
                    Method::PUT,
                    "/v1/files",
                    Some(json!({"key": key, "size": content.len()})),
                )
                .await;
                match up {
                    Some(up) => {
                        let url = up["file"]["uploadUrl"].as_str().unwrap().to_string();
                        let put = http.put(url).body(content.clone()).send().await;
                        match put {
                            Ok(r) if r.status().is_success() => {
                                acks.files.insert(key, content);
                                Some(())
                            }
                            _ => None,
                        }
                    }
                    None => None,
                }
            }
            3 => call(
                &http,
                &base,
                Method::POST,
                "/v1/chat/workflows",
                Some(
                    json!({"name": "mixed", "status": "pending", "conversationId": conversation,
                            "input": {}, "tags": {"n": n.to_string()}}),
                ),
            )
            .await
            .map(|w| {
                acks.workflows
                    .push(w["workflow"]["id"].as_str().unwrap().to_string())
            }),
            _ => call(
                &http,
                &base,
                Method::POST,
                &format!("/v1/tables/{TABLE}/rows"),
                Some(json!({"rows": [{"w": id, "n": n}]})),
            )
            .await
            .map(|r| {
                acks.rows
                    .insert((id, n), r["rows"][0]["id"].as_i64().unwrap());
            }),
        };
        match acked {
            Some(()) => {
                progress.acked.fetch_add(1, Ordering::Relaxed);
            }
            None => acks.unacknowledged += 1,
        }
    }
    acks
}

/// Checks that every acknowledged write of the mixed load is stored: messages by id, the
/// state at least at its last acknowledged value, each file's last acknowledged content (or
/// a later upload in flight at the kill), workflows by id, rows by id.
async fn verify_mixed(base: &str, acks: &MixedAcks) {
    use reqwest::Method;
    let http = botpress::tls::reqwest_builder().unwrap().build().unwrap();
    for ((_, n), id) in &acks.messages {
        let m = call(
            &http,
            base,
            Method::GET,
            &format!("/v1/chat/messages/{id}"),
            None,
        )
        .await
        .unwrap_or_else(|| panic!("message {id} lost"));
        assert_eq!(m["message"]["payload"]["text"], n.to_string());
    }
    for (conversation, n) in &acks.states {
        let s = call(
            &http,
            base,
            Method::GET,
            &format!("/v1/chat/states/conversation/{conversation}/progress"),
            None,
        )
        .await
        .unwrap_or_else(|| panic!("state of {conversation} lost"));
        let stored = s["state"]["payload"]["n"].as_u64().unwrap();
        assert!(
            stored >= *n,
            "state of {conversation}: {stored} < acknowledged {n}"
        );
    }
    for (key, content) in &acks.files {
        let f = call(
            &http,
            base,
            Method::GET,
            &format!("/v1/files/{}", key.replace('/', "%2F")),
            None,
        )
        .await
        .unwrap_or_else(|| panic!("file {key} lost"));
        let url = f["file"]["url"].as_str().unwrap();
        let got = http.get(url).send().await.unwrap();
        if f["file"]["status"] == "upload_pending" {
            // A later upsert was acknowledged or in flight at the kill: it reset the content.
            continue;
        }
        let text = got.text().await.unwrap();
        let n = |s: &str| s.trim_start_matches("content ").parse::<u64>().unwrap();
        assert!(
            n(&text) >= n(content),
            "file {key}: {text} older than acknowledged {content}"
        );
    }
    for id in &acks.workflows {
        call(
            &http,
            base,
            Method::GET,
            &format!("/v1/chat/workflows/{id}"),
            None,
        )
        .await
        .unwrap_or_else(|| panic!("workflow {id} lost"));
    }
    for ((w, n), id) in &acks.rows {
        let r = call(
            &http,
            base,
            Method::GET,
            &format!("/v1/tables/{TABLE}/row?id={id}"),
            None,
        )
        .await
        .unwrap_or_else(|| panic!("row {id} lost"));
        assert_eq!(
            (r["row"]["w"].as_u64(), r["row"]["n"].as_u64()),
            (Some(*w as u64), Some(*n as u64))
        );
    }
}

/// Several rounds of every kind of write (messages, states, files, workflows, rows) with the
/// binary killed by SIGKILL in the middle of each: after every restart, every write any round
/// acknowledged is there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_acknowledged_write_survives_repeated_kill_9() {
    let db = temp_db("kill-mixed");
    let mut all: Vec<MixedAcks> = Vec::new();
    for round in 0..3 {
        let (mut child, url) = start_binary(&db);
        if round == 0 {
            create_table(&url).await;
        }
        for acks in &all {
            verify_mixed(&url, acks).await;
        }
        let progress = Arc::new(Progress::default());
        let mut set = tokio::task::JoinSet::new();
        for id in 0..16 {
            set.spawn(mixed_worker(url.clone(), id, round, progress.clone()));
        }
        for _ in 0..24_000 {
            if progress.acked.load(Ordering::Relaxed) >= 16 * 10 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(soak() / 3).await;
        child.kill().expect("SIGKILL");
        let status = child.wait().expect("reaped");
        assert!(!status.success(), "killed, not exited: {status:?}");
        progress.stop.store(true, Ordering::Relaxed);
        let mut round_acks = MixedAcks::default();
        while let Some(acks) = set.join_next().await {
            let acks = acks.expect("worker panicked");
            round_acks.messages.extend(acks.messages);
            round_acks.states.extend(acks.states);
            round_acks.files.extend(acks.files);
            round_acks.workflows.extend(acks.workflows);
            round_acks.rows.extend(acks.rows);
            round_acks.unacknowledged += acks.unacknowledged;
        }
        assert!(
            !round_acks.messages.is_empty()
                && !round_acks.states.is_empty()
                && !round_acks.files.is_empty()
                && !round_acks.workflows.is_empty()
                && !round_acks.rows.is_empty(),
            "round {round}: every kind was written before the kill"
        );
        println!(
            "kill round {round}: {} messages, {} states, {} files, {} workflows, {} rows acknowledged, {} unknown",
            round_acks.messages.len(),
            round_acks.states.len(),
            round_acks.files.len(),
            round_acks.workflows.len(),
            round_acks.rows.len(),
            round_acks.unacknowledged
        );
        all.push(round_acks);
    }
    let (mut child, url) = start_binary(&db);
    for acks in &all {
        verify_mixed(&url, acks).await;
    }
    child.kill().expect("stop");
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(db.parent().unwrap());
}
