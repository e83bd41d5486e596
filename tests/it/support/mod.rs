//! Shared test support: a recording HTTP server (and proxy) and a fault-injecting server on
//! loopback, response examples and routing synthesised from the OpenAPI document, the pinned
//! Node tools, Prism, the operation inventory for coverage gates, and the judges' summary file.
#![allow(dead_code)]

pub mod coverage;
pub mod examples;
pub mod faults;
pub mod harness;
pub mod node;
pub mod prism;
pub mod recorder;
pub mod summary;

/// The value of the first header called `name` (case-insensitive) among `headers`.
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}
