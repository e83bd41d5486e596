//! Client configuration: headers on the wire, environment, `ConfigError`s, redaction.

use crate::support;

use std::collections::HashMap;
use std::time::Duration;

use botpress::prelude::*;
use support::faults::{Fault, FaultServer};

const TOKEN: &str = "bp_pat_S3CR3T-token-value";

fn tables() -> Fault {
    Fault::json(200, &serde_json::json!({"tables": []}))
}

fn lookup<'a>(
    vars: &'a HashMap<&'static str, &'static str>,
) -> impl FnMut(&'static str) -> Result<Option<String>, ()> + 'a {
    move |name| Ok(vars.get(name).map(|v| v.to_string()))
}

/// The header names of a request, in wire order.
fn names(r: &support::faults::Received) -> Vec<&str> {
    r.headers.iter().map(|(k, _)| k.as_str()).collect()
}

#[tokio::test]
async fn identity_headers_and_user_agent_on_the_wire() {
    let server = FaultServer::scripted(vec![], tables()).await;
    let client = Client::builder()
        .base_url(&server.base_url)
        .token(TOKEN)
        .workspace_id("ws_1")
        .bot_id("bot_1")
        .integration_id("intg_1")
        .integration_alias("alias1")
        .build()
        .unwrap();
    client.list_tables().send().await.unwrap();

    let r = &server.received()[0];
    assert_eq!(r.method, "GET");
    assert_eq!(r.target, "/v1/tables");
    assert_eq!(
        names(r),
        [
            "x-workspace-id",
            "x-bot-id",
            "x-integration-id",
            "x-integration-alias",
            "authorization",
            "accept",
            "user-agent",
            "host"
        ]
    );
    assert_eq!(r.header("x-workspace-id"), Some("ws_1"));
    assert_eq!(r.header("x-bot-id"), Some("bot_1"));
    assert_eq!(r.header("x-integration-id"), Some("intg_1"));
    assert_eq!(r.header("x-integration-alias"), Some("alias1"));
    assert_eq!(r.header("authorization"), Some(&*format!("Bearer {TOKEN}")));
    assert_eq!(
        r.header("user-agent"),
        Some(&*format!("botpress-rust/{}", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(r.header("api-version"), None);
}

#[tokio::test]
async fn custom_headers_user_agent_and_user_id() {
    let server = FaultServer::scripted(vec![], tables()).await;
    let client = Client::builder()
        .base_url(&server.base_url)
        .bot_id("bot_1")
        .user_id("user_9")
        .user_agent("my-agent/1.0")
        .header("x-bot-id", "bot_override")
        .header("x-trace", "t1")
        .build()
        .unwrap();
    client.list_tables().send().await.unwrap();

    let r = &server.received()[0];
    assert_eq!(
        names(r),
        [
            "x-bot-id",
            "x-user-id",
            "accept",
            "x-trace",
            "user-agent",
            "host"
        ]
    );
    assert_eq!(r.header("x-bot-id"), Some("bot_override"));
    assert_eq!(r.header("x-user-id"), Some("user_9"));
    assert_eq!(r.header("x-trace"), Some("t1"));
    assert_eq!(r.header("user-agent"), Some("my-agent/1.0"));
    assert_eq!(r.header("authorization"), None);
}

#[tokio::test]
async fn identity_clones_change_one_header_and_share_the_rest() {
    let server = FaultServer::scripted(vec![], tables()).await;
    let client = Client::builder()
        .base_url(&server.base_url)
        .token(TOKEN)
        .bot_id("bot_1")
        .build()
        .unwrap();
    let bot2 = client.with_bot_id("bot_2");
    let user = bot2.with_user_id("user_7");
    let intg = client.with_integration_id("intg_3");
    client.list_tables().send().await.unwrap();
    bot2.list_tables().send().await.unwrap();
    user.list_tables().send().await.unwrap();
    intg.list_tables().send().await.unwrap();

    let got: Vec<_> = server
        .received()
        .iter()
        .map(|r| {
            (
                r.header("x-bot-id").map(str::to_owned),
                r.header("x-user-id").map(str::to_owned),
                r.header("x-integration-id").map(str::to_owned),
                r.header("authorization").map(str::to_owned),
            )
        })
        .collect();
    let bearer = Some(format!("Bearer {TOKEN}"));
    let s = |v: &str| Some(v.to_owned());
    assert_eq!(
        got,
        [
            (s("bot_1"), None, None, bearer.clone()),
            (s("bot_2"), None, None, bearer.clone()),
            (s("bot_2"), s("user_7"), None, bearer.clone()),
            (s("bot_1"), None, s("intg_3"), bearer.clone()),
        ]
    );
    assert_eq!(client.identity().get_bot_id(), Some("bot_1"));
    assert_eq!(user.identity().get_user_id(), Some("user_7"));
}

#[tokio::test]
async fn invalid_clone_identity_fails_requests_without_sending() {
    let server = FaultServer::scripted(vec![], tables()).await;
    let client = Client::builder()
        .base_url(&server.base_url)
        .build()
        .unwrap();
    let bad = client.with_bot_id("bot\r\nx-evil: 1");
    let err = bad.list_tables().send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    assert_eq!(
        err.message(),
        "option `bot_id` cannot be sent in an HTTP header: it contains a control character such as a newline"
    );
    assert_eq!(server.count(), 0);
    // The original is unaffected.
    client.list_tables().send().await.unwrap();
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn options_win_over_environment_which_wins_over_defaults() {
    let server = FaultServer::scripted(vec![], tables()).await;
    let vars = HashMap::from([
        (
            "BP_API_URL",
            server.base_url.as_str().to_owned().leak() as &'static str,
        ),
        ("BP_TOKEN", "env_token"),
        ("BP_BOT_ID", "env_bot"),
        ("BP_INTEGRATION_ID", "env_intg"),
        ("BP_WORKSPACE_ID", "env_ws"),
    ]);
    // Option before and after the environment: both win.
    let client = Client::builder()
        .bot_id("option_bot")
        .from_lookup(lookup(&vars))
        .workspace_id("option_ws")
        .build()
        .unwrap();
    client.list_tables().send().await.unwrap();
    let r = &server.received()[0];
    assert_eq!(r.header("x-bot-id"), Some("option_bot"));
    assert_eq!(r.header("x-workspace-id"), Some("option_ws"));
    assert_eq!(r.header("x-integration-id"), Some("env_intg"));
    assert_eq!(r.header("authorization"), Some("Bearer env_token"));

    // Without the environment: the default base URL.
    let default = Client::builder().build().unwrap();
    assert_eq!(default.base_url(), "https://api.botpress.cloud");
}

#[test]
fn config_errors_name_the_setting() {
    let env_err = |name: &'static str, value: &'static str| {
        let vars = HashMap::from([(name, value)]);
        Client::builder()
            .from_lookup(lookup(&vars))
            .build()
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        env_err("BP_API_URL", "api.botpress.cloud"),
        "`BP_API_URL` is not a valid URL: relative URL without a base"
    );
    assert_eq!(
        env_err("BP_API_URL", "ftp://x"),
        "`BP_API_URL` is not a valid URL: the scheme must be http or https"
    );
    assert_eq!(env_err("BP_TOKEN", ""), "`BP_TOKEN` is set but empty");
    assert_eq!(
        env_err("BP_BOT_ID", "bot\n1"),
        "`BP_BOT_ID` cannot be sent in an HTTP header: it contains a control character such as a newline"
    );
    assert_eq!(
        env_err("BP_WORKSPACE_ID", ""),
        "`BP_WORKSPACE_ID` is set but empty"
    );
    let not_unicode = Client::builder()
        .from_lookup(|name| {
            if name == "BP_INTEGRATION_ID" {
                Err(())
            } else {
                Ok(None)
            }
        })
        .build()
        .unwrap_err();
    assert_eq!(
        not_unicode.to_string(),
        "`BP_INTEGRATION_ID` is not valid Unicode"
    );

    let opt_err = |b: botpress::ClientBuilder| b.build().unwrap_err().to_string();
    assert_eq!(
        opt_err(Client::builder().token("")),
        "option `token` is set but empty"
    );
    assert_eq!(
        opt_err(Client::builder().token("abc\ndef")),
        "option `token` cannot be sent in an HTTP header: it contains a control character such as a newline"
    );
    assert_eq!(
        opt_err(Client::builder().base_url("http://h/x?y=1")),
        "option `base_url` is not a valid URL: it must not have a query or a fragment"
    );
    assert_eq!(
        opt_err(Client::builder().integration_alias("a\r\nb")),
        "option `integration_alias` cannot be sent in an HTTP header: it contains a control character such as a newline"
    );
    assert_eq!(
        opt_err(Client::builder().header("bad header", "v")),
        "`bad header` is not a valid HTTP header name"
    );
    assert_eq!(
        opt_err(Client::builder().header("x-a", "1\n2")),
        "header `x-a` cannot be sent in an HTTP header: it contains a control character such as a newline"
    );
    assert_eq!(
        opt_err(Client::builder().user_agent("")),
        "option `user_agent` is set but empty"
    );
    assert_eq!(
        opt_err(Client::builder().timeout(Duration::ZERO)),
        "option `timeout` must be greater than zero"
    );
    assert_eq!(
        opt_err(Client::builder().total_timeout(Duration::ZERO)),
        "option `total_timeout` must be greater than zero"
    );
    assert_eq!(
        opt_err(Client::builder().connect_timeout(Duration::ZERO)),
        "option `connect_timeout` must be greater than zero"
    );
    assert_eq!(
        opt_err(Client::builder().retry(RetryPolicy::new().max_attempts(0))),
        "option `retry.max_attempts` must be greater than zero"
    );
    assert_eq!(
        opt_err(Client::builder().pacing(Pacing::new().max_in_flight(0))),
        "option `pacing.max_in_flight` must be greater than zero"
    );
    assert_eq!(
        opt_err(
            Client::builder()
                .http_client(botpress::tls::reqwest_builder().unwrap().build().unwrap())
                .connect_timeout(Duration::from_secs(1))
        ),
        "`connect_timeout` cannot be applied to a custom reqwest::Client: set it on its reqwest::ClientBuilder"
    );
}

#[test]
fn the_token_never_shows() {
    let builder = Client::builder().token(TOKEN).bot_id("bot_1");
    assert!(!format!("{builder:?}").contains("S3CR3T"));
    let client = builder.build().unwrap();
    let debug = format!("{client:?}");
    assert!(!debug.contains("S3CR3T"), "{debug}");
    assert!(debug.contains("bot_1"), "{debug}");
    assert!(!format!("{:?}", client.with_user_id("u").identity()).contains("S3CR3T"));
    // A bad token is reported without its value.
    let err = Client::builder()
        .token(format!("{TOKEN}\n"))
        .build()
        .unwrap_err();
    assert!(!err.to_string().contains("S3CR3T"));
    assert!(!format!("{err:?}").contains("S3CR3T"));
    let err = botpress::Error::from(err);
    assert!(!err.to_string().contains("S3CR3T"));
}

/// Runs in a child process with the `BP_*` variables set by
/// [`from_env_reads_the_process_environment`].
#[tokio::test]
#[ignore = "run by from_env_reads_the_process_environment in a child process"]
async fn from_env_child() {
    let client = Client::from_env().expect("configuration from the environment");
    assert!(!format!("{client:?}").contains("env_S3CR3T"));
    client.list_tables().send().await.expect("request");
}

/// The libtest name of the test `name` of this module (its path without the crate's name), for
/// running it alone in a child process of this test binary.
fn child_test(name: &str) -> String {
    let module = module_path!().split_once("::").map_or("", |(_, rest)| rest);
    format!("{module}::{name}")
}

#[tokio::test]
async fn from_env_reads_the_process_environment() {
    let server = FaultServer::scripted(vec![], tables()).await;
    let url = server.base_url.clone();
    let status = tokio::task::spawn_blocking(move || {
        std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                &child_test("from_env_child"),
                "--include-ignored",
                "--quiet",
            ])
            .env("BP_API_URL", url)
            .env("BP_TOKEN", "env_S3CR3T")
            .env("BP_BOT_ID", "env_bot")
            .env("BP_INTEGRATION_ID", "env_intg")
            .env("BP_WORKSPACE_ID", "env_ws")
            .status()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(status.success());
    let r = &server.received()[0];
    assert_eq!(
        names(r)[..4],
        [
            "x-workspace-id",
            "x-bot-id",
            "x-integration-id",
            "authorization"
        ]
    );
    assert_eq!(r.header("x-workspace-id"), Some("env_ws"));
    assert_eq!(r.header("x-bot-id"), Some("env_bot"));
    assert_eq!(r.header("x-integration-id"), Some("env_intg"));
    assert_eq!(r.header("authorization"), Some("Bearer env_S3CR3T"));
}
