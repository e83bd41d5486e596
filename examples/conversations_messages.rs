//! Conversations and messages: create, get, list (paginated), update, delete,
//! get-or-create.
//!
//! `cargo run --example conversations_messages` (against `BP_API_URL`/`BP_TOKEN`/`BP_BOT_ID`,
//! or an embedded emulator when `BP_TOKEN` is unset).
mod common;

use botpress::prelude::*;
use futures::TryStreamExt;
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let session = common::connect().await?;
    let client = &session.client;

    // createConversation
    let conversation = client
        .create_conversation()
        .channel("channel")
        .tags([("topic", "billing")])
        .send()
        .await?
        .conversation;
    println!("created {}", conversation.id);

    // getConversation
    let got = client
        .get_conversation()
        .id(&conversation.id)
        .send()
        .await?;
    println!(
        "got {} on channel {}",
        got.conversation.id, got.conversation.channel
    );

    // updateConversation (tag merge)
    client
        .update_conversation()
        .id(&conversation.id)
        .tags([("status", "open")])
        .send()
        .await?;

    // getOrCreateConversation: the existing one, `created == false`
    let (same, created) = client
        .get_or_create_conversation()
        .channel("channel")
        .tags([("topic", "billing")])
        .discriminate_by_tags(["topic"])
        .send_created()
        .await?;
    println!("get-or-create: {} (created: {created})", same.id);

    // listConversations: every page, lazily
    let all: Vec<_> = client
        .list_conversations()
        .tags([("topic", "billing")])
        .stream()
        .limit(100)
        .try_collect()
        .await?;
    println!("{} conversation(s) tagged topic=billing", all.len());

    // Messages need a user.
    let user = client
        .create_user()
        .tags([("source", "example")])
        .send()
        .await?
        .user;

    // createMessage
    let message = client
        .create_message()
        .conversation_id(conversation.id.clone())
        .user_id(user.id.clone())
        .type_("text")
        .payload(json!({"text": "hello"}))
        .tags([("source", "example")])
        .send()
        .await?
        .message;

    // getMessage
    let got = client.get_message().id(&message.id).send().await?;
    println!("message {}: {:?}", got.message.id, got.message.payload);

    // updateMessage
    client
        .update_message()
        .id(&message.id)
        .tags([("reviewed", "yes")])
        .send()
        .await?;

    // listMessages of the conversation
    let mut pages = client
        .list_messages()
        .conversation_id(&conversation.id)
        .pages();
    while let Some(page) = pages.try_next().await? {
        println!("a page of {} message(s)", page.messages.len());
    }

    // deleteMessage, deleteConversation
    client.delete_message().id(&message.id).send().await?;
    client
        .delete_conversation()
        .id(&conversation.id)
        .send()
        .await?;
    client.delete_user().id(&user.id).send().await?;
    println!("deleted");
    Ok(())
}
