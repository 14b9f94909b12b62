//! What this build is: version, git commit and build time, fixed when the crate was
//! built (the crate's `build.rs`). `GET /version` reports it; the traffic hooks compare
//! against it to prove the new version is the one answering. Pure: no I/O.

use serde::Serialize;

/// The workspace version (`Cargo.toml`; every package shares it).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// Full git commit id; `unknown` when built without git (e.g. from a tarball).
pub const GIT_COMMIT: &str = env!("HANGAR_GIT_COMMIT");
/// UTC build time, RFC 3339.
pub const BUILD_TIME: &str = env!("HANGAR_BUILD_TIME");

/// The body of `GET /version`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildInfo {
    pub version: String,
    pub commit: String,
    pub build_time: String,
}

impl BuildInfo {
    /// This build.
    pub fn current() -> Self {
        Self {
            version: VERSION.to_string(),
            commit: GIT_COMMIT.to_string(),
            build_time: BUILD_TIME.to_string(),
        }
    }

    /// Whether `other` is the same code: same version and commit (build times differ
    /// between crates built from one tree).
    pub fn same_code(&self, other: &BuildInfo) -> bool {
        self.version == other.version && self.commit == other.commit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_info_is_filled_at_build_time() {
        let info = BuildInfo::current();
        assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
        assert!(!info.commit.is_empty());
        assert!(
            info.commit == "unknown" || info.commit.len() >= 40,
            "{}",
            info.commit
        );
        // 2026-11-23T05:00:00Z
        assert_eq!(info.build_time.len(), 20, "{}", info.build_time);
        assert!(info.build_time.ends_with('Z'));
    }

    #[test]
    fn same_code_ignores_build_time_only() {
        let a = BuildInfo::current();
        let mut b = a.clone();
        b.build_time = "2000-01-01T00:00:00Z".into();
        assert!(a.same_code(&b));
        b.commit = "0000000".into();
        assert!(!a.same_code(&b));
    }
}
