//! The errors the endpoint answers, as Step Functions names them (botocore's
//! `stepfunctions` model): every one is HTTP 400 with `{"__type", "message"}`.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct SfnError {
    /// The error shape's name, e.g. `ExecutionDoesNotExist`.
    pub code: &'static str,
    pub message: String,
}

impl SfnError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        SfnError {
            code,
            message: message.into(),
        }
    }

    pub fn validation(message: impl Into<String>) -> Self {
        SfnError::new("ValidationException", message)
    }

    pub fn invalid_arn(arn: &str) -> Self {
        SfnError::new("InvalidArn", format!("Invalid Arn: '{arn}'"))
    }
}
