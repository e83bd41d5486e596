//! `setup-emulator --url U --token T --rows N`: the data the emulator benchmark reads: a user,
//! a conversation with a page of messages, and a table `benchRows` of `N` rows (`n` = 0..N,
//! `group` = n mod 100, a text `label`, an object `attrs` with `k` = n mod 100). Prints the ids as
//! JSON.

use anyhow::{Context, Result};
use reqwest::Method;
use serde_json::{Value, json};

use crate::{api::Api, args::Args, measure};

/// The table the `findTableRows` benchmark filters.
pub(crate) const TABLE: &str = "benchRows";

/// Rows per `createTableRows` request (the service's maximum).
const BATCH: usize = 1000;

fn id(v: &Value, pointer: &str) -> Result<String> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_string)
        .with_context(|| format!("no {pointer} in {v}"))
}

/// `setup-emulator --url U --token T --rows N`.
pub(crate) fn main(args: &Args) -> Result<()> {
    let api = Api::new(args.get("url")?, args.get("token")?, "b")?;
    let rows: usize = args.num("rows", 100_000)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let ids = runtime.block_on(async {
        let post = |path: String, body: Value| {
            let api = &api;
            async move { api.call(Method::POST, &path, Some(&body)).await }
        };
        let user = post(
            "/v1/chat/users".into(),
            json!({"tags": {}, "name": "Bench"}),
        )
        .await?;
        let user = id(&user, "/user/id")?;
        let conversation = post(
            "/v1/chat/conversations".into(),
            json!({"channel": "web", "tags": {"topic": "bench"}}),
        )
        .await?;
        let conversation = id(&conversation, "/conversation/id")?;
        for i in 0..20 {
            post(
                "/v1/chat/messages".into(),
                json!({"payload": {"text": format!("message {i}")}, "userId": user,
                       "conversationId": conversation, "type": "text", "tags": {}}),
            )
            .await?;
        }
        post(
            "/v1/tables".into(),
            json!({"name": TABLE, "schema": {"type": "object", "properties": {
                "n": {"type": "number"}, "group": {"type": "number"}, "label": {"type": "string"},
                "attrs": {"type": "object"}
            }}}),
        )
        .await?;
        let all: Vec<usize> = (0..rows).collect();
        for chunk in all.chunks(BATCH) {
            let batch: Vec<Value> = chunk
                .iter()
                .map(|&n| {
                    json!({"n": n, "group": n % 100, "label": format!("row {n}"),
                           "attrs": {"k": n % 100}})
                })
                .collect();
            post(format!("/v1/tables/{TABLE}/rows"), json!({ "rows": batch })).await?;
        }
        Ok::<Value, anyhow::Error>(json!({
            "user": user, "conversation": conversation, "table": TABLE, "rows": rows,
        }))
    })?;
    measure::report(&ids)
}
