//! Step Functions adapter: whether the execution that holds an alias lock still runs.
//! The endpoint comes from `AWS_ENDPOINT_URL_SFN` (the local endpoint under `hangar dev`).

use aws_sdk_sfn::types::ExecutionStatus;
use aws_sdk_sfn::Client;
use hangar_aws::error::AwsError;

use crate::error::FleetError;

/// What Step Functions says of an execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Liveness {
    /// RUNNING (or waiting to be redriven): it may still act on the alias.
    Running,
    /// Ended: SUCCEEDED, FAILED, TIMED_OUT or ABORTED (the status).
    Ended(String),
    /// Step Functions does not know it (expired, or an ARN that names no execution).
    Unknown,
}

pub async fn liveness(c: &Client, execution_arn: &str) -> Result<Liveness, FleetError> {
    match c
        .describe_execution()
        .execution_arn(execution_arn)
        .send()
        .await
    {
        Ok(out) => Ok(match out.status() {
            ExecutionStatus::Running | ExecutionStatus::PendingRedrive => Liveness::Running,
            other => Liveness::Ended(other.as_str().to_string()),
        }),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_execution_does_not_exist() || s.is_invalid_arn()) =>
        {
            Ok(Liveness::Unknown)
        }
        Err(e) => Err(AwsError::new("DescribeExecution", e).into()),
    }
}
