//! Fleet replacement: the state machine run by a real ASL engine and the `hangar fleet` CLI, against the GameLift emulator and moto.
//! One test binary for the area; each module is one part of it.

mod asl_definition;
mod aws_path;
mod cli;
mod dev_stack;
mod functions;
mod lock;
mod replacement;
mod skeleton;
#[allow(dead_code)]
mod support;
