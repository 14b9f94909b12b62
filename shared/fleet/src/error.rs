//! `FleetError`, the one error type of fleet replacement, returned by every stage (and
//! so by `api::run`). Its `error_type` is what Step Functions matches in Retry/Catch
//! (`Hangar.Throttled`, `Hangar.Transient` are retried with backoff; every other error
//! goes to rollback) and what the operator sees as the failure's name.
//!
//! SDK errors stay [`AwsError`]s (source kept); whether one is retryable is asked of it,
//! never of an error code here.

use hangar_aws::error::{AwsError, Fault};
use hangar_lambda::ConfigError;

#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    /// The request or the fleet/alias it names is not acceptable; nothing was changed.
    #[error("{0}")]
    Refused(String),
    /// Another replacement holds the alias.
    #[error("{0}")]
    Locked(String),
    #[error("{0}")]
    BuildFailed(String),
    #[error("{0}")]
    FleetFailed(String),
    #[error("{0}")]
    SmokeTestFailed(String),
    /// A polling stage ran past its timeout.
    #[error("{0}")]
    StageTimeout(String),
    /// The old fleet still had live game sessions at the drain timeout.
    #[error("{0}")]
    DrainTimedOut(String),
    /// A step would be unsafe (e.g. deleting a fleet an alias routes to).
    #[error("{0}")]
    Unsafe(String),
    /// An operator asked the replacement to stop (`hangar fleet cancel`).
    #[error("{0}")]
    Cancelled(String),
    /// This execution no longer holds the alias lock: it must not act on the alias.
    #[error("{0}")]
    LockLost(String),
    /// A conditional write lost a race with another writer; retried by the state machine.
    #[error("{0}")]
    Contended(String),
    /// A GameLift or DynamoDB call failed; throttling and transient faults are retried.
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// An AWS answer or a stored item lacked what the stage needs.
    #[error("{0}")]
    Malformed(String),
    /// The execution state lacks what this stage needs (a wiring error in the state machine).
    #[error("{0}")]
    BadState(String),
    /// The function's configuration (environment) is incomplete.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

impl FleetError {
    /// The error name Step Functions sees.
    pub fn error_type(&self) -> &'static str {
        match self {
            FleetError::Refused(_) => "Hangar.Refused",
            FleetError::Locked(_) => "Hangar.Locked",
            FleetError::BuildFailed(_) => "Hangar.BuildFailed",
            FleetError::FleetFailed(_) => "Hangar.FleetFailed",
            FleetError::SmokeTestFailed(_) => "Hangar.SmokeTestFailed",
            FleetError::StageTimeout(_) => "Hangar.StageTimeout",
            FleetError::DrainTimedOut(_) => "Hangar.DrainTimedOut",
            FleetError::Unsafe(_) => "Hangar.Unsafe",
            FleetError::Cancelled(_) => "Hangar.Cancelled",
            FleetError::LockLost(_) => "Hangar.LockLost",
            FleetError::Contended(_) => "Hangar.Transient",
            FleetError::Aws(e) => match e.fault {
                Fault::Throttling => "Hangar.Throttled",
                Fault::Transient => "Hangar.Transient",
                Fault::ConditionFailed | Fault::Refused => "Hangar.AwsError",
            },
            FleetError::Malformed(_) => "Hangar.AwsError",
            FleetError::BadState(_) => "Hangar.BadState",
            FleetError::Config(_) => "Hangar.Config",
        }
    }

    /// Throttling and transient failures, which the state machine retries.
    pub fn is_retryable(&self) -> bool {
        matches!(self.error_type(), "Hangar.Throttled" | "Hangar.Transient")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contention_is_retried_and_stage_failures_are_not() {
        assert_eq!(
            FleetError::Contended("x".into()).error_type(),
            "Hangar.Transient"
        );
        assert!(FleetError::Contended(String::new()).is_retryable());
        assert!(!FleetError::FleetFailed(String::new()).is_retryable());
        assert!(!FleetError::Refused(String::new()).is_retryable());
    }
}
