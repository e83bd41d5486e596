//! `scale --url U --token T --sizes 1000,10000,100000 --samples S`: the latency of
//! `listMessages`, `getOrCreateUser` and a tag-filtered `listUsers` as one bot's documents
//! grow. At each size the bot holds that many users and one conversation with that many
//! messages; 20 users carry the tag `cohort: bench` whatever the size, so every measured call
//! answers the same amount at every size. A flat cost reads the same figures at 1k and 100k.

use anyhow::{Result, bail};
use futures::{StreamExt, TryStreamExt, stream};
use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    api::{Api, summary},
    args::Args,
    measure,
};

/// Requests in flight while the documents are created.
const SETUP_CONCURRENCY: usize = 8;
/// The users tagged `cohort: bench`.
const COHORT: usize = 20;

/// `scale --url U --token T --sizes N,N,... --samples S`.
pub(crate) fn main(args: &Args) -> Result<()> {
    let api = Api::new(args.get("url")?, args.get("token")?, "bot_scale")?;
    let mut sizes: Vec<usize> = args
        .get("sizes")?
        .split(',')
        .map(|s| s.trim().parse())
        .collect::<Result<_, _>>()?;
    sizes.sort_unstable();
    let samples: usize = args.num("samples", 200)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(async {
        let author = api
            .call(Method::POST, "/v1/chat/users", Some(&json!({"tags": {"cohort": "author"}})))
            .await?;
        let author = author["user"]["id"].as_str().unwrap_or_default().to_string();
        let conversation = api
            .call(
                Method::POST,
                "/v1/chat/conversations",
                Some(&json!({"channel": "web", "tags": {}})),
            )
            .await?;
        let conversation = conversation["conversation"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let mut have = 0;
        let mut out = Vec::new();
        for &size in &sizes {
            let started = std::time::Instant::now();
            stream::iter(have..size)
                .map(|i| {
                    let (api, author, conversation) = (&api, &author, &conversation);
                    async move {
                        let cohort = if i < COHORT { "bench".to_string() } else { format!("c{i}") };
                        let user = json!({"tags": {"cohort": cohort, "n": i.to_string()}});
                        api.call(Method::POST, "/v1/chat/users", Some(&user)).await?;
                        let message = json!({"conversationId": conversation, "userId": author,
                            "type": "text", "payload": {"text": format!("message {i}")}, "tags": {}});
                        api.call(Method::POST, "/v1/chat/messages", Some(&message)).await?;
                        Ok::<_, anyhow::Error>(())
                    }
                })
                .buffer_unordered(SETUP_CONCURRENCY)
                .try_collect::<Vec<()>>()
                .await?;
            let setup_s = started.elapsed().as_secs_f64();
            have = size;
            let list_messages = format!("/v1/chat/messages?conversationId={conversation}");
            let known = json!({"tags": {"cohort": "bench", "n": "7"}});
            let mut ops = serde_json::Map::new();
            for (name, method, path, body) in [
                ("listMessages", Method::GET, list_messages.as_str(), None),
                ("getOrCreateUser", Method::POST, "/v1/chat/users/get-or-create", Some(&known)),
                ("listUsers (tag filter)", Method::GET, "/v1/chat/users?tags.cohort=bench", None),
            ] {
                let first = api.call(method.clone(), path, body).await?;
                let answered = match name {
                    "listMessages" => first["messages"].as_array().map(Vec::len),
                    "listUsers (tag filter)" => first["users"].as_array().map(Vec::len),
                    _ => (first["meta"]["created"] == false).then_some(1),
                };
                if answered.is_none_or(|n| n == 0) {
                    bail!("{name} answered nothing to measure: {first}");
                }
                let mut latencies = Vec::with_capacity(samples);
                for _ in 0..samples {
                    latencies.push(api.time(method.clone(), path, body).await?);
                }
                ops.insert(name.to_string(), summary(&latencies));
            }
            out.push(json!({"docs": size, "setup_s": setup_s, "ops": Value::Object(ops)}));
        }
        Ok::<_, anyhow::Error>(json!({ "sizes": out }))
    })?;
    measure::report(&report)
}
