//! Fleet replacement: the state machine run by a real ASL engine and the `hangar fleet` CLI, against the GameLift emulator and moto.
//! One test binary for the area; each module is one part of it.

mod asl_definition;
mod cli;
mod functions;
mod replacement;
#[allow(dead_code)]
mod support;
