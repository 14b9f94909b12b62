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

/// The Lambda function a deployment shifts (`GetDeploymentTarget`'s `lambdaFunctionInfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LambdaTarget {
    pub function_name: String,
    pub alias: String,
    pub target_version: String,
}

impl CodeDeploy {
    /// The Lambda functions `deployment_id` shifts (one for a SAM deployment group).
    pub async fn lambda_targets(&self, deployment_id: &str) -> Result<Vec<LambdaTarget>, AwsError> {
        let listed = self
            .client
            .list_deployment_targets()
            .deployment_id(deployment_id)
            .send()
            .await
            .map_err(|e| AwsError::new("ListDeploymentTargets", e))?;
        let mut targets = Vec::new();
        for target_id in listed.target_ids() {
            let got = self
                .client
                .get_deployment_target()
                .deployment_id(deployment_id)
                .target_id(target_id)
                .send()
                .await
                .map_err(|e| AwsError::new("GetDeploymentTarget", e))?;
            let info = got
                .deployment_target()
                .and_then(|t| t.lambda_target())
                .and_then(|t| t.lambda_function_info());
            if let Some(info) = info {
                targets.push(LambdaTarget {
                    function_name: info.function_name().unwrap_or_default().to_string(),
                    alias: info.function_alias().unwrap_or_default().to_string(),
                    target_version: info.target_version().unwrap_or_default().to_string(),
                });
            }
        }
        Ok(targets)
    }
}
