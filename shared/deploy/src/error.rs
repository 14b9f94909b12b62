//! The area's error: what can stop a hook from doing its one job, reporting to
//! CodeDeploy. Failed checks are not errors (they are reported as Failed); these are.
//! Lambda reports them as the invocation's diagnostic (`error_type` says whether a retry
//! of the invocation may help).

use hangar_aws::AwsError;
use lambda_runtime::Diagnostic;

#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// The lifecycle event lacks an id CodeDeploy always sends: nothing to report to.
    #[error("the lifecycle event has no {0}")]
    BadEvent(&'static str),
    /// PutLifecycleEventHookExecutionStatus failed (after the SDK's own retries).
    #[error("reporting {status} to CodeDeploy failed: {source}")]
    Report {
        status: String,
        #[source]
        source: AwsError,
    },
}

impl DeployError {
    /// The diagnostic's error type: `Hangar.Retryable` when invoking the hook again may
    /// succeed (a throttled or transient report), `Hangar.Refused` otherwise.
    pub fn error_type(&self) -> &'static str {
        match self {
            DeployError::Report { source, .. } if source.is_retryable() => "Hangar.Retryable",
            _ => "Hangar.Refused",
        }
    }
}

impl From<DeployError> for Diagnostic {
    fn from(e: DeployError) -> Self {
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
    fn a_bad_event_is_not_retryable_and_names_the_field() {
        let d: Diagnostic = DeployError::BadEvent("DeploymentId").into();
        assert_eq!(d.error_type, "Hangar.Refused");
        assert!(
            d.error_message.contains("DeploymentId"),
            "{}",
            d.error_message
        );
    }
}
