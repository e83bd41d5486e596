//! Configuration values, their validation and [`ConfigError`].
//!
//! The client is configured by [`crate::ClientBuilder`] from explicit options, then the
//! `BP_*` environment variables, then defaults (the official client's precedence:
//! option > environment > default):
//!
//! | option | variable | default |
//! |---|---|---|
//! | `base_url` | `BP_API_URL` | `https://api.botpress.cloud` |
//! | `token` | `BP_TOKEN` | none |
//! | `bot_id` | `BP_BOT_ID` | none |
//! | `integration_id` | `BP_INTEGRATION_ID` | none |
//! | `workspace_id` | `BP_WORKSPACE_ID` | none |
//! | `integration_alias`, `user_id`, headers, user agent | — | none, [`DEFAULT_USER_AGENT`] |
//! | `connect_timeout` | — | [`DEFAULT_CONNECT_TIMEOUT`] |
//! | `timeout` (each attempt, response body included) | — | [`DEFAULT_ATTEMPT_TIMEOUT`] |
//! | `total_timeout` (all attempts and the waits between them) | — | none |
//!
//! Every problem is reported by `build()` as a [`ConfigError`] naming the option or variable
//! at fault. Values are never echoed in messages (a token must not leak through an error).

use std::fmt;
use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue};

/// The Botpress Cloud API.
pub const DEFAULT_BASE_URL: &str = "https://api.botpress.cloud";
/// The `User-Agent` this SDK sends unless configured otherwise.
pub const DEFAULT_USER_AGENT: &str = concat!("botpress-rust/", env!("CARGO_PKG_VERSION"));
/// Default time to establish a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time for one attempt, response body included (the official client's 60 s).
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(60);

/// Environment variable of the base URL.
pub const ENV_API_URL: &str = "BP_API_URL";
/// Environment variable of the token.
pub const ENV_TOKEN: &str = "BP_TOKEN";
/// Environment variable of the bot id (`x-bot-id`).
pub const ENV_BOT_ID: &str = "BP_BOT_ID";
/// Environment variable of the integration id (`x-integration-id`).
pub const ENV_INTEGRATION_ID: &str = "BP_INTEGRATION_ID";
/// Environment variable of the workspace id (`x-workspace-id`).
pub const ENV_WORKSPACE_ID: &str = "BP_WORKSPACE_ID";

/// Where a configuration value came from, for error messages.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Setting {
    /// A builder option, by name (`token`, `bot_id`, …).
    Option(&'static str),
    /// An environment variable, by name (`BP_TOKEN`, …).
    Env(&'static str),
    /// A custom header, by name.
    Header(String),
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Setting::Option(name) => write!(f, "option `{name}`"),
            Setting::Env(name) => write!(f, "`{name}`"),
            Setting::Header(name) => write!(f, "header `{name}`"),
        }
    }
}

/// A configuration problem, reported when the client is built. The message names the option
/// or environment variable at fault and never contains its value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The base URL does not parse or is not an `http`/`https` URL without query or fragment.
    #[error("{setting} is not a valid URL: {reason}")]
    InvalidUrl {
        /// The option or variable.
        setting: Setting,
        /// What is wrong with it.
        reason: String,
    },
    /// A value is set but empty.
    #[error("{setting} is set but empty")]
    Empty {
        /// The option or variable.
        setting: Setting,
    },
    /// A value cannot be sent as an HTTP header value.
    #[error(
        "{setting} cannot be sent in an HTTP header: it contains a control character such as a newline"
    )]
    InvalidHeaderValue {
        /// The option, variable or header.
        setting: Setting,
    },
    /// A custom header name is not a valid HTTP header name.
    #[error("`{name}` is not a valid HTTP header name")]
    InvalidHeaderName {
        /// The name as given.
        name: String,
    },
    /// An environment variable is not valid Unicode.
    #[error("{setting} is not valid Unicode")]
    NotUnicode {
        /// The variable.
        setting: Setting,
    },
    /// A duration or count must be positive.
    #[error("{setting} must be greater than zero")]
    Zero {
        /// The option.
        setting: Setting,
    },
    /// Two options contradict each other.
    #[error("{0}")]
    Conflict(&'static str),
    /// The HTTP client could not be built (e.g. the TLS backend failed to initialise).
    #[error("the HTTP client could not be built: {0}")]
    HttpClient(String),
}

/// Timeouts applied by the transport.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Timeouts {
    /// Per attempt, from sending to the end of the response body.
    pub(crate) attempt: Option<Duration>,
    /// All attempts, waits between them and pacing waits.
    pub(crate) total: Option<Duration>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            attempt: Some(DEFAULT_ATTEMPT_TIMEOUT),
            total: None,
        }
    }
}

/// Validates a base URL: `http`/`https`, a host, no query or fragment. Returns it without
/// trailing slashes (operations append `/v1/...`).
pub(crate) fn base_url(value: &str, setting: Setting) -> Result<String, ConfigError> {
    let invalid = |reason: &str| ConfigError::InvalidUrl {
        setting: setting.clone(),
        reason: reason.to_owned(),
    };
    if value.is_empty() {
        return Err(ConfigError::Empty { setting });
    }
    let url = url::Url::parse(value).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("the scheme must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("it has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("it must not have a query or a fragment"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// Validates a header value: non-empty, no control characters.
pub(crate) fn header_value(value: &str, setting: Setting) -> Result<HeaderValue, ConfigError> {
    if value.is_empty() {
        return Err(ConfigError::Empty { setting });
    }
    HeaderValue::from_str(value).map_err(|_| ConfigError::InvalidHeaderValue { setting })
}

/// Validates a custom header.
pub(crate) fn header(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), ConfigError> {
    let header_name =
        HeaderName::from_bytes(name.as_bytes()).map_err(|_| ConfigError::InvalidHeaderName {
            name: name.to_owned(),
        })?;
    // An empty custom header value is legal HTTP; only control characters are not.
    let header_value =
        HeaderValue::from_str(value).map_err(|_| ConfigError::InvalidHeaderValue {
            setting: Setting::Header(header_name.as_str().to_owned()),
        })?;
    Ok((header_name, header_value))
}

/// A positive duration.
pub(crate) fn positive(d: Duration, option: &'static str) -> Result<Duration, ConfigError> {
    if d.is_zero() {
        Err(ConfigError::Zero {
            setting: Setting::Option(option),
        })
    } else {
        Ok(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_checked_and_trimmed() {
        let env = || Setting::Env(ENV_API_URL);
        assert_eq!(
            base_url("http://127.0.0.1:8080/", env()).unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            base_url("https://proxy.example/botpress/", env()).unwrap(),
            "https://proxy.example/botpress"
        );
        let err = base_url("not a url", env()).unwrap_err().to_string();
        assert_eq!(
            err,
            "`BP_API_URL` is not a valid URL: relative URL without a base"
        );
        assert_eq!(
            base_url("ftp://h", env()).unwrap_err().to_string(),
            "`BP_API_URL` is not a valid URL: the scheme must be http or https"
        );
        assert_eq!(
            base_url("http://h/?a=1", Setting::Option("base_url"))
                .unwrap_err()
                .to_string(),
            "option `base_url` is not a valid URL: it must not have a query or a fragment"
        );
        assert_eq!(
            base_url("", env()).unwrap_err().to_string(),
            "`BP_API_URL` is set but empty"
        );
    }

    #[test]
    fn header_values_reject_control_characters_without_echoing_them() {
        let err = header_value("abc\nsecret", Setting::Option("token")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "option `token` cannot be sent in an HTTP header: it contains a control character such as a newline"
        );
        assert!(header("bad name", "v").is_err());
        assert_eq!(
            header("x-a", "b\r\nc").unwrap_err().to_string(),
            "header `x-a` cannot be sent in an HTTP header: it contains a control character such as a newline"
        );
    }
}
