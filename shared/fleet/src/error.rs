//! The stage functions' error type. Its `error_type` is what Step Functions matches in
//! Retry/Catch (`Hangar.Throttled`, `Hangar.Transient` are retried with backoff; every
//! other error goes to rollback) and what the operator sees as the failure's name.

use aws_sdk_gamelift::config::http::HttpResponse;
use aws_sdk_gamelift::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use lambda_runtime::Diagnostic;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StageError {
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
    /// GameLift or DynamoDB throttled the call; retried by the state machine.
    #[error("{0}")]
    Throttled(String),
    /// A network error, timeout or 5xx; retried by the state machine.
    #[error("{0}")]
    Transient(String),
    /// Any other AWS error.
    #[error("{0}")]
    Aws(String),
    /// The execution state lacks what this stage needs (a wiring error in the state machine).
    #[error("{0}")]
    BadState(String),
}

impl StageError {
    /// The error name Step Functions sees.
    pub fn error_type(&self) -> &'static str {
        match self {
            StageError::Refused(_) => "Hangar.Refused",
            StageError::Locked(_) => "Hangar.Locked",
            StageError::BuildFailed(_) => "Hangar.BuildFailed",
            StageError::FleetFailed(_) => "Hangar.FleetFailed",
            StageError::SmokeTestFailed(_) => "Hangar.SmokeTestFailed",
            StageError::StageTimeout(_) => "Hangar.StageTimeout",
            StageError::DrainTimedOut(_) => "Hangar.DrainTimedOut",
            StageError::Unsafe(_) => "Hangar.Unsafe",
            StageError::Throttled(_) => "Hangar.Throttled",
            StageError::Transient(_) => "Hangar.Transient",
            StageError::Aws(_) => "Hangar.AwsError",
            StageError::BadState(_) => "Hangar.BadState",
        }
    }

    pub fn is_retryable(&self) -> bool {
        matches!(self, StageError::Throttled(_) | StageError::Transient(_))
    }
}

impl From<StageError> for Diagnostic {
    fn from(e: StageError) -> Self {
        Diagnostic {
            error_type: e.error_type().to_string(),
            error_message: e.to_string(),
        }
    }
}

/// Error codes AWS services use for throttling.
const THROTTLING_CODES: [&str; 6] = [
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "ProvisionedThroughputExceededException",
];

/// The error code of an SDK error, if the service sent one.
pub fn error_code<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> Option<&str> {
    match err {
        SdkError::ServiceError(se) => se.err().code(),
        _ => None,
    }
}

/// Classifies an SDK error: throttling and transient failures are retryable; the rest
/// is an AWS error naming the operation.
pub fn classify<E>(operation: &str, err: SdkError<E, HttpResponse>) -> StageError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            StageError::Transient(format!("{operation}: {}", DisplayErrorContext(&err)))
        }
        SdkError::ServiceError(se) => {
            let code = se.err().code().unwrap_or("Unknown");
            let message = se.err().message().unwrap_or("");
            let status = se.raw().status().as_u16();
            let text = format!("{operation}: {code}: {message}");
            if THROTTLING_CODES.contains(&code) || status == 429 {
                StageError::Throttled(text)
            } else if code == "InternalServiceException" || status >= 500 {
                StageError::Transient(text)
            } else {
                StageError::Aws(text)
            }
        }
        _ => StageError::Aws(format!("{operation}: {}", DisplayErrorContext(&err))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagnostics_carry_the_error_name_step_functions_matches() {
        let d: Diagnostic = StageError::Throttled("slow down".into()).into();
        assert_eq!(d.error_type, "Hangar.Throttled");
        assert_eq!(d.error_message, "slow down");
        assert!(StageError::Transient(String::new()).is_retryable());
        assert!(!StageError::FleetFailed(String::new()).is_retryable());
    }
}
