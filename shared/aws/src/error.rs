//! The one place Hangar asks questions of an AWS SDK error: is it throttling, is it
//! transient, did a DynamoDB condition fail. Adapters (the only modules that call
//! `.send()`) turn every SDK error into an [`AwsError`], which keeps the original error
//! as its `source` and carries the answer as a [`Fault`].
//!
//! Invariants: the SDK's modeled error kinds are asked first
//! (`ProvideErrorKind::retryable_error_kind`, the modeled variants of each operation's
//! error enum); error codes are consulted only for what the SDK does not model, from
//! the one list [`THROTTLING_CODES`]. `LimitExceededException` is not throttling here:
//! GameLift uses it for account limits that no retry will lift.

use std::error::Error as StdError;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_smithy_types::retry::{ErrorKind, ProvideErrorKind};

/// Error codes that mean "slow down", for services that do not model them.
pub const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "SlowDown",
];

/// Error codes of server-side failures worth retrying.
pub const TRANSIENT_CODES: &[&str] = &[
    "InternalServiceException",
    "InternalServerError",
    "InternalFailure",
    "ServiceUnavailable",
    "RequestTimeout",
    "RequestTimeoutException",
];

/// What kind of failure an SDK error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The service asked us to slow down: retry after a backoff.
    Throttling,
    /// A timeout, a dropped connection or a server error: retry.
    Transient,
    /// A DynamoDB condition did not hold (the write did not happen).
    ConditionFailed,
    /// The service refused the request; retrying the same request will not help.
    Refused,
}

impl Fault {
    /// Throttling and transient failures may succeed when tried again.
    pub fn is_retryable(self) -> bool {
        matches!(self, Fault::Throttling | Fault::Transient)
    }
}

/// A failed AWS call: which operation, what kind of failure, and the SDK error itself
/// (as `source`, so the whole chain of causes reaches the log).
#[derive(Debug, thiserror::Error)]
#[error("{operation}: {detail}")]
pub struct AwsError {
    pub operation: &'static str,
    pub fault: Fault,
    /// The service's error code, when it sent one.
    pub code: Option<String>,
    detail: String,
    #[source]
    source: Box<dyn StdError + Send + Sync + 'static>,
}

impl AwsError {
    /// Classifies `err` from `operation` (e.g. `"PutItem"`).
    pub fn new<E>(operation: &'static str, err: SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorKind + ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        let fault = fault(&err);
        let code = err.code().map(str::to_string);
        let detail = DisplayErrorContext(&err).to_string();
        AwsError {
            operation,
            fault,
            code,
            detail,
            source: Box::new(err),
        }
    }

    /// An error answer of a call made without an SDK client, classified by its code and
    /// status with the same lists as an SDK error's.
    pub fn from_answer(operation: &'static str, answer: ServiceAnswer) -> Self {
        AwsError {
            operation,
            fault: answer_fault(&answer.code, answer.status),
            code: Some(answer.code.clone()),
            detail: answer.to_string(),
            source: Box::new(answer),
        }
    }

    /// A call made without an SDK client that got no answer (no connection, a timeout,
    /// a body cut short): transient, as the SDK's dispatch failures are.
    pub fn no_answer(
        operation: &'static str,
        source: impl Into<Box<dyn StdError + Send + Sync + 'static>>,
    ) -> Self {
        let source = source.into();
        AwsError {
            operation,
            fault: Fault::Transient,
            code: None,
            detail: source.to_string(),
            source,
        }
    }

    /// A call made without an SDK client that cannot be made, or whose answer is not
    /// what the service documents: refused, retrying will not help.
    pub fn unusable(operation: &'static str, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        AwsError {
            operation,
            fault: Fault::Refused,
            code: None,
            source: detail.clone().into(),
            detail,
        }
    }

    /// The service's error code, or `""`.
    pub fn code(&self) -> &str {
        self.code.as_deref().unwrap_or("")
    }

    pub fn is_throttling(&self) -> bool {
        self.fault == Fault::Throttling
    }

    pub fn is_retryable(&self) -> bool {
        self.fault.is_retryable()
    }

    pub fn is_condition_failed(&self) -> bool {
        self.fault == Fault::ConditionFailed
    }
}

/// Whether `err` is a failed DynamoDB condition, asked of the operation's modeled
/// variants (`ConditionalCheckFailedException`, or a transaction cancelled by one).
/// Errors of other services and operations are never condition failures.
pub fn condition_failed<E: 'static>(err: &E) -> bool {
    #[cfg(feature = "dynamodb")]
    {
        dynamodb::condition_failed(err as &dyn std::any::Any)
    }
    #[cfg(not(feature = "dynamodb"))]
    {
        let _ = err;
        false
    }
}

/// The kind of failure `err` is.
pub fn fault<E>(err: &SdkError<E, HttpResponse>) -> Fault
where
    E: ProvideErrorKind + ProvideErrorMetadata + 'static,
{
    match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            Fault::Transient
        }
        SdkError::ServiceError(service) => {
            let e = service.err();
            if condition_failed(e) {
                return Fault::ConditionFailed;
            }
            match e.retryable_error_kind() {
                Some(ErrorKind::ThrottlingError) => return Fault::Throttling,
                Some(ErrorKind::TransientError | ErrorKind::ServerError) => {
                    return Fault::Transient
                }
                Some(ErrorKind::ClientError) | Some(_) | None => {}
            }
            answer_fault(
                ProvideErrorMetadata::code(e).unwrap_or(""),
                service.raw().status().as_u16(),
            )
        }
        // Construction failures are ours (a bad input to the SDK), not the service's.
        _ => Fault::Refused,
    }
}

/// The fault of an error answer that nothing models: by its code, then its HTTP status.
fn answer_fault(code: &str, status: u16) -> Fault {
    if THROTTLING_CODES.contains(&code) || status == 429 {
        Fault::Throttling
    } else if TRANSIENT_CODES.contains(&code) || status >= 500 {
        Fault::Transient
    } else {
        Fault::Refused
    }
}

/// An error answer of a service called without its SDK crate (the EC2 Query calls):
/// its HTTP status, code and message.
#[derive(Debug, thiserror::Error)]
#[error("HTTP {status} {code}: {message}")]
pub struct ServiceAnswer {
    pub status: u16,
    pub code: String,
    pub message: String,
}

#[cfg(feature = "dynamodb")]
mod dynamodb {
    use std::any::Any;

    use aws_sdk_dynamodb::operation::{
        delete_item::DeleteItemError, put_item::PutItemError,
        transact_write_items::TransactWriteItemsError, update_item::UpdateItemError,
    };

    pub(super) fn condition_failed(err: &dyn Any) -> bool {
        if let Some(e) = err.downcast_ref::<PutItemError>() {
            matches!(e, PutItemError::ConditionalCheckFailedException(_))
        } else if let Some(e) = err.downcast_ref::<UpdateItemError>() {
            matches!(e, UpdateItemError::ConditionalCheckFailedException(_))
        } else if let Some(e) = err.downcast_ref::<DeleteItemError>() {
            matches!(e, DeleteItemError::ConditionalCheckFailedException(_))
        } else if let Some(TransactWriteItemsError::TransactionCanceledException(e)) =
            err.downcast_ref::<TransactWriteItemsError>()
        {
            // Cancelled by a condition, and by nothing else (not a conflict with
            // another transaction, which is worth retrying).
            let codes: Vec<&str> = e
                .cancellation_reasons()
                .iter()
                .filter_map(|r| r.code())
                .filter(|c| *c != "None")
                .collect();
            !codes.is_empty() && codes.iter().all(|c| *c == "ConditionalCheckFailed")
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    #[derive(Debug)]
    struct Modeled {
        meta: ErrorMetadata,
        kind: Option<ErrorKind>,
    }
    impl std::fmt::Display for Modeled {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "modeled error {:?}", self.meta.code())
        }
    }
    impl StdError for Modeled {}
    impl ProvideErrorMetadata for Modeled {
        fn meta(&self) -> &ErrorMetadata {
            &self.meta
        }
    }
    impl ProvideErrorKind for Modeled {
        fn retryable_error_kind(&self) -> Option<ErrorKind> {
            self.kind
        }
        fn code(&self) -> Option<&str> {
            self.meta.code()
        }
    }

    fn service_error(
        code: &str,
        status: u16,
        kind: Option<ErrorKind>,
    ) -> SdkError<Modeled, HttpResponse> {
        let raw = HttpResponse::new(
            StatusCode::try_from(status).expect("valid status"),
            SdkBody::empty(),
        );
        let err = Modeled {
            meta: ErrorMetadata::builder().code(code).message("m").build(),
            kind,
        };
        SdkError::service_error(err, raw)
    }

    #[test]
    fn a_modeled_throttling_kind_is_throttling_whatever_the_code() {
        let e = service_error("SomethingElse", 400, Some(ErrorKind::ThrottlingError));
        assert_eq!(fault(&e), Fault::Throttling);
    }

    #[test]
    fn an_unmodeled_throttling_code_or_429_is_throttling() {
        assert_eq!(
            fault(&service_error("ThrottlingException", 400, None)),
            Fault::Throttling
        );
        assert_eq!(
            fault(&service_error("Whatever", 429, None)),
            Fault::Throttling
        );
    }

    #[test]
    fn limit_exceeded_is_a_refusal_not_throttling() {
        assert_eq!(
            fault(&service_error("LimitExceededException", 400, None)),
            Fault::Refused
        );
    }

    #[test]
    fn server_errors_and_internal_service_exceptions_are_transient() {
        assert_eq!(
            fault(&service_error("InternalServiceException", 400, None)),
            Fault::Transient
        );
        assert_eq!(
            fault(&service_error("Anything", 503, None)),
            Fault::Transient
        );
        assert_eq!(
            fault(&service_error("X", 400, Some(ErrorKind::TransientError))),
            Fault::Transient
        );
    }

    #[test]
    fn a_condition_code_without_the_modeled_variant_is_not_a_condition_failure() {
        let e = service_error("ConditionalCheckFailedException", 400, None);
        assert_eq!(fault(&e), Fault::Refused);
    }

    #[test]
    fn aws_error_keeps_the_sdk_error_as_its_source() {
        let e = AwsError::new(
            "PutItem",
            service_error("InvalidRequestException", 400, None),
        );
        assert_eq!(e.fault, Fault::Refused);
        assert_eq!(e.code(), "InvalidRequestException");
        let source = StdError::source(&e).expect("source kept");
        assert!(source.to_string().contains("service error"), "{source}");
        assert!(e.to_string().starts_with("PutItem: "), "{e}");
    }

    #[cfg(feature = "dynamodb")]
    #[test]
    fn dynamodb_conditional_variants_are_condition_failures() {
        use aws_sdk_dynamodb::operation::put_item::PutItemError;
        use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
        use aws_sdk_dynamodb::types::error::{
            ConditionalCheckFailedException, TransactionCanceledException,
        };
        use aws_sdk_dynamodb::types::CancellationReason;
        let put = PutItemError::ConditionalCheckFailedException(
            ConditionalCheckFailedException::builder().build(),
        );
        assert!(condition_failed(&put));
        let reasons = |codes: &[&str]| {
            TransactWriteItemsError::TransactionCanceledException(
                TransactionCanceledException::builder()
                    .set_cancellation_reasons(Some(
                        codes
                            .iter()
                            .map(|c| CancellationReason::builder().code(*c).build())
                            .collect(),
                    ))
                    .build(),
            )
        };
        assert!(condition_failed(&reasons(&[
            "None",
            "ConditionalCheckFailed"
        ])));
        assert!(!condition_failed(&reasons(&[
            "ConditionalCheckFailed",
            "TransactionConflict"
        ])));
    }
}
