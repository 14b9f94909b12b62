//! The `hangar` CLI as a library: one module per subcommand, so tests drive the same code.

pub mod dev;
pub mod duration;
pub mod fleet;
pub mod probe;
pub mod sessions;
