//! Shared set-up of the examples: a client for `BP_API_URL`/`BP_TOKEN`/`BP_BOT_ID`, or, when
//! `BP_TOKEN` is unset, for an emulator started in-process.
#![allow(dead_code)]

/// A connected client, and the embedded emulator when one was started (kept alive).
pub(crate) struct Session {
    pub client: botpress::Client,
    _emulator: Option<botpress_emulator::Emulator>,
}

/// Connects to the service named by the environment, or to an embedded emulator (with a
/// `demo:echo` action) when `BP_TOKEN` is unset.
pub(crate) async fn connect() -> Result<Session, Box<dyn std::error::Error>> {
    if std::env::var_os("BP_TOKEN").is_some() {
        return Ok(Session {
            client: botpress::Client::from_env()?,
            _emulator: None,
        });
    }
    let emulator = botpress_emulator::spawn(
        botpress_emulator::Config::new().action("demo:echo", |input| Ok(input.clone())),
    )
    .await?;
    println!(
        "BP_TOKEN is unset: using an embedded emulator at {}",
        emulator.base_url()
    );
    let client = botpress::Client::builder()
        .base_url(emulator.base_url())
        .token(emulator.token())
        .bot_id("bot_example")
        .build()?;
    Ok(Session {
        client,
        _emulator: Some(emulator),
    })
}
