//! The context of an operation: what it needs besides the state.

use crate::clock::SimMillis;
use crate::faults::Faults;
use crate::model::{Identity, ServerSettings, Timing};

/// Credentials handed out for build uploads to the local S3.
#[derive(Debug, Clone)]
pub struct UploadCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
}

/// What an operation needs besides the state.
pub struct Ctx<'a> {
    pub now: SimMillis,
    pub timing: &'a Timing,
    pub settings: &'a ServerSettings,
    pub who: &'a Identity,
    pub faults: &'a Faults,
    /// `None` when build uploads are off (no local S3).
    pub uploads: Option<&'a UploadCredentials>,
}
