//! The `botpress-emulator` binary.
fn main() {}
