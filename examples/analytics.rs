//! Analytics: add to a counter.
//!
//! The docs' `trackAnalytics({event, properties})` is not what the wire takes: the service
//! takes `{name, count}` (a counter name and how much to add).
//!
//! `cargo run --example analytics`.
mod common;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let session = common::connect().await?;
    // trackAnalytics
    session
        .client
        .track_analytics_count("example_runs", 1)
        .await?;
    println!("counted one example run");
    Ok(())
}
