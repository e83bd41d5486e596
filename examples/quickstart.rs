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

use botpress::{Client, paginate::Paginate, types};
use futures::TryStreamExt;
use serde_json::{Value, json};

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

fn object(value: Value) -> serde_json::Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}

fn tags(pairs: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

async fn tour(client: &Client) -> BoxResult<()> {
    // Conversations: get-or-create is idempotent on its tags.
    let created = client
        .get_or_create_conversation()
        .body_map(|b| b.channel("channel").tags(tags(&[("quickstart", "rust")])))
        .send()
        .await?
        .into_inner();
    let conversation = created.conversation;
    let was_created = created.meta.map(|m| m.created).unwrap_or(false);
    println!("conversation  {} (created: {was_created})", conversation.id);

    // Users, and the user as a participant of the conversation.
    let user = client
        .get_or_create_user()
        .body_map(|b| {
            b.tags(tags(&[("quickstart", "ada")]))
                .name(Some("Ada".to_string()))
        })
        .send()
        .await?
        .into_inner()
        .user;
    client
        .add_participant()
        .id(&conversation.id)
        .body_map(|b| b.user_id(user.id.clone()))
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
            .body_map(|b| {
                b.conversation_id(conversation.id.clone())
                    .user_id(user.id.clone())
                    .type_("text")
                    .payload(object(json!({ "text": text })))
                    .tags(tags(&[]))
            })
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
        .body_map(|b| {
            b.type_("quickstart:ping")
                .payload(object(json!({ "at": "start" })))
                .conversation_id(Some(conversation.id.clone()))
        })
        .send()
        .await?
        .into_inner()
        .event;
    let fetched = client
        .get_event()
        .id(&event.id)
        .send()
        .await?
        .into_inner()
        .event;
    println!("event         {} ({})", fetched.id, fetched.status);

    // State: set, patch (shallow merge), read back.
    client
        .set_state()
        .type_(types::StateType::Conversation)
        .id(&conversation.id)
        .name("progress")
        .body_map(|b| b.payload(Some(object(json!({ "step": 1, "lang": "en" })))))
        .send()
        .await?;
    client
        .patch_state()
        .type_(types::StateType::Conversation)
        .id(&conversation.id)
        .name("progress")
        .body_map(|b| b.payload(object(json!({ "step": 2 }))))
        .send()
        .await?;
    let progress = client
        .get_state()
        .type_(types::StateType::Conversation)
        .id(&conversation.id)
        .name("progress")
        .send()
        .await?
        .into_inner()
        .state;
    println!(
        "state         progress = {}",
        Value::Object(progress.payload)
    );

    // Files: create the record, upload the bytes to the returned URL (no API headers).
    let content = "Hello from the Rust SDK.\n";
    let file = client
        .upsert_file()
        .body_map(|b| {
            b.key("quickstart/hello.txt")
                .size(content.len() as i64)
                .content_type(Some("text/plain".to_string()))
        })
        .send()
        .await?
        .into_inner()
        .file;
    let upload = reqwest::Client::new()
        .put(&file.upload_url)
        .header("content-type", &file.content_type)
        .body(content)
        .send()
        .await?;
    if !upload.status().is_success() {
        return Err(format!("upload failed with HTTP {}", upload.status()).into());
    }
    let file = client
        .get_file()
        .id(&file.id)
        .send()
        .await?
        .into_inner()
        .file;
    println!(
        "file          {} ({} bytes, {})",
        file.key,
        file.size.unwrap_or(0),
        file.status
    );

    // Tables: a schema, rows, a filtered query.
    let table = client
        .get_or_create_table()
        .table("quickstartOrdersTable")
        .body_map(|b| {
            b.schema(object(json!({
                "type": "object",
                "properties": { "item": { "type": "string" }, "total": { "type": "number" } }
            })))
        })
        .send()
        .await?
        .into_inner()
        .table;
    let rows = [("tea", 4), ("cake", 12), ("coffee", 6)]
        .iter()
        .map(|(item, total)| object(json!({ "item": item, "total": total })))
        .collect::<Vec<_>>();
    client
        .create_table_rows()
        .table(&table.name)
        .body_map(|b| b.rows(rows))
        .send()
        .await?;
    let found = client
        .find_table_rows()
        .table(&table.name)
        .body_map(|b| b.filter(object(json!({ "total": { "$gte": 5 } }))))
        .send()
        .await?
        .into_inner();
    println!(
        "table         {}: {} rows with total >= 5",
        table.name,
        found.rows.len()
    );

    // Workflows: start, complete.
    let workflow = client
        .create_workflow()
        .body_map(|b| {
            b.name("quickstart")
                .status(types::CreateWorkflowBodyStatus::Pending)
                .conversation_id(Some(conversation.id.clone()))
        })
        .send()
        .await?
        .into_inner()
        .workflow;
    let workflow = client
        .update_workflow()
        .id(&workflow.id)
        .body_map(|b| b.status(Some(types::UpdateWorkflowBodyStatus::Completed)))
        .send()
        .await?
        .into_inner()
        .workflow;
    println!("workflow      {} ({})", workflow.id, workflow.status);

    // Analytics: a named counter.
    client
        .track_analytics()
        .body_map(|b| b.name("quickstart_runs").count(1))
        .send()
        .await?;
    println!("analytics     quickstart_runs += 1");

    // Clean up what the tour created.
    client.delete_workflow().id(&workflow.id).send().await?;
    client.delete_file().id(&file.id).send().await?;
    client.delete_table().table(&table.name).send().await?;
    client
        .delete_conversation()
        .id(&conversation.id)
        .send()
        .await?;
    println!("cleaned up    workflow, file, table, conversation");
    Ok(())
}
