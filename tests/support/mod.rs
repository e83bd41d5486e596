//! Shared test support: a recording HTTP server on loopback and response examples
//! synthesised from the OpenAPI document.
#![allow(dead_code)]

pub mod examples;
pub mod recorder;
