//! The emulator binary's output at `RUST_LOG=trace` never shows a token: neither the one it
//! was started with (`--token`), nor a wrong one a client sends, nor the SDK's.

use std::{
    io::{BufRead, BufReader, Read},
    process::{Command, Stdio},
    time::Duration,
};

use botpress::Client;

const TOKEN: &str = "emu-CANARY-4be1d9-token";
const WRONG: &str = "wrong-CANARY-77aa01-token";
const BOT: &str = "bot_01HZX000000000000000SECRET";

#[tokio::test]
async fn trace_logs_never_show_a_token() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_botpress-emulator"))
        .args(["--port", "0", "--token", TOKEN])
        .env("RUST_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the emulator binary");
    let stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let err_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut lines = BufReader::new(stdout).lines();
    let mut out = String::new();
    let url = loop {
        let line = lines.next().expect("the URL line").expect("stdout");
        out.push_str(&line);
        out.push('\n');
        if let Some(url) = line.strip_prefix("BP_API_URL=") {
            break url.trim().to_string();
        }
    };
    let out_reader = std::thread::spawn(move || {
        let mut text = out;
        for line in lines.map_while(Result::ok) {
            text.push_str(&line);
            text.push('\n');
        }
        text
    });

    let client = |token: &str| {
        Client::builder()
            .base_url(&url)
            .token(token)
            .bot_id(BOT)
            .build()
            .expect("client")
    };
    let good = client(TOKEN);
    let bad = client(WRONG);
    let listed = good.list_conversations().send().await.expect("authorised");
    assert!(listed.conversations.is_empty());
    let e = good
        .get_conversation()
        .id("conv_missing")
        .send()
        .await
        .expect_err("404");
    assert_eq!(e.status(), Some(404));
    let e = bad
        .list_conversations()
        .send()
        .await
        .expect_err("wrong token");
    assert_eq!(e.status(), Some(401));
    // Let the server flush its log lines, then stop it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    child.kill().expect("stop");
    let _ = child.wait();
    let text = out_reader.join().unwrap() + &err_reader.join().unwrap();
    assert!(
        text.to_ascii_lowercase().contains("trace") || text.contains("DEBUG"),
        "the log was captured at a verbose level:\n{text}"
    );
    for needle in [TOKEN, WRONG, "CANARY"] {
        assert!(
            !text.contains(needle),
            "the emulator's output shows a token ({needle}):\n{text}"
        );
    }
}
