//! Adapter: the one module that calls Lambda. PreTraffic invokes a new function version
//! directly (`RequestResponse`), as API Gateway would; SDK errors become [`AwsError`].

use aws_sdk_lambda::primitives::Blob;
use hangar_aws::AwsError;

#[derive(Debug, Clone)]
pub struct Lambda {
    client: aws_sdk_lambda::Client,
}

/// What an invocation returned: the payload, and Lambda's `FunctionError` when the
/// function failed (its payload is then `{"errorType","errorMessage"}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoked {
    pub payload: Vec<u8>,
    pub function_error: Option<String>,
}

impl Lambda {
    pub fn new(sdk: &aws_config::SdkConfig) -> Self {
        Self::from_client(aws_sdk_lambda::Client::new(sdk))
    }

    pub fn from_client(client: aws_sdk_lambda::Client) -> Self {
        Lambda { client }
    }

    /// Invokes `function` (a name or ARN, with its version) with `event`.
    pub async fn invoke(&self, function: &str, event: &[u8]) -> Result<Invoked, AwsError> {
        let out = self
            .client
            .invoke()
            .function_name(function)
            .payload(Blob::new(event))
            .send()
            .await
            .map_err(|e| AwsError::new("Invoke", e))?;
        Ok(Invoked {
            payload: out
                .payload()
                .map(|p| p.as_ref().to_vec())
                .unwrap_or_default(),
            function_error: out.function_error().map(str::to_string),
        })
    }
}
