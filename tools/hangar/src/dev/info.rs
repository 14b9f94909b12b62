//! What a running local stack offers (`DevInfo`), as printed at start-up and written to
//! `<state dir>/dev.json` for scripts, the CLI and the tests.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::clock::ClockPlan;
use super::resource_names::DevResources;

/// The stack's description inside its state folder.
pub const INFO_FILE: &str = "dev.json";
/// The local token secret inside the state folder (mode 0600).
pub const SECRET_FILE: &str = "dev-secret";

/// What a running stack offers; printed at start-up and written to `<state dir>/dev.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DevInfo {
    /// The process serving the stack (0 when unknown).
    #[serde(default)]
    pub pid: u32,
    pub region: String,
    pub moto_url: String,
    pub gamelift_url: String,
    pub api_url: String,
    /// The console's address (empty when it is not served).
    #[serde(default)]
    pub console_url: String,
    pub routes: Vec<String>,
    pub resources: DevResources,
    /// The emulator's clock and what it means for sessions and placements.
    pub clock: ClockPlan,
    /// Environment that points any AWS SDK or CLI at the local stack.
    pub env: BTreeMap<String, String>,
}

impl DevInfo {
    /// The environment block: every AWS SDK and the AWS CLI read these variables.
    pub fn environment(
        region: &str,
        moto_url: &str,
        gamelift_url: &str,
        api_url: &str,
    ) -> BTreeMap<String, String> {
        BTreeMap::from(
            [
                ("AWS_ENDPOINT_URL", moto_url),
                ("AWS_ENDPOINT_URL_GAMELIFT", gamelift_url),
                // The Rust SDK reads AWS_REGION; boto3 and the AWS CLI read AWS_DEFAULT_REGION.
                ("AWS_REGION", region),
                ("AWS_DEFAULT_REGION", region),
                ("AWS_ACCESS_KEY_ID", "test"),
                ("AWS_SECRET_ACCESS_KEY", "test"),
                ("HANGAR_API_URL", api_url),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string())),
        )
    }

    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        write_json(path, self)
    }
}

/// Writes `value` as pretty JSON to `path` so that a reader never sees a partial file: the
/// text goes to a temporary file beside it, which is then renamed over `path`.
pub fn write_json(path: &Path, value: &impl Serialize) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".{}.tmp", std::process::id()));
    let temporary = PathBuf::from(temporary);
    std::fs::write(&temporary, text + "\n")?;
    std::fs::rename(&temporary, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temporary);
    })
}
