//! Exactly-once creates: `idempotency_key(key)` on the creates whose resource has a
//! get-or-create twin (`create_conversation`, `create_user`, `create_message`,
//! `create_workflow`).
//!
//! Botpress has no idempotency header, and a create is a `POST`: when its answer is lost (a
//! reset connection, a `502` from a proxy after the write committed) the client cannot know
//! whether it happened, so it is not retried, and a program that runs it again makes a
//! second resource. With a key, the create is sent as its get-or-create twin
//! (`getOrCreateConversation`, …) with the tag [`IDEMPOTENCY_TAG`] set to the key and
//! `discriminateByTags: ["idempotencyKey"]`: the first call creates the resource, and any
//! later call with the same key (a retry, a re-run after a crash) returns that resource
//! instead. The call is therefore retried like an idempotent one (`5xx`, a lost answer), and
//! answers what the create answers.
//!
//! The key is a tag: it is stored on the resource, can be listed with a tag filter, and must
//! be declared among the bot's tags where the service requires declared tags. Events have no
//! tags and no get-or-create twin, so `create_event` has no key.
//!
//! ```no_run
//! # async fn demo(client: &botpress::Client) -> botpress::Result<()> {
//! // Safe to run twice: the second run returns the first run's conversation.
//! let conversation = client
//!     .create_conversation()
//!     .channel("web")
//!     .tags([("ticket", "T-1")])
//!     .idempotency_key("ticket-T-1")
//!     .send()
//!     .await?
//!     .conversation;
//! # let _ = conversation; Ok(()) }
//! ```

use std::collections::BTreeMap;

use bytes::Bytes;
use serde_json::value::RawValue;

use crate::operation::{Operation, Request};

/// The tag an idempotency key is stored under.
pub const IDEMPOTENCY_TAG: &str = "idempotencyKey";

impl Request {
    /// Sends this create as its get-or-create `twin` under `key` (see the [module docs](self)).
    pub(crate) fn exactly_once(&mut self, twin: &'static Operation, key: &str) {
        if self.problem.is_some() {
            return;
        }
        if key.is_empty() {
            self.problem = Some("the idempotency key is empty".into());
            return;
        }
        match self.body.as_deref().map(|body| keyed(body, key)) {
            Some(Ok(body)) => {
                self.body = Some(Bytes::from(body));
                self.operation = twin;
                self.path.clear();
                self.path.push_str(twin.path);
                self.idempotent = true;
            }
            Some(Err(problem)) => self.problem = Some(problem),
            None => self.problem = Some("an idempotency key needs a body".into()),
        }
    }
}

/// The create's body with the key's tag and `discriminateByTags`; the other fields as they
/// were sent (numbers kept to the digit).
fn keyed(body: &[u8], key: &str) -> Result<Vec<u8>, String> {
    let invalid = |e: serde_json::Error| format!("the body is not a JSON object: {e}");
    let mut fields: BTreeMap<String, &RawValue> = serde_json::from_slice(body).map_err(invalid)?;
    let mut tags: BTreeMap<String, String> = match fields.get("tags") {
        Some(tags) => serde_json::from_str(tags.get()).map_err(invalid)?,
        None => BTreeMap::new(),
    };
    if let Some(other) = tags.insert(IDEMPOTENCY_TAG.into(), key.into())
        && other != key
    {
        return Err(format!(
            "the tag `{IDEMPOTENCY_TAG}` is set to {other:?} and the idempotency key is {key:?}: \
             the key is stored in that tag"
        ));
    }
    let tags = serde_json::value::to_raw_value(&tags).map_err(invalid)?;
    let discriminate = serde_json::value::to_raw_value(&[IDEMPOTENCY_TAG]).map_err(invalid)?;
    fields.insert("tags".into(), &tags);
    fields.insert("discriminateByTags".into(), &discriminate);
    serde_json::to_vec(&fields).map_err(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_joins_the_tags_and_numbers_keep_their_digits() {
        let body = br#"{"name":"w","input":{"x":0.30000000000000004,"big":123456789012345678901},"tags":{"a":"1"}}"#;
        let out = String::from_utf8(keyed(body, "k-1").unwrap()).unwrap();
        assert_eq!(
            out,
            r#"{"discriminateByTags":["idempotencyKey"],"input":{"x":0.30000000000000004,"big":123456789012345678901},"name":"w","tags":{"a":"1","idempotencyKey":"k-1"}}"#
        );
        // Escapes in tags survive.
        let out = String::from_utf8(keyed(br#"{"tags":{"q\"\n":"\u00e9\\"}}"#, "k").unwrap());
        assert!(out.unwrap().contains(r#""q\"\n":"é\\""#));
        // No tags yet: the key's tag is the only one.
        let out = String::from_utf8(keyed(br#"{"channel":"web"}"#, "k").unwrap()).unwrap();
        assert_eq!(
            out,
            r#"{"channel":"web","discriminateByTags":["idempotencyKey"],"tags":{"idempotencyKey":"k"}}"#
        );
    }

    #[test]
    fn a_different_value_in_the_reserved_tag_is_refused() {
        let body = br#"{"tags":{"idempotencyKey":"other"}}"#;
        let problem = keyed(body, "k").unwrap_err();
        assert!(
            problem.contains("`idempotencyKey` is set to \"other\""),
            "{problem}"
        );
        // The same value is the same key.
        assert!(keyed(br#"{"tags":{"idempotencyKey":"k"}}"#, "k").is_ok());
    }
}
