//! With `--db FILE` (here `Config::db`), data survives a restart of the emulator.

use crate::common;

use botpress_emulator::Config;
use common::Api;
use serde_json::json;

#[tokio::test]
async fn db_file_survives_a_restart() {
    let dir = std::env::temp_dir().join(format!("bp-emulator-persist-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("emulator.db");
    let _ = std::fs::remove_file(&db);

    let api = Api::start(Config::new().db(&db)).await;
    let c = api
        .ok(
            "POST",
            "/v1/chat/conversations",
            Some(json!({"channel": "web", "tags": {"k": "v"}})),
            201,
        )
        .await;
    let conv = c["conversation"]["id"].as_str().unwrap().to_string();
    let u = api
        .ok("POST", "/v1/chat/users", Some(json!({"tags": {}})), 201)
        .await;
    let user = u["user"]["id"].as_str().unwrap().to_string();
    let body = json!({"payload": {"text": "kept"}, "userId": user, "conversationId": conv, "type": "text", "tags": {}});
    api.ok("POST", "/v1/chat/messages", Some(body), 201).await;
    api.ok(
        "POST",
        &format!("/v1/chat/states/conversation/{conv}/s"),
        Some(json!({"payload": {"n": 1}})),
        200,
    )
    .await;
    let f = api
        .ok(
            "PUT",
            "/v1/files",
            Some(json!({"key": "p.txt", "size": 4})),
            200,
        )
        .await;
    let put = api
        .http
        .put(f["file"]["uploadUrl"].as_str().unwrap())
        .body("data")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    api.emulator.shutdown().await;

    let api = Api::start(Config::new().db(&db)).await;
    let got = api
        .ok("GET", &format!("/v1/chat/conversations/{conv}"), None, 200)
        .await;
    assert_eq!(got["conversation"]["tags"], json!({"k": "v"}));
    assert_eq!(got["conversation"]["messageCount"], 1);
    let state = api
        .ok(
            "GET",
            &format!("/v1/chat/states/conversation/{conv}/s"),
            None,
            200,
        )
        .await;
    assert_eq!(state["state"]["payload"], json!({"n": 1}));
    let file = api.ok("GET", "/v1/files/p.txt", None, 200).await;
    assert_eq!(file["file"]["status"], "upload_completed");
    let content = api
        .http
        .get(file["file"]["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(content.text().await.unwrap(), "data");
    api.emulator.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A fresh directory for one test's files.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("bp-emulator-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A database file with data in many pages, then damaged in the middle.
async fn damaged_db(dir: &std::path::Path) -> std::path::PathBuf {
    let db = dir.join("damaged.db");
    let api = Api::start(Config::new().db(&db)).await;
    for i in 0..200 {
        api.ok(
            "POST",
            "/v1/chat/users",
            Some(json!({"tags": {"n": i.to_string()}, "name": "x".repeat(200)})),
            201,
        )
        .await;
    }
    api.emulator.shutdown().await;
    let mut bytes = std::fs::read(&db).unwrap();
    assert!(bytes.len() > 8 * 4096, "{} bytes", bytes.len());
    for b in &mut bytes[3 * 4096..6 * 4096] {
        *b = 0xA5;
    }
    std::fs::write(&db, bytes).unwrap();
    db
}

/// Each bad database refuses the start with one sentence naming the file and the problem,
/// as an error of `spawn` and, from the binary, on stderr with a non-zero exit.
#[tokio::test]
async fn a_bad_database_fails_the_start_with_a_human_message() {
    let dir = scratch("bad-db");
    let not_a_db = dir.join("notes.db");
    std::fs::write(&not_a_db, "these are notes, not a database\n".repeat(200)).unwrap();
    let a_directory = dir.join("folder.db");
    std::fs::create_dir_all(&a_directory).unwrap();
    let missing_dir = dir.join("no/such/dir/x.db");
    let damaged = damaged_db(&dir).await;
    let mut cases = vec![
        (
            not_a_db,
            "is not a sound SQLite database: file is not a database",
        ),
        (a_directory, "cannot be opened"),
        (missing_dir, "cannot be opened"),
        (damaged, "is not a sound SQLite database"),
    ];
    // A read-only file (meaningless for root, whom permissions do not stop).
    let read_only = dir.join("read-only.db");
    drop(Api::start(Config::new().db(&read_only)).await);
    let mut perms = std::fs::metadata(&read_only).unwrap().permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&read_only, perms).unwrap();
    if std::fs::OpenOptions::new()
        .append(true)
        .open(&read_only)
        .is_err()
    {
        cases.push((read_only, "is read-only"));
    } else {
        eprintln!("running with privileges that ignore file permissions: read-only case skipped");
    }
    for (db, needle) in &cases {
        let err = botpress_emulator::spawn(Config::new().db(db))
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("the database `{}` ", db.display())) && text.contains(needle),
            "{}: {text}",
            db.display()
        );
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_botpress-emulator"))
            .args(["--port", "0", "--db"])
            .arg(db)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{}: {stderr}", db.display());
        assert!(
            stderr.contains(&format!(
                "botpress-emulator: the database `{}` ",
                db.display()
            )) && stderr.contains(needle),
            "{stderr}"
        );
        assert!(
            !stderr.contains("Custom {") && !stderr.contains("kind:"),
            "{stderr}"
        );
        assert!(out.stdout.is_empty(), "nothing printed as if started");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The README's table of limits and timeouts names every flag of the binary.
#[test]
fn every_flag_of_the_binary_is_in_the_readme() {
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_botpress-emulator"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    let readme = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"));
    let flags: Vec<&str> = help
        .split_whitespace()
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(|w| w.trim_end_matches(|c: char| !c.is_ascii_alphanumeric()))
        .filter(|w| !["--help", "--version"].contains(w))
        .collect();
    assert!(flags.len() >= 12, "{flags:?}");
    for flag in flags {
        assert!(
            readme.contains(&format!("`{flag}")),
            "README does not document {flag}"
        );
    }
}

/// The private store of an emulator without `--db`: the directory named after `pid`.
fn private_store(pid: u32) -> Option<std::path::PathBuf> {
    let bases = [std::path::PathBuf::from("/dev/shm"), std::env::temp_dir()];
    bases.iter().find_map(|base| {
        std::fs::read_dir(base).ok()?.flatten().find_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with(&format!("botpress-emulator-{pid}-"))
                .then(|| e.path())
        })
    })
}

/// Starts the binary without `--db`; returns it once it serves.
fn start_in_memory() -> std::process::Child {
    crate::common::start_binary(&[]).0
}

/// The temporary store is removed when the binary is stopped with SIGTERM, and the store of one
/// killed with SIGKILL is swept by the next start.
#[cfg(target_os = "linux")]
#[test]
fn temporary_stores_do_not_outlive_their_emulator() {
    let mut terminated = start_in_memory();
    let store = private_store(terminated.id()).expect("a private store while running");
    let kill = |signal: &str, pid: u32| {
        std::process::Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()
            .unwrap()
    };
    assert!(kill("-TERM", terminated.id()).success());
    let status = terminated.wait().unwrap();
    assert!(status.success(), "SIGTERM is a clean stop: {status:?}");
    assert!(!store.exists(), "{} removed at exit", store.display());

    let mut killed = start_in_memory();
    let left = private_store(killed.id()).expect("a private store while running");
    killed.kill().unwrap(); // SIGKILL: no chance to clean up
    let _ = killed.wait();
    assert!(left.exists(), "a killed emulator leaves its store");
    let mut next = start_in_memory();
    assert!(!left.exists(), "{} swept by the next start", left.display());
    next.kill().unwrap();
    let _ = next.wait();
}
