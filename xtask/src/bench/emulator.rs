//! Section 3, emulator throughput: getConversation, createMessage, listMessages and
//! findTableRows (a filter over 100k rows) against the emulator, side by side with Prism
//! mocking the same operation in the same run.

use anyhow::Result;

use super::{
    Timing,
    child::Env,
    report::{Section, Target},
};

/// Runs the section.
pub fn run(_env: &Env, _timing: &Timing) -> Result<Section> {
    let why = "the emulator has no HTTP server yet (botpress_emulator::spawn, the binary)";
    Ok(Section::skipped(
        "emulator",
        vec![
            Target::not_measured("emulator / Prism throughput, getConversation", "≥ 10×", why),
            Target::not_measured(
                "emulator: createMessage/s, sequential over HTTP",
                "≥ 5,000/s",
                why,
            ),
        ],
        why,
    ))
}
