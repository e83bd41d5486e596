//! A small support-bot backend: the user and the conversation found or created by tags,
//! messages posted and streamed back, typed state, an attachment, a typed table of tickets,
//! a workflow, analytics, and a missing resource handled as such.
//!
//! `cargo run --example support_bot` (an embedded emulator when `BP_TOKEN` is unset).
mod common;

use botpress::prelude::*;
use botpress::tables::{Filter, Query};
use botpress::types::{StateType, WorkflowStatus};
use futures::TryStreamExt;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Serialize, Deserialize, Debug)]
struct Session {
    step: u32,
}

#[derive(Serialize, Deserialize, JsonSchema, Debug)]
struct Ticket {
    subject: String,
    priority: f64,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let session = common::connect().await?;
    let client = &session.client;

    let (user, _) = client
        .get_or_create_user()
        .tags([("email", "ada@example.com")])
        .name("Ada")
        .send_created()
        .await?;
    let (conv, _) = client
        .get_or_create_conversation()
        .channel("web")
        .tags([("ticket", "T-1")])
        .send_created()
        .await?;

    for text in ["My order is late", "Let me check"] {
        client
            .create_message()
            .conversation_id(&conv.id)
            .user_id(&user.id)
            .type_("text")
            .payload(json!({ "text": text }))
            .tags([("ticket", "T-1")])
            .send()
            .await?;
    }
    let messages: Vec<_> = client
        .list_messages()
        .conversation_id(&conv.id)
        .stream()
        .try_collect()
        .await?;

    let state = client.state::<Session>(StateType::Conversation, &conv.id, "session");
    state.set(&Session { step: 1 }).await?;

    let file = client
        .upload_file("tickets/T-1.txt", "late order")
        .send()
        .await?;

    let tickets = client.table::<Ticket>("supportTicketsTable").await?;
    tickets
        .insert(&[Ticket {
            subject: "late order".into(),
            priority: 2.0,
        }])
        .await?;
    let urgent = tickets
        .find(&Query::new().filter(Filter::column("priority").gte(2)))
        .await?;

    let workflow = client
        .create_workflow()
        .name("escalation")
        .status(WorkflowStatus::Pending)
        .conversation_id(&conv.id)
        .tags([("ticket", "T-1")])
        .send()
        .await?
        .workflow;

    client.track_analytics_count("tickets_opened", 1).await?;

    match client.get_user().id("user_missing").send().await {
        Err(e) if e.kind() == ErrorKind::ResourceNotFound => println!("no such user"),
        other => {
            other?;
        }
    }
    println!(
        "{} messages, file {}, {} urgent, workflow {}",
        messages.len(),
        file.id,
        urgent.len(),
        workflow.id
    );
    Ok(())
}
