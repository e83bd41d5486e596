//! Shared helpers of the emulator's integration tests: start an emulator, call it over raw HTTP.
#![allow(dead_code)]

use botpress_emulator::{Config, Emulator, spawn};
use reqwest::Method;
use serde_json::{Value, json};

/// A bot id of the length the document requires of ids (28..36).
pub(crate) const BOT: &str = "bot_01HZX0000000000000000000A1";
/// Another bot, for isolation checks.
pub(crate) const OTHER_BOT: &str = "bot_01HZX0000000000000000000B2";
/// The token the tests configure.
pub(crate) const TOKEN: &str = "test-token-0123456789";

/// An emulator and a client bound to it.
pub(crate) struct Api {
    /// The emulator.
    pub emulator: Emulator,
    /// Plain HTTP client.
    pub http: reqwest::Client,
}

/// An answer: status and JSON body (`Null` when the body is not JSON).
#[derive(Debug)]
pub(crate) struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Decoded JSON body.
    pub body: Value,
}

impl Api {
    /// Starts an emulator with `config`, the test token and response validation.
    pub(crate) async fn start(config: Config) -> Api {
        Self::start_with(config.validate_responses(true)).await
    }

    /// Starts an emulator with `config` as given and the test token.
    pub(crate) async fn start_with(config: Config) -> Api {
        let emulator = spawn(config.token(TOKEN)).await.expect("emulator starts");
        Api {
            emulator,
            http: botpress::tls::reqwest_builder().unwrap().build().unwrap(),
        }
    }

    /// `base_url + path`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{}", self.emulator.base_url(), path)
    }

    /// A request to `path` as [`BOT`] with the test token, to finish and send by hand (for
    /// answers [`Api::raw`] does not read: headers, dropped connections, stalled bodies).
    pub(crate) fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .bearer_auth(TOKEN)
            .header("x-bot-id", BOT)
    }

    /// A request as `bot` with `token` (either may be omitted), body as raw bytes.
    pub(crate) async fn raw(
        &self,
        method: &str,
        path: &str,
        bot: Option<&str>,
        token: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> Answer {
        let mut rb = self.http.request(
            Method::from_bytes(method.as_bytes()).unwrap(),
            self.url(path),
        );
        if let Some(bot) = bot {
            rb = rb.header("x-bot-id", bot);
        }
        if let Some(token) = token {
            rb = rb.bearer_auth(token);
        }
        if let Some(body) = body {
            rb = rb.header("content-type", "application/json").body(body);
        }
        let response = rb.send().await.expect("request reaches the emulator");
        let status = response.status().as_u16();
        let bytes = response.bytes().await.expect("body");
        Answer {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    /// A JSON request as [`BOT`] with the test token.
    pub(crate) async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        self.call_as(BOT, method, path, body).await
    }

    /// A JSON request as `bot` with the test token.
    pub(crate) async fn call_as(
        &self,
        bot: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Answer {
        self.raw(
            method,
            path,
            Some(bot),
            Some(TOKEN),
            body.map(|b| b.to_string().into_bytes()),
        )
        .await
    }

    /// Like [`Api::call`], asserting the status; the body.
    pub(crate) async fn ok(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        status: u16,
    ) -> Value {
        let answer = self.call(method, path, body).await;
        assert_eq!(answer.status, status, "{method} {path}: {}", answer.body);
        answer.body
    }

    /// Creates a conversation (channel `web`, no tags) as [`BOT`], asserting `201`; its id.
    pub(crate) async fn conversation(&self) -> String {
        let c = self
            .ok(
                "POST",
                "/v1/chat/conversations",
                Some(json!({"channel": "web", "tags": {}})),
                201,
            )
            .await;
        c["conversation"]["id"].as_str().unwrap().to_string()
    }

    /// Creates a user (no tags) as [`BOT`], asserting `201`; its id.
    pub(crate) async fn user(&self) -> String {
        self.ok("POST", "/v1/chat/users", Some(json!({"tags": {}})), 201)
            .await["user"]["id"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

/// Asserts an error answer: status, type, the `err_` id format and that the message mentions `needle`.
pub(crate) fn assert_error(answer: &Answer, status: u16, error_type: &str, needle: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.body["type"], error_type, "{}", answer.body);
    assert_eq!(answer.body["code"], status, "{}", answer.body);
    let id = answer.body["id"].as_str().unwrap_or_default();
    assert!(regex_lite_err_id(id), "error id {id}");
    let message = answer.body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(needle),
        "message {message:?} should mention {needle:?}"
    );
}

fn regex_lite_err_id(id: &str) -> bool {
    let Some(rest) = id.strip_prefix("err_") else {
        return false;
    };
    let Some((stamp, hex)) = rest.split_once('x') else {
        return false;
    };
    stamp.len() == 14
        && stamp.bytes().all(|b| b.is_ascii_digit())
        && hex.len() == 8
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Starts the emulator binary on a free port with the token `t` and `args`; returns it once it
/// serves, with its URL.
pub(crate) fn start_binary(args: &[&str]) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_botpress-emulator"))
        .args(["--port", "0", "--token", "t"])
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let url = std::io::BufReader::new(stdout)
        .lines()
        .find_map(|l| l.ok()?.strip_prefix("BP_API_URL=").map(str::to_string))
        .expect("the emulator printed its URL");
    (child, url)
}
