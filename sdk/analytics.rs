//! Analytics: [`Client::track_analytics_count`], the wire's `trackAnalytics`.
//!
//! The Botpress docs show `trackAnalytics({event, properties})`; that shape does not exist on
//! the wire. `POST /v1/chat/analytics` takes `{"name": <1..200 chars>, "count": <integer ≥ 1>}`
//! and nothing else: a counter name and how much to add to it.
use crate::Client;
use crate::helper_error::invalid_input;

impl Client {
    /// Adds `count` to the analytics counter `name`: sends `{"name":…,"count":…}` to
    /// `trackAnalytics`. There are no event properties on the wire (the docs' `{event,
    /// properties}` is not what the service takes). An empty or over-long (> 200 characters)
    /// name, or a count of 0, is an error before any request.
    ///
    /// ```no_run
    /// # async fn demo(client: &botpress::Client) -> botpress::Result<()> {
    /// client.track_analytics_count("checkout_completed", 1).await?;
    /// # Ok(()) }
    /// ```
    pub async fn track_analytics_count(&self, name: &str, count: u32) -> crate::Result<()> {
        let chars = name.chars().count();
        if chars == 0 || chars > 200 {
            return Err(invalid_input(format!(
                "an analytics name must have 1 to 200 characters, got {chars}"
            )));
        }
        if count == 0 {
            return Err(invalid_input("an analytics count must be at least 1"));
        }
        self.track_analytics()
            .name(name)
            .count(count)
            .send()
            .await?;
        Ok(())
    }
}
