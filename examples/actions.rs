//! Actions: call an integration's action.
//!
//! `cargo run --example actions` (the embedded emulator registers `demo:echo`; against the
//! real service set `BP_ACTION` to an action of an integration installed on the bot).
mod common;

use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let session = common::connect().await?;
    let client = &session.client;
    let action = std::env::var("BP_ACTION").unwrap_or_else(|_| "demo:echo".into());

    // callAction
    let response = client
        .call_action()
        .type_(action.clone())
        .input(json!({"title": "Hello"}))
        .send()
        .await?;
    println!(
        "{action} returned {:?} (cached: {})",
        response.output, response.meta.cached
    );
    Ok(())
}
