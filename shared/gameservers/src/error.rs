//! The game-servers area's one error type, returned by the allocator, the listing and
//! the scaler run. Messages are fit for users; AWS failures keep the SDK error as an
//! [`AwsError`] (its source chain reaches the log). HTTP routes turn it into an
//! `ApiError` in [`crate::api`]; the scheduled scaler reports it as a Lambda diagnostic.

use hangar_aws::AwsError;
use lambda_runtime::Diagnostic;

/// An SDK request that could not be built from the values we gave it.
pub type BuildError = aws_sdk_dynamodb::error::BuildError;

#[derive(Debug, thiserror::Error)]
pub enum GameServersError {
    /// Every server is full (or none runs) and no backup server is configured.
    #[error("no game server has a free slot; retry later")]
    NoCapacity { retry_after_seconds: u32 },
    /// A DynamoDB or ECS call failed.
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// A request to DynamoDB or ECS could not be built.
    #[error("building the {operation} request: {source}")]
    Request {
        operation: &'static str,
        #[source]
        source: BuildError,
    },
    /// A stored item does not have the shape this version reads or writes.
    #[error("a game-server item could not be read or written: {0}")]
    Item(#[from] serde_dynamo::Error),
    /// The allocator kept reserving slots on a server the scaler was writing back.
    #[error("game server {task_arn} kept changing; retried next run")]
    Contended { task_arn: String },
    /// The scaler was asked to run in a function configured without ECS settings.
    #[error("this function is not configured to scale game servers (ECS settings missing)")]
    ScalingNotConfigured,
    /// The HTTP client of the capacity probes could not be built.
    #[error("the capacity probe's HTTP client could not be built: {0}")]
    ProbeClient(#[source] reqwest::Error),
}

impl GameServersError {
    pub fn request(operation: &'static str) -> impl FnOnce(BuildError) -> Self {
        move |source| GameServersError::Request { operation, source }
    }

    /// Throttling, transient AWS failures and contention may succeed when tried again.
    pub fn is_retryable(&self) -> bool {
        match self {
            GameServersError::Aws(e) => e.is_retryable(),
            GameServersError::Contended { .. } => true,
            _ => false,
        }
    }

    /// The error name Lambda reports for a failed scheduled run.
    pub fn error_type(&self) -> &'static str {
        match self {
            GameServersError::Aws(e) if e.is_throttling() => "Hangar.Throttled",
            e if e.is_retryable() => "Hangar.Transient",
            GameServersError::NoCapacity { .. } => "Hangar.NoCapacity",
            GameServersError::Aws(_) => "Hangar.AwsError",
            GameServersError::Request { .. } | GameServersError::Item(_) => "Hangar.BadData",
            GameServersError::ScalingNotConfigured | GameServersError::ProbeClient(_) => {
                "Hangar.Config"
            }
            GameServersError::Contended { .. } => "Hangar.Transient",
        }
    }
}

impl From<GameServersError> for Diagnostic {
    fn from(e: GameServersError) -> Self {
        Diagnostic {
            error_type: e.error_type().to_string(),
            error_message: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contention_is_retryable_and_a_missing_configuration_is_not() {
        let c = GameServersError::Contended {
            task_arn: "arn:t".into(),
        };
        assert!(c.is_retryable());
        assert_eq!(Diagnostic::from(c).error_type, "Hangar.Transient");
        let n = GameServersError::ScalingNotConfigured;
        assert!(!n.is_retryable());
        assert_eq!(Diagnostic::from(n).error_type, "Hangar.Config");
    }
}
