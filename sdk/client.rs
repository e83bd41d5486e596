//! The client and its builder: options, environment, defaults; cheap per-identity clones.

use std::fmt;
use std::time::Duration;

use crate::config::{
    self, ConfigError, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, ENV_API_URL, ENV_BOT_ID,
    ENV_INTEGRATION_ID, ENV_TOKEN, ENV_WORKSPACE_ID, Setting, Timeouts,
};
use crate::pacing::Pacing;
use crate::retry::RetryPolicy;
use crate::transport::{Identity, Shared, Transport};

/// The Botpress API client: one method per operation of the API (`client.get_user()`,
/// `client.create_message()`, …), each returning a builder with a setter per parameter and
/// body field, and `send()`.
///
/// Build one with [`Client::from_env`] or [`Client::builder`]. Cloning is cheap (the
/// connection pool, settings and pacing are shared), and operation builders hold a clone, so
/// they can be stored, moved to tasks and sent later.
///
/// ```no_run
/// # async fn demo() -> botpress::Result<()> {
/// let client = botpress::Client::from_env()?;
/// let user = client.get_user().id("user_1").send().await?.user;
/// # let _ = user; Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) http: reqwest::Client,
    pub(crate) transport: Transport,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("transport", &self.transport)
            .finish()
    }
}

/// A configuration value and where it came from.
#[derive(Clone)]
struct Value {
    value: String,
    setting: Setting,
}

/// Configures a [`Client`]; see [`crate::config`] for the options, variables and defaults.
/// Created by [`Client::builder`].
///
/// ```no_run
/// use std::time::Duration;
/// use botpress::{Client, Pacing, RetryPolicy};
///
/// // Everything from `BP_API_URL`, `BP_TOKEN`, `BP_BOT_ID`, … (see `botpress::config`).
/// let client = Client::from_env()?;
///
/// // Explicit options win over the environment, which wins over defaults.
/// let client = Client::builder()
///     .token("bp_pat_…")
///     .bot_id("bot_1")
///     .timeout(Duration::from_secs(20))
///     .total_timeout(Duration::from_secs(60))
///     .retry(RetryPolicy::new().max_attempts(5))
///     .pacing(Pacing::new().max_in_flight(4))
///     .from_env()
///     .build()?;
///
/// // Same connection pool, pacing and settings; another bot.
/// let other = client.with_bot_id("bot_2");
/// # let _ = other;
/// # Ok::<(), botpress::ConfigError>(())
/// ```
#[derive(Clone, Default)]
pub struct ClientBuilder {
    base_url: Option<Value>,
    token: Option<Value>,
    bot_id: Option<Value>,
    integration_id: Option<Value>,
    integration_alias: Option<Value>,
    workspace_id: Option<Value>,
    user_id: Option<Value>,
    headers: Vec<(String, String)>,
    user_agent: Option<String>,
    connect_timeout: Option<Duration>,
    timeout: Option<Option<Duration>>,
    total_timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    pacing: Option<Pacing>,
    local_limits: Option<bool>,
    http: Option<reqwest::Client>,
    env_error: Option<ConfigError>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = |v: &Option<Value>| v.as_ref().map(|v| v.value.clone());
        f.debug_struct("ClientBuilder")
            .field("base_url", &value(&self.base_url))
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("bot_id", &value(&self.bot_id))
            .field("integration_id", &value(&self.integration_id))
            .field("integration_alias", &value(&self.integration_alias))
            .field("workspace_id", &value(&self.workspace_id))
            .field("user_id", &value(&self.user_id))
            .field(
                "headers",
                &self.headers.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("user_agent", &self.user_agent)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("total_timeout", &self.total_timeout)
            .field("retry", &self.retry)
            .field("pacing", &self.pacing)
            .field("local_limits", &self.local_limits)
            .field("custom_http_client", &self.http.is_some())
            .finish()
    }
}

fn option(value: impl Into<String>, name: &'static str) -> Option<Value> {
    Some(Value {
        value: value.into(),
        setting: Setting::Option(name),
    })
}

impl ClientBuilder {
    /// A builder with nothing set: defaults only, no environment (add [`Self::from_env`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Base URL of the API (default `https://api.botpress.cloud`; `BP_API_URL`). May carry a
    /// path prefix (`https://proxy.example/botpress`).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = option(url, "base_url");
        self
    }

    /// Token sent as `Authorization: Bearer <token>` (`BP_TOKEN`): a personal access token, a
    /// bot token or an integration token. Never printed or logged.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = option(token, "token");
        self
    }

    /// `x-bot-id` (`BP_BOT_ID`): the bot the Runtime, Files and Tables APIs act on.
    pub fn bot_id(mut self, id: impl Into<String>) -> Self {
        self.bot_id = option(id, "bot_id");
        self
    }

    /// `x-integration-id` (`BP_INTEGRATION_ID`).
    pub fn integration_id(mut self, id: impl Into<String>) -> Self {
        self.integration_id = option(id, "integration_id");
        self
    }

    /// `x-integration-alias` (no variable, as in the official client).
    pub fn integration_alias(mut self, alias: impl Into<String>) -> Self {
        self.integration_alias = option(alias, "integration_alias");
        self
    }

    /// `x-workspace-id` (`BP_WORKSPACE_ID`).
    pub fn workspace_id(mut self, id: impl Into<String>) -> Self {
        self.workspace_id = option(id, "workspace_id");
        self
    }

    /// `x-user-id`: the acting user for the Files and Tables APIs.
    pub fn user_id(mut self, id: impl Into<String>) -> Self {
        self.user_id = option(id, "user_id");
        self
    }

    /// Adds a header sent on every API request; it replaces an identity header of the same
    /// name. Call several times for several headers (or values).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The `User-Agent` (default `botpress-rust/<version>`).
    pub fn user_agent(mut self, agent: impl Into<String>) -> Self {
        self.user_agent = Some(agent.into());
        self
    }

    /// Time allowed to establish a connection (default 10 s). Not available with
    /// [`Self::http_client`]: set it on that client's builder.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Time allowed for one attempt, from sending to the end of the response body (default
    /// 60 s). `None` removes the limit.
    pub fn timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.timeout = Some(timeout.into());
        self
    }

    /// Time allowed for the whole call: every attempt, the waits between them and pacing
    /// waits (default: none). No attempt starts past it, and each attempt's timeout is cut to
    /// what remains.
    pub fn total_timeout(mut self, timeout: Duration) -> Self {
        self.total_timeout = Some(timeout);
        self
    }

    /// The retry policy (default [`RetryPolicy::new`]; [`RetryPolicy::none`] disables it).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Client-side pacing, shared by all clones (default: none).
    pub fn pacing(mut self, pacing: Pacing) -> Self {
        self.pacing = Some(pacing);
        self
    }

    /// Whether a request over the service's platform limits is refused before it is sent
    /// (default `true`): a message or state `payload` over 128 KiB as JSON, a Runtime or Files
    /// body over 1 MiB, a Tables body over 40 MiB (the Botpress docs' "Limits and Quotas").
    /// Such a call fails at once with [`ErrorKind::LimitExceeded`](crate::ErrorKind::LimitExceeded),
    /// naming the limit and by how much it is over, with no network call. `false` sends them
    /// anyway (to a server with other limits).
    ///
    /// ```
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = botpress::Client::builder()
    ///     .base_url("http://127.0.0.1:9")
    ///     .bot_id("bot_1")
    ///     .build()?;
    /// let err = client
    ///     .create_message()
    ///     .conversation_id("conv_1")
    ///     .user_id("user_1")
    ///     .type_("text")
    ///     .payload(serde_json::json!({ "text": "x".repeat(200_000) }))
    ///     .tags([("k", "v")])
    ///     .send()
    ///     .await
    ///     .unwrap_err();
    /// assert_eq!(err.kind(), botpress::ErrorKind::LimitExceeded);
    /// # Ok(()) }
    /// ```
    pub fn local_limits(mut self, on: bool) -> Self {
        self.local_limits = Some(on);
        self
    }

    /// Sends through this `reqwest::Client` (proxies, TLS settings, a shared pool). Timeouts,
    /// retries and pacing still apply per request.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Fills every value not set yet from the process environment: `BP_API_URL`,
    /// `BP_TOKEN`, `BP_BOT_ID`, `BP_INTEGRATION_ID`, `BP_WORKSPACE_ID`. Values set before or
    /// after this call win over the environment.
    pub fn from_env(self) -> Self {
        self.from_lookup(|name| match std::env::var(name) {
            Ok(v) => Ok(Some(v)),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => Err(()),
        })
    }

    /// [`Self::from_env`] over any source of variables: `lookup(name)` returns the value,
    /// `None` when unset, or `Err(())` when the value is not valid Unicode.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// let vars = HashMap::from([("BP_BOT_ID", "bot_env"), ("BP_TOKEN", "t")]);
    /// let client = botpress::Client::builder()
    ///     .bot_id("bot_option")
    ///     .from_lookup(|name| Ok(vars.get(name).map(|v| v.to_string())))
    ///     .build()?;
    /// assert_eq!(client.identity().get_bot_id(), Some("bot_option"));
    /// # Ok::<(), botpress::ConfigError>(())
    /// ```
    pub fn from_lookup(
        mut self,
        mut lookup: impl FnMut(&'static str) -> Result<Option<String>, ()>,
    ) -> Self {
        let mut fill = |slot: &mut Option<Value>, var: &'static str| {
            if slot.is_some() {
                return None;
            }
            match lookup(var) {
                Ok(Some(value)) => {
                    *slot = Some(Value {
                        value,
                        setting: Setting::Env(var),
                    });
                    None
                }
                Ok(None) => None,
                Err(()) => Some(ConfigError::NotUnicode {
                    setting: Setting::Env(var),
                }),
            }
        };
        let errors = [
            fill(&mut self.base_url, ENV_API_URL),
            fill(&mut self.token, ENV_TOKEN),
            fill(&mut self.bot_id, ENV_BOT_ID),
            fill(&mut self.integration_id, ENV_INTEGRATION_ID),
            fill(&mut self.workspace_id, ENV_WORKSPACE_ID),
        ];
        if self.env_error.is_none() {
            self.env_error = errors.into_iter().flatten().next();
        }
        self
    }

    /// Validates everything and builds the client.
    pub fn build(self) -> Result<Client, ConfigError> {
        if let Some(e) = self.env_error {
            return Err(e);
        }
        let base_url = match &self.base_url {
            Some(v) => config::base_url(&v.value, v.setting.clone())?,
            None => DEFAULT_BASE_URL.to_owned(),
        };
        // Validate each identity value under the name it was given by (option or variable).
        let fields = [
            &self.token,
            &self.bot_id,
            &self.integration_id,
            &self.integration_alias,
            &self.workspace_id,
            &self.user_id,
        ];
        for v in fields.into_iter().flatten() {
            config::header_value(&v.value, v.setting.clone())?;
        }
        if let Some(token) = &self.token {
            config::header_value(&format!("Bearer {}", token.value), token.setting.clone())?;
        }
        let value = |v: Option<Value>| v.map(|v| v.value);
        let identity = Identity {
            token: value(self.token),
            workspace_id: value(self.workspace_id),
            bot_id: value(self.bot_id),
            integration_id: value(self.integration_id),
            integration_alias: value(self.integration_alias),
            user_id: value(self.user_id),
            headers: self.headers,
            user_agent: self.user_agent,
        };
        let mut timeouts = Timeouts::default();
        if let Some(attempt) = self.timeout {
            timeouts.attempt = attempt
                .map(|t| config::positive(t, "timeout"))
                .transpose()?;
        }
        if let Some(total) = self.total_timeout {
            timeouts.total = Some(config::positive(total, "total_timeout")?);
        }
        let retry = self.retry.unwrap_or_default();
        retry.validate()?;
        let pacer = self.pacing.unwrap_or_default().build()?;
        let http = match self.http {
            Some(_) if self.connect_timeout.is_some() => {
                return Err(ConfigError::Conflict(
                    "`connect_timeout` cannot be applied to a custom reqwest::Client: set it on its reqwest::ClientBuilder",
                ));
            }
            Some(http) => http,
            None => {
                let connect = self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT);
                crate::tls::apply(reqwest::Client::builder())?
                    .connect_timeout(config::positive(connect, "connect_timeout")?)
                    .build()
                    .map_err(|e| ConfigError::HttpClient(e.to_string()))?
            }
        };
        let base_url = url::Url::parse(&base_url).map_err(|e| ConfigError::InvalidUrl {
            setting: Setting::Option("base_url"),
            reason: e.to_string(),
        })?;
        if base_url.scheme() == "https" && !crate::tls::HTTPS {
            return Err(ConfigError::InvalidUrl {
                setting: Setting::Option("base_url"),
                reason: "https needs a TLS feature of botpress (`rustls`, the default, \
                         `rustls-aws-lc-rs`, `rustls-no-provider` or `native-tls`): this build has none"
                    .into(),
            });
        }
        let transport = Transport::new(
            identity,
            Shared {
                retry,
                timeouts,
                pacer,
                local_limits: self.local_limits.unwrap_or(true),
                base_url,
            },
        )?;
        Ok(Client { http, transport })
    }
}

impl Client {
    /// A [`ClientBuilder`] with nothing set (no environment unless you call
    /// [`ClientBuilder::from_env`]).
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client configured from the environment only (`BP_API_URL`, `BP_TOKEN`,
    /// `BP_BOT_ID`, `BP_INTEGRATION_ID`, `BP_WORKSPACE_ID`), defaults for the rest.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::builder().from_env().build()
    }

    /// The identity this client sends (token redacted in `Debug`).
    pub fn identity(&self) -> &Identity {
        self.transport.identity()
    }

    /// The base URL requests go to (`https://api.botpress.cloud`).
    pub fn base_url(&self) -> &str {
        self.transport
            .shared
            .base_url
            .as_str()
            .trim_end_matches('/')
    }

    /// A clone acting for another bot (`x-bot-id`), sharing the connection pool, settings and
    /// pacing. Cheap. An id that cannot be sent in a header makes every request of the clone
    /// fail with [`ErrorKind::InvalidRequest`](crate::ErrorKind::InvalidRequest).
    pub fn with_bot_id(&self, id: impl Into<String>) -> Self {
        let id = id.into();
        self.with_identity(|i| i.bot_id = Some(id))
    }

    /// A clone acting for another integration (`x-integration-id`); see [`Self::with_bot_id`].
    pub fn with_integration_id(&self, id: impl Into<String>) -> Self {
        let id = id.into();
        self.with_identity(|i| i.integration_id = Some(id))
    }

    /// A clone acting as a user (`x-user-id`, for the Files and Tables APIs); see
    /// [`Self::with_bot_id`].
    pub fn with_user_id(&self, id: impl Into<String>) -> Self {
        let id = id.into();
        self.with_identity(|i| i.user_id = Some(id))
    }

    /// A clone for another workspace (`x-workspace-id`); see [`Self::with_bot_id`].
    pub fn with_workspace_id(&self, id: impl Into<String>) -> Self {
        let id = id.into();
        self.with_identity(|i| i.workspace_id = Some(id))
    }

    fn with_identity(&self, change: impl FnOnce(&mut Identity)) -> Self {
        Client {
            http: self.http.clone(),
            transport: self.transport.with_identity(change),
        }
    }
}
