//! Quickstart: a tour of the Botpress API through the SDK.
//!
//! ```sh
//! cargo run --example quickstart
//! ```
//!
//! Without `BP_TOKEN` in the environment the tour runs against an embedded
//! `botpress-emulator` (in-memory, nothing leaves the machine). With `BP_TOKEN` and
//! `BP_BOT_ID` set it runs against Botpress Cloud (or `BP_API_URL`), and deletes what it
//! created at the end.
//!
//! The tour follows the documented client's flow: conversation → user → messages → events →
//! state → files → tables → workflows → analytics.

use std::error::Error;

use botpress::prelude::*;
use botpress::tables::{Filter, Query};
use botpress::types::{self, StateType, WorkflowStatus};
use futures::TryStreamExt;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

type BoxResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

#[tokio::main]
async fn main() -> BoxResult<()> {
    // Keep the emulator alive for the whole tour (dropping it stops the server).
    let (client, _emulator, target) = connect().await?;
    println!("botpress quickstart against {target}\n");
    tour(&client).await?;
    println!("\ndone.");
    Ok(())
}

/// The client: Botpress Cloud when `BP_TOKEN` is set, otherwise an embedded emulator.
async fn connect() -> BoxResult<(Client, Option<botpress_emulator::Emulator>, String)> {
    if std::env::var_os("BP_TOKEN").is_some() {
        if std::env::var("BP_BOT_ID").unwrap_or_default().is_empty() {
            return Err(
                "BP_TOKEN is set but BP_BOT_ID is not: set the id of the bot to call as".into(),
            );
        }
        let client = Client::from_env()?;
        let url =
            std::env::var("BP_API_URL").unwrap_or_else(|_| "https://api.botpress.cloud".into());
        return Ok((client, None, url));
    }
    let emulator = botpress_emulator::spawn(botpress_emulator::Config::new()).await?;
    let client = Client::builder()
        .base_url(emulator.base_url())
        .token(emulator.token())
        .bot_id("bot_quickstart")
        .build()?;
    let target = format!(
        "an embedded emulator at {} (BP_TOKEN is not set)",
        emulator.base_url()
    );
    Ok((client, Some(emulator), target))
}

/// The conversation's progress, kept as typed state.
#[derive(Debug, Serialize, Deserialize)]
struct Progress {
    step: u32,
    lang: String,
}

/// A row of the orders table: the table's columns come from this struct.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
struct Order {
    item: String,
    total: f64,
}

async fn tour(client: &Client) -> BoxResult<()> {
    // Conversations: get-or-create is idempotent on its tags.
    let (conversation, created) = client
        .get_or_create_conversation()
        .channel("channel")
        .tags([("quickstart", "rust")])
        .send_created()
        .await?;
    println!("conversation  {} (created: {created})", conversation.id);

    // Users, and the user as a participant of the conversation.
    let (user, _) = client
        .get_or_create_user()
        .tags([("quickstart", "ada")])
        .name("Ada")
        .send_created()
        .await?;
    client
        .add_participant()
        .id(&conversation.id)
        .user_id(&user.id)
        .send()
        .await?;
    println!(
        "user          {} ({})",
        user.id,
        user.name.as_deref().unwrap_or("-")
    );

    // Messages, then all of them back through a lazy stream over the pages.
    for text in ["Hello!", "How can I help?", "Bye."] {
        client
            .create_message()
            .conversation_id(&conversation.id)
            .user_id(&user.id)
            .type_("text")
            .payload(json!({ "text": text }))
            .tags([("source", "quickstart")])
            .send()
            .await?;
    }
    let messages: Vec<types::Message> = client
        .list_messages()
        .conversation_id(&conversation.id)
        .stream()
        .try_collect()
        .await?;
    println!("messages      {} in the conversation", messages.len());

    // Events.
    let event = client
        .create_event()
        .type_("quickstart:ping")
        .payload(json!({ "at": "start" }))
        .conversation_id(&conversation.id)
        .send()
        .await?
        .event;
    let fetched = client.get_event().id(&event.id).send().await?.event;
    println!("event         {} ({})", fetched.id, fetched.status);

    // State: a typed value, set, shallow-merged, read back.
    let progress = client.state::<Progress>(StateType::Conversation, &conversation.id, "progress");
    progress
        .set(&Progress {
            step: 1,
            lang: "en".into(),
        })
        .await?;
    progress.patch(&json!({ "step": 2 })).await?;
    println!("state         progress = {:?}", progress.get().await?);

    // Files: the record and the content in one call.
    let file = client
        .upload_file("quickstart/hello.txt", "Hello from the Rust SDK.\n")
        .content_type("text/plain")
        .send()
        .await?;
    let file = client.get_file().id(&file.id).send().await?.file;
    println!(
        "file          {} ({} bytes, {})",
        file.key,
        file.size.unwrap_or(0),
        file.status
    );

    // Tables: the schema from a struct, typed rows, a typed filter.
    let orders = client.table::<Order>("quickstartOrdersTable").await?;
    orders
        .insert(&[
            Order {
                item: "tea".into(),
                total: 4.0,
            },
            Order {
                item: "cake".into(),
                total: 12.0,
            },
            Order {
                item: "coffee".into(),
                total: 6.0,
            },
        ])
        .await?;
    let found = orders
        .find(&Query::new().filter(Filter::column("total").gte(5)))
        .await?;
    println!(
        "table         {}: {} rows with total >= 5",
        orders.name(),
        found.len()
    );

    // Workflows: start, complete.
    let workflow = client
        .create_workflow()
        .name("quickstart")
        .status(WorkflowStatus::Pending)
        .conversation_id(&conversation.id)
        .send()
        .await?
        .workflow;
    let workflow = client
        .update_workflow()
        .id(&workflow.id)
        .status(WorkflowStatus::Completed)
        .send()
        .await?
        .workflow;
    println!("workflow      {} ({})", workflow.id, workflow.status);

    // Analytics: a named counter.
    client.track_analytics_count("quickstart_runs", 1).await?;
    println!("analytics     quickstart_runs += 1");

    // Clean up what the tour created.
    client.delete_workflow().id(&workflow.id).send().await?;
    client.delete_file().id(&file.id).send().await?;
    client.delete_table().table(orders.name()).send().await?;
    client
        .delete_conversation()
        .id(&conversation.id)
        .send()
        .await?;
    println!("cleaned up    workflow, file, table, conversation");
    Ok(())
}
