//! The SDK against an embedded emulator: a client bound to it as one bot, and the
//! conversation most tests start from.

use botpress::{Client, ClientBuilder};
use botpress_emulator::Emulator;

/// A client of `emulator` as `bot_id`, with the default behaviour.
pub(crate) fn client(emulator: &Emulator, bot_id: &str) -> Client {
    client_with(emulator, bot_id, |b| b)
}

/// A client of `emulator` as `bot_id`, its builder changed by `change`.
pub(crate) fn client_with(
    emulator: &Emulator,
    bot_id: &str,
    change: impl FnOnce(ClientBuilder) -> ClientBuilder,
) -> Client {
    change(
        Client::builder()
            .base_url(emulator.base_url())
            .token(emulator.token())
            .bot_id(bot_id),
    )
    .build()
    .expect("valid configuration")
}

/// Creates a conversation (channel `web`, one tag); its id.
pub(crate) async fn conversation(client: &Client) -> String {
    client
        .create_conversation()
        .channel("web")
        .tags([("k", "v")])
        .send()
        .await
        .expect("created")
        .conversation
        .id
}

/// Creates a user (one tag); its id.
pub(crate) async fn user(client: &Client) -> String {
    client
        .create_user()
        .tags([("k", "v")])
        .send()
        .await
        .expect("created")
        .user
        .id
}
