//! Authentication and bot identity: `Authorization: Bearer <token>` must carry the configured
//! token (else `401 Unauthorized`), and `x-bot-id` names the bot whose data the call sees.

use axum::http::HeaderMap;

use crate::error::ApiError;

/// Checks the bearer token (compared in constant time; never echoed in errors).
pub fn check_token(headers: &HeaderMap, expected: &str) -> Result<(), ApiError> {
    let given = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    match given {
        None => Err(ApiError::unauthorized(
            "Authentication required: send `Authorization: Bearer <token>`",
        )),
        Some(token) if constant_time_eq(token.as_bytes(), expected.as_bytes()) => Ok(()),
        Some(_) => Err(ApiError::unauthorized("Invalid token")),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Longest accepted `x-bot-id`.
const MAX_BOT_ID_LEN: usize = 100;

/// The calling bot. The real service rejects a Runtime/Files/Tables call without `x-bot-id`
/// before it reaches the operation; the emulator answers that case with
/// `400 InvalidPayload` naming the header (the document declares the header required).
pub fn bot_id(headers: &HeaderMap) -> Result<String, ApiError> {
    let value = headers.get("x-bot-id").map(|v| v.to_str().map(str::trim));
    match value {
        None | Some(Ok("")) => Err(ApiError::invalid_payload(
            "header x-bot-id: the header is required",
        )),
        Some(Err(_)) => Err(ApiError::invalid_payload(
            "header x-bot-id: not a valid header value",
        )),
        Some(Ok(id)) if id.len() > MAX_BOT_ID_LEN || id.chars().any(char::is_control) => Err(
            ApiError::invalid_payload("header x-bot-id: not a valid bot id"),
        ),
        Some(Ok(id)) => Ok(id.to_string()),
    }
}

/// An optional identity header (`x-integration-id`, `x-user-id`, ...), trimmed, if non-empty.
pub fn optional_header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(String::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn tokens_are_checked() {
        assert!(check_token(&headers(&[("authorization", "Bearer t1")]), "t1").is_ok());
        let e = check_token(&headers(&[("authorization", "Bearer nope")]), "t1").unwrap_err();
        assert_eq!((e.status, e.error_type), (401, "Unauthorized"));
        assert!(!e.message.contains("t1"));
        assert_eq!(check_token(&headers(&[]), "t1").unwrap_err().status, 401);
    }

    #[test]
    fn bot_id_is_required() {
        assert_eq!(bot_id(&headers(&[("x-bot-id", "b1")])).unwrap(), "b1");
        let e = bot_id(&headers(&[])).unwrap_err();
        assert_eq!((e.status, e.error_type), (400, "InvalidPayload"));
        assert!(e.message.contains("x-bot-id"));
    }
}
