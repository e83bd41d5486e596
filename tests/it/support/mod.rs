//! Shared test support: a recording HTTP server (and proxy) and a fault-injecting server on
//! loopback, response examples and routing synthesised from the OpenAPI document, the pinned
//! Node tools, Prism, the operation inventory for coverage gates, and the judges' summary file.
#![allow(dead_code)]

pub(crate) mod capture;
pub(crate) mod coverage;
pub(crate) mod emulator;
pub(crate) mod examples;
pub(crate) mod faults;
pub(crate) mod harness;
pub(crate) mod node;
pub(crate) mod prism;
pub(crate) mod recorder;
pub(crate) mod summary;

/// The value of the first header called `name` (case-insensitive) among `headers`.
pub(crate) fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}
