//! `setup-emulator --url U --token T --rows N`: the data the emulator benchmark reads: a user,
//! a conversation with a page of messages, and a table `benchRows` of `N` rows (`n` = 0..N,
//! `group` = n mod 100, a text column). Prints the ids as JSON.

use anyhow::{Context, Result, bail};
use reqwest::{Method, header::AUTHORIZATION};
use serde_json::{Value, json};

use crate::{args::Args, measure};

/// The table the `findTableRows` benchmark filters.
pub const TABLE: &str = "benchRows";

/// Rows per `createTableRows` request (the service's maximum).
const BATCH: usize = 1000;

struct Api {
    http: reqwest::Client,
    url: String,
    auth: String,
}

impl Api {
    async fn call(&self, method: Method, path: &str, body: Value) -> Result<Value> {
        let response = self
            .http
            .request(method, format!("{}{path}", self.url))
            .header(AUTHORIZATION, &self.auth)
            .header("x-bot-id", "b")
            .json(&body)
            .send()
            .await
            .with_context(|| format!("POST {path}"))?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            bail!("{path}: {status}: {text}");
        }
        Ok(serde_json::from_str(&text)?)
    }
}

fn id(v: &Value, pointer: &str) -> Result<String> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_string)
        .with_context(|| format!("no {pointer} in {v}"))
}

/// `setup-emulator --url U --token T --rows N`.
pub fn main(args: &Args) -> Result<()> {
    let api = Api {
        http: reqwest::Client::new(),
        url: args.get("url")?.to_string(),
        auth: format!("Bearer {}", args.get("token")?),
    };
    let rows: usize = args.num("rows", 100_000)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let ids = runtime.block_on(async {
        let user = api
            .call(
                Method::POST,
                "/v1/chat/users",
                json!({"tags": {}, "name": "Bench"}),
            )
            .await?;
        let user = id(&user, "/user/id")?;
        let conversation = api
            .call(
                Method::POST,
                "/v1/chat/conversations",
                json!({"channel": "web", "tags": {"topic": "bench"}}),
            )
            .await?;
        let conversation = id(&conversation, "/conversation/id")?;
        for i in 0..20 {
            api.call(
                Method::POST,
                "/v1/chat/messages",
                json!({"payload": {"text": format!("message {i}")}, "userId": user,
                       "conversationId": conversation, "type": "text", "tags": {}}),
            )
            .await?;
        }
        api.call(
            Method::POST,
            "/v1/tables",
            json!({"name": TABLE, "schema": {"type": "object", "properties": {
                "n": {"type": "number"}, "group": {"type": "number"}, "label": {"type": "string"}
            }}}),
        )
        .await?;
        let all: Vec<usize> = (0..rows).collect();
        for chunk in all.chunks(BATCH) {
            let batch: Vec<Value> = chunk
                .iter()
                .map(|&n| json!({"n": n, "group": n % 100, "label": format!("row {n}")}))
                .collect();
            api.call(
                Method::POST,
                &format!("/v1/tables/{TABLE}/rows"),
                json!({ "rows": batch }),
            )
            .await?;
        }
        Ok::<Value, anyhow::Error>(json!({
            "user": user, "conversation": conversation, "table": TABLE, "rows": rows,
        }))
    })?;
    measure::report(&ids)
}
