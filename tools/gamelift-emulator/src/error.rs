//! GameLift service errors as the wire sees them: an error code (`__type`), a message and
//! an HTTP status.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new("InvalidRequestException", message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new("NotFoundException", message)
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new("ConflictException", message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new("InternalServiceException", message)
    }
    pub fn throttling(message: impl Into<String>) -> Self {
        Self::new("ThrottlingException", message)
    }
    /// A GameLift operation the emulator does not implement.
    pub fn unimplemented(op: &str) -> Self {
        Self::new(
            "UnknownOperationException",
            format!("the GameLift emulator does not implement operation {op}"),
        )
    }
    /// A name that is not a GameLift operation at all.
    pub fn unknown_operation(op: &str) -> Self {
        Self::new(
            "UnknownOperationException",
            format!("{op} is not a GameLift operation"),
        )
    }

    /// GameLift answers service faults with 500 and client errors with 400.
    pub fn status(&self) -> u16 {
        match self.code {
            "InternalServiceException" => 500,
            _ => 400,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

pub type ApiResult<T> = Result<T, ApiError>;
