//! A build: what CreateBuild records and the status it moves through.

use crate::clock::SimMillis;
use crate::model::status::BuildStatus;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Build {
    pub id: String,
    pub arn: String,
    pub name: Option<String>,
    pub version: Option<String>,
    pub status: BuildStatus,
    pub operating_system: Option<String>,
    pub server_sdk_version: Option<String>,
    pub created: SimMillis,
    pub ready_at: SimMillis,
}

impl Build {
    /// Moves the build on to `now`: INITIALIZED becomes READY at `ready_at`.
    pub fn advance(&mut self, now: SimMillis) {
        if self.status == BuildStatus::Initialized && now >= self.ready_at {
            self.status = BuildStatus::Ready;
        }
    }
}
