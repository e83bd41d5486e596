//! The TLS stack of the HTTP clients this crate builds, chosen with cargo features:
//!
//! | feature | TLS | crypto |
//! |---|---|---|
//! | `rustls` (default) | [rustls], server certificates checked against the platform's roots ([rustls-platform-verifier]) | [ring]: the fastest to build |
//! | `rustls-aws-lc-rs` | rustls, platform roots | [aws-lc-rs]: FIPS-capable, post-quantum key exchange preferred; its C build is the slowest unit of a clean build |
//! | `rustls-no-provider` | rustls, platform roots | the process default, installed by the program with `rustls::crypto::CryptoProvider::install_default` |
//! | `native-tls` | the platform's library (OpenSSL, Schannel, Security.framework) | the platform's |
//! | none (`default-features = false`) | plain `http://` only (an emulator, a sidecar); an `https://` base URL is a [`ConfigError`] | — |
//!
//! When several are enabled, `native-tls` wins over rustls (as in reqwest), `rustls-aws-lc-rs`
//! over `rustls`, and a provider the program installed as the process default over both. The
//! rustls configuration (and with it the platform's root certificates, read from disk) is
//! built once per process and shared by every client.
//!
//! With a rustls feature, reqwest is compiled without a crypto provider of its own: other code
//! of the same program that builds a `reqwest::Client` with no TLS choice of its own should
//! start from [`reqwest_builder`] (or install a process default provider).
//!
//! [rustls]: https://docs.rs/rustls
//! [rustls-platform-verifier]: https://docs.rs/rustls-platform-verifier
//! [ring]: https://docs.rs/ring
//! [aws-lc-rs]: https://docs.rs/aws-lc-rs

use crate::ConfigError;

/// Whether this build can speak `https://`.
pub(crate) const HTTPS: bool = cfg!(any(feature = "native-tls", feature = "__rustls"));

/// A `reqwest::ClientBuilder` with this build's TLS stack applied (see the [module docs](self)),
/// for a `reqwest::Client` of your own, passed to
/// [`ClientBuilder::http_client`](crate::ClientBuilder::http_client) or used elsewhere in the
/// program.
///
/// Fails when the rustls stack cannot be set up: no crypto provider (`rustls-no-provider`
/// without one installed) or no root certificate found on the machine.
///
/// ```
/// # fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let http = botpress::tls::reqwest_builder()?
///     .pool_max_idle_per_host(4)
///     .build()?;
/// let client = botpress::Client::builder()
///     .http_client(http)
///     .token("bp_pat_...")
///     .bot_id("bot_1")
///     .build()?;
/// # Ok(()) }
/// ```
pub fn reqwest_builder() -> Result<reqwest::ClientBuilder, ConfigError> {
    apply(reqwest::Client::builder())
}

/// Applies this build's TLS stack to `builder`.
pub(crate) fn apply(
    builder: reqwest::ClientBuilder,
) -> Result<reqwest::ClientBuilder, ConfigError> {
    #[cfg(feature = "native-tls")]
    return Ok(builder.tls_backend_native());
    #[cfg(all(feature = "__rustls", not(feature = "native-tls")))]
    return Ok(builder.tls_backend_preconfigured(rustls_stack::config()?));
    #[cfg(not(any(feature = "native-tls", feature = "__rustls")))]
    Ok(builder)
}

#[cfg(all(feature = "__rustls", not(feature = "native-tls")))]
mod rustls_stack {
    use std::sync::{Arc, OnceLock};

    use rustls::{ClientConfig, crypto::CryptoProvider};
    use rustls_platform_verifier::BuilderVerifierExt;

    use crate::ConfigError;

    /// The rustls configuration of every client of the process, built on first use (a failure
    /// is not kept: the next client tries again).
    pub(super) fn config() -> Result<ClientConfig, ConfigError> {
        static CONFIG: OnceLock<ClientConfig> = OnceLock::new();
        if let Some(config) = CONFIG.get() {
            return Ok(config.clone());
        }
        let error = |what: &str, e: rustls::Error| ConfigError::HttpClient(format!("{what}: {e}"));
        let mut config = ClientConfig::builder_with_provider(provider()?)
            .with_safe_default_protocol_versions()
            .map_err(|e| error("TLS protocol versions", e))?
            .with_platform_verifier()
            .map_err(|e| error("loading the platform's root certificates", e))?
            .with_no_client_auth();
        config.alpn_protocols = if cfg!(feature = "http2") {
            vec![b"h2".to_vec(), b"http/1.1".to_vec()]
        } else {
            vec![b"http/1.1".to_vec()]
        };
        Ok(CONFIG.get_or_init(|| config).clone())
    }

    /// The process default provider if the program installed one, else this build's.
    fn provider() -> Result<Arc<CryptoProvider>, ConfigError> {
        if let Some(installed) = CryptoProvider::get_default() {
            return Ok(installed.clone());
        }
        #[cfg(feature = "rustls-aws-lc-rs")]
        return Ok(Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
        #[cfg(all(feature = "rustls-ring", not(feature = "rustls-aws-lc-rs")))]
        return Ok(Arc::new(rustls::crypto::ring::default_provider()));
        #[cfg(not(any(feature = "rustls-ring", feature = "rustls-aws-lc-rs")))]
        Err(ConfigError::HttpClient(
            "no rustls crypto provider: with the `rustls-no-provider` feature, install one with \
             `rustls::crypto::CryptoProvider::install_default` before building a client, or \
             enable `rustls` (ring) or `rustls-aws-lc-rs`"
                .into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backend_matches_the_features() {
        #[cfg(all(feature = "__rustls", not(feature = "native-tls")))]
        {
            // Built once, then shared: the same provider (and verifier, with its roots).
            let a = rustls_stack::config().expect("rustls config");
            let b = rustls_stack::config().expect("rustls config");
            assert!(std::sync::Arc::ptr_eq(
                a.crypto_provider(),
                b.crypto_provider()
            ));
            let first = if cfg!(feature = "http2") {
                "h2"
            } else {
                "http/1.1"
            };
            assert_eq!(a.alpn_protocols[0], first.as_bytes());
        }
        reqwest_builder()
            .expect("builder")
            .build()
            .expect("a reqwest client");
    }
}
