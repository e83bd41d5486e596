//! Events: create, get, list.
//!
//! `cargo run --example events`.
mod common;

use botpress::prelude::*;
use futures::TryStreamExt;
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let session = common::connect().await?;
    let client = &session.client;

    // createEvent
    let event = client
        .create_event()
        .type_("order_shipped")
        .payload(json!({"orderId": "o-1"}))
        .send()
        .await?
        .event;
    println!("created {} ({})", event.id, event.status);

    // getEvent
    let got = client.get_event().id(&event.id).send().await?;
    println!("got {} of type {}", got.event.id, got.event.type_);

    // listEvents of that type
    let events: Vec<_> = client
        .list_events()
        .type_("order_shipped")
        .stream()
        .try_collect()
        .await?;
    println!("{} order_shipped event(s)", events.len());
    Ok(())
}
