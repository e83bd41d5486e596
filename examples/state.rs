//! State, typed: get, set, get-or-set, patch (and expiry, delete).
//!
//! `cargo run --example state`.
mod common;

use std::time::Duration;

use botpress::types::StateType;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, Default)]
struct Profile {
    language: String,
    visits: u32,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let session = common::connect().await?;
    let client = &session.client;
    let user = client
        .create_user()
        .tags([("source", "example")])
        .send()
        .await?
        .user;

    let profile = client.state::<Profile>(StateType::User, &user.id, "profile");

    // getState: a missing state is `None`
    println!("before: {:?}", profile.get().await?);

    // getOrSetState: creates it (the payload is used only when the state is missing)
    let first = profile
        .get_or_set(&Profile {
            language: "en".into(),
            visits: 0,
        })
        .await?;
    println!("get-or-set: {first:?}");

    // setState: replaces the payload, here with an idle expiry of one hour
    profile
        .clone()
        .with_expiry(Duration::from_secs(3600))
        .set(&Profile {
            language: "fr".into(),
            visits: 1,
        })
        .await?;

    // patchState: merges top-level keys
    let merged = profile.patch(&serde_json::json!({"visits": 2})).await?;
    println!("patched: {merged:?}");

    // setStateExpiry(null) then delete (`{"payload":null}`)
    profile.set_expiry(None).await?;
    profile.delete().await?;
    println!("after delete: {:?}", profile.get().await?);
    client.delete_user().id(&user.id).send().await?;
    Ok(())
}
