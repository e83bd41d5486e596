//! Shared test support: a recording HTTP server and a fault-injecting server on loopback, and response examples
//! synthesised from the OpenAPI document.
#![allow(dead_code)]

pub mod examples;
pub mod faults;
pub mod recorder;
