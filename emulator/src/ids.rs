//! Identifiers and timestamps in the service's formats: resource ids with their real prefixes
//! (`conv_`, `user_`, `msg_`, ... followed by a 26-character ULID, 28..36 characters in all),
//! error ids `err_<YYYYMMDDHHMMSS>x<8 hex>` and ISO 8601 UTC timestamps with milliseconds.

use chrono::{DateTime, SecondsFormat, Utc};
use rand::Rng;

/// Crockford base 32, as ULIDs use it.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A new resource id: `prefix` followed by a ULID (time-ordered, 26 characters).
pub fn new_id(prefix: &str) -> String {
    let millis = Utc::now().timestamp_millis().max(0) as u128;
    let random: u128 = rand::rng().random::<u128>() & ((1u128 << 80) - 1);
    let mut value = (millis << 80) | random;
    let mut chars = [0u8; 26];
    for slot in chars.iter_mut().rev() {
        *slot = CROCKFORD[(value & 31) as usize];
        value >>= 5;
    }
    let mut id = String::with_capacity(prefix.len() + 26);
    id.push_str(prefix);
    id.push_str(std::str::from_utf8(&chars).expect("ASCII"));
    id
}

/// A random lowercase hexadecimal string of `bytes * 2` characters (secrets in URLs).
pub fn random_hex(bytes: usize) -> String {
    let mut rng = rand::rng();
    (0..bytes)
        .map(|_| format!("{:02x}", rng.random::<u8>()))
        .collect()
}

/// An error id as the service gives it: `err_<YYYYMMDDHHMMSS>x<8 hex>`.
pub fn error_id() -> String {
    format!(
        "err_{}x{}",
        Utc::now().format("%Y%m%d%H%M%S"),
        random_hex(4).to_uppercase()
    )
}

/// A timestamp in the wire form, e.g. `2024-01-01T00:00:00.000Z`.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The current time in the wire form: the time of the request being served, on the
/// emulator's clock (see [`crate::platform::clock`]).
pub fn now() -> String {
    timestamp(now_utc())
}

/// The current time: the time of the request being served, on the emulator's clock.
pub fn now_utc() -> DateTime<Utc> {
    crate::platform::clock::now()
}

/// Parses an ISO 8601 timestamp (RFC 3339), as accepted in bodies and queries.
pub fn parse_time(value: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(value)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_prefix_and_a_valid_length() {
        for prefix in [
            "conv_", "user_", "msg_", "evt_", "wfl_", "file_", "kb_", "task_", "state_",
        ] {
            let id = new_id(prefix);
            assert!(id.starts_with(prefix));
            assert!((28..=36).contains(&id.len()), "{id}");
            assert!(id[prefix.len()..].bytes().all(|b| CROCKFORD.contains(&b)));
        }
        assert_ne!(new_id("conv_"), new_id("conv_"));
    }

    #[test]
    fn error_ids_have_the_service_format() {
        let id = error_id();
        let re = regex::Regex::new(r"^err_\d{14}x[0-9A-F]{8}$").unwrap();
        assert!(re.is_match(&id), "{id}");
    }

    #[test]
    fn timestamps_have_milliseconds_and_z() {
        let t = parse_time("2024-01-02T03:04:05.678+00:00").unwrap();
        assert_eq!(timestamp(t), "2024-01-02T03:04:05.678Z");
    }
}
