//! A build: what CreateBuild records and the status it moves through. A build created
//! with a StorageLocation is READY `timing.build_ready_ms` after creation (the emulator
//! does not read that location); one created without is INITIALIZED until its files
//! arrive at its upload location (seen by the upload watcher), then READY
//! `timing.build_ready_ms` later.

use crate::clock::SimMillis;
use crate::model::status::BuildStatus;
use serde::Serialize;
use serde_json::Value;

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
    /// The StorageLocation given to CreateBuild, as sent.
    pub storage: Option<Value>,
    /// Where an upload of this build goes (bucket, key).
    pub upload: (String, String),
    /// When the uploaded files were seen, and their size in bytes.
    pub uploaded: Option<(SimMillis, i64)>,
    /// When the build becomes READY; `None` while it waits for its upload.
    pub ready_at: Option<SimMillis>,
}

impl Build {
    /// Moves the build on to `now`: INITIALIZED becomes READY at `ready_at`.
    pub fn advance(&mut self, now: SimMillis) {
        if self.status == BuildStatus::Initialized && self.ready_at.is_some_and(|r| now >= r) {
            self.status = BuildStatus::Ready;
        }
    }

    /// An INITIALIZED build whose files have not arrived yet.
    pub fn awaits_upload(&self) -> bool {
        self.status == BuildStatus::Initialized && self.ready_at.is_none()
    }

    /// Its files arrived at the upload location: READY `ready_ms` later.
    pub fn upload_seen(&mut self, now: SimMillis, size: i64, ready_ms: i64) {
        if self.awaits_upload() {
            self.uploaded = Some((now, size));
            self.ready_at = Some(now + ready_ms);
        }
    }

    /// Size of the build's files: the upload's, or a nominal 1 MiB once READY.
    pub fn size_on_disk(&self) -> i64 {
        match (self.uploaded, self.status) {
            (Some((_, size)), _) => size,
            (None, BuildStatus::Ready) => 1_048_576,
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(ready_at: Option<SimMillis>) -> Build {
        Build {
            id: "build-1".into(),
            arn: "arn".into(),
            name: None,
            version: None,
            status: BuildStatus::Initialized,
            operating_system: None,
            server_sdk_version: None,
            created: 0,
            storage: None,
            upload: ("bucket".into(), "key".into()),
            uploaded: None,
            ready_at,
        }
    }

    #[test]
    fn a_build_waiting_for_its_upload_never_turns_ready_on_the_clock_alone() {
        let mut b = build(None);
        b.advance(i64::MAX / 2);
        assert_eq!(b.status, BuildStatus::Initialized);
        b.upload_seen(100, 42, 5_000);
        b.advance(5_099);
        assert_eq!(b.status, BuildStatus::Initialized);
        b.advance(5_100);
        assert_eq!((b.status, b.size_on_disk()), (BuildStatus::Ready, 42));
    }
}
