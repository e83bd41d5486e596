//! `contention --url U --token T --samples S --busy K`: one bot's `getUser` latency, first on
//! an idle emulator, then while another bot runs `K` copies of the slowest `findTableRows` the
//! limits allow over the `benchRows` table of `setup-emulator` (1,000 `$or` branches, each a
//! `$regex`, over every row: it runs until the query budget stops it).

use std::{sync::Arc, time::Instant};

use anyhow::Result;
use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    api::{Api, summary},
    args::Args,
    measure,
};

/// The slowest filter within the limits: the longest `$or`, each branch a regex over a text.
pub(crate) fn worst_filter() -> Value {
    let branches: Vec<Value> = (0..1000)
        .map(|i| json!({"label": {"$regex": format!("^row [0-9]*{i}x$"), "$options": "i"}}))
        .collect();
    json!({"filter": {"$or": branches}, "limit": 1000})
}

/// `contention --url U --token T --samples S --busy K`.
pub(crate) fn main(args: &Args) -> Result<()> {
    let (url, token) = (args.get("url")?, args.get("token")?);
    let reader = Api::new(url, token, "bot_reader")?;
    let heavy = Arc::new(Api::new(url, token, "b")?);
    let samples: usize = args.num("samples", 200)?;
    let busy: usize = args.num("busy", 2)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(async {
        let user = reader
            .call(Method::POST, "/v1/chat/users", Some(&json!({"tags": {}})))
            .await?;
        let path = format!(
            "/v1/chat/users/{}",
            user["user"]["id"].as_str().unwrap_or_default()
        );
        let reader = &reader;
        let measure = || {
            let path = path.clone();
            async move {
                let mut latencies = Vec::with_capacity(samples);
                for _ in 0..samples {
                    latencies.push(reader.time(Method::GET, &path, None).await?);
                }
                Ok::<_, anyhow::Error>(latencies)
            }
        };
        let idle = measure().await?;
        let filter = worst_filter();
        let mut queries = Vec::new();
        for _ in 0..busy {
            let (heavy, filter) = (heavy.clone(), filter.clone());
            queries.push(tokio::spawn(async move {
                let started = Instant::now();
                let (status, _) = heavy
                    .send(
                        Method::POST,
                        "/v1/tables/benchRows/rows/find",
                        Some(&filter),
                    )
                    .await?;
                Ok::<_, anyhow::Error>((status, started.elapsed().as_secs_f64()))
            }));
        }
        // Let the heavy queries reach the storage before measuring.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let loaded = measure().await?;
        // The heavy queries answer when they finish or when the budget stops them.
        let mut heavy_runs = Vec::new();
        for q in queries {
            let (status, secs) = q.await??;
            heavy_runs.push(json!({"status": status, "running_s": secs}));
        }
        Ok::<_, anyhow::Error>(json!({
            "idle": summary(&idle),
            "busy": summary(&loaded),
            "heavy_queries": heavy_runs,
        }))
    })?;
    measure::report(&report)
}
