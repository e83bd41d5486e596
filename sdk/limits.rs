//! Local platform limits: requests the service would refuse for their size are refused before
//! anything is sent, with an error of kind
//! [`ErrorKind::LimitExceeded`](crate::ErrorKind::LimitExceeded) that names the limit and by
//! how much the request is over it.
//!
//! | limit | value | operations |
//! |---|---|---|
//! | a message's `payload`, as JSON | 128 KiB | createMessage, getOrCreateMessage, updateMessage |
//! | a state's `payload`, as JSON | 128 KiB | setState, getOrSetState |
//! | request body, Runtime and Files APIs | 1 MiB | every `/v1/chat` and `/v1/files` operation |
//! | request body, Tables API | 40 MiB | every `/v1/tables` operation |
//!
//! The values are the Botpress docs' ("Limits and Quotas of Botpress Cloud",
//! <https://botpress.com/docs/cloud/getting-started/platform-limits>), "128 KB" and "1 MB" read
//! as KiB and MiB, as `botpress-emulator` enforces them. A state payload is checked as sent: a
//! `patchState` that makes the stored state too large is found by the service only. On by
//! default; [`ClientBuilder::local_limits`](crate::ClientBuilder::local_limits)`(false)` sends
//! such requests anyway (to a server with other limits).

use serde::Deserialize;
use serde_json::value::RawValue;

/// 128 KiB: a message's or a state's payload.
const PAYLOAD_BYTES: usize = 128 * 1024;
/// 1 MiB: a Runtime or Files API body.
const RUNTIME_BODY_BYTES: usize = 1024 * 1024;
/// 40 MiB: a Tables API body.
const TABLES_BODY_BYTES: usize = 40 * 1024 * 1024;

/// The operations whose body's `payload` has a size limit, and what that payload is.
const PAYLOADS: [(&str, &str); 5] = [
    ("createMessage", "message payload"),
    ("getOrCreateMessage", "message payload"),
    ("updateMessage", "message payload"),
    ("setState", "state payload"),
    ("getOrSetState", "state payload"),
];

/// The `payload` of a body, as its JSON text (borrowed: the body is scanned, not copied).
#[derive(Deserialize)]
struct Payload<'a> {
    #[serde(borrow)]
    payload: Option<&'a RawValue>,
}

/// Why a request of `operation` to `path` with `body` would be refused for its size, if it
/// would.
pub(crate) fn check(operation: &str, path: &str, body: &[u8]) -> Option<String> {
    let (limit, api) = if path.starts_with("/v1/tables") {
        (TABLES_BODY_BYTES, "Tables")
    } else {
        (RUNTIME_BODY_BYTES, "Runtime and Files")
    };
    if body.len() > limit {
        return Some(over(
            &format!("the request body of the {api} API"),
            body.len(),
            limit,
        ));
    }
    let (_, what) = PAYLOADS.iter().find(|(op, _)| *op == operation)?;
    let size = serde_json::from_slice::<Payload<'_>>(body)
        .ok()?
        .payload?
        .get()
        .len();
    (size > PAYLOAD_BYTES).then(|| over(&format!("the {what}"), size, PAYLOAD_BYTES))
}

fn over(what: &str, size: usize, limit: usize) -> String {
    format!(
        "{what} is {size} bytes as JSON, over the platform limit of {limit} bytes ({} KiB) by {}; nothing was sent",
        limit / 1024,
        size - limit
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(text_len: usize) -> Vec<u8> {
        serde_json::to_vec(
            &json!({"conversationId": "c", "payload": {"text": "x".repeat(text_len)}}),
        )
        .unwrap()
    }

    #[test]
    fn payloads_are_measured_as_their_json() {
        let overhead = json!({"text": ""}).to_string().len();
        let at = body(PAYLOAD_BYTES - overhead);
        assert_eq!(check("createMessage", "/v1/chat/messages", &at), None);
        let over = body(PAYLOAD_BYTES - overhead + 5);
        let message = check("createMessage", "/v1/chat/messages", &over).unwrap();
        assert!(
            message.starts_with("the message payload is 131077 bytes as JSON")
                && message.contains("by 5;"),
            "{message}"
        );
        assert_eq!(check("createEvent", "/v1/chat/events", &over), None);
        assert!(check("setState", "/v1/chat/states/user/u/s", &over).is_some());
    }

    #[test]
    fn bodies_have_their_apis_limit() {
        let big = vec![b' '; RUNTIME_BODY_BYTES + 1];
        let message = check("createUser", "/v1/chat/users", &big).unwrap();
        assert!(message.contains("Runtime and Files API"), "{message}");
        assert_eq!(check("createTableRows", "/v1/tables/t/rows", &big), None);
        let bigger = vec![b' '; TABLES_BODY_BYTES + 1];
        assert!(check("createTableRows", "/v1/tables/t/rows", &bigger).is_some());
    }
}
