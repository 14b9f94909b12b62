//! Adapter: the one module that calls CodeDeploy. The hooks report a lifecycle event's
//! outcome with PutLifecycleEventHookExecutionStatus; SDK errors become [`AwsError`].

use aws_sdk_codedeploy::types::LifecycleEventStatus;
use hangar_aws::AwsError;

#[derive(Debug, Clone)]
pub struct CodeDeploy {
    client: aws_sdk_codedeploy::Client,
}

impl CodeDeploy {
    pub fn new(sdk: &aws_config::SdkConfig) -> Self {
        Self::from_client(aws_sdk_codedeploy::Client::new(sdk))
    }

    pub fn from_client(client: aws_sdk_codedeploy::Client) -> Self {
        CodeDeploy { client }
    }

    /// Reports `status` for one hook execution (the SDK retries transient errors).
    pub async fn report(
        &self,
        deployment_id: &str,
        execution_id: &str,
        status: LifecycleEventStatus,
    ) -> Result<(), AwsError> {
        self.client
            .put_lifecycle_event_hook_execution_status()
            .deployment_id(deployment_id)
            .lifecycle_event_hook_execution_id(execution_id)
            .status(status)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::new("PutLifecycleEventHookExecutionStatus", e))
    }
}
