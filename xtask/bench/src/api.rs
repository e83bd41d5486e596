//! A small JSON client of the emulator for the set-up and latency programs: one bot, bearer
//! token, every answer checked.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use reqwest::{Method, header::AUTHORIZATION};
use serde_json::Value;

/// Calls to one emulator as one bot.
pub(crate) struct Api {
    http: reqwest::Client,
    url: String,
    auth: String,
    bot: String,
}

impl Api {
    /// The emulator at `url`, as bot `bot`.
    pub(crate) fn new(url: &str, token: &str, bot: &str) -> Result<Self> {
        Ok(Self {
            // A server that stops answering fails the run instead of hanging it.
            http: botpress::tls::reqwest_builder()?
                .timeout(Duration::from_secs(60))
                .build()?,
            url: url.to_string(),
            auth: format!("Bearer {token}"),
            bot: bot.to_string(),
        })
    }

    /// Sends one request; the status and the body.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, String)> {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.url))
            .header(AUTHORIZATION, &self.auth)
            .header("x-bot-id", &self.bot);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("{method} {path}"))?;
        let status = response.status().as_u16();
        Ok((status, response.text().await?))
    }

    /// One request that must succeed; its JSON body.
    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value> {
        let (status, text) = self.send(method.clone(), path, body).await?;
        if !(200..300).contains(&status) {
            bail!("{method} {path}: {status}: {text}");
        }
        Ok(serde_json::from_str(&text)?)
    }

    /// The latency of one successful request, in microseconds.
    pub(crate) async fn time(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<f64> {
        let started = Instant::now();
        self.call(method, path, body).await?;
        Ok(started.elapsed().as_secs_f64() * 1e6)
    }
}

/// The `p`-th percentile (0..=100) of `samples`, nearest rank.
pub(crate) fn percentile(samples: &[f64], p: f64) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// `{p50_us, p99_us, samples}` of latencies.
pub(crate) fn summary(samples: &[f64]) -> Value {
    serde_json::json!({
        "p50_us": percentile(samples, 50.0),
        "p99_us": percentile(samples, 99.0),
        "samples": samples.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let s: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&s, 50.0), 50.0);
        assert_eq!(percentile(&s, 99.0), 99.0);
        assert_eq!(percentile(&s, 100.0), 100.0);
        assert_eq!(percentile(&[7.0], 99.0), 7.0);
        assert!(percentile(&[], 50.0).is_nan());
    }
}
