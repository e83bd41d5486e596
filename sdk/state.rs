//! Typed state: a Botpress state's payload as any serde type.
//!
//! `client.state::<T>(type, id, name)` names one state (`/v1/chat/states/{type}/{id}/{name}`)
//! and reads and writes its payload as `T`:
//!
//! ```no_run
//! use botpress::types::StateType;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize, Default)]
//! struct Profile {
//!     language: String,
//!     visits: u32,
//! }
//!
//! # async fn demo(client: &botpress::Client) -> botpress::Result<()> {
//! let profile = client.state::<Profile>(StateType::User, "user_1", "profile");
//! let current: Option<Profile> = profile.get().await?; // a missing state is `None`
//! profile.set(&Profile { language: "fr".into(), visits: 1 }).await?;
//! let merged = profile.patch(&serde_json::json!({"visits": 2})).await?; // shallow merge
//! let existing_or_new = profile.get_or_set(&Profile::default()).await?;
//! profile.set_expiry(Some(std::time::Duration::from_secs(3600))).await?;
//! profile.delete().await?; // sends {"payload":null}
//! # Ok(()) }
//! ```
//!
//! The payload of a state is a JSON object: a `T` that serializes to anything else (a number,
//! a list, a string) is an error before any request, as are an empty `id` or `name` and an
//! expiry outside 1 ms ..= 30 days.
use std::marker::PhantomData;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::helper_error::{decode, invalid_input, json_kind, require_non_empty};
use crate::{Client, Nullable, types};

/// The longest expiry the service accepts: 30 days, in milliseconds.
pub const MAX_EXPIRY_MS: i64 = 2_592_000_000;

/// One state, its payload typed as `T`; see the [module docs](self).
pub struct TypedState<'c, T> {
    client: &'c Client,
    type_: types::StateType,
    id: String,
    name: String,
    expiry: Option<Nullable<i64>>,
    payload: PhantomData<fn() -> T>,
}

impl<T> Clone for TypedState<'_, T> {
    fn clone(&self) -> Self {
        Self {
            client: self.client,
            type_: self.type_.clone(),
            id: self.id.clone(),
            name: self.name.clone(),
            expiry: self.expiry.clone(),
            payload: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for TypedState<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TypedState")
            .field("type", &self.type_)
            .field("id", &self.id)
            .field("name", &self.name)
            .field("expiry", &self.expiry)
            .field("payload", &std::any::type_name::<T>())
            .finish()
    }
}

impl Client {
    /// The state `name` of the `type_` resource `id`, its payload typed as `T`; see
    /// [`TypedState`]. Nothing is sent until a method of the handle is called.
    pub fn state<T>(
        &self,
        type_: types::StateType,
        id: impl Into<String>,
        name: impl Into<String>,
    ) -> TypedState<'_, T> {
        TypedState {
            client: self,
            type_,
            id: id.into(),
            name: name.into(),
            expiry: None,
            payload: PhantomData,
        }
    }
}

/// The expiry in milliseconds, checked against the service's range.
fn expiry_ms(expiry: Duration) -> crate::Result<i64> {
    let ms = i64::try_from(expiry.as_millis()).unwrap_or(i64::MAX);
    if !(1..=MAX_EXPIRY_MS).contains(&ms) {
        return Err(invalid_input(format!(
            "state expiry must be between 1 ms and 30 days ({MAX_EXPIRY_MS} ms), got {ms} ms"
        )));
    }
    Ok(ms)
}

/// `value` as a JSON object (a state payload).
fn payload_object<P: Serialize + ?Sized>(value: &P) -> crate::Result<Map<String, Value>> {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(invalid_input(format!(
            "a state payload must serialize to a JSON object, not {}",
            json_kind(&other)
        ))),
        Err(e) => Err(invalid_input(format!(
            "the state payload does not encode to JSON: {e}"
        ))),
    }
}

/// `client.<operation>()` with this state's path parameters (`type`, `id`, `name`) set: every
/// state operation addresses its state the same way, on a different generated builder.
macro_rules! at_path {
    ($state:ident . $operation:ident) => {
        $state
            .client
            .$operation()
            .type_($state.type_.clone())
            .id(&$state.id)
            .name(&$state.name)
    };
}

impl<T> TypedState<'_, T>
where
    T: Serialize + DeserializeOwned,
{
    /// Sends this expiry with [`set`](Self::set), [`get_or_set`](Self::get_or_set) and
    /// [`patch`](Self::patch) (checked when they run: 1 ms ..= 30 days).
    pub fn with_expiry(mut self, expiry: Duration) -> Self {
        self.expiry = Some(Nullable::Value(
            i64::try_from(expiry.as_millis()).unwrap_or(i64::MAX),
        ));
        self
    }

    fn check(&self) -> crate::Result<()> {
        require_non_empty("state id", &self.id)?;
        require_non_empty("state name", &self.name)?;
        if let Some(Nullable::Value(ms)) = self.expiry {
            expiry_ms(Duration::from_millis(ms.max(0) as u64))?;
        }
        Ok(())
    }

    fn decode(state: types::State) -> crate::Result<T> {
        let what = format!("the payload of state {}/{}", state.type_, state.name);
        decode(&what, Value::Object(state.payload))
    }

    /// The payload, or `None` when the state does not exist (the service's `404`).
    pub async fn get(&self) -> crate::Result<Option<T>> {
        self.check()?;
        let sent = at_path!(self.get_state).send().await;
        match sent {
            Ok(response) => Self::decode(response.state).map(Some),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Replaces the payload with `value` (`setState`); returns the stored payload.
    pub async fn set(&self, value: &T) -> crate::Result<T> {
        self.check()?;
        let payload = payload_object(value)?;
        let body = types::SetStateBody {
            payload: Nullable::Value(payload),
            expiry: self.expiry.clone(),
        };
        let response = at_path!(self.set_state).body(body).send().await?;
        Self::decode(response.state)
    }

    /// The existing payload, or `value` stored and returned when the state does not exist
    /// (`getOrSetState`; an existing state is left unchanged).
    pub async fn get_or_set(&self, value: &T) -> crate::Result<T> {
        self.check()?;
        let payload = payload_object(value)?;
        let body = types::GetOrSetStateBody {
            payload,
            expiry: self.expiry.clone(),
        };
        let response = at_path!(self.get_or_set_state).body(body).send().await?;
        Self::decode(response.state)
    }

    /// Merges the top-level keys of `partial` into the payload (`patchState`); returns the
    /// merged payload. `partial` is any value serializing to an object: a `serde_json::Value`,
    /// a map, or a struct holding some of `T`'s fields.
    pub async fn patch<P: Serialize + ?Sized>(&self, partial: &P) -> crate::Result<T> {
        self.check()?;
        let payload = payload_object(partial)?;
        let body = types::PatchStateBody {
            payload,
            expiry: self.expiry.clone(),
        };
        let response = at_path!(self.patch_state).body(body).send().await?;
        Self::decode(response.state)
    }

    /// Deletes the state: `setState` with `{"payload":null}`.
    pub async fn delete(&self) -> crate::Result<()> {
        self.check()?;
        let body = types::SetStateBody {
            payload: Nullable::Null,
            expiry: None,
        };
        at_path!(self.set_state).body(body).send().await?;
        Ok(())
    }

    /// Sets (`Some`) or removes (`None`, sent as `{"expiry":null}`) the state's expiry: the
    /// state expires after being idle that long (`setStateExpiry`).
    pub async fn set_expiry(&self, expiry: Option<Duration>) -> crate::Result<()> {
        self.check()?;
        let expiry = expiry.map(expiry_ms).transpose()?;
        at_path!(self.set_state_expiry)
            .body(types::SetStateExpiryBody {
                expiry: expiry.map_or(Nullable::Null, Nullable::Value),
            })
            .send()
            .await?;
        Ok(())
    }
}
