//! Finding a running local stack from anywhere: `hangar dev` records itself in a per-user
//! folder of running stacks (`<state home>/running/<pid>.json`: its pid and its state
//! folder, never the secret), and `hangar dev token`, `hangar sessions` and the tests look
//! it up instead of creating a secret of their own.
//!
//! Lookup order: an explicit `--state-dir`; `.hangar/` in the current folder or any folder
//! above it; the per-user record of running stacks. A state folder counts only while the
//! process in its `dev.json` is alive.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::info::{DevInfo, INFO_FILE, SECRET_FILE};

/// Overrides where running stacks are recorded (default `$XDG_STATE_HOME/hangar` or
/// `~/.local/state/hangar`).
pub const STATE_HOME_VAR: &str = "HANGAR_STATE_HOME";
/// The state folder's name inside a project.
pub const STATE_DIR_NAME: &str = ".hangar";

/// What a running stack records about itself in the per-user folder.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RunningRecord {
    pub pid: u32,
    /// Absolute path of the stack's state folder (dev.json, dev-secret).
    pub state_dir: PathBuf,
    pub api_url: String,
}

/// A stack found running: its state folder and what its `dev.json` says.
#[derive(Debug, Clone)]
pub struct FoundStack {
    pub state_dir: PathBuf,
    pub info: DevInfo,
}

impl FoundStack {
    pub fn secret_path(&self) -> PathBuf {
        self.state_dir.join(SECRET_FILE)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error("no running local stack found (looked in {}); start one with scripts/dev, or name its state folder with --state-dir", looked.join(", "))]
    NoStack { looked: Vec<String> },
    #[error("{} local stacks are running ({}); choose one with --state-dir", dirs.len(), dirs.join(", "))]
    Several { dirs: Vec<String> },
    #[error("{path} names no running local stack: {reason}")]
    NotRunning { path: String, reason: String },
}

/// The per-user folder of running stacks.
pub fn registry_dir() -> Option<PathBuf> {
    let home = std::env::var_os(STATE_HOME_VAR)
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_STATE_HOME").map(|d| PathBuf::from(d).join("hangar")))
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state/hangar"))
        })?;
    Some(home.join("running"))
}

/// The record a running stack keeps while it runs; removed when dropped.
#[derive(Debug)]
pub struct Registration {
    path: PathBuf,
}

impl Registration {
    /// Records the stack of this process in `dir`.
    pub fn create(dir: &Path, record: &RunningRecord) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(format!("{}.json", record.pid));
        super::info::write_json(&path, record)?;
        Ok(Self { path })
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Whether process `pid` is alive (Linux: `/proc/<pid>`; elsewhere assumed alive).
pub fn process_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true
    }
}

/// Why `state_dir` is not a running stack, or what its `dev.json` says.
fn running_at(state_dir: &Path) -> Result<FoundStack, String> {
    let info_path = state_dir.join(INFO_FILE);
    let text = std::fs::read_to_string(&info_path)
        .map_err(|e| format!("cannot read {}: {e}", info_path.display()))?;
    let info: DevInfo = serde_json::from_str(&text)
        .map_err(|e| format!("{} does not decode: {e}", info_path.display()))?;
    if info.pid == 0 || !process_alive(info.pid) {
        return Err(format!(
            "the stack that wrote {} (pid {}) is no longer running",
            info_path.display(),
            info.pid
        ));
    }
    if !state_dir.join(SECRET_FILE).is_file() {
        return Err(format!("{} has no {}", state_dir.display(), SECRET_FILE));
    }
    let state_dir = state_dir
        .canonicalize()
        .unwrap_or_else(|_| state_dir.to_path_buf());
    Ok(FoundStack { state_dir, info })
}

/// Finds the running stack: `explicit` if given (it must be running), else the nearest
/// `.hangar/` from `cwd` upwards, else the only stack recorded in `registry`.
pub fn find(
    explicit: Option<&Path>,
    cwd: &Path,
    registry: Option<&Path>,
) -> Result<FoundStack, LookupError> {
    if let Some(dir) = explicit {
        return running_at(dir).map_err(|reason| LookupError::NotRunning {
            path: dir.display().to_string(),
            reason,
        });
    }
    let mut looked = Vec::new();
    for dir in cwd.ancestors() {
        let candidate = dir.join(STATE_DIR_NAME);
        if let Ok(found) = running_at(&candidate) {
            return Ok(found);
        }
        if candidate.is_dir() {
            looked.push(candidate.display().to_string());
        }
    }
    if looked.is_empty() {
        looked.push(format!("{STATE_DIR_NAME}/ in {} and above", cwd.display()));
    }
    let Some(registry) = registry else {
        return Err(LookupError::NoStack { looked });
    };
    looked.push(registry.display().to_string());
    let mut found: Vec<FoundStack> = Vec::new();
    if let Ok(entries) = std::fs::read_dir(registry) {
        for entry in entries.flatten() {
            let Ok(text) = std::fs::read_to_string(entry.path()) else {
                continue;
            };
            let Ok(record) = serde_json::from_str::<RunningRecord>(&text) else {
                continue;
            };
            if !process_alive(record.pid) {
                // A stack that died without cleaning up.
                let _ = std::fs::remove_file(entry.path());
                continue;
            }
            if let Ok(stack) = running_at(&record.state_dir) {
                if !found.iter().any(|f| f.state_dir == stack.state_dir) {
                    found.push(stack);
                }
            }
        }
    }
    match found.len() {
        0 => Err(LookupError::NoStack { looked }),
        1 => Ok(found.remove(0)),
        _ => Err(LookupError::Several {
            dirs: found
                .iter()
                .map(|f| f.state_dir.display().to_string())
                .collect(),
        }),
    }
}
