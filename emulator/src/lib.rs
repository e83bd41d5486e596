//! `botpress-emulator`: a stateful, local, Botpress-compatible server (see the crate README).
#![forbid(unsafe_code)]

pub mod error;
pub mod tables;
