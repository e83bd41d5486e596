//! Users: create, get, list, update (with an explicit `null`), delete, get-or-create.
//!
//! `cargo run --example users`.
mod common;

use botpress::Nullable;
use botpress::prelude::*;
use futures::TryStreamExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let session = common::connect().await?;
    let client = &session.client;

    // createUser
    let user = client
        .create_user()
        .tags([("email", "ada@example.com")])
        .name("Ada".to_string())
        .send()
        .await?
        .user;
    println!("created {} ({:?})", user.id, user.name);

    // getUser
    let got = client.get_user().id(&user.id).send().await?;
    println!("got {}", got.user.id);

    // updateUser: `name: null` clears the name; absent fields are left as they are.
    let updated = client
        .update_user()
        .id(&user.id)
        .name(Nullable::Null)
        .send()
        .await?;
    println!("name after clearing: {:?}", updated.user.name);

    // getOrCreateUser: finds the same user by its tags
    let (same, created) = client
        .get_or_create_user()
        .tags([("email", "ada@example.com")])
        .send_created()
        .await?;
    println!("get-or-create: {} (created: {created})", same.id);

    // listUsers
    let users: Vec<_> = client.list_users().stream().try_collect().await?;
    println!("{} user(s)", users.len());

    // deleteUser
    client.delete_user().id(&user.id).send().await?;
    Ok(())
}
