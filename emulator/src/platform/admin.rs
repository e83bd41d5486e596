//! The admin API, under [`super::ADMIN_PREFIX`]: the test platform over HTTP, for tests that
//! run the emulator as a separate process. It takes the emulator's bearer token, answers
//! JSON, and reports errors in the API's error shape.
//!
//! | route | |
//! |---|---|
//! | `GET /_emulator/faults` | the armed faults, with the times left: `{"faults": [...]}` |
//! | `POST /_emulator/faults` | arm a fault (a [`Fault`] as JSON, or `{"faults": [...]}`); answers the list |
//! | `DELETE /_emulator/faults` | disarm every fault |
//! | `GET /_emulator/journal` | the calls, oldest first: `{"calls": [...]}`; `?operation=&bot=` filter them |
//! | `DELETE /_emulator/journal` | forget every call |
//! | `GET /_emulator/clock` | `{"now": "...", "mode": "manual"}` |
//! | `POST /_emulator/clock` | `{"advanceMs": 60000}` moves it forward, `{"now": "2026-01-01T00:00:00Z"}` puts it there; answers like `GET` |
//! | `GET /_emulator/state` | a [snapshot](super::snapshot) of everything stored; `?bot=` of one bot's data |
//! | `PUT /_emulator/state` | restore a snapshot (the body, up to `--max-upload-bytes`); answers `{"bot": ..., "rows": {"docs": 12, ...}}` |
//! | `DELETE /_emulator/state` | delete everything stored; `?bot=` one bot's data |

use axum::{
    body::Body,
    http::{HeaderMap, Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

use super::Fault;
use crate::{auth, error::ApiError, query, server::AppState, spec::Spec};

/// Serves one admin request (`rest`: the path after the prefix).
pub(crate) async fn handle(
    state: &AppState,
    method: &Method,
    rest: &str,
    raw_query: Option<&str>,
    headers: &HeaderMap,
    body: Body,
) -> Response {
    match serve(state, method, rest, raw_query, headers, body).await {
        Ok(value) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            value.to_string(),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

async fn serve(
    state: &AppState,
    method: &Method,
    rest: &str,
    raw_query: Option<&str>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Value, ApiError> {
    auth::check_token(headers, &state.token)?;
    let platform = &state.platform;
    let route = rest.trim_end_matches('/');
    match (route, method.as_str()) {
        ("faults", "GET") => Ok(faults(state)),
        ("faults", "POST") => {
            let value = json_body(state, headers, body).await?;
            let given = match value.get("faults") {
                Some(list) => list.clone(),
                None => Value::Array(vec![value]),
            };
            let given: Vec<Fault> = serde_path_to_error::deserialize(given)
                .map_err(|e| ApiError::invalid_payload(format!("body: not a fault ({e})")))?;
            for fault in &given {
                fault
                    .validate(Spec::has_operation)
                    .map_err(|e| ApiError::invalid_payload(format!("body: {e}")))?;
            }
            for fault in given {
                platform.faults.push(fault);
            }
            Ok(faults(state))
        }
        ("faults", "DELETE") => {
            platform.faults.clear();
            Ok(faults(state))
        }
        ("journal", "GET") => {
            let pairs = query::pairs(raw_query.unwrap_or(""))?;
            let mut operation = None;
            let mut bot = None;
            for (key, value) in &pairs {
                match key.as_str() {
                    "operation" => operation = Some(value.as_str()),
                    "bot" => bot = Some(value.as_str()),
                    other => {
                        return Err(ApiError::invalid_query(format!(
                            "query: unknown parameter `{other}` (operation, bot)"
                        )));
                    }
                }
            }
            let calls = platform.journal.matching(operation, bot);
            Ok(json!({ "calls": calls }))
        }
        ("journal", "DELETE") => {
            platform.journal.clear();
            Ok(json!({ "calls": [] }))
        }
        ("clock", "GET") => Ok(clock(state)),
        ("clock", "POST") => {
            let value = json_body(state, headers, body).await?;
            let object = value.as_object().filter(|o| o.len() == 1).ok_or_else(|| {
                ApiError::invalid_payload(
                    "body: give one of `advanceMs` (a number) or `now` (a date)",
                )
            })?;
            if let Some(ms) = object.get("advanceMs") {
                let ms = ms.as_u64().ok_or_else(|| {
                    ApiError::invalid_payload(
                        "body.advanceMs: a whole number of milliseconds, 0 or more",
                    )
                })?;
                platform.clock.advance(std::time::Duration::from_millis(ms));
            } else if let Some(now) = object.get("now") {
                let at = now
                    .as_str()
                    .and_then(crate::ids::parse_time)
                    .ok_or_else(|| {
                        ApiError::invalid_payload(
                            "body.now: an ISO 8601 date, e.g. 2026-01-01T00:00:00Z",
                        )
                    })?;
                platform.clock.set(at);
            } else {
                return Err(ApiError::invalid_payload(
                    "body: give one of `advanceMs` (a number) or `now` (a date)",
                ));
            }
            Ok(clock(state))
        }
        ("state", "GET") => {
            let bot = bot_parameter(raw_query)?;
            let snapshot = crate::server::blocking(|| {
                state
                    .store
                    .read(|conn| super::snapshot::take(conn, bot.as_deref()))
            })?;
            Ok(snapshot.to_value())
        }
        ("state", "PUT") => {
            let bytes = crate::server::read_body(
                body,
                headers,
                state.config.max_upload_bytes,
                state.config.limits.body_timeout,
            )
            .await?;
            let snapshot = super::Snapshot::from_json(&bytes)
                .map_err(|e| ApiError::invalid_payload(format!("body: {e}")))?;
            crate::server::blocking(|| {
                state
                    .store
                    .with_tx(|tx| super::snapshot::restore(tx, &snapshot))
            })?;
            Ok(json!({ "bot": snapshot.bot(), "rows": snapshot.counts() }))
        }
        ("state", "DELETE") => {
            let bot = bot_parameter(raw_query)?;
            crate::server::blocking(|| {
                state
                    .store
                    .with_tx(|tx| super::snapshot::reset(tx, bot.as_deref()))
            })?;
            Ok(json!({ "bot": bot }))
        }
        ("faults" | "journal" | "clock" | "state", _) => Err(ApiError::method_not_found(format!(
            "{method} is not allowed on {}{route}",
            super::ADMIN_PREFIX
        ))),
        _ => Err(ApiError::not_found(format!(
            "No admin route {}{route} (faults, journal, clock, state)",
            super::ADMIN_PREFIX
        ))),
    }
}

/// The only parameter of the state routes: `?bot=`.
fn bot_parameter(raw_query: Option<&str>) -> Result<Option<String>, ApiError> {
    let mut bot = None;
    for (key, value) in query::pairs(raw_query.unwrap_or(""))? {
        match key.as_str() {
            "bot" if !value.is_empty() => bot = Some(value),
            "bot" => return Err(ApiError::invalid_query("query.bot: a bot id, not empty")),
            other => {
                return Err(ApiError::invalid_query(format!(
                    "query: unknown parameter `{other}` (bot)"
                )));
            }
        }
    }
    Ok(bot)
}

fn clock(state: &AppState) -> Value {
    let clock = &state.platform.clock;
    json!({ "now": crate::ids::timestamp(clock.now()), "mode": clock.mode() })
}

fn faults(state: &AppState) -> Value {
    json!({ "faults": state.platform.faults.list() })
}

async fn json_body(state: &AppState, headers: &HeaderMap, body: Body) -> Result<Value, ApiError> {
    let bytes = crate::server::read_body(
        body,
        headers,
        state.config.max_body_bytes,
        state.config.limits.body_timeout,
    )
    .await?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::invalid_payload(format!("body: not valid JSON ({e})")))
}
