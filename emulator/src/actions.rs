//! `callAction`: actions registered in code ([`crate::Config::action`]) run in-process;
//! any other action is forwarded to `--action-url` (POST `{type, input}` → `{output}`);
//! without either, an unknown action is `404 ResourceNotFound` naming it.

use botpress::types;
use serde_json::{Value, json};

use crate::{api::Req, error::ApiError, server::AppState};

/// Runs the action of a `callAction` request; the response body.
pub async fn call(state: &AppState, req: &Req) -> Result<Value, ApiError> {
    let body: types::CallActionBody = req.body()?;
    let input = Value::Object(body.input);
    let output = if let Some(handler) = state.config.actions.get(&body.type_) {
        let handler = handler.clone();
        handler(input).map_err(|message| {
            ApiError::runtime(format!("Action {} failed: {message}", body.type_))
        })?
    } else if let Some(url) = &state.config.action_url {
        forward(state, url, &body.type_, input, req).await?
    } else {
        return Err(ApiError::not_found(format!(
            "Action {} is not registered in the emulator (register it with Config::action or start it with --action-url)",
            body.type_
        )));
    };
    if !output.is_object() {
        return Err(ApiError::runtime(format!(
            "Action {} returned a non-object output",
            body.type_
        )));
    }
    Ok(json!({ "output": output, "meta": { "cached": false } }))
}

async fn forward(
    state: &AppState,
    url: &str,
    action: &str,
    input: Value,
    req: &Req,
) -> Result<Value, ApiError> {
    let response = state
        .http
        .post(url)
        .header("x-bot-id", &req.bot_id)
        .json(&json!({ "type": action, "input": input }))
        .send()
        .await
        .map_err(|e| {
            ApiError::runtime(format!(
                "Action {action}: the action server could not be reached ({e})"
            ))
        })?;
    let status = response.status();
    let text = response.text().await.map_err(|e| {
        ApiError::runtime(format!(
            "Action {action}: reading the action server's answer failed ({e})"
        ))
    })?;
    if !status.is_success() {
        return Err(ApiError::runtime(format!(
            "Action {action} failed on the action server (HTTP {status}): {text}"
        )));
    }
    let value: Value = serde_json::from_str(&text).map_err(|_| {
        ApiError::runtime(format!(
            "Action {action}: the action server did not answer JSON"
        ))
    })?;
    value.get("output").cloned().ok_or_else(|| {
        ApiError::runtime(format!(
            "Action {action}: the action server's answer has no `output`"
        ))
    })
}
