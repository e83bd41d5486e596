//! The transport: the one hook every generated operation goes through.
//!
//! Progenitor calls [`ClientHooks::exec`] with the request it built. Here, once for all
//! operations, the request is put in the service's wire form ([`crate::wire`]) and given the
//! identity headers of the client's configuration ([`Identity`]), then sent.
use std::sync::Arc;

use progenitor_client::{ClientHooks, OperationInfo};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue, USER_AGENT};

use crate::generated::{Client, ClientInfo};

/// The `User-Agent` this SDK sends unless configured otherwise.
pub const DEFAULT_USER_AGENT: &str = concat!("botpress-rust/", env!("CARGO_PKG_VERSION"));

/// Who the client calls as: the token and the identity headers, in the order the official
/// client sends them (`x-workspace-id`, `x-bot-id`, `x-integration-id`,
/// `x-integration-alias`, `Authorization`), then custom headers, which may override any of
/// them. A header is sent only when its value is non-empty.
#[derive(Clone, Default)]
pub struct Identity {
    /// `Authorization: Bearer <token>`.
    pub(crate) token: Option<String>,
    /// `x-workspace-id`.
    pub(crate) workspace_id: Option<String>,
    /// `x-bot-id`.
    pub(crate) bot_id: Option<String>,
    /// `x-integration-id`.
    pub(crate) integration_id: Option<String>,
    /// `x-integration-alias`.
    pub(crate) integration_alias: Option<String>,
    /// Extra headers sent on every API request (not on upload PUTs).
    pub(crate) headers: HeaderMap,
    /// `User-Agent`.
    pub(crate) user_agent: Option<String>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("workspace_id", &self.workspace_id)
            .field("bot_id", &self.bot_id)
            .field("integration_id", &self.integration_id)
            .field("integration_alias", &self.integration_alias)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("user_agent", &self.user_agent)
            .finish()
    }
}

impl Identity {
    /// An empty identity: no token, no identity header.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the bearer token (`BP_TOKEN`). Never printed by `Debug`.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Sets `x-bot-id` (`BP_BOT_ID`).
    pub fn bot_id(mut self, id: impl Into<String>) -> Self {
        self.bot_id = Some(id.into());
        self
    }

    /// Sets `x-integration-id` (`BP_INTEGRATION_ID`).
    pub fn integration_id(mut self, id: impl Into<String>) -> Self {
        self.integration_id = Some(id.into());
        self
    }

    /// Sets `x-integration-alias`.
    pub fn integration_alias(mut self, alias: impl Into<String>) -> Self {
        self.integration_alias = Some(alias.into());
        self
    }

    /// Sets `x-workspace-id` (`BP_WORKSPACE_ID`).
    pub fn workspace_id(mut self, id: impl Into<String>) -> Self {
        self.workspace_id = Some(id.into());
        self
    }

    /// Sets the `User-Agent` (default [`DEFAULT_USER_AGENT`]).
    pub fn user_agent(mut self, agent: impl Into<String>) -> Self {
        self.user_agent = Some(agent.into());
        self
    }

    /// Adds a header sent on every API request, after (and over) the identity headers.
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// The identity headers, in wire order (see the type docs).
    pub(crate) fn header_list(&self) -> Vec<(HeaderName, HeaderValue)> {
        let mut out = Vec::with_capacity(6 + self.headers.len());
        let named = [
            ("x-workspace-id", &self.workspace_id),
            ("x-bot-id", &self.bot_id),
            ("x-integration-id", &self.integration_id),
            ("x-integration-alias", &self.integration_alias),
        ];
        for (name, value) in named {
            if let Some(v) = value.as_deref().filter(|v| !v.is_empty())
                && let Ok(v) = HeaderValue::from_str(v)
            {
                out.push((HeaderName::from_static(name), v));
            }
        }
        if let Some(token) = self.token.as_deref().filter(|t| !t.is_empty())
            && let Ok(mut v) = HeaderValue::from_str(&format!("Bearer {token}"))
        {
            v.set_sensitive(true);
            out.push((AUTHORIZATION, v));
        }
        let agent = self.user_agent.as_deref().unwrap_or(DEFAULT_USER_AGENT);
        if let Ok(v) = HeaderValue::from_str(agent) {
            out.push((USER_AGENT, v));
        }
        out
    }

    /// Puts the identity headers on `headers`, custom headers last (they win).
    pub(crate) fn apply(&self, headers: &mut HeaderMap) {
        for (name, value) in self.header_list() {
            headers.insert(name, value);
        }
        for (name, value) in &self.headers {
            headers.insert(name.clone(), value.clone());
        }
    }
}

/// Per-client transport state, shared by cheap clones of a [`Client`].
#[derive(Clone, Debug, Default)]
pub struct Transport {
    pub(crate) identity: Arc<Identity>,
}

impl Transport {
    /// A transport that calls with `identity`.
    pub fn new(identity: Identity) -> Self {
        Self {
            identity: Arc::new(identity),
        }
    }
}

impl ClientHooks<Transport> for Client {
    async fn exec(
        &self,
        mut request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        crate::wire::normalize(&mut request, info.operation_id);
        self.inner().identity.apply(request.headers_mut());
        self.client().execute(request).await
    }
}
