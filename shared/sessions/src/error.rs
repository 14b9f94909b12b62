//! The sessions area's one error type, [`SessionsError`]: what went wrong, in words fit
//! for a player or an operator. `api.rs` turns it into an HTTP answer once; the
//! placement-events consumer and the reconciler report it as a Lambda diagnostic.
//!
//! SDK errors are kept whole as [`AwsError`] (its `source` is the SDK error), so the
//! chain of causes reaches the log; whether one was throttling is asked of it.

use hangar_aws::AwsError;

use crate::cursor::CursorError;
use crate::listing::PlanError;
use crate::validate::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum SessionsError {
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error(transparent)]
    Listing(#[from] PlanError),
    #[error("cursor: {0}")]
    Cursor(#[from] CursorError),
    #[error("sessionId is not a session id returned by this API")]
    BadSessionId,
    #[error("Idempotency-Key must be 1 to 128 printable ASCII characters")]
    BadIdempotencyKey,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("the game session is full")]
    Full,
    #[error("the game session has ended")]
    Ended,
    #[error("the game session is not accepting players yet; retry shortly")]
    NotReady,
    #[error("player {0} already holds a seat in this game session")]
    AlreadyJoined(String),
    #[error("placementId {0} is taken by another request")]
    PlacementIdTaken(String),
    #[error("{0}")]
    WrongCredential(&'static str),
    #[error("this Idempotency-Key was used with a different request body")]
    IdempotencyMismatch,
    #[error(
        "too many sessions match to sort by {0}; narrow the filter or sort by creationTimeMillis"
    )]
    SortWindow(String),
    #[error("busy, retry shortly: {0}")]
    Busy(&'static str),
    /// A failed AWS call (DynamoDB or GameLift), with the SDK error as its source.
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// A stored item that does not decode, or one that cannot be encoded.
    #[error("stored item does not decode: {0}")]
    Decode(String),
    /// A function started without a setting the operation needs.
    #[error("not configured: {0}")]
    NotConfigured(&'static str),
}

impl SessionsError {
    /// The request reached GameLift and GameLift did nothing: it refused the input, or it
    /// throttled (after our retries).
    pub fn placed_nothing(&self) -> bool {
        match self {
            SessionsError::Invalid(_) => true,
            SessionsError::Aws(e) => e.is_throttling(),
            _ => false,
        }
    }

    /// Worth trying again: throttling, a transient AWS failure, a write that kept racing.
    pub fn is_retryable(&self) -> bool {
        match self {
            SessionsError::Aws(e) => e.is_retryable(),
            SessionsError::Busy(_) => true,
            _ => false,
        }
    }
}

/// How the placement-events consumer and the reconciler report a failure to Lambda: the
/// error type says whether trying again may help.
impl From<SessionsError> for lambda_runtime::Diagnostic {
    fn from(e: SessionsError) -> Self {
        let error_type = if e.is_retryable() {
            "Sessions.Retryable"
        } else {
            "Sessions.Failed"
        };
        lambda_runtime::Diagnostic {
            error_type: error_type.to_string(),
            error_message: e.to_string(),
        }
    }
}
