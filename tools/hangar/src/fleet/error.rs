//! What a fleet command can fail with, and the exit code of each.

use super::view::code;

#[derive(Debug, thiserror::Error)]
pub enum FleetCliError {
    /// Bad arguments or files: exit 2.
    #[error("{0}")]
    Usage(String),
    /// The request is refused before anything starts: exit 2.
    #[error("refused: {0}")]
    Refused(String),
    #[error("{0}")]
    Aws(String),
    #[error("local engine: {0}")]
    Engine(String),
}

impl FleetCliError {
    /// The process exit code ([`code`]).
    pub fn exit_code(&self) -> u8 {
        match self {
            FleetCliError::Usage(_) | FleetCliError::Refused(_) => code::REFUSED,
            FleetCliError::Aws(_) | FleetCliError::Engine(_) => code::COMMAND_FAILED,
        }
    }
}
